/* peil logit | probit | ols | glm: options and spec keys (glm_args.h). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "glm_args.h"

const cli_arg glm_arg_table[] = {
    {"formula", 'f', 1, 1},  {"family", 0, 1, 1},       {"link", 0, 1, 1},
    {"ref", 0, 1, 1},        {"where", 0, 1, 1},        {"weights", 0, 1, 1},
    {"weight-type", 0, 1, 1}, {"vcov", 0, 1, 1},        {"cluster", 0, 1, 1},
    {"level", 0, 1, 1},      {"margins", 0, 1, 1},      {"ame", 0, 0, 1},
    {"exponentiate", 0, 0, 1}, {"maxit", 0, 1, 1},      {"epsilon", 0, 1, 1},
    {"allow-nonconvergence", 0, 0, 1}, {"allow-separation", 0, 0, 1},
    {"threads", 0, 1, 0},    {"table", 't', 1, 0},      {"delimiter", 0, 1, 0},
    {"decimal", 0, 1, 0},    {"schema", 0, 1, 0},       {"json", 0, 0, 0},
    {"output", 'o', 1, 0},   {"quiet", 'q', 0, 0},      {"help", 'h', 0, 0},
    {NULL, 0, 0, 0}};

void glm_args_init(glm_args *a, const char *cmd) {
  memset(a, 0, sizeof *a);
  a->cmd = cmd;
  peil_glm_options_init(&a->glm);
  peil_csv_options_init(&a->csv);
  if (strcmp(cmd, "logit") == 0) a->glm.family = "binomial", a->glm.link = "logit";
  else if (strcmp(cmd, "probit") == 0) a->glm.family = "binomial", a->glm.link = "probit";
  else if (strcmp(cmd, "ols") == 0) a->glm.family = "gaussian", a->glm.link = "identity", a->glm.alias_tol = 1e-7;
  else a->glm.family = NULL;
}

static int bad(const char *fmt, const char *value) { return peil_error(PEIL_EINVAL, fmt, value); }

/* A number in (lo, hi) (open), or PEIL_EINVAL. */
static int real_in(const char *value, double lo, double hi, const char *what, double *x) {
  char *end;
  *x = strtod(value, &end);
  if (!*value || *end || !(*x > lo && *x < hi)) return bad(what, value);
  return PEIL_OK;
}

int glm_args_set(void *ctx, const char *key, const char *v) {
  glm_args *a = ctx;
  peil_glm_options *o = &a->glm;
  long long n;
  int rc = PEIL_OK;
  if (strcmp(key, "formula") == 0) o->formula = v;
  else if (strcmp(key, "family") == 0 || strcmp(key, "link") == 0) {
    if (strcmp(a->cmd, "glm") != 0)
      return peil_error(PEIL_EINVAL, "is for 'glm' (peil %s sets its family and link)", a->cmd);
    if (strcmp(key, "family") == 0) o->family = v;
    else o->link = v;
  } else if (strcmp(key, "ref") == 0) {
    const char **r = realloc(a->refs, (a->nrefs + 1) * sizeof *r);
    if (!r) return peil_error(PEIL_ENOMEM, "out of memory");
    a->refs = r;
    a->refs[a->nrefs++] = v;
  } else if (strcmp(key, "where") == 0) o->where = v;
  else if (strcmp(key, "weights") == 0) o->weights = v;
  else if (strcmp(key, "weight-type") == 0) {
    if (strcmp(v, "frequency") == 0) o->weight_type = PEIL_WEIGHTS_FREQUENCY;
    else if (strcmp(v, "sampling") == 0) o->weight_type = PEIL_WEIGHTS_SAMPLING;
    else return bad("must be frequency or sampling, not '%s'", v);
  } else if (strcmp(key, "vcov") == 0) {
    a->vcov_given = 1;
    if (strcmp(v, "model") == 0) o->vcov = PEIL_VCOV_MODEL;
    else if (strcmp(v, "hc0") == 0) o->vcov = PEIL_VCOV_HC0;
    else if (strcmp(v, "hc1") == 0 || strcmp(v, "robust") == 0) o->vcov = PEIL_VCOV_HC1;
    else if (strcmp(v, "hc3") == 0) o->vcov = PEIL_VCOV_HC3;
    else return bad("must be model, hc0, hc1 or hc3, not '%s'", v);
  } else if (strcmp(key, "cluster") == 0) o->cluster = v;
  else if (strcmp(key, "level") == 0)
    return real_in(v, 0, 1, "must be a number between 0 and 1, not '%s'", &o->conf_level);
  else if (strcmp(key, "margins") == 0) o->margins = v;
  else if (strcmp(key, "ame") == 0) o->ame = 1;
  else if (strcmp(key, "exponentiate") == 0) a->report.exponentiate = 1;
  else if (strcmp(key, "maxit") == 0) {
    if ((rc = cli_args_whole(v, 1, 100000, &n))) return rc;
    o->maxit = (int)n;
  } else if (strcmp(key, "epsilon") == 0)
    return real_in(v, 0, 1e300, "must be a positive number, not '%s'", &o->epsilon);
  else if (strcmp(key, "allow-nonconvergence") == 0) o->allow_nonconvergence = 1;
  else if (strcmp(key, "allow-separation") == 0) o->allow_separation = 1;
  else if (strcmp(key, "threads") == 0) {
    if ((rc = cli_args_whole(v, 1, 1024, &n))) return rc;
    o->threads = a->csv.threads = (int)n;
  } else if (strcmp(key, "table") == 0) a->table = v;
  else if (strcmp(key, "json") == 0) a->report.json = 1;
  else if (strcmp(key, "output") == 0) a->output = v;
  else if (strcmp(key, "quiet") == 0) cli_quiet = 1;
  else if ((rc = cli_args_set_csv(&a->csv, key, v)) == 1) return peil_error(PEIL_EINVAL, "unknown option");
  return rc;
}

int glm_args_finish(glm_args *a) {
  peil_glm_options *o = &a->glm;
  if (!o->formula) return peil_error(PEIL_EINVAL, "formula is required, e.g. 'y ~ x1 + x2'");
  if (!o->family) return peil_error(PEIL_EINVAL, "family is required (gaussian, binomial, poisson)");
  if (o->weight_type == PEIL_WEIGHTS_SAMPLING && !o->weights)
    return peil_error(PEIL_EINVAL, "weight-type needs weights");
  o->refs = a->refs, o->nrefs = a->nrefs;
  /* Sampling weights without a choice of SEs: robust (HC1), as Stata does. */
  if (o->weights && o->weight_type == PEIL_WEIGHTS_SAMPLING && !a->vcov_given) o->vcov = PEIL_VCOV_HC1;
  return PEIL_OK;
}

void glm_args_free(glm_args *a) { free(a->refs); }
