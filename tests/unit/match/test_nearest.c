/* Greedy nearest-neighbour matching against a brute-force matcher written
 * from the rule in peil/match.h (for every treated unit in order, scan all
 * controls; with replacement, k distinct controls per treated unit), on
 * random distances with many ties, for ratios 1 and 3, with and without
 * replacement and caliper, in every order; and a small case worked out by
 * hand. */
#include "test_util.h"

#include <math.h>

#include <gsl/gsl_rng.h>

#include "peil/match.h"

/* The rule, by brute force: O(nt * nc) per round. */
static void brute(const double *dt, size_t nt, const double *dc, size_t nc, const size_t *order,
                  const peil_nn_options *o, int64_t *match) {
  size_t k = o->ratio;
  char *used = calloc(nc + 1, 1);
  for (size_t i = 0; i < nt * k; i++) match[i] = -1;
  for (size_t r = 0; r < k; r++)
    for (size_t q = 0; q < nt; q++) {
      size_t i = order[q];
      if (r && match[i * k + r - 1] < 0) continue;
      int64_t best = -1;
      double bd = INFINITY;
      for (size_t j = 0; j < nc; j++) {
        if (!o->replace && used[j]) continue;
        int mine = 0; /* with replacement: not a control this unit already has */
        for (size_t e = 0; e < r; e++) mine |= match[i * k + e] == (int64_t)j;
        if (mine) continue;
        double d = fabs(dc[j] - dt[i]);
        if (d < bd) { /* strict: the first in the data keeps a tie */
          bd = d;
          best = (int64_t)j;
        }
      }
      if (best < 0 || (o->caliper > 0 && bd > o->caliper)) continue;
      match[i * k + r] = best;
      used[best] = 1;
    }
  free(used);
}

/* The treated order of the rule (stable sorts by hand). */
static void order_of(const double *dt, size_t nt, peil_match_order ord, size_t *order) {
  for (size_t i = 0; i < nt; i++) order[i] = i;
  if (ord == PEIL_MATCH_DATA) return;
  for (size_t i = 1; i < nt; i++) /* insertion sort: stable */
    for (size_t j = i; j > 0; j--) {
      double a = dt[order[j - 1]], b = dt[order[j]];
      int swap = ord == PEIL_MATCH_LARGEST ? a < b : a > b;
      if (!swap) break;
      size_t x = order[j];
      order[j] = order[j - 1];
      order[j - 1] = x;
    }
}

static void test_by_hand(void **state) {
  (void)state;
  /* (binary fractions, so that differences are exact) controls 0.125,
   * 0.375, 0.375, 0.625; treated 0.25, 0.4375 (the largest, first), 0.375.
   * 0.4375 takes control 1 (0.375, the first of the two 0.0625 away);
   * 0.375 takes control 2; 0.25: controls 0 (0.125 away) and 3 (0.375
   * away) are left: control 0. */
  double dc[4] = {0.125, 0.375, 0.375, 0.625}, dt[3] = {0.25, 0.4375, 0.375};
  int64_t m[3];
  peil_nn_options o;
  peil_nn_options_init(&o);
  assert_ok(peil_match_nearest(dt, 3, dc, 4, &o, m));
  assert_int_equal(m[1], 1);
  assert_int_equal(m[2], 2);
  assert_int_equal(m[0], 0);
  /* a caliper of 0.1: 0.25 finds nothing within it */
  o.caliper = 0.1;
  assert_ok(peil_match_nearest(dt, 3, dc, 4, &o, m));
  assert_int_equal(m[1], 1);
  assert_int_equal(m[0], -1);
  /* with replacement 0.25 is 0.125 from control 0 and from controls 1, 2: a
   * tie between the sides goes to the first in the data, control 0; 0.375
   * takes the first of its equals, control 1 */
  o.caliper = NAN;
  o.replace = 1;
  assert_ok(peil_match_nearest(dt, 3, dc, 4, &o, m));
  assert_int_equal(m[0], 0);
  assert_int_equal(m[2], 1);
  assert_int_equal(m[1], 1);
  /* -0 and +0 are the same distance: the first in the data */
  double z[2] = {0.0, -0.0}, zt[1] = {0.0};
  int64_t zm[1];
  assert_ok(peil_match_nearest(zt, 1, z, 2, &o, zm));
  assert_int_equal(zm[0], 0);
  z[0] = -0.0;
  z[1] = 0.0;
  assert_ok(peil_match_nearest(zt, 1, z, 2, &o, zm));
  assert_int_equal(zm[0], 0);
  /* a missing distance is an error naming the unit */
  dt[2] = NAN;
  assert_int_equal(peil_match_nearest(dt, 3, dc, 4, &o, m), PEIL_EDATA);
  assert_non_null(strstr(peil_errmsg(), "treated unit 3"));
}

