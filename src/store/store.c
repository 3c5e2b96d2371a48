/* Opening, committing and closing stores; attributes; the table list. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_internal.h"

/* Copies src over the (already created) file at dst, for UPDATE: the copy is
 * what changes; the original stays untouched until commit renames. */
static int copy_file(const char *src, const char *dst) {
  int in = open(src, O_RDONLY), out = -1, rc = PEIL_OK;
  if (in < 0) return peil_error(PEIL_EIO, "cannot read '%s': %s", src, strerror(errno));
  out = open(dst, O_WRONLY | O_TRUNC);
  if (out < 0) {
    close(in);
    return peil_error(PEIL_EIO, "cannot write '%s': %s", dst, strerror(errno));
  }
  for (;;) {
    ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)1 << 30, 0);
    if (n == 0) break;
    if (n < 0) {
      /* Fall back to read/write where the kernel or file system refuses. */
      char buf[1 << 16];
      ssize_t r;
      while ((r = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)r) != r) {
          r = -1;
          break;
        }
      if (r < 0) rc = peil_error(PEIL_EIO, "copying '%s': %s", src, strerror(errno));
      break;
    }
  }
  close(in);
  close(out);
  return rc;
}

static void set_root_attrs_new(peil_store *s) {
  char when[32];
  time_t now = time(NULL);
  struct tm tmv;
  gmtime_r(&now, &tmv);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tmv);
  peil_h5_attr_i64(s->file, "schema_version", PEIL_STORE_SCHEMA_VERSION);
  peil_h5_attr_str(s->file, "created", when);
  peil_h5_attr_str(s->file, "peil_version", peil_version());
}

int peil_store_is_hdf5(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0 || peil_store_init() != PEIL_OK) return 0; /* quiet HDF5 */
  int yes = peil_h5_is_hdf5(path) > 0;
  H5Eclear2(H5E_DEFAULT);
  return yes;
}

int peil_store_open_scratch(const char *what, peil_store **out) {
  static unsigned long serial;
  char name[128];
  snprintf(name, sizeof name, "%s-%lu", what, __atomic_fetch_add(&serial, 1, __ATOMIC_RELAXED));
  return peil_store_open(name, PEIL_STORE_MEMORY, out);
}

int peil_store_open(const char *path, int flags, peil_store **out) {
  *out = NULL;
  int rc = peil_store_init();
  if (rc) return rc;
  peil_store *s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path))) {
    free(s);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  s->file = -1;
  s->flags = flags;
  s->filter = PEIL_FILTER_DEFAULT;
  s->chunk_rows = PEIL_BLOCK_ROWS;
  struct stat st;
  int exists = stat(path, &st) == 0;

  if (flags == PEIL_STORE_MEMORY) {
    /* HDF5's core driver without a backing file: writes and reads are
     * memory copies, and chunks are not compressed (nothing to save). */
    s->filter = PEIL_FILTER_NONE;
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pset_fapl_core(fapl, (size_t)16 << 20, 0);
    s->file = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
    H5Pclose(fcpl);
    H5Pclose(fapl);
    if (s->file < 0) rc = peil_h5_error("%s: cannot create a store in memory", path);
    else set_root_attrs_new(s);
  } else if (flags == PEIL_STORE_READ) {
    if (!exists) {
      rc = peil_error(PEIL_ENOTFOUND, "%s: no such file", path);
    } else if (peil_h5_is_hdf5(path) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      rc = peil_error(PEIL_EDATA, "%s: not an HDF5 file", path);
    } else {
      s->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
      if (s->file < 0) rc = peil_h5_error("%s: cannot open store", path);
    }
  } else {
    if (exists && S_ISDIR(st.st_mode))
      rc = peil_error(PEIL_EINVAL, "%s: is a directory", path);
    else if (exists && flags == PEIL_STORE_UPDATE && peil_h5_is_hdf5(path) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      rc = peil_error(PEIL_EDATA, "%s: exists and is not an HDF5 file", path);
    }
    if (!rc) rc = peil_atomic_open(path, &s->atomic);
    const char *tmp = s->atomic ? peil_atomic_temp_path(s->atomic) : NULL;
    if (!rc && flags == PEIL_STORE_UPDATE && exists) {
      rc = copy_file(path, tmp);
      if (!rc) {
        s->file = H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT);
        if (s->file < 0) rc = peil_h5_error("%s: cannot open store for update", path);
      }
    } else if (!rc) {
      /* Track creation order so h5py lists tables and columns as written. */
      hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
      H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
      s->file = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
      H5Pclose(fcpl);
      if (s->file < 0) rc = peil_h5_error("%s: cannot create store", path);
      else set_root_attrs_new(s);
    }
  }
  if (rc) {
    peil_store_close(s);
    return rc;
  }
  *out = s;
  return PEIL_OK;
}

