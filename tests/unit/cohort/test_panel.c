/* peil_panel_write on hand-built spells, every expected cell worked out
 * below from the spells: spells ending on a month's last day and starting
 * on its first, a spell of two days across a month's end, open spells,
 * overlapping spells (the latest start counts), a missing value inside a
 * spell, orphans, and each --at mode with the day clamped in February.
 *
 * Persons 1..5 (rin int64), data 2020-01-01 .. 2020-12-31; the panel runs
 * over 2020-01 .. 2020-04 (Jan 31 days, Feb 29, Mar 31, Apr 30).
 * bijstand (municipality A/B):
 *   rin 0  2020-01-01 .. open        A  orphan (before the first person)
 *   rin 1  2020-01-01 .. 2020-01-31  A  (first to last day of January)
 *          2020-03-15 .. open        B
 *   rin 2  2020-02-29 .. 2020-03-01  A  (the last day of Feb and the first of Mar)
 *   rin 3  2019-06-01 .. 2020-02-15  A
 *          2020-02-10 .. open        B  (overlaps A from Feb 10 to 15)
 *   rin 4  2020-04-01 .. 2020-04-30  municipality missing
 *   rin 9  2020-01-01 .. open        A  orphan (after the last person)
 * jobs: rin 2 2020-01-10 .. 2020-01-20; rin 5 2020-04-30 .. open.
 *
 * Per person the months Jan..Apr (value: A, B, . for missing):
 *            bijstand            value                jobs
 *   any      1 1011 2 0110 3 1111 4 0001   1 A.BB 2 .AA. 3 ABBB 4 ....   2 1000 5 0001
 *   first    1 1001 2 0010 3 1111 4 0001   1 A..B 2 ..A. 3 AABB           2 0000 5 0000
 *   last     1 1011 2 0100 3 1111 4 0001   1 A.BB 2 .A.. 3 ABBB           2 0000 5 0001
 *   day 15   1 1011 2 0000 3 1111 4 0001   1 A.BB 2 .... 3 ABBB           2 1000 5 0000
 *   day 12   1 1001 2 0000 3 1111 4 0001   1 A..B 2 .... 3 ABBB           2 1000 5 0000
 *   day 31   1 1011 2 0100 3 1111 4 0001   1 A.BB 2 .A.. 3 ABBB           2 0000 5 0001
 * (day 31 is each month's last day: Feb 29, Apr 30; day 12 of February is
 * covered by both of rin 3's spells, and B started later.) */
#include "cohort_fixture.h"

static const char *const CITIES[] = {"A", "B"};

static const spell_row BIJSTAND[] = {
    {0, "2020-01-01", NULL, 0},         {1, "2020-01-01", "2020-01-31", 0},
    {1, "2020-03-15", NULL, 1},         {2, "2020-02-29", "2020-03-01", 0},
    {3, "2019-06-01", "2020-02-15", 0}, {3, "2020-02-10", NULL, 1},
    {4, "2020-04-01", "2020-04-30", PEIL_NA_ENUM}, {9, "2020-01-01", NULL, 0}};
static const spell_row JOBS[] = {{2, "2020-01-10", "2020-01-20", 0}, {5, "2020-04-30", NULL, 0}};

/* The store of the header comment; `bij` replaces bijstand to test bad input. */
static const char *make_store(const char *name, const spell_row *bij, size_t nbij) {
  const char *path = test_path(name);
  peil_store *s;
  assert_ok(peil_store_open(path, PEIL_STORE_CREATE, &s));
  peil_column_def pdefs[2] = {{"rin", PEIL_INT64, 0, NULL}, {"hours", PEIL_INT16, 0, NULL}};
  peil_table_writer *w;
  assert_ok(peil_table_create(s, "persons", pdefs, 2, &w));
  int64_t rin[5] = {1, 2, 3, 4, 5};
  int16_t hours[5] = {1, 2, 3, 4, 5};
  const void *cols[2] = {rin, hours};
  assert_ok(peil_table_append(w, cols, 5));
  assert_ok(peil_table_finish(w));
  write_spells(s, "bijstand", bij ? bij : BIJSTAND, bij ? nbij : 8, "municipality", CITIES, 2);
  write_spells(s, "jobs", JOBS, 2, NULL, NULL, 0);
  assert_ok(peil_store_set_attr_str(s, NULL, "data_start", "2020-01-01"));
  assert_ok(peil_store_set_attr_str(s, NULL, "data_end", "2020-12-31"));
  assert_ok(peil_store_commit(s));
  peil_store_close(s);
  return path;
}

