//! The committed corpus: byte-for-byte regeneration, JSON Schema validity, the published
//! known-answer values, format checks, and freezing a delivery into a vector.

use std::path::{Path, PathBuf};
use std::process::Command;

use hookspec_engine::vectors::format::{Computed, Expected, Part};
use hookspec_engine::vectors::harness::reference_matches;
use hookspec_engine::vectors::protocol::Request;
use hookspec_engine::vectors::{Delivery, VectorFile, corpus, freeze, reference, request_at};

const FILES: [&str; 4] = ["v1.json", "v1a.json", "v1a-jwks.json", "jwt.json"];

fn committed(name: &str) -> PathBuf {
    Path::new(root!()).join("vectors").join(name)
}

fn load(name: &str) -> VectorFile {
    let text = std::fs::read_to_string(committed(name)).expect("committed vector file");
    VectorFile::from_json(&text).expect("committed vector file parses")
}

#[test]
fn regenerating_reproduces_the_committed_files_byte_for_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let status = Command::new(env!("CARGO_BIN_EXE_hookspec"))
        .args(["vectors", "generate", "--out"])
        .arg(dir.path())
        .output()
        .expect("run hookspec");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    for name in FILES {
        let fresh = std::fs::read(dir.path().join(name)).expect("generated file");
        let kept = std::fs::read(committed(name)).expect("committed file");
        assert!(
            fresh == kept,
            "{name} differs from the committed file: run `cargo run -- vectors generate --out vectors`"
        );
    }
    // And twice in one process (no hidden randomness or iteration-order dependence).
    let a: Vec<String> = corpus::generate()
        .unwrap()
        .iter()
        .map(|(_, f)| f.to_json())
        .collect();
    let b: Vec<String> = corpus::generate()
        .unwrap()
        .iter()
        .map(|(_, f)| f.to_json())
        .collect();
    assert_eq!(a, b);
}

fn schema() -> (boon::Schemas, boon::SchemaIndex) {
    let path = committed("schema/vectors.schema.json");
    let text = std::fs::read_to_string(&path).expect("schema file");
    let value: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("vectors.schema.json", value)
        .expect("schema resource");
    let index = compiler
        .compile("vectors.schema.json", &mut schemas)
        .expect("schema compiles");
    (schemas, index)
}

#[test]
fn the_schema_validates_every_committed_file() {
    let (schemas, index) = schema();
    for name in FILES {
        let text = std::fs::read_to_string(committed(name)).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        if let Err(e) = schemas.validate(&value, index) {
            panic!("{name} does not match the schema: {e}");
        }
    }
}

#[test]
fn the_schema_rejects_broken_files() {
    let (schemas, index) = schema();
    let text = std::fs::read_to_string(committed("v1.json")).unwrap();
    let good: serde_json::Value = serde_json::from_str(&text).unwrap();
    type Breakage = (&'static str, fn(&mut serde_json::Value));
    let breakages: [Breakage; 9] = [
        ("tcId removed", |v| {
            v["testGroups"][0]["tests"][0]
                .as_object_mut()
                .unwrap()
                .remove("tcId");
        }),
        ("invalid without error", |v| {
            let t = v["testGroups"][0]["tests"][20].as_object_mut().unwrap();
            assert_eq!(t["result"], "invalid");
            t.remove("error");
        }),
        ("unknown result", |v| {
            v["testGroups"][0]["tests"][0]["result"] = "maybe".into()
        }),
        ("unknown field", |v| {
            v["testGroups"][0]["tests"][0]["extra"] = 1.into()
        }),
        ("unknown mutation", |v| {
            v["testGroups"][0]["tests"][0]["resign"][0]["value"] = serde_json::json!([{"sig": {"scheme": "v1", "key": "whsec_AAAA", "text": ["rot13"]}}]);
        }),
        ("unknown JWT signing method", |v| {
            v["testGroups"][0]["tests"][0]["resign"][0]["value"] =
                serde_json::json!([{"jwt": {"sign": "es256", "header": "{}", "claims": ["{}"]}}]);
        }),
        ("unknown token mutation", |v| {
            v["testGroups"][0]["tests"][0]["resign"][0]["value"] = serde_json::json!([{"jwt": {"sign": "unsigned", "header": "{}", "claims": ["{}"], "text": [{"rot13": 1}]}}]);
        }),
        ("a non-string audience", |v| {
            v["testGroups"][0]["jwt_audience"] = 1.into();
        }),
        ("a non-boolean binding declaration", |v| {
            v["testGroups"][0]["jwt_body_binding"] = "yes".into();
        }),
    ];
    for (what, breakage) in breakages {
        let mut broken = good.clone();
        breakage(&mut broken);
        assert!(
            schemas.validate(&broken, index).is_err(),
            "schema accepted a file with {what}"
        );
    }
}

#[test]
fn the_loader_rejects_inconsistent_files() {
    let text = std::fs::read_to_string(committed("v1.json")).unwrap();
    let good: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut count = good.clone();
    count["numberOfTests"] = 1.into();
    let mut dup = good.clone();
    dup["testGroups"][0]["tests"][1]["tcId"] = 1.into();
    let mut flag = good.clone();
    flag["testGroups"][0]["tests"][0]["flags"] = serde_json::json!(["NoSuchFlag"]);
    for (what, v) in [
        ("count", count),
        ("duplicate id", dup),
        ("unknown flag", flag),
    ] {
        assert!(
            VectorFile::from_json(&v.to_string()).is_err(),
            "loader accepted {what}"
        );
    }
}

fn header(file: &VectorFile, comment_prefix: &str, name: &str) -> String {
    let (_, test) = file
        .tests()
        .find(|(_, t)| t.comment.starts_with(comment_prefix))
        .unwrap_or_else(|| panic!("no test {comment_prefix}"));
    test.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("{comment_prefix}: no {name}"))
}

