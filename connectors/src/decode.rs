//! What every record decoder shares: the output it appends to, rejected records, typed column
//! builders, bad-record handling, and the format-agnostic [`RecordDecoder`].

use crate::chunks::{LineCounter, OwnedLines};
use crate::csv::CsvDecoder;
use crate::debezium::DebeziumFileDecoder;
use crate::error::SourceError;
use crate::json::JsonLinesDecoder;
use crate::spec::{FileSource, Format, OnError};
use repr::{Batch, Column, ColumnData, DataType, Datum, Schema, StringColumn};
use std::fs::File;
use std::ops::Range;
use std::path::Path;
use vstream_repr as repr;

/// A record skipped under [`OnError::Skip`]: the runtime appends `text` (the raw line, without
/// its line terminator) to the rejects file and may log `message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    /// 1-based line number in the file, the header line counted; from
    /// [`RecordDecoder::decode_records`], the record's 0-based index in `starts` instead.
    pub line: u64,
    /// Why, without the `path:line: ` prefix (``column `price`: cannot parse "12x" as BIGINT``).
    pub message: String,
    /// The raw line, without its `\n` (a trailing `\r` stays).
    pub text: Vec<u8>,
}

impl Reject {
    /// The error this reject would have been under [`OnError::Fail`].
    pub fn to_error(&self, path: &Path) -> SourceError {
        SourceError::BadRecord { path: path.to_path_buf(), line: self.line, message: self.message.clone() }
    }
}

/// What decoding appends to; reused across chunks. The runtime drains `batches` and `rejects`;
/// the counters only grow.
#[derive(Debug, Default)]
pub struct DecodeOutput {
    /// At most one batch per decoded chunk, none for a chunk that yields no rows.
    pub batches: Vec<Batch>,
    /// Per batch of `batches`, in the same order, per row: where its record starts (the file
    /// offset of its line; from [`RecordDecoder::decode_records`], its offset in the buffer).
    /// The runtime turns them into the batch's `origins`, which name a row whose expression
    /// fails; drained with `batches`.
    pub row_offsets: Vec<Vec<u64>>,
    /// Rows decoded.
    pub rows: u64,
    /// Bytes of the chunks decoded (the lines they own, header and bad lines included): over all
    /// chunks of a file, its length.
    pub bytes: u64,
    /// Records skipped under [`OnError::Skip`].
    pub rejected: u64,
    /// The records skipped under [`OnError::Skip`], for the runtime to write to the rejects file.
    pub rejects: Vec<Reject>,
}

impl DecodeOutput {
    /// An empty output.
    pub fn new() -> Self {
        DecodeOutput::default()
    }
}

/// Decodes the records of one chunk of a file into a batch of the projected columns.
pub trait Decoder {
    /// Reads the lines that `range` owns (see [`crate::chunks`]) and appends their rows, as one
    /// [`Batch`] of the projected columns, to `out.batches`. Bad records fail the call or are
    /// skipped into `out.rejects`, as the source's `on_error` says.
    fn decode_chunk(&mut self, file: &File, range: Range<u64>, out: &mut DecodeOutput) -> Result<(), SourceError>;
}

/// A decoder for whichever format a source has, so the runtime need not care.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per worker and source
pub enum RecordDecoder {
    /// A `'csv'` source.
    Csv(CsvDecoder),
    /// A `'json'` source (one object per line).
    Json(JsonLinesDecoder),
}

impl RecordDecoder {
    /// `projection`: the schema's columns to produce, in this order (indices into `schema`).
    pub fn new(source: &FileSource, schema: &Schema, projection: &[usize]) -> Self {
        match source.format {
            Format::Csv(_) => RecordDecoder::Csv(CsvDecoder::new(source, schema, projection)),
            // A Debezium file is read by `file_decoder`; a Debezium topic's events are laid out
            // as rows (`MessageBuffer`) before they reach this JSON decoder.
            Format::JsonLines | Format::DebeziumJson => RecordDecoder::Json(JsonLinesDecoder::new(source, schema, projection)),
        }
    }
}

/// The decoder of a file source in any format: a file of Debezium change events is read by
/// [`DebeziumFileDecoder`] (rows with their kinds), any other by a [`RecordDecoder`].
pub fn file_decoder(source: &FileSource, schema: &Schema, projection: &[usize]) -> Box<dyn Decoder> {
    match source.format {
        Format::DebeziumJson => Box::new(DebeziumFileDecoder::new(source, schema, projection)),
        _ => Box::new(RecordDecoder::new(source, schema, projection)),
    }
}

