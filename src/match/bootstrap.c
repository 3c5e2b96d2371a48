/* Bootstrap standard errors of the effect estimates on the matched sample:
 * the clusters of the matched sample are resampled with replacement, the
 * three estimators are computed on each replicate, and the standard error is
 * the standard deviation (n - 1) of the replicates' estimates.
 *
 * Clusters:
 *   - nearest neighbour with replacement (no subclasses): the matched sets,
 *     a focal unit with its matches. A control can be in several sets; a
 *     draw of set f gives f weight 1 and each of its M_f matches 1/M_f, and
 *     the matched group's weights are then scaled, as MatchIt scales them,
 *     to sum to the number of distinct matched units in the replicate. With
 *     every set drawn once this gives back the matching weights.
 *   - otherwise the units' subclasses (pairs and matched sets without
 *     replacement, strata of exact and CEM matching, subclasses): a unit's
 *     weight is its matching weight times the times its cluster was drawn.
 *     (With few subclasses, as the 6 of subclassification, the bootstrap
 *     distribution is coarse: the clusters are the sampling units.)
 *   - units without a subclass are each a cluster.
 *
 * Replicate b draws from its own random stream, GSL's taus2 seeded with
 * sim_stream_seed(seed, b) (a keyed bijection of b: distinct for every
 * replicate), so that the estimates do not depend on which thread computes
 * which replicate; replicates run in parallel (OpenMP), and the standard
 * deviation is summed in replicate order. */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/sim_internal.h" /* sim_stream_seed */
#include "effects_internal.h"

typedef struct {
  size_t G;             /* clusters */
  size_t *start;        /* members of cluster c: member[start[c] .. start[c+1]) */
  size_t *member;       /* sample rows */
  double *share;        /* each member's raw weight in a draw of its cluster */
  int sets;             /* clusters are matched sets with replacement */
  int focal_treat;      /* sets: the focal group (1 treated, 0 controls) */
} clusters;

static void clusters_free(clusters *c) {
  free(c->start), free(c->member), free(c->share);
  memset(c, 0, sizeof *c);
}

