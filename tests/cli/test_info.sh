#!/usr/bin/env bash
# peil info and the global CLI: help, version, bad arguments, bad stores.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$PEIL" --version; expect_out "peil "
expect_exit 0 "$PEIL" --help; expect_out "Commands:"
expect_exit 2 "$PEIL"
expect_exit 2 "$PEIL" frobnicate; expect_err "unknown command 'frobnicate'"
for cmd in info import export simulate; do
  expect_exit 0 "$PEIL" "$cmd" --help; expect_out "Usage: peil $cmd"
done

expect_exit 2 "$PEIL" info; expect_err "expected one store file"
expect_exit 2 "$PEIL" info --bogus x.h5
expect_exit 2 "$PEIL" info "$T/none.h5"; expect_err "$T/none.h5: no such file"
echo "not hdf5" > "$T/text.h5"
expect_exit 2 "$PEIL" info "$T/text.h5"; expect_err "not an HDF5 file"

# A real store: from the simulator, small.
expect_exit 0 "$PEIL" simulate -o "$T/s.h5" --persons 300 --seed 1 --quiet
expect_exit 0 "$PEIL" info "$T/s.h5"; expect_out "table persons: 300 rows"
expect_out "municipality"; expect_out "Amsterdam ("
expect_exit 0 "$PEIL" info "$T/s.h5" --table persons --json
expect_out '"command": "info"'; expect_out '"nrows": 300'
expect_exit 2 "$PEIL" info "$T/s.h5" --table nope; expect_err "no table 'nope'"
# -o writes atomically; a bad -o leaves nothing.
expect_exit 0 "$PEIL" info "$T/s.h5" -o "$T/info.txt"
[ -s "$T/info.txt" ] || fail "info -o wrote nothing"
expect_exit 2 "$PEIL" info "$T/s.h5" -o "$T/no/such/dir/info.txt"
finish
