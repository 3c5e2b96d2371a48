/* Secondary suppression (src/disclosure/groups.c, secondary.c, linked.c):
 * hand-worked tables with totals in rows, in columns and in both, a 3-way
 * layered table, the 2-D pattern the classic rule leaves open (a bridge),
 * and random tables checked by brute force (brute.h): no group with
 * exactly one suppressed cell, and no suppressed cell that the groups'
 * equations determine together. */
#include "unit/disclosure/brute.h"

static unsigned flags_of(const peil_rtable *t, const char *region, const char *status) {
  return peil_rtable_flags(t, fixture_find(t, region, status), 2);
}

static void check_brute(const peil_rtable *t, const char *const *dims, size_t ndims) {
  brute_groups b;
  brute_build(t, dims, ndims, NULL, NULL, NULL, 0, &b);
  int k = brute_single_group_violation(t, &b);
  if (k >= 0) fail_msg("group %d has exactly one suppressed cell", k);
  long c = brute_determined(t, &b);
  if (c >= 0) fail_msg("cell %ld can be computed from the published cells", c);
  brute_free(&b);
}

/* 1-D: a total row. B (7) is small; the smallest non-zero part, A (25),
 * protects it; D (0) is not taken, as 7 + 0 would tell B's value. */
static void test_total_row(void **state) {
  (void)state;
  peil_rtable *t;
  assert_ok(peil_rtable_new("one_d", "1-D", &t));
  assert_ok(peil_rtable_add_key(t, "region", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_count(t, "n"));
  const char *reg[] = {"A", "B", "C", "D", "Total"};
  const int64_t n[] = {25, 7, 30, 0, 62};
  for (int i = 0; i < 5; i++) {
    peil_rtable_value v[] = {PEIL_RV_TEXT(reg[i]), PEIL_RV_INT(n[i])};
    assert_ok(peil_rtable_append(t, v, 2));
  }
  peil_disclosure_dimension dim = {"region", "Total"};
  peil_disclosure_structure s = {.dimensions = &dim, .ndimensions = 1};
  peil_disclosure_audit *a;
  assert_ok(peil_disclosure_audit_new(&a));
  assert_ok(peil_disclosure_apply(t, &s, NULL, a));
  const unsigned want[] = {PEIL_CELL_SECONDARY, PEIL_CELL_PRIMARY, 0, 0, 0};
  for (size_t r = 0; r < 5; r++) assert_int_equal(peil_rtable_flags(t, r, 1), want[r]);
  assert_int_equal(peil_disclosure_audit_size(a), 3);
  const peil_disclosure_action *x = peil_disclosure_audit_get(a, 2);
  assert_string_equal(x->table, "one_d");
  assert_string_equal(x->row, "A");
  assert_string_equal(x->column, "n");
  assert_string_equal(x->rule, "secondary: protects row B / column n");
  assert_int_equal(peil_rtable_get_control(t)->n_secondary, 1);
  peil_disclosure_audit_free(a);
  peil_rtable_free(t);
}

/* Only zero parts left: a zero is taken when nothing else is. */
static void test_zero_partner_last(void **state) {
  (void)state;
  peil_rtable *t;
  assert_ok(peil_rtable_new("zeros", "zeros", &t));
  assert_ok(peil_rtable_add_key(t, "region", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_count(t, "n"));
  const char *reg[] = {"A", "B", "C", "Total"};
  const int64_t n[] = {0, 4, 0, 4};
  for (int i = 0; i < 4; i++) {
    peil_rtable_value v[] = {PEIL_RV_TEXT(reg[i]), PEIL_RV_INT(n[i])};
    assert_ok(peil_rtable_append(t, v, 2));
  }
  peil_disclosure_dimension dim = {"region", "Total"};
  peil_disclosure_structure s = {.dimensions = &dim, .ndimensions = 1};
  assert_ok(peil_disclosure_apply(t, &s, NULL, NULL));
  /* B and the total (4) are primary: two in the group, nothing more */
  const unsigned want[] = {0, PEIL_CELL_PRIMARY, 0, PEIL_CELL_PRIMARY};
  for (size_t r = 0; r < 4; r++) assert_int_equal(peil_rtable_flags(t, r, 1), want[r]);
  peil_rtable_free(t);

  assert_ok(peil_rtable_new("zeros2", "zeros", &t));
  assert_ok(peil_rtable_add_key(t, "region", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_count(t, "n"));
  const int64_t m[] = {0, 4, 20, 24};
  for (int i = 0; i < 4; i++) {
    peil_rtable_value v[] = {PEIL_RV_TEXT(reg[i]), PEIL_RV_INT(m[i])};
    assert_ok(peil_rtable_append(t, v, 2));
  }
  assert_ok(peil_disclosure_apply(t, &s, NULL, NULL));
  assert_int_equal(peil_rtable_flags(t, 2, 1), PEIL_CELL_SECONDARY); /* C (20), not A (0) */
  assert_int_equal(peil_rtable_flags(t, 0, 1), 0);
  peil_rtable_free(t);
}

/* Totals in columns (a wide table): work + school + none = total. */
static void test_total_column(void **state) {
  (void)state;
  peil_rtable *t;
  assert_ok(peil_rtable_new("wide", "Wide", &t));
  assert_ok(peil_rtable_add_key(t, "region", PEIL_RTABLE_TEXT));
  const char *cols[] = {"work", "school", "none", "total"};
  for (int j = 0; j < 4; j++) assert_ok(peil_rtable_add_count(t, cols[j]));
  assert_ok(peil_rtable_add_share(t, "pct_work", "work", "total", 100, 1));
  const int64_t v[2][4] = {{40, 3, 57, 100}, {12, 15, 20, 47}};
  const char *reg[] = {"Rotterdam", "Utrecht"};
  for (int i = 0; i < 2; i++) {
    peil_rtable_value r[] = {PEIL_RV_TEXT(reg[i]), PEIL_RV_INT(v[i][0]), PEIL_RV_INT(v[i][1]),
                             PEIL_RV_INT(v[i][2]), PEIL_RV_INT(v[i][3]), PEIL_RV_NA};
    assert_ok(peil_rtable_append(t, r, 6));
  }
  peil_disclosure_column_sum cs = {"total", "work,school,none"};
  peil_disclosure_structure s = {.column_sums = &cs, .ncolumn_sums = 1};
  peil_disclosure_audit *a;
  assert_ok(peil_disclosure_audit_new(&a));
  assert_ok(peil_disclosure_apply(t, &s, NULL, a));
  assert_int_equal(peil_rtable_flags(t, 0, 2), PEIL_CELL_PRIMARY);
  assert_int_equal(peil_rtable_flags(t, 0, 1), PEIL_CELL_SECONDARY); /* work 40 < none 57 */
  assert_int_equal(peil_rtable_flags(t, 0, 3), 0);
  assert_int_equal(peil_rtable_flags(t, 0, 4), 0);
  assert_int_equal(peil_rtable_flags(t, 0, 5), PEIL_CELL_SHARE); /* its count is suppressed */
  for (size_t j = 1; j < 6; j++) assert_int_equal(peil_rtable_flags(t, 1, j), 0);
  /* the rule of the secondary cell names the cell it protects */
  int found = 0;
  for (size_t k = 0; k < peil_disclosure_audit_size(a); k++) {
    const peil_disclosure_action *x = peil_disclosure_audit_get(a, k);
    if (!strcmp(x->column, "work") && !strcmp(x->row, "Rotterdam")) {
      assert_string_equal(x->rule, "secondary: protects row Rotterdam / column school");
      found++;
    }
    if (!strcmp(x->column, "pct_work")) assert_string_equal(x->rule, "share: with count work");
  }
  assert_int_equal(found, 1);
  const int tot = 4, parts[] = {1, 2, 3};
  const int *pp[] = {parts};
  const size_t np[] = {3};
  brute_groups b;
  brute_build(t, NULL, 0, &tot, pp, np, 1, &b);
  assert_int_equal(brute_single_group_violation(t, &b), -1);
  assert_int_equal(brute_determined(t, &b), -1);
  brute_free(&b);
  peil_disclosure_audit_free(a);
  peil_rtable_free(t);
}

/* Both margins, worked by hand (docs/disclosure.md has the same table):
 *            work school none | Total
 *   A          20     4*   30 |   54
 *   B          15    12    25 |   52
 *   C          18    11     3*|   32
 *   Total      53    27    58 |  138
 * Groups along region come first (one per status, in sorted order: Total,
 * none, school, work), then along status (per region). The work list:
 * none (C* alone) gives up B.none (25 < 30); school (A* alone) C.school
 * (11 < 12); row A (A.school alone) A.work (20 < 30); row B now has
 * B.none alone and gives up B.school (12 < 15); column work has A.work
 * alone and gives up B.work (15 < 18). */
static void test_both_margins(void **state) {
  (void)state;
  const char *rows[] = {"A", "B", "C"}, *cols[] = {"work", "school", "none"};
  const int64_t v[] = {20, 4, 30, 15, 12, 25, 18, 11, 3};
  peil_rtable *t = fixture_long_2d(rows, 3, cols, 3, v);
  peil_disclosure_dimension dims[] = {{"region", "Total"}, {"status", "Total"}};
  peil_disclosure_structure s = {.dimensions = dims, .ndimensions = 2};
  assert_ok(peil_disclosure_apply(t, &s, NULL, NULL));
  const unsigned P = PEIL_CELL_PRIMARY, S = PEIL_CELL_SECONDARY;
  const unsigned want[3][3] = {{S, P, 0}, {S, S, S}, {0, S, P}};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) assert_int_equal(flags_of(t, rows[i], cols[j]), want[i][j]);
  for (int i = 0; i < 3; i++) assert_int_equal(flags_of(t, rows[i], "Total"), 0);
  for (int j = 0; j < 3; j++) assert_int_equal(flags_of(t, "Total", cols[j]), 0);
  const char *dn[] = {"region", "status"};
  check_brute(t, dn, 2);
  peil_rtable_free(t);
}

/* A small total: the margin itself is primary and its groups are
 * protected like any other. */
static void test_small_margin(void **state) {
  (void)state;
  const char *rows[] = {"A", "B", "C"}, *cols[] = {"work", "none"};
  const int64_t v[] = {3, 4, 30, 25, 18, 11};
  peil_rtable *t = fixture_long_2d(rows, 3, cols, 2, v);
  peil_disclosure_dimension dims[] = {{"status", "Total"}, {"region", "Total"}};
  peil_disclosure_structure s = {.dimensions = dims, .ndimensions = 2};
  assert_ok(peil_disclosure_apply(t, &s, NULL, NULL));
  assert_int_equal(flags_of(t, "A", "Total") & PEIL_CELL_PRIMARY, PEIL_CELL_PRIMARY);
  const char *dn[] = {"region", "status"};
  check_brute(t, dn, 2);
  peil_rtable_free(t);
}

/* The pattern the classic rule leaves open: two blocks of four small
 * cells linked by one more (A,w3). Every row and column has two or more
 * suppressed cells, yet rows A, B and columns w1, w2 give
 * x(A,w3) = (row A + row B) - (column w1 + column w2) of published sums.
 * The check across groups finds it and suppresses one more cell. */
static void test_bridge(void **state) {
  (void)state;
  const char *rows[] = {"A", "B", "C", "D"}, *cols[] = {"w1", "w2", "w3", "w4"};
  const int64_t v[] = {3, 4, 5, 50, 6, 7, 40, 45, 60, 55, 2, 3, 65, 70, 4, 5};
  peil_rtable *t = fixture_long_2d(rows, 4, cols, 4, v);
  /* first the primary pattern alone, to show the brute force finds it */
  const char *dn[] = {"region", "status"};
  {
    peil_rtable *p = fixture_long_2d(rows, 4, cols, 4, v);
    peil_disclosure_structure none = {0};
    assert_ok(peil_disclosure_apply(p, &none, NULL, NULL));
    brute_groups b;
    brute_build(p, dn, 2, NULL, NULL, NULL, 0, &b);
    assert_int_equal(brute_single_group_violation(p, &b), -1); /* the classic rule is content */
    long c = brute_determined(p, &b);
    assert_int_equal(c, (long)(fixture_find(p, "A", "w3") * 3 + 2)); /* but A,w3 follows */
    brute_free(&b);
    peil_rtable_free(p);
  }
  peil_disclosure_dimension dims[] = {{"region", "Total"}, {"status", "Total"}};
  peil_disclosure_structure s = {.dimensions = dims, .ndimensions = 2};
  peil_disclosure_audit *a;
  assert_ok(peil_disclosure_audit_new(&a));
  assert_ok(peil_disclosure_apply(t, &s, NULL, a));
  /* one more cell, in column w3 (the first group of A,w3): B,w3 */
  assert_int_equal(flags_of(t, "B", "w3"), PEIL_CELL_SECONDARY);
  assert_int_equal(peil_rtable_get_control(t)->n_secondary, 1);
  int found = 0;
  for (size_t k = 0; k < peil_disclosure_audit_size(a); k++) {
    const peil_disclosure_action *x = peil_disclosure_audit_get(a, k);
    if (!strncmp(x->rule, "secondary", 9)) {
      assert_string_equal(x->row, "B, w3");
      assert_string_equal(x->rule, "secondary: protects row A, w3 / column n (across groups)");
      found++;
    }
  }
  assert_int_equal(found, 1);
  check_brute(t, dn, 2);
  peil_disclosure_audit_free(a);
  peil_rtable_free(t);
}

/* A 3-way table in layers: year x region x status, with both margins in
 * each year; the years do not protect each other. */
static void test_layers(void **state) {
  (void)state;
  peil_rtable *t;
  assert_ok(peil_rtable_new("layered", "Layers", &t));
  assert_ok(peil_rtable_add_key(t, "year", PEIL_RTABLE_INTEGER));
  assert_ok(peil_rtable_add_key(t, "region", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_key(t, "status", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_count(t, "n"));
  const char *rows[] = {"A", "B", "Total"}, *cols[] = {"work", "none", "Total"};
  const int64_t v[2][2][2] = {{{20, 4}, {15, 25}}, {{20, 40}, {15, 25}}};
  /* 2019 has a small cell; 2020 none. Rows in a shuffled order: the
   * groups must not depend on it. */
  for (int k = 0; k < 9; k++)
    for (int y = 1; y >= 0; y--) {
      int i = (k * 4) % 9 / 3, j = (k * 4) % 3;
      int64_t x = 0;
      for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++)
          if ((i == 2 || i == a) && (j == 2 || j == b)) x += v[y][a][b];
      peil_rtable_value r[] = {PEIL_RV_INT(2019 + y), PEIL_RV_TEXT(rows[i]), PEIL_RV_TEXT(cols[j]), PEIL_RV_INT(x)};
      assert_ok(peil_rtable_append(t, r, 4));
    }
  peil_disclosure_dimension dims[] = {{"region", "Total"}, {"status", "Total"}};
  peil_disclosure_structure s = {.dimensions = dims, .ndimensions = 2};
  assert_ok(peil_disclosure_apply(t, &s, NULL, NULL));
  size_t n2019 = 0, n2020 = 0;
  for (size_t r = 0; r < peil_rtable_nrows(t); r++) {
    int sup = (peil_rtable_flags(t, r, 3) & PEIL_CELL_SUPPRESSED) != 0;
    if (peil_rtable_int(t, r, 0) == 2019) n2019 += sup;
    else n2020 += sup;
    /* in 2019 the interior 2 x 2 is all suppressed: A.none small, its row
     * and column partners, and B.work to close the last column and row */
    if (peil_rtable_int(t, r, 0) == 2019 && strcmp(peil_rtable_text(t, r, 1), "Total") &&
        strcmp(peil_rtable_text(t, r, 2), "Total"))
      assert_true(sup);
  }
  assert_int_equal(n2019, 4);
  assert_int_equal(n2020, 0);
  const char *dn[] = {"region", "status"};
  check_brute(t, dn, 2);
  peil_rtable_free(t);
}

/* Random tables (a fixed generator): 2-D with both margins and 3-D with
 * all margins, many small cells; checked by brute force. */
static uint64_t rng_state = 12345;
static unsigned rnd(unsigned n) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (unsigned)((rng_state >> 33) % n);
}

static void test_random_2d(void **state) {
  (void)state;
  const char *rows[] = {"r1", "r2", "r3", "r4", "r5"}, *cols[] = {"c1", "c2", "c3", "c4"};
  const char *dn[] = {"region", "status"};
  for (int it = 0; it < 300; it++) {
    size_t nr = 2 + rnd(4), nc = 2 + rnd(3);
    int64_t v[20];
    for (size_t k = 0; k < nr * nc; k++) v[k] = rnd(3) ? (int64_t)rnd(9) : 10 + (int64_t)rnd(60);
    peil_rtable *t = fixture_long_2d(rows, nr, cols, nc, v);
    peil_disclosure_dimension dims[] = {{"region", "Total"}, {"status", "Total"}};
    if (it % 2) { /* the order of the dimensions must not matter for safety */
      peil_disclosure_dimension d0 = dims[0];
      dims[0] = dims[1], dims[1] = d0;
    }
    peil_disclosure_structure s = {.dimensions = dims, .ndimensions = 2};
    assert_ok(peil_disclosure_apply(t, &s, NULL, NULL));
    check_brute(t, dn, 2);
    peil_rtable_free(t);
  }
}

static void test_random_3d(void **state) {
  (void)state;
  const char *lev[3][4] = {{"a1", "a2", "a3", "Total"}, {"b1", "b2", "b3", "Total"}, {"c1", "c2", "Total", ""}};
  const char *dn[] = {"da", "db", "dc"};
  for (int it = 0; it < 60; it++) {
    size_t na = 2 + rnd(2), nb = 2 + rnd(2), nc = 2;
    int64_t v[3][3][2];
    for (size_t a = 0; a < na; a++)
      for (size_t b = 0; b < nb; b++)
        for (size_t c = 0; c < nc; c++) v[a][b][c] = rnd(3) ? (int64_t)rnd(9) : 10 + (int64_t)rnd(60);
    peil_rtable *t;
    assert_ok(peil_rtable_new("three_d", "3-D", &t));
    for (int d = 0; d < 3; d++) assert_ok(peil_rtable_add_key(t, dn[d], PEIL_RTABLE_TEXT));
    assert_ok(peil_rtable_add_count(t, "n"));
    for (size_t a = 0; a <= na; a++)
      for (size_t b = 0; b <= nb; b++)
        for (size_t c = 0; c <= nc; c++) {
          int64_t x = 0;
          for (size_t i = 0; i < na; i++)
            for (size_t j = 0; j < nb; j++)
              for (size_t k = 0; k < nc; k++)
                if ((a == na || a == i) && (b == nb || b == j) && (c == nc || c == k)) x += v[i][j][k];
          peil_rtable_value r[] = {PEIL_RV_TEXT(lev[0][a == na ? 3 : a]), PEIL_RV_TEXT(lev[1][b == nb ? 3 : b]),
                                   PEIL_RV_TEXT(lev[2][c == nc ? 2 : c]), PEIL_RV_INT(x)};
          assert_ok(peil_rtable_append(t, r, 4));
        }
    peil_disclosure_dimension dims[] = {{"da", "Total"}, {"db", "Total"}, {"dc", "Total"}};
    peil_disclosure_structure s = {.dimensions = dims, .ndimensions = 3};
    assert_ok(peil_disclosure_apply(t, &s, NULL, NULL));
    check_brute(t, dn, 3);
    peil_rtable_free(t);
  }
}

/* A wide table with total rows: a 2-D table whose column margin is a
 * column and whose row margin is a row. */
static void test_wide_with_total_row(void **state) {
  (void)state;
  peil_rtable *t;
  assert_ok(peil_rtable_new("wide2", "Wide with totals", &t));
  assert_ok(peil_rtable_add_key(t, "region", PEIL_RTABLE_TEXT));
  const char *cols[] = {"work", "school", "none", "total"};
  for (int j = 0; j < 4; j++) assert_ok(peil_rtable_add_count(t, cols[j]));
  const int64_t v[4][3] = {{40, 3, 57}, {12, 15, 20}, {30, 22, 6}, {0, 0, 0}};
  const char *reg[] = {"A", "B", "C", "Total"};
  int64_t colsum[3] = {0, 0, 0};
  for (int i = 0; i < 4; i++) {
    int64_t x[3];
    for (int j = 0; j < 3; j++) x[j] = i < 3 ? v[i][j] : colsum[j], colsum[j] += i < 3 ? v[i][j] : 0;
    peil_rtable_value r[] = {PEIL_RV_TEXT(reg[i]), PEIL_RV_INT(x[0]), PEIL_RV_INT(x[1]), PEIL_RV_INT(x[2]),
                             PEIL_RV_INT(x[0] + x[1] + x[2])};
    assert_ok(peil_rtable_append(t, r, 5));
  }
  peil_disclosure_dimension dim = {"region", "Total"};
  peil_disclosure_column_sum cs = {"total", "work, school, none"};
  peil_disclosure_structure s = {&dim, 1, &cs, 1};
  assert_ok(peil_disclosure_apply(t, &s, NULL, NULL));
  const char *dn[] = {"region"};
  const int tot = 4, parts[] = {1, 2, 3};
  const int *pp[] = {parts};
  const size_t np[] = {3};
  brute_groups b;
  brute_build(t, dn, 1, &tot, pp, np, 1, &b);
  assert_int_equal(brute_single_group_violation(t, &b), -1);
  assert_int_equal(brute_determined(t, &b), -1);
  brute_free(&b);
  assert_true(peil_rtable_get_control(t)->n_primary == 2);
  assert_true(peil_rtable_get_control(t)->n_secondary >= 2);
  peil_rtable_free(t);
}

static void expect_error(int rc, int want, const char *text) {
  assert_int_equal(rc, want);
  if (!strstr(peil_errmsg(), text)) fail_msg("message '%s' lacks '%s'", peil_errmsg(), text);
}

/* A number suppressed elsewhere (peil_disclosure_force): the 1-D table
 * above with A (25) marked, as if another table had hidden it. It is
 * suppressed as linked, not primary; the smallest other part protects it
 * (B, 7, is primary anyway; with A and B both out no group has one
 * suppressed cell); a share resting on it goes too; a copy taken before
 * control is an uncontrolled twin; control off ignores the mark. */
static void test_forced(void **state) {
  (void)state;
  peil_rtable *t;
  assert_ok(peil_rtable_new("forced", "Forced", &t));
  assert_ok(peil_rtable_add_key(t, "region", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_count(t, "n"));
  assert_ok(peil_rtable_add_n(t, "n_total", 1));
  assert_ok(peil_rtable_add_share(t, "pct", "n", "n_total", 100, 1));
  const char *reg[] = {"A", "B", "C", "D", "Total"};
  const int64_t n[] = {25, 40, 30, 0, 95};
  for (int i = 0; i < 5; i++) {
    peil_rtable_value v[] = {PEIL_RV_TEXT(reg[i]), PEIL_RV_INT(n[i]), PEIL_RV_INT(95), PEIL_RV_NA};
    assert_ok(peil_rtable_append(t, v, 4));
  }
  peil_rtable *copy, *off;
  assert_ok(peil_rtable_copy(t, &copy));
  assert_ok(peil_rtable_copy(t, &off));
  expect_error(peil_disclosure_force(t, 0, 3), PEIL_EINVAL, "only a count or n cell");
  assert_ok(peil_disclosure_force(t, 0, 1));
  peil_disclosure_dimension dim = {"region", "Total"};
  peil_disclosure_structure s = {.dimensions = &dim, .ndimensions = 1};
  peil_disclosure_audit *a;
  assert_ok(peil_disclosure_audit_new(&a));
  assert_ok(peil_disclosure_apply(t, &s, NULL, a));
  assert_int_equal(peil_rtable_flags(t, 0, 1), PEIL_CELL_LINKED);
  assert_int_equal(peil_rtable_flags(t, 2, 1), PEIL_CELL_SECONDARY); /* C (30): the smallest non-zero part */
  assert_int_equal(peil_rtable_flags(t, 1, 1), 0);
  assert_int_equal(peil_rtable_flags(t, 0, 3), PEIL_CELL_SHARE);
  const char *dn[] = {"region"};
  check_brute(t, dn, 1);
  assert_string_equal(peil_disclosure_audit_get(a, 1)->rule, "linked: suppressed where the same number appears");
  assert_int_equal(peil_rtable_get_control(t)->n_linked, 1);
  expect_error(peil_disclosure_force(t, 1, 1), PEIL_EINVAL, "already applied");
  /* the copy: the same table, uncontrolled, without the mark */
  char *a_csv, *b_csv;
  assert_ok(peil_disclosure_apply(copy, &s, NULL, NULL));
  a_csv = fixture_capture(peil_rtable_write_csv, copy);
  assert_string_equal(a_csv, "region,n,n_total,pct,suppressed\nA,25,95,26.31578947368421,\n"
                             "B,40,95,42.10526315789474,\nC,30,95,31.57894736842105,\nD,0,95,0.0,\n"
                             "Total,95,95,100.0,\n");
  /* control off: the mark is dropped, nothing is suppressed */
  assert_ok(peil_disclosure_force(off, 0, 1));
  peil_disclosure_rules r;
  peil_disclosure_rules_init(&r);
  r.enabled = 0;
  assert_ok(peil_disclosure_apply(off, &s, &r, NULL));
  b_csv = fixture_capture(peil_rtable_write_csv, off);
  assert_non_null(strstr(b_csv, "A,25,95,"));
  free(a_csv), free(b_csv);
  peil_disclosure_audit_free(a);
  peil_rtable_free(t), peil_rtable_free(copy), peil_rtable_free(off);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_total_row), cmocka_unit_test(test_forced),    cmocka_unit_test(test_zero_partner_last),
      cmocka_unit_test(test_total_column), cmocka_unit_test(test_both_margins),
      cmocka_unit_test(test_small_margin), cmocka_unit_test(test_bridge),
      cmocka_unit_test(test_layers),       cmocka_unit_test(test_random_2d),
      cmocka_unit_test(test_random_3d),    cmocka_unit_test(test_wide_with_total_row),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
