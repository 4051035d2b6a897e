//! What a kernel reads and writes: arguments that are a column or one value for every row, a
//! builder for the result column, and the per-call cache for what literals compile to.

use crate::column::{Column, ColumnData};
use crate::datum::Datum;
use crate::types::DataType;
use std::any::Any;
use std::sync::OnceLock;

/// A function argument over a batch: a computed column, or a literal that stands for every row
/// (kept as one value, so `DATE_FORMAT(ts, 'yyyy-MM-dd')` never repeats its pattern per row).
#[derive(Clone, Debug)]
pub enum Arg<'a> {
    /// A column with one value per row.
    Col(Column),
    /// One value for every row, of the given type.
    Scalar(&'a Datum, DataType),
}

impl Arg<'_> {
    /// The argument's type.
    pub fn ty(&self) -> DataType {
        match self {
            Arg::Col(c) => c.ty,
            Arg::Scalar(_, t) => *t,
        }
    }
    /// The literal value, if the argument is one.
    pub fn scalar(&self) -> Option<&Datum> {
        match self {
            Arg::Col(_) => None,
            Arg::Scalar(d, _) => Some(d),
        }
    }
    /// Whether row `i` is NULL.
    #[inline]
    pub fn is_null(&self, i: usize) -> bool {
        match self {
            Arg::Col(c) => !c.is_valid(i),
            Arg::Scalar(d, _) => d.is_null(),
        }
    }
    /// Row `i`'s bytes (VARCHAR or BYTES); `None` when NULL.
    #[inline]
    pub fn bytes(&self, i: usize) -> Option<&[u8]> {
        match self {
            Arg::Col(c) if !c.is_valid(i) => None,
            Arg::Col(Column { data: ColumnData::Str(s), .. }) => Some(s.get_bytes(i)),
            Arg::Scalar(Datum::Str(s), _) => Some(s.as_bytes()),
            Arg::Scalar(Datum::Bytes(b), _) => Some(b),
            _ => None,
        }
    }
    /// Row `i`'s text (VARCHAR); `None` when NULL. Sources admit only UTF-8, so the check passes.
    #[inline]
    pub fn str(&self, i: usize) -> Option<&str> {
        match self {
            Arg::Scalar(Datum::Str(s), _) => Some(s),
            _ => self.bytes(i).and_then(|b| std::str::from_utf8(b).ok()),
        }
    }
    /// Row `i` of an integer-layout argument (integers, DATE, TIME, intervals) or a TIMESTAMP's
    /// ticks; `None` when NULL.
    #[inline]
    pub fn i64(&self, i: usize) -> Option<i64> {
        match self {
            Arg::Col(c) if !c.is_valid(i) => None,
            Arg::Col(Column { data: ColumnData::Int(v) | ColumnData::Timestamp(v), .. }) => Some(v[i]),
            Arg::Scalar(Datum::Int(v) | Datum::Timestamp(v), _) => Some(*v),
            _ => None,
        }
    }
    /// Row `i` of a FLOAT or DOUBLE argument; `None` when NULL.
    #[inline]
    pub fn f64(&self, i: usize) -> Option<f64> {
        match self {
            Arg::Col(c) if !c.is_valid(i) => None,
            Arg::Col(Column { data: ColumnData::Double(v), .. }) => Some(v[i]),
            Arg::Scalar(Datum::Double(v), _) => Some(*v),
            _ => None,
        }
    }
    /// Row `i`'s DECIMAL mantissa (the scale is in [`Arg::ty`]); `None` when NULL.
    #[inline]
    pub fn decimal(&self, i: usize) -> Option<i128> {
        match self {
            Arg::Col(c) if !c.is_valid(i) => None,
            Arg::Col(Column { data: ColumnData::Decimal(v), .. }) => Some(v[i]),
            Arg::Scalar(Datum::Decimal(v), _) => Some(*v),
            _ => None,
        }
    }
    /// Row `i` of a BOOLEAN argument; `None` when NULL.
    #[inline]
    pub fn bool(&self, i: usize) -> Option<bool> {
        match self {
            Arg::Col(c) if !c.is_valid(i) => None,
            Arg::Col(Column { data: ColumnData::Bool(v), .. }) => Some(v[i]),
            Arg::Scalar(Datum::Bool(v), _) => Some(*v),
            _ => None,
        }
    }
    /// Row `i` as a value (allocates for strings and nested values).
    pub fn datum(&self, i: usize) -> Datum {
        match self {
            Arg::Col(c) => c.datum(i),
            Arg::Scalar(d, _) => (*d).clone(),
        }
    }
    /// Row `i` of an ARRAY, MAP or ROW argument, borrowed; `None` when NULL.
    pub fn nested(&self, i: usize) -> Option<&Datum> {
        let d = match self {
            Arg::Col(c) if !c.is_valid(i) => return None,
            Arg::Col(Column { data: ColumnData::Nested(v), .. }) => &v[i],
            Arg::Scalar(d, _) => d,
            _ => return None,
        };
        (!d.is_null()).then_some(d)
    }
    /// The argument as a column of `n` rows (materialising a literal).
    pub fn into_column(self, n: usize) -> Column {
        match self {
            Arg::Col(c) => c,
            Arg::Scalar(d, t) => Column::repeat(d, t, n),
        }
    }
}

/// Builds a result column row by row: one push per row, NULLs tracked on the side.
pub struct ColumnBuilder {
    ty: DataType,
    data: ColumnData,
    validity: Vec<bool>,
    has_null: bool,
}

