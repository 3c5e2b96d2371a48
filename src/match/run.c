/* peil_match_run: common support, then the method (nearest neighbour within
 * the --exact strata, exact, CEM, subclassification), then MatchIt's
 * weights and matched sets.
 *
 * Nearest neighbour within strata: no control is shared between strata, so
 * each stratum is an independent problem; they run in parallel, largest
 * first, each writing its own slice of the result, which is therefore the
 * same for any number of threads. */
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"

static int add_warning(peil_match_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_warning(peil_match_result *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = peil_strings_vaddf(&r->warnings, &r->nwarnings, fmt, ap);
  va_end(ap);
  return rc;
}

static const char *method_name(peil_match_method m) {
  return m == PEIL_MATCH_NEAREST ? "nearest" : m == PEIL_MATCH_EXACT ? "exact"
         : m == PEIL_MATCH_CEM   ? "cem"
                                 : "subclass";
}

/* Common support on the distance: the bounds belong to the range. */
static void discard_units(const peil_match_data *d, const double *dist, peil_discard how,
                          uint8_t *disc) {
  double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
  for (size_t i = 0; i < d->n; i++) {
    int g = d->treat[i];
    lo[g] = fmin(lo[g], dist[i]), hi[g] = fmax(hi[g], dist[i]);
  }
  double a = fmax(lo[0], lo[1]), b = fmin(hi[0], hi[1]);
  for (size_t i = 0; i < d->n; i++) {
    int g = d->treat[i];
    double x = dist[i];
    switch (how) {
    case PEIL_DISCARD_BOTH: disc[i] = x < a || x > b; break;
    case PEIL_DISCARD_TREATED: disc[i] = g == 1 && (x < lo[0] || x > hi[0]); break;
    case PEIL_DISCARD_CONTROL: disc[i] = g == 0 && (x < lo[1] || x > hi[1]); break;
    default: disc[i] = 0;
    }
  }
}

/* The sample SD (n - 1) of the distance over the units not discarded, by
 * two passes (the mean first). */
static double sd_distance(const double *dist, const uint8_t *disc, size_t n) {
  double s = 0;
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (!disc[i]) s += dist[i], m++;
  if (m < 2) return NAN;
  double mean = s / (double)m, ss = 0;
  for (size_t i = 0; i < n; i++)
    if (!disc[i]) ss += (dist[i] - mean) * (dist[i] - mean);
  return sqrt(ss / (double)(m - 1));
}

/* Labels of strata for warnings: the --exact label, or "all units". */
static const char *stratum_name(const peil_match_data *d, size_t s) {
  return d->stratum_label ? d->stratum_label[s] : "all units";
}

typedef struct {
  size_t work, s;
} stratum_work;

/* More work first; equal work in stratum order. */
static int by_work(const void *a, const void *b) {
  const stratum_work *x = a, *y = b;
  if (x->work != y->work) return x->work > y->work ? -1 : 1;
  return (x->s > y->s) - (x->s < y->s);
}

/* Greedy nearest neighbour in every stratum (one stratum without --exact). */
static int nearest_in_strata(const peil_match_data *d, const double *dist,
                             const peil_match_options *o, peil_match_result *r) {
  size_t n = d->n, k = r->ratio, ns = d->stratum ? d->nstrata : 1;
  int focal = o->estimand == PEIL_ATC ? 0 : 1;
  /* Units of each stratum (not discarded), focal ones and others, in data
   * order: counting sort by stratum. */
  size_t *fs = calloc(ns + 1, sizeof *fs), *cs = calloc(ns + 1, sizeof *cs);
  size_t *ff = calloc(ns, sizeof *ff), *cf = calloc(ns, sizeof *cf);
  int64_t *funit = peil_alloc_large(n, sizeof *funit), *cunit = peil_alloc_large(n, sizeof *cunit);
  size_t *order = malloc(ns * sizeof *order);
  int64_t *slice = NULL;
  int *status = calloc(ns, sizeof *status);
  if (!fs || !cs || !ff || !cf || !funit || !cunit || !order || !status) {
    free(fs), free(cs), free(ff), free(cf), free(funit), free(cunit), free(order), free(status);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    if (r->discarded[i]) continue;
    size_t s = d->stratum ? (size_t)d->stratum[i] : 0;
    (d->treat[i] == focal ? fs : cs)[s + 1]++;
  }
  for (size_t s = 0; s < ns; s++) fs[s + 1] += fs[s], cs[s + 1] += cs[s];
  for (size_t i = 0; i < n; i++) {
    if (r->discarded[i]) continue;
    size_t s = d->stratum ? (size_t)d->stratum[i] : 0;
    if (d->treat[i] == focal) funit[fs[s] + ff[s]++] = (int64_t)i;
    else cunit[cs[s] + cf[s]++] = (int64_t)i;
  }
  /* Largest strata first, so that two threads finish together (a sort:
   * --exact on several columns can make many strata). */
  stratum_work *work = malloc((ns ? ns : 1) * sizeof *work);
  if (!work) {
    free(fs), free(cs), free(ff), free(cf), free(funit), free(cunit), free(order), free(status);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t s = 0; s < ns; s++) work[s] = (stratum_work){(fs[s + 1] - fs[s]) * (cs[s + 1] - cs[s] + 1), s};
  qsort(work, ns, sizeof *work, by_work);
  for (size_t s = 0; s < ns; s++) order[s] = work[s].s;
  free(work);
  slice = peil_alloc_large(fs[ns] * k + 1, sizeof *slice);
  int rc = slice ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
  int nthreads = o->threads > 0 ? o->threads : omp_get_num_procs();
  if (ns < 2) nthreads = 1;
  peil_nn_options nn = o->nn;
  nn.ratio = k;
  nn.caliper = r->caliper;
  if (!rc) {
#pragma omp parallel num_threads(nthreads)
    {
      double *dt = NULL, *dc = NULL;
      size_t cap_t = 0, cap_c = 0;
#pragma omp for schedule(dynamic, 1)
      for (size_t q = 0; q < ns; q++) {
        size_t s = order[q], a = fs[s + 1] - fs[s], b = cs[s + 1] - cs[s];
        int64_t *m = slice + fs[s] * k;
        for (size_t j = 0; j < a * k; j++) m[j] = -1;
        if (!a || !b) continue;
        if (a > cap_t) free(dt), dt = peil_alloc_large(a, sizeof *dt), cap_t = a;
        if (b > cap_c) free(dc), dc = peil_alloc_large(b, sizeof *dc), cap_c = b;
        if (!dt || !dc) {
          status[s] = PEIL_ENOMEM, cap_t = cap_c = 0;
          continue;
        }
        for (size_t j = 0; j < a; j++) dt[j] = dist[funit[fs[s] + j]];
        for (size_t j = 0; j < b; j++) dc[j] = dist[cunit[cs[s] + j]];
        peil_nn_options so = nn;
        so.seed = nn.seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(s + 1));
        if ((status[s] = peil_match_nearest(dt, a, dc, b, &so, m))) continue;
        for (size_t j = 0; j < a * k; j++)
          if (m[j] >= 0) m[j] = cunit[cs[s] + (size_t)m[j]];
      }
      free(dt), free(dc);
    }
    for (size_t s = 0; s < ns && !rc; s++)
      if (status[s]) rc = peil_error(status[s], "matching in stratum %s failed (out of memory)", stratum_name(d, s));
  }
  /* The result in the focal units' data order. */
  if (!rc) {
    int64_t *rank = peil_alloc_large(n, sizeof *rank);
    r->n_treated = 0;
    for (size_t i = 0; i < n; i++)
      if (d->treat[i] == focal) r->n_treated++;
    r->treated_unit = peil_alloc_large(r->n_treated, sizeof *r->treated_unit);
    r->pairs = peil_alloc_large(r->n_treated * k + 1, sizeof *r->pairs);
    if (!rank || !r->treated_unit || !r->pairs) {
      rc = peil_error(PEIL_ENOMEM, "out of memory");
    } else {
      size_t t = 0;
      for (size_t i = 0; i < n; i++) {
        rank[i] = -1;
        if (d->treat[i] == focal) r->treated_unit[t] = (int64_t)i, rank[i] = (int64_t)t++;
      }
      for (size_t j = 0; j < r->n_treated * k; j++) r->pairs[j] = -1;
      for (size_t j = 0; j < fs[ns]; j++)
        memcpy(r->pairs + (size_t)rank[funit[j]] * k, slice + j * k, k * sizeof *slice);
    }
    free(rank);
  }
  /* Strata where one side is missing: reported, the rest goes on. */
  size_t one_sided = 0;
  for (size_t s = 0; !rc && s < ns; s++) {
    size_t a = fs[s + 1] - fs[s], b = cs[s + 1] - cs[s];
    if (a && !b && one_sided++ < 10)
      rc = add_warning(r, "stratum %s: %zu %s and no %s; they stay unmatched", stratum_name(d, s), a,
                       focal ? "treated units" : "controls", focal ? "controls" : "treated units");
    else if (a && !o->nn.replace && b < a * k && one_sided++ < 10)
      rc = add_warning(r, "stratum %s: %zu %s for %zu %s at ratio %zu; not all get %zu",
                       stratum_name(d, s), b, focal ? "controls" : "treated units", a,
                       focal ? "treated units" : "controls", k, k);
  }
  if (!rc && one_sided > 10) rc = add_warning(r, "... and %zu more such strata", one_sided - 10);
  free(fs), free(cs), free(ff), free(cf), free(funit), free(cunit), free(order), free(status), free(slice);
  return rc;
}

