/* peil panel: a person-month panel materialised as a table of the store
 * (docs/cohort.md, "A person-month panel"). The store is opened for update
 * (a copy beside it) and renamed over the original only when the panel is
 * complete. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void help(void) {
  printf("Usage: peil panel STORE --tables T1,T2,... [options]\n"
         "\n"
         "Writes a person-month panel into STORE as a new table: one row per person of\n"
         "the person table (in rin order) and calendar month, with columns rin, month\n"
         "(the month's first day) and per spell table an int8 column named after it:\n"
         "1 when the person is in that status in the month, else 0. Cohort queries do\n"
         "not need it (peil cohort reads the spells directly); it is for analyses that\n"
         "want the panel itself.\n"
         "\n"
         "Options:\n"
         "  --tables LIST      spell tables (rin, start, end; sorted by rin and start),\n"
         "                     comma-separated (required)\n"
         "  --from YYYY-MM     first month (default: the store's data_start or sim_from)\n"
         "  --to YYYY-MM       last month (default: the store's data_end or sim_to)\n"
         "  --at WHEN          when a spell counts for a month: any (overlaps any day of\n"
         "                     the month; default), first, last (covers its first/last\n"
         "                     day), or a day 1..31 (covers that day; 31 = the last day)\n"
         "  --values LIST      TABLE.COLUMN,...: categorical columns of the spell that\n"
         "                     counts (with several, the one that started last), written\n"
         "                     as enum columns TABLE_COLUMN; missing when not in status\n"
         "  --keep all|any     all rows (default), or only rows with a status 1\n"
         "  --persons NAME     the person table (default: persons)\n"
         "  --table NAME       the panel's name (default: panel)\n"
         "  --force            replace a table of that name\n"
         "  --threads N        2 or more: one thread compresses and writes the panel\n"
         "                     while another reads the spells and makes the rows;\n"
         "                     1: all on one thread (default: one per core)\n"
         "  --progress         show progress even when standard error is no terminal\n"
         "  -q, --quiet        no notes or warnings on stderr\n"
         "  -h, --help         this help\n"
         "\n"
         "Exit status: 0 ok, 2 bad input (the message names the table, column or row;\n"
         "the store is left as it was), 1 other failures.\n");
}

static void report(const peil_panel_options *o, const peil_panel_summary *s, const char *path) {
  char a[32], b[32], from[12], to[12];
  peil_date_format(s->from, from);
  peil_date_format(s->to, to);
  from[7] = to[7] = '\0';
  cli_note("wrote %s rows to %s:/%s (%s persons, %zu months %s .. %s%s) in %.1f s\n",
           cli_count(s->n_rows, a), path, s->table, cli_count(s->n_persons, b), s->nmonths, from,
           to, o->keep_any ? ", rows with a status 1" : "", s->seconds);
  for (size_t t = 0; t < s->ntables; t++) {
    double share = s->n_rows ? 100.0 * (double)s->ones[t] / (double)s->n_rows : 0.0;
    cli_note("  %-12s 1 in %s rows (%.1f%%)\n", o->tables[t], cli_count(s->ones[t], a), share);
  }
  for (size_t t = 0; t < s->ntables; t++)
    if (s->orphans[t])
      cli_note("warning: %s rows of table '%s' have a rin that is not in table '%s'; they are "
               "ignored\n",
               cli_count(s->orphans[t], a), o->tables[t], o->persons ? o->persons : "persons");
  if (s->n_rows == 0) cli_note("warning: the panel has no rows\n");
}

int cmd_panel(int argc, char **argv) {
  const char *cmd = "panel";
  enum { O_TABLES = 256, O_FROM, O_TO, O_AT, O_VALUES, O_KEEP, O_PERSONS, O_TABLE, O_FORCE, O_THREADS, O_PROGRESS };
  static const struct option opts[] = {
      {"tables", required_argument, 0, O_TABLES},   {"from", required_argument, 0, O_FROM},
      {"to", required_argument, 0, O_TO},           {"at", required_argument, 0, O_AT},
      {"values", required_argument, 0, O_VALUES},   {"keep", required_argument, 0, O_KEEP},
      {"persons", required_argument, 0, O_PERSONS}, {"table", required_argument, 0, O_TABLE},
      {"force", no_argument, 0, O_FORCE},           {"threads", required_argument, 0, O_THREADS},
      {"progress", no_argument, 0, O_PROGRESS},
      {"quiet", no_argument, 0, 'q'},               {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  peil_panel_options o;
  peil_panel_options_init(&o);
  char **tables = NULL, **values = NULL;
  int c, status = 0;
  optind = 1;
  while (!status && (c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
    switch (c) {
    case O_TABLES:
      cli_free_list(tables);
      if (!(tables = cli_split_list(optarg, &o.ntables))) status = cli_fail(cmd, peil_error(PEIL_ENOMEM, "out of memory"));
      break;
    case O_VALUES:
      cli_free_list(values);
      if (!(values = cli_split_list(optarg, &o.nvalues))) status = cli_fail(cmd, peil_error(PEIL_ENOMEM, "out of memory"));
      break;
    case O_FROM:
    case O_TO:
      if (peil_month_parse(optarg, c == O_FROM ? &o.from : &o.to))
        status = cli_usage(cmd, "--%s takes a month YYYY-MM (e.g. 2018-01), not '%s'",
                           c == O_FROM ? "from" : "to", optarg);
      break;
    case O_AT:
      if (peil_panel_parse_at(optarg, &o.at))
        status = cli_usage(cmd, "--at takes any, first, last or a day 1..31, not '%s'", optarg);
      break;
    case O_KEEP:
      if (strcmp(optarg, "all") && strcmp(optarg, "any"))
        status = cli_usage(cmd, "--keep takes all or any, not '%s'", optarg);
      o.keep_any = strcmp(optarg, "any") == 0;
      break;
    case O_PERSONS: o.persons = optarg; break;
    case O_TABLE: o.table = optarg; break;
    case O_FORCE: o.replace = 1; break;
    case O_THREADS: status = cli_parse_threads(cmd, optarg, &o.threads); break;
    case O_PROGRESS: cli_progress = 1; break;
    case 'q': cli_quiet = 1; break;
    case 'h': help(); cli_free_list(tables); cli_free_list(values); return 0;
    default: status = cli_usage(cmd, "unknown or incomplete option"); break;
    }
  }
  if (!status && optind != argc - 1) status = cli_usage(cmd, "expected one store");
  if (!status && !o.ntables)
    status = cli_usage(cmd, "--tables is required (the spell tables, e.g. bijstand,jobs,ww,srg)");
  if (status) {
    cli_free_list(tables);
    cli_free_list(values);
    return status;
  }
  o.tables = (const char *const *)tables;
  o.values = (const char *const *)values;
  const char *path = argv[optind];
  cli_progress_line line = {cmd, -1};
  if (cli_show_progress()) {
    o.progress = cli_progress_persons;
    o.progress_arg = &line;
  }
  /* The store must exist: panel adds to it, it does not create one. */
  int rc = access(path, F_OK) == 0 ? PEIL_OK : peil_error(PEIL_ENOTFOUND, "%s: no such file", path);
  peil_store *st = NULL;
  peil_panel_summary sum;
  if (!rc) rc = peil_store_open(path, PEIL_STORE_UPDATE, &st);
  if (!rc) rc = peil_panel_write(st, &o, &sum);
  cli_progress_done(&line);
  if (!rc) {
    rc = peil_store_commit(st);
    if (!rc) report(&o, &sum, path);
    peil_panel_summary_free(&sum);
  }
  peil_store_close(st); /* without commit: the store stays as it was */
  cli_free_list(tables);
  cli_free_list(values);
  return rc ? cli_fail(cmd, rc) : 0;
}
