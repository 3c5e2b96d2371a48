#!/usr/bin/env bash
# peil panel end to end on a small simulated extract: the panel's shape and
# attributes; every cell of every --at mode recomputed from the spell tables
# with numpy (an independent implementation); agreement with peil cohort
# (the stock on a date, its municipalities, and its status a year later);
# --keep any, --force, --threads; and bad input: exit 2, a message that
# names the place, and the store byte for byte as it was.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
"$PY" -c 'import h5py, numpy, pandas' 2>/dev/null || { echo "skipped: $PY lacks h5py, numpy or pandas"; exit 77; }
S="$T/g4.h5"
"$PEIL" simulate -o "$S" --persons 3000 --seed 11 -q || exit 1

expect_exit 0 "$PEIL" panel --help
expect_out "Usage: peil panel STORE --tables"
expect_exit 0 "$PEIL" --help
expect_out "panel"

# The panel over five years, with the values of two categorical columns.
expect_exit 0 "$PEIL" panel "$S" --tables bijstand,jobs,ww,srg --from 2018-01 --to 2022-12 \
  --values bijstand.municipality,jobs.contract,srg.code
expect_err "wrote 180,000 rows to $S:/panel (3,000 persons, 60 months 2018-01 .. 2022-12)"
expect_err "bijstand     1 in "
expect_exit 0 "$PEIL" info "$S" --table panel
expect_out "table panel: 180000 rows, 9 columns"
expect_out "overlaps any day of the month"

# Every cell recomputed from the spell tables: for each spell the months
# whose counting days it touches, the value of the latest start winning.
check_cells() { # check_cells TABLE AT
  CHECKS=$((CHECKS + 1))
  "$PY" - "$S" "$1" "$2" <<'PY' || fail "panel $1 (--at $2) differs from the spells"
import sys, calendar
import h5py, numpy as np
path, table, at = sys.argv[1:4]
f = h5py.File(path, "r")
p = f[table]
rins = f["persons/rin"][:]
months = np.array([np.datetime64("%d-%02d-01" % (y, m)) for y in range(2018, 2023) for m in range(1, 13)])
first = months.astype("datetime64[D]").astype(np.int64)
ndays = np.array([calendar.monthrange(y, m)[1] for y in range(2018, 2023) for m in range(1, 13)])
last = first + ndays - 1
if at == "any":
    lo, hi = first, last
elif at == "first":
    lo = hi = first
elif at == "last":
    lo = hi = last
else:
    lo = hi = first + np.minimum(int(at), ndays) - 1
P, M = len(rins), len(months)
assert len(p["rin"]) == P * M, len(p["rin"])
assert (p["rin"][:] == np.repeat(rins, M)).all()
assert (p["month"][:] == np.tile(first, P)).all()
pos = {r: i for i, r in enumerate(rins)}
values = {"bijstand": "municipality", "jobs": "contract", "srg": "code"}
for t in ["bijstand", "jobs", "ww", "srg"]:
    g = f[t]
    start = g["start"][:].astype(np.int64)
    end = g["end"][:].astype(np.int64)
    end[end == g["end"].attrs["missing"]] = 10**9          # open spells
    want = np.zeros((P, M), np.int8)
    val = np.full((P, M), -1, np.int64)
    code = g[values[t]][:] if t in values else None
    for i, r in enumerate(g["rin"][:]):                      # sorted by rin, start
        k = pos.get(r)
        if k is None:
            continue
        hit = (lo <= end[i]) & (hi >= start[i])
        want[k, hit] = 1
        if code is not None:
            val[k, hit] = code[i]                            # the latest start wins
    got = p[t][:].reshape(P, M)
    bad = np.argwhere(got != want)
    assert len(bad) == 0, (t, len(bad), bad[:3])
    if code is not None:
        col = p[t + "_" + values[t]]
        assert h5py.check_enum_dtype(col.dtype) == h5py.check_enum_dtype(g[values[t]].dtype)
        gotv = col[:].astype(np.int64).reshape(P, M)
        assert (gotv == val).all(), (t, np.argwhere(gotv != val)[:3])
PY
}
check_cells panel any
for at in first last 15 31; do
  expect_exit 0 "$PEIL" panel "$S" --tables bijstand,jobs,ww,srg --from 2018-01 --to 2022-12 \
    --values bijstand.municipality,jobs.contract,srg.code --at "$at" --table "panel_$at" -q
  check_cells "panel_$at" "$at"
