//! Typed columns: one flat vector per column plus an optional validity mask.

use crate::datum::Datum;
use crate::types::{DataType, Layout};
use crate::{decimal, timestamp};
use serde::{Deserialize, Serialize};

/// Variable-length strings as one byte buffer and `len + 1` offsets into it (Arrow's layout):
/// a batch of strings is two allocations, not one per row.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StringColumn {
    /// Row `i` is `bytes[offsets[i]..offsets[i + 1]]`: a leading 0 (absent in a `Default` column
    /// until the first push), then never decreasing, so a column holds at most 4 GiB of text.
    pub offsets: Vec<u32>,
    /// Every row's UTF-8 bytes, back to back.
    pub bytes: Vec<u8>,
}

impl StringColumn {
    /// An empty column with room for `rows` strings of `bytes` bytes in all.
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StringColumn { offsets, bytes: Vec::with_capacity(bytes) }
    }
    /// The number of strings.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
    /// Whether there are no strings.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Appends one string (the caller vouches it is UTF-8).
    #[inline]
    pub fn push(&mut self, s: &[u8]) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.bytes.extend_from_slice(s);
        self.offsets.push(self.bytes.len() as u32);
    }
    /// The bytes of string `i`.
    #[inline]
    pub fn get_bytes(&self, i: usize) -> &[u8] {
        &self.bytes[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }
    /// The string at `i`. Sources only admit valid UTF-8, so this cannot fail on their data;
    /// a lossy view guards against a broken invariant rather than panicking.
    #[inline]
    pub fn get(&self, i: usize) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.get_bytes(i))
    }
    /// The bytes of each string, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.len()).map(move |i| self.get_bytes(i))
    }
}

impl FromIterator<String> for StringColumn {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        let mut c = StringColumn::with_capacity(0, 0);
        for s in iter {
            c.push(s.as_bytes());
        }
        c
    }
}

/// The values of a column, one vector per physical layout ([`crate::types::Layout`]). Slots of
/// NULL rows hold a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ColumnData {
    /// BOOLEAN.
    Bool(Vec<bool>),
    /// The integers, DATE (days), TIME (nanoseconds of the day), intervals (ms or months).
    Int(Vec<i64>),
    /// FLOAT and DOUBLE.
    Double(Vec<f64>),
    /// DECIMAL mantissas; the scale is in the column's type.
    Decimal(Vec<i128>),
    /// VARCHAR and BYTES.
    Str(StringColumn),
    /// TIMESTAMP and TIMESTAMP_LTZ: ticks since the epoch in the unit of the type's precision.
    Timestamp(Vec<i64>),
    /// ARRAY, MAP and ROW: one value per row (NULL rows hold [`Datum::Null`]). Nested values are
    /// rare on the hot path, so they are kept whole rather than flattened into child columns.
    Nested(Vec<Datum>),
}

impl ColumnData {
    /// The number of rows.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Bool(v) => v.len(),
            ColumnData::Int(v) | ColumnData::Timestamp(v) => v.len(),
            ColumnData::Double(v) => v.len(),
            ColumnData::Decimal(v) => v.len(),
            ColumnData::Str(v) => v.len(),
            ColumnData::Nested(v) => v.len(),
        }
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Empty data of the layout that `ty` uses.
    pub fn empty(ty: DataType, capacity: usize) -> Self {
        match ty.layout() {
            Layout::Bool => ColumnData::Bool(Vec::with_capacity(capacity)),
            Layout::Int => ColumnData::Int(Vec::with_capacity(capacity)),
            Layout::Double => ColumnData::Double(Vec::with_capacity(capacity)),
            Layout::Decimal => ColumnData::Decimal(Vec::with_capacity(capacity)),
            Layout::Str => ColumnData::Str(StringColumn::with_capacity(capacity, capacity * 8)),
            Layout::Timestamp => ColumnData::Timestamp(Vec::with_capacity(capacity)),
            Layout::Nested => ColumnData::Nested(Vec::with_capacity(capacity)),
        }
    }
    /// Appends one value (a NULL, or a value of the wrong kind, appends the layout's default).
    pub fn push_datum(&mut self, value: &Datum) {
        match (self, value) {
            (ColumnData::Bool(c), Datum::Bool(x)) => c.push(*x),
            (ColumnData::Int(c), Datum::Int(x)) | (ColumnData::Timestamp(c), Datum::Timestamp(x)) => c.push(*x),
            (ColumnData::Double(c), Datum::Double(x)) => c.push(*x),
            (ColumnData::Decimal(c), Datum::Decimal(x)) => c.push(*x),
            (ColumnData::Str(c), Datum::Str(x)) => c.push(x.as_bytes()),
            (ColumnData::Str(c), Datum::Bytes(x)) => c.push(x),
            (ColumnData::Nested(c), d) => c.push(d.clone()),
            (ColumnData::Bool(c), _) => c.push(false),
            (ColumnData::Int(c), _) | (ColumnData::Timestamp(c), _) => c.push(0),
            (ColumnData::Double(c), _) => c.push(0.0),
            (ColumnData::Decimal(c), _) => c.push(0),
            (ColumnData::Str(c), _) => c.push(b""),
        }
    }
}

