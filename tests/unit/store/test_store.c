/* The store: every column type round-trips with its missing values, enum
 * labels survive, writes are atomic, updating keeps the other tables. */
#include <dirent.h>

#include "test_util.h"

static const char *const levels[] = {"Amsterdam", "Rotterdam", "Den Haag", "Utrecht"};

static const peil_column_def cols[] = {
    {"i8", PEIL_INT8, 0, NULL},       {"i16", PEIL_INT16, 0, NULL},
    {"i32", PEIL_INT32, 0, NULL},     {"i64", PEIL_INT64, 0, NULL},
    {"f32", PEIL_FLOAT32, 0, NULL},   {"f64", PEIL_FLOAT64, 0, NULL},
    {"flag", PEIL_BOOL, 0, NULL},     {"day", PEIL_DATE, 0, NULL},
    {"gemeente", PEIL_ENUM, 4, levels},
};
#define NCOLS (sizeof cols / sizeof cols[0])
#define N 150000 /* more than two chunks, and a partial one */

static void fill(size_t i, int8_t *a, int16_t *b, int32_t *c, int64_t *d, float *e, double *f,
                 int8_t *g, int32_t *h, int32_t *k) {
  int na = i % 97 == 0;
  *a = na ? PEIL_NA_INT8 : (int8_t)(i % 100);
  *b = na ? PEIL_NA_INT16 : (int16_t)(i % 30000);
  *c = na ? PEIL_NA_INT32 : (int32_t)i * 3;
  *d = na ? PEIL_NA_INT64 : (int64_t)i * 1000000007LL;
  *e = na ? NAN : (float)i / 7.0f;
  *f = na ? NAN : (double)i / 3.0;
  *g = na ? PEIL_NA_BOOL : (int8_t)(i % 2);
  *h = na ? PEIL_NA_DATE : 17000 + (int32_t)(i % 2000);
  *k = na ? PEIL_NA_ENUM : (int32_t)(i % 4);
}

static void write_table_with(peil_store *s, const char *name, size_t n, int behind) {
  peil_table_writer *w = NULL;
  assert_ok(peil_table_create(s, name, cols, NCOLS, &w));
  if (behind) assert_ok(peil_table_write_behind(w));
  /* Append in odd-sized pieces so the writer's chunk buffering is exercised. */
  const size_t piece = 7001;
  int8_t a[7001], g[7001];
  int16_t b[7001];
  int32_t c[7001], h[7001], k[7001];
  int64_t d[7001];
  float e[7001];
  double f[7001];
  for (size_t at = 0; at < n; at += piece) {
    size_t m = n - at < piece ? n - at : piece;
    for (size_t i = 0; i < m; i++)
      fill(at + i, &a[i], &b[i], &c[i], &d[i], &e[i], &f[i], &g[i], &h[i], &k[i]);
    const void *bufs[NCOLS] = {a, b, c, d, e, f, g, h, k};
    assert_ok(peil_table_append(w, bufs, m));
  }
  assert_ok(peil_table_finish(w));
}

static void write_table(peil_store *s, const char *name, size_t n) { write_table_with(s, name, n, 0); }

