#!/usr/bin/env bash
# Runs the shipped adapters (Rust crate, Python package, Node package) against the corpus
# and checks that each library's divergences per flag still match adapters/expected/, which
# is what the README's divergence table shows. The Python and Node adapters are skipped,
# with the reason printed, when their packages cannot be installed.
#
#   bash adapters/ci.sh            check against adapters/expected/
#   bash adapters/ci.sh --update   rewrite adapters/expected/ from this run
set -euo pipefail
cd "$(dirname "$0")/.."

update=false
[[ "${1:-}" == "--update" ]] && update=true
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0

# --workspace: the Rust adapter is a workspace member but not a default member.
cargo build --quiet --workspace --bin hookspec --bin adapter_standardwebhooks
hookspec=target/debug/hookspec

# Prints "flag diverge-count" for every flag with at least one divergence, sorted.
divergences() {
  awk '/^flag /{t=1; next} t && NF==4 && $3 ~ /^[0-9]+$/ {if ($3 > 0) print $1, $3} /^$/{if (t) exit}' "$1"
}

check() { # name, extra flags, command
  local name="$1" flags="$2" cmd="$3" out="$work/$1.txt"
  echo "==> adapter $name: $cmd"
  set +e
  # shellcheck disable=SC2086
  "$hookspec" vectors check $flags --timeout 30s --exec "$cmd" >"$out" 2>&1
  local code=$?
  set -e
  tail -n 1 "$out"
  if [[ $code -ne 0 && $code -ne 1 ]]; then
    echo "adapter $name failed to run (exit $code):" >&2
    cat "$out" >&2
    status=1
    return
  fi
  divergences "$out" >"$work/$name.div"
  if $update; then
    cp "$work/$name.div" "adapters/expected/$name.txt"
  elif ! diff -u "adapters/expected/$name.txt" "$work/$name.div"; then
    echo "adapter $name: divergences per flag changed (see the diff above); if intended, run bash adapters/ci.sh --update and update the README table" >&2
    status=1
  fi
}

check rust "--system-clock" "target/debug/adapter_standardwebhooks"

venv="$work/venv"
if python3 -m venv "$venv" >/dev/null 2>&1 \
  && "$venv/bin/pip" install --quiet --disable-pip-version-check "standardwebhooks==1.1.0" >/dev/null 2>&1; then
  check python "" "$venv/bin/python3 adapters/python/adapter.py"
else
  echo "==> adapter python: SKIPPED (could not create a venv or install standardwebhooks==1.1.0 from PyPI)"
fi

if command -v npm >/dev/null 2>&1 \
  && npm install --silent --no-save --no-audit --no-fund --prefix "$work/node" "standardwebhooks@1.1.1" >/dev/null 2>&1; then
  check node "" "env NODE_PATH=$work/node/node_modules node adapters/node/adapter.js"
else
  echo "==> adapter node: SKIPPED (npm missing, or standardwebhooks@1.1.1 could not be installed)"
fi

exit $status
