/* exp, log and log1p over arrays, vectorised by SLEEF (Debian's libsleef):
 * 1-ulp functions, four lanes at a time with AVX2 where the processor has
 * it, else SLEEF's scalar functions of the same accuracy. Each element's
 * result depends on that element alone (not on its position or on n), so
 * callers may split arrays as they like and get the same bits. */
#ifndef PEIL_MODEL_VMATH_H
#define PEIL_MODEL_VMATH_H

#include <stddef.h>

void model_vexp(const double *x, double *y, size_t n);
void model_vlog(const double *x, double *y, size_t n);
void model_vlog1p(const double *x, double *y, size_t n);

#endif
