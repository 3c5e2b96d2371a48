/* peil info: describe a store (tables, columns, types, missing values,
 * ranges, enum levels with counts, attributes). */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(void) {
  printf("Usage: peil info STORE.h5 [--table T] [--json] [-o FILE]\n"
         "\n"
         "Describe a store: its attributes, and per table the row count and for\n"
         "every column its type, missing values, range (numbers and dates) or\n"
         "levels with counts (categorical columns).\n"
         "\n"
         "  -t, --table T   only this table\n"
         "      --json      machine-readable output\n"
         "  -o, --output F  write to F instead of standard output\n"
         "  -q, --quiet     no notes on standard error\n"
         "  -h, --help      this help\n");
}

/* A value of a column as text: dates as ISO dates, integers without decimals. */
static void format_value(peil_type t, double v, char *buf, size_t n) {
  if (isnan(v)) snprintf(buf, n, "-");
  else if (t == PEIL_DATE) peil_date_format((int32_t)v, buf);
  else if (t == PEIL_FLOAT32 || t == PEIL_FLOAT64) snprintf(buf, n, "%.6g", v);
  else snprintf(buf, n, "%.0f", v);
}

static json_t *attrs_json(peil_attr *a, size_t n) {
  json_t *o = json_object();
  for (size_t i = 0; i < n; i++) json_object_set_new(o, a[i].key, json_string(a[i].value ? a[i].value : ""));
  return o;
}

static json_t *number_or_null(double v) { return isnan(v) ? json_null() : json_real(v); }

static json_t *column_json(const peil_column_info *c, const peil_column_summary *s) {
  json_t *o = json_object();
  json_object_set_new(o, "name", json_string(c->name));
  json_object_set_new(o, "type", json_string(peil_type_name(c->type)));
  json_object_set_new(o, "n_missing", json_integer(s->n_missing));
  if (c->type == PEIL_ENUM) {
    json_t *lv = json_array();
    for (size_t k = 0; k < c->nlevels; k++) {
      json_t *l = json_object();
      json_object_set_new(l, "label", json_string(c->levels[k]));
      json_object_set_new(l, "count", json_integer(s->level_counts[k]));
      json_array_append_new(lv, l);
    }
    json_object_set_new(o, "levels", lv);
  } else if (c->type == PEIL_DATE) {
    char a[16], b[16];
    format_value(c->type, s->min, a, sizeof a);
    format_value(c->type, s->max, b, sizeof b);
    json_object_set_new(o, "min", isnan(s->min) ? json_null() : json_string(a));
    json_object_set_new(o, "max", isnan(s->max) ? json_null() : json_string(b));
  } else {
    json_object_set_new(o, "min", number_or_null(s->min));
    json_object_set_new(o, "max", number_or_null(s->max));
    json_object_set_new(o, "mean", number_or_null(s->mean));
  }
  return o;
}

static void print_attrs(FILE *fp, const char *indent, peil_attr *a, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const char *v = a[i].value ? a[i].value : "";
    /* Long attributes (provenance, parameters) are shown on their own lines. */
    if (strchr(v, '\n')) {
      fprintf(fp, "%s%s:\n", indent, a[i].key);
      for (const char *p = v; *p;) {
        const char *e = strchr(p, '\n');
        int len = e ? (int)(e - p) : (int)strlen(p);
        fprintf(fp, "%s  %.*s\n", indent, len, p);
        p = e ? e + 1 : p + len;
      }
    } else {
      fprintf(fp, "%s%-18s %s\n", indent, a[i].key, v);
    }
  }
}

static void print_table(FILE *fp, const peil_table_info *t, const peil_column_summary *s,
                        peil_attr *a, size_t na) {
  fprintf(fp, "\ntable %s: %lld rows, %zu columns\n", t->name, (long long)t->nrows, t->ncols);
  print_attrs(fp, "  ", a, na);
  fprintf(fp, "  %-22s %-8s %10s  %s\n", "column", "type", "missing", "range / levels (count)");
  for (size_t j = 0; j < t->ncols; j++) {
    const peil_column_info *c = &t->cols[j];
    char type[24];
    if (c->type == PEIL_ENUM) snprintf(type, sizeof type, "enum(%zu)", c->nlevels);
    else snprintf(type, sizeof type, "%s", peil_type_name(c->type));
    fprintf(fp, "  %-22s %-8s %10lld  ", c->name, type, (long long)s[j].n_missing);
    if (c->type == PEIL_ENUM) {
      for (size_t k = 0; k < c->nlevels; k++)
        fprintf(fp, "%s%s (%lld)", k ? ", " : "", c->levels[k], (long long)s[j].level_counts[k]);
    } else if (s[j].n_valid > 0) {
      char lo[32], hi[32];
      format_value(c->type, s[j].min, lo, sizeof lo);
      format_value(c->type, s[j].max, hi, sizeof hi);
      fprintf(fp, "%s .. %s", lo, hi);
      if (c->type != PEIL_DATE) fprintf(fp, "  (mean %.6g)", s[j].mean);
    } else {
      fprintf(fp, "(no values)");
    }
    fputc('\n', fp);
  }
}

