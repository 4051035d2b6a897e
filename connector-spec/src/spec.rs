//! Typed connector configurations, parsed from a table's `WITH (...)` options.
//!
//! Option names follow Flink's (`'connector'`, `'path'`, `'format'`, `'csv.field-delimiter'` ...), so
//! a Flink DDL moves over unchanged. Every option is checked: an unknown key is an error with the
//! closest known key as a hint, never silently ignored.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// An option that cannot be accepted. `key` names the option so the planner can point at it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct OptionError {
    /// The option at fault; `None` when none is (a missing `'connector'`, a table read that only
    /// takes writes), and the planner points at the table instead.
    pub key: Option<String>,
    /// The error text, quoting the option and its value.
    pub message: String,
    /// A suggestion shown under the error (the closest known key, the accepted values), if any.
    pub hint: Option<String>,
}

impl OptionError {
    pub(crate) fn new(key: Option<&str>, message: impl Into<String>) -> Self {
        OptionError { key: key.map(str::to_string), message: message.into(), hint: None }
    }
}

/// What to do with a record that cannot be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnError {
    /// Stop the run with the file, line and reason.
    Fail,
    /// Skip the record, count it, and write it to the rejects file if one is named.
    Skip,
}

/// The `'csv.*'` options.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvOptions {
    /// The first line is a header (skipped when reading, written when writing).
    pub header: bool,
    /// `'csv.field-delimiter'`: one ASCII byte (`'\t'` for a tab), `,` by default; never a line break.
    pub delimiter: u8,
    /// `'csv.quote-character'`: one ASCII byte, `"` by default; never a line break nor the delimiter.
    pub quote: u8,
    /// Text that reads as NULL besides the empty field.
    pub null_literal: Option<String>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { header: false, delimiter: b',', quote: b'"', null_literal: None }
    }
}

/// How records are encoded (`'format'`, or `'value.format'` on Kafka tables); CSV by default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    /// `'csv'`: one record per line.
    Csv(CsvOptions),
    /// One JSON object per line; fields by column name.
    JsonLines,
    /// Debezium change events, one per line: `{"before":…,"after":…,"op":"c"|"d"}`. Written as
    /// Flink writes it: an insert or the new row of an update is a create (`c`), a retraction or
    /// the old row of an update is a delete (`d`). Read by Kafka and file sources (`c`/`r`, `u`, `d`).
    DebeziumJson,
}

impl Format {
    /// The `'format'` value that names it (`csv`, `json`, `debezium-json`).
    pub fn name(&self) -> &'static str {
        match self {
            Format::Csv(_) => "csv",
            Format::JsonLines => "json",
            Format::DebeziumJson => "debezium-json",
        }
    }
}

/// A file source: where, how it is encoded, and what happens to bad records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSource {
    /// Resolved against the script's folder.
    pub path: PathBuf,
    /// The record encoding; [`Format::DebeziumJson`]: a changelog, read in file order by one worker.
    pub format: Format,
    /// `'csv.on-error'` or `'json.on-error'`: fail (the default) or skip undecodable records.
    pub on_error: OnError,
    /// Skipped records are appended here, as their original text, when set.
    pub rejects: Option<PathBuf>,
}

impl FileSource {
    /// Whether the file is a changelog of its table (Debezium change events), not inserts only.
    pub fn is_changelog(&self) -> bool {
        self.format == Format::DebeziumJson
    }
}

/// What a table is when a query reads it, from [`TableConnector::source`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceSpec {
    /// A file, read in chunks by every worker.
    File(FileSource),
    /// A Kafka topic; see [`crate::kafka`]. Boxed: it is much larger than a file source.
    Kafka(Box<crate::kafka::KafkaSource>),
}

/// A file sink. `path` is a folder of part files, one per worker, unless `single_file`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSink {
    /// `'path'`, resolved against the script's folder.
    pub path: PathBuf,
    /// The record encoding; a CSV sink writes a header unless `'csv.header'` is `'false'`.
    pub format: Format,
    /// One file at `path`, written by one worker, instead of a folder of parts.
    pub single_file: bool,
    /// `'sink.mode' = 'upsert'`: a changelog is folded and only the final row per key is written,
    /// when the input ends (instead of every change, with an `op` column).
    pub upsert: bool,
}