static const char *const TABLES[] = {"bijstand", "jobs"};
static const char *const VALUES[] = {"bijstand.municipality"};

static void options(peil_panel_options *o, int at) {
  peil_panel_options_init(o);
  o->tables = TABLES;
  o->ntables = 2;
  o->values = VALUES;
  o->nvalues = 1;
  o->from = D("2020-01-01");
  o->to = D("2020-04-30"); /* any day of the last month */
  o->at = at;
  o->threads = 1;
}

/* Writes a panel into the store at path (committed) and returns the summary. */
static int write_panel(const char *path, const peil_panel_options *o, peil_panel_summary *sum) {
  peil_store *s;
  assert_ok(peil_store_open(path, PEIL_STORE_UPDATE, &s));
  int rc = peil_panel_write(s, o, sum);
  if (!rc) assert_ok(peil_store_commit(s));
  peil_store_close(s);
  return rc;
}

/* The panel as text: per row "rin month bijstand jobs value". */
typedef struct {
  size_t n;
  int64_t rin[64];
  int32_t month[64];
  int8_t bij[64], jobs[64];
  int32_t city[64];
} panel_rows;

static void read_panel(const char *path, const char *table, panel_rows *p) {
  peil_store *s;
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  peil_table_info *ti;
  assert_ok(peil_store_table_info(s, table, &ti));
  assert_int_equal(ti->ncols, 5);
  const char *names[] = {"rin", "month", "bijstand", "jobs", "bijstand_municipality"};
  const peil_type types[] = {PEIL_INT64, PEIL_DATE, PEIL_INT8, PEIL_INT8, PEIL_ENUM};
  for (size_t j = 0; j < 5; j++) {
    assert_string_equal(ti->cols[j].name, names[j]);
    assert_int_equal(ti->cols[j].type, types[j]);
  }
  assert_int_equal(ti->cols[4].nlevels, 2);
  assert_string_equal(ti->cols[4].levels[1], "B");
  assert_true(ti->nrows <= 64);
  peil_table_info_free(ti);
  peil_scan *sc;
  assert_ok(peil_scan_open(s, table, NULL, 0, 0, &sc));
  peil_block b;
  p->n = 0;
  while (peil_scan_next(sc, &b) == 1)
    for (size_t i = 0; i < b.nrows; i++, p->n++) {
      p->rin[p->n] = ((const int64_t *)b.cols[0])[i];
      p->month[p->n] = ((const int32_t *)b.cols[1])[i];
      p->bij[p->n] = ((const int8_t *)b.cols[2])[i];
      p->jobs[p->n] = ((const int8_t *)b.cols[3])[i];
      p->city[p->n] = ((const int32_t *)b.cols[4])[i];
    }
  peil_scan_close(sc);
  peil_store_close(s);
}

/* One mode's expected months per person (rows 1..5), as in the header. */
typedef struct {
  int at;
  const char *bij[5], *city[5], *jobs[5];
} expected;

static const expected EXPECT[] = {
    {PEIL_PANEL_AT_ANY,
     {"1011", "0110", "1111", "0001", "0000"},
     {"A.BB", ".AA.", "ABBB", "....", "...."},
     {"0000", "1000", "0000", "0000", "0001"}},
    {PEIL_PANEL_AT_FIRST,
     {"1001", "0010", "1111", "0001", "0000"},
     {"A..B", "..A.", "AABB", "....", "...."},
     {"0000", "0000", "0000", "0000", "0000"}},
    {PEIL_PANEL_AT_LAST,
     {"1011", "0100", "1111", "0001", "0000"},
     {"A.BB", ".A..", "ABBB", "....", "...."},
     {"0000", "0000", "0000", "0000", "0001"}},
    {15,
     {"1011", "0000", "1111", "0001", "0000"},
     {"A.BB", "....", "ABBB", "....", "...."},
     {"0000", "1000", "0000", "0000", "0000"}},
    {12,
     {"1001", "0000", "1111", "0001", "0000"},
     {"A..B", "....", "ABBB", "....", "...."},
     {"0000", "1000", "0000", "0000", "0000"}},
    {31,
     {"1011", "0100", "1111", "0001", "0000"},
     {"A.BB", ".A..", "ABBB", "....", "...."},
     {"0000", "0000", "0000", "0000", "0001"}},
};

