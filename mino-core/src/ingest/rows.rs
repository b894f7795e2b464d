//! The rows pass: records become [`NewJob`]s one at a time, reusing one record buffer.

use std::io::Read;
use std::sync::Arc;

use crate::error::Result;
use crate::model::NewJob;

use super::layout::Layout;
use super::plan::changed;
use super::records::{Record, RecordReader};
use super::source::{read_error, CsvSource};

/// Reads the data records of an analysed source as jobs.
pub(crate) struct RowIter {
    source: CsvSource,
    reader: RecordReader<Box<dyn Read + Send>>,
    record: Record,
    layout: Arc<Layout>,
    next_index: u64,
    expected_rows: u64,
    done: bool,
}

impl RowIter {
    /// Opens the source and steps over the header, which must be the analysed one.
    pub(crate) fn new(source: &CsvSource, layout: Arc<Layout>, expected_rows: u64) -> Result<Self> {
        let mut reader = layout.reader(source)?;
        let mut record = Record::default();
        let has_header = reader
            .read(&mut record)
            .map_err(|err| read_error(source, err))?;
        if !has_header || !same_header(&layout, &record)? {
            return Err(changed());
        }
        Ok(RowIter {
            source: source.clone(),
            reader,
            record,
            layout,
            next_index: 0,
            expected_rows,
            done: false,
        })
    }

    fn read_next(&mut self) -> Option<Result<NewJob>> {
        match self.reader.read(&mut self.record) {
            Ok(true) if self.next_index >= self.expected_rows => Some(Err(changed())),
            Ok(true) => {
                let job = self.layout.job(&self.record, self.next_index);
                self.next_index += 1;
                Some(job)
            }
            Ok(false) if self.next_index != self.expected_rows => Some(Err(changed())),
            Ok(false) => None,
            Err(err) => Some(Err(read_error(&self.source, err))),
        }
    }
}

fn same_header(layout: &Layout, record: &Record) -> Result<bool> {
    if record.len() != layout.names.len() {
        return Ok(false);
    }
    for (field, name) in record.iter().zip(&layout.names) {
        if layout.encoding.decode(field)?.trim() != name {
            return Ok(false);
        }
    }
    Ok(true)
}

impl Iterator for RowIter {
    type Item = Result<NewJob>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.read_next();
        // After the end or the first error, the iterator is finished.
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            return (0, Some(0));
        }
        let left = usize::try_from(self.expected_rows - self.next_index).unwrap_or(usize::MAX);
        (0, Some(left.saturating_add(1)))
    }
}
