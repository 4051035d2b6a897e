//! JSON lines decoding: one object per line, fields by column name (case-insensitive).
//!
//! Each projected field is taken as its raw JSON text (serde_json's `RawValue`, no tree is built)
//! and parsed straight into its column, so a DECIMAL gets the number's digits exactly, never
//! through `f64`. Unprojected fields are skipped. A missing field or `null` is NULL. Numbers go
//! into BIGINT/INT/DOUBLE/DECIMAL, strings into VARCHAR, TIMESTAMP from strings (or integers,
//! as epoch milliseconds), BOOLEAN from `true`/`false`. Strings holding a value of the column's
//! type are accepted too (`"price": "12"`); a non-string into VARCHAR is kept as its JSON text.
//! Anything else is a bad record, as is a line that is not a JSON object.

use crate::chunks::{ChunkReader, LineCounter, OwnedLines};
use crate::decode::{BadRecords, ColBuilder, DecodeOutput, Decoder, Place, Projection, SizeHint, show};
use crate::error::SourceError;
use crate::spec::{FileSource, OnError};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fs::File;
use std::ops::Range;
use std::path::PathBuf;
use vstream_repr::{DataType, Schema};

/// Decodes the JSON lines chunks of one source for one worker; see the module docs.
#[derive(Debug)]
pub struct JsonLinesDecoder {
    path: PathBuf,
    on_error: OnError,
    proj: Projection,
    /// The projected columns' names and slots.
    keys: Vec<(String, usize)>,
    reader: ChunkReader,
    lines: LineCounter,
    hint: SizeHint,
    /// Per slot, where its value is in the current line.
    spans: Vec<Option<(usize, usize)>>,
}

impl JsonLinesDecoder {
    /// A decoder of `source` for a table of `schema`, producing the columns `projection` names
    /// (indices into `schema`, in output order).
    pub fn new(source: &FileSource, schema: &Schema, projection: &[usize]) -> Self {
        let proj = Projection::new(schema, projection);
        let keys = proj.slot_fields.iter().enumerate().map(|(slot, &f)| (proj.names[f].clone(), slot)).collect();
        let nslots = proj.slot_fields.len();
        JsonLinesDecoder {
            path: source.path.clone(),
            on_error: source.on_error,
            proj,
            keys,
            reader: ChunkReader::new(),
            lines: LineCounter::new(),
            hint: SizeHint::default(),
            spans: vec![None; nslots],
        }
    }

    /// Decodes the lines `range` owns and appends one batch of the projected columns (none if
    /// the chunk has no rows). See [`Decoder::decode_chunk`].
    pub fn decode_chunk(&mut self, file: &File, range: Range<u64>, out: &mut DecodeOutput) -> Result<(), SourceError> {
        let JsonLinesDecoder { path, on_error, proj, keys, reader, lines, hint, spans } = self;
        let chunk = reader.read(file, range).map_err(|e| SourceError::io(&*path, e))?;
        let bad = BadRecords { path, on_error: *on_error, place: Place::File { file, lines } };
        decode_lines(&chunk, keys, spans, proj, hint, bad, out)
    }

    /// See [`crate::RecordDecoder::decode_records`].
    pub fn decode_records(&mut self, bytes: &[u8], starts: &[usize], out: &mut DecodeOutput) {
        let JsonLinesDecoder { path, proj, keys, hint, spans, .. } = self;
        let bad = BadRecords { path, on_error: OnError::Skip, place: Place::Records { starts } };
        // Under `OnError::Skip` a bad record is a reject, never an error.
        let _ = decode_lines(&OwnedLines { offset: 0, bytes }, keys, spans, proj, hint, bad, out);
    }
}

/// Decodes the lines of `chunk` into one batch.
fn decode_lines(
    chunk: &OwnedLines<'_>,
    keys: &[(String, usize)],
    spans: &mut [Option<(usize, usize)>],
    proj: &Projection,
    hint: &mut SizeHint,
    mut bad: BadRecords<'_>,
    out: &mut DecodeOutput,
) -> Result<(), SourceError> {
    out.bytes += chunk.bytes.len() as u64;
    if chunk.bytes.is_empty() {
        return Ok(());
    }
    let mut builders = proj.builders(hint, chunk.bytes.len());
    let bytes = chunk.bytes;
    let mut rows = 0usize;
    // Per row made: the offset of its line (in the file, or in the buffer of records).
    let mut starts = Vec::with_capacity(hint.rows_for(bytes.len()));
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let next = end + 1;
        let line = &bytes[start..end];
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            start = next;
            continue;
        }
        match decode_line(line, keys, spans, proj, &mut builders) {
            Ok(()) => {
                rows += 1;
                starts.push(chunk.offset + start as u64);
            }
            Err(message) => {
                builders.iter_mut().for_each(|b| b.truncate(rows));
                bad.bad(chunk, start..end, message, out)?;
            }
        }
        start = next;
    }
    if rows > 0 {
        out.rows += rows as u64;
        out.batches.push(proj.finish(builders, rows, hint, bytes.len()));
        out.row_offsets.push(starts);
    }
    Ok(())
}

