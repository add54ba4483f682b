#!/usr/bin/env bash
# The GitHub Action's install steps: hookspec is built from the action's own checkout
# (GITHUB_ACTION_PATH, the ref named in `uses:`), once per version and source, and cached.
#
#   install.sh plan      writes `root` (the install root) and `key` (the cache key) to
#                        GITHUB_OUTPUT; refuses an INPUT_VERSION that the checkout does not hold
#   install.sh install   cargo install --locked --path crates/hookspec-cli --root HOOKSPEC_ROOT
#
# The key names the runner's OS and architecture, the crate version, and hashes of Cargo.lock
# and of the sources (the crates and what they embed), so a moving ref (`@main`) never reuses a stale build.
set -euo pipefail

src=${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}

fail() {
  # One line, as a workflow error annotation when running on GitHub.
  if [ "${GITHUB_ACTIONS:-}" = true ]; then
    printf '::error title=hookspec::%s\n' "$1"
  fi
  printf 'hookspec action: %s\n' "$1" >&2
  exit "${2:-1}"
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi
}

# The version in [workspace.package] of the root Cargo.toml.
crate_version() {
  awk '
    /^\[/ { section = $0 }
    section == "[workspace.package]" && /^version *=/ { gsub(/.*= *"|".*/, ""); print; exit }
  ' "$src/Cargo.toml"
}

plan() {
  local version lock sources root key
  version=$(crate_version)
  [ -n "$version" ] || fail "no version in $src/Cargo.toml [workspace.package]"
  if [ -n "${INPUT_VERSION:-}" ] && [ "${INPUT_VERSION#v}" != "$version" ]; then
    fail "this ref of the action holds hookspec $version, not the requested ${INPUT_VERSION}: pin the action at the tag of that version" 2
  fi
  lock=$(sha256 <"$src/Cargo.lock" | cut -c1-16)
  # Everything the build reads: the crates (with what they embed from tests/keys).
  sources=$(cd "$src" && find Cargo.toml crates tests/keys -type f -print0 | LC_ALL=C sort -z |
    xargs -0 cat | sha256 | cut -c1-16)
  key="hookspec-${RUNNER_OS:-$(uname -s)}-${RUNNER_ARCH:-$(uname -m)}-v$version-lock$lock-src$sources"
  root="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}/hookspec-action/$key"
  echo "hookspec $version from $src"
  echo "install root: $root"
  echo "cache key: $key"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf 'root=%s\nkey=%s\nversion=%s\n' "$root" "$key" "$version" >>"$GITHUB_OUTPUT"
  fi
}

install() {
  local root=${HOOKSPEC_ROOT:?HOOKSPEC_ROOT: the install root from the plan step}
  if [ -x "$root/bin/hookspec" ] && "$root/bin/hookspec" --version >/dev/null 2>&1; then
    echo "hookspec already installed in $root"
    return
  fi
  command -v cargo >/dev/null 2>&1 ||
    fail "cargo not found: this runner has no Rust toolchain (add dtolnay/rust-toolchain@stable before this action)"
  local started=$SECONDS
  cargo install --locked --path "$src/crates/hookspec-cli" --root "$root"
  echo "hookspec built in $((SECONDS - started)) s: $("$root/bin/hookspec" --version)"
}

case "${1:-}" in
  plan) plan ;;
  install) install ;;
  *) fail "usage: install.sh plan|install" 2 ;;
esac
