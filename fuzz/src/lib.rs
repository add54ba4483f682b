//! The differential target's peers: the `standardwebhooks` (1.0.1) and `svix` (2.9.1) crates
//! behind `hookspec_testkit::fuzzing::differential::Peer`.
//!
//! Also compiled into hookspec's integration tests (`tests/it/fuzzing.rs` includes this file),
//! where both crates are dev-dependencies, so proptest runs the same comparison on stable.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use hookspec_testkit::fuzzing::differential::{Outcome, Peer, STANDARDWEBHOOKS, SVIX};
use http::HeaderMap;

/// The `standardwebhooks` crate.
pub struct StandardWebhooks;

/// The `svix` crate's webhook verifier.
pub struct Svix;

impl Peer for StandardWebhooks {
    fn name(&self) -> &'static str {
        STANDARDWEBHOOKS
    }

    fn accepts_secret(&self, secret: &str) -> bool {
        standardwebhooks::Webhook::new(secret).is_ok()
    }

    fn verify(&self, secret: &str, headers: &HeaderMap, body: &[u8]) -> Outcome {
        guarded(|| {
            let webhook = standardwebhooks::Webhook::new(secret).map_err(|e| e.to_string())?;
            webhook.verify(body, headers).map_err(|e| e.to_string())
        })
    }
}

impl Peer for Svix {
    fn name(&self) -> &'static str {
        SVIX
    }

    fn accepts_secret(&self, secret: &str) -> bool {
        svix::webhooks::Webhook::new(secret).is_ok()
    }

    fn verify(&self, secret: &str, headers: &HeaderMap, body: &[u8]) -> Outcome {
        guarded(|| {
            let webhook = svix::webhooks::Webhook::new(secret).map_err(|e| e.to_string())?;
            webhook.verify(body, headers).map_err(|e| e.to_string())
        })
    }
}

/// Both peers.
pub static ALL: [&dyn Peer; 2] = [&StandardWebhooks, &Svix];

thread_local! {
    /// Set while a peer runs: its panics are results, not crashes.
    static IN_PEER: Cell<bool> = const { Cell::new(false) };
}

/// Runs a peer, turning a panic into [`Outcome::Panic`]. The panic hook (libFuzzer's aborts
/// the process) is wrapped once so that it stays silent for panics inside a peer and runs
/// unchanged for every other panic, including the differential's own assertion failures.
fn guarded(verify: impl FnOnce() -> Result<(), String>) -> Outcome {
    static WRAP_HOOK: Once = Once::new();
    WRAP_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !IN_PEER.with(Cell::get) {
                previous(info);
            }
        }));
    });
    IN_PEER.with(|flag| flag.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(verify));
    IN_PEER.with(|flag| flag.set(false));
    match result {
        Ok(Ok(())) => Outcome::Accept,
        Ok(Err(error)) => Outcome::Reject(error),
        Err(payload) => Outcome::Panic(
            payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default(),
        ),
    }
}
