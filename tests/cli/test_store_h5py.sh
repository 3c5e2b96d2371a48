#!/usr/bin/env bash
# A store written by peil opens in h5py without peil: LZF columns decode, enum
# labels are visible, dates carry their units, missing values their sentinel.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
if ! "$PY" -c 'import h5py' 2>/dev/null; then
  echo "SKIPPED: python3-h5py is not installed (apt-get install python3-h5py)"; exit 77
fi
expect_exit 0 "$PEIL" simulate -o "$T/s.h5" --persons 2000 --seed 7 --quiet
expect_exit 0 "$PY" - "$T/s.h5" <<'PYEOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert "persons" in f and "bijstand" in f, list(f)
p = f["persons"]
m = p["municipality"]
labels = h5py.check_enum_dtype(m.dtype)
assert labels is not None, "municipality is not an enum"
assert set(labels) == {"Amsterdam", "Rotterdam", "Den Haag", "Utrecht"}, labels
codes = m[:]
assert ((codes >= 0) & (codes < 4)).all()
assert m.compression == "lzf", m.compression
b = p["birth_date"]
assert b.attrs["units"] == "days since 1970-01-01", dict(b.attrs)
assert int(b.attrs["missing"]) == -2**31
n = {len(p[c]) for c in p}
assert n == {2000}, n
assert int(p.attrs["nrows"]) == 2000
assert isinstance(f.attrs["peil_version"], str)
print("ok")
PYEOF
expect_out "ok"
finish
