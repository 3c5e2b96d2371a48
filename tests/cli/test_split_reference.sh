#!/usr/bin/env bash
# peil split against R (tests/reference/split): for every case of
# tests/reference/split/cases, on the hand-made store (imported from its
# CSV files) or a simulated extract (3,000 persons, seed 11), the split
# table exported by peil export equals R's (survival's tmerge + survSplit
# on episodes built in base R, split_reference.R) row by row, and peil glm
# on it gives R's Poisson coefficients and standard errors, model-based and
# clustered on rin, to 1e-6. The expected files are committed, so this
# needs no R; where Rscript with survival and sandwich is installed,
# make_expected.sh is run again and must reproduce them byte for byte.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
REF="${PEIL_TESTS:?}/reference/split"
EXP="$REF/expected"
[ -x "$PY" ] || { echo "SKIP: $PY not found"; exit 77; }
COMMON="--treatment programme --covariates sex,age,age_class,year,earlier"

# The hand-made store, from its CSV files.
H="$T/hand.h5"
expect_exit 0 "$PEIL" import "$REF/hand/persons.csv" -o "$H" --table persons \
  --schema "$REF/hand/persons.schema.ini" -q
for t in bijstand jobs programme; do
  expect_exit 0 "$PEIL" import "$REF/hand/$t.csv" -o "$H" --table "$t" \
    --schema "$REF/hand/spells.schema.ini" -q
done
expect_exit 0 "$PEIL" simulate -o "$T/sim.h5" --persons 3000 --seed 11 -q

ncases=0
while IFS='|' read -r name data options models; do
  case "$name" in '#'*|'') continue ;; esac
  ncases=$((ncases + 1))
  store=$H
  [ "$data" = sim ] && store=$T/sim.h5
  out="$T/$name.h5"
  # shellcheck disable=SC2086 # the options are words
  expect_exit 0 "$PEIL" split "$store" -o "$out" $options $COMMON
  expect_exit 0 "$PEIL" export "$out" --table episodes -o "$T/$name.csv" -q
  CHECKS=$((CHECKS + 1))
  if [ "$data" = sim ]; then
    gzip -dc "$EXP/${name}_pieces.csv.gz" > "$T/${name}_expected.csv"
  else
    cp "$EXP/${name}_pieces.csv" "$T/${name}_expected.csv"
  fi
  diff "$T/${name}_expected.csv" "$T/$name.csv" > "$T/$name.diff" \
    || { fail "case $name: the split table differs from R's (< R, > peil):"; head -20 "$T/$name.diff" >&2; }
  IFS=';' read -ra formulas <<< "$models"
  for f in "${formulas[@]}"; do
    f=$(echo "$f" | sed 's/^ *//; s/ *$//')
    expect_exit 0 "$PEIL" glm "$out" --table episodes --family poisson \
      --formula "$f + offset(log(exposure))" --json -o "$T/$name.model.json"
    expect_exit 0 "$PEIL" glm "$out" --table episodes --family poisson \
      --formula "$f + offset(log(exposure))" --cluster rin --json -o "$T/$name.cluster.json"
    CHECKS=$((CHECKS + 1))
    "$PY" "$REF/compare_glm.py" "$EXP/${name}_glm.csv" "$f" "$T/$name.model.json" \
      "$T/$name.cluster.json" 2>"$T/cmp.err" \
      || { fail "case $name: peil glm differs from R's glm"; sed 's/^/  /' "$T/cmp.err" >&2; }
  done
done < "$REF/cases"
CHECKS=$((CHECKS + 1))
[ "$ncases" -ge 5 ] || fail "only $ncases cases read from $REF/cases"

# The committed files are what R makes of the same data.
if command -v Rscript >/dev/null && Rscript -e 'library(survival); library(sandwich)' >/dev/null 2>&1; then
  expect_exit 0 "$REF/make_expected.sh" "$PEIL" "$T/remade"
  for f in "$EXP"/*; do
    CHECKS=$((CHECKS + 1))
    cmp -s "$f" "$T/remade/$(basename "$f")" || fail "make_expected.sh no longer makes $(basename "$f")"
  done
else
  echo "note: no Rscript with survival and sandwich; the committed expected files are not re-made"
fi
finish