done

# Against peil cohort: the stock on bijstand on 2019-01-01 by municipality
# is the panel's bijstand = 1 in 2019-01 with --at 1 by bijstand_municipality,
# and "on srg" then (horizon 0) and "on jobs" 12 months later are read off
# the same rows.
cat > "$T/stock.ini" <<'INI'
[cohort stock]
population = stock
dates = 2019-01-01
horizons = 0, 12
outcome.srg = on srg
outcome.work = on jobs
correct = none
INI
expect_exit 0 "$PEIL" cohort "$S" --spec "$T/stock.ini" --json -o "$T/stock.json" -q
CHECKS=$((CHECKS + 1))
"$PY" - "$S" "$T/stock.json" <<'PY' || fail "panel and cohort disagree"
import json, sys
import h5py, numpy as np, pandas as pd
f = h5py.File(sys.argv[1], "r")
c = json.load(open(sys.argv[2]))["cohorts"][0]
g = f["panel_first"]                                     # --at first = --at 1
levels = h5py.check_enum_dtype(g["bijstand_municipality"].dtype)
names = {v: k for k, v in levels.items()}
d = pd.DataFrame({k: g[k][:] for k in ["rin", "month", "bijstand", "jobs", "srg", "bijstand_municipality"]})
jan19 = np.datetime64("2019-01-01").astype("datetime64[D]").astype(int)
jan20 = np.datetime64("2020-01-01").astype("datetime64[D]").astype(int)
stock = d[(d.month == jan19) & (d.bijstand == 1)]
later = d[d.month == jan20].set_index("rin")
cells = {(r["group"], r["outcome"], r["horizon"]): r for r in c["outcome_table"]
         if r["subset"] == "all" and r["stratum"] == "all"}
pop = {r["group"]: r["n"] for r in c["population_table"] if r["subset"] == "all" and r["stratum"] == "all"}
for code, s in stock.groupby("bijstand_municipality"):
    city = names[code]
    assert pop[city] == len(s), (city, pop[city], len(s))
    assert cells[(city, "srg", 0)]["sum"] == s.srg.sum(), city
    assert cells[(city, "work", 12)]["sum"] == later.loc[s.rin, "jobs"].sum(), city
    assert cells[(city, "work", 12)]["n"] == len(s)
assert sum(pop.values()) == len(stock) > 100
PY

# --keep any: the rows of the full panel with a status 1.
expect_exit 0 "$PEIL" panel "$S" --tables bijstand,jobs,ww,srg --from 2018-01 --to 2022-12 \
  --keep any --table busy
expect_err "rows with a status 1"
CHECKS=$((CHECKS + 1))
"$PY" - "$S" <<'PY' || fail "--keep any is not the full panel's busy rows"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
full, busy = f["panel"], f["busy"]
keep = np.zeros(len(full["rin"]), bool)
for t in ["bijstand", "jobs", "ww", "srg"]:
    keep |= full[t][:] == 1
for col in ["rin", "month", "bijstand", "jobs", "ww", "srg"]:
    assert (busy[col][:] == full[col][:][keep]).all(), col
assert busy.attrs["panel_keep"] == "any"
PY

# The default months: the store's coverage (peil simulate: 2015-01 .. 2023-12).
expect_exit 0 "$PEIL" panel "$S" --tables programme --table whole --threads 1
expect_err "wrote 324,000 rows to $S:/whole (3,000 persons, 108 months 2015-01 .. 2023-12)"

# One thread or two: the same table.
expect_exit 0 "$PEIL" panel "$S" --tables bijstand,jobs --values jobs.contract --table t2 --threads 2 -q
expect_exit 0 "$PEIL" panel "$S" --tables bijstand,jobs --values jobs.contract --table t1 --threads 1 -q
CHECKS=$((CHECKS + 1))
"$PY" - "$S" <<'PY' || fail "1 and 2 threads differ"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
for c in f["t1"]:
    assert (f["t1"][c][:] == f["t2"][c][:]).all(), c
PY

