#!/usr/bin/env bash
# Runs .clusterfuzzlite/build.sh as ClusterFuzzLite would, without Docker: SRC and OUT are
# temporary folders, the toolchain and sanitizer those of fuzz/ci.sh (stable, none), so the
# build is the one fuzz/ci.sh already made (fuzz/target). Then checks $OUT: every target of
# `cargo fuzz list` is an executable libFuzzer binary that runs its seed corpus (unpacked
# from T_seed_corpus.zip) without a crash, and has its dictionary where fuzz/run.sh gives one.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" "$work/out"
export FUZZ_TOOLCHAIN=${FUZZ_TOOLCHAIN:-stable} FUZZ_SANITIZER=${FUZZ_SANITIZER:-none}
SRC=$work/src OUT=$work/out bash .clusterfuzzlite/build.sh

passed=0
failed=0
check() {
  local what=$1
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what" >&2; fi
}

# seeds_run TARGET: the binary executes every unpacked seed once (-runs=0) and exits 0.
seeds_run() {
  local seeds=$work/seeds/$1
  mkdir -p "$seeds"
  unzip -q -o "$work/out/$1_seed_corpus.zip" -d "$seeds"
  "$work/out/$1" -runs=0 "$seeds" >"$work/$1.log" 2>&1 ||
    { tail -5 "$work/$1.log" >&2; return 1; }
}

mapfile -t targets < <(cargo "+$FUZZ_TOOLCHAIN" fuzz list --fuzz-dir fuzz)
for t in "${targets[@]}"; do
  check "$t: an executable in OUT" [ -x "$work/out/$t" ]
  if [ -d "fuzz/corpus/$t" ]; then
    seeds=$(find "fuzz/corpus/$t" -type f | wc -l)
    check "$t: seed corpus zip with its $seeds seeds" \
      [ "$(unzip -Z1 "$work/out/${t}_seed_corpus.zip" | grep -vc '/$')" = "$seeds" ]
    check "$t: runs its seed corpus" seeds_run "$t"
  fi
  case "$t" in
    verify_* | differential) check "$t: delivery dictionary" cmp -s fuzz/dict/delivery.dict "$work/out/$t.dict" ;;
    *) if [ -f "fuzz/dict/$t.dict" ]; then check "$t: dictionary" cmp -s "fuzz/dict/$t.dict" "$work/out/$t.dict"; fi ;;
  esac
done
check "OUT holds one executable per target, no more" \
  [ "$(find "$work/out" -type f -perm -u+x | wc -l)" = "${#targets[@]}" ]

echo ".clusterfuzzlite/test.sh: ${#targets[@]} targets; $passed passed, $failed failed"
[ "$failed" = 0 ]
