/* Greedy nearest-neighbour matching on a one-dimensional distance (the rule
 * is in peil/match.h).
 *
 * Controls are sorted by (distance, data order). A treated unit's place
 * among them is found by binary search; the nearest unused control on the
 * right is next_right(place), on the left next_left(place - 1), each a
 * disjoint-set walk over used controls with path compression. Of controls
 * at the same difference the first in the data wins: for a candidate, the
 * first unused control of its run of equal distances (found the same way
 * from the run's start), and between the two sides the smaller data index. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "peil/match.h"

void peil_nn_options_init(peil_nn_options *o) {
  memset(o, 0, sizeof *o);
  o->ratio = 1;
  o->caliper = NAN;
}

typedef struct {
  double d;
  int64_t i;
} keyed;

/* A double as an unsigned key with the same order (finite values). */
static uint64_t key_of(double d, int descending) {
  if (d == 0) d = 0.0; /* -0 and +0 are one distance */
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  u = u >> 63 ? ~u : u ^ (UINT64_C(1) << 63);
  return descending ? ~u : u;
}

/* Sorts v by distance (ascending, or descending), keeping the given order
 * of equal distances: a least-significant-digit radix sort, four passes of
 * 16 bits (passes where every key has the same digit are skipped), which at
 * ten million units is several times faster than qsort's comparisons. */
static int sort_keyed(keyed *v, size_t n, int descending) {
  if (n < 2) return PEIL_OK;
  keyed *tmp = peil_alloc_large(n, sizeof *tmp);
  size_t *count = malloc(65536 * sizeof *count);
  if (!tmp || !count) {
    free(tmp);
    free(count);
    return peil_error(PEIL_ENOMEM, "out of memory (sorting %zu distances)", n);
  }
  keyed *src = v, *dst = tmp;
  for (int pass = 0; pass < 4; pass++) {
    int shift = 16 * pass;
    memset(count, 0, 65536 * sizeof *count);
    for (size_t i = 0; i < n; i++) count[key_of(src[i].d, descending) >> shift & 0xffff]++;
    if (count[key_of(src[0].d, descending) >> shift & 0xffff] == n) continue; /* one digit */
    size_t sum = 0;
    for (size_t b = 0; b < 65536; b++) {
      size_t c = count[b];
      count[b] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; i++) dst[count[key_of(src[i].d, descending) >> shift & 0xffff]++] = src[i];
    keyed *x = src;
    src = dst;
    dst = x;
  }
  if (src != v) memcpy(v, src, n * sizeof *v);
  free(tmp);
  free(count);
  return PEIL_OK;
}

/* The first unused position >= p (n when none): right[] points past used ones. */
static int64_t next_right(int64_t *right, int64_t p) {
  int64_t r = p;
  while (right[r] != r) r = right[r];
  while (right[p] != r) { /* path compression */
    int64_t q = right[p];
    right[p] = r;
    p = q;
  }
  return r;
}

/* The last unused position <= p (-1 when none); left[] is shifted by one so
 * that -1 is left[0]. */
static int64_t next_left(int64_t *left, int64_t p) {
  int64_t x = p + 1, r = x;
  while (left[r] != r) r = left[r];
  while (left[x] != r) {
    int64_t q = left[x];
    left[x] = r;
    x = q;
  }
  return r - 1;
}

typedef struct {
  const keyed *c;     /* controls sorted by distance, then data order */
  int64_t n;
  int64_t *run;       /* the first position of each position's run of equal distances */
  int64_t *right, *left;
  int replace;
} controls;

