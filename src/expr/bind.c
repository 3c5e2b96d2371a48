/* Binding an expression to columns: static types, labels and date strings
 * resolved to numbers, and messages that say what to write instead. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "expr_internal.h"

static const char *vt_name(value_type t) {
  switch (t) {
  case VT_NUM: return "a number";
  case VT_COND: return "a condition";
  case VT_CAT: return "categorical";
  case VT_DATE: return "a date";
  default: return "a string";
  }
}

static int type_error(const peil_expr *e, const node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int type_error(const peil_expr *e, const node *n, const char *fmt, ...) {
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return peil_error(PEIL_ETYPE, "in %s '%s' at position %zu: %s", e->what, e->text, n->pos + 1,
                    what);
}

static double fn_log(double x) { return log(x); }
static double fn_log2(double x) { return log2(x); }
static double fn_log10(double x) { return log10(x); }
static double fn_log1p(double x) { return log1p(x); }
static double fn_exp(double x) { return exp(x); }
static double fn_sqrt(double x) { return sqrt(x); }
static double fn_abs(double x) { return fabs(x); }
static double fn_identity(double x) { return x; }

static const struct {
  const char *name;
  peil_fn fn;
} functions[] = {{"log", fn_log},   {"log2", fn_log2}, {"log10", fn_log10}, {"log1p", fn_log1p},
                 {"exp", fn_exp},   {"sqrt", fn_sqrt}, {"abs", fn_abs},     {"I", fn_identity}};

/* Resolves a string constant against a categorical or date operand. */
static int resolve_string(const peil_expr *e, node *s, const node *other) {
  if (other->vt == VT_CAT) {
    const peil_column_info *ci = other->info;
    for (size_t k = 0; k < ci->nlevels; k++)
      if (strcmp(ci->levels[k], s->str) == 0) {
        s->num = (double)k;
        s->vt = VT_NUM;
        return PEIL_OK;
      }
    char levels[1024] = "";
    size_t used = 0;
    for (size_t k = 0; k < ci->nlevels && used < sizeof levels - 40; k++)
      used += (size_t)snprintf(levels + used, sizeof levels - used, "%s\"%s\"", k ? ", " : "",
                               ci->levels[k]);
    return peil_error(PEIL_ENOTFOUND,
                      "in %s '%s' at position %zu: unknown level \"%s\" of column '%s' (levels: %s)",
                      e->what, e->text, s->pos + 1, s->str, ci->name, levels);
  }
  if (other->vt == VT_DATE) {
    int32_t d;
    if (peil_date_parse(s->str, strlen(s->str), &d) != 0)
      return type_error(e, s, "\"%s\" is not a date (write YYYY-MM-DD or DD-MM-YYYY)", s->str);
    s->num = d;
    s->vt = VT_NUM;
    return PEIL_OK;
  }
  return type_error(e, s, "the string \"%s\" can only be compared with a categorical or date column",
                    s->str);
}

static int is_numeric(value_type t) { return t == VT_NUM || t == VT_COND; }

