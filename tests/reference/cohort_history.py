#!/usr/bin/python3
"""Independent check of peil cohort's history windows (`ever` and `months`
with a negative A) and their censoring at the start of the data.

Written from docs/cohort.md ("Outcomes", "Censoring"), member by member in
plain Python (peil reads a cached calendar and one pass over spell arrays;
this walks dates and spells), for the two sections that
tests/cli/test_cohort_history.sh writes:

    [cohort stock]   the stock of bijstand on 2016-01-01, 2016-07-01,
                     2017-01-01, 2018-03-31 and 2023-07-01 (calendar clock:
                     the reference date), group = municipality
    [cohort exits]   population = exit, spells = programme, group = none,
                     dates = 2017-01-01, 2020-06-30 (clock: the day after the
                     last programme spell that ended before the date)

with the outcomes in OUTCOMES below. The rules, as documented:

* `ever T A..B [where C]`: 1 if a spell (satisfying C) overlaps the days
  from c + A months up to the day before c + B months;
* `months T A..B [where C]`: the number of months k with a spell covering
  c + k months, for k = A..B without an end that is 0 (0..12 is 1..12,
  -24..0 is -24..-1, -6..6 is -6..6 with 0);
* c + k months: calendar arithmetic, the day clamped to the month's length;
* censored (missing in --rows, in `censored`, not in n) when a day the
  outcome reads lies before data_start or after data_end (the root
  attributes data_start/data_end, else sim_from/sim_to).

Compares peil's --rows person-date by person-date (the rins and dates, the
group and every outcome, missing where censored) and the pooled and
per-date cells of stratum "all" in the JSON outcome_table (n, censored and
sum exactly, mean to 1e-12).

Usage:  tests/reference/cohort_history.py STORE.h5 stock|exits PEIL.json ROWS.h5
"""
import datetime as dt
import json
import math
import os
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cohort_g4 as ref  # read_table, read_attr, add_months, days, EPOCH

try:
    import h5py
    import numpy as np
except ImportError:
    sys.exit(77)

DATES = {
    "stock": ["2016-01-01", "2016-07-01", "2017-01-01", "2018-03-31", "2023-07-01"],
    "exits": ["2017-01-01", "2020-06-30"],
}
# name: (kind, table, A, B, condition on the spell's row or None)
OUTCOMES = {
    "stock": {
        "worked": ("months", "jobs", -24, 0, None),
        "job2y": ("ever", "jobs", -24, 0, None),
        "vast_before": ("ever", "jobs", -12, -6, lambda s: s["contract"] == "vast"),
        "around": ("months", "jobs", -6, 6, None),
        "job_around": ("ever", "jobs", -3, 3, None),
        "ww_year": ("months", "ww", -12, 0, None),
    },
    "exits": {
        "worked": ("months", "jobs", -24, 0, None),
        "job1y": ("ever", "jobs", -12, 0, None),
        "bijstand_before": ("months", "bijstand", -3, -1, None),
        "around": ("months", "jobs", -3, 3, None),
    },
}


def spells_by_rin(df, cols=()):
    out = defaultdict(list)
    for row in df.itertuples(index=False):
        s = {"start": int(row.start), "end": int(row.end)}
        for c in cols:
            s[c] = getattr(row, c)
        out[int(row.rin)].append(s)
    return out


def months_read(a, b):
    return [k for k in range(a, b + 1) if not (k == 0 and 0 in (a, b))]


def outcome(spec, spells, clock, data_start, data_end):
    """The value for a member with clock date `clock` (a date), None if censored."""
    kind, _, a, b, cond = spec
    ok = [s for s in spells if cond is None or cond(s)]

    def at(k):
        return ref.days(ref.add_months(clock, k))

    if kind == "ever":
        lo, hi = at(a), at(b) - 1
        if lo < data_start or hi > data_end:
            return None
        return int(any(s["start"] <= hi and s["end"] >= lo for s in ok))
    reads = [at(k) for k in months_read(a, b)]
    if min(reads) < data_start or max(reads) > data_end:
        return None
    return sum(any(s["start"] <= d <= s["end"] for s in ok) for d in reads)


def members(section, persons, date):
    """(rin, group, clock) of the population on the date."""
    d = ref.days(date)
    out = []
    if section == "stock":
        bij = TABLES["bijstand"]
        for rin in sorted(bij):
            if rin not in persons:
                continue
            cov = [s for s in bij[rin] if s["start"] <= d <= s["end"]]
            if not cov:
                continue
            # the covering spell that started last (the later row of equal starts)
            best = max(range(len(cov)), key=lambda i: (cov[i]["start"], i))
            group = cov[best]["municipality"]
            if group != group:  # no municipality: left out
                continue
            out.append((rin, group, date))
        return out
    prog = TABLES["programme"]
    for rin in sorted(prog):
        if rin not in persons:
            continue
        ended = [s["end"] for s in prog[rin] if s["end"] < d]  # open ends are 2**40
        if ended:
            out.append((rin, "all", ref.EPOCH + dt.timedelta(days=max(ended) + 1)))
    return out


