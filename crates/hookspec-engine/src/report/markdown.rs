//! The Markdown report (`--markdown FILE`): a compact summary for `$GITHUB_STEP_SUMMARY` and
//! merge-request comments. A title line with the outcome, the counts per verdict, the run's
//! notes, a table of the findings (every `FAILED` and `NON-STRICT` case: id, verdict,
//! message), and the command that re-runs the run, secrets replaced by placeholders.
//!
//! The text stays within a byte budget (by default under GitHub's 1 MiB step-summary
//! limit): rows that would pass it are left out, and one line says how many. Every cell is
//! escaped: `|` and newlines cannot break the table, `<`, `>`, `[`, `]`, `*`, `_` cannot
//! format, and `@` cannot mention anyone; long cells are cut.

use std::fmt::Write as _;

use super::{Format, Report, Verdict};
use crate::net::redact_userinfo_in_text;

/// GitHub refuses a step summary over 1 MiB (1,048,576 bytes); the default budget leaves
/// room for other steps' lines in the same job.
pub const DEFAULT_BUDGET: usize = 1_000_000;

/// The longest table cell, in characters; longer ones are cut with `…`.
pub const MAX_CELL_CHARS: usize = 300;

/// The Markdown format; the text stays under `budget` bytes.
#[derive(Debug, Clone, Copy)]
pub struct Markdown {
    /// The most bytes the text may have.
    pub budget: usize,
}

impl Default for Markdown {
    fn default() -> Self {
        Self {
            budget: DEFAULT_BUDGET,
        }
    }
}

impl Format for Markdown {
    fn name(&self) -> &'static str {
        "Markdown"
    }

    fn render(&self, report: &Report) -> String {
        render(report, self.budget)
    }
}

/// Renders the report as Markdown of at most `budget` bytes (the header, notes and re-run
/// command always; as many finding rows as fit).
pub fn render(report: &Report, budget: usize) -> String {
    let head = head(report);
    let tail = rerun(report);
    let breaches: Vec<_> = report.breaches().collect();
    let mut table = String::new();
    if breaches.is_empty() {
        table.push_str("No FAILED or NON-STRICT case.\n\n");
    } else {
        table.push_str("### Findings\n\n| case | verdict | message |\n|---|---|---|\n");
        let reserve = 200;
        let mut shown = 0;
        for case in &breaches {
            let verdict = if case.verdict.is_finding(report.strict) {
                format!("**{}**", case.verdict)
            } else {
                // NON-STRICT without --strict: listed, but it does not fail the run.
                format!("{} (does not fail the run)", case.verdict)
            };
            let row = format!(
                "| {} | {verdict} | {} |\n",
                code_cell(&case.id),
                cell(&case.message)
            );
            if head.len() + table.len() + row.len() + tail.len() + reserve > budget {
                break;
            }
            table.push_str(&row);
            shown += 1;
        }
        let left_out = breaches.len() - shown;
        if left_out > 0 {
            let _ = writeln!(
                table,
                "\n_{left_out} more finding(s) left out to keep this summary under {budget} bytes; \
                 the JSON, HTML and SARIF reports list them all._"
            );
        }
        table.push('\n');
    }
    let mut out = head;
    out.push_str(&table);
    out.push_str(&tail);
    out
}

/// Title, run line, counts and notes.
fn head(report: &Report) -> String {
    let mut out = String::new();
    let failing = report.findings().next().is_some();
    let _ = writeln!(
        out,
        "## {} hookspec {}: {}\n",
        if failing { "❌" } else { "✅" },
        cell(&report.command),
        cell(&report.outcome())
    );
    let mut facts = vec![code_cell(&redact_userinfo_in_text(&report.target))];
    if let Some(scheme) = &report.scheme {
        facts.push(format!("scheme {}", code_cell(scheme)));
    }
    facts.push(format!(
        "{} case(s) in {} ms",
        report.summary.total, report.duration_ms
    ));
    facts.push(format!("started {}", cell(&report.started_at)));
    if report.strict {
        facts.push("strict".to_string());
    }
    facts.push(format!("hookspec {}", cell(&report.version)));
    let _ = writeln!(out, "{}\n", facts.join(" · "));
    let names: Vec<&str> = Verdict::ALL.iter().map(|v| v.as_str()).collect();
    let counts: Vec<String> = Verdict::ALL
        .iter()
        .map(|v| report.summary.count(*v).to_string())
        .collect();
    let _ = writeln!(
        out,
        "| {} |\n|{}\n| {} |\n",
        names.join(" | "),
        "---:|".repeat(names.len()),
        counts.join(" | ")
    );
    for note in &report.notes {
        let _ = writeln!(
            out,
            "> **Note:** {}\n",
            cell(&redact_userinfo_in_text(note))
        );
    }
    out
}

/// The re-run command, in a code block.
fn rerun(report: &Report) -> String {
    let Some(line) = &report.command_line else {
        return String::new();
    };
    // A fence longer than any run of backticks in the line.
    let longest = line.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!(
        "### Re-run\n\n{fence}sh\n{}\n{fence}\n\nSecrets are placeholders: set the variables they name (e.g. `HOOKSPEC_SECRET`) before running it.\n",
        redact_userinfo_in_text(line).replace(['\r', '\n'], " ")
    )
}

