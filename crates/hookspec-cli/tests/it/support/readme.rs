//! The README's catalogue tables, read back to compare with the code.

/// The README (at the repository root).
pub fn readme() -> String {
    std::fs::read_to_string(concat!(root!(), "/README.md")).expect("README.md")
}

/// The text of `readme` after the first `start` and before the next `end`.
pub fn section<'a>(readme: &'a str, start: &str, end: &str) -> &'a str {
    readme
        .split(start)
        .nth(1)
        .and_then(|s| s.split(end).next())
        .unwrap_or_else(|| panic!("no README section {start:?}"))
}

/// The table rows of `section` whose first cell is code: (that code, the second cell).
pub fn table_rows(section: &str) -> Vec<(&str, &str)> {
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| {
            let (id, rest) = l.split_once("` | ")?;
            Some((id, rest.split(" | ").next()?))
        })
        .collect()
}
