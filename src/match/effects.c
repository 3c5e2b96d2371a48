/* peil_match_effects_compute: per outcome, the weighted difference in means,
 * the regression-adjusted and the g-computation estimate on the matched
 * sample, each with the standard errors that apply:
 *
 *   CR1        cluster-robust on the pair / matched set / stratum / subclass
 *              (sandwich::vcovCL, type HC1), where every unit has one;
 *   HC1, HC3   sandwich::vcovHC (HC3: NaN where a hat value is 1 to rounding);
 *   Abadie-Imbens  the difference in means after nearest neighbour matching
 *              with replacement (abadie_imbens.c);
 *   bootstrap  when asked: the matched sets resampled (bootstrap.c).
 *
 * The regressions run through peil_glm_fit (effects_regress.c), on the
 * sample built in effects_sample.c. */
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "effects_internal.h"

void peil_effect_options_init(peil_effect_options *o) {
  memset(o, 0, sizeof *o);
  o->conf_level = 0.95;
  o->variance_matches = 2;
}

void peil_match_effects_free(peil_match_effects *e) {
  if (!e) return;
  for (size_t i = 0; i < e->nrows; i++) free((char *)e->rows[i].outcome);
  free(e->rows);
  for (size_t i = 0; i < e->nwarnings; i++) free(e->warnings[i]);
  free(e->warnings);
  free(e);
}

int eff_add_warning(peil_match_effects *e, const char *fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  /* the same message once */
  for (size_t i = 0; i < e->nwarnings; i++)
    if (!strcmp(e->warnings[i], buf)) return PEIL_OK;
  return peil_strings_addf(&e->warnings, &e->nwarnings, "%s", buf);
}

void eff_fill_stats(peil_effect_row *row, double conf_level) {
  double est = row->estimate, se = row->std_error;
  row->statistic = est / se;
  row->p_value = 2 * gsl_cdf_ugaussian_Q(fabs(row->statistic));
  double q = gsl_cdf_ugaussian_Qinv((1 - conf_level) / 2);
  row->conf_low = est - q * se;
  row->conf_high = est + q * se;
  if (isnan(se)) row->statistic = row->p_value = row->conf_low = row->conf_high = NAN;
}

int eff_add_row(peil_match_effects *e, const peil_effect_row *proto, double conf_level) {
  peil_effect_row *v = realloc(e->rows, (e->nrows + 1) * sizeof *v);
  if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
  e->rows = v;
  peil_effect_row *row = &v[e->nrows];
  *row = *proto;
  if (!(row->outcome = strdup(proto->outcome))) return peil_error(PEIL_ENOMEM, "out of memory");
  e->nrows++;
  eff_fill_stats(row, conf_level);
  return PEIL_OK;
}

static const char *estimator_name(peil_effect_estimator est) {
  switch (est) {
  case PEIL_EFFECT_DIFF_MEANS: return "difference in means";
  case PEIL_EFFECT_LM_ADJUSTED: return "regression adjustment";
  case PEIL_EFFECT_GCOMP: return "g-computation";
  case PEIL_EFFECT_IPW: return "IPW";
  default: return "augmented IPW";
  }
}

static const char *se_name(peil_se_kind se) {
  switch (se) {
  case PEIL_SE_CLUSTER: return "CR1";
  case PEIL_SE_HC1: return "HC1";
  case PEIL_SE_HC3: return "HC3";
  case PEIL_SE_HC0: return "HC0";
  default: return "";
  }
}

