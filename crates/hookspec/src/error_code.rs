//! The one trait behind every error code of the crate.

/// The stable, machine-readable code of an error: a `snake_case` string such as
/// `timestamp_too_old` or `jwt_wrong_audience`.
///
/// The `Display` text of an error is for people and may be reworded; the code is for
/// programs. The vector corpus, the checker's reports, `hookspec verify` and the test
/// snapshots all carry these strings verbatim, so a code never changes once published, and
/// a service can log, count or branch on it without matching on enum variants (which are
/// `#[non_exhaustive]` and grow). Every error type of this crate implements it, so one
/// `impl ErrorCode` bound covers them all, as rustls reports its alerts and errors through
/// stable names rather than through message text.
pub trait ErrorCode {
    /// The stable code of this error (`snake_case`, ASCII).
    fn code(&self) -> &'static str;
}
