/* peil_sim_run: persons in blocks, simulated in parallel, merged in order.
 *
 * Each block of SIM_BLOCK persons is simulated by OpenMP threads into one
 * buffer per person; the buffers are then appended to the tables in person
 * order. A person's output depends only on their own stream, so the tables
 * are the same for any thread count, and memory is bounded by the block,
 * not by the number of persons. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

#define SIM_BLOCK 16384
#define SIM_TRIM 64 /* spells kept allocated per person buffer and table */

static void threads_free(sim_thread *th, int n) {
  if (!th) return;
  for (int i = 0; i < n; i++) {
    if (th[i].main) gsl_rng_free(th[i].main);
    if (th[i].sub) gsl_rng_free(th[i].sub);
    if (th[i].snap) gsl_rng_free(th[i].snap);
    sim_out_free(&th[i].cf);
  }
  free(th);
}

static sim_thread *threads_alloc(int n) {
  sim_thread *th = calloc((size_t)n, sizeof *th);
  if (!th) return NULL;
  for (int i = 0; i < n; i++) {
    th[i].main = gsl_rng_alloc(gsl_rng_taus2);
    th[i].sub = gsl_rng_alloc(gsl_rng_taus2);
    th[i].snap = gsl_rng_alloc(gsl_rng_taus2);
    if (!th[i].main || !th[i].sub || !th[i].snap) {
      threads_free(th, n);
      return NULL;
    }
  }
  return th;
}

int peil_sim_run(const peil_sim_params *p, peil_store *store, peil_sim_report *report) {
  peil_sim_report rep_local;
  peil_sim_report *rep = report ? report : &rep_local;
  memset(rep, 0, sizeof *rep);
  int rc = peil_sim_params_check(p);
  if (rc) return rc;
  sim_world w;
  rc = sim_world_init(&w, p);
  if (rc) return rc;
  int nt = p->threads > 0 ? p->threads : omp_get_max_threads();
  size_t block = p->block > 0 ? (size_t)p->block : SIM_BLOCK;
  if ((size_t)p->persons < block) block = (size_t)p->persons;
  sim_thread *th = threads_alloc(nt);
  sim_out *outs = calloc(block, sizeof *outs);
  sim_writer *wr = NULL;
  if (!th || !outs) rc = peil_error(PEIL_ENOMEM, "simulate: out of memory");
  if (!rc) rc = sim_writer_open(store, &wr);

  for (int64_t first = 0; !rc && first < p->persons; first += (int64_t)block) {
    size_t n = (size_t)(p->persons - first) < block ? (size_t)(p->persons - first) : block;
    /* Dynamic scheduling balances the very unequal person histories; the
     * output does not depend on which thread simulates whom. */
#pragma omp parallel for num_threads(nt) schedule(dynamic, 64)
    for (size_t i = 0; i < n; i++)
      sim_person_simulate(&th[omp_get_thread_num()], &w, first + (int64_t)i, &outs[i]);
    for (size_t i = 0; i < n && !rc; i++)
      if (outs[i].failed) rc = peil_error(PEIL_ENOMEM, "simulate: out of memory (person %lld)",
                                          (long long)(first + (int64_t)i));
    if (!rc) rc = sim_writer_add_block(wr, &w, outs, n);
    for (size_t i = 0; i < n; i++) sim_out_trim(&outs[i], SIM_TRIM);
    for (int t = 0; t < nt; t++) sim_out_trim(&th[t].cf, SIM_TRIM);
  }
  if (wr) {
    int frc = rc ? PEIL_OK : sim_writer_finish(wr, rep);
    if (!rc) rc = frc;
    sim_writer_free(wr);
  }
  if (!rc) rc = sim_write_attributes(store, p, rep);
  for (size_t i = 0; outs && i < block; i++) sim_out_free(&outs[i]);
  free(outs);
  threads_free(th, nt);
  sim_world_free(&w);
  return rc;
}
