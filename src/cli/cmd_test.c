/* peil test: statistical tests and intervals as R computes them, on numbers
 * given on the command line or on a table of a store or a CSV file. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "test_args.h"
#include "test_report.h"

static void help(void) {
  printf("Usage: peil test TEST NUMBERS... [options]\n"
         "       peil test TEST DATA [--table T] --value V [--group G] [options]\n"
         "       peil test chisq|fisher DATA [--table T] --rows R --cols C [options]\n"
         "\n"
         "Statistical tests and intervals with R's numbers (docs/tests.md).\n"
         "\n"
         "Tests, with numbers on the command line\n"
         "  prop X/N [X/N...]     proportions: one (Wilson interval; --p, default 0.5),\n"
         "                        two (z test of equality; interval of p1 - p2) or k\n"
         "                        (chi-square test); R's prop.test\n"
         "  binom X/N             exact binomial test, Clopper-Pearson interval; binom.test\n"
         "  chisq 'a,b,c;d,e,f'   chi-square test of independence (rows split by ';');\n"
         "                        chisq.test\n"
         "  fisher a,b,c,d        Fisher's exact test of a 2 x 2 table, conditional MLE\n"
         "                        of the odds ratio and its interval; fisher.test\n"
         "  t X1,X2,... Y1,...    two-sample t test (Welch; --var-equal: pooled); t.test\n"
         "  t --summary M,SD,N M,SD,N   the same from means, SDs and sizes\n"
         "  wilcox X1,... Y1,...  Wilcoxon rank-sum (Mann-Whitney) test; wilcox.test\n"
         "\n"
         "Data: a store (with --table T, or its only table) or a CSV file\n"
         "  -t, --table T          the table of a store\n"
         "      --value EXPR       t, wilcox: the numbers (a column or an expression:\n"
         "                         log(income)); prop, binom: a 0/1 column or condition\n"
         "      --group COL        the groups: t and wilcox compare its 2 levels, prop\n"
         "                         its levels' proportions (none: one sample)\n"
         "      --levels A,B       the group's levels to compare, in this order\n"
         "      --rows COL, --cols COL   chisq, fisher: the cross-tabulated columns\n"
         "      --where EXPR       use only rows where EXPR holds\n"
         "      --threads N        decoding threads (results do not depend on it)\n"
         "      --delimiter C, --decimal C, --schema FILE   CSV input, as peil import\n"
         "\n"
         "Options (R's defaults)\n"
         "      --alternative A    two.sided (default), less or greater\n"
         "      --conf-level L     confidence level (default 0.95; --level too)\n"
         "      --correct yes|no   continuity correction (prop, chisq 2 x 2, wilcox's\n"
         "                         normal approximation; default yes); --no-correct\n"
         "      --p P[,P...]       prop, binom: null probabilities, one per group\n"
         "      --mu M             t, wilcox: the difference under the null (default 0)\n"
         "      --var-equal        t: pooled variance\n"
         "      --exact yes|no|auto  wilcox: exact p-value (auto: both n < 50, no ties)\n"
         "      --or R             fisher: the null odds ratio (default 1)\n"
         "      --precise          fisher: exact roots for the odds ratio and its\n"
         "                         interval instead of R's uniroot (tolerance 1.2e-4)\n"
         "      --json             machine-readable output (broom's names)\n"
         "  -o, --output FILE      the report to FILE instead of standard output\n"
         "  -q, --quiet            no notes on standard error\n"
         "  -h, --help             this help\n"
         "\n"
         "Examples\n"
         "  peil test prop 71/300 55/300 --no-correct\n"
         "  peil test binom 71/300 --p 0.2\n"
         "  peil test chisq '12,5,7;3,9,11'\n"
         "  peil test t --summary 10.2,2.1,40 9.1,2.5,35\n"
         "  peil test t g4.h5 --table persons --value income --group treat --where 'age >= 30'\n"
         "\n"
         "Exit codes: 0 ok, 1 runtime failure, 2 bad input (counts above their totals,\n"
         "negative counts, an empty row or column, too few observations, unknown\n"
         "columns, a group with other than two levels).\n");
}

int cmd_test(int argc, char **argv) {
  const char *cmd = "test";
  test_args a;
  test_args_init(&a);
  int first = 1, kind = -1, status = cli_args_parse(cmd, argc, argv, test_arg_table, test_args_set, &a, &first);
  if (status == 1) {
    help();
    test_args_free(&a);
    return 0;
  }
  if (!status && first >= argc) status = cli_usage(cmd, "which test? prop, binom, chisq, fisher, t or wilcox");
  if (!status && (kind = peil_test_kind_from_name(argv[first])) < 0)
    status = cli_usage(cmd, "unknown test '%s' (prop, binom, chisq, fisher, t, wilcox)", argv[first]);
  char **args = argv + first + 1;
  size_t nargs = first < argc ? (size_t)(argc - first - 1) : 0;
  const peil_stats_data_options *d = &a.data;
  /* DATA: a file that exists, or the data options. Numbers otherwise. */
  int from_data = !status && nargs >= 1 && (access(args[0], F_OK) == 0 || d->value || d->rows || a.table);
  if (!status && !nargs) status = cli_usage(cmd, "%s needs numbers or a data file", argv[first]);
  if (!status && from_data && nargs != 1) status = cli_usage(cmd, "expected one data file (a store or a CSV file)");
  if (!status && test_args_finish(&a, (peil_test_kind)kind, from_data)) status = cli_usage(cmd, "--%s", peil_errmsg());
  if (!status && a.test.p && !from_data && kind == PEIL_TEST_PROP && a.test.np != nargs)
    status = cli_usage(cmd, "--p gives %zu probabilit%s for %zu group%s: give one per group", a.test.np,
                       a.test.np == 1 ? "y" : "ies", nargs, nargs == 1 ? "" : "s");
  if (status) {
    test_args_free(&a);
    return status;
  }

  peil_test_result r = {0};
  peil_stats_data *data = NULL;
  cli_data in = {0};
  int rc = 0;
  if (from_data) {
    rc = cli_data_open(args[0], a.table, &a.csv, &in);
    if (!rc) rc = peil_stats_run(in.store, in.table, (peil_test_kind)kind, d, &a.test, &data, &r);
    if (rc) {
      cli_data_close(&in);
      peil_stats_data_free(data);
      test_args_free(&a);
      return cli_fail(cmd, rc);
    }
  } else {
    int usage = 0;
    if ((rc = test_numbers((peil_test_kind)kind, args, nargs, a.summary, &a.test, &r, &usage))) {
      rc = usage ? cli_usage(cmd, "%s", peil_errmsg()) : cli_fail(cmd, rc);
      test_args_free(&a);
      return rc;
    }
  }
  test_report rep = {argv[first], from_data ? args[0] : NULL, from_data && !in.temporary ? in.table : NULL,
                     (const char *const *)args, nargs, a.summary, d, &a.test, data, &r};
  cli_output out = {0};
  rc = cli_output_open(&out, a.output);
  if (!rc) {
    rc = a.json ? test_report_json(out.fp, &rep) : test_report_text(out.fp, &rep);
    int crc = cli_output_close(&out, rc == 0);
    if (!rc) rc = crc;
  }
  if (!rc && (a.json || a.output)) test_report_warnings(&rep);
  peil_test_result_clear(&r);
  peil_stats_data_free(data);
  if (from_data) cli_data_close(&in);
  test_args_free(&a);
  return rc ? cli_fail(cmd, rc) : 0;
}