impl RecordDecoder {
    /// Decodes records laid out one per line in `bytes` (`starts[i]`: where record `i` begins;
    /// no record holds a `'\n'`, none is blank) into one batch, as a chunk of a file would be.
    /// A bad record is always skipped into `out.rejects` whatever the source's policy, with its
    /// index in `starts` as `line`: the caller names its place (a topic, partition and offset).
    /// Many records per call, so the per-call costs (builders, UTF-8 check) are shared.
    pub fn decode_records(&mut self, bytes: &[u8], starts: &[usize], out: &mut DecodeOutput) {
        match self {
            RecordDecoder::Csv(d) => d.decode_records(bytes, starts, out),
            RecordDecoder::Json(d) => d.decode_records(bytes, starts, out),
        }
    }
}

impl Decoder for RecordDecoder {
    fn decode_chunk(&mut self, file: &File, range: Range<u64>, out: &mut DecodeOutput) -> Result<(), SourceError> {
        match self {
            RecordDecoder::Csv(d) => d.decode_chunk(file, range, out),
            RecordDecoder::Json(d) => d.decode_chunk(file, range, out),
        }
    }
}

/// Which schema columns a decoder fills (`slots`, each once, in first-use order) and how the
/// output batch is made of them (`outputs`: one slot per projection entry).
#[derive(Debug, Clone)]
pub(crate) struct Projection {
    pub names: Vec<String>,
    pub types: Vec<DataType>,
    /// Per schema column: its slot, or `NO_SLOT`.
    pub slot_of: Vec<u32>,
    /// Per slot: its schema column.
    pub slot_fields: Vec<usize>,
    pub outputs: Vec<usize>,
}

pub(crate) const NO_SLOT: u32 = u32::MAX;

impl Projection {
    pub fn new(schema: &Schema, projection: &[usize]) -> Self {
        let n = schema.len();
        let mut slot_of = vec![NO_SLOT; n];
        let mut slot_fields = Vec::new();
        let mut outputs = Vec::with_capacity(projection.len());
        for &p in projection {
            assert!(p < n, "projection index {p} is out of range for a schema of {n} columns");
            if slot_of[p] == NO_SLOT {
                slot_of[p] = slot_fields.len() as u32;
                slot_fields.push(p);
            }
            outputs.push(slot_of[p] as usize);
        }
        Projection { names: schema.fields.iter().map(|f| f.name.clone()).collect(), types: schema.types(), slot_of, slot_fields, outputs }
    }

    pub fn slot_name(&self, slot: usize) -> &str {
        &self.names[self.slot_fields[slot]]
    }

    /// Fresh builders, sized from the previous chunk's rows and string bytes.
    pub fn builders(&self, hint: &SizeHint, bytes: usize) -> Vec<ColBuilder> {
        let rows = hint.rows_for(bytes);
        self.slot_fields.iter().enumerate().map(|(slot, &f)| ColBuilder::new(self.types[f], rows, hint.str_bytes_for(slot, rows))).collect()
    }

    /// The batch of `rows` rows that `builders` hold, in projection order.
    pub fn finish(&self, builders: Vec<ColBuilder>, rows: usize, hint: &mut SizeHint, bytes: usize) -> Batch {
        hint.learn(&builders, rows, bytes);
        let mut cols: Vec<Option<Column>> = builders.into_iter().map(|b| Some(b.finish())).collect();
        let mut out = Vec::with_capacity(self.outputs.len());
        for (i, &slot) in self.outputs.iter().enumerate() {
            let last_use = !self.outputs[i + 1..].contains(&slot);
            out.push(if last_use { cols[slot].take().unwrap() } else { cols[slot].clone().unwrap() });
        }
        Batch::new(rows, out)
    }
}

/// Expected rows per byte and string bytes per row, learnt from the last chunk, so a chunk's
/// vectors are allocated once at about the right size.
#[derive(Debug, Default, Clone)]
pub(crate) struct SizeHint {
    rows_per_mb: Option<usize>,
    str_bytes_per_row: Vec<usize>,
}

impl SizeHint {
    pub(crate) fn rows_for(&self, bytes: usize) -> usize {
        match self.rows_per_mb {
            Some(r) => (bytes as u128 * r as u128 / (1 << 20) as u128) as usize + 16,
            None => bytes / 64 + 16,
        }
    }
    fn str_bytes_for(&self, slot: usize, rows: usize) -> usize {
        self.str_bytes_per_row.get(slot).map_or(rows * 16, |b| rows * b + 64)
    }
    fn learn(&mut self, builders: &[ColBuilder], rows: usize, bytes: usize) {
        if bytes >= 4096 && rows > 0 {
            self.rows_per_mb = Some(((rows as f64 * 1.05) * (1u64 << 20) as f64 / bytes as f64) as usize + 1);
            self.str_bytes_per_row = builders
                .iter()
                .map(|b| match &b.data {
                    ColumnData::Str(s) => s.bytes.len() / rows + 1,
                    _ => 0,
                })
                .collect();
        }
    }
}

