#!/usr/bin/python3
"""Helpers of examples/stip-match.sh (see there).

    stip_match.py extract --peil PEIL STORE DIR
        the STiP-like extracts of a simulated store, two control designs:
        DIR/stip-never.csv, DIR/stip-risk.csv, and the answer key
        DIR/truth.csv (rin, start, Y(1) - Y(0) at 6/12/18/24 months)
    stip_match.py table DIR DESIGN
        the table of estimates and truths of DIR/{exact,psm}-DESIGN.json
        and .h5 (peil match --json, -o)

The extract is tests/reference/matching/make_stip.py's (imported), with
every eligible control kept (make_stip draws 2,500 of them):
  never  persons never in the programme, on bijstand and aged 18..59 on a
         pseudo start date drawn from the participants' start dates (and
         below 60 by calendar months, as the programme's rule): the STiP
         report's comparison group of non-participants (VG1);
  risk   persons (participants too) who could have started the programme in
         the month of their pseudo start date and did not: on one bijstand
         spell the whole month, below 60, not in the programme before.
The answer key (the simulation's `truth` table) is used for the truth
columns only, never in an estimate.
"""
import json
import os
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference", "matching"))
import make_stip  # noqa: E402

HORIZONS = make_stip.HORIZONS
SEED = 2024


def extract(peil, store, out):
    with tempfile.TemporaryDirectory() as tmp:
        ex = make_stip.load(peil, store, tmp)
    for design in ("never", "risk"):
        treated, controls, _ = make_stip.build(ex, SEED, n_controls=None, design=design)
        # the programme takes people below 60 by calendar months (the risk
        # set has this already): never-participants of 60 are not comparable
        controls = [r for r in controls if r["age_band_sim"] != "60+"]
        path = os.path.join(out, f"stip-{design}.csv")
        make_stip.frame(treated, controls, extra=True).to_csv(path, index=False, lineterminator="\n")
        print(f"{path}: {len(treated)} participants, {len(controls)} controls ({design})")
    truth = make_stip.true_effects(ex)
    with open(os.path.join(out, "truth.csv"), "w") as f:
        f.write("rin,start," + ",".join(f"att_{k}m" for k in HORIZONS) + "\n")
        for (rin, start), d in sorted(truth.items()):
            f.write(f"{rin},{start}," + ",".join(str(d.get(k, "")) for k in HORIZONS) + "\n")


def table(out, design):
    import pandas as pd
    data = pd.read_csv(os.path.join(out, f"stip-{design}.csv"))
    truth = pd.read_csv(os.path.join(out, "truth.csv")).set_index(["rin", "start"])
    keys = list(zip(data["rin"], data["start"]))
    treated = [keys[i] for i in np.flatnonzero(data["treat"].to_numpy() == 1)]

    def att(units, k):
        return truth.loc[units, f"att_{k}m"].mean()

    res, matched = {}, {}
    for m in ("exact", "psm"):
        res[m] = json.load(open(os.path.join(out, f"{m}-{design}.json")))
        with h5py.File(os.path.join(out, f"{m}-{design}.h5"), "r") as f:
            g = f["matched"]
            rows, tr, w = g["row"][:], g["treat"][:], g["weight"][:]
        matched[m] = [keys[i] for i in rows[(tr == 1) & (w > 0)]]

    def row(doc, part, y, est, vcov):
        for e in doc[part]:
            if e["outcome"] == y and e["estimator"] == est and e["vcov"] == vcov:
                return e
        return None

    def fmt(e):
        return f"{e['estimate']:+.3f} [{e['conf_low']:+.3f}, {e['conf_high']:+.3f}]"

    s = res["psm"]["rows"]
    print(f"{s['treated']} participants, {s['control']} comparison persons; matched participants: "
          f"exact {len(matched['exact'])}, propensity {len(matched['psm'])}")
    print()
    print("| in work after | " + " | ".join(f"{k} months" for k in HORIZONS) + " |")
    print("|---|" + "---:|" * len(HORIZONS))
    lines = [
        ("**true ATT**, all participants", lambda k, y: f"**{att(treated, k):+.3f}**"),
        ("true ATT, exactly matched participants", lambda k, y: f"{att(matched['exact'], k):+.3f}"),
        ("true ATT, propensity-matched participants", lambda k, y: f"{att(matched['psm'], k):+.3f}"),
        ("naive difference (before matching)",
         lambda k, y: fmt(row(res["psm"], "before_matching", y, "diff_means", "HC1"))),
        ("regression-adjusted (OLS on (b)'s covariates, before matching)",
         lambda k, y: fmt(row(res["psm"], "before_matching", y, "lm_adjusted", "HC1"))),
        ("(a) exact 1:1, age band x duration band",
         lambda k, y: fmt(row(res["exact"], "effects", y, "diff_means", "CR1"))),
        ("(b) propensity score 1:1, caliper 0.2 SD",
         lambda k, y: fmt(row(res["psm"], "effects", y, "diff_means", "CR1"))),
    ]
    for label, f in lines:
        print(f"| {label} | " + " | ".join(f(k, f"in_work_{k}m") for k in HORIZONS) + " |")

def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "extract" and len(sys.argv) == 6 and sys.argv[2] == "--peil":
        extract(sys.argv[3], sys.argv[4], sys.argv[5])
    elif len(sys.argv) == 4 and sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
