#!/usr/bin/env bash
# peil import on bad input: exit code 2, a message naming file, line and
# column, and nothing written (no store, no table, no temporary file).
set -u
: "${PEIL:?PEIL must name the peil binary}"
T="${PEIL_TMP:-/tmp}/import-errors.$$"
rm -rf "$T" && mkdir -p "$T" && cd "$T" || exit 1
trap 'rm -rf "$T"' EXIT
failures=0

# expect_fail NAME STORE "want1" "want2" -- peil import args...
expect_fail() {
  local name=$1 store=$2 want1=$3 want2=$4
  shift 5
  local before=""
  [ -e "$store" ] && before=$(md5sum < "$store")
  "$PEIL" import "$@" > out.txt 2> err.txt
  local rc=$?
  local msg
  msg=$(cat err.txt)
  if [ $rc -ne 2 ]; then echo "FAIL $name: exit $rc, want 2 ($msg)"; failures=$((failures + 1)); return; fi
  case "$msg" in *"$want1"*) ;; *) echo "FAIL $name: '$msg' lacks '$want1'"; failures=$((failures + 1)); return ;; esac
  case "$msg" in *"$want2"*) ;; *) echo "FAIL $name: '$msg' lacks '$want2'"; failures=$((failures + 1)); return ;; esac
  if [ -z "$before" ] && [ -e "$store" ]; then echo "FAIL $name: $store was created"; failures=$((failures + 1)); return; fi
  if [ -n "$before" ] && [ "$(md5sum < "$store")" != "$before" ]; then echo "FAIL $name: $store changed"; failures=$((failures + 1)); return; fi
  if ls -a | grep -q '^\..*\.h5\.'; then echo "FAIL $name: temporary file left: $(ls -a)"; failures=$((failures + 1)); return; fi
  echo "ok   $name"
}

printf 'a,b,c\n1,2,3\n4,5\n' > ragged_short.csv
printf 'a,b,c\n1,2,3\n4,5,6,7\n' > ragged_long.csv
printf 'a,b\n1,"abc\n2,3\n' > unterminated.csv
printf 'a,b\n1,x\n2,"y"z\n' > badquote.csv
printf 'a,b,a\n1,2,3\n' > duplicate.csv
: > empty.csv
printf 'a,b\n1,caf\xe9\n' > latin1.csv
printf 'id,age,d\n1,12,2021-01-01\n2,abc,2021-01-02\n' > badint.csv
printf 'id,age,d\n1,12,2021-01-01\n2,13,2021-02-30\n' > baddate.csv
printf 'id,age,d\n1,12,2021-01-01\n2,40000,2021-02-03\n' > overflow.csv
printf '[columns]\nage = int16\nd = date\n' > schema.ini
printf '[columns]\nage = int16\nzz = date\n' > unknown.ini
printf 'id,age,d\n1,12,2021-01-01\n' > good.csv

expect_fail ragged-short  s.h5 "ragged_short.csv:3:" "column 'c' (3) is missing" -- ragged_short.csv -o s.h5 -t t
expect_fail ragged-long   s.h5 "ragged_long.csv:3:" "more fields than the header's 3 columns" -- ragged_long.csv -o s.h5 -t t
expect_fail unterminated  s.h5 "unterminated.csv:2: column 'b' (2)" "unterminated quoted field" -- unterminated.csv -o s.h5 -t t
expect_fail bad-quote     s.h5 "badquote.csv:3: column 'b' (2)" "malformed quotes" -- badquote.csv -o s.h5 -t t
expect_fail duplicate     s.h5 "duplicate.csv:1:" "duplicate column name 'a' (columns 1 and 3)" -- duplicate.csv -o s.h5 -t t
expect_fail empty         s.h5 "empty.csv" "empty" -- empty.csv -o s.h5 -t t
expect_fail not-utf8      s.h5 "latin1.csv:2: column 'b' (2)" "not UTF-8" -- latin1.csv -o s.h5 -t t
expect_fail bad-int       s.h5 "badint.csv:3: column 'age' (2)" "'abc' is not an integer" -- badint.csv -o s.h5 -t t --schema schema.ini
expect_fail bad-date      s.h5 "baddate.csv:3: column 'd' (3)" "'2021-02-30' is not a valid date" -- baddate.csv -o s.h5 -t t --schema schema.ini
expect_fail overflow      s.h5 "overflow.csv:3: column 'age' (2)" "does not fit int16" -- overflow.csv -o s.h5 -t t --schema schema.ini
expect_fail schema-column s.h5 "unknown.ini:3: column 'zz'" "not in good.csv" -- good.csv -o s.h5 -t t --schema unknown.ini
expect_fail no-file       s.h5 "missing.csv" "No such file" -- missing.csv -o s.h5 -t t
expect_fail usage         s.h5 "no store given" "--help" -- good.csv -t t
expect_fail bad-option    s.h5 "--decimal" "'x'" -- good.csv -o s.h5 --decimal x

# An existing store: a failed import leaves it exactly as it was.
"$PEIL" import good.csv -o s.h5 -t persons -q || { echo "FAIL setup"; exit 1; }
expect_fail exists        s.h5 "table 'persons' exists already" "--replace" -- good.csv -o s.h5 -t persons
expect_fail bad-into-existing s.h5 "baddate.csv:3: column 'd' (3)" "not a valid date" -- baddate.csv -o s.h5 -t other --schema schema.ini
expect_fail bad-replace   s.h5 "overflow.csv:3:" "does not fit int16" -- overflow.csv -o s.h5 -t persons --replace --schema schema.ini
"$PEIL" export s.h5 -t persons > back.csv && grep -q '^1,12,2021-01-01$' back.csv || { echo "FAIL: the old table changed"; failures=$((failures + 1)); }

# A header-only file is a table without rows.
printf 'a,b\n' > header.csv
if "$PEIL" import header.csv -o h.h5 -t empty 2> err.txt && grep -q "imported 0 rows, 2 columns" err.txt; then
  echo "ok   header-only"
else
  echo "FAIL header-only: $(cat err.txt)"; failures=$((failures + 1))
fi

echo "$failures failed"
[ $failures -eq 0 ]
