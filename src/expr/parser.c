/* Recursive-descent parser for expressions. Precedence, loosest first:
 *   |   &   !   comparisons, in, is [not] missing   + -   * /   unary -   ^
 * as in R, except that `in (...)` and `is missing` are spelled for people
 * who write SQL and Stata as well. */
#include <stdlib.h>
#include <string.h>

#include "expr_internal.h"

static const token *peek(const lexer *lx) { return &lx->toks[lx->at]; }
static const token *next(lexer *lx) { return &lx->toks[lx->at++]; }

static node *new_node(node_kind k, size_t pos) {
  node *n = calloc(1, sizeof *n);
  if (n) {
    n->kind = k;
    n->pos = pos;
    n->col = -1;
  }
  return n;
}

static int add_kid(node *n, node *kid) {
  node **v = realloc(n->kids, (n->nkids + 1) * sizeof *v);
  if (!v) {
    peil_node_free(kid);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  n->kids = v;
  n->kids[n->nkids++] = kid;
  return PEIL_OK;
}

void peil_node_free(node *n) {
  if (!n) return;
  for (size_t i = 0; i < n->nkids; i++) peil_node_free(n->kids[i]);
  free(n->kids);
  free(n->str);
  free(n);
}

/* A binary node of kind k over l and r (takes ownership of both). */
static int binary(node_kind k, size_t pos, node *l, node *r, node **out) {
  node *n = new_node(k, pos);
  if (!n) {
    peil_node_free(l);
    peil_node_free(r);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  int rc = add_kid(n, l);
  if (!rc) rc = add_kid(n, r);
  else peil_node_free(r);
  if (rc) {
    peil_node_free(n);
    return rc;
  }
  *out = n;
  return PEIL_OK;
}

/* A node of kind k with the single kid `kid` (takes ownership). */
static int unary(node_kind k, size_t pos, node *kid, node **out) {
  node *n = new_node(k, pos);
  if (!n) {
    peil_node_free(kid);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  int rc = add_kid(n, kid);
  if (rc) {
    peil_node_free(n);
    return rc;
  }
  *out = n;
  return PEIL_OK;
}

static int expect(lexer *lx, tok_kind k, const char *context) {
  const token *t = peek(lx);
  if (t->kind != k)
    return peil_syntax_error(lx, t->pos, "expected %s %s, found %s", peil_tok_name(k), context,
                             peil_tok_name(t->kind));
  lx->at++;
  return PEIL_OK;
}

static int parse_or(lexer *lx, node **out);
static int parse_unary(lexer *lx, node **out);

static int parse_primary(lexer *lx, node **out) {
  const token *t = next(lx);
  node *n = NULL;
  switch (t->kind) {
  case TK_NUM:
    if (!(n = new_node(N_NUM, t->pos))) return peil_error(PEIL_ENOMEM, "out of memory");
    n->num = t->num;
    break;
  case TK_STR:
    if (!(n = new_node(N_STR, t->pos)) || !(n->str = strdup(t->str))) {
      free(n);
      return peil_error(PEIL_ENOMEM, "out of memory");
    }
    break;
  case TK_IDENT:
    if (peek(lx)->kind == TK_LPAREN) { /* a function call */
      lx->at++;
      if (!(n = new_node(N_CALL, t->pos)) || !(n->str = strdup(t->str))) {
        free(n);
        return peil_error(PEIL_ENOMEM, "out of memory");
      }
      node *arg = NULL;
      int rc = parse_or(lx, &arg);
      if (!rc) rc = add_kid(n, arg);
      if (!rc) rc = expect(lx, TK_RPAREN, "after the function's argument");
      if (rc) {
        peil_node_free(n);
        return rc;
      }
      break;
    }
    if (!(n = new_node(N_COL, t->pos)) || !(n->str = strdup(t->str))) {
      free(n);
      return peil_error(PEIL_ENOMEM, "out of memory");
    }
    break;
  case TK_LPAREN: {
    int rc = parse_or(lx, &n);
    if (!rc) rc = expect(lx, TK_RPAREN, "to close '('");
    if (rc) {
      peil_node_free(n);
      return rc;
    }
    break;
  }
  default:
    lx->at--;
    return peil_syntax_error(lx, t->pos, "expected a value, found %s", peil_tok_name(t->kind));
  }
  *out = n;
  return PEIL_OK;
}

static int parse_power(lexer *lx, node **out) {
  node *l = NULL, *r = NULL;
  int rc = parse_primary(lx, &l);
  if (rc) return rc;
  if (peek(lx)->kind == TK_CARET) { /* right-associative, binds tighter than unary - on its left */
    size_t pos = next(lx)->pos;
    rc = parse_unary(lx, &r);
    if (rc) {
      peil_node_free(l);
      return rc;
    }
    return binary(N_POW, pos, l, r, out);
  }
  *out = l;
  return PEIL_OK;
}

static int parse_unary(lexer *lx, node **out) {
  if (peek(lx)->kind == TK_MINUS || peek(lx)->kind == TK_PLUS) {
    const token *t = next(lx);
    node *kid = NULL;
    int rc = parse_unary(lx, &kid);
    if (rc) return rc;
    if (t->kind == TK_PLUS) {
      *out = kid;
      return PEIL_OK;
    }
    return unary(N_NEG, t->pos, kid, out);
  }
  return parse_power(lx, out);
}

/* Left-associative chains: prod := unary (('*'|'/') unary)*, and so on. */
typedef int (*parse_fn)(lexer *, node **);

static int chain(lexer *lx, node **out, parse_fn sub, const tok_kind *ops, const node_kind *kinds,
                 size_t nops) {
  node *l = NULL;
  int rc = sub(lx, &l);
  while (!rc) {
    size_t k = 0;
    while (k < nops && peek(lx)->kind != ops[k]) k++;
    if (k == nops) break;
    size_t pos = next(lx)->pos;
    node *r = NULL;
    if ((rc = sub(lx, &r))) break;
    rc = binary(kinds[k], pos, l, r, &l);
    if (rc) l = NULL;
  }
  if (rc) {
    peil_node_free(l);
    return rc;
  }
  *out = l;
  return PEIL_OK;
}

static int parse_prod(lexer *lx, node **out) {
  static const tok_kind ops[] = {TK_STAR, TK_SLASH};
  static const node_kind kinds[] = {N_MUL, N_DIV};
  return chain(lx, out, parse_unary, ops, kinds, 2);
}

static int parse_sum(lexer *lx, node **out) {
  static const tok_kind ops[] = {TK_PLUS, TK_MINUS};
  static const node_kind kinds[] = {N_ADD, N_SUB};
  return chain(lx, out, parse_prod, ops, kinds, 2);
}

/* x in (a, b, c): the list's items become kids 1..n. */
static int parse_in(lexer *lx, node *lhs, size_t pos, node **out) {
  node *n = new_node(N_IN, pos);
  if (!n) {
    peil_node_free(lhs);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  int rc = add_kid(n, lhs);
  if (!rc) rc = expect(lx, TK_LPAREN, "after 'in'");
  while (!rc) {
    node *item = NULL;
    if ((rc = parse_sum(lx, &item))) break;
    if ((rc = add_kid(n, item))) break;
    if (peek(lx)->kind == TK_COMMA) {
      lx->at++;
      continue;
    }
    rc = expect(lx, TK_RPAREN, "to close the list after 'in'");
    break;
  }
  if (rc) {
    peil_node_free(n);
    return rc;
  }
  *out = n;
  return PEIL_OK;
}

static int parse_cmp(lexer *lx, node **out) {
  static const tok_kind ops[] = {TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE};
  static const node_kind kinds[] = {N_EQ, N_NE, N_LT, N_LE, N_GT, N_GE};
  node *l = NULL;
  int rc = parse_sum(lx, &l);
  if (rc) return rc;
  const token *t = peek(lx);
  for (size_t k = 0; k < 6; k++)
    if (t->kind == ops[k]) {
      size_t pos = next(lx)->pos;
      node *r = NULL;
      if ((rc = parse_sum(lx, &r))) {
        peil_node_free(l);
        return rc;
      }
      return binary(kinds[k], pos, l, r, out);
    }
  if (t->kind == TK_IN) return parse_in(lx, l, next(lx)->pos, out);
  if (t->kind == TK_IS) {
    size_t pos = next(lx)->pos;
    int negated = peek(lx)->kind == TK_NOTKW || peek(lx)->kind == TK_NOT;
    if (negated) lx->at++;
    if ((rc = expect(lx, TK_MISSING, negated ? "after 'is not'" : "after 'is'"))) {
      peil_node_free(l);
      return rc;
    }
    return unary(negated ? N_NOTNA : N_ISNA, pos, l, out);
  }
  *out = l;
  return PEIL_OK;
}

static int parse_not(lexer *lx, node **out) {
  if (peek(lx)->kind == TK_NOT || peek(lx)->kind == TK_NOTKW) {
    size_t pos = next(lx)->pos;
    node *kid = NULL;
    int rc = parse_not(lx, &kid);
    if (rc) return rc;
    return unary(N_NOT, pos, kid, out);
  }
  return parse_cmp(lx, out);
}

static int parse_and(lexer *lx, node **out) {
  static const tok_kind ops[] = {TK_AND};
  static const node_kind kinds[] = {N_AND};
  return chain(lx, out, parse_not, ops, kinds, 1);
}

static int parse_or(lexer *lx, node **out) {
  static const tok_kind ops[] = {TK_OR};
  static const node_kind kinds[] = {N_OR};
  return chain(lx, out, parse_and, ops, kinds, 1);
}

int peil_parse_expr(lexer *lx, node **out) { return parse_or(lx, out); }

int peil_collect_columns(struct peil_expr *e, node *n) {
  if (n->kind == N_COL) {
    size_t i = 0;
    while (i < e->ncols && strcmp(e->cols[i], n->str) != 0) i++;
    if (i == e->ncols) {
      char **v = realloc(e->cols, (e->ncols + 1) * sizeof *v);
      if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
      e->cols = v;
      if (!(e->cols[e->ncols] = strdup(n->str))) return peil_error(PEIL_ENOMEM, "out of memory");
      e->ncols++;
    }
    n->col = (int)i;
  }
  for (size_t k = 0; k < n->nkids; k++) {
    int rc = peil_collect_columns(e, n->kids[k]);
    if (rc) return rc;
  }
  return PEIL_OK;
}

int peil_expr_parse(const char *text, const char *what, peil_expr **out) {
  *out = NULL;
  if (!what) what = "expression";
  lexer lx;
  int rc = peil_lex(&lx, text ? text : "", what);
  if (rc) return rc;
  peil_expr *e = calloc(1, sizeof *e);
  if (!e || !(e->text = strdup(text)) || !(e->what = strdup(what))) {
    if (e) free(e->text);
    free(e);
    peil_lex_free(&lx);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  rc = peil_parse_expr(&lx, &e->root);
  if (!rc && peek(&lx)->kind != TK_END)
    rc = peil_syntax_error(&lx, peek(&lx)->pos, "unexpected %s after a complete expression",
                           peil_tok_name(peek(&lx)->kind));
  if (!rc) rc = peil_collect_columns(e, e->root);
  peil_lex_free(&lx);
  if (rc) {
    peil_expr_free(e);
    return rc;
  }
  *out = e;
  return PEIL_OK;
}

void peil_expr_free(peil_expr *e) {
  if (!e) return;
  peil_node_free(e->root);
  for (size_t i = 0; i < e->ncols; i++) free(e->cols[i]);
  free(e->cols);
  free(e->text);
  free(e->what);
  free(e);
}

size_t peil_expr_columns(const peil_expr *e, const char *const **names) {
  *names = (const char *const *)e->cols;
  return e->ncols;
}

const char *peil_expr_text(const peil_expr *e) { return e->text; }