/* Weights of pair matching (nearest neighbour, random pairs), MatchIt's
 * rule: a focal unit with a match 1; a matched unit the sum over the focal
 * units it serves of 1 / their number of matches, scaled so that these
 * weights sum to their number. Without replacement, each focal unit and
 * its matches form a set (subclass), numbered in the focal units' order. */
static int pair_weights(const peil_match_data *d, peil_match_result *r, int sets) {
  size_t k = r->ratio;
  int focal = r->estimand == PEIL_ATC ? 0 : 1;
  double sum = 0;
  size_t nused = 0;
  int64_t next = 0;
  for (size_t i = 0; i < d->n; i++) r->weight[i] = 0, r->subclass[i] = -1;
  for (size_t t = 0; t < r->n_treated; t++) {
    size_t got = 0;
    for (size_t j = 0; j < k; j++) got += r->pairs[t * k + j] >= 0;
    if (!got) continue;
    int64_t u = r->treated_unit[t];
    r->weight[u] = 1;
    if (sets) r->subclass[u] = next;
    for (size_t j = 0; j < k; j++) {
      int64_t c = r->pairs[t * k + j];
      if (c < 0) continue;
      if (r->weight[c] == 0) nused++;
      r->weight[c] += 1.0 / (double)got;
      if (sets) r->subclass[c] = next;
    }
    next++;
  }
  r->nsubclass = sets ? (size_t)next : 0;
  for (size_t i = 0; i < d->n; i++)
    if (r->weight[i] > 0 && d->treat[i] != focal) sum += r->weight[i];
  for (size_t i = 0; i < d->n; i++)
    if (r->weight[i] > 0 && d->treat[i] != focal) r->weight[i] *= (double)nused / sum;
  if (next == 0)
    return peil_error(PEIL_EDATA, "no %s unit was matched%s", r->estimand == PEIL_ATC ? "control" : "treated",
                      isfinite(r->caliper) ? ": every pair is farther apart than the caliper" : "");
  return PEIL_OK;
}

