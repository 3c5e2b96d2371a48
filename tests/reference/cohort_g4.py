#!/usr/bin/python3
"""Independent re-implementation of the uncorrected G4 cohort table in pandas.

Written from docs/cohort.md alone (not from peil's code) for the spec in
examples/g4-cohort.ini, without the correction:

* population: the stock of `bijstand` on the nine reference dates
  2018-01-01 .. 2022-01-01 every 6 months: everyone with a bijstand spell
  covering the date (start <= d <= end, a missing end is a running spell);
  the person's group is the municipality of that spell (with overlapping
  spells: the one that started last), kept if it is one of the four cities;
* subsets: `all`, and `srg`: a running srg spell on the date whose code is in
  the report's code set;
* outcomes at d + k months (k = 6, 12, 18; calendar arithmetic, the day
  clamped to the month's length): `still` = a bijstand spell in the same
  municipality covers that day, `work` = any jobs spell covers it; censored
  (counted apart, left out of n) when the day lies after the data's end
  (root attribute data_end, else sim_to);
* strata: `all`, and `duration`: full calendar months from the start of the
  benefit episode to d (the largest m with start + m months <= d), in classes
  < 12, 12-23, >= 24 months. An episode joins the bijstand spells of a person
  in which a spell starts at most episode_gap = 0 days after (the day after)
  the latest end so far, or while an earlier spell runs.

Spell rows whose rin is not in the person table are ignored (and counted).

Usage:  tests/reference/cohort_g4.py STORE.h5 OUT.csv [--by-date]

Writes OUT.csv with the rows of peil's JSON `outcome_table`
(subset,date,group,stratum,level,outcome,horizon,n,censored,sum,mean) and
OUT_population.csv with those of `population_table`
(subset,date,group,stratum,level,n,share), pooled over the dates
(date = "pooled"; --by-date adds a block per date). Timings go to stderr.

Everything is vectorised: the only Python loops run over the nine dates,
the distinct horizon days, and the few table cells.
"""
import calendar
import datetime as dt
import os
import sys
import time

try:
    import h5py
    import numpy as np
    import pandas as pd
except ImportError as e:  # the CLI test turns this into a skip
    print(f"cohort_g4.py: needs h5py, numpy and pandas ({e})", file=sys.stderr)
    sys.exit(77)

# ---- the spec of examples/g4-cohort.ini (uncorrected part) ----------------
GROUPS = ["Amsterdam", "Rotterdam", "Den Haag", "Utrecht"]
FIRST_DATE, LAST_DATE, EVERY = dt.date(2018, 1, 1), dt.date(2022, 1, 1), 6
HORIZONS = [6, 12, 18]
SRG_CODES = ["LKSPWET", "PARTICIPATIEPLAATS", "JOBCOACHBEGELEIDING",
             "TRAININGETC", "VRIJWILLIGERSWERK", "OVWERKPLEK",
             "COACHINGWERKPARTICIPATIE", "OVERIGESOCIALEACTIVERING",
             "OVERIGEFACILITERENDEVOORZ"]
OUTCOMES = ["still", "work"]
DURATION_CUTS = [12, 24]
DURATION_LEVELS = ["< 1 year", "1-2 years", ">= 2 years"]
EPISODE_GAP = 0
MISSING = "(missing)"

EPOCH = dt.date(1970, 1, 1)
OPEN_END = np.int64(2**40)  # a running spell: covers every later day


def add_months(d, k):
    """d + k months, the day clamped to the month's length."""
    m = d.month - 1 + k
    y, m = d.year + m // 12, m % 12 + 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def days(d):
    return (d - EPOCH).days


def iso(day):
    return (EPOCH + dt.timedelta(days=int(day))).isoformat()


def full_months(a, b):
    """Vectorised: the largest m with a + m months <= b (a, b: int days).

    a + m0 months, with m0 the difference in calendar months, lies in b's
    month on day min(day(a), length of b's month); it is after b exactly
    when day(a) > day(b) (b's day never exceeds its month's length)."""
    a = np.asarray(a, dtype="int64").astype("datetime64[D]")
    b = np.asarray(b, dtype="int64").astype("datetime64[D]")
    am, bm = a.astype("datetime64[M]"), b.astype("datetime64[M]")
    m0 = (bm - am).astype("int64")
    ad = (a - am.astype("datetime64[D]")).astype("int64")
    bd = (b - bm.astype("datetime64[D]")).astype("int64")
    return m0 - (ad > bd)


def read_attr(f, name):
    v = f.attrs.get(name)
    if v is None:
        return None
    return v.decode() if isinstance(v, bytes) else str(v)


