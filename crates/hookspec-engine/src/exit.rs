//! Exit codes shared by every hookspec command that judges something (`check`, `listen`,
//! `vectors check`, `verify`, `send`). Scripts rely on them; they never change meaning.

/// Conformant: every judged case is acceptable (or the delivery verified / was accepted).
pub const OK: u8 = 0;
/// Findings: at least one case failed (or the delivery was rejected).
pub const FINDINGS: u8 = 1;
/// Usage or configuration error: bad flags, a malformed key, an unreadable file.
pub const USAGE: u8 = 2;
/// The target could not be reached, or the tool itself failed.
pub const FAILURE: u8 = 3;
