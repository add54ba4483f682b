//! `headers`: the three `webhook-*` headers: present, spelled in any case, covered by the
//! signature, and unambiguous.

use super::{Case, Ctx, Expect, Probe, each, probe};
use crate::delivery::Delivery;
use crate::report::{BugClass, Level};
use hookspec::{
    SVIX_ID, SVIX_SIGNATURE, SVIX_TIMESTAMP, WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP,
};

/// The `headers` family.
pub fn cases() -> Vec<Case> {
    use BugClass::{AuthBypass, EdgeCase, Freshness, Idempotency, Replay};
    use Expect::*;
    use Level::*;
    vec![
        each(
            "headers/valid",
            Must,
            EdgeCase,
            Accept,
            "A correctly signed delivery is accepted",
            "R5, R8, R11 (C01): id, timestamp and signature over `id.timestamp.body`",
            |cx| vec![cx.valid().into()],
        ),
        each(
            "headers/mixed-case-names",
            Must,
            EdgeCase,
            Accept,
            "Header names in mixed case are accepted",
            "R11, RFC 9110 section 5.1: field names are case-insensitive (C06; svix #1013)",
            mixed_case,
        ),
        each(
            "headers/missing-id",
            Must,
            AuthBypass,
            Reject,
            "A delivery without webhook-id is rejected",
            "R11 (C07): the id is required; a verifier that defaults it to \"\" signs `.ts.body`",
            missing_id,
        ),
        each(
            "headers/missing-timestamp",
            Must,
            Freshness,
            Reject,
            "A delivery without webhook-timestamp is rejected",
            "R11, R13 (C08): without a timestamp there is no freshness check",
            missing_timestamp,
        ),
        each(
            "headers/missing-signature",
            Must,
            AuthBypass,
            Reject,
            "A delivery without webhook-signature is rejected",
            "R11, R13 (C09): every delivery must be signed",
            |cx| vec![cx.valid().remove(WEBHOOK_SIGNATURE).into()],
        ),
        each(
            "headers/no-webhook-headers",
            Must,
            AuthBypass,
            Reject,
            "A plain POST without any webhook-* header is rejected",
            "R11, R13: verification is not optional when the headers are absent",
            |cx| {
                vec![
                    Delivery::post(cx.body())
                        .header("content-type", crate::delivery::JSON)
                        .into(),
                ]
            },
        ),
        each(
            "headers/empty-signature",
            Must,
            AuthBypass,
            Reject,
            "An empty or blank webhook-signature is rejected",
            "R12 (C11): a list without entries verifies nothing",
            |cx| {
                vec![
                    probe("signature \"\"", cx.with_signature(|_| String::new())),
                    probe("signature \"   \"", cx.with_signature(|_| "   ".into())),
                ]
            },
        ),
        each(
            "headers/id-not-signed",
            Must,
            Replay,
            Reject,
            "A signature made for another webhook-id is rejected",
            "R4, R5 (C55): the id is signed; otherwise a captured delivery replays under a new id past deduplication",
            |cx| {
                let d = cx.valid();
                let other = cx.id();
                vec![d.set(WEBHOOK_ID, other).into()]
            },
        ),
        each(
            "headers/empty-id",
            Should,
            Idempotency,
            Reject,
            "An empty webhook-id is rejected, even when the signature covers it",
            "R4, R11 (C10): the id is the idempotency key; strict profile: non-empty",
            |cx| {
                let ts = cx.now().to_string();
                let body = cx.body();
                let sig = cx.sign("", &ts, &body);
                vec![Delivery::signed("", ts, sig, body).into()]
            },
        ),
        each(
            "headers/id-with-dot",
            Should,
            AuthBypass,
            Reject,
            "A webhook-id containing `.` is rejected, even when signed",
            "R6 (C52): a `.` in the id lets the id/timestamp/body boundary shift; strict profile rejects it",
            |cx| {
                let id = format!("{}.1", cx.id());
                let ts = cx.now().to_string();
                let body = cx.body();
                let sig = cx.sign(&id, &ts, &body);
                vec![Delivery::signed(id, ts, sig, body).into()]
            },
        ),
        each(
            "headers/conflicting-id-fields",
            Should,
            Replay,
            Reject,
            "Two webhook-id fields with different values are rejected",
            "spec silent (C70): which id was signed? strict profile rejects conflicting repeats",
            |cx| {
                let d = cx.valid();
                let other = cx.id();
                vec![d.header(WEBHOOK_ID, other).into()]
            },
        ),
        each(
            "headers/conflicting-timestamp-fields",
            Should,
            Freshness,
            Reject,
            "Two webhook-timestamp fields with different values are rejected",
            "spec silent (C70): which timestamp was checked? strict profile rejects conflicting repeats",
            |cx| {
                let stale = cx.now().saturating_sub(86_400).to_string();
                vec![cx.valid().header(WEBHOOK_TIMESTAMP, stale).into()]
            },
        ),
        each(
            "headers/repeated-signature-field",
            Info,
            EdgeCase,
            Either,
            "Two webhook-signature fields (junk, then valid)",
            "spec silent (C70): fields may be joined, or only one read",
            |cx| {
                let d = cx.valid();
                let valid = d.first(WEBHOOK_SIGNATURE).unwrap_or_default().to_vec();
                vec![
                    d.remove(WEBHOOK_SIGNATURE)
                        .header(WEBHOOK_SIGNATURE, super::junk_entry())
                        .header(WEBHOOK_SIGNATURE, valid)
                        .into(),
                ]
            },
        ),
        each(
            "headers/svix-aliases-only",
            Info,
            EdgeCase,
            Either,
            "Only svix-id / svix-timestamp / svix-signature headers",
            "R11 (C12): pure Standard Webhooks rejects; Svix-compatible receivers accept",
            |cx| {
                let d = cx.valid();
                vec![
                    d.rename(WEBHOOK_ID, SVIX_ID)
                        .rename(WEBHOOK_TIMESTAMP, SVIX_TIMESTAMP)
                        .rename(WEBHOOK_SIGNATURE, SVIX_SIGNATURE)
                        .into(),
                ]
            },
        ),
        each(
            "headers/non-ascii-id",
            Info,
            EdgeCase,
            Either,
            "A webhook-id with non-ASCII UTF-8 bytes, correctly signed",
            "R11 (C54): implementation-defined; the strict profile allows visible ASCII only",
            |cx| {
                let id = format!("{}-ü", cx.id());
                let ts = cx.now().to_string();
                let body = cx.body();
                let sig = cx.sign(&id, &ts, &body);
                vec![Delivery::signed(id, ts, sig, body).into()]
            },
        ),
    ]
}

