/* The rules of peil split one by one (src/cohort/split_rules.c), on spells
 * built in memory: episodes from adjacent, gapped and open spells, the
 * follow-up window (delayed entry, censoring), the event window, the
 * treatment's switches, and the pieces: cut points on the boundary day,
 * a treatment on the episode's first day or after its end, an event right
 * at a cut point, and never an empty piece (checked on 20,000 random
 * follow-ups against a day-by-day count). */
#include "cohort_fixture.h"

#include "cohort/split_internal.h"

static const int32_t CUTS[] = {91, 182, 273, 365, 547};
#define NCUTS 5

/* A person's spells of one table: start/end as dates, end NULL for open. */
static spell_table table_of(spell *sp, const spell_row *rows, size_t n) {
  spell_table t;
  memset(&t, 0, sizeof t);
  for (size_t i = 0; i < n; i++)
    sp[i] = (spell){D(rows[i].start), rows[i].end ? D(rows[i].end) : INT32_MAX, -1, (int32_t)i,
                    rows[i].code > 0 ? 1u : 0u};
  t.sp = sp;
  t.nsp = n;
  return t;
}

static split_followup followup(int32_t t0, int32_t t1, int event, int32_t on, int32_t off) {
  split_followup f;
  memset(&f, 0, sizeof f);
  f.t0 = t0, f.t1 = t1, f.event = event, f.ended = event, f.on = on, f.off = off;
  return f;
}

#define NEVER PEIL_SPLIT_NEVER

static void assert_piece(const split_piece *p, int32_t a, int32_t b, int period, int treated, int event) {
  if (p->a != a || p->b != b || p->period != period || p->treated != treated || p->event != event)
    fail_msg("piece (%d, %d] period %d treated %d event %d; expected (%d, %d] %d %d %d", p->a, p->b,
             p->period, p->treated, p->event, a, b, period, treated, event);
}

/* ---- Episodes. */

static void test_adjacent_spells_merge(void **state) {
  (void)state;
  spell sp[8];
  spell_row rows[] = {{1, "2020-01-01", "2020-01-31", 0}, {1, "2020-02-01", "2020-02-29", 0},
                      {1, "2020-03-02", "2020-03-31", 0}, {1, "2020-04-10", NULL, 0}};
  spell_table t = table_of(sp, rows, 4);
  split_episode e[4];
  /* gap 0: adjacent spells (Feb 1 after Jan 31) merge; Mar 2 is a day apart. */
  assert_int_equal(split_episodes(&t, -1, 0, e), 3);
  assert_int_equal(e[0].start, D("2020-01-01"));
  assert_int_equal(e[0].end, D("2020-02-29"));
  assert_int_equal(e[0].number, 1);
  assert_int_equal(e[1].start, D("2020-03-02"));
  assert_int_equal(e[2].end, INT32_MAX); /* open */
  assert_int_equal(e[2].number, 3);
  /* gap 1: Mar 2 (one day, Mar 1, between) joins too; gap 9 reaches Apr 10. */
  assert_int_equal(split_episodes(&t, -1, 1, e), 2);
  assert_int_equal(e[0].end, D("2020-03-31"));
  assert_int_equal(split_episodes(&t, -1, 9, e), 1);
  assert_int_equal(e[0].end, INT32_MAX);
  assert_int_equal(split_episodes(&t, -1, 8, e), 2);
  /* none: every spell is an episode. */
  assert_int_equal(split_episodes(&t, -1, -1, e), 4);
  assert_int_equal(e[1].start, D("2020-02-01"));
  assert_int_equal(e[1].number, 2);
}

static void test_episodes_overlap_and_condition(void **state) {
  (void)state;
  spell sp[8];
  /* A spell inside a longer one does not end the episode early; code 1 marks
   * the spells that satisfy the condition (bit 0). */
  spell_row rows[] = {{1, "2020-01-01", "2020-06-30", 1}, {1, "2020-02-01", "2020-02-10", 0},
                      {1, "2020-07-01", "2020-07-31", 1}, {1, "2020-09-01", "2020-09-30", 0}};
  spell_table t = table_of(sp, rows, 4);
  split_episode e[4];
  assert_int_equal(split_episodes(&t, -1, 0, e), 2);
  assert_int_equal(e[0].end, D("2020-07-31"));
  assert_int_equal(e[1].start, D("2020-09-01"));
  assert_int_equal(split_episodes(&t, 0, 0, e), 1); /* only the matching spells */
  assert_int_equal(e[0].end, D("2020-07-31"));
  t.nsp = 0;
  assert_int_equal(split_episodes(&t, -1, 0, e), 0);
}

/* ---- The follow-up window. */

