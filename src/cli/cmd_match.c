/* peil match: a comparison group by matching (nearest neighbour on a
 * propensity score or Mahalanobis distance, exact, coarsened exact,
 * subclassification), its balance, and effect estimates on the matched
 * sample; optionally the matched sample as a store and a Love plot. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
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

int cmd_match(int argc, char **argv) {
  const char *cmd = "match";
  enum {
    O_DISTANCE = 256, O_LINK, O_ESTIMAND, O_RATIO, O_REPLACE, O_CALIPER, O_CALIPER_ABS, O_ORDER,
    O_SEED, O_EXACT, O_DISCARD, O_SUBCLASS, O_CUTS, O_WHERE, O_OUTCOME, O_BOOT, O_WEIGHTING,
    O_LEVEL, O_JSON, O_LOVE, O_TRAJ, O_REPORT, O_THREADS, O_DELIM, O_DECIMAL, O_SCHEMA, O_SEP
  };
  static const struct option opts[] = {
      {"formula", required_argument, 0, 'f'},     {"method", required_argument, 0, 'm'},
      {"distance", required_argument, 0, O_DISTANCE}, {"link", required_argument, 0, O_LINK},
      {"estimand", required_argument, 0, O_ESTIMAND}, {"ratio", required_argument, 0, O_RATIO},
      {"replace", no_argument, 0, O_REPLACE},     {"caliper", required_argument, 0, O_CALIPER},
      {"caliper-abs", required_argument, 0, O_CALIPER_ABS}, {"order", required_argument, 0, O_ORDER},
      {"seed", required_argument, 0, O_SEED},     {"exact", required_argument, 0, O_EXACT},
      {"discard", required_argument, 0, O_DISCARD}, {"subclass", required_argument, 0, O_SUBCLASS},
      {"cutpoints", required_argument, 0, O_CUTS}, {"where", required_argument, 0, O_WHERE},
      {"outcome", required_argument, 0, O_OUTCOME}, {"bootstrap", required_argument, 0, O_BOOT},
      {"weighting", no_argument, 0, O_WEIGHTING}, {"level", required_argument, 0, O_LEVEL},
      {"json", no_argument, 0, O_JSON},           {"love-plot", required_argument, 0, O_LOVE},
      {"trajectory", required_argument, 0, O_TRAJ}, {"report", required_argument, 0, O_REPORT},
      {"threads", required_argument, 0, O_THREADS}, {"table", required_argument, 0, 't'},
      {"delimiter", required_argument, 0, O_DELIM}, {"decimal", required_argument, 0, O_DECIMAL},
      {"schema", required_argument, 0, O_SCHEMA}, {"output", required_argument, 0, 'o'},
      {"allow-separation", no_argument, 0, O_SEP},
      {"quiet", no_argument, 0, 'q'},             {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  peil_match_options mo;
  peil_match_options_init(&mo);
  mo.nn.seed = 1;
  peil_effect_options eo;
  peil_effect_options_init(&eo);
  peil_csv_options csv;
  peil_csv_options_init(&csv);
  peil_match_load_options lo = {0};
  match_report rep = {0};
  const char *table = NULL, *outpath = NULL, *lovepath = NULL, *trajpath = NULL, *reportpath = NULL;
  char **exact = NULL, **outcomes = NULL;
  peil_cem_cuts *cuts = NULL;
  size_t ncuts = 0;
  long long v;
  int c, status = 0, ratio_given = 0;
  size_t ratio = 1;
  optind = 1;
  while (!status && (c = getopt_long(argc, argv, "f:m:t:o:qh", opts, NULL)) != -1) {
    switch (c) {
    case 'f': lo.formula = optarg; break;
    case 'm':
      if (strcmp(optarg, "nearest") == 0) mo.method = PEIL_MATCH_NEAREST;
      else if (strcmp(optarg, "exact") == 0) mo.method = PEIL_MATCH_EXACT;
      else if (strcmp(optarg, "cem") == 0) mo.method = PEIL_MATCH_CEM;
      else if (strcmp(optarg, "subclass") == 0) mo.method = PEIL_MATCH_SUBCLASS;
      else status = cli_usage(cmd, "--method must be nearest, exact, cem or subclass, not '%s'", optarg);
      break;
    case O_DISTANCE:
      if (strcmp(optarg, "glm") == 0 || strcmp(optarg, "logit") == 0) mo.distance = PEIL_DISTANCE_GLM;
      else if (strcmp(optarg, "linear") == 0) mo.distance = PEIL_DISTANCE_GLM_LINEAR;
      else if (strcmp(optarg, "mahalanobis") == 0) mo.distance = PEIL_DISTANCE_MAHALANOBIS;
      else mo.distance = PEIL_DISTANCE_USER, lo.distance_column = optarg;
      break;
    case O_LINK: mo.link = optarg; break;
    case O_SEP: mo.allow_separation = 1; break;
    case O_ESTIMAND:
      if (strcmp(optarg, "ATT") == 0 || strcmp(optarg, "att") == 0) mo.estimand = PEIL_ATT;
      else if (strcmp(optarg, "ATC") == 0 || strcmp(optarg, "atc") == 0) mo.estimand = PEIL_ATC;
      else if (strcmp(optarg, "ATE") == 0 || strcmp(optarg, "ate") == 0) mo.estimand = PEIL_ATE;
      else status = cli_usage(cmd, "--estimand must be ATT, ATC or ATE, not '%s'", optarg);
      break;
    case O_RATIO:
      if (cli_parse_long(optarg, &v) || v < 1 || v > 1000)
        status = cli_usage(cmd, "--ratio must be a whole number from 1 to 1000, not '%s'", optarg);
      ratio = (size_t)v, ratio_given = 1;
      break;
    case O_REPLACE: mo.nn.replace = 1; break;
    case O_CALIPER:
    case O_CALIPER_ABS: {
      char *end;
      double x = strtod(optarg, &end);
      if (*end || !(x > 0) || !isfinite(x)) status = cli_usage(cmd, "--caliper must be a positive number, not '%s'", optarg);
      if (c == O_CALIPER) mo.caliper_sd = x;
      else mo.nn.caliper = x;
      break;
    }
    case O_ORDER:
      if (strcmp(optarg, "largest") == 0) mo.nn.order = PEIL_MATCH_LARGEST;
      else if (strcmp(optarg, "smallest") == 0) mo.nn.order = PEIL_MATCH_SMALLEST;
      else if (strcmp(optarg, "random") == 0) mo.nn.order = PEIL_MATCH_RANDOM;
      else if (strcmp(optarg, "data") == 0) mo.nn.order = PEIL_MATCH_DATA;
      else status = cli_usage(cmd, "--order must be largest, smallest, random or data, not '%s'", optarg);
      break;
    case O_SEED:
      if (cli_parse_long(optarg, &v) || v < 0) status = cli_usage(cmd, "--seed must be a whole number >= 0, not '%s'", optarg);
      mo.nn.seed = eo.seed = (uint64_t)v;
      break;
    case O_EXACT:
      cli_free_list(exact);
      if (!(exact = cli_split_list(optarg, &lo.nexact)) || !lo.nexact) status = cli_usage(cmd, "--exact needs column names");
      lo.exact = (const char *const *)exact;
      break;
    case O_DISCARD:
      if (strcmp(optarg, "none") == 0) mo.discard = PEIL_DISCARD_NONE;
      else if (strcmp(optarg, "both") == 0) mo.discard = PEIL_DISCARD_BOTH;
      else if (strcmp(optarg, "treated") == 0) mo.discard = PEIL_DISCARD_TREATED;
      else if (strcmp(optarg, "control") == 0) mo.discard = PEIL_DISCARD_CONTROL;
      else status = cli_usage(cmd, "--discard must be none, both, treated or control, not '%s'", optarg);
      break;
    case O_SUBCLASS:
      if (cli_parse_long(optarg, &v) || v < 1 || v > 1000)
        status = cli_usage(cmd, "--subclass must be a whole number from 1 to 1000, not '%s'", optarg);
      mo.subclasses = (size_t)v;
      break;
    case O_CUTS:
      if (parse_cuts(optarg, &cuts, &ncuts))
        status = cli_usage(cmd, "--cutpoints must look like age=20,30,40, not '%s'", optarg);
      mo.cuts = cuts, mo.ncuts = ncuts;
      break;
    case O_WHERE: lo.where = optarg; break;
    case O_OUTCOME:
      cli_free_list(outcomes);
      if (!(outcomes = cli_split_list(optarg, &lo.noutcomes)) || !lo.noutcomes) status = cli_usage(cmd, "--outcome needs column names");
      lo.outcomes = (const char *const *)outcomes;
      break;
    case O_BOOT:
      if (cli_parse_long(optarg, &v) || v < 2 || v > 100000)
        status = cli_usage(cmd, "--bootstrap must be a whole number from 2 to 100000, not '%s'", optarg);
      eo.bootstrap = (size_t)v;
      break;
    case O_WEIGHTING: rep.weighting = 1; break;
    case O_LEVEL: {
      char *end;
      eo.conf_level = strtod(optarg, &end);
      if (*end || !(eo.conf_level > 0 && eo.conf_level < 1))
        status = cli_usage(cmd, "--level must be a number between 0 and 1, not '%s'", optarg);
      break;
    }
    case O_JSON: rep.json = 1; break;
    case O_LOVE: lovepath = optarg; break;
    case O_TRAJ: trajpath = optarg; break;
    case O_REPORT: reportpath = optarg; break;
    case O_THREADS:
      status = cli_parse_threads(cmd, optarg, &mo.threads);
      csv.threads = eo.threads = lo.threads = mo.threads;
      break;
    case 't': table = optarg; break;
    case O_DELIM: status = cli_parse_delimiter(cmd, optarg, &csv.delimiter); break;
    case O_DECIMAL: status = cli_parse_decimal(cmd, optarg, &csv.decimal); break;
    case O_SCHEMA: csv.schema_path = optarg; break;
    case 'o': outpath = optarg; break;
    case 'q': cli_quiet = 1; break;
    case 'h':
      help();
      cli_free_list(exact), cli_free_list(outcomes), free_cuts(cuts, ncuts);
      return 0;
    default: status = cli_usage(cmd, "unknown or incomplete option"); break;
    }
  }
  if (!status && optind != argc - 1) status = cli_usage(cmd, "expected one data file (a store or a CSV file)");
  if (!status && !lo.formula) status = cli_usage(cmd, "--formula is required, e.g. --formula 'treat ~ age + sex'");
  if (!status && mo.method == PEIL_MATCH_NEAREST) mo.nn.ratio = ratio;
  else if (!status && ratio_given && (mo.method == PEIL_MATCH_EXACT || mo.method == PEIL_MATCH_CEM)) mo.exact_ratio = ratio;
  else if (!status && ratio_given) status = cli_usage(cmd, "--ratio belongs to --method nearest, exact or cem");
  if (!status && trajpath && !lo.noutcomes) status = cli_usage(cmd, "--trajectory needs --outcome");
  if (!status && (eo.bootstrap || rep.weighting) && !lo.noutcomes)
    status = cli_usage(cmd, "--bootstrap and --weighting estimate effects: give --outcome");
  if (status) {
    cli_free_list(exact), cli_free_list(outcomes), free_cuts(cuts, ncuts);
    return status;
  }
  /* Methods on strata need no score; the others fit one (or read it). */
  int scored = mo.method == PEIL_MATCH_SUBCLASS || mo.discard ||
               (mo.method == PEIL_MATCH_NEAREST && mo.distance != PEIL_DISTANCE_MAHALANOBIS) ||
               rep.weighting;

  const char *path = argv[optind];
  cli_data in;
  double *distance = NULL, *ps = NULL;
  peil_match_data *d = NULL;
  peil_match_result *r = NULL;
  peil_glm *fit = NULL;
  int rc = cli_data_open(path, table, &csv, &in);
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
  cli_free_list(exact), cli_free_list(outcomes), free_cuts(cuts, ncuts);
  return rc ? cli_fail(cmd, rc) : 0;
}
