#!/usr/bin/python3
"""Rewrites the spell tables of a simulated store (in place) so that the
G4 cohort meets its boundary cases, which `peil simulate` never or rarely
produces: spells that overlap within a person (a longer spell running past
the next one's start, in another municipality too), spells one day apart
(two episodes) and adjacent (one episode), and starts and ends on a
reference date, a horizon date, or the day before or after either.

Usage: perturb.py STORE.h5 [--seed S]

Rows stay sorted by rin and start; no end precedes its start; only a
person's last spell stays open. The test then checks peil cohort against
tests/reference/cohort_g4.py on the result (both run live: the perturbation
uses numpy's generator, whose stream is not promised across versions, so no
expected table is committed for it).
"""
import datetime as dt
import sys

import h5py
import numpy as np

EPOCH = dt.date(1970, 1, 1)
MISSING = -2**31


def first_of_month(y, m):
    return (dt.date(y + (m - 1) // 12, (m - 1) % 12 + 1, 1) - EPOCH).days


def main(argv):
    seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 1
    store = argv[1]
    rng = np.random.default_rng(seed)
    # The reference dates (1 Jan / 1 Jul 2018-2022) and their horizons.
    days = sorted({first_of_month(2018 + i // 2, 1 + 6 * (i % 2) + k)
                   for i in range(9) for k in (0, 6, 12, 18)})
    days = np.array(days, dtype=np.int64)
    with h5py.File(store, "r+") as f:
        for name, frac in (("bijstand", 0.5), ("jobs", 0.3), ("srg", 0.3)):
            g = f[name]
            cols = {c: g[c][()] for c in g}
            rin = cols["rin"]
            s = cols["start"].astype(np.int64)
            e = cols["end"].astype(np.int64)
            n = len(rin)
            is_open = e == MISSING
            # Ends and starts on a boundary day (or the day before/after).
            t = days[rng.integers(0, len(days), n)] + rng.integers(-1, 2, n)
            e = np.where((rng.random(n) < 0.15) & ~is_open & (t >= s), t, e)
            t = days[rng.integers(0, len(days), n)] + rng.integers(-1, 2, n)
            s = np.where((rng.random(n) < 0.10) & (is_open | (t <= e)), t, s)
            # The end against the next spell of the same person: adjacent,
            # one day apart, or running past its start (overlap).
            has_next = np.r_[rin[1:] == rin[:-1], False]
            next_start = np.r_[s[1:], 0]
            kind = rng.integers(0, 4, n)
            want = np.select([kind == 0, kind == 1, kind == 2],
                             [next_start - 1, next_start - 2,
                              next_start + rng.integers(0, 300, n)], next_start)
            sel = has_next & ~is_open & (rng.random(n) < frac) & (want >= s)
            e = np.where(sel, want, e)
            order = np.lexsort((s, rin))
            cols["start"], cols["end"] = s.astype(np.int32), e.astype(np.int32)
            for c, v in cols.items():
                g[c][...] = v[order]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
