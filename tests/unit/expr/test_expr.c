/* The expression language: parsing, syntax errors with a caret, binding to
 * columns (labels, dates, types) and three-valued evaluation. */
#include "test_util.h"

static char *gem_levels[] = {"Amsterdam", "Rotterdam", "Den Haag", "Utrecht"};
static peil_column_info info[] = {
    {"age", PEIL_INT16, 0, NULL, NULL},
    {"municipality", PEIL_ENUM, 4, gem_levels, NULL},
    {"start", PEIL_DATE, 0, NULL, NULL},
    {"income", PEIL_FLOAT64, 0, NULL, NULL},
    {"flag", PEIL_BOOL, 0, NULL, NULL},
};

/* Five rows; the last one is missing everywhere. */
static int16_t age[] = {17, 18, 40, 70, PEIL_NA_INT16};
static int32_t gem[] = {0, 1, 2, 3, PEIL_NA_ENUM};
static int32_t start[5];
static double income[] = {0.0, 1000.0, 2500.0, -1.0, NAN};
static int8_t flag[] = {0, 1, 1, 0, PEIL_NA_BOOL};

/* Parses, binds by column name against info[] and evaluates. */
static int run(const char *text, double *out) {
  start[0] = peil_date_from_ymd(2017, 12, 31);
  start[1] = peil_date_from_ymd(2018, 1, 1);
  start[2] = peil_date_from_ymd(2019, 6, 30);
  start[3] = peil_date_from_ymd(2020, 1, 1);
  start[4] = PEIL_NA_DATE;
  peil_expr *e = NULL;
  int rc = peil_expr_parse(text, "--where", &e);
  if (rc) return rc;
  const char *const *names;
  size_t n = peil_expr_columns(e, &names);
  const peil_column_info *cols[8];
  size_t slot[8];
  for (size_t i = 0; i < n; i++) {
    size_t j = 0;
    while (j < 5 && strcmp(info[j].name, names[i]) != 0) j++;
    if (j == 5) {
      rc = peil_error(PEIL_ENOTFOUND, "no column '%s'", names[i]);
      peil_expr_free(e);
      return rc;
    }
    cols[i] = &info[j];
    slot[i] = j;
  }
  rc = peil_expr_bind(e, cols, slot);
  const void *data[] = {age, gem, start, income, flag};
  peil_block blk = {0, 5, data};
  if (!rc) rc = peil_expr_eval(e, &blk, out);
  peil_expr_free(e);
  return rc;
}

/* Compares with expected values, where NAN means missing. */
static void expect(const char *text, const double *want) {
  double got[5];
  int rc = run(text, got);
  if (rc) fail_msg("'%s' failed: %s", text, peil_errmsg());
  for (int i = 0; i < 5; i++) {
    if (isnan(want[i])) {
      if (!isnan(got[i])) fail_msg("'%s' row %d: got %g, expected missing", text, i, got[i]);
    } else if (!(fabs(got[i] - want[i]) <= 1e-12 * fmax(1, fabs(want[i])))) {
      fail_msg("'%s' row %d: got %.17g, expected %.17g", text, i, got[i], want[i]);
    }
  }
}