static char city_char(int32_t c) { return c == PEIL_NA_ENUM ? '.' : CITIES[c][0]; }

static void test_every_at_mode(void **state) {
  (void)state;
  const char *path = make_store("modes.h5", NULL, 0);
  const int32_t months[4] = {D("2020-01-01"), D("2020-02-01"), D("2020-03-01"), D("2020-04-01")};
  for (size_t e = 0; e < sizeof EXPECT / sizeof *EXPECT; e++) {
    const expected *x = &EXPECT[e];
    peil_panel_options o;
    options(&o, x->at);
    char name[32];
    snprintf(name, sizeof name, "panel_%zu", e);
    o.table = name;
    peil_panel_summary sum;
    assert_ok(write_panel(path, &o, &sum));
    assert_int_equal(sum.n_persons, 5);
    assert_int_equal(sum.n_rows, 20);
    assert_int_equal(sum.nmonths, 4);
    assert_int_equal(sum.from, months[0]);
    assert_int_equal(sum.to, months[3]);
    assert_int_equal(sum.orphans[0], 2); /* rin 0 and 9 */
    assert_int_equal(sum.orphans[1], 0);
    int64_t ones[2] = {0, 0};
    panel_rows p;
    read_panel(path, name, &p);
    assert_int_equal(p.n, 20);
    for (size_t r = 0; r < 20; r++) {
      size_t person = r / 4, m = r % 4;
      assert_int_equal(p.rin[r], (int64_t)person + 1);
      assert_int_equal(p.month[r], months[m]);
      if (p.bij[r] != x->bij[person][m] - '0' || p.jobs[r] != x->jobs[person][m] - '0' ||
          city_char(p.city[r]) != x->city[person][m])
        fail_msg("at %d, rin %zu, month %zu: bijstand %d jobs %d value %c, expected %c %c %c",
                 x->at, person + 1, m + 1, p.bij[r], p.jobs[r], city_char(p.city[r]),
                 x->bij[person][m], x->jobs[person][m], x->city[person][m]);
      ones[0] += p.bij[r];
      ones[1] += p.jobs[r];
    }
    assert_int_equal(sum.ones[0], ones[0]);
    assert_int_equal(sum.ones[1], ones[1]);
    peil_panel_summary_free(&sum);
  }
  unlink(path);
}

/* --keep any: the rows of the any-mode panel with a status 1, in order;
 * the months default to the store's coverage (12 months of 2020). */
