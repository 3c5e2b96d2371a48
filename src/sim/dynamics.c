/* The monthly labour-market process: bijstand, work, WW, out.
 *
 * Common random numbers. Every month takes exactly four numbers from the
 * person's stream, whatever the person's state: u_lab for the labour-market
 * transition, u_adm for the SRG step, u_prg for the programme step, and a
 * seed for the month's event stream, from which the day of an event and the
 * attributes of a new job are drawn (only when something happens). A
 * treated person's path and their counterfactual path (same state and
 * stream copied at the programme start) therefore see the same numbers
 * month by month, and differ only where the programme's effect changes a
 * hazard. Within a month the labour step draws first, so with no effect
 * the two paths are identical and the sample ATT is exactly zero.
 *
 * Competing risks share u_lab: a job when u < h_job, another exit when
 * u >= 1 - h_other (and a move within the G4 just below that), so a larger
 * job hazard only turns "stay" months into job starts: the coupling of the
 * two paths is monotone. */
#include <math.h>

#include "sim_internal.h"

gsl_rng *sim_sub(sim_thread *th) {
  if (!th->sub_ready) {
    gsl_rng_set(th->sub, th->month_seed);
    th->sub_ready = 1;
  }
  return th->sub;
}

int32_t sim_draw_day(sim_thread *th, const sim_world *w, int m) {
  return sim_month_start(w, m) +
         (int32_t)gsl_rng_uniform_int(sim_sub(th), (unsigned long)sim_month_len(w, m));
}

int sim_age_band(const sim_state *st, int m) {
  int age = (m - st->birth_m) / 12;
  return age < 23 ? 0 : age < 27 ? 1 : age < 35 ? 2 : age < 45 ? 3 : age < 55 ? 4 : age < 60 ? 5 : 6;
}

int sim_dur_band(int months) {
  return months < 6 ? 0 : months < 12 ? 1 : months < 24 ? 2 : months < 60 ? 3 : 4;
}

static int out_band(int months) { return months < 6 ? 0 : months < 12 ? 1 : months < 24 ? 2 : 3; }

/* Bijstand ends at `end`: so do the SRG provision and the programme. */
static void leave_bijstand(sim_state *st, sim_out *o, int32_t end, int why) {
  sim_close(st, o, T_BIJSTAND, end);
  sim_close(st, o, T_SRG, end);
  st->srg_code = -1;
  sim_programme_close(st, o, end, why);
}

static int start_job(sim_thread *th, const sim_world *w, sim_state *st, sim_out *o, int m,
                     int32_t day, int from_job) {
  st->state = ST_W;
  st->m_job = m;
  st->m_spell = m;
  return sim_start_job(sim_sub(th), w, st, o, day, from_job);
}

static int enter_bijstand(sim_state *st, sim_out *o, int m, int32_t day) {
  st->state = ST_B;
  st->m_spell = m;
  return sim_open(st, o, T_BIJSTAND, day, (int8_t)st->city);
}

/* Hazards of state B in month m (cached: see sim_state.hkey). */
static void hazards_bijstand(const sim_world *w, sim_state *st, int m, int ab) {
  const peil_sim_params *p = w->p;
  int db = sim_dur_band(m - st->m_spell);
  /* The programme's effect: in every month after the start month while the
   * person is in the programme (the planned end is applied before). */
  int eff = st->prog == 1 && m > st->prog_m_start;
  int64_t key = ST_B | ab << 3 | db << 6 | st->city << 9 | eff << 11;
  if (key != st->hkey) {
    st->hkey = key;
    double lp = st->lp_job + p->job_age[ab] + p->job_dur[db] + p->job_city[st->city];
    st->ready = lp - p->srg_ready_ref;
    st->h1 = sim_cloglog(eff ? lp + p->effect : lp);
    st->h2 = sim_cloglog(st->lp_oth + p->oth_age[ab] + p->oth_dur[db] + p->oth_city[st->city]);
    st->p_srg = sim_logistic(p->srg_const[st->city] + p->srg_select[st->city] * st->ready);
  }
  int elig = sim_programme_eligible(w, st, m);
  int work = elig ? __builtin_popcount(st->work_mask & 0xffffffu) : 0;
  int64_t pkey = elig | ab << 1 | db << 4 | st->city << 7 | work << 9;
  if (pkey != st->pkey) {
    st->pkey = pkey;
    st->p_prog = elig ? sim_programme_entry(w, st, m) : 0.0;
  }
}

