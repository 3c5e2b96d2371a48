/* The I/O floor of a regression: one pass over the columns it uses.
 *
 *   build/benchmarks/bench_scan_columns [--reps R] [--cold] [--block ROWS] \
 *       store.h5 TABLE col1,col2,...
 *
 * Opens the store with peil's library, scans the listed columns once in row
 * blocks (peil_scan_open/next), converts every block to double as a design
 * matrix builder would (peil_column_to_f64 into one column-major block) and
 * sums it, so every value is touched. Store open and close are timed too:
 * they are part of any command's run.
 *
 * Prints the elapsed seconds, the rows, the throughput in GB/s of the
 * doubles produced (rows x columns x 8 bytes) and of the columns in their
 * stored types as the scan delivers them, and the process's peak RSS. The
 * last line is machine-readable:
 *   RESULT tool=scan n=ROWS cols=C seconds=S gbps=G gbps_stored=G2 rss_mb=M
 *
 * --reps R runs the pass R times and reports the fastest (default 1: once).
 * --cold drops the file's pages from the page cache before each pass
 * (posix_fadvise; other readers of the file may keep them cached).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "peil/peil.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void drop_cache(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return;
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  close(fd);
}

static int usage(void) {
  fprintf(stderr, "usage: bench_scan_columns [--reps R] [--cold] [--block ROWS] "
                  "store.h5 TABLE col1,col2,...\n");
  return 2;
}

/* One pass: open, scan, convert, sum, close. */
static int pass(const char *path, const char *table, const char *const *cols, size_t ncols,
                size_t block, int64_t *rows, double *stored_bytes, double *sum) {
  peil_store *s = NULL;
  peil_scan *sc = NULL;
  double *x = NULL;
  int rc = peil_store_open(path, PEIL_STORE_READ, &s);
  if (!rc) rc = peil_scan_open(s, table, cols, ncols, block, &sc);
  if (rc) goto out;
  size_t cap = block ? block : PEIL_BLOCK_ROWS;
  x = malloc(cap * ncols * sizeof *x);
  if (!x) {
    rc = peil_error(PEIL_ENOMEM, "out of memory");
    goto out;
  }
  size_t row_bytes = 0;
  for (size_t j = 0; j < ncols; j++) row_bytes += peil_type_size(peil_scan_column(sc, j)->type);
  peil_block b;
  *rows = 0;
  while ((rc = peil_scan_next(sc, &b)) == 1) {
    if (b.nrows > cap) {
      rc = peil_error(PEIL_EINTERNAL, "block of %zu rows > %zu", b.nrows, cap);
      goto out;
    }
    for (size_t j = 0; j < ncols; j++) {
      double *xj = x + j * b.nrows;
      peil_column_to_f64(peil_scan_column(sc, j)->type, b.cols[j], b.nrows, xj);
      double acc = 0;
      for (size_t i = 0; i < b.nrows; i++)
        if (!isnan(xj[i])) acc += xj[i];
      *sum += acc;
    }
    *rows += (int64_t)b.nrows;
  }
  *stored_bytes = (double)*rows * (double)row_bytes;
out:
  free(x);
  if (sc) peil_scan_close(sc);
  if (s) peil_store_close(s);
  return rc < 0 ? rc : 0;
}

int main(int argc, char **argv) {
  int reps = 1, cold = 0;
  size_t block = 0;
  int i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strcmp(argv[i], "--cold") == 0) cold = 1;
    else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = atoi(argv[++i]);
    else if (strcmp(argv[i], "--block") == 0 && i + 1 < argc) block = (size_t)atol(argv[++i]);
    else return usage();
  }
  if (argc - i != 3 || reps < 1) return usage();
  const char *path = argv[i], *table = argv[i + 1];
  char *list = strdup(argv[i + 2]);
  size_t ncols = 0, cap = 8;
  const char **cols = malloc(cap * sizeof *cols);
  for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
    if (ncols == cap) cols = realloc(cols, (cap *= 2) * sizeof *cols);
    cols[ncols++] = tok;
  }
  if (ncols == 0) return usage();

  double best = INFINITY, stored = 0, sum = 0;
  int64_t rows = 0;
  for (int r = 0; r < reps; r++) {
    if (cold) drop_cache(path);
    double t0 = now();
    int rc = pass(path, table, cols, ncols, block, &rows, &stored, &sum);
    double t = now() - t0;
    if (rc) {
      fprintf(stderr, "bench_scan_columns: %s\n", peil_errmsg());
      return peil_exit_code(rc);
    }
    if (t < best) best = t;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double dbl = (double)rows * (double)ncols * 8.0;
  double rss_mb = (double)ru.ru_maxrss / 1024.0;
  char how[32];
  if (reps > 1) snprintf(how, sizeof how, "best of %d", reps);
  else snprintf(how, sizeof how, "once");
  printf("scan of %zu columns of %s:/%s (%s, %s): %lld rows in %.3f s: "
         "%.2f GB/s as double (%.0f MB), %.2f GB/s in stored types (%.0f MB); peak RSS %.0f MB\n",
         ncols, path, table, cold ? "cold" : "warm", how,
         (long long)rows, best, dbl / best / 1e9, dbl / 1e6, stored / best / 1e9, stored / 1e6,
         rss_mb);
  printf("RESULT tool=scan n=%lld cols=%zu seconds=%.4f gbps=%.3f gbps_stored=%.3f rss_mb=%.0f\n",
         (long long)rows, ncols, best, dbl / best / 1e9, stored / best / 1e9, rss_mb);
  fprintf(stderr, "(checksum %.17g)\n", sum);
  free(cols);
  free(list);
  return 0;
}
