//! What `hookspec check` prints besides the report: the re-run hint, the `--list` table.

use hookspec::Scheme;
use hookspec_engine::{cases, check};

use super::Args;

/// How to re-run one case with fresh signatures (secrets by reference, never by value).
pub fn rerun_hint(args: &Args) -> String {
    let q = |text: &str| check::repro::shell_quote(text.as_bytes());
    let g = &args.gemini;
    // Keys by reference, never by value; the key-set schemes make fresh keys each run.
    let scheme = match g.scheme() {
        Scheme::V1 => String::new(),
        Scheme::V1a => " --scheme v1a --signing-key whsk_…".to_string(),
        other => {
            let mut flags = format!(" --scheme {other}");
            if let (Some(addr), true) = (g.jwks_listen, args.url.is_some()) {
                flags.push_str(&format!(" --jwks-listen {addr}"));
            }
            for (flag, value) in [
                ("--jwt-audience", &g.jwt_audience),
                ("--jwt-issuer", &g.jwt_issuer),
            ] {
                if let Some(value) = value {
                    flags.push_str(&format!(" {flag} {}", q(value)));
                }
            }
            if g.jwt_body_binding {
                flags.push_str(" --jwt-body-binding");
            }
            flags
        }
    };
    if let Some(path) = args.config_path() {
        // The file carries the endpoint, the key variables and the transport.
        return format!(
            "re-run one case, freshly signed: hookspec check --config {} --cases ID",
            q(&path.to_string_lossy())
        );
    }
    match &args.url {
        Some(url) => {
            let observe = args
                .observe
                .as_deref()
                .map(|o| format!(" --observe {}", q(o)))
                .unwrap_or_default();
            let secret = if g.scheme() == Scheme::V1 {
                " --secret \"$HOOKSPEC_SECRET\""
            } else {
                ""
            };
            format!(
                "re-run one case, freshly signed: hookspec check {}{secret}{scheme}{observe}{} --cases ID",
                q(&hookspec_engine::net::redact_userinfo(url)),
                transport_flags(args)
            )
        }
        None => format!("re-run one case: hookspec check{scheme} --cases ID"),
    }
}

/// The catalogue as printed by `--list`: id, level, title, and what the case needs.
pub fn listing(cases: &[cases::Case]) -> String {
    let mut out = String::new();
    for case in cases {
        // The key set is implied by the scheme the catalogue was listed for.
        let need = match case.need {
            cases::Need::KeySet => "",
            other => other.as_str(),
        };
        let need = if need.is_empty() {
            String::new()
        } else {
            format!("  [needs {need}]")
        };
        out.push_str(&format!(
            "{:<40} {:<6} {}{need}\n",
            case.id,
            case.level.as_str(),
            case.title
        ));
    }
    out.push_str(&format!("{} cases\n", cases.len()));
    out
}

/// The transport flags of the run (files by path, sensitive header values redacted).
fn transport_flags(args: &Args) -> String {
    let q = |text: &str| check::repro::shell_quote(text.as_bytes());
    let t = &args.transport;
    let mut flags = String::new();
    for file in &t.cacert {
        flags.push_str(&format!(" --cacert {}", q(&file.to_string_lossy())));
    }
    if t.insecure {
        flags.push_str(" --insecure");
    }
    if let (Some(cert), Some(key)) = (&t.client_cert, &t.client_key) {
        flags.push_str(&format!(
            " --client-cert {} --client-key {}",
            q(&cert.to_string_lossy()),
            q(&key.to_string_lossy())
        ));
    }
    for text in &t.headers {
        let shown = match hookspec_engine::transport::ExtraHeader::parse(text) {
            Ok(header) => header.display(),
            Err(_) => continue,
        };
        flags.push_str(&format!(" -H {}", q(&shown)));
    }
    flags
}
