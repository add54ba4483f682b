//! The strict header grammar, piece by piece (`hookspec::internal`): the edges each rule
//! draws, so that a change to one comparison or one bit of the base64 decoder fails here
//! by name rather than somewhere in the vector corpus.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hookspec::internal::{
    HeaderValue, Malformed, SignatureEntry, is_valid_id, parse_timestamp, signature_entries,
    single_value, tags_equal,
};

#[test]
fn id_grammar_is_visible_ascii_without_dot() {
    assert!(is_valid_id(b"msg_p5jXN8AQM9LWM0D4loKWxJek"));
    assert!(is_valid_id(b"!"));
    assert!(is_valid_id(b"~"));
    assert!(is_valid_id(
        &(0x21..=0x7e).filter(|&b| b != b'.').collect::<Vec<u8>>()
    ));
    assert!(!is_valid_id(b""));
    assert!(!is_valid_id(b"."));
    assert!(!is_valid_id(b"msg.1"));
    assert!(!is_valid_id(b"msg 1"));
    assert!(!is_valid_id(b"msg\x7f"));
    assert!(!is_valid_id(b"\x20"));
    assert!(!is_valid_id(b"msg_\xc3\xa9"));
    // A bad byte anywhere, not only first or last.
    assert!(!is_valid_id(b"a.b"));
    assert!(!is_valid_id(b"ab\x00cd"));
}

