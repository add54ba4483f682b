//! `hookspec check --config FILE` and `./hookspec.toml`: a file alone runs a check, flags
//! win over it, secrets come from the environment variables it names, relative paths are
//! relative to it, and `--write-config` writes a file that loads back.

use std::path::Path;
use std::process::{Command, Output};

use hookspec::{Secret, Verifier};
use hookspec_engine::serve::{LogSink, RunningServer, ServeConfig, spawn};

use crate::support::tls::{Demands, Pki, TlsProxy};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn reference() -> RunningServer {
    spawn(
        ServeConfig::new(Verifier::new().with_secret(Secret::parse(SECRET).unwrap()))
            .addr(([127, 0, 0, 1], 0).into())
            .log(LogSink::Off),
    )
    .await
    .unwrap()
}

/// `hookspec ARGS` in `dir`, with `env` set and no HOOKSPEC_SECRET.
fn hookspec_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hookspec"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("HOOKSPEC_SECRET");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

async fn hookspec_async(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        hookspec_in(&dir, &args, &env)
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The ids of the cases in a run's terminal report.
fn case_ids(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let verdict = words.next()?;
            let id = words.next()?;
            (matches!(
                verdict,
                "OK" | "INFORMATIONAL" | "FAILED" | "NON-STRICT" | "UNSUPPORTED"
            ) && id.contains('/'))
            .then(|| id.to_string())
        })
        .collect()
}

