/* peil_sim_run: persons in blocks, simulated in parallel, merged in order.
 *
 * Each block of SIM_BLOCK persons is simulated by OpenMP threads into one
 * buffer per person; the buffers are then appended to the tables in person
 * order. A person's output depends only on their own stream, so the tables
 * are the same for any thread count, and memory is bounded by the block,
 * not by the number of persons. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

#define SIM_BLOCK 16384
#define SIM_TRIM 16 /* spells kept allocated per person buffer and table */

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

/* Simulates persons [first, first + n) into outs[0..n) in parallel. */
static void simulate_block(sim_thread *th, int nt, const sim_world *w, int64_t first, size_t n,
                           sim_out *outs) {
  /* Dynamic scheduling balances the very unequal person histories; the
   * output does not depend on which thread simulates whom. */
#pragma omp parallel for num_threads(nt) schedule(dynamic, 64)
  for (size_t i = 0; i < n; i++)
    sim_person_simulate(&th[omp_get_thread_num()], w, first + (int64_t)i, &outs[i]);
}

static int block_failed(const sim_out *outs, size_t n, int64_t first) {
  for (size_t i = 0; i < n; i++)
    if (outs[i].failed)
      return peil_error(PEIL_ENOMEM, "simulate: out of memory (person %lld)",
                        (long long)(first + (int64_t)i));
  return PEIL_OK;
}

/* With hidden bias, entry is exp(hidden_bias * e) times more likely for a
 * person with employability e. So that the strength changes who enters but
 * not how many, the entry logit gets the shift -K with
 *   K = log( sum w exp(hidden_bias e) / sum w ),
 * summed over the months at risk of entry of a pilot of the first persons
 * (simulated without the programme), w = their odds of entry without hidden
 * bias. For rare entry this keeps the expected number of entrants. The sums
 * run in person order: the shift does not depend on the threads. */
#define SIM_PILOT 20000
static int hidden_bias_shift(sim_world *w, sim_thread *th, int nt, sim_out *outs, size_t block) {
  int64_t total = w->p->persons < SIM_PILOT ? w->p->persons : SIM_PILOT;
  double sw = 0, swx = 0;
  w->pilot = 1;
  for (int64_t first = 0; first < total; first += (int64_t)block) {
    size_t n = (size_t)(total - first) < block ? (size_t)(total - first) : block;
    simulate_block(th, nt, w, first, n, outs);
    int rc = block_failed(outs, n, first);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) {
      sw += outs[i].pilot_w;
      swx += outs[i].pilot_wx;
    }
  }
  w->pilot = 0;
  w->hidden_shift = sw > 0 && swx > 0 ? -log(swx / sw) : 0.0;
  return PEIL_OK;
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
  if (!rc && p->hidden_bias != 0) rc = hidden_bias_shift(&w, th, nt, outs, block);
  if (!rc) rc = sim_writer_open(store, &wr);

  for (int64_t first = 0; !rc && first < p->persons; first += (int64_t)block) {
    size_t n = (size_t)(p->persons - first) < block ? (size_t)(p->persons - first) : block;
    simulate_block(th, nt, &w, first, n, outs);
    rc = block_failed(outs, n, first);
    if (!rc) rc = sim_writer_add_block(wr, outs, n);
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
