//! Several implementations side by side: the library × flag matrix of a multi-adapter
//! `vectors check` (`--matrix-markdown`, `--matrix-html`).
//!
//! Rows are the flags the vector files group their tests by (with the note's bug type),
//! columns the adapters. A cell counts the tests of that flag the implementation agreed and
//! diverged on, the tests whose expectation is `acceptable` by what the implementation chose
//! (accept or reject: either agrees), and the tests it answered `unsupported`. A column whose
//! adapter could not finish the run says so instead of counting. Flags that every
//! implementation answered `unsupported` (for example the Ed25519 and JWT flags, for
//! libraries without them) are listed once below the table instead of as rows.
//!
//! Every text that comes from outside (adapter names and commands, flags and bug types of
//! a vector file given with `--vectors`, error messages) is escaped for the format, and the
//! HTML page is self-contained: inline style, no script, no external resource.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::format::{Expected, VectorFile};
use super::harness::{Report, Verdict};
use crate::report::html::escape as html;
use crate::report::markdown::cell;

/// One implementation's column.
#[derive(Debug, Clone)]
pub struct Column {
    /// The adapter's name (`--exec NAME=CMD`), the column heading.
    pub name: String,
    /// The command it was run with.
    pub command: String,
    /// Counts per flag, or why the run could not finish (then no counts).
    pub outcome: Result<BTreeMap<String, Cell>, String>,
    /// Totals over all tests, when the run finished.
    pub totals: Cell,
}

/// One implementation's results on one flag (a test counts once for each of its flags).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    /// Tests with a definite expectation (`valid`, `invalid`) answered as expected.
    pub agree: usize,
    /// Tests with a definite expectation answered otherwise.
    pub diverge: usize,
    /// `acceptable` tests the implementation accepted.
    pub either_accepted: usize,
    /// `acceptable` tests the implementation rejected.
    pub either_rejected: usize,
    /// Tests answered `unsupported`.
    pub unsupported: usize,
}

impl Cell {
    fn add(&mut self, expected: Expected, verdict: &Verdict, accepted: bool) {
        match (verdict, expected) {
            (Verdict::Unsupported(_), _) => self.unsupported += 1,
            (_, Expected::Acceptable) if accepted => self.either_accepted += 1,
            (_, Expected::Acceptable) => self.either_rejected += 1,
            (Verdict::Agree, _) => self.agree += 1,
            (Verdict::Diverge, _) => self.diverge += 1,
        }
    }

    /// All tests counted in the cell.
    pub fn tests(&self) -> usize {
        self.agree + self.diverge + self.either_accepted + self.either_rejected + self.unsupported
    }

    /// The cell in words, one piece per kind of count: `diverge 2 / agree 3`, `either way:
    /// accepts 1, rejects 1`, `unsupported 4`; `-` for no test. `strong` wraps the
    /// divergence count (Markdown `**`, or HTML `<strong>`).
    fn words(&self, strong: (&str, &str)) -> String {
        let mut parts = Vec::new();
        if self.diverge > 0 {
            parts.push(format!(
                "{}diverge {}{} / agree {}",
                strong.0, self.diverge, strong.1, self.agree
            ));
        } else if self.agree > 0 {
            parts.push(format!("agree {}", self.agree));
        }
        if self.either_accepted + self.either_rejected > 0 {
            parts.push(format!(
                "either way: accepts {}, rejects {}",
                self.either_accepted, self.either_rejected
            ));
        }
        if self.unsupported > 0 {
            parts.push(format!("unsupported {}", self.unsupported));
        }
        if parts.is_empty() {
            "-".to_string()
        } else {
            parts.join("; ")
        }
    }

    fn total_words(&self) -> String {
        format!(
            "{} tests: {} agree, {} diverge, {} either way, {} unsupported",
            self.tests(),
            self.agree,
            self.diverge,
            self.either_accepted + self.either_rejected,
            self.unsupported
        )
    }
}

impl Column {
    /// The column of a finished run.
    pub fn finished(name: &str, command: &str, report: &Report) -> Self {
        let mut cells: BTreeMap<String, Cell> = BTreeMap::new();
        let mut totals = Cell::default();
        for o in &report.outcomes {
            let accepted = o.response.accept;
            totals.add(o.expected, &o.verdict, accepted);
            for flag in &o.flags {
                cells
                    .entry(flag.clone())
                    .or_default()
                    .add(o.expected, &o.verdict, accepted);
            }
        }
        Self {
            name: name.to_string(),
            command: command.to_string(),
            outcome: Ok(cells),
            totals,
        }
    }

