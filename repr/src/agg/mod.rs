//! Aggregate functions: their SQL result types and the per-group accumulators that compute them.
//!
//! Accumulators are plain serde data so the keyed state that holds them can be checkpointed.
//! Over a changelog they take rows back ([`Accumulator::with_retractions`]): MIN/MAX then keep a
//! multiset of values, the arrival-ordered aggregates the rows they hold ([`sequence`]).

pub mod json_object;
pub mod moments;
pub mod sequence;

use crate::column::{Column, ColumnData};
use crate::datum::Datum;
use crate::decimal;
use crate::types::DataType;
use json_object::JsonObject;
use moments::{MomentKind, Moments};
use sequence::{Sequence, SequenceKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// An aggregate function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AggFunc {
    /// COUNT(*) when it has no argument, else COUNT of non-NULL values.
    Count,
    /// SUM of a number; NULL over no values. Integers and DECIMAL sum exactly (see [`AggFunc::result_type`]).
    Sum,
    /// MIN of any orderable type; NULL over no values.
    Min,
    /// MAX of any orderable type; NULL over no values.
    Max,
    /// AVG of a number, as DOUBLE; NULL over no values.
    Avg,
    /// STDDEV_POP of a number, as DOUBLE; NULL over no values.
    StddevPop,
    /// STDDEV_SAMP of a number, as DOUBLE; NULL over fewer than two values.
    StddevSamp,
    /// VAR_POP of a number, as DOUBLE; NULL over no values.
    VarPop,
    /// VAR_SAMP (and VARIANCE) of a number, as DOUBLE; NULL over fewer than two values.
    VarSamp,
    /// FIRST_VALUE: the first non-NULL value to arrive in the group.
    FirstValue,
    /// LAST_VALUE: the last non-NULL value to arrive in the group.
    LastValue,
    /// LISTAGG(s [, separator]): the non-NULL strings in arrival order, joined (default `,`);
    /// the separator is the aggregate's second argument column.
    ListAgg,
    /// ARRAY_AGG: the values in arrival order as an ARRAY (NULL over no rows).
    ArrayAgg {
        /// `IGNORE NULLS`: NULL values are left out (by default they are kept).
        ignore_nulls: bool,
    },
    /// COLLECT: Flink's MULTISET of the non-NULL values, as a MAP from value to its count
    /// (Flink's own representation of a multiset; vstream has no MULTISET type).
    Collect,
    /// JSON_OBJECTAGG(KEY k VALUE v): the pairs as a JSON object; the value is the aggregate's
    /// second argument column. A key given twice is an error.
    JsonObjectAgg {
        /// `ABSENT ON NULL`: a pair with a NULL value is left out (default: written as `null`).
        absent_on_null: bool,
    },
    /// JSON_ARRAYAGG: the values in arrival order as a JSON array.
    JsonArrayAgg {
        /// `ABSENT ON NULL` (Flink's default): NULL values are left out, else written as `null`.
        absent_on_null: bool,
    },
}

impl AggFunc {
    /// The function's SQL name (`COUNT`), for display and error messages.
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::Count => "COUNT",
            AggFunc::Sum => "SUM",
            AggFunc::Min => "MIN",
            AggFunc::Max => "MAX",
            AggFunc::Avg => "AVG",
            AggFunc::StddevPop => "STDDEV_POP",
            AggFunc::StddevSamp => "STDDEV_SAMP",
            AggFunc::VarPop => "VAR_POP",
            AggFunc::VarSamp => "VAR_SAMP",
            AggFunc::FirstValue => "FIRST_VALUE",
            AggFunc::LastValue => "LAST_VALUE",
            AggFunc::ListAgg => "LISTAGG",
            AggFunc::ArrayAgg { .. } => "ARRAY_AGG",
            AggFunc::Collect => "COLLECT",
            AggFunc::JsonObjectAgg { .. } => "JSON_OBJECTAGG",
            AggFunc::JsonArrayAgg { .. } => "JSON_ARRAYAGG",
        }
    }

    /// The clause that sets an option away from its default (` IGNORE NULLS`, ` ABSENT ON NULL`,
    /// ` NULL ON NULL`), to show the call as written; empty for the default.
    pub fn clause_text(self) -> &'static str {
        match self {
            AggFunc::ArrayAgg { ignore_nulls: true } => " IGNORE NULLS",
            AggFunc::JsonObjectAgg { absent_on_null: true } => " ABSENT ON NULL",
            AggFunc::JsonArrayAgg { absent_on_null: false } => " NULL ON NULL",
            _ => "",
        }
    }

    /// Whether `DISTINCT` is allowed with the function (Flink's forms list it for these).
    pub fn takes_distinct(self) -> bool {
        !matches!(
            self,
            AggFunc::FirstValue | AggFunc::LastValue | AggFunc::ListAgg | AggFunc::JsonObjectAgg { .. } | AggFunc::JsonArrayAgg { .. }
        )
    }

    /// The variance or standard deviation this function computes, if it is one.
    fn moment(self) -> Option<MomentKind> {
        Some(match self {
            AggFunc::StddevPop => MomentKind::StddevPop,
            AggFunc::StddevSamp => MomentKind::StddevSamp,
            AggFunc::VarPop => MomentKind::VarPop,
            AggFunc::VarSamp => MomentKind::VarSamp,
            _ => return None,
        })
    }

    /// The result type for an argument of type `arg` (`None`: COUNT(*)), following DuckDB:
    /// SUM of integers widens to 128 bits (DECIMAL(38, 0) here), SUM of DECIMAL(p, s) is
    /// DECIMAL(38, s), AVG is DOUBLE; the variances and standard deviations are DOUBLE (Flink
    /// keeps the argument's type); FIRST_VALUE and LAST_VALUE the argument's; LISTAGG, the JSON
    /// aggregates VARCHAR; ARRAY_AGG an ARRAY and COLLECT a MAP to INT counts of the argument's
    /// type. For JSON_OBJECTAGG `arg` is the key's type. `None` if the function does not take that type.
    pub fn result_type(self, arg: Option<DataType>) -> Option<DataType> {
        match (self, arg) {
            (AggFunc::Count, _) => Some(DataType::BigInt),
            (_, None) => None,
            (AggFunc::Sum, Some(t)) if t.is_integer() => Some(DataType::Decimal { precision: 38, scale: 0 }),
            (AggFunc::Sum, Some(DataType::Decimal { scale, .. })) => Some(DataType::Decimal { precision: 38, scale }),
            (AggFunc::Sum, Some(DataType::Double | DataType::Float)) => Some(DataType::Double),
            (AggFunc::Avg, Some(t)) if t.is_numeric() => Some(DataType::Double),
            (AggFunc::Min | AggFunc::Max, Some(t)) => Some(t),
            (f, Some(t)) if f.moment().is_some() && t.is_numeric() => Some(DataType::Double),
            (AggFunc::FirstValue | AggFunc::LastValue, Some(t)) => Some(t),
            (AggFunc::ListAgg | AggFunc::JsonObjectAgg { .. }, Some(DataType::Varchar)) => Some(DataType::Varchar),
            (AggFunc::JsonArrayAgg { .. }, Some(_)) => Some(DataType::Varchar),
            (AggFunc::ArrayAgg { .. }, Some(t)) => Some(DataType::array(t)),
            (AggFunc::Collect, Some(t)) => Some(DataType::map(t, DataType::Int)),
            _ => None,
        }
    }
}