int peil_store_commit(peil_store *s) {
  if (s->flags == PEIL_STORE_MEMORY)
    return peil_error(PEIL_EINVAL, "%s: a store in memory is not committed", s->path);
  if (!s->atomic) return peil_error(PEIL_EINVAL, "%s: store is read-only", s->path);
  int rc = PEIL_OK;
  if (H5Fflush(s->file, H5F_SCOPE_GLOBAL) < 0) rc = peil_h5_error("%s: flush failed", s->path);
  if (H5Fclose(s->file) < 0 && !rc) rc = peil_h5_error("%s: close failed", s->path);
  s->file = -1;
  if (rc) {
    peil_atomic_abort(s->atomic);
  } else {
    rc = peil_atomic_commit(s->atomic);
  }
  s->atomic = NULL;
  return rc;
}

void peil_store_close(peil_store *s) {
  if (!s) return;
  if (s->file >= 0) H5Fclose(s->file);
  peil_atomic_abort(s->atomic); /* no-op after commit */
  free(s->path);
  free(s);
}

const char *peil_store_path(const peil_store *s) { return s->path; }

void peil_store_set_filter(peil_store *s, peil_filter f) { s->filter = f; }

void peil_store_set_chunk_rows(peil_store *s, size_t rows) {
  s->chunk_rows = rows ? rows : PEIL_BLOCK_ROWS;
}

static const char *const filter_names[] = {"none", "lzf", "shuffle-lzf", "deflate"};

const char *peil_filter_name(peil_filter f) {
  return (unsigned)f < sizeof filter_names / sizeof *filter_names ? filter_names[f] : "?";
}

int peil_filter_from_name(const char *name) {
  for (size_t i = 0; i < sizeof filter_names / sizeof *filter_names; i++)
    if (strcmp(name, filter_names[i]) == 0) return (int)i;
  return -1;
}

/* The object attributes live on: the root, or a table's group. */
static hid_t attr_owner(peil_store *s, const char *table) {
  if (!table) return H5Oopen(s->file, "/", H5P_DEFAULT);
  return peil_h5_open_table(s, table);
}

static int need_writable(peil_store *s) {
  return s->atomic || s->flags == PEIL_STORE_MEMORY
             ? PEIL_OK
             : peil_error(PEIL_EINVAL, "%s: store is read-only", s->path);
}

int peil_store_set_attr_str(peil_store *s, const char *table, const char *key, const char *v) {
  int rc = need_writable(s);
  if (rc) return rc;
  hid_t o = attr_owner(s, table);
  if (o < 0) return PEIL_ENOTFOUND;
  rc = peil_h5_attr_str(o, key, v);
  H5Oclose(o);
  return rc;
}

int peil_store_set_attr_f64(peil_store *s, const char *table, const char *key, double v) {
  int rc = need_writable(s);
  if (rc) return rc;
  hid_t o = attr_owner(s, table);
  if (o < 0) return PEIL_ENOTFOUND;
  rc = peil_h5_attr_f64(o, key, v);
  H5Oclose(o);
  return rc;
}

int peil_store_set_attr_i64(peil_store *s, const char *table, const char *key, int64_t v) {
  int rc = need_writable(s);
  if (rc) return rc;
  hid_t o = attr_owner(s, table);
  if (o < 0) return PEIL_ENOTFOUND;
  rc = peil_h5_attr_i64(o, key, v);
  H5Oclose(o);
  return rc;
}

int peil_store_get_attr_str(peil_store *s, const char *table, const char *key, char **out) {
  hid_t o = attr_owner(s, table);
  if (o < 0) return PEIL_ENOTFOUND;
  int r = peil_h5_read_attr_str(o, key, out);
  H5Oclose(o);
  if (r == 0)
    return peil_error(PEIL_ENOTFOUND, "%s: no attribute '%s'%s%s", s->path, key,
                      table ? " on table " : "", table ? table : "");
  return r < 0 ? r : PEIL_OK;
}

int peil_store_get_attr_f64(peil_store *s, const char *table, const char *key, double *out) {
  hid_t o = attr_owner(s, table);
  if (o < 0) return PEIL_ENOTFOUND;
  int rc = PEIL_OK;
  if (H5Aexists(o, key) <= 0) {
    rc = peil_error(PEIL_ENOTFOUND, "%s: no attribute '%s'", s->path, key);
  } else {
    hid_t a = H5Aopen(o, key, H5P_DEFAULT);
    if (H5Aread(a, H5T_NATIVE_DOUBLE, out) < 0)
      rc = peil_h5_error("%s: attribute '%s' is not a number", s->path, key);
    H5Aclose(a);
  }
  H5Oclose(o);
  return rc;
}