fn mixed_case(cx: &mut Ctx) -> Vec<Probe> {
    vec![
        cx.valid()
            .rename(WEBHOOK_ID, "Webhook-Id")
            .rename(WEBHOOK_TIMESTAMP, "WEBHOOK-TIMESTAMP")
            .rename(WEBHOOK_SIGNATURE, "webhook-SIGNATURE")
            .rename("content-type", "Content-Type")
            .into(),
    ]
}

fn missing_id(cx: &mut Ctx) -> Vec<Probe> {
    let ts = cx.now().to_string();
    let body = cx.body();
    let over_empty = cx.sign("", &ts, &body);
    vec![
        probe("id removed", cx.valid().remove(WEBHOOK_ID)),
        probe(
            "id absent, signed as if empty",
            Delivery::signed("", ts, over_empty, body).remove(WEBHOOK_ID),
        ),
    ]
}

fn missing_timestamp(cx: &mut Ctx) -> Vec<Probe> {
    let id = cx.id();
    let body = cx.body();
    let over_empty = cx.sign(&id, "", &body);
    vec![
        probe("timestamp removed", cx.valid().remove(WEBHOOK_TIMESTAMP)),
        probe(
            "timestamp absent, signed as if empty",
            Delivery::signed(id, "", over_empty, body).remove(WEBHOOK_TIMESTAMP),
        ),
    ]
}
