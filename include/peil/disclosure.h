/* peil/disclosure.h: statistical disclosure control of result tables,
 * following the CBS output rules (docs/disclosure.md).
 *
 * Control is on by default. peil_disclosure_apply takes a result table
 * (peil/table.h) whose columns carry roles, and
 *   1. primary suppression: a count or n cell with 0 < value < min_cell is
 *      suppressed (a 0 too when zero_cells is "small");
 *   2. secondary suppression: in every additive group the table declares
 *      (a total and its parts: along a dimension's "Total" rows, or across
 *      count columns with a total column) that has exactly one suppressed
 *      cell, the smallest unsuppressed part that is not zero (a zero only
 *      when there is no other; the total when there is no part) is
 *      suppressed too, until no group has exactly one (the classic rule for
 *      2-D tables, tau-argus's simplest option); then groups that
 *      share suppressed cells are solved together, exactly, and a cell
 *      their equations still determine (a suppressed cell linking two
 *      blocks of suppressions) is protected by one more suppression in one
 *      of its groups (or, when they have no cell left, in a group linked
 *      to them), until no suppressed cell can be computed from the
 *      published cells of the declared groups, in any combination;
 *   3. estimates: every estimate of a row is suppressed when one of the n
 *      cells it rests on is below min_cell (or missing);
 *   4. shares: suppressed with their count or denominator; a share cell
 *      left missing is filled in as scale * count / denominator from the
 *      unrounded counts (also with control off: that is not control);
 *   5. rounding (optional): published count cells (and n cells declared
 *      `rounded`) to multiples of 5 or 10, half up (15 -> 20 at base 10),
 *      totals independently (rounded parts need not add up to the rounded
 *      total, which a note under the table says); shares keep the values
 *      from the unrounded counts.
 * Every action goes to an audit log that never shows a small value.
 *
 * Errors (nothing is changed in the table or the audit): PEIL_EINVAL for
 * bad rules or a table controlled twice, PEIL_ENOTFOUND for a structure
 * naming an unknown column, PEIL_ETYPE for a dimension that is not a text
 * key or a column sum over columns that are not counts, PEIL_EDATA for a
 * negative count or n, a total that is not the sum of its parts ("table T,
 * column n: the total row Total (1234) is not the sum of its parts
 * (1230)"), a missing cell in an additive group, or two rows with the
 * same keys in a table with dimensions. The table and structure are
 * checked with control off too: a wrong declaration is an error either
 * way. */
#ifndef PEIL_DISCLOSURE_H
#define PEIL_DISCLOSURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "peil/core.h"
#include "peil/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- The rules. The fields named after them are the keys of a spec's
 * [disclosure] section (peil_disclosure_rules_set maps them one to one);
 * `enabled` is the batch runner's --no-disclosure-control. */
typedef enum {
  PEIL_ZERO_CELLS_SAFE = 0, /* "safe": a 0 is published (default) */
  PEIL_ZERO_CELLS_SMALL     /* "small": a 0 is suppressed like a cell below min_cell */
} peil_zero_cells;

typedef struct {
  int enabled;              /* 1 (default); 0 publishes tables as they are, marked
                               "disclosure control: off" */
  int64_t min_cell;         /* min_cell: the least number of persons a published count, n
                               or estimate rests on (default 10, CBS); at least 1 */
  int rounding;             /* rounding: 0 (none, default), 5 or 10 */
  peil_zero_cells zero_cells; /* zero_cells: safe (default) or small */
} peil_disclosure_rules;

/* The defaults: on, min_cell 10, no rounding, zero cells safe. */
void peil_disclosure_rules_init(peil_disclosure_rules *r);

/* One key of a [disclosure] section:
 *   min_cell   = a whole number >= 1
 *   rounding   = none | 5 | 10
 *   zero_cells = safe | small
 * PEIL_EINVAL with a message naming the key and the allowed values for
 * an unknown key or a bad value (r is unchanged). The caller adds the
 * file and line (peil_error_prefix). */
int peil_disclosure_rules_set(peil_disclosure_rules *r, const char *key, const char *value);

