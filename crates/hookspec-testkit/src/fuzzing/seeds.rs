//! Seed corpora, built from the known-answer vectors and the conformance cases of the
//! Standard Webhooks research (V1, V2, V5, C01..C70). `fuzz/corpus/<target>/seed-*` files are
//! these bytes; the integration test `fuzzing::seed_corpus_is_current` keeps them in sync.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::delivery::{Delivery, Entry, Repeat, Tamper, Timestamp, Variant, VerifyCase};

/// One seed input.
#[derive(Debug, Clone)]
pub struct Seed {
    /// The fuzz target it belongs to.
    pub target: &'static str,
    /// A short name (the file is `seed-<name>`).
    pub name: String,
    /// The input bytes.
    pub data: Vec<u8>,
}

/// V1: the shared Standard Webhooks test secret (24 bytes).
pub const V1_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// V1 message id.
pub const V1_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
/// V1 timestamp.
pub const V1_TS: u64 = 1_614_265_330;
/// V1 body.
pub const V1_BODY: &str = r#"{"test": 2432232314}"#;
/// V1 signature.
pub const V1_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
/// V2 (the Rust libraries' vector): secret, id, timestamp, body, signature.
pub const V2: (&str, &str, u64, &str, &str) = (
    "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
    1_649_367_553,
    r#"{"email":"test@example.com","username":"test_user"}"#,
    "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
);
/// V5: the Svix server's Ed25519 vector (seed ‖ public key), over V1's id, timestamp, body.
pub const V5_SIGNING_KEY: &str =
    "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==";
/// V5 public key.
pub const V5_PUBLIC_KEY: &str = "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=";
/// V5 signature.
pub const V5_SIG: &str =
    "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==";
/// C64: V5 with `S + L`.
pub const V5_SIG_PLUS_L: &str =
    "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe4uSqIfPdj8uUcPkfU4/Y4udpXwVLPo3mNl8EM+m7TBEg==";

/// The key bytes of a `whsec_`/`whsk_` constant.
pub fn key_bytes(text: &str) -> Vec<u8> {
    let b64 = text.split_once('_').map_or(text, |(_, b64)| b64);
    STANDARD.decode(b64).expect("constants are base64")
}

const OTHER_SIG: &str = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";

fn signature_lists() -> Vec<(&'static str, String)> {
    let v = V1_SIG;
    let b64 = &V1_SIG[3..];
    vec![
        ("c01-valid", v.to_owned()),
        (
            "c29-library-list",
            format!("{OTHER_SIG} v2,{} {v} {OTHER_SIG}", &OTHER_SIG[3..]),
        ),
        ("c15-empty-sig", "v1,".to_owned()),
        ("c16-partial", "v1,g0hM9S".to_owned()),
        ("c17-no-version", b64.to_owned()),
        ("c19-upper-version", format!("V1,{b64}")),
        (
            "c21-trailing-bits",
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=".to_owned(),
        ),
        ("c22-unpadded", v.trim_end_matches('=').to_owned()),
        ("c23-url-safe", v.replace('+', "-").replace('/', "_")),
        ("c24-extra-comma", format!("{v},x")),
        ("c25-no-comma", "v1".to_owned()),
        ("c26-garbage-first", format!("garbage {v}")),
        ("c32-double-space", format!("v1,AAAA  {v}")),
        ("c31-v1a-and-v1", format!("{V5_SIG} {v}")),
        ("c64-s-plus-l", V5_SIG_PLUS_L.to_owned()),
        ("c11-spaces", "   ".to_owned()),
    ]
}

fn timestamps() -> Vec<(&'static str, &'static str)> {
    vec![
        ("v1", "1614265330"),
        ("c40-plus", "+1614265330"),
        ("c41-leading-zero", "01614265330"),
        ("c42-space", " 1614265330"),
        ("c43-fraction", "1614265330.9"),
        ("c44-exponent", "1.61426533e9"),
        ("c45-suffix", "1614265330abc"),
        ("c46-underscores", "1_614_265_330"),
        ("c47-full-width", "１６１４２６５３３０"),
        ("c48-i64-min", "-9223372036854775808"),
        ("c49-overflow", "99999999999999999999"),
        ("u64-max", "18446744073709551615"),
        ("u64-max-plus-1", "18446744073709551616"),
        ("c51-zero", "0"),
        ("id-v1", V1_ID),
        ("c52-id-dot", "msg_p5jX.N8AQM9LWM0D4loKWxJek"),
        ("c54-id-non-ascii", "msg_ü"),
    ]
}

