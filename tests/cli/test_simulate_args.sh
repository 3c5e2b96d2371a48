#!/bin/bash
# peil simulate: every bad argument gives a clear message and exit 2 and
# leaves no file behind; a good run writes a store that peil info reads.
set -u
: "${PEIL:?PEIL must name the peil binary}" "${PEIL_TMP:?PEIL_TMP must name a scratch directory}"
dir="$PEIL_TMP/simulate_args"
isdir="$PEIL_TMP/simulate_args_isdir"
rm -rf "$dir" "$isdir"
mkdir -p "$dir" "$isdir/sub"
fail=0

# expect_usage WHAT MESSAGE ARGS...: exit 2, MESSAGE on stderr, nothing written.
expect_usage() {
  local what=$1 msg=$2
  shift 2
  local err rc
  err=$("$PEIL" simulate "$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne 2 ]; then
    echo "FAIL ($what): exit $rc, expected 2; stderr: $err"
    fail=1
  fi
  if ! grep -qF -- "$msg" <<<"$err"; then
    echo "FAIL ($what): stderr '$err' does not say '$msg'"
    fail=1
  fi
  if [ -n "$(ls -A "$dir")" ] || [ -n "$(ls -A "$isdir/sub")" ]; then
    echo "FAIL ($what): files left behind: $(ls -A "$dir" "$isdir/sub")"
    fail=1
    rm -rf "${dir:?}"/* "${dir:?}"/.[!.]*
  fi
}

out="$dir/g4.h5"
expect_usage "zero persons" "--persons must be a whole number >= 1" -o "$out" --persons 0
expect_usage "negative persons" "--persons must be a whole number >= 1" -o "$out" --persons -5
expect_usage "persons not a number" "--persons must be a whole number >= 1" -o "$out" --persons 12x
expect_usage "from after to" "must come before its end" -o "$out" --persons 10 \
  --from 2020-01-01 --to 2019-01-01
expect_usage "from equals to" "must come before its end" -o "$out" --persons 10 \
  --from 2020-01-01 --to 2020-01-01
expect_usage "impossible date" "'2021-02-30' is not a date" -o "$out" --persons 10 --from 2021-02-30
expect_usage "garbled date" "'tomorrow' is not a date" -o "$out" --persons 10 --to tomorrow
expect_usage "unknown option" "unknown option '--frobnicate'" -o "$out" --persons 10 --frobnicate
expect_usage "missing value" "option '--persons' needs a value" -o "$out" --persons
expect_usage "stray argument" "unexpected argument 'extra'" -o "$out" --persons 10 extra
expect_usage "no output" "no output store given" --persons 10
expect_usage "no persons" "the number of persons is required" -o "$out"
expect_usage "negative seed" "--seed must be a whole number >= 0" -o "$out" --persons 10 --seed -1
expect_usage "bad effect" "--effect must be a number" -o "$out" --persons 10 --effect big
expect_usage "bad threads" "--threads must be a whole number" -o "$out" --persons 10 --threads 0
expect_usage "unknown parameter" "unknown parameter 'nope'" -o "$out" --persons 10 --param nope=1
expect_usage "parameter without value" "--param takes KEY=VALUE" -o "$out" --persons 10 --param job_eta
expect_usage "bad parameter value" "parameter job_eta: 'abc' is not a number" -o "$out" \
  --persons 10 --param job_eta=abc
expect_usage "parameter array length" "parameter job_city takes 4 values, got 2" -o "$out" \
  --persons 10 --param job_city=1,2
expect_usage "negative share" "city_share" -o "$out" --persons 10 --param city_share=1,-1,1,1
expect_usage "output is a directory" "is a directory" -o "$isdir/sub" --persons 10
expect_usage "output directory missing" "cannot create output" -o "$dir/no/such/dir/g4.h5" \
  --persons 10

# A good run: a store with every table, a summary unless --quiet.
err=$("$PEIL" simulate -o "$out" --persons 300 --seed 5 --threads 2 2>&1 >/dev/null)
rc=$?
if [ "$rc" -ne 0 ] || [ ! -f "$out" ]; then
  echo "FAIL (good run): exit $rc: $err"
  fail=1
fi
for word in persons bijstand ww jobs srg programme truth "true ATT" "K = 12"; do
  grep -qF -- "$word" <<<"$err" || { echo "FAIL (summary lacks '$word'): $err"; fail=1; }
done
info=$("$PEIL" info "$out" 2>&1) || { echo "FAIL (peil info): $info"; fail=1; }
for word in "table persons: 300 rows" "table truth" "true_att_in_work_12" "sim_parameters" \
  "Overig niet-westers" "COACHINGWERKPARTICIPATIE" "einde traject"; do
  grep -qF -- "$word" <<<"$info" || { echo "FAIL (peil info lacks '$word')"; fail=1; }
done
err=$("$PEIL" simulate -q -o "$out" --persons 50 2>&1)
[ -z "$err" ] || { echo "FAIL (--quiet printed): $err"; fail=1; }
list=$("$PEIL" simulate --list-params) || { echo "FAIL (--list-params)"; fail=1; }
grep -q "^effect = 0.8$" <<<"$list" || { echo "FAIL (--list-params lacks effect = 0.8)"; fail=1; }
"$PEIL" simulate --help | grep -q -- "--hidden-bias" || { echo "FAIL (--help)"; fail=1; }
# Nothing but the store is left in the directory.
left=$(ls -A "$dir")
[ "$left" = "g4.h5" ] || { echo "FAIL (left behind: $left)"; fail=1; }

rm -rf "$dir" "$isdir"
exit $fail
