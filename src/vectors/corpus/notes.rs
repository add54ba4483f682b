//! What each flag means (the `notes` of the vector files).

use std::collections::BTreeMap;

use crate::vectors::format::Note;

const CVE_2024_21491: &[&str] = &[
    "https://github.com/svix/svix-webhooks/pull/1190",
    "https://github.com/standard-webhooks/standard-webhooks/pull/115",
    "https://github.com/rustsec/advisory-db/pull/1875",
];

/// Every flag: (name, bug type, description, links).
const NOTES: &[(&str, &str, &str, &[&str])] = &[
    (
        "KnownAnswer",
        "BASIC",
        "A known-answer vector published by the official Standard Webhooks libraries or by Svix: a receiver that rejects it computes the signed content or the tag differently from every sender.",
        &[],
    ),
    (
        "Valid",
        "BASIC",
        "A well-formed delivery that every receiver must accept.",
        &[],
    ),
    (
        "ModifiedSignature",
        "AUTH_BYPASS",
        "The valid signature with one bit, byte or base64 character changed, or all-zero: a receiver that accepts it does not really compare the tag.",
        &[],
    ),
    (
        "TruncatedSignature",
        "AUTH_BYPASS",
        "A prefix of the valid signature (down to `v1,`): receivers that compare only the common prefix accept it (CVE-2024-21491 in the Rust libraries).",
        CVE_2024_21491,
    ),
    (
        "WrongKey",
        "AUTH_BYPASS",
        "Signed correctly, but with a key the receiver does not trust.",
        &[],
    ),
    (
        "ModifiedTimestamp",
        "AUTH_BYPASS",
        "The `webhook-timestamp` differs from the timestamp that was signed: the timestamp must be part of the signed content.",
        &[],
    ),
    (
        "ModifiedId",
        "AUTH_BYPASS",
        "The `webhook-id` differs from the id that was signed: the id must be part of the signed content.",
        &[],
    ),
    (
        "ModifiedBody",
        "AUTH_BYPASS",
        "The body differs from the signed body by one bit or byte.",
        &[],
    ),
    (
        "ReserializedBody",
        "CANONICALIZATION",
        "The body is the signed JSON re-serialized (spacing, trailing newline, BOM): receivers must verify the raw bytes, never a re-encoding.",
        &["https://github.com/svix/svix-webhooks/issues/1463"],
    ),
    (
        "FreshTimestamp",
        "FRESHNESS",
        "Signed within the 300 s tolerance (in the past or the future): accepted.",
        &[],
    ),
    (
        "StaleTimestamp",
        "REPLAY",
        "Signed correctly, but older than the tolerance: a receiver that accepts it accepts replays of captured deliveries.",
        &["https://github.com/symfony/symfony/pull/65675"],
    ),
    (
        "FutureTimestamp",
        "FRESHNESS",
        "Signed correctly, but further in the future than the tolerance (for example milliseconds instead of seconds).",
        &[],
    ),
    (
        "ToleranceBoundary",
        "EDGE_CASE",
        "Exactly 300 s away. acceptable: the reference verifier compares whole seconds and accepts, but a receiver with a sub-second clock sees the past boundary as 300.x s old and may reject; the official libraries split this way.",
        &[],
    ),
    (
        "TimestampGrammar",
        "MALFORMED_INPUT",
        "A timestamp that is not `[1-9][0-9]*`: sign, spaces, leading zero, fraction, exponent, `_`, non-ASCII digits, trailing junk. Lenient parsers (`float()`, `parseInt`, `Long.parseLong`) read many of them, and some re-serialize the number into the signed content, so the same header verifies differently across libraries.",
        &["https://github.com/chobbledotcom/tickets/pull/1864"],
    ),
    (
        "TimestampOverflow",
        "KNOWN_BUG",
        "A timestamp at or beyond the 64-bit limits: the Rust `standardwebhooks` crate computes `now - ts` in i64, which panics in debug builds and wraps past the freshness check in release builds.",
        &["https://github.com/svix/svix-webhooks/pull/2292"],
    ),
    (
        "MissingHeader",
        "MALFORMED_INPUT",
        "A required header is absent.",
        &[],
    ),
    (
        "EmptyHeader",
        "MALFORMED_INPUT",
        "A required header is present but empty (or only spaces). An empty id signed as `.ts.body` verifies in libraries that accept empty values.",
        &[],
    ),
    (
        "InvalidId",
        "MALFORMED_INPUT",
        "A `webhook-id` outside the strict profile's grammar (visible ASCII except `.`).",
        &[],
    ),
    (
        "IdDelimiter",
        "CANONICALIZATION",
        "A `.` in the id lets the boundary between id, timestamp and body shift (spec: ids should not contain `.`). The strict profile rejects such ids; the matching case without a `.` verifies.",
        &[],
    ),
    (
        "SignatureList",
        "ROTATION",
        "A list of 1 to 8 signature entries, with the valid entry in each position or absent: receivers must try every entry.",
        &["https://github.com/svix/svix-webhooks/pull/2397"],
    ),
    (
        "KeyRotation",
        "ROTATION",
        "The receiver trusts several secrets (rotation) and must try each.",
        &[],
    ),
    (
        "UnknownVersion",
        "EDGE_CASE",
        "Entries with an unknown or differently cased version token (`v2`, `V1`, `v1b`): skipped, never matched, never fatal.",
        &[],
    ),
    (
        "MalformedEntry",
        "MALFORMED_INPUT",
        "Entries without a comma, empty entries from repeated spaces, stray text: skipped, never fatal to the whole header. Python's library raises ValueError, and the C# libraries reject the whole header, even when a later entry is valid.",
        &[],
    ),
    (
        "ExtraComma",
        "KNOWN_BUG",
        "`v1,<valid>,x`: the strict profile splits at the first comma, so the signature is `<valid>,x` and malformed. The Go, JavaScript, Java and C# libraries take the middle part and accept.",
        &[],
    ),
    (
        "SignatureEncoding",
        "MALLEABILITY",
        "The valid tag in a non-canonical encoding: unused padding bits set, no padding, URL-safe alphabet, extra `=`, embedded junk. Lenient decoders (Python's b64decode) accept some of them; the strict profile accepts one text per tag.",
        &["https://github.com/standard-webhooks/standard-webhooks/issues/25"],
    ),
    (
        "HeaderCase",
        "EDGE_CASE",
        "Header names in mixed or upper case: HTTP names are case-insensitive. The Ruby and PHP libraries look up the exact lower-case key.",
        &["https://github.com/svix/svix-webhooks/issues/1013"],
    ),
    (
        "SvixAliases",
        "EDGE_CASE",
        "`svix-*` headers. acceptable when they are the only ones: the strict profile reads them as aliases, a pure Standard Webhooks receiver may not. Mixing `webhook-*` and `svix-*` headers in one delivery is rejected.",
        &["https://github.com/svix/svix-webhooks/pull/2147"],
    ),
    (
        "RepeatedHeader",
        "EDGE_CASE",
        "A required header repeated with a byte-identical value. acceptable: the strict profile counts it once, but HTTP lets intermediaries join repeats with `, `, and a receiver that then rejects the joined value is conformant.",
        &[],
    ),
    (
        "ConflictingHeaders",
        "MALFORMED_INPUT",
        "A required header repeated with different values: which one did the sender sign? Rejected by the strict profile; joining them (Node) can let a valid entry through.",
        &["https://github.com/seamapi/python/pull/644"],
    ),
    (
        "SecretLength",
        "CONFIGURATION",
        "Secrets of 23, 24, 32, 64 and 65 bytes. The spec asks for 24 to 64; the strict profile refuses others when configured (`secret_too_short` / `secret_too_long`), so the 23- and 65-byte tests are invalid even though the delivery is correctly signed with that key. No official library enforces the range.",
        &[],
    ),
    (
        "SecretEncoding",
        "CONFIGURATION",
        "The configured secret text: without `whsec_` (fine), or malformed (missing padding, URL-safe alphabet, stray characters, `v1,whsec_…`, empty). Lenient decoders silently derive a different key or ignore junk; the strict profile refuses the configuration.",
        &[
            "https://github.com/standard-webhooks/standard-webhooks/issues/235",
            "https://github.com/standard-webhooks/standard-webhooks/pull/286",
        ],
    ),
    (
        "EmptyBody",
        "EDGE_CASE",
        "A 0-byte body: verification must not depend on parsing it.",
        &["https://github.com/standard-webhooks/standard-webhooks/issues/262"],
    ),
    ("SmallBody", "EDGE_CASE", "A 1-byte body.", &[]),
    (
        "NonUtf8Body",
        "EDGE_CASE",
        "A body that is not UTF-8: the signature covers raw bytes. The Rust crate refuses such bodies, Python raises UnicodeDecodeError, and Node decodes lossily and mismatches.",
        &[],
    ),
    (
        "LargeBody",
        "EDGE_CASE",
        "Bodies of 256 KiB and 1 MiB.",
        &[],
    ),
    (
        "MixedSchemes",
        "EDGE_CASE",
        "Entries of both schemes in one list, or entries of a scheme the receiver holds no key for: those are skipped, the others still count.",
        &[],
    ),
    (
        "SignatureMalleability",
        "MALLEABILITY",
        "An Ed25519 signature with S + L (non-canonical scalar): RFC 8032 verifiers reject it; lax ones accept a second valid-looking signature for the same message.",
        &[],
    ),
    (
        "PublicKeyValidation",
        "CONFIGURATION",
        "Public keys that are not 32-byte valid, non-small-order Ed25519 points: refused when configured.",
        &[],
    ),
];

/// The notes for the flags in `used` (unknown flags are left out; file validation then
/// reports them).
pub(crate) fn notes_for(used: &[&str]) -> BTreeMap<String, Note> {
    NOTES
        .iter()
        .filter(|(name, ..)| used.contains(name))
        .map(|(name, bug, description, links)| {
            (
                name.to_string(),
                Note {
                    bug_type: bug.to_string(),
                    description: description.to_string(),
                    links: links.iter().map(|l| l.to_string()).collect(),
                },
            )
        })
        .collect()
}
