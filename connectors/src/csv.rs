//! CSV decoding into column batches, chunk by chunk, with projection pushdown.
//!
//! A chunk with no quote character in it (the common case, checked once per chunk with memchr)
//! takes the fast path: one pass over the chunk finds every delimiter and `'\n'` (64 bytes at a
//! time, SSE2 bitmasks), counts the fields
//! of each line and notes where the projected ones are; at the end of a line they are parsed
//! straight into typed column vectors. Unprojected fields are never looked at again, nothing is
//! allocated per row. A chunk with quotes goes line by line, and lines with quotes in them are
//! split by `csv-core` (quoted fields, `""` escapes, delimiters inside quotes).
//!
//! Records are lines: a quoted field cannot span lines (chunks are cut at line starts, so a
//! newline inside quotes could not be told from a record end); such a line is a bad record.
//! `\r\n` endings, a last line without `\n` and blank lines (skipped) are fine. An empty field is
//! NULL for every type (as in DuckDB), as is `null_literal`; a quoted empty field is the empty
//! string in a VARCHAR column.

use crate::chunks::{ChunkReader, LineCounter, OwnedLines};
use crate::decode::{BadRecords, ColBuilder, DecodeOutput, Decoder, NO_SLOT, Place, Projection, SizeHint, parse_message};
use crate::error::SourceError;
use crate::scan::Matches2;
use crate::spec::{FileSource, Format, OnError};
use std::fs::File;
use std::ops::Range;
use std::path::PathBuf;
use vstream_repr::Schema;

/// Decodes the CSV chunks of one source for one worker; see the module docs.
#[derive(Debug)]
pub struct CsvDecoder {
    path: PathBuf,
    on_error: OnError,
    header: bool,
    delimiter: u8,
    quote: u8,
    null_literal: Option<Vec<u8>>,
    nfields: usize,
    proj: Projection,
    reader: ChunkReader,
    lines: LineCounter,
    hint: SizeHint,
    /// Per slot, where its field is in the current line (in the chunk or in `unescaped`).
    spans: Vec<(usize, usize)>,
    /// Per slot, whether its field was quoted (quoted path only).
    quoted: Vec<bool>,
    splitter: QuotedSplitter,
}

impl CsvDecoder {
    /// A decoder of `source` (which must have [`Format::Csv`]) for a table of `schema`, producing
    /// the columns `projection` names (indices into `schema`, in output order; repeats allowed).
    pub fn new(source: &FileSource, schema: &Schema, projection: &[usize]) -> Self {
        let Format::Csv(opts) = &source.format else {
            panic!("CsvDecoder::new: the source's format is {}, not csv", source.format.name());
        };
        let proj = Projection::new(schema, projection);
        let nslots = proj.slot_fields.len();
        CsvDecoder {
            path: source.path.clone(),
            on_error: source.on_error,
            header: opts.header,
            delimiter: opts.delimiter,
            quote: opts.quote,
            null_literal: opts.null_literal.as_ref().map(|s| s.as_bytes().to_vec()),
            nfields: schema.len(),
            proj,
            reader: ChunkReader::new(),
            lines: LineCounter::new(),
            hint: SizeHint::default(),
            spans: vec![(0, 0); nslots],
            quoted: vec![false; nslots],
            splitter: QuotedSplitter::new(opts.delimiter, opts.quote),
        }
    }

    /// Decodes the lines `range` owns and appends one batch of the projected columns (none if
    /// the chunk has no rows). See [`Decoder::decode_chunk`].
    pub fn decode_chunk(&mut self, file: &File, range: Range<u64>, out: &mut DecodeOutput) -> Result<(), SourceError> {
        let CsvDecoder {
            path,
            on_error,
            header,
            delimiter,
            quote,
            null_literal,
            nfields,
            proj,
            reader,
            lines,
            hint,
            spans,
            quoted,
            splitter,
        } = self;
        let chunk = reader.read(file, range).map_err(|e| SourceError::io(&*path, e))?;
        let from = if *header && chunk.offset == 0 { memchr::memchr(b'\n', chunk.bytes).map_or(chunk.bytes.len(), |i| i + 1) } else { 0 };
        let bad = BadRecords { path, on_error: *on_error, place: Place::File { file, lines } };
        let parts = Parts { delimiter: *delimiter, quote: *quote, null_literal, nfields: *nfields, proj, hint, spans, quoted, splitter };
        parts.decode(&chunk, from, bad, out)
    }

