//! Debezium change events read from a file, one event per line: each line is a change of the
//! table (`c`/`r` insert, `u` update, `d` delete), laid out and decoded as a Kafka topic of them
//! is ([`MessageBuffer`]), so both sources agree on what an event means and which are bad.

use crate::chunks::{ChunkReader, LineCounter};
use crate::decode::{DecodeOutput, Decoder, RecordDecoder, Reject};
use crate::error::SourceError;
use crate::json::JsonLinesDecoder;
use crate::kafka::MessageBuffer;
use crate::spec::{FileSource, Format, OnError};
use std::fs::File;
use std::ops::Range;
use std::path::PathBuf;
use vstream_repr::Schema;

/// Decodes a file of Debezium change events into batches whose rows carry their kinds.
#[derive(Debug)]
pub struct DebeziumFileDecoder {
    path: PathBuf,
    on_error: OnError,
    /// Decodes the `before`/`after` objects, as a JSON lines source of the table would.
    rows: Box<RecordDecoder>,
    reader: ChunkReader,
    lines: LineCounter,
    buffer: MessageBuffer,
}

impl DebeziumFileDecoder {
    /// A decoder of `source` for a table of `schema`, producing the columns `projection` names.
    pub fn new(source: &FileSource, schema: &Schema, projection: &[usize]) -> Self {
        DebeziumFileDecoder {
            path: source.path.clone(),
            on_error: source.on_error,
            rows: Box::new(RecordDecoder::Json(JsonLinesDecoder::new(source, schema, projection))),
            reader: ChunkReader::new(),
            lines: LineCounter::new(),
            buffer: MessageBuffer::new(&Format::DebeziumJson),
        }
    }
}

impl Decoder for DebeziumFileDecoder {
    fn decode_chunk(&mut self, file: &File, range: Range<u64>, out: &mut DecodeOutput) -> Result<(), SourceError> {
        let chunk = self.reader.read(file, range).map_err(|e| SourceError::io(&self.path, e))?;
        out.bytes += chunk.bytes.len() as u64;
        // Each event's "offset" is the file offset of its line; a reject's line number is
        // counted from it only when there is one.
        let mut start = 0;
        while start < chunk.bytes.len() {
            let end = memchr::memchr(b'\n', &chunk.bytes[start..]).map_or(chunk.bytes.len(), |i| start + i);
            self.buffer.push(Some(&chunk.bytes[start..end]), (chunk.offset + start as u64) as i64, None);
            start = end + 1;
        }
        // With metadata, each row's "offset": its event's line, which names it when an
        // expression fails on it.
        let decoded = self.buffer.decode(&mut self.rows, true);
        for r in decoded.rejects {
            let line = self.lines.line_at_in(file, r.offset as u64, &chunk).map_err(|e| SourceError::io(&self.path, e))?;
            let reject = Reject { line, message: r.message, text: r.text };
            if self.on_error == OnError::Fail {
                return Err(reject.to_error(&self.path));
            }
            out.rejected += 1;
            out.rejects.push(reject);
        }
        if let Some(batch) = decoded.batch {
            out.rows += batch.len as u64;
            out.batches.push(batch);
            out.row_offsets.push(decoded.row_offsets.iter().map(|o| *o as u64).collect());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunks::tests::TempFile;
    use vstream_repr::{DataType, Field, RowKind};

    fn source(on_error: OnError) -> FileSource {
        FileSource { path: "events.jsonl".into(), format: Format::DebeziumJson, on_error, rejects: None }
    }

    fn schema() -> Schema {
        Schema::new(vec![Field::new("id", DataType::BigInt), Field::new("v", DataType::Varchar)])
    }

    const EVENTS: &[u8] = b"{\"after\": {\"id\": 1, \"v\": \"a\"}, \"op\": \"c\"}\n\n\
{\"before\": {\"id\": 1, \"v\": \"a\"}, \"after\": {\"id\": 1, \"v\": \"b\"}, \"op\": \"u\"}\n\
{\"before\": {\"id\": 1}, \"op\": \"x\"}\n\
{\"before\": {\"id\": 1, \"v\": \"b\"}, \"op\": \"d\"}\n";

    #[test]
    fn events_become_rows_with_their_kinds_and_bad_ones_name_their_line() {
        let file = TempFile::new(EVENTS);
        let mut d = DebeziumFileDecoder::new(&source(OnError::Skip), &schema(), &[0, 1]);
        let mut out = DecodeOutput::new();
        d.decode_chunk(&file.open(), 0..EVENTS.len() as u64, &mut out).unwrap();
        let batch = &out.batches[0];
        let kinds: Vec<RowKind> = (0..batch.len).map(|i| batch.kind(i)).collect();
        assert_eq!(kinds, vec![RowKind::Insert, RowKind::UpdateBefore, RowKind::UpdateAfter, RowKind::Delete]);
        assert_eq!(out.rows, 4);
        assert_eq!(out.rejected, 1);
        assert_eq!(out.rejects[0].line, 4);
        assert!(out.rejects[0].message.contains("unknown op 'x'"), "{}", out.rejects[0].message);
    }

    #[test]
    fn a_bad_event_fails_the_read_with_its_line_by_default() {
        let file = TempFile::new(EVENTS);
        let mut d = DebeziumFileDecoder::new(&source(OnError::Fail), &schema(), &[0, 1]);
        let err = d.decode_chunk(&file.open(), 0..EVENTS.len() as u64, &mut DecodeOutput::new()).unwrap_err();
        assert!(err.to_string().starts_with("events.jsonl:4: Debezium event with unknown op 'x'"), "{err}");
    }
}
