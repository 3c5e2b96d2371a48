/* The Abadie-Imbens standard error after nearest neighbour matching with
 * replacement: examples worked by hand (a control used twice, a treated
 * unit with fewer matches than the ratio, ties at the J-th distance), and
 * the Matching package's standard errors (tests/reference/matching/ai, made
 * by make_abadie_imbens.R) for ATT and ATC, 1 and 2 matches, J = 1, 2, 3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_util.h"
#include "unit/match/refcase.h"

/* Units built by hand: no covariates, one outcome. */
typedef struct {
  peil_match_data d;
  peil_match_result r;
  char *oname[1];
  double *out[1];
} hand_case;

static void hand_init(hand_case *h, size_t n, const int8_t *treat, const double *dist,
                      const double *y) {
  memset(h, 0, sizeof *h);
  h->d.n = n;
  h->d.row = malloc(n * sizeof *h->d.row);
  h->d.treat = malloc(n);
  h->out[0] = malloc(n * sizeof(double));
  for (size_t i = 0; i < n; i++) {
    h->d.row[i] = (int64_t)i;
    h->d.treat[i] = treat[i];
    h->out[0][i] = y[i];
    if (treat[i]) h->d.n_treated++;
    else h->d.n_control++;
  }
  h->oname[0] = "y";
  h->d.nout = 1;
  h->d.outcome_name = h->oname;
  h->d.outcome = h->out;
  h->r.n = n;
  h->r.method = PEIL_MATCH_NEAREST;
  h->r.distance = malloc(n * sizeof(double));
  memcpy(h->r.distance, dist, n * sizeof(double));
  h->r.weight = calloc(n, sizeof(double));
  h->r.subclass = malloc(n * sizeof(int64_t));
  for (size_t i = 0; i < n; i++) h->r.subclass[i] = -1;
  h->r.caliper = h->r.sd_distance = NAN;
}

/* Pairs (focal units in data order) and MatchIt's weights from them. */
static void hand_pairs(hand_case *h, peil_estimand est, size_t ratio, const int64_t *focal,
                       size_t nfocal, const int64_t *pairs) {
  h->r.estimand = est;
  h->r.ratio = ratio;
  h->r.n_treated = nfocal;
  h->r.treated_unit = malloc(nfocal * sizeof(int64_t));
  h->r.pairs = malloc(nfocal * ratio * sizeof(int64_t));
  memcpy(h->r.treated_unit, focal, nfocal * sizeof(int64_t));
  memcpy(h->r.pairs, pairs, nfocal * ratio * sizeof(int64_t));
  double *w = h->r.weight, raw = 0;
  size_t nm = 0;
  memset(w, 0, h->r.n * sizeof *w);
  for (size_t t = 0; t < nfocal; t++) {
    size_t m = 0;
    for (size_t k = 0; k < ratio; k++) m += pairs[t * ratio + k] >= 0;
    if (!m) continue;
    w[focal[t]] = 1;
    for (size_t k = 0; k < ratio; k++)
      if (pairs[t * ratio + k] >= 0) w[pairs[t * ratio + k]] += 1.0 / (double)m, raw += 1.0 / (double)m;
  }
  int focal_treat = h->d.treat[focal[0]];
  for (size_t i = 0; i < h->r.n; i++) nm += w[i] > 0 && h->d.treat[i] != focal_treat;
  for (size_t i = 0; i < h->r.n; i++)
    if (h->d.treat[i] != focal_treat) w[i] *= (double)nm / raw;
}

static void hand_free(hand_case *h) {
  free(h->d.row), free(h->d.treat), free(h->out[0]);
  free(h->r.distance), free(h->r.weight), free(h->r.subclass);
  free(h->r.treated_unit), free(h->r.pairs);
}

static const peil_effect_row *ai_row(const peil_match_effects *e) {
  for (size_t k = 0; k < e->nrows; k++)
    if (e->rows[k].se == PEIL_SE_ABADIE_IMBENS) return &e->rows[k];
  return NULL;
}

