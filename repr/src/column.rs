//! Typed columns: one flat vector per column plus an optional validity mask.

use crate::datum::Datum;
use crate::types::DataType;
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

/// The values of a column, one vector per physical layout. Slots of NULL rows hold a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ColumnData {
    /// BOOLEAN.
    Bool(Vec<bool>),
    /// INT and BIGINT.
    Int(Vec<i64>),
    /// DOUBLE.
    Double(Vec<f64>),
    /// DECIMAL mantissas; the scale is in the column's type.
    Decimal(Vec<i128>),
    /// VARCHAR.
    Str(StringColumn),
    /// TIMESTAMP(3): epoch milliseconds.
    Timestamp(Vec<i64>),
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
        }
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Empty data of the layout that `ty` uses.
    pub fn empty(ty: DataType, capacity: usize) -> Self {
        match ty {
            DataType::Boolean => ColumnData::Bool(Vec::with_capacity(capacity)),
            DataType::Int | DataType::BigInt => ColumnData::Int(Vec::with_capacity(capacity)),
            DataType::Double => ColumnData::Double(Vec::with_capacity(capacity)),
            DataType::Decimal { .. } => ColumnData::Decimal(Vec::with_capacity(capacity)),
            DataType::Varchar => ColumnData::Str(StringColumn::with_capacity(capacity, capacity * 8)),
            DataType::Timestamp => ColumnData::Timestamp(Vec::with_capacity(capacity)),
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
        let data = match (ty, value) {
            (DataType::Boolean, d) => ColumnData::Bool(vec![matches!(d, Datum::Bool(true)); len]),
            (DataType::Int | DataType::BigInt, d) => ColumnData::Int(vec![if let Datum::Int(v) = d { *v } else { 0 }; len]),
            (DataType::Double, d) => ColumnData::Double(vec![if let Datum::Double(v) = d { *v } else { 0.0 }; len]),
            (DataType::Decimal { .. }, d) => ColumnData::Decimal(vec![if let Datum::Decimal(v) = d { *v } else { 0 }; len]),
            (DataType::Timestamp, d) => ColumnData::Timestamp(vec![if let Datum::Timestamp(v) = d { *v } else { 0 }; len]),
            (DataType::Varchar, d) => {
                let s: &[u8] = if let Datum::Str(s) = d { s.as_bytes() } else { b"" };
                let mut c = StringColumn::with_capacity(len, s.len() * len);
                for _ in 0..len {
                    c.push(s);
                }
                ColumnData::Str(c)
            }
        };
        Column { ty, data, validity }
    }

    /// A column holding `values` (each of type `ty`, or NULL).
    pub fn from_datums(ty: DataType, values: &[Datum]) -> Self {
        let mut data = ColumnData::empty(ty, values.len());
        let mut validity = Vec::with_capacity(values.len());
        for v in values {
            validity.push(!v.is_null());
            match (&mut data, v) {
                (ColumnData::Bool(c), Datum::Bool(x)) => c.push(*x),
                (ColumnData::Int(c), Datum::Int(x)) | (ColumnData::Timestamp(c), Datum::Timestamp(x)) => c.push(*x),
                (ColumnData::Double(c), Datum::Double(x)) => c.push(*x),
                (ColumnData::Decimal(c), Datum::Decimal(x)) => c.push(*x),
                (ColumnData::Str(c), Datum::Str(x)) => c.push(x.as_bytes()),
                (ColumnData::Bool(c), _) => c.push(false),
                (ColumnData::Int(c), _) | (ColumnData::Timestamp(c), _) => c.push(0),
                (ColumnData::Double(c), _) => c.push(0.0),
                (ColumnData::Decimal(c), _) => c.push(0),
                (ColumnData::Str(c), _) => c.push(b""),
            }
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
        }
    }

    /// The value that `encode_key` wrote as `bytes` for a column of type `ty`; `None` if the
    /// bytes are not such an encoding.
    pub fn decode_key(ty: DataType, bytes: &[u8]) -> Option<Datum> {
        let (&tag, rest) = bytes.split_first()?;
        if tag == 0 {
            return Some(Datum::Null);
        }
        let i64_of = |b: &[u8]| b.try_into().ok().map(i64::from_le_bytes);
        Some(match ColumnData::empty(ty, 0) {
            ColumnData::Bool(_) => Datum::Bool(*rest.first()? != 0),
            ColumnData::Int(_) => Datum::Int(i64_of(rest)?),
            ColumnData::Timestamp(_) => Datum::Timestamp(i64_of(rest)?),
            ColumnData::Double(_) => Datum::Double(f64::from_bits(u64::from_le_bytes(rest.try_into().ok()?))),
            ColumnData::Decimal(_) => Datum::Decimal(i128::from_le_bytes(rest.try_into().ok()?)),
            ColumnData::Str(_) => {
                let (len, text) = rest.split_at_checked(4)?;
                let len = u32::from_le_bytes(len.try_into().ok()?) as usize;
                Datum::Str(String::from_utf8(text.get(..len)?.to_vec()).ok()?)
            }
        })
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
            ColumnData::Str(v) => Datum::Str(v.get(i).into_owned()),
            ColumnData::Timestamp(v) => Datum::Timestamp(v[i]),
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

    /// Appends the text of row `i` as CSV and the stdout table print it: NULL is empty, DECIMAL
    /// has its scale's digits, TIMESTAMP is `YYYY-MM-DD HH:MM:SS.mmm`.
    pub fn write_text(&self, i: usize, out: &mut Vec<u8>) {
        if !self.is_valid(i) {
            return;
        }
        match &self.data {
            ColumnData::Bool(v) => out.extend_from_slice(if v[i] { b"true" } else { b"false" }),
            ColumnData::Int(v) => write_i64(v[i], out),
            ColumnData::Double(v) => write_f64(v[i], out),
            ColumnData::Decimal(v) => {
                let scale = if let DataType::Decimal { scale, .. } = self.ty { scale } else { 0 };
                decimal::format_into(v[i], scale, out)
            }
            ColumnData::Str(v) => out.extend_from_slice(v.get_bytes(i)),
            ColumnData::Timestamp(v) => timestamp::format_into(v[i], out),
        }
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
