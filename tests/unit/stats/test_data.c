/* The tests on a table of a store: tests/reference/stats/data/trial.csv
 * imported, every data case of cases.ini run through peil_stats_run and
 * compared with R on the same file; the rows used and dropped; the
 * readers' errors. */
#include "refcase.h"

static peil_store *store;

static int setup(void **state) {
  (void)state;
  char csv[1024];
  snprintf(csv, sizeof csv, "%s/reference/stats/data/trial.csv", PEIL_TEST_DATA);
  peil_csv_options co;
  peil_csv_options_init(&co);
  if (peil_store_open(test_path("trial.h5"), PEIL_STORE_MEMORY, &store)) return -1;
  return peil_csv_import(csv, &co, store, "trial", NULL) ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  peil_store_close(store);
  return 0;
}

static void test_data_reference(void **state) {
  (void)state;
  ref_cases l = ref_load("data");
  for (size_t i = 0; i < l.n; i++) {
    const ref_case *c = &l.c[i];
    double p[4];
    peil_test_options o = ref_options(c, p, 4);
    peil_stats_data_options d = {0};
    d.value = ref_get(c, "value");
    d.group = ref_get(c, "group");
    d.rows = ref_get(c, "rows");
    d.cols = ref_get(c, "cols");
    d.where = ref_get(c, "where");
    char **levels = NULL;
    if (ref_get(c, "levels")) assert_ok(peil_spec_split_list(ref_get(c, "levels"), "levels", &levels, &d.nlevels));
    d.levels = (const char *const *)levels;
    int kind = peil_test_kind_from_name(ref_get(c, "kind"));
    assert_true(kind >= 0);
    peil_stats_data *data = NULL;
    peil_test_result r = {0};
    if (peil_stats_run(store, "trial", (peil_test_kind)kind, &d, &o, &data, &r))
      fail_msg("%s: %s", c->name, peil_errmsg());
    ref_check_result(c, &r);
    if (data->n_used != (int64_t)ref_num(c, "used", -1))
      fail_msg("%s: %lld rows used, R used %.0f", c->name, (long long)data->n_used, ref_num(c, "used", -1));
    assert_int_equal(data->n_read, 400);
    assert_int_equal(data->n_read, data->n_filtered + data->n_missing + data->n_other + data->n_used);
    int64_t by = 0;
    for (size_t k = 0; k < data->nmissing_by; k++) by += data->missing_count[k];
    assert_int_equal(by, data->n_missing);
    assert_true(r.n_total == (double)data->n_used);
    peil_spec_list_free(levels);
    peil_stats_data_free(data);
    peil_test_result_clear(&r);
  }
  ref_free(&l);
}

/* Groups in level order with their labels; rows dropped by the first
 * missing column; --levels picks and orders. */
static void test_groups(void **state) {
  (void)state;
  peil_stats_data_options d = {.value = "income", .group = "treat"};
  peil_stats_data *data = NULL;
  assert_ok(peil_stats_read_groups(store, "trial", &d, 1, &data));
  assert_int_equal(data->ngroups, 2);
  assert_string_equal(data->level[0], "0");
  assert_string_equal(data->level[1], "1");
  assert_int_equal(data->nmissing_by, 2);
  assert_string_equal(data->missing_by[0], "income");
  assert_string_equal(data->missing_by[1], "treat");
  assert_int_equal(data->missing_count[0], 3); /* income NA in rows 5, 77, 300 */
  assert_int_equal(data->missing_count[1], 2); /* treat NA in rows 12, 250 */
  assert_int_equal(data->n_used, 395);
  peil_stats_data_free(data);

  const char *lv[] = {"Utrecht", "Den Haag"};
  peil_stats_data_options m = {.value = "age", .group = "municipality", .levels = lv, .nlevels = 2};
  assert_ok(peil_stats_read_groups(store, "trial", &m, 1, &data));
  assert_string_equal(data->level[0], "Utrecht");
  assert_string_equal(data->level[1], "Den Haag");
  assert_int_equal(data->n_read, data->n_missing + data->n_other + data->n_used);
  assert_true(data->n_other > 100);
  peil_stats_data_free(data);

  peil_stats_data_options t = {.rows = "municipality", .cols = "outcome", .where = "age < 40"};
  assert_ok(peil_stats_read_table(store, "trial", &t, &data));
  assert_int_equal(data->nrow, 4);
  assert_int_equal(data->ncol, 3);
  assert_string_equal(data->row_level[1], "Den Haag");
  assert_string_equal(data->col_level[2], "werk");
  double sum = 0;
  for (size_t k = 0; k < 12; k++) sum += data->count[k];
  assert_true(sum == (double)data->n_used && data->n_filtered > 0);
  peil_stats_data_free(data);
}

