//! What can fail while a dataflow runs, by kind: the first failure of a run is kept as a
//! [`DataflowError`] in the run's `ErrorSlot`, which every source checks so that all workers
//! stop promptly. Each kind carries its context (the input and place of a bad record, the query
//! and group of an overflow, the sink of a write error), and its message is the one-line text
//! the CLI prints after `error: `.

use std::path::PathBuf;
use vstream_connectors::SourceError;
use vstream_connectors::kafka::KafkaError;

/// A failure of a running dataflow.
#[derive(Debug, thiserror::Error)]
pub enum DataflowError {
    /// A record a source cannot decode, under `'on-error' = 'fail'`: `place` names it as the
    /// user finds it (`data/bids.csv:17`, or a Kafka topic, partition and offset).
    #[error("{place}: {message}")]
    BadRecord {
        /// The file or topic it was read from.
        input: String,
        /// Where in it: `path:line`, or `Kafka topic 't' partition p offset o`.
        place: String,
        /// What is wrong with it.
        message: String,
    },
    /// A value a query cannot compute: an aggregate's overflow, an expression's error (an
    /// overflow, a bad cast). `group` names the aggregate's group, when there is one.
    #[error("{operator}: {message}{}", group.as_ref().map(|g| format!(" for {g}")).unwrap_or_default())]
    Compute {
        /// The query, by the table it writes (`query into `out``).
        operator: String,
        /// `the group ('a', 3)` or `the global aggregate`.
        group: Option<String>,
        /// The error itself.
        message: String,
    },
    /// An expression that fails on a row (a bad cast, an overflow, an invalid argument), under
    /// its source's `'on-error' = 'fail'`: `data/bids.csv:17: query into `out`, column `n`
    /// (CAST(extra AS INT)): cannot cast "x" to INT`.
    #[error(
        "{}{query}{}: {message}",
        place.as_ref().map(|p| format!("{p}: ")).unwrap_or_default(),
        column.as_ref().map(|c| format!(", {c}")).unwrap_or_default()
    )]
    RowCompute {
        /// Where the row was read from (`path:line`, or a Kafka topic, partition and offset);
        /// `None` for a row an operator made (after an aggregate, an exchange).
        place: Option<String>,
        /// The query, by the table it writes (`query into `out``).
        query: String,
        /// What failed: ``column `n` (CAST(extra AS INT))``, `the WHERE clause (...)`; `None`
        /// when no single row fails.
        column: Option<String>,
        /// The expression's error.
        message: String,
    },
    /// A source file that cannot be opened or read.
    #[error("cannot read {}: {error}", path.display())]
    SourceIo {
        /// The file, as the user wrote it.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A Kafka source or sink that cannot reach its broker, read or deliver.
    #[error("{}", match sink { Some(s) => format!("sink `{s}`: {error}"), None => error.to_string() })]
    Kafka {
        /// The sink's table, for a sink; `None` for a source.
        sink: Option<String>,
        /// The client's error.
        error: KafkaError,
    },
    /// The rejects file cannot be written.
    #[error("cannot write the rejects file: {error}")]
    RejectsIo {
        /// Why.
        error: std::io::Error,
    },
    /// A sink that cannot be opened for writing.
    #[error("cannot prepare sink `{sink}` at {}: {error}", path.display())]
    SinkSetup {
        /// The sink's table.
        sink: String,
        /// The file it writes.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A sink that cannot write its rows.
    #[error("sink `{sink}`: {error}")]
    SinkIo {
        /// The sink's name (its operator's name).
        sink: String,
        /// Why.
        error: std::io::Error,
    },
    /// A sink whose options do not fit its rows (found when it starts).
    #[error("sink `{sink}`: {message}")]
    SinkConfig {
        /// The sink's table.
        sink: String,
        /// What does not fit.
        message: String,
    },
    /// A worker thread that panicked (a bug), with its panic message when it had one.
    #[error("a worker stopped unexpectedly{}", why.as_ref().map(|w| format!(": {w}")).unwrap_or_default())]
    WorkerStopped {
        /// The panic message.
        why: Option<String>,
    },
    /// An invariant of the runtime that does not hold: a bug, reported rather than papered over.
    #[error("internal error: {message} (this is a vstream bug; please report it)")]
    Internal {
        /// Which invariant.
        message: String,
    },
}

impl DataflowError {
    /// An internal error: `message` says which invariant failed.
    pub fn internal(message: impl Into<String>) -> Self {
        DataflowError::Internal { message: message.into() }
    }

    /// A source's decoding or reading error, by kind.
    pub fn from_source(error: SourceError) -> Self {
        match error {
            SourceError::Io { path, source } => DataflowError::SourceIo { path, error: source },
            SourceError::BadRecord { path, line, message } => {
                DataflowError::BadRecord { input: path.display().to_string(), place: format!("{}:{line}", path.display()), message }
            }
        }
    }
}
