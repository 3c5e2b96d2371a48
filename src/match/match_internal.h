/* Internal to the match module: the pieces peil_match_run puts together. */
#ifndef PEIL_MATCH_INTERNAL_H
#define PEIL_MATCH_INTERNAL_H

#include "peil/match.h"

/* ---- levels.c */

/* qsort's comparison of doubles, ascending (no NaN). */
int match_cmp_double(const void *a, const void *b);

/* The distinct values of x[0..n), ascending, in *levels (malloc'd, *nlevels
 * of them), and code[i] the index of x[i] among them. No NaN in x. */
int match_distinct(const double *x, size_t n, double **levels, size_t *nlevels, int32_t *code);
/* Refines strata id (0..*nstrata-1) by a further code per unit: the new
 * strata are the (id, code) pairs present, numbered in sorted order. */
int match_strata_refine(int64_t *id, const double *code, size_t n, size_t *nstrata);

/* ---- strata.c */

/* Exact and CEM strata: the --exact strata refined by every variable of
 * the formula (CEM: numeric variables binned by o->cuts or Sturges). */
int match_exact_strata(const peil_match_data *d, const peil_match_options *o, int64_t *id,
                       size_t *nstrata);
/* Subclasses 0..nsub-1 from the quantiles (type 7) of the target group's
 * distances; bounds gets the nsub + 1 boundaries; discarded units: -1. */
int match_subclasses(const peil_match_data *d, const double *dist, const uint8_t *discarded,
                     peil_estimand e, size_t nsub, int64_t *id, double *bounds);
/* MatchIt's stratum weights (README of tests/reference/matching). Strata
 * without treated units or without controls are dropped (id -1, weight 0)
 * and counted in *n_one_sided; the others are renumbered 0, 1, ... */
int match_stratum_weights(const peil_match_data *d, int64_t *id, size_t ns, peil_estimand e,
                          double *w, size_t *n_one_sided);
/* k controls per treated unit drawn at random within each stratum (seeded,
 * one stream per stratum): focal_of[t] is the t-th treated unit (data
 * order), pairs[t * k + j] its j-th control or -1. */
int match_random_pairs(const peil_match_data *d, const int64_t *id, size_t ns, size_t k,
                       uint64_t seed, int64_t *focal_of, size_t *nfocal, int64_t *pairs);

/* ---- love_plot.c: text in the plots' SVG, XML's special characters
 * escaped and control characters (not allowed in XML 1.0) as spaces;
 * trajectory.c's plot uses it too. */
void match_svg_text(FILE *f, const char *s);

/* ---- mahalanobis.c */

/* Greedy 1:k nearest neighbour on the Mahalanobis distance of the balance
 * columns (pooled within-group covariance), within d->stratum; fills
 * r->n_treated, treated_unit and pairs (r->ratio set). */
int match_mahalanobis(const peil_match_data *d, const peil_match_options *o, peil_match_result *r);

#endif
