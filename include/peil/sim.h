/* peil/sim.h: a synthetic G4 register extract with a known programme effect.
 *
 * Real CBS microdata never leave CBS, so every test, benchmark and demo of
 * peil runs on this extract. peil_sim_run() writes, into an open writable
 * store, the tables an analyst would link inside the CBS environment:
 *
 *   persons    rin, municipality, birth_date, sex, migration, education, household
 *   bijstand   rin, start, end, municipality      social assistance spells
 *   ww         rin, start, end                    unemployment insurance spells
 *   jobs       rin, start, end, employer, contract, hours, sector   (Polis-like)
 *   srg        rin, code, start, end              municipal re-integration provisions
 *   programme  rin, start, end, exit_reason       a subsidised-job-style programme
 *   truth      rin, start, in_work_K_treated/_control for K = 6, 12, 18, 24
 *
 * and, as root attributes, the exact sample ATT of the programme on "in work
 * K months after the start", every parameter, the seed and a provenance
 * string. The data-generating process, its parameter values and the
 * calibration it reaches are documented in docs/simulation.md.
 *
 * Determinism: every person has their own GSL random stream derived from
 * (seed, person index), and the output is merged in person order, so the
 * store's tables are bitwise identical for a seed whatever the thread count.
 *
 * The `truth` table is the answer key for scoring estimators: it holds
 * counterfactual outcomes no register could contain. Analyses must never
 * use it as data.
 */
#ifndef PEIL_SIM_H
#define PEIL_SIM_H

#include "peil/core.h"
#include "peil/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Sizes of the categorical variables (labels below, in code order). */
#define PEIL_SIM_NCITY 4      /* municipality */
#define PEIL_SIM_NSEX 2       /* sex */
#define PEIL_SIM_NMIG 7       /* migration background */
#define PEIL_SIM_NEDU 4       /* education */
#define PEIL_SIM_NHH 5        /* household type */
#define PEIL_SIM_NCONTRACT 5  /* job contract type */
#define PEIL_SIM_NSECTOR 10   /* SBI section of the employer */
#define PEIL_SIM_NSRG 10      /* SRG provision code */
#define PEIL_SIM_NEXIT 4      /* programme exit reason */
#define PEIL_SIM_NAGE 7       /* age bands used by the hazards (not a column) */
#define PEIL_SIM_NDUR 5       /* benefit-duration bands used by the hazards */
#define PEIL_SIM_NOUTDUR 4    /* time-since-exit bands (re-entry hazard) */
#define PEIL_SIM_NHORIZON 4   /* outcome horizons of the known truth */

extern const char *const peil_sim_city_levels[PEIL_SIM_NCITY];
extern const char *const peil_sim_sex_levels[PEIL_SIM_NSEX];
extern const char *const peil_sim_migration_levels[PEIL_SIM_NMIG];
extern const char *const peil_sim_education_levels[PEIL_SIM_NEDU];
extern const char *const peil_sim_household_levels[PEIL_SIM_NHH];
extern const char *const peil_sim_contract_levels[PEIL_SIM_NCONTRACT];
extern const char *const peil_sim_sector_levels[PEIL_SIM_NSECTOR];
extern const char *const peil_sim_srg_levels[PEIL_SIM_NSRG];
extern const char *const peil_sim_exit_levels[PEIL_SIM_NEXIT];
/* Labels of the hazard bands, for the parameter listing. */
extern const char *const peil_sim_age_band_labels[PEIL_SIM_NAGE];
extern const char *const peil_sim_dur_band_labels[PEIL_SIM_NDUR];
extern const char *const peil_sim_outdur_band_labels[PEIL_SIM_NOUTDUR];
/* The horizons: 6, 12, 18, 24 months after the programme start. */
extern const int peil_sim_horizons[PEIL_SIM_NHORIZON];

