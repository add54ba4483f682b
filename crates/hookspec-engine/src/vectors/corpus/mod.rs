//! The generator of the published corpus (`hookspec vectors generate`).
//!
//! Every test is written here by hand or by a small loop over a mutation class, with its
//! expected result stated by the family that builds it, never computed by running the
//! reference verifier (the vector tests then check that the verifier agrees). Keys come
//! from fixed bytes and fixed Ed25519 seeds, and serialization is canonical, so the output is
//! identical on every run and machine.
//!
//! Test ids are assigned in generation order. To keep published ids stable, new tests are
//! appended after the existing families, never inserted between them.

mod gemini;
mod jwt;
mod notes;
mod v1;
mod v1a;
mod v1a_jwks;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::format::{
    BODY_TEXT_MAX, Computed, Expected, HeaderTemplate, Part, RawMutation, SCHEMA_VERSION, SigSpec,
    TestGroup, TestVector, TextMutation, TimestampStyle, VectorFile,
};
use super::render::{RenderError, render_headers};

/// Generates every vector file, in a fixed order (`v1`, `v1a`, `v1a-jwks`, `jwt`).
pub fn generate() -> Result<Vec<(&'static str, VectorFile)>, RenderError> {
    Ok(vec![
        ("v1.json", v1::file()?),
        ("v1a.json", v1a::file()?),
        ("v1a-jwks.json", v1a_jwks::file()?),
        ("jwt.json", jwt::file()?),
    ])
}

