/* peil/cohort.h: populations at reference dates and what became of them.
 *
 * A cohort is defined by a spec (one [cohort NAME] section of an INI file;
 * the keys are documented in docs/cohort.md): a population (the stock of a
 * spell table on each reference date, the inflow into it, or the exits from
 * it), groups to compare (a column of the spell table, e.g. municipality),
 * subsets (also in another status on the date, e.g. an SRG provision),
 * outcomes at horizons (in a status k months later, ever in a window,
 * months in a status), strata (benefit duration, age band, any categorical
 * column) and a correction for population mix by regression.
 *
 * peil_cohort_run makes one pass over the persons and their spells (all
 * tables sorted by rin and start, as peil simulate writes them), counting
 * per group, stratum, horizon and outcome, and writing one row per person
 * and reference date to a row table when the correction (or the user) needs
 * it; the correction then fits a linear probability model and/or a logit
 * per subset, stratum, outcome and horizon with peil_glm_fit, SEs clustered
 * on the person, and standardises over the population (margins). */
#ifndef PEIL_COHORT_H
#define PEIL_COHORT_H

#include "peil/core.h"
#include "peil/spec.h"
#include "peil/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct peil_cohort_spec peil_cohort_spec;

/* An empty spec named `name`; keys are set one by one (as a spec file or the
 * batch runner gives them), then peil_cohort_spec_finish checks the whole. */
int peil_cohort_spec_new(const char *name, peil_cohort_spec **out);
/* Sets one key; errors name file:line (file may be NULL). */
int peil_cohort_spec_set(peil_cohort_spec *s, const char *key, const char *value,
                         const char *file, int line);
/* Checks that the keys fit together and fills in defaults. */
int peil_cohort_spec_finish(peil_cohort_spec *s);
void peil_cohort_spec_free(peil_cohort_spec *s);
const char *peil_cohort_spec_name(const peil_cohort_spec *s);

/* Every [cohort NAME] section of a spec file, finished. Other section types
 * are errors naming the line. */
int peil_cohort_spec_load(const char *path, peil_cohort_spec ***specs, size_t *n);
void peil_cohort_specs_free(peil_cohort_spec **specs, size_t n);

typedef struct {
  int threads;            /* regressions: 0 = one per core */
  const char *rows_path;  /* also keep the person-date rows in this store (table "rows") */
  int64_t part_persons;   /* the pass splits the persons among the threads in parts of at
                             least this many (0: 50,000); the result does not depend on it */
} peil_cohort_options;

void peil_cohort_options_init(peil_cohort_options *o);

/* One cell of the outcome table: the person-dates of a subset on a date (or
 * pooled over dates), in a group and a stratum level, and an outcome at a
 * horizon. n counts those observed; censored those whose horizon lies past
 * the end of the data (never counted as 0). mean = sum / n: the share for a
 * 0/1 outcome, the mean for a count (months in work). */
typedef struct {
  size_t subset;     /* index into subsets */
  int32_t date;      /* reference date, or PEIL_NA_DATE for pooled */
  size_t group;      /* index into groups */
  size_t stratum;    /* index into strata (0 is "all") */
  size_t level;      /* level of the stratum (0 for "all") */
  size_t outcome;    /* index into outcomes */
  int horizon;       /* months (window outcomes: the end of the window) */
  int64_t n, censored;
  double sum, mean;
} peil_cohort_cell;

/* The population: person-dates per subset, date (or pooled), group and
 * stratum level, with the level's share of the group. */
typedef struct {
  size_t subset;
  int32_t date;
  size_t group, stratum, level;
  int64_t n;
  double share;      /* n / n of the group in stratum "all" */
} peil_cohort_pop;

/* A corrected share: an adjusted mean of the outcome per group (is_diff 0)
 * or its difference to the reference group (is_diff 1), from marginal
 * standardisation over the cell's population; delta-method SEs clustered
 * on the person. */
typedef struct {
  size_t subset, stratum, level, outcome;
  int horizon;
  const char *model; /* "lpm" or "logit" */
  size_t group;
  int is_diff;
  double estimate, std_error, statistic, p_value, conf_low, conf_high;
  int64_t n;         /* person-dates in the fit (per group for estimates) */
} peil_cohort_adjusted;

