#!/usr/bin/python3
"""Derive the STiP-like matching data set (data/stip.csv) from a synthetic
extract written by `peil simulate` and read back with `peil export`.

    tests/reference/matching/make_stip.py [--peil build/peil]

run from the repository root. It simulates 30,000 persons (seed 20250,
default parameters: selection on observables only, effect 0.8), exports the
tables persons, bijstand, jobs and programme as CSV into a temporary
directory, and builds one row per person:

* treated (treat = 1): every programme participant whose programme started
  between 2017-01-01 and 2020-12-31; the reference date is the start date.
* controls (treat = 0): persons without any programme spell in the data
  window (never treated, as the report's VG1). Each gets a pseudo start date
  drawn at random from the participants' start dates; the person is eligible
  when on bijstand that day and aged 18..59 (the programme takes people below
  60). 2,500 of the eligible controls are drawn at random. Both draws use
  numpy's default_rng(20250), so the file is reproducible.

Columns, all measured on the reference date t (the day itself included):

  rin            person number
  treat          1 participant, 0 comparison person
  start          the reference date t (ISO date)
  year           year of t
  age            age in whole years on t
  age_band       18-26, 27-34, 35-44, 45-54, 55-59
  sex            man, vrouw
  migration      7 groups (persons table)
  education      laag, middelbaar, hoog, onbekend
  municipality   municipality of the bijstand spell covering t
  duration       benefit duration in whole calendar months on t, since the
                 start of the bijstand episode covering t (adjacent spells,
                 the next starting the day after the previous ended, form one
                 episode: a move between G4 cities does not reset it)
  dur_band       0-5m, 6-11m, 12-23m, 24-59m, 60m+
  worked         days in work (a job spell covering the day) in the 730 days
                 before t
  in_work_6m .. in_work_24m
                 1 when a job spell covers the day t + K months (same day
                 of the month, the last day of the month when it has fewer
                 days), else 0

Rows are ordered by rin. The simulation's answer key (the `truth` table) is
not used: it is no data. The script prints the participants' sample ATT from
it for reference only.

As a module (benchmarks/match_coverage.py, examples/stip_extract.py) it
offers the steps one by one: `simulate`, `load` (export and parse the
tables), `build` (treated and control rows, with the design of the
controls as an option) and `true_effects` (the answer key per participant).
`build` adds three columns that measure what the simulation's programme
entry model uses exactly (docs/simulation.md, section 6), written only
when asked for: `age_band_sim` (18-22, 23-26, 27-34, 35-44, 45-54, 55-59:
age in whole calendar months since the birth month, / 12), `dur_band_sim`
(0-5m .. 60m+ of the calendar months since the month the episode began)
and `work_months` (of the 24 calendar months before t's month, those in
which the person worked: a job covers a day from the last day of the
previous month to the month's last day, as the simulation counts them).
"""
import argparse
import calendar
import datetime as dt
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

SEED = 20250
PERSONS = 30000
N_CONTROLS = 2500
FIRST, LAST = dt.date(2017, 1, 1), dt.date(2020, 12, 31)
HORIZONS = (6, 12, 18, 24)


def add_months(d, k):
    m = d.month - 1 + k
    y, m = d.year + m // 12, m % 12 + 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def whole_months(a, b):
    """Whole calendar months from date a to date b (b >= a)."""
    n = (b.year - a.year) * 12 + (b.month - a.month)
    return n - 1 if b.day < a.day else n


def whole_years(birth, d):
    n = d.year - birth.year
    return n - 1 if (d.month, d.day) < (birth.month, birth.day) else n


def band(x, cuts, labels):
    for c, lab in zip(cuts, labels):
        if x < c:
            return lab
    return labels[-1]


def spells_by_rin(df):
    out = {}
    for rin, s, e in zip(df.rin, df.start, df.end):
        out.setdefault(rin, []).append((s, e))
    return out


def covering(spells, d):
    """Index of the spell covering day d, or None (end None = still running)."""
    for i, (s, e) in enumerate(spells):
        if s <= d and (e is None or d <= e):
            return i
    return None


