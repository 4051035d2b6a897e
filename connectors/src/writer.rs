//! Row encoders for sinks: batches to CSV or JSON lines text, appended to a caller's buffer
//! without allocating per row.

use crate::spec::{CsvOptions, Format};
use vstream_repr::column::write_i64;
use vstream_repr::{Batch, Column, ColumnData, DataType, Schema, decimal};

/// Encodes batches as the rows of a sink's format.
#[derive(Clone, Debug)]
pub enum RowEncoder {
    /// Fields separated by `delimiter`; a field is quoted (with `quote`, embedded quotes doubled)
    /// only when it holds the delimiter, the quote, `\r` or `\n`. NULL is the empty field.
    Csv {
        /// The sink's CSV options (delimiter, quote, whether to write a header).
        opts: CsvOptions,
        /// The column names, for the header line.
        names: Vec<String>,
        /// Whether values of non-VARCHAR columns can hold the delimiter or quote (e.g. a `-`
        /// or `:` delimiter), so they must be checked too.
        check_all: bool,
    },
    /// `{"before":row|null,"after":row|null,"op":"c"|"d"}` per line, rows as in `Json`.
    Debezium {
        /// Per column, `{"name":` or `,"name":`, escaped (as in `Json`).
        keys: Vec<Vec<u8>>,
    },
    /// `{"col":value,...}` per line.
    Json {
        /// Per column, `{"name":` or `,"name":`, escaped.
        keys: Vec<Vec<u8>>,
    },
}

impl RowEncoder {
    /// The encoder of `format` for rows of `schema` (its names become the CSV header or the JSON keys).
    pub fn new(format: &Format, schema: &Schema) -> Self {
        let names: Vec<String> = schema.fields.iter().map(|f| f.name.clone()).collect();
        match format {
            Format::Csv(opts) => {
                // The bytes that non-VARCHAR values are written with.
                let plain = |b: u8| b.is_ascii_alphanumeric() || b"-+.: ".contains(&b);
                let check_all = plain(opts.delimiter) || plain(opts.quote);
                RowEncoder::Csv { opts: opts.clone(), names, check_all }
            }
            Format::JsonLines => {
                let keys = names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        let mut k = vec![if i == 0 { b'{' } else { b',' }];
                        write_json_str(n.as_bytes(), &mut k);
                        k.push(b':');
                        k
                    })
                    .collect();
                RowEncoder::Json { keys }
            }
            Format::DebeziumJson => match RowEncoder::new(&Format::JsonLines, schema) {
                RowEncoder::Json { keys } => RowEncoder::Debezium { keys },
                other => other,
            },
        }
    }

    /// Whether the encoding carries each row's kind itself (Debezium's `op`), so the sink must
    /// not add an `op` column.
    pub fn writes_kinds(&self) -> bool {
        matches!(self, RowEncoder::Debezium { .. })
    }

    /// The CSV header line (column names), if the options ask for one; nothing for JSON.
    pub fn header(&self, out: &mut Vec<u8>) {
        if let RowEncoder::Csv { opts, names, .. } = self
            && opts.header
        {
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    out.push(opts.delimiter);
                }
                let start = out.len();
                out.extend_from_slice(n.as_bytes());
                quote_if_needed(out, start, opts.delimiter, opts.quote);
            }
            out.push(b'\n');
        }
    }

    /// Appends every row of `batch`, each ending with `\n`.
    pub fn encode(&self, batch: &Batch, out: &mut Vec<u8>) {
        self.encode_rows(batch, out, None)
    }

    /// As [`Self::encode`], and pushes where each row ends (after its `\n`) to `ends`: one
    /// message per row (Kafka), encoded in one pass over the batch.
    pub fn encode_each(&self, batch: &Batch, out: &mut Vec<u8>, ends: &mut Vec<usize>) {
        self.encode_rows(batch, out, Some(ends))
    }

    fn encode_rows(&self, batch: &Batch, out: &mut Vec<u8>, mut ends: Option<&mut Vec<usize>>) {
        let mut row_end = |out: &Vec<u8>| {
            if let Some(e) = ends.as_deref_mut() {
                e.push(out.len());
            }
        };
        match self {
            RowEncoder::Csv { opts, check_all, .. } => {
                // Text and nested values (JSON, with commas and quotes) may hold the delimiter or the quote.
                let check: Vec<bool> = batch
                    .columns
                    .iter()
                    .map(|c| *check_all || c.ty == DataType::Varchar || c.ty.layout() == vstream_repr::Layout::Nested)
                    .collect();
                for i in 0..batch.len {
                    for (c, col) in batch.columns.iter().enumerate() {
                        if c > 0 {
                            out.push(opts.delimiter);
                        }
                        let start = out.len();
                        col.write_text(i, out);
                        if check[c] {
                            if out.len() == start && col.ty == DataType::Varchar && col.is_valid(i) {
                                // An empty string is `""`, so it reads back as '' and not as NULL
                                // (an empty field), as DuckDB writes it.
                                out.extend_from_slice(&[opts.quote, opts.quote]);
                            } else {
                                quote_if_needed(out, start, opts.delimiter, opts.quote);
                            }
                        }
                    }
                    out.push(b'\n');
                    row_end(out);
                }
            }
            RowEncoder::Debezium { keys } => {
                for i in 0..batch.len {
                    if batch.kind(i).diff() > 0 {
                        out.extend_from_slice(b"{\"before\":null,\"after\":");
                        write_json_object(batch, i, keys, out);
                        out.extend_from_slice(b",\"op\":\"c\"}\n");
                        row_end(out);
                    } else {
                        out.extend_from_slice(b"{\"before\":");
                        write_json_object(batch, i, keys, out);
                        out.extend_from_slice(b",\"after\":null,\"op\":\"d\"}\n");
                        row_end(out);
                    }
                }
            }
            RowEncoder::Json { keys } => {
                for i in 0..batch.len {
                    write_json_object(batch, i, keys, out);
                    out.push(b'\n');
                    row_end(out);
                }
            }
        }
    }
}

