/* peil/expr.h: the expression language of row filters (--where) and of
 * numeric terms in formulas (log(income), I(age^2)).
 *
 *   age >= 18 & age < 65 & municipality in ("Amsterdam", "Rotterdam")
 *   sex == "vrouw" | education is missing
 *   start < "2018-01-01" & !(hours > 32)
 *
 * Values are numbers; categorical columns compare with their labels, dates
 * with ISO or Dutch date strings. A comparison involving a missing value is
 * missing, and a filter keeps a row only where it is true (as R's subset()
 * and dplyr's filter()); `is missing` tests for missing values explicitly.
 *
 * Use: parse the text once, bind it to a table's columns (this resolves
 * labels and dates and checks types), then evaluate it block by block.
 */
#ifndef PEIL_EXPR_H
#define PEIL_EXPR_H

#include "peil/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct peil_expr peil_expr;

/* Parses `text`; `what` names it in messages ("--where", "formula"). A syntax
 * error gives PEIL_EINVAL with a message that shows the text and a caret
 * under the offending position. */
int peil_expr_parse(const char *text, const char *what, peil_expr **out);
void peil_expr_free(peil_expr *e);

/* The distinct column names the expression uses, in order of appearance.
 * The array and strings belong to the expression. */
size_t peil_expr_columns(const peil_expr *e, const char *const **names);

/* Binds the expression to columns: cols[i] describes the column that will
 * be in slot i of the blocks passed to peil_expr_eval, for the names given
 * by peil_expr_columns (slot[i] = index in the block of the i-th name).
 * Errors name the column or label ("unknown level 'Amsterdm' of column
 * 'municipality' (levels: ...)"). */
int peil_expr_bind(peil_expr *e, const peil_column_info *const *cols, const size_t *slot);

/* Is the bound expression a condition (comparison, logic) rather than a
 * number? Filters must be conditions. */
int peil_expr_is_condition(const peil_expr *e);

/* Evaluates for every row of blk: out[i] is the value (conditions: 1 true,
 * 0 false), NaN when missing. Thread-safe for distinct out buffers. */
int peil_expr_eval(const peil_expr *e, const peil_block *blk, double *out);

/* The original text. */
const char *peil_expr_text(const peil_expr *e);

/* ---- Expressions over a table, block by block: the columns they use are
 * read once, and every block gives each expression's values as doubles
 * (NaN: missing; a categorical column's value is its code). */
typedef struct peil_expr_scan peil_expr_scan;

/* Binds the n expressions to `table` and opens the scan; `threads`
 * decode the columns (0: one per core). Unknown columns: PEIL_ENOTFOUND
 * naming the expression's text, the column and the table. The expressions
 * must outlive the scan. */
int peil_expr_scan_open(peil_store *s, const char *table, peil_expr *const *exprs, size_t n,
                        int threads, peil_expr_scan **out);
/* The next block: 1 and *nrows rows with values[k][i] the k-th expression
 * on row i (buffers owned by the scan, valid until the next call); 0 at the
 * end; or an error. *start is the block's first row in the table. */
int peil_expr_scan_next(peil_expr_scan *sc, int64_t *start, size_t *nrows, const double *const **values);
void peil_expr_scan_close(peil_expr_scan *sc);

/* ---- Model formulas, as researchers write them in R:
 *
 *   y ~ age + sex + migration + factor(year) + sex:migration
 *   in_work ~ municipality * duration_class - 1 + offset(log(exposure))
 *   log(income) ~ I(age^2) + education
 *
 * `a*b` is a + b + a:b, `(a + b):c` is a:c + b:c, `- term` removes a term,
 * `- 1` or `+ 0` drops the intercept. Terms are ordered as R's terms() does:
 * by the number of variables, then by first appearance. Whether a plain
 * name is categorical is decided when the formula meets the data (enum
 * columns are); factor(x) makes an integer column categorical. */
typedef struct {
  char *label;      /* as R labels it: "age", "factor(year)", "log(income)" */
  char *column;     /* the column of a plain name or of factor(); else NULL */
  int is_factor;    /* written as factor(x) */
  peil_expr *expr;  /* the numeric expression (also for plain names) */
} peil_formula_var;

typedef struct {
  char *text;
  char *response_label;   /* NULL for a one-sided formula "~ x" */
  peil_expr *response;
  int intercept;
  size_t nvars;
  peil_formula_var *vars;
  size_t nterms;
  uint64_t *terms;        /* each term: a bit set over vars (bit i = vars[i]) */
  size_t noffsets;
  peil_expr **offsets;    /* summed into the linear predictor with coefficient 1 */
} peil_formula;

/* Parses a formula; syntax errors show a caret under the position. At most
 * 64 distinct variables. */
int peil_formula_parse(const char *text, peil_formula **out);
void peil_formula_free(peil_formula *f);
/* The label of term t: variable labels joined by ':' as R prints them. */
int peil_formula_term_label(const peil_formula *f, size_t t, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
