/* peil logit | probit | ols | glm: fit a GLM to a table of a store or to a
 * CSV file, print the coefficient table (or JSON). */
#include <string.h>

#include "cli.h"
#include "glm_args.h"

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
  glm_args a;
  glm_args_init(&a, cmd);
  int first = 1, status = cli_args_parse(cmd, argc, argv, glm_arg_table, glm_args_set, &a, &first);
  if (status == 1) help(cmd);
  if (status) {
    glm_args_free(&a);
    return status == 1 ? 0 : status;
  }
  if (first != argc - 1) status = cli_usage(cmd, "expected one data file (a store or a CSV file)");
  else if (glm_args_finish(&a)) status = cli_usage(cmd, "--%s", peil_errmsg());
  if (status) {
    glm_args_free(&a);
    return status;
  }
  const char *path = argv[first];
  glm_report_options *ro = &a.report;
  cli_data in;
  int rc = cli_data_open(path, a.table, &a.csv, &in);
  peil_glm *g = NULL;
  if (!rc) rc = peil_glm_fit(in.store, in.table, &a.glm, &g);
  cli_output out = {0};
  if (!rc) rc = cli_output_open(&out, a.output);
  if (!rc) {
    ro->command = cmd, ro->data = path, ro->table = in.temporary ? NULL : in.table;
    ro->conf_level = a.glm.conf_level, ro->epsilon = a.glm.epsilon;
    rc = ro->json ? glm_report_json(out.fp, g, ro) : glm_report_text(out.fp, g, ro);
    int crc = cli_output_close(&out, rc == 0);
    if (!rc) rc = crc;
  }
  if (!rc && !ro->json)
    for (size_t i = 0; i < g->nwarnings; i++) cli_note("warning: %s", g->warnings[i]);
  peil_glm_free(g);
  cli_data_close(&in);
  glm_args_free(&a);
  return rc ? cli_fail(cmd, rc) : 0;
}

int cmd_logit(int argc, char **argv) { return run("logit", argc, argv); }
int cmd_probit(int argc, char **argv) { return run("probit", argc, argv); }
int cmd_ols(int argc, char **argv) { return run("ols", argc, argv); }
int cmd_glm(int argc, char **argv) { return run("glm", argc, argv); }
