#!/usr/bin/python3
"""Nearest-neighbour matching on a logit propensity score in Python, the
Python side of benchmarks/match.sh.

    /usr/bin/python3 benchmarks/match_python.py STORE.h5 [--check PEIL.h5]

Python has no MatchIt. This does what `matchit(f, method = "nearest")` and
`summary()` do, with the tools a Python user has at hand: the store read
with h5py, the score fitted with statsmodels (`sm.Logit(...).fit()`,
Newton), and a greedy 1:1 nearest neighbour without replacement and
without caliper, largest score first, written here in plain Python over
numpy arrays (sorted controls, binary search, and "next unused control"
pointers with path compression: O(n log n); there is no scikit-learn, and
its NearestNeighbors does not match without replacement anyway). Balance:
means, standardised mean differences (SD of the treated), variance ratios
and the largest eCDF difference of every design column, before and after.

The model is the one match.sh gives peil and R:
treat ~ age + x1 + x2 + income + municipality (table `units`,
benchmarks/match_data.py e2e; Amsterdam is the reference level).

Prints "seconds: read R fit F match M balance B" and "matched: treated T
control C". With --check PEIL.h5 (the store `peil match -o` wrote for the
same data) it also prints how many treated units got the same control from
both: the pairs are then the same rule on two fits of the same model, so
they should agree up to scores that differ in the last digits.
"""
import argparse
import sys
import time

import h5py
import numpy as np
import statsmodels.api as sm

NUMERIC = ["age", "x1", "x2", "income"]
FACTOR = "municipality"


def read(path):
    with h5py.File(path, "r") as f:
        g = f["units"]
        treat = g["treat"][:].astype(np.int8)
        cols = {c: g[c][:].astype(float) for c in NUMERIC}
        codes = g[FACTOR][:]
        labels = h5py.check_enum_dtype(g[FACTOR].dtype)
    levels = sorted(labels, key=labels.get)
    X = np.column_stack([np.ones(len(treat))] + [cols[c] for c in NUMERIC] +
                        [(codes == labels[lv]).astype(float) for lv in levels[1:]])
    names = ["(Intercept)"] + NUMERIC + [FACTOR + lv for lv in levels[1:]]
    return treat, X, names


def greedy(score, treat):
    """1:1 nearest neighbour without replacement, largest score first; ties
    between a left and a right neighbour at the same distance go to the
    earlier row. Returns match[row of treated] = row of control."""
    ti = np.flatnonzero(treat == 1)
    ci = np.flatnonzero(treat == 0)
    oc = np.argsort(score[ci], kind="stable")
    cs = score[ci][oc]
    crow = ci[oc].tolist()
    order = ti[np.argsort(-score[ti], kind="stable")]
    pos = np.searchsorted(cs, score[order], side="left").tolist()
    n = len(cs)
    right = list(range(n + 1))  # right[p]: next unused >= p (n: none)
    left = list(range(n + 1))   # left[p + 1]: last unused <= p (0: none)

    def find(a, p):
        r = p
        while a[r] != r:
            r = a[r]
        while a[p] != r:
            a[p], p = r, a[p]
        return r

    csl = cs.tolist()
    sc = score[order].tolist()
    out = {}
    for t, d, p in zip(order.tolist(), sc, pos):
        r = find(right, p) if p < n else n
        l = find(left, p) - 1 if p > 0 else -1
        if r >= n and l < 0:
            continue
        if r >= n:
            q = l
        elif l < 0:
            q = r
        else:
            dr, dl = csl[r] - d, d - csl[l]
            q = r if dr < dl or (dr == dl and crow[r] < crow[l]) else l
        out[t] = crow[q]
        right[q] = q + 1
        left[q + 1] = q
    return out


def balance(X, treat, w):
    rows = []
    t, c = treat == 1, treat == 0
    for j in range(1, X.shape[1]):
        x = X[:, j]
        sd = x[t].std(ddof=1)
        res = []
        for wt in (np.ones(len(x)), w):
            mt = np.average(x[t], weights=wt[t])
            mc = np.average(x[c], weights=wt[c])
            vt = np.cov(x[t], aweights=wt[t]) if wt[t].sum() > 0 else np.nan
            vc = np.cov(x[c][wt[c] > 0], aweights=wt[c][wt[c] > 0])
            o = np.argsort(x, kind="stable")
            ft = np.cumsum(np.where(t, wt, 0)[o]) / wt[t].sum()
            fc = np.cumsum(np.where(c, wt, 0)[o]) / wt[c].sum()
            res.append((mt, mc, (mt - mc) / sd, vt / vc, np.max(np.abs(ft - fc))))
        rows.append(res)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("store")
    ap.add_argument("--check")
    args = ap.parse_args()
    t0 = time.perf_counter()
    treat, X, names = read(args.store)
    t1 = time.perf_counter()
    fit = sm.Logit(treat.astype(float), X).fit(disp=0)
    score = fit.predict(X)
    t2 = time.perf_counter()
    m = greedy(score, treat)
    t3 = time.perf_counter()
    w = np.zeros(len(treat))
    w[list(m.keys())] = 1
    w[list(m.values())] = 1
    balance(X, treat, w)
    t4 = time.perf_counter()
    print(f"seconds: read {t1 - t0:.2f} fit {t2 - t1:.2f} match {t3 - t2:.2f} balance {t4 - t3:.2f}")
    print(f"matched: treated {len(m)} control {len(set(m.values()))}")
    if args.check:
        with h5py.File(args.check, "r") as f:
            p = f["pairs"]
            tr, cr = p["treated_row"][:], p["control_row"][:]
            row, dist = f["matched"]["row"][:], f["matched"]["distance"][:]
        # rows of the input table, 0-based (the 'matched' table's description)
        peil = {int(a): int(b) for a, b in zip(tr, cr) if b >= 0}
        same = sum(1 for a, b in m.items() if peil.get(a) == b)
        print(f"check: {same} of {len(m)} treated units have the same control in peil "
              f"({len(peil)} matched there); largest |score difference|, statsmodels - "
              f"peil: {np.max(np.abs(score[row] - dist)):.1e}")

if __name__ == "__main__":
    sys.exit(main())