/* All parameters of a run. Fill with peil_sim_params_default(), then change
 * what you need. Model parameters are documented with their default values
 * in docs/simulation.md and listed by peil_sim_params_text(); "cloglog"
 * coefficients act on the log of a monthly hazard intensity
 * (h = 1 - exp(-exp(lp))), "logit" ones on log odds. */
typedef struct {
  /* ---- The run. */
  int64_t persons;      /* persons in the extract; default 10000 */
  uint64_t seed;        /* default 1 */
  int32_t from, to;     /* data window, days since 1970-01-01;
                           default 2015-01-01 .. 2023-12-31 */
  int threads;          /* OpenMP threads; 0 = all cores (default) */
  int block;            /* persons simulated per block; 0 = 16384 (default).
                           Memory grows with it; the output does not depend
                           on it, nor on `threads` */
  const char *command;  /* the command line, for the provenance attribute */

  /* ---- The programme and its known effect. */
  double effect;        /* log hazard ratio of the monthly job-finding intensity
                           while in the programme (cloglog shift); default 0.8 */
  double hidden_bias;   /* X: logit coefficient of programme entry on the
                           unobserved employability e; 0 = selection on
                           observables only (default). The entry constant is
                           shifted so that X changes who enters, not how many
                           (a pilot run, docs/simulation.md §6) */
  double prog_months;   /* planned length of a programme spell in months (12) */
  double prog_const;    /* logit of monthly entry at the reference levels */
  double prog_age[PEIL_SIM_NAGE];  /* logit, by age band: younger join more */
  double prog_edu[PEIL_SIM_NEDU];  /* logit, by education: more educated more */
  double prog_dur[PEIL_SIM_NDUR];  /* logit, by benefit duration: shorter more */
  double prog_work;     /* logit per unit of months worked in the last 24 / 24 */
  double prog_city[PEIL_SIM_NCITY];
  double prog_age_max;  /* no entry from this age on */
  double prog_drop_const; /* cloglog monthly drop-out ("uitval") */
  double prog_drop_eta;   /* cloglog: employability lowers drop-out */

  /* ---- Who enters bijstand. */
  double history_years; /* years of inflow simulated before `from` */
  double inflow_trend;  /* yearly relative decline of the inflow (log scale) */
  double city_share[PEIL_SIM_NCITY];
  double female_share;
  double mig_share[PEIL_SIM_NCITY][PEIL_SIM_NMIG];  /* per municipality */
  double edu_share_western[PEIL_SIM_NEDU];    /* Nederlands, Westers */
  double edu_share_nonwestern[PEIL_SIM_NEDU]; /* the other five */
  double hh_share_man[PEIL_SIM_NHH];
  double hh_share_woman[PEIL_SIM_NHH];
  double entry_age_a, entry_age_b; /* age at entry = 18 + 47 * Beta(a, b) */
  double far_share;     /* entrants far from the labour market: employability */
  double far_gap;       /* e = z - far_gap for them, e = z for the others, z ~ N(0, 1) */
  double prior_job_share;   /* entrants whose job ended just before entry */
  double prior_job_months;  /* mean length of that job (geometric) */

  /* ---- Leaving bijstand (monthly cloglog hazards). */
  double job_const;
  double job_eta;                     /* unobserved employability, N(0, 1) */
  double job_age[PEIL_SIM_NAGE];
  double job_female;
  double job_hh[PEIL_SIM_NHH];
  double job_mig[PEIL_SIM_NMIG];
  double job_edu[PEIL_SIM_NEDU];
  double job_city[PEIL_SIM_NCITY];
  double job_dur[PEIL_SIM_NDUR];      /* negative duration dependence */
  double oth_const;                   /* exit to neither work nor benefit */
  double oth_eta;
  double oth_age[PEIL_SIM_NAGE];
  double oth_dur[PEIL_SIM_NDUR];
  double oth_city[PEIL_SIM_NCITY];    /* local policy (checks, enforcement) */
  double move_prob;                   /* monthly move to another G4 city */

  /* ---- Jobs. */
  double contract_from_benefit[PEIL_SIM_NCONTRACT]; /* mix of jobs found from
                                                       benefit or out of work */
  double contract_job_to_job[PEIL_SIM_NCONTRACT];
  double sep_const[PEIL_SIM_NCONTRACT]; /* cloglog monthly job end, by contract */
  double sep_early;                     /* extra in the first 6 months */
  double sep_eta;
  double j2j_const, j2j_eta;            /* logit: next job without a gap */
  double hours_mean[PEIL_SIM_NCONTRACT], hours_sd[PEIL_SIM_NCONTRACT];
  double sector_share[PEIL_SIM_NSECTOR];   /* all contracts but agency work */
  double sector_share_agency[PEIL_SIM_NSECTOR];

  /* ---- After a job: WW, back to bijstand, or out. */
  double ww_base_months;   /* WW entitlement: base + 1 month per year worked */
  double ww_max_months;
  double ww_job_shift;     /* cloglog shift of job finding on WW vs. new bijstand */
  double ww_to_bijstand;   /* logit: bijstand after exhausted WW */
  double back_const;       /* logit: back to bijstand after a job without WW */
  double back_eta;
  double back_single_parent;
  double out_re_const;     /* cloglog monthly re-entry into bijstand when out */
  double out_re_eta;
  double out_re_dur[PEIL_SIM_NOUTDUR];
  double out_job_shift;    /* cloglog shift of job finding out of benefit */

  /* ---- SRG provisions (while on bijstand). */
  double srg_const[PEIL_SIM_NCITY];   /* logit of a monthly start */
  double srg_select[PEIL_SIM_NCITY];  /* logit per unit of job readiness */
  double srg_ready_ref;               /* readiness = job lp - this */
  double srg_mix_ready[PEIL_SIM_NSRG];    /* code mix, readiness > 0 */
  double srg_mix_unready[PEIL_SIM_NSRG];  /* code mix, readiness <= 0 */
  double srg_months[PEIL_SIM_NSRG];       /* mean length in months */
} peil_sim_params;

