/* Bad input to the tests on numbers: each a PEIL_E* code and a message
 * that says what is wrong, and a result that holds nothing. */
#include "test_util.h"

static peil_test_result r;

#define EXPECT(call, code, text)                                                       \
  do {                                                                                 \
    int rc_ = (call);                                                                  \
    if (rc_ != (code)) fail_msg("%s: %d, expected %d (%s)", #call, rc_, code, peil_errmsg()); \
    if (!strstr(peil_errmsg(), text)) fail_msg("%s: message '%s' lacks '%s'", #call, peil_errmsg(), text); \
    assert_int_equal(r.nestimate + r.ngroups + r.nwarnings, 0);                        \
    assert_null(r.observed);                                                           \
  } while (0)

static void test_prop_errors(void **state) {
  (void)state;
  double x[2] = {71, 301}, n[2] = {300, 300};
  EXPECT(peil_stats_prop_test(x, n, 2, NULL, &r), PEIL_EDATA, "301 successes in 300 trials (group 2): more successes than trials");
  x[1] = -1;
  EXPECT(peil_stats_prop_test(x, n, 2, NULL, &r), PEIL_EDATA, "must not be negative, not -1 (group 2)");
  x[1] = 5, n[0] = 0;
  EXPECT(peil_stats_prop_test(x, n, 2, NULL, &r), PEIL_EDATA, "the number of trials must be positive, not 0 (group 1)");
  n[0] = 300;
  EXPECT(peil_stats_prop_test(x, n, 0, NULL, &r), PEIL_EINVAL, "no groups");
  double zero[2] = {0, 0};
  EXPECT(peil_stats_prop_test(zero, n, 2, NULL, &r), PEIL_EDATA, "no successes in every group");
  EXPECT(peil_stats_prop_test(n, n, 2, NULL, &r), PEIL_EDATA, "only successes in every group");
  peil_test_options o;
  peil_test_options_init(&o);
  double p[2] = {0.2, 1};
  o.p = p, o.np = 1;
  EXPECT(peil_stats_prop_test(x, n, 2, &o, &r), PEIL_EINVAL, "1 null probability for 2 groups");
  o.np = 2;
  EXPECT(peil_stats_prop_test(x, n, 2, &o, &r), PEIL_EINVAL, "strictly between 0 and 1, not 1");
  o.p = NULL, o.conf_level = 1;
  EXPECT(peil_stats_prop_test(x, n, 2, &o, &r), PEIL_EINVAL, "confidence level must be between 0 and 1, not 1");
  double lo, hi;
  EXPECT(peil_stats_wilson(5, 4, 0.95, PEIL_TWO_SIDED, 1, &lo, &hi), PEIL_EDATA, "5 successes in 4 trials");
}

static void test_binom_errors(void **state) {
  (void)state;
  EXPECT(peil_stats_binom_test(3.5, 10, NULL, &r), PEIL_EDATA, "whole number of at least 0, not 3.5");
  EXPECT(peil_stats_binom_test(3, 0, NULL, &r), PEIL_EDATA, "whole number of at least 1, not 0");
  EXPECT(peil_stats_binom_test(11, 10, NULL, &r), PEIL_EDATA, "11 successes in 10 trials");
  peil_test_options o;
  peil_test_options_init(&o);
  double p = 1.5;
  o.p = &p, o.np = 1;
  EXPECT(peil_stats_binom_test(3, 10, &o, &r), PEIL_EINVAL, "between 0 and 1, not 1.5");
  double lo, hi;
  EXPECT(peil_stats_clopper_pearson(-1, 10, 0.95, PEIL_TWO_SIDED, &lo, &hi), PEIL_EDATA, "not -1");
}

static void test_table_errors(void **state) {
  (void)state;
  double t[6] = {12, 5, 7, 0, 0, 0};
  EXPECT(peil_stats_chisq_test(t, 2, 3, NULL, &r), PEIL_EDATA, "row 2 of the table is empty");
  double u[6] = {12, 0, 7, 3, 0, 11};
  EXPECT(peil_stats_chisq_test(u, 2, 3, NULL, &r), PEIL_EDATA, "column 2 of the table is empty");
  double z[4] = {0, 0, 0, 0};
  EXPECT(peil_stats_chisq_test(z, 2, 2, NULL, &r), PEIL_EDATA, "every cell of the table is 0");
  EXPECT(peil_stats_chisq_test(t, 1, 3, NULL, &r), PEIL_EINVAL, "a 1 x 3 table");
  double neg[4] = {1, -2, 3, 4};
  EXPECT(peil_stats_chisq_test(neg, 2, 2, NULL, &r), PEIL_EDATA, "cell [1,2] of the table is -2");
  double frac[4] = {1, 2.5, 3, 4};
  EXPECT(peil_stats_fisher_test(frac, NULL, &r), PEIL_EDATA, "cell b (row 1, column 2) of the table is 2.5");
  peil_test_options o;
  peil_test_options_init(&o);
  o.odds_ratio = -1;
  EXPECT(peil_stats_fisher_test(z, &o, &r), PEIL_EINVAL, "null odds ratio");
}

static void test_location_errors(void **state) {
  (void)state;
  double x[3] = {1, 2, 3}, y[1] = {4}, c[3] = {5, 5, 5};
  EXPECT(peil_stats_t_test(x, 3, y, 1, NULL, &r), PEIL_EDATA, "not enough observations in y (group 2): 1; Welch's t test needs at least 2");
  peil_test_options o;
  peil_test_options_init(&o);
  o.var_equal = 1;
  EXPECT(peil_stats_t_test(x, 0, y, 1, &o, &r), PEIL_EDATA, "not enough observations in x (group 1): 0");
  EXPECT(peil_stats_t_test(c, 3, c, 3, NULL, &r), PEIL_EDATA, "essentially constant");
  peil_group_summary a = {1, -1, 10}, b = {2, 1, 10.5};
  EXPECT(peil_stats_t_test_summary(&a, &b, NULL, &r), PEIL_EDATA, "group 1: the standard deviation must be a number >= 0, not -1");
  a.sd = 1;
  EXPECT(peil_stats_t_test_summary(&a, &b, NULL, &r), PEIL_EDATA, "group 2: n must be a whole number, not 10.5");
  EXPECT(peil_stats_wilcox_test(c, 3, c, 3, NULL, &r), PEIL_EDATA, "all 6 values are tied");
  double nan[2] = {NAN, NAN};
  EXPECT(peil_stats_wilcox_test(nan, 2, x, 3, NULL, &r), PEIL_EDATA, "not enough observations in x (group 1)");
  /* An exact distribution too large to count. */
  static double big[3000];
  for (int i = 0; i < 3000; i++) big[i] = i;
  o.exact = 1;
  EXPECT(peil_stats_wilcox_test(big, 1500, big + 1500, 1500, &o, &r), PEIL_EINVAL, "use the normal approximation");
  double p;
  assert_int_equal(peil_stats_pwilcox(3, 0, 4, 0, &p), PEIL_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prop_errors),
      cmocka_unit_test(test_binom_errors),
      cmocka_unit_test(test_table_errors),
      cmocka_unit_test(test_location_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