#[test]
fn a_discovered_file_alone_runs_the_embedded_receiver_and_no_config_ignores_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hookspec.toml"),
        "cases = [\"signature/tampered-tag\", \"timestamp/within-tolerance\"]\nconcurrency = 2\n",
    )
    .unwrap();
    let out = hookspec_in(dir.path(), &["check"], &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "hookspec check: using ./hookspec.toml (--no-config ignores it)"
    );
    assert_eq!(
        case_ids(&text(&out.stdout)),
        ["signature/tampered-tag", "timestamp/within-tolerance"]
    );

    let out = hookspec_in(
        dir.path(),
        &["check", "--no-config", "--cases", "body"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    assert!(
        case_ids(&text(&out.stdout))
            .iter()
            .all(|id| id.starts_with("body/"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_secret_env_checks_a_served_receiver() {
    let server = reference().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("gate.toml");
    std::fs::write(
        &config,
        format!(
            "target = \"{}\"\nsecret_env = [\"GATE_SECRET\"]\ncases = [\"signature/valid-after-foreign\", \"signature/tampered-tag\"]\nobserve = \"{}\"\n",
            server.base_url(),
            server.observe_url()
        ),
    )
    .unwrap();
    let args = ["check", "--config", "gate.toml"];
    let out = hookspec_async(dir.path(), &args, &[("GATE_SECRET", SECRET)]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(
        case_ids(&text(&out.stdout)),
        ["signature/tampered-tag", "signature/valid-after-foreign"]
    );
    // The file's observer was used: no note about a missing one.
    assert!(!text(&out.stdout).contains("without an observer"));

    // An unset variable is a configuration error naming it, not any value.
    let out = hookspec_async(dir.path(), &args, &[]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "hookspec: error: gate.toml:2:14: secret_env names the environment variable GATE_SECRET, which is unset or empty [config_env_unset]"
    );
    // HOOKSPEC_SECRET (like --secret) wins over the file's variable.
    let out = hookspec_async(
        dir.path(),
        &args,
        &[
            ("HOOKSPEC_SECRET", SECRET),
            ("GATE_SECRET", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_win_over_the_file() {
    let server = reference().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hookspec.toml"),
        format!(
            "target = \"{nowhere}\"\nsecret_env = \"GATE_SECRET\"\ncases = [\"timestamp\"]\ntimeout = \"30s\"\n"
        ),
    )
    .unwrap();
    let env = [("GATE_SECRET", SECRET)];
    // The file alone: its unreachable target.
    let out = hookspec_async(dir.path(), &["check"], &env).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(&nowhere),
        "{}",
        text(&out.stderr)
    );
    // The URL and --cases given as flags replace the file's.
    let url = server.base_url();
    let out = hookspec_async(
        dir.path(),
        &["check", &url, "--cases", "signature/tampered-tag"],
        &env,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(case_ids(&text(&out.stdout)), ["signature/tampered-tag"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_paths_are_relative_to_the_file_and_header_env_values_stay_secret() {
    const KEY: &str = "gw-0b1c2d-not-for-logs";
    let pki = Pki::new();
    let server = reference().await;
    let demands = Demands {
        header: Some(("X-Gateway-Key".into(), KEY.into())),
        ..Demands::default()
    };
    let proxy = TlsProxy::spawn(&pki, server.local_addr(), demands).await;
    let dir = tempfile::tempdir().unwrap();
    let ci = dir.path().join("ci");
    std::fs::create_dir_all(ci.join("certs")).unwrap();
    std::fs::copy(&pki.ca_pem, ci.join("certs/ca.pem")).unwrap();
    std::fs::write(
        ci.join("hookspec.toml"),
        format!(
            "target = \"{}\"\nsecret_env = [\"GATE_SECRET\"]\ncases = [\"signature/valid-after-foreign\"]\n[headers]\n\"X-Env\" = \"test\"\n[header_env]\n\"X-Gateway-Key\" = \"GATE_KEY\"\n[tls]\ncacert = \"certs/ca.pem\"\n",
            proxy.url("/")
        ),
    )
    .unwrap();
    let json = dir.path().join("report.json");
    let args = [
        "check",
        "--config",
        "ci/hookspec.toml",
        "--json",
        json.to_str().unwrap(),
    ];
    let env = [("GATE_SECRET", SECRET), ("GATE_KEY", KEY)];
    let out = hookspec_async(dir.path(), &args, &env).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // Without the gateway key the run is rejected: the file's header was what passed it.
    let out = hookspec_async(
        dir.path(),
        &args,
        &[("GATE_SECRET", SECRET), ("GATE_KEY", "wrong")],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    for shown in [
        text(&out.stdout),
        text(&out.stderr),
        std::fs::read_to_string(&json).unwrap(),
    ] {
        assert!(!shown.contains("X-Gateway-Key: wrong"), "{shown}");
        assert!(!shown.contains(KEY), "{shown}");
    }
    assert!(
        std::fs::read_to_string(&json)
            .unwrap()
            .contains("X-Gateway-Key: <redacted>")
    );
}

#[test]
fn write_config_writes_a_starter_that_loads_back_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let out = hookspec_in(dir.path(), &["check", "--write-config"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(dir.path().join("hookspec.toml")).unwrap();
    assert!(written.contains("# target = "), "{written}");
    let out = hookspec_in(
        dir.path(),
        &["check", "--write-config", "hookspec.toml"],
        &[],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("config_exists"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("hookspec.toml")).unwrap(),
        written
    );
    // The starter file runs as it is: the embedded receiver, every case passing.
    let out = hookspec_in(
        dir.path(),
        &[
            "check",
            "--config",
            "hookspec.toml",
            "--cases",
            "signature/tampered-tag",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(case_ids(&text(&out.stdout)), ["signature/tampered-tag"]);
}

#[test]
fn config_errors_are_one_located_line_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (body, expected) in [
        (
            "strict = true\ntimout = \"5s\"\n",
            "hookspec: error: bad.toml:2:1: unknown field `timout`",
        ),
        (
            "timeout = \"5 parsecs\"\n",
            "hookspec: error: bad.toml:1:11: timeout:",
        ),
        (
            "secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n",
            "hookspec: error: bad.toml:1:10: secret would store a secret in the file",
        ),
    ] {
        std::fs::write(dir.path().join("bad.toml"), body).unwrap();
        let out = hookspec_in(dir.path(), &["check", "--config", "bad.toml"], &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with(expected), "{stderr}");
        assert!(!stderr.contains("MfKQ9r8G"), "{stderr}");
    }
    let out = hookspec_in(dir.path(), &["check", "--config", "missing.toml"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("config_not_found"));
    let out = hookspec_in(
        dir.path(),
        &["check", "--config", "bad.toml", "--no-config"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn list_shows_the_files_selection_without_reading_its_secrets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hookspec.toml"),
        "target = \"https://staging.example.com/webhooks\"\nsecret_env = \"GATE_SECRET_UNSET\"\ncases = [\"signature/tampered-tag\"]\n[header_env]\n\"X-Gateway-Key\" = \"GATE_KEY_UNSET\"\n",
    )
    .unwrap();
    let out = hookspec_in(dir.path(), &["check", "--list"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).ends_with("1 cases\n"),
        "{}",
        text(&out.stdout)
    );
}

/// GitHub rejects a SARIF upload whose results lack a repository file: with a config file,
/// the file itself is that location (as the path the run was given, relative to the
/// repository root where the job runs); `--sarif-anchor` still wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_file_is_the_sarif_location_unless_an_anchor_is_given() {
    let receiver = crate::support::receivers::spawn_flawed(
        crate::support::receivers::Flaw::PrefixComparison,
        &[Secret::parse(SECRET).unwrap()],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("ci")).unwrap();
    std::fs::write(
        dir.path().join("ci/hookspec.toml"),
        format!(
            "target = \"{}\"\nsecret_env = \"WEBHOOK_SECRET\"\ncases = [\"signature\"]\n",
            receiver.base_url
        ),
    )
    .unwrap();
    let uris = |sarif: &str| -> Vec<String> {
        let log: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join(sarif)).unwrap())
                .unwrap();
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    // The receiver compares signatures by prefix: the signature family has findings.
    let env = [("WEBHOOK_SECRET", SECRET)];
    let out = hookspec_async(
        dir.path(),
        &[
            "check",
            "--config",
            "ci/hookspec.toml",
            "--sarif",
            "a.sarif",
        ],
        &env,
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("a.sarif")).unwrap())
            .unwrap();
    assert!(
        log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len()
            > 1
    );
    let anchored = uris("a.sarif");
    assert!(!anchored.is_empty());
    assert!(
        anchored.iter().all(|u| u == "ci/hookspec.toml"),
        "{anchored:?}"
    );

    let out = hookspec_async(
        dir.path(),
        &[
            "check",
            "--config",
            "ci/hookspec.toml",
            "--sarif",
            "b.sarif",
            "--sarif-anchor",
            "deploy/webhooks.yaml",
        ],
        &env,
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(!uris("b.sarif").is_empty());
    assert!(uris("b.sarif").iter().all(|u| u == "deploy/webhooks.yaml"));
}
