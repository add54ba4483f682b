//! The case catalogue of `hookspec check`: what to send to a webhook endpoint and how to
//! judge what comes back.
//!
//! One file per family (`headers`, `signature`, `timestamp`, `rotation`, `body`,
//! `duplicate`, `response`, `v1a`). Every [`Case`] has a stable id `family/slug`, a title, a level
//! (MUST / SHOULD / INFO), the rule it checks (R1–R19 number the rules of the Standard
//! Webhooks spec in the order it states them; C01–C70 number hookspec's receiver cases,
//! which the rule text names), and the class of bug it is designed to catch.
//!
//! Cases only plan and judge; the runner in [`crate::check`] sends. Deliveries are planned
//! right before they are sent and signed with the current clock, so time-dependent cases
//! work against any live endpoint. Every delivery carries a fresh `webhook-id` unless the
//! case reuses one on purpose (duplicates), so effects seen by the observer can be
//! attributed to exactly one case.

pub mod body;
pub mod duplicate;
pub mod headers;
pub mod judge;
pub mod jwks;
pub mod jwt;
pub mod keyset;
pub mod response;
pub mod rotation;
pub mod signature;
pub mod timestamp;
pub mod v1a;

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::delivery::Delivery;
use crate::gemini::Event;
pub use crate::judgement::{CaseInfo, Judgement, Outcome};
use crate::report::{BugClass, Level, Observed};
use hookspec::Scheme;
use hookspec::Secret;
use hookspec::internal::entry_v1;
use hookspec::internal::unix_now;

/// One case of the catalogue.
#[derive(Debug, Clone)]
pub struct Case {
    /// Stable id, `family/slug`.
    pub id: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// How binding the rule is: a MUST breach is `FAILED`, a SHOULD breach `NON-STRICT`, an
    /// INFO case is `INFORMATIONAL`.
    pub level: Level,
    /// The rule checked, citing its source.
    pub rule: &'static str,
    /// The bug class the case is designed to catch.
    pub bug_class: BugClass,
    /// What the case needs from the configuration to run at all.
    pub need: Need,
    /// What it sends and how it is judged.
    pub kind: Kind,
}

impl Case {
    /// The family: the part of the id before `/`.
    pub fn family(&self) -> &'static str {
        self.id
            .split_once('/')
            .map_or(self.id, |(family, _)| family)
    }

    /// The slug: the part of the id after `/`.
    pub fn slug(&self) -> &'static str {
        self.id.split_once('/').map_or(self.id, |(_, slug)| slug)
    }

    /// What a conformant endpoint does, as one line.
    pub fn expected(&self) -> String {
        match &self.kind {
            Kind::Each { expect, .. } => expect.describe().to_string(),
            Kind::Effects { expected, .. } | Kind::Interactive { expected, .. } => {
                (*expected).to_string()
            }
        }
    }

    /// When the case runs (see [`Phase`]).
    pub fn phase(&self) -> Phase {
        match &self.kind {
            Kind::Each { .. } => Phase::Concurrent,
            Kind::Effects { .. } => Phase::Alone,
            Kind::Interactive { phase, .. } => *phase,
        }
    }

    /// What the case description in a report entry says besides its judgement.
    pub fn info(&self) -> CaseInfo {
        CaseInfo {
            id: self.id.to_string(),
            family: self.family().to_string(),
            title: self.title.to_string(),
            level: self.level,
            rule: self.rule.to_string(),
            bug_class: Some(self.bug_class),
            expected: self.expected(),
        }
    }

    /// Runs the case through `session` and judges it. The case holds all of its logic:
    /// what it plans, how it interacts, how it judges. Its [`Need`] must be met.
    pub async fn run(&self, session: &dyn Session) -> Judgement {
        match &self.kind {
            Kind::Each { plan, expect } => {
                let probes = plan(&mut session.plan());
                let mut results = Vec::with_capacity(probes.len());
                for probe in probes {
                    let answer = session.send(&probe, Some(*expect)).await;
                    results.push((probe, answer));
                }
                judge::judge_each(self.level, *expect, &results)
            }
            Kind::Effects { plan, judge, .. } => {
                let script = plan(&mut session.plan());
                match play(session, script).await {
                    Ok(run) => judge(&run),
                    Err(why) => {
                        Judgement::unsupported(format!("the observer could not be read: {why}"))
                    }
                }
            }
            Kind::Interactive { run, .. } => run(session).await,
        }
    }
}

