/* The additive groups of a table: the structure checked against the
 * table, the groups along each dimension (rows sorted by their other
 * keys: O(n log n), never a pairwise comparison of rows) and across
 * column sums, and the check that every total is the sum of its parts. */
#define _GNU_SOURCE /* qsort_r */
#include <stdlib.h>
#include <string.h>

#include "disclosure_internal.h"
#include "peil/spec.h" /* peil_spec_split_list */

/* A growing array of size_t. */
typedef struct {
  size_t *v;
  size_t n, cap;
} zvec;

static int zpush(zvec *z, size_t x) {
  if (z->n == z->cap) {
    size_t cap = z->cap ? 2 * z->cap : 64;
    size_t *v = realloc(z->v, cap * sizeof *v);
    if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
    z->v = v, z->cap = cap;
  }
  z->v[z->n++] = x;
  return PEIL_OK;
}

/* ---- Keys as integer codes: a text key's values numbered in sorted
 * order (missing first), an integer key's values as they are (missing is
 * INT64_MIN), so comparing rows compares integers. */
typedef struct {
  const peil_rtable *t;
  size_t col;
  const int64_t *code; /* nkeys x nrows */
  size_t nkeys, nrows, skip;
} key_ctx;

static int cmp_text(const void *a, const void *b, void *arg) {
  const key_ctx *k = arg;
  size_t ra = *(const size_t *)a, rb = *(const size_t *)b;
  const char *sa = k->t->cols[k->col].v.s[ra], *sb = k->t->cols[k->col].v.s[rb];
  if (!sa || !sb) return (sa != NULL) - (sb != NULL);
  return strcmp(sa, sb);
}

/* Rows by their key codes, leaving out key `skip` (DLOG_NONE: none); equal
 * keys by row, so that groups list their parts in row order. */
static int cmp_keys(const void *a, const void *b, void *arg) {
  const key_ctx *k = arg;
  size_t ra = *(const size_t *)a, rb = *(const size_t *)b;
  for (size_t q = 0; q < k->nkeys; q++) {
    if (q == k->skip) continue;
    int64_t ca = k->code[q * k->nrows + ra], cb = k->code[q * k->nrows + rb];
    if (ca != cb) return ca < cb ? -1 : 1;
  }
  return (ra > rb) - (ra < rb);
}

static int same_keys(const key_ctx *k, size_t ra, size_t rb) {
  for (size_t q = 0; q < k->nkeys; q++)
    if (q != k->skip && k->code[q * k->nrows + ra] != k->code[q * k->nrows + rb]) return 0;
  return 1;
}

static int key_codes(const peil_rtable *t, const size_t *keys, size_t nkeys, int64_t *code,
                     size_t *order) {
  size_t nr = t->nrows;
  for (size_t q = 0; q < nkeys; q++) {
    const rtable_col *c = &t->cols[keys[q]];
    int64_t *cq = code + q * nr;
    if (c->def.type == PEIL_RTABLE_INTEGER) {
      memcpy(cq, c->v.i, nr * sizeof *cq);
      continue;
    }
    key_ctx k = {.t = t, .col = keys[q]};
    for (size_t r = 0; r < nr; r++) order[r] = r;
    qsort_r(order, nr, sizeof *order, cmp_text, &k);
    int64_t rank = 0;
    for (size_t i = 0; i < nr; i++) {
      if (i && cmp_text(&order[i - 1], &order[i], &k)) rank++;
      cq[order[i]] = rank;
    }
  }
  return PEIL_OK;
}

/* ---- The structure's columns. */

static int find_column(const peil_rtable *t, const char *name, const char *what, size_t *col) {
  int j = name ? peil_rtable_column_index(t, name) : -1;
  *col = 0;
  if (j < 0)
    return peil_error(PEIL_ENOTFOUND, "table %s: the disclosure structure names %s column %s, which the table does not have",
                      t->name, what, name ? name : "(null)");
  *col = (size_t)j;
  return PEIL_OK;
}

