/* The pass over the persons: for each person and reference date, who is in
 * the population, in which group, subsets and strata, and the outcomes at
 * every horizon; counted per cell, and written to the row table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cohort_internal.h"

/* One member of the population on one reference date. */
typedef struct {
  cohort_member at;    /* entry day: the date (stock), the start (inflow), the
                          last day of the spell (exit); clock: the day horizons
                          count from */
  long spell;          /* index into the population table's spells */
  int32_t duration;    /* months of the episode: up to the date (stock), its
                          length (exit), 0 (inflow) */
  int32_t since;       /* exit: months from the end to the date, else -1 */
} member;

int32_t cohort_plus_months(const cohort_engine *E, const cohort_member *m, int k) {
  if (m->date >= 0 && k >= E->mink && k <= E->maxk)
    return E->cal[(size_t)m->date * (size_t)(E->maxk - E->mink + 1) + (size_t)(k - E->mink)];
  return peil_date_add_months(m->clock, k);
}

int cohort_censored(const cohort_engine *E, int32_t a, int32_t b) {
  return (a < E->data_start ? CENSORED_LEFT : 0) | (b > E->data_end ? CENSORED_RIGHT : 0);
}

void cohort_censored_why(const cohort_engine *E, int sides, const char *left, const char *right,
                         char *buf, size_t n) {
  char a[12], b[12];
  peil_date_format(E->data_start, a);
  peil_date_format(E->data_end, b);
  if (sides == CENSORED_LEFT) snprintf(buf, n, "%s before the data's start, %s", left, a);
  else if (sides == CENSORED_RIGHT) snprintf(buf, n, "%s after the data's end, %s", right, b);
  else snprintf(buf, n, "%s before the data's start, %s, or %s after the data's end, %s", left, a, right, b);
}

#define MAX_MEMBERS 64 /* inflow: episodes starting in one period */

static size_t members(const cohort_engine *E, size_t di, member *m) {
  const peil_cohort_spec *s = E->spec;
  int32_t d = s->dates[di];
  const spell_table *t = &E->tables[0];
  int event = s->clock == CLOCK_EVENT;
  size_t n = 0;
  if (s->pop == POP_STOCK) {
    long i = spells_covering(t, d, -1, -1);
    if (i < 0) return 0;
    m[0].spell = i;
    m[0].at.entry = m[0].at.clock = d;
    m[0].duration = cohort_months_until(spells_episode_start(t, (size_t)i, s->episode_gap), &E->date_parts[di]);
    m[0].since = -1;
    m[0].at.date = (int)di;
    return 1;
  }
  if (s->pop == POP_INFLOW) {
    int32_t until = peil_date_add_months(d, s->period);
    for (size_t i = 0; i < t->nsp && n < MAX_MEMBERS; i++) {
      int32_t st = t->sp[i].start;
      if (st < d || st >= until) continue;
      if (spells_episode_start(t, i, s->episode_gap) != st) continue; /* continues an episode */
      m[n].spell = (long)i;
      m[n].at.entry = st;
      m[n].at.clock = event ? st : d;
      m[n].duration = 0;
      m[n].since = -1;
      m[n].at.date = event ? -1 : (int)di;
      n++;
    }
    return n;
  }
  /* exit: the spell that ended last before the date */
  long best = -1;
  for (size_t i = 0; i < t->nsp; i++) {
    int32_t e = t->sp[i].end;
    if (e == INT32_MAX || e >= d) continue;
    if (s->exit_from != PEIL_NA_DATE && (e < s->exit_from || e > s->exit_to)) continue;
    if (best < 0 || e >= t->sp[best].end) best = (long)i;
  }
  if (best < 0) return 0;
  int32_t end = t->sp[best].end;
  m[0].spell = best;
  m[0].at.entry = end;
  m[0].at.clock = event ? end + 1 : d;
  m[0].duration = cohort_months_between(spells_episode_start(t, (size_t)best, s->episode_gap), end + 1);
  m[0].since = cohort_months_until(end + 1, &E->date_parts[di]);
  m[0].at.date = event ? -1 : (int)di;
  return 1;
}

typedef struct {
  uint8_t *in;       /* per subset */
  size_t *level;     /* per variable */
  double *value;     /* per slot */
  uint8_t *censored; /* per slot */
  size_t *cells;     /* the cells of one member */
} row_buf;

size_t cohort_ncells(const cohort_engine *E) {
  return E->res->nsubsets * (E->spec->ndates + 1) * E->res->ngroups * E->nlevels_flat;
}

