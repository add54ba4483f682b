//! Case selection: `--cases GLOB` (repeatable; default: every case) and `--skip GLOB`
//! (repeatable). A glob matches whole case ids with `*` (any run of characters, `/`
//! included) and `?` (one character); a pattern without `/` or wildcards also matches a
//! whole family (`--cases signature` is `--cases 'signature/*'`).
//!
//! Twenty lines of matcher instead of a dependency: case ids are short ASCII strings and
//! no other glob feature is wanted.

use crate::cases::Case;

/// Whether `text` matches the glob `pattern` (`*` and `?`; everything else literal).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Iterative matcher with one backtrack point for the last `*` (linear in practice).
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Whether `pattern` selects `case`.
pub fn selects(pattern: &str, case: &Case) -> bool {
    glob_match(pattern, case.id) || (!pattern.contains(['/', '*', '?']) && pattern == case.family())
}

/// The cases chosen by `include` (all when empty) minus `skip`, in catalogue order.
/// Returns the patterns that matched nothing as the error.
pub fn select(
    catalogue: Vec<Case>,
    include: &[String],
    skip: &[String],
) -> Result<Vec<Case>, Vec<String>> {
    let unmatched: Vec<String> = include
        .iter()
        .chain(skip)
        .filter(|p| !catalogue.iter().any(|c| selects(p, c)))
        .cloned()
        .collect();
    if !unmatched.is_empty() {
        return Err(unmatched);
    }
    Ok(catalogue
        .into_iter()
        .filter(|c| include.is_empty() || include.iter().any(|p| selects(p, c)))
        .filter(|c| !skip.iter().any(|p| selects(p, c)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("signature/*", "signature/empty-tag"));
        assert!(glob_match("*/empty-*", "signature/empty-tag"));
        assert!(glob_match("*", "a/b"));
        assert!(glob_match("a/?", "a/b"));
        assert!(!glob_match("a/?", "a/bc"));
        assert!(!glob_match("signature/*", "headers/valid"));
        assert!(glob_match("*tag", "signature/empty-tag"));
        assert!(!glob_match("*tag", "signature/tagged"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(glob_match("headers/valid", "headers/valid"));
        assert!(!glob_match("headers/valid", "headers/valid-x"));
    }

    #[test]
    fn families_skips_and_unmatched_patterns() {
        let all = crate::cases::catalogue;
        let sig = select(all(), &["signature".into()], &[]).unwrap();
        assert!(!sig.is_empty() && sig.iter().all(|c| c.family() == "signature"));
        let some = select(all(), &["signature".into()], &["signature/*-tag".into()]).unwrap();
        assert!(some.len() < sig.len() && some.iter().all(|c| !c.id.ends_with("-tag")));
        assert_eq!(select(all(), &[], &[]).unwrap().len(), all().len());
        assert_eq!(
            select(all(), &["nope/*".into()], &[]).unwrap_err(),
            vec!["nope/*".to_string()]
        );
    }
}
