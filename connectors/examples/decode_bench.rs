//! Single-core CSV decode throughput on bid-like lines.
//!
//!     cargo run --release -p vstream-connectors --example decode_bench [-- FILE.csv [RUNS]]
//!
//! Without FILE, writes ~2M generated bid lines (with a header) to a temp file first. FILE must
//! have the bid columns and a header line (or be `.jsonl`, one object per line). Prints the best of RUNS (5) runs per projection;
//! `PROJECTION=0,2` picks one projection.

use std::io::Write;
use std::time::Instant;
use vstream_connectors::{CsvOptions, DEFAULT_CHUNK_SIZE, DecodeOutput, Decoder, FileSource, Format, OnError, RecordDecoder};
use vstream_connectors::{open_source, plan_chunks};
use vstream_repr::{DataType, Field, Schema};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let (path, generated) = match args.first() {
        Some(p) => (std::path::PathBuf::from(p), false),
        None => (generate(2_000_000), true),
    };
    let schema = Schema::new(vec![
        Field::new("auction", DataType::BigInt),
        Field::new("bidder", DataType::BigInt),
        Field::new("price", DataType::BigInt),
        Field::new("channel", DataType::Varchar),
        Field::new("url", DataType::Varchar),
        Field::new("date_time", DataType::TIMESTAMP),
        Field::new("extra", DataType::Varchar),
    ]);
    let source = FileSource {
        path: path.clone(),
        // A `.jsonl` FILE is read as JSON lines (fields named as the bid columns).
        format: if path.extension().is_some_and(|e| e == "jsonl") {
            Format::JsonLines
        } else {
            Format::Csv(CsvOptions { header: true, ..CsvOptions::default() })
        },
        on_error: OnError::Fail,
        rejects: None,
    };
    let (file, len) = open_source(&path).unwrap();
    println!("{}: {:.1} MB, chunks of {} MB, one thread", path.display(), len as f64 / 1e6, DEFAULT_CHUNK_SIZE >> 20);
    // PROJECTION=0,2 runs only that projection.
    let projections: Vec<Vec<usize>> = match std::env::var("PROJECTION") {
        Ok(p) => vec![p.split(',').map(|i| i.trim().parse().expect("PROJECTION: column indices")).collect()],
        Err(_) => vec![vec![0, 2], vec![0, 1, 2, 5], vec![0, 1, 2, 3, 4, 5, 6]],
    };
    for projection in projections {
        let mut best = f64::MAX;
        let mut rows = 0;
        for _ in 0..runs {
            let mut decoder = RecordDecoder::new(&source, &schema, &projection);
            let mut out = DecodeOutput::new();
            let t = Instant::now();
            for range in plan_chunks(len, DEFAULT_CHUNK_SIZE) {
                decoder.decode_chunk(&file, range, &mut out).unwrap();
                // What the runtime does with batches: hand them on (dropped here).
                out.batches.clear();
            }
            best = best.min(t.elapsed().as_secs_f64());
            rows = out.rows;
        }
        println!(
            "projection {:<22} {rows} lines in {:.3} s: {:>6.1} M lines/s, {:>6.0} MB/s",
            format!("{projection:?}"),
            best,
            rows as f64 / best / 1e6,
            len as f64 / best / 1e6
        );
    }
    if generated {
        let _ = std::fs::remove_file(&path);
    }
}

/// Writes `n` bid-like lines to a temp file.
fn generate(n: usize) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("vstream-decode-bench-{}.csv", std::process::id()));
    let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(w, "auction,bidder,price,channel,url,date_time,extra").unwrap();
    let mut x: u64 = 42;
    let mut next = move || {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        x >> 33
    };
    let channels = ["Apple", "Google", "Facebook", "Baidu", "Other"];
    for i in 0..n {
        let ms = i as u64 * 10 + next() % 10;
        writeln!(
            w,
            "{},{},{},{},https://nexmark.com/c/{},2025-01-01 {:02}:{:02}:{:02}.{:03},{:08x}",
            1000 + next() % 1000,
            1000 + next() % 10000,
            next() % 100000,
            channels[(next() % 5) as usize],
            next() % 10000,
            ms / 3_600_000 % 24,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000,
            next() as u32,
        )
        .unwrap();
    }
    w.flush().unwrap();
    path
}
