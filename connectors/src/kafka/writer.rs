//! One worker's producer to a topic.

use super::KafkaSink;
use super::client::{KafkaError, classify, config, create_topic, topic_partitions};
use rdkafka::client::ClientContext;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Collects delivery failures, which the client reports from its poll.
#[derive(Default)]
struct Deliveries {
    failed: AtomicU64,
    first: Mutex<Option<String>>,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result {
            self.failed.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut first) = self.first.lock()
                && first.is_none()
            {
                *first = Some(e.to_string());
            }
        }
    }
}

/// Writes messages to one topic; the client batches them. Keyed messages go to the partition
/// of their key's murmur2 hash (as Java clients place them), others to any partition.
pub struct TopicWriter {
    producer: BaseProducer<Deliveries>,
    sink: KafkaSink,
}

impl TopicWriter {
    /// Connects (failing within the sink's connect timeout) and checks the topic is there. A
    /// missing topic is created when the sink says so, by the writer with `creator` set (one per
    /// job: concurrent creations of one topic race in some brokers, and tansu was seen to lose
    /// the first messages of a partition so); the others wait for it to appear.
    pub fn open(sink: &KafkaSink, creator: bool) -> Result<Self, KafkaError> {
        let timeout = sink.connect_timeout_ms;
        match topic_partitions(&sink.properties, &sink.topic, timeout) {
            Ok(_) => {}
            Err(KafkaError::MissingTopic { .. }) if sink.create_topic => {
                if creator {
                    create_topic(&sink.properties, &sink.topic, sink.partitions, timeout)?;
                }
                // Metadata may lag the creation for a moment.
                let deadline = Instant::now() + Duration::from_millis(timeout);
                loop {
                    match topic_partitions(&sink.properties, &sink.topic, timeout) {
                        Ok(_) => break,
                        Err(KafkaError::MissingTopic { .. }) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(e) => return Err(e),
        }
        let defaults = [
            // A changelog must reach the topic in order and once: without idempotence, a retried
            // request can reorder or repeat messages (Kafka's own clients default to it since
            // 3.0). It costs about a second at start with tansu.
            ("enable.idempotence", "true"),
            ("partitioner", "murmur2_random"),
            ("linger.ms", "5"),
            ("batch.num.messages", "10000"),
            ("queue.buffering.max.messages", "500000"),
            ("message.timeout.ms", "60000"),
        ];
        let producer = config(&sink.properties, &defaults)
            .create_with_context(Deliveries::default())
            .map_err(|e| classify(&sink.properties, &sink.topic, timeout, "cannot create a producer", e))?;
        Ok(TopicWriter { producer, sink: sink.clone() })
    }

    /// Queues one message (`value: None` is a tombstone); waits while the client's queue is full.
    pub fn send(&mut self, key: Option<&[u8]>, value: Option<&[u8]>) -> Result<(), KafkaError> {
        let mut record = BaseRecord::<[u8], [u8]>::to(&self.sink.topic);
        if let Some(k) = key {
            record = record.key(k);
        }
        if let Some(v) = value {
            record = record.payload(v);
        }
        loop {
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((e, r)) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::QueueFull) => {
                    // Serve delivery reports, which frees queue space.
                    self.producer.poll(Duration::from_millis(10));
                    self.check()?;
                    record = r;
                }
                Err((e, _)) => {
                    return Err(classify(&self.sink.properties, &self.sink.topic, self.sink.connect_timeout_ms, "cannot send", e));
                }
            }
        }
    }

    /// Serves delivery reports without waiting; fails if a message was not delivered.
    pub fn poll(&self) -> Result<(), KafkaError> {
        self.producer.poll(Duration::ZERO);
        self.check()
    }

    fn check(&self) -> Result<(), KafkaError> {
        let ctx = self.producer.context();
        let count = ctx.failed.load(Ordering::Relaxed);
        if count == 0 {
            return Ok(());
        }
        let first = ctx.first.lock().ok().and_then(|f| f.clone()).unwrap_or_default();
        Err(KafkaError::Delivery { topic: self.sink.topic.clone(), servers: self.sink.bootstrap().to_string(), count, first })
    }

    /// Waits until every queued message is delivered (or failed).
    pub fn flush(&mut self) -> Result<(), KafkaError> {
        let timeout = Duration::from_millis(self.sink.connect_timeout_ms.max(60_000));
        self.producer.flush(timeout).map_err(|e| {
            classify(&self.sink.properties, &self.sink.topic, self.sink.connect_timeout_ms, "cannot deliver the last messages", e)
        })?;
        self.check()
    }
}
