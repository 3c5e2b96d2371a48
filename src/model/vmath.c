/* exp, log and log1p over arrays by SLEEF (vmath.h). */
#include <string.h>

#include "vmath.h"

#if defined(__x86_64__) && defined(__GNUC__)
/* The AVX2 kernels are compiled for AVX2 and FMA here only, and called
 * only when the processor has both. */
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include <immintrin.h>
#include <sleef.h>
#define VMATH_AVX2 1

#define AVX2_KERNEL(name, fn)                                                   \
  static void name(const double *x, double *y, size_t n) {                      \
    size_t i = 0;                                                               \
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, fn(_mm256_loadu_pd(x + i))); \
    if (i < n) { /* the tail through a full vector: the same function */        \
      double in[4] = {1, 1, 1, 1}, out[4];                                      \
      memcpy(in, x + i, (n - i) * sizeof *in);                                  \
      _mm256_storeu_pd(out, fn(_mm256_loadu_pd(in)));                           \
      memcpy(y + i, out, (n - i) * sizeof *out);                                \
    }                                                                           \
  }
AVX2_KERNEL(exp_avx2, Sleef_expd4_u10avx2)
AVX2_KERNEL(log_avx2, Sleef_logd4_u10avx2)
AVX2_KERNEL(log1p_avx2, Sleef_log1pd4_u10avx2)
#pragma GCC pop_options
#else
#include <sleef.h>
#endif

static int have_avx2(void) {
#ifdef VMATH_AVX2
  static int known = -1;
  if (known < 0) known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return known;
#else
  return 0;
#endif
}

void model_vexp(const double *x, double *y, size_t n) {
#ifdef VMATH_AVX2
  if (have_avx2()) {
    exp_avx2(x, y, n);
    return;
  }
#endif
  for (size_t i = 0; i < n; i++) y[i] = Sleef_exp_u10(x[i]);
}

void model_vlog(const double *x, double *y, size_t n) {
#ifdef VMATH_AVX2
  if (have_avx2()) {
    log_avx2(x, y, n);
    return;
  }
#endif
  for (size_t i = 0; i < n; i++) y[i] = Sleef_log_u10(x[i]);
}

void model_vlog1p(const double *x, double *y, size_t n) {
#ifdef VMATH_AVX2
  if (have_avx2()) {
    log1p_avx2(x, y, n);
    return;
  }
#endif
  for (size_t i = 0; i < n; i++) y[i] = Sleef_log1p_u10(x[i]);
}
