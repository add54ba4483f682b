//! `signature`: the `webhook-signature` list: forged, truncated and malformed entries are
//! rejected; a valid entry is found wherever it sits in the list.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

use super::{Case, Ctx, Expect, Probe, each, foreign_entry, junk_entry, probe, random};
use crate::delivery::Delivery;
use crate::report::{BugClass, Level};

/// The `signature` family.
pub fn cases() -> Vec<Case> {
    use BugClass::{AuthBypass, KeyConfusion, MalformedInput, Rotation};
    use Expect::*;
    use Level::*;
    vec![
        each(
            "signature/tampered-tag",
            Must,
            AuthBypass,
            Reject,
            "A signature with one bit flipped is rejected",
            "R13 (C13): the tag must match exactly",
            |cx| {
                vec![
                    cx.with_signature(|tag| format!("v1,{}", flip_first_bit(tag)))
                        .into(),
                ]
            },
        ),
        each(
            "signature/wrong-secret",
            Must,
            AuthBypass,
            Reject,
            "A delivery signed with another secret is rejected",
            "R8 (C14): only the endpoint's own secret verifies",
            |cx| {
                let d = cx.valid();
                let (id, ts) = id_ts(&d);
                let foreign = foreign_entry(&id, &ts, &d.body);
                vec![d.set(hookspec::WEBHOOK_SIGNATURE, foreign).into()]
            },
        ),
        each(
            "signature/empty-key",
            Must,
            AuthBypass,
            Reject,
            "A v1 signature keyed with an empty secret is rejected",
            "R8: only the endpoint's own secret verifies; an unset secret variable read as \"\" must not become a trusted HMAC key (standard-webhooks #286, ruby-jwt CVE-2026-45363)",
            |cx| vec![keyed_with(cx, b"").into()],
        ),
        each(
            "signature/secret-text-as-key",
            Must,
            KeyConfusion,
            Reject,
            "A v1 signature keyed with the secret's text (`whsec_…`, or its base64 undecoded) is rejected",
            "R8: the HMAC key is the base64-decoded bytes after `whsec_`; an endpoint that also keys with the text verifies signatures its sender never makes, and trusts its secret in two forms",
            |cx| {
                let whsec = cx.secret().to_whsec();
                let bare = whsec.trim_start_matches("whsec_").to_string();
                vec![
                    probe(
                        "keyed with the whsec_ text",
                        keyed_with(cx, whsec.as_bytes()),
                    ),
                    probe(
                        "keyed with the base64 text, undecoded",
                        keyed_with(cx, bare.as_bytes()),
                    ),
                ]
            },
        ),
        each(
            "signature/empty-tag",
            Must,
            AuthBypass,
            Reject,
            "The entry `v1,` (no tag at all) is rejected",
            "CVE-2024-21491 (C15): a comparison over the shorter length accepts an empty tag",
            |cx| vec![cx.with_signature(|_| "v1,".into()).into()],
        ),
        each(
            "signature/truncated-tag",
            Must,
            AuthBypass,
            Reject,
            "A prefix of the valid tag is rejected",
            "CVE-2024-21491 (C16): prefix comparison accepts any truncation of the tag",
            |cx| {
                vec![
                    probe(
                        "8 characters",
                        cx.with_signature(|t| format!("v1,{}", &t[..8])),
                    ),
                    probe(
                        "1 character",
                        cx.with_signature(|t| format!("v1,{}", &t[..1])),
                    ),
                    probe(
                        "42 characters",
                        cx.with_signature(|t| format!("v1,{}", &t[..42])),
                    ),
                ]
            },
        ),
        each(
            "signature/other-signed-content",
            Must,
            AuthBypass,
            Reject,
            "An HMAC over anything but `id.timestamp.body` is rejected",
            "R5: the signed content binds id and timestamp; a MAC over the body alone replays under any id and time",
            |cx| {
                let id = cx.id();
                let ts = cx.now().to_string();
                let body = cx.body();
                let tag = |content: &[u8]| {
                    format!("v1,{}", STANDARD.encode(hmac_sha256(cx.secret(), content)))
                };
                let mut ts_body = format!("{ts}.").into_bytes();
                ts_body.extend_from_slice(&body);
                let mut no_dots = format!("{id}{ts}").into_bytes();
                no_dots.extend_from_slice(&body);
                vec![
                    probe(
                        "HMAC(body)",
                        Delivery::signed(id.clone(), ts.clone(), tag(&body), body.clone()),
                    ),
                    probe(
                        "HMAC(timestamp.body)",
                        Delivery::signed(id.clone(), ts.clone(), tag(&ts_body), body.clone()),
                    ),
                    probe(
                        "HMAC(id timestamp body) without the dots",
                        Delivery::signed(id, ts, tag(&no_dots), body),
                    ),
                ]
            },
        ),
        each(
            "signature/entry-without-comma",
            Must,
            MalformedInput,
            Reject,
            "Entries without a comma (`v1`, `garbage`) alone are rejected",
            "R9, R12 (C25): nothing to verify; must not crash or match",
            |cx| {
                vec![
                    probe("signature \"v1\"", cx.with_signature(|_| "v1".into())),
                    probe(
                        "signature \"garbage\"",
                        cx.with_signature(|_| "garbage".into()),
                    ),
                ]
            },
        ),
        each(
            "signature/junk-list",
            Must,
            AuthBypass,
            Reject,
            "A list of three well-formed entries, none valid, is rejected",
            "R12 (C30): every entry is tried, and none matches",
            |cx| {
                vec![
                    cx.with_signature(|_| {
                        format!("{} {} {}", junk_entry(), junk_entry(), junk_entry())
                    })
                    .into(),
                ]
            },
        ),
        each(
            "signature/valid-after-foreign",
            Must,
            Rotation,
            Accept,
            "The valid entry second, after one by an unknown key, is accepted",
            "R12 (C27): \"try to verify each signature until one matches\"",
            |cx| vec![with_list(cx, |valid, foreign| format!("{foreign} {valid}")).into()],
        ),
        each(
            "signature/valid-before-junk",
            Must,
            Rotation,
            Accept,
            "The valid entry first, then two junk entries, is accepted",
            "R12 (C28)",
            |cx| {
                vec![
                    with_list(cx, |valid, _| {
                        format!("{valid} {} {}", junk_entry(), junk_entry())
                    })
                    .into(),
                ]
            },
        ),
        each(
            "signature/valid-third-of-four",
            Must,
            Rotation,
            Accept,
            "The valid entry third of four, among v1 and v2 junk, is accepted",
            "R12 (C29): the official libraries' own multi-signature test",
            |cx| {
                vec![
                    with_list(cx, |valid, _| {
                        let junk = junk_entry();
                        let v2 = junk.replacen("v1,", "v2,", 1);
                        format!("{junk} {v2} {valid} {}", junk_entry())
                    })
                    .into(),
                ]
            },
        ),
        each(
            "signature/v1a-entry-then-v1",
            Must,
            Rotation,
            Accept,
            "A v1a (Ed25519) entry before the valid v1 entry is accepted",
            "R8, R12 (C31): an entry of another scheme is skipped, not fatal",
            |cx| {
                vec![
                    with_list(cx, |valid, _| {
                        format!("v1a,{} {valid}", STANDARD.encode(random::<64>()))
                    })
                    .into(),
                ]
            },
        ),
        each(
            "signature/malformed-then-valid",
            Should,
            MalformedInput,
            Accept,
            "A malformed entry before the valid one does not spoil the list",
            "R12 (C26): malformed entries are skipped (C# rejects the whole header, Python crashes)",
            |cx| {
                vec![
                    probe(
                        "\"garbage v1,<valid>\"",
                        with_list(cx, |v, _| format!("garbage {v}")),
                    ),
                    probe("\"v1 v1,<valid>\"", with_list(cx, |v, _| format!("v1 {v}"))),
                    probe(
                        "\"v1,!!!! v1,<valid>\"",
                        with_list(cx, |v, _| format!("v1,!!!! {v}")),
                    ),
                ]
            },
        ),
        each(
            "signature/double-space",
            Should,
            MalformedInput,
            Accept,
            "Two spaces between entries do not spoil the list",
            "R12 (C32): the empty entry is skipped",
            |cx| vec![with_list(cx, |v, _| format!("v1,AAAA  {v}")).into()],
        ),
        each(
            "signature/no-version",
            Should,
            MalformedInput,
            Reject,
            "The valid tag without `v1,` is rejected",
            "R9 (C17): an entry is `version,base64`",
            |cx| vec![cx.with_signature(|t| t.to_string()).into()],
        ),
        each(
            "signature/unknown-version-only",
            Should,
            MalformedInput,
            Reject,
            "The valid tag under version `v2` is rejected",
            "R9, R12 (C18): unknown versions are skipped, never verified as v1",
            |cx| vec![cx.with_signature(|t| format!("v2,{t}")).into()],
        ),
        each(
            "signature/uppercase-version",
            Should,
            MalformedInput,
            Reject,
            "The valid tag under version `V1` is rejected",
            "R9 (C19): version tokens are case-sensitive",
            |cx| vec![cx.with_signature(|t| format!("V1,{t}")).into()],
        ),
        each(
            "signature/hmac-tag-as-v1a",
            Should,
            KeyConfusion,
            Reject,
            "The valid HMAC tag under version `v1a` is rejected",
            "R8 (C20): the version selects the scheme; an HMAC tag is not an Ed25519 signature",
            |cx| vec![cx.with_signature(|t| format!("v1a,{t}")).into()],
        ),
        each(
            "signature/non-canonical-base64",
            Should,
            MalformedInput,
            Reject,
            "The valid tag with non-zero padding bits is rejected",
            "R13 (C21): decode strictly, then compare (lenient decoders accept a malleated tag)",
            |cx| {
                vec![
                    cx.with_signature(|t| format!("v1,{}", non_canonical(t)))
                        .into(),
                ]
            },
        ),
        each(
            "signature/unpadded-base64",
            Should,
            MalformedInput,
            Reject,
            "The valid tag without its `=` padding is rejected",
            "R9 (C22): canonical padded standard base64",
            |cx| {
                vec![
                    cx.with_signature(|t| format!("v1,{}", t.trim_end_matches('=')))
                        .into(),
                ]
            },
        ),
        each(
            "signature/url-safe-base64",
            Should,
            MalformedInput,
            Reject,
            "The valid tag in the URL-safe base64 alphabet is rejected",
            "R9 (C23): standard alphabet only (std-webhooks #25)",
            url_safe,
        ),
        each(
            "signature/extra-comma",
            Should,
            MalformedInput,
            Reject,
            "The valid entry followed by `,x` is rejected",
            "R9 (C24): split at the first comma; Go, JS, Java and C# take the middle part and accept",
            |cx| vec![cx.with_signature(|t| format!("v1,{t},x")).into()],
        ),
        each(
            "signature/boundary-shift",
            Info,
            AuthBypass,
            Either,
            "A valid MAC whose id/timestamp/body split was shifted",
            "R6 (C53): `msg.T2.T1.{…}` is also the content of id `msg.T2`, ts T1; the body is not JSON",
            |cx| {
                let id = cx.id();
                let now = cx.now();
                let mut body = format!("{}.", now.saturating_sub(70)).into_bytes();
                body.extend_from_slice(&cx.body());
                let ts = now.to_string();
                let sig = cx.sign(&id, &ts, &body);
                vec![Delivery::signed(id, ts, sig, body).into()]
            },
        ),
    ]
}

