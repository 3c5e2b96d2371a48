/* Co-occurrence of categories (the Den Haag file's Table 1: of the routes
 * with provision type A, the share that also has type B; DOMAIN.md
 * section 1).
 *
 * For each member, the levels of a categorical column among the spells of
 * a table (satisfying a condition) that overlap a window of months around
 * the clock date (as an `ever` outcome's), or that cover the entry day when
 * no window is given.
 * Per cell, counts[a][b] is the number of members with both a and b; the
 * diagonal is the number with a. Categories are few (tens), members have a
 * handful of spells, so the counting is a loop over the levels seen. */
#include <stdlib.h>
#include <string.h>

#include "cohort_internal.h"

int cohort_cooccur_setup(cohort_engine *E) {
  const peil_cohort_spec *s = E->spec;
  peil_cohort_result *R = E->res;
  if (!s->ncooccur) return PEIL_OK;
  E->cooc = calloc(s->ncooccur, sizeof *E->cooc);
  R->cooccurrences = calloc(s->ncooccur, sizeof *R->cooccurrences);
  if (!E->cooc || !R->cooccurrences) return peil_error(PEIL_ENOMEM, "out of memory");
  E->ncooc = R->ncooccurrences = s->ncooccur;
  for (size_t i = 0; i < s->ncooccur; i++) {
    const cooccur_def *d = &s->cooccur[i];
    cooc_state *c = &E->cooc[i];
    int rc = cohort_use_status(E, &d->st, d->line, &c->table, &c->bit);
    if (!rc) rc = spell_table_add_attr(&E->tables[c->table], d->column, s, d->line, &c->attr);
    if (rc) return rc;
    const peil_table_info *ti = E->tables[c->table].info;
    const peil_column_info *col = &ti->cols[peil_table_info_find(ti, d->column)];
    peil_cohort_cooccurrence *rc_ = &R->cooccurrences[i];
    c->nlevels = rc_->nlevels = col->nlevels;
    if (!(rc_->name = strdup(d->name)) || !(rc_->definition = strdup(d->text)) ||
        !(rc_->levels = calloc(col->nlevels + 1, sizeof *rc_->levels)) ||
        !(c->seen = calloc(col->nlevels + 1, 1)) || !(c->lv = calloc(col->nlevels + 1, sizeof *c->lv)))
      return peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t k = 0; k < col->nlevels; k++)
      if (!(rc_->levels[k] = strdup(col->levels[k]))) return peil_error(PEIL_ENOMEM, "out of memory");
  }
  return PEIL_OK;
}

int cohort_cooccur_start(cohort_engine *E) {
  size_t ncells = cohort_ncells(E);
  for (size_t i = 0; i < E->ncooc; i++) {
    size_t C = E->cooc[i].nlevels;
    if (!(E->cooc[i].counts = calloc(ncells * C * C + 1, sizeof *E->cooc[i].counts)))
      return peil_error(PEIL_ENOMEM, "out of memory");
  }
  return PEIL_OK;
}

void cohort_cooccur_count(cohort_engine *E, const cohort_member *m, const size_t *cells, size_t nc) {
  for (size_t i = 0; i < E->ncooc; i++) {
    const cooccur_def *d = &E->spec->cooccur[i];
    cooc_state *c = &E->cooc[i];
    const spell_table *t = &E->tables[c->table];
    int32_t a = m->entry, b = m->entry;
    if (d->window) {
      a = cohort_plus_months(E, m, d->from);
      b = cohort_plus_months(E, m, d->to) - 1;
      int sides = cohort_censored(E, a, b);
      if (sides) {
        c->censored++;
        c->censored_sides |= sides;
        continue;
      }
    }
    c->observed++;
    size_t *lv = c->lv, n = 0; /* the levels seen, in order of first appearance */
    for (size_t k = 0; k < t->nsp && t->sp[k].start <= b; k++) {
      const spell *sp = &t->sp[k];
      if (sp->end < a || (c->bit >= 0 && !(sp->bits >> c->bit & 1u))) continue;
      int32_t code = t->attrs[k * t->nattr + c->attr];
      if (code < 0 || (size_t)code >= c->nlevels || c->seen[code]) continue;
      c->seen[code] = 1;
      lv[n++] = (size_t)code;
    }
    size_t C = c->nlevels;
    for (size_t j = 0; j < nc; j++) {
      int64_t *cnt = &c->counts[cells[j] * C * C];
      for (size_t x = 0; x < n; x++)
        for (size_t y = 0; y < n; y++) cnt[lv[x] * C + lv[y]]++;
    }
    for (size_t x = 0; x < n; x++) c->seen[lv[x]] = 0;
  }
}

int cohort_cooccur_build(cohort_engine *E) {
  peil_cohort_result *R = E->res;
  size_t cap = 0;
  for (size_t i = 0; i < E->ncooc; i++) {
    const cooc_state *c = &E->cooc[i];
    size_t C = c->nlevels;
    for (size_t e = 0; e < R->npop; e++) {
      const peil_cohort_pop *p = &R->pop[e];
      const int64_t *cnt = &c->counts[cohort_pop_cell(E, p) * C * C];
      for (size_t a = 0; a < C; a++) {
        if (!cnt[a * C + a]) continue;
        for (size_t b = 0; b < C; b++) {
          if (!cnt[b * C + b]) continue;
          if (R->ncooc_cells == cap) {
            cap = cap ? 2 * cap : 256;
            peil_cohort_cooc_cell *v = realloc(R->cooc_cells, cap * sizeof *v);
            if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
            R->cooc_cells = v;
          }
          R->cooc_cells[R->ncooc_cells++] = (peil_cohort_cooc_cell){
              i, p->subset, p->date, p->group, p->stratum, p->level, a, b, cnt[a * C + a],
              cnt[a * C + b], (double)cnt[a * C + b] / (double)cnt[a * C + a]};
        }
      }
    }
    if (c->censored) {
      char why[160];
      cohort_censored_why(E, c->censored_sides, "the window starts", "the window ends", why, sizeof why);
      int rc = cohort_result_add_warning(
          R, "cooccur.%s: %lld of %lld person-dates censored (%s); the shares are of the %lld observed",
          R->cooccurrences[i].name, (long long)c->censored, (long long)(c->censored + c->observed),
          why, (long long)c->observed);
      if (rc) return rc;
    }
  }
  return PEIL_OK;
}

void cohort_cooccur_free(cohort_engine *E) {
  for (size_t i = 0; i < E->ncooc; i++) {
    free(E->cooc[i].counts);
    free(E->cooc[i].seen);
    free(E->cooc[i].lv);
  }
  free(E->cooc);
}
