/* peil_table_join: every left row in its order with the right row of the
 * same key, missing columns where there is none (or the key is missing),
 * every type carried over; and its refusals, each naming the place. */
#include <math.h>

#include "test_util.h"

static const char *const sexes[] = {"man", "vrouw"};

/* left: spells of 6 rows, not in key order, one key without a person and
 * one missing key; right: 4 persons, not in key order, with a date, an
 * enum, a float and a bool. */
static void make_tables(peil_store *s, int duplicate) {
  const peil_column_def lc[] = {{"rin", PEIL_INT64, 0, NULL}, {"start", PEIL_DATE, 0, NULL}};
  int64_t lrin[] = {30, 10, 10, 99, PEIL_NA_INT64, 20};
  int32_t start[] = {100, 101, 102, 103, 104, 105};
  const void *ld[] = {lrin, start};
  assert_ok(peil_table_write(s, "spells", lc, 2, ld, 6));
  const peil_column_def rc[] = {{"birth", PEIL_DATE, 0, NULL}, {"rin", PEIL_INT32, 0, NULL},
                                {"sex", PEIL_ENUM, 2, sexes}, {"income", PEIL_FLOAT64, 0, NULL},
                                {"parent", PEIL_BOOL, 0, NULL}};
  int32_t birth[] = {5000, 6000, 7000, PEIL_NA_DATE}, rrin[] = {20, 10, 30, duplicate ? 10 : 40};
  int32_t sex[] = {1, 0, PEIL_NA_ENUM, 1};
  double income[] = {1.5, 2.5, NAN, 4.5};
  int8_t parent[] = {1, 0, 1, 0};
  const void *rd[] = {birth, rrin, sex, income, parent};
  assert_ok(peil_table_write(s, "persons", rc, 5, rd, 4));
}

static void test_join(void **state) {
  (void)state;
  peil_store *s;
  assert_ok(peil_store_open_scratch("join", &s));
  make_tables(s, 0);
  peil_table_info *ti;
  assert_ok(peil_table_join_info(s, "spells", "persons", "rin", &ti));
  const char *names[] = {"rin", "start", "birth", "sex", "income", "parent"};
  assert_int_equal(ti->ncols, 6);
  for (size_t c = 0; c < 6; c++) assert_string_equal(ti->cols[c].name, names[c]);
  assert_int_equal(ti->cols[3].nlevels, 2);
  assert_int_equal(ti->nrows, 6);
  peil_table_info_free(ti);
  peil_join_summary sum;
  assert_ok(peil_table_join(s, "spells", "persons", "rin", s, "joined", &sum));
  assert_int_equal(sum.rows, 6);
  assert_int_equal(sum.unmatched, 2); /* rin 99, and the missing rin */
  peil_scan *sc;
  peil_block b;
  assert_ok(peil_scan_open(s, "joined", NULL, 0, 0, &sc));
  assert_int_equal(peil_scan_next(sc, &b), 1);
  assert_int_equal(b.nrows, 6);
  const int64_t *rin = b.cols[0];
  const int32_t *start = b.cols[1], *birth = b.cols[2], *sex = b.cols[3];
  const double *income = b.cols[4];
  const int8_t *parent = b.cols[5];
  const int64_t want_rin[] = {30, 10, 10, 99, PEIL_NA_INT64, 20};
  const int32_t want_birth[] = {7000, 6000, 6000, PEIL_NA_DATE, PEIL_NA_DATE, 5000};
  const int32_t want_sex[] = {PEIL_NA_ENUM, 0, 0, PEIL_NA_ENUM, PEIL_NA_ENUM, 1};
  const int8_t want_parent[] = {1, 0, 0, PEIL_NA_BOOL, PEIL_NA_BOOL, 1};
  for (size_t i = 0; i < 6; i++) {
    assert_int_equal(rin[i], want_rin[i]);
    assert_int_equal(start[i], 100 + (int32_t)i);
    assert_int_equal(birth[i], want_birth[i]);
    assert_int_equal(sex[i], want_sex[i]);
    assert_int_equal(parent[i], want_parent[i]);
  }
  assert_true(isnan(income[0]) && income[1] == 2.5 && income[2] == 2.5 && isnan(income[3]) && isnan(income[4]) &&
              income[5] == 1.5);
  peil_scan_close(sc);
  peil_store_close(s);
}

static void expect_error(int rc, int want, const char *text) {
  assert_int_equal(rc, want);
  if (!strstr(peil_errmsg(), text)) fail_msg("message '%s' lacks '%s'", peil_errmsg(), text);
}

static void test_refusals(void **state) {
  (void)state;
  peil_store *s;
  assert_ok(peil_store_open_scratch("join", &s));
  make_tables(s, 1);
  expect_error(peil_table_join(s, "spells", "persons", "rin", s, "joined", NULL), PEIL_EDATA,
               "join with persons: rin 10 is on rows 2 and 4; the table joined on must have one row per rin");
  assert_false(peil_store_has_table(s, "joined"));
  peil_table_info *ti = NULL;
  expect_error(peil_table_join_info(s, "spells", "persons", "start", &ti), PEIL_ENOTFOUND,
               "join spells with persons: table persons has no column 'start'");
  expect_error(peil_table_join_info(s, "spells", "persons", "birth", &ti), PEIL_ENOTFOUND, "table spells has no column 'birth'");
  expect_error(peil_table_join_info(s, "spells", "spells", "rin", &ti), PEIL_EINVAL,
               "join spells with spells: both have a column 'start'");
  expect_error(peil_table_join_info(s, "spells", "nosuch", "rin", &ti), PEIL_ENOTFOUND, "nosuch");
  assert_null(ti);
  peil_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_join), cmocka_unit_test(test_refusals)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
