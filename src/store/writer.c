/* Writing a table: columns appended in row blocks, buffered to whole chunks
 * so that compressed chunks are written once and never re-read.
 *
 * Write-behind (peil_table_write_behind): HDF5 compresses a chunk inside
 * H5Dwrite, on the calling thread. A writer may instead hand every full
 * chunk to a thread of its own and go on filling a second buffer: the
 * caller makes the next rows while the last ones are compressed and
 * written. The file is the same, chunk for chunk. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

struct wcol {
  hid_t dset;
  hid_t mtype;     /* memory type matching `buf` */
  peil_type type;
  size_t nlevels;
  size_t width;    /* bytes per value in buf (enums: the code width on disk) */
  char *name;
  void *buf;       /* one chunk of values waiting to be written */
  void *spare;     /* write-behind: the chunk the thread is writing */
};

struct peil_table_writer {
  peil_store *store;
  hid_t group;
  char *table;
  size_t ncols;
  struct wcol *c;
  size_t chunk;    /* rows per chunk, and capacity of every buf */
  size_t buffered; /* rows in every column's buf */
  int64_t nrows;   /* rows written to the file (or handed to the thread) */
  /* write-behind: the thread writes `pending` rows of the spare buffers at
   * row `pending_at`; its first failure is kept for the caller */
  int behind;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  size_t pending;
  int64_t pending_at;
  int quit;
  int bg_rc;
  char *bg_msg;
};

static int missing_attr(struct wcol *c) {
  switch (c->type) {
  case PEIL_INT8: return peil_h5_attr_i64(c->dset, "missing", PEIL_NA_INT8);
  case PEIL_INT16: return peil_h5_attr_i64(c->dset, "missing", PEIL_NA_INT16);
  case PEIL_INT32: return peil_h5_attr_i64(c->dset, "missing", PEIL_NA_INT32);
  case PEIL_INT64: return peil_h5_attr_i64(c->dset, "missing", PEIL_NA_INT64);
  case PEIL_DATE: return peil_h5_attr_i64(c->dset, "missing", PEIL_NA_DATE);
  case PEIL_BOOL: return peil_h5_attr_i64(c->dset, "missing", PEIL_NA_BOOL);
  case PEIL_ENUM: return peil_h5_attr_i64(c->dset, "missing", PEIL_NA_ENUM);
  default: return peil_h5_attr_f64(c->dset, "missing", NAN);
  }
}

static int create_column(peil_table_writer *w, struct wcol *c, const peil_column_def *def) {
  const char *path = w->store->path;
  c->type = def->type;
  c->nlevels = def->nlevels;
  c->name = strdup(def->name);
  hid_t ftype = peil_h5_file_type(def->type, def->nlevels, def->levels);
  if (ftype < 0)
    return peil_h5_error("%s: cannot make the type of column %s/%s (duplicate level?)", path,
                         w->table, def->name);
  c->mtype = H5Tget_native_type(ftype, H5T_DIR_ASCEND);
  c->width = H5Tget_size(ftype);
  const hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = w->chunk;
  hid_t sp = H5Screate_simple(1, &zero, &unlimited);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 1, &chunk);
  /* Chunks are written whole from the buffer (the last one up to the
   * extent), so HDF5 need not fill them first: about 2% of import time. */
  H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
  int rc = peil_h5_set_filter(dcpl, w->store->filter, c->width, chunk);
  if (!rc) {
    c->dset = H5Dcreate2(w->group, def->name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (c->dset < 0) rc = peil_h5_error("%s: cannot create column %s/%s", path, w->table, def->name);
  }
  H5Pclose(dcpl);
  H5Sclose(sp);
  H5Tclose(ftype);
  if (rc) return rc;
  if (def->type == PEIL_DATE) {
    rc = peil_h5_attr_str(c->dset, "units", "days since 1970-01-01");
    if (!rc) rc = peil_h5_attr_str(c->dset, "peil_type", "date");
  } else if (def->type == PEIL_BOOL) {
    rc = peil_h5_attr_str(c->dset, "peil_type", "bool");
  }
  if (!rc) rc = missing_attr(c);
  if (!rc && !(c->buf = malloc(c->width * w->chunk)))
    rc = peil_error(PEIL_ENOMEM, "out of memory");
  return rc;
}

