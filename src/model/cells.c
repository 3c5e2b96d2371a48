/* Cross products of indicator columns by cells (cells.h). */
#include <cblas.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cells.h"

void cells_plan_free(cell_plan *cp) {
  if (!cp) return;
  for (size_t u = 0; u < cp->nv && cp->pos; u++) free(cp->pos[u]);
  free(cp->pos);
  free(cp->perm);
  free(cp->dense_pos);
  free(cp->var);
  free(cp->nlev);
  free(cp->stride);
  free(cp);
}

int cells_plan_build(const model_frame *fr, const design *d, cell_plan **out) {
  *out = NULL;
  if (d->ndummies == 0) return PEIL_OK;
  cell_plan *cp = calloc(1, sizeof *cp);
  if (!cp) return peil_error(PEIL_ENOMEM, "out of memory");
  size_t p = d->p;
  cp->p = p;
  cp->perm = malloc(p * sizeof *cp->perm);
  cp->dense_pos = malloc(p * sizeof *cp->dense_pos);
  cp->var = malloc(d->ndummies * sizeof *cp->var);
  cp->nlev = malloc(d->ndummies * sizeof *cp->nlev);
  cp->stride = malloc(d->ndummies * sizeof *cp->stride);
  cp->pos = calloc(d->ndummies, sizeof *cp->pos);
  unsigned char *in_cells = calloc(p, 1);
  int rc = PEIL_OK;
  if (!cp->perm || !cp->dense_pos || !cp->var || !cp->nlev || !cp->stride || !cp->pos || !in_cells)
    rc = PEIL_ENOMEM;
  /* Cell variables: the variables of indicator runs, in design order, as
   * long as the cells stay within CELLS_MAX (a variable has one run: its
   * term alone). */
  size_t ncells = 1;
  for (size_t r = 0; !rc && r < d->ndummies; r++) {
    const design_dummies *run = &d->dummies[r];
    size_t nl = fr->vars[run->var].nlevels;
    if (nl < 2 || ncells * nl > CELLS_MAX) continue;
    size_t u = cp->nv++;
    cp->var[u] = run->var;
    cp->nlev[u] = nl;
    cp->stride[u] = ncells;
    ncells *= nl;
    if (!(cp->pos[u] = malloc(nl * sizeof *cp->pos[u]))) {
      rc = PEIL_ENOMEM;
      break;
    }
    for (size_t l = 0; l < nl; l++) cp->pos[u][l] = -1;
    for (int k = 0; k < run->count; k++) in_cells[run->j0 + (size_t)k] = 1;
  }
  if (!rc && cp->nv == 0) {
    free(in_cells);
    cells_plan_free(cp);
    return PEIL_OK;
  }
  if (!rc) {
    cp->ncells = ncells;
    /* The intercept is in every cell: its cross products are sums over
     * cells too (one column less for dsyrk). */
    size_t icpt = SIZE_MAX;
    for (size_t j = 0; j < p && icpt == SIZE_MAX; j++)
      if (d->cols[j].nparts == 0) icpt = j;
    if (icpt != SIZE_MAX) in_cells[icpt] = 1;
    size_t k = 0;
    for (size_t j = 0; j < p; j++) {
      cp->dense_pos[j] = in_cells[j] ? SIZE_MAX : k;
      if (!in_cells[j]) cp->perm[k++] = j;
    }
    cp->d = k;
    cp->icpt = -1;
    if (icpt != SIZE_MAX) cp->icpt = (int32_t)k, cp->perm[k++] = icpt;
    for (size_t u = 0; u < cp->nv; u++)
      for (size_t r = 0; r < d->ndummies; r++) {
        const design_dummies *run = &d->dummies[r];
        if (run->var != cp->var[u]) continue;
        for (int c = 0; c < run->count; c++) {
          cp->pos[u][run->first + c] = (int32_t)k;
          cp->perm[k++] = run->j0 + (size_t)c;
        }
        break;
      }
    cp->width = cp->d + 2;
  }
  free(in_cells);
  if (rc) {
    cells_plan_free(cp);
    return peil_error(rc, "out of memory");
  }
  *out = cp;
  return PEIL_OK;
}

int cells_fill(const cell_plan *cp, const design *d, const model_frame *fr, int64_t start,
               size_t n, block_ws *ws, int32_t *cell) {
  int rc = design_fill_some(d, fr, start, n, cp->dense_pos, ws);
  if (rc) return rc;
  memset(cell, 0, n * sizeof *cell);
  int bad = 0;
  for (size_t u = 0; u < cp->nv; u++) {
    const int32_t *codes = ws->codes + (size_t)cp->var[u] * ws->cap;
    const int32_t nl = (int32_t)cp->nlev[u], st = (int32_t)cp->stride[u];
    for (size_t i = 0; i < n; i++) {
      bad |= codes[i] < 0 || codes[i] >= nl;
      cell[i] += codes[i] * st;
    }
  }
  /* Every used row has a level of every variable (the levels are those of
   * the used rows). */
  if (bad) return peil_error(PEIL_EINTERNAL, "a row without a level in a block of X");
  return PEIL_OK;
}