/// When a case runs in a `check` run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// With the other independent cases, several at a time.
    Concurrent,
    /// Alone, after the concurrent cases: its effects are observed, or it changes the
    /// published key set.
    Alone,
    /// Last, alone: it judges every delivery of the run.
    Last,
}

/// A boxed future, as [`Session`] and [`Interaction`] return (object-safe async).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// The logic of an interactive case: it drives a [`Session`] and judges what it saw.
pub type Interaction = for<'a> fn(&'a dyn Session) -> BoxFuture<'a, Judgement>;

/// What the runner gives a case: the endpoint, the observer, the keys, the clock. One
/// session per case; everything sent through it is logged under the case's id.
pub trait Session: Send + Sync {
    /// The id of the case this session runs.
    fn case(&self) -> &'static str;
    /// The run's keys (and, for the key-set schemes, hookspec's published key set, which
    /// a case may change with [`keyset::KeySet::publish`]).
    fn keys(&self) -> &Keys;
    /// A planning context for this case: fresh ids, the clock, the keys.
    fn plan(&self) -> Ctx<'_>;
    /// Sends one delivery and waits for the answer. `expect` is recorded for the audits
    /// (`None` for measurements and effect cases).
    fn send<'a>(&'a self, probe: &'a Probe, expect: Option<Expect>) -> BoxFuture<'a, Answer>;
    /// Sends `copies` identical copies at once, on separate connections.
    fn burst<'a>(&'a self, probe: &'a Probe, copies: usize) -> BoxFuture<'a, Vec<Answer>>;
    /// Reads the observer: effect count per `webhook-id`, for the ids sent in this run so
    /// far (others the observer lists are left out). `Err` when the endpoint has no
    /// observer or it could not be read.
    fn observe(&self) -> BoxFuture<'_, Result<BTreeMap<String, u64>, String>>;
    /// Every delivery sent in the run so far, by every case, in order.
    fn log(&self) -> Vec<Sent>;
    /// Waits (a session may shorten or record waits; a live run sleeps).
    fn wait(&self, duration: Duration) -> BoxFuture<'_, ()>;
}

/// Waits between observer reads while an accepted delivery shows no effect yet (an endpoint
/// may process after acknowledging).
const EFFECT_POLL: [u64; 4] = [50, 150, 300, 500];

/// Plays an effect script, then reads the observer for the script's ids.
async fn play(session: &dyn Session, script: Script) -> Result<EffectRun, String> {
    let mut results = Vec::with_capacity(script.steps.len());
    for step in script.steps {
        let started = std::time::Instant::now();
        let (probe, answers) = match step {
            Step::Send(probe) => {
                let answer = session.send(&probe, None).await;
                (probe, vec![answer])
            }
            Step::Burst(probe, copies) => {
                let answers = session.burst(&probe, copies).await;
                (probe, answers)
            }
        };
        results.push(StepResult {
            probe,
            answers,
            elapsed: started.elapsed(),
        });
    }
    // Ids that some delivery got a 2xx for should show an effect; give an endpoint that
    // processes after acknowledging a moment to catch up.
    let acknowledged: std::collections::BTreeSet<String> = results
        .iter()
        .filter(|r| r.answers.iter().any(Answer::is_success))
        .filter_map(|r| r.probe.delivery.webhook_id())
        .collect();
    let mut counts = session.observe().await?;
    for wait in EFFECT_POLL {
        if acknowledged
            .iter()
            .all(|id| counts.get(id).is_some_and(|&n| n > 0))
        {
            break;
        }
        session.wait(Duration::from_millis(wait)).await;
        counts = session.observe().await?;
    }
    let effects: BTreeMap<String, u64> = script
        .observe
        .iter()
        .map(|id| (id.clone(), counts.get(id).copied().unwrap_or(0)))
        .collect();
    Ok(EffectRun {
        steps: results,
        effects,
    })
}

