/* Formulas: R's term algebra, ordering and labels, and syntax errors. */
#include "test_util.h"

/* The formula's terms as R's attr(terms(f), "term.labels") joined by ", ". */
static void expect_terms(const char *text, int intercept, const char *want) {
  peil_formula *f = NULL;
  int rc = peil_formula_parse(text, &f);
  if (rc) fail_msg("'%s': %s", text, peil_errmsg());
  char got[1024] = "", label[256];
  for (size_t t = 0; t < f->nterms; t++) {
    assert_ok(peil_formula_term_label(f, t, label, sizeof label));
    if (t) strcat(got, ", ");
    strcat(got, label);
  }
  if (strcmp(got, want) != 0) fail_msg("'%s': terms '%s', expected '%s'", text, got, want);
  if (f->intercept != intercept) fail_msg("'%s': intercept %d, expected %d", text, f->intercept, intercept);
  peil_formula_free(f);
}

static void test_terms(void **state) {
  (void)state;
  /* Expected values are R 4.2's attr(terms(formula), "term.labels"). */
  expect_terms("y ~ age + sex", 1, "age, sex");
  expect_terms("y ~ a*b", 1, "a, b, a:b");
  expect_terms("y ~ a*b*c", 1, "a, b, c, a:b, a:c, b:c, a:b:c");
  expect_terms("y ~ a:b + c", 1, "c, a:b");
  expect_terms("y ~ (a + b):c", 1, "a:c, b:c");
  expect_terms("y ~ a*b - a:b", 1, "a, b");
  expect_terms("y ~ a + b - 1", 0, "a, b");
  expect_terms("y ~ 0 + a", 0, "a");
  expect_terms("y ~ -1 + a", 0, "a");
  expect_terms("y ~ a + a + a:a", 1, "a");
  expect_terms("y ~ b + a + a:b", 1, "b, a, b:a");
  expect_terms("y ~ 1", 1, "");
  expect_terms("y ~ factor(year) + log(income) + I(age^2)", 1, "factor(year), log(income), I(age^2)");
  expect_terms("y ~ sex:migration + age + sex + migration + factor(year)", 1,
               "age, sex, migration, factor(year), sex:migration");
}

static void test_parts(void **state) {
  (void)state;
  peil_formula *f = NULL;
  assert_ok(peil_formula_parse("log(y) ~ factor(year) + x + offset(log(exposure))", &f));
  assert_string_equal(f->response_label, "log(y)");
  assert_int_equal(f->nvars, 2);
  assert_true(f->vars[0].is_factor);
  assert_string_equal(f->vars[0].column, "year");
  assert_string_equal(f->vars[1].column, "x");
  assert_int_equal(f->noffsets, 1);
  assert_string_equal(peil_expr_text(f->offsets[0]), "log(exposure)");
  peil_formula_free(f);
  assert_ok(peil_formula_parse("~ a + b", &f)); /* one-sided, for propensity specs */
  assert_null(f->response_label);
  peil_formula_free(f);
}

static void expect_syntax_error(const char *text, const char *want) {
  peil_formula *f = NULL;
  int rc = peil_formula_parse(text, &f);
  if (rc != PEIL_EINVAL) fail_msg("'%s': status %d, expected a syntax error", text, rc);
  if (!strstr(peil_errmsg(), want)) fail_msg("'%s': message lacks '%s':\n%s", text, want, peil_errmsg());
}

static void test_errors(void **state) {
  (void)state;
  expect_syntax_error("y age", "a formula needs '~'");
  expect_syntax_error("y ~", "nothing after '~'");
  expect_syntax_error("y ~ a + + b", "expected a variable, found '+'");
  expect_syntax_error("y ~ a + 2", "can only be 0 or 1");
  expect_syntax_error("y ~ (a + b", "expected ')' in the formula");
  expect_syntax_error("y ~ (a + b)^2", "'^' in formulas is not supported");
  expect_syntax_error("y ~ factor(a + b)", "factor() takes one column name");
  expect_syntax_error("y ~ log(x", "'log(' is not closed");
  expect_syntax_error("y ~ a b", "unexpected name in the formula");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_terms),
      cmocka_unit_test(test_parts),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
