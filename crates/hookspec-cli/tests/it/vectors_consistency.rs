//! `check` and the vectors agree on what the strict profile leaves to the receiver.
//!
//! Two lists describe the same latitude: the cases `check` grades INFORMATIONAL (recorded,
//! never a finding) and the vectors marked `acceptable` (either answer agrees). They are
//! written in different places (`cases/`, `vectors/corpus/`), so nothing but this test keeps
//! them from drifting apart, as they once did: `check` graded a non-ASCII `webhook-id` and a
//! repeated `webhook-signature` INFORMATIONAL while `v1.json` called both `invalid`.
//!
//! The mapping is [`informational`], one row per INFORMATIONAL case of the whole catalogue
//! (every scheme), saying how the vectors freeze that behaviour:
//!
//! * [`Frozen::Acceptable`]: a [`Selector`] recognises the vectors that show the behaviour,
//!   from what the vector sends (headers, body, token, group configuration; flags only where
//!   the request cannot tell). There must be at least one, and every one must be
//!   `acceptable`: a selected `valid` or `invalid` vector is the disagreement this test is
//!   for.
//! * [`Frozen::Valid`]: the case is INFORMATIONAL for a reason that lies outside signature
//!   verification (an endpoint may refuse a body it cannot parse after verifying it), and
//!   the selected vectors, which test verification only, are all `valid`. The reason is
//!   stated in the row.
//! * [`Frozen::Never`]: the case measures something no single delivery shows (a latency);
//!   the reason is stated.
//!
//! Then [`vector_only`] lists the `acceptable` vectors whose behaviour `check` never sends,
//! each with why; its selectors obey the same rule (at least one vector, every one
//! `acceptable`).
//!
//! The test fails when: `check` grades a case INFORMATIONAL that has no row, or a row names
//! a case that is not INFORMATIONAL (a level changed); a selector matches nothing (the
//! vectors lost the behaviour) or matches a vector with another result (they disagree); or
//! an `acceptable` vector is matched by no selector (the vectors leave a choice that `check`
//! does not, or that nobody explained).

use std::collections::BTreeSet;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hookspec_engine::cases::catalogue;
use hookspec_engine::report::Level;
use hookspec_engine::vectors::{Expected, TestGroup, TestVector, VectorFile};

/// Which vectors show a behaviour.
struct Selector {
    /// The behaviour, for messages.
    what: &'static str,
    /// Whether a test (of the file with this `scheme`, in this group) shows it.
    matches: fn(&str, &TestGroup, &TestVector) -> bool,
}

