/* peil match's output: the report (text for people, JSON for programs),
 * the matched sample as a store, and the plots. The report computes what it
 * shows from the matching: balance, effects on the matched sample and on
 * all units before matching (the naive and regression-adjusted
 * differences, so that a reader sees what matching changed), the outcome
 * trajectory and, when asked, IPW and AIPW. */
#ifndef PEIL_CLI_MATCH_REPORT_H
#define PEIL_CLI_MATCH_REPORT_H

#include <stdio.h>

#include "peil/peil.h"

typedef struct {
  /* inputs */
  const char *command, *data, *table;
  const peil_match_load_options *load;
  const peil_match_options *options;
  const peil_effect_options *effect_options;
  const peil_match_data *d;
  const peil_match_result *r;
  const peil_glm *fit;       /* the score model, NULL without */
  const double *ps;          /* the score on the probability scale (weighting), or NULL */
  int json, weighting;
  /* computed by match_report_compute */
  peil_match_balance *balance;
  peil_match_effects *effects;   /* on the matched sample */
  peil_match_effects *before;    /* on all units, weight 1: naive and adjusted */
  peil_match_effects *weighted;  /* IPW, AIPW */
  peil_trajectory_point *traj;
  size_t ntraj;
} match_report;

int match_report_compute(match_report *m);
int match_report_text(FILE *fp, const match_report *m);
int match_report_json(FILE *fp, const match_report *m);
/* The library's warnings as notes on standard error. */
void match_report_warnings(const match_report *m);
/* The matched sample as a new store at path (atomic): table 'matched' (one
 * row per unit) and, for pair matching, 'pairs'. */
int match_write_sample(const char *path, const match_report *m);
/* The Love plot (trajectory 0) or the trajectory plot (1) at path. */
int match_write_svg(const char *path, const match_report *m, int trajectory);
void match_report_free(match_report *m);
/* "diff_means", "lm_adjusted", ...; "cluster (CR1)", "HC3", ...: as the
 * report names estimators and standard errors. */
const char *match_report_estimator_name(peil_effect_estimator e);
const char *match_report_se_name(peil_se_kind k);

#endif