/* The first position whose distance is >= d. */
static int64_t lower_bound(const controls *C, double d) {
  int64_t lo = 0, hi = C->n;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (C->c[mid].d < d) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Of the run that position p is in, the first unused position (p is unused). */
static int64_t first_of_run(controls *C, int64_t p) {
  return C->replace ? C->run[p] : next_right(C->right, C->run[p]);
}

/* The nearest control to d (unused unless replacing), or -1. */
static int64_t nearest(controls *C, double d) {
  int64_t p = lower_bound(C, d);
  int64_t r = C->replace ? (p < C->n ? p : C->n) : (p < C->n ? next_right(C->right, p) : C->n);
  int64_t l = C->replace ? p - 1 : (p > 0 ? next_left(C->left, p - 1) : -1);
  if (r >= C->n && l < 0) return -1;
  if (r < C->n) r = first_of_run(C, r);
  if (l >= 0) l = first_of_run(C, l);
  if (r >= C->n) return l;
  if (l < 0) return r;
  double dr = C->c[r].d - d, dl = d - C->c[l].d;
  if (dr != dl) return dr < dl ? r : l;
  return C->c[r].i < C->c[l].i ? r : l;
}

static int by_gap(const void *a, const void *b) {
  const keyed *x = a, *y = b; /* d: the absolute difference; i: the data index */
  if (x->d != y->d) return x->d < y->d ? -1 : 1;
  return (x->i > y->i) - (x->i < y->i);
}

/* With replacement: the k nearest distinct controls to d, nearest first
 * (ties: the first in the data), into cand as (gap, data index); returns
 * how many. They lie among the k positions on either side of d's place,
 * widened to whole runs of equal distances (cand has room for them all:
 * cap is 2k plus the longest run). */
static size_t nearest_k(const controls *C, double d, size_t k, keyed *cand) {
  int64_t p = lower_bound(C, d), n = C->n;
  int64_t lo = p - (int64_t)k, hi = p + (int64_t)k - 1;
  if (lo < 0) lo = 0;
  if (hi > n - 1) hi = n - 1;
  if (lo > hi) return 0;
  lo = C->run[lo];
  while (hi + 1 < n && C->c[hi + 1].d == C->c[hi].d) hi++;
  size_t m = 0;
  for (int64_t q = lo; q <= hi; q++) cand[m++] = (keyed){fabs(C->c[q].d - d), C->c[q].i};
  qsort(cand, m, sizeof *cand, by_gap);
  return m < k ? m : k;
}

static void use(controls *C, int64_t p) {
  if (C->replace) return;
  C->right[p] = p + 1;
  C->left[p + 1] = p;
}

int peil_match_nearest(const double *dt, size_t nt, const double *dc, size_t nc,
                       const peil_nn_options *o, int64_t *match) {
  peil_nn_options defaults;
  if (!o) {
    peil_nn_options_init(&defaults);
    o = &defaults;
  }
  size_t k = o->ratio ? o->ratio : 1;
  for (size_t i = 0; i < nt; i++)
    if (!isfinite(dt[i])) return peil_error(PEIL_EDATA, "treated unit %zu: the distance is missing or not finite", i + 1);
  for (size_t i = 0; i < nc; i++)
    if (!isfinite(dc[i])) return peil_error(PEIL_EDATA, "control unit %zu: the distance is missing or not finite", i + 1);
  for (size_t i = 0; i < nt * k; i++) match[i] = -1;
  keyed *c = peil_alloc_large(nc + 1, sizeof *c), *t = peil_alloc_large(nt + 1, sizeof *t);
  int64_t *run = peil_alloc_large(nc + 1, sizeof *run);
  int64_t *right = o->replace ? NULL : peil_alloc_large(nc + 1, sizeof *right);
  int64_t *left = o->replace ? NULL : peil_alloc_large(nc + 1, sizeof *left);
  if (!c || !t || !run || (!o->replace && (!right || !left))) {
    free(c), free(t), free(run), free(right), free(left);
    return peil_error(PEIL_ENOMEM, "out of memory (matching %zu treated to %zu controls)", nt, nc);
  }
  for (size_t i = 0; i < nc; i++) c[i] = (keyed){dc[i], (int64_t)i};
  int rc = sort_keyed(c, nc, 0); /* stable: equal distances stay in data order */
  for (size_t i = 0; i < nc; i++) run[i] = i && c[i].d == c[i - 1].d ? run[i - 1] : (int64_t)i;
  if (!o->replace)
    for (size_t i = 0; i <= nc; i++) right[i] = left[i] = (int64_t)i;
  /* the treated units' order */
  for (size_t i = 0; i < nt; i++) t[i] = (keyed){dt[i], (int64_t)i};
  if (!rc && o->order == PEIL_MATCH_LARGEST) rc = sort_keyed(t, nt, 1);
  else if (!rc && o->order == PEIL_MATCH_SMALLEST) rc = sort_keyed(t, nt, 0);
  else if (!rc && o->order == PEIL_MATCH_RANDOM && nt > 1) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) {
      free(c), free(t), free(run), free(right), free(left);
      return peil_error(PEIL_ENOMEM, "out of memory");
    }
    gsl_rng_set(r, o->seed);
    for (size_t i = nt - 1; i > 0; i--) { /* Fisher-Yates */
      size_t j = gsl_rng_uniform_int(r, i + 1);
      keyed x = t[i];
      t[i] = t[j];
      t[j] = x;
    }
    gsl_rng_free(r);
  }
  if (rc) {
    free(c), free(t), free(run), free(right), free(left);
    return rc;
  }
  controls C = {c, (int64_t)nc, run, right, left, o->replace};
  int has_caliper = o->caliper > 0;
  if (o->replace && k > 1) {
    /* Nobody competes for a control: each treated unit takes its k nearest
     * distinct controls (the rounds give the same), within the caliper. */
    size_t longest = 1;
    for (size_t i = 0; i < nc; i++)
      if ((size_t)(i - (size_t)run[i] + 1) > longest) longest = i - (size_t)run[i] + 1;
    keyed *cand = malloc((2 * k + 2 * longest + 1) * sizeof *cand);
    if (!cand) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t q = 0; !rc && q < nt; q++) {
      size_t i = (size_t)t[q].i, got = nearest_k(&C, t[q].d, k, cand);
      for (size_t r = 0; r < got && !(has_caliper && cand[r].d > o->caliper); r++)
        match[i * k + r] = cand[r].i;
    }
    free(cand);
    free(c), free(t), free(run), free(right), free(left);
    return rc;
  }
  for (size_t round = 0; round < k; round++)
    for (size_t q = 0; q < nt; q++) {
      size_t i = (size_t)t[q].i;
      if (round && match[i * k + round - 1] < 0) continue; /* unmatched earlier: no more */
      int64_t p = nearest(&C, t[q].d);
      if (p < 0) continue;
      if (has_caliper && fabs(c[p].d - t[q].d) > o->caliper) continue;
      match[i * k + round] = c[p].i;
      use(&C, p);
    }
  free(c), free(t), free(run), free(right), free(left);
  return PEIL_OK;
}
