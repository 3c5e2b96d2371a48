/* peil cohort: populations at reference dates, outcomes at horizons,
 * corrected group comparisons (docs/cohort.md). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cohort_report.h"

static void help(void) {
  printf("Usage: peil cohort STORE --spec SPEC.ini [options]\n"
         "\n"
         "Runs the [cohort NAME] sections of SPEC.ini on the store: a population on\n"
         "each reference date (stock, inflow or exits), its outcomes k months later,\n"
         "by group and stratum, with shares corrected for population mix (linear\n"
         "probability model and/or logit, SEs clustered on the person).\n"
         "The spec keys are in docs/cohort.md; examples/g4-cohort.ini lays out the\n"
         "G4 comparison.\n"
         "\n"
         "Options:\n"
         "  --spec FILE        the spec (required)\n"
         "  --section NAME     run only [cohort NAME] (repeatable; default: all)\n"
         "  --rows FILE        also write the person-date rows to the store FILE\n"
         "                     (table 'rows', one row per person and reference date)\n"
         "  --threads N        threads of the regressions (default: one per core)\n"
         "  --json             JSON instead of text tables\n"
         "  -o, --output FILE  write to FILE (atomically) instead of stdout\n"
         "  -q, --quiet        no notes or warnings on stderr\n"
         "  -h, --help         this help\n");
}

int cmd_cohort(int argc, char **argv) {
  const char *cmd = "cohort";
  enum { O_SPEC = 256, O_SECTION, O_ROWS, O_THREADS, O_JSON };
  static const struct option opts[] = {
      {"spec", required_argument, 0, O_SPEC},     {"section", required_argument, 0, O_SECTION},
      {"rows", required_argument, 0, O_ROWS},     {"threads", required_argument, 0, O_THREADS},
      {"json", no_argument, 0, O_JSON},           {"output", required_argument, 0, 'o'},
      {"quiet", no_argument, 0, 'q'},             {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  peil_cohort_options co;
  peil_cohort_options_init(&co);
  const char *spec_path = NULL, *outpath = NULL;
  const char **sections = NULL;
  size_t nsections = 0;
  int c, status = 0, json = 0;
  optind = 1;
  while (!status && (c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
    switch (c) {
    case O_SPEC: spec_path = optarg; break;
    case O_SECTION: {
      const char **s = realloc(sections, (nsections + 1) * sizeof *s);
      if (!s) return cli_fail(cmd, peil_error(PEIL_ENOMEM, "out of memory"));
      sections = s;
      sections[nsections++] = optarg;
      break;
    }
    case O_ROWS: co.rows_path = optarg; break;
    case O_THREADS: status = cli_parse_threads(cmd, optarg, &co.threads); break;
    case O_JSON: json = 1; break;
    case 'o': outpath = optarg; break;
    case 'q': cli_quiet = 1; break;
    case 'h': help(); free(sections); return 0;
    default: status = cli_usage(cmd, "unknown or incomplete option"); break;
    }
  }
  if (!status && optind != argc - 1) status = cli_usage(cmd, "expected one store");
  if (!status && !spec_path) status = cli_usage(cmd, "--spec is required (a file with [cohort NAME] sections)");
  if (status) {
    free(sections);
    return status;
  }
  const char *path = argv[optind];
  peil_cohort_spec **specs = NULL;
  size_t nspecs = 0;
  int rc = peil_cohort_spec_load(spec_path, &specs, &nspecs);
  /* --section picks sections; each must exist. */
  size_t nrun = 0;
  peil_cohort_spec **run = rc ? NULL : calloc(nspecs + 1, sizeof *run);
  if (!rc && !run) rc = peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < nsections; i++) {
    size_t k = 0;
    while (k < nspecs && strcmp(peil_cohort_spec_name(specs[k]), sections[i])) k++;
    if (k == nspecs) rc = peil_error(PEIL_ENOTFOUND, "%s has no [cohort %s]", spec_path, sections[i]);
  }
  for (size_t k = 0; !rc && k < nspecs; k++) {
    int want = nsections == 0;
    for (size_t i = 0; i < nsections; i++) want |= !strcmp(peil_cohort_spec_name(specs[k]), sections[i]);
    if (want) run[nrun++] = specs[k];
  }
  if (!rc && co.rows_path && nrun > 1)
    rc = peil_error(PEIL_EINVAL, "--rows keeps the rows of one cohort: pick it with --section");
  peil_store *st = NULL;
  if (!rc) rc = peil_store_open(path, PEIL_STORE_READ, &st);
  peil_cohort_result **res = rc ? NULL : calloc(nrun + 1, sizeof *res);
  if (!rc && !res) rc = peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < nrun; i++) {
    if (cli_show_progress()) fprintf(stderr, "cohort %s ...\n", peil_cohort_spec_name(run[i]));
    rc = peil_cohort_run(st, run[i], &co, &res[i]);
  }
  cli_output out = {0};
  if (!rc) rc = cli_output_open(&out, outpath);
  if (!rc) {
    cohort_report_options ro = {json, path, spec_path};
    rc = json ? cohort_report_json(out.fp, (const peil_cohort_result *const *)res, nrun, &ro)
              : cohort_report_text(out.fp, (const peil_cohort_result *const *)res, nrun, &ro);
    int crc = cli_output_close(&out, rc == 0);
    if (!rc) rc = crc;
  }
  if (!rc && !json)
    for (size_t i = 0; i < nrun; i++)
      for (size_t w = 0; w < res[i]->nwarnings; w++)
        cli_note("warning: [cohort %s] %s\n", res[i]->name, res[i]->warnings[w]);
  for (size_t i = 0; res && i < nrun; i++) peil_cohort_result_free(res[i]);
  free(res);
  if (st) peil_store_close(st);
  free(run);
  peil_cohort_specs_free(specs, nspecs);
  free(sections);
  return rc ? cli_fail(cmd, rc) : 0;
}
