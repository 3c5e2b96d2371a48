#!/usr/bin/env bash
# peil logit/ols/glm on bad input: exit code 2, a message that names the
# place (column, level, row, position with a caret), and no output file.
. "$(dirname "$0")/lib.sh"
D="${PEIL_TESTS:?}/reference/glm/data"
S="$T/g4.h5"
export TMPDIR="$T/tmp"   # where a CSV input's temporary store goes
mkdir -p "$TMPDIR"
"$PEIL" import "$D/g4.csv" -o "$S" --table g4 --schema "$D/g4.schema.ini" -q || exit 1
OUT="$T/result.json"
F="bijstand_12m ~ municipality + sex + age"

# Unknown column in the formula, with a suggestion.
expect_exit 2 "$PEIL" logit "$S" --formula "bijstand_12m ~ agee + sex" -o "$OUT"
expect_err "unknown column 'agee' in table 'g4' (did you mean 'age'?)"
expect_no_file "$OUT"
# Unknown reference level; a level no used row has.
expect_exit 2 "$PEIL" logit "$S" --formula "$F" --ref sex=vrow
expect_err 'unknown level "vrow" of column'
expect_exit 2 "$PEIL" logit "$S" --formula "$F" --ref municipality=Amsterdam --where 'municipality != "Amsterdam"'
expect_err 'no used row has level "Amsterdam"'
expect_exit 2 "$PEIL" logit "$S" --formula "$F" --ref regio=Noord
expect_err "no categorical variable 'regio'"
# Unknown level in a filter, with its position.
expect_exit 2 "$PEIL" logit "$S" --formula "$F" --where 'municipality == "Amsterdm"'
expect_err 'at position 17: unknown level "Amsterdm"'
# A non-binary outcome for a binomial model: the first offending values.
expect_exit 2 "$PEIL" logit "$S" --formula "age ~ sex"
expect_err "must be 0 or 1"
expect_err "row 1 has 38, row 2 has 33"
expect_exit 2 "$PEIL" glm "$S" --family poisson --formula "I(age - 40) ~ sex"
expect_err "must be counts"
# A categorical outcome with more than two levels.
expect_exit 2 "$PEIL" logit "$S" --formula "municipality ~ sex"
expect_err "has 4 levels in the rows used"
# A constant outcome.
expect_exit 2 "$PEIL" ols "$S" --formula "werk ~ sex" --where "werk == 1"
expect_err "outcome 'werk' is constant (1) in all"
# Zero rows after the filter; after dropping missing values.
expect_exit 2 "$PEIL" logit "$S" --formula "$F" --where "age > 200"
expect_err "no rows left to fit"
expect_exit 2 "$PEIL" logit "$S" --formula "bijstand_12m ~ inkomen" --where "inkomen is missing"
expect_err "missing in inkomen"
# A categorical variable with one level left.
expect_exit 2 "$PEIL" logit "$S" --formula "$F" --where 'municipality == "Utrecht"'
expect_err 'municipality has only one level ("Utrecht")'
# Weights: negative, fractional frequency weights, missing column.
printf 'y,x,w\n1,1,1\n0,2,-1\n1,3,2\n0,4,1\n' > "$T/negw.csv"
expect_exit 2 "$PEIL" logit "$T/negw.csv" --formula "y ~ x" --weights w
expect_err "weight -1 at row 2"
printf 'y,x,w\n1,1,1.5\n0,2,1\n1,3,2\n0,4,1\n' > "$T/fracw.csv"
expect_exit 2 "$PEIL" logit "$T/fracw.csv" --formula "y ~ x" --weights w
expect_err "not a whole number"
expect_exit 2 "$PEIL" logit "$S" --formula "$F" --weights gewicht
expect_err "unknown column 'gewicht'"
expect_exit 2 "$PEIL" logit "$S" --formula "$F" --weights inkomen --weight-type sampling --vcov model
expect_err "not valid with sampling weights"
# Syntax errors: a caret under the position.
expect_exit 2 "$PEIL" logit "$S" --formula "bijstand_12m ~ sex +"
expect_err "syntax error in formula at position 21"
expect_err "                      ^"
expect_exit 2 "$PEIL" logit "$S" --formula "$F" --where "age >> 3"
expect_err "syntax error in --where at position 6"
expect_exit 2 "$PEIL" logit "$S" --formula "$F" --where "age + 3"
expect_err "is not a condition"
# factor() of a fractional column.
expect_exit 2 "$PEIL" logit "$S" --formula "bijstand_12m ~ factor(inkomen)"
expect_err "factor() takes integer"
# Separation (named term) and no convergence.
printf 'y,g\n1,A\n0,A\n1,A\n0,B\n1,B\n0,B\n1,C\n1,C\n1,C\n1,C\n' > "$T/sep.csv"
expect_exit 2 "$PEIL" logit "$T/sep.csv" --formula "y ~ g" -o "$OUT"
expect_err "separation"
expect_err 'every one of the 4 rows with g = "C" has y = 1'
expect_err "gC"
expect_no_file "$OUT"
expect_exit 0 "$PEIL" logit "$T/sep.csv" --formula "y ~ g" --allow-separation
expect_out "(separated)"
expect_exit 2 "$PEIL" logit "$S" --formula "$F" --maxit 2
expect_err "did not converge in 2 iterations"
# --margins and --cluster on columns that cannot serve.
expect_exit 2 "$PEIL" logit "$S" --formula "$F" --margins age
expect_err "no categorical variable 'age' on the right-hand side"
expect_exit 2 "$PEIL" logit "$S" --formula "$F" --cluster rinn
expect_err "(did you mean 'rin'?)"
# Usage errors.
expect_exit 2 "$PEIL" logit "$S"
expect_err "--formula is required"
expect_exit 2 "$PEIL" glm "$S" --formula "$F"
expect_err "--family is required"
expect_exit 2 "$PEIL" glm "$S" --formula "$F" --family binomial --link identity
expect_err "identity"
expect_exit 2 "$PEIL" logit "$S" --formula "$F" --vcov hc2
expect_err "--vcov must be"
expect_exit 2 "$PEIL" logit "$T/nonexistent.csv" --formula "$F"
expect_err "no such file"
# A malformed CSV as direct input: the importer's message, nothing left behind.
printf 'y,x\n1,2\n0\n' > "$T/ragged.csv"
expect_exit 2 "$PEIL" logit "$T/ragged.csv" --formula "y ~ x" -o "$OUT"
expect_err "ragged.csv:3"
expect_no_file "$OUT"
[ -z "$(ls -A "$TMPDIR")" ] || fail "temporary files left in $TMPDIR: $(ls -A "$TMPDIR")"
finish
