/* Ordered output of the last pass: workers convert chunks in whatever order
 * they finish, but the table must get the rows in file order. Each worker
 * keeps a converted chunk in one of its two slots (blocks of rows, one
 * buffer per column) until every earlier chunk is written; whoever
 * completes the next chunk in line writes all that are ready. A worker
 * fills its other slot meanwhile and waits only when both are full.
 *
 * Why this cannot deadlock: the earliest chunk not yet written is always
 * being filled by a worker that is not waiting (a worker waits only after
 * finishing a chunk, and a finished chunk that is next in line is written
 * at once). After an error nothing more is written and nobody waits. */
#include <stdlib.h>
#include <string.h>

#include "csv_internal.h"

enum { SLOT_FREE, SLOT_FILLING, SLOT_READY };

int csv_order_init(csv_order *o, size_t ncols, const peil_type *types, int nworkers,
                   peil_table_writer *w) {
  memset(o, 0, sizeof *o);
  pthread_mutex_init(&o->mu, NULL);
  pthread_cond_init(&o->cv, NULL);
  o->ncols = ncols;
  o->types = types;
  o->nworkers = nworkers;
  o->w = w;
  o->q = calloc((size_t)nworkers, sizeof *o->q);
  return o->q ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
}

void csv_order_clear(csv_order *o) {
  for (int i = 0; o->q && i < o->nworkers; i++)
    for (int k = 0; k < 2; k++) {
      csv_slot *s = &o->q[i].slots[k];
      for (size_t b = 0; b < s->cap; b++) {
        for (size_t j = 0; j < o->ncols; j++) free(s->blocks[b].bufs[j]);
        free(s->blocks[b].bufs);
      }
      free(s->blocks);
    }
  free(o->q);
  pthread_mutex_destroy(&o->mu);
  pthread_cond_destroy(&o->cv);
  memset(o, 0, sizeof *o);
}

/* The next block of a slot (allocated on first use, reused after). */
static csv_block *next_block(csv_order *o, csv_slot *s) {
  if (s->nblocks == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 8;
    csv_block *v = realloc(s->blocks, cap * sizeof *v);
    if (!v) return NULL;
    s->blocks = v;
    for (size_t b = s->cap; b < cap; b++) {
      v[b].nrows = 0;
      if (!(v[b].bufs = calloc(o->ncols ? o->ncols : 1, sizeof *v[b].bufs))) return NULL;
      s->cap = b + 1;
      for (size_t j = 0; j < o->ncols; j++)
        if (!(v[b].bufs[j] = malloc(CSV_BLOCK_ROWS * peil_type_size(o->types[j])))) return NULL;
    }
  }
  csv_block *b = &s->blocks[s->nblocks++];
  b->nrows = 0;
  return b;
}

int csv_order_begin(csv_order *o, int worker, size_t chunk) {
  csv_outq *q = &o->q[worker];
  csv_slot *s = &q->slots[q->cur];
  pthread_mutex_lock(&o->mu); /* drain() reads every slot's state */
  s->state = SLOT_FILLING;
  s->chunk = chunk;
  pthread_mutex_unlock(&o->mu);
  s->nblocks = 0;
  q->row = 0;
  if (!(q->blk = next_block(o, s))) return peil_error(PEIL_ENOMEM, "out of memory");
  return PEIL_OK;
}

int csv_order_row_done(csv_order *o, int worker) {
  csv_outq *q = &o->q[worker];
  q->blk->nrows = ++q->row;
  if (q->row < CSV_BLOCK_ROWS) return PEIL_OK;
  q->row = 0;
  if (!(q->blk = next_block(o, &q->slots[q->cur]))) return peil_error(PEIL_ENOMEM, "out of memory");
  return PEIL_OK;
}

/* Under mu: writes every ready chunk whose turn it is. */
static int drain(csv_order *o) {
  for (;;) {
    csv_slot *s = NULL;
    for (int i = 0; i < o->nworkers && !s; i++)
      for (int k = 0; k < 2 && !s; k++) {
        csv_slot *t = &o->q[i].slots[k];
        if (t->state == SLOT_READY && t->chunk == o->next) s = t;
      }
    if (!s) return PEIL_OK;
    for (size_t b = 0; b < s->nblocks; b++) {
      int rc = peil_table_append(o->w, (const void *const *)s->blocks[b].bufs, s->blocks[b].nrows);
      if (rc) return rc;
    }
    s->state = SLOT_FREE;
    o->next++;
    pthread_cond_broadcast(&o->cv);
  }
}

int csv_order_chunk_done(csv_order *o, int worker) {
  csv_outq *q = &o->q[worker];
  int rc = PEIL_OK;
  pthread_mutex_lock(&o->mu);
  q->slots[q->cur].state = SLOT_READY;
  if (!o->failed) rc = drain(o);
  if (rc) {
    o->failed = 1;
    pthread_cond_broadcast(&o->cv);
  }
  q->cur = 1 - q->cur;
  while (!o->failed && q->slots[q->cur].state != SLOT_FREE) pthread_cond_wait(&o->cv, &o->mu);
  if (o->failed) q->slots[0].state = q->slots[1].state = SLOT_FREE; /* nothing more is written */
  pthread_mutex_unlock(&o->mu);
  return rc;
}

void csv_order_chunk_failed(csv_order *o, int worker) {
  pthread_mutex_lock(&o->mu);
  o->failed = 1;
  o->q[worker].slots[0].state = o->q[worker].slots[1].state = SLOT_FREE;
  pthread_cond_broadcast(&o->cv);
  pthread_mutex_unlock(&o->mu);
}
