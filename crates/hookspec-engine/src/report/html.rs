//! The HTML report (`--html FILE`): one self-contained page to open from a CI artifact.
//!
//! Everything is in the one file: inline CSS, no fonts, images or scripts from elsewhere
//! (the page's Content-Security-Policy forbids loading anything), so it reads the same from
//! `file://` as from a server. It works without JavaScript: the families are `<details>`
//! (open when they hold a finding), the filter by verdict is checkboxes and CSS `:has()`.
//! The one inline script only adds a "copy" button to each repro line, and the policy
//! allows that script alone, by its hash. Every text from the run is escaped: an endpoint's
//! body is hostile, and a `<script>` in it must stay text.

use std::fmt::Write as _;

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use super::{CaseResult, Format, Report, Verdict};
use crate::net::redact_userinfo_in_text;

/// The HTML format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Html;

impl Format for Html {
    fn name(&self) -> &'static str {
        "HTML"
    }

    fn render(&self, report: &Report) -> String {
        render(report)
    }
}

/// The page's only script: a copy button before every repro line (progressive: without
/// JavaScript the lines are selectable text).
const SCRIPT: &str = "document.querySelectorAll('pre.copyable').forEach(function (pre) {\
var b = document.createElement('button'); b.type = 'button'; b.className = 'copy'; \
b.textContent = 'copy'; b.addEventListener('click', function () {\
var done = function () { b.textContent = 'copied'; };\
var select = function () { var r = document.createRange(); r.selectNodeContents(pre); \
var s = window.getSelection(); s.removeAllRanges(); s.addRange(r); b.textContent = 'selected: press Ctrl+C'; };\
if (navigator.clipboard) { navigator.clipboard.writeText(pre.textContent).then(done, select); } else { select(); }\
}); pre.parentNode.insertBefore(b, pre); });";

