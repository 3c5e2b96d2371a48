/* Detecting separation after a binomial or Poisson fit (separation.c). */
#ifndef PEIL_MODEL_SEPARATION_H
#define PEIL_MODEL_SEPARATION_H

#include "irls.h"

/* Worth probing: fitted values near 0 or 1 (n_extreme rows), or no
 * convergence. */
int separation_suspected(const irls_problem *pb, const irls_result *res, int64_t n_extreme);

/* Continues IRLS a few steps from the estimates and flags the coefficients
 * that keep growing (diverging[j] = 1). detail describes the data behind
 * the first flagged level ("every one of the 57 rows with g = "D" has y =
 * 1"), or is empty. */
int separation_probe(const irls_problem *pb, const irls_result *res, int *diverging,
                     size_t *ndiverging, char *detail, size_t detail_len);

#endif