/// What a case needs to run; without it the case is `UNSUPPORTED`, with this reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Runs with one `--secret`.
    Nothing,
    /// Needs `--observe URL` (effect counts).
    Observer,
    /// Needs at least two `--secret`s (the endpoint trusts several keys).
    TwoSecrets,
    /// Needs `--revoked-secret`.
    RevokedSecret,
    /// Needs `--signing-key` (the endpoint trusts its public key).
    SigningKey,
    /// Needs hookspec's own key set (`--scheme v1a-jwks` or `jwt`).
    KeySet,
    /// Needs `--jwt-issuer` (the endpoint requires an issuer).
    JwtIssuer,
    /// Needs `--jwt-body-binding` (the endpoint verifies hookspec's `body_sha256` claim).
    JwtBodyBinding,
}

impl Need {
    /// Short name for the catalogue listing (empty for [`Need::Nothing`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nothing => "",
            Self::Observer => "--observe",
            Self::TwoSecrets => "2 × --secret",
            Self::RevokedSecret => "--revoked-secret",
            Self::SigningKey => "--signing-key",
            Self::KeySet => "--scheme v1a-jwks|jwt",
            Self::JwtIssuer => "--jwt-issuer",
            Self::JwtBodyBinding => "--jwt-body-binding",
        }
    }

    /// Why a case with this need cannot run, and how to enable it.
    pub fn unsupported_reason(self) -> &'static str {
        match self {
            Self::Nothing => "",
            Self::Observer => {
                "needs the endpoint's observer: pass --observe URL (a GET on it returns {\"<webhook-id>\": <times processed>}; see \"The observer contract\" in docs/src/testing-an-endpoint.md)"
            }
            Self::TwoSecrets => {
                "needs every secret the endpoint trusts: pass --secret twice or more (current first) to test key rotation"
            }
            Self::RevokedSecret => {
                "needs a secret the endpoint must no longer accept: pass --revoked-secret whsec_…"
            }
            Self::SigningKey => {
                "needs the Ed25519 signing key whose public key the endpoint trusts: pass --signing-key whsk_…"
            }
            Self::KeySet => {
                "needs an endpoint that takes its keys from hookspec's key set: run with --scheme v1a-jwks or --scheme jwt and --jwks-listen ADDR"
            }
            Self::JwtIssuer => "needs the issuer the endpoint requires: pass --jwt-issuer ISS",
            Self::JwtBodyBinding => {
                "needs an endpoint that verifies hookspec's body_sha256 claim: pass --jwt-body-binding (Google documents no body binding, so this is optional)"
            }
        }
    }
}

/// How a case runs and is judged.
#[derive(Debug, Clone)]
pub enum Kind {
    /// Send each planned delivery on its own; each must get the expected answer. The worst
    /// answer decides.
    Each {
        /// Plans the deliveries (called right before sending).
        plan: fn(&mut Ctx) -> Vec<Probe>,
        /// The answer a conformant endpoint gives to each.
        expect: Expect,
    },
    /// Deliveries sent in order (or in concurrent bursts), then the observer's effect counts
    /// for the given ids are read and judged.
    Effects {
        /// Plans the steps (called right before sending).
        plan: fn(&mut Ctx) -> Script,
        /// Judges the answers and effect counts.
        judge: fn(&EffectRun) -> Judgement,
        /// What a conformant endpoint does, as one line.
        expected: &'static str,
    },
    /// A case that interacts with the endpoint as it goes (a measured window, a key set
    /// changed mid-run, an audit of the whole run): its logic drives the [`Session`].
    Interactive {
        /// The case's logic.
        run: Interaction,
        /// What a conformant endpoint does, as one line.
        expected: &'static str,
        /// When it runs.
        phase: Phase,
    },
}

/// The answer a case expects to each of its deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Acknowledged with a 2xx status.
    Accept,
    /// Rejected: any status but 2xx. (The `response` family judges which status.)
    Reject,
    /// Rejected with 400, 401 or 403: 2xx is `FAILED`, anything else `NON-STRICT`.
    RejectStatus,
    /// Implementation-defined: either answer is recorded as `INFORMATIONAL`.
    Either,
}

