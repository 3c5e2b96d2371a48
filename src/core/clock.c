/* A monotonic clock for the timings that results carry (seconds_scan,
 * seconds_fit, ...): differences of peil_seconds() are wall-clock seconds,
 * unaffected by changes of the system time. */
#include <time.h>

#include "peil/core.h"

double peil_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
