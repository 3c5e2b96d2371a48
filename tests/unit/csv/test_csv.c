/* The csv module: value parsers against the C library, float text that
 * reads back exactly, type inference, schemas, every bad input (message
 * naming file, line and column; no table left), import -> export -> import
 * round trips, and identical results for any chunk size and worker count. */
#include <dirent.h>
#include <float.h>
#include <locale.h>

#include "test_util.h"
#include "csv/csv_internal.h"

/* ---- helpers */

static peil_store *new_store(const char *name) {
  peil_store *s = NULL;
  assert_ok(peil_store_open(test_path(name), PEIL_STORE_CREATE, &s));
  return s;
}

/* Imports text as table `table` of s with options o (NULL = defaults). */
static int import_text(peil_store *s, const char *table, const char *text,
                       const peil_csv_options *o, peil_csv_report *rep) {
  const char *path = test_path("in.csv");
  write_text(path, text);
  return peil_csv_import(path, o, s, table, rep);
}

/* The message of the last error contains every one of the strings. */
static void assert_msg(const char *a, const char *b, const char *c) {
  const char *m = peil_errmsg();
  if ((a && !strstr(m, a)) || (b && !strstr(m, b)) || (c && !strstr(m, c)))
    fail_msg("message '%s' lacks '%s' / '%s' / '%s'", m, a ? a : "", b ? b : "", c ? c : "");
}

/* Reads column `col` of a table as text, one value per row ("NA" for
 * missing), joined by '|': compares whole columns in one assert. */
static char *column_text(peil_store *s, const char *table, const char *col) {
  peil_scan *sc = NULL;
  const char *cols[] = {col};
  assert_ok(peil_scan_open(s, table, cols, 1, 0, &sc));
  const peil_column_info *ci = peil_scan_column(sc, 0);
  size_t cap = 1 << 16, used = 0;
  char *out = malloc(cap);
  out[0] = '\0';
  peil_block blk;
  while (peil_scan_next(sc, &blk) == 1) {
    for (size_t i = 0; i < blk.nrows; i++) {
      char v[128];
      const void *b = blk.cols[0];
      if (peil_value_is_missing(ci->type, b, i)) snprintf(v, sizeof v, "NA");
      else switch (ci->type) {
        case PEIL_INT8: snprintf(v, sizeof v, "%d", ((const int8_t *)b)[i]); break;
        case PEIL_INT16: snprintf(v, sizeof v, "%d", ((const int16_t *)b)[i]); break;
        case PEIL_INT32: snprintf(v, sizeof v, "%d", ((const int32_t *)b)[i]); break;
        case PEIL_INT64: snprintf(v, sizeof v, "%lld", (long long)((const int64_t *)b)[i]); break;
        case PEIL_FLOAT32: snprintf(v, sizeof v, "%a", (double)((const float *)b)[i]); break;
        case PEIL_FLOAT64: snprintf(v, sizeof v, "%a", ((const double *)b)[i]); break;
        case PEIL_BOOL: snprintf(v, sizeof v, "%s", ((const int8_t *)b)[i] ? "T" : "F"); break;
        case PEIL_DATE: peil_date_format(((const int32_t *)b)[i], v); break;
        case PEIL_ENUM: snprintf(v, sizeof v, "<%s>", ci->levels[((const int32_t *)b)[i]]); break;
        default: snprintf(v, sizeof v, "?");
        }
      size_t n = strlen(v);
      if (used + n + 2 > cap) out = realloc(out, cap *= 2);
      memcpy(out + used, v, n);
      used += n;
      out[used++] = '|';
      out[used] = '\0';
    }
  }
  peil_scan_close(sc);
  return out;
}

static void assert_column(peil_store *s, const char *table, const char *col, const char *want) {
  char *got = column_text(s, table, col);
  if (strcmp(got, want) != 0) fail_msg("column %s/%s: got %s, want %s", table, col, got, want);
  free(got);
}

static peil_type column_type(peil_store *s, const char *table, const char *col) {
  peil_table_info *ti = NULL;
  assert_ok(peil_store_table_info(s, table, &ti));
  int k = peil_table_info_find(ti, col);
  assert_true(k >= 0);
  peil_type t = ti->cols[k].type;
  peil_table_info_free(ti);
  return t;
}

/* Two tables hold the same columns, types, levels and values. */
static void assert_same_table(peil_store *s, const char *a, const char *b) {
  peil_table_info *ta = NULL, *tb = NULL;
  assert_ok(peil_store_table_info(s, a, &ta));
  assert_ok(peil_store_table_info(s, b, &tb));
  assert_int_equal(ta->nrows, tb->nrows);
  assert_int_equal(ta->ncols, tb->ncols);
  for (size_t j = 0; j < ta->ncols; j++) {
    assert_string_equal(ta->cols[j].name, tb->cols[j].name);
    if (ta->cols[j].type != tb->cols[j].type)
      fail_msg("column %s: %s vs %s", ta->cols[j].name, peil_type_name(ta->cols[j].type),
               peil_type_name(tb->cols[j].type));
    char *x = column_text(s, a, ta->cols[j].name), *y = column_text(s, b, tb->cols[j].name);
    if (strcmp(x, y) != 0) fail_msg("column %s differs:\n%s\n%s", ta->cols[j].name, x, y);
    free(x);
    free(y);
  }
  peil_table_info_free(ta);
  peil_table_info_free(tb);
}

/* No temporary files left in the scratch directory for this process. */
static void assert_no_temp_files(void) {
  DIR *d = opendir(PEIL_TEST_TMP);
  assert_non_null(d);
  /* Other test programs run in parallel in the same directory: only files
   * named after this process's scratch paths are ours to judge. */
  char mine[64];
  snprintf(mine, sizeof mine, ".scratch-%d-", (int)getpid());
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strncmp(e->d_name, mine, strlen(mine)) == 0 && strstr(e->d_name, ".h5."))
      fail_msg("temporary file left: %s", e->d_name);
  closedir(d);
}

/* ---- value parsers */