impl Expect {
    /// One line for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Accept => "accepted with a 2xx status",
            Self::Reject => "rejected with a non-2xx status (400/401/403), and not processed",
            Self::RejectStatus => {
                "rejected with 400, 401 or 403 (5xx invites the sender to retry; 2xx accepts it)"
            }
            Self::Either => "implementation-defined: accepted or rejected, recorded",
        }
    }

    /// Whether a delivery with this expectation counts as one that must be rejected.
    pub fn is_reject(self) -> bool {
        matches!(self, Self::Reject | Self::RejectStatus)
    }
}

/// One planned delivery with a short label saying which variant it is.
#[derive(Debug, Clone)]
pub struct Probe {
    /// Which variant of the case this is (`ts="hello"`), empty for single-delivery cases.
    pub label: String,
    /// What is sent.
    pub delivery: Delivery,
}

/// A probe with a label.
pub fn probe(label: impl Into<String>, delivery: Delivery) -> Probe {
    Probe {
        label: label.into(),
        delivery,
    }
}

impl From<Delivery> for Probe {
    fn from(delivery: Delivery) -> Self {
        probe("", delivery)
    }
}

/// The steps of an effect case.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// Sent in order.
    pub steps: Vec<Step>,
    /// The ids whose effect counts are read afterwards.
    pub observe: Vec<String>,
}

/// One step of a [`Script`].
#[derive(Debug, Clone)]
pub enum Step {
    /// Send one delivery and wait for its answer.
    Send(Probe),
    /// Send `copies` identical copies at once, on separate connections.
    Burst(Probe, usize),
}

/// How the endpoint answered one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// An HTTP response.
    Status {
        /// The status code.
        code: u16,
        /// Time from the first byte sent to the response head read.
        latency: Duration,
        /// The start of the response body, for evidence.
        body: String,
    },
    /// No HTTP response: refused, reset, closed, or not HTTP.
    NoAnswer(String),
    /// No HTTP response within the run's per-request timeout (`--timeout`). Unlike
    /// [`Answer::NoAnswer`], this says nothing about the endpoint's decision: it may still
    /// accept and process the delivery after hookspec stopped waiting, as a slow but correct
    /// endpoint does. A timed-out delivery is neither accepted nor rejected.
    TimedOut {
        /// How long hookspec waited.
        after: Duration,
    },
}

impl Answer {
    /// Whether the answer is a 2xx status.
    pub fn is_success(&self) -> bool {
        matches!(
            self,
            Self::Status {
                code: 200..=299,
                ..
            }
        )
    }

    /// The status code, if there was a response.
    pub fn code(&self) -> Option<u16> {
        match self {
            Self::Status { code, .. } => Some(*code),
            Self::NoAnswer(_) | Self::TimedOut { .. } => None,
        }
    }

    /// Whether the answer is an HTTP status that is not 2xx: the endpoint refused the
    /// delivery. A missing answer is not a refusal.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Status { .. }) && !self.is_success()
    }

    /// Whether hookspec stopped waiting before any answer came (see [`Answer::TimedOut`]).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::TimedOut { .. })
    }

    /// The evidence: status, latency and body start, or why there was no answer.
    pub fn observed(&self) -> Observed {
        match self {
            Self::Status {
                code,
                latency,
                body,
            } => Observed {
                status: Some(*code),
                latency_ms: Some(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX)),
                effects: None,
                detail: (!body.is_empty()).then(|| format!("body {body}")),
            },
            Self::NoAnswer(why) => Observed {
                detail: Some(format!("no HTTP response: {why}")),
                ..Observed::default()
            },
            Self::TimedOut { .. } => Observed {
                detail: Some(format!("no HTTP response: {} (--timeout)", self.short())),
                ..Observed::default()
            },
        }
    }

    /// A short phrase: `status 401`, `no response (…)` or `no answer within 2s`.
    pub fn short(&self) -> String {
        match self {
            Self::Status { code, .. } => format!("status {code}"),
            Self::NoAnswer(why) => format!("no response ({why})"),
            Self::TimedOut { after } => {
                format!("no answer within {}", humantime::format_duration(*after))
            }
        }
    }
}