/// An aggregate over columns of its input: the function, its argument column (`None`: `*`),
/// DISTINCT, and the column of its `FILTER (WHERE ...)` condition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AggregateSpec {
    /// The function; COUNT with no `arg` is COUNT(*).
    pub func: AggFunc,
    /// The input column of the argument; `None` for COUNT(*). JSON_OBJECTAGG's key.
    pub arg: Option<usize>,
    /// The input column of a second argument: LISTAGG's separator, JSON_OBJECTAGG's value.
    #[serde(default)]
    pub arg2: Option<usize>,
    /// `DISTINCT`: each value counts once per group.
    pub distinct: bool,
    /// The input column of the BOOLEAN `FILTER (WHERE ...)` condition: only rows where it is TRUE
    /// (not FALSE, not NULL) reach the aggregate. `None`: no FILTER clause.
    pub filter: Option<usize>,
    /// The argument's type (`None` for COUNT(*)); it picks the accumulator ([`Accumulator::with_retractions`]).
    pub arg_type: Option<DataType>,
    /// The result type, from [`AggFunc::result_type`].
    pub ty: DataType,
}

impl fmt::Display for AggregateSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arg = self.arg.map_or("*".to_string(), |a| format!("#{a}"));
        let distinct = if self.distinct { "DISTINCT " } else { "" };
        write!(f, "{}({distinct}{arg}", self.func.name())?;
        if let Some(c) = self.arg2 {
            write!(f, ", #{c}")?;
        }
        write!(f, "{})", self.func.clause_text())?;
        if let Some(c) = self.filter {
            write!(f, " FILTER (WHERE #{c})")?;
        }
        Ok(())
    }
}

/// An aggregate that cannot be computed for a group.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AggError {
    /// An exact SUM or AVG whose running sum left DECIMAL(38)'s range.
    #[error("{func} overflows {ty}")]
    Overflow {
        /// The function's SQL name.
        func: &'static str,
        /// The result type whose range was left.
        ty: DataType,
    },
    /// A retraction reached a state built for inserts only, or two partial states of different
    /// kinds met: the planner chose the state wrongly.
    #[error("{func}: internal error: incompatible aggregate state")]
    Incompatible {
        /// The function's SQL name.
        func: &'static str,
    },
    /// JSON_OBJECTAGG given one key by two rows of a group.
    #[error("{func}: duplicate key '{key}'")]
    DuplicateKey {
        /// The function's SQL name.
        func: &'static str,
        /// The key given twice.
        key: String,
    },
    /// JSON_OBJECTAGG given a NULL key.
    #[error("{func}: the key is NULL")]
    NullKey {
        /// The function's SQL name.
        func: &'static str,
    },
}