static void test_parse_int(void **state) {
  (void)state;
  int64_t v;
  assert_int_equal(csv_parse_int("0", 1, '.', &v), CSV_OK);
  assert_int_equal(v, 0);
  assert_int_equal(csv_parse_int("-42", 3, '.', &v), CSV_OK);
  assert_int_equal(v, -42);
  assert_int_equal(csv_parse_int("+007", 4, '.', &v), CSV_OK);
  assert_int_equal(v, 7);
  assert_int_equal(csv_parse_int("9223372036854775807", 19, '.', &v), CSV_OK);
  assert_int_equal(v, INT64_MAX);
  assert_int_equal(csv_parse_int("-9223372036854775808", 20, '.', &v), CSV_OK);
  assert_true(v == INT64_MIN);
  assert_int_equal(csv_parse_int("9223372036854775808", 19, '.', &v), CSV_RANGE);
  assert_int_equal(csv_parse_int("123456789012345678901", 21, '.', &v), CSV_RANGE);
  assert_int_equal(csv_parse_int("12a", 3, '.', &v), CSV_BAD);
  assert_int_equal(csv_parse_int("1.5", 3, '.', &v), CSV_BAD);
  assert_int_equal(csv_parse_int("-", 1, '.', &v), CSV_BAD);
  assert_int_equal(csv_parse_int(" 1", 2, '.', &v), CSV_BAD);
  /* Dutch: '.' groups thousands, strictly by three. */
  assert_int_equal(csv_parse_int("1.234.567", 9, ',', &v), CSV_OK);
  assert_int_equal(v, 1234567);
  assert_int_equal(csv_parse_int("1.23", 4, ',', &v), CSV_BAD);
  assert_int_equal(csv_parse_int("1234.567", 8, ',', &v), CSV_BAD);
  assert_int_equal(csv_parse_int("1.234", 5, '.', &v), CSV_BAD);
}

static void test_parse_float(void **state) {
  (void)state;
  double x;
  assert_int_equal(csv_parse_float("1.5", 3, '.', &x), CSV_OK);
  assert_true(x == 1.5);
  assert_int_equal(csv_parse_float("-.5e1", 5, '.', &x), CSV_OK);
  assert_true(x == -5.0);
  assert_int_equal(csv_parse_float("1.234,5", 7, ',', &x), CSV_OK);
  assert_true(x == 1234.5);
  assert_int_equal(csv_parse_float("-0,5", 4, ',', &x), CSV_OK);
  assert_true(x == -0.5);
  assert_int_equal(csv_parse_float("1,5", 3, '.', &x), CSV_BAD);
  assert_int_equal(csv_parse_float("1.5", 3, ',', &x), CSV_BAD);
  assert_int_equal(csv_parse_float("-0", 2, '.', &x), CSV_OK);
  assert_true(x == 0 && signbit(x));
  assert_int_equal(csv_parse_float("Inf", 3, '.', &x), CSV_OK);
  assert_true(isinf(x) && x > 0);
  assert_int_equal(csv_parse_float("-inf", 4, '.', &x), CSV_OK);
  assert_true(isinf(x) && x < 0);
  assert_int_equal(csv_parse_float("NaN", 3, '.', &x), CSV_OK);
  assert_true(isnan(x));
  assert_int_equal(csv_parse_float("1e999", 5, '.', &x), CSV_RANGE);
  assert_int_equal(csv_parse_float("1e-400", 6, '.', &x), CSV_OK);
  assert_true(x == 0);
  assert_int_equal(csv_parse_float("4.9e-324", 8, '.', &x), CSV_OK);
  assert_true(x == 4.9e-324);
  const char *bad[] = {"", ".", "e5", "1e", "1e+", "1.2.3", "0x10", "1 ", "--1", "nan1", "1,5e"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (csv_parse_float(bad[i], strlen(bad[i]), '.', &x) == CSV_OK) fail_msg("'%s' parsed", bad[i]);
}

/* Every text a double is commonly written as parses exactly as strtod
 * does (fast paths and fall-backs alike). */
static void test_parse_float_exact(void **state) {
  (void)state;
  uint64_t seed = 88172645463325252ULL;
  char buf[64];
  for (int i = 0; i < 300000; i++) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    double x;
    uint64_t bits = seed;
    memcpy(&x, &bits, sizeof x);
    if (!isfinite(x)) continue;
    /* Realistic magnitudes too: scale a uniform value. */
    if (i % 2) x = (double)(seed >> 11) / 9007199254740992.0 * pow(10, (int)(seed % 40) - 20);
    int prec = 1 + (int)((seed >> 3) % 19);
    int n = snprintf(buf, sizeof buf, i % 3 ? "%.*g" : "%.*e", prec, x);
    double got, want = strtod(buf, NULL);
    if (isinf(want)) { /* rounded past DBL_MAX: out of range */
      assert_int_equal(csv_parse_float(buf, (size_t)n, '.', &got), CSV_RANGE);
      continue;
    }
    if (csv_parse_float(buf, (size_t)n, '.', &got) != CSV_OK) fail_msg("'%s' did not parse", buf);
    if (memcmp(&got, &want, sizeof got) != 0)
      fail_msg("'%s': got %a, strtod %a", buf, got, want);
  }
}

/* The export's float text is short and reads back to the same bits. */
static void test_format_double(void **state) {
  (void)state;
  char buf[64];
  struct {
    double x;
    const char *want;
  } cases[] = {{0.0, "0.0"},      {-0.0, "-0.0"}, {1.0, "1.0"},       {0.1, "0.1"},
               {1234.5, "1234.5"}, {-2.25, "-2.25"}, {1e-5, "0.00001"}, {100, "100.0"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    csv_format_double(cases[i].x, 0, '.', buf);
    assert_string_equal(buf, cases[i].want);
  }
  csv_format_double(1234.5, 0, ',', buf);
  assert_string_equal(buf, "1234,5");
  csv_format_double(INFINITY, 0, '.', buf);
  assert_string_equal(buf, "Inf");
  uint64_t seed = 0x9E3779B97F4A7C15ULL;
  for (int i = 0; i < 200000; i++) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    double x;
    memcpy(&x, &seed, sizeof x);
    if (i % 2) x = (double)(int64_t)(seed >> 20) / 1000.0; /* few decimals, as registers hold */
    if (!isfinite(x)) continue;
    for (int dec = 0; dec < 2; dec++) {
      char d = dec ? ',' : '.';
      size_t n = csv_format_double(x, 0, d, buf);
      assert_true(strchr(buf, d) || strchr(buf, 'e'));
      double y;
      if (csv_parse_float(buf, n, d, &y) != CSV_OK || memcmp(&x, &y, sizeof x) != 0)
        fail_msg("%a -> '%s' -> %a", x, buf, y);
    }
    float f = (float)x;
    if (isfinite(f)) {
      size_t n = csv_format_double(f, 1, '.', buf);
      double y;
      assert_int_equal(csv_parse_float(buf, n, '.', &y), CSV_OK);
      if ((float)y != f) fail_msg("float %a -> '%s' -> %a", (double)f, buf, y);
      assert_true(n <= 16);
    }
  }
}

