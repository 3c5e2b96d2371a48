#!/usr/bin/env bash
# Remakes the expected files of peil split's reference test with R
# (survival, sandwich; Debian r-cran-survival, r-cran-sandwich):
#   tests/reference/split/make_expected.sh build/peil [OUTDIR]
# For every case of `cases`: the data's spell tables exported to CSV by
# peil export (the hand-made CSVs as they are), split and fitted by
# split_reference.R, written to OUTDIR (default: expected/ beside this
# script) as NAME_pieces.csv (gzip'ed for the simulated extract) and
# NAME_glm.csv. tests/cli/test_split_reference.sh compares peil with them
# and, where R is installed, checks that this script still makes them.
set -euo pipefail
PEIL=${1:?usage: make_expected.sh PEIL [OUTDIR]}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${2:-$HERE/expected}
mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/sim"
"$PEIL" simulate -o "$tmp/sim.h5" --persons 3000 --seed 11 -q
for t in persons bijstand jobs programme; do
  "$PEIL" export "$tmp/sim.h5" --table "$t" -o "$tmp/sim/$t.csv" -q
done
grep -v '^#' "$HERE/cases" | while IFS='|' read -r name data options models; do
  dir=$HERE/hand
  [ "$data" = sim ] && dir=$tmp/sim
  # shellcheck disable=SC2086 # the options are words
  Rscript "$HERE/split_reference.R" "$dir" "$tmp/$name" "$models" $options
  if [ "$data" = sim ]; then
    gzip -9n -c "$tmp/${name}_pieces.csv" > "$OUT/${name}_pieces.csv.gz"
  else
    cp "$tmp/${name}_pieces.csv" "$OUT/"
  fi
  cp "$tmp/${name}_glm.csv" "$OUT/"
done