static void test_keep_any_and_coverage(void **state) {
  (void)state;
  const char *path = make_store("keep.h5", NULL, 0);
  peil_panel_options o;
  options(&o, PEIL_PANEL_AT_ANY);
  o.keep_any = 1;
  peil_panel_summary sum;
  assert_ok(write_panel(path, &o, &sum));
  panel_rows p;
  read_panel(path, "panel", &p);
  /* any: rin 1 Jan Mar Apr, rin 2 Jan(jobs) Feb Mar, rin 3 all four, rin 4 Apr, rin 5 Apr */
  const int64_t rin[] = {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 5};
  const int month[] = {1, 3, 4, 1, 2, 3, 1, 2, 3, 4, 4, 4};
  assert_int_equal(p.n, 12);
  assert_int_equal(sum.n_rows, 12);
  for (size_t r = 0; r < p.n; r++) {
    assert_int_equal(p.rin[r], rin[r]);
    assert_int_equal(p.month[r], peil_date_from_ymd(2020, month[r], 1));
    assert_true(p.bij[r] || p.jobs[r]);
  }
  peil_panel_summary_free(&sum);

  peil_panel_options_init(&o);
  o.tables = TABLES;
  o.ntables = 2;
  o.table = "year";
  assert_ok(write_panel(path, &o, &sum));
  assert_int_equal(sum.nmonths, 12);
  assert_int_equal(sum.n_rows, 60);
  assert_int_equal(sum.from, D("2020-01-01"));
  assert_int_equal(sum.to, D("2020-12-01"));
  /* open spells run on: rin 1 Mar..Dec (10), 3 all 12, the others as before */
  assert_int_equal(sum.ones[0], 1 + 10 + 2 + 12 + 1);
  assert_int_equal(sum.ones[1], 1 + 9);
  peil_panel_summary_free(&sum);

  /* Data from 2020-01-15 to 2020-12-30: the default months are those whose
   * counting days lie in the data, and a month given that reaches outside
   * is an error. */
  peil_store *s;
  assert_ok(peil_store_open(path, PEIL_STORE_UPDATE, &s));
  assert_ok(peil_store_set_attr_str(s, NULL, "data_start", "2020-01-15"));
  assert_ok(peil_store_set_attr_str(s, NULL, "data_end", "2020-12-30"));
  assert_ok(peil_store_commit(s));
  peil_store_close(s);
  const struct {
    int at;
    int from, to; /* months of 2020 */
  } cover[] = {{PEIL_PANEL_AT_ANY, 2, 11}, {PEIL_PANEL_AT_FIRST, 2, 12}, {PEIL_PANEL_AT_LAST, 1, 11},
               {15, 1, 12}, {14, 2, 12}, {31, 1, 11}, {30, 1, 12}};
  o.replace = 1;
  for (size_t k = 0; k < sizeof cover / sizeof *cover; k++) {
    o.at = cover[k].at;
    assert_ok(write_panel(path, &o, &sum));
    assert_int_equal(sum.from, peil_date_from_ymd(2020, cover[k].from, 1));
    assert_int_equal(sum.to, peil_date_from_ymd(2020, cover[k].to, 1));
    assert_int_equal(sum.nmonths, (size_t)(cover[k].to - cover[k].from + 1));
    peil_panel_summary_free(&sum);
  }
  o.at = PEIL_PANEL_AT_ANY;
  o.to = D("2020-12-01");
  assert_int_equal(write_panel(path, &o, NULL), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "month 2020-12 lies outside the data (2020-01-15 .. 2020-12-30): 2020-12-31 is after its end"));
  o.to = PEIL_NA_DATE;
  o.from = D("2020-01-01");
  o.at = 14;
  assert_int_equal(write_panel(path, &o, NULL), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "month 2020-01 lies outside the data (2020-01-15 .. 2020-12-30): 2020-01-14 is before its start"));
  unlink(path);
}

static int has_table(const char *path, const char *t) {
  peil_store *s;
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  int r = peil_store_has_table(s, t);
  peil_store_close(s);
  return r;
}

static size_t count_tables(const char *path) {
  peil_store *s;
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  char **names;
  size_t n;
  assert_ok(peil_store_list_tables(s, &names, &n));
  peil_strings_free(names, n);
  peil_store_close(s);
  return n;
}

/* An existing panel is kept unless replace; a failed write (an unsorted
 * table found half-way) leaves the store as it was, old panel included,
 * and no temporary table, even when the caller commits. */
