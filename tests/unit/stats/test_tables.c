/* chisq.test and fisher.test against R (tests/reference/stats/cases.ini):
 * statistics, p-values, expected counts and residuals, the conditional MLE
 * of the odds ratio and its interval (R's uniroot steps, and the exact
 * roots with `precise`). */
#include "refcase.h"

static void test_chisq_reference(void **state) {
  (void)state;
  ref_cases l = ref_load("chisq");
  for (size_t i = 0; i < l.n; i++) {
    const ref_case *c = &l.c[i];
    double t[64], p[1];
    size_t nr = (size_t)ref_num(c, "nrow", 0), nc = (size_t)ref_num(c, "ncol", 0);
    assert_int_equal(ref_nums(c, "table", t, 64), nr * nc);
    peil_test_options o = ref_options(c, p, 1);
    peil_test_result r = {0};
    if (peil_stats_chisq_test(t, nr, nc, &o, &r)) fail_msg("%s: %s", c->name, peil_errmsg());
    ref_check_result(c, &r);
    assert_int_equal(r.nrow, nr);
    assert_int_equal(r.ncol, nc);
    assert_false(r.has_alternative);
    double sum = 0;
    for (size_t k = 0; k < nr * nc; k++) assert_true(r.observed[k] == t[k]), sum += t[k];
    assert_true(r.n_total == sum);
    peil_test_result_clear(&r);
  }
  ref_free(&l);
}

static void test_fisher_reference(void **state) {
  (void)state;
  ref_cases l = ref_load("fisher");
  for (size_t i = 0; i < l.n; i++) {
    const ref_case *c = &l.c[i];
    double t[4], p[1];
    assert_int_equal(ref_nums(c, "table", t, 4), 4);
    peil_test_options o = ref_options(c, p, 1);
    o.precise = (int)ref_num(c, "precise", 0);
    peil_test_result r = {0};
    if (peil_stats_fisher_test(t, &o, &r)) fail_msg("%s: %s", c->name, peil_errmsg());
    ref_check_result(c, &r);
    assert_null(r.statistic_name);
    assert_true(r.n_total == t[0] + t[1] + t[2] + t[3]);
    peil_test_result_clear(&r);
  }
  ref_free(&l);
}

/* R's uniroot and the exact roots differ (the reason for `precise`): on
 * the lopsided table, by more than 1e-6 relative in the interval. */
static void test_fisher_precise_differs(void **state) {
  (void)state;
  double t[4] = {10, 20, 30, 5};
  peil_test_options o;
  peil_test_options_init(&o);
  peil_test_result a = {0}, b = {0};
  assert_ok(peil_stats_fisher_test(t, &o, &a));
  o.precise = 1;
  assert_ok(peil_stats_fisher_test(t, &o, &b));
  assert_true(a.p_value == b.p_value);
  assert_true(fabs(a.conf_low / b.conf_low - 1) > 1e-6);
  assert_true(fabs(a.estimate[0] / b.estimate[0] - 1) < 1e-3);
  peil_test_result_clear(&a);
  peil_test_result_clear(&b);
}

/* A table of millions: the hypergeometric on the log scale does not
 * underflow into NaN; the p-value of a clear difference is below the
 * smallest double (0, as R gives). */
static void test_fisher_large(void **state) {
  (void)state;
  double t[4] = {1200000, 800000, 1000000, 1000000};
  peil_test_options o;
  peil_test_options_init(&o);
  peil_test_result r = {0};
  assert_ok(peil_stats_fisher_test(t, &o, &r));
  assert_true(r.p_value >= 0 && r.p_value < 1e-300);
  assert_close(r.estimate[0], 1.5, 1e-4); /* the sample odds ratio, about */
  assert_true(r.conf_low < r.estimate[0] && r.estimate[0] < r.conf_high);
  peil_test_result_clear(&r);
  double u[4] = {500000, 500000, 500000, 500000};
  assert_ok(peil_stats_fisher_test(u, &o, &r));
  assert_close(r.p_value, 1, 1e-9);
  assert_close(r.estimate[0], 1, 1e-9);
  peil_test_result_clear(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chisq_reference),
      cmocka_unit_test(test_fisher_reference),
      cmocka_unit_test(test_fisher_precise_differs),
      cmocka_unit_test(test_fisher_large),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  ref_report("chisq.test, fisher.test");
  return failed;
}
