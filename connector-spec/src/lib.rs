//! The options of vstream's connectors, parsed from a table's `WITH (...)` into typed, plain data
//! ([`SourceSpec`], [`SinkSpec`]) and checked when the script is planned, with the option at fault
//! named for the planner to point at.
//!
//! This crate is what the planner needs of connectors, and nothing more: it links no client
//! library. The clients (the file reader and writer, the Kafka client with librdkafka) live in
//! `vstream-connectors`, which re-exports these types, so `vstream-plan` builds without them.

#![warn(missing_docs)]

pub mod kafka;
pub mod spec;

pub use spec::{
    ConnectorKind, CsvOptions, FileSink, FileSource, Format, LateRows, OnError, OptionError, SinkSpec, SourceSpec, TableConnector,
};
