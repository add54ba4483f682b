//! Freezing a live run as vectors (`hookspec check --export-vectors DIR`).
//!
//! Every delivery a case sent with a definite expectation becomes a test vector: headers and
//! body exactly as sent, `reference_now` the second it was sent, timestamps as offsets from
//! it and signatures as templates (so the vector can be replayed at any clock with
//! [`super::replay`]). The expected result comes from the case *and* the reference verifier
//! with the run's trusted keys: a delivery only goes in when both agree (a stateful
//! expectation, such as a duplicate, cannot be frozen as a stateless vector).
//!
//! The files carry the run's keys, as every vector file must: export runs that used test
//! keys only.

use std::collections::BTreeMap;

use crate::cases::{Case, Expect, Keys, Sent};
use crate::report::BugClass;
use crate::vectors::format::{Expected, Note, SCHEMA_VERSION, TestGroup, VectorFile};
use crate::vectors::{Delivery as Frozen, freeze};
use hookspec::{ErrorCode, Verifier};

/// The exported files (`check-v1.json`, and `check-v1a.json` when the run had a signing
/// key), and how many deliveries could not be frozen.
#[derive(Debug)]
pub struct Export {
    /// File name and contents.
    pub files: Vec<(String, VectorFile)>,
    /// Deliveries left out because the reference verifier disagreed with a stateful
    /// expectation.
    pub skipped: usize,
}

/// Freezes the deliveries of a run.
pub fn export(sent: &[Sent], catalogue: &[Case], keys: &Keys) -> Export {
    let mut verifier = Verifier::new();
    for secret in &keys.secrets {
        verifier = verifier.with_secret(secret.clone());
    }
    if let Some(key) = &keys.signing_key {
        verifier = verifier.with_public_key(key.public_key());
    }
    let mut signing: Vec<String> = keys.secrets.iter().map(|s| s.to_whsec()).collect();
    signing.extend(keys.revoked.iter().map(|s| s.to_whsec()));
    signing.extend(keys.signing_key.iter().map(|k| k.to_whsk()));

    let (mut v1, mut v1a) = (Vec::new(), Vec::new());
    let mut notes = BTreeMap::new();
    let mut skipped = 0;
    for entry in sent {
        let Some(expect) = entry.expect else { continue };
        let delivery = &entry.probe.delivery;
        let headers: Vec<(String, String)> = delivery
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        if headers
            .iter()
            .zip(&delivery.headers)
            .any(|((_, text), (_, raw))| text.as_bytes() != raw.as_slice())
        {
            // Vector headers are text; a non-UTF-8 header value cannot be frozen exactly.
            skipped += 1;
            continue;
        }
        let reference = verifier.verify_at(delivery, &delivery.body, entry.at);
        let (result, error) = match (expect, &reference) {
            (Expect::Accept, Ok(_)) => (Expected::Valid, None),
            (Expect::Reject | Expect::RejectStatus, Err(e)) => {
                (Expected::Invalid, Some(e.code().to_string()))
            }
            (Expect::Either, r) => (
                Expected::Acceptable,
                r.as_ref().err().map(|e| e.code().to_string()),
            ),
            _ => {
                skipped += 1;
                continue;
            }
        };
        let case = catalogue.iter().find(|c| c.id == entry.case);
        let flag = flag_for(entry.case);
        notes.entry(flag.clone()).or_insert_with(|| Note {
            bug_type: case
                .map_or("EDGE_CASE", |c| bug_type(c.bug_class))
                .to_string(),
            description: format!(
                "Deliveries of `hookspec check`'s `{}` family, frozen from a live run.",
                entry.case.split('/').next().unwrap_or(entry.case)
            ),
            links: Vec::new(),
        });
        let label = if entry.probe.label.is_empty() {
            String::new()
        } else {
            format!(" [{}]", entry.probe.label)
        };
        let title = case.map_or("", |c| c.title);
        let list = if entry.case.starts_with("v1a/") {
            &mut v1a
        } else {
            &mut v1
        };
        let frozen = freeze(
            Frozen {
                tc_id: u32::try_from(list.len() + 1).unwrap_or(u32::MAX),
                comment: format!("{}{label}: {title}", entry.case),
                flags: vec![flag],
                now: entry.at,
                headers: &headers,
                body: &delivery.body,
                result,
                error,
            },
            &signing,
        );
        list.push(frozen);
    }
    let group = |tests| TestGroup {
        comment: "the keys the endpoint trusted during the run".to_string(),
        secrets: keys.secrets.iter().map(|s| s.to_whsec()).collect(),
        public_keys: keys
            .signing_key
            .iter()
            .map(|k| k.public_key().to_whpk())
            .collect(),
        jwks: None,
        jwt_audience: None,
        jwt_issuer: None,
        jwt_body_binding: false,
        tests,
    };
    let mut files = Vec::new();
    for (scheme, tests) in [("v1", v1), ("v1a", v1a)] {
        if tests.is_empty() {
            continue;
        }
        let file = VectorFile {
            scheme: scheme.to_string(),
            schema: SCHEMA_VERSION.to_string(),
            number_of_tests: tests.len(),
            header: vec![
                "Frozen from a `hookspec check` run with `--export-vectors`.".to_string(),
                "Replay with `hookspec check URL --vectors FILE` or check a library with `hookspec vectors check`.".to_string(),
            ],
            notes: notes.clone(),
            test_groups: vec![group(tests)],
        };
        files.push((format!("check-{scheme}.json"), file));
    }
    for (_, file) in &mut files {
        let used: Vec<String> = file.tests().flat_map(|(_, t)| t.flags.clone()).collect();
        file.notes.retain(|flag, _| used.contains(flag));
    }
    Export { files, skipped }
}

/// `timestamp/window-past` → `CheckTimestamp`.
fn flag_for(case: &str) -> String {
    let family = case.split('/').next().unwrap_or(case);
    let mut flag = String::from("Check");
    let mut upper = true;
    for c in family.chars() {
        if c.is_ascii_alphanumeric() {
            flag.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    flag
}

fn bug_type(class: BugClass) -> &'static str {
    match class {
        BugClass::AuthBypass => "AUTH_BYPASS",
        BugClass::Replay => "REPLAY",
        BugClass::Freshness => "FRESHNESS",
        BugClass::Rotation => "ROTATION",
        BugClass::Canonicalization => "CANONICALIZATION",
        BugClass::MalformedInput => "MALFORMED_INPUT",
        _ => "EDGE_CASE",
    }
}
