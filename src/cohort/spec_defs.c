/* The cohort spec's definitions with a grammar of their own: subsets,
 * outcomes, the states of the transitions and co-occurrences
 * (docs/cohort.md). Each is "KEYWORD TABLE [window] [options] [where C]";
 * the condition is parsed later, against the table's columns. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cohort_internal.h"

static const char *skip_space(const char *p) {
  while (isspace((unsigned char)*p)) p++;
  return p;
}

/* The word at p (up to white space); *end points past it. */
static size_t word(const char *p, const char **end) {
  const char *e = p;
  while (*e && !isspace((unsigned char)*e)) e++;
  *end = e;
  return (size_t)(e - p);
}

static int is_word(const char *p, const char *w) {
  size_t n = strlen(w);
  return strncmp(p, w, n) == 0 && (!p[n] || isspace((unsigned char)p[n]));
}

/* Where "where" starts as a word in p, or the end of p. */
static const char *find_where(const char *p) {
  for (const char *q = p; *q; q++)
    if ((q == p || isspace((unsigned char)q[-1])) && is_word(q, "where")) return q;
  return p + strlen(p);
}

/* "TABLE [same] [where EXPR]" (after an outcome's keyword and window). */
static int parse_status(peil_cohort_spec *s, int line, const char *what, const char *text,
                        status_def *st, int *same) {
  const char *p = skip_space(text), *e;
  if (!word(p, &e)) return cohort_spec_error(s, line, PEIL_EINVAL, "%s: a table name is missing", what);
  if (!(st->table = strndup(p, (size_t)(e - p)))) return peil_error(PEIL_ENOMEM, "out of memory");
  p = skip_space(e);
  if (same && is_word(p, "same")) {
    *same = 1;
    p = skip_space(p + 4);
  }
  if (!*p) return PEIL_OK;
  if (!is_word(p, "where"))
    return cohort_spec_error(s, line, PEIL_EINVAL, "%s: expected 'where CONDITION' after '%s', not '%s'",
                             what, st->table, p);
  p = skip_space(p + 5);
  if (!*p) return cohort_spec_error(s, line, PEIL_EINVAL, "%s: the condition after 'where' is missing", what);
  if (!(st->where = strdup(p))) return peil_error(PEIL_ENOMEM, "out of memory");
  return PEIL_OK;
}

/* The where clause at p ("" or "where C") into st (the table is set). */
static int parse_where(peil_cohort_spec *s, int line, const char *what, const char *p,
                       status_def *st) {
  p = skip_space(p);
  if (!*p) return PEIL_OK;
  if (!is_word(p, "where"))
    return cohort_spec_error(s, line, PEIL_EINVAL, "%s: expected 'where CONDITION', not '%s'", what, p);
  p = skip_space(p + 5);
  if (!*p) return cohort_spec_error(s, line, PEIL_EINVAL, "%s: the condition after 'where' is missing", what);
  if (!(st->where = strdup(p))) return peil_error(PEIL_ENOMEM, "out of memory");
  return PEIL_OK;
}

static int check_name(peil_cohort_spec *s, int line, const char *kind, const char *name) {
  if (!cohort_valid_name(name) || strcmp(name, "all") == 0)
    return cohort_spec_error(s, line, PEIL_EINVAL, "%s name '%s': use letters, digits and _ (not 'all')",
                             kind, name);
  return PEIL_OK;
}

/* A named status (subsets and states): "TABLE [where C]". */
static int add_named_status(peil_cohort_spec *s, int line, const char *kind, const char *name,
                            const char *value, subset_def **list, size_t *n) {
  int rc = check_name(s, line, kind, name);
  if (rc) return rc;
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*list)[i].name, name) == 0)
      return cohort_spec_error(s, line, PEIL_EINVAL, "%s '%s' is defined twice", kind, name);
  subset_def *v = realloc(*list, (*n + 1) * sizeof *v);
  if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
  *list = v;
  subset_def *d = &v[(*n)++];
  memset(d, 0, sizeof *d);
  d->line = line;
  if (!(d->name = strdup(name)) || !(d->text = strdup(value)))
    return peil_error(PEIL_ENOMEM, "out of memory");
  char what[80];
  snprintf(what, sizeof what, "%s.%s", kind, name);
  return parse_status(s, line, what, value, &d->st, NULL);
}

int cohort_add_subset(peil_cohort_spec *s, int line, const char *name, const char *value) {
  return add_named_status(s, line, "subset", name, value, &s->subsets, &s->nsubsets);
}

int cohort_add_state(peil_cohort_spec *s, int line, const char *name, const char *value) {
  return add_named_status(s, line, "state", name, value, &s->states, &s->nstates);
}

/* "first TABLE A..B bins C1, C2 [where C]" or "first TABLE A..B by COLUMN [where C]",
 * from p (after the window). */
