#!/usr/bin/python3
"""Independent check of peil cohort's categorical tables: time to the first
job, transitions between states and co-occurrence of SRG codes.

Written from docs/cohort.md, member by member in plain Python (peil counts
in one pass over spell arrays; this walks dates), for the spec that
tests/cli/test_cohort_tables.sh writes:

    population = exit, spells = programme, group = none, dates = 2020-06-30
    (the last programme spell that ended before the date; clock: the day
    after its end), strata = since
    outcome.first_job = first jobs 0..12 bins 3, 6
    outcome.first_contract = first jobs 0..12 by contract
    state.work = jobs, state.ww = ww, state.bijstand = bijstand,
    state_other = unknown, transitions = 0, 12, 24
    cooccur.provisions = srg.code 0..12
    cooccur.before = srg.code -12..0

(a window of the codes whose spells overlap the days from c + A months to
the day before c + B months, censored when it reaches outside the data),
and compares every pooled cell of stratum "all" with peil's JSON: counts
exactly, shares to 1e-12.

Usage:  tests/reference/cohort_tables.py STORE.h5 PEIL.json
"""
import datetime as dt
import json
import os
import sys
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cohort_g4 as ref  # read_table, add_months, days: the G4 reference's readers

try:
    import h5py
except ImportError:
    sys.exit(77)

DATE = dt.date(2020, 6, 30)
STATES = [("work", "jobs"), ("ww", "ww"), ("bijstand", "bijstand")]
OTHER = "unknown"
MOMENTS = [0, 12, 24]
BINS = [0, 3, 6, 12]


def spells_by_rin(df, cols=()):
    out = defaultdict(list)
    for row in df.itertuples(index=False):
        out[int(row.rin)].append(tuple([int(row.start), int(row.end)] + [getattr(row, c) for c in cols]))
    return out


