/* The simulator: deterministic for a seed whatever the threads and block
 * size, well-formed spells, the known truth consistent with the tables, an
 * exactly zero ATT without an effect, the labels, the parameters. */
#include "test_util.h"

#include "sim/sim_internal.h"

#define NPERS 3000

static double hidden_bias = 0; /* for run_sim */

static const char *run_sim(const char *name, int64_t persons, uint64_t seed, int threads,
                           int block, double effect) {
  const char *path = test_path(name);
  peil_sim_params p;
  peil_sim_params_default(&p);
  p.hidden_bias = hidden_bias;
  p.persons = persons;
  p.seed = seed;
  p.threads = threads;
  p.block = block;
  p.effect = effect;
  p.command = "test_sim";
  peil_store *s = NULL;
  peil_sim_report rep;
  assert_ok(peil_store_open(path, PEIL_STORE_CREATE, &s));
  assert_ok(peil_sim_run(&p, s, &rep));
  assert_ok(peil_store_commit(s));
  peil_store_close(s);
  assert_int_equal(rep.rows_persons, persons);
  return path;
}

static const char *const table_names[] = {"persons", "bijstand", "ww",   "jobs",
                                          "srg",     "programme", "truth"};
#define NTABLES (sizeof table_names / sizeof table_names[0])

/* 1 when every column of every table is bitwise the same in both stores. */
static int same_tables(const char *a, const char *b) {
  peil_store *sa = NULL, *sb = NULL;
  assert_ok(peil_store_open(a, PEIL_STORE_READ, &sa));
  assert_ok(peil_store_open(b, PEIL_STORE_READ, &sb));
  int same = 1;
  for (size_t t = 0; t < NTABLES && same; t++) {
    peil_scan *x = NULL, *y = NULL;
    assert_ok(peil_scan_open(sa, table_names[t], NULL, 0, 0, &x));
    assert_ok(peil_scan_open(sb, table_names[t], NULL, 0, 0, &y));
    if (peil_scan_nrows(x) != peil_scan_nrows(y)) same = 0;
    peil_table_info *ti = NULL;
    assert_ok(peil_store_table_info(sa, table_names[t], &ti));
    peil_block bx, by;
    while (same && peil_scan_next(x, &bx) == 1) {
      assert_int_equal(peil_scan_next(y, &by), 1);
      assert_int_equal(bx.nrows, by.nrows);
      for (size_t c = 0; c < ti->ncols; c++)
        if (memcmp(bx.cols[c], by.cols[c], bx.nrows * peil_type_size(ti->cols[c].type))) same = 0;
    }
    peil_table_info_free(ti);
    peil_scan_close(x);
    peil_scan_close(y);
  }
  /* The known truth too. */
  double va, vb;
  assert_ok(peil_store_get_attr_f64(sa, NULL, "true_att_in_work_12", &va));
  assert_ok(peil_store_get_attr_f64(sb, NULL, "true_att_in_work_12", &vb));
  if (memcmp(&va, &vb, sizeof va)) same = 0;
  peil_store_close(sa);
  peil_store_close(sb);
  return same;
}

static void test_deterministic(void **state) {
  (void)state;
  const char *a = run_sim("det1.h5", NPERS, 42, 1, 0, 0.4);
  const char *b = run_sim("det2.h5", NPERS, 42, 2, 0, 0.4);
  const char *c = run_sim("det3.h5", NPERS, 42, 2, 257, 0.4); /* many odd blocks */
  const char *d = run_sim("det4.h5", NPERS, 43, 2, 0, 0.4);
  assert_true(same_tables(a, b));
  assert_true(same_tables(a, c));
  assert_false(same_tables(a, d));
  unlink(a);
  unlink(b);
  unlink(c);
  unlink(d);
}

/* ---- Reading a whole (small) table. */
typedef struct {
  size_t n;
  int64_t *rin;
  int32_t *start, *end, *k; /* k: the enum column, if any */
} spells;