static void check_table(peil_store *s, const char *name, size_t n) {
  peil_table_info *ti = NULL;
  assert_ok(peil_store_table_info(s, name, &ti));
  assert_int_equal(ti->nrows, (int64_t)n);
  assert_int_equal(ti->ncols, NCOLS);
  for (size_t j = 0; j < NCOLS; j++) {
    assert_string_equal(ti->cols[j].name, cols[j].name);
    assert_int_equal(ti->cols[j].type, cols[j].type);
  }
  assert_int_equal(ti->cols[8].nlevels, 4);
  assert_string_equal(ti->cols[8].levels[2], "Den Haag");
  peil_table_info_free(ti);

  peil_scan *sc = NULL;
  assert_ok(peil_scan_open(s, name, NULL, 0, 10000, &sc));
  peil_block blk;
  size_t seen = 0;
  int r;
  while ((r = peil_scan_next(sc, &blk)) == 1) {
    for (size_t i = 0; i < blk.nrows; i++) {
      size_t row = (size_t)blk.start + i;
      int8_t a, g;
      int16_t b;
      int32_t c, h, k;
      int64_t d;
      float e;
      double f;
      fill(row, &a, &b, &c, &d, &e, &f, &g, &h, &k);
      assert_int_equal(((const int8_t *)blk.cols[0])[i], a);
      assert_int_equal(((const int16_t *)blk.cols[1])[i], b);
      assert_int_equal(((const int32_t *)blk.cols[2])[i], c);
      assert_true(((const int64_t *)blk.cols[3])[i] == d);
      if (isnan(e)) assert_true(isnan(((const float *)blk.cols[4])[i]));
      else assert_true(((const float *)blk.cols[4])[i] == e);
      if (isnan(f)) assert_true(peil_value_is_missing(PEIL_FLOAT64, blk.cols[5], i));
      else assert_true(((const double *)blk.cols[5])[i] == f);
      assert_int_equal(((const int8_t *)blk.cols[6])[i], g);
      assert_int_equal(((const int32_t *)blk.cols[7])[i], h);
      assert_int_equal(((const int32_t *)blk.cols[8])[i], k);
    }
    seen += blk.nrows;
  }
  assert_int_equal(r, 0);
  assert_int_equal(seen, n);
  peil_scan_close(sc);

  /* a restricted scan: exactly the rows asked for, the first block up to the
   * next multiple of the block size, then whole blocks again */
  if (n > 25000) {
    assert_ok(peil_scan_open(s, name, NULL, 0, 10000, &sc));
    assert_ok(peil_scan_restrict(sc, 12345, 25001));
    int64_t next = 12345;
    size_t blocks = 0;
    while ((r = peil_scan_next(sc, &blk)) == 1) {
      assert_int_equal(blk.start, next);
      assert_true(blocks == 0 || blk.start % 10000 == 0);
      int32_t c0;
      int8_t a;
      int16_t b;
      int64_t d;
      float e;
      double f;
      int8_t g;
      int32_t h, k;
      fill((size_t)blk.start, &a, &b, &c0, &d, &e, &f, &g, &h, &k);
      assert_int_equal(((const int32_t *)blk.cols[2])[0], c0);
      next += (int64_t)blk.nrows;
      blocks++;
    }
    assert_int_equal(r, 0);
    assert_int_equal(next, 25001);
    assert_int_equal(blocks, 2); /* 12345..19999, 20000..25000 */
    assert_int_equal(peil_scan_restrict(sc, 10, (int64_t)n + 1), PEIL_EINVAL);
    peil_scan_close(sc);
  }
}

/* No temporary file of this test may stay behind in the scratch directory
 * (other test programs run beside it and have their own). */
static int count_temporaries(void) {
  DIR *d = opendir(PEIL_TEST_TMP);
  int n = 0;
  char mine[64];
  snprintf(mine, sizeof mine, ".scratch-%d-", (int)getpid());
  struct dirent *e;
  while ((e = readdir(d)))
    if (strncmp(e->d_name, mine, strlen(mine)) == 0) n++;
  closedir(d);
  return n;
}

static void test_roundtrip(void **state) {
  (void)state;
  const char *path = test_path("roundtrip.h5");
  unlink(path);
  peil_store *s = NULL;
  assert_ok(peil_store_open(path, PEIL_STORE_CREATE, &s));
  write_table(s, "persons", N);
  assert_ok(peil_store_set_attr_str(s, "persons", "description", "test table"));
  assert_ok(peil_store_set_attr_f64(s, NULL, "true_att", 0.125));
  assert_false(file_exists(path)); /* nothing at the target before commit */
  assert_ok(peil_store_commit(s));
  peil_store_close(s);
  assert_true(file_exists(path));
  assert_int_equal(count_temporaries(), 0);

  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  check_table(s, "persons", N);
  char *desc = NULL;
  assert_ok(peil_store_get_attr_str(s, "persons", "description", &desc));
  assert_string_equal(desc, "test table");
  free(desc);
  double att;
  assert_ok(peil_store_get_attr_f64(s, NULL, "true_att", &att));
  assert_true(att == 0.125);
  peil_store_close(s);
  unlink(path);
}