#[test]
fn timestamp_grammar() {
    assert_eq!(parse_timestamp(b"1"), Some(1));
    assert_eq!(parse_timestamp(b"9"), Some(9));
    assert_eq!(parse_timestamp(b"1614265330"), Some(1_614_265_330));
    assert_eq!(parse_timestamp(b"10"), Some(10));
    assert_eq!(
        parse_timestamp(b"18446744073709551615"),
        Some(u64::MAX),
        "20 digits fit when the value fits"
    );
    assert_eq!(parse_timestamp(b"18446744073709551616"), None, "overflow");
    assert_eq!(parse_timestamp(b"99999999999999999999"), None);
    assert_eq!(parse_timestamp(b"100000000000000000000"), None, "21 digits");
    // Up to 19 characters take the unchecked fast loop: the longest there, and non-digits
    // in it (whose values would overflow a u64 if they were digits) anywhere.
    assert_eq!(
        parse_timestamp(b"9999999999999999999"),
        Some(9_999_999_999_999_999_999)
    );
    assert_eq!(parse_timestamp(b"zzzzzzzzzzzzzzzzzzz"), None);
    assert_eq!(parse_timestamp(b"999999999999999999\xff"), None);
    assert_eq!(parse_timestamp(b"1/"), None, "the byte below '0'");
    assert_eq!(parse_timestamp(b"1:"), None, "the byte above '9'");
    for bad in [
        &b""[..],
        b"0",
        b"01",
        b"-1",
        b"+1",
        b" 1",
        b"1 ",
        b"1.5",
        b"1e9",
        b"1_000",
        b"\xef\xbc\x91",
        b"/",
        b":",
    ] {
        assert_eq!(
            parse_timestamp(bad),
            None,
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

fn v1_text(tag: &[u8; 32]) -> String {
    format!("v1,{}", STANDARD.encode(tag))
}

fn entries(value: &str) -> Vec<SignatureEntry<'_>> {
    signature_entries(value.as_bytes()).collect()
}

#[test]
fn signature_entries_decode_canonical_base64() {
    let tag: [u8; 32] = std::array::from_fn(|i| (i * 37 + 11) as u8);
    assert_eq!(entries(&v1_text(&tag)), [SignatureEntry::V1(tag)]);
    let all_ones = [0xff; 32];
    assert_eq!(entries(&v1_text(&all_ones)), [SignatureEntry::V1(all_ones)]);
    let sig: [u8; 64] = std::array::from_fn(|i| (255 - i * 3) as u8);
    let text = format!("v1a,{}", STANDARD.encode(sig));
    assert_eq!(entries(&text), [SignatureEntry::V1a(sig)]);
    // Every byte value at every position round-trips (each shift and mask of the decoder).
    for position in 0..32 {
        for value in [0x01u8, 0x80, 0x55, 0xaa, 0xff] {
            let mut tag = [0u8; 32];
            tag[position] = value;
            assert_eq!(entries(&v1_text(&tag)), [SignatureEntry::V1(tag)]);
        }
    }
    for position in [0, 31, 32, 61, 62, 63] {
        let mut sig = [0u8; 64];
        sig[position] = 0xff;
        let text = format!("v1a,{}", STANDARD.encode(sig));
        assert_eq!(entries(&text), [SignatureEntry::V1a(sig)]);
    }
}

#[test]
fn signature_entries_split_and_classify() {
    let tag = [7u8; 32];
    let good = v1_text(&tag);
    let b64 = &good[3..];
    assert_eq!(entries(""), []);
    assert_eq!(entries("   "), []);
    assert_eq!(
        entries(&format!("  {good}   {good} ")),
        [SignatureEntry::V1(tag), SignatureEntry::V1(tag)]
    );
    assert_eq!(
        entries("v1"),
        [SignatureEntry::Malformed(Malformed::NoComma)]
    );
    assert_eq!(
        entries(&format!("{good},x")),
        [SignatureEntry::Malformed(Malformed::ExtraComma)]
    );
    assert_eq!(
        entries(&format!("v2,{b64}")),
        [SignatureEntry::Unknown { version: b"v2" }]
    );
    assert_eq!(
        entries(&format!("V1,{b64}")),
        [SignatureEntry::Unknown { version: b"V1" }]
    );
    assert_eq!(
        entries(&format!("v1b,{b64},x")),
        [SignatureEntry::Unknown { version: b"v1b" }],
        "an unknown version is unknown whatever follows"
    );
    assert_eq!(
        entries("v1,"),
        [SignatureEntry::Malformed(Malformed::WrongLength)]
    );
    // A v1 tag under v1a, and a v1a signature under v1: the wrong length for the scheme.
    assert_eq!(
        entries(&format!("v1a,{b64}")),
        [SignatureEntry::Malformed(Malformed::WrongLength)]
    );
    let long = STANDARD.encode([1u8; 64]);
    assert_eq!(
        entries(&format!("v1,{long}")),
        [SignatureEntry::Malformed(Malformed::WrongLength)]
    );
    // 33 and 31 bytes: valid base64 of the wrong length.
    for len in [31, 33] {
        let text = format!("v1,{}", STANDARD.encode(vec![9u8; len]));
        assert_eq!(
            entries(&text),
            [SignatureEntry::Malformed(Malformed::WrongLength)],
            "{len}"
        );
    }
}

#[test]
fn signature_entries_reject_non_canonical_base64() {
    let good = v1_text(&[0u8; 32]);
    let b64 = good[3..].to_string();
    assert_eq!(b64.len(), 44);
    let bad = |text: String| {
        assert_eq!(
            entries(&format!("v1,{text}")),
            [SignatureEntry::Malformed(Malformed::BadBase64)],
            "{text}"
        );
    };
    // Non-zero trailing bits: `A=` ends 32 bytes with `AAA=`; `AAB=` has 2 stray bits.
    bad(format!("{}AB=", &b64[..41]));
    bad(format!("{}AC=", &b64[..41]));
    // Missing padding, URL-safe alphabet, an invalid byte anywhere, two invalid bytes.
    let wrong_length = |text: String| {
        assert_eq!(
            entries(&format!("v1,{text}")),
            [SignatureEntry::Malformed(Malformed::WrongLength)],
            "{text}"
        );
    };
    // 44 characters that are canonical base64 of 33 and 31 bytes.
    wrong_length(b64[..43].to_string() + "A");
    wrong_length(format!("{}==", &b64[..42]));
    bad(format!("-{}", &b64[1..]));
    bad(format!("_{}", &b64[1..]));
    bad(format!("{}!{}", &b64[..20], &b64[21..]));
    bad(format!("!!{}", &b64[2..]));
    bad(format!("!!!!{}", &b64[4..]));
    // Invalid characters in two different groups must not cancel out.
    bad(format!("!{}!{}", &b64[1..4], &b64[5..]));
    bad(format!("{}!{}!=", &b64[..36], &b64[37..42]));
    bad(format!("{}!!=", &b64[..41]));
    bad(format!("{}A!=", &b64[..41]));
    bad(format!("{}=A", &b64[..42]));
    bad(format!("{}\u{e9}", &b64[..42]));
    // A v1a signature (64 bytes: `xx==` ending) with stray bits or broken padding.
    let sig = STANDARD.encode([0u8; 64]);
    assert!(sig.ends_with("A=="));
    for tail in ["B==", "A=A", "!==", "=AA"] {
        let text = format!("v1a,{}{tail}", &sig[..sig.len() - 3]);
        assert_eq!(
            entries(&text),
            [SignatureEntry::Malformed(Malformed::BadBase64)],
            "{text}"
        );
    }
    let text = format!("v1a,!{}", &sig[1..]);
    assert_eq!(
        entries(&text),
        [SignatureEntry::Malformed(Malformed::BadBase64)]
    );
    // Too long and not base64 at all: bad base64, not a wrong length.
    bad("!".repeat(48));
    bad(format!("{b64}!"));
}

#[test]
fn single_value_merges_identical_repeats_only() {
    let headers = [
        ("webhook-id", "a"),
        ("Webhook-Id", "a"),
        ("webhook-timestamp", "1"),
        ("WEBHOOK-TIMESTAMP", "2"),
    ];
    assert_eq!(single_value(&headers, "webhook-id"), HeaderValue::One(b"a"));
    assert_eq!(
        single_value(&headers, "webhook-timestamp"),
        HeaderValue::Conflicting
    );
    assert_eq!(
        single_value(&headers, "webhook-signature"),
        HeaderValue::Absent
    );
    let three = [("x", "a"), ("x", "b"), ("x", "a")];
    assert_eq!(single_value(&three, "x"), HeaderValue::Conflicting);
}

#[test]
fn values_of_reads_several_names_in_one_pass() {
    use hookspec::internal::values_of;
    let headers = [
        ("webhook-signature", "s"),
        ("Webhook-Id", "a"),
        ("host", "x"),
        ("webhook-id", "a"),
        ("webhook-timestamp", "1"),
        ("webhook-timestamp", "2"),
    ];
    let names = [
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "svix-id",
    ];
    assert_eq!(
        values_of(&headers, &names),
        [
            HeaderValue::One(b"a"),
            HeaderValue::Conflicting,
            HeaderValue::One(b"s"),
            HeaderValue::Absent,
        ]
    );
    let list: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(values_of(&list, &names), values_of(&headers, &names));
}

#[test]
fn tags_equal_sees_every_bit_of_every_word() {
    let base: [u8; 32] = std::array::from_fn(|i| i as u8);
    assert!(tags_equal(&base, &base));
    for byte in 0..32 {
        for bit in 0..8 {
            let mut other = base;
            other[byte] ^= 1 << bit;
            assert!(!tags_equal(&base, &other), "byte {byte} bit {bit}");
        }
    }
    // The same difference in two words must not cancel out.
    let mut twice = base;
    twice[0] ^= 1;
    twice[8] ^= 1;
    assert!(!tags_equal(&base, &twice));
    let mut all = base;
    for word in 0..4 {
        all[word * 8] ^= 0x80;
    }
    assert!(!tags_equal(&base, &all));
}
