//! E-mail addresses and phone numbers.

/// The canonical form of an e-mail address: trimmed, without `mailto:` or a `?subject=…`
/// suffix, the address inside `Name <address>` when written so, in lower case (nearly every
/// provider treats the local part case-insensitively, and people write it either way).
pub fn canonical_email(s: &str) -> String {
    let mut s = s.trim();
    if let (Some(open), Some(close)) = (s.find('<'), s.rfind('>')) {
        if open < close {
            s = s[open + 1..close].trim();
        }
    }
    if s.len() >= 7 && s[..7].eq_ignore_ascii_case("mailto:") {
        s = &s[7..];
    }
    if let Some(q) = s.find('?') {
        s = &s[..q];
    }
    s.trim().trim_end_matches('.').to_lowercase()
}

/// The digits of a phone number, without an extension (`ext. 12`, `x12`, `#12`), an
/// international call prefix (`+` or `00`) or national trunk zeros (`0…`, `(0)`).
///
/// `None` when fewer than three digits remain.
pub fn phone_digits(s: &str) -> Option<String> {
    const EXTENSION_WORDS: [&[u8]; 3] = [b"ext", b"poste", b"durchwahl"];
    let bytes = s.as_bytes();
    let mut digits = String::with_capacity(16);
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        match rest[0] {
            d @ b'0'..=b'9' => digits.push(char::from(d)),
            // `+44 (0)20 …`: the `(0)` is the trunk prefix dialled only from inside the country.
            b'(' if rest.starts_with(b"(0)") => i += 2,
            // Only a marker after some digits starts an extension.
            c if !digits.is_empty()
                && (c == b'#'
                    || c.eq_ignore_ascii_case(&b'x')
                    || EXTENSION_WORDS.iter().any(|w| {
                        rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w)
                    })) =>
            {
                break
            }
            _ => {}
        }
        i += 1;
    }
    // `00` is the international prefix, `0` a trunk prefix: neither is part of the number.
    let significant = digits.trim_start_matches('0');
    if significant.len() < 3 {
        return None;
    }
    let zeros = digits.len() - significant.len();
    digits.drain(..zeros);
    Some(digits)
}

/// Whether two digit strings (from [`phone_digits`]) are the same number: equal, or equal
/// but for a country code of one to three digits in front of a number of at least seven
/// digits (`+1 555 010 2000` = `555 010 2000`, `+44 20 7946 0958` = `020 7946 0958`).
pub fn same_phone(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (long, short) = if a.len() > b.len() { (a, b) } else { (b, a) };
    let extra = long.len() - short.len();
    short.len() >= 7 && (1..=3).contains(&extra) && long.ends_with(short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_emails() {
        let p = |s| phone_digits(s).unwrap_or_default();
        assert!(same_phone(&p("+1 (555) 010-2000"), &p("555-010-2000")));
        assert!(same_phone(&p("+44 20 7946 0958"), &p("020 7946 0958")));
        assert!(same_phone(&p("555-010-2000 ext. 12"), &p("5550102000")));
        assert!(!same_phone(&p("555-010-2000"), &p("555-010-2001")));
        assert_eq!(
            canonical_email("MAILTO:Jane.Doe@Example.COM?subject=hi"),
            "jane.doe@example.com"
        );
        assert_eq!(canonical_email("Jane <jane@x.org>"), "jane@x.org");
    }
}