fn key_texts() -> Vec<(String, Vec<u8>)> {
    let text = |s: &str| s.as_bytes().to_vec();
    let mut identity = vec![0u8; 32];
    identity[0] = 1;
    let mut seeds: Vec<(String, Vec<u8>)> = vec![
        ("v1-secret", text(V1_SECRET)),
        ("v2-secret-bare", text(&V2.0[6..])),
        ("v5-signing-key", text(V5_SIGNING_KEY)),
        ("v5-public-key", text(V5_PUBLIC_KEY)),
        ("c59-empty", text("")),
        ("c59-prefix-only", text("whsec_")),
        ("whpk-prefix-only", text("whpk_")),
        (
            "c60-23-bytes",
            text("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRY="),
        ),
        (
            "c61-64-bytes",
            text(&format!(
                "whsec_{}",
                STANDARD.encode((0u8..64).collect::<Vec<_>>())
            )),
        ),
        (
            "c61-65-bytes",
            text(&format!(
                "whsec_{}",
                STANDARD.encode((0u8..65).collect::<Vec<_>>())
            )),
        ),
        ("c62-misplaced", text(&format!("v1,{V1_SECRET}"))),
        (
            "c62-url-safe",
            text("whsec_C2FVsBQIhrscChlQIMV-b5sSYspob7oD"),
        ),
        ("py-unpadded", text("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS")),
        ("wrong-prefix", text(&format!("whpk_{}", &V1_SECRET[6..]))),
        ("raw-v5-public", key_bytes(V5_PUBLIC_KEY)),
        ("raw-v5-pair", key_bytes(V5_SIGNING_KEY)),
        ("raw-identity", identity),
    ]
    .into_iter()
    .map(|(name, data)| (name.to_owned(), data))
    .collect();
    // Every non-canonical point encoding: y = p + k (p = 2^255 - 19, k < 19), either sign.
    for k in 0u8..19 {
        for sign in [0u8, 0x80] {
            let mut encoding = vec![0xffu8; 32];
            encoding[0] = 0xed + k;
            encoding[31] = 0x7f | sign;
            seeds.push((
                format!("raw-non-canonical-y-p{k}-sign{}", sign >> 7),
                encoding,
            ));
        }
    }
    seeds
}

fn v1_case(delivery: Delivery) -> VerifyCase {
    VerifyCase {
        now: V1_TS,
        tolerance: None,
        decoys: 0,
        svix_aliases: true,
        delivery,
    }
}

fn v1_delivery() -> Delivery {
    Delivery::signed(
        &key_bytes(V1_SECRET),
        V1_ID.as_bytes(),
        Timestamp::Raw(V1_TS.to_string().into_bytes()),
        V1_BODY.as_bytes(),
    )
}

fn with<F: FnOnce(&mut Delivery)>(mut delivery: Delivery, change: F) -> Delivery {
    change(&mut delivery);
    delivery
}

fn decorated(prefix: &str, suffix: &str) -> Timestamp {
    Timestamp::Decorated {
        prefix: prefix.as_bytes().to_vec(),
        skew: 0,
        suffix: suffix.as_bytes().to_vec(),
    }
}

const VARIANTS: [(&str, Variant); 9] = [
    ("truncated", Variant::Truncated(3)),
    ("flip-text-bit", Variant::FlipTextBit(100)),
    ("flip-signature-bit", Variant::FlipSignatureBit(0)),
    ("unpadded", Variant::Unpadded),
    ("url-safe", Variant::UrlSafe),
    ("trailing-bits", Variant::TrailingBits),
    ("extra-comma", Variant::ExtraComma),
    ("upper-version", Variant::UpperVersion),
    ("malleated", Variant::Malleated),
];

