//! The first, cheap pass: is the file text at all, and is it UTF-8 or Latin-1?
//!
//! The CSV parser works on bytes (every delimiter, quote and line end is ASCII), so the
//! encoding only matters when a field becomes a `String`: see [`Encoding::decode`].

use std::borrow::Cow;
use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

use super::source::{read_error, CsvSource};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const CHUNK: usize = 64 * 1024;
/// Share of control bytes in the first chunk above which a file is taken as binary.
const MAX_CONTROL_PERCENT: usize = 5;

/// How the file's bytes are read as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 starting with a byte-order mark (skipped).
    Utf8Bom,
    /// Not valid UTF-8: each byte is read as the code point of the same value (ISO-8859-1).
    Latin1,
}

impl Encoding {
    /// A display name.
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 with BOM",
            Encoding::Latin1 => "Latin-1",
        }
    }

    /// How many bytes at the start of the file are a byte-order mark.
    pub(crate) fn bom_len(self) -> u64 {
        match self {
            Encoding::Utf8Bom => UTF8_BOM.len() as u64,
            Encoding::Utf8 | Encoding::Latin1 => 0,
        }
    }

    /// Decodes one field. Borrows when the bytes are already valid UTF-8, which is every
    /// field of a UTF-8 file and every ASCII field of a Latin-1 file.
    ///
    /// A UTF-8 field that is not valid UTF-8 means the file changed after it was scanned.
    pub(crate) fn decode(self, bytes: &[u8]) -> Result<Cow<'_, str>> {
        if self == Encoding::Latin1 && !bytes.is_ascii() {
            // Even bytes that happen to form UTF-8 are Latin-1 characters in this file.
            return Ok(Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()));
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Cow::Borrowed(text)),
            Err(err) => Err(Error::conflict(
                "the file changed while it was being read (it is no longer valid UTF-8)",
            )
            .with_source(err)),
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// What the scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scan {
    pub(crate) encoding: Encoding,
    /// Whether anything but whitespace (and the BOM) is in the file.
    pub(crate) has_content: bool,
}

/// Reads the whole source once, in fixed-size chunks: refuses binary data, decides between
/// UTF-8 and Latin-1, and stops with `PayloadTooLarge` if it holds more than `max_bytes`
/// (a file can grow after its size was checked).
pub(crate) fn scan(source: &CsvSource, max_bytes: u64) -> Result<Scan> {
    let mut reader = source.open(0)?;
    let mut buf = vec![0u8; CHUNK];
    // Bytes of a UTF-8 sequence cut by the chunk boundary, moved to the front of `buf`.
    let mut carry = 0usize;
    let mut total = 0u64;
    let mut utf8 = true;
    let mut first = true;
    let mut bom = false;
    let mut has_content = false;
    loop {
        let n = read_some(&mut reader, &mut buf[carry..]).map_err(|e| read_error(source, e))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > max_bytes {
            return Err(too_large(max_bytes));
        }
        let filled = carry + n;
        let mut text = &buf[carry..filled];
        if first {
            first = false;
            check_binary(text)?;
            if text.starts_with(UTF8_BOM) {
                bom = true;
                text = &text[UTF8_BOM.len()..];
            }
        }
        if text.contains(&0) {
            return Err(binary("it contains NUL bytes"));
        }
        has_content = has_content || text.iter().any(|b| !b.is_ascii_whitespace());
        carry = 0;
        if utf8 {
            if let Err(err) = std::str::from_utf8(&buf[..filled]) {
                if err.error_len().is_none() {
                    // An incomplete sequence at the end: it may finish in the next chunk.
                    let valid = err.valid_up_to();
                    buf.copy_within(valid..filled, 0);
                    carry = filled - valid;
                } else {
                    utf8 = false;
                }
            }
        }
    }
    let encoding = match (utf8 && carry == 0, bom) {
        (true, true) => Encoding::Utf8Bom,
        (true, false) => Encoding::Utf8,
        (false, _) => Encoding::Latin1,
    };
    Ok(Scan {
        encoding,
        has_content,
    })
}

