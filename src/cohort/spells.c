/* A spell table read in rin order, one person at a time.
 *
 * Every spell table (bijstand, jobs, srg, ...) is scanned once, in row
 * blocks, alongside the person table: for each person the rows with that
 * rin are copied into a small per-person array, so a person's spells may
 * straddle blocks and memory holds one block per table. The tables must be
 * sorted by rin and then start (peil simulate writes them so); anything
 * else is reported with the row, as are spells that end before they start
 * and overlaps in a table declared exclusive. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cohort_internal.h"

enum { COL_RIN, COL_START, COL_END, COL_FIXED };

static int table_error(const spell_table *t, const peil_cohort_spec *s, int line, int status,
                       const char *msg) {
  return cohort_spec_error(s, line, status, "table '%s': %s", t->name, msg);
}

int spell_table_open(spell_table *t, peil_store *st, const char *name, const char *group_col,
                     const peil_cohort_spec *spec) {
  memset(t, 0, sizeof *t);
  t->last_rin = INT64_MIN;
  t->rin_begin = INT64_MIN;
  t->rin_end = INT64_MAX;
  if (!(t->name = strdup(name))) return peil_error(PEIL_ENOMEM, "out of memory");
  if (!peil_store_has_table(st, name))
    return cohort_spec_error(spec, 0, PEIL_ENOTFOUND, "the store %s has no table '%s'",
                             peil_store_path(st), name);
  int rc = peil_store_table_info(st, name, &t->info);
  if (rc) return rc;
  static const char *fixed[] = {"rin", "start", "end"};
  for (int i = 0; i < COL_FIXED; i++) {
    int k = peil_table_info_find(t->info, fixed[i]);
    char msg[256];
    if (k < 0) {
      snprintf(msg, sizeof msg, "no column '%s' (a spell table has rin, start and end)", fixed[i]);
      return table_error(t, spec, 0, PEIL_ENOTFOUND, msg);
    }
    peil_type ty = t->info->cols[k].type;
    int ok = i == COL_RIN ? (ty == PEIL_INT64 || ty == PEIL_INT32) : ty == PEIL_DATE;
    if (!ok) {
      snprintf(msg, sizeof msg, "column '%s' is %s, not %s", fixed[i], peil_type_name(ty),
               i == COL_RIN ? "an integer" : "a date");
      return table_error(t, spec, 0, PEIL_ETYPE, msg);
    }
  }
  if (group_col) {
    int k = peil_table_info_find(t->info, group_col);
    char msg[256];
    if (k < 0 || t->info->cols[k].type != PEIL_ENUM) {
      snprintf(msg, sizeof msg, k < 0 ? "no group column '%s'" : "group column '%s' is not categorical",
               group_col);
      return table_error(t, spec, spec->group_line, k < 0 ? PEIL_ENOTFOUND : PEIL_ETYPE, msg);
    }
    t->has_group = 1;
    if (!(t->group_col = strdup(group_col))) return peil_error(PEIL_ENOMEM, "out of memory");
  }
  return PEIL_OK;
}

int spell_table_add_attr(spell_table *t, const char *column, const peil_cohort_spec *spec,
                         int line, size_t *idx) {
  for (size_t i = 0; i < t->nattr; i++)
    if (strcmp(t->attr_name[i], column) == 0) {
      *idx = i;
      return PEIL_OK;
    }
  int k = peil_table_info_find(t->info, column);
  if (k < 0 || t->info->cols[k].type != PEIL_ENUM) {
    char msg[256];
    snprintf(msg, sizeof msg, k < 0 ? "no column '%s'" : "column '%s' is not categorical", column);
    return table_error(t, spec, line, k < 0 ? PEIL_ENOTFOUND : PEIL_ETYPE, msg);
  }
  char **v = realloc(t->attr_name, (t->nattr + 1) * sizeof *v);
  if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
  t->attr_name = v;
  if (!(v[t->nattr] = strdup(column))) return peil_error(PEIL_ENOMEM, "out of memory");
  *idx = t->nattr++;
  return PEIL_OK;
}

int spell_table_add_condition(spell_table *t, const char *where, const peil_cohort_spec *spec,
                              int line, int *bit) {
  for (size_t i = 0; i < t->ncond; i++)
    if (strcmp(t->cond_text[i], where) == 0) {
      *bit = (int)i;
      return PEIL_OK;
    }
  if (t->ncond == COHORT_MAX_CONDITIONS)
    return cohort_spec_error(spec, line, PEIL_EINVAL, "more than %d different conditions on table '%s'",
                             COHORT_MAX_CONDITIONS, t->name);
  char what[128];
  snprintf(what, sizeof what, "the condition on %s", t->name);
  peil_expr *e;
  int rc = peil_expr_parse(where, what, &e);
  if (rc) return cohort_spec_error(spec, line, rc, "%s", peil_errmsg());
  /* Bind now against the table's columns so that unknown columns and
   * levels ("unknown SRG code") are reported with the spec's line. */
  const char *const *names;
  size_t m = peil_expr_columns(e, &names);
  const peil_column_info *ci[64];
  size_t sl[64];
  if (m > 64) {
    peil_expr_free(e);
    return cohort_spec_error(spec, line, PEIL_EINVAL, "condition '%s' uses more than 64 columns", where);
  }
  for (size_t i = 0; i < m; i++) {
    int k = peil_table_info_find(t->info, names[i]);
    if (k < 0) {
      rc = cohort_spec_error(spec, line, PEIL_ENOTFOUND, "condition '%s': table '%s' has no column '%s'",
                             where, t->name, names[i]);
      peil_expr_free(e);
      return rc;
    }
    ci[i] = &t->info->cols[k];
    sl[i] = (size_t)k;
  }
  if ((rc = peil_expr_bind(e, ci, sl)) || !peil_expr_is_condition(e)) {
    if (!rc)
      rc = cohort_spec_error(spec, line, PEIL_ETYPE, "'%s' is a number, not a condition (e.g. code == \"LKSPWET\")", where);
    else
      rc = cohort_spec_error(spec, line, rc, "%s", peil_errmsg());
    peil_expr_free(e);
    return rc;
  }
  t->cond[t->ncond] = e;
  if (!(t->cond_text[t->ncond] = strdup(where))) return peil_error(PEIL_ENOMEM, "out of memory");
  *bit = (int)t->ncond++;
  return PEIL_OK;
}

