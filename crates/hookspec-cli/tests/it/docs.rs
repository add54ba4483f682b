//! The book's reference pages are generated from the code, never kept by hand, and every
//! link of the book and the README resolves.
//!
//! `HOOKSPEC_WRITE_DOCS=1 cargo test --test it docs_` rewrites the generated pages; without
//! it, a stale page fails the test with a diff hint.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use hookspec::Scheme;
use hookspec_engine::cases::{self, Case, Need};
use hookspec_engine::listen::grade::CATALOGUE;

/// The book's source folder.
fn book() -> PathBuf {
    Path::new(root!()).join("docs/src")
}

const GENERATED: &str = "<!-- generated: do not edit; see crates/hookspec-cli/tests/it/docs.rs -->";

/// A table cell: pipes escaped, one line.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// What a case needs beyond one secret, as the catalogue listing names it.
fn needs(case: &Case) -> &'static str {
    match case.need {
        Need::Nothing => "",
        other => other.as_str(),
    }
}

/// Every check case of every scheme: one table per family.
fn check_catalogue() -> String {
    let all = cases::catalogue();
    let mut out = String::new();
    let _ = writeln!(out, "# Check catalogue\n\n{GENERATED}\n");
    let _ = writeln!(
        out,
        "Every case `hookspec check` can run, {} in {} families, with the schemes each is written for. `hookspec check --list` (with `--scheme`) prints the cases of one scheme. A case whose need is not met is `UNSUPPORTED`, with the flag that enables it.\n",
        all.len(),
        cases::FAMILIES.len()
    );
    for scheme in Scheme::ALL {
        let _ = writeln!(
            out,
            "- `--scheme {scheme}`: {} cases",
            cases::catalogue_for(scheme).len()
        );
    }
    for family in cases::FAMILIES {
        let _ = writeln!(out, "\n## {family}\n");
        let _ = writeln!(out, "| id | level | schemes | title | rule | needs |");
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for case in all.iter().filter(|c| c.family() == family) {
            let schemes: Vec<&str> = Scheme::ALL
                .into_iter()
                .filter(|s| cases::applies(case, *s))
                .map(Scheme::as_str)
                .collect();
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} |",
                case.id,
                case.level.as_str(),
                schemes.join(", "),
                cell(case.title),
                cell(case.rule),
                cell(needs(case)),
            );
        }
    }
    out
}

/// Every sender case of `hookspec listen`.
fn sender_catalogue() -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Sender catalogue\n\n{GENERATED}\n");
    let _ = writeln!(
        out,
        "Every case `hookspec listen` grades, {} in the family `sender`. A case the recorded deliveries do not exercise (no retry, no redirect) is `UNSUPPORTED`.\n",
        CATALOGUE.len()
    );
    let _ = writeln!(out, "| id | level | title | rule | a conforming sender |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for case in CATALOGUE {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            case.id,
            case.level.as_str(),
            cell(case.title),
            cell(case.rule),
            cell(case.expected),
        );
    }
    out
}

/// `hookspec … --help` as the binary prints it, at a fixed width.
fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_hookspec"))
        .args(args)
        .arg("--help")
        .env("COLUMNS", "100")
        .env_remove("HOOKSPEC_SECRET")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?} --help: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The subcommands a help text lists (the `Commands:` section), `help` left out.
fn subcommands(help: &str) -> Vec<String> {
    help.split("Commands:\n")
        .nth(1)
        .map(|s| s.split("\n\n").next().unwrap_or(""))
        .unwrap_or("")
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// The CLI reference: every command's `--help`, recursively.
fn cli_reference() -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# CLI reference\n\n{GENERATED}\n");
    let _ = writeln!(
        out,
        "Every command's `--help`, as the binary prints it. `hookspec man` prints the same as a man page, and `hookspec completions SHELL` a completion script.\n"
    );
    let mut queue: Vec<Vec<String>> = vec![Vec::new()];
    while let Some(path) = queue.pop() {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        let text = help(&args);
        let title = if path.is_empty() {
            "hookspec".to_string()
        } else {
            format!("hookspec {}", path.join(" "))
        };
        let _ = writeln!(out, "## `{title}`\n\n```text\n{}```\n", text);
        for sub in subcommands(&text).into_iter().rev() {
            let mut next = path.clone();
            next.push(sub);
            queue.push(next);
        }
    }
    out
}

/// Compares (or, with `HOOKSPEC_WRITE_DOCS=1`, writes) one generated page.
fn check_page(name: &str, content: &str) {
    let path = book().join("reference").join(name);
    if std::env::var_os("HOOKSPEC_WRITE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == content,
        "{} is stale: regenerate it with `HOOKSPEC_WRITE_DOCS=1 cargo test --test it docs_`",
        path.display()
    );
}

