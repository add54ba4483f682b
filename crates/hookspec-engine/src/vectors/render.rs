//! From a vector to the exact request to send, at the vector's own clock or at another one.
//!
//! A test's `headers` are the request frozen at `reference_now`. A *time-relative* test also
//! carries `resign`: templates for the headers that depend on the clock (the timestamp and
//! the signatures over it). Rendering the templates at `reference_now` reproduces `headers`
//! byte for byte (a test checks it for the whole corpus); rendering them at another `now`
//! gives the same delivery shifted in time:
//!
//! * `{"now": k}` renders the decimal of `now + k`. A test whose timestamp is 305 s before
//!   `reference_now` has `{"now": -305}`, so it is 305 s stale at any clock, and its expected
//!   result does not change.
//! * `{"now_styled": {"offset": k, "style": …}}` renders `now + k` in an unusual spelling
//!   (full-width digits, milliseconds, …) for the timestamp-grammar tests.
//! * `{"sig": {…}}` computes a signature entry over the rendered id, timestamp and body (or
//!   over the overrides it names), then applies its mutations, so a "one bit flipped" test
//!   stays one bit away from the valid signature at every clock.
//!
//! Tests without `resign` do not depend on the clock at all (no timestamp, or one that no
//! reading of it brings near any plausible clock): send their `headers` as they are.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

use super::format::{
    Computed, HeaderTemplate, JwtSign, JwtSpec, Part, RawMutation, SigSpec, TestVector,
    TextMutation, TokenMutation,
};
use hookspec::internal::{jwt, parse_timestamp, signed_content, tag_v1};
use hookspec::{
    ErrorCode, LengthPolicy, RsaSigningKey, SVIX_ID, SVIX_SIGNATURE, SVIX_TIMESTAMP, Secret,
    SigningKey, WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP,
};

/// The exact HTTP request a vector describes: a `POST` with these headers, in this order and
/// spelling (repeats included), and these body bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorRequest {
    /// Header names and values exactly as to be sent.
    pub headers: Vec<(String, String)>,
    /// The exact body bytes.
    pub body: Vec<u8>,
    /// The receiver clock (Unix seconds) at which the expected result holds.
    pub now: u64,
}

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// `now + offset` is negative or overflows.
    #[error("test {tc_id}: the clock offset {offset} does not fit at now = {now}")]
    ClockOutOfRange {
        /// The test.
        tc_id: u32,
        /// The offset.
        offset: i64,
        /// The clock.
        now: u64,
    },
    /// A signing key in a template does not parse.
    #[error("test {tc_id}: signing key for a {scheme} entry does not parse ({code})")]
    BadKey {
        /// The test.
        tc_id: u32,
        /// The scheme.
        scheme: String,
        /// The `KeyError` code.
        code: &'static str,
    },
    /// A template names a scheme other than `v1` / `v1a`.
    #[error("test {tc_id}: unknown signature scheme {scheme:?} in a template")]
    UnknownScheme {
        /// The test.
        tc_id: u32,
        /// The scheme.
        scheme: String,
    },
    /// A mutation does not apply (index past the end, no padding bits, bad base64).
    #[error("test {tc_id}: mutation {what} does not apply")]
    BadMutation {
        /// The test.
        tc_id: u32,
        /// Which mutation.
        what: &'static str,
    },
    /// At this clock a mutation would change nothing (the URL-safe form of a signature
    /// without `+` or `/`), so the test would not test what it says. Render it at another
    /// second (the harness's `--system-clock` mode waits for the next one).
    #[error("test {tc_id}: its mutation has no effect at this clock; try the next second")]
    NoEffect {
        /// The test.
        tc_id: u32,
    },
    /// A template points past the headers, or the body is not base64.
    #[error("test {tc_id}: malformed template or body")]
    Malformed {
        /// The test.
        tc_id: u32,
    },
}

/// The request for `test` at its own `reference_now` (the committed headers).
pub fn request(test: &TestVector) -> Result<VectorRequest, RenderError> {
    Ok(VectorRequest {
        headers: test.headers.clone(),
        body: test
            .body()
            .map_err(|_| RenderError::Malformed { tc_id: test.tc_id })?,
        now: test.reference_now,
    })
}

