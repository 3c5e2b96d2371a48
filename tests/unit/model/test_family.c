/* GLM families and links against R's stats::family objects, extremes
 * included (values from tests/reference/families*.R). */
#include <float.h>
#include <math.h>

#include "test_util.h"

#include "peil/model.h"

static void test_links_match_r(void **state) {
  (void)state;
  FILE *f = fopen(PEIL_TEST_DATA "/reference/families.csv", "r");
  assert_non_null(f);
  char line[512], fam[32], link[32];
  int n = 0;
  fgets(line, sizeof line, f); /* header */
  while (fgets(line, sizeof line, f)) {
    double eta, mu_r, d_r, mu, d;
    assert_int_equal(sscanf(line, "%31[^,],%31[^,],%lf,%lf,%lf", fam, link, &eta, &mu_r, &d_r), 5);
    const peil_family *fm;
    assert_ok(peil_family_get(fam, link, &fm));
    fm->linkinv(&eta, &mu, 1);
    fm->mu_eta(&eta, &d, 1);
    if (fabs(mu - mu_r) > 1e-14 * fmax(fabs(mu_r), 1e-300))
      fail_msg("%s/%s linkinv(%g) = %.17g, R %.17g", fam, link, eta, mu, mu_r);
    if (fabs(d - d_r) > 1e-13 * fmax(fabs(d_r), 1e-300))
      fail_msg("%s/%s mu.eta(%g) = %.17g, R %.17g", fam, link, eta, d, d_r);
    /* linkfun inverts linkinv away from the clamps (absolute error near
     * eta = 0, where log(mu/(1-mu)) is ill-conditioned). */
    if (fabs(eta) <= 3) { /* beyond, pnorm and friends round to 1 - 1e-14 */
      double back;
      fm->linkfun(&mu, &back, 1);
      if (fabs(back - eta) > 1e-12 * fmax(1, fabs(eta)))
        fail_msg("%s/%s linkfun(linkinv(%g)) = %.17g", fam, link, eta, back);
    }
    n++;
  }
  fclose(f);
  assert_true(n > 50);
}

static void test_deviance_start_aic_match_r(void **state) {
  (void)state;
  FILE *f = fopen(PEIL_TEST_DATA "/reference/families_dev.csv", "r");
  assert_non_null(f);
  char line[512], fam[32];
  fgets(line, sizeof line, f);
  while (fgets(line, sizeof line, f)) {
    double y, mu, wt, dev_r, start_r, aic_r, dev, start;
    assert_int_equal(sscanf(line, "%31[^,],%lf,%lf,%lf,%lf,%lf,%lf", fam, &y, &mu, &wt, &dev_r,
                            &start_r, &aic_r), 7);
    const peil_family *fm;
    assert_ok(peil_family_get(fam, NULL, &fm));
    fm->dev_resids(&y, &mu, &wt, &dev, 1);
    fm->mustart(&y, &wt, &start, 1);
    assert_close(dev, dev_r, 1e-13);
    assert_close(start, start_r, 1e-15);
    assert_close(fm->aic_term(y, mu, wt), aic_r, 1e-13);
  }
  fclose(f);
}

static void test_lookup(void **state) {
  (void)state;
  const peil_family *fm;
  assert_ok(peil_family_get("binomial", NULL, &fm));
  assert_string_equal(fm->link_name, "logit");
  assert_ok(peil_family_get("poisson", NULL, &fm));
  assert_string_equal(fm->link_name, "log");
  assert_int_equal(peil_family_get("binomial", "sqrt", &fm), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "links: logit, probit, cloglog, log"));
  assert_int_equal(peil_family_get("gamma", NULL, &fm), PEIL_EINVAL);
}

/* The fused IRLS terms give the same bits as the four functions apart, for
 * every family and link, over the whole range of eta (clamps included). */