/// A typed column: data plus validity (`None`: no NULLs; else `true` where the row is not NULL).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// The SQL type; it picks the [`ColumnData`] variant and carries a DECIMAL's scale.
    pub ty: DataType,
    /// One slot per row; a NULL row's slot holds a default (0, `false`, empty).
    pub data: ColumnData,
    /// `None` when no row is NULL (kept so by [`Column::new`], for the kernels' fast path); else one
    /// flag per row, `false` for NULL.
    pub validity: Option<Vec<bool>>,
}

impl Column {
    /// A column of `data`; a `validity` without a NULL in it is dropped.
    pub fn new(ty: DataType, data: ColumnData, validity: Option<Vec<bool>>) -> Self {
        // A mask with no NULL in it is dropped so kernels can take the fast path.
        let validity = validity.filter(|v| v.iter().any(|ok| !ok));
        Column { ty, data, validity }
    }
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.data.len()
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Whether row `i` is not NULL.
    #[inline]
    pub fn is_valid(&self, i: usize) -> bool {
        self.validity.as_ref().is_none_or(|v| v[i])
    }
    /// The number of NULL rows.
    pub fn null_count(&self) -> usize {
        self.validity.as_ref().map_or(0, |v| v.iter().filter(|ok| !**ok).count())
    }

    /// A column of `len` copies of `value`.
    pub fn repeat(value: &Datum, ty: DataType, len: usize) -> Self {
        let validity = value.is_null().then(|| vec![false; len]);
        let d = value;
        let data = match ty.layout() {
            Layout::Bool => ColumnData::Bool(vec![matches!(d, Datum::Bool(true)); len]),
            Layout::Int => ColumnData::Int(vec![if let Datum::Int(v) = d { *v } else { 0 }; len]),
            Layout::Double => ColumnData::Double(vec![if let Datum::Double(v) = d { *v } else { 0.0 }; len]),
            Layout::Decimal => ColumnData::Decimal(vec![if let Datum::Decimal(v) = d { *v } else { 0 }; len]),
            Layout::Timestamp => ColumnData::Timestamp(vec![if let Datum::Timestamp(v) = d { *v } else { 0 }; len]),
            Layout::Str => {
                let s: &[u8] = match d {
                    Datum::Str(s) => s.as_bytes(),
                    Datum::Bytes(b) => b,
                    _ => b"",
                };
                let mut c = StringColumn::with_capacity(len, s.len() * len);
                for _ in 0..len {
                    c.push(s);
                }
                ColumnData::Str(c)
            }
            Layout::Nested => ColumnData::Nested(vec![d.clone(); len]),
        };
        Column { ty, data, validity }
    }

    /// A column holding `values` (each of type `ty`, or NULL).
    pub fn from_datums(ty: DataType, values: &[Datum]) -> Self {
        let mut data = ColumnData::empty(ty, values.len());
        let mut validity = Vec::with_capacity(values.len());
        for v in values {
            validity.push(!v.is_null());
            data.push_datum(v);
        }
        Column::new(ty, data, Some(validity))
    }

