/* peil/stats.h: statistical tests and intervals, as R's stats package
 * computes them.
 *
 *   proportions    prop.test (1 or k samples, Wilson score interval),
 *                  binom.test (exact, Clopper-Pearson interval)
 *   tables         chisq.test (r x c, Yates for 2 x 2), fisher.test (2 x 2:
 *                  conditional MLE of the odds ratio and its interval)
 *   locations      t.test (Welch or pooled, from data or from summaries),
 *                  wilcox.test (rank sum: exact or normal approximation)
 *
 * Every test is a plain function on numbers that fills one result struct
 * (peil_test_result): method as R names it, statistic, parameter, p-value,
 * estimates, interval, the n per group (or the table's cells) that
 * disclosure control needs, and R's warnings. Statistic, p-value, estimates
 * and interval agree with R 4.2 to 1e-8 relative (tests/reference/stats);
 * docs/tests.md says where peil and R differ (errors where R returns NaN).
 *
 * Readers take the numbers from a table of a store (peil_stats_read_groups,
 * peil_stats_read_table), and peil_stats_run reads and tests in one call:
 * what `peil test` and the batch runner's [test NAME] sections do. */
#ifndef PEIL_STATS_H
#define PEIL_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "peil/core.h"
#include "peil/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  PEIL_TWO_SIDED = 0,
  PEIL_LESS,    /* the true value is less than the null value */
  PEIL_GREATER
} peil_alternative;

/* "two.sided", "less", "greater" (R's names) and back (-1 if unknown). */
const char *peil_alternative_name(peil_alternative a);
int peil_alternative_from_name(const char *name);

/* The options of every test; each test reads the fields it has in R and
 * ignores the others. Start from peil_test_options_init (R's defaults). */
typedef struct {
  peil_alternative alternative; /* PEIL_TWO_SIDED */
  double conf_level;            /* 0.95 */
  int correct;    /* continuity correction: prop, chisq (2 x 2 only), wilcox's
                     normal approximation. 1, as R */
  const double *p; /* prop: null probabilities, one per group; NULL tests
                      equality (k >= 2) or p = 0.5 (k = 1). binom: *p (0.5) */
  size_t np;      /* the number of values at p: k for prop, 1 for binom */
  double mu;      /* t, wilcox: the difference (shift) under the null: 0 */
  int var_equal;  /* t: pooled variance ("Two Sample t-test"); 0: Welch */
  int exact;      /* wilcox: PEIL_EXACT_AUTO (R's rule: both n < 50 and no
                     ties), 1 asks for the exact p-value, 0 for the normal
                     approximation */
  double odds_ratio; /* fisher: the null odds ratio: 1 */
  int precise;    /* fisher: the MLE and interval as exact roots (GSL's Brent
                     solver to 1e-13) instead of R's uniroot, which stops
                     within 1.2e-4 (docs/tests.md) */
} peil_test_options;

#define PEIL_EXACT_AUTO (-1)

void peil_test_options_init(peil_test_options *o);

/* A test's result, owned by the caller: fill with a peil_stats_* test,
 * release with peil_test_result_clear. Numbers R does not report are NaN. */