static void test_window(void **state) {
  (void)state;
  split_episode e = {D("2020-01-10"), D("2020-02-08"), 1};
  split_followup f;
  /* From the start to the last day: 30 days, (0, 30]. */
  assert_int_equal(split_window(&e, PEIL_NA_DATE, D("2021-12-31"), &f), 1);
  assert_int_equal(f.t0, 0);
  assert_int_equal(f.t1, 30);
  assert_true(f.ended);
  /* Delayed entry: the data start on Jan 20, day 10. */
  assert_int_equal(split_window(&e, D("2020-01-20"), D("2021-12-31"), &f), 1);
  assert_int_equal(f.t0, 10);
  assert_int_equal(f.t1, 30);
  /* from none (PEIL_SPLIT_NEVER) is the episode's start. */
  assert_int_equal(split_window(&e, NEVER, D("2021-12-31"), &f), 1);
  assert_int_equal(f.t0, 0);
  /* Censored on Feb 1: days 0..22, not ended. */
  assert_int_equal(split_window(&e, PEIL_NA_DATE, D("2020-02-01"), &f), 1);
  assert_int_equal(f.t1, 23);
  assert_false(f.ended);
  /* Ending on the censoring date is an end. */
  assert_int_equal(split_window(&e, PEIL_NA_DATE, D("2020-02-08"), &f), 1);
  assert_true(f.ended);
  assert_int_equal(f.t1, 30);
  /* Open: censored at `to`. */
  split_episode open = {D("2021-06-01"), INT32_MAX, 1};
  assert_int_equal(split_window(&open, D("2020-01-01"), D("2021-12-31"), &f), 1);
  assert_false(f.ended);
  assert_int_equal(f.t1, D("2021-12-31") - D("2021-06-01") + 1);
  /* No day in the window: before its start, or starting after its end. */
  assert_int_equal(split_window(&e, D("2020-02-09"), D("2021-12-31"), &f), 0);
  assert_int_equal(split_window(&e, PEIL_NA_DATE, D("2020-01-09"), &f), 0);
  /* One day in it: the last day. */
  assert_int_equal(split_window(&e, D("2020-02-08"), D("2021-12-31"), &f), 1);
  assert_int_equal(f.t0, 29);
  assert_int_equal(f.t1, 30);
}

/* ---- The event window. */

static void test_event_window(void **state) {
  (void)state;
  spell sp[4];
  spell_row rows[] = {{1, "2020-01-05", "2020-01-31", 0}, {1, "2020-03-01", NULL, 1}};
  spell_table t = table_of(sp, rows, 2);
  /* The episode's last day Jan 30: Mar 1 is 31 days after it, inclusive;
   * the job of Jan 5 started before the window. */
  assert_int_equal(D("2020-03-01") - D("2020-01-30"), 31);
  assert_true(split_event_found(&t, -1, D("2020-01-30"), 1, 31));
  assert_false(split_event_found(&t, -1, D("2020-01-30"), 1, 30));
  assert_true(split_event_found(&t, -1, D("2020-01-30"), 31, 31));
  assert_true(split_event_found(&t, -1, D("2020-01-31"), 1, 31));   /* Mar 1 = Jan 31 + 30 */
  assert_false(split_event_found(&t, -1, D("2020-02-29"), 2, 31));  /* the next day only */
  assert_true(split_event_found(&t, -1, D("2020-02-29"), 1, 1));
  assert_true(split_event_found(&t, -1, D("2020-01-07"), -2, 0));   /* started 2 days before */
  assert_false(split_event_found(&t, -1, D("2020-01-07"), -1, 0));
  /* The condition: only the spell of Mar 1 matches bit 0. */
  assert_false(split_event_found(&t, 0, D("2020-01-07"), -2, 0));
  assert_true(split_event_found(&t, 0, D("2020-02-29"), 1, 1));
}

/* ---- The treatment. */