    /// Appends a byte encoding of row `i` that is equal for equal SQL values (NULLs included):
    /// the key that groups rows. DOUBLE `-0.0` and `0.0`, and every NaN, encode alike.
    pub fn encode_key(&self, i: usize, out: &mut Vec<u8>) {
        if !self.is_valid(i) {
            out.push(0);
            return;
        }
        out.push(1);
        match &self.data {
            ColumnData::Bool(v) => out.push(v[i] as u8),
            ColumnData::Int(v) | ColumnData::Timestamp(v) => out.extend_from_slice(&v[i].to_le_bytes()),
            ColumnData::Double(v) => {
                let x = if v[i] == 0.0 {
                    0.0
                } else if v[i].is_nan() {
                    f64::NAN
                } else {
                    v[i]
                };
                out.extend_from_slice(&x.to_bits().to_le_bytes())
            }
            ColumnData::Decimal(v) => out.extend_from_slice(&v[i].to_le_bytes()),
            ColumnData::Str(v) => {
                let b = v.get_bytes(i);
                out.extend_from_slice(&(b.len() as u32).to_le_bytes());
                out.extend_from_slice(b);
            }
            ColumnData::Nested(v) => {
                // The datum's own encoding starts with its tag; drop it, as the tag is written above.
                let start = out.len();
                v[i].encode_key(out);
                out.remove(start);
            }
        }
    }

    /// The value that `encode_key` wrote as `bytes` for a column of type `ty`; `None` if the
    /// bytes are not such an encoding.
    pub fn decode_key(ty: DataType, bytes: &[u8]) -> Option<Datum> {
        let mut rest = bytes;
        let d = decode_datum(ty, &mut rest)?;
        rest.is_empty().then_some(d)
    }

    /// The value at row `i`.
    pub fn datum(&self, i: usize) -> Datum {
        if !self.is_valid(i) {
            return Datum::Null;
        }
        match &self.data {
            ColumnData::Bool(v) => Datum::Bool(v[i]),
            ColumnData::Int(v) => Datum::Int(v[i]),
            ColumnData::Double(v) => Datum::Double(v[i]),
            ColumnData::Decimal(v) => Datum::Decimal(v[i]),
            ColumnData::Str(v) if self.ty == DataType::Bytes => Datum::Bytes(v.get_bytes(i).to_vec()),
            ColumnData::Str(v) => Datum::Str(v.get(i).into_owned()),
            ColumnData::Timestamp(v) => Datum::Timestamp(v[i]),
            ColumnData::Nested(v) => v[i].clone(),
        }
    }

