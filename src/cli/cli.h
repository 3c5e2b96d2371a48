/* Shared by the subcommands: the command table and small helpers for
 * options, errors and output. Each cmd_<name>.c parses its options, calls
 * the library and writes; nothing else. */
#ifndef PEIL_CLI_H
#define PEIL_CLI_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "peil/peil.h"

typedef struct {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv); /* argv[0] is the command's name */
} cli_command;

int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_logit(int argc, char **argv);
int cmd_probit(int argc, char **argv);
int cmd_ols(int argc, char **argv);
int cmd_glm(int argc, char **argv);
int cmd_cohort(int argc, char **argv);
int cmd_panel(int argc, char **argv);
int cmd_split(int argc, char **argv);
int cmd_match(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* Global switches (set by main from --quiet / --progress, and each command
 * accepts them too). */
extern int cli_quiet;
extern int cli_progress;

/* "peil CMD: message" + a pointer to --help on stderr; returns 2. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "peil CMD: error: <peil_errmsg()>" on stderr; returns the exit code. */
int cli_fail(const char *cmd, int status);
/* A note on stderr unless --quiet. */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress lines only when stderr is a terminal (or --progress), never with --quiet. */
int cli_show_progress(void);
/* The progress of a pass over the persons (peil panel, peil split): a line
 * "peil CMD: NN% of the persons" rewritten in place when the percentage
 * changes; cli_progress_done clears it. */
typedef struct {
  const char *cmd;
  int last; /* the percentage shown, -1 before the first */
} cli_progress_line;
void cli_progress_persons(void *arg, int64_t done, int64_t total); /* arg: a cli_progress_line */
void cli_progress_done(const cli_progress_line *p);

/* Results go to stdout, or atomically to -o FILE. */
typedef struct {
  FILE *fp;
  peil_atomic_file *atomic; /* NULL for stdout */
} cli_output;
int cli_output_open(cli_output *o, const char *path);
/* commit != 0: move into place (or flush stdout); 0: discard. */
int cli_output_close(cli_output *o, int commit);

/* 1234567 -> "1,234,567" in buf (at least 32 bytes); returns buf. */
const char *cli_count(int64_t v, char *buf);

/* --threads N: 1 to 1024 into *threads; 0, or the usage error's exit code. */
int cli_parse_threads(const char *cmd, const char *arg, int *threads);

/* Parses a whole decimal number into *v; 0 or -1 (bad). */
int cli_parse_long(const char *s, long long *v);
/* A CSV delimiter or decimal separator: one character, or tab, comma,
 * semicolon, pipe by name. 0 or -1 (bad). */
int cli_parse_csv_char(const char *s, char *c);
/* --delimiter and --decimal of the commands that read or write CSV: 0, or
 * the usage error's exit code. */
int cli_parse_delimiter(const char *cmd, const char *arg, char *c);
int cli_parse_decimal(const char *cmd, const char *arg, char *c);
/* A JSON number, or null for NaN and infinities (JSON has neither). */
json_t *cli_json_real(double v);
/* An array of the strings v[0..n) (warnings, labels). */
json_t *cli_json_strings(char *const *v, size_t n);
/* Writes doc (indented, doubles to 17 digits) and a newline to fp and
 * releases it; PEIL_EIO when writing fails. */
int cli_json_write(FILE *fp, json_t *doc);
/* Splits "a,b,c" into a NULL-terminated malloc'ed vector (free with cli_free_list). */
char **cli_split_list(const char *s, size_t *n);
void cli_free_list(char **v);

/* The data of a command that takes a store or a CSV file: a store's table
 * (--table T, or its only table), or the CSV file imported into a
 * temporary store that is discarded on close (and on a signal). */
typedef struct {
  peil_store *store;
  char *table;
  int temporary; /* a CSV imported into a store that is never committed */
} cli_data;
int cli_data_open(const char *path, const char *table, const peil_csv_options *csv, cli_data *in);
void cli_data_close(cli_data *in);

#endif
