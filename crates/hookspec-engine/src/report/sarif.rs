//! The SARIF report (`--sarif FILE`): SARIF 2.1.0 as GitHub code scanning accepts it.
//!
//! - `runs[0].tool.driver`: `hookspec`, its version, the book as `informationUri`, and one
//!   rule per case that ran (id = case id; `shortDescription` the title; `fullDescription`
//!   the rule and its source; `defaultConfiguration.level` from the case level: MUST `error`,
//!   SHOULD `warning`, INFO `note`; `helpUri` the book page of the case's family; tags: the
//!   family and the bug class).
//! - One result per `FAILED` (`error`) and `NON-STRICT` (`warning`, with or without
//!   `--strict`) case, with `ruleId`/`ruleIndex`, the message, a stable
//!   `partialFingerprints["hookspecCaseTarget/v1"]` (hex SHA-256 of `case id + "\n" +
//!   target`), and the evidence in `properties`.
//! - Every result has one repository location: the anchor file (the config file, or
//!   `--sarif-anchor`, default `hookspec.toml`) at line 1. GitHub rejects a whole upload in
//!   which one result lacks a location; the endpoint URL is not a file of the repository, so
//!   it goes into `properties.target`, never into an artifact URI.

use std::fmt;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::{CaseResult, Format, Level, Report, Verdict};
use crate::net::redact_userinfo_in_text;

/// Where the book is published (the mdBook in `docs/`); rules link their family's page
/// under it.
pub const BOOK_URL: &str = "https://hookspec.github.io/hookspec/";

/// The anchor used when neither a config file nor `--sarif-anchor` names one.
pub const DEFAULT_ANCHOR: &str = "hookspec.toml";

/// The schema URI GitHub's documentation names for SARIF 2.1.0.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The partial fingerprint's name; bump the version if its input ever changes.
pub const FINGERPRINT: &str = "hookspecCaseTarget/v1";

/// The SARIF format; every result is located in `anchor`, a repository-relative path.
#[derive(Debug, Clone)]
pub struct Sarif {
    anchor: String,
}

impl Sarif {
    /// Results located in `anchor` (checked by [`anchor`]).
    pub fn new(anchor: &str) -> Result<Self, AnchorError> {
        Ok(Self {
            anchor: self::anchor(anchor)?,
        })
    }
}

impl Default for Sarif {
    fn default() -> Self {
        Self {
            anchor: DEFAULT_ANCHOR.to_string(),
        }
    }
}

impl Format for Sarif {
    fn name(&self) -> &'static str {
        "SARIF"
    }

    fn render(&self, report: &Report) -> String {
        render(report, &self.anchor)
    }
}

/// Why a path cannot anchor SARIF results: GitHub resolves the artifact URI against the
/// repository root, so it must be a relative path inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnchorError {
    /// The path is empty.
    Empty,
    /// The path is absolute (`/…`, `C:\…`, `\\server\…`).
    Absolute(String),
    /// The path has a `..` component.
    LeavesRepository(String),
    /// The path is a URL (`scheme:…`).
    Url(String),
}

impl AnchorError {
    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "sarif_anchor_empty",
            Self::Absolute(_) => "sarif_anchor_absolute",
            Self::LeavesRepository(_) => "sarif_anchor_outside",
            Self::Url(_) => "sarif_anchor_url",
        }
    }
}

impl fmt::Display for AnchorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "the SARIF anchor is empty"),
            Self::Absolute(p) => write!(
                f,
                "the SARIF anchor {p:?} is absolute: give a path relative to the repository root"
            ),
            Self::LeavesRepository(p) => write!(
                f,
                "the SARIF anchor {p:?} has a `..` component: give a path inside the repository"
            ),
            Self::Url(p) => write!(
                f,
                "the SARIF anchor {p:?} is a URL: give a repository file (the endpoint goes into the result's properties)"
            ),
        }
    }
}

impl std::error::Error for AnchorError {}

