/* peil simulate: write a synthetic G4 register extract with a known
 * programme effect (docs/simulation.md). */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(void) {
  printf("Usage: peil simulate -o STORE.h5 --persons N [--seed S] [options]\n"
         "\n"
         "Write a synthetic G4 bijstand extract (persons, bijstand, ww, jobs, srg,\n"
         "programme) with a known programme effect: the exact sample ATT on 'in work\n"
         "6/12/18/24 months after the programme start' is written as root attributes\n"
         "and per participant in the table 'truth' (an answer key, never data).\n"
         "The output is the same for a seed whatever the number of threads.\n"
         "\n"
         "  -o, --output F        the store to write (replaced if it exists)\n"
         "  -n, --persons N       number of persons (>= 1)\n"
         "  -s, --seed S          random seed, 0 .. 2^63-1 (default 1)\n"
         "      --from DATE       start of the data window (default 2015-01-01)\n"
         "      --to DATE         end of the data window (default 2023-12-31)\n"
         "      --effect X        log hazard ratio of job finding while in the\n"
         "                        programme (default 0.8; 0 = no effect)\n"
         "      --hidden-bias X   selection into the programme on the unobserved\n"
         "                        employability (logit coefficient; default 0 =\n"
         "                        selection on observables only)\n"
         "  -j, --threads N       OpenMP threads (default: all cores)\n"
         "      --param K=V       set a model parameter (repeatable; arrays take\n"
         "                        comma-separated values)\n"
         "      --list-params     print every model parameter and its value, then exit\n"
         "  -q, --quiet           no summary on standard error\n"
         "  -h, --help            this help\n"
         "\n"
         "Dates are YYYY-MM-DD or DD-MM-YYYY. See docs/simulation.md for the model.\n");
}

/* A whole finite number. */
static int parse_double(const char *s, double *v) {
  char *end;
  if (!s || !*s) return -1;
  double x = strtod(s, &end);
  if (*end || !isfinite(x)) return -1;
  *v = x;
  return 0;
}

/* "peil simulate -o x.h5 ...": the command line for the provenance. */
static char *command_line(int argc, char **argv) {
  size_t len = strlen("peil") + 1;
  for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
  char *s = malloc(len);
  if (!s) return NULL;
  strcpy(s, "peil");
  for (int i = 0; i < argc; i++) {
    strcat(s, " ");
    strcat(s, argv[i]);
  }
  return s;
}

static void summary(const char *path, const peil_sim_params *p, const peil_sim_report *r,
                    double secs) {
  char a[11], b[11];
  peil_date_format(p->from, a);
  peil_date_format(p->to, b);
  cli_note("peil simulate: wrote %s (seed %llu, window %s..%s) in %.1f s\n", path,
           (unsigned long long)p->seed, a, b, secs);
  cli_note("  %-10s %10lld rows (%.2f candidate histories drawn per person)\n", "persons",
           (long long)r->rows_persons, (double)r->candidates / (double)r->rows_persons);
  cli_note("  %-10s %10lld rows\n", "bijstand", (long long)r->rows_bijstand);
  cli_note("  %-10s %10lld rows\n", "ww", (long long)r->rows_ww);
  cli_note("  %-10s %10lld rows\n", "jobs", (long long)r->rows_jobs);
  cli_note("  %-10s %10lld rows\n", "srg", (long long)r->rows_srg);
  cli_note("  %-10s %10lld rows\n", "programme", (long long)r->rows_programme);
  cli_note("  %-10s %10lld rows (known truth: not data)\n", "truth", (long long)r->rows_truth);
  cli_note("  true ATT of the programme (effect %g, hidden bias %g) on in work K months "
           "after the start:\n", p->effect, p->hidden_bias);
  for (int h = 0; h < PEIL_SIM_NHORIZON; h++) {
    if (r->att_n[h] == 0) {
      cli_note("    K = %2d: no participant with the horizon in the window\n",
               peil_sim_horizons[h]);
      continue;
    }
    cli_note("    K = %2d: %+.4f  (n %lld; %.3f with vs %.3f without)\n", peil_sim_horizons[h],
             r->att[h], (long long)r->att_n[h], r->mean_treated[h], r->mean_control[h]);
  }
}

