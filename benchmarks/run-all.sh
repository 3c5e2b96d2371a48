#!/usr/bin/env bash
# Runs every benchmark and prints its figures with the machine and date.
# Usage: benchmarks/run-all.sh [path/to/peil]   (make bench does this)
# The figures in RESULTS.md are copied from this output by hand, with the
# command that produced them; tests never assert on time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PEIL=${1:-$here/../build/peil}
BUILD=$(cd "$(dirname "$PEIL")" && pwd)
SCRATCH=${SCRATCH:-/tmp/peil-bench}
mkdir -p "$SCRATCH"
echo "# peil benchmarks, $(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo
echo "## Store format (filter and chunk length)"
"$BUILD/benchmarks/bench_store_format" --rows "${STORE_ROWS:-20000000}" --dir "$SCRATCH"
for script in "$here"/csv_import.sh "$here"/simulate.sh "$here"/glm_logit.sh "$here"/cohort_g4.sh; do
  [ -x "$script" ] || continue
  echo
  PEIL="$PEIL" SCRATCH="$SCRATCH" "$script"
done
