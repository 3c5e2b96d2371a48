/* peil run: a batch spec of analyses over one store (run_plan.c reads and
 * checks it; the output directory is replaced as a whole: run_outdir.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "run_jobs.h"
#include "run_manifest.h"
#include "run_outdir.h"
#include "run_plan.h"

static void help(void) {
  printf("Usage: peil run SPEC.ini [-o DIR] [options]\n"
         "\n"
         "Run the analyses of a batch spec: one INI file with a [data] section\n"
         "(store = FILE.h5) and a section per analysis: [cohort NAME] (docs/cohort.md),\n"
         "[logit NAME], [probit NAME], [ols NAME], [glm NAME], [match NAME] (the keys\n"
         "are the long options of those commands, plus table = T or from = COHORT),\n"
         "[table NAME] (rows, cols, value, where, title) and [disclosure] (min_cell,\n"
         "rounding, zero_cells). The whole spec is checked before any work starts.\n"
         "\n"
         "The output directory gets every table as CSV, JSON and Markdown, checked\n"
         "for disclosure (docs/disclosure.md), report.md with all of them,\n"
         "disclosure_audit.csv and manifest.json; it is replaced only when the\n"
         "whole run succeeds.\n"
         "\n"
         "Options\n"
         "      --store FILE       use this store instead of [data] store\n"
         "      --check            check the spec, the store, its tables and columns,\n"
         "                         and stop\n"
         "      --no-disclosure-control  publish the tables as computed: no minimum\n"
         "                         cell size, no suppression, no rounding (logged, and\n"
         "                         every table and the manifest say so)\n"
         "  -o, --output DIR       the output directory (default: SPEC's name + '-output')\n"
         "  -j, --jobs N           run up to N sections at a time, each in a process of\n"
         "                         its own with its share of the cores (default 1: one\n"
         "                         section at a time, with every core); the output is\n"
         "                         the same\n"
         "  -q, --quiet            no notes on standard error\n"
         "  -h, --help             this help\n"
         "\n"
         "Exit codes: 0 ok, 1 runtime failure, 2 a bad spec or input (nothing is\n"
         "computed or written).\n");
}

/* --section, --into, --rows-dir and --threads are internal: how --jobs
 * runs one section in a process of its own (run_jobs.c). */
static const cli_arg run_args[] = {
    {"store", 0, 1, 0},  {"check", 0, 0, 0},    {"output", 'o', 1, 0},   {"jobs", 'j', 1, 0},
    {"no-disclosure-control", 0, 0, 0},         {"section", 0, 1, 0},    {"into", 0, 1, 0},
    {"rows-dir", 0, 1, 0}, {"threads", 0, 1, 0}, {"quiet", 'q', 0, 0},   {"help", 'h', 0, 0},
    {NULL, 0, 0, 0}};

typedef struct {
  const char *store, *output, *section, *into, *rows_dir;
  int check, no_control, jobs, threads;
} run_args_t;

static int set_arg(void *ctx, const char *key, const char *value) {
  run_args_t *a = ctx;
  if (strcmp(key, "store") == 0) a->store = value;
  else if (strcmp(key, "check") == 0) a->check = 1;
  else if (strcmp(key, "output") == 0) a->output = value;
  else if (strcmp(key, "no-disclosure-control") == 0) a->no_control = 1;
  else if (strcmp(key, "section") == 0) a->section = value;
  else if (strcmp(key, "into") == 0) a->into = value;
  else if (strcmp(key, "rows-dir") == 0) a->rows_dir = value;
  else if (strcmp(key, "jobs") == 0 || strcmp(key, "threads") == 0) {
    long long n;
    int rc = cli_args_whole(value, 1, 1024, &n);
    if (rc) return rc;
    if (strcmp(key, "jobs") == 0) a->jobs = (int)n;
    else a->threads = (int)n;
  }
  else if (strcmp(key, "quiet") == 0) cli_quiet = 1;
  return PEIL_OK;
}

