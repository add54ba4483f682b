//! Verification cost of one delivery, at body sizes 64 B, 1 KiB, 16 KiB, 64 KiB and 1 MiB.
//!
//! Group `v1` (HMAC-SHA256), all verifying the same kind of delivery:
//! * `hookspec`: `Verifier::verify_at` on an `http::HeaderMap` (header lookup, id and
//!   timestamp grammar, freshness, signature list parsing, canonical base64 decode, HMAC,
//!   constant-time compare). The verifier keeps the keyed HMAC state from construction.
//! * `hmac-precomputed`: the HMAC alone, as cheap as it gets: an `Hmac<Sha256>` keyed once
//!   from the secret, cloned per iteration, fed `id`, `.`, `timestamp`, `.`, `body` and
//!   finalized. No header, no parsing, no decoding, no comparison: the ratio of `hookspec`
//!   to this column is everything the verifier adds to the one HMAC it must compute.
//! * `floor`: the least a receiver can do with `hmac` + `sha2` directly: key a fresh
//!   `Hmac<Sha256>` with the secret bytes, stream `id.timestamp.body`, base64-decode the
//!   signature (already split from `v1,`), and compare with `Mac::verify_slice` (constant
//!   time). No header lookup, no parsing, no freshness check.
//! * `standardwebhooks` 1.0.1 and `svix` 2.9.1: their `verify(payload, &HeaderMap)`. Neither
//!   takes an injected clock, so their delivery is signed with the current time just before
//!   each of their benchmarks (it stays fresh for the few seconds a benchmark runs).
//!
//! Group `v1a` (Ed25519): `hookspec` `Verifier::verify_at` against `raw`, which is
//! `ed25519_dalek::VerifyingKey::verify_strict` alone on a pre-assembled signed content and
//! a pre-decoded signature (the primitive, nothing else).
//!
//! Group `v1-steps`: the steps of one 64 B `v1` verification, each alone (header lookup,
//! id and timestamp grammar, signature entry decoding, as bytes by the general path and as
//! words by the fast path of the usual delivery, HMAC, comparison), on a map of the three
//! headers and on a realistic map of thirteen: the cost breakdown in the book.
//!
//! Run: `cargo bench -p hookspec-testkit --bench verify -- --warm-up-time 1
//! --measurement-time 3` (500 flat samples each; criterion extends the time where one
//! sample needs longer). Filter with a trailing `'v1/'`, `'v1-steps'` or `'v1a'`.

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use hmac::{KeyInit as _, Mac as _};
use hookspec::internal::unix_now;
use hookspec::{Secret, Signer, SigningKey, Verifier};
use http::HeaderMap;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SIZES: [(usize, &str); 5] = [
    (64, "64 B"),
    (1024, "1 KiB"),
    (16 * 1024, "16 KiB"),
    (64 * 1024, "64 KiB"),
    (1024 * 1024, "1 MiB"),
];