static void test_parse_misc(void **state) {
  (void)state;
  int8_t b;
  assert_int_equal(csv_parse_bool("true", 4, 0, &b), CSV_OK);
  assert_int_equal(b, 1);
  assert_int_equal(csv_parse_bool("Nee", 3, 0, &b), CSV_OK);
  assert_int_equal(b, 0);
  assert_int_equal(csv_parse_bool("1", 1, 0, &b), CSV_BAD);
  assert_int_equal(csv_parse_bool("1", 1, 1, &b), CSV_OK);
  assert_int_equal(csv_parse_bool("tRUE", 4, 1, &b), CSV_BAD);
  int32_t d;
  csv_datefmt f;
  assert_int_equal(csv_parse_date("2020-02-29", 10, NULL, &d), CSV_OK);
  assert_int_equal(d, peil_date_from_ymd(2020, 2, 29));
  assert_int_equal(csv_parse_date("29-02-2020", 10, NULL, &d), CSV_OK);
  assert_int_equal(csv_parse_date("2021-02-29", 10, NULL, &d), CSV_BAD);
  assert_ok(csv_datefmt_compile("YYYYMMDD", &f));
  assert_int_equal(csv_parse_date("20201231", 8, &f, &d), CSV_OK);
  assert_int_equal(d, peil_date_from_ymd(2020, 12, 31));
  assert_int_equal(csv_parse_date("2020123", 7, &f, &d), CSV_BAD);
  assert_ok(csv_datefmt_compile("D/M/YYYY", &f));
  assert_int_equal(csv_parse_date("1/2/2021", 8, &f, &d), CSV_OK);
  assert_int_equal(d, peil_date_from_ymd(2021, 2, 1));
  assert_int_equal(csv_parse_date("31/11/2021", 10, &f, &d), CSV_BAD);
  assert_int_equal(csv_datefmt_compile("MM-YYYY", &f), PEIL_EINVAL);
  assert_int_equal(csv_datefmt_compile("DD-MM-YYYY-DD", &f), PEIL_EINVAL);
  size_t bad;
  assert_true(csv_utf8_valid("caf\xc3\xa9 \xe2\x82\xac", 9, &bad));
  assert_false(csv_utf8_valid("caf\xe9", 4, &bad));
  assert_int_equal(bad, 3);
  assert_false(csv_utf8_valid("\xc0\x80", 2, &bad));         /* overlong */
  assert_false(csv_utf8_valid("\xed\xa0\x80", 3, &bad));     /* surrogate */
  assert_false(csv_utf8_valid("abcdefgh\xe2\x82", 10, &bad)); /* cut short */
  assert_int_equal(bad, 8);
  assert_false(csv_utf8_valid("abcdefghij\0kl", 13, &bad)); /* NUL */
  assert_int_equal(bad, 10);
  assert_true(csv_utf8_valid("abcdefghijklmnopq", 17, &bad));
}

/* ---- import */

static const char *all_types =
    "i8,i16,i32,i64,f,d_iso,d_nl,flag,janee,city,empty\n"
    "1,300,70000,5000000000,1.5,2020-01-31,31-12-2020,true,ja,Utrecht,\n"
    "-127,-300,-70000,-5000000000,-2,2021-02-28,01-01-2021,FALSE,nee,Amsterdam,NA\n"
    "NA,,.,NA,1e3,,NA,,Ja,\"Den Haag\",.\n";

static void test_infer_types(void **state) {
  (void)state;
  peil_store *s = new_store("infer.h5");
  peil_csv_report rep;
  assert_ok(import_text(s, "t", all_types, NULL, &rep));
  assert_int_equal(rep.nrows, 3);
  assert_int_equal(rep.ncols, 11);
  assert_int_equal(rep.passes, 2);
  assert_int_equal(rep.delimiter, ',');
  const peil_type want[] = {PEIL_INT8, PEIL_INT16, PEIL_INT32, PEIL_INT64, PEIL_FLOAT64, PEIL_DATE,
                            PEIL_DATE, PEIL_BOOL,  PEIL_BOOL,  PEIL_ENUM,  PEIL_BOOL};
  const int64_t missing[] = {1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 3};
  for (size_t j = 0; j < 11; j++) {
    if (rep.cols[j].type != want[j])
      fail_msg("column %s: %s, want %s", rep.cols[j].name, peil_type_name(rep.cols[j].type),
               peil_type_name(want[j]));
    assert_int_equal(rep.cols[j].n_missing, missing[j]);
    assert_int_equal(column_type(s, "t", rep.cols[j].name), want[j]);
  }
  assert_int_equal(rep.cols[9].nlevels, 3);
  peil_csv_report_free(&rep);
  assert_column(s, "t", "i8", "1|-127|NA|");
  assert_column(s, "t", "i64", "5000000000|-5000000000|NA|");
  assert_column(s, "t", "f", "0x1.8p+0|-0x1p+1|0x1.f4p+9|");
  assert_column(s, "t", "d_nl", "2020-12-31|2021-01-01|NA|");
  assert_column(s, "t", "flag", "T|F|NA|");
  assert_column(s, "t", "janee", "T|F|T|");
  /* Levels sorted as R sorts them in the C locale: codes follow. */
  assert_column(s, "t", "city", "<Utrecht>|<Amsterdam>|<Den Haag>|");
  peil_table_info *ti = NULL;
  assert_ok(peil_store_table_info(s, "t", &ti));
  assert_string_equal(ti->cols[9].levels[0], "Amsterdam");
  assert_string_equal(ti->cols[9].levels[1], "Den Haag");
  assert_string_equal(ti->cols[9].levels[2], "Utrecht");
  peil_table_info_free(ti);
  char *prov = NULL;
  assert_ok(peil_store_get_attr_str(s, "t", "provenance", &prov));
  assert_non_null(strstr(prov, "in.csv"));
  free(prov);
  peil_store_close(s);
}

