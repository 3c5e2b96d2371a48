#!/usr/bin/env bash
# peil run on a bad spec: every problem found before any work starts, with
# the file, line, section and key; exit code 2; no output directory.
. "$(dirname "$0")/lib.sh"
S="$T/g4.h5"
"$PEIL" simulate -o "$S" --persons 500 --seed 3 -q || exit 1
OUT="$T/result"

# spec NAME: the spec file $T/NAME.ini from standard input
spec() { cat > "$T/$1.ini"; }
run_fails() { # NAME MESSAGE...: exit 2, each message on stderr, no output
  local name=$1; shift
  expect_exit 2 "$PEIL" run "$T/$name.ini" -o "$OUT"
  for m in "$@"; do expect_err "$m"; done
  expect_no_file "$OUT"
}

spec ok <<'EOF2'
[data]
store = g4.h5

[cohort g4]
population = stock
spells = bijstand
group = municipality
dates = 2018-01-01..2019-01-01 every 6 months
horizons = 6, 12
outcome.work = on jobs

[logit sex]
table = persons
formula = sex ~ migration
vcov = hc1
exponentiate = yes

[table by_city]
table = persons
rows = municipality
cols = sex
title = Persons by municipality and sex
EOF2
expect_exit 0 "$PEIL" run "$T/ok.ini" --check
expect_out "3 analyses"
expect_out "[logit sex]"

# A missing store; --store overrides [data] store.
sed 's/^store = g4.h5/store = nothere.h5/' "$T/ok.ini" > "$T/nostore.ini"
run_fails nostore "nostore.ini:2: [data] store = " "nothere.h5: not an HDF5 store"
expect_exit 0 "$PEIL" run "$T/nostore.ini" --store "$S" --check
# No [data] section at all.
spec nodata <<'EOF2'
[logit a]
table = persons
formula = sex ~ migration
EOF2
run_fails nodata "nodata.ini: no [data] section with store = FILE.h5"

# An unknown table, an unknown column (in the formula and in a key).
spec notable <<'EOF2'
[data]
store = g4.h5
[logit a]
table = nosuch
formula = sex ~ migration
EOF2
run_fails notable "notable.ini:4: [logit a] table = nosuch:" "no table 'nosuch'"
spec nocolumn <<'EOF2'
[data]
store = g4.h5
[logit a]
table = persons
formula = sex ~ migration + agee
EOF2
run_fails nocolumn "nocolumn.ini:5: [logit a] formula: unknown column 'agee' in table 'persons'"
spec nocluster <<'EOF2'
[data]
store = g4.h5
[logit a]
table = persons
formula = sex ~ migration
cluster = household_id
EOF2
run_fails nocluster "[logit a] cluster = household_id: unknown column in table 'persons'"
spec notableorfrom <<'EOF2'
[data]
store = g4.h5
[logit a]
formula = sex ~ migration
EOF2
run_fails notableorfrom "notableorfrom.ini:3: [logit a] needs table = T"

spec nowhere <<'EOF2'
[data]
store = g4.h5
[logit a]
table = persons
formula = sex ~ migration
where = age >= 18
EOF2
run_fails nowhere "nowhere.ini:6: [logit a] where: unknown column 'age' in table 'persons'"
# [match NAME]: its keys are peil match's options.
spec matchexact <<'EOF2'
[data]
store = g4.h5
[match m]
table = persons
formula = sex ~ migration
exact = municipality, region
EOF2
run_fails matchexact "matchexact.ini:6: [match m] exact = region: unknown column in table 'persons'"
spec matchoutcome <<'EOF2'
[data]
store = g4.h5
[match m]
table = persons
formula = sex ~ migration
outcome = in_work
EOF2
run_fails matchoutcome "matchoutcome.ini:6: [match m] outcome = in_work: unknown column"
spec matchmethod <<'EOF2'
[data]
store = g4.h5
[match m]
table = persons
formula = sex ~ migration
method = optimal
EOF2
run_fails matchmethod "matchmethod.ini:6: [match m] method must be nearest, exact, cem or subclass, not 'optimal'"
spec matchratio <<'EOF2'
[data]
store = g4.h5
[match m]
table = persons
formula = sex ~ migration
method = subclass
ratio = 2
EOF2
run_fails matchratio "matchratio.ini:3: [match m] ratio belongs to method nearest, exact or cem"