static size_t scan_slot(const spell_table *t, const char *name) {
  for (size_t j = 0;; j++)
    if (strcmp(peil_scan_column(t->scan, j)->name, name) == 0) return j;
}

/* The scan reads every column of the table that is used, in table order,
 * so that conditions can be bound with the table's column indices; unused
 * columns are not read. */
int spell_table_start(spell_table *t, peil_store *st) {
  size_t nc = t->info->ncols;
  char *used = calloc(nc, 1);
  const char **names = calloc(nc, sizeof *names);
  if (!used || !names) {
    free(used);
    free(names);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  used[peil_table_info_find(t->info, "rin")] = 1;
  used[peil_table_info_find(t->info, "start")] = 1;
  used[peil_table_info_find(t->info, "end")] = 1;
  if (t->has_group) used[peil_table_info_find(t->info, t->group_col)] = 1;
  for (size_t a = 0; a < t->nattr; a++) used[peil_table_info_find(t->info, t->attr_name[a])] = 1;
  for (size_t c = 0; c < t->ncond; c++) {
    const char *const *cn;
    size_t m = peil_expr_columns(t->cond[c], &cn);
    for (size_t i = 0; i < m; i++) used[peil_table_info_find(t->info, cn[i])] = 1;
  }
  size_t k = 0;
  for (size_t i = 0; i < nc; i++)
    if (used[i]) names[k++] = t->info->cols[i].name;
  free(used);
  int rc = peil_scan_open(st, t->name, names, k, 0, &t->scan);
  free(names);
  if (rc) return rc;
  t->slot_rin = scan_slot(t, "rin");
  t->slot_start = scan_slot(t, "start");
  t->slot_end = scan_slot(t, "end");
  t->rin64 = peil_scan_column(t->scan, t->slot_rin)->type == PEIL_INT64;
  if (t->has_group) t->slot_group = scan_slot(t, t->group_col);
  if (t->nattr && !(t->slot_attr = malloc(t->nattr * sizeof *t->slot_attr)))
    return peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t a = 0; a < t->nattr; a++) t->slot_attr[a] = scan_slot(t, t->attr_name[a]);
  /* Rebind the conditions to the slots of the scan (columns in table order). */
  for (size_t c = 0; c < t->ncond; c++) {
    const char *const *cn;
    size_t m = peil_expr_columns(t->cond[c], &cn);
    const peil_column_info *ci[64];
    size_t sl[64];
    for (size_t i = 0; i < m; i++) {
      for (size_t j = 0; j < k; j++)
        if (strcmp(peil_scan_column(t->scan, j)->name, cn[i]) == 0) sl[i] = j;
      ci[i] = peil_scan_column(t->scan, sl[i]);
    }
    if ((rc = peil_expr_bind(t->cond[c], ci, sl))) return rc;
  }
  return PEIL_OK;
}