/* Mixed columns: a number column with a text code is categorical, and its
 * levels include the numbers seen before the text (the extra pass). */
static void test_infer_mixed(void **state) {
  (void)state;
  peil_store *s = new_store("mixed.h5");
  peil_csv_report rep;
  const char *text = "code,n\n1,1\n2,2\n10,3\nX,4\n2,5.5\n";
  assert_ok(import_text(s, "t", text, NULL, &rep));
  assert_int_equal(rep.passes, 3);
  assert_int_equal(rep.cols[0].type, PEIL_ENUM);
  assert_int_equal(rep.cols[0].nlevels, 4);
  assert_int_equal(rep.cols[1].type, PEIL_FLOAT64);
  peil_csv_report_free(&rep);
  assert_column(s, "t", "code", "<1>|<2>|<10>|<X>|<2>|");
  peil_table_info *ti = NULL;
  assert_ok(peil_store_table_info(s, "t", &ti));
  assert_string_equal(ti->cols[0].levels[0], "1");
  assert_string_equal(ti->cols[0].levels[1], "10"); /* byte order, as R with LC_COLLATE=C */
  peil_table_info_free(ti);
  /* int64's sentinel is no int64 value: the column is float64. */
  assert_ok(import_text(s, "big", "n\n-9223372036854775808\n1\n", NULL, &rep));
  assert_int_equal(rep.cols[0].type, PEIL_FLOAT64);
  peil_csv_report_free(&rep);
  /* Booleans and numbers mixed: text too. */
  assert_ok(import_text(s, "u", "b\ntrue\n1\n", NULL, &rep));
  assert_int_equal(rep.cols[0].type, PEIL_ENUM);
  peil_csv_report_free(&rep);
  peil_store_close(s);
}

static void test_too_many_levels(void **state) {
  (void)state;
  peil_store *s = new_store("levels.h5");
  /* 150 distinct names in 150 rows: an identifier, not a category. */
  size_t cap = 1 << 16;
  char *text = malloc(cap);
  size_t k = (size_t)snprintf(text, cap, "id,name\n");
  for (int i = 0; i < 150; i++) k += (size_t)snprintf(text + k, cap - k, "%d,person%03d\n", i, i);
  assert_int_equal(import_text(s, "t", text, NULL, NULL), PEIL_EDATA);
  assert_msg("in.csv", "column 'name' (2)", "schema");
  assert_msg("150 distinct values", "'person000' on line 2", NULL);
  assert_false(peil_store_has_table(s, "t"));
  /* More than max_levels: the same advice. */
  peil_csv_options o = PEIL_CSV_OPTIONS_INIT;
  o.max_levels = 20;
  k = (size_t)snprintf(text, cap, "grp\n");
  for (int i = 0; i < 300; i++) k += (size_t)snprintf(text + k, cap - k, "g%d\n", i % 40);
  assert_int_equal(import_text(s, "t", text, &o, NULL), PEIL_EDATA);
  assert_msg("column 'grp' (1)", "more than 20 distinct values", "--max-levels");
  o.max_levels = 40;
  assert_ok(import_text(s, "t", text, &o, NULL));
  /* A schema makes it categorical whatever the count. */
  char ini[1024];
  snprintf(ini, sizeof ini, "%s", test_path("s.ini"));
  write_text(ini, "[columns]\ngrp = enum\n");
  o.max_levels = 20;
  o.schema_path = ini;
  o.replace = 1;
  assert_ok(import_text(s, "t", text, &o, NULL));
  /* HDF5 holds at most 64 kB of an enum's labels: bad input, said so. */
  text = realloc(text, 1 << 20);
  k = (size_t)snprintf(text, 1 << 20, "grp\n");
  for (int i = 0; i < 4000; i++) k += (size_t)snprintf(text + k, (1 << 20) - k, "Label-%05d\n", i);
  assert_int_equal(import_text(s, "big", text, &o, NULL), PEIL_EDATA);
  assert_msg("column 'grp' (1)", "4000 distinct values", "64 kB");
  assert_false(peil_store_has_table(s, "big"));
  free(text);
  peil_store_close(s);
}

