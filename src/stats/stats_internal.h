/* Internal to the stats module: the result's bookkeeping, input checks
 * and the root finders the exact tests share. */
#ifndef PEIL_STATS_INTERNAL_H
#define PEIL_STATS_INTERNAL_H

#include "peil/stats.h"

/* ---- result.c */

/* Clears r and sets what every test fills: method, alternative, and NaN
 * for every number. */
void stats_result_start(peil_test_result *r, const char *method, const peil_test_options *o,
                        int has_alternative);
/* k estimates with the names given (printf format, the index 1..k as its
 * one argument when `numbered`); PEIL_ENOMEM. */
int stats_result_estimates(peil_test_result *r, size_t k, const char *name, int numbered);
/* Estimate i's name. */
int stats_result_rename(peil_test_result *r, size_t i, const char *name);
/* ngroups groups of n (and x, or NaN); n_total is their sum. */
int stats_result_groups(peil_test_result *r, size_t ngroups, const double *n, const double *x);
int stats_result_nulls(peil_test_result *r, size_t k, const double *v, const char *name);
int stats_result_warn(peil_test_result *r, const char *msg);
/* The options or R's defaults when o is NULL, after checking conf_level
 * and the alternative. */
int stats_options(const peil_test_options *o, peil_test_options *out);

/* Is v a whole number >= 0 (within R's 1e-7)? */
int stats_is_count(double v);

/* ---- zeroin.c: roots of a continuous f on [lo, hi] with f(lo), f(hi) of
 * opposite signs. */
typedef double (*stats_fn)(double t, void *ctx);
/* R's uniroot(f, c(lo, hi)) with its default tol (DBL_EPSILON^0.25) and
 * 1000 iterations: Brent's zeroin, step for step, so the root is R's. */
int stats_uniroot(stats_fn f, void *ctx, double lo, double hi, double *root);
/* The root to full precision (GSL's Brent solver, relative 1e-13). */
int stats_root_precise(stats_fn f, void *ctx, double lo, double hi, double *root);

/* ---- wilcox_exact.c */
/* Counts of the rank-sum statistic W = 0..q for samples of m and n without
 * ties (R's cwilcox recursion): c[k] for k <= q. */
int stats_wilcox_counts(size_t m, size_t n, size_t q, double *c);

#endif
