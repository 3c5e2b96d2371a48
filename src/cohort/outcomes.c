/* Outcomes: the spec's outcome definitions become the result's outcomes and
 * the engine's slots (one per outcome and horizon, the column of the row
 * table and of the counts), and a slot's value for a member.
 *
 * A "first" outcome (time to the first spell, or an attribute of that
 * spell) is categorical; it becomes one 0/1 outcome per category, so that
 * the tables show the distribution and the correction can adjust each
 * share like any other. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cohort_internal.h"

/* window: the spec's outcome whose window A..B this is, or NULL. */
static int add_result_outcome(peil_cohort_result *R, char *name, char *definition,
                              const outcome_def *window, int binary) {
  peil_cohort_outcome *v = realloc(R->outcomes, (R->noutcomes + 1) * sizeof *v);
  if (!v) {
    free(name);
    free(definition);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  R->outcomes = v;
  v[R->noutcomes++] = (peil_cohort_outcome){name, definition, binary, window != NULL,
                                             window ? window->from : 0, window ? window->to : 0,
                                             NULL, NULL};
  return name && definition ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
}

static outcome_slot *add_slot(cohort_engine *E, size_t def, int horizon) {
  outcome_slot *v = realloc(E->slots, (E->nslots + 1) * sizeof *v);
  if (!v) return NULL;
  E->slots = v;
  outcome_slot *sl = &v[E->nslots++];
  memset(sl, 0, sizeof *sl);
  sl->outcome = E->res->noutcomes - 1;
  sl->def = def;
  sl->horizon = horizon;
  sl->bit = -1;
  sl->code = -1;
  return sl;
}

/* A column name from a level ("Den Haag" -> "Den_Haag"), unique among the slots. */
static char *level_column(const cohort_engine *E, const char *outcome, const char *level) {
  char *c = cohort_dupf("%s_%s", outcome, level);
  if (!c) return NULL;
  for (char *p = c + strlen(outcome) + 1; *p; p++)
    if (!isalnum((unsigned char)*p)) *p = '_';
  for (int k = 2;; k++) {
    size_t i = 0;
    while (i < E->nslots && strcmp(E->slots[i].column, c)) i++;
    if (i == E->nslots) return c;
    char *d = cohort_dupf("%s_%s_%d", outcome, level, k);
    free(c);
    if (!(c = d)) return NULL;
    for (char *p = c + strlen(outcome) + 1; *p; p++)
      if (!isalnum((unsigned char)*p)) *p = '_';
  }
}

/* The categories of a "first" outcome, each a result outcome with one slot. */
static int setup_first(cohort_engine *E, size_t def, int table, int bit) {
  const outcome_def *o = &E->spec->outcomes[def];
  peil_cohort_result *R = E->res;
  size_t attr = 0, nlev;
  char *const *levels = NULL;
  if (o->by) {
    int rc = spell_table_add_attr(&E->tables[table], o->by, E->spec, o->line, &attr);
    if (rc) return rc;
    const peil_table_info *ti = E->tables[table].info;
    const peil_column_info *c = &ti->cols[peil_table_info_find(ti, o->by)];
    nlev = c->nlevels;
    levels = c->levels;
  } else {
    nlev = o->nbins + 1;
  }
  for (size_t k = 0; k <= nlev; k++) {
    int none = k == nlev;
    int lo = 0, hi = 0;
    char *col, *text;
    if (none) {
      col = cohort_dupf("%s_none", o->name);
      text = cohort_dupf("%s: no spell in months %d-%d", o->text, o->from, o->to);
    } else if (o->by) {
      col = level_column(E, o->name, levels[k]);
      text = cohort_dupf("%s: the first spell's %s is %s", o->text, o->by, levels[k]);
    } else {
      lo = k ? o->bins[k - 1] : o->from;
      hi = k < o->nbins ? o->bins[k] : o->to;
      col = cohort_dupf("%s_%d_%d", o->name, lo, hi);
      text = cohort_dupf("%s: the first spell starts in months %d-%d", o->text, lo, hi);
    }
    char *name = col ? strdup(col) : NULL;
    int rc = add_result_outcome(R, name, text, o, 1);
    peil_cohort_outcome *ro = rc ? NULL : &R->outcomes[R->noutcomes - 1];
    if (ro && (!(ro->family = strdup(o->name)) ||
                !(ro->category = none ? strdup("none")
                                      : o->by ? strdup(levels[k]) : cohort_dupf("%d-%d", lo, hi))))
      rc = peil_error(PEIL_ENOMEM, "out of memory");
    outcome_slot *sl = rc ? NULL : add_slot(E, def, o->to);
    if (!sl) {
      free(col);
      return rc ? rc : peil_error(PEIL_ENOMEM, "out of memory");
    }
    sl->column = col;
    sl->table = table;
    sl->bit = bit;
    sl->none = none;
    sl->bin_lo = lo;
    sl->bin_hi = hi;
    sl->attr = attr;
    if (o->by && !none) sl->code = (int32_t)k;
  }
  return PEIL_OK;
}

int cohort_outcomes_setup(cohort_engine *E) {
  const peil_cohort_spec *s = E->spec;
  peil_cohort_result *R = E->res;
  int rc = PEIL_OK;
  for (size_t i = 0; !rc && i < s->noutcomes; i++) {
    const outcome_def *o = &s->outcomes[i];
    int table = -1, bit = -1;
    if (o->kind != OUT_NONE && (rc = cohort_use_status(E, &o->st, o->line, &table, &bit))) break;
    if (o->same && (table != 0 || !E->tables[0].has_group))
      return cohort_spec_error(s, o->line, PEIL_EINVAL,
                               "outcome.%s: 'same' compares with the group on the reference "
                               "date, so it needs the population's table '%s'%s",
                               o->name, E->tables[0].name,
                               E->tables[0].has_group ? "" : " with a group column");
    if (o->kind == OUT_FIRST) {
      rc = setup_first(E, i, table, bit);
      continue;
    }
    int window = o->kind == OUT_EVER || o->kind == OUT_MONTHS;
    if ((rc = add_result_outcome(R, strdup(o->name), strdup(o->text), window ? o : NULL,
                                 o->kind != OUT_MONTHS)))
      break;
    size_t nh = window ? 1 : s->horizons.n;
    int *none_tables = NULL;
    if (o->kind == OUT_NONE) {
      if (!(none_tables = calloc(o->nnone, sizeof *none_tables)))
        return peil_error(PEIL_ENOMEM, "out of memory");
      for (size_t k = 0; !rc && k < o->nnone; k++)
        rc = cohort_use_table(E, o->none_tables[k], o->line, &none_tables[k]);
    }
    for (size_t h = 0; !rc && h < nh; h++) {
      outcome_slot *sl = add_slot(E, i, window ? o->to : s->horizons.v[h]);
      if (!sl) {
        rc = peil_error(PEIL_ENOMEM, "out of memory");
        break;
      }
      sl->table = table;
      sl->bit = bit;
      sl->column = window ? strdup(o->name) : cohort_dupf("%s_%d", o->name, sl->horizon);
      if (!sl->column) rc = peil_error(PEIL_ENOMEM, "out of memory");
      if (!rc && none_tables) {
        if (!(sl->none_tables = malloc(o->nnone * sizeof *sl->none_tables))) {
          rc = peil_error(PEIL_ENOMEM, "out of memory");
          break;
        }
        memcpy(sl->none_tables, none_tables, o->nnone * sizeof *none_tables);
        sl->nnone = o->nnone;
      }
    }
    free(none_tables);
  }
  return rc;
}

/* The months k a `months` window reads: A..B with an end at 0 left out, so
 * that 0..12 counts the 12 months after the clock date (k = 1..12) and
 * -24..0 the 24 before it (k = -24..-1); the clock date itself (k = 0) is
 * counted only by a window around it (-12..12: 25 months). */
static void months_read(const outcome_def *o, int *lo, int *hi) {
  *lo = o->from == 0 ? 1 : o->from;
  *hi = o->to == 0 ? -1 : o->to;
}

double cohort_outcome_value(const cohort_engine *E, const outcome_slot *sl, const cohort_member *m,
                            int32_t group_code, uint8_t *censored) {
  const outcome_def *o = &E->spec->outcomes[sl->def];
  *censored = 0;
  if (o->kind == OUT_ON || o->kind == OUT_NONE) {
    int32_t h = cohort_plus_months(E, m, sl->horizon);
    if ((*censored = (uint8_t)cohort_censored(E, h, h))) return 0;
    if (o->kind == OUT_NONE) {
      for (size_t k = 0; k < sl->nnone; k++)
        if (spells_covering(&E->tables[sl->none_tables[k]], h, -1, -1) >= 0) return 0;
      return 1;
    }
    const spell_table *t = &E->tables[sl->table];
    return spells_covering(t, h, sl->bit, o->same ? group_code : -1) >= 0;
  }
  const spell_table *t = &E->tables[sl->table];
  if (o->kind == OUT_EVER || o->kind == OUT_FIRST) {
    /* the window: from clock + A months up to the day before clock + B months */
    int32_t a = cohort_plus_months(E, m, o->from);
    int32_t b = cohort_plus_months(E, m, o->to) - 1;
    if ((*censored = (uint8_t)cohort_censored(E, a, b))) return 0;
    if (o->kind == OUT_EVER) return spells_overlap(t, a, b, sl->bit);
    int32_t day;
    long i = spells_first(t, a, b, sl->bit, &day);
    if (sl->none) return i < 0;
    if (i < 0) return 0;
    if (sl->code >= 0) return t->attrs[(size_t)i * t->nattr + sl->attr] == sl->code;
    return day >= cohort_plus_months(E, m, sl->bin_lo) && day < cohort_plus_months(E, m, sl->bin_hi);
  }
  /* OUT_MONTHS: the months k on whose day clock + k months a spell runs */
  int lo, hi;
  months_read(o, &lo, &hi);
  int32_t first = cohort_plus_months(E, m, lo), last = cohort_plus_months(E, m, hi);
  if ((*censored = (uint8_t)cohort_censored(E, first, last))) return 0;
  int c = 0;
  for (int k = lo; k <= hi; k++)
    c += spells_covering(t, cohort_plus_months(E, m, k), sl->bit, -1) >= 0;
  return c;
}
