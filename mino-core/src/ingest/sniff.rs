//! Delimiter detection from the first lines of the file.

use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::error::Result;

use super::records::{Record, RecordReader};
use super::source::{read_error, CsvSource};

/// How much of the file's start is looked at.
const HEAD_BYTES: u64 = 64 * 1024;
/// How many records of the head are compared.
const HEAD_RECORDS: usize = 50;

/// The field separator of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delimiter {
    /// `,`
    Comma,
    /// `;` (common where the decimal separator is a comma)
    Semicolon,
    /// A tab character.
    Tab,
    /// `|`
    Pipe,
}

impl Delimiter {
    /// Every delimiter, in the order that breaks ties.
    pub const ALL: [Delimiter; 4] = [
        Delimiter::Comma,
        Delimiter::Semicolon,
        Delimiter::Tab,
        Delimiter::Pipe,
    ];

    /// The separator byte.
    pub fn as_byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
            Delimiter::Tab => b'\t',
            Delimiter::Pipe => b'|',
        }
    }

    /// A display name.
    pub fn label(self) -> &'static str {
        match self {
            Delimiter::Comma => "comma",
            Delimiter::Semicolon => "semicolon",
            Delimiter::Tab => "tab",
            Delimiter::Pipe => "pipe",
        }
    }
}

impl std::fmt::Display for Delimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Reads the head of the source (after `skip` bytes of BOM) and detects its delimiter.
pub(crate) fn sniff_source(source: &CsvSource, skip: u64) -> Result<Delimiter> {
    let mut head = Vec::new();
    source
        .open(skip)?
        .take(HEAD_BYTES)
        .read_to_end(&mut head)
        .map_err(|err| read_error(source, err))?;
    // When the head is shorter than the limit, it is the whole file: its last record is
    // complete. Otherwise the last record may be cut off and is left out.
    let complete = (head.len() as u64) < HEAD_BYTES;
    Ok(sniff(&head, complete))
}

/// Picks the delimiter that splits the header into at least two fields and gives the most
/// records the header's field count; ties go to more fields, then to [`Delimiter::ALL`]
/// order. Quotes are respected because each candidate is tried with the CSV parser itself.
/// Without any candidate (a single-column file), the comma.
pub(crate) fn sniff(head: &[u8], complete: bool) -> Delimiter {
    let mut best: Option<(usize, usize, Delimiter)> = None;
    for delimiter in Delimiter::ALL {
        let counts = field_counts(head, delimiter, complete);
        let Some(&header) = counts.first() else {
            continue;
        };
        if header < 2 {
            continue;
        }
        // Consistency in per-mille, so that scores compare exactly.
        let matching = counts.iter().filter(|&&n| n == header).count();
        let consistency = matching * 1000 / counts.len();
        let better = match best {
            None => true,
            Some((c, h, _)) => (consistency, header) > (c, h),
        };
        if better {
            best = Some((consistency, header, delimiter));
        }
    }
    best.map_or(Delimiter::Comma, |(_, _, d)| d)
}

fn field_counts(head: &[u8], delimiter: Delimiter, complete: bool) -> Vec<usize> {
    let mut reader = RecordReader::new(head, delimiter);
    let mut record = Record::default();
    let mut counts = Vec::new();
    while counts.len() <= HEAD_RECORDS {
        match reader.read(&mut record) {
            Ok(true) => counts.push(record.len()),
            Ok(false) | Err(_) => break,
        }
    }
    if !complete && counts.len() > 1 {
        counts.pop();
    }
    counts
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn detects_each_delimiter() {
        let cases: [(&str, Delimiter); 4] = [
            ("url,name,price\na.com,A,1\nb.com,B,2\n", Delimiter::Comma),
            (
                "url;name;price\na.com;A;1,5\nb.com;B;2,5\n",
                Delimiter::Semicolon,
            ),
            (
                "url\tname\tnote\na.com\tA\tx, y\nb.com\tB\tz\n",
                Delimiter::Tab,
            ),
            ("url|name\na.com|A, B; C\nb.com|B\n", Delimiter::Pipe),
        ];
        for (text, expected) in cases {
            assert_eq!(sniff(text.as_bytes(), true), expected, "{text:?}");
        }
    }

    #[test]
    fn respects_quotes() {
        // Semicolons inside quoted fields must not win over the real comma separator.
        let text = "url,note\na.com,\"x;y;z\"\nb.com,\"p;q;r\"\n";
        assert_eq!(sniff(text.as_bytes(), true), Delimiter::Comma);
        let text = "url;note\na.com;\"1,2,3\"\nb.com;\"4,5\"\n";
        assert_eq!(sniff(text.as_bytes(), true), Delimiter::Semicolon);
    }

    #[test]
    fn prefers_consistent_field_counts() {
        // Both split the header in two or more, but only semicolons split every row alike.
        let text = "id;price,eur;qty\n1;2,5;3\n4;5;6\n7;8,25;9\n";
        assert_eq!(sniff(text.as_bytes(), true), Delimiter::Semicolon);
    }

    #[test]
    fn single_column_falls_back_to_comma() {
        assert_eq!(sniff(b"url\na.com\nb.com\n", true), Delimiter::Comma);
        assert_eq!(sniff(b"", true), Delimiter::Comma);
    }
}
