/* The writers (src/table/write_*.c, save.c): CSV checked field by field,
 * JSON parsed back with jansson, Markdown against an expected file, the
 * atomic saves, and a table with disclosure control off. */
#include <jansson.h>
#include <sys/stat.h>

#include "unit/table/rtable_fixture.h"

/* G4-style: four municipalities, one of them small (primary suppression
 * of both counts and, with them, the share). */
static peil_rtable *g4_table(int enabled) {
  peil_rtable *t;
  assert_ok(peil_rtable_new("g4_still", "Still on bijstand after 6 months", &t));
  assert_ok(peil_rtable_add_key(t, "municipality", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_count(t, "n"));
  assert_ok(peil_rtable_add_count(t, "still"));
  assert_ok(peil_rtable_add_share(t, "pct_still", "still", "n", 100, 1));
  assert_ok(peil_rtable_add_other(t, "mean_age", PEIL_RTABLE_REAL, 2));
  assert_ok(peil_rtable_add_other(t, "remark", PEIL_RTABLE_TEXT, 0));
  peil_rtable_value rows[4][6] = {
      {PEIL_RV_TEXT("Amsterdam"), PEIL_RV_INT(5210), PEIL_RV_INT(4302), PEIL_RV_NA, PEIL_RV_REAL(41.25),
       PEIL_RV_TEXT("large, \"city\"")},
      {PEIL_RV_TEXT("Rotterdam"), PEIL_RV_INT(4870), PEIL_RV_INT(3999), PEIL_RV_NA, PEIL_RV_REAL(0.1),
       PEIL_RV_NA},
      {PEIL_RV_TEXT("Den Haag"), PEIL_RV_INT(8), PEIL_RV_INT(6), PEIL_RV_NA, PEIL_RV_REAL(1.0 / 3),
       PEIL_RV_TEXT("a|b")},
      {PEIL_RV_TEXT("Utrecht"), PEIL_RV_INT(1503), PEIL_RV_INT(0), PEIL_RV_NA, PEIL_RV_REAL(-0.001),
       PEIL_RV_TEXT("line\nbreak")},
  };
  for (int r = 0; r < 4; r++) assert_ok(peil_rtable_append(t, rows[r], 6));
  assert_ok(peil_rtable_add_note(t, "Population: everyone on bijstand on 1 January 2020."));
  peil_disclosure_rules ru;
  peil_disclosure_rules_init(&ru);
  ru.enabled = enabled;
  assert_ok(peil_disclosure_apply(t, NULL, &ru, NULL));
  return t;
}

static void test_csv(void **state) {
  (void)state;
  peil_rtable *t = g4_table(1);
  char *s = fixture_capture(peil_rtable_write_csv, t);
  fixture_csv c;
  fixture_csv_parse(s, &c);
  assert_int_equal(c.nrec, 5);
  const char *head[] = {"municipality", "n", "still", "pct_still", "mean_age", "remark", "suppressed"};
  for (size_t k = 0; k < 7; k++) assert_string_equal(c.field[0][k], head[k]);
  for (size_t r = 0; r < 5; r++) assert_int_equal(c.nfield[r], 7);
  /* Amsterdam: the share from the counts, at full precision */
  assert_string_equal(c.field[1][0], "Amsterdam");
  assert_string_equal(c.field[1][1], "5210");
  assert_string_equal(c.field[1][2], "4302");
  assert_true(strtod(c.field[1][3], NULL) == 100.0 * 4302 / 5210);
  assert_string_equal(c.field[1][4], "41.25");
  assert_string_equal(c.field[1][5], "large, \"city\"");
  assert_string_equal(c.field[1][6], "");
  /* Rotterdam: 0.1 in its shortest exact form, a missing text */
  assert_string_equal(c.field[2][4], "0.1");
  assert_string_equal(c.field[2][5], "NA");
  /* Den Haag: suppressed cells empty and listed */
  assert_string_equal(c.field[3][1], "");
  assert_string_equal(c.field[3][2], "");
  assert_string_equal(c.field[3][3], "");
  assert_true(strtod(c.field[3][4], NULL) == 1.0 / 3);
  assert_string_equal(c.field[3][6], "n;still;pct_still");
  /* Utrecht: a zero count is published, so is its share */
  assert_string_equal(c.field[4][2], "0");
  assert_true(strtod(c.field[4][3], NULL) == 0);
  assert_string_equal(c.field[4][5], "line\nbreak");
  assert_string_equal(c.field[4][6], "");
  /* the raw text: quoting as RFC 4180 has it */
  assert_non_null(strstr(s, ",\"large, \"\"city\"\"\",\n"));
  assert_non_null(strstr(s, "Den Haag,,,,0.3333333333333333,a|b,n;still;pct_still\n"));
  fixture_csv_free(&c);
  free(s);
  peil_rtable_free(t);
}

static void test_json(void **state) {
  (void)state;
  peil_rtable *t = g4_table(1);
  char *s = fixture_capture(peil_rtable_write_json, t);
  json_error_t err;
  json_t *doc = json_loads(s, 0, &err);
  if (!doc) fail_msg("JSON does not parse: %s (line %d)", err.text, err.line);
  assert_string_equal(json_string_value(json_object_get(doc, "name")), "g4_still");
  assert_string_equal(json_string_value(json_object_get(doc, "title")), "Still on bijstand after 6 months");
  assert_string_equal(json_string_value(json_object_get(doc, "peil_version")), peil_version());
  json_t *notes = json_object_get(doc, "notes");
  assert_int_equal(json_array_size(notes), 2);
  assert_string_equal(json_string_value(json_array_get(notes, 0)), "Population: everyone on bijstand on 1 January 2020.");
  assert_string_equal(json_string_value(json_array_get(notes, 1)),
                      "x: suppressed (fewer than 10 persons, or to protect such a cell)");
  json_t *cols = json_object_get(doc, "columns");
  assert_int_equal(json_array_size(cols), 6);
  json_t *share = json_array_get(cols, 3);
  assert_string_equal(json_string_value(json_object_get(share, "name")), "pct_still");
  assert_string_equal(json_string_value(json_object_get(share, "type")), "real");
  assert_string_equal(json_string_value(json_object_get(share, "role")), "share");
  assert_string_equal(json_string_value(json_object_get(share, "count")), "still");
  assert_string_equal(json_string_value(json_object_get(share, "denominator")), "n");
  assert_true(json_real_value(json_object_get(share, "scale")) == 100);
  assert_string_equal(json_string_value(json_object_get(json_array_get(cols, 1), "role")), "count");
  assert_string_equal(json_string_value(json_object_get(json_array_get(cols, 1), "type")), "integer");
  assert_string_equal(json_string_value(json_object_get(json_array_get(cols, 0), "role")), "key");
  assert_string_equal(json_string_value(json_object_get(json_array_get(cols, 5), "role")), "other");

  json_t *rows = json_object_get(doc, "rows");
  assert_int_equal(json_array_size(rows), 4);
  json_t *ams = json_array_get(rows, 0);
  assert_string_equal(json_string_value(json_object_get(ams, "municipality")), "Amsterdam");
  assert_true(json_is_integer(json_object_get(ams, "n")));
  assert_int_equal(json_integer_value(json_object_get(ams, "n")), 5210);
  assert_true(json_real_value(json_object_get(ams, "pct_still")) == 100.0 * 4302 / 5210);
  assert_true(json_real_value(json_object_get(ams, "mean_age")) == 41.25);
  assert_true(json_is_null(json_object_get(json_array_get(rows, 1), "remark")));
  json_t *dh = json_array_get(rows, 2);
  assert_true(json_is_null(json_object_get(dh, "n")));
  assert_true(json_is_null(json_object_get(dh, "still")));
  assert_true(json_is_null(json_object_get(dh, "pct_still")));
  assert_true(json_real_value(json_object_get(dh, "mean_age")) == 1.0 / 3);
  assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 3), "still")), 0);

  json_t *supp = json_object_get(doc, "suppressed");
  assert_int_equal(json_array_size(supp), 3);
  const char *want[] = {"n", "still", "pct_still"};
  for (size_t k = 0; k < 3; k++) {
    json_t *p = json_array_get(supp, k);
    assert_int_equal(json_integer_value(json_array_get(p, 0)), 2);
    assert_string_equal(json_string_value(json_array_get(p, 1)), want[k]);
  }
  json_t *dc = json_object_get(doc, "disclosure");
  assert_true(json_is_object(dc));
  assert_int_equal(json_integer_value(json_object_get(dc, "min_cell")), 10);
  assert_string_equal(json_string_value(json_object_get(dc, "rounding")), "none");
  assert_string_equal(json_string_value(json_object_get(dc, "zero_cells")), "safe");
  json_t *by = json_object_get(dc, "suppressed");
  assert_int_equal(json_integer_value(json_object_get(by, "primary")), 2);
  assert_int_equal(json_integer_value(json_object_get(by, "secondary")), 0);
  assert_int_equal(json_integer_value(json_object_get(by, "share")), 1);
  assert_int_equal(json_integer_value(json_object_get(by, "estimate")), 0);
  json_decref(doc);
  free(s);
  peil_rtable_free(t);
}

