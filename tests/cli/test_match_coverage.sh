#!/usr/bin/env bash
# peil match's 95% intervals cover the true effect: 20 seeded replications
# of a 20,000-person `peil simulate` extract (selection on observables only),
# the STiP-like extract of tests/reference/matching/make_stip.py with the
# risk-set control design, 1:1 nearest neighbour on the logit score with a
# caliper of 0.2 SD, the diff_means / CR1 (pair-clustered) interval of each
# of the four outcomes held against the simulation's sample ATT of the
# matched treated (benchmarks/match_coverage.py; the full study, 100
# replications of 50,000 persons, is benchmarks/match_coverage.sh and its
# figures are in benchmarks/RESULTS.md).
#
# The bound: with true coverage 0.95, an outcome's count of 20 falls below
# 16 with probability P(Binomial(20, 0.95) <= 15) = 0.0026, so all four
# reach 16 with probability at least 1 - 4 x 0.0026 = 0.989 (the runs are
# seeded: the outcome is the same on every run; the bound says how unlucky
# a correct engine would have to be for these seeds). At 0.90 coverage the chance of passing is 0.957
# per outcome; the test catches wrong standard errors or biased matching,
# not a few points of undercoverage.
#
# And the power of the check: with --hidden-bias 1 (selection on the
# unobserved employability) four replications must show the bias, a mean
# estimate above the truth by more than 0.04 at every horizon (the full
# study finds +0.09 to +0.13; the SE of one estimate is about 0.027 here).
# About 75 s on two busy cores (load 7), 100 s under ctest.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
if ! "$PY" -c 'import h5py, numpy, pandas' 2>/dev/null; then
  echo "SKIPPED: $PY lacks h5py, numpy or pandas (apt-get install python3-h5py python3-pandas)"; exit 77
fi
DRIVER="$PEIL_TESTS/../benchmarks/match_coverage.py"

expect_exit 0 "$PY" "$DRIVER" --peil "$PEIL" --reps 20 --persons 20000 --seed 500 \
  --dir "$T" --min-cover 16 --summary "$T/cover.json"
cat "$T/out"
expect_out "ok: every outcome's intervals cover"

expect_exit 0 "$PY" "$DRIVER" --peil "$PEIL" --reps 4 --persons 20000 --seed 700 \
  --hidden-bias 1 --dir "$T" --summary "$T/hidden.json"
sed -n '/^| outcome/,$p' "$T/out"
expect_exit 0 "$PY" - "$T/hidden.json" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
low = {k: v["bias"] for k, v in s.items() if not v["bias"] > 0.04}
assert not low, f"hidden bias 1 should bias every estimate upwards by > 0.04: {low}"
print("ok: hidden bias shows: " + ", ".join(f"{k} {v['bias']:+.3f}" for k, v in s.items()))
PYEOF
cat "$T/out"
expect_out "ok: hidden bias shows"
finish
