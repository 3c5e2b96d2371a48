/* peil import: a CSV file as a table of a store. The store is opened for
 * update (a copy beside it), the table written, and the copy renamed over
 * the store only when everything succeeded. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(void) {
  printf("Usage: peil import FILE.csv -o STORE.h5 [--table NAME] [options]\n"
         "\n"
         "Import a CSV file (header row with the column names, UTF-8) as a table of a\n"
         "store. The store is created if absent; its other tables are kept. Without a\n"
         "schema every column's type is inferred over the whole file: bool, int8..int64,\n"
         "float64, date (YYYY-MM-DD or DD-MM-YYYY) or categorical (docs/csv-import.md).\n"
         "\n"
         "  -o, --output STORE      the store to write (required)\n"
         "  -t, --table NAME        table name (default: the file's name without extension)\n"
         "  -s, --schema FILE       column types from an INI schema\n"
         "  -d, --delimiter C       , ; tab or | (default: detected from the header row)\n"
         "      --decimal C         decimal separator: . (default) or , (then '.' may\n"
         "                          group thousands: 1.234,5)\n"
         "      --na LIST           comma-separated values read as missing (default NA,.);\n"
         "                          empty fields are always missing\n"
         "      --max-levels N      most distinct values of an inferred categorical (%d)\n"
         "      --replace           replace a table of the same name\n"
         "      --description TEXT  stored with the table\n"
         "      --threads N         workers that parse and convert chunks of the file\n"
         "                          (default: one per core; 1: no threads)\n"
         "      --progress          show progress even when standard error is no terminal\n"
         "  -q, --quiet             no notes on standard error\n"
         "  -h, --help              this help\n"
         "\n"
         "Exit status: 0 ok, 2 bad input (the message names file, line and column;\n"
         "nothing is written), 1 other failures.\n",
         PEIL_CSV_MAX_LEVELS);
}

/* 1234567 -> "1,234,567" for notes. */
static const char *thousands(long long v, char *buf, size_t size) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%lld", v < 0 ? -v : v);
  size_t k = 0;
  if (v < 0 && k + 1 < size) buf[k++] = '-';
  for (int i = 0; i < n && k + 2 < size; i++) {
    if (i && (n - i) % 3 == 0) buf[k++] = ',';
    buf[k++] = tmp[i];
  }
  buf[k] = '\0';
  return buf;
}

/* The default table name: the file's base name without its extension. */
static char *default_table(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  char *t = strdup(base);
  if (!t) return NULL;
  char *dot = strrchr(t, '.');
  if (dot && dot != t) *dot = '\0';
  return t;
}

/* "pass 1 of 2: 45%" on one line of standard error, rewritten in place. */
static void show_progress(void *arg, int pass, int passes, int64_t done, int64_t total) {
  int *last = arg;
  int pct = total > 0 ? (int)(100 * done / total) : 100;
  if (pct == *last) return;
  *last = pct;
  fprintf(stderr, "\rpeil import: pass %d of %d: %3d%%", pass, passes, pct);
  fflush(stderr);
}

static void print_report(const peil_csv_report *r, const char *store, const char *table) {
  char a[32];
  cli_note("imported %s row%s, %zu column%s into %s:/%s", thousands(r->nrows, a, sizeof a),
           r->nrows == 1 ? "" : "s", r->ncols, r->ncols == 1 ? "" : "s", store, table);
  int any = 0;
  for (size_t j = 0; j < r->ncols; j++) {
    if (!r->cols[j].n_missing) continue;
    cli_note("%s%s%s in '%s'", any ? ", " : " (", thousands(r->cols[j].n_missing, a, sizeof a),
             any ? "" : r->cols[j].n_missing == 1 ? " missing value" : " missing values",
             r->cols[j].name);
    any = 1;
  }
  cli_note("%s\n", any ? ")" : " (no missing values)");
  cli_note("  columns:");
  for (size_t j = 0; j < r->ncols; j++) {
    const peil_csv_column_report *c = &r->cols[j];
    if (c->type == PEIL_ENUM)
      cli_note("%s %s enum(%zu)", j ? "," : "", c->name, c->nlevels);
    else
      cli_note("%s %s %s", j ? "," : "", c->name, peil_type_name(c->type));
  }
  cli_note("\n");
}

