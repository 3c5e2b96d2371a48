/* Model formulas: parsing R's formula syntax into variables and terms.
 *
 * A term is a set of variables (a bit set); the right-hand side evaluates to
 * a list of terms with R's operators: `+` appends, `-` removes, `:` takes
 * pairwise unions, `*` is a + b + a:b. Factors inside a term (names, calls
 * such as log(x) or I(x^2), factor(x)) are parsed with the expression
 * parser, so I(...) holds any arithmetic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_internal.h"

typedef struct {
  uint64_t *v;
  size_t n;
} term_list;

typedef struct {
  lexer *lx;
  peil_formula *f;
  int intercept; /* -1 removed, 0 untouched, 1 explicit */
} fparser;

static const token *peek(const fparser *p) { return &p->lx->toks[p->lx->at]; }

static int tl_add(term_list *l, uint64_t t) {
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i] == t) return PEIL_OK;
  uint64_t *v = realloc(l->v, (l->n + 1) * sizeof *v);
  if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
  l->v = v;
  l->v[l->n++] = t;
  return PEIL_OK;
}

static void tl_remove(term_list *l, uint64_t t) {
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i] == t) {
      memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof *l->v);
      l->n--;
      return;
    }
}

/* Registers a variable (deduplicated by label); returns its bit index. */
static int add_var(fparser *p, char *label, char *column, int is_factor, peil_expr *e, size_t pos) {
  peil_formula *f = p->f;
  for (size_t i = 0; i < f->nvars; i++)
    if (strcmp(f->vars[i].label, label) == 0) {
      free(label);
      free(column);
      peil_expr_free(e);
      return (int)i;
    }
  if (f->nvars == 64) {
    free(label);
    free(column);
    peil_expr_free(e);
    return peil_syntax_error(p->lx, pos, "more than 64 variables in one formula");
  }
  peil_formula_var *v = realloc(f->vars, (f->nvars + 1) * sizeof *v);
  if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
  f->vars = v;
  f->vars[f->nvars] = (peil_formula_var){label, column, is_factor, e};
  return (int)f->nvars++;
}

/* The text of tokens [from, to) as written, spaces as in the source. */
static char *source_text(const lexer *lx, size_t from, size_t to) {
  size_t a = lx->toks[from].pos, b = lx->toks[to - 1].pos + lx->toks[to - 1].len;
  return strndup(lx->text + a, b - a);
}

/* An expression built from the token span [from, to) of the formula. */
static int span_expr(const lexer *lx, size_t from, size_t to, peil_expr **out) {
  char *text = source_text(lx, from, to);
  if (!text) return peil_error(PEIL_ENOMEM, "out of memory");
  int rc = peil_expr_parse(text, "formula", out);
  free(text);
  return rc;
}

static int parse_sum(fparser *p, term_list *out);

