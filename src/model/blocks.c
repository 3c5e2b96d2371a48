/* Parallel passes over the frame in a fixed partition (model_internal.h):
 * threads take groups of consecutive blocks, so partial sums can be added
 * in group order and results do not depend on the thread count. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

int model_threads(int threads) { return threads > 0 ? threads : omp_get_num_procs(); }

size_t frame_ngroups(const model_frame *fr) {
  size_t nb = frame_nblocks(fr);
  return nb < MODEL_MAX_GROUPS ? (nb ? nb : 1) : MODEL_MAX_GROUPS;
}

int frame_for_blocks(const model_frame *fr, const design *d, int threads, block_fn fn, void *ctx) {
  size_t nb = frame_nblocks(fr), ng = frame_ngroups(fr);
  int nt = model_threads(threads);
  if ((size_t)nt > ng) nt = (int)ng;
  block_ws *ws = calloc((size_t)nt, sizeof *ws);
  int *rc = calloc(ng, sizeof *rc);
  char **msg = calloc(ng, sizeof *msg);
  int status = !ws || !rc || !msg ? peil_error(PEIL_ENOMEM, "out of memory") : PEIL_OK;
  for (int t = 0; !status && t < nt; t++) status = block_ws_alloc(&ws[t], fr, d, MODEL_BLOCK_ROWS);
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
  for (int t = 0; ws && t < nt; t++) block_ws_free(&ws[t]);
  for (size_t g = 0; msg && g < ng; g++) free(msg[g]);
  free(ws), free(rc), free(msg);
  return status;
}
