/* Internal to the model module: the model frame (the rows and columns a fit
 * uses, cached in memory), the design (which columns of X the formula's
 * terms make, with R's contrast rules) and the per-thread workspace that
 * builds blocks of X from the frame.
 *
 * The frame keeps the raw data columns, not X: X is rebuilt block by block
 * on every pass, so memory grows with the columns in use and not with the
 * number of dummies, and margins and marginal effects can change a raw
 * column (set municipality to Rotterdam, move age by h) and rebuild
 * everything that depends on it. */
#ifndef PEIL_MODEL_INTERNAL_H
#define PEIL_MODEL_INTERNAL_H

#include "peil/expr.h"
#include "peil/model.h"

/* Rows per block of X: small enough that a block of X stays in cache,
 * large enough for BLAS to run at speed. The block partition (not the
 * thread count) fixes the order of every sum, so results do not depend on
 * the number of threads. */
#define MODEL_BLOCK_ROWS 4000

typedef enum { VAR_NUMERIC, VAR_FACTOR } var_kind;

/* A variable of the formula as it meets the data. */
typedef struct {
  var_kind kind;
  const peil_formula_var *fv;
  int plain;            /* numeric and just a frame column (float64): no evaluation */
  /* VAR_FACTOR: the frame column it codes, and its levels as used: levels
   * that no used row has are dropped (as R's drop.unused.levels), the
   * reference level comes first. */
  int raw;
  size_t nlevels;
  char **labels;
  double *level_value;  /* the raw value of each level (enum code, 0/1, number) */
  int32_t *code_level;  /* enum and bool: raw code -> level, -1 for unused codes */
  size_t ncodes;
  double *sorted_value; /* numbers (factor(year)): level values ascending ... */
  int32_t *sorted_level;/* ... and their levels, for a binary search */
  int32_t *int_level;   /* whole-number levels in a short range: level of */
  double int_min;       /* value int_min + k at int_level[k], -1 if none */
  size_t int_span;
} model_var;

typedef struct {
  /* Cached raw columns of the used rows, in their stored types (memory is
   * the columns in use, no more); info gives the types expressions see:
   * numbers as float64 (frame_block_view converts), enums as int32 codes
   * (held as int8 or int16 when the levels allow: frame_codes widens),
   * booleans as int8, dates as int32 days. */
  size_t ncols;
  peil_column_info *info;
  peil_type *stored;    /* the type of data[j] */
  void **data;
  int64_t n;            /* rows used */
  double *y;
  double *w;            /* prior weights, NULL: all 1 */
  double *off;          /* summed offsets, NULL: none */
  int32_t *cluster;     /* cluster index of each row, NULL: no clusters */
  int64_t *rowid;       /* table row of each used row, NULL unless fitted_rows asked */
  int64_t nclusters;

  const peil_formula *formula;
  size_t nvars;
  model_var *vars;

  /* Row accounting. */
  int64_t n_read, n_filtered, n_missing, n_zero_weight;
  size_t nmissing_by;
  char **missing_by;
  int64_t *missing_count;
  double sum_w;         /* sum of prior weights (n when unweighted) */
  peil_table_info *table_info; /* owns the names and labels the infos point to */
} model_frame;

typedef struct {
  const peil_glm_options *opt;
  const peil_family *family;
  int binary_y_required; /* binomial without weights: y must be 0 or 1 */
} frame_request;

int frame_build(peil_store *s, const char *table, const peil_formula *f,
                const frame_request *req, model_frame *fr);
/* Rows [start, start + n) of every frame column in the types of info:
 * stored columns where the type is the same, else converted into conv
 * (ncols x cap doubles, column j at conv + j * cap). */
void frame_block_view(const model_frame *fr, int64_t start, size_t n, const void **cols,
                      double *conv, size_t cap);
/* Enum codes held in `stored` (int8, int16 or int32) as int32. */
void frame_widen_codes(peil_type stored, const void *src, size_t n, int32_t *dst);
/* Rows [start, start + n) of enum column j of the frame as int32 codes. */
void frame_codes(const model_frame *fr, size_t j, int64_t start, size_t n, int32_t *dst);
void frame_free(model_frame *fr);
/* The frame column named `name`, or -1. */
int frame_find(const model_frame *fr, const char *name);

/* One column of X: the product over its term's variables of numeric values
 * and level indicators. */
typedef struct {
  size_t nparts;
  int var[64];
  int level[64];        /* -1 for numeric variables */
} design_col;