/// The request for `test` re-signed for a receiver whose clock reads `now`.
///
/// Time-relative tests are re-rendered (every offset from `reference_now` kept); other
/// tests come back as committed, since their expected result holds at any clock.
pub fn request_at(test: &TestVector, now: u64) -> Result<VectorRequest, RenderError> {
    let body = test
        .body()
        .map_err(|_| RenderError::Malformed { tc_id: test.tc_id })?;
    let headers = match &test.resign {
        Some(templates) => render_headers(test.tc_id, &test.headers, templates, &body, now)?,
        None => test.headers.clone(),
    };
    Ok(VectorRequest { headers, body, now })
}

/// Renders `templates` over `headers` at `now`. Templates without signature parts are
/// rendered first, so signatures see the rendered id and timestamp.
pub fn render_headers(
    tc_id: u32,
    headers: &[(String, String)],
    templates: &[HeaderTemplate],
    body: &[u8],
    now: u64,
) -> Result<Vec<(String, String)>, RenderError> {
    let mut out = headers.to_vec();
    let has_sig = |t: &HeaderTemplate| {
        t.value
            .iter()
            .any(|p| matches!(p, Part::Computed(Computed::Sig(_) | Computed::Jwt(_))))
    };
    for pass_sigs in [false, true] {
        for template in templates.iter().filter(|t| has_sig(t) == pass_sigs) {
            let ctx = Context {
                tc_id,
                now,
                id: first_value(&out, &[WEBHOOK_ID, SVIX_ID]),
                timestamp: first_value(&out, &[WEBHOOK_TIMESTAMP, SVIX_TIMESTAMP]),
                body,
            };
            let value = ctx.render(&template.value)?;
            let slot = out
                .get_mut(template.header)
                .ok_or(RenderError::Malformed { tc_id })?;
            slot.1 = value;
        }
    }
    Ok(out)
}

/// The value of the first header among `names` (first name preferred), or `""`.
fn first_value(headers: &[(String, String)], names: &[&str]) -> String {
    names
        .iter()
        .find_map(|name| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        })
        .unwrap_or_default()
}

struct Context<'a> {
    tc_id: u32,
    now: u64,
    id: String,
    timestamp: String,
    body: &'a [u8],
}

impl Context<'_> {
    fn render(&self, parts: &[Part]) -> Result<String, RenderError> {
        let mut out = String::new();
        for part in parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Computed(Computed::Now(offset)) => {
                    out.push_str(&self.shifted(*offset)?.to_string());
                }
                Part::Computed(Computed::NowStyled { offset, style }) => {
                    out.push_str(&style.render(self.shifted(*offset)?));
                }
                Part::Computed(Computed::Sig(spec)) => out.push_str(&self.signature(spec)?),
                Part::Computed(Computed::Jwt(spec)) => out.push_str(&self.jwt(spec)?),
            }
        }
        Ok(out)
    }

    fn shifted(&self, offset: i64) -> Result<u64, RenderError> {
        self.now
            .checked_add_signed(offset)
            .ok_or(RenderError::ClockOutOfRange {
                tc_id: self.tc_id,
                offset,
                now: self.now,
            })
    }

    fn signature(&self, spec: &SigSpec) -> Result<String, RenderError> {
        let tc_id = self.tc_id;
        let id = spec.id.as_deref().unwrap_or(&self.id);
        let timestamp = match &spec.timestamp {
            Some(parts) => self.render(parts)?,
            None => self.timestamp.clone(),
        };
        let body_override;
        let body = match &spec.body_b64 {
            Some(b64) => {
                body_override = STANDARD
                    .decode(b64)
                    .map_err(|_| RenderError::Malformed { tc_id })?;
                &body_override[..]
            }
            None => self.body,
        };
        let bad_key = |code| RenderError::BadKey {
            tc_id,
            scheme: spec.scheme.clone(),
            code,
        };
        let mut raw: Vec<u8> = match spec.scheme.as_str() {
            // `whsec_` alone is the empty key: what a receiver whose secret variable is
            // unset computes, and anyone can.
            "v1" if spec.key == "whsec_" => crate::cases::hmac_tag(
                b"",
                &signed_content(id.as_bytes(), timestamp.as_bytes(), body),
            )
            .to_vec(),
            "v1" => {
                let secret = Secret::parse_with(&spec.key, LengthPolicy::AnyNonEmpty)
                    .map_err(|e| bad_key(e.code()))?;
                tag_v1(&secret, id.as_bytes(), timestamp.as_bytes(), body).to_vec()
            }
            "v1a" => {
                let key = SigningKey::parse(&spec.key).map_err(|e| bad_key(e.code()))?;
                key.sign_bytes(&signed_content(id.as_bytes(), timestamp.as_bytes(), body))
                    .to_vec()
            }
            other => {
                return Err(RenderError::UnknownScheme {
                    tc_id,
                    scheme: other.to_string(),
                });
            }
        };
        for m in &spec.raw {
            apply_raw(&mut raw, m).map_err(|what| RenderError::BadMutation { tc_id, what })?;
        }
        let mut entry = format!("{},{}", spec.scheme, STANDARD.encode(&raw));
        for m in &spec.text {
            entry = apply_text(&entry, m).map_err(|what| {
                if what == NO_EFFECT {
                    RenderError::NoEffect { tc_id }
                } else {
                    RenderError::BadMutation { tc_id, what }
                }
            })?;
        }
        Ok(entry)
    }
}

