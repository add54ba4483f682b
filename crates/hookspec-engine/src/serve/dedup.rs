//! The idempotency store: which `webhook-id`s the receiver has acted on, and how often.
//!
//! A sender retries with the same id (spec, "Idempotency"), and a network can duplicate a
//! request, so a receiver must act on each id once. The check and the insert happen under
//! one lock, in one call ([`DedupStore::admit_at`]): two concurrent deliveries of the same
//! id cannot both see it as new. The lock is a `std` mutex held for a map operation only,
//! never across an `await`.
//!
//! Entries live for the TTL after the last time the id was seen (a sliding window, so a
//! sender that keeps retrying keeps its id remembered), and expired entries are pruned at
//! most once per [`PRUNE_INTERVAL_SECS`]. Memory grows only with authenticated deliveries:
//! an id is recorded only after its delivery verified.
//!
//! The store holds at most `max_ids` ids (default [`DEFAULT_MAX_IDS`]; at most about
//! [`BYTES_PER_ID`] bytes each for ids of up to 46 bytes, which are held inline). When it is
//! full, expired ids are pruned first; if none has expired, the new id is refused
//! ([`Admission::Full`], which the receiver answers `503` so the sender retries later)
//! rather than an id still inside its window being forgotten, which would let a replay
//! through.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hookspec::WebhookId;

/// The default time an id is remembered: 24 h, well beyond any timestamp tolerance, so a
/// replay is refused by the timestamp check long before the store forgets the id.
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// The shortest TTL the store accepts: 24 h (shorter values are raised to it).
pub const MIN_TTL: Duration = DEFAULT_TTL;

/// How often, at most, expired entries are pruned (seconds).
pub const PRUNE_INTERVAL_SECS: u64 = 60;

/// The default cap on stored ids: one million, about 137 MB at most (see [`BYTES_PER_ID`]).
pub const DEFAULT_MAX_IDS: usize = 1_000_000;

/// Measured memory per stored id, at most: resident bytes per id for ids of 31 bytes, map
/// growth included (76 to 137 bytes depending on how full the hash table is; 136 at one
/// million ids: `cargo run --release -p hookspec-engine --example dedup_memory`). An id of
/// up to 46 bytes is held inline in its entry ([`WebhookId`]), so admitting it allocates
/// nothing; a longer one costs its length on the heap on top.
pub const BYTES_PER_ID: usize = 137;

/// Whether a delivery is the first of its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// First time seen (or seen before, but the entry had expired): act on it.
    Fresh,
    /// Seen within the TTL: acknowledge, do not act again.
    Duplicate,
    /// New, but the store is full of ids still inside their window: not recorded, not
    /// acted on (the receiver answers `503`: retry later).
    Full,
}

#[derive(Debug)]
struct Entry {
    /// Unix second at which the entry expires.
    expires: u64,
    /// How many times the receiver acted on the id.
    count: u64,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<WebhookId, Entry>,
    last_prune: u64,
}

/// An in-memory id store with atomic check-and-insert and a TTL.
#[derive(Debug)]
pub struct DedupStore {
    ttl: u64,
    max_ids: usize,
    inner: Mutex<Inner>,
}

impl Default for DedupStore {
    fn default() -> Self {
        Self::new(DEFAULT_TTL)
    }
}

impl DedupStore {
    /// A store that remembers ids for `ttl` (at least [`MIN_TTL`], 24 h; whole seconds),
    /// [`DEFAULT_MAX_IDS`] of them at most.
    pub fn new(ttl: Duration) -> Self {
        Self::with_max_ids(ttl, DEFAULT_MAX_IDS)
    }

