/* Internal to the sim module: the per-person output buffers, the person's
 * state during the monthly process, the precomputed run ("world") and the
 * per-thread scratch. docs/simulation.md describes the model itself. */
#ifndef PEIL_SIM_INTERNAL_H
#define PEIL_SIM_INTERNAL_H

#include <math.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "peil/sim.h"

/* Spell tables, in the order of sim_out.t[]. */
enum { T_BIJSTAND = 0, T_WW, T_JOBS, T_SRG, T_PROG, T_NSPELL };

/* Labour-market states of the monthly process. */
enum { ST_B = 0, /* on bijstand, not working */
       ST_W,     /* in a job */
       ST_U,     /* on WW */
       ST_O,     /* out: neither benefit nor work (moved, partner, ...) */
       ST_END }; /* reached the pension age: nothing more happens */

/* Codes of the categorical columns (the label arrays in sim.h). */
enum { HH_SINGLE_PARENT = 1 };
enum { CONTRACT_AGENCY = 1 };
enum { EXIT_WORK = 0, EXIT_DROPOUT, EXIT_PLANNED, EXIT_OTHER };

#define SIM_OPEN INT32_MAX    /* end of a spell that is still running */
#define SIM_RIN_BASE 100000001LL /* rin = SIM_RIN_BASE + person index */
#define SIM_PENSION_AGE 67    /* bijstand ends; the person leaves the process */
#define SIM_MAX_CANDIDATES 10000

/* One spell of any table; the fields a table does not use stay 0. */
typedef struct {
  int32_t start, end; /* days since 1970-01-01; end SIM_OPEN while running */
  int32_t employer;   /* jobs */
  int16_t hours;      /* jobs: contractual hours per week */
  int8_t k1;          /* bijstand: municipality; jobs: contract; srg: code;
                         programme: exit reason */
  int8_t k2;          /* jobs: sector */
} sim_spell;

typedef struct {
  sim_spell *v;
  size_t n, cap;
} sim_spells;

typedef struct {
  int8_t city, female, mig, edu, hh;
  int32_t birth;      /* date */
  double eta;         /* unobserved employability e = z - far_gap * F */
} sim_person;

/* Everything simulated for one person, merged into the tables in person
 * order after each block. */
typedef struct {
  int64_t index;
  sim_person person;
  sim_spells t[T_NSPELL];
  int treated;
  int32_t prog_start;
  int8_t y1[PEIL_SIM_NHORIZON], y0[PEIL_SIM_NHORIZON]; /* -1: beyond the window */
  int candidates;
  int failed; /* out of memory inside the parallel region */
  /* Pilot run (hidden_bias != 0): sums over the months at risk of entry of
   * the entry odds w and of w exp(hidden_bias * e). */
  double pilot_w, pilot_wx;
} sim_out;

/* The person's state between months. */
typedef struct {
  int state;
  int city;         /* municipality of residence */
  int m_spell;      /* month the current state's spell began (bijstand: the
                       benefit spell, not reset by a move) */
  int birth_m;      /* month index of birth */
  double lp_job;    /* the person's fixed part of the job-finding lp */
  double lp_oth;    /* ... of the other-exit lp */
  double lp_prog;   /* ... of the programme-entry logit */
  int contract, m_job;
  uint32_t work_mask; /* bit k: worked in the month k months ago (bit 0 = now) */
  int work_total;     /* months worked in the simulated life */
  int ww_left;        /* WW months still to go */
  int srg_code;       /* -1 when no provision runs */
  int prog;           /* 0 not (yet), 1 in the programme, 2 done */
  int prog_m_start;
  int32_t prog_planned_end;
  int no_programme;   /* the counterfactual path: never treated */
  int snap_pending;   /* programme entered this month: take the snapshot */
  int open[T_NSPELL]; /* index of the running spell per table, -1 none */
  /* This month's hazards. They change only when an age or duration band,
   * the municipality, the contract or the programme status changes, so
   * they are recomputed only when `hkey`, which packs all of those, does. */
  int64_t hkey;
  double h1, h2;      /* B: job, other exit; W: job end; U: job; O: job, and
                         re-entry before the calendar trend (an upper bound) */
  double ready;       /* B: job readiness for the SRG step */
  double p_srg;       /* B: start of an SRG provision */
  int64_t pkey;       /* B: the programme entry has its own key (it depends
                         on recent work, which changes monthly after a job) */
  double p_prog;      /* B: programme entry (0 when not eligible) */
  double h_drop;      /* programme drop-out: fixed per person */
} sim_state;