static spells read_spells(peil_store *s, const char *table, const char *kcol) {
  const char *cols[4] = {"rin", "start", "end", kcol};
  peil_scan *sc = NULL;
  assert_ok(peil_scan_open(s, table, cols, kcol ? 4 : 3, 0, &sc));
  spells r = {0};
  r.n = (size_t)peil_scan_nrows(sc);
  r.rin = malloc((r.n + 1) * sizeof *r.rin);
  r.start = malloc((r.n + 1) * sizeof *r.start);
  r.end = malloc((r.n + 1) * sizeof *r.end);
  r.k = malloc((r.n + 1) * sizeof *r.k);
  peil_block b;
  while (peil_scan_next(sc, &b) == 1) {
    size_t at = (size_t)b.start;
    memcpy(r.rin + at, b.cols[0], b.nrows * sizeof *r.rin);
    memcpy(r.start + at, b.cols[1], b.nrows * sizeof *r.start);
    memcpy(r.end + at, b.cols[2], b.nrows * sizeof *r.end);
    if (kcol) memcpy(r.k + at, b.cols[3], b.nrows * sizeof *r.k);
  }
  peil_scan_close(sc);
  return r;
}

static void free_spells(spells *s) {
  free(s->rin);
  free(s->start);
  free(s->end);
  free(s->k);
}

/* Ordered by rin then start, end >= start, closed spells end before `to`,
 * no overlaps, an open spell only as a person's last. */
static void check_spells(const spells *s, int32_t from, int32_t to, const char *table) {
  for (size_t i = 0; i < s->n; i++) {
    if (s->start[i] > to) fail_msg("%s row %zu starts after the window", table, i);
    if (s->end[i] != PEIL_NA_DATE) {
      if (s->end[i] < s->start[i]) fail_msg("%s row %zu ends before it starts", table, i);
      if (s->end[i] >= to) fail_msg("%s row %zu: a closed spell must end before `to`", table, i);
      if (s->end[i] < from) fail_msg("%s row %zu ends before the window", table, i);
    }
    if (i == 0 || s->rin[i] != s->rin[i - 1]) {
      if (i > 0 && s->rin[i] < s->rin[i - 1]) fail_msg("%s row %zu: rin not ordered", table, i);
      continue;
    }
    if (s->start[i] < s->start[i - 1]) fail_msg("%s row %zu: start not ordered", table, i);
    if (s->end[i - 1] == PEIL_NA_DATE)
      fail_msg("%s row %zu: an open spell is followed by another one", table, i - 1);
    if (s->start[i] <= s->end[i - 1]) fail_msg("%s rows %zu-%zu overlap", table, i - 1, i);
  }
}

/* Index of the spell of `s` of person rin covering day d, or -1. */
static long covering(const spells *s, int64_t rin, int32_t d) {
  /* Binary search the first row of rin, then scan its spells. */
  size_t lo = 0, hi = s->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (s->rin[mid] < rin) lo = mid + 1;
    else hi = mid;
  }
  for (size_t i = lo; i < s->n && s->rin[i] == rin; i++)
    if (s->start[i] <= d && (s->end[i] == PEIL_NA_DATE || s->end[i] >= d)) return (long)i;
  return -1;
}

static void test_spells_well_formed(void **state) {
  (void)state;
  const char *path = run_sim("wf.h5", NPERS, 7, 2, 0, 0.4);
  peil_sim_params p;
  peil_sim_params_default(&p);
  peil_store *s = NULL;
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  spells bij = read_spells(s, "bijstand", "municipality");
  spells ww = read_spells(s, "ww", NULL);
  spells jobs = read_spells(s, "jobs", "contract");
  spells srg = read_spells(s, "srg", "code");
  spells prog = read_spells(s, "programme", "exit_reason");
  check_spells(&bij, p.from, p.to, "bijstand");
  check_spells(&ww, p.from, p.to, "ww");
  check_spells(&jobs, p.from, p.to, "jobs");
  check_spells(&srg, p.from, p.to, "srg");
  check_spells(&prog, p.from, p.to, "programme");
  /* Every person has bijstand in the window; rins are the persons'. */
  assert_true(bij.n >= NPERS);
  size_t persons_seen = 0;
  for (size_t i = 0; i < bij.n; i++) persons_seen += i == 0 || bij.rin[i] != bij.rin[i - 1];
  assert_int_equal(persons_seen, NPERS);
  /* Jobs and WW never overlap bijstand; SRG and the programme lie inside it. */
  for (size_t i = 0; i < jobs.n; i++) {
    int32_t last = jobs.end[i] == PEIL_NA_DATE ? p.to : jobs.end[i];
    for (int32_t d = jobs.start[i] < p.from ? p.from : jobs.start[i]; d <= last; d += 7)
      if (covering(&bij, jobs.rin[i], d) >= 0) fail_msg("job row %zu overlaps bijstand", i);
  }
  for (size_t i = 0; i < ww.n; i++)
    if (covering(&bij, ww.rin[i], ww.start[i] < p.from ? p.from : ww.start[i]) >= 0)
      fail_msg("ww row %zu overlaps bijstand", i);
  const spells *inside[] = {&srg, &prog};
  for (int t = 0; t < 2; t++)
    for (size_t i = 0; i < inside[t]->n; i++) {
      long b = covering(&bij, inside[t]->rin[i], inside[t]->start[i]);
      if (b < 0) fail_msg("%s row %zu starts outside bijstand", t ? "programme" : "srg", i);
      int32_t e = inside[t]->end[i], be = bij.end[b];
      if (be != PEIL_NA_DATE && (e == PEIL_NA_DATE || e > be))
        fail_msg("%s row %zu ends after its bijstand spell", t ? "programme" : "srg", i);
    }
  /* Programme exit reasons: missing exactly when the spell is open; at most
   * one programme spell per person. */
  for (size_t i = 0; i < prog.n; i++) {
    assert_int_equal(prog.end[i] == PEIL_NA_DATE, prog.k[i] == PEIL_NA_ENUM);
    if (i > 0) assert_true(prog.rin[i] != prog.rin[i - 1]);
  }
  assert_true(prog.n > 0 && srg.n > 0 && ww.n > 0 && jobs.n > 0);
  free_spells(&bij);
  free_spells(&ww);
  free_spells(&jobs);
  free_spells(&srg);
  free_spells(&prog);
  peil_store_close(s);
  unlink(path);
}

