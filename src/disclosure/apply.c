/* peil_disclosure_apply: checks the table and its structure, then runs the
 * rules in order (primary, secondary, estimates, shares, rounding), then
 * writes notes, the control record and the audit. Everything that can be
 * refused is checked before the first cell changes. */
#include <stdlib.h>
#include <string.h>

#include "disclosure_internal.h"

static int is_counted(const rtable_col *c) {
  return c->def.role == PEIL_ROLE_COUNT || c->def.role == PEIL_ROLE_N;
}

static int check_counts(const peil_rtable *t) {
  for (size_t j = 0; j < t->ncols; j++) {
    const rtable_col *c = &t->cols[j];
    if (!is_counted(c)) continue;
    for (size_t r = 0; r < t->nrows; r++)
      if (!(c->flags[r] & PEIL_CELL_NA) && c->v.i[r] < 0) {
        char *label = rtable_row_label(t, r);
        if (!label) return peil_error(PEIL_ENOMEM, "out of memory");
        peil_error(PEIL_EDATA, "table %s, row %s, column %s: a number of persons cannot be negative (%lld)",
                   t->name, label, c->name, (long long)c->v.i[r]);
        free(label);
        return PEIL_EDATA;
      }
  }
  return PEIL_OK;
}

/* A share left missing is scale * count / denominator, from the counts as
 * they are (before any rounding). */
static void fill_shares(peil_rtable *t) {
  for (size_t j = 0; j < t->ncols; j++) {
    rtable_col *c = &t->cols[j];
    if (c->def.role != PEIL_ROLE_SHARE) continue;
    const rtable_col *num = &t->cols[c->count_col], *den = &t->cols[c->denom_col];
    for (size_t r = 0; r < t->nrows; r++) {
      if (!(c->flags[r] & PEIL_CELL_NA) || (num->flags[r] & PEIL_CELL_NA) || (den->flags[r] & PEIL_CELL_NA) ||
          den->v.i[r] == 0)
        continue;
      c->v.x[r] = c->def.scale * (double)num->v.i[r] / (double)den->v.i[r];
      c->flags[r] = 0;
    }
  }
}

static int is_small(const peil_disclosure_rules *ru, int64_t v) {
  return v < ru->min_cell && (v > 0 || ru->zero_cells == PEIL_ZERO_CELLS_SMALL);
}

int peil_disclosure_force(peil_rtable *t, size_t row, size_t col) {
  if (t->control.state != PEIL_RTABLE_UNCONTROLLED)
    return peil_error(PEIL_EINVAL, "table %s: disclosure control was already applied", t->name);
  if (col >= t->ncols || row >= t->nrows || !is_counted(&t->cols[col]))
    return peil_error(PEIL_EINVAL, "table %s: only a count or n cell can be suppressed as linked", t->name);
  if (!(t->cols[col].flags[row] & PEIL_CELL_NA)) t->cols[col].flags[row] |= PEIL_CELL_LINKED;
  return PEIL_OK;
}

/* Cells marked by peil_disclosure_force that are not small themselves
 * (those are primary): in the audit, before secondary suppression. */
static int linked(peil_rtable *t, dlog *log) {
  for (size_t j = 0; j < t->ncols; j++)
    for (size_t r = 0; r < t->nrows; r++)
      if (t->cols[j].flags[r] & PEIL_CELL_LINKED) {
        int rc = dlog_add(log, r, j, "linked: suppressed where the same number appears");
        if (rc) return rc;
      }
  return PEIL_OK;
}

static int primary(peil_rtable *t, const peil_disclosure_rules *ru, dlog *log) {
  for (size_t j = 0; j < t->ncols; j++) {
    rtable_col *c = &t->cols[j];
    if (!is_counted(c)) continue;
    for (size_t r = 0; r < t->nrows; r++) {
      if ((c->flags[r] & PEIL_CELL_NA) || !is_small(ru, c->v.i[r])) continue;
      c->flags[r] = (uint8_t)((c->flags[r] & ~PEIL_CELL_LINKED) | PEIL_CELL_PRIMARY); /* small first */
      /* The same words for a 0 and a 9: the rule never tells the value. */
      int rc = dlog_add(log, r, j, "primary: fewer than %lld", (long long)ru->min_cell);
      if (rc) return rc;
    }
  }
  return PEIL_OK;
}

/* The classic rule and the check across groups, until both are content. */
static int secondary(peil_rtable *t, const disclosure_groups *g, dlog *log) {
  for (;;) {
    size_t a1, a2;
    int rc = disclosure_secondary(t, g, log, &a1);
    if (!rc) rc = disclosure_linked(t, g, log, &a2);
    if (rc) return rc;
    if (!a2) return PEIL_OK;
  }
}

