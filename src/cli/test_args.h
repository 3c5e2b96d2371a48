/* The options of peil test, which are also the keys a [test NAME] section
 * of a batch spec can take (cli_args.h). */
#ifndef PEIL_CLI_TEST_ARGS_H
#define PEIL_CLI_TEST_ARGS_H

#include "cli_args.h"

typedef struct {
  peil_test_options test;
  peil_stats_data_options data;
  peil_csv_options csv;
  const char *table, *output;
  int json, summary;
  char **levels;   /* the list data.levels points into */
  double *p;       /* the list test.p points into */
} test_args;

extern const cli_arg test_arg_table[];

void test_args_init(test_args *a);
/* A cli_arg_setter: ctx is a test_args. */
int test_args_set(void *ctx, const char *key, const char *value);
/* After the last key: the keys that belong to the test (kind) and those
 * data need (from_data). PEIL_EINVAL with a message that starts with the
 * key (without dashes: the caller adds them on the command line). */
int test_args_finish(test_args *a, peil_test_kind kind, int from_data);
void test_args_free(test_args *a);

/* The test `kind` on numbers (test_numbers.c): "71/300" per group (prop,
 * binom), one table "12,5,7;3,9,11" (chisq; fisher: 2 x 2 or a,b,c,d), two
 * samples "X1,X2,..." (t, wilcox) or with summary their MEAN,SD,N. Numbers
 * that do not fit the test: PEIL_EINVAL and *usage = 1; the test's own
 * errors (a count above its total) as the stats module gives them. */
int test_numbers(peil_test_kind kind, char *const *args, size_t nargs, int summary,
                 const peil_test_options *o, peil_test_result *r, int *usage);

#endif
