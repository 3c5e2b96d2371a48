/* An independent check of secondary suppression, written the slow and
 * obvious way: the additive groups found by comparing every pair of rows,
 * and the question "can a suppressed cell be computed from the published
 * cells?" answered by the rank of the groups' equations (Gaussian
 * elimination in doubles with pivoting: the coefficients are 0 and +-1
 * and the systems small). */
#ifndef PEIL_BRUTE_H
#define PEIL_BRUTE_H

#include "unit/table/rtable_fixture.h"

#define BRUTE_MAX_GROUPS 4096
#define BRUTE_MAX_CELLS 64

typedef struct {
  size_t n;                              /* cells; cell[0] is the total */
  size_t row[BRUTE_MAX_CELLS], col[BRUTE_MAX_CELLS];
} brute_group;

typedef struct {
  size_t n;
  brute_group *g;
} brute_groups;

static inline int brute_key_equal(const peil_rtable *t, size_t a, size_t b, size_t col) {
  if (peil_rtable_column_def(t, col)->type == PEIL_RTABLE_TEXT)
    return !strcmp(peil_rtable_text(t, a, col), peil_rtable_text(t, b, col));
  return peil_rtable_int(t, a, col) == peil_rtable_int(t, b, col);
}

/* The groups of dimensions dims (key column names, total "Total") and of
 * column sums (total column, part columns by index). */
static inline void brute_build(const peil_rtable *t, const char *const *dims, size_t ndims, const int *sum_total,
                               const int *const *sum_parts, const size_t *sum_nparts, size_t nsums,
                               brute_groups *out) {
  out->n = 0;
  out->g = calloc(BRUTE_MAX_GROUPS, sizeof *out->g);
  assert_non_null(out->g);
  size_t nr = peil_rtable_nrows(t), nc = peil_rtable_ncols(t);
  for (size_t d = 0; d < ndims; d++) {
    size_t dc = (size_t)peil_rtable_column_index(t, dims[d]);
    for (size_t r = 0; r < nr; r++) {
      if (strcmp(peil_rtable_text(t, r, dc), "Total")) continue;
      for (size_t j = 0; j < nc; j++) {
        if (peil_rtable_column_def(t, j)->role != PEIL_ROLE_COUNT) continue;
        brute_group *g = &out->g[out->n];
        g->n = 0;
        g->row[g->n] = r, g->col[g->n++] = j;
        for (size_t r2 = 0; r2 < nr; r2++) {
          if (r2 == r) continue;
          int same = 1;
          for (size_t k = 0; k < nc && same; k++)
            if (k != dc && peil_rtable_column_def(t, k)->role == PEIL_ROLE_KEY) same = brute_key_equal(t, r, r2, k);
          if (same) {
            assert_true(g->n < BRUTE_MAX_CELLS);
            g->row[g->n] = r2, g->col[g->n++] = j;
          }
        }
        if (g->n > 1) out->n++;
        assert_true(out->n < BRUTE_MAX_GROUPS);
      }
    }
  }
  for (size_t s = 0; s < nsums; s++)
    for (size_t r = 0; r < nr; r++) {
      brute_group *g = &out->g[out->n++];
      assert_true(out->n < BRUTE_MAX_GROUPS);
      g->n = 0;
      g->row[g->n] = r, g->col[g->n++] = (size_t)sum_total[s];
      for (size_t k = 0; k < sum_nparts[s]; k++) g->row[g->n] = r, g->col[g->n++] = (size_t)sum_parts[s][k];
    }
}

static inline int brute_supp(const peil_rtable *t, size_t r, size_t c) {
  return (peil_rtable_flags(t, r, c) & PEIL_CELL_SUPPRESSED) != 0;
}

/* No group has exactly one suppressed cell: no cell follows from a single
 * group by subtraction. Returns the first bad group's index or -1. */
static inline int brute_single_group_violation(const peil_rtable *t, const brute_groups *b) {
  for (size_t k = 0; k < b->n; k++) {
    size_t s = 0;
    for (size_t i = 0; i < b->g[k].n; i++) s += brute_supp(t, b->g[k].row[i], b->g[k].col[i]);
    if (s == 1) return (int)k;
  }
  return -1;
}

/* The rank of an m x n matrix (row-major, destroyed). */
static inline size_t brute_rank(double *a, size_t m, size_t n) {
  size_t r = 0;
  for (size_t c = 0; c < n && r < m; c++) {
    size_t p = r;
    for (size_t i = r + 1; i < m; i++)
      if (fabs(a[i * n + c]) > fabs(a[p * n + c])) p = i;
    if (fabs(a[p * n + c]) < 1e-9) continue;
    for (size_t j = 0; j < n; j++) {
      double x = a[p * n + j];
      a[p * n + j] = a[r * n + j], a[r * n + j] = x;
    }
    for (size_t i = r + 1; i < m; i++) {
      double f = a[i * n + c] / a[r * n + c];
      for (size_t j = c; j < n; j++) a[i * n + j] -= f * a[r * n + j];
    }
    r++;
  }
  return r;
}

/* The first suppressed cell (as row * ncols + col) that all groups
 * together determine, or -1 when none is: unknown e is determined when
 * adding the equation x_e = . does not raise the rank. */
static inline long brute_determined(const peil_rtable *t, const brute_groups *b) {
  size_t nc = peil_rtable_ncols(t), nr = peil_rtable_nrows(t);
  long *idx = malloc(nr * nc * sizeof *idx);
  size_t *cell = malloc(nr * nc * sizeof *cell), u = 0;
  assert_non_null(idx);
  assert_non_null(cell);
  for (size_t c = 0; c < nr * nc; c++) {
    idx[c] = -1;
    if (brute_supp(t, c / nc, c % nc)) idx[c] = (long)u, cell[u++] = c;
  }
  long found = -1;
  size_t m = b->n;
  double *a = calloc((m + 1) * (u ? u : 1), sizeof *a), *w = malloc((m + 1) * (u ? u : 1) * sizeof *w);
  assert_non_null(a);
  assert_non_null(w);
  for (size_t k = 0; k < m; k++)
    for (size_t i = 0; i < b->g[k].n; i++) {
      long x = idx[b->g[k].row[i] * nc + b->g[k].col[i]];
      if (x >= 0) a[k * u + (size_t)x] = i == 0 ? -1 : 1;
    }
  memcpy(w, a, m * u * sizeof *w);
  size_t rank = brute_rank(w, m, u);
  for (size_t e = 0; e < u && found < 0; e++) {
    memcpy(w, a, m * u * sizeof *w);
    memset(w + m * u, 0, u * sizeof *w);
    w[m * u + e] = 1;
    if (brute_rank(w, m + 1, u) == rank) found = (long)cell[e];
  }
  free(idx), free(cell), free(a), free(w);
  return found;
}

static inline void brute_free(brute_groups *b) { free(b->g); }

#endif