/// How the vectors freeze one INFORMATIONAL behaviour of `check`.
enum Frozen {
    /// Every selected vector is `acceptable`, and there is at least one.
    Acceptable(Selector),
    /// Every selected vector is `valid` (at least one): the case is INFORMATIONAL for this
    /// reason, which verification (what vectors test) does not share.
    Valid(Selector, &'static str),
    /// No vector can freeze it, for this reason.
    Never(&'static str),
}

/// Every case `check` grades INFORMATIONAL, and how the vectors freeze it.
fn informational() -> Vec<(&'static str, Frozen)> {
    vec![
        (
            "headers/repeated-signature-field",
            Frozen::Acceptable(Selector {
                what: "two or more webhook-signature fields",
                matches: |_, _, t| count(t, "webhook-signature") >= 2,
            }),
        ),
        (
            "headers/svix-aliases-only",
            Frozen::Acceptable(Selector {
                what: "svix-* headers and no webhook-* header",
                matches: |_, _, t| {
                    let has = |prefix: &str| {
                        t.headers
                            .iter()
                            .any(|(k, _)| k.to_ascii_lowercase().starts_with(prefix))
                    };
                    has("svix-") && !has("webhook-")
                },
            }),
        ),
        (
            "headers/non-ascii-id",
            Frozen::Acceptable(Selector {
                what: "a webhook-id with a byte outside visible ASCII (non-ASCII, a space)",
                matches: |_, _, t| {
                    value(t, "webhook-id")
                        .is_some_and(|id| id.bytes().any(|b| !b.is_ascii_graphic()))
                },
            }),
        ),
        (
            "signature/boundary-shift",
            Frozen::Valid(
                Selector {
                    what: "a v1 delivery whose body starts `<digits>.` and whose id has no `.` (C53)",
                    matches: |scheme, _, t| {
                        let body = t.body().unwrap_or_default();
                        let digits = body.iter().take_while(|b| b.is_ascii_digit()).count();
                        scheme == "v1"
                            && digits > 0
                            && body.get(digits) == Some(&b'.')
                            && value(t, "webhook-id").is_some_and(|id| !id.contains('.'))
                    },
                },
                "the delivery is correctly signed, so a verifier must accept it; check grades it INFORMATIONAL because its body is not JSON, and an endpoint may refuse what it cannot parse after verifying it",
            ),
        ),
        (
            "timestamp/window-past",
            Frozen::Acceptable(Selector {
                what: "a webhook-timestamp exactly 300 s before now",
                matches: |_, _, t| timestamp_offset(t) == Some(-300),
            }),
        ),
        (
            "timestamp/window-future",
            Frozen::Acceptable(Selector {
                what: "a webhook-timestamp exactly 300 s after now",
                matches: |_, _, t| timestamp_offset(t) == Some(300),
            }),
        ),
        (
            "response/ack-latency",
            Frozen::Never("a latency over the whole run, not a verdict on one delivery"),
        ),
        (
            "jwt/body-replay",
            Frozen::Acceptable(Selector {
                what: "a JWT without body_sha256, to a receiver that does not enforce the binding claims, replayed with another body",
                // The token names no body, so only the vector says it was made for another:
                // its flag and its comment.
                matches: |scheme, g, t| {
                    scheme == "jwt"
                        && !g.jwt_body_binding
                        && claims(t).is_some_and(|c| !c.contains_key("body_sha256"))
                        && has_flag(t, "NoBodyBinding")
                        && t.comment.contains("replayed")
                },
            }),
        ),
    ]
}

/// The `acceptable` vectors whose behaviour `check` never sends, with why.
fn vector_only() -> Vec<(Selector, &'static str)> {
    vec![
        (
            Selector {
                what: "webhook-id or webhook-timestamp repeated with a byte-identical value",
                matches: |_, _, t| {
                    ["webhook-id", "webhook-timestamp"].iter().any(|name| {
                        let values: BTreeSet<&str> = t
                            .headers
                            .iter()
                            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                            .map(|(_, v)| v.as_str())
                            .collect();
                        count(t, name) >= 2 && values.len() == 1
                    })
                },
            },
            "check repeats these fields only with different values (headers/conflicting-*-fields, which must be rejected); HTTP intermediaries may join identical repeats with `, `, so the vectors leave those to the receiver",
        ),
        (
            Selector {
                what: "a JWT time within 60 s of the wrong side of now (ClockSkew)",
                matches: |_, _, t| has_flag(t, "ClockSkew"),
            },
            "check sends times an hour off (jwt/expired, jwt/not-yet-valid); a leeway of up to a minute is the receiver's choice",
        ),
        (
            Selector {
                what: "a v1a entry sent to a JWT receiver (BothSchemes)",
                matches: |_, _, t| has_flag(t, "BothSchemes"),
            },
            "a jwt run of check sends tokens only",
        ),
        (
            Selector {
                what: "a JOSE header with a member twice (DuplicateHeaderMember)",
                matches: |_, _, t| has_flag(t, "DuplicateHeaderMember"),
            },
            "check sends no token with a repeated header member; RFC 7515 section 4 lets a parser reject it or use the last member",
        ),
    ]
}

/// How many headers called `name` (case-insensitive) the test sends.
fn count(t: &TestVector, name: &str) -> usize {
    t.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .count()
}

/// The first value of header `name` (case-insensitive).
fn value<'a>(t: &'a TestVector, name: &str) -> Option<&'a str> {
    t.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn has_flag(t: &TestVector, flag: &str) -> bool {
    t.flags.iter().any(|f| f == flag)
}

/// `webhook-timestamp` (or `svix-timestamp`) minus `reference_now`, when it is a plain
/// integer.
fn timestamp_offset(t: &TestVector) -> Option<i128> {
    let ts = value(t, "webhook-timestamp").or_else(|| value(t, "svix-timestamp"))?;
    let ts: i128 = ts
        .parse()
        .ok()
        .filter(|_| ts.bytes().all(|b| b.is_ascii_digit()))?;
    Some(ts - i128::from(t.reference_now))
}

/// The claims of the test's token, when its `webhook-signature` is a JWT.
fn claims(t: &TestVector) -> Option<serde_json::Map<String, serde_json::Value>> {
    let segment = value(t, "webhook-signature")?.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).ok()?).ok()
}

