/* Balance statistics (peil_match_balance_compute) against MatchIt 4.5.1's
 * summary() in all 105 reference cases: the expected matching of each case
 * (units.csv, pairs.csv, the committed score) in, balance.csv and sizes.csv
 * out, to 1e-8 relative (absolute 1e-8 x 1e-6 near 0), NA as NaN. Then
 * synthetic data against brute force (the mean pair distance within strata
 * over every pair, the eCDFs at every value) at a size that runs the
 * columns in parallel, MatchIt's corner rules by hand, and the Love plot's
 * SVG (well-formed, every term in it). */
#include "test_util.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "unit/match/refcase.h"

#define RTOL 1e-8
#define ZERO 1e-6 /* below this |expected|, the error is taken relative to it */

static double max_rel_seen; /* the largest relative error over all cases */

/* got and want agree to RTOL relative (relative to ZERO near 0); NaN only with NaN. */
static int agrees(double got, double want) {
  if (isnan(want) || isnan(got)) return isnan(want) && isnan(got);
  double err = fabs(got - want) / fmax(fabs(want), ZERO);
  if (err > max_rel_seen) max_rel_seen = err;
  return err <= RTOL;
}

static const char *const BAL_COLS[] = {"mean_treated", "mean_control", "std_mean_diff", "var_ratio",
                                       "ecdf_mean",    "ecdf_max",     "std_pair_dist"};

static double stat_of(const peil_balance_stats *st, int k) {
  const double v[] = {st->mean_treated, st->mean_control, st->std_mean_diff, st->var_ratio,
                      st->ecdf_mean,    st->ecdf_max,     st->std_pair_dist};
  return v[k];
}

/* One case: 0 when everything agrees, else the number of disagreements (printed). */
static int check_case(const ref_case *c, peil_store *s, size_t *nvalues) {
  int bad = 0;
  peil_match_data *d = ref_case_data(c, s);
  assert_non_null(d);
  peil_match_result *r = ref_case_expected(c, d, s);
  assert_non_null(r);
  peil_match_balance *b = NULL;
  assert_ok(peil_match_balance_compute(d, r, 0, &b));
  assert_int_equal(b->nrows, d->ncov + (r->distance != NULL));

  const char *t = ref_expected_table(c, s, "balance");
  assert_non_null(t);
  size_t nb = 0;
  char **sample = ref_text_column(s, t, "sample", &nb);
  char **term = ref_text_column(s, t, "term", NULL);
  double *col[7];
  for (int k = 0; k < 7; k++) col[k] = ref_column(s, t, BAL_COLS[k], NULL);
  if (nb != 2 * b->nrows) fprintf(stderr, "%s: %zu expected rows, %zu rows\n", c->name, nb, b->nrows);
  assert_int_equal(nb, 2 * b->nrows);
  size_t imbalanced = 0;
  for (size_t e = 0; e < nb; e++) {
    int matched = strcmp(sample[e], "matched") == 0;
    assert_true(matched || strcmp(sample[e], "all") == 0);
    size_t j = matched ? e - b->nrows : e;
    assert_true(j < b->nrows);
    const peil_balance_row *row = &b->rows[j];
    if (strcmp(row->term, term[e]) != 0) {
      fprintf(stderr, "%s: row %zu is '%s', expected '%s'\n", c->name, j, row->term, term[e]);
      bad++;
      continue;
    }
    const peil_balance_stats *st = matched ? &row->matched : &row->all;
    for (int k = 0; k < 7; k++) {
      double got = stat_of(st, k), want = col[k][e];
      (*nvalues)++;
      if (!agrees(got, want)) {
        fprintf(stderr, "%s: %s %s %s = %.17g, expected %.17g\n", c->name, sample[e], term[e],
                BAL_COLS[k], got, want);
        bad++;
      }
    }
    if (matched && row->var >= 0 && fabs(col[2][e]) > 0.1) imbalanced++;
  }
  if (b->n_imbalanced != imbalanced) {
    fprintf(stderr, "%s: %zu imbalanced, expected %zu\n", c->name, b->n_imbalanced, imbalanced);
    bad++;
  }

  const char *zt = ref_expected_table(c, s, "sizes");
  assert_non_null(zt);
  size_t nz = 0;
  char **what = ref_text_column(s, zt, "what", &nz);
  double *zc = ref_column(s, zt, "control", NULL), *ztr = ref_column(s, zt, "treated", NULL);
  assert_int_equal(nz, 6);
  const peil_match_sizes *z = &b->sizes;
  for (size_t e = 0; e < nz; e++) {
    const double *got = strcmp(what[e], "all_ess") == 0       ? z->all_ess
                        : strcmp(what[e], "all") == 0         ? z->all
                        : strcmp(what[e], "matched_ess") == 0 ? z->matched_ess
                        : strcmp(what[e], "matched") == 0     ? z->matched
                        : strcmp(what[e], "unmatched") == 0   ? z->unmatched
                        : strcmp(what[e], "discarded") == 0   ? z->discarded
                                                              : NULL;
    assert_non_null(got);
    *nvalues += 2;
    if (!agrees(got[0], zc[e]) || !agrees(got[1], ztr[e])) {
      fprintf(stderr, "%s: sizes %s = %.17g %.17g, expected %.17g %.17g\n", c->name, what[e], got[0],
              got[1], zc[e], ztr[e]);
      bad++;
    }
  }

  ref_strings_free(sample, nb), ref_strings_free(term, nb), ref_strings_free(what, nz);
  for (int k = 0; k < 7; k++) free(col[k]);
  free(zc), free(ztr);
  peil_match_balance_free(b);
  peil_match_result_free(r);
  peil_match_data_free(d);
  return bad;
}