/// Deliveries shared by the `v1` verify and differential seeds (timestamps relative to now).
fn deliveries(base: &Delivery) -> Vec<(&'static str, Delivery)> {
    let raw = |s: &str| Entry::Raw(s.as_bytes().to_vec());
    let mut out = vec![
        ("c01-valid", base.clone()),
        ("c04-empty-body", with(base.clone(), |d| d.body.clear())),
        (
            "c58-non-utf8-body",
            with(base.clone(), |d| d.body = b"\xff\xfe{\"a\":1}".to_vec()),
        ),
        (
            "c56-tampered-body",
            with(base.clone(), |d| d.tamper = Tamper::Body(7)),
        ),
        (
            "c38-tampered-ts",
            with(base.clone(), |d| d.tamper = Tamper::Timestamp(0)),
        ),
        (
            "c55-tampered-id",
            with(base.clone(), |d| d.tamper = Tamper::Id(9)),
        ),
        (
            "c26-garbage-first",
            with(base.clone(), |d| {
                d.entries = vec![raw("garbage"), Entry::Signed]
            }),
        ),
        (
            "c29-rotation-list",
            with(base.clone(), |d| {
                d.entries = vec![
                    Entry::OtherKey,
                    raw("v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="),
                    Entry::Signed,
                    Entry::OtherKey,
                ]
            }),
        ),
        (
            "c31-other-scheme-first",
            with(base.clone(), |d| {
                d.entries = vec![Entry::OtherScheme, Entry::Signed]
            }),
        ),
        (
            "c32-double-space",
            with(base.clone(), |d| {
                d.entries = vec![raw("v1,AAAA"), raw(""), Entry::Signed]
            }),
        ),
        (
            "c30-none-valid",
            with(base.clone(), |d| {
                d.entries = vec![Entry::OtherKey, Entry::OtherScheme]
            }),
        ),
        (
            "c11-empty-list",
            with(base.clone(), |d| d.entries = vec![raw("  ")]),
        ),
        (
            "obs-text-entry",
            with(base.clone(), |d| {
                d.entries = vec![raw("v1,\u{ff}"), Entry::Signed]
            }),
        ),
        (
            "c40-plus",
            with(base.clone(), |d| d.timestamp = decorated("+", "")),
        ),
        (
            "c40b-plus-plain-signature",
            with(base.clone(), |d| {
                d.timestamp = decorated("+", "");
                d.entries = vec![Entry::SignedPlainTimestamp];
            }),
        ),
        (
            "c41-leading-zero",
            with(base.clone(), |d| d.timestamp = decorated("0", "")),
        ),
        (
            "c41b-leading-zero-plain-signature",
            with(base.clone(), |d| {
                d.timestamp = decorated("0", "");
                d.entries = vec![Entry::SignedPlainTimestamp];
            }),
        ),
        (
            "c42-space",
            with(base.clone(), |d| d.timestamp = decorated(" ", "")),
        ),
        (
            "c43-fraction",
            with(base.clone(), |d| d.timestamp = decorated("", ".9")),
        ),
        (
            "c48-i64-min",
            with(base.clone(), |d| {
                d.timestamp = Timestamp::Raw(b"-9223372036854775808".to_vec())
            }),
        ),
        (
            "c35-too-old",
            with(base.clone(), |d| d.timestamp = Timestamp::Skew(-305)),
        ),
        (
            "c36-too-new",
            with(base.clone(), |d| d.timestamp = Timestamp::Skew(305)),
        ),
        (
            "c37-edge",
            with(base.clone(), |d| d.timestamp = Timestamp::Skew(-300)),
        ),
        ("c10-empty-id", with(base.clone(), |d| d.id.clear())),
        (
            "c52-id-dot",
            with(base.clone(), |d| d.id = b"msg_p5jX.N8AQ".to_vec()),
        ),
        (
            "id-tab",
            with(base.clone(), |d| d.id = b"msg\tp5jX".to_vec()),
        ),
        ("c06-upper-names", with(base.clone(), |d| d.upper = 7)),
        (
            "c12-svix-names",
            with(base.clone(), |d| d.svix_names = true),
        ),
        (
            "svix-mixed",
            with(base.clone(), |d| {
                d.repeats = vec![Repeat {
                    header: 3,
                    value: Some(b"msg_other".to_vec()),
                }]
            }),
        ),
        (
            "svix-mixed-reverse",
            with(base.clone(), |d| {
                d.tamper = Tamper::Id(9);
                d.repeats = vec![Repeat {
                    header: 3,
                    value: Some(V1_ID.as_bytes().to_vec()),
                }]
            }),
        ),
        (
            "identical-repeat",
            with(base.clone(), |d| {
                d.repeats = vec![Repeat {
                    header: 2,
                    value: None,
                }]
            }),
        ),
        (
            "c70-conflicting-repeat",
            with(base.clone(), |d| {
                d.repeats = vec![Repeat {
                    header: 0,
                    value: Some(b"msg_2".to_vec()),
                }]
            }),
        ),
        (
            "c61-64-byte-key",
            with(base.clone(), |d| d.key = (0u8..64).collect()),
        ),
    ];
    for (name, variant) in VARIANTS {
        out.push((
            name,
            with(base.clone(), |d| d.entries = vec![Entry::Variant(variant)]),
        ));
    }
    out
}