/* The truth table against the attributes and against the jobs table. */
static void check_truth(const char *path, int expect_zero) {
  peil_store *s = NULL;
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  peil_scan *sc = NULL;
  assert_ok(peil_scan_open(s, "truth", NULL, 0, 0, &sc));
  size_t n = (size_t)peil_scan_nrows(sc);
  assert_true(n > 50);
  spells jobs = read_spells(s, "jobs", NULL);
  spells prog = read_spells(s, "programme", NULL);
  assert_int_equal(prog.n, n);
  int64_t cnt[4] = {0}, s1[4] = {0}, s0[4] = {0};
  peil_block b;
  size_t row = 0;
  int32_t to;
  {
    char *t = NULL;
    assert_ok(peil_store_get_attr_str(s, NULL, "sim_to", &t));
    assert_ok(peil_date_parse(t, strlen(t), &to));
    free(t);
  }
  while (peil_scan_next(sc, &b) == 1) {
    for (size_t i = 0; i < b.nrows; i++, row++) {
      int64_t rin = ((const int64_t *)b.cols[0])[i];
      int32_t start = ((const int32_t *)b.cols[1])[i];
      assert_true(rin == prog.rin[row] && start == prog.start[row]);
      for (int h = 0; h < 4; h++) {
        int8_t y1 = ((const int8_t *)b.cols[2 + 2 * h])[i];
        int8_t y0 = ((const int8_t *)b.cols[3 + 2 * h])[i];
        int32_t at = peil_date_add_months(start, peil_sim_horizons[h]);
        assert_int_equal(y1 == PEIL_NA_BOOL, at > to);
        assert_int_equal(y0 == PEIL_NA_BOOL, at > to);
        if (y1 == PEIL_NA_BOOL) continue;
        /* Y(1) is what the data show. */
        assert_int_equal(y1, covering(&jobs, rin, at) >= 0);
        if (expect_zero) assert_int_equal(y1, y0);
        cnt[h]++;
        s1[h] += y1;
        s0[h] += y0;
      }
    }
  }
  for (int h = 0; h < 4; h++) {
    char key[64];
    double att, m1;
    snprintf(key, sizeof key, "true_att_in_work_%d", peil_sim_horizons[h]);
    assert_ok(peil_store_get_attr_f64(s, NULL, key, &att));
    snprintf(key, sizeof key, "true_mean_treated_%d", peil_sim_horizons[h]);
    assert_ok(peil_store_get_attr_f64(s, NULL, key, &m1));
    assert_true(cnt[h] > 0);
    assert_true(att == (double)(s1[h] - s0[h]) / (double)cnt[h]);
    assert_true(m1 == (double)s1[h] / (double)cnt[h]);
    if (expect_zero) assert_true(att == 0.0);
    peil_attr *a = NULL;
    size_t na = 0;
    assert_ok(peil_store_list_attrs(s, NULL, &a, &na));
    snprintf(key, sizeof key, "true_att_n_%d", peil_sim_horizons[h]);
    int found = 0;
    for (size_t j = 0; j < na; j++)
      if (strcmp(a[j].key, key) == 0) {
        assert_int_equal(atoll(a[j].value), cnt[h]);
        found = 1;
      }
    assert_true(found);
    peil_attrs_free(a, na);
  }
  peil_scan_close(sc);
  free_spells(&jobs);
  free_spells(&prog);
  peil_store_close(s);
}

