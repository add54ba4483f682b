//! The observer (effect oracle): `GET <observe URL>` returns a JSON object mapping each
//! `webhook-id` the endpoint acted on to the number of times it did, e.g. `{"msg_1": 1}`.

use std::collections::BTreeMap;
use std::time::Duration;

use super::CheckError;
use super::http::Target;

/// The largest observer document read (a long-lived endpoint may list many ids).
const MAX_BODY: usize = 32 * 1024 * 1024;

/// A client for one observer URL.
#[derive(Debug, Clone)]
pub struct Observer {
    target: Target,
    timeout: Duration,
}

impl Observer {
    /// An observer at `url`.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, CheckError> {
        Ok(Self {
            target: Target::parse(url)?,
            timeout,
        })
    }

    /// The observer URL (for messages).
    pub fn display(&self) -> String {
        self.target.display()
    }

    /// The current effect counts.
    pub async fn counts(&self) -> Result<BTreeMap<String, u64>, String> {
        let response = self.target.get(self.timeout, MAX_BODY).await?;
        if !(200..300).contains(&response.status) {
            return Err(format!("GET answered status {}", response.status));
        }
        parse_counts(&response.body)
    }
}

/// Parses an observer document: a JSON object whose values are non-negative integers.
pub fn parse_counts(body: &[u8]) -> Result<BTreeMap<String, u64>, String> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| format!("not JSON ({e}); expected {{\"<webhook-id>\": <count>, …}}"))?;
    let serde_json::Value::Object(map) = value else {
        return Err("not a JSON object; expected {\"<webhook-id>\": <count>, …}".into());
    };
    map.into_iter()
        .map(|(id, count)| match count.as_u64() {
            Some(n) => Ok((id, n)),
            None => Err(format!(
                "the count for {id:?} is {count}, not a non-negative integer"
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents() {
        let m = parse_counts(br#"{"msg_1": 1, "msg_2": 3}"#).unwrap();
        assert_eq!(m["msg_2"], 3);
        assert!(parse_counts(b"{}").unwrap().is_empty());
        assert!(parse_counts(b"[]").is_err());
        assert!(parse_counts(br#"{"a": -1}"#).is_err());
        assert!(parse_counts(br#"{"a": "1"}"#).is_err());
        assert!(parse_counts(b"<html>").is_err());
    }
}
