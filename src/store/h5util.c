/* HDF5 plumbing: library set-up, error messages, type mapping, attributes. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"


static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_status = PEIL_OK;

static void init_hdf5(void) {
  if (H5open() < 0) {
    init_status = PEIL_EHDF5;
    return;
  }
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (peil_lzf_register() < 0) init_status = PEIL_EHDF5;
}

int peil_store_init(void) {
  pthread_once(&init_once, init_hdf5);
  if (init_status != PEIL_OK)
    return peil_error(init_status, "cannot initialise HDF5 (or register the LZF filter)");
  return PEIL_OK;
}

void peil_store_quiet_thread(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/* H5Ewalk callback: keep the innermost (first) description. */
static herr_t keep_first(unsigned n, const H5E_error2_t *e, void *data) {
  if (n == 0 && e->desc) snprintf((char *)data, 512, "%s", e->desc);
  return 0;
}

int peil_h5_error(const char *fmt, ...) {
  char what[1024], detail[512] = "";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_first, detail);
  H5Eclear2(H5E_DEFAULT);
  if (detail[0]) return peil_error(PEIL_EHDF5, "%s (HDF5: %s)", what, detail);
  return peil_error(PEIL_EHDF5, "%s", what);
}

size_t peil_h5_enum_width(size_t nlevels) {
  return nlevels <= 127 ? 1 : nlevels <= 32767 ? 2 : 4;
}

/* An enum type with codes of the given HDF5 integer type. */
static hid_t enum_type(hid_t base, size_t width, size_t nlevels, const char *const *levels) {
  hid_t t = H5Tenum_create(base);
  if (t < 0) return -1;
  for (size_t i = 0; i < nlevels; i++) {
    int8_t v1 = (int8_t)i;
    int16_t v2 = (int16_t)i;
    int32_t v4 = (int32_t)i;
    const void *v = width == 1 ? (const void *)&v1 : width == 2 ? (const void *)&v2 : (const void *)&v4;
    if (H5Tenum_insert(t, levels[i], v) < 0) {
      H5Tclose(t);
      return -1;
    }
  }
  return t;
}

hid_t peil_h5_file_type(peil_type t, size_t nlevels, const char *const *levels) {
  switch (t) {
  case PEIL_INT8:
  case PEIL_BOOL: return H5Tcopy(H5T_STD_I8LE);
  case PEIL_INT16: return H5Tcopy(H5T_STD_I16LE);
  case PEIL_INT32:
  case PEIL_DATE: return H5Tcopy(H5T_STD_I32LE);
  case PEIL_INT64: return H5Tcopy(H5T_STD_I64LE);
  case PEIL_FLOAT32: return H5Tcopy(H5T_IEEE_F32LE);
  case PEIL_FLOAT64: return H5Tcopy(H5T_IEEE_F64LE);
  case PEIL_ENUM: {
    size_t w = peil_h5_enum_width(nlevels);
    hid_t base = w == 1 ? H5T_STD_I8LE : w == 2 ? H5T_STD_I16LE : H5T_STD_I32LE;
    return enum_type(base, w, nlevels, levels);
  }
  default: return -1;
  }
}

/* Variable-length UTF-8, so that h5py returns Python str, not bytes. */
int peil_h5_attr_str(hid_t obj, const char *key, const char *value) {
  if (H5Aexists(obj, key) > 0) H5Adelete(obj, key);
  hid_t ty = H5Tcopy(H5T_C_S1);
  H5Tset_size(ty, H5T_VARIABLE);
  H5Tset_cset(ty, H5T_CSET_UTF8);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, key, ty, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t r = a < 0 ? -1 : H5Awrite(a, ty, &value);
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(ty);
  return r < 0 ? peil_h5_error("cannot write attribute '%s'", key) : PEIL_OK;
}

static int attr_scalar(hid_t obj, const char *key, hid_t ftype, hid_t mtype, const void *v) {
  if (H5Aexists(obj, key) > 0) H5Adelete(obj, key);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, key, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t r = a < 0 ? -1 : H5Awrite(a, mtype, v);
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  return r < 0 ? peil_h5_error("cannot write attribute '%s'", key) : PEIL_OK;
}