impl Context<'_> {
    /// A compact JWS: the exact header text, the claims rendered at this clock, signed as
    /// the spec says, then the token mutations.
    fn jwt(&self, spec: &JwtSpec) -> Result<String, RenderError> {
        let tc_id = self.tc_id;
        let header = spec.header.as_bytes();
        let claims = self.render(&spec.claims)?;
        let claims = claims.as_bytes();
        let bad_key = |code| RenderError::BadKey {
            tc_id,
            scheme: "jwt".to_string(),
            code,
        };
        let mut token = match &spec.sign {
            JwtSign::Rs256(pem) => {
                let key = rsa_key(pem).map_err(|e| bad_key(e.code()))?;
                let input = jwt::signing_input(header, claims);
                jwt::compact(header, claims, &key.sign_rs256(input.as_bytes()))
            }
            JwtSign::Hs256B64(b64) => {
                let secret = STANDARD
                    .decode(b64)
                    .map_err(|_| RenderError::Malformed { tc_id })?;
                jwt::sign_hs256(header, claims, &secret)
            }
            JwtSign::Unsigned => jwt::compact(header, claims, b""),
        };
        for m in &spec.text {
            token =
                apply_token(&token, m).map_err(|what| RenderError::BadMutation { tc_id, what })?;
        }
        Ok(token)
    }
}

/// The RSA key of a PEM text, parsed once per process: a corpus names the same few keys
/// in every JWT template, and parsing (with its CRT precomputation) costs more than
/// signing. At most [`RSA_CACHE_MAX`] keys are kept.
fn rsa_key(pem: &str) -> Result<RsaSigningKey, hookspec::KeyError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, RsaSigningKey>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(key) = cache.lock().ok().and_then(|c| c.get(pem).cloned()) {
        return Ok(key);
    }
    let key = RsaSigningKey::from_pem(pem)?;
    if let Ok(mut c) = cache.lock() {
        if c.len() >= RSA_CACHE_MAX {
            c.clear();
        }
        c.insert(pem.to_string(), key.clone());
    }
    Ok(key)
}

/// How many parsed RSA keys [`rsa_key`] keeps.
const RSA_CACHE_MAX: usize = 16;

fn apply_token(token: &str, m: &TokenMutation) -> Result<String, &'static str> {
    let chars: Vec<char> = token.chars().collect();
    Ok(match m {
        TokenMutation::DropLast(n) => {
            let keep = chars.len().checked_sub(*n).ok_or("drop_last")?;
            chars[..keep].iter().collect()
        }
        TokenMutation::Segments(n) => {
            let parts: Vec<&str> = token.split('.').collect();
            if *n > parts.len() {
                return Err("segments");
            }
            parts[..*n].join(".")
        }
        TokenMutation::Insert { at, text } => insert_at(&chars, *at, text)?,
        TokenMutation::Append(text) => format!("{token}{text}"),
    })
}

/// The mutation error for a mutation that changes nothing at this clock.
const NO_EFFECT: &str = "url_safe (the signature has no `+` or `/` at this clock)";

