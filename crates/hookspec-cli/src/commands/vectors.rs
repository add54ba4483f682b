//! `hookspec vectors`: write the test-vector corpus, and check an implementation against it
//! through the adapter line protocol.

use std::fmt::Write as _;
use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use clap::Subcommand;
use hookspec_engine::exit;
use hookspec_engine::report::Report;
use hookspec_engine::vectors::adapter::AdapterProcess;
use hookspec_engine::vectors::harness::{self, Builtin, Clock, HarnessError, Implementation};
use hookspec_engine::vectors::protocol::Request;
use hookspec_engine::vectors::{VectorFile, corpus, reference};

use super::report_args::ReportArgs;
use super::{Failure, Outcome, parse_timeout};

/// Arguments of `hookspec vectors`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Write the corpus (v1.json, v1a.json, v1a-jwks.json, jwt.json) into a folder; the same
    /// bytes on every run.
    Generate(GenerateArgs),
    /// Check an implementation against the vectors through an adapter (exit 0 no divergence,
    /// 1 divergences, 2 bad arguments or vector file, 3 the adapter failed).
    Check(Box<CheckArgs>),
    /// Answer adapter-protocol requests on stdin with the reference verifier.
    #[command(hide = true)]
    Adapter,
}

#[derive(Debug, clap::Args)]
struct GenerateArgs {
    /// The folder to write into (created if missing).
    #[arg(long, default_value = "vectors")]
    out: PathBuf,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// The adapter command, run with `sh -c` (see the adapter protocol in vectors/README.md).
    #[arg(
        long,
        value_name = "CMD",
        required_unless_present = "builtin",
        conflicts_with = "builtin"
    )]
    exec: Option<String>,
    /// Check the built-in reference verifier instead of an adapter.
    #[arg(long)]
    builtin: bool,
    /// A vector file (repeatable). Defaults to the built-in corpus (identical to vectors/).
    #[arg(long = "vectors", value_name = "FILE")]
    vectors: Vec<PathBuf>,
    /// Only this test (repeatable), as `SCHEME:TCID`, e.g. `v1:42`.
    #[arg(long, value_name = "SCHEME:TCID", value_parser = parse_only)]
    only: Vec<(String, u32)>,
    #[command(flatten)]
    reports: ReportArgs,
    /// How long the adapter may take to answer one vector.
    #[arg(long, default_value = "10s", value_parser = parse_timeout)]
    timeout: Duration,
    /// The implementation reads the system clock instead of the request's `now`:
    /// re-sign time-relative vectors at the current time before sending them.
    #[arg(long)]
    system_clock: bool,
}

fn parse_only(text: &str) -> Result<(String, u32), String> {
    let (scheme, id) = text
        .split_once(':')
        .ok_or_else(|| "expected SCHEME:TCID, e.g. v1:42".to_string())?;
    let id = id.parse().map_err(|_| format!("{id:?} is not a test id"))?;
    Ok((scheme.to_string(), id))
}

/// Runs `hookspec vectors`.
pub fn run(args: Args) -> Outcome {
    match args.command {
        Sub::Generate(a) => generate(&a.out),
        Sub::Check(a) => check(*a),
        Sub::Adapter => adapter(),
    }
}

fn generate(out: &Path) -> Outcome {
    let files =
        corpus::generate().map_err(|e| Failure::tool(format!("generating the corpus: {e}")))?;
    std::fs::create_dir_all(out)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", out.display())))?;
    for (name, file) in files {
        let path = out.join(name);
        std::fs::write(&path, file.to_json())
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
        println!("wrote {} ({} tests)", path.display(), file.number_of_tests);
    }
    Ok(exit::OK)
}

fn load(paths: &[PathBuf]) -> Result<Vec<VectorFile>, Failure> {
    if paths.is_empty() {
        return corpus::generate()
            .map(|files| files.into_iter().map(|(_, f)| f).collect())
            .map_err(|e| Failure::tool(format!("generating the corpus: {e}")));
    }
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
            VectorFile::from_json(&text)
                .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))
        })
        .collect()
}

