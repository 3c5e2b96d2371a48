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
 * Arrays of 64 MB and more come from malloc and only their whole 2 MiB
 * pages are marked, with no alignment of their own: aligned blocks
 * (posix_memalign) of that size left holes in the heap that the next large
 * array did not fit (+400 MB of peak memory at 10M units), and a process
 * that reuses its freed memory touches less fresh memory, which is what
 * costs. Smaller arrays (2 to 64 MB) are aligned, or they would have few
 * whole huge pages or none. Memory from here is released with free(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "peil/core.h"

#define HUGE_PAGE ((uintptr_t)2 << 20)
/* From here on at most 3% of an array lies outside its whole huge pages,
 * and it is not aligned: see above. */
#define ALIGNED_UP_TO ((size_t)64 << 20)

/* Marks [lo, hi) rounded inwards to whole huge pages. */
static void advise_huge(uintptr_t lo, uintptr_t hi) {
#ifdef MADV_HUGEPAGE
  lo = (lo + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  hi &= ~(HUGE_PAGE - 1);
  if (hi > lo) madvise((void *)lo, hi - lo, MADV_HUGEPAGE); /* advice: failure leaves 4 KiB pages */
#else
  (void)lo, (void)hi;
#endif
}

void *peil_alloc_large(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  size_t bytes = n * size;
  void *p = NULL;
  if (bytes < HUGE_PAGE) return malloc(bytes ? bytes : 1);
  if (bytes < ALIGNED_UP_TO) {
    /* Aligned, or a 3 MB array would have no whole huge page at all. */
    size_t rounded = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    if (posix_memalign(&p, HUGE_PAGE, rounded)) return NULL;
    advise_huge((uintptr_t)p, (uintptr_t)p + rounded);
    return p;
  }
  if ((p = malloc(bytes))) advise_huge((uintptr_t)p, (uintptr_t)p + bytes);
  return p;
}

void *peil_calloc_large(size_t n, size_t size) {
  void *p = peil_alloc_large(n, size);
  if (p) memset(p, 0, n * size); /* after the advice: the pages come in huge */
  return p;
}
