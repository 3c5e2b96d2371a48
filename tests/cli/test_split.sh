#!/usr/bin/env bash
# peil split end to end on a small simulated extract: the report (text and
# JSON) against the table it wrote (h5py), the table's invariants per
# episode, the seed 003 model through peil glm, writing into the input store
# itself, --force, one thread or two; and bad input: exit 2, a message that
# names the place, and no output (or the output store byte for byte as it
# was). The numbers themselves are checked against R in
# test_split_reference.sh.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
S="$T/g4.h5"
"$PEIL" simulate -o "$S" --persons 2000 --seed 5 -q || exit 1

expect_exit 0 "$PEIL" split --help
expect_out "Usage: peil split STORE -o OUT.h5"
expect_out "--treatment-end stays|K"
expect_exit 0 "$PEIL" --help
expect_out "split"

# The split of the seed 003 model: bijstand episodes, exit to a job within
# 31 days, the programme as the treatment.
O="$T/ep.h5"
expect_exit 0 "$PEIL" split "$S" -o "$O" --treatment programme
expect_out "pieces of "
expect_out "follow-up 2015-01-01 .. 2023-12-31"
expect_out "547+"
expect_exit 0 "$PEIL" info "$O" --table episodes
expect_out "period                 enum(6)"
expect_out "split_cuts         91, 182, 273, 365, 547"
expect_exit 0 "$PEIL" split "$S" -o "$O" --treatment programme --table json --json --threads 1
cp "$T/out" "$T/ep.json"
expect_out '"command": "split"'
expect_out '"rate_per_1000_days"'

# The report is the table's: counts, and events and exposure by period and
# treatment; and every episode's pieces tile its follow-up.
if "$PY" -c 'import h5py, numpy' 2>/dev/null; then
  CHECKS=$((CHECKS + 1))
  "$PY" - "$O" "$T/ep.json" <<'PY' || fail "the report or the table is not right"
import json, sys
import h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
doc = json.load(open(sys.argv[2]))
n = doc["counts"]
for name in ["episodes", "json"]:
    g = f[name]
    c = {k: g[k][:] for k in ["rin", "episode", "tstart", "tstop", "exposure", "event", "period", "treated"]}
    assert len(c["rin"]) == n["pieces"], (len(c["rin"]), n["pieces"])
    assert c["event"].sum() == n["events"]
    assert c["exposure"].sum() == n["exposure"]
    assert (c["exposure"] == c["tstop"] - c["tstart"]).all() and (c["exposure"] > 0).all()
    key = c["rin"].astype(np.int64) * 100 + c["episode"]
    assert (np.diff(key) >= 0).all()                             # rin, episode order
    same = np.diff(key) == 0
    assert (c["tstart"][1:][same] == c["tstop"][:-1][same]).all()  # contiguous pieces
    last = np.append(~same, True)
    assert (c["event"][~last] == 0).all()                        # events on last pieces only
    assert len(np.unique(key)) == n["kept"]
    cuts = np.array([91, 182, 273, 365, 547])
    assert (np.searchsorted(cuts, c["tstart"], side="right") == c["period"]).all()
    # a piece never straddles a cut point
    nxt = cuts[np.minimum(c["period"], len(cuts) - 1)]
    assert ((c["period"] == len(cuts)) | (c["tstop"] <= nxt)).all()
    levels = h5py.check_enum_dtype(g["period"].dtype)
    assert sorted(levels, key=levels.get) == ["0-91", "91-182", "182-273", "273-365", "365-547", "547+"]
    for r in doc["rates"]:
        m = (c["period"] == levels[r["period"]]) & (c["treated"] == r["treated"])
        assert m.sum() == r["pieces"] and c["event"][m].sum() == r["events"], r
        assert c["exposure"][m].sum() == r["exposure"], r
    treated = np.zeros(len(key), bool)
    ep_treated = {k for k, t in zip(key, c["treated"]) if t}
    assert len(ep_treated) == n["treated"]
    assert g.attrs["split_treatment"] == "programme"
assert n["kept"] == n["episodes"] - n["outside"] - n["age"] - n["filtered"]
assert n["ended"] + n["censored"] == n["kept"]
assert doc["inputs"]["cuts"] == [91, 182, 273, 365, 547] and doc["inputs"]["within"] == [1, 31]
PY
else
  echo "note: no h5py for $PY; the table is not checked against the report"
