//! Differential fuzzing: the same (secret, headers, body, now) through hookspec and through
//! other verifiers ("peers": the `standardwebhooks` and `svix` crates, wired up in `fuzz/`).
//!
//! Every disagreement must be explained by an entry of [`ALLOW_LIST`]: a named class of known
//! divergence, the peers and the direction it applies to, a predicate on the request that
//! must hold, and the reason hookspec's behaviour is the right one. Anything else panics,
//! which is a crash for the fuzzer and a failure for proptest.
//!
//! The peers read the system clock themselves (neither crate takes `now`), so a comparison
//! reads the clock before and after running everyone and is retried when a second boundary
//! passed in between: all three then judged the same `now`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::codec::{Reader, Writer};
use super::delivery::{Delivery, Keys};
use super::oracle;
use hookspec::internal::unix_now;
use hookspec::{
    LengthPolicy, SVIX_ID, SVIX_SIGNATURE, SVIX_TIMESTAMP, Secret, WEBHOOK_ID, WEBHOOK_SIGNATURE,
    WEBHOOK_TIMESTAMP,
};

/// The name [`ALLOW_LIST`] uses for the `standardwebhooks` crate (1.0.1).
pub const STANDARDWEBHOOKS: &str = "standardwebhooks";
/// The name [`ALLOW_LIST`] uses for the `svix` crate (2.9.1).
pub const SVIX: &str = "svix";

/// What a peer verifier said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Verified.
    Accept,
    /// Rejected, with the peer's error text.
    Reject(String),
    /// Panicked, with the panic message.
    Panic(String),
}

/// Another verifier, driven through its public API (`Sync` so that a fuzz crate can keep
/// its peers in a `static`).
pub trait Peer: Sync {
    /// The peer's name, as [`ALLOW_LIST`] entries refer to it.
    fn name(&self) -> &'static str;
    /// Whether the peer accepts `secret` as an HMAC secret.
    fn accepts_secret(&self, secret: &str) -> bool;
    /// Verifies a request with `secret` against the peer's own clock.
    fn verify(&self, secret: &str, headers: &HeaderMap, body: &[u8]) -> Outcome;
}

/// How the secret is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretForm {
    /// `whsec_` + base64 of the delivery's key.
    Prefixed,
    /// Base64 of the delivery's key, without prefix.
    Bare,
    /// This text (lossily decoded as UTF-8).
    Raw(Vec<u8>),
}

/// A differential case: a secret text and a `v1` delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffCase {
    /// How the secret is written.
    pub secret: SecretForm,
    /// The delivery (its key is the HMAC key unless the secret is [`SecretForm::Raw`]).
    pub delivery: Delivery,
}

impl DiffCase {
    /// Decodes a case: secret form (choice; `Raw` followed by bytes), then the delivery.
    pub fn decode(data: &[u8]) -> Self {
        let mut r = Reader::new(data);
        let secret = match r.choice(3) {
            0 => SecretForm::Prefixed,
            1 => SecretForm::Bare,
            _ => SecretForm::Raw(r.bytes()),
        };
        let delivery = Delivery::read(&mut r);
        Self { secret, delivery }
    }

    /// Encodes the case in the format [`DiffCase::decode`] reads.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        match &self.secret {
            SecretForm::Prefixed => w.u8(0),
            SecretForm::Bare => w.u8(1),
            SecretForm::Raw(bytes) => w.u8(2).bytes(bytes),
        };
        self.delivery.write(&mut w);
        w.finish()
    }

    /// The secret text given to every verifier.
    pub fn secret_text(&self) -> String {
        match &self.secret {
            SecretForm::Prefixed => format!("whsec_{}", STANDARD.encode(&self.delivery.key)),
            SecretForm::Bare => STANDARD.encode(&self.delivery.key),
            SecretForm::Raw(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        }
    }
}

/// Where a divergence shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Parsing the secret.
    Secret,
    /// Verifying the request.
    Verify,
}

/// Which side hookspec is on in a divergence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// hookspec accepts, the peer rejects.
    HookspecAccepts,
    /// hookspec rejects, the peer accepts (or panics, where the entry allows it).
    HookspecRejects,
}

/// The request as every verifier saw it.
#[derive(Debug)]
pub struct Facts<'a> {
    /// The secret text.
    pub secret: &'a str,
    /// The header fields.
    pub headers: &'a HeaderMap,
    /// The body.
    pub body: &'a [u8],
    /// The clock all verifiers read.
    pub now: u64,
}