static int64_t rin_at(const spell_table *t, size_t i) {
  const void *c = t->blk.cols[t->slot_rin];
  return t->rin64 ? ((const int64_t *)c)[i] : ((const int32_t *)c)[i];
}

/* Reads the next block and evaluates the conditions on it. */
static int next_block(spell_table *t) {
  int got = peil_scan_next(t->scan, &t->blk);
  if (got < 0) return got;
  t->pos = 0;
  if (got == 0) {
    t->eof = 1;
    return PEIL_OK;
  }
  size_t n = t->blk.nrows;
  if (t->ncond && n > t->rowbits_cap) {
    free(t->condbuf);
    free(t->rowbits);
    t->condbuf = malloc(n * sizeof *t->condbuf);
    t->rowbits = malloc(n * sizeof *t->rowbits);
    if (!t->condbuf || !t->rowbits) return peil_error(PEIL_ENOMEM, "out of memory");
    t->rowbits_cap = n;
  }
  if (t->ncond) memset(t->rowbits, 0, n * sizeof *t->rowbits);
  for (size_t c = 0; c < t->ncond; c++) {
    int rc = peil_expr_eval(t->cond[c], &t->blk, t->condbuf);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++)
      if (t->condbuf[i] == 1.0) t->rowbits[i] |= 1u << c; /* missing (NaN) is false */
  }
  return PEIL_OK;
}

static int push_spell(spell_table *t, size_t i) {
  if (t->nsp == t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 16;
    spell *v = realloc(t->sp, cap * sizeof *v);
    if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
    t->sp = v;
    t->cap = cap;
    if (t->nattr) {
      int32_t *a = realloc(t->attrs, cap * t->nattr * sizeof *a);
      if (!a) return peil_error(PEIL_ENOMEM, "out of memory");
      t->attrs = a;
    }
  }
  int64_t row = t->blk.start + (int64_t)i;
  int64_t rin = rin_at(t, i);
  int32_t start = ((const int32_t *)t->blk.cols[t->slot_start])[i];
  int32_t end = ((const int32_t *)t->blk.cols[t->slot_end])[i];
  if (start == PEIL_NA_DATE)
    return peil_error(PEIL_EDATA, "table '%s', row %lld (rin %lld): the start date is missing",
                      t->name, (long long)row + 1, (long long)rin);
  if (end == PEIL_NA_DATE) end = INT32_MAX; /* open: runs past the end of the data */
  if (end < start) {
    char a[12], b[12];
    peil_date_format(start, a);
    peil_date_format(end, b);
    return peil_error(PEIL_EDATA, "table '%s', row %lld (rin %lld): the spell ends (%s) before it starts (%s)",
                      t->name, (long long)row + 1, (long long)rin, b, a);
  }
  if (rin == t->last_rin && start < t->last_start)
    return peil_error(PEIL_EDATA,
                      "table '%s', row %lld (rin %lld): not sorted by rin and start (this spell "
                      "starts before the one in the row above); sort the table by rin, start",
                      t->name, (long long)row + 1, (long long)rin);
  if (t->exclusive && t->nsp && start <= t->sp[t->nsp - 1].end) {
    char a[12];
    peil_date_format(start, a);
    return peil_error(PEIL_EDATA,
                      "table '%s', rows %lld and %lld (rin %lld): spells overlap (the second starts "
                      "%s, before the first ends), but the spec declares '%s' exclusive",
                      t->name, (long long)t->last_row + 1, (long long)row + 1, (long long)rin, a,
                      t->name);
  }
  spell *s = &t->sp[t->nsp];
  s->start = start;
  s->end = end;
  s->group = t->has_group ? ((const int32_t *)t->blk.cols[t->slot_group])[i] : -1;
  s->bits = t->ncond ? t->rowbits[i] : 0;
  s->attr = (int32_t)t->nsp;
  for (size_t a = 0; a < t->nattr; a++)
    t->attrs[t->nsp * t->nattr + a] = ((const int32_t *)t->blk.cols[t->slot_attr[a]])[i];
  t->last_start = start;
  t->last_row = row;
  t->nsp++;
  return PEIL_OK;
}

