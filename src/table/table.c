/* Result tables: columns, rows, cells and notes in memory. Cells are held
 * per column (one array of values and one of flags), grown by doubling,
 * so appending costs amortised O(1) per cell. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peil/spec.h" /* peil_spec_split_list */
#include "table_internal.h"

static int valid_table_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 100) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-')) return 0;
  return 1;
}

int peil_rtable_new(const char *name, const char *title, peil_rtable **out) {
  *out = NULL;
  if (!name || !valid_table_name(name))
    return peil_error(PEIL_EINVAL,
                      "result table name '%s': use 1 to 100 of a-z, 0-9, '_' and '-' "
                      "(it becomes the names of its files)",
                      name ? name : "(null)");
  peil_rtable *t = calloc(1, sizeof *t);
  if (!t) return peil_error(PEIL_ENOMEM, "out of memory");
  t->name = strdup(name);
  t->title = strdup(title ? title : "");
  if (!t->name || !t->title) {
    peil_rtable_free(t);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  *out = t;
  return PEIL_OK;
}

static void free_col(rtable_col *c, size_t nrows) {
  if (c->def.type == PEIL_RTABLE_TEXT && c->v.s)
    for (size_t r = 0; r < nrows; r++) free(c->v.s[r]);
  free(c->v.i); /* the union's pointer, whatever its type */
  free(c->flags);
  free(c->name), free(c->count), free(c->denominator), free(c->n), free(c->n_cols);
}

void peil_rtable_free(peil_rtable *t) {
  if (!t) return;
  for (size_t j = 0; j < t->ncols; j++) free_col(&t->cols[j], t->nrows);
  free(t->cols);
  for (size_t k = 0; k < t->nnotes; k++) free(t->notes[k]);
  free(t->notes);
  free(t->name), free(t->title);
  free(t);
}

/* ---- Columns. */

static const char *role_name(peil_rtable_role r) {
  static const char *names[] = {"key", "count", "share", "estimate", "n", "other"};
  return (unsigned)r < 6 ? names[r] : "?";
}

static int valid_column_name(const char *s) {
  if (!*s || !strcmp(s, "suppressed")) return 0;
  for (; *s; s++)
    if (*s == ',' || *s == ';' || (unsigned char)*s < 0x20 || *s == 0x7f) return 0;
  return 1;
}

int peil_rtable_column_index(const peil_rtable *t, const char *name) {
  for (size_t j = 0; j < t->ncols; j++)
    if (!strcmp(t->cols[j].name, name)) return (int)j;
  return -1;
}

/* A column that a share or an estimate refers to: declared earlier, and a
 * count or n column. */
static int find_ref(const peil_rtable *t, const char *col, const char *what, const char *ref,
                    int *idx) {
  int k = peil_rtable_column_index(t, ref);
  if (k < 0)
    return peil_error(PEIL_ENOTFOUND,
                      "table %s, column %s: its %s column %s does not exist (declare it first)",
                      t->name, col, what, ref);
  peil_rtable_role r = t->cols[k].def.role;
  if (r != PEIL_ROLE_COUNT && r != PEIL_ROLE_N)
    return peil_error(PEIL_EINVAL, "table %s, column %s: its %s column %s is a %s column, not a count or n",
                      t->name, col, what, ref, role_name(r));
  *idx = k;
  return PEIL_OK;
}

/* Checks the definition against its role; fills the references. */
static int check_def(const peil_rtable *t, const peil_rtable_column *d, rtable_col *c) {
  const char *nm = d->name;
  if ((unsigned)d->type > PEIL_RTABLE_REAL)
    return peil_error(PEIL_EINVAL, "table %s, column %s: unknown type %d", t->name, nm, (int)d->type);
  if (d->decimals < 0 || d->decimals > 15)
    return peil_error(PEIL_EINVAL, "table %s, column %s: decimals must be 0 to 15 (got %d)", t->name,
                      nm, d->decimals);
  switch (d->role) {
  case PEIL_ROLE_KEY:
    if (d->type == PEIL_RTABLE_REAL)
      return peil_error(PEIL_ETYPE, "table %s, column %s: a key column is text or integer", t->name, nm);
    return PEIL_OK;
  case PEIL_ROLE_COUNT:
  case PEIL_ROLE_N:
    if (d->type != PEIL_RTABLE_INTEGER)
      return peil_error(PEIL_ETYPE, "table %s, column %s: a %s column is integer (a number of persons)",
                        t->name, nm, role_name(d->role));
    return PEIL_OK;
  case PEIL_ROLE_SHARE: {
    if (d->type != PEIL_RTABLE_REAL)
      return peil_error(PEIL_ETYPE, "table %s, column %s: a share column is real", t->name, nm);
    if (!d->count || !d->denominator)
      return peil_error(PEIL_EINVAL, "table %s, column %s: a share names its count and denominator columns",
                        t->name, nm);
    if (!(d->scale > 0) || !isfinite(d->scale))
      return peil_error(PEIL_EINVAL,
                        "table %s, column %s: a share's scale must be positive (100 for a percentage, "
                        "1 for a proportion)",
                        t->name, nm);
    int rc = find_ref(t, nm, "count", d->count, &c->count_col);
    if (!rc) rc = find_ref(t, nm, "denominator", d->denominator, &c->denom_col);
    return rc;
  }
  case PEIL_ROLE_ESTIMATE: {
    if (d->type == PEIL_RTABLE_TEXT)
      return peil_error(PEIL_ETYPE, "table %s, column %s: an estimate column is numeric", t->name, nm);
    if (!d->n || !*d->n)
      return peil_error(PEIL_EINVAL,
                        "table %s, column %s: an estimate names the n columns it rests on", t->name, nm);
    char what[160], **refs;
    size_t nref;
    snprintf(what, sizeof what, "table %s, column %s: n columns", t->name, nm);
    int rc = peil_spec_split_list(d->n, what, &refs, &nref);
    if (rc) return rc;
    if (!(c->n_cols = malloc(nref * sizeof *c->n_cols))) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t k = 0; !rc && k < nref; k++) rc = find_ref(t, nm, "n", refs[k], &c->n_cols[c->nn++]);
    peil_spec_list_free(refs);
    if (rc) return rc;
    return PEIL_OK;
  }
  case PEIL_ROLE_OTHER: return PEIL_OK;
  default:
    return peil_error(PEIL_EINVAL, "table %s, column %s: unknown role %d", t->name, nm, (int)d->role);
  }
}

