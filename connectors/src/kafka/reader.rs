//! One worker's reader of a topic: its partitions, polled into per-partition buffers of
//! messages, decoded many at a time.

use super::client::{KafkaError, classify, config, partitions_with};
use super::{KafkaSource, StartupMode};
use crate::decode::{DecodeOutput, RecordDecoder};
use crate::spec::Format;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};
use std::ffi::CString;
use std::time::{Duration, Instant};
use vstream_repr::{Batch, RowKind};

/// What a worker knows of one of its partitions.
#[derive(Clone, Debug)]
pub struct PartitionState {
    /// The partition's id in the topic.
    pub partition: i32,
    /// The offset after the last message read; `None` before the first.
    pub next_offset: Option<i64>,
    /// Bounded mode: the partition ends here (the high watermark of its first fetch response).
    pub stop: Option<i64>,
    /// Bounded mode: everything up to `stop` has been read.
    pub done: bool,
    /// When its last message came (or when it was assigned), for the idle timeout.
    pub last_message: Instant,
    /// The client said it reached the end of the partition (as of some fetch response).
    eof: bool,
    /// `'latest-offset'` startup: messages below this offset (the high watermark of the first
    /// fetch response) are from before the start and are dropped. The client starts at the
    /// broker's ListOffsets(latest) answer, which some brokers (tansu) give a batch early.
    floor: Option<i64>,
}

/// Offsets a worker had read when an epoch ended: per partition, the next offset to read. The
/// operator keeps these per epoch, so a checkpoint can commit the offsets of a completed epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochOffsets {
    /// The epoch (the timely time the rows were emitted at).
    pub time: u64,
    /// (partition, next offset), for the partitions read from so far.
    pub offsets: Vec<(i32, i64)>,
}

/// A message that could not be decoded (or could not be a record at all).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KafkaReject {
    /// The message's offset in its partition.
    pub offset: i64,
    /// Why it was refused (the decoder's error, or why the value is no record).
    pub message: String,
    /// The message's value.
    pub text: Vec<u8>,
}

/// A partition's polled messages, laid out one per line for the decoders. A value's own line
/// break(s) at the end are dropped; JSON values have inner line breaks made spaces (which JSON
/// allows between tokens, and a raw line break inside a JSON string is invalid anyway); a CSV value
/// with a line break inside is a bad record (a message is one record).
#[derive(Debug, Default)]
pub struct MessageBuffer {
    /// The laid-out values, each followed by `'\n'`.
    pub bytes: Vec<u8>,
    /// Where each message begins in `bytes`.
    pub starts: Vec<usize>,
    /// Per laid-out record: its message's offset (a Debezium update's two rows share one).
    pub offsets: Vec<i64>,
    /// The record timestamps (epoch ms), `None` where the record has none.
    pub timestamps: Vec<Option<i64>>,
    /// Messages refused before decoding.
    pub refused: Vec<KafkaReject>,
    /// Messages without a value (tombstones): no row, not an error.
    pub tombstones: u64,
    json: bool,
    /// Debezium change events: each message lays out one or two rows (its `before` and `after`
    /// objects), whose kinds are here (one per laid-out row).
    debezium: bool,
    kinds: Vec<RowKind>,
}

/// A Debezium change event; the rows stay raw JSON for the decoder.
#[derive(serde::Deserialize)]
struct ChangeEvent<'a> {
    #[serde(borrow)]
    before: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    after: Option<&'a serde_json::value::RawValue>,
    op: Option<&'a str>,
}

/// The rows of a Debezium event, as (kind, raw JSON object) in order; why not, for a bad one.
fn change_rows(value: &[u8]) -> Result<Vec<(RowKind, &[u8])>, String> {
    let e: ChangeEvent<'_> = serde_json::from_slice(value).map_err(|e| format!("invalid Debezium event: {e}"))?;
    fn row<'a>(r: Option<&'a serde_json::value::RawValue>, which: &str, op: &str) -> Result<&'a [u8], String> {
        match r.map(|r| r.get().as_bytes()) {
            Some(b) if b != b"null" => Ok(b),
            _ => Err(format!("Debezium event with op '{op}' has no '{which}' row")),
        }
    }
    let op = e.op.unwrap_or("");
    let raw = |r, which| row(r, which, op);
    match e.op {
        Some("c" | "r") => Ok(vec![(RowKind::Insert, raw(e.after, "after")?)]),
        Some("u") => Ok(vec![(RowKind::UpdateBefore, raw(e.before, "before")?), (RowKind::UpdateAfter, raw(e.after, "after")?)]),
        Some("d") => Ok(vec![(RowKind::Delete, raw(e.before, "before")?)]),
        Some(other) => Err(format!("Debezium event with unknown op '{other}' (known: c, r, u, d)")),
        None => Err("Debezium event without 'op'".to_string()),
    }
}

