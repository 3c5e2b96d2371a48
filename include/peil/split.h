/* peil/split.h: episodes split for piecewise-constant hazard models.
 *
 * peil_split_write turns the spells of one table (bijstand) into benefit
 * episodes, follows each from its start (or the data's start) to its end
 * or the censoring date, and writes one row per piece of follow-up: the
 * pieces between the duration cut points (`period`, days since the
 * episode's start) and before and after the start of a time-varying
 * treatment (`treated`, from a programme table). `event` is 1 on the last
 * piece of an episode that ends in the event (a job starting within W
 * days of its last day, or any end). A Poisson GLM of event on period,
 * treated and covariates with offset(log(exposure)) on this table is the
 * piecewise-constant (daily) hazard model of DOMAIN.md section 4 (seed
 * 003); its exponentiated coefficients are hazard ratios. The table is
 * what R's survSplit + tmerge make of the same episodes (docs/split.md).
 *
 * The split is part of the cohort module (src/cohort/split*.c): it reads
 * the spell tables with the cohort engine's reader, a person at a time in
 * rin order, so memory is a block per table and a chunk of output rows
 * whatever the number of persons. Its options have a header of their own
 * because they are one unit that the CLI (peil split) and the batch runner
 * ([split NAME] sections) fill key by key with peil_split_options_set. */
#ifndef PEIL_SPLIT_H
#define PEIL_SPLIT_H

#include "peil/core.h"
#include "peil/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Not a day: no treatment end, no censoring date, no left truncation. */
#define PEIL_SPLIT_NEVER INT32_MAX

/* The options. Every field has a key of the same name (docs/split.md);
 * peil_split_options_set parses a key's text and is the way the CLI and
 * INI sections fill them. Strings are owned by the struct (malloc'ed;
 * freed by peil_split_options_free); programs may set the plain numbers
 * directly. */
typedef struct {
  char *spells;            /* "TABLE [where COND]": the spells that make episodes (bijstand) */
  int gap;                 /* spells at most `gap` days apart are one episode (0: adjacent
                              ones; -1 "none": every spell an episode of its own) */
  char *event;             /* "ended" (any end) or "TABLE [where COND]": the episode ends
                              and a spell of TABLE starts within the window below (jobs) */
  int within_from, within_to; /* that window, days after the episode's last day (1..31) */
  int32_t *cuts;           /* duration cut points in days, increasing, positive */
  size_t ncuts;            /* (91, 182, 273, 365, 547) */
  char *treatment;         /* "TABLE [where COND]" or NULL: the time-varying treatment */
  int treatment_end;       /* -1 "stays": treated to the end of follow-up; k >= 0: untreated
                              again from k + 1 days after the programme's last day */
  int32_t data_start;      /* the data's first day: follow-up starts no earlier (delayed
                              entry); PEIL_NA_DATE ("data"): the store's (root attribute
                              data_start, or sim_from), none when it does not say;
                              PEIL_SPLIT_NEVER ("none"): from the episode's start */
  int32_t data_end;        /* the data's last day: follow-up is censored there; PEIL_NA_DATE
                              ("data"): the store's (data_end, sim_to). The keys are named
                              as peil cohort's, which mean the same coverage */
  char *where;             /* a filter on episodes (their columns: docs/split.md), or NULL */
  int age_min, age_max;    /* keep episodes with age at the start in [min, max]; -1: no limit */
  int32_t *age_cuts;       /* the classes of age_class, in years (27, 35, 45, 55) */
  size_t nage_cuts;
  int covariates_all;      /* "all" (default): every person column (but rin and the birth
                              date), age, age_class and year if there is a birth date,
                              earlier if there is a treatment */
  char **covariates;       /* else these ("none": no names): person columns and the */
  size_t ncovariates;      /* computed age, age_class, year, earlier */
  char *persons;           /* the person table (persons) */
  char *birth_date;        /* its birth-date column (birth_date) */
  char *table;             /* the name of the table written (episodes) */
  int replace;             /* "force": replace a table of that name */
  int threads;             /* 0: one per core; 2 or more: one thread compresses and writes */
  /* Called after every block of persons with the persons done and the total. */
  void (*progress)(void *arg, int64_t done, int64_t total);
  void *progress_arg;
} peil_split_options;

