/* Internal to the store module: HDF5 handles and helpers. */
#ifndef PEIL_STORE_INTERNAL_H
#define PEIL_STORE_INTERNAL_H

#include <hdf5.h>

#include "peil/store.h"

/* HDF5 1.10 (Debian 12) and 1.12+ name these differently. */
#if H5_VERSION_GE(1, 12, 0)
typedef H5L_info2_t peil_h5_link_info;
typedef H5O_info2_t peil_h5_obj_info;
#define peil_h5_obj_info_by_name(g, n, oi) H5Oget_info_by_name3(g, n, oi, H5O_INFO_BASIC, H5P_DEFAULT)
#define peil_h5_link_iterate H5Literate2
#define peil_h5_is_hdf5(path) H5Fis_accessible(path, H5P_DEFAULT)
#else
typedef H5L_info_t peil_h5_link_info;
typedef H5O_info_t peil_h5_obj_info;
#define peil_h5_obj_info_by_name(g, n, oi) H5Oget_info_by_name2(g, n, oi, H5O_INFO_BASIC, H5P_DEFAULT)
#define peil_h5_link_iterate H5Literate
#define peil_h5_is_hdf5(path) H5Fis_hdf5(path)
#endif

struct peil_store {
  hid_t file;
  char *path;                /* the target path the user named */
  int flags;                 /* PEIL_STORE_READ / CREATE / UPDATE */
  peil_atomic_file *atomic;  /* writable stores: the temporary beside path */
  peil_filter filter;
  size_t chunk_rows;
};

/* Once per process: silence HDF5's own error printing (peil reports errors
 * itself) and register the LZF filter. Safe to call from any thread. */
int peil_store_init(void);

/* Sets the error message with HDF5's innermost message appended. */
int peil_h5_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* File type of a column for writing, memory type for reading/writing as
 * peil holds it. Enum types need the level labels. Caller closes. */
hid_t peil_h5_file_type(peil_type t, size_t nlevels, const char *const *levels);
/* Width in bytes of an enum's code on disk: 1 or 2 (or 4 for > 32767 levels). */
size_t peil_h5_enum_width(size_t nlevels);

/* Reads a dataset's peil schema (type, levels, units, missing sentinel).
 * *foreign_na receives the file's missing sentinel as int64, *has_na
 * whether one is declared. */
int peil_h5_column_info(hid_t dset, const char *table, const char *name,
                        peil_column_info *info, int64_t *foreign_na, int *has_na);
void peil_column_info_clear(peil_column_info *c);

/* Open a table's group with a clear error if absent. */
hid_t peil_h5_open_table(peil_store *s, const char *table);

/* Registers h5py's LZF filter with HDF5 (lzf_filter.c). */
int peil_lzf_register(void);

/* The filter pipeline for a new column. */
int peil_h5_set_filter(hid_t dcpl, peil_filter f, size_t elem_size, hsize_t chunk_rows);

/* Attributes on any object. */
int peil_h5_attr_str(hid_t obj, const char *key, const char *value);
int peil_h5_attr_i64(hid_t obj, const char *key, int64_t value);
int peil_h5_attr_f64(hid_t obj, const char *key, double value);
int peil_h5_read_attr_str(hid_t obj, const char *key, char **out); /* 1 = found */

#endif
