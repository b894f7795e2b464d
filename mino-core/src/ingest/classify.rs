//! Recognisers for single values, on raw bytes so that the analysis pass allocates nothing.
//!
//! Each takes a value already trimmed of ASCII whitespace. They work for UTF-8 and Latin-1
//! alike: every byte they look for is ASCII, except the currency symbols, which are listed in
//! both encodings.

/// A boolean word: yes/no, true/false, y/n (any case). `0` and `1` are counted separately
/// because a column of only those is a number as often as a flag (see `detect`).
pub(crate) fn is_bool_word(v: &[u8]) -> bool {
    const WORDS: [&[u8]; 6] = [b"yes", b"no", b"true", b"false", b"y", b"n"];
    WORDS.iter().any(|w| v.eq_ignore_ascii_case(w))
}

/// An optionally signed run of digits.
pub(crate) fn is_integer(v: &[u8]) -> bool {
    let digits = v
        .strip_prefix(b"-")
        .or_else(|| v.strip_prefix(b"+"))
        .unwrap_or(v);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// Currency marks accepted before or after a number, in UTF-8 and in Latin-1.
const CURRENCIES: [&[u8]; 14] = [
    b"US$",
    b"USD",
    b"EUR",
    b"GBP",
    b"CHF",
    b"$",
    "€".as_bytes(),
    "£".as_bytes(),
    "¥".as_bytes(),
    "₹".as_bytes(),
    b"\xA3",
    b"\xA5",
    b"\x80",
    b"%",
];

/// A number as people write it: `12`, `-3.5`, `1,299.00`, `1.299,00`, `$12.50`, `12,5 €`,
/// `15%`. One currency mark (or `%`) before or after, an optional sign, and digits grouped
/// in thousands with one kind of separator and a decimal part after the other kind.
pub(crate) fn is_number(v: &[u8]) -> bool {
    let (v, stripped) = strip_currency(v);
    let v = v
        .strip_prefix(b"-")
        .or_else(|| v.strip_prefix(b"+"))
        .unwrap_or(v);
    // `-$12` as well as `$-12`.
    let v = if stripped { v } else { strip_currency(v).0 };
    is_grouped_decimal(v)
}

fn strip_currency(v: &[u8]) -> (&[u8], bool) {
    for mark in CURRENCIES {
        if let Some(rest) = v.strip_prefix(mark) {
            return (rest.trim_ascii_start(), true);
        }
        if let Some(rest) = v.strip_suffix(mark) {
            return (rest.trim_ascii_end(), true);
        }
    }
    (v, false)
}

fn is_grouped_decimal(v: &[u8]) -> bool {
    let is_sep = |b: &u8| matches!(b, b'.' | b',');
    let (Some(first), Some(last)) = (v.first(), v.last()) else {
        return false;
    };
    if !first.is_ascii_digit() || !last.is_ascii_digit() {
        return false;
    }
    if !v.iter().all(|b| b.is_ascii_digit() || is_sep(b)) {
        return false;
    }
    let Some(pos) = v.iter().rposition(is_sep) else {
        return true;
    };
    let decimal = v[pos];
    let other = if decimal == b'.' { b',' } else { b'.' };
    let head = &v[..pos];
    let decimal_count = v.iter().filter(|&&b| b == decimal).count();
    if head.contains(&other) {
        // Both kinds: the last one is the decimal mark, the other groups thousands.
        decimal_count == 1 && is_thousands(head, other)
    } else if decimal_count == 1 {
        // `12,5`, `1.5`, `1,299`: a number either way.
        true
    } else {
        // `1,299,000`: only thousands groups.
        is_thousands(v, decimal)
    }
}

/// `1`, `12`, `123` then groups of exactly three digits.
fn is_thousands(v: &[u8], sep: u8) -> bool {
    let mut groups = v.split(|&b| b == sep);
    let first_ok = groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && g.iter().all(u8::is_ascii_digit));
    first_ok && groups.all(|g| g.len() == 3 && g.iter().all(u8::is_ascii_digit))
}