# [table NAME]: rows, cols, value, where.
spec tablerows <<'EOF2'
[data]
store = g4.h5
[table t]
table = persons
cols = sex
EOF2
run_fails tablerows "tablerows.ini:3: [table t] needs rows = COLUMN"
spec tablecol <<'EOF2'
[data]
store = g4.h5
[table t]
table = persons
rows = municipality
cols = gender
EOF2
run_fails tablecol "tablecol.ini:6: [table t] cols = gender: unknown column in table 'persons'"
spec tablevalue <<'EOF2'
[data]
store = g4.h5
[table t]
table = persons
rows = municipality
value = income > 0
EOF2
run_fails tablevalue "tablevalue.ini:6: [table t] value: unknown column 'income' in table 'persons'"
spec tablekey <<'EOF2'
[data]
store = g4.h5
[table t]
table = persons
rows = municipality
columns = sex
EOF2
run_fails tablekey "tablekey.ini:6: [table t] unknown key 'columns' (keys: table, from, rows, cols, value, where, title)"

# [test NAME]: the kind of test, its data.
spec testkind <<'EOF2'
[data]
store = g4.h5
[test t]
table = persons
value = sex == "man"
EOF2
run_fails testkind "testkind.ini:3: [test t] needs test = prop, binom, chisq, fisher, t or wilcox"
spec testbad <<'EOF2'
[data]
store = g4.h5
[test t]
table = persons
test = anova
EOF2
run_fails testbad "testbad.ini:5: [test t] test = anova: not one of prop, binom, chisq, fisher, t, wilcox"
spec testgroup <<'EOF2'
[data]
store = g4.h5
[test t]
table = persons
test = prop
value = sex == "man"
group = city
EOF2
run_fails testgroup "testgroup.ini:7: [test t] group = city: unknown column in table 'persons'"

spec testcounts <<'EOF2'
[data]
store = g4.h5
[test t]
test = prop
counts = 71/300 55-300
EOF2
run_fails testcounts "testcounts.ini:5: [test t] counts = 71/300 55-300: '55-300' is not successes/trials"
spec testcounts2 <<'EOF2'
[data]
store = g4.h5
[test t]
test = prop
counts = 71/300 355/300
EOF2
run_fails testcounts2 "testcounts2.ini:5: [test t] counts = 71/300 355/300:"
spec testboth <<'EOF2'
[data]
store = g4.h5
[test t]
table = persons
test = prop
counts = 71/300 55/300
EOF2
run_fails testboth "testboth.ini:6: [test t] counts: a test is on counts or on a table (table/from), not both"

# [split NAME]: peil split's keys.
spec splitcuts <<'EOF2'
[data]
store = g4.h5
[split e]
cuts = 182, 91
EOF2
run_fails splitcuts "splitcuts.ini:4: [split e] cuts: 91 after 182: the cut points must increase"