fn files() -> Vec<VectorFile> {
    ["v1.json", "v1a.json", "v1a-jwks.json", "jwt.json"]
        .iter()
        .map(|name| {
            let path = Path::new(root!()).join("vectors").join(name);
            let text = std::fs::read_to_string(&path).expect("committed vector file");
            VectorFile::from_json(&text).expect("committed vector file parses")
        })
        .collect()
}

/// The vectors `selector` matches: (file scheme, tcId, comment, result).
fn selected(files: &[VectorFile], selector: &Selector) -> Vec<(String, u32, String, Expected)> {
    files
        .iter()
        .flat_map(|f| {
            f.tests()
                .filter(|(g, t)| (selector.matches)(&f.scheme, g, t))
                .map(|(_, t)| (f.scheme.clone(), t.tc_id, t.comment.clone(), t.result))
        })
        .collect()
}

/// Every selected vector has `result`, and there is at least one.
fn all_are(
    files: &[VectorFile],
    selector: &Selector,
    result: Expected,
    why: &str,
    errors: &mut Vec<String>,
) {
    let matched = selected(files, selector);
    if matched.is_empty() {
        errors.push(format!(
            "{why}: no vector shows \"{}\" any more",
            selector.what
        ));
    }
    for (scheme, tc, comment, got) in matched {
        if got != result {
            errors.push(format!(
                "{why}, but {scheme} #{tc} ({comment}), which shows \"{}\", is {}",
                selector.what,
                got.as_str()
            ));
        }
    }
}

#[test]
fn informational_cases_and_acceptable_vectors_agree() {
    let files = files();
    let table = informational();
    let mut errors = Vec::new();

    let graded: BTreeSet<&str> = catalogue()
        .iter()
        .filter(|case| case.level == Level::Info)
        .map(|case| case.id)
        .collect();
    let mapped: BTreeSet<&str> = table.iter().map(|(id, _)| *id).collect();
    for id in graded.difference(&mapped) {
        errors.push(format!(
            "check grades {id} INFORMATIONAL: add a row to informational() saying which vectors freeze it as acceptable (or why none can)"
        ));
    }
    for id in mapped.difference(&graded) {
        errors.push(format!(
            "informational() has a row for {id}, which check does not grade INFORMATIONAL"
        ));
    }

    let mut covering: Vec<&Selector> = Vec::new();
    for (id, frozen) in &table {
        match frozen {
            Frozen::Acceptable(selector) => {
                let why = format!("check grades {id} INFORMATIONAL");
                all_are(&files, selector, Expected::Acceptable, &why, &mut errors);
                covering.push(selector);
            }
            Frozen::Valid(selector, reason) => {
                let why = format!("{id} is frozen as valid ({reason})");
                all_are(&files, selector, Expected::Valid, &why, &mut errors);
            }
            Frozen::Never(reason) => {
                if reason.trim().is_empty() {
                    errors.push(format!("{id}: say why no vector can freeze it"));
                }
            }
        }
    }
    let exceptions = vector_only();
    for (selector, reason) in &exceptions {
        let why = format!("check never sends this ({reason})");
        all_are(&files, selector, Expected::Acceptable, &why, &mut errors);
        covering.push(selector);
    }

    for file in &files {
        for (group, test) in file.tests() {
            let covered = covering
                .iter()
                .any(|s| (s.matches)(&file.scheme, group, test));
            if test.result == Expected::Acceptable && !covered {
                errors.push(format!(
                    "{} #{} ({}) is acceptable, but no INFORMATIONAL case of check covers it and vector_only() does not explain it",
                    file.scheme, test.tc_id, test.comment
                ));
            }
        }
    }
    assert!(errors.is_empty(), "\n{}", errors.join("\n"));
}
