//! Randomised checks of CSV decoding against a naive line-by-line reference: rows, rejects and
//! line numbers must not depend on chunk sizes or on how chunks are spread over workers.

use std::io::Write;
use std::path::PathBuf;
use vstream_connectors::{CsvOptions, DecodeOutput, Decoder, FileSource, Format, OnError, RecordDecoder, Reject, plan_chunks};
use vstream_repr::{DataType, Datum, Field, Schema};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn schema() -> Schema {
    Schema::new(vec![
        Field::new("auction", DataType::BigInt),
        Field::new("channel", DataType::Varchar),
        Field::new("price", DataType::BigInt),
        Field::new("date_time", DataType::TIMESTAMP),
    ])
}

fn field(rng: &mut Rng, col: usize) -> String {
    if rng.below(20) == 0 {
        return String::new();
    }
    match col {
        0 | 2 => match rng.below(40) {
            0 => "12x".to_string(),
            1 => "-".to_string(),
            _ => (rng.below(200_000) as i64 - 1000).to_string(),
        },
        1 => (0..rng.below(12)).map(|_| (b'a' + rng.below(26) as u8) as char).collect(),
        _ => match rng.below(40) {
            0 => "2025-02-30 00:00:00".to_string(),
            _ => format!(
                "2025-01-{:02} {:02}:{:02}:{:02}.{:03}",
                1 + rng.below(28),
                rng.below(24),
                rng.below(60),
                rng.below(60),
                rng.below(1000)
            ),
        },
    }
}

/// A random file: some blank lines, CRLF endings, wrong field counts, bad values.
fn input(rng: &mut Rng, lines: usize, header: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if header {
        out.extend_from_slice(b"auction,channel,price,date_time\n");
    }
    for i in 0..lines {
        let nfields = match rng.below(30) {
            0 => 3,
            1 => 5,
            _ => 4,
        };
        if rng.below(25) == 0 {
            // A blank line (or just "\r").
            out.extend_from_slice(if rng.below(2) == 0 { b"\n" } else { b"\r\n" });
        }
        let fields: Vec<String> = (0..nfields).map(|c| field(rng, c.min(3))).collect();
        out.extend_from_slice(fields.join(",").as_bytes());
        if i + 1 < lines || rng.below(2) == 0 {
            out.extend_from_slice(if rng.below(5) == 0 { b"\r\n" } else { b"\n" });
        }
    }
    out
}

