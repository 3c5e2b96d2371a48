/* The options of peil split, key by key: the CLI's long options and the
 * keys of a [split NAME] section are the same names and go through
 * peil_split_options_set, so both say the same thing about a bad value. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peil/spec.h"
#include "split_internal.h"

static const int32_t DEFAULT_CUTS[] = {91, 182, 273, 365, 547}; /* seed 003, Table 6.3 */
static const int32_t DEFAULT_AGE_CUTS[] = {27, 35, 45, 55};     /* as peil cohort's age_band */

static int32_t *dup_ints(const int32_t *v, size_t n) {
  int32_t *c = malloc((n ? n : 1) * sizeof *c);
  if (c && n) memcpy(c, v, n * sizeof *c);
  return c;
}

int peil_split_options_init(peil_split_options *o) {
  memset(o, 0, sizeof *o);
  o->gap = 0;
  o->within_from = 1;
  o->within_to = 31;
  o->treatment_end = -1;
  o->data_start = o->data_end = PEIL_NA_DATE;
  o->age_min = o->age_max = -1;
  o->covariates_all = 1;
  o->spells = strdup("bijstand");
  o->event = strdup("jobs");
  o->persons = strdup("persons");
  o->birth_date = strdup("birth_date");
  o->table = strdup("episodes");
  o->ncuts = sizeof DEFAULT_CUTS / sizeof *DEFAULT_CUTS;
  o->cuts = dup_ints(DEFAULT_CUTS, o->ncuts);
  o->nage_cuts = sizeof DEFAULT_AGE_CUTS / sizeof *DEFAULT_AGE_CUTS;
  o->age_cuts = dup_ints(DEFAULT_AGE_CUTS, o->nage_cuts);
  if (!o->spells || !o->event || !o->persons || !o->birth_date || !o->table || !o->cuts ||
      !o->age_cuts) {
    peil_split_options_free(o);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  return PEIL_OK;
}

void peil_split_options_free(peil_split_options *o) {
  if (!o) return;
  free(o->spells);
  free(o->event);
  free(o->treatment);
  free(o->where);
  free(o->cuts);
  free(o->age_cuts);
  peil_spec_list_free(o->covariates);
  free(o->persons);
  free(o->birth_date);
  free(o->table);
  memset(o, 0, sizeof *o);
}

/* ---- Value parsers: 0, or -1 for a value that does not parse. */

static const char *trim(const char *s, size_t *len) {
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) n--;
  *len = n;
  return s;
}

static int is_text(const char *value, const char *word) {
  size_t n;
  const char *s = trim(value, &n);
  return n == strlen(word) && strncmp(s, word, n) == 0;
}

static int parse_int(const char *value, long lo, long hi, int *out) {
  size_t n;
  const char *s = trim(value, &n);
  char buf[32];
  if (!n || n >= sizeof buf) return -1;
  memcpy(buf, s, n);
  buf[n] = '\0';
  char *end;
  long v = strtol(buf, &end, 10);
  if (*end || v < lo || v > hi) return -1;
  *out = (int)v;
  return 0;
}

static int parse_day(const char *value, int32_t *d) {
  size_t n;
  const char *s = trim(value, &n);
  return n && peil_date_parse(s, n, d) == 0 ? 0 : -1;
}

/* "A..B" with lo <= A <= B <= hi into *a, *b. */
static int parse_range(const char *value, long lo, long hi, int *a, int *b) {
  const char *dots = strstr(value, "..");
  char left[32];
  if (!dots || (size_t)(dots - value) >= sizeof left) return -1;
  memcpy(left, value, (size_t)(dots - value));
  left[dots - value] = '\0';
  if (parse_int(left, lo, hi, a) || parse_int(dots + 2, lo, hi, b) || *b < *a) return -1;
  return 0;
}

/* "TABLE" or "TABLE where CONDITION": the table must be a name. */
static int check_status(const char *key, const char *value) {
  size_t n;
  const char *s = trim(value, &n);
  size_t w = 0;
  while (w < n && !isspace((unsigned char)s[w])) w++;
  if (!w)
    return peil_error(PEIL_EINVAL, "%s: a table name is missing (TABLE or TABLE where CONDITION)", key);
  const char *rest = s + w;
  while (isspace((unsigned char)*rest)) rest++;
  size_t rn = n - (size_t)(rest - s);
  if (rn && !(rn >= 5 && strncmp(rest, "where", 5) == 0 && (rn == 5 || isspace((unsigned char)rest[5]))))
    return peil_error(PEIL_EINVAL, "%s: expected 'where CONDITION' after the table '%.*s', not '%.*s'",
                      key, (int)w, s, (int)rn, rest);
  if (rn) { /* "where" and then at least one character of a condition */
    size_t c = 5;
    while (c < rn && isspace((unsigned char)rest[c])) c++;
    if (c == rn) return peil_error(PEIL_EINVAL, "%s: the condition after 'where' is missing", key);
  }
  return PEIL_OK;
}