/// One column being built, row by row.
#[derive(Debug)]
pub(crate) struct ColBuilder {
    pub ty: DataType,
    pub data: ColumnData,
    /// `None` while no row is NULL.
    pub validity: Option<Vec<bool>>,
    /// The whole chunk was checked to be UTF-8, so its fields are (they are cut at ASCII bytes)
    /// and need no check of their own.
    pub utf8_checked: bool,
}

impl ColBuilder {
    pub fn new(ty: DataType, rows: usize, str_bytes: usize) -> Self {
        let data = match ty {
            DataType::Varchar => ColumnData::Str(StringColumn::with_capacity(rows, str_bytes)),
            _ => ColumnData::empty(ty, rows),
        };
        ColBuilder { ty, data, validity: None, utf8_checked: false }
    }

    pub fn is_str(&self) -> bool {
        matches!(self.data, ColumnData::Str(_))
    }

    pub fn push_null(&mut self) {
        let n = self.data.len();
        self.data.push_datum(&Datum::Null);
        match &mut self.validity {
            Some(v) => v.push(false),
            None => {
                let mut v = Vec::with_capacity(self.data_capacity());
                v.resize(n, true);
                v.push(false);
                self.validity = Some(v);
            }
        }
    }

    fn data_capacity(&self) -> usize {
        match &self.data {
            ColumnData::Bool(v) => v.capacity(),
            ColumnData::Int(v) | ColumnData::Timestamp(v) => v.capacity(),
            ColumnData::Double(v) => v.capacity(),
            ColumnData::Decimal(v) => v.capacity(),
            ColumnData::Str(v) => v.offsets.capacity(),
            ColumnData::Nested(v) => v.capacity(),
        }
    }

    #[inline]
    fn mark_valid(&mut self) {
        if let Some(v) = &mut self.validity {
            v.push(true);
        }
    }

    /// Appends a string as it is (only for VARCHAR columns). False if it is not UTF-8.
    #[inline]
    pub fn push_str(&mut self, s: &[u8]) -> bool {
        if let ColumnData::Str(v) = &mut self.data {
            if !self.utf8_checked && !is_utf8(s) {
                return false;
            }
            v.push(s);
            self.mark_valid();
            true
        } else {
            false
        }
    }

    /// Parses `text` (not NULL) as the column's type and appends it. Surrounding ASCII whitespace
    /// is ignored except in strings; whitespace alone is NULL. False if it does not parse.
    #[inline(always)]
    pub fn push_text(&mut self, text: &[u8]) -> bool {
        // The hot case, inlined into the decode loops: plain digits into a BIGINT.
        if let ColumnData::Int(v) = &mut self.data
            && self.ty == DataType::BigInt
            && let Some(x) = parse_digits(text)
        {
            v.push(x);
            self.mark_valid();
            return true;
        }
        // DECIMAL in its plain form (`-12.3`), as 1BRC-style temperatures and prices are written.
        if let ColumnData::Decimal(v) = &mut self.data
            && let DataType::Decimal { precision, scale } = self.ty
            && let Some(m) = vstream_repr::decimal::parse_short(text, scale).filter(|m| vstream_repr::decimal::fits(*m, precision))
        {
            v.push(m);
            self.mark_valid();
            return true;
        }
        if let ColumnData::Str(v) = &mut self.data {
            if !self.utf8_checked && !is_utf8(text) {
                return false;
            }
            v.push(text);
            self.mark_valid();
            return true;
        }
        self.push_text_general(text)
    }

