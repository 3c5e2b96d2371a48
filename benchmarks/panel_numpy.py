#!/usr/bin/python3
"""The person-month panel of `peil panel --at any` the way a numpy user
would build it: read the spell tables with h5py, expand each spell into
its months (np.repeat; vectorised, no loop over spells), mark them, and
write rin, month and the 0/1 columns to an HDF5 file with h5py (LZF, 65,536-
row chunks, as peil's store). Written from docs/cohort.md, not from peil.

    panel_numpy.py STORE OUT.h5 FROM TO TABLE [TABLE ...]   (FROM, TO: YYYY-MM)
    panel_numpy.py --check STORE PANEL OUT.h5               (compare with peil's table)

Prints the seconds of its phases on stderr ("seconds: read ... compute ...
write ...")."""
import sys
import time

import h5py
import numpy as np


def months_between(a, b):
    """YYYY-MM strings to the month index of b counted from a."""
    ya, ma = map(int, a.split("-"))
    yb, mb = map(int, b.split("-"))
    return (yb - ya) * 12 + (mb - ma)


def build(store, out, first, last, tables):
    t0 = time.monotonic()
    f = h5py.File(store, "r")
    rins = f["persons/rin"][:]
    spells = {}
    for t in tables:
        g = f[t]
        end = g["end"][:]
        spells[t] = (g["rin"][:], g["start"][:].astype(np.int64), end.astype(np.int64),
                     end == g["end"].attrs["missing"])
    t1 = time.monotonic()
    M = months_between(first, last) + 1
    month0 = np.datetime64(first + "-01", "M")
    starts = (month0 + np.arange(M + 1)).astype("datetime64[D]").astype(np.int64)  # M+1 first days
    P = len(rins)
    cols = {}
    for t, (rin, start, end, open_) in spells.items():
        person = np.searchsorted(rins, rin)
        known = (person < P) & (rins[np.minimum(person, P - 1)] == rin)
        # the months a spell overlaps: from the month holding its start to
        # the month holding its end, clipped to the panel
        m0 = np.searchsorted(starts, start, side="right") - 1
        m1 = np.where(open_, M - 1, np.searchsorted(starts, end, side="right") - 1)
        keep = known & (m1 >= 0) & (m0 <= M - 1)
        m0 = np.clip(m0[keep], 0, M - 1)
        m1 = np.clip(m1[keep], 0, M - 1)
        p = person[keep]
        # each spell's months as flat indices person * M + month (np.repeat
        # of the first month, plus 0, 1, ... within the spell)
        lengths = m1 - m0 + 1
        base = np.repeat(p * M + m0 - np.cumsum(lengths) + lengths, lengths)
        status = np.zeros(P * M, np.int8)
        status[base + np.arange(len(base))] = 1
        cols[t] = status
    rin_col = np.repeat(rins, M)
    month_col = np.tile(starts[:M].astype(np.int32), P)
    t2 = time.monotonic()
    with h5py.File(out, "w") as o:
        g = o.create_group("panel")
        opts = dict(chunks=(65536,), compression="lzf")
        g.create_dataset("rin", data=rin_col, **opts)
        g.create_dataset("month", data=month_col, **opts)
        for t in tables:
            g.create_dataset(t, data=cols[t], **opts)
    t3 = time.monotonic()
    print("panel_numpy.py: %d rows (%d persons x %d months)" % (P * M, P, M), file=sys.stderr)
    print("seconds: read %.2f compute %.2f write %.2f" % (t1 - t0, t2 - t1, t3 - t2), file=sys.stderr)


def check(store, table, out):
    a = h5py.File(store, "r")[table]
    b = h5py.File(out, "r")["panel"]
    for c in b:
        x, y = a[c][:], b[c][:]
        if len(x) != len(y) or not (x == y).all():
            sys.exit("column %s differs" % c)
    print("%d rows, %d columns identical" % (len(b["rin"]), len(b)))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--check":
        check(*sys.argv[2:5])
    elif len(sys.argv) >= 6:
        build(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    else:
        sys.exit(__doc__)
