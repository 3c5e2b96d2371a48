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
#include <stdio.h>

#include "peil/core.h"
#include "peil/model.h"
#include "peil/store.h"

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


/* ---- The units of a matching problem, in memory.
 *
 * Loaded from a table of a store: the rows that pass `where` and have a
 * value for the treatment and every variable of the formula (rows dropped
 * for a missing value are counted per variable, never silently). Matching
 * needs every unit at once (sorting, strata), so the columns it uses are
 * held in memory: 10 million units with ten covariates are about 1 GB. */

typedef enum { PEIL_ATT = 0, PEIL_ATC, PEIL_ATE } peil_estimand;

/* One variable of the formula as the data has it. */
typedef struct {
  char *name;         /* the formula's label: "age", "factor(year)", "log(re74 + 1)" */
  int is_factor;      /* categorical: codes, else numeric values */
  size_t nlevels;     /* factors: the levels present in the units, in level order */
  char **levels;
  int32_t *code;      /* factors: level index 0..nlevels-1 of each unit */
  double *x;          /* numeric: the value of each unit */
} peil_match_var;

/* One column of the balance table (MatchIt's covariate columns: a factor
 * as one 0/1 column per level, all levels present, none dropped; a numeric
 * variable as it is). */
typedef struct {
  char *term;         /* MatchIt's row name: "age", "raceblack" */
  int var;            /* index into vars */
  int level;          /* factor level, -1 for a numeric variable */
  int binary;         /* every value is 0 or 1 */
  double *x;          /* n values */
} peil_match_covariate;

typedef struct {
  size_t n;           /* units */
  int64_t *row;       /* each unit's row in the table (0-based) */
  int8_t *treat;      /* 0 or 1 */
  size_t n_treated, n_control;

  size_t nvars;       /* the formula's variables, in order */
  peil_match_var *vars;
  size_t ncov;        /* the balance columns */
  peil_match_covariate *cov;

  size_t nout;        /* outcomes: NaN where missing */
  char **outcome_name;
  double **outcome;

  /* --exact: the stratum of each unit (0..nstrata-1), NULL without. */
  int64_t *stratum;
  size_t nstrata;
  char **stratum_label;   /* "municipality=Amsterdam, year=2019" */
  double *user_distance;  /* distance_column's values, NULL without */

  /* Row accounting: read = filtered + missing + n. */
  int64_t n_read, n_filtered, n_missing;
  size_t nmissing_by;
  char **missing_by;  /* the first missing variable of each dropped row ... */
  int64_t *missing_count; /* ... and how many rows it dropped */
} peil_match_data;

typedef struct {
  const char *formula;            /* "treat ~ age + sex + duration": treatment and covariates */
  const char *where;              /* row filter (peil/expr.h), NULL: all rows */
  const char *const *exact;       /* columns whose combinations are strata (--exact) */
  size_t nexact;
  const char *distance_column;    /* a score the user gives, NULL: none */
  const char *const *outcomes;    /* outcome columns (numeric or 0/1) */
  size_t noutcomes;
  int threads;                    /* threads decoding the store's columns, 0: one per core */
} peil_match_load_options;

/* Reads the units. Errors (exit 2 in the CLI): unknown columns, a treatment
 * that is not 0/1 (naming the first row and value), no treated or no
 * controls, no rows left. */
int peil_match_data_load(peil_store *s, const char *table, const peil_match_load_options *o,
                         peil_match_data **out);
void peil_match_data_free(peil_match_data *d);

/* ---- Matching. */

typedef enum {
  PEIL_MATCH_NEAREST = 0, /* greedy nearest neighbour on the distance (peil_match_nearest) */
  PEIL_MATCH_EXACT,       /* strata of the formula's variables */
  PEIL_MATCH_CEM,         /* coarsened exact: numeric variables binned */
  PEIL_MATCH_SUBCLASS     /* subclasses of the distance's quantiles */
} peil_match_method;

