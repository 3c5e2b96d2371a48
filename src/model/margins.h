/* Adjusted means per level (marginal standardisation) and average marginal
 * effects after a fit (margins.c). */
#ifndef PEIL_MODEL_MARGINS_H
#define PEIL_MODEL_MARGINS_H

#include "irls.h"

/* Fills g->margin, g->diff, g->margins_ref (o->margins) and g->ame (o->ame)
 * with delta-method SEs from V, the fit's covariance (p x p). */
int margins_compute(peil_glm *g, const peil_glm_options *o, const irls_problem *pb,
                    const irls_result *res, const double *V);

/* A result row from an estimate and its SE: statistic, two-sided p-value
 * and confidence interval from the t (t_stat, df) or normal distribution. */
void glm_fill_row(peil_glm_row *r, double est, double se, int t_stat, double df, double level);

#endif