/// Row `i` as a JSON object; `keys` are the prepared `{"name":` / `,"name":` prefixes.
fn write_json_object(batch: &Batch, i: usize, keys: &[Vec<u8>], out: &mut Vec<u8>) {
    for (col, key) in batch.columns.iter().zip(keys) {
        out.extend_from_slice(key);
        write_json_value(col, i, out);
    }
    if batch.columns.is_empty() {
        out.push(b'{');
    }
    out.push(b'}');
}

/// Quotes the field at `out[start..]` in place if it holds the delimiter, the quote, `\r` or `\n`.
#[inline]
fn quote_if_needed(out: &mut Vec<u8>, start: usize, delimiter: u8, quote: u8) {
    let field = &out[start..];
    if !field.iter().any(|&b| b == delimiter || b == quote || b == b'\n' || b == b'\r') {
        return;
    }
    let quotes = field.iter().filter(|&&b| b == quote).count();
    let len = field.len();
    out.resize(out.len() + quotes + 2, 0);
    // Move the field right, doubling quotes, from the back.
    let mut w = out.len() - 1;
    out[w] = quote;
    for r in (start..start + len).rev() {
        let b = out[r];
        w -= 1;
        out[w] = b;
        if b == quote {
            w -= 1;
            out[w] = quote;
        }
    }
    w -= 1;
    out[w] = quote;
    debug_assert_eq!(w, start);
}

