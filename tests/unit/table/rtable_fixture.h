/* Shared by the table and disclosure tests: building small result tables
 * and reading what the writers write. */
#ifndef PEIL_RTABLE_FIXTURE_H
#define PEIL_RTABLE_FIXTURE_H

#include "test_util.h"

/* A 2-D table in long form: keys `row_key` x `col_key` with counts
 * v[i][j] (i < nr, j < nc) and both margins as "Total" rows (computed
 * here), in row-major order, the grand total last. Column "n". */
static inline peil_rtable *fixture_long_2d(const char *const *rows, size_t nr, const char *const *cols,
                                           size_t nc, const int64_t *v) {
  peil_rtable *t;
  assert_ok(peil_rtable_new("long2d", "A 2-D table in long form", &t));
  assert_ok(peil_rtable_add_key(t, "region", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_key(t, "status", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_count(t, "n"));
  int64_t grand = 0;
  for (size_t i = 0; i <= nr; i++) {
    int64_t rowsum = 0;
    for (size_t j = 0; j <= nc; j++) {
      int64_t x;
      if (i < nr && j < nc) x = v[i * nc + j];
      else if (i < nr) x = rowsum;
      else if (j < nc) {
        x = 0;
        for (size_t k = 0; k < nr; k++) x += v[k * nc + j];
      } else x = grand;
      if (i < nr && j < nc) rowsum += x;
      if (i < nr && j == nc) grand += x;
      peil_rtable_value r[] = {PEIL_RV_TEXT(i < nr ? rows[i] : "Total"), PEIL_RV_TEXT(j < nc ? cols[j] : "Total"),
                               PEIL_RV_INT(x)};
      assert_ok(peil_rtable_append(t, r, 3));
    }
  }
  return t;
}

/* The row of (region, status) in a fixture_long_2d table. */
static inline size_t fixture_find(const peil_rtable *t, const char *region, const char *status) {
  for (size_t r = 0; r < peil_rtable_nrows(t); r++)
    if (!strcmp(peil_rtable_text(t, r, 0), region) && !strcmp(peil_rtable_text(t, r, 1), status)) return r;
  fail_msg("no row %s, %s", region, status);
  return 0;
}

/* Everything a writer writes to a stream, as a string (free it). */
static inline char *fixture_capture(int (*write)(const peil_rtable *, FILE *), const peil_rtable *t) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  assert_ok(write(t, f));
  fclose(f);
  return buf;
}

static inline char *fixture_read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  assert_non_null(s);
  assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
  s[n] = '\0';
  fclose(f);
  return s;
}

/* An RFC 4180 CSV text split into records and fields (quotes removed,
 * doubled quotes made single). csv->field[r][k]. */
typedef struct {
  size_t nrec;
  size_t nfield[64];
  char *field[64][32];
} fixture_csv;

static inline void fixture_csv_parse(const char *s, fixture_csv *c) {
  memset(c, 0, sizeof *c);
  char cur[4096];
  size_t n = 0;
  int quoted = 0, any = 0;
  for (const char *p = s;; p++) {
    if (quoted) {
      assert_true(*p != '\0');
      if (*p == '"' && p[1] == '"') cur[n++] = '"', p++;
      else if (*p == '"') quoted = 0;
      else cur[n++] = *p;
      continue;
    }
    if (*p == '"') {
      quoted = 1;
      any = 1;
      continue;
    }
    if (*p == ',' || *p == '\n' || (*p == '\0' && (n || any))) {
      cur[n] = '\0';
      assert_true(c->nrec < 64 && c->nfield[c->nrec] < 32);
      c->field[c->nrec][c->nfield[c->nrec]++] = strdup(cur);
      n = 0;
      any = 0;
      if (*p != ',') c->nrec++;
      if (*p == '\0') break;
      continue;
    }
    if (*p == '\0') break;
    cur[n++] = *p;
    any = 1;
  }
}

static inline void fixture_csv_free(fixture_csv *c) {
  for (size_t r = 0; r < 64; r++)
    for (size_t k = 0; k < c->nfield[r]; k++) free(c->field[r][k]);
}

#endif
