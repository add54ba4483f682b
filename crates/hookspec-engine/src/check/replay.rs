//! Replaying a vector file against a live endpoint (`hookspec check URL --vectors FILE`).
//!
//! Each test is rendered at the moment it is sent ([`crate::vectors::request_at`]): a test
//! frozen 305 s before its `reference_now` is still 305 s stale now, and its signatures are
//! recomputed over the rendered headers, with their mutations reapplied. The endpoint must
//! trust the test group's keys; groups whose keys it is not declared to trust (with
//! `--secret`) are `UNSUPPORTED`. Without a URL, each group is replayed against an embedded
//! reference receiver configured with exactly that group's keys.
//!
//! Key-set files (`v1a-jwks`, `jwt`) replay against the embedded receiver only: each group
//! gets hookspec's key server serving the group's `jwks` document as it is, and a reference
//! receiver fetching it, accepting only the file's scheme, with the group's JWT audience
//! and issuer, and requiring `body_sha256` when the group enforces the binding claims
//! (`jwt_body_binding`). A live endpoint cannot be pointed at each group's key set, so
//! those groups are `UNSUPPORTED` with a URL.
//!
//! Judgement is accept (2xx) versus reject (anything else): `valid` must be accepted,
//! `invalid` rejected, and `acceptable` is recorded as `INFORMATIONAL`.

use std::time::{Duration, Instant, SystemTime};

use crate::cases::Answer;
use crate::delivery::Delivery;
use crate::judgement::{CaseInfo, Judgement, Outcome};
use crate::report::{CaseResult, Level, Report};
use crate::serve::{ServeConfig, spawn_embedded};
use crate::vectors::render::RenderError;
use crate::vectors::{Expected, TestGroup, TestVector, VectorFile, request_at};
use hookspec::ErrorCode;
use hookspec::LengthPolicy;
use hookspec::PublicKey;
use hookspec::Secret;
use hookspec::internal::unix_now;

use super::CheckError;
use super::http::Target;
use super::select::glob_match;

/// Where the vectors go.
#[derive(Debug, Clone)]
pub enum ReplayTarget {
    /// A live endpoint; `trusted` are the secrets it is declared to trust (`--secret`), or
    /// `None` when it is assumed to trust every group's keys.
    Url {
        /// The endpoint URL.
        url: String,
        /// The secrets it trusts, if declared.
        trusted: Option<Vec<Secret>>,
    },
    /// One embedded reference receiver per test group, configured with the group's keys.
    Embedded,
}

/// What to replay.
#[derive(Debug)]
pub struct Replay {
    /// The vector files, with the names they were read from.
    pub files: Vec<(String, VectorFile)>,
    /// Where to send them.
    pub target: ReplayTarget,
    /// Only tests whose id (`v1/tc_42`) matches one of these globs (empty: all).
    pub cases: Vec<String>,
    /// Skip tests whose id matches one of these globs.
    pub skip: Vec<String>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Whether NON-STRICT fails the run.
    pub strict: bool,
}

/// Replays the vectors and returns the report.
pub async fn replay(replay: Replay) -> Result<Report, CheckError> {
    replay_with(replay, &crate::transport::Transport::default()).await
}

/// Like [`replay`], reaching a live endpoint through `transport` (TLS trust, client
/// certificate, extra headers); the embedded receivers are reached directly.
pub async fn replay_with(
    replay: Replay,
    transport: &crate::transport::Transport,
) -> Result<Report, CheckError> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let label = match &replay.target {
        ReplayTarget::Url { url, .. } => Target::parse_with(url, transport)?.display(),
        ReplayTarget::Embedded => "embedded reference receiver".to_string(),
    };
    let mut report = Report::new("check --vectors", &label, started, replay.strict);
    if transport.is_insecure() {
        report
            .notes
            .push(crate::transport::INSECURE_NOTE.to_string());
    }
    let mut results = Vec::new();
    for (_, file) in &replay.files {
        for group in &file.test_groups {
            let selected: Vec<&TestVector> = group
                .tests
                .iter()
                .filter(|t| replay.wanted(&case_id(&file.scheme, t)))
                .collect();
            if selected.is_empty() {
                continue;
            }
            results.extend(replay_group(&replay, transport, &file.scheme, group, &selected).await?);
        }
    }
    report.finish(results, clock.elapsed());
    Ok(report)
}

impl Replay {
    fn wanted(&self, id: &str) -> bool {
        let selected = self.cases.is_empty() || self.cases.iter().any(|p| glob_match(p, id));
        selected && !self.skip.iter().any(|p| glob_match(p, id))
    }
}

/// `v1/tc_42`: the id the vector harness uses too.
fn case_id(scheme: &str, test: &TestVector) -> String {
    format!("{scheme}/tc_{}", test.tc_id)
}