/// The running state of one aggregate in one group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Accumulator {
    /// COUNT: rows (or non-NULL values) so far; negative only while a retraction precedes its row.
    Count(i64),
    /// Exact sum of integer or DECIMAL mantissas (at the argument's scale) and how many were added.
    SumExact {
        /// The sum of mantissas, kept within DECIMAL(38).
        sum: i128,
        /// Values added less values taken back; 0 makes the SUM NULL.
        n: i64,
    },
    /// SUM of DOUBLE values and how many were added (no values: NULL).
    SumDouble {
        /// The running sum (reset to 0.0 when `n` returns to 0).
        sum: f64,
        /// Values added less values taken back; 0 makes the SUM NULL.
        n: i64,
    },
    /// MIN or MAX: the best value so far.
    Extreme {
        /// The least (MIN) or greatest (MAX) value so far; `None` before the first non-NULL value.
        best: Option<Datum>,
        /// MAX rather than MIN.
        max: bool,
    },
    /// MIN or MAX over a changelog: every value with the number of rows that hold it, so that
    /// retracting the best value finds the next one.
    Extremes {
        /// Each value in SQL order with its count of rows; entries at zero are removed.
        values: BTreeMap<SortedDatum, i64>,
        /// MAX rather than MIN.
        max: bool,
    },
    /// AVG from an exact sum (integers, DECIMAL at `scale`) or a DOUBLE sum.
    AvgExact {
        /// The sum of mantissas, kept within DECIMAL(38).
        sum: i128,
        /// Values added less values taken back; 0 makes the AVG NULL.
        n: i64,
        /// The argument's DECIMAL scale (0 for integers), applied once when the value is read.
        scale: u8,
    },
    /// AVG of DOUBLE values: their sum and how many were added.
    AvgDouble {
        /// The running sum (reset to 0.0 when `n` returns to 0).
        sum: f64,
        /// Values added less values taken back; 0 makes the AVG NULL.
        n: i64,
    },
    /// The DISTINCT values seen (as key encodings) and the aggregate over them. Boxed: it is rare,
    /// and inline it would make every accumulator of every group a third larger.
    Distinct(Box<DistinctState>),
    /// VAR_POP, VAR_SAMP, STDDEV_POP, STDDEV_SAMP: Welford's running moments and exact sums.
    /// Boxed: inline, its 80 bytes would make every accumulator of every group larger.
    Moments(Box<Moments>),
    /// FIRST_VALUE or LAST_VALUE over insert-only input: the one value that can be the answer.
    Pick {
        /// The first (or latest) non-NULL value; `None` before one.
        value: Option<Datum>,
        /// LAST_VALUE rather than FIRST_VALUE.
        last: bool,
    },
    /// The values in arrival order: LISTAGG, ARRAY_AGG, JSON_ARRAYAGG, and FIRST_VALUE and
    /// LAST_VALUE over a changelog.
    Sequence(Box<Sequence>),
    /// COLLECT: each non-NULL value in SQL order with its count of rows; entries at zero are removed.
    Collect(BTreeMap<SortedDatum, i64>),
    /// JSON_OBJECTAGG: the key/value pairs.
    JsonObject(Box<JsonObject>),
}

/// Adds `delta` to the count of `key` (an entry at zero is removed) and returns the new count.
/// Counts may dip below zero within an epoch, when a retraction is applied before the row it
/// takes back; a value is held while its count is positive.
fn add_count<K, M: CountMap<K>>(map: &mut M, key: K, delta: i64) -> i64 {
    map.add(key, delta)
}

/// The two maps of counts that accumulators keep.
trait CountMap<K> {
    fn add(&mut self, key: K, delta: i64) -> i64;
}

impl<K: Ord> CountMap<K> for BTreeMap<K, i64> {
    fn add(&mut self, key: K, delta: i64) -> i64 {
        match self.entry(key) {
            std::collections::btree_map::Entry::Occupied(mut o) => {
                *o.get_mut() += delta;
                let n = *o.get();
                if n == 0 {
                    o.remove();
                }
                n
            }
            std::collections::btree_map::Entry::Vacant(v) => *v.insert(delta),
        }
    }
}

impl<K: std::hash::Hash + Eq> CountMap<K> for HashMap<K, i64> {
    fn add(&mut self, key: K, delta: i64) -> i64 {
        match self.entry(key) {
            std::collections::hash_map::Entry::Occupied(mut o) => {
                *o.get_mut() += delta;
                let n = *o.get();
                if n == 0 {
                    o.remove();
                }
                n
            }
            std::collections::hash_map::Entry::Vacant(v) => *v.insert(delta),
        }
    }
}

/// A value ordered as SQL orders it (within one type), to key [`Accumulator::Extremes`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SortedDatum(pub Datum);

impl PartialEq for SortedDatum {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for SortedDatum {}
impl PartialOrd for SortedDatum {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for SortedDatum {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        compare_datums(&self.0, &other.0)
    }
}

/// See [`Accumulator::Distinct`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistinctState {
    /// Each distinct value (as its key encoding) with the number of rows that hold it.
    pub seen: HashMap<Vec<u8>, i64>,
    /// The aggregate over the distinct values, fed a value when its first row comes and when its last goes.
    pub inner: Accumulator,
}

impl Accumulator {
    /// The empty state of `spec` over insert-only input.
    pub fn new(spec: &AggregateSpec) -> Self {
        Self::with_retractions(spec, false)
    }

