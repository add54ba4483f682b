//! Each flawed receiver really has its flaw, and otherwise behaves: an ordinary delivery is
//! accepted and acted on once. The reference receiver (`hookspec serve`) is shown not to
//! have any of the flaws by the same probes.

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{KeyInit as _, Mac as _};
use hookspec::{Secret, Verifier};
use hookspec_engine::serve::{LogSink, RunningServer, ServeConfig, spawn};

use super::http::{Answer, client, now, observed, post, signed, with_header};
use super::receivers::{Flaw, spawn_flawed};

/// An ordinary body: compact JSON, so re-serialization does not change it.
const BODY: &[u8] = br#"{"type":"ping","data":{"n":1}}"#;

fn secret() -> Secret {
    Secret::generate().expect("random secret")
}

async fn reference(secret: &Secret) -> RunningServer {
    let config = ServeConfig::new(Verifier::new().with_secret(secret.clone()))
        .addr(([127, 0, 0, 1], 0).into())
        .log(LogSink::Off);
    spawn(config).await.expect("reference receiver starts")
}

/// A target under test: where to deliver and where to observe.
struct Target {
    base: String,
    observe: String,
    // Keeps the server alive for the target's lifetime.
    _guard: Box<dyn std::any::Any + Send>,
}

async fn flawed(flaw: Flaw, secret: &Secret) -> Target {
    let r = spawn_flawed(flaw, std::slice::from_ref(secret)).await;
    Target {
        base: r.base_url.clone(),
        observe: r.observe_url.clone(),
        _guard: Box::new(r),
    }
}

async fn serve(secret: &Secret) -> Target {
    let r = reference(secret).await;
    Target {
        base: r.base_url(),
        observe: r.observe_url(),
        _guard: Box::new(r),
    }
}

impl Target {
    async fn send(&self, headers: &[(String, String)], body: &[u8]) -> Answer {
        post(&client(), &self.base, headers, body.to_vec()).await
    }
    async fn acted(&self) -> BTreeMap<String, u64> {
        observed(&client(), &self.observe).await
    }
    async fn count(&self, id: &str) -> u64 {
        self.acted().await.get(id).copied().unwrap_or(0)
    }
}

/// What a probe shows: the answer's status and how often the id was acted on after it.
async fn probe(target: &Target, headers: &[(String, String)], body: &[u8]) -> (u16, u64) {
    let id = headers
        .iter()
        .find(|(n, _)| n == "webhook-id")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let answer = target.send(headers, body).await;
    (answer.status, target.count(&id).await)
}

