/* peil/match.h: comparison groups by matching.
 *
 * The core is greedy nearest-neighbour matching on a one-dimensional
 * distance (a propensity score, its linear predictor, or a score the user
 * gives): the controls are sorted once, and each treated unit finds the
 * nearest control not yet used by walking to the next unused control on
 * either side (disjoint-set "next" pointers with path compression), so the
 * cost is O((nt + nc) log nc) and memory O(nt + nc): no nt x nc matrix,
 * whatever the sizes (tens of millions of controls).
 *
 * The rule, stated once (docs/matching.md says where MatchIt 4.5.1 departs
 * from it):
 *   - treated units are taken in the order asked for (largest distance
 *     first by default, as MatchIt); equal distances keep the data order;
 *   - with k controls per treated unit, matching runs in k rounds: every
 *     treated unit gets its first control before any gets its second;
 *   - a treated unit takes the unused control at the smallest absolute
 *     difference in distance; of controls at the same difference, the one
 *     that comes first in the data;
 *   - with a caliper, a control farther than the caliper is not taken: the
 *     treated unit stays unmatched in that round and takes no more;
 *   - with replacement, controls are never used up, but a treated unit's k
 *     controls are k different ones: its k nearest (ties to the first in
 *     the data), those within the caliper. */
#ifndef PEIL_MATCH_H
#define PEIL_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "peil/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  PEIL_MATCH_LARGEST = 0, /* treated units by decreasing distance (MatchIt's default) */
  PEIL_MATCH_SMALLEST,    /* by increasing distance */
  PEIL_MATCH_RANDOM,      /* a random order from the seed */
  PEIL_MATCH_DATA         /* the data's order */
} peil_match_order;

typedef struct {
  size_t ratio;           /* controls per treated unit (k); 0 is taken as 1 */
  int replace;            /* controls can be used more than once */
  double caliper;         /* the largest distance a pair may have; <= 0 or NaN: none */
  peil_match_order order;
  uint64_t seed;          /* PEIL_MATCH_RANDOM */
} peil_nn_options;

void peil_nn_options_init(peil_nn_options *o);

/* Greedy nearest-neighbour matching of nt treated units with distances dt
 * to nc controls with distances dc (both finite; NaN is an error naming
 * the unit). On return match[i * ratio + r] is the control (an index into
 * dc) given to treated unit i in round r, or -1. */
int peil_match_nearest(const double *dt, size_t nt, const double *dc, size_t nc,
                       const peil_nn_options *o, int64_t *match);

#ifdef __cplusplus
}
#endif
#endif
