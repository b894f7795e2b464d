//! Where a CSV comes from: a file on disk (read in passes, never held in memory) or bytes
//! already in memory (an upload).

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::error::{Error, ErrorKind, Result};

/// The CSV to ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvSource {
    /// A file, read from disk on each pass.
    Path(PathBuf),
    /// Bytes in memory, e.g. an uploaded file. `Arc` so that the rows pass can own them
    /// without a copy.
    Bytes {
        /// The file's contents.
        data: Arc<[u8]>,
        /// The uploaded file's name, when known.
        file_name: Option<String>,
    },
}

impl CsvSource {
    /// A file on disk.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        CsvSource::Path(path.into())
    }

    /// Bytes without a file name.
    pub fn bytes(data: impl Into<Arc<[u8]>>) -> Self {
        CsvSource::Bytes {
            data: data.into(),
            file_name: None,
        }
    }

    /// An uploaded file: its name and its bytes.
    pub fn upload(file_name: impl Into<String>, data: impl Into<Arc<[u8]>>) -> Self {
        CsvSource::Bytes {
            data: data.into(),
            file_name: Some(file_name.into()),
        }
    }

    /// The file's name without its directory, when known.
    pub fn file_name(&self) -> Option<String> {
        match self {
            CsvSource::Path(path) => path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned()),
            CsvSource::Bytes { file_name, .. } => file_name.clone(),
        }
    }

    /// Size and modification time, so that the rows pass can tell whether a file changed
    /// since it was analysed.
    pub(crate) fn fingerprint(&self) -> Result<Fingerprint> {
        match self {
            CsvSource::Path(path) => {
                let meta = std::fs::metadata(path).map_err(|err| io_error(path, err))?;
                Ok(Fingerprint {
                    size: meta.len(),
                    modified: meta.modified().ok(),
                })
            }
            CsvSource::Bytes { data, .. } => Ok(Fingerprint {
                size: data.len() as u64,
                modified: None,
            }),
        }
    }

    /// A reader positioned `skip` bytes into the source (to step over a byte-order mark).
    pub(crate) fn open(&self, skip: u64) -> Result<Box<dyn Read + Send>> {
        match self {
            CsvSource::Path(path) => {
                let mut file = File::open(path).map_err(|err| io_error(path, err))?;
                if skip > 0 {
                    file.seek(SeekFrom::Start(skip))
                        .map_err(|err| io_error(path, err))?;
                }
                Ok(Box::new(file))
            }
            CsvSource::Bytes { data, .. } => {
                let mut cursor = Cursor::new(Arc::clone(data));
                cursor.set_position(skip.min(data.len() as u64));
                Ok(Box::new(cursor))
            }
        }
    }

    /// Describes the source for messages and logs.
    pub(crate) fn describe(&self) -> String {
        match self {
            CsvSource::Path(path) => path.display().to_string(),
            CsvSource::Bytes {
                file_name: Some(name),
                ..
            } => name.clone(),
            CsvSource::Bytes { .. } => "the uploaded file".to_string(),
        }
    }
}

impl From<PathBuf> for CsvSource {
    fn from(path: PathBuf) -> Self {
        CsvSource::Path(path)
    }
}

impl From<Vec<u8>> for CsvSource {
    fn from(data: Vec<u8>) -> Self {
        CsvSource::bytes(data)
    }
}

/// What identifies one version of a source's contents, cheaply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    pub(crate) size: u64,
    pub(crate) modified: Option<SystemTime>,
}

/// Maps an I/O error on a source file: a missing file is `NotFound`, anything else is an
/// internal failure with the OS error as its source.
pub(crate) fn io_error(path: &Path, err: io::Error) -> Error {
    let shown = path.display().to_string();
    if err.kind() == io::ErrorKind::NotFound {
        return Error::not_found("file", &shown).with_source(err);
    }
    Error::new(ErrorKind::Internal, format!("cannot read {shown}: {err}"))
        .with_context("path", shown)
        .with_source(err)
}

/// Maps an I/O error while reading a source that may be a file or bytes.
pub(crate) fn read_error(source: &CsvSource, err: io::Error) -> Error {
    match source {
        CsvSource::Path(path) => io_error(path, err),
        CsvSource::Bytes { .. } => {
            Error::internal(format!("cannot read the uploaded file: {err}")).with_source(err)
        }
    }
}
