//! The Gemini API's webhooks as hookspec sends and expects them: realistic event bodies for the checker, `hookspec send`
//! and the vectors.
//!
//! Event bodies follow the documented envelope `{type, version, timestamp, data}` ("thin
//! payloads": pointers to results, never the results themselves), compact JSON with the
//! members in that order. The `data` fields are the ones Google's event table lists. Two
//! details are not documented and are illustrative here: the form of `data.id` (hookspec
//! uses `batches/…`, `interactions/…`, `operations/…` names) and the type of `error_code`
//! (hookspec sends an integer, a `google.rpc.Code`). Receivers should read the raw bytes,
//! tolerate unknown `type` values and missing `data` fields.

use std::fmt;

/// A Gemini webhook event type: the seven the current SDKs let a webhook subscribe to, and
/// the two Google's documentation also lists (`batch.cancelled`, `interaction.cancelled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Event {
    /// A batch finished successfully (`data`: `id`, `output_file_uri`).
    BatchSucceeded,
    /// A batch failed with a system or validation error (`id`, `error_code`,
    /// `error_message`).
    BatchFailed,
    /// A batch was not finished within its time frame (`id`).
    BatchExpired,
    /// An interaction waits for the user (a function call) (`id`).
    InteractionRequiresAction,
    /// An interaction's long-running operation succeeded (`id`).
    InteractionCompleted,
    /// An interaction's long-running operation failed (`id`, `error_code`,
    /// `error_message`).
    InteractionFailed,
    /// A video generation finished (`id`, `output_file_uri`, `file_name`).
    VideoGenerated,
    /// A batch was cancelled (`id`). Documented, not in the SDKs.
    BatchCancelled,
    /// An interaction was cancelled (`id`). Documented, not in the SDKs.
    InteractionCancelled,
}

impl Event {
    /// The seven types the current SDKs know, in the order above. The checker's default
    /// bodies and the vector corpus pick from this list by position, so it never changes:
    /// new types go to [`Event::DOCUMENTED_ONLY`].
    pub const ALL: [Event; 7] = [
        Self::BatchSucceeded,
        Self::BatchFailed,
        Self::BatchExpired,
        Self::InteractionRequiresAction,
        Self::InteractionCompleted,
        Self::InteractionFailed,
        Self::VideoGenerated,
    ];

    /// The types Google's documentation lists but the SDKs do not: a receiver that
    /// dispatches on the SDK's list does not know them (`body/unknown-event-type`).
    pub const DOCUMENTED_ONLY: [Event; 2] = [Self::BatchCancelled, Self::InteractionCancelled];

    /// Every type hookspec can send (`send --event`): [`Event::ALL`], then
    /// [`Event::DOCUMENTED_ONLY`].
    pub const DOCUMENTED: [Event; 9] = {
        let mut all = [Self::BatchSucceeded; 9];
        let mut i = 0;
        while i < Self::ALL.len() {
            all[i] = Self::ALL[i];
            i += 1;
        }
        while i < all.len() {
            all[i] = Self::DOCUMENTED_ONLY[i - Self::ALL.len()];
            i += 1;
        }
        all
    };

    /// The `type` string, e.g. `batch.succeeded`.
    pub fn name(self) -> &'static str {
        match self {
            Self::BatchSucceeded => "batch.succeeded",
            Self::BatchFailed => "batch.failed",
            Self::BatchExpired => "batch.expired",
            Self::InteractionRequiresAction => "interaction.requires_action",
            Self::InteractionCompleted => "interaction.completed",
            Self::InteractionFailed => "interaction.failed",
            Self::VideoGenerated => "video.generated",
            Self::BatchCancelled => "batch.cancelled",
            Self::InteractionCancelled => "interaction.cancelled",
        }
    }

    /// Parses a `type` string (exact), any of [`Event::DOCUMENTED`].
    pub fn parse(name: &str) -> Option<Self> {
        Self::DOCUMENTED.into_iter().find(|e| e.name() == name)
    }

    /// The resource collection of `data.id`.
    fn collection(self) -> &'static str {
        match self {
            Self::BatchSucceeded
            | Self::BatchFailed
            | Self::BatchExpired
            | Self::BatchCancelled => "batches",
            Self::InteractionRequiresAction
            | Self::InteractionCompleted
            | Self::InteractionFailed
            | Self::InteractionCancelled => "interactions",
            Self::VideoGenerated => "operations",
        }
    }

    /// The event body for a resource `suffix` (`data.id` is `<collection>/<suffix>`), at
    /// `timestamp` (Unix seconds, written as RFC 3339 UTC): compact JSON, members in the
    /// documented order. Deterministic: the same arguments give the same bytes.
    ///
    /// ```
    /// use hookspec_engine::gemini::Event;
    /// let body = Event::BatchSucceeded.body("nightly-1", 1_769_083_200);
    /// assert_eq!(
    ///     String::from_utf8(body).unwrap(),
    ///     r#"{"type":"batch.succeeded","version":"v1","timestamp":"2026-01-22T12:00:00Z","data":{"id":"batches/nightly-1","output_file_uri":"gs://hookspec-example/batches/nightly-1/results.jsonl"}}"#
    /// );
    /// ```
    pub fn body(self, suffix: &str, timestamp: u64) -> Vec<u8> {
        let id = format!("{}/{suffix}", self.collection());
        let mut data: Vec<(&str, Field)> = vec![("id", Field::Text(id))];
        match self {
            Self::BatchSucceeded => data.push((
                "output_file_uri",
                Field::Text(format!(
                    "gs://hookspec-example/batches/{suffix}/results.jsonl"
                )),
            )),
            Self::BatchFailed => {
                data.push(("error_code", Field::Integer(3)));
                data.push((
                    "error_message",
                    Field::Text("Request 17 of the input file is not a valid request.".into()),
                ));
            }
            Self::InteractionFailed => {
                data.push(("error_code", Field::Integer(13)));
                data.push((
                    "error_message",
                    Field::Text("The model could not complete the interaction.".into()),
                ));
            }
            Self::VideoGenerated => {
                data.push((
                    "output_file_uri",
                    Field::Text(format!("gs://hookspec-example/videos/{suffix}.mp4")),
                ));
                data.push(("file_name", Field::Text(format!("files/{suffix}"))));
            }
            Self::BatchExpired
            | Self::InteractionRequiresAction
            | Self::InteractionCompleted
            | Self::BatchCancelled
            | Self::InteractionCancelled => {}
        }
        envelope(self.name(), &data, timestamp)
    }
}

