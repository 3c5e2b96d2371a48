/* The result every test fills, the options' defaults, and their names. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_internal.h"

static const char *const alternatives[] = {"two.sided", "less", "greater"};

const char *peil_alternative_name(peil_alternative a) {
  return (unsigned)a < 3 ? alternatives[a] : "?";
}

int peil_alternative_from_name(const char *name) {
  for (int i = 0; i < 3; i++)
    if (strcmp(name, alternatives[i]) == 0) return i;
  /* R's own abbreviations (match.arg): "two", "t", "l", "g". */
  size_t len = strlen(name);
  for (int i = 0; len && i < 3; i++)
    if (strncmp(name, alternatives[i], len) == 0) return i;
  return -1;
}

void peil_test_options_init(peil_test_options *o) {
  memset(o, 0, sizeof *o);
  o->alternative = PEIL_TWO_SIDED;
  o->conf_level = 0.95;
  o->correct = 1;
  o->exact = PEIL_EXACT_AUTO;
  o->odds_ratio = 1;
}

int stats_options(const peil_test_options *o, peil_test_options *out) {
  if (o) *out = *o;
  else peil_test_options_init(out);
  if (!(out->conf_level > 0 && out->conf_level < 1))
    return peil_error(PEIL_EINVAL, "the confidence level must be between 0 and 1, not %g", out->conf_level);
  if ((unsigned)out->alternative > PEIL_GREATER)
    return peil_error(PEIL_EINVAL, "unknown alternative %d", (int)out->alternative);
  if (!isfinite(out->mu)) return peil_error(PEIL_EINVAL, "mu must be a finite number, not %g", out->mu);
  return PEIL_OK;
}

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; v && i < n; i++) free(v[i]);
  free(v);
}

void peil_test_result_clear(peil_test_result *r) {
  if (!r) return;
  free(r->estimate);
  free_strings(r->estimate_name, r->nestimate);
  free(r->null_value);
  free(r->n), free(r->x);
  free(r->observed), free(r->expected), free(r->residuals), free(r->stdres);
  free_strings(r->warnings, r->nwarnings);
  memset(r, 0, sizeof *r);
}

void stats_result_start(peil_test_result *r, const char *method, const peil_test_options *o,
                        int has_alternative) {
  memset(r, 0, sizeof *r);
  snprintf(r->method, sizeof r->method, "%s", method);
  r->has_alternative = has_alternative;
  r->alternative = has_alternative ? o->alternative : PEIL_TWO_SIDED;
  r->statistic = r->z = r->parameter = r->p_value = NAN;
  r->difference = r->conf_level = r->conf_low = r->conf_high = r->std_error = NAN;
  r->n_total = NAN;
}

int stats_result_estimates(peil_test_result *r, size_t k, const char *name, int numbered) {
  r->estimate = calloc(k, sizeof *r->estimate);
  r->estimate_name = calloc(k, sizeof *r->estimate_name);
  if (!r->estimate || !r->estimate_name) return peil_error(PEIL_ENOMEM, "out of memory");
  r->nestimate = k;
  for (size_t i = 0; i < k; i++) {
    char buf[64];
    if (numbered) snprintf(buf, sizeof buf, "%s %zu", name, i + 1);
    else snprintf(buf, sizeof buf, "%s", name);
    r->estimate[i] = NAN;
    if (!(r->estimate_name[i] = strdup(buf))) return peil_error(PEIL_ENOMEM, "out of memory");
  }
  return PEIL_OK;
}

int stats_result_rename(peil_test_result *r, size_t i, const char *name) {
  char *s = strdup(name);
  if (!s) return peil_error(PEIL_ENOMEM, "out of memory");
  free(r->estimate_name[i]);
  r->estimate_name[i] = s;
  return PEIL_OK;
}

int stats_result_groups(peil_test_result *r, size_t ngroups, const double *n, const double *x) {
  r->n = malloc(ngroups * sizeof *r->n);
  r->x = malloc(ngroups * sizeof *r->x);
  if (!r->n || !r->x) return peil_error(PEIL_ENOMEM, "out of memory");
  r->ngroups = ngroups;
  r->n_total = 0;
  for (size_t i = 0; i < ngroups; i++) {
    r->n[i] = n[i];
    r->x[i] = x ? x[i] : NAN;
    r->n_total += n[i];
  }
  return PEIL_OK;
}

int stats_result_nulls(peil_test_result *r, size_t k, const double *v, const char *name) {
  if (!(r->null_value = malloc(k * sizeof *r->null_value))) return peil_error(PEIL_ENOMEM, "out of memory");
  memcpy(r->null_value, v, k * sizeof *v);
  r->nnull = k;
  r->null_name = name;
  return PEIL_OK;
}

int stats_result_warn(peil_test_result *r, const char *msg) {
  return peil_strings_addf(&r->warnings, &r->nwarnings, "%s", msg);
}

int stats_is_count(double v) {
  return isfinite(v) && v >= 0 && fabs(v - nearbyint(v)) <= 1e-7;
}