/* A comma-separated list of whole numbers in [lo, hi], increasing. */
static int parse_cuts(const char *key, const char *value, long lo, long hi, const char *unit,
                      int32_t **out, size_t *nout) {
  if (is_text(value, "none")) {
    free(*out);
    *out = NULL;
    *nout = 0;
    return PEIL_OK;
  }
  char **items;
  size_t n;
  if (peil_spec_split_list(value, key, &items, &n))
    return peil_error(PEIL_EINVAL, "%s: '%s' is not a list of %s (e.g. 91, 182, 273)", key, value, unit);
  int32_t *v = malloc((n ? n : 1) * sizeof *v);
  if (!v) {
    peil_spec_list_free(items);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  int rc = PEIL_OK;
  for (size_t i = 0; i < n && !rc; i++) {
    int x;
    if (parse_int(items[i], -2147483647L, 2147483647L, &x))
      rc = peil_error(PEIL_EINVAL, "%s: '%s' is not a whole number of %s", key, items[i], unit);
    else if (x < lo || x > hi)
      rc = peil_error(PEIL_EINVAL, "%s: %d is not a cut point: cut points are %s from %ld to %ld",
                      key, x, unit, lo, hi);
    else if (i && x <= v[i - 1])
      rc = peil_error(PEIL_EINVAL, "%s: %d after %d: the cut points must increase", key, x, (int)v[i - 1]);
    else
      v[i] = x;
  }
  peil_spec_list_free(items);
  if (rc) {
    free(v);
    return rc;
  }
  free(*out);
  *out = v;
  *nout = n;
  return PEIL_OK;
}

static int set_string(char **field, const char *value) {
  char *c = strdup(value);
  if (!c) return peil_error(PEIL_ENOMEM, "out of memory");
  free(*field);
  *field = c;
  return PEIL_OK;
}

static int set_name(const char *key, char **field, const char *value) {
  size_t n;
  const char *s = trim(value, &n);
  char *c = strndup(s, n);
  if (!c) return peil_error(PEIL_ENOMEM, "out of memory");
  if (!peil_store_valid_name(c)) {
    free(c);
    return peil_error(PEIL_EINVAL, "%s: '%s' is not a table or column name", key, value);
  }
  free(*field);
  *field = c;
  return PEIL_OK;
}

static int set_bool(const char *key, int *field, const char *value) {
  if (is_text(value, "yes") || is_text(value, "true") || is_text(value, "1")) return *field = 1, PEIL_OK;
  if (is_text(value, "no") || is_text(value, "false") || is_text(value, "0")) return *field = 0, PEIL_OK;
  return peil_error(PEIL_EINVAL, "%s: '%s' is not yes or no", key, value);
}

/* ---- The keys. */

static int set_spells(peil_split_options *o, const char *key, const char *value) {
  int rc = check_status(key, value);
  return rc ? rc : set_string(&o->spells, value);
}

static int set_gap(peil_split_options *o, const char *key, const char *value) {
  if (is_text(value, "none")) return o->gap = -1, PEIL_OK;
  if (parse_int(value, 0, 3660, &o->gap))
    return peil_error(PEIL_EINVAL, "%s: '%s' is not none or a number of days 0..3660 (0: adjacent "
                      "spells are one episode)", key, value);
  return PEIL_OK;
}

static int set_event(peil_split_options *o, const char *key, const char *value) {
  if (is_text(value, "ended")) return set_string(&o->event, "ended");
  int rc = check_status(key, value);
  return rc ? rc : set_string(&o->event, value);
}

static int set_within(peil_split_options *o, const char *key, const char *value) {
  int a, b;
  if (!strstr(value, "..") && parse_int(value, 1, 3660, &b) == 0) a = 1;
  else if (parse_range(value, -3660, 3660, &a, &b))
    return peil_error(PEIL_EINVAL, "%s: '%s' is not a number of days W (1..W after the episode's "
                      "last day) or a window A..B of days after it (e.g. -14..31)", key, value);
  o->within_from = a;
  o->within_to = b;
  return PEIL_OK;
}

static int set_cuts(peil_split_options *o, const char *key, const char *value) {
  return parse_cuts(key, value, 1, 100000, "days", &o->cuts, &o->ncuts);
}

static int set_treatment(peil_split_options *o, const char *key, const char *value) {
  if (is_text(value, "none")) {
    free(o->treatment);
    o->treatment = NULL;
    return PEIL_OK;
  }
  int rc = check_status(key, value);
  return rc ? rc : set_string(&o->treatment, value);
}

static int set_treatment_end(peil_split_options *o, const char *key, const char *value) {
  if (is_text(value, "stays")) return o->treatment_end = -1, PEIL_OK;
  if (parse_int(value, 0, 36600, &o->treatment_end))
    return peil_error(PEIL_EINVAL, "%s: '%s' is not stays or a number of days 0..36600 after the "
                      "programme's last day", key, value);
  return PEIL_OK;
}

static int set_data_start(peil_split_options *o, const char *key, const char *value) {
  if (is_text(value, "none")) return o->data_start = PEIL_SPLIT_NEVER, PEIL_OK;
  if (is_text(value, "data")) return o->data_start = PEIL_NA_DATE, PEIL_OK;
  if (parse_day(value, &o->data_start))
    return peil_error(PEIL_EINVAL, "%s: '%s' is not a date (YYYY-MM-DD), data or none", key, value);
  return PEIL_OK;
}

static int set_data_end(peil_split_options *o, const char *key, const char *value) {
  if (is_text(value, "data")) return o->data_end = PEIL_NA_DATE, PEIL_OK;
  if (parse_day(value, &o->data_end))
    return peil_error(PEIL_EINVAL, "%s: '%s' is not a date (YYYY-MM-DD) or data", key, value);
  return PEIL_OK;
}

static int set_where(peil_split_options *o, const char *key, const char *value) {
  size_t n;
  trim(value, &n);
  if (!n || is_text(value, "none")) {
    free(o->where);
    o->where = NULL;
    return PEIL_OK;
  }
  return set_string(&o->where, value);
}

static int set_age(peil_split_options *o, const char *key, const char *value) {
  if (is_text(value, "all")) return o->age_min = o->age_max = -1, PEIL_OK;
  if (parse_range(value, 0, 150, &o->age_min, &o->age_max))
    return peil_error(PEIL_EINVAL, "%s: '%s' is not all or a range of years A..B (e.g. 18..64)", key, value);
  return PEIL_OK;
}

static int set_age_cuts(peil_split_options *o, const char *key, const char *value) {
  return parse_cuts(key, value, 1, 150, "years", &o->age_cuts, &o->nage_cuts);
}

static int set_covariates(peil_split_options *o, const char *key, const char *value) {
  if (is_text(value, "all") || is_text(value, "none")) {
    peil_spec_list_free(o->covariates);
    o->covariates = NULL;
    o->ncovariates = 0;
    o->covariates_all = is_text(value, "all");
    return PEIL_OK;
  }
  char **items;
  size_t n;
  if (peil_spec_split_list(value, key, &items, &n))
    return peil_error(PEIL_EINVAL, "%s: '%s' is not all, none or a list of columns (e.g. sex, "
                      "age_class, earlier)", key, value);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < i; j++)
      if (strcmp(items[i], items[j]) == 0) {
        int rc = peil_error(PEIL_EINVAL, "%s: '%s' is given twice", key, items[i]);
        peil_spec_list_free(items);
        return rc;
      }
  peil_spec_list_free(o->covariates);
  o->covariates = items;
  o->ncovariates = n;
  o->covariates_all = 0;
  return PEIL_OK;
}

