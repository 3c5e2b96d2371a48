#!/usr/bin/env bash
# Logistic regression with HC1 standard errors: peil against R (glm +
# sandwich::vcovHC) and statsmodels (Logit.fit(cov_type='HC1')) on the same
# data in the same run, and peil end to end from a store at 1e7 rows.
#
#   make build
#   benchmarks/glm_logit.sh [PEIL] [options]          # PEIL: build/peil
#
# options (or the environment variables in brackets):
#   --n N           rows of the side-by-side run                [N=1e6]
#   --n-large N     rows of the store run; 0 skips it           [N_LARGE=1e7]
#   --r-large       run R at N_LARGE too (slow; off by default) [R_LARGE=1]
#   --py-large      run statsmodels at N_LARGE too              [PY_LARGE=1]
#   --reps R        timed runs of peil and of the scan          [REPS=3]
#   --threads T     peil --threads (default: peil's own)        [THREADS]
#   --dir D         data and outputs   [DIR=$SCRATCH/peil-glm or /tmp/peil-glm]
#   --tol X         relative agreement asked of peil with R     [TOL=1e-6]
# GNU_TIME= (empty) and HYPERFINE= (empty) force the fallbacks below.
#
# Per size: the data (benchmarks/glm_data.py, seeded; generated once at the
# larger size and cut for the smaller, kept in DIR for the next run; 1e7
# rows is 0.9 GB of CSV, about 35 s), `peil import` with its schema into
# a store, then
#   R            benchmarks/glm_logit.R: fit = glm + vcovHC (system.time)
#   statsmodels  benchmarks/glm_logit.py: fit = Logit(...).fit(cov_type='HC1')
#   peil (store) peil logit STORE ... --vcov hc1 --json, end to end (the
#                whole command: open, read, fit, write); best of REPS runs
#                with hyperfine when installed, else date +%s.%N
#   peil (CSV)   peil logit DATA.csv ... --json, end to end, when supported
#   scan         build/benchmarks/bench_scan_columns: one pass that only reads
#                the model's columns and converts them to double (the I/O floor)
# Fit time excludes reading and building the design matrix for R and
# statsmodels (their scripts report those); total time is the whole process.
# Peak RSS is GNU time's (Debian package 'time'), else getrusage of the
# child. peil's speed-up is the other tool's fit time over peil's end-to-end
# time (so peil's reading counts against it). peil's coefficients and SEs are
# checked against R's (glm_compare.py; statsmodels' too, as a check of the
# harness); a disagreement makes the script exit 1 after the table.
#
# Until `peil logit` exists (peil says "unknown command"), peil's rows are
# skipped and R, statsmodels and the scan still run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3

PEIL=${PEIL:-build/peil}
N=${N:-1e6}
N_LARGE=${N_LARGE:-1e7}
R_LARGE=${R_LARGE:-0}
PY_LARGE=${PY_LARGE:-0}
REPS=${REPS:-3}
THREADS=${THREADS:-}
TOL=${TOL:-1e-6}
SEED=${SEED:-2024}
DIR=${DIR:-${SCRATCH:-/tmp}/peil-glm}
GNU_TIME=${GNU_TIME-/usr/bin/time}
HYPERFINE=${HYPERFINE-hyperfine}
while [ $# -gt 0 ]; do
  case $1 in
    --n) N=$2; shift 2 ;;
    --n-large) N_LARGE=$2; shift 2 ;;
    --r-large) R_LARGE=1; shift ;;
    --py-large) PY_LARGE=1; shift ;;
    --reps) REPS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --tol) TOL=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "glm_logit.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) PEIL=$1; shift ;;
  esac
done
N=$(printf '%.0f' "$N")
N_LARGE=$(printf '%.0f' "$N_LARGE")
SCAN=${SCAN:-$(dirname "$PEIL")/benchmarks/bench_scan_columns}
mkdir -p "$DIR"
RESULTS="$DIR/results.tsv"
CHECKS="$DIR/checks.txt"
: > "$RESULTS"
: > "$CHECKS"
FAILED=0

FORMULA=$("$PY" "$here/glm_data.py" --formula)
# The model's columns: the formula's variables, factor() removed.
COLS=$(echo "$FORMULA" | sed 's/factor(\([^)]*\))/\1/g; s/[~+]/,/g; s/ //g')
NCOLS=$(echo "$COLS" | tr ',' '\n' | wc -l)