size_t cohort_pop_cell(const cohort_engine *E, const peil_cohort_pop *p) {
  size_t D = E->spec->ndates + 1, d = D - 1; /* pooled: the last */
  if (p->date != PEIL_NA_DATE)
    for (d = 0; E->spec->dates[d] != p->date; d++) {
    }
  return ((p->subset * D + d) * E->res->ngroups + p->group) * E->nlevels_flat +
         E->level_base[p->stratum] + p->level;
}

size_t cohort_member_cells(const cohort_engine *E, size_t di, size_t g, const uint8_t *in,
                           const size_t *level, size_t *cells) {
  const peil_cohort_result *R = E->res;
  size_t D = E->spec->ndates + 1, G = R->ngroups, L = E->nlevels_flat, n = 0;
  size_t dates[2] = {di, D - 1};
  for (size_t su = 0; su < R->nsubsets; su++) {
    if (!in[su]) continue;
    for (int p = 0; p < 2; p++) {
      size_t base = ((su * D + dates[p]) * G + g) * L;
      for (size_t st = 0; st < R->nstrata; st++)
        cells[n++] = base + E->level_base[st] + (st ? level[E->stratum_var[st]] : 0);
    }
  }
  return n;
}

static void count(cohort_engine *E, const size_t *cells, size_t nc, const row_buf *rb) {
  size_t K = E->nslots;
  for (size_t k = 0; k < K; k++) E->slots[k].censored_sides |= rb->censored[k];
  for (size_t i = 0; i < nc; i++) {
    E->popcount[cells[i]]++;
    double *c = &E->counts[cells[i] * K * 3];
    for (size_t k = 0; k < K; k++, c += 3) {
      if (rb->censored[k]) {
        c[1] += 1;
      } else {
        c[0] += 1;
        c[2] += rb->value[k];
      }
    }
  }
}

static int person(cohort_engine *E, const peil_block *pb, size_t pr, int64_t rin, row_buf *rb,
                  int *in_population) {
  const peil_cohort_spec *s = E->spec;
  const spell_table *pop = &E->tables[0];
  member m[MAX_MEMBERS];
  for (size_t di = 0; di < s->ndates; di++) {
    size_t nm = members(E, di, m);
    for (size_t j = 0; j < nm; j++) {
      const spell *sp = &pop->sp[m[j].spell];
      int32_t g = 0;
      if (pop->has_group) {
        if (sp->group < 0 || (size_t)sp->group >= E->ngroup_codes) { /* no group */
          E->no_group++;
          continue;
        }
        if ((g = E->group_of_code[sp->group]) < 0) continue;              /* not compared */
      }
      *in_population = 1;
      rb->in[0] = 1;
      for (size_t su = 0; su < s->nsubsets; su++)
        rb->in[su + 1] =
            spells_covering(&E->tables[E->subset_table[su]], m[j].at.entry, E->subset_bit[su], -1) >= 0;
      const int32_t *attrs = pop->nattr ? &pop->attrs[(size_t)m[j].spell * pop->nattr] : NULL;
      for (size_t v = 0; v < E->nvars; v++)
        rb->level[v] = cohort_var_level(E, &E->vars[v], pb, pr, m[j].duration, &E->date_parts[di],
                                        m[j].since, attrs);
      for (size_t k = 0; k < E->nslots; k++)
        rb->value[k] = cohort_outcome_value(E, &E->slots[k], &m[j].at, sp->group, &rb->censored[k]);
      size_t nc = cohort_member_cells(E, di, (size_t)g, rb->in, rb->level, rb->cells);
      count(E, rb->cells, nc, rb);
      if (E->nstates) cohort_transitions_count(E, &m[j].at, rb->cells, nc);
      if (E->ncooc) cohort_cooccur_count(E, &m[j].at, rb->cells, nc);
      E->res->n_rows++;
      int rc = PEIL_OK;
      if (E->rows)
        rc = cohort_rows_add(E, E->rows, rin, s->dates[di], (size_t)g, rb->in, rb->level,
                             rb->value, rb->censored);
      if (!rc && E->cells)
        rc = cohort_rows_add(E, E->cells, rin, s->dates[di], (size_t)g, rb->in, rb->level,
                             rb->value, rb->censored);
      if (rc) return rc;
    }
  }
  return PEIL_OK;
}

