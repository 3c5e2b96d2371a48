/* The cohort spec: one [cohort NAME] section, key by key (docs/cohort.md). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cohort_internal.h"

int cohort_spec_error(const peil_cohort_spec *s, int line, int status, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!s) return peil_error(status, "%s", msg);
  if (s->file && line > 0)
    return peil_error(status, "%s:%d: [cohort %s] %s", s->file, line, s->name, msg);
  if (s->file) return peil_error(status, "%s: [cohort %s] %s", s->file, s->name, msg);
  return peil_error(status, "cohort %s: %s", s->name, msg);
}

int peil_cohort_spec_new(const char *name, peil_cohort_spec **out) {
  *out = NULL;
  peil_cohort_spec *s = calloc(1, sizeof *s);
  if (!s || !(s->name = strdup(name))) {
    free(s);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  s->clock = CLOCK_DEFAULT;
  s->exit_from = s->exit_to = PEIL_NA_DATE;
  s->data_start = s->data_end = PEIL_NA_DATE;
  s->correct_lpm = 1; /* the report's model; logit on request */
  *out = s;
  return PEIL_OK;
}

static void names_free(name_list *l) {
  peil_spec_list_free(l->v);
  l->v = NULL;
  l->n = 0;
}

void peil_cohort_spec_free(peil_cohort_spec *s) {
  if (!s) return;
  free(s->name);
  free(s->file);
  free(s->spells);
  free(s->group);
  names_free(&s->groups);
  free(s->reference_group);
  free(s->dates);
  free(s->since_cuts.v);
  free(s->horizons.v);
  cohort_defs_free(s);
  names_free(&s->strata);
  free(s->duration_cuts.v);
  free(s->age_cuts.v);
  names_free(&s->covariates);
  names_free(&s->correct_within);
  names_free(&s->correct_outcomes);
  free(s->persons);
  free(s->birth_date);
  names_free(&s->exclusive);
  free(s->state_other);
  free(s->transitions.v);
  free(s);
}

const char *peil_cohort_spec_name(const peil_cohort_spec *s) { return s->name; }

/* ---- Value parsers. */

int cohort_parse_int(const char *s, long lo, long hi, int *out) {
  char *end;
  while (isspace((unsigned char)*s)) s++;
  if (!*s) return -1;
  long v = strtol(s, &end, 10);
  while (isspace((unsigned char)*end)) end++;
  if (*end || v < lo || v > hi) return -1;
  *out = (int)v;
  return 0;
}

static int parse_date(const char *s, int32_t *d) {
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) n--;
  return peil_date_parse(s, n, d) ? -1 : 0;
}

int cohort_parse_window(const char *s, int *from, int *to) {
  const char *dots = strstr(s, "..");
  if (!dots) return -1;
  char a[32];
  if ((size_t)(dots - s) >= sizeof a) return -1;
  memcpy(a, s, (size_t)(dots - s));
  a[dots - s] = '\0';
  if (cohort_parse_int(a, -COHORT_MAX_MONTHS, COHORT_MAX_MONTHS, from) ||
      cohort_parse_int(dots + 2, -COHORT_MAX_MONTHS, COHORT_MAX_MONTHS, to) || *to <= *from)
    return -1;
  /* "-0" is 0 to strtol, but a sign on 0 suggests a history window that was
   * meant to be written differently ("-6..0"); say so rather than guess */
  if ((*from == 0 && strchr(a, '-')) || (*to == 0 && strchr(dots + 2, '-'))) return -1;
  return 0;
}

int cohort_parse_dates(const char *value, int32_t **dates, size_t *n, int *step) {
  *dates = NULL;
  *n = 0;
  *step = 0;
  const char *dots = strstr(value, "..");
  if (dots) { /* a series: FROM..TO every K months */
    char a[32], b[32], unit[16];
    int k = 0;
    if ((size_t)(dots - value) >= sizeof a) return -1;
    memcpy(a, value, (size_t)(dots - value));
    a[dots - value] = '\0';
    if (sscanf(dots + 2, " %31s every %d %15s", b, &k, unit) != 3 || k <= 0 || k > 120) return -1;
    if (strcmp(unit, "months") && strcmp(unit, "month")) return -1;
    int32_t d0, d1;
    if (parse_date(a, &d0) || parse_date(b, &d1) || d1 < d0) return -1;
    size_t cap = 0;
    for (int32_t d = d0; d <= d1; d = peil_date_add_months(d0, (int)(++cap) * k)) {
      if (cap > 10000) return -1;
    }
    int32_t *v = malloc(cap * sizeof *v);
    if (!v) return -1;
    for (size_t i = 0; i < cap; i++) v[i] = peil_date_add_months(d0, (int)i * k);
    *dates = v;
    *n = cap;
    *step = k;
    return 0;
  }
  char **items;
  size_t m;
  if (peil_spec_split_list(value, "dates", &items, &m)) return -1;
  int32_t *v = malloc(m * sizeof *v);
  int bad = !v;
  for (size_t i = 0; !bad && i < m; i++)
    bad = parse_date(items[i], &v[i]) || (i && v[i] <= v[i - 1]);
  peil_spec_list_free(items);
  if (bad) {
    free(v);
    return -1;
  }
  *dates = v;
  *n = m;
  return 0;
}

