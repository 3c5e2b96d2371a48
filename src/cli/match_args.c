/* peil match: options and spec keys (match_args.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "match_args.h"

const cli_arg match_arg_table[] = {
    {"formula", 'f', 1, 1},    {"method", 'm', 1, 1},    {"distance", 0, 1, 1},
    {"link", 0, 1, 1},         {"allow-separation", 0, 0, 1}, {"estimand", 0, 1, 1},
    {"ratio", 0, 1, 1},        {"replace", 0, 0, 1},     {"caliper", 0, 1, 1},
    {"caliper-abs", 0, 1, 1},  {"order", 0, 1, 1},       {"seed", 0, 1, 1},
    {"exact", 0, 1, 1},        {"discard", 0, 1, 1},     {"subclass", 0, 1, 1},
    {"cutpoints", 0, 1, 1},    {"where", 0, 1, 1},       {"outcome", 0, 1, 1},
    {"bootstrap", 0, 1, 1},    {"weighting", 0, 0, 1},   {"level", 0, 1, 1},
    {"json", 0, 0, 0},         {"love-plot", 0, 1, 0},   {"trajectory", 0, 1, 0},
    {"report", 0, 1, 0},       {"threads", 0, 1, 0},     {"table", 't', 1, 0},
    {"delimiter", 0, 1, 0},    {"decimal", 0, 1, 0},     {"schema", 0, 1, 0},
    {"output", 'o', 1, 0},     {"quiet", 'q', 0, 0},     {"help", 'h', 0, 0},
    {NULL, 0, 0, 0}};

void match_args_init(match_args *a) {
  memset(a, 0, sizeof *a);
  peil_match_options_init(&a->match);
  a->match.nn.seed = 1;
  peil_effect_options_init(&a->effects);
  peil_csv_options_init(&a->csv);
  a->ratio = 1;
}

/* --cutpoints age=20,25,30 */
static int parse_cuts(const char *arg, peil_cem_cuts **cuts, size_t *ncuts) {
  const char *eq = strchr(arg, '=');
  if (!eq || eq == arg || !eq[1]) return -1;
  peil_cem_cuts *c = realloc(*cuts, (*ncuts + 1) * sizeof *c);
  if (!c) return -1;
  *cuts = c;
  size_t cap = 1;
  for (const char *p = eq + 1; *p; p++) cap += *p == ',';
  double *v = malloc(cap * sizeof *v);
  char *name = strndup(arg, (size_t)(eq - arg));
  if (!v || !name) {
    free(v), free(name);
    return -1;
  }
  size_t n = 0;
  const char *p = eq + 1;
  while (*p) {
    char *end;
    v[n] = strtod(p, &end);
    if (end == p || (*end && *end != ',') || !isfinite(v[n])) {
      free(v), free(name);
      return -1;
    }
    n++;
    p = *end ? end + 1 : end;
  }
  c[*ncuts] = (peil_cem_cuts){name, v, n};
  (*ncuts)++;
  return 0;
}

static void free_cuts(peil_cem_cuts *cuts, size_t n) {
  for (size_t i = 0; i < n; i++) free((char *)cuts[i].variable), free((double *)cuts[i].cuts);
  free(cuts);
}

static int bad(const char *fmt, const char *value) { return peil_error(PEIL_EINVAL, fmt, value); }

/* One of names[] (NULL-ended): its index in *x, or PEIL_EINVAL listing them. */
static int one_of(const char *v, const char *const *names, int *x) {
  char list[256] = "";
  size_t used = 0;
  for (int i = 0; names[i]; i++) {
    if (strcasecmp(v, names[i]) == 0) {
      *x = i;
      return PEIL_OK;
    }
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? (names[i + 1] ? ", " : " or ") : "", names[i]);
  }
  return peil_error(PEIL_EINVAL, "must be %s, not '%s'", list, v);
}

/* A comma-separated list of column names into *list (replacing it). */
static int names(const char *v, char ***list, const char *const **view, size_t *n) {
  cli_free_list(*list);
  *view = NULL;
  if (!(*list = cli_split_list(v, n)) || !*n) return bad("needs column names, not '%s'", v);
  *view = (const char *const *)*list;
  return PEIL_OK;
}

