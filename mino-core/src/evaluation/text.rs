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

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// What folding does with one (already lower-cased) character.
#[derive(Clone, Copy, PartialEq)]
enum Class {
    Keep,
    Drop,
    Break,
}

/// The class of every ASCII character, so the common case is one table lookup.
const ASCII_CLASS: [Class; 128] = {
    let mut table = [Class::Keep; 128];
    let drop = b"'\"`";
    let brk = b".,;:!?()[]{}-_/\\| \t\n\r\x0b\x0c";
    let mut i = 0;
    while i < drop.len() {
        table[drop[i] as usize] = Class::Drop;
        i += 1;
    }
    let mut i = 0;
    while i < brk.len() {
        table[brk[i] as usize] = Class::Break;
        i += 1;
    }
    table
};

fn classify(c: char) -> Class {
    if c.is_ascii() {
        return ASCII_CLASS[c as usize];
    }
    match c {
        '´' | '‘' | '’' | '‚' | '‛' | '′' | '″' | '‵' | '“' | '”' | '„' | '‟' | '«' | '»' | '‹'
        | '›' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}' | '\u{00ad}' => Class::Drop,
        '¡' | '¿' | '·' | '•' | '、' | '。' | '，' | '：' | '；' | '！' | '？' | '「' | '」'
        | '『' | '』' | '【' | '】' => Class::Break,
        // General Punctuation block: dashes, ellipsis, bullets, daggers (quotes handled above).
        '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205e}' => Class::Break,
        c if c.is_whitespace() => Class::Break,
        _ => Class::Keep,
    }
}

/// Appends folded characters, one at a time.
struct Folder<'a> {
    out: &'a mut String,
    start: usize,
    pending_space: bool,
}

impl Folder<'_> {
    #[inline]
    fn push(&mut self, c: char) {
        match classify(c) {
            Class::Keep => {
                if self.pending_space && self.out.len() > self.start {
                    self.out.push(' ');
                }
                self.pending_space = false;
                self.out.push(c);
            }
            Class::Drop => {}
            Class::Break => self.pending_space = true,
        }
    }
}

/// Appends the folded form of `s` to `out` (see the module docs for the rules).
pub fn fold_into(s: &str, out: &mut String) {
    let mut folder = Folder {
        start: out.len(),
        out,
        pending_space: false,
    };
    if s.is_ascii() {
        for b in s.bytes() {
            folder.push(char::from(b.to_ascii_lowercase()));
        }
        return;
    }
    let mut push_lower = |c: char| {
        if c.is_ascii() {
            folder.push(c.to_ascii_lowercase());
        } else {
            for lc in c.to_lowercase() {
                folder.push(lc);
            }
        }
    };
    // Most text is already in NFKC; the quick check is far cheaper than normalising.
    if is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        s.chars().for_each(&mut push_lower);
    } else {
        s.nfkc().for_each(&mut push_lower);
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
