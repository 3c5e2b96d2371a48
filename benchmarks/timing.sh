# Timing helpers shared by the benchmark scripts (sourced). They use the
# caller's DIR (scratch), PY (/usr/bin/python3), GNU_TIME, HYPERFINE and REPS,
# and PREPARE: a shell command run untimed before every timed run (e.g. a
# fresh copy of a store the command writes into), none when empty.

# measure LOG CMD...: runs CMD with its output in LOG; sets RC, WALL (s),
# RSS (MB, peak resident set of the process and its children) and USR and
# SYS (CPU seconds in user and kernel mode, the process and its children).
measure() {
  local log=$1
  shift
  RC=0
  if [ -n "$GNU_TIME" ] && [ -x "$GNU_TIME" ]; then
    "$GNU_TIME" -f '%e %M %U %S' -o "$DIR/time.txt" "$@" > "$log" 2>&1 || RC=$?
  else
    "$PY" -c '
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[2:])
wall = time.monotonic() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write("%.2f %d %.2f %.2f\n" % (wall, ru.ru_maxrss, ru.ru_utime, ru.ru_stime))
sys.exit(rc)' "$DIR/time.txt" "$@" > "$log" 2>&1 || RC=$?
  fi
  local kb
  read -r WALL kb USR SYS < <(tail -n 1 "$DIR/time.txt")
  RSS=$(awk -v k="$kb" 'BEGIN { printf "%.0f", k / 1024 }')
}

# time_it CMD...: BEST and MEDIAN wall seconds of REPS runs (the caller has
# run CMD once already, so caches are warm).
time_it() {
  if [ -n "$HYPERFINE" ] && command -v "$HYPERFINE" > /dev/null; then
    local prep=()
    [ -z "${PREPARE:-}" ] || prep=(--prepare "$PREPARE")
    "$HYPERFINE" --style none --shell bash --runs "$REPS" "${prep[@]}" --export-json "$DIR/hyperfine.json" \
      "$(printf '%q ' "$@")" > /dev/null 2> "$DIR/hyperfine.err"
    read -r BEST MEDIAN < <("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.3f %.3f" % (r["min"], r["median"]))' "$DIR/hyperfine.json")
  else
    local all="$DIR/times.txt" t0 t1
    : > "$all"
    for _ in $(seq "$REPS"); do
      [ -z "${PREPARE:-}" ] || bash -c "$PREPARE"
      t0=$(date +%s.%N)
      "$@" > /dev/null 2>&1
      t1=$(date +%s.%N)
      awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >> "$all"
    done
    read -r BEST MEDIAN < <(sort -n "$all" | awk '{ t[NR] = $1 } END { print t[1], t[int((NR + 1) / 2)] }')
  fi
}
