//! The re-run command line a report carries ([`super::Report::command_line`]): the
//! arguments hookspec was started with, shell-quoted, with every secret removed.
//!
//! The rule, documented in docs/src/report-formats.md:
//!
//! - the value of a flag that carries a key is replaced by the environment variable a CI
//!   job keeps it in: `--secret whsec_…` becomes `--secret "$HOOKSPEC_SECRET"` (the variable
//!   `check` and `listen` also read), `--revoked-secret` becomes `"$HOOKSPEC_REVOKED_SECRET"`,
//!   `--signing-key` becomes `"$HOOKSPEC_SIGNING_KEY"`, and `--observe-cmd` (a command that
//!   may hold database credentials) becomes `"$HOOKSPEC_OBSERVE_CMD"`;
//! - a header flag (`--header`, `-H`) keeps the header name and drops the value of a header
//!   that authenticates (`authorization`, `cookie`, and any name with `auth`, `token`,
//!   `secret`, `key`, `session` or `password` in it);
//! - anywhere else, a `whsec_`/`whsk_` key is cut to its prefix and the `user:password@` of
//!   a URL is removed;
//! - the program name becomes `hookspec`.

use std::ffi::OsString;

use crate::check::repro::shell_quote;
use crate::net::redact_userinfo_in_text;

/// Flags whose value is a secret, with the placeholder that replaces it.
const SECRET_FLAGS: [(&str, &str); 4] = [
    ("--secret", "\"$HOOKSPEC_SECRET\""),
    ("--revoked-secret", "\"$HOOKSPEC_REVOKED_SECRET\""),
    ("--signing-key", "\"$HOOKSPEC_SIGNING_KEY\""),
    ("--observe-cmd", "\"$HOOKSPEC_OBSERVE_CMD\""),
];

/// Flags whose value is one `Name: value` header.
const HEADER_FLAGS: [&str; 2] = ["--header", "-H"];

/// Key prefixes whose bytes after the prefix are secret.
const KEY_PREFIXES: [&str; 2] = ["whsec_", "whsk_"];

/// The command line of `args` (program name first, as [`std::env::args_os`] gives it), with
/// the secrets removed as the module documentation says.
pub fn redacted(args: &[OsString]) -> String {
    let mut words = vec!["hookspec".to_string()];
    // What the previous argument asked of this one.
    let mut pending: Option<Pending> = None;
    for arg in args.iter().skip(1) {
        let text = arg.to_string_lossy();
        let word = match pending.take() {
            Some(Pending::Secret(placeholder)) => placeholder.to_string(),
            Some(Pending::Header) => shell_quote(header(&text).as_bytes()),
            None => {
                if let Some((flag, placeholder)) = secret_flag(&text) {
                    if text.contains('=') {
                        format!("{flag}={placeholder}")
                    } else {
                        pending = Some(Pending::Secret(placeholder));
                        flag.to_string()
                    }
                } else if let Some((flag, value)) = header_flag(&text) {
                    match value {
                        Some(value) => shell_quote(format!("{flag}={}", header(value)).as_bytes()),
                        None => {
                            pending = Some(Pending::Header);
                            flag.to_string()
                        }
                    }
                } else {
                    shell_quote(plain(&text).as_bytes())
                }
            }
        };
        words.push(word);
    }
    words.join(" ")
}

enum Pending {
    Secret(&'static str),
    Header,
}

/// The secret flag `text` is (`--secret` or `--secret=…`), with its placeholder.
fn secret_flag(text: &str) -> Option<(&'static str, &'static str)> {
    let name = text.split_once('=').map_or(text, |(name, _)| name);
    SECRET_FLAGS.into_iter().find(|(flag, _)| *flag == name)
}

/// The header flag `text` is, with its inline value (`--header=…`) if any.
fn header_flag(text: &str) -> Option<(&'static str, Option<&str>)> {
    HEADER_FLAGS.into_iter().find_map(|flag| {
        if text == flag {
            Some((flag, None))
        } else {
            text.strip_prefix(flag)
                .and_then(|rest| rest.strip_prefix('='))
                .map(|value| (flag, Some(value)))
        }
    })
}

/// One `Name: value` header with the value of an authenticating header removed.
fn header(text: &str) -> String {
    match text.split_once(':') {
        Some((name, _)) if authenticates(name) => format!("{name}: …"),
        Some(_) => plain(text),
        None => "…".to_string(),
    }
}

/// Whether a header of this name carries a credential.
fn authenticates(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    name == "cookie"
        || ["auth", "token", "secret", "key", "session", "password"]
            .iter()
            .any(|word| name.contains(word))
}

/// `text` with key material cut to its prefix and URL userinfo removed.
fn plain(text: &str) -> String {
    let mut out = redact_userinfo_in_text(text);
    for prefix in KEY_PREFIXES {
        let mut cut = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(at) = rest.find(prefix) {
            cut.push_str(&rest[..at + prefix.len()]);
            cut.push('…');
            let after = &rest[at + prefix.len()..];
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || "+/=_-".contains(c)))
                .unwrap_or(after.len());
            rest = &after[end..];
        }
        cut.push_str(rest);
        out = cut;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(args: &[&str]) -> String {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        redacted(&args)
    }

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn secret_values_become_placeholders() {
        let text = line(&[
            "/usr/local/bin/hookspec",
            "check",
            "https://ci:hunter2@staging.example.com/hook",
            "--secret",
            SECRET,
            "--secret=whsec_other",
            "--signing-key",
            "whsk_c2VjcmV0LWtleQ==",
            "--revoked-secret",
            "whsec_old",
            "--observe-cmd",
            "psql postgres://app:dbpass@db/app -c 'select 1'",
            "--sarif",
            "out dir/hookspec.sarif",
        ]);
        assert_eq!(
            text,
            "hookspec check https://staging.example.com/hook --secret \"$HOOKSPEC_SECRET\" \
             --secret=\"$HOOKSPEC_SECRET\" --signing-key \"$HOOKSPEC_SIGNING_KEY\" \
             --revoked-secret \"$HOOKSPEC_REVOKED_SECRET\" --observe-cmd \"$HOOKSPEC_OBSERVE_CMD\" \
             --sarif 'out dir/hookspec.sarif'"
        );
        for leaked in [
            "MfKQ9r8G",
            "other",
            "c2VjcmV0",
            "whsec_old",
            "hunter2",
            "dbpass",
        ] {
            assert!(!text.contains(leaked), "{leaked} in {text}");
        }
    }

    #[test]
    fn authenticating_header_values_are_dropped_and_others_kept() {
        let text = line(&[
            "hookspec",
            "check",
            "URL",
            "--header",
            "Authorization: Bearer abc.def",
            "-H",
            "X-Api-Key: k123",
            "--header=Cookie: sid=42",
            "--header",
            "X-Tenant: blue",
        ]);
        assert_eq!(
            text,
            "hookspec check URL --header 'Authorization: …' -H 'X-Api-Key: …' \
             '--header=Cookie: …' --header 'X-Tenant: blue'"
        );
    }

    #[test]
    fn keys_elsewhere_are_cut_to_their_prefix() {
        let text = line(&[
            "hookspec",
            "listen",
            &format!("--note={SECRET}x"),
            "whsk_abc/+=",
        ]);
        assert_eq!(text, "hookspec listen '--note=whsec_…' 'whsk_…'");
    }
}
