//! The terminal report: cases grouped by family, colour only when asked (on a TTY), the
//! evidence (sent, got, expected, repro) for every finding (`NON-STRICT`, `FAILED`), one
//! line of explanation for `INFORMATIONAL` and `UNSUPPORTED` cases, and a final line with
//! the count per verdict.

use std::fmt::Write as _;

use super::{CaseResult, Format, Report, Verdict};

/// The terminal format; `color` adds ANSI colours to the verdicts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal {
    /// Whether to colour the verdicts.
    pub color: bool,
}

impl Format for Terminal {
    fn name(&self) -> &'static str {
        "terminal"
    }

    fn render(&self, report: &Report) -> String {
        render(report, self.color)
    }
}

/// Renders the report; `color` adds ANSI colours to the verdicts.
pub fn render(report: &Report, color: bool) -> String {
    let mut out = String::new();
    let strict = if report.strict { " (strict)" } else { "" };
    let _ = writeln!(out, "hookspec {} {}{strict}", report.command, report.target);
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let mut family = "";
    for case in &report.cases {
        if case.family != family {
            family = &case.family;
            let _ = writeln!(out, "\n{family}");
        }
        let _ = writeln!(
            out,
            "  {}  {:<40} {}",
            paint(case.verdict, color),
            case.id,
            case.title
        );
        match case.verdict {
            Verdict::Ok => {}
            // A measurement or a missing capability: the one line that says what.
            Verdict::Informational | Verdict::Unsupported => {
                let _ = writeln!(out, "      {}", case.message);
            }
            Verdict::NonStrict | Verdict::Failed => evidence(&mut out, case),
        }
    }
    let _ = writeln!(out, "\n{}  ({} ms)", report.summary, report.duration_ms);
    out
}

/// Only the findings of a report (the cases that fail it), each with its evidence, and the
/// summary line: what [`Report::assert_conformant`] shows.
pub fn render_findings(report: &Report) -> String {
    let mut out = String::new();
    for case in report.findings() {
        let _ = writeln!(
            out,
            "  {}  {:<40} {}",
            paint(case.verdict, false),
            case.id,
            case.title
        );
        evidence(&mut out, case);
    }
    let _ = writeln!(out, "{}", report.summary);
    out
}

fn evidence(out: &mut String, case: &CaseResult) {
    let _ = writeln!(out, "      why:      {}", case.message);
    if let Some(sent) = &case.sent {
        let _ = writeln!(out, "      sent:     {sent}");
    }
    let _ = writeln!(out, "      got:      {}", case.observed);
    let _ = writeln!(out, "      expected: {}", case.expected);
    if let Some(repro) = &case.repro {
        let _ = writeln!(out, "      repro:    {repro}");
    }
}

/// The verdict padded to a fixed width, coloured when asked.
pub fn paint(verdict: Verdict, color: bool) -> String {
    let text = format!("{:<13}", verdict.as_str());
    if !color {
        return text;
    }
    let code = match verdict {
        Verdict::Ok => "32",
        Verdict::NonStrict => "33",
        Verdict::Informational => "36",
        Verdict::Unsupported => "2",
        Verdict::Failed => "1;31",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}