/* Non-finite reals are null in JSON and Inf in CSV; an estimate's n list
 * and an n's rounding are in the column list. */
static void test_json_estimates(void **state) {
  (void)state;
  peil_rtable *t;
  assert_ok(peil_rtable_new("fit", "A fit", &t));
  assert_ok(peil_rtable_add_key(t, "term", PEIL_RTABLE_TEXT));
  assert_ok(peil_rtable_add_n(t, "n", 1));
  assert_ok(peil_rtable_add_estimate(t, "estimate", "n", 3));
  peil_rtable_value v[] = {PEIL_RV_TEXT("x"), PEIL_RV_INT(100), PEIL_RV_REAL(INFINITY)};
  assert_ok(peil_rtable_append(t, v, 3));
  assert_ok(peil_disclosure_apply(t, NULL, NULL, NULL));
  char *s = fixture_capture(peil_rtable_write_json, t);
  json_t *doc = json_loads(s, 0, NULL);
  assert_non_null(doc);
  json_t *est = json_array_get(json_object_get(doc, "columns"), 2);
  assert_string_equal(json_string_value(json_array_get(json_object_get(est, "n"), 0)), "n");
  assert_true(json_is_true(json_object_get(json_array_get(json_object_get(doc, "columns"), 1), "rounded")));
  assert_true(json_is_null(json_object_get(json_array_get(json_object_get(doc, "rows"), 0), "estimate")));
  json_decref(doc);
  free(s);
  s = fixture_capture(peil_rtable_write_csv, t);
  assert_string_equal(s, "term,n,estimate,suppressed\nx,100,Inf,\n");
  free(s);
  peil_rtable_free(t);
}