/// Values computed independently (Python hmac / cryptography) in the Standard Webhooks
/// research, compared with what the generator wrote.
#[test]
fn published_known_answers_match() {
    let v1 = load("v1.json");
    let v1a = load("v1a.json");
    let sig = |f: &VectorFile, c: &str| header(f, c, "webhook-signature");
    let cases = [
        ("V1:", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        ("C02: V2", "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="),
        (
            "V3: 1 MiB",
            "v1,txpEUxqWZJ5nteTnymUVa+7C4NHpBeXJ6CsBAW0c3/A=",
        ),
        (
            "V3b: 256 KiB body",
            "v1,Mw4Pe2WgApuT7NSqnSq0PQPV9gbLdggCl9B865x5Xh0=",
        ),
        (
            "V3b: 256 KiB - 1",
            "v1,NTItnqyWMoFhk2Bbe5V/BMdcFRWgcSQaTgqLHX7FC7c=",
        ),
        ("C04:", "v1,v48jdbgvh29KJz2Qc+ghw8G6vG3nAKnujWBg8oM/62A="),
        ("C10:", "v1,BbrBopkxy1IaPTmLxhGOIjtynRWNh3UqphKDPFaJ1cU="),
        ("C13:", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="),
        ("C16:", "v1,g0hM9S"),
        ("C21:", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF="),
        ("C23:", "v1,g0hM9SsE-OTPJTGt_tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        (
            "C40: `+` sign, signed over the raw",
            "v1,JQsSpSSK1m9NI2FueDRZN3FL/jU9336idQcq6VmF+c8=",
        ),
        (
            "C41: leading zero, signed over the raw",
            "v1,HIx6LAZYyqSIVlrnt3IQyW4sH3DpS7I7MvDYauyP37k=",
        ),
        (
            "C42: leading space, signed over the raw",
            "v1,ROfCFnlPtGjD7sooi5b7LBekXx2HRhyeqeQohAawic8=",
        ),
        ("C52:", "v1,a0DwPpW0001QhtGv4VXO21ii0IAGKy0j8okbbgoOzWQ="),
        (
            "C53: id `msg_x`,",
            "v1,I2mG+dYTFY2+qEc/LQf+G8TrDxroRvbqN/es5p4wBe8=",
        ),
        (
            "C53: id `msg_x.",
            "v1,I2mG+dYTFY2+qEc/LQf+G8TrDxroRvbqN/es5p4wBe8=",
        ),
        ("C54:", "v1,uJnb9OjzZqRXW6oa4LEohbzJADPTfPH///NAbfpbGXQ="),
        (
            "C56: body with a trailing newline, signed as sent",
            "v1,FIt3hYjPQCdyuyMOw+0dZwwjGRAx1Il4CsgdFnOmrcc=",
        ),
        ("C58:", "v1,8ob4FFWsEmw6j0gFb7riE4CWFeEe485rX7jxlsdL7lg="),
        (
            "C61: 64-byte",
            "v1,LZ5zuwHTqQH3VM8ERUusjzVQq1FXzemvpR8Mk7Ivp5c=",
        ),
    ];
    for (prefix, expected) in cases {
        assert_eq!(sig(&v1, prefix), expected, "{prefix}");
    }
    assert_eq!(
        header(&v1, "C60:", "webhook-id"),
        "msg_p5jXN8AQM9LWM0D4loKWxJek"
    );
    let c60 = v1
        .tests()
        .find(|(_, t)| t.comment.starts_with("C60:"))
        .unwrap()
        .0;
    assert_eq!(c60.secrets, ["whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRY="]);
    assert_eq!(
        sig(&v1a, "C63/V5:"),
        "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="
    );
    assert_eq!(
        sig(&v1a, "C64:"),
        "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe4uSqIfPdj8uUcPkfU4/Y4udpXwVLPo3mNl8EM+m7TBEg=="
    );
}

/// Which `acceptable` tests are allowed, and why, is checked against `check`'s
/// INFORMATIONAL cases in `vectors_consistency.rs`.
#[test]
fn the_corpus_is_large() {
    let files: Vec<VectorFile> = FILES.iter().map(|n| load(n)).collect();
    let total: usize = files.iter().map(|f| f.number_of_tests).sum();
    assert!(total >= 500, "only {total} tests");
}

#[test]
fn a_frozen_delivery_resigns_at_another_clock() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_string();
    let now = 1_614_265_330;
    let headers = vec![
        (
            "webhook-id".to_string(),
            "msg_p5jXN8AQM9LWM0D4loKWxJek".to_string(),
        ),
        ("webhook-timestamp".to_string(), "1614265320".to_string()),
        (
            "webhook-signature".to_string(),
            "v1,junk v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".to_string(),
        ),
    ];
    // The signature above is for timestamp 1614265330; sign the delivery as sent instead.
    let signed = hookspec::internal::entry_v1(
        &hookspec::Secret::parse(&secret).unwrap(),
        b"msg_p5jXN8AQM9LWM0D4loKWxJek",
        b"1614265320",
        br#"{"test": 2432232314}"#,
    );
    let mut headers = headers;
    headers[2].1 = format!("v1,junk {signed}");
    let test = freeze(
        Delivery {
            tc_id: 1,
            comment: "frozen".into(),
            flags: vec!["Valid".into()],
            now,
            headers: &headers,
            body: br#"{"test": 2432232314}"#,
            result: Expected::Valid,
            error: None,
        },
        std::slice::from_ref(&secret),
    );
    let templates = test.resign.as_ref().expect("time-relative");
    assert_eq!(templates[0].value, vec![Part::Computed(Computed::Now(-10))]);
    assert!(
        matches!(&templates[1].value[..], [Part::Text(t), Part::Computed(Computed::Sig(_))] if t == "v1,junk ")
    );
    let later = now + 86_400;
    let req = request_at(&test, later).unwrap();
    assert_eq!(req.headers[1].1, (later - 10).to_string());
    assert!(req.headers[2].1.starts_with("v1,junk v1,"));
    assert_ne!(req.headers[2].1, headers[2].1);
    let request = Request::new("v1", &[secret], &[], &test, &req);
    let response = reference::respond(&request);
    assert!(
        reference_matches(Expected::Valid, None, &response),
        "{response:?}"
    );
    // At its own clock it is the delivery as sent.
    assert_eq!(request_at(&test, now).unwrap().headers, headers);
}

/// The `webhook-signature` of a test.
fn signature_of(test: &hookspec_engine::vectors::TestVector) -> &str {
    test.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("webhook-signature"))
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn jwk_with_kid<'a>(jwks: &'a serde_json::Value, kid: &str) -> Option<&'a serde_json::Value> {
    jwks["keys"]
        .as_array()?
        .iter()
        .find(|k| k["kid"].as_str() == Some(kid))
}