int match_args_set(void *ctx, const char *key, const char *v) {
  match_args *a = ctx;
  peil_match_options *mo = &a->match;
  long long n;
  int k, rc = PEIL_OK;
  if (strcmp(key, "formula") == 0) a->load.formula = v;
  else if (strcmp(key, "method") == 0) {
    static const char *const m[] = {"nearest", "exact", "cem", "subclass", NULL};
    static const peil_match_method mv[] = {PEIL_MATCH_NEAREST, PEIL_MATCH_EXACT, PEIL_MATCH_CEM, PEIL_MATCH_SUBCLASS};
    if (!(rc = one_of(v, m, &k))) mo->method = mv[k];
  } else if (strcmp(key, "distance") == 0) {
    if (strcmp(v, "glm") == 0 || strcmp(v, "logit") == 0) mo->distance = PEIL_DISTANCE_GLM;
    else if (strcmp(v, "linear") == 0) mo->distance = PEIL_DISTANCE_GLM_LINEAR;
    else if (strcmp(v, "mahalanobis") == 0) mo->distance = PEIL_DISTANCE_MAHALANOBIS;
    else mo->distance = PEIL_DISTANCE_USER, a->load.distance_column = v;
  } else if (strcmp(key, "link") == 0) mo->link = v;
  else if (strcmp(key, "allow-separation") == 0) mo->allow_separation = 1;
  else if (strcmp(key, "estimand") == 0) {
    static const char *const e[] = {"ATT", "ATC", "ATE", NULL};
    static const peil_estimand ev[] = {PEIL_ATT, PEIL_ATC, PEIL_ATE};
    if (!(rc = one_of(v, e, &k))) mo->estimand = ev[k];
  } else if (strcmp(key, "ratio") == 0) {
    if (!(rc = cli_args_whole(v, 1, 1000, &n))) a->ratio = (size_t)n, a->ratio_given = 1;
  } else if (strcmp(key, "replace") == 0) mo->nn.replace = 1;
  else if (strcmp(key, "caliper") == 0 || strcmp(key, "caliper-abs") == 0) {
    char *end;
    double x = strtod(v, &end);
    if (!*v || *end || !(x > 0) || !isfinite(x)) return bad("must be a positive number, not '%s'", v);
    if (strcmp(key, "caliper") == 0) mo->caliper_sd = x;
    else mo->nn.caliper = x;
  } else if (strcmp(key, "order") == 0) {
    static const char *const o[] = {"largest", "smallest", "random", "data", NULL};
    static const peil_match_order ov[] = {PEIL_MATCH_LARGEST, PEIL_MATCH_SMALLEST, PEIL_MATCH_RANDOM, PEIL_MATCH_DATA};
    if (!(rc = one_of(v, o, &k))) mo->nn.order = ov[k];
  } else if (strcmp(key, "seed") == 0) {
    if (cli_parse_long(v, &n) || n < 0) return bad("must be a whole number >= 0, not '%s'", v);
    mo->nn.seed = a->effects.seed = (uint64_t)n;
  } else if (strcmp(key, "exact") == 0) rc = names(v, &a->exact, &a->load.exact, &a->load.nexact);
  else if (strcmp(key, "discard") == 0) {
    static const char *const d[] = {"none", "both", "treated", "control", NULL};
    static const peil_discard dv[] = {PEIL_DISCARD_NONE, PEIL_DISCARD_BOTH, PEIL_DISCARD_TREATED, PEIL_DISCARD_CONTROL};
    if (!(rc = one_of(v, d, &k))) mo->discard = dv[k];
  } else if (strcmp(key, "subclass") == 0) {
    if (!(rc = cli_args_whole(v, 1, 1000, &n))) mo->subclasses = (size_t)n;
  } else if (strcmp(key, "cutpoints") == 0) {
    if (parse_cuts(v, &a->cuts, &a->ncuts)) return bad("must look like age=20,30,40, not '%s'", v);
    mo->cuts = a->cuts, mo->ncuts = a->ncuts;
  } else if (strcmp(key, "where") == 0) a->load.where = v;
  else if (strcmp(key, "outcome") == 0) rc = names(v, &a->outcomes, &a->load.outcomes, &a->load.noutcomes);
  else if (strcmp(key, "bootstrap") == 0) {
    if (!(rc = cli_args_whole(v, 2, 100000, &n))) a->effects.bootstrap = (size_t)n;
  } else if (strcmp(key, "weighting") == 0) a->weighting = 1;
  else if (strcmp(key, "level") == 0) {
    char *end;
    a->effects.conf_level = strtod(v, &end);
    if (!*v || *end || !(a->effects.conf_level > 0 && a->effects.conf_level < 1))
      return bad("must be a number between 0 and 1, not '%s'", v);
  } else if (strcmp(key, "json") == 0) a->json = 1;
  else if (strcmp(key, "love-plot") == 0) a->love_plot = v;
  else if (strcmp(key, "trajectory") == 0) a->trajectory = v;
  else if (strcmp(key, "report") == 0) a->report = v;
  else if (strcmp(key, "threads") == 0) {
    if (!(rc = cli_args_whole(v, 1, 1024, &n))) mo->threads = a->csv.threads = a->effects.threads = a->load.threads = (int)n;
  } else if (strcmp(key, "table") == 0) a->table = v;
  else if (strcmp(key, "output") == 0) a->output = v;
  else if (strcmp(key, "quiet") == 0) cli_quiet = 1;
  else if ((rc = cli_args_set_csv(&a->csv, key, v)) == 1) return peil_error(PEIL_EINVAL, "unknown option");
  return rc;
}