/// HMAC-SHA256 of arbitrary content with `secret` (for wrongly built signed content).
fn hmac_sha256(secret: &hookspec::Secret, content: &[u8]) -> [u8; 32] {
    super::hmac_tag(secret.as_bytes(), content)
}

/// A fresh delivery whose only entry is a `v1` HMAC of `id.timestamp.body` under `key`
/// (any bytes, an empty key included).
pub(crate) fn keyed_with(cx: &mut Ctx, key: &[u8]) -> Delivery {
    let d = cx.valid();
    let (id, ts) = id_ts(&d);
    let content = hookspec::internal::signed_content(id.as_bytes(), ts.as_bytes(), &d.body);
    let entry = format!("v1,{}", STANDARD.encode(super::hmac_tag(key, &content)));
    d.set(hookspec::WEBHOOK_SIGNATURE, entry)
}

/// The id and timestamp of a delivery, as text.
fn id_ts(d: &Delivery) -> (String, String) {
    (
        d.webhook_id().unwrap_or_default(),
        d.first_text(hookspec::WEBHOOK_TIMESTAMP)
            .unwrap_or_default(),
    )
}

/// A valid delivery whose signature header is `list(valid_entry, foreign_entry)`.
pub(crate) fn with_list(cx: &mut Ctx, list: impl FnOnce(&str, &str) -> String) -> Delivery {
    let d = cx.valid();
    let (id, ts) = id_ts(&d);
    let valid = cx.sign(&id, &ts, &d.body);
    let foreign = foreign_entry(&id, &ts, &d.body);
    d.set(hookspec::WEBHOOK_SIGNATURE, list(&valid, &foreign))
}

