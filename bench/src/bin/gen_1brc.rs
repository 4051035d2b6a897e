//! Writes deterministic 1BRC-style measurements as `;`-separated CSV
//! (see `vstream_bench::write_1brc`).
//!
//!     gen_1brc --rows 10000000 --seed 42 --out /tmp/1brc.csv

use std::fs::File;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;

/// Deterministic One-Billion-Row-Challenge-style measurements: same (rows, seed) -> same file.
#[derive(Parser)]
struct Args {
    /// Number of measurements (data lines; a header line comes first).
    #[arg(long)]
    rows: u64,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output file ("-" for stdout).
    #[arg(long)]
    out: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let t0 = Instant::now();
    if args.out.as_os_str() == "-" {
        vstream_bench::write_1brc(args.rows, args.seed, std::io::stdout().lock())?;
    } else {
        let file = File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
        vstream_bench::write_1brc(args.rows, args.seed, file).with_context(|| format!("writing {}", args.out.display()))?;
        eprintln!("gen_1brc: {} rows to {} in {:.2} s", args.rows, args.out.display(), t0.elapsed().as_secs_f64());
    }
    Ok(())
}
