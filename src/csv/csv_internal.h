/* Internal to the csv module: the streaming reader, value parsers, the
 * string set behind categoricals, type inference and the schema. */
#ifndef PEIL_CSV_INTERNAL_H
#define PEIL_CSV_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "peil/csv.h"

/* ---- Reader (reader.c): libcsv driven over chunks of the file by one or
 * more workers; every field goes straight from libcsv's buffer to the
 * consumer (no copy), then the row's end. */
typedef struct csv_reader csv_reader;

/* Opens the file, skips a UTF-8 byte order mark, detects the delimiter when
 * `delimiter` is 0 and reads the header row (names trimmed, checked to be
 * non-empty, unique and UTF-8). */
int csv_reader_open(const char *path, char delimiter, csv_reader **out);
size_t csv_reader_ncols(const csv_reader *r);
const char *const *csv_reader_names(const csv_reader *r);
char csv_reader_delimiter(const csv_reader *r);
const char *csv_reader_path(const csv_reader *r);
int64_t csv_reader_bytes(const csv_reader *r);
/* Data rows read by the last csv_reader_run. */
int64_t csv_reader_rows(const csv_reader *r);
/* How many workers csv_reader_run will use for `threads` (0 = one per core). */
int csv_reader_workers(const csv_reader *r, int threads);

/* What csv_reader_run calls, in the worker that parsed the rows. A chunk
 * is a run of whole records; chunks are numbered in file order and each is
 * parsed by one worker. A non-zero return is an error of that chunk (its
 * message set with peil_error in the worker's thread). */
typedef struct {
  /* Field `col` (< ncols) of the current record: n bytes at s, NUL after
   * them, valid during the call; `line` is the line it starts on. */
  int (*field)(void *ctx, int worker, size_t col, const char *s, size_t n, int64_t line);
  /* The end of a record that had all ncols fields (may be NULL). */
  int (*row)(void *ctx, int worker);
  /* Before the chunk's first record and after its last (may be NULL). */
  int (*chunk_begin)(void *ctx, int worker, size_t chunk);
  int (*chunk_done)(void *ctx, int worker, size_t chunk);
  /* A chunk ended in an error (may be NULL): whoever waits for it must not. */
  void (*chunk_failed)(void *ctx, int worker, size_t chunk);
  /* Bytes of the file handed out to workers so far (may be NULL); called
   * under the reader's lock, so never twice at once. */
  void (*progress)(void *ctx, int64_t done, int64_t total);
} csv_consumer;

/* Reads every data row with up to `workers` threads (the caller's is one
 * of them). Chunk boundaries are found by quote parity (a line end outside
 * quotes, which in strict CSV means an even number of quotes before it), so
 * every worker parses whole records. The error returned is the one of the
 * earliest chunk: the first error in file order, as one thread would find. */
int csv_reader_run(csv_reader *r, int workers, const csv_consumer *fn, void *ctx);
void csv_reader_close(csv_reader *r);
/* For tests: the nominal chunk size in bytes (0 = the default, 8 MB). */
void csv_reader_test_chunk_size(size_t bytes);

/* ---- Values (parse.c). Each parser takes the field's bytes (NUL-terminated
 * after n) and returns one of these. */
enum { CSV_OK = 0, CSV_BAD = 1, CSV_RANGE = 2 };

/* Integers: optional sign, digits; with decimal ',' also '.'-grouped
 * thousands (1.234.567). CSV_RANGE when the digits overflow int64. */
int csv_parse_int(const char *s, size_t n, char decimal, int64_t *v);
/* Decimal numbers, exponents, inf/infinity/nan (any case); correctly rounded.
 * decimal ',' also accepts '.' thousands groups before the comma. */
int csv_parse_float(const char *s, size_t n, char decimal, double *v);
/* The same as csv_parse_float without computing the value (unless it
 * may be out of range): CSV_OK, CSV_BAD or CSV_RANGE. */
int csv_check_float(const char *s, size_t n, char decimal);
/* true/false, yes/no, ja/nee (lower, Upper or UPPER case); with loose also
 * 0/1 and T/F (what a schema's bool column accepts). 1 = true. */
int csv_parse_bool(const char *s, size_t n, int loose, int8_t *v);

/* A date layout from a schema's `format`: YYYY, MM, DD (two digits), M and
 * D (one or two digits) or %Y %m %d; anything else is a literal. */
typedef struct {
  int nops;
  char op[32]; /* 'Y' 'M' 'D' 'm' 'd' or 'L' (literal) */
  char lit[32];
} csv_datefmt;
int csv_datefmt_compile(const char *pattern, csv_datefmt *f);
/* fmt NULL: ISO YYYY-MM-DD or Dutch DD-MM-YYYY (peil_date_parse). */
int csv_parse_date(const char *s, size_t n, const csv_datefmt *fmt, int32_t *days);

/* 1 if s is valid UTF-8 without NUL bytes (a label is a C string); else 0
 * with *bad the offset of the first bad byte. */
int csv_utf8_valid(const char *s, size_t n, size_t *bad);
/* The value quoted for a message: 'abc', non-printable bytes as \xNN, cut
 * to about 60 characters. */
