/* peil split: episodes split for piecewise-constant hazard models, written
 * as a table of a store (docs/split.md). Every option but -o, --json and
 * the global switches is a key of peil_split_options_set, under the same
 * name as in a [split NAME] section. The output store is a copy renamed
 * into place only when the table is complete. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void help(void) {
  printf("Usage: peil split STORE -o OUT.h5 [options]\n"
         "\n"
         "Splits the episodes of a spell table into pieces for a piecewise-constant\n"
         "hazard model: one row per episode and duration band (and before and after\n"
         "the start of a treatment), with rin, episode, start, tstart, tstop (the piece\n"
         "(tstart, tstop] in days since the episode's start), exposure (days), event,\n"
         "period, treated and covariates. A Poisson GLM with offset(log(exposure)) on\n"
         "it gives hazard ratios per day:\n"
         "  peil glm OUT.h5 --table episodes --family poisson --exponentiate --cluster rin \\\n"
         "      --formula 'event ~ period + treated + sex + offset(log(exposure))'\n"
         "The table goes into OUT.h5 (created, or added to; it may be STORE itself).\n"
         "\n"
         "Options (also the keys of a [split NAME] section, with _ for -):\n"
         "  -o, --output OUT.h5     the store to write the table to (required)\n"
         "  --table NAME            the table's name (default: episodes)\n"
         "  --spells 'T [where C]'  the spells that make the episodes (default: bijstand)\n"
         "  --gap DAYS|none         spells at most DAYS apart are one episode (default 0:\n"
         "                          adjacent spells merge; none: no merging)\n"
         "  --event ended|'T [where C]'\n"
         "                          the event: any end, or an end followed by a spell of\n"
         "                          table T starting within the window (default: jobs)\n"
         "  --within W|A..B         that window: days 1..W after the episode's last day,\n"
         "                          or A..B (A may be negative; default 31)\n"
         "  --cuts D1,D2,...|none   duration cut points in days (default 91,182,273,365,547)\n"
         "  --treatment 'T [where C]'\n"
         "                          the time-varying treatment: treated from the start of\n"
         "                          the first spell of T in the episode (default: none)\n"
         "  --treatment-end stays|K treated to the end (default), or until K days after\n"
         "                          the treatment spell's last day\n"
         "  --data-start DATE|data|none\n"
         "                          follow-up starts no earlier: episodes that began before\n"
         "                          enter late (default data: the store's data_start or\n"
         "                          sim_from; none: follow from the episode's start)\n"
         "  --data-end DATE|data    the censoring date (default data: data_end or sim_to)\n"
         "  --where COND            keep episodes satisfying COND (columns rin, episode,\n"
         "                          start, end, year, age, age_class, earlier and the\n"
         "                          person table's), e.g. 'year >= 2016 & year <= 2020'\n"
         "  --age A..B|all          keep episodes with age A..B at their start\n"
         "  --age-cuts Y1,Y2,...    classes of age_class (default 27,35,45,55)\n"
         "  --covariates all|none|LIST\n"
         "                          columns carried: person columns and age, age_class,\n"
         "                          year, earlier, end (default all)\n"
         "  --persons NAME          the person table (default: persons)\n"
         "  --birth-date NAME       its birth-date column (default: birth_date)\n"
         "  --force                 replace a table of that name in OUT.h5\n"
         "  --threads N             2 or more: one thread compresses and writes (default:\n"
         "                          one per core)\n"
         "  --json                  the report as JSON on standard output\n"
         "  --progress              show progress even when standard error is no terminal\n"
         "  -q, --quiet             no notes or warnings on stderr\n"
         "  -h, --help              this help\n"
         "\n"
         "Exit status: 0 ok, 2 bad input (the message names the table, column or row;\n"
         "OUT.h5 is left as it was), 1 other failures.\n");
}

static double rate(int64_t events, int64_t exposure) {
  return exposure > 0 ? 1000.0 * (double)events / (double)exposure : 0.0;
}

static double share(int64_t part, int64_t whole) {
  return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

static void day_text(int32_t d, char *buf) {
  if (d == PEIL_NA_DATE) strcpy(buf, "open");
  else peil_date_format(d, buf);
}

static void report_text(FILE *fp, const peil_split_summary *s, const char *out) {
  char a[32], b[32], c[32], d[32], e[32], f[12], t[12];
  fprintf(fp, "peil split: %s pieces of %s episodes of %s persons -> %s:/%s\n",
          cli_count(s->n_pieces, a), cli_count(s->n_kept, b), cli_count(s->n_persons_out, c), out,
          s->table);
  day_text(s->follow_start, f);
  day_text(s->follow_end, t);
  fprintf(fp, "follow-up %s .. %s; %s episodes began before it and enter late\n", f, t,
          cli_count(s->n_truncated, a));
  fprintf(fp, "episodes: %s found, %s outside the follow-up, %s outside the age range, %s filtered "
              "out, %s written\n",
          cli_count(s->n_episodes, a), cli_count(s->n_outside, b), cli_count(s->n_age, c),
          cli_count(s->n_filtered, d), cli_count(s->n_kept, e));
  fprintf(fp, "  ended %s, censored %s; events %s (%.1f%% of the episodes)\n", cli_count(s->n_ended, a),
          cli_count(s->n_censored, b), cli_count(s->n_events, c), share(s->n_events, s->n_kept));
  int64_t untreated = s->n_kept - s->n_treated;
  fprintf(fp, "  treated %s (events %.1f%%), never treated %s (events %.1f%%)\n",
          cli_count(s->n_treated, a), share(s->n_treated_events, s->n_treated), cli_count(untreated, b),
          share(s->n_events - s->n_treated_events, untreated));
  fprintf(fp, "exposure %s days (%.0f years)\n\n", cli_count(s->exposure, a), (double)s->exposure / 365.25);
  fprintf(fp, "%-12s %7s %12s %10s %16s %14s\n", "period", "treated", "pieces", "events",
          "exposure_days", "rate_per_1000");
  for (size_t p = 0; p < s->nperiods; p++)
    for (int tr = 0; tr < 2; tr++) {
      const peil_split_cell *cell = &s->cells[p * 2 + (size_t)tr];
      fprintf(fp, "%-12s %7d %12s %10s %16s %14.4f\n", s->periods[p], tr, cli_count(cell->pieces, a),
              cli_count(cell->events, b), cli_count(cell->exposure, c), rate(cell->events, cell->exposure));
    }
}

static int report_json(FILE *fp, const peil_split_summary *s, const peil_split_options *o,
                       const char *store, const char *out) {
  json_t *doc = json_object();
  json_object_set_new(doc, "peil_version", json_string(peil_version()));
  json_object_set_new(doc, "command", json_string("split"));
  json_t *in = json_object();
  char f[12], t[12];
  day_text(s->follow_start, f);
  day_text(s->follow_end, t);
  json_object_set_new(in, "store", json_string(store));
  json_object_set_new(in, "output", json_string(out));
  json_object_set_new(in, "table", json_string(s->table));
  json_object_set_new(in, "persons", json_string(o->persons));
  json_object_set_new(in, "spells", json_string(o->spells));
  json_object_set_new(in, "gap", o->gap < 0 ? json_string("none") : json_integer(o->gap));
  json_object_set_new(in, "event", json_string(o->event));
  json_object_set_new(in, "within", json_pack("[i,i]", o->within_from, o->within_to));
  json_t *cuts = json_array();
  for (size_t k = 0; k < o->ncuts; k++) json_array_append_new(cuts, json_integer(o->cuts[k]));
  json_object_set_new(in, "cuts", cuts);
  json_object_set_new(in, "treatment", o->treatment ? json_string(o->treatment) : json_null());
  json_object_set_new(in, "treatment_end",
                      o->treatment_end < 0 ? json_string("stays") : json_integer(o->treatment_end));
  json_object_set_new(in, "data_start", s->follow_start == PEIL_NA_DATE ? json_null() : json_string(f));
  json_object_set_new(in, "data_end", s->follow_end == PEIL_NA_DATE ? json_null() : json_string(t));
  json_object_set_new(in, "where", o->where ? json_string(o->where) : json_null());
  json_object_set_new(in, "age", o->age_min < 0 ? json_null() : json_pack("[i,i]", o->age_min, o->age_max));
  json_t *acuts = json_array();
  for (size_t k = 0; k < o->nage_cuts; k++) json_array_append_new(acuts, json_integer(o->age_cuts[k]));
  json_object_set_new(in, "age_cuts", acuts);
  json_object_set_new(doc, "inputs", in);
  json_t *n = json_object();
  struct {
    const char *key;
    int64_t v;
  } counts[] = {{"persons", s->n_persons},   {"persons_out", s->n_persons_out},
                {"spells", s->n_spells},     {"episodes", s->n_episodes},
                {"outside", s->n_outside},   {"age", s->n_age},
                {"filtered", s->n_filtered}, {"kept", s->n_kept},
                {"truncated", s->n_truncated}, {"ended", s->n_ended},
                {"censored", s->n_censored}, {"events", s->n_events},
                {"unobserved", s->n_unobserved}, {"treated", s->n_treated},
                {"treated_events", s->n_treated_events}, {"pieces", s->n_pieces},
                {"exposure", s->exposure}};
  for (size_t i = 0; i < sizeof counts / sizeof *counts; i++)
    json_object_set_new(n, counts[i].key, json_integer(counts[i].v));
  json_object_set_new(doc, "counts", n);
  json_t *rates = json_array();
  for (size_t p = 0; p < s->nperiods; p++)
    for (int tr = 0; tr < 2; tr++) {
      const peil_split_cell *c = &s->cells[p * 2 + (size_t)tr];
      json_array_append_new(rates, json_pack("{s:s,s:i,s:I,s:I,s:I,s:o}", "period", s->periods[p],
                                             "treated", tr, "pieces", (json_int_t)c->pieces,
                                             "events", (json_int_t)c->events, "exposure",
                                             (json_int_t)c->exposure, "rate_per_1000_days",
                                             cli_json_real(rate(c->events, c->exposure))));
    }
  json_object_set_new(doc, "rates", rates);
  int64_t untreated = s->n_kept - s->n_treated;
  json_object_set_new(doc, "episodes_by_treatment",
                      json_pack("[{s:i,s:I,s:I,s:o},{s:i,s:I,s:I,s:o}]", "treated", 0, "episodes",
                                (json_int_t)untreated, "events", (json_int_t)(s->n_events - s->n_treated_events),
                                "share", cli_json_real(share(s->n_events - s->n_treated_events, untreated) / 100),
                                "treated", 1, "episodes", (json_int_t)s->n_treated, "events",
                                (json_int_t)s->n_treated_events, "share",
                                cli_json_real(share(s->n_treated_events, s->n_treated) / 100)));
  json_t *orph = json_object();
  for (size_t i = 0; i < s->ntables; i++) json_object_set_new(orph, s->tables[i], json_integer(s->orphans[i]));
  json_object_set_new(doc, "orphans", orph);
  json_object_set_new(doc, "seconds", json_real(s->seconds));
  int rc = json_dumpf(doc, fp, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) ? PEIL_EIO : PEIL_OK;
  fputc('\n', fp);
  json_decref(doc);
  return rc ? peil_error(rc, "writing JSON failed") : PEIL_OK;
}

static void warnings(const peil_split_summary *s, const peil_split_options *o) {
  char a[32];
  for (size_t i = 0; i < s->ntables; i++)
    if (s->orphans[i])
      cli_note("warning: %s rows of table '%s' have a rin that is not in table '%s'; they are ignored\n",
               cli_count(s->orphans[i], a), s->tables[i], o->persons);
  if (s->n_unobserved)
    cli_note("warning: %s episodes end without the event less than %d days before the end of the "
             "data: an event after it is not seen (they count as exits without the event)\n",
             cli_count(s->n_unobserved, a), o->within_to);
  if (!s->n_pieces) cli_note("warning: the split table has no rows\n");
}

int cmd_split(int argc, char **argv) {
  const char *cmd = "split";
  enum { O_JSON = 256, O_PROGRESS, O_KEY };
  /* The keys of the options, by their long names ('-' for '_'). */
  static const struct option opts[] = {
      {"output", required_argument, 0, 'o'},   {"json", no_argument, 0, O_JSON},
      {"progress", no_argument, 0, O_PROGRESS}, {"quiet", no_argument, 0, 'q'},
      {"help", no_argument, 0, 'h'},           {"table", required_argument, 0, O_KEY},
      {"spells", required_argument, 0, O_KEY}, {"gap", required_argument, 0, O_KEY},
      {"event", required_argument, 0, O_KEY},  {"within", required_argument, 0, O_KEY},
      {"cuts", required_argument, 0, O_KEY},   {"treatment", required_argument, 0, O_KEY},
      {"treatment-end", required_argument, 0, O_KEY}, {"data-start", required_argument, 0, O_KEY},
      {"data-end", required_argument, 0, O_KEY},     {"where", required_argument, 0, O_KEY},
      {"age", required_argument, 0, O_KEY},    {"age-cuts", required_argument, 0, O_KEY},
      {"covariates", required_argument, 0, O_KEY}, {"persons", required_argument, 0, O_KEY},
      {"birth-date", required_argument, 0, O_KEY}, {"force", no_argument, 0, O_KEY},
      {"threads", required_argument, 0, O_KEY}, {0, 0, 0, 0}};
  peil_split_options o;
  if (peil_split_options_init(&o)) return cli_fail(cmd, PEIL_ENOMEM);
  const char *out = NULL;
  int json = 0, c, idx, status = 0;
  optind = 1;
  while (!status && (c = getopt_long(argc, argv, "o:qh", opts, &idx)) != -1) {
    switch (c) {
    case 'o': out = optarg; break;
    case O_JSON: json = 1; break;
    case O_PROGRESS: cli_progress = 1; break;
    case 'q': cli_quiet = 1; break;
    case 'h': help(); peil_split_options_free(&o); return 0;
    case O_KEY:
      if (peil_split_options_set(&o, opts[idx].name, optarg ? optarg : "yes")) {
        /* The message names the key as in a spec (age_cuts: ...); here the
         * option is --age-cuts. */
        const char *msg = peil_errmsg();
        size_t n = strlen(opts[idx].name);
        int same = strlen(msg) > n + 1 && msg[n] == ':';
        for (size_t i = 0; same && i < n; i++)
          same = msg[i] == (opts[idx].name[i] == '-' ? '_' : opts[idx].name[i]);
        status = cli_usage(cmd, "--%s: %s", opts[idx].name, same ? msg + n + 2 : msg);
      }
      break;
    default: status = cli_usage(cmd, "unknown or incomplete option"); break;
    }
  }
  if (!status && optind != argc - 1) status = cli_usage(cmd, "expected one store");
  if (!status && !out) status = cli_usage(cmd, "-o OUT.h5 is required (the store to write the table to)");
  if (status) {
    peil_split_options_free(&o);
    return status;
  }
  const char *path = argv[optind];
  cli_progress_line line = {cmd, -1};
  if (cli_show_progress()) {
    o.progress = cli_progress_persons;
    o.progress_arg = &line;
  }
  /* STORE is read where it is; OUT is a copy (of itself, or of STORE when
   * they are the same file) renamed into place at the commit. */
  peil_store *in = NULL, *dst = NULL;
  peil_split_summary sum;
  int rc = peil_store_open(path, PEIL_STORE_READ, &in);
  if (!rc) rc = peil_store_open(out, PEIL_STORE_UPDATE, &dst);
  if (!rc) rc = peil_split_write(in, dst, &o, &sum);
  cli_progress_done(&line);
  if (!rc) {
    rc = peil_store_commit(dst);
    if (!rc) {
      rc = json ? report_json(stdout, &sum, &o, path, out) : (report_text(stdout, &sum, out), PEIL_OK);
      warnings(&sum, &o);
      if (!rc && fflush(stdout)) rc = peil_error(PEIL_EIO, "writing standard output failed");
    }
    peil_split_summary_free(&sum);
  }
  peil_store_close(dst); /* without commit: OUT stays as it was */
  peil_store_close(in);
  peil_split_options_free(&o);
  return rc ? cli_fail(cmd, rc) : 0;
}