static void test_markdown(void **state) {
  (void)state;
  peil_rtable *t = g4_table(1);
  char *s = fixture_capture(peil_rtable_write_markdown, t);
  char *want = fixture_read_file(PEIL_TEST_DATA "/unit/table/expected/g4_still.md");
  assert_string_equal(s, want);
  free(want);
  free(s);
  peil_rtable_free(t);
}

/* Reals in Markdown: the column's decimals, an exponent past 1e15, no
 * minus sign on a value that rounds to zero, Inf. */
static void test_markdown_numbers(void **state) {
  (void)state;
  peil_rtable *t;
  assert_ok(peil_rtable_new("numbers", "", &t));
  assert_ok(peil_rtable_add_other(t, "x", PEIL_RTABLE_REAL, 2));
  const double x[] = {3.14159, 1e300, -2.5e20, -0.004, -INFINITY, 1234567.891};
  for (int i = 0; i < 6; i++) {
    peil_rtable_value v[] = {PEIL_RV_REAL(x[i])};
    assert_ok(peil_rtable_append(t, v, 1));
  }
  assert_ok(peil_disclosure_apply(t, NULL, NULL, NULL));
  char *s = fixture_capture(peil_rtable_write_markdown, t);
  assert_string_equal(s, "### numbers\n\n"
                         "|          x |\n"
                         "| ---------: |\n"
                         "|       3.14 |\n"
                         "|     1e+300 |\n"
                         "|   -2.5e+20 |\n"
                         "|       0.00 |\n"
                         "|       -Inf |\n"
                         "| 1234567.89 |\n");
  free(s);
  peil_rtable_free(t);
}

