//! What every report format strips before it writes a text that may carry a URL: the
//! `user:password@` part of every URL in it. The targets the engine builds are already
//! redacted ([`crate::check::http::redact_userinfo`]); reports redact again because a
//! target label, a note or a command line may embed a URL anywhere in a longer text (the
//! listen target is `URL (respond SCRIPT)`), which a URL parser does not take whole.

/// `text` with the userinfo (`user:password@`) of every `scheme://` URL in it removed.
///
/// The authority of a URL ends at the first `/`, `?`, `#`, whitespace or quote; a `@` before
/// that ends its userinfo, which is dropped (the last `@`, as URL parsers do).
pub fn userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(i) => out.push_str(&authority[i + 1..]),
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_userinfo_from_every_url_in_a_text() {
        assert_eq!(
            userinfo("https://alice:s3cret@example.com:8443/hook?x=1"),
            "https://example.com:8443/hook?x=1"
        );
        assert_eq!(
            userinfo("http://u:p@127.0.0.1:9/ (respond 200) and ftp://tok@h"),
            "http://127.0.0.1:9/ (respond 200) and ftp://h"
        );
        // A password holding `@` is removed whole (the last `@` ends the userinfo).
        assert_eq!(userinfo("http://u:p@ss@h/x"), "http://h/x");
    }

    #[test]
    fn leaves_texts_without_userinfo_alone() {
        for text in [
            "http://127.0.0.1:8080/hook",
            "mailto:someone@example.com",
            "127.0.0.1:8080 (embedded reference receiver)",
            "python3 adapters/python/adapter.py",
            "http://h/path@not-userinfo",
            "",
        ] {
            assert_eq!(userinfo(text), text);
        }
    }
}
