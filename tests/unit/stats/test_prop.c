/* prop.test and binom.test against R (tests/reference/stats/cases.ini),
 * and the Wilson and Clopper-Pearson intervals alone. */
#include "refcase.h"

static double x[8], n[8];

static int run_prop(const ref_case *c, const peil_test_options *o, peil_test_result *r) {
  size_t k = ref_nums(c, "x", x, 8);
  assert_int_equal(ref_nums(c, "n", n, 8), k);
  return peil_stats_prop_test(x, n, k, o, r);
}

/* The numbers the test rests on. */
static void check_prop(const ref_case *c, const peil_test_options *o, const peil_test_result *r) {
  size_t k = ref_nums(c, "x", x, 8);
  assert_int_equal(r->ngroups, k);
  for (size_t g = 0; g < k; g++) assert_true(r->n[g] == n[g] && r->x[g] == x[g]);
  if (k == 2 && !o->p) ref_check(c, "difference", r->difference, x[0] / n[0] - x[1] / n[1]);
}

static int run_binom(const ref_case *c, const peil_test_options *o, peil_test_result *r) {
  return peil_stats_binom_test(ref_num(c, "x", NAN), ref_num(c, "n", NAN), o, r);
}

static void test_prop_reference(void **state) {
  (void)state;
  ref_run_all("prop", run_prop, check_prop);
}

static void test_binom_reference(void **state) {
  (void)state;
  ref_run_all("binom", run_binom, NULL);
}

/* The intervals alone give the tests' intervals: Wilson as prop.test(x, n)
 * (null p 0.5), Clopper-Pearson as binom.test. */
static void test_intervals(void **state) {
  (void)state;
  ref_cases l = ref_load("prop");
  size_t checked = 0;
  for (size_t i = 0; i < l.n; i++) {
    const ref_case *c = &l.c[i];
    double p[8], lo, hi;
    if (ref_nums(c, "x", x, 8) != 1 || ref_get(c, "p")) continue;
    ref_nums(c, "n", n, 8);
    peil_test_options o = ref_options(c, p, 8);
    assert_ok(peil_stats_wilson(x[0], n[0], o.conf_level, o.alternative, o.correct, &lo, &hi));
    ref_check(c, "wilson low", lo, ref_num(c, "conf_low", NAN));
    ref_check(c, "wilson high", hi, ref_num(c, "conf_high", NAN));
    checked++;
  }
  ref_free(&l);
  assert_true(checked >= 8);
  l = ref_load("binom");
  for (size_t i = 0; i < l.n; i++) {
    const ref_case *c = &l.c[i];
    double p[1], lo, hi;
    peil_test_options o = ref_options(c, p, 1);
    assert_ok(peil_stats_clopper_pearson(ref_num(c, "x", NAN), ref_num(c, "n", NAN), o.conf_level,
                                         o.alternative, &lo, &hi));
    ref_check(c, "clopper-pearson low", lo, ref_num(c, "conf_low", NAN));
    ref_check(c, "clopper-pearson high", hi, ref_num(c, "conf_high", NAN));
  }
  ref_free(&l);
}

/* The brief's example, spelled out: 71 vs 55 exits of 300 each. */
static void test_seed004(void **state) {
  (void)state;
  double xs[2] = {71, 55}, ns[2] = {300, 300};
  peil_test_options o;
  peil_test_options_init(&o);
  o.correct = 0;
  peil_test_result r = {0};
  assert_ok(peil_stats_prop_test(xs, ns, 2, &o, &r));
  assert_string_equal(r.method, "2-sample test for equality of proportions without continuity correction");
  assert_string_equal(r.statistic_name, "X-squared");
  assert_close(r.z * r.z, r.statistic, 1e-14);
  assert_close(r.z, 1.6036927448647031, 1e-12);
  assert_close(r.p_value, 0.1087817958992733, 1e-12);
  assert_close(r.n_total, 600, 0);
  assert_string_equal(r.estimate_name[0], "prop 1");
  assert_string_equal(r.estimate_name[1], "prop 2");
  assert_int_equal(r.nwarnings, 0);
  peil_test_result_clear(&r);
  peil_test_result_clear(&r); /* clearing twice is harmless */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prop_reference),
      cmocka_unit_test(test_binom_reference),
      cmocka_unit_test(test_intervals),
      cmocka_unit_test(test_seed004),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  ref_report("prop.test, binom.test");
  return failed;
}