/* The rows of one outcome. */
static int outcome_rows(const peil_match_data *d, const peil_match_result *r,
                        const peil_effect_options *o, size_t k, peil_match_effects *e) {
  const char *name = d->outcome_name[k];
  eff_sample s;
  int rc = eff_sample_build(d, r, k, &s);
  if (rc) return rc;
  if (s.n_treated == 0 || s.n_control == 0) {
    rc = eff_add_warning(e, "%s: no effect estimates, the matched sample has no %s with the "
                         "outcome", name, s.n_treated == 0 ? "treated units" : "controls");
    eff_sample_free(&s);
    return rc;
  }
  eff_store *st = NULL;
  if ((rc = eff_store_open(&s, &st))) {
    eff_sample_free(&s);
    return rc;
  }
  peil_effect_row proto = {0};
  proto.outcome = name;
  proto.quantity = "effect";
  proto.n_treated = (int64_t)s.n_treated;
  proto.n_control = (int64_t)s.n_control;
  proto.n_control_eff = s.n_control_eff;
  proto.n_clusters = (int64_t)s.ncl;
  double dm = eff_diff_means(&s);
  peil_se_kind kinds[3];
  size_t nk = 0;
  if (s.cl) kinds[nk++] = PEIL_SE_CLUSTER;
  kinds[nk++] = PEIL_SE_HC1;
  kinds[nk++] = PEIL_SE_HC3;
  /* Abadie-Imbens after nearest neighbour with replacement (no subclasses) */
  int ai = r->method == PEIL_MATCH_NEAREST && r->pairs && !s.cl;
  double bse[3] = {NAN, NAN, NAN};
  int64_t nrep[3] = {0, 0, 0}, nbcl = 0;
  if (o->bootstrap > 0) rc = eff_bootstrap(r, &s, o, bse, nrep, &nbcl);
  if (!rc && o->bootstrap > 0 && ai)
    rc = eff_add_warning(e, "%s, bootstrap: the matched sets share controls (matching with "
                         "replacement), which resampling sets ignores: the bootstrap understates "
                         "the variance (Abadie and Imbens 2008); the Abadie-Imbens standard error "
                         "accounts for it", name);
  static const peil_effect_estimator ests[3] = {PEIL_EFFECT_DIFF_MEANS, PEIL_EFFECT_LM_ADJUSTED,
                                                PEIL_EFFECT_GCOMP};
  for (size_t a = 0; a < 3 && !rc; a++) {
    peil_effect_row row = proto;
    row.estimator = ests[a];
    double first_est = NAN;
    for (size_t b = 0; b < nk && !rc; b++) {
      char note[1024];
      row.se = kinds[b];
      rc = eff_regress(st, ests[a], kinds[b], o->threads, &row.estimate, &row.std_error, note,
                       sizeof note);
      if (rc) {
        rc = peil_error_prefix(rc, "%s, %s (%s): ", name, estimator_name(ests[a]),
                               se_name(kinds[b]));
        break;
      }
      if (ests[a] == PEIL_EFFECT_DIFF_MEANS) row.estimate = dm;
      if (b == 0) first_est = row.estimate;
      if (note[0]) rc = eff_add_warning(e, "%s, %s: %s", name, estimator_name(ests[a]), note);
      if (!rc) rc = eff_add_row(e, &row, o->conf_level);
    }
    if (!rc && a == 0 && ai) {
      char note[512];
      int64_t nf = 0;
      double aest = NAN;
      row.se = PEIL_SE_ABADIE_IMBENS;
      row.n_clusters = 0;
      rc = eff_abadie_imbens(d, r, d->outcome[k], o->variance_matches, &aest, &row.std_error, &nf,
                             note, sizeof note);
      row.estimate = dm;
      if (!rc && note[0]) rc = eff_add_warning(e, "%s, Abadie-Imbens: %s", name, note);
      if (!rc) rc = eff_add_row(e, &row, o->conf_level);
      row.n_clusters = proto.n_clusters;
    }
    if (!rc && o->bootstrap > 0) {
      row.se = PEIL_SE_BOOTSTRAP;
      row.estimate = a == 0 ? dm : first_est;
      row.std_error = bse[a];
      row.n_clusters = nbcl;
      row.n_replicates = nrep[a];
      if ((size_t)nrep[a] < o->bootstrap)
        rc = eff_add_warning(e, "%s, %s, bootstrap: %lld of %zu replicates had no estimate "
                             "(a replicate without treated units or controls, or aliased)",
                             name, estimator_name(ests[a]),
                             (long long)((int64_t)o->bootstrap - nrep[a]), o->bootstrap);
      if (!rc) rc = eff_add_row(e, &row, o->conf_level);
    }
  }
  eff_store_close(st);
  eff_sample_free(&s);
  return rc;
}

int peil_match_effects_compute(const peil_match_data *d, const peil_match_result *r,
                               const peil_effect_options *o, peil_match_effects **out) {
  *out = NULL;
  peil_effect_options def;
  if (!o) {
    peil_effect_options_init(&def);
    o = &def;
  }
  if (!(o->conf_level > 0 && o->conf_level < 1))
    return peil_error(PEIL_EINVAL, "the confidence level must lie between 0 and 1 (got %g)",
                      o->conf_level);
  if (r->n != d->n)
    return peil_error(PEIL_EINVAL, "the matching result has %zu units, the data %zu", r->n, d->n);
  if (!r->weight) return peil_error(PEIL_EINVAL, "the matching result has no weights");
  peil_match_effects *e = calloc(1, sizeof *e);
  if (!e) return peil_error(PEIL_ENOMEM, "out of memory");
  int rc = PEIL_OK;
  for (size_t k = 0; k < d->nout && !rc; k++) rc = outcome_rows(d, r, o, k, e);
  if (rc) {
    peil_match_effects_free(e);
    return rc;
  }
  *out = e;
  return PEIL_OK;
}
