/* peil test's output: the test as R prints it (print.htest's layout), the
 * numbers it rests on (groups or the table, with their n), the rows read;
 * or JSON with broom's names (tidy row) and the same details. */
#ifndef PEIL_CLI_TEST_REPORT_H
#define PEIL_CLI_TEST_REPORT_H

#include <stdio.h>

#include "peil/peil.h"

typedef struct {
  const char *kind;          /* prop, binom, chisq, fisher, t, wilcox */
  const char *data;          /* the file, or NULL for numbers on the command line */
  const char *table;         /* the store's table, NULL for a CSV file */
  const char *const *args;   /* the numbers as given on the command line */
  size_t nargs;
  int summary;               /* t from summaries */
  const peil_stats_data_options *dopt;
  const peil_test_options *topt;
  const peil_stats_data *d;  /* what was read from DATA, or NULL */
  const peil_test_result *r;
} test_report;

int test_report_text(FILE *fp, const test_report *t);
int test_report_json(FILE *fp, const test_report *t);
/* R's warnings as notes on standard error (the text report lists them too). */
void test_report_warnings(const test_report *t);

#endif
