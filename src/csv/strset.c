/* A set of byte strings in insertion order: open addressing over indices,
 * the strings themselves in one growing arena (no malloc per string). */
#include <stdlib.h>
#include <string.h>

#include "csv_internal.h"

/* 64-bit multiplicative hash over 8-byte words (fields are short). */
static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xFF51AFD7ED558CCDULL);
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, s, 8);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 29;
    s += 8;
    n -= 8;
  }
  uint64_t w = 0;
  memcpy(&w, s, n);
  h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
  h ^= h >> 32;
  return h;
}

csv_strset *csv_strset_new(void) {
  csv_strset *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->nslot = 64;
  s->slot = calloc(s->nslot, sizeof *s->slot);
  s->cap_e = 32;
  s->e = malloc(s->cap_e * sizeof *s->e);
  s->cap = 1024;
  s->arena = malloc(s->cap);
  if (!s->slot || !s->e || !s->arena) {
    csv_strset_free(s);
    return NULL;
  }
  return s;
}

void csv_strset_free(csv_strset *s) {
  if (!s) return;
  free(s->e);
  free(s->slot);
  free(s->arena);
  free(s);
}

static long probe(const csv_strset *s, const char *str, size_t n, uint64_t h, size_t *at) {
  size_t mask = s->nslot - 1, i = (size_t)h & mask;
  for (;;) {
    uint32_t k = s->slot[i];
    if (!k) {
      *at = i;
      return -1;
    }
    const csv_strset_entry *e = &s->e[k - 1];
    if (e->hash == h && e->len == n && csv_same(s->arena + e->off, str, n)) return (long)(k - 1);
    i = (i + 1) & mask;
  }
}

static int grow_slots(csv_strset *s) {
  size_t nslot = s->nslot * 2;
  uint32_t *slot = calloc(nslot, sizeof *slot);
  if (!slot) return -1;
  for (size_t k = 0; k < s->n; k++) {
    size_t i = (size_t)s->e[k].hash & (nslot - 1);
    while (slot[i]) i = (i + 1) & (nslot - 1);
    slot[i] = (uint32_t)(k + 1);
  }
  free(s->slot);
  s->slot = slot;
  s->nslot = nslot;
  return 0;
}

long csv_strset_add(csv_strset *s, const char *str, size_t n, int *added) {
  uint64_t h = hash_bytes(str, n);
  size_t at;
  long k = probe(s, str, n, h, &at);
  *added = 0;
  if (k >= 0) return k;
  if (s->n >= UINT32_MAX - 1) return -1;
  if (s->n == s->cap_e) {
    csv_strset_entry *e = realloc(s->e, 2 * s->cap_e * sizeof *e);
    if (!e) return -1;
    s->e = e;
    s->cap_e *= 2;
  }
  if (s->used + n + 1 > s->cap) {
    size_t cap = s->cap;
    while (cap < s->used + n + 1) cap *= 2;
    char *a = realloc(s->arena, cap);
    if (!a) return -1;
    s->arena = a;
    s->cap = cap;
  }
  memcpy(s->arena + s->used, str, n);
  s->arena[s->used + n] = '\0';
  s->e[s->n] = (csv_strset_entry){s->used, n, h};
  s->used += n + 1;
  s->slot[at] = (uint32_t)(s->n + 1);
  s->n++;
  *added = 1;
  /* Keep the load at most one half. */
  if (2 * s->n > s->nslot && grow_slots(s)) return -1;
  return (long)(s->n - 1);
}

long csv_strset_find(const csv_strset *s, const char *str, size_t n) {
  size_t at;
  return probe(s, str, n, hash_bytes(str, n), &at);
}

static _Thread_local const csv_strset *sort_set;

static int cmp_index(const void *a, const void *b) {
  const csv_strset_entry *x = &sort_set->e[*(const size_t *)a], *y = &sort_set->e[*(const size_t *)b];
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(sort_set->arena + x->off, sort_set->arena + y->off, n);
  if (c) return c;
  return x->len < y->len ? -1 : x->len > y->len;
}

size_t *csv_strset_sorted(const csv_strset *s) {
  size_t *order = malloc((s->n ? s->n : 1) * sizeof *order);
  if (!order) return NULL;
  for (size_t i = 0; i < s->n; i++) order[i] = i;
  sort_set = s;
  qsort(order, s->n, sizeof *order, cmp_index);
  sort_set = NULL;
  return order;
}