    /// See [`crate::RecordDecoder::decode_records`].
    pub fn decode_records(&mut self, bytes: &[u8], starts: &[usize], out: &mut DecodeOutput) {
        let CsvDecoder { path, delimiter, quote, null_literal, nfields, proj, hint, spans, quoted, splitter, .. } = self;
        let chunk = OwnedLines { offset: 0, bytes };
        let bad = BadRecords { path, on_error: OnError::Skip, place: Place::Records { starts } };
        let parts = Parts { delimiter: *delimiter, quote: *quote, null_literal, nfields: *nfields, proj, hint, spans, quoted, splitter };
        // Under `OnError::Skip` a bad record is a reject, never an error.
        let _ = parts.decode(&chunk, 0, bad, out);
    }
}

/// The decoder's parts that decoding lines needs, borrowed apart from its reader.
struct Parts<'a> {
    delimiter: u8,
    quote: u8,
    null_literal: &'a Option<Vec<u8>>,
    nfields: usize,
    proj: &'a Projection,
    hint: &'a mut SizeHint,
    spans: &'a mut Vec<(usize, usize)>,
    quoted: &'a mut Vec<bool>,
    splitter: &'a mut QuotedSplitter,
}

impl Parts<'_> {
    /// Decodes the lines of `chunk` from byte `from` into one batch.
    fn decode(self, chunk: &OwnedLines<'_>, from: usize, bad: BadRecords<'_>, out: &mut DecodeOutput) -> Result<(), SourceError> {
        let Parts { delimiter, quote, null_literal, nfields, proj, hint, spans, quoted, splitter } = self;
        out.bytes += chunk.bytes.len() as u64;
        if chunk.bytes.is_empty() {
            return Ok(());
        }
        let mut builders = proj.builders(hint, chunk.bytes.len());
        // One UTF-8 check of the chunk instead of one per string field (a chunk that fails it is
        // checked field by field, so the bad record is still found and named).
        if builders.iter().any(ColBuilder::is_str) && simdutf8::basic::from_utf8(&chunk.bytes[from..]).is_ok() {
            builders.iter_mut().for_each(|b| b.utf8_checked = true);
        }
        let starts = Vec::with_capacity(hint.rows_for(chunk.bytes.len()));
        let mut ctx = Ctx { delimiter, quote, null_literal: null_literal.as_deref(), nfields, proj, spans, quoted, bad, starts };
        let rows = if memchr::memchr(quote, &chunk.bytes[from..]).is_none() {
            ctx.decode_plain(chunk, from, &mut builders, out)?
        } else {
            ctx.decode_quoted(chunk, from, &mut builders, splitter, out)?
        };
        if rows > 0 {
            out.rows += rows as u64;
            out.batches.push(proj.finish(builders, rows, hint, chunk.bytes.len()));
            out.row_offsets.push(ctx.starts);
        }
        Ok(())
    }
}

impl Decoder for CsvDecoder {
    fn decode_chunk(&mut self, file: &File, range: Range<u64>, out: &mut DecodeOutput) -> Result<(), SourceError> {
        CsvDecoder::decode_chunk(self, file, range, out)
    }
}

/// Splits lines with quotes with `csv-core`: quoted fields, `""` escapes, delimiters in quotes.
#[derive(Debug)]
struct QuotedSplitter {
    csv: csv_core::Reader,
    /// The unescaped fields of the current line, back to back.
    unescaped: Vec<u8>,
    /// Where each field ends in `unescaped`.
    ends: Vec<usize>,
    /// Where each field starts in the raw line (computed only when needed).
    raw_starts: Vec<usize>,
}

impl QuotedSplitter {
    fn new(delimiter: u8, quote: u8) -> Self {
        let csv = csv_core::ReaderBuilder::new()
            .delimiter(delimiter)
            .quote(quote)
            .double_quote(true)
            .escape(None)
            .comment(None)
            .terminator(csv_core::Terminator::Any(b'\n'))
            .build();
        QuotedSplitter { csv, unescaped: Vec::new(), ends: vec![0; 16], raw_starts: Vec::new() }
    }