/* Appends ", name" (or "name") to a growing list of column names, once. */
static int add_name(char **list, const char *name) {
  size_t n = *list ? strlen(*list) : 0, k = strlen(name);
  if (*list) {
    for (const char *p = *list; (p = strstr(p, name)); p += k)
      if ((p == *list || p[-1] == ' ') && (p[k] == ',' || !p[k])) return PEIL_OK;
  }
  char *s = realloc(*list, n + k + 3);
  if (!s) return peil_error(PEIL_ENOMEM, "out of memory");
  if (n) memcpy(s + n, ", ", 2), n += 2;
  memcpy(s + n, name, k + 1);
  *list = s;
  return PEIL_OK;
}

/* Every estimate of a row whose n cells (of any of its estimate columns)
 * include one below min_cell or missing; *ns lists the n columns that
 * did it, for the note. */
static int estimates(peil_rtable *t, const peil_disclosure_rules *ru, dlog *log, char **ns) {
  char *why = NULL;
  int rc = PEIL_OK;
  for (size_t r = 0; !rc && r < t->nrows; r++) {
    free(why);
    why = NULL;
    for (size_t j = 0; !rc && j < t->ncols; j++) {
      const rtable_col *c = &t->cols[j];
      if (c->def.role != PEIL_ROLE_ESTIMATE) continue;
      for (size_t k = 0; !rc && k < c->nn; k++) {
        const rtable_col *n = &t->cols[c->n_cols[k]];
        int na = n->flags[r] & PEIL_CELL_NA;
        if (!na && n->v.i[r] >= ru->min_cell) continue;
        char item[300];
        snprintf(item, sizeof item, "%s %s", n->name, na ? "not available" : "fewer than");
        if (!na) snprintf(item + strlen(item), sizeof item - strlen(item), " %lld", (long long)ru->min_cell);
        if (!why || !strstr(why, item)) rc = add_name(&why, item);
        if (!rc) rc = add_name(ns, n->name);
      }
    }
    if (rc || !why) continue;
    for (size_t j = 0; !rc && j < t->ncols; j++) {
      rtable_col *c = &t->cols[j];
      if (c->def.role != PEIL_ROLE_ESTIMATE || (c->flags[r] & (PEIL_CELL_NA | PEIL_CELL_SUPPRESSED))) continue;
      c->flags[r] |= PEIL_CELL_ESTIMATE;
      rc = dlog_add(log, r, j, "estimate: %s", why);
    }
  }
  free(why);
  return rc;
}

static int shares(peil_rtable *t, dlog *log) {
  for (size_t j = 0; j < t->ncols; j++) {
    rtable_col *c = &t->cols[j];
    if (c->def.role != PEIL_ROLE_SHARE) continue;
    const rtable_col *num = &t->cols[c->count_col], *den = &t->cols[c->denom_col];
    for (size_t r = 0; r < t->nrows; r++) {
      if (c->flags[r] & PEIL_CELL_NA) continue;
      const rtable_col *by = (num->flags[r] & DISCLOSURE_SUPPRESSED) ? num
                             : (den->flags[r] & DISCLOSURE_SUPPRESSED) ? den
                                                                        : NULL;
      if (!by) continue;
      c->flags[r] |= PEIL_CELL_SHARE;
      int rc = dlog_add(log, r, j, "share: with %s %s", by == num ? "count" : "denominator", by->name);
      if (rc) return rc;
    }
  }
  return PEIL_OK;
}

/* Half up, as CBS rounds (15 -> 20 at base 10); counts are never negative. */
static int rounding(peil_rtable *t, const peil_disclosure_rules *ru, dlog *log) {
  int64_t b = ru->rounding;
  for (size_t j = 0; j < t->ncols; j++) {
    rtable_col *c = &t->cols[j];
    if (c->def.role != PEIL_ROLE_COUNT && !(c->def.role == PEIL_ROLE_N && c->def.rounded)) continue;
    for (size_t r = 0; r < t->nrows; r++) {
      if (c->flags[r] & (PEIL_CELL_NA | PEIL_CELL_SUPPRESSED)) continue;
      c->v.i[r] = (c->v.i[r] + b / 2) / b * b;
      c->flags[r] |= PEIL_CELL_ROUNDED;
    }
    int rc = dlog_add(log, DLOG_NONE, j, "rounded to %d", ru->rounding);
    if (rc) return rc;
  }
  return PEIL_OK;
}

static void count_flags(peil_rtable *t) {
  peil_rtable_control *k = &t->control;
  for (size_t j = 0; j < t->ncols; j++)
    for (size_t r = 0; r < t->nrows; r++) {
      unsigned f = t->cols[j].flags[r];
      k->n_primary += !!(f & PEIL_CELL_PRIMARY);
      k->n_secondary += !!(f & PEIL_CELL_SECONDARY);
      k->n_estimate += !!(f & PEIL_CELL_ESTIMATE);
      k->n_share += !!(f & PEIL_CELL_SHARE);
      k->n_linked += !!(f & PEIL_CELL_LINKED);
      k->n_rounded += !!(f & PEIL_CELL_ROUNDED);
    }
}

