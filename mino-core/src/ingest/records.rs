//! Reading CSV records, each with the line it starts on.
//!
//! The `csv` crate reports the line where its parser *started* looking for a record, which
//! is a blank line, or the `\n` of the previous record's `\r\n`, when there is one; users
//! need the line where the row is. So this reader drives `csv_core` (the parser inside the
//! `csv` crate) itself and steps over line ends before each record, counting them.

use std::io::{self, Read};

use csv_core::ReadRecordResult;

use super::sniff::Delimiter;

/// The input buffer: large enough that reads are cheap, small enough to not matter.
const BUFFER: usize = 256 * 1024;

/// One record: its fields, unquoted, back to back, and where each ends. Reused between
/// reads so that reading allocates only when a record is larger than any before.
///
/// Not `Clone`: a reused record's buffers are as large as the largest record read so far;
/// [`Record::compact`] copies just the fields.
#[derive(Debug)]
pub(crate) struct Record {
    data: Vec<u8>,
    ends: Vec<usize>,
    fields: usize,
    line: u64,
}

impl Default for Record {
    fn default() -> Self {
        Record {
            data: vec![0; 1024],
            ends: vec![0; 32],
            fields: 0,
            line: 0,
        }
    }
}

impl Record {
    /// How many fields it has.
    pub(crate) fn len(&self) -> usize {
        self.fields
    }

    /// Field `index`, if the record has that many.
    pub(crate) fn get(&self, index: usize) -> Option<&[u8]> {
        if index >= self.fields {
            return None;
        }
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        Some(&self.data[start..self.ends[index]])
    }

    /// The fields in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.fields).filter_map(|i| self.get(i))
    }

    /// The 1-based line of the file where the record starts.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// How many bytes its fields hold.
    pub(crate) fn byte_len(&self) -> usize {
        match self.fields {
            0 => 0,
            n => self.ends[n - 1],
        }
    }

    /// A copy holding only the fields (for keeping a record after the next read).
    pub(crate) fn compact(&self) -> Record {
        Record {
            data: self.data[..self.byte_len()].to_vec(),
            ends: self.ends[..self.fields].to_vec(),
            fields: self.fields,
            line: self.line,
        }
    }
}

/// Reads records from any byte source. Blank lines are not records.
pub(crate) struct RecordReader<R> {
    input: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
    core: csv_core::Reader,
}

impl<R: Read> RecordReader<R> {
    /// A reader of `delimiter`-separated records with `"` quotes (doubled to escape).
    pub(crate) fn new(input: R, delimiter: Delimiter) -> Self {
        RecordReader {
            input,
            buf: vec![0; BUFFER].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            core: csv_core::ReaderBuilder::new()
                .delimiter(delimiter.as_byte())
                .build(),
        }
    }

    /// Reads the next record into `record`; `false` at the end of the input.
    pub(crate) fn read(&mut self, record: &mut Record) -> io::Result<bool> {
        if !self.skip_line_ends()? {
            return Ok(false);
        }
        record.line = self.core.line();
        record.fields = 0;
        let mut out = 0;
        loop {
            let (result, nin, nout, nend) = self.core.read_record(
                &self.buf[self.start..self.end],
                &mut record.data[out..],
                &mut record.ends[record.fields..],
            );
            self.start += nin;
            out += nout;
            record.fields += nend;
            match result {
                ReadRecordResult::InputEmpty => {
                    // At the end of the input, the parser is called once more with nothing,
                    // which ends the last record.
                    self.fill()?;
                }
                ReadRecordResult::OutputFull => {
                    let len = record.data.len() * 2;
                    record.data.resize(len, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = record.ends.len() * 2;
                    record.ends.resize(len, 0);
                }
                ReadRecordResult::Record => return Ok(true),
                ReadRecordResult::End => return Ok(false),
            }
        }
    }

    /// Steps over `\r` and `\n` bytes, counting lines; `false` when the input ends first.
    fn skip_line_ends(&mut self) -> io::Result<bool> {
        loop {
            if self.start == self.end && !self.fill()? {
                return Ok(false);
            }
            let pending = &self.buf[self.start..self.end];
            let skip = pending
                .iter()
                .position(|b| !matches!(b, b'\r' | b'\n'))
                .unwrap_or(pending.len());
            let newlines = pending[..skip].iter().filter(|&&b| b == b'\n').count();
            self.core.set_line(self.core.line() + newlines as u64);
            self.start += skip;
            if self.start < self.end {
                return Ok(true);
            }
        }
    }

    /// Refills the buffer once it is used up; `false` at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.start < self.end {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        loop {
            match self.input.read(&mut self.buf) {
                Ok(n) => {
                    self.start = 0;
                    self.end = n;
                    self.eof = n == 0;
                    return Ok(n > 0);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<(u64, Vec<String>)> {
        let mut reader = RecordReader::new(text.as_bytes(), Delimiter::Comma);
        let mut record = Record::default();
        let mut out = Vec::new();
        while reader.read(&mut record).unwrap() {
            let fields = record
                .iter()
                .map(|f| String::from_utf8(f.to_vec()).unwrap())
                .collect();
            out.push((record.line(), fields));
        }
        out
    }

    fn lines(text: &str) -> Vec<u64> {
        records(text).into_iter().map(|(line, _)| line).collect()
    }

    #[test]
    fn line_numbers_are_where_records_start() {
        assert_eq!(lines("a\nb\nc"), vec![1, 2, 3]);
        assert_eq!(lines("a\r\nb\r\nc\r\n"), vec![1, 2, 3]);
        assert_eq!(
            lines("a\rb\rc"),
            vec![1, 1, 1],
            "old Mac line ends are not lines"
        );
        assert_eq!(lines("\n\na\n\n\nb\n\n"), vec![3, 6]);
        assert_eq!(lines("a\r\n\r\nb\r\n"), vec![1, 3]);
        assert_eq!(lines("a,\"x\ny\nz\"\nb\n\"q\r\nr\"\nc"), vec![1, 4, 5, 7]);
    }

    #[test]
    fn fields_are_unquoted() {
        let got = records("x,\"a,b\",\"say \"\"hi\"\"\",\n");
        assert_eq!(got[0].1, vec!["x", "a,b", "say \"hi\"", ""]);
        assert!(records("").is_empty());
        assert!(records("\r\n\n").is_empty());
    }

    #[test]
    fn large_records_grow_the_buffers() {
        let long = "v".repeat(5000);
        let wide = vec!["f"; 100].join(",");
        let got = records(&format!("{long},x\n{wide}\n"));
        assert_eq!(got[0].1[0].len(), 5000);
        assert_eq!(got[1].1.len(), 100);
    }

    #[test]
    fn compact_copies_only_the_fields() {
        let text = format!("{},x\nab,\"c\nd\"\n", "v".repeat(5000));
        let mut reader = RecordReader::new(text.as_bytes(), Delimiter::Comma);
        let mut record = Record::default();
        reader.read(&mut record).unwrap();
        reader.read(&mut record).unwrap();
        let copy = record.compact();
        assert_eq!(copy.data.len(), 5);
        assert_eq!(copy.iter().collect::<Vec<_>>(), vec![&b"ab"[..], b"c\nd"]);
        assert_eq!((copy.len(), copy.line()), (2, 2));
    }

    #[test]
    fn records_across_buffer_refills() {
        let mut text = String::new();
        for i in 0..40_000 {
            text.push_str(&format!("row{i},\"a\nb\"\n"));
        }
        let got = lines(&text);
        assert_eq!(got.len(), 40_000);
        assert_eq!(got[39_999], 79_999);
    }
}
