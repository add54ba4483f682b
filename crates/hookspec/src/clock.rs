//! The one place that reads the wall clock. Every time-dependent function takes `now`
//! explicitly (an `_at` twin), so tests and vectors inject their clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch (0 if the system clock is before 1970).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
