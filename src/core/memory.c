/* Large arrays in transparent huge pages.
 *
 * A column of ten million doubles is 80 MB: 20,000 pages of 4 KiB, each
 * first touched by a page fault that costs microseconds on a virtual
 * machine, and each a TLB entry when the array is walked at random
 * (sorting, matching). Measured on the 1M x 9M matching benchmark: 374k
 * page faults, two thirds of its 6 s. Marked for huge pages (2 MiB; the
 * kernel's default THP mode is "madvise": only on request), the same
 * memory takes 512 times fewer faults.
 *
 * The array comes from malloc and only its whole 2 MiB pages are marked,
 * with no alignment of its own: aligned blocks (posix_memalign) leave
 * holes in the heap that the next large array does not fit, and a process
 * that reuses its freed memory touches less fresh memory, which is what
 * costs (glibc's glibc.malloc.hugetlb=1 tunable marks the heap the same
 * way). Memory from here is released with free(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "peil/core.h"

#define HUGE_PAGE ((uintptr_t)2 << 20)

void *peil_alloc_large(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  size_t bytes = n * size;
  void *p = malloc(bytes ? bytes : 1);
#ifdef MADV_HUGEPAGE
  if (p && bytes >= 2 * HUGE_PAGE) {
    uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t hi = ((uintptr_t)p + bytes) & ~(HUGE_PAGE - 1);
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_HUGEPAGE); /* advice: failure leaves 4 KiB pages */
  }
#endif
  return p;
}

void *peil_calloc_large(size_t n, size_t size) {
  void *p = peil_alloc_large(n, size);
  if (p) memset(p, 0, n * size); /* after the advice: the pages come in huge */
  return p;
}