static int set_persons(peil_split_options *o, const char *key, const char *value) {
  return set_name(key, &o->persons, value);
}
static int set_birth_date(peil_split_options *o, const char *key, const char *value) {
  return set_name(key, &o->birth_date, value);
}
static int set_table(peil_split_options *o, const char *key, const char *value) {
  return set_name(key, &o->table, value);
}
static int set_force(peil_split_options *o, const char *key, const char *value) {
  return set_bool(key, &o->replace, value);
}
static int set_threads(peil_split_options *o, const char *key, const char *value) {
  if (parse_int(value, 0, 1024, &o->threads))
    return peil_error(PEIL_EINVAL, "%s: '%s' is not a number of threads 0..1024 (0: one per core)", key, value);
  return PEIL_OK;
}

typedef struct {
  const char *key;
  int (*set)(peil_split_options *o, const char *key, const char *value);
} split_key;

static const split_key KEYS[] = {
    {"spells", set_spells},       {"gap", set_gap},
    {"event", set_event},         {"within", set_within},
    {"cuts", set_cuts},           {"treatment", set_treatment},
    {"treatment_end", set_treatment_end}, {"data_start", set_data_start},
    {"data_end", set_data_end},   {"where", set_where},
    {"age", set_age},             {"age_cuts", set_age_cuts},
    {"covariates", set_covariates}, {"persons", set_persons},
    {"birth_date", set_birth_date}, {"table", set_table},
    {"force", set_force},         {"threads", set_threads},
};
#define NKEYS (sizeof KEYS / sizeof *KEYS)

const char *const *peil_split_option_keys(void) {
  static const char *names[NKEYS + 1];
  for (size_t i = 0; i < NKEYS; i++) names[i] = KEYS[i].key;
  names[NKEYS] = NULL;
  return names;
}

int peil_split_options_set(peil_split_options *o, const char *key, const char *value) {
  char k[32];
  size_t n = strlen(key);
  if (n < sizeof k) {
    for (size_t i = 0; i <= n; i++) k[i] = key[i] == '-' ? '_' : key[i];
    for (size_t i = 0; i < NKEYS; i++)
      if (strcmp(k, KEYS[i].key) == 0) return KEYS[i].set(o, KEYS[i].key, value ? value : "");
  }
  char list[512];
  size_t len = 0;
  for (size_t i = 0; i < NKEYS && len < sizeof list; i++)
    len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", KEYS[i].key);
  return peil_error(PEIL_EINVAL, "unknown key '%s' (the keys of a split are: %s)", key, list);
}
