#!/usr/bin/env python3
"""Checks action.yml, which actionlint does not lint (it lints workflows only), and every
workflow step that uses the action, against it and against action/run.sh.

    python3 action/check_action.py [WORKFLOW.yml ...]

- the metadata: the keys GitHub accepts, a composite `runs`, a description on every input
  and output, every `run:` step with a `shell`, every `uses:` pinned to a ref;
- no `${{ }}` expression inside a `run:` script (script injection): inputs reach the entry
  point through `env:` only;
- every input is used, and every `${{ inputs.X }}` names a declared input;
- every output's value names a step of the action, and action/run.sh writes every output
  of its step; every INPUT_* variable the entry point reads is set by action.yml, and the
  other way round;
- in the workflows given: a step using this action (`uses: ./` or `hookspec/hookspec@…`)
  passes only declared inputs, and reads only declared outputs.

Prints one line per problem and exits 1 if there is any; needs PyYAML.
"""

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
ENTRY = ROOT / "action" / "run.sh"

TOP_KEYS = {"name", "author", "description", "inputs", "outputs", "runs", "branding"}
INPUT_KEYS = {"description", "required", "default", "deprecationMessage"}
OUTPUT_KEYS = {"description", "value"}
STEP_KEYS = {
    "id", "if", "name", "uses", "run", "shell", "with", "env",
    "working-directory", "continue-on-error",
}
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
THIS_ACTION = re.compile(r"^(\./?|hookspec/hookspec@.+)$")

problems = []


def problem(where, message):
    problems.append(f"{where}: {message}")


def expressions(value):
    """Every `${{ … }}` expression in a YAML value, recursively."""
    if isinstance(value, str):
        yield from (m.group(1).strip() for m in EXPRESSION.finditer(value))
    elif isinstance(value, dict):
        for v in value.values():
            yield from expressions(v)
    elif isinstance(value, list):
        for v in value:
            yield from expressions(v)


def check_metadata(action):
    where = "action.yml"
    for key in set(action) - TOP_KEYS:
        problem(where, f"unknown top-level key {key!r}")
    for key in ("name", "description", "runs"):
        if not action.get(key):
            problem(where, f"missing {key!r}")
    inputs = action.get("inputs") or {}
    outputs = action.get("outputs") or {}
    for name, spec in inputs.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
            problem(where, f"input {name!r}: not a valid id")
        if not isinstance(spec, dict) or not spec.get("description"):
            problem(where, f"input {name!r}: no description")
            continue
        for key in set(spec) - INPUT_KEYS:
            problem(where, f"input {name!r}: unknown key {key!r}")
        if "default" in spec and not isinstance(spec["default"], str):
            problem(where, f"input {name!r}: the default must be a string (quote it)")
    runs = action.get("runs") or {}
    if runs.get("using") != "composite":
        problem(where, "runs.using must be composite")
    steps = runs.get("steps") or []
    step_ids = set()
    for index, step in enumerate(steps):
        at = f"{where}: step {step.get('name') or index + 1}"
        for key in set(step) - STEP_KEYS:
            problem(at, f"unknown key {key!r}")
        if ("run" in step) == ("uses" in step):
            problem(at, "needs exactly one of run and uses")
        if "run" in step:
            if not step.get("shell"):
                problem(at, "a run step of a composite action needs a shell")
            if EXPRESSION.search(str(step["run"])):
                problem(at, "an expression inside run: (script injection); pass it through env:")
        if "uses" in step and "@" not in step["uses"]:
            problem(at, f"uses {step['uses']!r} is not pinned to a ref")
        if "id" in step:
            step_ids.add(step["id"])
        for expr in expressions({k: v for k, v in step.items() if k != "run"}):
            for ref in re.findall(r"\bsteps\.([A-Za-z0-9_-]+)\.", expr):
                if ref not in step_ids:
                    problem(at, f"refers to step {ref!r}, not defined before it")

    used = set()
    for expr in expressions(action):
        for name in re.findall(r"\binputs\.([A-Za-z0-9_-]+)", expr):
            used.add(name)
            if name not in inputs:
                problem(where, f"${{{{ inputs.{name} }}}} names no declared input")
    for name in set(inputs) - used:
        problem(where, f"input {name!r} is declared but never used")

    for name, spec in outputs.items():
        if not isinstance(spec, dict) or not spec.get("description") or "value" not in spec:
            problem(where, f"output {name!r}: needs a description and a value")
            continue
        for key in set(spec) - OUTPUT_KEYS:
            problem(where, f"output {name!r}: unknown key {key!r}")
        refs = re.findall(r"\bsteps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", spec["value"])
        if not refs:
            problem(where, f"output {name!r}: its value names no step output")
        for step_id, _ in refs:
            if step_id not in step_ids:
                problem(where, f"output {name!r}: no step with id {step_id!r}")

    check_entry_point(steps, outputs)
    return inputs, outputs


def check_entry_point(steps, outputs):
    """The step running action/run.sh sets exactly the INPUT_* variables it reads, and it
    writes every output."""
    entry = ENTRY.read_text()
    where = "action/run.sh"
    run_steps = [s for s in steps if "action/run.sh" in str(s.get("run", ""))]
    if len(run_steps) != 1:
        problem("action.yml", "exactly one step must run action/run.sh")
        return
    step = run_steps[0]
    given = {k for k in (step.get("env") or {}) if k.startswith("INPUT_")}
    read = set(re.findall(r"\$\{?(INPUT_[A-Z_]+)", entry))
    for name in sorted(read - given):
        problem(where, f"reads {name}, which action.yml does not set")
    for name in sorted(given - read):
        problem("action.yml", f"sets {name}, which action/run.sh never reads")
    step_outputs = set()
    for spec in outputs.values():
        for step_id, name in re.findall(
            r"\bsteps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", str(spec.get("value"))
        ):
            if step_id == step.get("id"):
                step_outputs.add(name)
    for name in sorted(step_outputs):
        if not re.search(rf"(^|[^A-Za-z0-9_-]){re.escape(name)}=", entry):
            problem(where, f"never writes the output {name!r}")


def check_workflow(path, inputs, outputs):
    try:
        workflow = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        problem(str(path), f"not YAML: {error}")
        return
    for job_id, job in (workflow.get("jobs") or {}).items():
        ours = {}
        for index, step in enumerate(job.get("steps") or []):
            at = f"{path}: job {job_id}, step {step.get('name') or step.get('id') or index + 1}"
            if THIS_ACTION.match(str(step.get("uses", ""))):
                for key in step.get("with") or {}:
                    if key not in inputs:
                        problem(at, f"input {key!r} is not an input of action.yml")
                for name, spec in inputs.items():
                    if spec.get("required") and name not in (step.get("with") or {}):
                        problem(at, f"the required input {name!r} is missing")
                if "id" in step:
                    ours[step["id"]] = True
            for expr in expressions(step):
                for step_id, name in re.findall(
                    r"\bsteps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", expr
                ):
                    if step_id in ours and name not in outputs:
                        problem(at, f"reads output {name!r}, which action.yml does not declare")


def main(workflows):
    action = yaml.safe_load(ACTION.read_text())
    inputs, outputs = check_metadata(action)
    for workflow in workflows:
        check_workflow(Path(workflow), inputs, outputs)
    for line in problems:
        print(line)
    if problems:
        return 1
    print(f"action.yml: {len(inputs)} inputs, {len(outputs)} outputs; "
          f"{len(workflows)} workflow(s) use them consistently")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