int peil_h5_attr_i64(hid_t obj, const char *key, int64_t value) {
  return attr_scalar(obj, key, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

int peil_h5_attr_f64(hid_t obj, const char *key, double value) {
  return attr_scalar(obj, key, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

/* Reads a string attribute (fixed or variable length). 1 found, 0 absent,
 * negative on error. */
int peil_h5_read_attr_str(hid_t obj, const char *key, char **out) {
  *out = NULL;
  if (H5Aexists(obj, key) <= 0) return 0;
  hid_t a = H5Aopen(obj, key, H5P_DEFAULT);
  hid_t ft = H5Aget_type(a);
  int rc = 1;
  if (H5Tget_class(ft) != H5T_STRING) {
    rc = peil_error(PEIL_ETYPE, "attribute '%s' is not a string", key);
  } else if (H5Tis_variable_str(ft) > 0) {
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5Tget_cset(ft));
    char *v = NULL;
    if (H5Aread(a, mt, &v) < 0) rc = peil_h5_error("cannot read attribute '%s'", key);
    else {
      *out = strdup(v ? v : "");
      H5free_memory(v);
    }
    H5Tclose(mt);
  } else {
    size_t n = H5Tget_size(ft);
    char *v = calloc(n + 1, 1);
    hid_t mt = H5Tcopy(ft);
    if (!v) rc = peil_error(PEIL_ENOMEM, "out of memory");
    else if (H5Aread(a, mt, v) < 0) {
      rc = peil_h5_error("cannot read attribute '%s'", key);
      free(v);
    } else
      *out = v;
    H5Tclose(mt);
  }
  H5Tclose(ft);
  H5Aclose(a);
  return rc;
}

void peil_column_info_clear(peil_column_info *c) {
  free(c->name);
  for (size_t i = 0; i < c->nlevels; i++) free(c->levels[i]);
  free(c->levels);
  free(c->units);
  memset(c, 0, sizeof *c);
}

/* Reads an integer attribute into int64 (1 found, 0 absent). */
static int read_attr_int(hid_t obj, const char *key, int64_t *v) {
  if (H5Aexists(obj, key) <= 0) return 0;
  hid_t a = H5Aopen(obj, key, H5P_DEFAULT);
  hid_t ft = H5Aget_type(a);
  int ok = H5Tget_class(ft) == H5T_INTEGER || H5Tget_class(ft) == H5T_ENUM;
  if (ok && H5Tget_class(ft) == H5T_ENUM) {
    hid_t super = H5Tget_super(ft);
    H5Tclose(ft);
    ft = super;
  }
  ok = ok && H5Aread(a, H5T_NATIVE_INT64, v) >= 0;
  H5Tclose(ft);
  H5Aclose(a);
  H5Eclear2(H5E_DEFAULT);
  return ok ? 1 : 0;
}

/* Enum levels in code order; requires codes 0..n-1 (peil's own enums, and
 * h5py's from pandas categoricals). */
static int enum_levels(hid_t ft, const char *table, const char *name, peil_column_info *info) {
  int n = H5Tget_nmembers(ft);
  if (n < 0) return peil_h5_error("cannot read the levels of %s/%s", table, name);
  info->levels = calloc((size_t)n + 1, sizeof *info->levels);
  if (!info->levels) return peil_error(PEIL_ENOMEM, "out of memory");
  info->nlevels = (size_t)n;
  hid_t super = H5Tget_super(ft);
  for (int i = 0; i < n; i++) {
    int64_t code = 0;
    char raw[8] = {0};
    H5Tget_member_value(ft, (unsigned)i, raw);
    /* The member value is in the base type: convert it to int64. */
    H5Tconvert(super, H5T_NATIVE_INT64, 1, raw, NULL, H5P_DEFAULT);
    memcpy(&code, raw, sizeof code);
    if (code < 0 || code >= n || info->levels[code]) {
      H5Tclose(super);
      return peil_error(PEIL_ETYPE,
                        "column %s/%s: enum codes must be 0..%d without gaps (found %lld)",
                        table, name, n - 1, (long long)code);
    }
    char *label = H5Tget_member_name(ft, (unsigned)i);
    info->levels[code] = strdup(label ? label : "");
    H5free_memory(label);
  }
  H5Tclose(super);
  return PEIL_OK;
}

int peil_h5_column_info(hid_t dset, const char *table, const char *name,
                        peil_column_info *info, int64_t *foreign_na, int *has_na) {
  memset(info, 0, sizeof *info);
  info->name = strdup(name);
  *has_na = 0;
  *foreign_na = 0;
  hid_t ft = H5Dget_type(dset);
  H5T_class_t cls = H5Tget_class(ft);
  size_t size = H5Tget_size(ft);
  char *ptype = NULL, *units = NULL;
  int rc = PEIL_OK;
  if (peil_h5_read_attr_str(dset, "peil_type", &ptype) < 0 ||
      peil_h5_read_attr_str(dset, "units", &units) < 0)
    H5Eclear2(H5E_DEFAULT);
  info->units = units;
  hid_t sp = H5Dget_space(dset);
  if (H5Sget_simple_extent_ndims(sp) != 1)
    rc = peil_error(PEIL_ETYPE, "column %s/%s is not one-dimensional", table, name);
  H5Sclose(sp);
  if (rc == PEIL_OK) switch (cls) {
    case H5T_INTEGER: {
      int sgn = H5Tget_sign(ft) == H5T_SGN_2;
      /* Unsigned columns widen to the next signed type so no value is lost. */
      size_t w = sgn ? size : size * 2;
      info->type = w == 1 ? PEIL_INT8 : w == 2 ? PEIL_INT16 : w == 4 ? PEIL_INT32 : PEIL_INT64;
      if (!sgn && size == 8)
        rc = peil_error(PEIL_ETYPE, "column %s/%s is uint64, which peil does not read", table, name);
      if (ptype && strcmp(ptype, "bool") == 0 && size == 1) info->type = PEIL_BOOL;
      if (size == 4 && sgn &&
          ((ptype && strcmp(ptype, "date") == 0) ||
           (units && strncmp(units, "days since 1970-01-01", 21) == 0)))
        info->type = PEIL_DATE;
      break;
    }
    case H5T_FLOAT: info->type = size == 4 ? PEIL_FLOAT32 : PEIL_FLOAT64; break;
    case H5T_ENUM: {
      int nm = H5Tget_nmembers(ft);
      char *m0 = nm == 2 ? H5Tget_member_name(ft, 0) : NULL;
      /* h5py stores numpy booleans as the enum {FALSE, TRUE}. */
      if (m0 && strcmp(m0, "FALSE") == 0 && size == 1) {
        info->type = PEIL_BOOL;
      } else {
        info->type = PEIL_ENUM;
        rc = enum_levels(ft, table, name, info);
      }
      H5free_memory(m0);
      break;
    }
    default:
      rc = peil_error(PEIL_ETYPE,
                      "column %s/%s has an HDF5 type peil does not read (strings, "
                      "compounds and arrays are not columns; store categories as enums)",
                      table, name);
  }
  free(ptype);
  H5Tclose(ft);
  if (rc == PEIL_OK && info->type != PEIL_FLOAT32 && info->type != PEIL_FLOAT64)
    *has_na = read_attr_int(dset, "missing", foreign_na);
  if (rc != PEIL_OK) peil_column_info_clear(info);
  return rc;
}

hid_t peil_h5_open_table(peil_store *s, const char *table) {
  if (!table || !*table || strchr(table, '/') ||
      H5Lexists(s->file, table, H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    peil_error(PEIL_ENOTFOUND, "%s: no table '%s'", s->path, table ? table : "");
    return -1;
  }
  hid_t g = H5Gopen2(s->file, table, H5P_DEFAULT);
  if (g < 0) peil_h5_error("%s: cannot open table '%s'", s->path, table);
  return g;
}
