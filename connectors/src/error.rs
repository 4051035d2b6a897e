//! Errors of reading a source.

use std::path::PathBuf;

/// Why a source could not be read. `path` is the source's path as given in its [`FileSource`].
///
/// [`FileSource`]: crate::FileSource
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// `cannot read data/bids.csv: No such file or directory (os error 2)`
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file that could not be opened or read.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A record that cannot be decoded, with `OnError::Fail`:
    /// ``data/bids.csv:17: column `price`: cannot parse "12x" as BIGINT``.
    /// `line` is 1-based and counts every line of the file, the header line included.
    #[error("{}:{line}: {message}", path.display())]
    BadRecord {
        /// The source's file.
        path: PathBuf,
        /// The record's line number in the file (see above).
        line: u64,
        /// Why the record cannot be decoded (the column and the text at fault).
        message: String,
    },
}

impl SourceError {
    /// A [`SourceError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SourceError::Io { path: path.into(), source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let e = SourceError::io("data/bids.csv", std::io::Error::from_raw_os_error(2));
        assert_eq!(e.to_string(), "cannot read data/bids.csv: No such file or directory (os error 2)");
        let e = SourceError::BadRecord { path: "data/bids.csv".into(), line: 5, message: "expected 7 fields, found 6".into() };
        assert_eq!(e.to_string(), "data/bids.csv:5: expected 7 fields, found 6");
    }
}