impl hookspec::ErrorCode for AnchorError {
    fn code(&self) -> &'static str {
        AnchorError::code(self)
    }
}

/// `path` as a repository-relative artifact URI (`/`-separated, no leading `./`), or why it
/// cannot be one.
pub fn anchor(path: &str) -> Result<String, AnchorError> {
    let unified = path.trim().replace('\\', "/");
    let bytes = unified.as_bytes();
    if unified.is_empty() {
        return Err(AnchorError::Empty);
    }
    if unified.starts_with('/')
        || (bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic())
    {
        return Err(AnchorError::Absolute(path.to_string()));
    }
    if let Some(colon) = unified.find(':') {
        let scheme = &unified[..colon];
        if !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Err(AnchorError::Url(path.to_string()));
        }
    }
    let parts: Vec<&str> = unified
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.contains(&"..") {
        return Err(AnchorError::LeavesRepository(path.to_string()));
    }
    if parts.is_empty() {
        return Err(AnchorError::Empty);
    }
    Ok(parts.join("/"))
}

/// The book page that documents the cases of `family` in a report of `command`.
pub fn help_uri(command: &str, family: &str) -> String {
    match command {
        "listen" => format!("{BOOK_URL}reference/catalogue-sender.html"),
        "vectors check" | "check --vectors" => format!("{BOOK_URL}test-vectors.html"),
        _ => format!("{BOOK_URL}reference/catalogue-check.html#{family}"),
    }
}

/// The stable fingerprint of a finding: hex SHA-256 of the case id, a newline, and the
/// target with its credentials removed.
pub fn fingerprint(case_id: &str, target: &str) -> String {
    let digest = Sha256::digest(format!("{case_id}\n{}", redact_userinfo_in_text(target)));
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn rule_level(level: Level) -> &'static str {
    match level {
        Level::Must => "error",
        Level::Should => "warning",
        Level::Info => "note",
    }
}

/// A rule name from a case id: `signature/empty-tag` is `SignatureEmptyTag`.
fn rule_name(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Renders the report as SARIF 2.1.0, every result located in `anchor` (already checked).
pub fn render(report: &Report, anchor: &str) -> String {
    let target = redact_userinfo_in_text(&report.target);
    let mut rules = Vec::new();
    let mut index_of = std::collections::HashMap::new();
    for case in &report.cases {
        if index_of.contains_key(case.id.as_str()) {
            continue;
        }
        index_of.insert(case.id.as_str(), rules.len());
        rules.push(rule(report, case));
    }
    let results: Vec<Value> = report
        .breaches()
        .map(|case| result(case, index_of[case.id.as_str()], &target, anchor))
        .collect();
    let notifications: Vec<Value> = report
        .notes
        .iter()
        .map(|note| {
            json!({
                "level": "warning",
                "message": { "text": redact_userinfo_in_text(note) },
            })
        })
        .collect();
    let mut invocation = json!({
        "executionSuccessful": true,
        "startTimeUtc": report.started_at,
        "toolExecutionNotifications": notifications,
    });
    if let Some(end) = end_time(report) {
        invocation["endTimeUtc"] = json!(end);
    }
    if let Some(line) = &report.command_line {
        invocation["commandLine"] = json!(redact_userinfo_in_text(line));
    }
    let mut properties = json!({
        "target": target,
        "strict": report.strict,
        "outcome": report.outcome(),
        "summary": report.summary,
        "notes": report.notes.iter().map(|n| redact_userinfo_in_text(n)).collect::<Vec<_>>(),
    });
    if let Some(scheme) = &report.scheme {
        properties["scheme"] = json!(scheme);
    }
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "hookspec",
                    "fullName": format!("hookspec {}", report.version),
                    "version": report.version,
                    "semanticVersion": report.version,
                    "informationUri": BOOK_URL,
                    "rules": rules,
                }
            },
            "automationDetails": { "id": format!("hookspec/{}/", category(&report.command)) },
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": properties,
        }]
    });
    let mut text = serde_json::to_string_pretty(&log).expect("a JSON value always serializes");
    text.push('\n');
    text
}

