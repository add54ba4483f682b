//! The committed vector corpus (`vectors/*.json` at the repository root) against this
//! crate's verifiers, with nothing in between: every test's delivery, verified at its
//! `reference_now` with the group's keys, must give the test's `result` and error code.
//!
//! The CLI runs the same corpus end to end (`hookspec vectors check --builtin`); this copy
//! lets the verifier crate prove itself, and lets mutation testing (`scripts/mutants.sh`)
//! judge a change to the verifier in seconds. The configuration mirrors the engine's
//! reference answerer (`hookspec_engine::vectors::reference`): secrets and public keys
//! through `parse`, the default `Verifier`, and for `v1a-jwks` / `jwt` a `JwksVerifier`
//! restricted to the file's scheme with the group's audience, issuer and body binding
//! (those two files need the `jwks` feature, which `cargo test --workspace` enables).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hookspec::{ErrorCode, PublicKey, Scheme, Secret, Verifier};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors")
}

/// What the verifier answered: `Ok` on acceptance, or the refusal's code.
type Answer = Result<(), String>;

fn answer_plain(group: &Value, headers: &[(String, String)], body: &[u8], now: u64) -> Answer {
    let mut verifier = Verifier::new();
    for text in strings(&group["secrets"]) {
        verifier = verifier.with_secret(Secret::parse(text).map_err(|e| e.code().to_string())?);
    }
    for text in strings(&group["public_keys"]) {
        verifier =
            verifier.with_public_key(PublicKey::parse(text).map_err(|e| e.code().to_string())?);
    }
    verifier
        .verify_at(headers, body, now)
        .map(|_| ())
        .map_err(|e| e.code().to_string())
}

#[cfg(feature = "jwks")]
fn answer_jwks(
    scheme: Scheme,
    group: &Value,
    headers: &[(String, String)],
    body: &[u8],
    now: u64,
) -> Answer {
    use hookspec::{Jwks, JwksVerifier};
    let document = group["jwks"].to_string();
    let jwks = Jwks::parse(document.as_bytes()).map_err(|e| e.code().to_string())?;
    let binding = group["jwt_body_binding"].as_bool().unwrap_or(false);
    let mut verifier = JwksVerifier::new()
        .only(scheme)
        .require_body_binding(binding);
    if let Some(audience) = group["jwt_audience"].as_str() {
        verifier = verifier.audience(audience);
    }
    if let Some(issuer) = group["jwt_issuer"].as_str() {
        verifier = verifier.issuer(issuer);
    }
    verifier
        .verify_at(&jwks, headers, body, now)
        .map(|_| ())
        .map_err(|e| e.code().to_string())
}

#[cfg(not(feature = "jwks"))]
fn answer_jwks(scheme: Scheme, _: &Value, _: &[(String, String)], _: &[u8], _: u64) -> Answer {
    panic!("{scheme} vectors need the jwks feature")
}

fn strings(value: &Value) -> impl Iterator<Item = &str> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v.as_str().expect("a key is a string"))
}

/// Runs every test of one file; returns how many ran, panicking with every disagreement.
fn run_file(name: &str) -> usize {
    let text = std::fs::read_to_string(vectors_dir().join(name)).expect("committed vector file");
    let file: Value = serde_json::from_str(&text).expect("vector file is JSON");
    let scheme = Scheme::parse(file["scheme"].as_str().expect("scheme")).expect("known scheme");
    let mut ran = 0;
    let mut wrong = Vec::new();
    for group in file["testGroups"].as_array().expect("testGroups") {
        for test in group["tests"].as_array().expect("tests") {
            let tc_id = &test["tcId"];
            let headers: Vec<(String, String)> = test["headers"]
                .as_array()
                .expect("headers")
                .iter()
                .map(|pair| {
                    let field = |i: usize| pair[i].as_str().expect("header text").to_string();
                    (field(0), field(1))
                })
                .collect();
            let body = STANDARD
                .decode(test["body_b64"].as_str().expect("body_b64"))
                .expect("body is base64");
            let now = test["reference_now"].as_u64().expect("reference_now");
            let got = if scheme.uses_jwks() {
                answer_jwks(scheme, group, &headers, &body, now)
            } else {
                answer_plain(group, &headers, &body, now)
            };
            let error = test["error"].as_str();
            let agrees = match (test["result"].as_str().expect("result"), error) {
                ("valid", _) | (_, None) => got.is_ok(),
                (_, Some(code)) => got.as_ref().err().map(String::as_str) == Some(code),
            };
            if !agrees {
                wrong.push(format!(
                    "{name} tc {tc_id}: expected {} {error:?}, got {got:?}",
                    test["result"]
                ));
            }
            ran += 1;
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(Some(ran as u64), file["numberOfTests"].as_u64(), "{name}");
    ran
}

#[test]
fn v1_vectors() {
    assert!(run_file("v1.json") > 400);
}

#[test]
fn v1a_vectors() {
    assert!(run_file("v1a.json") > 50);
}

#[cfg(feature = "jwks")]
#[test]
fn v1a_jwks_vectors() {
    assert!(run_file("v1a-jwks.json") > 40);
}

#[cfg(feature = "jwks")]
#[test]
fn jwt_vectors() {
    assert!(run_file("jwt.json") > 80);
}
