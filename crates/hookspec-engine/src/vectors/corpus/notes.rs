//! What each flag means (the `notes` of the vector files).

use std::collections::BTreeMap;

use crate::vectors::format::Note;

const CVE_2024_21491: &[&str] = &[
    "https://github.com/svix/svix-webhooks/pull/1190",
    "https://github.com/standard-webhooks/standard-webhooks/pull/115",
    "https://github.com/rustsec/advisory-db/pull/1875",
];

const GEMINI_DOCS: &[&str] = &["https://ai.google.dev/gemini-api/docs/webhooks"];
const GEMINI_V1A: &[&str] = &["https://github.com/googleapis/python-genai/issues/2927"];
const JWT_BCP: &[&str] = &[
    "https://www.rfc-editor.org/rfc/rfc8725",
    "https://auth0.com/blog/critical-vulnerabilities-in-json-web-token-libraries/",
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
        "`webhook-id` or `webhook-timestamp` repeated with different values: which one did the sender sign? Rejected by the strict profile. (Repeated `webhook-signature` fields are RepeatedSignatureField.)",
        &["https://github.com/seamapi/python/pull/644"],
    ),
    (
        "RepeatedSignatureField",
        "EDGE_CASE",
        "Two `webhook-signature` fields with different values, one of them the valid entry. acceptable: the spec is silent (C70) and HTTP lets a recipient combine repeated fields into one list (RFC 9110 section 5.3), after which the valid entry verifies, or read only one of them; the strict profile refuses conflicting repeats (`conflicting_headers`). `hookspec check` grades the same delivery INFORMATIONAL (headers/repeated-signature-field).",
        &["https://www.rfc-editor.org/rfc/rfc9110#section-5.3"],
    ),
    (
        "IdCharacters",
        "EDGE_CASE",
        "A `webhook-id` with bytes outside visible ASCII (non-ASCII UTF-8, a space), correctly signed. acceptable: the spec leaves the id's characters to the sender (C54), so a receiver may verify such an id; the strict profile refuses it (`invalid_id`). `hookspec check` grades it INFORMATIONAL (headers/non-ascii-id).",
        &[],
    ),
    (
        "EmptyKey",
        "AUTH_BYPASS",
        "A `v1` entry that is the HMAC keyed with an empty key, which anyone can compute: a receiver whose secret variable is unset, or that tries an empty key beside its real ones, accepts it. The official libraries and payment SDKs were changed in 2026 to refuse empty secrets.",
        &[
            "https://github.com/standard-webhooks/standard-webhooks/pull/286",
            "https://github.com/stripe/stripe-java/pull/2286",
        ],
    ),
    (
        "SecretAsText",
        "CONFIGURATION",
        "A `v1` entry keyed with the secret's text instead of its decoded bytes: the whole `whsec_…` text, or the base64 after `whsec_` left undecoded. The key is the decoded bytes; a receiver that accepts these derives its key from text.",
        &[],
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
    (
        "JwksKeySelection",
        "ROTATION",
        "A `v1a` entry names no key, and Gemini publishes several Ed25519 keys: a receiver must try every Ed25519 key of the set, not only the first.",
        GEMINI_V1A,
    ),
    (
        "KeyConfusion",
        "AUTH_BYPASS",
        "A `v1` HMAC keyed with the public key's bytes (or its `x` text) sent to an Ed25519 receiver: anyone can compute it, so a receiver that also runs v1 with its public key as the secret accepts forgeries.",
        &[],
    ),
    (
        "JwkUsage",
        "CONFIGURATION",
        "A key the set publishes for something else (`use: enc`, `key_ops` without `verify`, another curve, or an `alg` of another algorithm or key type) or with private members (`d`, or RSA's `p` and `q`): never used to verify (RFC 7517 sections 4.2 and 4.3, RFC 7518 section 6.3.2).",
        &[],
    ),
    (
        "BrokenKeyInSet",
        "CONFIGURATION",
        "The set also holds a key that does not parse (a post-quantum `AKP` key of RFC 9964, which few libraries know yet; an Ed25519 `x` of 31 bytes; an RSA modulus that is not base64url): that key is skipped (RFC 7517 section 5), the others stay usable, so a delivery signed by one of them is valid. Libraries that let one such key fail the whole set reject every delivery.",
        &[
            "https://www.rfc-editor.org/rfc/rfc7517#section-5",
            "https://github.com/jpadilla/pyjwt/issues/862",
            "https://github.com/authlib/authlib/issues/913",
        ],
    ),
    (
        "NoUsableKey",
        "CONFIGURATION",
        "The key set has no key of the delivery's type: rejected, never verified against a key of another type.",
        &[],
    ),
    (
        "InvalidJwks",
        "CONFIGURATION",
        "The key set document is not a JWKS (no `keys` array): the receiver has no keys, and rejects (hookspec's reference answers with the key-set error code as a configuration error).",
        &[],
    ),
    (
        "NoBodyBinding",
        "REPLAY",
        "A token without a claim binding it to the body, as Google documents its tokens: it proves who sent a delivery, not this body. acceptable when replayed with another body within its lifetime: a receiver cannot detect it unless the sender binds the body (hookspec issues `body_sha256`).",
        GEMINI_DOCS,
    ),
    (
        "Audience",
        "AUTH_BYPASS",
        "`aud` (a string, or an array of strings) must contain the configured audience exactly; otherwise a token minted for another receiver verifies here.",
        GEMINI_DOCS,
    ),
    (
        "AudienceNotConfigured",
        "CONFIGURATION",
        "A receiver with no audience configured must refuse JWTs: checking no `aud` accepts every token the key's owner ever issued, for anyone.",
        &[],
    ),
    (
        "Issuer",
        "AUTH_BYPASS",
        "When an issuer is configured, `iss` must equal it exactly.",
        &[],
    ),
    (
        "ClockSkew",
        "EDGE_CASE",
        "`exp`, `nbf` or `iat` within 60 s of the wrong side of now. acceptable: the reference verifier allows 60 s of clock skew, a receiver allowing none rejects.",
        &[],
    ),
    (
        "AlgNone",
        "AUTH_BYPASS",
        "`alg: none` (any case), with or without a signature: a verifier that takes the algorithm from the token accepts an unsigned one. The algorithm must be pinned to RS256.",
        JWT_BCP,
    ),
    (
        "AlgConfusion",
        "AUTH_BYPASS",
        "`alg: HS256` keyed with the RSA public key (its PEM text, DER or modulus): a verifier that takes the algorithm from the token and hands the RSA key to HMAC accepts a token anyone can forge.",
        JWT_BCP,
    ),
    (
        "AlgNotAllowed",
        "AUTH_BYPASS",
        "An `alg` other than exactly `RS256` (another RSA algorithm, wrong case, not a string, absent): refused, never mapped.",
        JWT_BCP,
    ),
    (
        "UnknownKid",
        "AUTH_BYPASS",
        "The `kid` names no RSA key of the set (absent, or an Ed25519 key): rejected, never verified against another key.",
        &[],
    ),
    (
        "MissingKid",
        "MALFORMED_INPUT",
        "No `kid` string in the header: the key cannot be chosen, so the token is rejected.",
        &[],
    ),
    (
        "EmbeddedKey",
        "AUTH_BYPASS",
        "A `jwk`, `jku` or `x5u` header pointing at the attacker's own key: keys come only from the configured set, and a verifier that trusts the token's key accepts anything.",
        JWT_BCP,
    ),
    (
        "CritHeader",
        "EDGE_CASE",
        "A `crit` header: RFC 7515 section 4.1.11 requires rejecting a token whose critical extensions are not understood.",
        &["https://www.rfc-editor.org/rfc/rfc7515#section-4.1.11"],
    ),
    (
        "Expired",
        "REPLAY",
        "`exp` well in the past: a captured token must stop working.",
        &[],
    ),
    (
        "MissingExp",
        "REPLAY",
        "No `exp`: a token that never expires could be replayed for ever, so `exp` is required.",
        &[],
    ),
    ("NotYetValid", "FRESHNESS", "`nbf` well in the future.", &[]),
    (
        "IssuedInFuture",
        "FRESHNESS",
        "`iat` well in the future.",
        &[],
    ),
    (
        "InvalidClaim",
        "MALFORMED_INPUT",
        "A checked claim of the wrong type or form: a NumericDate that is a string or negative; an `aud` that is a number; a `body_sha256` that is not 32 bytes.",
        &[],
    ),
    (
        "NumericDateFraction",
        "EDGE_CASE",
        "A NumericDate with a fraction (`exp` 4102444800.5): RFC 7519 section 2 allows non-integer values, so the token is valid.",
        &["https://www.rfc-editor.org/rfc/rfc7519#section-2"],
    ),
    (
        "TruncatedToken",
        "AUTH_BYPASS",
        "The valid token with characters or its signature segment removed.",
        &[],
    ),
    (
        "MalformedToken",
        "MALFORMED_INPUT",
        "Not a compact JWS of three canonical unpadded base64url segments with a JSON-object header: standard-alphabet characters, padding, spaces, extra segments.",
        &[],
    ),
    (
        "DuplicateHeaderMember",
        "EDGE_CASE",
        "A JOSE header with a member twice: `alg` `none`, then `RS256` (the signature is a valid RS256 one). acceptable: RFC 7515 section 4 lets a parser reject duplicate member names or use the last one; hookspec's reference rejects (`jwt_malformed`). A parser that uses the first, `none`, must still reject.",
        &["https://www.rfc-editor.org/rfc/rfc7515#section-4"],
    ),
    (
        "OversizedToken",
        "MALFORMED_INPUT",
        "A validly signed token of over 8 KiB: refused before any parsing or signature check, so a flood of huge tokens costs the receiver nothing.",
        &[],
    ),
    (
        "IdBinding",
        "REPLAY",
        "The token's `webhook_id` claim (hookspec's binding claim) names another delivery. In groups whose receiver enforces the binding claims (`jwt_body_binding`): Google documents none, so a receiver may ignore them otherwise.",
        &[],
    ),
    (
        "BodyBinding",
        "AUTH_BYPASS",
        "The token's `body_sha256` claim (hookspec's binding claim) is missing, or does not match the body (the token was issued for another body). In groups whose receiver enforces the binding claims (`jwt_body_binding`): Google documents none, so a receiver may ignore them otherwise.",
        &[],
    ),
    (
        "BothSchemes",
        "EDGE_CASE",
        "A `v1a` entry signed by a key of the set, sent to a receiver configured for JWTs. acceptable: a receiver may accept both schemes from the same key set, as Gemini's traffic and documentation differ (hookspec's JWT-only reference refuses it with scheme_not_accepted).",
        GEMINI_V1A,
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