typedef enum {
  PEIL_DISTANCE_GLM = 0,  /* the propensity score of a logit/probit model of the formula */
  PEIL_DISTANCE_GLM_LINEAR, /* its linear predictor (MatchIt's "linear.logit") */
  PEIL_DISTANCE_USER,     /* peil_match_data_load's distance_column */
  PEIL_DISTANCE_MAHALANOBIS /* on the balance columns (nearest neighbour only) */
} peil_distance_kind;

typedef enum {
  PEIL_DISCARD_NONE = 0,
  PEIL_DISCARD_BOTH,      /* units outside [max(min0, min1), min(max0, max1)] */
  PEIL_DISCARD_TREATED,   /* treated units outside the controls' range */
  PEIL_DISCARD_CONTROL    /* controls outside the treated units' range */
} peil_discard;

/* CEM cut points of one numeric variable (the others: Sturges' rule). */
typedef struct {
  const char *variable;
  const double *cuts;     /* ascending */
  size_t ncuts;
} peil_cem_cuts;

typedef struct {
  peil_match_method method;
  peil_estimand estimand;     /* nearest: ATT (or ATC); strata and subclasses: any */
  peil_distance_kind distance;
  const char *link;           /* "logit" (default) or "probit" */
  peil_nn_options nn;         /* ratio, replace, order, seed; nn.caliper absolute */
  double caliper_sd;          /* caliper in SDs of the distance (MatchIt's); NaN: none */
  peil_discard discard;
  size_t subclasses;          /* subclassification: number of subclasses (6) */
  size_t exact_ratio;         /* exact, CEM: 0 keeps whole strata (MatchIt); k draws k controls
                                 per treated unit at random within each stratum (seed nn.seed),
                                 as the STiP report's 1:1 exact matching */
  const peil_cem_cuts *cuts;  /* CEM */
  size_t ncuts;
  int threads;                /* 0: one per core; results do not depend on it */
  int allow_separation;       /* the score model: separation is a warning (the scores of the
                                 units involved go to 0 or 1), not an error, as in R's glm */
} peil_match_options;

void peil_match_options_init(peil_match_options *o);

typedef struct {
  size_t n;
  peil_match_method method;
  peil_estimand estimand;
  double *distance;       /* per unit; NULL for exact and CEM */
  uint8_t *discarded;     /* common support */
  double *weight;         /* matching weights (0: not in the matched sample) */
  int64_t *subclass;      /* stratum, subclass or matched set; -1: none (and always
                             for nearest neighbour with replacement) */
  size_t nsubclass;
  /* Pair matching (nearest neighbour, exact with exact_ratio): n_treated x
   * ratio, in the order of the focal units in the data (the treated; the
   * controls for the ATC): the unit matched to focal unit t in round r at
   * pairs[t * ratio + r], -1 for none; treated_unit[t] is t's unit. */
  size_t ratio, n_treated;
  int64_t *treated_unit;
  int64_t *pairs;
  double caliper;         /* absolute caliper used, NaN: none */
  size_t nbounds;         /* subclassification: the subclasses' boundaries (quantiles) */
  double *bounds;
  double sd_distance;     /* SD of the distance over the units not discarded */
  /* Strata (exact, --exact) that had no treated units or no controls: their
   * units stay unmatched and the run goes on; listed for the report. */
  size_t nwarnings;
  char **warnings;
} peil_match_result;

/* The distance of every unit (d->n values) for o->distance: the GLM kinds
 * fit binomial(o->link) of lo->formula to exactly the units' rows (lo as
 * given to peil_match_data_load; the fit is returned in *fit when fit is
 * not NULL); USER copies d->user_distance. */
int peil_match_distance(peil_store *s, const char *table, const peil_match_data *d,
                        const peil_match_load_options *lo, const peil_match_options *o,
                        double *distance, peil_glm **fit);

/* Matches the units on `distance` (NULL for exact, CEM and Mahalanobis). */
int peil_match_run(const peil_match_data *d, const double *distance,
                   const peil_match_options *o, peil_match_result **out);
