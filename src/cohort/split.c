/* peil_split_write: episodes split into pieces for piecewise-constant
 * hazard models (docs/split.md).
 *
 * The pass is the panel's: the person table in row blocks and, beside it,
 * the spell tables (episodes, event, treatment) read in rin order a person
 * at a time (spells.c). A person's episodes, their follow-up, event and
 * treatment come from split_rules.c; each episode that survives the age
 * range is copied with its columns into a batch of episodes, on which the
 * where filter is evaluated as on a block of a table, and the batch's
 * episodes that pass are cut into pieces and appended to the output in
 * chunks. Memory is a block per table read, a batch of episodes and a
 * chunk of rows (two with write-behind), whatever the number of persons.
 *
 * The table is written under a temporary name and renamed when complete
 * (partial.c), as the panel is. */
#define _GNU_SOURCE /* open_memstream */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "split_internal.h"

enum { ROLE_EPISODES, ROLE_EVENT, ROLE_TREATMENT, NROLES };
static const char *const ROLE_KEY[NROLES] = {"spells", "event", "treatment"};

/* The columns of an episode in the batch: built in, computed at the
 * episode's start, or copied from the person table. */
typedef enum { EC_RIN, EC_EPISODE, EC_START, EC_END, EC_AGE, EC_AGE_CLASS, EC_YEAR, EC_EARLIER, EC_PERSON } ec_source;

#define BATCH 4096                 /* episodes per batch */
#define OUT_ROWS PEIL_BLOCK_ROWS   /* rows buffered per append (a chunk of the writer) */

/* The fixed columns of the output, before the covariates. */
enum { OC_RIN, OC_EPISODE, OC_START, OC_TSTART, OC_TSTOP, OC_EXPOSURE, OC_EVENT, OC_PERIOD, OC_TREATED, OC_FIXED };
static const char *const FIXED_NAMES[OC_FIXED] = {"rin", "episode", "start", "tstart", "tstop",
                                                  "exposure", "event", "period", "treated"};

typedef struct {
  ec_source source;
  peil_column_info info;   /* name, type and levels (borrowed) */
  size_t pslot;            /* EC_PERSON: the column's slot in the person scan */
  void *data;              /* BATCH values in the in-memory type */
} ecol;

typedef struct {
  peil_store *in, *out;
  const peil_split_options *o;
  peil_split_summary *sum;
  int32_t from, to;        /* the follow-up window (PEIL_NA_DATE: open) */
  int32_t data_end;        /* for the event window (PEIL_NA_DATE: unknown) */
  int event_ended;         /* the event is any end */
  int has_treatment;
  spell_table tab[NROLES];
  int used[NROLES];
  int bit[NROLES];
  char *role_table[NROLES], *role_where[NROLES];

  peil_table_info *pinfo;  /* the person table */
  peil_scan *people;
  int rin64;
  int birth;               /* the person table has the birth-date column (then read) */
  size_t slot_birth;
  char **age_levels;       /* age_class's labels */
  size_t nage_levels;
  char **periods;

  size_t nec;
  ecol *ec;                /* the batch's columns; the first four are built in */
  int ec_of[EC_PERSON];    /* the index of a built-in or computed column, or -1 */
  size_t *cov;             /* the covariates written: indexes into ec */
  size_t ncov;
  peil_expr *where;
  double *keep;            /* the where's value per episode of the batch */
  split_followup *fu;      /* per episode of the batch */
  size_t nbatch;

  split_episode *eps;      /* a person's episodes */
  size_t eps_cap;
  split_piece *pieces;     /* one episode's pieces: ncuts + 3 */

  char *tmp;               /* the table while it is written */
  peil_table_writer *w;
  size_t ncols;
  void **buf;              /* one chunk of rows per output column */
  size_t n;                /* rows in buf */
  int64_t last_rin_out;
} splitter;

static int threads(const peil_split_options *o) {
  return o->threads > 0 ? o->threads : omp_get_num_procs();
}

void peil_split_summary_free(peil_split_summary *s) {
  if (!s) return;
  free(s->table);
  if (s->periods) peil_strings_free(s->periods, s->nperiods);
  free(s->cells);
  if (s->tables) peil_strings_free(s->tables, s->ntables);
  free(s->orphans);
  memset(s, 0, sizeof *s);
}

/* ---- Setting up. */

static int check_options(splitter *S) {
  const peil_split_options *o = S->o;
  if (!o->spells || !o->event || !o->persons || !o->birth_date || !o->table)
    return peil_error(PEIL_EINVAL, "split: the options were not initialised (peil_split_options_init)");
  if (!peil_store_valid_name(o->table))
    return peil_error(PEIL_EINVAL, "table: '%s' is not a table name (empty or contains '/')", o->table);
  for (size_t k = 0; k < o->ncuts; k++)
    if (o->cuts[k] <= 0 || (k && o->cuts[k] <= o->cuts[k - 1]))
      return peil_error(PEIL_EINVAL, "cuts: the cut points must be positive and increase (%d%s)",
                        (int)o->cuts[k], k ? " after a larger or equal one" : "");
  for (size_t k = 0; k < o->nage_cuts; k++)
    if (o->age_cuts[k] <= 0 || (k && o->age_cuts[k] <= o->age_cuts[k - 1]))
      return peil_error(PEIL_EINVAL, "age_cuts: the cut points must be positive and increase");
  if (o->within_from > o->within_to)
    return peil_error(PEIL_EINVAL, "within: the window %d..%d is empty", o->within_from, o->within_to);
  if ((o->age_min < 0) != (o->age_max < 0) || o->age_min > o->age_max)
    return peil_error(PEIL_EINVAL, "age: %d..%d is not a range of years", o->age_min, o->age_max);
  if (o->gap < -1) return peil_error(PEIL_EINVAL, "gap: %d is not none or a number of days", o->gap);
  if (o->treatment_end < -1)
    return peil_error(PEIL_EINVAL, "treatment_end: %d is not stays or a number of days", o->treatment_end);
  return PEIL_OK;
}

