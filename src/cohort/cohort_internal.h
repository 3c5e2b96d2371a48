/* Internal to the cohort module: the parsed spec, the per-person view of the
 * spell tables, and the passes over them. */
#ifndef PEIL_COHORT_INTERNAL_H
#define PEIL_COHORT_INTERNAL_H

#include "peil/cohort.h"
#include "peil/expr.h"

typedef enum { POP_STOCK, POP_INFLOW, POP_EXIT } pop_kind;
typedef enum { CLOCK_DEFAULT = -1, CLOCK_CALENDAR = 0, CLOCK_EVENT = 1 } clock_kind;
typedef enum { OUT_ON, OUT_NONE, OUT_EVER, OUT_MONTHS, OUT_FIRST } outcome_kind;

/* "TABLE [where EXPR]": a spell of TABLE (satisfying EXPR) covers the day. */
typedef struct {
  char *table;
  char *where; /* NULL: every spell */
} status_def;

typedef struct {
  char *name, *text;
  int line;
  outcome_kind kind;
  status_def st;        /* ON, EVER, MONTHS */
  int same;             /* ON: in the same group as on the reference date */
  char **none_tables;   /* NONE: in none of these tables */
  size_t nnone;
  int from, to;         /* EVER, MONTHS, FIRST: the window A..B as written, months
                           after the clock date (negative: before it; FIRST: A >= 0) */
  int *bins;            /* FIRST: inner cut points (months), from < bins < to */
  size_t nbins;
  char *by;             /* FIRST: a categorical column of the table instead of bins */
} outcome_def;

/* A named status: a subset of the population, or a state of the transitions. */
typedef struct {
  char *name, *text;
  int line;
  status_def st;
} subset_def;

/* cooccur.NAME = TABLE.COLUMN [A..B] [where C]: which levels of COLUMN a
 * member has among the spells of TABLE (satisfying C) that overlap the
 * window (months after the clock date), or that cover the entry day. */
typedef struct {
  char *name, *text;
  int line;
  status_def st;
  char *column;
  int window, from, to;
} cooccur_def;

/* A list of names from the spec with the line that gave it. */
typedef struct {
  char **v;
  size_t n;
  int line;
} name_list;

typedef struct {
  int *v;
  size_t n;
  int line;
} int_list;

struct peil_cohort_spec {
  char *name;
  char *file;          /* for messages; NULL when set programmatically */
  int line;            /* of the section */
  int finished;

  pop_kind pop;
  int pop_set;
  char *spells;        /* the population's spell table */
  char *group;         /* group column of that table; "" = none; NULL = default */
  int group_line;
  name_list groups;    /* restriction and order of the groups */
  char *reference_group;
  int reference_line;
  int32_t *dates;
  size_t ndates;
  int dates_step;      /* months between dates of a series, 0 for a list */
  int dates_line;
  int period;          /* inflow: months after each date (0: the spacing of the dates) */
  int32_t exit_from, exit_to; /* exit: the window the spell must end in (NA: any) */
  int_list since_cuts; /* exit: months since the end */
  clock_kind clock;
  int_list horizons;
  subset_def *subsets;
  size_t nsubsets;
  outcome_def *outcomes;
  size_t noutcomes;
  name_list strata;
  int_list duration_cuts;
  int_list age_cuts;
  int episode_gap;     /* days between spells that still make one episode */
  name_list covariates;
  int covariates_set;
  int correct_lpm, correct_logit;
  name_list correct_within;
  name_list correct_outcomes; /* empty: every 0/1 outcome */
  int by_date;
  char *persons;       /* person table (one row per rin) */
  char *birth_date;    /* its birth date column */
  int32_t data_start, data_end; /* NA: from the store's attributes */
  name_list exclusive; /* tables whose spells may not overlap within a person */
  subset_def *states;  /* transitions: the states, first match wins */
  size_t nstates;
  char *state_other;   /* the name of "none of the states" */
  int_list transitions; /* 2 or 3 moments, months after the clock date */
  cooccur_def *cooccur;
  size_t ncooccur;
};

