/* A result table as one JSON object (jansson): rows as objects by column
 * name, suppressed and missing cells as null, the suppressed cells listed,
 * and the disclosure control the table went through. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "table_internal.h"

static const char *type_name(peil_rtable_type t) {
  return t == PEIL_RTABLE_TEXT ? "text" : t == PEIL_RTABLE_INTEGER ? "integer" : "real";
}

static const char *role_name(peil_rtable_role r) {
  static const char *names[] = {"key", "count", "share", "estimate", "n", "other"};
  return names[r];
}

/* jansson's setters fail only when out of memory; one flag collects it. */
static void put(json_t *obj, const char *key, json_t *v, int *fail) {
  if (!v || json_object_set_new(obj, key, v)) *fail = 1;
}

static void push(json_t *arr, json_t *v, int *fail) {
  if (!v || json_array_append_new(arr, v)) *fail = 1;
}

static json_t *column_json(const peil_rtable *t, size_t j, int *fail) {
  const rtable_col *c = &t->cols[j];
  json_t *o = json_object();
  if (!o) {
    *fail = 1;
    return NULL;
  }
  put(o, "name", json_string(c->name), fail);
  put(o, "type", json_string(type_name(c->def.type)), fail);
  put(o, "role", json_string(role_name(c->def.role)), fail);
  if (c->def.type == PEIL_RTABLE_REAL) put(o, "decimals", json_integer(c->def.decimals), fail);
  if (c->def.role == PEIL_ROLE_SHARE) {
    put(o, "count", json_string(c->count), fail);
    put(o, "denominator", json_string(c->denominator), fail);
    put(o, "scale", json_real(c->def.scale), fail);
  } else if (c->def.role == PEIL_ROLE_ESTIMATE) {
    json_t *n = json_array();
    put(o, "n", n, fail);
    for (size_t k = 0; n && k < c->nn; k++) push(n, json_string(t->cols[c->n_cols[k]].name), fail);
  } else if (c->def.role == PEIL_ROLE_N) {
    put(o, "rounded", json_boolean(c->def.rounded), fail);
  }
  return o;
}

static json_t *cell_json(const peil_rtable *t, size_t r, size_t j) {
  const rtable_col *c = &t->cols[j];
  if (c->flags[r] & (PEIL_CELL_NA | PEIL_CELL_SUPPRESSED)) return json_null();
  switch (c->def.type) {
  case PEIL_RTABLE_TEXT: return json_string(c->v.s[r]);
  case PEIL_RTABLE_INTEGER: return json_integer(c->v.i[r]);
  default: {
    if (!isfinite(c->v.x[r])) return json_null();
    int d = rtable_published_decimals(t, j);
    if (d < 0) return json_real(c->v.x[r]);
    char num[64]; /* the number as CSV and Markdown print it */
    rtable_format_number(t, r, j, d, num);
    return json_real(strtod(num, NULL));
  }
  }
}

static json_t *disclosure_json(const peil_rtable_control *k, int *fail) {
  if (k->state == PEIL_RTABLE_CONTROL_OFF) return json_string("off");
  json_t *o = json_object(), *s = json_object();
  if (!o || !s) {
    json_decref(o), json_decref(s);
    *fail = 1;
    return NULL;
  }
  put(o, "min_cell", json_integer(k->min_cell), fail);
  put(o, "rounding", k->rounding ? json_integer(k->rounding) : json_string("none"), fail);
  put(o, "zero_cells", json_string(k->zero_cells_small ? "small" : "safe"), fail);
  put(s, "primary", json_integer((json_int_t)k->n_primary), fail);
  put(s, "secondary", json_integer((json_int_t)k->n_secondary), fail);
  put(s, "estimate", json_integer((json_int_t)k->n_estimate), fail);
  put(s, "share", json_integer((json_int_t)k->n_share), fail);
  put(s, "linked", json_integer((json_int_t)k->n_linked), fail);
  put(o, "suppressed", s, fail);
  put(o, "rounded", json_integer((json_int_t)k->n_rounded), fail);
  return o;
}

static json_t *table_json(const peil_rtable *t, int *fail) {
  json_t *doc = json_object(), *notes = json_array(), *cols = json_array(), *rows = json_array(),
         *supp = json_array();
  put(doc, "peil_version", json_string(peil_version()), fail);
  put(doc, "name", json_string(t->name), fail);
  put(doc, "title", json_string(t->title), fail);
  put(doc, "notes", notes, fail);
  put(doc, "columns", cols, fail);
  put(doc, "rows", rows, fail);
  put(doc, "suppressed", supp, fail);
  if (*fail) return doc;
  for (size_t k = 0; k < t->nnotes; k++) push(notes, json_string(t->notes[k]), fail);
  for (size_t j = 0; j < t->ncols; j++) push(cols, column_json(t, j, fail), fail);
  for (size_t r = 0; r < t->nrows && !*fail; r++) {
    json_t *row = json_object();
    push(rows, row, fail);
    for (size_t j = 0; row && j < t->ncols; j++) {
      put(row, t->cols[j].name, cell_json(t, r, j), fail);
      if (t->cols[j].flags[r] & PEIL_CELL_SUPPRESSED)
        push(supp, json_pack("[Is]", (json_int_t)r, t->cols[j].name), fail);
    }
  }
  put(doc, "disclosure", disclosure_json(&t->control, fail), fail);
  return doc;
}

int peil_rtable_write_json(const peil_rtable *t, FILE *f) {
  int rc = rtable_check_writable(t);
  if (rc) return rc;
  int fail = 0;
  json_t *doc = table_json(t, &fail);
  if (!doc || fail) {
    json_decref(doc);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  rc = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
  json_decref(doc);
  if (rc || fputc('\n', f) == EOF || ferror(f))
    return peil_error(PEIL_EIO, "writing table %s as JSON failed", t->name);
  return PEIL_OK;
}
