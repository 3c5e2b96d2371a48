/* Outcome trajectories: for outcomes given in order (in work at 6, 12, 18,
 * 24 months after the start), the treated units' mean and the matched
 * comparison's weighted mean at each, as a table and as an SVG plot. The
 * horizon of an outcome is the number in its name (in_work_12m: 12), or
 * its position when a name has none or the numbers are not increasing. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"

/* The last number in a name, NaN if none. */
static double number_in(const char *s) {
  double v = NAN;
  for (const char *p = s; *p; p++)
    if (isdigit((unsigned char)*p) && (p == s || !isdigit((unsigned char)p[-1]))) v = strtod(p, NULL);
  return v;
}

int peil_match_trajectory(const peil_match_data *d, const peil_match_result *r,
                          peil_trajectory_point **out, size_t *n) {
  *out = NULL;
  *n = 0;
  if (!d->nout) return PEIL_OK;
  peil_trajectory_point *p = calloc(d->nout, sizeof *p);
  if (!p) return peil_error(PEIL_ENOMEM, "out of memory");
  int focal = r->estimand == PEIL_ATC ? 0 : 1, numbered = 1;
  for (size_t k = 0; k < d->nout; k++) {
    p[k].outcome = d->outcome_name[k];
    p[k].horizon = number_in(d->outcome_name[k]);
    if (!isfinite(p[k].horizon) || (k && !(p[k].horizon > p[k - 1].horizon))) numbered = 0;
    double sw[2] = {0, 0}, swy[2] = {0, 0};
    for (size_t i = 0; i < d->n; i++) {
      double y = d->outcome[k][i], w = r->weight[i];
      if (w <= 0 || isnan(y)) continue;
      int g = d->treat[i] == focal;
      sw[g] += w, swy[g] += w * y;
      *(g ? &p[k].n_focal : &p[k].n_other) += 1;
    }
    p[k].mean_focal = sw[1] > 0 ? swy[1] / sw[1] : NAN;
    p[k].mean_other = sw[0] > 0 ? swy[0] / sw[0] : NAN;
  }
  if (!numbered)
    for (size_t k = 0; k < d->nout; k++) p[k].horizon = (double)(k + 1);
  *out = p;
  *n = d->nout;
  return PEIL_OK;
}

int peil_match_trajectory_svg(const peil_trajectory_point *p, size_t n, FILE *f, const char *title,
                              const char *focal_label, const char *other_label) {
  if (!p || !n) return peil_error(PEIL_EINVAL, "trajectory plot: no outcomes");
  const double W = 560, H = 360, L = 64, R = 24, T = title && *title ? 56 : 32, B = 56;
  double x0 = p[0].horizon, x1 = p[n - 1].horizon, y1 = 0;
  for (size_t k = 0; k < n; k++) {
    if (isfinite(p[k].mean_focal)) y1 = fmax(y1, p[k].mean_focal);
    if (isfinite(p[k].mean_other)) y1 = fmax(y1, p[k].mean_other);
  }
  /* The y axis from 0 to a round number above the largest mean. */
  double step = y1 > 0 ? pow(10, floor(log10(y1 / 4))) : 0.1;
  while (y1 / step > 6) step *= 2;
  double ymax = y1 > 0 ? ceil(y1 / step) * step : 1;
  if (x1 <= x0) x1 = x0 + 1;
#define PX(x) (L + ((x) - x0) / (x1 - x0) * (W - L - R))
#define PY(y) (T + (1 - (y) / ymax) * (H - T - B))
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
             "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n", W, H, W, H);
  fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
  if (title && *title) {
    fprintf(f, "<text x=\"%.1f\" y=\"22\" font-size=\"14\" font-weight=\"bold\">", L);
    match_svg_text(f, title);
    fputs("</text>\n", f);
  }
  /* Axes, grid and ticks. */
  for (double y = 0; y <= ymax + step / 2; y += step)
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
            L, PY(y), W - R, PY(y), L - 6, PY(y) + 4, y);
  for (size_t k = 0; k < n; k++)
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", PX(p[k].horizon),
            H - B + 18, p[k].horizon);
  fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", L, H - B, W - R, H - B);
  fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", L, T, L, H - B);
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">horizon (the number in the outcome's name)</text>\n",
          (L + W - R) / 2, H - 14);
  /* The two lines. */
  const char *colour[2] = {"#1f77b4", "#d62728"};
  const char *label[2] = {focal_label ? focal_label : "treated", other_label ? other_label : "matched controls"};
  for (int g = 0; g < 2; g++) {
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colour[g]);
    for (size_t k = 0; k < n; k++) {
      double y = g == 0 ? p[k].mean_focal : p[k].mean_other;
      if (isfinite(y)) fprintf(f, "%.1f,%.1f ", PX(p[k].horizon), PY(y));
    }
    fputs("\"/>\n", f);
    for (size_t k = 0; k < n; k++) {
      double y = g == 0 ? p[k].mean_focal : p[k].mean_other;
      if (!isfinite(y)) continue;
      fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>", PX(p[k].horizon), PY(y), colour[g]);
      match_svg_text(f, p[k].outcome);
      fprintf(f, ": %.4f</title></circle>\n", y);
    }
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>"
               "<text x=\"%.1f\" y=\"%.1f\">", L + 10 + 170 * g, T - 10, L + 34 + 170 * g, T - 10, colour[g],
            L + 40 + 170 * g, T - 6);
    match_svg_text(f, label[g]);
    fputs("</text>\n", f);
  }
  fputs("</svg>\n", f);
#undef PX
#undef PY
  return ferror(f) ? peil_error(PEIL_EIO, "writing the trajectory plot failed") : PEIL_OK;
}
