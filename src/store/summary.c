/* Column summaries for `peil info`: missing counts, ranges, level counts. */
#include <math.h>
#include <stdlib.h>

#include "peil/store.h"

static void summarise_block(const peil_column_info *ci, const void *col, size_t n,
                            peil_column_summary *s, double *sum, double *tmp) {
  if (ci->type == PEIL_ENUM) {
    const int32_t *v = col;
    for (size_t i = 0; i < n; i++) {
      if (v[i] == PEIL_NA_ENUM) s->n_missing++;
      else s->level_counts[v[i]]++;
    }
  }
  peil_column_to_f64(ci->type, col, n, tmp);
  for (size_t i = 0; i < n; i++) {
    double x = tmp[i];
    if (isnan(x)) {
      if (ci->type != PEIL_ENUM) s->n_missing++;
      continue;
    }
    if (s->n_valid == 0 || x < s->min) s->min = x;
    if (s->n_valid == 0 || x > s->max) s->max = x;
    s->n_valid++;
    *sum += x;
  }
}

int peil_table_summarise(peil_store *st, const char *table, peil_table_info **info,
                         peil_column_summary **sums) {
  *info = NULL;
  *sums = NULL;
  peil_table_info *ti = NULL;
  int rc = peil_store_table_info(st, table, &ti);
  if (rc) return rc;
  peil_column_summary *s = calloc(ti->ncols ? ti->ncols : 1, sizeof *s);
  double *sum = calloc(ti->ncols ? ti->ncols : 1, sizeof *sum);
  double *tmp = malloc(PEIL_BLOCK_ROWS * sizeof *tmp);
  if (!s || !sum || !tmp) rc = peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t j = 0; !rc && j < ti->ncols; j++) {
    s[j].min = s[j].max = s[j].mean = NAN;
    if (ti->cols[j].type == PEIL_ENUM &&
        !(s[j].level_counts = calloc(ti->cols[j].nlevels + 1, sizeof(int64_t))))
      rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  peil_scan *sc = NULL;
  if (!rc && ti->ncols > 0) rc = peil_scan_open(st, table, NULL, 0, 0, &sc);
  peil_block blk;
  while (!rc && sc && (rc = peil_scan_next(sc, &blk)) == 1) {
    rc = 0;
    for (size_t j = 0; j < ti->ncols; j++)
      summarise_block(&ti->cols[j], blk.cols[j], blk.nrows, &s[j], &sum[j], tmp);
  }
  peil_scan_close(sc);
  for (size_t j = 0; !rc && j < ti->ncols; j++)
    if (s[j].n_valid > 0) s[j].mean = sum[j] / (double)s[j].n_valid;
  free(sum);
  free(tmp);
  if (rc < 0) {
    peil_column_summaries_free(s, ti->ncols);
    peil_table_info_free(ti);
    return rc;
  }
  *info = ti;
  *sums = s;
  return PEIL_OK;
}

void peil_column_summaries_free(peil_column_summary *sums, size_t n) {
  if (!sums) return;
  for (size_t i = 0; i < n; i++) free(sums[i].level_counts);
  free(sums);
}
