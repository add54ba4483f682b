//! The JUnit XML report (`--junit FILE`): one `<testsuite>` per family, one `<testcase>` per
//! case, each with `name` (the case id) and `classname` (`hookspec.<family>`), which CI test
//! reporters require. `FAILED` (and `NON-STRICT` under `--strict`) are failures with a
//! message; `UNSUPPORTED` is skipped; other verdicts pass, with the message in system-out.
//! The run's notes are `note` properties of every suite, and lead each suite's system-out.

use std::collections::BTreeMap;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report as JUnitReport, TestCase, TestCaseStatus, TestSuite};

use super::{CaseResult, Format, Report, Verdict};
use crate::net::redact_userinfo_in_text;

/// The JUnit XML format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Junit;

impl Format for Junit {
    fn name(&self) -> &'static str {
        "JUnit"
    }

    fn render(&self, report: &Report) -> String {
        render(report)
    }
}

/// Renders the report as JUnit XML.
pub fn render(report: &Report) -> String {
    let mut junit = JUnitReport::new(format!("hookspec {}", report.command));
    junit.set_time(Duration::from_millis(report.duration_ms));
    let mut families: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    let mut order = Vec::new();
    for case in &report.cases {
        if !families.contains_key(case.family.as_str()) {
            order.push(case.family.as_str());
        }
        families.entry(case.family.as_str()).or_default().push(case);
    }
    for family in order {
        let mut suite = TestSuite::new(family);
        if !report.notes.is_empty() {
            let notes: Vec<String> = report
                .notes
                .iter()
                .map(|n| redact_userinfo_in_text(n))
                .collect();
            for note in &notes {
                suite.add_property(("note", note.as_str()));
            }
            suite.set_system_out(format!("note: {}", notes.join("\nnote: ")));
        }
        for case in &families[family] {
            suite.add_test_case(test_case(case, report.strict));
        }
        junit.add_test_suite(suite);
    }
    junit
        .to_string()
        .expect("the JUnit model always serializes")
}

fn test_case(case: &CaseResult, strict: bool) -> TestCase {
    let summary = format!(
        "{} [{}] {}: {} (expected: {}; observed: {})",
        case.verdict,
        case.level.as_str(),
        case.title,
        case.message,
        case.expected,
        case.observed
    );
    let status = if case.verdict.is_finding(strict) {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status.set_message(summary.clone());
        status.set_type(case.verdict.as_str());
        let mut description = summary.clone();
        if let Some(sent) = &case.sent {
            description.push_str(&format!("\nsent: {sent}"));
        }
        if let Some(repro) = &case.repro {
            description.push_str(&format!("\nrepro: {repro}"));
        }
        status.set_description(description);
        status
    } else if case.verdict == Verdict::Unsupported {
        let mut status = TestCaseStatus::skipped();
        status.set_message(summary.clone());
        status
    } else {
        TestCaseStatus::success()
    };
    let mut test = TestCase::new(case.id.as_str(), status);
    test.set_classname(format!("hookspec.{}", case.family));
    test.set_time(Duration::from_millis(case.duration_ms));
    test.set_system_out(summary);
    test
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::report::{Level, Observed};

    #[test]
    fn every_testcase_has_name_and_classname_and_failures_carry_a_message() {
        let mk = |id: &str, verdict| CaseResult {
            id: id.to_string(),
            family: id.split('/').next().unwrap().to_string(),
            title: "title <&>".into(),
            level: Level::Must,
            rule: "r".into(),
            bug_class: None,
            verdict,
            expected: "401".into(),
            observed: Observed {
                status: Some(200),
                ..Observed::default()
            },
            message: "accepted a forgery".into(),
            sent: None,
            repro: None,
            duration_ms: 1,
        };
        let mut report = Report::new("check", "http://x/", SystemTime::UNIX_EPOCH, false);
        report.finish(
            vec![
                mk("signature/a", Verdict::Failed),
                mk("signature/b", Verdict::Ok),
                mk("duplicate/c", Verdict::Unsupported),
            ],
            Duration::ZERO,
        );
        let xml = render(&report);
        assert_eq!(xml.matches("<testcase ").count(), 3);
        assert_eq!(xml.matches("classname=\"hookspec.").count(), 3);
        assert!(
            xml.contains(
                "<failure message=\"FAILED [MUST] title &lt;&amp;&gt;: accepted a forgery"
            )
        );
        assert!(xml.contains("<skipped"));
        assert_eq!(xml.matches("<testsuite ").count(), 2);
        assert!(!xml.contains("name=\"note\""));
    }

    #[test]
    fn notes_are_properties_and_system_out_of_every_suite() {
        let report = crate::report::fixture::mixed();
        let xml = render(&report);
        let suites = xml.matches("<testsuite ").count();
        assert_eq!(suites, 3);
        assert_eq!(
            xml.matches("<property name=\"note\" value=\"--insecure: the endpoint&apos;s TLS certificate was not verified\"/>").count(),
            suites,
            "{xml}"
        );
        assert!(xml.contains("<system-out>note: --insecure"));
        assert!(!xml.contains(crate::report::fixture::PASSWORD));
    }
}
