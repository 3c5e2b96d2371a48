/* Options that are also the keys of a batch spec: one table per command
 * names its long options, and one setter takes a key and its value. The
 * command line (getopt_long) and a `peil run` section go through the same
 * setter, so a key of a [logit NAME] section is exactly the option of
 * `peil logit`, with the same checks and messages. */
#ifndef PEIL_CLI_ARGS_H
#define PEIL_CLI_ARGS_H

#include "peil/spec.h"

typedef struct {
  const char *name;  /* the long option and the spec key */
  char short_name;   /* 0: none */
  int takes_value;   /* 0: a flag (in a spec: yes/no) */
  int in_spec;       /* 0: command line only (output, json, help, CSV input, ...) */
} cli_arg;

/* Sets `key` (one of the table's names) to `value` (NULL for a flag).
 * Returns 0, or a PEIL_E... status with the message in peil_errmsg(), which
 * describes the value without naming the key: the caller puts the key
 * before it ("--vcov" + " must be model, hc0, hc1 or hc3, not 'x'"). */
typedef int (*cli_arg_setter)(void *ctx, const char *key, const char *value);

/* Parses argv (argv[0] the command) with getopt_long over `args` (ended by
 * a NULL name), calling set for each option; "help" is not passed on but
 * returned as 1. Afterwards *first_operand is the index of the first
 * operand. Returns 0, 1 (help), or 2 after printing a usage error. */
int cli_args_parse(const char *cmd, int argc, char **argv, const cli_arg *args, cli_arg_setter set,
                   void *ctx, int *first_operand);

/* Sets the entries of spec section `section` (e.g. "logit work") through
 * the same setter. Keys listed in `own` are skipped (the caller reads them:
 * table, from, ...). Unknown keys, command-line-only keys and bad values
 * are PEIL_EINVAL naming file, line, section and key. */
int cli_args_from_spec(const peil_spec_file *f, const char *section, const cli_arg *args,
                       const char *const *own, cli_arg_setter set, void *ctx);

/* The CSV input keys every command that reads data shares (delimiter,
 * decimal, schema): 0 or PEIL_EINVAL when key is one of them, 1 when not. */
int cli_args_set_csv(peil_csv_options *csv, const char *key, const char *value);

/* A whole number in [lo, hi] into *x: 0, or PEIL_EINVAL "must be a whole
 * number from LO to HI, not 'V'" (the setters' values: --maxit, --threads). */
int cli_args_whole(const char *value, long long lo, long long hi, long long *x);

/* The arg named `name`, or NULL. */
const cli_arg *cli_args_find(const cli_arg *args, const char *name);

#endif
