/* Internal to the store: direct chunk reads with parallel decoding. */
#ifndef PEIL_CHUNK_READER_H
#define PEIL_CHUNK_READER_H

#include <hdf5.h>
#include <stdint.h>

typedef struct {
  int enabled;       /* this column can take the fast path */
  int shuffle, lzf;  /* the filters to undo */
  size_t elem_size;  /* bytes per value on disk = in the read buffer */
  size_t chunk_rows;
  size_t chunk_bytes;
} peil_chunk_plan_t;

/* Decides whether dset can be read chunk by chunk into blocks of block_rows
 * values of elem_size bytes (the file type must equal the memory type). */
int peil_chunk_plan(hid_t dset, size_t elem_size, size_t block_rows, peil_chunk_plan_t *plan);

/* Reads the raw (still filtered) chunk that starts at row `start`. */
int peil_chunk_fetch(hid_t dset, peil_chunk_plan_t *plan, int64_t start, void **raw,
                     size_t *raw_cap, size_t *raw_len, unsigned *mask);

/* Decodes one raw chunk into dst (chunk_bytes); scratch is chunk_bytes of
 * work space. Thread-safe: no HDF5 calls. */
int peil_chunk_decode(const peil_chunk_plan_t *plan, const void *raw, size_t raw_len,
                      unsigned mask, void *dst, void *scratch);

#endif
