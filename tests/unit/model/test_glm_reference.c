/* The GLM engine against R (glm, sandwich, margins computed by hand):
 * every case of tests/reference/glm/cases.ini, every covariance type the
 * expected file holds, to 1e-6 relative. The expected values and the R
 * script that made them are in tests/reference/ (README.md there). */
#include <ini.h>

#include "test_util.h"

#define RTOL 1e-6

typedef struct {
  char name[64];
  char data[128], formula[512], family[32], link[32], weights[64], weight_type[32];
  char where[512], ref[256], cluster[64], margins[64], ame[16], expect[32], expect_terms[256];
} glm_case;

typedef struct {
  glm_case *c;
  size_t n, cap;
} case_list;

static int on_ini(void *user, const char *section, const char *key, const char *value) {
  case_list *l = user;
  if (l->n == 0 || strcmp(l->c[l->n - 1].name, section) != 0) {
    if (l->n == l->cap) l->c = realloc(l->c, (l->cap = l->cap ? 2 * l->cap : 32) * sizeof *l->c);
    memset(&l->c[l->n], 0, sizeof *l->c);
    snprintf(l->c[l->n].name, sizeof l->c->name, "%s", section);
    l->n++;
  }
  glm_case *c = &l->c[l->n - 1];
#define KEY(k)                                                                     \
  if (strcmp(key, #k) == 0) {                                                      \
    snprintf(c->k, sizeof c->k, "%.*s", (int)sizeof c->k - 1, value);              \
    return 1;                                                                      \
  }
  KEY(data) KEY(formula) KEY(family) KEY(link) KEY(weights) KEY(weight_type) KEY(where)
  KEY(ref) KEY(cluster) KEY(margins) KEY(ame) KEY(expect) KEY(expect_terms)
#undef KEY
  return 0;
}

typedef struct {
  char what[32];
  char term[256];
  double value; /* NaN for NA */
} expected_row;

static expected_row *read_expected(const char *name, size_t *n) {
  char path[1024];
  snprintf(path, sizeof path, "%s/reference/glm/expected/%s.csv", PEIL_TEST_DATA, name);
  FILE *f = fopen(path, "r");
  if (!f) fail_msg("cannot open %s", path);
  expected_row *r = NULL;
  size_t cap = 0;
  *n = 0;
  char line[2048];
  if (!fgets(line, sizeof line, f)) fail_msg("%s is empty", path);
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = '\0';
    char *first = strchr(line, ','), *last = strrchr(line, ',');
    if (!first || first == last) continue;
    if (*n == cap) r = realloc(r, (cap = cap ? 2 * cap : 64) * sizeof *r);
    *first = '\0', *last = '\0';
    snprintf(r[*n].what, sizeof r->what, "%.31s", line);
    snprintf(r[*n].term, sizeof r->term, "%.255s", first + 1);
    r[*n].value = strcmp(last + 1, "NA") == 0 ? NAN : strtod(last + 1, NULL);
    (*n)++;
  }
  fclose(f);
  return r;
}

/* Imports each data file once into one scratch store. */
static peil_store *store;

static void open_store(const case_list *cases) {
  const char *path = test_path("glm_reference.h5");
  assert_ok(peil_store_open(path, PEIL_STORE_CREATE, &store));
  for (size_t i = 0; i < cases->n; i++) {
    char table[128], csv[1024];
    snprintf(table, sizeof table, "%s", cases->c[i].data);
    table[strcspn(table, ".")] = '\0';
    if (peil_store_has_table(store, table)) continue;
    snprintf(csv, sizeof csv, "%s/reference/glm/data/%s", PEIL_TEST_DATA, cases->c[i].data);
    /* A schema beside the data where peil's inference differs from R's. */
    char schema[1024];
    snprintf(schema, sizeof schema, "%s/reference/glm/data/%s.schema.ini", PEIL_TEST_DATA, table);
    peil_csv_options o;
    peil_csv_options_init(&o);
    if (file_exists(schema)) o.schema_path = schema;
    assert_ok(peil_csv_import(csv, &o, store, table, NULL));
  }
}

static const peil_glm_row *find_row(const peil_glm_row *r, size_t n, const char *term) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(r[i].term, term) == 0) return &r[i];
  return NULL;
}

