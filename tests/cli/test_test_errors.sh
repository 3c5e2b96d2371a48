#!/usr/bin/env bash
# peil test on bad input: exit code 2, a message that says what is wrong
# (the count, the cell, the column and its levels), and no output file.
. "$(dirname "$0")/lib.sh"
R="${PEIL_TESTS:?}/reference/stats"
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"
OUT="$T/result.json"
"$PEIL" import "$R/data/trial.csv" -o "$T/trial.h5" --table trial -q || exit 1
S="$T/trial.h5"

# Counts: more successes than trials, negative, no trials, no information.
expect_exit 2 "$PEIL" test prop 301/300 55/300 -o "$OUT"
expect_err "301 successes in 300 trials (group 1): more successes than trials"
expect_no_file "$OUT"
expect_exit 2 "$PEIL" test -- prop -1/300
expect_err "the number of successes must not be negative, not -1"
expect_exit 2 "$PEIL" test prop 5/0
expect_err "the number of trials must be positive, not 0"
expect_exit 2 "$PEIL" test prop 0/10 0/20
expect_err "no successes in every group"
expect_exit 2 "$PEIL" test prop 71/300 --p 1.2
expect_err "strictly between 0 and 1, not 1.2"
expect_exit 2 "$PEIL" test prop 71/300 55/300 --p 0.2
expect_err "--p gives 1 probability for 2 groups"
expect_exit 2 "$PEIL" test prop 71:300
expect_err "'71:300' is not successes/trials"
expect_exit 2 "$PEIL" test binom 3.5/10
expect_err "must be a whole number of at least 0, not 3.5"
expect_exit 2 "$PEIL" test binom 71/300 55/300
expect_err "binom takes one X/N"
# Tables: an empty row or column (R gives NaN), ragged rows, too small.
expect_exit 2 "$PEIL" test chisq "12,5,7;0,0,0" -o "$OUT"
expect_err "row 2 of the table is empty (all counts 0)"
expect_no_file "$OUT"
expect_exit 2 "$PEIL" test chisq "12,0,7;3,0,11"
expect_err "column 2 of the table is empty"
expect_exit 2 "$PEIL" test chisq "1,2;3"
expect_err "chisq takes one table"
expect_exit 2 "$PEIL" test chisq "1,2,3"
expect_err "a 1 x 3 table: the test needs at least 2 rows and 2 columns"
expect_exit 2 "$PEIL" test -- chisq "1,-2;3,4"
expect_err "cell [1,2] of the table is -2"
expect_exit 2 "$PEIL" test fisher 1,2,3
expect_err "fisher takes a 2 x 2 table"
expect_exit 2 "$PEIL" test fisher 1,2.5,3,4
expect_err "cell b (row 1, column 2) of the table is 2.5"
# Samples: too few, constant, all tied.
expect_exit 2 "$PEIL" test t 1,2,3 4
expect_err "not enough observations in y (group 2): 1; Welch's t test needs at least 2 in each group"
expect_exit 2 "$PEIL" test t 5,5,5 5,5,5
expect_err "the data are essentially constant"
expect_exit 2 "$PEIL" test t --summary 1,2 3,4,5
expect_err "summary takes two groups as MEAN,SD,N MEAN,SD,N"
expect_exit 2 "$PEIL" test t --summary 1,-2,10 3,4,5
expect_err "group 1: the standard deviation must be a number >= 0, not -2"
expect_exit 2 "$PEIL" test wilcox 5,5,5 5,5
expect_err "all 5 values are tied"
expect_exit 2 "$PEIL" test wilcox 1,2,x 3,4
expect_err "give the two samples as X1,X2,... Y1,Y2,..."
# Usage: the test, the options.
expect_exit 2 "$PEIL" test
expect_err "which test?"
expect_exit 2 "$PEIL" test anova 1,2 3,4
expect_err "unknown test 'anova'"
expect_exit 2 "$PEIL" test prop 71/300 --alternative sideways
expect_err "--alternative must be two.sided, less or greater, not 'sideways'"
expect_exit 2 "$PEIL" test prop 71/300 --conf-level 95
expect_err "--conf-level must be a number between 0 and 1, not '95'"
expect_exit 2 "$PEIL" test wilcox 1,2 3,4 --exact maybe
expect_err "--exact must be yes, no or auto"
expect_exit 2 "$PEIL" test t 1,2 3,4 --p 0.5
expect_err "--p belongs to prop and binom"
expect_exit 2 "$PEIL" test prop 71/300 --correct maybe
expect_err "--correct must be yes or no, not 'maybe'"
expect_exit 2 "$PEIL" test t 1,2 3,4 --summary --var-equal --nonsense
expect_err "unknown or incomplete option '--nonsense'"
# Data: the group's levels, unknown columns, values that are not 0/1, a
# table that is not 2 x 2, no rows left, a missing file, missing options.
expect_exit 2 "$PEIL" test t "$S" --value income --group municipality -o "$OUT"
expect_err "group column 'municipality' has 4 levels in the rows used (Amsterdam, Den Haag, Rotterdam, Utrecht)"
expect_no_file "$OUT"
expect_exit 2 "$PEIL" test t "$S" --value income --group treet
expect_err "--group: no column 'treet' in table 'trial'"
expect_exit 2 "$PEIL" test wilcox "$S" --value "log(incme)" --group treat
expect_err "'log(incme)': unknown column 'incme' in table 'trial'"
expect_exit 2 "$PEIL" test t "$S" --value income --group treat --levels 0,2
expect_err "no row used has level '2' of column 'treat'"
expect_exit 2 "$PEIL" test prop "$S" --value income --group treat
expect_err "--value income must be 0 or 1: row 1 has 2230.391"
expect_exit 2 "$PEIL" test fisher "$S" --rows municipality --cols outcome
expect_err "Fisher's exact test takes a 2 x 2 table; 'municipality' by 'outcome' is 4 x 3"
expect_exit 2 "$PEIL" test t "$S" --value income --group treat --where "age > 200"
expect_err "no rows left in table 'trial': 400 read, 400 filtered out"
expect_exit 2 "$PEIL" test t "$S" --value income --group treat --where 'municipality == "Amsterdm"'
expect_err 'unknown level "Amsterdm"'
expect_exit 2 "$PEIL" test chisq "$S" --rows municipality
expect_err "--rows and cols are required: chisq on data cross-tabulates two columns"
expect_exit 2 "$PEIL" test t "$S" --group treat
expect_err "--value is required: t on data tests a column or expression"
expect_exit 2 "$PEIL" test chisq "$S" --value income --rows treat --cols in_work
expect_err "--value and group: chisq tests a table of rows by cols"
expect_exit 2 "$PEIL" test t "$S" --value income --rows treat
expect_err "--rows and cols belong to chisq and fisher; t takes value (and group)"
expect_exit 2 "$PEIL" test t "$S" --value income --levels 0,1
expect_err "--levels names levels of the group column: give group"
expect_exit 2 "$PEIL" test t "$S" --table persons --value income --group treat
expect_err "no table 'persons'"
expect_exit 2 "$PEIL" test t "$T/nothing.h5" --value income --group treat
expect_err "no such file"

finish
