//! Puts a file into a Kafka topic, or times a plain consumer of one (bench/kafka.sh).
//!
//!   kafka_tool produce --brokers 127.0.0.1:9092 --topic bids --partitions 4 bids.csv
//!   kafka_tool consume --brokers 127.0.0.1:9092 --topic bids
//!   kafka_tool dump --brokers 127.0.0.1:9092 --topic bids

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Creates the topic and produces each line of FILE (after its header) as one message,
    /// line i to partition i % partitions.
    Produce {
        #[arg(long)]
        brokers: String,
        #[arg(long)]
        topic: String,
        #[arg(long, default_value_t = 4)]
        partitions: i32,
        file: std::path::PathBuf,
    },
    /// Prints every message of the topic: partition, offset, key and value, tab-separated.
    Dump {
        #[arg(long)]
        brokers: String,
        #[arg(long)]
        topic: String,
    },
    /// Reads the whole topic with a plain consumer and prints messages/s.
    Consume {
        #[arg(long)]
        brokers: String,
        #[arg(long)]
        topic: String,
    },
}

fn main() -> Result<()> {
    match Args::parse().command {
        Command::Produce { brokers, topic, partitions, file } => {
            vstream_bench::kafka::create_topic(&brokers, &topic, partitions)?;
            let input = std::io::BufReader::with_capacity(
                1 << 20,
                std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?,
            );
            let start = std::time::Instant::now();
            let n = vstream_bench::kafka::produce_lines(&brokers, &topic, partitions, input, true)?;
            let secs = start.elapsed().as_secs_f64();
            println!("produced {n} messages to {topic} in {secs:.2} s ({:.0} msg/s)", n as f64 / secs);
        }
        Command::Dump { brokers, topic } => {
            let show = |b: Option<Vec<u8>>| b.map_or("(null)".to_string(), |b| String::from_utf8_lossy(&b).into_owned());
            for r in vstream_bench::kafka::read_all(&brokers, &topic)? {
                println!("{}\t{}\t{}\t{}", r.partition, r.offset, show(r.key), show(r.value));
            }
        }
        Command::Consume { brokers, topic } => {
            let (n, bytes, secs) = vstream_bench::kafka::consume(&brokers, &topic, |_| {})?;
            println!("consumed {n} messages ({bytes} bytes) from {topic} in {secs:.2} s ({:.0} msg/s)", n as f64 / secs);
        }
    }
    Ok(())
}
