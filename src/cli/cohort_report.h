/* Cohort results as text tables or JSON. */
#ifndef PEIL_CLI_COHORT_REPORT_H
#define PEIL_CLI_COHORT_REPORT_H

#include <stdio.h>

#include "peil/peil.h"

typedef struct {
  int json;
  const char *store, *spec;
} cohort_report_options;

int cohort_report_text(FILE *fp, const peil_cohort_result *const *r, size_t n,
                       const cohort_report_options *o);
int cohort_report_json(FILE *fp, const peil_cohort_result *const *r, size_t n,
                       const cohort_report_options *o);

#endif