static int parse_first(peil_cohort_spec *s, int line, const char *what, const char *p,
                       outcome_def *o) {
  p = skip_space(p);
  const char *e;
  if (is_word(p, "bins")) {
    const char *w = find_where(p + 4);
    char *list = strndup(p + 4, (size_t)(w - (p + 4)));
    char **items = NULL;
    size_t m = 0;
    int rc = list ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
    if (!rc && peil_spec_split_list(list, "bins", &items, &m))
      rc = cohort_spec_error(s, line, PEIL_EINVAL, "%s: %s", what, peil_errmsg());
    if (!rc && !(o->bins = malloc(m * sizeof *o->bins))) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < m; i++) {
      int lo = i ? o->bins[i - 1] + 1 : o->from + 1;
      if (cohort_parse_int(items[i], lo, o->to - 1, &o->bins[i]))
        rc = cohort_spec_error(s, line, PEIL_EINVAL,
                               "%s: bin limit '%s' is not a whole number of months between %d and "
                               "%d, above the one before",
                               what, items[i], o->from, o->to);
      o->nbins = i + 1;
    }
    peil_spec_list_free(items);
    free(list);
    return rc ? rc : parse_where(s, line, what, w, &o->st);
  }
  if (is_word(p, "by")) {
    p = skip_space(p + 2);
    if (!word(p, &e) || is_word(p, "where"))
      return cohort_spec_error(s, line, PEIL_EINVAL, "%s: a column name is missing after 'by'", what);
    if (!(o->by = strndup(p, (size_t)(e - p)))) return peil_error(PEIL_ENOMEM, "out of memory");
    return parse_where(s, line, what, e, &o->st);
  }
  return cohort_spec_error(s, line, PEIL_EINVAL,
                           "%s: expected 'bins C1, C2' (months) or 'by COLUMN' after the window, "
                           "e.g. 'first jobs 0..12 bins 3, 6'",
                           what);
}

/* ever/months/first: "TABLE A..B ..." from p (after the keyword). */
static int parse_window_outcome(peil_cohort_spec *s, int line, const char *what, const char *kw,
                                const char *p, outcome_def *o) {
  const char *t = skip_space(p), *te, *we;
  size_t tl = word(t, &te);
  const char *w = skip_space(te);
  size_t wl = word(w, &we);
  char win[64];
  snprintf(win, sizeof win, "%.*s", (int)wl, w);
  if (o->kind == OUT_FIRST) {
    if (!tl || cohort_parse_window(win, &o->from, &o->to))
      return cohort_spec_error(s, line, PEIL_EINVAL,
                               "%s: expected 'first TABLE A..B bins C1, C2 [where C]' with whole "
                               "months 0 <= A < B <= %d, e.g. 'first jobs 0..12 bins 3, 6'",
                               what, COHORT_MAX_MONTHS);
    /* first measures the time from the clock date to the first spell (its
     * bins are months after it); whether there was one before is `ever` */
    if (o->from < 0)
      return cohort_spec_error(s, line, PEIL_EINVAL,
                               "%s: a first window starts at the clock date or later (0 <= A < B), "
                               "not '%s'; for the history use 'ever' or 'months', e.g. 'ever %.*s "
                               "%s'",
                               what, win, (int)tl, t, win);
  } else if (!tl || cohort_parse_window(win, &o->from, &o->to)) {
    return cohort_spec_error(s, line, PEIL_EINVAL,
                             "%s: expected '%s TABLE A..B [where C]' with whole months -%d <= A < B "
                             "<= %d (negative: before the clock date), e.g. '%s jobs 0..12' or "
                             "'%s jobs -24..0'",
                             what, kw, COHORT_MAX_MONTHS, COHORT_MAX_MONTHS, kw, kw);
  }
  if (!(o->st.table = strndup(t, tl))) return peil_error(PEIL_ENOMEM, "out of memory");
  if (o->kind == OUT_FIRST) return parse_first(s, line, what, we, o);
  return parse_where(s, line, what, we, &o->st);
}

