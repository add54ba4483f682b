#!/usr/bin/env bash
# Bounded fuzz campaigns.
#
#   fuzz/run.sh TARGET SECONDS [libFuzzer flags...]    one target
#   fuzz/run.sh all SECONDS [libFuzzer flags...]       every target, one after the other
#
# Builds on stable without a sanitizer (`-s none`), with optimizations, debug assertions and
# overflow checks (cargo-fuzz's default). FUZZ_TOOLCHAIN=nightly FUZZ_SANITIZER=address runs
# under AddressSanitizer instead (about 9x slower; catches memory errors in dependencies'
# unsafe code). The committed seeds in corpus/TARGET are read, never written: new inputs go
# to target/corpus/TARGET, crashes to artifacts/TARGET. Prints libFuzzer's final stats
# (executions, execs/s, coverage) per target and exits non-zero if any target crashed.
set -euo pipefail
cd "$(dirname "$0")"

usage="usage: fuzz/run.sh TARGET|all SECONDS [libFuzzer flags...]"
target=${1:?$usage}
seconds=${2:?$usage}
shift 2
toolchain=${FUZZ_TOOLCHAIN:-stable}
sanitizer=${FUZZ_SANITIZER:-none}

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

if [ "$target" = all ]; then
  mapfile -t targets < <(cargo fuzz list)
else
  targets=("$target")
fi

echo "==> building ${targets[*]} (+$toolchain, sanitizer $sanitizer)"
if [ "$target" = all ]; then
  cargo "+$toolchain" fuzz build -s "$sanitizer"
else
  cargo "+$toolchain" fuzz build -s "$sanitizer" "$target"
fi

dict_for() {
  case "$1" in
    verify_* | differential) echo dict/delivery.dict ;;
    *) [ -f "dict/$1.dict" ] && echo "dict/$1.dict" ;;
  esac
}

summary=()
failed=()
for t in "${targets[@]}"; do
  work="target/corpus/$t"
  mkdir -p "$work" "corpus/$t" "artifacts/$t"
  log="target/fuzz-$t.log"
  flags=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10
         -artifact_prefix="artifacts/$t/")
  dict=$(dict_for "$t" || true)
  [ -n "$dict" ] && flags+=(-dict="$dict")
  echo "==> fuzzing $t for ${seconds}s"
  status=0
  cargo "+$toolchain" fuzz run -s "$sanitizer" "$t" "$work" "corpus/$t" -- \
    "${flags[@]}" "$@" >"$log" 2>&1 || status=$?
  grep -E '^(INFO: seed|#[0-9]+ +(INITED|DONE)|stat::|==[0-9]+==|SUMMARY)' "$log" || true
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  corpus=$(find "$work" -type f | wc -l)
  if [ "$status" -ne 0 ]; then
    failed+=("$t")
    echo "!! $t failed (exit $status); log: fuzz/$log"
    grep -E 'panicked at|Test unit written|^Failing input' -A3 "$log" | head -20 || true
  fi
  summary+=("$(printf '%-15s %6ss %12s execs %8s exec/s  %-20s corpus %6s  %s' \
    "$t" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-cov: ?}" "$corpus" \
    "$([ "$status" -eq 0 ] && echo ok || echo CRASH)")")
done

echo
echo "==> summary (+$toolchain, sanitizer $sanitizer)"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "crashed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
