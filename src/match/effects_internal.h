/* Shared by the effect estimators of the matching module: the matched
 * sample of one outcome as columns in memory, the regressions on it through
 * peil_glm_fit, the Abadie-Imbens variance and the bootstrap. */
#ifndef PEIL_MATCH_EFFECTS_INTERNAL_H
#define PEIL_MATCH_EFFECTS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "peil/match.h"

/* The units with a matching weight > 0 and the outcome, with the design
 * columns of the covariates: a numeric variable as it is, a factor as 0/1
 * columns of its levels present among these units, the first present one
 * left out (R's treatment contrasts after lm drops unused levels). Every
 * covariate column is centred at its weighted mean over the target units
 * (treated for ATT, controls for ATC, all for ATE): then the coefficient of
 * treat in y ~ treat + x + treat:x is the g-computation estimate, and the
 * coefficient of treat in y ~ treat + x is that of the uncentred model. */
typedef struct {
  size_t n;            /* rows */
  int64_t *unit;       /* each row's unit */
  double *y, *t, *w;   /* outcome, treatment (0/1), matching weight */
  int64_t *cl;         /* cluster 0..ncl-1 (the unit's subclass), NULL when the units have none */
  size_t ncl;
  size_t p;            /* covariate columns */
  double *x;           /* n x p, column-major (leading dimension n), centred */
  double *xbar;        /* p: the centre (weighted mean over the target units) */
  int *xzero;          /* p: x_j is identically 0 after centring (constant): left out */
  int *tzero;          /* p: treat * x_j is identically 0 (x_j constant over the treated
                          and centred there, as for ATT): the interaction is left out */
  char **term;         /* p names as R writes them: "age", "racehispan" */
  size_t n_treated, n_control;
  double n_control_eff;
  peil_estimand estimand;
} eff_sample;

/* The sample of outcome k. A sample without treated units or without
 * controls is returned with n_treated or n_control 0 (no error). */
int eff_sample_build(const peil_match_data *d, const peil_match_result *r, size_t k,
                     eff_sample *s);
void eff_sample_free(eff_sample *s);

/* Is target row i (for the sample's estimand)? */
static inline int eff_is_target(const eff_sample *s, size_t i) {
  return s->estimand == PEIL_ATE || (s->estimand == PEIL_ATT) == (s->t[i] == 1);
}

/* The regressions use a thread per this many rows at most. */
#define EFF_ROWS_PER_THREAD 50000

/* The sample's weighted difference in means (treated minus controls). */
double eff_diff_means(const eff_sample *s);

/* One regression estimate with its standard error from peil_glm_fit on the
 * sample written into a memory store: est is DIFF_MEANS (y ~ treat),
 * LM_ADJUSTED or GCOMP; se is CLUSTER, HC1, HC3 or HC0. NaN where the
 * estimate is not defined (aliased), or for HC3 where a hat value is 1 up
 * to rounding; a note says why (empty otherwise). */
typedef struct eff_store eff_store;
int eff_store_open(const eff_sample *s, eff_store **out);
void eff_store_close(eff_store *st);
int eff_regress(eff_store *st, peil_effect_estimator est, peil_se_kind se, int threads,
                double *estimate, double *std_error, char *note, size_t notelen);

/* Row and warning helpers (effects.c). Rows copy their outcome name;
 * statistic, p-value and interval are filled from estimate and std_error
 * (normal). A warning is added once. */
int eff_add_row(peil_match_effects *e, const peil_effect_row *proto, double conf_level);
void eff_fill_stats(peil_effect_row *row, double conf_level);
int eff_add_warning(peil_match_effects *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Abadie-Imbens standard error of the matching estimator after nearest
 * neighbour matching (abadie_imbens.c). */
int eff_abadie_imbens(const peil_match_data *d, const peil_match_result *r, const double *y,
                      size_t J, double *estimate, double *std_error, int64_t *n_focal,
                      char *note, size_t notelen);

/* Bootstrap standard errors of the three estimators (bootstrap.c): se[est]
 * for est DIFF_MEANS, LM_ADJUSTED, GCOMP; nrep[est] replicates with an
 * estimate; *nclusters the clusters resampled. */
int eff_bootstrap(const peil_match_result *r, const eff_sample *s, const peil_effect_options *o,
                  double se[3], int64_t nrep[3], int64_t *nclusters);

/* Weighted least squares on the sample's rows with weights wr (rows with
 * wr 0 are left out), the covariates centred at their wr-weighted mean over
 * the target units (effects_wls.c): the coefficient of treat in y ~ treat + x
 * (*adjusted) and in y ~ treat + x + treat:x (*gcomp), from one cross
 * product; NaN when not defined (treat aliased; gcomp: any coefficient
 * aliased, as the regression through peil_glm_fit). ws holds
 * eff_wls_ws_size(p) doubles. */
size_t eff_wls_ws_size(size_t p);
void eff_wls_treat(const eff_sample *s, const double *wr, double *ws, double *adjusted,
                   double *gcomp);

#endif
