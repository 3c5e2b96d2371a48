/* peil/csv.h: CSV import into a store and export from it.
 *
 * Import streams the file through libcsv in chunks of whole records, parsed
 * by one or more workers, so memory grows with the number of columns (and
 * the longest record), never with the file. Without a schema, a first pass
 * infers every column's type over the whole file and a second pass converts
 * and writes it; when a schema fixes every column completely the file is
 * read once (docs/csv-import.md gives the rules). The result does not depend
 * on the number of workers.
 *
 * Every failure names the file, the line and the column (name and number),
 * and leaves no table behind: a failed import drops the partly written
 * table from the (uncommitted) writable store. The caller commits the store
 * only when the import succeeded.
 */
#ifndef PEIL_CSV_H
#define PEIL_CSV_H

#include <stdio.h>

#include "peil/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest number of distinct values a text column may have to be inferred
 * as categorical (peil stores text only as categorical). */
#define PEIL_CSV_MAX_LEVELS 1000

typedef struct {
  char delimiter;          /* ',' ';' '\t' '|' ...; 0 = detect from the header line */
  char decimal;            /* '.' or ',' (Dutch: thousands separator '.' allowed) */
  const char *na;          /* comma-separated tokens read as missing (the empty
                            * field always is); NULL = "NA,." */
  const char *schema_path; /* INI schema (docs/csv-import.md); NULL = infer all */
  int replace;             /* drop a table of the same name first */
  size_t max_levels;       /* inference: most distinct values of a categorical */
  int threads;             /* workers: 0 = one per core, 1 = no threads, N */
  const char *description; /* stored as the table's `description` attribute, or NULL */
  /* Called now and then (one call at a time, from any worker thread) with
   * the pass (1-based), the number of passes planned so far and the bytes of
   * the file read in this pass; NULL = none. */
  void (*progress)(void *arg, int pass, int passes, int64_t done, int64_t total);
  void *progress_arg;
} peil_csv_options;

#define PEIL_CSV_OPTIONS_INIT {0, '.', NULL, NULL, 0, PEIL_CSV_MAX_LEVELS, 0, NULL, NULL, NULL}

/* Sets *o to the defaults (the same as PEIL_CSV_OPTIONS_INIT). */
void peil_csv_options_init(peil_csv_options *o);

/* What an import did, column by column (free with peil_csv_report_free). */
typedef struct {
  char *name;
  peil_type type;
  size_t nlevels;    /* PEIL_ENUM */
  int64_t n_missing; /* empty fields, NA tokens (and NaN for floats) */
  int from_schema;   /* 1 if the schema fixed the type, 0 if inferred */
} peil_csv_column_report;

typedef struct {
  int64_t nrows;
  size_t ncols;
  peil_csv_column_report *cols;
  char delimiter;    /* the delimiter used (detected or given) */
  int passes;        /* 1 (schema fixed every column), 2, or 3 (a column turned
                      * text after numbers: its levels needed another pass) */
  int64_t bytes;     /* size of the file read */
} peil_csv_report;

/* Imports the CSV file at csv_path (header row of column names required) as
 * a new table of the writable store. opts NULL = defaults. report may be
 * NULL; when given it is filled on success and must be released with
 * peil_csv_report_free (it is zeroed on failure).
 * Errors: PEIL_EEXIST (table exists and !replace), PEIL_EDATA (bad CSV or
 * value), PEIL_EINVAL (bad options or schema), PEIL_ENOTFOUND (file, schema
 * column), PEIL_EIO, PEIL_EHDF5, PEIL_ENOMEM. */
int peil_csv_import(const char *csv_path, const peil_csv_options *opts, peil_store *store,
                    const char *table, peil_csv_report *report);

void peil_csv_report_free(peil_csv_report *r);

typedef struct {
  char delimiter;  /* 0 = ',' (or ';' when decimal is ',') */
  char decimal;    /* '.' or ',' */
  const char *na;  /* text written for missing values; NULL = "" (empty field) */
  int header;      /* write the header row (1) */
} peil_csv_export_options;

#define PEIL_CSV_EXPORT_OPTIONS_INIT {0, '.', NULL, 1}

void peil_csv_export_options_init(peil_csv_export_options *o);

/* Writes the named columns of a table (cols NULL or ncols 0 = all, in store
 * order) as CSV to out: categoricals as labels, dates as YYYY-MM-DD,
 * booleans as true/false, floats in the shortest form that reads back to the
 * same value (always with a decimal separator or exponent, so they re-import
 * as floats), missing values as opts->na. Fields are quoted where needed.
 * opts NULL = defaults. Re-importing the output gives the same values. */
int peil_csv_export(peil_store *store, const char *table, const char *const *cols, size_t ncols,
                    FILE *out, const peil_csv_export_options *opts);

#ifdef __cplusplus
}
#endif
#endif