/// The standard base64 alphabet, in index order.
const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The Ed25519 group order L, little-endian.
const ED25519_L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn apply_raw(raw: &mut Vec<u8>, m: &RawMutation) -> Result<(), &'static str> {
    match m {
        RawMutation::Xor { index, mask } => {
            *raw.get_mut(*index).ok_or("xor")? ^= mask;
        }
        RawMutation::Truncate(n) => {
            if *n > raw.len() {
                return Err("truncate");
            }
            raw.truncate(*n);
        }
        RawMutation::AppendZeros(n) => raw.resize(raw.len() + n, 0),
        RawMutation::Zero => raw.iter_mut().for_each(|b| *b = 0),
        RawMutation::AddOrderToS => {
            if raw.len() != 64 {
                return Err("add_order_to_s");
            }
            let mut carry = 0u16;
            for (s, l) in raw[32..].iter_mut().zip(ED25519_L) {
                let sum = u16::from(*s) + u16::from(l) + carry;
                *s = (sum & 0xff) as u8;
                carry = sum >> 8;
            }
            if carry != 0 {
                return Err("add_order_to_s");
            }
        }
    }
    Ok(())
}

fn apply_text(entry: &str, m: &TextMutation) -> Result<String, &'static str> {
    let chars: Vec<char> = entry.chars().collect();
    let (version, b64) = entry.split_once(',').ok_or("text")?;
    Ok(match m {
        TextMutation::Truncate(n) => {
            if *n > chars.len() {
                return Err("truncate");
            }
            chars[..*n].iter().collect()
        }
        TextMutation::XorBase64 { at, mask } => {
            let c = *chars.get(*at).ok_or("xor_base64")?;
            let index = BASE64_ALPHABET
                .iter()
                .position(|&a| char::from(a) == c)
                .ok_or("xor_base64")?;
            let replaced = *BASE64_ALPHABET
                .get(index ^ usize::from(*mask))
                .ok_or("xor_base64")?;
            if *mask == 0 {
                return Err("xor_base64");
            }
            let mut out = chars.clone();
            out[*at] = char::from(replaced);
            out.into_iter().collect()
        }
        TextMutation::Delete(at) => {
            if *at >= chars.len() {
                return Err("delete");
            }
            chars[..*at].iter().chain(&chars[at + 1..]).collect()
        }
        TextMutation::Insert { at, text } => insert_at(&chars, *at, text)?,
        TextMutation::Append(text) => format!("{entry}{text}"),
        TextMutation::Version(v) => format!("{v},{b64}"),
        TextMutation::DropVersion => b64.to_string(),
        TextMutation::UrlSafe => {
            let raw = STANDARD.decode(b64).map_err(|_| "url_safe")?;
            let encoded = URL_SAFE.encode(raw);
            // About one signature in four (v1) has neither `+` nor `/`: at such a clock the
            // test would send the valid entry, so refuse (see `RenderError::NoEffect`).
            if encoded == b64 {
                return Err(NO_EFFECT);
            }
            format!("{version},{encoded}")
        }
        TextMutation::StripPadding => format!("{version},{}", b64.trim_end_matches('=')),
        TextMutation::NoncanonicalPadding => {
            let data = b64.trim_end_matches('=');
            let pad = b64.len() - data.len();
            // One `=` leaves 2 unused bits in the last character, two leave 4.
            if pad == 0 {
                return Err("noncanonical_padding");
            }
            let last = *data.as_bytes().last().ok_or("noncanonical_padding")?;
            let index = BASE64_ALPHABET
                .iter()
                .position(|&c| c == last)
                .ok_or("noncanonical_padding")?;
            let replaced = BASE64_ALPHABET[index | 1] as char;
            format!(
                "{version},{}{replaced}{}",
                &data[..data.len() - 1],
                "=".repeat(pad)
            )
        }
    })
}

