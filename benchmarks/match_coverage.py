#!/usr/bin/python3
"""Coverage of peil match's confidence intervals on simulated STiP-like
extracts (benchmarks/match_coverage.sh runs it; so does the CI test
tests/cli/test_match_coverage.sh, with fewer and smaller replications).

    /usr/bin/python3 benchmarks/match_coverage.py --peil build/peil \
        [--reps 100] [--persons 50000] [--seed 1000] [--hidden-bias 0] \
        [--design risk] [--jobs 2] [--dir D] [--csv results.csv] \
        [--min-cover K] [--summary FILE.json]

Replication r (r = 0 .. reps-1) uses seed S + r:

1. `peil simulate --persons N --seed S+r [--hidden-bias X]`, default
   parameters otherwise (selection on observables only when X = 0).
2. The STiP-like extract of tests/reference/matching/make_stip.py (imported,
   not copied): participants who started in 2017-2020 on their start date,
   and controls on pseudo start dates drawn from the participants' (seed
   S+r), with all eligible controls kept (no draw of 2,500). The design of
   the controls is --design:
     risk   (default) the non-entrants of the simulation's risk set of
            programme entry in the month of the pseudo date: on one
            bijstand spell the whole month, below 60, not yet in the
            programme (make_stip.build's design "risk").
     never  make_stip's own: persons never in the programme, on bijstand
            and 18..59 on the pseudo date (the report's VG1), and below 60
            by calendar months, as the programme's rule.
3. `peil match EXTRACT.csv -f FORMULA --caliper 0.2 --outcome
   in_work_6m,in_work_12m,in_work_18m,in_work_24m --json -o matched.h5`:
   1:1 nearest neighbour on the logit score, without replacement, caliper
   0.2 SD, largest first. FORMULA (--formula) by default:
     treat ~ age_band_sim + education + dur_band_sim + work_months
             + municipality + sex + migration + factor(year)
   the simulation's entry model (docs/simulation.md, section 6) measured as
   it measures it (make_stip's age_band_sim, dur_band_sim, work_months),
   plus covariates an analyst would add.
4. The interval: the diff_means row with vcov CR1 (standard errors
   clustered on the matched pair) of each outcome. The truth it is held
   against: the sample ATT of the matched treated, mean(Y(1) - Y(0)) from
   the simulation's answer key (table `truth`) over the treated units that
   peil matched (weight > 0 in matched.h5). Also recorded: the sample ATT
   of all treated units of the extract.

Output: one line per replication (--csv: the same as CSV), then per
outcome the number of intervals that cover each truth, the mean estimate
minus the truth (bias) with its Monte Carlo SE, the mean standard error and
the SD of the estimates' errors (estimate - ATT of the matched treated),
which the mean SE should match. --min-cover K: exit 1 when an outcome's intervals
cover the matched treated's ATT fewer than K times. --summary: the table as
JSON (per outcome: reps, covered_matched, covered_all, bias, bias_mc_se,
mean_se, sd_estimate, sd_error).
"""
import argparse
import concurrent.futures as cf
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference", "matching"))
import make_stip  # noqa: E402

HORIZONS = make_stip.HORIZONS
OUTCOMES = [f"in_work_{k}m" for k in HORIZONS]
FORMULA = ("treat ~ age_band_sim + education + dur_band_sim + work_months + municipality"
           " + sex + migration + factor(year)")


