//! The stateless verifier cases C01..C65 (and C70 at library level) of the conformance
//! catalogue, reference section (e): one named test per case, asserting the exact outcome and
//! the exact stable error code. Clock pinned to `N = 1614265330`; literal signatures are
//! checked against hookspec's own signer before they are used.
//!
//! Where the catalogue says IMPL or "strict", the expectation is hookspec's strict profile
//! (README, "The strict profile"). C66..C69 need an HTTP endpoint and state (dedup, status
//! codes); they belong to the endpoint checker, not to the verifier.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hookspec::internal::{Malformed, SignatureEntry, entry_v1, signature_entries};
use hookspec::{
    ErrorCode, KeyError, LengthPolicy, PublicKey, Scheme, Secret, SigningKey, Verifier, VerifyError,
};

use crate::fixtures::*;

/// Verifies `(I, ts, sig)` with body `B` against `K` at `N`.
fn verify_ts_sig(ts: &[u8], sig: &[u8]) -> Result<hookspec::Verified, VerifyError> {
    verifier().verify_at(&headers(I.as_bytes(), ts, sig), B, N)
}

/// Verifies `(I, N, sig)` with body `B` against `K` at `N`.
fn verify_sig(sig: &str) -> Result<hookspec::Verified, VerifyError> {
    verify_ts_sig(N_TEXT.as_bytes(), sig.as_bytes())
}

/// `S(id, ts, body)` under `K`, for arbitrary bytes.
fn s(id: &[u8], ts: &[u8], body: &[u8]) -> String {
    entry_v1(&k(), id, ts, body)
}

/// The error for a list whose only entries are skipped ones.
fn unsupported(unknown: usize, malformed: usize, unusable: usize) -> VerifyError {
    VerifyError::NoSupportedSignature {
        entries: unknown + malformed + unusable,
        unknown,
        malformed,
        unusable,
    }
}

/// Asserts `text` parses to exactly one entry, malformed for `why`.
#[track_caller]
fn single_malformed(text: &str, why: Malformed) {
    let entries: Vec<_> = signature_entries(text.as_bytes()).collect();
    assert_eq!(entries, vec![SignatureEntry::Malformed(why)], "{text:?}");
}

#[test]
fn c01_v1_exact_accepted() {
    let ok = accepted(verify_sig(V1_SIG));
    assert_eq!(ok.id, I);
    assert_eq!(ok.timestamp, N);
    assert_eq!(ok.matched.scheme, Scheme::V1);
}

#[test]
fn c02_v2_accepted_at_its_clock() {
    let hdrs = headers(V2_ID.as_bytes(), b"1649367553", V2_SIG.as_bytes());
    let v = Verifier::new().with_secret(k2());
    accepted(v.verify_at(&hdrs, V2_BODY, V2_TS));
    // The same delivery is a year ahead of the V1 clock, and long stale at V2 + 1 h.
    rejected(v.verify_at(&hdrs, V2_BODY, N), "timestamp_too_new");
    rejected(
        v.verify_at(&hdrs, V2_BODY, V2_TS + 3600),
        "timestamp_too_old",
    );
}

#[test]
fn c03_one_mebibyte_body_accepted() {
    let body = vec![b'a'; 1 << 20];
    let sig = "v1,txpEUxqWZJ5nteTnymUVa+7C4NHpBeXJ6CsBAW0c3/A=";
    accepted(verifier().verify_at(
        &headers(I.as_bytes(), N_TEXT.as_bytes(), sig.as_bytes()),
        &body,
        N,
    ));
}

#[test]
fn c04_empty_body_accepted() {
    let sig = "v1,v48jdbgvh29KJz2Qc+ghw8G6vG3nAKnujWBg8oM/62A=";
    assert_eq!(s(I.as_bytes(), N_TEXT.as_bytes(), b""), sig);
    let hdrs = headers(I.as_bytes(), N_TEXT.as_bytes(), sig.as_bytes());
    accepted(verifier().verify_at(&hdrs, b"", N));
    rejected(verifier().verify_at(&hdrs, B, N), "no_matching_signature");
}

#[test]
fn c05_secret_without_prefix_accepted() {
    let bare = Secret::parse(K.trim_start_matches("whsec_")).unwrap();
    assert_eq!(bare, k());
    let hdrs = headers(I.as_bytes(), N_TEXT.as_bytes(), V1_SIG.as_bytes());
    accepted(Verifier::new().with_secret(bare).verify_at(&hdrs, B, N));
}

