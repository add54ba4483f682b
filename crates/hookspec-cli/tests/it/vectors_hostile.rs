//! `hookspec vectors check` under hostile adapters: floods of blank lines, endless lines, a
//! trickle that never completes a line, and terminal control characters or 60 KB of text in
//! everything an adapter says. Each ends the run with exit 3 and one line naming the vector,
//! stops the adapter, keeps hookspec's memory bounded, and never lets the adapter's text reach
//! the terminal raw. Every run is bounded by `run`'s 120 s limit.

use std::process::{Command, Output};

use crate::vectors_harness::{adapter, hookspec, python3, run, run_program, text};

/// The message of an adapter that exceeded the per-answer byte budget (`MAX_LINE`).
const TOO_LONG: &str = "the adapter printed more than 65536 bytes without answering v1 #1";

fn check(exec: &str, timeout: &str) -> Output {
    run(&["vectors", "check", "--timeout", timeout, "--exec", exec])
}

/// Asserts that `output` holds no terminal control character and no line longer than a
/// message needs.
fn assert_tame(output: &str) {
    for c in ['\u{1b}', '\u{7}', '\r'] {
        assert!(!output.contains(c), "{c:?} reached the output: {output:?}");
    }
    for line in output.lines() {
        assert!(
            line.len() < 600,
            "a line of {} bytes: {line:.200}",
            line.len()
        );
    }
}

fn one_line_error(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    stderr
}

/// Whether process `pid` is still alive (`kill -0`).
fn alive(pid: &str) -> bool {
    Command::new("kill")
        .args(["-0", pid])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_blank_line_flood_is_cut_at_the_byte_budget_and_the_adapter_killed() {
    // A long timeout: the budget, not the deadline, must end the flood.
    let dir = tempfile::tempdir().expect("temp dir");
    let pid_file = dir.path().join("pid");
    let exec = format!("echo $$ > {}; exec yes ''", pid_file.display());
    let out = check(&exec, "60s");
    let stderr = one_line_error(&out);
    assert!(stderr.contains(TOO_LONG), "{stderr}");
    let pid = std::fs::read_to_string(&pid_file).expect("the adapter wrote its pid");
    assert!(!alive(pid.trim()), "the flooding adapter {pid} still runs");
}

#[test]
fn an_endless_line_is_cut_at_the_byte_budget() {
    let out = check("yes | tr -d '\\n'", "60s");
    let stderr = one_line_error(&out);
    assert!(stderr.contains(TOO_LONG), "{stderr}");
}

#[test]
fn a_trickle_that_never_completes_a_line_is_stopped_at_the_timeout() {
    let out = check(&format!("sh {}", adapter("trickle.sh")), "1s");
    let stderr = one_line_error(&out);
    assert!(
        stderr.contains("did not answer v1 #1 within 1s"),
        "{stderr}"
    );
}

/// Peak resident memory of `hookspec vectors check` under an endless flood of blank lines,
/// from `getrusage(RUSAGE_CHILDREN)` in a Python parent once it has exited. A memory bound,
/// not a timing one: the reader holds at most 264 KiB of the adapter's output, so the whole
/// process stays far below it.
#[test]
fn peak_memory_under_a_blank_line_flood_stays_bounded() {
    if !python3() {
        return;
    }
    const BOUND_KIB: u64 = 200 * 1024;
    let measure = "import resource, subprocess, sys\n\
                   code = subprocess.run(sys.argv[1:], capture_output=True).returncode\n\
                   print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
    let out = run_program(
        "python3",
        &[
            "-c",
            measure,
            hookspec(),
            "vectors",
            "check",
            "--timeout",
            "60s",
            "--exec",
            "yes ''",
        ],
    );
    let stdout = text(&out.stdout);
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    assert_eq!(fields.first(), Some(&"3"), "{stdout}{}", text(&out.stderr));
    let peak_kib: u64 = fields[1].parse().expect("ru_maxrss in KiB");
    assert!(
        peak_kib < BOUND_KIB,
        "peak RSS {peak_kib} KiB under a blank-line flood (bound {BOUND_KIB} KiB)"
    );
}

#[test]
fn an_adapters_error_text_is_escaped_and_cut() {
    if !python3() {
        return;
    }
    let exec = format!("python3 {} error", adapter("hostile_text.py"));
    let out = run(&["vectors", "check", "--exec", &exec, "--only", "v1:1"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(r#"got reject ("\u{1b}]0;pwned\u{7}"#),
        "{stdout}"
    );
    assert!(stdout.contains("eee…\")"), "{stdout}");
    assert_tame(&stdout);
}

#[test]
fn a_garbage_line_full_of_control_characters_is_escaped_and_cut() {
    if !python3() {
        return;
    }
    let out = check(
        &format!("python3 {} garbage", adapter("hostile_text.py")),
        "10s",
    );
    let stderr = one_line_error(&out);
    assert!(
        stderr.contains("with a line that is not a response"),
        "{stderr}"
    );
    assert!(stderr.contains(r"\u{1b}]0;pwned"), "{stderr}");
    assert_tame(&stderr);
}

#[test]
fn an_adapters_last_error_output_is_escaped() {
    if !python3() {
        return;
    }
    let out = check(
        &format!("python3 {} stderr", adapter("hostile_text.py")),
        "10s",
    );
    let stderr = one_line_error(&out);
    assert!(stderr.contains("exited before answering v1 #1"), "{stderr}");
    assert!(stderr.contains(r"dying \u{1b}]0;pwned"), "{stderr}");
    assert_tame(&stderr);
}