static double ai_se(hand_case *h, size_t J, double *estimate) {
  peil_effect_options o;
  peil_effect_options_init(&o);
  o.variance_matches = J;
  o.threads = 1;
  peil_match_effects *e = NULL;
  if (peil_match_effects_compute(&h->d, &h->r, &o, &e)) fail_msg("%s", peil_errmsg());
  const peil_effect_row *row = ai_row(e);
  assert_non_null(row);
  assert_int_equal(row->estimator, PEIL_EFFECT_DIFF_MEANS);
  double se = row->std_error;
  if (estimate) *estimate = row->estimate;
  peil_match_effects_free(e);
  return se;
}

/* Treated A (0.125, y 5), B (0.5, 7), C (0.5625, 9); controls c1 (0.0625, 1),
 * c2 (0.25, 2), c3 (0.625, 4), c4 (0.875, 3) (binary fractions: distances
 * are exact). 1:1 with replacement: A-c1, B-c3, C-c3.
 *   contrasts 4, 3, 5; tau = 4; sum (contrast - tau)^2 = 2.
 *   c3: K = 2, L = 2, K^2 - L = 2; c1: K = L = 1, adds nothing.
 *   J = 1: c3's nearest control is c4 (0.25 away; c2 0.375): sigma2 =
 *   1/2 (4 - 3)^2 = 0.5; V = (2 + 2 * 0.5) / 3^2 = 1/3.
 *   J = 2: c4 and c2, mean 2.5: sigma2 = 2/3 (1.5)^2 = 1.5; V = (2 + 3)/9 = 5/9.
 *   c2 moved to 0.375: c2 and c4 both 0.25 from c3, so J = 1 takes both
 *   (AI's ties): V = 5/9 again. */
static void test_by_hand(void **state) {
  (void)state;
  int8_t treat[7] = {1, 1, 1, 0, 0, 0, 0};
  double dist[7] = {0.125, 0.5, 0.5625, 0.0625, 0.25, 0.625, 0.875};
  double y[7] = {5, 7, 9, 1, 2, 4, 3};
  int64_t focal[3] = {0, 1, 2}, pairs1[3] = {3, 5, 5};
  hand_case h;
  hand_init(&h, 7, treat, dist, y);
  hand_pairs(&h, PEIL_ATT, 1, focal, 3, pairs1);
  double est = 0;
  assert_close(ai_se(&h, 1, &est), sqrt(1.0 / 3), 1e-14);
  assert_close(est, 4, 1e-14);
  assert_close(ai_se(&h, 2, NULL), sqrt(5.0) / 3, 1e-14);
  h.r.distance[4] = 0.375;
  assert_close(ai_se(&h, 1, NULL), sqrt(5.0) / 3, 1e-14);
  h.r.distance[4] = 0.25;
  hand_free(&h);

  /* 1:2 with a unit short of controls (a caliper): A-c1,c2; B-c3; C-c3,c4.
   *   contrasts 5 - 1.5 = 3.5, 7 - 4 = 3, 9 - 3.5 = 5.5; tau = 4;
   *   sum (contrast - tau)^2 = 0.25 + 1 + 2.25 = 3.5.
   *   K: c1 1/2, c2 1/2, c3 1 + 1/2, c4 1/2; L: 1/4, 1/4, 1 + 1/4, 1/4:
   *   K^2 - L = 0, 0, 1, 0. J = 1: sigma2(c3) = 0.5; V = (3.5 + 0.5)/9 = 4/9. */
  int64_t pairs2[6] = {3, 4, 5, -1, 5, 6};
  hand_init(&h, 7, treat, dist, y);
  hand_pairs(&h, PEIL_ATT, 2, focal, 3, pairs2);
  assert_close(ai_se(&h, 1, &est), 2.0 / 3, 1e-14);
  assert_close(est, 4, 1e-14);
  hand_free(&h);

  /* ATC, the same units the other way round: controls c1..c4 matched 1:1
   * to the treated: c1-A (0.0625), c2-A (0.125), c3-C (0.0625), c4-C (0.3125).
   *   contrasts (treated - control) 4, 3, 5, 6; tau = 4.5;
   *   sum (contrast - tau)^2 = 0.25 + 2.25 + 0.25 + 2.25 = 5.
   *   A and C: K = L = 2: K^2 - L = 2 each. J = 1: A's nearest treated is
   *   B (0.375 away; C 0.4375): sigma2 = 1/2 (5 - 7)^2 = 2; C's is B
   *   (0.0625): sigma2 = 1/2 (9 - 7)^2 = 2. V = (5 + 2*2 + 2*2) / 4^2 = 13/16. */
  int64_t cfocal[4] = {3, 4, 5, 6}, cpairs[4] = {0, 0, 2, 2};
  hand_init(&h, 7, treat, dist, y);
  hand_pairs(&h, PEIL_ATC, 1, cfocal, 4, cpairs);
  assert_close(ai_se(&h, 1, &est), sqrt(13.0) / 4, 1e-14);
  assert_close(est, 4.5, 1e-14);
  hand_free(&h);
}