static void check(const char *cas, const char *what, const char *term, double got, double want) {
  if (isnan(want) && isnan(got)) return;
  double scale = fabs(want) > 1e-12 ? fabs(want) : 1e-12;
  if (!(fabs(got - want) <= RTOL * scale))
    fail_msg("%s: %s %s = %.17g, R gives %.17g (relative error %.3g)", cas, what, term, got, want,
             fabs(got - want) / scale);
}

/* One fit of a case with one covariance type; checks the rows it covers. */
static void run_case(const glm_case *c, const expected_row *e, size_t ne, const char *se_kind,
                     int threads, peil_glm **keep) {
  peil_glm_options o;
  peil_glm_options_init(&o);
  o.formula = c->formula;
  o.family = c->family;
  o.link = c->link;
  o.where = *c->where ? c->where : NULL;
  o.weights = *c->weights ? c->weights : NULL;
  o.weight_type = strcmp(c->weight_type, "sampling") == 0 ? PEIL_WEIGHTS_SAMPLING : PEIL_WEIGHTS_FREQUENCY;
  o.margins = *c->margins ? c->margins : NULL;
  o.ame = strcmp(c->ame, "true") == 0;
  o.threads = threads;
  char refbuf[256];
  const char *refs[8];
  snprintf(refbuf, sizeof refbuf, "%s", c->ref);
  for (char *tok = strtok(refbuf, ","); tok && o.nrefs < 8; tok = strtok(NULL, ",")) {
    while (*tok == ' ') tok++;
    refs[o.nrefs++] = tok;
  }
  o.refs = refs;
  if (strcmp(se_kind, "cl") == 0) o.cluster = c->cluster;
  else if (strcmp(se_kind, "hc0") == 0) o.vcov = PEIL_VCOV_HC0;
  else if (strcmp(se_kind, "hc1") == 0) o.vcov = PEIL_VCOV_HC1;
  else if (strcmp(se_kind, "hc3") == 0) o.vcov = PEIL_VCOV_HC3;
  char table[128];
  snprintf(table, sizeof table, "%s", c->data);
  table[strcspn(table, ".")] = '\0';
  peil_glm *g = NULL;
  int rc = peil_glm_fit(store, table, &o, &g);
  if (strcmp(c->expect, "separation") == 0) {
    if (rc != PEIL_ENUMERIC) fail_msg("%s: expected a separation error, got %d (%s)", c->name, rc, peil_errmsg());
    if (!strstr(peil_errmsg(), "separation") || !strstr(peil_errmsg(), c->expect_terms))
      fail_msg("%s: the message should name %s: %s", c->name, c->expect_terms, peil_errmsg());
    return;
  }
  if (rc) fail_msg("%s (%s): %s", c->name, se_kind, peil_errmsg());
  char se_what[32], msew[32], dsew[32], asew[32];
  snprintf(se_what, sizeof se_what, "se_%s", se_kind);
  snprintf(msew, sizeof msew, "margin_se_%s", se_kind);
  snprintf(dsew, sizeof dsew, "diff_se_%s", se_kind);
  snprintf(asew, sizeof asew, "ame_se_%s", se_kind);
  size_t ncoef = 0;
  for (size_t i = 0; i < ne; i++) {
    const expected_row *r = &e[i];
    const peil_glm_row *row;
    if (strcmp(r->what, "coef") == 0) {
      row = find_row(g->coef, g->ncoef, r->term);
      if (!row) fail_msg("%s: no coefficient %s", c->name, r->term);
      ncoef++;
      if (isnan(r->value) != (row->aliased != 0)) fail_msg("%s: %s aliased: R %d, peil %d", c->name, r->term, isnan(r->value), row->aliased);
      check(c->name, "coef", r->term, row->estimate, r->value);
    } else if (strcmp(r->what, se_what) == 0) {
      row = find_row(g->coef, g->ncoef, r->term);
      check(c->name, se_what, r->term, row->std_error, r->value);
    } else if (strcmp(r->what, "margin") == 0 || strcmp(r->what, msew) == 0) {
      row = find_row(g->margin, g->nmargins, r->term);
      if (!row) fail_msg("%s: no margin for %s", c->name, r->term);
      check(c->name, r->what, r->term, r->what[6] ? row->std_error : row->estimate, r->value);
    } else if (strcmp(r->what, "diff") == 0 || strcmp(r->what, dsew) == 0) {
      row = find_row(g->diff, g->ndiffs, r->term);
      if (!row) fail_msg("%s: no difference for %s", c->name, r->term);
      check(c->name, r->what, r->term, r->what[4] ? row->std_error : row->estimate, r->value);
    } else if (strcmp(r->what, "ame") == 0 || strcmp(r->what, asew) == 0) {
      row = find_row(g->ame, g->n_ame, r->term);
      if (!row) fail_msg("%s: no marginal effect for %s", c->name, r->term);
      check(c->name, r->what, r->term, r->what[3] ? row->std_error : row->estimate, r->value);
    } else if (strcmp(r->what, "deviance") == 0) check(c->name, "deviance", "", g->deviance, r->value);
    else if (strcmp(r->what, "null_deviance") == 0) check(c->name, "null deviance", "", g->null_deviance, r->value);
    else if (strcmp(r->what, "aic") == 0) check(c->name, "AIC", "", g->aic, r->value);
    else if (strcmp(r->what, "loglik") == 0) check(c->name, "log-likelihood", "", g->loglik, r->value);
    else if (strcmp(r->what, "df_residual") == 0) check(c->name, "df.residual", "", g->df_residual, r->value);
    else if (strcmp(r->what, "df_null") == 0) check(c->name, "df.null", "", g->df_null, r->value);
    else if (strcmp(r->what, "dispersion") == 0) check(c->name, "dispersion", "", g->dispersion, r->value);
    else if (strcmp(r->what, "nobs") == 0) check(c->name, "nobs", "", g->nobs, r->value);
    else if (strcmp(r->what, "n_missing") == 0) check(c->name, "rows with missing values", "", (double)g->n_missing, r->value);
    else if (strcmp(r->what, "n_filtered") == 0) check(c->name, "rows filtered", "", (double)g->n_filtered, r->value);
    else if (strcmp(r->what, "rank") == 0) check(c->name, "rank", "", g->rank, r->value);
    else if (strcmp(r->what, "iter") == 0) check(c->name, "iterations", "", g->iterations, r->value);
  }
  if (ncoef != g->ncoef) fail_msg("%s: peil has %zu coefficients, R %zu", c->name, g->ncoef, ncoef);
  if (strcmp(c->expect, "aliased") == 0 && g->rank == (int)g->ncoef) fail_msg("%s: nothing aliased", c->name);
  if (keep) *keep = g;
  else peil_glm_free(g);
}