/// A partition's decoded messages.
#[derive(Debug, Default)]
pub struct DecodedPartition {
    /// The rows, in offset order (none if no message made a row).
    pub batch: Option<Batch>,
    /// Per row: its message's offset (only when asked for).
    pub row_offsets: Vec<i64>,
    /// Per row: its message's timestamp (epoch ms; `None` where the record has none), only when asked for.
    pub row_timestamps: Vec<Option<i64>>,
    /// The messages that made no row, in offset order: refused before decoding or by the decoder.
    pub rejects: Vec<KafkaReject>,
    /// Bytes of the values decoded.
    pub bytes: u64,
}

impl MessageBuffer {
    /// An empty buffer for values in `format` (it decides how line breaks and Debezium events are laid out).
    pub fn new(format: &Format) -> Self {
        MessageBuffer { json: !matches!(format, Format::Csv(_)), debezium: *format == Format::DebeziumJson, ..Default::default() }
    }

    /// Whether nothing is waiting to be decoded: no record laid out, no refused message.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty() && self.refused.is_empty()
    }

    /// Appends one message's value.
    pub fn push(&mut self, value: Option<&[u8]>, offset: i64, timestamp: Option<i64>) {
        let Some(mut v) = value.filter(|v| !v.iter().all(u8::is_ascii_whitespace)) else {
            self.tombstones += 1;
            return;
        };
        while let [rest @ .., b'\n' | b'\r'] = v {
            v = rest;
        }
        if self.debezium {
            match change_rows(v) {
                Ok(rows) => {
                    for (kind, row) in rows {
                        self.kinds.push(kind);
                        self.push_line(row, offset, timestamp);
                    }
                }
                Err(message) => self.refused.push(KafkaReject { offset, message, text: v.to_vec() }),
            }
            return;
        }
        self.push_line(v, offset, timestamp);
    }

    /// Lays out one record (`v`, without its line break) for the decoder.
    fn push_line(&mut self, v: &[u8], offset: i64, timestamp: Option<i64>) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(v);
        if memchr::memchr2(b'\n', b'\r', v).is_some() {
            if self.json {
                self.bytes[start..].iter_mut().filter(|b| **b == b'\n' || **b == b'\r').for_each(|b| *b = b' ');
            } else {
                self.bytes.truncate(start);
                let message = "a CSV message holds a line break (a message is one record)".to_string();
                self.refused.push(KafkaReject { offset, message, text: v.to_vec() });
                return;
            }
        }
        self.bytes.push(b'\n');
        self.starts.push(start);
        self.offsets.push(offset);
        self.timestamps.push(timestamp);
    }

    /// Decodes every message in one call and empties the buffer. `metadata`: also give each
    /// row's offset and timestamp.
    pub fn decode(&mut self, decoder: &mut RecordDecoder, metadata: bool) -> DecodedPartition {
        let mut out = DecodeOutput::default();
        if !self.starts.is_empty() {
            decoder.decode_records(&self.bytes, &self.starts, &mut out);
        }
        let mut rejects = std::mem::take(&mut self.refused);
        let mut bad = vec![false; if metadata || self.debezium { self.starts.len() } else { 0 }];
        for r in out.rejects.drain(..) {
            let i = r.line as usize;
            if let Some(b) = bad.get_mut(i) {
                *b = true;
            }
            let offset = self.offsets.get(i).copied().unwrap_or(-1);
            // The text without the `'\n'` laid out after it.
            rejects.push(KafkaReject { offset, message: r.message, text: r.text });
        }
        rejects.sort_by_key(|r| r.offset);
        let mut batch = out.batches.pop();
        if self.debezium {
            // An update is its two rows or nothing: a good half of a bad update is dropped too.
            let decoded_bad = bad.clone();
            for i in 0..self.kinds.len().saturating_sub(1) {
                if self.kinds[i] == RowKind::UpdateBefore && bad[i] != bad[i + 1] {
                    bad[i] = true;
                    bad[i + 1] = true;
                }
            }
            // Per row made: whether it stays; and the kinds of those that do.
            let keep: Vec<bool> = decoded_bad.iter().zip(&bad).filter(|(d, _)| !**d).map(|(_, b)| !*b).collect();
            let kinds: Vec<RowKind> = self.kinds.iter().zip(&bad).filter(|(_, b)| !**b).map(|(k, _)| *k).collect();
            batch = batch
                .map(|b| if keep.iter().all(|k| *k) { b } else { b.filter(&keep) })
                .filter(|b| b.len > 0)
                .map(|b| b.with_kinds(Some(kinds)));
            self.kinds.clear();
        }
        let (mut row_offsets, mut row_timestamps) = (Vec::new(), Vec::new());
        if metadata {
            for (i, b) in bad.iter().enumerate() {
                if !b {
                    row_offsets.push(self.offsets[i]);
                    row_timestamps.push(self.timestamps[i]);
                }
            }
        }
        let decoded = DecodedPartition { batch, row_offsets, row_timestamps, rejects, bytes: self.bytes.len() as u64 };
        self.bytes.clear();
        self.starts.clear();
        self.offsets.clear();
        self.timestamps.clear();
        decoded
    }
}

