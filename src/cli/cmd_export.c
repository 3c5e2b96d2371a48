/* peil export: a table of a store as CSV, to standard output or atomically
 * to -o FILE. Re-importing the output gives the same values. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(void) {
  printf("Usage: peil export STORE.h5 [--table T] [-o OUT.csv] [options]\n"
         "\n"
         "Write a table as CSV: categorical columns as labels, dates as YYYY-MM-DD,\n"
         "booleans as true/false, floats in the shortest form that reads back exactly,\n"
         "missing values as empty fields. `peil import` reads the output back to the\n"
         "same values.\n"
         "\n"
         "  -t, --table T        the table (default: the store's only table)\n"
         "  -o, --output F       write to F instead of standard output\n"
         "  -c, --columns LIST   only these columns, in this order (a,b,c)\n"
         "  -d, --delimiter C    , ; tab or | (default ',', or ';' with --decimal ',')\n"
         "      --decimal C      decimal separator: . (default) or ,\n"
         "      --na TEXT        text for missing values (default: empty field)\n"
         "      --no-header      leave out the header row\n"
         "  -q, --quiet          no notes on standard error\n"
         "  -h, --help           this help\n");
}

int cmd_export(int argc, char **argv) {
  enum { O_DECIMAL = 256, O_NA, O_NOHEADER };
  static const struct option opts[] = {{"table", required_argument, 0, 't'},
                                       {"output", required_argument, 0, 'o'},
                                       {"columns", required_argument, 0, 'c'},
                                       {"delimiter", required_argument, 0, 'd'},
                                       {"decimal", required_argument, 0, O_DECIMAL},
                                       {"na", required_argument, 0, O_NA},
                                       {"no-header", no_argument, 0, O_NOHEADER},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  peil_csv_export_options o;
  peil_csv_export_options_init(&o);
  const char *table = NULL, *outpath = NULL, *columns = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "t:o:c:d:qh", opts, NULL)) != -1) {
    switch (c) {
    case 't': table = optarg; break;
    case 'o': outpath = optarg; break;
    case 'c': columns = optarg; break;
    case 'd':
      if (cli_parse_delimiter("export", optarg, &o.delimiter)) return 2;
      break;
    case O_DECIMAL:
      if (cli_parse_decimal("export", optarg, &o.decimal)) return 2;
      break;
    case O_NA: o.na = optarg; break;
    case O_NOHEADER: o.header = 0; break;
    case 'q': cli_quiet = 1; break;
    case 'h': help(); return 0;
    default: return cli_usage("export", "unknown or incomplete option");
    }
  }
  if (optind != argc - 1) return cli_usage("export", "expected one store file");
  if (o.delimiter && o.delimiter == o.decimal)
    return cli_usage("export", "the delimiter and the decimal separator are both '%c'", o.decimal);
  const char *path = argv[optind];

  char **cols = NULL;
  size_t ncols = 0;
  if (columns) {
    cols = cli_split_list(columns, &ncols);
    if (!cols) return cli_fail("export", peil_error(PEIL_ENOMEM, "out of memory"));
    if (ncols == 0) {
      cli_free_list(cols);
      return cli_usage("export", "--columns names no column");
    }
  }
  peil_store *st = NULL;
  char **tables = NULL;
  size_t ntables = 0;
  int rc = peil_store_open(path, PEIL_STORE_READ, &st);
  if (!rc && !table) {
    rc = peil_store_list_tables(st, &tables, &ntables);
    if (!rc && ntables == 1) table = tables[0];
    else if (!rc)
      rc = peil_error(PEIL_EINVAL, "%s has %zu tables: name one with --table", path, ntables);
  }
  if (!rc && !peil_store_has_table(st, table))
    rc = peil_error(PEIL_ENOTFOUND, "%s: no table '%s'", path, table);
  cli_output out = {0};
  if (!rc) rc = cli_output_open(&out, outpath);
  if (!rc) {
    rc = peil_csv_export(st, table, (const char *const *)cols, ncols, out.fp, &o);
    int crc = cli_output_close(&out, rc == 0);
    if (!rc) rc = crc;
  }
  peil_strings_free(tables, ntables);
  cli_free_list(cols);
  peil_store_close(st);
  return rc ? cli_fail("export", rc) : 0;
}