typedef struct {
  char *name;
  int64_t nlevels;
  char **levels;
} peil_cohort_stratum;

typedef struct {
  char *name;        /* "still_6"-style names are built as outcome + "_" + horizon */
  char *definition;  /* the spec's text */
  int binary;        /* 0/1 outcome (shares) or a count (means) */
  int window;        /* ever/months/first: one horizon, the window's end */
  int window_from, window_to; /* the window A..B, months after the clock date
                                 (negative: before it); 0 for others */
  char *family;      /* first ...: the spec's outcome this is a category of, else NULL */
  char *category;    /* its category: "0-3", "none", a level of the by column */
} peil_cohort_outcome;

/* Transitions between states (state.NAME, transitions = 0, 12[, 24]): the
 * person-dates of a cell (as in the outcome table) by their state at
 * moment `step` and at moment step + 1. Every pair of states has an entry
 * (a full matrix); share = n / the person-dates in `from` at moment
 * `step`. Only person-dates observed at every moment are counted. */
typedef struct {
  size_t subset;
  int32_t date;
  size_t group, stratum, level;
  size_t step;       /* 0: moments 0 -> 1; 1: moments 1 -> 2 */
  size_t from, to;   /* indexes into states */
  int64_t n;
  double share;
} peil_cohort_transition;

/* With three moments, the paths through them (non-empty ones only);
 * share = n / the cell's person-dates observed at every moment. */
typedef struct {
  size_t subset;
  int32_t date;
  size_t group, stratum, level;
  size_t state[3];
  int64_t n;
  double share;
} peil_cohort_path;

/* A co-occurrence (cooccur.NAME = TABLE.COLUMN ...): the levels of COLUMN. */
typedef struct {
  char *name, *definition;
  size_t nlevels;
  char **levels;
} peil_cohort_cooccurrence;

/* Of the person-dates of a cell that have level a, those that also have
 * level b: share = n_ab / n_a (the diagonal is n_a / n_a). Entries exist
 * for the levels that occur in the cell. */
typedef struct {
  size_t cooccurrence, subset;
  int32_t date;
  size_t group, stratum, level;
  size_t a, b;
  int64_t n_a, n_ab;
  double share;
} peil_cohort_cooc_cell;

typedef struct {
  char *name;               /* the spec's section name */
  char *population;         /* "stock of bijstand on the reference date", ... */
  char *clock;              /* "calendar" or "event" */
  int32_t data_start, data_end;
  size_t ndates;
  int32_t *dates;
  size_t nsubsets;
  char **subsets;           /* "all" first */
  char **subset_definitions;
  size_t ngroups;
  char **groups;
  char *group_column;       /* NULL: one group "all" */
  size_t reference_group;
  size_t nstrata;           /* stratum 0 is "all" with one level "all" */
  peil_cohort_stratum *strata;
  size_t noutcomes;
  peil_cohort_outcome *outcomes;
  size_t nhorizons;
  int *horizons;

  size_t ncells;
  peil_cohort_cell *cells;
  size_t npop;
  peil_cohort_pop *pop;
  size_t nadjusted;
  peil_cohort_adjusted *adjusted;
  char **covariates;        /* of the correction */
  size_t ncovariates;

  size_t nmoments;          /* transitions: 0, 2 or 3 moments */
  int moments[3];           /* months after the clock date */
  size_t nstates;           /* the spec's states, then the rest */
  char **states;
  size_t ntransitions;
  peil_cohort_transition *transitions;
  size_t npaths;
  peil_cohort_path *paths;
  size_t ncooccurrences;
  peil_cohort_cooccurrence *cooccurrences;
  size_t ncooc_cells;
  peil_cohort_cooc_cell *cooc_cells;

  int64_t n_persons;        /* persons read */
  int64_t n_persons_in;     /* persons in the population on at least one date */
  int64_t n_rows;           /* person-dates (population rows, all subsets) */
  int64_t n_orphan_spells;  /* spell rows whose rin is not in the persons table */
  size_t nwarnings;
  char **warnings;
  double seconds_scan, seconds_correct;
} peil_cohort_result;

