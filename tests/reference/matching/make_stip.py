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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--peil", default="build/peil")
    ap.add_argument("-o", "--output", default="tests/reference/matching/data/stip.csv")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "sim.h5")
        subprocess.run([args.peil, "simulate", "-o", store, "--persons", str(PERSONS),
                        "--seed", str(SEED), "--quiet"], check=True)
        tab = {}
        for t in ("persons", "bijstand", "jobs", "programme", "truth"):
            path = os.path.join(tmp, t + ".csv")
            subprocess.run([args.peil, "export", store, "--table", t, "-o", path, "--quiet"],
                           check=True)
            tab[t] = pd.read_csv(path, keep_default_na=False, na_values=[""])

    def dates(col):
        return [None if pd.isna(x) else dt.date.fromisoformat(x) for x in col]

    for t in ("bijstand", "jobs", "programme"):
        tab[t]["start"] = dates(tab[t]["start"])
        tab[t]["end"] = dates(tab[t]["end"])
    persons = tab["persons"].set_index("rin")
    persons["birth_date"] = dates(persons["birth_date"])
    bij = spells_by_rin(tab["bijstand"])
    bij_city = {}
    for rin, s, m in zip(tab["bijstand"].rin, tab["bijstand"].start, tab["bijstand"].municipality):
        bij_city[(rin, s)] = m
    jobs = spells_by_rin(tab["jobs"])
    prog = tab["programme"]

    def row(rin, t, treat):
        sp = bij.get(rin, [])
        i = covering(sp, t)
        if i is None:
            return None
        p = persons.loc[rin]
        age = whole_years(p.birth_date, t)
        if not 18 <= age <= 59:
            return None
        ep = i  # the episode's first spell: walk back over adjacent spells
        while ep > 0 and sp[ep - 1][1] is not None and sp[ep - 1][1] + dt.timedelta(days=1) == sp[ep][0]:
            ep -= 1
        duration = whole_months(sp[ep][0], t)
        js = jobs.get(rin, [])
        lo = t - dt.timedelta(days=730)
        worked = 0
        for s, e in js:  # days of [lo, t - 1] covered by a job
            a, b = max(s, lo), min(e if e is not None else t, t - dt.timedelta(days=1))
            if a <= b:
                worked += (b - a).days + 1
        r = dict(rin=rin, treat=treat, start=t.isoformat(), year=t.year, age=age,
                 age_band=band(age, (27, 35, 45, 55), ("18-26", "27-34", "35-44", "45-54", "55-59")),
                 sex=p.sex, migration=p.migration, education=p.education,
                 municipality=bij_city[(rin, sp[i][0])], duration=duration,
                 dur_band=band(duration, (6, 12, 24, 60), ("0-5m", "6-11m", "12-23m", "24-59m", "60m+")),
                 worked=worked)
        for k in HORIZONS:
            r[f"in_work_{k}m"] = int(covering(js, add_months(t, k)) is not None)
        return r

    treated = []
    for rin, s in zip(prog.rin, prog.start):
        if FIRST <= s <= LAST:
            r = row(rin, s, 1)
            if r is None:
                sys.exit(f"participant {rin} not on bijstand or outside 18..59 on {s}")
            treated.append(r)
    starts = [dt.date.fromisoformat(r["start"]) for r in treated]

    rng = np.random.default_rng(SEED)
    never = sorted(set(persons.index) - set(prog.rin))
    pick = rng.integers(0, len(starts), size=len(never))
    eligible = [r for r in (row(rin, starts[j], 0) for rin, j in zip(never, pick)) if r is not None]
    keep = np.sort(rng.choice(len(eligible), size=N_CONTROLS, replace=False))
    controls = [eligible[i] for i in keep]

    out = pd.DataFrame(treated + controls).sort_values("rin", kind="stable")
    out.to_csv(args.output, index=False, lineterminator="\n")
    print(f"{args.output}: {len(treated)} treated, {len(controls)} controls "
          f"(of {len(eligible)} eligible never-treated)", file=sys.stderr)

    truth = tab["truth"].set_index(["rin", "start"])
    for k in HORIZONS:
        d = []
        for r in treated:
            key = (r["rin"], r["start"])
            a, b = truth.loc[key, f"in_work_{k}_treated"], truth.loc[key, f"in_work_{k}_control"]
            if isinstance(a, str) or not pd.isna(a):
                d.append(int(str(a) == "true" or a is True) - int(str(b) == "true" or b is True))
        print(f"  sample ATT (answer key) in work {k} months after the start: "
              f"{np.mean(d):+.4f} (n {len(d)})", file=sys.stderr)


if __name__ == "__main__":
    main()