/* factor := '(' sum ')' | 0 | 1 | factor(NAME) | offset(expr) | NAME | NAME(expr) */
static int parse_factor(fparser *p, term_list *out) {
  lexer *lx = p->lx;
  const token *t = peek(p);
  size_t from = lx->at;
  if (t->kind == TK_LPAREN) {
    lx->at++;
    int rc = parse_sum(p, out);
    if (!rc && peek(p)->kind != TK_RPAREN)
      rc = peil_syntax_error(lx, peek(p)->pos, "expected ')' in the formula, found %s",
                             peil_tok_name(peek(p)->kind));
    if (!rc) lx->at++;
    return rc;
  }
  if (t->kind == TK_NUM) {
    lx->at++;
    if (t->num == 0 || t->num == 1) {
      p->intercept = t->num == 1 ? 1 : -1;
      return PEIL_OK; /* adds no term */
    }
    return peil_syntax_error(lx, t->pos, "a number in a formula can only be 0 or 1 (the intercept)");
  }
  if (t->kind != TK_IDENT)
    return peil_syntax_error(lx, t->pos, "expected a variable, found %s", peil_tok_name(t->kind));
  lx->at++;
  if (peek(p)->kind != TK_LPAREN) { /* a plain column name */
    peil_expr *e = NULL;
    int rc = span_expr(lx, from, lx->at, &e);
    if (rc) return rc;
    int k = add_var(p, strdup(t->str), strdup(t->str), 0, e, t->pos);
    return k < 0 ? k : tl_add(out, (uint64_t)1 << k);
  }
  /* A call: find the matching ')' so the whole call is one factor. */
  size_t depth = 0, end = lx->at;
  for (; end < lx->ntok; end++) {
    if (lx->toks[end].kind == TK_LPAREN) depth++;
    if (lx->toks[end].kind == TK_RPAREN && --depth == 0) break;
    if (lx->toks[end].kind == TK_END) break;
  }
  if (end >= lx->ntok || lx->toks[end].kind != TK_RPAREN)
    return peil_syntax_error(lx, t->pos, "'%s(' is not closed", t->str);
  lx->at = end + 1;
  if (strcmp(t->str, "factor") == 0) {
    const token *arg = &lx->toks[from + 2];
    if (end != from + 3 || arg->kind != TK_IDENT)
      return peil_syntax_error(lx, arg->pos, "factor() takes one column name");
    peil_expr *e = NULL;
    int rc = span_expr(lx, from + 2, from + 3, &e);
    if (rc) return rc;
    int k = add_var(p, source_text(lx, from, end + 1), strdup(arg->str), 1, e, t->pos);
    return k < 0 ? k : tl_add(out, (uint64_t)1 << k);
  }
  if (strcmp(t->str, "offset") == 0) {
    peil_expr *e = NULL;
    int rc = span_expr(lx, from + 2, end, &e);
    if (rc) return rc;
    peil_formula *f = p->f;
    peil_expr **v = realloc(f->offsets, (f->noffsets + 1) * sizeof *v);
    if (!v) {
      peil_expr_free(e);
      return peil_error(PEIL_ENOMEM, "out of memory");
    }
    f->offsets = v;
    f->offsets[f->noffsets++] = e;
    return PEIL_OK;
  }
  peil_expr *e = NULL;
  int rc = span_expr(lx, from, end + 1, &e);
  if (rc) return rc;
  int k = add_var(p, source_text(lx, from, end + 1), NULL, 0, e, t->pos);
  return k < 0 ? k : tl_add(out, (uint64_t)1 << k);
}

/* colon := factor (':' factor)*: every pairwise union. */
static int parse_colon(fparser *p, term_list *out) {
  int rc = parse_factor(p, out);
  while (!rc && peek(p)->kind == TK_COLON) {
    p->lx->at++;
    term_list r = {0}, prod = {0};
    rc = parse_factor(p, &r);
    for (size_t i = 0; !rc && i < out->n; i++)
      for (size_t j = 0; !rc && j < r.n; j++) rc = tl_add(&prod, out->v[i] | r.v[j]);
    free(r.v);
    free(out->v);
    *out = prod;
  }
  return rc;
}

/* prod := colon ('*' colon)*: a*b = a + b + a:b. */
static int parse_prod(fparser *p, term_list *out) {
  int rc = parse_colon(p, out);
  while (!rc && peek(p)->kind == TK_STAR) {
    p->lx->at++;
    term_list r = {0}, all = {0};
    rc = parse_colon(p, &r);
    for (size_t i = 0; !rc && i < out->n; i++) rc = tl_add(&all, out->v[i]);
    for (size_t j = 0; !rc && j < r.n; j++) rc = tl_add(&all, r.v[j]);
    for (size_t i = 0; !rc && i < out->n; i++)
      for (size_t j = 0; !rc && j < r.n; j++) rc = tl_add(&all, out->v[i] | r.v[j]);
    free(r.v);
    free(out->v);
    *out = all;
  }
  if (!rc && peek(p)->kind == TK_CARET)
    rc = peil_syntax_error(p->lx, peek(p)->pos, "'^' in formulas is not supported; write the interactions out");
  return rc;
}

