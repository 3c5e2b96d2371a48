/* peil run: the table of a [split NAME] section: the raw rates of the
 * split episodes by duration band and treatment (what the seed 003 report
 * shows before its model), with the totals over both. Events are persons'
 * exits: a count, protected with the totals; the rate is their share of
 * the exposure, suppressed with them. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "run_exec.h"

#define TOTAL "Total"

int run_tables_split(const run_section *s, const peil_split_summary *sum, run_tables *out) {
  char title[512];
  snprintf(title, sizeof title, "%s: events and exposure by duration band and treatment", s->name);
  peil_rtable *t = NULL;
  int rc = run_tables_new(out, s, NULL, title, &t);
  if (!rc) rc = peil_rtable_add_key(t, "period", PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_key(t, "treated", PEIL_RTABLE_TEXT);
  if (!rc) rc = peil_rtable_add_count(t, "events");
  if (!rc) rc = peil_rtable_add_n(t, "pieces", 0);
  if (!rc) rc = peil_rtable_add_n(t, "exposure_days", 0);
  /* A share of the events: suppressed with them, or rate x exposure would
   * give a suppressed count back. */
  if (!rc) rc = peil_rtable_add_share(t, "rate_per_1000_days", "events", "exposure_days", 1000, 4);
  if (!rc) rc = run_tables_dimension(out, "period");
  if (!rc) rc = run_tables_dimension(out, "treated");
  size_t np = sum->nperiods;
  for (size_t p = 0; !rc && p <= np; p++)
    for (int tr = 0; !rc && tr <= 2; tr++) {
      peil_split_cell c = {0, 0, 0};
      for (size_t q = 0; q < np; q++)
        for (int u = 0; u < 2; u++)
          if ((p == np || p == q) && (tr == 2 || tr == u)) {
            const peil_split_cell *z = &sum->cells[q * 2 + (size_t)u];
            c.pieces += z->pieces, c.events += z->events, c.exposure += z->exposure;
          }
      peil_rtable_value v[6] = {PEIL_RV_TEXT(p < np ? sum->periods[p] : TOTAL),
                                PEIL_RV_TEXT(tr == 2 ? TOTAL : tr ? "1" : "0"), PEIL_RV_INT(c.events),
                                PEIL_RV_INT(c.pieces), PEIL_RV_INT(c.exposure), PEIL_RV_NA};
      rc = peil_rtable_append(t, v, 6);
    }
  if (!rc)
    rc = peil_rtable_add_note(t, "%lld episodes of %lld persons split into %lld pieces (table '%s' for "
                              "later sections: from = %s); %lld events, %lld censored",
                              (long long)sum->n_kept, (long long)sum->n_persons_out, (long long)sum->n_pieces,
                              sum->table, s->name, (long long)sum->n_events, (long long)sum->n_censored);
  out->rows_read = sum->n_persons, out->rows_used = sum->n_pieces;
  return rc;
}
