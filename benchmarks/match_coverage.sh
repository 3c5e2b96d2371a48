#!/usr/bin/env bash
# Coverage study of peil match: do the 95% intervals of the effect on the
# matched sample cover the simulation's true effect? Seeded replications of
# `peil simulate`, the STiP-like extract of tests/reference/matching/
# make_stip.py, `peil match --caliper 0.2 --json`, the CR1 (pair-clustered)
# interval of diff_means held against the sample ATT of the matched treated
# from the simulation's answer key (benchmarks/match_coverage.py has the
# details and the reasons).
#
#   make build
#   benchmarks/match_coverage.sh [PEIL] [options]     # PEIL: build/peil
#
# options (or the environment variables in brackets):
#   --reps R          replications per run                   [REPS=100]
#   --persons N       persons per simulated extract          [PERSONS=50000]
#   --seed S          seeds S .. S+R-1                       [SEED=1000]
#   --hidden "X ..."  also runs with --hidden-bias X          [HIDDEN="0.5 1"]
#   --hidden-reps R   replications of those runs             [HIDDEN_REPS=REPS]
#   --never           also make_stip's own control design (never-treated,
#                     the report's VG1), with the same formula and with the
#                     formula of tests/reference/matching's stip cases [NEVER=0]
#   --jobs J          replications at a time                 [JOBS=2]
#   --dir D           scratch  [DIR=$SCRATCH/peil-match-coverage or /tmp/...]
#
# Runs, each a table (per outcome: intervals covering the ATT of the matched
# treated and of all treated, mean estimate, mean truth, bias with its Monte
# Carlo SE, mean SE, SD of the errors estimate - ATT):
#   1. selection on observables only (--hidden-bias 0): target >= 90/100;
#   2. --hidden-bias X for each X of --hidden: the bias should show;
#   3. with --never: the never-treated comparison group (two formulas).
# Exit 1 when run 1 covers the matched treated's ATT fewer than 90% of the
# replications at some outcome.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3

PEIL=${PEIL:-build/peil}
REPS=${REPS:-100}
PERSONS=${PERSONS:-50000}
SEED=${SEED:-1000}
HIDDEN=${HIDDEN-0.5 1}
HIDDEN_REPS=${HIDDEN_REPS:-}
NEVER=${NEVER:-0}
JOBS=${JOBS:-2}
DIR=${DIR:-${SCRATCH:-/tmp}/peil-match-coverage}
while [ $# -gt 0 ]; do
  case $1 in
    --reps) REPS=$2; shift 2 ;;
    --persons) PERSONS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --hidden) HIDDEN=$2; shift 2 ;;
    --hidden-reps) HIDDEN_REPS=$2; shift 2 ;;
    --never) NEVER=1; shift ;;
    --jobs) JOBS=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "match_coverage.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) PEIL=$1; shift ;;
  esac
done
HIDDEN_REPS=${HIDDEN_REPS:-$REPS}
[ -x "$PEIL" ] || { echo "match_coverage.sh: no peil at $PEIL (make build)" >&2; exit 2; }
if ! "$PY" -c 'import h5py, numpy, pandas' 2>/dev/null; then
  echo "match_coverage.sh: $PY lacks h5py, numpy or pandas" >&2; exit 2
fi
mkdir -p "$DIR"

echo "# peil match coverage: $("$PEIL" --version 2>/dev/null | head -n 1), $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
FAILED=0
run() { # TITLE ARGS...
  local title=$1
  shift
  echo "## $title"
  local t0 t1
  t0=$(date +%s)
  "$PY" "$here/match_coverage.py" --peil "$PEIL" --persons "$PERSONS" --seed "$SEED" --jobs "$JOBS" \
    --dir "$DIR" "$@" > "$DIR/run.log" 2>&1 || { cat "$DIR/run.log"; FAILED=1; return; }
  t1=$(date +%s)
  sed -n '1,2p' "$DIR/run.log"
  echo
  sed -n '/^| outcome/,$p' "$DIR/run.log"
  echo
  echo "($((t1 - t0)) s; replications in $DIR/$(echo "$title" | tr -c 'a-zA-Z0-9\n' '_').csv)"
  cp "$DIR/run.csv" "$DIR/$(echo "$title" | tr -c 'a-zA-Z0-9\n' '_').csv"
  echo
}
min=$(awk -v r="$REPS" 'BEGIN { printf "%d", r * 0.9 + 0.999999 }')
run "selection on observables only" --reps "$REPS" --csv "$DIR/run.csv" --min-cover "$min"
grep -q '^FAIL' "$DIR/run.log" && FAILED=1
for x in $HIDDEN; do
  run "hidden bias $x" --reps "$HIDDEN_REPS" --hidden-bias "$x" --csv "$DIR/run.csv"
done
if [ "$NEVER" = 1 ]; then
  run "never-treated controls (make_stip's design)" --reps "$REPS" --design never --csv "$DIR/run.csv"
  run "never-treated controls, the stip formula" --reps "$REPS" --design never \
    --formula 'treat ~ age + sex + migration + education + municipality + duration + worked + factor(year)' \
    --csv "$DIR/run.csv"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$FAILED"
