//! Constant-time evidence: a dudect-style harness (Reparaz, Balasch, Verbauwhede, "Dude, is
//! my code constant time?", 2017) and the timing classes it runs (not a stable API).
//!
//! Two input classes are measured interleaved in a random order, and Welch's t-test asks
//! whether their timing distributions have different means. As in dudect, the test is also
//! run on measurements cropped at a series of percentiles (which removes the long tail of
//! preemptions on a shared machine), and the largest |t| is reported. |t| above 4.5 is the
//! usual threshold for "the classes are distinguishable" (a leak).
//!
//! [`cases`] holds the class pairs for hookspec's verifier, plus a deliberately leaky
//! comparator (an early-exit byte loop) that shows the harness can fail. `benches/ct.rs`
//! prints the table; `tests/it/ct.rs` asserts that the leaky comparator is detected.
//! The wall clock is not read here: only `Instant`, a monotonic timer.

use std::hint::black_box;
use std::time::Instant;

use subtle::ConstantTimeEq as _;

use crate::fuzzing::seeds::{V1_BODY, V1_ID, V1_SECRET, V1_TS, V5_SIGNING_KEY};
use hookspec::internal::tag_v1;
use hookspec::{PublicKey, Scheme, Secret, Signer, SigningKey, Verifier};

/// The |t| above which two classes count as distinguishable.
pub const THRESHOLD: f64 = 4.5;

/// Running mean and variance of one class (Welford's algorithm).
#[derive(Debug, Clone, Copy, Default)]
pub struct Moments {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    /// Adds one measurement.
    pub fn push(&mut self, x: f64) {
        self.n += 1.0;
        let delta = x - self.mean;
        self.mean += delta / self.n;
        self.m2 += delta * (x - self.mean);
    }

    /// The number of measurements.
    pub fn count(&self) -> usize {
        self.n as usize
    }

    /// The mean.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The sample variance (0 with fewer than two measurements).
    pub fn variance(&self) -> f64 {
        if self.n < 2.0 {
            0.0
        } else {
            self.m2 / (self.n - 1.0)
        }
    }
}

/// Welch's t statistic for the difference of two means (0 when undefined).
pub fn welch_t(a: &Moments, b: &Moments) -> f64 {
    if a.n < 2.0 || b.n < 2.0 {
        return 0.0;
    }
    let se = (a.variance() / a.n + b.variance() / b.n).sqrt();
    if se == 0.0 {
        return 0.0;
    }
    (a.mean - b.mean) / se
}

/// The result of one class pair.
#[derive(Debug, Clone)]
pub struct Report {
    /// The largest |t| over the uncropped and cropped tests.
    pub max_t: f64,
    /// Measurements taken (both classes, after warm-up).
    pub measurements: usize,
    /// Mean time of each class in nanoseconds (uncropped).
    pub mean_ns: [f64; 2],
    /// Median time of each class in nanoseconds.
    pub median_ns: [f64; 2],
}

impl Report {
    /// Whether the classes are distinguishable (|t| above [`THRESHOLD`]).
    pub fn leaks(&self) -> bool {
        self.max_t > THRESHOLD
    }
}

/// A small deterministic generator for the class order (xorshift64*).
struct ClassOrder(u64);

impl ClassOrder {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 63) as usize
    }
}

/// Number of percentile crops (dudect uses 100; 20 keeps the report cheap).
const CROPS: usize = 20;

/// An operation measured in two input classes.
pub trait Operation {
    /// Puts the input of `class` (0 or 1) in place; not timed. Both classes' inputs occupy
    /// the same memory, so only their content differs: two copies at different addresses
    /// can differ in timing by themselves (cache placement), which would look like a leak.
    fn prepare(&mut self, class: usize);
    /// The timed operation on the prepared input.
    fn run(&mut self);
}

/// Measures `op` `measurements` times with classes 0 and 1 interleaved in a random order
/// (fixed by `seed`), after a warm-up of 1/10 as many, and runs the t-tests.
pub fn measure(measurements: usize, seed: u64, op: &mut dyn Operation) -> Report {
    let mut order = ClassOrder(seed | 1);
    for _ in 0..measurements / 10 {
        op.prepare(order.next());
        op.run();
    }
    let mut samples: Vec<(usize, f64)> = Vec::with_capacity(measurements);
    for _ in 0..measurements {
        let class = order.next();
        op.prepare(class);
        let start = Instant::now();
        op.run();
        let elapsed = start.elapsed();
        samples.push((class, elapsed.as_nanos() as f64));
    }
    let mut sorted: Vec<f64> = samples.iter().map(|s| s.1).collect();
    sorted.sort_by(f64::total_cmp);
    let thresholds = (0..CROPS).map(|k| {
        let p = 1.0 - 0.5f64.powf(10.0 * (k as f64 + 1.0) / CROPS as f64);
        sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
    });
    let t_below = |limit: f64| {
        let mut m = [Moments::default(); 2];
        for &(class, x) in samples.iter().filter(|s| s.1 <= limit) {
            m[class].push(x);
        }
        (welch_t(&m[0], &m[1]).abs(), m)
    };
    let (raw_t, raw) = t_below(f64::INFINITY);
    let max_t = thresholds.map(|l| t_below(l).0).fold(raw_t, f64::max);
    let median = |class: usize| {
        let mut xs: Vec<f64> = samples
            .iter()
            .filter(|s| s.0 == class)
            .map(|s| s.1)
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.get(xs.len() / 2).copied().unwrap_or(0.0)
    };
    Report {
        max_t,
        measurements,
        mean_ns: [raw[0].mean(), raw[1].mean()],
        median_ns: [median(0), median(1)],
    }
}