#[test]
fn c06_header_names_case_insensitive() {
    let hdrs = [
        ("Webhook-Id", I),
        ("WEBHOOK-TIMESTAMP", N_TEXT),
        ("webhook-SIGNATURE", V1_SIG),
    ];
    accepted(verifier().verify_at(&hdrs, B, N));

    // The same through `http::HeaderMap`, the type web frameworks hand over.
    let mut map = http::HeaderMap::new();
    map.insert("Webhook-Id", I.parse().unwrap());
    map.insert("WEBHOOK-TIMESTAMP", N_TEXT.parse().unwrap());
    map.insert("webhook-SIGNATURE", V1_SIG.parse().unwrap());
    accepted(verifier().verify_at(&map, B, N));
}

#[test]
fn c07_missing_id_rejected() {
    let hdrs = [("webhook-timestamp", N_TEXT), ("webhook-signature", V1_SIG)];
    rejected(verifier().verify_at(&hdrs, B, N), "missing_id");
}

#[test]
fn c08_missing_timestamp_rejected() {
    let hdrs = [("webhook-id", I), ("webhook-signature", V1_SIG)];
    rejected(verifier().verify_at(&hdrs, B, N), "missing_timestamp");
}

#[test]
fn c09_missing_signature_rejected() {
    let hdrs = [("webhook-id", I), ("webhook-timestamp", N_TEXT)];
    rejected(verifier().verify_at(&hdrs, B, N), "missing_signature");
}

#[test]
fn c10_empty_id_rejected_even_with_valid_mac() {
    let sig = "v1,BbrBopkxy1IaPTmLxhGOIjtynRWNh3UqphKDPFaJ1cU=";
    assert_eq!(
        s(b"", N_TEXT.as_bytes(), B),
        sig,
        "literal is the MAC over `.N.B`"
    );
    let hdrs = headers(b"", N_TEXT.as_bytes(), sig.as_bytes());
    rejected(verifier().verify_at(&hdrs, B, N), "invalid_id");
}

#[test]
fn c11_empty_and_blank_signature_rejected() {
    for sig in ["", "   "] {
        let e = rejected(verify_sig(sig), "missing_signature");
        assert_eq!(e, VerifyError::MissingSignature, "{sig:?}");
    }
}

#[test]
fn c12_svix_aliases_accepted_by_default_and_can_be_disabled() {
    // IMPL: hookspec reads `svix-*` when no `webhook-*` header is present.
    let svix = [
        ("svix-id", I),
        ("svix-timestamp", N_TEXT),
        ("svix-signature", V1_SIG),
    ];
    let ok = accepted(verifier().verify_at(&svix, B, N));
    assert!(ok.svix_aliases);
    // Pure Standard Webhooks: aliases off, so the `webhook-id` is missing.
    rejected(
        verifier().svix_aliases(false).verify_at(&svix, B, N),
        "missing_id",
    );
    // Never mixed per header: one `webhook-*` header selects the `webhook-*` set.
    let mixed = [
        ("svix-id", I),
        ("webhook-timestamp", N_TEXT),
        ("webhook-signature", V1_SIG),
    ];
    rejected(verifier().verify_at(&mixed, B, N), "missing_id");
}

#[test]
fn c13_tampered_signature_rejected() {
    let e = rejected(
        verify_sig("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="),
        "no_matching_signature",
    );
    assert_eq!(e, VerifyError::NoMatchingSignature { tried: 1 });
}

#[test]
fn c14_wrong_key_rejected() {
    let sig = "v1,78nXHjpFP0tVJQW5D0SBwmVyyW87BV/rL6MgfM/Bw44=";
    // The literal is this delivery signed with the V2 secret.
    assert_eq!(entry_v1(&k2(), I.as_bytes(), N_TEXT.as_bytes(), B), sig);
    rejected(verify_sig(sig), "no_matching_signature");
    let hdrs = headers(I.as_bytes(), N_TEXT.as_bytes(), sig.as_bytes());
    accepted(Verifier::new().with_secret(k2()).verify_at(&hdrs, B, N));
}

#[test]
fn c15_empty_v1_entry_rejected() {
    single_malformed("v1,", Malformed::WrongLength);
    let e = rejected(verify_sig("v1,"), "no_supported_signature");
    assert_eq!(e, unsupported(0, 1, 0));
}

