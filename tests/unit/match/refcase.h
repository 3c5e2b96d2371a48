/* The reference cases of tests/reference/matching for the match module's
 * unit tests (header only: each test program includes it once).
 *
 *   ref_case *cases; size_t n;
 *   ref_cases_load(&cases, &n);                 // cases.ini
 *   peil_store *s = ref_store();                // a scratch store in memory
 *   peil_match_data *d = ref_case_data(&cases[i], s);   // the data set's units
 *   peil_match_result *r = ref_case_expected(&cases[i], d, s);  // units.csv, pairs.csv, scores
 *   double *v = ref_column(s, "effects", "estimate", &nrows);   // any imported CSV's column
 *
 * Every CSV is read by peil's own importer into the scratch store (NA is
 * missing), so the tests parse nothing by hand. Rows of the data sets have
 * no missing values, so unit i is data row i + 1. */
#ifndef PEIL_TEST_REFCASE_H
#define PEIL_TEST_REFCASE_H

#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peil/peil.h"

#define REF_DIR PEIL_TEST_DATA "/reference/matching"
/* A test uses some of these, not all. */
#define REF_FN static __attribute__((unused))

typedef struct {
  char name[96];
  char data[64];       /* lalonde.csv */
  char dataset[32];    /* lalonde */
  char formula[512];
  char method[16];     /* exact cem subclass nearest */
  char distance[8];    /* ps lp or empty */
  char estimand[8];
  int ratio;           /* 0 unless nearest */
  int replace;
  char m_order[16];
  double caliper;      /* in SDs, NaN: none */
  char discard[16];
  char cutpoints[512];
  int subclass;
  char outcomes[256];
  char covariates[512];
  char source[16];
} ref_case;

typedef struct {
  ref_case *v;
  size_t n, cap;
} ref_case_list;