/// What a table is when a query writes to it, from [`TableConnector::sink`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SinkSpec {
    /// Files: a folder of part files, or one file.
    File(FileSink),
    /// Rows to standard output: an aligned table on a terminal, CSV otherwise.
    Stdout,
    /// Discards rows and counts them (Flink's `blackhole`), for benchmarks.
    Blackhole,
    /// A Kafka topic; see [`crate::kafka`]. Boxed: it is much larger than the others.
    Kafka(Box<crate::kafka::KafkaSink>),
}

/// Whether a changelog written by a sink in `format` (`upsert`: folded by key) carries an `op`
/// column; see [`SinkSpec::writes_op_column`].
pub(crate) fn writes_op_column(upsert: bool, format: &Format) -> bool {
    !upsert && *format != Format::DebeziumJson
}

impl SinkSpec {
    /// Whether a changelog written here carries an `op` column (`+I`/`-U`/`+U`/`-D`) before its
    /// columns: not where rows are folded by key (`'sink.mode' = 'upsert'`), nor where the format
    /// says each row's kind itself (Debezium), nor where nothing is written. (Stdout may still
    /// fold a changelog into its result: the runtime decides that.)
    pub fn writes_op_column(&self) -> bool {
        match self {
            SinkSpec::File(f) => writes_op_column(f.upsert, &f.format),
            SinkSpec::Kafka(k) => k.writes_op_column(),
            SinkSpec::Stdout => true,
            SinkSpec::Blackhole => false,
        }
    }

    /// One line for `explain`: the connector and its main options.
    pub fn describe(&self) -> String {
        match self {
            SinkSpec::File(f) => {
                let kind = if f.single_file { "file" } else { "dir" };
                format!("file {kind}={} format={}", f.path.display(), f.format.name())
            }
            SinkSpec::Stdout => "stdout".to_string(),
            SinkSpec::Blackhole => "blackhole".to_string(),
            SinkSpec::Kafka(k) => k.describe(),
        }
    }
}

impl SourceSpec {
    /// Whether the source's rows are a changelog of its table (rows come and go) rather than
    /// inserts only: a Debezium topic or file.
    pub fn is_changelog(&self) -> bool {
        match self {
            SourceSpec::File(f) => f.is_changelog(),
            SourceSpec::Kafka(k) => k.format == Format::DebeziumJson,
        }
    }

    /// One line for `explain`: the connector and its main options.
    pub fn describe(&self) -> String {
        match self {
            SourceSpec::File(f) => {
                let mut s = format!("file path={} format={}", f.path.display(), f.format.name());
                if f.on_error == OnError::Skip {
                    s.push_str(" on-error=skip");
                }
                s
            }
            SourceSpec::Kafka(k) => k.describe(),
        }
    }
}

/// See [`TableConnector::late_rows`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LateRows {
    /// Milliseconds behind the watermark a row may be and still count (`'late.allowed-lateness'`, 0 by default).
    pub allowed_lateness: i64,
    /// The table late rows are written to (`'late.sink'`); `None`: they are dropped and counted.
    pub sink: Option<String>,
}

/// A table's connector, as its options declare it. A table may be read, written, or both; which
/// options make sense depends on the use, so the planner asks for [`TableConnector::source`] or
/// [`TableConnector::sink`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableConnector {
    /// The `'connector'` option as written (`'filesystem'` and `'file'` are one kind), for messages.
    pub connector: String,
    /// Which connector it is.
    pub kind: ConnectorKind,
    options: Vec<(String, String)>,
    base_dir: PathBuf,
}

/// The connectors vstream has: a closed set, so that every use of a table matches each kind by
/// name and a new connector is a compile error wherever it is not handled yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectorKind {
    /// `'file'` (or Flink's `'filesystem'`): a file source, or a folder of part files as a sink.
    File,
    /// `'kafka'`: a topic, read or written.
    Kafka,
    /// `'blackhole'`: a sink that discards its rows.
    Blackhole,
    /// `'print'` (or `'stdout'`): a sink that prints its rows.
    Print,
}