    /// Rows `range` of the column.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Column {
        let data = match &self.data {
            ColumnData::Bool(v) => ColumnData::Bool(v[range.clone()].to_vec()),
            ColumnData::Int(v) => ColumnData::Int(v[range.clone()].to_vec()),
            ColumnData::Double(v) => ColumnData::Double(v[range.clone()].to_vec()),
            ColumnData::Decimal(v) => ColumnData::Decimal(v[range.clone()].to_vec()),
            ColumnData::Timestamp(v) => ColumnData::Timestamp(v[range.clone()].to_vec()),
            ColumnData::Nested(v) => ColumnData::Nested(v[range.clone()].to_vec()),
            ColumnData::Str(v) => {
                let (lo, hi) = (v.offsets[range.start] as usize, v.offsets[range.end] as usize);
                ColumnData::Str(StringColumn {
                    offsets: v.offsets[range.start..=range.end].iter().map(|o| o - lo as u32).collect(),
                    bytes: v.bytes[lo..hi].to_vec(),
                })
            }
        };
        Column::new(self.ty, data, self.validity.as_ref().map(|v| v[range].to_vec()))
    }

    /// The rows at `indices`, in that order (a gather).
    pub fn take(&self, indices: &[u32]) -> Column {
        fn pick<T: Copy>(v: &[T], indices: &[u32]) -> Vec<T> {
            indices.iter().map(|&i| v[i as usize]).collect()
        }
        let data = match &self.data {
            ColumnData::Bool(v) => ColumnData::Bool(pick(v, indices)),
            ColumnData::Int(v) => ColumnData::Int(pick(v, indices)),
            ColumnData::Double(v) => ColumnData::Double(pick(v, indices)),
            ColumnData::Decimal(v) => ColumnData::Decimal(pick(v, indices)),
            ColumnData::Timestamp(v) => ColumnData::Timestamp(pick(v, indices)),
            ColumnData::Nested(v) => ColumnData::Nested(indices.iter().map(|&i| v[i as usize].clone()).collect()),
            ColumnData::Str(v) => {
                let mut out = StringColumn::with_capacity(indices.len(), 0);
                for &i in indices {
                    out.push(v.get_bytes(i as usize));
                }
                ColumnData::Str(out)
            }
        };
        let validity = self.validity.as_ref().map(|v| pick(v, indices));
        Column::new(self.ty, data, validity)
    }

    /// The rows where `mask` is true, in order.
    pub fn filter(&self, mask: &[bool], selected: usize) -> Column {
        fn pick<T: Copy>(v: &[T], mask: &[bool], n: usize) -> Vec<T> {
            let mut out = Vec::with_capacity(n);
            out.extend(v.iter().zip(mask).filter(|(_, m)| **m).map(|(x, _)| *x));
            out
        }
        let data = match &self.data {
            ColumnData::Bool(v) => ColumnData::Bool(pick(v, mask, selected)),
            ColumnData::Int(v) => ColumnData::Int(pick(v, mask, selected)),
            ColumnData::Double(v) => ColumnData::Double(pick(v, mask, selected)),
            ColumnData::Decimal(v) => ColumnData::Decimal(pick(v, mask, selected)),
            ColumnData::Timestamp(v) => ColumnData::Timestamp(pick(v, mask, selected)),
            ColumnData::Nested(v) => ColumnData::Nested(v.iter().zip(mask).filter(|(_, m)| **m).map(|(x, _)| x.clone()).collect()),
            ColumnData::Str(v) => {
                let mut out = StringColumn::with_capacity(selected, 0);
                for (i, m) in mask.iter().enumerate() {
                    if *m {
                        out.push(v.get_bytes(i));
                    }
                }
                ColumnData::Str(out)
            }
        };
        let validity = self.validity.as_ref().map(|v| pick(v, mask, selected));
        Column::new(self.ty, data, validity)
    }

    /// Appends the text of row `i` as CSV and the stdout table print it (NULL is empty); the
    /// rule for each type is [`write_value_text`]'s.
    pub fn write_text(&self, i: usize, out: &mut Vec<u8>) {
        if !self.is_valid(i) {
            return;
        }
        match &self.data {
            ColumnData::Bool(v) => out.extend_from_slice(if v[i] { b"true" } else { b"false" }),
            ColumnData::Int(v) => write_int_text(self.ty, v[i], out),
            ColumnData::Double(v) if self.ty == DataType::Float => write_f32(v[i] as f32, out),
            ColumnData::Double(v) => write_f64(v[i], out),
            ColumnData::Decimal(v) => {
                let scale = if let DataType::Decimal { scale, .. } = self.ty { scale } else { 0 };
                decimal::format_into(v[i], scale, out)
            }
            ColumnData::Str(v) if self.ty == DataType::Bytes => write_base64(v.get_bytes(i), out),
            ColumnData::Str(v) => out.extend_from_slice(v.get_bytes(i)),
            ColumnData::Timestamp(v) => write_timestamp_text(self.ty, v[i], out),
            ColumnData::Nested(v) => write_json(&v[i], self.ty, out),
        }
    }
}