/* The defaults (the seed 003 model's bands on bijstand, exit to a job of
 * table jobs within 31 days). */
int peil_split_options_init(peil_split_options *o);
void peil_split_options_free(peil_split_options *o);

/* Sets one key from its text, as a [split NAME] section or the CLI's long
 * option of the same name gives it ('-' and '_' are the same: the INI key
 * treatment_end is --treatment-end). PEIL_EINVAL with a message that names
 * the key and says what it takes; the option keeps its value then. */
int peil_split_options_set(peil_split_options *o, const char *key, const char *value);
/* The keys, NULL-terminated, for listings and the batch runner. */
const char *const *peil_split_option_keys(void);

/* Counts by period and treatment: the raw rates. */
typedef struct {
  int64_t pieces, events, exposure; /* exposure in days */
} peil_split_cell;

typedef struct {
  char *table;               /* the table written */
  int32_t follow_start;      /* the follow-up window used: no earlier than follow_start */
  int32_t follow_end;        /* (PEIL_NA_DATE: from the episode's start), no later than
                                follow_end (PEIL_NA_DATE: no censoring date) */
  int32_t data_end;          /* the store's data end, for the event window (PEIL_NA_DATE:
                                unknown; then follow_end) */
  int64_t n_persons;         /* persons read */
  int64_t n_persons_out;     /* persons with at least one piece */
  int64_t n_spells;          /* spells of the episode table read (of persons, matching) */
  int64_t n_episodes;        /* episodes found */
  int64_t n_outside;         /* episodes with no day in the follow-up window */
  int64_t n_filtered;        /* episodes the where filter removed */
  int64_t n_age;             /* episodes outside the age range (or with no age) */
  int64_t n_kept;            /* episodes written */
  int64_t n_truncated;       /* of those, followed from the data's start (began earlier) */
  int64_t n_ended;           /* of those, ending within the follow-up */
  int64_t n_censored;        /* of those, censored */
  int64_t n_events;          /* of those, ending in the event */
  int64_t n_unobserved;      /* ended without the event, but its window runs past data_end */
  int64_t n_treated;         /* episodes with treated follow-up */
  int64_t n_treated_events;  /* of those, ending in the event */
  int64_t n_pieces;
  int64_t exposure;          /* days */
  size_t nperiods;
  char **periods;            /* "0-91", ..., "547+" */
  peil_split_cell *cells;    /* [period * 2 + treated] */
  size_t ntables;            /* the spell tables read, and their rows whose rin is not a */
  char **tables;             /* person's (ignored) */
  int64_t *orphans;
  double seconds;
} peil_split_summary;

/* Reads the persons and spell tables of `in` and writes the split table
 * into `out` (a writable store: PEIL_STORE_UPDATE or _CREATE; it may be a
 * copy of the same file), under a temporary name renamed when complete: on
 * failure `out` holds what it held. Bad input (an unknown table or column,
 * an unsorted table, an open spell with no censoring date) gives PEIL_EINVAL,
 * PEIL_ENOTFOUND, PEIL_ETYPE, PEIL_EEXIST or PEIL_EDATA with a message that
 * names table, column and row. summary may be NULL; else free it with
 * peil_split_summary_free. */
int peil_split_write(peil_store *in, peil_store *out, const peil_split_options *o,
                     peil_split_summary *summary);
void peil_split_summary_free(peil_split_summary *summary);

/* Checks the options against `in` without reading the spells (the same
 * errors as peil_split_write before its pass) and describes the table it
 * would write in *columns (free with peil_table_info_free): for checking
 * what later analyses of the episodes use. */
int peil_split_check(peil_store *in, const peil_split_options *o, peil_table_info **columns);

#ifdef __cplusplus
}
#endif
#endif
