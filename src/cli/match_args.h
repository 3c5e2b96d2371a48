/* The options of peil match, which are also the keys of a [match NAME]
 * section of a batch spec (cli_args.h). */
#ifndef PEIL_CLI_MATCH_ARGS_H
#define PEIL_CLI_MATCH_ARGS_H

#include "cli_args.h"

typedef struct {
  peil_match_options match;
  peil_effect_options effects;
  peil_match_load_options load;
  peil_csv_options csv;
  int json, weighting;
  const char *table, *output, *love_plot, *trajectory, *report;
  char **exact, **outcomes;   /* the lists load.exact and load.outcomes point into */
  peil_cem_cuts *cuts;        /* --cutpoints, repeatable */
  size_t ncuts;
  size_t ratio;
  int ratio_given;
} match_args;

extern const cli_arg match_arg_table[];

void match_args_init(match_args *a);
/* A cli_arg_setter: ctx is a match_args. */
int match_args_set(void *ctx, const char *key, const char *value);
/* After the last key: required keys and combinations (PEIL_EINVAL, the
 * message naming the keys without dashes). */
int match_args_finish(match_args *a);
/* Does the method need a score (fitted, or read from a column)? */
int match_args_scored(const match_args *a);
void match_args_free(match_args *a);

#endif