/* Columns j0 .. j0 + count - 1 are the indicators of levels first ..
 * first + count - 1 of one categorical variable (a term of that variable
 * alone): filled in one pass over the rows. */
typedef struct {
  size_t j0;
  int var, first, count;
} design_dummies;

typedef struct {
  size_t p;
  char **names;         /* R's coefficient names */
  design_col *cols;
  int has_intercept;
  size_t ndummies;
  design_dummies *dummies;
  unsigned char *in_dummies; /* p flags: column filled by a dummies run */
} design;

int design_build(const model_frame *fr, design *d);
void design_free(design *d);

/* Replaces frame column `raw` by `data` (same type, rows of the block) while
 * a block is built: margins and marginal effects. */
typedef struct {
  int raw;
  const void *data;
} frame_override;

/* Per-thread buffers for one block. */
typedef struct {
  size_t cap;
  double *X;            /* cap x p, column-major */
  double *vals;         /* nvars x cap: numeric variable values */
  int32_t *codes;       /* nvars x cap: factor levels */
  const double **vp;    /* nvars: the values of each numeric variable */
  double *conv;         /* ncols x cap: converted frame columns (frame_block_view) */
  const void **cols;    /* the block view of the frame columns */
  double *eta, *mu, *dmu, *var, *z, *wt, *tmp;
  double *one;          /* cap ones: the prior weights of an unweighted frame */
} block_ws;

int block_ws_alloc(block_ws *ws, const model_frame *fr, const design *d, size_t cap);
void block_ws_free(block_ws *ws);
/* Builds X for rows [start, start + n) of the frame into ws->X (leading
 * dimension n). */
int design_fill(const design *d, const model_frame *fr, int64_t start, size_t n,
                const frame_override *ov, size_t nov, block_ws *ws);
/* The same for the columns j with pos[j] != SIZE_MAX, each into
 * ws->X + pos[j] * n; the levels of every categorical variable are in
 * ws->codes either way. */
int design_fill_some(const design *d, const model_frame *fr, int64_t start, size_t n,
                     const size_t *pos, block_ws *ws);

/* ---- Parallel passes over the frame.
 *
 * The rows are cut into blocks of MODEL_BLOCK_ROWS and the blocks into at
 * most MODEL_MAX_GROUPS groups of consecutive blocks. Threads take groups;
 * within a group the blocks run in order and accumulate into the group's
 * partial result; the caller then adds the partials in group order. The
 * partition depends on the number of rows only, so every sum is taken in
 * the same order whatever the thread count. */
#define MODEL_MAX_GROUPS 64

typedef int (*block_fn)(void *ctx, block_ws *ws, int thread, size_t group, int64_t start,
                        size_t n);

size_t frame_ngroups(const model_frame *fr);

/* Per-thread workspaces kept across the passes of a fit: allocating them
 * per pass costs page faults on every pass. Sized for design d; serves any
 * design with as many columns or fewer. */
typedef struct {
  int nt;
  size_t p;
  block_ws *ws;
} ws_pool;

int ws_pool_init(ws_pool *pool, const model_frame *fr, const design *d, int threads);
void ws_pool_free(ws_pool *pool);

/* Calls fn for every block, blocks of a group in order, with the pool's
 * workspaces (pool NULL: workspaces for this call only; threads <= 0: one
 * per core). Fails with the error of the first failing group. */
int frame_for_blocks(const model_frame *fr, const design *d, int threads, ws_pool *pool,
                     block_fn fn, void *ctx);
int model_threads(int threads);
void model_blas_single_threaded(void);
/* Sets OpenMP's default team size for a store scan (which decodes chunks in
 * a parallel region of that size) and returns the size before; the caller
 * restores it with omp_set_num_threads before any BLAS call. */
int model_scan_threads(int threads);

/* Number of blocks and rows in block b. */
static inline size_t frame_nblocks(const model_frame *fr) {
  return (size_t)((fr->n + MODEL_BLOCK_ROWS - 1) / MODEL_BLOCK_ROWS);
}
/* Blocks [*b0, *b1) form group g. */
static inline void frame_group_blocks(const model_frame *fr, size_t g, size_t *b0, size_t *b1) {
  size_t nb = frame_nblocks(fr), ng = frame_ngroups(fr);
  *b0 = g * nb / ng, *b1 = (g + 1) * nb / ng;
}
static inline size_t frame_block_rows(const model_frame *fr, size_t b) {
  int64_t left = fr->n - (int64_t)b * MODEL_BLOCK_ROWS;
  return left < MODEL_BLOCK_ROWS ? (size_t)left : MODEL_BLOCK_ROWS;
}

#endif