    /// Splits `line` (no terminator in it); the number of fields.
    fn split(&mut self, line: &[u8], quote: u8) -> Result<usize, String> {
        use csv_core::ReadRecordResult;
        // Records are lines: a line whose quotes do not pair up has a quoted field that goes on
        // past its end.
        if memchr::memchr_iter(quote, line).count() % 2 == 1 {
            return Err("unterminated quoted field (a quoted field cannot span lines)".to_string());
        }
        self.csv.reset();
        // Unescaping never lengthens a field.
        if self.unescaped.len() < line.len() + 1 {
            self.unescaped.resize(line.len() + 1, 0);
        }
        let (mut nin, mut nout, mut nend) = (0, 0, 0);
        loop {
            let (res, i, o, e) = self.csv.read_record(&line[nin..], &mut self.unescaped[nout..], &mut self.ends[nend..]);
            nin += i;
            nout += o;
            nend += e;
            match res {
                // Next: an empty input, which tells the reader that the line is over.
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let n = self.unescaped.len() * 2;
                    self.unescaped.resize(n, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                ReadRecordResult::Record | ReadRecordResult::End => return Ok(nend),
            }
        }
    }

    /// Where field `f` of the last line split is in `unescaped`.
    #[inline]
    fn field(&self, f: usize) -> (usize, usize) {
        (if f == 0 { 0 } else { self.ends[f - 1] }, self.ends[f])
    }

    /// Notes where each field of `line` starts (its quotes paired up).
    fn scan_raw(&mut self, line: &[u8], delimiter: u8, quote: u8) {
        self.raw_starts.clear();
        self.raw_starts.push(0);
        let mut in_quotes = false;
        for (i, &b) in line.iter().enumerate() {
            if b == quote {
                in_quotes = !in_quotes;
            } else if b == delimiter && !in_quotes {
                self.raw_starts.push(i + 1);
            }
        }
    }
}

struct Ctx<'a> {
    delimiter: u8,
    quote: u8,
    null_literal: Option<&'a [u8]>,
    nfields: usize,
    proj: &'a Projection,
    spans: &'a mut [(usize, usize)],
    quoted: &'a mut [bool],
    bad: BadRecords<'a>,
    /// Per row made: the offset of its line (in the file, or in the buffer of records).
    starts: Vec<u64>,
}

/// Why a line did not make a row.
enum LineError {
    /// The number of fields found.
    FieldCount(usize),
    /// The slot whose field did not parse.
    Parse(usize),
}

