/* peil test: options and spec keys (test_args.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "test_args.h"

const cli_arg test_arg_table[] = {
    {"alternative", 0, 1, 1}, {"conf-level", 0, 1, 1}, {"level", 0, 1, 1},   {"correct", 0, 1, 1},
    {"no-correct", 0, 0, 1},  {"p", 0, 1, 1},          {"mu", 0, 1, 1},      {"var-equal", 0, 0, 1},
    {"exact", 0, 1, 1},       {"or", 0, 1, 1},         {"precise", 0, 0, 1}, {"value", 0, 1, 1},
    {"group", 0, 1, 1},       {"levels", 0, 1, 1},     {"rows", 0, 1, 1},    {"cols", 0, 1, 1},
    {"where", 0, 1, 1},       {"summary", 0, 0, 1},    {"table", 't', 1, 0}, {"threads", 0, 1, 0},
    {"delimiter", 0, 1, 0},   {"decimal", 0, 1, 0},    {"schema", 0, 1, 0},  {"json", 0, 0, 0},
    {"output", 'o', 1, 0},    {"quiet", 'q', 0, 0},    {"help", 'h', 0, 0},  {NULL, 0, 0, 0}};

void test_args_init(test_args *a) {
  memset(a, 0, sizeof *a);
  peil_test_options_init(&a->test);
  peil_csv_options_init(&a->csv);
}

static int bad(const char *fmt, const char *value) { return peil_error(PEIL_EINVAL, fmt, value); }

/* A number, nothing after it. */
static int real(const char *v, double *x) {
  char *end;
  errno = 0;
  *x = strtod(v, &end);
  return *v && !*end && !errno ? 0 : -1;
}

/* "0.2" or "0.2,0.3": the null probabilities. */
static int probabilities(test_args *a, const char *v) {
  size_t n = 0;
  char **items = cli_split_list(v, &n);
  double *p = items && n ? malloc(n * sizeof *p) : NULL;
  int rc = p ? PEIL_OK : bad("takes probabilities, e.g. 0.2 or 0.2,0.3; not '%s'", v);
  for (size_t i = 0; !rc && i < n; i++)
    if (real(items[i], &p[i])) rc = bad("takes probabilities, e.g. 0.2 or 0.2,0.3; not '%s'", v);
  cli_free_list(items);
  if (rc) {
    free(p);
    return rc;
  }
  free(a->p);
  a->p = p, a->test.p = p, a->test.np = n;
  return PEIL_OK;
}

int test_args_set(void *ctx, const char *key, const char *v) {
  test_args *a = ctx;
  peil_test_options *o = &a->test;
  peil_stats_data_options *d = &a->data;
  int rc = PEIL_OK;
  if (!strcmp(key, "alternative")) {
    int alt = peil_alternative_from_name(v);
    if (alt < 0) return bad("must be two.sided, less or greater, not '%s'", v);
    o->alternative = (peil_alternative)alt;
  } else if (!strcmp(key, "conf-level") || !strcmp(key, "level")) {
    if (real(v, &o->conf_level) || !(o->conf_level > 0 && o->conf_level < 1))
      return bad("must be a number between 0 and 1, not '%s'", v);
  } else if (!strcmp(key, "correct")) {
    if (!strcmp(v, "yes")) o->correct = 1;
    else if (!strcmp(v, "no")) o->correct = 0;
    else return bad("must be yes or no, not '%s'", v);
  } else if (!strcmp(key, "no-correct")) o->correct = 0;
  else if (!strcmp(key, "p")) return probabilities(a, v);
  else if (!strcmp(key, "mu")) {
    if (real(v, &o->mu) || !isfinite(o->mu)) return bad("must be a number, not '%s'", v);
  } else if (!strcmp(key, "var-equal")) o->var_equal = 1;
  else if (!strcmp(key, "exact")) {
    if (!strcmp(v, "yes")) o->exact = 1;
    else if (!strcmp(v, "no")) o->exact = 0;
    else if (!strcmp(v, "auto")) o->exact = PEIL_EXACT_AUTO;
    else return bad("must be yes, no or auto, not '%s'", v);
  } else if (!strcmp(key, "or")) {
    if (real(v, &o->odds_ratio) || !(o->odds_ratio >= 0)) return bad("must be a number >= 0, not '%s'", v);
  } else if (!strcmp(key, "precise")) o->precise = 1;
  else if (!strcmp(key, "value")) d->value = v;
  else if (!strcmp(key, "group")) d->group = v;
  else if (!strcmp(key, "levels")) {
    cli_free_list(a->levels);
    a->levels = cli_split_list(v, &d->nlevels);
    d->levels = (const char *const *)a->levels;
    if (!a->levels) return peil_error(PEIL_ENOMEM, "out of memory");
    if (!d->nlevels) return bad("needs level names, not '%s'", v);
  } else if (!strcmp(key, "rows")) d->rows = v;
  else if (!strcmp(key, "cols")) d->cols = v;
  else if (!strcmp(key, "where")) d->where = v;
  else if (!strcmp(key, "summary")) a->summary = 1;
  else if (!strcmp(key, "table")) a->table = v;
  else if (!strcmp(key, "threads")) {
    long long n;
    if ((rc = cli_args_whole(v, 1, 1024, &n))) return rc;
    d->threads = a->csv.threads = (int)n;
  } else if (!strcmp(key, "json")) a->json = 1;
  else if (!strcmp(key, "output")) a->output = v;
  else if (!strcmp(key, "quiet")) cli_quiet = 1;
  else if ((rc = cli_args_set_csv(&a->csv, key, v)) == 1) return peil_error(PEIL_EINVAL, "unknown option");
  return rc;
}

int test_args_finish(test_args *a, peil_test_kind kind, int from_data) {
  const peil_stats_data_options *d = &a->data;
  const char *name = peil_test_kind_name(kind);
  int tabular = kind == PEIL_TEST_CHISQ || kind == PEIL_TEST_FISHER;
  if (a->test.p && kind != PEIL_TEST_PROP && kind != PEIL_TEST_BINOM)
    return peil_error(PEIL_EINVAL, "p belongs to prop and binom");
  if (a->test.p && kind == PEIL_TEST_BINOM && a->test.np != 1)
    return peil_error(PEIL_EINVAL, "p: binom takes one null probability");
  if (a->summary && (from_data || kind != PEIL_TEST_T))
    return peil_error(PEIL_EINVAL, "summary belongs to the t test on numbers");
  if (tabular && (d->value || d->group))
    return peil_error(PEIL_EINVAL, "value and group: %s tests a table of rows by cols", name);
  if (!tabular && (d->rows || d->cols))
    return peil_error(PEIL_EINVAL, "rows and cols belong to chisq and fisher; %s takes value (and group)", name);
  if (d->levels && !d->group) return peil_error(PEIL_EINVAL, "levels names levels of the group column: give group");
  if (from_data && tabular && (!d->rows || !d->cols))
    return peil_error(PEIL_EINVAL, "rows and cols are required: %s on data cross-tabulates two columns", name);
  if (from_data && !tabular && !d->value)
    return peil_error(PEIL_EINVAL, "value is required: %s on data tests a column or expression", name);
  return PEIL_OK;
}

void test_args_free(test_args *a) {
  cli_free_list(a->levels);
  free(a->p);
}