    /// The empty state of `spec`; with `retractions`, one that can also take rows back
    /// ([`Accumulator::retract`]): MIN and MAX then keep every value.
    pub fn with_retractions(spec: &AggregateSpec, retractions: bool) -> Self {
        let base = match (spec.func, spec.arg_type) {
            (AggFunc::Count, _) => Accumulator::Count(0),
            (AggFunc::Sum, Some(DataType::Double | DataType::Float)) => Accumulator::SumDouble { sum: 0.0, n: 0 },
            (AggFunc::Sum, _) => Accumulator::SumExact { sum: 0, n: 0 },
            (AggFunc::Min | AggFunc::Max, _) if retractions => {
                Accumulator::Extremes { values: BTreeMap::new(), max: spec.func == AggFunc::Max }
            }
            (AggFunc::Min, _) => Accumulator::Extreme { best: None, max: false },
            (AggFunc::Max, _) => Accumulator::Extreme { best: None, max: true },
            (AggFunc::Avg, Some(DataType::Double | DataType::Float)) => Accumulator::AvgDouble { sum: 0.0, n: 0 },
            (AggFunc::Avg, t) => {
                Accumulator::AvgExact { sum: 0, n: 0, scale: if let Some(DataType::Decimal { scale, .. }) = t { scale } else { 0 } }
            }
            (AggFunc::StddevPop, t) => Accumulator::Moments(Box::new(Moments::for_type(MomentKind::StddevPop, t))),
            (AggFunc::StddevSamp, t) => Accumulator::Moments(Box::new(Moments::for_type(MomentKind::StddevSamp, t))),
            (AggFunc::VarPop, t) => Accumulator::Moments(Box::new(Moments::for_type(MomentKind::VarPop, t))),
            (AggFunc::VarSamp, t) => Accumulator::Moments(Box::new(Moments::for_type(MomentKind::VarSamp, t))),
            (AggFunc::FirstValue, _) if retractions => Self::sequence(SequenceKind::First, true),
            (AggFunc::LastValue, _) if retractions => Self::sequence(SequenceKind::Last, true),
            (AggFunc::FirstValue, _) => Accumulator::Pick { value: None, last: false },
            (AggFunc::LastValue, _) => Accumulator::Pick { value: None, last: true },
            (AggFunc::ListAgg, _) => Self::sequence(SequenceKind::ListAgg, retractions),
            (AggFunc::ArrayAgg { .. }, _) => Self::sequence(SequenceKind::ArrayAgg, retractions),
            (AggFunc::JsonArrayAgg { .. }, _) => Self::sequence(SequenceKind::JsonArray, retractions),
            (AggFunc::Collect, _) => Accumulator::Collect(BTreeMap::new()),
            (AggFunc::JsonObjectAgg { .. }, _) => Accumulator::JsonObject(Box::default()),
        };
        if spec.distinct { Accumulator::Distinct(Box::new(DistinctState { seen: HashMap::new(), inner: base })) } else { base }
    }

    fn sequence(kind: SequenceKind, retractions: bool) -> Self {
        Accumulator::Sequence(Box::new(Sequence::new(kind, retractions)))
    }

    /// Adds row `row` of the input `columns`, reading the argument columns `spec` names (the
    /// second one too: LISTAGG's separator, JSON_OBJECTAGG's value).
    pub fn add_row(&mut self, columns: &[Column], row: usize, spec: &AggregateSpec) -> Result<(), AggError> {
        self.update_row(columns, row, spec, 1)
    }

    /// Takes back row `row` of the input `columns` (the inverse of [`Accumulator::add_row`]).
    pub fn retract_row(&mut self, columns: &[Column], row: usize, spec: &AggregateSpec) -> Result<(), AggError> {
        self.update_row(columns, row, spec, -1)
    }

    #[inline(always)]
    fn update_row(&mut self, columns: &[Column], row: usize, spec: &AggregateSpec, diff: i64) -> Result<(), AggError> {
        let arg = spec.arg.and_then(|a| columns.get(a));
        let arg2 = spec.arg2.and_then(|a| columns.get(a));
        match self {
            Accumulator::JsonObject(object) => {
                let (Some(key), Some(value)) = (arg, arg2) else { return Err(AggError::Incompatible { func: spec.func.name() }) };
                if !key.is_valid(row) {
                    return Err(AggError::NullKey { func: spec.func.name() });
                }
                let absent_on_null = matches!(spec.func, AggFunc::JsonObjectAgg { absent_on_null: true });
                if absent_on_null && !value.is_valid(row) {
                    return Ok(());
                }
                let Datum::Str(k) = key.datum(row) else { return Err(AggError::Incompatible { func: spec.func.name() }) };
                let mut json = Vec::new();
                crate::column::write_json(&value.datum(row), value.ty, &mut json);
                object.update(&k, String::from_utf8_lossy(&json).into_owned(), diff)
            }
            Accumulator::Sequence(seq) if seq.kind == SequenceKind::ListAgg => {
                // Flink's LISTAGG keeps the separator of the latest row it adds.
                if let Some(sep) = arg2
                    && diff > 0
                    && sep.is_valid(row)
                    && arg.is_some_and(|a| a.is_valid(row))
                    && let Datum::Str(s) = sep.datum(row)
                {
                    seq.separator = s;
                }
                self.update(arg, row, spec, diff)
            }
            _ => self.update(arg, row, spec, diff),
        }
    }

    /// Whether this state takes NULL values rather than skipping them (ARRAY_AGG RESPECT NULLS,
    /// JSON_ARRAYAGG NULL ON NULL).
    fn takes_nulls(&self, spec: &AggregateSpec) -> bool {
        match self {
            Accumulator::Sequence(_) => {
                matches!(spec.func, AggFunc::ArrayAgg { ignore_nulls: false } | AggFunc::JsonArrayAgg { absent_on_null: false })
            }
            Accumulator::Distinct(d) => d.inner.takes_nulls(spec),
            _ => false,
        }
    }