class Extract:
    """The tables of a simulated store, parsed: spells per person, dates as
    datetime.date (end None = still running)."""

    def __init__(self, tab):
        def dates(col):
            return [None if pd.isna(x) else dt.date.fromisoformat(x) for x in col]

        for t in ("bijstand", "jobs", "programme"):
            tab[t]["start"] = dates(tab[t]["start"])
            tab[t]["end"] = dates(tab[t]["end"])
        self.tab = tab
        self.persons = tab["persons"].set_index("rin")
        self.persons["birth_date"] = dates(self.persons["birth_date"])
        self.birth = dict(zip(self.persons.index, self.persons["birth_date"]))
        self.sex = dict(zip(self.persons.index, self.persons["sex"]))
        self.migration = dict(zip(self.persons.index, self.persons["migration"]))
        self.education = dict(zip(self.persons.index, self.persons["education"]))
        self.bij = spells_by_rin(tab["bijstand"])
        self.bij_city = {}
        for rin, s, m in zip(tab["bijstand"].rin, tab["bijstand"].start, tab["bijstand"].municipality):
            self.bij_city[(rin, s)] = m
        self.jobs = spells_by_rin(tab["jobs"])
        self.prog = tab["programme"]
        self.prog_start = dict(zip(self.prog.rin, self.prog.start))


def simulate(peil, store, persons, seed, extra=()):
    """peil simulate into store (extra: more options, e.g. --hidden-bias 1)."""
    subprocess.run([peil, "simulate", "-o", store, "--persons", str(persons), "--seed", str(seed),
                    "--quiet", *extra], check=True)


def load(peil, store, tmp):
    """The tables persons, bijstand, jobs, programme and truth of a store,
    exported with peil export into the directory tmp and parsed."""
    tab = {}
    for t in ("persons", "bijstand", "jobs", "programme", "truth"):
        path = os.path.join(tmp, t + ".csv")
        subprocess.run([peil, "export", store, "--table", t, "-o", path, "--quiet"], check=True)
        tab[t] = pd.read_csv(path, keep_default_na=False, na_values=[""])
    return Extract(tab)


def month_index(d):
    return d.year * 12 + d.month - 1