int cmd_run(int argc, char **argv) {
  const char *cmd = "run";
  run_args_t a = {0};
  int first = 1, status = cli_args_parse(cmd, argc, argv, run_args, set_arg, &a, &first);
  if (status == 1) help();
  if (status) return status == 1 ? 0 : status;
  if (first != argc - 1) return cli_usage(cmd, "expected one spec file");
  run_plan *plan = NULL;
  int rc = run_plan_load(argv[first], a.store, &plan);
  if (!rc && !a.section) rc = run_plan_check(plan); /* a --jobs section: its parent checked */
  if (rc) {
    run_plan_free(plan);
    return cli_fail(cmd, rc);
  }
  if (a.check) {
    printf("%s: %zu analyses on %s\n", argv[first], plan->n, plan->store_path);
    for (size_t k = 0; k < plan->n; k++)
      printf("  line %d: [%s]%s%s\n", plan->sections[k].line, plan->sections[k].section,
             plan->sections[k].from >= 0 ? " from " : "",
             plan->sections[k].from >= 0 ? plan->sections[plan->sections[k].from].name : "");
    run_plan_free(plan);
    return 0;
  }
  if (a.section) { /* one section, for --jobs */
    size_t k = 0;
    while (k < plan->n && strcmp(plan->sections[k].name, a.section) != 0) k++;
    run_env one = {a.into, a.rows_dir, plan->rules, a.threads};
    if (a.no_control) one.rules.enabled = 0;
    if (k == plan->n || !a.into || !a.rows_dir)
      rc = peil_error(PEIL_EINVAL, "--section %s: no such section, or no --into and --rows-dir", a.section);
    else
      rc = run_section_exec(plan, k, &one);
    run_plan_free(plan);
    return rc ? cli_fail(cmd, rc) : 0;
  }
  char dflt[4096];
  if (!a.output) {
    const char *base = strrchr(argv[first], '/') ? strrchr(argv[first], '/') + 1 : argv[first];
    size_t stem = strlen(base) > 4 && strcmp(base + strlen(base) - 4, ".ini") == 0 ? strlen(base) - 4 : strlen(base);
    snprintf(dflt, sizeof dflt, "%.*s-output", (int)stem, base);
    a.output = dflt;
  }
  int jobs = a.jobs > 0 ? a.jobs : 1;
  if ((size_t)jobs > plan->n) jobs = (int)plan->n;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  run_info info = {argc, argv, argv[first], peil_seconds(), 0, (long long)time(NULL), jobs};
  /* One section at a time takes every core; N at a time share them. */
  run_env env = {NULL, NULL, plan->rules, jobs > 1 ? (int)(cores / jobs > 1 ? cores / jobs : 1) : 0};
  if (a.no_control) {
    env.rules.enabled = 0;
    fprintf(stderr, "peil run: disclosure control is OFF (--no-disclosure-control): the tables are "
                    "not fit for publication; the manifest and every table say so\n");
  }
  run_outdir out;
  if ((rc = run_outdir_open(&out, a.output))) {
    run_plan_free(plan);
    return cli_fail(cmd, rc);
  }
  /* Person-date rows of cohorts that later sections read: microdata, so
   * never in the output directory. */
  const char *tmp = getenv("TMPDIR");
  char rowsdir[4096];
  snprintf(rowsdir, sizeof rowsdir, "%s/peil-run-rows-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  int rows_slot = -1;
  if (!mkdtemp(rowsdir)) rc = peil_error(PEIL_EIO, "cannot create a temporary directory in %s", tmp && *tmp ? tmp : "/tmp");
  else rows_slot = peil_atomic_track_dir(rowsdir);
  env.outdir = out.temp, env.rowsdir = rowsdir;
  if (!rc) rc = run_data_tables(plan, &env);
  if (!rc && jobs > 1) {
    run_job_args ja = {argv[first], a.store, jobs};
    rc = run_jobs(plan, &env, &ja);
  }
  for (size_t k = 0; !rc && jobs == 1 && k < plan->n; k++) {
    if (!cli_quiet) fprintf(stderr, "[%s] ...\n", plan->sections[k].section);
    rc = run_section_exec(plan, k, &env);
  }
  info.finished = peil_seconds();
  if (!rc) rc = run_finish(plan, &env, &info);
  if (!rc) rc = run_outdir_commit(&out);
  else run_outdir_abort(&out);
  run_remove_tree(rowsdir);
  peil_atomic_untrack_dir(rows_slot);
  if (!rc && !cli_quiet) fprintf(stderr, "peil run: %zu sections in %.1f s; the report: %s/report.md\n", plan->n,
                                 info.finished - info.started, a.output);
  run_plan_free(plan);
  return rc ? cli_fail(cmd, rc) : 0;
}