#[test]
fn c16_signature_prefix_rejected() {
    single_malformed("v1,g0hM9S", Malformed::BadBase64);
    let e = rejected(verify_sig("v1,g0hM9S"), "no_supported_signature");
    assert_eq!(e, unsupported(0, 1, 0));
}

#[test]
fn c17_entry_without_version_rejected() {
    single_malformed(V1_B64, Malformed::NoComma);
    let e = rejected(verify_sig(V1_B64), "no_supported_signature");
    assert_eq!(e, unsupported(0, 1, 0));
}

#[test]
fn c18_unknown_version_only_rejected() {
    let e = rejected(
        verify_sig(&format!("v2,{V1_B64}")),
        "no_supported_signature",
    );
    assert_eq!(e, unsupported(1, 0, 0));
}

#[test]
fn c19_version_is_case_sensitive() {
    let e = rejected(
        verify_sig(&format!("V1,{V1_B64}")),
        "no_supported_signature",
    );
    assert_eq!(e, unsupported(1, 0, 0));
}

#[test]
fn c20_v1a_entry_to_hmac_only_receiver_rejected() {
    // A 32-byte value under `v1a` is the wrong length for Ed25519: malformed, skipped.
    let sig = format!("v1a,{V1_B64}");
    single_malformed(&sig, Malformed::WrongLength);
    let e = rejected(verify_sig(&sig), "no_supported_signature");
    assert_eq!(e, unsupported(0, 1, 0));
}

#[test]
fn c21_non_canonical_base64_rejected() {
    let sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=";
    // Same bytes as V1 under a lenient decoder; strict decoding refuses the padding bits.
    single_malformed(sig, Malformed::BadBase64);
    let e = rejected(verify_sig(sig), "no_supported_signature");
    assert_eq!(e, unsupported(0, 1, 0));
}

#[test]
fn c22_unpadded_base64_rejected() {
    let sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE";
    single_malformed(sig, Malformed::BadBase64);
    rejected(verify_sig(sig), "no_supported_signature");
}

#[test]
fn c23_url_safe_base64_rejected() {
    let sig = "v1,g0hM9SsE-OTPJTGt_tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    single_malformed(sig, Malformed::BadBase64);
    rejected(verify_sig(sig), "no_supported_signature");
}

#[test]
fn c24_extra_comma_rejected() {
    let sig = format!("{V1_SIG},x");
    single_malformed(&sig, Malformed::ExtraComma);
    let e = rejected(verify_sig(&sig), "no_supported_signature");
    assert_eq!(e, unsupported(0, 1, 0));
}

#[test]
fn c25_entry_without_comma_rejected() {
    single_malformed("v1", Malformed::NoComma);
    rejected(verify_sig("v1"), "no_supported_signature");
}

#[test]
fn c26_garbage_then_valid_accepted() {
    let ok = accepted(verify_sig(&format!("garbage {V1_SIG}")));
    assert_eq!(ok.matched.entry_index, 1);
}

#[test]
fn c27_old_key_first_then_valid_accepted() {
    let sig = format!("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {V1_SIG}");
    let ok = accepted(verify_sig(&sig));
    assert_eq!(ok.matched.entry_index, 1);
}

#[test]
fn c28_valid_then_junk_accepted() {
    let sig = format!(
        "{V1_SIG} v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1,R3PTzyfHASBKHH98a7yexTwaJ4yNIcGhFQc1yuN+BPU="
    );
    let ok = accepted(verify_sig(&sig));
    assert_eq!(ok.matched.entry_index, 0);
}

#[test]
fn c29_library_list_valid_third_of_four_accepted() {
    let junk = "Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
    let sig = format!("v1,{junk} v2,{junk} {V1_SIG} v1,{junk}");
    let ok = accepted(verify_sig(&sig));
    assert_eq!(ok.matched.entry_index, 2);
}

#[test]
fn c30_junk_list_only_rejected() {
    let sig = "v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ= v1,Mm7xgUVICxZfQ3bgf0h0Dof65L/IFx+PnZvnDWPCX6Q= v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE=";
    let e = rejected(verify_sig(sig), "no_matching_signature");
    assert_eq!(e, VerifyError::NoMatchingSignature { tried: 3 });
}

#[test]
fn c31_v1a_then_v1_to_hmac_receiver_accepted() {
    let ok = accepted(verify_sig(&format!("{V5_SIG} {V1_SIG}")));
    assert_eq!(ok.matched.scheme, Scheme::V1);
    assert_eq!(ok.matched.entry_index, 1);
}

