/* Result tables (src/table/table.c): columns of every role, rows by value
 * and by cell, reading back, notes, and the errors a caller can make. */
#include "unit/table/rtable_fixture.h"

static peil_rtable *effect_table(void) {
  peil_rtable *t;
  assert_ok(peil_rtable_new("effects", "Effects", &t));
  assert_ok(peil_rtable_add_key(t, "outcome", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_key(t, "horizon", PEIL_RTABLE_INTEGER));
  assert_ok(peil_rtable_add_n(t, "n_treated", 0));
  assert_ok(peil_rtable_add_n(t, "n_control", 1));
  assert_ok(peil_rtable_add_count(t, "in_work"));
  assert_ok(peil_rtable_add_share(t, "pct_work", "in_work", "n_treated", 100, 1));
  assert_ok(peil_rtable_add_estimate(t, "att", "n_treated, n_control", 3));
  assert_ok(peil_rtable_add_other(t, "df", PEIL_RTABLE_INTEGER, 0));
  return t;
}

static void test_build_and_read(void **state) {
  (void)state;
  peil_rtable *t = effect_table();
  assert_string_equal(peil_rtable_name(t), "effects");
  assert_string_equal(peil_rtable_title(t), "Effects");
  assert_int_equal(peil_rtable_ncols(t), 8);
  assert_int_equal(peil_rtable_column_index(t, "att"), 6);
  assert_int_equal(peil_rtable_column_index(t, "nope"), -1);
  const peil_rtable_column *d = peil_rtable_column_def(t, 5);
  assert_int_equal(d->role, PEIL_ROLE_SHARE);
  assert_string_equal(d->count, "in_work");
  assert_string_equal(d->denominator, "n_treated");
  assert_true(d->scale == 100);
  assert_int_equal(d->decimals, 1);
  d = peil_rtable_column_def(t, 6);
  assert_string_equal(d->n, "n_treated, n_control");
  assert_int_equal(peil_rtable_column_def(t, 3)->rounded, 1);
  assert_null(peil_rtable_column_def(t, 8));

  peil_rtable_value v[] = {PEIL_RV_TEXT("in_work"), PEIL_RV_INT(6), PEIL_RV_INT(120), PEIL_RV_INT(118),
                           PEIL_RV_INT(54), PEIL_RV_NA, PEIL_RV_REAL(0.0123), PEIL_RV_INT(236)};
  assert_ok(peil_rtable_append(t, v, 8));
  size_t r;
  assert_ok(peil_rtable_add_row(t, &r));
  assert_int_equal(r, 1);
  for (size_t j = 0; j < 8; j++) assert_int_equal(peil_rtable_flags(t, 1, j), PEIL_CELL_NA);
  assert_ok(peil_rtable_set_text(t, 1, 0, "in_work"));
  assert_ok(peil_rtable_set_int(t, 1, 1, 12));
  assert_ok(peil_rtable_set_int(t, 1, 6, 2)); /* an integer into a real column */
  assert_ok(peil_rtable_set_real(t, 1, 6, -0.5));
  assert_ok(peil_rtable_set_text(t, 1, 0, "in work, regular")); /* replaces */
  assert_int_equal(peil_rtable_nrows(t), 2);

  assert_string_equal(peil_rtable_text(t, 0, 0), "in_work");
  assert_string_equal(peil_rtable_text(t, 1, 0), "in work, regular");
  assert_int_equal(peil_rtable_int(t, 0, 1), 6);
  assert_int_equal(peil_rtable_int(t, 0, 4), 54);
  assert_true(peil_rtable_real(t, 0, 4) == 54.0);
  assert_true(peil_rtable_real(t, 0, 6) == 0.0123);
  assert_true(peil_rtable_real(t, 1, 6) == -0.5);
  assert_true(isnan(peil_rtable_real(t, 0, 5)));
  assert_int_equal(peil_rtable_flags(t, 0, 5), PEIL_CELL_NA);
  assert_int_equal(peil_rtable_flags(t, 0, 4), 0);
  assert_int_equal(peil_rtable_int(t, 1, 2), PEIL_NA_INT64);
  /* out of range and wrong-type reads are missing */
  assert_null(peil_rtable_text(t, 5, 0));
  assert_null(peil_rtable_text(t, 0, 1));
  assert_int_equal(peil_rtable_int(t, 0, 0), PEIL_NA_INT64);
  assert_true(isnan(peil_rtable_real(t, 0, 99)));
  assert_int_equal(peil_rtable_flags(t, 9, 0), PEIL_CELL_NA);

  /* NaN and NULL are missing; set_na clears */
  assert_ok(peil_rtable_set_real(t, 1, 6, NAN));
  assert_int_equal(peil_rtable_flags(t, 1, 6), PEIL_CELL_NA);
  assert_ok(peil_rtable_set_text(t, 1, 0, NULL));
  assert_null(peil_rtable_text(t, 1, 0));
  assert_ok(peil_rtable_set_int(t, 0, 7, 5));
  assert_ok(peil_rtable_set_na(t, 0, 7));
  assert_int_equal(peil_rtable_flags(t, 0, 7), PEIL_CELL_NA);

  assert_ok(peil_rtable_add_note(t, "Matched %d:%d on age and duration.", 1, 1));
  assert_int_equal(peil_rtable_nnotes(t), 1);
  assert_string_equal(peil_rtable_note(t, 0), "Matched 1:1 on age and duration.");
  assert_null(peil_rtable_note(t, 1));
  assert_int_equal(peil_rtable_get_control(t)->state, PEIL_RTABLE_UNCONTROLLED);
  peil_rtable_free(t);
}

/* Appending many rows stays cheap (amortised doubling) and keeps values. */
static void test_many_rows(void **state) {
  (void)state;
  peil_rtable *t;
  assert_ok(peil_rtable_new("many", NULL, &t));
  assert_string_equal(peil_rtable_title(t), "");
  assert_ok(peil_rtable_add_key(t, "id", PEIL_RTABLE_INTEGER));
  assert_ok(peil_rtable_add_key(t, "label", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_count(t, "n"));
  char label[32];
  for (int i = 0; i < 5000; i++) {
    snprintf(label, sizeof label, "g%d", i);
    peil_rtable_value v[] = {PEIL_RV_INT(i), PEIL_RV_TEXT(label), PEIL_RV_INT(i * 3)};
    assert_ok(peil_rtable_append(t, v, 3));
  }
  assert_int_equal(peil_rtable_nrows(t), 5000);
  assert_int_equal(peil_rtable_int(t, 4321, 2), 4321 * 3);
  assert_string_equal(peil_rtable_text(t, 4999, 1), "g4999");
  peil_rtable_free(t);
}

static void expect_error(int rc, int want, const char *fragment) {
  assert_int_equal(rc, want);
  if (!strstr(peil_errmsg(), fragment)) fail_msg("message '%s' lacks '%s'", peil_errmsg(), fragment);
}

static void test_bad_declarations(void **state) {
  (void)state;
  peil_rtable *t = NULL;
  expect_error(peil_rtable_new("G4 table", "x", &t), PEIL_EINVAL, "G4 table");
  assert_null(t);
  expect_error(peil_rtable_new("", "x", &t), PEIL_EINVAL, "a-z");
  assert_ok(peil_rtable_new("bad", "Bad", &t));
  assert_ok(peil_rtable_add_key(t, "group", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_count(t, "n"));
  expect_error(peil_rtable_add_count(t, "n"), PEIL_EINVAL, "declared twice");
  expect_error(peil_rtable_add_count(t, "a,b"), PEIL_EINVAL, "'a,b'");
  expect_error(peil_rtable_add_count(t, "suppressed"), PEIL_EINVAL, "suppressed");
  expect_error(peil_rtable_add_count(t, ""), PEIL_EINVAL, "column name");
  /* a share whose count column does not exist */
  expect_error(peil_rtable_add_share(t, "pct", "still", "n", 100, 1), PEIL_ENOTFOUND,
               "table bad, column pct: its count column still does not exist");
  expect_error(peil_rtable_add_share(t, "pct", "n", "total", 100, 1), PEIL_ENOTFOUND,
               "its denominator column total does not exist");
  expect_error(peil_rtable_add_share(t, "pct", "group", "n", 100, 1), PEIL_EINVAL, "group is a key column");
  expect_error(peil_rtable_add_share(t, "pct", "n", "n", 0, 1), PEIL_EINVAL, "scale");
  peil_rtable_column sd = {.name = "pct", .type = PEIL_RTABLE_REAL, .role = PEIL_ROLE_SHARE, .count = "n"};
  expect_error(peil_rtable_add_column(t, &sd), PEIL_EINVAL, "count and denominator");
  expect_error(peil_rtable_add_estimate(t, "b", NULL, 3), PEIL_EINVAL, "n columns it rests on");
  expect_error(peil_rtable_add_estimate(t, "b", "n,n_control", 3), PEIL_ENOTFOUND,
               "its n column n_control does not exist");
  expect_error(peil_rtable_add_estimate(t, "b", "n,", 3), PEIL_EINVAL, "empty item");
  expect_error(peil_rtable_add_estimate(t, "b", "n", 16), PEIL_EINVAL, "decimals");
  peil_rtable_column c = {.name = "w", .type = PEIL_RTABLE_REAL, .role = PEIL_ROLE_COUNT};
  expect_error(peil_rtable_add_column(t, &c), PEIL_ETYPE, "integer");
  c = (peil_rtable_column){.name = "k", .type = PEIL_RTABLE_REAL, .role = PEIL_ROLE_KEY};
  expect_error(peil_rtable_add_column(t, &c), PEIL_ETYPE, "text or integer");
  c = (peil_rtable_column){.name = "e", .type = PEIL_RTABLE_TEXT, .role = PEIL_ROLE_ESTIMATE, .n = "n"};
  expect_error(peil_rtable_add_column(t, &c), PEIL_ETYPE, "numeric");
  assert_int_equal(peil_rtable_ncols(t), 2); /* nothing was added by the failures */

  /* values of the wrong type, rows of the wrong length */
  peil_rtable_value bad[] = {PEIL_RV_TEXT("a"), PEIL_RV_TEXT("12")};
  expect_error(peil_rtable_append(t, bad, 2), PEIL_ETYPE, "column n, row 1: a text value, but the column is integer");
  assert_int_equal(peil_rtable_nrows(t), 0);
  peil_rtable_value real[] = {PEIL_RV_TEXT("a"), PEIL_RV_REAL(1.5)};
  expect_error(peil_rtable_append(t, real, 2), PEIL_ETYPE, "a real value");
  expect_error(peil_rtable_append(t, real, 1), PEIL_EINVAL, "a row of 1 values for 2 columns");
  peil_rtable_value ok[] = {PEIL_RV_TEXT("a"), PEIL_RV_INT(12)};
  assert_ok(peil_rtable_append(t, ok, 2));
  expect_error(peil_rtable_set_real(t, 0, 1, 2.5), PEIL_ETYPE, "real value");
  expect_error(peil_rtable_set_int(t, 0, 0, 2), PEIL_ETYPE, "an integer value, but the column is text");
  expect_error(peil_rtable_set_text(t, 0, 1, "x"), PEIL_ETYPE, "a text value");
  expect_error(peil_rtable_set_int(t, 3, 1, 2), PEIL_EINVAL, "no row 3");
  expect_error(peil_rtable_set_int(t, 0, 7, 2), PEIL_EINVAL, "no column 7");
  expect_error(peil_rtable_add_count(t, "late"), PEIL_EINVAL, "before the first row");

  /* an uncontrolled table cannot be written */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  expect_error(peil_rtable_write_csv(t, f), PEIL_EINVAL, "has not been through disclosure control");
  expect_error(peil_rtable_write_json(t, f), PEIL_EINVAL, "rules.enabled = 0");
  expect_error(peil_rtable_write_markdown(t, f), PEIL_EINVAL, "disclosure control");
  fclose(f);
  assert_int_equal(len, 0);
  free(buf);
  const char *path = test_path("uncontrolled.csv");
  expect_error(peil_rtable_save_csv(t, path), PEIL_EINVAL, "disclosure control");
  assert_false(file_exists(path));

  /* after control, the table is frozen except for notes */
  assert_ok(peil_disclosure_apply(t, NULL, NULL, NULL));
  expect_error(peil_rtable_set_int(t, 0, 1, 11), PEIL_EINVAL, "can no longer change");
  expect_error(peil_rtable_add_row(t, NULL), PEIL_EINVAL, "can no longer change");
  expect_error(peil_rtable_append(t, ok, 2), PEIL_EINVAL, "can no longer change");
  expect_error(peil_rtable_set_na(t, 0, 1), PEIL_EINVAL, "can no longer change");
  assert_ok(peil_rtable_add_note(t, "a late note"));
  peil_rtable_free(t);

  assert_ok(peil_rtable_new("empty", "No columns", &t));
  expect_error(peil_rtable_add_row(t, NULL), PEIL_EINVAL, "add columns before rows");
  peil_rtable_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_build_and_read),
      cmocka_unit_test(test_many_rows),
      cmocka_unit_test(test_bad_declarations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