/* ---- The additive structure of a table, for secondary suppression.
 *
 * A dimension is a text key column with a total value: a row whose value
 * there is the total ("Total") is the sum of the rows that have the same
 * values in every other key column and another value in this one. Key
 * columns that are not dimensions (date, outcome, year...) split the table
 * into layers; a table with two dimensions is a 2-D table with both
 * margins in every layer. Every count column is additive along every
 * dimension; n columns are not (the persons a fit rests on repeat on the
 * rows of its estimates): persons per group that add up are a count.
 * Groups without a total row are not additive.
 *
 * A column sum is a wide table's: in every row, count column `total` is
 * the sum of the count columns `parts` ("work,school,none").
 *
 * Both may be combined (a wide table with total rows is a 2-D table). */
typedef struct {
  const char *column;       /* a text key column */
  const char *total;        /* its value in the total rows, "Total" */
} peil_disclosure_dimension;

typedef struct {
  const char *total;        /* a count column */
  const char *parts;        /* the count columns that add up to it, comma-separated */
} peil_disclosure_column_sum;

typedef struct {
  const peil_disclosure_dimension *dimensions;
  size_t ndimensions;
  const peil_disclosure_column_sum *column_sums;
  size_t ncolumn_sums;
} peil_disclosure_structure;

/* ---- The audit log: one entry per action, for disclosure_audit.csv. */
typedef struct {
  const char *table;  /* the table's name */
  const char *row;    /* the row's key values ("Rotterdam, work"), "" for the whole table
                         or column */
  const char *column; /* "" for the whole table */
  const char *rule;   /* "primary: fewer than 10", "secondary: protects row Rotterdam /
                         column work", "estimate: n_treated fewer than 10", "rounded to 10",
                         "rules: min_cell 10, rounding none, zero cells safe", "disclosure
                         control: off"; never a suppressed value */
} peil_disclosure_action;

typedef struct peil_disclosure_audit peil_disclosure_audit;

int peil_disclosure_audit_new(peil_disclosure_audit **out);
void peil_disclosure_audit_free(peil_disclosure_audit *a);
size_t peil_disclosure_audit_size(const peil_disclosure_audit *a);
/* Entry i (NULL past the end); valid until the next change of the audit. */
const peil_disclosure_action *peil_disclosure_audit_get(const peil_disclosure_audit *a, size_t i);
/* Appends an entry (the strings are copied): for callers that record
 * decisions of their own, such as a table left out. */
int peil_disclosure_audit_add(peil_disclosure_audit *a, const char *table, const char *row,
                              const char *column, const char *rule);
/* As CSV (header table,row,column,rule; RFC 4180 quoting) to a stream, or
 * atomically to a path (the batch runner's outdir/disclosure_audit.csv). */
int peil_disclosure_audit_write(const peil_disclosure_audit *a, FILE *f);
int peil_disclosure_audit_save(const peil_disclosure_audit *a, const char *path);

/* ---- Control. Applies the rules to table t (once: a second call is
 * PEIL_EINVAL), with the additive structure s (NULL: none, so only
 * primary suppression, estimates, shares and rounding), rules r (NULL:
 * the defaults) and the audit (NULL: none kept). Adds notes to the table
 * (the "x" legend, the estimate rule, rounding, or "disclosure control:
 * off") and records the control in it (peil_rtable_get_control), after
 * which the writers accept it. On an error, table and audit are unchanged,
 * except when memory runs out midway: the table is then left marked as
 * uncontrolled and the writers refuse it. */
int peil_disclosure_apply(peil_rtable *t, const peil_disclosure_structure *s,
                          const peil_disclosure_rules *r, peil_disclosure_audit *audit);

/* ---- Numbers published more than once. A count (or n) that appears in
 * two tables, or twice in one (a total repeated as a denominator on every
 * row), must be suppressed everywhere or nowhere: published in one place
 * it gives away what secondary suppression hid in the other. A caller
 * that controls such tables marks, before peil_disclosure_apply, the cells
 * whose number is suppressed elsewhere; apply then treats them as
 * suppressed from the start ("linked: suppressed where the same number
 * appears" in the audit), protects them by secondary suppression like any
 * other, and suppresses shares that rest on them. The caller repeats this
 * (on fresh copies of the tables) until no table suppresses a number the
 * others publish: the batch runner does so for the tables of a section.
 * PEIL_EINVAL for a cell that is not a count or n, or a table already
 * controlled. With control off the marks are ignored. */
int peil_disclosure_force(peil_rtable *t, size_t row, size_t col);

#ifdef __cplusplus
}
#endif
#endif
