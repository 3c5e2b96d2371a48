/* A Love plot of a balance table as a self-contained SVG document (plain
 * text, no libraries): one line per row of the table, top to bottom in its
 * order (the distance first), the absolute standardised mean difference
 * before matching as an open circle and after as a filled one, the
 * threshold 0.1 as a dashed line (cobalt's love.plot defaults: absolute
 * values, threshold 0.1). A row whose difference is NaN has no marker. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "match_internal.h"

#define ROW_H 22.0
#define PLOT_W 440.0
#define CHAR_W 7.0 /* an estimate of a 12px sans-serif character's width */
#define THRESHOLD 0.1

void match_svg_text(FILE *f, const char *s) {
  for (; s && *s; s++) switch (*s) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&apos;", f); break;
    default:
      /* control characters other than tab are not allowed in XML 1.0 */
      if ((unsigned char)*s < 0x20 && *s != '\t')
        fputc(' ', f);
      else
        fputc(*s, f);
    }
}

/* Characters (UTF-8 code points) in s. */
static size_t text_len(const char *s) {
  size_t k = 0;
  for (; s && *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) k++;
  return k;
}

/* A tick step of 1, 2, 2.5 or 5 times a power of ten giving about five ticks. */
static double nice_step(double range) {
  double raw = range / 5, p = pow(10, floor(log10(raw))), m = raw / p;
  double step = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
  return step * p;
}

int peil_match_love_plot(const peil_match_balance *b, FILE *f, const char *title) {
  if (!b || !f) return peil_error(PEIL_EINVAL, "love plot: no balance table or no file");

  /* The axis: 0 to the largest absolute difference (at least the threshold). */
  double top_value = THRESHOLD;
  size_t label_chars = 8;
  for (size_t j = 0; j < b->nrows; j++) {
    double a = fabs(b->rows[j].all.std_mean_diff), m = fabs(b->rows[j].matched.std_mean_diff);
    if (isfinite(a) && a > top_value) top_value = a;
    if (isfinite(m) && m > top_value) top_value = m;
    size_t k = text_len(b->rows[j].term);
    if (k > label_chars) label_chars = k;
  }
  double step = nice_step(top_value);
  int nticks = (int)ceil(top_value / step - 1e-9);
  if (nticks < 1) nticks = 1;
  double xmax = nticks * step;

  double left = 16 + CHAR_W * (double)label_chars + 12, right = 28;
  double width = left + PLOT_W + right;
  double top = title && *title ? 66 : 42; /* title, then the legend */
  double plot_h = ROW_H * (double)(b->nrows ? b->nrows : 1) + 8;
  double height = top + plot_h + 52;
#define X(v) (left + (v) / xmax * PLOT_W)

  fprintf(f,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
          "viewBox=\"0 0 %.0f %.0f\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
          width, height, width, height);
  fputs("<title>", f);
  match_svg_text(f, title && *title ? title : "Covariate balance");
  fputs("</title>\n", f);
  fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
  if (title && *title) {
    fprintf(f, "<text x=\"%.1f\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">",
            width / 2);
    match_svg_text(f, title);
    fputs("</text>\n", f);
  }

  /* Legend. */
  double ly = top - 20, lx = left;
  fprintf(f,
          "<g class=\"legend\">\n"
          "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"white\" stroke=\"#1f3b73\" stroke-width=\"1.5\"/>\n"
          "<text x=\"%.1f\" y=\"%.1f\" dy=\"0.35em\">Before matching</text>\n"
          "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"#1f3b73\" stroke=\"#1f3b73\" stroke-width=\"1.5\"/>\n"
          "<text x=\"%.1f\" y=\"%.1f\" dy=\"0.35em\">After matching</text>\n"
          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b22222\" stroke-dasharray=\"4 3\"/>\n"
          "<text x=\"%.1f\" y=\"%.1f\" dy=\"0.35em\">Threshold %g</text>\n"
          "</g>\n",
          lx + 5, ly, lx + 14, ly, lx + 140, ly, lx + 149, ly, lx + 265, ly, lx + 283, ly, lx + 290, ly,
          THRESHOLD);

  /* Plot area: rows' guide lines and labels. */
  double y0 = top, y1 = top + plot_h;
  fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#444\"/>\n",
          left, y0, PLOT_W, plot_h);
  fputs("<g class=\"terms\">\n", f);
  for (size_t j = 0; j < b->nrows; j++) {
    double y = y0 + 4 + ROW_H * ((double)j + 0.5);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", left, y,
            left + PLOT_W, y);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" dy=\"0.35em\" text-anchor=\"end\">", left - 8, y);
    match_svg_text(f, b->rows[j].term);
    fputs("</text>\n", f);
  }
  fputs("</g>\n", f);

  /* Axis: ticks, grid, label. */
  fputs("<g class=\"axis\">\n", f);
  for (int k = 0; k <= nticks; k++) {
    double v = k * step, x = X(v);
    char lab[32];
    snprintf(lab, sizeof lab, "%.10g", v);
    if (k > 0 && k < nticks)
      fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#f0f0f0\"/>\n", x, y0, x, y1);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n", x, y1, x, y1 + 5);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x, y1 + 18, lab);
  }
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">Absolute standardised mean difference</text>\n",
          left + PLOT_W / 2, y1 + 40);
  fputs("</g>\n", f);
  fprintf(f,
          "<line class=\"threshold\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b22222\" "
          "stroke-dasharray=\"4 3\"/>\n",
          X(THRESHOLD), y0, X(THRESHOLD), y1);

  /* Markers: before (open), then after (filled) on top. */
  fputs("<g class=\"points\">\n", f);
  for (size_t j = 0; j < b->nrows; j++) {
    double y = y0 + 4 + ROW_H * ((double)j + 0.5);
    double a = fabs(b->rows[j].all.std_mean_diff), m = fabs(b->rows[j].matched.std_mean_diff);
    if (isfinite(a))
      fprintf(f,
              "<circle cx=\"%.2f\" cy=\"%.1f\" r=\"4.5\" fill=\"white\" stroke=\"#1f3b73\" "
              "stroke-width=\"1.5\"><title>%.4f before</title></circle>\n",
              X(a), y, a);
    if (isfinite(m))
      fprintf(f,
              "<circle cx=\"%.2f\" cy=\"%.1f\" r=\"4.5\" fill=\"#1f3b73\" stroke=\"#1f3b73\" "
              "stroke-width=\"1.5\"><title>%.4f after</title></circle>\n",
              X(m), y, m);
  }
  fputs("</g>\n</svg>\n", f);
#undef X
  if (ferror(f)) return peil_error(PEIL_EIO, "love plot: writing failed");
  return PEIL_OK;
}