/// What one step of an effect case got back.
#[derive(Debug, Clone)]
pub struct StepResult {
    /// The probe sent (for a burst: each copy is this probe).
    pub probe: Probe,
    /// One answer per copy sent.
    pub answers: Vec<Answer>,
    /// Wall time of the step.
    pub elapsed: Duration,
}

/// What an effect case observed: the answers of each step, and the observer's count for
/// each observed id (`None` when the observer could not be read).
#[derive(Debug, Clone, Default)]
pub struct EffectRun {
    /// One result per step, in order.
    pub steps: Vec<StepResult>,
    /// Effect count per observed id.
    pub effects: BTreeMap<String, u64>,
}

impl EffectRun {
    /// The effect count of `id` (0 when the observer does not list it).
    pub fn effects_of(&self, id: &str) -> u64 {
        self.effects.get(id).copied().unwrap_or(0)
    }
}

/// One delivery of the run, as the audits see it.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The case that sent it.
    pub case: &'static str,
    /// What was sent.
    pub probe: Probe,
    /// How the endpoint answered.
    pub answer: Answer,
    /// What the case expected (`None` for measurements and effect cases).
    pub expect: Option<Expect>,
    /// When it was sent, in Unix seconds.
    pub at: u64,
    /// Its position in sending order (0 for the run's first delivery). The log itself is in
    /// the order the answers came back, which differs while cases run concurrently.
    pub order: u64,
}

impl Sent {
    /// Every id the endpoint may have recorded this delivery under: each `webhook-id`
    /// value, or the `svix-id` values when there is none.
    pub fn ids(&self) -> Vec<String> {
        let d = &self.probe.delivery;
        let mut ids: Vec<String> = d
            .values(hookspec::WEBHOOK_ID)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        if ids.is_empty() {
            ids = d
                .values(hookspec::SVIX_ID)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect();
        }
        ids.retain(|id| !id.is_empty());
        ids
    }
}

/// The keys a run signs with. Never printed.
#[derive(Debug, Clone)]
pub struct Keys {
    /// Every secret the endpoint trusts, current first.
    pub secrets: Vec<Secret>,
    /// A secret the endpoint must no longer accept.
    pub revoked: Option<Secret>,
    /// An Ed25519 key whose public key the endpoint trusts (`v1a`).
    pub signing_key: Option<hookspec::SigningKey>,
    /// hookspec's own key set, served for the endpoint to fetch (`v1a-jwks`, `jwt`).
    pub key_set: Option<keyset::KeySet>,
}

impl Keys {
    /// The scheme ordinary deliveries are signed with: the key set's scheme when there is
    /// one; `v1a` with a signing key and no secret; `v1` otherwise.
    pub fn scheme(&self) -> Scheme {
        match (&self.key_set, &self.signing_key) {
            (Some(set), _) => set.scheme,
            (None, Some(_)) if self.secrets.is_empty() => Scheme::V1a,
            _ => Scheme::V1,
        }
    }
}

/// What a case's plan may use: the keys, the clock, and fresh ids.
#[derive(Debug)]
pub struct Ctx<'a> {
    keys: &'a Keys,
    run: &'a str,
    case: &'static str,
    seq: u32,
}

impl<'a> Ctx<'a> {
    /// A context for planning `case` in the run tagged `run` (a short token that makes ids
    /// unique across runs against the same endpoint).
    pub fn new(keys: &'a Keys, run: &'a str, case: &'static str) -> Self {
        Self {
            keys,
            run,
            case,
            seq: 0,
        }
    }