#[test]
fn c32_double_space_accepted() {
    let ok = accepted(verify_sig(&format!("v1,AAAA  {V1_SIG}")));
    // Empty entries are not counted: `v1,AAAA` is entry 0.
    assert_eq!(ok.matched.entry_index, 1);
}

#[test]
fn c33_receiver_side_rotation_accepted() {
    let v = Verifier::new().with_secret(k2()).with_secret(k());
    let hdrs = headers(I.as_bytes(), N_TEXT.as_bytes(), V1_SIG.as_bytes());
    let ok = accepted(v.verify_at(&hdrs, B, N));
    assert_eq!(
        ok.matched.key_index, 1,
        "the old key (added second) matched"
    );
}

/// Re-signs `(I, ts, B)` under `K` and verifies at `N`.
fn resigned(ts: u64) -> Result<hookspec::Verified, VerifyError> {
    let ts_text = ts.to_string();
    let sig = s(I.as_bytes(), ts_text.as_bytes(), B);
    verifier().verify_at(
        &headers(I.as_bytes(), ts_text.as_bytes(), sig.as_bytes()),
        B,
        N,
    )
}

#[test]
fn c34_inside_tolerance_accepted() {
    assert_eq!(accepted(resigned(N - 295)).timestamp, N - 295);
    assert_eq!(accepted(resigned(N + 295)).timestamp, N + 295);
}

#[test]
fn c35_too_old_rejected() {
    let e = rejected(resigned(N - 305), "timestamp_too_old");
    assert_eq!(
        e,
        VerifyError::TimestampTooOld {
            age: 305,
            tolerance: 300
        }
    );
}

#[test]
fn c36_too_new_rejected() {
    let e = rejected(resigned(N + 305), "timestamp_too_new");
    assert_eq!(
        e,
        VerifyError::TimestampTooNew {
            ahead: 305,
            tolerance: 300
        }
    );
}

#[test]
fn c37_exact_tolerance_edges_accepted() {
    // IMPL: hookspec uses whole seconds and accepts exactly `T` away, both ways.
    accepted(resigned(N - 300));
    accepted(resigned(N + 300));
    rejected(resigned(N - 301), "timestamp_too_old");
    rejected(resigned(N + 301), "timestamp_too_new");
    // A custom tolerance moves the edge.
    let v = verifier().tolerance(Duration::from_secs(10));
    let ts = (N - 10).to_string();
    let sig = s(I.as_bytes(), ts.as_bytes(), B);
    let hdrs = headers(I.as_bytes(), ts.as_bytes(), sig.as_bytes());
    accepted(v.verify_at(&hdrs, B, N));
    rejected(v.verify_at(&hdrs, B, N + 1), "timestamp_too_old");
}

#[test]
fn c38_tampered_timestamp_rejected() {
    rejected(
        verify_ts_sig(b"1614265331", V1_SIG.as_bytes()),
        "no_matching_signature",
    );
}

#[test]
fn c39_non_numeric_timestamps_rejected() {
    for ts in ["hello", "", "nan", "inf", "NaN", "-inf"] {
        rejected(
            verify_ts_sig(ts.as_bytes(), V1_SIG.as_bytes()),
            "invalid_timestamp",
        );
    }
}

/// A timestamp text that must be rejected both with a MAC over the raw text (`raw_sig`, which
/// must match hookspec's signer) and with the V1 signature over the canonical `N`.
#[track_caller]
fn bad_ts_both_ways(ts: &str, raw_sig: &str) {
    assert_eq!(
        s(I.as_bytes(), ts.as_bytes(), B),
        raw_sig,
        "literal is the MAC over the raw timestamp text"
    );
    rejected(
        verify_ts_sig(ts.as_bytes(), raw_sig.as_bytes()),
        "invalid_timestamp",
    );
    rejected(
        verify_ts_sig(ts.as_bytes(), V1_SIG.as_bytes()),
        "invalid_timestamp",
    );
}

#[test]
fn c40_plus_sign_timestamp_rejected() {
    bad_ts_both_ways(
        "+1614265330",
        "v1,JQsSpSSK1m9NI2FueDRZN3FL/jU9336idQcq6VmF+c8=",
    );
}

#[test]
fn c41_leading_zero_timestamp_rejected() {
    bad_ts_both_ways(
        "01614265330",
        "v1,HIx6LAZYyqSIVlrnt3IQyW4sH3DpS7I7MvDYauyP37k=",
    );
}