static void test_treatment(void **state) {
  (void)state;
  spell sp[4];
  split_episode e = {D("2020-02-01"), D("2020-06-30"), 1};
  split_followup f = followup(0, D("2020-06-30") - D("2020-02-01") + 1, 0, NEVER, NEVER);
  /* On the first day: treated from time 0. */
  spell_row first[] = {{1, "2020-02-01", "2020-03-31", 0}};
  spell_table t = table_of(sp, first, 1);
  split_treatment(&t, -1, &e, -1, &f);
  assert_int_equal(f.on, 0);
  assert_int_equal(f.off, NEVER);
  assert_false(f.earlier);
  /* Off again 10 days after its last day: from Apr 11, day 70. */
  split_treatment(&t, -1, &e, 10, &f);
  assert_int_equal(f.off, D("2020-04-11") - D("2020-02-01"));
  /* Started before the episode and still running: treated from 0. */
  spell_row before[] = {{1, "2020-01-15", NULL, 0}};
  t = table_of(sp, before, 1);
  split_treatment(&t, -1, &e, 5, &f);
  assert_int_equal(f.on, 0);
  assert_int_equal(f.off, NEVER); /* open: never off */
  /* After the episode's end: not treated. Ended before its start: earlier. */
  spell_row after[] = {{1, "2019-01-01", "2020-01-31", 0}, {1, "2020-07-01", "2020-09-30", 0}};
  t = table_of(sp, after, 2);
  split_treatment(&t, -1, &e, -1, &f);
  assert_int_equal(f.on, NEVER);
  assert_true(f.earlier);
  /* After the follow-up's last day (censored on May 1) but inside the episode. */
  spell_row late[] = {{1, "2020-05-02", "2020-05-31", 0}};
  t = table_of(sp, late, 1);
  split_followup g = followup(0, D("2020-05-01") - D("2020-02-01") + 1, 0, NEVER, NEVER);
  split_treatment(&t, -1, &e, -1, &g);
  assert_int_equal(g.on, NEVER);
  /* Only the first spell in the episode counts, and the condition's. */
  spell_row two[] = {{1, "2020-03-01", "2020-03-15", 0}, {1, "2020-04-01", "2020-04-30", 1}};
  t = table_of(sp, two, 2);
  split_treatment(&t, -1, &e, 0, &f);
  assert_int_equal(f.on, D("2020-03-01") - D("2020-02-01"));
  assert_int_equal(f.off, D("2020-03-16") - D("2020-02-01"));
  split_treatment(&t, 0, &e, 0, &f);
  assert_int_equal(f.on, D("2020-04-01") - D("2020-02-01"));
}

/* ---- Pieces. */

static void test_cut_on_the_boundary(void **state) {
  (void)state;
  split_piece p[NCUTS + 3];
  /* 91 days: (0, 91] is the first band entire; no piece (91, 91]. */
  split_followup f = followup(0, 91, 1, NEVER, NEVER);
  assert_int_equal(split_pieces(&f, CUTS, NCUTS, p), 1);
  assert_piece(&p[0], 0, 91, 0, 0, 1); /* an event right at the cut: in the band it ends */
  /* 92 days: the exit on day 91 is in the second band. */
  f = followup(0, 92, 1, NEVER, NEVER);
  assert_int_equal(split_pieces(&f, CUTS, NCUTS, p), 2);
  assert_piece(&p[0], 0, 91, 0, 0, 0);
  assert_piece(&p[1], 91, 92, 1, 0, 1);
  /* Entering on a cut point. */
  f = followup(91, 182, 0, NEVER, NEVER);
  assert_int_equal(split_pieces(&f, CUTS, NCUTS, p), 1);
  assert_piece(&p[0], 91, 182, 1, 0, 0);
  /* Past the last cut: the open band. */
  f = followup(600, 700, 1, NEVER, NEVER);
  assert_int_equal(split_pieces(&f, CUTS, NCUTS, p), 1);
  assert_piece(&p[0], 600, 700, 5, 0, 1);
  /* All bands. */
  f = followup(0, 1000, 0, NEVER, NEVER);
  assert_int_equal(split_pieces(&f, CUTS, NCUTS, p), 6);
  assert_piece(&p[5], 547, 1000, 5, 0, 0);
  /* No cut points: one band. */
  assert_int_equal(split_pieces(&f, NULL, 0, p), 1);
  assert_piece(&p[0], 0, 1000, 0, 0, 0);
}

