#!/usr/bin/env bash
# peil match on the command line: the score model's separation is an error
# that names --allow-separation, which peil match takes (the note then
# appears in the report and the JSON); a user score is named in the header.
. "$(dirname "$0")/lib.sh"
DATA="$PEIL_TESTS/reference/matching/data/stip.csv"

# A level held by controls only: grp = z for the first nine controls.
awk -F, 'NR == 1 { print $0 ",grp"; next } { g = "a"; if ($2 == 0 && z < 9) { g = "z"; z++ } print $0 "," g }' \
  "$DATA" > "$T/sep.csv"

expect_exit 2 "$PEIL" match "$T/sep.csv" -f 'treat ~ age + grp' --caliper 0.2
expect_err "separation"
expect_err "--allow-separation"

expect_exit 0 "$PEIL" match "$T/sep.csv" -f 'treat ~ age + grp' --caliper 0.2 --allow-separation
expect_out "score model: separation"
expect_out 'every one of the 9 rows with grp = "z" has treat = 0'

expect_exit 0 "$PEIL" match "$T/sep.csv" -f 'treat ~ age + grp' --caliper 0.2 --allow-separation --json
expect_out '"score model: separation'

expect_exit 0 "$PEIL" match "$DATA" -f 'treat ~ age + sex' --distance age --caliper 0.2
expect_out "on the given score 'age', without replacement"

expect_exit 0 "$PEIL" match --help
expect_out "--allow-separation"
finish
