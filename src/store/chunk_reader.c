/* The scan's fast path: read a block's raw chunks with H5Dread_chunk (one
 * thread, HDF5 is not thread-safe), then decode them in parallel, one column
 * per thread. HDF5 itself runs filters in the calling thread only, which
 * caps a scan of LZF columns near one core's decoding speed; decoding
 * ourselves uses both cores. Only the layouts peil writes take this path
 * (no filter, LZF, shuffle + LZF, with the block equal to one chunk); every
 * other dataset is read through H5Dread. */
#include <liblzf/lzf.h>
#include <stdlib.h>
#include <string.h>

#include "chunk_reader.h"

#define LZF_FILTER_ID 32000

int peil_chunk_plan(hid_t dset, size_t elem_size, size_t block_rows, peil_chunk_plan_t *plan) {
  memset(plan, 0, sizeof *plan);
  hid_t dcpl = H5Dget_create_plist(dset);
  hsize_t chunk = 0;
  int ok = H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, 1, &chunk) == 1 &&
           chunk == block_rows;
  int nf = ok ? H5Pget_nfilters(dcpl) : -1;
  for (int i = 0; ok && i < nf; i++) {
    unsigned flags, cd[8];
    size_t ncd = 8;
    char name[64];
    H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, sizeof name, name, NULL);
    if (id == H5Z_FILTER_SHUFFLE && i == 0 && nf == 2) plan->shuffle = 1;
    else if (id == LZF_FILTER_ID && i == nf - 1) plan->lzf = 1;
    else ok = 0;
  }
  H5Pclose(dcpl);
  H5Eclear2(H5E_DEFAULT);
  if (!ok || (plan->shuffle && !plan->lzf)) return 0;
  plan->enabled = 1;
  plan->elem_size = elem_size;
  plan->chunk_rows = (size_t)chunk;
  plan->chunk_bytes = (size_t)chunk * elem_size;
  return 1;
}

int peil_chunk_fetch(hid_t dset, peil_chunk_plan_t *plan, int64_t start, void **raw,
                     size_t *raw_cap, size_t *raw_len, unsigned *mask) {
  hsize_t off = (hsize_t)start, nbytes = 0;
  if (H5Dget_chunk_storage_size(dset, &off, &nbytes) < 0) return -1;
  if (nbytes > *raw_cap) {
    void *p = realloc(*raw, (size_t)nbytes);
    if (!p) return -1;
    *raw = p;
    *raw_cap = (size_t)nbytes;
  }
  uint32_t m = 0;
  if (H5Dread_chunk(dset, H5P_DEFAULT, &off, &m, *raw) < 0) return -1;
  *raw_len = (size_t)nbytes;
  *mask = m;
  (void)plan;
  return 0;
}

/* Undo HDF5's byte shuffle: byte b of element i was stored at b*n + i. */
static void unshuffle(const unsigned char *src, unsigned char *dst, size_t n, size_t size) {
  for (size_t b = 0; b < size; b++) {
    const unsigned char *s = src + b * n;
    for (size_t i = 0; i < n; i++) dst[i * size + b] = s[i];
  }
}

int peil_chunk_decode(const peil_chunk_plan_t *plan, const void *raw, size_t raw_len,
                      unsigned mask, void *dst, void *scratch) {
  /* Filter i was skipped for this chunk when bit i of the mask is set
   * (HDF5 stores a chunk raw when an optional filter cannot shrink it). */
  int lzf_idx = plan->shuffle ? 1 : 0;
  int use_lzf = plan->lzf && !(mask & (1u << lzf_idx));
  int use_shuffle = plan->shuffle && !(mask & 1u);
  const void *cur = raw;
  size_t len = raw_len;
  if (use_lzf) {
    void *out = use_shuffle ? scratch : dst;
    unsigned got = lzf_decompress(raw, (unsigned)raw_len, out, (unsigned)plan->chunk_bytes);
    if (got != plan->chunk_bytes) return -1;
    cur = out;
    len = got;
  }
  if (len != plan->chunk_bytes) return -1;
  if (use_shuffle) unshuffle(cur, dst, plan->chunk_rows, plan->elem_size);
  else if (cur != dst) memcpy(dst, cur, len);
  return 0;
}
