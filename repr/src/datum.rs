//! One scalar value: literals in plans, and single cells when a row is looked at on its own.

use serde::{Deserialize, Serialize};

/// A scalar value. Its SQL type travels beside it (a DECIMAL's scale, a TIMESTAMP's unit and
/// whether an `Int` is a DATE are in the type, not in the value).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Datum {
    /// SQL NULL, of whatever type travels beside it.
    Null,
    /// BOOLEAN.
    Bool(bool),
    /// The integers; DATE (days), TIME (nanoseconds of the day), and the intervals (ms, months).
    Int(i64),
    /// FLOAT and DOUBLE.
    Double(f64),
    /// Mantissa of a DECIMAL; the scale is in the type.
    Decimal(i128),
    /// VARCHAR.
    Str(String),
    /// BYTES.
    Bytes(Vec<u8>),
    /// TIMESTAMP and TIMESTAMP_LTZ: ticks since the epoch in the unit of the type's precision.
    Timestamp(i64),
    /// ARRAY: the elements in order.
    Array(Vec<Datum>),
    /// MAP: the entries in order, keys distinct.
    Map(Vec<(Datum, Datum)>),
    /// ROW: one value per field.
    Row(Vec<Datum>),
}

impl Datum {
    /// Whether this is [`Datum::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Datum::Null)
    }

    /// Appends a byte encoding that is equal for equal SQL values (see [`crate::Column::encode_key`]).
    pub fn encode_key(&self, out: &mut Vec<u8>) {
        match self {
            Datum::Null => out.push(0),
            Datum::Bool(b) => out.extend_from_slice(&[1, *b as u8]),
            Datum::Int(v) | Datum::Timestamp(v) => {
                out.push(1);
                out.extend_from_slice(&v.to_le_bytes())
            }
            Datum::Double(v) => {
                out.push(1);
                let x = if *v == 0.0 {
                    0.0
                } else if v.is_nan() {
                    f64::NAN
                } else {
                    *v
                };
                out.extend_from_slice(&x.to_bits().to_le_bytes())
            }
            Datum::Decimal(v) => {
                out.push(1);
                out.extend_from_slice(&v.to_le_bytes())
            }
            Datum::Str(s) => encode_bytes(s.as_bytes(), out),
            Datum::Bytes(b) => encode_bytes(b, out),
            Datum::Array(items) | Datum::Row(items) => {
                out.push(1);
                out.extend_from_slice(&(items.len() as u32).to_le_bytes());
                items.iter().for_each(|d| d.encode_key(out));
            }
            Datum::Map(entries) => {
                out.push(1);
                out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
                for (k, v) in entries {
                    k.encode_key(out);
                    v.encode_key(out);
                }
            }
        }
    }
}

fn encode_bytes(b: &[u8], out: &mut Vec<u8>) {
    out.push(1);
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}
