/* The LZF filter (HDF5 filter 32000) as h5py defines it: each chunk is one
 * raw LZF block, cd_values[2] holds the chunk's uncompressed size. h5py reads
 * and writes it without plugins; Debian's hdf5-plugin-lzf cannot be loaded by
 * C programs (it is not linked to liblzf and lacks the plugin entry points),
 * so peil registers the filter itself, with Debian's liblzf doing the work. */
#include <errno.h>
#include <liblzf/lzf.h>
#include <stdlib.h>

#include "store_internal.h"

#define LZF_FILTER_ID 32000

static size_t lzf_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[],
                         size_t nbytes, size_t *buf_size, void **buf) {
  if (flags & H5Z_FLAG_REVERSE) {
    /* Decompress: the expected size is known; grow only for foreign files
     * whose cd_values do not say it. */
    size_t outsz = (cd_nelmts >= 3 && cd_values[2] != 0) ? cd_values[2] : 4 * *buf_size;
    for (;;) {
      void *out = malloc(outsz);
      if (!out) return 0;
      unsigned got = lzf_decompress(*buf, (unsigned)nbytes, out, (unsigned)outsz);
      if (got > 0) {
        free(*buf);
        *buf = out;
        *buf_size = outsz;
        return got;
      }
      free(out);
      if (errno != E2BIG || outsz > ((size_t)1 << 31)) return 0;
      outsz *= 2;
    }
  }
  /* Compress. A chunk that does not shrink fails here; the filter is
   * optional, so HDF5 then stores that chunk uncompressed (as h5py does). */
  void *out = malloc(nbytes);
  if (!out) return 0;
  unsigned got = lzf_compress(*buf, (unsigned)nbytes, out, (unsigned)nbytes);
  if (got == 0) {
    free(out);
    return 0;
  }
  free(*buf);
  *buf = out;
  *buf_size = nbytes;
  return got;
}

static const H5Z_class2_t lzf_class = {
    H5Z_CLASS_T_VERS, (H5Z_filter_t)LZF_FILTER_ID, 1, 1, "lzf", NULL, NULL, lzf_filter};

int peil_lzf_register(void) {
  if (H5Zfilter_avail(LZF_FILTER_ID) > 0) return 0;
  return H5Zregister(&lzf_class) < 0 ? -1 : 0;
}

int peil_h5_set_filter(hid_t dcpl, peil_filter f, size_t elem_size, hsize_t chunk_rows) {
  herr_t r = 0;
  switch (f) {
  case PEIL_FILTER_NONE: break;
  case PEIL_FILTER_SHUFFLE_LZF:
    r = H5Pset_shuffle(dcpl);
    /* fall through */
  case PEIL_FILTER_LZF: {
    /* h5py's values: filter revision 4, LZF 1.5, chunk size in bytes. */
    const unsigned cd[3] = {4, 0x0105, (unsigned)(elem_size * chunk_rows)};
    if (r >= 0) r = H5Pset_filter(dcpl, LZF_FILTER_ID, H5Z_FLAG_OPTIONAL, 3, cd);
    break;
  }
  case PEIL_FILTER_DEFLATE:
    r = H5Pset_shuffle(dcpl);
    if (r >= 0) r = H5Pset_deflate(dcpl, 1);
    break;
  }
  return r < 0 ? peil_h5_error("cannot set compression filter") : PEIL_OK;
}