/// `value` with every object's members in sorted order, so its serialization is the same
/// whether or not `serde_json` keeps insertion order (its `preserve_order` feature).
pub(crate) fn canonical(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut names: Vec<&String> = map.keys().collect();
            names.sort();
            let mut out = serde_json::Map::new();
            for name in names {
                out.insert(name.clone(), canonical(&map[name]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The Standard Webhooks test secret of the official libraries (24 bytes).
pub(crate) const K: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// The id of the official known-answer vector.
pub(crate) const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
/// The timestamp of the official known-answer vector (and the usual `reference_now`).
pub(crate) const N: u64 = 1_614_265_330;
/// The body of the official known-answer vector.
pub(crate) const BODY: &[u8] = br#"{"test": 2432232314}"#;

/// `whsec_` text of fixed bytes.
pub(crate) fn whsec(bytes: &[u8]) -> String {
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// The bytes `start, start+1, …` (wrapping), `len` of them.
pub(crate) fn counting(start: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| start.wrapping_add(i as u8)).collect()
}

/// A header value in a case: fixed text, or a template rendered at the case's clock.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Fixed(String),
    Template(Vec<Part>),
}

/// Literal text part.
pub(crate) fn text(s: &str) -> Part {
    Part::Text(s.to_string())
}

/// `now + offset` part.
pub(crate) fn now(offset: i64) -> Part {
    Part::Computed(Computed::Now(offset))
}

/// `now + offset` in a style.
pub(crate) fn now_styled(offset: i64, style: TimestampStyle) -> Part {
    Part::Computed(Computed::NowStyled { offset, style })
}

/// A signature entry over the delivery, with a key (`whsec_` → v1, `whsk_` → v1a).
pub(crate) fn sig(key: &str) -> SigSpec {
    let scheme = if key.starts_with("whsk_") {
        "v1a"
    } else {
        "v1"
    };
    SigSpec {
        scheme: scheme.to_string(),
        key: key.to_string(),
        id: None,
        timestamp: None,
        body_b64: None,
        raw: Vec::new(),
        text: Vec::new(),
    }
}

/// Builder methods on a signature spec.
pub(crate) trait SigExt {
    fn raw(self, m: RawMutation) -> Self;
    fn text(self, m: TextMutation) -> Self;
    fn over_ts(self, parts: Vec<Part>) -> Self;
    fn over_id(self, id: &str) -> Self;
    fn over_body(self, body: &[u8]) -> Self;
    fn part(self) -> Part;
}

impl SigExt for SigSpec {
    fn raw(mut self, m: RawMutation) -> Self {
        self.raw.push(m);
        self
    }
    fn text(mut self, m: TextMutation) -> Self {
        self.text.push(m);
        self
    }
    fn over_ts(mut self, parts: Vec<Part>) -> Self {
        self.timestamp = Some(parts);
        self
    }
    fn over_id(mut self, id: &str) -> Self {
        self.id = Some(id.to_string());
        self
    }
    fn over_body(mut self, body: &[u8]) -> Self {
        self.body_b64 = Some(STANDARD.encode(body));
        self
    }
    fn part(self) -> Part {
        Part::Computed(Computed::Sig(self))
    }
}

/// One test before rendering.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub comment: String,
    pub flags: Vec<&'static str>,
    pub now: u64,
    pub headers: Vec<(String, Value)>,
    pub body: Vec<u8>,
    pub result: Expected,
    pub error: Option<&'static str>,
}

impl Case {
    /// A delivery of [`BODY`] at [`N`] with `webhook-id: ID`, `webhook-timestamp: now+0`, and
    /// the given signature header parts; expected valid.
    pub fn new(comment: impl Into<String>, flags: &[&'static str], signature: Vec<Part>) -> Self {
        Self {
            comment: comment.into(),
            flags: flags.to_vec(),
            now: N,
            headers: vec![
                ("webhook-id".into(), Value::Fixed(ID.into())),
                ("webhook-timestamp".into(), Value::Template(vec![now(0)])),
                ("webhook-signature".into(), Value::Template(signature)),
            ],
            body: BODY.to_vec(),
            result: Expected::Valid,
            error: None,
        }
    }

    /// Expect rejection with the reference verifier's `code`.
    pub fn invalid(mut self, code: &'static str) -> Self {
        self.result = Expected::Invalid;
        self.error = Some(code);
        self
    }

    /// The strict profile leaves a choice; `reference` is the reference verifier's choice
    /// (`None`: it accepts).
    pub fn acceptable(mut self, reference: Option<&'static str>) -> Self {
        self.result = Expected::Acceptable;
        self.error = reference;
        self
    }

    pub fn body(mut self, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self
    }

    pub fn at(mut self, now: u64) -> Self {
        self.now = now;
        self
    }

    /// Replaces the value of the first header called `name` (exact spelling).
    pub fn set(mut self, name: &str, value: Value) -> Self {
        match self.headers.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.headers.push((name.to_string(), value)),
        }
        self
    }

    pub fn id(self, id: &str) -> Self {
        self.set("webhook-id", Value::Fixed(id.to_string()))
    }

    pub fn ts(self, parts: Vec<Part>) -> Self {
        self.set("webhook-timestamp", Value::Template(parts))
    }

    pub fn ts_fixed(self, ts: &str) -> Self {
        self.set("webhook-timestamp", Value::Fixed(ts.to_string()))
    }

    pub fn remove(mut self, name: &str) -> Self {
        self.headers.retain(|(k, _)| k != name);
        self
    }

    pub fn push(mut self, name: &str, value: Value) -> Self {
        self.headers.push((name.to_string(), value));
        self
    }

    pub fn rename(mut self, from: &str, to: &str) -> Self {
        for (k, _) in &mut self.headers {
            if k == from {
                *k = to.to_string();
            }
        }
        self
    }
}

/// The header of a Standard Webhooks file (`v1`, `v1a`): its `title`, then how to regenerate
/// it, what its expected results follow, and that its keys are test keys.
pub(crate) fn standard_header(title: &str) -> [&str; 4] {
    [
        title,
        REGENERATE,
        "Expected results follow hookspec's strict profile (README, section \"The strict profile\").",
        "Keys here are published test keys: never use them for anything else.",
    ]
}

/// The header line that says how to regenerate a file.
pub(crate) const REGENERATE: &str =
    "Regenerate with `cargo run -- vectors generate --out vectors` (see vectors/README.md).";

/// A part of a file's tests, added in order.
pub(crate) type Section = fn(&mut Builder) -> Result<(), RenderError>;

/// Collects groups and tests, assigning ids and rendering templates.
pub(crate) struct Builder {
    scheme: hookspec::Scheme,
    groups: Vec<TestGroup>,
    next_id: u32,
}

impl Builder {
    pub fn new(scheme: hookspec::Scheme) -> Self {
        Self {
            scheme,
            groups: Vec::new(),
            next_id: 1,
        }
    }

    /// Starts a group: the receiver trusts these keys for the tests that follow.
    pub fn group(&mut self, comment: &str, secrets: &[&str], public_keys: &[&str]) {
        self.groups.push(TestGroup {
            comment: comment.to_string(),
            secrets: secrets.iter().map(|s| s.to_string()).collect(),
            public_keys: public_keys.iter().map(|s| s.to_string()).collect(),
            jwks: None,
            jwt_audience: None,
            jwt_issuer: None,
            jwt_body_binding: false,
            tests: Vec::new(),
        });
    }

    /// Starts a group whose receiver holds the key set `jwks` (and, for JWTs, is
    /// configured with `audience` and `issuer`).
    pub fn group_jwks(
        &mut self,
        comment: &str,
        jwks: serde_json::Value,
        audience: Option<&str>,
        issuer: Option<&str>,
    ) {
        self.groups.push(TestGroup {
            comment: comment.to_string(),
            secrets: Vec::new(),
            public_keys: Vec::new(),
            jwks: Some(canonical(&jwks)),
            jwt_audience: audience.map(str::to_string),
            jwt_issuer: issuer.map(str::to_string),
            jwt_body_binding: false,
            tests: Vec::new(),
        });
    }

    /// Declares that the receiver of the current group enforces hookspec's binding claims
    /// (`jwt_body_binding`).
    pub fn enforce_bindings(&mut self) {
        self.groups
            .last_mut()
            .expect("a group is started before it is configured")
            .jwt_body_binding = true;
    }

    /// Adds the tests of each section, in order.
    pub fn sections(&mut self, sections: &[Section]) -> Result<(), RenderError> {
        sections.iter().try_for_each(|section| section(self))
    }

    /// The freshness tests `v1` and `v1a` share: `signature` on deliveries timestamped each of
    /// `fresh` seconds from now (valid), then exactly ±300 s from now, where the strict profile
    /// leaves the choice (`boundary_label` starts those tests' comments).
    pub fn fresh_timestamps(
        &mut self,
        fresh: &[i64],
        boundary_label: &str,
        signature: &[Part],
    ) -> Result<(), RenderError> {
        for &offset in fresh {
            self.add(
                Case::new(
                    format!("timestamp {offset:+} s from now, signed"),
                    &["FreshTimestamp"],
                    signature.to_vec(),
                )
                .ts(vec![now(offset)]),
            )?;
        }
        for offset in [-300i64, 300] {
            self.add(
                Case::new(
                    format!("{boundary_label}timestamp exactly {offset:+} s from now"),
                    &["ToleranceBoundary"],
                    signature.to_vec(),
                )
                .ts(vec![now(offset)])
                .acceptable(None),
            )?;
        }
        Ok(())
    }

    /// Adds a delivery like [`Case::new`] whose signature header is the one entry `entry`,
    /// expected rejected with `code`.
    pub fn reject(
        &mut self,
        comment: impl Into<String>,
        flags: &[&'static str],
        entry: SigSpec,
        code: &'static str,
    ) -> Result<(), RenderError> {
        self.add(Case::new(comment, flags, vec![entry.part()]).invalid(code))
    }

    /// Adds a test to the current group.
    pub fn add(&mut self, case: Case) -> Result<(), RenderError> {
        let tc_id = self.next_id;
        self.next_id += 1;
        let mut headers = Vec::new();
        let mut templates = Vec::new();
        for (index, (name, value)) in case.headers.into_iter().enumerate() {
            match value {
                Value::Fixed(v) => headers.push((name, v)),
                Value::Template(parts) => {
                    headers.push((name, String::new()));
                    templates.push(HeaderTemplate {
                        header: index,
                        value: parts,
                    });
                }
            }
        }
        let headers = render_headers(tc_id, &headers, &templates, &case.body, case.now)?;
        let body_text = std::str::from_utf8(&case.body)
            .ok()
            .filter(|_| case.body.len() <= BODY_TEXT_MAX)
            .map(str::to_string);
        let test = TestVector {
            tc_id,
            comment: case.comment,
            flags: case.flags.iter().map(|f| f.to_string()).collect(),
            reference_now: case.now,
            headers,
            body_b64: STANDARD.encode(&case.body),
            body_text,
            result: case.result,
            error: case.error.map(str::to_string),
            resign: (!templates.is_empty()).then_some(templates),
        };
        self.groups
            .last_mut()
            .expect("a group is started before tests are added")
            .tests
            .push(test);
        Ok(())
    }

    pub fn finish(self, header: &[&str]) -> VectorFile {
        let number_of_tests = self.groups.iter().map(|g| g.tests.len()).sum();
        let mut used: Vec<&str> = self
            .groups
            .iter()
            .flat_map(|g| g.tests.iter())
            .flat_map(|t| t.flags.iter().map(String::as_str))
            .collect();
        used.sort_unstable();
        used.dedup();
        VectorFile {
            scheme: self.scheme.to_string(),
            schema: SCHEMA_VERSION.to_string(),
            number_of_tests,
            header: header.iter().map(|s| s.to_string()).collect(),
            notes: notes::notes_for(&used),
            test_groups: self.groups,
        }
    }
}
