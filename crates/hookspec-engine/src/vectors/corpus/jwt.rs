//! `vectors/jwt.json`: Gemini per-request webhooks as documented, the whole
//! `webhook-signature` an RS256 JWT whose `kid` names an RSA key of a JWKS.
//!
//! Tokens are built from exact header and claims text (members in a fixed order, JSON
//! values canonicalized), so every byte is reproducible; RS256 signatures are
//! deterministic. Time claims are `now` offsets, so each token is re-signed for another
//! clock like any other template.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::gemini::{
    ID, RSA_A, RSA_ATTACKER, RSA_B, Rsa, body, case, ed, ed_jwk, event_body, jwks, rsa_jwk,
};
use super::{Builder, Case, Part, SigExt as _, canonical, now, sig};
use crate::gemini::Event;
use crate::vectors::format::{Computed, JwtSign, JwtSpec, TokenMutation as Tok, VectorFile};
use crate::vectors::render::RenderError;
use hookspec::internal::jwt::body_sha256;

/// The audience the receivers of this file are configured with.
const AUD: &str = "https://receiver.example/gemini-webhook";
/// The issuer of the group that checks `iss`.
const ISS: &str = "https://generativelanguage.googleapis.com";

/// A claim value in a claims template.
enum C {
    /// A JSON value, written canonically.
    J(Value),
    /// `now + k`, as a decimal NumericDate.
    Now(i64),
    /// Exact JSON text.
    Raw(String),
}

fn s(text: &str) -> C {
    C::J(Value::String(text.to_string()))
}

/// The claims text as template parts, members in the order given.
fn claims(members: &[(&str, C)]) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut buf = String::from("{");
    for (i, (name, value)) in members.iter().enumerate() {
        if i > 0 {
            buf.push(',');
        }
        buf.push_str(&Value::String((*name).to_string()).to_string());
        buf.push(':');
        match value {
            C::J(v) => buf.push_str(&canonical(v).to_string()),
            C::Raw(text) => buf.push_str(text),
            C::Now(k) => {
                parts.push(Part::Text(std::mem::take(&mut buf)));
                parts.push(now(*k));
            }
        }
    }
    buf.push('}');
    parts.push(Part::Text(buf));
    parts.retain(|p| !matches!(p, Part::Text(t) if t.is_empty()));
    parts
}

/// What hookspec issues: `aud`, `iat`, `exp` (+300 s), `webhook_id`, `body_sha256`.
fn issued() -> Vec<(&'static str, C)> {
    vec![
        ("aud", s(AUD)),
        ("iat", C::Now(0)),
        ("exp", C::Now(300)),
        ("webhook_id", s(ID)),
        ("body_sha256", C::J(body_sha256(&body()).into())),
    ]
}

/// What Google documents: `aud` (and the usual times), no binding claim.
fn google_shaped() -> Vec<(&'static str, C)> {
    vec![("aud", s(AUD)), ("iat", C::Now(0)), ("exp", C::Now(300))]
}

/// `issued()` with one claim replaced (`None`: removed) or appended.
fn issued_with(name: &'static str, value: Option<C>) -> Vec<(&'static str, C)> {
    let mut members = issued();
    let slot = members.iter().position(|(n, _)| *n == name);
    match (slot, value) {
        (Some(i), Some(v)) => members[i].1 = v,
        (Some(i), None) => {
            members.remove(i);
        }
        (None, Some(v)) => members.push((name, v)),
        (None, None) => {}
    }
    members
}

/// Header text from a JSON object, canonical.
fn header(value: Value) -> String {
    canonical(&value).to_string()
}

/// `{"alg":"RS256","kid":KID,"typ":"JWT"}`.
fn rs_header(kid: &str) -> String {
    header(json!({"alg": "RS256", "kid": kid, "typ": "JWT"}))
}

fn token(sign: JwtSign, header: String, members: &[(&str, C)], text: Vec<Tok>) -> Vec<Part> {
    vec![Part::Computed(Computed::Jwt(JwtSpec {
        sign,
        header,
        claims: claims(members),
        text,
    }))]
}