fi

# The seed 003 model: hazard ratios per day, SEs clustered on the person.
expect_exit 0 "$PEIL" glm "$O" --table episodes --family poisson --exponentiate --cluster rin \
  --formula "event ~ period + treated + sex + age_class + earlier + offset(log(exposure))"
expect_out "period547+"
expect_out "treated"
expect_out "exp(est.)"

# Options: the where filter and age range, another event, treatment end.
expect_exit 0 "$PEIL" split "$S" -o "$O" --table recent --where 'year >= 2016 & year <= 2020' \
  --age 18..64 --event ended --treatment programme --treatment-end 0 --cuts 182,365 \
  --covariates sex,age_class,earlier --gap 31 --within -14..62 --json
CHECKS=$((CHECKS + 1))
"$PY" - "$T/out" <<'PY' || fail "--where/--age did not filter"
import json, sys
d = json.load(open(sys.argv[1]))
n = d["counts"]
assert n["filtered"] > 0 and n["age"] >= 0 and n["kept"] > 0, n
assert n["events"] == n["ended"], n            # --event ended
assert [r["period"] for r in d["rates"]][::2] == ["0-182", "182-365", "365+"]
assert d["inputs"]["treatment_end"] == 0 and d["inputs"]["gap"] == 31
PY

# Into the input store itself: added beside the inputs, which stay.
cp "$S" "$T/self.h5"
expect_exit 0 "$PEIL" split "$T/self.h5" -o "$T/self.h5" --treatment programme -q
expect_exit 0 "$PEIL" info "$T/self.h5"
expect_out "episodes"
expect_out "bijstand"
expect_exit 0 "$PEIL" export "$T/self.h5" --table bijstand -o "$T/b1.csv" -q
expect_exit 0 "$PEIL" export "$S" --table bijstand -o "$T/b2.csv" -q
CHECKS=$((CHECKS + 1))
cmp -s "$T/b1.csv" "$T/b2.csv" || fail "writing into the store changed its bijstand table"

# One thread or two: the same table.
expect_exit 0 "$PEIL" split "$S" -o "$T/t1.h5" --treatment programme --threads 1 -q
expect_exit 0 "$PEIL" split "$S" -o "$T/t2.h5" --treatment programme --threads 2 -q
expect_exit 0 "$PEIL" export "$T/t1.h5" --table episodes -o "$T/t1.csv" -q
expect_exit 0 "$PEIL" export "$T/t2.h5" --table episodes -o "$T/t2.csv" -q
CHECKS=$((CHECKS + 1))
cmp -s "$T/t1.csv" "$T/t2.csv" || fail "1 and 2 threads differ"

# An existing table: an error without --force, replaced with it.
expect_exit 2 "$PEIL" split "$S" -o "$O" --treatment programme
expect_err "table 'episodes' exists already (replace it: force = yes, --force)"
expect_exit 0 "$PEIL" split "$S" -o "$O" --cuts 365 --force -q
expect_exit 0 "$PEIL" info "$O" --table episodes
expect_out "period                 enum(2)"

# Bad input: exit 2, the message, and nothing written: no new store, the
# existing one byte for byte as it was, no temporary file beside either.
SUM=$(md5sum < "$O")
bad() { # bad EXPECTED-MESSAGE ARGS...
  local msg=$1
  shift
  expect_exit 2 "$PEIL" split "$@"
  expect_err "$msg"
  expect_no_file "$T/new.h5"
  CHECKS=$((CHECKS + 1))
  [ "$(md5sum < "$O")" = "$SUM" ] || fail "the output store changed: split $*"
  ! ls -a "$T" | grep -q '^\.ep\.h5\.' || fail "a temporary file was left beside the store: split $*"
}
bad "spells: the store $S has no table 'bijstnd'" "$S" -o "$T/new.h5" --spells bijstnd
bad "event: the store $S has no table 'banen'" "$S" -o "$T/new.h5" --event banen
bad "where: no column 'municipalty': an episode has rin, episode, start, end, year, age, age_class" \
  "$S" -o "$T/new.h5" --where 'municipalty == "Utrecht"'
