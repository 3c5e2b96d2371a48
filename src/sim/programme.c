/* The programme: a subsidised-job-style route (like Den Haag's STiP, seed
 * 000) for people on bijstand, open from the start of the data window.
 *
 * Entry: a monthly logit on observed covariates (younger, more educated,
 * shorter benefit duration, more recent work, Den Haag) plus hidden_bias
 * times the unobserved employability. Once in, the person stays on bijstand
 * and the monthly job-finding intensity is multiplied by exp(effect) until
 * the programme ends: at a job ("regulier werk"), by drop-out ("uitval"),
 * at the planned end after prog_months ("einde traject"), or when bijstand
 * ends otherwise or the person moves ("verhuisd/overig"). One programme spell
 * per person at most. The counterfactual path of person.c never enters. */
#include <math.h>

#include "sim_internal.h"

void sim_programme_close(sim_state *st, sim_out *o, int32_t end, int why) {
  if (st->prog != 1) return;
  o->t[T_PROG].v[st->open[T_PROG]].k1 = (int8_t)why;
  sim_close(st, o, T_PROG, end);
  st->prog = 2;
}

int sim_programme_eligible(const sim_world *w, const sim_state *st, int m) {
  return st->prog == 0 && !st->no_programme && m >= w->m_from &&
         m - st->birth_m < (int)(w->p->prog_age_max * 12);
}

double sim_programme_entry(const sim_world *w, const sim_state *st, int m) {
  const peil_sim_params *p = w->p;
  double lp = st->lp_prog + p->prog_age[sim_age_band(st, m)] +
              p->prog_dur[sim_dur_band(m - st->m_spell)] + p->prog_city[st->city] +
              p->prog_work * __builtin_popcount(st->work_mask & 0xffffffu) / 24.0;
  return sim_logistic(lp);
}

int sim_programme_step(sim_thread *th, const sim_world *w, sim_state *st, sim_out *o, int m,
                       double u) {
  const peil_sim_params *p = w->p;
  if (st->prog == 1) {
    if (m <= st->prog_m_start) return 0;
    if (u < st->h_drop) {
      int32_t day = sim_draw_day(th, w, m);
      if (day > st->prog_planned_end) sim_programme_close(st, o, st->prog_planned_end, EXIT_PLANNED);
      else sim_programme_close(st, o, day, EXIT_DROPOUT);
    }
    return 0;
  }
  if (u >= st->p_prog || w->pilot) return 0; /* p_prog is 0 when not eligible */
  int32_t day = sim_draw_day(th, w, m);
  if (day < p->from || day > p->to) return 0;
  if (sim_open(st, o, T_PROG, day, -1)) return -1;
  st->prog = 1;
  st->prog_m_start = m;
  st->prog_planned_end = peil_date_add_months(day, (int)lround(p->prog_months)) - 1;
  st->snap_pending = 1;
  o->treated = 1;
  o->prog_start = day;
  return 0;
}
