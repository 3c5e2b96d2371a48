/* peil: the command-line program. Dispatches to src/cli/cmd_<name>.c. */
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "run_jobs.h"

static const cli_command commands[] = {
    {"simulate", "write a synthetic G4 register extract with known effects", cmd_simulate},
    {"import", "import a CSV file as a table of a store", cmd_import},
    {"export", "write a table of a store as CSV", cmd_export},
    {"info", "describe a store: tables, columns, types, missing values, ranges", cmd_info},
    {"logit", "logistic regression, with margins and robust or clustered SEs", cmd_logit},
    {"probit", "probit regression", cmd_probit},
    {"ols", "linear regression (also the linear probability model)", cmd_ols},
    {"glm", "generalised linear model: --family gaussian|binomial|poisson --link L", cmd_glm},
    {"cohort", "populations at reference dates, outcomes at horizons, corrected comparisons", cmd_cohort},
    {"panel", "materialise a person-month panel of spell tables into the store", cmd_panel},
    {"split", "episodes split by duration bands and treatment for hazard models", cmd_split},
    {"match", "comparison groups by matching: balance, effects with honest standard errors", cmd_match},
    {"test", "tests and intervals as R gives them: prop, binom, chisq, fisher, t, wilcox", cmd_test},
    {"run", "run a batch spec of analyses; tables checked for disclosure", cmd_run},
};
static const size_t ncommands = sizeof commands / sizeof commands[0];

static void usage(FILE *fp) {
  fprintf(fp,
          "Usage: peil <command> [options] [arguments]\n"
          "\n"
          "Effect evaluation on register microdata stored in HDF5.\n"
          "\n"
          "Commands:\n");
  for (size_t i = 0; i < ncommands; i++)
    fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(fp,
          "\n"
          "Every command takes --help. Exit codes: 0 ok, 1 runtime failure,\n"
          "2 usage error or bad input.\n"
          "\n"
          "  peil --version     print the version\n");
}

/* A signal must not leave a half-written output behind: stop peil run's
 * section processes, remove every temporary file and directory, then die
 * of the same signal. */
static void on_signal(int sig) {
  run_jobs_stop();
  peil_atomic_cleanup_all();
  signal(sig, SIG_DFL);
  raise(sig);
}

int main(int argc, char **argv) {
  /* Keep freed memory for reuse instead of handing it back to the kernel:
   * a cohort's correction fits dozens of models in a row, each allocating
   * and freeing its row cache and scan buffers, and on a virtual machine
   * every first touch of a fresh page is a costly fault (measured: 5.3 s of
   * CPU for the G4 example at 100,000 persons, 2.0 s with these settings).
   * Only allocations above 256 MB get their own mapping. */
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGHUP, on_signal);
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("peil %s\n", peil_version());
    return 0;
  }
  for (size_t i = 0; i < ncommands; i++)
    if (strcmp(cmd, commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "peil: unknown command '%s'\n\n", cmd);
  usage(stderr);
  return 2;
}
