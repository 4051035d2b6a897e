//! JSON values into ARRAY, MAP and ROW columns: a JSON array into an ARRAY, an object into a MAP
//! (keys read as the key type) or a ROW (fields by name, case-insensitively; a missing field is
//! NULL, an extra one ignored), `null` anywhere into NULL. Scalars inside follow the same rules
//! as top-level columns: numbers into numbers, strings holding a value of the type, a non-string
//! into VARCHAR kept as its JSON text, integers into TIMESTAMP(0–3) as epoch milliseconds.

use crate::decode::ColBuilder;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;
use vstream_repr::column::ColumnData;
use vstream_repr::func::collection::map_of;
use vstream_repr::types::Layout;
use vstream_repr::{Column, DataType, Datum};

/// Appends the JSON text `raw` to a nested column; false if it is no value of the column's type.
pub(crate) fn push_nested(b: &mut ColBuilder, raw: &[u8]) -> bool {
    let Ok(value) = serde_json::from_slice::<Value>(raw) else { return false };
    let Some(d) = datum_of(&value, b.ty) else { return false };
    if d.is_null() {
        b.push_null();
        return true;
    }
    let ColumnData::Nested(v) = &mut b.data else { return false };
    v.push(d);
    if let Some(valid) = &mut b.validity {
        valid.push(true);
    }
    true
}

/// A JSON value whose objects keep their fields in document order (serde_json's own `Value`
/// sorts them), so a MAP's entries come out in the order they were written.
#[derive(Debug)]
enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl std::fmt::Display for Value {
    /// The value's JSON text.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => f.write_str(&quoted(s)),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Object(fields) => {
                f.write_str("{")?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}:{v}", quoted(k))?;
                }
                f.write_str("}")
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            fields.push((k, v));
        }
        Ok(Value::Object(fields))
    }
}

/// `value` as a value of `ty`; `None` if it is not one.
fn datum_of(value: &Value, ty: DataType) -> Option<Datum> {
    Some(match (value, ty) {
        (Value::Null, _) => Datum::Null,
        (Value::Array(items), DataType::Array(elem)) => Datum::Array(items.iter().map(|v| datum_of(v, *elem)).collect::<Option<_>>()?),
        // A key written twice keeps its last value, as MAP[...] does.
        (Value::Object(fields), DataType::Map(k, v)) => Datum::Map(map_of(
            fields.iter().map(|(key, val)| Some((scalar_of_text(key.as_bytes(), *k)?, datum_of(val, *v)?))).collect::<Option<Vec<_>>>()?,
        )),
        (Value::Object(fields), DataType::Row(row)) => Datum::Row(
            row.iter()
                .map(|f| match fields.iter().find(|(name, _)| name.eq_ignore_ascii_case(&f.name)) {
                    Some((_, v)) => datum_of(v, f.ty),
                    None => Some(Datum::Null),
                })
                .collect::<Option<_>>()?,
        ),
        (_, t) if t.layout() == Layout::Nested => return None,
        (Value::String(s), t) => scalar_of_text(s.as_bytes(), t)?,
        (Value::Bool(b), DataType::Boolean) => Datum::Bool(*b),
        (Value::Bool(_), DataType::Varchar) => Datum::Str(value.to_string()),
        (Value::Bool(_), _) => return None,
        (Value::Number(n), DataType::Timestamp { precision: 0..=3 }) => Datum::Timestamp(n.as_i64()?),
        (Value::Number(n), t) if t.is_numeric() => scalar_of_text(n.to_string().as_bytes(), t)?,
        (other, DataType::Varchar) => Datum::Str(other.to_string()),
        _ => return None,
    })
}

/// Text read as a scalar of `ty`, as CAST and the CSV source read it.
fn scalar_of_text(text: &[u8], ty: DataType) -> Option<Datum> {
    if ty == DataType::Varchar {
        return Some(Datum::Str(String::from_utf8(text.to_vec()).ok()?));
    }
    if ty.layout() == Layout::Nested {
        return None;
    }
    let mut data = ColumnData::empty(ty, 1);
    vstream_repr::expr::parse_into(text, ty, &mut data).then(|| Column::new(ty, data, None).datum(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vstream_repr::types::RowField;

    fn read(json: &str, ty: DataType) -> Option<Datum> {
        datum_of(&serde_json::from_str::<Value>(json).ok()?, ty)
    }

    #[test]
    fn nested_values_from_json() {
        let ints = DataType::array(DataType::Int);
        assert_eq!(read("[1, null, 3]", ints), Some(Datum::Array(vec![Datum::Int(1), Datum::Null, Datum::Int(3)])));
        assert_eq!(read("[]", ints), Some(Datum::Array(vec![])));
        assert_eq!(read("[1, \"x\"]", ints), None);
        assert_eq!(read("{\"a\": 1}", ints), None);
        let m = DataType::map(DataType::Varchar, DataType::BigInt);
        assert_eq!(
            read("{\"a\": 1, \"b\": null}", m),
            Some(Datum::Map(vec![(Datum::Str("a".into()), Datum::Int(1)), (Datum::Str("b".into()), Datum::Null)]))
        );
        let r = DataType::row(vec![
            RowField { name: "x".into(), ty: DataType::Int },
            RowField { name: "tags".into(), ty: DataType::array(DataType::Varchar) },
        ]);
        assert_eq!(read("{\"X\": 2, \"other\": true}", r), Some(Datum::Row(vec![Datum::Int(2), Datum::Null])));
        assert_eq!(
            read("{\"tags\": [\"a\", 1]}", r),
            Some(Datum::Row(vec![Datum::Null, Datum::Array(vec![Datum::Str("a".into()), Datum::Str("1".into())])]))
        );
        assert_eq!(read("[1]", r), None);
    }
}
