#!/usr/bin/env bash
# Mutation testing of the verifier crate (`crates/hookspec`) with cargo-mutants, exactly as
# recorded in docs/src/evidence.md ("Mutation testing"). Configuration: .cargo/mutants.toml
# (which files, which tests, and the mutants excluded as equivalent, each with its reason).
#
# Not run by `.ci/run`: it rebuilds the crate once per mutant, about an hour on a shared
# 2-core machine. Results go to mutants.out/ (outcomes.json, caught.txt, missed.txt, ...).
#
#   scripts/mutants.sh                        # the whole run
#   scripts/mutants.sh --file crates/hookspec/src/sign.rs     # one file
#   scripts/mutants.sh --list                 # the mutants, without running them
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_MUTANTS_VERSION=27.1.0
if ! cargo mutants --version 2>/dev/null | grep -qF "$CARGO_MUTANTS_VERSION"; then
    cargo install --locked cargo-mutants --version "$CARGO_MUTANTS_VERSION"
fi

# --in-place: mutate this tree and reuse its target/ (a copy would rebuild every
# dependency); do not edit crates/hookspec while it runs. --profile mutants: see the root
# Cargo.toml. --all-features: the JWKS and HeaderMap code and their tests.
# The scope: the verifier's keys, header grammar, signing, verification, JWT, scheme and
# clock modules (the whole of crates/hookspec/src but lib.rs and error_code.rs). Any
# `--file` given on the command line replaces it.
scope=()
if [[ " $* " != *" --file "* && " $* " != *" -f "* ]]; then
    for glob in "key/**/*.rs" "header/**/*.rs" sign.rs "verify/**/*.rs" "jwt/**/*.rs" scheme.rs clock.rs webhook_id.rs; do
        scope+=(--file "crates/hookspec/src/$glob")
    done
fi
exec cargo mutants --package hookspec --all-features --profile mutants --in-place \
    --timeout 120 --build-timeout 600 "${scope[@]}" "$@"