static int set_ints(peil_cohort_spec *s, int line, const char *key, const char *value, long lo,
                    long hi, int increasing, int_list *out) {
  char **items;
  size_t m;
  if (peil_spec_split_list(value, key, &items, &m)) return cohort_spec_error(s, line, PEIL_EINVAL, "%s", peil_errmsg());
  int *v = malloc(m * sizeof *v);
  if (!v) {
    peil_spec_list_free(items);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < m; i++) {
    if (cohort_parse_int(items[i], lo, hi, &v[i]) || (increasing && i && v[i] <= v[i - 1])) {
      int rc = cohort_spec_error(s, line, PEIL_EINVAL,
                                 "%s: '%s' is not a whole number from %ld to %ld%s", key,
                                 items[i], lo, hi, increasing ? " above the one before" : "");
      free(v);
      peil_spec_list_free(items);
      return rc;
    }
  }
  peil_spec_list_free(items);
  free(out->v);
  out->v = v;
  out->n = m;
  out->line = line;
  return PEIL_OK;
}

static int set_names(peil_cohort_spec *s, int line, const char *key, const char *value,
                     name_list *out) {
  char **items;
  size_t m;
  if (peil_spec_split_list(value, key, &items, &m))
    return cohort_spec_error(s, line, PEIL_EINVAL, "%s", peil_errmsg());
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < i; j++)
      if (strcmp(items[i], items[j]) == 0) {
        int rc = cohort_spec_error(s, line, PEIL_EINVAL, "%s: '%s' is listed twice", key, items[i]);
        peil_spec_list_free(items);
        return rc;
      }
  names_free(out);
  out->v = items;
  out->n = m;
  out->line = line;
  return PEIL_OK;
}

static int set_str(char **dst, const char *value) {
  char *v = strdup(value);
  if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
  free(*dst);
  *dst = v;
  return PEIL_OK;
}

static int parse_bool(const char *v, int *out) {
  if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on")) *out = 1;
  else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
    *out = 0;
  else
    return -1;
  return 0;
}

int cohort_valid_name(const char *n) {
  if (!(isalpha((unsigned char)*n) || *n == '_')) return 0;
  for (const char *p = n; *p; p++)
    if (!(isalnum((unsigned char)*p) || *p == '_')) return 0;
  return strlen(n) <= 40;
}

