/* Cross-tabulations (peil_crosstab_compute) against counts made row by row
 * in the test: a hand-written table with missing categories and values, a
 * filter, a one-way and a two-way table, the totals as sums and as
 * n-weighted means; and a table of 200,000 random rows over several blocks.
 * Bad input: unknown columns, fractional categories, a categorical value,
 * a filter that is not a condition. */
#include <math.h>
#include <stdlib.h>

#include "test_util.h"
#include "peil/crosstab.h"

#define N 12
static const char *const towns[] = {"Amsterdam", "Rotterdam", "Den Haag", "Utrecht"};
static const int32_t town[N] = {2, 0, 0, 3, PEIL_NA_ENUM, 0, 2, 3, 1, 1, 0, 2};
static const int32_t year[N] = {2019, 2018, 2019, 2019, 2018, 2018, 2019, 2018, 2020, 2018, 2019, 2019};
static const double work[N] = {1, 0, 1, NAN, 1, 0, 0, 1, 1, 0, 1, 1};
static const double age[N] = {30, 41, 22, 25, 52, 33, 47, 38, 61, 29, 44, 35};

static peil_store *small_store(void) {
  peil_store *s = NULL;
  assert_ok(peil_store_open("crosstab-small.h5", PEIL_STORE_MEMORY, &s));
  peil_column_def cols[] = {{"town", PEIL_ENUM, 4, towns}, {"year", PEIL_INT32, 0, NULL},
                            {"work", PEIL_FLOAT64, 0, NULL}, {"age", PEIL_FLOAT64, 0, NULL}};
  peil_table_writer *w = NULL;
  assert_ok(peil_table_create(s, "t", cols, 4, &w));
  const void *data[] = {town, year, work, age};
  assert_ok(peil_table_append(w, data, N));
  assert_ok(peil_table_finish(w));
  return s;
}

static void test_two_way(void **state) {
  (void)state;
  peil_store *s = small_store();
  peil_crosstab_options o = {"town", "year", "work", "age < 60", 0};
  peil_crosstab *x = NULL;
  assert_ok(peil_crosstab_compute(s, "t", &o, &x));
  /* Categories in level order (all four towns occur) and ascending years. */
  assert_int_equal(x->nrows, 4);
  assert_string_equal(x->row_labels[0], "Amsterdam");
  assert_string_equal(x->row_labels[2], "Den Haag");
  assert_int_equal(x->ncols, 2); /* 2020 occurs only at age 61: filtered out */
  assert_string_equal(x->col_labels[0], "2018");
  assert_string_equal(x->col_labels[1], "2019");
  assert_int_equal(x->n_read, N);
  assert_true(x->binary); /* work is 0/1: a share */
  assert_int_equal(x->n_filtered, 1);
  assert_int_equal(x->n_missing, 1);
  /* Every cell and margin counted again here. */
  for (size_t r = 0; r <= x->nrows; r++)
    for (size_t c = 0; c <= x->ncols; c++) {
      int64_t n = 0, nv = 0;
      double sum = 0;
      for (size_t i = 0; i < N; i++) {
        if (!(age[i] < 60) || town[i] == PEIL_NA_ENUM) continue;
        int32_t code = r < x->nrows ? (int32_t)r : -2; /* the level order is the code order here */
        int y = c < x->ncols ? (c == 0 ? 2018 : 2019) : -2;
        if ((code != -2 && town[i] != code) || (y != -2 && year[i] != y)) continue;
        n++;
        if (!isnan(work[i])) nv++, sum += work[i];
      }
      size_t k = peil_crosstab_cell(x, r, c);
      assert_int_equal(x->n[k], n);
      assert_int_equal(x->n_value[k], nv);
      assert_true(x->sum[k] == sum);
      if (nv) assert_true(fabs(peil_crosstab_mean(x, r, c) - sum / (double)nv) < 1e-15);
      else assert_true(isnan(peil_crosstab_mean(x, r, c)));
    }
  /* The total share is the n-weighted mean of the rows' shares. */
  double weighted = 0;
  for (size_t r = 0; r < x->nrows; r++)
    weighted += (double)x->n_value[peil_crosstab_cell(x, r, x->ncols)] * peil_crosstab_mean(x, r, x->ncols);
  assert_true(fabs(weighted / (double)x->n_value[peil_crosstab_cell(x, x->nrows, x->ncols)] -
                   peil_crosstab_mean(x, x->nrows, x->ncols)) < 1e-15);
  peil_crosstab_free(x);
  peil_store_close(s);
}