    /// Adds row `i` of `arg` (`None`: COUNT(*)). NULLs are skipped, as SQL aggregates do.
    pub fn add(&mut self, arg: Option<&Column>, i: usize, spec: &AggregateSpec) -> Result<(), AggError> {
        self.update(arg, i, spec, 1)
    }

    /// Takes back row `i` of `arg`, added before (a retraction in a changelog).
    pub fn retract(&mut self, arg: Option<&Column>, i: usize, spec: &AggregateSpec) -> Result<(), AggError> {
        self.update(arg, i, spec, -1)
    }

    /// Adds (`diff` 1) or takes back (`diff` -1) row `i` of `arg`. Inlined into `add` and
    /// `retract`, so each is compiled for its constant `diff` (`add` is on every row's path).
    #[inline(always)]
    fn update(&mut self, arg: Option<&Column>, i: usize, spec: &AggregateSpec, diff: i64) -> Result<(), AggError> {
        let Some(col) = arg else {
            if let Accumulator::Count(n) = self {
                *n += diff;
            }
            return Ok(());
        };
        if !col.is_valid(i) && !self.takes_nulls(spec) {
            return Ok(());
        }
        let overflow = || AggError::Overflow { func: spec.func.name(), ty: spec.ty };
        match self {
            Accumulator::Count(n) => *n += diff,
            Accumulator::SumExact { sum, n } | Accumulator::AvgExact { sum, n, .. } => {
                let v = match &col.data {
                    ColumnData::Int(v) => v[i] as i128,
                    ColumnData::Decimal(v) => v[i],
                    _ => return Ok(()),
                };
                let next = if diff > 0 { sum.checked_add(v) } else { sum.checked_sub(v) };
                *sum = next.filter(|s| decimal::fits(*s, 38)).ok_or_else(overflow)?;
                *n += diff;
            }
            Accumulator::SumDouble { sum, n } | Accumulator::AvgDouble { sum, n } => {
                if let ColumnData::Double(v) = &col.data {
                    *sum += v[i] * diff as f64;
                    *n += diff;
                    if *n == 0 {
                        // No rounding error left behind once the last value is gone.
                        *sum = 0.0;
                    }
                }
            }
            // An insert-only MIN/MAX cannot take a row back; the planner gives a changelog's
            // aggregates `Extremes` instead.
            Accumulator::Extreme { .. } if diff < 0 => return Err(AggError::Incompatible { func: spec.func.name() }),
            Accumulator::Extreme { best, max } => {
                // Numbers and timestamps compare in place; only a new best value is stored.
                let better = |ord: std::cmp::Ordering| if *max { ord.is_gt() } else { ord.is_lt() };
                match (&col.data, best.as_mut()) {
                    (ColumnData::Int(v), Some(Datum::Int(b))) | (ColumnData::Timestamp(v), Some(Datum::Timestamp(b))) => {
                        if better(v[i].cmp(b)) {
                            *b = v[i];
                        }
                        return Ok(());
                    }
                    (ColumnData::Decimal(v), Some(Datum::Decimal(b))) => {
                        if better(v[i].cmp(b)) {
                            *b = v[i];
                        }
                        return Ok(());
                    }
                    _ => {}
                }
                let v = col.datum(i);
                let better = match best {
                    None => true,
                    Some(b) => {
                        let ord = compare_datums(&v, b);
                        if *max { ord == std::cmp::Ordering::Greater } else { ord == std::cmp::Ordering::Less }
                    }
                };
                if better {
                    *best = Some(v);
                }
            }
            Accumulator::Extremes { values, .. } => {
                add_count(values, SortedDatum(col.datum(i)), diff);
            }
            Accumulator::Distinct(d) => {
                let mut key = Vec::new();
                col.encode_key(i, &mut key);
                // The inner aggregate sees a value when its first row comes and when its last goes.
                match (diff > 0, add_count(&mut d.seen, key, diff)) {
                    (true, 1) | (false, 0) => d.inner.update(Some(col), i, spec, diff)?,
                    _ => {}
                }
            }
            Accumulator::Moments(m) => m.update(col, i, diff),
            // An insert-only FIRST/LAST_VALUE cannot take a row back: the planner gives a
            // changelog's aggregates a `Sequence`.
            Accumulator::Pick { .. } if diff < 0 => return Err(AggError::Incompatible { func: spec.func.name() }),
            Accumulator::Pick { value, last } => {
                if *last || value.is_none() {
                    *value = Some(col.datum(i));
                }
            }
            Accumulator::Sequence(seq) => {
                let value = if seq.kind == SequenceKind::JsonArray {
                    let mut json = Vec::new();
                    crate::column::write_json(&col.datum(i), col.ty, &mut json);
                    Datum::Str(String::from_utf8_lossy(&json).into_owned())
                } else {
                    col.datum(i)
                };
                if diff > 0 {
                    seq.add(value);
                } else if !seq.retract(&value) {
                    return Err(AggError::Incompatible { func: spec.func.name() });
                }
            }
            Accumulator::Collect(counts) => {
                add_count(counts, SortedDatum(col.datum(i)), diff);
            }
            // JSON_OBJECTAGG reads two columns: `update_row` handles it.
            Accumulator::JsonObject(_) => return Err(AggError::Incompatible { func: spec.func.name() }),
        }
        Ok(())
    }