static void test_reference_cases(void **state) {
  (void)state;
  ref_case *cases = NULL;
  size_t ncases = 0, nvalues = 0, failed = 0;
  assert_int_equal(ref_cases_load(&cases, &ncases), 0);
  assert_int_equal(ncases, 105);
  for (size_t i = 0; i < ncases; i++) {
    peil_store *s = ref_store(); /* one per case: the imported tables stay small */
    assert_non_null(s);
    if (check_case(&cases[i], s, &nvalues)) failed++;
    peil_store_close(s);
  }
  printf("balance: %zu cases, %zu values, %zu cases failed, largest relative error %.3g\n", ncases,
         nvalues, failed, max_rel_seen);
  free(cases);
  assert_int_equal(failed, 0);
}

/* ---- Synthetic data against brute force. */

typedef struct {
  peil_match_data d;
  peil_match_covariate cov[3];
  peil_match_result r;
} synth;

/* n units in nstrata strata: a numeric column with many ties, one without,
 * and a 0/1 column; weights as exact matching's (ATT). */
static void synth_make(synth *z, size_t n, size_t nstrata, unsigned long seed) {
  memset(z, 0, sizeof *z);
  gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(g, seed);
  z->d.n = n;
  z->d.treat = malloc(n);
  z->d.ncov = 3;
  z->d.cov = z->cov;
  const char *names[3] = {"ties", "smooth", "flag"};
  for (int k = 0; k < 3; k++) {
    z->cov[k].term = (char *)names[k];
    z->cov[k].var = k;
    z->cov[k].level = -1;
    z->cov[k].binary = k == 2;
    z->cov[k].x = malloc(n * sizeof(double));
  }
  z->r.n = n;
  z->r.method = PEIL_MATCH_EXACT;
  z->r.estimand = PEIL_ATT;
  z->r.weight = malloc(n * sizeof(double));
  z->r.subclass = malloc(n * sizeof(int64_t));
  z->r.discarded = calloc(n, 1);
  z->r.nsubclass = nstrata;
  for (size_t i = 0; i < n; i++) {
    int64_t s = (int64_t)gsl_rng_uniform_int(g, nstrata);
    int t = gsl_rng_uniform(g) < 0.3;
    z->d.treat[i] = (int8_t)t;
    z->d.n_treated += (size_t)t;
    z->r.subclass[i] = s;
    z->cov[0].x[i] = (double)gsl_rng_uniform_int(g, 12) + 0.5 * t - (double)s / 8;
    z->cov[1].x[i] = gsl_ran_ugaussian(g) * 1000 + 300 * t;
    z->cov[2].x[i] = gsl_rng_uniform(g) < 0.4 + 0.2 * t;
  }
  z->d.n_control = n - z->d.n_treated;
  /* strata without both groups: unmatched; stratum weights of ATT */
  size_t *n1 = calloc(nstrata, sizeof *n1), *n0 = calloc(nstrata, sizeof *n0);
  for (size_t i = 0; i < n; i++) (z->d.treat[i] ? n1 : n0)[z->r.subclass[i]]++;
  double sw0 = 0;
  size_t k0 = 0;
  for (size_t i = 0; i < n; i++) {
    int64_t s = z->r.subclass[i];
    if (!n1[s] || !n0[s]) {
      z->r.subclass[i] = -1;
      z->r.weight[i] = 0;
    } else if (z->d.treat[i]) {
      z->r.weight[i] = 1;
    } else {
      z->r.weight[i] = (double)n1[s] / (double)n0[s];
      sw0 += z->r.weight[i];
      k0++;
    }
  }
  for (size_t i = 0; i < n; i++)
    if (!z->d.treat[i]) z->r.weight[i] *= (double)k0 / sw0;
  free(n1), free(n0);
  gsl_rng_free(g);
}

