/* Numbers to dense indices in order of first appearance: cluster ids
 * (millions of persons) and the distinct values of factor(x). Open
 * addressing on the bits of the double; -0.0 is stored as 0.0 so that equal
 * numbers share an index. */
#include <stdlib.h>
#include <string.h>

#include "dmap.h"

static uint64_t key_bits(double v) {
  if (v == 0) v = 0; /* -0.0 -> 0.0 */
  uint64_t k;
  memcpy(&k, &v, sizeof k);
  return k;
}

static uint64_t mix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xFF51AFD7ED558CCDULL;
  k ^= k >> 33;
  k *= 0xC4CEB9FE1A85EC53ULL;
  k ^= k >> 33;
  return k;
}

int dmap_init(dmap *m) {
  memset(m, 0, sizeof *m);
  m->nslot = 1024;
  m->slot = malloc(m->nslot * sizeof *m->slot);
  m->cap = 256;
  m->value = malloc(m->cap * sizeof *m->value);
  if (!m->slot || !m->value) {
    dmap_free(m);
    return -1;
  }
  memset(m->slot, 0xFF, m->nslot * sizeof *m->slot); /* -1: empty */
  return 0;
}

void dmap_free(dmap *m) {
  free(m->slot);
  free(m->value);
  memset(m, 0, sizeof *m);
}

static int grow(dmap *m) {
  size_t nslot = m->nslot * 2;
  int64_t *slot = malloc(nslot * sizeof *slot);
  if (!slot) return -1;
  memset(slot, 0xFF, nslot * sizeof *slot);
  for (size_t i = 0; i < m->n; i++) {
    size_t h = mix(key_bits(m->value[i])) & (nslot - 1);
    while (slot[h] >= 0) h = (h + 1) & (nslot - 1);
    slot[h] = (int64_t)i;
  }
  free(m->slot);
  m->slot = slot;
  m->nslot = nslot;
  return 0;
}

int64_t dmap_put(dmap *m, double v) {
  uint64_t k = key_bits(v);
  size_t h = mix(k) & (m->nslot - 1);
  for (; m->slot[h] >= 0; h = (h + 1) & (m->nslot - 1))
    if (key_bits(m->value[m->slot[h]]) == k) return m->slot[h];
  if (m->n == m->cap) {
    size_t cap = m->cap * 2;
    double *value = realloc(m->value, cap * sizeof *value);
    if (!value) return -1;
    m->value = value;
    m->cap = cap;
  }
  m->value[m->n] = v == 0 ? 0 : v;
  m->slot[h] = (int64_t)m->n;
  m->n++;
  if (2 * m->n > m->nslot && grow(m)) return -1;
  return (int64_t)m->n - 1;
}
