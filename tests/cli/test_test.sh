#!/usr/bin/env bash
# peil test end to end: every reference case of tests/reference/stats
# (R 4.2.2's prop.test, binom.test, chisq.test, fisher.test, t.test,
# wilcox.test, on numbers and on the trial data set) run through the
# command line with --json and compared with R to 1e-8 (a third of the
# cases on numbers, all on data); the text report; output to a file.
. "$(dirname "$0")/lib.sh"
R="${PEIL_TESTS:?}/reference/stats"
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"
PY=/usr/bin/python3

# ---- Every case through the CLI, against R.
CHECKS=$((CHECKS + 1))
if [ -x "$PY" ]; then
  "$PY" - "$PEIL" "$R/cases.ini" "$R/data/trial.csv" "$T" <<'PYEOF' || fail "peil test --json against R"
import configparser, json, math, subprocess, sys
peil, ini, csv, tmp = sys.argv[1:5]
cp = configparser.ConfigParser(interpolation=None, comment_prefixes=(), delimiters=("=",))
cp.optionxform = str
cp.read(ini)

def nums(s):
    return [float("nan") if v.strip() == "NA" else float(v) for v in s.replace("\n", "").split(",") if v.strip()]

def command(name, c):
    t = c["test"]
    opts, pos = ["--json"], []
    if "alternative" in c: opts += ["--alternative", c["alternative"]]
    if "conf_level" in c: opts += ["--conf-level", c["conf_level"]]
    if c.get("correct") == "0": opts.append("--no-correct")
    if "p" in c: opts += ["--p", c["p"].replace("\n", "")]
    if "mu" in c: opts += ["--mu", c["mu"]]
    if c.get("var_equal") == "1": opts.append("--var-equal")
    if "exact" in c: opts += ["--exact", {"0": "no", "1": "yes"}[c["exact"]]]
    if "or" in c: opts += ["--or", c["or"]]
    if c.get("precise") == "1": opts.append("--precise")
    if t in ("prop", "binom"):
        pos = [t] + ["%.17g/%.17g" % (x, n) for x, n in zip(nums(c["x"]), nums(c["n"]))]
    elif t == "chisq":
        v, nc = c["table"].replace("\n", "").split(","), int(c["ncol"])
        pos = [t, ";".join(",".join(v[i:i + nc]) for i in range(0, len(v), nc))]
    elif t == "fisher":
        pos = [t, c["table"]]
    elif t in ("t", "wilcox"):
        pos = [t, c["x"].replace("\n", ""), c["y"].replace("\n", "")]
    elif t == "t_summary":
        opts.append("--summary")
        pos = ["t", c["sx"], c["sy"]]
    elif t == "data":
        pos = [c["kind"], csv]
        for k in ("value", "group", "levels", "rows", "cols", "where"):
            if k in c: opts += ["--" + k, c[k]]
    else:
        return None
    return [peil, "test"] + opts + ["--"] + pos

def close(got, want):
    if want is None or (isinstance(want, float) and math.isnan(want)): return got is None
    if math.isinf(want): return got is None  # JSON has no infinity: null
    return got is not None and abs(got - want) <= 1e-8 * abs(want)

# Every data and wilcox case, and every third of the others (with these,
# every option; the unit tests run all through the library): 20 s otherwise.
bad, ran = [], 0
for k, name in enumerate(cp.sections()):
    c = cp[name]
    cmd = command(name, c)
    if cmd is None or (c["test"] not in ("data", "wilcox") and "level90" not in name and k % 3): continue
    ran += 1
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        bad.append("%s: exit %d: %s" % (name, p.returncode, p.stderr.strip())); continue
    d = json.loads(p.stdout)
    row = d["tidy"][0]
    def check(what, got, want):
        if not close(got, want): bad.append("%s: %s = %r, R has %r" % (name, what, got, want))
    if row["method"] != c["method"].strip(): bad.append("%s: method %r" % (name, row["method"]))
    for key, field in (("statistic", "statistic"), ("parameter", "parameter"), ("p_value", "p_value"),
                       ("conf_low", "conf_low"), ("conf_high", "conf_high"), ("z", "z")):
        if key in c:
            src = d if key == "z" else row
            check(key, src.get(field), nums(c[key])[0])
    if "estimate" in c:
        want = nums(c["estimate"])
        got = [e["estimate"] for e in d["estimates"]]
        if len(got) != len(want): bad.append("%s: %d estimates" % (name, len(got)))
        for i, (g, w) in enumerate(zip(got, want)): check("estimate %d" % (i + 1), g, w)
        # broom's names: one estimate, or estimate1..k (and estimate = difference for t)
        if len(want) == 1: check("tidy estimate", row.get("estimate"), want[0])
        else:
            for i, w in enumerate(want): check("tidy estimate%d" % (i + 1), row.get("estimate%d" % (i + 1)), w)
    if "expected" in c:
        got = [v for r in d["table"]["expected"] for v in r]
        for i, (g, w) in enumerate(zip(got, nums(c["expected"]))): check("expected[%d]" % i, g, w)
    if " | ".join(d["warnings"]) != c.get("warnings", "").strip():
        bad.append("%s: warnings %r, R: %r" % (name, d["warnings"], c.get("warnings")))
    if "used" in c and d["rows"]["used"] != int(c["used"]):
        bad.append("%s: %d rows used, R %s" % (name, d["rows"]["used"], c["used"]))
    if not isinstance(d["n"], int) and c["test"] != "chisq": bad.append("%s: n %r is not a count" % (name, d["n"]))
