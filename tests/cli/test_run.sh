#!/usr/bin/env bash
# peil run: a spec's tables, disclosure-controlled, with manifest.json,
# report.md and disclosure_audit.csv; the output directory replaced as a
# whole, and left as it was when a run fails; control off only on request.
. "$(dirname "$0")/lib.sh"
S="$T/g4.h5"
"$PEIL" simulate -o "$S" --persons 2000 --seed 1 -q || exit 1
OUT="$T/result"
cat > "$T/run.ini" <<'EOF2'
; a regression and a cross-tabulation of the simulated persons
[data]
store = g4.h5

[logit sex]
table = persons
formula = sex ~ migration + household
vcov = hc1
exponentiate = yes

[table by_city]
table = persons
rows = municipality
cols = migration
title = Persons by municipality and migration background
EOF2
expect_exit 0 "$PEIL" run "$T/run.ini" -o "$OUT" -q
for f in sex.csv sex.json sex.md by_city.csv by_city.json by_city.md manifest.json report.md disclosure_audit.csv; do
  CHECKS=$((CHECKS + 1)); [ -s "$OUT/$f" ] || fail "$f missing"
done
CHECKS=$((CHECKS + 1))
[ -z "$(ls -A "$OUT" | grep '^\.')" ] || fail "hidden files left in $OUT: $(ls -A "$OUT" | grep '^\.')"
CHECKS=$((CHECKS + 1))
[ -z "$(ls "$T" | grep peil-run)" ] && [ -z "$(ls -a "$T" | grep '\.result\.peil-run')" ] || fail "temporary directories left in $T"

# The tables: CSV, JSON and Markdown agree; suppressed cells are empty, x, null.
python3 - "$OUT" <<'EOF2' || fail "the tables"
import csv, json, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(out + "/by_city.csv")))
doc = json.load(open(out + "/by_city.json"))
assert len(rows) == len(doc["rows"]) == 5 * 8, len(rows)
total = [r for r in rows if r["municipality"] == "Total" and r["migration"] == "Total"][0]
assert total["n"] == "2000" and float(total["pct"]) == 100, total
# every published count >= 10, and a row with one suppressed cell has two
small = [r for r in rows if r["n"] and 0 < int(r["n"]) < 10]
assert not small, small
for city in set(r["municipality"] for r in rows):
    sup = [r for r in rows if r["municipality"] == city and r["n"] == ""]
    assert len(sup) != 1, city
assert any(r["suppressed"] == "n;pct" for r in rows)
md = open(out + "/by_city.md").read()
assert "| x |" in md.replace("|     x |", "| x |").replace("|    x |", "| x |"), md
coef = list(csv.DictReader(open(out + "/sex.csv")))
assert coef[0]["term"] == "(Intercept)" and coef[0]["n"] == "2000"
m = json.load(open(out + "/manifest.json"))
assert m["disclosure_control"]["min_cell"] == 10
assert len(m["store"]["sha256"]) == 64 and len(m["spec"]["sha256"]) == 64
assert "sim_seed" in m["store"]["attributes"]
assert [s["name"] for s in m["sections"]] == ["sex", "by_city"]
assert m["sections"][1]["tables"] == ["by_city"] and m["sections"][1]["rows_used"] == 2000
audit = list(csv.DictReader(open(out + "/disclosure_audit.csv")))
assert any(a["rule"] == "primary: fewer than 10" for a in audit)
assert any(a["rule"].startswith("secondary") for a in audit)
report = open(out + "/report.md").read()
assert report.index("## [logit sex]") < report.index("## [table by_city]")
EOF2

# The same spec again gives the same tables (the manifest's times differ).
cp -r "$OUT" "$T/first"
expect_exit 0 "$PEIL" run "$T/run.ini" -o "$OUT" -q
for f in sex.csv by_city.csv by_city.md disclosure_audit.csv report.md; do
  CHECKS=$((CHECKS + 1)); cmp -s "$T/first/$f" "$OUT/$f" || fail "$f differs between two runs"
done

# A section that fails at run time: exit 2, the previous output untouched.
sed 's/^formula = sex ~ migration + household$/formula = household ~ migration/' "$T/run.ini" > "$T/bad.ini"
expect_exit 2 "$PEIL" run "$T/bad.ini" -o "$OUT" -q
expect_err "[logit sex]"
CHECKS=$((CHECKS + 1)); cmp -s "$T/first/by_city.csv" "$OUT/by_city.csv" || fail "a failed run changed the output"
CHECKS=$((CHECKS + 1)); [ -z "$(ls -a "$T" | grep '\.result\.peil-run')" ] || fail "a failed run left its directory"

# Control off: only on request, logged, and said in every table.
expect_exit 0 "$PEIL" run "$T/run.ini" -o "$T/open" --no-disclosure-control -q
expect_err "disclosure control is OFF"
expect_exit 0 grep -q "disclosure control: off" "$T/open/by_city.md"
expect_exit 0 grep -q '"disclosure_control": "off' "$T/open/manifest.json"
CHECKS=$((CHECKS + 1)); grep -q "^Rotterdam,Westers,[0-9]" "$T/open/by_city.csv" || fail "control off still suppressed"