static void test_update_keeps_tables_and_abort_discards(void **state) {
  (void)state;
  const char *path = test_path("update.h5");
  unlink(path);
  peil_store *s = NULL;
  assert_ok(peil_store_open(path, PEIL_STORE_CREATE, &s));
  write_table(s, "a", 1000);
  assert_ok(peil_store_commit(s));
  peil_store_close(s);

  /* An update that is not committed changes nothing. */
  assert_ok(peil_store_open(path, PEIL_STORE_UPDATE, &s));
  write_table(s, "b", 10);
  peil_store_close(s);
  assert_int_equal(count_temporaries(), 0);
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  assert_false(peil_store_has_table(s, "b"));
  peil_store_close(s);

  /* A committed update keeps table a and adds b. */
  assert_ok(peil_store_open(path, PEIL_STORE_UPDATE, &s));
  assert_int_equal(peil_table_create(s, "a", cols, NCOLS, &(peil_table_writer *){NULL}), PEIL_EEXIST);
  write_table(s, "b", 10);
  assert_ok(peil_store_commit(s));
  peil_store_close(s);
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  char **names;
  size_t n;
  assert_ok(peil_store_list_tables(s, &names, &n));
  assert_int_equal(n, 2);
  assert_string_equal(names[0], "a");
  assert_string_equal(names[1], "b");
  peil_strings_free(names, n);
  check_table(s, "a", 1000);
  check_table(s, "b", 10);
  peil_store_close(s);
  unlink(path);
}

static void test_errors_name_the_place(void **state) {
  (void)state;
  peil_store *s = NULL;
  assert_int_equal(peil_store_open("/nonexistent/x.h5", PEIL_STORE_READ, &s), PEIL_ENOTFOUND);
  assert_non_null(strstr(peil_errmsg(), "/nonexistent/x.h5"));
  const char *txt = test_path("not-hdf5.h5");
  write_text(txt, "hello\n");
  assert_int_equal(peil_store_open(txt, PEIL_STORE_READ, &s), PEIL_EDATA);
  assert_non_null(strstr(peil_errmsg(), "not an HDF5 file"));
  unlink(txt);

  const char *path = test_path("errors.h5");
  assert_ok(peil_store_open(path, PEIL_STORE_CREATE, &s));
  write_table(s, "t", 10);
  peil_scan *sc = NULL;
  const char *want[] = {"i8", "nope"};
  assert_int_equal(peil_scan_open(s, "t", want, 2, 0, &sc), PEIL_ENOTFOUND);
  assert_non_null(strstr(peil_errmsg(), "'nope'"));
  assert_int_equal(peil_scan_open(s, "missing", want, 1, 0, &sc), PEIL_ENOTFOUND);
  assert_non_null(strstr(peil_errmsg(), "'missing'"));
  peil_column_def dup[] = {{"x", PEIL_INT32, 0, NULL}, {"x", PEIL_INT8, 0, NULL}};
  peil_table_writer *w = NULL;
  assert_int_equal(peil_table_create(s, "d", dup, 2, &w), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "duplicate column name 'x'"));
  /* An enum whose labels do not fit HDF5's 64 kB type message is refused
   * before HDF5 fails on it. */
  enum { NBIG = 5000 };
  char(*big)[32] = malloc(NBIG * sizeof *big);
  const char **labels = malloc(NBIG * sizeof *labels);
  for (int k = 0; k < NBIG; k++) snprintf(big[k], sizeof big[k], "a rather long label %05d", k), labels[k] = big[k];
  peil_column_def many = {"m", PEIL_ENUM, NBIG, labels};
  assert_true(peil_enum_type_bytes(NBIG, labels) > PEIL_ENUM_TYPE_MAX);
  assert_int_equal(peil_table_create(s, "m", &many, 1, &w), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "64 kB"));
  free(labels);
  free(big);
  /* An enum code outside the levels is refused, naming row and column. */
  assert_ok(peil_table_create(s, "e", &cols[8], 1, &w));
  int32_t bad[3] = {0, 4, 1};
  const void *bufs[1] = {bad};
  assert_int_equal(peil_table_append(w, bufs, 3), PEIL_EDATA);
  assert_non_null(strstr(peil_errmsg(), "row 2"));
  peil_table_writer_free(w);
  peil_store_close(s); /* not committed: nothing left */
  assert_false(file_exists(path));
}