bad "unknown level \"Utrech\" of column 'municipality'" "$S" -o "$T/new.h5" --where 'municipality == "Utrech"'
bad "covariates: 'gender' is not a column of table 'persons'" "$S" -o "$T/new.h5" --covariates sex,gender
bad "event: condition 'contrakt == \"vast\"': table 'jobs' has no column 'contrakt'" \
  "$S" -o "$T/new.h5" --event 'jobs where contrakt == "vast"'
bad "--cuts: 91 after 182: the cut points must increase" "$S" -o "$T/new.h5" --cuts 182,91
bad "--cuts: 0 is not a cut point: cut points are days from 1" "$S" -o "$T/new.h5" --cuts 0,91
bad "--cuts: -91 is not a cut point" "$S" -o "$T/new.h5" --cuts -91
bad "--cuts: 'x' is not a whole number of days" "$S" -o "$T/new.h5" --cuts 91,x
bad "--age-cuts: 25 after 25: the cut points must increase" "$S" -o "$T/new.h5" --age-cuts 20,25,25
bad "treatment: table 'persons': no column 'start' (a spell table has rin, start and end)" \
  "$S" -o "$T/new.h5" --treatment persons
bad "treatment: table 'truth': no column 'end'" "$S" -o "$T/new.h5" --treatment truth
bad "--treatment-end: 'soon' is not stays or a number of days" "$S" -o "$T/new.h5" --treatment programme --treatment-end soon
bad "--within: '31..1' is not a number of days W" "$S" -o "$T/new.h5" --within 31..1
bad "--gap: 'x' is not none or a number of days" "$S" -o "$T/new.h5" --gap x
bad "--data-start: '2020-13-01' is not a date" "$S" -o "$T/new.h5" --data-start 2020-13-01
bad "data_end: 2024-06-30 lies after the end of the store's data (2023-12-31)" "$S" -o "$T/new.h5" --data-end 2024-06-30
bad "--age: '64..18' is not all or a range of years" "$S" -o "$T/new.h5" --age 64..18
bad "covariates: earlier (an earlier treatment spell) needs a treatment table" "$S" -o "$T/new.h5" --covariates earlier
bad "persons: the store $S has no person table 'people'" "$S" -o "$T/new.h5" --persons people
bad "covariates: column 'start' of table 'jobs' would clash with the split's own column 'start'" \
  "$S" -o "$T/new.h5" --persons jobs
bad "table 'jobs', row 2: rin 100000001 appears twice" "$S" -o "$T/new.h5" --persons jobs --covariates none
bad "the split table cannot be called 'jobs': that is one of its inputs" "$S" -o "$S" --table jobs --force
bad "$T: is a directory" "$S" -o "$T"
bad "-o OUT.h5 is required" "$S"
bad "expected one store" -o "$T/new.h5"
bad "unknown or incomplete option" "$S" -o "$T/new.h5" --cutz 91
bad "$T/nostore.h5: no such file" "$T/nostore.h5" -o "$T/new.h5"
echo "rin,start" > "$T/text.h5"
bad "$T/text.h5: exists and is not an HDF5 file" "$S" -o "$T/text.h5"
CHECKS=$((CHECKS + 1))
[ "$(cat "$T/text.h5")" = "rin,start" ] || fail "the text file given as output was changed"
bad "table 'episodes' exists already" "$S" -o "$O"
# An open spell and no censoring date: a store without data_end.
expect_exit 0 "$PEIL" export "$S" --table persons -o "$T/p.csv" -q
expect_exit 0 "$PEIL" export "$S" --table bijstand -o "$T/b.csv" -q
expect_exit 0 "$PEIL" import "$T/p.csv" -o "$T/bare.h5" --table persons -q
expect_exit 0 "$PEIL" import "$T/b.csv" -o "$T/bare.h5" --table bijstand -q
bad "is open (its last spell has no end) and there is no censoring date" "$T/bare.h5" -o "$T/new.h5" --event ended
expect_exit 0 "$PEIL" split "$T/bare.h5" -o "$T/new.h5" --event ended --data-end 2023-12-31 -q
rm -f "$T/new.h5"
finish