# [disclosure]: rounding to 10 (percentages from the unrounded counts).
printf '[disclosure]\nrounding = 10\nmin_cell = 15\n' | cat "$T/run.ini" - > "$T/round.ini"
expect_exit 0 "$PEIL" run "$T/round.ini" -o "$T/round" -q
python3 - "$T/round" "$OUT" <<'EOF2' || fail "rounding"
import csv, sys
r = {(x["municipality"], x["migration"]): x for x in csv.DictReader(open(sys.argv[1] + "/by_city.csv"))}
u = {(x["municipality"], x["migration"]): x for x in csv.DictReader(open(sys.argv[2] + "/by_city.csv"))}
# (the run at min_cell 10 suppressed other cells by the secondary rule)
both = [k for k in r if r[k]["n"] and u[k]["n"]]
assert len(both) > 20, len(both)
for k in both:
    assert int(r[k]["n"]) % 10 == 0, r[k]
    assert abs(int(r[k]["n"]) - int(u[k]["n"])) <= 5, (r[k], u[k])
    # from the unrounded counts, with the one decimal that is published
    assert r[k]["pct"] == f'{float(u[k]["pct"]):.1f}', (r[k], u[k])
assert all(int(x["n"]) >= 15 for x in r.values() if x["n"] and x["suppressed"] == "")
EOF2

# A cohort, and sections that read its person-date rows (from = g4).
cat > "$T/cohort.ini" <<'EOF2'
[data]
store = g4.h5
[cohort g4]
population = stock
spells = bijstand
group = municipality
groups = Amsterdam, Rotterdam, Den Haag, Utrecht
reference_group = Den Haag
dates = 2018-01-01..2019-01-01 every 6 months
horizons = 6, 12
outcome.still = on bijstand same
outcome.work = on jobs
strata = duration
duration_cuts = 12, 24
covariates = age_band, sex, duration
correct = lpm
correct_outcomes = still
[logit still]
from = g4
formula = still_6 ~ municipality + sex
cluster = rin
[table work]
from = g4
rows = municipality
cols = duration
value = work_12
EOF2
expect_exit 0 "$PEIL" run "$T/cohort.ini" -o "$T/cohort" -q
python3 - "$T/cohort" <<'EOF2' || fail "the cohort's tables"
import csv, json, sys
out = sys.argv[1]
m = json.load(open(out + "/manifest.json"))
tables = [t for s in m["sections"] for t in s["tables"]]
for t in ["g4_population", "g4_population_by_duration", "g4_outcomes", "g4_outcomes_by_duration",
          "g4_corrected", "still", "work"]:
    assert t in tables, (t, tables)
# the strata add up to their Total, and small counts are not published
rows = list(csv.DictReader(open(out + "/g4_outcomes_by_duration.csv")))
for r in rows:
    for c in ("n", "censored", "with_outcome"):
        assert r[c] == "" or int(r[c]) == 0 or int(r[c]) >= 10, r
# a 0/1 value of a table is a share: its count is controlled too
work = list(csv.DictReader(open(out + "/work.csv")))
assert "with_value" in work[0] and "mean" not in work[0]
assert any(r["with_value"] == "" for r in work)
assert all(r["with_value"] == "" or int(r["with_value"]) == 0 or int(r["with_value"]) >= 10 for r in work)
coef = list(csv.DictReader(open(out + "/still.csv")))
assert coef[1]["term"] == "municipalityRotterdam", coef[1]
EOF2
CHECKS=$((CHECKS + 1)); [ -z "$(ls "${TMPDIR:-/tmp}" | grep "peil-run-rows-$$")" ] || fail "row stores left"

# A cohort's paths through three moments and its co-occurrences: the
# numbers of peil cohort --json on the same section, nothing small
# published, no additive group with one suppressed cell, and for a pair
# also n_a - n_ab (those with a, without b) protected.
cat > "$T/paths.ini" <<'EOF2'
[data]
store = g4.h5
[cohort g]
population = stock
spells = bijstand
group = none
dates = 2018-01-01, 2019-01-01
by_date = yes
horizons = 12
outcome.work = on jobs
strata = age_band, sex
state.work = jobs
state.ww = ww
state.bijstand = bijstand
state_other = other
transitions = 0, 12, 24
cooccur.contract = jobs.contract 0..60
correct = none
EOF2
expect_exit 0 "$PEIL" run "$T/paths.ini" -o "$T/paths" -q
sed -n '/^\[cohort g\]/,$p' "$T/paths.ini" > "$T/paths-cohort.ini"
expect_exit 0 "$PEIL" cohort "$S" --spec "$T/paths-cohort.ini" --json -o "$T/paths.json"
CHECKS=$((CHECKS + 1)); [ ! -e "$T/paths/g_transitions.csv" ] || fail "three moments: the matrices are published twice"
python3 - "$T/paths" "$T/paths.json" g <<'EOF2' || fail "the paths tables"
import csv, json, sys
from collections import defaultdict
out, ref, name, mincell = sys.argv[1], json.load(open(sys.argv[2]))["cohorts"][0], sys.argv[3], 10
states, mom = ref["states"], ref["transition_months"]
cube = defaultdict(int)                 # (subset, date, group, stratum, level, a, b, c) -> n
for p in ref["path_table"]:
    cube[(p["subset"], p["date"], p["group"], p["stratum"], p["level"]) + tuple(p["path"])] += p["n"]
