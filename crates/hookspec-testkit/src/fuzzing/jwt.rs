//! The `jwks` and `jwt` targets (feature `jwks`): JWKS parsing, and RS256 JWTs in
//! `webhook-signature` checked by [`JwksVerifier`] against a fixed key set made from the
//! committed test keys (`tests/keys/`) at a fixed clock.

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::codec::{Reader, Writer};
use hookspec::internal::jwt::sign_hs256;
use hookspec::{ErrorCode, Jwk, Jwks, JwksVerifier, JwtSigner, Proof, RsaSigningKey, SigningKey};

/// JWKS parsing: never panics; a parsed set has no more keys than the document's `keys`
/// array, every kept or skipped key is accounted for once, and the set re-serializes
/// ([`Jwks::to_json`]) to a document that parses to the same keys with none skipped.
pub fn jwks(data: &[u8]) {
    let Ok(set) = Jwks::parse(data) else {
        return;
    };
    let document: Value = serde_json::from_slice(data).expect("a parsed JWKS is JSON");
    let entries = document["keys"]
        .as_array()
        .expect("a parsed JWKS has keys")
        .len();
    assert_eq!(set.keys().len() + set.skipped().len(), entries);
    let mut indexes: Vec<usize> = set.skipped().iter().map(|s| s.index).collect();
    indexes.dedup();
    assert_eq!(indexes.len(), set.skipped().len(), "a key skipped twice");
    assert!(indexes.iter().all(|&i| i < entries));
    for skipped in set.skipped() {
        assert!(!skipped.reason.code().is_empty());
    }
    let again = Jwks::parse(set.to_json().as_bytes()).expect("a serialized JWKS parses");
    assert_eq!(again.keys(), set.keys(), "JWKS does not round-trip");
    assert!(again.skipped().is_empty(), "{:?}", again.skipped());
}

/// The `aud` the verifier is configured with (and the signers issue).
pub const AUDIENCE: &str = "https://receiver.example/hook";
/// The genuine delivery's `webhook-id`.
pub const ID: &str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
/// The genuine delivery's `webhook-timestamp` (and the tokens' `iat`).
pub const TIMESTAMP: u64 = 1_700_000_000;
/// The verifier's clock: shortly after [`TIMESTAMP`].
pub const NOW: u64 = TIMESTAMP + 20;
/// The genuine delivery's body.
pub const BODY: &[u8] = br#"{"type":"batch.succeeded","data":{"id":"batches/1"}}"#;

struct Fixture {
    /// Signers: `rsa-a` and `rsa-b` are in the set, `rsa-attacker` (kid `rsa-a`) is not.
    signers: [JwtSigner; 3],
    set: Jwks,
    verifier: JwksVerifier,
    /// Genuine tokens for (ID, TIMESTAMP, BODY): `rsa-a` bound to id and body, `rsa-b`
    /// bound, `rsa-a` unbound, and the attacker's (never valid).
    tokens: [String; 4],
    /// The `rsa-a` public key's PEM text (the algorithm-confusion HMAC key).
    public_pem: String,
}

const ATTACKER: usize = 2;

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let key = |pem: &str| RsaSigningKey::from_pem(pem).expect("committed test key");
    let a = key(include_str!("../../../../tests/keys/rsa-a.pem"));
    let b = key(include_str!("../../../../tests/keys/rsa-b.pem"));
    let attacker = key(include_str!("../../../../tests/keys/rsa-attacker.pem"));
    let public_pem = a.public_key().to_spki_pem();
    let signers = [
        JwtSigner::new(a, "rsa-a", AUDIENCE),
        JwtSigner::new(b, "rsa-b", AUDIENCE),
        JwtSigner::new(attacker, "rsa-a", AUDIENCE),
    ];
    let set = Jwks::new(vec![
        Jwk::ed25519(Some("ed-1"), SigningKey::from_seed(&[7; 32]).public_key()),
        signers[0].jwk(),
        signers[1].jwk(),
    ]);
    let sign = |s: &JwtSigner| s.sign(ID, TIMESTAMP, BODY).expect("valid id");
    let unbound = signers[0].clone().bind_id(false).bind_body(false);
    let tokens = [
        sign(&signers[0]),
        sign(&signers[1]),
        sign(&unbound),
        sign(&signers[ATTACKER]),
    ];
    Fixture {
        signers,
        set,
        verifier: JwksVerifier::new().audience(AUDIENCE),
        tokens,
        public_pem,
    }
});

