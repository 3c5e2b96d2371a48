#!/usr/bin/env bash
# CSV import/export throughput of peil on a ~1 GB register-like CSV.
#
# Measure (the data are generated once, ~1 min, and not committed):
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j2
#   benchmarks/csv_import.sh build/peil            # SIZE_MB=1000 DIR=/tmp/peil-csv-bench
#
# Prints, per kind of run (REPS=3 runs each), the best and the median wall
# time with the MB/s of the CSV file's size over it, the CPU time and the peak
# memory:
#   import, types inferred (two passes over the file)
#   import with a schema that fixes every column (one pass)
#   export of the imported table to CSV
# Columns: a person id (int), municipality (categorical, 343 levels, skewed to
# the G4), dates ISO and Dutch DD-MM-YYYY, sex and migration background
# (categorical), income with 5% missing (2 decimals), hours (1 decimal), age
# with 1% NA, a boolean, benefit duration in months, a full-precision score.
# Memory must stay flat (it does not grow with the file). The machine's load
# is printed too: other jobs on it slow every figure.
set -euo pipefail
PEIL=${1:-build/peil}
SIZE_MB=${SIZE_MB:-1000}
DIR=${DIR:-/tmp/peil-csv-bench}
PY=/usr/bin/python3
mkdir -p "$DIR"
CSV="$DIR/persons_${SIZE_MB}mb.csv"
SCHEMA="$DIR/persons.schema.ini"

if [ ! -s "$CSV" ] || [ ! -s "$SCHEMA" ]; then
  echo "generating $CSV (~${SIZE_MB} MB) ..." >&2
  "$PY" - "$CSV" "$SCHEMA" "$SIZE_MB" <<'PYEOF'
import datetime, random, sys
path, schema, size_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = size_mb * 10000  # ~100 bytes a row
random.seed(2024)
g4 = ['Amsterdam', 'Rotterdam', 'Den Haag', 'Utrecht']
gem = g4 + ['Gemeente %03d' % i for i in range(1, 340)]
mig = ['Nederlands', 'Westers', 'Turks', 'Marokkaans', 'Surinaams', 'Antilliaans',
       'Overig niet-westers']
base = datetime.date(1940, 1, 1).toordinal()
start0 = datetime.date(2016, 1, 1).toordinal()
days = [datetime.date.fromordinal(base + i).isoformat() for i in range(25000)]
starts = []
for i in range(3000):
    d = datetime.date.fromordinal(start0 + i)
    starts.append('%02d-%02d-%04d' % (d.day, d.month, d.year))
rnd, choice, rr = random.random, random.choice, random.randrange
with open(path, 'w') as out:
    out.write('rin,gemeente,geboortedatum,geslacht,migratie,inkomen,uren,startdatum,'
              'leeftijd,bijstand,duur_maanden,score\n')
    buf = []
    for i in range(rows):
        g = g4[rr(4)] if rnd() < 0.5 else choice(gem)
        inc = '' if rnd() < 0.05 else '%.2f' % (rnd() * 5000)
        age = str(rr(18, 67)) if rnd() > 0.01 else 'NA'
        buf.append('%d,%s,%s,%s,%s,%s,%.1f,%s,%s,%s,%d,%r' % (
            100000000 + 7 * i, g, days[rr(25000)], 'MV'[rr(2)], choice(mig), inc,
            rnd() * 40, starts[rr(3000)], age, ('true', 'false')[rr(2)], rr(400),
            random.gauss(0, 1)))
        if len(buf) == 20000:
            out.write('\n'.join(buf)); out.write('\n'); buf = []
    if buf:
        out.write('\n'.join(buf) + '\n')
with open(schema, 'w') as s:
    s.write('[columns]\nrin = int64\ngeboortedatum = date\ngeslacht = enum\ninkomen = float64\n'
            'uren = float64\nleeftijd = int8\nbijstand = bool\nduur_maanden = int16\n'
            'score = float64\n\n[startdatum]\ntype = date\nformat = DD-MM-YYYY\n\n')
    s.write('[geslacht]\nlevels = M, V\n\n[migratie]\ntype = enum\nlevels = %s\n\n'
            % ', '.join('"%s"' % m for m in sorted(mig)))
    # inih reads lines of at most 200 characters: continue the list.
    lines = [', '.join('"%s"' % g for g in sorted(gem)[i:i + 8]) for i in range(0, len(gem), 8)]
    s.write('[gemeente]\ntype = enum\nlevels = ' + ',\n  '.join(lines) + '\n')
PYEOF
fi

bytes=$(stat -c %s "$CSV")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }')
echo "file: $CSV ($mb MB, $(($(wc -l < "$CSV") - 1)) rows); peil $("$PEIL" --version)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$CSV" > /dev/null # in the page cache, as a file just delivered would be

# Runs a command REPS times; prints the best run (least wall time: on a
# shared machine the other runs measure the neighbours) and the median.
REPS=${REPS:-3}
run() {
  local label=$1
  shift
  local t="$DIR/time.txt" all="$DIR/times.txt"
  : > "$all"
  for _ in $(seq "$REPS"); do
    [ -n "${BEFORE:-}" ] && eval "$BEFORE"
    /usr/bin/time -f "%e %U %S %M" -o "$t" "$@"
    cat "$t" >> "$all"
  done
  sort -n "$all" | awk -v l="$label" -v b="$bytes" -v n="$REPS" '
    { w[NR] = $1; c[NR] = $2 + $3; r[NR] = $4 }
    END { m = w[int((n + 1) / 2)];
          printf "%-30s best %6.2f s (%6.1f MB/s, cpu %6.2f s, %4.0f MB peak)  median %6.2f s (%6.1f MB/s)\n",
                 l, w[1], b / 1e6 / w[1], c[1], r[1] / 1024, m, b / 1e6 / m }'
}

# A new store for each import: an import into an existing store also copies
# the store first (the atomic update), which is not the CSV's cost.
STORE="$DIR/bench.h5"
rm -f "$STORE" "$DIR/out.csv"
BEFORE='rm -f "$STORE"'
run "import, schema (1 pass)" "$PEIL" import "$CSV" -o "$STORE" -t persons -q --schema "$SCHEMA"
run "import, inferred, 1 thread" "$PEIL" import "$CSV" -o "$STORE" -t persons -q --threads 1
run "import, inferred (2 passes)" "$PEIL" import "$CSV" -o "$STORE" -t persons -q
BEFORE=
run "export" "$PEIL" export "$STORE" -t persons -o "$DIR/out.csv"
ls -l "$STORE" "$DIR/out.csv" | awk '{ printf "  %s: %.0f MB\n", $NF, $5 / 1e6 }'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$STORE" "$DIR/out.csv" "$DIR/time.txt" "$DIR/times.txt"