    /// The id of the case being planned.
    pub fn case(&self) -> &'static str {
        self.case
    }

    /// The current time in Unix seconds (deliveries are signed at send time).
    pub fn now(&self) -> u64 {
        unix_now()
    }

    /// A fresh `webhook-id`, unique in this run: `msg_<run>-<family>-<slug>-<n>`.
    pub fn id(&mut self) -> String {
        self.seq += 1;
        format!(
            "msg_{}-{}-{}",
            self.run,
            self.case.replace('/', "-"),
            self.seq
        )
    }

    /// The default body: a realistic Gemini API event (one of the seven types, chosen by
    /// the case id) whose resource is named after the case, e.g.
    /// `{"type":"batch.failed","version":"v1","timestamp":"…","data":{"id":"batches/hookspec-check-v1a-valid",…}}`.
    pub fn body(&self) -> Vec<u8> {
        let pick = self.case.bytes().fold(0usize, |h, b| {
            h.wrapping_mul(31).wrapping_add(usize::from(b))
        });
        let event = Event::ALL[pick % Event::ALL.len()];
        event.body(
            &format!("hookspec-check-{}", self.case.replace('/', "-")),
            self.now(),
        )
    }

    /// The current secret (the first `--secret`).
    pub fn secret(&self) -> &'a Secret {
        &self.keys.secrets[0]
    }

    /// Every trusted secret, current first.
    pub fn secrets(&self) -> &'a [Secret] {
        &self.keys.secrets
    }

    /// The revoked secret. Only called by cases that declare [`Need::RevokedSecret`].
    pub fn revoked(&self) -> &'a Secret {
        self.keys
            .revoked
            .as_ref()
            .expect("cases that need a revoked secret only run with one")
    }

    /// The Ed25519 signing key. Only called by cases that declare [`Need::SigningKey`].
    pub fn signing_key(&self) -> &'a hookspec::SigningKey {
        self.keys
            .signing_key
            .as_ref()
            .expect("cases that need a signing key only run with one")
    }

    /// The key set. Only called by cases that declare [`Need::KeySet`].
    pub fn key_set(&self) -> &'a keyset::KeySet {
        self.keys
            .key_set
            .as_ref()
            .expect("cases that need a key set only run with one")
    }

    /// The `webhook-signature` of a valid delivery over any bytes, in the run's scheme
    /// ([`Keys::scheme`]): a `v1,` entry with the current secret, a `v1a,` entry with the
    /// signing key or the key set's primary key, or an RS256 token by the primary key.
    pub fn sign(&self, id: &str, timestamp: &str, body: &[u8]) -> String {
        match (
            self.keys.scheme(),
            &self.keys.key_set,
            &self.keys.signing_key,
        ) {
            (Scheme::V1aJwks | Scheme::Jwt, Some(set), _) => {
                set.signature(&set.primary, id, timestamp, body)
            }
            (Scheme::V1a, _, Some(key)) => {
                hookspec::internal::entry_v1a(key, id.as_bytes(), timestamp.as_bytes(), body)
            }
            _ => entry_v1(self.secret(), id.as_bytes(), timestamp.as_bytes(), body),
        }
    }

    /// A valid delivery: fresh id, now, the default body, signed with the current secret.
    pub fn valid(&mut self) -> Delivery {
        let body = self.body();
        self.valid_body(body)
    }

    /// A valid delivery of `body` (exact bytes), fresh id, now.
    pub fn valid_body(&mut self, body: Vec<u8>) -> Delivery {
        let ts = self.now();
        self.valid_at(ts, body)
    }

    /// A valid delivery of `body` with timestamp `ts`, fresh id.
    pub fn valid_at(&mut self, ts: u64, body: Vec<u8>) -> Delivery {
        let id = self.id();
        let ts = ts.to_string();
        let signature = self.sign(&id, &ts, &body);
        Delivery::signed(id, ts, signature, body)
    }

    /// A delivery with a fresh id, now, the default body, and `signature` as the whole
    /// `webhook-signature` value; `tag` is the base64 of the correct tag, for building it.
    pub fn with_signature(&mut self, signature: impl FnOnce(&str) -> String) -> Delivery {
        let id = self.id();
        let ts = self.now().to_string();
        let body = self.body();
        let valid = self.sign(&id, &ts, &body);
        let tag = valid.strip_prefix("v1,").unwrap_or(&valid).to_string();
        Delivery::signed(id, ts, signature(&tag), body)
    }
}

/// A `v1,` entry with random bytes: a well-formed signature that matches nothing.
pub fn junk_entry() -> String {
    format!("v1,{}", STANDARD.encode(random::<32>()))
}

