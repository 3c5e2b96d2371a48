#!/usr/bin/env bash
# peil cohort against the independent pandas re-implementation of the G4
# table (tests/reference/cohort_g4.py, written from docs/cohort.md): on a
# simulated store (seed 7, 20,000 persons; the simulation is deterministic)
# peil's pooled, uncorrected outcome_table and population_table equal the
# committed reference tables, counts exactly and shares to 1e-12. When pandas
# is installed, the script is run again on the same store and must reproduce
# the committed files byte for byte, so they cannot drift from the script,
# and both are run on a copy of the store whose spells were rewritten to hit
# the boundary cases (overlapping spells, adjacent and one-day-apart spells,
# starts and ends on and next to the reference and horizon dates), per date.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
R="${PEIL_TESTS:?}/reference"
EXP="$R/cohort/g4_s7_20000.csv"
[ -x "$PY" ] || { echo "SKIP: $PY not found"; exit 77; }

S="$T/g4.h5"
expect_exit 0 "$PEIL" simulate -o "$S" --persons 20000 --seed 7 -q
# The G4 example without the correction (the uncorrected tables do not
# depend on it, and it is the slow part).
sed 's/^correct *=.*/correct = none/' "$PEIL_TESTS/../examples/g4-cohort.ini" > "$T/g4.ini"
grep -q '^correct = none$' "$T/g4.ini" || fail "examples/g4-cohort.ini has no 'correct =' line to replace"

expect_exit 0 "$PEIL" cohort "$S" --spec "$T/g4.ini" --json -o "$T/g4.json"
CHECKS=$((CHECKS + 1))
"$PY" "$R/cohort/compare.py" "$T/g4.json" "$EXP" >"$T/cmp.out" 2>"$T/cmp.err" \
  || { fail "peil cohort differs from the pandas reference"; sed 's/^/  /' "$T/cmp.err" >&2; }

# The committed tables are what the script makes of this store.
if "$PY" -c 'import h5py, numpy, pandas' 2>/dev/null; then
  expect_exit 0 "$PY" "$R/cohort_g4.py" "$S" "$T/ref.csv"
  CHECKS=$((CHECKS + 1))
  cmp -s "$T/ref.csv" "$EXP" || fail "cohort_g4.py no longer reproduces $EXP"
  CHECKS=$((CHECKS + 1))
  cmp -s "$T/ref_population.csv" "${EXP%.csv}_population.csv" \
    || fail "cohort_g4.py no longer reproduces ${EXP%.csv}_population.csv"

  cp "$S" "$T/edges.h5"
  expect_exit 0 "$PY" "$R/cohort/perturb.py" "$T/edges.h5" --seed 1
  printf '\nby_date = yes\n' >> "$T/g4.ini"
  expect_exit 0 "$PEIL" cohort "$T/edges.h5" --spec "$T/g4.ini" --json -o "$T/edges.json"
  expect_exit 0 "$PY" "$R/cohort_g4.py" "$T/edges.h5" "$T/edges.csv" --by-date
  CHECKS=$((CHECKS + 1))
  "$PY" "$R/cohort/compare.py" "$T/edges.json" "$T/edges.csv" >"$T/cmp.out" 2>"$T/cmp.err" \
    || { fail "peil cohort differs from the pandas reference on the boundary store"; sed 's/^/  /' "$T/cmp.err" >&2; }
else
  echo "note: no h5py/pandas for $PY; the committed reference tables are not re-made"
fi
finish
