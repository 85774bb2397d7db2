//! Length rules for names and labels. Lengths count characters (Unicode scalar values), as the OpenAPI
//! spec's `maxLength` does, so a name in Greek or Japanese gets the same room as one in English.

/// Why a name or label is refused, worded to follow its field's path in an error message.
pub fn name_refusal(text: &str, max_chars: usize) -> Option<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Some("must not be empty or only spaces".to_string());
    }
    if trimmed.chars().count() > max_chars {
        return Some(format!("must have at most {max_chars} characters"));
    }
    None
}

/// As [`name_refusal`], and without control characters: a name that becomes a JSON key or a CSV
/// column header must print.
pub fn printable_name_refusal(text: &str, max_chars: usize) -> Option<String> {
    name_refusal(text, max_chars).or_else(|| {
        text.trim()
            .chars()
            .any(char::is_control)
            .then(|| "must not contain control characters".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        let greek = "α".repeat(200);
        assert_eq!(greek.len(), 400);
        assert_eq!(name_refusal(&greek, 200), None);
        assert!(name_refusal(&"α".repeat(201), 200).is_some());
    }

    #[test]
    fn refuses_blank_and_control_characters() {
        assert!(name_refusal("   ", 10).is_some());
        assert!(name_refusal("", 10).is_some());
        assert_eq!(printable_name_refusal("total", 10), None);
        assert!(printable_name_refusal("to\u{1}tal", 10).is_some());
        assert_eq!(name_refusal("to\u{1}tal", 10), None);
    }
}
