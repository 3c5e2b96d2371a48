/* peil/table.h: result tables, the tables peil publishes.
 *
 * A result table is what an analysis hands to disclosure control and the
 * writers: a name (the file stem), a title, notes, and typed columns whose
 * role says how disclosure control (peil/disclosure.h) treats them. It
 * lives in memory and is small (a few thousand rows at most); building it
 * costs amortised O(1) per cell.
 *
 * The prefix is peil_rtable ("result table") because peil/store.h already
 * has peil_table_* for the store's tables.
 *
 * The life of a table, as the batch runner uses it:
 *
 *   peil_rtable *t;
 *   peil_rtable_new("g4_still", "Still on bijstand after 6 months", &t);
 *   peil_rtable_add_key(t, "municipality", PEIL_RTABLE_TEXT);
 *   peil_rtable_add_count(t, "n");                  // persons on the date
 *   peil_rtable_add_count(t, "still");              // of whom still on bijstand
 *   peil_rtable_add_share(t, "pct_still", "still", "n", 100, 1);
 *   peil_rtable_value row[] = {PEIL_RV_TEXT("Rotterdam"), PEIL_RV_INT(5210),
 *                              PEIL_RV_INT(4302), PEIL_RV_NA};   // share filled in
 *   peil_rtable_append(t, row, 4);
 *   ...
 *   peil_disclosure_apply(t, &structure, &rules, audit);  // or rules.enabled = 0
 *   peil_rtable_save(t, "outdir");   // outdir/g4_still.csv, .json, .md
 *   peil_rtable_free(t);
 *
 * Writers refuse a table that has not been through peil_disclosure_apply
 * (with control on, or explicitly off), and a controlled table can no
 * longer be changed (only notes can be added), so no table is published
 * uncontrolled by mistake.
 *
 * Errors: PEIL_EINVAL (bad name, unknown or duplicate column, wrong order
 * of calls), PEIL_ENOTFOUND (a column a declaration refers to does not
 * exist), PEIL_ETYPE (a value of the wrong type for its column),
 * PEIL_ENOMEM, PEIL_EIO (writers); the message names table, column and
 * row. */
#ifndef PEIL_TABLE_H
#define PEIL_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "peil/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct peil_rtable peil_rtable;

typedef enum {
  PEIL_RTABLE_TEXT = 0, /* UTF-8 text */
  PEIL_RTABLE_INTEGER,  /* int64 */
  PEIL_RTABLE_REAL      /* double */
} peil_rtable_type;

/* How disclosure control treats a column (docs/disclosure.md). */
typedef enum {
  PEIL_ROLE_KEY = 0,  /* identifies the row: group, date, stratum, term, outcome (text or
                         integer); never controlled */
  PEIL_ROLE_COUNT,    /* a number of persons (or person-dates), integer: minimum cell size,
                         secondary suppression, rounding */
  PEIL_ROLE_SHARE,    /* scale * count / denominator (real), two count (or n) columns
                         declared with it: suppressed with either of them; computed from the
                         unrounded counts */
  PEIL_ROLE_ESTIMATE, /* a statistic (coefficient, difference, ATT, SE, CI bound, p-value)
                         resting on one or more n columns of its row: suppressed, with every
                         estimate of the row, when one of them is below the minimum */
  PEIL_ROLE_N,        /* the persons an estimate rests on, integer: minimum cell size, and
                         rounding when declared `rounded` */
  PEIL_ROLE_OTHER     /* not controlled: degrees of freedom, a seed, a label */
} peil_rtable_role;

/* Cell flags (peil_rtable_flags). A missing cell is NA; the suppression
 * flags are set by disclosure control and say which rule suppressed the
 * cell; a suppressed cell keeps its value in memory (for checks) but no
 * writer ever prints it. */
#define PEIL_CELL_NA 0x01u        /* missing: "NA" in CSV, null in JSON, "." in Markdown */
#define PEIL_CELL_PRIMARY 0x02u   /* a count or n below the minimum cell size */
#define PEIL_CELL_SECONDARY 0x04u /* suppressed to protect a suppressed cell of an additive group */
#define PEIL_CELL_ESTIMATE 0x08u  /* an estimate whose row has an n below the minimum */
#define PEIL_CELL_SHARE 0x10u     /* a share whose count or denominator is suppressed */
#define PEIL_CELL_ROUNDED 0x20u   /* rounded to the rules' base */
#define PEIL_CELL_LINKED 0x40u    /* the same number is suppressed elsewhere (peil_disclosure_force) */
#define PEIL_CELL_SUPPRESSED                                                               \
  (PEIL_CELL_PRIMARY | PEIL_CELL_SECONDARY | PEIL_CELL_ESTIMATE | PEIL_CELL_SHARE | PEIL_CELL_LINKED)

