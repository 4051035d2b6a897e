//! SQL types and schemas.

use serde::{Deserialize, Deserializer, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// Largest DECIMAL precision: mantissas are `i128`, which holds 38 decimal digits.
pub const MAX_DECIMAL_PRECISION: u8 = 38;

/// Largest fractional-second precision of TIME, TIMESTAMP and TIMESTAMP_LTZ (nanoseconds).
pub const MAX_TIME_PRECISION: u8 = 9;

/// A SQL type as the binder sees it. The physical layout of each is in [`crate::ColumnData`]
/// (see [`DataType::layout`]).
///
/// The type is `Copy` (it is passed by value through every layer and every kernel): the element
/// types of ARRAY, MAP and ROW are interned once per distinct type ([`intern`]) and referred to
/// by `&'static`, so a nested type costs one pointer and compares by value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DataType {
    /// BOOLEAN: stored as `bool`.
    Boolean,
    /// 8-bit integer (TINYINT); stored as `i64`, range-checked on arithmetic and casts.
    TinyInt,
    /// 16-bit integer (SMALLINT); stored as `i64`, range-checked on arithmetic and casts.
    SmallInt,
    /// 32-bit integer; stored as `i64`, range-checked on arithmetic and casts.
    Int,
    /// 64-bit integer (BIGINT); arithmetic that leaves its range is an error, not a wrap.
    BigInt,
    /// 32-bit IEEE float (FLOAT, REAL): stored as `f64` holding values rounded to `f32`.
    Float,
    /// 64-bit IEEE float (DOUBLE). NaN equals NaN and sorts above every number, as SQL orders it.
    Double,
    /// Exact decimal: an `i128` mantissa scaled by `10^-scale`.
    Decimal {
        /// Total significant digits, 1 to [`MAX_DECIMAL_PRECISION`].
        precision: u8,
        /// Digits after the point, at most `precision`.
        scale: u8,
    },
    /// UTF-8 text (VARCHAR, STRING, CHAR(n)), held in a [`crate::StringColumn`].
    Varchar,
    /// Bytes (BYTES, VARBINARY, BINARY(n)), held in a [`crate::StringColumn`] without the UTF-8 promise.
    Bytes,
    /// A calendar date: days since 1970-01-01, stored as `i64`.
    Date,
    /// A time of day with `precision` fractional digits: nanoseconds since midnight, stored as `i64`.
    Time {
        /// Fractional-second digits, 0 to [`MAX_TIME_PRECISION`].
        precision: u8,
    },
    /// A date and time with no time zone, stored as `i64` ticks since 1970-01-01 00:00:00 in the
    /// unit [`timestamp_unit`] gives for `precision`: milliseconds for 0–3 (every event-time
    /// attribute), microseconds for 4–6, nanoseconds for 7–9.
    Timestamp {
        /// Fractional-second digits, 0 to [`MAX_TIME_PRECISION`].
        precision: u8,
    },
    /// An instant (TIMESTAMP_LTZ, TIMESTAMP WITH LOCAL TIME ZONE): ticks since the Unix epoch in
    /// UTC, in the unit of [`DataType::TIMESTAMP`]; shown in the session time zone.
    TimestampLtz {
        /// Fractional-second digits, 0 to [`MAX_TIME_PRECISION`].
        precision: u8,
    },
    /// INTERVAL DAY TO SECOND (and its sub-ranges): milliseconds, stored as `i64`, as Flink holds it.
    IntervalDayTime,
    /// INTERVAL YEAR TO MONTH (and YEAR, MONTH): months, stored as `i64`.
    IntervalYearMonth,
    /// ARRAY<T>: held as [`crate::Datum::Array`] values.
    Array(#[serde(deserialize_with = "de_interned")] &'static DataType),
    /// MAP<K, V>: held as [`crate::Datum::Map`] values (entries in insertion order, keys distinct).
    Map(#[serde(deserialize_with = "de_interned")] &'static DataType, #[serde(deserialize_with = "de_interned")] &'static DataType),
    /// ROW<name type, ...>: held as [`crate::Datum::Row`] values.
    Row(#[serde(deserialize_with = "de_interned_fields")] &'static [RowField]),
}

/// A field of a ROW type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RowField {
    /// The field's name, as written.
    pub name: String,
    /// The field's type.
    pub ty: DataType,
}

/// The physical layout a type's values take in a column (see [`crate::ColumnData`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `Vec<bool>`.
    Bool,
    /// `Vec<i64>`: the integers, DATE, TIME and the intervals.
    Int,
    /// `Vec<f64>`: FLOAT and DOUBLE.
    Double,
    /// `Vec<i128>`: DECIMAL mantissas.
    Decimal,
    /// A [`crate::StringColumn`]: VARCHAR and BYTES.
    Str,
    /// `Vec<i64>` ticks: TIMESTAMP and TIMESTAMP_LTZ.
    Timestamp,
    /// `Vec<Datum>`: ARRAY, MAP and ROW.
    Nested,
}

/// Interned element types: each distinct nested type is leaked once, so `&'static` references
/// to it can live in a `Copy` [`DataType`]. A job has a handful of distinct types; the set never
/// shrinks, and at most one copy of each exists however often plans are deserialised.
fn interner() -> &'static Mutex<HashSet<&'static DataType>> {
    static SET: OnceLock<Mutex<HashSet<&'static DataType>>> = OnceLock::new();
    SET.get_or_init(Default::default)
}

fn field_interner() -> &'static Mutex<HashSet<&'static [RowField]>> {
    static SET: OnceLock<Mutex<HashSet<&'static [RowField]>>> = OnceLock::new();
    SET.get_or_init(Default::default)
}

/// The one `&'static` copy of `ty`.
pub fn intern(ty: DataType) -> &'static DataType {
    let mut set = interner().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(t) = set.get(&ty) {
        return t;
    }
    let leaked: &'static DataType = Box::leak(Box::new(ty));
    set.insert(leaked);
    leaked
}