impl Decoder for JsonLinesDecoder {
    fn decode_chunk(&mut self, file: &File, range: Range<u64>, out: &mut DecodeOutput) -> Result<(), SourceError> {
        JsonLinesDecoder::decode_chunk(self, file, range, out)
    }
}

fn decode_line(
    line: &[u8],
    keys: &[(String, usize)],
    spans: &mut [Option<(usize, usize)>],
    proj: &Projection,
    builders: &mut [ColBuilder],
) -> Result<(), String> {
    spans.iter_mut().for_each(|s| *s = None);
    let mut de = serde_json::Deserializer::from_slice(line);
    let seed = ObjectSeed { keys, spans, base: line.as_ptr() as usize };
    seed.deserialize(&mut de).and_then(|()| de.end()).map_err(json_message)?;
    for (slot, b) in builders.iter_mut().enumerate() {
        match spans[slot] {
            None => b.push_null(),
            Some((s, e)) => push_json(b, &line[s..e]).map_err(|text| {
                let ty = proj.types[proj.slot_fields[slot]];
                format!("column `{}`: cannot parse \"{}\" as {ty}", proj.slot_name(slot), show(&text))
            })?,
        }
    }
    Ok(())
}

/// ``invalid JSON: expected value at column 5`` (the line is the file's, not serde_json's 1).
fn json_message(e: serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&suffix) {
        Some(m) => format!("invalid JSON: {m} at column {}", e.column().max(1)),
        None => format!("invalid JSON: {text}"),
    }
}

/// Appends one raw JSON value to its column; the text to quote in the error if it does not fit.
fn push_json(b: &mut ColBuilder, raw: &[u8]) -> Result<(), Vec<u8>> {
    if b.ty.layout() == vstream_repr::types::Layout::Nested && raw != b"null" {
        return if crate::json_nested::push_nested(b, raw) { Ok(()) } else { Err(raw.to_vec()) };
    }
    match raw.first() {
        Some(b'n') if raw == b"null" => {
            b.push_null();
            Ok(())
        }
        Some(b'"') => {
            let content: Cow<'_, [u8]> = if memchr::memchr(b'\\', raw).is_none() {
                Cow::Borrowed(&raw[1..raw.len() - 1])
            } else {
                let s: String = serde_json::from_slice(raw).map_err(|_| raw.to_vec())?;
                Cow::Owned(s.into_bytes())
            };
            let ok = if b.is_str() { b.push_str(&content) } else { b.push_text(&content) };
            if ok { Ok(()) } else { Err(content.into_owned()) }
        }
        Some(b'{' | b'[') if !b.is_str() => Err(raw.to_vec()),
        _ => {
            let ok = match b.ty {
                DataType::Varchar => b.push_str(raw),
                DataType::Boolean => match raw {
                    b"true" | b"false" => b.push_text(raw),
                    _ => false,
                },
                // An epoch number is milliseconds, for every precision (and for an instant).
                DataType::Timestamp { precision } | DataType::TimestampLtz { precision } => {
                    let per_ms = vstream_repr::types::timestamp_unit(precision) / 1000;
                    match crate::decode::parse_int(raw).and_then(|ms| ms.checked_mul(per_ms)) {
                        Some(ticks) => {
                            b.push_epoch_ms(ticks);
                            true
                        }
                        None => false,
                    }
                }
                _ if raw == b"true" || raw == b"false" => false,
                _ => b.push_text(raw),
            };
            if ok { Ok(()) } else { Err(raw.to_vec()) }
        }
    }
}