fn write_json_value(col: &Column, i: usize, out: &mut Vec<u8>) {
    if !col.is_valid(i) {
        out.extend_from_slice(b"null");
        return;
    }
    match &col.data {
        ColumnData::Bool(v) => out.extend_from_slice(if v[i] { b"true" } else { b"false" }),
        ColumnData::Int(v) if col.ty.is_integer() => write_i64(v[i], out),
        ColumnData::Nested(v) => vstream_repr::column::write_json(&v[i], col.ty, out),
        ColumnData::Int(_) | ColumnData::Timestamp(_) => {
            // DATE, TIME, INTERVAL and TIMESTAMP(p) as strings of their text, as Flink's JSON format writes them.
            let mut text = Vec::new();
            col.write_text(i, &mut text);
            write_json_str(&text, out);
        }
        ColumnData::Str(v) if col.ty == DataType::Bytes => {
            let mut text = Vec::new();
            col.write_text(i, &mut text);
            write_json_str(&text, out);
        }
        // A FLOAT as the shortest text of its 32-bit value (0.1, not 0.10000000149011612).
        ColumnData::Double(v) if col.ty == DataType::Float && v[i].is_finite() => col.write_text(i, out),
        ColumnData::Double(v) => {
            if v[i].is_finite() {
                vstream_repr::column::write_f64(v[i], out)
            } else {
                out.extend_from_slice(b"null")
            }
        }
        ColumnData::Decimal(v) => {
            let scale = if let DataType::Decimal { scale, .. } = col.ty { scale } else { 0 };
            decimal::format_into(v[i], scale, out)
        }
        ColumnData::Str(v) => write_json_str(v.get_bytes(i), out),
    }
}

pub use vstream_repr::column::write_json_str;

#[cfg(test)]
mod tests {
    use super::*;
    use vstream_repr::{Field, StringColumn};

