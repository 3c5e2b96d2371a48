/* Secondary suppression across groups. After the classic rule every group
 * has none or at least two suppressed cells, so no single group gives a
 * cell away; but groups that share suppressed cells can together: in a 2-D
 * table, a suppressed cell that is the only link between two blocks of
 * suppressions (a bridge) is the difference of the blocks' row and column
 * sums (docs/disclosure.md has the example). Here the groups are solved
 * as what they are, a linear system: the unknowns are the suppressed
 * cells, one equation per group (parts minus total is zero, published
 * cells on the right). A cell is determined exactly when its unit vector
 * lies in the row space of the system, i.e. when, in the reduced row
 * echelon form, its pivot row has no entry in a free column.
 *
 * The elimination is exact, modulo the prime 2^61 - 1: the coefficients
 * are 1 and -1, and a rank modulo p can differ from the rational rank only
 * when p divides a minor of the system. Where cells add up in at most two
 * directions (two dimensions, or one and column sums; layers apart) the
 * system is a 2-D table's, totally unimodular after a change of signs
 * (every minor is 0, 1 or -1), so there the answer is exact; elsewhere a
 * minor would have to reach 2^61. Each block of groups linked through suppressed
 * cells is solved on its own: O(groups x cells x rank) per block. */
#include <stdlib.h>
#include <string.h>

#include "disclosure_internal.h"

#define PRIME ((uint64_t)0x1FFFFFFFFFFFFFFFull) /* 2^61 - 1 */

static uint64_t mulmod(uint64_t a, uint64_t b) {
  unsigned __int128 x = (unsigned __int128)a * b;
  uint64_t r = (uint64_t)(x & PRIME) + (uint64_t)(x >> 61); /* 2^61 = 1 modulo p */
  if (r >= PRIME) r -= PRIME;
  if (r >= PRIME) r -= PRIME;
  return r;
}

static uint64_t submod(uint64_t a, uint64_t b) { return a >= b ? a - b : a + PRIME - b; }

static uint64_t invmod(uint64_t a) { /* a^(p-2), Fermat */
  uint64_t r = 1, e = PRIME - 2;
  for (; e; e >>= 1, a = mulmod(a, a))
    if (e & 1) r = mulmod(r, a);
  return r;
}

