//! Ranking: the functions of a Top-N (`ROW_NUMBER`, `RANK`, `DENSE_RANK`) and the sort order
//! of one `ORDER BY` key, shared by the plans and the operator that ranks rows.

use crate::Datum;
use crate::agg::compare_datums;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// A ranking function of an `OVER (PARTITION BY ... ORDER BY ...)` window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RankFunc {
    /// 1, 2, 3, ... in order; rows with equal sort keys still get distinct numbers.
    RowNumber,
    /// One more than the number of rows sorted strictly before: ties share a rank, then a gap.
    Rank,
    /// One more than the number of distinct sort keys before: ties share a rank, no gap.
    DenseRank,
}

impl RankFunc {
    /// Its SQL name.
    pub fn name(self) -> &'static str {
        match self {
            RankFunc::RowNumber => "ROW_NUMBER",
            RankFunc::Rank => "RANK",
            RankFunc::DenseRank => "DENSE_RANK",
        }
    }

    /// The function SQL `name` (upper case) names, if it is one.
    pub fn from_name(name: &str) -> Option<RankFunc> {
        Some(match name {
            "ROW_NUMBER" => RankFunc::RowNumber,
            "RANK" => RankFunc::Rank,
            "DENSE_RANK" => RankFunc::DenseRank,
            _ => return None,
        })
    }
}

/// The direction of one sort key and where its NULLs go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortOrder {
    /// `DESC`: larger values first.
    pub descending: bool,
    /// `NULLS FIRST`. Without one, NULLs sort as the largest value (Flink's and Postgres'
    /// default): last ascending, first descending.
    pub nulls_first: bool,
}

impl SortOrder {
    /// `ASC`/`DESC` with an optional `NULLS FIRST|LAST` (`None`: the default for the direction).
    pub fn new(descending: bool, nulls_first: Option<bool>) -> SortOrder {
        SortOrder { descending, nulls_first: nulls_first.unwrap_or(descending) }
    }

    /// How `a` sorts against `b` under this order.
    pub fn compare(self, a: &Datum, b: &Datum) -> Ordering {
        match (a.is_null(), b.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if self.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if self.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, false) => {
                let ord = compare_datums(a, b);
                if self.descending { ord.reverse() } else { ord }
            }
        }
    }
}

impl std::fmt::Display for SortOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.descending { "DESC" } else { "ASC" })?;
        if self.nulls_first != self.descending {
            f.write_str(if self.nulls_first { " NULLS FIRST" } else { " NULLS LAST" })?;
        }
        Ok(())
    }
}

/// How the sort keys `a` and `b` compare under `orders` (one per key), the first unequal key
/// deciding.
pub fn compare_keys(orders: &[SortOrder], a: &[Datum], b: &[Datum]) -> Ordering {
    orders.iter().zip(a.iter().zip(b)).map(|(o, (x, y))| o.compare(x, y)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
}

/// The frame of an OVER aggregate: the rows before (and including) the current one, ordered by
/// event time, that its aggregates cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OverFrame {
    /// `ROWS BETWEEN n PRECEDING AND CURRENT ROW`: the row and the `n` before it in its
    /// partition (`None`: `UNBOUNDED PRECEDING`, every row before it).
    Rows {
        /// How many rows before the current one.
        preceding: Option<u64>,
    },
    /// `RANGE BETWEEN INTERVAL ... PRECEDING AND CURRENT ROW`: the rows whose time is at most
    /// `preceding` ms before the current row's, and its peers (rows of the same time)
    /// (`None`: `UNBOUNDED PRECEDING`).
    Range {
        /// Milliseconds before the current row's time.
        preceding: Option<i64>,
    },
}

impl std::fmt::Display for OverFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OverFrame::Rows { preceding: Some(n) } => write!(f, "ROWS BETWEEN {n} PRECEDING AND CURRENT ROW"),
            OverFrame::Rows { preceding: None } => write!(f, "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
            OverFrame::Range { preceding: Some(ms) } => {
                write!(f, "RANGE BETWEEN {} PRECEDING AND CURRENT ROW", crate::window::Millis(*ms))
            }
            OverFrame::Range { preceding: None } => write!(f, "RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
        }
    }
}

/// A total order on whole rows (every value ascending, NULLs last), to break ties between rows
/// whose sort keys are equal the same way on every worker and in every run.
pub fn compare_rows(a: &[Datum], b: &[Datum]) -> Ordering {
    let asc = SortOrder::new(false, None);
    a.iter().zip(b).map(|(x, y)| asc.compare(x, y)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_sort_as_largest_by_default() {
        let asc = SortOrder::new(false, None);
        let desc = SortOrder::new(true, None);
        assert_eq!(asc.compare(&Datum::Null, &Datum::Int(1)), Ordering::Greater);
        assert_eq!(desc.compare(&Datum::Null, &Datum::Int(1)), Ordering::Less);
        assert_eq!(desc.compare(&Datum::Int(2), &Datum::Int(1)), Ordering::Less);
        assert_eq!(SortOrder::new(false, Some(true)).compare(&Datum::Null, &Datum::Int(1)), Ordering::Less);
        assert_eq!(compare_keys(&[asc, desc], &[Datum::Int(1), Datum::Int(5)], &[Datum::Int(1), Datum::Int(3)]), Ordering::Less);
    }
}
