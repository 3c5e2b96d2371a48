/* Scanning: a fixed set of columns read in row blocks into reused buffers. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "chunk_reader.h"
#include "store_internal.h"

struct scol {
  hid_t dset;
  hid_t fspace;
  hid_t mtype;       /* what H5Dread converts to */
  peil_column_info info;
  size_t read_width; /* bytes per value as read (enums: code width on disk) */
  void *buf;         /* block_rows values in peil's in-memory type */
  void *raw;         /* enums only: codes as read, before widening */
  int map_na;        /* a foreign missing sentinel needs mapping */
  int64_t foreign_na;
  peil_chunk_plan_t plan; /* direct chunk reads (chunk_reader.c) */
  void *chunk_raw;        /* the raw chunk of the current block */
  size_t chunk_cap, chunk_len;
  unsigned chunk_mask;
  void *scratch;          /* shuffle work space */
  int fast;               /* this block takes the fast path */
};

struct peil_scan {
  peil_store *store;
  char *table;
  hid_t group;
  size_t ncols;
  struct scol *c;
  const void **ptrs;
  int64_t nrows;
  int64_t pos;
  int64_t end;        /* peil_scan_next stops here (nrows unless restricted) */
  size_t block_rows;
  int threads;       /* 0: one per core */
};

static hid_t memory_type(const peil_column_info *info, hid_t dset) {
  switch (info->type) {
  case PEIL_INT8:
  case PEIL_BOOL: return H5Tcopy(H5T_NATIVE_INT8);
  case PEIL_INT16: return H5Tcopy(H5T_NATIVE_INT16);
  case PEIL_INT32:
  case PEIL_DATE: return H5Tcopy(H5T_NATIVE_INT32);
  case PEIL_INT64: return H5Tcopy(H5T_NATIVE_INT64);
  case PEIL_FLOAT32: return H5Tcopy(H5T_NATIVE_FLOAT);
  case PEIL_FLOAT64: return H5Tcopy(H5T_NATIVE_DOUBLE);
  case PEIL_ENUM: {
    /* Read the codes as they are (no enum conversion, which would reject
     * the missing code); they are widened to int32 after reading. */
    hid_t ft = H5Dget_type(dset);
    hid_t mt = H5Tget_native_type(ft, H5T_DIR_ASCEND);
    H5Tclose(ft);
    return mt;
  }
  default: return -1;
  }
}

/* The canonical sentinel of an integer-like type. */
static int64_t canonical_na(peil_type t) {
  switch (t) {
  case PEIL_INT8: return PEIL_NA_INT8;
  case PEIL_INT16: return PEIL_NA_INT16;
  case PEIL_INT32: return PEIL_NA_INT32;
  case PEIL_INT64: return PEIL_NA_INT64;
  case PEIL_DATE: return PEIL_NA_DATE;
  case PEIL_BOOL: return PEIL_NA_BOOL;
  case PEIL_ENUM: return PEIL_NA_ENUM;
  default: return 0;
  }
}

/* HDF5's default chunk cache is 1 MiB per dataset; a larger chunk read in
 * smaller blocks would then be decoded once per block. Give such datasets
 * room for two chunks. */
static void reopen_with_cache(peil_scan *sc, struct scol *c, const char *name) {
  hid_t dcpl = H5Dget_create_plist(c->dset);
  hsize_t chunk = 0;
  int chunked = H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, 1, &chunk) == 1;
  H5Pclose(dcpl);
  hid_t ft = H5Dget_type(c->dset);
  size_t bytes = (size_t)chunk * H5Tget_size(ft);
  H5Tclose(ft);
  if (!chunked || bytes <= ((size_t)1 << 19)) return;
  hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
  H5Pset_chunk_cache(dapl, 521, 2 * bytes, 1.0);
  hid_t d = H5Dopen2(sc->group, name, dapl);
  H5Pclose(dapl);
  if (d >= 0) {
    H5Dclose(c->dset);
    c->dset = d;
  }
}