static void test_replace_and_nothing_half_written(void **state) {
  (void)state;
  const spell_row unsorted[] = {{1, "2020-01-01", "2020-01-31", 0}, {3, "2020-01-01", NULL, 0},
                                {2, "2020-01-01", NULL, 0}};
  const char *path = make_store("replace.h5", unsorted, 3);
  peil_panel_options o;
  options(&o, PEIL_PANEL_AT_ANY);
  o.tables = (const char *const[]){"jobs"};
  o.ntables = 1;
  o.nvalues = 0;
  assert_ok(write_panel(path, &o, NULL));
  assert_int_equal(count_tables(path), 4);
  assert_int_equal(write_panel(path, &o, NULL), PEIL_EEXIST);
  assert_non_null(strstr(peil_errmsg(), "table 'panel' exists already"));

  peil_store *s;
  assert_ok(peil_store_open(path, PEIL_STORE_UPDATE, &s));
  options(&o, PEIL_PANEL_AT_ANY);
  o.replace = 1;
  assert_int_equal(peil_panel_write(s, &o, NULL), PEIL_EDATA);
  assert_non_null(strstr(peil_errmsg(), "table 'bijstand', row 3: not sorted by rin"));
  assert_false(peil_store_has_table(s, ".panel.partial"));
  assert_true(peil_store_has_table(s, "panel"));
  assert_ok(peil_store_commit(s)); /* a caller that commits anyway */
  peil_store_close(s);
  assert_int_equal(count_tables(path), 4);
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  peil_table_info *ti;
  assert_ok(peil_store_table_info(s, "panel", &ti));
  assert_int_equal(ti->ncols, 3); /* the old one: rin, month, jobs */
  peil_table_info_free(ti);
  peil_store_close(s);

  /* replace with a good panel */
  o.tables = (const char *const[]){"jobs", "jobs"};
  o.ntables = 2;
  o.nvalues = 0;
  assert_int_equal(write_panel(path, &o, NULL), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "'jobs' is given twice"));
  o.ntables = 1;
  o.at = 20;
  assert_ok(write_panel(path, &o, NULL));
  assert_int_equal(count_tables(path), 4);
  char *at = NULL;
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  assert_ok(peil_store_get_attr_str(s, "panel", "panel_at", &at));
  assert_string_equal(at, "20");
  free(at);
  peil_store_close(s);
  unlink(path);
}

