//! The JSON report (`--json FILE`): [`Report`] serialized as documented in docs/src/report-formats.md.

use super::{Format, Report};

/// The JSON format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Format for Json {
    fn name(&self) -> &'static str {
        "JSON"
    }

    fn render(&self, report: &Report) -> String {
        render(report)
    }
}

/// Renders the report as pretty JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    let mut text =
        serde_json::to_string_pretty(report).expect("the report model always serializes");
    text.push('\n');
    text
}