/// `text` as a table cell: one line, at most [`MAX_CELL_CHARS`], nothing that formats,
/// links, mentions or ends the cell.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_CELL_CHARS * 2));
    for (i, c) in text.chars().enumerate() {
        if i == MAX_CELL_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\r' | '\n' => out.push(' '),
            '|' | '\\' | '[' | ']' | '*' | '_' | '`' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            // A zero-width space after `@` keeps `@team` from notifying anyone.
            '@' => out.push_str("@\u{200b}"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `text` as inline code when it can be (no backtick, no line break), else as a [`cell`].
fn code_cell(text: &str) -> String {
    if text.is_empty()
        || text.chars().count() > MAX_CELL_CHARS
        || text.contains(['`', '|', '\n', '\r'])
        || text.chars().any(char::is_control)
    {
        cell(text)
    } else {
        format!("`{text}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{self, PASSWORD};

    #[test]
    fn title_counts_notes_table_and_rerun() {
        let md = render(&fixture::mixed(), DEFAULT_BUDGET);
        let first = md.lines().next().unwrap();
        assert_eq!(first, "## ❌ hookspec check: 1 finding");
        assert!(md.contains("| OK | NON-STRICT | INFORMATIONAL | UNSUPPORTED | FAILED |\n|---:|---:|---:|---:|---:|\n| 1 | 1 | 1 | 1 | 1 |"), "{md}");
        assert!(
            md.contains("> **Note:** --insecure: the endpoint's TLS certificate was not verified")
        );
        assert!(md.contains("| case | verdict | message |"));
        assert!(md.contains("| `signature/empty-tag` | **FAILED** | accepted (status 200)"));
        assert!(md.contains("| `signature/extra-comma` | NON-STRICT (does not fail the run) |"));
        // Only FAILED and NON-STRICT cases are rows.
        assert!(!md.contains("headers/valid"));
        assert!(md.contains("```sh\nhookspec check https://staging.example.com/hook --secret \"$HOOKSPEC_SECRET\"\n```"));
        assert!(md.contains("scheme `v1`"));
        assert!(!md.contains(PASSWORD));
    }

    #[test]
    fn hostile_cells_cannot_break_the_table_or_format() {
        let md = render(&fixture::mixed(), DEFAULT_BUDGET);
        let row = md
            .lines()
            .find(|l| l.starts_with("| `signature/empty-tag`"))
            .unwrap();
        // Three cells exactly: every `|` of the message is escaped.
        let unescaped = row
            .match_indices('|')
            .filter(|(i, _)| !row[..*i].ends_with('\\'))
            .count();
        assert_eq!(unescaped, 4, "{row}");
        assert!(
            !row.contains('<') && !row.contains("[link]") && !row.contains("@all"),
            "{row}"
        );
        assert!(
            row.contains("&lt;script&gt;")
                && row.contains("\\[link\\]")
                && row.contains("@\u{200b}all")
        );
        assert_eq!(cell("a\r\nb|c"), "a  b\\|c");
        let long = cell(&"y".repeat(1000));
        assert_eq!(long.chars().count(), MAX_CELL_CHARS + 1);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn hundreds_of_findings_stay_under_the_budget_with_a_count_of_the_rest() {
        // 5000 findings with long messages: far over 1 MiB uncut.
        let report = fixture::many(5000, 1000);
        let md = render(&report, DEFAULT_BUDGET);
        assert!(md.len() <= DEFAULT_BUDGET, "{} bytes", md.len());
        let rows = md
            .lines()
            .filter(|l| l.starts_with("| `signature/case-"))
            .count();
        assert!(rows > 100 && rows < 5000, "{rows}");
        assert!(
            md.contains(&format!("_{} more finding(s) left out", 5000 - rows)),
            "{}",
            &md[md.len() - 600..]
        );
        assert!(
            md.ends_with("before running it.\n"),
            "the re-run section survives the cut"
        );
        // A small budget cuts early, and says so.
        let md = render(&report, 4000);
        assert!(md.len() <= 4000, "{}", md.len());
        assert!(md.contains("more finding(s) left out"));
        // Hundreds of short findings all fit.
        let md = render(&fixture::many(300, 80), DEFAULT_BUDGET);
        assert_eq!(
            md.lines()
                .filter(|l| l.starts_with("| `signature/case-"))
                .count(),
            300
        );
        assert!(!md.contains("left out"));
    }

    #[test]
    fn zero_findings() {
        let md = render(&fixture::empty(), DEFAULT_BUDGET);
        assert!(
            md.starts_with("## ✅ hookspec listen: no case ran\n"),
            "{md}"
        );
        assert!(md.contains("No FAILED or NON-STRICT case."));
        assert!(md.contains("· strict ·"));
        assert!(!md.contains("Re-run"));
    }

    #[test]
    fn a_fence_longer_than_any_backtick_run() {
        let mut report = fixture::empty();
        report.command_line = Some("hookspec check ```x".to_string());
        let md = render(&report, DEFAULT_BUDGET);
        assert!(md.contains("````sh\nhookspec check ```x\n````"), "{md}");
    }
}