def want(cell, a, b, c):                # "Total": any state at that moment
    return sum(cube[cell + (x, y, z)] for x in states for y in states for z in states
               if a in ("Total", x) and b in ("Total", y) and c in ("Total", z))
a0, a1 = "at_%d" % mom[0], "at_%d" % mom[1]
counts = ["n"] + ["n_" + c for c in states]
published = 0
for st in [s["name"] for s in ref["strata"]]:
    f = "%s/%s_paths%s.csv" % (out, name, "" if st == "all" else "_by_" + st)
    rows = list(csv.DictReader(open(f)))
    for r in rows:
        lv = "Total" if st == "all" else r[st]
        cell = (r["subset"], r["date"], r["group"]) + (("all", "all") if lv == "Total" else (st, lv))
        n = want(cell, r[a0], r[a1], "Total")
        for c in states + ["Total"]:
            col = "n" if c == "Total" else "n_" + c
            v = want(cell, r[a0], r[a1], c)
            if r[col] == "":
                assert col in r["suppressed"].split(";"), r
            else:                                          # peil cohort's numbers, never a small one
                assert int(r[col]) == v and (v == 0 or v >= mincell), (f, r, col, v)
                published += 1
            if 0 < v < mincell: assert r[col] == "", (f, r, col)
            if c == "Total": continue
            pct = r["pct_" + c]                            # of the row, from the unrounded counts
            if n == 0: assert pct == "NA", r
            elif r[col] == "" or r["n"] == "": assert pct == "", r
            else: assert abs(float(pct) - 100 * v / n) < 1e-9, (r, c)
    # no group with exactly one suppressed cell: a row's sum over the last
    # moment, and every dimension's total with its parts
    for r in rows: assert sum(r[c] == "" for c in counts) != 1, r
    keys = ["subset", "date", "group"] + ([] if st == "all" else [st]) + [a0, a1]
    for dim in keys[1:2] + keys[3:]:
        groups = defaultdict(list)
        for r in rows: groups[tuple(r[k] for k in keys if k != dim)].append(r)
        for g in groups.values():
            if len(g) < 2: continue
            assert sum(x[dim] in ("Total", "pooled") for x in g) == 1, (dim, g[0])
            for c in counts: assert sum(x[c] == "" for x in g) != 1, (f, dim, c, g[0])
assert published > 50, published
EOF2
python3 - "$T/paths" "$T/paths.json" g <<'EOF2' || fail "the co-occurrence table"
import csv, json, sys
from collections import defaultdict
out, ref, name, mincell = sys.argv[1], json.load(open(sys.argv[2]))["cohorts"][0], sys.argv[3], 10
nab = defaultdict(int)                  # the whole population, pooled: what the table holds
for c in ref["cooccurrence_table"]:
    if c["stratum"] == "all" and c["date"] == "pooled":
        nab[(c["subset"], c["group"], c["cooccurrence"], c["a"], c["b"])] = c["n_ab"]