async fn replay_group(
    replay: &Replay,
    transport: &crate::transport::Transport,
    scheme: &str,
    group: &TestGroup,
    tests: &[&TestVector],
) -> Result<Vec<CaseResult>, CheckError> {
    if let Some(document) = &group.jwks {
        return replay_key_set_group(replay, scheme, group, document, tests).await;
    }
    let keys = match GroupKeys::parse(group) {
        Ok(keys) => keys,
        Err(why) => return Ok(unsupported_all(scheme, tests, &why)),
    };
    match &replay.target {
        ReplayTarget::Url { url, trusted } => {
            if let Some(trusted) = trusted {
                let declared = keys.secrets.iter().all(|s| trusted.contains(s));
                if !declared || !keys.public_keys.is_empty() && keys.secrets.is_empty() {
                    let why = format!(
                        "the endpoint is not declared to trust this group's keys ({}); configure it with them and pass each as --secret",
                        group.comment
                    );
                    return Ok(unsupported_all(scheme, tests, &why));
                }
            }
            let target = Target::parse_with(url, transport)?;
            send_all(&target, scheme, tests, replay.timeout).await
        }
        ReplayTarget::Embedded => {
            let config = ServeConfig::trusting(&keys.secrets, &keys.public_keys);
            let server = spawn_embedded(config)
                .await
                .map_err(|e| CheckError::Unreachable {
                    url: "embedded reference receiver".into(),
                    why: e.to_string(),
                })?;
            let target = Target::parse(&server.base_url())?;
            let results = send_all(&target, scheme, tests, replay.timeout).await;
            let _ = server.shutdown().await;
            results
        }
    }
}

/// Replays a group whose receiver holds a key set (see the module documentation).
async fn replay_key_set_group(
    replay: &Replay,
    scheme: &str,
    group: &TestGroup,
    document: &serde_json::Value,
    tests: &[&TestVector],
) -> Result<Vec<CaseResult>, CheckError> {
    if matches!(replay.target, ReplayTarget::Url { .. }) {
        let why = "key-set vectors (v1a-jwks, jwt) replay against the embedded receiver only: a live endpoint would have to fetch each group's key set";
        return Ok(unsupported_all(scheme, tests, why));
    }
    let unreachable = |why: String| CheckError::Unreachable {
        url: "embedded reference receiver".into(),
        why,
    };
    let host =
        crate::jwks_host::spawn_document(crate::serve::LOOPBACK_ANY, document.to_string(), 300)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
    // A file of another scheme carrying a key set accepts nothing: every vector then
    // fails loudly instead of being judged under the wrong scheme.
    let only = hookspec::Scheme::parse(scheme).unwrap_or(hookspec::Scheme::V1);
    let mut verifier = hookspec::JwksVerifier::new()
        .only(only)
        .require_body_binding(group.jwt_body_binding);
    if let Some(audience) = &group.jwt_audience {
        verifier = verifier.audience(audience.clone());
    }
    if let Some(issuer) = &group.jwt_issuer {
        verifier = verifier.issuer(issuer.clone());
    }
    let config = ServeConfig::from_key_set(&host.url(), Default::default(), verifier)
        .map_err(|e| unreachable(e.to_string()))?;
    let server = spawn_embedded(config)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let target = Target::parse(&server.base_url())?;
    let results = send_all(&target, scheme, tests, replay.timeout).await;
    let _ = server.shutdown().await;
    let _ = host.shutdown().await;
    results
}

/// A group's keys, parsed as the strict profile parses them.
struct GroupKeys {
    secrets: Vec<Secret>,
    public_keys: Vec<PublicKey>,
}

