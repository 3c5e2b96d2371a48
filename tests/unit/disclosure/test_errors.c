/* Bad input to disclosure control: the [disclosure] keys, rules out of
 * range, a structure naming unknown columns or columns of the wrong kind,
 * totals that are not the sum of their parts, negative counts, missing
 * cells in a group, duplicate keys. Each is a clear error with a PEIL_E
 * code, and the table and the audit stay as they were. */
#include "unit/table/rtable_fixture.h"

static void expect_error(int rc, int want, const char *text) {
  assert_int_equal(rc, want);
  if (!strstr(peil_errmsg(), text)) fail_msg("message '%s' lacks '%s'", peil_errmsg(), text);
}

static void test_rules_set(void **state) {
  (void)state;
  peil_disclosure_rules r;
  peil_disclosure_rules_init(&r);
  assert_int_equal(r.enabled, 1);
  assert_int_equal(r.min_cell, 10);
  assert_int_equal(r.rounding, 0);
  assert_int_equal(r.zero_cells, PEIL_ZERO_CELLS_SAFE);
  assert_ok(peil_disclosure_rules_set(&r, "min_cell", "15"));
  assert_int_equal(r.min_cell, 15);
  assert_ok(peil_disclosure_rules_set(&r, "rounding", "5"));
  assert_int_equal(r.rounding, 5);
  assert_ok(peil_disclosure_rules_set(&r, "rounding", "none"));
  assert_int_equal(r.rounding, 0);
  assert_ok(peil_disclosure_rules_set(&r, "rounding", "10"));
  assert_ok(peil_disclosure_rules_set(&r, "zero_cells", "small"));
  assert_int_equal(r.zero_cells, PEIL_ZERO_CELLS_SMALL);
  assert_ok(peil_disclosure_rules_set(&r, "zero_cells", "safe"));
  peil_disclosure_rules before = r;
  expect_error(peil_disclosure_rules_set(&r, "min_cell", "ten"), PEIL_EINVAL,
               "[disclosure] min_cell: 'ten' is not a whole number of at least 1");
  expect_error(peil_disclosure_rules_set(&r, "min_cell", "0"), PEIL_EINVAL, "min_cell: '0'");
  expect_error(peil_disclosure_rules_set(&r, "min_cell", "10.5"), PEIL_EINVAL, "min_cell: '10.5'");
  expect_error(peil_disclosure_rules_set(&r, "min_cell", ""), PEIL_EINVAL, "min_cell: ''");
  expect_error(peil_disclosure_rules_set(&r, "rounding", "3"), PEIL_EINVAL,
               "[disclosure] rounding: '3' is not one of none, 5, 10");
  expect_error(peil_disclosure_rules_set(&r, "zero_cells", "yes"), PEIL_EINVAL,
               "[disclosure] zero_cells: 'yes' is not one of safe");
  expect_error(peil_disclosure_rules_set(&r, "min_size", "10"), PEIL_EINVAL,
               "[disclosure] unknown key 'min_size' (keys: min_cell, rounding, zero_cells)");
  assert_memory_equal(&r, &before, sizeof r);

  /* a caller's struct out of range */
  const int64_t n[] = {12};
  peil_rtable *t;
  assert_ok(peil_rtable_new("t", "t", &t));
  assert_ok(peil_rtable_add_count(t, "n"));
  peil_rtable_value v[] = {PEIL_RV_INT(n[0])};
  assert_ok(peil_rtable_append(t, v, 1));
  r.rounding = 7;
  expect_error(peil_disclosure_apply(t, NULL, &r, NULL), PEIL_EINVAL, "rounding must be 0 (none), 5 or 10");
  peil_disclosure_rules_init(&r);
  r.min_cell = 0;
  expect_error(peil_disclosure_apply(t, NULL, &r, NULL), PEIL_EINVAL, "min_cell must be at least 1");
  assert_int_equal(peil_rtable_get_control(t)->state, PEIL_RTABLE_UNCONTROLLED);
  peil_rtable_free(t);
}

