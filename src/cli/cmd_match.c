/* peil match: a comparison group by matching (nearest neighbour on a
 * propensity score or Mahalanobis distance, exact, coarsened exact,
 * subclassification), its balance, and effect estimates on the matched
 * sample; optionally the matched sample as a store and a Love plot. */
#include <math.h>
#include <stdlib.h>

#include "cli.h"
#include "match_args.h"
#include "match_report.h"

static void help(void) {
  printf("Usage: peil match DATA --formula 'treat ~ x1 + x2' [options]\n"
         "\n"
         "Build a comparison group of controls that look like the treated units,\n"
         "check balance and estimate effects on the matched sample, as R's\n"
         "MatchIt + cobalt do (docs/matching.md). DATA is a store (with --table T)\n"
         "or a CSV file.\n"
         "\n"
         "Matching\n"
         "  -f, --formula F        treatment ~ covariates: the score model, the strata\n"
         "                         (exact, cem) and the balance table\n"
         "  -m, --method M         nearest (default), exact, cem or subclass\n"
         "      --distance D       glm (default: the logit score, probability scale),\n"
         "                         linear (its linear predictor), mahalanobis, or the\n"
         "                         name of a column holding a score\n"
         "      --link L           logit (default) or probit score model\n"
         "      --allow-separation the score model: separation (a level or range\n"
         "                         with only treated units or only controls) is a\n"
         "                         note, not an error; those units' scores go to 0\n"
         "                         or 1, as with R's glm and MatchIt\n"
         "      --estimand E       ATT (default), ATC, or ATE (exact, cem, subclass)\n"
         "      --ratio K          nearest: K controls per treated unit (default 1);\n"
         "                         exact, cem: draw K controls per treated unit at\n"
         "                         random within each stratum (the STiP report's\n"
         "                         1:1 exact matching) instead of keeping whole strata\n"
         "      --replace          nearest: controls may be used more than once\n"
         "      --caliper C        nearest: largest distance of a pair, in SDs of the\n"
         "                         distance (MatchIt's convention)\n"
         "      --caliper-abs C    the same in the distance's own units\n"
         "      --order O          nearest: largest (default), smallest, random, data\n"
         "      --seed S           random order and random draws (default 1)\n"
         "      --exact COLS       match only within strata of these columns\n"
         "                         (comma-separated; strata run in parallel)\n"
         "      --discard D        common support on the score: none (default),\n"
         "                         both, treated, control\n"
         "      --subclass K       subclass: number of subclasses (default 6)\n"
         "      --cutpoints V=C1,C2,...  cem: cut points of numeric variable V\n"
         "                         (repeatable); other numbers: Sturges' rule\n"
         "      --where EXPR       use only rows where EXPR holds\n"
         "\n"
         "Effects\n"
         "      --outcome COLS     outcome columns (comma-separated), in order (e.g.\n"
         "                         in work at 6, 12, 18, 24 months: a trajectory)\n"
         "      --bootstrap R      also bootstrap standard errors with R replicates\n"
         "      --weighting        also IPW and augmented IPW on the score\n"
         "      --level P          confidence level (default 0.95)\n"
         "\n"
         "Output\n"
         "  -t, --table T          the table of a store (default: its only table)\n"
         "      --json             machine-readable output\n"
         "  -o, --output FILE.h5   write the matched sample (table 'matched': every\n"
         "                         unit with its weight, subclass, distance; table\n"
         "                         'pairs' for pair matching) to a new store\n"
         "      --love-plot FILE   a Love plot (SVG) of the balance before and after\n"
         "      --trajectory FILE  the outcomes' means, treated and matched controls,\n"
         "                         as an SVG plot\n"
         "      --report FILE      the report to FILE instead of standard output\n"
         "      --threads N        worker threads (default: one per core); results\n"
         "                         do not depend on it\n"
         "      --delimiter C, --decimal C, --schema FILE   CSV input, as peil import\n"
         "  -q, --quiet            no notes on standard error\n"
         "  -h, --help             this help\n"
         "\n"
         "Exit codes: 0 ok, 1 runtime failure, 2 bad input (unknown columns, a\n"
         "treatment that is not 0/1, no treated units or controls, no overlap, a\n"
         "caliper that leaves nobody matched).\n");
}

