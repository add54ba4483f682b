//! `rotation`: zero-downtime key rotation. During a rotation the sender signs with the new
//! and the old key, and the endpoint trusts several keys; every trusted key must verify on
//! its own, wherever its entry sits in the list, and a revoked key must not.
//!
//! The list cases sign their valid entry with the *last* `--secret` (the oldest key still
//! trusted), among entries by keys the endpoint does not know: an endpoint that tries only
//! the first entry, or only its first key, fails them.

use super::{Case, Ctx, Expect, Need, Probe, each, foreign_entry, probe, random};
use crate::delivery::Delivery;
use crate::report::{BugClass, Level};
use hookspec::internal::entry_v1;

/// The `rotation` family.
pub fn cases() -> Vec<Case> {
    use BugClass::Rotation;
    use Expect::*;
    use Level::*;
    vec![
        each(
            "rotation/each-secret-alone",
            Must,
            Rotation,
            Accept,
            "A delivery signed with any one of the trusted secrets is accepted",
            "R12 (C33): the endpoint trusts old and new keys during a rotation",
            |cx| {
                (0..cx.secrets().len())
                    .map(|i| {
                        probe(
                            format!("secret #{} alone", i + 1),
                            signed_list(cx, |e| vec![e[i].clone()]),
                        )
                    })
                    .collect()
            },
        )
        .needs(Need::TwoSecrets),
        each(
            "rotation/all-secrets-listed",
            Must,
            Rotation,
            Accept,
            "A delivery signed with every trusted secret (one entry each) is accepted",
            "R12: the sender's view of a rotation: new and old entries together",
            |cx| vec![signed_list(cx, |e| e.to_vec()).into()],
        )
        .needs(Need::TwoSecrets),
        each(
            "rotation/trusted-first",
            Must,
            Rotation,
            Accept,
            "The trusted entry first, then two by unknown keys, is accepted",
            "R12: try every entry until one matches",
            |cx| vec![positioned(cx, 0)],
        ),
        each(
            "rotation/trusted-middle",
            Must,
            Rotation,
            Accept,
            "The trusted entry between two by unknown keys is accepted",
            "R12: try every entry until one matches",
            |cx| vec![positioned(cx, 1)],
        ),
        each(
            "rotation/trusted-last",
            Must,
            Rotation,
            Accept,
            "The trusted entry last, after two by unknown keys, is accepted",
            "R12: try every entry until one matches (svix C# rejected a valid last entry, #2397)",
            |cx| vec![positioned(cx, 2)],
        ),
        each(
            "rotation/with-unknown-versions",
            Must,
            Rotation,
            Accept,
            "The trusted entry after `v2,…` and `v1a,…` entries is accepted",
            "R9, R12: entries of unknown or other schemes are skipped (a sender adding v1a sends both)",
            |cx| {
                vec![
                    signed_list(cx, |e| {
                        vec![
                            format!("v2,{}", b64(&random::<32>())),
                            format!("v1a,{}", b64(&random::<64>())),
                            e.last().cloned().unwrap_or_default(),
                        ]
                    })
                    .into(),
                ]
            },
        ),
        each(
            "rotation/with-malformed-entries",
            Should,
            Rotation,
            Accept,
            "The trusted entry after malformed entries is accepted",
            "R12: malformed entries are skipped, never fatal to the whole header",
            |cx| {
                vec![
                    signed_list(cx, |e| {
                        vec![
                            "v1".to_string(),
                            "v1,AAAA".to_string(),
                            "v1,not-base64!".to_string(),
                            e.last().cloned().unwrap_or_default(),
                        ]
                    })
                    .into(),
                ]
            },
        ),
        each(
            "rotation/revoked-secret",
            Must,
            Rotation,
            Reject,
            "A delivery signed only with the revoked secret is rejected",
            "R10, R12: a removed key must stop verifying",
            |cx| {
                let d = cx.valid();
                let (id, ts) = id_ts(&d);
                let revoked = entry_v1(cx.revoked(), id.as_bytes(), ts.as_bytes(), &d.body);
                vec![d.set(hookspec::WEBHOOK_SIGNATURE, revoked).into()]
            },
        )
        .needs(Need::RevokedSecret),
        each(
            "rotation/revoked-then-current",
            Must,
            Rotation,
            Accept,
            "The revoked entry first, then the current one, is accepted",
            "R12: a stale entry in the list does not spoil a valid one",
            |cx| {
                let d = cx.valid();
                let (id, ts) = id_ts(&d);
                let revoked = entry_v1(cx.revoked(), id.as_bytes(), ts.as_bytes(), &d.body);
                let current = cx.sign(&id, &ts, &d.body);
                vec![
                    d.set(hookspec::WEBHOOK_SIGNATURE, format!("{revoked} {current}"))
                        .into(),
                ]
            },
        )
        .needs(Need::RevokedSecret),
    ]
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn id_ts(d: &Delivery) -> (String, String) {
    (
        d.webhook_id().unwrap_or_default(),
        d.first_text(hookspec::WEBHOOK_TIMESTAMP)
            .unwrap_or_default(),
    )
}

/// A fresh delivery whose signature list is `list(entries)`, where `entries[i]` is the
/// entry by the i-th trusted secret.
fn signed_list(cx: &mut Ctx, list: impl FnOnce(&[String]) -> Vec<String>) -> Delivery {
    let d = cx.valid();
    let (id, ts) = id_ts(&d);
    let entries: Vec<String> = cx
        .secrets()
        .iter()
        .map(|s| entry_v1(s, id.as_bytes(), ts.as_bytes(), &d.body))
        .collect();
    d.set(hookspec::WEBHOOK_SIGNATURE, list(&entries).join(" "))
}

/// Three entries, the one by the last trusted secret at `position`, the others by unknown
/// keys.
fn positioned(cx: &mut Ctx, position: usize) -> Probe {
    let d = signed_list(cx, |e| vec![e.last().cloned().unwrap_or_default()]);
    let (id, ts) = id_ts(&d);
    let trusted = String::from_utf8_lossy(d.first(hookspec::WEBHOOK_SIGNATURE).unwrap_or_default())
        .into_owned();
    let mut list: Vec<String> = (0..2).map(|_| foreign_entry(&id, &ts, &d.body)).collect();
    list.insert(position, trusted);
    d.set(hookspec::WEBHOOK_SIGNATURE, list.join(" ")).into()
}