int spell_table_gather(spell_table *t, int64_t rin) {
  t->nsp = 0;
  for (;;) {
    if (!t->eof && t->pos == (t->blk.cols ? t->blk.nrows : 0)) {
      int rc = next_block(t);
      if (rc) return rc;
    }
    if (t->eof) return PEIL_OK;
    int64_t r = rin_at(t, t->pos);
    if (r < t->last_rin)
      return peil_error(PEIL_EDATA,
                        "table '%s', row %lld: not sorted by rin (rin %lld after %lld); sort the "
                        "table by rin, start",
                        t->name, (long long)(t->blk.start + (int64_t)t->pos) + 1, (long long)r,
                        (long long)t->last_rin);
    if (r < t->rin_begin || r >= t->rin_end)
      return peil_error(PEIL_EDATA,
                        "table '%s', row %lld: not sorted by rin (rin %lld is out of place); sort "
                        "the table by rin, start",
                        t->name, (long long)(t->blk.start + (int64_t)t->pos) + 1, (long long)r);
    if (r > rin) return PEIL_OK;
    if (r != t->last_rin) {
      t->last_rin = r;
      t->last_start = INT32_MIN;
    }
    if (r < rin) {
      t->orphans++; /* no such person in the person table */
    } else {
      int rc = push_spell(t, t->pos);
      if (rc) return rc;
    }
    t->pos++;
  }
}

void spell_table_close(spell_table *t) {
  free(t->name);
  free(t->group_col);
  if (t->scan) peil_scan_close(t->scan);
  if (t->info) peil_table_info_free(t->info);
  for (size_t c = 0; c < t->ncond; c++) {
    peil_expr_free(t->cond[c]);
    free(t->cond_text[c]);
  }
  for (size_t a = 0; a < t->nattr; a++) free(t->attr_name[a]);
  free(t->attr_name);
  free(t->slot_attr);
  free(t->condbuf);
  free(t->rowbits);
  free(t->sp);
  free(t->attrs);
  memset(t, 0, sizeof *t);
}

/* ---- Status queries. A person has a handful of spells per table, so a
 * linear pass is the fastest there is. */

long spells_latest(const spell_table *t, int32_t a, int32_t b, int bit, int32_t group) {
  long best = -1;
  for (size_t i = 0; i < t->nsp && t->sp[i].start <= b; i++)
    if (t->sp[i].end >= a && (bit < 0 || (t->sp[i].bits >> bit & 1u)) &&
        (group < 0 || t->sp[i].group == group))
      best = (long)i;
  return best;
}

long spells_covering(const spell_table *t, int32_t d, int bit, int32_t group) {
  return spells_latest(t, d, d, bit, group);
}