fn b64url(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .expect("canonical base64url")
}

/// The Gemini files checked with other libraries than hookspec's verifier: every valid JWT
/// verifies with `jsonwebtoken` (RS256, the group's JWK, the group's audience), every valid
/// `v1a-jwks` delivery with `ed25519-dalek` against a key of the set; and the attack tokens
/// are what they claim to be (an HS256 tag really keyed with the public key, an embedded key
/// that really signed the token).
#[test]
fn gemini_vectors_agree_with_independent_libraries() {
    use hmac::{KeyInit as _, Mac as _};
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};

    let jwt = load("jwt.json");
    let (mut valid, mut confused, mut embedded) = (0, 0, 0);
    for (group, test) in jwt.tests() {
        let token = signature_of(test);
        let jwks = group.jwks.as_ref().expect("jwt groups hold a key set");
        if test.result == Expected::Valid {
            let header = jsonwebtoken::decode_header(token).expect("header");
            let jwk = jwk_with_kid(jwks, header.kid.as_deref().unwrap()).expect("kid in set");
            let key = DecodingKey::from_rsa_raw_components(
                &b64url(jwk["n"].as_str().unwrap()),
                &b64url(jwk["e"].as_str().unwrap()),
            );
            let mut validation = Validation::new(Algorithm::RS256);
            validation.set_audience(&[group.jwt_audience.as_deref().unwrap()]);
            validation.validate_exp = false;
            validation.required_spec_claims.clear();
            let claims = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
                .unwrap_or_else(|e| panic!("jwt #{}: {e}", test.tc_id))
                .claims;
            // A NumericDate may have a fraction (RFC 7519 section 2).
            let exp = claims["exp"].as_f64().unwrap();
            assert!(
                exp > test.reference_now as f64,
                "jwt #{} expired",
                test.tc_id
            );
            valid += 1;
        }
        let segments: Vec<&str> = token.split('.').collect();
        if test.flags.iter().any(|f| f == "AlgConfusion") {
            // The tag is HMAC-SHA256 keyed with some encoding of rsa-a's public key.
            let set = hookspec::Jwks::parse(jwks.to_string().as_bytes()).unwrap();
            let public = set.rs256_keys("rsa-a").next().unwrap();
            let pem = public.to_spki_pem();
            let input = format!("{}.{}", segments[0], segments[1]);
            let tag = b64url(segments[2]);
            let keyed_with = |secret: &[u8]| {
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
                mac.update(input.as_bytes());
                mac.verify_slice(&tag).is_ok()
            };
            assert!(
                keyed_with(pem.as_bytes())
                    || keyed_with(pem.trim_end().as_bytes())
                    || keyed_with(public.modulus())
                    || {
                        use base64::Engine as _;
                        let der = base64::engine::general_purpose::STANDARD
                            .decode(
                                pem.lines()
                                    .filter(|l| !l.starts_with("---"))
                                    .collect::<String>(),
                            )
                            .unwrap();
                        keyed_with(&der)
                    },
                "jwt #{}: not an HMAC keyed with the public key",
                test.tc_id
            );
            confused += 1;
        }
        if test.flags.iter().any(|f| f == "EmbeddedKey") && token.contains('.') {
            let header: serde_json::Value = serde_json::from_slice(&b64url(segments[0])).unwrap();
            if let Some(jwk) = header.get("jwk") {
                // The embedded key really signed the token: trusting it would accept it.
                let key = DecodingKey::from_rsa_raw_components(
                    &b64url(jwk["n"].as_str().unwrap()),
                    &b64url(jwk["e"].as_str().unwrap()),
                );
                let mut validation = Validation::new(Algorithm::RS256);
                validation.validate_exp = false;
                validation.validate_aud = false;
                validation.required_spec_claims.clear();
                jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
                    .unwrap_or_else(|e| panic!("jwt #{}: {e}", test.tc_id));
                embedded += 1;
            }
        }
    }
    assert!(
        valid >= 10 && confused == 4 && embedded == 2,
        "{valid} {confused} {embedded}"
    );

    let v1a = load("v1a-jwks.json");
    let mut checked = 0;
    for (group, test) in v1a.tests() {
        if test.result != Expected::Valid {
            continue;
        }
        let jwks = group.jwks.as_ref().unwrap();
        let body = test.body().unwrap();
        let header = |name: &str| {
            test.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let content = format!("{}.{}.", header("webhook-id"), header("webhook-timestamp"));
        let mut message = content.into_bytes();
        message.extend_from_slice(&body);
        let verified = signature_of(test).split(' ').any(|entry| {
            let Some(b64) = entry.strip_prefix("v1a,") else {
                return false;
            };
            use base64::Engine as _;
            let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(b64) else {
                return false;
            };
            let Ok(sig) = ed25519_dalek::Signature::from_slice(&sig) else {
                return false;
            };
            jwks["keys"].as_array().unwrap().iter().any(|k| {
                k["kty"] == "OKP" && k["use"] != "enc" && {
                    // A set may hold a broken key (an `x` of 31 bytes): it verifies nothing.
                    let x: Result<[u8; 32], _> = b64url(k["x"].as_str().unwrap()).try_into();
                    x.is_ok_and(|x| {
                        ed25519_dalek::VerifyingKey::from_bytes(&x)
                            .is_ok_and(|vk| vk.verify_strict(&message, &sig).is_ok())
                    })
                }
            })
        });
        assert!(verified, "v1a-jwks #{}: {}", test.tc_id, test.comment);
        checked += 1;
    }
    assert!(checked >= 10, "{checked}");
}