/* Each label takes its bytes and a NUL padded to eight, plus its code. */
size_t peil_enum_type_bytes(size_t nlevels, const char *const *levels) {
  size_t width = nlevels <= 127 ? 1 : nlevels <= 32767 ? 2 : 4, bytes = 64;
  for (size_t k = 0; k < nlevels; k++) bytes += (strlen(levels[k]) + 8) / 8 * 8 + width;
  return bytes;
}

int peil_table_create(peil_store *s, const char *table, const peil_column_def *cols,
                      size_t ncols, peil_table_writer **out) {
  *out = NULL;
  if (!s->atomic && s->flags != PEIL_STORE_MEMORY)
    return peil_error(PEIL_EINVAL, "%s: store is read-only", s->path);
  if (!peil_store_valid_name(table))
    return peil_error(PEIL_EINVAL, "invalid table name '%s' (empty or contains '/')",
                      table ? table : "");
  if (peil_store_has_table(s, table))
    return peil_error(PEIL_EEXIST, "%s: table '%s' exists already", s->path, table);
  for (size_t i = 0; i < ncols; i++) {
    if (!peil_store_valid_name(cols[i].name))
      return peil_error(PEIL_EINVAL, "table '%s': column %zu has an invalid name '%s'", table,
                        i + 1, cols[i].name ? cols[i].name : "");
    for (size_t j = 0; j < i; j++)
      if (strcmp(cols[i].name, cols[j].name) == 0)
        return peil_error(PEIL_EINVAL, "table '%s': duplicate column name '%s'", table,
                          cols[i].name);
    if (cols[i].type == PEIL_ENUM && cols[i].nlevels > 0 && !cols[i].levels)
      return peil_error(PEIL_EINVAL, "table '%s': enum column '%s' without levels", table,
                        cols[i].name);
    if (cols[i].type == PEIL_ENUM &&
        peil_enum_type_bytes(cols[i].nlevels, cols[i].levels) > PEIL_ENUM_TYPE_MAX)
      return peil_error(PEIL_EINVAL,
                        "table '%s': the %zu labels of enum column '%s' need more than the 64 kB "
                        "an HDF5 categorical type holds",
                        table, cols[i].nlevels, cols[i].name);
  }
  peil_table_writer *w = calloc(1, sizeof *w);
  if (!w || !(w->c = calloc(ncols ? ncols : 1, sizeof *w->c)) || !(w->table = strdup(table))) {
    if (w) free(w->c);
    free(w);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  w->store = s;
  w->ncols = ncols;
  w->chunk = s->chunk_rows;
  for (size_t i = 0; i < ncols; i++) w->c[i].dset = w->c[i].mtype = -1;
  hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
  H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  w->group = H5Gcreate2(s->file, table, H5P_DEFAULT, gcpl, H5P_DEFAULT);
  H5Pclose(gcpl);
  int rc = w->group < 0 ? peil_h5_error("%s: cannot create table '%s'", s->path, table) : 0;
  if (!rc) rc = peil_h5_attr_i64(w->group, "schema_version", PEIL_STORE_SCHEMA_VERSION);
  for (size_t i = 0; !rc && i < ncols; i++) rc = create_column(w, &w->c[i], &cols[i]);
  if (rc) {
    peil_table_writer_free(w);
    return rc;
  }
  *out = w;
  return PEIL_OK;
}

/* Writes `count` rows from every column's buf (or spare) at row `start`. */
static int write_rows(peil_table_writer *w, int spare, int64_t start_row, size_t count_rows) {
  hsize_t start = (hsize_t)start_row, count = count_rows, total = start + count;
  hid_t ms = H5Screate_simple(1, &count, NULL);
  int rc = PEIL_OK;
  for (size_t i = 0; !rc && i < w->ncols; i++) {
    struct wcol *c = &w->c[i];
    if (H5Dset_extent(c->dset, &total) < 0) {
      rc = peil_h5_error("%s: cannot extend column %s/%s", w->store->path, w->table, c->name);
      break;
    }
    hid_t fs = H5Dget_space(c->dset);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL);
    if (H5Dwrite(c->dset, c->mtype, ms, fs, H5P_DEFAULT, spare ? c->spare : c->buf) < 0)
      rc = peil_h5_error("%s: cannot write column %s/%s", w->store->path, w->table, c->name);
    H5Sclose(fs);
  }
  H5Sclose(ms);
  return rc;
}

