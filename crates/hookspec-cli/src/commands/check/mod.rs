//! `hookspec check`: run the case catalogue against a webhook endpoint (or, without a URL,
//! against an embedded reference receiver) and report. The run itself is
//! [`hookspec_engine::check::Check`]; this module parses, prints and writes files.

mod args;
pub mod config;
mod hint;

use std::io::IsTerminal as _;
use std::time::Duration;

use hookspec_engine::check::{self, Check, CheckError, Event, Finished};
use hookspec_engine::exit;
use hookspec_engine::report::baseline::Baseline;
use hookspec_engine::report::{Report, terminal};
use indicatif::{ProgressBar, ProgressStyle};

pub use args::Args;
pub use hint::listing;

use super::{Failure, Outcome};

/// Runs `hookspec check`.
pub fn run(mut args: Args) -> Outcome {
    if let Some(path) = &args.write_config {
        config::write_template(path).map_err(args::config_failure)?;
        println!(
            "wrote {}: uncomment what you need; `hookspec check` reads ./hookspec.toml, or pass --config {}",
            path.display(),
            path.display()
        );
        return Ok(exit::OK);
    }
    args.load_config()?;
    if let Some(config) = args.config_path() {
        args.reports.anchor_default(&config)?;
    }
    let scheme = args.gemini.scheme();
    if scheme.uses_jwks() && args.export_vectors.is_some() {
        return Err(Failure::usage(
            "--export-vectors freezes v1 and v1a runs; the key-set schemes' stateless cases are in vectors/v1a-jwks.json and vectors/jwt.json",
        ));
    }
    // With --vectors, --cases/--skip select vector ids (`v1/tc_42`), not catalogue cases.
    if args.vectors.is_empty() {
        let selected = args
            .selection(Check::embedded().scheme(scheme))
            .selected()
            .map_err(check_failure)?;
        if args.list {
            print!("{}", listing(&selected));
            return Ok(exit::OK);
        }
    }
    let expect = match &args.expect {
        Some(path) => {
            Some(Baseline::read(path).map_err(|e| Failure::usage(format!("{e} [{}]", e.code())))?)
        }
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::tool(format!("cannot start the async runtime: {e}")))?;
    let report = if args.vectors.is_empty() {
        let mut report = runtime.block_on(run_checks(&args))?;
        report.scheme = Some(scheme.to_string());
        report
    } else {
        runtime.block_on(replay_vectors(&args))?
    };

    print!(
        "{}",
        terminal::render(&report, std::io::stdout().is_terminal())
    );
    if report.cases.iter().any(|c| c.verdict.is_finding(true)) {
        println!("{}", hint::rerun_hint(&args));
    }
    args.reports.write(&report)?;
    let mut code = report.exit_code();
    if let Some(baseline) = &expect {
        code = compare(baseline, &report);
    }
    if let Some(path) = &args.write_expect {
        let baseline = Baseline::from_report(&report);
        baseline
            .write(path)
            .map_err(|e| Failure::tool(format!("{e} [{}]", e.code())))?;
        println!(
            "wrote {} finding(s) to {}: replace each TODO with the reason it is accepted",
            baseline.findings.len(),
            path.display()
        );
        if expect.is_none() {
            code = exit::OK;
        }
    }
    Ok(code)
}

/// Prints how the run compares with the baseline; the exit code it gives.
fn compare(baseline: &Baseline, report: &Report) -> u8 {
    let c = baseline.compare(report);
    println!(
        "baseline: {} accepted, {} new, {} resolved, {} unused",
        c.accepted.len(),
        c.new_findings.len(),
        c.resolved.len(),
        c.unused.len()
    );
    for id in &c.new_findings {
        println!("  new finding (not in the baseline): {id}");
    }
    for id in &c.resolved {
        println!("  listed but no longer found (update the baseline): {id}");
    }
    for id in &c.unused {
        println!("  listed, but the case did not run: {id}");
    }
    if c.passes() { exit::OK } else { exit::FINDINGS }
}