int cmd_simulate(int argc, char **argv) {
  enum { O_FROM = 256, O_TO, O_EFFECT, O_HIDDEN, O_PARAM, O_LIST };
  static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                       {"persons", required_argument, 0, 'n'},
                                       {"seed", required_argument, 0, 's'},
                                       {"from", required_argument, 0, O_FROM},
                                       {"to", required_argument, 0, O_TO},
                                       {"effect", required_argument, 0, O_EFFECT},
                                       {"hidden-bias", required_argument, 0, O_HIDDEN},
                                       {"threads", required_argument, 0, 'j'},
                                       {"param", required_argument, 0, O_PARAM},
                                       {"list-params", no_argument, 0, O_LIST},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  peil_sim_params p;
  peil_sim_params_default(&p);
  const char *out = NULL;
  int have_persons = 0, list = 0, c;
  long long v;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":o:n:s:j:qh", opts, NULL)) != -1) {
    switch (c) {
    case 'o': out = optarg; break;
    case 'n':
      if (cli_parse_long(optarg, &v) || v < 1)
        return cli_usage("simulate", "--persons must be a whole number >= 1, not '%s'", optarg);
      p.persons = v;
      have_persons = 1;
      break;
    case 's':
      if (cli_parse_long(optarg, &v) || v < 0)
        return cli_usage("simulate", "--seed must be a whole number >= 0, not '%s'", optarg);
      p.seed = (uint64_t)v;
      break;
    case O_FROM:
    case O_TO: {
      int32_t d;
      if (peil_date_parse(optarg, strlen(optarg), &d))
        return cli_usage("simulate", "--%s: '%s' is not a date (YYYY-MM-DD or DD-MM-YYYY)",
                         c == O_FROM ? "from" : "to", optarg);
      if (c == O_FROM) p.from = d;
      else p.to = d;
      break;
    }
    case O_EFFECT:
      if (parse_double(optarg, &p.effect))
        return cli_usage("simulate", "--effect must be a number, not '%s'", optarg);
      break;
    case O_HIDDEN:
      if (parse_double(optarg, &p.hidden_bias))
        return cli_usage("simulate", "--hidden-bias must be a number, not '%s'", optarg);
      break;
    case 'j': {
      int bad = cli_parse_threads("simulate", optarg, &p.threads);
      if (bad) return bad;
      break;
    }
    case O_PARAM: {
      const char *eq = strchr(optarg, '=');
      if (!eq) return cli_usage("simulate", "--param takes KEY=VALUE, not '%s'", optarg);
      char key[128];
      snprintf(key, sizeof key, "%.*s", (int)(eq - optarg), optarg);
      if (peil_sim_params_set(&p, key, eq + 1))
        return cli_usage("simulate", "%s", peil_errmsg());
      break;
    }
    case O_LIST: list = 1; break;
    case 'q': cli_quiet = 1; break;
    case 'h': help(); return 0;
    case ':': return cli_usage("simulate", "option '%s' needs a value", argv[optind - 1]);
    default: return cli_usage("simulate", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind != argc) return cli_usage("simulate", "unexpected argument '%s'", argv[optind]);
  if (list) {
    char *text = peil_sim_params_text(&p);
    if (!text) return cli_fail("simulate", peil_error(PEIL_ENOMEM, "out of memory"));
    fputs(text, stdout);
    free(text);
    return 0;
  }
  if (!out) return cli_usage("simulate", "no output store given (-o FILE)");
  if (!have_persons) return cli_usage("simulate", "the number of persons is required (--persons N)");
  /* Everything about the arguments is checked before a file is touched. */
  int rc = peil_sim_params_check(&p);
  if (rc) return cli_usage("simulate", "%s", peil_errmsg());

  char *cmd = command_line(argc, argv);
  p.command = cmd;
  double t0 = peil_seconds();
  peil_store *st = NULL;
  peil_sim_report rep;
  rc = peil_store_open(out, PEIL_STORE_CREATE, &st);
  if (!rc) rc = peil_sim_run(&p, st, &rep);
  if (!rc) rc = peil_store_commit(st);
  peil_store_close(st);
  free(cmd);
  if (rc) return cli_fail("simulate", rc);
  summary(out, &p, &rep, peil_seconds() - t0);
  return 0;
}
