/* peil run: disclosure control of a section's tables (run_exec.h). Each
 * table is controlled on its own, but a number that appears in several
 * cells (run_link) must be suppressed in all or none. The tables are controlled on fresh copies,
 * and a number suppressed in one cell but published in another is forced
 * (peil_disclosure_force) in every cell in the next round, until a round
 * leaves no such number. The forced set grows every round, so this ends;
 * one round when the tables agree already (a number suppressed everywhere
 * by the rules themselves keeps the rule that suppressed it in the audit). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run_exec.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int in_set(char *const *set, size_t n, const char *id) {
  return n && bsearch(&id, set, n, sizeof *set, cmp_str) != NULL;
}

typedef struct {
  const char *id; /* borrowed from the links */
  int suppressed;
} link_state;

static int cmp_state(const void *a, const void *b) {
  const link_state *x = a, *y = b;
  int c = strcmp(x->id, y->id);
  return c ? c : x->suppressed - y->suppressed;
}

/* One round: the controlled copies and their audit, and every linked
 * cell's id with whether it was suppressed (states, *nstates of them). */
static int control_round(const run_tables *out, const run_env *env, char *const *forced, size_t nforced,
                         peil_rtable **copies, peil_disclosure_audit *audit, link_state *states,
                         size_t *nstates) {
  int rc = PEIL_OK;
  size_t m = 0;
  for (size_t i = 0; !rc && i < out->n; i++) {
    const run_table *rt = &out->v[i];
    rc = peil_rtable_copy(rt->table, &copies[i]);
    for (size_t l = 0; !rc && l < rt->nlinks; l++)
      if (in_set(forced, nforced, rt->links[l].id)) rc = peil_disclosure_force(copies[i], rt->links[l].row, rt->links[l].col);
    peil_disclosure_structure ds = {rt->dims, rt->ndims, rt->sums, rt->nsums};
    if (!rc) rc = peil_disclosure_apply(copies[i], rt->ndims || rt->nsums ? &ds : NULL, &env->rules, audit);
    for (size_t l = 0; !rc && l < rt->nlinks; l++) {
      unsigned f = peil_rtable_flags(copies[i], rt->links[l].row, rt->links[l].col);
      if (!(f & PEIL_CELL_NA)) /* a missing cell shows no number */
        states[m++] = (link_state){rt->links[l].id, !!(f & PEIL_CELL_SUPPRESSED)};
    }
  }
  *nstates = m;
  return rc;
}

/* The ids of states (m of them) suppressed in one cell and published in
 * another, appended to *forced (kept sorted); *added: how many. */
static int add_disagreements(link_state *states, size_t m, char ***forced, size_t *nforced, size_t *added) {
  if (m) qsort(states, m, sizeof *states, cmp_state);
  *added = 0;
  size_t before = *nforced;
  for (size_t a = 0; a < m;) {
    size_t b = a;
    while (b < m && !strcmp(states[b].id, states[a].id)) b++;
    if (!states[a].suppressed && states[b - 1].suppressed) { /* sorted: published first */
      if (in_set(*forced, before, states[a].id)) /* forced cells are suppressed: cannot happen */
        return peil_error(PEIL_EINTERNAL, "disclosure control: a forced number stays published"); /* no id: it may hold a count */
      char **v = realloc(*forced, (*nforced + 1) * sizeof *v);
      if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
      *forced = v;
      v[(*nforced)++] = (char *)states[a].id;
      (*added)++;
    }
    a = b;
  }
  if (*nforced) qsort(*forced, *nforced, sizeof **forced, cmp_str); /* qsort(NULL, 0) is undefined */
  return PEIL_OK;
}

int run_control_tables(run_tables *out, const run_env *env, peil_disclosure_audit **audit) {
  char **forced = NULL;
  size_t nforced = 0, nlinks = 0, nstates = 0;
  for (size_t i = 0; i < out->n; i++) nlinks += out->v[i].nlinks;
  peil_rtable **copies = calloc(out->n ? out->n : 1, sizeof *copies);
  link_state *states = malloc((nlinks ? nlinks : 1) * sizeof *states);
  int rc = copies && states ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
  while (!rc) {
    size_t added = 0;
    if (!(rc = peil_disclosure_audit_new(audit)))
      rc = control_round(out, env, forced, nforced, copies, *audit, states, &nstates);
    if (!rc) rc = add_disagreements(states, nstates, &forced, &nforced, &added);
    if (!rc && !added) { /* the tables agree: keep this round's */
      for (size_t i = 0; i < out->n; i++) peil_rtable_free(out->v[i].table), out->v[i].table = copies[i];
      break;
    }
    for (size_t i = 0; i < out->n; i++) peil_rtable_free(copies[i]), copies[i] = NULL;
    peil_disclosure_audit_free(*audit);
    *audit = NULL;
  }
  free(states);
  free(forced);
  free(copies);
  return rc;
}

