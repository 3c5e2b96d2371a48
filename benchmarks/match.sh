#!/usr/bin/env bash
# peil match: (a) 1:1 nearest neighbour with a caliper on a given score at
# 1M treated x 9M controls, without and with --exact strata; (b) end to end
# with the logit score, 10% treated, against R's MatchIt and a statsmodels +
# plain-Python matcher at several sizes.
#
#   make build
#   benchmarks/match.sh [PEIL] [options]              # PEIL: build/peil
#
# options (or the environment variables in brackets):
#   --reps R          timed runs of each peil command (best of) [REPS=3]
#   --treated N       (a): treated units                        [TREATED=1e6]
#   --controls N      (a): controls                             [CONTROLS=9e6]
#   --sizes "N ..."   (b): rows, about 10% treated    [SIZES="1e5 3e5 1e6"]
#   --r-timeout S     (b): MatchIt's time limit per size        [R_TIMEOUT=900]
#   --no-a, --no-b    skip part (a) or (b)                      [PART_A=1 PART_B=1]
#   --no-r            skip MatchIt                              [RUN_R=1]
#   --no-python       skip statsmodels + Python matching        [RUN_PY=1]
#   --no-thp          skip the peil runs with transparent huge pages
#                     (GLIBC_TUNABLES=glibc.malloc.hugetlb=1)    [THP=1]
#   --seed S          data seed                                 [SEED=2024]
#   --dir D           data and logs      [DIR=$SCRATCH/peil-match or /tmp/peil-match]
# GNU_TIME= (empty) and HYPERFINE= (empty) force the fallbacks of timing.sh.
#
# Data (benchmarks/match_data.py, written straight into the store format
# with h5py, seeded, kept in DIR for the next run):
#   (a) table units: treat, x1, score (the true propensity score, logistic
#       in x1), municipality (the G4, enum), year (2015..2023): 36 strata of
#       municipality x year, 68k to 378k units each.
#   (b) table units: treat ~ age + x1 + x2 + income + municipality, a logit
#       model (4 numeric covariates and a factor of 4 levels), ~10% treated;
#       the same rows as CSV for R and for peil's CSV run.
# Runs:
#   (a) peil match STORE --table units -f 'treat ~ x1' --distance score
#       --caliper 0.2 [--exact municipality,year] [--threads 1]: sizes,
#       balance (distance and x1), no outcome; and both on one core
#       (taskset -c 0 --threads 1). Each once under GNU time (wall, user and
#       system CPU, peak RSS: CPU > wall shows the second core at work) and
#       REPS times (best, median).
#   (b) per size: peil match STORE (and the CSV) -f 'treat ~ age + x1 + x2
#       + income + municipality' (logit score, 1:1 nearest, no caliper,
#       largest first, balance): end to end, best of REPS;
#       MatchIt: m <- matchit(f, data, method = "nearest"); summary(m)
#       (benchmarks/match_matchit.R; reading the CSV is not counted), once,
#       under `timeout R_TIMEOUT` ("> R_TIMEOUT s" when it is killed);
#       Python: statsmodels Logit + greedy matching in plain Python + balance
#       (benchmarks/match_python.py; reading not counted), once, with a check
#       that its pairs are peil's (`peil match -o`, an untimed run).
# The speed-up is MatchIt's match + summary time over peil's best end-to-end
# time from the store (peil's reading counts against it).
# Huge pages: every peil run is repeated with glibc's malloc asked for
# transparent huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1; glibc >=
# 2.35, and the kernel's THP mode 'madvise' or 'always'). On a virtual
# machine where a page fault costs several microseconds, first touching a
# gigabyte of fresh 4 KiB pages is seconds of system time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3