    /// Like [`DedupStore::new`], holding at most `max_ids` ids (at least 1).
    pub fn with_max_ids(ttl: Duration, max_ids: usize) -> Self {
        Self {
            ttl: ttl.max(MIN_TTL).as_secs(),
            max_ids: max_ids.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The most ids the store holds.
    pub fn max_ids(&self) -> usize {
        self.max_ids
    }

    /// The TTL in seconds.
    pub fn ttl_secs(&self) -> u64 {
        self.ttl
    }

    /// Atomically checks `id` and records it, as if the time were `now` (Unix seconds).
    ///
    /// On [`Admission::Fresh`] the caller's action is counted (the count the observer
    /// reports goes up by one); on [`Admission::Duplicate`] nothing is counted and the
    /// entry's expiry slides forward; on [`Admission::Full`] nothing is recorded.
    pub fn admit_at(&self, id: &str, now: u64) -> Admission {
        let mut inner = self.lock();
        if now >= inner.last_prune.saturating_add(PRUNE_INTERVAL_SECS) {
            Self::prune_locked(&mut inner, now);
        }
        let expires = now.saturating_add(self.ttl);
        match inner.entries.get_mut(id) {
            Some(entry) if entry.expires > now => {
                entry.expires = expires;
                Admission::Duplicate
            }
            Some(entry) => {
                // Expired but not yet pruned: act again, and say so.
                entry.expires = expires;
                entry.count = entry.count.saturating_add(1);
                Admission::Fresh
            }
            None => {
                if inner.entries.len() >= self.max_ids {
                    // Full: make room from expired ids only, never from live ones.
                    Self::prune_locked(&mut inner, now);
                    if inner.entries.len() >= self.max_ids {
                        return Admission::Full;
                    }
                }
                inner
                    .entries
                    .insert(WebhookId::from(id), Entry { expires, count: 1 });
                Admission::Fresh
            }
        }
    }

    /// Removes every entry expired at `now`.
    pub fn prune_at(&self, now: u64) {
        Self::prune_locked(&mut self.lock(), now);
    }

    fn prune_locked(inner: &mut Inner, now: u64) {
        inner.entries.retain(|_, entry| entry.expires > now);
        inner.last_prune = now;
    }

    /// How many ids are stored (expired but not yet pruned ones included).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The observer's view: each stored id and the number of times the receiver acted on
    /// it, sorted by id. Pruned ids (unseen for a whole TTL) are no longer listed.
    pub fn observed(&self) -> BTreeMap<String, u64> {
        self.lock()
            .entries
            .iter()
            .map(|(id, entry)| (id.to_string(), entry.count))
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the map half-updated (each operation
        // is a single map call), so a poisoned lock is safe to keep using.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const DAY: u64 = 24 * 60 * 60;

    #[test]
    fn first_is_fresh_repeats_are_duplicates() {
        let store = DedupStore::default();
        assert_eq!(store.admit_at("msg_1", 1000), Admission::Fresh);
        assert_eq!(store.admit_at("msg_1", 1001), Admission::Duplicate);
        assert_eq!(store.admit_at("msg_2", 1001), Admission::Fresh);
        assert_eq!(
            store.observed(),
            BTreeMap::from([("msg_1".into(), 1), ("msg_2".into(), 1)])
        );
    }

    #[test]
    fn ttl_is_at_least_a_day() {
        assert_eq!(DedupStore::new(Duration::from_secs(5)).ttl_secs(), DAY);
        assert_eq!(
            DedupStore::new(Duration::from_secs(2 * DAY)).ttl_secs(),
            2 * DAY
        );
    }

    #[test]
    fn an_id_is_remembered_for_the_ttl_and_acted_on_again_after() {
        let store = DedupStore::default();
        assert_eq!(store.admit_at("msg_1", 1000), Admission::Fresh);
        assert_eq!(
            store.admit_at("msg_1", 1000 + DAY - 1),
            Admission::Duplicate
        );
        // The duplicate slid the window: still remembered a day after the first delivery.
        assert_eq!(
            store.admit_at("msg_1", 1000 + DAY + 10),
            Admission::Duplicate
        );
        let later = 1000 + 3 * DAY;
        assert_eq!(store.admit_at("msg_1", later), Admission::Fresh);
        assert_eq!(store.observed()["msg_1"], 1);
        // Expired but not yet pruned (within the prune interval): acted on again, counted.
        assert_eq!(store.admit_at("msg_2", later), Admission::Fresh);
        let expiry = later + DAY;
        store.prune_at(expiry - 1);
        assert_eq!(store.admit_at("msg_2", expiry), Admission::Fresh);
        assert_eq!(store.observed()["msg_2"], 2);
    }

    #[test]
    fn expired_entries_are_pruned() {
        let store = DedupStore::default();
        for i in 0..100 {
            store.admit_at(&format!("msg_{i}"), 1000);
        }
        assert_eq!(store.len(), 100);
        store.prune_at(1000 + DAY - 1);
        assert_eq!(store.len(), 100);
        store.prune_at(1000 + DAY);
        assert!(store.is_empty());
        // Pruning also happens on its own during admissions.
        store.admit_at("old", 5000);
        store.admit_at("new", 5000 + DAY + PRUNE_INTERVAL_SECS);
        assert_eq!(store.observed().keys().collect::<Vec<_>>(), ["new"]);
    }

    #[test]
    fn a_full_store_refuses_new_ids_and_keeps_live_ones() {
        let store = DedupStore::with_max_ids(DEFAULT_TTL, 2);
        assert_eq!(store.admit_at("a", 1000), Admission::Fresh);
        assert_eq!(store.admit_at("b", 1030), Admission::Fresh);
        assert_eq!(store.admit_at("c", 1031), Admission::Full);
        // Known ids are still recognised, and nothing was forgotten or recorded.
        assert_eq!(store.admit_at("a", 1040), Admission::Duplicate);
        assert_eq!(store.len(), 2);
        assert!(!store.observed().contains_key("c"));
        // An expired id makes room at once, without waiting for the prune interval: b
        // expires at 1030 + DAY, a (seen again at 1040) later.
        store.prune_at(1030 + DAY - 1);
        assert_eq!(store.len(), 2);
        assert_eq!(store.admit_at("c", 1030 + DAY), Admission::Fresh);
        assert_eq!(store.admit_at("d", 1030 + DAY + 1), Admission::Full);
        assert_eq!(store.observed().keys().collect::<Vec<_>>(), ["a", "c"]);
    }

    #[test]
    fn concurrent_admissions_of_one_id_admit_exactly_one() {
        let store = Arc::new(DedupStore::default());
        let barrier = Arc::new(std::sync::Barrier::new(16));
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let (store, barrier) = (store.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    store.admit_at("msg_race", 1000)
                })
            })
            .collect();
        let fresh = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|a| *a == Admission::Fresh)
            .count();
        assert_eq!(fresh, 1);
        assert_eq!(store.observed()["msg_race"], 1);
    }
}