const STYLE: &str = r#"
:root { --ok: #1a7f37; --nonstrict: #9a6700; --info: #0969da; --unsupported: #6e7781; --failed: #cf222e;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--fg); background: var(--bg); }
main { max-width: 1200px; margin: 0 auto; padding: 16px 24px 48px; }
code, pre, .id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 16px; margin: 20px 0 8px; }
.outcome { display: inline-block; padding: 4px 12px; border-radius: 6px; font-weight: 600; color: #fff; margin: 4px 0 12px; }
.outcome.pass { background: var(--ok); } .outcome.fail { background: var(--failed); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 12px; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.notes { border: 1px solid #d4a72c; background: #fff8c5; border-radius: 6px; padding: 8px 16px; margin: 12px 0; }
.notes h2 { margin: 4px 0; font-size: 15px; } .notes ul { margin: 4px 0; padding-left: 20px; }
.bar { display: flex; height: 14px; border-radius: 7px; overflow: hidden; background: var(--soft); margin: 8px 0; }
.bar span { display: block; min-width: 3px; }
.bg-ok { background: var(--ok); } .bg-nonstrict { background: var(--nonstrict); } .bg-info { background: var(--info); }
.bg-unsupported { background: var(--unsupported); } .bg-failed { background: var(--failed); }
fieldset.filter { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; margin: 8px 0 16px; }
fieldset.filter label { margin-right: 16px; white-space: nowrap; cursor: pointer; }
.badge { display: inline-block; min-width: 108px; text-align: center; padding: 1px 6px; border-radius: 4px;
  font-size: 12px; font-weight: 600; color: #fff; }
details.family { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; }
details.family > summary { cursor: pointer; padding: 6px 12px; background: var(--soft); font-weight: 600; }
details.family > summary .counts { font-weight: normal; color: var(--muted); margin-left: 8px; }
ul.cases { list-style: none; margin: 0; padding: 0; }
li.case { border-top: 1px solid var(--line); padding: 4px 12px; }
li.case .row { display: flex; gap: 10px; align-items: baseline; }
li.case .id { min-width: 320px; overflow-wrap: anywhere; }
li.case .title { color: var(--muted); }
li.case .line { margin: 2px 0 2px 118px; color: var(--muted); overflow-wrap: anywhere; }
dl.evidence { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0 6px 118px; }
dl.evidence dt { color: var(--muted); } dl.evidence dd { margin: 0; overflow-wrap: anywhere; min-width: 0; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--soft); border: 1px solid var(--line);
  border-radius: 4px; padding: 4px 8px; margin: 0; user-select: all; }
button.copy { float: right; margin: 2px 0 2px 8px; font-size: 12px; cursor: pointer; }
.none { color: var(--muted); font-style: italic; }
body:has(#show-ok:not(:checked)) li.v-ok,
body:has(#show-nonstrict:not(:checked)) li.v-nonstrict,
body:has(#show-info:not(:checked)) li.v-info,
body:has(#show-unsupported:not(:checked)) li.v-unsupported,
body:has(#show-failed:not(:checked)) li.v-failed { display: none; }
footer { margin-top: 24px; color: var(--muted); font-size: 12px; }
"#;

/// Renders the report as one HTML page.
pub fn render(report: &Report) -> String {
    let mut out = String::with_capacity(16 * 1024 + report.cases.len() * 512);
    let target = redact_userinfo_in_text(&report.target);
    let outcome = report.outcome();
    let failing = report.findings().next().is_some();
    let script_hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SCRIPT));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"generator\" content=\"hookspec {version}\">\n\
         <title>hookspec {command}: {outcome} ({target})</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        version = escape(&report.version),
        command = escape(&report.command),
        outcome = escape(&outcome),
        target = escape(&target),
    );
    let _ = writeln!(
        out,
        "<h1>hookspec {}</h1>\n<div class=\"outcome {}\">{}</div>",
        escape(&report.command),
        if failing { "fail" } else { "pass" },
        escape(&if failing {
            format!("not conformant: {outcome}")
        } else {
            outcome.clone()
        })
    );
    notes(&mut out, report);
    metadata(&mut out, report, &target);
    summary(&mut out, report);
    families(&mut out, report);
    let _ = writeln!(
        out,
        "<footer>Written by hookspec {}. {} Every text from the endpoint is shown as text.</footer>\n</main>\n<script>{SCRIPT}</script>\n</body>\n</html>",
        escape(&report.version),
        if report.strict {
            "Strict run: NON-STRICT cases fail it."
        } else {
            "NON-STRICT cases fail a run only under --strict."
        }
    );
    out
}

fn notes(out: &mut String, report: &Report) {
    if report.notes.is_empty() {
        return;
    }
    out.push_str("<section class=\"notes\" role=\"note\">\n<h2>Notes</h2>\n<ul>\n");
    for note in &report.notes {
        let _ = writeln!(out, "<li>{}</li>", escape(&redact_userinfo_in_text(note)));
    }
    out.push_str("</ul>\n</section>\n");
}

fn metadata(out: &mut String, report: &Report, target: &str) {
    out.push_str("<dl class=\"meta\">\n");
    let mut row = |name: &str, value: &str| {
        let _ = writeln!(out, "<dt>{name}</dt><dd>{}</dd>", escape(value));
    };
    row("tool", &format!("{} {}", report.tool, report.version));
    row("command", &report.command);
    row("target", target);
    if let Some(scheme) = &report.scheme {
        row("scheme", scheme);
    }
    row("started at", &report.started_at);
    row("duration", &format!("{} ms", report.duration_ms));
    row(
        "strict",
        if report.strict {
            "yes (NON-STRICT fails the run)"
        } else {
            "no"
        },
    );
    if let Some(line) = &report.command_line {
        let _ = writeln!(
            out,
            "<dt>re-run</dt><dd><pre class=\"copyable\">{}</pre></dd>",
            escape(&redact_userinfo_in_text(line))
        );
    }
    out.push_str("</dl>\n");
}

/// The CSS class suffix of a verdict.
fn class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Ok => "ok",
        Verdict::NonStrict => "nonstrict",
        Verdict::Informational => "info",
        Verdict::Unsupported => "unsupported",
        Verdict::Failed => "failed",
    }
}

fn summary(out: &mut String, report: &Report) {
    let s = &report.summary;
    let _ = writeln!(out, "<h2>Summary</h2>\n<p>{}</p>", escape(&s.to_string()));
    out.push_str("<div class=\"bar\" role=\"img\" aria-label=\"cases per verdict\">");
    for verdict in Verdict::ALL {
        let n = s.count(verdict);
        if n > 0 {
            let _ = write!(
                out,
                "<span class=\"bg-{}\" style=\"flex: {n}\" title=\"{n} {}\"></span>",
                class(verdict),
                verdict
            );
        }
    }
    out.push_str("</div>\n<fieldset class=\"filter\"><legend>Show verdicts</legend>\n");
    for verdict in Verdict::ALL {
        let _ = writeln!(
            out,
            "<label><input type=\"checkbox\" id=\"show-{c}\" checked> \
             <span class=\"badge bg-{c}\">{verdict}</span> {n}</label>",
            c = class(verdict),
            n = s.count(verdict)
        );
    }
    out.push_str("</fieldset>\n");
}

fn families(out: &mut String, report: &Report) {
    out.push_str("<h2>Cases</h2>\n");
    if report.cases.is_empty() {
        out.push_str("<p class=\"none\">No case ran.</p>\n");
        return;
    }
    let mut start = 0;
    while start < report.cases.len() {
        let family = &report.cases[start].family;
        let len = report.cases[start..]
            .iter()
            .take_while(|c| &c.family == family)
            .count();
        family_section(out, family, &report.cases[start..start + len]);
        start += len;
    }
}

fn family_section(out: &mut String, family: &str, cases: &[CaseResult]) {
    let breaches = cases
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Failed | Verdict::NonStrict))
        .count();
    let mut counts = Vec::new();
    for verdict in Verdict::ALL {
        let n = cases.iter().filter(|c| c.verdict == verdict).count();
        if n > 0 {
            counts.push(format!("{n} {verdict}"));
        }
    }
    let _ = writeln!(
        out,
        "<details class=\"family\"{}>\n<summary>{}<span class=\"counts\">{} case(s): {}</span></summary>\n<ul class=\"cases\">",
        if breaches > 0 { " open" } else { "" },
        escape(family),
        cases.len(),
        escape(&counts.join(", "))
    );
    for case in cases {
        case_item(out, case);
    }
    out.push_str("</ul>\n</details>\n");
}

fn case_item(out: &mut String, case: &CaseResult) {
    let c = class(case.verdict);
    let _ = writeln!(
        out,
        "<li class=\"case v-{c}\"><div class=\"row\"><span class=\"badge bg-{c}\">{}</span>\
         <code class=\"id\">{}</code><span class=\"title\">{}</span></div>",
        case.verdict,
        escape(&case.id),
        escape(&case.title)
    );
    match case.verdict {
        Verdict::Ok => {}
        Verdict::Informational | Verdict::Unsupported => {
            let _ = writeln!(
                out,
                "<div class=\"line\">{} <span title=\"observed\">({})</span></div>",
                escape(&case.message),
                escape(&case.observed.to_string())
            );
        }
        Verdict::NonStrict | Verdict::Failed => evidence(out, case),
    }
    out.push_str("</li>\n");
}

fn evidence(out: &mut String, case: &CaseResult) {
    out.push_str("<dl class=\"evidence\">\n");
    let mut row = |name: &str, html: String| {
        let _ = writeln!(out, "<dt>{name}</dt><dd>{html}</dd>");
    };
    row("why", escape(&case.message));
    row(
        "sent",
        match &case.sent {
            Some(sent) => format!("<code>{}</code>", escape(sent)),
            None => "<span class=\"none\">nothing (the case sent no delivery)</span>".to_string(),
        },
    );
    row(
        "observed",
        format!("<code>{}</code>", escape(&case.observed.to_string())),
    );
    row("expected", escape(&case.expected));
    row(
        "rule",
        format!("[{}] {}", case.level.as_str(), escape(&case.rule)),
    );
    if let Some(repro) = &case.repro {
        row(
            "repro",
            format!("<pre class=\"copyable\">{}</pre>", escape(repro)),
        );
    }
    out.push_str("</dl>\n");
}

/// `text` safe as HTML element content and as a quoted attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline are invisible or invalid in HTML.
            c if c.is_control() && c != '\t' && c != '\n' => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{self, HOSTILE, PASSWORD};

    #[test]
    fn shows_every_part_of_a_run_with_findings() {
        let html = render(&fixture::mixed());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("not conformant: 1 finding"), "{html}");
        // Summary bar, filter and families.
        assert!(
            html.contains("5 cases: 1 OK, 1 NON-STRICT, 1 INFORMATIONAL, 1 UNSUPPORTED, 1 FAILED")
        );
        for verdict in ["ok", "nonstrict", "info", "unsupported", "failed"] {
            assert!(
                html.contains(&format!("id=\"show-{verdict}\" checked")),
                "{verdict}"
            );
            assert!(
                html.contains(&format!("<li class=\"case v-{verdict}\"")),
                "{verdict}"
            );
        }
        assert_eq!(html.matches("<details class=\"family\"").count(), 3);
        // Families with a finding are open, the others closed.
        assert!(html.contains("<details class=\"family\" open>\n<summary>signature"));
        assert!(html.contains("<details class=\"family\">\n<summary>headers"));
        // Evidence of a finding, and its copyable repro line.
        for part in [
            "<dt>why</dt>",
            "<dt>sent</dt>",
            "<dt>observed</dt>",
            "<dt>expected</dt>",
            "<dt>repro</dt>",
        ] {
            assert_eq!(html.matches(part).count(), 2, "{part}");
        }
        assert!(html.contains("<pre class=\"copyable\">curl -sS -i"));
        // Metadata.
        for fact in [
            "<dt>scheme</dt><dd>v1</dd>",
            "<dt>started at</dt><dd>1970-01-01T00:00:00Z</dd>",
            "<dt>duration</dt><dd>612 ms</dd>",
            "<dt>strict</dt><dd>no</dd>",
            "<dt>re-run</dt>",
        ] {
            assert!(html.contains(fact), "{fact}");
        }
        // Notes, before the cases.
        let notes = html.find("<section class=\"notes\"").expect("notes shown");
        assert!(notes < html.find("<h2>Cases</h2>").unwrap());
        assert!(
            html.contains(
                "<li>--insecure: the endpoint&#39;s TLS certificate was not verified</li>"
            )
        );
    }

    #[test]
    fn hostile_text_is_inert_and_credentials_are_gone() {
        let html = render(&fixture::mixed());
        // The one <script> is ours, at the end; every other `<` of the run is escaped.
        assert_eq!(html.matches("<script").count(), 1, "{html}");
        assert!(
            html.trim_end()
                .ends_with(&format!("<script>{SCRIPT}</script>\n</body>\n</html>"))
        );
        assert!(!html.contains("<img"));
        assert!(
            html.contains(
                "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
            )
        );
        assert!(!html.contains(HOSTILE));
        assert!(!html.contains(PASSWORD), "credentials in {html}");
        assert!(html.contains("https://staging.example.com/hook"));
    }

    #[test]
    fn is_self_contained() {
        let html = render(&fixture::mixed());
        assert_self_contained(&html);
        // The policy allows our script alone, by its hash.
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SCRIPT));
        assert!(html.contains(&format!("script-src 'sha256-{hash}'")));
        assert!(html.contains("default-src 'none'"));
    }

    /// No external resource: no `src`/`href` to a URL, no `@import`, no `url(`.
    pub fn assert_self_contained(html: &str) {
        let lower = html.to_ascii_lowercase();
        for attr in ["src=", "href="] {
            for (at, _) in lower.match_indices(attr) {
                let value = lower[at + attr.len()..].trim_start_matches(['"', '\'']);
                assert!(
                    !(value.starts_with("http:")
                        || value.starts_with("https:")
                        || value.starts_with("//")),
                    "external resource at {}",
                    &html[at..(at + 80).min(html.len())]
                );
            }
        }
        assert!(!lower.contains("@import"));
        assert!(!lower.contains("url("));
        assert!(!lower.contains("<link"));
    }

    #[test]
    fn zero_cases_and_many_cases() {
        let html = render(&fixture::empty());
        assert!(html.contains("<div class=\"outcome pass\">no case ran</div>"));
        assert!(html.contains("No case ran."));
        assert!(html.contains("<dt>strict</dt><dd>yes"));
        assert!(!html.contains("class=\"notes\""));
        let html = render(&fixture::many(500, 100));
        assert_eq!(html.matches("<li class=\"case v-failed\"").count(), 500);
        assert!(html.contains("not conformant: 500 findings"));
        assert_self_contained(&html);
    }

    #[test]
    fn escape_covers_markup_quotes_and_controls() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("a\u{0}b\u{1b}c\nd"), "a\\u{0}b\\u{1b}c\nd");
    }
}