#[test]
fn c42_leading_space_timestamp_rejected() {
    // The library sees header values as received; trimming is the HTTP layer's job.
    bad_ts_both_ways(
        " 1614265330",
        "v1,ROfCFnlPtGjD7sooi5b7LBekXx2HRhyeqeQohAawic8=",
    );
}

#[test]
fn c43_fractional_timestamp_rejected() {
    rejected(
        verify_ts_sig(b"1614265330.9", V1_SIG.as_bytes()),
        "invalid_timestamp",
    );
}

#[test]
fn c44_exponent_timestamp_rejected() {
    rejected(
        verify_ts_sig(b"1.61426533e9", V1_SIG.as_bytes()),
        "invalid_timestamp",
    );
}

#[test]
fn c45_trailing_garbage_timestamp_rejected() {
    rejected(
        verify_ts_sig(b"1614265330abc", V1_SIG.as_bytes()),
        "invalid_timestamp",
    );
}

#[test]
fn c46_underscore_timestamp_rejected() {
    rejected(
        verify_ts_sig(b"1_614_265_330", V1_SIG.as_bytes()),
        "invalid_timestamp",
    );
}

#[test]
fn c47_non_ascii_digits_rejected() {
    let full_width: String = N_TEXT
        .chars()
        .map(|c| char::from_u32(0xFF10 + c.to_digit(10).unwrap()).unwrap())
        .collect();
    let arabic_indic: String = N_TEXT
        .chars()
        .map(|c| char::from_u32(0x0660 + c.to_digit(10).unwrap()).unwrap())
        .collect();
    assert!(full_width.starts_with('１'));
    for ts in [full_width, arabic_indic] {
        rejected(
            verify_ts_sig(ts.as_bytes(), V1_SIG.as_bytes()),
            "invalid_timestamp",
        );
    }
}

#[test]
fn c48_i64_min_timestamp_rejected_without_panic() {
    let ts = "-9223372036854775808";
    rejected(
        verify_ts_sig(ts.as_bytes(), V1_SIG.as_bytes()),
        "invalid_timestamp",
    );
    // Also with a MAC over the raw text, and with the largest tolerance.
    let sig = s(I.as_bytes(), ts.as_bytes(), B);
    let hdrs = headers(I.as_bytes(), ts.as_bytes(), sig.as_bytes());
    rejected(
        verifier().tolerance(Duration::MAX).verify_at(&hdrs, B, N),
        "invalid_timestamp",
    );
}

#[test]
fn c49_overflowing_timestamp_rejected_without_panic() {
    for ts in ["99999999999999999999", "18446744073709551616"] {
        rejected(
            verify_ts_sig(ts.as_bytes(), V1_SIG.as_bytes()),
            "invalid_timestamp",
        );
    }
    // `u64::MAX` parses, and the freshness arithmetic saturates instead of wrapping.
    let max = u64::MAX.to_string();
    let e = rejected(
        verify_ts_sig(max.as_bytes(), V1_SIG.as_bytes()),
        "timestamp_too_new",
    );
    assert_eq!(
        e,
        VerifyError::TimestampTooNew {
            ahead: u64::MAX - N,
            tolerance: 300
        }
    );
    // And at the far end of the clock, with the largest tolerance, nothing overflows.
    let sig = s(I.as_bytes(), max.as_bytes(), B);
    let hdrs = headers(I.as_bytes(), max.as_bytes(), sig.as_bytes());
    accepted(verifier().verify_at(&hdrs, B, u64::MAX));
    accepted(verifier().tolerance(Duration::MAX).verify_at(&hdrs, B, 1));
}

#[test]
fn c50_millisecond_timestamp_rejected() {
    let e = rejected(resigned(N * 1000), "timestamp_too_new");
    assert!(matches!(e, VerifyError::TimestampTooNew { ahead, .. } if ahead == N * 1000 - N));
}

#[test]
fn c51_zero_and_negative_timestamps_rejected_with_any_tolerance() {
    let v = verifier().tolerance(Duration::MAX);
    for ts in ["0", "-1"] {
        let sig = s(I.as_bytes(), ts.as_bytes(), B);
        let hdrs = headers(I.as_bytes(), ts.as_bytes(), sig.as_bytes());
        rejected(v.verify_at(&hdrs, B, N), "invalid_timestamp");
        rejected(v.verify_at(&hdrs, B, 0), "invalid_timestamp");
    }
    // The signer refuses to produce a timestamp-0 delivery at all.
    assert_eq!(
        hookspec::Signer::new()
            .with_secret(k())
            .sign(I, 0, B)
            .unwrap_err()
            .code(),
        "invalid_timestamp"
    );
}

