//! Kafka helpers for tests and benchmarks: put a file's lines into a topic, read a topic back,
//! and time a plain consumer (the ceiling a Kafka source can reach).

use anyhow::{Context, Result, bail};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::io::BufRead;
use std::time::{Duration, Instant};

const TIMEOUT_MS: u64 = 10_000;

fn props(brokers: &str) -> Vec<(String, String)> {
    vec![("bootstrap.servers".to_string(), brokers.to_string())]
}

/// Creates `topic` with `partitions` partitions (fine if it exists).
pub fn create_topic(brokers: &str, topic: &str, partitions: i32) -> Result<()> {
    vstream_connectors::kafka::create_topic(&props(brokers), topic, partitions, TIMEOUT_MS)?;
    // Metadata may lag the creation for a moment.
    for _ in 0..200 {
        if vstream_connectors::kafka::topic_partitions(&props(brokers), topic, TIMEOUT_MS).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("topic {topic} does not show up after its creation")
}

/// Produces each line of `input` as one message (no key) to `topic`, line `i` (counting from
/// 0, after the header if `skip_header`) to partition `i % partitions`: the partitions hold
/// the file's rows in file order, evenly. Returns the number of messages.
pub fn produce_lines(brokers: &str, topic: &str, partitions: i32, input: impl BufRead, skip_header: bool) -> Result<u64> {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "5")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .context("cannot create a producer")?;
    let mut n = 0u64;
    for (i, line) in input.split(b'\n').enumerate() {
        let line = line.context("cannot read the input")?;
        if (i == 0 && skip_header) || line.is_empty() {
            continue;
        }
        let mut record = BaseRecord::<[u8], [u8]>::to(topic).payload(&line).partition((n % partitions as u64) as i32);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((e, r)) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::QueueFull) => {
                    producer.poll(Duration::from_millis(10));
                    record = r;
                }
                Err((e, _)) => bail!("cannot produce to {topic}: {e}"),
            }
        }
        n += 1;
        if n.is_multiple_of(10_000) {
            producer.poll(Duration::ZERO);
        }
    }
    producer.flush(Duration::from_secs(120)).context("cannot flush the producer")?;
    Ok(n)
}

/// One message read back.
#[derive(Clone, Debug)]
pub struct Record {
    /// The partition it was read from.
    pub partition: i32,
    /// Its offset in that partition.
    pub offset: i64,
    /// The message key; `None` for an unkeyed message (a sink without `'key.fields'` or upsert mode writes none).
    pub key: Option<Vec<u8>>,
    /// The value; `None` for a tombstone (an upsert sink's deleted key).
    pub value: Option<Vec<u8>>,
}

/// Reads every partition of `topic` from the start to its end (as of reading), calling `f` per
/// message; returns (messages, value bytes, seconds from assigning the partitions to the last
/// message).
pub fn consume(brokers: &str, topic: &str, mut f: impl FnMut(&rdkafka::message::BorrowedMessage<'_>)) -> Result<(u64, u64, f64)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "vstream-bench")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("fetch.wait.max.ms", "100")
        .create()
        .context("cannot create a consumer")?;
    // The partitions, asked of this consumer: it then has its broker connection and the topic's
    // metadata when assigned (a fresh consumer's first fetch waits ~0.5 s for them).
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_millis(TIMEOUT_MS)).context("cannot read the topic's metadata")?;
    let partitions: Vec<i32> =
        metadata.topics().iter().filter(|t| t.name() == topic).flat_map(|t| t.partitions().iter().map(|p| p.id())).collect();
    if partitions.is_empty() {
        bail!("topic {topic} has no partitions (does it exist?)");
    }
    let mut tpl = TopicPartitionList::new();
    for p in &partitions {
        tpl.add_partition_offset(topic, *p, Offset::Beginning)?;
    }
    consumer.assign(&tpl)?;
    let start = Instant::now();
    let (mut n, mut bytes) = (0u64, 0u64);
    let mut eof = std::collections::HashSet::new();
    let mut last = Instant::now();
    let mut last_message = start;
    while eof.len() < partitions.len() {
        // Without waiting while messages are there (a poll with a timeout costs more per call).
        let polled = match consumer.poll(Duration::ZERO) {
            None => consumer.poll(Duration::from_millis(10)),
            some => some,
        };
        match polled {
            Some(Ok(m)) => {
                eof.remove(&m.partition());
                n += 1;
                bytes += m.payload_len() as u64;
                f(&m);
                last = Instant::now();
                last_message = last;
            }
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(p))) => {
                eof.insert(p);
            }
            Some(Err(e)) => bail!("cannot read {topic}: {e}"),
            None if last.elapsed() > Duration::from_secs(30) => bail!("no message from {topic} for 30 s"),
            None => {}
        }
    }
    // The read rate: up to the last message (seeing the end takes one more fetch round trip).
    Ok((n, bytes, (last_message - start).as_secs_f64()))
}

/// Every message of `topic`, in partition order and offset order within each.
pub fn read_all(brokers: &str, topic: &str) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    consume(brokers, topic, |m| {
        out.push(Record {
            partition: m.partition(),
            offset: m.offset(),
            key: m.key().map(<[u8]>::to_vec),
            value: m.payload().map(<[u8]>::to_vec),
        })
    })?;
    out.sort_by_key(|r| (r.partition, r.offset));
    Ok(out)
}
