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

/* Parts shared by the report's files. */
#include <jansson.h>
/* The keys that place a row of a table: subset, date, group, stratum, level. */
json_t *cohort_report_cell_keys(const peil_cohort_result *r, size_t subset, int32_t date,
                                size_t group, size_t stratum, size_t level);
/* The pooled population entry of a cell, or NULL (a level that is not shown). */
const peil_cohort_pop *cohort_report_find_pop(const peil_cohort_result *r, size_t su, size_t g,
                                              size_t st, size_t lv);
/* Does any group have the stratum level (pooled)? Its heading ("all",
 * "duration < 1 year"). */
int cohort_report_level_shown(const peil_cohort_result *r, size_t su, size_t st, size_t lv);
void cohort_report_level_heading(FILE *fp, const peil_cohort_result *r, size_t st, size_t lv);
/* A share in % (binary) or a mean, NA for NaN, right-aligned in width. */
void cohort_report_value(FILE *fp, double v, int binary, int width);
/* Transitions and co-occurrences (cohort_report_matrix.c). */
void cohort_report_transitions_text(FILE *fp, const peil_cohort_result *r, size_t su);
void cohort_report_cooccur_text(FILE *fp, const peil_cohort_result *r, size_t su);
void cohort_report_matrix_json(json_t *c, const peil_cohort_result *r);

#endif