static int open_column(peil_scan *sc, struct scol *c, const char *name) {
  const char *path = sc->store->path;
  if (!name || H5Lexists(sc->group, name, H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return peil_error(PEIL_ENOTFOUND, "%s: table '%s' has no column '%s'", path, sc->table,
                      name ? name : "");
  }
  c->dset = H5Dopen2(sc->group, name, H5P_DEFAULT);
  if (c->dset < 0) return peil_h5_error("%s: cannot open column %s/%s", path, sc->table, name);
  reopen_with_cache(sc, c, name);
  int has_na;
  int rc = peil_h5_column_info(c->dset, sc->table, name, &c->info, &c->foreign_na, &has_na);
  if (rc) return rc;
  c->map_na = has_na && c->foreign_na != canonical_na(c->info.type);
  c->fspace = H5Dget_space(c->dset);
  hsize_t len = 0;
  H5Sget_simple_extent_dims(c->fspace, &len, NULL);
  if (sc->nrows >= 0 && (int64_t)len != sc->nrows)
    return peil_error(PEIL_EDATA, "%s: table '%s' is ragged: column '%s' has %llu rows, not %lld",
                      path, sc->table, name, (unsigned long long)len, (long long)sc->nrows);
  sc->nrows = (int64_t)len;
  c->mtype = memory_type(&c->info, c->dset);
  c->read_width = H5Tget_size(c->mtype);
  hid_t ft = H5Dget_type(c->dset);
  if (H5Tequal(ft, c->mtype) > 0 && peil_chunk_plan(c->dset, c->read_width, sc->block_rows, &c->plan) &&
      c->plan.shuffle && !(c->scratch = malloc(c->plan.chunk_bytes)))
    c->plan.enabled = 0;
  H5Tclose(ft);
  c->buf = malloc(peil_type_size(c->info.type) * sc->block_rows);
  if (c->info.type == PEIL_ENUM) c->raw = malloc(c->read_width * sc->block_rows);
  if (!c->buf || (c->info.type == PEIL_ENUM && !c->raw))
    return peil_error(PEIL_ENOMEM, "out of memory");
  return PEIL_OK;
}

int peil_scan_open(peil_store *s, const char *table, const char *const *cols, size_t ncols,
                   size_t block_rows, peil_scan **out) {
  *out = NULL;
  peil_scan *sc = calloc(1, sizeof *sc);
  if (!sc) return peil_error(PEIL_ENOMEM, "out of memory");
  sc->store = s;
  sc->nrows = -1;
  sc->block_rows = block_rows ? block_rows : PEIL_BLOCK_ROWS;
  sc->table = strdup(table ? table : "");
  sc->group = peil_h5_open_table(s, table);
  int rc = sc->group < 0 ? PEIL_ENOTFOUND : PEIL_OK;
  peil_table_info *all = NULL;
  if (!rc && !cols) { /* every column */
    rc = peil_store_table_info(s, table, &all);
    if (!rc) ncols = all->ncols;
  }
  if (!rc) {
    sc->c = calloc(ncols ? ncols : 1, sizeof *sc->c);
    sc->ptrs = calloc(ncols ? ncols : 1, sizeof *sc->ptrs);
    if (!sc->c || !sc->ptrs) rc = peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < ncols; i++) sc->c[i].dset = sc->c[i].fspace = sc->c[i].mtype = -1;
  }
  for (size_t i = 0; !rc && i < ncols; i++) {
    sc->ncols = i + 1;
    rc = open_column(sc, &sc->c[i], all ? all->cols[i].name : cols[i]);
    sc->ptrs[i] = sc->c[i].buf;
  }
  peil_table_info_free(all);
  if (rc) {
    peil_scan_close(sc);
    return rc;
  }
  if (sc->nrows < 0) sc->nrows = 0; /* no columns */
  sc->end = sc->nrows;
  *out = sc;
  return PEIL_OK;
}

/* Widens enum codes and maps foreign sentinels to peil's. */
static void finish_column(struct scol *c, size_t n) {
  if (c->info.type == PEIL_ENUM) {
    int32_t *dst = c->buf;
    if (c->read_width == 1)
      for (size_t i = 0; i < n; i++) dst[i] = ((const int8_t *)c->raw)[i];
    else if (c->read_width == 2)
      for (size_t i = 0; i < n; i++) dst[i] = ((const int16_t *)c->raw)[i];
    else
      memcpy(dst, c->raw, n * sizeof *dst);
    for (size_t i = 0; i < n; i++)
      if (dst[i] < 0 || dst[i] >= (int32_t)c->info.nlevels ||
          (c->map_na && dst[i] == c->foreign_na))
        dst[i] = PEIL_NA_ENUM;
    return;
  }
  if (!c->map_na) return;
#define MAP(T, NA)                                                  \
  do {                                                              \
    T *v = c->buf;                                                  \
    for (size_t i = 0; i < n; i++)                                  \
      if (v[i] == (T)c->foreign_na) v[i] = (T)(NA);                 \
  } while (0)
  switch (c->info.type) {
  case PEIL_INT8: MAP(int8_t, PEIL_NA_INT8); break;
  case PEIL_BOOL: MAP(int8_t, PEIL_NA_BOOL); break;
  case PEIL_INT16: MAP(int16_t, PEIL_NA_INT16); break;
  case PEIL_INT32: MAP(int32_t, PEIL_NA_INT32); break;
  case PEIL_DATE: MAP(int32_t, PEIL_NA_DATE); break;
  case PEIL_INT64: MAP(int64_t, PEIL_NA_INT64); break;
  default: break;
  }
#undef MAP
}

