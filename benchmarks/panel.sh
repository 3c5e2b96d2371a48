#!/usr/bin/env bash
# peil panel: a person-month panel of four spell tables materialised into
# the store, at 1M persons x 60 months (60M rows), beside the same panel
# built with numpy and written with h5py (benchmarks/panel_numpy.py).
#
#   make build
#   benchmarks/panel.sh [PEIL] [options]              # PEIL: build/peil
#
# options (or the environment variables in brackets):
#   --persons N     persons of the simulated store        [PERSONS=1000000]
#   --seed S        its seed                              [SEED=2024]
#   --from M --to M the panel's months (YYYY-MM)          [FROM=2018-01 TO=2022-12]
#   --reps R        timed runs of each command (best of)  [REPS=3]
#   --dir D         stores and outputs      [DIR=$SCRATCH/peil-panel or /tmp/peil-panel]
#   --no-numpy      skip the numpy run                    [NUMPY=1]
# GNU_TIME= (empty) and HYPERFINE= (empty) force the fallbacks of timing.sh.
#
# The store (peil simulate --persons N --seed S) is made once and kept in
# DIR. peil panel writes into the store, so every run starts from a fresh
# copy of it (untimed); the timed command is the whole process: open the
# store for update (which copies it beside itself), read persons and spell
# tables, write the panel, commit. Runs:
#   any          --tables bijstand,jobs,ww,srg (status columns only)
#   any+values   the same with --values bijstand.municipality,jobs.contract
#   keep any     --keep any (only rows with a status 1)
#   1 thread     any, --threads 1 (the spell tables decoded on one thread)
#   numpy        panel_numpy.py: read, mark months, write with h5py (LZF)
# Each runs once under GNU time (peak RSS) and then REPS times (best and
# median). numpy's panel is compared with peil's column by column; a
# difference makes the script exit 1 after the table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3

PEIL=${PEIL:-build/peil}
PERSONS=${PERSONS:-1000000}
SEED=${SEED:-2024}
FROM=${FROM:-2018-01}
TO=${TO:-2022-12}
REPS=${REPS:-3}
NUMPY=${NUMPY:-1}
DIR=${DIR:-${SCRATCH:-/tmp}/peil-panel}
GNU_TIME=${GNU_TIME-/usr/bin/time}
HYPERFINE=${HYPERFINE-hyperfine}
while [ $# -gt 0 ]; do
  case $1 in
    --persons) PERSONS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --from) FROM=$2; shift 2 ;;
    --to) TO=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --no-numpy) NUMPY=0; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "panel.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) PEIL=$1; shift ;;
  esac
done
PERSONS=$(printf '%.0f' "$PERSONS")
[ -x "$PEIL" ] || { echo "panel.sh: no peil at $PEIL (make build)" >&2; exit 2; }
PEIL=$(cd "$(dirname "$PEIL")" && pwd)/$(basename "$PEIL")
if [ "$NUMPY" = 1 ] && ! "$PY" -c 'import h5py, numpy' 2>/dev/null; then
  echo "panel.sh: $PY lacks h5py or numpy: the numpy run is skipped" >&2
  NUMPY=0
fi
mkdir -p "$DIR"

. "$here/timing.sh"

load=$(cut -d' ' -f1 /proc/loadavg)
echo "peil panel: $("$PEIL" --version 2>/dev/null | head -n 1), $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)$(awk -v l="$load" 'BEGIN { if (l >= 1.2) print "  (busy machine: figures will be low)" }')"

STORE="$DIR/g4-$PERSONS-s$SEED.h5"
if [ ! -s "$STORE" ]; then
  echo "simulating $STORE ..."
  "$PEIL" simulate -o "$STORE.tmp" --persons "$PERSONS" --seed "$SEED" -q
  mv "$STORE.tmp" "$STORE"
fi
WORK="$DIR/work.h5"
echo "store: $STORE ($(du -m "$STORE" | cut -f1) MiB); months $FROM .. $TO"
echo

rows=()
FAILED=0
TABLES=bijstand,jobs,ww,srg
# bench LABEL NOTE CMD...: CMD runs on a fresh copy of the store each time.
bench() {
  local label=$1 note=$2
  shift 2
  PREPARE="cp '$STORE' '$WORK'"
  bash -c "$PREPARE"
  measure "$DIR/run.log" "$@"
  if [ "$RC" != 0 ]; then
    echo "$label failed (exit $RC):" >&2; sed 's/^/  /' "$DIR/run.log" >&2
    FAILED=1; rows+=("| $label | failed | | | | $note |"); return
  fi
  local size
  size=$(awk -v a="$(stat -c %s "$WORK")" -v b="$(stat -c %s "$STORE")" 'BEGIN { printf "%.0f", (a - b) / 1048576 }')
  time_it "$@"
  rows+=("| $label | $BEST | $MEDIAN | $WALL | $RSS | $note, +$size MiB |")
}

P=("$PEIL" panel "$WORK" --tables "$TABLES" --from "$FROM" --to "$TO" -q)
bench "peil panel, any" "4 tables" "${P[@]}"
bench "peil panel, any + values" "municipality, contract" "${P[@]}" --values bijstand.municipality,jobs.contract
bench "peil panel, keep any" "rows with a status 1" "${P[@]}" --keep any
bench "peil panel, any, 1 thread" "--threads 1" "${P[@]}" --threads 1
if [ "$NUMPY" = 1 ]; then
  # the numpy run reads the pristine store and writes its own file
  PREPARE=
  measure "$DIR/numpy.log" "$PY" "$here/panel_numpy.py" "$STORE" "$DIR/numpy.h5" "$FROM" "$TO" ${TABLES//,/ }
  if [ "$RC" != 0 ]; then
    echo "numpy failed (exit $RC):" >&2; sed 's/^/  /' "$DIR/numpy.log" >&2; FAILED=1
  else
    time_it "$PY" "$here/panel_numpy.py" "$STORE" "$DIR/numpy.h5" "$FROM" "$TO" ${TABLES//,/ }
    rows+=("| numpy + h5py (panel_numpy.py) | $BEST | $MEDIAN | $WALL | $RSS | 4 tables, own file of $(du -m "$DIR/numpy.h5" | cut -f1) MiB |")
  fi
fi

echo "| command | best (s) | median (s) | measured run (s) | peak RSS (MiB) | note |"
echo "|---|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
echo
echo "best of $REPS runs$(command -v "$HYPERFINE" > /dev/null && [ -n "$HYPERFINE" ] && echo " (hyperfine)"), end to end, each on a fresh copy of the store; the measured run (GNU time) is the one before them."
split=$(grep -o 'seconds: .*' "$DIR/numpy.log" 2>/dev/null || true)
[ -n "$split" ] && echo "numpy's own split (measured run): ${split#seconds: }"

# numpy's panel against peil's (the last peil run above wrote 'panel' with --threads 1).
if [ "$NUMPY" = 1 ] && [ -s "$DIR/numpy.h5" ]; then
  if out=$("$PY" "$here/panel_numpy.py" --check "$WORK" panel "$DIR/numpy.h5" 2>&1); then
    echo "check, peil vs numpy: $out"
  else
    echo "check, peil vs numpy: DIFFERENT: $out"; FAILED=1
  fi
fi
rm -f "$DIR/time.txt" "$DIR/times.txt" "$DIR/hyperfine.json" "$DIR/hyperfine.err"
exit "$FAILED"
