//! Where each row of a batch was read from, so that an expression that fails on a row can name
//! the record the user wrote (`data/bids.csv:17`, or a Kafka topic, partition and offset), or
//! drop that row under the source's `'on-error' = 'skip'`.
//!
//! A source attaches [`RowOrigins`] to the batches it emits; filters keep them (row for row),
//! operators that build new rows (aggregates, joins) and exchanges between workers drop them.
//! They are never serialised: a batch that crosses processes arrives without them. The places
//! are byte offsets or message offsets, one `u64` per row, so keeping them costs one copy of a
//! fixed-width column; line numbers are only counted on the error path.

use std::path::PathBuf;
use std::sync::Arc;

/// The source a batch's rows came from: shared by all of its batches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceOrigin {
    /// The source's node in the dataflow plan (to find its rejects file).
    pub node: usize,
    /// The file as the user sees it (relative to the current folder when under it), or the
    /// Kafka topic.
    pub input: String,
    /// What a row's place is.
    pub kind: OriginKind,
    /// The source's `'*.on-error'` is `'skip'`: a row whose expression fails is dropped and
    /// counted like a record that fails to decode, rather than failing the run.
    pub skip: bool,
}

/// What the per-row places of a [`RowOrigins`] are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginKind {
    /// Byte offsets in a file: each row's record starts there.
    File {
        /// The file to count lines in (the path the source opens).
        path: PathBuf,
    },
    /// Offsets of messages of one Kafka partition.
    Kafka {
        /// The partition.
        partition: i32,
    },
}

/// Per row of a batch: where it was read from.
#[derive(Clone, Debug)]
pub struct RowOrigins {
    /// The source.
    pub source: Arc<SourceOrigin>,
    /// One per row: the byte offset of its record ([`OriginKind::File`]) or its message's offset
    /// ([`OriginKind::Kafka`]).
    pub places: Vec<u64>,
}

impl RowOrigins {
    /// Rows `range`.
    pub fn slice(&self, range: std::ops::Range<usize>) -> RowOrigins {
        RowOrigins { source: self.source.clone(), places: self.places.get(range).map(<[u64]>::to_vec).unwrap_or_default() }
    }

    /// The rows where `mask` is true.
    pub fn filter(&self, mask: &[bool]) -> RowOrigins {
        let places = self.places.iter().zip(mask).filter(|(_, keep)| **keep).map(|(p, _)| *p).collect();
        RowOrigins { source: self.source.clone(), places }
    }

    /// The place of row `row`, if the batch has that many.
    pub fn place(&self, row: usize) -> Option<u64> {
        self.places.get(row).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_and_filters_keep_places_row_for_row() {
        let source =
            Arc::new(SourceOrigin { node: 0, input: "in.csv".into(), kind: OriginKind::File { path: "in.csv".into() }, skip: false });
        let origins = RowOrigins { source, places: vec![10, 20, 30, 40] };
        assert_eq!(origins.slice(1..3).places, vec![20, 30]);
        assert_eq!(origins.filter(&[true, false, false, true]).places, vec![10, 40]);
        assert_eq!(origins.place(3), Some(40));
        assert_eq!(origins.place(4), None);
        // A range past the end gives no places rather than a panic.
        assert!(origins.slice(3..9).places.is_empty());
    }
}