/* Bad input: the error and its message, and nothing written. */
static void test_bad_input(void **state) {
  (void)state;
  const char *path = make_store("bad.h5", NULL, 0);
  const spell_row backwards[] = {{1, "2020-02-01", "2020-01-01", 0}};
  const char *path2 = make_store("bad2.h5", backwards, 1);
  struct {
    const char *tables[3];
    const char *values[2];
    const char *from, *to;
    int at;
    const char *persons, *table;
    int status;
    const char *msg;
  } cases[] = {
      {{"bijstand", "nope"}, {0}, 0, 0, 0, 0, 0, PEIL_ENOTFOUND, "has no table 'nope'"},
      {{"bijstand"}, {"bijstand.nope"}, 0, 0, 0, 0, 0, PEIL_ENOTFOUND,
       "values: bijstand.nope: table 'bijstand' has no column 'nope'"},
      {{"bijstand"}, {"bijstand.start"}, 0, 0, 0, 0, 0, PEIL_ETYPE,
       "column 'start' of table 'bijstand' is date, not categorical"},
      {{"bijstand"}, {"jobs.municipality"}, 0, 0, 0, 0, 0, PEIL_EINVAL,
       "table 'jobs' is not one of the panel's tables"},
      {{"bijstand"}, {"municipality"}, 0, 0, 0, 0, 0, PEIL_EINVAL, "is not TABLE.COLUMN"},
      {{"bijstand"}, {"bijstand.municipality", "bijstand.municipality"}, 0, 0, 0, 0, 0,
       PEIL_EINVAL, "given twice"},
      {{"persons"}, {0}, 0, 0, 0, 0, 0, PEIL_ENOTFOUND,
       "table 'persons': no column 'start' (a spell table has rin, start and end)"},
      {{"bijstand"}, {0}, "2020-05-01", "2020-04-01", 0, 0, 0, PEIL_EINVAL,
       "the first month (2020-05) is after the last (2020-04)"},
      {{"bijstand"}, {0}, "2019-12-01", 0, 0, 0, 0, PEIL_EINVAL,
       "month 2019-12 lies outside the data (2020-01-01 .. 2020-12-31)"},
      {{"bijstand"}, {0}, 0, "2021-01-01", 0, 0, 0, PEIL_EINVAL, "month 2021-01 lies outside"},
      {{"bijstand"}, {0}, 0, 0, 32, 0, 0, PEIL_EINVAL, "at: 32 is not"},
      {{"bijstand"}, {0}, 0, 0, 0, "people", 0, PEIL_ENOTFOUND, "no person table 'people'"},
      {{"jobs"}, {0}, 0, 0, 0, "bijstand", 0, PEIL_EDATA,
       "table 'bijstand', row 3: rin 1 appears twice; the person table needs one row per person"},
      {{"bijstand"}, {0}, 0, 0, 0, 0, "bijstand", PEIL_EINVAL, "that is one of its inputs"},
      {{"bijstand"}, {0}, 0, 0, 0, 0, "a/b", PEIL_EINVAL, "invalid table name 'a/b'"},
      {{"bijstand"}, {0}, 0, 0, 0, 0, "", PEIL_EINVAL, "invalid table name ''"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    peil_panel_options o;
    peil_panel_options_init(&o);
    size_t nt = 0, nv = 0;
    while (nt < 3 && cases[k].tables[nt]) nt++;
    while (nv < 2 && cases[k].values[nv]) nv++;
    o.tables = cases[k].tables;
    o.ntables = nt;
    o.values = cases[k].values;
    o.nvalues = nv;
    if (cases[k].from) o.from = D(cases[k].from);
    if (cases[k].to) o.to = D(cases[k].to);
    o.at = cases[k].at;
    o.persons = cases[k].persons;
    o.table = cases[k].table;
    int rc = write_panel(path, &o, NULL);
    if (rc != cases[k].status || !strstr(peil_errmsg(), cases[k].msg))
      fail_msg("case %zu: status %d (expected %d), message '%s' lacks '%s'", k, rc,
               cases[k].status, peil_errmsg(), cases[k].msg);
  }
  assert_int_equal(count_tables(path), 3);

  /* A spell that ends before it starts: the reader names the row. */
  peil_panel_options o;
  options(&o, PEIL_PANEL_AT_ANY);
  assert_int_equal(write_panel(path2, &o, NULL), PEIL_EDATA);
  assert_non_null(strstr(peil_errmsg(), "table 'bijstand', row 1 (rin 1): the spell ends (2020-01-01) before it starts (2020-02-01)"));
  assert_false(has_table(path2, "panel"));
  assert_int_equal(count_tables(path2), 3);

  /* Two columns with one name: a spell table called "rin". */
  peil_store *s;
  assert_ok(peil_store_open(path, PEIL_STORE_UPDATE, &s));
  const spell_row one[] = {{1, "2020-01-01", NULL, 0}};
  write_spells(s, "rin", one, 1, NULL, NULL, 0);
  assert_ok(peil_store_commit(s));
  peil_store_close(s);
  options(&o, PEIL_PANEL_AT_ANY);
  o.tables = (const char *const[]){"rin"};
  o.ntables = 1;
  o.nvalues = 0;
  assert_int_equal(write_panel(path, &o, NULL), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "two columns of the panel would be called 'rin'"));
  assert_int_equal(count_tables(path), 4);

  /* No coverage in the store and no months given. */
  assert_ok(peil_store_open(path, PEIL_STORE_CREATE, &s));
  peil_column_def pdef = {"rin", PEIL_INT32, 0, NULL};
  peil_table_writer *w;
  assert_ok(peil_table_create(s, "persons", &pdef, 1, &w));
  assert_ok(peil_table_finish(w));
  write_spells(s, "jobs", JOBS, 2, NULL, NULL, 0);
  assert_ok(peil_store_commit(s));
  peil_store_close(s);
  peil_panel_options_init(&o);
  o.tables = (const char *const[]){"jobs"};
  o.ntables = 1;
  assert_int_equal(write_panel(path, &o, NULL), PEIL_EINVAL);
  assert_non_null(strstr(peil_errmsg(), "does not say when its data start (no root attribute data_start or sim_from): give the first month (--from)"));
  /* with months given: an empty person table gives an empty panel, and
   * every spell is an orphan; rin keeps the person table's type */
  o.from = D("2020-01-01");
  o.to = D("2020-02-01");
  peil_panel_summary sum;
  assert_ok(write_panel(path, &o, &sum));
  assert_int_equal(sum.n_rows, 0);
  assert_int_equal(sum.orphans[0], 2);
  peil_panel_summary_free(&sum);
  assert_ok(peil_store_open(path, PEIL_STORE_READ, &s));
  peil_table_info *ti;
  assert_ok(peil_store_table_info(s, "panel", &ti));
  assert_int_equal(ti->cols[0].type, PEIL_INT32);
  assert_int_equal(ti->nrows, 0);
  peil_table_info_free(ti);
  peil_store_close(s);
  unlink(path);
  unlink(path2);
}