/// Fills `buf` as far as the reader allows, so that chunks are full-size (short reads from
/// pipes would otherwise make the binary check look at a few bytes only).
fn read_some(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

/// Recognises common non-CSV files by their first bytes, and binary data by its share of
/// control characters.
fn check_binary(head: &[u8]) -> Result<()> {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Err(binary(
            "it is UTF-16 text; save it as CSV UTF-8 and upload it again",
        ));
    }
    if head.starts_with(b"PK\x03\x04") {
        return Err(binary(
            "it is a ZIP archive (an .xlsx workbook?); export the sheet as CSV",
        ));
    }
    if head.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(binary(
            "it is an old Excel (.xls) workbook; export the sheet as CSV",
        ));
    }
    if head.starts_with(b"%PDF") {
        return Err(binary("it is a PDF document"));
    }
    let control = head
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)) || b == 0x7F)
        .count();
    if control * 100 > head.len() * MAX_CONTROL_PERCENT {
        return Err(binary("it contains binary data"));
    }
    Ok(())
}

fn binary(why: &str) -> Error {
    Error::new(
        ErrorKind::UnsupportedMediaType,
        format!("the file is not a CSV text file: {why}"),
    )
}

/// The error for a source larger than `max_bytes`.
pub(crate) fn too_large(max_bytes: u64) -> Error {
    Error::new(
        ErrorKind::PayloadTooLarge,
        format!("the file is larger than the limit of {max_bytes} bytes"),
    )
    .with_context("max_bytes", max_bytes.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn scan_bytes(data: &[u8]) -> Result<Scan> {
        scan(&CsvSource::bytes(data.to_vec()), u64::MAX)
    }

    #[test]
    fn tells_utf8_bom_and_latin1_apart() {
        assert_eq!(scan_bytes(b"a,b\n1,2\n").unwrap().encoding, Encoding::Utf8);
        assert_eq!(
            scan_bytes("\u{FEFF}a,b\né,2\n".as_bytes())
                .unwrap()
                .encoding,
            Encoding::Utf8Bom
        );
        assert_eq!(
            scan_bytes(b"a,b\n\xE9,2\n").unwrap().encoding,
            Encoding::Latin1
        );
        // A UTF-8 sequence cut off by the end of the file is not UTF-8.
        assert_eq!(scan_bytes(b"a,b\n\xC3").unwrap().encoding, Encoding::Latin1);
    }

    #[test]
    fn utf8_sequences_across_chunk_boundaries_stay_utf8() {
        // Put a 3-byte character across the 64 KiB boundary.
        let mut data = vec![b'a'; CHUNK - 1];
        data.extend_from_slice("€,x\n".as_bytes());
        assert_eq!(scan_bytes(&data).unwrap().encoding, Encoding::Utf8);
    }

    #[test]
    fn refuses_binary_data() {
        for data in [
            &b"a,b\n1,\x002\n"[..],
            b"PK\x03\x04\x14\x00\x06\x00",
            b"\xFF\xFEa\x00,\x00",
            b"\x01\x02\x03\x04\x05\x06\x07\x08abc",
        ] {
            let err = scan_bytes(data).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::UnsupportedMediaType, "{data:?}");
            assert!(err.message().starts_with("the file is not a CSV"));
        }
    }

    #[test]
    fn whitespace_only_has_no_content() {
        assert!(!scan_bytes(b"\xEF\xBB\xBF \r\n\n").unwrap().has_content);
        assert!(scan_bytes(b"url\n").unwrap().has_content);
    }

    #[test]
    fn stops_past_max_bytes() {
        let err = scan(&CsvSource::bytes(vec![b'a'; 100]), 99).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PayloadTooLarge);
    }

    #[test]
    fn latin1_decodes_each_byte_as_its_code_point() {
        let text = Encoding::Latin1.decode(b"Caf\xE9 \xA3").unwrap();
        assert_eq!(text, "Café £");
        assert_eq!(Encoding::Latin1.decode(b"\xC3\xA9").unwrap(), "Ã©");
        assert!(Encoding::Utf8.decode(b"\xE9").is_err());
    }
}