/// The tag with the first bit of its first byte flipped (still canonical base64).
pub(crate) fn flip_first_bit(tag: &str) -> String {
    let mut bytes = STANDARD.decode(tag).unwrap_or_default();
    if let Some(b) = bytes.first_mut() {
        *b ^= 0x80;
    }
    STANDARD.encode(bytes)
}

/// The tag with the unused low bits of its last data character set: decodes to the same
/// bytes with a lenient decoder, rejected by a canonical one.
fn non_canonical(tag: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut chars: Vec<u8> = tag.bytes().collect();
    // A 32-byte tag is 43 data characters and one `=`: the last data character carries 4
    // bits of data and 2 zero bits.
    if let Some(pos) = chars.iter().rposition(|&c| c != b'=')
        && let Some(index) = ALPHABET.iter().position(|&c| c == chars[pos])
    {
        chars[pos] = ALPHABET[index ^ 0b01];
    }
    String::from_utf8(chars).unwrap_or_default()
}

/// The valid tag in the URL-safe alphabet, from a delivery whose tag has a `+` or `/`
/// (otherwise both alphabets agree and the case would test nothing).
fn url_safe(cx: &mut Ctx) -> Vec<Probe> {
    let mut last = None;
    for _ in 0..64 {
        let mut chosen = None;
        let d = cx.with_signature(|t| {
            if t.contains(['+', '/']) {
                let bytes = STANDARD.decode(t).unwrap_or_default();
                chosen = Some(URL_SAFE.encode(bytes));
            }
            format!("v1,{t}")
        });
        if let Some(tag) = chosen {
            return vec![
                d.set(hookspec::WEBHOOK_SIGNATURE, format!("v1,{tag}"))
                    .into(),
            ];
        }
        last = Some(d);
    }
    // Unreachable in practice (each try has a 3-in-4 chance); the delivery is then valid.
    vec![last.expect("at least one try").into()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn non_canonical_decodes_leniently_to_the_same_bytes() {
        let nc = non_canonical(TAG);
        assert_eq!(nc, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=");
        assert!(STANDARD.decode(&nc).is_err());
        let lenient = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
        );
        assert_eq!(lenient.decode(&nc).unwrap(), STANDARD.decode(TAG).unwrap());
    }

    #[test]
    fn flipped_tag_differs_and_stays_canonical() {
        let f = flip_first_bit(TAG);
        assert_ne!(f, TAG);
        assert_eq!(STANDARD.decode(&f).unwrap().len(), 32);
    }
}
