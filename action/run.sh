#!/usr/bin/env bash
# The GitHub Action's entry point: runs `hookspec check` as the inputs say, appends the
# Markdown report to the job summary ($GITHUB_STEP_SUMMARY), sets the step outputs
# ($GITHUB_OUTPUT), and exits with hookspec's exit code, so findings make the job red only
# after the summary and the outputs are written.
#
# Inputs arrive as environment variables (INPUT_TARGET, INPUT_CONFIG, ...; see action.yml),
# never spliced into this script, so no input can inject shell code. Runs outside GitHub
# too (action/test.sh does): without GITHUB_STEP_SUMMARY / GITHUB_OUTPUT it prints the
# outputs instead. HOOKSPEC_BIN names the hookspec binary (default: `hookspec` on PATH).
set -euo pipefail

bin=${HOOKSPEC_BIN:-hookspec}

# A bad input: one line, exit 2 (a usage error, as hookspec's own), with the exit-code
# output and a summary line written all the same.
fail() {
  if [ "${GITHUB_ACTIONS:-}" = true ]; then
    printf '::error title=hookspec::%s\n' "$1"
  fi
  printf 'hookspec action: %s\n' "$1" >&2
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf 'exit-code=2\nfailed=\n' >>"$GITHUB_OUTPUT"
  fi
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    printf '## hookspec check: usage error (exit 2)\n\n%s\n\n' "$1" >>"$GITHUB_STEP_SUMMARY"
  fi
  exit 2
}

if [ "$bin" != hookspec ] && [ -n "${GITHUB_PATH:-}" ]; then
  # Later steps of the job can call `hookspec` too.
  dirname -- "$bin" >>"$GITHUB_PATH"
fi

# A path input may not hold a newline: it would forge extra lines in $GITHUB_OUTPUT.
path_input() {
  case "$2" in *$'\n'* | *$'\r'*) fail "the $1 input holds a line break" ;; esac
  printf '%s' "$2"
}

json=$(path_input json "${INPUT_JSON:-}")
markdown=$(path_input markdown "${INPUT_MARKDOWN:-}")
html=$(path_input html "${INPUT_HTML:-}")
junit=$(path_input junit "${INPUT_JUNIT:-}")
sarif=$(path_input sarif "${INPUT_SARIF:-}")

case "${INPUT_UPLOAD_SARIF:-false}" in
  true) ;;
  false | "") sarif= ;;
  *) fail "upload-sarif must be true or false, not '${INPUT_UPLOAD_SARIF}'" ;;
esac

args=()
[ -n "${INPUT_TARGET:-}" ] && args+=("$INPUT_TARGET")
[ -n "${INPUT_CONFIG:-}" ] && args+=(--config "$INPUT_CONFIG")
if [ -n "${INPUT_SECRET:-}" ]; then
  # The check reads HOOKSPEC_SECRET; a secret that came from anything but `secrets.*` is
  # masked in the log from here on too.
  [ "${GITHUB_ACTIONS:-}" = true ] && printf '::add-mask::%s\n' "$INPUT_SECRET"
  export HOOKSPEC_SECRET=$INPUT_SECRET
fi
[ -n "${INPUT_OBSERVE:-}" ] && args+=(--observe "$INPUT_OBSERVE")
[ -n "${INPUT_SCHEME:-}" ] && args+=(--scheme "$INPUT_SCHEME")
case "${INPUT_STRICT:-false}" in
  true) args+=(--strict) ;;
  false | "") ;;
  *) fail "strict must be true or false, not '${INPUT_STRICT}'" ;;
esac
[ -n "${INPUT_EXPECT:-}" ] && args+=(--expect "$INPUT_EXPECT")

# The JSON report is always written: `failed` is read from it.
if [ -z "$json" ]; then
  json=$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/hookspec-report.XXXXXX")
fi
args+=(--json "$json")
[ -n "$markdown" ] && args+=(--markdown "$markdown")
[ -n "$html" ] && args+=(--html "$html")
[ -n "$junit" ] && args+=(--junit "$junit")
if [ -n "$sarif" ]; then
  args+=(--sarif "$sarif")
  [ -n "${INPUT_SARIF_ANCHOR:-}" ] && args+=(--sarif-anchor "$INPUT_SARIF_ANCHOR")
fi

# Extra arguments: split into words with xargs's quoting rules (quotes group, a backslash
# escapes), so nothing in them is expanded or executed.
args_input=${INPUT_ARGS:-}
if [ -n "${args_input//[[:space:]]/}" ]; then
  extra_words=$(mktemp)
  if ! printf '%s' "$args_input" | xargs printf '%s\0' >"$extra_words"; then
    rm -f "$extra_words"
    fail "the args input has an unmatched quote"
  fi
  while IFS= read -r -d '' word; do args+=("$word"); done <"$extra_words"
  rm -f "$extra_words"
fi

# Reports from an earlier run must not pass for this run's.
for report in "$json" "$markdown" "$html" "$junit" "$sarif"; do
  [ -n "$report" ] && rm -f -- "$report"
done

code=0
"$bin" check "${args[@]}" || code=$?

# The cases that fail the run: FAILED, plus NON-STRICT when the run was strict.
failed_count() {
  if command -v jq >/dev/null 2>&1; then
    jq -r '.summary.FAILED + (if .strict then .summary["NON-STRICT"] else 0 end)' "$1"
  else
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]
print(s.get("FAILED", 0) + (s.get("NON-STRICT", 0) if r.get("strict") else 0))' "$1"
  fi
}

# One line of counts per verdict, for a summary without the Markdown report.
counts_line() {
  if command -v jq >/dev/null 2>&1; then
    jq -r '.summary | "\(.total) cases: " + ([to_entries[] | select(.key != "total") | "\(.value) \(.key)"] | join(", "))' "$1"
  else
    python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print("%d cases: %s" % (s["total"], ", ".join("%d %s" % (v, k) for k, v in s.items() if k != "total")))' "$1"
  fi
}

failed=
[ -s "$json" ] || json=
if [ -n "$json" ] && ! failed=$(failed_count "$json"); then
  failed=
  echo "hookspec action: could not count the failing cases in $json" >&2
fi
[ -s "$markdown" ] || markdown=
[ -s "$html" ] || html=
[ -s "$sarif" ] || sarif=

case "$code" in
  0) outcome="conformant" ;;
  1) outcome="findings" ;;
  2) outcome="usage or configuration error (see the job log)" ;;
  3) outcome="the endpoint or the tool failed (see the job log)" ;;
  *) outcome="hookspec exited $code" ;;
esac

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    if [ -n "$markdown" ]; then
      cat -- "$markdown"
    else
      printf '## hookspec check: %s (exit %s)\n\n' "$outcome" "$code"
      [ -n "$json" ] && printf '%s\n' "$(counts_line "$json")"
    fi
    printf '\n'
  } >>"$GITHUB_STEP_SUMMARY"
fi

outputs=$(printf 'exit-code=%s\nfailed=%s\njson=%s\nmarkdown=%s\nhtml=%s\nsarif=%s\n' \
  "$code" "$failed" "$json" "$markdown" "$html" "$sarif")
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  printf '%s\n' "$outputs" >>"$GITHUB_OUTPUT"
else
  printf '%s\n' "$outputs"
fi

echo "hookspec check: $outcome (exit $code${failed:+, $failed failing cases})"
exit "$code"