/* The Matching package's Abadie-Imbens standard errors. */
static void test_matching_package(void **state) {
  (void)state;
  peil_store *s = ref_store();
  assert_int_equal(ref_import(s, "ai/data.csv", "ai_data"), 0);
  assert_int_equal(ref_import(s, "ai/pairs.csv", "ai_pairs"), 0);
  assert_int_equal(ref_import(s, "ai/se.csv", "ai_se"), 0);
  size_t n = 0, np = 0, ns = 0;
  double *treat = ref_column(s, "ai_data", "treat", &n), *x = ref_column(s, "ai_data", "x", NULL);
  double *y = ref_column(s, "ai_data", "y", NULL);
  char **pest = ref_text_column(s, "ai_pairs", "estimand", &np);
  double *pM = ref_column(s, "ai_pairs", "M", NULL), *pf = ref_column(s, "ai_pairs", "focal_row", NULL);
  double *pk = ref_column(s, "ai_pairs", "k", NULL), *pm = ref_column(s, "ai_pairs", "match_row", NULL);
  char **sest = ref_text_column(s, "ai_se", "estimand", &ns);
  double *sM = ref_column(s, "ai_se", "M", NULL), *sJ = ref_column(s, "ai_se", "J", NULL);
  double *sE = ref_column(s, "ai_se", "estimate", NULL), *sS = ref_column(s, "ai_se", "std_error", NULL);
  int8_t *t8 = malloc(n);
  for (size_t i = 0; i < n; i++) t8[i] = (int8_t)treat[i];
  double worst = 0;
  for (size_t q = 0; q < ns; q++) {
    int att = strcmp(sest[q], "ATT") == 0;
    size_t M = (size_t)sM[q];
    /* focal units in data order and their matches */
    int64_t *focal = malloc(n * sizeof *focal), *pairs = malloc(n * M * sizeof *pairs);
    int64_t *rank = malloc(n * sizeof *rank);
    size_t nf = 0;
    for (size_t i = 0; i < n; i++) {
      rank[i] = -1;
      if ((t8[i] == 1) == att) rank[i] = (int64_t)nf, focal[nf++] = (int64_t)i;
    }
    for (size_t j = 0; j < nf * M; j++) pairs[j] = -1;
    for (size_t j = 0; j < np; j++)
      if (!strcmp(pest[j], sest[q]) && (size_t)pM[j] == M)
        pairs[(size_t)rank[(size_t)pf[j] - 1] * M + (size_t)pk[j] - 1] = (int64_t)pm[j] - 1;
    hand_case h;
    hand_init(&h, n, t8, x, y);
    hand_pairs(&h, att ? PEIL_ATT : PEIL_ATC, M, focal, nf, pairs);
    double est = 0, se = ai_se(&h, (size_t)sJ[q], &est);
    double e1 = fabs(est - sE[q]) / fabs(sE[q]), e2 = fabs(se - sS[q]) / sS[q];
    worst = fmax(worst, fmax(e1, e2));
    if (e1 > 1e-12 || e2 > 1e-10)
      fail_msg("%s M=%zu J=%g: estimate %.17g (Matching %.17g), SE %.17g (Matching %.17g)", sest[q], M,
               sJ[q], est, sE[q], se, sS[q]);
    hand_free(&h);
    free(focal), free(pairs), free(rank);
  }
  fprintf(stderr, "%zu Matching standard errors: largest relative difference %.3g\n", ns, worst);
  free(t8), free(treat), free(x), free(y), free(pM), free(pf), free(pk), free(pm);
  free(sM), free(sJ), free(sE), free(sS);
  ref_strings_free(pest, np), ref_strings_free(sest, ns);
  peil_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_by_hand),
      cmocka_unit_test(test_matching_package),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