TABLES = {}


def read_rows(path):
    g = h5py.File(path, "r")["rows"]
    cols = {}
    for c in g:
        a = g[c][()].astype("float64")
        miss = g[c].attrs.get("missing")
        if miss is not None:
            a[g[c][()] == miss] = np.nan
        cols[c] = a
    return g, cols


def main(store, section, peil_json, rows_path):
    f = h5py.File(store, "r")
    data_start = ref.days(dt.date.fromisoformat(ref.read_attr(f, "data_start") or ref.read_attr(f, "sim_from")))
    data_end = ref.days(dt.date.fromisoformat(ref.read_attr(f, "data_end") or ref.read_attr(f, "sim_to")))
    persons = set(ref.read_table(f, "persons", ["rin"])["rin"].astype(int))
    TABLES["bijstand"] = spells_by_rin(ref.read_table(f, "bijstand", ["rin", "start", "end", "municipality"]),
                                       ["municipality"])
    TABLES["jobs"] = spells_by_rin(ref.read_table(f, "jobs", ["rin", "start", "end", "contract"]), ["contract"])
    TABLES["ww"] = spells_by_rin(ref.read_table(f, "ww", ["rin", "start", "end"]))
    TABLES["programme"] = spells_by_rin(ref.read_table(f, "programme", ["rin", "start", "end"]))
    specs = OUTCOMES[section]

    want = {}  # (rin, date) -> (group, {outcome: value or None})
    for iso in DATES[section]:
        date = dt.date.fromisoformat(iso)
        for rin, group, clock in members(section, persons, date):
            vals = {name: outcome(sp, TABLES[sp[1]].get(rin, []), clock, data_start, data_end)
                    for name, sp in specs.items()}
            want[(rin, ref.days(date))] = (group, vals)

    bad = []

    def check(what, got, exp):
        if got != exp and not (isinstance(exp, float) and isinstance(got, (int, float))
                               and abs(got - exp) <= 1e-12):
            bad.append(f"{what}: peil {got}, reference {exp}")

    # ---- --rows, person-date by person-date ----
    g, rows = read_rows(rows_path)
    groups = None
    if section == "stock":
        enum = h5py.check_enum_dtype(g["municipality"].dtype)
        groups = {v: k for k, v in enum.items()}
    got = {}
    for i in range(len(rows["rin"])):
        key = (int(rows["rin"][i]), int(rows["date"][i]))
        grp = groups[int(rows["municipality"][i])] if groups else "all"
        vals = {name: None if math.isnan(rows[name][i]) else int(rows[name][i]) for name in specs}
        got[key] = (grp, vals)
    check("person-dates only in peil", sorted(set(got) - set(want))[:5], [])
    check("person-dates only in the reference", sorted(set(want) - set(got))[:5], [])
    differ = [k for k in want if k in got and got[k] != want[k]]
    for k in differ[:10]:
        check(f"rin {k[0]} on {ref.iso(k[1])}", got[k], want[k])

    # ---- the outcome table: pooled and per date, stratum all ----
    c = json.load(open(peil_json))["cohorts"][0]
    cells = {(r["date"], r["group"], r["outcome"]): r for r in c["outcome_table"]
             if r["subset"] == "all" and r["stratum"] == "all"}
    ncells = 0
    for date_label in ["pooled"] + DATES[section]:
        for grp in c["groups"]:
            for name, sp in specs.items():
                vals = [v[name] for (rin, d), (gr, v) in want.items()
                        if gr == grp and (date_label == "pooled" or ref.iso(d) == date_label)]
                obs = [v for v in vals if v is not None]
                r = cells[(date_label, grp, name)]
                check(f"{date_label} {grp} {name} horizon", r["horizon"], sp[3])
                check(f"{date_label} {grp} {name} n", r["n"], len(obs))
                check(f"{date_label} {grp} {name} censored", r["censored"], len(vals) - len(obs))
                check(f"{date_label} {grp} {name} sum", r["sum"], float(sum(obs)))
                if obs:
                    check(f"{date_label} {grp} {name} mean", r["mean"], sum(obs) / len(obs))
                ncells += 1

    if bad:
        print("\n".join(bad[:20]), file=sys.stderr)
        return 1
    cens = sum(v is None for _, vals in want.values() for v in vals.values())
    print(f"cohort_history.py {section}: {len(want)} person-dates x {len(specs)} outcomes agree "
          f"({cens} values censored), and {ncells} cells", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