/// Walks one JSON object, noting where the projected fields' values are.
struct ObjectSeed<'s> {
    keys: &'s [(String, usize)],
    spans: &'s mut [Option<(usize, usize)>],
    base: usize,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(slot) = map.next_key_seed(KeySeed { keys: self.keys })? {
            match slot {
                Some(slot) => {
                    let raw: &'de RawValue = map.next_value()?;
                    let text = raw.get();
                    let start = text.as_ptr() as usize - self.base;
                    self.spans[slot] = Some((start, start + text.len()));
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A key: the slot of the projected column it names, if any.
struct KeySeed<'s> {
    keys: &'s [(String, usize)],
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: serde::de::Error>(self, k: &str) -> Result<Option<usize>, E> {
        Ok(self.keys.iter().find(|(name, _)| name.eq_ignore_ascii_case(k)).map(|(_, slot)| *slot))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunks::plan_chunks;
    use crate::chunks::tests::TempFile;
    use crate::spec::Format;
    use vstream_repr::{Datum, Field};

    fn schema() -> Schema {
        Schema::new(vec![
            Field::new("id", DataType::BigInt),
            Field::new("name", DataType::Varchar),
            Field::new("price", DataType::Decimal { precision: 38, scale: 3 }),
            Field::new("score", DataType::Double),
            Field::new("ok", DataType::Boolean),
            Field::new("ts", DataType::TIMESTAMP),
            Field::new("small", DataType::Int),
        ])
    }

    fn source(on_error: OnError) -> FileSource {
        FileSource { path: "data/events.jsonl".into(), format: Format::JsonLines, on_error, rejects: None }
    }

    fn decode(input: &[u8], on_error: OnError, projection: &[usize], chunk: u64) -> Result<(Vec<Vec<Datum>>, DecodeOutput), SourceError> {
        let tf = TempFile::new(input);
        let file = tf.open();
        let mut d = JsonLinesDecoder::new(&source(on_error), &schema(), projection);
        let mut out = DecodeOutput::new();
        for r in plan_chunks(input.len() as u64, chunk) {
            d.decode_chunk(&file, r, &mut out)?;
        }
        assert_eq!(out.bytes, input.len() as u64);
        let mut rows = Vec::new();
        for b in &out.batches {
            for i in 0..b.len {
                rows.push(b.columns.iter().map(|c| c.datum(i)).collect());
            }
        }
        Ok((rows, out))
    }

    const INPUT: &str = r#"{"id": 1, "name": "a\"b\u00e9", "price": 12345678901234567890.125, "score": 0.5, "ok": true, "ts": "2025-01-01 00:00:00.017", "small": 7}
{"ID": 2, "Name": "plain", "extra": {"nested": [1, 2, {"x": null}]}, "price": "0.1", "ts": 1735689600017}

{"id": 3, "name": null, "price": 1e-3, "score": -2, "ok": false, "small": -8}
"#;

    #[test]
    fn decodes_values_exactly() {
        let (rows, out) = decode(INPUT.as_bytes(), OnError::Fail, &[0, 1, 2, 3, 4, 5, 6], 0).unwrap();
        let n = Datum::Null;
        assert_eq!(
            rows,
            vec![
                vec![
                    Datum::Int(1),
                    Datum::Str("a\"bé".into()),
                    Datum::Decimal(12345678901234567890125),
                    Datum::Double(0.5),
                    Datum::Bool(true),
                    Datum::Timestamp(1735689600017),
                    Datum::Int(7)
                ],
                vec![
                    Datum::Int(2),
                    Datum::Str("plain".into()),
                    Datum::Decimal(100),
                    n.clone(),
                    n.clone(),
                    Datum::Timestamp(1735689600017),
                    n.clone()
                ],
                vec![Datum::Int(3), n.clone(), Datum::Decimal(1), Datum::Double(-2.0), Datum::Bool(false), n.clone(), Datum::Int(-8)],
            ]
        );
        assert_eq!(out.rows, 3);
        for size in 1..=50 {
            let (cut, _) = decode(INPUT.as_bytes(), OnError::Fail, &[2, 0], size).unwrap();
            assert_eq!(cut, rows.iter().map(|r| vec![r[2].clone(), r[0].clone()]).collect::<Vec<_>>(), "chunk size {size}");
        }
    }

    #[test]
    fn bad_records() {
        let input =
            "{\"id\": 1}\n{\"id\": \"12x\"}\n{\"id\": 2,}\n[1]\n{\"id\": true}\n{\"small\": 3000000000}\n{\"id\": 3} x\n{\"id\": 4}\n";
        let e = decode(input.as_bytes(), OnError::Fail, &[0], 0).err().unwrap();
        assert_eq!(e.to_string(), "data/events.jsonl:2: column `id`: cannot parse \"12x\" as BIGINT");
        for size in [1u64, 10, 1 << 20] {
            let (rows, out) = decode(input.as_bytes(), OnError::Skip, &[0, 6], size).unwrap();
            assert_eq!(rows, vec![vec![Datum::Int(1), Datum::Null], vec![Datum::Int(4), Datum::Null]]);
            assert_eq!(out.rejected, 6);
            let got: Vec<_> = out.rejects.iter().map(|r| (r.line, r.message.as_str())).collect();
            assert_eq!(
                got,
                vec![
                    (2, "column `id`: cannot parse \"12x\" as BIGINT"),
                    (3, "invalid JSON: trailing comma at column 10"),
                    (4, "invalid JSON: invalid type: sequence, expected a JSON object at column 1"),
                    (5, "column `id`: cannot parse \"true\" as BIGINT"),
                    (6, "column `small`: cannot parse \"3000000000\" as INT"),
                    (7, "invalid JSON: trailing characters at column 11"),
                ]
            );
            assert_eq!(out.rejects[0].text, b"{\"id\": \"12x\"}");
        }
    }
}
