#!/usr/bin/python3
"""Synthetic data for the matching benchmark (benchmarks/match.sh).

    /usr/bin/python3 benchmarks/match_data.py score -o STORE.h5 \
        [--treated 1000000] [--controls 9000000] [--seed 2024]
    /usr/bin/python3 benchmarks/match_data.py e2e -o STORE.h5 --csv DATA.csv \
        [--rows 1000000] [--seed 2024]

Both write a peil store directly with h5py (docs/store-format.md: one group
per table, one 1-D LZF dataset per column in chunks of 65,536 rows, enum
labels, `missing` attributes), so nothing of peil is involved in making the
data; `peil info` reads them back. Reproducible: numpy's default_rng(seed).

score (table `units`): a given propensity score, for matching on it
  (`--distance score`). Exactly T treated and C controls in random row
  order. x1 ~ N(0.5, 1) for the treated and N(0, 1) for the controls, so
  the true propensity score is logistic in x1:
      score = 1 / (1 + exp(-(log(T / C) - 0.125 + 0.5 x1)))
  Columns: treat int8, x1 float64, score float64, municipality enum (the
  G4, shares 0.34 / 0.34 / 0.23 / 0.09, independent of treatment), year
  int16 (2015..2023, uniform): municipality x year gives 36 strata of
  unequal size for `--exact municipality,year`.

e2e (table `units`, and the same rows as CSV for R and statsmodels): a
  logit propensity model with a few numeric covariates and a factor, about
  10% treated (the intercept is solved so that the mean probability is
  0.10; the count is Binomial around it).
      age          integer 18..66, uniform
      x1, x2       N(0, 1), 4 decimals (corr(x1, x2) = 0.3)
      income       thousands of euros, log-normal, 2 decimals
      municipality Amsterdam, Den Haag, Rotterdam, Utrecht (byte order, so
                   Amsterdam is the reference in R and in peil)
      treat        Bernoulli(expit(b0 - 0.03 (age - 40) + 0.5 x1 - 0.3 x2
                   + 0.4 log(income / 20) + m[municipality])),
                   m = 0, 0.3, -0.2, 0.4
  Numbers are rounded before they are written, so the CSV and the store
  hold the same values and every tool fits the same data.
"""
import argparse
import datetime as dt
import sys

import h5py
import numpy as np

CHUNK = 65536
G4 = ["Amsterdam", "Den Haag", "Rotterdam", "Utrecht"]  # byte order


def write_store(path, table, cols, levels, description):
    """cols: name -> numpy array (all the same length); levels: name -> labels."""
    n = len(next(iter(cols.values())))
    with h5py.File(path, "w", track_order=True) as f:
        f.attrs["schema_version"] = 1
        f.attrs["created"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        f.attrs["description"] = description
        g = f.create_group(table, track_order=True)
        g.attrs["schema_version"] = 1
        g.attrs["nrows"] = np.int64(n)
        g.attrs["description"] = description
        for name, v in cols.items():
            if name in levels:
                dtype = h5py.enum_dtype({lab: i for i, lab in enumerate(levels[name])}, basetype="i1")
                v = v.astype(np.int8)
            else:
                dtype = v.dtype
            ds = g.create_dataset(name, data=v, dtype=dtype, chunks=(min(CHUNK, max(n, 1)),),
                                  compression="lzf")
            if v.dtype.kind == "f":
                ds.attrs["missing"] = np.nan
            elif name in levels:
                ds.attrs["missing"] = np.int64(-1)
            else:
                ds.attrs["missing"] = np.int64(np.iinfo(v.dtype).min)


def score_data(args):
    rng = np.random.default_rng(args.seed)
    t, c = args.treated, args.controls
    n = t + c
    treat = np.zeros(n, np.int8)
    treat[:t] = 1
    x1 = rng.standard_normal(n)
    x1[:t] += 0.5
    perm = rng.permutation(n)
    treat, x1 = treat[perm], x1[perm]
    score = 1.0 / (1.0 + np.exp(-(np.log(t / c) - 0.125 + 0.5 * x1)))
    municipality = rng.choice(4, size=n, p=[0.34, 0.23, 0.34, 0.09]).astype(np.int8)
    year = rng.integers(2015, 2024, size=n).astype(np.int16)
    write_store(args.output, "units",
                {"treat": treat, "x1": x1, "score": score, "municipality": municipality, "year": year},
                {"municipality": G4},
                f"matching benchmark: {t} treated, {c} controls, a given score (seed {args.seed})")
    print(f"{args.output}: {t} treated, {c} controls", file=sys.stderr)


def e2e_data(args):
    rng = np.random.default_rng(args.seed)
    n = args.rows
    age = rng.integers(18, 67, size=n).astype(np.int32)
    z = rng.standard_normal((n, 2))
    x1 = np.round(z[:, 0], 4)
    x2 = np.round(0.3 * z[:, 0] + np.sqrt(1 - 0.09) * z[:, 1], 4)
    income = np.round(np.exp(rng.normal(np.log(20), 0.5, size=n)), 2)
    municipality = rng.choice(4, size=n, p=[0.34, 0.23, 0.34, 0.09]).astype(np.int8)
    m = np.array([0.0, 0.3, -0.2, 0.4])
    lp = -0.03 * (age - 40) + 0.5 * x1 - 0.3 * x2 + 0.4 * np.log(income / 20) + m[municipality]
    lo, hi = -10.0, 10.0  # the intercept that makes the mean probability 0.10
    for _ in range(60):
        mid = (lo + hi) / 2
        if np.mean(1 / (1 + np.exp(-(mid + lp)))) < 0.10:
            lo = mid
        else:
            hi = mid
    p = 1 / (1 + np.exp(-(lo + lp)))
    treat = (rng.random(n) < p).astype(np.int8)
    cols = {"treat": treat, "age": age, "x1": x1, "x2": x2, "income": income,
            "municipality": municipality}
    write_store(args.output, "units", cols, {"municipality": G4},
                f"matching benchmark, end to end: {n} rows, about 10% treated (seed {args.seed})")
    if args.csv:
        import pandas as pd
        df = pd.DataFrame(cols)
        df["municipality"] = np.array(G4)[municipality]
        # x1, x2 have 4 decimals and income 2: %.4f writes them exactly
        df.to_csv(args.csv, index=False, float_format="%.4f", lineterminator="\n")
    print(f"{args.output}: {n} rows, {int(treat.sum())} treated", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kind", choices=["score", "e2e"])
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--csv")
    ap.add_argument("--treated", type=float, default=1e6)
    ap.add_argument("--controls", type=float, default=9e6)
    ap.add_argument("--rows", type=float, default=1e6)
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()
    args.treated, args.controls, args.rows = int(args.treated), int(args.controls), int(args.rows)
    if args.kind == "score":
        score_data(args)
    else:
        e2e_data(args)


if __name__ == "__main__":
    main()