static int check_options(const peil_match_data *d, const double *dist, const peil_match_options *o) {
  const char *m = method_name(o->method);
  if (o->method == PEIL_MATCH_NEAREST && o->estimand == PEIL_ATE)
    return peil_error(PEIL_EINVAL, "--method nearest estimates the ATT or the ATC, not the ATE (use "
                      "exact, cem or subclass, or weighting)");
  if (o->method == PEIL_MATCH_NEAREST && o->distance == PEIL_DISTANCE_MAHALANOBIS &&
      (o->discard || isfinite(o->caliper_sd) || o->nn.caliper > 0))
    return peil_error(PEIL_EINVAL, "--discard and --caliper need a score; Mahalanobis matching has none");
  if ((o->method == PEIL_MATCH_NEAREST && o->distance != PEIL_DISTANCE_MAHALANOBIS) ||
      o->method == PEIL_MATCH_SUBCLASS || o->discard) {
    if (!dist) return peil_error(PEIL_EINVAL, "--method %s needs a distance", m);
    for (size_t i = 0; i < d->n; i++)
      if (!isfinite(dist[i]))
        return peil_error(PEIL_EDATA, "the distance of row %lld is %g", (long long)d->row[i] + 1, dist[i]);
  }
  if (o->method == PEIL_MATCH_SUBCLASS && (o->subclasses < 1 || o->subclasses > 1000))
    return peil_error(PEIL_EINVAL, "--subclass %zu: give between 1 and 1000 subclasses", o->subclasses);
  if (o->method == PEIL_MATCH_SUBCLASS && d->stratum)
    return peil_error(PEIL_EINVAL, "--exact does not combine with --method subclass");
  if (o->nn.ratio > 1000) return peil_error(PEIL_EINVAL, "--ratio %zu: at most 1000", o->nn.ratio);
  if (o->method != PEIL_MATCH_NEAREST && (o->nn.replace || isfinite(o->caliper_sd) || o->nn.caliper > 0))
    return peil_error(PEIL_EINVAL, "--replace and --caliper belong to --method nearest");
  if (o->method != PEIL_MATCH_CEM && o->ncuts)
    return peil_error(PEIL_EINVAL, "--cutpoints belong to --method cem");
  if (isfinite(o->caliper_sd) && o->caliper_sd <= 0)
    return peil_error(PEIL_EINVAL, "--caliper %g: give a positive number", o->caliper_sd);
  return PEIL_OK;
}