/* Definitions with a grammar of their own (spec_defs.c). */
int cohort_add_subset(peil_cohort_spec *s, int line, const char *name, const char *value);
int cohort_add_outcome(peil_cohort_spec *s, int line, const char *name, const char *value);
int cohort_add_state(peil_cohort_spec *s, int line, const char *name, const char *value);
int cohort_add_cooccur(peil_cohort_spec *s, int line, const char *name, const char *value);
void cohort_defs_free(peil_cohort_spec *s);
/* Shared value parsers (spec.c). */
int cohort_parse_int(const char *s, long lo, long hi, int *out);
int cohort_valid_name(const char *n);

/* "2018-01-01..2022-01-01 every 6 months" or "2018-01-01, 2019-07-01". */
int cohort_parse_dates(const char *value, int32_t **dates, size_t *n, int *step);
/* "A..B" months after the clock date, -COHORT_MAX_MONTHS <= A < B <=
 * COHORT_MAX_MONTHS (a negative A looks back before it). */
#define COHORT_MAX_MONTHS 1200
int cohort_parse_window(const char *s, int *from, int *to);
/* A spec error: "FILE:LINE: [cohort NAME] message"; with no spec (the
 * panel) just the message. */
int cohort_spec_error(const peil_cohort_spec *s, int line, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- The per-person view of the spell tables. */

/* One spell as the engine sees it: the end of an open spell is INT32_MAX
 * (it runs past the end of the data); bits holds the results of the
 * conditions (where EXPR) attached to its table. */
typedef struct {
  int32_t start, end;
  int32_t group;     /* code of the group column (population table), else -1 */
  int32_t attr;      /* row index into the table's attribute block, for strata */
  uint32_t bits;
} spell;

#define COHORT_MAX_CONDITIONS 32

/* A spell table read in rin order, with the person's rows gathered. */
typedef struct {
  char *name;
  peil_scan *scan;
  peil_table_info *info;
  int has_group;           /* reads the group column */
  char *group_col;
  /* slots of the scan's columns */
  size_t slot_rin, slot_start, slot_end, slot_group, *slot_attr;
  int rin64;
  size_t ncond;
  peil_expr *cond[COHORT_MAX_CONDITIONS];
  char *cond_text[COHORT_MAX_CONDITIONS];
  size_t nattr;            /* extra enum columns read per spell (strata, first ... by, cooccur) */
  char **attr_name;
  int exclusive;           /* spells may not overlap within a person */
  int64_t rin_begin, rin_end; /* the rins of this engine's part of the persons: a row
                                 outside them means the table is not sorted */
  /* the current block */
  peil_block blk;
  size_t pos;
  int eof;
  double *condbuf;         /* per row of the block */
  uint32_t *rowbits;
  size_t rowbits_cap;
  int64_t last_rin, last_row;
  int32_t last_start;
  /* this person's spells */
  spell *sp;
  size_t nsp, cap;
  int32_t *attrs;          /* nattr values per spell */
  size_t attrs_cap;
  int64_t orphans;
} spell_table;

int spell_table_open(spell_table *t, peil_store *st, const char *name, const char *group_col,
                     const peil_cohort_spec *spec);
/* Also reads the categorical column `column` of every spell (before
 * spell_table_start); *idx receives its index among the spell's attributes. */
int spell_table_add_attr(spell_table *t, const char *column, const peil_cohort_spec *spec,
                         int line, size_t *idx);
/* Adds a condition; *bit receives its bit (conditions with equal text share one). */
int spell_table_add_condition(spell_table *t, const char *where, const peil_cohort_spec *spec,
                              int line, int *bit);
/* Starts scanning (after every condition has been added). */
int spell_table_start(spell_table *t, peil_store *st);
/* Gathers the spells of person `rin` (rows with a smaller rin are orphans). */
int spell_table_gather(spell_table *t, int64_t rin);
void spell_table_close(spell_table *t);

/* Status queries on one person's spells (sorted by start). */
/* The spell with the latest start among those that overlap the days
 * [a, b] (matching `bit` unless bit < 0, in `group` unless group < 0), or
 * -1. With several, the latest start is the one that counts (a move: the
 * new municipality), the last row among equal starts. */
long spells_latest(const spell_table *t, int32_t a, int32_t b, int bit, int32_t group);
/* The covering spell of day d with the latest start: spells_latest(d, d). */
long spells_covering(const spell_table *t, int32_t d, int bit, int32_t group);
/* spells_latest(lo[k], hi[k], -1, -1) for k = 0..n-1 into which[k], for
 * ranges in order that do not overlap (the months of a panel), in one pass
 * over the spells. */
void spells_latest_each(const spell_table *t, const int32_t *lo, const int32_t *hi, size_t n,
                        long *which);
/* Does a spell (matching bit) overlap the days [a, b]? */
int spells_overlap(const spell_table *t, int32_t a, int32_t b, int bit);
/* First day of the episode that contains spell i: spells that follow each
 * other with at most `gap` days between them are one episode. */
int32_t spells_episode_start(const spell_table *t, size_t i, int gap);
/* The spell (matching bit) with the first day in [a, b], that day in *day;
 * of spells that both run on that day, the later start. -1: none. */
long spells_first(const spell_table *t, int32_t a, int32_t b, int bit, int32_t *day);
/* The rin of row i of a person-table block (rin in column `slot`, int64 or
 * int32); PEIL_EDATA naming the table and row unless it is above *last
 * (one row per person, sorted by rin), which it then becomes. */
int cohort_person_rin(const peil_block *b, size_t slot, int rin64, size_t i, const char *table,
                      int64_t *last, int64_t *rin);
/* Full months from a to b (the largest m with add_months(a, m) <= b). */
int cohort_months_between(int32_t a, int32_t b);
/* The same with b split once into its parts (a reference date is the b of
 * every member on that date). */
typedef struct {
  int32_t day;
  int y, m, d;
  int last;          /* the last day of its month */
} cohort_day;
void cohort_day_split(int32_t d, cohort_day *out);
int cohort_months_until(int32_t a, const cohort_day *b);


/* ---- The engine of one run. */

/* A categorical variable of strata and covariates. Levels end with
 * "(missing)" for person-dates where the value is unknown (tables show that
 * level only when it is not empty; regressions drop those rows). */
typedef enum { VAR_DURATION, VAR_AGE, VAR_SINCE, VAR_PERSON, VAR_SPELL } var_source;

typedef struct {
  char *name;
  var_source source;
  size_t index;      /* VAR_PERSON: slot in the person scan; VAR_SPELL: attribute index */
  const int *cuts;   /* DURATION, AGE, SINCE */
  size_t ncuts;
  size_t nlevels;    /* including "(missing)" */
  char **levels;
} cat_var;

/* An outcome at one horizon: a column of the row table and a slot of the counts. */
typedef struct {
  size_t outcome;    /* in the result (a "first" outcome is one per level) */
  size_t def;        /* in the spec */
  int horizon;       /* months; window outcomes: the window's end (B of A..B) */
  char *column;      /* "still_6", or the outcome's name for a window outcome */
  int table, bit;    /* ON, EVER, MONTHS, FIRST: the table and its condition bit (-1: none) */
  int *none_tables;  /* NONE */
  size_t nnone;
  /* FIRST: 1 when the first day in the window with a spell lies in months
   * [bin_lo, bin_hi) after the clock, or (by COLUMN) when that spell's
   * attribute `attr` has code `code`; `none`: no spell in the window. */
  int bin_lo, bin_hi, none;
  size_t attr;
  int32_t code;      /* -1: bins */
  uint8_t censored_sides; /* CENSORED_* seen in the pass, for the warning */
} outcome_slot;

/* A co-occurrence being counted: counts[cell][a][b]. */
typedef struct {
  int table, bit;
  size_t attr;       /* the column among the table's spell attributes */
  size_t nlevels;
  int64_t *counts;
  int64_t censored, observed;
  int censored_sides;
  uint8_t *seen;     /* per level, for one member */
  size_t *lv;        /* the levels one member has */
} cooc_state;

typedef struct cohort_rows cohort_rows;

typedef struct {
  const peil_cohort_spec *spec;
  peil_store *store;
  peil_cohort_result *res;
  int32_t data_start, data_end;

  peil_scan *persons;
  size_t slot_rin, slot_birth;
  /* The part of the persons this engine counts when threads split them
   * (run.c): rows of the person table, and their rins [rin_begin, rin_end)
   * (one engine: 0 .. 0, every rin; its scan is not restricted). */
  int64_t person_begin, person_end;
  int64_t rin_begin, rin_end;
  int persons_rin64, need_birth;

  size_t ntables;    /* tables[0] is the population's */
  spell_table *tables;
  int *subset_table, *subset_bit; /* per spec subset */

  size_t nvars;
  cat_var *vars;
  size_t *stratum_var;  /* per result stratum (0 = all): the variable, or SIZE_MAX */
  size_t *level_base;   /* per stratum: its first index in the flat level axis */
  size_t nlevels_flat;
  size_t *covariate_var;
  size_t ncov;

  int32_t *group_of_code; /* group column code -> group index, -1 excluded */
  size_t ngroup_codes;

  size_t nslots;
  outcome_slot *slots;

  /* counts: [subset][date or pooled][group][flat level][slot][n, censored, sum] */
  double *counts;
  int64_t *popcount; /* [subset][date or pooled][group][flat level] */
  int64_t no_group;   /* members whose spell has no group value */
  int32_t *cal;       /* dates[d] + k months, k = mink..maxk: the calendar clock's days */
  cohort_day *date_parts; /* the reference dates, split */
  int mink, maxk;     /* mink <= 0 <= maxk */
  /* transitions (transitions.c) */
  size_t nstates;     /* the spec's states and the rest (last) */
  int *state_table, *state_bit;
  size_t npaths;      /* nstates ^ moments */
  int64_t *trans;     /* [cell][path] */
  int64_t trans_censored, trans_observed;
  int trans_censored_sides;
  /* co-occurrences (cooccur.c) */
  cooc_state *cooc;
  size_t ncooc;
  cohort_rows *rows;  /* --rows: person-dates */
  cohort_rows *cells; /* the correction's collapsed rows */
} cohort_engine;

int cohort_vars_resolve(cohort_engine *E);
/* The level of variable v for a person-date (nlevels - 1 = missing). */
size_t cohort_var_level(const cohort_engine *E, const cat_var *v, const peil_block *person,
                        size_t prow, int32_t duration_months, const cohort_day *ref_day,
                        int32_t since_months, const int32_t *spell_attrs);
void cohort_vars_free(cohort_engine *E);

/* The index of a spell table among the engine's, opened if new (run.c);
 * with a status, also its condition's bit (-1: none). */
int cohort_use_table(cohort_engine *E, const char *name, int line, int *idx);
int cohort_use_status(cohort_engine *E, const status_def *st, int line, int *table, int *bit);

/* The member being counted, as transitions and co-occurrences see it. */
typedef struct {
  int32_t entry;     /* the day subsets are read */
  int32_t clock;     /* the day horizons count from */
  int date;          /* index of the reference date when clock is that date, else -1 */
} cohort_member;

/* clock + k months (the calendar clock's days are computed once per date). */
int32_t cohort_plus_months(const cohort_engine *E, const cohort_member *m, int k);

/* Censoring: a status read on a day outside the data's coverage is not
 * known, whichever side. cohort_censored gives 0 when the days [a, b] lie
 * within [data_start, data_end], else the sides they leave it on. */
enum { CENSORED_LEFT = 1, CENSORED_RIGHT = 2 };
int cohort_censored(const cohort_engine *E, int32_t a, int32_t b);
/* The reason for a warning, e.g. "the window starts before the data's
 * start, 2015-01-01": `left` and `right` say what lies outside on each
 * side ("the window starts", "the horizon lies"). */
void cohort_censored_why(const cohort_engine *E, int sides, const char *left, const char *right,
                         char *buf, size_t n);

/* The outcome slots of the spec's outcomes and the result's outcomes (outcomes.c). */
int cohort_outcomes_setup(cohort_engine *E);
/* An outcome slot's value for a member: 0/1 or a count; *censored (the
 * CENSORED_* sides) when a day it reads lies outside the data. */
double cohort_outcome_value(const cohort_engine *E, const outcome_slot *sl, const cohort_member *m,
                            int32_t group_code, uint8_t *censored);

int cohort_scan(cohort_engine *E);
/* After the pass (and the merge of the threads' counts): warnings about
 * orphans and missing groups, and the error of an empty population. */
int cohort_scan_finish(cohort_engine *E);
/* The number of cells of the counts: subsets x (dates + pooled) x groups x
 * flat levels; and the cell of an entry of the population table. */
size_t cohort_ncells(const cohort_engine *E);
size_t cohort_pop_cell(const cohort_engine *E, const peil_cohort_pop *p);
/* The cells (flat indexes of popcount) a member is counted in: per subset
 * it is in, the date and pooled, per stratum its level. */
size_t cohort_member_cells(const cohort_engine *E, size_t di, size_t g, const uint8_t *in,
                           const size_t *level, size_t *cells);

/* Transitions between states (transitions.c). */
int cohort_transitions_setup(cohort_engine *E);
/* Allocates the counters once the cells are known. */
int cohort_transitions_start(cohort_engine *E);
void cohort_transitions_count(cohort_engine *E, const cohort_member *m, const size_t *cells, size_t nc);
int cohort_transitions_build(cohort_engine *E);
void cohort_transitions_free(cohort_engine *E);

/* Co-occurrences of categories (cooccur.c). */
int cohort_cooccur_setup(cohort_engine *E);
int cohort_cooccur_start(cohort_engine *E);
void cohort_cooccur_count(cohort_engine *E, const cohort_member *m, const size_t *cells, size_t nc);
int cohort_cooccur_build(cohort_engine *E);
void cohort_cooccur_free(cohort_engine *E);

/* The data's coverage from the store's root attributes data_start and
 * data_end, else sim_from and sim_to (peil simulate): fills *start and *end
 * where they are PEIL_NA_DATE and the store says; leaves them NA where it
 * does not. */
void cohort_store_coverage(peil_store *st, int32_t *start, int32_t *end);

/* A table written under a temporary name (partial.c): a free name
 * ".NAME.partial[K]" in *tmp (malloc'ed), and when the writing is done
 * (rc the status of the writing, the table's writer released) the table
 * installed under `name` (replacing one of that name) or, on failure,
 * dropped with the failure's message kept. Returns the final status. */
int cohort_partial_name(peil_store *st, const char *name, char **tmp);
int cohort_partial_install(peil_store *st, const char *tmp, const char *name, int rc);

/* The row tables (rows.c): person-dates ("rows", --rows), or the
 * correction's rows collapsed per person and row of X ("cells"). */
int cohort_rows_open(cohort_engine *E, peil_store *st, const char *table, int collapse,
                     cohort_rows **out);
int cohort_rows_add(const cohort_engine *E, cohort_rows *r, int64_t rin, int32_t date,
                    size_t group, const uint8_t *in_subset, const size_t *level,
                    const double *value, const uint8_t *censored);
int cohort_rows_end_person(const cohort_engine *E, cohort_rows *r);
int cohort_rows_finish(const cohort_engine *E, cohort_rows *r);
/* Appends every row of `table` in `st` (the rows another thread wrote for
 * the persons after this one's). */
int cohort_rows_append(const cohort_engine *E, cohort_rows *r, peil_store *st, const char *table);
void cohort_rows_free(cohort_rows *r);

int cohort_correct(cohort_engine *E, peil_store *cells_store, const peil_cohort_options *o);

/* A formatted copy (no length limit), NULL when out of memory (run.c). */
char *cohort_dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cohort_result_add_warning(peil_cohort_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
