/* peil's own propensity score (peil_match_distance with the logit model of
 * the formula) against the maximum-likelihood scores of the reference set
 * (scores/<dataset>.csv, ps_mle and lp_mle: R's glm run to epsilon 1e-14),
 * and matching on it: wherever info.csv says the rule gives the same
 * pairs / subclasses on the maximum-likelihood scores, peil's own score
 * gives exactly the reference result too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit/match/refcase.h"

static const struct {
  const char *dataset, *formula;
} models[] = {
    {"lalonde", "treat ~ age + educ + race + married + nodegree + re74 + re75"},
    {"stip", "treat ~ age + sex + migration + education + municipality + duration + worked"},
    {"ties", "treat ~ age_band + sex + region + children"},
};

/* info.csv's value of key, NaN if absent. */
static double info_value(const ref_case *c, peil_store *s, const char *key) {
  const char *t = ref_expected_table(c, s, "info");
  size_t n = 0;
  char **k = ref_text_column(s, t, "key", &n);
  double *v = ref_column(s, t, "value", NULL), out = NAN;
  for (size_t j = 0; j < n; j++)
    if (strcmp(k[j], key) == 0) out = v[j];
  ref_strings_free(k, n), free(v);
  return out;
}

static void test_logit_score(void **state) {
  (void)state;
  peil_store *s = ref_store();
  for (size_t m = 0; m < 3; m++) {
    ref_case c = {0};
    snprintf(c.dataset, sizeof c.dataset, "%s", models[m].dataset);
    snprintf(c.data, sizeof c.data, "%s.csv", models[m].dataset);
    snprintf(c.formula, sizeof c.formula, "%s", models[m].formula);
    peil_match_data *d = ref_case_data(&c, s);
    assert_non_null(d);
    peil_match_load_options lo = {c.formula, NULL, NULL, 0, NULL, NULL, 0, 0};
    peil_match_options o;
    peil_match_options_init(&o);
    double *ps = malloc(d->n * sizeof *ps), *lp = malloc(d->n * sizeof *lp);
    assert_int_equal(peil_match_distance(s, c.dataset, d, &lo, &o, ps, NULL), 0);
    o.distance = PEIL_DISTANCE_GLM_LINEAR;
    assert_int_equal(peil_match_distance(s, c.dataset, d, &lo, &o, lp, NULL), 0);
    double *ps_mle = ref_scores(&c, s, "ps_mle", NULL), *lp_mle = ref_scores(&c, s, "lp_mle", NULL);
    double worst_ps = 0, worst_lp = 0;
    for (size_t i = 0; i < d->n; i++) {
      worst_ps = fmax(worst_ps, fabs(ps[i] - ps_mle[i]) / fmax(1e-3, fabs(ps_mle[i])));
      worst_lp = fmax(worst_lp, fabs(lp[i] - lp_mle[i]) / fmax(1, fabs(lp_mle[i])));
    }
    fprintf(stderr, "%s: largest relative difference from the ML score: ps %.3g, lp %.3g\n",
            c.dataset, worst_ps, worst_lp);
    assert_true(worst_ps < 1e-10);
    assert_true(worst_lp < 1e-10);
    free(ps), free(lp), free(ps_mle), free(lp_mle);
    peil_match_data_free(d);
  }
  peil_store_close(s);
}

/* Matching on peil's own score gives the reference pairs and subclasses
 * wherever the reference's ML scores do. */
static void test_matching_on_own_score(void **state) {
  (void)state;
  ref_case *cases = NULL;
  size_t ncases = 0, checked = 0;
  assert_int_equal(ref_cases_load(&cases, &ncases), 0);
  peil_store *s = ref_store();
  for (size_t ci = 0; ci < ncases; ci++) {
    const ref_case *c = &cases[ci];
    if (!*c->distance) continue;
    const char *key = strcmp(c->method, "nearest") == 0 ? "same_pairs_with_mle_scores"
                                                        : "same_subclasses_with_mle_scores";
    if (info_value(c, s, key) != 1) continue;
    peil_match_data *d = ref_case_data(c, s);
    peil_match_result *want = ref_case_expected(c, d, s);
    peil_match_load_options lo = {c->formula, NULL, NULL, 0, NULL, NULL, 0, 0};
    peil_match_options o;
    ref_cut_store cs;
    ref_case_options(c, &o, &cs);
    o.distance = strcmp(c->distance, "lp") == 0 ? PEIL_DISTANCE_GLM_LINEAR : PEIL_DISTANCE_GLM;
    double *dist = malloc(d->n * sizeof *dist);
    assert_int_equal(peil_match_distance(s, c->dataset, d, &lo, &o, dist, NULL), 0);
    peil_match_result *got = NULL;
    assert_int_equal(peil_match_run(d, dist, &o, &got), 0);
    size_t diff = 0;
    for (size_t i = 0; i < d->n; i++) diff += got->discarded[i] != want->discarded[i];
    for (size_t i = 0; i < d->n; i++) diff += fabs(got->weight[i] - want->weight[i]) > 1e-12;
    for (size_t q = 0; got->pairs && q < got->n_treated * got->ratio; q++) diff += got->pairs[q] != want->pairs[q];
    if (diff) fprintf(stderr, "%s: %zu differences on peil's own score\n", c->name, diff);
    assert_int_equal(diff, 0);
    checked++;
    free(dist);
    peil_match_result_free(got), peil_match_result_free(want);
    peil_match_data_free(d);
  }
  fprintf(stderr, "%zu cases match the reference on peil's own score\n", checked);
  assert_true(checked >= 60);
  peil_store_close(s);
  free(cases);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_logit_score),
      cmocka_unit_test(test_matching_on_own_score),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