static size_t uf_find(size_t *parent, size_t x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

/* Reduced row echelon form of the m x u matrix a; pivot[i] is row i's
 * pivot column for i < *rank. */
static void rref(uint64_t *a, size_t m, size_t u, size_t *pivot, size_t *rank) {
  size_t r = 0;
  for (size_t col = 0; col < u && r < m; col++) {
    size_t i = r;
    while (i < m && !a[i * u + col]) i++;
    if (i == m) continue;
    if (i != r)
      for (size_t j = 0; j < u; j++) {
        uint64_t x = a[i * u + j];
        a[i * u + j] = a[r * u + j], a[r * u + j] = x;
      }
    uint64_t inv = invmod(a[r * u + col]);
    for (size_t j = col; j < u; j++) a[r * u + j] = mulmod(a[r * u + j], inv);
    for (size_t i2 = 0; i2 < m; i2++) {
      uint64_t f = a[i2 * u + col];
      if (i2 == r || !f) continue;
      for (size_t j = col; j < u; j++) a[i2 * u + j] = submod(a[i2 * u + j], mulmod(f, a[r * u + j]));
    }
    pivot[r++] = col;
  }
  *rank = r;
}

/* The cells of one block that its groups determine: det[k] = 1 for the
 * block's k-th unknown; loc maps a cell to its index in the block. */
static int solve_block(const peil_rtable *t, const disclosure_groups *g, const size_t *grp, size_t m,
                       size_t u, const size_t *loc, uint8_t *det) {
  uint64_t *a = calloc(m * u, sizeof *a);
  size_t *pivot = malloc((m < u ? m : u) * sizeof *pivot), rank;
  if (!a || !pivot) {
    free(a), free(pivot);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < m; i++)
    for (size_t q = g->start[grp[i]]; q < g->start[grp[i] + 1]; q++) {
      size_t c = g->cell[q];
      if (disclosure_is_suppressed(t, c)) a[i * u + loc[c]] = q == g->start[grp[i]] ? PRIME - 1 : 1;
    }
  rref(a, m, u, pivot, &rank);
  memset(det, 0, u);
  for (size_t i = 0; i < rank; i++) {
    int alone = 1;
    for (size_t j = pivot[i] + 1; j < u && alone; j++) alone = !a[i * u + j];
    det[pivot[i]] = (uint8_t)alone;
  }
  free(a), free(pivot);
  return PEIL_OK;
}

/* Lists items 0..n-1 by their block (key[i] in 0..nb-1), keeping their
 * order within a block: a counting sort. first has nb + 1 entries. */
static void by_block(const size_t *key, size_t n, size_t nb, size_t *first, size_t *out) {
  memset(first, 0, (nb + 1) * sizeof *first);
  for (size_t i = 0; i < n; i++) first[key[i] + 1]++;
  for (size_t b = 0; b < nb; b++) first[b + 1] += first[b];
  for (size_t i = 0; i < n; i++) out[first[key[i]]++] = i;
  for (size_t b = nb; b > 0; b--) first[b] = first[b - 1];
  first[0] = 0;
}

/* The cell to give up for determined cell e: a candidate of e's own
 * groups (the first that has one), else of the groups linked to them
 * through suppressed cells, nearest first (a breadth-first walk over the
 * block). DLOG_NONE only when every cell of the block is suppressed: the
 * equations then have nothing published on their right-hand side, so a
 * cell they determine is 0 by the structure alone, whatever is suppressed. */
static size_t partner(const peil_rtable *t, const disclosure_groups *g, size_t e, uint8_t *seen, size_t *queue) {
  size_t head = 0, tail = 0, c = DLOG_NONE;
  for (size_t q = g->cell_start[e]; q < g->cell_start[e + 1]; q++) {
    seen[g->by_cell[q]] = 1;
    queue[tail++] = g->by_cell[q];
  }
  while (head < tail && c == DLOG_NONE) {
    size_t k = queue[head++];
    c = disclosure_candidate(t, g, k);
    for (size_t i = g->start[k]; i < g->start[k + 1]; i++) {
      size_t x = g->cell[i];
      if (!disclosure_is_suppressed(t, x)) continue;
      for (size_t q = g->cell_start[x]; q < g->cell_start[x + 1]; q++)
        if (!seen[g->by_cell[q]]) seen[g->by_cell[q]] = 1, queue[tail++] = g->by_cell[q];
    }
  }
  for (size_t i = 0; i < tail; i++) seen[queue[i]] = 0;
  return c;
}

/* A determined cell e is protected by one more suppression, unless one of
 * its groups already changed in this round (the next round looks at it
 * again). */
static int protect_determined(peil_rtable *t, const disclosure_groups *g, size_t e, uint8_t *touched,
                              uint8_t *seen, size_t *queue, dlog *log, size_t *added) {
  for (size_t q = g->cell_start[e]; q < g->cell_start[e + 1]; q++)
    if (touched[g->by_cell[q]]) return PEIL_OK;
  size_t c = partner(t, g, e, seen, queue);
  if (c == DLOG_NONE) return PEIL_OK;
  int rc = disclosure_protect(t, c, e, " (across groups)", log);
  if (rc) return rc;
  (*added)++;
  for (size_t q = g->cell_start[c]; q < g->cell_start[c + 1]; q++) touched[g->by_cell[q]] = 1;
  for (size_t q = g->cell_start[e]; q < g->cell_start[e + 1]; q++) touched[g->by_cell[q]] = 1;
  return PEIL_OK;
}

int disclosure_linked(peil_rtable *t, const disclosure_groups *g, dlog *log, size_t *added) {
  *added = 0;
  if (g->ngroups < 2) return PEIL_OK;
  size_t nu = 0, ng = 0, n1 = g->ncells + 1, g1 = g->ngroups + 1;
  size_t *gidx = malloc(n1 * sizeof *gidx);  /* cell -> unknown */
  size_t *loc = malloc(n1 * sizeof *loc);    /* cell -> index in its block */
  size_t *unk = malloc(n1 * sizeof *unk), *parent = malloc(n1 * sizeof *parent);
  size_t *ublock = calloc(n1, sizeof *ublock), *uorder = malloc(n1 * sizeof *uorder);
  size_t *ufirst = malloc((n1 + 1) * sizeof *ufirst), *bu = malloc(n1 * sizeof *bu);
  size_t *grp = malloc(g1 * sizeof *grp), *gblock = calloc(g1, sizeof *gblock);
  size_t *gorder = malloc(g1 * sizeof *gorder), *gfirst = malloc((n1 + 1) * sizeof *gfirst);
  size_t *bg = malloc(g1 * sizeof *bg);
  uint8_t *touched = calloc(g1, 1), *seen = calloc(g1, 1), *det = calloc(n1, 1), *bdet = malloc(n1);
  size_t *queue = malloc(g1 * sizeof *queue);
  int rc = gidx && loc && unk && parent && ublock && uorder && ufirst && bu && grp && gblock && gorder &&
                   gfirst && bg && touched && seen && queue && det && bdet
               ? PEIL_OK
               : peil_error(PEIL_ENOMEM, "out of memory");
  /* The unknowns: suppressed cells that are in a group, in cell order. */
  for (size_t c = 0; !rc && c < g->ncells; c++)
    if (g->cell_start[c] < g->cell_start[c + 1] && disclosure_is_suppressed(t, c)) {
      gidx[c] = nu;
      parent[nu] = nu;
      unk[nu++] = c;
    }
  /* Blocks: unknowns linked through the groups that hold them. */
  for (size_t k = 0; !rc && k < g->ngroups; k++) {
    size_t first = DLOG_NONE;
    for (size_t q = g->start[k]; q < g->start[k + 1]; q++) {
      size_t c = g->cell[q];
      if (!disclosure_is_suppressed(t, c)) continue;
      if (first == DLOG_NONE) first = gidx[c];
      else parent[uf_find(parent, gidx[c])] = uf_find(parent, first);
    }
    if (first != DLOG_NONE) {
      gblock[ng] = first; /* an unknown of the group; its root below */
      grp[ng++] = k;
    }
  }
  if (!rc) {
    for (size_t x = 0; x < nu; x++) ublock[x] = uf_find(parent, x);
    for (size_t i = 0; i < ng; i++) gblock[i] = ublock[gblock[i]];
    by_block(ublock, nu, nu, ufirst, uorder);
    by_block(gblock, ng, nu, gfirst, gorder);
  }
  /* Every block is solved on the suppressions as they are; only then are
   * the determined cells protected, in cell order. */
  for (size_t b = 0; !rc && b < nu; b++) {
    size_t u = ufirst[b + 1] - ufirst[b], m = gfirst[b + 1] - gfirst[b];
    if (m < 2) continue; /* one equation in two or more unknowns determines none of them */
    for (size_t i = 0; i < u; i++) {
      bu[i] = uorder[ufirst[b] + i];
      loc[unk[bu[i]]] = i;
    }
    for (size_t i = 0; i < m; i++) bg[i] = grp[gorder[gfirst[b] + i]];
    if ((rc = solve_block(t, g, bg, m, u, loc, bdet))) break;
    for (size_t i = 0; i < u; i++) det[bu[i]] = bdet[i];
  }
  for (size_t x = 0; !rc && x < nu; x++)
    if (det[x]) rc = protect_determined(t, g, unk[x], touched, seen, queue, log, added);
  free(gidx), free(loc), free(unk), free(parent), free(ublock), free(uorder), free(ufirst), free(bu);
  free(grp), free(gblock), free(gorder), free(gfirst), free(bg), free(touched), free(seen), free(queue), free(det), free(bdet);
  return rc;
}