fn rule(report: &Report, case: &CaseResult) -> Value {
    let help_uri = help_uri(&report.command, &case.family);
    let mut tags = vec![json!("hookspec"), json!(case.family)];
    if let Some(class) = case.bug_class
        && let Ok(Value::String(name)) = serde_json::to_value(class)
    {
        tags.push(json!(name));
    }
    json!({
        "id": case.id,
        "name": rule_name(&case.id),
        "shortDescription": { "text": case.title },
        "fullDescription": { "text": case.rule },
        "defaultConfiguration": { "level": rule_level(case.level) },
        "help": {
            "text": format!(
                "{} [{}] {}\nA conformant target: {}.\nSee {help_uri}",
                case.title,
                case.level.as_str(),
                case.rule,
                case.expected
            ),
        },
        "helpUri": help_uri,
        "properties": { "tags": tags, "level": case.level.as_str() },
    })
}

fn result(case: &CaseResult, rule_index: usize, target: &str, anchor: &str) -> Value {
    let level = match case.verdict {
        Verdict::Failed => "error",
        _ => "warning",
    };
    let mut properties = json!({
        "verdict": case.verdict,
        "level": case.level.as_str(),
        "target": target,
        "expected": case.expected,
        "observed": case.observed.to_string(),
    });
    if let Some(sent) = &case.sent {
        properties["sent"] = json!(sent);
    }
    if let Some(repro) = &case.repro {
        properties["repro"] = json!(repro);
    }
    json!({
        "ruleId": case.id,
        "ruleIndex": rule_index,
        "level": level,
        "message": {
            "text": format!(
                "{} ({}): {}. Expected: {}. Observed: {}. Target: {target}.",
                case.id,
                case.verdict,
                case.message.trim_end_matches('.'),
                case.expected.trim_end_matches('.'),
                case.observed.to_string().trim_end_matches('.')
            )
        },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": anchor },
                "region": { "startLine": 1 },
            }
        }],
        "partialFingerprints": { FINGERPRINT: fingerprint(&case.id, target) },
        "properties": properties,
    })
}

