#!/bin/bash
# benchmarks/simulate.sh [PEIL]: wall time and peak memory of `peil simulate`
# at 1e5 and 1e6 persons, with 1 thread and with all cores. Memory should
# not grow with the number of persons (persons are simulated and written in
# blocks); time should grow linearly and shrink with threads.
#
#   benchmarks/simulate.sh build/peil
#
# Prints a Markdown table for benchmarks/RESULTS.md.
set -eu
PEIL=${1:-build/peil}
SEED=${SEED:-2024}
SIZES=${SIZES:-"100000 1000000"}
out=$(mktemp -d "${TMPDIR:-/tmp}/peil-bench-simulate.XXXXXX")
trap 'rm -rf "$out"' EXIT
if [ ! -x /usr/bin/time ]; then
  echo "benchmarks/simulate.sh needs GNU time (Debian package 'time')" >&2
  exit 1
fi
cores=$(nproc)
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
echo "peil simulate, $("$PEIL" --version), $(date -u +%Y-%m-%d), $cores cores ($cpu)"
echo
echo "| persons | threads | wall (s) | peak RSS (MiB) | store (MiB) | rows (all tables) |"
echo "|--------:|--------:|---------:|---------------:|------------:|------------------:|"
for n in $SIZES; do
  for t in 1 "$cores"; do
    store="$out/g4-$n.h5"
    /usr/bin/time -v "$PEIL" simulate -o "$store" --persons "$n" --seed "$SEED" --threads "$t" \
      2>"$out/log" >/dev/null
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out/log" |
      awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }')
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/log" | awk '{ printf "%.0f", $1 / 1024 }')
    size=$(du -m "$store" | cut -f1)
    rows=$(awk '/ rows/ { s += $2 } END { print s }' "$out/log")
    echo "| $n | $t | $wall | $rss | $size | $rows |"
    [ "$t" = "$cores" ] && break
  done
done