static void test_conditions(void **state) {
  (void)state;
  expect("age >= 18", (double[]){0, 1, 1, 1, NAN});
  expect("age >= 18 & age < 65", (double[]){0, 1, 1, 0, NAN});
  expect("municipality == \"Den Haag\"", (double[]){0, 0, 1, 0, NAN});
  expect("municipality in ('Amsterdam', \"Utrecht\")", (double[]){1, 0, 0, 1, NAN});
  expect("municipality != 'Amsterdam'", (double[]){0, 1, 1, 1, NAN});
  expect("start >= \"2018-01-01\" & start < \"01-01-2020\"", (double[]){0, 1, 1, 0, NAN});
  expect("age is missing", (double[]){0, 0, 0, 0, 1});
  expect("age is not missing", (double[]){1, 1, 1, 1, 0});
  expect("!(age < 18)", (double[]){0, 1, 1, 1, NAN});
  expect("not flag", (double[]){1, 0, 0, 1, NAN});
  expect("age in (17, 70)", (double[]){1, 0, 0, 1, NAN});
  expect("age <> 18", (double[]){1, 0, 1, 1, NAN});
  /* Three-valued logic: FALSE & NA = FALSE, TRUE | NA = TRUE. */
  expect("flag & age > 100", (double[]){0, 0, 0, 0, NAN}); /* NA & NA */
  expect("age > 100 & flag", (double[]){0, 0, 0, 0, NAN});
  expect("age < 100 & (flag | age is missing)", (double[]){0, 1, 1, 0, NAN});
  expect("(age is missing) & age > 1", (double[]){0, 0, 0, 0, NAN});
  expect("(age is not missing) & age > 1", (double[]){1, 1, 1, 1, 0}); /* FALSE & NA */
  expect("age > 100 | age is missing", (double[]){0, 0, 0, 0, 1});
  expect("flag | age > 100", (double[]){0, 1, 1, 0, NAN});
}

static void test_arithmetic(void **state) {
  (void)state;
  expect("age * 2 + 1", (double[]){35, 37, 81, 141, NAN});
  expect("-age^2", (double[]){-289, -324, -1600, -4900, NAN});
  expect("2^3^2", (double[]){512, 512, 512, 512, 512}); /* right-associative */
  expect("(age - 10) / 2", (double[]){3.5, 4, 15, 30, NAN});
  expect("log(income)", (double[]){NAN, log(1000.0), log(2500.0), NAN, NAN});
  expect("I(age^2)", (double[]){289, 324, 1600, 4900, NAN});
  expect("income / 0", (double[]){NAN, NAN, NAN, NAN, NAN});
  expect("start - \"2018-01-01\" < 0 | flag", (double[]){1, 1, 1, 0, NAN});
}

/* The error's text contains `want`. */
static void expect_error(const char *text, int code, const char *want) {
  double out[5];
  int rc = run(text, out);
  if (rc != code) fail_msg("'%s': got status %d, expected %d (%s)", text, rc, code, peil_errmsg());
  if (!strstr(peil_errmsg(), want))
    fail_msg("'%s': message lacks '%s':\n%s", text, want, peil_errmsg());
}

static void test_errors(void **state) {
  (void)state;
  expect_error("age >= ", PEIL_EINVAL, "expected a value, found end of text");
  expect_error("age >= & flag", PEIL_EINVAL, "  age >= & flag\n         ^");
  expect_error("age = 18", PEIL_EINVAL, "compare with '=='");
  expect_error("(age > 1", PEIL_EINVAL, "expected ')' to close '('");
  expect_error("age > 1 flag", PEIL_EINVAL, "unexpected name after a complete expression");
  expect_error("municipality == 'Amsterdm'", PEIL_ENOTFOUND,
               "unknown level \"Amsterdm\" of column 'municipality' (levels: \"Amsterdam\"");
  expect_error("municipality > 'Amsterdam'", PEIL_ETYPE, "categories have no order");
  expect_error("start > 2018", PEIL_ETYPE, "write the date in quotes");
  expect_error("start > '2018-02-30'", PEIL_ETYPE, "is not a date");
  expect_error("age + municipality", PEIL_ETYPE, "arithmetic needs numbers");
  expect_error("age & flag", PEIL_ETYPE, "'&' joins conditions");
  expect_error("foo(age)", PEIL_ETYPE, "unknown function 'foo'");
  expect_error("'abc' == 'abc'", PEIL_ETYPE, "comparing two strings");
  expect_error("age > 'x", PEIL_EINVAL, "unterminated string");
  expect_error("nocol > 1", PEIL_ENOTFOUND, "no column 'nocol'");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conditions),
      cmocka_unit_test(test_arithmetic),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
