/* peil/store.h: the HDF5 column store.
 *
 * A store is one HDF5 file: one group per table, one 1-D dataset per column,
 * all columns of a table the same length (docs/store-format.md). Writing is
 * atomic: a writable store is a temporary copy beside the target that
 * peil_store_commit() renames into place; peil_store_close() without commit
 * discards every change.
 *
 * Reading goes through a scan: a fixed subset of columns delivered in row
 * blocks, so memory grows with the columns a job uses, never with the file.
 */
#ifndef PEIL_STORE_H
#define PEIL_STORE_H

#include "peil/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PEIL_STORE_SCHEMA_VERSION 1

/* Rows per block in scans and per HDF5 chunk (benchmarks/store_format.md). */
#define PEIL_BLOCK_ROWS 65536

typedef struct peil_store peil_store;

/* Compression filter of new columns. */
typedef enum {
  PEIL_FILTER_NONE = 0,
  PEIL_FILTER_LZF,         /* h5py's built-in LZF (filter 32000) */
  PEIL_FILTER_SHUFFLE_LZF, /* byte shuffle, then LZF */
  PEIL_FILTER_DEFLATE,     /* byte shuffle, then deflate level 1 */
} peil_filter;

/* The default filter, chosen by benchmarks/store_format (RESULTS.md). */
#define PEIL_FILTER_DEFAULT PEIL_FILTER_LZF

/* Open flags. */
enum {
  PEIL_STORE_READ = 0,   /* read only */
  PEIL_STORE_CREATE = 1, /* new store; an existing file is replaced on commit */
  PEIL_STORE_UPDATE = 2, /* copy of an existing store (or a new one) to add to */
  PEIL_STORE_MEMORY = 3  /* a scratch store held in memory (path only names it), never
                            committed: intermediate tables that are read back many times */
};

int peil_store_open(const char *path, int flags, peil_store **out);
/* A scratch store in memory (PEIL_STORE_MEMORY) under a name of its own,
 * "<what>-<serial>": HDF5 keeps one in-memory file per name, and runs (or
 * their threads) may be at work side by side. */
int peil_store_open_scratch(const char *what, peil_store **out);
/* Is the file at path an HDF5 file (1), or not / not readable (0)? For
 * commands that take a store or a CSV file. */
int peil_store_is_hdf5(const char *path);
/* Writable stores only: make the changes visible at the path, atomically. */
int peil_store_commit(peil_store *s);
/* Closes; for a writable store without commit, discards the changes. */
void peil_store_close(peil_store *s);

const char *peil_store_path(const peil_store *s);
/* Filter and chunk length (rows) of columns created from now on. */
void peil_store_set_filter(peil_store *s, peil_filter f);
void peil_store_set_chunk_rows(peil_store *s, size_t rows);
/* "none", "lzf", "shuffle-lzf", "deflate" and back (-1 if unknown). */
const char *peil_filter_name(peil_filter f);
int peil_filter_from_name(const char *name);

/* ---- Attributes (of the file's root when table is NULL, else the table's group). */
int peil_store_set_attr_str(peil_store *s, const char *table, const char *key,
                            const char *value);
int peil_store_set_attr_f64(peil_store *s, const char *table, const char *key, double value);
int peil_store_set_attr_i64(peil_store *s, const char *table, const char *key, int64_t value);
/* Reads a string attribute; *out is malloc'ed. PEIL_ENOTFOUND if absent. */
int peil_store_get_attr_str(peil_store *s, const char *table, const char *key, char **out);
int peil_store_get_attr_f64(peil_store *s, const char *table, const char *key, double *out);

/* One attribute as text, for listings (numbers in the shortest form that
 * reads back as the same double). */
typedef struct {
  char *key;
  char *value;
} peil_attr;
/* All attributes of the root (table NULL) or a table, sorted by key. */
int peil_store_list_attrs(peil_store *s, const char *table, peil_attr **attrs, size_t *n);
void peil_attrs_free(peil_attr *attrs, size_t n);

/* ---- Schema. */
typedef struct {
  char *name;
  peil_type type;
  size_t nlevels; /* PEIL_ENUM: labels of codes 0..nlevels-1 */
  char **levels;
  char *units; /* "days since 1970-01-01" for dates, else NULL */
} peil_column_info;

typedef struct {
  char *name;
  int64_t nrows;
  size_t ncols;
  peil_column_info *cols;
} peil_table_info;

/* Table names in the store, sorted. */
int peil_store_list_tables(peil_store *s, char ***names, size_t *n);
void peil_strings_free(char **v, size_t n);
int peil_store_has_table(peil_store *s, const char *table);
/* Can a table or column be called `name` (not empty, no '/', not ".")? */
int peil_store_valid_name(const char *name);
int peil_store_table_info(peil_store *s, const char *table, peil_table_info **out);
void peil_table_info_free(peil_table_info *t);
/* Index of a column in t, or -1. */
int peil_table_info_find(const peil_table_info *t, const char *col);

/* Removes a table (writable stores): used for --replace. HDF5 does not
 * give the space back inside the file (h5repack does). */
int peil_store_drop_table(peil_store *s, const char *table);
/* Renames a table (writable stores), in one step: a table written under a
 * temporary name and renamed when complete is never seen half-written by
 * the store's user. PEIL_ENOTFOUND if `from` is absent, PEIL_EEXIST if
 * `to` exists (drop it first to replace it), PEIL_EINVAL for a bad name. */
int peil_store_rename_table(peil_store *s, const char *from, const char *to);