static void test_against_brute_force(void **state) {
  (void)state;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 42);
  size_t checked = 0;
  for (int rep = 0; rep < 60; rep++) {
    size_t nt = 1 + gsl_rng_uniform_int(r, 60), nc = 1 + gsl_rng_uniform_int(r, 200);
    int grid = rep % 3 == 0 ? 10 : rep % 3 == 1 ? 100 : 0; /* coarse scores: many ties */
    double *dt = malloc(nt * sizeof *dt), *dc = malloc(nc * sizeof *dc);
    for (size_t i = 0; i < nt; i++) dt[i] = grid ? (double)gsl_rng_uniform_int(r, (unsigned long)grid) / grid : gsl_rng_uniform(r);
    for (size_t i = 0; i < nc; i++) dc[i] = grid ? (double)gsl_rng_uniform_int(r, (unsigned long)grid) / grid : gsl_rng_uniform(r);
    for (int ord = PEIL_MATCH_LARGEST; ord <= PEIL_MATCH_DATA; ord++) {
      if (ord == PEIL_MATCH_RANDOM) continue;
      size_t *order = malloc(nt * sizeof *order);
      order_of(dt, nt, (peil_match_order)ord, order);
      for (size_t ratio = 1; ratio <= 3; ratio += 2)
        for (int replace = 0; replace < 2; replace++)
          for (int cal = 0; cal < 2; cal++) {
            peil_nn_options o;
            peil_nn_options_init(&o);
            o.ratio = ratio;
            o.replace = replace;
            o.order = (peil_match_order)ord;
            o.caliper = cal ? 0.05 : NAN;
            int64_t *a = malloc(nt * ratio * sizeof *a), *b = malloc(nt * ratio * sizeof *b);
            assert_ok(peil_match_nearest(dt, nt, dc, nc, &o, a));
            brute(dt, nt, dc, nc, order, &o, b);
            for (size_t i = 0; i < nt * ratio; i++)
              if (a[i] != b[i])
                fail_msg("rep %d order %d ratio %zu replace %d caliper %d: treated %zu round %zu: "
                         "control %lld, brute force %lld",
                         rep, ord, ratio, replace, cal, i / ratio, i % ratio, (long long)a[i],
                         (long long)b[i]);
            checked++;
            free(a);
            free(b);
          }
      free(order);
    }
    free(dt);
    free(dc);
  }
  assert_int_equal(checked, 60 * 3 * 8);
  gsl_rng_free(r);
}

/* A random order is a permutation fixed by the seed. */
static void test_random_order(void **state) {
  (void)state;
  double dt[50], dc[20];
  for (int i = 0; i < 50; i++) dt[i] = (i % 7) / 7.0;
  for (int i = 0; i < 20; i++) dc[i] = (i % 5) / 5.0;
  peil_nn_options o;
  peil_nn_options_init(&o);
  o.order = PEIL_MATCH_RANDOM;
  o.seed = 7;
  int64_t a[50], b[50], c[50];
  assert_ok(peil_match_nearest(dt, 50, dc, 20, &o, a));
  assert_ok(peil_match_nearest(dt, 50, dc, 20, &o, b));
  assert_memory_equal(a, b, sizeof a);
  o.seed = 8;
  assert_ok(peil_match_nearest(dt, 50, dc, 20, &o, c));
  size_t matched = 0;
  for (int i = 0; i < 50; i++) matched += a[i] >= 0;
  assert_int_equal(matched, 20); /* every control used once */
  assert_true(memcmp(a, c, sizeof a) != 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_by_hand),
      cmocka_unit_test(test_against_brute_force),
      cmocka_unit_test(test_random_order),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
