/* t.test (data and summaries), wilcox.test and pwilcox against R
 * (tests/reference/stats/cases.ini), and the root finder that reproduces
 * R's uniroot. */
#include <float.h>

#include "refcase.h"
#include "stats/stats_internal.h"

#define MAXV 2048

static void test_t_reference(void **state) {
  (void)state;
  ref_cases l = ref_load("t");
  static double x[MAXV], y[MAXV];
  for (size_t i = 0; i < l.n; i++) {
    const ref_case *c = &l.c[i];
    double p[1];
    size_t nx = ref_nums(c, "x", x, MAXV), ny = ref_nums(c, "y", y, MAXV);
    peil_test_options o = ref_options(c, p, 1);
    peil_test_result r = {0};
    if (peil_stats_t_test(x, nx, y, ny, &o, &r)) fail_msg("%s: %s", c->name, peil_errmsg());
    ref_check_result(c, &r);
    assert_true(r.n[0] == (double)nx && r.n[1] == (double)ny);
    ref_check(c, "difference", r.difference, r.estimate[0] - r.estimate[1]);
    peil_test_result_clear(&r);
  }
  ref_free(&l);
}

static void test_t_summary_reference(void **state) {
  (void)state;
  ref_cases l = ref_load("t_summary");
  for (size_t i = 0; i < l.n; i++) {
    const ref_case *c = &l.c[i];
    double p[1], sx[3], sy[3];
    assert_int_equal(ref_nums(c, "sx", sx, 3), 3);
    assert_int_equal(ref_nums(c, "sy", sy, 3), 3);
    peil_group_summary gx = {sx[0], sx[1], sx[2]}, gy = {sy[0], sy[1], sy[2]};
    peil_test_options o = ref_options(c, p, 1);
    peil_test_result r = {0};
    if (peil_stats_t_test_summary(&gx, &gy, &o, &r)) fail_msg("%s: %s", c->name, peil_errmsg());
    ref_check_result(c, &r);
    peil_test_result_clear(&r);
  }
  ref_free(&l);
}

/* NaN values are dropped, as R's t.test drops NA. */
static void test_t_drops_nan(void **state) {
  (void)state;
  double x[] = {1.5, NAN, 2.5, 3.1, 2.2}, y[] = {0.5, 1.1, NAN, 0.7}, xc[] = {1.5, 2.5, 3.1, 2.2},
         yc[] = {0.5, 1.1, 0.7};
  peil_test_result a = {0}, b = {0};
  assert_ok(peil_stats_t_test(x, 5, y, 4, NULL, &a));
  assert_ok(peil_stats_t_test(xc, 4, yc, 3, NULL, &b));
  assert_true(a.statistic == b.statistic && a.p_value == b.p_value && a.n[0] == 4 && a.n[1] == 3);
  peil_test_result_clear(&a);
  peil_test_result_clear(&b);
}

static void test_wilcox_reference(void **state) {
  (void)state;
  ref_cases l = ref_load("wilcox");
  static double x[MAXV], y[MAXV];
  for (size_t i = 0; i < l.n; i++) {
    const ref_case *c = &l.c[i];
    double p[1];
    size_t nx = ref_nums(c, "x", x, MAXV), ny = ref_nums(c, "y", y, MAXV);
    peil_test_options o = ref_options(c, p, 1);
    peil_test_result r = {0};
    if (peil_stats_wilcox_test(x, nx, y, ny, &o, &r)) fail_msg("%s: %s", c->name, peil_errmsg());
    ref_check_result(c, &r);
    peil_test_result_clear(&r);
  }
  ref_free(&l);
}

static void test_pwilcox_reference(void **state) {
  (void)state;
  ref_cases l = ref_load("pwilcox");
  for (size_t i = 0; i < l.n; i++) {
    const ref_case *c = &l.c[i];
    size_t m = (size_t)ref_num(c, "m", 0), n = (size_t)ref_num(c, "n", 0);
    double q = ref_num(c, "q", NAN), lo, up;
    assert_ok(peil_stats_pwilcox(q, m, n, 0, &lo));
    assert_ok(peil_stats_pwilcox(q, m, n, 1, &up));
    ref_check(c, "lower", lo, ref_num(c, "lower", NAN));
    ref_check(c, "upper", up, ref_num(c, "upper", NAN));
  }
  ref_free(&l);
}

/* The counts are symmetric and sum to C(m + n, n): 4 and 6 give 210. */
static void test_wilcox_counts(void **state) {
  (void)state;
  double c[25], s = 0;
  assert_ok(stats_wilcox_counts(4, 6, 24, c));
  for (int k = 0; k <= 24; k++) s += c[k], assert_true(c[k] == c[24 - k]);
  assert_true(s == 210);
  assert_true(c[0] == 1 && c[1] == 1 && c[2] == 2 && c[12] == 18);
  /* Too much counting is refused, not attempted. */
  assert_int_equal(stats_wilcox_counts(1000, 1000, 500000, c), PEIL_EINVAL);
}

static double fn(const char *name, double x) {
  if (strcmp(name, "cubic") == 0) return x * x * x - 2;
  if (strcmp(name, "cosine") == 0) return cos(x) - x;
  if (strcmp(name, "exp5") == 0) return exp(x) - 5;
  if (strcmp(name, "steep") == 0) return atan(1000 * (x - 0.3141));
  if (strcmp(name, "flat") == 0) return pow(x - 0.7, 5);
  if (strcmp(name, "logistic") == 0) return 1 / (1 + exp(-x)) - 0.975;
  fail_msg("unknown function %s", name);
  return NAN;
}

static double call(double x, void *ctx) { return fn(ctx, x); }

/* R's uniroot, step for step: the same root to the last bits, not merely
 * within its tolerance of 1.2e-4. */
static void test_uniroot_reference(void **state) {
  (void)state;
  ref_cases l = ref_load("uniroot");
  for (size_t i = 0; i < l.n; i++) {
    const ref_case *c = &l.c[i];
    double root;
    assert_ok(stats_uniroot(call, (void *)ref_get(c, "fn"), ref_num(c, "lower", NAN), ref_num(c, "upper", NAN), &root));
    double want = ref_num(c, "root", NAN);
    if (fabs(root - want) > 1e-14 * fmax(1, fabs(want)))
      fail_msg("%s: root %.17g, R's uniroot %.17g", c->name, root, want);
    /* the exact root is elsewhere, within the tolerance */
    double exact;
    assert_ok(stats_root_precise(call, (void *)ref_get(c, "fn"), ref_num(c, "lower", NAN), ref_num(c, "upper", NAN), &exact));
    assert_true(fabs(exact - want) < 2.5e-4);
  }
  ref_free(&l);
  double r;
  assert_int_equal(stats_uniroot(call, "cubic", 2, 3, &r), PEIL_ENUMERIC); /* no sign change */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_t_reference),        cmocka_unit_test(test_t_summary_reference),
      cmocka_unit_test(test_t_drops_nan),        cmocka_unit_test(test_wilcox_reference),
      cmocka_unit_test(test_pwilcox_reference),  cmocka_unit_test(test_wilcox_counts),
      cmocka_unit_test(test_uniroot_reference),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  ref_report("t.test, wilcox.test, pwilcox");
  return failed;
}
