/* chisq.test and fisher.test against R (tests/reference/stats/cases.ini):
 * statistics, p-values, expected counts and residuals, the conditional MLE
 * of the odds ratio and its interval (R's uniroot steps, and the exact
 * roots with `precise`). */
#include "refcase.h"

static double t[64];

static int run_chisq(const ref_case *c, const peil_test_options *o, peil_test_result *r) {
  size_t nr = (size_t)ref_num(c, "nrow", 0), nc = (size_t)ref_num(c, "ncol", 0);
  assert_int_equal(ref_nums(c, "table", t, 64), nr * nc);
  return peil_stats_chisq_test(t, nr, nc, o, r);
}

/* The table the test rests on comes with it. */
static void check_table(const ref_case *c, const peil_test_options *o, const peil_test_result *r) {
  (void)o;
  size_t cells = ref_nums(c, "table", t, 64);
  assert_int_equal(r->nrow * r->ncol, cells);
  double sum = 0;
  for (size_t k = 0; k < cells; k++) assert_true(r->observed[k] == t[k]), sum += t[k];
  assert_true(r->n_total == sum);
  assert_true(r->has_alternative == (r->statistic_name == NULL)); /* chisq has none, fisher one */
}

static int run_fisher(const ref_case *c, const peil_test_options *o, peil_test_result *r) {
  assert_int_equal(ref_nums(c, "table", t, 4), 4);
  peil_test_options po = *o;
  po.precise = (int)ref_num(c, "precise", 0);
  return peil_stats_fisher_test(t, &po, r);
}

static void test_chisq_reference(void **state) {
  (void)state;
  ref_run_all("chisq", run_chisq, check_table);
}

static void test_fisher_reference(void **state) {
  (void)state;
  ref_run_all("fisher", run_fisher, check_table);
}

/* R's uniroot and the exact roots differ (the reason for `precise`): on
 * the lopsided table, by more than 1e-6 relative in the interval. */
static void test_fisher_precise_differs(void **state) {
  (void)state;
  double a4[4] = {10, 20, 30, 5};
  peil_test_options o;
  peil_test_options_init(&o);
  peil_test_result a = {0}, b = {0};
  assert_ok(peil_stats_fisher_test(a4, &o, &a));
  o.precise = 1;
  assert_ok(peil_stats_fisher_test(a4, &o, &b));
  assert_true(a.p_value == b.p_value);
  assert_true(fabs(a.conf_low / b.conf_low - 1) > 1e-6);
  assert_true(fabs(a.estimate[0] / b.estimate[0] - 1) < 1e-3);
  peil_test_result_clear(&a);
  peil_test_result_clear(&b);
}

/* A table of 800,000: the hypergeometric on the log scale does not
 * underflow into NaN; the p-value of a clear difference is below the
 * smallest double (0, as R gives). */
static void test_fisher_large(void **state) {
  (void)state;
  double big[4] = {240000, 160000, 200000, 200000};
  peil_test_options o;
  peil_test_options_init(&o);
  peil_test_result r = {0};
  assert_ok(peil_stats_fisher_test(big, &o, &r));
  assert_true(r.p_value >= 0 && r.p_value < 1e-300);
  assert_close(r.estimate[0], 1.5, 1e-4); /* the sample odds ratio, about */
  assert_true(r.conf_low < r.estimate[0] && r.estimate[0] < r.conf_high);
  peil_test_result_clear(&r);
  double u[4] = {100000, 100000, 100000, 100000};
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