/// The comparator hookspec must not be: returns at the first differing byte, so its time
/// tells how long the matching prefix is. `black_box` keeps the loop a byte loop.
pub fn leaky_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    for i in 0..a.len() {
        if black_box(a[i]) != black_box(b[i]) {
            return false;
        }
    }
    true
}

/// One class pair.
pub struct Case {
    /// A short name.
    pub name: &'static str,
    /// What the two classes are.
    pub classes: &'static str,
    /// Whether the classes differ only in how much of a secret-derived value they match
    /// (a difference would be a leak). When `false`, they differ only in public data, and a
    /// timing difference is expected and harmless: a length, or an Ed25519 signature (v1a
    /// verification handles only public values, and ed25519-dalek's verification equation
    /// is variable-time by design).
    pub secret_dependent: bool,
    /// The measured operation.
    pub op: Box<dyn Operation>,
}

/// `bytes` with `byte` xor-ed by `mask`.
fn with_flip(bytes: &[u8], byte: usize, mask: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[byte] ^= mask;
    out
}

fn entry(scheme: Scheme, bytes: &[u8]) -> String {
    use base64::Engine as _;
    format!(
        "{},{}",
        scheme.token().expect("a signature-list scheme"),
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Full verification of the V1 delivery, with the class's signature entry written into the
/// one `webhook-signature` value.
struct VerifyOp {
    verifier: Verifier,
    entries: [String; 2],
    request: [(&'static str, String); 3],
}

impl Operation for VerifyOp {
    fn prepare(&mut self, class: usize) {
        let value = &mut self.request[2].1;
        value.clear();
        value.push_str(&self.entries[class]);
    }

    fn run(&mut self) {
        let result = self
            .verifier
            .verify_at(black_box(&self.request), V1_BODY.as_bytes(), V1_TS);
        black_box(result.is_ok());
    }
}

fn verify_case(
    name: &'static str,
    classes: &'static str,
    secret_dependent: bool,
    verifier: Verifier,
    scheme: Scheme,
    signatures: [Vec<u8>; 2],
) -> Case {
    let entries = signatures.map(|sig| entry(scheme, &sig));
    let capacity = entries.iter().map(String::len).max().unwrap_or(0);
    let request = [
        ("webhook-id", V1_ID.to_owned()),
        ("webhook-timestamp", V1_TS.to_string()),
        ("webhook-signature", String::with_capacity(capacity)),
    ];
    Case {
        name,
        classes,
        secret_dependent,
        op: Box::new(VerifyOp {
            verifier,
            entries,
            request,
        }),
    }
}

/// `eq(expected, candidate)`, with the class's candidate copied into one buffer.
struct CompareOp {
    expected: Vec<u8>,
    candidates: [Vec<u8>; 2],
    buffer: Vec<u8>,
    eq: fn(&[u8], &[u8]) -> bool,
    /// Recompute the expected value as HMAC of the V1 delivery on every run (a whole,
    /// leaky, verifier) instead of using `expected`.
    hmac: Option<Secret>,
}

impl Operation for CompareOp {
    fn prepare(&mut self, class: usize) {
        self.buffer.clear();
        self.buffer.extend_from_slice(&self.candidates[class]);
    }

    fn run(&mut self) {
        let computed;
        let expected = match &self.hmac {
            Some(secret) => {
                computed = tag_v1(
                    secret,
                    V1_ID.as_bytes(),
                    V1_TS.to_string().as_bytes(),
                    V1_BODY.as_bytes(),
                );
                &computed[..]
            }
            None => &self.expected[..],
        };
        black_box((self.eq)(black_box(expected), black_box(&self.buffer)));
    }
}

fn compare_case(
    name: &'static str,
    classes: &'static str,
    expected: Vec<u8>,
    candidates: [Vec<u8>; 2],
    eq: fn(&[u8], &[u8]) -> bool,
) -> Case {
    let capacity = candidates.iter().map(Vec::len).max().unwrap_or(0);
    Case {
        name,
        classes,
        secret_dependent: true,
        op: Box::new(CompareOp {
            expected,
            candidates,
            buffer: Vec::with_capacity(capacity),
            eq,
            hmac: None,
        }),
    }
}

fn subtle_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

fn hookspec_eq(a: &[u8], b: &[u8]) -> bool {
    match (<&[u8; 32]>::try_from(a), <&[u8; 32]>::try_from(b)) {
        (Ok(a), Ok(b)) => hookspec::internal::tags_equal(a, b),
        _ => false,
    }
}

/// The first byte of an Ed25519 signature (`R`) altered so that `R` still decodes to a
/// non-small-order point: both v1a classes then run the full verification equation.
fn flip_r(signature: &[u8; 64]) -> Vec<u8> {
    (1..=255u8)
        .map(|mask| with_flip(signature, 0, mask))
        .find(|sig| PublicKey::from_bytes(&sig[..32]).is_ok())
        .expect("some flip of R[0] is a point")
}

/// The leaky comparator on buffers long enough that its leak dwarfs any machine noise
/// (4 KiB, differing in the first vs the last byte): what the test asserts is detected.
pub fn leaky_long_case() -> Case {
    let expected = vec![0x5au8; 4096];
    let first = with_flip(&expected, 0, 1);
    let last = with_flip(&expected, 4095, 1);
    compare_case(
        "leaky early-exit loop",
        "4 KiB, first vs last byte differs",
        expected,
        [first, last],
        leaky_eq,
    )
}

/// Every class pair, in report order.
pub fn cases() -> Vec<Case> {
    let secret = Secret::parse(V1_SECRET).expect("V1 secret");
    let tag = tag_v1(
        &secret,
        V1_ID.as_bytes(),
        V1_TS.to_string().as_bytes(),
        V1_BODY.as_bytes(),
    );
    let hmac_verifier = Verifier::new().with_secret(secret.clone());
    let signing = SigningKey::parse(V5_SIGNING_KEY).expect("V5 key");
    let ed_verifier = Verifier::new().with_public_key(signing.public_key());
    let signed = Signer::new()
        .with_signing_key(signing.clone())
        .sign(V1_ID, V1_TS, V1_BODY.as_bytes())
        .expect("V5 signs");
    let sig: [u8; 64] = {
        use base64::Engine as _;
        let b64 = signed.strip_prefix("v1a,").expect("a v1a entry");
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64")
            .try_into()
            .expect("64-byte signature")
    };
    let first = with_flip(&tag, 0, 1);
    let last = with_flip(&tag, 31, 1);
    vec![
        verify_case(
            "v1 verify",
            "tag differs in first vs last byte",
            true,
            hmac_verifier.clone(),
            Scheme::V1,
            [first.clone(), last.clone()],
        ),
        verify_case(
            "v1 verify (control)",
            "identical wrong tag in both classes (noise floor)",
            true,
            hmac_verifier.clone(),
            Scheme::V1,
            [last.clone(), last.clone()],
        ),
        verify_case(
            "v1 verify",
            "right (32 B) vs wrong length (33 B)",
            false,
            hmac_verifier,
            Scheme::V1,
            [last.clone(), [&tag[..], &[0]].concat()],
        ),
        verify_case(
            "v1a verify",
            "signature differs in first (R) vs last (S) byte",
            false,
            ed_verifier.clone(),
            Scheme::V1a,
            [flip_r(&sig), with_flip(&sig, 63, 1)],
        ),
        verify_case(
            "v1a verify",
            "right (64 B) vs wrong length (65 B)",
            false,
            ed_verifier,
            Scheme::V1a,
            [with_flip(&sig, 63, 1), [&sig[..], &[0]].concat()],
        ),
        compare_case(
            "hookspec tags_equal (XOR fold, then subtle)",
            "32 B, first vs last byte differs",
            tag.to_vec(),
            [first.clone(), last.clone()],
            hookspec_eq,
        ),
        compare_case(
            "subtle ct_eq (byte-wise)",
            "32 B, first vs last byte differs",
            tag.to_vec(),
            [first.clone(), last.clone()],
            subtle_eq,
        ),
        compare_case(
            "leaky early-exit loop",
            "32 B, first vs last byte differs",
            tag.to_vec(),
            [first.clone(), last.clone()],
            leaky_eq,
        ),
        Case {
            name: "leaky v1 verify (HMAC + early-exit loop)",
            classes: "tag differs in first vs last byte",
            secret_dependent: true,
            op: Box::new(CompareOp {
                expected: Vec::new(),
                candidates: [first, last],
                buffer: Vec::with_capacity(32),
                eq: leaky_eq,
                hmac: Some(secret),
            }),
        },
        leaky_long_case(),
    ]
}