REF_FN int ref_on_entry(void *arg, const char *section, const char *key, const char *value) {
  ref_case_list *l = arg;
  if (l->n == 0 || strcmp(l->v[l->n - 1].name, section) != 0) {
    if (l->n == l->cap) {
      l->cap = l->cap ? 2 * l->cap : 64;
      l->v = realloc(l->v, l->cap * sizeof *l->v);
      if (!l->v) return 0;
    }
    ref_case *c = &l->v[l->n++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", section);
    c->caliper = NAN;
  }
  ref_case *c = &l->v[l->n - 1];
#define REF_STR(k) else if (strcmp(key, #k) == 0) snprintf(c->k, sizeof c->k, "%s", value)
  if (0) {
  }
  REF_STR(data);
  REF_STR(formula);
  REF_STR(method);
  REF_STR(distance);
  REF_STR(estimand);
  REF_STR(m_order);
  REF_STR(discard);
  REF_STR(cutpoints);
  REF_STR(outcomes);
  REF_STR(covariates);
  REF_STR(source);
  else if (strcmp(key, "ratio") == 0) c->ratio = *value ? atoi(value) : 0;
  else if (strcmp(key, "replace") == 0) c->replace = strcmp(value, "true") == 0;
  else if (strcmp(key, "caliper") == 0) c->caliper = *value ? atof(value) : NAN;
  else if (strcmp(key, "subclass") == 0) c->subclass = *value ? atoi(value) : 0;
  else return 0;
#undef REF_STR
  if (strcmp(key, "data") == 0) {
    snprintf(c->dataset, sizeof c->dataset, "%s", value);
    char *dot = strchr(c->dataset, '.');
    if (dot) *dot = 0;
  }
  return 1;
}

/* Every case of cases.ini, in file order. */
REF_FN int ref_cases_load(ref_case **cases, size_t *n) {
  ref_case_list l = {0};
  int rc = ini_parse(REF_DIR "/cases.ini", ref_on_entry, &l);
  if (rc != 0) {
    fprintf(stderr, "%s: parse error at line %d\n", REF_DIR "/cases.ini", rc);
    free(l.v);
    return -1;
  }
  *cases = l.v;
  *n = l.n;
  return 0;
}

REF_FN peil_store *ref_store(void) {
  static int count;
  char name[64];
  snprintf(name, sizeof name, "refcase-%d.h5", count++);
  peil_store *s = NULL;
  if (peil_store_open(name, PEIL_STORE_MEMORY, &s)) {
    fprintf(stderr, "%s\n", peil_errmsg());
    return NULL;
  }
  return s;
}

/* Imports a CSV file (path relative to REF_DIR) as `table`, once. */
REF_FN int ref_import(peil_store *s, const char *relpath, const char *table) {
  if (peil_store_has_table(s, table) == 1) return 0;
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", REF_DIR, relpath);
  peil_csv_options o;
  peil_csv_options_init(&o);
  o.delimiter = ',';
  o.threads = 1;
  int rc = peil_csv_import(path, &o, s, table, NULL);
  if (rc) fprintf(stderr, "%s: %s\n", path, peil_errmsg());
  return rc;
}

/* A column of an imported table as doubles (missing: NaN); NULL if absent. */
REF_FN double *ref_column(peil_store *s, const char *table, const char *col, size_t *n) {
  const char *cols[1] = {col};
  peil_scan *sc = NULL;
  if (peil_scan_open(s, table, cols, 1, 0, &sc)) return NULL;
  int64_t rows = peil_scan_nrows(sc);
  double *v = malloc((size_t)(rows > 0 ? rows : 1) * sizeof *v);
  peil_block b;
  int rc;
  while (v && (rc = peil_scan_next(sc, &b)) == 1)
    peil_column_to_f64(peil_scan_column(sc, 0)->type, b.cols[0], b.nrows, v + b.start);
  peil_scan_close(sc);
  if (n) *n = (size_t)rows;
  return v;
}

/* Text columns of an imported table: the label of each row (NULL for
 * missing); free with ref_strings_free. */
REF_FN char **ref_text_column(peil_store *s, const char *table, const char *col, size_t *n) {
  const char *cols[1] = {col};
  peil_scan *sc = NULL;
  if (peil_scan_open(s, table, cols, 1, 0, &sc)) return NULL;
  int64_t rows = peil_scan_nrows(sc);
  char **v = calloc((size_t)(rows > 0 ? rows : 1), sizeof *v);
  const peil_column_info *ci = peil_scan_column(sc, 0);
  peil_block b;
  while (v && peil_scan_next(sc, &b) == 1)
    for (size_t i = 0; i < b.nrows; i++) {
      char buf[64];
      const char *t = NULL;
      if (ci->type == PEIL_ENUM) {
        int32_t c = ((const int32_t *)b.cols[0])[i];
        t = c == PEIL_NA_ENUM ? NULL : ci->levels[c];
      } else if (!peil_value_is_missing(ci->type, b.cols[0], i)) {
        double x;
        peil_column_to_f64(ci->type, (const char *)b.cols[0] + i * peil_type_size(ci->type), 1, &x);
        snprintf(buf, sizeof buf, "%.17g", x);
        t = buf;
      }
      v[b.start + (int64_t)i] = t ? strdup(t) : NULL;
    }
  peil_scan_close(sc);
  if (n) *n = (size_t)rows;
  return v;
}

REF_FN void ref_strings_free(char **v, size_t n) {
  for (size_t i = 0; v && i < n; i++) free(v[i]);
  free(v);
}

/* Splits "a,b,c" into at most max pointers into buf. */
REF_FN size_t ref_split(char *buf, char sep, const char **out, size_t max) {
  size_t n = 0;
  char *p = buf;
  while (*p && n < max) {
    out[n++] = p;
    char *q = strchr(p, sep);
    if (!q) break;
    *q = 0;
    p = q + 1;
  }
  return n;
}

/* The units of the case's data set with the case's formula and outcomes. */
REF_FN peil_match_data *ref_case_data(const ref_case *c, peil_store *s) {
  char rel[128];
  snprintf(rel, sizeof rel, "data/%s", c->data);
  if (ref_import(s, rel, c->dataset)) return NULL;
  char outs[256];
  snprintf(outs, sizeof outs, "%s", c->outcomes);
  const char *outcome[16];
  size_t nout = ref_split(outs, ',', outcome, 16);
  peil_match_load_options o = {0};
  o.formula = c->formula;
  o.outcomes = outcome;
  o.noutcomes = nout;
  peil_match_data *d = NULL;
  if (peil_match_data_load(s, c->dataset, &o, &d)) {
    fprintf(stderr, "%s: %s\n", c->name, peil_errmsg());
    return NULL;
  }
  return d;
}

/* The case's score column (ps or lp) from scores/<dataset>.csv. */
REF_FN double *ref_scores(const ref_case *c, peil_store *s, const char *column, size_t *n) {
  char rel[128], table[64];
  snprintf(rel, sizeof rel, "scores/%s.csv", c->dataset);
  snprintf(table, sizeof table, "scores_%s", c->dataset);
  if (ref_import(s, rel, table)) return NULL;
  return ref_column(s, table, column, n);
}

REF_FN peil_estimand ref_estimand(const ref_case *c) {
  return strcmp(c->estimand, "ATE") == 0 ? PEIL_ATE : strcmp(c->estimand, "ATC") == 0 ? PEIL_ATC : PEIL_ATT;
}

REF_FN peil_match_method ref_method(const ref_case *c) {
  return strcmp(c->method, "exact") == 0      ? PEIL_MATCH_EXACT
         : strcmp(c->method, "cem") == 0      ? PEIL_MATCH_CEM
         : strcmp(c->method, "subclass") == 0 ? PEIL_MATCH_SUBCLASS
                                              : PEIL_MATCH_NEAREST;
}

/* The matching options of a case, its score given by the user (the
 * caller changes o->distance to fit one); cs holds CEM cut points. */
typedef struct {
  peil_cem_cuts cuts[16];
  double values[16][32];
  char names[16][32];
} ref_cut_store;

REF_FN void ref_case_options(const ref_case *c, peil_match_options *o, ref_cut_store *cs) {
  peil_match_options_init(o);
  o->method = ref_method(c);
  o->estimand = ref_estimand(c);
  o->distance = PEIL_DISTANCE_USER;
  o->threads = 2;
  if (c->ratio) o->nn.ratio = (size_t)c->ratio;
  o->nn.replace = c->replace;
  o->nn.order = strcmp(c->m_order, "smallest") == 0 ? PEIL_MATCH_SMALLEST
                : strcmp(c->m_order, "data") == 0   ? PEIL_MATCH_DATA
                                                    : PEIL_MATCH_LARGEST;
  o->caliper_sd = c->caliper;
  o->discard = strcmp(c->discard, "both") == 0      ? PEIL_DISCARD_BOTH
               : strcmp(c->discard, "treated") == 0 ? PEIL_DISCARD_TREATED
               : strcmp(c->discard, "control") == 0 ? PEIL_DISCARD_CONTROL
                                                    : PEIL_DISCARD_NONE;
  if (c->subclass) o->subclasses = (size_t)c->subclass;
  /* "age=20 25 30; educ=9 12" */
  if (o->method == PEIL_MATCH_CEM && strcmp(c->cutpoints, "sturges") != 0) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", c->cutpoints);
    const char *part[16];
    size_t np = ref_split(buf, ';', part, 16);
    for (size_t j = 0; j < np; j++) {
      while (*part[j] == ' ') part[j]++;
      const char *eq = strchr(part[j], '=');
      snprintf(cs->names[j], sizeof cs->names[j], "%.*s", (int)(eq - part[j]), part[j]);
      size_t nv = 0;
      for (char *p = (char *)eq + 1, *e; *p; p = e) {
        cs->values[j][nv++] = strtod(p, &e);
        if (e == p) break;
      }
      cs->cuts[j] = (peil_cem_cuts){cs->names[j], cs->values[j], nv};
    }
    o->cuts = cs->cuts;
    o->ncuts = np;
  }
}