void peil_match_result_free(peil_match_result *r);

/* ---- Balance (MatchIt's summary(), cobalt's bal.tab): per balance column,
 * before matching (all units, weight 1) and after (the matching weights).
 *
 * The rules are MatchIt 4.5.1's summary() with its defaults (standardize =
 * TRUE, no interactions), written out in tests/reference/matching/README.md;
 * src/match/balance.c says where MatchIt's code and that text differ. A
 * column is binary when every value over all units is 0 or 1. Sorting is
 * per column (O(n log n), a radix sort), nothing is O(n^2): the mean pair
 * distance within strata is a sweep over sorted values. Sums run in a fixed
 * order (compensated), so results do not depend on the thread count. */

typedef struct {
  double mean_treated, mean_control;
  double std_mean_diff;   /* standardised by the SD of the treated (ATT), of the
                             controls (ATC) or pooled (ATE), of the full sample;
                             the raw difference when it is at most sqrt(DBL_EPSILON) */
  double var_ratio;       /* NaN for binary columns */
  double ecdf_mean, ecdf_max;
  double std_pair_dist;   /* matched only; NaN where not defined (before
                             matching, subclassification) */
} peil_balance_stats;

typedef struct {
  char *term;             /* "distance" for the score, else the covariate's term (a copy) */
  int var, level;         /* as in peil_match_covariate; var -1 for the distance */
  int binary;
  peil_balance_stats all, matched;
} peil_balance_row;

typedef struct {
  double all[2], all_ess[2], matched[2], matched_ess[2], unmatched[2], discarded[2];
} peil_match_sizes;       /* [0] controls, [1] treated */

typedef struct {
  peil_match_method method;   /* the result's, for the reader of the table */
  peil_estimand estimand;
  size_t nrows;
  peil_balance_row *rows;     /* the distance first (when the result has one), then d->cov */
  peil_match_sizes sizes;
  size_t n_imbalanced;    /* covariate rows (not the distance) with matched
                             |std_mean_diff| > 0.1 */
} peil_match_balance;

/* The balance table of result r on the units d, its columns shared by
 * `threads` threads (0: one per core; the figures do not depend on it).
 * Errors: r not of d's units (PEIL_EINVAL), a weight negative or not
 * finite, a pair naming no unit (PEIL_EDATA). */
int peil_match_balance_compute(const peil_match_data *d, const peil_match_result *r, int threads,
                               peil_match_balance **out);
void peil_match_balance_free(peil_match_balance *b);

/* A Love plot of b as a self-contained SVG document written to f: the
 * absolute standardised mean difference of every row before matching (open
 * circle) and after (filled), one line per term in the table's order, the
 * threshold 0.1 dashed; title may be NULL. PEIL_EIO when writing fails. */
int peil_match_love_plot(const peil_match_balance *b, FILE *f, const char *title);

/* ---- Effects on the matched sample. */

typedef enum {
  PEIL_EFFECT_DIFF_MEANS = 0, /* weighted difference in means */
  PEIL_EFFECT_LM_ADJUSTED,    /* coefficient of treat in a weighted lm with the covariates */
  PEIL_EFFECT_GCOMP,          /* treat x covariates, averaged over the target units */
  PEIL_EFFECT_IPW,            /* inverse probability weighting (Hajek) */
  PEIL_EFFECT_AIPW            /* augmented IPW (doubly robust) */
} peil_effect_estimator;

typedef enum {
  PEIL_SE_CLUSTER = 0,    /* CR1 on the pair / stratum / subclass (sandwich::vcovCL, HC1) */
  PEIL_SE_HC1,
  PEIL_SE_HC3,
  PEIL_SE_ABADIE_IMBENS,  /* nearest neighbour with replacement (AI 2006, population) */
  PEIL_SE_BOOTSTRAP,      /* seeded, the matched sets / subclasses resampled */
  PEIL_SE_NONE,
  PEIL_SE_HC0,
  PEIL_SE_MEST,           /* IPW: M-estimation sandwich with the score model stacked */
  PEIL_SE_INFLUENCE       /* AIPW: the influence function, nuisance models as known */
} peil_se_kind;

