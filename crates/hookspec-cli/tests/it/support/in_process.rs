//! The checker run in-process, as the tests that inspect its report run it.

use std::time::Duration;

use hookspec_engine::cases::{Case, Keys};
use hookspec_engine::check::{self, Config};
use hookspec_engine::report::Report;

/// Runs `cases` against `url` with `keys` (4 at a time, 30 s timeouts); reproductions go to a
/// temporary folder removed when the run is over.
pub async fn run_check(
    url: &str,
    keys: Keys,
    observe: Option<&str>,
    strict: bool,
    cases: Vec<Case>,
) -> Report {
    let dir = tempfile::Builder::new()
        .prefix("hookspec-it-check-")
        .tempdir()
        .expect("temporary directory");
    let config = Config {
        url: url.to_string(),
        keys,
        observe: observe.map(str::to_string),
        observe_command: None,
        strict,
        cases,
        concurrency: 4,
        timeout: Duration::from_secs(30),
        repro_dir: Some(dir.path().to_path_buf()),
        target_label: None,
    };
    check::run(config, &|_| {})
        .await
        .expect("the run completes")
}