/* The write-behind thread: writes what it is handed, one chunk at a time. */
static void *write_behind(void *arg) {
  peil_table_writer *w = arg;
  peil_store_quiet_thread(); /* the error handler is per thread */
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (!w->pending && !w->quit) pthread_cond_wait(&w->cv, &w->mu);
    if (!w->pending) break;
    pthread_mutex_unlock(&w->mu);
    int rc = w->bg_rc ? PEIL_OK : write_rows(w, 1, w->pending_at, w->pending);
    char *msg = rc ? strdup(peil_errmsg()) : NULL; /* messages are per thread */
    pthread_mutex_lock(&w->mu);
    if (rc && !w->bg_rc) {
      w->bg_rc = rc;
      w->bg_msg = msg;
    } else {
      free(msg);
    }
    w->pending = 0;
    pthread_cond_broadcast(&w->cv);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

/* Waits until the thread has written what it was handed; its failure, if
 * any, becomes the caller's. */
static int wait_behind(peil_table_writer *w) {
  pthread_mutex_lock(&w->mu);
  while (w->pending) pthread_cond_wait(&w->cv, &w->mu);
  int rc = w->bg_rc;
  pthread_mutex_unlock(&w->mu);
  return rc ? peil_error(rc, "%s", w->bg_msg ? w->bg_msg : peil_strerror(rc)) : PEIL_OK;
}

/* Stops the thread (after what it was handed). */
static void stop_behind(peil_table_writer *w) {
  if (!w->behind) return;
  pthread_mutex_lock(&w->mu);
  w->quit = 1;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
  pthread_join(w->thread, NULL);
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cv);
  w->behind = 0;
}

/* Writes the buffered rows at the end of every column, or hands a full
 * chunk to the write-behind thread and swaps in the other buffers. */
static int flush(peil_table_writer *w) {
  if (w->buffered == 0) return PEIL_OK;
  int rc;
  if (w->behind && w->buffered == w->chunk) {
    if ((rc = wait_behind(w))) return rc;
    for (size_t i = 0; i < w->ncols; i++) {
      void *b = w->c[i].buf;
      w->c[i].buf = w->c[i].spare;
      w->c[i].spare = b;
    }
    pthread_mutex_lock(&w->mu);
    w->pending_at = w->nrows;
    w->pending = w->buffered;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
  } else {
    if (w->behind && (rc = wait_behind(w))) return rc; /* keep the rows in order */
    if ((rc = write_rows(w, 0, w->nrows, w->buffered))) return rc;
  }
  w->nrows += (int64_t)w->buffered;
  w->buffered = 0;
  return PEIL_OK;
}

