/* One person from first entry to the end of the window: candidates until one
 * has bijstand in the window, the counterfactual path of a treated person,
 * the known truth, and the cut to the data window. */
#include <string.h>

#include "sim_internal.h"

/* Does the person have a bijstand spell that overlaps the window? The
 * extract is "everyone on G4 bijstand at some time in [from, to]". */
static int accepted(const sim_out *o, const peil_sim_params *p) {
  const sim_spells *b = &o->t[T_BIJSTAND];
  for (size_t i = 0; i < b->n; i++)
    if (b->v[i].start <= p->to && (b->v[i].end == SIM_OPEN || b->v[i].end >= p->from)) return 1;
  return 0;
}

int sim_in_work(const sim_out *o, int32_t day) {
  const sim_spells *j = &o->t[T_JOBS];
  for (size_t i = 0; i < j->n; i++)
    if (j->v[i].start <= day && (j->v[i].end == SIM_OPEN || j->v[i].end >= day)) return 1;
  return 0;
}

/* The counterfactual: the state and stream at the end of the programme's
 * start month, with the programme taken out, run to the end of the window
 * without ever entering it. Then the outcomes of both paths. */
static void known_truth(sim_thread *th, const sim_world *w, sim_out *o) {
  const peil_sim_params *p = w->p;
  sim_state cf = th->snap_state;
  sim_out *c = &th->cf;
  c->failed = 0;
  c->t[T_PROG].n--; /* the programme spell is the last one pushed */
  cf.open[T_PROG] = -1;
  cf.prog = 0;
  cf.no_programme = 1;
  gsl_rng_memcpy(th->main, th->snap);
  if (sim_run_months(th, w, &cf, c, &o->person, th->snap_month + 1, w->m_last, 1) || c->failed) {
    o->failed = 1;
    return;
  }
  for (int k = 0; k < PEIL_SIM_NHORIZON; k++) {
    int32_t at = peil_date_add_months(o->prog_start, peil_sim_horizons[k]);
    if (at > p->to) continue; /* beyond the window: censored */
    o->y1[k] = (int8_t)sim_in_work(o, at);
    o->y0[k] = (int8_t)sim_in_work(c, at);
  }
}

/* Keeps the spells that overlap [from, to]. A spell still running on `to`
 * (or ending later) gets end = missing: the register does not know its end
 * yet. Spells starting before `from` keep their true start. */
static void cut_to_window(sim_out *o, const peil_sim_params *p) {
  for (int t = 0; t < T_NSPELL; t++) {
    sim_spells *s = &o->t[t];
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
      sim_spell x = s->v[i];
      if (x.start > p->to || (x.end != SIM_OPEN && x.end < p->from)) continue;
      if (x.end == SIM_OPEN || x.end >= p->to) x.end = PEIL_NA_DATE;
      s->v[k++] = x;
    }
    s->n = k;
  }
  /* The municipality of the persons table: where the person's first
   * bijstand spell in the window was. */
  o->person.city = o->t[T_BIJSTAND].v[0].k1;
}

void sim_person_simulate(sim_thread *th, const sim_world *w, int64_t index, sim_out *o) {
  o->index = index;
  o->failed = 0;
  o->pilot_w = o->pilot_wx = 0;
  gsl_rng_set(th->main, sim_stream_seed(w->p->seed, (uint64_t)index));
  sim_state st;
  int c;
  for (c = 1;; c++) {
    int m_entry = 0;
    if (sim_draw_candidate(th, w, c == SIM_MAX_CANDIDATES, &st, o, &m_entry) ||
        sim_run_months(th, w, &st, o, &o->person, m_entry + 1, w->m_last, 0)) {
      o->failed = 1;
      return;
    }
    if (accepted(o, w->p)) break;
  }
  o->candidates = c;
  if (o->treated) known_truth(th, w, o);
  cut_to_window(o, w->p);
}
