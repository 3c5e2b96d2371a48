/* IRLS for GLMs over the frame's row blocks (R's glm.fit, step for step). */
#ifndef PEIL_MODEL_IRLS_H
#define PEIL_MODEL_IRLS_H

#include "model_internal.h"
#include "wls.h"

typedef struct {
  const model_frame *fr;
  const design *d;
  const peil_family *fam;
  int threads;
  int maxit;
  double epsilon;
  double alias_tol;
  int force_qr;        /* solve every step by QR */
  int constant_weights;/* Gaussian with identity link: W does not depend on beta */
  const double *start; /* starting coefficients (glm's start =), NULL: the family's mustart */
  ws_pool *pool;       /* workspaces kept across passes, or NULL */
} irls_problem;

typedef struct {
  wls_fit fit;         /* coefficients (0 where aliased), aliasing, and
                        * (X'WX)^-1 with the weights at those coefficients */
  int iter;            /* iterations until R's convergence test held */
  int refined;         /* steps taken after it, towards the optimum */
  int converged, boundary, used_qr;
  double dev, last_change;
} irls_result;

int irls_fit(const irls_problem *pb, irls_result *res);
void irls_result_free(irls_result *res);

/* eta of a block whose X is in ws->X: X beta + offset, or (beta NULL) the
 * link of the family's starting values. */
void irls_block_eta(const irls_problem *pb, const block_ws *ws, int64_t start, size_t n,
                    const double *beta, double *eta);

#endif