static int has_what(const expected_row *e, size_t n, const char *what) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(e[i].what, what) == 0) return 1;
  return 0;
}

static void test_against_r(void **state) {
  (void)state;
  case_list cases = {0};
  char ini[1024];
  snprintf(ini, sizeof ini, "%s/reference/glm/cases.ini", PEIL_TEST_DATA);
  assert_int_equal(ini_parse(ini, on_ini, &cases), 0);
  assert_true(cases.n >= 10);
  open_store(&cases);
  const char *kinds[] = {"model", "hc0", "hc1", "hc3", "cl"};
  for (size_t i = 0; i < cases.n; i++) {
    size_t ne = 0;
    expected_row *e = read_expected(cases.c[i].name, &ne);
    int ran = 0;
    for (size_t k = 0; k < 5; k++) {
      char se_what[32];
      snprintf(se_what, sizeof se_what, "se_%s", kinds[k]);
      if (!has_what(e, ne, se_what)) continue;
      run_case(&cases.c[i], e, ne, kinds[k], 0, NULL);
      ran++;
    }
    if (!ran) run_case(&cases.c[i], e, ne, strcmp(cases.c[i].weight_type, "sampling") == 0 ? "hc1" : "model", 0, NULL);
    free(e);
  }
  free(cases.c);
}