def month_first(m):
    return dt.date(m // 12, m % 12 + 1, 1)


def month_last(m):
    return month_first(m + 1) - dt.timedelta(days=1)


SIM_AGE_BANDS = ((23, 27, 35, 45, 55, 60), ("18-22", "23-26", "27-34", "35-44", "45-54", "55-59", "60+"))
DUR_BANDS = ((6, 12, 24, 60), ("0-5m", "6-11m", "12-23m", "24-59m", "60m+"))


def row(ex, rin, t, treat):
    """The row of person rin on reference date t, or None when the person is
    not on bijstand that day or not aged 18..59. Also returns, under the key
    '_risk', whether the person is in the simulation's risk set of programme
    entry in t's month: on one bijstand spell for the whole month (no
    labour-market event and no move in it; entry happens only in such
    months), below 60 by calendar months, and not in the programme before
    t's month."""
    sp = ex.bij.get(rin, [])
    i = covering(sp, t)
    if i is None:
        return None
    birth = ex.birth[rin]
    age = whole_years(birth, t)
    if not 18 <= age <= 59:
        return None
    ep = i  # the episode's first spell: walk back over adjacent spells
    while ep > 0 and sp[ep - 1][1] is not None and sp[ep - 1][1] + dt.timedelta(days=1) == sp[ep][0]:
        ep -= 1
    duration = whole_months(sp[ep][0], t)
    js = ex.jobs.get(rin, [])
    lo = t - dt.timedelta(days=730)
    worked = 0
    for s, e in js:  # days of [lo, t - 1] covered by a job
        a, b = max(s, lo), min(e if e is not None else t, t - dt.timedelta(days=1))
        if a <= b:
            worked += (b - a).days + 1
    r = dict(rin=rin, treat=treat, start=t.isoformat(), year=t.year, age=age,
             age_band=band(age, (27, 35, 45, 55), ("18-26", "27-34", "35-44", "45-54", "55-59")),
             sex=ex.sex[rin], migration=ex.migration[rin], education=ex.education[rin],
             municipality=ex.bij_city[(rin, sp[i][0])], duration=duration,
             dur_band=band(duration, *DUR_BANDS),
             worked=worked)
    for k in HORIZONS:
        r[f"in_work_{k}m"] = int(covering(js, add_months(t, k)) is not None)
    # what the simulation's entry model sees in t's month m
    m = month_index(t)
    age_m = (m - month_index(birth)) // 12
    r["age_band_sim"] = band(age_m, *SIM_AGE_BANDS)
    r["dur_band_sim"] = band(m - month_index(sp[ep][0]), *DUR_BANDS)
    wm = 0
    for j in range(m - 24, m):
        a, b = month_last(j - 1), month_last(j)
        if any(s <= b and (e is None or e >= a) for s, e in js):
            wm += 1
    r["work_months"] = wm
    s0, e0 = sp[i]
    ps = ex.prog_start.get(rin)
    r["_risk"] = (s0 < month_first(m) and (e0 is None or e0 >= month_last(m)) and age_m < 60
                  and (ps is None or month_index(ps) >= m))
    return r


def build(ex, seed, first=FIRST, last=LAST, n_controls=N_CONTROLS, design="never"):
    """Treated rows (participants who started in [first, last]) and control
    rows, and the number of eligible controls before the draw of n_controls
    (None: all of them).

    design "never" (make_stip's, the report's VG1): persons without any
    programme spell in the data window, on a pseudo start date drawn from
    the participants' start dates, eligible when on bijstand and aged 18..59
    that day.
    design "risk": every person (participants included) on a pseudo start
    date drawn the same way, eligible when in the simulation's risk set of
    programme entry in that month (row()'s '_risk') and not starting the
    programme in it: the non-entrants of the month the participants
    entered in. Controls may start the programme later (their outcomes then
    include its effect; as in a sequential design)."""
    treated = []
    for rin, s in zip(ex.prog.rin, ex.prog.start):
        if first <= s <= last:
            r = row(ex, rin, s, 1)
            if r is None:
                sys.exit(f"participant {rin} not on bijstand or outside 18..59 on {s}")
            treated.append(r)
    starts = [dt.date.fromisoformat(r["start"]) for r in treated]

    rng = np.random.default_rng(seed)
    if design == "never":
        pool = sorted(set(ex.persons.index) - set(ex.prog.rin))
    elif design == "risk":
        pool = sorted(ex.persons.index)
    else:
        raise ValueError(f"design {design!r}: never or risk")
    pick = rng.integers(0, len(starts), size=len(pool))
    eligible = [r for r in (row(ex, rin, starts[j], 0) for rin, j in zip(pool, pick)) if r is not None]
    if design == "risk":
        eligible = [r for r in eligible if r["_risk"]]
    if n_controls is not None:
        keep = np.sort(rng.choice(len(eligible), size=n_controls, replace=False))
        controls = [eligible[i] for i in keep]
    else:
        controls = eligible
    return treated, controls, len(eligible)


def true_effects(ex):
    """The answer key: (rin, start ISO date) -> {K: Y(1) - Y(0) in work K
    months after the start}, for K whose day lies inside the window."""
    out = {}
    tr = ex.tab["truth"]
    for rec in tr.itertuples(index=False):
        d = {}
        for k in HORIZONS:
            a, b = getattr(rec, f"in_work_{k}_treated"), getattr(rec, f"in_work_{k}_control")
            if isinstance(a, str) or not pd.isna(a):
                d[k] = int(str(a) == "true" or a is True) - int(str(b) == "true" or b is True)
        out[(rec.rin, rec.start)] = d
    return out


COLUMNS = ["rin", "treat", "start", "year", "age", "age_band", "sex", "migration", "education",
           "municipality", "duration", "dur_band", "worked"] + [f"in_work_{k}m" for k in HORIZONS]
SIM_COLUMNS = ["age_band_sim", "dur_band_sim", "work_months"]


def frame(treated, controls, extra=False):
    """The rows as a data frame ordered by rin, with the columns of stip.csv
    (and the simulation-exact ones when extra)."""
    cols = COLUMNS + (SIM_COLUMNS if extra else [])
    return pd.DataFrame(treated + controls, columns=cols).sort_values("rin", kind="stable")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--peil", default="build/peil")
    ap.add_argument("-o", "--output", default="tests/reference/matching/data/stip.csv")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "sim.h5")
        simulate(args.peil, store, PERSONS, SEED)
        ex = load(args.peil, store, tmp)
    treated, controls, neligible = build(ex, SEED)

    out = frame(treated, controls)
    out.to_csv(args.output, index=False, lineterminator="\n")
    print(f"{args.output}: {len(treated)} treated, {len(controls)} controls "
          f"(of {neligible} eligible never-treated)", file=sys.stderr)

    truth = true_effects(ex)
    for k in HORIZONS:
        d = [truth[(r["rin"], r["start"])][k] for r in treated if k in truth[(r["rin"], r["start"])]]
        print(f"  sample ATT (answer key) in work {k} months after the start: "
              f"{np.mean(d):+.4f} (n {len(d)})", file=sys.stderr)


if __name__ == "__main__":
    main()