static void synth_free(synth *z) {
  free(z->d.treat);
  for (int k = 0; k < 3; k++) free(z->cov[k].x);
  free(z->r.weight), free(z->r.subclass), free(z->r.discarded), free(z->r.pairs), free(z->r.treated_unit);
}

/* Brute force: the mean |x_t - x_c| over every treated-control pair in a stratum. */
static double brute_pair_dist(const synth *z, const double *x) {
  long double sum = 0;
  double cnt = 0;
  for (size_t i = 0; i < z->d.n; i++) {
    if (!z->d.treat[i] || z->r.subclass[i] < 0) continue;
    for (size_t j = 0; j < z->d.n; j++)
      if (!z->d.treat[j] && z->r.subclass[j] == z->r.subclass[i]) {
        sum += fabsl((long double)x[i] - x[j]);
        cnt++;
      }
  }
  return (double)(sum / cnt);
}

/* Brute force: the eCDFs at every distinct value, each by a pass over all units. */
static void brute_ecdf(const synth *z, const double *x, const double *w, double *mean, double *max) {
  size_t n = z->d.n;
  double *v = malloc(n * sizeof *v);
  memcpy(v, x, n * sizeof *v);
  for (size_t i = 1; i < n; i++) /* insertion sort (test sizes are small) */
    for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
      double a = v[j];
      v[j] = v[j - 1];
      v[j - 1] = a;
    }
  long double s1 = 0, s0 = 0, dsum = 0;
  for (size_t i = 0; i < n; i++) *(z->d.treat[i] ? &s1 : &s0) += w ? w[i] : 1;
  double mx = 0;
  size_t nv = 0;
  for (size_t q = 0; q < n; q++) {
    if (q + 1 < n && v[q + 1] == v[q]) continue;
    long double f1 = 0, f0 = 0;
    for (size_t i = 0; i < n; i++)
      if (x[i] <= v[q]) *(z->d.treat[i] ? &f1 : &f0) += w ? w[i] : 1;
    double dv = (double)fabsl(f1 / s1 - f0 / s0);
    dsum += dv;
    if (dv > mx) mx = dv;
    nv++;
  }
  *mean = (double)(dsum / nv);
  *max = mx;
  free(v);
}

static double sd_of(const synth *z, const double *x, int t) {
  double s = 0, ss = 0, k = 0;
  for (size_t i = 0; i < z->d.n; i++)
    if (z->d.treat[i] == t) s += x[i], k++;
  for (size_t i = 0; i < z->d.n; i++)
    if (z->d.treat[i] == t) ss += (x[i] - s / k) * (x[i] - s / k);
  return sqrt(ss / (k - 1));
}

static void test_strata_brute_force(void **state) {
  (void)state;
  /* small enough for an O(n^2) eCDF, and 30,000 units in 40 strata (the
   * columns then run in parallel) for the pair distance */
  const size_t sizes[2] = {1500, 30000}, strata[2] = {7, 40};
  for (int c = 0; c < 2; c++) {
    synth z;
    synth_make(&z, sizes[c], strata[c], 20250 + (unsigned long)c);
    peil_match_balance *b = NULL;
    assert_ok(peil_match_balance_compute(&z.d, &z.r, 0, &b));
    assert_int_equal(b->nrows, 3);
    for (int k = 0; k < 3; k++) {
      const double *x = z.cov[k].x;
      const peil_balance_row *row = &b->rows[k];
      assert_string_equal(row->term, z.cov[k].term);
      assert_int_equal(row->binary, k == 2);
      double sd = k == 2 ? 0 : sd_of(&z, x, 1);
      if (k == 2) {
        double p = row->all.mean_treated;
        sd = sqrt(p * (1 - p));
      }
      double pd = brute_pair_dist(&z, x);
      assert_close(row->matched.std_pair_dist, pd / sd, 1e-11);
      assert_true(isnan(row->all.std_pair_dist));
      if (c == 0 && k != 2) {
        double m, mx;
        brute_ecdf(&z, x, NULL, &m, &mx);
        assert_close(row->all.ecdf_mean, m, 1e-11);
        assert_close(row->all.ecdf_max, mx, 1e-11);
        brute_ecdf(&z, x, z.r.weight, &m, &mx);
        assert_close(row->matched.ecdf_mean, m, 1e-11);
        assert_close(row->matched.ecdf_max, mx, 1e-11);
      }
    }
    peil_match_balance_free(b);
    synth_free(&z);
  }
}