int cmd_import(int argc, char **argv) {
  enum { O_DECIMAL = 256, O_NA, O_MAXLEV, O_REPLACE, O_DESC, O_THREADS, O_PROGRESS };
  static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                       {"table", required_argument, 0, 't'},
                                       {"schema", required_argument, 0, 's'},
                                       {"delimiter", required_argument, 0, 'd'},
                                       {"decimal", required_argument, 0, O_DECIMAL},
                                       {"na", required_argument, 0, O_NA},
                                       {"max-levels", required_argument, 0, O_MAXLEV},
                                       {"replace", no_argument, 0, O_REPLACE},
                                       {"description", required_argument, 0, O_DESC},
                                       {"threads", required_argument, 0, O_THREADS},
                                       {"progress", no_argument, 0, O_PROGRESS},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  peil_csv_options o;
  peil_csv_options_init(&o);
  const char *store_path = NULL, *table = NULL;
  long long v;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:t:s:d:qh", opts, NULL)) != -1) {
    switch (c) {
    case 'o': store_path = optarg; break;
    case 't': table = optarg; break;
    case 's': o.schema_path = optarg; break;
    case 'd':
      if (cli_parse_delimiter("import", optarg, &o.delimiter)) return 2;
      break;
    case O_DECIMAL:
      if (cli_parse_decimal("import", optarg, &o.decimal)) return 2;
      break;
    case O_NA: o.na = optarg; break;
    case O_MAXLEV:
      if (cli_parse_long(optarg, &v) || v < 1 || v > 32767)
        return cli_usage("import", "--max-levels takes a number from 1 to 32767, not '%s'", optarg);
      o.max_levels = (size_t)v;
      break;
    case O_REPLACE: o.replace = 1; break;
    case O_DESC: o.description = optarg; break;
    case O_THREADS:
      if (cli_parse_long(optarg, &v) || v < 1)
        return cli_usage("import", "--threads takes a positive number, not '%s'", optarg);
      o.threads = v > 64 ? 64 : (int)v;
      break;
    case O_PROGRESS: cli_progress = 1; break;
    case 'q': cli_quiet = 1; break;
    case 'h': help(); return 0;
    default: return cli_usage("import", "unknown or incomplete option");
    }
  }
  if (optind != argc - 1) return cli_usage("import", "expected one CSV file");
  if (!store_path) return cli_usage("import", "no store given (-o STORE.h5)");
  if (o.delimiter && o.delimiter == o.decimal)
    return cli_usage("import", "the delimiter and the decimal separator are both '%c'", o.decimal);
  const char *csv = argv[optind];
  char *deflt = NULL;
  if (!table) {
    if (!(deflt = default_table(csv))) return cli_fail("import", PEIL_ENOMEM);
    table = deflt;
  }

  int last_pct = -1;
  int progress = cli_show_progress();
  if (progress) {
    o.progress = show_progress;
    o.progress_arg = &last_pct;
  }
  peil_store *st = NULL;
  peil_csv_report rep;
  int rc = peil_store_open(store_path, PEIL_STORE_UPDATE, &st);
  if (!rc) rc = peil_csv_import(csv, &o, st, table, &rep);
  if (progress && last_pct >= 0) fprintf(stderr, "\r\033[K"); /* clear the progress line */
  if (!rc) rc = peil_store_commit(st);
  if (!rc) {
    print_report(&rep, store_path, table);
    peil_csv_report_free(&rep);
  }
  peil_store_close(st); /* without commit: the store stays as it was */
  if (rc) rc = cli_fail("import", rc);
  free(deflt);
  return rc;
}