/* ---- Writing a table. Columns are appended in row blocks; each block passes
 * one buffer per column in its in-memory type (enum codes as int32, with
 * PEIL_NA_ENUM for missing; dates int32; bools int8). */
typedef struct {
  const char *name;
  peil_type type;
  size_t nlevels;            /* PEIL_ENUM */
  const char *const *levels; /* PEIL_ENUM, nlevels labels */
} peil_column_def;

typedef struct peil_table_writer peil_table_writer;

/* The bytes HDF5 needs for an enum type with these labels. HDF5 keeps the
 * type in one object header message of at most 64 kB, so a column whose
 * labels need more than PEIL_ENUM_TYPE_MAX cannot be a categorical. */
#define PEIL_ENUM_TYPE_MAX 65000
size_t peil_enum_type_bytes(size_t nlevels, const char *const *levels);

/* PEIL_EEXIST if the table exists (drop it first to replace); PEIL_EINVAL
 * for bad names or an enum whose labels exceed PEIL_ENUM_TYPE_MAX. */
int peil_table_create(peil_store *s, const char *table, const peil_column_def *cols,
                      size_t ncols, peil_table_writer **out);
int peil_table_append(peil_table_writer *w, const void *const *columns, size_t nrows);
/* From now on, full chunks are compressed and written by a thread of the
 * writer's own while the caller appends the next rows (one more chunk of
 * buffers; the file is the same). A no-op where HDF5 is not thread-safe.
 * A failure of the thread is returned by a later append or the finish. */
int peil_table_write_behind(peil_table_writer *w);
/* Writes row count and schema attributes and releases the writer. */
int peil_table_finish(peil_table_writer *w);
/* A whole table from columns in memory (nrows values each, in-memory
 * types as for peil_table_append): create, append, finish. */
int peil_table_write(peil_store *s, const char *table, const peil_column_def *cols, size_t ncols,
                     const void *const *data, size_t nrows);
/* Releases without finishing (the table stays incomplete inside the
 * temporary store: close the store without commit). */
void peil_table_writer_free(peil_table_writer *w);

/* A thread-safe HDF5 keeps its error handler per thread: a thread that
 * uses stores (other than the one that opened them) calls this first, so
 * that HDF5 does not print its own error stack (peil reports errors). */
void peil_store_quiet_thread(void);

/* ---- Scanning a table in row blocks. */
typedef struct peil_scan peil_scan;

typedef struct {
  int64_t start;      /* first row of the block in the table */
  size_t nrows;       /* rows in this block (<= block size) */
  const void **cols;  /* one buffer per scanned column, in-memory types */
} peil_block;

/* Scan the named columns (NULL, 0 = all) in blocks of block_rows (0 = the
 * default). Unknown columns give PEIL_ENOTFOUND naming the table. */
int peil_scan_open(peil_store *s, const char *table, const char *const *cols, size_t ncols,
                   size_t block_rows, peil_scan **out);
/* Threads that decode a block's columns (one column per thread); 0, the
 * default, is one per core. The block's values do not depend on it. */
void peil_scan_set_threads(peil_scan *sc, int threads);
/* Fills the next block: returns 1 when a block was read, 0 at the end. */
int peil_scan_next(peil_scan *sc, peil_block *blk);
/* Reads the rows [start, start+nrows) into blk (random access by block). */
int peil_scan_read(peil_scan *sc, int64_t start, size_t nrows, peil_block *blk);
int64_t peil_scan_nrows(const peil_scan *sc);
/* Restricts peil_scan_next to the rows [start, end) (a part of the table
 * for one thread); the next block starts at `start`. */
int peil_scan_restrict(peil_scan *sc, int64_t start, int64_t end);
const peil_column_info *peil_scan_column(const peil_scan *sc, size_t i);
void peil_scan_close(peil_scan *sc);

/* ---- Joining two tables on a key (src/store/join.c): every row of table
 * `left` of `in`, in its order, with the columns of the row of table
 * `right` that has the same `key` (an int32/int64 column of both: rin),
 * missing where there is none, as the new table `name` of `out` (which may
 * be another store). `right` must have one row per key (else PEIL_EDATA
 * naming the two rows); it is read whole (a person table), `left` in
 * blocks. A column name in both besides the key is PEIL_EINVAL. */
typedef struct {
  int64_t rows;      /* rows written: those of left */
  int64_t unmatched; /* of which without a row in right (their columns missing) */
} peil_join_summary;
int peil_table_join(peil_store *in, const char *left, const char *right, const char *key, peil_store *out,
                    const char *name, peil_join_summary *summary);
/* The columns the join would write (left's, then right's but the key),
 * with left's row count, read from the schemas alone: the same errors for
 * unknown tables or key, key types and names in both. */
int peil_table_join_info(peil_store *s, const char *left, const char *right, const char *key,
                         peil_table_info **out);

/* ---- Summaries (peil info): one pass over every column of a table. */
typedef struct {
  int64_t n_missing;
  int64_t n_valid;
  double min, max, mean;  /* NaN when there is no valid value; enums: codes */
  int64_t *level_counts;  /* PEIL_ENUM: count per level */
} peil_column_summary;

int peil_table_summarise(peil_store *s, const char *table, peil_table_info **info,
                         peil_column_summary **sums);
void peil_column_summaries_free(peil_column_summary *sums, size_t n);

/* Convert n values of an in-memory column to double: missing -> NaN. */
void peil_column_to_f64(peil_type t, const void *src, size_t n, double *dst);
/* Is row i of an in-memory column missing? */
int peil_value_is_missing(peil_type t, const void *col, size_t i);

#ifdef __cplusplus
}
#endif
#endif
