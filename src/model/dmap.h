/* A map from numbers (doubles, compared by value) to dense indices 0, 1, ...
 * in order of first appearance. */
#ifndef PEIL_MODEL_DMAP_H
#define PEIL_MODEL_DMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  int64_t *slot;  /* index into value, -1 when empty */
  size_t nslot;   /* a power of two, at least twice n */
  double *value;  /* distinct values in order of appearance */
  size_t n, cap;
} dmap;

int dmap_init(dmap *m);
void dmap_free(dmap *m);
/* The index of v, added if new; -1 when out of memory. NaN must not be put. */
int64_t dmap_put(dmap *m, double v);

#endif