/* Count columns are the additive ones. n columns are not: the persons a
 * fit rests on repeat on every row of its estimates. */
static int is_count(const peil_rtable *t, size_t j) { return t->cols[j].def.role == PEIL_ROLE_COUNT; }

static int check_summed(const peil_rtable *t, size_t j) {
  if (is_count(t, j)) return PEIL_OK;
  return peil_error(PEIL_ETYPE, "table %s: the disclosure structure sums column %s, which is not a count column",
                    t->name, t->cols[j].name);
}

/* ---- Checks of one group: no missing cell, the total the sum of its parts. */

static int missing_cell(const peil_rtable *t, size_t row, size_t col, int is_total, int along_rows) {
  char *label = rtable_row_label(t, row);
  if (!label) return peil_error(PEIL_ENOMEM, "out of memory");
  peil_error(PEIL_EDATA, "table %s, column %s: row %s has no value, but it is %s of %s", t->name,
             t->cols[col].name, label, is_total ? "the total" : "a part",
             along_rows ? "an additive group" : "a column sum");
  free(label);
  return PEIL_EDATA;
}

/* cells[0] is the total. along_rows: a dimension's group (one column,
 * many rows), else a column sum's (one row, many columns). */
static int check_group(const peil_rtable *t, const size_t *cells, size_t n, int along_rows) {
  size_t nc = t->ncols;
  int64_t sum = 0;
  for (size_t i = 0; i < n; i++) {
    size_t row = cells[i] / nc, col = cells[i] % nc;
    if (t->cols[col].flags[row] & PEIL_CELL_NA) return missing_cell(t, row, col, i == 0, along_rows);
    if (i && __builtin_add_overflow(sum, disclosure_value(t, cells[i]), &sum))
      return peil_error(PEIL_EDATA, "table %s, column %s: the parts of a total are too large to add",
                        t->name, t->cols[col].name);
  }
  int64_t total = disclosure_value(t, cells[0]);
  if (total == sum) return PEIL_OK;
  size_t row = cells[0] / nc, col = cells[0] % nc;
  char *label = rtable_row_label(t, row);
  if (!label) return peil_error(PEIL_ENOMEM, "out of memory");
  if (along_rows)
    peil_error(PEIL_EDATA, "table %s, column %s: the total row %s (%lld) is not the sum of its parts (%lld)",
               t->name, t->cols[col].name, label, (long long)total, (long long)sum);
  else
    peil_error(PEIL_EDATA, "table %s, row %s: the total column %s (%lld) is not the sum of its parts (%lld)",
               t->name, label, t->cols[col].name, (long long)total, (long long)sum);
  free(label);
  return PEIL_EDATA;
}

/* Appends group `cells` (total first) after checking it. */
static int add_group(const peil_rtable *t, zvec *start, zvec *cell, const size_t *cells, size_t n,
                     int along_rows) {
  int rc = check_group(t, cells, n, along_rows);
  if (!rc && start->n == 0) rc = zpush(start, 0);
  for (size_t i = 0; !rc && i < n; i++) rc = zpush(cell, cells[i]);
  if (!rc) rc = zpush(start, cell->n);
  return rc;
}

/* The groups along dimension `dim` (a key's position q): rows sorted by
 * their other keys; in each run of equal keys, the row with the total
 * value is the total of the others, in every count column. */
static int dimension_groups(const peil_rtable *t, key_ctx *k, size_t q, size_t col, const char *total,
                            size_t *order, size_t *buf, zvec *start, zvec *cell) {
  size_t nr = t->nrows, nc = t->ncols;
  k->skip = q;
  for (size_t r = 0; r < nr; r++) order[r] = r;
  qsort_r(order, nr, sizeof *order, cmp_keys, k);
  int rc = PEIL_OK;
  for (size_t i = 0; !rc && i < nr;) {
    size_t e = i + 1;
    while (e < nr && same_keys(k, order[i], order[e])) e++;
    size_t trow = DLOG_NONE, nparts = 0;
    for (size_t x = i; x < e; x++) {
      const char *v = t->cols[col].v.s[order[x]];
      if (v && !strcmp(v, total)) trow = order[x];
    }
    if (trow != DLOG_NONE && e - i > 1)
      for (size_t j = 0; !rc && j < nc; j++) {
        if (!is_count(t, j)) continue;
        buf[0] = trow * nc + j;
        nparts = 0;
        for (size_t x = i; x < e; x++)
          if (order[x] != trow) buf[1 + nparts++] = order[x] * nc + j;
        rc = add_group(t, start, cell, buf, 1 + nparts, 1);
      }
    i = e;
  }
  return rc;
}

