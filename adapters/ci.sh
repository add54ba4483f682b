#!/usr/bin/env bash
# Runs the shipped adapters (Rust crate, Python package, Node package) against the corpus in
# one `hookspec vectors check` and checks that the library x flag matrix it writes still
# matches adapters/expected/matrix.md, which is the library table of the book
# (docs/src/test-vectors.md, copied in by the docs tests). The Python and Node adapters are
# skipped, with the reason printed, when their packages cannot be installed; the columns that
# ran are then compared alone.
#
#   bash adapters/ci.sh            check against adapters/expected/matrix.md
#   bash adapters/ci.sh --update   rewrite adapters/expected/matrix.md from this run (needs all
#                                  three), then: HOOKSPEC_WRITE_DOCS=1 cargo test -p hookspec-cli --test it docs_
set -euo pipefail
cd "$(dirname "$0")/.."

update=false
[[ "${1:-}" == "--update" ]] && update=true
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
expected=adapters/expected/matrix.md

cargo build --quiet -p hookspec-cli -p hookspec-adapter-standardwebhooks
hookspec=target/debug/hookspec

# The Rust crate reads the system clock, hence --system-clock for the run; the Python and
# Node adapters pass `now` to their library, which is then the current time (their results
# are the same either way).
execs=(--exec "rust-1.0.1=target/debug/adapter_standardwebhooks")
names=(rust-1.0.1)

venv="$work/venv"
if python3 -m venv "$venv" >/dev/null 2>&1 \
  && "$venv/bin/pip" install --quiet --disable-pip-version-check "standardwebhooks==1.1.0" >/dev/null 2>&1; then
  execs+=(--exec "python-1.1.0=$venv/bin/python3 adapters/python/adapter.py")
  names+=(python-1.1.0)
else
  echo "==> adapter python: SKIPPED (could not create a venv or install standardwebhooks==1.1.0 from PyPI)"
fi

if command -v npm >/dev/null 2>&1 \
  && npm install --silent --no-save --no-audit --no-fund --prefix "$work/node" "standardwebhooks@1.1.1" >/dev/null 2>&1; then
  execs+=(--exec "node-1.1.1=env NODE_PATH=$work/node/node_modules node adapters/node/adapter.js")
  names+=(node-1.1.1)
else
  echo "==> adapter node: SKIPPED (npm missing, or standardwebhooks@1.1.1 could not be installed)"
fi

echo "==> adapters ${names[*]}"
set +e
"$hookspec" vectors check --system-clock --timeout 30s "${execs[@]}" \
  --matrix-markdown "$work/matrix.md" >"$work/out.txt" 2>&1
code=$?
set -e
grep -E '^[0-9]+ tests:' "$work/out.txt" || true
if [[ $code -ne 0 && $code -ne 1 ]]; then
  echo "the adapters failed to run (exit $code):" >&2
  cat "$work/out.txt" >&2
  exit 1
fi

# The table rows of a matrix, with only the columns named in $2 (space-separated).
columns() {
  awk -F' [|] ' -v names="$2" '
    /^\| flag / { for (i = 2; i <= NF; i++) { h = $i; sub(/ \|$/, "", h); col[h] = i } }
    /^\|/ { sub(/ \|$/, ""); n = split(names, a, " "); line = $1 " | " $2
            for (j = 1; j <= n; j++) line = line " | " $(col[a[j]]); print line }' "$1"
}

if $update; then
  if [[ ${#names[@]} -ne 3 ]]; then
    echo "--update needs all three adapters; only ${names[*]} ran" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$expected")"
  cp "$work/matrix.md" "$expected"
  echo "wrote $expected; now run: HOOKSPEC_WRITE_DOCS=1 cargo test -p hookspec-cli --test it docs_"
elif [[ ${#names[@]} -eq 3 ]]; then
  if ! diff -u "$expected" "$work/matrix.md"; then
    echo "the library x flag matrix changed (see the diff above); if intended, run bash adapters/ci.sh --update" >&2
    exit 1
  fi
elif ! diff -u <(columns "$expected" "${names[*]}") <(columns "$work/matrix.md" "${names[*]}"); then
  echo "the library x flag matrix changed for ${names[*]} (see the diff above); if intended, run bash adapters/ci.sh --update" >&2
  exit 1
fi
echo "==> the library x flag matrix matches $expected"
