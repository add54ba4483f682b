//! A planned HTTP request, byte for byte: the unit that every layer shares.
//!
//! Cases plan [`Delivery`]s, the checker sends them, vectors freeze them and replay them.
//! A delivery keeps exactly what a conformance test needs to control and what ordinary HTTP
//! clients normalize away: header names with their exact spelling (`Webhook-Id`,
//! `WEBHOOK-TIMESTAMP`), repeated fields, field order, header values as raw bytes (non-ASCII
//! included), and the body as raw bytes (never re-serialized, UTF-8 not required).
//!
//! Connection-level headers (`Host`, `Content-Length`, `Connection`) are not part of a
//! delivery: whoever sends it adds them.
//!
//! ```
//! use hookspec_engine::delivery::Delivery;
//! let d = Delivery::signed("msg_1", "1700000000", "v1,abc=", br#"{"a":1}"#.to_vec())
//!     .rename("webhook-id", "Webhook-Id")
//!     .header("webhook-signature", "v1,second=");
//! assert_eq!(d.first("WEBHOOK-ID"), Some(&b"msg_1"[..]));
//! assert_eq!(d.values("webhook-signature").count(), 2);
//! ```

use std::fmt;

use hookspec::{HeaderSource, WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP};

/// The content type of the JSON bodies the catalogue sends.
pub const JSON: &str = "application/json";

/// A planned HTTP request: method, optional path, ordered header fields, exact body bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The request method. `POST` for every webhook delivery.
    pub method: String,
    /// The request target (path and query). `None`: the path of the endpoint URL.
    pub path: Option<String>,
    /// Header fields in sending order, with names spelled exactly as they go on the wire.
    /// The same name may appear several times.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, byte for byte.
    pub body: Vec<u8>,
}

/// Why a delivery cannot be written as an HTTP/1.1 request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// The method is not an HTTP token.
    #[error("the method {0:?} is not an HTTP token")]
    InvalidMethod(String),
    /// The path is empty, or contains whitespace or control characters.
    #[error(
        "the request target {0:?} must start with `/` and have no spaces or control characters"
    )]
    InvalidPath(String),
    /// A header name is empty or not an HTTP token.
    #[error("the header name {0:?} is not an HTTP token")]
    InvalidHeaderName(String),
    /// A header value contains CR, LF or NUL (which would split the request).
    #[error("the value of header {0:?} contains CR, LF or NUL")]
    InvalidHeaderValue(String),
}

impl DeliveryError {
    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidMethod(_) => "invalid_method",
            Self::InvalidPath(_) => "invalid_path",
            Self::InvalidHeaderName(_) => "invalid_header_name",
            Self::InvalidHeaderValue(_) => "invalid_header_value",
        }
    }
}

