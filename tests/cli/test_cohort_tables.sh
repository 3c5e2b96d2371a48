#!/usr/bin/env bash
# peil cohort's categorical tables end to end: time to the first job, a
# transition matrix at three moments and a co-occurrence matrix on a small
# simulated extract, checked against an independent walk over the spells
# (tests/reference/cohort_tables.py) and against identities that must hold
# (the first bin is "ever in the first 3 months"; the categories add up to
# everybody; the matrices are the sums of the paths); bad specs name their line.
. "$(dirname "$0")/lib.sh"
REF="${PEIL_TESTS:?}/reference"
S="$T/s.h5"
"$PEIL" simulate -o "$S" --persons 20000 --seed 3 -q || exit 1
cat > "$T/tables.ini" <<'INI'
[cohort exits]
population = exit
spells = programme
group = none
dates = 2020-06-30
strata = since
outcome.first_job = first jobs 0..12 bins 3, 6
outcome.first_contract = first jobs 0..12 by contract
outcome.job_3m = ever jobs 0..3
state.work = jobs
state.ww = ww
state.bijstand = bijstand
state_other = unknown
transitions = 0, 12, 24
cooccur.provisions = srg.code 0..12
cooccur.before = srg.code -12..0
correct = none
INI
expect_exit 0 "$PEIL" cohort "$S" --spec "$T/tables.ini"
expect_out "outcome first_job: first jobs 0..12 bins 3, 6 (% of the observed in each category)"
expect_out "transitions between states at month 0, 12 and 24"
expect_out "paths 0 > 12 > 24"
expect_out "co-occurrence provisions: srg.code 0..12"
expect_exit 0 "$PEIL" cohort "$S" --spec "$T/tables.ini" --json -o "$T/t.json" -q
CHECKS=$((CHECKS + 1))
/usr/bin/python3 - "$T/t.json" <<'PY' || fail "identities of the categorical tables"
import json, sys
from collections import defaultdict
c = json.load(open(sys.argv[1]))["cohorts"][0]
cells = defaultdict(dict)
for r in c["outcome_table"]:
    cells[(r["subset"], r["date"], r["stratum"], r["level"])][r["outcome"]] = r
for k, v in cells.items():
    fam = [r for o, r in v.items() if o.startswith("first_job_")]
    assert len(fam) == 4 and len({r["n"] for r in fam}) == 1, k
    assert abs(sum(r["mean"] for r in fam) - 1) < 1e-12, k
    con = [r for o, r in v.items() if o.startswith("first_contract_")]
    assert sum(r["sum"] for r in con) <= v["first_job_none"]["n"], k
    assert v["first_job_0_3"]["sum"] == v["job_3m"]["sum"], k
paths = defaultdict(int)
for r in c["path_table"]:
    paths[(r["stratum"], r["level"], r["path"][0], r["path"][1])] += r["n"]
for r in c["transition_table"]:
    if r["from_month"] == 0:
        assert r["n"] == paths[(r["stratum"], r["level"], r["from"], r["to"])], r
for r in c["cooccurrence_table"]:
    if r["a"] == r["b"]:
        assert r["share"] == 1 and r["n_ab"] == r["n_a"], r
PY
CHECKS=$((CHECKS + 1))
/usr/bin/python3 "$REF/cohort_tables.py" "$S" "$T/t.json"
case $? in 0) ;; 77) echo "skip: the reference needs h5py and pandas" >&2 ;; *) fail "peil and the reference differ" ;; esac

# Bad specs: each names the file and line; no output file is left behind.
OUT="$T/out.txt"
bad() { # bad LINE-TEXT EXPECTED-MESSAGE
  printf '[cohort bad]\npopulation = stock\ndates = 2019-01-01\nhorizons = 6\noutcome.still = on bijstand\ncorrect = none\n%s\n' "$1" > "$T/bad.ini"
  expect_exit 2 "$PEIL" cohort "$S" --spec "$T/bad.ini" -o "$OUT"
  expect_err "$2"
  expect_no_file "$OUT"
}
bad "outcome.f = first jobs 0..12 bins 3, 13" "bad.ini:7: [cohort bad] outcome.f: bin limit '13' is not a whole number of months between 0 and 12"
bad "outcome.f = first jobs -3..0 bins 1" "bad.ini:7: [cohort bad] outcome.f: a first window starts at the clock date or later (0 <= A < B), not '-3..0'; for the history use 'ever' or 'months', e.g. 'ever jobs -3..0'"
bad "outcome.f = first jobs -0..12 bins 3" "bad.ini:7: [cohort bad] outcome.f: expected 'first TABLE A..B bins C1, C2 [where C]' with whole months 0 <= A < B <= 1200, e.g. 'first jobs 0..12 bins 3, 6'"
bad "outcome.f = first jobs 0..12 by sectr" "bad.ini:7: [cohort bad] table 'jobs': no column 'sectr'"
bad "outcome.f = first jobs 0..12 by hours" "bad.ini:7: [cohort bad] table 'jobs': column 'hours' is not categorical"
bad "cooccur.c = srg" "bad.ini:7: [cohort bad] cooccur.c: expected 'TABLE.COLUMN [A..B] [where C]'"
bad "cooccur.c = srg.code 12..-12" "bad.ini:7: [cohort bad] cooccur.c: '12..-12' is not a window of whole months A..B with -1200 <= A < B <= 1200 (negative: before the clock date), e.g. 'srg.code 0..12' or 'srg.code -12..0'"
bad "cooccur.c = srg.kode" "bad.ini:7: [cohort bad] table 'srg': no column 'kode'"
bad "cooccur.c = srg.code where kode == 1" "bad.ini:7: [cohort bad] condition 'kode == 1': table 'srg' has no column 'kode'"
bad "transitions = 0, 12" "bad.ini:7: [cohort bad] transitions need states"
bad "state.work = jobs" "bad.ini:7: [cohort bad] states need 'transitions'"
bad $'transitions = 0, 6\nstate.work = banen' "bad.ini:8: [cohort bad] the store $S has no table 'banen'"
finish