/// A `v1,` entry by a key the endpoint does not know (an old, already removed key).
pub fn foreign_entry(id: &str, timestamp: &str, body: &[u8]) -> String {
    let secret = Secret::from_bytes(&random::<32>()).expect("32 bytes is a valid secret length");
    entry_v1(&secret, id.as_bytes(), timestamp.as_bytes(), body)
}

/// `N` random bytes (a fixed non-zero pattern if the OS source is unavailable, which only
/// makes junk less random, never a signature valid).
pub fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0x5a; N];
    let _ = getrandom::fill(&mut bytes);
    bytes
}

/// The whole catalogue, in report order.
pub fn catalogue() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(headers::cases());
    all.extend(signature::cases());
    all.extend(timestamp::cases());
    all.extend(rotation::cases());
    all.extend(body::cases());
    all.extend(duplicate::cases());
    all.extend(response::cases());
    all.extend(v1a::cases());
    all.extend(jwks::cases());
    all.extend(jwt::cases());
    all
}

/// Cases of the seven Standard Webhooks families that are written for every scheme: they
/// sign only through [`Ctx::valid_body`], in the run's scheme.
pub const ANY_SCHEME: [&str; 1] = ["body/unknown-event-type"];

/// Whether `case` applies to an endpoint of `scheme`. The seven Standard Webhooks families
/// are written for `v1` secrets; under another scheme only their run-wide audits and the
/// cases of [`ANY_SCHEME`] apply.
/// `v1a` applies wherever an Ed25519 key signs (`v1` with `--signing-key`, `v1a`,
/// `v1a-jwks`); `jwks` to the key-set schemes (some of its cases to one of them, see
/// [`jwks::applies`]); `jwt` to `jwt`.
pub fn applies(case: &Case, scheme: Scheme) -> bool {
    match case.family() {
        "v1a" => matches!(scheme, Scheme::V1 | Scheme::V1a | Scheme::V1aJwks),
        "jwks" => jwks::applies(case.id, scheme),
        "jwt" => scheme == Scheme::Jwt,
        _ => scheme == Scheme::V1 || case.phase() == Phase::Last || ANY_SCHEME.contains(&case.id),
    }
}

/// The catalogue for an endpoint of `scheme`, in report order.
pub fn catalogue_for(scheme: Scheme) -> Vec<Case> {
    catalogue()
        .into_iter()
        .filter(|case| applies(case, scheme))
        .collect()
}

/// Families in report order.
pub const FAMILIES: [&str; 10] = [
    "headers",
    "signature",
    "timestamp",
    "rotation",
    "body",
    "duplicate",
    "response",
    "v1a",
    "jwks",
    "jwt",
];

/// An [`Kind::Each`] case with the given expectation.
pub(crate) fn each(
    id: &'static str,
    level: Level,
    bug_class: BugClass,
    expect: Expect,
    title: &'static str,
    rule: &'static str,
    plan: fn(&mut Ctx) -> Vec<Probe>,
) -> Case {
    Case::new(
        id,
        level,
        bug_class,
        title,
        rule,
        Kind::Each { plan, expect },
    )
}

impl Case {
    /// A case that needs nothing beyond one secret (add one with [`Case::needs`]).
    pub(crate) fn new(
        id: &'static str,
        level: Level,
        bug_class: BugClass,
        title: &'static str,
        rule: &'static str,
        kind: Kind,
    ) -> Self {
        Self {
            id,
            title,
            level,
            rule,
            bug_class,
            need: Need::Nothing,
            kind,
        }
    }

    /// The same case with a need.
    pub(crate) fn needs(mut self, need: Need) -> Self {
        self.need = need;
        self
    }
}