def main(store, peil_json):
    f = h5py.File(store, "r")
    data_end = ref.days(dt.date.fromisoformat(ref.read_attr(f, "data_end") or ref.read_attr(f, "sim_to")))
    data_start = ref.days(dt.date.fromisoformat(ref.read_attr(f, "data_start") or ref.read_attr(f, "sim_from")))
    persons = set(ref.read_table(f, "persons", ["rin"])["rin"].astype(int))
    prog = spells_by_rin(ref.read_table(f, "programme", ["rin", "start", "end"]))
    jobs = spells_by_rin(ref.read_table(f, "jobs", ["rin", "start", "end", "contract"]), ["contract"])
    tables = {t: spells_by_rin(ref.read_table(f, t, ["rin", "start", "end"])) for t in ("ww", "bijstand")}
    tables["jobs"] = jobs
    srg = spells_by_rin(ref.read_table(f, "srg", ["rin", "start", "end", "code"]), ["code"])
    d = ref.days(DATE)

    def covered(table, rin, day):
        return any(s[0] <= day <= s[1] for s in tables[table].get(rin, []))

    first = Counter()
    contract = Counter()
    n_first = 0
    trans = Counter()
    n_trans = 0
    cooc = Counter()
    before = Counter()
    n_before = [0, 0]  # observed, censored
    for rin in sorted(prog):
        if rin not in persons:
            continue
        ended = [s for s in prog[rin] if s[1] < d]   # open ends are 2**40
        if not ended:
            continue
        end = max(s[1] for s in ended)
        clock = ref.EPOCH + dt.timedelta(days=end + 1)

        def at(k):
            return ref.days(ref.add_months(clock, k))

        # time to the first job in months 0..12: the first day with a job
        a, b = at(0), at(12) - 1
        if b <= data_end:
            n_first += 1
            days_in = [(max(s[0], a), s[0], s[2]) for s in jobs.get(rin, []) if s[0] <= b and s[1] >= a]
            if not days_in:
                first["none"] += 1
                contract["none"] += 1
            else:
                day = min(x[0] for x in days_in)
                # of jobs whose first day in the window is that day, the latest start
                pick = max((x for x in days_in if x[0] == day), key=lambda x: x[1])
                for lo, hi in zip(BINS, BINS[1:]):
                    if at(lo) <= day < at(hi):
                        first[f"{lo}-{hi}"] += 1
                contract[pick[2]] += 1
        # transitions: the first state that holds at each moment
        if at(MOMENTS[-1]) <= data_end:
            n_trans += 1
            path = []
            for k in MOMENTS:
                day = at(k)
                path.append(next((name for name, t in STATES if covered(t, rin, day)), OTHER))
            trans[tuple(path)] += 1
        # co-occurrence of srg codes in months 0..12
        def codes_in(lo, hi):
            return {s[2] for s in srg.get(rin, []) if s[0] <= hi and s[1] >= lo and s[2] == s[2]}

        if at(12) - 1 <= data_end:
            codes = codes_in(at(0), at(12) - 1)
            for x in codes:
                for y in codes:
                    cooc[(x, y)] += 1
        # and in the 12 months before the clock date, unless they reach before the data
        if at(-12) < data_start:
            n_before[1] += 1
        else:
            n_before[0] += 1
            codes = codes_in(at(-12), at(0) - 1)
            for x in codes:
                for y in codes:
                    before[(x, y)] += 1

    c = json.load(open(peil_json))["cohorts"][0]
    bad = []

    def check(what, got, want):
        if got != want and not (isinstance(want, float) and abs(got - want) <= 1e-12):
            bad.append(f"{what}: peil {got}, reference {want}")

    cells = {r["outcome"]: r for r in c["outcome_table"]
             if r["subset"] == "all" and r["stratum"] == "all" and r["date"] == "pooled"}
    for cat in ["0-3", "3-6", "6-12", "none"]:
        col = "first_job_" + cat.replace("-", "_")
        check(col + " n", cells[col]["n"], n_first)
        check(col + " sum", int(cells[col]["sum"]), first[cat])
    for lev in [x for x in contract if x == x]:  # a job without a contract is in no level
        col = "first_contract_" + "".join(ch if ch.isalnum() else "_" for ch in lev)
        check(col + " sum", int(cells[col]["sum"]), contract[lev])

    names = [s for s, _ in STATES] + [OTHER]
    got = {(r["from_month"], r["from"], r["to"]): r for r in c["transition_table"]
           if r["subset"] == "all" and r["stratum"] == "all" and r["date"] == "pooled"}
    for step in range(2):
        m = Counter()
        for path, n in trans.items():
            m[(path[step], path[step + 1])] += n
        for x in names:
            row = sum(m[(x, y)] for y in names)
            for y in names:
                r = got[(MOMENTS[step], x, y)]
                check(f"transition {MOMENTS[step]} {x}->{y} n", r["n"], m[(x, y)])
                if row:
                    check(f"transition {MOMENTS[step]} {x}->{y} share", r["share"], m[(x, y)] / row)
    paths = {tuple(r["path"]): r["n"] for r in c["path_table"]
             if r["subset"] == "all" and r["stratum"] == "all" and r["date"] == "pooled"}
    check("paths", paths, dict(trans))

    for name, want in (("provisions", cooc), ("before", before)):
        co = {(r["a"], r["b"]): r for r in c["cooccurrence_table"] if r["cooccurrence"] == name and
              r["subset"] == "all" and r["stratum"] == "all" and r["date"] == "pooled"}
        # peil has an entry for every pair of codes that occur in the cell (a full
        # matrix of the present codes), with n_ab = 0 where they never meet
        present = {x for x, y in want if x == y}
        check(f"{name} entries", set(co), {(x, y) for x in present for y in present})
        for (x, y), r in co.items():
            check(f"{name} {x}&{y} n_a", r["n_a"], want[(x, x)])
            check(f"{name} {x}&{y} n_ab", r["n_ab"], want.get((x, y), 0))
            check(f"{name} {x}&{y} share", r["share"], want.get((x, y), 0) / want[(x, x)])
    # the censored are said in a warning, with their number
    warned = [w for w in c["warnings"] if w.startswith("cooccur.before:")]
    check("cooccur.before warning", warned,
          [f"cooccur.before: {n_before[1]} of {sum(n_before)} person-dates censored (the window "
           f"starts before the data's start, {ref.iso(data_start)}); the shares are of the "
           f"{n_before[0]} observed"] if n_before[1] else [])

    if bad:
        print("\n".join(bad[:20]), file=sys.stderr)
        return 1
    print(f"cohort_tables.py: {n_first} first-job members, {n_trans} with transitions, "
          f"{len(cooc)} co-occurrence cells agree; before the clock date {len(before)} cells of "
          f"{n_before[0]} observed ({n_before[1]} censored)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