    /// Whether a worker should pre-aggregate this aggregate before the exchange: all but
    /// DISTINCT, whose partial state is the set of its values, as large as the rows it saw.
    pub fn pre_aggregates(spec: &AggregateSpec) -> bool {
        !spec.distinct
    }

    /// Folds another partial state of the same aggregate into this one (local pre-aggregation:
    /// each worker aggregates a batch, the key's owner merges the partials).
    pub fn merge(&mut self, other: &Accumulator, spec: &AggregateSpec) -> Result<(), AggError> {
        let overflow = || AggError::Overflow { func: spec.func.name(), ty: spec.ty };
        match (self, other) {
            (Accumulator::Count(a), Accumulator::Count(b)) => *a += b,
            (Accumulator::SumExact { sum, n }, Accumulator::SumExact { sum: s2, n: n2 })
            | (Accumulator::AvgExact { sum, n, .. }, Accumulator::AvgExact { sum: s2, n: n2, .. }) => {
                *sum = sum.checked_add(*s2).filter(|s| decimal::fits(*s, 38)).ok_or_else(overflow)?;
                *n += n2;
            }
            (Accumulator::SumDouble { sum, n }, Accumulator::SumDouble { sum: s2, n: n2 })
            | (Accumulator::AvgDouble { sum, n }, Accumulator::AvgDouble { sum: s2, n: n2 }) => {
                *sum += s2;
                *n += n2;
            }
            (Accumulator::Extreme { best, max }, Accumulator::Extreme { best: Some(b2), .. }) => {
                let better = best.as_ref().is_none_or(|b| {
                    let ord = compare_datums(b2, b);
                    if *max { ord == std::cmp::Ordering::Greater } else { ord == std::cmp::Ordering::Less }
                });
                if better {
                    *best = Some(b2.clone());
                }
            }
            (Accumulator::Extreme { .. }, Accumulator::Extreme { best: None, .. }) => {}
            (Accumulator::Moments(a), Accumulator::Moments(b)) => a.merge(b),
            // The other state saw its rows after this one's (the key's owner merges partials in
            // arrival order).
            (Accumulator::Pick { value, last }, Accumulator::Pick { value: Some(v), .. }) => {
                if *last || value.is_none() {
                    *value = Some(v.clone());
                }
            }
            (Accumulator::Pick { .. }, Accumulator::Pick { value: None, .. }) => {}
            (Accumulator::Sequence(a), Accumulator::Sequence(b)) => a.merge(b),
            (Accumulator::Collect(a), Accumulator::Collect(b)) => {
                for (v, n) in b {
                    add_count(a, v.clone(), *n);
                }
            }
            (Accumulator::JsonObject(a), Accumulator::JsonObject(b)) => a.merge(b)?,
            // SESSION windows merge: each value the other state saw and this one did not is
            // added (decoded from its key encoding).
            (Accumulator::Extremes { values, .. }, Accumulator::Extremes { values: other, .. }) => {
                for (v, n) in other {
                    *values.entry(v.clone()).or_insert(0) += n;
                }
                values.retain(|_, n| *n != 0);
            }
            (Accumulator::Distinct(d), Accumulator::Distinct(other)) => {
                let incompatible = || AggError::Incompatible { func: spec.func.name() };
                let ty = spec.arg_type.ok_or_else(incompatible)?;
                for (k, n) in &other.seen {
                    match d.seen.get_mut(k) {
                        Some(mine) => *mine += n,
                        None => {
                            let value = Column::decode_key(ty, k).ok_or_else(incompatible)?;
                            d.inner.add(Some(&Column::from_datums(ty, &[value])), 0, spec)?;
                            d.seen.insert(k.clone(), *n);
                        }
                    }
                }
            }
            // Two different kinds of state for one aggregate would be a planner bug.
            _ => return Err(AggError::Incompatible { func: spec.func.name() }),
        }
        Ok(())
    }

    /// The aggregate's current value. SUM, MIN, MAX, AVG and most others of no values are NULL; COUNT is 0,
    /// COLLECT an empty MAP, JSON_ARRAYAGG `[]` and JSON_OBJECTAGG `{}`.
    pub fn value(&self) -> Datum {
        match self {
            Accumulator::Count(n) => Datum::Int(*n),
            Accumulator::SumExact { n: 0, .. } | Accumulator::SumDouble { n: 0, .. } => Datum::Null,
            Accumulator::AvgExact { n: 0, .. } | Accumulator::AvgDouble { n: 0, .. } => Datum::Null,
            Accumulator::SumExact { sum, .. } => Datum::Decimal(*sum),
            Accumulator::SumDouble { sum, .. } => Datum::Double(*sum),
            Accumulator::Extreme { best, .. } => best.clone().unwrap_or(Datum::Null),
            Accumulator::Extremes { values, max } => {
                let best = if *max { values.iter().rev().find(|(_, n)| **n > 0) } else { values.iter().find(|(_, n)| **n > 0) };
                best.map_or(Datum::Null, |(v, _)| v.0.clone())
            }
            // The exact sum divided once, so AVG has no accumulated rounding error.
            Accumulator::AvgExact { sum, n, scale } => Datum::Double(decimal::to_f64(*sum, *scale) / *n as f64),
            Accumulator::AvgDouble { sum, n } => Datum::Double(sum / *n as f64),
            Accumulator::Distinct(d) => d.inner.value(),
            Accumulator::Moments(m) => m.value(),
            Accumulator::Pick { value, .. } => value.clone().unwrap_or(Datum::Null),
            Accumulator::Sequence(seq) => seq.value(),
            // Flink's multiset as a MAP of counts; no values: an empty one.
            Accumulator::Collect(counts) => {
                Datum::Map(counts.iter().filter(|(_, n)| **n > 0).map(|(v, n)| (v.0.clone(), Datum::Int(*n))).collect())
            }
            Accumulator::JsonObject(object) => Datum::Str(object.value()),
        }
    }
}