/// A JSON body of exactly `len` bytes (UTF-8, which `standardwebhooks` and `svix` require).
fn body(len: usize) -> Vec<u8> {
    let mut body = br#"{"d":""#.to_vec();
    body.resize(len - 2, b'x');
    body.extend_from_slice(br#""}"#);
    body
}

/// One signed delivery: its headers, and the parts the floor works on.
struct Delivery {
    headers: HeaderMap,
    timestamp: u64,
    timestamp_text: String,
    signature_b64: String,
}

fn deliver(signer: &Signer, body: &[u8], timestamp: u64) -> Delivery {
    let signature = signer.sign(ID, timestamp, body).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("webhook-id", ID.parse().unwrap());
    headers.insert("webhook-timestamp", timestamp.into());
    headers.insert("webhook-signature", signature.parse().unwrap());
    let signature_b64 = signature.split_once(',').unwrap().1.to_string();
    Delivery {
        headers,
        timestamp,
        timestamp_text: timestamp.to_string(),
        signature_b64,
    }
}

/// The floor: fresh HMAC key schedule, streamed content, decode, constant-time compare.
fn floor(key: &[u8], id: &[u8], timestamp: &[u8], body: &[u8], signature_b64: &[u8]) -> bool {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(id);
    mac.update(b".");
    mac.update(timestamp);
    mac.update(b".");
    mac.update(body);
    let mut tag = [0u8; 33];
    match STANDARD.decode_slice(signature_b64, &mut tag) {
        Ok(32) => mac.verify_slice(&tag[..32]).is_ok(),
        _ => false,
    }
}

/// The HMAC alone, with the key schedule done once (`keyed` is cloned, never re-keyed).
fn hmac_precomputed(
    keyed: &hmac::Hmac<sha2::Sha256>,
    id: &[u8],
    timestamp: &[u8],
    body: &[u8],
) -> [u8; 32] {
    let mut mac = keyed.clone();
    mac.update(id);
    mac.update(b".");
    mac.update(timestamp);
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// Many short samples of equal length: on a shared machine a sample that the scheduler
/// interrupts is an outlier, and the median of many ~1 ms samples stays clean where a few
/// long ones would all be hit.
fn short_samples(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(500);
}

/// hookspec's own verifier on a freshly signed delivery of `body`; returns the delivery.
fn bench_hookspec(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    label: &str,
    signer: &Signer,
    verifier: &Verifier,
    body: &[u8],
) -> Delivery {
    let d = deliver(signer, body, unix_now());
    assert!(verifier.verify_at(&d.headers, body, d.timestamp).is_ok());
    group.bench_with_input(BenchmarkId::new("hookspec", label), body, |b, body| {
        b.iter(|| {
            verifier
                .verify_at(black_box(&d.headers), black_box(body), d.timestamp)
                .is_ok()
        })
    });
    d
}

fn v1(c: &mut Criterion) {
    let secret = Secret::parse(SECRET).unwrap();
    let signer = Signer::new().with_secret(secret.clone());
    let verifier = Verifier::new().with_secret(secret.clone());
    let std_webhook = standardwebhooks::Webhook::new(SECRET).unwrap();
    let svix_webhook = svix::webhooks::Webhook::new(SECRET).unwrap();

    let mut group = c.benchmark_group("v1");
    short_samples(&mut group);
    for (size, label) in SIZES {
        let body = body(size);
        group.throughput(Throughput::Bytes(size as u64));

        let d = bench_hookspec(&mut group, label, &signer, &verifier, &body);

        let parts = (
            ID.as_bytes(),
            d.timestamp_text.as_bytes(),
            d.signature_b64.as_bytes(),
        );
        assert!(floor(secret.as_bytes(), parts.0, parts.1, &body, parts.2));
        group.bench_with_input(BenchmarkId::new("floor", label), &body, |b, body| {
            b.iter(|| {
                floor(
                    black_box(secret.as_bytes()),
                    black_box(parts.0),
                    black_box(parts.1),
                    black_box(body),
                    black_box(parts.2),
                )
            })
        });

        let keyed = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        let expected = STANDARD.decode(parts.2).unwrap();
        assert_eq!(
            hmac_precomputed(&keyed, parts.0, parts.1, &body)[..],
            expected[..]
        );
        group.bench_with_input(
            BenchmarkId::new("hmac-precomputed", label),
            &body,
            |b, body| {
                b.iter(|| {
                    hmac_precomputed(
                        black_box(&keyed),
                        black_box(parts.0),
                        black_box(parts.1),
                        black_box(body),
                    )
                })
            },
        );

        let d = deliver(&signer, &body, unix_now());
        assert!(std_webhook.verify(&body, &d.headers).is_ok());
        group.bench_with_input(
            BenchmarkId::new("standardwebhooks", label),
            &body,
            |b, body| {
                b.iter(|| {
                    std_webhook
                        .verify(black_box(body), black_box(&d.headers))
                        .is_ok()
                })
            },
        );

        let d = deliver(&signer, &body, unix_now());
        assert!(svix_webhook.verify(&body, &d.headers).is_ok());
        group.bench_with_input(BenchmarkId::new("svix", label), &body, |b, body| {
            b.iter(|| {
                svix_webhook
                    .verify(black_box(body), black_box(&d.headers))
                    .is_ok()
            })
        });
    }
    group.finish();
}

fn v1a(c: &mut Criterion) {
    let key = SigningKey::from_seed(&[42; 32]);
    let public = key.public_key();
    let signer = Signer::new().with_signing_key(key);
    let verifier = Verifier::new().with_public_key(public);
    let raw_key = ed25519_dalek::VerifyingKey::from_bytes(public.as_bytes()).unwrap();

    let mut group = c.benchmark_group("v1a");
    short_samples(&mut group);
    for (size, label) in SIZES {
        let body = body(size);
        group.throughput(Throughput::Bytes(size as u64));
        let d = bench_hookspec(&mut group, label, &signer, &verifier, &body);

        let message =
            hookspec::internal::signed_content(ID.as_bytes(), d.timestamp_text.as_bytes(), &body);
        let bytes: [u8; 64] = STANDARD
            .decode(&d.signature_b64)
            .unwrap()
            .try_into()
            .unwrap();
        let signature = ed25519_dalek::Signature::from_bytes(&bytes);
        assert!(raw_key.verify_strict(&message, &signature).is_ok());
        group.bench_with_input(BenchmarkId::new("raw", label), &message, |b, message| {
            b.iter(|| {
                raw_key
                    .verify_strict(black_box(message), black_box(&signature))
                    .is_ok()
            })
        });
    }
    group.finish();
}

/// A header map as a real receiver sees it: the three `webhook-*` headers among the usual
/// request headers (what a reverse proxy and an HTTP client add).
fn realistic_headers(d: &Delivery) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("host", "receiver.example"),
        (
            "user-agent",
            "Svix-Webhooks/1.60.0 (sender-AbCdE; +https://www.svix.com/http-sender/)",
        ),
        ("content-length", "64"),
        ("accept", "*/*"),
        ("accept-encoding", "gzip"),
        ("content-type", "application/json"),
        ("x-forwarded-for", "192.0.2.10"),
        ("x-forwarded-proto", "https"),
        ("x-request-id", "0f4c7c2e-1f0d-4d6b-9d55-8a3b1f6e2c11"),
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ),
    ] {
        headers.insert(name, value.parse().unwrap());
    }
    for (name, value) in &d.headers {
        headers.insert(name.clone(), value.clone());
    }
    headers
}