void csv_show_value(const char *s, size_t n, char *buf, size_t size);

/* Missing-value tokens: the empty field plus a list ("NA,." by default). */
typedef struct {
  size_t n;
  char tok[16][32];
  uint8_t len[16];
  uint8_t first[256]; /* first[c]: some token starts with c */
} csv_na;
int csv_na_init(csv_na *na, const char *list);
static inline int csv_is_na(const csv_na *na, const char *s, size_t n) {
  if (n == 0) return 1;
  if (!na->first[(unsigned char)s[0]]) return 0;
  for (size_t i = 0; i < na->n; i++)
    if (na->len[i] == n && __builtin_memcmp(na->tok[i], s, n) == 0) return 1;
  return 0;
}

/* Equal bytes: short strings (most labels) without a call. */
static inline int csv_same(const char *a, const char *b, size_t n) {
  if (n > 16) return __builtin_memcmp(a, b, n) == 0;
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

/* ---- String set (strset.c): distinct values in insertion order, for
 * categorical levels. Strings live in one arena. */
typedef struct {
  size_t off; /* into the arena */
  size_t len;
  uint64_t hash;
} csv_strset_entry;

typedef struct csv_strset {
  csv_strset_entry *e;
  size_t n, cap_e;
  uint32_t *slot; /* index + 1, 0 = empty */
  size_t nslot;   /* power of two */
  char *arena;
  size_t used, cap;
} csv_strset;

csv_strset *csv_strset_new(void);
void csv_strset_free(csv_strset *s);
/* Index of the string, added when new (*added = 1); -1 when out of memory. */
long csv_strset_add(csv_strset *s, const char *str, size_t n, int *added);
long csv_strset_find(const csv_strset *s, const char *str, size_t n);
static inline size_t csv_strset_size(const csv_strset *s) { return s->n; }
static inline const char *csv_strset_get(const csv_strset *s, size_t i, size_t *n) {
  if (n) *n = s->e[i].len;
  return s->arena + s->e[i].off;
}
/* Indices sorted by the strings' bytes (C-locale order, as R's sort with
 * LC_COLLATE=C): order[rank] = index. */
size_t *csv_strset_sorted(const csv_strset *s);

/* A small cache in front of a set, one per column and worker: the index of
 * a recent value under a cheap key (length and three bytes), so that the
 * values of a column with few categories skip hashing. */
#define CSV_LCACHE 64
typedef struct {
  uint32_t idx[CSV_LCACHE]; /* index + 1, 0 = empty */
} csv_lcache;

/* n > 0 (an empty field is missing and never looked up). */
static inline unsigned csv_lcache_key(const char *s, size_t n) {
  unsigned a = (unsigned char)s[0], b = (unsigned char)s[n - 1], c = (unsigned char)s[n >> 1];
  return ((unsigned)n * 0x9E37u ^ a * 0x85EBu ^ b * 0xC2B3u ^ c * 0x27D5u) >> 4 & (CSV_LCACHE - 1);
}

/* The index of s in set if the cache has it under key, else -1. */
static inline long csv_lcache_find(const csv_lcache *lc, const csv_strset *set, const char *s,
                                   size_t n, unsigned key) {
  uint32_t k = lc->idx[key];
  if (!k) return -1;
  const csv_strset_entry *e = &set->e[k - 1];
  return e->len == n && csv_same(set->arena + e->off, s, n) ? (long)k - 1 : -1;
}

/* ---- Type inference (infer.c): one state per column and worker, fed value by
 * value, merged at the end. */
enum { CAND_BOOL = 1, CAND_INT = 2, CAND_FLOAT = 4, CAND_DATE = 8, CAND_ALL = 15 };

typedef struct {
  unsigned cand;          /* types every value so far fits */
  int64_t imin, imax;     /* integer range while CAND_INT */
  int64_t n_values, n_missing;
  int64_t n_typed;        /* values that fitted a type when seen (not collected) */
  csv_strset *levels;     /* distinct text values while there are few */
  size_t max_levels;
  int levels_closed;      /* more than max_levels distinct values seen */
  int text_only;          /* a schema's categorical: collect levels only */
  int64_t text_line;      /* first value that is no number, date or bool (-1: none) */
  char text_value[80];
  csv_lcache cache;       /* recent values of the set */
} csv_infer_col;

int csv_infer_init(csv_infer_col *c, size_t max_levels, int text_only);
void csv_infer_clear(csv_infer_col *c);
/* Feeds one value of the column (starting on `line`). The error (a text
 * value that is not UTF-8) names the file, line and column. */
int csv_infer_value(csv_infer_col *c, const char *s, size_t n, int64_t line, const char *path,
                    const char *name, size_t colno, char decimal, const csv_na *na);
/* After the merge: a text column whose typed values were not collected as
 * levels (it turned text only later): its levels need one more pass. */
static inline int csv_infer_needs_levels(const csv_infer_col *c) {
  return !c->text_only && c->cand == 0 && c->n_typed > 0 && !c->levels_closed;
}
/* Adds what another worker saw of the same column (dst keeps its levels;
 * src is cleared). */
int csv_infer_merge(csv_infer_col *dst, csv_infer_col *src);
/* The inferred type once every row was fed; *nrows for the identifier
 * check. Categoricals keep their levels in c->levels. */
int csv_infer_decide(csv_infer_col *c, const char *path, const char *name, size_t colno,
                     peil_type *type);

/* ---- Schema (schema.c). */
typedef struct {
  char *name;
  int type;            /* peil_type, or -1 when the schema gives none */
  char **levels;       /* fixed level list (enum), in code order */
  size_t nlevels;
  char *format;        /* date layout, or NULL */
  csv_datefmt datefmt;
  int used;            /* matched a column of the CSV */
  int line;            /* where the schema first names it */
} csv_schema_col;

typedef struct {
  char *path;
  csv_schema_col *cols;
  size_t ncols;
} csv_schema;

int csv_schema_load(const char *path, csv_schema **out);
void csv_schema_free(csv_schema *s);
csv_schema_col *csv_schema_find(csv_schema *s, const char *name);

/* ---- One column of an import (import.c plans it, convert.c fills it). */
typedef struct {
  char *name;
  size_t colno;             /* 1-based, for messages */
  peil_type type;
  int from_schema;          /* the schema fixed the type */
  int infer;                /* pass 1 infers the type */
  int collect;              /* pass 1 collects the levels of a schema enum */
  int feed;                 /* fed in the current pass over the file */
  csv_infer_col inf;
  /* Categoricals: label -> index in lv, index -> code, code -> label. */
  csv_strset *lv;
  int32_t *code;
  const char **labels;
  size_t nlevels;
  const csv_datefmt *datefmt; /* a schema's format, or NULL for ISO/Dutch */
  const char *datefmt_text;
  int64_t n_missing;        /* summed over the workers */
} csv_column;

/* What converting a column changes, one per worker and column. */
typedef struct {
  int64_t n_missing;
  csv_lcache cache;  /* enum lookups: recent labels' indices */
} csv_colstate;

/* Converts one value into element `row` of buf (the column's in-memory
 * type) (convert.c). A value that does not fit the column's type is an
 * error naming file, line and column. */
int csv_convert_value(const csv_column *c, csv_colstate *st, void *buf, size_t row, const char *s,
                      size_t n, int64_t line, const char *path, char decimal, const csv_na *na);

/* ---- Ordered output of the last pass (order.c): chunks converted by the
 * workers in any order are appended to the table in file order. */
#define CSV_BLOCK_ROWS 8192 /* rows per block: small enough to stay in cache */

typedef struct {
  size_t nrows;
  void **bufs; /* one buffer of CSV_BLOCK_ROWS values per column */
} csv_block;

typedef struct {
  csv_block *blocks;
  size_t nblocks, cap;
  size_t chunk;
  int state;
} csv_slot;

typedef struct {
  csv_slot slots[2]; /* one filling, one waiting for its turn */
  int cur;
  csv_block *blk;    /* the block being filled, and its next row */
  size_t row;
} csv_outq;

typedef struct {
  size_t ncols;
  const peil_type *types;
  int nworkers;
  csv_outq *q;       /* per worker */
  peil_table_writer *w;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  size_t next;       /* the chunk to write next */
  int failed;
} csv_order;

int csv_order_init(csv_order *o, size_t ncols, const peil_type *types, int nworkers,
                   peil_table_writer *w);
void csv_order_clear(csv_order *o);
/* A worker starts a chunk (in its free slot). */
int csv_order_begin(csv_order *o, int worker, size_t chunk);
/* Where column j of the worker's current row goes: element
 * o->q[worker].row of o->q[worker].blk->bufs[j]. */
int csv_order_row_done(csv_order *o, int worker);
/* The chunk is converted: written when its turn comes; returns once the
 * worker has a free slot for its next chunk. */
int csv_order_chunk_done(csv_order *o, int worker);
/* The worker's chunk failed: nothing more is written, nobody waits. */
void csv_order_chunk_failed(csv_order *o, int worker);

/* ---- What a pass over the file hands to csv_reader_run as its context:
 * the field callbacks below take it directly (one call per field, no
 * wrapper). A consumer with more state embeds it as its first member. */
typedef struct {
  csv_infer_col *inf; /* pass 1: one per column */
  csv_colstate *st;   /* last pass: one per column */
} csv_wstate;

typedef struct {
  const char *path;
  char decimal;
  const csv_na *na;
  csv_column *cols;
  csv_wstate *ws;     /* per worker */
  csv_order *order;   /* last pass */
} csv_pass;

/* Pass 1: feeds the value to the worker's inference state of the column
 * (if the column is fed in this pass). */
int csv_infer_field(void *pass, int worker, size_t col, const char *s, size_t n, int64_t line);
/* Last pass: converts the value into the worker's current row. */
int csv_convert_field(void *pass, int worker, size_t col, const char *s, size_t n, int64_t line);

/* ---- Float formatting shared by export and tests (export.c). Writes the
 * shortest text that csv_parse_float reads back to exactly x (as float when
 * single), always with a decimal separator or exponent; returns the length. */
size_t csv_format_double(double x, int single, char decimal, char *buf);

#endif
