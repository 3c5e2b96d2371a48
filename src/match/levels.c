/* The distinct values of a column and each unit's code among them: the
 * levels of a factor and the strata of --exact and exact matching.
 *
 * Register columns that define levels or strata (municipality, year,
 * binned age) have a handful of distinct values in ten million rows, so
 * the values are looked up in a small sorted table as they come, and the
 * rows are never sorted: 10M units take some 0.1 s instead of the 2-3 s
 * of a sort. A column with many distinct values (a person's income as
 * exact-matching variable) falls back to sorting a copy. */
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"

/* A table of up to this many values stays in the L1/L2 cache. */
#define FEW_VALUES 4096

/* Index of the first element of sorted v[0..n) that is >= x. */
static size_t lower_bound(const double *v, size_t n, double x) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* The distinct values if there are at most FEW_VALUES of them, else 0. */
static size_t few_values(const double *x, size_t n, double *lev) {
  size_t nd = 0;
  for (size_t i = 0; i < n; i++) {
    if (i && x[i] == x[i - 1]) continue; /* runs are common: sorted or grouped data */
    size_t p = lower_bound(lev, nd, x[i]);
    if (p < nd && lev[p] == x[i]) continue;
    if (nd == FEW_VALUES) return 0;
    memmove(lev + p + 1, lev + p, (nd - p) * sizeof *lev);
    lev[p] = x[i];
    nd++;
  }
  return nd;
}

int match_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int match_distinct(const double *x, size_t n, double **levels, size_t *nlevels, int32_t *code) {
  *levels = NULL;
  *nlevels = 0;
  if (n > (size_t)INT32_MAX) return peil_error(PEIL_EINVAL, "%zu units: more than codes of 32 bits hold", n);
  double *lev = malloc(FEW_VALUES * sizeof *lev);
  if (!lev) return peil_error(PEIL_ENOMEM, "out of memory");
  size_t nd = few_values(x, n, lev);
  if (nd == 0 && n > 0) { /* many values: sort a copy */
    free(lev);
    if (!(lev = peil_alloc_large(n, sizeof *lev))) return peil_error(PEIL_ENOMEM, "out of memory");
    memcpy(lev, x, n * sizeof *lev);
    qsort(lev, n, sizeof *lev, match_cmp_double);
    for (size_t i = 0; i < n; i++)
      if (nd == 0 || lev[i] != lev[nd - 1]) lev[nd++] = lev[i];
    double *shrunk = realloc(lev, nd * sizeof *lev);
    if (shrunk) lev = shrunk;
  }
  for (size_t i = 0; i < n; i++)
    code[i] = i && x[i] == x[i - 1] ? code[i - 1] : (int32_t)lower_bound(lev, nd, x[i]);
  *levels = lev;
  *nlevels = nd;
  return PEIL_OK;
}

/* The (stratum, code) pairs present, numbered in sorted order, through a
 * table of all ns x nd pairs: linear time where it is small. */
static void refine_dense(int64_t *id, const int32_t *c, size_t n, size_t nd, int64_t *table,
                         size_t cells, size_t *nstrata) {
  memset(table, 0, cells * sizeof *table);
  for (size_t i = 0; i < n; i++) table[(size_t)id[i] * nd + (size_t)c[i]] = 1;
  int64_t next = 0;
  for (size_t k = 0; k < cells; k++) table[k] = table[k] ? next++ : -1;
  for (size_t i = 0; i < n; i++) id[i] = table[(size_t)id[i] * nd + (size_t)c[i]];
  *nstrata = (size_t)next;
}

typedef struct {
  int64_t a;
  int32_t b;
  size_t i;
} pair_key;

static int cmp_pair_key(const void *x, const void *y) {
  const pair_key *p = x, *q = y;
  if (p->a != q->a) return p->a < q->a ? -1 : 1;
  if (p->b != q->b) return p->b < q->b ? -1 : 1;
  return (p->i > q->i) - (p->i < q->i);
}

/* The same numbering by sorting the pairs, when the table would be large. */
static int refine_sorted(int64_t *id, const int32_t *c, size_t n, size_t *nstrata) {
  pair_key *k = peil_alloc_large(n, sizeof *k);
  if (!k) return PEIL_ENOMEM;
  for (size_t i = 0; i < n; i++) k[i] = (pair_key){id[i], c[i], i};
  qsort(k, n, sizeof *k, cmp_pair_key);
  int64_t next = -1;
  for (size_t r = 0; r < n; r++) {
    if (r == 0 || k[r].a != k[r - 1].a || k[r].b != k[r - 1].b) next++;
    id[k[r].i] = next;
  }
  *nstrata = (size_t)(next + 1);
  free(k);
  return PEIL_OK;
}

int match_strata_refine(int64_t *id, const double *code, size_t n, size_t *nstrata) {
  int32_t *c = peil_alloc_large(n, sizeof *c);
  double *lev = NULL;
  size_t nd = 0, ns = *nstrata;
  if (!c) return peil_error(PEIL_ENOMEM, "out of memory (strata of %zu units)", n);
  int rc = match_distinct(code, n, &lev, &nd, c);
  free(lev);
  if (!rc && n) {
    /* A table no larger than the units (or 1M cells) costs no more memory
     * than the codes. */
    size_t limit = n > ((size_t)1 << 20) ? n : ((size_t)1 << 20);
    int64_t *table = ns <= limit / nd ? peil_alloc_large(ns * nd, sizeof *table) : NULL;
    if (table) refine_dense(id, c, n, nd, table, ns * nd, nstrata);
    else rc = refine_sorted(id, c, n, nstrata);
    free(table);
    if (rc) rc = peil_error(PEIL_ENOMEM, "out of memory (strata of %zu units)", n);
  }
  free(c);
  return rc;
}