impl GroupKeys {
    fn parse(group: &TestGroup) -> Result<Self, String> {
        let refuse = |kind: &str, code: &str| {
            format!(
                "configuration vector: the strict profile refuses this {kind} ({code}), so no endpoint can be configured with it"
            )
        };
        let secrets = group
            .secrets
            .iter()
            .map(|s| {
                Secret::parse_with(s, LengthPolicy::Spec).map_err(|e| refuse("secret", e.code()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let public_keys = group
            .public_keys
            .iter()
            .map(|k| PublicKey::parse(k).map_err(|e| refuse("public key", e.code())))
            .collect::<Result<Vec<_>, _>>()?;
        if secrets.is_empty() && public_keys.is_empty() {
            return Err("the group trusts no key".into());
        }
        Ok(Self {
            secrets,
            public_keys,
        })
    }
}

fn unsupported_all(scheme: &str, tests: &[&TestVector], why: &str) -> Vec<CaseResult> {
    tests
        .iter()
        .map(|t| result(scheme, t, Judgement::unsupported(why), None, Duration::ZERO))
        .collect()
}

async fn send_all(
    target: &Target,
    scheme: &str,
    tests: &[&TestVector],
    timeout: Duration,
) -> Result<Vec<CaseResult>, CheckError> {
    let mut results = Vec::with_capacity(tests.len());
    for test in tests {
        let started = Instant::now();
        let mut attempts = 0;
        let (delivery, answer, outcome, message) = loop {
            let rendered_at = unix_now();
            let delivery = match render(test) {
                Ok(delivery) => delivery,
                Err(why) => break (None, None, Outcome::Unsupported, why),
            };
            let answer = target.send(&delivery, timeout).await;
            let (outcome, message) = judge(test.result, &answer);
            attempts += 1;
            // A stalled exchange (two clock seconds or more between rendering and the
            // answer) can carry a vector across the edge of the ±300 s window, which is
            // not the endpoint's fault: such a failure is sent once more, freshly rendered.
            let stalled = unix_now().saturating_sub(rendered_at) >= 2;
            if outcome != Outcome::MustBreach || !stalled || attempts == 2 {
                break (Some(delivery), Some(answer), outcome, message);
            }
        };
        let (Some(delivery), Some(answer)) = (delivery, answer) else {
            let judgement = Judgement::plain(outcome, message);
            results.push(result(scheme, test, judgement, None, Duration::ZERO));
            continue;
        };
        let judgement = Judgement::new(outcome, message, answer.observed());
        let sent = Some(delivery.describe());
        results.push(result(scheme, test, judgement, sent, started.elapsed()));
    }
    Ok(results)
}

/// How many seconds ahead [`render`] may look for a clock at which the vector's mutation
/// changes something (a URL-safe mutation is a no-op when the signature has no `+` or `/`,
/// about one second in four).
const RENDER_LOOKAHEAD: u64 = 8;

/// Renders a test at the current clock (or the first of the next seconds at which its
/// mutation is not a no-op) as a delivery.
fn render(test: &TestVector) -> Result<Delivery, String> {
    let now = unix_now();
    let mut rendered = request_at(test, now);
    for ahead in 1..=RENDER_LOOKAHEAD {
        if !matches!(rendered, Err(RenderError::NoEffect { .. })) {
            break;
        }
        rendered = request_at(test, now + ahead);
    }
    let request = rendered.map_err(|e| format!("cannot render the vector: {e}"))?;
    let padded = |v: &str| v.starts_with([' ', '\t']) || v.ends_with([' ', '\t']);
    if request.headers.iter().any(|(_, v)| padded(v)) {
        return Err("HTTP strips the spaces and tabs around a header value (RFC 9110, section 5.5), so this vector cannot be replayed over HTTP".into());
    }
    let mut delivery = Delivery::post(request.body);
    for (name, value) in request.headers {
        delivery = delivery.header(name, value.into_bytes());
    }
    Ok(delivery)
}

fn judge(expected: Expected, answer: &Answer) -> (Outcome, String) {
    let accepted = answer.is_success();
    let what = answer.short();
    match (expected, accepted) {
        (Expected::Valid, true) => (Outcome::Pass, format!("accepted ({what})")),
        (Expected::Valid, false) => (
            Outcome::MustBreach,
            format!("a valid delivery was not accepted ({what})"),
        ),
        (Expected::Invalid, false) => (Outcome::Pass, format!("rejected ({what})")),
        (Expected::Invalid, true) => (
            Outcome::MustBreach,
            format!("an invalid delivery was accepted ({what})"),
        ),
        (Expected::Acceptable, _) => (
            Outcome::Measured,
            format!(
                "{} ({what}); the strict profile leaves this to the receiver",
                if accepted { "accepted" } else { "rejected" }
            ),
        ),
    }
}

fn result(
    scheme: &str,
    test: &TestVector,
    judgement: Judgement,
    sent: Option<String>,
    elapsed: Duration,
) -> CaseResult {
    let expected = match test.result {
        Expected::Valid => "accepted (2xx)".to_string(),
        Expected::Invalid => format!(
            "rejected (non-2xx): {}",
            test.error.as_deref().unwrap_or("invalid")
        ),
        Expected::Acceptable => "either (the strict profile leaves the choice)".to_string(),
    };
    let info = CaseInfo {
        id: case_id(scheme, test),
        family: scheme.to_string(),
        title: test.comment.clone(),
        level: if test.result == Expected::Acceptable {
            Level::Info
        } else {
            Level::Must
        },
        rule: format!("vector flags: {}", test.flags.join(", ")),
        bug_class: None,
        expected,
    };
    judgement.into_result(info, sent, elapsed)
}