/// The one `&'static` copy of a ROW type's fields.
pub fn intern_fields(fields: Vec<RowField>) -> &'static [RowField] {
    let mut set = field_interner().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(f) = set.get(fields.as_slice()) {
        return f;
    }
    let leaked: &'static [RowField] = Box::leak(fields.into_boxed_slice());
    set.insert(leaked);
    leaked
}

fn de_interned<'de, D: Deserializer<'de>>(d: D) -> Result<&'static DataType, D::Error> {
    DataType::deserialize(d).map(intern)
}

fn de_interned_fields<'de, D: Deserializer<'de>>(d: D) -> Result<&'static [RowField], D::Error> {
    Vec::<RowField>::deserialize(d).map(intern_fields)
}

/// Ticks per second of a TIMESTAMP(`precision`) or TIME value's storage: 10^3 for 0–3, 10^6 for
/// 4–6, 10^9 for 7–9. TIMESTAMP(3) in milliseconds is what windows and watermarks work in.
pub fn timestamp_unit(precision: u8) -> i64 {
    match precision {
        0..=3 => 1_000,
        4..=6 => 1_000_000,
        _ => 1_000_000_000,
    }
}

impl DataType {
    /// TIMESTAMP(3), the type of event-time attributes.
    pub const TIMESTAMP: DataType = DataType::Timestamp { precision: 3 };
    /// TIMESTAMP_LTZ(3), the type of PROCTIME().
    pub const TIMESTAMP_LTZ: DataType = DataType::TimestampLtz { precision: 3 };

    /// ARRAY<`element`>.
    pub fn array(element: DataType) -> DataType {
        DataType::Array(intern(element))
    }
    /// MAP<`key`, `value`>.
    pub fn map(key: DataType, value: DataType) -> DataType {
        DataType::Map(intern(key), intern(value))
    }
    /// ROW<`fields`>.
    pub fn row(fields: Vec<RowField>) -> DataType {
        DataType::Row(intern_fields(fields))
    }

    /// The column layout that holds values of this type.
    pub fn layout(self) -> Layout {
        match self {
            DataType::Boolean => Layout::Bool,
            DataType::TinyInt
            | DataType::SmallInt
            | DataType::Int
            | DataType::BigInt
            | DataType::Date
            | DataType::Time { .. }
            | DataType::IntervalDayTime
            | DataType::IntervalYearMonth => Layout::Int,
            DataType::Float | DataType::Double => Layout::Double,
            DataType::Decimal { .. } => Layout::Decimal,
            DataType::Varchar | DataType::Bytes => Layout::Str,
            DataType::Timestamp { .. } | DataType::TimestampLtz { .. } => Layout::Timestamp,
            DataType::Array(_) | DataType::Map(..) | DataType::Row(_) => Layout::Nested,
        }
    }