static int has_role(const peil_rtable *t, peil_rtable_role role) {
  for (size_t j = 0; j < t->ncols; j++)
    if (t->cols[j].def.role == role) return 1;
  return 0;
}

static int add_notes(peil_rtable *t, const peil_disclosure_rules *ru, const disclosure_groups *g,
                     const char *ns) {
  const peil_rtable_control *k = &t->control;
  long long m = (long long)ru->min_cell;
  int rc = PEIL_OK;
  if (k->n_primary + k->n_secondary + k->n_estimate + k->n_share + k->n_linked)
    rc = peil_rtable_add_note(t, "x: suppressed (fewer than %lld persons, or to protect such a cell)", m);
  if (!rc && ns)
    rc = peil_rtable_add_note(t, "Estimates are suppressed (x) in rows where they rest on fewer than %lld persons (%s).",
                              m, ns);
  if (!rc && ru->rounding)
    rc = peil_rtable_add_note(t, "Counts are rounded to multiples of %d (half up)%s%s.", ru->rounding,
                              g->ngroups ? "; totals are rounded on their own, so rounded parts need not "
                                           "add up to the rounded totals"
                                         : "",
                              has_role(t, PEIL_ROLE_SHARE) ? "; shares are computed from the unrounded counts"
                                                           : "");
  return rc;
}

/* The actions, now with the rows' labels, into the audit. */
static int write_audit(const peil_rtable *t, const dlog *log, peil_disclosure_audit *audit) {
  int rc = PEIL_OK;
  for (size_t k = 0; !rc && k < log->n; k++) {
    const dlog_entry *e = &log->e[k];
    char *row = e->row == DLOG_NONE ? NULL : rtable_row_label(t, e->row);
    if (e->row != DLOG_NONE && !row) return peil_error(PEIL_ENOMEM, "out of memory");
    rc = peil_disclosure_audit_add(audit, t->name, row, e->col == DLOG_NONE ? "" : t->cols[e->col].name, e->rule);
    free(row);
  }
  return rc;
}

static int control(peil_rtable *t, const disclosure_groups *g, const peil_disclosure_rules *ru, dlog *log) {
  char *ns = NULL;
  int rc = dlog_add(log, DLOG_NONE, DLOG_NONE, "rules: min_cell %lld, rounding %s, zero cells %s",
                    (long long)ru->min_cell, ru->rounding == 5 ? "5" : ru->rounding == 10 ? "10" : "none",
                    ru->zero_cells == PEIL_ZERO_CELLS_SMALL ? "small" : "safe");
  if (!rc) rc = primary(t, ru, log);
  if (!rc) rc = linked(t, log);
  if (!rc) rc = secondary(t, g, log);
  if (!rc) rc = estimates(t, ru, log, &ns);
  if (!rc) rc = shares(t, log);
  if (!rc && ru->rounding) rc = rounding(t, ru, log);
  if (!rc) {
    t->control = (peil_rtable_control){.state = PEIL_RTABLE_UNCONTROLLED, .min_cell = ru->min_cell,
                                       .rounding = ru->rounding,
                                       .zero_cells_small = ru->zero_cells == PEIL_ZERO_CELLS_SMALL};
    count_flags(t);
    rc = add_notes(t, ru, g, ns);
  }
  free(ns);
  return rc;
}

int peil_disclosure_apply(peil_rtable *t, const peil_disclosure_structure *s, const peil_disclosure_rules *r,
                          peil_disclosure_audit *audit) {
  peil_disclosure_rules defaults;
  peil_disclosure_rules_init(&defaults);
  const peil_disclosure_rules *ru = r ? r : &defaults;
  int rc = disclosure_rules_check(ru);
  if (rc) return rc;
  if (t->control.state != PEIL_RTABLE_UNCONTROLLED)
    return peil_error(PEIL_EINVAL, "table %s: disclosure control was already applied", t->name);
  if ((rc = check_counts(t))) return rc;
  disclosure_groups g;
  if ((rc = disclosure_groups_build(t, s, &g))) return rc;
  fill_shares(t);
  dlog log = {0};
  if (!ru->enabled) {
    for (size_t j = 0; j < t->ncols; j++) /* nothing is suppressed with control off */
      for (size_t i = 0; i < t->nrows; i++) t->cols[j].flags[i] &= (uint8_t)~PEIL_CELL_LINKED;
    rc = dlog_add(&log, DLOG_NONE, DLOG_NONE, "disclosure control: off");
    if (!rc) rc = peil_rtable_add_note(t, "disclosure control: off");
  } else {
    rc = control(t, &g, ru, &log);
  }
  if (!rc && audit) rc = write_audit(t, &log, audit);
  if (!rc) t->control.state = ru->enabled ? PEIL_RTABLE_CONTROLLED : PEIL_RTABLE_CONTROL_OFF;
  dlog_free(&log);
  disclosure_groups_free(&g);
  return rc;
}
