/* Roots of a continuous function on a bracketing interval.
 *
 * stats_uniroot reproduces R's uniroot(f, c(lo, hi)) with its defaults:
 * tol = DBL_EPSILON^0.25 (1.2e-4) and at most 1000 iterations. R finds the
 * root by Brent's method (R. P. Brent, Algorithms for Minimization without
 * Derivatives, 1973, ch. 4: "zeroin"), in the C formulation that keeps the
 * previous step and moves at least tol/2 + 2 eps |b| per step. The
 * tolerance shapes the steps themselves, not only the stopping rule, so
 * the answer depends on it: R's fisher.test odds ratios and intervals are
 * only as close as 1.2e-4 to the exact roots (0.6% relative measured on
 * random tables). To give R's numbers, this is that algorithm, written
 * from Brent's description; GSL's Brent solver takes other steps and stops
 * elsewhere within the tolerance.
 *
 * stats_root_precise is the exact root, for those who want the conditional
 * MLE itself: GSL's Brent solver until the bracket is 1e-13 relative. */
#include <float.h>
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "stats_internal.h"

int stats_uniroot(stats_fn f, void *ctx, double lo, double hi, double *root) {
  const double tol = pow(DBL_EPSILON, 0.25);
  double a = lo, b = hi, fa = f(a, ctx), fb = f(b, ctx);
  if (isnan(fa) || isnan(fb)) return peil_error(PEIL_ENUMERIC, "root finding: the function is NaN at an end");
  if (fa * fb > 0)
    return peil_error(PEIL_ENUMERIC, "root finding: no sign change on [%g, %g]", lo, hi);
  if (fa == 0) return *root = a, PEIL_OK;
  if (fb == 0) return *root = b, PEIL_OK;
  /* b is the best approximation, c the point that keeps the root between
   * b and c, a the previous b. */
  double c = a, fc = fa;
  for (int it = 0; it <= 1000; it++) {
    double prev_step = b - a;
    if (fabs(fc) < fabs(fb)) {
      a = b, b = c, c = a;
      fa = fb, fb = fc, fc = fa;
    }
    double tol_act = 2 * DBL_EPSILON * fabs(b) + tol / 2;
    double step = (c - b) / 2; /* bisection */
    if (fabs(step) <= tol_act || fb == 0) return *root = b, PEIL_OK;
    /* Interpolate when the previous step was large enough and went the
     * right way: linearly through two points, inverse quadratically
     * through three. */
    if (fabs(prev_step) >= tol_act && fabs(fa) > fabs(fb)) {
      double p, q, cb = c - b;
      if (a == c) {
        double t1 = fb / fa;
        p = cb * t1;
        q = 1 - t1;
      } else {
        double qq = fa / fc, t1 = fb / fc, t2 = fb / fa;
        p = t2 * (cb * qq * (qq - t1) - (b - a) * (t1 - 1));
        q = (qq - 1) * (t1 - 1) * (t2 - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      /* Take it when it lands well inside [b, c] and is smaller than half
       * the step before last; else bisect. */
      if (p < 0.75 * cb * q - fabs(tol_act * q) / 2 && p < fabs(prev_step * q / 2)) step = p / q;
    }
    if (fabs(step) < tol_act) step = step > 0 ? tol_act : -tol_act;
    a = b, fa = fb;
    b += step;
    fb = f(b, ctx);
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) c = a, fc = fa;
  }
  return peil_error(PEIL_ENUMERIC, "root finding did not converge in 1000 iterations");
}

typedef struct {
  stats_fn f;
  void *ctx;
} gsl_ctx;

static double gsl_call(double t, void *p) {
  gsl_ctx *g = p;
  return g->f(t, g->ctx);
}

int stats_root_precise(stats_fn f, void *ctx, double lo, double hi, double *root) {
  double flo = f(lo, ctx), fhi = f(hi, ctx);
  if (flo == 0) return *root = lo, PEIL_OK;
  if (fhi == 0) return *root = hi, PEIL_OK;
  if (flo * fhi > 0) return peil_error(PEIL_ENUMERIC, "root finding: no sign change on [%g, %g]", lo, hi);
  gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  if (!s) return peil_error(PEIL_ENOMEM, "out of memory");
  gsl_ctx g = {f, ctx};
  gsl_function fn = {gsl_call, &g};
  /* The ends straddle the root and the callers' functions are finite, so
   * GSL's error handler (abort) is never reached. */
  int status = gsl_root_fsolver_set(s, &fn, lo, hi), it = 0;
  while (status == GSL_SUCCESS && it++ < 1000) {
    status = gsl_root_fsolver_iterate(s);
    if (status) break;
    status = gsl_root_test_interval(gsl_root_fsolver_x_lower(s), gsl_root_fsolver_x_upper(s), 0, 1e-13);
    if (status == GSL_SUCCESS) break;
    if (status == GSL_CONTINUE) status = GSL_SUCCESS;
  }
  *root = gsl_root_fsolver_root(s);
  gsl_root_fsolver_free(s);
  if (status != GSL_SUCCESS || it > 1000)
    return peil_error(PEIL_ENUMERIC, "root finding failed: %s", gsl_strerror(status));
  return PEIL_OK;
}