/* A column. Strings are copied. The referenced columns (a share's count
 * and denominator, an estimate's n columns) must be added before the
 * column that refers to them. Column names are unique, non-empty, hold no
 * ',' or ';' (the list separators of declarations and of the CSV's
 * `suppressed` field) and no control characters; "suppressed" is taken by
 * the CSV writer. */
typedef struct {
  const char *name;
  peil_rtable_type type;    /* key: text or integer; count and n: integer; share: real;
                               estimate: integer or real; other: any */
  peil_rtable_role role;
  int decimals;             /* digits after the point of a real column in Markdown (0..15);
                               CSV and JSON always carry the full value */
  const char *count;        /* share: the count (or n) column it is the share of */
  const char *denominator;  /* share: the count (or n) column it is divided by */
  double scale;             /* share: 100 for a percentage, 1 for a proportion (> 0) */
  const char *n;            /* estimate: the n (or count) columns it rests on, comma-separated
                               ("n_treated,n_control"); at least one */
  int rounded;              /* n: rounded as counts are when the rules round */
} peil_rtable_column;

/* A table named `name` ([a-z0-9_-], 1 to 100 characters: it becomes file
 * names) with a title (any text; NULL is ""). */
int peil_rtable_new(const char *name, const char *title, peil_rtable **out);
void peil_rtable_free(peil_rtable *t);
/* A copy of t as it was before disclosure control: columns, rows (with
 * their missing cells) and notes, uncontrolled, for callers that control
 * the same table more than once, each time on a fresh copy
 * (peil_disclosure_force). Copy a table before controlling it: a
 * controlled table's suppressions and rounding are not copied back out. */
int peil_rtable_copy(const peil_rtable *t, peil_rtable **out);

/* Columns are added before the first row. */
int peil_rtable_add_column(peil_rtable *t, const peil_rtable_column *def);
/* The same for each role, with the fields that role uses. */
int peil_rtable_add_key(peil_rtable *t, const char *name, peil_rtable_type type);
int peil_rtable_add_count(peil_rtable *t, const char *name);
int peil_rtable_add_share(peil_rtable *t, const char *name, const char *count,
                          const char *denominator, double scale, int decimals);
int peil_rtable_add_estimate(peil_rtable *t, const char *name, const char *n, int decimals);
int peil_rtable_add_n(peil_rtable *t, const char *name, int rounded);
int peil_rtable_add_other(peil_rtable *t, const char *name, peil_rtable_type type, int decimals);

/* Appends a row of missing cells; *row (may be NULL) is its index. */
int peil_rtable_add_row(peil_rtable *t, size_t *row);

/* Setting a cell. set_int serves integer and real columns (and keys);
 * set_real real columns only, NaN being missing (infinities are values:
 * "Inf" in CSV, null in JSON); set_text text columns, NULL being missing.
 * A value of the wrong type is PEIL_ETYPE naming table, column and row. */
int peil_rtable_set_text(peil_rtable *t, size_t row, size_t col, const char *value);
int peil_rtable_set_int(peil_rtable *t, size_t row, size_t col, int64_t value);
int peil_rtable_set_real(peil_rtable *t, size_t row, size_t col, double value);
int peil_rtable_set_na(peil_rtable *t, size_t row, size_t col);

/* A value for peil_rtable_append. */
typedef enum {
  PEIL_VALUE_NA = 0,
  PEIL_VALUE_TEXT,
  PEIL_VALUE_INTEGER,
  PEIL_VALUE_REAL
} peil_rtable_value_kind;

typedef struct {
  peil_rtable_value_kind kind;
  const char *text;
  int64_t integer;
  double real;
} peil_rtable_value;

#define PEIL_RV_NA ((peil_rtable_value){PEIL_VALUE_NA, NULL, 0, 0.0})
#define PEIL_RV_TEXT(s) ((peil_rtable_value){PEIL_VALUE_TEXT, (s), 0, 0.0})
#define PEIL_RV_INT(v) ((peil_rtable_value){PEIL_VALUE_INTEGER, NULL, (int64_t)(v), 0.0})
#define PEIL_RV_REAL(v) ((peil_rtable_value){PEIL_VALUE_REAL, NULL, 0, (double)(v)})

/* Appends a row of n values, one per column in column order (n must be
 * the number of columns). Nothing is appended when a value is refused. */
int peil_rtable_append(peil_rtable *t, const peil_rtable_value *values, size_t n);