/* Returns 1 when the labour-market state changed this month. */
static int step_bijstand(sim_thread *th, const sim_world *w, sim_state *st, sim_out *o, int m,
                         double u, int ab) {
  const peil_sim_params *p = w->p;
  hazards_bijstand(w, st, m, ab);
  if (u < st->h1) {
    int32_t day = sim_draw_day(th, w, m);
    leave_bijstand(st, o, day - 1, EXIT_WORK);
    return start_job(th, w, st, o, m, day, 0) ? -1 : 1;
  }
  if (u >= 1.0 - st->h2) {
    int32_t day = sim_draw_day(th, w, m);
    leave_bijstand(st, o, day - 1, EXIT_OTHER);
    st->state = ST_O;
    st->m_spell = m;
    return 1;
  }
  if (u >= 1.0 - st->h2 - p->move_prob) {
    /* A move to another G4 municipality: the benefit continues there as a
     * new spell, so the benefit duration (m_spell) is not reset. */
    int32_t day = sim_draw_day(th, w, m);
    leave_bijstand(st, o, day - 1, EXIT_OTHER);
    double tot = 0;
    for (int c = 0; c < PEIL_SIM_NCITY; c++)
      if (c != st->city) tot += p->city_share[c];
    double x = gsl_rng_uniform(sim_sub(th)) * tot;
    int to = -1;
    for (int c = 0; c < PEIL_SIM_NCITY; c++) {
      if (c == st->city) continue;
      to = c;
      if (x < p->city_share[c]) break;
      x -= p->city_share[c];
    }
    st->city = to;
    return sim_open(st, o, T_BIJSTAND, day, (int8_t)to) ? -1 : 1;
  }
  return 0;
}

static int step_work(sim_thread *th, const sim_world *w, sim_state *st, sim_out *o,
                     const sim_person *ps, int m, double u) {
  const peil_sim_params *p = w->p;
  int early = m - st->m_job < 6;
  int64_t key = ST_W | st->contract << 3 | early << 6;
  if (key != st->hkey) {
    st->hkey = key;
    st->h1 = sim_cloglog(p->sep_const[st->contract] + p->sep_eta * ps->eta +
                         (early ? p->sep_early : 0.0));
  }
  if (u >= st->h1) return 0;
  int32_t day = sim_draw_day(th, w, m);
  sim_close(st, o, T_JOBS, day - 1);
  gsl_rng *r = sim_sub(th);
  if (gsl_rng_uniform(r) < sim_logistic(p->j2j_const + p->j2j_eta * ps->eta))
    return start_job(th, w, st, o, m, day, 1) ? -1 : 1;
  /* WW needs work in 6 of the last 9 months (this month counts): a monthly
   * stand-in for the 26-out-of-36-weeks rule. */
  if (__builtin_popcount(st->work_mask & 0xffu) + 1 >= 6) {
    double ww = p->ww_base_months + floor(st->work_total / 12.0);
    st->ww_left = (int)(ww > p->ww_max_months ? p->ww_max_months : ww);
    st->state = ST_U;
    st->m_spell = m;
    return sim_open(st, o, T_WW, day, 0) ? -1 : 1;
  }
  double back = p->back_const + p->back_eta * ps->eta +
                (ps->hh == HH_SINGLE_PARENT ? p->back_single_parent : 0.0);
  if (gsl_rng_uniform(r) < sim_logistic(back)) return enter_bijstand(st, o, m, day) ? -1 : 1;
  st->state = ST_O;
  st->m_spell = m;
  return 1;
}

static int step_ww(sim_thread *th, const sim_world *w, sim_state *st, sim_out *o, int m,
                   double u, int ab) {
  const peil_sim_params *p = w->p;
  int64_t key = ST_U | ab << 3 | st->city << 6;
  if (key != st->hkey) {
    st->hkey = key;
    st->h1 = sim_cloglog(st->lp_job + p->job_age[ab] + p->job_dur[0] + p->job_city[st->city] +
                         p->ww_job_shift);
  }
  if (u < st->h1) {
    int32_t day = sim_draw_day(th, w, m);
    sim_close(st, o, T_WW, day - 1);
    return start_job(th, w, st, o, m, day, 0) ? -1 : 1;
  }
  if (--st->ww_left > 0) return 0;
  /* Entitlement used up. */
  int32_t day = sim_draw_day(th, w, m);
  sim_close(st, o, T_WW, day - 1);
  if (gsl_rng_uniform(sim_sub(th)) < sim_logistic(p->ww_to_bijstand))
    return enter_bijstand(st, o, m, day) ? -1 : 1;
  st->state = ST_O;
  st->m_spell = m;
  return 1;
}

