//! The fuzz targets' checks under proptest (stable `cargo test`), the seed corpora, and
//! regression inputs found by fuzzing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use hookspec_testkit::fuzzing::delivery::{
    Delivery, Entry, Repeat, Tamper, Timestamp, Variant, VerifyCase,
};
use hookspec_testkit::fuzzing::differential::{ALLOW_LIST, DiffCase, SecretForm, compare};
use hookspec_testkit::fuzzing::seeds;
use hookspec_testkit::fuzzing::{self as targets};
use proptest::prelude::*;

#[path = "../../../../fuzz/src/lib.rs"]
mod peers;

// ---------------------------------------------------------------------------------------
// Strategies

fn b64_entry() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 32).prop_map(|b| format!("v1,{}", STANDARD.encode(b))),
        prop::collection::vec(any::<u8>(), 64).prop_map(|b| format!("v1a,{}", STANDARD.encode(b))),
        ("(v1|v1a|v2|V1|)", prop::collection::vec(any::<u8>(), 0..70))
            .prop_map(|(v, b)| format!("{v},{}", URL_SAFE.encode(b))),
        "(v1|v1a),[A-Za-z0-9+/=,_-]{0,90}",
        "[ -~]{0,20}",
    ]
}

fn signature_header() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (prop::collection::vec(b64_entry(), 0..5), "( |  )")
            .prop_map(|(entries, sep)| entries.join(&sep).into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..120),
    ]
}

fn timestamp_text() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string().into_bytes()),
        "[+-]?0*[0-9]{0,21}".prop_map(String::into_bytes),
        "[0-9+\\- ._eE\u{ff10}-\u{ff19}]{0,22}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..24),
    ]
}

fn key_text() -> impl Strategy<Value = Vec<u8>> {
    let prefix = "(|whsec_|whsk_|whpk_|v1,whsec_|whsec_whsec_)";
    let material = prop::collection::vec(any::<u8>(), 0..80);
    prop_oneof![
        (prefix, material.clone(), 0..4u8).prop_map(|(p, bytes, form)| {
            let b64 = match form {
                0 => STANDARD.encode(&bytes),
                1 => STANDARD.encode(&bytes).trim_end_matches('=').to_owned(),
                2 => URL_SAFE.encode(&bytes),
                _ => format!(" {}", STANDARD.encode(&bytes)),
            };
            format!("{p}{b64}").into_bytes()
        }),
        prop::collection::vec(any::<u8>(), 0..70),
        prop::collection::vec(any::<u8>(), 32),
    ]
}

fn variant() -> impl Strategy<Value = Variant> {
    prop_oneof![
        any::<u8>().prop_map(Variant::Truncated),
        any::<u16>().prop_map(Variant::FlipTextBit),
        any::<u16>().prop_map(Variant::FlipSignatureBit),
        Just(Variant::Unpadded),
        Just(Variant::UrlSafe),
        Just(Variant::TrailingBits),
        Just(Variant::ExtraComma),
        Just(Variant::UpperVersion),
        Just(Variant::Malleated),
    ]
}

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        4 => Just(Entry::Signed),
        1 => Just(Entry::SignedPlainTimestamp),
        3 => variant().prop_map(Entry::Variant),
        1 => Just(Entry::OtherKey),
        1 => Just(Entry::OtherScheme),
        1 => b64_entry().prop_map(|e| Entry::Raw(e.into_bytes())),
    ]
}

fn delivery_timestamp() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        4 => (-400i32..400).prop_map(Timestamp::Skew),
        1 => any::<i32>().prop_map(Timestamp::Skew),
        2 => ("(|\\+|0|00| |-|\t)", -10i32..10, "(|\\.9|abc| |e0)").prop_map(|(p, skew, s)| {
            Timestamp::Decorated { prefix: p.into_bytes(), skew, suffix: s.into_bytes() }
        }),
        1 => timestamp_text().prop_map(Timestamp::Raw),
    ]
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        6 => Just(Tamper::None),
        1 => any::<u16>().prop_map(Tamper::Id),
        1 => any::<u16>().prop_map(Tamper::Timestamp),
        1 => any::<u16>().prop_map(Tamper::Body),
    ]
}