# Unknown section types and keys; command-line-only keys; bad values.
spec badtype <<'EOF2'
[data]
store = g4.h5
[regression a]
formula = sex ~ migration
EOF2
run_fails badtype "badtype.ini:3: [regression a]: unknown section type 'regression'"
spec badkey <<'EOF2'
[data]
store = g4.h5
[logit a]
table = persons
formula = sex ~ migration
clutser = rin
EOF2
run_fails badkey "badkey.ini:6: [logit a] unknown key 'clutser' (keys: table, from, formula"
spec clikey <<'EOF2'
[data]
store = g4.h5
[logit a]
table = persons
formula = sex ~ migration
output = x.json
EOF2
run_fails clikey "clikey.ini:6: [logit a] 'output' is an option of the command line, not a key"
spec badvalue <<'EOF2'
[data]
store = g4.h5
[logit a]
table = persons
formula = sex ~ migration
vcov = sandwich
EOF2
run_fails badvalue "badvalue.ini:6: [logit a] vcov must be model, hc0, hc1 or hc3, not 'sandwich'"
spec badflag <<'EOF2'
[data]
store = g4.h5
[logit a]
table = persons
formula = sex ~ migration
exponentiate = sure
EOF2
run_fails badflag "badflag.ini:6: [logit a] exponentiate = sure: expected yes or no"
spec badformula <<'EOF2'
[data]
store = g4.h5
[logit a]
table = persons
formula = sex ~ (migration
EOF2
run_fails badformula "badformula.ini:5: [logit a] formula: "
spec badcohort <<'EOF2'
[data]
store = g4.h5
[cohort c]
population = stock
spells = bijstand
dates = 2018-01-01
horizons = 6
horizonz = 6
EOF2
run_fails badcohort "badcohort.ini"

# Names: missing, not a file stem, taken twice; a section given twice.
spec noname <<'EOF2'
[data]
store = g4.h5
[logit]
table = persons
formula = sex ~ migration
EOF2
run_fails noname "noname.ini:3: [logit]: a logit section needs a name"
spec badname <<'EOF2'
[data]
store = g4.h5
[logit Work Model]
table = persons
formula = sex ~ migration
EOF2
run_fails badname "badname.ini:3: [logit Work Model]: a logit section needs a name of lower-case letters"
spec samename <<'EOF2'
[data]
store = g4.h5
[logit a]
table = persons
formula = sex ~ migration
[ols a]
table = persons
formula = sex ~ 1
EOF2
run_fails samename "samename.ini:6: [ols a]: the name 'a' is taken by [logit a] (line 3): both would write the tables a.*"
spec twice <<'EOF2'
[data]
store = g4.h5
[logit a]
table = persons
[logit a]
formula = sex ~ migration
EOF2
run_fails twice "twice.ini:5: [logit a] appears twice (also line 3)"

# References: to a later section, to nothing, to a section without rows.
spec forward <<'EOF2'
[data]
store = g4.h5
[logit a]
from = c
formula = sex ~ migration
[cohort c]
population = stock
spells = bijstand
dates = 2018-01-01
horizons = 6
outcome.work = on jobs
EOF2
run_fails forward "forward.ini:4: [logit a] from = c: that section comes later (line 6)"
spec nofrom <<'EOF2'
[data]
store = g4.h5
[logit a]
from = nothing
formula = sex ~ migration
EOF2
run_fails nofrom "nofrom.ini:4: [logit a] from = nothing: no such section"
spec fromlogit <<'EOF2'
[data]
store = g4.h5
[logit a]
table = persons
formula = sex ~ migration
[logit b]
from = a
formula = sex ~ 1
EOF2
run_fails fromlogit "fromlogit.ini:7: [logit b] from = a: a [logit] section has no rows to read"

# Cohort and split sections are checked against the store before any work,
# and sections that read their rows against the columns those rows will have.
spec cohorttable <<'EOF2'
[data]
store = g4.h5
[cohort c]
population = stock
spells = bijstand
dates = 2018-01-01
horizons = 6
outcome.work = on jobz
EOF2
run_fails cohorttable "cohorttable.ini:8: [cohort c] the store " "has no table 'jobz'"
spec fromcolumn <<'EOF2'
[data]
store = g4.h5
[cohort c]
population = stock
spells = bijstand
dates = 2018-01-01
horizons = 6
outcome.work = on jobs
strata = duration
correct = none
[table t]
from = c
rows = municipality
cols = duration
[logit a]
from = c
formula = work_12 ~ duration
EOF2
run_fails fromcolumn "fromcolumn.ini:17: [logit a] formula: unknown column 'work_12' in the rows of [cohort c]"
sed -e 's/^formula = work_12 ~ duration$/formula = work_6 ~ duration/' -e 's/^cols = duration$/cols = sex/' \
  "$T/fromcolumn.ini" > "$T/fromcols.ini"
run_fails fromcols "fromcols.ini:14: [table t] cols = sex: unknown column in the rows of [cohort c]"
spec splittable <<'EOF2'
[data]
store = g4.h5
[split s]
treatment = programmes
EOF2
run_fails splittable "splittable.ini:3: [split s] treatment: " "has no table 'programmes'"
spec splitcolumn <<'EOF2'
[data]
store = g4.h5
[split s]
treatment = programme
[glm g]
from = s
family = poisson
formula = event ~ period + treated + nosuch + offset(log(exposure))
EOF2
run_fails splitcolumn "splitcolumn.ini:8: [glm g] formula: unknown column 'nosuch' in the rows of [split s]"

# [data] joins: the form, the tables, a name the store has, a column of
# neither; a table joined on that has a person twice stops the run (exit 2).
spec joinform <<'EOF2'
[data]
store = g4.h5
table.p = programme with persons
EOF2
run_fails joinform "joinform.ini:3: [data] table.p = programme with persons: expected 'LEFT join RIGHT'"
spec jointable <<'EOF2'
[data]
store = g4.h5
table.p = programme join people
[table t]
table = p
rows = sex
EOF2
run_fails jointable "jointable.ini:3: [data] table.p: " "people"
spec joinname <<'EOF2'
[data]
store = g4.h5
table.persons = programme join persons
[table t]
table = persons
rows = sex
EOF2
run_fails joinname "joinname.ini:3: [data] table.persons: the store has a table of that name"
spec joincol <<'EOF2'
[data]
store = g4.h5
table.p = programme join persons
[table t]
table = p
rows = nosuch
EOF2
run_fails joincol "joincol.ini:6: [table t] rows = nosuch: unknown column in table 'p' ([data] table.p)"
spec joindup <<'EOF2'
[data]
store = g4.h5
table.p = persons join srg
[table t]
table = p
rows = municipality
EOF2
run_fails joindup "joindup.ini:3: [data] table.p: join with srg: rin " "the table joined on must have one row per rin"

# The output directory: a file, or in a directory that does not exist.
touch "$T/afile"
expect_exit 2 "$PEIL" run "$T/ok.ini" -o "$T/afile"
expect_err "output directory '$T/afile' is a file"
expect_exit 2 "$PEIL" run "$T/ok.ini" -o "$T/no/such/dir"
expect_err "cannot write the output directory '$T/no/such/dir'"
finish