/* What a run wrote. */
typedef struct {
  int64_t rows_persons, rows_bijstand, rows_ww, rows_jobs, rows_srg, rows_programme,
      rows_truth;
  int64_t candidates; /* histories drawn (persons without bijstand in the window
                         are drawn again: docs/simulation.md) */
  int64_t treated;
  /* Sample ATT on "in work K months after the programme start", over the
   * treated whose horizon lies inside the window, and its n. */
  int64_t att_n[PEIL_SIM_NHORIZON];
  double att[PEIL_SIM_NHORIZON];
  double mean_treated[PEIL_SIM_NHORIZON]; /* mean of Y(1) over the same n */
  double mean_control[PEIL_SIM_NHORIZON]; /* mean of Y(0) */
} peil_sim_report;

void peil_sim_params_default(peil_sim_params *p);

/* PEIL_EINVAL with a message naming the parameter when something is out of
 * range (persons < 1, from >= to, a share < 0, ...). */
int peil_sim_params_check(const peil_sim_params *p);

/* Sets a model parameter by name, for `peil simulate --param KEY=VALUE`:
 * scalars take one number, arrays a comma-separated list of all their
 * values. PEIL_EINVAL for an unknown key or a bad value. */
int peil_sim_params_set(peil_sim_params *p, const char *key, const char *value);

/* Every model parameter as "key = value" lines (the format --param takes,
 * plus the labels of array elements as a comment); malloc'ed. */
char *peil_sim_params_text(const peil_sim_params *p);

/* Simulates and writes every table into `store` (open for writing; the
 * tables must not exist yet) plus the root attributes. `report` may be NULL.
 * The caller commits the store. */
int peil_sim_run(const peil_sim_params *p, peil_store *store, peil_sim_report *report);

#ifdef __cplusplus
}
#endif
#endif