/* The same file? Then the table may not replace one of its inputs. */
static int same_store(peil_store *a, peil_store *b) {
  if (a == b) return 1;
  char *x = realpath(peil_store_path(a), NULL), *y = realpath(peil_store_path(b), NULL);
  int same = x && y && strcmp(x, y) == 0;
  free(x);
  free(y);
  return same;
}

static int check_output_name(splitter *S) {
  const peil_split_options *o = S->o;
  if (same_store(S->in, S->out)) {
    const char *inputs[NROLES + 1] = {o->persons, S->role_table[0], S->role_table[1], S->role_table[2]};
    for (size_t i = 0; i < NROLES + 1; i++)
      if (inputs[i] && strcmp(inputs[i], o->table) == 0)
        return peil_error(PEIL_EINVAL, "table: the split table cannot be called '%s': that is one of "
                          "its inputs", o->table);
  }
  if (!o->replace && peil_store_has_table(S->out, o->table))
    return peil_error(PEIL_EEXIST, "%s: table '%s' exists already (replace it: force = yes, --force)",
                      peil_store_path(S->out), o->table);
  return PEIL_OK;
}

/* The follow-up window and the data's end from the options and the store. */
static int setup_window(splitter *S) {
  const peil_split_options *o = S->o;
  int32_t data_start = PEIL_NA_DATE, data_end = PEIL_NA_DATE;
  cohort_store_coverage(S->in, &data_start, &data_end);
  S->from = o->data_start == PEIL_NA_DATE       ? data_start
            : o->data_start == PEIL_SPLIT_NEVER ? PEIL_NA_DATE
                                                : o->data_start;
  S->to = o->data_end == PEIL_NA_DATE ? data_end : o->data_end;
  S->data_end = data_end != PEIL_NA_DATE ? data_end : S->to;
  char a[12], b[12];
  if (o->data_end != PEIL_NA_DATE && data_end != PEIL_NA_DATE && o->data_end > data_end) {
    peil_date_format(o->data_end, a);
    peil_date_format(data_end, b);
    return peil_error(PEIL_EINVAL, "data_end: %s lies after the end of the store's data (%s): "
                      "follow-up there is not observed", a, b);
  }
  if (S->from != PEIL_NA_DATE && S->to != PEIL_NA_DATE && S->from > S->to) {
    peil_date_format(S->from, a);
    peil_date_format(S->to, b);
    return peil_error(PEIL_EINVAL, "data_start: the follow-up would start (%s) after it ends (%s)", a, b);
  }
  S->sum->follow_start = S->from;
  S->sum->follow_end = S->to;
  S->sum->data_end = S->data_end;
  return PEIL_OK;
}

/* The spell tables of the three roles and their conditions. */
static int setup_tables(splitter *S) {
  const peil_split_options *o = S->o;
  S->event_ended = strcmp(o->event, "ended") == 0;
  S->has_treatment = o->treatment != NULL;
  const char *text[NROLES] = {o->spells, S->event_ended ? NULL : o->event, o->treatment};
  int rc = PEIL_OK;
  for (int r = 0; r < NROLES && !rc; r++) {
    S->bit[r] = -1;
    if (!text[r]) continue;
    if ((rc = split_parse_status(text[r], &S->role_table[r], &S->role_where[r]))) break;
    S->used[r] = 1;
    rc = spell_table_open(&S->tab[r], S->in, S->role_table[r], NULL, NULL);
    if (!rc && S->role_where[r])
      rc = spell_table_add_condition(&S->tab[r], S->role_where[r], NULL, 0, &S->bit[r]);
    if (rc) rc = peil_error_prefix(rc, "%s: ", ROLE_KEY[r]);
  }
  return rc;
}

static int start_tables(splitter *S) {
  int decode = threads(S->o) > 1 ? threads(S->o) - 1 : 1;
  int rc = PEIL_OK;
  for (int r = 0; r < NROLES && !rc; r++) {
    if (!S->used[r]) continue;
    rc = spell_table_start(&S->tab[r], S->in);
    if (!rc) peil_scan_set_threads(S->tab[r].scan, decode);
  }
  return rc;
}

/* age_class's labels: "< 27", "27-34", ..., ">= 55", as peil cohort's age_band. */
static int age_labels(splitter *S) {
  const peil_split_options *o = S->o;
  S->nage_levels = o->nage_cuts + 1;
  if (!(S->age_levels = calloc(S->nage_levels, sizeof *S->age_levels))) return PEIL_ENOMEM;
  for (size_t k = 0; k < S->nage_levels; k++) {
    char buf[32];
    if (k == 0) snprintf(buf, sizeof buf, "< %d", (int)o->age_cuts[0]);
    else if (k == o->nage_cuts) snprintf(buf, sizeof buf, ">= %d", (int)o->age_cuts[k - 1]);
    else snprintf(buf, sizeof buf, "%d-%d", (int)o->age_cuts[k - 1], (int)o->age_cuts[k] - 1);
    if (!(S->age_levels[k] = strdup(buf))) return PEIL_ENOMEM;
  }
  return PEIL_OK;
}