/// One worker's consumer of its partitions of a topic (partition `p` goes to worker
/// `p % peers`), assigned directly: no consumer group is joined, so starting costs no rebalance.
pub struct TopicReader {
    consumer: BaseConsumer,
    source: KafkaSource,
    topic_c: CString,
    /// This worker's partitions, in ascending id order.
    pub parts: Vec<PartitionState>,
    /// Per partition (as `parts`): messages polled, not yet decoded.
    pub buffers: Vec<MessageBuffer>,
}

impl TopicReader {
    /// Connects (failing within the source's connect timeout), finds the topic's partitions and
    /// assigns this worker's share, each at its startup offset.
    pub fn open(source: &KafkaSource, worker: usize, peers: usize) -> Result<Self, KafkaError> {
        let timeout = source.connect_timeout_ms;
        let group = format!("vstream-{}", source.topic);
        let defaults = [
            ("group.id", group.as_str()),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("allow.auto.create.topics", "false"),
            // Fetches return as soon as there is data; waiting long only delays the end of an
            // empty partition.
            ("fetch.wait.max.ms", "100"),
        ];
        let mut cfg = config(&source.properties, &defaults);
        // The bounded mode learns that a partition is read to its end from these events.
        cfg.set("enable.partition.eof", "true");
        let consumer: BaseConsumer =
            cfg.create().map_err(|e| classify(&source.properties, &source.topic, timeout, "cannot create a consumer", e))?;
        let partitions = partitions_with(&consumer, &source.properties, &source.topic, timeout)?;
        let mine: Vec<i32> = partitions.into_iter().filter(|p| (*p as usize) % peers.max(1) == worker).collect();
        let mut tpl = TopicPartitionList::new();
        for &p in &mine {
            let offset = match &source.startup {
                StartupMode::Earliest => Offset::Beginning,
                StartupMode::Latest => Offset::End,
                StartupMode::GroupOffsets => Offset::Stored,
                StartupMode::SpecificOffsets(list) => {
                    list.iter().find(|(q, _)| *q == p).map_or(Offset::Beginning, |(_, o)| Offset::Offset(*o))
                }
            };
            tpl.add_partition_offset(&source.topic, p, offset)
                .map_err(|e| classify(&source.properties, &source.topic, timeout, "cannot set a start offset", e))?;
        }
        if !mine.is_empty() {
            consumer.assign(&tpl).map_err(|e| classify(&source.properties, &source.topic, timeout, "cannot assign partitions", e))?;
        }
        let now = Instant::now();
        let parts = mine
            .iter()
            .map(|&partition| PartitionState {
                partition,
                next_offset: None,
                stop: None,
                done: false,
                last_message: now,
                eof: false,
                floor: None,
            })
            .collect();
        let buffers = mine.iter().map(|_| MessageBuffer::new(&source.format)).collect();
        let topic_c = CString::new(source.topic.clone()).map_err(|_| KafkaError::MissingTopic {
            topic: source.topic.escape_debug().to_string(),
            servers: source.bootstrap().to_string(),
        })?;
        Ok(TopicReader { consumer, source: source.clone(), topic_c, parts, buffers })
    }

    fn index_of(&self, partition: i32) -> Option<usize> {
        self.parts.iter().position(|p| p.partition == partition)
    }