/* The one-pass answer for all months is spells_latest's, month by month,
 * on random spells (overlapping, open, adjacent, equal starts) and the
 * ranges of every --at mode. */
static void test_latest_each_is_latest(void **state) {
  (void)state;
  enum { M = 30, NSP = 12 };
  int32_t lo[M], hi[M];
  long each[M];
  spell sp[NSP];
  spell_table t;
  memset(&t, 0, sizeof t);
  t.sp = sp;
  unsigned seed = 12345;
  const int modes[] = {PEIL_PANEL_AT_ANY, PEIL_PANEL_AT_FIRST, PEIL_PANEL_AT_LAST, 1, 15, 29, 31};
  for (int rep = 0; rep < 2000; rep++) {
    t.nsp = (size_t)(rep % (NSP + 1));
    int32_t start = D("2019-11-01");
    for (size_t i = 0; i < t.nsp; i++) {
      seed = seed * 1103515245u + 12345u;
      start += (int32_t)(seed >> 16) % 90; /* sorted by start, some equal */
      seed = seed * 1103515245u + 12345u;
      int32_t len = (int32_t)(seed >> 16) % 200;
      sp[i].start = start;
      sp[i].end = len > 180 ? INT32_MAX : start + len;
      sp[i].bits = 0;
      sp[i].group = -1;
      sp[i].attr = (int32_t)i;
    }
    for (size_t mo = 0; mo < sizeof modes / sizeof *modes; mo++) {
      for (int k = 0; k < M; k++) {
        int32_t first = peil_date_add_months(D("2020-01-01"), k);
        int32_t last = peil_date_add_months(first, 1) - 1;
        int at = modes[mo];
        lo[k] = at == PEIL_PANEL_AT_LAST ? last : first;
        hi[k] = at == PEIL_PANEL_AT_FIRST ? first : last;
        if (at > 0) lo[k] = hi[k] = first + (at - 1 < last - first ? at - 1 : last - first);
      }
      spells_latest_each(&t, lo, hi, M, each);
      for (int k = 0; k < M; k++)
        if (each[k] != spells_latest(&t, lo[k], hi[k], -1, -1))
          fail_msg("rep %d, at %d, month %d: %ld, spells_latest says %ld", rep, modes[mo], k,
                   each[k], spells_latest(&t, lo[k], hi[k], -1, -1));
    }
  }
}

static void test_parse_at(void **state) {
  (void)state;
  int at = 99;
  assert_ok(peil_panel_parse_at("any", &at));
  assert_int_equal(at, PEIL_PANEL_AT_ANY);
  assert_ok(peil_panel_parse_at("first", &at));
  assert_int_equal(at, PEIL_PANEL_AT_FIRST);
  assert_ok(peil_panel_parse_at("last", &at));
  assert_int_equal(at, PEIL_PANEL_AT_LAST);
  assert_ok(peil_panel_parse_at("1", &at));
  assert_int_equal(at, 1);
  assert_ok(peil_panel_parse_at("31", &at));
  assert_int_equal(at, 31);
  const char *bad[] = {"0", "32", "-1", "+5", "5x", "", "mid", "Any"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (peil_panel_parse_at(bad[i], &at) != PEIL_EINVAL) fail_msg("'%s' was accepted", bad[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_at_mode),
      cmocka_unit_test(test_keep_any_and_coverage),
      cmocka_unit_test(test_replace_and_nothing_half_written),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_latest_each_is_latest),
      cmocka_unit_test(test_parse_at),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