/* ---- Listing attributes as text. */
struct attr_list {
  peil_attr *v;
  size_t n, cap;
};

static char *attr_text(hid_t obj, const char *name) {
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t ft = H5Aget_type(a);
  hid_t sp = H5Aget_space(a);
  char buf[64];
  char *text = NULL;
  if (H5Tget_class(ft) == H5T_STRING) {
    H5Aclose(a);
    peil_h5_read_attr_str(obj, name, &text);
  } else {
    if (H5Sget_simple_extent_npoints(sp) == 1 &&
        (H5Tget_class(ft) == H5T_INTEGER || H5Tget_class(ft) == H5T_FLOAT)) {
      if (H5Tget_class(ft) == H5T_INTEGER) {
        long long v = 0;
        H5Aread(a, H5T_NATIVE_LLONG, &v);
        snprintf(buf, sizeof buf, "%lld", v);
      } else {
        double v = 0;
        H5Aread(a, H5T_NATIVE_DOUBLE, &v);
        /* The shortest form that reads back as the same double: 0.8, not
         * 0.80000000000000004. */
        for (int prec = 15; prec <= 17; prec++) {
          snprintf(buf, sizeof buf, "%.*g", prec, v);
          if (strtod(buf, NULL) == v) break;
        }
      }
    } else {
      snprintf(buf, sizeof buf, "(%lld values)", (long long)H5Sget_simple_extent_npoints(sp));
    }
    text = strdup(buf);
    H5Aclose(a);
  }
  H5Sclose(sp);
  H5Tclose(ft);
  return text;
}

static herr_t collect_attr(hid_t obj, const char *name, const H5A_info_t *ai, void *data) {
  (void)ai;
  struct attr_list *l = data;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    peil_attr *v = realloc(l->v, cap * sizeof *v);
    if (!v) return -1;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n].key = strdup(name);
  l->v[l->n].value = attr_text(obj, name);
  l->n++;
  return 0;
}

static int cmp_attr(const void *a, const void *b) {
  return strcmp(((const peil_attr *)a)->key, ((const peil_attr *)b)->key);
}

int peil_store_list_attrs(peil_store *s, const char *table, peil_attr **attrs, size_t *n) {
  *attrs = NULL;
  *n = 0;
  hid_t o = attr_owner(s, table);
  if (o < 0) return PEIL_ENOTFOUND;
  struct attr_list l = {0};
  herr_t r = H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_attr, &l);
  H5Oclose(o);
  if (r < 0) {
    peil_attrs_free(l.v, l.n);
    return peil_h5_error("%s: cannot list attributes", s->path);
  }
  qsort(l.v, l.n, sizeof *l.v, cmp_attr);
  *attrs = l.v;
  *n = l.n;
  return PEIL_OK;
}

void peil_attrs_free(peil_attr *attrs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(attrs[i].key);
    free(attrs[i].value);
  }
  free(attrs);
}

/* ---- Tables. */
struct name_list {
  char **v;
  size_t n, cap;
  int groups_only;
};