fn select(files: &mut [VectorFile], only: &[(String, u32)]) -> Result<(), Failure> {
    if only.is_empty() {
        return Ok(());
    }
    for file in files.iter_mut() {
        for group in &mut file.test_groups {
            group.tests.retain(|t| {
                only.iter()
                    .any(|(s, id)| *s == file.scheme && *id == t.tc_id)
            });
        }
        file.test_groups.retain(|g| !g.tests.is_empty());
        file.number_of_tests = file.tests().count();
    }
    if files.iter().all(|f| f.number_of_tests == 0) {
        return Err(Failure::usage("--only matches no test in the vector files"));
    }
    Ok(())
}

fn check(args: CheckArgs) -> Outcome {
    let mut files = load(&args.vectors)?;
    select(&mut files, &args.only)?;
    let clock = if args.system_clock {
        Clock::System
    } else {
        Clock::Injected
    };
    let mut repro = String::from("hookspec vectors check");
    let target = match &args.exec {
        Some(cmd) => {
            let _ = write!(repro, " --exec '{}'", cmd.replace('\'', r"'\''"));
            cmd.clone()
        }
        None => {
            repro.push_str(" --builtin");
            "built-in reference verifier".to_string()
        }
    };
    for path in &args.vectors {
        let _ = write!(repro, " --vectors {}", path.display());
    }
    if args.system_clock {
        repro.push_str(" --system-clock");
    }
    let started_at = SystemTime::now();
    let started = Instant::now();
    let result = match &args.exec {
        Some(cmd) => {
            let mut process = AdapterProcess::spawn(cmd, args.timeout)
                .map_err(|e| Failure::tool(e.to_string()))?;
            let result = harness::run(&files, &mut process, clock);
            process.finish();
            result
        }
        None => harness::run(&files, &mut Builtin as &mut dyn Implementation, clock),
    };
    let outcome = result.map_err(|e| match e {
        HarnessError::Render(e) => Failure::usage(format!("broken vector: {e}")),
        e => Failure::tool(e.to_string()),
    })?;
    print!("{}", summary(&outcome, &target, started.elapsed()));
    let mut report = Report::new("vectors check", &target, started_at, false);
    let schemes = files
        .iter()
        .filter(|f| f.number_of_tests > 0)
        .map(|f| f.scheme.as_str());
    report.scheme = Some(Vec::from_iter(std::collections::BTreeSet::from_iter(schemes)).join(", "));
    report.finish(
        harness::to_cases(&outcome, &files, &repro),
        started.elapsed(),
    );
    args.reports.write(&report)?;
    Ok(if outcome.divergences().next().is_some() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// The terminal summary: agreement per flag, then every divergence.
fn summary(outcome: &harness::Report, target: &str, elapsed: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "hookspec vectors check: {target}\n");
    let _ = writeln!(
        out,
        "{:<22} {:>6} {:>8} {:>12}",
        "flag", "agree", "diverge", "unsupported"
    );
    for (flag, c) in outcome.per_flag() {
        let _ = writeln!(
            out,
            "{flag:<22} {:>6} {:>8} {:>12}",
            c.agree, c.diverge, c.unsupported
        );
    }
    let divergences: Vec<_> = outcome.divergences().collect();
    if !divergences.is_empty() {
        let _ = writeln!(out, "\ndivergences:");
        for o in &divergences {
            let _ = writeln!(
                out,
                "  {:<9} [{}] {}: expected {}, got {}",
                o.name(),
                o.flags.join(", "),
                o.comment,
                o.want(),
                o.got()
            );
        }
    }
    let t = outcome.totals();
    let _ = writeln!(
        out,
        "\n{} tests: {} agree, {} diverge, {} unsupported ({} ms)",
        outcome.outcomes.len(),
        t.agree,
        t.diverge,
        t.unsupported,
        elapsed.as_millis()
    );
    out
}

/// The reference verifier as an adapter: one request per stdin line, one answer per line.
fn adapter() -> Outcome {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|e| Failure::tool(format!("reading standard input: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let request: Request = serde_json::from_str(&line)
            .map_err(|e| Failure::usage(format!("request line {}: {e}", n + 1)))?;
        let response = serde_json::to_string(&reference::respond(&request))
            .map_err(|e| Failure::tool(e.to_string()))?;
        writeln!(stdout, "{response}")
            .and_then(|()| stdout.flush())
            .map_err(|e| Failure::tool(format!("writing standard output: {e}")))?;
    }
    Ok(exit::OK)
}