/// `name@example.com`: one `@`, a local part without spaces or separators, a domain name.
pub(crate) fn is_email(v: &[u8]) -> bool {
    let mut parts = v.splitn(2, |&b| b == b'@');
    let (Some(local), Some(domain)) = (parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && local
            .iter()
            .all(|&b| b > b' ' && !matches!(b, b'@' | b',' | b';' | b'<' | b'>' | b'"'))
        && is_domain(domain)
}

/// An `http(s)://` or `file://` URL without spaces, or a bare domain name with an optional
/// port and path (`example.com`, `www.shop.co.uk/path`).
pub(crate) fn is_url_like(v: &[u8]) -> bool {
    if v.iter().any(|b| b.is_ascii_whitespace()) {
        return false;
    }
    for scheme in [&b"https://"[..], b"http://"] {
        if v.len() > scheme.len() && v[..scheme.len()].eq_ignore_ascii_case(scheme) {
            let rest = &v[scheme.len()..];
            return !matches!(rest[0], b'/' | b'?' | b'#');
        }
    }
    if v.len() > 8 && v[..8].eq_ignore_ascii_case(b"file:///") {
        return true;
    }
    is_bare_domain(v)
}

/// A domain name with an optional `:port`, then optionally a path, query or fragment.
pub(crate) fn is_bare_domain(v: &[u8]) -> bool {
    let end = v
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(v.len());
    let host = &v[..end];
    let host = match host.iter().rposition(|&b| b == b':') {
        Some(colon) => {
            let port = &host[colon + 1..];
            if port.is_empty() || port.len() > 5 || !port.iter().all(u8::is_ascii_digit) {
                return false;
            }
            &host[..colon]
        }
        None => host,
    };
    is_domain(host)
}

/// Two or more dot-separated labels of letters, digits and hyphens (non-ASCII allowed, for
/// internationalised names); the last label (the TLD) has no digits and at least two
/// characters, so that `1.5` or `v1.2` are not domains.
pub(crate) fn is_domain(host: &[u8]) -> bool {
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for label in host.split(|&b| b == b'.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label[0] != b'-'
            && label[label.len() - 1] != b'-'
            && label
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b >= 0x80);
        if !ok {
            return false;
        }
        labels += 1;
        last = label;
    }
    let tld_ok = last.len() >= 2
        && (last.iter().all(|&b| b.is_ascii_alphabetic() || b >= 0x80)
            || (last.len() > 4 && last[..4].eq_ignore_ascii_case(b"xn--")));
    labels >= 2 && tld_ok
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn numbers_as_people_write_them() {
        for v in [
            "12",
            "-3.5",
            "+7",
            "1,299.00",
            "1.299,00",
            "$12.50",
            "12,5 €",
            "€ 12",
            "1,299",
            "1.299.000",
            "1,299,000.5",
            "USD 40",
            "-$3",
            "$-3",
            "15%",
            "0.75",
            "£9.99",
        ] {
            assert!(is_number(v.as_bytes()), "{v}");
        }
        for v in [
            "",
            "1.2.3",
            "1,2,3",
            "12.",
            ".5",
            "abc",
            "1.2,3",
            "12 34",
            "$",
            "555-1234",
            "1,23,456",
            "1.299,00,1",
            "10.0.0.1",
        ] {
            assert!(!is_number(v.as_bytes()), "{v}");
        }
        assert!(is_number(b"\xA312"), "Latin-1 pound sign");
    }

    #[test]
    fn integers_are_plain_digits() {
        assert!(is_integer(b"42") && is_integer(b"-7") && is_integer(b"007"));
        assert!(!is_integer(b"1,000") && !is_integer(b"1.0") && !is_integer(b"-"));
    }

    #[test]
    fn booleans() {
        for v in ["yes", "No", "TRUE", "false", "y", "N"] {
            assert!(is_bool_word(v.as_bytes()), "{v}");
        }
        assert!(!is_bool_word(b"1") && !is_bool_word(b"maybe"));
    }

    #[test]
    fn emails() {
        assert!(is_email(b"ana@example.com") && is_email(b"a.b+tag@sub.shop.co.uk"));
        for v in [
            "ana@",
            "@example.com",
            "ana@localhost",
            "a b@x.com",
            "ana@@x.com",
        ] {
            assert!(!is_email(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn urls_and_bare_domains() {
        for v in [
            "https://example.com",
            "HTTP://Example.com/a?b=c",
            "http://127.0.0.1:3000/page",
            "example.com",
            "www.shop.co.uk/path",
            "shop.example.org:8080/x#y",
            "münchen.de",
            "xn--mnchen-3ya.de",
            "file:///tmp/page.html",
        ] {
            assert!(is_url_like(v.as_bytes()), "{v}");
        }
        for v in [
            "not a url",
            "https://",
            "http:///path",
            "ftp://example.com",
            "javascript:alert(1)",
            "localhost",
            "1.5",
            "v1.2",
            "exa mple.com",
            "-bad.com",
            "example.c",
            "example.com:port",
            "ana@example.com",
        ] {
            assert!(!is_url_like(v.as_bytes()), "{v}");
        }
    }
}
