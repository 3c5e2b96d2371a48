#!/usr/bin/env bash
# History windows of peil cohort (ever/months with A < 0, months before the
# clock date) on a simulated extract whose data start on 2015-01-01, so that
# windows reaching further back are censored on the left: checked person-date
# by person-date (--rows) and cell by cell against an independent walk over
# the spells (tests/reference/cohort_history.py), for a stock with the
# calendar clock and exits with the event clock; the report names the side
# of the censoring and heads a window's column with its window.
. "$(dirname "$0")/lib.sh"
REF="${PEIL_TESTS:?}/reference"
S="$T/s.h5"
"$PEIL" simulate -o "$S" --persons 20000 --seed 7 -q || exit 1
cat > "$T/history.ini" <<'INI'
[cohort stock]
population = stock
dates = 2016-01-01, 2016-07-01, 2017-01-01, 2018-03-31, 2023-07-01
outcome.worked = months jobs -24..0
outcome.job2y = ever jobs -24..0
outcome.vast_before = ever jobs -12..-6 where contract == "vast"
outcome.around = months jobs -6..6
outcome.job_around = ever jobs -3..3
outcome.ww_year = months ww -12..0
by_date = yes
correct = lpm

[cohort exits]
population = exit
spells = programme
group = none
dates = 2017-01-01, 2020-06-30
outcome.worked = months jobs -24..0
outcome.job1y = ever jobs -12..0
outcome.bijstand_before = months bijstand -3..-1
outcome.around = months jobs -3..3
by_date = yes
correct = none
INI

expect_exit 0 "$PEIL" cohort "$S" --spec "$T/history.ini" --section stock
expect_out "outcome worked: months jobs -24..0 (mean)"
expect_out "-24..0 |       lpm"
expect_out "outcome job2y: ever jobs -24..0 (% of the observed)"
expect_err "worked: "
expect_err "person-dates censored (the window starts before the data's start, 2015-01-01)"
expect_err "around: "
expect_err "person-dates censored (the window ends after the data's end, 2023-12-31)"

for sec in stock exits; do
  expect_exit 0 "$PEIL" cohort "$S" --spec "$T/history.ini" --section "$sec" --json \
    -o "$T/$sec.json" --rows "$T/$sec-rows.h5" -q
  CHECKS=$((CHECKS + 1))
  /usr/bin/python3 "$REF/cohort_history.py" "$S" "$sec" "$T/$sec.json" "$T/$sec-rows.h5"
  case $? in 0) ;; 77) echo "skip: the reference needs h5py and numpy" >&2 ;; *) fail "$sec: peil and the reference differ" ;; esac
done

# The JSON says the window; the censoring is not empty on either side.
CHECKS=$((CHECKS + 1))
/usr/bin/python3 - "$T/stock.json" <<'PY' || fail "JSON of the history windows"
import json, sys
c = json.load(open(sys.argv[1]))["cohorts"][0]
w = {o["name"]: o["window_months"] for o in c["outcomes"]}
assert w["worked"] == [-24, 0] and w["vast_before"] == [-12, -6] and w["around"] == [-6, 6], w
cens = {r["outcome"]: r["censored"] for r in c["outcome_table"]
        if r["date"] == "pooled" and r["subset"] == "all" and r["stratum"] == "all" and r["group"] == "Amsterdam"}
assert cens["worked"] > 0 and cens["around"] > 0 and cens["vast_before"] == 0, cens
assert any(r["outcome"] == "job2y" and r["horizon"] == 0 for r in c["corrected_table"])
PY
finish