    /// The column of a run that could not finish (the adapter crashed, hung or misbehaved).
    pub fn failed(name: &str, command: &str, error: &str) -> Self {
        Self {
            name: name.to_string(),
            command: command.to_string(),
            outcome: Err(error.to_string()),
            totals: Cell::default(),
        }
    }
}

/// The matrix: one row per flag of the vector files, one column per implementation.
#[derive(Debug, Clone)]
pub struct Matrix {
    /// Flag → its note's bug type (empty when the file has no note for it), sorted by flag.
    pub rows: BTreeMap<String, String>,
    /// The implementations, in command-line order.
    pub columns: Vec<Column>,
}

impl Matrix {
    /// The matrix of `columns` over the flags of `files` (every flag a test carries).
    pub fn new(files: &[VectorFile], columns: Vec<Column>) -> Self {
        let mut rows = BTreeMap::new();
        for file in files {
            for (_, test) in file.tests() {
                for flag in &test.flags {
                    let bug_type = file
                        .notes
                        .get(flag)
                        .map(|n| n.bug_type.clone())
                        .unwrap_or_default();
                    rows.entry(flag.clone()).or_insert(bug_type);
                }
            }
        }
        Self { rows, columns }
    }

    /// Whether every implementation that finished answered every test of `flag`
    /// `unsupported`: such rows are listed once, below the table, not drawn.
    fn unsupported_by_all(&self, flag: &str) -> bool {
        let mut finished = self.columns.iter().filter(|c| c.outcome.is_ok()).peekable();
        finished.peek().is_some()
            && finished.all(|c| {
                let cell = Self::cell(c, flag);
                cell.tests() == cell.unsupported
            })
    }

    /// The rows drawn, and the flags no implementation supports.
    fn split_rows(&self) -> (Vec<(&String, &String)>, Vec<&String>) {
        let (none, drawn): (Vec<_>, Vec<_>) = self
            .rows
            .iter()
            .partition(|(flag, _)| self.unsupported_by_all(flag));
        (drawn, none.into_iter().map(|(flag, _)| flag).collect())
    }

    fn cell(column: &Column, flag: &str) -> Cell {
        match &column.outcome {
            Ok(cells) => cells.get(flag).copied().unwrap_or_default(),
            Err(_) => Cell::default(),
        }
    }