#[test]
fn c52_id_with_full_stop_rejected() {
    // IMPL; strict REJECT (a `.` lets the id/timestamp boundary shift).
    let id = "msg_p5jX.N8AQM9LWM0D4loKWxJek";
    let sig = "v1,a0DwPpW0001QhtGv4VXO21ii0IAGKy0j8okbbgoOzWQ=";
    assert_eq!(s(id.as_bytes(), N_TEXT.as_bytes(), B), sig);
    let hdrs = headers(id.as_bytes(), N_TEXT.as_bytes(), sig.as_bytes());
    rejected(verifier().verify_at(&hdrs, B, N), "invalid_id");
}

#[test]
fn c53_boundary_shift_only_through_the_body() {
    let sig = "v1,I2mG+dYTFY2+qEc/LQf+G8TrDxroRvbqN/es5p4wBe8=";
    let body = br#"1614265330.{"test": 2432232314}"#;
    // The same MAC covers two different readings of one byte string.
    assert_eq!(s(b"msg_x", b"1614265400", body), sig);
    assert_eq!(s(b"msg_x.1614265400", N_TEXT.as_bytes(), B), sig);
    // Read as id `msg_x`, ts 1614265400: the MAC verifies (the body is opaque bytes to the
    // verifier; the application must still refuse a body that is not its JSON).
    let hdrs = headers(b"msg_x", b"1614265400", sig.as_bytes());
    let ok = accepted(verifier().verify_at(&hdrs, body, N));
    assert_eq!((ok.id.as_str(), ok.timestamp), ("msg_x", 1_614_265_400));
    // Read the other way, the strict id grammar refuses the shifted id.
    let shifted = headers(b"msg_x.1614265400", N_TEXT.as_bytes(), sig.as_bytes());
    rejected(verifier().verify_at(&shifted, B, N), "invalid_id");
}

#[test]
fn c54_non_ascii_id_rejected() {
    // IMPL; strict: the id is visible ASCII only.
    let id = "msg_ü";
    let sig = "v1,uJnb9OjzZqRXW6oa4LEohbzJADPTfPH///NAbfpbGXQ=";
    assert_eq!(s(id.as_bytes(), N_TEXT.as_bytes(), B), sig);
    let hdrs = headers(id.as_bytes(), N_TEXT.as_bytes(), sig.as_bytes());
    rejected(verifier().verify_at(&hdrs, B, N), "invalid_id");
}

#[test]
fn c55_different_id_rejected() {
    let hdrs = headers(
        b"msg_p5jXN8AQM9LWM0D4loKWxJel",
        N_TEXT.as_bytes(),
        V1_SIG.as_bytes(),
    );
    rejected(verifier().verify_at(&hdrs, B, N), "no_matching_signature");
}

#[test]
fn c56_trailing_newline_changes_the_body() {
    let body = br#"{"test": 2432232314}
"#;
    let own = "v1,FIt3hYjPQCdyuyMOw+0dZwwjGRAx1Il4CsgdFnOmrcc=";
    assert_eq!(s(I.as_bytes(), N_TEXT.as_bytes(), body), own);
    let with_v1 = headers(I.as_bytes(), N_TEXT.as_bytes(), V1_SIG.as_bytes());
    rejected(
        verifier().verify_at(&with_v1, body, N),
        "no_matching_signature",
    );
    let with_own = headers(I.as_bytes(), N_TEXT.as_bytes(), own.as_bytes());
    accepted(verifier().verify_at(&with_own, body, N));
}

#[test]
fn c57_reserialized_body_rejected() {
    let hdrs = headers(I.as_bytes(), N_TEXT.as_bytes(), V1_SIG.as_bytes());
    rejected(
        verifier().verify_at(&hdrs, br#"{"test":2432232314}"#, N),
        "no_matching_signature",
    );
}

#[test]
fn c58_non_utf8_body_accepted_byte_exact() {
    // IMPL; hookspec verifies raw bytes, UTF-8 not required.
    let body = b"\xFF\xFE{\"a\":1}";
    let sig = "v1,8ob4FFWsEmw6j0gFb7riE4CWFeEe485rX7jxlsdL7lg=";
    assert_eq!(s(I.as_bytes(), N_TEXT.as_bytes(), body), sig);
    let hdrs = headers(I.as_bytes(), N_TEXT.as_bytes(), sig.as_bytes());
    accepted(verifier().verify_at(&hdrs, body, N));
    rejected(
        verifier().verify_at(&hdrs, b"\xFF\xFD{\"a\":1}", N),
        "no_matching_signature",
    );
}

/// The error code of a key that failed to parse.
#[track_caller]
fn key_code<T: std::fmt::Debug>(result: Result<T, KeyError>) -> &'static str {
    result.expect_err("expected a configuration error").code()
}