impl Ctx<'_> {
    /// The chunk has no quote character: every delimiter separates fields.
    fn decode_plain(
        &mut self,
        chunk: &OwnedLines<'_>,
        from: usize,
        builders: &mut [ColBuilder],
        out: &mut DecodeOutput,
    ) -> Result<usize, SourceError> {
        let bytes = chunk.bytes;
        let slot_of = &self.proj.slot_of[..];
        let mut rows = 0usize;
        let mut line_start = from;
        let mut field_start = from;
        let mut f = 0usize;
        let d = self.delimiter;
        for pos in Matches2::new(&bytes[from..], d, b'\n') {
            let pos = pos + from;
            if bytes[pos] == d {
                if let Some(&s) = slot_of.get(f)
                    && s != NO_SLOT
                {
                    self.spans[s as usize] = (field_start, pos);
                }
                f += 1;
                field_start = pos + 1;
                continue;
            }
            self.plain_line(chunk, line_start, pos, field_start, f, builders, &mut rows, out)?;
            line_start = pos + 1;
            field_start = pos + 1;
            f = 0;
        }
        if line_start < bytes.len() {
            self.plain_line(chunk, line_start, bytes.len(), field_start, f, builders, &mut rows, out)?;
        }
        Ok(rows)
    }

    /// Ends the line `[start, end)` (`end` at its `'\n'` or the chunk's end) whose last field
    /// starts at `field_start`, after `f` delimiters.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn plain_line(
        &mut self,
        chunk: &OwnedLines<'_>,
        start: usize,
        end: usize,
        field_start: usize,
        f: usize,
        builders: &mut [ColBuilder],
        rows: &mut usize,
        out: &mut DecodeOutput,
    ) -> Result<(), SourceError> {
        let bytes = chunk.bytes;
        let mut stop = end;
        if stop > start && bytes[stop - 1] == b'\r' {
            stop -= 1;
        }
        if stop == start {
            return Ok(()); // a blank line
        }
        if let Some(&s) = self.proj.slot_of.get(f)
            && s != NO_SLOT
        {
            self.spans[s as usize] = (field_start, stop.max(field_start));
        }
        let result = if f + 1 != self.nfields {
            Err(LineError::FieldCount(f + 1))
        } else {
            commit(builders, self.spans, &[], bytes, self.null_literal)
        };
        match result {
            Ok(()) => {
                *rows += 1;
                self.starts.push(chunk.offset + start as u64);
                Ok(())
            }
            Err(e) => self.reject(chunk, start..end, e, bytes, builders, *rows, out),
        }
    }

    /// The chunk has quotes somewhere: line by line, `csv-core` for lines with quotes.
    fn decode_quoted(
        &mut self,
        chunk: &OwnedLines<'_>,
        from: usize,
        builders: &mut [ColBuilder],
        splitter: &mut QuotedSplitter,
        out: &mut DecodeOutput,
    ) -> Result<usize, SourceError> {
        let bytes = chunk.bytes;
        let mut rows = 0usize;
        let mut start = from;
        while start < bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            let next = end + 1;
            let mut stop = end;
            if stop > start && bytes[stop - 1] == b'\r' {
                stop -= 1;
            }
            if stop == start {
                start = next;
                continue;
            }
            let line = &bytes[start..stop];
            let (src, result): (&[u8], Result<usize, String>) = if memchr::memchr(self.quote, line).is_none() {
                self.quoted.iter_mut().for_each(|q| *q = false);
                let mut f = 0;
                let mut field_start = start;
                for p in memchr::memchr_iter(self.delimiter, line) {
                    self.note(f, field_start, start + p, false);
                    f += 1;
                    field_start = start + p + 1;
                }
                self.note(f, field_start, stop, false);
                (bytes, Ok(f + 1))
            } else {
                let r = self.split_quoted(splitter, line);
                (&splitter.unescaped[..], r)
            };
            let result = match result {
                Ok(n) if n != self.nfields => Err(LineError::FieldCount(n)),
                Ok(_) => commit(builders, self.spans, self.quoted, src, self.null_literal),
                Err(message) => {
                    self.bad.bad(chunk, start..end, message, out)?;
                    start = next;
                    continue;
                }
            };
            match result {
                Ok(()) => {
                    rows += 1;
                    self.starts.push(chunk.offset + start as u64);
                }
                Err(e) => self.reject(chunk, start..end, e, src, builders, rows, out)?,
            }
            start = next;
        }
        Ok(rows)
    }

    #[inline]
    fn note(&mut self, f: usize, start: usize, end: usize, quoted: bool) {
        if let Some(&s) = self.proj.slot_of.get(f)
            && s != NO_SLOT
        {
            self.spans[s as usize] = (start, end);
            self.quoted[s as usize] = quoted;
        }
    }

    /// Splits a line with quotes, noting the projected fields (in `splitter.unescaped`); the
    /// number of fields, or why the line is bad.
    fn split_quoted(&mut self, splitter: &mut QuotedSplitter, line: &[u8]) -> Result<usize, String> {
        let n = splitter.split(line, self.quote)?;
        let mut raw_scanned = false;
        for f in 0..n.min(self.proj.slot_of.len()) {
            if self.proj.slot_of[f] == NO_SLOT {
                continue;
            }
            let (s, e) = splitter.field(f);
            // Whether the field was quoted only matters when it is empty ("" vs NULL).
            let quoted = s == e && {
                if !raw_scanned {
                    splitter.scan_raw(line, self.delimiter, self.quote);
                    raw_scanned = true;
                }
                splitter.raw_starts.get(f).is_some_and(|&r| line.get(r) == Some(&self.quote))
            };
            self.note(f, s, e, quoted);
        }
        Ok(n)
    }

    /// A line that did not make a row: undo what it added, and report it.
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn reject(
        &mut self,
        chunk: &OwnedLines<'_>,
        line: Range<usize>,
        e: LineError,
        src: &[u8],
        builders: &mut [ColBuilder],
        rows: usize,
        out: &mut DecodeOutput,
    ) -> Result<(), SourceError> {
        builders.iter_mut().for_each(|b| b.truncate(rows));
        let message = match e {
            LineError::FieldCount(n) => format!("expected {} fields, found {n}", self.nfields),
            LineError::Parse(slot) => {
                let (s, e) = self.spans[slot];
                let field = self.proj.slot_fields[slot];
                parse_message(self.proj.slot_name(slot), self.proj.types[field], &src[s..e])
            }
        };
        self.bad.bad(chunk, line, message, out)
    }
}

