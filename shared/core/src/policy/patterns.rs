//! Regular expressions of templates: compiled once per template with bounds, so a hostile pattern can
//! neither take long to compile nor make matching slow or huge.

use regex::{Regex, RegexBuilder};

/// Longest pattern accepted.
pub const MAX_PATTERN_LEN: usize = 1000;
/// Compiled program size: room for ordinary Unicode patterns such as `IBAN\s+(\w{10,30})` (each `\w`
/// is a class of several hundred ranges), while `(\w{1000}){1000}` stays refused.
const REGEX_SIZE_LIMIT: usize = 8 << 20;
/// The lazy DFA's cache per pattern: matching stays linear in the text; a pattern that outgrows the
/// cache falls back to the slower but equally bounded NFA simulation.
const DFA_SIZE_LIMIT: usize = 2 << 20;
/// Nesting of groups and repetitions.
const NEST_LIMIT: u32 = 64;

pub fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(format!(
            "pattern is longer than {MAX_PATTERN_LEN} characters"
        ));
    }
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        .nest_limit(NEST_LIMIT)
        .build()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_unicode_patterns_compile_and_hostile_ones_do_not() {
        for ok in [
            r"IBAN\s+(\w{10,30})",
            r"(?i)total\s*:?\s*([\d.,]+)",
            r"\p{Lu}{2}\d{2}[\w ]{10,40}",
            r"Référence\s*:\s*(\S+)",
        ] {
            assert!(compile_pattern(ok).is_ok(), "{ok}");
        }
        assert!(compile_pattern("(unclosed").is_err());
        assert!(compile_pattern(&"a".repeat(2000)).is_err());
        assert!(compile_pattern(r"(\w{1000}){1000}").is_err());
        assert!(compile_pattern(&format!("{}a{}", "(".repeat(100), ")".repeat(100))).is_err());
    }
}