static void expect_error(const peil_stats_data_options *d, peil_test_kind kind, int code, const char *text) {
  peil_stats_data *data = NULL;
  peil_test_result r = {0};
  int rc = peil_stats_run(store, "trial", kind, d, NULL, &data, &r);
  if (rc != code) fail_msg("expected %d, got %d: %s", code, rc, peil_errmsg());
  if (!strstr(peil_errmsg(), text)) fail_msg("message '%s' lacks '%s'", peil_errmsg(), text);
  peil_stats_data_free(data);
  peil_test_result_clear(&r);
}

static void test_errors(void **state) {
  (void)state;
  peil_stats_data_options d = {.value = "income", .group = "municipality"};
  expect_error(&d, PEIL_TEST_T, PEIL_EDATA,
               "group column 'municipality' has 4 levels in the rows used (Amsterdam, Den Haag, Rotterdam, Utrecht)");
  d.group = "treet";
  expect_error(&d, PEIL_TEST_T, PEIL_ENOTFOUND, "--group: no column 'treet' in table 'trial'");
  d.group = "treat", d.value = "incom * 2";
  expect_error(&d, PEIL_TEST_WILCOX, PEIL_ENOTFOUND, "'incom * 2': unknown column 'incom' in table 'trial'");
  d.value = "income", d.where = "age";
  expect_error(&d, PEIL_TEST_T, PEIL_ETYPE, "is not a condition");
  d.where = "age > 100";
  expect_error(&d, PEIL_TEST_T, PEIL_EDATA, "no rows left in table 'trial': 400 read, 400 filtered out");
  d.where = "treat == 1";
  expect_error(&d, PEIL_TEST_T, PEIL_EDATA, "has 1 level in the rows used (1)");
  d.where = NULL;
  expect_error(&d, PEIL_TEST_PROP, PEIL_EDATA, "--value income must be 0 or 1: row 1 has 2230.391");
  d.value = "in_work", d.group = NULL;
  expect_error(&d, PEIL_TEST_T, PEIL_EINVAL, "give the group column");
  d.group = "treat";
  expect_error(&d, PEIL_TEST_BINOM, PEIL_EINVAL, "leave out the group");
  const char *bad[] = {"0", "2"};
  d.levels = bad, d.nlevels = 2;
  expect_error(&d, PEIL_TEST_PROP, PEIL_ENOTFOUND, "no row used has level '2' of column 'treat'");
  peil_stats_data_options t = {.rows = "municipality", .cols = "outcome"};
  expect_error(&t, PEIL_TEST_FISHER, PEIL_EDATA, "Fisher's exact test takes a 2 x 2 table; 'municipality' by 'outcome' is 4 x 3");
  t.where = "municipality == \"Utrecht\"";
  expect_error(&t, PEIL_TEST_CHISQ, PEIL_EDATA, "column 'municipality' has 1 level in the rows used: Utrecht");
  t.where = NULL, t.cols = "income";
  expect_error(&t, PEIL_TEST_CHISQ, PEIL_ETYPE, "column 'income' of table 'trial' holds fractional numbers");
  d.value = "age", d.group = "income", d.where = NULL;
  expect_error(&d, PEIL_TEST_T, PEIL_ETYPE, "--group: column 'income' of table 'trial' holds fractional numbers");
  t.cols = "outcome", t.where = "age < 30 & outcome == \"werk\"";
  expect_error(&t, PEIL_TEST_CHISQ, PEIL_EDATA, "column 'outcome' has 1 level in the rows used: werk");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_data_reference),
      cmocka_unit_test(test_groups),
      cmocka_unit_test(test_errors),
  };
  int failed = cmocka_run_group_tests(tests, setup, teardown);
  ref_report("tests on a table of a store");
  return failed;
}
