//! Text folding: the canonical form two texts are compared in.
//!
//! Folding applies, in order:
//!
//! 1. Unicode NFKC, so full-width letters, ligatures and compatibility forms (`ﬁ`, `①`,
//!    `Ｈｅｌｌｏ`) become their plain equivalents. Pure ASCII input skips this step, which
//!    is what keeps folding cheap on the hot path.
//! 2. Lower case.
//! 3. Apostrophes and quotation marks of every style (`'` `’` `‘` `"` `“` `”` `«` `»` …) are
//!    dropped, so `don’t` = `dont` and `“Acme”` = `Acme`.
//! 4. Other punctuation (`. , ; : ! ? ( ) [ ] { } - – — _ / \ …`) becomes a word break,
//!    so `Acme, Inc.` = `acme inc` and `Saint-Denis` = `saint denis`. Symbols that carry
//!    meaning (`& @ # % + * = $ €` …) are kept.
//! 5. Every run of whitespace (including no-break and zero-width spaces) becomes one space;
//!    leading and trailing spaces are removed.
//!
//! Diacritics are kept (`café` ≠ `cafe`): the fuzzy comparator is the tolerant one.

use unicode_normalization::UnicodeNormalization;

/// What folding does with one (already lower-cased) character.
enum Class {
    Keep,
    Drop,
    Break,
}

fn classify(c: char) -> Class {
    match c {
        '\'' | '"' | '`' | '´' | '‘' | '’' | '‚' | '‛' | '′' | '″' | '‵' | '“' | '”' | '„'
        | '‟' | '«' | '»' | '‹' | '›' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}'
        | '\u{00ad}' => Class::Drop,
        '.' | ',' | ';' | ':' | '!' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '-' | '_' | '/'
        | '\\' | '|' | '¡' | '¿' | '·' | '•' | '、' | '。' | '，' | '：' | '；' | '！' | '？'
        | '「' | '」' | '『' | '』' | '【' | '】' => Class::Break,
        // General Punctuation block: dashes, ellipsis, bullets, daggers (quotes handled above).
        '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205e}' => Class::Break,
        c if c.is_whitespace() => Class::Break,
        _ => Class::Keep,
    }
}

/// Appends the folded form of `s` to `out` (see the module docs for the rules).
pub fn fold_into(s: &str, out: &mut String) {
    let start = out.len();
    let mut pending_space = false;
    let mut push = |c: char, out: &mut String| match classify(c) {
        Class::Keep => {
            if pending_space && out.len() > start {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
        Class::Drop => {}
        Class::Break => pending_space = true,
    };
    if s.is_ascii() {
        for b in s.bytes() {
            push(char::from(b.to_ascii_lowercase()), out);
        }
    } else {
        for c in s.nfkc() {
            if c.is_ascii() {
                push(c.to_ascii_lowercase(), out);
            } else {
                for lc in c.to_lowercase() {
                    push(lc, out);
                }
            }
        }
    }
}

/// The folded form of `s` (see the module docs for the rules).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_case_space_punctuation_quotes_and_width() {
        assert_eq!(fold("  Acme,   Inc. "), "acme inc");
        assert_eq!(fold("Don’t  STOP"), "dont stop");
        assert_eq!(fold("“Quoted”"), "quoted");
        assert_eq!(fold("Ｈｅｌｌｏ\u{a0}World"), "hello world");
        assert_eq!(fold("Saint–Denis"), "saint denis");
        assert_eq!(fold("AT&T"), "at&t");
        assert_eq!(fold("...!"), "");
        assert_eq!(fold("Café"), "café");
    }
}
