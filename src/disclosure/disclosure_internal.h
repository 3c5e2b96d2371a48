/* Shared by the files of the disclosure module. */
#ifndef PEIL_DISCLOSURE_INTERNAL_H
#define PEIL_DISCLOSURE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "../table/table_internal.h"
#include "peil/disclosure.h"

#define DISCLOSURE_SUPPRESSED (PEIL_CELL_PRIMARY | PEIL_CELL_SECONDARY | PEIL_CELL_LINKED)

/* PEIL_EINVAL for rules out of range (a caller's struct, not a spec). */
int disclosure_rules_check(const peil_disclosure_rules *r);

/* ---- Actions recorded while applying, turned into audit entries (with
 * the rows' labels) once the whole table is done. row and col are
 * DLOG_NONE for an action on the whole table (or column). */
#define DLOG_NONE ((size_t)-1)

typedef struct {
  size_t row, col;
  char *rule;
} dlog_entry;

typedef struct {
  dlog_entry *e;
  size_t n, cap;
} dlog;

int dlog_add(dlog *l, size_t row, size_t col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void dlog_free(dlog *l);

/* ---- Additive groups. A cell is identified by row * ncols + col. Group
 * k holds cells cell[start[k] .. start[k + 1]), its total first, then
 * its parts in row (or column) order. Every cell's groups are listed in
 * by_cell[cell_start[c] .. cell_start[c + 1]). */
typedef struct {
  size_t ncols;
  size_t ngroups;
  size_t *start;   /* ngroups + 1 */
  size_t *cell;
  size_t ncells;   /* nrows * ncols */
  size_t *cell_start; /* ncells + 1 */
  size_t *by_cell;
} disclosure_groups;

/* Checks the structure against the table (columns, types, duplicate keys)
 * and builds its groups, checking that each total is the sum of its parts
 * and that no cell of a group is missing. s may be NULL (no groups). */
int disclosure_groups_build(const peil_rtable *t, const peil_disclosure_structure *s,
                            disclosure_groups *g);
void disclosure_groups_free(disclosure_groups *g);

/* The cell a group gives up to protect its suppressed cells: the smallest
 * unsuppressed part that is not zero (the first of equal ones), else the
 * first unsuppressed zero part, else the total when unsuppressed; or
 * DLOG_NONE when every cell is suppressed. A zero partner is the last
 * choice because the suppressed cells' sum then equals the small value. */
size_t disclosure_candidate(const peil_rtable *t, const disclosure_groups *g, size_t k);

/* Suppresses cell c (PEIL_CELL_SECONDARY) to protect cell p and records
 * it; `how` ends the rule ("" or " (across groups)"). */
int disclosure_protect(peil_rtable *t, size_t c, size_t p, const char *how, dlog *log);

/* Step 2a: until no group has exactly one suppressed cell, suppress a
 * candidate in each such group. *added counts the new suppressions. */
int disclosure_secondary(peil_rtable *t, const disclosure_groups *g, dlog *log, size_t *added);

/* Step 2b: solves the groups that share suppressed cells together (exact
 * elimination modulo a prime) and protects every suppressed cell they
 * determine with one more suppression in one of its groups; one round.
 * *added counts the new suppressions (0: no cell is determined). */
int disclosure_linked(peil_rtable *t, const disclosure_groups *g, dlog *log, size_t *added);

/* A count or n cell's value (the group cells are integer columns). */
static inline int64_t disclosure_value(const peil_rtable *t, size_t cell) {
  size_t nc = t->ncols;
  return t->cols[cell % nc].v.i[cell / nc];
}

static inline int disclosure_is_suppressed(const peil_rtable *t, size_t cell) {
  size_t nc = t->ncols;
  return (t->cols[cell % nc].flags[cell / nc] & DISCLOSURE_SUPPRESSED) != 0;
}

#endif