# An existing table: an error without --force, replaced with it.
expect_exit 2 "$PEIL" panel "$S" --tables bijstand --table t1
expect_err "table 't1' exists already (replace it with --force)"
expect_exit 0 "$PEIL" panel "$S" --tables ww --table t1 --force -q
CHECKS=$((CHECKS + 1))
"$PY" -c 'import h5py, sys; assert list(h5py.File(sys.argv[1])["t1"]) == ["rin", "month", "ww"]' "$S" \
  || fail "--force did not replace t1"

# Bad input: exit 2, the message, and the store exactly as it was.
SUM=$(md5sum < "$S")
bad() { # bad EXPECTED-MESSAGE ARGS...  (the panel "scratch" is new; --table may override)
  local msg=$1
  shift
  expect_exit 2 "$PEIL" panel --table scratch "$@"
  expect_err "$msg"
  CHECKS=$((CHECKS + 1))
  [ "$(md5sum < "$S")" = "$SUM" ] || fail "the store changed: panel $*"
  ! ls -a "$T" | grep -q '^\.g4\.h5\.' || fail "a temporary file was left beside the store: panel $*"
}
bad "the store $S has no table 'bijstnd'" "$S" --tables bijstand,bijstnd
bad "values: jobs.contrakt: table 'jobs' has no column 'contrakt'" "$S" --tables jobs --values jobs.contrakt
bad "values: jobs.hours: column 'hours' of table 'jobs' is int16, not categorical" "$S" --tables jobs --values jobs.hours
bad "values: bijstand.municipality: table 'bijstand' is not one of the panel's tables" "$S" --tables jobs --values bijstand.municipality
bad "values: 'municipality' is not TABLE.COLUMN" "$S" --tables bijstand --values municipality
bad "table 'persons': no column 'start' (a spell table has rin, start and end)" "$S" --tables persons
bad "table 'truth': no column 'end'" "$S" --tables truth
bad "the first month (2022-12) is after the last (2018-01)" "$S" --tables bijstand --from 2022-12 --to 2018-01
bad "month 2024-01 lies outside the data (2015-01-01 .. 2023-12-31)" "$S" --tables bijstand --to 2024-01
bad "--from takes a month YYYY-MM (e.g. 2018-01), not '2018-13'" "$S" --tables bijstand --from 2018-13
bad "--to takes a month YYYY-MM (e.g. 2018-01), not '2018/12'" "$S" --tables bijstand --to 2018/12
bad "--at takes any, first, last or a day 1..31, not 'mid'" "$S" --tables bijstand --at mid
bad "--at takes any, first, last or a day 1..31, not '32'" "$S" --tables bijstand --at 32
bad "--keep takes all or any, not 'some'" "$S" --tables bijstand --keep some
bad "--tables is required" "$S"
bad "tables: 'jobs' is given twice" "$S" --tables jobs,bijstand,jobs
bad "the panel cannot be called 'jobs': that is one of its inputs" "$S" --tables jobs --table jobs --force
bad "no person table 'people'" "$S" --tables jobs --persons people
bad "the person table needs one row per person, sorted by rin" "$S" --tables bijstand --persons jobs
bad "expected one store" --tables jobs
expect_exit 2 "$PEIL" panel "$T/nope.h5" --tables jobs
expect_err "$T/nope.h5: no such file"
expect_no_file "$T/nope.h5"

# An unsorted spell table (imported from CSV): the reader names the row.
printf 'rin,birth_date\n100000001,1980-01-01\n100000002,1990-01-01\n100000003,1970-05-01\n' > "$T/persons.csv"
printf 'rin,start,end\n100000001,2018-01-05,2018-03-01\n100000003,2018-02-01,\n100000002,2018-01-01,2018-12-31\n' > "$T/spells.csv"
U="$T/unsorted.h5"
"$PEIL" import "$T/persons.csv" -o "$U" --table persons -q || exit 1
"$PEIL" import "$T/spells.csv" -o "$U" --table spells -q || exit 1
USUM=$(md5sum < "$U")
expect_exit 2 "$PEIL" panel "$U" --tables spells --from 2018-01 --to 2018-12
expect_err "table 'spells', row 3: not sorted by rin (rin 100000002 after 100000003); sort the table by rin, start"
CHECKS=$((CHECKS + 1))
[ "$(md5sum < "$U")" = "$USUM" ] || fail "the store changed after an unsorted table"
# No coverage attributes and no months given.
expect_exit 2 "$PEIL" panel "$U" --tables spells
expect_err "does not say when its data start (no root attribute data_start or sim_from): give the first month (--from)"
finish
