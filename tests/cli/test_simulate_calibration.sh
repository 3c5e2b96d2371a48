#!/bin/bash
# The simulated G4 stock matches the report's figures (seed 001; DOMAIN.md
# section 1) within the tolerances in tests/reference/sim_calibration.py,
# computed independently of peil with h5py from a 100,000-person extract.
set -u
: "${PEIL:?}" "${PEIL_TESTS:?}" "${PEIL_TMP:?}"
py=/usr/bin/python3
if ! "$py" -c "import h5py, numpy" 2>/dev/null; then
  echo "skipped: $py cannot import h5py and numpy (Debian: apt-get install python3-h5py)"
  exit 77
fi
dir="$PEIL_TMP/simulate_calibration"
mkdir -p "$dir"
store="$dir/g4-100k.h5"
"$PEIL" simulate -q -o "$store" --persons 100000 --seed 2024 || exit 1
"$py" "$PEIL_TESTS/reference/sim_calibration.py" "$store" --check
rc=$?
rm -f "$store"
exit $rc