int cmd_info(int argc, char **argv) {
  static const struct option opts[] = {{"table", required_argument, 0, 't'},
                                       {"json", no_argument, 0, 'j'},
                                       {"output", required_argument, 0, 'o'},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *table = NULL, *outpath = NULL;
  int json = 0, c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "t:o:qh", opts, NULL)) != -1) {
    switch (c) {
    case 't': table = optarg; break;
    case 'j': json = 1; break;
    case 'o': outpath = optarg; break;
    case 'q': cli_quiet = 1; break;
    case 'h': help(); return 0;
    default: return cli_usage("info", "unknown or incomplete option");
    }
  }
  if (optind != argc - 1) return cli_usage("info", "expected one store file");
  const char *path = argv[optind];

  peil_store *st = NULL;
  char **tables = NULL;
  size_t ntables = 0;
  int rc = peil_store_open(path, PEIL_STORE_READ, &st);
  if (!rc && table) {
    if (!peil_store_has_table(st, table))
      rc = peil_error(PEIL_ENOTFOUND, "%s: no table '%s'", path, table);
    else {
      tables = calloc(2, sizeof *tables);
      tables[0] = strdup(table);
      ntables = 1;
    }
  } else if (!rc) {
    rc = peil_store_list_tables(st, &tables, &ntables);
  }
  cli_output out = {0};
  if (!rc) rc = cli_output_open(&out, outpath);
  if (rc) {
    peil_strings_free(tables, ntables);
    peil_store_close(st);
    return cli_fail("info", rc);
  }

  peil_attr *ra = NULL;
  size_t nra = 0;
  json_t *doc = NULL, *jtables = NULL;
  rc = peil_store_list_attrs(st, NULL, &ra, &nra);
  if (!rc && json) {
    doc = json_object();
    json_object_set_new(doc, "peil_version", json_string(peil_version()));
    json_object_set_new(doc, "command", json_string("info"));
    json_t *in = json_object();
    json_object_set_new(in, "store", json_string(path));
    json_object_set_new(doc, "inputs", in);
    json_object_set_new(doc, "attributes", attrs_json(ra, nra));
    jtables = json_array();
    json_object_set_new(doc, "tables", jtables);
  } else if (!rc) {
    fprintf(out.fp, "store %s: %zu tables\n", path, ntables);
    print_attrs(out.fp, "  ", ra, nra);
  }
  peil_attrs_free(ra, nra);

  for (size_t i = 0; !rc && i < ntables; i++) {
    peil_table_info *ti = NULL;
    peil_column_summary *sums = NULL;
    peil_attr *ta = NULL;
    size_t nta = 0;
    rc = peil_table_summarise(st, tables[i], &ti, &sums);
    if (!rc) rc = peil_store_list_attrs(st, tables[i], &ta, &nta);
    if (!rc && json) {
      json_t *jt = json_object();
      json_object_set_new(jt, "name", json_string(ti->name));
      json_object_set_new(jt, "nrows", json_integer(ti->nrows));
      json_object_set_new(jt, "attributes", attrs_json(ta, nta));
      json_t *jc = json_array();
      for (size_t j = 0; j < ti->ncols; j++) json_array_append_new(jc, column_json(&ti->cols[j], &sums[j]));
      json_object_set_new(jt, "columns", jc);
      json_array_append_new(jtables, jt);
    } else if (!rc) {
      print_table(out.fp, ti, sums, ta, nta);
    }
    peil_attrs_free(ta, nta);
    if (ti) peil_column_summaries_free(sums, ti->ncols);
    peil_table_info_free(ti);
  }
  if (!rc && json && json_dumpf(doc, out.fp, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0)
    rc = peil_error(PEIL_EIO, "cannot write JSON");
  if (!rc && json) fputc('\n', out.fp);
  json_decref(doc);
  peil_strings_free(tables, ntables);
  peil_store_close(st);
  int crc = cli_output_close(&out, rc == 0);
  if (!rc) rc = crc;
  return rc ? cli_fail("info", rc) : 0;
}
