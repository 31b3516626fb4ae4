#!/usr/bin/env bash
# Runs every hwprov test, with the independent checkers they need.
#
#   ./test.sh                 # all tests (cargo test --release)
#   ./test.sh --test gate     # extra arguments go to cargo test
#
# On a fresh Debian/Ubuntu machine with the Rust toolchain and Python 3, it
# installs what the tests check against, project-locally where it can:
#   - Python checkers (pycose, cbor2, pycddl, cryptography, the OCP S.A.F.E.
#     reference library's requirements; tests/requirements.txt)
#     into ./.venv, never the system Python;
#   - openssl, chromium, util-linux (setpriv), python3-venv, and Go with the
#     Go checksum database's tlog package (golang-go,
#     golang-golang-x-mod-dev) with apt-get, when run as root (or with
#     passwordless sudo); otherwise it says what is missing, and the tests
#     that need it fail with the same advice.
# A test whose checker is missing fails. The only way to skip one is to name
# it in HWPROV_SKIP (comma-separated: chromium, pycose, pycddl, python-crypto,
# ocp-safe-lib, go-tlog),
# which this script repeats at the end of the run.
set -euo pipefail
cd "$(dirname "$0")"

say() { printf 'test.sh: %s\n' "$*" >&2; }

# 1. System tools.
missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
command -v mkfifo >/dev/null 2>&1 || missing+=(coreutils)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ] || missing+=(golang-golang-x-mod-dev)
if [ ! -x .venv/bin/python ] && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt=(apt-get)
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    apt=(sudo apt-get)
  else
    apt=()
  fi
  if [ ${#apt[@]} -gt 0 ]; then
    say "installing ${missing[*]} with apt-get"
    "${apt[@]}" update -qq
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "${missing[@]}" >/dev/null
  else
    say "missing ${missing[*]}: install them (apt-get install ${missing[*]}); the tests that need them will fail until then"
  fi
fi

# 2. Python checkers, pinned, in the project's own virtual environment.
want=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.requirements-sha256 2>/dev/null)" != "$want" ]; then
  say "setting up .venv with tests/requirements.txt"
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
  echo "$want" > .venv/.requirements-sha256
fi
export HWPROV_PYTHON="$PWD/.venv/bin/python"

# 3. Every test.
status=0
cargo test --release --locked "$@" || status=$?

if [ -n "${HWPROV_SKIP:-}" ]; then
  say "SKIPPED on request (HWPROV_SKIP=$HWPROV_SKIP): the checks that need these did not run"
fi
exit "$status"
