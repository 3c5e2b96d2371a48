#!/usr/bin/env bash
# peil run: the replication examples end to end on a large simulated extract
# (issue 6: examples/g4.ini and the others each within 30 s at 1M persons),
# with every section's time from the run's manifest.json.
#
#   make build
#   benchmarks/run.sh [PEIL] [options]                 # PEIL: build/peil
#
# options (or the environment variables in brackets):
#   --persons N     persons of the extract                  [PERSONS=1e6]
#   --seed S        its seed                                [SEED=2024]
#   --examples "F ..."  the specs to run             [EXAMPLES="g4 stip hazard esf"]
#   --jobs N        peil run --jobs                         [JOBS=1]
#   --dir D         the extract and the outputs  [DIR=$SCRATCH/peil-run or /tmp/peil-run]
# GNU_TIME= (empty) forces the Python fallback of timing.sh.
#
# The extract is `peil simulate --persons N --seed S`, kept in DIR for the
# next run. Each example runs once, timed (wall, CPU, peak RSS), with
# `--store` pointing at the extract. There is no R or Python counterpart in
# this script: the pieces are compared with R where they are defined
# (benchmarks/cohort_g4.sh, glm_logit.sh, match.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PY=/usr/bin/python3
PEIL=${PEIL:-build/peil}
PERSONS=${PERSONS:-1e6}
SEED=${SEED:-2024}
EXAMPLES=${EXAMPLES:-g4 stip hazard esf}
JOBS=${JOBS:-1}
DIR=${DIR:-${SCRATCH:-/tmp}/peil-run}
GNU_TIME=${GNU_TIME-/usr/bin/time}
while [ $# -gt 0 ]; do
  case $1 in
    --persons) PERSONS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --examples) EXAMPLES=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) PEIL=$1; shift ;;
  esac
done
PERSONS=$(printf '%.0f' "$PERSONS")
[ -x "$PEIL" ] || { echo "run.sh: no peil at $PEIL (make build)" >&2; exit 2; }
PEIL=$(cd "$(dirname "$PEIL")" && pwd)/$(basename "$PEIL")
mkdir -p "$DIR"
. "$here/timing.sh"

STORE="$DIR/g4-$PERSONS-s$SEED.h5"
if [ ! -s "$STORE" ]; then
  echo "simulating $STORE ..." >&2
  "$PEIL" simulate -o "$STORE" --persons "$PERSONS" --seed "$SEED" -q
fi
echo "# peil run: $("$PEIL" --version | head -n 1), $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "extract: $STORE ($(du -m "$STORE" | cut -f1) MiB, $PERSONS persons, seed $SEED); load before: $(cut -d' ' -f1-3 /proc/loadavg); --jobs $JOBS"
echo
echo "| spec | wall (s) | user (s) | system (s) | peak RSS (MiB) | sections (s, from manifest.json) |"
echo "|---|---:|---:|---:|---:|---|"
FAILED=0
for ex in $EXAMPLES; do
  spec="$root/examples/$ex.ini"
  out="$DIR/out-$ex"
  measure "$DIR/$ex.log" "$PEIL" run "$spec" --store "$STORE" -o "$out" --jobs "$JOBS" -q
  if [ "$RC" != 0 ]; then
    echo "| $ex.ini | failed (exit $RC) | | | | $(tail -n 1 "$DIR/$ex.log") |"; FAILED=1; continue
  fi
  secs=$("$PY" -c '
import json, sys
m = json.load(open(sys.argv[1]))
print("; ".join("[%s] %.2f" % (s["section"], s["seconds"]) for s in m["sections"]))' "$out/manifest.json")
  echo "| examples/$ex.ini | $WALL | $USR | $SYS | $RSS | $secs |"
done
echo
echo "Target: each at most 30 s at 1M persons (issue 6)."
exit $FAILED