static void test_irls_terms_identical(void **state) {
  (void)state;
  const char *fam[][2] = {{"binomial", "logit"},   {"binomial", "probit"}, {"binomial", "cloglog"},
                          {"binomial", "log"},     {"poisson", "log"},     {"poisson", "identity"},
                          {"gaussian", "identity"}, {"gaussian", "log"}};
  enum { N = 200 };
  double eta[N], y[N], wt[N], mu[N], d[N], v[N], dev[N], mu2[N], d2[N], v2[N], dev2[N];
  for (size_t f = 0; f < sizeof fam / sizeof *fam; f++) {
    const peil_family *fm = NULL;
    assert_ok(peil_family_get(fam[f][0], fam[f][1], &fm));
    for (int i = 0; i < N; i++) {
      eta[i] = -40 + 80.0 * i / (N - 1);
      if (fm->link == PEIL_LOG && fm->family == PEIL_BINOMIAL) eta[i] = -40 + 39.9 * i / (N - 1);
      if (fm->link == PEIL_IDENTITY && fm->family == PEIL_POISSON) eta[i] = 0.01 + i;
      y[i] = fm->family == PEIL_POISSON ? i % 7 : i % 2;
      wt[i] = 1 + i % 3;
    }
    peil_family_irls_terms(fm, eta, y, wt, mu, d, v, dev, N);
    fm->linkinv(eta, mu2, N);
    fm->mu_eta(eta, d2, N);
    fm->variance(mu2, v2, N);
    fm->dev_resids(y, mu2, wt, dev2, N);
    assert_memory_equal(mu, mu2, sizeof mu);
    assert_memory_equal(d, d2, sizeof d);
    assert_memory_equal(v, v2, sizeof v);
    assert_memory_equal(dev, dev2, sizeof dev);
  }
}

/* The block test of validity agrees with valid_eta and valid_mu row by row,
 * special values included. */
static void test_all_valid(void **state) {
  (void)state;
  const char *fam[][2] = {{"binomial", "logit"}, {"binomial", "probit"}, {"poisson", "log"},
                          {"gaussian", "identity"}};
  const double vals[] = {0.5, 0, 1, -1, 2, 1e-300, 1 - 1e-16, DBL_MAX, -DBL_MAX, INFINITY,
                         -INFINITY, NAN};
  const size_t nv = sizeof vals / sizeof *vals;
  for (size_t f = 0; f < sizeof fam / sizeof *fam; f++) {
    const peil_family *fm = NULL;
    assert_ok(peil_family_get(fam[f][0], fam[f][1], &fm));
    for (size_t a = 0; a < nv; a++)
      for (size_t b = 0; b < nv; b++) {
        double eta[9], mu[9];
        for (int i = 0; i < 9; i++) eta[i] = 0.25, mu[i] = 0.25;
        eta[a % 9] = vals[a], mu[b % 9] = vals[b];
        int want = 1;
        for (int i = 0; i < 9; i++) want &= fm->valid_eta(eta[i]) && fm->valid_mu(mu[i]);
        assert_int_equal(peil_family_all_valid(fm, eta, mu, 9), want);
      }
  }
}

/* The block AIC terms agree with the row-wise ones (to rounding: the
 * binomial's logs are vectorised), weights and proportions included. */
static void test_aic_terms(void **state) {
  (void)state;
  const char *fam[][2] = {{"binomial", "logit"}, {"poisson", "log"}, {"gaussian", "identity"}};
  enum { N = 700 };
  double y[N], mu[N], wt[N], out[N];
  for (size_t f = 0; f < sizeof fam / sizeof *fam; f++) {
    const peil_family *fm = NULL;
    assert_ok(peil_family_get(fam[f][0], fam[f][1], &fm));
    for (int i = 0; i < N; i++) {
      mu[i] = (i + 0.5) / N;
      wt[i] = i % 5 == 4 ? 0 : 1 + i % 4;
      y[i] = fm->family == PEIL_POISSON ? i % 7 : i % 3 == 2 ? (double)(i % 4) / wt[i] : i % 2;
      if (fm->family == PEIL_BINOMIAL && (y[i] > 1 || !(wt[i] > 0))) y[i] = i % 2;
    }
    peil_family_aic_terms(fm, y, mu, wt, out, N);
    for (int i = 0; i < N; i++) {
      double want = fm->aic_term(y[i], mu[i], wt[i]);
      assert_true(fabs(out[i] - want) <= 1e-13 * fabs(want) + 1e-300);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_links_match_r),
      cmocka_unit_test(test_deviance_start_aic_match_r),
      cmocka_unit_test(test_lookup),
      cmocka_unit_test(test_irls_terms_identical),
      cmocka_unit_test(test_all_valid),
      cmocka_unit_test(test_aic_terms),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