def read_table(f, name, columns):
    """Columns of a store table as a DataFrame; enums become categoricals
    with the enum's labels, missing ends become OPEN_END."""
    g = f[name]
    out = {}
    for c in columns:
        ds = g[c]
        a = ds[()]
        miss = ds.attrs.get("missing")
        enum = h5py.check_enum_dtype(ds.dtype)
        if enum is not None:
            labels = sorted(enum, key=enum.get)
            codes = np.full(a.shape, -1, dtype="int64")
            lookup = {v: i for i, v in enumerate(sorted(enum.values()))}
            values = np.array(sorted(enum.values()))
            if miss is not None:
                ok = a != miss
            else:
                ok = np.ones(a.shape, bool)
            codes[ok] = np.searchsorted(values, a[ok])
            assert all(lookup[v] == i for i, v in enumerate(values))
            out[c] = pd.Categorical.from_codes(codes, categories=labels)
        elif c == "end":
            a = a.astype("int64")
            if miss is not None:
                a[a == miss] = OPEN_END
            out[c] = a
        else:
            if miss is not None and c == "start" and (a == miss).any():
                raise SystemExit(f"cohort_g4.py: {name}: a spell without a start")
            out[c] = a.astype("int64")
    return pd.DataFrame(out)


def covering(spells, day, cols=("rin",)):
    """Rows of spells (start, end) that cover the day."""
    m = (spells["start"].to_numpy() <= day) & (spells["end"].to_numpy() >= day)
    return spells.loc[m, list(cols)]


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    by_date = "--by-date" in argv
    if len(args) != 2:
        print(__doc__.split("Usage:")[1].split("\n")[0].strip(), file=sys.stderr)
        return 2
    store, out_csv = args
    t0 = time.perf_counter()

    # ---- read -----------------------------------------------------------
    with h5py.File(store, "r") as f:
        data_start = read_attr(f, "data_start") or read_attr(f, "sim_from")
        data_end = read_attr(f, "data_end") or read_attr(f, "sim_to")
        persons = f["persons/rin"][()]
        bij = read_table(f, "bijstand", ["rin", "start", "end", "municipality"])
        jobs = read_table(f, "jobs", ["rin", "start", "end"])
        srg = read_table(f, "srg", ["rin", "start", "end", "code"])
    data_start = dt.date.fromisoformat(data_start)
    data_end = days(dt.date.fromisoformat(data_end))
    t_read = time.perf_counter()

    # Orphan spells (rin not in persons) are ignored.
    orphans = 0
    for name, t in (("bijstand", bij), ("jobs", jobs), ("srg", srg)):
        known = np.isin(t["rin"].to_numpy(), persons)
        if not known.all():
            orphans += int((~known).sum())
            t.drop(index=t.index[~known], inplace=True)
    if orphans:
        print(f"cohort_g4.py: {orphans} spell rows with a rin not in persons ignored",
              file=sys.stderr)
    unknown = set(SRG_CODES) - set(srg["code"].cat.categories)
    if unknown:
        raise SystemExit(f"cohort_g4.py: unknown srg codes {sorted(unknown)}")

    # Reference dates and horizon days.
    dates = []
    d = FIRST_DATE
    while d <= LAST_DATE:
        dates.append(d)
        d = add_months(d, EVERY)
    for d in dates:
        if d < data_start or days(d) > data_end:
            raise SystemExit(f"cohort_g4.py: reference date {d} outside the data")

    # ---- benefit episodes: the start of each bijstand spell's episode ----
    # Rows sorted by rin and start: a spell opens an episode when it is the
    # person's first or starts more than EPISODE_GAP days after the day the
    # person's earlier spells last ran (their running maximum end).
    bij = bij.sort_values(["rin", "start"], kind="stable").reset_index(drop=True)
    rin_b = bij["rin"].to_numpy()
    first = np.r_[True, rin_b[1:] != rin_b[:-1]]
    run_end = bij.groupby("rin", sort=False)["end"].cummax().to_numpy()
    prev_end = np.r_[0, run_end[:-1]]
    new_episode = first | (bij["start"].to_numpy() > prev_end + 1 + EPISODE_GAP)
    opener = np.maximum.accumulate(np.where(new_episode, np.arange(len(bij)), 0))
    bij["episode_start"] = bij["start"].to_numpy()[opener]

    # ---- who is in a status on a day: cached per distinct day -------------
    srg_in = srg[srg["code"].isin(SRG_CODES)]
    muni_code = bij["municipality"].cat.codes.astype("int64").to_numpy()
    bij["key"] = bij["rin"].to_numpy() * 64 + muni_code   # (rin, municipality)
    status_cache = {}

    def status(table, day):
        k = (table, day)
        if k not in status_cache:
            if table == "still":
                s = covering(bij, day, ["key"])["key"].to_numpy()
            elif table == "work":
                s = covering(jobs, day)["rin"].to_numpy()
            else:
                s = covering(srg_in, day)["rin"].to_numpy()
            status_cache[k] = np.unique(s)
        return status_cache[k]

    # ---- the person-dates -----------------------------------------------
    frames = []
    for d in dates:
        day = days(d)
        # The covering spell that started last (rows sorted by rin, start).
        stock = covering(bij, day, ["rin", "start", "municipality", "episode_start", "key"])
        stock = stock.drop_duplicates("rin", keep="last")
        stock = stock[stock["municipality"].isin(GROUPS)]
        rin = stock["rin"].to_numpy()
        cols = {
            "date": np.full(len(stock), day, dtype="int64"),
            "rin": rin,
            "group": stock["municipality"].cat.set_categories(GROUPS).array,
            "in_srg": np.isin(rin, status("srg", day), assume_unique=True),
        }
        m = full_months(stock["episode_start"].to_numpy(), np.full(len(stock), day))
        cls = np.searchsorted(np.array(DURATION_CUTS), m, side="right")
        cols["duration"] = pd.Categorical.from_codes(cls, categories=DURATION_LEVELS)
        key = stock["key"].to_numpy()
        for o in OUTCOMES:
            for k in HORIZONS:
                t = days(add_months(d, k))
                if t > data_end:            # censored
                    cols[f"{o}_{k}"] = np.full(len(stock), np.nan)
                elif o == "still":
                    cols[f"{o}_{k}"] = np.isin(key, status("still", t)).astype("float64")
                else:
                    cols[f"{o}_{k}"] = np.isin(rin, status("work", t)).astype("float64")
        rows = pd.DataFrame(cols)
        frames.append(rows)
    pd_rows = pd.concat(frames, ignore_index=True)
    t_rows = time.perf_counter()

    # ---- the tables -------------------------------------------------------
    ycols = [f"{o}_{k}" for o in OUTCOMES for k in HORIZONS]
    pop_out, out_out = [], []
    blocks = [("pooled", pd_rows)]
    if by_date:
        blocks += [(iso(day), g) for day, g in pd_rows.groupby("date", sort=True)]
    for date_label, block in blocks:
        for subset in ("all", "srg"):
            sub = block if subset == "all" else block[block["in_srg"]]
            if len(sub) == 0:
                print(f"cohort_g4.py: subset {subset} is empty ({date_label})", file=sys.stderr)
            group_n = sub.groupby("group", observed=False).size()
            for stratum in ("all", "duration"):
                keys = ["group"] if stratum == "all" else ["group", "duration"]
                g = sub.groupby(keys, observed=False)
                size = g.size()
                obs = g[ycols].count()
                tot = g[ycols].sum()
                levels = ["all"] if stratum == "all" else DURATION_LEVELS
                for grp in GROUPS:
                    for lev in levels:
                        idx = grp if stratum == "all" else (grp, lev)
                        n = int(size.loc[idx])
                        share = n / int(group_n.loc[grp]) if group_n.loc[grp] else float("nan")
                        pop_out.append((subset, date_label, grp, stratum, lev, n, share))
                        for o in OUTCOMES:
                            for k in HORIZONS:
                                c = f"{o}_{k}"
                                nobs = int(obs.loc[idx, c])
                                s = int(tot.loc[idx, c])
                                out_out.append((subset, date_label, grp, stratum, lev, o, k,
                                                nobs, n - nobs, s,
                                                s / nobs if nobs else float("nan")))
    t_tables = time.perf_counter()

    out = pd.DataFrame(out_out, columns=["subset", "date", "group", "stratum", "level",
                                         "outcome", "horizon", "n", "censored", "sum", "mean"])
    pop = pd.DataFrame(pop_out, columns=["subset", "date", "group", "stratum", "level",
                                         "n", "share"])
    base = out_csv[:-4] if out_csv.endswith(".csv") else out_csv
    out.to_csv(out_csv, index=False)
    pop.to_csv(base + "_population.csv", index=False)
    t_end = time.perf_counter()
    print(f"cohort_g4.py: {len(pd_rows)} person-dates of {pd_rows['rin'].nunique()} persons; "
          f"seconds: read {t_read - t0:.3f}, rows {t_rows - t_read:.3f}, "
          f"tables {t_tables - t_rows:.3f}, write {t_end - t_tables:.3f}, "
          f"total {t_end - t0:.3f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
