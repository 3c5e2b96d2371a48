/* Writing a fitted GLM: a table for people, JSON (broom's names) for
 * programs. */
#ifndef PEIL_CLI_GLM_REPORT_H
#define PEIL_CLI_GLM_REPORT_H

#include <stdio.h>

#include "peil/peil.h"

typedef struct {
  const char *command;  /* logit, probit, ols, glm */
  const char *data;     /* the input file */
  const char *table;    /* the store's table, NULL for a CSV file */
  int json;
  int exponentiate;     /* exp() of estimates and intervals (broom's convention) */
  double conf_level, epsilon;
} glm_report_options;

int glm_report_text(FILE *fp, const peil_glm *g, const glm_report_options *o);
int glm_report_json(FILE *fp, const peil_glm *g, const glm_report_options *o);

#endif
