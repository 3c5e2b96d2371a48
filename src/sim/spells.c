/* Per-person spell buffers. They are reused from block to block, so after
 * the first block a run allocates almost nothing. */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

int sim_spells_push(sim_spells *s, const sim_spell *x) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 8;
    sim_spell *v = realloc(s->v, cap * sizeof *v);
    if (!v) return -1;
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n++] = *x;
  return 0;
}

void sim_out_clear(sim_out *o) {
  for (int t = 0; t < T_NSPELL; t++) o->t[t].n = 0;
  o->treated = 0;
  o->prog_start = 0;
  for (int k = 0; k < PEIL_SIM_NHORIZON; k++) o->y1[k] = o->y0[k] = -1;
}

int sim_out_copy(sim_out *dst, const sim_out *src) {
  for (int t = 0; t < T_NSPELL; t++) {
    sim_spells *d = &dst->t[t];
    const sim_spells *s = &src->t[t];
    if (d->cap < s->n) {
      sim_spell *v = realloc(d->v, s->n * sizeof *v);
      if (!v) return -1;
      d->v = v;
      d->cap = s->n;
    }
    if (s->n) memcpy(d->v, s->v, s->n * sizeof *s->v);
    d->n = s->n;
  }
  dst->person = src->person;
  dst->index = src->index;
  return 0;
}

void sim_out_trim(sim_out *o, size_t max_cap) {
  for (int t = 0; t < T_NSPELL; t++)
    if (o->t[t].cap > max_cap) {
      free(o->t[t].v);
      o->t[t].v = NULL;
      o->t[t].n = o->t[t].cap = 0;
    }
}

void sim_out_free(sim_out *o) {
  for (int t = 0; t < T_NSPELL; t++) free(o->t[t].v);
  memset(o, 0, sizeof *o);
}

int sim_open(sim_state *st, sim_out *o, int t, int32_t start, int8_t k1) {
  sim_spell x = {start, SIM_OPEN, 0, 0, k1, 0};
  if (sim_spells_push(&o->t[t], &x)) {
    o->failed = 1;
    return -1;
  }
  st->open[t] = (int)o->t[t].n - 1;
  return 0;
}

void sim_close(sim_state *st, sim_out *o, int t, int32_t end) {
  if (st->open[t] < 0) return;
  o->t[t].v[st->open[t]].end = end;
  st->open[t] = -1;
}