int peil_table_write_behind(peil_table_writer *w) {
  if (w->behind) return PEIL_OK;
  hbool_t safe = 0;
  if (H5is_library_threadsafe(&safe) < 0 || !safe) return PEIL_OK; /* HDF5 on one thread only */
  for (size_t i = 0; i < w->ncols; i++)
    if (!w->c[i].spare && !(w->c[i].spare = malloc(w->c[i].width * w->chunk)))
      return peil_error(PEIL_ENOMEM, "out of memory");
  if (pthread_mutex_init(&w->mu, NULL)) return peil_error(PEIL_ENOMEM, "cannot create a lock");
  if (pthread_cond_init(&w->cv, NULL)) {
    pthread_mutex_destroy(&w->mu);
    return peil_error(PEIL_ENOMEM, "cannot create a condition variable");
  }
  if (pthread_create(&w->thread, NULL, write_behind, w)) {
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    return PEIL_OK; /* no thread: write on the caller's */
  }
  w->behind = 1;
  return PEIL_OK;
}

/* Copies n values into the column buffer; enum codes are narrowed to their
 * on-disk width after a range check. */
static int stage(peil_table_writer *w, struct wcol *c, const void *src, size_t off, size_t n) {
  if (c->type != PEIL_ENUM) {
    memcpy((char *)c->buf + (w->buffered * c->width), (const char *)src + off * c->width,
           n * c->width);
    return PEIL_OK;
  }
  const int32_t *codes = (const int32_t *)src + off;
  for (size_t i = 0; i < n; i++) {
    int32_t v = codes[i];
    if (v < -1 || v >= (int32_t)c->nlevels)
      return peil_error(PEIL_EDATA, "table '%s', column '%s', row %lld: category code %d "
                        "outside 0..%zu", w->table, c->name,
                        (long long)(w->nrows + (int64_t)w->buffered + (int64_t)i + 1), v,
                        c->nlevels ? c->nlevels - 1 : 0);
    size_t at = w->buffered + i;
    if (c->width == 1) ((int8_t *)c->buf)[at] = (int8_t)v;
    else if (c->width == 2) ((int16_t *)c->buf)[at] = (int16_t)v;
    else ((int32_t *)c->buf)[at] = v;
  }
  return PEIL_OK;
}

int peil_table_append(peil_table_writer *w, const void *const *columns, size_t nrows) {
  size_t done = 0;
  while (done < nrows) {
    size_t room = w->chunk - w->buffered;
    size_t n = nrows - done < room ? nrows - done : room;
    for (size_t i = 0; i < w->ncols; i++) {
      int rc = stage(w, &w->c[i], columns[i], done, n);
      if (rc) return rc;
    }
    w->buffered += n;
    done += n;
    if (w->buffered == w->chunk) {
      int rc = flush(w);
      if (rc) return rc;
    }
  }
  return PEIL_OK;
}

int peil_table_finish(peil_table_writer *w) {
  int rc = flush(w);
  if (!rc && w->behind) rc = wait_behind(w);
  stop_behind(w);
  if (!rc) rc = peil_h5_attr_i64(w->group, "nrows", w->nrows);
  peil_table_writer_free(w);
  return rc;
}

int peil_table_write(peil_store *s, const char *table, const peil_column_def *cols, size_t ncols,
                     const void *const *data, size_t nrows) {
  peil_table_writer *w = NULL;
  int rc = peil_table_create(s, table, cols, ncols, &w);
  if (rc) return rc;
  if (nrows && (rc = peil_table_append(w, data, nrows))) {
    peil_table_writer_free(w);
    return rc;
  }
  return peil_table_finish(w);
}

void peil_table_writer_free(peil_table_writer *w) {
  if (!w) return;
  stop_behind(w);
  free(w->bg_msg);
  for (size_t i = 0; i < w->ncols; i++) {
    if (w->c[i].dset >= 0) H5Dclose(w->c[i].dset);
    if (w->c[i].mtype >= 0) H5Tclose(w->c[i].mtype);
    free(w->c[i].buf);
    free(w->c[i].spare);
    free(w->c[i].name);
  }
  if (w->group >= 0) H5Gclose(w->group);
  free(w->c);
  free(w->table);
  free(w);
}
