/* The cell rules (src/disclosure/apply.c): primary suppression, zero
 * cells, min_cell, estimates resting on small n, shares from unrounded
 * counts, rounding (CBS's examples), the "off" switch, and the audit. */
#include <jansson.h>

#include "unit/table/rtable_fixture.h"

static peil_rtable *counts_table(const char *name, const int64_t *n, size_t k) {
  peil_rtable *t;
  assert_ok(peil_rtable_new(name, "Counts", &t));
  assert_ok(peil_rtable_add_key(t, "group", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_count(t, "n"));
  static const char *names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
  for (size_t i = 0; i < k; i++) {
    peil_rtable_value v[] = {PEIL_RV_TEXT(names[i]), PEIL_RV_INT(n[i])};
    assert_ok(peil_rtable_append(t, v, 2));
  }
  return t;
}

static void test_primary(void **state) {
  (void)state;
  const int64_t n[] = {0, 1, 9, 10, 11, 5000};
  peil_rtable *t = counts_table("primary", n, 6);
  peil_disclosure_audit *a;
  assert_ok(peil_disclosure_audit_new(&a));
  assert_ok(peil_disclosure_apply(t, NULL, NULL, a));
  const unsigned want[] = {0, PEIL_CELL_PRIMARY, PEIL_CELL_PRIMARY, 0, 0, 0};
  for (size_t r = 0; r < 6; r++) assert_int_equal(peil_rtable_flags(t, r, 1), want[r]);
  /* the value stays in memory for checks; no writer prints it */
  assert_int_equal(peil_rtable_int(t, 2, 1), 9);
  char *csv = fixture_capture(peil_rtable_write_csv, t);
  assert_string_equal(csv, "group,n,suppressed\na,0,\nb,,n\nc,,n\nd,10,\ne,11,\nf,5000,\n");
  free(csv);
  /* audit: the rules, then one entry per suppressed cell, no value */
  assert_int_equal(peil_disclosure_audit_size(a), 3);
  const peil_disclosure_action *x = peil_disclosure_audit_get(a, 0);
  assert_string_equal(x->rule, "rules: min_cell 10, rounding none, zero cells safe");
  assert_string_equal(x->row, "");
  assert_string_equal(x->column, "");
  x = peil_disclosure_audit_get(a, 1);
  assert_string_equal(x->table, "primary");
  assert_string_equal(x->row, "b");
  assert_string_equal(x->column, "n");
  assert_string_equal(x->rule, "primary: fewer than 10");
  assert_string_equal(peil_disclosure_audit_get(a, 2)->rule, "primary: fewer than 10");
  assert_null(peil_disclosure_audit_get(a, 3));
  assert_string_equal(peil_rtable_note(t, 0), "x: suppressed (fewer than 10 persons, or to protect such a cell)");
  const peil_rtable_control *k = peil_rtable_get_control(t);
  assert_int_equal(k->state, PEIL_RTABLE_CONTROLLED);
  assert_int_equal(k->n_primary, 2);
  assert_int_equal(k->min_cell, 10);
  peil_disclosure_audit_free(a);
  peil_rtable_free(t);
}

/* zero_cells = small: a 0 is suppressed like a 7, with the same words. */
static void test_zero_cells(void **state) {
  (void)state;
  const int64_t n[] = {0, 7, 12};
  peil_rtable *t = counts_table("zeros", n, 3);
  peil_disclosure_rules r;
  peil_disclosure_rules_init(&r);
  assert_ok(peil_disclosure_rules_set(&r, "zero_cells", "small"));
  peil_disclosure_audit *a;
  assert_ok(peil_disclosure_audit_new(&a));
  assert_ok(peil_disclosure_apply(t, NULL, &r, a));
  assert_int_equal(peil_rtable_flags(t, 0, 1), PEIL_CELL_PRIMARY);
  assert_int_equal(peil_rtable_flags(t, 1, 1), PEIL_CELL_PRIMARY);
  assert_int_equal(peil_rtable_flags(t, 2, 1), 0);
  assert_string_equal(peil_disclosure_audit_get(a, 0)->rule, "rules: min_cell 10, rounding none, zero cells small");
  assert_string_equal(peil_disclosure_audit_get(a, 1)->rule, peil_disclosure_audit_get(a, 2)->rule);
  assert_true(peil_rtable_get_control(t)->zero_cells_small);
  peil_disclosure_audit_free(a);
  peil_rtable_free(t);

  /* min_cell 5: 5 is published, 4 is not */
  const int64_t m[] = {4, 5};
  t = counts_table("min5", m, 2);
  peil_disclosure_rules_init(&r);
  assert_ok(peil_disclosure_rules_set(&r, "min_cell", "5"));
  assert_ok(peil_disclosure_apply(t, NULL, &r, NULL));
  assert_int_equal(peil_rtable_flags(t, 0, 1), PEIL_CELL_PRIMARY);
  assert_int_equal(peil_rtable_flags(t, 1, 1), 0);
  assert_string_equal(peil_rtable_note(t, 0), "x: suppressed (fewer than 5 persons, or to protect such a cell)");
  peil_rtable_free(t);
}

/* CBS rounding: 14 -> 10 and 15 -> 20 at base 10; 12 -> 10 and 13 -> 15
 * at base 5; totals on their own; shares from the unrounded counts. */
static void test_rounding(void **state) {
  (void)state;
  peil_rtable *t;
  assert_ok(peil_rtable_new("rounded", "Rounded", &t));
  assert_ok(peil_rtable_add_key(t, "group", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_count(t, "n"));
  assert_ok(peil_rtable_add_count(t, "work"));
  assert_ok(peil_rtable_add_share(t, "pct_work", "work", "n", 100, 1));
  assert_ok(peil_rtable_add_n(t, "n_fit", 0));
  assert_ok(peil_rtable_add_n(t, "n_fit_rounded", 1));
  const char *g[] = {"a", "b", "c", "Total"};
  const int64_t n[] = {14, 15, 14, 43}, w[] = {12, 13, 0, 25};
  for (int i = 0; i < 4; i++) {
    peil_rtable_value v[] = {PEIL_RV_TEXT(g[i]), PEIL_RV_INT(n[i]), PEIL_RV_INT(w[i]), PEIL_RV_NA,
                             PEIL_RV_INT(15), PEIL_RV_INT(15)};
    assert_ok(peil_rtable_append(t, v, 6));
  }
  peil_disclosure_dimension dim = {"group", "Total"};
  peil_disclosure_structure s = {.dimensions = &dim, .ndimensions = 1};
  peil_disclosure_rules r;
  peil_disclosure_rules_init(&r);
  assert_ok(peil_disclosure_rules_set(&r, "rounding", "10"));
  peil_disclosure_audit *a;
  assert_ok(peil_disclosure_audit_new(&a));
  assert_ok(peil_disclosure_apply(t, &s, &r, a));
  const int64_t n10[] = {10, 20, 10, 40}, w10[] = {10, 10, 0, 30};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(peil_rtable_int(t, i, 1), n10[i]);
    assert_int_equal(peil_rtable_int(t, i, 2), w10[i]);
    assert_int_equal(peil_rtable_flags(t, i, 1), PEIL_CELL_ROUNDED);
    /* the share from 12/14, not 10/10 */
    assert_true(peil_rtable_real(t, i, 3) == 100.0 * (double)w[i] / (double)n[i]);
    assert_int_equal(peil_rtable_int(t, i, 4), 15); /* n not declared rounded */
    assert_int_equal(peil_rtable_int(t, i, 5), 20);
  }
  /* the rounded parts (10 + 20 + 10 = 40) happen to add up; work's
   * (10 + 10 + 0 = 20 against 30) do not, and the note says so */
  assert_string_equal(peil_rtable_note(t, 0),
                      "Counts are rounded to multiples of 10 (half up); totals are rounded on their own, so "
                      "rounded parts need not add up to the rounded totals; shares are computed from the "
                      "unrounded counts.");
  assert_int_equal(peil_rtable_nnotes(t), 1);
  size_t nround = 0;
  for (size_t k = 0; k < peil_disclosure_audit_size(a); k++) {
    const peil_disclosure_action *x = peil_disclosure_audit_get(a, k);
    if (!strcmp(x->rule, "rounded to 10")) {
      nround++;
      assert_string_equal(x->row, "");
    }
  }
  assert_int_equal(nround, 3); /* n, work, n_fit_rounded */
  assert_int_equal(peil_rtable_get_control(t)->rounding, 10);
  /* CSV and JSON give the shares as published (one decimal), not every
   * digit of 12/14, from which 12 and 14 could be read back */
  char *csv = fixture_capture(peil_rtable_write_csv, t);
  assert_non_null(strstr(csv, "a,10,10,85.7,15,20,\n"));
  free(csv);
  char *json = fixture_capture(peil_rtable_write_json, t);
  json_t *doc = json_loads(json, 0, NULL);
  assert_non_null(doc);
  json_t *row0 = json_array_get(json_object_get(doc, "rows"), 0);
  assert_true(json_real_value(json_object_get(row0, "pct_work")) == 85.7);
  json_decref(doc);
  free(json);
  peil_disclosure_audit_free(a);
  peil_rtable_free(t);

  /* base 5 */
  const int64_t m[] = {12, 13, 10, 17, 18};
  t = counts_table("base5", m, 5);
  peil_disclosure_rules_init(&r);
  assert_ok(peil_disclosure_rules_set(&r, "rounding", "5"));
  assert_ok(peil_disclosure_apply(t, NULL, &r, NULL));
  const int64_t m5[] = {10, 15, 10, 15, 20};
  for (size_t i = 0; i < 5; i++) assert_int_equal(peil_rtable_int(t, i, 1), m5[i]);
  assert_string_equal(peil_rtable_note(t, 0), "Counts are rounded to multiples of 5 (half up).");
  peil_rtable_free(t);

  /* suppressed cells are not rounded (nor shown) */
  const int64_t q[] = {7, 26};
  t = counts_table("supp_round", q, 2);
  peil_disclosure_rules_init(&r);
  r.rounding = 10;
  assert_ok(peil_disclosure_apply(t, NULL, &r, NULL));
  assert_int_equal(peil_rtable_flags(t, 0, 1), PEIL_CELL_PRIMARY);
  assert_int_equal(peil_rtable_int(t, 1, 1), 30);
  peil_rtable_free(t);
}

/* Estimates rest on n columns: a row with an n below min_cell (or
 * missing) loses every estimate; other columns stay. */
static void test_estimates(void **state) {
  (void)state;
  peil_rtable *t;
  assert_ok(peil_rtable_new("att", "Effects", &t));
  assert_ok(peil_rtable_add_key(t, "stratum", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_n(t, "n_treated", 0));
  assert_ok(peil_rtable_add_n(t, "n_control", 0));
  assert_ok(peil_rtable_add_estimate(t, "mean_treated", "n_treated", 3));
  assert_ok(peil_rtable_add_estimate(t, "att", "n_treated,n_control", 3));
  assert_ok(peil_rtable_add_estimate(t, "p_value", "n_treated,n_control", 4));
  assert_ok(peil_rtable_add_other(t, "df", PEIL_RTABLE_INTEGER, 0));
  struct {
    const char *s;
    int64_t nt, nc;
  } rows[] = {{"young", 120, 118}, {"old", 7, 40}, {"unknown", 30, PEIL_NA_INT64}, {"mid", 12, 10}};
  for (int i = 0; i < 4; i++) {
    peil_rtable_value v[] = {PEIL_RV_TEXT(rows[i].s), PEIL_RV_INT(rows[i].nt), PEIL_RV_INT(rows[i].nc),
                             PEIL_RV_REAL(0.41),      PEIL_RV_REAL(0.052),    PEIL_RV_REAL(0.013),
                             PEIL_RV_INT(236)};
    assert_ok(peil_rtable_append(t, v, 7));
  }
  peil_disclosure_audit *a;
  assert_ok(peil_disclosure_audit_new(&a));
  assert_ok(peil_disclosure_apply(t, NULL, NULL, a));
  for (size_t j = 3; j <= 5; j++) {
    assert_int_equal(peil_rtable_flags(t, 0, j), 0);
    assert_int_equal(peil_rtable_flags(t, 1, j), PEIL_CELL_ESTIMATE);
    assert_int_equal(peil_rtable_flags(t, 2, j), PEIL_CELL_ESTIMATE);
    assert_int_equal(peil_rtable_flags(t, 3, j), 0);
  }
  assert_int_equal(peil_rtable_flags(t, 1, 1), PEIL_CELL_PRIMARY); /* the n itself */
  assert_int_equal(peil_rtable_flags(t, 1, 6), 0);                 /* df: not controlled */
  size_t found = 0;
  for (size_t k = 0; k < peil_disclosure_audit_size(a); k++) {
    const peil_disclosure_action *x = peil_disclosure_audit_get(a, k);
    if (!strcmp(x->row, "old") && !strcmp(x->column, "att")) {
      assert_string_equal(x->rule, "estimate: n_treated fewer than 10");
      found++;
    }
    if (!strcmp(x->row, "unknown") && !strcmp(x->column, "p_value")) {
      assert_string_equal(x->rule, "estimate: n_control not available");
      found++;
    }
  }
  assert_int_equal(found, 2);
  assert_int_equal(peil_rtable_get_control(t)->n_estimate, 6);
  assert_string_equal(peil_rtable_note(t, 1),
                      "Estimates are suppressed (x) in rows where they rest on fewer than 10 persons "
                      "(n_treated, n_control).");
  char *md = fixture_capture(peil_rtable_write_markdown, t);
  assert_non_null(strstr(md, "| old     |         x |        40 |            x |     x |       x | 236 |"));
  free(md);
  peil_disclosure_audit_free(a);
  peil_rtable_free(t);
}

/* A share goes with its count and with its denominator. */
static void test_shares(void **state) {
  (void)state;
  peil_rtable *t;
  assert_ok(peil_rtable_new("shares", "Shares", &t));
  assert_ok(peil_rtable_add_key(t, "group", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_count(t, "n"));
  assert_ok(peil_rtable_add_count(t, "k"));
  assert_ok(peil_rtable_add_share(t, "share", "k", "n", 1, 3));
  const int64_t n[] = {50, 8, 50, 0}, k[] = {5, 0, 40, 0};
  const double given[] = {NAN, NAN, 0.75, NAN}; /* a value the caller set is kept */
  for (int i = 0; i < 4; i++) {
    peil_rtable_value v[] = {PEIL_RV_TEXT("g"), PEIL_RV_INT(n[i]), PEIL_RV_INT(k[i]), PEIL_RV_REAL(given[i])};
    assert_ok(peil_rtable_append(t, v, 4));
  }
  peil_disclosure_audit *a;
  assert_ok(peil_disclosure_audit_new(&a));
  assert_ok(peil_disclosure_apply(t, NULL, NULL, a));
  assert_int_equal(peil_rtable_flags(t, 0, 3), PEIL_CELL_SHARE);
  assert_true(peil_rtable_real(t, 0, 3) == 0.1);
  assert_int_equal(peil_rtable_flags(t, 1, 3), PEIL_CELL_SHARE);
  assert_int_equal(peil_rtable_flags(t, 2, 3), 0);
  assert_true(peil_rtable_real(t, 2, 3) == 0.75);
  assert_int_equal(peil_rtable_flags(t, 3, 3), PEIL_CELL_NA); /* 0 / 0 stays missing */
  int with_count = 0, with_denominator = 0;
  for (size_t q = 0; q < peil_disclosure_audit_size(a); q++) {
    const char *rule = peil_disclosure_audit_get(a, q)->rule;
    with_count += !strcmp(rule, "share: with count k");
    with_denominator += !strcmp(rule, "share: with denominator n");
  }
  assert_int_equal(with_count, 1);
  assert_int_equal(with_denominator, 1);
  peil_disclosure_audit_free(a);
  peil_rtable_free(t);
}

/* Off: nothing suppressed or rounded, marked in notes and audit. */
static void test_off(void **state) {
  (void)state;
  const int64_t n[] = {3, 14};
  peil_rtable *t = counts_table("uncontrolled", n, 2);
  peil_disclosure_rules r;
  peil_disclosure_rules_init(&r);
  r.enabled = 0;
  r.rounding = 7; /* ignored when off */
  peil_disclosure_audit *a;
  assert_ok(peil_disclosure_audit_new(&a));
  assert_ok(peil_disclosure_apply(t, NULL, &r, a));
  assert_int_equal(peil_rtable_flags(t, 0, 1), 0);
  assert_int_equal(peil_rtable_int(t, 0, 1), 3);
  assert_int_equal(peil_rtable_int(t, 1, 1), 14);
  assert_int_equal(peil_rtable_get_control(t)->state, PEIL_RTABLE_CONTROL_OFF);
  assert_string_equal(peil_rtable_note(t, 0), "disclosure control: off");
  assert_int_equal(peil_disclosure_audit_size(a), 1);
  assert_string_equal(peil_disclosure_audit_get(a, 0)->rule, "disclosure control: off");
  assert_string_equal(peil_disclosure_audit_get(a, 0)->table, "uncontrolled");
  char *csv = fixture_capture(peil_rtable_write_csv, t);
  assert_string_equal(csv, "group,n,suppressed\na,3,\nb,14,\n");
  free(csv);
  assert_int_equal(peil_disclosure_apply(t, NULL, &r, a), PEIL_EINVAL); /* once only */
  peil_disclosure_audit_free(a);
  peil_rtable_free(t);
}

/* The audit file: every action of a run, never a small value. */
static void test_audit_file(void **state) {
  (void)state;
  const char *rows[] = {"north", "south"}, *cols[] = {"work", "none"};
  const int64_t v[] = {7, 40, 3, 50};
  peil_rtable *t = fixture_long_2d(rows, 2, cols, 2, v);
  peil_disclosure_dimension dims[] = {{"region", "Total"}, {"status", "Total"}};
  peil_disclosure_structure s = {.dimensions = dims, .ndimensions = 2};
  peil_disclosure_audit *a;
  assert_ok(peil_disclosure_audit_new(&a));
  assert_ok(peil_disclosure_apply(t, &s, NULL, a));
  const int64_t w[] = {20, 30};
  peil_rtable *u = counts_table("second", w, 2);
  assert_ok(peil_disclosure_apply(u, NULL, NULL, a));
  assert_ok(peil_disclosure_audit_add(a, "left_out", "", "", "not written: no rows"));
  const char *path = test_path("disclosure_audit.csv");
  assert_ok(peil_disclosure_audit_save(a, path));
  char *text = fixture_read_file(path);
  /* work: 7 and 3 are small; rows north and south each give up their
   * other cell (40, 50); the margins stay */
  const char *want =
      "table,row,column,rule\n"
      "long2d,,,\"rules: min_cell 10, rounding none, zero cells safe\"\n"
      "long2d,\"north, work\",n,primary: fewer than 10\n"
      "long2d,\"south, work\",n,primary: fewer than 10\n"
      "long2d,\"north, none\",n,\"secondary: protects row north, work / column n\"\n"
      "long2d,\"south, none\",n,\"secondary: protects row south, work / column n\"\n"
      "second,,,\"rules: min_cell 10, rounding none, zero cells safe\"\n"
      "left_out,,,not written: no rows\n";
  assert_string_equal(text, want);
  /* no small value anywhere: the digits 7 and 3 do not appear */
  assert_null(strchr(text, '7'));
  assert_null(strchr(text, '3'));
  free(text);
  unlink(path);
  peil_rtable_free(u);
  peil_disclosure_audit_free(a);
  peil_rtable_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_primary), cmocka_unit_test(test_zero_cells), cmocka_unit_test(test_rounding),
      cmocka_unit_test(test_estimates), cmocka_unit_test(test_shares), cmocka_unit_test(test_off),
      cmocka_unit_test(test_audit_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