int cohort_scan(cohort_engine *E) {
  const peil_cohort_spec *s = E->spec;
  /* The months read from the calendar clock: from the earliest start of a
   * window (history windows reach back) to the latest horizon or end. */
  E->mink = E->maxk = 0;
  for (size_t k = 0; k < E->nslots; k++)
    if (E->slots[k].horizon > E->maxk) E->maxk = E->slots[k].horizon;
  for (size_t k = 0; k < s->noutcomes; k++) {
    const outcome_def *o = &s->outcomes[k];
    int window = o->kind == OUT_EVER || o->kind == OUT_MONTHS || o->kind == OUT_FIRST;
    if (window && o->from < E->mink) E->mink = o->from;
  }
  for (size_t k = 0; k < s->transitions.n; k++)
    if (s->transitions.v[k] > E->maxk) E->maxk = s->transitions.v[k];
  for (size_t k = 0; k < s->ncooccur; k++)
    if (s->cooccur[k].window) {
      if (s->cooccur[k].to > E->maxk) E->maxk = s->cooccur[k].to;
      if (s->cooccur[k].from < E->mink) E->mink = s->cooccur[k].from;
    }
  size_t width = (size_t)(E->maxk - E->mink + 1);
  E->cal = malloc(s->ndates * width * sizeof *E->cal);
  if (!E->cal) return peil_error(PEIL_ENOMEM, "out of memory");
  if (!(E->date_parts = malloc(s->ndates * sizeof *E->date_parts)))
    return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t di = 0; di < s->ndates; di++) cohort_day_split(s->dates[di], &E->date_parts[di]);
  for (size_t di = 0; di < s->ndates; di++)
    for (int k = E->mink; k <= E->maxk; k++)
      E->cal[di * width + (size_t)(k - E->mink)] = peil_date_add_months(s->dates[di], k);
  row_buf rb;
  rb.in = calloc(E->res->nsubsets, 1);
  rb.level = calloc(E->nvars + 1, sizeof *rb.level);
  rb.value = calloc(E->nslots, sizeof *rb.value);
  rb.censored = calloc(E->nslots + 1, 1);
  rb.cells = calloc(2 * E->res->nsubsets * E->res->nstrata, sizeof *rb.cells);
  int rc = rb.in && rb.level && rb.value && rb.censored && rb.cells ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
  peil_block pb;
  int64_t last = INT64_MIN;
  while (!rc) {
    int got = peil_scan_next(E->persons, &pb);
    if (got <= 0) {
      rc = got;
      break;
    }
    for (size_t pr = 0; !rc && pr < pb.nrows; pr++) {
      int64_t rin;
      rc = cohort_person_rin(&pb, E->slot_rin, E->persons_rin64, pr, E->spec->persons, &last, &rin);
      if (rc) break;
      if (rin >= E->rin_end) { /* a later part of the table starts with rin_end */
        rc = peil_error(PEIL_EDATA,
                        "table '%s', row %lld: rin %lld is not in order; the person table needs "
                        "one row per person, sorted by rin",
                        E->spec->persons, (long long)(pb.start + (int64_t)pr) + 1, (long long)rin);
        break;
      }
      E->res->n_persons++;
      for (size_t t = 0; !rc && t < E->ntables; t++) rc = spell_table_gather(&E->tables[t], rin);
      int in = 0;
      if (!rc) rc = person(E, &pb, pr, rin, &rb, &in);
      E->res->n_persons_in += in;
    }
  }
  /* Spells after the last person are orphans too. */
  for (size_t t = 0; !rc && t < E->ntables; t++) rc = spell_table_gather(&E->tables[t], INT64_MAX);
  free(rb.in);
  free(rb.level);
  free(rb.value);
  free(rb.censored);
  free(rb.cells);
  return rc;
}

int cohort_scan_finish(cohort_engine *E) {
  int rc = PEIL_OK;
  for (size_t t = 0; !rc && t < E->ntables; t++) {
    E->res->n_orphan_spells += E->tables[t].orphans;
    if (E->tables[t].orphans)
      rc = cohort_result_add_warning(E->res,
                                     "%lld rows of table '%s' have a rin that is not in table '%s'; "
                                     "they are ignored",
                                     (long long)E->tables[t].orphans, E->tables[t].name,
                                     E->spec->persons);
  }
  if (!rc && E->no_group)
    rc = cohort_result_add_warning(E->res,
                                   "%lld person-dates left out: their %s spell has no %s value",
                                   (long long)E->no_group, E->tables[0].name,
                                   E->tables[0].group_col);
  if (!rc && E->res->n_rows == 0)
    rc = cohort_spec_error(E->spec, E->spec->line, PEIL_EDATA,
                           "the population is empty: nobody is in it on any of the %zu "
                           "reference dates",
                           E->spec->ndates);
  return rc;
}