static int bind_node(const peil_expr *e, node *n, const peil_column_info *const *cols,
                     const size_t *slot) {
  for (size_t k = 0; k < n->nkids; k++) {
    int rc = bind_node(e, n->kids[k], cols, slot);
    if (rc) return rc;
  }
  node *a = n->nkids > 0 ? n->kids[0] : NULL, *b = n->nkids > 1 ? n->kids[1] : NULL;
  switch (n->kind) {
  case N_NUM: n->vt = VT_NUM; return PEIL_OK;
  case N_STR: n->vt = VT_STR; return PEIL_OK;
  case N_COL:
    n->info = cols[n->col];
    n->slot = slot[n->col];
    n->vt = n->info->type == PEIL_ENUM ? VT_CAT
            : n->info->type == PEIL_DATE ? VT_DATE
            : n->info->type == PEIL_BOOL ? VT_COND
                                         : VT_NUM;
    return PEIL_OK;
  case N_NEG:
    if (!is_numeric(a->vt)) return type_error(e, n, "cannot negate %s", vt_name(a->vt));
    n->vt = VT_NUM;
    return PEIL_OK;
  case N_ADD:
  case N_SUB:
    /* Dates: date - date is a number of days; date +/- days is a date; a
     * string beside a date is a date. */
    if (a->vt == VT_DATE && b->vt == VT_STR) {
      int rc = resolve_string(e, b, a);
      if (rc) return rc;
      b->vt = VT_DATE;
    } else if (b->vt == VT_DATE && a->vt == VT_STR) {
      int rc = resolve_string(e, a, b);
      if (rc) return rc;
      a->vt = VT_DATE;
    }
    if (a->vt == VT_DATE && b->vt == VT_DATE && n->kind == N_SUB) {
      n->vt = VT_NUM;
      return PEIL_OK;
    }
    if ((a->vt == VT_DATE && is_numeric(b->vt)) || (n->kind == N_ADD && b->vt == VT_DATE && is_numeric(a->vt))) {
      n->vt = VT_DATE;
      return PEIL_OK;
    }
    /* fall through */
  case N_MUL:
  case N_DIV:
  case N_POW:
    if (!is_numeric(a->vt) || !is_numeric(b->vt))
      return type_error(e, n, "arithmetic needs numbers, not %s and %s", vt_name(a->vt), vt_name(b->vt));
    n->vt = VT_NUM;
    return PEIL_OK;
  case N_CALL:
    for (size_t k = 0; k < sizeof functions / sizeof *functions; k++)
      if (strcmp(n->str, functions[k].name) == 0) n->fn = functions[k].fn;
    if (!n->fn) {
      if (strcmp(n->str, "factor") == 0)
        return type_error(e, n, "factor() belongs in a formula's terms, not in %s", e->what);
      return type_error(e, n, "unknown function '%s' (known: log, log2, log10, log1p, exp, sqrt, abs, I)",
                        n->str);
    }
    if (!is_numeric(a->vt)) return type_error(e, n, "%s() needs a number, not %s", n->str, vt_name(a->vt));
    n->vt = VT_NUM;
    return PEIL_OK;
  case N_EQ:
  case N_NE:
  case N_LT:
  case N_LE:
  case N_GT:
  case N_GE: {
    int rc = PEIL_OK;
    if (a->vt == VT_STR && b->vt == VT_STR)
      return type_error(e, n, "comparing two strings");
    if (b->vt == VT_STR) rc = resolve_string(e, b, a);
    else if (a->vt == VT_STR) rc = resolve_string(e, a, b);
    if (rc) return rc;
    value_type ta = a->vt == VT_NUM && a->kind == N_STR ? b->vt : a->vt;
    value_type tb = b->vt == VT_NUM && b->kind == N_STR ? a->vt : b->vt;
    if (ta == VT_CAT || tb == VT_CAT) {
      if (n->kind != N_EQ && n->kind != N_NE)
        return type_error(e, n, "categories have no order: use == or != or 'in (...)'");
      if (ta != tb)
        return type_error(e, n, "comparing categorical with %s; compare with a label in quotes",
                          vt_name(ta == VT_CAT ? tb : ta));
      if (a->kind == N_COL && b->kind == N_COL && a->info->nlevels != b->info->nlevels)
        return type_error(e, n, "columns '%s' and '%s' have different levels", a->info->name, b->info->name);
    } else if ((ta == VT_DATE) != (tb == VT_DATE)) {
      return type_error(e, n, "comparing a date with %s; write the date in quotes: \"2018-01-01\"",
                        vt_name(ta == VT_DATE ? tb : ta));
    }
    n->vt = VT_COND;
    return PEIL_OK;
  }
  case N_IN:
    for (size_t k = 1; k < n->nkids; k++) {
      node *item = n->kids[k];
      if (item->kind == N_STR) {
        int rc = resolve_string(e, item, a);
        if (rc) return rc;
      } else if (item->kind == N_NEG && item->kids[0]->kind == N_NUM) {
        item->num = -item->kids[0]->num;
      } else if (item->kind != N_NUM) {
        return type_error(e, item, "the list after 'in' holds constants only");
      }
      if (a->vt == VT_CAT && item->kind != N_STR)
        return type_error(e, item, "list items for categorical column '%s' are labels in quotes",
                          a->info ? a->info->name : "?");
      if (a->vt == VT_DATE && item->kind != N_STR)
        return type_error(e, item, "list items for a date are dates in quotes");
    }
    n->vt = VT_COND;
    return PEIL_OK;
  case N_ISNA:
  case N_NOTNA:
    if (a->vt == VT_STR) return type_error(e, n, "'is missing' needs a column or expression");
    n->vt = VT_COND;
    return PEIL_OK;
  case N_AND:
  case N_OR:
    if (a->vt != VT_COND || b->vt != VT_COND)
      return type_error(e, n, "'%s' joins conditions (such as age >= 18), not %s",
                        n->kind == N_AND ? "&" : "|", vt_name(a->vt != VT_COND ? a->vt : b->vt));
    n->vt = VT_COND;
    return PEIL_OK;
  case N_NOT:
    if (a->vt != VT_COND) return type_error(e, n, "'!' negates a condition, not %s", vt_name(a->vt));
    n->vt = VT_COND;
    return PEIL_OK;
  }
  return PEIL_OK;
}

int peil_expr_bind(peil_expr *e, const peil_column_info *const *cols, const size_t *slot) {
  int rc = bind_node(e, e->root, cols, slot);
  if (!rc && e->root->vt == VT_STR)
    rc = peil_error(PEIL_ETYPE, "in %s '%s': a lone string is not a value", e->what, e->text);
  e->bound = rc == PEIL_OK;
  return rc;
}

int peil_expr_is_condition(const peil_expr *e) { return e->bound && e->root->vt == VT_COND; }
