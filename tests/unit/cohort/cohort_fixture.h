/* Shared by the cohort unit tests: hand-built spell tables, specs from
 * key/value lists, runs, and finding a cell of the result. */
#ifndef PEIL_TEST_COHORT_FIXTURE_H
#define PEIL_TEST_COHORT_FIXTURE_H

#include "test_util.h"

#include "cohort/cohort_internal.h"

static inline int32_t D(const char *s) {
  int32_t d;
  if (peil_date_parse(s, strlen(s), &d)) fail_msg("bad date %s", s);
  return d;
}

typedef struct {
  int64_t rin;
  const char *start, *end; /* end NULL: open */
  int32_t code;            /* municipality or srg code; -1 none */
} spell_row;

/* A spell table: rin, start, end and, when code_col is given, a categorical
 * column with `nlevels` levels. */
static inline void write_spells(peil_store *s, const char *table, const spell_row *rows, size_t n,
                                const char *code_col, const char *const *levels, size_t nlevels) {
  peil_column_def defs[4] = {{"rin", PEIL_INT64, 0, NULL},
                             {"start", PEIL_DATE, 0, NULL},
                             {"end", PEIL_DATE, 0, NULL},
                             {code_col, PEIL_ENUM, nlevels, levels}};
  peil_table_writer *w;
  assert_ok(peil_table_create(s, table, defs, code_col ? 4 : 3, &w));
  int64_t rin[16];
  int32_t start[16], end[16], code[16];
  for (size_t i = 0; i < n; i++) {
    rin[i] = rows[i].rin;
    start[i] = D(rows[i].start);
    end[i] = rows[i].end ? D(rows[i].end) : PEIL_NA_DATE;
    code[i] = rows[i].code;
  }
  const void *cols[4] = {rin, start, end, code};
  assert_ok(peil_table_append(w, cols, n));
  assert_ok(peil_table_finish(w));
}

/* A spec from "key = value" lines. */
static inline peil_cohort_spec *spec(const char *const *kv) {
  peil_cohort_spec *s;
  assert_ok(peil_cohort_spec_new("t", &s));
  for (size_t i = 0; kv[i]; i += 2) assert_ok(peil_cohort_spec_set(s, kv[i], kv[i + 1], NULL, 0));
  assert_ok(peil_cohort_spec_finish(s));
  return s;
}

static inline peil_cohort_result *run(const char *store, peil_cohort_spec *sp) {
  peil_store *s;
  assert_ok(peil_store_open(store, PEIL_STORE_READ, &s));
  peil_cohort_result *r;
  assert_ok(peil_cohort_run(s, sp, NULL, &r));
  peil_store_close(s);
  return r;
}

static inline int run_fails(const char *store, peil_cohort_spec *sp) {
  peil_store *s;
  assert_ok(peil_store_open(store, PEIL_STORE_READ, &s));
  peil_cohort_result *r = NULL;
  int rc = peil_cohort_run(s, sp, NULL, &r);
  assert_null(r);
  peil_store_close(s);
  return rc;
}

static inline size_t index_of(char *const *v, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i], name) == 0) return i;
  fail_msg("no '%s'", name);
  return 0;
}

/* The pooled cell of (subset, group, stratum level, outcome, horizon). */
static inline const peil_cohort_cell *cell(const peil_cohort_result *r, const char *subset,
                                    const char *group, const char *stratum, const char *level,
                                    const char *outcome, int h) {
  size_t su = index_of(r->subsets, r->nsubsets, subset);
  size_t g = index_of(r->groups, r->ngroups, group);
  size_t o = 0;
  while (o < r->noutcomes && strcmp(r->outcomes[o].name, outcome)) o++;
  for (size_t i = 0; i < r->ncells; i++) {
    const peil_cohort_cell *c = &r->cells[i];
    if (c->date != PEIL_NA_DATE || c->subset != su || c->group != g || c->outcome != o ||
        c->horizon != h)
      continue;
    if (strcmp(r->strata[c->stratum].name, stratum) == 0 &&
        strcmp(r->strata[c->stratum].levels[c->level], level) == 0)
      return c;
  }
  fail_msg("no cell %s/%s/%s=%s/%s+%d", subset, group, stratum, level, outcome, h);
  return NULL;
}

#define assert_cell(r, su, g, st, lv, o, h, n_, cens_, sum_)                             \
  do {                                                                                   \
    const peil_cohort_cell *c_ = cell(r, su, g, st, lv, o, h);                           \
    assert_int_equal(c_->n, n_);                                                         \
    assert_int_equal(c_->censored, cens_);                                               \
    assert_true(c_->sum == (sum_));                                                      \
  } while (0)

#endif