    /// The high watermark of `partition` as of the last fetch response the client had for it
    /// (`None` before the first). This is librdkafka's cached value, not a ListOffsets request:
    /// some brokers' ListOffsets(latest) answer is off by a batch, while the fetch response's is
    /// right.
    fn cached_high_watermark(&self, partition: i32) -> Option<i64> {
        let (mut low, mut high) = (-1i64, -1i64);
        // SAFETY: the client pointer is valid while `self.consumer` lives; the topic is a
        // NUL-terminated string we own; `low` and `high` are valid for writes. The call only reads
        // the client's cached partition state under its own lock.
        let err = unsafe {
            rdkafka::bindings::rd_kafka_get_watermark_offsets(
                self.consumer.client().native_ptr(),
                self.topic_c.as_ptr(),
                partition,
                &mut low,
                &mut high,
            )
        };
        (err == rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0).then_some(high)
    }

    /// Polls what the client has fetched, without waiting, into `buffers`: at most
    /// `max_messages` messages or about `max_bytes` bytes. Returns the number of messages.
    pub fn poll(&mut self, max_messages: usize, max_bytes: usize) -> Result<usize, KafkaError> {
        let (mut n, mut bytes) = (0usize, 0usize);
        let now = Instant::now();
        while n < max_messages && bytes < max_bytes {
            match self.consumer.poll(Duration::ZERO) {
                None => break,
                Some(Err(rdkafka::error::KafkaError::PartitionEOF(p))) => {
                    if let Some(i) = self.index_of(p) {
                        self.parts[i].eof = true;
                    }
                }
                Some(Err(e)) => {
                    // The client retries transport errors itself; a missing topic or a refusal
                    // will not get better.
                    let fatal = matches!(
                        e.rdkafka_error_code(),
                        Some(
                            rdkafka::types::RDKafkaErrorCode::UnknownTopicOrPartition
                                | rdkafka::types::RDKafkaErrorCode::UnknownTopic
                                | rdkafka::types::RDKafkaErrorCode::TopicAuthorizationFailed
                                | rdkafka::types::RDKafkaErrorCode::SaslAuthenticationFailed
                        )
                    );
                    if fatal {
                        return Err(classify(
                            &self.source.properties,
                            &self.source.topic,
                            self.source.connect_timeout_ms,
                            "cannot read",
                            e,
                        ));
                    }
                }
                Some(Ok(m)) => {
                    let Some(i) = self.index_of(m.partition()) else { continue };
                    let offset = m.offset();
                    if self.source.startup == StartupMode::Latest {
                        // Known by now: the client handles a fetch response's high watermark
                        // before handing out its messages.
                        if self.parts[i].floor.is_none() {
                            self.parts[i].floor = self.cached_high_watermark(self.parts[i].partition);
                        }
                        if self.parts[i].floor.is_some_and(|f| offset < f) {
                            self.parts[i].next_offset = Some(offset + 1);
                            continue;
                        }
                    }
                    let part = &mut self.parts[i];
                    if part.done || part.stop.is_some_and(|s| offset >= s) {
                        // Past the end of a bounded partition.
                        part.done = true;
                        continue;
                    }
                    part.eof = false;
                    part.next_offset = Some(offset + 1);
                    part.last_message = now;
                    let value = m.payload();
                    bytes += value.map_or(0, <[u8]>::len);
                    self.buffers[i].push(value, offset, m.timestamp().to_millis());
                    n += 1;
                }
            }
        }
        if self.source.startup == StartupMode::Latest {
            // As early as the client knows it, so the floor is the first response's.
            for i in 0..self.parts.len() {
                if self.parts[i].floor.is_none() {
                    self.parts[i].floor = self.cached_high_watermark(self.parts[i].partition);
                }
            }
        }
        if self.source.bounded {
            self.update_ends();
        }
        Ok(n)
    }

    /// Bounded mode: learns each partition's end from its first fetch response, and marks the
    /// partitions read up to it as done (their fetching paused).
    fn update_ends(&mut self) {
        let mut finished = TopicPartitionList::new();
        for i in 0..self.parts.len() {
            if self.parts[i].done {
                continue;
            }
            if self.parts[i].stop.is_none() {
                self.parts[i].stop = self.cached_high_watermark(self.parts[i].partition);
            }
            let p = &mut self.parts[i];
            let Some(stop) = p.stop else { continue };
            // At EOF the client has delivered everything up to the high watermark of a fetch
            // response at least as recent as the first one.
            if p.eof || p.next_offset.is_some_and(|o| o >= stop) {
                p.done = true;
                finished.add_partition(&self.source.topic, p.partition);
            }
        }
        if finished.count() > 0 {
            // Nothing more is wanted from them; a failure to pause only costs fetched bytes.
            let _ = self.consumer.pause(&finished);
        }
    }

    /// Bounded mode: every partition of this worker is read to its end (true at once for a
    /// worker without partitions).
    pub fn all_done(&self) -> bool {
        self.source.bounded && self.parts.iter().all(|p| p.done)
    }

