//! Sources and sinks: connector options, file chunking, record decoding into column batches, and
//! row encoding for sinks. Nothing here knows timely; the runtime wraps these in operators.
//!
//! Reading a file source, per worker:
//!
//! ```no_run
//! # use vstream_connectors::*;
//! # fn run(source: &FileSource, schema: &vstream_repr::Schema, worker: usize, workers: usize) -> Result<(), SourceError> {
//! let (file, len) = open_source(&source.path)?;
//! let mut decoder = RecordDecoder::new(source, schema, &[0, 2]);
//! let mut out = DecodeOutput::new();
//! for range in plan_chunks(len, DEFAULT_CHUNK_SIZE).into_iter().skip(worker).step_by(workers) {
//!     decoder.decode_chunk(&file, range, &mut out)?;
//!     for batch in out.batches.drain(..) { /* send it on */ }
//!     for reject in out.rejects.drain(..) { /* append reject.text to the rejects file */ }
//! }
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod chunks;
pub mod csv;
pub mod debezium;
pub mod decode;
pub mod error;
pub mod json;
mod json_nested;
pub mod kafka;
mod scan;
pub mod table;
pub mod writer;

pub use chunks::{ChunkReader, DEFAULT_CHUNK_SIZE, LineCounter, OwnedLines, open_source, plan_chunks};
pub use csv::CsvDecoder;
pub use debezium::DebeziumFileDecoder;
pub use decode::{DecodeOutput, Decoder, RecordDecoder, Reject, file_decoder};
pub use error::SourceError;
pub use json::JsonLinesDecoder;
pub use spec::{
    ConnectorKind, CsvOptions, FileSink, FileSource, Format, LateRows, OnError, OptionError, SinkSpec, SourceSpec, TableConnector,
};
pub use table::TableFormatter;
/// The connectors' options (plain data, in `vstream-connector-spec`, which the planner uses
/// without linking any client).
pub use vstream_connector_spec::spec;
pub use writer::RowEncoder;
