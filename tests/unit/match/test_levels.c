/* Levels and strata (src/match/levels.c): the distinct values of a column
 * and each unit's code, by the small table of values and by the sort it
 * falls back to past 4096 values; strata refined through the table of all
 * (stratum, code) pairs and by the sort past its size limit. Both ways
 * must number alike: ascending values, pairs in sorted order. */
#include "test_util.h"
#include "match/match_internal.h"

static void check_distinct(const double *x, size_t n, size_t want_levels) {
  int32_t *code = malloc((n ? n : 1) * sizeof *code);
  double *lev = NULL;
  size_t nd = 0;
  assert_non_null(code);
  assert_ok(match_distinct(x, n, &lev, &nd, code));
  assert_int_equal(nd, want_levels);
  for (size_t k = 1; k < nd; k++) assert_true(lev[k - 1] < lev[k]);
  for (size_t i = 0; i < n; i++) {
    assert_true(code[i] >= 0 && (size_t)code[i] < nd);
    assert_true(lev[code[i]] == x[i]);
  }
  free(lev);
  free(code);
}

static void test_distinct_few(void **state) {
  (void)state;
  const double x[] = {3, 1, 3, 3, 2, 2, 1, 7, -0.5};
  int32_t code[9];
  double *lev = NULL;
  size_t nd = 0;
  assert_ok(match_distinct(x, 9, &lev, &nd, code));
  assert_int_equal(nd, 5);
  const double want_lev[] = {-0.5, 1, 2, 3, 7};
  const int32_t want_code[] = {3, 1, 3, 3, 2, 2, 1, 4, 0};
  for (size_t k = 0; k < 5; k++) assert_true(lev[k] == want_lev[k]);
  for (size_t i = 0; i < 9; i++) assert_int_equal(code[i], want_code[i]);
  free(lev);
  check_distinct(x, 0, 0);
}

/* 4096 values take the table; 4097 and 5003 the sort. */
static void test_distinct_many(void **state) {
  (void)state;
  size_t n = 20000;
  double *x = malloc(n * sizeof *x);
  assert_non_null(x);
  const size_t kinds[] = {4096, 4097, 5003};
  for (size_t k = 0; k < 3; k++) {
    for (size_t i = 0; i < n; i++) x[i] = (double)((i * 7919) % kinds[k]) / 4 - 100;
    check_distinct(x, n, kinds[k]);
  }
  free(x);
}

/* The refined strata of (id, code) against their definition: equal pairs
 * share a stratum, the order of pairs is the order of strata, and every
 * number 0..ns-1 is used. */
static void check_refine(const int64_t *id0, const double *code, size_t n, size_t ns0) {
  int64_t *id = malloc(n * sizeof *id);
  assert_non_null(id);
  memcpy(id, id0, n * sizeof *id);
  size_t ns = ns0;
  assert_ok(match_strata_refine(id, code, n, &ns));
  unsigned char *used = calloc(ns, 1);
  assert_non_null(used);
  for (size_t i = 0; i < n; i++) {
    assert_true(id[i] >= 0 && (size_t)id[i] < ns);
    used[id[i]] = 1;
    for (size_t j = 0; j < n; j++) {
      int less = id0[i] < id0[j] || (id0[i] == id0[j] && code[i] < code[j]);
      int same = id0[i] == id0[j] && code[i] == code[j];
      if (same) assert_true(id[i] == id[j]);
      else if (less) assert_true(id[i] < id[j]);
    }
  }
  for (size_t s = 0; s < ns; s++) assert_true(used[s]);
  free(used);
  free(id);
}

static void test_refine(void **state) {
  (void)state;
  size_t n = 2000;
  int64_t *id = malloc(n * sizeof *id);
  double *code = malloc(n * sizeof *code);
  assert_non_null(id);
  assert_non_null(code);
  /* the table: 7 strata x 5 values */
  for (size_t i = 0; i < n; i++) id[i] = (int64_t)((i * 31) % 7), code[i] = (double)((i * 13) % 5);
  check_refine(id, code, n, 7);
  /* the sort: 2000 strata x 1000 values is 2M pairs, past the table's 1M */
  for (size_t i = 0; i < n; i++) id[i] = (int64_t)((i * 17) % n), code[i] = (double)((i * 11) % 1000);
  check_refine(id, code, n, n);
  /* many strata, few pairs present: the same numbers either way */
  for (size_t i = 0; i < n; i++) id[i] = (int64_t)(i / 3), code[i] = (double)(i % 3 == 0);
  check_refine(id, code, n, (n + 2) / 3);
  free(id);
  free(code);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_distinct_few),
      cmocka_unit_test(test_distinct_many),
      cmocka_unit_test(test_refine),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