/// The three header fields a verifier reads.
#[derive(Debug, Clone, Copy)]
enum Field {
    Id = 0,
    Timestamp = 1,
    Signature = 2,
}

const WEBHOOK_NAMES: [&str; 3] = [WEBHOOK_ID, WEBHOOK_TIMESTAMP, WEBHOOK_SIGNATURE];
const SVIX_NAMES: [&str; 3] = [SVIX_ID, SVIX_TIMESTAMP, SVIX_SIGNATURE];

impl Facts<'_> {
    fn any(&self, names: [&str; 3]) -> bool {
        names.iter().any(|n| self.headers.contains_key(*n))
    }

    /// The value `peer` reads for `field`: the first field of that name (`HeaderMap::get`);
    /// `svix` tries `svix-*` first and falls back to `webhook-*`, per field.
    fn peer_view(&self, peer: &str, field: Field) -> Option<&[u8]> {
        let i = field as usize;
        let webhook = self.headers.get(WEBHOOK_NAMES[i]);
        let value = if peer == SVIX {
            self.headers.get(SVIX_NAMES[i]).or(webhook)
        } else {
            webhook
        };
        value.map(HeaderValue::as_bytes)
    }

    /// The header names hookspec reads (`webhook-*` unless only `svix-*` ones are present).
    fn hookspec_names(&self) -> [&'static str; 3] {
        if !self.any(WEBHOOK_NAMES) && self.any(SVIX_NAMES) {
            SVIX_NAMES
        } else {
            WEBHOOK_NAMES
        }
    }

    fn peer_timestamp(&self, peer: &str) -> Option<i64> {
        let text = self.peer_view(peer, Field::Timestamp)?;
        std::str::from_utf8(text).ok()?.parse().ok()
    }
}

/// One known, reasoned divergence class.
#[derive(Debug)]
pub struct Divergence {
    /// A stable name for the class.
    pub class: &'static str,
    /// The peers that show it.
    pub peers: &'static [&'static str],
    /// Where it shows.
    pub stage: Stage,
    /// Which side hookspec is on.
    pub direction: Direction,
    /// Whether the peer may panic instead of accepting.
    pub peer_may_panic: bool,
    /// The condition on the request (and the peer's name) under which the class applies.
    pub applies: fn(&Facts<'_>, &str) -> bool,
    /// Why hookspec's behaviour is the right one.
    pub why: &'static str,
}

const BOTH: &[&str] = &[STANDARDWEBHOOKS, SVIX];