/* Imports expected/<case>/<file>.csv as table "<case>_<file>"; returns the
 * table name (static buffer) or NULL. */
REF_FN const char *ref_expected_table(const ref_case *c, peil_store *s, const char *file) {
  static char table[160];
  char rel[256];
  snprintf(rel, sizeof rel, "expected/%s/%s.csv", c->name, file);
  snprintf(table, sizeof table, "%s_%s", c->name, file);
  if (ref_import(s, rel, table)) return NULL;
  return table;
}

/* pairs.csv of the case into r (ratio, n_treated, treated_unit, pairs). */
REF_FN int ref_read_pairs(const ref_case *c, const peil_match_data *d, peil_store *s,
                          peil_match_result *r) {
  size_t np = 0;
  const char *pt = ref_expected_table(c, s, "pairs");
  if (!pt) return -1;
  double *tr = ref_column(s, pt, "treated_row", &np);
  double *k = ref_column(s, pt, "k", NULL);
  double *cr = ref_column(s, pt, "control_row", NULL);
  r->ratio = (size_t)(c->ratio > 0 ? c->ratio : 1);
  r->n_treated = d->n_treated;
  r->treated_unit = malloc(d->n_treated * sizeof *r->treated_unit);
  r->pairs = malloc(d->n_treated * r->ratio * sizeof *r->pairs);
  int64_t *rank = malloc(d->n * sizeof *rank); /* unit -> treated rank */
  size_t nt = 0;
  for (size_t i = 0; i < d->n; i++) {
    rank[i] = d->treat[i] ? (int64_t)nt : -1;
    if (d->treat[i]) r->treated_unit[nt++] = (int64_t)i;
  }
  for (size_t q = 0; q < nt * r->ratio; q++) r->pairs[q] = -1;
  for (size_t q = 0; q < np; q++) {
    int64_t unit = (int64_t)tr[q] - 1, ctrl = isnan(cr[q]) ? -1 : (int64_t)cr[q] - 1;
    r->pairs[(size_t)rank[unit] * r->ratio + (size_t)k[q] - 1] = ctrl;
  }
  free(rank), free(tr), free(k), free(cr);
  return 0;
}