    /// The next offset to read per partition read from so far.
    pub fn positions(&self) -> Vec<(i32, i64)> {
        self.parts.iter().filter_map(|p| p.next_offset.map(|o| (p.partition, o))).collect()
    }

    /// The topic read.
    pub fn topic(&self) -> &str {
        &self.source.topic
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{CsvOptions, FileSource, OnError};
    use vstream_repr::{DataType, Datum, Field, Schema};

    fn schema() -> Schema {
        Schema::new(vec![Field::new("a", DataType::BigInt), Field::new("s", DataType::Varchar)])
    }

    fn decoder(format: Format) -> RecordDecoder {
        let src = FileSource { path: "topic".into(), format, on_error: OnError::Skip, rejects: None };
        RecordDecoder::new(&src, &schema(), &[0, 1])
    }

    #[test]
    fn json_messages_decode_in_one_call() {
        let mut buf = MessageBuffer::new(&Format::JsonLines);
        buf.push(Some(b"{\"a\": 1, \"s\": \"x\"}\n"), 10, Some(1000));
        buf.push(None, 11, None);
        buf.push(Some(b"{\"a\": \"oops\"}"), 12, None);
        buf.push(Some(b"{\"a\":\n 3}"), 13, Some(3000));
        let mut d = decoder(Format::JsonLines);
        let got = buf.decode(&mut d, true);
        let batch = got.batch.expect("rows");
        assert_eq!(batch.len, 2);
        assert_eq!(batch.row(1), vec![Datum::Int(3), Datum::Null]);
        assert_eq!(got.row_offsets, vec![10, 13]);
        assert_eq!(got.row_timestamps, vec![Some(1000), Some(3000)]);
        assert_eq!(got.rejects.len(), 1);
        assert_eq!(got.rejects[0].offset, 12);
        assert!(got.rejects[0].message.contains("column `a`"), "{}", got.rejects[0].message);
        assert_eq!(buf.tombstones, 1);
        assert!(buf.is_empty());
    }

    #[test]
    fn csv_messages() {
        let mut buf = MessageBuffer::new(&Format::Csv(CsvOptions::default()));
        buf.push(Some(b"1,x\r\n"), 0, None);
        buf.push(Some(b"2,y\nz"), 1, None);
        buf.push(Some(b"3"), 2, None);
        buf.push(Some(b"4,w"), 3, None);
        let got = buf.decode(&mut decoder(Format::Csv(CsvOptions::default())), true);
        assert_eq!(got.batch.expect("rows").len, 2);
        assert_eq!(got.row_offsets, vec![0, 3]);
        assert_eq!(got.rejects.iter().map(|r| r.offset).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn debezium_events_become_a_changelog() {
        let mut buf = MessageBuffer::new(&Format::DebeziumJson);
        buf.push(Some(br#"{"before":null,"after":{"a":1,"s":"x"},"op":"c"}"#), 0, None);
        buf.push(Some(br#"{"before":{"a":1,"s":"x"},"after":{"a":1,"s":"y"},"op":"u"}"#), 1, None);
        buf.push(Some(br#"{"before":{"a":"bad"},"after":{"a":2},"op":"u"}"#), 2, None);
        buf.push(Some(br#"{"before":null,"after":null,"op":"d"}"#), 3, None);
        buf.push(Some(br#"{"before":{"a":1,"s":"y"},"after":null,"op":"d"}"#), 4, None);
        let got = buf.decode(&mut decoder(Format::DebeziumJson), true);
        let batch = got.batch.expect("rows");
        let kinds: Vec<RowKind> = (0..batch.len).map(|i| batch.kind(i)).collect();
        // The half-bad update is dropped whole.
        assert_eq!(kinds, vec![RowKind::Insert, RowKind::UpdateBefore, RowKind::UpdateAfter, RowKind::Delete]);
        assert_eq!(batch.row(2), vec![Datum::Int(1), Datum::Str("y".into())]);
        assert_eq!(got.row_offsets, vec![0, 1, 1, 4]);
        assert_eq!(got.rejects.iter().map(|r| r.offset).collect::<Vec<_>>(), vec![2, 3]);
        assert!(got.rejects[1].message.contains("has no 'before' row"), "{:?}", got.rejects[1]);
    }

    #[test]
    fn offsets_serialise() {
        let e = EpochOffsets { time: 7, offsets: vec![(0, 42), (3, 9)] };
        let text = serde_json::to_string(&e).expect("serialise");
        assert_eq!(serde_json::from_str::<EpochOffsets>(&text).expect("read back"), e);
    }
}
