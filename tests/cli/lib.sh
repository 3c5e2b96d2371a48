# Shared by the CLI tests (sourced). Provides a scratch dir and assertions.
set -u
: "${PEIL:?PEIL must name the peil binary}"
: "${PEIL_TMP:?PEIL_TMP must name a scratch directory}"
T="$PEIL_TMP/$(basename "$0" .sh)"
rm -rf "$T" && mkdir -p "$T"
FAILS=0
CHECKS=0

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

# expect_exit CODE CMD...: runs CMD, keeps stdout/stderr in $T/out, $T/err.
expect_exit() {
  local want=$1; shift
  CHECKS=$((CHECKS + 1))
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    fail "exit $got, expected $want: $*"; sed 's/^/  stderr: /' "$T/err" >&2
  fi
}

# expect_err TEXT: the last command's stderr contains TEXT.
expect_err() {
  CHECKS=$((CHECKS + 1))
  grep -qF -- "$1" "$T/err" || { fail "stderr lacks '$1'"; sed 's/^/  stderr: /' "$T/err" >&2; }
}

# expect_out TEXT: the last command's stdout contains TEXT.
expect_out() {
  CHECKS=$((CHECKS + 1))
  grep -qF -- "$1" "$T/out" || { fail "stdout lacks '$1'"; head -20 "$T/out" | sed 's/^/  stdout: /' >&2; }
}

# expect_no_file PATH: nothing at PATH and no temporary file beside it.
expect_no_file() {
  CHECKS=$((CHECKS + 1))
  local dir base
  dir=$(dirname "$1"); base=$(basename "$1")
  [ ! -e "$1" ] || fail "$1 exists but should not"
  ! ls -a "$dir" | grep -q "^\.$base\." || fail "a temporary file .$base.* was left in $dir"
}

finish() {
  if [ "$FAILS" -gt 0 ]; then echo "$FAILS of $CHECKS checks failed"; exit 1; fi
  echo "$CHECKS checks passed"; exit 0
}
