//! SQL types and schemas.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Largest DECIMAL precision: mantissas are `i128`, which holds 38 decimal digits.
pub const MAX_DECIMAL_PRECISION: u8 = 38;

/// A SQL type as the binder sees it. The physical layout of each is in [`crate::ColumnData`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DataType {
    /// BOOLEAN: stored as `bool`.
    Boolean,
    /// 32-bit integer; stored as `i64`, range-checked on arithmetic and casts.
    Int,
    /// 64-bit integer (BIGINT); arithmetic that leaves its range is an error, not a wrap.
    BigInt,
    /// 64-bit IEEE float (DOUBLE). NaN equals NaN and sorts above every number, as SQL orders it.
    Double,
    /// Exact decimal: an `i128` mantissa scaled by `10^-scale`.
    Decimal {
        /// Total significant digits, 1 to [`MAX_DECIMAL_PRECISION`].
        precision: u8,
        /// Digits after the point, at most `precision`.
        scale: u8,
    },
    /// UTF-8 text (VARCHAR), held in a [`crate::StringColumn`].
    Varchar,
    /// Milliseconds since the Unix epoch, no time zone (TIMESTAMP(3)).
    Timestamp,
}

impl DataType {
    /// INT, BIGINT, DOUBLE or DECIMAL: the types arithmetic and SUM/AVG accept.
    pub fn is_numeric(self) -> bool {
        matches!(self, DataType::Int | DataType::BigInt | DataType::Double | DataType::Decimal { .. })
    }
    /// INT or BIGINT.
    pub fn is_integer(self) -> bool {
        matches!(self, DataType::Int | DataType::BigInt)
    }
    /// The DECIMAL that holds every value of an integer or decimal type exactly.
    pub fn as_decimal(self) -> Option<(u8, u8)> {
        match self {
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
            DataType::Int => f.write_str("INT"),
            DataType::BigInt => f.write_str("BIGINT"),
            DataType::Double => f.write_str("DOUBLE"),
            DataType::Decimal { precision, scale } => write!(f, "DECIMAL({precision}, {scale})"),
            DataType::Varchar => f.write_str("VARCHAR"),
            DataType::Timestamp => f.write_str("TIMESTAMP(3)"),
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