typedef struct {
  const char *outcome;
  const char *quantity;   /* "effect"; IPW also "mu1", "mu0" (the weighted means) */
  peil_effect_estimator estimator;
  peil_se_kind se;
  double estimate, std_error, statistic, p_value, conf_low, conf_high;
  int64_t n_treated, n_control; /* matched units with the outcome */
  double n_control_eff;   /* (sum w)^2 / sum w^2 of the controls */
  int64_t n_clusters;     /* the subclasses, pairs or strata of the matched units with the
                             outcome (0 without); bootstrap: the clusters resampled (after
                             matching with replacement the matched sets) */
  int64_t n_replicates;   /* bootstrap: replicates with an estimate, else 0 */
} peil_effect_row;

typedef struct {
  double conf_level;      /* 0.95 */
  size_t bootstrap;       /* replicates, 0: none */
  uint64_t seed;
  int threads;            /* 0: one per core; results do not depend on it */
  size_t variance_matches;/* Abadie-Imbens: J, the units of the same group whose outcomes
                             estimate a unit's conditional variance (2, as Stata's
                             teffects nnmatch vce(robust)) */
} peil_effect_options;

void peil_effect_options_init(peil_effect_options *o);

typedef struct {
  size_t nrows;
  peil_effect_row *rows;
  size_t nwarnings;
  char **warnings;
} peil_match_effects;

/* For every outcome, on the units with weight > 0 and the outcome: the
 * weighted difference in means, the regression-adjusted and the
 * g-computation estimate (factors by treatment contrasts, the first level
 * present the reference), each with the standard errors that apply, in this
 * order: CR1 (where every unit has a subclass), HC1, HC3 (NaN where a hat
 * value is 1 to rounding), Abadie-Imbens (difference in means, nearest
 * neighbour with replacement), bootstrap (when o->bootstrap > 0). An
 * estimate that is not defined (g-computation with aliased coefficients)
 * is NaN with a warning. Rows own their outcome string; quantity is
 * static. o NULL: the defaults. */
int peil_match_effects_compute(const peil_match_data *d, const peil_match_result *r,
                               const peil_effect_options *o, peil_match_effects **out);
void peil_match_effects_free(peil_match_effects *e);

/* ---- Outcome trajectories: per outcome (in the order given, e.g. in work
 * at 6, 12, 18, 24 months), the mean of the focal units (the treated; the
 * controls for the ATC) and the weighted mean of the matched others. */
typedef struct {
  const char *outcome;    /* d's name */
  double horizon;         /* the number in the name (in_work_12m: 12), else the position */
  double mean_focal, mean_other;
  int64_t n_focal, n_other; /* matched units with the outcome */
} peil_trajectory_point;

int peil_match_trajectory(const peil_match_data *d, const peil_match_result *r,
                          peil_trajectory_point **out, size_t *n);
/* The trajectory as a self-contained SVG line plot. */
int peil_match_trajectory_svg(const peil_trajectory_point *p, size_t n, FILE *f, const char *title,
                              const char *focal_label, const char *other_label);

/* ---- Weighting on the propensity score ps (probability scale, all
 * units, strictly between 0 and 1): IPW (Hajek) and augmented IPW for the
 * estimand (ATE, ATT or ATC). Per outcome the rows ipw effect (HC0, HC1:
 * the weights as known; MEST: the M-estimation sandwich with the logit
 * score equations of intercept + the formula's variables stacked, which
 * accounts for the estimated score when ps is that model's ML fit), ipw
 * mu1 and mu0 (MEST), aipw effect (INFLUENCE; linear outcome models per
 * group taken as known). */
int peil_match_weighting(const peil_match_data *d, const double *ps, peil_estimand estimand,
                         const peil_effect_options *o, peil_match_effects **out);

#ifdef __cplusplus
}
#endif
#endif