    fn batch() -> (Schema, Batch) {
        let schema = Schema::new(vec![
            Field::new("id", DataType::BigInt),
            Field::new("name", DataType::Varchar),
            Field::new("price", DataType::Decimal { precision: 10, scale: 3 }),
            Field::new("ts", DataType::TIMESTAMP),
            Field::new("x", DataType::Double),
            Field::new("ok", DataType::Boolean),
        ]);
        let names: StringColumn =
            ["plain", "a,b", "say \"hi\"", "line\nbreak", "tab\there\u{1}é", ""].iter().map(|s| s.to_string()).collect();
        let n = 6;
        let b = Batch::new(
            n,
            vec![
                Column::new(DataType::BigInt, ColumnData::Int(vec![1, -2, 3, 4, 5, 6]), Some(vec![true, true, true, true, true, false])),
                Column::new(DataType::Varchar, ColumnData::Str(names), Some(vec![true, true, true, true, true, false])),
                Column::new(DataType::Decimal { precision: 10, scale: 3 }, ColumnData::Decimal(vec![11209260, -5, 0, 1, 2, 3]), None),
                Column::new(DataType::TIMESTAMP, ColumnData::Timestamp(vec![1735689600123; 6]), None),
                Column::new(DataType::Double, ColumnData::Double(vec![0.5, f64::NAN, f64::INFINITY, 1e21, -0.0, 2.0]), None),
                Column::new(DataType::Boolean, ColumnData::Bool(vec![true, false, true, false, true, false]), None),
            ],
        );
        (schema, b)
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        let (schema, b) = batch();
        let enc = RowEncoder::new(&Format::Csv(CsvOptions { header: true, ..CsvOptions::default() }), &schema);
        let mut out = Vec::new();
        enc.header(&mut out);
        enc.encode(&b, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "id,name,price,ts,x,ok\n\
             1,plain,11209.260,2025-01-01 00:00:00.123,0.5,true\n\
             -2,\"a,b\",-0.005,2025-01-01 00:00:00.123,nan,false\n\
             3,\"say \"\"hi\"\"\",0.000,2025-01-01 00:00:00.123,inf,true\n\
             4,\"line\nbreak\",0.001,2025-01-01 00:00:00.123,1e+21,false\n\
             5,tab\there\u{1}é,0.002,2025-01-01 00:00:00.123,-0,true\n\
             ,,0.003,2025-01-01 00:00:00.123,2,false\n"
        );
        // A delimiter that values of other types contain.
        let enc = RowEncoder::new(&Format::Csv(CsvOptions { delimiter: b' ', ..CsvOptions::default() }), &schema);
        let mut out = Vec::new();
        enc.encode(&Batch::new(1, b.columns.iter().map(|c| c.filter(&[true, false, false, false, false, false], 1)).collect()), &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "1 plain 11209.260 \"2025-01-01 00:00:00.123\" 0.5 true\n");
        // No header when not asked for, none for JSON.
        let mut out = Vec::new();
        RowEncoder::new(&Format::Csv(CsvOptions::default()), &schema).header(&mut out);
        RowEncoder::new(&Format::JsonLines, &schema).header(&mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn json_escapes_and_types() {
        let (schema, b) = batch();
        let enc = RowEncoder::new(&Format::JsonLines, &schema);
        let mut out = Vec::new();
        enc.encode(&b, &mut out);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], r#"{"id":1,"name":"plain","price":11209.260,"ts":"2025-01-01 00:00:00.123","x":0.5,"ok":true}"#);
        assert_eq!(lines[1], r#"{"id":-2,"name":"a,b","price":-0.005,"ts":"2025-01-01 00:00:00.123","x":null,"ok":false}"#);
        assert_eq!(lines[2], r#"{"id":3,"name":"say \"hi\"","price":0.000,"ts":"2025-01-01 00:00:00.123","x":null,"ok":true}"#);
        assert_eq!(lines[4], r#"{"id":5,"name":"tab\there\u0001é","price":0.002,"ts":"2025-01-01 00:00:00.123","x":-0,"ok":true}"#);
        assert_eq!(lines[5], r#"{"id":null,"name":null,"price":0.003,"ts":"2025-01-01 00:00:00.123","x":2,"ok":false}"#);
        // Every line is JSON that reads back the same strings.
        for (line, want) in lines.iter().zip(["plain", "a,b", "say \"hi\"", "line\nbreak", "tab\there\u{1}é"]) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["name"], want);
        }
    }

    #[test]
    fn json_escapes_keys() {
        let schema = Schema::new(vec![Field::new("we\"ird", DataType::Int)]);
        let b = Batch::new(1, vec![Column::new(DataType::Int, ColumnData::Int(vec![1]), None)]);
        let mut out = Vec::new();
        RowEncoder::new(&Format::JsonLines, &schema).encode(&b, &mut out);
        assert_eq!(out, b"{\"we\\\"ird\":1}\n");
    }
}

#[cfg(test)]
mod debezium_tests {
    use super::*;
    use vstream_repr::{Column, ColumnData, RowKind};

    #[test]
    fn retractions_are_delete_envelopes() {
        let schema = Schema::new(vec![vstream_repr::Field::new("k", DataType::Varchar), vstream_repr::Field::new("n", DataType::BigInt)]);
        let keys: vstream_repr::StringColumn = ["a", "a", "a"].iter().map(|s| s.to_string()).collect();
        let batch = Batch::new(
            3,
            vec![
                Column::new(DataType::Varchar, ColumnData::Str(keys), None),
                Column::new(DataType::BigInt, ColumnData::Int(vec![1, 1, 2]), None),
            ],
        )
        .with_kinds(Some(vec![RowKind::Insert, RowKind::UpdateBefore, RowKind::UpdateAfter]));
        let enc = RowEncoder::new(&Format::DebeziumJson, &schema);
        assert!(enc.writes_kinds());
        let mut out = Vec::new();
        enc.header(&mut out);
        enc.encode(&batch, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"before\":null,\"after\":{\"k\":\"a\",\"n\":1},\"op\":\"c\"}\n\
             {\"before\":{\"k\":\"a\",\"n\":1},\"after\":null,\"op\":\"d\"}\n\
             {\"before\":null,\"after\":{\"k\":\"a\",\"n\":2},\"op\":\"c\"}\n"
        );
    }
}