/* Only the pairs of a case (no units.csv): a result with pairs set. */
REF_FN peil_match_result *ref_case_expected_pairs(const ref_case *c, const peil_match_data *d,
                                                  peil_store *s) {
  peil_match_result *r = calloc(1, sizeof *r);
  r->n = d->n;
  r->method = PEIL_MATCH_NEAREST;
  if (ref_read_pairs(c, d, s, r)) {
    peil_match_result_free(r);
    return NULL;
  }
  return r;
}

/* The expected matching of the case as a peil_match_result: weights,
 * discarded, subclasses from units.csv, pairs from pairs.csv (nearest),
 * the distance from scores/ (subclass and nearest). */
REF_FN peil_match_result *ref_case_expected(const ref_case *c, const peil_match_data *d, peil_store *s) {
  peil_match_result *r = calloc(1, sizeof *r);
  size_t n = 0;
  r->n = d->n;
  r->method = ref_method(c);
  r->estimand = ref_estimand(c);
  r->caliper = NAN;
  r->sd_distance = NAN;
  const char *t = ref_expected_table(c, s, "units");
  if (!t) return NULL;
  double *w = ref_column(s, t, "weight", &n);
  double *disc = ref_column(s, t, "discarded", NULL);
  double *sub = ref_column(s, t, "subclass", NULL);
  if (!w || !disc || !sub || n != d->n) {
    fprintf(stderr, "%s: units.csv has %zu rows for %zu units\n", c->name, n, d->n);
    return NULL;
  }
  r->weight = w;
  r->discarded = malloc(n);
  r->subclass = malloc(n * sizeof *r->subclass);
  int64_t maxsub = -1;
  for (size_t i = 0; i < n; i++) {
    r->discarded[i] = disc[i] == 1;
    r->subclass[i] = isnan(sub[i]) ? -1 : (int64_t)sub[i];
    if (r->subclass[i] > maxsub) maxsub = r->subclass[i];
  }
  r->nsubclass = (size_t)(maxsub + 1);
  free(disc), free(sub);
  if (*c->distance) r->distance = ref_scores(c, s, c->distance, NULL);
  if (r->method == PEIL_MATCH_NEAREST && ref_read_pairs(c, d, s, r)) return NULL;
  return r;
}

#endif
