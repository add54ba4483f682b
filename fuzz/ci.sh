#!/usr/bin/env bash
# CI step: build every fuzz target on stable and run each for a short bounded time
# (FUZZ_CI_SECONDS, default 20), failing on any crash. Checks first that fuzz/Cargo.lock is
# current, so CI fuzzes exactly the committed peer versions.
set -euo pipefail
cd "$(dirname "$0")"
cargo metadata --locked --format-version 1 >/dev/null
exec ./run.sh all "${FUZZ_CI_SECONDS:-20}"
