//! Memory per id of the receiver's dedup store: resident memory before and after admitting
//! `IDS` (default 1,000,000) distinct ids shaped like the ones senders use
//! (`msg_` + 27 characters, 31 bytes), read from `/proc/self/status` (Linux).
//!
//! ```sh
//! cargo run --release -p hookspec-engine --example dedup_memory
//! ```

use hookspec_engine::serve::{Admission, DEFAULT_TTL, DedupStore};

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let ids: usize = std::env::var("IDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let store = DedupStore::with_max_ids(DEFAULT_TTL, ids);
    let before = resident_kib();
    for i in 0..ids {
        let id = format!("msg_{i:027}");
        assert_eq!(store.admit_at(&id, 1_700_000_000), Admission::Fresh);
    }
    let after = resident_kib();
    let per_id = (after.saturating_sub(before) * 1024) as f64 / ids as f64;
    println!(
        "{ids} ids of 31 bytes: resident {} MiB -> {} MiB, {per_id:.0} bytes per id",
        before / 1024,
        after / 1024
    );
    assert_eq!(store.len(), ids);
}
