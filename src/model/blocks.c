/* Parallel passes over the frame in a fixed partition (model_internal.h):
 * threads take groups of consecutive blocks, so partial sums can be added
 * in group order and results do not depend on the thread count. */
#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

int model_threads(int threads) { return threads > 0 ? threads : omp_get_num_procs(); }

/* peil parallelises over blocks; BLAS calls run inside those threads on
 * small blocks. OpenBLAS's own threads would compete with them (and make
 * its sums depend on its thread count), so it runs single-threaded.
 * OpenBLAS's OpenMP build does that by setting OpenMP's default team size
 * to 1, and it must stay so wherever BLAS is called: inside a team of one
 * thread (--threads 1) OpenBLAS would otherwise start threads of its own,
 * and sums would differ between 1 and 2 threads. Parallel regions of peil
 * name their team size; the store scan, which does not, gets it from
 * model_scan_threads. */
void model_blas_single_threaded(void) { openblas_set_num_threads(1); }

int model_scan_threads(int threads) {
  int before = omp_get_max_threads();
  omp_set_num_threads(model_threads(threads));
  return before;
}

size_t frame_ngroups(const model_frame *fr) {
  size_t nb = frame_nblocks(fr);
  return nb < MODEL_MAX_GROUPS ? (nb ? nb : 1) : MODEL_MAX_GROUPS;
}

int ws_pool_init(ws_pool *pool, const model_frame *fr, const design *d, int threads) {
  size_t ng = frame_ngroups(fr);
  int nt = model_threads(threads);
  if ((size_t)nt > ng) nt = (int)ng;
  pool->nt = nt;
  pool->p = d->p;
  pool->ws = calloc((size_t)nt, sizeof *pool->ws);
  if (!pool->ws) return peil_error(PEIL_ENOMEM, "out of memory");
  for (int t = 0; t < nt; t++) {
    int rc = block_ws_alloc(&pool->ws[t], fr, d, MODEL_BLOCK_ROWS);
    if (rc) {
      ws_pool_free(pool);
      return rc;
    }
  }
  return PEIL_OK;
}

void ws_pool_free(ws_pool *pool) {
  for (int t = 0; pool->ws && t < pool->nt; t++) block_ws_free(&pool->ws[t]);
  free(pool->ws);
  pool->ws = NULL;
  pool->nt = 0;
}

int frame_for_blocks(const model_frame *fr, const design *d, int threads, ws_pool *pool,
                     block_fn fn, void *ctx) {
  size_t nb = frame_nblocks(fr), ng = frame_ngroups(fr);
  ws_pool local = {0};
  int status = PEIL_OK;
  if (!pool || pool->p < d->p) {
    if ((status = ws_pool_init(&local, fr, d, threads))) return status;
    pool = &local;
  }
  int nt = pool->nt;
  int *rc = calloc(ng, sizeof *rc);
  char **msg = calloc(ng, sizeof *msg);
  if (!rc || !msg) status = peil_error(PEIL_ENOMEM, "out of memory");
  block_ws *ws = pool->ws;
  if (!status) {
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (size_t g = 0; g < ng; g++) {
      int t = omp_get_thread_num();
      size_t b0 = g * nb / ng, b1 = (g + 1) * nb / ng;
      for (size_t b = b0; b < b1 && !rc[g]; b++)
        rc[g] = fn(ctx, &ws[t], t, g, (int64_t)b * MODEL_BLOCK_ROWS, frame_block_rows(fr, b));
      /* Messages are per thread: keep this one for the caller. */
      if (rc[g]) msg[g] = strdup(peil_errmsg());
    }
    for (size_t g = 0; g < ng && !status; g++)
      if (rc[g]) status = peil_error(rc[g], "%s", msg[g] ? msg[g] : "failed");
  }
  for (size_t g = 0; msg && g < ng; g++) free(msg[g]);
  free(rc), free(msg);
  ws_pool_free(&local);
  return status;
}