/* Write-behind: the same table, chunk for chunk, whether a thread writes
 * the full chunks or the caller does (several chunks and a partial one, in
 * odd-sized appends); a writer freed with a chunk in flight stops cleanly. */
static void test_write_behind(void **state) {
  (void)state;
  const char *path = test_path("behind.h5");
  unlink(path);
  peil_store *s = NULL;
  assert_ok(peil_store_open(path, PEIL_STORE_CREATE, &s));
  peil_store_set_chunk_rows(s, 10000);
  write_table_with(s, "behind", N, 1);
  write_table_with(s, "small", 10, 1); /* less than a chunk: no hand-over */
  peil_table_writer *w = NULL;
  assert_ok(peil_table_create(s, "dropped", cols, NCOLS, &w));
  assert_ok(peil_table_write_behind(w));
  assert_ok(peil_table_write_behind(w)); /* twice: once */
  int8_t a[25000] = {0}, g[25000] = {0};
  int16_t b[25000] = {0};
  int32_t c[25000] = {0}, h[25000] = {0}, k[25000] = {0};
  int64_t d[25000] = {0};
  float e[25000] = {0};
  double f[25000] = {0};
  const void *bufs[NCOLS] = {a, b, c, d, e, f, g, h, k};
  assert_ok(peil_table_append(w, bufs, 25000));
  peil_table_writer_free(w); /* without finish */
  assert_ok(peil_store_commit(s));
  peil_store_close(s);
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  check_table(s, "behind", N);
  check_table(s, "small", 10);
  peil_store_close(s);
  unlink(path);
}

/* A table renamed keeps its columns, rows and attributes; renaming to an
 * existing name, from a missing one, to a bad name or in a read-only store
 * is refused and changes nothing. */
static void test_rename_table(void **state) {
  (void)state;
  const char *path = test_path("rename.h5");
  unlink(path);
  peil_store *s = NULL;
  assert_ok(peil_store_open(path, PEIL_STORE_CREATE, &s));
  write_table(s, ".t.partial", 1000);
  write_table(s, "other", 10);
  assert_ok(peil_store_set_attr_str(s, ".t.partial", "description", "kept"));
  assert_int_equal(peil_store_rename_table(s, ".t.partial", "other"), PEIL_EEXIST);
  assert_non_null(strstr(peil_errmsg(), "'other' exists already"));
  assert_int_equal(peil_store_rename_table(s, "nope", "t"), PEIL_ENOTFOUND);
  assert_non_null(strstr(peil_errmsg(), "no table 'nope'"));
  assert_int_equal(peil_store_rename_table(s, ".t.partial", "a/b"), PEIL_EINVAL);
  assert_int_equal(peil_store_rename_table(s, ".t.partial", ""), PEIL_EINVAL);
  assert_true(peil_store_has_table(s, ".t.partial"));
  assert_ok(peil_store_rename_table(s, ".t.partial", "t"));
  assert_false(peil_store_has_table(s, ".t.partial"));
  check_table(s, "t", 1000);
  check_table(s, "other", 10);
  assert_ok(peil_store_commit(s));
  peil_store_close(s);

  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  check_table(s, "t", 1000);
  char *desc = NULL;
  assert_ok(peil_store_get_attr_str(s, "t", "description", &desc));
  assert_string_equal(desc, "kept");
  free(desc);
  assert_int_equal(peil_store_rename_table(s, "t", "u"), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "read-only"));
  assert_true(peil_store_has_table(s, "t"));
  peil_store_close(s);
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rename_table),
      cmocka_unit_test(test_write_behind),
      cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_update_keeps_tables_and_abort_discards),
      cmocka_unit_test(test_errors_name_the_place),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