/// The `type` of [`future_event_body`]: an event Google does not send (yet).
pub const FUTURE_EVENT_TYPE: &str = "batch.archived";

/// A body for an event type that does not exist yet, [`FUTURE_EVENT_TYPE`], in the
/// documented envelope, with a `data` member no current type has
/// (`{"type":"batch.archived","version":"v1","timestamp":…,"data":{"id":"batches/<suffix>","archive_uri":"gs://…"}}`):
/// what a receiver gets the day Google adds a type. Deterministic like [`Event::body`].
pub fn future_event_body(suffix: &str, timestamp: u64) -> Vec<u8> {
    let data = vec![
        ("id", Field::Text(format!("batches/{suffix}"))),
        (
            "archive_uri",
            Field::Text(format!("gs://hookspec-example/archive/batches/{suffix}")),
        ),
    ];
    envelope(FUTURE_EVENT_TYPE, &data, timestamp)
}

/// `{type, version, timestamp, data}` as compact JSON, members in that order.
fn envelope(kind: &str, data: &[(&str, Field)], timestamp: u64) -> Vec<u8> {
    let mut out = String::with_capacity(256);
    out.push_str("{\"type\":");
    push_json_string(&mut out, kind);
    out.push_str(",\"version\":\"v1\",\"timestamp\":");
    push_json_string(&mut out, &rfc3339(timestamp));
    out.push_str(",\"data\":{");
    for (i, (name, value)) in data.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(&mut out, name);
        out.push(':');
        match value {
            Field::Text(text) => push_json_string(&mut out, text),
            Field::Integer(n) => out.push_str(&n.to_string()),
        }
    }
    out.push_str("}}");
    out.into_bytes()
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

enum Field {
    Text(String),
    Integer(i64),
}

/// Appends `text` as a JSON string (RFC 8259 escapes).
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Unix seconds as RFC 3339 UTC with whole seconds (`2026-01-22T12:00:00Z`).
pub fn rfc3339(timestamp: u64) -> String {
    let days = timestamp / 86_400;
    let rem = timestamp % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's
/// `civil_from_days`, for non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_614_265_330), "2021-02-25T15:02:10Z");
        assert_eq!(rfc3339(1_769_083_200), "2026-01-22T12:00:00Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
        assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn names_round_trip() {
        for event in Event::DOCUMENTED {
            assert_eq!(Event::parse(event.name()), Some(event));
        }
        assert_eq!(Event::parse("batch.completed"), None);
        assert_eq!(Event::parse(FUTURE_EVENT_TYPE), None);
        // ALL (what the checker and the corpus pick from) is the SDK's seven, in order.
        assert_eq!(Event::DOCUMENTED[..7], Event::ALL);
        assert_eq!(Event::DOCUMENTED[7..], Event::DOCUMENTED_ONLY);
    }

    #[test]
    fn the_future_event_is_a_well_formed_envelope() {
        let body = future_event_body("x", 1_700_000_000);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"type":"batch.archived","version":"v1","timestamp":"2023-11-14T22:13:20Z","data":{"id":"batches/x","archive_uri":"gs://hookspec-example/archive/batches/x"}}"#
        );
    }

    #[test]
    fn bodies_carry_the_documented_fields_in_order() {
        let expected: [(Event, &[&str]); 9] = [
            (Event::BatchSucceeded, &["id", "output_file_uri"]),
            (Event::BatchFailed, &["id", "error_code", "error_message"]),
            (Event::BatchExpired, &["id"]),
            (Event::InteractionRequiresAction, &["id"]),
            (Event::InteractionCompleted, &["id"]),
            (
                Event::InteractionFailed,
                &["id", "error_code", "error_message"],
            ),
            (
                Event::VideoGenerated,
                &["id", "output_file_uri", "file_name"],
            ),
            (Event::BatchCancelled, &["id"]),
            (Event::InteractionCancelled, &["id"]),
        ];
        for (event, fields) in expected {
            let body = event.body("x\"1\n", 1_700_000_000);
            let text = std::str::from_utf8(&body).unwrap();
            assert!(
                !text.contains(' ') || text.contains("error_message"),
                "{text}"
            );
            // Member order as sent: the position of each name in the text.
            let envelope = ["\"type\"", "\"version\"", "\"timestamp\"", "\"data\""];
            let positions: Vec<usize> = envelope.iter().map(|n| text.find(n).unwrap()).collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
            let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(value["type"], event.name());
            assert_eq!(value["version"], "v1");
            assert_eq!(value["timestamp"], "2023-11-14T22:13:20Z");
            let data = value["data"].as_object().unwrap();
            let mut names: Vec<&str> = data.keys().map(String::as_str).collect();
            let mut want = fields.to_vec();
            names.sort_unstable();
            want.sort_unstable();
            assert_eq!(names, want, "{event}");
            assert!(data["id"].as_str().unwrap().ends_with("/x\"1\n"), "{text}");
            if fields.contains(&"error_code") {
                assert!(data["error_code"].is_i64());
            }
        }
    }
}