/// The value that `Datum::encode_key` (or `Column::encode_key`) wrote at the front of `bytes`,
/// for a value of type `ty`; advances `bytes` past it.
fn decode_datum(ty: DataType, bytes: &mut &[u8]) -> Option<Datum> {
    let (&tag, rest) = bytes.split_first()?;
    *bytes = rest;
    if tag == 0 {
        return Some(Datum::Null);
    }
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, tail) = bytes.split_at_checked(n)?;
        *bytes = tail;
        Some(head)
    };
    let i64_of = |b: &[u8]| b.try_into().ok().map(i64::from_le_bytes);
    Some(match ty.layout() {
        Layout::Bool => Datum::Bool(take(1)?[0] != 0),
        Layout::Int => Datum::Int(i64_of(take(8)?)?),
        Layout::Timestamp => Datum::Timestamp(i64_of(take(8)?)?),
        Layout::Double => Datum::Double(f64::from_bits(u64::from_le_bytes(take(8)?.try_into().ok()?))),
        Layout::Decimal => Datum::Decimal(i128::from_le_bytes(take(16)?.try_into().ok()?)),
        Layout::Str => {
            let len = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
            let text = take(len)?.to_vec();
            if ty == DataType::Bytes { Datum::Bytes(text) } else { Datum::Str(String::from_utf8(text).ok()?) }
        }
        Layout::Nested => {
            let len = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
            match ty {
                DataType::Array(t) => Datum::Array((0..len).map(|_| decode_datum(*t, bytes)).collect::<Option<_>>()?),
                DataType::Map(k, v) => {
                    Datum::Map((0..len).map(|_| Some((decode_datum(*k, bytes)?, decode_datum(*v, bytes)?))).collect::<Option<_>>()?)
                }
                DataType::Row(fields) => {
                    if fields.len() != len {
                        return None;
                    }
                    Datum::Row(fields.iter().map(|f| decode_datum(f.ty, bytes)).collect::<Option<_>>()?)
                }
                _ => return None,
            }
        }
    })
}

/// Appends an integer-layout value: a number, or the DATE, TIME or INTERVAL it stands for.
fn write_int_text(ty: DataType, v: i64, out: &mut Vec<u8>) {
    match ty {
        DataType::Date => timestamp::format_date_into(v, out),
        DataType::Time { precision } => timestamp::format_time_into(v, precision, out),
        DataType::IntervalDayTime => write_interval_day_time(v, out),
        DataType::IntervalYearMonth => {
            use std::io::Write;
            let sign = if v < 0 { '-' } else { '+' };
            let m = v.unsigned_abs();
            let _ = write!(out, "{sign}{}-{:02}", m / 12, m % 12);
        }
        _ => write_i64(v, out),
    }
}

/// Appends an INTERVAL DAY TO SECOND of `ms` milliseconds as Flink prints it: `+1 02:03:04.005`.
pub fn write_interval_day_time(ms: i64, out: &mut Vec<u8>) {
    use std::io::Write;
    let sign = if ms < 0 { '-' } else { '+' };
    let m = ms.unsigned_abs();
    let (d, rest) = (m / 86_400_000, m % 86_400_000);
    let _ = write!(out, "{sign}{d} {:02}:{:02}:{:02}.{:03}", rest / 3_600_000, rest / 60_000 % 60, rest / 1000 % 60, rest % 1000);
}

/// Appends a TIMESTAMP(p) as `YYYY-MM-DD HH:MM:SS` with p fractional digits; a TIMESTAMP_LTZ(p)
/// the same in UTC followed by `Z`, as Flink's JSON format writes an instant.
fn write_timestamp_text(ty: DataType, ticks: i64, out: &mut Vec<u8>) {
    let precision = ty.time_precision().unwrap_or(3);
    timestamp::format_ticks_into(ticks, precision, out);
    if matches!(ty, DataType::TimestampLtz { .. }) {
        out.push(b'Z');
    }
}

/// Appends `b` in standard base64 with padding (how Flink's CSV and JSON formats write BYTES).
pub fn write_base64(b: &[u8], out: &mut Vec<u8>) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in b.chunks(3) {
        let n = (chunk[0] as u32) << 16 | (*chunk.get(1).unwrap_or(&0) as u32) << 8 | *chunk.get(2).unwrap_or(&0) as u32;
        out.push(ALPHABET[(n >> 18) as usize & 63]);
        out.push(ALPHABET[(n >> 12) as usize & 63]);
        out.push(if chunk.len() > 1 { ALPHABET[(n >> 6) as usize & 63] } else { b'=' });
        out.push(if chunk.len() > 2 { ALPHABET[n as usize & 63] } else { b'=' });
    }
}

