#!/bin/bash -eu
# ClusterFuzzLite's build step: builds every cargo-fuzz target under fuzz/ and copies into
# $OUT, for each target T:
#
#   T                   the libFuzzer binary
#   T_seed_corpus.zip   the committed seeds, fuzz/corpus/T/
#   T.dict              its dictionary (the same choice as fuzz/run.sh)
#
# Run from the repository root: WORKDIR in .clusterfuzzlite/Dockerfile, where OSS-Fuzz's
# image provides nightly Rust and `cargo fuzz` with its sanitizer ($SANITIZER) flags. Runs
# outside Docker too, on stable, as .ci/run does:
#
#   SRC=$(mktemp -d) OUT=$(mktemp -d) FUZZ_TOOLCHAIN=stable FUZZ_SANITIZER=none \
#     bash .clusterfuzzlite/build.sh
#
# FUZZ_TOOLCHAIN (a rustup toolchain, e.g. stable) and FUZZ_SANITIZER (e.g. none) are those
# of fuzz/run.sh; with the same values this build reuses the one fuzz/ci.sh made
# (fuzz/target), since the flags are the same: optimized, with debug assertions and overflow
# checks (cargo-fuzz's default). Unset, cargo-fuzz picks the image's toolchain and its
# default sanitizer (address).
set -o pipefail

: "${OUT:?OUT: the folder ClusterFuzzLite collects the fuzzers from}"
OUT=$(cd "$OUT" && pwd)
if [ ! -f fuzz/Cargo.toml ]; then
  echo "build.sh: run it from the repository root (fuzz/Cargo.toml not found in $PWD)" >&2
  exit 1
fi

cargo=(cargo)
if [ -n "${FUZZ_TOOLCHAIN:-}" ]; then
  cargo+=("+$FUZZ_TOOLCHAIN")
fi
build=(fuzz build --fuzz-dir fuzz)
if [ -n "${FUZZ_SANITIZER:-}" ]; then
  build+=(-s "$FUZZ_SANITIZER")
fi

mapfile -t targets < <("${cargo[@]}" fuzz list --fuzz-dir fuzz)
if [ "${#targets[@]}" -eq 0 ]; then
  echo "build.sh: cargo fuzz list found no target" >&2
  exit 1
fi
echo "build.sh: building ${targets[*]} (${cargo[*]} ${build[*]})"
"${cargo[@]}" "${build[@]}"

host=$(rustc "${cargo[@]:1}" -vV | sed -n 's/^host: //p')
built=fuzz/target/$host/release

# The same dictionary choice as fuzz/run.sh.
dict_for() {
  case "$1" in
    verify_* | differential) echo fuzz/dict/delivery.dict ;;
    *) if [ -f "fuzz/dict/$1.dict" ]; then echo "fuzz/dict/$1.dict"; fi ;;
  esac
}

# A flat zip of a folder's files, with zip or, where it is missing, Python's zipfile.
zip_seeds() {
  local from=$1 to=$2
  if command -v zip >/dev/null 2>&1; then
    (cd "$from" && zip -q -X -r "$to" .)
  else
    (cd "$from" && python3 -m zipfile -c "$to" ./*)
  fi
}

for target in "${targets[@]}"; do
  if [ ! -x "$built/$target" ]; then
    echo "build.sh: $built/$target was not built" >&2
    exit 1
  fi
  cp "$built/$target" "$OUT/$target"
  if [ -d "fuzz/corpus/$target" ]; then
    rm -f "$OUT/${target}_seed_corpus.zip"
    zip_seeds "fuzz/corpus/$target" "$OUT/${target}_seed_corpus.zip"
  fi
  dict=$(dict_for "$target")
  if [ -n "$dict" ]; then
    cp "$dict" "$OUT/$target.dict"
  fi
done
echo "build.sh: ${#targets[@]} fuzzers in $OUT"