/// How the `webhook-signature` value of a [`JwtCase`] is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// Arbitrary bytes.
    Raw(Vec<u8>),
    /// Genuine token `index` (mod 4) with byte edits applied in order.
    Mutated {
        /// Which genuine token.
        index: u8,
        /// The edits.
        edits: Vec<Edit>,
    },
    /// Arbitrary header and claims JSON signed with RS256 by signer `signer` (mod 3;
    /// 2 is the unpublished attacker key).
    Signed {
        /// Which signer.
        signer: u8,
        /// The exact header bytes.
        header: Vec<u8>,
        /// The exact claims bytes.
        claims: Vec<u8>,
    },
    /// Arbitrary header and claims JSON under HS256 keyed with the trusted RSA key's public
    /// PEM (algorithm confusion) or with `key` when it is non-empty.
    Hs256 {
        /// The exact header bytes.
        header: Vec<u8>,
        /// The exact claims bytes.
        claims: Vec<u8>,
        /// The HMAC key; empty means the public PEM.
        key: Vec<u8>,
    },
}

/// One byte edit of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit {
    /// 0 replace, 1 delete, 2 insert (mod 3).
    pub kind: u8,
    /// The position (mod the length).
    pub at: u16,
    /// The byte replaced or inserted.
    pub byte: u8,
}

/// A `jwt` target input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtCase {
    /// The `webhook-signature` value.
    pub token: Token,
    /// `webhook-id` to send instead of [`ID`].
    pub id: Option<Vec<u8>>,
    /// Seconds to add to [`TIMESTAMP`] in `webhook-timestamp` (wrapping `i16`).
    pub ts_shift: i16,
    /// Body to send instead of [`BODY`].
    pub body: Option<Vec<u8>>,
}

impl JwtCase {
    /// Decodes fuzzer bytes (see [`super::codec`]): a token choice and its fields, then a
    /// flags byte (bit 0: own id, bit 1: own body), the id, the shift and the body.
    pub fn decode(data: &[u8]) -> Self {
        let mut r = Reader::new(data);
        let token = match r.choice(4) {
            0 => Token::Raw(r.bytes()),
            1 => {
                let index = r.u8();
                let n = r.u8() % 4;
                let edits = (0..n)
                    .map(|_| Edit {
                        kind: r.u8(),
                        at: r.u16(),
                        byte: r.u8(),
                    })
                    .collect();
                Token::Mutated { index, edits }
            }
            2 => Token::Signed {
                signer: r.u8(),
                header: r.bytes(),
                claims: r.bytes(),
            },
            _ => Token::Hs256 {
                header: r.bytes(),
                claims: r.bytes(),
                key: r.bytes(),
            },
        };
        let flags = r.u8();
        let id = r.bytes();
        let ts_shift = r.u16() as i16;
        let body = r.bytes();
        Self {
            token,
            id: (flags & 1 == 1).then_some(id),
            ts_shift,
            body: (flags & 2 == 2).then_some(body),
        }
    }