/* The person table: an integer rin, and the birth-date column if it has one. */
static int setup_persons(splitter *S) {
  const peil_split_options *o = S->o;
  if (!peil_store_has_table(S->in, o->persons))
    return peil_error(PEIL_ENOTFOUND, "persons: the store %s has no person table '%s'",
                      peil_store_path(S->in), o->persons);
  int rc = peil_store_table_info(S->in, o->persons, &S->pinfo);
  if (rc) return rc;
  int k = peil_table_info_find(S->pinfo, "rin");
  if (k < 0 || (S->pinfo->cols[k].type != PEIL_INT64 && S->pinfo->cols[k].type != PEIL_INT32))
    return peil_error(PEIL_ENOTFOUND, "persons: table '%s' needs an integer column rin", o->persons);
  S->rin64 = S->pinfo->cols[k].type == PEIL_INT64;
  int b = peil_table_info_find(S->pinfo, o->birth_date);
  if (b >= 0 && S->pinfo->cols[b].type != PEIL_DATE)
    return peil_error(PEIL_ETYPE, "birth_date: column '%s' of table '%s' is %s, not a date",
                      o->birth_date, o->persons, peil_type_name(S->pinfo->cols[b].type));
  S->birth = b >= 0;
  return PEIL_OK;
}

static int add_ecol(splitter *S, ec_source src, const char *name, peil_type type, size_t nlevels,
                    char **levels, size_t *idx) {
  ecol *v = realloc(S->ec, (S->nec + 1) * sizeof *v);
  if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
  S->ec = v;
  ecol *c = &v[S->nec];
  memset(c, 0, sizeof *c);
  c->source = src;
  c->info.name = (char *)name;
  c->info.type = type;
  c->info.nlevels = nlevels;
  c->info.levels = levels;
  if (!(c->data = malloc(BATCH * peil_type_size(type)))) return peil_error(PEIL_ENOMEM, "out of memory");
  if (src < EC_PERSON) S->ec_of[src] = (int)S->nec;
  *idx = S->nec++;
  return PEIL_OK;
}

static long find_ecol(const splitter *S, const char *name) {
  for (size_t i = 0; i < S->nec; i++)
    if (strcmp(S->ec[i].info.name, name) == 0) return (long)i;
  return -1;
}

/* The built-in and computed columns an episode has: rin, episode, start,
 * end, year; age and age_class with a birth date; earlier with a treatment. */
static int builtin_ecols(splitter *S) {
  for (int i = 0; i < EC_PERSON; i++) S->ec_of[i] = -1;
  size_t idx;
  int rc = add_ecol(S, EC_RIN, "rin", S->rin64 ? PEIL_INT64 : PEIL_INT32, 0, NULL, &idx);
  if (!rc) rc = add_ecol(S, EC_EPISODE, "episode", PEIL_INT32, 0, NULL, &idx);
  if (!rc) rc = add_ecol(S, EC_START, "start", PEIL_DATE, 0, NULL, &idx);
  if (!rc) rc = add_ecol(S, EC_END, "end", PEIL_DATE, 0, NULL, &idx);
  if (!rc) rc = add_ecol(S, EC_YEAR, "year", PEIL_INT16, 0, NULL, &idx);
  if (!rc && S->birth) rc = add_ecol(S, EC_AGE, "age", PEIL_INT16, 0, NULL, &idx);
  if (!rc && S->birth)
    rc = add_ecol(S, EC_AGE_CLASS, "age_class", PEIL_ENUM, S->nage_levels, S->age_levels, &idx);
  if (!rc && S->has_treatment) rc = add_ecol(S, EC_EARLIER, "earlier", PEIL_INT8, 0, NULL, &idx);
  return rc;
}

/* The batch column of person column `name` (added if new), or -1 with an
 * error when the person table has no such column. */
static int person_ecol(splitter *S, const char *name, size_t *idx) {
  long i = find_ecol(S, name);
  if (i >= 0) return *idx = (size_t)i, PEIL_OK;
  int k = peil_table_info_find(S->pinfo, name);
  if (k < 0 || strcmp(name, "rin") == 0) return PEIL_ENOTFOUND;
  const peil_column_info *c = &S->pinfo->cols[k];
  return add_ecol(S, EC_PERSON, c->name, c->type, c->nlevels, c->levels, idx);
}

static int add_cov(splitter *S, size_t idx) {
  for (size_t i = 0; i < S->ncov; i++)
    if (S->cov[i] == idx) return PEIL_OK;
  size_t *v = realloc(S->cov, (S->ncov + 1) * sizeof *v);
  if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
  S->cov = v;
  v[S->ncov++] = idx;
  return PEIL_OK;
}

static int is_fixed_name(const char *name) {
  for (int i = 0; i < OC_FIXED; i++)
    if (strcmp(name, FIXED_NAMES[i]) == 0) return 1;
  return 0;
}

/* The covariates: every person column and the computed ones ("all"), or
 * the list. */
