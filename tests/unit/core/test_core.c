/* Core: dates (both formats, calendar edge cases, month arithmetic), status
 * codes and messages, atomic files. */
#include "test_util.h"

static void test_date_roundtrip(void **state) {
  (void)state;
  assert_int_equal(peil_date_from_ymd(1970, 1, 1), 0);
  assert_int_equal(peil_date_from_ymd(2000, 3, 1), 11017);
  assert_int_equal(peil_date_from_ymd(1969, 12, 31), -1);
  /* Every day from 1900 to 2100 survives to civil and back. */
  for (int32_t d = peil_date_from_ymd(1900, 1, 1); d <= peil_date_from_ymd(2100, 12, 31); d++) {
    int y, m, dd;
    peil_date_to_ymd(d, &y, &m, &dd);
    assert_int_equal(peil_date_from_ymd(y, m, dd), d);
  }
  char buf[11];
  peil_date_format(peil_date_from_ymd(2018, 1, 1), buf);
  assert_string_equal(buf, "2018-01-01");
}

static void test_date_parse(void **state) {
  (void)state;
  int32_t d;
  assert_ok(peil_date_parse("2020-06-30", 10, &d));
  assert_int_equal(d, peil_date_from_ymd(2020, 6, 30));
  assert_ok(peil_date_parse("30-06-2020", 10, &d)); /* Dutch */
  assert_int_equal(d, peil_date_from_ymd(2020, 6, 30));
  assert_ok(peil_date_parse("2020-02-29", 10, &d));
  assert_int_equal(peil_date_parse("2021-02-29", 10, &d), PEIL_EDATA);
  assert_int_equal(peil_date_parse("2021-02-30", 10, &d), PEIL_EDATA);
  assert_int_equal(peil_date_parse("2021-13-01", 10, &d), PEIL_EDATA);
  assert_int_equal(peil_date_parse("2021-1-01", 9, &d), PEIL_EDATA);
  assert_int_equal(peil_date_parse("20210101", 8, &d), PEIL_EDATA);
  assert_int_equal(peil_date_parse("2021/01/01", 10, &d), PEIL_EDATA);
  assert_int_equal(peil_date_parse("1900-02-29", 10, &d), PEIL_EDATA);
}

static void test_month_parse(void **state) {
  (void)state;
  int32_t d = 0;
  assert_ok(peil_month_parse("2018-01", &d));
  assert_int_equal(d, peil_date_from_ymd(2018, 1, 1));
  assert_ok(peil_month_parse("2020-02-29", &d)); /* a date: its month */
  assert_int_equal(d, peil_date_from_ymd(2020, 2, 1));
  assert_ok(peil_month_parse("15-12-2022", &d));
  assert_int_equal(d, peil_date_from_ymd(2022, 12, 1));
  const char *bad[] = {"2018-13", "2018-00", "2018-1", "2018/01", "201801", "18-01", "",
                       "2018-01-32", "2018-01x", "x2018-01", "2018-01-"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (peil_month_parse(bad[i], &d) != PEIL_EDATA) fail_msg("'%s' was accepted", bad[i]);
}

static void test_add_months(void **state) {
  (void)state;
  int32_t jan31 = peil_date_from_ymd(2019, 1, 31);
  assert_int_equal(peil_date_add_months(jan31, 1), peil_date_from_ymd(2019, 2, 28));
  assert_int_equal(peil_date_add_months(peil_date_from_ymd(2020, 1, 31), 1),
                   peil_date_from_ymd(2020, 2, 29));
  assert_int_equal(peil_date_add_months(peil_date_from_ymd(2018, 1, 1), 18),
                   peil_date_from_ymd(2019, 7, 1));
  assert_int_equal(peil_date_add_months(peil_date_from_ymd(2018, 1, 1), -1),
                   peil_date_from_ymd(2017, 12, 1));
  assert_int_equal(peil_date_add_months(peil_date_from_ymd(2018, 3, 31), -13),
                   peil_date_from_ymd(2017, 2, 28));
}

static void test_status(void **state) {
  (void)state;
  assert_int_equal(peil_exit_code(PEIL_OK), 0);
  assert_int_equal(peil_exit_code(PEIL_EDATA), 2);
  assert_int_equal(peil_exit_code(PEIL_EINVAL), 2);
  assert_int_equal(peil_exit_code(PEIL_ENOTFOUND), 2);
  assert_int_equal(peil_exit_code(PEIL_EIO), 1);
  assert_int_equal(peil_exit_code(PEIL_ENUMERIC), 2);
  assert_int_equal(peil_error(PEIL_EDATA, "x.csv:%d: bad", 3), PEIL_EDATA);
  assert_string_equal(peil_errmsg(), "x.csv:3: bad");
  peil_error_prefix(PEIL_EDATA, "importing: ");
  assert_string_equal(peil_errmsg(), "importing: x.csv:3: bad");
  assert_int_equal(peil_type_from_name("float64"), PEIL_FLOAT64);
  assert_int_equal(peil_type_from_name("categorical"), PEIL_ENUM);
  assert_int_equal(peil_type_from_name("complex"), -1);
}

static void test_atomic(void **state) {
  (void)state;
  const char *path = test_path("atomic.txt");
  unlink(path);
  peil_atomic_file *f = NULL;
  assert_ok(peil_atomic_open(path, &f));
  fputs("half", (FILE *)peil_atomic_stream(f));
  assert_false(file_exists(path));
  peil_atomic_abort(f);
  assert_false(file_exists(path));
  assert_ok(peil_atomic_open(path, &f));
  fputs("whole\n", (FILE *)peil_atomic_stream(f));
  assert_ok(peil_atomic_commit(f));
  assert_true(file_exists(path));
  unlink(path);
  assert_int_equal(peil_atomic_open("/nonexistent-dir/x.txt", &f), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "/nonexistent-dir/x.txt"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_date_roundtrip), cmocka_unit_test(test_date_parse),
      cmocka_unit_test(test_month_parse),
      cmocka_unit_test(test_add_months),     cmocka_unit_test(test_status),
      cmocka_unit_test(test_atomic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