/* Control off: values as they are, marked in the notes, JSON and audit. */
static void test_off(void **state) {
  (void)state;
  peil_rtable *t = g4_table(0);
  assert_int_equal(peil_rtable_get_control(t)->state, PEIL_RTABLE_CONTROL_OFF);
  assert_int_equal(peil_rtable_flags(t, 2, 1), 0);
  assert_string_equal(peil_rtable_note(t, 1), "disclosure control: off");
  char *s = fixture_capture(peil_rtable_write_json, t);
  json_t *doc = json_loads(s, 0, NULL);
  assert_non_null(doc);
  assert_string_equal(json_string_value(json_object_get(doc, "disclosure")), "off");
  assert_int_equal(json_array_size(json_object_get(doc, "suppressed")), 0);
  assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(doc, "rows"), 2), "n")), 8);
  /* the share is still filled in from the counts: that is not control */
  assert_true(json_real_value(json_object_get(json_array_get(json_object_get(doc, "rows"), 2), "pct_still")) ==
              100.0 * 6 / 8);
  json_decref(doc);
  free(s);
  s = fixture_capture(peil_rtable_write_markdown, t);
  assert_non_null(strstr(s, "| Den Haag     |    8 |     6 |      75.0 |     0.33 | a\\|b"));
  assert_non_null(strstr(s, "- disclosure control: off\n"));
  free(s);
  peil_rtable_free(t);
}

static void test_save(void **state) {
  (void)state;
  peil_rtable *t = g4_table(1);
  const char *dir = test_path("out");
  mkdir(dir, 0755);
  assert_ok(peil_rtable_save(t, dir));
  char path[1200];
  const char *ext[] = {"csv", "json", "md"};
  int (*write[])(const peil_rtable *, FILE *) = {peil_rtable_write_csv, peil_rtable_write_json,
                                                peil_rtable_write_markdown};
  for (int k = 0; k < 3; k++) {
    snprintf(path, sizeof path, "%s/g4_still.%s", dir, ext[k]);
    char *got = fixture_read_file(path), *want = fixture_capture(write[k], t);
    assert_string_equal(got, want);
    free(got), free(want);
    unlink(path);
  }
  snprintf(path, sizeof path, "%s/single.md", dir);
  assert_ok(peil_rtable_save_markdown(t, path));
  assert_true(file_exists(path));
  unlink(path);
  snprintf(path, sizeof path, "%s/single.json", dir);
  assert_ok(peil_rtable_save_json(t, path));
  assert_true(file_exists(path));
  unlink(path);
  snprintf(path, sizeof path, "%s/single.csv", dir);
  assert_ok(peil_rtable_save_csv(t, path));
  assert_true(file_exists(path));
  unlink(path);
  rmdir(dir);
  /* a directory that does not exist: an error, nothing written */
  assert_int_not_equal(peil_rtable_save(t, test_path("no/such/dir")), 0);
  assert_int_equal(peil_rtable_save(t, ""), PEIL_EINVAL);
  peil_rtable_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_csv),      cmocka_unit_test(test_json), cmocka_unit_test(test_json_estimates),
      cmocka_unit_test(test_markdown), cmocka_unit_test(test_markdown_numbers), cmocka_unit_test(test_off),  cmocka_unit_test(test_save),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
