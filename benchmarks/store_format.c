/* Chooses the store's compression filter and chunk length by measurement.
 *
 * Writes a register-like table (person ids, spell dates, a categorical, an
 * age, hours and a continuous wage) through peil's table writer with every
 * candidate filter and chunk length, then scans all columns back through
 * peil's scanner, warm (page cache) and cold (after dropping the file's
 * pages with posix_fadvise), in blocks of one chunk. Prints one Markdown
 * table row per candidate.
 *
 *   build/benchmarks/bench_store_format --rows 20000000 --dir /tmp
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "peil/peil.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static const char *const cities[] = {"Amsterdam", "Rotterdam", "Den Haag", "Utrecht"};
static const peil_column_def cols[] = {
    {"rin", PEIL_INT64, 0, NULL},      {"start", PEIL_DATE, 0, NULL},
    {"end", PEIL_DATE, 0, NULL},       {"municipality", PEIL_ENUM, 4, cities},
    {"age", PEIL_INT16, 0, NULL},      {"hours", PEIL_FLOAT64, 0, NULL},
    {"wage", PEIL_FLOAT64, 0, NULL},
};
#define NCOLS (sizeof cols / sizeof cols[0])
#define PIECE 65536

/* Bytes per row in memory, which is what a scan delivers. */
static size_t row_bytes(void) {
  size_t b = 0;
  for (size_t j = 0; j < NCOLS; j++) b += peil_type_size(cols[j].type);
  return b;
}

static int write_store(const char *path, peil_filter f, size_t chunk, long rows) {
  peil_store *s;
  peil_table_writer *w;
  int rc = peil_store_open(path, PEIL_STORE_CREATE, &s);
  if (rc) return rc;
  peil_store_set_filter(s, f);
  peil_store_set_chunk_rows(s, chunk);
  rc = peil_table_create(s, "spells", cols, NCOLS, &w);
  static int64_t rin[PIECE];
  static int32_t start[PIECE], end[PIECE], city[PIECE];
  static int16_t age[PIECE];
  static double hours[PIECE], wage[PIECE];
  const void *bufs[NCOLS] = {rin, start, end, city, age, hours, wage};
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  gsl_rng_set(r, 42);
  int64_t person = 1000000;
  int32_t day = 14000, pcity = 0;
  int16_t page = 30;
  for (long at = 0; !rc && at < rows; at += PIECE) {
    size_t n = rows - at < PIECE ? (size_t)(rows - at) : PIECE;
    for (size_t i = 0; i < n; i++) {
      if (gsl_rng_uniform(r) < 0.3) { /* a new person: ~3 spells each */
        person += 1 + (int64_t)gsl_rng_uniform_int(r, 20);
        day = 14000 + (int32_t)gsl_rng_uniform_int(r, 4000);
        pcity = (int32_t)gsl_rng_uniform_int(r, 4);
        page = (int16_t)(18 + gsl_rng_uniform_int(r, 49));
      }
      rin[i] = person;
      start[i] = day;
      day += 1 + (int32_t)gsl_ran_geometric(r, 1.0 / 200);
      end[i] = gsl_rng_uniform(r) < 0.1 ? PEIL_NA_DATE : day;
      city[i] = pcity;
      age[i] = page;
      hours[i] = (double)(8 + 4 * gsl_rng_uniform_int(r, 9));
      wage[i] = gsl_ran_lognormal(r, 7.5, 0.5);
    }
    rc = peil_table_append(w, bufs, n);
  }
  gsl_rng_free(r);
  if (!rc) rc = peil_table_finish(w);
  else peil_table_writer_free(w);
  if (!rc) rc = peil_store_commit(s);
  peil_store_close(s);
  return rc;
}

static int scan_store(const char *path, size_t block, double *sum) {
  peil_store *s;
  peil_scan *sc;
  int rc = peil_store_open(path, PEIL_STORE_READ, &s);
  if (!rc) rc = peil_scan_open(s, "spells", NULL, 0, block, &sc);
  if (rc) return rc;
  peil_block b;
  while ((rc = peil_scan_next(sc, &b)) == 1) /* touch the data */
    *sum += (double)((const int64_t *)b.cols[0])[b.nrows - 1] + ((const double *)b.cols[6])[0];
  peil_scan_close(sc);
  peil_store_close(s);
  return rc;
}

static void drop_cache(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return;
  fdatasync(fd);
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  close(fd);
}

int main(int argc, char **argv) {
  long rows = 20000000;
  const char *dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--rows") == 0) rows = atol(argv[i + 1]);
    else if (strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
  }
  const peil_filter filters[] = {PEIL_FILTER_NONE, PEIL_FILTER_LZF, PEIL_FILTER_SHUFFLE_LZF,
                                 PEIL_FILTER_DEFLATE};
  const size_t chunks[] = {16384, 65536, 262144};
  double raw = (double)rows * (double)row_bytes();
  printf("%ld rows x %zu columns, %.0f MB in memory\n\n", rows, NCOLS, raw / 1e6);
  printf("| filter | chunk rows | size (%% of raw) | write MB/s | scan warm GB/s | scan cold GB/s |\n");
  printf("|---|---:|---:|---:|---:|---:|\n");
  char path[4096];
  snprintf(path, sizeof path, "%s/peil-bench-store-%d.h5", dir, (int)getpid());
  double sink = 0;
  for (size_t f = 0; f < sizeof filters / sizeof *filters; f++)
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
      double t0 = now();
      if (write_store(path, filters[f], chunks[c], rows)) {
        fprintf(stderr, "write failed: %s\n", peil_errmsg());
        return 1;
      }
      double tw = now() - t0;
      struct stat st;
      stat(path, &st);
      double best = 1e30;
      for (int rep = 0; rep < 3; rep++) { /* warm: best of three */
        t0 = now();
        if (scan_store(path, chunks[c], &sink)) {
          fprintf(stderr, "scan failed: %s\n", peil_errmsg());
          return 1;
        }
        if (now() - t0 < best) best = now() - t0;
      }
      drop_cache(path);
      t0 = now();
      scan_store(path, chunks[c], &sink);
      double tc = now() - t0;
      printf("| %s | %zu | %.0f%% | %.0f | %.2f | %.2f |\n", peil_filter_name(filters[f]),
             chunks[c], 100.0 * (double)st.st_size / raw, raw / tw / 1e6, raw / best / 1e9,
             raw / tc / 1e9);
      fflush(stdout);
      unlink(path);
    }
  fprintf(stderr, "(checksum %g)\n", sink);
  return 0;
}
