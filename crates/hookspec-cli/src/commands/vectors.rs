//! `hookspec vectors`: write the test-vector corpus, and check an implementation against it
//! through the adapter line protocol.

use std::fmt::Write as _;
use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use clap::Subcommand;
use hookspec_engine::exit;
use hookspec_engine::report::{CaseResult, Report};
use hookspec_engine::vectors::adapter::AdapterProcess;
use hookspec_engine::vectors::harness::{self, Builtin, Clock, HarnessError, Implementation};
use hookspec_engine::vectors::matrix::{Column, Matrix};
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
    /// Check one or more implementations against the vectors through adapters, side by side
    /// (exit 0 no divergence, 1 divergences, 2 bad arguments or vector file, 3 an adapter
    /// failed).
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
    /// Repeatable as `NAME=CMD` to check several implementations in one run, side by side
    /// (NAME: lower-case letters, digits, `.`, `_`, `-`); a bare CMD is named by itself.
    #[arg(
        long,
        value_name = "[NAME=]CMD",
        required_unless_present = "builtin",
        conflicts_with = "builtin",
        value_parser = parse_exec
    )]
    exec: Vec<NamedAdapter>,
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
    /// Also write the implementation × flag matrix (one column per `--exec`) as Markdown
    /// to FILE.
    #[arg(long, value_name = "FILE")]
    matrix_markdown: Option<PathBuf>,
    /// Also write the implementation × flag matrix as a self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    matrix_html: Option<PathBuf>,
    /// How long the adapter may take to answer one vector.
    #[arg(long, default_value = "10s", value_parser = parse_timeout)]
    timeout: Duration,
    /// The implementation reads the system clock instead of the request's `now`:
    /// re-sign time-relative vectors at the current time before sending them.
    #[arg(long)]
    system_clock: bool,
}

/// One `--exec`: the adapter's name (its column in the matrix) and its command.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NamedAdapter {
    name: String,
    command: String,
}