/* MatchIt's corner rules, worked out by hand on eight units (every value
 * also what MatchIt 4.5.1's bal1var() gives on these data). */
static void test_corner_rules(void **state) {
  (void)state;
  synth z;
  synth_make(&z, 8, 1, 1);
  /* treated 0..3, controls 4..7 */
  const double konst[8] = {2, 2, 2, 2, 0, 1, 2, 5};  /* constant among the treated */
  const double same[8] = {1, 3, 1, 3, 2, 2, 0, 4};   /* equal means */
  const double flag[8] = {1, 1, 1, 1, 0, 1, 0, 0};   /* binary, constant among the treated */
  for (size_t i = 0; i < 8; i++) {
    z.d.treat[i] = i < 4;
    z.cov[0].x[i] = konst[i];
    z.cov[1].x[i] = same[i];
    z.cov[2].x[i] = flag[i];
    z.r.weight[i] = 1;
    z.r.subclass[i] = 0;
  }
  z.d.n_treated = z.d.n_control = 4;
  peil_match_balance *b = NULL;
  assert_ok(peil_match_balance_compute(&z.d, &z.r, 0, &b));
  /* konst: SD of the treated is 0, so MatchIt's pooled SD: the squares
   * about the group means over n - 1 (its pooled_sd with s.weights of
   * ones; the README's n - 2 is not what MatchIt 4.5.1 does), once the
   * means differ */
  assert_true(b->rows[0].all.std_mean_diff == 0); /* means 2 and 2: the raw difference */
  /* the same column with control 7 at 9: means 2 and 3 */
  z.cov[0].x[7] = 9;
  peil_match_balance_free(b);
  assert_ok(peil_match_balance_compute(&z.d, &z.r, 0, &b));
  double ss = 9 + 4 + 1 + 36; /* controls 0 1 2 9 about their mean 3 */
  assert_close(b->rows[0].all.std_mean_diff, (2.0 - 3.0) / sqrt(ss / 7), 1e-14);
  assert_true(b->rows[0].all.var_ratio == 0);
  assert_close(b->rows[0].all.ecdf_mean, 0.25, 1e-14);
  assert_close(b->rows[0].all.ecdf_max, 0.5, 1e-14);
  /* same: difference 0, not standardised; the pair distance is raw too:
   * pairs |1-2|,|1-2|,|1-0|,|1-4|,.. = mean over 16 pairs */
  assert_true(b->rows[1].all.std_mean_diff == 0);
  double pd = 0;
  for (int i = 0; i < 4; i++)
    for (int j = 4; j < 8; j++) pd += fabs(same[i] - same[j]);
  assert_close(b->rows[1].matched.std_pair_dist, pd / 16, 1e-14);
  assert_close(pd / 16, 1.5, 1e-15);
  assert_close(b->rows[1].matched.var_ratio, 0.5, 1e-14);
  assert_close(b->rows[1].matched.ecdf_mean, 0.2, 1e-14);
  assert_close(b->rows[1].matched.ecdf_max, 0.25, 1e-14);
  /* flag: p1 = 1, SD 0: pooled sqrt(sum_g S_g (1 - S_g / n_g) / n) = sqrt((0 + 1 x 3/4) / 8) */
  assert_close(b->rows[2].all.std_mean_diff, (1 - 0.25) / sqrt(0.75 / 8), 1e-14);
  assert_true(isnan(b->rows[2].all.var_ratio));
  assert_close(b->rows[2].all.ecdf_max, 0.75, 1e-14);
  /* ATC: the SD of the controls; ATE: pooled */
  z.r.estimand = PEIL_ATC;
  peil_match_balance_free(b);
  assert_ok(peil_match_balance_compute(&z.d, &z.r, 0, &b));
  assert_close(b->rows[0].all.std_mean_diff, -1 / sqrt(ss / 3), 1e-14);
  z.r.estimand = PEIL_ATE;
  peil_match_balance_free(b);
  assert_ok(peil_match_balance_compute(&z.d, &z.r, 0, &b));
  assert_close(b->rows[0].all.std_mean_diff, -1 / sqrt((0 + ss / 3) / 2), 1e-14);
  /* too small: one treated and one control with weight: not standardised -> NaN */
  for (size_t i = 0; i < 8; i++) z.r.weight[i] = i == 0 || i == 7;
  peil_match_balance_free(b);
  assert_ok(peil_match_balance_compute(&z.d, &z.r, 0, &b));
  assert_true(isnan(b->rows[0].matched.std_mean_diff));
  assert_true(isnan(b->rows[0].matched.var_ratio));
  assert_true(isnan(b->rows[0].matched.ecdf_mean));
  assert_true(isnan(b->rows[0].matched.std_pair_dist));
  assert_close(b->rows[0].matched.mean_control, 9, 1e-15);
  peil_match_balance_free(b);
  synth_free(&z);
}

