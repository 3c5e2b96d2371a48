/* The rules of peil split on one person's spells (docs/split.md): which
 * spells make an episode, the follow-up window, the event, the treatment
 * and the pieces. Times are days since the episode's start, and day t is
 * the interval (t, t + 1], as R's survival package counts: an episode of
 * one day is (0, 1], and an exit on its last day is an event at time 1. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "split_internal.h"

static int matches(const spell *s, int bit) { return bit < 0 || (s->bits >> bit & 1u); }

size_t split_episodes(const spell_table *t, int bit, int gap, split_episode *out) {
  size_t n = 0;
  int64_t reach = 0; /* the latest last day of the current episode */
  for (size_t i = 0; i < t->nsp; i++) {
    const spell *s = &t->sp[i];
    if (!matches(s, bit)) continue;
    if (n == 0 || gap < 0 || (int64_t)s->start > reach + 1 + gap) {
      out[n] = (split_episode){s->start, s->end, (int32_t)n + 1};
      reach = s->end;
      n++;
    } else if (s->end > reach) { /* continues the episode, and ends later */
      reach = s->end;
      out[n - 1].end = s->end;
    }
  }
  return n;
}

int split_window(const split_episode *e, int32_t from, int32_t to, split_followup *f) {
  int64_t first = e->start, last = e->end;
  if (from != PEIL_NA_DATE && from != PEIL_SPLIT_NEVER && from > first) first = from;
  int ended = e->end != INT32_MAX;
  if (to != PEIL_NA_DATE && to < last) {
    last = to;
    ended = 0;
  }
  if (last < first) return 0;
  f->t0 = (int32_t)(first - e->start);
  f->t1 = (int32_t)(last - e->start + 1);
  f->ended = ended;
  f->event = f->unobserved = 0;
  f->on = f->off = PEIL_SPLIT_NEVER;
  f->earlier = 0;
  return 1;
}

int split_event_found(const spell_table *t, int bit, int32_t last, int a, int b) {
  int64_t lo = (int64_t)last + a, hi = (int64_t)last + b;
  for (size_t i = 0; i < t->nsp && t->sp[i].start <= hi; i++)
    if (t->sp[i].start >= lo && matches(&t->sp[i], bit)) return 1;
  return 0;
}

void split_treatment(const spell_table *t, int bit, const split_episode *e, int treatment_end,
                     split_followup *f) {
  int64_t last = (int64_t)e->start + f->t1 - 1; /* the last day of follow-up */
  f->on = f->off = PEIL_SPLIT_NEVER;
  f->earlier = 0;
  int found = 0;
  for (size_t i = 0; i < t->nsp; i++) {
    const spell *s = &t->sp[i];
    if (!matches(s, bit)) continue;
    if (s->end < e->start) {
      f->earlier = 1;
    } else if (!found && s->start <= last) {
      found = 1;
      f->on = s->start > e->start ? s->start - e->start : 0;
      if (treatment_end >= 0 && s->end != INT32_MAX) {
        int64_t off = (int64_t)s->end + treatment_end + 1 - e->start;
        f->off = off < PEIL_SPLIT_NEVER ? (int32_t)off : PEIL_SPLIT_NEVER;
      }
    }
  }
}

static void add_point(split_piece *p, size_t *n, int32_t x, int32_t t0, int32_t t1) {
  if (x > t0 && x < t1) p[(*n)++].a = x;
}

size_t split_pieces(const split_followup *f, const int32_t *cuts, size_t ncuts, split_piece *out) {
  /* The piece boundaries go into out[].a first: t0, the cut points and
   * switches inside (t0, t1), sorted, without repeats; then t1. */
  size_t n = 0;
  out[n++].a = f->t0;
  for (size_t k = 0; k < ncuts; k++) add_point(out, &n, cuts[k], f->t0, f->t1);
  add_point(out, &n, f->on, f->t0, f->t1);
  add_point(out, &n, f->off, f->t0, f->t1);
  for (size_t i = 1; i < n; i++) { /* at most two out of order: the switches */
    int32_t x = out[i].a;
    size_t j = i;
    for (; j > 0 && out[j - 1].a > x; j--) out[j].a = out[j - 1].a;
    out[j].a = x;
  }
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (m == 0 || out[i].a != out[m - 1].a) out[m++].a = out[i].a;
  size_t band = 0;
  for (size_t i = 0; i < m; i++) {
    split_piece *p = &out[i];
    p->b = i + 1 < m ? out[i + 1].a : f->t1;
    while (band < ncuts && cuts[band] <= p->a) band++;
    p->period = (int32_t)band;
    p->treated = f->on <= p->a && p->a < f->off;
    p->event = i + 1 == m && f->event;
  }
  return m;
}

char **split_period_labels(const int32_t *cuts, size_t ncuts) {
  char **v = calloc(ncuts + 2, sizeof *v);
  if (!v) return NULL;
  for (size_t k = 0; k <= ncuts; k++) {
    int32_t lo = k ? cuts[k - 1] : 0;
    char buf[32];
    if (k < ncuts) snprintf(buf, sizeof buf, "%d-%d", (int)lo, (int)cuts[k]);
    else snprintf(buf, sizeof buf, "%d+", (int)lo);
    if (!(v[k] = strdup(buf))) {
      peil_strings_free(v, k);
      return NULL;
    }
  }
  return v;
}

int split_parse_status(const char *text, char **table, char **where) {
  *table = *where = NULL;
  const char *p = text;
  while (isspace((unsigned char)*p)) p++;
  const char *e = p;
  while (*e && !isspace((unsigned char)*e)) e++;
  if (!(*table = strndup(p, (size_t)(e - p)))) return peil_error(PEIL_ENOMEM, "out of memory");
  while (isspace((unsigned char)*e)) e++;
  if (strncmp(e, "where", 5) == 0) { /* checked by peil_split_options_set */
    e += 5;
    while (isspace((unsigned char)*e)) e++;
    if (*e && !(*where = strdup(e))) return peil_error(PEIL_ENOMEM, "out of memory");
  }
  return PEIL_OK;
}