/* Notes (method notes, warnings; disclosure control adds its own): a list
 * of strings under the table in Markdown, "notes" in JSON. Allowed at any
 * time, also after disclosure control. */
int peil_rtable_add_note(peil_rtable *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- Reading back. A row or column out of range reads as a missing cell. */
const char *peil_rtable_name(const peil_rtable *t);
const char *peil_rtable_title(const peil_rtable *t);
size_t peil_rtable_nrows(const peil_rtable *t);
size_t peil_rtable_ncols(const peil_rtable *t);
/* The column's definition (strings owned by the table). */
const peil_rtable_column *peil_rtable_column_def(const peil_rtable *t, size_t col);
/* A column's index, or -1 when there is none of that name. */
int peil_rtable_column_index(const peil_rtable *t, const char *name);
size_t peil_rtable_nnotes(const peil_rtable *t);
const char *peil_rtable_note(const peil_rtable *t, size_t i);

unsigned peil_rtable_flags(const peil_rtable *t, size_t row, size_t col);
/* A text cell, NULL when missing (or not a text column). */
const char *peil_rtable_text(const peil_rtable *t, size_t row, size_t col);
/* An integer cell, PEIL_NA_INT64 when missing (or not an integer column). */
int64_t peil_rtable_int(const peil_rtable *t, size_t row, size_t col);
/* A numeric cell as a double (integer columns converted), NaN when missing. */
double peil_rtable_real(const peil_rtable *t, size_t row, size_t col);

/* ---- Disclosure control as the table records it (set by
 * peil_disclosure_apply). */
typedef enum {
  PEIL_RTABLE_UNCONTROLLED = 0, /* not yet through disclosure control: writers refuse it */
  PEIL_RTABLE_CONTROLLED,       /* controlled with the recorded rules */
  PEIL_RTABLE_CONTROL_OFF       /* control explicitly turned off: published as it is,
                                   marked "disclosure control: off" */
} peil_rtable_control_state;

typedef struct {
  peil_rtable_control_state state;
  int64_t min_cell;          /* the rules applied (CONTROLLED) */
  int rounding;              /* 0 (none), 5 or 10 */
  int zero_cells_small;      /* 0: zero cells were published; 1: treated as small cells */
  size_t n_primary, n_secondary, n_estimate, n_share; /* suppressed cells by rule */
  size_t n_linked;           /* suppressed because the same number is suppressed elsewhere */
  size_t n_rounded;          /* cells rounded */
} peil_rtable_control;

const peil_rtable_control *peil_rtable_get_control(const peil_rtable *t);

/* ---- Writers. Each writes to a stream, or atomically to a path
 * (peil_atomic_*: a failed write leaves no file behind). They refuse an
 * uncontrolled table (PEIL_EINVAL).
 *
 * CSV: a header of the column names and a last column `suppressed`;
 * RFC 4180 quoting, '.' as decimal point, lines ending in "\n"; integers
 * as they are, reals in the shortest form that reads back to the same
 * double (as exact as "%.17g", without its noise digits); "NA" for a
 * missing cell; an empty field for a suppressed cell, whose column name
 * the row's `suppressed` field lists (names separated by ';').
 *
 * JSON (one object): peil_version, name, title, notes, columns (name, type,
 * role, decimals; a share's count, denominator and scale; an estimate's n
 * list; an n's rounded), rows (an array of objects by column name; a
 * missing or suppressed cell is null, a non-finite real too), suppressed
 * (an array of [row index from 0, column name]), disclosure ("off", or the
 * rules applied and the number of cells each rule suppressed).
 *
 * Markdown: "### title", a pipe table (text left-aligned; numbers
 * right-aligned, reals with the column's decimals so points line up), "x"
 * for a suppressed cell (the CBS sign for "geheim"), "." for a missing
 * one, then the notes as a list (and a legend line for "."). */
int peil_rtable_write_csv(const peil_rtable *t, FILE *f);
int peil_rtable_write_json(const peil_rtable *t, FILE *f);
int peil_rtable_write_markdown(const peil_rtable *t, FILE *f);
int peil_rtable_save_csv(const peil_rtable *t, const char *path);
int peil_rtable_save_json(const peil_rtable *t, const char *path);
int peil_rtable_save_markdown(const peil_rtable *t, const char *path);
/* All three into directory `dir` (which must exist) as NAME.csv,
 * NAME.json and NAME.md; the three are renamed into place only when all
 * three were written. */
int peil_rtable_save(const peil_rtable *t, const char *dir);

#ifdef __cplusplus
}
#endif
#endif