static int step_out(sim_thread *th, const sim_world *w, sim_state *st, sim_out *o,
                    const sim_person *ps, int m, double u, int ab) {
  const peil_sim_params *p = w->p;
  int dm = m - st->m_spell, db = sim_dur_band(dm), ob = out_band(dm);
  /* The calendar trend of the inflow applies to re-entries too. It changes
   * every month, so the cache holds the re-entry hazard without it (h2),
   * which bounds the true one when the inflow falls (inflow_trend >= 0):
   * the exact hazard is needed only when u comes near 1. Rising inflow
   * (inflow_trend < 0) keys the cache on the month instead. */
  int after = m > w->m_from ? m - w->m_from : 0;
  int64_t key = ST_O | ab << 3 | db << 6 | ob << 9 | st->city << 11;
  if (p->inflow_trend < 0) key |= (int64_t)after << 13;
  double lp_re = p->out_re_const + p->out_re_eta * ps->eta + p->out_re_dur[ob];
  if (key != st->hkey) {
    st->hkey = key;
    st->h1 = sim_cloglog(st->lp_job + p->job_age[ab] + p->job_dur[db] + p->job_city[st->city] +
                         p->out_job_shift);
    st->h2 = p->inflow_trend < 0 ? sim_cloglog(lp_re - p->inflow_trend * after / 12.0)
                                 : sim_cloglog(lp_re);
  }
  if (u < st->h1) return start_job(th, w, st, o, m, sim_draw_day(th, w, m), 0) ? -1 : 1;
  if (u < 1.0 - st->h2) return 0; /* below the bound: no re-entry */
  double h_re = sim_cloglog(lp_re - p->inflow_trend * after / 12.0);
  if (u >= 1.0 - h_re) return enter_bijstand(st, o, m, sim_draw_day(th, w, m)) ? -1 : 1;
  return 0;
}

/* The pension age: every running spell ends the day before the month. */
static void retire(sim_state *st, sim_out *o, int32_t end) {
  leave_bijstand(st, o, end, EXIT_OTHER);
  sim_close(st, o, T_JOBS, end);
  sim_close(st, o, T_WW, end);
  st->state = ST_END;
}

int sim_run_months(sim_thread *th, const sim_world *w, sim_state *st, sim_out *o,
                   const sim_person *ps, int m_begin, int m_end, int counterfactual) {
  const peil_sim_params *p = w->p;
  for (int m = m_begin; m <= m_end && st->state != ST_END; m++) {
    double u_lab = gsl_rng_uniform(th->main);
    double u_adm = gsl_rng_uniform(th->main);
    double u_prg = gsl_rng_uniform(th->main);
    th->month_seed = gsl_rng_get(th->main);
    th->sub_ready = 0;

    if (m - st->birth_m >= SIM_PENSION_AGE * 12) {
      retire(st, o, sim_month_start(w, m) - 1);
      break;
    }
    if (st->prog == 1 && sim_month_of(st->prog_planned_end) < m)
      sim_programme_close(st, o, st->prog_planned_end, EXIT_PLANNED);

    int was_working = st->state == ST_W, ab = sim_age_band(st, m), ev = 0;
    switch (st->state) {
    case ST_B: ev = step_bijstand(th, w, st, o, m, u_lab, ab); break;
    case ST_W: ev = step_work(th, w, st, o, ps, m, u_lab); break;
    case ST_U: ev = step_ww(th, w, st, o, m, u_lab, ab); break;
    case ST_O: ev = step_out(th, w, st, o, ps, m, u_lab, ab); break;
    default: break;
    }
    if (ev < 0) return -1;
    /* Provisions and the programme start and end only in whole months on
     * bijstand, after the labour step: that keeps every spell inside its
     * bijstand spell and the labour draws first (see above). */
    if (ev == 0 && st->state == ST_B && w->pilot && st->p_prog > 0) {
      /* The pilot only measures the months at risk of entry: the odds of
       * entry without hidden bias, and with it. */
      double odds = st->p_prog / (1 - st->p_prog);
      o->pilot_w += odds;
      o->pilot_wx += odds * exp(p->hidden_bias * ps->eta);
    }
    if (ev == 0 && st->state == ST_B) {
      if (sim_srg_step(th, w, st, o, m, u_adm)) return -1;
      if (sim_programme_step(th, w, st, o, m, u_prg)) return -1;
    }
    int worked = was_working || st->state == ST_W;
    st->work_mask = (st->work_mask << 1) | (uint32_t)worked;
    st->work_total += worked;

    if (st->snap_pending && !counterfactual) {
      /* The programme started this month: keep the state and the stream as
       * they are at the end of the month for the counterfactual path. */
      st->snap_pending = 0;
      th->snap_state = *st;
      th->snap_month = m;
      gsl_rng_memcpy(th->snap, th->main);
      if (sim_out_copy(&th->cf, o)) o->failed = 1;
    }
    if (o->failed) return -1;
  }
  return 0;
}