int cmd_match(int argc, char **argv) {
  const char *cmd = "match";
  match_args a;
  match_args_init(&a);
  int first = 1, status = cli_args_parse(cmd, argc, argv, match_arg_table, match_args_set, &a, &first);
  if (status == 1) help();
  if (!status && first != argc - 1) status = cli_usage(cmd, "expected one data file (a store or a CSV file)");
  else if (!status && match_args_finish(&a)) status = cli_usage(cmd, "--%s", peil_errmsg());
  if (status) {
    match_args_free(&a);
    return status == 1 ? 0 : status;
  }
  peil_match_options mo = a.match;
  peil_effect_options eo = a.effects;
  peil_match_load_options lo = a.load;
  match_report rep = {0};
  rep.json = a.json, rep.weighting = a.weighting;
  const char *outpath = a.output, *lovepath = a.love_plot, *trajpath = a.trajectory, *reportpath = a.report;
  /* Methods on strata need no score; the others fit one (or read it). */
  int scored = match_args_scored(&a);

  const char *path = argv[first];
  cli_data in;
  double *distance = NULL, *ps = NULL;
  peil_match_data *d = NULL;
  peil_match_result *r = NULL;
  peil_glm *fit = NULL;
  int rc = cli_data_open(path, a.table, &a.csv, &in);
  if (!rc) rc = peil_match_data_load(in.store, in.table, &lo, &d);
  if (!rc && scored) {
    if (!(distance = peil_alloc_large(d->n, sizeof *distance))) rc = peil_error(PEIL_ENOMEM, "out of memory");
    else if (mo.distance == PEIL_DISTANCE_MAHALANOBIS) {
      peil_match_options so = mo;
      so.distance = PEIL_DISTANCE_GLM;
      rc = peil_match_distance(in.store, in.table, d, &lo, &so, distance, &fit);
    } else {
      rc = peil_match_distance(in.store, in.table, d, &lo, &mo, distance, &fit);
    }
  }
  if (!rc) rc = peil_match_run(d, mo.distance == PEIL_DISTANCE_MAHALANOBIS && mo.method == PEIL_MATCH_NEAREST ? NULL : distance, &mo, &r);
  /* Weighting needs the score on the probability scale. */
  if (!rc && rep.weighting) {
    if (!(ps = peil_alloc_large(d->n, sizeof *ps))) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < d->n; i++) {
      ps[i] = mo.distance == PEIL_DISTANCE_GLM_LINEAR ? 1 / (1 + exp(-distance[i])) : distance[i];
      if (!(ps[i] > 0 && ps[i] < 1))
        rc = peil_error(PEIL_EDATA, "--weighting: the score of row %lld is %g, not a probability "
                        "strictly between 0 and 1 (no overlap)", (long long)d->row[i] + 1, ps[i]);
    }
  }
  if (!rc) {
    rep.command = cmd, rep.data = path, rep.table = in.temporary ? NULL : in.table;
    rep.load = &lo, rep.options = &mo, rep.effect_options = &eo;
    rep.d = d, rep.r = r, rep.fit = fit, rep.ps = ps;
    rc = match_report_compute(&rep);
  }
  if (!rc && outpath) rc = match_write_sample(outpath, &rep);
  if (!rc && lovepath) rc = match_write_svg(lovepath, &rep, 0);
  if (!rc && trajpath) rc = match_write_svg(trajpath, &rep, 1);
  cli_output out = {0};
  if (!rc) rc = cli_output_open(&out, reportpath);
  if (!rc) {
    rc = rep.json ? match_report_json(out.fp, &rep) : match_report_text(out.fp, &rep);
    int crc = cli_output_close(&out, rc == 0);
    if (!rc) rc = crc;
  }
  if (!rc && !rep.json) match_report_warnings(&rep);
  match_report_free(&rep);
  peil_match_result_free(r);
  peil_match_data_free(d);
  peil_glm_free(fit);
  free(distance), free(ps);
  cli_data_close(&in);
  match_args_free(&a);
  return rc ? cli_fail(cmd, rc) : 0;
}