    #[inline(never)]
    fn push_text_general(&mut self, text: &[u8]) -> bool {
        let ty = self.ty;
        if !ty.is_integer() && matches!(self.data, ColumnData::Int(_) | ColumnData::Timestamp(_)) {
            // DATE, TIME, the intervals and TIMESTAMP(p): the same spellings CAST accepts.
            let t = trim(text);
            if t.is_empty() {
                self.push_null();
                return true;
            }
            let ok = repr::expr::parse_into(t, ty, &mut self.data);
            if ok {
                self.mark_valid();
            }
            return ok;
        }
        let ok = match &mut self.data {
            ColumnData::Nested(_) => false,
            ColumnData::Str(v) => {
                if std::str::from_utf8(text).is_err() {
                    return false;
                }
                v.push(text);
                true
            }
            ColumnData::Int(v) => {
                let t = trim(text);
                if t.is_empty() {
                    self.push_null();
                    return true;
                }
                let (lo, hi) = ty.int_range();
                match parse_int(t) {
                    Some(x) if (lo..=hi).contains(&x) => {
                        v.push(x);
                        true
                    }
                    _ => false,
                }
            }
            ColumnData::Timestamp(v) => {
                let t = trim(text);
                if t.is_empty() {
                    self.push_null();
                    return true;
                }
                match repr::timestamp::parse(t) {
                    Some(ms) => {
                        v.push(ms);
                        true
                    }
                    None => false,
                }
            }
            ColumnData::Decimal(v) => {
                let t = trim(text);
                if t.is_empty() {
                    self.push_null();
                    return true;
                }
                let DataType::Decimal { precision, scale } = ty else { return false };
                match repr::decimal::parse(t, scale) {
                    Some(m) if repr::decimal::fits(m, precision) => {
                        v.push(m);
                        true
                    }
                    _ => false,
                }
            }
            ColumnData::Double(v) => {
                let t = trim(text);
                if t.is_empty() {
                    self.push_null();
                    return true;
                }
                match parse_f64(t) {
                    Some(x) => {
                        v.push(if ty == DataType::Float { x as f32 as f64 } else { x });
                        true
                    }
                    None => false,
                }
            }
            ColumnData::Bool(v) => {
                let t = trim(text);
                if t.is_empty() {
                    self.push_null();
                    return true;
                }
                match parse_bool(t) {
                    Some(b) => {
                        v.push(b);
                        true
                    }
                    None => false,
                }
            }
        };
        if ok {
            self.mark_valid();
        }
        ok
    }

    /// Appends epoch milliseconds to a TIMESTAMP column.
    pub fn push_epoch_ms(&mut self, ms: i64) {
        if let ColumnData::Timestamp(v) = &mut self.data {
            v.push(ms);
            self.mark_valid();
        }
    }

    /// Drops rows past `rows` (a record that failed half-way).
    pub fn truncate(&mut self, rows: usize) {
        match &mut self.data {
            ColumnData::Bool(v) => v.truncate(rows),
            ColumnData::Int(v) | ColumnData::Timestamp(v) => v.truncate(rows),
            ColumnData::Double(v) => v.truncate(rows),
            ColumnData::Decimal(v) => v.truncate(rows),
            ColumnData::Nested(v) => v.truncate(rows),
            ColumnData::Str(v) => {
                if v.offsets.len() > rows + 1 {
                    v.offsets.truncate(rows + 1);
                    let end = v.offsets[rows] as usize;
                    v.bytes.truncate(end);
                }
            }
        }
        if let Some(v) = &mut self.validity {
            v.truncate(rows);
        }
    }

    pub fn finish(self) -> Column {
        Column::new(self.ty, self.data, self.validity)
    }
}

/// Whether `s` is UTF-8; ASCII, the usual case, is checked inline.
#[inline(always)]
fn is_utf8(s: &[u8]) -> bool {
    s.is_ascii() || std::str::from_utf8(s).is_ok()
}

#[inline]
fn trim(b: &[u8]) -> &[u8] {
    // The common case, no whitespace at either end, costs two compares.
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if !f.is_ascii_whitespace() && !l.is_ascii_whitespace() => b,
        _ => b.trim_ascii(),
    }
}

/// Up to 18 digits, optionally after a `-`; `None` for anything else (which may still be an
/// integer: [`parse_int`] decides).
#[inline(always)]
fn parse_digits(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + d as u64;
    }
    Some(if neg { -(v as i64) } else { v as i64 })
}

/// Integer text (an optional sign and digits) to `i64`, `None` if it is not one or overflows.
#[inline]
pub(crate) fn parse_int(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 {
        // 19 digits may overflow: the checked version decides.
        return repr::expr::parse_i64(b);
    }
    let mut v: u64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + d as u64;
    }
    Some(if neg { -(v as i64) } else { v as i64 })
}

/// DOUBLE text: what Rust reads (`1.5`, `-2e3`, `inf`, `NaN`, `infinity`), nothing else.
#[inline]
pub(crate) fn parse_f64(b: &[u8]) -> Option<f64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