levels = {c["name"]: c["levels"] for c in ref["cooccurrences"]}
rows = list(csv.DictReader(open("%s/%s_cooccur.csv" % (out, name))))
assert {r["date"] for r in rows} == {"pooled"}
cells = {(r["subset"], r["group"]) for r in rows}
assert len(rows) == len(cells) * sum(len(L) * (len(L) + 1) // 2 for L in levels.values())   # each pair once
hidden_by_difference, state = 0, {}
for r in rows:
    k = (r["subset"], r["group"], r["cooccurrence"])
    L = levels[r["cooccurrence"]]
    assert L.index(r["a"]) <= L.index(r["b"]), r
    w = {"n_a": nab[k + (r["a"], r["a"])], "n_b": nab[k + (r["b"], r["b"])], "n_ab": nab[k + (r["a"], r["b"])]}
    w["n_a_not_b"], w["n_b_not_a"] = w["n_a"] - w["n_ab"], w["n_b"] - w["n_ab"]
    for col, v in w.items():
        if r[col] == "": assert col in r["suppressed"].split(";"), r
        else: assert int(r[col]) == v and (v == 0 or v >= mincell), (r, col, v)
        if 0 < v < mincell: assert r[col] == "", (r, col)
    # n_a - n_ab small: n_ab goes too, though it is not small itself
    hidden_by_difference += any(0 < w[d] < mincell <= w["n_ab"] for d in ("n_a_not_b", "n_b_not_a"))
    for grp in (("n_a", "n_ab", "n_a_not_b"), ("n_b", "n_ab", "n_b_not_a")):
        assert sum(r[c] == "" for c in grp) != 1, r
    for share, den in (("pct_of_a", "n_a"), ("pct_of_b", "n_b")):
        if w[den] == 0: assert r[share] == "NA", r
        elif r["n_ab"] == "" or r[den] == "": assert r[share] == "", r
        else: assert abs(float(r[share]) - 100 * w["n_ab"] / w[den]) < 1e-9, r
    for lv, col in ((r["a"], "n_a"), (r["b"], "n_b")):   # n_a: suppressed in all its rows or none
        assert state.setdefault(k + (lv,), r[col] == "") == (r[col] == ""), (r, col)
assert hidden_by_difference, "no pair with n_a - n_ab small in the test data"
EOF2

# --jobs 2: sections in parallel processes, the same tables.
expect_exit 0 "$PEIL" run "$T/cohort.ini" -o "$T/cohort2" --jobs 2 -q
for f in "$T"/cohort/*.csv "$T"/cohort/*.md; do
  CHECKS=$((CHECKS + 1)); cmp -s "$f" "$T/cohort2/$(basename "$f")" || fail "--jobs 2: $(basename "$f") differs"
done
sed 's/^formula = still_6 ~ municipality + sex$/formula = still_6 ~ municipality + nosuch_6/' "$T/cohort.ini" > "$T/cohortbad.ini"
expect_exit 2 "$PEIL" run "$T/cohortbad.ini" -o "$T/cohort2" --jobs 2 -q
expect_err "[logit still]"
CHECKS=$((CHECKS + 1)); cmp -s "$T/cohort/still.csv" "$T/cohort2/still.csv" || fail "a failed --jobs run changed the output"

# An interrupted run (SIGTERM, serial and --jobs 2) keeps the previous
# output and leaves neither its hidden directory nor its row stores behind.
# The signal goes as soon as the hidden directory appears: the cohort on
# 30,000 persons takes a second or more after that.
"$PEIL" simulate -o "$T/g4big.h5" --persons 30000 --seed 1 -q || fail "simulate"
mkdir -p "$T/tmp"
for jobs in 1 2; do
  TMPDIR="$T/tmp" "$PEIL" run "$PEIL_TESTS/../examples/g4.ini" --store "$T/g4big.h5" -o "$T/cohort" --jobs $jobs -q \
    2> "$T/err" &
  pid=$!
  for _ in $(seq 1000); do
    ls -a "$T" | grep -q '^\.cohort\.peil-run' && break
    sleep 0.01
  done
  kill -TERM $pid
  wait $pid
  got=$?
  CHECKS=$((CHECKS + 1)); [ $got = 143 ] || fail "--jobs $jobs: a run killed by SIGTERM exited with $got"
  CHECKS=$((CHECKS + 1)); [ -z "$(ls -a "$T" | grep '\.cohort\.peil-run')" ] || fail "--jobs $jobs: an interrupted run left its directory"
  CHECKS=$((CHECKS + 1)); [ -z "$(ls -A "$T/tmp")" ] || fail "--jobs $jobs: an interrupted run left $(ls -A "$T/tmp")"
  CHECKS=$((CHECKS + 1)); cmp -s "$T/cohort/still.csv" "$T/cohort2/still.csv" || fail "--jobs $jobs: an interrupted run changed the output"
done
CHECKS=$((CHECKS + 1)); [ -z "$(pgrep -f "run $PEIL_TESTS/../examples/g4.ini --section")" ] || fail "section processes left running"

# [match NAME]: the same figures as peil match.
"$PEIL" import "$PEIL_TESTS/reference/matching/data/lalonde.csv" -o "$T/lalonde.h5" --table lalonde -q || fail "import"
cat > "$T/match.ini" <<'EOF2'
[data]
store = lalonde.h5
[match psm]
table = lalonde
formula = treat ~ age + educ + race + married + nodegree + re74 + re75
caliper = 0.2
outcome = re78, married
EOF2
expect_exit 0 "$PEIL" run "$T/match.ini" -o "$T/match" -q
"$PEIL" match "$T/lalonde.h5" --table lalonde -f 'treat ~ age + educ + race + married + nodegree + re74 + re75' \
  --caliper 0.2 --outcome re78,married --json -o "$T/matched.h5" > "$T/match.json" || fail "peil match"
/usr/bin/python3 - "$T/match" "$T/match.json" "$T/matched.h5" <<'EOF2' || fail "match tables"
import csv, json, sys
import h5py, numpy as np
out, ref = sys.argv[1], json.load(open(sys.argv[2]))
# the outcomes table: the means of the treated, all controls and the matched
# controls (weighted), from the matched sample peil match writes
m = h5py.File(sys.argv[3], "r")["matched"]
treat, w = m["treat"][:], m["weight"][:]
got = {(r["outcome"], r["group"]): r for r in csv.DictReader(open(out + "/psm_outcomes.csv"))}
for y in ("re78", "married"):
    v = m[y][:]
    for group, sel, wt in (("treated", treat == 1, None), ("control, all", treat == 0, None),
                           ("control, matched", (treat == 0) & (w > 0), w)):
        r = got[(y, group)]
        mean = np.average(v[sel], weights=None if wt is None else wt[sel])
        assert abs(float(r["mean"]) - mean) <= 1e-9 * abs(mean), (r, mean)
        assert int(r["n"]) == sel.sum(), (r, sel.sum())
        ones = int((v[sel] == 1).sum())
        rarer = min(ones, int(sel.sum()) - ones) if y == "married" else int(sel.sum())
        assert int(r["n_rarer"]) == rarer, (r, rarer)
sizes = {r["group"]: r for r in csv.DictReader(open(out + "/psm_sizes.csv"))}
assert int(sizes["treated"]["matched"]) == ref["sizes"]["matched"]["treated"], sizes
eff = [r for r in csv.DictReader(open(out + "/psm_effects.csv")) if r["sample"] == "matched"]
assert abs(float(eff[0]["estimate"]) - ref["effects"][0]["estimate"]) < 1e-9 * abs(ref["effects"][0]["estimate"])
bal = {r["term"]: r for r in csv.DictReader(open(out + "/psm_balance.csv"))}
assert bal["racehispan"]["n_rarer_treated"] == "11", bal["racehispan"]
assert bal["age"]["n_rarer_treated"] == "185"
EOF2

# With caliper 1.5, 5 treated units find no control: that cell and the
# matched treated (secondary) are suppressed, and so is every cell that
# shows the same number: the matched controls (the pairs of 1:1 matching)
# and the n of the effects on the matched sample.
sed 's/^caliper = 0.2$/caliper = 1.5/' "$T/match.ini" > "$T/match15.ini"
expect_exit 0 "$PEIL" run "$T/match15.ini" -o "$T/match15" -q
python3 - "$T/match15" <<'EOF2' || fail "match: numbers shown twice"
import csv, sys
out = sys.argv[1]
sizes = {r["group"]: r for r in csv.DictReader(open(out + "/psm_sizes.csv"))}
assert sizes["treated"]["unmatched"] == "" and sizes["treated"]["matched"] == "", sizes
assert sizes["control"]["matched"] == "", sizes
eff = [r for r in csv.DictReader(open(out + "/psm_effects.csv")) if r["sample"] == "matched"]
assert eff and all(r["n_treated"] == "" and r["n_control"] == "" for r in eff), eff[0]
outs = [r for r in csv.DictReader(open(out + "/psm_outcomes.csv")) if r["group"] == "control, matched"]
assert all(r["n"] == "" for r in outs), outs
audit = list(csv.DictReader(open(out + "/disclosure_audit.csv")))
assert any(a["rule"].startswith("linked") for a in audit)
EOF2

# [test NAME]: the same numbers as peil test.
cat > "$T/test.ini" <<'EOF2'
[data]
store = lalonde.h5
[test earnings]
table = lalonde
test = t
value = re78
group = treat
[test race]
table = lalonde
test = chisq
rows = race
cols = treat
[test exits]
test = prop
counts = 71/300 55/300
EOF2
expect_exit 0 "$PEIL" run "$T/test.ini" -o "$T/tests" -q
"$PEIL" test t "$T/lalonde.h5" --table lalonde --value re78 --group treat --json > "$T/t.json" || fail "peil test"
python3 - "$T/tests" "$T/t.json" <<'EOF2' || fail "test tables"
import csv, json, sys
out, ref = sys.argv[1], json.load(open(sys.argv[2]))
ref = ref["tidy"][0]
row = list(csv.DictReader(open(out + "/earnings.csv")))[0]
assert abs(float(row["estimate"]) - ref["estimate"]) < 1e-9 * abs(ref["estimate"])
assert abs(float(row["p_value"]) - ref["p_value"]) < 1e-12, (row, ref["p_value"])
assert abs(float(row["statistic"]) - ref["statistic"]) < 1e-12
race = list(csv.DictReader(open(out + "/race.csv")))[0]
assert race["n_smallest_cell"] == "11" and float(race["statistic"]) > 200
exits = list(csv.DictReader(open(out + "/exits.csv")))[0]   # R: prop.test(c(71, 55), c(300, 300))
assert abs(float(exits["statistic"]) - 2.26039783002) < 1e-10 and abs(float(exits["p_value"]) - 0.132719962273) < 1e-11, exits
EOF2

# [split NAME] and a Poisson model of its episodes (from = NAME).
cat > "$T/hazard.ini" <<'EOF2'
[data]
store = g4.h5
[split episodes]
spells = bijstand
event = jobs
treatment = programme
cuts = 91, 182, 273, 365, 547
[glm hazard]
from = episodes
family = poisson
formula = event ~ period + treated + sex + offset(log(exposure))
cluster = rin
EOF2
expect_exit 0 "$PEIL" run "$T/hazard.ini" -o "$T/hazard" -q
"$PEIL" split "$S" -o "$T/episodes.h5" --treatment programme --cuts 91,182,273,365,547 -q || fail "peil split"
"$PEIL" glm "$T/episodes.h5" --table episodes --family poisson --cluster rin \
  --formula 'event ~ period + treated + sex + offset(log(exposure))' --json > "$T/hazard.json" || fail "peil glm"
python3 - "$T/hazard" "$T/hazard.json" <<'EOF2' || fail "hazard tables"
import csv, json, sys
out, ref = sys.argv[1], json.load(open(sys.argv[2]))
coef = {r["term"]: r for r in csv.DictReader(open(out + "/hazard.csv"))}
for c in ref["coefficients"]:
    assert abs(float(coef[c["term"]]["estimate"]) - c["estimate"]) <= 1e-12 * max(1, abs(c["estimate"])), c
    assert abs(float(coef[c["term"]]["std_error"]) - c["std_error"]) <= 1e-12 * c["std_error"], c
ep = list(csv.DictReader(open(out + "/episodes.csv")))
# a rate is never published beside a suppressed count of events
assert all(r["rate_per_1000_days"] == "" for r in ep if r["events"] == ""), ep
assert any(r["events"] == "" for r in ep)
EOF2

# The replication example runs on a small extract (make demo: the default one).
expect_exit 0 "$PEIL" run "$PEIL_TESTS/../examples/g4.ini" --store "$S" -o "$T/g4" -q
CHECKS=$((CHECKS + 1)); [ -s "$T/g4/g4_corrected.csv" ] && [ -s "$T/g4/work_12.md" ] || fail "examples/g4.ini tables"
expect_exit 0 "$PEIL" run "$PEIL_TESTS/../examples/hazard.ini" --store "$S" -o "$T/hz" -q
CHECKS=$((CHECKS + 1)); grep -q "^treated," "$T/hz/hazard.csv" && [ -s "$T/hz/episodes.md" ] || fail "examples/hazard.ini tables"

# examples/stip.ini on 30,000 persons (on 2,000 nobody of some age bands
# starts the programme, and the propensity model stops on separation, as it
# should): Table 4.1 as peil cohort gives it, VG2 as peil match gives it on
# the cohort's rows.
expect_exit 0 "$PEIL" run "$PEIL_TESTS/../examples/stip.ini" --store "$T/g4big.h5" -o "$T/stip" -q
for c in exits start2017; do
  sed -n "/^\[cohort $c\]/,/^\[/p" "$PEIL_TESTS/../examples/stip.ini" | sed '$d' > "$T/stip-$c.ini"
  "$PEIL" cohort "$T/g4big.h5" --spec "$T/stip-$c.ini" --json --rows "$T/stip-$c.h5" > "$T/stip-$c.json" ||
    fail "peil cohort $c"
done
WHERE='!in_parttime & !in_running & (stip == 1 | programme == 0) & age_band != ">= 60"'
OUTS=work_6,work_12,work_18,work_24,work_30,work_36,work_42,work_48
"$PEIL" match "$T/stip-start2017.h5" --table rows --where "$WHERE" -f 'stip ~ age_band + duration' \
  --method exact --ratio 1 --seed 1 --outcome $OUTS --json > "$T/stip-vg2.json" || fail "peil match vg2"
python3 - "$T/stip" "$T/stip-exits.json" "$T/stip-vg2.json" <<'EOF2' || fail "examples/stip.ini tables"
import csv, json, sys
out = sys.argv[1]
coh, vg2 = json.load(open(sys.argv[2]))["cohorts"][0], json.load(open(sys.argv[3]))
# Table 4.1: the position 12 months after the end of those who left 18
# months ago or more, in the four scenarios (subsets), each with its n
ref = {(r["subset"], r["outcome"]): r for r in coh["outcome_table"]
       if r["stratum"] == "since" and r["level"] == ">= 18 months" and r["horizon"] == 12 and r["date"] == "pooled"}
got = {(r["subset"], r["outcome"]): r for r in csv.DictReader(open(out + "/exits_outcomes_by_since.csv"))
       if r["since"] == ">= 18 months" and r["horizon"] == "12"}
for sub in ("all", "no_early", "no_other", "no_dropouts"):
    for y in ("work", "ww", "bijstand", "unknown"):
        r, g = ref[(sub, y)], got[(sub, y)]
        assert int(g["n"]) == r["n"] and int(g["with_outcome"]) == r["sum"], (g, r)
        assert abs(float(g["pct"]) - 100 * r["mean"]) <= 1e-12 * 100, (g, r)
# VG2: the same sizes and effects as peil match on the cohort's rows
sizes = {r["group"]: r for r in csv.DictReader(open(out + "/vg2_sizes.csv"))}
assert int(sizes["treated"]["matched"]) == vg2["sizes"]["matched"]["treated"], sizes
assert int(sizes["control"]["all"]) == vg2["sizes"]["all"]["control"], sizes
eff = [r for r in csv.DictReader(open(out + "/vg2_effects.csv")) if r["sample"] == "matched"]
assert len(eff) == len(vg2["effects"]) > 0
for g, r in zip(eff, vg2["effects"]):
    assert g["outcome"] == r["outcome"], (g, r)
    assert abs(float(g["estimate"]) - r["estimate"]) <= 1e-12, (g, r)
    assert abs(float(g["std_error"]) - r["std_error"]) <= 1e-12 * r["std_error"], (g, r)
# the propensity-score matching reports its balance and effects
bal = list(csv.DictReader(open(out + "/psm_balance.csv")))
assert any(r["term"] == "distance" for r in bal), bal[0]
EOF2
# examples/esf.ini (seed 002) on an extract with enough programme
# participants: its tables, every count rounded to tens, and values of
# peil cohort --json on the same cohort section (rounded half up; the
# shares from the unrounded counts).
"$PEIL" simulate -o "$T/esf.h5" --persons 20000 --seed 1 -q || fail "simulate esf.h5"
expect_exit 0 "$PEIL" run "$PEIL_TESTS/../examples/esf.ini" --store "$T/esf.h5" -o "$T/esf" -q
sed -n '/^\[cohort esf\]/,/^\[test/p' "$PEIL_TESTS/../examples/esf.ini" | sed '$d' > "$T/esf-cohort.ini"
expect_exit 0 "$PEIL" cohort "$T/esf.h5" --spec "$T/esf-cohort.ini" --json -o "$T/esf.json"
python3 - "$T/esf" "$T/esf.json" <<'EOF2' || fail "examples/esf.ini tables"
import csv, json, sys
out, ref = sys.argv[1], json.load(open(sys.argv[2]))["cohorts"][0]
m = json.load(open(out + "/manifest.json"))
tables = [t for s in m["sections"] for t in s["tables"]]
for t in ["esf_population_by_age_band", "esf_outcomes_by_age_band", "esf_outcomes_by_sex",
          "esf_outcomes_by_migration", "esf_paths", "esf_paths_by_age_band", "ri1", "ri2"]:
    assert t in tables, (t, tables)
assert "esf_transitions" not in tables
for t in tables:                        # every count, and every n declared rounded, a multiple of 10
    doc = json.load(open("%s/%s.json" % (out, t)))
    cols = [c["name"] for c in doc["columns"] if c["role"] == "count" or c.get("rounded")]
    assert doc["disclosure"]["rounding"] == 10, t
    for r in doc["rows"]:
        for c in cols: assert r[c] is None or r[c] % 10 == 0, (t, c, r)
rnd = lambda x: (x + 5) // 10 * 10
bands = [s["levels"] for s in ref["strata"] if s["name"] == "age_band"][0][:3]
assert bands == ["< 28", "28-49", ">= 50"], bands   # the report's bands
want = {(c["subset"], c["level"]): c for c in ref["outcome_table"]
        if c["stratum"] == "age_band" and c["outcome"] == "work" and c["horizon"] == 24}
checked = 0
for r in csv.DictReader(open(out + "/esf_outcomes_by_age_band.csv")):
    if r["outcome"] != "work" or r["horizon"] != "24" or r["age_band"] not in bands: continue
    c = want[(r["subset"], r["age_band"])]
    assert int(r["n"]) == rnd(c["n"]), (r, c)
    if r["with_outcome"] == "": continue
    assert int(r["with_outcome"]) == rnd(round(c["sum"])), (r, c)
    assert r["pct"] == f'{100 * c["mean"]:.1f}', (r, c)  # unrounded counts, one decimal
    checked += 1
assert checked >= 2, checked
# the paths' Total row: everyone's state a year after the planned end
paths = [p for p in ref["path_table"] if p["stratum"] == "all" and p["subset"] == "all"]
n, work = sum(p["n"] for p in paths), sum(p["n"] for p in paths if p["path"][2] == "work")
row = [r for r in csv.DictReader(open(out + "/esf_paths.csv"))
       if r["subset"] == "all" and r["at_0"] == "Total" and r["at_13"] == "Total"][0]
assert int(row["n"]) == rnd(n) and int(row["n_work"]) == rnd(work), (row, n, work)
assert row["pct_work"] == f"{100 * work / n:.1f}", row
EOF2

# A number shown in several cells is suppressed in all or none of them
# (run_tables_link): a row total repeated as the denominator of its cells
# (here the Surinaams total, suppressed to protect the Westers row, would
# otherwise stand as n_row = 13 beside it and give Westers away); a 0/1
# value's n_value where it equals the cell's n; and a cohort's population,
# in its population tables, as their denominators, and as the population
# (= n + censored) of every outcome row, by stratum and in total.
cat > "$T/linked.ini" <<'EOF2'
[data]
store = g4.h5
[table twoway]
table = persons
rows = migration
cols = sex
where = municipality == "Rotterdam" & household == "alleenstaande ouder"
[table oneway]
table = persons
rows = migration
value = sex == "vrouw"
where = municipality == "Rotterdam" & household == "alleenstaande ouder"
EOF2
expect_exit 0 "$PEIL" run "$T/linked.ini" -o "$T/linked" -q
python3 - "$T/linked" "$T/stip" "$T/esf" <<'EOF2' || fail "numbers shown twice"
import csv, collections, glob, os, sys
def rows(path): return list(csv.DictReader(open(path)))
def agree(cells, what):
    # cells: id -> list of published values ("" = suppressed)
    for k, v in cells.items():
        assert len(set(v)) == 1, (what, k, v)
lk = sys.argv[1]
tw = rows(lk + "/twoway.csv")
total = {r["migration"]: r["n"] for r in tw if r["sex"] == "Total"}
assert total["Surinaams"] == "" and total["Westers"] == "", total
cells = collections.defaultdict(list)
for r in tw:
    cells[r["migration"]].append(r["n_row"])
    if r["sex"] == "Total": cells[r["migration"]].append(r["n"])
agree(cells, "twoway n_row")
ow = rows(lk + "/oneway.csv")
t = [r for r in ow if r["migration"] == "Total"][0]
assert all(r["n_total"] == t["n"] for r in ow), ow
for r in ow:
    assert r["n_value"] == r["n"], r  # no missing values: the same persons
# 27 of the 29 Nederlands are women: the 2 men are a small cell too
ned = [r for r in ow if r["migration"] == "Nederlands"][0]
assert ned["without_value"] == "" and ned["with_value"] == "" and ned["pct_value"] == "", ned
def small(v): return v != "" and 0 < int(v) < 10
def one_of(r, cols): return sum(r[c] == "" for c in cols) == 1
# the cohorts of examples/stip.ini and examples/esf.ini
for out in sys.argv[2:]:
    cells = collections.defaultdict(list)
    for f in glob.glob(out + "/*_population*.csv") + glob.glob(out + "/*_outcomes*.csv") + glob.glob(out + "/*_means*.csv"):
        name = os.path.basename(f)[:-4]
        if "subset" not in open(f).readline().split(","): continue  # a matching's outcomes
        cohort = name.split("_")[0]
        by = name.split("_by_")[1] if "_by_" in name else None
        for r in rows(f):
            level = r[by] if by else "Total"
            key = (cohort, r["subset"], r["date"], r["group"]) + ((by, level) if level != "Total" else ())
            if "_population" in name:
                cells[key].append(r["n"])
                if by: cells[key[:4]].append(r["n_group"])
            else:
                cells[key].append(r["population"])
                # population = n + censored, n = with + without: no small
                # cell, no sum with exactly one part hidden
                for c in ("population", "n", "censored", "with_outcome", "without_outcome"):
                    assert not small(r.get(c, "")), (f, r)
                assert not one_of(r, ("population", "n", "censored")), (f, r)
                if "with_outcome" in r:
                    assert not one_of(r, ("n", "with_outcome", "without_outcome")), (f, r)
    assert len(cells) > 20, (out, len(cells))
    agree(cells, out)
EOF2

# Transitions between two moments by a stratum: the levels as peil cohort
# counts them, and their Total (the stratum "all"), declared, so that a
# level's small cell cannot be had from the Total and the other levels.
cat > "$T/tr-cohort.ini" <<'EOF2'
[cohort tr]
population = exit
spells = programme
group = none
dates = 2020-06-30
strata = since
horizons = 0
outcome.work = on jobs
state.work = jobs
state.ww = ww
state.bijstand = bijstand
state_other = unknown
transitions = 0, 12
correct = none
EOF2
printf '[data]\nstore = g4big.h5\n' | cat - "$T/tr-cohort.ini" > "$T/tr.ini"
expect_exit 0 "$PEIL" run "$T/tr.ini" -o "$T/tr" -q
"$PEIL" cohort "$T/g4big.h5" --spec "$T/tr-cohort.ini" --json > "$T/tr.json" || fail "peil cohort tr"
python3 - "$T/tr" "$T/tr.json" <<'EOF2' || fail "transitions by stratum"
import csv, json, sys, collections
out, ref = sys.argv[1], json.load(open(sys.argv[2]))["cohorts"][0]["transition_table"]
want = {(x["level"], x["from"], x["to"]): x["n"] for x in ref if x["stratum"] == "since"}
alln = {(x["from"], x["to"]): x["n"] for x in ref if x["stratum"] == "all"}
got = list(csv.DictReader(open(out + "/tr_transitions_by_since.csv")))
checked = 0
for g in got:
    if g["n"] == "" or g["to"] == "Total" or g["since"] == "unknown": continue
    n = int(g["n"])
    assert n == 0 or n >= 10, g
    w = alln[(g["from"], g["to"])] if g["since"] == "Total" else want.get((g["since"], g["from"], g["to"]), 0)
    assert n == w, (g, w)
    checked += 1
assert checked > 20, checked
# no sum over the levels with exactly one part hidden
parts = collections.defaultdict(list)
for g in got:
    parts[(g["from"], g["to"])].append(g["n"])  # the levels and their Total
assert all(sum(v == "" for v in p) != 1 for p in parts.values()), parts
EOF2

# [data] table.NAME = LEFT join RIGHT: the programme spells with the
# person's columns, as pandas merges them; the same with --jobs 2.
cat > "$T/join.ini" <<'EOF2'
[data]
store = g4big.h5
table.participants = programme join persons
[table reasons]
table = participants
rows = exit_reason
cols = education
[logit regular]
table = participants
formula = exit_reason == "regulier werk" ~ sex + education
EOF2
expect_exit 0 "$PEIL" run "$T/join.ini" -o "$T/join" -q
expect_exit 0 "$PEIL" run "$T/join.ini" -o "$T/join2" -q --jobs 2
CHECKS=$((CHECKS + 1)); cmp -s "$T/join/reasons.csv" "$T/join2/reasons.csv" && cmp -s "$T/join/regular.csv" "$T/join2/regular.csv" ||
  fail "join: --jobs 2 differs"
/usr/bin/python3 - "$T/join" "$T/g4big.h5" <<'EOF2' || fail "join tables"
import csv, sys
import h5py, numpy as np, pandas as pd
out, f = sys.argv[1], h5py.File(sys.argv[2], "r")
def table(name, cols):
    g = f[name]
    d = {}
    for c in cols:
        v = g[c][:]
        levels = dict((int(x), k) for k, x in h5py.check_enum_dtype(g[c].dtype).items()) if h5py.check_enum_dtype(g[c].dtype) else None
        d[c] = [levels.get(int(x)) for x in v] if levels else v
    return pd.DataFrame(d)
prog, pers = table("programme", ["rin", "exit_reason"]), table("persons", ["rin", "education"])
m = prog.merge(pers, on="rin", how="left").dropna(subset=["exit_reason"])
want = m.groupby(["exit_reason", "education"]).size()
got = {(r["exit_reason"], r["education"]): r["n"] for r in csv.DictReader(open(out + "/reasons.csv"))}
checked = 0
for (a, b), n in want.items():
    g = got[(a, b)]
    assert g == "" or int(g) == n, (a, b, g, n)
    checked += g != ""
assert checked >= 8, checked
EOF2

# The default output directory: the spec's name + -output, in the current one.
(cd "$T" && "$PEIL" run run.ini -q) || fail "run without -o"
CHECKS=$((CHECKS + 1)); [ -s "$T/run-output/report.md" ] || fail "no run-output/report.md"
finish