/* Bitwise the same results with one thread and two. */
static void test_threads_identical(void **state) {
  (void)state;
  case_list cases = {0};
  char ini[1024];
  snprintf(ini, sizeof ini, "%s/reference/glm/cases.ini", PEIL_TEST_DATA);
  assert_int_equal(ini_parse(ini, on_ini, &cases), 0);
  for (size_t i = 0; i < cases.n; i++) {
    if (strcmp(cases.c[i].expect, "separation") == 0) continue;
    size_t ne = 0;
    expected_row *e = read_expected(cases.c[i].name, &ne);
    const char *kind = *cases.c[i].cluster ? "cl" : "hc1";
    peil_glm *a = NULL, *b = NULL;
    run_case(&cases.c[i], e, ne, kind, 1, &a);
    run_case(&cases.c[i], e, ne, kind, 2, &b);
    assert_int_equal(a->ncoef, b->ncoef);
    assert_memory_equal(a->vcov_matrix, b->vcov_matrix, a->ncoef * a->ncoef * sizeof(double));
    for (size_t j = 0; j < a->ncoef; j++)
      if (memcmp(&a->coef[j].estimate, &b->coef[j].estimate, sizeof(double)) != 0)
        fail_msg("%s: %s differs between 1 and 2 threads", cases.c[i].name, a->coef[j].term);
    for (size_t j = 0; j < a->nmargins; j++)
      assert_memory_equal(&a->margin[j].estimate, &b->margin[j].estimate, 2 * sizeof(double));
    assert_memory_equal(&a->deviance, &b->deviance, sizeof(double));
    peil_glm_free(a);
    peil_glm_free(b);
    free(e);
  }
  free(cases.c);
}

/* The reference data sets are small (one or two blocks); this one has 60
 * blocks in 60 groups, so two threads really split the work. */
static void test_threads_identical_large(void **state) {
  (void)state;
  enum { N = 240000 };
  const char *levels[] = {"Amsterdam", "Den Haag", "Rotterdam", "Utrecht"};
  peil_column_def cols[] = {{"y", PEIL_INT8, 0, NULL},     {"x", PEIL_FLOAT64, 0, NULL},
                            {"g", PEIL_ENUM, 4, levels},   {"year", PEIL_INT16, 0, NULL},
                            {"rin", PEIL_INT32, 0, NULL}};
  int8_t *y = malloc(N);
  double *x = malloc(N * sizeof *x);
  int32_t *g = malloc(N * sizeof *g), *rin = malloc(N * sizeof *rin);
  int16_t *year = malloc(N * sizeof *year);
  uint64_t r = 12345;
  for (int i = 0; i < N; i++) {
    r = r * 6364136223846793005ULL + 1442695040888963407ULL;
    double u = (double)(r >> 11) / 9007199254740992.0;
    x[i] = (double)((r >> 20) % 1000) / 100.0 - 5;
    g[i] = (int32_t)((r >> 40) % 4);
    year[i] = (int16_t)(2018 + (r >> 50) % 5);
    rin[i] = i / 3;
    double eta = -0.5 + 0.3 * x[i] + 0.2 * g[i];
    y[i] = u < 1 / (1 + exp(-eta));
  }
  peil_table_writer *w = NULL;
  assert_ok(peil_table_create(store, "large", cols, 5, &w));
  const void *bufs[] = {y, x, g, year, rin};
  assert_ok(peil_table_append(w, bufs, N));
  assert_ok(peil_table_finish(w));
  peil_glm *fit[2] = {NULL, NULL};
  for (int t = 0; t < 2; t++) {
    peil_glm_options o;
    peil_glm_options_init(&o);
    o.formula = "y ~ x * g + factor(year)";
    o.family = "binomial";
    o.cluster = "rin";
    o.margins = "g";
    o.ame = 1;
    o.threads = t + 1;
    assert_ok(peil_glm_fit(store, "large", &o, &fit[t]));
  }
  peil_glm *a = fit[0], *b = fit[1];
  assert_memory_equal(a->vcov_matrix, b->vcov_matrix, a->ncoef * a->ncoef * sizeof(double));
  for (size_t j = 0; j < a->ncoef; j++) assert_memory_equal(&a->coef[j].estimate, &b->coef[j].estimate, sizeof(double));
  for (size_t j = 0; j < a->nmargins; j++) assert_memory_equal(&a->margin[j].estimate, &b->margin[j].estimate, 2 * sizeof(double));
  for (size_t j = 0; j < a->n_ame; j++) assert_memory_equal(&a->ame[j].estimate, &b->ame[j].estimate, 2 * sizeof(double));
  assert_memory_equal(&a->deviance, &b->deviance, sizeof(double));
  assert_int_equal(a->nclusters, N / 3);
  peil_glm_free(a);
  peil_glm_free(b);
  free(y), free(x), free(g), free(rin), free(year);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_against_r),
      cmocka_unit_test(test_threads_identical),
      cmocka_unit_test(test_threads_identical_large),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  peil_store_close(store);
  return rc;
}