/* region (with Total), status, n, pct: rows given as (region, n). */
static peil_rtable *region_table(const char *const *reg, const int64_t *n, size_t k) {
  peil_rtable *t;
  assert_ok(peil_rtable_new("t", "t", &t));
  assert_ok(peil_rtable_add_key(t, "region", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_key(t, "year", PEIL_RTABLE_INTEGER));
  assert_ok(peil_rtable_add_count(t, "n"));
  assert_ok(peil_rtable_add_count(t, "work"));
  assert_ok(peil_rtable_add_n(t, "n_fit", 0));
  for (size_t i = 0; i < k; i++) {
    peil_rtable_value v[] = {PEIL_RV_TEXT(reg[i]), PEIL_RV_INT(2020), PEIL_RV_INT(n[i]), PEIL_RV_INT(n[i] / 2),
                             PEIL_RV_INT(5)};
    assert_ok(peil_rtable_append(t, v, 5));
  }
  return t;
}

/* Table and audit untouched by a failed apply. */
static void expect_untouched(const peil_rtable *t, const peil_disclosure_audit *a) {
  assert_int_equal(peil_rtable_get_control(t)->state, PEIL_RTABLE_UNCONTROLLED);
  assert_int_equal(peil_rtable_nnotes(t), 0);
  for (size_t r = 0; r < peil_rtable_nrows(t); r++)
    for (size_t j = 0; j < peil_rtable_ncols(t); j++) assert_int_equal(peil_rtable_flags(t, r, j) & ~PEIL_CELL_NA, 0);
  assert_int_equal(peil_disclosure_audit_size(a), 0);
}

static void test_structure_errors(void **state) {
  (void)state;
  const char *reg[] = {"A", "B", "C", "Total"};
  const int64_t n[] = {400, 30, 800, 1230};
  peil_rtable *t = region_table(reg, n, 4);
  peil_disclosure_audit *a;
  assert_ok(peil_disclosure_audit_new(&a));

  peil_disclosure_dimension dim = {"regio", "Total"};
  peil_disclosure_structure s = {.dimensions = &dim, .ndimensions = 1};
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_ENOTFOUND,
               "table t: the disclosure structure names dimension column regio, which the table does not have");
  dim.column = "n";
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_ETYPE, "dimension n must be a text key column");
  dim.column = "year";
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_ETYPE, "dimension year must be a text key column");
  dim = (peil_disclosure_dimension){"region", ""};
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_EINVAL, "names no total value");
  peil_disclosure_dimension twice[] = {{"region", "Total"}, {"region", "Total"}};
  s = (peil_disclosure_structure){.dimensions = twice, .ndimensions = 2};
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_EINVAL, "dimension region is declared twice");

  peil_disclosure_column_sum cs = {"n", "work,school"};
  s = (peil_disclosure_structure){.column_sums = &cs, .ncolumn_sums = 1};
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_ENOTFOUND, "names part column school");
  cs = (peil_disclosure_column_sum){"total", "work"};
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_ENOTFOUND, "names total column total");
  cs = (peil_disclosure_column_sum){"n", "work,n_fit"};
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_ETYPE, "sums column n_fit, which is not a count column");
  cs = (peil_disclosure_column_sum){"n", "work,work"};
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_EINVAL, "column work is listed twice among the parts of n");
  cs = (peil_disclosure_column_sum){"n", "n"};
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_EINVAL, "column n is listed among its own parts");
  cs = (peil_disclosure_column_sum){"n", "work,"};
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_EINVAL, "empty item");
  /* 400/2 + 30/2 + 800/2 = 615 is not 1230 in a row */
  cs = (peil_disclosure_column_sum){"n", "work"};
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_EDATA,
               "table t, row A, 2020: the total column n (400) is not the sum of its parts (200)");
  s = (peil_disclosure_structure){.ndimensions = 1};
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_EINVAL, "counts entries it does not give");
  expect_untouched(t, a);
  peil_disclosure_audit_free(a);
  peil_rtable_free(t);
}

static void test_data_errors(void **state) {
  (void)state;
  peil_disclosure_audit *a;
  assert_ok(peil_disclosure_audit_new(&a));
  peil_disclosure_dimension dim = {"region", "Total"};
  peil_disclosure_structure s = {.dimensions = &dim, .ndimensions = 1};

  /* the brief's example: a total that is not the sum of its parts */
  const char *reg[] = {"A", "B", "C", "Total"};
  const int64_t n[] = {400, 30, 800, 1234};
  peil_rtable *t = region_table(reg, n, 4);
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_EDATA,
               "table t, column n: the total row Total, 2020 (1234) is not the sum of its parts (1230)");
  expect_untouched(t, a);
  peil_rtable_free(t);
  assert_ok(peil_rtable_new("t", "t", &t));
  assert_ok(peil_rtable_add_key(t, "region", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_count(t, "n"));
  for (int i = 0; i < 4; i++) {
    peil_rtable_value v[] = {PEIL_RV_TEXT(reg[i]), PEIL_RV_INT(n[i])};
    assert_ok(peil_rtable_append(t, v, 2));
  }
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_EDATA,
               "table t, column n: the total row Total (1234) is not the sum of its parts (1230)");
  peil_rtable_free(t);

  /* a negative count */
  const int64_t neg[] = {400, -3, 800, 1197};
  t = region_table(reg, neg, 4);
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_EDATA,
               "table t, row B, 2020, column n: a number of persons cannot be negative (-3)");
  expect_error(peil_disclosure_apply(t, NULL, NULL, a), PEIL_EDATA, "cannot be negative");
  expect_untouched(t, a);
  peil_rtable_free(t);

  /* a missing cell in a group */
  const int64_t ok[] = {400, 30, 800, 1230};
  t = region_table(reg, ok, 4);
  assert_ok(peil_rtable_set_na(t, 1, 2));
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_EDATA,
               "table t, column n: row B, 2020 has no value, but it is a part of an additive group");
  assert_ok(peil_rtable_set_int(t, 1, 2, 30));
  assert_ok(peil_rtable_set_na(t, 3, 3));
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_EDATA,
               "table t, column work: row Total, 2020 has no value, but it is the total of an additive group");
  expect_untouched(t, a);
  peil_rtable_free(t);

  /* two rows with the same keys */
  const char *dup[] = {"A", "B", "A", "Total"};
  t = region_table(dup, ok, 4);
  expect_error(peil_disclosure_apply(t, &s, NULL, a), PEIL_EDATA,
               "table t: rows 1 and 3 have the same keys (A, 2020)");
  expect_untouched(t, a);
  /* the same table without a structure has no groups to break */
  assert_ok(peil_disclosure_apply(t, NULL, NULL, a));
  peil_rtable_free(t);

  /* without a total row a dimension has no groups, and that is fine */
  const char *parts[] = {"A", "B", "C"};
  t = region_table(parts, ok, 3);
  assert_ok(peil_disclosure_apply(t, &s, NULL, NULL));
  peil_rtable_free(t);
  peil_disclosure_audit_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rules_set),
      cmocka_unit_test(test_structure_errors),
      cmocka_unit_test(test_data_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
