/* IPW and augmented IPW against tests/reference/matching/ipw/<dataset>.csv
 * (R: lm with weights, sandwich::vcovHC, the M-estimation sandwich and the
 * AIPW influence function of make_expected.R) on the main formula's
 * maximum-likelihood score (scores/<dataset>.csv, ps_mle): every row's
 * estimate and standard error to 1e-8 relative. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit/match/refcase.h"

#define RTOL 1e-8

static double rel_err(double got, double want) {
  if (isnan(want) || isnan(got)) return isnan(want) && isnan(got) ? 0 : INFINITY;
  return fabs(got - want) / fmax(fabs(want), 1e-300);
}

static peil_se_kind se_of(const char *v) {
  return strcmp(v, "HC0") == 0    ? PEIL_SE_HC0
         : strcmp(v, "HC1") == 0  ? PEIL_SE_HC1
         : strcmp(v, "mest") == 0 ? PEIL_SE_MEST
                                  : PEIL_SE_INFLUENCE;
}

static void test_reference_weighting(void **state) {
  (void)state;
  ref_case *cases = NULL;
  size_t ncases = 0;
  assert_int_equal(ref_cases_load(&cases, &ncases), 0);
  peil_store *s = ref_store();
  static const char *datasets[] = {"lalonde", "stip", "ties"};
  size_t failures = 0, ncompared = 0;
  double worst_est = 0, worst_se = 0;
  for (size_t k = 0; k < 3; k++) {
    /* a case on the main formula: subclassification on ps, ATT */
    char name[96];
    snprintf(name, sizeof name, "%s_subclass6_ps_att", datasets[k]);
    const ref_case *c = NULL;
    for (size_t i = 0; i < ncases; i++)
      if (strcmp(cases[i].name, name) == 0) c = &cases[i];
    assert_non_null(c);
    peil_match_data *d = ref_case_data(c, s);
    assert_non_null(d);
    size_t nps = 0;
    double *ps = ref_scores(c, s, "ps_mle", &nps);
    assert_non_null(ps);
    assert_int_equal(nps, d->n);
    char rel[128], table[64];
    snprintf(rel, sizeof rel, "ipw/%s.csv", datasets[k]);
    snprintf(table, sizeof table, "ipw_%s", datasets[k]);
    assert_int_equal(ref_import(s, rel, table), 0);
    size_t nr = 0;
    char **outcome = ref_text_column(s, table, "outcome", &nr);
    char **estimand = ref_text_column(s, table, "estimand", NULL);
    char **estimator = ref_text_column(s, table, "estimator", NULL);
    char **quantity = ref_text_column(s, table, "quantity", NULL);
    char **vcov = ref_text_column(s, table, "vcov", NULL);
    double *est = ref_column(s, table, "estimate", NULL), *se = ref_column(s, table, "std_error", NULL);
    for (int a = 0; a < 2; a++) {
      const char *an = a ? "ATT" : "ATE";
      peil_effect_options o;
      peil_effect_options_init(&o);
      o.threads = 2;
      peil_match_effects *e = NULL;
      if (peil_match_weighting(d, ps, a ? PEIL_ATT : PEIL_ATE, &o, &e)) fail_msg("%s", peil_errmsg());
      size_t matched = 0;
      for (size_t q = 0; q < nr; q++) {
        if (strcmp(estimand[q], an)) continue;
        peil_effect_estimator ek = strcmp(estimator[q], "ipw") == 0 ? PEIL_EFFECT_IPW : PEIL_EFFECT_AIPW;
        peil_se_kind sk = se_of(vcov[q]);
        const peil_effect_row *row = NULL;
        for (size_t j = 0; j < e->nrows && !row; j++) {
          const peil_effect_row *x = &e->rows[j];
          if (!strcmp(x->outcome, outcome[q]) && x->estimator == ek && x->se == sk &&
              !strcmp(x->quantity, quantity[q]))
            row = x;
        }
        if (!row) {
          fprintf(stderr, "%s %s: no row %s %s %s %s\n", datasets[k], an, outcome[q], estimator[q],
                  quantity[q], vcov[q]);
          failures++;
          continue;
        }
        matched++, ncompared++;
        double ee = rel_err(row->estimate, est[q]), es = rel_err(row->std_error, se[q]);
        worst_est = fmax(worst_est, ee), worst_se = fmax(worst_se, es);
        if (ee > RTOL || es > RTOL) {
          fprintf(stderr, "%s %s %s %s %s %s: estimate %.17g (R %.17g), std_error %.17g (R %.17g)\n",
                  datasets[k], an, outcome[q], estimator[q], quantity[q], vcov[q], row->estimate,
                  est[q], row->std_error, se[q]);
          failures++;
        }
      }
      /* nothing beyond the reference's rows */
      if (matched != e->nrows) {
        fprintf(stderr, "%s %s: %zu rows, %zu in the reference\n", datasets[k], an, e->nrows, matched);
        failures++;
      }
      peil_match_effects_free(e);
    }
    ref_strings_free(outcome, nr), ref_strings_free(estimand, nr), ref_strings_free(estimator, nr);
    ref_strings_free(quantity, nr), ref_strings_free(vcov, nr);
    free(est), free(se), free(ps);
    peil_match_data_free(d);
  }
  fprintf(stderr, "%zu rows: largest relative error of an estimate %.3g, of a standard error %.3g\n",
          ncompared, worst_est, worst_se);
  assert_int_equal(failures, 0);
  peil_store_close(s);
  free(cases);
}

/* Bad scores are input errors. */
static void test_bad_scores(void **state) {
  (void)state;
  ref_case *cases = NULL;
  size_t ncases = 0;
  assert_int_equal(ref_cases_load(&cases, &ncases), 0);
  peil_store *s = ref_store();
  const ref_case *c = NULL;
  for (size_t i = 0; i < ncases; i++)
    if (strcmp(cases[i].name, "ties_subclass6_ps_att") == 0) c = &cases[i];
  assert_non_null(c);
  peil_match_data *d = ref_case_data(c, s);
  assert_non_null(d);
  double *ps = ref_scores(c, s, "ps_mle", NULL);
  ps[3] = 1;
  peil_match_effects *e = NULL;
  assert_int_equal(peil_match_weighting(d, ps, PEIL_ATE, NULL, &e), PEIL_EDATA);
  assert_null(e);
  assert_non_null(strstr(peil_errmsg(), "row 4"));
  free(ps);
  peil_match_data_free(d);
  peil_store_close(s);
  free(cases);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reference_weighting),
      cmocka_unit_test(test_bad_scores),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