static void test_truth_consistent(void **state) {
  (void)state;
  const char *path = run_sim("truth.h5", NPERS, 11, 2, 0, 0.8);
  check_truth(path, 0);
  unlink(path);
}

static void test_no_effect_means_zero_att(void **state) {
  (void)state;
  const char *path = run_sim("zero.h5", NPERS, 11, 2, 0, 0.0);
  check_truth(path, 1);
  unlink(path);
}

static double attr(const char *path, const char *key) {
  peil_store *s = NULL;
  double v;
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  assert_ok(peil_store_get_attr_f64(s, NULL, key, &v));
  peil_store_close(s);
  return v;
}

/* Hidden bias selects the more employable (their outcome without the
 * programme is better) without changing much how many enter; the pilot that
 * keeps the number does not depend on the threads either. */
static void test_hidden_bias(void **state) {
  (void)state;
  const char *a = run_sim("hb0.h5", 6000, 5, 2, 0, 0.8);
  hidden_bias = 1.5;
  const char *b = run_sim("hb1.h5", 6000, 5, 2, 0, 0.8);
  const char *c = run_sim("hb2.h5", 6000, 5, 1, 1000, 0.8);
  hidden_bias = 0;
  assert_true(same_tables(b, c));
  double n0 = attr(a, "true_att_n_6"), n1 = attr(b, "true_att_n_6");
  assert_true(n1 > 0.75 * n0 && n1 < 1.25 * n0);
  assert_true(attr(b, "true_mean_control_12") > attr(a, "true_mean_control_12") + 0.05);
  unlink(a);
  unlink(b);
  unlink(c);
}

static void check_levels(const peil_table_info *ti, const char *col, const char *const *want,
                         size_t n) {
  int j = peil_table_info_find(ti, col);
  assert_true(j >= 0);
  assert_int_equal(ti->cols[j].type, PEIL_ENUM);
  assert_int_equal(ti->cols[j].nlevels, n);
  for (size_t k = 0; k < n; k++) assert_string_equal(ti->cols[j].levels[k], want[k]);
}

static void test_labels_and_schema(void **state) {
  (void)state;
  const char *path = run_sim("labels.h5", 200, 1, 1, 0, 0.4);
  peil_store *s = NULL;
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  peil_table_info *ti = NULL;
  static const char *const city[] = {"Amsterdam", "Rotterdam", "Den Haag", "Utrecht"};
  static const char *const mig[] = {"Nederlands", "Westers", "Turks", "Marokkaans",
                                    "Surinaams", "Antilliaans", "Overig niet-westers"};
  static const char *const edu[] = {"laag", "middelbaar", "hoog", "onbekend"};
  static const char *const hh[] = {"alleenstaand", "alleenstaande ouder",
                                   "paar zonder kinderen", "paar met kinderen", "overig"};
  static const char *const sex[] = {"man", "vrouw"};
  static const char *const contract[] = {"vast", "uitzend", "oproep", "bepaalde tijd", "stage"};
  static const char *const srg[] = {"LKSPWET", "PARTICIPATIEPLAATS", "JOBCOACHBEGELEIDING",
                                    "TRAININGETC", "VRIJWILLIGERSWERK", "OVWERKPLEK",
                                    "COACHINGWERKPARTICIPATIE", "OVERIGESOCIALEACTIVERING",
                                    "OVERIGEFACILITERENDEVOORZ", "NIETNADERINTEDELEN"};
  static const char *const why[] = {"regulier werk", "uitval", "einde traject",
                                    "verhuisd/overig"};
  assert_ok(peil_store_table_info(s, "persons", &ti));
  check_levels(ti, "municipality", city, 4);
  check_levels(ti, "sex", sex, 2);
  check_levels(ti, "migration", mig, 7);
  check_levels(ti, "education", edu, 4);
  check_levels(ti, "household", hh, 5);
  assert_int_equal(ti->cols[peil_table_info_find(ti, "birth_date")].type, PEIL_DATE);
  assert_int_equal(ti->cols[peil_table_info_find(ti, "rin")].type, PEIL_INT64);
  peil_table_info_free(ti);
  assert_ok(peil_store_table_info(s, "bijstand", &ti));
  check_levels(ti, "municipality", city, 4);
  assert_int_equal(ti->cols[peil_table_info_find(ti, "end")].type, PEIL_DATE);
  peil_table_info_free(ti);
  assert_ok(peil_store_table_info(s, "jobs", &ti));
  check_levels(ti, "contract", contract, 5);
  assert_int_equal(ti->cols[peil_table_info_find(ti, "sector")].nlevels, 10);
  assert_int_equal(ti->cols[peil_table_info_find(ti, "employer")].type, PEIL_INT32);
  peil_table_info_free(ti);
  assert_ok(peil_store_table_info(s, "srg", &ti));
  check_levels(ti, "code", srg, 10);
  peil_table_info_free(ti);
  assert_ok(peil_store_table_info(s, "programme", &ti));
  check_levels(ti, "exit_reason", why, 4);
  peil_table_info_free(ti);
  /* Parameters and provenance are recorded. */
  char *v = NULL;
  assert_ok(peil_store_get_attr_str(s, NULL, "provenance", &v));
  assert_non_null(strstr(v, "test_sim"));
  free(v);
  assert_ok(peil_store_get_attr_str(s, NULL, "sim_parameters", &v));
  assert_non_null(strstr(v, "job_eta = "));
  free(v);
  double e;
  assert_ok(peil_store_get_attr_f64(s, NULL, "sim_effect", &e));
  assert_true(e == 0.4);
  peil_store_close(s);
  unlink(path);
}