echo "# Logistic regression, HC1 SEs: peil vs R vs statsmodels"
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $("$PEIL" --version 2>&1 || echo "peil not found at $PEIL")"
load=$(cut -d' ' -f1 /proc/loadavg)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)$(awk -v l="$load" 'BEGIN { if (l >= 1.2) print "  (busy machine: figures will be low)" }')"
echo "formula: $FORMULA"
echo "data: $DIR (seed $SEED)"
echo

. "$here/timing.sh"

# field LOG KEY: KEY=value from the RESULT line of LOG.
field() { grep '^RESULT ' "$1" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RESULTS"; }
check() { # check LABEL REF CAND [REF_LABEL]
  if "$PY" "$here/glm_compare.py" compare "$2" "$3" --tol "$TOL" --label "$1" \
    --ref-label "${4:-R}" >> "$CHECKS"; then :
  else FAILED=1; fi
}
details() { grep -v '^RESULT ' "$1" | sed 's/^/    /'; }

# The data: the larger size is generated, the smaller is its first rows
# (glm_data.py draws in fixed blocks, so that is the same file).
SIZES="$N"
[ "$N_LARGE" -gt 0 ] && SIZES="$N $N_LARGE"
big=$(echo "$SIZES" | tr ' ' '\n' | sort -n | tail -n 1)
SCHEMA="$DIR/glm.schema.ini"
csv_of() { echo "$DIR/glm_s${SEED}_$1.csv"; }
if [ ! -s "$(csv_of "$big")" ] || [ ! -s "$SCHEMA" ]; then
  echo "generating $(csv_of "$big") ($big rows) ..." >&2
  t0=$(date +%s.%N)
  "$PY" "$here/glm_data.py" --rows "$big" --seed "$SEED" -o "$(csv_of "$big").tmp" \
    --schema "$SCHEMA" --truth "$DIR/truth.csv" 2> /dev/null
  mv "$(csv_of "$big").tmp" "$(csv_of "$big")"
  echo "  $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }') s" >&2
fi
for n in $SIZES; do
  if [ ! -s "$(csv_of "$n")" ]; then
    head -n $((n + 1)) "$(csv_of "$big")" > "$(csv_of "$n").tmp"
    mv "$(csv_of "$n").tmp" "$(csv_of "$n")"
  fi
done

PEIL_STATUS=ok
for n in $SIZES; do
  csv=$(csv_of "$n")
  store="$DIR/glm_$n.h5"
  mb=$(awk -v b="$(stat -c %s "$csv")" 'BEGIN { printf "%.0f", b / 1e6 }')
  echo "## N = $n ($mb MB of CSV)"
  cat "$csv" > /dev/null # in the page cache for every tool alike

  rm -f "$store"
  measure "$DIR/import_$n.log" "$PEIL" import "$csv" -o "$store" --table T --schema "$SCHEMA" -q
  if [ "$RC" != 0 ]; then
    echo "peil import failed:" >&2
    cat "$DIR/import_$n.log" >&2
    exit 1
  fi
  row "peil import (CSV → store)" "$n" "" "$WALL" "$RSS" \
    "once, before the runs: $(awk -v m="$mb" -v w="$WALL" 'BEGIN { printf "%.0f MB/s", m / w }')"

  ref=""
  if [ "$n" = "$N" ] || [ "$R_LARGE" = 1 ]; then
    echo "R ..." >&2
    measure "$DIR/r_$n.log" Rscript "$here/glm_logit.R" "$csv" "$DIR/r_$n.csv" "$FORMULA"
    if [ "$RC" = 0 ]; then
      row "R glm + sandwich" "$n" "$(field "$DIR/r_$n.log" fit_vcov_s)" "$WALL" "$RSS" \
        "glm $(field "$DIR/r_$n.log" fit_s) s + vcovHC $(field "$DIR/r_$n.log" vcov_s) s; read $(field "$DIR/r_$n.log" read_s) s; R heap max $(field "$DIR/r_$n.log" heap_max_mb) MB"
      ref="$DIR/r_$n.csv"
      echo "  R:"
      details "$DIR/r_$n.log"
    else
      echo "  R failed (exit $RC):"
      details "$DIR/r_$n.log" | tail -n 20
    fi
  fi

  sm=""
  if [ "$n" = "$N" ] || [ "$PY_LARGE" = 1 ]; then
    echo "statsmodels ..." >&2
    measure "$DIR/py_$n.log" "$PY" "$here/glm_logit.py" "$csv" "$DIR/py_$n.csv" "$FORMULA"
    if [ "$RC" = 0 ]; then
      row "statsmodels" "$n" "$(field "$DIR/py_$n.log" fit_s)" "$WALL" "$RSS" \
        "read $(field "$DIR/py_$n.log" read_s) s, design matrix $(field "$DIR/py_$n.log" design_s) s"
      sm="$DIR/py_$n.csv"
      echo "  statsmodels:"
      details "$DIR/py_$n.log"
      [ -n "$ref" ] && check "statsmodels (harness check), N=$n" "$ref" "$sm"
    else
      echo "  statsmodels failed (exit $RC):"
      details "$DIR/py_$n.log" | tail -n 20
    fi
  fi

  # peil from the store, then from the CSV.
  for input in store csv; do
    [ "$PEIL_STATUS" = ok ] || break
    out="$DIR/peil_${input}_$n.json"
    rm -f "$out"
    if [ "$input" = store ]; then
      cmd=("$PEIL" logit "$store" --table T)
    else
      cmd=("$PEIL" logit "$csv")
    fi
    cmd+=(--formula "$FORMULA" --vcov hc1 --json -o "$out")
    [ -n "$THREADS" ] && cmd+=(--threads "$THREADS")
    echo "peil logit ($input) ..." >&2
    measure "$DIR/peil_${input}_$n.log" "${cmd[@]}"
    if [ "$RC" != 0 ]; then
      if grep -qi 'unknown command' "$DIR/peil_${input}_$n.log"; then
        PEIL_STATUS="skipped: \`peil logit\` is not available yet ($("$PEIL" --version 2>&1) says: $(grep -m1 -i 'unknown command' "$DIR/peil_${input}_$n.log"))"
      elif [ "$input" = csv ]; then
        echo "  peil logit on the CSV failed (exit $RC; not supported yet?):"
        details "$DIR/peil_${input}_$n.log" | head -n 5
      else
        PEIL_STATUS="failed: \`peil logit\` exit $RC at N=$n (log: $DIR/peil_${input}_$n.log)"
        details "$DIR/peil_${input}_$n.log" | head -n 20
        FAILED=1
      fi
      continue
    fi
    time_it "${cmd[@]}"
    note="best of $REPS, median $MEDIAN s"
    [ -n "$THREADS" ] && note="$note, --threads $THREADS"
    [ "$input" = store ] && [ "$n" = "$N_LARGE" ] && note="$note; target ≤ 5 s"
    row "peil ($input)" "$n" "$BEST" "$BEST" "$RSS" "$note"
    if [ -n "$ref" ]; then
      check "peil ($input), N=$n" "$ref" "$out"
    elif [ -n "$sm" ]; then
      check "peil ($input), N=$n" "$sm" "$out" "statsmodels (no R at this size)"
    else
      echo "peil ($input), N=$n: not checked (no R or statsmodels run at this size)" >> "$CHECKS"
    fi
  done

  if [ -x "$SCAN" ]; then
    echo "scan ..." >&2
    measure "$DIR/scan_$n.log" "$SCAN" --reps "$REPS" "$store" T "$COLS"
    if [ "$RC" = 0 ]; then
      row "scan of the $NCOLS columns (I/O floor)" "$n" "$(field "$DIR/scan_$n.log" seconds)" \
        "$WALL" "$RSS" "best of $REPS, $(field "$DIR/scan_$n.log" gbps) GB/s as double"
    else
      echo "  scan failed (exit $RC):"
      details "$DIR/scan_$n.log"
      FAILED=1
    fi
  else
    echo "  (no scan: $SCAN not built)"
  fi
  rm -f "$store"
  echo
done

echo "## Results"
echo
"$PY" "$here/glm_compare.py" table "$RESULTS"
echo
echo "Fit time: R glm + vcovHC, statsmodels Logit.fit(cov_type='HC1'), reading and"
echo "design matrix excluded; peil end to end (reading included). Total: the whole process."
echo "Targets: peil ≥ 30× R and ≥ 10× statsmodels at N=$N; ≤ 5 s end to end from the store at 1e7."
if [ "$PEIL_STATUS" != ok ]; then
  echo "peil: $PEIL_STATUS"
else
  awk -F'\t' -v n="$N" -v nl="$N_LARGE" -v c="$NCOLS" '$1 == "peil (store)" { r[$2] = $5 }
    END { if (nl > 0 && (n in r) && (nl in r))
            printf "peil peak RSS: %s MB at N=%s, %s MB at N=%s (the %d columns as double at N=%s: %.0f MB)\n",
                   r[n], n, r[nl], nl, c, nl, nl * c * 8 / 1e6 }' "$RESULTS"
fi
echo
cat "$CHECKS"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$DIR/time.txt" "$DIR/times.txt" "$DIR/hyperfine.json"
exit "$FAILED"
