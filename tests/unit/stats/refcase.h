/* The reference cases of tests/reference/stats/cases.ini (made by
 * make_expected.R there): each section's keys as text, the options they
 * set, and one comparison of a result with R's, field by field, to 1e-8
 * relative. Shared by the stats tests. */
#ifndef PEIL_TEST_STATS_REFCASE_H
#define PEIL_TEST_STATS_REFCASE_H

#include "test_util.h"

#define RTOL 1e-8

/* A section: its name and its entries (consecutive in the file). */
typedef struct {
  const char *name;
  const peil_spec_entry *e;
  size_t n;
} ref_case;

typedef struct {
  peil_spec_file *file;
  ref_case *c;
  size_t n;
} ref_cases;

static inline const char *ref_get(const ref_case *c, const char *key);

/* Every case of cases.ini whose test is `test` (through peil's INI reader:
 * long lists come on continuation lines). */
static inline ref_cases ref_load(const char *test) {
  char path[1024];
  snprintf(path, sizeof path, "%s/reference/stats/cases.ini", PEIL_TEST_DATA);
  ref_cases l = {0};
  if (peil_spec_read(path, &l.file) != 0) fail_msg("cannot read %s: %s", path, peil_errmsg());
  l.c = calloc(l.file->nsections + 1, sizeof *l.c);
  for (size_t i = 0; i < l.file->n;) {
    ref_case c = {l.file->entries[i].section, &l.file->entries[i], 0};
    while (i < l.file->n && strcmp(l.file->entries[i].section, c.name) == 0) i++, c.n++;
    const char *t = ref_get(&c, "test");
    if (t && strcmp(t, test) == 0) l.c[l.n++] = c;
  }
  if (l.n == 0) fail_msg("no '%s' cases in %s", test, path);
  return l;
}

static inline void ref_free(ref_cases *l) {
  peil_spec_file_free(l->file);
  free(l->c);
}

static inline const char *ref_get(const ref_case *c, const char *key) {
  for (size_t k = 0; k < c->n; k++)
    if (strcmp(c->e[k].key, key) == 0) return c->e[k].value;
  return NULL;
}

/* "1,2.5,NA,Inf" into v (at most max); the count, 0 when absent. */
static inline size_t ref_nums(const ref_case *c, const char *key, double *v, size_t max) {
  const char *s = ref_get(c, key);
  size_t n = 0;
  while (s && *s && n < max) {
    while (*s == ' ') s++;
    char *end;
    if (strncmp(s, "NA", 2) == 0) v[n] = NAN, end = (char *)s + 2;
    else v[n] = strtod(s, &end);
    if (end == s) fail_msg("%s: bad number in %s: '%s'", c->name, key, s);
    n++;
    s = *end == ',' ? end + 1 : end;
  }
  if (s && *s) fail_msg("%s: more than %zu values in %s", c->name, max, key);
  return n;
}

static inline double ref_num(const ref_case *c, const char *key, double dflt) {
  double v;
  return ref_nums(c, key, &v, 1) ? v : dflt;
}

/* The options a case sets (R's defaults otherwise); p points into pbuf. */
static inline peil_test_options ref_options(const ref_case *c, double *pbuf, size_t pmax) {
  peil_test_options o;
  peil_test_options_init(&o);
  const char *a = ref_get(c, "alternative");
  if (a) o.alternative = (peil_alternative)peil_alternative_from_name(a);
  o.conf_level = ref_num(c, "conf_level", 0.95);
  o.correct = (int)ref_num(c, "correct", 1);
  o.mu = ref_num(c, "mu", 0);
  o.var_equal = (int)ref_num(c, "var_equal", 0);
  o.exact = (int)ref_num(c, "exact", PEIL_EXACT_AUTO);
  o.odds_ratio = ref_num(c, "or", 1);
  if ((o.np = ref_nums(c, "p", pbuf, pmax))) o.p = pbuf;
  return o;
}

/* The largest relative difference seen, for the record (ref_report). */
static double ref_worst = 0;
static char ref_worst_at[160];

static inline void ref_report(const char *what) {
  printf("%s: largest relative difference from R %.3g (%s)\n", what, ref_worst, ref_worst_at[0] ? ref_worst_at : "-");
}

