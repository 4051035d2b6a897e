//! SQL types and schemas.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Largest DECIMAL precision: mantissas are `i128`, which holds 38 decimal digits.
pub const MAX_DECIMAL_PRECISION: u8 = 38;

/// A SQL type as the binder sees it. The physical layout of each is in [`crate::ColumnData`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DataType {
    Boolean,
    /// 32-bit integer; stored as `i64`, range-checked on arithmetic and casts.
    Int,
    BigInt,
    Double,
    /// Exact decimal: an `i128` mantissa scaled by `10^-scale`.
    Decimal {
        precision: u8,
        scale: u8,
    },
    Varchar,
    /// Milliseconds since the Unix epoch, no time zone (TIMESTAMP(3)).
    Timestamp,
}

impl DataType {
    pub fn is_numeric(self) -> bool {
        matches!(self, DataType::Int | DataType::BigInt | DataType::Double | DataType::Decimal { .. })
    }
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
    pub name: String,
    pub ty: DataType,
    pub nullable: bool,
}

impl Field {
    pub fn new(name: impl Into<String>, ty: DataType) -> Self {
        Field { name: name.into(), ty, nullable: true }
    }
}

/// The columns of a relation, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub fields: Vec<Field>,
}

impl Schema {
    pub fn new(fields: Vec<Field>) -> Self {
        Schema { fields }
    }
    pub fn len(&self) -> usize {
        self.fields.len()
    }
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
    /// Index of the column named `name`, compared case-insensitively as SQL identifiers are.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name.eq_ignore_ascii_case(name))
    }
    pub fn types(&self) -> Vec<DataType> {
        self.fields.iter().map(|f| f.ty).collect()
    }
}