void cells_coef(const cell_plan *cp, const double *beta, double *beta_dense, double *cell_eff) {
  for (size_t k = 0; k < cp->d; k++) beta_dense[k] = beta[cp->perm[k]];
  const double b0 = cp->icpt >= 0 ? beta[cp->perm[cp->icpt]] : 0;
  for (size_t c = 0; c < cp->ncells; c++) {
    double e = b0;
    for (size_t u = 0; u < cp->nv; u++) {
      int32_t at = cp->pos[u][c / cp->stride[u] % cp->nlev[u]];
      if (at >= 0) e += beta[cp->perm[at]];
    }
    cell_eff[c] = e;
  }
}

void cells_eta(const cell_plan *cp, const double *X, size_t n, const int32_t *cell,
               const double *off, const double *beta_dense, const double *cell_eff, double *eta) {
  for (size_t i = 0; i < n; i++) eta[i] = (off ? off[i] : 0) + cell_eff[cell[i]];
  if (cp->d > 0)
    cblas_dgemv(CblasColMajor, CblasNoTrans, (int)n, (int)cp->d, 1.0, X, (int)n, beta_dense, 1,
                1.0, eta, 1);
}

void cells_accumulate(const cell_plan *cp, double *acc, const int32_t *cell, const double *Xs,
                      const double *s, const double *z, size_t n) {
  const size_t w = cp->width, d = cp->d;
  /* Row by row: a row's sums lie together (column by column, each row's
   * cell was visited d + 2 times, twice as slow). Each sum still takes
   * the rows in order. */
  for (size_t i = 0; i < n; i++) {
    double *a = acc + (size_t)cell[i] * w, si = s[i];
    for (size_t k = 0; k < d; k++) a[k] += si * Xs[i + k * n];
    if (z) a[d] += si * z[i];
    a[d + 1] += si * si;
  }
}

void cells_flush(const cell_plan *cp, const double *acc, double *A, double *b) {
  const size_t w = cp->width, d = cp->d, p = cp->p, nv = cp->nv;
  /* Every variable has two levels or more: at most log2(CELLS_MAX) of them,
   * and the intercept. */
  int32_t pos[64];
  for (size_t c = 0; c < cp->ncells; c++) {
    const double *a = acc + c * w;
    const double wsum = a[d + 1];
    /* A cell no row (or only rows of weight 0) fell into adds nothing. */
    if (wsum == 0) continue;
    size_t m = 0;
    if (cp->icpt >= 0) pos[m++] = cp->icpt;
    for (size_t u = 0; u < nv; u++) {
      int32_t j = cp->pos[u][c / cp->stride[u] % cp->nlev[u]];
      if (j >= 0) pos[m++] = j;
    }
    /* Positions ascend with the variable (runs in design order). */
    for (size_t r = 0; r < m; r++) {
      double *Aj = A + (size_t)pos[r] * p;
      for (size_t k = 0; k < d; k++) Aj[k] += a[k];
      if (b) b[pos[r]] += a[d];
      for (size_t s = 0; s <= r; s++) Aj[pos[s]] += wsum;
    }
  }
}

int cells_unpermute(const cell_plan *cp, double *A, double *b) {
  const size_t p = cp->p;
  double *T = malloc(p * p * sizeof *T), *t = malloc(p * sizeof *t);
  if (!T || !t) {
    free(T), free(t);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  memcpy(T, A, p * p * sizeof *T);
  for (size_t bb = 0; bb < p; bb++)
    for (size_t a = 0; a <= bb; a++) {
      size_t i = cp->perm[a], j = cp->perm[bb];
      if (i > j) {
        size_t x = i;
        i = j, j = x;
      }
      A[i + j * p] = T[a + bb * p];
    }
  if (b) {
    memcpy(t, b, p * sizeof *t);
    for (size_t a = 0; a < p; a++) b[cp->perm[a]] = t[a];
  }
  free(T), free(t);
  return PEIL_OK;
}

int cells_ws_alloc(cells_ws *w, cell_plan *cp, int nt) {
  w->cp = cp;
  w->nt = nt;
  w->beta_dense = malloc((cp->d ? cp->d : 1) * sizeof *w->beta_dense);
  w->cell_eff = malloc(cp->ncells * sizeof *w->cell_eff);
  w->acc = calloc((size_t)nt, sizeof *w->acc);
  w->cell = calloc((size_t)nt, sizeof *w->cell);
  if (!w->beta_dense || !w->cell_eff || !w->acc || !w->cell)
    return peil_error(PEIL_ENOMEM, "out of memory");
  for (int t = 0; t < nt; t++) {
    w->acc[t] = malloc(cp->ncells * cp->width * sizeof *w->acc[t]);
    w->cell[t] = malloc(MODEL_BLOCK_ROWS * sizeof *w->cell[t]);
    if (!w->acc[t] || !w->cell[t]) return peil_error(PEIL_ENOMEM, "out of memory");
  }
  return PEIL_OK;
}

void cells_ws_free(cells_ws *w) {
  for (int t = 0; w->acc && t < w->nt; t++) free(w->acc[t]);
  for (int t = 0; w->cell && t < w->nt; t++) free(w->cell[t]);
  free(w->acc);
  free(w->cell);
  free(w->beta_dense);
  free(w->cell_eff);
  cells_plan_free(w->cp);
  memset(w, 0, sizeof *w);
}
