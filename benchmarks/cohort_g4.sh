#!/usr/bin/env bash
# The G4 cohort table: peil cohort against the pandas re-implementation
# (tests/reference/cohort_g4.py) on the same simulated store in the same run.
#
#   make build
#   benchmarks/cohort_g4.sh [PEIL] [options]          # PEIL: build/peil
#
# options (or the environment variables in brackets):
#   --persons N     persons of the simulated store        [PERSONS=1000000]
#   --seed S        its seed                              [SEED=2024]
#   --reps R        timed runs of each command (best of)  [REPS=3]
#   --dir D         store and outputs      [DIR=$SCRATCH/peil-cohort or /tmp/peil-cohort]
#   --no-corrected  skip the corrected peil run (slow)    [CORRECTED=0]
# GNU_TIME= (empty) and HYPERFINE= (empty) force the fallbacks below.
#
# The store (peil simulate --persons N --seed S) is made once and kept in DIR
# for the next run. Then, end to end (the whole process: open, read,
# compute, write the output):
#   peil, corrected    peil cohort STORE --spec examples/g4-cohort.ini --json
#                      (9 dates x 3 horizons x 2 subsets x 3 strata, lpm and
#                      logit corrections): the issue's target, <= 10 s at 1M
#   peil, uncorrected  the same spec with correct = none
#   pandas             /usr/bin/python3 tests/reference/cohort_g4.py STORE OUT.csv
#                      (uncorrected only; interpreter start-up and imports
#                      included; its own read/compute split is shown too)
# Each command runs once under GNU time (Debian package 'time'; else
# getrusage of the child) for its peak RSS and its output, then REPS times
# with hyperfine when installed (else date +%s.%N); the table shows the best
# and the median. Speed-up = pandas' best over peil's best. peil's pooled
# uncorrected outcome_table and population_table (from both peil runs) are
# checked against pandas' with tests/reference/cohort/compare.py (counts
# exactly, shares to 1e-12); a disagreement makes the script exit 1 after
# the table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PY=/usr/bin/python3

PEIL=${PEIL:-build/peil}
PERSONS=${PERSONS:-1000000}
SEED=${SEED:-2024}
REPS=${REPS:-3}
CORRECTED=${CORRECTED:-1}
DIR=${DIR:-${SCRATCH:-/tmp}/peil-cohort}
GNU_TIME=${GNU_TIME-/usr/bin/time}
HYPERFINE=${HYPERFINE-hyperfine}
while [ $# -gt 0 ]; do
  case $1 in
    --persons) PERSONS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --no-corrected) CORRECTED=0; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "cohort_g4.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) PEIL=$1; shift ;;
  esac
done
PERSONS=$(printf '%.0f' "$PERSONS")
[ -x "$PEIL" ] || { echo "cohort_g4.sh: no peil at $PEIL (make build)" >&2; exit 2; }
PEIL=$(cd "$(dirname "$PEIL")" && pwd)/$(basename "$PEIL")
"$PY" -c 'import h5py, numpy, pandas' 2>/dev/null \
  || { echo "cohort_g4.sh: $PY lacks h5py, numpy or pandas (apt-get install python3-h5py python3-pandas)" >&2; exit 2; }
mkdir -p "$DIR"
SPEC="$root/examples/g4-cohort.ini"
SPEC0="$DIR/g4-cohort-uncorrected.ini"
sed 's/^correct *=.*/correct = none/' "$SPEC" > "$SPEC0"
grep -q '^correct = none$' "$SPEC0" || { echo "cohort_g4.sh: no 'correct =' line in $SPEC" >&2; exit 2; }

. "$here/timing.sh"

load=$(cut -d' ' -f1 /proc/loadavg)
echo "peil cohort, G4 example: $("$PEIL" --version 2>/dev/null | head -n 1), $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)$(awk -v l="$load" 'BEGIN { if (l >= 1.2) print "  (busy machine: figures will be low)" }')"
echo "pandas: $("$PY" -c 'import sys, pandas, numpy, h5py; print("Python %s, pandas %s, numpy %s, h5py %s" % (sys.version.split()[0], pandas.__version__, numpy.__version__, h5py.__version__))')"