static int duplicate_keys(const peil_rtable *t, key_ctx *k, size_t *order) {
  size_t nr = t->nrows;
  k->skip = DLOG_NONE;
  for (size_t r = 0; r < nr; r++) order[r] = r;
  qsort_r(order, nr, sizeof *order, cmp_keys, k);
  for (size_t i = 1; i < nr; i++)
    if (same_keys(k, order[i - 1], order[i])) {
      char *label = rtable_row_label(t, order[i]);
      if (!label) return peil_error(PEIL_ENOMEM, "out of memory");
      peil_error(PEIL_EDATA, "table %s: rows %zu and %zu have the same keys (%s): a table with dimensions "
                             "needs one row per combination of keys",
                 t->name, order[i - 1] + 1, order[i] + 1, label);
      free(label);
      return PEIL_EDATA;
    }
  return PEIL_OK;
}

static int column_sum_groups(const peil_rtable *t, const peil_disclosure_column_sum *cs, size_t *buf,
                             zvec *start, zvec *cell) {
  size_t tot, nc = t->ncols;
  int rc = find_column(t, cs->total, "total", &tot);
  if (!rc) rc = check_summed(t, tot);
  if (rc) return rc;
  char what[200], **parts = NULL;
  size_t np = 0;
  snprintf(what, sizeof what, "table %s: the parts of column %s", t->name, cs->total);
  if ((rc = peil_spec_split_list(cs->parts ? cs->parts : "", what, &parts, &np))) return rc;
  size_t *pc = malloc(np * sizeof *pc);
  if (!pc) rc = peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t k = 0; !rc && k < np; k++) {
    if (!(rc = find_column(t, parts[k], "part", &pc[k]))) rc = check_summed(t, pc[k]);
    if (!rc && pc[k] == tot)
      rc = peil_error(PEIL_EINVAL, "table %s: column %s is listed among its own parts", t->name, cs->total);
    for (size_t m = 0; !rc && m < k; m++)
      if (pc[m] == pc[k])
        rc = peil_error(PEIL_EINVAL, "table %s: column %s is listed twice among the parts of %s", t->name,
                        parts[k], cs->total);
  }
  for (size_t r = 0; !rc && r < t->nrows; r++) {
    buf[0] = r * nc + tot;
    for (size_t k = 0; k < np; k++) buf[1 + k] = r * nc + pc[k];
    rc = add_group(t, start, cell, buf, 1 + np, 0);
  }
  free(pc);
  peil_spec_list_free(parts);
  return rc;
}

/* Every cell's groups (the transpose of the group lists). */
static int index_cells(disclosure_groups *g) {
  g->cell_start = calloc(g->ncells + 1, sizeof *g->cell_start);
  size_t nlinks = g->ngroups ? g->start[g->ngroups] : 0;
  g->by_cell = malloc((nlinks ? nlinks : 1) * sizeof *g->by_cell);
  if (!g->cell_start || !g->by_cell) return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t i = 0; i < nlinks; i++) g->cell_start[g->cell[i] + 1]++;
  for (size_t c = 0; c < g->ncells; c++) g->cell_start[c + 1] += g->cell_start[c];
  size_t *fill = malloc((g->ncells ? g->ncells : 1) * sizeof *fill);
  if (!fill) return peil_error(PEIL_ENOMEM, "out of memory");
  memcpy(fill, g->cell_start, g->ncells * sizeof *fill);
  for (size_t k = 0; k < g->ngroups; k++)
    for (size_t i = g->start[k]; i < g->start[k + 1]; i++) g->by_cell[fill[g->cell[i]]++] = k;
  free(fill);
  return PEIL_OK;
}