/// HMAC-SHA256 of `message` under any key bytes: the attack cases sign with keys a correct
/// receiver never uses (an empty key, a public key, the secret's text), so they cannot go
/// through [`hookspec::Signer`], which takes only a [`hookspec::Secret`].
pub(crate) fn hmac_tag(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::{KeyInit as _, Mac as _};
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn keys() -> Keys {
        Keys {
            secrets: vec![
                Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap(),
                Secret::from_bytes(&[7; 32]).unwrap(),
            ],
            revoked: Some(Secret::from_bytes(&[9; 32]).unwrap()),
            signing_key: Some(hookspec::SigningKey::from_seed(&[3; 32])),
            key_set: None,
        }
    }

    #[test]
    fn ids_are_unique_well_formed_and_in_their_family() {
        let mut seen = HashSet::new();
        for case in catalogue() {
            assert!(seen.insert(case.id), "duplicate id {}", case.id);
            assert!(FAMILIES.contains(&case.family()), "{}", case.id);
            let slug = case.slug();
            assert!(
                !slug.is_empty()
                    && slug
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                case.id
            );
            assert!(!case.title.is_empty() && !case.rule.is_empty());
        }
        assert!(seen.len() >= 60, "only {} cases", seen.len());
    }

    #[test]
    fn families_are_contiguous_and_in_order() {
        let families: Vec<&str> = catalogue().iter().map(Case::family).collect();
        let mut order: Vec<&str> = families.clone();
        order.dedup();
        assert_eq!(order, FAMILIES);
    }

    #[test]
    fn every_plan_builds_valid_http_requests_with_fresh_ids() {
        // Every scheme's catalogue, with keys that meet every need.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut runs = vec![(Scheme::V1, keys())];
        for scheme in [Scheme::V1aJwks, Scheme::Jwt] {
            let settings = keyset::JwtSettings {
                audience: "https://receiver.example/".into(),
                issuer: Some("https://issuer.example".into()),
                body_binding: true,
            };
            let set = runtime
                .block_on(keyset::KeySet::start(
                    scheme,
                    "t",
                    ([127, 0, 0, 1], 0).into(),
                    settings,
                ))
                .unwrap();
            let signing_key = set.primary.ed25519().cloned();
            runs.push((
                scheme,
                Keys {
                    secrets: Vec::new(),
                    revoked: None,
                    signing_key,
                    key_set: Some(set),
                },
            ));
        }
        for (scheme, keys) in &runs {
            assert_eq!(keys.scheme(), *scheme);
            let mut ids = HashSet::new();
            for case in catalogue_for(*scheme) {
                let mut cx = Ctx::new(keys, "t", case.id);
                let probes: Vec<Probe> = match &case.kind {
                    Kind::Each { plan, .. } => plan(&mut cx),
                    Kind::Effects { plan, .. } => plan(&mut cx)
                        .steps
                        .into_iter()
                        .map(|s| match s {
                            Step::Send(p) | Step::Burst(p, _) => p,
                        })
                        .collect(),
                    _ => continue,
                };
                assert!(!probes.is_empty(), "{} plans nothing", case.id);
                let mut case_ids = HashSet::new();
                for p in &probes {
                    p.delivery
                        .validate()
                        .unwrap_or_else(|e| panic!("{}: {e}", case.id));
                    if let Some(id) = p.delivery.webhook_id() {
                        case_ids.insert(id);
                    }
                }
                for id in case_ids {
                    assert!(
                        id.is_empty() || ids.insert(id.clone()),
                        "{} reuses id {id} of another case",
                        case.id
                    );
                }
            }
        }
    }

    #[test]
    fn schemes_select_their_families() {
        let families = |scheme| {
            let mut f: Vec<&str> = catalogue_for(scheme).iter().map(Case::family).collect();
            f.dedup();
            f
        };
        assert_eq!(families(Scheme::V1), &FAMILIES[..8]);
        assert_eq!(
            families(Scheme::V1a),
            ["body", "duplicate", "response", "v1a"]
        );
        assert_eq!(
            families(Scheme::V1aJwks),
            ["body", "duplicate", "response", "v1a", "jwks"]
        );
        assert_eq!(
            families(Scheme::Jwt),
            ["body", "duplicate", "response", "jwks", "jwt"]
        );
        // Under the other schemes, only the run-wide audits of the v1 families remain, and
        // the cases written for every scheme.
        for case in catalogue_for(Scheme::Jwt) {
            if FAMILIES[..7].contains(&case.family()) {
                assert!(
                    case.phase() == Phase::Last || ANY_SCHEME.contains(&case.id),
                    "{}",
                    case.id
                );
            }
        }
        for id in ANY_SCHEME {
            assert!(catalogue().iter().any(|c| c.id == id), "{id}");
        }
    }
}
