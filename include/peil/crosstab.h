/* peil/crosstab.h: cross-tabulations of a table of a store.
 *
 * Counts of rows by the categories of one column (a one-way table) or two
 * (rows x columns), with the totals of every row and column; optionally the
 * mean of a value per cell (for a 0/1 value or a condition: a share, e.g.
 * the share in work by municipality and duration class), whose totals are
 * the means over the margin: the n-weighted means of the cells. The
 * counts are unrounded and uncontrolled: disclosure control applies to the
 * table made from them (peil run). One pass over the table, streaming. */
#ifndef PEIL_CROSSTAB_H
#define PEIL_CROSSTAB_H

#include "peil/core.h"
#include "peil/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const char *rows;   /* a categorical, boolean, integer or date column */
  const char *cols;   /* the same kind of column, or NULL: a one-way table */
  const char *value;  /* an expression (peil/expr.h) averaged per cell, or NULL */
  const char *where;  /* a row filter, or NULL */
  int threads;        /* threads decoding the store's columns, 0: one per core */
} peil_crosstab_options;

typedef struct {
  char *rows_name, *cols_name, *value_text; /* cols_name, value_text NULL without */
  size_t nrows, ncols;       /* categories present, in their order (levels, values); ncols
                                is 1 for a one-way table */
  char **row_labels, **col_labels;
  /* (nrows + 1) x (ncols + 1) cells, row by row; row nrows and column ncols
   * are the totals. */
  int64_t *n;                /* rows of the table in the cell */
  int64_t *n_value;          /* of which with a value (not missing) */
  double *sum;               /* the sum of the value over those */
  int binary;                /* every value given is 0 or 1 (a share: its sum is a count) */
  int64_t n_read, n_filtered;
  int64_t n_missing;         /* dropped: a missing category */
} peil_crosstab;

/* Errors: unknown columns (naming the table), a category column of
 * fractional numbers or with more than 10,000 distinct values, a value that
 * is not a number or condition. */
int peil_crosstab_compute(peil_store *s, const char *table, const peil_crosstab_options *o,
                          peil_crosstab **out);
void peil_crosstab_free(peil_crosstab *t);

/* The cell (r, c), r <= nrows and c <= ncols (the totals included). */
static inline size_t peil_crosstab_cell(const peil_crosstab *t, size_t r, size_t c) {
  return r * (t->ncols + 1) + c;
}
/* The label of a category of a column: an enum's level, a date
 * (YYYY-MM-DD), FALSE/TRUE, or the number (%.15g). peil test labels its
 * groups with it too. */
void peil_crosstab_label(const peil_column_info *info, double v, char *buf, size_t len);

/* The mean of the value in a cell, NaN without values. */
double peil_crosstab_mean(const peil_crosstab *t, size_t r, size_t c);

#ifdef __cplusplus
}
#endif
#endif
