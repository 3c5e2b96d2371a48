/* SRG provisions: municipal re-integration provisions while on bijstand.
 *
 * A provision starts with a monthly probability that rises with the
 * person's job readiness (the current job-finding log intensity, which
 * includes the unobserved employability and the benefit duration) by a
 * municipality's selectivity: steeply in Amsterdam, Rotterdam and Utrecht,
 * hardly in Den Haag, which offers provisions to a broad group (seed 001,
 * §4.4). The code depends on readiness; the length is geometric with a
 * code-specific mean. Provisions have no effect on anything in this model,
 * so any "effect" an analysis finds for them is selection. One provision
 * at a time: srg spells of a person never overlap. */
#include "sim_internal.h"

int sim_srg_step(sim_thread *th, const sim_world *w, sim_state *st, sim_out *o, int m, double u) {
  const peil_sim_params *p = w->p;
  if (st->srg_code >= 0) {
    /* Ends this month; a new one can start from the month after next. */
    if (u < 1.0 / p->srg_months[st->srg_code]) {
      sim_close(st, o, T_SRG, sim_draw_day(th, w, m));
      st->srg_code = -1;
    }
    return 0;
  }
  if (u >= st->p_srg) return 0;
  int32_t day = sim_draw_day(th, w, m);
  int code = (int)gsl_ran_discrete(sim_sub(th), w->srg[st->ready > 0]);
  if (sim_open(st, o, T_SRG, day, (int8_t)code)) return -1;
  st->srg_code = code;
  return 0;
}
