#!/usr/bin/env bash
# peil match end to end on the reference data sets: the report and its
# JSON, the matched sample store, the plots; and bad input: exit code 2, a
# message naming the place, nothing written.
. "$(dirname "$0")/lib.sh"
D="${PEIL_TESTS:?}/reference/matching/data"
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"
L="$D/lalonde.csv"
F="treat ~ age + educ + race + married + nodegree + re74 + re75"
PY=/usr/bin/python3

# A store with the data, for --table and --distance.
"$PEIL" import "$L" -o "$T/l.h5" --table lalonde -q || exit 1

# Nearest neighbour 1:1 with a caliper: the report, the sample, the plots.
expect_exit 0 "$PEIL" match "$T/l.h5" --table lalonde -f "$F" --caliper 0.2 --outcome re78 \
  -o "$T/m.h5" --love-plot "$T/love.svg" --trajectory "$T/traj.svg"
expect_out "nearest neighbour 1:1 on the logit propensity score, without replacement, caliper 0.2 SD"
expect_out "614 used (185 treated, 429 controls)"
expect_out "Before matching, all units unweighted"
# The pairs in the store are the ones test_match_reference checks; here:
# every treated unit with a control has weight 1 and its pair's subclass.
CHECKS=$((CHECKS + 1))
if [ -x "$PY" ] && "$PY" -c 'import h5py' 2>/dev/null; then
  "$PY" - "$T/m.h5" "$T/love.svg" "$T/traj.svg" <<'PYEOF' || fail "matched sample or plots"
import sys, h5py, numpy as np, xml.etree.ElementTree as ET
f = h5py.File(sys.argv[1], "r")
m, p = f["matched"], f["pairs"]
assert set(["row", "treat", "weight", "subclass", "distance", "race", "re78"]) <= set(m), list(m)
w, t = m["weight"][:], m["treat"][:]
assert len(w) == 614 and abs(w[t == 1].sum() - (w[t == 0] > 0).sum()) < 1e-9
assert (p["control_row"][:] >= 0).sum() == (w[t == 1] > 0).sum()
for s in sys.argv[2:]:
    ET.parse(s)
PYEOF
fi

# JSON: broom's names, the inputs, and the effects of both samples.
expect_exit 0 "$PEIL" match "$L" -f "$F" --method subclass --estimand ATE --outcome re78 --json
expect_out '"method": "subclass"'
expect_out '"std_mean_diff"'
expect_out '"before_matching"'
expect_out '"subclass_bounds"'

# A user score, exact strata, CEM with cut points, Mahalanobis, random pairs.
expect_exit 0 "$PEIL" match "$T/l.h5" -f "$F" --distance re74 --exact race --ratio 2 --replace
expect_out "on the given score 're74', with replacement"
expect_exit 0 "$PEIL" match "$L" -f "$F" --method cem --cutpoints age=20,25,30,35,40 --cutpoints educ=9,12,13
expect_exit 0 "$PEIL" match "$L" -f "$F" --distance mahalanobis --order data
expect_exit 0 "$PEIL" match "$L" -f "treat ~ race + married + nodegree" --method exact --ratio 1 --seed 7
expect_out "exact, random draws within strata (1:1, seed 7)"
# The same seed gives the same draw, another seed (usually) another.
"$PEIL" match "$L" -f "treat ~ race + married + nodegree" --method exact --ratio 1 --seed 7 --outcome re78 --json >"$T/a.json"
"$PEIL" match "$L" -f "treat ~ race + married + nodegree" --method exact --ratio 1 --seed 7 --outcome re78 --json --threads 1 >"$T/b.json"
CHECKS=$((CHECKS + 1))
cmp -s "$T/a.json" "$T/b.json" || fail "same seed, different output"

# ---- Bad input.
OUT="$T/bad.h5"
# A treatment that is not 0/1, naming the row.
expect_exit 2 "$PEIL" match "$L" -f "educ ~ age" -o "$OUT"
expect_err "treatment 'educ' must be 0 or 1: row 1 has 11"
expect_no_file "$OUT"
# No treated units, no controls.
expect_exit 2 "$PEIL" match "$L" -f "$F" --where "treat == 0" -o "$OUT"
expect_err "has no treated units (1)"
expect_exit 2 "$PEIL" match "$L" -f "$F" --where "treat == 1"
expect_err "has no controls (0)"
expect_no_file "$OUT"
# Unknown columns.
expect_exit 2 "$PEIL" match "$L" -f "treat ~ agee"
expect_err "unknown column 'agee'"
expect_exit 2 "$PEIL" match "$L" -f "$F" --exact regio
expect_err "--exact: unknown column 'regio'"
expect_exit 2 "$PEIL" match "$L" -f "$F" --outcome re79
expect_err "--outcome: unknown column 're79'"
# No overlap: a covariate that separates the groups perfectly.
expect_exit 2 "$PEIL" match "$L" -f "treat ~ I(treat * 2 + age / 1000)" -o "$OUT"
expect_err "propensity score model"
expect_no_file "$OUT"
# A caliper that leaves nobody matched.
expect_exit 2 "$PEIL" match "$T/l.h5" -f "$F" --where "(treat == 1 & age < 30) | (treat == 0 & age > 40)" \
  --distance age --caliper-abs 5 -o "$OUT"
expect_err "no treated unit was matched: every pair is farther apart than the caliper"
expect_no_file "$OUT"
# More controls asked for than there are: a note, and the rest goes on.
expect_exit 0 "$PEIL" match "$L" -f "$F" --ratio 3
expect_out "429 controls for 185 treated units at ratio 3; not all get 3"
# A stratum without controls: reported, the others are matched.
expect_exit 0 "$PEIL" match "$L" -f "treat ~ age + educ + married + re74" --exact race --where 'treat == 1 | race != "hispan"'
expect_out "stratum race=hispan: 11 treated units and no controls; they stay unmatched"
expect_exit 2 "$PEIL" match "$L" -f "$F" --exact re74
expect_err "--exact re74: column of table 'data' holds fractional numbers"
# Options that do not belong together.
expect_exit 2 "$PEIL" match "$L" -f "$F" --method exact --caliper 0.2
expect_err "--replace and --caliper belong to --method nearest"
expect_exit 2 "$PEIL" match "$L" -f "$F" --estimand ATE
expect_err "estimates the ATT or the ATC, not the ATE"
expect_exit 2 "$PEIL" match "$L" -f "$F" --method cem --cutpoints race=1,2
expect_err "--cutpoints race: the variable is categorical"
expect_exit 2 "$PEIL" match "$L" -f "$F" --ratio 0
expect_err "--ratio must be a whole number from 1 to 1000"
expect_exit 2 "$PEIL" match "$L"
expect_err "--formula is required"
finish
