/* Who enters bijstand, and when: a candidate person with their fixed
 * covariates, the month of their first entry and the job (and WW) that some
 * had just before. All draws here come from the person's own stream. */
#include <math.h>
#include <string.h>

#include "sim_internal.h"

/* Employers: a log-uniform rank in a pool per municipality and sector, so a
 * few employers are large and most are small, as in Polis. */
#define EMPLOYER_POOL 20000
#define EMPLOYER_STRIDE 100000

int sim_start_job(gsl_rng *r, const sim_world *w, sim_state *st, sim_out *o, int32_t day,
                  int from_job) {
  const peil_sim_params *p = w->p;
  int c = (int)gsl_ran_discrete(r, w->contract[from_job ? 1 : 0]);
  double h = round(p->hours_mean[c] + p->hours_sd[c] * gsl_ran_gaussian_ziggurat(r, 1.0));
  if (h < 4) h = 4;
  if (h > 40) h = 40;
  int sec = (int)gsl_ran_discrete(r, w->sector[c == CONTRACT_AGENCY]);
  int32_t rank = (int32_t)floor(exp(gsl_rng_uniform(r) * log((double)EMPLOYER_POOL))) - 1;
  if (sim_open(st, o, T_JOBS, day, (int8_t)c)) return -1;
  sim_spell *s = &o->t[T_JOBS].v[st->open[T_JOBS]];
  s->employer = 1 + (st->city * PEIL_SIM_NSECTOR + sec) * EMPLOYER_STRIDE + rank;
  s->hours = (int16_t)h;
  s->k2 = (int8_t)sec;
  st->contract = c;
  return 0;
}

/* Bit mask of the months worked among the 32 before month m, for a job that
 * ran over months [m_a, m_b]. */
static uint32_t work_bits(int m, int m_a, int m_b) {
  uint32_t mask = 0;
  for (int k = 1; k <= 32; k++) {
    int mm = m - k;
    if (mm >= m_a && mm <= m_b) mask |= 1u << (k - 1);
  }
  return mask;
}

/* The job (and the WW that followed it when the job lasted long enough)
 * that ended just before the entry into bijstand at `day`. */
static int prior_job(gsl_rng *r, const sim_world *w, sim_state *st, sim_out *o, int32_t day,
                     int m) {
  const peil_sim_params *p = w->p;
  unsigned jm = gsl_ran_geometric(r, 1.0 / p->prior_job_months);
  int months = jm > 240 ? 240 : (int)jm;
  int32_t end = day - 1, ww_start = day;
  if (months >= 6) {
    double ww = p->ww_base_months + floor(months / 12.0);
    int ww_len = (int)(ww > p->ww_max_months ? p->ww_max_months : ww);
    ww_start = peil_date_add_months(day, -ww_len);
    end = ww_start - 1;
  }
  int32_t start = peil_date_add_months(end + 1, -months);
  if (sim_start_job(r, w, st, o, start, 0)) return -1;
  sim_close(st, o, T_JOBS, end);
  if (ww_start < day) {
    if (sim_open(st, o, T_WW, ww_start, 0)) return -1;
    sim_close(st, o, T_WW, day - 1);
  }
  st->work_total = months;
  st->work_mask = work_bits(m, sim_month_of(start), sim_month_of(end));
  /* Employment history before this job is unknown: counted as none. */
  return 0;
}

int sim_draw_candidate(sim_thread *th, const sim_world *w, int last_try, sim_state *st,
                       sim_out *o, int *m_entry) {
  const peil_sim_params *p = w->p;
  gsl_rng *r = th->main;
  sim_out_clear(o);
  memset(st, 0, sizeof *st);
  for (int t = 0; t < T_NSPELL; t++) st->open[t] = -1;
  st->srg_code = -1;

  /* Entry month from the (trending) inflow; the last try of a person is
   * forced into the window so that the loop in person.c always ends. */
  int m = last_try ? w->m_from + (int)gsl_rng_uniform_int(r, (unsigned long)(w->m_last - w->m_from + 1))
                   : w->m_first + (int)gsl_ran_discrete(r, w->entry_month);
  int32_t day = sim_month_start(w, m) + (int32_t)gsl_rng_uniform_int(r, (unsigned long)sim_month_len(w, m));

  sim_person *ps = &o->person;
  ps->city = (int8_t)gsl_ran_discrete(r, w->city);
  ps->female = (int8_t)gsl_ran_bernoulli(r, p->female_share);
  ps->mig = (int8_t)gsl_ran_discrete(r, w->mig[ps->city]);
  ps->edu = (int8_t)gsl_ran_discrete(r, w->edu[ps->mig >= 2]);
  ps->hh = (int8_t)gsl_ran_discrete(r, w->hh[ps->female]);
  double age = 18.0 + 47.0 * gsl_ran_beta(r, p->entry_age_a, p->entry_age_b);
  ps->birth = day - (int32_t)floor(age * 365.2425);
  /* Employability: standard normal, shifted down by far_gap for the share
   * of entrants far from the labour market, so that the stock splits into
   * people who leave soon and people who stay for years, as real stocks do. */
  double z = gsl_ran_gaussian_ziggurat(r, 1.0);
  ps->eta = gsl_ran_bernoulli(r, p->far_share) ? z - p->far_gap : z;

  st->state = ST_B;
  st->city = ps->city;
  st->m_spell = m;
  st->birth_m = sim_month_of(ps->birth);
  st->lp_job = p->job_const + p->job_eta * ps->eta + p->job_female * ps->female +
               p->job_hh[ps->hh] + p->job_mig[ps->mig] + p->job_edu[ps->edu];
  st->lp_oth = p->oth_const + p->oth_eta * ps->eta;
  /* Hidden selection on employability; hidden_shift (run.c) keeps the
   * expected number of entrants the same as without it. */
  st->lp_prog = p->prog_const + p->prog_edu[ps->edu];
  if (!w->pilot) st->lp_prog += p->hidden_bias * ps->eta + w->hidden_shift;
  st->h_drop = sim_cloglog(p->prog_drop_const + p->prog_drop_eta * ps->eta);
  st->hkey = st->pkey = -1;

  if (gsl_ran_bernoulli(r, p->prior_job_share) && prior_job(r, w, st, o, day, m)) return -1;
  if (sim_open(st, o, T_BIJSTAND, day, ps->city)) return -1;
  *m_entry = m;
  return 0;
}