impl Delivery {
    /// A `POST` with `body` and no header fields.
    pub fn post(body: impl Into<Vec<u8>>) -> Self {
        Self {
            method: "POST".to_string(),
            path: None,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// A JSON `POST` with the three `webhook-*` headers, in the spec's order and spelling:
    /// `content-type: application/json`, `webhook-id`, `webhook-timestamp`,
    /// `webhook-signature`. The values are taken as given (no validation), so a negative
    /// test can put anything there.
    pub fn signed(
        id: impl Into<Vec<u8>>,
        timestamp: impl Into<Vec<u8>>,
        signature: impl Into<Vec<u8>>,
        body: impl Into<Vec<u8>>,
    ) -> Self {
        Self::post(body)
            .header("content-type", JSON)
            .header(WEBHOOK_ID, id)
            .header(WEBHOOK_TIMESTAMP, timestamp)
            .header(WEBHOOK_SIGNATURE, signature)
    }

    /// Appends a header field (after any existing field of the same name).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Removes every field named `name` (ASCII case-insensitive).
    pub fn remove(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    /// Replaces the value of every field named `name` (ASCII case-insensitive), keeping
    /// their position; appends the field if it is absent.
    pub fn set(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        let value = value.into();
        let mut found = false;
        for (n, v) in &mut self.headers {
            if n.eq_ignore_ascii_case(name) {
                *v = value.clone();
                found = true;
            }
        }
        if !found {
            self.headers.push((name.to_string(), value));
        }
        self
    }

    /// Respells every field named `name` (ASCII case-insensitive) as `spelling`, keeping
    /// its value and position (`webhook-id` → `Webhook-Id`).
    pub fn rename(mut self, name: &str, spelling: &str) -> Self {
        for (n, _) in &mut self.headers {
            if n.eq_ignore_ascii_case(name) {
                *n = spelling.to_string();
            }
        }
        self
    }

    /// Every value of the field `name` (ASCII case-insensitive), in order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// The first value of the field `name`, if any.
    pub fn first<'a>(&'a self, name: &'a str) -> Option<&'a [u8]> {
        self.values(name).next()
    }

    /// The first value of the field `name` as text (invalid UTF-8 replaced), if any.
    pub fn first_text(&self, name: &str) -> Option<String> {
        self.first(name)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// The first `webhook-id` value as text, if any: the key the observer reports.
    pub fn webhook_id(&self) -> Option<String> {
        self.first_text(WEBHOOK_ID)
    }

    /// Checks that the delivery can be written as an HTTP/1.1 request without changing it:
    /// token method and names, no CR/LF/NUL in values, a path starting with `/`.
    pub fn validate(&self) -> Result<(), DeliveryError> {
        if !is_token(&self.method) {
            return Err(DeliveryError::InvalidMethod(self.method.clone()));
        }
        if let Some(path) = &self.path
            && (!path.starts_with('/') || path.bytes().any(|b| b <= b' ' || b == 0x7f))
        {
            return Err(DeliveryError::InvalidPath(path.clone()));
        }
        for (name, value) in &self.headers {
            if !is_token(name) {
                return Err(DeliveryError::InvalidHeaderName(name.clone()));
            }
            if value.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)) {
                return Err(DeliveryError::InvalidHeaderValue(name.clone()));
            }
        }
        Ok(())
    }

    /// The request head and body as HTTP/1.1 bytes: the request line, `Host`, the
    /// delivery's own fields exactly as planned, then `Content-Length` and the extra fields
    /// given (e.g. `Connection: close`), a blank line and the body.
    ///
    /// `default_path` is used when the delivery has no path of its own.
    pub fn to_http1(
        &self,
        host: &str,
        default_path: &str,
        extra: &[(&str, &str)],
    ) -> Result<Vec<u8>, DeliveryError> {
        self.validate()?;
        let path = self.path.as_deref().unwrap_or(default_path);
        let mut out = Vec::with_capacity(256 + self.body.len());
        out.extend_from_slice(
            format!("{} {path} HTTP/1.1\r\nHost: {host}\r\n", self.method).as_bytes(),
        );
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        for (name, value) in extra {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        Ok(out)
    }

    /// A one-line description for reports: method, each field as `name: value` (values
    /// longer than 60 bytes shortened, non-printable bytes escaped), and the body size with
    /// a short preview.
    pub fn describe(&self) -> String {
        let mut parts = vec![match &self.path {
            Some(p) => format!("{} {p}", self.method),
            None => self.method.clone(),
        }];
        for (name, value) in &self.headers {
            parts.push(format!("{name}: {}", preview(value, 60)));
        }
        parts.push(format!(
            "body {} B {}",
            self.body.len(),
            preview(&self.body, 40)
        ));
        parts.join(" | ")
    }
}

/// `bytes` as one quoted line: valid UTF-8 is kept (control characters escaped), other
/// bytes become `\xNN`; shortened to about `max` characters with `…`.
pub fn preview(bytes: &[u8], max: usize) -> String {
    let mut out = String::from("\"");
    let mut shown = 0;
    let mut rest = bytes;
    'outer: while !rest.is_empty() {
        let (valid, invalid) = match std::str::from_utf8(rest) {
            Ok(text) => (text, &[][..]),
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                let bad_len = e.error_len().unwrap_or(bad.len());
                (
                    std::str::from_utf8(good).unwrap_or_default(),
                    &bad[..bad_len],
                )
            }
        };
        for c in valid.chars() {
            let piece = match c {
                '"' => "\\\"".to_string(),
                '\\' => "\\\\".to_string(),
                c if c.is_control() => c.escape_default().to_string(),
                c => c.to_string(),
            };
            if shown == max {
                out.push('…');
                break 'outer;
            }
            out.push_str(&piece);
            shown += 1;
        }
        for &b in invalid {
            if shown == max {
                out.push('…');
                break 'outer;
            }
            out.push_str(&format!("\\x{b:02x}"));
            shown += 1;
        }
        rest = &rest[valid.len() + invalid.len()..];
    }
    out.push('"');
    out
}

fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl HeaderSource for Delivery {
    fn for_each_value<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        self.headers.for_each_value(name, visit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http1_bytes_keep_spelling_order_duplicates_and_raw_bytes() {
        let d = Delivery::signed("msg_1", "17", "v1,a", b"{}".to_vec())
            .rename("webhook-timestamp", "WEBHOOK-TIMESTAMP")
            .header("webhook-signature", "v1,b")
            .header("x-raw", vec![0xef, 0xbc, 0x91, 0xff]);
        let bytes = d
            .to_http1("example.test:8080", "/hook", &[("Connection", "close")])
            .unwrap();
        let mut expected = b"POST /hook HTTP/1.1\r\nHost: example.test:8080\r\ncontent-type: application/json\r\nwebhook-id: msg_1\r\nWEBHOOK-TIMESTAMP: 17\r\nwebhook-signature: v1,a\r\nwebhook-signature: v1,b\r\nx-raw: ".to_vec();
        expected.extend_from_slice(&[0xef, 0xbc, 0x91, 0xff]);
        expected.extend_from_slice(b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
        assert_eq!(bytes, expected);
    }

    #[test]
    fn values_that_would_split_the_request_are_refused() {
        let d = Delivery::post("").header("webhook-id", "a\r\nx-injected: 1");
        assert_eq!(
            d.to_http1("h", "/", &[]).unwrap_err().code(),
            "invalid_header_value"
        );
        let d = Delivery::post("").header("bad name", "x");
        assert_eq!(d.validate().unwrap_err().code(), "invalid_header_name");
        let mut d = Delivery::post("");
        d.path = Some("/a b".into());
        assert_eq!(d.validate().unwrap_err().code(), "invalid_path");
    }

    #[test]
    fn set_remove_and_rename_are_case_insensitive() {
        let d = Delivery::signed("a", "1", "s", Vec::new())
            .set("WEBHOOK-ID", "b")
            .remove("Webhook-Signature")
            .rename("webhook-timestamp", "Webhook-Timestamp");
        assert_eq!(d.webhook_id().as_deref(), Some("b"));
        assert_eq!(d.first("webhook-signature"), None);
        assert!(d.headers.iter().any(|(n, _)| n == "Webhook-Timestamp"));
        let d = d.set("x-new", "1");
        assert_eq!(d.headers.last().unwrap().0, "x-new");
    }

    #[test]
    fn the_reference_verifier_reads_a_delivery() {
        let secret = hookspec::Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let d = Delivery::signed(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            br#"{"test": 2432232314}"#.to_vec(),
        )
        .rename("webhook-id", "Webhook-Id");
        let verified = hookspec::Verifier::new()
            .with_secret(secret)
            .verify_at(&d, &d.body, 1_614_265_330)
            .unwrap();
        assert_eq!(verified.id, "msg_p5jXN8AQM9LWM0D4loKWxJek");
    }

    #[test]
    fn describe_escapes_and_shortens() {
        let d = Delivery::post(vec![0xff, 0xfe, b'{', b'}']).header("webhook-id", "msg_ü");
        let text = d.describe();
        assert!(text.contains("webhook-id: \"msg_ü\""), "{text}");
        assert!(text.contains("body 4 B \"\\xff\\xfe{}\""), "{text}");
    }
}
