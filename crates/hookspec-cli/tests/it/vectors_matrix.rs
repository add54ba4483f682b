//! `hookspec vectors check` over several adapters at once: the library × flag matrix in
//! Markdown and HTML, escaped and self-contained, the exit codes, and a failing adapter that
//! does not stop the others.

use std::path::Path;

use crate::vectors_harness::{adapter, hookspec, run, text};

/// The matrix rows: flag → the cells, in column order.
fn rows(markdown: &str) -> Vec<(String, Vec<String>)> {
    markdown
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect();
            (cells[0].trim_matches('`').to_string(), cells[2..].to_vec())
        })
        .collect()
}

fn cells<'a>(rows: &'a [(String, Vec<String>)], flag: &str) -> &'a [String] {
    &rows
        .iter()
        .find(|(f, _)| f == flag)
        .unwrap_or_else(|| panic!("no row for {flag}"))
        .1
}

#[test]
fn an_accept_all_adapter_shows_its_wrong_cells_beside_the_reference() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (md, html) = (dir.path().join("m.md"), dir.path().join("m.html"));
    let v1 = Path::new(root!()).join("vectors/v1.json");
    // A bare command names itself: this one carries markup and table syntax into the
    // column heading, which both formats must escape.
    let flawed = format!("sh {} '<b>|x&y</b>'", adapter("accept_all.sh"));
    let reference = format!("reference={} vectors adapter", hookspec());
    let out = run(&[
        "vectors",
        "check",
        "--vectors",
        v1.to_str().unwrap(),
        "--exec",
        &reference,
        "--exec",
        &flawed,
        "--matrix-markdown",
        md.to_str().unwrap(),
        "--matrix-html",
        html.to_str().unwrap(),
    ]);
    let log = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{log}");

    let markdown = std::fs::read_to_string(&md).expect("the Markdown matrix");
    let header = markdown.lines().next().unwrap();
    assert!(
        header.starts_with("| flag | bug type | reference | "),
        "{header}"
    );
    assert!(
        header.contains(r"'&lt;b&gt;\|x&amp;y&lt;/b&gt;' |"),
        "{header}"
    );
    assert_eq!(
        header.matches(" | ").count(),
        3,
        "an unescaped | in a heading adds a column: {header}"
    );
    let rows = rows(&markdown);
    // Every forged or stale delivery is accepted: wrong cells for the flawed column only.
    for flag in [
        "TruncatedSignature",
        "ModifiedBody",
        "StaleTimestamp",
        "WrongKey",
    ] {
        let row = cells(&rows, flag);
        assert!(row[0].starts_with("agree "), "{flag}: {row:?}");
        assert!(!row[0].contains("diverge"), "{flag}: {row:?}");
        assert!(
            row[1].starts_with("**diverge ") && row[1].contains("** / agree 0"),
            "{flag}: {row:?}"
        );
    }
    // Valid deliveries: both right.
    assert_eq!(cells(&rows, "Valid"), ["agree 6", "agree 6"]);
    // Where either answer is acceptable, the choice is shown, not judged.
    let boundary = cells(&rows, "ToleranceBoundary");
    assert!(
        boundary[1].contains("either way: accepts 2, rejects 0"),
        "{boundary:?}"
    );
    assert!(!boundary[1].contains("diverge"), "{boundary:?}");
    assert!(markdown.contains("| **all tests** | |"), "{markdown}");

    let page = std::fs::read_to_string(&html).expect("the HTML matrix");
    assert!(page.starts_with("<!DOCTYPE html>"), "{page:.200}");
    for outside in [
        "http:", "https:", "//", "<script", "<link", "src=", "@import", "url(",
    ] {
        assert!(
            !page.contains(outside),
            "the page reaches outside: {outside}"
        );
    }
    assert!(page.contains("&lt;b&gt;|x&amp;y&lt;/b&gt;"), "{page}");
    assert!(!page.contains("<b>"), "{page}");
    assert!(
        page.contains("<td class=\"diverge\"><strong>diverge "),
        "{page}"
    );
}

#[test]
fn a_failing_adapter_is_reported_and_the_others_still_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let md = dir.path().join("m.md");
    let v1 = Path::new(root!()).join("vectors/v1.json");
    let reference = format!("reference={} vectors adapter", hookspec());
    let crash = format!("crash=sh {}", adapter("crash.sh"));
    let out = run(&[
        "vectors",
        "check",
        "--vectors",
        v1.to_str().unwrap(),
        "--exec",
        &crash,
        "--exec",
        &reference,
        "--matrix-markdown",
        md.to_str().unwrap(),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("adapter crash: the adapter exited before answering v1 #1"));
    assert!(
        stderr.contains("1 of 2 adapters could not finish the run: crash"),
        "{stderr}"
    );
    let markdown = std::fs::read_to_string(&md).expect("the Markdown matrix");
    let rows = rows(&markdown);
    assert_eq!(cells(&rows, "Valid"), ["not run", "agree 6"]);
    assert!(
        markdown.contains("crash could not finish: the adapter exited"),
        "{markdown}"
    );
}

#[test]
fn adapter_names_must_differ_and_bare_commands_with_assignments_stay_bare() {
    let out = run(&["vectors", "check", "--exec", "a=true", "--exec", "a=false"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("two --exec are named \"a\""));
    // `X=1 CMD` is a shell assignment, not a name: the command runs as written.
    let exec = format!("X=1 {} vectors adapter", hookspec());
    let out = run(&["vectors", "check", "--exec", &exec, "--only", "v1:1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("hookspec vectors check: {exec}")));
}