/* |got - want| <= RTOL |want|; equal infinities and NaN (R's NA) match. */
static inline void ref_check(const ref_case *c, const char *what, double got, double want) {
  if (isnan(want) && isnan(got)) return;
  if (isinf(want) && got == want) return;
  double rel = want == 0 ? fabs(got) : fabs(got - want) / fabs(want);
  if (rel > ref_worst) {
    ref_worst = rel;
    snprintf(ref_worst_at, sizeof ref_worst_at, "%s of %s", what, c->name);
  }
  if (!(fabs(got - want) <= RTOL * fabs(want)))
    fail_msg("%s: %s = %.17g, R has %.17g (relative error %.3g)", c->name, what, got, want,
             fabs(got - want) / fabs(want));
}

static inline void ref_check_list(const ref_case *c, const char *key, const double *got, size_t n) {
  double want[64];
  size_t m = ref_nums(c, key, want, 64);
  if (!m) return;
  if (m != n) fail_msg("%s: %zu values of %s, R has %zu", c->name, n, key, m);
  for (size_t i = 0; i < m; i++) {
    char what[64];
    snprintf(what, sizeof what, "%s[%zu]", key, i);
    ref_check(c, what, got[i], want[i]);
  }
}

/* The whole result against R's: every field the case has. */
static inline void ref_check_result(const ref_case *c, const peil_test_result *r) {
  const char *m = ref_get(c, "method");
  if (m && strcmp(m, r->method) != 0) fail_msg("%s: method '%s', R has '%s'", c->name, r->method, m);
  if (ref_get(c, "statistic")) ref_check(c, "statistic", r->statistic, ref_num(c, "statistic", NAN));
  else if (r->statistic_name) fail_msg("%s: a statistic R does not report", c->name);
  if (ref_get(c, "parameter")) ref_check(c, "parameter", r->parameter, ref_num(c, "parameter", NAN));
  ref_check(c, "p_value", r->p_value, ref_num(c, "p_value", NAN));
  if (ref_get(c, "estimate")) ref_check_list(c, "estimate", r->estimate, r->nestimate);
  else if (r->nestimate) fail_msg("%s: estimates R does not report", c->name);
  if (ref_get(c, "conf_low")) {
    ref_check(c, "conf_low", r->conf_low, ref_num(c, "conf_low", NAN));
    ref_check(c, "conf_high", r->conf_high, ref_num(c, "conf_high", NAN));
  } else if (!isnan(r->conf_level)) {
    fail_msg("%s: an interval R does not report", c->name);
  }
  if (ref_get(c, "null_value")) ref_check_list(c, "null_value", r->null_value, r->nnull);
  if (ref_get(c, "z")) ref_check(c, "z", r->z, ref_num(c, "z", NAN));
  if (ref_get(c, "std_error")) ref_check(c, "std_error", r->std_error, ref_num(c, "std_error", NAN));
  size_t cells = r->nrow * r->ncol;
  if (ref_get(c, "expected")) {
    ref_check_list(c, "expected", r->expected, cells);
    ref_check_list(c, "residuals", r->residuals, cells);
    ref_check_list(c, "stdres", r->stdres, cells);
  }
  char warn[1024] = "";
  for (size_t i = 0; i < r->nwarnings; i++)
    snprintf(warn + strlen(warn), sizeof warn - strlen(warn), "%s%s", i ? " | " : "", r->warnings[i]);
  const char *w = ref_get(c, "warnings");
  if (w && strcmp(w, warn) != 0) fail_msg("%s: warnings '%s', R warned '%s'", c->name, warn, w);
}

/* Runs every case of `test` through run (which fills r from the case and
 * its options) and compares with R; check, when given, looks further. */
typedef int (*ref_runner)(const ref_case *c, const peil_test_options *o, peil_test_result *r);
typedef void (*ref_checker)(const ref_case *c, const peil_test_options *o, const peil_test_result *r);

static inline void ref_run_all(const char *test, ref_runner run, ref_checker check) {
  ref_cases l = ref_load(test);
  for (size_t i = 0; i < l.n; i++) {
    const ref_case *c = &l.c[i];
    double p[16];
    peil_test_options o = ref_options(c, p, 16);
    peil_test_result r = {0};
    if (run(c, &o, &r)) fail_msg("%s: %s", c->name, peil_errmsg());
    ref_check_result(c, &r);
    if (check) check(c, &o, &r);
    peil_test_result_clear(&r);
  }
  ref_free(&l);
}

#endif