/// The known divergences. Each entry is as narrow as the peer's code allows; a disagreement
/// outside every entry is a finding.
pub const ALLOW_LIST: &[Divergence] = &[
    Divergence {
        class: "empty_secret",
        peers: &[STANDARDWEBHOOKS],
        stage: Stage::Secret,
        direction: Direction::HookspecRejects,
        peer_may_panic: false,
        applies: |f, _| {
            f.secret
                .strip_prefix("whsec_")
                .unwrap_or(f.secret)
                .is_empty()
        },
        why: "`Webhook::new(\"\")` and `Webhook::new(\"whsec_\")` succeed with an empty HMAC \
              key, which anyone can use to forge signatures (standard-webhooks PR #286 fixed \
              the other libraries). hookspec refuses empty keys, like svix.",
    },
    Divergence {
        class: "i64_timestamp_overflow",
        peers: &[STANDARDWEBHOOKS],
        stage: Stage::Verify,
        direction: Direction::HookspecRejects,
        peer_may_panic: true,
        applies: |f, peer| {
            let now = i64::try_from(f.now).unwrap_or(i64::MAX);
            f.peer_timestamp(peer)
                .is_some_and(|ts| now.checked_sub(ts).is_none())
        },
        why: "`now - ts` is unchecked i64 arithmetic: `webhook-timestamp: \
              -9223372036854775808` panics with overflow checks and wraps without them, which \
              passes the freshness check, so a signature over that timestamp verifies forever. \
              hookspec accepts only `[1-9][0-9]*` within u64 and uses saturating arithmetic.",
    },
    Divergence {
        class: "lenient_timestamp",
        peers: BOTH,
        stage: Stage::Verify,
        direction: Direction::HookspecRejects,
        peer_may_panic: false,
        applies: |f, peer| {
            let text = f.peer_view(peer, Field::Timestamp).unwrap_or_default();
            oracle::timestamp(text).is_none() && f.peer_timestamp(peer).is_some()
        },
        why: "`str::parse::<i64>` accepts `+N`, leading zeros and `-0`, and the peers sign the \
              re-serialized integer, so `+1614265330` verifies with a signature over \
              `1614265330`: two header texts for one signed content. hookspec's strict grammar \
              has exactly one text per timestamp.",
    },
    Divergence {
        class: "lenient_id",
        peers: BOTH,
        stage: Stage::Verify,
        direction: Direction::HookspecRejects,
        peer_may_panic: false,
        applies: |f, peer| !oracle::id(f.peer_view(peer, Field::Id).unwrap_or_default()),
        why: "the peers accept any header-valid id, including the empty id, spaces, tabs and \
              `.`. The spec asks that ids contain no `.` (a `.` lets the id/timestamp/body \
              boundary shift, case C53), and an empty id is no idempotency key. hookspec \
              requires one or more visible ASCII characters other than `.`.",
    },
    Divergence {
        class: "conflicting_repeated_header",
        peers: BOTH,
        stage: Stage::Verify,
        direction: Direction::HookspecRejects,
        peer_may_panic: false,
        applies: |f, _| {
            f.hookspec_names().iter().any(|name| {
                let mut values = f.headers.get_all(*name).iter();
                let first = values.next();
                values.any(|v| Some(v) != first)
            })
        },
        why: "`HeaderMap::get` silently takes the first of several differing fields; which \
              one did the sender sign, and which one will the application read? hookspec \
              rejects differing repeats (`conflicting_headers`) and accepts identical ones.",
    },
    Divergence {
        class: "non_ascii_header_value",
        peers: BOTH,
        stage: Stage::Verify,
        direction: Direction::HookspecAccepts,
        peer_may_panic: false,
        applies: |f, peer| {
            [Field::Id, Field::Timestamp, Field::Signature]
                .into_iter()
                .filter_map(|field| f.peer_view(peer, field))
                .any(|v| v.iter().any(|&b| b >= 0x80))
        },
        why: "`HeaderValue::to_str` fails on any byte above 0x7F, and the peers then reject the \
              whole signature header. hookspec skips the malformed entry and still verifies a \
              valid one next to it: malformed entries are never fatal to the header (spec: \
              \"try to verify each signature until one matches\").",
    },
    Divergence {
        class: "non_utf8_body",
        peers: BOTH,
        stage: Stage::Verify,
        direction: Direction::HookspecAccepts,
        peer_may_panic: false,
        applies: |f, _| std::str::from_utf8(f.body).is_err(),
        why: "the peers' `sign` returns `InvalidPayload` for a body that is not UTF-8, so they \
              reject every such delivery. The spec signs the raw body and allows non-JSON \
              content; hookspec verifies raw bytes.",
    },
    Divergence {
        class: "svix_aliases_unsupported",
        peers: &[STANDARDWEBHOOKS],
        stage: Stage::Verify,
        direction: Direction::HookspecAccepts,
        peer_may_panic: false,
        applies: |f, _| !f.any(WEBHOOK_NAMES) && f.any(SVIX_NAMES),
        why: "standardwebhooks reads only `webhook-*`. hookspec also reads the `svix-*` aliases \
              (when no `webhook-*` header is present) so that Svix senders verify; \
              `Verifier::svix_aliases(false)` turns this off.",
    },
    Divergence {
        class: "svix_alias_mixing",
        peers: &[SVIX],
        stage: Stage::Verify,
        direction: Direction::HookspecAccepts,
        peer_may_panic: false,
        applies: |f, _| f.any(WEBHOOK_NAMES) && f.any(SVIX_NAMES),
        why: "svix picks `svix-*` over `webhook-*` per field, so one request can mix an id from \
              one set with a signature from the other (the svix maintainers called this \
              fallback \"not good\", svix PR #2147). hookspec reads one set: `webhook-*` \
              whenever any of it is present.",
    },
    Divergence {
        class: "svix_alias_mixing",
        peers: &[SVIX],
        stage: Stage::Verify,
        direction: Direction::HookspecRejects,
        peer_may_panic: false,
        applies: |f, _| f.any(WEBHOOK_NAMES) && f.any(SVIX_NAMES),
        why: "as above, the other way round: svix assembles a verifiable request from fields \
              of both sets where hookspec reads only the `webhook-*` set.",
    },
];