/* ---- The Love plot: well-formed SVG with every term. */

/* Tags balance (a stack of names), attribute values quoted, '&' only in entities. */
static int svg_well_formed(const char *s) {
  char stack[64][32];
  int depth = 0, roots = 0;
  for (const char *p = s; *p; p++) {
    if (*p == '&') {
      if (strncmp(p, "&amp;", 5) && strncmp(p, "&lt;", 4) && strncmp(p, "&gt;", 4) &&
          strncmp(p, "&quot;", 6) && strncmp(p, "&apos;", 6))
        return 0;
      continue;
    }
    if (*p != '<') continue;
    if (p[1] == '?') { /* declaration */
      p = strstr(p, "?>");
      if (!p) return 0;
      p++;
      continue;
    }
    const char *e = p + 1;
    int closing = *e == '/';
    if (closing) e++;
    char name[32];
    size_t k = 0;
    while (*e && *e != ' ' && *e != '>' && *e != '/' && *e != '\n' && k < 31) name[k++] = *e++;
    name[k] = 0;
    if (!k) return 0;
    int quote = 0;
    while (*e && (quote || *e != '>')) {
      if (*e == '"') quote = !quote;
      if (*e == '<') return 0;
      e++;
    }
    if (!*e) return 0;
    int self = e[-1] == '/';
    if (closing) {
      if (depth == 0 || strcmp(stack[depth - 1], name) != 0) return 0;
      depth--;
    } else if (!self) {
      if (depth == 0) roots++;
      if (depth == 64) return 0;
      snprintf(stack[depth++], sizeof stack[0], "%s", name);
    }
    p = e;
  }
  return depth == 0 && roots == 1;
}

static void test_love_plot(void **state) {
  (void)state;
  synth z;
  synth_make(&z, 600, 5, 7);
  z.cov[1].term = (char *)"re74 & <re75> \"x\"";
  peil_match_balance *b = NULL;
  assert_ok(peil_match_balance_compute(&z.d, &z.r, 0, &b));
  b->rows[2].matched.std_mean_diff = NAN; /* no marker, still well-formed */
  const char *path = test_path("love.svg");
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  assert_ok(peil_match_love_plot(b, f, "Balance: lalonde & <ATT>"));
  fclose(f);
  f = fopen(path, "r");
  assert_non_null(f);
  char *text = calloc(1, 1 << 20);
  size_t len = fread(text, 1, (1 << 20) - 1, f);
  fclose(f);
  assert_true(len > 0);
  assert_true(strncmp(text, "<?xml", 5) == 0);
  assert_true(svg_well_formed(text));
  assert_non_null(strstr(text, ">ties</text>"));
  assert_non_null(strstr(text, ">re74 &amp; &lt;re75&gt; &quot;x&quot;</text>"));
  assert_non_null(strstr(text, ">flag</text>"));
  assert_non_null(strstr(text, "Balance: lalonde &amp; &lt;ATT&gt;"));
  assert_non_null(strstr(text, "stroke-dasharray"));
  /* five markers: three before, two after */
  size_t circles = 0;
  for (const char *p = strstr(text, "class=\"points\""); p && (p = strstr(p, "<circle")); p++) circles++;
  assert_int_equal(circles, 5);
  if (access("/usr/bin/python3", X_OK) == 0) { /* a real XML parser, when there is one */
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E; "
             "r = E.parse(sys.argv[1]).getroot(); sys.exit(r.tag != \"{http://www.w3.org/2000/svg}svg\")' '%s'",
             path);
    assert_int_equal(system(cmd), 0);
  }
  free(text);
  unlink(path);
  peil_match_balance_free(b);
  synth_free(&z);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reference_cases),
      cmocka_unit_test(test_strata_brute_force),
      cmocka_unit_test(test_corner_rules),
      cmocka_unit_test(test_love_plot),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
