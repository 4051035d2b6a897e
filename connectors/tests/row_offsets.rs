//! Each decoded row's offset (`DecodeOutput::row_offsets`) is where its line starts in the file,
//! whatever the chunking: the header, blank lines and rejected lines make no row and so have no
//! offset, in CSV (plain and quoted chunks) and JSON lines alike. The runtime names a row whose
//! expression fails by the line at that offset.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use vstream_connectors::{CsvOptions, DecodeOutput, Decoder, FileSource, Format, OnError, RecordDecoder, plan_chunks};
use vstream_repr::{DataType, Field, Schema};

fn schema() -> Schema {
    Schema::new(vec![Field::new("a", DataType::BigInt), Field::new("s", DataType::Varchar)])
}

/// Decodes `input` as `format` in chunks of `chunk` bytes; per row, its offset.
fn offsets(input: &[u8], format: Format, chunk: u64) -> Vec<u64> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!("vstream-row-offsets-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    std::fs::File::create(&path).and_then(|mut f| f.write_all(input)).expect("write the input");
    let file = std::fs::File::open(&path).expect("open the input");
    let source = FileSource { path: path.clone(), format, on_error: OnError::Skip, rejects: None };
    let mut decoder = RecordDecoder::new(&source, &schema(), &[0, 1]);
    let mut out = DecodeOutput::new();
    for range in plan_chunks(input.len() as u64, chunk) {
        decoder.decode_chunk(&file, range, &mut out).expect("decode");
    }
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.row_offsets.len(), out.batches.len(), "one vector of offsets per batch");
    for (b, o) in out.batches.iter().zip(&out.row_offsets) {
        assert_eq!(b.len, o.len(), "one offset per row");
    }
    out.row_offsets.concat()
}

/// The offsets of the lines of `input` that `is_row` says make rows.
fn line_starts(input: &[u8], is_row: impl Fn(&[u8]) -> bool) -> Vec<u64> {
    let mut starts = Vec::new();
    let mut at = 0;
    for line in input.split_inclusive(|b| *b == b'\n') {
        if is_row(line) {
            starts.push(at as u64);
        }
        at += line.len();
    }
    starts
}

#[test]
fn csv_rows_point_at_their_lines() {
    // A header, a blank line, a bad value, a CRLF line, a quoted field, no final newline.
    let input = b"a,s\n1,x\n\n2x,y\n3,z\r\n4,\"q,r\"\n5,last";
    let rows = |line: &[u8]| !line.starts_with(b"a,s") && !line.trim_ascii().is_empty() && !line.starts_with(b"2x");
    let csv = Format::Csv(CsvOptions { header: true, ..CsvOptions::default() });
    for chunk in [1, 3, 7, 64, 1 << 20] {
        assert_eq!(offsets(input, csv.clone(), chunk), line_starts(input, rows), "chunk {chunk}");
    }
    // Without quotes in a chunk, the plain path.
    let plain = b"1,x\n2,y\n\n3,z\n";
    let csv = Format::Csv(CsvOptions::default());
    assert_eq!(offsets(plain, csv, 1 << 20), vec![0, 4, 9]);
}

#[test]
fn json_rows_point_at_their_lines() {
    let input = b"{\"a\": 1, \"s\": \"x\"}\n  \n{\"a\": \"2x\"}\n{\"a\": 3}\n{\"s\": \"only\"}";
    let rows = |line: &[u8]| !line.trim_ascii().is_empty() && !line.windows(2).any(|w| w == b"2x");
    for chunk in [1, 5, 1 << 20] {
        assert_eq!(offsets(input, Format::JsonLines, chunk), line_starts(input, rows), "chunk {chunk}");
    }
}
