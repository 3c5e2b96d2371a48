/* peil_match_run against tests/reference/matching: for all 105 cases the
 * same discarded units, the same strata / subclasses / matched sets (as a
 * partition of the units), the same weights to 1e-12 and, for nearest
 * neighbour, exactly the expected pairs. The distance is the case's score
 * from scores/ (a user score), so this tests the matching, not the fit;
 * test_score checks peil's own logit score and that matching on it gives
 * the same wherever the reference says it should. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit/match/refcase.h"

/* Same partition: a bijection between the labels, NA (-1) on the same units. */
static int same_partition(const int64_t *a, const int64_t *b, size_t n, size_t nlab) {
  int64_t *ab = malloc((nlab + 1) * sizeof *ab), *ba = malloc((n + 1) * sizeof *ba);
  for (size_t k = 0; k <= nlab; k++) ab[k] = -1;
  for (size_t k = 0; k <= n; k++) ba[k] = -1;
  int ok = 1;
  for (size_t i = 0; i < n && ok; i++) {
    if ((a[i] < 0) != (b[i] < 0)) ok = 0;
    if (a[i] < 0 || !ok) continue;
    if ((size_t)a[i] > nlab || (size_t)b[i] > n) {
      ok = 0;
      break;
    }
    if (ab[a[i]] < 0 && ba[b[i]] < 0) ab[a[i]] = b[i], ba[b[i]] = a[i];
    else if (ab[a[i]] != b[i] || ba[b[i]] != a[i]) ok = 0;
  }
  free(ab), free(ba);
  return ok;
}

static void test_reference_cases(void **state) {
  (void)state;
  ref_case *cases = NULL;
  size_t ncases = 0;
  assert_int_equal(ref_cases_load(&cases, &ncases), 0);
  peil_store *s = ref_store();
  size_t failures = 0, npairs = 0;
  double worst = 0;
  for (size_t ci = 0; ci < ncases; ci++) {
    const ref_case *c = &cases[ci];
    peil_match_data *d = ref_case_data(c, s);
    assert_non_null(d);
    peil_match_result *want = ref_case_expected(c, d, s);
    assert_non_null(want);
    peil_match_options o;
    ref_cut_store cs;
    ref_case_options(c, &o, &cs);
    peil_match_result *got = NULL;
    if (peil_match_run(d, want->distance, &o, &got)) {
      fprintf(stderr, "%s: %s\n", c->name, peil_errmsg());
      failures++;
      goto next;
    }
    int bad = 0;
    for (size_t i = 0; i < d->n; i++) {
      if (got->discarded[i] != want->discarded[i]) {
        if (bad++ < 3) fprintf(stderr, "%s: unit %zu discarded %d, expected %d\n", c->name, i + 1, got->discarded[i], want->discarded[i]);
      }
      double e = fabs(got->weight[i] - want->weight[i]) / fmax(1, fabs(want->weight[i]));
      if (e > worst) worst = e;
      if (e > 1e-12 && bad++ < 3)
        fprintf(stderr, "%s: unit %zu weight %.17g, expected %.17g\n", c->name, i + 1, got->weight[i], want->weight[i]);
    }
    if (!(c->replace && o.method == PEIL_MATCH_NEAREST) &&
        !same_partition(want->subclass, got->subclass, d->n, want->nsubclass)) {
      fprintf(stderr, "%s: the subclasses are not the expected partition\n", c->name);
      bad++;
    }
    if (o.method == PEIL_MATCH_NEAREST) {
      assert_int_equal(got->n_treated, want->n_treated);
      assert_int_equal(got->ratio, want->ratio);
      for (size_t q = 0; q < got->n_treated * got->ratio; q++) {
        npairs++;
        if (got->pairs[q] != want->pairs[q] && bad++ < 3)
          fprintf(stderr, "%s: treated row %lld round %zu: control row %lld, expected %lld\n", c->name,
                  (long long)want->treated_unit[q / got->ratio] + 1, q % got->ratio + 1,
                  (long long)got->pairs[q] + 1, (long long)want->pairs[q] + 1);
      }
    }
    if (o.method == PEIL_MATCH_SUBCLASS) {
      /* The boundaries: info.csv's q_cut_1 .. q_cut_7. */
      const char *t = ref_expected_table(c, s, "info");
      size_t ni = 0;
      char **key = ref_text_column(s, t, "key", &ni);
      double *val = ref_column(s, t, "value", NULL);
      size_t nq = 0;
      for (size_t j = 0; j < ni; j++)
        if (strncmp(key[j], "q_cut_", 6) == 0) {
          size_t at = (size_t)atoi(key[j] + 6) - 1;
          nq++;
          if (at >= got->nbounds || got->bounds[at] != val[j]) {
            fprintf(stderr, "%s: %s %.17g, expected %.17g\n", c->name, key[j], at < got->nbounds ? got->bounds[at] : NAN, val[j]);
            bad++;
          }
        }
      assert_int_equal(nq, got->nbounds);
      ref_strings_free(key, ni), free(val);
    }
    if (bad) failures++;
  next:
    peil_match_result_free(got);
    peil_match_result_free(want);
    peil_match_data_free(d);
  }
  fprintf(stderr, "%zu cases, %zu pair choices, largest weight difference %.3g\n", ncases, npairs, worst);
  assert_int_equal(failures, 0);
  peil_store_close(s);
  free(cases);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reference_cases),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
