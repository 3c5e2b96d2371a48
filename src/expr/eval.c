/* Vectorised evaluation of a bound expression over a block. Missing values
 * are NaN; logic is three-valued as in R and SQL (FALSE & NA is FALSE,
 * TRUE | NA is TRUE); a function value that is not finite (log of 0 or of a
 * negative number) is missing. */
#include <math.h>
#include <stdlib.h>

#include "expr_internal.h"

static int eval_node(const node *n, const peil_block *blk, double *out);

/* Evaluates kid k into a fresh buffer. */
static double *eval_kid(const node *n, size_t k, const peil_block *blk, int *rc) {
  double *v = malloc((blk->nrows ? blk->nrows : 1) * sizeof *v);
  if (!v) {
    *rc = peil_error(PEIL_ENOMEM, "out of memory");
    return NULL;
  }
  *rc = eval_node(n->kids[k], blk, v);
  if (*rc) {
    free(v);
    return NULL;
  }
  return v;
}

static double compare(node_kind k, double a, double b) {
  if (isnan(a) || isnan(b)) return NAN;
  switch (k) {
  case N_EQ: return a == b;
  case N_NE: return a != b;
  case N_LT: return a < b;
  case N_LE: return a <= b;
  case N_GT: return a > b;
  default: return a >= b;
  }
}

static int eval_node(const node *n, const peil_block *blk, double *out) {
  const size_t m = blk->nrows;
  int rc = PEIL_OK;
  switch (n->kind) {
  case N_NUM:
  case N_STR:
    for (size_t i = 0; i < m; i++) out[i] = n->num;
    return PEIL_OK;
  case N_COL: peil_column_to_f64(n->info->type, blk->cols[n->slot], m, out); return PEIL_OK;
  case N_NEG:
  case N_CALL:
  case N_ISNA:
  case N_NOTNA:
  case N_NOT:
    if ((rc = eval_node(n->kids[0], blk, out))) return rc;
    for (size_t i = 0; i < m; i++) {
      double x = out[i];
      switch (n->kind) {
      case N_NEG: out[i] = -x; break;
      case N_CALL: x = n->fn(x), out[i] = isfinite(x) ? x : NAN; break;
      case N_ISNA: out[i] = isnan(x); break;
      case N_NOTNA: out[i] = !isnan(x); break;
      default: out[i] = isnan(x) ? NAN : (x == 0); break;
      }
    }
    return PEIL_OK;
  case N_IN:
    if ((rc = eval_node(n->kids[0], blk, out))) return rc;
    for (size_t i = 0; i < m; i++) {
      if (isnan(out[i])) continue;
      double hit = 0;
      for (size_t k = 1; k < n->nkids && !hit; k++) hit = out[i] == n->kids[k]->num;
      out[i] = hit;
    }
    return PEIL_OK;
  default: break;
  }
  /* Binary operators. */
  if ((rc = eval_node(n->kids[0], blk, out))) return rc;
  double *b = eval_kid(n, 1, blk, &rc);
  if (!b) return rc;
  for (size_t i = 0; i < m; i++) {
    double a = out[i], y = b[i];
    switch (n->kind) {
    case N_ADD: out[i] = a + y; break;
    case N_SUB: out[i] = a - y; break;
    case N_MUL: out[i] = a * y; break;
    case N_DIV: out[i] = y == 0 ? NAN : a / y; break;
    case N_POW: a = pow(a, y), out[i] = isfinite(a) ? a : NAN; break;
    case N_AND: out[i] = (a == 0 || y == 0) ? 0 : (isnan(a) || isnan(y)) ? NAN : 1; break;
    case N_OR: out[i] = (a == 1 || y == 1) ? 1 : (isnan(a) || isnan(y)) ? NAN : 0; break;
    default: out[i] = compare(n->kind, a, y); break;
    }
  }
  free(b);
  return PEIL_OK;
}

int peil_expr_eval(const peil_expr *e, const peil_block *blk, double *out) {
  if (!e->bound) return peil_error(PEIL_EINVAL, "%s '%s' is evaluated before binding", e->what, e->text);
  return eval_node(e->root, blk, out);
}