fn repeat() -> impl Strategy<Value = Repeat> {
    (
        0..6u8,
        prop::option::of(prop_oneof![
            Just(b"msg_2".to_vec()),
            "[ -~]{0,8}".prop_map(String::into_bytes)
        ]),
    )
        .prop_map(|(header, value)| Repeat { header, value })
}

fn delivery() -> impl Strategy<Value = Delivery> {
    let id = prop_oneof![
        4 => Just(seeds::V1_ID.as_bytes().to_vec()),
        2 => "[!-~]{1,12}".prop_map(String::into_bytes),
        1 => "[ -~\t]{0,6}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..6),
    ];
    let body = prop_oneof![
        3 => Just(seeds::V1_BODY.as_bytes().to_vec()),
        2 => "\\PC{0,16}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..32),
    ];
    (
        prop::collection::vec(any::<u8>(), 0..70),
        id,
        delivery_timestamp(),
        body,
        prop::collection::vec(entry(), 0..5),
        tamper(),
        prop::bool::weighted(0.15),
        prop_oneof![3 => Just(0u8), 1 => 0..8u8],
        prop_oneof![4 => Just(vec![]), 1 => prop::collection::vec(repeat(), 1..3)],
    )
        .prop_map(
            |(key, id, timestamp, body, entries, tamper, svix_names, upper, repeats)| Delivery {
                key,
                id,
                timestamp,
                body,
                entries,
                tamper,
                svix_names,
                upper,
                repeats,
            },
        )
}

fn verify_case() -> impl Strategy<Value = VerifyCase> {
    (
        prop_oneof![4 => Just(seeds::V1_TS), 1 => any::<u64>(), 1 => Just(u64::MAX - 100)],
        prop_oneof![3 => Just(None), 1 => prop::option::of(any::<u64>())],
        0..4u8,
        prop::bool::weighted(0.8),
        delivery(),
    )
        .prop_map(
            |(now, tolerance, decoys, svix_aliases, delivery)| VerifyCase {
                now,
                tolerance,
                decoys,
                svix_aliases,
                delivery,
            },
        )
}

fn diff_case() -> impl Strategy<Value = DiffCase> {
    let secret = prop_oneof![
        6 => Just(SecretForm::Prefixed),
        2 => Just(SecretForm::Bare),
        1 => key_text().prop_map(SecretForm::Raw),
    ];
    (secret, delivery()).prop_map(|(secret, delivery)| DiffCase { secret, delivery })
}

// ---------------------------------------------------------------------------------------
// The fuzz targets under proptest

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn signature_list(header in signature_header()) {
        targets::signature_list(&header);
    }

    #[test]
    fn timestamp(text in timestamp_text()) {
        targets::timestamp(&text);
    }

    #[test]
    fn keys(text in key_text()) {
        targets::keys(&text);
    }

    #[test]
    fn verify_v1(case in verify_case()) {
        hookspec_testkit::fuzzing::delivery::check(hookspec::Scheme::V1, &case);
        prop_assert_eq!(VerifyCase::decode(&case.encode()), case);
    }
}

proptest! {
    // Ed25519 in a debug build costs milliseconds per signature.
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn verify_v1a(case in verify_case()) {
        hookspec_testkit::fuzzing::delivery::check(hookspec::Scheme::V1a, &case);
    }

    #[test]
    fn differential(case in diff_case()) {
        compare(&case, &peers::ALL);
        prop_assert_eq!(DiffCase::decode(&case.encode()), case);
    }
}

#[test]
fn raw_bytes_decode_to_cases() {
    // The structured targets accept any bytes (what the fuzzer feeds them).
    for data in [
        &b""[..],
        b"\xff",
        &[0xffu8; 300],
        b"0123456789abcdef0123456789",
    ] {
        targets::verify_v1(data);
        targets::verify_v1a(data);
        targets::differential(data, &peers::ALL);
    }
}

// ---------------------------------------------------------------------------------------
// Seeds and the allow-list

fn corpus_dir() -> PathBuf {
    Path::new(root!()).join("fuzz/corpus")
}

fn run_target(target: &str, data: &[u8]) {
    match target {
        "signature_list" => targets::signature_list(data),
        "timestamp" => targets::timestamp(data),
        "keys" => targets::keys(data),
        "verify_v1" => targets::verify_v1(data),
        "verify_v1a" => targets::verify_v1a(data),
        "differential" => targets::differential(data, &peers::ALL),
        other => panic!("unknown target {other}"),
    }
}