print("%d cases through the command line" % ran)
for b in bad[:20]: print(b, file=sys.stderr)
sys.exit(1 if bad or ran < 60 else 0)
PYEOF
fi

# ---- The text report, as print.htest lays it out, with the counts.
expect_exit 0 "$PEIL" test prop 71/300 55/300 --no-correct
expect_out "2-sample test for equality of proportions without continuity correction"
expect_out "data:  71 out of 300 and 55 out of 300"
expect_out "X-squared = 2.5718, df = 1, p-value = 0.1088"
expect_out "z = 1.6037"
expect_out "95 percent confidence interval:"
expect_out " -0.01170852 0.1183752"
expect_out "0.2366667      0.1833333"
expect_out "1                             300           71"
expect_exit 0 "$PEIL" test prop 71/300 --p 0.2
expect_out "1-sample proportions test with continuity correction"
expect_exit 0 "$PEIL" test prop 71/300 --p 0.2 --correct no
expect_out "1-sample proportions test without continuity correction"
expect_out "alternative hypothesis: true p is not equal to 0.2"
expect_exit 0 "$PEIL" test binom 71/300
expect_out "number of successes = 71, number of trials = 300, p-value < 2.2e-16"
expect_exit 0 "$PEIL" test chisq "12,5,7;3,9,11"
expect_out "X-squared = 7.4138, df = 2, p-value = 0.02455"
expect_out "[1,]                7.65957      7.14894      9.19149"
expect_exit 0 "$PEIL" test chisq "3,1;1,3"
expect_out "Pearson's Chi-squared test with Yates' continuity correction"
expect_out "Chi-squared approximation may be incorrect"
expect_exit 0 "$PEIL" test fisher 3,1,1,3
expect_out "alternative hypothesis: true odds ratio is not equal to 1"
expect_out " 0.2117329 621.9338"
expect_exit 0 "$PEIL" test fisher "3,1;1,3" --precise
expect_out " 0.2117356 626.2435"
expect_exit 0 "$PEIL" test t --summary 10.2,2.1,40 9.1,2.5,35
expect_out "Welch Two Sample t-test"
expect_out "t = 2.0468, df = 66.759, p-value = 0.04462"
expect_exit 0 "$PEIL" test t --summary 10.2,2.1,40 9.1,2.5,35 --var-equal
expect_out "Two Sample t-test"
expect_exit 0 "$PEIL" test wilcox 1.83,0.5,1.62,2.48,1.68,1.88,1.55,3.06,1.3 0.878,0.647,0.598,2.05,1.06,1.29,1.06,3.14,1.29
expect_out "Wilcoxon rank sum test with continuity correction"
expect_out "cannot compute exact p-value with ties"

# On data: a store's table, the rows read and dropped, the group's levels.
"$PEIL" import "$R/data/trial.csv" -o "$T/trial.h5" --table trial -q || exit 1
expect_exit 0 "$PEIL" test t "$T/trial.h5" --value income --group treat --where "age >= 30"
expect_out "data:  income by treat ($T/trial.h5, table trial, where age >= 30)"
expect_out "Rows:  400 read, 101 filtered out, 3 with missing values (income: 2, treat: 1), 296 used"
expect_out "treat                           n"
expect_exit 0 "$PEIL" test prop "$T/trial.h5" --value in_work --group municipality
expect_out "4-sample test for equality of proportions without continuity correction"
expect_out "Rotterdam"
expect_exit 0 "$PEIL" test chisq "$T/trial.h5" --rows municipality --cols outcome
expect_out "Observed (rows municipality, columns outcome):"
expect_out "Den Haag                 31           42           29"
expect_exit 0 "$PEIL" test wilcox "$T/trial.h5" --value age --group municipality --levels Utrecht,Amsterdam
expect_out "municipality                    n"
expect_out "Rows:  400 read, 1 with missing values (age: 0, municipality: 1), 178 in other levels, 221 used"

# -o writes the report atomically; warnings go to standard error then.
expect_exit 0 "$PEIL" test chisq "3,1;1,3" --json -o "$T/chisq.json"
expect_err "warning: Chi-squared approximation may be incorrect"
CHECKS=$((CHECKS + 1))
grep -q '"method": "Pearson' "$T/chisq.json" || fail "-o did not write the report"
expect_exit 0 "$PEIL" test --help
expect_out "Usage: peil test TEST NUMBERS... [options]"
expect_exit 0 "$PEIL" --help
expect_out "tests and intervals as R gives them"

finish