static int setup_covariates(splitter *S) {
  const peil_split_options *o = S->o;
  int rc = PEIL_OK;
  size_t idx;
  if (o->covariates_all) {
    for (size_t k = 0; k < S->pinfo->ncols && !rc; k++) {
      const char *name = S->pinfo->cols[k].name;
      if (strcmp(name, "rin") == 0 || (S->birth && strcmp(name, o->birth_date) == 0)) continue;
      if (is_fixed_name(name) || find_ecol(S, name) >= 0)
        return peil_error(PEIL_EINVAL, "covariates: column '%s' of table '%s' would clash with the "
                          "split's own column '%s'; list the covariates to carry", name, o->persons, name);
      if (!(rc = person_ecol(S, name, &idx))) rc = add_cov(S, idx);
    }
    static const ec_source computed[] = {EC_AGE, EC_AGE_CLASS, EC_YEAR, EC_EARLIER};
    for (size_t k = 0; k < sizeof computed / sizeof *computed && !rc; k++)
      if (S->ec_of[computed[k]] >= 0) rc = add_cov(S, (size_t)S->ec_of[computed[k]]);
    return rc;
  }
  for (size_t i = 0; i < o->ncovariates && !rc; i++) {
    const char *name = o->covariates[i];
    if (is_fixed_name(name))
      return peil_error(PEIL_EINVAL, "covariates: '%s' is a column of every split table; it is "
                        "written anyway", name);
    if ((!strcmp(name, "age") || !strcmp(name, "age_class")) && !S->birth)
      return peil_error(PEIL_ENOTFOUND, "covariates: %s needs a birth date, and table '%s' has no "
                        "column '%s' (set birth_date)", name, o->persons, o->birth_date);
    if (!strcmp(name, "earlier") && !S->has_treatment)
      return peil_error(PEIL_EINVAL, "covariates: earlier (an earlier treatment spell) needs a "
                        "treatment table (treatment)");
    long e = find_ecol(S, name);
    if (e >= 0 && strcmp(name, "rin")) {
      rc = add_cov(S, (size_t)e);
      continue;
    }
    int r = person_ecol(S, name, &idx);
    if (r == PEIL_ENOTFOUND)
      return peil_error(PEIL_ENOTFOUND, "covariates: '%s' is not a column of table '%s' nor one of "
                        "age, age_class, year, earlier, end", name, o->persons);
    if (!(rc = r)) rc = add_cov(S, idx);
  }
  return rc;
}

/* The where filter, bound to the batch's columns (person columns it
 * names join the batch). */
static int setup_where(splitter *S) {
  const peil_split_options *o = S->o;
  if (!o->where) return PEIL_OK;
  int rc = peil_expr_parse(o->where, "where", &S->where);
  if (rc) return rc;
  const char *const *names;
  size_t m = peil_expr_columns(S->where, &names);
  const peil_column_info **ci = malloc((m ? m : 1) * sizeof *ci);
  size_t *slot = malloc((m ? m : 1) * sizeof *slot);
  if (!ci || !slot) rc = peil_error(PEIL_ENOMEM, "out of memory");
  for (size_t i = 0; i < m && !rc; i++) {
    long e = find_ecol(S, names[i]);
    size_t idx = (size_t)e;
    if (e < 0 && (rc = person_ecol(S, names[i], &idx)) == PEIL_ENOTFOUND)
      rc = peil_error(PEIL_ENOTFOUND, "where: no column '%s': an episode has rin, episode, start, "
                      "end, year%s%s and the columns of table '%s'", names[i],
                      S->birth ? ", age, age_class" : "", S->has_treatment ? ", earlier" : "",
                      o->persons);
    slot[i] = idx;
  }
  /* Bind after every column is in: ec may have moved while growing. */
  for (size_t i = 0; i < m && !rc; i++) ci[i] = &S->ec[slot[i]].info;
  if (!rc) rc = peil_expr_bind(S->where, ci, slot);
  if (!rc && !peil_expr_is_condition(S->where))
    rc = peil_error(PEIL_ETYPE, "where: '%s' is a number, not a condition (e.g. start >= "
                    "\"2016-01-01\")", o->where);
  free(ci);
  free(slot);
  if (!rc && !(S->keep = malloc(BATCH * sizeof *S->keep))) rc = peil_error(PEIL_ENOMEM, "out of memory");
  return rc;
}

/* The person scan: rin, the birth date if used, the person columns of the batch. */
static int open_people(splitter *S) {
  const char **cols = malloc((S->nec + 2) * sizeof *cols);
  if (!cols) return peil_error(PEIL_ENOMEM, "out of memory");
  size_t n = 0;
  cols[n++] = "rin";
  if (S->o->age_min >= 0 && !S->birth) {
    free(cols);
    return peil_error(PEIL_ENOTFOUND, "age: the age range needs a birth date, and table '%s' has no "
                      "column '%s' (set birth_date)", S->o->persons, S->o->birth_date);
  }
  if (S->birth) S->slot_birth = n, cols[n++] = S->o->birth_date;
  for (size_t i = 0; i < S->nec; i++)
    if (S->ec[i].source == EC_PERSON) {
      if (S->birth && strcmp(S->ec[i].info.name, S->o->birth_date) == 0) {
        S->ec[i].pslot = S->slot_birth;
        continue;
      }
      S->ec[i].pslot = n;
      cols[n++] = S->ec[i].info.name;
    }
  int rc = peil_scan_open(S->in, S->o->persons, cols, n, 0, &S->people);
  free(cols);
  if (!rc) peil_scan_set_threads(S->people, threads(S->o) > 1 ? threads(S->o) - 1 : 1);
  return rc;
}