/// Freezes a delivery as a test vector: the reverse of [`request_at`].
///
/// `signing_keys` are the `whsec_` / `whsk_` keys the sender signed with. The timestamp
/// header (when it is a canonical decimal) becomes a `now` offset from `now`, and every
/// signature entry that is the correct signature of the delivery under one of the keys
/// becomes a `sig` template; other entries stay literal. The result's `resign` is absent
/// when nothing depends on the clock.
pub fn freeze(delivery: Delivery<'_>, signing_keys: &[String]) -> TestVector {
    let Delivery {
        tc_id,
        comment,
        flags,
        now,
        headers,
        body,
        result,
        error,
    } = delivery;
    let mut templates = Vec::new();
    let id = first_value(headers, &[WEBHOOK_ID, SVIX_ID]);
    let ts_name = [WEBHOOK_TIMESTAMP, SVIX_TIMESTAMP]
        .into_iter()
        .find(|n| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n)));
    let timestamp = first_value(headers, &[WEBHOOK_TIMESTAMP, SVIX_TIMESTAMP]);
    if let Some(name) = ts_name {
        let index = headers
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(name))
            .expect("found above");
        let offset = parse_timestamp(timestamp.as_bytes())
            .and_then(|ts| i64::try_from(i128::from(ts) - i128::from(now)).ok());
        if let Some(offset) = offset {
            templates.push(HeaderTemplate {
                header: index,
                value: vec![Part::Computed(Computed::Now(offset))],
            });
        }
    }
    let ctx = Context {
        tc_id,
        now,
        id,
        timestamp,
        body,
    };
    for (index, (name, value)) in headers.iter().enumerate() {
        if !(name.eq_ignore_ascii_case(WEBHOOK_SIGNATURE)
            || name.eq_ignore_ascii_case(SVIX_SIGNATURE))
        {
            continue;
        }
        let mut parts: Vec<Part> = Vec::new();
        let mut any_sig = false;
        for (i, entry) in value.split(' ').enumerate() {
            if i > 0 {
                push_text(&mut parts, " ");
            }
            let matching = signing_keys.iter().find_map(|key| {
                let scheme = if key.starts_with(SigningKey::PREFIX) {
                    "v1a"
                } else {
                    "v1"
                };
                let spec = SigSpec {
                    scheme: scheme.to_string(),
                    key: key.clone(),
                    id: None,
                    timestamp: None,
                    body_b64: None,
                    raw: Vec::new(),
                    text: Vec::new(),
                };
                (ctx.signature(&spec).ok()? == entry).then_some(spec)
            });
            match matching {
                Some(spec) => {
                    any_sig = true;
                    parts.push(Part::Computed(Computed::Sig(spec)));
                }
                None => push_text(&mut parts, entry),
            }
        }
        if any_sig {
            templates.push(HeaderTemplate {
                header: index,
                value: parts,
            });
        }
    }
    let body_text = std::str::from_utf8(body)
        .ok()
        .filter(|_| body.len() <= super::format::BODY_TEXT_MAX)
        .map(str::to_string);
    TestVector {
        tc_id,
        comment,
        flags,
        reference_now: now,
        headers: headers.to_vec(),
        body_b64: STANDARD.encode(body),
        body_text,
        result,
        error,
        resign: (!templates.is_empty()).then_some(templates),
    }
}

fn push_text(parts: &mut Vec<Part>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Part::Text(last)) = parts.last_mut() {
        last.push_str(text);
    } else {
        parts.push(Part::Text(text.to_string()));
    }
}

/// A delivery to freeze with [`freeze`]: what was sent, when, and what should happen.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    /// The test id to give the vector.
    pub tc_id: u32,
    /// What the delivery probes.
    pub comment: String,
    /// Flags (keys of the file's `notes`).
    pub flags: Vec<String>,
    /// The clock at which the delivery was planned (becomes `reference_now`).
    pub now: u64,
    /// Headers exactly as sent.
    pub headers: &'a [(String, String)],
    /// Body bytes exactly as sent.
    pub body: &'a [u8],
    /// The expected result.
    pub result: super::format::Expected,
    /// For `invalid`: the reference verifier's error code.
    pub error: Option<String>,
}