static void test_treatment_pieces(void **state) {
  (void)state;
  split_piece p[NCUTS + 3];
  /* From the first day: no empty piece before it. */
  split_followup f = followup(0, 100, 1, 0, NEVER);
  assert_int_equal(split_pieces(&f, CUTS, NCUTS, p), 2);
  assert_piece(&p[0], 0, 91, 0, 1, 0);
  assert_piece(&p[1], 91, 100, 1, 1, 1);
  /* On a cut point: one boundary. */
  f = followup(0, 100, 0, 91, NEVER);
  assert_int_equal(split_pieces(&f, CUTS, NCUTS, p), 2);
  assert_piece(&p[0], 0, 91, 0, 0, 0);
  assert_piece(&p[1], 91, 100, 1, 1, 0);
  /* Inside a band, and off again inside the next. */
  f = followup(0, 200, 1, 50, 150);
  assert_int_equal(split_pieces(&f, CUTS, NCUTS, p), 5);
  assert_piece(&p[0], 0, 50, 0, 0, 0);
  assert_piece(&p[1], 50, 91, 0, 1, 0);
  assert_piece(&p[2], 91, 150, 1, 1, 0);
  assert_piece(&p[3], 150, 182, 1, 0, 0);
  assert_piece(&p[4], 182, 200, 2, 0, 1);
  /* Starting after the follow-up's end: nothing; on the last day: the last piece. */
  f = followup(0, 50, 0, 50, NEVER);
  assert_int_equal(split_pieces(&f, CUTS, NCUTS, p), 1);
  assert_piece(&p[0], 0, 50, 0, 0, 0);
  f = followup(0, 50, 0, 49, NEVER);
  assert_int_equal(split_pieces(&f, CUTS, NCUTS, p), 2);
  assert_piece(&p[1], 49, 50, 0, 1, 0);
  /* Switched on and off before the delayed entry: untreated; on before it: treated. */
  f = followup(100, 120, 0, 10, 60);
  assert_int_equal(split_pieces(&f, CUTS, NCUTS, p), 1);
  assert_piece(&p[0], 100, 120, 1, 0, 0);
  f = followup(100, 120, 0, 10, 110);
  assert_int_equal(split_pieces(&f, CUTS, NCUTS, p), 2);
  assert_piece(&p[0], 100, 110, 1, 1, 0);
  assert_piece(&p[1], 110, 120, 1, 0, 0);
  /* On and off on the same cut point. */
  f = followup(0, 300, 0, 182, 182);
  assert_int_equal(split_pieces(&f, CUTS, NCUTS, p), 4);
  for (int i = 0; i < 4; i++) assert_int_equal(p[i].treated, 0);
}

/* Random follow-ups, cut points and switches: the pieces tile (t0, t1]
 * without gaps or empty pieces, and every day's band and treatment (by
 * counting day by day) is its piece's. */
static void test_pieces_random(void **state) {
  (void)state;
  unsigned s = 12345;
#define RND(n) ((s = s * 1103515245u + 12345u) >> 8) % (unsigned)(n)
  int32_t cuts[8];
  split_piece p[8 + 3];
  for (int iter = 0; iter < 20000; iter++) {
    size_t nc = RND(6);
    int32_t c = 0;
    for (size_t k = 0; k < nc; k++) cuts[k] = c += 1 + (int32_t)RND(40);
    int32_t t0 = (int32_t)RND(60), t1 = t0 + 1 + (int32_t)RND(120);
    int32_t on = RND(4) ? (int32_t)RND(200) : NEVER;
    int32_t off = on != NEVER && RND(2) ? on + (int32_t)RND(80) : NEVER;
    int event = (int)RND(2);
    split_followup f = followup(t0, t1, event, on, off);
    size_t n = split_pieces(&f, cuts, nc, p);
    assert_true(n >= 1 && n <= nc + 3);
    assert_int_equal(p[0].a, t0);
    assert_int_equal(p[n - 1].b, t1);
    for (size_t i = 0; i < n; i++) {
      assert_true(p[i].b > p[i].a);
      if (i) assert_int_equal(p[i].a, p[i - 1].b);
      assert_int_equal(p[i].event, i == n - 1 && event);
      for (int32_t t = p[i].a; t < p[i].b; t++) { /* day t: the interval (t, t + 1] */
        int band = 0;
        while ((size_t)band < nc && cuts[band] <= t) band++;
        assert_int_equal(p[i].period, band);
        assert_int_equal(p[i].treated, on <= t && t < off);
      }
    }
  }
#undef RND
}

static void test_labels(void **state) {
  (void)state;
  char **v = split_period_labels(CUTS, NCUTS);
  assert_non_null(v);
  const char *want[] = {"0-91", "91-182", "182-273", "273-365", "365-547", "547+"};
  for (int i = 0; i < 6; i++) assert_string_equal(v[i], want[i]);
  assert_null(v[6]);
  peil_strings_free(v, 6);
  v = split_period_labels(NULL, 0);
  assert_string_equal(v[0], "0+");
  peil_strings_free(v, 1);
}

static void test_parse_status(void **state) {
  (void)state;
  char *t, *w;
  assert_ok(split_parse_status("  jobs  where contract == \"vast\" ", &t, &w));
  assert_string_equal(t, "jobs");
  assert_string_equal(w, "contract == \"vast\" ");
  free(t);
  free(w);
  assert_ok(split_parse_status("programme", &t, &w));
  assert_string_equal(t, "programme");
  assert_null(w);
  free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_adjacent_spells_merge), cmocka_unit_test(test_episodes_overlap_and_condition),
      cmocka_unit_test(test_window),                cmocka_unit_test(test_event_window),
      cmocka_unit_test(test_treatment),             cmocka_unit_test(test_cut_on_the_boundary),
      cmocka_unit_test(test_treatment_pieces),      cmocka_unit_test(test_pieces_random),
      cmocka_unit_test(test_labels),                cmocka_unit_test(test_parse_status),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