/// `NAME=CMD` when the text before the first `=` is a name (lower-case letters, digits, `.`,
/// `_`, `-`, starting with a letter or digit); otherwise the whole text is the command and
/// names itself, so `env NODE_PATH=x node a.js` and `PATH=x cmd` stay bare commands.
fn parse_exec(text: &str) -> Result<NamedAdapter, String> {
    let named = text.split_once('=').filter(|(name, _)| {
        name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
    });
    let (name, command) = named.unwrap_or((text, text));
    if command.trim().is_empty() {
        return Err("the adapter command is empty".to_string());
    }
    Ok(NamedAdapter {
        name: name.to_string(),
        command: command.to_string(),
    })
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
    for (i, a) in args.exec.iter().enumerate() {
        if args.exec[..i].iter().any(|b| b.name == a.name) {
            return Err(Failure::usage(format!(
                "two --exec are named {:?}: give each its own NAME=",
                a.name
            )));
        }
    }
    let started_at = SystemTime::now();
    let started = Instant::now();
    let runs = if args.exec.is_empty() {
        run_builtin(&args, &files)?
    } else {
        run_adapters(&args, &files)?
    };
    let mut report = Report::new("vectors check", &runs.target, started_at, false);
    let schemes = files
        .iter()
        .filter(|f| f.number_of_tests > 0)
        .map(|f| f.scheme.as_str());
    report.scheme = Some(Vec::from_iter(std::collections::BTreeSet::from_iter(schemes)).join(", "));
    report.finish(runs.cases, started.elapsed());
    args.reports.write(&report)?;
    write_matrix(&args, &files, runs.columns)?;
    if !runs.failed.is_empty() {
        return Err(Failure::tool(format!(
            "{} of {} adapters could not finish the run: {} (see above)",
            runs.failed.len(),
            args.exec.len(),
            runs.failed.join(", ")
        )));
    }
    Ok(if runs.divergence {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// What the implementations of one `vectors check` did, ready for the reports.
struct Runs {
    /// The report's target: the adapter command, or `NAME=CMD; …` for several.
    target: String,
    cases: Vec<CaseResult>,
    columns: Vec<Column>,
    /// Whether any implementation diverged from a definite expectation.
    divergence: bool,
    /// The adapters that could not finish (only with several: one adapter failing ends the
    /// run at once).
    failed: Vec<String>,
}

fn clock(args: &CheckArgs) -> Clock {
    if args.system_clock {
        Clock::System
    } else {
        Clock::Injected
    }
}

fn run_builtin(args: &CheckArgs, files: &[VectorFile]) -> Result<Runs, Failure> {
    let started = Instant::now();
    let outcome = harness::run(files, &mut Builtin as &mut dyn Implementation, clock(args))
        .map_err(harness_failure)?;
    let target = "built-in reference verifier";
    print!("{}", summary(&outcome, target, started.elapsed()));
    Ok(Runs {
        target: target.to_string(),
        cases: harness::to_cases(&outcome, files, &repro(args, None)),
        columns: vec![Column::finished("builtin", target, &outcome)],
        divergence: outcome.divergences().next().is_some(),
        failed: Vec::new(),
    })
}

/// Runs every `--exec` adapter in turn. With one, its failure ends the run (as it always
/// has); with several, a failing adapter is reported and the others still run, and the
/// matrix shows its column as not run.
fn run_adapters(args: &CheckArgs, files: &[VectorFile]) -> Result<Runs, Failure> {
    let several = args.exec.len() > 1;
    let mut runs = Runs {
        target: if several {
            args.exec
                .iter()
                .map(|a| format!("{}={}", a.name, a.command))
                .collect::<Vec<_>>()
                .join("; ")
        } else {
            args.exec[0].command.clone()
        },
        cases: Vec::new(),
        columns: Vec::new(),
        divergence: false,
        failed: Vec::new(),
    };
    for adapter in &args.exec {
        let started = Instant::now();
        let result = AdapterProcess::spawn(&adapter.command, args.timeout)
            .map_err(HarnessError::from)
            .and_then(|mut process| {
                let result = harness::run(files, &mut process, clock(args));
                process.finish();
                result
            });
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(e @ HarnessError::Render(_)) => return Err(harness_failure(e)),
            Err(e) if !several => return Err(harness_failure(e)),
            Err(e) => {
                eprintln!("hookspec: adapter {}: {e}", adapter.name);
                let column = Column::failed(&adapter.name, &adapter.command, &e.to_string());
                runs.columns.push(column);
                runs.failed.push(adapter.name.clone());
                continue;
            }
        };
        if several {
            let heading = format!("{} ({})", adapter.name, adapter.command);
            println!("{}", summary(&outcome, &heading, started.elapsed()));
        } else {
            print!("{}", summary(&outcome, &adapter.command, started.elapsed()));
        }
        runs.divergence |= outcome.divergences().next().is_some();
        let mut cases = harness::to_cases(&outcome, files, &repro(args, Some(adapter)));
        if several {
            // Case ids stay unique in one report: `NAME/v1/tc_42`.
            for case in &mut cases {
                case.id = format!("{}/{}", adapter.name, case.id);
                case.family = format!("{}/{}", adapter.name, case.family);
            }
        }
        runs.cases.extend(cases);
        runs.columns
            .push(Column::finished(&adapter.name, &adapter.command, &outcome));
    }
    Ok(runs)
}

fn harness_failure(e: HarnessError) -> Failure {
    match e {
        HarnessError::Render(e) => Failure::usage(format!("broken vector: {e}")),
        e => Failure::tool(e.to_string()),
    }
}

/// The command line that re-runs one test (`--only` is appended per test): for `adapter`,
/// or the built-in verifier when `None`.
fn repro(args: &CheckArgs, adapter: Option<&NamedAdapter>) -> String {
    let mut repro = String::from("hookspec vectors check");
    match adapter {
        Some(a) if a.name == a.command => {
            let _ = write!(repro, " --exec '{}'", a.command.replace('\'', r"'\''"));
        }
        Some(a) => {
            let exec = format!("{}={}", a.name, a.command);
            let _ = write!(repro, " --exec '{}'", exec.replace('\'', r"'\''"));
        }
        None => repro.push_str(" --builtin"),
    }
    for path in &args.vectors {
        let _ = write!(repro, " --vectors {}", path.display());
    }
    if args.system_clock {
        repro.push_str(" --system-clock");
    }
    repro
}

/// Writes the matrix files that were asked for.
fn write_matrix(
    args: &CheckArgs,
    files: &[VectorFile],
    columns: Vec<Column>,
) -> Result<(), Failure> {
    if args.matrix_markdown.is_none() && args.matrix_html.is_none() {
        return Ok(());
    }
    let matrix = Matrix::new(files, columns);
    let outputs = [
        (&args.matrix_markdown, "Markdown", matrix.to_markdown()),
        (&args.matrix_html, "HTML", matrix.to_html()),
    ];
    for (path, format, text) in outputs {
        let Some(path) = path else { continue };
        std::fs::write(path, text).map_err(|e| {
            Failure::tool(format!(
                "cannot write the {format} matrix {}: {e}",
                path.display()
            ))
        })?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_names_only_what_looks_like_a_name() {
        let named = parse_exec("node-1.1.1=env NODE_PATH=x node a.js").unwrap();
        assert_eq!(named.name, "node-1.1.1");
        assert_eq!(named.command, "env NODE_PATH=x node a.js");
        for bare in [
            "env NODE_PATH=x node a.js",
            "NODE_PATH=x node a.js",
            "./a --k=v",
            "a b=c",
        ] {
            let parsed = parse_exec(bare).unwrap();
            assert_eq!(
                (parsed.name.as_str(), parsed.command.as_str()),
                (bare, bare)
            );
        }
        assert!(parse_exec("name=").is_err());
        assert!(parse_exec("  ").is_err());
    }
}
