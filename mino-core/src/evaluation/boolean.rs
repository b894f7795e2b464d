//! Yes/no values.

/// Reads a yes/no value: `yes y true t 1 on ✓ ✔ ☑` and `no n false f 0 off ✗ ✘ ☐`, in any
/// case, ignoring surrounding spaces and a trailing `.` or `!`. `None` for anything else.
pub fn parse_bool(s: &str) -> Option<bool> {
    let s = s.trim().trim_end_matches(['.', '!']).trim();
    const YES: &[&str] = &["yes", "y", "true", "t", "1", "on", "✓", "✔", "☑"];
    const NO: &[&str] = &["no", "n", "false", "f", "0", "off", "✗", "✘", "☐"];
    if YES.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        Some(true)
    } else if NO.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::parse_bool;

    #[test]
    fn reads_yes_and_no() {
        assert_eq!(parse_bool(" Yes. "), Some(true));
        assert_eq!(parse_bool("FALSE"), Some(false));
        assert_eq!(parse_bool("✔"), Some(true));
        assert_eq!(parse_bool("maybe"), None);
    }
}