static int check_dimension(const peil_rtable *t, const peil_disclosure_structure *s, size_t d,
                           const size_t *keys, size_t nkeys, size_t *q) {
  const peil_disclosure_dimension *dim = &s->dimensions[d];
  size_t col;
  int rc = find_column(t, dim->column, "dimension", &col);
  if (rc) return rc;
  if (t->cols[col].def.role != PEIL_ROLE_KEY || t->cols[col].def.type != PEIL_RTABLE_TEXT)
    return peil_error(PEIL_ETYPE, "table %s: dimension %s must be a text key column", t->name, dim->column);
  if (!dim->total || !*dim->total)
    return peil_error(PEIL_EINVAL, "table %s: dimension %s names no total value (such as \"Total\")", t->name,
                      dim->column);
  for (size_t e = 0; e < d; e++)
    if (!strcmp(s->dimensions[e].column, dim->column))
      return peil_error(PEIL_EINVAL, "table %s: dimension %s is declared twice", t->name, dim->column);
  for (*q = 0; *q < nkeys && keys[*q] != col; (*q)++) {}
  return PEIL_OK;
}

int disclosure_groups_build(const peil_rtable *t, const peil_disclosure_structure *s,
                            disclosure_groups *g) {
  memset(g, 0, sizeof *g);
  size_t nr = t->nrows, nc = t->ncols;
  g->ncols = nc;
  g->ncells = nr * nc;
  size_t nd = s ? s->ndimensions : 0, ns = s ? s->ncolumn_sums : 0;
  if ((nd && !s->dimensions) || (ns && !s->column_sums))
    return peil_error(PEIL_EINVAL, "table %s: the disclosure structure counts entries it does not give", t->name);
  size_t nkeys = 0, *keys = malloc((nc ? nc : 1) * sizeof *keys);
  size_t *order = malloc((nr ? nr : 1) * sizeof *order);
  size_t *buf = malloc(((nr > nc ? nr : nc) + 1) * sizeof *buf);
  int64_t *code = NULL;
  zvec start = {0}, cell = {0};
  int rc = keys && order && buf ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t j = 0; !rc && j < nc; j++)
    if (t->cols[j].def.role == PEIL_ROLE_KEY) keys[nkeys++] = j;
  size_t *dimq = nd ? malloc(nd * sizeof *dimq) : NULL;
  if (!rc && nd && !dimq) rc = peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t d = 0; !rc && d < nd; d++) rc = check_dimension(t, s, d, keys, nkeys, &dimq[d]);
  if (!rc && nd) {
    size_t ncode = nkeys * nr;
    if (!(code = malloc((ncode ? ncode : 1) * sizeof *code))) rc = peil_error(PEIL_ENOMEM, "out of memory");
    if (!rc) rc = key_codes(t, keys, nkeys, code, order);
  }
  key_ctx k = {.t = t, .code = code, .nkeys = nkeys, .nrows = nr};
  if (!rc && nd) rc = duplicate_keys(t, &k, order);
  for (size_t d = 0; !rc && d < nd; d++)
    rc = dimension_groups(t, &k, dimq[d], keys[dimq[d]], s->dimensions[d].total, order, buf, &start, &cell);
  for (size_t c = 0; !rc && c < ns; c++) rc = column_sum_groups(t, &s->column_sums[c], buf, &start, &cell);
  g->ngroups = start.n ? start.n - 1 : 0;
  g->start = start.v, g->cell = cell.v;
  if (!rc) rc = index_cells(g);
  free(keys), free(order), free(buf), free(code), free(dimq);
  if (rc) disclosure_groups_free(g);
  return rc;
}

void disclosure_groups_free(disclosure_groups *g) {
  free(g->start), free(g->cell), free(g->cell_start), free(g->by_cell);
  memset(g, 0, sizeof *g);
}