int peil_cohort_run(peil_store *s, const peil_cohort_spec *spec, const peil_cohort_options *o,
                    peil_cohort_result **out);
void peil_cohort_result_free(peil_cohort_result *r);

/* Checks a finished spec against the store without reading the spells:
 * its tables, columns, conditions, levels and coverage, as peil_cohort_run
 * would before its scan (the same errors). On success *rows describes the
 * person-date row table a run writes with --rows (free it with
 * peil_table_info_free): what later analyses of the rows may use. */
int peil_cohort_check(peil_store *s, const peil_cohort_spec *spec, peil_table_info **rows);

/* ---- A person-month panel (docs/cohort.md, "A person-month panel").
 *
 * peil_panel_write materialises, for users who want one, the table cohort
 * queries never need: one row per person of the person table (in rin
 * order) and calendar month, with a 0/1 column per spell table (in that
 * status in that month) and, on request, the value of a categorical column
 * of the spell that counts. One pass over the persons and the spell tables
 * (sorted by rin and start), rows appended in blocks: memory does not grow
 * with the number of persons. */

/* Which days of a month count: a spell overlapping any day of the month,
 * covering its first or its last day, or (1..31) covering that day, clamped
 * to the month's length (31 = the last day). */
enum { PEIL_PANEL_AT_ANY = 0, PEIL_PANEL_AT_FIRST = -1, PEIL_PANEL_AT_LAST = -2 };

typedef struct {
  const char *const *tables;  /* spell tables: one int8 0/1 column each, named after it */
  size_t ntables;
  const char *const *values;  /* "TABLE.COLUMN": categorical columns of those tables, */
  size_t nvalues;             /* written as enum columns TABLE_COLUMN */
  int32_t from, to;           /* any day of the first and the last month; PEIL_NA_DATE:
                                 the store's coverage (data_start/data_end, sim_from/sim_to) */
  int at;                     /* PEIL_PANEL_AT_ANY (default), _FIRST, _LAST or a day 1..31 */
  int keep_any;               /* only rows with at least one status 1 */
  const char *persons;        /* the person table (NULL: "persons") */
  const char *table;          /* the panel's name (NULL: "panel") */
  int replace;                /* replace a table of that name (else PEIL_EEXIST) */
  int threads;                /* 0: one per core; 2 or more: one thread compresses and writes
                                 the panel (peil_table_write_behind) while the caller's reads
                                 the spells and makes the rows; 1: all on the caller's */
  /* Called after every block of persons with the persons done and the total. */
  void (*progress)(void *arg, int64_t done, int64_t total);
  void *progress_arg;
} peil_panel_options;

void peil_panel_options_init(peil_panel_options *o);
/* "any", "first", "last" or a day "1".."31" into *at; PEIL_EINVAL otherwise. */
int peil_panel_parse_at(const char *s, int *at);

typedef struct {
  char *table;               /* the panel's name */
  int32_t from, to;          /* first days of the first and the last month */
  size_t nmonths;
  int64_t n_persons, n_rows; /* persons read, rows written */
  size_t ntables;
  int64_t *ones;             /* per table: rows with status 1 */
  int64_t *orphans;          /* per table: spell rows whose rin is not in the person table
                                (ignored) */
  double seconds;
} peil_panel_summary;

/* Writes the panel into s (a writable store: PEIL_STORE_UPDATE) under a
 * temporary name and renames it when complete; on failure the temporary
 * table is dropped and s holds what it held before (an existing panel is
 * replaced only at the end). Bad input gives PEIL_EINVAL, PEIL_ENOTFOUND,
 * PEIL_ETYPE, PEIL_EEXIST or PEIL_EDATA (an unsorted table, a spell that
 * ends before it starts) with a message naming table, column and row.
 * summary may be NULL; else free it with peil_panel_summary_free. */
int peil_panel_write(peil_store *s, const peil_panel_options *o, peil_panel_summary *summary);
void peil_panel_summary_free(peil_panel_summary *summary);

#ifdef __cplusplus
}
#endif
#endif