static void test_params(void **state) {
  (void)state;
  peil_sim_params p, q;
  peil_sim_params_default(&p);
  assert_ok(peil_sim_params_check(&p));
  q = p;
  q.persons = 0;
  assert_int_equal(peil_sim_params_check(&q), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "persons"));
  q = p;
  q.to = q.from;
  assert_int_equal(peil_sim_params_check(&q), PEIL_EINVAL);
  assert_int_equal(peil_sim_params_set(&q, "no_such", "1"), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "no_such"));
  assert_int_equal(peil_sim_params_set(&q, "job_city", "1,2"), PEIL_EINVAL);
  assert_int_equal(peil_sim_params_set(&q, "city_share", "1,-1,1,1"), PEIL_EINVAL);
  assert_int_equal(peil_sim_params_set(&q, "job_eta", "x"), PEIL_EINVAL);
  assert_ok(peil_sim_params_set(&q, "job_city", "0.1, 0.2,0.3,0.4"));
  assert_true(q.job_city[3] == 0.4);
  /* The listing reads back to the same parameters. */
  p.job_eta = 1.0 / 3.0;
  char *text = peil_sim_params_text(&p);
  assert_non_null(text);
  peil_sim_params_default(&q);
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    char *eq = strstr(line, " = "), *hash = strstr(line, "  #");
    assert_non_null(eq);
    *eq = '\0';
    if (hash) *hash = '\0';
    assert_ok(peil_sim_params_set(&q, line, eq + 3));
  }
  free(text);
  assert_true(memcmp(&p, &q, sizeof p) == 0);
}

static int cmp_ulong(const void *a, const void *b) {
  unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
  return x < y ? -1 : x > y;
}

/* Within a run every person's stream seed is different. */
static void test_stream_seeds_distinct(void **state) {
  (void)state;
  const size_t n = 1u << 20;
  unsigned long *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = sim_stream_seed(12345, i);
  for (size_t i = 0; i < n; i++) assert_true(v[i] != 0 && v[i] <= 0xffffffffUL);
  /* Sort and look for neighbours that are equal. */
  size_t dup = 0;
  qsort(v, n, sizeof *v, cmp_ulong);
  for (size_t i = 1; i < n; i++) dup += v[i] == v[i - 1];
  assert_int_equal(dup, 0);
  free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_params),
      cmocka_unit_test(test_stream_seeds_distinct),
      cmocka_unit_test(test_labels_and_schema),
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_spells_well_formed),
      cmocka_unit_test(test_truth_consistent),
      cmocka_unit_test(test_no_effect_means_zero_att),
      cmocka_unit_test(test_hidden_bias),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
