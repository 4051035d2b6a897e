//! A batch of rows held as columns: the unit that moves along every dataflow edge.

use crate::column::Column;
use crate::origin::RowOrigins;
use serde::{Deserialize, Serialize};

/// What a row of a changelog does to the result, in Flink's RowKind notation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RowKind {
    /// `+I`: a new row.
    Insert,
    /// `-U`: the old version of an updated row, retracted.
    UpdateBefore,
    /// `+U`: the new version of an updated row.
    UpdateAfter,
    /// `-D`: a row retracted for good.
    Delete,
}

impl RowKind {
    /// The Flink notation (`+I`, `-U`, `+U`, `-D`), as changelog output prints it.
    pub fn symbol(self) -> &'static str {
        match self {
            RowKind::Insert => "+I",
            RowKind::UpdateBefore => "-U",
            RowKind::UpdateAfter => "+U",
            RowKind::Delete => "-D",
        }
    }
    /// +1 for rows that add to the result, -1 for retractions.
    pub fn diff(self) -> i64 {
        match self {
            RowKind::Insert | RowKind::UpdateAfter => 1,
            RowKind::UpdateBefore | RowKind::Delete => -1,
        }
    }
}

/// Rows of one relation, column by column. Every column has `len` rows.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Batch {
    /// The number of rows, which every column and `kinds` have (a batch with no columns still has rows).
    pub len: usize,
    /// One column per field of the relation's schema, in order.
    pub columns: Vec<Column>,
    /// The kind of each row when the batch is part of a changelog; `None`: every row is an insert.
    pub kinds: Option<Vec<RowKind>>,
    /// Where each row was read from, when the batch comes (through filters) from a source; see
    /// [`crate::origin`]. Never serialised: a batch that crosses processes arrives without it.
    #[serde(skip)]
    pub origins: Option<RowOrigins>,
}

/// Rows are equal whatever they were read from: the origins are not compared.
impl PartialEq for Batch {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.columns == other.columns && self.kinds == other.kinds
    }
}

impl Batch {
    /// An insert-only batch of `columns`, each of `len` rows.
    pub fn new(len: usize, columns: Vec<Column>) -> Self {
        debug_assert!(columns.iter().all(|c| c.len() == len));
        Batch { len, columns, kinds: None, origins: None }
    }
    /// The batch with each row's kind set (`None`: all inserts); `kinds` has one entry per row.
    pub fn with_kinds(mut self, kinds: Option<Vec<RowKind>>) -> Self {
        debug_assert!(kinds.as_ref().is_none_or(|k| k.len() == self.len));
        self.kinds = kinds;
        self
    }
    /// The batch with each row's origin set (see [`crate::origin`]); `origins` has one place
    /// per row.
    pub fn with_origins(mut self, origins: Option<RowOrigins>) -> Self {
        debug_assert!(origins.as_ref().is_none_or(|o| o.places.len() == self.len));
        self.origins = origins;
        self
    }
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// A batch of `rows`, each one value per column of `schema`.
    pub fn from_rows(schema: &crate::Schema, rows: &[Vec<crate::Datum>]) -> Batch {
        let columns = schema
            .fields
            .iter()
            .enumerate()
            .map(|(c, f)| {
                let values: Vec<crate::Datum> = rows.iter().map(|r| r[c].clone()).collect();
                Column::from_datums(f.ty, &values)
            })
            .collect();
        Batch::new(rows.len(), columns)
    }

    /// The values of row `i`.
    pub fn row(&self, i: usize) -> Vec<crate::Datum> {
        self.columns.iter().map(|c| c.datum(i)).collect()
    }

    /// The kind of row `i`.
    pub fn kind(&self, i: usize) -> RowKind {
        self.kinds.as_ref().map_or(RowKind::Insert, |k| k[i])
    }
    /// Rows `range` of the batch.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Batch {
        let kinds = self.kinds.as_ref().map(|k| k[range.clone()].to_vec());
        let origins = self.origins.as_ref().map(|o| o.slice(range.clone()));
        Batch { len: range.len(), columns: self.columns.iter().map(|c| c.slice(range.clone())).collect(), kinds, origins }
    }

    /// The rows where `mask` is true.
    pub fn filter(&self, mask: &[bool]) -> Batch {
        let selected = mask.iter().filter(|m| **m).count();
        if selected == self.len {
            return self.clone();
        }
        let kinds = self.kinds.as_ref().map(|k| k.iter().zip(mask).filter(|(_, m)| **m).map(|(k, _)| *k).collect());
        let origins = self.origins.as_ref().map(|o| o.filter(mask));
        Batch { len: selected, columns: self.columns.iter().map(|c| c.filter(mask, selected)).collect(), kinds, origins }
    }
}