fn rs256(rsa: &Rsa) -> JwtSign {
    JwtSign::Rs256(rsa.pem.to_string())
}

/// The token hookspec issues, signed by `rsa` under kid `kid`.
fn issued_by(rsa: &Rsa, kid: &str) -> Vec<Part> {
    token(rs256(rsa), rs_header(kid), &issued(), Vec::new())
}

/// The token hookspec issues, signed by `rsa`, under the header `value` (canonical).
fn under_header(rsa: &Rsa, value: Value) -> Vec<Part> {
    token(rs256(rsa), header(value), &issued(), Vec::new())
}

/// A token signed by rsa-a under kid `rsa-a` with these claims.
fn signed(members: &[(&str, C)]) -> Vec<Part> {
    token(rs256(&RSA_A), rs_header("rsa-a"), members, Vec::new())
}

/// The valid hookspec-issued token, with text mutations.
fn mutated(text: Vec<Tok>) -> Vec<Part> {
    token(rs256(&RSA_A), rs_header("rsa-a"), &issued(), text)
}

fn jwt_case(comment: impl Into<String>, flags: &[&'static str], signature: Vec<Part>) -> Case {
    case(comment, flags, signature)
}

/// The comment of the groups whose receiver enforces the binding claims.
const ENFORCING: &str = "As the first group, and the receiver enforces hookspec's binding claims (`jwt_body_binding`): `body_sha256` is required, and it and `webhook_id` must match the delivery.";

fn main_set() -> Value {
    jwks(vec![
        rsa_jwk(&RSA_A, "rsa-a"),
        rsa_jwk(&RSA_B, "rsa-b"),
        ed_jwk(1),
    ])
}

pub(super) fn file() -> Result<VectorFile, RenderError> {
    let mut b = Builder::new(hookspec::Scheme::Jwt);
    b.group_jwks(
        "The receiver holds RSA keys rsa-a and rsa-b and the Ed25519 key ed-1, accepts audience `https://receiver.example/gemini-webhook`, and checks no issuer.",
        main_set(),
        Some(AUD),
        None,
    );
    b.sections(&[
        valid,
        algorithms,
        keys,
        claims_checks,
        encoding,
        bindings,
        groups,
        enforced_bindings,
        broken_keys,
        skipped_keys,
    ])?;
    Ok(b.finish(&[
        "Gemini API per-request (\"dynamic\") webhook receiver test vectors, as documented: the whole `webhook-signature` is an RS256 JWT whose `kid` names an RSA key of a JWKS. Generated by hookspec.",
        "Each group's `jwks` is the key set the receiver fetched, `jwt_audience` the audience it accepts (absent: none configured) and `jwt_issuer` the issuer it requires (absent: `iss` not checked). `webhook-id` and `webhook-timestamp` are sent and checked as for v1 (300 s tolerance).",
        "`webhook_id` and `body_sha256` are hookspec's binding claims, not Google's. Their tests are in groups with `jwt_body_binding` (the receiver requires `body_sha256` and verifies both); elsewhere a receiver may ignore them, as Google documents no body binding (see the NoBodyBinding flag).",
        super::REGENERATE,
        "Keys here are published test keys (tests/keys/): never use them for anything else.",
    ]))
}

fn valid(b: &mut Builder) -> Result<(), RenderError> {
    b.add(jwt_case(
        "the token hookspec issues, signed by rsa-a",
        &["Valid"],
        signed(&issued()),
    ))?;
    b.add(jwt_case(
        "the token hookspec issues, signed by rsa-b (a second published key)",
        &["KeyRotation"],
        issued_by(&RSA_B, "rsa-b"),
    ))?;
    b.add(jwt_case(
        "the claims Google documents: aud, iat, exp, no binding claim",
        &["NoBodyBinding"],
        signed(&google_shaped()),
    ))?;
    for event in Event::ALL {
        let event_claims = [
            ("aud", s(AUD)),
            ("iat", C::Now(0)),
            ("exp", C::Now(300)),
            ("webhook_id", s(ID)),
            ("body_sha256", C::J(body_sha256(&event_body(event)).into())),
        ];
        b.add(
            jwt_case(
                format!("a `{}` event, its body bound", event.name()),
                &["Valid"],
                signed(&event_claims),
            )
            .body(&event_body(event)),
        )?;
    }
    b.add(jwt_case(
        "`aud` an array holding the configured audience and another",
        &["Audience"],
        signed(&issued_with(
            "aud",
            Some(C::J(json!(["https://other.example/", AUD]))),
        )),
    ))?;
    b.add(jwt_case(
        "no `iat` (optional)",
        &["Valid"],
        signed(&issued_with("iat", None)),
    ))?;
    b.add(jwt_case(
        "an `iss` claim, not checked by this receiver",
        &["Valid"],
        signed(&issued_with("iss", Some(s(ISS)))),
    ))?;
    b.add(jwt_case(
        "an unknown `typ` and an extra header member (never read)",
        &["Valid"],
        under_header(
            &RSA_A,
            json!({"alg": "RS256", "kid": "rsa-a", "typ": "at+jwt", "x-note": 1}),
        ),
    ))?;
    let fresh = |offset: i64| {
        [
            ("aud", s(AUD)),
            ("iat", C::Now(offset)),
            ("exp", C::Now(offset + 300)),
            ("webhook_id", s(ID)),
            ("body_sha256", C::J(body_sha256(&body()).into())),
        ]
    };
    b.add(
        jwt_case(
            "webhook-timestamp and iat -299 s from now",
            &["FreshTimestamp"],
            signed(&fresh(-299)),
        )
        .ts(vec![now(-299)]),
    )?;
    // The webhook-timestamp window allows +299 s, but an `iat` that far ahead is beyond
    // the JWT leeway: receivers split.
    b.add(
        jwt_case(
            "webhook-timestamp and iat +299 s from now (a sender clock ahead)",
            &["FreshTimestamp", "ClockSkew"],
            signed(&fresh(299)),
        )
        .ts(vec![now(299)])
        .acceptable(Some("jwt_issued_in_future")),
    )?;
    let skew = &["ClockSkew"];
    b.add(
        jwt_case(
            "`exp` 30 s in the past (within a small leeway)",
            skew,
            signed(&issued_with("exp", Some(C::Now(-30)))),
        )
        .acceptable(None),
    )?;
    b.add(
        jwt_case(
            "`nbf` 30 s in the future (within a small leeway)",
            skew,
            signed(&issued_with("nbf", Some(C::Now(30)))),
        )
        .acceptable(None),
    )?;
    b.add(
        jwt_case(
            "`iat` 30 s in the future (within a small leeway)",
            skew,
            signed(&issued_with("iat", Some(C::Now(30)))),
        )
        .acceptable(None),
    )?;
    Ok(())
}

fn algorithms(b: &mut Builder) -> Result<(), RenderError> {
    let na = "jwt_alg_not_allowed";
    let f = &["AlgNone"];
    for alg in ["none", "None", "NONE"] {
        b.add(
            jwt_case(
                format!("`alg: {alg}`, empty signature"),
                f,
                token(
                    JwtSign::Unsigned,
                    header(json!({"alg": alg, "kid": "rsa-a", "typ": "JWT"})),
                    &issued(),
                    Vec::new(),
                ),
            )
            .invalid(na),
        )?;
    }
    b.add(
        jwt_case(
            "`alg: none` with rsa-a's valid RS256 signature still attached",
            f,
            under_header(&RSA_A, json!({"alg": "none", "kid": "rsa-a", "typ": "JWT"})),
        )
        .invalid(na),
    )?;
    let f = &["AlgConfusion"];
    let public = RSA_A.key.public_key();
    let pem = public.to_spki_pem();
    let der: Vec<u8> = STANDARD
        .decode(
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .expect("PEM body is base64");
    for (label, secret) in [
        (
            "the SPKI PEM text of rsa-a's public key",
            pem.as_bytes().to_vec(),
        ),
        (
            "the SPKI PEM text without its final newline",
            pem.trim_end().as_bytes().to_vec(),
        ),
        ("the SPKI DER bytes of rsa-a's public key", der),
        ("rsa-a's modulus bytes", public.modulus().to_vec()),
    ] {
        b.add(
            jwt_case(
                format!("`alg: HS256` keyed with {label} (algorithm confusion)"),
                f,
                token(
                    JwtSign::Hs256B64(STANDARD.encode(&secret)),
                    header(json!({"alg": "HS256", "kid": "rsa-a", "typ": "JWT"})),
                    &issued(),
                    Vec::new(),
                ),
            )
            .invalid(na),
        )?;
    }
    let f = &["AlgNotAllowed"];
    for (alg, label) in [
        (json!("RS512"), "`alg: RS512` over an RS256 signature"),
        (json!("PS256"), "`alg: PS256` over an RS256 signature"),
        (json!("rs256"), "`alg: rs256` (lower case)"),
        (json!(["RS256"]), "`alg` an array"),
    ] {
        b.add(
            jwt_case(
                label,
                f,
                under_header(&RSA_A, json!({"alg": alg, "kid": "rsa-a", "typ": "JWT"})),
            )
            .invalid(na),
        )?;
    }
    b.add(
        jwt_case(
            "no `alg` member",
            f,
            under_header(&RSA_A, json!({"kid": "rsa-a", "typ": "JWT"})),
        )
        .invalid(na),
    )?;
    Ok(())
}

fn keys(b: &mut Builder) -> Result<(), RenderError> {
    b.add(
        jwt_case(
            "`kid: rsa-z`, a key the set does not have",
            &["UnknownKid"],
            issued_by(&RSA_A, "rsa-z"),
        )
        .invalid("unknown_kid"),
    )?;
    b.add(
        jwt_case(
            "`kid: ed-1`, an Ed25519 key of the set (not an RSA key)",
            &["UnknownKid"],
            issued_by(&RSA_A, "ed-1"),
        )
        .invalid("unknown_kid"),
    )?;
    for (label, h) in [
        ("no `kid`", json!({"alg": "RS256", "typ": "JWT"})),
        (
            "`kid` a number",
            json!({"alg": "RS256", "kid": 1, "typ": "JWT"}),
        ),
    ] {
        b.add(
            jwt_case(label, &["MissingKid"], under_header(&RSA_A, h)).invalid("jwt_missing_kid"),
        )?;
    }
    b.add(
        jwt_case(
            "`kid: rsa-a`, signed by a key that is not in the set",
            &["WrongKey"],
            issued_by(&RSA_ATTACKER, "rsa-a"),
        )
        .invalid("jwt_invalid_signature"),
    )?;
    b.add(
        jwt_case(
            "`kid: rsa-a`, signed by rsa-b (the other published key)",
            &["WrongKey"],
            issued_by(&RSA_B, "rsa-a"),
        )
        .invalid("jwt_invalid_signature"),
    )?;
    let attacker_jwk = rsa_jwk(&RSA_ATTACKER, "attacker");
    let f = &["EmbeddedKey"];
    b.add(
        jwt_case(
            "a `jwk` header carrying the attacker's key, `kid: attacker`, signed by it",
            f,
            under_header(
                &RSA_ATTACKER,
                json!({"alg": "RS256", "jwk": attacker_jwk, "kid": "attacker", "typ": "JWT"}),
            ),
        )
        .invalid("unknown_kid"),
    )?;
    b.add(
        jwt_case(
            "a `jwk` header carrying the attacker's key, `kid: rsa-a`, signed by the attacker",
            f,
            under_header(
                &RSA_ATTACKER,
                json!({"alg": "RS256", "jwk": attacker_jwk, "kid": "rsa-a", "typ": "JWT"}),
            ),
        )
        .invalid("jwt_invalid_signature"),
    )?;
    for member in ["jku", "x5u"] {
        b.add(
            jwt_case(
                format!("a `{member}` header naming the attacker's key URL, `kid: attacker`"),
                f,
                under_header(&RSA_ATTACKER, json!({"alg": "RS256", member: "https://attacker.example/.well-known/jwks.json", "kid": "attacker", "typ": "JWT"})),
            )
            .invalid("unknown_kid"),
        )?;
    }
    b.add(
        jwt_case(
            "`crit: [\"exp\"]` (no extension is understood)",
            &["CritHeader"],
            under_header(
                &RSA_A,
                json!({"alg": "RS256", "crit": ["exp"], "kid": "rsa-a", "typ": "JWT"}),
            ),
        )
        .invalid("jwt_crit_unsupported"),
    )?;
    Ok(())
}

/// A claims test: label, flag, claims, expected code.
type ClaimCase = (
    &'static str,
    &'static str,
    Vec<(&'static str, C)>,
    &'static str,
);

fn claims_checks(b: &mut Builder) -> Result<(), RenderError> {
    let cases: Vec<ClaimCase> = vec![
        (
            "expired an hour ago (`exp` now - 3600)",
            "Expired",
            issued_with("exp", Some(C::Now(-3600))),
            "jwt_expired",
        ),
        (
            "no `exp`",
            "MissingExp",
            issued_with("exp", None),
            "jwt_missing_exp",
        ),
        (
            "`nbf` an hour in the future",
            "NotYetValid",
            issued_with("nbf", Some(C::Now(3600))),
            "jwt_not_yet_valid",
        ),
        (
            "`iat` an hour in the future",
            "IssuedInFuture",
            issued_with("iat", Some(C::Now(3600))),
            "jwt_issued_in_future",
        ),
        (
            "`exp` a string",
            "InvalidClaim",
            issued_with("exp", Some(C::Raw("\"2099-01-01T00:00:00Z\"".into()))),
            "jwt_invalid_claim",
        ),
        (
            "`exp` negative",
            "InvalidClaim",
            issued_with("exp", Some(C::Raw("-1".into()))),
            "jwt_invalid_claim",
        ),
        (
            "`aud` another receiver's",
            "Audience",
            issued_with("aud", Some(s("https://other.example/gemini-webhook"))),
            "jwt_wrong_audience",
        ),
        (
            "`aud` the configured audience with a trailing `/`",
            "Audience",
            issued_with("aud", Some(s(&format!("{AUD}/")))),
            "jwt_wrong_audience",
        ),
        (
            "`aud` an array without the configured audience",
            "Audience",
            issued_with("aud", Some(C::J(json!(["https://other.example/"])))),
            "jwt_wrong_audience",
        ),
        (
            "no `aud`",
            "Audience",
            issued_with("aud", None),
            "jwt_missing_audience",
        ),
        (
            "`aud` a number",
            "InvalidClaim",
            issued_with("aud", Some(C::Raw("42".into()))),
            "jwt_invalid_claim",
        ),
    ];
    for (label, flag, members, code) in cases {
        b.add(jwt_case(label, &[flag], signed(&members)).invalid(code))?;
        if label == "`exp` a string" {
            // RFC 7519 section 2: a NumericDate may be a non-integer value.
            b.add(jwt_case(
                "`exp` a fraction",
                &["NumericDateFraction"],
                signed(&issued_with("exp", Some(C::Raw("4102444800.5".into())))),
            ))?;
        }
    }
    b.add(
        jwt_case(
            "webhook-timestamp -301 s (iat and exp moved with it)",
            &["StaleTimestamp"],
            signed(&[
                ("aud", s(AUD)),
                ("iat", C::Now(-301)),
                ("exp", C::Now(-1)),
                ("webhook_id", s(ID)),
                ("body_sha256", C::J(body_sha256(&body()).into())),
            ]),
        )
        .ts(vec![now(-301)])
        .invalid("timestamp_too_old"),
    )?;
    b.add(
        jwt_case(
            "no webhook-timestamp header (the token alone is not enough)",
            &["MissingHeader"],
            signed(&issued()),
        )
        .remove("webhook-timestamp")
        .invalid("missing_timestamp"),
    )?;
    Ok(())
}

fn encoding(b: &mut Builder) -> Result<(), RenderError> {
    let f = &["TruncatedToken"];
    b.add(
        jwt_case(
            "the last character of the signature removed (a base64url length no encoder writes)",
            f,
            mutated(vec![Tok::DropLast(1)]),
        )
        .invalid("jwt_malformed"),
    )?;
    b.add(
        jwt_case(
            "the last two characters removed (a 255-byte signature)",
            f,
            mutated(vec![Tok::DropLast(2)]),
        )
        .invalid("jwt_invalid_signature"),
    )?;
    b.add(
        jwt_case(
            "the signature segment removed (`header.claims`)",
            f,
            mutated(vec![Tok::Segments(2)]),
        )
        .invalid("jwt_malformed"),
    )?;
    b.add(
        jwt_case(
            "the signature segment emptied (`header.claims.`)",
            f,
            mutated(vec![Tok::Segments(2), Tok::Append(".".into())]),
        )
        .invalid("jwt_malformed"),
    )?;
    let f = &["MalformedToken"];
    for (label, m) in [
        (
            "a `+` inserted into the header segment",
            vec![Tok::Insert {
                at: 10,
                text: "+".into(),
            }],
        ),
        (
            "a `/` inserted into the header segment",
            vec![Tok::Insert {
                at: 10,
                text: "/".into(),
            }],
        ),
        ("`=` padding appended", vec![Tok::Append("=".into())]),
        ("`==` padding appended", vec![Tok::Append("==".into())]),
        (
            "a fourth segment appended",
            vec![Tok::Append(".e30".into())],
        ),
        (
            "a space inside the header segment",
            vec![Tok::Insert {
                at: 10,
                text: " ".into(),
            }],
        ),
    ] {
        b.add(jwt_case(label, f, mutated(m)).invalid("jwt_malformed"))?;
    }
    b.add(
        jwt_case(
            "the header segment is a JSON array",
            f,
            token(
                rs256(&RSA_A),
                "[\"RS256\",\"rsa-a\"]".into(),
                &issued(),
                Vec::new(),
            ),
        )
        .invalid("jwt_malformed"),
    )?;
    // RFC 7515 section 4: a parser must reject duplicate member names or use the last one
    // (here RS256, whose signature is valid); hookspec's reference rejects.
    b.add(
        jwt_case(
            "`alg` twice in the header (the second RS256)",
            &["DuplicateHeaderMember"],
            token(
                rs256(&RSA_A),
                "{\"alg\":\"none\",\"kid\":\"rsa-a\",\"alg\":\"RS256\"}".into(),
                &issued(),
                Vec::new(),
            ),
        )
        .acceptable(Some("jwt_malformed")),
    )?;
    let pad = "A".repeat(8200);
    b.add(
        jwt_case(
            "an 11 KiB token, validly signed (an oversized claim)",
            &["OversizedToken"],
            signed(&issued_with("pad", Some(s(&pad)))),
        )
        .invalid("jwt_too_large"),
    )?;
    Ok(())
}

/// The binding claims are hookspec's, not Google's: their tests are in a group whose
/// receiver declares it enforces them (`jwt_body_binding`), and the tests after them in a
/// group like the first again (the ids stay those of the single group they were in).
fn bindings(b: &mut Builder) -> Result<(), RenderError> {
    b.group_jwks(ENFORCING, main_set(), Some(AUD), None);
    b.enforce_bindings();
    b.add(
        jwt_case(
            "`webhook_id` names another delivery",
            &["IdBinding"],
            signed(&issued_with(
                "webhook_id",
                Some(s("msg_00000000-0000-0000-0000-000000000000")),
            )),
        )
        .invalid("webhook_id_mismatch"),
    )?;
    b.add(
        jwt_case(
            "a body-bound token replayed with a `batch.failed` body",
            &["BodyBinding"],
            signed(&issued()),
        )
        .body(&event_body(Event::BatchFailed))
        .invalid("body_hash_mismatch"),
    )?;
    b.add(
        jwt_case(
            "`body_sha256` that is not 32 bytes",
            &["BodyBinding"],
            signed(&issued_with("body_sha256", Some(s("AAAA")))),
        )
        .invalid("jwt_invalid_claim"),
    )?;
    b.group_jwks(
        "As the first group (the receiver may ignore the binding claims).",
        main_set(),
        Some(AUD),
        None,
    );
    b.add(
        jwt_case(
            "a Google-shaped token (no binding claim) replayed with a `batch.failed` body",
            &["NoBodyBinding"],
            signed(&google_shaped()),
        )
        .body(&event_body(Event::BatchFailed))
        .acceptable(None),
    )?;
    b.add(
        jwt_case(
            "a `v1a` entry signed with ed-1, a key of the set, to a JWT receiver",
            &["BothSchemes"],
            vec![sig(&ed(1).to_whsk()).part()],
        )
        .acceptable(Some("scheme_not_accepted")),
    )?;
    Ok(())
}

fn groups(b: &mut Builder) -> Result<(), RenderError> {
    b.group_jwks(
        "As the first group, and the receiver requires `iss: https://generativelanguage.googleapis.com`.",
        main_set(),
        Some(AUD),
        Some(ISS),
    );
    let f = &["Issuer"];
    b.add(jwt_case(
        "`iss` the configured issuer",
        f,
        signed(&issued_with("iss", Some(s(ISS)))),
    ))?;
    b.add(
        jwt_case(
            "`iss` another issuer",
            f,
            signed(&issued_with("iss", Some(s("https://accounts.google.com")))),
        )
        .invalid("jwt_wrong_issuer"),
    )?;
    b.add(jwt_case("no `iss`", f, signed(&issued())).invalid("jwt_missing_issuer"))?;

    b.group_jwks(
        "The receiver holds rsa-a but is configured with no audience.",
        jwks(vec![rsa_jwk(&RSA_A, "rsa-a")]),
        None,
        None,
    );
    b.add(
        jwt_case(
            "a valid token; the receiver must refuse JWTs until an audience is configured",
            &["AudienceNotConfigured"],
            signed(&issued()),
        )
        .invalid("jwt_audience_not_configured"),
    )?;

    let mut ps256 = rsa_jwk(&RSA_A, "rsa-a");
    ps256["alg"] = "PS256".into();
    let mut enc = rsa_jwk(&RSA_B, "rsa-b");
    enc["use"] = "enc".into();
    b.group_jwks(
        "The set publishes rsa-a for `alg: PS256` and rsa-b with `use: enc`.",
        jwks(vec![ps256, enc]),
        Some(AUD),
        None,
    );
    let f = &["JwkUsage"];
    b.add(
        jwt_case(
            "RS256 by rsa-a, published for PS256: never used for RS256",
            f,
            signed(&issued()),
        )
        .invalid("unknown_kid"),
    )?;
    b.add(
        jwt_case(
            "RS256 by rsa-b, published for encryption",
            f,
            issued_by(&RSA_B, "rsa-b"),
        )
        .invalid("unknown_kid"),
    )?;
    Ok(())
}

/// The binding claims enforced, seen from the valid side (appended, like every section
/// after `groups`, so earlier ids stay stable): the token hookspec issues verifies, and one
/// without `body_sha256` does not.
fn enforced_bindings(b: &mut Builder) -> Result<(), RenderError> {
    b.group_jwks(ENFORCING, main_set(), Some(AUD), None);
    b.enforce_bindings();
    b.add(jwt_case(
        "the token hookspec issues, both binding claims matching the delivery",
        &["BodyBinding"],
        signed(&issued()),
    ))?;
    b.add(
        jwt_case(
            "the claims Google documents (no binding claim): this receiver requires `body_sha256`",
            &["BodyBinding"],
            signed(&google_shaped()),
        )
        .invalid("body_hash_missing"),
    )?;
    Ok(())
}

/// One key of the set does not parse; the others must stay usable (RFC 7517 section 5;
/// libraries where one such key fails the whole set reject every delivery). The broken key comes
/// first.
fn broken_keys(b: &mut Builder) -> Result<(), RenderError> {
    for (label, broken) in super::gemini::broken_jwks_keys() {
        b.group_jwks(
            &format!(
                "The set holds {label} first, then the usable RSA keys rsa-a and rsa-b; the audience as in the first group."
            ),
            jwks(vec![
                broken,
                rsa_jwk(&RSA_A, "rsa-a"),
                rsa_jwk(&RSA_B, "rsa-b"),
            ]),
            Some(AUD),
            None,
        );
        b.add(jwt_case(
            format!("signed by rsa-a; the set also holds {label}"),
            &["BrokenKeyInSet"],
            signed(&issued()),
        ))?;
        if label.contains("modulus") {
            b.add(
                jwt_case(
                    "signed by rsa-b under the kid of the broken key (`rsa-broken`)",
                    &["BrokenKeyInSet"],
                    issued_by(&RSA_B, "rsa-broken"),
                )
                .invalid("unknown_kid"),
            )?;
        }
    }
    Ok(())
}

/// Keys the set publishes but a receiver must skip, beside one it must use (`use: enc` and
/// `alg: PS256` are in the `groups` section): each kid names a copy of rsa-a.
fn skipped_keys(b: &mut Builder) -> Result<(), RenderError> {
    let copy = |kid: &str, changes: Vec<(&str, Value)>| {
        let mut jwk = rsa_jwk(&RSA_A, kid);
        for (name, value) in changes {
            jwk[name] = value;
        }
        jwk
    };
    let [d, p, q] = super::gemini::rsa_private_members(&RSA_A);
    let skipped = [
        (
            "rsa-a-sign-only",
            vec![("key_ops", json!(["sign"]))],
            "`key_ops: [\"sign\"]`, without `verify`",
        ),
        (
            "rsa-a-eddsa",
            vec![("alg", json!("EdDSA"))],
            "`alg: EdDSA`, an algorithm of another key type",
        ),
        (
            "rsa-a-private",
            vec![(d.0, json!(d.1))],
            "its private exponent `d`",
        ),
        (
            "rsa-a-factors",
            vec![(p.0, json!(p.1)), (q.0, json!(q.1))],
            "its prime factors `p` and `q` (no `d`)",
        ),
    ];
    let mut keys: Vec<Value> = skipped
        .iter()
        .map(|(kid, changes, _)| copy(kid, changes.clone()))
        .collect();
    keys.push(rsa_jwk(&RSA_B, "rsa-b"));
    b.group_jwks(
        "The set publishes rsa-a under four kids, each for something else or with private members (`rsa-a-sign-only`: `key_ops: [\"sign\"]`; `rsa-a-eddsa`: `alg: EdDSA`; `rsa-a-private`: `d`; `rsa-a-factors`: `p` and `q`), and rsa-b normally.",
        jwks(keys),
        Some(AUD),
        None,
    );
    let f = &["JwkUsage"];
    b.add(jwt_case(
        "RS256 by rsa-b, the usable key",
        f,
        issued_by(&RSA_B, "rsa-b"),
    ))?;
    for (kid, _, what) in skipped {
        b.add(
            jwt_case(
                format!("RS256 by rsa-a under kid `{kid}`, published with {what}: never used"),
                f,
                issued_by(&RSA_A, kid),
            )
            .invalid("unknown_kid"),
        )?;
    }
    Ok(())
}