impl ConnectorKind {
    /// Every spelling of `'connector'` that names a kind.
    const NAMES: &[(&str, ConnectorKind)] = &[
        ("file", ConnectorKind::File),
        ("filesystem", ConnectorKind::File),
        ("kafka", ConnectorKind::Kafka),
        ("blackhole", ConnectorKind::Blackhole),
        ("print", ConnectorKind::Print),
        ("stdout", ConnectorKind::Print),
    ];

    /// The kind a `'connector'` value names, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMES.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
    }

    /// The options a table of this kind may have (besides Kafka's `'properties.*'`).
    fn keys(self) -> Vec<&'static str> {
        let (own, shared): (&[&str], &[&str]) = match self {
            ConnectorKind::File => (FILE_KEYS, FORMAT_AND_LATE_KEYS),
            ConnectorKind::Kafka => (crate::kafka::KAFKA_KEYS, FORMAT_AND_LATE_KEYS),
            ConnectorKind::Blackhole | ConnectorKind::Print => (&["connector"], &[]),
        };
        own.iter().chain(shared).copied().collect()
    }
}
/// `'sink.mode'`: a changelog (the default), or upserts (is it upsert?).
pub(crate) const SINK_MODES: &[(&str, bool)] = &[("changelog", false), ("upsert", true)];

/// The options a file table takes besides [`FORMAT_AND_LATE_KEYS`].
const FILE_KEYS: &[&str] = &["connector", "path", "sink.single-file"];

/// The record format's and late rows' options, which file and Kafka tables share (a Kafka table
/// refuses some of them with a reason when it is used: a message has no header line).
pub(crate) const FORMAT_AND_LATE_KEYS: &[&str] = &[
    "format",
    "csv.header",
    "csv.field-delimiter",
    "csv.quote-character",
    "csv.null-literal",
    "csv.on-error",
    "csv.rejects",
    "json.on-error",
    "json.rejects",
    "sink.mode",
    "late.policy",
    "late.sink",
    "late.allowed-lateness",
];

fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates.iter().map(|c| (strsim::levenshtein(word, c), *c)).filter(|(d, c)| *d <= 2.max(c.len() / 3)).min().map(|(_, c)| c)
}