/// A divergence that an [`ALLOW_LIST`] entry explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Explained {
    /// The peer.
    pub peer: &'static str,
    /// The class.
    pub class: &'static str,
}

fn explain(
    facts: &Facts<'_>,
    peer: &'static str,
    stage: Stage,
    direction: Direction,
    panicked: bool,
) -> Option<Explained> {
    ALLOW_LIST
        .iter()
        .find(|d| {
            d.peers.contains(&peer)
                && d.stage == stage
                && d.direction == direction
                && (!panicked || d.peer_may_panic)
                && (d.applies)(facts, peer)
        })
        .map(|d| Explained {
            peer,
            class: d.class,
        })
}

/// The request as an HTTP stack would carry it: bytes a field value cannot hold (controls
/// other than tab, DEL) are dropped, and names are lower-cased, so every verifier sees the
/// same `HeaderMap`.
pub fn header_map(headers: &[(String, Vec<u8>)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("the case's names are tokens");
        let value: Vec<u8> = value
            .iter()
            .copied()
            .filter(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
            .collect();
        let value = HeaderValue::from_bytes(&value).expect("filtered to field-value bytes");
        map.append(name, value);
    }
    map
}

/// Runs the case through hookspec and every peer, and returns the divergences the allow-list
/// explained.
///
/// # Panics
/// On any divergence no [`ALLOW_LIST`] entry explains, and on any peer panic not allowed.
pub fn compare(case: &DiffCase, peers: &[&dyn Peer]) -> Vec<Explained> {
    let secret_text = case.secret_text();
    let mut explained = Vec::new();
    let ours = Secret::parse_with(&secret_text, LengthPolicy::AnyNonEmpty).ok();
    let mut verifying = Vec::new();
    for peer in peers {
        let theirs = peer.accepts_secret(&secret_text);
        if theirs {
            verifying.push(*peer);
        }
        if theirs == ours.is_some() {
            continue;
        }
        let empty = HeaderMap::new();
        let facts = Facts {
            secret: &secret_text,
            headers: &empty,
            body: &[],
            now: 0,
        };
        let direction = if ours.is_some() {
            Direction::HookspecAccepts
        } else {
            Direction::HookspecRejects
        };
        match explain(&facts, peer.name(), Stage::Secret, direction, false) {
            Some(e) => explained.push(e),
            None => panic!(
                "unexplained divergence: {} {} the secret {secret_text:?}, hookspec does not",
                peer.name(),
                if theirs { "accepts" } else { "rejects" },
            ),
        }
    }
    let Some(secret) = ours else {
        return explained;
    };
    let keys = Keys::from_secret(secret);
    let verifier = keys.verifier();
    // Retry while a second boundary falls between the first and last clock reading.
    for _ in 0..8 {
        let now = unix_now();
        let built = case.delivery.build(&keys, now);
        let headers = header_map(&built.headers);
        let ours = verifier.verify_at(&headers, &built.body, now);
        let theirs: Vec<Outcome> = verifying
            .iter()
            .map(|p| p.verify(&secret_text, &headers, &built.body))
            .collect();
        if unix_now() != now {
            continue;
        }
        let facts = Facts {
            secret: &secret_text,
            headers: &headers,
            body: &built.body,
            now,
        };
        for (peer, outcome) in verifying.iter().zip(theirs) {
            let (theirs_ok, panicked) = match &outcome {
                Outcome::Accept => (true, false),
                Outcome::Reject(_) => (false, false),
                Outcome::Panic(_) => (ours.is_ok(), true),
            };
            if theirs_ok == ours.is_ok() && !panicked {
                continue;
            }
            let direction = if ours.is_ok() {
                Direction::HookspecAccepts
            } else {
                Direction::HookspecRejects
            };
            match explain(&facts, peer.name(), Stage::Verify, direction, panicked) {
                Some(e) => explained.push(e),
                None => panic!(
                    "unexplained divergence: hookspec {ours:?}, {} {outcome:?}\n\
                     now {now}\nheaders {headers:?}\nbody {:?}",
                    peer.name(),
                    String::from_utf8_lossy(&built.body),
                ),
            }
        }
        return explained;
    }
    explained
}

/// The differential fuzz target: [`compare`], ignoring the explained divergences.
pub fn differential(data: &[u8], peers: &[&dyn Peer]) {
    compare(&DiffCase::decode(data), peers);
}