static char *dup_or_null(const char *s, int *fail) {
  if (!s) return NULL;
  char *d = strdup(s);
  if (!d) *fail = 1;
  return d;
}

int peil_rtable_add_column(peil_rtable *t, const peil_rtable_column *def) {
  const char *nm = def->name ? def->name : "";
  if (t->control.state != PEIL_RTABLE_UNCONTROLLED)
    return peil_error(PEIL_EINVAL, "table %s: disclosure control was applied; the table can no longer change",
                      t->name);
  if (t->nrows)
    return peil_error(PEIL_EINVAL, "table %s, column %s: columns are added before the first row", t->name, nm);
  if (!valid_column_name(nm))
    return peil_error(PEIL_EINVAL,
                      "table %s: column name '%s': non-empty, no ',' ';' or control characters, "
                      "not 'suppressed'",
                      t->name, nm);
  if (peil_rtable_column_index(t, nm) >= 0)
    return peil_error(PEIL_EINVAL, "table %s: column %s declared twice", t->name, nm);
  rtable_col c = {0};
  c.count_col = c.denom_col = -1;
  int rc = check_def(t, def, &c);
  if (rc) {
    free(c.n_cols);
    return rc;
  }
  rtable_col *cols = realloc(t->cols, (t->ncols + 1) * sizeof *cols);
  if (!cols) {
    free(c.n_cols);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  t->cols = cols;
  int fail = 0;
  c.def = *def;
  c.name = dup_or_null(nm, &fail);
  c.count = dup_or_null(def->role == PEIL_ROLE_SHARE ? def->count : NULL, &fail);
  c.denominator = dup_or_null(def->role == PEIL_ROLE_SHARE ? def->denominator : NULL, &fail);
  c.n = dup_or_null(def->role == PEIL_ROLE_ESTIMATE ? def->n : NULL, &fail);
  c.def.name = c.name, c.def.count = c.count, c.def.denominator = c.denominator, c.def.n = c.n;
  if (def->role != PEIL_ROLE_SHARE) c.def.scale = 0;
  if (def->role != PEIL_ROLE_N) c.def.rounded = 0;
  if (fail) {
    free_col(&c, 0);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  t->cols[t->ncols++] = c;
  return PEIL_OK;
}

int peil_rtable_add_key(peil_rtable *t, const char *name, peil_rtable_type type) {
  peil_rtable_column d = {.name = name, .type = type, .role = PEIL_ROLE_KEY};
  return peil_rtable_add_column(t, &d);
}

int peil_rtable_add_count(peil_rtable *t, const char *name) {
  peil_rtable_column d = {.name = name, .type = PEIL_RTABLE_INTEGER, .role = PEIL_ROLE_COUNT};
  return peil_rtable_add_column(t, &d);
}

int peil_rtable_add_share(peil_rtable *t, const char *name, const char *count,
                          const char *denominator, double scale, int decimals) {
  peil_rtable_column d = {.name = name, .type = PEIL_RTABLE_REAL, .role = PEIL_ROLE_SHARE,
                          .decimals = decimals, .count = count, .denominator = denominator,
                          .scale = scale};
  return peil_rtable_add_column(t, &d);
}

int peil_rtable_add_estimate(peil_rtable *t, const char *name, const char *n, int decimals) {
  peil_rtable_column d = {.name = name, .type = PEIL_RTABLE_REAL, .role = PEIL_ROLE_ESTIMATE,
                          .decimals = decimals, .n = n};
  return peil_rtable_add_column(t, &d);
}

int peil_rtable_add_n(peil_rtable *t, const char *name, int rounded) {
  peil_rtable_column d = {.name = name, .type = PEIL_RTABLE_INTEGER, .role = PEIL_ROLE_N,
                          .rounded = rounded};
  return peil_rtable_add_column(t, &d);
}

int peil_rtable_add_other(peil_rtable *t, const char *name, peil_rtable_type type, int decimals) {
  peil_rtable_column d = {.name = name, .type = type, .role = PEIL_ROLE_OTHER, .decimals = decimals};
  return peil_rtable_add_column(t, &d);
}

/* ---- Rows and cells. */

static int grow(peil_rtable *t) {
  size_t cap = t->cap ? 2 * t->cap : 16;
  for (size_t j = 0; j < t->ncols; j++) {
    rtable_col *c = &t->cols[j];
    size_t sz = c->def.type == PEIL_RTABLE_TEXT ? sizeof(char *)
                : c->def.type == PEIL_RTABLE_REAL ? sizeof(double)
                                                   : sizeof(int64_t);
    void *v = realloc(c->v.i, cap * sz);
    if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
    c->v.i = v;
    uint8_t *f = realloc(c->flags, cap);
    if (!f) return peil_error(PEIL_ENOMEM, "out of memory");
    c->flags = f;
  }
  t->cap = cap;
  return PEIL_OK;
}

static int check_changeable(const peil_rtable *t) {
  if (t->control.state != PEIL_RTABLE_UNCONTROLLED)
    return peil_error(PEIL_EINVAL, "table %s: disclosure control was applied; the table can no longer change",
                      t->name);
  return PEIL_OK;
}

int peil_rtable_add_row(peil_rtable *t, size_t *row) {
  int rc = check_changeable(t);
  if (rc) return rc;
  if (!t->ncols) return peil_error(PEIL_EINVAL, "table %s: add columns before rows", t->name);
  if (t->nrows == t->cap && (rc = grow(t))) return rc;
  size_t r = t->nrows++;
  for (size_t j = 0; j < t->ncols; j++) {
    rtable_col *c = &t->cols[j];
    c->flags[r] = PEIL_CELL_NA;
    if (c->def.type == PEIL_RTABLE_TEXT) c->v.s[r] = NULL;
    else if (c->def.type == PEIL_RTABLE_REAL) c->v.x[r] = NAN;
    else c->v.i[r] = PEIL_NA_INT64;
  }
  if (row) *row = r;
  return PEIL_OK;
}

static int check_cell(const peil_rtable *t, size_t row, size_t col) {
  int rc = check_changeable(t);
  if (rc) return rc;
  if (col >= t->ncols)
    return peil_error(PEIL_EINVAL, "table %s: no column %zu (it has %zu)", t->name, col, t->ncols);
  if (row >= t->nrows)
    return peil_error(PEIL_EINVAL, "table %s: no row %zu (it has %zu)", t->name, row, t->nrows);
  return PEIL_OK;
}

static int wrong_type(const peil_rtable *t, size_t row, size_t col, const char *what) {
  const rtable_col *c = &t->cols[col];
  static const char *tn[] = {"text", "integer", "real"};
  return peil_error(PEIL_ETYPE, "table %s, column %s, row %zu: %s value, but the column is %s", t->name,
                    c->name, row + 1, what, tn[c->def.type]);
}

static void clear_text(rtable_col *c, size_t row) {
  if (c->def.type == PEIL_RTABLE_TEXT) {
    free(c->v.s[row]);
    c->v.s[row] = NULL;
  }
}

int peil_rtable_set_na(peil_rtable *t, size_t row, size_t col) {
  int rc = check_cell(t, row, col);
  if (rc) return rc;
  rtable_col *c = &t->cols[col];
  clear_text(c, row);
  if (c->def.type == PEIL_RTABLE_REAL) c->v.x[row] = NAN;
  else if (c->def.type == PEIL_RTABLE_INTEGER) c->v.i[row] = PEIL_NA_INT64;
  c->flags[row] = PEIL_CELL_NA;
  return PEIL_OK;
}

int peil_rtable_set_text(peil_rtable *t, size_t row, size_t col, const char *value) {
  int rc = check_cell(t, row, col);
  if (rc) return rc;
  rtable_col *c = &t->cols[col];
  if (c->def.type != PEIL_RTABLE_TEXT) return wrong_type(t, row, col, "a text");
  if (!value) return peil_rtable_set_na(t, row, col);
  char *s = strdup(value);
  if (!s) return peil_error(PEIL_ENOMEM, "out of memory");
  clear_text(c, row);
  c->v.s[row] = s;
  c->flags[row] = 0;
  return PEIL_OK;
}

int peil_rtable_set_int(peil_rtable *t, size_t row, size_t col, int64_t value) {
  int rc = check_cell(t, row, col);
  if (rc) return rc;
  rtable_col *c = &t->cols[col];
  if (c->def.type == PEIL_RTABLE_TEXT) return wrong_type(t, row, col, "an integer");
  if (c->def.type == PEIL_RTABLE_REAL) return peil_rtable_set_real(t, row, col, (double)value);
  if (value == PEIL_NA_INT64) return peil_rtable_set_na(t, row, col);
  c->v.i[row] = value;
  c->flags[row] = 0;
  return PEIL_OK;
}

int peil_rtable_set_real(peil_rtable *t, size_t row, size_t col, double value) {
  int rc = check_cell(t, row, col);
  if (rc) return rc;
  rtable_col *c = &t->cols[col];
  if (c->def.type != PEIL_RTABLE_REAL) return wrong_type(t, row, col, "a real");
  if (isnan(value)) return peil_rtable_set_na(t, row, col);
  c->v.x[row] = value;
  c->flags[row] = 0;
  return PEIL_OK;
}

/* Whether value v fits column j (the types set_* accept). */
static int value_fits(const peil_rtable *t, size_t j, const peil_rtable_value *v) {
  peil_rtable_type ty = t->cols[j].def.type;
  switch (v->kind) {
  case PEIL_VALUE_NA: return 1;
  case PEIL_VALUE_TEXT: return ty == PEIL_RTABLE_TEXT;
  case PEIL_VALUE_INTEGER: return ty != PEIL_RTABLE_TEXT;
  case PEIL_VALUE_REAL: return ty == PEIL_RTABLE_REAL;
  default: return 0;
  }
}

int peil_rtable_append(peil_rtable *t, const peil_rtable_value *values, size_t n) {
  int rc = check_changeable(t);
  if (rc) return rc;
  if (n != t->ncols)
    return peil_error(PEIL_EINVAL, "table %s: a row of %zu values for %zu columns", t->name, n, t->ncols);
  static const char *what[] = {"a missing", "a text", "an integer", "a real"};
  for (size_t j = 0; j < n; j++)
    if (!value_fits(t, j, &values[j]))
      return wrong_type(t, t->nrows, j, (unsigned)values[j].kind < 4 ? what[values[j].kind] : "an unknown");
  size_t r;
  if ((rc = peil_rtable_add_row(t, &r))) return rc;
  for (size_t j = 0; j < n && !rc; j++) {
    const peil_rtable_value *v = &values[j];
    switch (v->kind) {
    case PEIL_VALUE_TEXT: rc = peil_rtable_set_text(t, r, j, v->text); break;
    case PEIL_VALUE_INTEGER: rc = peil_rtable_set_int(t, r, j, v->integer); break;
    case PEIL_VALUE_REAL: rc = peil_rtable_set_real(t, r, j, v->real); break;
    default: break;
    }
  }
  if (rc) { /* out of memory: take the row back */
    for (size_t j = 0; j < n; j++) clear_text(&t->cols[j], r);
    t->nrows--;
  }
  return rc;
}

int peil_rtable_add_note(peil_rtable *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = peil_strings_vaddf(&t->notes, &t->nnotes, fmt, ap);
  va_end(ap);
  return rc;
}

/* ---- Reading. */

const char *peil_rtable_name(const peil_rtable *t) { return t->name; }
const char *peil_rtable_title(const peil_rtable *t) { return t->title; }
size_t peil_rtable_nrows(const peil_rtable *t) { return t->nrows; }
size_t peil_rtable_ncols(const peil_rtable *t) { return t->ncols; }
size_t peil_rtable_nnotes(const peil_rtable *t) { return t->nnotes; }
const char *peil_rtable_note(const peil_rtable *t, size_t i) { return i < t->nnotes ? t->notes[i] : NULL; }
const peil_rtable_control *peil_rtable_get_control(const peil_rtable *t) { return &t->control; }

const peil_rtable_column *peil_rtable_column_def(const peil_rtable *t, size_t col) {
  return col < t->ncols ? &t->cols[col].def : NULL;
}

static int in_range(const peil_rtable *t, size_t row, size_t col) { return row < t->nrows && col < t->ncols; }

unsigned peil_rtable_flags(const peil_rtable *t, size_t row, size_t col) {
  return in_range(t, row, col) ? t->cols[col].flags[row] : PEIL_CELL_NA;
}

const char *peil_rtable_text(const peil_rtable *t, size_t row, size_t col) {
  if (!in_range(t, row, col) || t->cols[col].def.type != PEIL_RTABLE_TEXT) return NULL;
  return t->cols[col].v.s[row];
}

int64_t peil_rtable_int(const peil_rtable *t, size_t row, size_t col) {
  if (!in_range(t, row, col) || t->cols[col].def.type != PEIL_RTABLE_INTEGER) return PEIL_NA_INT64;
  return t->cols[col].v.i[row];
}

double peil_rtable_real(const peil_rtable *t, size_t row, size_t col) {
  if (!in_range(t, row, col)) return NAN;
  const rtable_col *c = &t->cols[col];
  if (c->flags[row] & PEIL_CELL_NA) return NAN;
  if (c->def.type == PEIL_RTABLE_REAL) return c->v.x[row];
  if (c->def.type == PEIL_RTABLE_INTEGER) return (double)c->v.i[row];
  return NAN;
}

int peil_rtable_copy(const peil_rtable *t, peil_rtable **out) {
  *out = NULL;
  peil_rtable *c = NULL;
  int rc = peil_rtable_new(t->name, t->title, &c);
  for (size_t j = 0; !rc && j < t->ncols; j++) rc = peil_rtable_add_column(c, &t->cols[j].def);
  for (size_t r = 0; !rc && r < t->nrows; r++) {
    size_t row;
    rc = peil_rtable_add_row(c, &row);
    for (size_t j = 0; !rc && j < t->ncols; j++) {
      const rtable_col *s = &t->cols[j];
      if (s->flags[r] & PEIL_CELL_NA) continue; /* a new row's cells are missing */
      if (s->def.type == PEIL_RTABLE_TEXT) rc = peil_rtable_set_text(c, row, j, s->v.s[r]);
      else if (s->def.type == PEIL_RTABLE_INTEGER) rc = peil_rtable_set_int(c, row, j, s->v.i[r]);
      else rc = peil_rtable_set_real(c, row, j, s->v.x[r]);
    }
  }
  for (size_t k = 0; !rc && k < t->nnotes; k++) rc = peil_rtable_add_note(c, "%s", t->notes[k]);
  if (rc) peil_rtable_free(c);
  else *out = c;
  return rc;
}