/// The probe that exposes `flaw`: (status, times acted on) for the flawed receiver, for the
/// reference receiver; asserts both.
async fn expose(flaw: Flaw) {
    let secret = secret();
    let bad = flawed(flaw, &secret).await;
    let good = serve(&secret).await;

    // Baseline: the flawed receiver handles an ordinary delivery like the reference.
    let ordinary = signed(&secret, "msg_ordinary", now(), BODY);
    assert_eq!(probe(&bad, &ordinary, BODY).await, (200, 1), "{flaw:?}");
    assert_eq!(probe(&good, &ordinary, BODY).await, (200, 1));

    let (on_bad, on_good) = match flaw {
        Flaw::NoTimestampCheck => {
            let stale = signed(&secret, "msg_stale", now() - 3600, BODY);
            (
                probe(&bad, &stale, BODY).await,
                probe(&good, &stale, BODY).await,
            )
        }
        Flaw::FutureUnchecked => {
            let stale = signed(&secret, "msg_stale", now() - 3600, BODY);
            assert_eq!(
                probe(&bad, &stale, BODY).await,
                (401, 0),
                "past still checked"
            );
            let future = signed(&secret, "msg_future", now() + 3600, BODY);
            (
                probe(&bad, &future, BODY).await,
                probe(&good, &future, BODY).await,
            )
        }
        Flaw::FirstEntryOnly => {
            let other = secret_signature(&self::secret(), "msg_rot", BODY);
            let valid = secret_signature(&secret, "msg_rot", BODY);
            let ts = valid.1.clone();
            let list = format!("{} {}", other.0, valid.0);
            let h = headers("msg_rot", &ts, &list);
            (probe(&bad, &h, BODY).await, probe(&good, &h, BODY).await)
        }
        Flaw::PrefixComparison => {
            let mut h = signed(&secret, "msg_prefix", now(), BODY);
            h = with_header(h, "webhook-signature", Some("v1,"));
            let (valid, ts) = secret_signature(&secret, "msg_prefix2", BODY);
            let short = headers("msg_prefix2", &ts, &valid[..9]);
            assert_eq!(probe(&bad, &short, BODY).await, (200, 1), "a prefix passes");
            assert_eq!(probe(&good, &short, BODY).await, (401, 0));
            (probe(&bad, &h, BODY).await, probe(&good, &h, BODY).await)
        }
        Flaw::ReserializedJson => {
            let spaced = b"{ \"type\": \"ping\",\n  \"data\": {\"n\": 1} }\n";
            let h = signed(&secret, "msg_spaced", now(), spaced);
            (
                probe(&bad, &h, spaced).await,
                probe(&good, &h, spaced).await,
            )
        }
        Flaw::BodyOnlyHmac => {
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(BODY);
            let tag = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
            let h = headers("msg_bodyonly", &now().to_string(), &format!("v1,{tag}"));
            (probe(&bad, &h, BODY).await, probe(&good, &h, BODY).await)
        }
        Flaw::NoDedup => {
            let h = signed(&secret, "msg_ordinary", now(), BODY);
            (probe(&bad, &h, BODY).await, probe(&good, &h, BODY).await)
        }
        Flaw::RacyDedup => {
            // Sequential duplicates are handled; concurrent ones are not.
            assert_eq!(probe(&bad, &ordinary, BODY).await, (200, 1));
            let h = signed(&secret, "msg_race", now(), BODY);
            let bad_count = concurrent(&bad, &h).await;
            let good_count = concurrent(&good, &h).await;
            assert!(bad_count > 1, "race lost: acted {bad_count} times");
            assert_eq!(good_count, 1);
            return;
        }
        Flaw::ProcessBeforeVerify => {
            let h = signed(&self::secret(), "msg_forged", now(), BODY);
            (probe(&bad, &h, BODY).await, probe(&good, &h, BODY).await)
        }
        Flaw::ServerErrorOnMalformedSignature => {
            let h = with_header(
                signed(&secret, "msg_malformed", now(), BODY),
                "webhook-signature",
                Some("v1"),
            );
            (probe(&bad, &h, BODY).await, probe(&good, &h, BODY).await)
        }
        Flaw::MissingSignatureAccepted => {
            let h = with_header(
                signed(&secret, "msg_unsigned", now(), BODY),
                "webhook-signature",
                None,
            );
            (probe(&bad, &h, BODY).await, probe(&good, &h, BODY).await)
        }
        Flaw::EmptySecretTrusted => {
            let h = keyed_with(b"", "msg_empty_key");
            (probe(&bad, &h, BODY).await, probe(&good, &h, BODY).await)
        }
        Flaw::SecretTextAsKey => {
            let whsec = secret.to_whsec();
            let bare = keyed_with(&whsec.as_bytes()[6..], "msg_bare_text");
            assert_eq!(probe(&bad, &bare, BODY).await, (200, 1), "the base64 text");
            assert_eq!(probe(&good, &bare, BODY).await, (401, 0));
            let h = keyed_with(whsec.as_bytes(), "msg_whsec_text");
            (probe(&bad, &h, BODY).await, probe(&good, &h, BODY).await)
        }
        Flaw::CrashesOnMalformedSignature => {
            let h = with_header(
                signed(&secret, "msg_crash", now(), BODY),
                "webhook-signature",
                Some("v1,AAAA"),
            );
            assert_eq!(probe(&good, &h, BODY).await, (401, 0));
            assert_eq!(probe(&good, &ordinary, BODY).await, (200, 1), "still up");
            // The flawed receiver dies on it: no answer, and none to anything after it.
            assert!(try_post(&bad.base, &h).await.is_err(), "answered");
            let next = signed(&secret, "msg_after", now(), BODY);
            assert!(try_post(&bad.base, &next).await.is_err(), "still up");
            return;
        }
        Flaw::RejectsUnknownEventType => {
            use hookspec_engine::gemini::Event;
            let known = Event::BatchSucceeded.body("b1", now());
            let h = signed(&secret, "msg_known_type", now(), &known);
            assert_eq!(probe(&bad, &h, &known).await, (200, 1), "a known type");
            let cancelled = Event::BatchCancelled.body("b2", now());
            let h = signed(&secret, "msg_cancelled", now(), &cancelled);
            (
                probe(&bad, &h, &cancelled).await,
                probe(&good, &h, &cancelled).await,
            )
        }
    };
    let expected_bad = match flaw {
        Flaw::NoDedup => (200, 2),
        Flaw::ProcessBeforeVerify => (401, 1),
        Flaw::ReserializedJson | Flaw::FirstEntryOnly => (401, 0),
        Flaw::RejectsUnknownEventType => (400, 0),
        Flaw::ServerErrorOnMalformedSignature => (500, 0),
        _ => (200, 1),
    };
    let expected_good = match flaw {
        Flaw::NoDedup => (200, 1),
        Flaw::ReserializedJson | Flaw::FirstEntryOnly | Flaw::RejectsUnknownEventType => (200, 1),
        Flaw::MissingSignatureAccepted => (400, 0),
        _ => (401, 0),
    };
    assert_eq!(on_bad, expected_bad, "{flaw:?} on the flawed receiver");
    assert_eq!(on_good, expected_good, "{flaw:?} on the reference receiver");
}