/* sum := ['-'] prod (('+'|'-') prod)* */
static int parse_sum(fparser *p, term_list *out) {
  int rc = PEIL_OK, sign = 1;
  if (peek(p)->kind == TK_MINUS) {
    p->lx->at++;
    sign = -1;
  }
  for (;;) {
    int before = p->intercept;
    term_list t = {0};
    rc = parse_prod(p, &t);
    if (rc) {
      free(t.v);
      return rc;
    }
    if (sign < 0) {
      /* "- 1" drops the intercept; "- 0" restores it. */
      if (p->intercept != before) p->intercept = p->intercept == 1 ? -1 : 1;
      for (size_t i = 0; i < t.n; i++) tl_remove(out, t.v[i]);
    } else {
      for (size_t i = 0; !rc && i < t.n; i++) rc = tl_add(out, t.v[i]);
    }
    free(t.v);
    if (rc) return rc;
    if (peek(p)->kind == TK_PLUS) sign = 1;
    else if (peek(p)->kind == TK_MINUS) sign = -1;
    else return PEIL_OK;
    p->lx->at++;
  }
}

static int popcount64(uint64_t x) { return __builtin_popcountll(x); }

int peil_formula_parse(const char *text, peil_formula **out) {
  *out = NULL;
  lexer lx;
  int rc = peil_lex(&lx, text ? text : "", "formula");
  if (rc) return rc;
  peil_formula *f = calloc(1, sizeof *f);
  if (!f || !(f->text = strdup(text))) {
    free(f);
    peil_lex_free(&lx);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  fparser p = {&lx, f, 0};
  /* Left side: everything before '~'. */
  size_t tilde = 0;
  while (tilde < lx.ntok && lx.toks[tilde].kind != TK_TILDE && lx.toks[tilde].kind != TK_END) tilde++;
  if (lx.toks[tilde].kind != TK_TILDE)
    rc = peil_syntax_error(&lx, strlen(text), "a formula needs '~' (y ~ x1 + x2)");
  if (!rc && tilde > 0) {
    f->response_label = source_text(&lx, 0, tilde);
    rc = span_expr(&lx, 0, tilde, &f->response);
  }
  term_list terms = {0};
  if (!rc) {
    lx.at = tilde + 1;
    if (peek(&p)->kind == TK_END)
      rc = peil_syntax_error(&lx, peek(&p)->pos, "nothing after '~' (write 1 for an intercept-only model)");
  }
  if (!rc) rc = parse_sum(&p, &terms);
  if (!rc && peek(&p)->kind != TK_END)
    rc = peil_syntax_error(&lx, peek(&p)->pos, "unexpected %s in the formula", peil_tok_name(peek(&p)->kind));
  if (!rc) {
    f->intercept = p.intercept >= 0;
    /* R's order: by the number of variables, stable within an order. */
    f->terms = malloc((terms.n ? terms.n : 1) * sizeof *f->terms);
    if (!f->terms) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (int order = 1; !rc && order <= 64; order++)
      for (size_t i = 0; i < terms.n; i++)
        if (popcount64(terms.v[i]) == order) f->terms[f->nterms++] = terms.v[i];
  }
  free(terms.v);
  peil_lex_free(&lx);
  if (rc) {
    peil_formula_free(f);
    return rc;
  }
  *out = f;
  return PEIL_OK;
}

void peil_formula_free(peil_formula *f) {
  if (!f) return;
  for (size_t i = 0; i < f->nvars; i++) {
    free(f->vars[i].label);
    free(f->vars[i].column);
    peil_expr_free(f->vars[i].expr);
  }
  for (size_t i = 0; i < f->noffsets; i++) peil_expr_free(f->offsets[i]);
  free(f->offsets);
  free(f->vars);
  free(f->terms);
  free(f->response_label);
  peil_expr_free(f->response);
  free(f->text);
  free(f);
}

int peil_formula_term_label(const peil_formula *f, size_t t, char *buf, size_t n) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < f->nvars; i++)
    if (f->terms[t] >> i & 1) {
      int w = snprintf(buf + used, n - used, "%s%s", used ? ":" : "", f->vars[i].label);
      if (w < 0 || (size_t)w >= n - used) return PEIL_EINVAL;
      used += (size_t)w;
    }
  return PEIL_OK;
}
