/* The audit log of disclosure control (disclosure_audit.csv), and the
 * list of actions apply collects before it knows the table is done. */
#define _GNU_SOURCE /* vasprintf */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disclosure_internal.h"

struct peil_disclosure_audit {
  peil_disclosure_action *e;
  size_t n, cap;
};

int peil_disclosure_audit_new(peil_disclosure_audit **out) {
  *out = calloc(1, sizeof **out);
  return *out ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
}

static void action_free(peil_disclosure_action *a) {
  free((char *)a->table), free((char *)a->row), free((char *)a->column), free((char *)a->rule);
}

void peil_disclosure_audit_free(peil_disclosure_audit *a) {
  if (!a) return;
  for (size_t k = 0; k < a->n; k++) action_free(&a->e[k]);
  free(a->e);
  free(a);
}

size_t peil_disclosure_audit_size(const peil_disclosure_audit *a) { return a->n; }

const peil_disclosure_action *peil_disclosure_audit_get(const peil_disclosure_audit *a, size_t i) {
  return i < a->n ? &a->e[i] : NULL;
}

int peil_disclosure_audit_add(peil_disclosure_audit *a, const char *table, const char *row,
                              const char *column, const char *rule) {
  if (a->n == a->cap) {
    size_t cap = a->cap ? 2 * a->cap : 64;
    peil_disclosure_action *e = realloc(a->e, cap * sizeof *e);
    if (!e) return peil_error(PEIL_ENOMEM, "out of memory");
    a->e = e, a->cap = cap;
  }
  peil_disclosure_action x = {strdup(table ? table : ""), strdup(row ? row : ""),
                              strdup(column ? column : ""), strdup(rule ? rule : "")};
  if (!x.table || !x.row || !x.column || !x.rule) {
    action_free(&x);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  a->e[a->n++] = x;
  return PEIL_OK;
}

int peil_disclosure_audit_write(const peil_disclosure_audit *a, FILE *f) {
  fputs("table,row,column,rule\n", f);
  for (size_t k = 0; k < a->n; k++) {
    const peil_disclosure_action *x = &a->e[k];
    rtable_csv_field(f, x->table);
    fputc(',', f);
    rtable_csv_field(f, x->row);
    fputc(',', f);
    rtable_csv_field(f, x->column);
    fputc(',', f);
    rtable_csv_field(f, x->rule);
    fputc('\n', f);
  }
  if (ferror(f)) return peil_error(PEIL_EIO, "writing the disclosure audit: %s", strerror(errno));
  return PEIL_OK;
}

int peil_disclosure_audit_save(const peil_disclosure_audit *a, const char *path) {
  peil_atomic_file *af;
  int rc = peil_atomic_open(path, &af);
  if (rc) return rc;
  FILE *f = peil_atomic_stream(af);
  if (!f) rc = peil_error(PEIL_EIO, "%s: cannot open for writing", path);
  else if ((rc = peil_disclosure_audit_write(a, f))) peil_error_prefix(rc, "%s: ", path);
  if (rc) {
    peil_atomic_abort(af);
    return rc;
  }
  return peil_atomic_commit(af);
}

/* ---- The actions of one apply. */

int dlog_add(dlog *l, size_t row, size_t col, const char *fmt, ...) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 32;
    dlog_entry *e = realloc(l->e, cap * sizeof *e);
    if (!e) return peil_error(PEIL_ENOMEM, "out of memory");
    l->e = e, l->cap = cap;
  }
  va_list ap;
  va_start(ap, fmt);
  char *rule;
  int n = vasprintf(&rule, fmt, ap);
  va_end(ap);
  if (n < 0) return peil_error(PEIL_ENOMEM, "out of memory");
  l->e[l->n++] = (dlog_entry){row, col, rule};
  return PEIL_OK;
}

void dlog_free(dlog *l) {
  for (size_t k = 0; k < l->n; k++) free(l->e[k].rule);
  free(l->e);
  l->e = NULL;
  l->n = l->cap = 0;
}
