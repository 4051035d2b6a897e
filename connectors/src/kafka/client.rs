//! The Kafka client's configuration, errors, topic metadata and topic creation.

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::types::RDKafkaErrorCode;
use std::time::Duration;

/// Why a Kafka source or sink cannot go on. Every message names the broker address or the
/// topic, so the user knows where to look.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    /// The brokers did not answer in time.
    #[error("cannot reach Kafka at {servers} within {} s: {detail}", *timeout_ms as f64 / 1000.0)]
    Unreachable {
        /// The `bootstrap.servers` tried.
        servers: String,
        /// How long the client waited, in milliseconds (`'connect.timeout'`).
        timeout_ms: u64,
        /// The client's own error text.
        detail: String,
    },
    /// The topic is not there (sources; sinks unless `'sink.create-topic' = 'true'`).
    #[error("Kafka topic '{topic}' does not exist at {servers}")]
    MissingTopic {
        /// The topic asked for.
        topic: String,
        /// The `bootstrap.servers` asked.
        servers: String,
    },
    /// A message that cannot be decoded, under `'*.on-error' = 'fail'`.
    #[error("Kafka topic '{topic}' partition {partition} offset {offset}: {message}")]
    BadRecord {
        /// The topic read.
        topic: String,
        /// The message's partition.
        partition: i32,
        /// The message's offset in its partition.
        offset: i64,
        /// Why it cannot be decoded (the column and the text at fault).
        message: String,
    },
    /// Anything else the client reports, with what was being done.
    #[error("Kafka at {servers}: {context}: {source}")]
    Client {
        /// The `bootstrap.servers` the client was given.
        servers: String,
        /// What was being done (`cannot create a client`, `cannot send`).
        context: String,
        /// The client's error.
        // Boxed: the client's error is large, and errors travel through every `Result` here.
        #[source]
        source: Box<rdkafka::error::KafkaError>,
    },
    /// Messages the broker refused to take.
    #[error("Kafka topic '{topic}' at {servers}: {count} message(s) not delivered: {first}")]
    Delivery {
        /// The topic written.
        topic: String,
        /// The `bootstrap.servers` written to.
        servers: String,
        /// How many messages were not delivered.
        count: u64,
        /// The error of the first refused message (later ones are only counted).
        first: String,
    },
}

fn servers(properties: &[(String, String)]) -> String {
    super::bootstrap(properties).to_string()
}

/// A client configuration: vstream's defaults, then the table's `'properties.*'` (which win).
pub(crate) fn config(properties: &[(String, String)], defaults: &[(&str, &str)]) -> ClientConfig {
    let mut c = ClientConfig::new();
    for (k, v) in defaults {
        c.set(*k, *v);
    }
    for (k, v) in properties {
        c.set(k, v);
    }
    c
}

/// Maps a client error to [`KafkaError`]: a timeout or a transport failure is an unreachable
/// broker, an unknown topic a missing topic.
pub(crate) fn classify(
    properties: &[(String, String)],
    topic: &str,
    timeout_ms: u64,
    context: &str,
    e: rdkafka::error::KafkaError,
) -> KafkaError {
    let servers = servers(properties);
    match e.rdkafka_error_code() {
        Some(
            RDKafkaErrorCode::OperationTimedOut
            | RDKafkaErrorCode::BrokerTransportFailure
            | RDKafkaErrorCode::AllBrokersDown
            | RDKafkaErrorCode::Resolve
            | RDKafkaErrorCode::RequestTimedOut,
        ) => KafkaError::Unreachable { servers, timeout_ms, detail: e.to_string() },
        Some(RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic) => {
            KafkaError::MissingTopic { topic: topic.to_string(), servers }
        }
        _ => KafkaError::Client { servers, context: context.to_string(), source: Box::new(e) },
    }
}

/// The partitions of `topic`, asked of the brokers with `timeout_ms` to answer.
pub(crate) fn partitions_with(
    consumer: &BaseConsumer,
    properties: &[(String, String)],
    topic: &str,
    timeout_ms: u64,
) -> Result<Vec<i32>, KafkaError> {
    // A connection the broker drops (or refuses, while it starts) is retried until the timeout:
    // only a broker that stays unreachable for that long is an error.
    let deadline = std::time::Instant::now() + Duration::from_millis(timeout_ms);
    let metadata = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match consumer.fetch_metadata(Some(topic), left.max(Duration::from_millis(1))) {
            Ok(m) => break m,
            Err(e) => {
                let e = classify(properties, topic, timeout_ms, "cannot read the topic's metadata", e);
                if !matches!(e, KafkaError::Unreachable { .. }) || std::time::Instant::now() + Duration::from_millis(100) >= deadline {
                    return Err(e);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    let Some(t) = metadata.topics().iter().find(|t| t.name() == topic) else {
        return Err(KafkaError::MissingTopic { topic: topic.to_string(), servers: servers(properties) });
    };
    if let Some(err) = t.error() {
        let code: RDKafkaErrorCode = err.into();
        return Err(match code {
            RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic => {
                KafkaError::MissingTopic { topic: topic.to_string(), servers: servers(properties) }
            }
            _ => KafkaError::Client {
                servers: servers(properties),
                context: format!("topic '{topic}'"),
                source: Box::new(rdkafka::error::KafkaError::MetadataFetch(code)),
            },
        });
    }
    let mut ps: Vec<i32> = t.partitions().iter().map(|p| p.id()).collect();
    if ps.is_empty() {
        // A topic being created can show no partitions for a moment; to the user it is missing.
        return Err(KafkaError::MissingTopic { topic: topic.to_string(), servers: servers(properties) });
    }
    ps.sort_unstable();
    Ok(ps)
}

/// The partitions of `topic`; fails within `timeout_ms` if no broker answers.
pub fn topic_partitions(properties: &[(String, String)], topic: &str, timeout_ms: u64) -> Result<Vec<i32>, KafkaError> {
    let consumer: BaseConsumer = config(properties, &[("allow.auto.create.topics", "false")])
        .create()
        .map_err(|e| classify(properties, topic, timeout_ms, "cannot create a client", e))?;
    partitions_with(&consumer, properties, topic, timeout_ms)
}

/// Creates `topic` with `partitions` partitions (replication 1); a topic that already exists is
/// fine.
pub fn create_topic(properties: &[(String, String)], topic: &str, partitions: i32, timeout_ms: u64) -> Result<(), KafkaError> {
    let admin: AdminClient<DefaultClientContext> =
        config(properties, &[]).create().map_err(|e| classify(properties, topic, timeout_ms, "cannot create an admin client", e))?;
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let opts = AdminOptions::new()
        .operation_timeout(Some(Duration::from_millis(timeout_ms)))
        .request_timeout(Some(Duration::from_millis(timeout_ms)));
    let results = block_on(admin.create_topics([&new], &opts))
        .map_err(|e| classify(properties, topic, timeout_ms, &format!("cannot create topic '{topic}'"), e))?;
    for r in results {
        if let Err((_, code)) = r
            && code != RDKafkaErrorCode::TopicAlreadyExists
        {
            return Err(classify(
                properties,
                topic,
                timeout_ms,
                &format!("cannot create topic '{topic}'"),
                rdkafka::error::KafkaError::AdminOp(code),
            ));
        }
    }
    Ok(())
}

/// Runs a future to completion on this thread. The admin client's futures are completed by its
/// own background thread, so no async runtime is needed, only a waker that unparks us.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => return v,
            std::task::Poll::Pending => std::thread::park(),
        }
    }
}
