/* The result table's representation, shared by the table module's files
 * and by disclosure control (src/disclosure), which sets flags, rounds
 * values and records the control. Nothing else may include it. */
#ifndef PEIL_TABLE_INTERNAL_H
#define PEIL_TABLE_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "peil/table.h"

typedef struct {
  peil_rtable_column def; /* its strings point into the owned copies below */
  char *name, *count, *denominator, *n;
  int count_col, denom_col; /* share: column indexes */
  size_t nn;                /* estimate: the n columns */
  int *n_cols;
  union {
    int64_t *i;
    double *x;
    char **s;
  } v;
  uint8_t *flags;
} rtable_col;

struct peil_rtable {
  char *name, *title;
  size_t ncols;
  rtable_col *cols;
  size_t nrows, cap;
  char **notes;
  size_t nnotes;
  peil_rtable_control control;
};

/* A cell's flags, for the modules that own the representation. */
static inline uint8_t *rtable_flag(peil_rtable *t, size_t row, size_t col) {
  return &t->cols[col].flags[row];
}

/* The row described for messages and the audit: its key values joined by
 * ", " ("Rotterdam, 2019"), or "row N" (from 1) when the table has no keys.
 * Returns a malloc'd string, NULL when out of memory. */
char *rtable_row_label(const peil_rtable *t, size_t row);

/* A cell's display text, as CSV and Markdown need it:
 * - writes the number (integers as they are; reals in the shortest form
 *   that reads back exactly when decimals < 0 or |x| >= 1e15, else with
 *   `decimals` digits after the point, "-0.0" shown as "0.0"); "Inf" /
 *   "-Inf";
 * buf must hold 64 bytes. Text cells are not formatted here. */
void rtable_format_number(const peil_rtable *t, size_t row, size_t col, int decimals, char *buf);

/* The digits after the point CSV and JSON give column col: all (-1), but
 * for a share in a table whose counts are rounded, the column's decimals,
 * as Markdown: a share of every digit gives the exact counts behind the
 * rounded ones away (12.149532710280374% of a rounded 430 can only be 52
 * of 428), a share of one decimal (12.1%) as CBS publishes it does not. */
int rtable_published_decimals(const peil_rtable *t, size_t col);

/* Writes a CSV field, quoted when it holds a comma, a quote or a line
 * break (quotes doubled), as RFC 4180 has it. */
void rtable_csv_field(FILE *f, const char *s);

/* PEIL_EINVAL unless the table has been through disclosure control
 * (on or explicitly off): every writer calls it first. */
int rtable_check_writable(const peil_rtable *t);

#endif