pub(crate) fn parse_bool(t: &[u8]) -> Option<bool> {
    const TRUE: [&[u8]; 5] = [b"true", b"t", b"1", b"yes", b"y"];
    const FALSE: [&[u8]; 5] = [b"false", b"f", b"0", b"no", b"n"];
    if TRUE.iter().any(|w| w.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if FALSE.iter().any(|w| w.eq_ignore_ascii_case(t)) {
        Some(false)
    } else {
        None
    }
}

/// Text of a value for an error message: as it is when UTF-8 (cut at 80 characters), with
/// escapes otherwise.
pub(crate) fn show(text: &[u8]) -> String {
    match std::str::from_utf8(text) {
        Ok(s) if s.chars().count() > 80 => format!("{}...", s.chars().take(80).collect::<String>()),
        Ok(s) => s.to_string(),
        Err(_) => {
            let s = text.escape_ascii().to_string();
            if s.len() > 120 { format!("{}...", &s[..120]) } else { s }
        }
    }
}

/// ``column `price`: cannot parse "12x" as BIGINT``
pub(crate) fn parse_message(name: &str, ty: DataType, text: &[u8]) -> String {
    if ty == DataType::Varchar {
        format!("column `{name}`: invalid UTF-8 in \"{}\"", show(text))
    } else {
        format!("column `{name}`: cannot parse \"{}\" as {ty}", show(text))
    }
}

/// Where a decoder's input came from, to name a bad record's place.
pub(crate) enum Place<'a> {
    /// A chunk of a file: a bad record is named by its 1-based line number.
    File { file: &'a File, lines: &'a mut LineCounter },
    /// Records (Kafka messages) laid out one per line in a buffer: a bad record is named by its
    /// index among them; `starts[i]` is where record `i` begins.
    Records { starts: &'a [usize] },
}

/// What a decoder needs to report a bad record.
pub(crate) struct BadRecords<'a> {
    pub path: &'a Path,
    pub on_error: OnError,
    pub place: Place<'a>,
}

impl BadRecords<'_> {
    /// A bad record at `line` (a range of `chunk.bytes`, without its terminator): an error under
    /// [`OnError::Fail`], a [`Reject`] under [`OnError::Skip`].
    #[cold]
    #[inline(never)]
    pub fn bad(&mut self, chunk: &OwnedLines<'_>, line: Range<usize>, message: String, out: &mut DecodeOutput) -> Result<(), SourceError> {
        let number = match &mut self.place {
            Place::File { file, lines } => {
                let offset = chunk.offset + line.start as u64;
                lines.line_at_in(file, offset, chunk).map_err(|e| SourceError::io(self.path, e))?
            }
            // The record whose start is the last at or before the line's.
            Place::Records { starts } => starts.partition_point(|s| *s <= line.start).saturating_sub(1) as u64,
        };
        match self.on_error {
            OnError::Fail => Err(SourceError::BadRecord { path: self.path.to_path_buf(), line: number, message }),
            OnError::Skip => {
                out.rejected += 1;
                out.rejects.push(Reject { line: number, message, text: chunk.bytes[line].to_vec() });
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scalars() {
        assert_eq!(parse_int(b"-42"), Some(-42));
        assert_eq!(parse_int(b"+7"), Some(7));
        assert_eq!(parse_int(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_int(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int(b"9223372036854775808"), None);
        assert_eq!(parse_int(b"12x"), None);
        assert_eq!(parse_int(b"-"), None);
        assert_eq!(parse_f64(b"1.5e3"), Some(1500.0));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert!(parse_f64(b"NaN").unwrap().is_nan());
        assert_eq!(parse_f64(b"Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"1.5x"), None);
        assert_eq!(parse_bool(b"TRUE"), Some(true));
        assert_eq!(parse_bool(b"n"), Some(false));
        assert_eq!(parse_bool(b"maybe"), None);
    }

    #[test]
    fn builder_nulls_and_rollback() {
        let mut b = ColBuilder::new(DataType::Varchar, 4, 16);
        assert!(b.push_text(b"a"));
        b.push_null();
        assert!(b.push_text(b"ccc"));
        assert!(!b.push_text(b"\xff"));
        b.truncate(2);
        assert!(b.push_text(b"d"));
        let c = b.finish();
        assert_eq!(c.len(), 3);
        assert_eq!(c.datum(0), repr::Datum::Str("a".into()));
        assert!(c.datum(1).is_null());
        assert_eq!(c.datum(2), repr::Datum::Str("d".into()));

        let mut b = ColBuilder::new(DataType::Int, 4, 0);
        assert!(b.push_text(b" 5 "));
        assert!(!b.push_text(b"3000000000"));
        assert!(b.push_text(b"  "));
        let c = b.finish();
        assert_eq!(c.datum(0), repr::Datum::Int(5));
        assert!(c.datum(1).is_null());
    }
}