static herr_t collect_name(hid_t g, const char *name, const peil_h5_link_info *li, void *data) {
  (void)li;
  struct name_list *l = data;
  peil_h5_obj_info oi;
  if (peil_h5_obj_info_by_name(g, name, &oi) < 0) return -1;
  if (oi.type != (l->groups_only ? H5O_TYPE_GROUP : H5O_TYPE_DATASET)) return 0;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    char **v = realloc(l->v, cap * sizeof *v);
    if (!v) return -1;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = strdup(name);
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int peil_store_list_tables(peil_store *s, char ***names, size_t *n) {
  struct name_list l = {NULL, 0, 0, 1};
  if (peil_h5_link_iterate(s->file, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_name, &l) < 0) {
    peil_strings_free(l.v, l.n);
    return peil_h5_error("%s: cannot list tables", s->path);
  }
  qsort(l.v, l.n, sizeof *l.v, cmp_str);
  *names = l.v;
  *n = l.n;
  return PEIL_OK;
}

void peil_strings_free(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

int peil_store_has_table(peil_store *s, const char *table) {
  if (!table || !*table || strchr(table, '/')) return 0;
  int r = H5Lexists(s->file, table, H5P_DEFAULT) > 0;
  H5Eclear2(H5E_DEFAULT);
  return r;
}

int peil_store_drop_table(peil_store *s, const char *table) {
  int rc = need_writable(s);
  if (rc) return rc;
  if (!peil_store_has_table(s, table))
    return peil_error(PEIL_ENOTFOUND, "%s: no table '%s'", s->path, table);
  if (H5Ldelete(s->file, table, H5P_DEFAULT) < 0)
    return peil_h5_error("%s: cannot remove table '%s'", s->path, table);
  return PEIL_OK;
}

int peil_store_valid_name(const char *name) {
  return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0;
}

int peil_store_rename_table(peil_store *s, const char *from, const char *to) {
  int rc = need_writable(s);
  if (rc) return rc;
  if (!peil_store_has_table(s, from))
    return peil_error(PEIL_ENOTFOUND, "%s: no table '%s'", s->path, from ? from : "");
  if (!peil_store_valid_name(to))
    return peil_error(PEIL_EINVAL, "invalid table name '%s' (empty or contains '/')", to ? to : "");
  if (peil_store_has_table(s, to))
    return peil_error(PEIL_EEXIST, "%s: table '%s' exists already", s->path, to);
  /* H5Lmove relinks the group: no data is copied. */
  if (H5Lmove(s->file, from, s->file, to, H5P_DEFAULT, H5P_DEFAULT) < 0)
    return peil_h5_error("%s: cannot rename table '%s' to '%s'", s->path, from, to);
  return PEIL_OK;
}

/* Columns in creation order where tracked (peil's stores), else by name. */
static int list_columns(hid_t g, char ***names, size_t *n) {
  struct name_list l = {NULL, 0, 0, 0};
  hid_t gcpl = H5Gget_create_plist(g);
  unsigned order = 0;
  H5Pget_link_creation_order(gcpl, &order);
  H5Pclose(gcpl);
  H5_index_t idx = (order & H5P_CRT_ORDER_INDEXED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
  if (peil_h5_link_iterate(g, idx, H5_ITER_INC, NULL, collect_name, &l) < 0) {
    peil_strings_free(l.v, l.n);
    return peil_h5_error("cannot list columns");
  }
  *names = l.v;
  *n = l.n;
  return PEIL_OK;
}

int peil_store_table_info(peil_store *s, const char *table, peil_table_info **out) {
  *out = NULL;
  hid_t g = peil_h5_open_table(s, table);
  if (g < 0) return PEIL_ENOTFOUND;
  char **names = NULL;
  size_t n = 0;
  int rc = list_columns(g, &names, &n);
  peil_table_info *t = calloc(1, sizeof *t);
  if (!rc && (!t || !(t->cols = calloc(n ? n : 1, sizeof *t->cols))))
    rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) {
    t->name = strdup(table);
    t->nrows = -1;
  }
  for (size_t i = 0; !rc && i < n; i++) {
    hid_t d = H5Dopen2(g, names[i], H5P_DEFAULT);
    int64_t na;
    int has_na;
    if (d < 0) {
      rc = peil_h5_error("%s: cannot open column %s/%s", s->path, table, names[i]);
      break;
    }
    rc = peil_h5_column_info(d, table, names[i], &t->cols[i], &na, &has_na);
    if (!rc) {
      t->ncols = i + 1;
      hid_t sp = H5Dget_space(d);
      hsize_t len = 0;
      H5Sget_simple_extent_dims(sp, &len, NULL);
      H5Sclose(sp);
      if (t->nrows >= 0 && (int64_t)len != t->nrows)
        rc = peil_error(PEIL_EDATA, "%s: table '%s' is ragged: column '%s' has %llu rows, '%s' has %lld",
                        s->path, table, names[i], (unsigned long long)len, names[0],
                        (long long)t->nrows);
      t->nrows = (int64_t)len;
    }
    H5Dclose(d);
  }
  if (!rc && t->nrows < 0) t->nrows = 0;
  peil_strings_free(names, n);
  H5Gclose(g);
  if (rc) {
    peil_table_info_free(t);
    return rc;
  }
  *out = t;
  return PEIL_OK;
}

void peil_table_info_free(peil_table_info *t) {
  if (!t) return;
  for (size_t i = 0; i < t->ncols; i++) peil_column_info_clear(&t->cols[i]);
  free(t->cols);
  free(t->name);
  free(t);
}

int peil_table_info_find(const peil_table_info *t, const char *col) {
  for (size_t i = 0; i < t->ncols; i++)
    if (strcmp(t->cols[i].name, col) == 0) return (int)i;
  return -1;
}