PEIL=${PEIL:-build/peil}
REPS=${REPS:-3}
TREATED=${TREATED:-1e6}
CONTROLS=${CONTROLS:-9e6}
SIZES=${SIZES:-1e5 3e5 1e6}
R_TIMEOUT=${R_TIMEOUT:-900}
PART_A=${PART_A:-1}
PART_B=${PART_B:-1}
RUN_R=${RUN_R:-1}
RUN_PY=${RUN_PY:-1}
THP=${THP:-1}
THP_ENV=GLIBC_TUNABLES=glibc.malloc.hugetlb=1
SEED=${SEED:-2024}
DIR=${DIR:-${SCRATCH:-/tmp}/peil-match}
GNU_TIME=${GNU_TIME-/usr/bin/time}
HYPERFINE=${HYPERFINE-hyperfine}
while [ $# -gt 0 ]; do
  case $1 in
    --reps) REPS=$2; shift 2 ;;
    --treated) TREATED=$2; shift 2 ;;
    --controls) CONTROLS=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --r-timeout) R_TIMEOUT=$2; shift 2 ;;
    --no-a) PART_A=0; shift ;;
    --no-b) PART_B=0; shift ;;
    --no-r) RUN_R=0; shift ;;
    --no-python) RUN_PY=0; shift ;;
    --no-thp) THP=0; shift ;;
    --seed) SEED=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "match.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) PEIL=$1; shift ;;
  esac
done
TREATED=$(printf '%.0f' "$TREATED")
CONTROLS=$(printf '%.0f' "$CONTROLS")
[ -x "$PEIL" ] || { echo "match.sh: no peil at $PEIL (make build)" >&2; exit 2; }
PEIL=$(cd "$(dirname "$PEIL")" && pwd)/$(basename "$PEIL")
if ! "$PY" -c 'import h5py, numpy' 2>/dev/null; then
  echo "match.sh: $PY lacks h5py or numpy (the data are written with them)" >&2; exit 2
fi
if [ "$RUN_R" = 1 ] && ! Rscript -e 'suppressPackageStartupMessages({library(MatchIt); library(data.table)})' > /dev/null 2>&1; then
  echo "match.sh: R with MatchIt and data.table not found: MatchIt is skipped" >&2; RUN_R=0
fi
if [ "$RUN_PY" = 1 ] && ! "$PY" -c 'import statsmodels' 2>/dev/null; then
  echo "match.sh: $PY lacks statsmodels: the Python run is skipped" >&2; RUN_PY=0
fi
mkdir -p "$DIR"

. "$here/timing.sh"

load=$(cut -d' ' -f1 /proc/loadavg)
echo "# peil match: $("$PEIL" --version 2>/dev/null | head -n 1), $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)$(awk -v l="$load" 'BEGIN { if (l >= 1.2) print "  (busy machine: figures will be low)" }')"
echo
FAILED=0
# ratio A B: A / B, "12x" or "0.8x"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { r = a / b; printf (r < 10 ? "%.1fx" : "%.0fx"), r }'; }
cpu_pct() { awk -v u="$1" -v s="$2" -v w="$3" 'BEGIN { printf "%.0f", (w > 0 ? 100 * (u + s) / w : 0) }'; }
# json_sizes LOG: "matched T / C" from peil's JSON.
json_sizes() {
  "$PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))["sizes"]["matched"]
print("%d treated / %d controls matched" % (s["treated"], s["control"]))' "$1" 2> /dev/null || echo "?"
}

