#!/usr/bin/env bash
# Runs the GitHub Action's entry point (action/run.sh) for real, as the runner would, with
# GITHUB_STEP_SUMMARY, GITHUB_OUTPUT and GITHUB_PATH pointed at temporary files, and checks
# what it leaves there:
#
#   1. the embedded reference receiver, every report: exit 0, failed=0, every report path
#      set and written, the summary carrying the counts;
#   2. a flawed receiver (`hookspec serve` accepting timestamps a hundred days old), the
#      run narrowed by the `args` input: exit 1, failed > 0, every FAILED case id in the
#      summary, no secret anywhere;
#   3. a usage error: exit 2 passed through, outputs and summary written all the same;
#   4. an input the entry point refuses (strict: maybe): exit 2, outputs and summary too.
#
# Uses HOOKSPEC_BIN (default target/debug/hookspec, built if missing). A few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${HOOKSPEC_BIN:-$PWD/target/debug/hookspec}
if [ ! -x "$bin" ]; then
  cargo build -q -p hookspec-cli
fi
export HOOKSPEC_BIN=$bin

work=$(mktemp -d)
serve_pid=
cleanup() {
  if [ -n "$serve_pid" ]; then
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failures=0
check() {
  # check DESCRIPTION COMMAND...: one assertion, reported by name.
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failures=$((failures + 1))
    echo "FAIL: $what" >&2
  fi
}

# output NAME: the value the last run wrote to GITHUB_OUTPUT.
output() { sed -n "s/^$1=//p" "$GITHUB_OUTPUT" | tail -1; }

# run_action NAME EXPECTED_EXIT: runs the entry point in a fresh folder with fresh runner
# files; the INPUT_* variables are the caller's.
run_action() {
  local name=$1 expected=$2 code=0
  mkdir -p "$work/$name"
  export GITHUB_STEP_SUMMARY=$work/$name/summary.md GITHUB_OUTPUT=$work/$name/output GITHUB_PATH=$work/$name/path
  : >"$GITHUB_STEP_SUMMARY"
  : >"$GITHUB_OUTPUT"
  : >"$GITHUB_PATH"
  (cd "$work/$name" && "$OLDPWD/action/run.sh") >"$work/$name/log" 2>&1 || code=$?
  echo "--- $name: exit $code (expected $expected); outputs: $(tr '\n' ' ' <"$GITHUB_OUTPUT")"
  check "$name: exit code $expected" [ "$code" = "$expected" ]
  check "$name: exit-code output $expected" [ "$(output exit-code)" = "$expected" ]
  check "$name: GITHUB_PATH names the binary's folder" grep -qxF "$(dirname "$bin")" "$GITHUB_PATH"
  if [ "$code" != "$expected" ]; then
    sed 's/^/    /' "$work/$name/log" | tail -20 >&2
  fi
}

# in_folder NAME PATH: the path, relative to the run's folder, names a non-empty file.
in_folder() { [ -n "$2" ] && [ -s "$work/$1/$2" ]; }

json_field() { jq -r "$2" "$1" 2>/dev/null || true; }

# not_in TEXT FOLDER: no file under FOLDER contains TEXT.
not_in() { ! grep -rqF -- "$1" "$2"; }

inputs_reset() {
  unset INPUT_TARGET INPUT_CONFIG INPUT_SECRET INPUT_OBSERVE INPUT_SCHEME INPUT_STRICT \
    INPUT_EXPECT INPUT_ARGS INPUT_JSON INPUT_MARKDOWN INPUT_HTML INPUT_JUNIT INPUT_SARIF \
    INPUT_SARIF_ANCHOR INPUT_UPLOAD_SARIF
  # The defaults action.yml gives.
  export INPUT_STRICT=false INPUT_JSON=hookspec-report.json INPUT_MARKDOWN=hookspec-report.md \
    INPUT_HTML=hookspec-report.html INPUT_SARIF=hookspec-report.sarif INPUT_UPLOAD_SARIF=true
}

# 1. The embedded reference receiver, every report.
inputs_reset
export INPUT_JUNIT=junit.xml
run_action embedded 0
check "embedded: failed=0" [ "$(output failed)" = 0 ]
for report in json markdown html sarif; do
  check "embedded: the $report output names a written file" in_folder embedded "$(output "$report")"
done
check "embedded: JUnit written" in_folder embedded junit.xml
total=$(json_field "$work/embedded/$(output json)" .summary.total)
ok=$(json_field "$work/embedded/$(output json)" .summary.OK)
check "embedded: the report has cases" [ "${total:-0}" -gt 0 ]
check "embedded: the summary has the case count ($total)" grep -qw "$total" "$work/embedded/summary.md"
check "embedded: the summary has the OK count ($ok)" grep -qw "$ok" "$work/embedded/summary.md"
check "embedded: the summary is the Markdown report" \
  cmp -s "$work/embedded/summary.md" <(cat "$work/embedded/$(output markdown)"; printf '\n')

# 2. A flawed receiver: accepts deliveries signed a hundred days ago.
secret=$("$bin" keygen | grep -o 'whsec_[A-Za-z0-9+/=]*' | head -1)
"$bin" serve --addr 127.0.0.1:0 --secret "$secret" --tolerance 100days >"$work/serve.log" 2>&1 &
serve_pid=$!
base=
for _ in $(seq 100); do
  base=$(sed -n 's|.*listening on \(http://[^ ]*\)/ .*|\1|p' "$work/serve.log" | head -1)
  [ -n "$base" ] && break
  sleep 0.1
done
[ -n "$base" ] || { cat "$work/serve.log" >&2; echo "FAIL: the flawed receiver did not start" >&2; exit 1; }

inputs_reset
export INPUT_TARGET=$base/webhook INPUT_OBSERVE=$base/_hookspec/observed \
  INPUT_SECRET=$secret INPUT_ARGS="--cases 'timestamp/*' --skip \"headers/*\""
run_action flawed 1
failed=$(output failed)
report=$work/flawed/$(output json)
check "flawed: failed > 0 ($failed)" [ "${failed:-0}" -gt 0 ]
check "flawed: failed is the report's FAILED count" [ "$failed" = "$(json_field "$report" .summary.FAILED)" ]
check "flawed: args narrowed the run to timestamp/*" \
  [ "$(json_field "$report" '[.cases[].id | select(startswith("timestamp/") | not)] | length')" = 0 ]
for id in $(json_field "$report" '.cases[] | select(.verdict == "FAILED") | .id'); do
  check "flawed: the summary names $id" grep -qF "$id" "$work/flawed/summary.md"
done
check "flawed: no secret in any file or log" not_in "${secret#whsec_}" "$work/flawed"

# 3. A usage error: a target that is no URL; hookspec's exit 2 passes through.
inputs_reset
export INPUT_TARGET=not-a-url
run_action usage 2
check "usage: failed is empty" [ -z "$(output failed)" ]
check "usage: the summary says so" grep -q "exit 2" "$work/usage/summary.md"

# 4. A bad input is refused by the entry point itself, outputs written all the same.
inputs_reset
export INPUT_STRICT=maybe
run_action bad-input 2
check "bad-input: the summary names the input" grep -q "strict must be true or false" "$work/bad-input/summary.md"

echo "action/test.sh: $passed passed, $failures failed"
[ "$failures" = 0 ]