int peil_cohort_spec_set(peil_cohort_spec *s, const char *key, const char *value,
                         const char *file, int line) {
  if (file && !s->file && !(s->file = strdup(file))) return peil_error(PEIL_ENOMEM, "out of memory");
  if (s->finished) return cohort_spec_error(s, line, PEIL_EINVAL, "the spec is already finished");
  if (!strncmp(key, "subset.", 7)) return cohort_add_subset(s, line, key + 7, value);
  if (!strncmp(key, "outcome.", 8)) return cohort_add_outcome(s, line, key + 8, value);
  if (!strncmp(key, "state.", 6)) return cohort_add_state(s, line, key + 6, value);
  if (!strncmp(key, "cooccur.", 8)) return cohort_add_cooccur(s, line, key + 8, value);
  if (!strcmp(key, "population")) {
    if (!strcmp(value, "stock")) s->pop = POP_STOCK;
    else if (!strcmp(value, "inflow")) s->pop = POP_INFLOW;
    else if (!strcmp(value, "exit")) s->pop = POP_EXIT;
    else
      return cohort_spec_error(s, line, PEIL_EINVAL, "population: '%s' is not stock, inflow or exit",
                               value);
    s->pop_set = 1;
    return PEIL_OK;
  }
  if (!strcmp(key, "spells")) return set_str(&s->spells, value);
  if (!strcmp(key, "group")) {
    s->group_line = line;
    return set_str(&s->group, strcmp(value, "none") ? value : "");
  }
  if (!strcmp(key, "groups")) return set_names(s, line, key, value, &s->groups);
  if (!strcmp(key, "reference_group")) {
    s->reference_line = line;
    return set_str(&s->reference_group, value);
  }
  if (!strcmp(key, "dates")) {
    free(s->dates);
    if (cohort_parse_dates(value, &s->dates, &s->ndates, &s->dates_step))
      return cohort_spec_error(s, line, PEIL_EINVAL,
                               "dates: '%s' is neither a list of increasing dates (2018-01-01, "
                               "2018-07-01) nor a series (2018-01-01..2022-01-01 every 6 months)",
                               value);
    s->dates_line = line;
    return PEIL_OK;
  }
  if (!strcmp(key, "period")) {
    if (cohort_parse_int(value, 1, 1200, &s->period))
      return cohort_spec_error(s, line, PEIL_EINVAL, "period: '%s' is not a number of months", value);
    return PEIL_OK;
  }
  if (!strcmp(key, "exit_window")) {
    const char *dots = strstr(value, "..");
    char a[32];
    if (!dots || (size_t)(dots - value) >= sizeof a)
      return cohort_spec_error(s, line, PEIL_EINVAL, "exit_window: expected FROM..TO dates, not '%s'", value);
    memcpy(a, value, (size_t)(dots - value));
    a[dots - value] = '\0';
    if (parse_date(a, &s->exit_from) || parse_date(dots + 2, &s->exit_to) || s->exit_to < s->exit_from)
      return cohort_spec_error(s, line, PEIL_EINVAL, "exit_window: expected FROM..TO dates, not '%s'", value);
    return PEIL_OK;
  }
  if (!strcmp(key, "since_cuts")) return set_ints(s, line, key, value, 1, 1200, 1, &s->since_cuts);
  if (!strcmp(key, "clock")) {
    if (!strcmp(value, "calendar")) s->clock = CLOCK_CALENDAR;
    else if (!strcmp(value, "event")) s->clock = CLOCK_EVENT;
    else return cohort_spec_error(s, line, PEIL_EINVAL, "clock: '%s' is not calendar or event", value);
    return PEIL_OK;
  }
  if (!strcmp(key, "horizons")) return set_ints(s, line, key, value, 0, 1200, 1, &s->horizons);
  if (!strcmp(key, "strata")) return set_names(s, line, key, value, &s->strata);
  if (!strcmp(key, "duration_cuts")) return set_ints(s, line, key, value, 1, 1200, 1, &s->duration_cuts);
  if (!strcmp(key, "age_cuts")) return set_ints(s, line, key, value, 1, 120, 1, &s->age_cuts);
  if (!strcmp(key, "episode_gap")) {
    if (cohort_parse_int(value, 0, 366, &s->episode_gap))
      return cohort_spec_error(s, line, PEIL_EINVAL, "episode_gap: '%s' is not 0..366 days", value);
    return PEIL_OK;
  }
  if (!strcmp(key, "covariates")) {
    s->covariates_set = 1;
    if (!strcmp(value, "none")) {
      names_free(&s->covariates);
      s->covariates.line = line;
      return PEIL_OK;
    }
    return set_names(s, line, key, value, &s->covariates);
  }
  if (!strcmp(key, "correct")) {
    char **items;
    size_t m;
    if (peil_spec_split_list(value, key, &items, &m))
      return cohort_spec_error(s, line, PEIL_EINVAL, "%s", peil_errmsg());
    s->correct_lpm = s->correct_logit = 0;
    int rc = PEIL_OK;
    for (size_t i = 0; i < m && !rc; i++) {
      if (!strcmp(items[i], "lpm")) s->correct_lpm = 1;
      else if (!strcmp(items[i], "logit")) s->correct_logit = 1;
      else if (strcmp(items[i], "none") || m > 1)
        rc = cohort_spec_error(s, line, PEIL_EINVAL, "correct: '%s' is not lpm, logit or none", items[i]);
    }
    peil_spec_list_free(items);
    return rc;
  }
  if (!strcmp(key, "correct_within")) return set_names(s, line, key, value, &s->correct_within);
  if (!strcmp(key, "correct_outcomes")) return set_names(s, line, key, value, &s->correct_outcomes);
  if (!strcmp(key, "by_date")) {
    if (parse_bool(value, &s->by_date))
      return cohort_spec_error(s, line, PEIL_EINVAL, "by_date: '%s' is not yes or no", value);
    return PEIL_OK;
  }
  if (!strcmp(key, "persons")) return set_str(&s->persons, value);
  if (!strcmp(key, "birth_date")) return set_str(&s->birth_date, value);
  if (!strcmp(key, "data_start") || !strcmp(key, "data_end")) {
    int32_t d;
    if (parse_date(value, &d)) return cohort_spec_error(s, line, PEIL_EINVAL, "%s: '%s' is not a date", key, value);
    *(key[5] == 's' ? &s->data_start : &s->data_end) = d;
    return PEIL_OK;
  }
  if (!strcmp(key, "exclusive")) return set_names(s, line, key, value, &s->exclusive);
  if (!strcmp(key, "transitions")) {
    int rc = set_ints(s, line, key, value, 0, 1200, 1, &s->transitions);
    if (!rc && (s->transitions.n < 2 || s->transitions.n > 3))
      rc = cohort_spec_error(s, line, PEIL_EINVAL,
                             "transitions: give two or three moments (months after the clock "
                             "date, e.g. 0, 12 or 0, 6, 18), not %zu",
                             s->transitions.n);
    return rc;
  }
  if (!strcmp(key, "state_other")) {
    if (!cohort_valid_name(value))
      return cohort_spec_error(s, line, PEIL_EINVAL, "state_other: '%s': use letters, digits and _", value);
    return set_str(&s->state_other, value);
  }
  return cohort_spec_error(
      s, line, PEIL_EINVAL,
      "unknown key '%s' (population, spells, group, groups, reference_group, dates, period, "
      "exit_window, since_cuts, clock, horizons, subset.NAME, outcome.NAME, state.NAME, state_other, "
      "transitions, cooccur.NAME, strata, "
      "duration_cuts, age_cuts, episode_gap, covariates, correct, correct_within, correct_outcomes, by_date, "
      "persons, birth_date, data_start, data_end, exclusive)",
      key);
}

