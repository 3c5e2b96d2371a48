#!/usr/bin/env bash
# peil logit/ols/glm end to end: the table and JSON reports, a CSV file as
# direct input giving the same fit as the store, -o, --exponentiate, and the
# same output for one thread and two. (Numbers against R: unit tests.)
. "$(dirname "$0")/lib.sh"
D="${PEIL_TESTS:?}/reference/glm/data"
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"
S="$T/g4.h5"
"$PEIL" import "$D/g4.csv" -o "$S" --table g4 --schema "$D/g4.schema.ini" -q || exit 1
F="bijstand_12m ~ municipality + age_band + sex * migration"

expect_exit 0 "$PEIL" ols "$S" --formula "$F" --ref municipality=Rotterdam --cluster rin --margins municipality
expect_out "Linear regression (gaussian family, identity link)"
expect_out "134 with missing values (migration: 134), 2,843 used"
expect_out "cluster-robust (CR1) on rin, 985 clusters"
expect_out "municipalityAmsterdam"
expect_out "Differences to Rotterdam"
cp "$T/out" "$T/store.txt"

# The CSV file directly: the same fit (the Data line aside).
expect_exit 0 "$PEIL" ols "$D/g4.csv" --schema "$D/g4.schema.ini" --formula "$F" --ref municipality=Rotterdam --cluster rin --margins municipality
diff <(grep -v '^Data:' "$T/store.txt") <(grep -v '^Data:' "$T/out") >/dev/null || fail "CSV input and store input differ"
[ -z "$(ls -A "$TMPDIR")" ] || fail "temporary store left in $TMPDIR"

# JSON: broom's names, row counts, margins; written atomically with -o.
expect_exit 0 "$PEIL" logit "$S" --formula "$F + duration" --vcov hc1 --margins municipality --ame --json -o "$T/fit.json"
CHECKS=$((CHECKS + 1))
python3 - "$T/fit.json" <<'PY' || fail "JSON report"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["command"] == "logit" and d["peil_version"]
assert d["inputs"]["vcov"] == "HC1" and d["inputs"]["link"] == "logit"
assert d["rows"]["used"] == 2843 and d["rows"]["missing_by"] == {"migration": 134}
c = d["coefficients"]
assert c[0]["term"] == "(Intercept)"
for row in c:
    assert set(row) >= {"term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"}
assert d["model"]["converged"] and d["model"]["iterations"] == 4
assert len(d["vcov"]["matrix"]) == len(c)
assert [l["term"] for l in d["margins"]["levels"]] == ["Amsterdam", "Den Haag", "Rotterdam", "Utrecht"]
assert d["margins"]["reference"] == "Amsterdam" and len(d["margins"]["differences"]) == 3
assert any(a["term"] == "sexvrouw" for a in d["ame"])
PY

# --exponentiate: odds ratios = exp(estimate), intervals too.
expect_exit 0 "$PEIL" logit "$S" --formula "$F" --json
cp "$T/out" "$T/plain.json"
expect_exit 0 "$PEIL" logit "$S" --formula "$F" --json --exponentiate
CHECKS=$((CHECKS + 1))
python3 - "$T/plain.json" "$T/out" <<'PY' || fail "--exponentiate"
import json, math, sys
a = json.load(open(sys.argv[1]))["coefficients"]
b = json.load(open(sys.argv[2]))["coefficients"]
for x, y in zip(a, b):
    assert abs(math.exp(x["estimate"]) - y["estimate"]) <= 1e-12 * y["estimate"]
    assert abs(math.exp(x["conf_high"]) - y["conf_high"]) <= 1e-12 * y["conf_high"]
    assert x["std_error"] == y["std_error"]
PY

# One thread or two: the same bytes (the JSON without its timings).
strip_seconds() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("seconds"); print(json.dumps(d, sort_keys=True))' "$1"; }
expect_exit 0 "$PEIL" logit "$S" --formula "$F" --cluster rin --margins municipality --ame --threads 1 --json
strip_seconds "$T/out" > "$T/t1.json"
expect_exit 0 "$PEIL" logit "$S" --formula "$F" --cluster rin --margins municipality --ame --threads 2 --json
strip_seconds "$T/out" > "$T/t2.json"
CHECKS=$((CHECKS + 1))
cmp -s "$T/t1.json" "$T/t2.json" || fail "1 and 2 threads give different output"

# Poisson with an offset through peil glm; probit; aliased terms reported.
expect_exit 0 "$PEIL" glm "$D/episodes.csv" --family poisson --formula "event ~ period + training + sex + offset(log(exposure))" --cluster rin
expect_out "Poisson regression (poisson family, log link)"
expect_exit 0 "$PEIL" probit "$D/persons.csv" --formula "werk ~ age + sex + education"
expect_out "Probit regression"
expect_exit 0 "$PEIL" ols "$D/collinear.csv" --formula "y ~ x1 + x2 + x3"
expect_out "(aliased)"
expect_err "(aliased with earlier terms): x3"
finish