static int create_table(splitter *S) {
  size_t nc = OC_FIXED + S->ncov;
  peil_column_def *defs = calloc(nc, sizeof *defs);
  S->buf = calloc(nc, sizeof *S->buf);
  if (!defs || !S->buf) {
    free(defs);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  S->ncols = nc;
  defs[OC_RIN] = (peil_column_def){"rin", S->rin64 ? PEIL_INT64 : PEIL_INT32, 0, NULL};
  defs[OC_EPISODE] = (peil_column_def){"episode", PEIL_INT32, 0, NULL};
  defs[OC_START] = (peil_column_def){"start", PEIL_DATE, 0, NULL};
  defs[OC_TSTART] = (peil_column_def){"tstart", PEIL_INT32, 0, NULL};
  defs[OC_TSTOP] = (peil_column_def){"tstop", PEIL_INT32, 0, NULL};
  defs[OC_EXPOSURE] = (peil_column_def){"exposure", PEIL_INT32, 0, NULL};
  defs[OC_EVENT] = (peil_column_def){"event", PEIL_INT8, 0, NULL};
  defs[OC_PERIOD] = (peil_column_def){"period", PEIL_ENUM, S->o->ncuts + 1, (const char *const *)S->periods};
  defs[OC_TREATED] = (peil_column_def){"treated", PEIL_INT8, 0, NULL};
  for (size_t j = 0; j < S->ncov; j++) {
    const peil_column_info *c = &S->ec[S->cov[j]].info;
    defs[OC_FIXED + j] = (peil_column_def){c->name, c->type, c->nlevels, (const char *const *)c->levels};
  }
  int rc = PEIL_OK;
  for (size_t i = 0; i < nc && !rc; i++)
    for (size_t j = 0; j < i && !rc; j++)
      if (strcmp(defs[i].name, defs[j].name) == 0)
        rc = peil_error(PEIL_EINVAL, "two columns of the split table would be called '%s'", defs[i].name);
  if (!rc) rc = cohort_partial_name(S->out, S->o->table, &S->tmp);
  if (!rc) rc = peil_table_create(S->out, S->tmp, defs, nc, &S->w);
  if (!rc && threads(S->o) > 1) rc = peil_table_write_behind(S->w);
  for (size_t i = 0; i < nc && !rc; i++)
    if (!(S->buf[i] = malloc(OUT_ROWS * peil_type_size(defs[i].type))))
      rc = peil_error(PEIL_ENOMEM, "out of memory");
  free(defs);
  return rc;
}

/* ---- The pass. */

static int flush_rows(splitter *S) {
  if (!S->n) return PEIL_OK;
  int rc = peil_table_append(S->w, (const void *const *)S->buf, S->n);
  S->n = 0;
  return rc;
}

static void copy_value(void *dst, size_t di, const void *src, size_t si, size_t size) {
  switch (size) {
  case 1: ((int8_t *)dst)[di] = ((const int8_t *)src)[si]; break;
  case 2: ((int16_t *)dst)[di] = ((const int16_t *)src)[si]; break;
  case 4: ((int32_t *)dst)[di] = ((const int32_t *)src)[si]; break;
  default: ((int64_t *)dst)[di] = ((const int64_t *)src)[si]; break;
  }
}

/* The pieces of episode i of the batch, appended to the rows. */
static int emit_episode(splitter *S, size_t i) {
  const split_followup *f = &S->fu[i];
  size_t np = split_pieces(f, S->o->cuts, S->o->ncuts, S->pieces);
  if (S->n + np > OUT_ROWS) {
    int rc = flush_rows(S);
    if (rc) return rc;
  }
  peil_split_summary *sum = S->sum;
  const ecol *ec = S->ec;
  int64_t rin = S->rin64 ? ((const int64_t *)ec[0].data)[i] : ((const int32_t *)ec[0].data)[i];
  int32_t number = ((const int32_t *)ec[S->ec_of[EC_EPISODE]].data)[i];
  int32_t start = ((const int32_t *)ec[S->ec_of[EC_START]].data)[i];
  int treated = 0;
  for (size_t k = 0; k < np; k++) {
    const split_piece *p = &S->pieces[k];
    size_t r = S->n + k;
    if (S->rin64) ((int64_t *)S->buf[OC_RIN])[r] = rin;
    else ((int32_t *)S->buf[OC_RIN])[r] = (int32_t)rin;
    ((int32_t *)S->buf[OC_EPISODE])[r] = number;
    ((int32_t *)S->buf[OC_START])[r] = start;
    ((int32_t *)S->buf[OC_TSTART])[r] = p->a;
    ((int32_t *)S->buf[OC_TSTOP])[r] = p->b;
    ((int32_t *)S->buf[OC_EXPOSURE])[r] = p->b - p->a;
    ((int8_t *)S->buf[OC_EVENT])[r] = p->event;
    ((int32_t *)S->buf[OC_PERIOD])[r] = p->period;
    ((int8_t *)S->buf[OC_TREATED])[r] = p->treated;
    peil_split_cell *c = &sum->cells[(size_t)p->period * 2 + (size_t)p->treated];
    c->pieces++;
    c->events += p->event;
    c->exposure += p->b - p->a;
    treated |= p->treated;
  }
  for (size_t j = 0; j < S->ncov; j++) {
    const ecol *c = &ec[S->cov[j]];
    size_t size = peil_type_size(c->info.type);
    for (size_t k = 0; k < np; k++) copy_value(S->buf[OC_FIXED + j], S->n + k, c->data, i, size);
  }
  S->n += np;
  sum->n_kept++;
  sum->n_pieces += (int64_t)np;
  sum->exposure += f->t1 - f->t0;
  sum->n_truncated += f->t0 > 0;
  sum->n_ended += f->ended;
  sum->n_censored += !f->ended;
  sum->n_events += f->event;
  sum->n_unobserved += f->unobserved;
  sum->n_treated += treated;
  sum->n_treated_events += treated && f->event;
  if (rin != S->last_rin_out) {
    sum->n_persons_out++;
    S->last_rin_out = rin;
  }
  return PEIL_OK;
}

/* The batch's episodes through the where filter into pieces. */
static int flush_batch(splitter *S) {
  if (!S->nbatch) return PEIL_OK;
  int rc = PEIL_OK;
  if (S->where) {
    const void **cols = malloc(S->nec * sizeof *cols);
    if (!cols) return peil_error(PEIL_ENOMEM, "out of memory");
    for (size_t j = 0; j < S->nec; j++) cols[j] = S->ec[j].data;
    peil_block blk = {0, S->nbatch, cols};
    rc = peil_expr_eval(S->where, &blk, S->keep);
    free(cols);
  }
  for (size_t i = 0; i < S->nbatch && !rc; i++) {
    if (S->where && S->keep[i] != 1.0) { /* false or missing */
      S->sum->n_filtered++;
      continue;
    }
    rc = emit_episode(S, i);
  }
  S->nbatch = 0;
  return rc;
}

/* Full years from birth to day (peil cohort's age: birthdays by calendar
 * months, 29 February turning a year older on 28 February); -1 when
 * unknown. */
static int age_on(int32_t birth, int32_t day) {
  if (birth == PEIL_NA_DATE || birth > day) return -1;
  cohort_day d;
  cohort_day_split(day, &d);
  return cohort_months_until(birth, &d) / 12;
}

static int32_t age_class(const peil_split_options *o, int age) {
  if (age < 0) return PEIL_NA_ENUM;
  int32_t k = 0;
  while ((size_t)k < o->nage_cuts && o->age_cuts[k] <= age) k++;
  return k;
}

/* Episode e of person row r (of block pb) into the batch. */
static int batch_episode(splitter *S, const peil_block *pb, size_t r, int64_t rin,
                         const split_episode *e, const split_followup *f, int age) {
  if (S->nbatch == BATCH) {
    int rc = flush_batch(S);
    if (rc) return rc;
  }
  size_t i = S->nbatch++;
  S->fu[i] = *f;
  int y, m, d;
  peil_date_to_ymd(e->start, &y, &m, &d);
  for (size_t j = 0; j < S->nec; j++) {
    ecol *c = &S->ec[j];
    switch (c->source) {
    case EC_RIN:
      if (S->rin64) ((int64_t *)c->data)[i] = rin;
      else ((int32_t *)c->data)[i] = (int32_t)rin;
      break;
    case EC_EPISODE: ((int32_t *)c->data)[i] = e->number; break;
    case EC_START: ((int32_t *)c->data)[i] = e->start; break;
    case EC_END: ((int32_t *)c->data)[i] = e->end == INT32_MAX ? PEIL_NA_DATE : e->end; break;
    case EC_AGE: ((int16_t *)c->data)[i] = age < 0 ? PEIL_NA_INT16 : (int16_t)age; break;
    case EC_AGE_CLASS: ((int32_t *)c->data)[i] = age_class(S->o, age); break;
    case EC_YEAR: ((int16_t *)c->data)[i] = (int16_t)y; break;
    case EC_EARLIER: ((int8_t *)c->data)[i] = (int8_t)f->earlier; break;
    case EC_PERSON: copy_value(c->data, i, pb->cols[c->pslot], r, peil_type_size(c->info.type)); break;
    }
  }
  return PEIL_OK;
}

static int open_episode_error(const splitter *S, int64_t rin, const split_episode *e) {
  char a[12];
  peil_date_format(e->start, a);
  return peil_error(PEIL_EINVAL,
                    "table '%s', rin %lld: the episode starting %s is open (its last spell has no "
                    "end) and there is no censoring date: the store %s does not say when its data "
                    "end (no root attribute data_end or sim_to); give it as data_end (--data-end DATE)",
                    S->role_table[ROLE_EPISODES], (long long)rin, a, peil_store_path(S->in));
}

/* One person: the episodes of the spells gathered, their follow-up. */
static int person(splitter *S, const peil_block *pb, size_t r, int64_t rin) {
  const peil_split_options *o = S->o;
  const spell_table *ep = &S->tab[ROLE_EPISODES];
  if (ep->nsp > S->eps_cap) {
    size_t cap = ep->nsp * 2;
    split_episode *v = realloc(S->eps, cap * sizeof *v);
    if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
    S->eps = v;
    S->eps_cap = cap;
  }
  for (size_t i = 0; i < ep->nsp; i++)
    S->sum->n_spells += S->bit[ROLE_EPISODES] < 0 || (ep->sp[i].bits >> S->bit[ROLE_EPISODES] & 1u);
  size_t ne = split_episodes(ep, S->bit[ROLE_EPISODES], o->gap, S->eps);
  const int32_t *birth = S->birth ? (const int32_t *)pb->cols[S->slot_birth] : NULL;
  for (size_t k = 0; k < ne; k++) {
    const split_episode *e = &S->eps[k];
    S->sum->n_episodes++;
    if (e->end == INT32_MAX && S->to == PEIL_NA_DATE) return open_episode_error(S, rin, e);
    split_followup f;
    if (!split_window(e, S->from, S->to, &f)) {
      S->sum->n_outside++;
      continue;
    }
    int age = birth ? age_on(birth[r], e->start) : -1;
    if (o->age_min >= 0 && (age < o->age_min || age > o->age_max)) {
      S->sum->n_age++;
      continue;
    }
    if (f.ended) {
      f.event = S->event_ended ||
                split_event_found(&S->tab[ROLE_EVENT], S->bit[ROLE_EVENT], e->end, o->within_from, o->within_to);
      f.unobserved = !f.event && S->data_end != PEIL_NA_DATE &&
                     (int64_t)e->end + o->within_to > S->data_end;
    }
    if (S->has_treatment) split_treatment(&S->tab[ROLE_TREATMENT], S->bit[ROLE_TREATMENT], e, o->treatment_end, &f);
    int rc = batch_episode(S, pb, r, rin, e, &f, age);
    if (rc) return rc;
  }
  return PEIL_OK;
}

static int pass(splitter *S) {
  int64_t total = peil_scan_nrows(S->people), last = INT64_MIN;
  peil_block pb;
  int rc = PEIL_OK;
  while (!rc) {
    int got = peil_scan_next(S->people, &pb);
    if (got <= 0) {
      rc = got;
      break;
    }
    for (size_t r = 0; !rc && r < pb.nrows; r++) {
      int64_t rin;
      rc = cohort_person_rin(&pb, 0, S->rin64, r, S->o->persons, &last, &rin);
      for (int t = 0; !rc && t < NROLES; t++)
        if (S->used[t]) rc = spell_table_gather(&S->tab[t], rin);
      if (!rc) rc = person(S, &pb, r, rin);
      S->sum->n_persons++;
    }
    /* The batch holds copies of the block's values; it may wait. */
    if (!rc && S->o->progress) S->o->progress(S->o->progress_arg, S->sum->n_persons, total);
  }
  /* Spells after the last person are orphans too (and must be sorted). */
  for (int t = 0; !rc && t < NROLES; t++)
    if (S->used[t]) rc = spell_table_gather(&S->tab[t], INT64_MAX);
  if (!rc) rc = flush_batch(S);
  return rc ? rc : flush_rows(S);
}

/* ---- What the table holds, for h5py users and peil info. */

static void days_text(int32_t d, char *buf) {
  if (d == PEIL_NA_DATE) strcpy(buf, "none");
  else peil_date_format(d, buf);
}

static int describe(splitter *S) {
  const peil_split_options *o = S->o;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) return peil_error(PEIL_ENOMEM, "out of memory");
  char a[12], b[12];
  days_text(S->from, a);
  days_text(S->to, b);
  char gap[64];
  if (o->gap < 0) snprintf(gap, sizeof gap, "each spell an episode");
  else snprintf(gap, sizeof gap, "spells at most %d days apart merged", o->gap);
  fprintf(f, "Split episodes (peil split): one row per piece of follow-up of the episodes of '%s' "
             "(%s), from the episode's start (or %s, if later) to its end (censored at %s). tstart, "
             "tstop: the piece (tstart, tstop] in days since the start; exposure = tstop - tstart; "
             "event: 1 on the last piece of an episode that ends ",
          o->spells, gap, a, b);
  if (S->event_ended) fprintf(f, "(any end)");
  else fprintf(f, "with a spell of '%s' starting %d..%d days after its last day", o->event,
               o->within_from, o->within_to);
  fprintf(f, "; period: the duration band;");
  if (S->has_treatment)
    fprintf(f, " treated: 1 from the start of the first spell of '%s' in the episode%s; earlier: a "
               "spell of it ended before the episode's start;", o->treatment,
            o->treatment_end < 0 ? " on" : " until treatment_end days after its end");
  else
    fprintf(f, " treated: 0 (no treatment);");
  fprintf(f, " the other columns as at the episode's start.");
  if (fclose(f) != 0 || !text) {
    free(text);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  int rc = peil_store_set_attr_str(S->out, S->tmp, "description", text);
  free(text);
  char buf[64];
  struct {
    const char *key, *value;
  } attrs[] = {{"split_spells", o->spells}, {"split_event", o->event},
               {"split_treatment", o->treatment ? o->treatment : "none"},
               {"split_where", o->where ? o->where : "none"}, {"split_persons", o->persons},
               {"split_data_start", a}, {"split_data_end", b}};
  for (size_t i = 0; i < sizeof attrs / sizeof *attrs && !rc; i++)
    rc = peil_store_set_attr_str(S->out, S->tmp, attrs[i].key, attrs[i].value);
  if (!rc) {
    snprintf(buf, sizeof buf, "%d..%d", o->within_from, o->within_to);
    rc = peil_store_set_attr_str(S->out, S->tmp, "split_within", buf);
  }
  if (!rc) rc = peil_store_set_attr_i64(S->out, S->tmp, "split_gap", o->gap);
  if (!rc) rc = peil_store_set_attr_i64(S->out, S->tmp, "split_treatment_end", o->treatment_end);
  char *cuts = NULL;
  size_t clen = 0;
  FILE *c = rc ? NULL : open_memstream(&cuts, &clen);
  if (!rc && !c) rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (c) {
    for (size_t k = 0; k < o->ncuts; k++) fprintf(c, "%s%d", k ? ", " : "", (int)o->cuts[k]);
    if (fclose(c) == 0 && cuts) rc = peil_store_set_attr_str(S->out, S->tmp, "split_cuts", cuts);
    else rc = peil_error(PEIL_ENOMEM, "out of memory");
    free(cuts);
  }
  return rc;
}

/* ---- The run. */

static int summary_start(splitter *S) {
  peil_split_summary *sum = S->sum;
  const peil_split_options *o = S->o;
  sum->table = strdup(o->table);
  sum->nperiods = o->ncuts + 1;
  sum->periods = split_period_labels(o->cuts, o->ncuts);
  S->periods = split_period_labels(o->cuts, o->ncuts);
  sum->cells = calloc(sum->nperiods * 2, sizeof *sum->cells);
  if (!sum->table || !sum->periods || !S->periods || !sum->cells) return peil_error(PEIL_ENOMEM, "out of memory");
  return PEIL_OK;
}

/* The tables read and their orphans, distinct names only. */
static int summary_orphans(splitter *S) {
  peil_split_summary *sum = S->sum;
  sum->tables = calloc(NROLES, sizeof *sum->tables);
  sum->orphans = calloc(NROLES, sizeof *sum->orphans);
  if (!sum->tables || !sum->orphans) return peil_error(PEIL_ENOMEM, "out of memory");
  for (int r = 0; r < NROLES; r++) {
    if (!S->used[r]) continue;
    size_t j = 0;
    while (j < sum->ntables && strcmp(sum->tables[j], S->role_table[r])) j++;
    if (j < sum->ntables) continue;
    if (!(sum->tables[j] = strdup(S->role_table[r]))) return peil_error(PEIL_ENOMEM, "out of memory");
    sum->orphans[j] = S->tab[r].orphans;
    sum->ntables++;
  }
  return PEIL_OK;
}

static void splitter_free(splitter *S) {
  for (int r = 0; r < NROLES; r++) {
    spell_table_close(&S->tab[r]); /* also one never opened (zeroed) */
    free(S->role_table[r]);
    free(S->role_where[r]);
  }
  if (S->pinfo) peil_table_info_free(S->pinfo);
  if (S->people) peil_scan_close(S->people);
  if (S->age_levels) peil_strings_free(S->age_levels, S->nage_levels);
  if (S->periods) peil_strings_free(S->periods, S->o->ncuts + 1);
  for (size_t i = 0; i < S->nec; i++) free(S->ec[i].data);
  free(S->ec);
  free(S->cov);
  if (S->where) peil_expr_free(S->where);
  free(S->keep);
  free(S->fu);
  free(S->eps);
  free(S->pieces);
  if (S->w) peil_table_writer_free(S->w);
  for (size_t i = 0; S->buf && i < S->ncols; i++) free(S->buf[i]);
  free(S->buf);
  free(S->tmp);
}

/* Everything before the pass: the options, the tables, the persons, the
 * columns, and the output table created (empty) in S->out. */
static int prepare(splitter *S) {
  int rc = check_options(S);
  if (!rc) rc = summary_start(S);
  if (!rc) rc = setup_window(S);
  if (!rc) rc = setup_tables(S);
  if (!rc) rc = check_output_name(S);
  if (!rc) rc = setup_persons(S);
  if (!rc && age_labels(S)) rc = peil_error(PEIL_ENOMEM, "out of memory");
  if (!rc) rc = builtin_ecols(S);
  if (!rc) rc = setup_covariates(S);
  if (!rc) rc = setup_where(S);
  if (!rc) rc = open_people(S);
  if (!rc) rc = start_tables(S);
  if (!rc) {
    S->fu = malloc(BATCH * sizeof *S->fu);
    S->pieces = malloc((S->o->ncuts + 3) * sizeof *S->pieces);
    if (!S->fu || !S->pieces) rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  if (!rc) rc = create_table(S);
  return rc;
}

static void splitter_init(splitter *S, peil_store *in, peil_store *out, const peil_split_options *o,
                          peil_split_summary *sum) {
  memset(S, 0, sizeof *S);
  memset(sum, 0, sizeof *sum);
  S->in = in;
  S->out = out;
  S->o = o;
  S->sum = sum;
  S->last_rin_out = INT64_MIN;
}

int peil_split_write(peil_store *in, peil_store *out, const peil_split_options *o,
                     peil_split_summary *summary) {
  double t0 = peil_seconds();
  peil_split_summary local;
  peil_split_summary *sum = summary ? summary : &local;
  splitter S;
  splitter_init(&S, in, out, o, sum);
  int rc = prepare(&S);
  if (!rc) rc = pass(&S);
  if (!rc) {
    rc = peil_table_finish(S.w);
    S.w = NULL;
  }
  if (!rc) rc = summary_orphans(&S);
  if (!rc) rc = describe(&S);
  if (S.w) peil_table_writer_free(S.w); /* a failure while writing: release before the drop */
  S.w = NULL;
  rc = cohort_partial_install(out, S.tmp, o->table ? o->table : "", rc);
  splitter_free(&S);
  sum->seconds = peil_seconds() - t0;
  if (rc || !summary) peil_split_summary_free(sum);
  return rc;
}

int peil_split_check(peil_store *in, const peil_split_options *o, peil_table_info **columns) {
  *columns = NULL;
  peil_split_summary sum;
  peil_store *scratch = NULL;
  splitter S;
  int rc = peil_store_open_scratch("split-check", &scratch);
  if (rc) return rc;
  splitter_init(&S, in, scratch, o, &sum);
  rc = prepare(&S);
  if (!rc) {
    rc = peil_table_finish(S.w);
    S.w = NULL;
  }
  if (S.w) peil_table_writer_free(S.w);
  S.w = NULL;
  rc = cohort_partial_install(scratch, S.tmp, o->table ? o->table : "", rc);
  if (!rc) rc = peil_store_table_info(scratch, o->table, columns);
  splitter_free(&S);
  peil_split_summary_free(&sum);
  peil_store_close(scratch); /* never committed */
  return rc;
}