static int default_ints(int_list *l, const int *v, size_t n) {
  if (l->n) return PEIL_OK;
  if (!(l->v = malloc(n * sizeof *l->v))) return peil_error(PEIL_ENOMEM, "out of memory");
  memcpy(l->v, v, n * sizeof *v);
  l->n = n;
  return PEIL_OK;
}

int peil_cohort_spec_finish(peil_cohort_spec *s) {
  if (s->finished) return PEIL_OK;
  if (!s->pop_set)
    return cohort_spec_error(s, s->line, PEIL_EINVAL, "population is missing (stock, inflow or exit)");
  if (!s->ndates)
    return cohort_spec_error(s, s->line, PEIL_EINVAL,
                             "dates is missing (e.g. 2018-01-01..2022-01-01 every 6 months)");
  if (!s->noutcomes)
    return cohort_spec_error(s, s->line, PEIL_EINVAL,
                             "no outcome: add e.g. 'outcome.still = on bijstand same'");
  int rc;
  if (!s->spells && (rc = set_str(&s->spells, s->pop == POP_EXIT ? "programme" : "bijstand")))
    return rc;
  if (!s->persons && (rc = set_str(&s->persons, "persons"))) return rc;
  if (!s->birth_date && (rc = set_str(&s->birth_date, "birth_date"))) return rc;
  if (s->clock == CLOCK_DEFAULT) s->clock = s->pop == POP_STOCK ? CLOCK_CALENDAR : CLOCK_EVENT;
  if (s->pop == POP_INFLOW && !s->period) {
    if (!s->dates_step)
      return cohort_spec_error(s, s->dates_line, PEIL_EINVAL,
                               "an inflow cohort with a list of dates needs 'period' (months after "
                               "each date in which a start counts)");
    s->period = s->dates_step;
  }
  if (s->pop != POP_INFLOW && s->period)
    return cohort_spec_error(s, s->line, PEIL_EINVAL, "period is for inflow cohorts");
  if (s->pop != POP_EXIT && (s->since_cuts.n || s->exit_from != PEIL_NA_DATE))
    return cohort_spec_error(s, s->line, PEIL_EINVAL, "since_cuts and exit_window are for exit cohorts");
  int need_horizons = 0;
  for (size_t i = 0; i < s->noutcomes; i++)
    need_horizons |= s->outcomes[i].kind == OUT_ON || s->outcomes[i].kind == OUT_NONE;
  if (need_horizons && !s->horizons.n)
    return cohort_spec_error(s, s->line, PEIL_EINVAL, "horizons is missing (months, e.g. 6, 12, 18)");
  static const int dur[] = {12, 24}, age[] = {27, 35, 45, 55}, since[] = {6, 12, 18};
  if ((rc = default_ints(&s->duration_cuts, dur, 2)) || (rc = default_ints(&s->age_cuts, age, 4)))
    return rc;
  if (s->pop == POP_EXIT && (rc = default_ints(&s->since_cuts, since, 3))) return rc;
  for (size_t i = 0; i < s->correct_within.n; i++) {
    size_t j = 0;
    while (j < s->strata.n && strcmp(s->strata.v[j], s->correct_within.v[i])) j++;
    if (j == s->strata.n)
      return cohort_spec_error(s, s->correct_within.line, PEIL_EINVAL,
                               "correct_within: '%s' is not one of the strata", s->correct_within.v[i]);
  }
  for (size_t i = 0; i < s->correct_outcomes.n; i++) {
    size_t j = 0;
    while (j < s->noutcomes && strcmp(s->outcomes[j].name, s->correct_outcomes.v[i])) j++;
    if (j == s->noutcomes)
      return cohort_spec_error(s, s->correct_outcomes.line, PEIL_EINVAL,
                               "correct_outcomes: '%s' is not one of the outcomes",
                               s->correct_outcomes.v[i]);
    if (s->outcomes[j].kind == OUT_MONTHS)
      return cohort_spec_error(s, s->correct_outcomes.line, PEIL_EINVAL,
                               "correct_outcomes: '%s' counts months; the correction is for 0/1 "
                               "outcomes",
                               s->correct_outcomes.v[i]);
  }
  if (s->nstates && !s->transitions.n)
    return cohort_spec_error(s, s->states[0].line, PEIL_EINVAL,
                             "states need 'transitions' (the moments, e.g. 0, 12)");
  if (s->transitions.n && !s->nstates)
    return cohort_spec_error(s, s->transitions.line, PEIL_EINVAL,
                             "transitions need states (e.g. state.work = jobs, state.bijstand = bijstand)");
  if (s->nstates && !s->state_other && (rc = set_str(&s->state_other, "other"))) return rc;
  for (size_t i = 0; i < s->nstates; i++)
    if (!strcmp(s->states[i].name, s->state_other))
      return cohort_spec_error(s, s->states[i].line, PEIL_EINVAL,
                               "state '%s' has the name of the rest (state_other)", s->state_other);
  s->finished = 1;
  return PEIL_OK;
}