#[test]
fn every_seed_passes_its_target() {
    for seed in seeds::all() {
        run_target(seed.target, &seed.data);
    }
}

/// `fuzz/corpus/<target>/seed-<name>` are exactly [`seeds::all`]. Regenerate with
/// `HOOKSPEC_WRITE_SEEDS=1 cargo test --test it seed_corpus`.
#[test]
fn seed_corpus_is_current() {
    let write = std::env::var_os("HOOKSPEC_WRITE_SEEDS").is_some();
    let expected = seeds::all();
    let names: BTreeSet<PathBuf> = expected
        .iter()
        .map(|s| corpus_dir().join(s.target).join(format!("seed-{}", s.name)))
        .collect();
    assert_eq!(names.len(), expected.len(), "duplicate seed names");
    for seed in &expected {
        let path = corpus_dir()
            .join(seed.target)
            .join(format!("seed-{}", seed.name));
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &seed.data).unwrap();
        } else {
            let on_disk = std::fs::read(&path).unwrap_or_default();
            assert!(
                on_disk == seed.data,
                "{} is stale; regenerate (see doc comment)",
                path.display()
            );
        }
    }
    // No stale seed files either (fuzzer-found inputs are not named seed-*).
    for target in std::fs::read_dir(corpus_dir()).unwrap() {
        for file in std::fs::read_dir(target.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let is_seed = path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("seed-");
            if is_seed && !names.contains(&path) {
                assert!(write, "{} is no longer a seed", path.display());
                std::fs::remove_file(path).unwrap();
            }
        }
    }
}

fn diff_seed(name: &str) -> DiffCase {
    let seed = seeds::all()
        .into_iter()
        .find(|s| s.target == "differential" && s.name == name)
        .unwrap_or_else(|| panic!("no differential seed {name}"));
    DiffCase::decode(&seed.data)
}

fn classes(name: &str) -> BTreeSet<(&'static str, &'static str)> {
    compare(&diff_seed(name), &peers::ALL)
        .into_iter()
        .map(|e| (e.peer, e.class))
        .collect()
}

#[test]
fn differential_seeds_show_the_documented_divergences() {
    let sw = "standardwebhooks";
    let svix = "svix";
    let set =
        |items: &[(&'static str, &'static str)]| items.iter().copied().collect::<BTreeSet<_>>();
    assert_eq!(classes("c01-valid"), set(&[]));
    // A signature over the decorated text matches nobody's signed content.
    assert_eq!(classes("c40-plus"), set(&[]));
    assert_eq!(classes("bare-secret"), set(&[]));
    assert_eq!(classes("c61-64-byte-key"), set(&[]));
    for both in [
        ("c58-non-utf8-body", "non_utf8_body"),
        ("c40b-plus-plain-signature", "lenient_timestamp"),
        ("c41b-leading-zero-plain-signature", "lenient_timestamp"),
        ("c10-empty-id", "lenient_id"),
        ("c52-id-dot", "lenient_id"),
        ("id-tab", "lenient_id"),
        ("c70-conflicting-repeat", "conflicting_repeated_header"),
        ("obs-text-entry", "non_ascii_header_value"),
    ] {
        assert_eq!(
            classes(both.0),
            set(&[(sw, both.1), (svix, both.1)]),
            "{}",
            both.0
        );
    }
    // svix rejects i64::MIN as before 1970; standardwebhooks overflows.
    assert_eq!(
        classes("c48-i64-min"),
        set(&[(sw, "i64_timestamp_overflow")])
    );
    assert_eq!(
        classes("c12-svix-names"),
        set(&[(sw, "svix_aliases_unsupported")])
    );
    assert_eq!(classes("svix-mixed"), set(&[(svix, "svix_alias_mixing")]));
    assert_eq!(
        classes("svix-mixed-reverse"),
        set(&[(svix, "svix_alias_mixing")])
    );
    assert_eq!(classes("c59-empty-secret"), set(&[(sw, "empty_secret")]));
    assert_eq!(classes("c59-prefix-only"), set(&[(sw, "empty_secret")]));
    // Out-of-range lengths are hookspec's configuration policy, not a verification
    // difference: the differential verifies with `LengthPolicy::AnyNonEmpty`.
    assert_eq!(classes("c60-23-byte-secret"), set(&[]));
}