    /// TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE or DECIMAL: the types arithmetic and SUM/AVG accept.
    pub fn is_numeric(self) -> bool {
        self.is_integer() || matches!(self, DataType::Float | DataType::Double | DataType::Decimal { .. })
    }
    /// TINYINT, SMALLINT, INT or BIGINT.
    pub fn is_integer(self) -> bool {
        matches!(self, DataType::TinyInt | DataType::SmallInt | DataType::Int | DataType::BigInt)
    }
    /// VARCHAR (and CHAR, STRING).
    pub fn is_string(self) -> bool {
        self == DataType::Varchar
    }
    /// TIMESTAMP(p) or TIMESTAMP_LTZ(p).
    pub fn is_timestamp(self) -> bool {
        matches!(self, DataType::Timestamp { .. } | DataType::TimestampLtz { .. })
    }
    /// DATE, TIME, TIMESTAMP or TIMESTAMP_LTZ.
    pub fn is_temporal(self) -> bool {
        matches!(self, DataType::Date | DataType::Time { .. }) || self.is_timestamp()
    }
    /// An INTERVAL type.
    pub fn is_interval(self) -> bool {
        matches!(self, DataType::IntervalDayTime | DataType::IntervalYearMonth)
    }
    /// The smallest and largest value of an integer type (BIGINT's range for other types).
    pub fn int_range(self) -> (i64, i64) {
        match self {
            DataType::TinyInt => (i8::MIN as i64, i8::MAX as i64),
            DataType::SmallInt => (i16::MIN as i64, i16::MAX as i64),
            DataType::Int => (i32::MIN as i64, i32::MAX as i64),
            _ => (i64::MIN, i64::MAX),
        }
    }
    /// The fractional-second precision of TIME, TIMESTAMP and TIMESTAMP_LTZ.
    pub fn time_precision(self) -> Option<u8> {
        match self {
            DataType::Time { precision } | DataType::Timestamp { precision } | DataType::TimestampLtz { precision } => Some(precision),
            _ => None,
        }
    }
    /// The DECIMAL that holds every value of an integer or decimal type exactly.
    pub fn as_decimal(self) -> Option<(u8, u8)> {
        match self {
            DataType::TinyInt => Some((3, 0)),
            DataType::SmallInt => Some((5, 0)),
            DataType::Int => Some((10, 0)),
            DataType::BigInt => Some((19, 0)),
            DataType::Decimal { precision, scale } => Some((precision, scale)),
            _ => None,
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Boolean => f.write_str("BOOLEAN"),
            DataType::TinyInt => f.write_str("TINYINT"),
            DataType::SmallInt => f.write_str("SMALLINT"),
            DataType::Int => f.write_str("INT"),
            DataType::BigInt => f.write_str("BIGINT"),
            DataType::Float => f.write_str("FLOAT"),
            DataType::Double => f.write_str("DOUBLE"),
            DataType::Decimal { precision, scale } => write!(f, "DECIMAL({precision}, {scale})"),
            DataType::Varchar => f.write_str("VARCHAR"),
            DataType::Bytes => f.write_str("BYTES"),
            DataType::Date => f.write_str("DATE"),
            DataType::Time { precision } => write!(f, "TIME({precision})"),
            DataType::Timestamp { precision } => write!(f, "TIMESTAMP({precision})"),
            DataType::TimestampLtz { precision } => write!(f, "TIMESTAMP_LTZ({precision})"),
            DataType::IntervalDayTime => f.write_str("INTERVAL DAY TO SECOND"),
            DataType::IntervalYearMonth => f.write_str("INTERVAL YEAR TO MONTH"),
            DataType::Array(t) => write!(f, "ARRAY<{t}>"),
            DataType::Map(k, v) => write!(f, "MAP<{k}, {v}>"),
            DataType::Row(fields) => {
                f.write_str("ROW<")?;
                for (i, fl) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{} {}", fl.name, fl.ty)?;
                }
                f.write_str(">")
            }
        }
    }
}

/// A named, typed column of a relation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The column name as written (or derived by the binder); looked up case-insensitively.
    pub name: String,
    /// The column's SQL type.
    pub ty: DataType,
    /// Whether the column may hold NULL. Every field is built nullable ([`Field::new`]) and nothing
    /// reads this yet: validity is tracked per batch, in [`crate::Column::validity`].
    pub nullable: bool,
}

impl Field {
    /// A nullable column `name` of type `ty`.
    pub fn new(name: impl Into<String>, ty: DataType) -> Self {
        Field { name: name.into(), ty, nullable: true }
    }
}

/// The columns of a relation, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// The columns in order; a row's `i`-th value belongs to `fields[i]`.
    pub fields: Vec<Field>,
}

impl Schema {
    /// The schema of `fields`, in that order.
    pub fn new(fields: Vec<Field>) -> Self {
        Schema { fields }
    }
    /// The number of columns.
    pub fn len(&self) -> usize {
        self.fields.len()
    }
    /// Whether there are no columns.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
    /// Index of the column named `name`, compared case-insensitively as SQL identifiers are.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name.eq_ignore_ascii_case(name))
    }
    /// The column types in order.
    pub fn types(&self) -> Vec<DataType> {
        self.fields.iter().map(|f| f.ty).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_types_intern_and_round_trip() {
        let t = DataType::map(DataType::Varchar, DataType::array(DataType::row(vec![RowField { name: "a".into(), ty: DataType::Int }])));
        let u = DataType::map(DataType::Varchar, DataType::array(DataType::row(vec![RowField { name: "a".into(), ty: DataType::Int }])));
        assert_eq!(t, u);
        let json = serde_json::to_string(&t).unwrap();
        let back: DataType = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        assert_eq!(t.to_string(), "MAP<VARCHAR, ARRAY<ROW<a INT>>>");
    }
}