#[test]
fn c59_empty_secret_is_a_config_error() {
    assert_eq!(key_code(Secret::parse("")), "empty_key");
    assert_eq!(key_code(Secret::parse("whsec_")), "empty_key");
    assert_eq!(key_code(Secret::from_bytes(&[])), "empty_key");
    assert_eq!(
        key_code(Secret::from_bytes_with(&[], LengthPolicy::AnyNonEmpty)),
        "empty_key"
    );
    // A verifier with no key at all refuses everything.
    let hdrs = headers(I.as_bytes(), N_TEXT.as_bytes(), V1_SIG.as_bytes());
    rejected(Verifier::new().verify_at(&hdrs, B, N), "no_keys_configured");
}

#[test]
fn c60_short_secret_is_a_strict_config_error() {
    let text = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRY=";
    let bytes: Vec<u8> = (0..23).collect();
    assert_eq!(STANDARD.encode(&bytes), &text[6..]);
    assert_eq!(
        Secret::parse(text).unwrap_err(),
        KeyError::SecretTooShort { len: 23 }
    );
    assert_eq!(key_code(Secret::parse(text)), "secret_too_short");
    // Opting out is explicit, and then the key is used as given (never padded).
    let lax = Secret::parse_with(text, LengthPolicy::AnyNonEmpty).unwrap();
    assert_eq!(lax.as_bytes(), &bytes[..]);
}

#[test]
fn c61_sixty_four_byte_secret_accepted_sixty_five_refused() {
    let bytes: Vec<u8> = (0..64).collect();
    let text = Secret::from_bytes(&bytes).unwrap().to_whsec();
    assert!(text.starts_with("whsec_AAECAwQF") && text.ends_with("PD0+Pw=="));
    let secret = Secret::parse(&text).unwrap();
    let sig = "v1,LZ5zuwHTqQH3VM8ERUusjzVQq1FXzemvpR8Mk7Ivp5c=";
    assert_eq!(entry_v1(&secret, I.as_bytes(), N_TEXT.as_bytes(), B), sig);
    let hdrs = headers(I.as_bytes(), N_TEXT.as_bytes(), sig.as_bytes());
    accepted(Verifier::new().with_secret(secret).verify_at(&hdrs, B, N));

    let long: Vec<u8> = (0..65).collect();
    let long_text = format!("whsec_{}", STANDARD.encode(&long));
    assert_eq!(
        Secret::parse(&long_text).unwrap_err(),
        KeyError::SecretTooLong { len: 65 }
    );
    assert_eq!(key_code(Secret::from_bytes(&long)), "secret_too_long");
}

#[test]
fn c62_malformed_secret_text_is_a_config_error() {
    // URL-safe alphabet (the V2 secret contains a `+`).
    let url_safe = V2_SECRET.replace('+', "-");
    assert_eq!(key_code(Secret::parse(&url_safe)), "invalid_key_base64");
    // Junk characters, whitespace, missing padding: lenient decoders derive another key.
    for text in [
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa!w",
        "whsec_MfKQ9r8GKYqrTwjUPD8IL PZIo2LaLaSw",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw ",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr",
        "whsec_%",
    ] {
        assert_eq!(
            key_code(Secret::parse(text)),
            "invalid_key_base64",
            "{text:?}"
        );
    }
    // A signature prefix pasted in front of the secret (standard-webhooks #235).
    assert_eq!(
        key_code(Secret::parse(&format!("v1,{K}"))),
        "misplaced_key_prefix"
    );
    // Keys of another kind.
    assert_eq!(key_code(Secret::parse(V5_WHPK)), "wrong_key_prefix");
    assert_eq!(key_code(Secret::parse(V5_WHSK)), "wrong_key_prefix");
    assert_eq!(key_code(PublicKey::parse(K)), "wrong_key_prefix");
    assert_eq!(
        key_code(SigningKey::parse("whsk_6Xb/dCcHpPea21PS1N9VY/NZW723")),
        "invalid_key_length"
    );
}