    /// Encodes a case (for seeds); `decode(encode(c)) == c` when the edits number at
    /// most 3.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        match &self.token {
            Token::Raw(bytes) => w.u8(0).bytes(bytes),
            Token::Mutated { index, edits } => {
                w.u8(1).u8(*index).u8(edits.len() as u8);
                for e in edits {
                    w.u8(e.kind).u16(e.at).u8(e.byte);
                }
                &mut w
            }
            Token::Signed {
                signer,
                header,
                claims,
            } => w.u8(2).u8(*signer).bytes(header).bytes(claims),
            Token::Hs256 {
                header,
                claims,
                key,
            } => w.u8(3).bytes(header).bytes(claims).bytes(key),
        };
        let flags = u8::from(self.id.is_some()) | (u8::from(self.body.is_some()) << 1);
        w.u8(flags)
            .bytes(self.id.as_deref().unwrap_or_default())
            .u16(self.ts_shift as u16)
            .bytes(self.body.as_deref().unwrap_or_default());
        w.finish()
    }
}

fn apply(token: &str, edits: &[Edit]) -> Vec<u8> {
    let mut out = token.as_bytes().to_vec();
    for e in edits {
        let at = usize::from(e.at);
        match e.kind % 3 {
            0 if !out.is_empty() => {
                let i = at % out.len();
                out[i] = e.byte;
            }
            1 if !out.is_empty() => {
                out.remove(at % out.len());
            }
            _ => out.insert(at % (out.len() + 1), e.byte),
        }
    }
    out
}

/// JWT verification through [`JwksVerifier`]: never panics, and
/// * a genuine token from a trusted key verifies (with its kid and bindings) on its own
///   delivery, and one whose id and body bindings hold on a changed delivery;
/// * any edit that changes a genuine token's bytes makes it fail, and the attacker's
///   token never verifies, edited or not;
/// * HS256 tokens never verify, whatever their header says and whatever the key;
/// * every token that verifies has a header with `alg` exactly `RS256` and a `kid` of the
///   set, `aud` equal to the configured audience, and claims that bind (when present) to
///   the delivery; a fuzzer-signed token verifies only under a trusted key and its own kid.
pub fn jwt(data: &[u8]) {
    let case = JwtCase::decode(data);
    let f = &*FIXTURE;
    let (token, expect_ok): (Vec<u8>, Option<bool>) = match &case.token {
        Token::Raw(bytes) => (bytes.clone(), None),
        Token::Mutated { index, edits } => {
            let index = usize::from(*index % 4);
            let genuine = &f.tokens[index];
            let mutated = apply(genuine, edits);
            let unchanged = mutated == genuine.as_bytes();
            let bound = index < 2;
            let id_same = case.id.as_deref().is_none_or(|i| i == ID.as_bytes());
            let body_same = case.body.as_deref().is_none_or(|b| b == BODY);
            let expect = if index == 3 || !unchanged || (bound && !(id_same && body_same)) {
                Some(false)
            } else if case.ts_shift == 0 && id_same && (body_same || !bound) {
                Some(true)
            } else {
                None
            };
            (mutated, expect)
        }
        Token::Signed {
            signer,
            header,
            claims,
        } => {
            let signer = usize::from(*signer % 3);
            let token = f.signers[signer].sign_raw(header, claims).into_bytes();
            (token, (signer == ATTACKER).then_some(false))
        }
        Token::Hs256 {
            header,
            claims,
            key,
        } => {
            let key = if key.is_empty() {
                f.public_pem.as_bytes()
            } else {
                key
            };
            (sign_hs256(header, claims, key).into_bytes(), Some(false))
        }
    };
    let id = case.id.clone().unwrap_or_else(|| ID.as_bytes().to_vec());
    let ts = TIMESTAMP.wrapping_add_signed(i64::from(case.ts_shift));
    let body = case.body.as_deref().unwrap_or(BODY);
    let headers = [
        ("webhook-id", id.clone()),
        ("webhook-timestamp", ts.to_string().into_bytes()),
        ("webhook-signature", token.clone()),
    ];
    let result = f.verifier.verify_at(&f.set, &headers[..], body, NOW);
    if let Some(expect) = expect_ok {
        assert_eq!(
            result.is_ok(),
            expect,
            "{case:?}: {result:?} (token {:?})",
            String::from_utf8_lossy(&token)
        );
    }
    let Ok(verified) = result else {
        if let Err(e) = result {
            assert!(!e.code().is_empty());
        }
        return;
    };
    let Proof::Jwt {
        claims,
        id_bound,
        body_bound,
    } = &verified.proof
    else {
        // Only a v1a entry list can take this path, and nothing here signs one.
        panic!("a v1a entry verified without a signing key: {case:?}");
    };
    let parts: Vec<&[u8]> = token.split(|&b| b == b'.').collect();
    assert_eq!(parts.len(), 3, "accepted token is not three segments");
    let header: Value = URL_SAFE_NO_PAD
        .decode(parts[0])
        .ok()
        .and_then(|h| serde_json::from_slice(&h).ok())
        .expect("accepted token has a JSON header");
    assert_eq!(header["alg"], "RS256", "accepted alg {}", header["alg"]);
    let kid = header["kid"].as_str().expect("accepted token has a kid");
    assert!(kid == "rsa-a" || kid == "rsa-b", "accepted kid {kid}");
    assert_eq!(verified.kid.as_deref(), Some(kid));
    if let Token::Signed { signer, .. } = &case.token {
        let signer = usize::from(*signer % 3);
        assert_ne!(signer, ATTACKER);
        assert_eq!(
            f.signers[signer].kid(),
            kid,
            "verified under another kid's key"
        );
    }
    assert!(claims.contains_key("exp"), "accepted without exp");
    let aud_ok = match &claims["aud"] {
        Value::String(s) => s == AUDIENCE,
        Value::Array(list) => list.iter().any(|v| v == AUDIENCE),
        _ => false,
    };
    assert!(aud_ok, "accepted aud {}", claims["aud"]);
    assert_eq!(*id_bound, claims.contains_key("webhook_id"));
    assert_eq!(*body_bound, claims.contains_key("body_sha256"));
    if *id_bound {
        assert_eq!(
            claims["webhook_id"].as_str().map(str::as_bytes),
            Some(&id[..])
        );
    }
    if *body_bound {
        assert_eq!(
            claims["body_sha256"].as_str(),
            Some(hookspec::internal::jwt::body_sha256(body).as_str())
        );
    }
    assert_eq!(verified.id.as_bytes(), &id[..]);
    assert_eq!(verified.timestamp, ts);
}

