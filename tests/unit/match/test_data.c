/* Loading the units of a matching problem (peil_match_data_load): the
 * balance columns of every reference case are MatchIt's (names, order,
 * values), rows with missing values are dropped and counted, strata of
 * --exact columns, and the errors of bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit/match/refcase.h"

/* The balance columns are MatchIt's: the `term`s of balance.csv after
 * `distance`, in order, for all 105 cases. */
static void test_covariates_are_matchits(void **state) {
  (void)state;
  ref_case *cases = NULL;
  size_t ncases = 0;
  assert_int_equal(ref_cases_load(&cases, &ncases), 0);
  assert_int_equal(ncases, 105);
  peil_store *s = ref_store();
  for (size_t i = 0; i < ncases; i++) {
    const ref_case *c = &cases[i];
    peil_match_data *d = ref_case_data(c, s);
    assert_non_null(d);
    const char *t = ref_expected_table(c, s, "balance");
    assert_non_null(t);
    size_t nb = 0;
    char **sample = ref_text_column(s, t, "sample", &nb);
    char **term = ref_text_column(s, t, "term", NULL);
    double *mt = ref_column(s, t, "mean_treated", NULL);
    size_t k = 0;
    for (size_t b = 0; b < nb; b++) {
      if (strcmp(sample[b], "all") != 0 || strcmp(term[b], "distance") == 0) continue;
      if (k >= d->ncov || strcmp(d->cov[k].term, term[b]) != 0) {
        fprintf(stderr, "%s: balance row %zu is '%s', peil's column %zu is '%s'\n", c->name, b,
                term[b], k, k < d->ncov ? d->cov[k].term : "(none)");
        fail();
      }
      /* The unweighted mean of the treated: the column's values are right. */
      double sum = 0;
      for (size_t u = 0; u < d->n; u++) sum += d->treat[u] ? d->cov[k].x[u] : 0;
      assert_true(fabs(sum / (double)d->n_treated - mt[b]) <= 1e-12 * fmax(1, fabs(mt[b])));
      k++;
    }
    assert_int_equal(k, d->ncov);
    ref_strings_free(sample, nb), ref_strings_free(term, nb), free(mt);
    peil_match_data_free(d);
  }
  peil_store_close(s);
  free(cases);
}

/* A small table written by hand: treat, a categorical, a number with a
 * missing value, an outcome with a missing value, a stratum column. */
static peil_store *small_store(const char *const *treat_labels, const int32_t *treat_codes,
                               const double *treat_values) {
  peil_store *s = NULL;
  assert_int_equal(peil_store_open("match-small.h5", PEIL_STORE_MEMORY, &s), 0);
  const char *sexes[] = {"man", "vrouw"};
  const char *towns[] = {"Amsterdam", "Rotterdam", "Utrecht"};
  peil_column_def cols[] = {
      {"treat", treat_labels ? PEIL_ENUM : PEIL_FLOAT64, treat_labels ? 2 : 0, treat_labels},
      {"sex", PEIL_ENUM, 2, sexes},
      {"age", PEIL_FLOAT64, 0, NULL},
      {"y", PEIL_FLOAT64, 0, NULL},
      {"town", PEIL_ENUM, 3, towns},
      {"year", PEIL_INT32, 0, NULL},
  };
  int32_t sex[8] = {0, 1, 1, 0, 1, 0, 0, 1};
  double age[8] = {30, 41, NAN, 25, 52, 33, 47, 38};
  double y[8] = {1, 0, 1, NAN, 1, 0, 0, 1};
  int32_t town[8] = {2, 0, 0, 2, PEIL_NA_ENUM, 0, 2, 2};
  int32_t year[8] = {2019, 2018, 2019, 2019, 2018, 2018, 2019, 2018};
  peil_table_writer *w = NULL;
  assert_int_equal(peil_table_create(s, "t", cols, 6, &w), 0);
  const void *data[] = {treat_labels ? (const void *)treat_codes : (const void *)treat_values,
                        sex, age, y, town, year};
  assert_int_equal(peil_table_append(w, data, 8), 0);
  assert_int_equal(peil_table_finish(w), 0);
  return s;
}

static const double good_treat[8] = {1, 0, 1, 0, 1, 0, 1, 0};