impl ColumnBuilder {
    /// A builder for `n` rows of type `ty`.
    pub fn new(ty: DataType, n: usize) -> Self {
        ColumnBuilder { ty, data: ColumnData::empty(ty, n), validity: Vec::with_capacity(n), has_null: false }
    }
    /// Appends a NULL.
    #[inline]
    pub fn push_null(&mut self) {
        self.data.push_datum(&Datum::Null);
        self.validity.push(false);
        self.has_null = true;
    }
    #[inline]
    fn valid(&mut self) {
        self.validity.push(true);
    }
    /// Appends an integer-layout value (integers, DATE, TIME, intervals) or TIMESTAMP ticks.
    #[inline]
    pub fn push_i64(&mut self, v: i64) {
        match &mut self.data {
            ColumnData::Int(c) | ColumnData::Timestamp(c) => c.push(v),
            other => other.push_datum(&Datum::Null),
        }
        self.valid();
    }
    /// Appends a FLOAT or DOUBLE (a FLOAT is rounded to `f32`).
    #[inline]
    pub fn push_f64(&mut self, v: f64) {
        let v = if self.ty == DataType::Float { v as f32 as f64 } else { v };
        match &mut self.data {
            ColumnData::Double(c) => c.push(v),
            other => other.push_datum(&Datum::Null),
        }
        self.valid();
    }
    /// Appends a DECIMAL mantissa (in the result type's scale).
    #[inline]
    pub fn push_decimal(&mut self, v: i128) {
        match &mut self.data {
            ColumnData::Decimal(c) => c.push(v),
            other => other.push_datum(&Datum::Null),
        }
        self.valid();
    }
    /// Appends a BOOLEAN.
    #[inline]
    pub fn push_bool(&mut self, v: bool) {
        match &mut self.data {
            ColumnData::Bool(c) => c.push(v),
            other => other.push_datum(&Datum::Null),
        }
        self.valid();
    }
    /// Appends text or bytes (VARCHAR results must be UTF-8).
    #[inline]
    pub fn push_bytes(&mut self, v: &[u8]) {
        match &mut self.data {
            ColumnData::Str(c) => c.push(v),
            other => other.push_datum(&Datum::Null),
        }
        self.valid();
    }
    /// Appends text.
    #[inline]
    pub fn push_str(&mut self, v: &str) {
        self.push_bytes(v.as_bytes())
    }
    /// Appends any value (NULL included).
    pub fn push_datum(&mut self, v: Datum) {
        if v.is_null() {
            return self.push_null();
        }
        match &mut self.data {
            ColumnData::Nested(c) => c.push(v),
            other => other.push_datum(&v),
        }
        self.valid();
    }
    /// Appends `v`, or a NULL for `None`.
    #[inline]
    pub fn push_opt_i64(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.push_i64(v),
            None => self.push_null(),
        }
    }
    /// Appends `v`, or a NULL for `None`.
    #[inline]
    pub fn push_opt_f64(&mut self, v: Option<f64>) {
        match v {
            Some(v) => self.push_f64(v),
            None => self.push_null(),
        }
    }
    /// Appends `v`, or a NULL for `None`.
    #[inline]
    pub fn push_opt_bool(&mut self, v: Option<bool>) {
        match v {
            Some(v) => self.push_bool(v),
            None => self.push_null(),
        }
    }
    /// Appends `v`, or a NULL for `None`.
    #[inline]
    pub fn push_opt_str(&mut self, v: Option<&str>) {
        match v {
            Some(v) => self.push_str(v),
            None => self.push_null(),
        }
    }
    /// Direct access to a VARCHAR/BYTES result's buffer, for kernels that write a row in pieces:
    /// write the row's bytes into the column's bytes, then call [`ColumnBuilder::end_str_row`].
    pub fn str_buffer(&mut self) -> Option<&mut Vec<u8>> {
        match &mut self.data {
            ColumnData::Str(c) => Some(&mut c.bytes),
            _ => None,
        }
    }
    /// Ends a row written through [`ColumnBuilder::str_buffer`].
    pub fn end_str_row(&mut self) {
        if let ColumnData::Str(c) = &mut self.data {
            if c.offsets.is_empty() {
                c.offsets.push(0);
            }
            c.offsets.push(c.bytes.len() as u32);
        }
        self.valid();
    }
    /// The finished column.
    pub fn finish(self) -> Column {
        let validity = self.has_null.then_some(self.validity);
        Column::new(self.ty, self.data, validity)
    }
}

/// What a call builds once from its literal arguments (a compiled regular expression, a parsed
/// date pattern) and keeps for every batch after. A clone starts empty: each worker's copy of a
/// plan builds its own (a `regex::Regex` shared by threads makes all but one take a slower,
/// locked path). Not part of a plan's serialised form.
#[derive(Default)]
pub struct CallCache(OnceLock<Box<dyn Any + Send + Sync>>);

impl Clone for CallCache {
    fn clone(&self) -> Self {
        CallCache::default()
    }
}

impl CallCache {
    /// The cached value, built by `init` on first use. `None` only if a different type was
    /// cached before (a kernel bug).
    pub fn get_or_init<T: Any + Send + Sync>(&self, init: impl FnOnce() -> T) -> Option<&T> {
        self.0.get_or_init(|| Box::new(init())).downcast_ref()
    }
}

impl std::fmt::Debug for CallCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallCache")
    }
}

impl PartialEq for CallCache {
    /// Caches never make two calls differ: equal calls build equal caches.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