    /// The matrix as a GitHub-flavoured Markdown table, every cell escaped, followed by one
    /// line per column that could not finish.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("| flag | bug type |");
        for c in &self.columns {
            let _ = write!(out, " {} |", cell(&c.name));
        }
        out.push_str("\n|---|---|");
        out.push_str(&"---|".repeat(self.columns.len()));
        out.push('\n');
        let (drawn, unsupported) = self.split_rows();
        for (flag, bug_type) in drawn {
            let _ = write!(
                out,
                "| {} | {} |",
                markdown_code(flag),
                markdown_code(bug_type)
            );
            for c in &self.columns {
                let text = match &c.outcome {
                    Ok(_) => Self::cell(c, flag).words(("**", "**")),
                    Err(_) => "not run".to_string(),
                };
                let _ = write!(out, " {text} |");
            }
            out.push('\n');
        }
        out.push_str("| **all tests** | |");
        for c in &self.columns {
            let text = match &c.outcome {
                Ok(_) => c.totals.total_words(),
                Err(_) => "**the adapter failed**".to_string(),
            };
            let _ = write!(out, " {text} |");
        }
        out.push('\n');
        if !unsupported.is_empty() {
            let flags: Vec<String> = unsupported.iter().map(|f| markdown_code(f)).collect();
            let _ = write!(
                out,
                "\nUnsupported by every implementation: {}.\n",
                flags.join(", ")
            );
        }
        for c in &self.columns {
            if let Err(e) = &c.outcome {
                let _ = write!(out, "\n{} could not finish: {}\n", cell(&c.name), cell(e));
            }
        }
        out
    }

    /// The matrix as a self-contained HTML page (inline style, no script, nothing fetched),
    /// every text escaped. Each column heading carries its command as a tooltip and below it.
    pub fn to_html(&self) -> String {
        let mut out = String::from(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>hookspec vectors: implementations × flags</title>\n<style>\n\
             body{font-family:system-ui,sans-serif;margin:2em}\
             table{border-collapse:collapse}\
             th,td{border:1px solid #bbb;padding:.3em .6em;text-align:left;vertical-align:top}\
             th small{font-weight:normal;color:#555}\
             td.diverge{background:#fbe3e3}td.agree{background:#e6f4e6}\
             td.either{background:#fdf6dc}td.unsupported,td.none{color:#777}\
             td.failed{background:#eee;color:#900}\n</style>\n</head>\n<body>\n\
             <h1>hookspec vectors: implementations × flags</h1>\n\
             <p>A cell counts the tests of a flag: agreed and diverged on (valid or invalid \
             expected), the choice made where either answer is acceptable, and unsupported \
             tests. A test counts once for each of its flags.</p>\n<table>\n<thead><tr>\
             <th>flag</th><th>bug type</th>",
        );
        for c in &self.columns {
            let _ = write!(
                out,
                "<th title=\"{cmd}\">{}<br><small>{cmd}</small></th>",
                html(&c.name),
                cmd = html(&c.command)
            );
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        let (drawn, unsupported) = self.split_rows();
        for (flag, bug_type) in drawn {
            let _ = write!(
                out,
                "<tr><th><code>{}</code></th><td>{}</td>",
                html(flag),
                html(bug_type)
            );
            for c in &self.columns {
                let cell = Self::cell(c, flag);
                let (class, text) = match &c.outcome {
                    Err(_) => ("failed", "not run".to_string()),
                    Ok(_) => (html_class(&cell), cell.words(("<strong>", "</strong>"))),
                };
                let _ = write!(out, "<td class=\"{class}\">{text}</td>");
            }
            out.push_str("</tr>\n");
        }
        out.push_str("<tr><th>all tests</th><td></td>");
        for c in &self.columns {
            match &c.outcome {
                Ok(_) => {
                    let _ = write!(
                        out,
                        "<td class=\"{}\">{}</td>",
                        html_class(&c.totals),
                        c.totals.total_words()
                    );
                }
                Err(e) => {
                    let _ = write!(
                        out,
                        "<td class=\"failed\">the adapter failed: {}</td>",
                        html(e)
                    );
                }
            }
        }
        out.push_str("</tr>\n</tbody>\n</table>\n");
        if !unsupported.is_empty() {
            let flags: Vec<String> = unsupported
                .iter()
                .map(|f| format!("<code>{}</code>", html(f)))
                .collect();
            let _ = writeln!(
                out,
                "<p>Unsupported by every implementation: {}.</p>",
                flags.join(", ")
            );
        }
        out.push_str("</body>\n</html>\n");
        out
    }
}

fn html_class(cell: &Cell) -> &'static str {
    if cell.diverge > 0 {
        "diverge"
    } else if cell.agree > 0 {
        "agree"
    } else if cell.either_accepted + cell.either_rejected > 0 {
        "either"
    } else if cell.unsupported > 0 {
        "unsupported"
    } else {
        "none"
    }
}

/// A flag as a code span when it is a plain identifier (as every flag of the corpus is),
/// escaped text otherwise (a code span cannot hold an escaped `|` or backtick).
fn markdown_code(flag: &str) -> String {
    if !flag.is_empty()
        && flag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    {
        format!("`{flag}`")
    } else {
        cell(flag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cells_cannot_break_the_table_or_format_text() {
        // Cells are the report's Markdown cells (escaping tested there).
        assert_eq!(markdown_code("SecretLength"), "`SecretLength`");
        assert_eq!(markdown_code("a|`b"), r"a\|\`b");
    }

    #[test]
    fn cells_separate_definite_and_either_way_tests() {
        let mut cell = Cell::default();
        cell.add(Expected::Valid, &Verdict::Agree, true);
        cell.add(Expected::Invalid, &Verdict::Diverge, true);
        cell.add(Expected::Acceptable, &Verdict::Agree, true);
        cell.add(Expected::Acceptable, &Verdict::Agree, false);
        cell.add(Expected::Valid, &Verdict::Unsupported("no".into()), false);
        assert_eq!(
            cell.words(("**", "**")),
            "**diverge 1** / agree 1; either way: accepts 1, rejects 1; unsupported 1"
        );
        assert_eq!(Cell::default().words(("", "")), "-");
    }
}
