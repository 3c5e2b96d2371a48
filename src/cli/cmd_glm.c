/* peil logit | probit | ols | glm: fit a GLM to a table of a store or to a
 * CSV file, print the coefficient table (or JSON). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "glm_report.h"

static void help(const char *cmd) {
  const char *what = strcmp(cmd, "logit") == 0    ? "a logistic regression (binomial, logit link)"
                     : strcmp(cmd, "probit") == 0 ? "a probit regression (binomial, probit link)"
                     : strcmp(cmd, "ols") == 0    ? "a linear regression by least squares (also the linear probability model)"
                                                  : "a generalised linear model";
  printf("Usage: peil %s DATA --formula 'y ~ x1 + x2' [options]\n"
         "\n"
         "Fit %s, as R's glm does, over a\n"
         "table of a store (DATA.h5 --table T) or a CSV file (types inferred as\n"
         "peil import does).\n"
         "\n"
         "Model\n"
         "  -f, --formula F        R formula: y ~ a + b*c + factor(year) + I(age^2) - 1\n"
         "                         + offset(log(exposure))\n",
         cmd, what);
  if (strcmp(cmd, "glm") == 0)
    printf("      --family F         gaussian, binomial or poisson (required)\n"
           "      --link L           identity, logit, probit, cloglog or log (default:\n"
           "                         the family's canonical link)\n");
  printf("      --ref COL=LEVEL    reference level of a categorical column (repeatable)\n"
         "      --where EXPR       use only rows where EXPR holds, e.g.\n"
         "                         'age >= 18 & municipality in (\"Amsterdam\", \"Utrecht\")'\n"
         "      --weights COL      weight column\n"
         "      --weight-type T    frequency (default: a row counts w times) or sampling\n"
         "                         (inverse selection probabilities; robust SEs only)\n"
         "\n"
         "Standard errors\n"
         "      --vcov V           model (default), hc0, hc1 (Stata's robust), hc3\n"
         "      --cluster COL      cluster-robust (CR1, Stata's small-sample factor)\n"
         "      --level P          confidence level (default 0.95)\n"
         "\n"
         "Effects\n"
         "      --margins COL      adjusted means per level of COL by marginal\n"
         "                         standardisation, and differences to its reference\n"
         "      --ame              average marginal effects of every column\n"
         "      --exponentiate     odds ratios / rate ratios (estimate and interval)\n"
         "\n"
         "Fitting\n"
         "      --maxit N          iteration cap (default 25)\n"
         "      --epsilon E        convergence: |dev - dev_old| / (|dev| + 0.1) < E\n"
         "                         (default 1e-8, as R)\n"
         "      --allow-nonconvergence  report the last iterate instead of failing\n"
         "      --allow-separation      report diverging estimates instead of failing\n"
         "      --threads N        worker threads (default: one per core); results\n"
         "                         do not depend on it\n"
         "\n"
         "Input and output\n"
         "  -t, --table T          the table of a store (default: its only table)\n"
         "      --delimiter C      CSV input: delimiter (default: detected)\n"
         "      --decimal C        CSV input: decimal separator . or ,\n"
         "      --schema FILE      CSV input: column types (docs/csv-import.md)\n"
         "      --json             machine-readable output (broom's column names)\n"
         "  -o, --output FILE      write to FILE instead of standard output\n"
         "  -q, --quiet            no notes on standard error\n"
         "  -h, --help             this help\n"
         "\n"
         "Exit codes: 0 ok, 1 runtime failure, 2 bad input (unknown columns or\n"
         "levels, a non-binary outcome, no rows, separation, no convergence).\n");
}

static int run(const char *cmd, int argc, char **argv) {
  enum {
    O_FAMILY = 256, O_LINK, O_REF, O_WHERE, O_WEIGHTS, O_WTYPE, O_VCOV, O_CLUSTER, O_LEVEL,
    O_MARGINS, O_AME, O_EXP, O_MAXIT, O_EPS, O_NONCONV, O_SEP, O_THREADS, O_DELIM, O_DECIMAL,
    O_SCHEMA, O_JSON
  };
  static const struct option opts[] = {
      {"formula", required_argument, 0, 'f'},   {"family", required_argument, 0, O_FAMILY},
      {"link", required_argument, 0, O_LINK},   {"ref", required_argument, 0, O_REF},
      {"where", required_argument, 0, O_WHERE}, {"weights", required_argument, 0, O_WEIGHTS},
      {"weight-type", required_argument, 0, O_WTYPE}, {"vcov", required_argument, 0, O_VCOV},
      {"cluster", required_argument, 0, O_CLUSTER}, {"level", required_argument, 0, O_LEVEL},
      {"margins", required_argument, 0, O_MARGINS}, {"ame", no_argument, 0, O_AME},
      {"exponentiate", no_argument, 0, O_EXP},  {"maxit", required_argument, 0, O_MAXIT},
      {"epsilon", required_argument, 0, O_EPS}, {"allow-nonconvergence", no_argument, 0, O_NONCONV},
      {"allow-separation", no_argument, 0, O_SEP}, {"threads", required_argument, 0, O_THREADS},
      {"table", required_argument, 0, 't'},     {"delimiter", required_argument, 0, O_DELIM},
      {"decimal", required_argument, 0, O_DECIMAL}, {"schema", required_argument, 0, O_SCHEMA},
      {"json", no_argument, 0, O_JSON},         {"output", required_argument, 0, 'o'},
      {"quiet", no_argument, 0, 'q'},           {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  peil_glm_options o;
  peil_glm_options_init(&o);
  if (strcmp(cmd, "logit") == 0) o.family = "binomial", o.link = "logit";
  else if (strcmp(cmd, "probit") == 0) o.family = "binomial", o.link = "probit";
  else if (strcmp(cmd, "ols") == 0) o.family = "gaussian", o.link = "identity", o.alias_tol = 1e-7;
  else o.family = NULL;
  peil_csv_options csv;
  peil_csv_options_init(&csv);
  glm_report_options ro = {0};
  const char *table = NULL, *outpath = NULL;
  const char **refs = NULL;
  size_t nrefs = 0;
  int c, status = 0, vcov_given = 0;
  long long v;
  optind = 1;
  while (!status && (c = getopt_long(argc, argv, "f:t:o:qh", opts, NULL)) != -1) {
    switch (c) {
    case 'f': o.formula = optarg; break;
    case O_FAMILY:
      if (strcmp(cmd, "glm") != 0) status = cli_usage(cmd, "--family is for 'peil glm'");
      o.family = optarg;
      break;
    case O_LINK:
      if (strcmp(cmd, "glm") != 0) status = cli_usage(cmd, "--link is for 'peil glm'");
      o.link = optarg;
      break;
    case O_REF: {
      const char **r = realloc(refs, (nrefs + 1) * sizeof *r);
      if (!r) return cli_fail(cmd, peil_error(PEIL_ENOMEM, "out of memory"));
      refs = r;
      refs[nrefs++] = optarg;
      break;
    }
    case O_WHERE: o.where = optarg; break;
    case O_WEIGHTS: o.weights = optarg; break;
    case O_WTYPE:
      if (strcmp(optarg, "frequency") == 0) o.weight_type = PEIL_WEIGHTS_FREQUENCY;
      else if (strcmp(optarg, "sampling") == 0) o.weight_type = PEIL_WEIGHTS_SAMPLING;
      else status = cli_usage(cmd, "--weight-type must be frequency or sampling, not '%s'", optarg);
      break;
    case O_VCOV:
      vcov_given = 1;
      if (strcmp(optarg, "model") == 0) o.vcov = PEIL_VCOV_MODEL;
      else if (strcmp(optarg, "hc0") == 0) o.vcov = PEIL_VCOV_HC0;
      else if (strcmp(optarg, "hc1") == 0 || strcmp(optarg, "robust") == 0) o.vcov = PEIL_VCOV_HC1;
      else if (strcmp(optarg, "hc3") == 0) o.vcov = PEIL_VCOV_HC3;
      else status = cli_usage(cmd, "--vcov must be model, hc0, hc1 or hc3, not '%s'", optarg);
      break;
    case O_CLUSTER: o.cluster = optarg; break;
    case O_LEVEL: {
      char *end;
      o.conf_level = strtod(optarg, &end);
      if (*end || !(o.conf_level > 0 && o.conf_level < 1))
        status = cli_usage(cmd, "--level must be a number between 0 and 1, not '%s'", optarg);
      break;
    }
    case O_MARGINS: o.margins = optarg; break;
    case O_AME: o.ame = 1; break;
    case O_EXP: ro.exponentiate = 1; break;
    case O_MAXIT:
      if (cli_parse_long(optarg, &v) || v < 1 || v > 100000)
        status = cli_usage(cmd, "--maxit must be a whole number from 1 to 100000, not '%s'", optarg);
      o.maxit = (int)v;
      break;
    case O_EPS: {
      char *end;
      o.epsilon = strtod(optarg, &end);
      if (*end || !(o.epsilon > 0)) status = cli_usage(cmd, "--epsilon must be a positive number, not '%s'", optarg);
      break;
    }
    case O_NONCONV: o.allow_nonconvergence = 1; break;
    case O_SEP: o.allow_separation = 1; break;
    case O_THREADS:
      status = cli_parse_threads(cmd, optarg, &o.threads);
      csv.threads = o.threads;
      break;
    case 't': table = optarg; break;
    case O_DELIM: status = cli_parse_delimiter(cmd, optarg, &csv.delimiter); break;
    case O_DECIMAL: status = cli_parse_decimal(cmd, optarg, &csv.decimal); break;
    case O_SCHEMA: csv.schema_path = optarg; break;
    case O_JSON: ro.json = 1; break;
    case 'o': outpath = optarg; break;
    case 'q': cli_quiet = 1; break;
    case 'h': help(cmd); free(refs); return 0;
    default: status = cli_usage(cmd, "unknown or incomplete option"); break;
    }
  }
  if (!status && optind != argc - 1) status = cli_usage(cmd, "expected one data file (a store or a CSV file)");
  if (!status && !o.formula) status = cli_usage(cmd, "--formula is required, e.g. --formula 'y ~ x1 + x2'");
  if (!status && !o.family) status = cli_usage(cmd, "--family is required (gaussian, binomial, poisson)");
  if (!status && o.weight_type == PEIL_WEIGHTS_SAMPLING && !o.weights)
    status = cli_usage(cmd, "--weight-type needs --weights");
  if (status) {
    free(refs);
    return status;
  }
  o.refs = refs, o.nrefs = nrefs;
  /* Sampling weights without a choice of SEs: robust (HC1), as Stata does. */
  if (o.weights && o.weight_type == PEIL_WEIGHTS_SAMPLING && !vcov_given) o.vcov = PEIL_VCOV_HC1;

  const char *path = argv[optind];
  cli_data in;
  int rc = cli_data_open(path, table, &csv, &in);
  peil_glm *g = NULL;
  if (!rc) rc = peil_glm_fit(in.store, in.table, &o, &g);
  cli_output out = {0};
  if (!rc) rc = cli_output_open(&out, outpath);
  if (!rc) {
    ro.command = cmd, ro.data = path, ro.table = in.temporary ? NULL : in.table;
    ro.conf_level = o.conf_level, ro.epsilon = o.epsilon;
    rc = ro.json ? glm_report_json(out.fp, g, &ro) : glm_report_text(out.fp, g, &ro);
    int crc = cli_output_close(&out, rc == 0);
    if (!rc) rc = crc;
  }
  if (!rc && !ro.json)
    for (size_t i = 0; i < g->nwarnings; i++) cli_note("warning: %s", g->warnings[i]);
  peil_glm_free(g);
  cli_data_close(&in);
  free(refs);
  return rc ? cli_fail(cmd, rc) : 0;
}

int cmd_logit(int argc, char **argv) { return run("logit", argc, argv); }
int cmd_probit(int argc, char **argv) { return run("probit", argc, argv); }
int cmd_ols(int argc, char **argv) { return run("ols", argc, argv); }
int cmd_glm(int argc, char **argv) { return run("glm", argc, argv); }