/// SQL order between two non-NULL values of one type (NaN above every DOUBLE).
pub fn compare_datums(a: &Datum, b: &Datum) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Datum::Int(x), Datum::Int(y)) | (Datum::Timestamp(x), Datum::Timestamp(y)) => x.cmp(y),
        (Datum::Decimal(x), Datum::Decimal(y)) => x.cmp(y),
        (Datum::Double(x), Datum::Double(y)) => match (x.is_nan(), y.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        },
        (Datum::Str(x), Datum::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Datum::Bool(x), Datum::Bool(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(func: AggFunc, ty: DataType, distinct: bool) -> AggregateSpec {
        AggregateSpec {
            func,
            arg: Some(0),
            arg2: None,
            distinct,
            filter: None,
            arg_type: Some(ty),
            ty: func.result_type(Some(ty)).unwrap(),
        }
    }

    #[test]
    fn sums_are_exact_and_nulls_skipped() {
        let c =
            Column::new(DataType::Decimal { precision: 4, scale: 1 }, ColumnData::Decimal(vec![11, 22, 0]), Some(vec![true, true, false]));
        let s = spec(AggFunc::Sum, c.ty, false);
        let mut a = Accumulator::new(&s);
        for i in 0..3 {
            a.add(Some(&c), i, &s).unwrap();
        }
        assert_eq!(a.value(), Datum::Decimal(33));
        let avg = spec(AggFunc::Avg, c.ty, false);
        let mut a = Accumulator::new(&avg);
        for i in 0..3 {
            a.add(Some(&c), i, &avg).unwrap();
        }
        assert_eq!(a.value(), Datum::Double(1.65));
    }

    #[test]
    fn distinct_counts_values_once() {
        let c = Column::new(DataType::BigInt, ColumnData::Int(vec![1, 2, 1, 1]), None);
        let s = spec(AggFunc::Count, DataType::BigInt, true);
        let mut a = Accumulator::new(&s);
        for i in 0..4 {
            a.add(Some(&c), i, &s).unwrap();
        }
        assert_eq!(a.value(), Datum::Int(2));
    }

    #[test]
    fn distinct_states_merge_as_the_union_of_their_values() {
        let c = Column::new(DataType::Varchar, ColumnData::Str(["a", "b", "a", "c"].iter().map(|s| s.to_string()).collect()), None);
        let n = Column::new(DataType::Decimal { precision: 4, scale: 1 }, ColumnData::Decimal(vec![10, 20, 10, 35]), None);
        for (col, func, want) in [
            (&c, AggFunc::Count, Datum::Int(3)),
            (&c, AggFunc::Max, Datum::Str("c".into())),
            (&n, AggFunc::Sum, Datum::Decimal(65)),
            (&n, AggFunc::Count, Datum::Int(3)),
        ] {
            let s = spec(func, col.ty, true);
            let (mut a, mut b) = (Accumulator::new(&s), Accumulator::new(&s));
            for i in 0..2 {
                a.add(Some(col), i, &s).unwrap();
            }
            for i in 2..4 {
                b.add(Some(col), i, &s).unwrap();
            }
            a.merge(&b, &s).unwrap();
            assert_eq!(a.value(), want, "{func:?} DISTINCT");
        }
    }

    #[test]
    fn retractions_take_rows_back() {
        let c = Column::new(DataType::BigInt, ColumnData::Int(vec![5, 9, 5, 1]), None);
        for (func, distinct, after_adds, after_retracting_9_and_one_5) in [
            (AggFunc::Max, false, Datum::Int(9), Datum::Int(5)),
            (AggFunc::Min, false, Datum::Int(1), Datum::Int(1)),
            (AggFunc::Sum, false, Datum::Decimal(20), Datum::Decimal(6)),
            (AggFunc::Count, true, Datum::Int(3), Datum::Int(2)),
            (AggFunc::Max, true, Datum::Int(9), Datum::Int(5)),
        ] {
            let s = spec(func, DataType::BigInt, distinct);
            let mut a = Accumulator::with_retractions(&s, true);
            for i in 0..4 {
                a.add(Some(&c), i, &s).unwrap();
            }
            assert_eq!(a.value(), after_adds, "{func:?} distinct={distinct}");
            a.retract(Some(&c), 1, &s).unwrap();
            a.retract(Some(&c), 0, &s).unwrap();
            assert_eq!(a.value(), after_retracting_9_and_one_5, "{func:?} distinct={distinct}");
        }
        // A retraction applied before the row it takes back leaves nothing behind.
        let s = spec(AggFunc::Max, DataType::BigInt, false);
        let mut a = Accumulator::with_retractions(&s, true);
        a.retract(Some(&c), 1, &s).unwrap();
        assert_eq!(a.value(), Datum::Null);
        a.add(Some(&c), 1, &s).unwrap();
        assert_eq!(a.value(), Datum::Null);
        // An insert-only MIN/MAX state cannot take a row back.
        assert!(Accumulator::new(&s).retract(Some(&c), 0, &s).is_err());
    }

    fn strings(values: &[Option<&str>]) -> Column {
        let datums: Vec<Datum> = values.iter().map(|v| v.map_or(Datum::Null, |s| Datum::Str(s.to_string()))).collect();
        Column::from_datums(DataType::Varchar, &datums)
    }

    #[test]
    fn listagg_reads_its_separator_column_and_takes_rows_back() {
        let columns = [strings(&[Some("a"), None, Some("b"), Some("c")]), strings(&[Some(";"), Some("!"), Some("-"), Some("-")])];
        let s = AggregateSpec { arg2: Some(1), ..spec(AggFunc::ListAgg, DataType::Varchar, false) };
        let mut a = Accumulator::with_retractions(&s, true);
        for row in 0..4 {
            a.add_row(&columns, row, &s).unwrap();
        }
        // The NULL value's separator is not taken; the latest row's is.
        assert_eq!(a.value(), Datum::Str("a-b-c".into()));
        a.retract_row(&columns, 2, &s).unwrap();
        assert_eq!(a.value(), Datum::Str("a-c".into()));
    }

    #[test]
    fn json_objectagg_reads_key_and_value_columns() {
        let values = Column::from_datums(DataType::Int, &[Datum::Int(1), Datum::Null, Datum::Int(3)]);
        let columns = [strings(&[Some("x"), Some("y"), None]), values];
        for (absent_on_null, want) in [(false, r#"{"x":1,"y":null}"#), (true, r#"{"x":1}"#)] {
            let s = AggregateSpec { arg2: Some(1), ..spec(AggFunc::JsonObjectAgg { absent_on_null }, DataType::Varchar, false) };
            let mut a = Accumulator::new(&s);
            a.add_row(&columns, 0, &s).unwrap();
            a.add_row(&columns, 1, &s).unwrap();
            assert_eq!(a.value(), Datum::Str(want.into()));
            assert!(matches!(a.add_row(&columns, 2, &s), Err(AggError::NullKey { .. })));
            assert!(matches!(a.add_row(&columns, 0, &s), Err(AggError::DuplicateKey { .. })));
        }
    }

    #[test]
    fn array_agg_keeps_nulls_unless_told_and_distinct_keeps_one() {
        let c = Column::from_datums(DataType::BigInt, &[Datum::Int(2), Datum::Null, Datum::Int(2), Datum::Null]);
        for (ignore_nulls, distinct, want) in [
            (false, false, vec![Datum::Int(2), Datum::Null, Datum::Int(2), Datum::Null]),
            (true, false, vec![Datum::Int(2), Datum::Int(2)]),
            (false, true, vec![Datum::Int(2), Datum::Null]),
            (true, true, vec![Datum::Int(2)]),
        ] {
            let s = spec(AggFunc::ArrayAgg { ignore_nulls }, DataType::BigInt, distinct);
            let mut a = Accumulator::new(&s);
            for i in 0..4 {
                a.add(Some(&c), i, &s).unwrap();
            }
            assert_eq!(a.value(), Datum::Array(want), "ignore_nulls={ignore_nulls} distinct={distinct}");
        }
    }

    #[test]
    fn new_states_survive_a_serde_round_trip() {
        let c = Column::from_datums(DataType::BigInt, &[Datum::Int(4), Datum::Int(7), Datum::Int(4)]);
        for func in [AggFunc::VarSamp, AggFunc::FirstValue, AggFunc::ArrayAgg { ignore_nulls: false }, AggFunc::Collect] {
            let s = spec(func, DataType::BigInt, false);
            let mut a = Accumulator::with_retractions(&s, true);
            for i in 0..3 {
                a.add(Some(&c), i, &s).unwrap();
            }
            let bytes = bincode::serialize(&a).unwrap();
            let mut back: Accumulator = bincode::deserialize(&bytes).unwrap();
            assert_eq!(back, a, "{func:?}");
            // The index survives too: a retraction after the round trip finds its row.
            back.retract(Some(&c), 0, &s).unwrap();
            a.retract(Some(&c), 0, &s).unwrap();
            assert_eq!(back.value(), a.value(), "{func:?}");
        }
        assert_eq!(
            Accumulator::Collect([(SortedDatum(Datum::Int(4)), 2), (SortedDatum(Datum::Int(7)), 1)].into_iter().collect()).value(),
            Datum::Map(vec![(Datum::Int(4), Datum::Int(2)), (Datum::Int(7), Datum::Int(1))])
        );
    }

    #[test]
    fn accumulators_stay_small() {
        // Every group holds one per aggregate: the rare, large states are boxed.
        assert!(std::mem::size_of::<Accumulator>() <= 48, "{}", std::mem::size_of::<Accumulator>());
    }

    #[test]
    fn sum_overflow_is_an_error() {
        let big = decimal::POW10[38] - 1;
        let c = Column::new(DataType::Decimal { precision: 38, scale: 0 }, ColumnData::Decimal(vec![big, 1]), None);
        let s = spec(AggFunc::Sum, c.ty, false);
        let mut a = Accumulator::new(&s);
        a.add(Some(&c), 0, &s).unwrap();
        assert!(a.add(Some(&c), 1, &s).is_err());
    }
}