STORE="$DIR/g4-$PERSONS-s$SEED.h5"
if [ ! -s "$STORE" ]; then
  echo "simulating $STORE ..."
  "$PEIL" simulate -o "$STORE.tmp" --persons "$PERSONS" --seed "$SEED" -q
  mv "$STORE.tmp" "$STORE"
fi
echo "store: $STORE ($(du -m "$STORE" | cut -f1) MiB)"
echo

rows=()
FAILED=0
# bench LABEL NOTE CMD...
bench() {
  local label=$1 note=$2 tag=$3
  shift 3
  measure "$DIR/$tag.log" "$@"
  if [ "$RC" != 0 ]; then
    echo "$label failed (exit $RC):" >&2; sed 's/^/  /' "$DIR/$tag.log" >&2
    FAILED=1; rows+=("| $label | failed | | | | $note |"); return
  fi
  time_it "$@"
  eval "BEST_$tag=$BEST"
  rows+=("| $label | $BEST | $MEDIAN | $WALL | $RSS | $note |")
}

rm -f "$DIR"/peil-*.json "$DIR"/pandas*.csv
[ "$CORRECTED" = 0 ] || bench "peil cohort, corrected (lpm + logit)" "examples/g4-cohort.ini" corr \
  "$PEIL" cohort "$STORE" --spec "$SPEC" --json -o "$DIR/peil-corrected.json"
bench "peil cohort, uncorrected" "correct = none" unc \
  "$PEIL" cohort "$STORE" --spec "$SPEC0" --json -o "$DIR/peil-uncorrected.json"
bench "pandas (cohort_g4.py)" "uncorrected only" pandas \
  "$PY" "$root/tests/reference/cohort_g4.py" "$STORE" "$DIR/pandas.csv"

echo "| command | best (s) | median (s) | measured run (s) | peak RSS (MiB) | note |"
echo "|---|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
echo
echo "best of $REPS runs$(command -v "$HYPERFINE" > /dev/null && [ -n "$HYPERFINE" ] && echo " (hyperfine)"), end to end; the measured run (GNU time) is the one before them."
split=$(grep -o 'seconds: .*' "$DIR/pandas.log" 2>/dev/null || true)
[ -n "$split" ] && echo "pandas' own split (measured run): ${split#seconds: }"
pop=$(grep -o '^cohort_g4.py: [0-9]* person-dates of [0-9]* persons' "$DIR/pandas.log" 2>/dev/null || true)
[ -n "$pop" ] && echo "population: ${pop#cohort_g4.py: }"
if [ -n "${BEST_pandas:-}" ]; then
  for t in unc corr; do
    v=BEST_$t
    [ -n "${!v:-}" ] && awk -v p="$BEST_pandas" -v q="${!v}" -v t="$t" 'BEGIN {
      printf "speed-up of peil %s over pandas: %.1fx\n", (t == "unc" ? "uncorrected" : "corrected"), p / q }'
  done
fi

# peil's pooled uncorrected tables against pandas'.
echo
for t in uncorrected corrected; do
  if [ -s "$DIR/peil-$t.json" ] && [ -s "$DIR/pandas.csv" ]; then
    if out=$("$PY" "$root/tests/reference/cohort/compare.py" "$DIR/peil-$t.json" "$DIR/pandas.csv" 2>&1); then
      echo "check, peil $t vs pandas: $out"
    else
      echo "check, peil $t vs pandas: DIFFERENT"; echo "$out" | sed 's/^/  /'
      FAILED=1
    fi
  fi
done
rm -f "$DIR/time.txt" "$DIR/times.txt" "$DIR/hyperfine.json" "$DIR/hyperfine.err"
exit "$FAILED"
