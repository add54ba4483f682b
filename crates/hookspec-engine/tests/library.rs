//! The engine as a library: whatever a caller passes, a run reports; it never panics.

use hookspec::SigningKey;
use hookspec_engine::cases::{self, Keys};
use hookspec_engine::check::{self, Config};
use hookspec_engine::report::Verdict;
use hookspec_engine::serve::{ServeConfig, spawn_embedded};

/// The whole catalogue of every scheme, with only an Ed25519 key: the cases written for
/// `v1` secrets or for a key set cannot run, and say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_catalogue_with_only_a_signing_key_reports_instead_of_panicking() {
    let key = SigningKey::generate().unwrap();
    let server = spawn_embedded(ServeConfig::trusting(&[], &[key.public_key()]))
        .await
        .unwrap();
    let all = cases::catalogue();
    let config = Config {
        url: server.base_url(),
        keys: Keys {
            secrets: Vec::new(),
            revoked: None,
            signing_key: Some(key),
            key_set: None,
        },
        observe: Some(server.observe_url()),
        observe_command: None,
        strict: false,
        cases: all.clone(),
        concurrency: check::DEFAULT_CONCURRENCY,
        timeout: check::DEFAULT_TIMEOUT,
        repro_dir: None,
        target_label: None,
    };
    let report = check::run(config, &|_| {}).await.expect("the run starts");
    assert_eq!(report.cases.len(), all.len());
    for (case, result) in all.iter().zip(&report.cases) {
        if cases::applies(case, hookspec::Scheme::V1a) {
            assert_ne!(
                result.verdict,
                Verdict::Failed,
                "{}: {}",
                case.id,
                result.message
            );
        } else {
            assert_eq!(result.verdict, Verdict::Unsupported, "{}", case.id);
            assert!(
                result.message.contains("scheme (v1a)"),
                "{}",
                result.message
            );
        }
    }
    report.assert_conformant();
}
