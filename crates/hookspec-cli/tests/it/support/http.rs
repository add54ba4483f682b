//! Sending deliveries and reading observers over real HTTP.

use std::collections::BTreeMap;
use std::time::Duration;

use hookspec::{Secret, Signer};

/// An HTTP client for tests (no redirects, 30 s timeout: generous for a loaded machine).
pub fn client() -> reqwest::Client {
    hookspec_engine::net::http_client(Duration::from_secs(30)).expect("HTTP client")
}

/// The three headers of a delivery signed with `secret`.
pub fn signed(secret: &Secret, id: &str, timestamp: u64, body: &[u8]) -> Vec<(String, String)> {
    let signature = Signer::new()
        .with_secret(secret.clone())
        .sign(id, timestamp, body)
        .expect("sign");
    vec![
        ("webhook-id".into(), id.into()),
        ("webhook-timestamp".into(), timestamp.to_string()),
        ("webhook-signature".into(), signature),
    ]
}

/// Replaces (or with `None` removes) every header named `name`.
pub fn with_header(
    mut headers: Vec<(String, String)>,
    name: &str,
    value: Option<&str>,
) -> Vec<(String, String)> {
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    if let Some(value) = value {
        headers.push((name.into(), value.into()));
    }
    headers
}

/// The answer to a POST: status and body text.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The response body.
    pub body: String,
}

impl Answer {
    /// The `code` field of a JSON rejection body, if any.
    pub fn code(&self) -> Option<String> {
        let value: serde_json::Value = serde_json::from_str(&self.body).ok()?;
        value.get("code")?.as_str().map(str::to_owned)
    }
}

/// POSTs `body` with `headers` (in order; repeated names are sent repeated).
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    headers: &[(String, String)],
    body: impl Into<Vec<u8>>,
) -> Answer {
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.into());
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request.send().await.expect("POST reaches the receiver");
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    Answer { status, body }
}

/// GETs an observer and parses the contract's JSON object (`{"id": count}`).
pub async fn observed(client: &reqwest::Client, url: &str) -> BTreeMap<String, u64> {
    let response = client.get(url).send().await.expect("GET observer");
    assert_eq!(response.status().as_u16(), 200, "observer status");
    let text = response.text().await.expect("observer body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("observer JSON {text:?}: {e}"))
}

/// Now, in Unix seconds.
pub fn now() -> u64 {
    hookspec::internal::unix_now()
}