static void test_one_way(void **state) {
  (void)state;
  peil_store *s = small_store();
  peil_crosstab_options o = {"year", NULL, NULL, NULL, 1};
  peil_crosstab *x = NULL;
  assert_ok(peil_crosstab_compute(s, "t", &o, &x));
  assert_int_equal(x->nrows, 3);
  assert_int_equal(x->ncols, 1);
  const int64_t want[] = {5, 6, 1, 12};
  for (size_t r = 0; r <= 3; r++) assert_int_equal(x->n[peil_crosstab_cell(x, r, 0)], want[r]);
  assert_int_equal(x->n[peil_crosstab_cell(x, 3, 1)], 12);
  assert_true(isnan(peil_crosstab_mean(x, 0, 0)));
  assert_false(x->binary); /* no value */
  peil_crosstab_free(x);
  peil_crosstab_options o2 = {"year", NULL, "age", NULL, 1};
  assert_ok(peil_crosstab_compute(s, "t", &o2, &x));
  assert_false(x->binary);
  assert_true(fabs(peil_crosstab_mean(x, 2, 0) - 61) < 1e-12); /* 2020: one person, 61 */
  peil_crosstab_free(x);
  peil_store_close(s);
}

/* 200,000 rows: several blocks of the scan, categories first seen in any
 * order, a condition as value. */
static void test_many_rows(void **state) {
  (void)state;
  size_t n = 200000;
  int32_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
  double *v = malloc(n * sizeof *v);
  assert_non_null(a), assert_non_null(b), assert_non_null(v);
  int64_t count[7][5] = {{0}};
  int64_t big[7][5] = {{0}};
  uint64_t z = 12345;
  for (size_t i = 0; i < n; i++) {
    z = z * 6364136223846793005ULL + 1442695040888963407ULL;
    a[i] = (int32_t)((z >> 33) % 7) * 10 - 20; /* -20, -10, ..., 40 */
    b[i] = (int32_t)((z >> 45) % 5);
    v[i] = (double)((z >> 20) % 1000);
    count[(a[i] + 20) / 10][b[i]]++;
    big[(a[i] + 20) / 10][b[i]] += v[i] >= 500;
  }
  peil_store *s = NULL;
  assert_ok(peil_store_open("crosstab-many.h5", PEIL_STORE_MEMORY, &s));
  peil_column_def cols[] = {{"a", PEIL_INT32, 0, NULL}, {"b", PEIL_INT32, 0, NULL}, {"v", PEIL_FLOAT64, 0, NULL}};
  peil_table_writer *w = NULL;
  assert_ok(peil_table_create(s, "t", cols, 3, &w));
  const void *data[] = {a, b, v};
  assert_ok(peil_table_append(w, data, n));
  assert_ok(peil_table_finish(w));
  peil_crosstab_options o = {"a", "b", "v >= 500", NULL, 2};
  peil_crosstab *x = NULL;
  assert_ok(peil_crosstab_compute(s, "t", &o, &x));
  assert_int_equal(x->nrows, 7);
  assert_int_equal(x->ncols, 5);
  assert_string_equal(x->row_labels[0], "-20");
  for (size_t r = 0; r < 7; r++)
    for (size_t c = 0; c < 5; c++) {
      size_t k = peil_crosstab_cell(x, r, c);
      assert_int_equal(x->n[k], count[r][c]);
      assert_true(x->sum[k] == (double)big[r][c]);
    }
  assert_int_equal(x->n[peil_crosstab_cell(x, 7, 5)], (int64_t)n);
  peil_crosstab_free(x);
  peil_store_close(s);
  free(a), free(b), free(v);
}

static void expect_error(const peil_crosstab_options *o, int status, const char *text) {
  peil_store *s = small_store();
  peil_crosstab *x = NULL;
  assert_int_equal(peil_crosstab_compute(s, "t", o, &x), status);
  assert_null(x);
  if (!strstr(peil_errmsg(), text)) fail_msg("message '%s' lacks '%s'", peil_errmsg(), text);
  peil_store_close(s);
}

static void test_bad_input(void **state) {
  (void)state;
  peil_crosstab_options o1 = {"towm", NULL, NULL, NULL, 0};
  expect_error(&o1, PEIL_ENOTFOUND, "rows: unknown column 'towm' in table 't'");
  peil_crosstab_options o2 = {"town", "age", NULL, NULL, 0};
  expect_error(&o2, PEIL_ETYPE, "cols: column 'age' of table 't' holds fractional numbers");
  peil_crosstab_options o3 = {"year", NULL, "town", NULL, 0};
  expect_error(&o3, PEIL_ETYPE, "value: column 'town' of table 't' is categorical");
  peil_crosstab_options o4 = {"year", NULL, NULL, "age + 1", 0};
  expect_error(&o4, PEIL_ETYPE, "where 'age + 1' is not a condition");
  peil_crosstab_options o5 = {"year", NULL, "work * wage", NULL, 0};
  expect_error(&o5, PEIL_ENOTFOUND, "unknown column 'wage' in table 't'");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_two_way),
      cmocka_unit_test(test_one_way),
      cmocka_unit_test(test_many_rows),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