/// Appends the projected fields of one line (at `spans` in `src`) to the builders.
#[inline(always)]
fn commit(
    builders: &mut [ColBuilder],
    spans: &[(usize, usize)],
    quoted: &[bool],
    src: &[u8],
    null_literal: Option<&[u8]>,
) -> Result<(), LineError> {
    for (slot, (b, &(s, e))) in builders.iter_mut().zip(spans).enumerate() {
        let text = &src[s..e];
        let ok = if text.is_empty() {
            if quoted.get(slot).copied().unwrap_or(false) && b.is_str() {
                b.push_str(b"")
            } else {
                b.push_null();
                true
            }
        } else if null_literal.is_some_and(|n| n == text) {
            b.push_null();
            true
        } else {
            b.push_text(text)
        };
        if !ok {
            return Err(LineError::Parse(slot));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunks::plan_chunks;
    use crate::chunks::tests::TempFile;
    use crate::spec::CsvOptions;
    use vstream_repr::{Batch, DataType, Datum, Field};

    fn bid_schema() -> Schema {
        Schema::new(vec![
            Field::new("auction", DataType::BigInt),
            Field::new("bidder", DataType::BigInt),
            Field::new("price", DataType::BigInt),
            Field::new("channel", DataType::Varchar),
            Field::new("url", DataType::Varchar),
            Field::new("date_time", DataType::TIMESTAMP),
            Field::new("extra", DataType::Varchar),
        ])
    }

    fn source(opts: CsvOptions, on_error: OnError) -> FileSource {
        FileSource { path: "data/bids.csv".into(), format: Format::Csv(opts), on_error, rejects: None }
    }

    fn header() -> CsvOptions {
        CsvOptions { header: true, ..CsvOptions::default() }
    }

    /// Rows of all batches, as datums.
    fn rows(batches: &[Batch]) -> Vec<Vec<Datum>> {
        let mut out = Vec::new();
        for b in batches {
            assert!(b.columns.iter().all(|c| c.len() == b.len));
            for i in 0..b.len {
                out.push(b.columns.iter().map(|c| c.datum(i)).collect());
            }
        }
        out
    }

    struct Decoded {
        rows: Vec<Vec<Datum>>,
        out: DecodeOutput,
    }

    fn decode(input: &[u8], src: &FileSource, schema: &Schema, projection: &[usize], chunk: u64) -> Result<Decoded, SourceError> {
        let tf = TempFile::new(input);
        let file = tf.open();
        let mut d = CsvDecoder::new(src, schema, projection);
        let mut out = DecodeOutput::new();
        for r in plan_chunks(input.len() as u64, chunk) {
            d.decode_chunk(&file, r, &mut out)?;
        }
        assert_eq!(out.bytes, input.len() as u64);
        let rows = rows(&out.batches);
        assert_eq!(out.rows, rows.len() as u64);
        Ok(Decoded { rows, out })
    }

    fn int(v: i64) -> Datum {
        Datum::Int(v)
    }
    fn s(v: &str) -> Datum {
        Datum::Str(v.to_string())
    }

    const BIDS: &str = "auction,bidder,price,channel,url,date_time,extra\n\
        1007,1009,371,Apple,https://nexmark.com/c/4721,2025-01-01 00:00:00.017,8f1c2a3b\n\
        1000,1001,33171,Other,https://nexmark.com/c/725,2025-01-01 00:00:00.193,d436c33a\n\
        1004,1001,67799,Apple,https://nexmark.com/c/2544,2025-01-01 00:00:00.091,5216f96b\n";

    #[test]
    fn decodes_bids_all_columns() {
        let d = decode(BIDS.as_bytes(), &source(header(), OnError::Fail), &bid_schema(), &[0, 1, 2, 3, 4, 5, 6], 0).unwrap();
        assert_eq!(d.rows.len(), 3);
        assert_eq!(
            d.rows[0],
            vec![
                int(1007),
                int(1009),
                int(371),
                s("Apple"),
                s("https://nexmark.com/c/4721"),
                Datum::Timestamp(1735689600017),
                s("8f1c2a3b")
            ]
        );
        assert_eq!(d.out.batches.len(), 1);
        assert_eq!(d.out.batches[0].columns[5].ty, DataType::TIMESTAMP);
    }

    #[test]
    fn projection_in_requested_order() {
        let d = decode(BIDS.as_bytes(), &source(header(), OnError::Fail), &bid_schema(), &[2, 0], 0).unwrap();
        assert_eq!(d.rows, vec![vec![int(371), int(1007)], vec![int(33171), int(1000)], vec![int(67799), int(1004)]]);
        let b = &d.out.batches[0];
        assert_eq!(b.columns.len(), 2);
        // Repeats and the empty projection (COUNT(*)).
        let d = decode(BIDS.as_bytes(), &source(header(), OnError::Fail), &bid_schema(), &[3, 2, 3], 0).unwrap();
        assert_eq!(d.rows[1], vec![s("Other"), int(33171), s("Other")]);
        let d = decode(BIDS.as_bytes(), &source(header(), OnError::Fail), &bid_schema(), &[], 0).unwrap();
        assert_eq!(d.out.rows, 3);
        assert_eq!(d.out.batches[0].len, 3);
        assert!(d.out.batches[0].columns.is_empty());
    }

    fn mixed_schema() -> Schema {
        Schema::new(vec![
            Field::new("i", DataType::Int),
            Field::new("s", DataType::Varchar),
            Field::new("d", DataType::Decimal { precision: 10, scale: 2 }),
            Field::new("f", DataType::Double),
            Field::new("b", DataType::Boolean),
            Field::new("t", DataType::TIMESTAMP),
        ])
    }

    #[test]
    fn nulls_and_types() {
        let opts = CsvOptions { null_literal: Some("NA".into()), ..CsvOptions::default() };
        let input = b"1,x,1.25,0.5,true,2025-01-01 00:00:00\n,,,,,\nNA,NA,NA,NA,NA,NA\n -3 ,  , 7 ,1e3,N,2025-01-01\n";
        let d = decode(input, &source(opts, OnError::Fail), &mixed_schema(), &[0, 1, 2, 3, 4, 5], 0).unwrap();
        let n = Datum::Null;
        assert_eq!(
            d.rows,
            vec![
                vec![int(1), s("x"), Datum::Decimal(125), Datum::Double(0.5), Datum::Bool(true), Datum::Timestamp(1735689600000)],
                vec![n.clone(), n.clone(), n.clone(), n.clone(), n.clone(), n.clone()],
                vec![n.clone(), n.clone(), n.clone(), n.clone(), n.clone(), n.clone()],
                vec![int(-3), s("  "), Datum::Decimal(700), Datum::Double(1000.0), Datum::Bool(false), Datum::Timestamp(1735689600000)],
            ]
        );
    }

    #[test]
    fn quoted_fields() {
        let input = b"1,\"a,b\",1.5,0,t,\n2,\"say \"\"hi\"\"\",2,0,t,\n3,\"\",\"3.5\",0,t,\n4,plain,4,0,t,\n5,\"multi\r\n";
        let schema = mixed_schema();
        let d = decode(input, &source(CsvOptions::default(), OnError::Skip), &schema, &[0, 1, 2], 0).unwrap();
        assert_eq!(
            d.rows,
            vec![
                vec![int(1), s("a,b"), Datum::Decimal(150)],
                vec![int(2), s("say \"hi\""), Datum::Decimal(200)],
                vec![int(3), s(""), Datum::Decimal(350)],
                vec![int(4), s("plain"), Datum::Decimal(400)],
            ]
        );
        assert_eq!(d.out.rejected, 1);
        let r = &d.out.rejects[0];
        assert_eq!(r.line, 5);
        assert_eq!(r.text, b"5,\"multi\r");
        assert_eq!(r.message, "unterminated quoted field (a quoted field cannot span lines)");
        // Quoted empty: the empty string in VARCHAR, NULL elsewhere; a delimiter inside quotes
        // in an unprojected field does not add a field.
        let input = b"\"\",\"\",\"\",\"a,b\",t,\"\"\r\n\"7\",,1,2,f,\"2025-01-01\"\n";
        let d = decode(input, &source(CsvOptions::default(), OnError::Fail), &schema, &[1, 0, 2, 5], 0).unwrap();
        let n = Datum::Null;
        assert_eq!(
            d.rows,
            vec![
                vec![s(""), n.clone(), n.clone(), n.clone()],
                vec![n.clone(), int(7), Datum::Decimal(100), Datum::Timestamp(1735689600000)]
            ]
        );
        // Another quote character and delimiter.
        let opts = CsvOptions { delimiter: b';', quote: b'\'', ..CsvOptions::default() };
        let d = decode(b"1;'x;y''z';1;0;f;\n", &source(opts, OnError::Fail), &schema, &[1], 0).unwrap();
        assert_eq!(d.rows, vec![vec![s("x;y'z")]]);
    }

    /// Inputs whose decoding must not depend on how they are cut into chunks.
    fn chunk_inputs() -> Vec<(Vec<u8>, CsvOptions)> {
        let mut v = vec![
            (BIDS.as_bytes().to_vec(), header()),
            (BIDS.trim_end().as_bytes().to_vec(), header()),
            (BIDS.replace('\n', "\r\n").into_bytes(), header()),
            (BIDS.replace('\n', "\n\n").into_bytes(), header()),
            (BIDS.lines().skip(1).collect::<Vec<_>>().join("\n").into_bytes(), CsvOptions::default()),
        ];
        // Quotes in some lines only, so some chunks take the fast path and some do not.
        let quoted = "auction,bidder,price,channel,url,date_time,extra\n\
            1,2,3,\"Ap,ple\",u,2025-01-01 00:00:00.017,x\n\
            4,5,6,b,u,2025-01-01 00:00:00.018,\n\
            7,8,9,\"say \"\"hi\"\"\",\"\",2025-01-01 00:00:00.019,y\r\n\
            10,11,12,c,u,2025-01-01 00:00:00.020,z";
        v.push((quoted.as_bytes().to_vec(), header()));
        v
    }

    #[test]
    fn chunking_does_not_change_rows() {
        let schema = bid_schema();
        for (input, opts) in chunk_inputs() {
            for projection in [vec![0, 1, 2, 3, 4, 5, 6], vec![0, 2], vec![6, 3]] {
                let src = source(opts.clone(), OnError::Fail);
                let whole = decode(&input, &src, &schema, &projection, 1 << 20).unwrap();
                assert!(whole.rows.len() >= 3);
                for size in 1..=50 {
                    let cut = decode(&input, &src, &schema, &projection, size).unwrap();
                    assert_eq!(cut.rows, whole.rows, "chunk size {size}, input {:?}", String::from_utf8_lossy(&input));
                }
            }
        }
    }

    const BAD: &str = "auction,bidder,price,channel,url,date_time,extra\n\
        1,2,3,a,u,2025-01-01 00:00:00.017,x\n\
        1,2,3,a,u,2025-01-01 00:00:00.017\n\
        \n\
        1,2,12x,a,u,2025-01-01 00:00:00.017,x\n\
        4,5,6,a,u,2025-01-01 00:00:00.017,x\n\
        4,5,6,a,u,2025-13-01 00:00:00.017,x\n\
        7,8,9,a,u,2025-01-01 00:00:00.017,x,extra\n\
        10,11,12,a,u,2025-01-01 00:00:00.017,x\n";

    #[test]
    fn bad_records_fail_with_file_line_and_reason() {
        let schema = bid_schema();
        let src = source(header(), OnError::Fail);
        for size in [1u64, 7, 13, 64, 1 << 20] {
            let e = decode(BAD.as_bytes(), &src, &schema, &[0, 2], size).err().unwrap();
            assert_eq!(e.to_string(), "data/bids.csv:3: expected 7 fields, found 6", "size {size}");
        }
        // Without the short line, the price is the first problem; unprojected fields are not parsed.
        let input = BAD.replace("1,2,3,a,u,2025-01-01 00:00:00.017\n", "");
        for size in [1u64, 5, 50, 1 << 20] {
            let e = decode(input.as_bytes(), &src, &schema, &[0, 2], size).err().unwrap();
            assert_eq!(e.to_string(), "data/bids.csv:4: column `price`: cannot parse \"12x\" as BIGINT");
        }
        let input = input.replace("12x", "12");
        let e = decode(input.as_bytes(), &src, &schema, &[5], 1 << 20).err().unwrap();
        assert_eq!(e.to_string(), "data/bids.csv:6: column `date_time`: cannot parse \"2025-13-01 00:00:00.017\" as TIMESTAMP(3)");
        let e = decode(input.as_bytes(), &src, &schema, &[0, 2], 1 << 20).err().unwrap();
        assert_eq!(e.to_string(), "data/bids.csv:7: expected 7 fields, found 8");
    }

    #[test]
    fn bad_records_skipped_and_counted() {
        let schema = bid_schema();
        let src = source(header(), OnError::Skip);
        for size in [1u64, 3, 9, 40, 1 << 20] {
            let d = decode(BAD.as_bytes(), &src, &schema, &[0, 2, 5], size).unwrap();
            assert_eq!(d.rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>(), vec![int(1), int(4), int(10)], "size {size}");
            assert_eq!(d.out.rejected, 4);
            let got: Vec<_> = d.out.rejects.iter().map(|r| (r.line, r.message.as_str())).collect();
            assert_eq!(
                got,
                vec![
                    (3, "expected 7 fields, found 6"),
                    (5, "column `price`: cannot parse \"12x\" as BIGINT"),
                    (7, "column `date_time`: cannot parse \"2025-13-01 00:00:00.017\" as TIMESTAMP(3)"),
                    (8, "expected 7 fields, found 8"),
                ],
                "size {size}"
            );
            assert_eq!(d.out.rejects[1].text, b"1,2,12x,a,u,2025-01-01 00:00:00.017,x");
            assert_eq!(
                d.out.rejects[1].to_error(std::path::Path::new("data/bids.csv")).to_string(),
                "data/bids.csv:5: column `price`: cannot parse \"12x\" as BIGINT"
            );
        }
    }

    #[test]
    fn invalid_utf8_is_a_bad_record() {
        let schema = Schema::new(vec![Field::new("a", DataType::BigInt), Field::new("s", DataType::Varchar)]);
        let input = b"1,ok\n2,b\xffd\n3,\"q\xfe\"\n";
        let d = decode(input, &source(CsvOptions::default(), OnError::Skip), &schema, &[1], 0).unwrap();
        assert_eq!(d.rows, vec![vec![s("ok")]]);
        assert_eq!(d.out.rejects[0].message, "column `s`: invalid UTF-8 in \"b\\xffd\"");
        assert_eq!(d.out.rejects[1].line, 3);
        // Not projected: not looked at.
        let d = decode(input, &source(CsvOptions::default(), OnError::Fail), &schema, &[0], 0).unwrap();
        assert_eq!(d.rows.len(), 3);
    }

    #[test]
    fn int_range_and_missing_file_message() {
        let schema = Schema::new(vec![Field::new("n", DataType::Int)]);
        let e = decode(b"1\n3000000000\n", &source(CsvOptions::default(), OnError::Fail), &schema, &[0], 0).err().unwrap();
        assert_eq!(e.to_string(), "data/bids.csv:2: column `n`: cannot parse \"3000000000\" as INT");
        let e = crate::chunks::open_source(std::path::Path::new("data/no-such-file.csv")).err().unwrap();
        assert_eq!(e.to_string(), "cannot read data/no-such-file.csv: No such file or directory (os error 2)");
    }

    #[test]
    fn header_only_and_empty_files() {
        let schema = bid_schema();
        let d = decode(b"auction,bidder,price,channel,url,date_time,extra\n", &source(header(), OnError::Fail), &schema, &[0], 0).unwrap();
        assert!(d.rows.is_empty() && d.out.batches.is_empty());
        let d = decode(b"", &source(header(), OnError::Fail), &schema, &[0], 0).unwrap();
        assert!(d.rows.is_empty());
        // A header without a newline.
        let d = decode(b"a,b", &source(header(), OnError::Fail), &schema, &[0], 0).unwrap();
        assert!(d.rows.is_empty());
    }
}