/// `text` inserted before the character at `at` (at most the length: appended).
fn insert_at(chars: &[char], at: usize, text: &str) -> Result<String, &'static str> {
    if at > chars.len() {
        return Err("insert");
    }
    let mut out: String = chars[..at].iter().collect();
    out.push_str(text);
    out.extend(&chars[at..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::format::{Expected, TimestampStyle};

    #[test]
    fn timestamp_styles() {
        let n = 1_614_265_330;
        assert_eq!(TimestampStyle::Fullwidth.render(n), "１６１４２６５３３０");
        assert_eq!(TimestampStyle::ArabicIndic.render(n), "١٦١٤٢٦٥٣٣٠");
        assert_eq!(TimestampStyle::Exponent.render(n), "1.614265330e9");
        assert_eq!(TimestampStyle::Exponent.render(7), "7e0");
        assert_eq!(TimestampStyle::Underscores.render(n), "1_614_265_330");
        assert_eq!(TimestampStyle::Underscores.render(330), "330");
        assert_eq!(TimestampStyle::Milliseconds.render(n), "1614265330000");
    }

    #[test]
    fn text_mutations() {
        let e = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        let m = |m: TextMutation| apply_text(e, &m);
        assert_eq!(
            m(TextMutation::XorBase64 { at: 45, mask: 4 }).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="
        );
        assert!(m(TextMutation::XorBase64 { at: 45, mask: 0 }).is_err());
        assert!(
            m(TextMutation::XorBase64 { at: 46, mask: 1 }).is_err(),
            "`=` is not a base64 digit"
        );
        assert!(m(TextMutation::XorBase64 { at: 99, mask: 1 }).is_err());
        assert_eq!(
            m(TextMutation::NoncanonicalPadding).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF="
        );
        assert_eq!(
            m(TextMutation::UrlSafe).unwrap(),
            "v1,g0hM9SsE-OTPJTGt_tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert_eq!(
            m(TextMutation::StripPadding).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE"
        );
        assert_eq!(m(TextMutation::Truncate(9)).unwrap(), "v1,g0hM9S");
        assert!(m(TextMutation::Truncate(48)).is_err());
        assert_eq!(m(TextMutation::Delete(0)).unwrap(), &e[1..]);
        assert_eq!(
            m(TextMutation::Version("V1".into())).unwrap(),
            format!("V1{}", &e[2..])
        );
        assert_eq!(m(TextMutation::DropVersion).unwrap(), &e[3..]);
        assert!(apply_text("v1,AAAA", &TextMutation::NoncanonicalPadding).is_err());
        assert!(apply_text("no-comma", &TextMutation::StripPadding).is_err());
    }

    #[test]
    fn raw_mutations() {
        let mut sig = vec![0xffu8; 64];
        sig[63] = 0;
        let mut with_l = sig.clone();
        apply_raw(&mut with_l, &RawMutation::AddOrderToS).unwrap();
        assert_eq!(with_l[..32], sig[..32], "R is untouched");
        assert_eq!(with_l[32], 0xff_u8.wrapping_add(0xed));
        let mut full = vec![0xffu8; 64];
        assert!(
            apply_raw(&mut full, &RawMutation::AddOrderToS).is_err(),
            "S + L overflows 256 bits"
        );
        let mut short = vec![1u8; 32];
        assert!(apply_raw(&mut short, &RawMutation::AddOrderToS).is_err());
        assert!(apply_raw(&mut short, &RawMutation::Xor { index: 32, mask: 1 }).is_err());
        assert!(apply_raw(&mut short, &RawMutation::Truncate(33)).is_err());
        apply_raw(&mut short, &RawMutation::AppendZeros(2)).unwrap();
        assert_eq!(short.len(), 34);
    }

    #[test]
    fn clock_out_of_range_is_an_error() {
        let ctx = Context {
            tc_id: 7,
            now: 10,
            id: String::new(),
            timestamp: String::new(),
            body: b"",
        };
        assert_eq!(
            ctx.render(&[Part::Computed(Computed::Now(-10))]).unwrap(),
            "0"
        );
        assert!(matches!(
            ctx.render(&[Part::Computed(Computed::Now(-11))]),
            Err(RenderError::ClockOutOfRange {
                tc_id: 7,
                offset: -11,
                now: 10
            })
        ));
    }

    #[test]
    fn freezing_a_clock_independent_delivery_keeps_it_literal() {
        let headers = vec![
            ("webhook-id".to_string(), "msg_1".to_string()),
            ("webhook-timestamp".to_string(), "hello".to_string()),
        ];
        let test = freeze(
            Delivery {
                tc_id: 3,
                comment: "c".into(),
                flags: vec![],
                now: 100,
                headers: &headers,
                body: b"\xff",
                result: Expected::Invalid,
                error: Some("invalid_timestamp".into()),
            },
            &[],
        );
        assert!(test.resign.is_none());
        assert_eq!(test.body_text, None, "not UTF-8");
        assert_eq!(request_at(&test, 5_000).unwrap().headers, headers);
    }
}
