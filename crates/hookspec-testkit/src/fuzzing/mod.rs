//! Fuzz entry points and the oracles they check against (not a stable API).
//!
//! Each `fuzz/fuzz_targets/<name>.rs` is one line calling one function here, and
//! `tests/it/fuzzing.rs` runs the same functions under proptest, so the stable test suite
//! exercises every invariant the fuzzer checks. Every entry point takes the fuzzer's bytes;
//! the structured ones decode them with [`codec`] (an invertible format, so seed corpora can
//! be built from the known-answer vectors by [`seeds`]).
//!
//! | target | function | invariant |
//! |---|---|---|
//! | `signature_list` | [`signature_list`] | entries match [`oracle::entries`]; accepted entries are canonical |
//! | `timestamp` | [`timestamp`] | `parse_timestamp` accepts exactly `[1-9][0-9]*` in `u64`; ids match [`oracle::id`] |
//! | `keys` | [`keys`] | `whsec_`/`whsk_`/`whpk_` results and codes match [`oracle`]; exports round-trip; no key in `Debug` |
//! | `verify_v1` | [`verify_v1`] | verify = model verifier; signed ⇒ verifies; tampered/variant ⇒ never |
//! | `verify_v1a` | [`verify_v1a`] | the same for Ed25519, including `S + L` malleability |
//! | `differential` | [`differential()`] | hookspec = `standardwebhooks` = `svix`, up to [`differential::ALLOW_LIST`] |
//! | `jwks` | [`jwks()`] | JWKS parsing accounts for every key; parsed sets round-trip |
//! | `jwt` | [`jwt()`] | genuine RS256 tokens verify; edited, attacker, HS256 and non-RS256 ones never do |
//! | `vector_file` | [`vector_file()`] | loaded vector files round-trip; every test renders |
//! | `adapter_line` | [`adapter_line()`] | adapter lines parse or fail with `adapter_garbage` |
//! | `judge` | [`judge()`] | verdicts follow the rules (a 2xx to a must-reject is never OK); response heads parse consistently |
//!
//! Adding a target: one `pub fn name(data: &[u8])` here (or in a submodule, re-exported),
//! one line in `fuzz/fuzz_targets/name.rs`, one `[[bin]]` stanza in `fuzz/Cargo.toml`, seeds
//! in [`seeds::all`] (the corpus test writes them to `fuzz/corpus/name/`), and one proptest in
//! `tests/it/fuzzing.rs`.

pub mod checker;
pub mod codec;
pub mod delivery;
pub mod differential;
pub mod jwt;
pub mod oracle;
mod parsers;
pub mod seeds;

pub use checker::{adapter_line, judge, vector_file};
pub use delivery::{verify_v1, verify_v1a};
pub use differential::differential;
pub use jwt::{jwks, jwt};
pub use parsers::{keys, signature_list, timestamp};
