#!/usr/bin/python3
"""Compares peil cohort's JSON tables with the pandas reference's CSV files.

Usage: compare.py PEIL.json EXPECTED.csv [--tol 1e-12] [--cohort NAME]

EXPECTED.csv holds outcome_table rows (tests/reference/cohort_g4.py writes it),
EXPECTED_population.csv the population_table rows. Every expected row must be
in peil's table (matched on subset, date, group, stratum, level [, outcome,
horizon]) with the same n, censored and sum, and a share or mean equal to
1e-12 relative (both missing for an empty cell); peil rows of the dates the
CSV covers that the CSV lacks are differences too. Prints the first
differences and exits 1 when there are any. Standard library only.
"""
import csv
import json
import math
import sys


def load_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(v):
    if v is None or v == "":
        return math.nan
    return float(v)


def close(a, b, tol):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol * max(abs(a), abs(b)) or a == b


def main(argv):
    tol, cohort, args = 1e-12, None, []
    i = 1
    while i < len(argv):
        if argv[i] == "--tol":
            tol = float(argv[i + 1]); i += 2
        elif argv[i] == "--cohort":
            cohort = argv[i + 1]; i += 2
        else:
            args.append(argv[i]); i += 1
    if len(args) != 2:
        print(__doc__.split("Usage: ")[1].split("\n")[0], file=sys.stderr)
        return 2
    js, exp_out = args
    exp_pop = (exp_out[:-4] if exp_out.endswith(".csv") else exp_out) + "_population.csv"
    with open(js) as f:
        doc = json.load(f)
    cohorts = doc["cohorts"]
    c = next(x for x in cohorts if cohort is None or x["name"] == cohort)

    diffs, checked = [], 0
    specs = [
        ("population_table", exp_pop, ["subset", "date", "group", "stratum", "level"],
         ["n"], "share"),
        ("outcome_table", exp_out,
         ["subset", "date", "group", "stratum", "level", "outcome", "horizon"],
         ["n", "censored", "sum"], "mean"),
    ]
    for table, path, keys, counts, share in specs:
        expected = load_csv(path)
        dates = {r["date"] for r in expected}
        got = {}
        for r in c[table]:
            if r["date"] not in dates:
                continue
            k = tuple(str(r[x]) for x in keys)
            if k in got:
                diffs.append(f"{table}: peil has row {k} twice")
            got[k] = r
        for e in expected:
            k = tuple(e[x] for x in keys)
            r = got.pop(k, None)
            checked += 1
            if r is None:
                diffs.append(f"{table}: peil lacks row {k}")
                continue
            for x in counts:
                if num(e[x]) != num(r[x]):
                    diffs.append(f"{table} {k}: {x} peil {r[x]} reference {e[x]}")
            a, b = num(r[share]), num(e[share])
            if not close(a, b, tol):
                rel = abs(a - b) / max(abs(a), abs(b)) if not (math.isnan(a) or math.isnan(b)) else math.nan
                diffs.append(f"{table} {k}: {share} peil {a!r} reference {b!r} (rel {rel:.3g})")
        for k, r in got.items():
            if r.get("n", 0) or table == "outcome_table":
                diffs.append(f"{table}: peil has row {k} (n {r.get('n')}) the reference lacks")
    if diffs:
        for d in diffs[:40]:
            print("  " + d, file=sys.stderr)
        if len(diffs) > 40:
            print(f"  ... and {len(diffs) - 40} more", file=sys.stderr)
        print(f"compare.py: {len(diffs)} differences in {checked} rows", file=sys.stderr)
        return 1
    print(f"compare.py: {checked} rows agree (counts exactly, shares to {tol:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