/// The command as one word for the run's category: `check --vectors` is `check-vectors`.
fn category(command: &str) -> String {
    command
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// `started_at` plus the duration, RFC 3339 UTC, when `started_at` parses.
fn end_time(report: &Report) -> Option<String> {
    let start = humantime::parse_rfc3339(&report.started_at).ok()?;
    let end = start + std::time::Duration::from_millis(report.duration_ms);
    Some(humantime::format_rfc3339_millis(end).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{self, PASSWORD};

    /// The official SARIF 2.1.0 schema (tests/data/README.md says where it comes from).
    const SCHEMA: &str = include_str!("../../tests/data/sarif-schema-2.1.0.json");

    /// Validates `log` against the official schema, with format assertions (`uri`,
    /// `uri-reference`, `date-time`) on.
    fn assert_schema_valid(log: &Value) {
        let schema: Value = serde_json::from_str(SCHEMA).unwrap();
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.enable_format_assertions();
        compiler
            .add_resource("sarif-schema-2.1.0.json", schema)
            .unwrap();
        let index = compiler
            .compile("sarif-schema-2.1.0.json", &mut schemas)
            .unwrap();
        if let Err(e) = schemas.validate(log, index) {
            panic!("not valid SARIF 2.1.0: {e:#}\n{log:#}");
        }
    }

    fn log(report: &Report, anchor: &str) -> Value {
        serde_json::from_str(&render(report, anchor)).unwrap()
    }

    #[test]
    fn matches_the_official_schema() {
        assert_schema_valid(&log(&fixture::mixed(), DEFAULT_ANCHOR));
        assert_schema_valid(&log(&fixture::empty(), "ci/hookspec.toml"));
        assert_schema_valid(&log(&fixture::many(300, 50), DEFAULT_ANCHOR));
    }

    #[test]
    fn the_schema_check_catches_a_broken_log() {
        let mut broken = log(&fixture::mixed(), DEFAULT_ANCHOR);
        broken["runs"][0]["results"][0]["level"] = json!("fatal");
        let schema: Value = serde_json::from_str(SCHEMA).unwrap();
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.add_resource("s.json", schema).unwrap();
        let index = compiler.compile("s.json", &mut schemas).unwrap();
        assert!(schemas.validate(&broken, index).is_err());
    }

    #[test]
    fn driver_and_one_rule_per_case_that_ran() {
        let report = fixture::mixed();
        let log = log(&report, DEFAULT_ANCHOR);
        assert_eq!(log["$schema"], SCHEMA_URI);
        assert_eq!(log["version"], "2.1.0");
        let driver = &log["runs"][0]["tool"]["driver"];
        assert_eq!(driver["name"], "hookspec");
        assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(driver["informationUri"], BOOK_URL);
        let rules = driver["rules"].as_array().unwrap();
        assert_eq!(rules.len(), report.cases.len());
        let rule = rules
            .iter()
            .find(|r| r["id"] == "signature/empty-tag")
            .unwrap();
        assert_eq!(rule["name"], "SignatureEmptyTag");
        assert_eq!(
            rule["shortDescription"]["text"],
            "Title of signature/empty-tag"
        );
        assert_eq!(
            rule["fullDescription"]["text"],
            "R13: the rule of signature/empty-tag"
        );
        assert_eq!(rule["defaultConfiguration"]["level"], "error");
        assert_eq!(
            rule["helpUri"],
            format!("{BOOK_URL}reference/catalogue-check.html#signature")
        );
        assert!(
            rule["help"]["text"]
                .as_str()
                .unwrap()
                .contains("catalogue-check.html#signature")
        );
        assert_eq!(
            rule["properties"]["tags"],
            json!(["hookspec", "signature", "auth_bypass"])
        );
        let levels: Vec<&str> = rules
            .iter()
            .map(|r| r["defaultConfiguration"]["level"].as_str().unwrap())
            .collect();
        assert_eq!(levels, ["error", "note", "error", "warning", "error"]);
    }

    #[test]
    fn one_result_per_failed_and_non_strict_case() {
        let report = fixture::mixed();
        let log = log(&report, DEFAULT_ANCHOR);
        let results = log["runs"][0]["results"].as_array().unwrap();
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        let got: Vec<(&str, &str)> = results
            .iter()
            .map(|r| (r["ruleId"].as_str().unwrap(), r["level"].as_str().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("signature/empty-tag", "error"),
                ("signature/extra-comma", "warning")
            ]
        );
        for r in results {
            let index = usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap();
            assert_eq!(rules[index]["id"], r["ruleId"]);
            assert!(
                r["message"]["text"]
                    .as_str()
                    .unwrap()
                    .contains("accepted (status 200)")
            );
            assert_eq!(
                r["properties"]["target"],
                "https://staging.example.com/hook"
            );
            assert!(
                r["properties"]["repro"]
                    .as_str()
                    .unwrap()
                    .starts_with("curl ")
            );
        }
        assert!(!render(&report, DEFAULT_ANCHOR).contains(PASSWORD));
        // Notes are tool notifications and run properties.
        let notes = &log["runs"][0]["invocations"][0]["toolExecutionNotifications"];
        assert_eq!(notes.as_array().unwrap().len(), 2);
        assert!(
            notes[0]["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("--insecure")
        );
        assert_eq!(log["runs"][0]["properties"]["scheme"], "v1");
        assert_eq!(
            log["runs"][0]["invocations"][0]["endTimeUtc"],
            "1970-01-01T00:00:00.612Z"
        );
    }

    #[test]
    fn every_result_has_a_repository_location_never_the_url() {
        let report = fixture::many(50, 10);
        for anchor in [DEFAULT_ANCHOR, "ci/hookspec.toml"] {
            let log = log(&report, anchor);
            let results = log["runs"][0]["results"].as_array().unwrap();
            assert_eq!(results.len(), 50);
            for r in results {
                let location = &r["locations"][0]["physicalLocation"];
                let uri = location["artifactLocation"]["uri"]
                    .as_str()
                    .expect("every result has a location");
                assert_eq!(uri, anchor);
                assert!(!uri.contains("://") && !uri.starts_with('/'));
                assert_eq!(location["region"]["startLine"], 1);
            }
        }
        // The endpoint URL is never an artifact URI anywhere in the log.
        let text = render(&fixture::mixed(), DEFAULT_ANCHOR);
        let log: Value = serde_json::from_str(&text).unwrap();
        let mut uris = Vec::new();
        collect_artifact_uris(&log, &mut uris);
        assert!(!uris.is_empty());
        assert!(uris.iter().all(|u| u == DEFAULT_ANCHOR), "{uris:?}");
    }

    fn collect_artifact_uris(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    if key == "artifactLocation" {
                        out.push(v["uri"].as_str().unwrap_or_default().to_string());
                    }
                    collect_artifact_uris(v, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| collect_artifact_uris(v, out)),
            _ => {}
        }
    }

    #[test]
    fn fingerprints_are_stable_and_per_case_and_target() {
        let a = log(&fixture::mixed(), DEFAULT_ANCHOR);
        let b = log(&fixture::mixed(), DEFAULT_ANCHOR);
        let fp = |log: &Value, i: usize| {
            log["runs"][0]["results"][i]["partialFingerprints"][FINGERPRINT].clone()
        };
        assert_eq!(fp(&a, 0), fp(&b, 0));
        assert_ne!(fp(&a, 0), fp(&a, 1));
        // The credentials do not change it; the target does.
        assert_eq!(
            fingerprint("signature/empty-tag", "https://u:p@h/x"),
            fingerprint("signature/empty-tag", "https://h/x")
        );
        assert_ne!(
            fingerprint("a/b", "https://h/x"),
            fingerprint("a/b", "https://h/y")
        );
        // hex SHA-256 of "signature/empty-tag\nhttps://staging.example.com/hook".
        let expected: String =
            Sha256::digest(b"signature/empty-tag\nhttps://staging.example.com/hook")
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
        assert_eq!(fp(&a, 0), json!(expected));
    }

    #[test]
    fn anchors_must_be_repository_relative() {
        assert_eq!(anchor("hookspec.toml").unwrap(), "hookspec.toml");
        assert_eq!(anchor("./ci//hookspec.toml").unwrap(), "ci/hookspec.toml");
        assert_eq!(anchor("ci\\hookspec.toml").unwrap(), "ci/hookspec.toml");
        for (bad, code) in [
            ("", "sarif_anchor_empty"),
            ("./", "sarif_anchor_empty"),
            ("/etc/hookspec.toml", "sarif_anchor_absolute"),
            ("C:\\ci\\hookspec.toml", "sarif_anchor_absolute"),
            ("\\\\server\\share", "sarif_anchor_absolute"),
            ("../hookspec.toml", "sarif_anchor_outside"),
            ("ci/../../x", "sarif_anchor_outside"),
            ("https://example.com/hook", "sarif_anchor_url"),
            ("file:hookspec.toml", "sarif_anchor_url"),
        ] {
            assert_eq!(anchor(bad).unwrap_err().code(), code, "{bad}");
        }
        assert!(Sarif::new("/abs").is_err());
    }

    #[test]
    fn help_uris_name_the_book_pages() {
        assert_eq!(
            help_uri("check", "jwks"),
            format!("{BOOK_URL}reference/catalogue-check.html#jwks")
        );
        assert_eq!(
            help_uri("listen", "sender"),
            format!("{BOOK_URL}reference/catalogue-sender.html")
        );
        assert_eq!(
            help_uri("vectors check", "v1"),
            format!("{BOOK_URL}test-vectors.html")
        );
    }
}