/// Sets the run up, runs it with a progress bar on a terminal, and returns the report.
async fn run_checks(args: &Args) -> Result<Report, Failure> {
    let check = args.check()?;
    if args.url.is_some() && args.transport.insecure {
        eprintln!(
            "hookspec check: warning: {}",
            hookspec_engine::transport::INSECURE_NOTE
        );
    }
    let started = check.start().await.map_err(check_failure)?;
    if let (Some(url), Some(_)) = (started.key_set_url(), &args.url) {
        eprintln!(
            "hookspec check: serving the key set at {url} (the endpoint must fetch its keys there)"
        );
    }
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    } else {
        ProgressBar::hidden()
    };
    let on_event = |event: Event| match event {
        Event::Started { total } => bar.set_length(total as u64),
        Event::Finished { id, .. } => {
            bar.inc(1);
            bar.set_message(id);
        }
        _ => {}
    };
    let result = started.run(&on_event).await;
    bar.finish_and_clear();
    let finished = result.map_err(check_failure)?;
    if let Some(dir) = &args.export_vectors {
        export_vectors(dir, &finished)?;
    }
    Ok(finished.report)
}

fn check_failure(e: CheckError) -> Failure {
    Failure {
        exit: e.exit_code(),
        message: match e {
            // The same line as any other usage error.
            CheckError::NoCaseMatches(_) | CheckError::NothingSelected => e.to_string(),
            e => format!("{e} [{}]", e.code()),
        },
    }
}

/// Writes the run's deliveries as vector files in `dir`.
fn export_vectors(dir: &std::path::Path, finished: &Finished) -> Result<(), Failure> {
    let export = finished.export();
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::tool(format!("cannot create {}: {e}", dir.display())))?;
    for (name, file) in &export.files {
        let path = dir.join(name);
        std::fs::write(&path, file.to_json())
            .map_err(|e| Failure::tool(format!("cannot write {}: {e}", path.display())))?;
        eprintln!(
            "exported {} vectors to {} (it contains this run's keys)",
            file.number_of_tests,
            path.display()
        );
    }
    if export.skipped > 0 {
        eprintln!(
            "{} deliveries were not exported: their expectation depends on the endpoint's state or their headers are not UTF-8",
            export.skipped
        );
    }
    Ok(())
}

/// Replays `--vectors` files against the URL, or against embedded receivers.
async fn replay_vectors(args: &Args) -> Result<Report, Failure> {
    let mut files = Vec::new();
    for path in &args.vectors {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
        let file = hookspec_engine::vectors::VectorFile::from_json(&text)
            .map_err(|e| Failure::usage(format!("invalid vector file {}: {e}", path.display())))?;
        files.push((path.display().to_string(), file));
    }
    let transport = args.transport.transport()?;
    let target = match &args.url {
        Some(url) => {
            check::http::Target::parse_with(url, &transport)
                .map_err(|e| Failure::usage(format!("{e} [{}]", e.code())))?;
            super::transport_args::warn_if_insecure("check", &transport);
            let trusted = if args.secrets.is_empty() {
                None
            } else {
                Some(args.parsed_secrets()?)
            };
            check::replay::ReplayTarget::Url {
                url: url.clone(),
                trusted,
            }
        }
        None if args.transport.any() => {
            return Err(Failure::usage(
                "--cacert, --insecure, --client-cert, --client-key and --header need a URL; without one, the vectors run against embedded receivers on loopback",
            ));
        }
        None => check::replay::ReplayTarget::Embedded,
    };
    check::replay::replay_with(
        check::replay::Replay {
            files,
            target,
            cases: args.cases.clone(),
            skip: args.skip.clone(),
            timeout: args.timeout(),
            strict: args.strict,
        },
        &transport,
    )
    .await
    .map_err(check_failure)
}
