/* Expressions over a table, block by block (peil_expr_scan in peil/expr.h). */
#include <stdlib.h>
#include <string.h>

#include "peil/expr.h"

struct peil_expr_scan {
  peil_scan *scan;
  peil_table_info *info;
  peil_expr *const *exprs;
  size_t n;
  char **cols;       /* the distinct columns the expressions use */
  size_t ncols;
  double **values;   /* per expression, a block's values */
  size_t cap;        /* rows the buffers hold */
};

/* The slot of column `name` in sc->cols, added if new; -1 when out of memory. */
static int column_slot(peil_expr_scan *sc, const char *name) {
  for (size_t j = 0; j < sc->ncols; j++)
    if (strcmp(sc->cols[j], name) == 0) return (int)j;
  char **c = realloc(sc->cols, (sc->ncols + 1) * sizeof *c);
  if (!c) return -1;
  sc->cols = c;
  if (!(c[sc->ncols] = strdup(name))) return -1;
  return (int)sc->ncols++;
}

static int bind_all(peil_expr_scan *sc, const char *table) {
  for (size_t k = 0; k < sc->n; k++) {
    const char *const *names;
    size_t m = peil_expr_columns(sc->exprs[k], &names);
    const peil_column_info **ci = malloc((m ? m : 1) * sizeof *ci);
    size_t *slot = malloc((m ? m : 1) * sizeof *slot);
    int rc = ci && slot ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < m; i++) {
      int c = peil_table_info_find(sc->info, names[i]);
      if (c < 0) {
        rc = peil_error(PEIL_ENOTFOUND, "'%s': unknown column '%s' in table '%s'",
                        peil_expr_text(sc->exprs[k]), names[i], table);
        break;
      }
      int j = column_slot(sc, names[i]);
      if (j < 0) rc = peil_error(PEIL_ENOMEM, "out of memory");
      ci[i] = &sc->info->cols[c];
      slot[i] = (size_t)j;
    }
    if (!rc) rc = peil_expr_bind(sc->exprs[k], ci, slot);
    free(ci), free(slot);
    if (rc) return rc;
  }
  return PEIL_OK;
}

int peil_expr_scan_open(peil_store *s, const char *table, peil_expr *const *exprs, size_t n,
                        int threads, peil_expr_scan **out) {
  *out = NULL;
  peil_expr_scan *sc = calloc(1, sizeof *sc);
  if (!sc) return peil_error(PEIL_ENOMEM, "out of memory");
  sc->exprs = exprs, sc->n = n;
  int rc = peil_store_table_info(s, table, &sc->info);
  if (!rc) rc = bind_all(sc, table);
  if (!rc && !(sc->values = calloc(n ? n : 1, sizeof *sc->values))) rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) rc = peil_scan_open(s, table, (const char *const *)sc->cols, sc->ncols, 0, &sc->scan);
  if (rc) {
    peil_expr_scan_close(sc);
    return rc;
  }
  peil_scan_set_threads(sc->scan, threads);
  *out = sc;
  return PEIL_OK;
}

int peil_expr_scan_next(peil_expr_scan *sc, int64_t *start, size_t *nrows, const double *const **values) {
  peil_block blk;
  int rc = peil_scan_next(sc->scan, &blk);
  if (rc != 1) return rc;
  if (blk.nrows > sc->cap) {
    for (size_t k = 0; k < sc->n; k++) {
      free(sc->values[k]);
      if (!(sc->values[k] = malloc(blk.nrows * sizeof *sc->values[k]))) {
        sc->cap = 0;
        return peil_error(PEIL_ENOMEM, "out of memory");
      }
    }
    sc->cap = blk.nrows;
  }
  for (size_t k = 0; k < sc->n; k++)
    if ((rc = peil_expr_eval(sc->exprs[k], &blk, sc->values[k]))) return rc;
  *start = blk.start;
  *nrows = blk.nrows;
  *values = (const double *const *)sc->values;
  return 1;
}

void peil_expr_scan_close(peil_expr_scan *sc) {
  if (!sc) return;
  peil_scan_close(sc->scan);
  peil_table_info_free(sc->info);
  for (size_t j = 0; j < sc->ncols; j++) free(sc->cols[j]);
  free(sc->cols);
  for (size_t k = 0; sc->values && k < sc->n; k++) free(sc->values[k]);
  free(sc->values);
  free(sc);
}
