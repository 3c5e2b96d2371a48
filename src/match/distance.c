/* The distance matching runs on: a propensity score fitted by the model
 * module (logit or probit of the formula, on the probability scale or its
 * linear predictor) or a score the user gives.
 *
 * The model is fitted to exactly the units: the rows that pass the filter
 * and have every variable the units need (the --exact columns and a user
 * score too, so that a row dropped from matching is not in the fit either).
 * The model module reaches the maximum-likelihood fit (it takes IRLS steps
 * past R's convergence test), so scores agree with R's glm to about 1e-9
 * and with the exact optimum to the last digits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"

/* "(where) & !(a is missing) & ..." for the columns the units also need. */
static char *fit_filter(const char *where, const peil_match_load_options *lo) {
  size_t len = (where ? strlen(where) : 0) + 8;
  for (size_t k = 0; lo && k < lo->nexact; k++) len += strlen(lo->exact[k]) + 24;
  if (lo && lo->distance_column) len += strlen(lo->distance_column) + 24;
  char *s = malloc(len);
  if (!s) return NULL;
  size_t used = 0;
  s[0] = 0;
  if (where && *where) used += (size_t)snprintf(s, len, "(%s)", where);
  for (size_t k = 0; lo && k < lo->nexact; k++)
    used += (size_t)snprintf(s + used, len - used, "%s!(%s is missing)", used ? " & " : "", lo->exact[k]);
  if (lo && lo->distance_column)
    used += (size_t)snprintf(s + used, len - used, "%s!(%s is missing)", used ? " & " : "",
                             lo->distance_column);
  return s;
}

int peil_match_distance(peil_store *s, const char *table, const peil_match_data *d,
                        const peil_match_load_options *lo, const peil_match_options *o,
                        double *distance, peil_glm **fit) {
  if (fit) *fit = NULL;
  if (o->distance == PEIL_DISTANCE_USER) {
    if (!d->user_distance)
      return peil_error(PEIL_EINVAL, "a user score needs its column (--distance COLUMN)");
    memcpy(distance, d->user_distance, d->n * sizeof *distance);
    return PEIL_OK;
  }
  if (o->distance == PEIL_DISTANCE_MAHALANOBIS)
    return peil_error(PEIL_EINVAL, "Mahalanobis matching has no one-dimensional distance");
  const char *link = o->link && *o->link ? o->link : "logit";
  if (strcmp(link, "logit") && strcmp(link, "probit"))
    return peil_error(PEIL_EINVAL, "--link %s: the propensity score is a logit or probit model", link);
  peil_glm_options go;
  peil_glm_options_init(&go);
  go.formula = lo->formula;
  go.family = "binomial";
  go.link = link;
  go.threads = o->threads;
  char *where = fit_filter(lo->where, lo);
  if (!where) return peil_error(PEIL_ENOMEM, "out of memory");
  go.where = *where ? where : NULL;
  int64_t *rows = NULL;
  double *eta = NULL;
  go.fitted_rows = &rows;
  go.fitted_eta = &eta;
  peil_glm *g = NULL;
  int rc = peil_glm_fit(s, table, &go, &g);
  if (rc) peil_error_prefix(rc, "propensity score model '%s': ", lo->formula);
  /* The fit's rows are the units, both in table order. */
  if (!rc && (size_t)g->n_used != d->n)
    rc = peil_error(PEIL_EINTERNAL, "the score model used %lld rows for %zu units",
                    (long long)g->n_used, d->n);
  for (size_t i = 0; !rc && i < d->n; i++)
    if (rows[i] != d->row[i])
      rc = peil_error(PEIL_EINTERNAL, "the score model's row %lld is not unit %zu's row %lld",
                      (long long)rows[i], i, (long long)d->row[i]);
  if (!rc) {
    if (o->distance == PEIL_DISTANCE_GLM_LINEAR) memcpy(distance, eta, d->n * sizeof *distance);
    else g->family->linkinv(eta, distance, d->n);
  }
  free(rows), free(eta), free(where);
  if (!rc && fit) *fit = g;
  else peil_glm_free(g);
  return rc;
}
