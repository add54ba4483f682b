//! The report flags shared by `check`, `listen` and `vectors check`: one flag per format,
//! every format written through [`hookspec_engine::report::Format`].

use std::path::{Path, PathBuf};

use hookspec_engine::report::{
    Format, Html, Json, Junit, Markdown, Report, Sarif, command_line, sarif,
};

use super::Failure;

/// Where to write the report, per format (each optional; the terminal report is always
/// printed).
#[derive(Debug, Default, clap::Args)]
pub struct ReportArgs {
    /// Also write the report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Also write the report as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Also write the report as one self-contained HTML page to FILE (no external resources;
    /// readable from a CI artifact, with or without JavaScript).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Also write a compact Markdown summary to FILE: outcome, counts, notes, the findings
    /// table and the re-run command, under 1 MB (for $GITHUB_STEP_SUMMARY or a merge-request
    /// comment).
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Also write the report as SARIF 2.1.0 to FILE, for GitHub code scanning: one result per
    /// FAILED (error) and NON-STRICT (warning) case, located in --sarif-anchor.
    #[arg(long, value_name = "FILE")]
    sarif: Option<PathBuf>,
    /// The repository file every SARIF result points at (code scanning needs one): a path
    /// relative to the repository root, without `..`. Defaults to the config file when one
    /// is used, else hookspec.toml.
    #[arg(long, value_name = "PATH", value_parser = parse_anchor)]
    sarif_anchor: Option<String>,
    /// The anchor a caller set with [`ReportArgs::anchor_default`] (the config file).
    #[arg(skip)]
    anchor_default: Option<String>,
}

/// `--sarif-anchor`: a repository-relative path (exit 2 otherwise, through clap).
fn parse_anchor(text: &str) -> Result<String, String> {
    sarif::anchor(text).map_err(|e| e.to_string())
}

impl ReportArgs {
    /// Makes `path` (the config file the run read) the SARIF anchor unless `--sarif-anchor`
    /// was given. A relative path is used as it is; an absolute one is made relative to the
    /// current directory (a CI job runs at the repository root). A path that cannot be made
    /// repository-relative is a usage error only when `--sarif` is asked for without
    /// `--sarif-anchor`.
    pub fn anchor_default(&mut self, path: &Path) -> Result<(), Failure> {
        if self.sarif_anchor.is_some() {
            return Ok(());
        }
        let relative = match std::env::current_dir() {
            Ok(cwd) if path.is_absolute() => path.strip_prefix(&cwd).unwrap_or(path),
            _ => path,
        };
        match sarif::anchor(&relative.to_string_lossy()) {
            Ok(anchor) => {
                self.anchor_default = Some(anchor);
                Ok(())
            }
            Err(_) if self.sarif.is_none() => Ok(()),
            Err(e) => Err(Failure::usage(format!(
                "{e} (the config file {} is the default SARIF anchor; give --sarif-anchor PATH) [{}]",
                path.display(),
                e.code()
            ))),
        }
    }

    /// The anchor the SARIF results point at.
    fn anchor(&self) -> &str {
        self.sarif_anchor
            .as_deref()
            .or(self.anchor_default.as_deref())
            .unwrap_or(sarif::DEFAULT_ANCHOR)
    }

    /// Writes every requested report file. The report gets the re-run command line of this
    /// process (secrets replaced by placeholders) when it has none.
    pub fn write(&self, report: &Report) -> Result<(), Failure> {
        let mut with_command_line;
        let report = if report.command_line.is_none() {
            with_command_line = report.clone();
            let args: Vec<_> = std::env::args_os().collect();
            with_command_line.command_line = Some(command_line::redacted(&args));
            &with_command_line
        } else {
            report
        };
        let sarif =
            Sarif::new(self.anchor()).map_err(|e| Failure::usage(format!("{e} [{}]", e.code())))?;
        let markdown = Markdown::default();
        let requested: [(&dyn Format, &Option<PathBuf>); 5] = [
            (&Json, &self.json),
            (&Junit, &self.junit),
            (&Html, &self.html),
            (&markdown, &self.markdown),
            (&sarif, &self.sarif),
        ];
        for (format, path) in requested {
            let Some(path) = path else { continue };
            format.write(report, path).map_err(|e| {
                Failure::tool(format!(
                    "cannot write the {} report {}: {e}",
                    format.name(),
                    path.display()
                ))
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(sarif: bool, anchor: Option<&str>) -> ReportArgs {
        ReportArgs {
            sarif: sarif.then(|| PathBuf::from("out.sarif")),
            sarif_anchor: anchor.map(str::to_string),
            ..ReportArgs::default()
        }
    }

    #[test]
    fn the_config_file_is_the_default_anchor() {
        let mut a = args(true, None);
        assert_eq!(a.anchor(), sarif::DEFAULT_ANCHOR);
        a.anchor_default(Path::new("./ci/hookspec.toml")).unwrap();
        assert_eq!(a.anchor(), "ci/hookspec.toml");
        // Absolute, under the current directory: made relative.
        let mut a = args(true, None);
        let cwd = std::env::current_dir().unwrap();
        a.anchor_default(&cwd.join("conf").join("hookspec.toml"))
            .unwrap();
        assert_eq!(a.anchor(), "conf/hookspec.toml");
    }

    #[test]
    fn an_explicit_anchor_wins() {
        let mut a = args(true, Some("security/hookspec.toml"));
        a.anchor_default(Path::new("other.toml")).unwrap();
        assert_eq!(a.anchor(), "security/hookspec.toml");
    }

    #[test]
    fn a_config_outside_the_repository_is_an_error_only_for_sarif() {
        let outside = Path::new("../elsewhere/hookspec.toml");
        let mut a = args(true, None);
        let e = a.anchor_default(outside).unwrap_err();
        assert!(e.message.contains("--sarif-anchor"), "{}", e.message);
        assert!(args(false, None).anchor_default(outside).is_ok());
        assert!(args(true, Some("x.toml")).anchor_default(outside).is_ok());
    }
}
