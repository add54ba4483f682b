//! `body`: the signature covers the exact bytes received. Bodies that are valid JSON but
//! not in the form a JSON library would write back (whitespace, key order, `\u` escapes,
//! number spellings, a trailing newline, non-ASCII text, nothing at all) are signed over
//! their exact bytes and must be accepted: an endpoint that verifies a re-serialized body
//! fails them. A body changed after signing must be rejected. An event of a type the
//! endpoint does not know is acknowledged, not refused (`body/unknown-event-type`, which is
//! written for every scheme: it signs through the run's scheme).

use super::{Case, Ctx, Expect, Probe, each, probe};
use crate::gemini::{Event, FUTURE_EVENT_TYPE, future_event_body};
use crate::report::{BugClass, Level};

/// One mebibyte: bodies up to this size must not be refused (R3 puts no limit).
pub const LARGE_BODY: usize = 1024 * 1024;

/// The `body` family.
pub fn cases() -> Vec<Case> {
    use BugClass::{AuthBypass, Canonicalization, EdgeCase};
    use Expect::*;
    use Level::*;
    vec![
        accept_body(
            "body/whitespace",
            "JSON with extra whitespace and newlines is accepted",
            "R7 (C57): verify the raw body; \"even a stray space\" changes the signature",
            |cx| {
                json(
                    cx,
                    "{\n  \"type\" : \"hookspec.check\" ,\n\t\"data\" : { \"case\" : \"body/whitespace\" }\n}",
                )
            },
        ),
        accept_body(
            "body/key-order",
            "JSON with keys out of alphabetical order is accepted",
            "R7: a re-serializer that sorts keys changes the bytes",
            |cx| {
                json(
                    cx,
                    r#"{"type":"hookspec.check","data":{"z":1,"case":"body/key-order","a":2},"timestamp":"2024-01-01T00:00:00Z"}"#,
                )
            },
        ),
        accept_body(
            "body/unicode-escapes",
            "JSON with \\u escapes (incl. a surrogate pair) is accepted",
            "R7: a re-serializer writes the characters raw",
            |cx| {
                json(
                    cx,
                    r#"{"type":"hookspec.check","data":{"name":"caf\u00e9 \u4e2d \ud83d\ude00","slash":"a\/b"}}"#,
                )
            },
        ),
        accept_body(
            "body/number-forms",
            "JSON numbers as 1.0, 1e2, -0 and a 20-digit integer are accepted",
            "R7: a re-serializer rewrites or rounds numbers",
            |cx| {
                json(
                    cx,
                    r#"{"type":"hookspec.check","data":{"a":1.0,"b":1e2,"c":-0,"d":12345678901234567890,"e":0.1000}}"#,
                )
            },
        ),
        accept_body(
            "body/trailing-newline",
            "JSON followed by a newline, signed with it, is accepted",
            "R7 (C56): the newline is part of the signed bytes",
            |cx| {
                json(
                    cx,
                    "{\"type\":\"hookspec.check\",\"data\":{\"case\":\"body/trailing-newline\"}}\n",
                )
            },
        ),
        accept_body(
            "body/non-ascii",
            "JSON with raw UTF-8 text (accents, CJK, emoji) is accepted",
            "R7: bytes, not a decoded string, are verified",
            |cx| {
                json(
                    cx,
                    "{\"type\":\"hookspec.check\",\"data\":{\"name\":\"Zoë Çelik 中文 😀\"}}",
                )
            },
        ),
        accept_body(
            "body/empty",
            "An empty body, correctly signed, is accepted",
            "R1 (C04, std-webhooks #262): verify before parsing; an empty body is valid",
            |cx| vec![cx.valid_body(Vec::new()).into()],
        ),
        each(
            "body/non-utf8",
            Should,
            Canonicalization,
            Accept,
            "A body with non-UTF-8 bytes, signed over them, is accepted",
            "R1, R7 (C58): the body is raw bytes; verifying a decoded string changes it",
            |cx| {
                let mut body = vec![0xff, 0xfe];
                body.extend_from_slice(br#"{"a":1}"#);
                vec![
                    cx.valid_body(body)
                        .set("content-type", "application/octet-stream")
                        .into(),
                ]
            },
        ),
        each(
            "body/large",
            Should,
            EdgeCase,
            Accept,
            "A 1 MiB JSON body is accepted",
            "R3 (C03): no size limit below 1 MiB",
            |cx| {
                let mut body = br#"{"type":"hookspec.check","data":{"pad":""#.to_vec();
                let tail = br#""}}"#;
                body.resize(LARGE_BODY - tail.len(), b'a');
                body.extend_from_slice(tail);
                vec![cx.valid_body(body).into()]
            },
        ),
        each(
            "body/unknown-event-type",
            Must,
            EdgeCase,
            Accept,
            "A verified event of a type the endpoint does not know is acknowledged (2xx)",
            "Gemini: a 4xx makes the sender retry for 24 h, then disable the webhook (disabled_due_to_failed_deliveries); process or ignore an unknown type, never refuse it. Sent: batch.cancelled and interaction.cancelled (documented, not in the SDKs) and a type that does not exist yet",
            unknown_event_types,
        ),
        each(
            "body/appended-newline",
            Must,
            Canonicalization,
            Reject,
            "A newline appended after signing is rejected",
            "R7 (C56): the signature covers every byte",
            |cx| {
                let mut d = cx.valid();
                d.body.push(b'\n');
                vec![d.into()]
            },
        ),
        each(
            "body/re-serialized",
            Must,
            Canonicalization,
            Reject,
            "The body re-serialized after signing (spaces removed) is rejected",
            "R7 (C57): the signature covers the bytes, not the JSON value",
            |cx| {
                let spaced =
                    br#"{"type": "hookspec.check", "data": {"case": "body/re-serialized"}}"#;
                let mut d = cx.valid_body(spaced.to_vec());
                d.body =
                    br#"{"type":"hookspec.check","data":{"case":"body/re-serialized"}}"#.to_vec();
                vec![d.into()]
            },
        ),
        each(
            "body/tampered-value",
            Must,
            AuthBypass,
            Reject,
            "A body changed after signing (one value edited) is rejected",
            "R5: the body is signed",
            |cx| {
                let mut d =
                    cx.valid_body(br#"{"type":"hookspec.check","data":{"amount":100}}"#.to_vec());
                d.body = br#"{"type":"hookspec.check","data":{"amount":900}}"#.to_vec();
                vec![d.into()]
            },
        ),
    ]
}

fn accept_body(
    id: &'static str,
    title: &'static str,
    rule: &'static str,
    plan: fn(&mut Ctx) -> Vec<Probe>,
) -> Case {
    each(
        id,
        Level::Must,
        BugClass::Canonicalization,
        Expect::Accept,
        title,
        rule,
        plan,
    )
}

/// One valid delivery per event type the SDKs do not know: the documented-only types and
/// [`FUTURE_EVENT_TYPE`], each a realistic Gemini body named after the case.
fn unknown_event_types(cx: &mut Ctx) -> Vec<Probe> {
    let suffix = format!("hookspec-check-{}", cx.case().replace('/', "-"));
    let mut probes = Vec::new();
    for event in Event::DOCUMENTED_ONLY {
        let body = event.body(&suffix, cx.now());
        probes.push(probe(
            format!("type {:?}", event.name()),
            cx.valid_body(body),
        ));
    }
    let body = future_event_body(&suffix, cx.now());
    probes.push(probe(
        format!("type {FUTURE_EVENT_TYPE:?} (no such type yet)"),
        cx.valid_body(body),
    ));
    probes
}

/// One valid delivery of exactly `text`.
fn json(cx: &mut Ctx, text: &str) -> Vec<Probe> {
    vec![probe("", cx.valid_body(text.as_bytes().to_vec()))]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_are_valid_json_and_not_canonical() {
        let keys = super::super::Keys {
            secrets: vec![hookspec::Secret::from_bytes(&[1; 32]).unwrap()],
            revoked: None,
            signing_key: None,
            key_set: None,
        };
        for case in cases() {
            if case.level != Level::Must
                || case.bug_class != BugClass::Canonicalization
                || !matches!(
                    case.kind,
                    super::super::Kind::Each {
                        expect: Expect::Accept,
                        ..
                    }
                )
            {
                continue;
            }
            let super::super::Kind::Each { plan, .. } = case.kind else {
                unreachable!()
            };
            let mut cx = Ctx::new(&keys, "t", case.id);
            for p in plan(&mut cx) {
                let body = &p.delivery;
                if body.body.is_empty() {
                    continue;
                }
                let value: serde_json::Value = serde_json::from_slice(&body.body)
                    .unwrap_or_else(|e| panic!("{}: not JSON: {e}", case.id));
                let compact = serde_json::to_vec(&value).unwrap();
                assert_ne!(compact, body.body, "{}: already canonical", case.id);
            }
        }
    }

    #[test]
    fn large_body_is_exactly_one_mebibyte_of_json() {
        let keys = super::super::Keys {
            secrets: vec![hookspec::Secret::from_bytes(&[1; 32]).unwrap()],
            revoked: None,
            signing_key: None,
            key_set: None,
        };
        let case = cases().into_iter().find(|c| c.id == "body/large").unwrap();
        let super::super::Kind::Each { plan, .. } = case.kind else {
            unreachable!()
        };
        let probes = plan(&mut Ctx::new(&keys, "t", case.id));
        assert_eq!(probes[0].delivery.body.len(), LARGE_BODY);
        serde_json::from_slice::<serde_json::Value>(&probes[0].delivery.body).unwrap();
    }
}