int peil_match_run(const peil_match_data *d, const double *distance, const peil_match_options *o,
                   peil_match_result **out) {
  *out = NULL;
  int rc = check_options(d, distance, o);
  if (rc) return rc;
  size_t n = d->n;
  peil_match_result *r = calloc(1, sizeof *r);
  if (!r) return peil_error(PEIL_ENOMEM, "out of memory");
  r->n = n;
  r->method = o->method;
  r->estimand = o->estimand;
  r->caliper = NAN;
  r->sd_distance = NAN;
  r->discarded = peil_calloc_large(n, 1);
  r->weight = peil_calloc_large(n, sizeof *r->weight);
  r->subclass = peil_alloc_large(n, sizeof *r->subclass);
  if (!r->discarded || !r->weight || !r->subclass) rc = peil_error(PEIL_ENOMEM, "out of memory");
  int scored = !rc && distance && o->method != PEIL_MATCH_EXACT && o->method != PEIL_MATCH_CEM;
  if (scored) {
    if (!(r->distance = peil_alloc_large(n, sizeof *r->distance))) rc = peil_error(PEIL_ENOMEM, "out of memory");
    else memcpy(r->distance, distance, n * sizeof *distance);
  }
  if (!rc && o->discard) discard_units(d, distance, o->discard, r->discarded);
  if (!rc && distance) r->sd_distance = sd_distance(distance, r->discarded, n);
  size_t one_sided = 0;
  if (!rc) switch (o->method) {
    case PEIL_MATCH_NEAREST:
      r->ratio = o->nn.ratio ? o->nn.ratio : 1;
      if (isfinite(o->caliper_sd)) r->caliper = o->caliper_sd * r->sd_distance;
      else if (o->nn.caliper > 0) r->caliper = o->nn.caliper;
      rc = o->distance == PEIL_DISTANCE_MAHALANOBIS ? match_mahalanobis(d, o, r)
                                                    : nearest_in_strata(d, distance, o, r);
      if (!rc) rc = pair_weights(d, r, !o->nn.replace);
      break;
    case PEIL_MATCH_EXACT:
    case PEIL_MATCH_CEM:
      rc = match_exact_strata(d, o, r->subclass, &r->nsubclass);
      if (!rc && o->exact_ratio) {
        r->ratio = o->exact_ratio;
        size_t nt = 0;
        r->treated_unit = peil_alloc_large(d->n_treated, sizeof *r->treated_unit);
        r->pairs = peil_alloc_large(d->n_treated * r->ratio + 1, sizeof *r->pairs);
        if (!r->treated_unit || !r->pairs) rc = peil_error(PEIL_ENOMEM, "out of memory");
        if (!rc) rc = match_random_pairs(d, r->subclass, r->nsubclass, r->ratio, o->nn.seed,
                                         r->treated_unit, &nt, r->pairs);
        r->n_treated = nt;
        if (!rc) rc = pair_weights(d, r, 1);
      } else if (!rc) {
        rc = match_stratum_weights(d, r->subclass, r->nsubclass, o->estimand, r->weight, &one_sided);
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) kept = r->subclass[i] + 1 > (int64_t)kept ? (size_t)r->subclass[i] + 1 : kept;
        r->nsubclass = kept;
        if (!rc && kept == 0)
          rc = peil_error(PEIL_EDATA, "no %s stratum has both treated units and controls",
                          method_name(o->method));
        if (!rc && one_sided)
          rc = add_warning(r, "%zu of %zu strata have only treated units or only controls; their "
                           "units stay unmatched", one_sided, one_sided + kept);
      }
      break;
    case PEIL_MATCH_SUBCLASS: {
      double *bounds = r->bounds = malloc((o->subclasses + 1) * sizeof *bounds);
      r->nbounds = o->subclasses + 1;
      if (!bounds) rc = peil_error(PEIL_ENOMEM, "out of memory");
      if (!rc) rc = match_subclasses(d, distance, r->discarded, o->estimand, o->subclasses, r->subclass, bounds);
      if (!rc) rc = match_stratum_weights(d, r->subclass, o->subclasses, o->estimand, r->weight, &one_sided);
      if (!rc && one_sided)
        rc = add_warning(r, "%zu of %zu subclasses have only treated units or only controls; their "
                         "units stay unmatched (use fewer subclasses)", one_sided, o->subclasses);
      r->nsubclass = o->subclasses - one_sided;
      break;
    }
    }
  if (rc) {
    peil_match_result_free(r);
    return rc;
  }
  *out = r;
  return PEIL_OK;
}