/// POSTs [`BODY`] with `headers`; the status, or the transport error.
async fn try_post(url: &str, headers: &[(String, String)]) -> Result<u16, reqwest::Error> {
    let mut request = client().post(url).body(BODY.to_vec());
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    Ok(request.send().await?.status().as_u16())
}

/// Headers of a delivery of [`BODY`] as `id`, now, whose `v1` entry is keyed with `key`.
fn keyed_with(key: &[u8], id: &str) -> Vec<(String, String)> {
    let ts = now().to_string();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(&hookspec::internal::signed_content(
        id.as_bytes(),
        ts.as_bytes(),
        BODY,
    ));
    let tag = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    headers(id, &ts, &format!("v1,{tag}"))
}

/// A `v1` entry for `id` at the current time, and that time.
fn secret_signature(secret: &Secret, id: &str, body: &[u8]) -> (String, String) {
    let ts = now().to_string();
    let entry = hookspec::internal::entry_v1(secret, id.as_bytes(), ts.as_bytes(), body);
    (entry, ts)
}

fn headers(id: &str, ts: &str, signature: &str) -> Vec<(String, String)> {
    vec![
        ("webhook-id".into(), id.into()),
        ("webhook-timestamp".into(), ts.into()),
        ("webhook-signature".into(), signature.into()),
    ]
}

/// Sends 16 identical deliveries at once; returns how often the id was acted on.
async fn concurrent(target: &Target, headers: &[(String, String)]) -> u64 {
    let client = client();
    let sends = (0..16).map(|_| {
        let (client, url, headers) = (client.clone(), target.base.clone(), headers.to_vec());
        tokio::spawn(async move { post(&client, &url, &headers, BODY.to_vec()).await.status })
    });
    for send in sends.collect::<Vec<_>>() {
        assert_eq!(send.await.unwrap(), 200);
    }
    target.count(&headers[0].1).await
}

macro_rules! flaw_tests {
    ($($name:ident => $flaw:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                expose(Flaw::$flaw).await;
            }
        )*
    };
}

flaw_tests! {
    flawed_no_timestamp_check => NoTimestampCheck,
    flawed_future_unchecked => FutureUnchecked,
    flawed_first_entry_only => FirstEntryOnly,
    flawed_prefix_comparison => PrefixComparison,
    flawed_reserialized_json => ReserializedJson,
    flawed_body_only_hmac => BodyOnlyHmac,
    flawed_no_dedup => NoDedup,
    flawed_racy_dedup => RacyDedup,
    flawed_process_before_verify => ProcessBeforeVerify,
    flawed_server_error_on_malformed_signature => ServerErrorOnMalformedSignature,
    flawed_missing_signature_accepted => MissingSignatureAccepted,
    flawed_empty_secret_trusted => EmptySecretTrusted,
    flawed_secret_text_as_key => SecretTextAsKey,
    flawed_rejects_unknown_event_type => RejectsUnknownEventType,
    flawed_crashes_on_malformed_signature => CrashesOnMalformedSignature,
}

#[test]
fn every_flaw_has_a_test_and_a_family() {
    // The macro above lists every flaw; this guards the list against a new variant.
    assert_eq!(Flaw::ALL.len(), 15);
    for flaw in Flaw::ALL {
        assert!(
            [
                "timestamp",
                "rotation",
                "signature",
                "body",
                "duplicate",
                "response",
                "headers"
            ]
            .contains(&flaw.family())
        );
    }
}
