/* Cross products of indicator columns by cells.
 *
 * Most columns of a typical design are the indicators of categorical
 * variables (a term of one variable alone: municipality, age_band, ...).
 * Their cross products with the other columns need no multiplications: a
 * row adds its weighted dense values to the sums of its cell (the
 * combination of its levels of those variables), and the cross products
 * of the indicator columns are sums over cells. A pass then builds only
 * the dense columns (numeric variables, interactions) and runs
 * dsyrk on them, plus one scattered addition per dense column and row,
 * instead of dsyrk on all p columns.
 *
 * Columns are held in a permuted order: the d dense columns first (in
 * design order), then the intercept (which every cell has), then the
 * indicator columns of the cell variables.
 * Every sum runs in a fixed order within a block and a group of blocks,
 * so results stay independent of the thread count. */
#ifndef PEIL_MODEL_CELLS_H
#define PEIL_MODEL_CELLS_H

#include "model_internal.h"

/* Most cells (product of the level counts of the cell variables). */
#define CELLS_MAX 4096

typedef struct {
  size_t p, d;          /* design columns; dense columns */
  size_t *perm;         /* p: the design column at permuted position k */
  size_t *dense_pos;    /* p: position of a design column in the dense block, or SIZE_MAX */
  size_t nv;            /* cell variables */
  int *var;             /* nv: frame variable */
  size_t *nlev, *stride;/* nv */
  int32_t **pos;        /* nv x nlev: permuted position of the level's column, -1: none */
  int32_t icpt;         /* permuted position of the intercept (in every cell), -1: none */
  size_t ncells;
  size_t width;         /* doubles per cell: d dense sums, z, weight */
} cell_plan;

/* NULL in *out (and PEIL_OK) when the design has no indicator runs that
 * fit in CELLS_MAX cells. */
int cells_plan_build(const model_frame *fr, const design *d, cell_plan **out);
void cells_plan_free(cell_plan *cp);

/* Builds the dense columns of rows [start, start + n) into ws->X (leading
 * dimension n) and the cell of each row into cell. */
int cells_fill(const cell_plan *cp, const design *d, const model_frame *fr, int64_t start,
               size_t n, block_ws *ws, int32_t *cell);

/* Per pass: the coefficients of the dense columns (beta_dense, d) and the
 * sum of the intercept and indicator coefficients of each cell (cell_eff,
 * ncells). */
void cells_coef(const cell_plan *cp, const double *beta, double *beta_dense, double *cell_eff);

/* eta = offset + D beta_dense + cell_eff[cell]. */
void cells_eta(const cell_plan *cp, const double *X, size_t n, const int32_t *cell,
               const double *off, const double *beta_dense, const double *cell_eff, double *eta);

/* acc[cell] += s_i (Xs_i, z_i, s_i) for the rows of a block whose dense
 * columns Xs (leading dimension n) and z (NULL: none) are already scaled
 * by s. */
void cells_accumulate(const cell_plan *cp, double *acc, const int32_t *cell, const double *Xs,
                      const double *s, const double *z, size_t n);

/* Adds the cross products that involve indicator columns, from the cell
 * sums acc, to A (p x p, upper triangle, permuted order) and b (p,
 * permuted; NULL: none). */
void cells_flush(const cell_plan *cp, const double *acc, double *A, double *b);

/* What a pass by cells holds: the plan, the dense coefficients and cell
 * effects of the current beta (cells_coef), and per thread the cell sums
 * of the current group and the cell of each row of a block. */
typedef struct {
  cell_plan *cp;
  double *beta_dense, *cell_eff;
  double **acc;
  int32_t **cell;
  int nt;
} cells_ws;

/* Allocates the workspace for nt threads around cp, which it then owns. */
int cells_ws_alloc(cells_ws *w, cell_plan *cp, int nt);
/* Frees what cells_ws_alloc made and the plan; a zeroed workspace is fine. */
void cells_ws_free(cells_ws *w);

/* Permuted A (upper) and b (NULL: none) to design order, in place. */
int cells_unpermute(const cell_plan *cp, double *A, double *b);

#endif
