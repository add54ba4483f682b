//! The report files a test asks the binary for (`--json FILE --junit FILE`), in a temporary
//! folder that lives as long as they do.

use std::path::PathBuf;

/// `report.json` and `report.xml` in a fresh temporary folder.
pub struct ReportFiles {
    _dir: tempfile::TempDir,
    json: PathBuf,
    junit: PathBuf,
}

impl ReportFiles {
    /// Names the two files (neither exists yet).
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("report.json");
        let junit = dir.path().join("report.xml");
        Self {
            _dir: dir,
            json,
            junit,
        }
    }

    /// `--json <json file> --junit <junit file>`.
    pub fn args(&self) -> [&str; 4] {
        [
            "--json",
            self.json.to_str().unwrap(),
            "--junit",
            self.junit.to_str().unwrap(),
        ]
    }

    /// The JSON report, parsed.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(&self.json).unwrap()).unwrap()
    }

    /// The JUnit report's text.
    pub fn junit(&self) -> String {
        std::fs::read_to_string(&self.junit).unwrap()
    }
}
