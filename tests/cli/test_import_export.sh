#!/usr/bin/env bash
# peil import -> peil export -> peil import gives the same table: every
# type, missing values, quotes, delimiters and newlines inside text, Dutch
# format; import keeps the store's other tables; --replace; notes.
set -u
: "${PEIL:?PEIL must name the peil binary}"
T="${PEIL_TMP:-/tmp}/import-export.$$"
rm -rf "$T" && mkdir -p "$T" && cd "$T" || exit 1
trap 'rm -rf "$T"' EXIT
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

cat > all.csv <<'CSV'
id,small,big,amount,start,dutch_date,flag,city,note
1,-5,5000000000,1234.5,2020-01-31,31-12-2020,true,Utrecht,"a, b"
2,127,-5000000000,-0.1,1970-01-01,01-01-2021,false,Amsterdam,"say ""hi"""
3,NA,,.,,NA,,,"two
lines"
4,0,7,1e-300,2099-12-31,29-02-2024,TRUE,"Den Haag",plain
CSV

"$PEIL" import all.csv -o s.h5 -t a 2> note.txt || fail "import all.csv: $(cat note.txt)"
grep -q "imported 4 rows, 9 columns into s.h5:/a (1 missing value in 'small'" note.txt || fail "note: $(cat note.txt)"
grep -q "city enum(3)" note.txt || fail "types note: $(cat note.txt)"
"$PEIL" export s.h5 -t a -o a.csv || fail "export a"
"$PEIL" import a.csv -o s.h5 -t b -q || fail "import a.csv"
"$PEIL" export s.h5 -t b -o b.csv || fail "export b"
cmp -s a.csv b.csv || fail "round trip differs: $(diff a.csv b.csv)"
"$PEIL" info s.h5 --json > a.json && "$PEIL" info s.h5 --json > /dev/null || fail "info"
# The two tables have the same columns and types.
[ "$("$PEIL" info s.h5 -t a | sed -n '/^  column /,$p')" = "$("$PEIL" info s.h5 -t b | sed -n '/^  column /,$p')" ] || fail "info of a and b differ"
grep -q '"two$' a.csv || fail "newline inside a field lost: $(cat a.csv)"
grep -q '"say ""hi"""' a.csv || fail "quotes lost"
grep -q '^4,0,7,1e-300,2099-12-31,2024-02-29,true,Den Haag,plain$' a.csv || fail "row 4: $(cat a.csv)"
grep -q '^3,,,,,,,,"two$' a.csv || fail "missing values: $(cat a.csv)"

# Dutch: semicolons and decimal commas, both ways; thousands dots read.
printf 'naam;bedrag;datum\r\nJan;1.234,5;31-12-2020\r\n"Piet; de ""Groot""";-0,25;01-01-2021\r\n' > nl.csv
"$PEIL" import nl.csv -o s.h5 -t nl --decimal , -q || fail "import nl.csv"
"$PEIL" export s.h5 -t nl --decimal , -o nl_out.csv || fail "export nl"
grep -q '^Jan;1234,5;2020-12-31' nl_out.csv || fail "dutch export: $(cat nl_out.csv)"
"$PEIL" import nl_out.csv -o s.h5 -t nl2 --decimal , -q || fail "import nl_out.csv"
"$PEIL" export s.h5 -t nl2 --decimal , -o nl_out2.csv && cmp -s nl_out.csv nl_out2.csv || fail "dutch round trip"

# Missing values as NA, a subset of columns, standard output.
"$PEIL" export s.h5 -t a --na NA --columns city,id | sed -n 4p | grep -q '^NA,3$' || fail "--na/--columns"
# The other tables stay; --replace rewrites one.
"$PEIL" import nl.csv -o s.h5 -t a --decimal , --replace -q || fail "--replace"
"$PEIL" info s.h5 | grep -q "^table b: 4 rows" || fail "table b lost"
"$PEIL" info s.h5 | grep -q "^table a: 2 rows" || fail "table a not replaced"
# --quiet is quiet; export to -o writes atomically (no temp file left).
"$PEIL" import all.csv -o q.h5 -t q --quiet 2> quiet.txt && [ ! -s quiet.txt ] || fail "--quiet printed: $(cat quiet.txt)"
ls -a | grep -q '^\..*\.\(h5\|csv\)\.' && fail "temporary file left"
# Help texts.
"$PEIL" import --help | grep -q -- "--schema" || fail "import --help"
"$PEIL" export --help | grep -q -- "--columns" || fail "export --help"
"$PEIL" export s.h5 -t nope > /dev/null 2> err.txt; [ $? -eq 2 ] && grep -q "no table 'nope'" err.txt || fail "export of a missing table"
[ -e nope.csv ] && fail "output created"

echo "$failures failed"
[ $failures -eq 0 ]
