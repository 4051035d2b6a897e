//! Kafka topics as sources and sinks, with options spelled as Flink's Kafka connector spells them.
//!
//! - [`KafkaSource`] / [`KafkaSink`]: the typed options of a `'connector' = 'kafka'` table.
//! - [`TopicReader`]: one worker's consumer of its share of a topic's partitions (assigned, not
//!   joined through a consumer group, so starting costs no group rebalance), with the bounded
//!   mode's end per partition and the offsets read so far.
//! - [`MessageBuffer`]: a partition's polled messages laid out one per line, decoded in one call
//!   by the same CSV/JSON decoders as files ([`crate::RecordDecoder::decode_records`]).
//! - [`TopicWriter`]: one worker's producer.
//!
//! Nothing here knows timely; `vstream-runtime` wraps these in operators.

mod client;
mod reader;
mod writer;

pub use client::{KafkaError, create_topic, topic_partitions};
pub use reader::{DecodedPartition, EpochOffsets, KafkaReject, MessageBuffer, PartitionState, TopicReader};
pub use writer::TopicWriter;

pub use vstream_connector_spec::kafka::*;