int cohort_add_outcome(peil_cohort_spec *s, int line, const char *name, const char *value) {
  if (!cohort_valid_name(name))
    return cohort_spec_error(s, line, PEIL_EINVAL, "outcome name '%s': use letters, digits and _",
                             name);
  for (size_t i = 0; i < s->noutcomes; i++)
    if (strcmp(s->outcomes[i].name, name) == 0)
      return cohort_spec_error(s, line, PEIL_EINVAL, "outcome '%s' is defined twice", name);
  outcome_def *v = realloc(s->outcomes, (s->noutcomes + 1) * sizeof *v);
  if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
  s->outcomes = v;
  outcome_def *o = &v[s->noutcomes++];
  memset(o, 0, sizeof *o);
  o->line = line;
  if (!(o->name = strdup(name)) || !(o->text = strdup(value)))
    return peil_error(PEIL_ENOMEM, "out of memory");
  char what[80];
  snprintf(what, sizeof what, "outcome.%s", name);
  const char *kw = skip_space(value), *p;
  word(kw, &p);
  if (is_word(kw, "on")) {
    o->kind = OUT_ON;
    return parse_status(s, line, what, p, &o->st, &o->same);
  }
  if (is_word(kw, "none")) {
    o->kind = OUT_NONE;
    if (peil_spec_split_list(p, what, &o->none_tables, &o->nnone))
      return cohort_spec_error(s, line, PEIL_EINVAL, "%s", peil_errmsg());
    return PEIL_OK;
  }
  static const struct {
    const char *kw;
    outcome_kind kind;
  } windows[] = {{"ever", OUT_EVER}, {"months", OUT_MONTHS}, {"first", OUT_FIRST}};
  for (size_t i = 0; i < sizeof windows / sizeof *windows; i++)
    if (is_word(kw, windows[i].kw)) {
      o->kind = windows[i].kind;
      return parse_window_outcome(s, line, what, windows[i].kw, p, o);
    }
  return cohort_spec_error(s, line, PEIL_EINVAL,
                           "%s: '%s' is not an outcome (on TABLE [same] [where C], none T1, T2, "
                           "ever TABLE A..B [where C], months TABLE A..B [where C], first TABLE "
                           "A..B bins C1, C2 [where C], first TABLE A..B by COLUMN [where C])",
                           what, value);
}

int cohort_add_cooccur(peil_cohort_spec *s, int line, const char *name, const char *value) {
  int rc = check_name(s, line, "cooccur", name);
  if (rc) return rc;
  for (size_t i = 0; i < s->ncooccur; i++)
    if (strcmp(s->cooccur[i].name, name) == 0)
      return cohort_spec_error(s, line, PEIL_EINVAL, "cooccur '%s' is defined twice", name);
  cooccur_def *v = realloc(s->cooccur, (s->ncooccur + 1) * sizeof *v);
  if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
  s->cooccur = v;
  cooccur_def *c = &v[s->ncooccur++];
  memset(c, 0, sizeof *c);
  c->line = line;
  if (!(c->name = strdup(name)) || !(c->text = strdup(value)))
    return peil_error(PEIL_ENOMEM, "out of memory");
  char what[80];
  snprintf(what, sizeof what, "cooccur.%s", name);
  const char *p = skip_space(value), *e;
  size_t n = word(p, &e);
  const char *dot = memchr(p, '.', n);
  if (!dot || dot == p || dot == e - 1)
    return cohort_spec_error(s, line, PEIL_EINVAL,
                             "%s: expected 'TABLE.COLUMN [A..B] [where C]', e.g. 'srg.code', not '%s'",
                             what, value);
  if (!(c->st.table = strndup(p, (size_t)(dot - p))) || !(c->column = strndup(dot + 1, (size_t)(e - dot - 1))))
    return peil_error(PEIL_ENOMEM, "out of memory");
  p = skip_space(e);
  n = word(p, &e);
  if (n && !is_word(p, "where")) {
    char win[64];
    snprintf(win, sizeof win, "%.*s", (int)n, p);
    if (cohort_parse_window(win, &c->from, &c->to))
      return cohort_spec_error(s, line, PEIL_EINVAL,
                               "%s: '%s' is not a window of whole months A..B with -%d <= A < B <= "
                               "%d (negative: before the clock date), e.g. 'srg.code 0..12' or "
                               "'srg.code -12..0'",
                               what, win, COHORT_MAX_MONTHS, COHORT_MAX_MONTHS);
    c->window = 1;
    p = e;
  }
  return parse_where(s, line, what, p, &c->st);
}

static void status_free(status_def *st) {
  free(st->table);
  free(st->where);
}

static void named_free(subset_def *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(v[i].name);
    free(v[i].text);
    status_free(&v[i].st);
  }
  free(v);
}

void cohort_defs_free(peil_cohort_spec *s) {
  named_free(s->subsets, s->nsubsets);
  named_free(s->states, s->nstates);
  for (size_t i = 0; i < s->noutcomes; i++) {
    outcome_def *o = &s->outcomes[i];
    free(o->name);
    free(o->text);
    status_free(&o->st);
    for (size_t k = 0; k < o->nnone; k++) free(o->none_tables[k]);
    free(o->none_tables);
    free(o->bins);
    free(o->by);
  }
  free(s->outcomes);
  for (size_t i = 0; i < s->ncooccur; i++) {
    free(s->cooccur[i].name);
    free(s->cooccur[i].text);
    free(s->cooccur[i].column);
    status_free(&s->cooccur[i].st);
  }
  free(s->cooccur);
}