static void test_missing_and_strata(void **state) {
  (void)state;
  peil_store *s = small_store(NULL, NULL, good_treat);
  const char *exact[] = {"town", "year"};
  const char *outcomes[] = {"y"};
  peil_match_load_options o = {"treat ~ sex + age", NULL, exact, 2, NULL, outcomes, 1, 0};
  peil_match_data *d = NULL;
  assert_int_equal(peil_match_data_load(s, "t", &o, &d), 0);
  /* Row 3 lacks age, row 5 the town: 6 units. */
  assert_int_equal(d->n, 6);
  assert_int_equal(d->n_read, 8);
  assert_int_equal(d->n_missing, 2);
  assert_int_equal(d->nmissing_by, 5); /* treat, sex, age, town, year */
  assert_string_equal(d->missing_by[2], "age");
  assert_int_equal(d->missing_count[2], 1);
  assert_string_equal(d->missing_by[3], "town");
  assert_int_equal(d->missing_count[3], 1);
  int64_t rows[6] = {0, 1, 3, 5, 6, 7};
  for (size_t i = 0; i < 6; i++) assert_int_equal(d->row[i], rows[i]);
  assert_int_equal(d->n_treated, 2);
  /* The outcome's missing value stays, as NaN. */
  assert_true(isnan(d->outcome[0][2]));
  /* Balance columns: sexman, sexvrouw, age. */
  assert_int_equal(d->ncov, 3);
  assert_string_equal(d->cov[0].term, "sexman");
  assert_string_equal(d->cov[1].term, "sexvrouw");
  assert_true(d->cov[1].binary);
  assert_false(d->cov[2].binary);
  /* Strata in (town, year) order: Amsterdam 2018 (rows 1, 5), Utrecht 2018
   * (row 7), Utrecht 2019 (rows 0, 3, 6). */
  assert_int_equal(d->nstrata, 3);
  int64_t st[6] = {2, 0, 2, 0, 2, 1};
  for (size_t i = 0; i < 6; i++) assert_int_equal(d->stratum[i], st[i]);
  assert_string_equal(d->stratum_label[0], "town=Amsterdam, year=2018");
  assert_string_equal(d->stratum_label[2], "town=Utrecht, year=2019");
  peil_match_data_free(d);

  /* A filter. */
  o.where = "year == 2019";
  assert_int_equal(peil_match_data_load(s, "t", &o, &d), 0);
  assert_int_equal(d->n_filtered, 4);
  assert_int_equal(d->n, 3);
  peil_match_data_free(d);
  peil_store_close(s);
}

static void expect_error(peil_store *s, const peil_match_load_options *o, int status,
                         const char *needle) {
  peil_match_data *d = NULL;
  int rc = peil_match_data_load(s, "t", o, &d);
  if (rc != status || !strstr(peil_errmsg(), needle)) {
    fprintf(stderr, "status %d, message: %s (wanted '%s')\n", rc, peil_errmsg(), needle);
    fail();
  }
  assert_null(d);
}

static void test_bad_input(void **state) {
  (void)state;
  const double bad[8] = {1, 0, 2, 0, 1, 0, 1, 0};
  peil_store *s = small_store(NULL, NULL, bad);
  peil_match_load_options o = {"treat ~ sex", NULL, NULL, 0, NULL, NULL, 0, 0};
  expect_error(s, &o, PEIL_EDATA, "treatment 'treat' must be 0 or 1: row 3 has 2");
  o.formula = "treat ~ sex + agee";
  expect_error(s, &o, PEIL_ENOTFOUND, "unknown column 'agee'");
  o.formula = "~ sex";
  expect_error(s, &o, PEIL_EINVAL, "no treatment");
  o.formula = "treat ~ sex";
  o.where = "year == 2019 & treat == 0";
  expect_error(s, &o, PEIL_EDATA, "has no treated units");
  o.where = "year == 2020";
  expect_error(s, &o, PEIL_EDATA, "no rows of table 't' left");
  o.where = NULL;
  const char *ex[] = {"age"};
  o.exact = ex, o.nexact = 1;
  expect_error(s, &o, PEIL_ETYPE, "--exact age");
  o.exact = NULL, o.nexact = 0;
  const char *outc[] = {"town"};
  o.outcomes = outc, o.noutcomes = 1;
  expect_error(s, &o, PEIL_ETYPE, "--outcome town");
  peil_store_close(s);

  const char *labels[] = {"nee", "ja"};
  const int32_t codes[8] = {1, 0, 1, 0, 1, 0, 1, 0};
  s = small_store(labels, codes, NULL);
  peil_match_load_options o2 = {"treat ~ sex", NULL, NULL, 0, NULL, NULL, 0, 0};
  expect_error(s, &o2, PEIL_ETYPE, "treatment 'treat' is categorical");
  o2.formula = "treat == \"ja\" ~ sex";
  peil_match_data *d = NULL;
  assert_int_equal(peil_match_data_load(s, "t", &o2, &d), 0);
  assert_int_equal(d->n_treated, 4);
  peil_match_data_free(d);
  peil_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_covariates_are_matchits),
      cmocka_unit_test(test_missing_and_strata),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