fn verify_v1_cases() -> Vec<(&'static str, VerifyCase)> {
    let mut cases: Vec<(&'static str, VerifyCase)> = vec![
        ("v1-known-answer", v1_case(v1_delivery())),
        (
            "v2-known-answer",
            VerifyCase {
                now: V2.2,
                ..v1_case(Delivery::signed(
                    &key_bytes(V2.0),
                    V2.1.as_bytes(),
                    Timestamp::Raw(V2.2.to_string().into_bytes()),
                    V2.3.as_bytes(),
                ))
            },
        ),
        (
            "rotation-decoys",
            VerifyCase {
                decoys: 3,
                ..v1_case(v1_delivery())
            },
        ),
        (
            "svix-names-no-aliases",
            VerifyCase {
                svix_aliases: false,
                ..v1_case(with(v1_delivery(), |d| d.svix_names = true))
            },
        ),
        (
            "near-u64-max",
            VerifyCase {
                now: u64::MAX - 10,
                tolerance: Some(u64::MAX),
                ..v1_case(with(v1_delivery(), |d| d.timestamp = Timestamp::Skew(5)))
            },
        ),
        (
            "now-zero",
            VerifyCase {
                now: 0,
                ..v1_case(with(v1_delivery(), |d| d.timestamp = Timestamp::Skew(1)))
            },
        ),
    ];
    let relative = with(v1_delivery(), |d| d.timestamp = Timestamp::Skew(0));
    cases.extend(
        deliveries(&relative)
            .into_iter()
            .map(|(name, d)| (name, v1_case(d))),
    );
    cases
}

fn verify_v1a_cases() -> Vec<(&'static str, VerifyCase)> {
    let seed = key_bytes(V5_SIGNING_KEY)[..32].to_vec();
    let base = with(v1_delivery(), |d| d.key = seed);
    let mut cases = vec![
        ("v5-known-answer", v1_case(base.clone())),
        (
            "c64-s-plus-l",
            v1_case(with(base.clone(), |d| {
                d.entries = vec![Entry::Variant(Variant::Malleated)]
            })),
        ),
        (
            "c31-v1-first",
            v1_case(with(base.clone(), |d| {
                d.entries = vec![Entry::OtherScheme, Entry::Signed]
            })),
        ),
        (
            "rotation-decoys",
            VerifyCase {
                decoys: 2,
                ..v1_case(base.clone())
            },
        ),
    ];
    for (name, variant) in VARIANTS {
        cases.push((
            name,
            v1_case(with(base.clone(), |d| {
                d.entries = vec![Entry::OtherKey, Entry::Variant(variant)]
            })),
        ));
    }
    for (name, tamper) in [
        ("tampered-body", Tamper::Body(3)),
        ("tampered-id", Tamper::Id(3)),
        ("tampered-ts", Tamper::Timestamp(3)),
    ] {
        cases.push((name, v1_case(with(base.clone(), |d| d.tamper = tamper))));
    }
    cases
}

fn differential_cases() -> Vec<(&'static str, super::differential::DiffCase)> {
    use super::differential::{DiffCase, SecretForm};
    let base = with(v1_delivery(), |d| d.timestamp = Timestamp::Skew(0));
    let mut cases: Vec<(&'static str, DiffCase)> = deliveries(&base)
        .into_iter()
        .map(|(name, delivery)| {
            (
                name,
                DiffCase {
                    secret: SecretForm::Prefixed,
                    delivery,
                },
            )
        })
        .collect();
    let raw_secret = |name, text: &str| {
        (
            name,
            DiffCase {
                secret: SecretForm::Raw(text.as_bytes().to_vec()),
                delivery: base.clone(),
            },
        )
    };
    cases.extend([
        (
            "bare-secret",
            DiffCase {
                secret: SecretForm::Bare,
                delivery: base.clone(),
            },
        ),
        raw_secret("c59-empty-secret", ""),
        raw_secret("c59-prefix-only", "whsec_"),
        raw_secret(
            "c60-23-byte-secret",
            "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRY=",
        ),
        raw_secret(
            "c62-url-safe-secret",
            "whsec_C2FVsBQIhrscChlQIMV-b5sSYspob7oD",
        ),
        raw_secret("py-unpadded-secret", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"),
    ]);
    cases
}

/// Every seed, for every target.
pub fn all() -> Vec<Seed> {
    let mut seeds = Vec::new();
    for (name, text) in signature_lists() {
        seeds.push(Seed {
            target: "signature_list",
            name: name.to_owned(),
            data: text.into_bytes(),
        });
    }
    for (name, text) in timestamps() {
        seeds.push(Seed {
            target: "timestamp",
            name: name.to_owned(),
            data: text.as_bytes().to_vec(),
        });
    }
    for (name, data) in key_texts() {
        seeds.push(Seed {
            target: "keys",
            name,
            data,
        });
    }
    for (name, case) in verify_v1_cases() {
        seeds.push(Seed {
            target: "verify_v1",
            name: name.to_owned(),
            data: case.encode(),
        });
    }
    for (name, case) in verify_v1a_cases() {
        seeds.push(Seed {
            target: "verify_v1a",
            name: name.to_owned(),
            data: case.encode(),
        });
    }
    for (name, case) in differential_cases() {
        seeds.push(Seed {
            target: "differential",
            name: name.to_owned(),
            data: case.encode(),
        });
    }
    seeds
}