#[test]
fn every_allow_list_entry_is_exercised_and_reasoned() {
    let mut hit = BTreeSet::new();
    for seed in seeds::all()
        .into_iter()
        .filter(|s| s.target == "differential")
    {
        for e in compare(&DiffCase::decode(&seed.data), &peers::ALL) {
            hit.insert(e.class);
        }
    }
    for entry in ALLOW_LIST {
        assert!(
            hit.contains(entry.class),
            "no seed exercises {}",
            entry.class
        );
        assert!(entry.why.len() > 80, "{} needs a reason", entry.class);
    }
}

#[test]
fn seeded_known_answers_sign_as_published() {
    use hookspec_testkit::fuzzing::delivery::Keys;
    let v1 = Keys::derive(hookspec::Scheme::V1, &seeds::key_bytes(seeds::V1_SECRET), 0);
    let ts = seeds::V1_TS.to_string();
    let body = seeds::V1_BODY.as_bytes();
    assert_eq!(
        v1.entry(seeds::V1_ID.as_bytes(), ts.as_bytes(), body),
        seeds::V1_SIG
    );
    let seed = &seeds::key_bytes(seeds::V5_SIGNING_KEY)[..32];
    let v1a = Keys::derive(hookspec::Scheme::V1a, seed, 0);
    assert_eq!(
        v1a.entry(seeds::V1_ID.as_bytes(), ts.as_bytes(), body),
        seeds::V5_SIG
    );
}

// ---------------------------------------------------------------------------------------
// Regressions: inputs that broke a target's invariant, fixed in the library.

/// `keys`: `whpk_` alone (and `PublicKey::from_bytes(&[])`) returned `invalid_key_length`
/// where `whsec_` and `whsk_` alone return `empty_key`.
#[test]
fn regression_whpk_prefix_alone_is_an_empty_key() {
    use hookspec::{KeyError, PublicKey};
    assert_eq!(PublicKey::parse("whpk_"), Err(KeyError::Empty));
    assert_eq!(PublicKey::from_bytes(&[]), Err(KeyError::Empty));
    targets::keys(b"whpk_");
    targets::keys(b"");
}

/// `keys`: the non-canonical encoding y = p + 3 of the point with y = 3 was accepted as a
/// `whpk_` key, giving one key two texts (RFC 8032 5.1.3: decoding fails for y >= p).
#[test]
fn regression_non_canonical_public_key_is_rejected() {
    use hookspec::{KeyError, PublicKey};
    let mut encoding = [0xffu8; 32];
    encoding[0] = 0xf0;
    encoding[31] = 0x7f;
    assert_eq!(
        PublicKey::from_bytes(&encoding),
        Err(KeyError::InvalidPublicKey)
    );
    let text = format!("whpk_{}", STANDARD.encode(encoding));
    assert_eq!(PublicKey::parse(&text), Err(KeyError::InvalidPublicKey));
    // The canonical encoding of the same point (y = 3) is a valid key.
    let mut canonical = [0u8; 32];
    canonical[0] = 3;
    assert!(PublicKey::from_bytes(&canonical).is_ok());
    targets::keys(&encoding);
    targets::keys(text.as_bytes());
}

/// Which allow-list classes a fuzzing campaign's differential corpus reaches:
/// `cargo test --test it differential_corpus_census -- --ignored --nocapture` after
/// `fuzz/run.sh differential N` (reads `fuzz/target/corpus/differential`).
#[test]
#[ignore = "reads a local fuzzing corpus; run by hand after a campaign"]
fn differential_corpus_census() {
    let dir = Path::new(root!()).join("fuzz/target/corpus/differential");
    let mut counts = std::collections::BTreeMap::new();
    let mut inputs = 0;
    for file in std::fs::read_dir(&dir).expect("run a differential campaign first") {
        let data = std::fs::read(file.unwrap().path()).unwrap();
        inputs += 1;
        for e in compare(&DiffCase::decode(&data), &peers::ALL) {
            *counts.entry((e.class, e.peer)).or_insert(0) += 1;
        }
    }
    println!("{inputs} corpus inputs");
    for ((class, peer), n) in counts {
        println!("{class:32} {peer:18} {n}");
    }
}