#[test]
fn c63_v1a_with_trusted_public_key_accepted() {
    let hdrs = headers(I.as_bytes(), N_TEXT.as_bytes(), V5_SIG.as_bytes());
    let ok = accepted(
        Verifier::new()
            .with_public_key(v5_public_key())
            .verify_at(&hdrs, B, N),
    );
    assert_eq!(ok.matched.scheme, Scheme::V1a);
    // A receiver holding both kinds of key matches the v1a entry with the public key.
    let both = Verifier::new()
        .with_secret(k())
        .with_public_key(v5_public_key());
    assert_eq!(
        accepted(both.verify_at(&hdrs, B, N)).matched.scheme,
        Scheme::V1a
    );
}

/// Adds the Ed25519 group order `L` to the scalar half `S` (bytes 32..64, little-endian).
fn add_group_order(signature: &mut [u8]) {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for (byte, l) in signature[32..].iter_mut().zip(L) {
        let sum = u16::from(*byte) + u16::from(l) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "S + L must still fit in 32 bytes");
}

#[test]
fn c64_malleated_v1a_signature_rejected() {
    let sig = "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe4uSqIfPdj8uUcPkfU4/Y4udpXwVLPo3mNl8EM+m7TBEg==";
    // The literal is V5 with S replaced by S + L.
    let mut bytes = STANDARD.decode(&V5_SIG[4..]).unwrap();
    add_group_order(&mut bytes);
    assert_eq!(format!("v1a,{}", STANDARD.encode(&bytes)), sig);
    let hdrs = headers(I.as_bytes(), N_TEXT.as_bytes(), sig.as_bytes());
    let e = rejected(
        Verifier::new()
            .with_public_key(v5_public_key())
            .verify_at(&hdrs, B, N),
        "no_matching_signature",
    );
    assert_eq!(e, VerifyError::NoMatchingSignature { tried: 1 });
}

#[test]
fn c65_public_key_from_request_header_ignored() {
    let other = SigningKey::from_seed(&[7; 32]).public_key();
    let hdrs = [
        ("webhook-id", I),
        ("webhook-timestamp", N_TEXT),
        ("webhook-signature", V5_SIG),
        ("webhook-public-key", V5_WHPK),
        ("x-webhook-public-key", V5_WHPK),
    ];
    rejected(
        Verifier::new()
            .with_public_key(other)
            .verify_at(&hdrs, B, N),
        "no_matching_signature",
    );
    // An HMAC-only receiver has no key for the v1a entry at all.
    let e = rejected(verifier().verify_at(&hdrs, B, N), "no_supported_signature");
    assert_eq!(e, unsupported(0, 0, 1));
}

#[test]
fn c70_conflicting_headers_rejected() {
    // Strict: different values of one header are rejected, whichever header it is.
    let conflicting_id = [
        ("webhook-id", I),
        ("Webhook-Id", "msg_other"),
        ("webhook-timestamp", N_TEXT),
        ("webhook-signature", V1_SIG),
    ];
    let e = rejected(
        verifier().verify_at(&conflicting_id, B, N),
        "conflicting_headers",
    );
    assert_eq!(
        e,
        VerifyError::ConflictingHeaders {
            header: "webhook-id"
        }
    );

    let conflicting_ts = [
        ("webhook-id", I),
        ("webhook-timestamp", N_TEXT),
        ("webhook-timestamp", "1614265331"),
        ("webhook-signature", V1_SIG),
    ];
    let e = rejected(
        verifier().verify_at(&conflicting_ts, B, N),
        "conflicting_headers",
    );
    assert_eq!(
        e,
        VerifyError::ConflictingHeaders {
            header: "webhook-timestamp"
        }
    );

    // Junk signature field, then the valid one: also conflicting (which did the sender mean?).
    let two_sigs = [
        ("webhook-id", I),
        ("webhook-timestamp", N_TEXT),
        ("webhook-signature", "v1,junk"),
        ("webhook-signature", V1_SIG),
    ];
    let e = rejected(verifier().verify_at(&two_sigs, B, N), "conflicting_headers");
    assert_eq!(
        e,
        VerifyError::ConflictingHeaders {
            header: "webhook-signature"
        }
    );

    // Byte-identical repeats count as one.
    let repeated = [
        ("webhook-id", I),
        ("webhook-id", I),
        ("webhook-timestamp", N_TEXT),
        ("webhook-signature", V1_SIG),
        ("WEBHOOK-SIGNATURE", V1_SIG),
    ];
    accepted(verifier().verify_at(&repeated, B, N));
}
