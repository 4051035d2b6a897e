//! A batch of rows held as columns: the unit that moves along every dataflow edge.

use crate::column::Column;
use serde::{Deserialize, Serialize};

/// Rows of one relation, column by column. Every column has `len` rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub len: usize,
    pub columns: Vec<Column>,
}

impl Batch {
    pub fn new(len: usize, columns: Vec<Column>) -> Self {
        debug_assert!(columns.iter().all(|c| c.len() == len));
        Batch { len, columns }
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The rows where `mask` is true.
    pub fn filter(&self, mask: &[bool]) -> Batch {
        let selected = mask.iter().filter(|m| **m).count();
        if selected == self.len {
            return self.clone();
        }
        Batch { len: selected, columns: self.columns.iter().map(|c| c.filter(mask, selected)).collect() }
    }
}