/// The steps of one 64 B `v1` verification, each alone, for the cost breakdown in the book.
/// Each runs on the same delivery as `v1/hookspec/64 B`.
fn v1_steps(c: &mut Criterion) {
    use hookspec::internal::{
        is_valid_id, leading_v1_words, parse_timestamp, signature_entries, single_value,
        tags_equal, values_of,
    };
    const NAMES: [&str; 3] = [
        hookspec::WEBHOOK_ID,
        hookspec::WEBHOOK_TIMESTAMP,
        hookspec::WEBHOOK_SIGNATURE,
    ];
    let secret = Secret::parse(SECRET).unwrap();
    let signer = Signer::new().with_secret(secret.clone());
    let verifier = Verifier::new().with_secret(secret.clone());
    let body = body(64);
    let d = deliver(&signer, &body, unix_now());
    let realistic = realistic_headers(&d);
    assert!(verifier.verify_at(&realistic, &body, d.timestamp).is_ok());
    let keyed = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    let signature_header = d.headers["webhook-signature"].as_bytes().to_vec();
    let tag = hmac_precomputed(&keyed, ID.as_bytes(), d.timestamp_text.as_bytes(), &body);

    let mut group = c.benchmark_group("v1-steps");
    short_samples(&mut group);
    for (label, headers) in [("3 headers", &d.headers), ("13 headers", &realistic)] {
        group.bench_function(BenchmarkId::new("verify", label), |b| {
            b.iter(|| {
                verifier
                    .verify_at(black_box(headers), black_box(&body), d.timestamp)
                    .is_ok()
            })
        });
        group.bench_function(BenchmarkId::new("lookup-per-name", label), |b| {
            b.iter(|| NAMES.map(|name| single_value(black_box(headers), name)))
        });
        group.bench_function(BenchmarkId::new("lookup-one-pass", label), |b| {
            b.iter(|| values_of(black_box(headers), &NAMES))
        });
    }
    group.bench_function("grammar-id-timestamp", |b| {
        b.iter(|| {
            is_valid_id(black_box(ID.as_bytes()))
                && parse_timestamp(black_box(d.timestamp_text.as_bytes())).is_some()
        })
    });
    group.bench_function("signature-entry-decode", |b| {
        b.iter(|| signature_entries(black_box(&signature_header)).next())
    });
    group.bench_function("signature-entry-words", |b| {
        b.iter(|| leading_v1_words(black_box(&signature_header)))
    });
    group.bench_function("hmac-precomputed", |b| {
        b.iter(|| {
            hmac_precomputed(
                black_box(&keyed),
                black_box(ID.as_bytes()),
                black_box(d.timestamp_text.as_bytes()),
                black_box(&body),
            )
        })
    });
    group.bench_function("tags-equal", |b| {
        b.iter(|| tags_equal(black_box(&tag), black_box(&tag)))
    });
    group.bench_function("id-to-string", |b| {
        b.iter(|| String::from_utf8(black_box(ID.as_bytes()).to_vec()).is_ok())
    });
    group.finish();
}

criterion_group!(benches, v1, v1_steps, v1a);
criterion_main!(benches);