/// The naive reading: rows and rejects (line, message).
fn reference(input: &[u8], header: bool, projection: &[usize]) -> (Vec<Vec<Datum>>, Vec<(u64, String)>) {
    let schema = schema();
    let mut rows = Vec::new();
    let mut rejects = Vec::new();
    let text = std::str::from_utf8(input).unwrap();
    let mut lines: Vec<&str> = text.split('\n').collect();
    if lines.last() == Some(&"") {
        lines.pop();
    }
    for (i, line) in lines.iter().enumerate() {
        let number = i as u64 + 1;
        if header && i == 0 {
            continue;
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != schema.len() {
            rejects.push((number, format!("expected {} fields, found {}", schema.len(), fields.len())));
            continue;
        }
        let mut row = Vec::new();
        let mut bad = None;
        for &p in projection {
            let f = fields[p];
            let ty = schema.fields[p].ty;
            let v = if f.is_empty() {
                Some(Datum::Null)
            } else {
                match ty {
                    DataType::BigInt => vstream_repr::expr::parse_i64(f.as_bytes()).map(Datum::Int),
                    DataType::Varchar => Some(Datum::Str(f.to_string())),
                    _ => vstream_repr::timestamp::parse(f.as_bytes()).map(Datum::Timestamp),
                }
            };
            match v {
                Some(v) => row.push(v),
                None => {
                    bad = Some(format!("column `{}`: cannot parse \"{f}\" as {ty}", schema.fields[p].name));
                    break;
                }
            }
        }
        match bad {
            None => rows.push(row),
            Some(m) => rejects.push((number, m)),
        }
    }
    (rows, rejects)
}

struct Temp(PathBuf);

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn temp(content: &[u8], name: &str) -> Temp {
    let path = std::env::temp_dir().join(format!("vstream-connectors-it-{}-{name}", std::process::id()));
    std::fs::File::create(&path).unwrap().write_all(content).unwrap();
    Temp(path)
}

fn source(path: &std::path::Path, header: bool, on_error: OnError) -> FileSource {
    FileSource { path: path.to_path_buf(), format: Format::Csv(CsvOptions { header, ..CsvOptions::default() }), on_error, rejects: None }
}

/// Decodes with `workers` decoders, chunk k on worker k % workers; rows in chunk order.
fn decode(src: &FileSource, projection: &[usize], chunk: u64, workers: usize) -> (Vec<Vec<Datum>>, Vec<Reject>, u64) {
    let file = std::fs::File::open(&src.path).unwrap();
    let len = file.metadata().unwrap().len();
    let mut decoders: Vec<RecordDecoder> = (0..workers).map(|_| RecordDecoder::new(src, &schema(), projection)).collect();
    let mut outs: Vec<DecodeOutput> = (0..workers).map(|_| DecodeOutput::new()).collect();
    let mut rows = Vec::new();
    let mut rejects = Vec::new();
    for (k, range) in plan_chunks(len, chunk).into_iter().enumerate() {
        let w = k % workers;
        decoders[w].decode_chunk(&file, range, &mut outs[w]).unwrap();
        assert!(outs[w].batches.len() <= 1);
        for b in outs[w].batches.drain(..) {
            assert_eq!(b.columns.len(), projection.len());
            for i in 0..b.len {
                rows.push(b.columns.iter().map(|c| c.datum(i)).collect());
            }
        }
        rejects.append(&mut outs[w].rejects);
    }
    let bytes: u64 = outs.iter().map(|o| o.bytes).sum();
    assert_eq!(bytes, len);
    assert_eq!(outs.iter().map(|o| o.rows).sum::<u64>(), rows.len() as u64);
    assert_eq!(outs.iter().map(|o| o.rejected).sum::<u64>(), rejects.len() as u64);
    (rows, rejects, bytes)
}

#[test]
fn random_files_match_the_reference() {
    let mut rng = Rng(7);
    for case in 0..12 {
        let header = case % 2 == 0;
        let lines = [0, 1, 5, 60, 300, 2000][case % 6];
        let data = input(&mut rng, lines, header);
        let file = temp(&data, &format!("random-{case}"));
        for projection in [vec![0, 1, 2, 3], vec![2, 0], vec![3], vec![]] {
            let (want_rows, want_rejects) = reference(&data, header, &projection);
            let src = source(&file.0, header, OnError::Skip);
            for (chunk, workers) in [(1 << 20, 1), (1 + rng.below(64), 1), (1 + rng.below(400), 3), (4096, 2)] {
                let (rows, rejects, _) = decode(&src, &projection, chunk, workers);
                assert_eq!(rows, want_rows, "case {case} projection {projection:?} chunk {chunk} workers {workers}");
                let got: Vec<(u64, String)> = rejects.iter().map(|r| (r.line, r.message.clone())).collect();
                assert_eq!(got, want_rejects, "case {case} projection {projection:?} chunk {chunk} workers {workers}");
            }
            // Fail mode stops at the first bad record, whatever the chunking.
            if let Some((line, message)) = want_rejects.first() {
                let src = source(&file.0, header, OnError::Fail);
                let file_handle = std::fs::File::open(&file.0).unwrap();
                let mut d = RecordDecoder::new(&src, &schema(), &projection);
                let mut out = DecodeOutput::new();
                let err = plan_chunks(data.len() as u64, 1 + rng.below(300))
                    .into_iter()
                    .find_map(|r| d.decode_chunk(&file_handle, r, &mut out).err())
                    .expect("an error");
                assert_eq!(err.to_string(), format!("{}:{line}: {message}", file.0.display()));
            }
        }
    }
}

#[test]
fn json_through_the_record_decoder() {
    let data = b"{\"auction\": 1, \"channel\": \"a\", \"price\": 10, \"date_time\": \"2025-01-01 00:00:00.001\"}\n\
        {\"auction\": 2, \"price\": \"x\"}\n\
        {\"auction\": 3, \"channel\": \"c\"}\n";
    let file = temp(data, "json");
    let src = FileSource { path: file.0.clone(), format: Format::JsonLines, on_error: OnError::Skip, rejects: None };
    for chunk in [1, 7, 1 << 20] {
        let (rows, rejects, _) = decode(&src, &[0, 2], chunk, 2);
        assert_eq!(rows, vec![vec![Datum::Int(1), Datum::Int(10)], vec![Datum::Int(3), Datum::Null]]);
        assert_eq!(rejects.len(), 1);
        assert_eq!(rejects[0].line, 2);
        assert_eq!(rejects[0].message, "column `price`: cannot parse \"x\" as BIGINT");
    }
}