/// Seeds for the `jwt` target: each genuine token as is, edited in its header, claims and
/// signature, on a changed delivery, re-signed with another `alg`, and HS256 confusion.
pub fn jwt_seeds() -> Vec<(String, Vec<u8>)> {
    let f = &*FIXTURE;
    let plain = |token| JwtCase {
        token,
        id: None,
        ts_shift: 0,
        body: None,
    };
    let mut out = Vec::new();
    let names = ["rsa-a", "rsa-b", "unbound", "attacker"];
    for (i, name) in names.iter().enumerate() {
        let mutated = |edits| Token::Mutated {
            index: i as u8,
            edits,
        };
        out.push((format!("{name}-genuine"), plain(mutated(vec![]))));
        out.push((
            format!("{name}-raw"),
            plain(Token::Raw(f.tokens[i].clone().into())),
        ));
        let last = f.tokens[i].len() as u16 - 1;
        out.push((
            format!("{name}-sig-last"),
            plain(mutated(vec![Edit {
                kind: 0,
                at: last,
                byte: b'A',
            }])),
        ));
        out.push((
            format!("{name}-header-edit"),
            plain(mutated(vec![Edit {
                kind: 0,
                at: 5,
                byte: b'x',
            }])),
        ));
        let mut other = plain(mutated(vec![]));
        other.body = Some(b"{}".to_vec());
        out.push((format!("{name}-other-body"), other));
        let mut other = plain(mutated(vec![]));
        other.id = Some(b"msg_other".to_vec());
        other.ts_shift = -30;
        out.push((format!("{name}-other-id"), other));
    }
    let claims = serde_json::to_vec(&f.signers[0].claims(ID, TIMESTAMP, BODY)).unwrap();
    for alg in ["RS256", "HS256", "none", "RS384", "PS256", "rs256", "ES256"] {
        let header = format!(r#"{{"alg":"{alg}","kid":"rsa-a","typ":"JWT"}}"#).into_bytes();
        out.push((
            format!("signed-{alg}"),
            plain(Token::Signed {
                signer: 0,
                header: header.clone(),
                claims: claims.clone(),
            }),
        ));
        out.push((
            format!("hs256-{alg}"),
            plain(Token::Hs256 {
                header,
                claims: claims.clone(),
                key: vec![],
            }),
        ));
    }
    let header = br#"{"alg":"RS256","kid":"rsa-b","typ":"JWT","crit":["exp"]}"#.to_vec();
    out.push((
        "signed-crit".into(),
        plain(Token::Signed {
            signer: 1,
            header,
            claims: claims.clone(),
        }),
    ));
    let header = br#"{"alg":"RS256","kid":"rsa-b"}"#.to_vec();
    out.push((
        "signed-wrong-kid".into(),
        plain(Token::Signed {
            signer: 0,
            header,
            claims,
        }),
    ));
    out.into_iter().map(|(n, c)| (n, c.encode())).collect()
}

/// Seeds for the `jwks` target: the fixture set (Ed25519 and RSA keys), each key alone,
/// and documents exercising every skip reason and document error.
pub fn jwks_seeds() -> Vec<(String, Vec<u8>)> {
    let f = &*FIXTURE;
    let mut out = vec![("fixture".to_owned(), f.set.to_json().into_bytes())];
    for (i, key) in f.set.keys().iter().enumerate() {
        let one = Jwks::new(vec![key.clone()]).to_json();
        out.push((format!("key-{i}"), one.into_bytes()));
    }
    let rsa = f.signers[0].jwk().to_json_value();
    let okp = f.set.keys()[0].to_json_value();
    let with = |base: &Value, member: &str, value: Value| {
        let mut v = base.clone();
        v[member] = value;
        serde_json::json!({ "keys": [v] }).to_string()
    };
    let without = |base: &Value, member: &str| {
        let mut v = base.clone();
        v.as_object_mut().unwrap().remove(member);
        serde_json::json!({ "keys": [v] }).to_string()
    };
    let docs = [
        ("rsa-use-enc", with(&rsa, "use", "enc".into())),
        ("rsa-alg-rs384", with(&rsa, "alg", "RS384".into())),
        (
            "rsa-key-ops",
            with(&rsa, "key_ops", serde_json::json!(["sign"])),
        ),
        ("rsa-private", with(&rsa, "d", "AQAB".into())),
        ("rsa-e-padded", with(&rsa, "e", "AQAB=".into())),
        ("rsa-n-number", with(&rsa, "n", 5.into())),
        ("rsa-no-n", without(&rsa, "n")),
        ("okp-x448", with(&okp, "crv", "X448".into())),
        ("okp-short-x", with(&okp, "x", "AAAA".into())),
        ("okp-no-kty", without(&okp, "kty")),
        ("ec", with(&okp, "kty", "EC".into())),
        ("kid-number", with(&okp, "kid", 1.into())),
        ("entry-string", r#"{"keys":["x",null,[]]}"#.to_owned()),
        ("empty", r#"{"keys":[]}"#.to_owned()),
        ("not-a-set", r#"{"kty":"RSA"}"#.to_owned()),
        ("keys-object", r#"{"keys":{}}"#.to_owned()),
        ("not-json", "{\"keys\":[".to_owned()),
    ];
    out.extend(
        docs.into_iter()
            .map(|(n, d)| (n.to_owned(), d.into_bytes())),
    );
    out
}