static void test_schema(void **state) {
  (void)state;
  peil_store *s = new_store("schema.h5");
  const char *ini = "; persons delivery\n"
                    "[columns]\n"
                    "id = int64\n"
                    "age = int16\n"
                    "score = float32\n"
                    "ok = bool\n"
                    "\n"
                    "[gemeente]\n"
                    "type = enum\n"
                    "levels = Amsterdam, Rotterdam, \"Den Haag\",\n"
                    "  Utrecht\n"
                    "\n"
                    "[start]\n"
                    "type = date\n"
                    "format = YYYYMMDD\n";
  char p_ini[1024], q_ini[1024];
  snprintf(p_ini, sizeof p_ini, "%s", test_path("p.ini"));
  snprintf(q_ini, sizeof q_ini, "%s", test_path("q.ini"));
  write_text(p_ini, ini);
  peil_csv_options o = PEIL_CSV_OPTIONS_INIT;
  o.schema_path = p_ini;
  peil_csv_report rep;
  const char *text = "id,age,score,ok,gemeente,start,extra\n"
                     "1,30,0.1,1,Utrecht,20200131,x\n"
                     "2,NA,2.5,0,Amsterdam,,y\n";
  assert_ok(import_text(s, "p", text, &o, &rep));
  assert_int_equal(rep.passes, 2); /* 'extra' is not in the schema: inferred */
  assert_int_equal(rep.cols[0].type, PEIL_INT64);
  assert_int_equal(rep.cols[1].type, PEIL_INT16);
  assert_int_equal(rep.cols[2].type, PEIL_FLOAT32);
  assert_int_equal(rep.cols[3].type, PEIL_BOOL);
  assert_int_equal(rep.cols[4].type, PEIL_ENUM);
  assert_int_equal(rep.cols[4].nlevels, 4); /* all listed levels, used or not */
  assert_true(rep.cols[4].from_schema);
  assert_false(rep.cols[6].from_schema);
  peil_csv_report_free(&rep);
  assert_column(s, "p", "gemeente", "<Utrecht>|<Amsterdam>|");
  assert_column(s, "p", "start", "2020-01-31|NA|");
  peil_table_info *ti = NULL;
  assert_ok(peil_store_table_info(s, "p", &ti));
  assert_string_equal(ti->cols[4].levels[2], "Den Haag");
  assert_string_equal(ti->cols[4].levels[3], "Utrecht"); /* codes as listed */
  peil_table_info_free(ti);

  /* A schema naming every column with levels: one pass. */
  write_text(q_ini, "[columns]\na = int32\nb = date\n[c]\nlevels = x,y\n");
  o.schema_path = q_ini;
  assert_ok(import_text(s, "q", "a,b,c\n1,2020-01-01,y\n", &o, &rep));
  assert_int_equal(rep.passes, 1);
  peil_csv_report_free(&rep);
  peil_store_close(s);
}

static void test_schema_errors(void **state) {
  (void)state;
  peil_store *s = new_store("schemaerr.h5");
  peil_csv_options o = PEIL_CSV_OPTIONS_INIT;
  char ini_path[1024];
  snprintf(ini_path, sizeof ini_path, "%s", test_path("e.ini"));
  o.schema_path = ini_path;
  struct {
    const char *ini, *csv, *m1, *m2;
    int code;
  } cases[] = {
      {"[columns]\nage = int8\nzz = date\n", "age\n1\n", "e.ini:3", "column 'zz' of the schema is not in", PEIL_ENOTFOUND},
      {"[columns]\nage = int128\n", "age\n1\n", "e.ini:2", "unknown type 'int128'", PEIL_EINVAL},
      {"age = int8\n", "age\n1\n", "e.ini:1", "outside a section", PEIL_EINVAL},
      {"[age]\ntype = int8\nlevels = a,b\n", "age\n1\n", "e.ini:2", "levels are for enum", PEIL_EINVAL},
      {"[g]\nlevels = a,b,a\n", "g\na\n", "e.ini", "'a' is listed twice", PEIL_EINVAL},
      {"[d]\nformat = DD-MM\n", "d\n1\n", "e.ini:2", "date format", PEIL_EINVAL},
      {"[d]\ncolour = red\n", "d\n1\n", "e.ini:2", "unknown key 'colour'", PEIL_EINVAL},
      {"[columns]\nage = int8\n", "id,age\n1,12\n2,abc\n", "in.csv:3: column 'age' (2)", "'abc' is not an integer", PEIL_EDATA},
      {"[columns]\nage = int8\n", "id,age\n1,12\n2,1.5\n", "in.csv:3: column 'age' (2)", "not a whole number", PEIL_EDATA},
      {"[columns]\nage = int8\n", "id,age\n1,200\n", "in.csv:2: column 'age' (2)", "'200' does not fit int8 (-127..127)", PEIL_EDATA},
      {"[columns]\nn = int64\n", "n\n99999999999999999999\n", "in.csv:2: column 'n' (1)", "does not fit int64", PEIL_EDATA},
      {"[columns]\nd = date\n", "x,d\n1,2021-02-28\n2,2021-02-30\n", "in.csv:3: column 'd' (2)", "'2021-02-30' is not a valid date", PEIL_EDATA},
      {"[d]\nformat = DD/MM/YYYY\n", "d\n31/04/2021\n", "in.csv:2: column 'd' (1)", "format DD/MM/YYYY", PEIL_EDATA},
      {"[columns]\nb = bool\n", "b\nmaybe\n", "in.csv:2: column 'b' (1)", "not a boolean", PEIL_EDATA},
      {"[columns]\nf = float32\n", "f\n1e39\n", "in.csv:2: column 'f' (1)", "out of the range of float32", PEIL_EDATA},
      {"[columns]\nf = float64\n", "f;g\n1,5;2\n", "in.csv:2: column 'f' (1)", "--decimal", PEIL_EDATA},
      {"[g]\nlevels = a,b\n", "g\na\nc\n", "in.csv:3: column 'g' (1)", "'c' is not one of the 2 levels", PEIL_EDATA},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    write_text(o.schema_path, cases[i].ini);
    int rc = import_text(s, "t", cases[i].csv, &o, NULL);
    if (rc != cases[i].code) fail_msg("case %zu: %d (%s)", i, rc, peil_errmsg());
    assert_msg(cases[i].m1, cases[i].m2, NULL);
    assert_false(peil_store_has_table(s, "t"));
  }
  snprintf(ini_path, sizeof ini_path, "%s", test_path("missing.ini"));
  assert_int_equal(import_text(s, "t", "a\n1\n", &o, NULL), PEIL_ENOTFOUND);
  assert_msg("missing.ini", NULL, NULL);
  peil_store_close(s);
}

/* Every kind of bad CSV: code, a message with file, line and column, and
 * no table left in the store. */
