//! A fixed workload for instruction counting: `verify_at` of one signed 64 B delivery on an
//! `http::HeaderMap`, or the HMAC alone with the key state precomputed, `N` times. The
//! shared build machine is too noisy for nanosecond ratios; instruction counts under
//! `valgrind --tool=callgrind` repeat exactly. Run twice with different `N` and subtract
//! to remove the setup (docs/src/evidence.md, "Where the time goes"):
//!
//! ```sh
//! cargo build --release -p hookspec --features http --example verify_callgrind
//! for n in 10000 20000; do
//!   valgrind --tool=callgrind --callgrind-out-file=cg.$n target/release/examples/verify_callgrind verify $n
//! done
//! callgrind_annotate --inclusive=yes cg.20000 | grep hookspec
//! ```

use std::hint::black_box;

use hmac::{KeyInit as _, Mac as _};
use hookspec::{Secret, Signer, Verifier};

const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TIMESTAMP: u64 = 1_700_000_000;

#[inline(never)]
fn hmac_precomputed(keyed: &hmac::Hmac<sha2::Sha256>, ts: &[u8], body: &[u8]) -> [u8; 32] {
    let mut mac = keyed.clone();
    mac.update(ID.as_bytes());
    mac.update(b".");
    mac.update(ts);
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

#[inline(never)]
fn verify(verifier: &Verifier, headers: &http::HeaderMap, body: &[u8]) -> bool {
    verifier.verify_at(headers, body, TIMESTAMP).is_ok()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "verify".into());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("test secret");
    let mut body = br#"{"d":""#.to_vec();
    body.resize(62, b'x');
    body.extend_from_slice(br#""}"#);
    let signature = Signer::new()
        .with_secret(secret.clone())
        .sign(ID, TIMESTAMP, &body)
        .expect("sign");
    let mut headers = http::HeaderMap::new();
    headers.insert("webhook-id", http::HeaderValue::from_static(ID));
    headers.insert("webhook-timestamp", TIMESTAMP.into());
    headers.insert(
        "webhook-signature",
        http::HeaderValue::from_str(&signature).expect("header value"),
    );
    let verifier = Verifier::new().with_secret(secret.clone());
    let keyed = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    let ts = TIMESTAMP.to_string();
    let mut count = 0usize;
    for _ in 0..n {
        count += match mode.as_str() {
            "hmac" => usize::from(hmac_precomputed(black_box(&keyed), ts.as_bytes(), &body)[0]),
            _ => usize::from(verify(black_box(&verifier), black_box(&headers), &body)),
        };
    }
    println!("{mode} x{n}: {count}");
}