/* Precomputed for the run, read-only while persons are simulated. */
typedef struct {
  const peil_sim_params *p;
  int m_first, m_last; /* months simulated: history start .. month of `to` */
  int m_from;          /* month of `from` */
  int32_t *mstart;     /* first day of month m at [m - m_first], one past the end */
  gsl_ran_discrete_t *entry_month;
  gsl_ran_discrete_t *city, *mig[PEIL_SIM_NCITY], *edu[2], *hh[2];
  gsl_ran_discrete_t *contract[2]; /* from benefit / job to job */
  gsl_ran_discrete_t *sector[2];   /* other / agency work */
  gsl_ran_discrete_t *srg[2];      /* unready / ready */
  int pilot;                       /* the pilot run: no programme, sums only */
  double hidden_shift;             /* added to the entry logit with hidden bias */
} sim_world;

/* Per-thread generators and scratch. */
typedef struct {
  gsl_rng *main;  /* the person's stream */
  gsl_rng *sub;   /* the month's event stream */
  gsl_rng *snap;  /* copy of `main` when the programme starts */
  unsigned long month_seed;
  int sub_ready;
  sim_state snap_state;
  int snap_month;
  sim_out cf;     /* copy of the output at the programme start */
} sim_thread;

/* stream.c: the seed of person `index`'s stream, distinct for every index
 * of one run (a keyed bijection of the index). */
unsigned long sim_stream_seed(uint64_t seed, uint64_t index);

/* world.c */
int sim_world_init(sim_world *w, const peil_sim_params *p);
void sim_world_free(sim_world *w);
static inline int32_t sim_month_start(const sim_world *w, int m) {
  return w->mstart[m - w->m_first];
}
static inline int sim_month_len(const sim_world *w, int m) {
  return (int)(w->mstart[m - w->m_first + 1] - w->mstart[m - w->m_first]);
}
int sim_month_of(int32_t day); /* months since 1970-01 */

/* spells.c: growable spell vectors. */
int sim_spells_push(sim_spells *s, const sim_spell *x); /* 0 or -1 (no memory) */
void sim_out_clear(sim_out *o);
int sim_out_copy(sim_out *dst, const sim_out *src);
void sim_out_free(sim_out *o);
/* Frees the buffers that grew beyond max_cap spells: without this, every
 * buffer slot of a block would creep up to the longest history it ever
 * held, and memory would grow (slowly) with the number of persons. */
void sim_out_trim(sim_out *o, size_t max_cap);
/* Opens a spell in table t at `start`; closes the running one at `end`. */
int sim_open(sim_state *st, sim_out *o, int t, int32_t start, int8_t k1);
void sim_close(sim_state *st, sim_out *o, int t, int32_t end);

/* population.c: draws a candidate (person, entry, history before entry). */
int sim_draw_candidate(sim_thread *th, const sim_world *w, int last_try, sim_state *st,
                       sim_out *o, int *m_entry);
/* Job attributes drawn from r (contract table 0: from benefit, 1: job to job). */
int sim_start_job(gsl_rng *r, const sim_world *w, sim_state *st, sim_out *o, int32_t day,
                  int from_job);

/* dynamics.c: the months (m_begin .. m_end) of one path. */
int sim_run_months(sim_thread *th, const sim_world *w, sim_state *st, sim_out *o,
                   const sim_person *ps, int m_begin, int m_end, int counterfactual);
/* The month's event stream, seeded on first use (see dynamics.c). */
gsl_rng *sim_sub(sim_thread *th);
/* A day of month m, uniform, from the event stream. */
int32_t sim_draw_day(sim_thread *th, const sim_world *w, int m);
int sim_age_band(const sim_state *st, int m);
int sim_dur_band(int months);
static inline double sim_cloglog(double lp) { return -expm1(-exp(lp)); }
static inline double sim_logistic(double x) { return 1.0 / (1.0 + exp(-x)); }

/* srg.c and programme.c: the month's steps while on bijstand. */
int sim_srg_step(sim_thread *th, const sim_world *w, sim_state *st, sim_out *o, int m, double u);
int sim_programme_step(sim_thread *th, const sim_world *w, sim_state *st, sim_out *o, int m,
                       double u);
/* Programme entry is possible in month m (not yet treated, not the
 * counterfactual, window open, below the age limit). */
int sim_programme_eligible(const sim_world *w, const sim_state *st, int m);
/* The monthly entry probability of an eligible person. */
double sim_programme_entry(const sim_world *w, const sim_state *st, int m);
/* Closes a running programme spell at `end` with reason `why`. */
void sim_programme_close(sim_state *st, sim_out *o, int32_t end, int why);

/* person.c: one person, start to end, including the counterfactual. */
void sim_person_simulate(sim_thread *th, const sim_world *w, int64_t index, sim_out *o);
/* Does a job spell of o cover `day`? */
int sim_in_work(const sim_out *o, int32_t day);

/* writer.c: the tables. */
typedef struct sim_writer sim_writer;
int sim_writer_open(peil_store *s, sim_writer **out);
int sim_writer_add_block(sim_writer *wr, const sim_out *outs, size_t n);
int sim_writer_finish(sim_writer *wr, peil_sim_report *rep);
void sim_writer_free(sim_writer *wr);
int sim_write_attributes(peil_store *s, const peil_sim_params *p, const peil_sim_report *rep);

#endif