int peil_cohort_spec_load(const char *path, peil_cohort_spec ***specs, size_t *n) {
  *specs = NULL;
  *n = 0;
  peil_spec_file *f;
  int rc = peil_spec_read(path, &f);
  if (rc) return rc;
  peil_cohort_spec **v = calloc(f->nsections + 1, sizeof *v);
  size_t m = 0;
  if (!v) rc = peil_error(PEIL_ENOMEM, "out of memory");
  char type[64], name[256];
  for (size_t i = 0; !rc && i < f->nsections; i++) {
    peil_spec_section_split(f->sections[i], type, sizeof type, name, sizeof name);
    if (strcmp(type, "cohort"))
      rc = peil_error(PEIL_EINVAL, "%s:%d: [%s]: peil cohort reads [cohort NAME] sections", path,
                      f->section_line[i], f->sections[i]);
    else if (!name[0])
      rc = peil_error(PEIL_EINVAL, "%s:%d: [cohort] needs a name: [cohort g4]", path,
                      f->section_line[i]);
    for (size_t j = 0; !rc && j < m; j++)
      if (strcmp(v[j]->name, name) == 0)
        rc = peil_error(PEIL_EINVAL, "%s:%d: [cohort %s] appears twice", path, f->section_line[i], name);
    if (!rc && !(rc = peil_cohort_spec_new(name, &v[m]))) {
      v[m]->line = f->section_line[i];
      if (!(v[m]->file = strdup(path))) rc = peil_error(PEIL_ENOMEM, "out of memory");
      for (size_t e = 0; !rc && e < f->n; e++)
        if (strcmp(f->entries[e].section, f->sections[i]) == 0)
          rc = peil_cohort_spec_set(v[m], f->entries[e].key, f->entries[e].value, path,
                                    f->entries[e].line);
      m++;
    }
  }
  for (size_t e = 0; !rc && e < f->n; e++)
    if (!f->entries[e].section[0])
      rc = peil_error(PEIL_EINVAL, "%s:%d: '%s' outside a section: put it under [cohort NAME]",
                      path, f->entries[e].line, f->entries[e].key);
  if (!rc && m == 0) rc = peil_error(PEIL_EINVAL, "%s: no [cohort NAME] section", path);
  for (size_t i = 0; !rc && i < m; i++) rc = peil_cohort_spec_finish(v[i]);
  peil_spec_file_free(f);
  if (rc) {
    peil_cohort_specs_free(v, m);
    return rc;
  }
  *specs = v;
  *n = m;
  return PEIL_OK;
}

void peil_cohort_specs_free(peil_cohort_spec **specs, size_t n) {
  if (!specs) return;
  for (size_t i = 0; i < n; i++) peil_cohort_spec_free(specs[i]);
  free(specs);
}
