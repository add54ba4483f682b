//! One-line reproductions of a delivery: a `curl` command with the exact headers (name
//! spelling, order, repeats) and the body in a file, sent over HTTP/1.1 so header case
//! survives. The command contains the signature that was sent, never a secret; signatures
//! of time-dependent deliveries go stale after the endpoint's tolerance, so the checker
//! also prints how to re-run a case freshly signed.

use std::path::{Path, PathBuf};

use crate::delivery::Delivery;

/// Writes bodies of decisive deliveries to files in one directory, created on first use.
#[derive(Debug)]
pub struct BodyFiles {
    dir: PathBuf,
    created: bool,
}

impl BodyFiles {
    /// Body files go to `dir`.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            created: false,
        }
    }

    /// Writes `body` as `<case id with / as ->.body` and returns its path.
    pub fn write(&mut self, case: &str, body: &[u8]) -> std::io::Result<PathBuf> {
        if !self.created {
            std::fs::create_dir_all(&self.dir)?;
            self.created = true;
        }
        let path = self.dir.join(format!("{}.body", case.replace('/', "-")));
        std::fs::write(&path, body)?;
        Ok(path)
    }
}

/// The `curl` command that replays `delivery` to `url` with the body from `body_file`;
/// `options` are raw curl arguments added after the delivery's headers (the run's
/// transport: see [`crate::transport::Transport::curl_args`]).
pub fn curl(url: &str, delivery: &Delivery, body_file: &Path, options: &[Vec<u8>]) -> String {
    let mut parts = vec![
        "curl".to_string(),
        "-sS".into(),
        "-i".into(),
        "--http1.1".into(),
        "-X".into(),
        shell_quote(delivery.method.as_bytes()),
        shell_quote(url.as_bytes()),
    ];
    let has_content_type = delivery.first("content-type").is_some();
    for (name, value) in &delivery.headers {
        // curl's syntax: `Name: value`, or `Name;` for an empty value (`Name:` removes it).
        let mut field = name.as_bytes().to_vec();
        if value.is_empty() {
            field.push(b';');
        } else {
            field.extend_from_slice(b": ");
            field.extend_from_slice(value);
        }
        parts.push("-H".into());
        parts.push(shell_quote(&field));
    }
    if !has_content_type {
        // Otherwise curl adds its own form content type.
        parts.push("-H".into());
        parts.push(shell_quote(b"Content-Type:"));
    }
    parts.extend(options.iter().map(|o| shell_quote(o)));
    let mut file = b"@".to_vec();
    file.extend_from_slice(body_file.to_string_lossy().as_bytes());
    parts.push("--data-binary".into());
    parts.push(shell_quote(&file));
    parts.join(" ")
}

/// Quotes bytes for a POSIX shell: `'…'` when printable UTF-8 without `'` or control
/// characters, otherwise `$'…'` with escapes.
pub fn shell_quote(bytes: &[u8]) -> String {
    let plain = std::str::from_utf8(bytes)
        .is_ok_and(|s| !s.is_empty() && s.chars().all(|c| !c.is_control() && c != '\''));
    if plain {
        let s = String::from_utf8_lossy(bytes);
        if s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@,=+%".contains(&b))
        {
            return s.into_owned();
        }
        return format!("'{s}'");
    }
    let mut out = String::from("$'");
    for &b in bytes {
        match b {
            b'\'' => out.push_str("\\'"),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_keeps_spelling_repeats_and_empty_values() {
        let d = Delivery::signed("", "17", "v1,a", b"{}".to_vec())
            .rename("webhook-timestamp", "WEBHOOK-TIMESTAMP")
            .header("webhook-signature", "v1,b c");
        let cmd = curl("http://127.0.0.1:1/h", &d, Path::new("/tmp/x y.body"), &[]);
        assert_eq!(
            cmd,
            "curl -sS -i --http1.1 -X POST http://127.0.0.1:1/h -H 'content-type: application/json' -H 'webhook-id;' -H 'WEBHOOK-TIMESTAMP: 17' -H 'webhook-signature: v1,a' -H 'webhook-signature: v1,b c' --data-binary '@/tmp/x y.body'"
        );
    }

    #[test]
    fn quoting_escapes_quotes_controls_and_raw_bytes() {
        assert_eq!(shell_quote(b"it's"), "$'it\\'s'");
        assert_eq!(shell_quote(&[b'a', 0xff]), "$'a\\xff'");
        assert_eq!(shell_quote("ü".as_bytes()), "'ü'");
        assert_eq!(shell_quote(b""), "$''");
        let no_ct = curl("http://h/", &Delivery::post(""), Path::new("b"), &[]);
        assert!(no_ct.contains("-H Content-Type:"), "{no_ct}");
    }
}