/* Phase one of a block, one thread: raw chunks for fast columns, H5Dread
 * for the others. */
static int read_serial(peil_scan *sc, int64_t start, size_t nrows) {
  hsize_t off = (hsize_t)start, cnt = nrows;
  hid_t ms = H5Screate_simple(1, &cnt, NULL);
  int rc = PEIL_OK;
  for (size_t i = 0; i < sc->ncols && !rc; i++) {
    struct scol *c = &sc->c[i];
    c->fast = c->plan.enabled && start % (int64_t)c->plan.chunk_rows == 0 &&
              (nrows == c->plan.chunk_rows || start + (int64_t)nrows == sc->nrows);
    if (c->fast && peil_chunk_fetch(c->dset, &c->plan, start, &c->chunk_raw, &c->chunk_cap,
                                    &c->chunk_len, &c->chunk_mask) == 0)
      continue;
    c->fast = 0; /* fall back: an unallocated chunk, or a read error to report */
    H5Eclear2(H5E_DEFAULT);
    H5Sselect_hyperslab(c->fspace, H5S_SELECT_SET, &off, NULL, &cnt, NULL);
    void *dst = c->info.type == PEIL_ENUM ? c->raw : c->buf;
    if (H5Dread(c->dset, c->mtype, ms, c->fspace, H5P_DEFAULT, dst) < 0)
      rc = peil_h5_error("%s: cannot read column %s/%s", sc->store->path, sc->table,
                         c->info.name);
  }
  H5Sclose(ms);
  return rc;
}

int peil_scan_read(peil_scan *sc, int64_t start, size_t nrows, peil_block *blk) {
  if (start < 0 || nrows > sc->block_rows || start + (int64_t)nrows > sc->nrows)
    return peil_error(PEIL_EINVAL, "scan of '%s': rows %lld..%lld outside the table's %lld",
                      sc->table, (long long)start, (long long)(start + (int64_t)nrows),
                      (long long)sc->nrows);
  blk->start = start;
  blk->nrows = nrows;
  blk->cols = sc->ptrs;
  if (nrows == 0) return PEIL_OK;
  int rc = read_serial(sc, start, nrows);
  if (rc) return rc;
  /* Phase two, in parallel: decode the fast columns, then widen enum codes
   * and map foreign sentinels. Each column is independent, so the result
   * does not depend on the number of threads. */
  int bad = -1;
  const int ncols = (int)sc->ncols;
  /* The team size is named: OpenBLAS's OpenMP build sets the default team
   * to one thread once a fit has run in the process. */
  int nt = sc->threads > 0 ? sc->threads : omp_get_num_procs();
  if (nt > ncols) nt = ncols;
  if (nt < 1) nt = 1;
  /* Inside a parallel region (threads that split a table's rows) the
   * caller's threads already use the cores: decode in this one. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (ncols > 1 && !omp_in_parallel())
  for (int i = 0; i < ncols; i++) {
    struct scol *c = &sc->c[i];
    if (c->fast) {
      void *dst = c->info.type == PEIL_ENUM ? c->raw : c->buf;
      if (peil_chunk_decode(&c->plan, c->chunk_raw, c->chunk_len, c->chunk_mask, dst,
                            c->scratch) != 0) {
#pragma omp critical(peil_scan_bad)
        if (bad < 0 || i < bad) bad = i;
        continue;
      }
    }
    finish_column(c, nrows);
  }
  if (bad >= 0)
    return peil_error(PEIL_EDATA, "%s: column %s/%s: corrupt chunk at row %lld",
                      sc->store->path, sc->table, sc->c[bad].info.name, (long long)start + 1);
  return PEIL_OK;
}

int peil_scan_next(peil_scan *sc, peil_block *blk) {
  if (sc->pos >= sc->end) return 0;
  /* Blocks end on multiples of block_rows, so that after a restricted start
   * they fall on chunk boundaries again (the fast path reads whole chunks). */
  int64_t until = (sc->pos / (int64_t)sc->block_rows + 1) * (int64_t)sc->block_rows;
  if (until > sc->end) until = sc->end;
  size_t n = (size_t)(until - sc->pos);
  int rc = peil_scan_read(sc, sc->pos, n, blk);
  if (rc) return rc;
  sc->pos += (int64_t)n;
  return 1;
}