#[test]
fn docs_reference_pages_are_current() {
    check_page("catalogue-check.md", &check_catalogue());
    check_page("catalogue-sender.md", &sender_catalogue());
    check_page("cli.md", &cli_reference());
}

#[test]
fn docs_name_every_case_of_every_scheme() {
    let page = check_catalogue();
    for scheme in Scheme::ALL {
        for case in cases::catalogue_for(scheme) {
            assert!(page.contains(&format!("| `{}` |", case.id)), "{}", case.id);
        }
    }
    let page = sender_catalogue();
    for case in CATALOGUE {
        assert!(page.contains(&format!("| `{}` |", case.id)), "{}", case.id);
    }
    let page = cli_reference();
    for sub in [
        "sign",
        "verify",
        "send",
        "listen",
        "keygen",
        "check",
        "vectors",
        "vectors generate",
        "vectors check",
        "serve",
        "completions",
        "man",
    ] {
        assert!(page.contains(&format!("## `hookspec {sub}`")), "{sub}");
    }
}

/// mdBook's anchor for a heading: lower case, spaces to `-`, other punctuation dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown file's headings (outside code blocks).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut fenced = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// The relative link targets of a Markdown file (outside code blocks): `](target)`.
fn links(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = &rest[..end];
            if !target.contains("://") && !target.starts_with("mailto:") {
                out.push(target.to_string());
            }
            rest = &rest[end..];
        }
    }
    out
}

/// Every relative link of `file` resolves to a file, and every anchor to a heading of it.
fn check_links(file: &Path, broken: &mut Vec<String>) {
    let text = std::fs::read_to_string(file).unwrap();
    for target in links(&text) {
        let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
        let resolved = if path.is_empty() {
            file.to_path_buf()
        } else {
            file.parent().unwrap().join(path)
        };
        if !resolved.exists() {
            broken.push(format!("{}: {target} (no such file)", file.display()));
            continue;
        }
        if !anchor.is_empty() && resolved.extension().is_some_and(|e| e == "md") {
            let headings = anchors(&std::fs::read_to_string(&resolved).unwrap());
            if !headings.contains(anchor) {
                broken.push(format!("{}: {target} (no such heading)", file.display()));
            }
        }
    }
}

#[test]
fn docs_links_resolve_and_every_chapter_is_in_the_summary() {
    let src = book();
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).expect("docs/src/SUMMARY.md");
    let listed: BTreeSet<String> = links(&summary).into_iter().collect();
    let mut broken = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                let relative = path
                    .strip_prefix(&src)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if relative != "SUMMARY.md" && !listed.contains(&relative) {
                    broken.push(format!("{relative} is not in SUMMARY.md"));
                }
                check_links(&path, &mut broken);
            }
        }
    }
    check_links(&Path::new(root!()).join("README.md"), &mut broken);
    check_links(&Path::new(root!()).join("ARCHITECTURE.md"), &mut broken);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// The book's library table is the matrix of a real run of the shipped adapters
/// (`bash adapters/ci.sh --update` records it in `adapters/expected/matrix.md`, and CI's
/// `bash adapters/ci.sh` checks the libraries still give it): this copies it between the
/// markers of `test-vectors.md`, or fails when the copy is stale.
#[test]
fn docs_library_table_is_the_recorded_matrix() {
    const BEGIN: &str = "<!-- generated: the matrix of `bash adapters/ci.sh --update`";
    const END: &str = "<!-- end of generated matrix -->";
    let matrix = std::fs::read_to_string(Path::new(root!()).join("adapters/expected/matrix.md"))
        .expect("adapters/expected/matrix.md");
    let page_path = book().join("test-vectors.md");
    let page = std::fs::read_to_string(&page_path).expect("test-vectors.md");
    let begin = page
        .find(BEGIN)
        .expect("the begin marker in test-vectors.md");
    let start = begin + page[begin..].find('\n').expect("a line after the marker") + 1;
    let end = page[start..]
        .find(END)
        .expect("the end marker in test-vectors.md")
        + start;
    if std::env::var_os("HOOKSPEC_WRITE_DOCS").is_some() {
        let updated = format!("{}{matrix}{}", &page[..start], &page[end..]);
        std::fs::write(&page_path, updated).expect("write test-vectors.md");
        return;
    }
    assert!(
        page[start..end] == matrix,
        "the library table in {} is stale: regenerate it with \
         `HOOKSPEC_WRITE_DOCS=1 cargo test --test it docs_`",
        page_path.display()
    );
}
