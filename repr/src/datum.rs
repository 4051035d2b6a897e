//! One scalar value: literals in plans, and single cells when a row is looked at on its own.

use serde::{Deserialize, Serialize};

/// A scalar value. Its SQL type travels beside it (a DECIMAL's scale is not in the value).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Datum {
    /// SQL NULL, of whatever type travels beside it.
    Null,
    /// BOOLEAN.
    Bool(bool),
    /// INT and BIGINT.
    Int(i64),
    /// DOUBLE.
    Double(f64),
    /// Mantissa of a DECIMAL; the scale is in the type.
    Decimal(i128),
    /// VARCHAR.
    Str(String),
    /// Milliseconds since the epoch.
    Timestamp(i64),
}

impl Datum {
    /// Whether this is [`Datum::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Datum::Null)
    }
}