typedef struct {
  char method[128];           /* as R prints it: "Welch Two Sample t-test" */
  int has_alternative;        /* chisq.test has none */
  peil_alternative alternative;
  const char *statistic_name; /* "X-squared", "t", "W", "number of successes";
                                 NULL for fisher.test */
  double statistic;
  double z;                   /* prop: sign(p1 - p2) sqrt(X-squared) (one
                                 sample: sign(p - p0)), the z statistic;
                                 wilcox's normal approximation: its z */
  const char *parameter_name; /* "df", "number of trials", or NULL */
  double parameter;
  double p_value;
  size_t nestimate;           /* estimates, with R's names ("prop 1", "mean
                                 of x", "odds ratio", ...) */
  double *estimate;
  char **estimate_name;
  double difference;          /* two samples: estimate 1 - estimate 2 (prop,
                                 t); NaN otherwise */
  size_t nnull;               /* null values (R's null.value) */
  double *null_value;
  const char *null_name;      /* "difference in means", "odds ratio", "p", ... */
  double conf_level;          /* NaN when there is no interval */
  double conf_low, conf_high;
  double std_error;           /* t: of the difference (R's stderr) */
  /* The numbers the test rests on, for disclosure control. */
  size_t ngroups;
  double *n;                  /* per group: observations (trials) */
  double *x;                  /* per group: successes (prop, binom), else NaN */
  double n_total;
  size_t nrow, ncol;          /* chisq, fisher: the table, row-major */
  double *observed, *expected, *residuals, *stdres;
  char **warnings;            /* as R warns: "Chi-squared approximation may
                                 be incorrect", ... */
  size_t nwarnings;
} peil_test_result;

void peil_test_result_clear(peil_test_result *r);

/* ---- Tests on numbers. Each returns 0 or a negative PEIL_E* code (bad
 * input: PEIL_EDATA or PEIL_EINVAL, with a message naming the value). The
 * result is cleared first; on failure it holds nothing. */

/* prop.test(x, n, p, alternative, conf.level, correct): k >= 1 groups of
 * x[i] successes in n[i] trials (whole numbers, 0 <= x <= n, n > 0). One
 * group: the score test of p (o->p, default 0.5) with the Wilson interval;
 * two: the test of equality (z = signed root of X-squared) with the
 * interval of p1 - p2 as R gives it; k > 2: the chi-square test, two-sided. */
int peil_stats_prop_test(const double *x, const double *n, size_t k, const peil_test_options *o,
                         peil_test_result *out);

/* binom.test(x, n, p): the exact test with R's two-sided p-value (the
 * outcomes no more likely than x, within a relative 1e-7) and the
 * Clopper-Pearson interval. */
int peil_stats_binom_test(double x, double n, const peil_test_options *o, peil_test_result *out);

/* The intervals alone, for reports of shares: Wilson's score interval (as
 * prop.test for one group; correct: with continuity correction) and
 * Clopper-Pearson's (as binom.test). 0 or PEIL_EDATA. */
int peil_stats_wilson(double x, double n, double conf_level, peil_alternative alt, int correct,
                      double *lo, double *hi);
int peil_stats_clopper_pearson(double x, double n, double conf_level, peil_alternative alt,
                               double *lo, double *hi);

/* chisq.test(m, correct): an nrow x ncol table of counts (row-major, both
 * at least 2). Yates' correction applies to 2 x 2 tables only, as in R.
 * Expected counts, Pearson and standardised residuals come with the result,
 * and R's warning when an expected count is below 5. A row or column whose
 * total is 0 is an error (R returns NaN). */
int peil_stats_chisq_test(const double *counts, size_t nrow, size_t ncol,
                          const peil_test_options *o, peil_test_result *out);

/* fisher.test on the 2 x 2 table {a, b; c, d} (row-major): the exact
 * p-value (two-sided: tables no more likely than the observed one, within a
 * relative 1e-7), the conditional maximum-likelihood odds ratio and its
 * interval. */
int peil_stats_fisher_test(const double table[4], const peil_test_options *o,
                           peil_test_result *out);

/* t.test(x, y, var.equal, mu): Welch's test, or the pooled-variance test
 * with o->var_equal; NaN values are dropped (R's na.rm). */
int peil_stats_t_test(const double *x, size_t nx, const double *y, size_t ny,
                      const peil_test_options *o, peil_test_result *out);

/* A group as summary statistics: mean, standard deviation (n - 1 in the
 * denominator, as R's sd) and size. */
typedef struct {
  double mean, sd, n;
} peil_group_summary;

/* The same test from summaries (no data needed). */
int peil_stats_t_test_summary(const peil_group_summary *x, const peil_group_summary *y,
                              const peil_test_options *o, peil_test_result *out);

