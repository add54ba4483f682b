//! The report flags shared by `check`, `listen` and `vectors check`: one flag per format,
//! every format written through [`hookspec_engine::report::Format`].

use std::path::PathBuf;

use hookspec_engine::report::{Format, Json, Junit, Report};

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
}

impl ReportArgs {
    /// Writes every requested report file.
    pub fn write(&self, report: &Report) -> Result<(), Failure> {
        let requested: [(&dyn Format, &Option<PathBuf>); 2] =
            [(&Json, &self.json), (&Junit, &self.junit)];
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