/* Per spell, the ranges it overlaps are one run of k (lo and hi increase):
 * from the first k with hi[k] >= start to the last with lo[k] <= end.
 * Spells in start order overwrite, so the last one written is the last
 * index that overlaps: spells_latest's answer, in O(spells + ranges) where
 * asking range by range costs O(spells x ranges). */
void spells_latest_each(const spell_table *t, const int32_t *lo, const int32_t *hi, size_t n,
                        long *which) {
  for (size_t k = 0; k < n; k++) which[k] = -1;
  for (size_t i = 0; i < t->nsp; i++) {
    const spell *s = &t->sp[i];
    size_t a = 0, b = n; /* first k with hi[k] >= start */
    while (a < b) {
      size_t mid = a + (b - a) / 2;
      if (hi[mid] < s->start) a = mid + 1;
      else b = mid;
    }
    for (size_t k = a; k < n && lo[k] <= s->end; k++) which[k] = (long)i;
  }
}

int spells_overlap(const spell_table *t, int32_t a, int32_t b, int bit) {
  for (size_t i = 0; i < t->nsp && t->sp[i].start <= b; i++)
    if (t->sp[i].end >= a && (bit < 0 || (t->sp[i].bits >> bit & 1u))) return 1;
  return 0;
}

long spells_first(const spell_table *t, int32_t a, int32_t b, int bit, int32_t *day) {
  long best = -1;
  int32_t first = INT32_MAX;
  for (size_t i = 0; i < t->nsp && t->sp[i].start <= b; i++) {
    const spell *sp = &t->sp[i];
    if (sp->end < a || (bit >= 0 && !(sp->bits >> bit & 1u))) continue;
    int32_t d = sp->start > a ? sp->start : a;
    if (d <= first) { /* in start order: a tie goes to the later start */
      first = d;
      best = (long)i;
    }
  }
  *day = first;
  return best;
}

int32_t spells_episode_start(const spell_table *t, size_t i, int gap) {
  /* One pass in start order: a spell that starts more than `gap` days
   * after the latest end so far begins a new episode. */
  int32_t start = t->sp[0].start;
  int64_t reach = t->sp[0].end;
  for (size_t k = 1; k <= i; k++) {
    if (t->sp[k].start > reach + 1 + gap) start = t->sp[k].start;
    if (t->sp[k].end > reach) reach = t->sp[k].end;
  }
  return start;
}

int cohort_person_rin(const peil_block *b, size_t slot, int rin64, size_t i, const char *table,
                      int64_t *last, int64_t *rin) {
  *rin = rin64 ? ((const int64_t *)b->cols[slot])[i] : ((const int32_t *)b->cols[slot])[i];
  if (*rin <= *last)
    return peil_error(PEIL_EDATA,
                      "table '%s', row %lld: rin %lld %s; the person table needs one row per "
                      "person, sorted by rin",
                      table, (long long)(b->start + (int64_t)i) + 1, (long long)*rin,
                      *rin == *last ? "appears twice" : "is not in order");
  *last = *rin;
  return PEIL_OK;
}

void cohort_day_split(int32_t d, cohort_day *out) {
  out->day = d;
  peil_date_to_ymd(d, &out->y, &out->m, &out->d);
  out->last = d == peil_date_add_months(peil_date_from_ymd(out->y, out->m, 1), 1) - 1;
}

int cohort_months_until(int32_t a, const cohort_day *b) {
  if (b->day < a) {
    cohort_day x;
    cohort_day_split(a, &x);
    return -cohort_months_until(b->day, &x);
  }
  int ya, ma, da;
  peil_date_to_ymd(a, &ya, &ma, &da);
  /* a + m months falls in b's month, on day min(da, length of that month):
   * on or before b unless da > db and b is not its month's last day. */
  int m = (b->y - ya) * 12 + (b->m - ma);
  if (da > b->d && !b->last) m--;
  return m;
}

int cohort_months_between(int32_t a, int32_t b) {
  cohort_day x;
  cohort_day_split(b, &x);
  return cohort_months_until(a, &x);
}