# ---- (a) a given score, 1M x 9M
if [ "$PART_A" = 1 ]; then
  STORE="$DIR/score-$TREATED-$CONTROLS-s$SEED.h5"
  if [ ! -s "$STORE" ]; then
    echo "generating $STORE ..." >&2
    "$PY" "$here/match_data.py" score -o "$STORE.tmp" --treated "$TREATED" --controls "$CONTROLS" --seed "$SEED"
    mv "$STORE.tmp" "$STORE"
  fi
  echo "## (a) 1:1 nearest neighbour, caliper 0.2 SD, without replacement, a given score"
  echo "store: $STORE ($(du -m "$STORE" | cut -f1) MiB; $TREATED treated, $CONTROLS controls)"
  echo
  rows=()
  A=("$PEIL" match "$STORE" --table units -f 'treat ~ x1' --distance score --caliper 0.2)
  bench_a() { # LABEL NOTE [taskset -c 0] -- ARGS...
    local label=$1 note=$2 pre=()
    shift 2
    while [ "$1" != -- ]; do pre+=("$1"); shift; done
    shift
    echo "$label ..." >&2
    measure "$DIR/a.log" "${pre[@]}" "${A[@]}" "$@" --json
    if [ "$RC" != 0 ]; then
      echo "$label failed (exit $RC):" >&2; sed 's/^/  /' "$DIR/a.log" >&2
      FAILED=1; rows+=("| $label | failed | | | | | | | $note |"); return
    fi
    local sizes
    sizes=$(json_sizes "$DIR/a.log")
    time_it "${pre[@]}" "${A[@]}" "$@" -q
    rows+=("| $label | $BEST | $MEDIAN | $WALL | $USR | $SYS | $(cpu_pct "$USR" "$SYS" "$WALL") | $RSS | $note; $sizes |")
  }
  bench_a "peil match" "one stratum" -- 
  bench_a "peil match --exact municipality,year" "36 strata in parallel" -- --exact municipality,year
  if command -v taskset > /dev/null; then
    # one core: --threads 1 reaches every step of peil match; the process
    # is pinned as well so that HDF5's and the kernel's work stays there too
    bench_a "peil match, one core" "one stratum; taskset -c 0, --threads 1" taskset -c 0 -- --threads 1
    bench_a "peil match --exact municipality,year, one core" "36 strata; taskset -c 0, --threads 1" taskset -c 0 -- --exact municipality,year --threads 1
  fi
  if [ "$THP" = 1 ]; then
    bench_a "peil match, huge pages" "one stratum; $THP_ENV" env "$THP_ENV" --
    bench_a "peil match --exact municipality,year, huge pages" "36 strata; $THP_ENV" env "$THP_ENV" -- --exact municipality,year
  fi
  echo "| command | best (s) | median (s) | measured run (s) | user (s) | system (s) | CPU % | peak RSS (MiB) | note |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "best and median of $REPS runs$(command -v "$HYPERFINE" > /dev/null && [ -n "$HYPERFINE" ] && echo " (hyperfine)"), end to end; the measured run (GNU time: wall, CPU, peak RSS) is the one before them, with --json. Target: ≤ 5 s."
  echo
fi