/* wilcox.test(x, y, mu, exact, correct): the rank-sum test (W = rank sum of
 * x minus nx(nx + 1)/2, as R reports it); the exact null distribution when
 * asked for (or by R's rule) and there are no ties, else the normal
 * approximation with tie correction (and continuity correction). NaN
 * values are dropped. */
int peil_stats_wilcox_test(const double *x, size_t nx, const double *y, size_t ny,
                           const peil_test_options *o, peil_test_result *out);

/* The exact null distribution of W for samples of m and n without ties:
 * P(W <= q) (lower) or P(W > q) (upper), as R's pwilcox. m, n <= 1000
 * (the counts need m * n * (m + n) / 2 steps). */
int peil_stats_pwilcox(double q, size_t m, size_t n, int upper, double *p);

/* ---- Reading the numbers from a table of a store. */

/* What to read. Rows that fail `where` are filtered out; rows with a
 * missing value in one of the columns used are dropped and counted per
 * column. */
typedef struct {
  const char *value;   /* an expression of the table's columns: a number per
                          row (t, wilcox) or 0/1 (prop, binom) */
  const char *group;   /* a column whose levels are the samples: a category,
                          0/1, a whole number, a date; NULL: one sample */
  const char *const *levels; /* the group's levels to compare, in this
                                order (labels as peil info shows them);
                                NULL: every level present, in level order */
  size_t nlevels;
  const char *rows, *cols;   /* chisq, fisher: the cross-tabulated columns */
  const char *where;
  int binary;          /* the value must be 0 or 1 (prop, binom) */
  int threads;         /* decoding threads of the scan; 0: one per core */
} peil_stats_data_options;

typedef struct {
  /* Rows: read = filtered + missing + other + used. */
  int64_t n_read, n_filtered, n_missing, n_other, n_used;
  size_t nmissing_by;
  char **missing_by;       /* columns or expressions, with their counts */
  int64_t *missing_count;
  /* Samples (peil_stats_read_groups). */
  size_t ngroups;
  char **level;            /* the group's labels ("all" without a group) */
  size_t *n;
  double **values;
  /* A table (peil_stats_read_table): counts, row-major. */
  size_t nrow, ncol;
  char **row_level, **col_level;
  double *count;
} peil_stats_data;

/* The values of o->value per level of o->group. Without o->levels, a
 * group with other than 2 levels in the rows used is an error naming the
 * column and its levels when `two` is set. */
int peil_stats_read_groups(peil_store *s, const char *table, const peil_stats_data_options *o,
                           int two, peil_stats_data **out);
/* The cross-tabulation of o->rows by o->cols (levels present in the rows
 * used, in level order). */
int peil_stats_read_table(peil_store *s, const char *table, const peil_stats_data_options *o,
                          peil_stats_data **out);
void peil_stats_data_free(peil_stats_data *d);

typedef enum {
  PEIL_TEST_PROP = 0,
  PEIL_TEST_BINOM,
  PEIL_TEST_CHISQ,
  PEIL_TEST_FISHER,
  PEIL_TEST_T,
  PEIL_TEST_WILCOX
} peil_test_kind;

/* "prop", "binom", "chisq", "fisher", "t", "wilcox" and back (-1). */
const char *peil_test_kind_name(peil_test_kind k);
int peil_test_kind_from_name(const char *name);

/* Reads what the test needs from the table and runs it: prop (value 0/1
 * by group, or one sample without a group), binom (value 0/1, one sample),
 * chisq and fisher (rows by cols), t and wilcox (value by a two-level
 * group). *data (the numbers read, with the row counts) goes to the
 * caller, also when the test fails on them; NULL when reading failed. */
int peil_stats_run(peil_store *s, const char *table, peil_test_kind kind,
                   const peil_stats_data_options *d, const peil_test_options *o,
                   peil_stats_data **data, peil_test_result *out);

#ifdef __cplusplus
}
#endif
#endif