impl TableConnector {
    /// Checks the options that every use shares: a known connector, known keys.
    pub fn from_options(options: &[(String, String)], base_dir: &Path) -> Result<Self, OptionError> {
        let connector = options
            .iter()
            .find(|(k, _)| k == "connector")
            .map(|(_, v)| v.clone())
            .ok_or_else(|| OptionError::new(None, "missing option 'connector' (e.g. 'connector' = 'file')"))?;
        let Some(kind) = ConnectorKind::from_name(&connector) else {
            let names: Vec<&str> = ConnectorKind::NAMES.iter().map(|(n, _)| *n).collect();
            let mut e = OptionError::new(Some("connector"), format!("unknown connector '{connector}'"));
            e.hint = Some(match closest(&connector, &names) {
                Some(c) => format!("did you mean '{c}'? known connectors: file, kafka, blackhole, print"),
                None => "known connectors: file, kafka, blackhole, print".to_string(),
            });
            return Err(e);
        };
        let allowed = kind.keys();
        for (k, _) in options {
            // `properties.*` go to the Kafka client as they are (librdkafka checks them).
            let passthrough = kind == ConnectorKind::Kafka && k.starts_with("properties.");
            if !passthrough && !allowed.contains(&k.as_str()) {
                let mut e = OptionError::new(Some(k), format!("unknown option '{k}' for connector '{connector}'"));
                e.hint = closest(k, &allowed).map(|c| format!("did you mean '{c}'?"));
                return Err(e);
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (k, _) in options {
            if !seen.insert(k) {
                return Err(OptionError::new(Some(k), format!("option '{k}' is given twice")));
            }
        }
        Ok(TableConnector { connector, kind, options: options.to_vec(), base_dir: base_dir.to_path_buf() })
    }

    pub(crate) fn options(&self) -> &[(String, String)] {
        &self.options
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.options.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The value of option `key`: one of `choices` (how it is written, what it means), the first
    /// when the option is absent. Anything else is an error that lists the choices.
    pub(crate) fn choice<T: Clone>(&self, key: &str, choices: &[(&str, T)]) -> Result<T, OptionError> {
        let Some(v) = self.get(key) else { return Ok(choices[0].1.clone()) };
        choices.iter().find(|(name, _)| *name == v).map(|(_, meaning)| meaning.clone()).ok_or_else(|| {
            let names: Vec<String> = choices.iter().map(|(name, _)| format!("'{name}'")).collect();
            let list = match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                _ => names.concat(),
            };
            OptionError::new(Some(key), format!("option '{key}' must be {list}, not '{v}'"))
        })
    }

    /// A `'true'`/`'false'` option (any case), `default` when absent.
    pub(crate) fn flag(&self, key: &str, default: bool) -> Result<bool, OptionError> {
        match self.get(key).map(|v| v.to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if v == "true" => Ok(true),
            Some(v) if v == "false" => Ok(false),
            Some(v) => Err(OptionError::new(Some(key), format!("option '{key}' must be 'true' or 'false', not '{v}'"))),
        }
    }

    fn single_byte(&self, key: &str, default: u8) -> Result<u8, OptionError> {
        match self.get(key) {
            None => Ok(default),
            Some("\\t") => Ok(b'\t'),
            Some(v) if v.len() == 1 && v.is_ascii() => Ok(v.as_bytes()[0]),
            Some(v) => Err(OptionError::new(Some(key), format!("option '{key}' must be one ASCII character, not '{v}'"))),
        }
    }

    fn path(&self, key: &str) -> Result<PathBuf, OptionError> {
        let p = self.get(key).ok_or_else(|| OptionError::new(None, format!("connector '{}' needs option '{key}'", self.connector)))?;
        Ok(self.base_dir.join(p))
    }

    /// Refuses options that do not apply: those of the other format, and those of the other role
    /// (a sink's `sink.*` on a source, a source's `*.on-error`/`*.rejects` on a sink). An option that
    /// would be ignored is an error, never a silent no-op.
    pub(crate) fn check_applicable(&self, format: &Format, role: &str) -> Result<(), OptionError> {
        let other = match format {
            Format::Csv(_) => "json.",
            Format::JsonLines | Format::DebeziumJson => "csv.",
        };
        for (k, _) in &self.options {
            if k.starts_with(other) {
                let mut e = OptionError::new(Some(k), format!("option '{k}' does not apply to format '{}'", format.name()));
                let twin = format!("{}.{}", format.name(), k.strip_prefix(other).unwrap_or(k));
                e.hint = Some(if FORMAT_AND_LATE_KEYS.contains(&twin.as_str()) {
                    format!("did you mean '{twin}'?")
                } else {
                    format!("options of format '{}' start with '{}.'", format.name(), format.name())
                });
                return Err(e);
            }
            let source_only = k.ends_with(".on-error") || k.ends_with(".rejects") || k.starts_with("late.") || k.starts_with("scan.");
            let sink_only = k.starts_with("sink.");
            if (role == "sink" && source_only) || (role == "source" && sink_only) {
                let what = if source_only { "reading" } else { "writing" };
                return Err(OptionError::new(Some(k), format!("option '{k}' applies only to {what}, and this table is used as a {role}")));
            }
        }
        Ok(())
    }

    pub(crate) fn format(&self) -> Result<Format, OptionError> {
        // `'value.format'` is how Kafka tables may name it (only they accept the key).
        let format = self.get("format").or(self.get("value.format")).unwrap_or("csv");
        match format {
            "csv" => {
                let opts = CsvOptions {
                    header: self.flag("csv.header", false)?,
                    delimiter: self.single_byte("csv.field-delimiter", b',')?,
                    quote: self.single_byte("csv.quote-character", b'"')?,
                    null_literal: self.get("csv.null-literal").map(str::to_string),
                };
                // Records are lines, so neither may be a line break; and they must differ.
                for (key, b) in [("csv.field-delimiter", opts.delimiter), ("csv.quote-character", opts.quote)] {
                    if b == b'\n' || b == b'\r' {
                        return Err(OptionError::new(Some(key), format!("option '{key}' cannot be a line break")));
                    }
                }
                if opts.delimiter == opts.quote {
                    return Err(OptionError::new(
                        Some("csv.quote-character"),
                        "options 'csv.field-delimiter' and 'csv.quote-character' must differ",
                    ));
                }
                Ok(Format::Csv(opts))
            }
            "json" | "json-lines" | "jsonl" => Ok(Format::JsonLines),
            "debezium-json" => Ok(Format::DebeziumJson),
            other => {
                let mut e = OptionError::new(Some("format"), format!("unknown format '{other}'"));
                e.hint = Some("known formats: csv, json".to_string());
                Err(e)
            }
        }
    }

    /// A source's `'csv.on-error'`/`'json.on-error'` and `'*.rejects'` (resolved against the
    /// script's folder).
    pub(crate) fn on_error(&self, format: &Format) -> Result<(OnError, Option<PathBuf>), OptionError> {
        let prefix = if matches!(format, Format::Csv(_)) { "csv" } else { "json" };
        let on_error = self.choice(&format!("{prefix}.on-error"), &[("fail", OnError::Fail), ("skip", OnError::Skip)])?;
        let rejects = self.get(&format!("{prefix}.rejects")).map(|p| self.base_dir.join(p));
        Ok((on_error, rejects))
    }

    /// The source this table is when a query reads it.
    pub fn source(&self) -> Result<SourceSpec, OptionError> {
        match self.kind {
            ConnectorKind::File => {
                let format = self.format()?;
                self.check_applicable(&format, "source")?;
                let (on_error, rejects) = self.on_error(&format)?;
                Ok(SourceSpec::File(FileSource { path: self.path("path")?, format, on_error, rejects }))
            }
            ConnectorKind::Kafka => Ok(SourceSpec::Kafka(Box::new(crate::kafka::KafkaSource::from_table(self)?))),
            // No key: the error is where the table is read, not in its declaration.
            ConnectorKind::Blackhole | ConnectorKind::Print => {
                Err(OptionError::new(None, format!("connector '{}' cannot be read from, only written to", self.connector)))
            }
        }
    }

    /// What happens to rows behind the table's watermark (`'late.*'` options): rows up to
    /// `allowed_lateness` ms late still count, later ones are dropped, or written to `sink`.
    pub fn late_rows(&self) -> Result<LateRows, OptionError> {
        let allowed_lateness = match self.get("late.allowed-lateness") {
            None => 0,
            Some(v) => vstream_repr::window::parse_duration(v).filter(|ms| *ms >= 0).ok_or_else(|| {
                let mut e = OptionError::new(
                    Some("late.allowed-lateness"),
                    format!("option 'late.allowed-lateness' must be a duration such as '5 s' or '500 ms', not '{v}'"),
                );
                e.hint = Some("units: ms, s, min, h, d".to_string());
                e
            })?,
        };
        let side_output = self.choice("late.policy", &[("drop", false), ("side-output", true)])?;
        let sink = match (side_output, self.get("late.sink")) {
            (false, None) => None,
            (true, Some(sink)) => Some(sink.to_string()),
            (true, None) => {
                return Err(OptionError::new(Some("late.policy"), "'late.policy' = 'side-output' needs 'late.sink' = 'table'"));
            }
            (false, Some(_)) => {
                let mut e = OptionError::new(Some("late.sink"), "option 'late.sink' needs 'late.policy' = 'side-output'");
                e.hint = Some("without it, late rows are dropped and counted".to_string());
                return Err(e);
            }
        };
        Ok(LateRows { allowed_lateness, sink })
    }

    /// Whether any `'late.*'` option is given (they need a WATERMARK to mean anything).
    pub fn late_option(&self) -> Option<&str> {
        self.options.iter().map(|(k, _)| k.as_str()).find(|k| k.starts_with("late."))
    }

    /// The sink this table is when a query writes to it.
    pub fn sink(&self) -> Result<SinkSpec, OptionError> {
        match self.kind {
            ConnectorKind::File => Ok(SinkSpec::File(FileSink {
                path: self.path("path")?,
                format: match self.format().and_then(|f| self.check_applicable(&f, "sink").map(|()| f))? {
                    // Sinks write a header unless told not to, so part files are self-describing.
                    Format::Csv(mut o) => {
                        o.header = self.flag("csv.header", true)?;
                        Format::Csv(o)
                    }
                    f => f,
                },
                single_file: self.flag("sink.single-file", false)?,
                upsert: self.choice("sink.mode", SINK_MODES)?,
            })),
            ConnectorKind::Kafka => Ok(SinkSpec::Kafka(Box::new(crate::kafka::KafkaSink::from_table(self)?))),
            ConnectorKind::Blackhole => Ok(SinkSpec::Blackhole),
            ConnectorKind::Print => Ok(SinkSpec::Stdout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn unknown_option_has_hint() {
        let e = TableConnector::from_options(&opts(&[("connector", "file"), ("csv.heder", "true")]), Path::new(".")).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("csv.heder"));
        assert_eq!(e.hint.as_deref(), Some("did you mean 'csv.header'?"));
    }

    #[test]
    fn csv_source_options() {
        let t = TableConnector::from_options(
            &opts(&[("connector", "file"), ("path", "x.csv"), ("csv.field-delimiter", ";"), ("csv.on-error", "skip")]),
            Path::new("/base"),
        )
        .unwrap();
        let SourceSpec::File(f) = t.source().unwrap() else { panic!("not a file source") };
        assert_eq!(f.path, PathBuf::from("/base/x.csv"));
        assert_eq!(f.on_error, OnError::Skip);
        assert!(matches!(f.format, Format::Csv(CsvOptions { delimiter: b';', .. })));
    }

    #[test]
    fn delimiter_must_be_usable() {
        let t = TableConnector::from_options(
            &opts(&[("connector", "file"), ("path", "x.csv"), ("csv.field-delimiter", "'"), ("csv.quote-character", "'")]),
            Path::new("."),
        )
        .unwrap();
        assert_eq!(t.source().unwrap_err().key.as_deref(), Some("csv.quote-character"));
        let t =
            TableConnector::from_options(&opts(&[("connector", "file"), ("path", "x.csv"), ("csv.field-delimiter", "\n")]), Path::new("."))
                .unwrap();
        assert_eq!(t.source().unwrap_err().message, "option 'csv.field-delimiter' cannot be a line break");
        let t =
            TableConnector::from_options(&opts(&[("connector", "file"), ("path", "x.csv"), ("csv.field-delimiter", "\t")]), Path::new("."))
                .unwrap();
        assert!(matches!(
            t.source().unwrap(),
            SourceSpec::File(FileSource { format: Format::Csv(CsvOptions { delimiter: b'\t', .. }), .. })
        ));
    }

    #[test]
    fn choice_options_name_their_choices() {
        let t = |kv: &[(&str, &str)]| TableConnector::from_options(&opts(kv), Path::new(".")).unwrap();
        let e = t(&[("connector", "file"), ("path", "o"), ("sink.mode", "upsrt")]).sink().unwrap_err();
        assert_eq!(e.key.as_deref(), Some("sink.mode"));
        assert_eq!(e.message, "option 'sink.mode' must be 'changelog' or 'upsert', not 'upsrt'");
        let e = t(&[("connector", "file"), ("path", "x.csv"), ("late.policy", "keep")]).late_rows().unwrap_err();
        assert_eq!(e.message, "option 'late.policy' must be 'drop' or 'side-output', not 'keep'");
        let e = t(&[("connector", "file"), ("path", "x.csv"), ("csv.on-error", "ignore")]).source().unwrap_err();
        assert_eq!(e.key.as_deref(), Some("csv.on-error"));
        assert_eq!(e.message, "option 'csv.on-error' must be 'fail' or 'skip', not 'ignore'");
        // Absent: the first choice.
        let SinkSpec::File(f) = t(&[("connector", "file"), ("path", "o")]).sink().unwrap() else { panic!("not a file sink") };
        assert!(!f.upsert);
        assert_eq!(t(&[("connector", "file"), ("path", "x.csv")]).late_rows().unwrap().sink, None);
    }

    #[test]
    fn unknown_connector() {
        let e = TableConnector::from_options(&opts(&[("connector", "kafak")]), Path::new(".")).unwrap_err();
        assert!(e.message.contains("unknown connector 'kafak'"));
    }
}