static void test_bad_input(void **state) {
  (void)state;
  peil_store *s = new_store("bad.h5");
  struct {
    const char *csv, *m1, *m2;
  } cases[] = {
      {"a,b,c\n1,2,3\n4,5\n", "in.csv:3:", "column 'c' (3) is missing"},
      {"a,b,c\n1,2,3\n4,5,6,7\n", "in.csv:3:", "more fields than the header's 3 columns"},
      {"a,b\n1,\"abc\n2,3\n", "in.csv:2: column 'b' (2)", "unterminated quoted field"},
      {"a,b\n1,x\n2,\"y\"z\n", "in.csv:3: column 'b' (2)", "malformed quotes"},
      {"a,b\n1,a\"b\n", "in.csv:2: column 'b' (2)", "malformed quotes"},
      {"a,b,a\n1,2,3\n", "in.csv:1:", "duplicate column name 'a' (columns 1 and 3)"},
      {"a,,c\n1,2,3\n", "in.csv:1:", "column 2 has an empty name"},
      {"", "in.csv:", "empty"},
      {"\xef\xbb\xbf\n\n", "in.csv:", "empty"},
      {"a,b\n1,caf\xe9\n", "in.csv:2: column 'b' (2)", "not UTF-8 (0xE9 at byte 4)"},
      {"a,caf\xe9\n1,2\n", "in.csv:1: column 2", "not UTF-8"},
      {"a,b\n1,\"x\ny\"\n2,\"caf\xe9\"\n", "in.csv:4: column 'b' (2)", "not UTF-8"},
      {"a,b\n1,\"two\nlines\"\n3\n", "in.csv:4:", "1 field, the header has 2 columns"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int rc = import_text(s, "t", cases[i].csv, NULL, NULL);
    if (rc != PEIL_EDATA) fail_msg("case %zu: %d (%s)", i, rc, peil_errmsg());
    assert_msg(cases[i].m1, cases[i].m2, NULL);
    assert_false(peil_store_has_table(s, "t"));
  }
  assert_int_equal(peil_csv_import(test_path("nonexistent.csv"), NULL, s, "t", NULL), PEIL_ENOTFOUND);
  assert_msg("nonexistent.csv", NULL, NULL);
  /* Options that cannot work. */
  peil_csv_options o = PEIL_CSV_OPTIONS_INIT;
  o.decimal = ',';
  assert_int_equal(import_text(s, "t", "a,b\n1,2\n", &o, NULL), PEIL_EINVAL);
  assert_msg("decimal separator", NULL, NULL);
  o.decimal = 'x';
  assert_int_equal(import_text(s, "t", "a;b\n1;2\n", &o, NULL), PEIL_EINVAL);
  peil_store_close(s);
}

/* A header-only file is a table without rows (what export writes for an
 * empty table); a table that exists needs replace. */
static void test_header_only_and_replace(void **state) {
  (void)state;
  char path[1024];
  snprintf(path, sizeof path, "%s", test_path("rep.h5"));
  peil_store *s = NULL;
  assert_ok(peil_store_open(path, PEIL_STORE_CREATE, &s));
  peil_csv_report rep;
  assert_ok(import_text(s, "empty", "a,b\n", NULL, &rep));
  assert_int_equal(rep.nrows, 0);
  assert_int_equal(rep.ncols, 2);
  peil_csv_report_free(&rep);
  assert_ok(import_text(s, "t", "x\n1\n", NULL, NULL));
  assert_ok(peil_store_commit(s));
  peil_store_close(s);

  /* Update: the other tables stay; an existing table needs replace. */
  assert_ok(peil_store_open(path, PEIL_STORE_UPDATE, &s));
  assert_int_equal(import_text(s, "t", "x\n2\n", NULL, NULL), PEIL_EEXIST);
  assert_msg("table 't' exists already", "--replace", NULL);
  peil_csv_options o = PEIL_CSV_OPTIONS_INIT;
  o.replace = 1;
  assert_ok(import_text(s, "t", "x,y\n2,a\n3,b\n", &o, NULL));
  /* A failed replace leaves no half table (the old one, or none), and the
   * caller does not commit: the file keeps the old table. */
  assert_int_equal(import_text(s, "t", "x\n\"oops\n", &o, NULL), PEIL_EDATA);
  if (peil_store_has_table(s, "t")) assert_column(s, "t", "x", "2|3|");
  write_text(test_path("t.ini"), "[columns]\nx = int8\n");
  char t_ini[1024];
  snprintf(t_ini, sizeof t_ini, "%s", test_path("t.ini"));
  o.schema_path = t_ini; /* one pass: fails after the old table was dropped */
  assert_int_equal(import_text(s, "t", "x\n1\n1000\n", &o, NULL), PEIL_EDATA);
  assert_false(peil_store_has_table(s, "t"));
  peil_store_close(s); /* discards */
  assert_no_temp_files();
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  assert_true(peil_store_has_table(s, "empty"));
  assert_column(s, "t", "x", "1|");
  peil_store_close(s);
}

/* Dutch exports: semicolons, decimal comma, thousands dots, DD-MM-YYYY,
 * CR LF, a byte order mark; the delimiter is detected. */
static void test_dutch(void **state) {
  (void)state;
  peil_store *s = new_store("nl.h5");
  const char *text = "\xef\xbb\xbf" "naam;bedrag;datum;aantal\r\n"
                     "Jan;1.234,50;31-12-2020;1.000\r\n"
                     "\"Piet; de \"\"Groot\"\"\";-0,5;01-01-2021;12\r\n"
                     "\"twee\r\nregels\";NA;;.\r\n";
  peil_csv_options o = PEIL_CSV_OPTIONS_INIT;
  o.decimal = ',';
  peil_csv_report rep;
  assert_ok(import_text(s, "nl", text, &o, &rep));
  assert_int_equal(rep.delimiter, ';');
  assert_int_equal(rep.cols[1].type, PEIL_FLOAT64);
  assert_int_equal(rep.cols[2].type, PEIL_DATE);
  assert_int_equal(rep.cols[3].type, PEIL_INT16);
  peil_csv_report_free(&rep);
  assert_column(s, "nl", "bedrag", "0x1.34ap+10|-0x1p-1|NA|");
  peil_store_close(s);
}

/* Import -> export -> import gives the same table: every type, missing
 * values, quotes, delimiters and newlines inside text, Dutch format. */
static void round_trip(const char *text, const peil_csv_options *in, const peil_csv_export_options *out) {
  peil_store *s = new_store("rt.h5");
  assert_ok(import_text(s, "a", text, in, NULL));
  char csv[1024], csv2[1024];
  snprintf(csv, sizeof csv, "%s", test_path("rt.csv"));
  snprintf(csv2, sizeof csv2, "%s", test_path("rt2.csv"));
  FILE *f = fopen(csv, "w");
  assert_non_null(f);
  assert_ok(peil_csv_export(s, "a", NULL, 0, f, out));
  fclose(f);
  assert_ok(peil_csv_import(csv, in, s, "b", NULL));
  assert_same_table(s, "a", "b");
  /* And the export of the copy is the same text. */
  f = fopen(csv2, "w");
  assert_ok(peil_csv_export(s, "b", NULL, 0, f, out));
  fclose(f);
  FILE *f1 = fopen(csv, "r"), *f2 = fopen(csv2, "r");
  int c1, c2;
  do c1 = fgetc(f1), c2 = fgetc(f2);
  while (c1 == c2 && c1 != EOF);
  assert_int_equal(c1, c2);
  fclose(f1);
  fclose(f2);
  peil_store_close(s);
}

static void test_round_trip(void **state) {
  (void)state;
  const char *text =
      "i8,i16,i32,i64,f,tiny,d,b,city,note\n"
      "1,300,70000,5000000000,0.1,1e-300,2020-01-31,true,Utrecht,\"a, b\"\n"
      "-127,-300,-70000,-5000000000,-2.5,5e-324,1970-01-01,false,Amsterdam,\"say \"\"hi\"\"\"\n"
      "NA,,.,NA,,,NA,,,\"two\nlines\"\n"
      "7,8,9,10,1234567.0000001,1.7976931348623157e308,2099-12-31,true,\" spaced \",\"tab\there\"\n"
      "0,0,0,0,-0.0,0.3333333333333333,31-01-2021,false,Den Haag,NA\n";
  peil_csv_export_options eo = PEIL_CSV_EXPORT_OPTIONS_INIT;
  round_trip(text, NULL, &eo);
  /* Dutch on both sides. */
  peil_csv_options in = PEIL_CSV_OPTIONS_INIT;
  in.decimal = ',';
  eo.decimal = ',';
  const char *nl = "naam;bedrag;datum\n"
                   "Jan;1.234,5;31-12-2020\n"
                   "\"Piet; de \"\"Groot\"\"\";-0,25;01-01-2021\n"
                   "\"twee\nregels\";NA;\n";
  round_trip(nl, &in, &eo);
  /* Missing values written as NA; a one-column table with missing rows. */
  peil_csv_export_options na = PEIL_CSV_EXPORT_OPTIONS_INIT;
  na.na = "NA";
  round_trip(text, NULL, &na);
  round_trip("x\n1\nNA\n3\n", NULL, NULL);
  round_trip("x\nNA\nNA\n", NULL, NULL);
}

/* With a schema every type survives, float32 and fixed (also unused)
 * levels included; the export's ISO dates need no format. */
static void test_round_trip_schema(void **state) {
  (void)state;
  char s1[1024], s2[1024], csv[1024];
  snprintf(s1, sizeof s1, "%s", test_path("rt1.ini"));
  snprintf(s2, sizeof s2, "%s", test_path("rt2.ini"));
  snprintf(csv, sizeof csv, "%s", test_path("rts.csv"));
  const char *common = "[columns]\na = int16\nb = int64\nf = float32\ng = float64\nok = bool\n"
                       "[e]\nlevels = z, y, \"x, w\", unused\n";
  char ini[512];
  snprintf(ini, sizeof ini, "%s[d]\nformat = YYYYMMDD\n", common);
  write_text(s1, ini);
  snprintf(ini, sizeof ini, "%s[d]\ntype = date\n", common);
  write_text(s2, ini);
  peil_store *s = new_store("rts.h5");
  peil_csv_options o = PEIL_CSV_OPTIONS_INIT;
  o.schema_path = s1;
  assert_ok(import_text(s, "a", "a,b,f,g,ok,e,d\n1,2,0.1,0.1,1,z,20200229\n"
                        "-3,NA,3.4028235e38,1e-310,0,\"x, w\",\n,,,,,y,19991231\n", &o, NULL));
  FILE *f = fopen(csv, "w");
  assert_ok(peil_csv_export(s, "a", NULL, 0, f, NULL));
  fclose(f);
  o.schema_path = s2;
  assert_ok(peil_csv_import(csv, &o, s, "b", NULL));
  assert_same_table(s, "a", "b");
  assert_int_equal(column_type(s, "b", "f"), PEIL_FLOAT32);
  assert_column(s, "b", "e", "<z>|<x, w>|<y>|");
  peil_table_info *ti = NULL;
  assert_ok(peil_store_table_info(s, "b", &ti));
  assert_int_equal(ti->cols[5].nlevels, 4);
  assert_string_equal(ti->cols[5].levels[3], "unused");
  peil_table_info_free(ti);
  peil_store_close(s);
}

/* Line ends: CR LF, CR alone (old Mac), blank lines; line numbers follow. */
static void test_line_ends(void **state) {
  (void)state;
  peil_store *s = new_store("eol.h5");
  assert_ok(import_text(s, "cr", "a,b\r1,x\r\r2,y\r", NULL, NULL));
  assert_column(s, "cr", "a", "1|2|");
  assert_int_equal(import_text(s, "t", "a,b\r1,x\r\r2\r", NULL, NULL), PEIL_EDATA);
  assert_msg("in.csv:4:", "column 'b' (2) is missing", NULL);
  assert_ok(import_text(s, "crlf", "a,b\r\n\r\n1,\"x\r\ny\"\r\n  2 , z \r\n", NULL, NULL));
  assert_column(s, "crlf", "a", "1|2|");
  assert_column(s, "crlf", "b", "<x\r\ny>|<z>|");
  assert_int_equal(import_text(s, "t", "a,b\r\n\r\n1,\"x\r\ny\"\r\n2\r\n", NULL, NULL), PEIL_EDATA);
  assert_msg("in.csv:5:", "column 'b' (2) is missing", NULL);
  /* A last line without its line end; tab-separated with spaces in values. */
  assert_ok(import_text(s, "tab", "a\tb\n1\tx y\n2\t\"z\"", NULL, NULL));
  assert_column(s, "tab", "b", "<x y>|<z>|");
  peil_store_close(s);
}

static void test_export_options(void **state) {
  (void)state;
  peil_store *s = new_store("exp.h5");
  assert_ok(import_text(s, "t", "a,b,c\n1,x,2.5\n2,\"y;z\",NA\n", NULL, NULL));
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  const char *cols[] = {"c", "a"};
  peil_csv_export_options o = PEIL_CSV_EXPORT_OPTIONS_INIT;
  o.delimiter = ';';
  assert_ok(peil_csv_export(s, "t", cols, 2, f, &o));
  fclose(f);
  assert_string_equal(buf, "c;a\n2.5;1\n;2\n");
  free(buf);
  f = open_memstream(&buf, &len);
  o.delimiter = 0;
  o.decimal = ',';
  o.header = 0;
  assert_ok(peil_csv_export(s, "t", NULL, 0, f, &o));
  fclose(f);
  assert_string_equal(buf, "1;x;2,5\n2;\"y;z\";\n");
  free(buf);
  f = open_memstream(&buf, &len);
  const char *nope[] = {"zz"};
  assert_int_equal(peil_csv_export(s, "t", nope, 1, f, NULL), PEIL_ENOTFOUND);
  assert_int_equal(peil_csv_export(s, "nope", NULL, 0, f, NULL), PEIL_ENOTFOUND);
  o.delimiter = ',';
  assert_int_equal(peil_csv_export(s, "t", NULL, 0, f, &o), PEIL_EINVAL);
  fclose(f);
  free(buf);
  peil_store_close(s);
}

/* The same table for any chunk size (boundaries everywhere: inside quoted
 * newlines, CR LF pairs, blank lines) and any number of workers; errors
 * name the same first bad line. */
static void test_chunks_and_workers(void **state) {
  (void)state;
  size_t cap = 1 << 20;
  char *text = malloc(cap);
  size_t k = (size_t)snprintf(text, cap, "id,x,city,note,d\r\n");
  for (int i = 0; i < 3000; i++) {
    const char *note = i % 7 == 0 ? "\"multi\r\nline, \"\"quoted\"\"\"" : i % 5 == 0 ? "" : "plain";
    k += (size_t)snprintf(text + k, cap - k, "%d,%s,%s,%s,%s\r\n%s", i,
                          i % 11 == 0 ? "NA" : i % 3 ? "1.25" : "-7",
                          i % 4 == 0 ? "\"Den Haag\"" : i % 4 == 1 ? "Utrecht" : "Amsterdam", note,
                          i % 13 ? "2020-01-02" : "", i % 17 == 0 ? "\r\n" : "");
  }
  write_text(test_path("chunks.csv"), text);
  peil_store *s = new_store("chunks.h5");
  peil_csv_options o = PEIL_CSV_OPTIONS_INIT;
  o.threads = 1;
  csv_reader_test_chunk_size(0);
  assert_ok(peil_csv_import(test_path("chunks.csv"), &o, s, "ref", NULL));
  const size_t sizes[] = {1, 7, 64, 1000, 40000};
  const int threads[] = {1, 2, 3};
  char name[32];
  for (size_t a = 0; a < 5; a++)
    for (size_t b = 0; b < 3; b++) {
      csv_reader_test_chunk_size(sizes[a]);
      o.threads = threads[b];
      snprintf(name, sizeof name, "t%zu_%d", sizes[a], threads[b]);
      assert_ok(peil_csv_import(test_path("chunks.csv"), &o, s, name, NULL));
      assert_same_table(s, "ref", name);
    }
  /* Two errors: the first in the file is reported whatever the chunking. */
  char *bad = strstr(text, "\r\n2500,");
  assert_non_null(bad);
  bad[6] = ';'; /* row 2500: one field short */
  char *bad2 = strstr(text, "\r\n1200,");
  assert_non_null(bad2);
  bad2[4] = '"'; /* row 1200: 12"0, malformed quotes, the first error */
  write_text(test_path("chunks.csv"), text);
  char first[512] = "";
  for (size_t a = 0; a < 5; a++)
    for (size_t b = 0; b < 3; b++) {
      csv_reader_test_chunk_size(sizes[a]);
      o.threads = threads[b];
      assert_int_equal(peil_csv_import(test_path("chunks.csv"), &o, s, "bad", NULL), PEIL_EDATA);
      if (!first[0]) snprintf(first, sizeof first, "%s", peil_errmsg());
      else assert_string_equal(peil_errmsg(), first);
      assert_false(peil_store_has_table(s, "bad"));
    }
  assert_non_null(strstr(first, "malformed quotes"));
  csv_reader_test_chunk_size(0);
  free(text);
  peil_store_close(s);
}

/* A value that parses as a number in a Dutch LC_NUMERIC locale must not
 * change meaning: parsing never depends on the locale. */
static void test_locale_independent(void **state) {
  (void)state;
  const char *old = setlocale(LC_NUMERIC, NULL);
  char saved[64];
  snprintf(saved, sizeof saved, "%s", old ? old : "C");
  if (!setlocale(LC_NUMERIC, "nl_NL.UTF-8")) setlocale(LC_NUMERIC, "de_DE.UTF-8");
  double x;
  assert_int_equal(csv_parse_float("12345678901234567890.5", 22, '.', &x), CSV_OK);
  assert_true(x == 12345678901234567890.5);
  char buf[64];
  csv_format_double(0.1 + 0.2, 0, '.', buf);
  assert_string_equal(buf, "0.30000000000000004");
  setlocale(LC_NUMERIC, saved);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_int),
      cmocka_unit_test(test_parse_float),
      cmocka_unit_test(test_parse_float_exact),
      cmocka_unit_test(test_format_double),
      cmocka_unit_test(test_parse_misc),
      cmocka_unit_test(test_infer_types),
      cmocka_unit_test(test_infer_mixed),
      cmocka_unit_test(test_too_many_levels),
      cmocka_unit_test(test_schema),
      cmocka_unit_test(test_schema_errors),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_header_only_and_replace),
      cmocka_unit_test(test_dutch),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_round_trip_schema),
      cmocka_unit_test(test_line_ends),
      cmocka_unit_test(test_export_options),
      cmocka_unit_test(test_chunks_and_workers),
      cmocka_unit_test(test_locale_independent),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