static int clusters_build(const peil_match_result *r, const eff_sample *s, clusters *c) {
  memset(c, 0, sizeof *c);
  size_t n = s->n;
  if (r->method == PEIL_MATCH_NEAREST && r->pairs && !s->cl) {
    /* matched sets: a focal unit with its matches that have the outcome */
    size_t k = r->ratio ? r->ratio : 1;
    int64_t *row = peil_alloc_large(r->n, sizeof *row);
    c->start = malloc((r->n_treated + 1) * sizeof *c->start);
    c->member = malloc((r->n_treated * (k + 1) + 1) * sizeof *c->member);
    c->share = malloc((r->n_treated * (k + 1) + 1) * sizeof *c->share);
    if (!row || !c->start || !c->member || !c->share) {
      free(row);
      clusters_free(c);
      return peil_error(PEIL_ENOMEM, "out of memory");
    }
    for (size_t u = 0; u < r->n; u++) row[u] = -1;
    for (size_t q = 0; q < n; q++) row[s->unit[q]] = (int64_t)q;
    size_t nm = 0;
    c->start[0] = 0;
    c->sets = 1;
    for (size_t t = 0; t < r->n_treated; t++) {
      int64_t f = r->treated_unit[t];
      if (f < 0 || row[f] < 0) continue;
      size_t m = 0;
      for (size_t j = 0; j < k; j++) m += r->pairs[t * k + j] >= 0 && row[r->pairs[t * k + j]] >= 0;
      if (m == 0) continue;
      c->focal_treat = s->t[row[f]] == 1;
      c->member[nm] = (size_t)row[f], c->share[nm++] = 1;
      for (size_t j = 0; j < k; j++) {
        int64_t u = r->pairs[t * k + j];
        if (u >= 0 && row[u] >= 0) c->member[nm] = (size_t)row[u], c->share[nm++] = 1.0 / (double)m;
      }
      c->start[++c->G] = nm;
    }
    free(row);
    return PEIL_OK;
  }
  /* subclasses, or units */
  size_t G = s->cl ? s->ncl : n;
  c->start = calloc(G + 1, sizeof *c->start);
  c->member = peil_alloc_large(n, sizeof *c->member);
  c->share = peil_alloc_large(n, sizeof *c->share);
  if (!c->start || !c->member || !c->share) {
    clusters_free(c);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  c->G = G;
  for (size_t q = 0; q < n; q++) c->start[(s->cl ? (size_t)s->cl[q] : q) + 1]++;
  for (size_t g = 0; g < G; g++) c->start[g + 1] += c->start[g];
  size_t *fill = calloc(G ? G : 1, sizeof *fill);
  if (!fill) {
    clusters_free(c);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t q = 0; q < n; q++) {
    size_t g = s->cl ? (size_t)s->cl[q] : q;
    size_t at = c->start[g] + fill[g]++;
    c->member[at] = q;
    c->share[at] = s->w[q];
  }
  free(fill);
  return PEIL_OK;
}

/* The replicate weights of one draw (mult: times each cluster was drawn). */
static void replicate_weights(const clusters *c, const eff_sample *s, const uint32_t *mult,
                              double *wr) {
  memset(wr, 0, s->n * sizeof *wr);
  for (size_t g = 0; g < c->G; g++) {
    if (!mult[g]) continue;
    for (size_t m = c->start[g]; m < c->start[g + 1]; m++)
      wr[c->member[m]] += mult[g] * c->share[m];
  }
  if (!c->sets) return;
  /* the matched group: scaled to sum to its distinct units (MatchIt); its
   * raw weights sum to the number of draws, G */
  size_t distinct = 0;
  for (size_t q = 0; q < s->n; q++)
    distinct += wr[q] > 0 && (s->t[q] == 1) != c->focal_treat;
  double scale = (double)distinct / (double)c->G;
  for (size_t q = 0; q < s->n; q++)
    if ((s->t[q] == 1) != c->focal_treat) wr[q] *= scale;
}

static double weighted_diff(const eff_sample *s, const double *wr) {
  double a1 = 0, b1 = 0, a0 = 0, b0 = 0;
  for (size_t q = 0; q < s->n; q++) {
    if (!(wr[q] > 0)) continue;
    if (s->t[q] == 1) a1 += wr[q] * s->y[q], b1 += wr[q];
    else a0 += wr[q] * s->y[q], b0 += wr[q];
  }
  return b1 > 0 && b0 > 0 ? a1 / b1 - a0 / b0 : NAN;
}

int eff_bootstrap(const peil_match_result *r, const eff_sample *s, const peil_effect_options *o,
                  double se[3], int64_t nrep[3], int64_t *nclusters) {
  se[0] = se[1] = se[2] = NAN;
  nrep[0] = nrep[1] = nrep[2] = 0;
  *nclusters = 0;
  clusters c;
  int rc = clusters_build(r, s, &c);
  if (rc) return rc;
  *nclusters = (int64_t)c.G;
  size_t B = o->bootstrap;
  double *est = malloc(B * 3 * sizeof *est);
  if (!est) {
    clusters_free(&c);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  int nt = o->threads > 0 ? o->threads : omp_get_num_procs();
  if ((size_t)nt > B) nt = (int)B;
  if (nt < 1) nt = 1;
  int failed = 0;
  if (c.G > 0) {
#pragma omp parallel num_threads(nt)
    {
      uint32_t *mult = malloc(c.G * sizeof *mult);
      double *wr = malloc((s->n ? s->n : 1) * sizeof *wr);
      double *ws = malloc(eff_wls_ws_size(s->p) * sizeof *ws);
      gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
      if (!mult || !wr || !ws || !rng) {
#pragma omp atomic write
        failed = 1;
      }
#pragma omp for schedule(dynamic, 1)
      for (size_t b = 0; b < B; b++) {
        if (!mult || !wr || !ws || !rng) continue;
        gsl_rng_set(rng, sim_stream_seed(o->seed, b));
        memset(mult, 0, c.G * sizeof *mult);
        for (size_t g = 0; g < c.G; g++) mult[gsl_rng_uniform_int(rng, c.G)]++;
        replicate_weights(&c, s, mult, wr);
        double dm = weighted_diff(s, wr);
        est[b * 3 + 0] = dm;
        est[b * 3 + 1] = est[b * 3 + 2] = NAN;
        if (!isnan(dm)) eff_wls_treat(s, wr, ws, &est[b * 3 + 1], &est[b * 3 + 2]);
      }
      free(mult), free(wr), free(ws);
      if (rng) gsl_rng_free(rng);
    }
  }
  if (failed) rc = peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t a = 0; a < 3 && !rc && c.G > 0; a++) {
    /* the standard deviation, in replicate order (two passes) */
    double sum = 0;
    size_t m = 0;
    for (size_t b = 0; b < B; b++)
      if (isfinite(est[b * 3 + a])) sum += est[b * 3 + a], m++;
    nrep[a] = (int64_t)m;
    if (m < 2) continue;
    double mean = sum / (double)m, ss = 0;
    for (size_t b = 0; b < B; b++)
      if (isfinite(est[b * 3 + a])) ss += (est[b * 3 + a] - mean) * (est[b * 3 + a] - mean);
    se[a] = sqrt(ss / (double)(m - 1));
  }
  free(est);
  clusters_free(&c);
  return rc;
}