int match_args_finish(match_args *a) {
  peil_match_options *mo = &a->match;
  if (!a->load.formula) return peil_error(PEIL_EINVAL, "formula is required, e.g. 'treat ~ age + sex'");
  if (mo->method == PEIL_MATCH_NEAREST) mo->nn.ratio = a->ratio;
  else if (a->ratio_given && (mo->method == PEIL_MATCH_EXACT || mo->method == PEIL_MATCH_CEM)) mo->exact_ratio = a->ratio;
  else if (a->ratio_given) return peil_error(PEIL_EINVAL, "ratio belongs to method nearest, exact or cem");
  if (a->trajectory && !a->load.noutcomes) return peil_error(PEIL_EINVAL, "trajectory needs outcome");
  if ((a->effects.bootstrap || a->weighting) && !a->load.noutcomes)
    return peil_error(PEIL_EINVAL, "bootstrap and weighting estimate effects: give outcome");
  return PEIL_OK;
}

int match_args_scored(const match_args *a) {
  const peil_match_options *mo = &a->match;
  return mo->method == PEIL_MATCH_SUBCLASS || mo->discard ||
         (mo->method == PEIL_MATCH_NEAREST && mo->distance != PEIL_DISTANCE_MAHALANOBIS) || a->weighting;
}

void match_args_free(match_args *a) {
  cli_free_list(a->exact), cli_free_list(a->outcomes);
  free_cuts(a->cuts, a->ncuts);
  memset(a, 0, sizeof *a);
}

int match_job_run(match_job *j, const match_args *a, peil_store *st, const char *table,
                  const char *data, const char *table_label) {
  memset(j, 0, sizeof *j);
  j->match = a->match, j->effects = a->effects, j->load = a->load;
  peil_match_options *mo = &j->match;
  match_report *rep = &j->report;
  rep->json = a->json, rep->weighting = a->weighting;
  int rc = peil_match_data_load(st, table, &j->load, &j->d);
  /* Methods on strata need no score; the others fit one (or read it). */
  if (!rc && match_args_scored(a)) {
    if (!(j->distance = peil_alloc_large(j->d->n, sizeof *j->distance))) {
      rc = peil_error(PEIL_ENOMEM, "out of memory");
    } else {
      peil_match_options so = *mo;
      if (mo->distance == PEIL_DISTANCE_MAHALANOBIS) so.distance = PEIL_DISTANCE_GLM;
      rc = peil_match_distance(st, table, j->d, &j->load, &so, j->distance, &j->fit);
    }
  }
  int mahalanobis = mo->distance == PEIL_DISTANCE_MAHALANOBIS && mo->method == PEIL_MATCH_NEAREST;
  if (!rc) rc = peil_match_run(j->d, mahalanobis ? NULL : j->distance, mo, &j->r);
  /* Weighting needs the score on the probability scale. */
  if (!rc && rep->weighting) {
    if (!(j->ps = peil_alloc_large(j->d->n, sizeof *j->ps))) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < j->d->n; i++) {
      double x = j->distance[i];
      j->ps[i] = mo->distance == PEIL_DISTANCE_GLM_LINEAR ? 1 / (1 + exp(-x)) : x;
      if (!(j->ps[i] > 0 && j->ps[i] < 1))
        rc = peil_error(PEIL_EDATA, "weighting: the score of row %lld is %g, not a probability "
                        "strictly between 0 and 1 (no overlap)", (long long)j->d->row[i] + 1, j->ps[i]);
    }
  }
  if (!rc) {
    rep->command = "match", rep->data = data, rep->table = table_label;
    rep->load = &j->load, rep->options = mo, rep->effect_options = &j->effects;
    rep->d = j->d, rep->r = j->r, rep->fit = j->fit, rep->ps = j->ps;
    rc = match_report_compute(rep);
  }
  return rc;
}

void match_job_free(match_job *j) {
  match_report_free(&j->report);
  peil_match_result_free(j->r);
  peil_match_data_free(j->d);
  peil_glm_free(j->fit);
  free(j->distance), free(j->ps);
  memset(j, 0, sizeof *j);
}
