/* peil run: running one section of a plan. A section writes its tables
 * (disclosure-controlled) into the run's output directory, and beside them
 * two hidden files the run gathers at the end: its audit entries and a
 * summary (timing, rows, tables, notes) for the manifest. A section reads
 * only the store and the row stores of the sections it names (from = ...),
 * so sections can run in any order their references allow, in one process
 * or several, with the same output. */
#ifndef PEIL_CLI_RUN_EXEC_H
#define PEIL_CLI_RUN_EXEC_H

#include "run_plan.h"

typedef struct {
  const char *outdir;      /* the temporary output directory */
  const char *rowsdir;     /* private: person-date rows of cohorts other sections read */
  peil_disclosure_rules rules;
  int threads;             /* per section, 0: one per core */
} run_env;

/* Makes the [data] tables (joins) in env->rowsdir/data.h5, once per run,
 * before any section. */
int run_data_tables(const run_plan *p, const run_env *env);

/* Runs section k. Errors name the section. */
int run_section_exec(const run_plan *p, size_t k, const run_env *env);

/* "<dir>/<prefix><name><suffix>" in buf: the hidden files and row stores. */
const char *run_file(char *buf, size_t len, const char *dir, const char *prefix, const char *name,
                     const char *suffix);

/* ---- The tables of each kind of section (run_tables_*.c). A table comes
 * with its additive structure for secondary suppression (none: only
 * primary suppression). At most four dimensions (a cohort's paths: date,
 * stratum level and two moments) and two column sums (a co-occurrence:
 * n_a and n_b). */
#define RUN_MAX_DIMS 4
#define RUN_MAX_SUMS 2
/* A cell that shows a number other cells of the section show too: the
 * same id ("pop|all|pooled|Rotterdam|duration=12-24") is the same number. */
typedef struct {
  size_t row, col;
  char *id;
} run_link;

typedef struct {
  peil_rtable *table;
  run_link *links;
  size_t nlinks;
  peil_disclosure_dimension dims[RUN_MAX_DIMS];
  peil_disclosure_column_sum sums[RUN_MAX_SUMS];
  size_t ndims, nsums;
  char *text[2 * (RUN_MAX_DIMS + RUN_MAX_SUMS)]; /* copies of the names: results are freed first */
} run_table;

typedef struct {
  run_table *v;
  size_t n;
  int64_t rows_read, rows_used;  /* for the manifest */
  char **notes;                  /* section notes for the manifest and report */
  size_t nnotes;
} run_tables;

/* A new table `<section>` or `<section>_<part>` appended to out. */
int run_tables_new(run_tables *out, const run_section *s, const char *part, const char *title,
                   peil_rtable **t);
void run_tables_free(run_tables *out);
/* Declares key column `column` of the last table a dimension whose total
 * rows say "Total" (for secondary suppression); _total: say `total`. */
int run_tables_dimension(run_tables *out, const char *column);
int run_tables_dimension_total(run_tables *out, const char *column, const char *total);
/* Declares count column `total` of the last table the sum of the count
 * columns `parts` ("work,ww,other") in every row. */
int run_tables_column_sum(run_tables *out, const char *total, const char *parts);
/* Says that the cell of column `column` in the last row of the last table
 * is the number `id`: a count or n that other cells of the section's
 * tables show too (a population in several tables, a row total repeated
 * as a denominator). Cells with the same id are suppressed together
 * (run_section_exec controls the tables until they agree). */
int run_tables_link(run_tables *out, const char *column, const char *id);

/* Controls every table of out (replacing each by its controlled copy,
 * linked numbers suppressed together: run_control.c) and makes *audit. */
int run_control_tables(run_tables *out, const run_env *env, peil_disclosure_audit **audit);

/* The six numbers of broom's tidy() (estimate, std_error, statistic,
 * p_value, conf_low, conf_high) as estimate columns resting on the n
 * columns `n`, and a row's values for them (NaN: missing). */
int run_tables_add_tidy(peil_rtable *t, const char *n);
void run_values_tidy(peil_rtable_value *v, double estimate, double std_error, double statistic,
                     double p_value, double conf_low, double conf_high);
/* A real value, missing for NaN. */
peil_rtable_value run_value_real(double x);

int run_tables_glm(const run_section *s, const peil_glm *g, run_tables *out);
int run_tables_crosstab(const run_section *s, const peil_crosstab *x, run_tables *out);
int run_tables_cohort(const run_section *s, const peil_cohort_result *r, run_tables *out);
/* A cohort's paths through three moments, for stratum st (0: all), and its
 * co-occurrences (run_tables_paths.c, run_tables_cooccur.c); the keys every
 * cohort table starts with (subset, date, group), and a date as the date
 * key shows it (POOLED for the pooled dates). */
int run_tables_paths(const run_section *s, const peil_cohort_result *r, size_t st, run_tables *out);
int run_tables_cooccur(const run_section *s, const peil_cohort_result *r, run_tables *out);
int run_cohort_keys(peil_rtable *t);
#define POOLED "pooled"
void run_cohort_date(int32_t d, char buf[16]);
int run_tables_match(const run_section *s, const match_job *j, run_tables *out);
int run_tables_split(const run_section *s, const peil_split_summary *sum, run_tables *out);
int run_tables_test(const run_section *s, const peil_stats_data *data, const peil_test_result *r,
                    run_tables *out);

#endif
