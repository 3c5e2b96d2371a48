#!/usr/bin/env bash
# peil cohort end to end: the G4 example on a small simulated extract (text,
# JSON, --rows, --section), censoring as a warning, and bad specs: exit 2
# with the file and line, and nothing written.
. "$(dirname "$0")/lib.sh"
EX="${PEIL_TESTS:?}/../examples"
S="$T/g4.h5"
"$PEIL" simulate -o "$S" --persons 5000 --seed 11 -q || exit 1

# The G4 example: text with the main table, corrected next to uncorrected.
expect_exit 0 "$PEIL" cohort "$S" --spec "$EX/g4-cohort.ini"
expect_out "cohort g4: stock of bijstand on the reference date"
expect_out "9 reference dates 2018-01-01 .. 2022-01-01"
expect_out "outcome still: on bijstand same"
expect_out "lpm+6"
expect_out "logit+18"
expect_out "corrected difference to Den Haag (lpm"
expect_out "== subset srg"

# JSON: the three tables, and the rows store that the correction fitted.
expect_exit 0 "$PEIL" cohort "$S" --spec "$EX/g4-cohort.ini" --json -o "$T/g4.json" --rows "$T/rows.h5" -q
/usr/bin/python3 - "$T/g4.json" "$T/rows.h5" <<'PY' || fail "JSON or rows store not as expected"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["cohorts"][0]
assert d["command"] == "cohort" and c["name"] == "g4"
assert c["groups"] == ["Amsterdam", "Rotterdam", "Den Haag", "Utrecht"]
pooled = [r for r in c["outcome_table"] if r["subset"] == "all" and r["stratum"] == "all"
          and r["outcome"] == "still" and r["horizon"] == 12]
assert len(pooled) == 4
n = sum(r["n"] for r in pooled)
assert n == c["rows"]["person_dates"], (n, c["rows"])
for r in pooled:
    assert abs(r["mean"] - r["sum"] / r["n"]) < 1e-15
adj = [r for r in c["corrected_table"] if r["model"] == "lpm" and r["stratum"] == "all"
       and r["subset"] == "all" and r["outcome"] == "still" and r["horizon"] == 12]
assert len(adj) == 4 + 3, len(adj)   # 4 adjusted shares, 3 differences to Den Haag
try:
    import h5py
except ImportError:
    sys.exit(0)
rows = h5py.File(sys.argv[2], "r")["rows"]
assert len(rows["rin"]) == n
assert set(rows.keys()) >= {"rin", "date", "municipality", "in_srg", "duration", "age_band",
                            "sex", "migration", "still_6", "still_12", "still_18", "work_6"}
PY

# The exit cohorts of the STiP layout: event time, since-classes, windows.
expect_exit 0 "$PEIL" cohort "$S" --spec "$EX/exit-cohorts.ini"
expect_out "cohort stip_exits: last ended programme spell before the reference date"
expect_out "population by since"
expect_out "since 12-18 months"
expect_out "outcome unknown: none jobs, ww, bijstand"
expect_out "outcome months_work: months jobs 1..12 (mean)"

# The same numbers with one thread and with two (timings aside).
expect_exit 0 "$PEIL" cohort "$S" --spec "$EX/g4-cohort.ini" --json --threads 1 -o "$T/t1.json" -q
expect_exit 0 "$PEIL" cohort "$S" --spec "$EX/g4-cohort.ini" --json --threads 2 -o "$T/t2.json" -q
CHECKS=$((CHECKS + 1))
/usr/bin/python3 - "$T/t1.json" "$T/t2.json" <<'PY' || fail "1 and 2 threads differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    for c in d["cohorts"]:
        del c["seconds"]
assert a == b
PY

# --section picks one cohort; an unknown one is an error.
expect_exit 0 "$PEIL" cohort "$S" --spec "$EX/g4-cohort.ini" --section g4 -q
expect_exit 2 "$PEIL" cohort "$S" --spec "$EX/g4-cohort.ini" --section g5
expect_err "has no [cohort g5]"

# A horizon past the end of the data: censored, with a warning, not an error.
cat > "$T/late.ini" <<'INI'
[cohort late]
population = stock
dates = 2023-01-01
horizons = 6, 12
outcome.still = on bijstand
correct = none
INI
expect_exit 0 "$PEIL" cohort "$S" --spec "$T/late.ini"
expect_err "still_12: "
expect_err "censored (the horizon lies after the data's end, 2023-12-31)"
expect_out "NA"

# Bad specs: each names the file and line; no output file is left behind.
OUT="$T/out.txt"
bad() { # bad LINE-TEXT EXPECTED-MESSAGE
  printf '[cohort bad]\npopulation = stock\ndates = 2019-01-01\nhorizons = 6\noutcome.still = on bijstand\ncorrect = none\n%s\n' "$1" > "$T/bad.ini"
  expect_exit 2 "$PEIL" cohort "$S" --spec "$T/bad.ini" -o "$OUT"
  expect_err "$2"
  expect_no_file "$OUT"
}
bad "horizon = 6" "bad.ini:7: [cohort bad] unknown key 'horizon'"
bad "subset.x = srg where code == \"LKSPWT\"" "bad.ini:7: [cohort bad]"
bad "subset.x = srg where code == \"LKSPWT\"" 'unknown level "LKSPWT" of column'
bad "subset.x = srgg" "bad.ini:7: [cohort bad] the store $S has no table 'srgg'"
bad "outcome.w = on jobs where contrakt == \"vast\"" "bad.ini:7: [cohort bad] condition 'contrakt == \"vast\"': table 'jobs' has no column 'contrakt'"
bad "strata = regio" "bad.ini:7: [cohort bad] 'regio' is not duration, age_band, or a categorical column"
bad "groups = Amsterdam, Rotterdm" "bad.ini:7: [cohort bad] groups: 'Rotterdm' is not a level of bijstand.municipality"
bad "dates = 2014-01-01" "bad.ini:7: [cohort bad] reference date 2014-01-01 lies outside the data (2015-01-01 .. 2023-12-31)"
bad "outcome.x = ever jobs 12..6" "bad.ini:7: [cohort bad] outcome.x: expected 'ever TABLE A..B"
bad "outcome.x = ever jobs -0..6" "bad.ini:7: [cohort bad] outcome.x: expected 'ever TABLE A..B [where C]' with whole months -1200 <= A < B <= 1200 (negative: before the clock date), e.g. 'ever jobs 0..12' or 'ever jobs -24..0'"
bad "outcome.x = months jobs -6.." "bad.ini:7: [cohort bad] outcome.x: expected 'months TABLE A..B [where C]' with whole months -1200 <= A < B <= 1200"
bad "outcome.x = months jobs 0..-6" "e.g. 'months jobs 0..12' or 'months jobs -24..0'"
bad "outcome.x = months jobs -6..-6" "bad.ini:7: [cohort bad] outcome.x: expected 'months TABLE A..B"
bad "outcome.x = ever jobs -1201..0" "bad.ini:7: [cohort bad] outcome.x: expected 'ever TABLE A..B"
bad "[logit x]" "bad.ini:7: [logit x]: peil cohort reads [cohort NAME] sections"
printf '[cohort a]\npopulation = stock\n' > "$T/nodates.ini"
expect_exit 2 "$PEIL" cohort "$S" --spec "$T/nodates.ini"
expect_err "nodates.ini:1: [cohort a] dates is missing"
expect_exit 2 "$PEIL" cohort "$S" --spec "$T/missing.ini"
expect_err "cannot read spec"
expect_exit 2 "$PEIL" cohort "$S"
expect_err "--spec is required"
finish