# ---- (b) end to end with the logit score: peil vs MatchIt vs Python
if [ "$PART_B" = 1 ]; then
  FORMULA='treat ~ age + x1 + x2 + income + municipality'
  echo "## (b) end to end: logit score, 1:1 nearest neighbour without replacement, balance"
  echo "formula: $FORMULA (about 10% treated)"
  [ "$RUN_R" = 1 ] && echo "R: $(Rscript -e 'cat(R.version.string, "MatchIt", as.character(packageVersion("MatchIt")))' 2>/dev/null)"
  [ "$RUN_PY" = 1 ] && echo "Python: $("$PY" -c 'import sys, numpy, statsmodels, h5py; print(sys.version.split()[0], "numpy", numpy.__version__, "statsmodels", statsmodels.__version__, "h5py", h5py.__version__)')"
  echo
  rows=()
  checks=()
  for n in $SIZES; do
    n=$(printf '%.0f' "$n")
    store="$DIR/e2e-$n-s$SEED.h5"
    csv="$DIR/e2e-$n-s$SEED.csv"
    if [ ! -s "$store" ] || [ ! -s "$csv" ]; then
      echo "generating $store ..." >&2
      "$PY" "$here/match_data.py" e2e -o "$store.tmp" --csv "$csv.tmp" --rows "$n" --seed "$SEED"
      mv "$csv.tmp" "$csv"
      mv "$store.tmp" "$store"
    fi
    cat "$csv" > /dev/null # in the page cache for every tool alike
    peil_best=""
    thp_best=""
    inputs="store csv"
    [ "$THP" = 1 ] && inputs="store csv store-thp"
    for input in $inputs; do
      case $input in
        store) cmd=("$PEIL" match "$store" --table units -f "$FORMULA") ;;
        csv) cmd=("$PEIL" match "$csv" -f "$FORMULA") ;;
        store-thp) cmd=(env "$THP_ENV" "$PEIL" match "$store" --table units -f "$FORMULA") ;;
      esac
      echo "peil ($input), n = $n ..." >&2
      measure "$DIR/b-peil.log" "${cmd[@]}" --json
      if [ "$RC" != 0 ]; then
        echo "peil ($input) failed (exit $RC):" >&2; sed 's/^/  /' "$DIR/b-peil.log" >&2
        FAILED=1; rows+=("| peil match ($input) | $n | failed | | | |"); continue
      fi
      sizes=$(json_sizes "$DIR/b-peil.log")
      time_it "${cmd[@]}" -q
      [ "$input" = store ] && peil_best=$BEST
      [ "$input" = store-thp ] && thp_best=$BEST
      note="end to end, best of $REPS (median $MEDIAN s); $sizes"
      [ "$input" = store-thp ] && note="$note; $THP_ENV"
      rows+=("| peil match ($input) | $n | $BEST | $WALL | $RSS | $note |")
    done
    if [ "$RUN_R" = 1 ]; then
      echo "MatchIt, n = $n (limit $R_TIMEOUT s) ..." >&2
      measure "$DIR/b-r.log" timeout "$R_TIMEOUT" Rscript "$here/match_matchit.R" "$csv" "$FORMULA"
      if [ "$RC" = 124 ]; then
        rows+=("| MatchIt 4.5.1 (matchit + summary) | $n | > $R_TIMEOUT | > $R_TIMEOUT | $RSS | killed by timeout $R_TIMEOUT |")
        [ -n "$peil_best" ] && checks+=("n = $n: MatchIt > $R_TIMEOUT s, peil $peil_best s: peil > $(ratio "$R_TIMEOUT" "$peil_best") faster")
      elif [ "$RC" != 0 ]; then
        echo "MatchIt failed (exit $RC):" >&2; sed 's/^/  /' "$DIR/b-r.log" >&2
        FAILED=1; rows+=("| MatchIt 4.5.1 | $n | failed | | | exit $RC |")
      else
        read -r _ _ rread _ rmatch _ rsum < <(grep '^seconds:' "$DIR/b-r.log")
        rt=$(awk -v a="$rmatch" -v b="$rsum" 'BEGIN { printf "%.2f", a + b }')
        rm_sizes=$(sed -n 's/^matched: treated \([0-9]*\) control \([0-9]*\)/\1 treated \/ \2 controls matched/p' "$DIR/b-r.log")
        rows+=("| MatchIt 4.5.1 (matchit + summary) | $n | $rt | $WALL | $RSS | matchit $rmatch s + summary $rsum s (fread $rread s not counted); $rm_sizes |")
        [ -n "$peil_best" ] && checks+=("n = $n: MatchIt $rt s, peil $peil_best s: peil $(ratio "$rt" "$peil_best") faster")
        [ -n "$thp_best" ] && checks+=("n = $n: MatchIt $rt s, peil with huge pages $thp_best s: peil $(ratio "$rt" "$thp_best") faster")
      fi
    fi
    if [ "$RUN_PY" = 1 ]; then
      echo "Python, n = $n ..." >&2
      "$PEIL" match "$store" --table units -f "$FORMULA" -q -o "$DIR/b-peil-pairs.h5" > /dev/null
      measure "$DIR/b-py.log" "$PY" "$here/match_python.py" "$store" --check "$DIR/b-peil-pairs.h5"
      if [ "$RC" != 0 ]; then
        echo "Python failed (exit $RC):" >&2; sed 's/^/  /' "$DIR/b-py.log" >&2
        FAILED=1; rows+=("| statsmodels + Python | $n | failed | | | |")
      else
        read -r _ _ pread _ pfit _ pmatch _ pbal < <(grep '^seconds:' "$DIR/b-py.log")
        pt=$(awk -v a="$pfit" -v b="$pmatch" -v c="$pbal" 'BEGIN { printf "%.2f", a + b + c }')
        rows+=("| statsmodels + Python (fit + match + balance) | $n | $pt | $WALL | $RSS | Logit $pfit s + matching $pmatch s + balance $pbal s (h5py read $pread s not counted) |")
        checks+=("n = $n, Python vs peil: $(sed -n 's/^check: //p' "$DIR/b-py.log")")
        [ -n "$peil_best" ] && checks+=("n = $n: statsmodels + Python $pt s (process $WALL s), peil $peil_best s: peil $(ratio "$pt" "$peil_best") faster ($(ratio "$WALL" "$peil_best") by process)")
      fi
    fi
  done
  echo "| tool | n | time (s) | whole process (s) | peak RSS (MiB) | note |"
  echo "|---|---:|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "time: peil end to end (best of $REPS); MatchIt and Python the fit, matching and balance, reading excluded (one run). whole process: the measured run (GNU time), reading and start-up included."
  printf '%s\n' "${checks[@]}"
  echo
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$DIR/time.txt" "$DIR/times.txt" "$DIR/hyperfine.json" "$DIR/hyperfine.err"
exit "$FAILED"
