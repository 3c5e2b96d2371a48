/* Secondary suppression, the classic rule: a group (a total and its
 * parts) with exactly one suppressed cell would give that cell away by
 * subtraction, so it gives up one more. A work list of such groups is
 * processed until none is left; every suppression can make a group of
 * the new cell reach exactly one, and then that group is queued. A
 * group's count of suppressed cells only grows, so it reaches one at most
 * once and enters the list at most once: the work is linear in the
 * groups' sizes. */
#include <stdlib.h>

#include "disclosure_internal.h"

size_t disclosure_candidate(const peil_rtable *t, const disclosure_groups *g, size_t k) {
  size_t best = DLOG_NONE, zero = DLOG_NONE;
  int64_t bestv = 0;
  for (size_t i = g->start[k] + 1; i < g->start[k + 1]; i++) {
    size_t c = g->cell[i];
    if (disclosure_is_suppressed(t, c)) continue;
    int64_t v = disclosure_value(t, c);
    if (v == 0) {
      if (zero == DLOG_NONE) zero = c;
    } else if (best == DLOG_NONE || v < bestv) {
      best = c, bestv = v;
    }
  }
  if (best != DLOG_NONE) return best;
  if (zero != DLOG_NONE) return zero;
  size_t total = g->cell[g->start[k]];
  return disclosure_is_suppressed(t, total) ? DLOG_NONE : total;
}

int disclosure_protect(peil_rtable *t, size_t c, size_t p, const char *how, dlog *log) {
  size_t nc = t->ncols;
  size_t prow = p / nc, pcol = p % nc;
  char *label = rtable_row_label(t, prow);
  if (!label) return peil_error(PEIL_ENOMEM, "out of memory");
  int rc = dlog_add(log, c / nc, c % nc, "secondary: protects row %s / column %s%s", label,
                    t->cols[pcol].name, how);
  free(label);
  if (!rc) *rtable_flag(t, c / nc, c % nc) |= PEIL_CELL_SECONDARY;
  return rc;
}

int disclosure_secondary(peil_rtable *t, const disclosure_groups *g, dlog *log, size_t *added) {
  *added = 0;
  if (!g->ngroups) return PEIL_OK;
  size_t *nsupp = calloc(g->ngroups, sizeof *nsupp);
  size_t *queue = malloc(g->ngroups * sizeof *queue);
  if (!nsupp || !queue) {
    free(nsupp), free(queue);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  size_t head = 0, tail = 0;
  for (size_t k = 0; k < g->ngroups; k++) {
    for (size_t i = g->start[k]; i < g->start[k + 1]; i++) nsupp[k] += disclosure_is_suppressed(t, g->cell[i]);
    if (nsupp[k] == 1) queue[tail++] = k;
  }
  int rc = PEIL_OK;
  while (!rc && head < tail) {
    size_t k = queue[head++];
    if (nsupp[k] != 1) continue;
    size_t p = DLOG_NONE;
    for (size_t i = g->start[k]; i < g->start[k + 1] && p == DLOG_NONE; i++)
      if (disclosure_is_suppressed(t, g->cell[i])) p = g->cell[i];
    size_t c = disclosure_candidate(t, g, k);
    if (c == DLOG_NONE) continue; /* a group of one cell: nothing to subtract */
    if ((rc = disclosure_protect(t, c, p, "", log))) break;
    (*added)++;
    for (size_t i = g->cell_start[c]; i < g->cell_start[c + 1]; i++) {
      size_t h = g->by_cell[i];
      if (++nsupp[h] == 1) queue[tail++] = h;
    }
  }
  free(nsupp), free(queue);
  return rc;
}