void peil_scan_set_threads(peil_scan *sc, int threads) { sc->threads = threads > 0 ? threads : 0; }

int64_t peil_scan_nrows(const peil_scan *sc) { return sc->nrows; }

int peil_scan_restrict(peil_scan *sc, int64_t start, int64_t end) {
  if (start < 0 || end < start || end > sc->nrows)
    return peil_error(PEIL_EINVAL, "scan of '%s': rows %lld..%lld outside the table's %lld",
                      sc->table, (long long)start, (long long)end, (long long)sc->nrows);
  sc->pos = start;
  sc->end = end;
  return PEIL_OK;
}

const peil_column_info *peil_scan_column(const peil_scan *sc, size_t i) {
  return i < sc->ncols ? &sc->c[i].info : NULL;
}

void peil_scan_close(peil_scan *sc) {
  if (!sc) return;
  for (size_t i = 0; i < sc->ncols; i++) {
    struct scol *c = &sc->c[i];
    if (c->dset >= 0) H5Dclose(c->dset);
    if (c->fspace >= 0) H5Sclose(c->fspace);
    if (c->mtype >= 0) H5Tclose(c->mtype);
    peil_column_info_clear(&c->info);
    free(c->buf);
    free(c->raw);
    free(c->chunk_raw);
    free(c->scratch);
  }
  if (sc->group >= 0) H5Gclose(sc->group);
  free(sc->c);
  free(sc->ptrs);
  free(sc->table);
  free(sc);
}

/* ---- In-memory column helpers. */
void peil_column_to_f64(peil_type t, const void *src, size_t n, double *dst) {
#define CONV(T, NA)                                                   \
  do {                                                                \
    const T *v = src;                                                 \
    for (size_t i = 0; i < n; i++) dst[i] = v[i] == (NA) ? NAN : (double)v[i]; \
  } while (0)
  switch (t) {
  case PEIL_INT8: CONV(int8_t, PEIL_NA_INT8); break;
  case PEIL_BOOL: CONV(int8_t, PEIL_NA_BOOL); break;
  case PEIL_INT16: CONV(int16_t, PEIL_NA_INT16); break;
  case PEIL_INT32: CONV(int32_t, PEIL_NA_INT32); break;
  case PEIL_DATE: CONV(int32_t, PEIL_NA_DATE); break;
  case PEIL_ENUM: CONV(int32_t, PEIL_NA_ENUM); break;
  case PEIL_INT64: CONV(int64_t, PEIL_NA_INT64); break;
  case PEIL_FLOAT32: {
    const float *v = src;
    for (size_t i = 0; i < n; i++) dst[i] = v[i];
    break;
  }
  case PEIL_FLOAT64: memcpy(dst, src, n * sizeof *dst); break;
  default: break;
  }
#undef CONV
}

int peil_value_is_missing(peil_type t, const void *col, size_t i) {
  switch (t) {
  case PEIL_INT8: return ((const int8_t *)col)[i] == PEIL_NA_INT8;
  case PEIL_BOOL: return ((const int8_t *)col)[i] == PEIL_NA_BOOL;
  case PEIL_INT16: return ((const int16_t *)col)[i] == PEIL_NA_INT16;
  case PEIL_INT32: return ((const int32_t *)col)[i] == PEIL_NA_INT32;
  case PEIL_DATE: return ((const int32_t *)col)[i] == PEIL_NA_DATE;
  case PEIL_ENUM: return ((const int32_t *)col)[i] == PEIL_NA_ENUM;
  case PEIL_INT64: return ((const int64_t *)col)[i] == PEIL_NA_INT64;
  case PEIL_FLOAT32: return isnan(((const float *)col)[i]);
  case PEIL_FLOAT64: return isnan(((const double *)col)[i]);
  default: return 0;
  }
}
