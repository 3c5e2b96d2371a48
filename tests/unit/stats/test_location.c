/* t.test (data and summaries), wilcox.test and pwilcox against R
 * (tests/reference/stats/cases.ini), and the root finder that reproduces
 * R's uniroot. */
#include <float.h>

#include "refcase.h"
#include "stats/stats_internal.h"

#define MAXV 2048
static double x[MAXV], y[MAXV];

static int run_t(const ref_case *c, const peil_test_options *o, peil_test_result *r) {
  size_t nx = ref_nums(c, "x", x, MAXV), ny = ref_nums(c, "y", y, MAXV);
  return peil_stats_t_test(x, nx, y, ny, o, r);
}

static void check_t(const ref_case *c, const peil_test_options *o, const peil_test_result *r) {
  (void)o;
  assert_true(r->n[0] == (double)ref_nums(c, "x", x, MAXV) && r->n[1] == (double)ref_nums(c, "y", y, MAXV));
  ref_check(c, "difference", r->difference, r->estimate[0] - r->estimate[1]);
}

static int run_t_summary(const ref_case *c, const peil_test_options *o, peil_test_result *r) {
  double sx[3], sy[3];
  assert_int_equal(ref_nums(c, "sx", sx, 3), 3);
  assert_int_equal(ref_nums(c, "sy", sy, 3), 3);
  peil_group_summary gx = {sx[0], sx[1], sx[2]}, gy = {sy[0], sy[1], sy[2]};
  return peil_stats_t_test_summary(&gx, &gy, o, r);
}

static int run_wilcox(const ref_case *c, const peil_test_options *o, peil_test_result *r) {
  size_t nx = ref_nums(c, "x", x, MAXV), ny = ref_nums(c, "y", y, MAXV);
  return peil_stats_wilcox_test(x, nx, y, ny, o, r);
}

static void test_t_reference(void **state) {
  (void)state;
  ref_run_all("t", run_t, check_t);
}

static void test_t_summary_reference(void **state) {
  (void)state;
  ref_run_all("t_summary", run_t_summary, NULL);
}

static void test_wilcox_reference(void **state) {
  (void)state;
  ref_run_all("wilcox", run_wilcox, NULL);
}

/* NaN values are dropped, as R's t.test drops NA. */
static void test_t_drops_nan(void **state) {
  (void)state;
  double a1[] = {1.5, NAN, 2.5, 3.1, 2.2}, b1[] = {0.5, 1.1, NAN, 0.7}, a2[] = {1.5, 2.5, 3.1, 2.2},
         b2[] = {0.5, 1.1, 0.7};
  peil_test_result a = {0}, b = {0};
  assert_ok(peil_stats_t_test(a1, 5, b1, 4, NULL, &a));
  assert_ok(peil_stats_t_test(a2, 4, b2, 3, NULL, &b));
  assert_true(a.statistic == b.statistic && a.p_value == b.p_value && a.n[0] == 4 && a.n[1] == 3);
  peil_test_result_clear(&a);
  peil_test_result_clear(&b);
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

static double fn(const char *name, double v) {
  if (strcmp(name, "cubic") == 0) return v * v * v - 2;
  if (strcmp(name, "cosine") == 0) return cos(v) - v;
  if (strcmp(name, "exp5") == 0) return exp(v) - 5;
  if (strcmp(name, "steep") == 0) return atan(1000 * (v - 0.3141));
  if (strcmp(name, "flat") == 0) return pow(v - 0.7, 5);
  if (strcmp(name, "logistic") == 0) return 1 / (1 + exp(-v)) - 0.975;
  fail_msg("unknown function %s", name);
  return NAN;
}

static double call(double v, void *ctx) { return fn(ctx, v); }

/* R's uniroot, step for step: the same root to the last bits, not merely
 * within its tolerance of 1.2e-4. */
static void test_uniroot_reference(void **state) {
  (void)state;
  ref_cases l = ref_load("uniroot");
  for (size_t i = 0; i < l.n; i++) {
    const ref_case *c = &l.c[i];
    void *f = (void *)ref_get(c, "fn");
    double lo = ref_num(c, "lower", NAN), hi = ref_num(c, "upper", NAN), root, exact;
    assert_ok(stats_uniroot(call, f, lo, hi, &root));
    double want = ref_num(c, "root", NAN);
    if (fabs(root - want) > 1e-14 * fmax(1, fabs(want)))
      fail_msg("%s: root %.17g, R's uniroot %.17g", c->name, root, want);
    /* the exact root is elsewhere, within the tolerance */
    assert_ok(stats_root_precise(call, f, lo, hi, &exact));
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