/// Appends `v` of type `ty` as JSON text: how nested values are written to CSV and printed, and
/// how every value is written by the JSON sink (numbers bare, everything else by its text rule).
pub fn write_json(v: &Datum, ty: DataType, out: &mut Vec<u8>) {
    match (v, ty) {
        (Datum::Null, _) => out.extend_from_slice(b"null"),
        (Datum::Array(items), DataType::Array(t)) => {
            out.push(b'[');
            for (i, d) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(d, *t, out);
            }
            out.push(b']');
        }
        (Datum::Map(entries), DataType::Map(k, vt)) => {
            out.push(b'{');
            for (i, (key, val)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // JSON keys are strings: a non-string key is written by its text.
                let mut text = Vec::new();
                Column::from_datums(*k, std::slice::from_ref(key)).write_text(0, &mut text);
                write_json_string(&String::from_utf8_lossy(&text), out);
                out.push(b':');
                write_json(val, *vt, out);
            }
            out.push(b'}');
        }
        (Datum::Row(values), DataType::Row(fields)) => {
            out.push(b'{');
            for (i, (f, val)) in fields.iter().zip(values).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json_string(&f.name, out);
                out.push(b':');
                write_json(val, f.ty, out);
            }
            out.push(b'}');
        }
        (Datum::Bool(b), _) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        (Datum::Int(_) | Datum::Double(_) | Datum::Decimal(_), t) if t.is_numeric() => {
            let c = Column::from_datums(t, std::slice::from_ref(v));
            let start = out.len();
            c.write_text(0, out);
            // NaN and infinities are not JSON numbers: write them as strings.
            if out[start..].iter().any(|b| b.is_ascii_alphabetic() && *b != b'e') {
                let text = String::from_utf8_lossy(&out[start..]).into_owned();
                out.truncate(start);
                write_json_string(&text, out);
            }
        }
        (_, t) => {
            let mut text = Vec::new();
            Column::from_datums(t, std::slice::from_ref(v)).write_text(0, &mut text);
            write_json_string(&String::from_utf8_lossy(&text), out);
        }
    }
}

/// Appends `s` as a quoted JSON string.
pub fn write_json_string(s: &str, out: &mut Vec<u8>) {
    write_json_str(s.as_bytes(), out)
}

/// Appends `s` as a JSON string: quotes, `\"`, `\\`, and escapes for control characters.
pub fn write_json_str(s: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let mut run = 0;
    for (i, &b) in s.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&s[run..i]);
        run = i + 1;
        if esc.is_empty() {
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
        } else {
            out.extend_from_slice(esc);
        }
    }
    out.extend_from_slice(&s[run..]);
    out.push(b'"');
}

/// Appends the shortest text that reads back as the same FLOAT.
pub fn write_f32(v: f32, out: &mut Vec<u8>) {
    use std::io::Write;
    if v.is_finite() && v != 0.0 && !(1e-5..1e16).contains(&v.abs()) {
        write_f64(v as f64, out)
    } else if v.is_finite() {
        let _ = write!(out, "{v}");
    } else {
        write_f64(v as f64, out)
    }
}

/// Appends the decimal text of an integer without allocating.
#[inline]
pub fn write_i64(v: i64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut u = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends the shortest text that reads back as the same DOUBLE (`inf`, `-inf` and `nan` as DuckDB spells them).
pub fn write_f64(v: f64, out: &mut Vec<u8>) {
    use std::io::Write;
    if v.is_nan() {
        out.extend_from_slice(b"nan");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
    } else if v != 0.0 && !(1e-5..1e16).contains(&v.abs()) {
        // Exponent form for very large or small magnitudes (`1e+308`, not 309 digits), as DuckDB.
        let text = format!("{v:e}");
        match text.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => {
                out.extend_from_slice(m.as_bytes());
                out.extend_from_slice(b"e+");
                out.extend_from_slice(e.as_bytes());
            }
            _ => out.extend_from_slice(text.as_bytes()),
        }
    } else {
        let _ = write!(out, "{v}");
    }
}