def replication(args, r):
    seed = args.seed + r
    work = tempfile.mkdtemp(prefix=f"rep{r}-", dir=args.dir)
    try:
        store = os.path.join(work, "sim.h5")
        extra = ["--hidden-bias", str(args.hidden_bias)] if args.hidden_bias else []
        extra += ["--threads", "1"] if args.jobs > 1 else []
        make_stip.simulate(args.peil, store, args.persons, seed, extra)
        ex = make_stip.load(args.peil, store, work)
        treated, controls, _ = make_stip.build(ex, seed, n_controls=None, design=args.design)
        # the programme takes people below 60 by calendar months (the risk
        # set has this already): never-participants of 60 are not comparable
        controls = [r for r in controls if r["age_band_sim"] != "60+"]
        data = os.path.join(work, "extract.csv")
        make_stip.frame(treated, controls, extra=True).to_csv(data, index=False, lineterminator="\n")
        matched = os.path.join(work, "matched.h5")
        cmd = [args.peil, "match", data, "-f", args.formula, "--caliper", str(args.caliper),
               "--outcome", ",".join(OUTCOMES), "--json", "-q", "-o", matched]
        if args.jobs > 1:
            cmd += ["--threads", "1"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"replication {r}: peil match failed: {p.stderr.strip()}")
        res = json.loads(p.stdout)
        # the rows of the extract that peil matched (0-based rows of the CSV)
        with h5py.File(matched, "r") as f:
            g = f["matched"]
            rows, tr, w = g["row"][:], g["treat"][:], g["weight"][:]
        df = make_stip.frame(treated, controls, extra=True).reset_index(drop=True)
        truth = make_stip.true_effects(ex)
        keys = list(zip(df["rin"], df["start"]))
        m_treated = [keys[i] for i in rows[(tr == 1) & (w > 0)]]
        a_treated = [keys[i] for i in np.flatnonzero(df["treat"].to_numpy() == 1)]
        out = {"rep": r, "seed": seed, "n_treated": len(a_treated), "n_controls": len(controls),
               "n_matched": len(m_treated)}
        for k, y in zip(HORIZONS, OUTCOMES):
            row = [e for e in res["effects"] if e["outcome"] == y and e["estimator"] == "diff_means"
                   and e["vcov"] == "CR1"][0]
            tm = np.mean([truth[key][k] for key in m_treated])
            ta = np.mean([truth[key][k] for key in a_treated])
            out.update({f"est_{k}": row["estimate"], f"se_{k}": row["std_error"],
                        f"lo_{k}": row["conf_low"], f"hi_{k}": row["conf_high"],
                        f"att_matched_{k}": tm, f"att_all_{k}": ta})
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--peil", default="build/peil")
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--persons", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--hidden-bias", type=float, default=0.0)
    ap.add_argument("--design", choices=["risk", "never"], default="risk")
    ap.add_argument("--formula", default=FORMULA)
    ap.add_argument("--caliper", type=float, default=0.2)
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--dir", default=None, help="scratch directory (default: the system's)")
    ap.add_argument("--csv", help="write the replications here")
    ap.add_argument("--min-cover", type=int, default=None)
    ap.add_argument("--summary", help="write the table as JSON here")
    args = ap.parse_args()
    args.peil = os.path.abspath(args.peil)
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)

    print(f"peil match coverage: {args.reps} replications, {args.persons} persons, seeds "
          f"{args.seed}..{args.seed + args.reps - 1}, hidden bias {args.hidden_bias:g}, "
          f"controls: {args.design}, caliper {args.caliper:g} SD")
    print(f"formula: {args.formula}")
    results = [None] * args.reps
    with cf.ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futs = {pool.submit(replication, args, r): r for r in range(args.reps)}
        for fut in cf.as_completed(futs):
            o = fut.result()
            results[o["rep"]] = o
            cov = "".join("x" if o[f"lo_{k}"] <= o[f"att_matched_{k}"] <= o[f"hi_{k}"] else "."
                          for k in HORIZONS)
            print(f"  rep {o['rep']:3d} seed {o['seed']}: {o['n_treated']} treated "
                  f"({o['n_matched']} matched), {o['n_controls']} controls; "
                  + "  ".join(f"{k}m {o[f'est_{k}']:+.3f} [{o[f'lo_{k}']:+.3f}, {o[f'hi_{k}']:+.3f}] "
                              f"truth {o[f'att_matched_{k}']:+.3f}" for k in HORIZONS)
                  + f"  covered {cov}", flush=True)
    if args.csv:
        cols = list(results[0].keys())
        with open(args.csv, "w") as f:
            f.write(",".join(cols) + "\n")
            for o in results:
                f.write(",".join(repr(o[c]) if isinstance(o[c], float) else str(o[c]) for c in cols) + "\n")

    n = len(results)
    print()
    print(f"| outcome | covers ATT of matched treated | covers ATT of all treated | mean estimate | "
          f"mean ATT (matched) | bias (± MC SE) | mean SE | SD of estimate - ATT |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    worst = n
    summary = {}
    for k, y in zip(HORIZONS, OUTCOMES):
        est = np.array([o[f"est_{k}"] for o in results])
        se = np.array([o[f"se_{k}"] for o in results])
        tm = np.array([o[f"att_matched_{k}"] for o in results])
        ta = np.array([o[f"att_all_{k}"] for o in results])
        lo = np.array([o[f"lo_{k}"] for o in results])
        hi = np.array([o[f"hi_{k}"] for o in results])
        cm = int(np.sum((lo <= tm) & (tm <= hi)))
        ca = int(np.sum((lo <= ta) & (ta <= hi)))
        worst = min(worst, cm)
        bias = est - tm
        summary[y] = {"reps": n, "covered_matched": cm, "covered_all": ca,
                      "bias": float(bias.mean()),
                      "bias_mc_se": float(bias.std(ddof=1) / math.sqrt(n)) if n > 1 else None,
                      "mean_se": float(se.mean()),
                      "sd_estimate": float(est.std(ddof=1)) if n > 1 else None,
                      "sd_error": float(bias.std(ddof=1)) if n > 1 else None}
        print(f"| {y} | {cm}/{n} | {ca}/{n} | {est.mean():+.4f} | {tm.mean():+.4f} | "
              f"{bias.mean():+.4f} ± {bias.std(ddof=1) / math.sqrt(n) if n > 1 else float('nan'):.4f} | "
              f"{se.mean():.4f} | {bias.std(ddof=1) if n > 1 else float('nan'):.4f} |")
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(summary, f, indent=2)
    if args.min_cover is not None:
        if worst < args.min_cover:
            print(f"FAIL: an outcome's intervals cover the matched treated's ATT {worst} times, "
                  f"fewer than {args.min_cover}")
            return 1
        print(f"ok: every outcome's intervals cover the matched treated's ATT at least "
              f"{args.min_cover} times (lowest {worst}/{n})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
