//! The options of a `'connector' = 'kafka'` table, spelled as Flink's Kafka connector spells them:
//! [`KafkaSource`] and [`KafkaSink`], plain data checked at plan time. The client that reads and
//! writes topics is `vstream_connectors::kafka`, which links librdkafka; this module does not.

use crate::spec::{Format, OnError, OptionError, TableConnector};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use vstream_repr::DataType;

/// Options only a `'connector' = 'kafka'` table may have; it also takes the format and late-row
/// options of file tables (`spec::FORMAT_AND_LATE_KEYS`, some refused with a reason: a message is
/// one record) and any `'properties.*'` (passed to the Kafka client as they are, SASL/TLS settings
/// included).
pub const KAFKA_KEYS: &[&str] = &[
    "connector",
    "topic",
    "value.format",
    "key.format",
    "key.fields",
    "value.fields-include",
    "scan.startup.mode",
    "scan.startup.specific-offsets",
    "scan.bounded.mode",
    "scan.watermark.idle-timeout",
    "source.idle-timeout",
    "connect.timeout",
    "sink.create-topic",
    "sink.partitions",
];

/// Where a source starts reading each partition (`'scan.startup.mode'`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StartupMode {
    /// `'earliest-offset'` (the default): the oldest message kept.
    Earliest,
    /// `'latest-offset'`: only messages produced after the start.
    Latest,
    /// `'group-offsets'`: the offsets committed by `'properties.group.id'` (where none is, the
    /// client's `auto.offset.reset` decides).
    GroupOffsets,
    /// `'specific-offsets'` with `'scan.startup.specific-offsets' = 'partition:0,offset:42;...'`;
    /// partitions not listed start at the earliest offset.
    SpecificOffsets(Vec<(i32, i64)>),
}

/// A Kafka system column read as a table column (`ts TIMESTAMP(3) METADATA FROM 'timestamp'`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetadataField {
    /// The record's timestamp (TIMESTAMP(3); NULL when the record has none).
    Timestamp,
    /// The partition (INT or BIGINT).
    Partition,
    /// The offset in its partition (BIGINT).
    Offset,
}

impl MetadataField {
    /// The field of a `METADATA FROM 'key'` clause.
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "timestamp" => Some(MetadataField::Timestamp),
            "partition" => Some(MetadataField::Partition),
            "offset" => Some(MetadataField::Offset),
            _ => None,
        }
    }
    /// The key a `METADATA FROM` clause names it by (`timestamp`, `partition`, `offset`).
    pub fn key(self) -> &'static str {
        match self {
            MetadataField::Timestamp => "timestamp",
            MetadataField::Partition => "partition",
            MetadataField::Offset => "offset",
        }
    }
    /// Whether a column of type `ty` can hold this field.
    pub fn fits(self, ty: DataType) -> bool {
        match self {
            // Flink declares it TIMESTAMP_LTZ(3); both hold the record's epoch milliseconds.
            MetadataField::Timestamp => ty == DataType::TIMESTAMP || ty == DataType::TIMESTAMP_LTZ,
            MetadataField::Partition => matches!(ty, DataType::Int | DataType::BigInt),
            MetadataField::Offset => ty == DataType::BigInt,
        }
    }
}

/// A Kafka source: which topic, how to reach it, where to start and stop, how values are
/// encoded, and what happens to bad messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KafkaSource {
    /// `'topic'`: the one topic read, every partition of it.
    pub topic: String,
    /// The `'properties.*'` options without their prefix (`bootstrap.servers` among them).
    pub properties: Vec<(String, String)>,
    /// `'scan.startup.mode'`: where each partition starts.
    pub startup: StartupMode,
    /// `'scan.bounded.mode' = 'latest-offset'`: each partition ends at the high watermark of its
    /// first fetch response, so a job over a topic finishes. Otherwise the source never ends.
    pub bounded: bool,
    /// The values' format (CSV without a header, or JSON: one record per message), or Debezium
    /// change events (a changelog: `c`/`r` insert `after`, `u` retracts `before` and inserts
    /// `after`, `d` deletes `before`).
    pub format: Format,
    /// `'csv.on-error'` or `'json.on-error'`: fail (the default) or skip undecodable messages.
    pub on_error: OnError,
    /// Skipped messages go here (one JSON object per line with topic, partition, offset, error
    /// and the message), when set.
    pub rejects: Option<PathBuf>,
    /// A partition with no message for this long no longer holds the watermark back
    /// (`'source.idle-timeout'`, Flink's `'scan.watermark.idle-timeout'`). `None`: never idle.
    pub idle_timeout_ms: Option<u64>,
    /// How long to wait for the broker before failing (`'connect.timeout'`, default 10 s).
    pub connect_timeout_ms: u64,
    /// Table columns filled from the record's metadata instead of its value; set by the planner
    /// from the table's `METADATA FROM` columns (column index, field).
    pub metadata: Vec<(usize, MetadataField)>,
}

/// A Kafka sink.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KafkaSink {
    /// `'topic'`: the topic written (it must exist unless `create_topic`).
    pub topic: String,
    /// The `'properties.*'` options without their prefix (`bootstrap.servers` among them).
    pub properties: Vec<(String, String)>,
    /// The values' format: CSV (no header) or JSON per row, or Debezium change events.
    pub format: Format,
    /// `'sink.mode' = 'upsert'`: the message key is the GROUP BY key (or `'key.fields'`), the
    /// value the row; a deleted row is a tombstone (a message with no value).
    pub upsert: bool,
    /// `'key.fields' = 'a;b'`: the columns of the message key.
    pub key_fields: Vec<String>,
    /// `'key.format'` (default json): how the key columns are encoded.
    pub key_format: Format,
    /// For an upsert sink without `'key.fields'`: the written rows' columns that are the GROUP BY
    /// key, set by the planner.
    pub upsert_key: Option<Vec<usize>>,
    /// `'sink.create-topic' = 'true'`: a missing topic is created (`'sink.partitions'` of them,
    /// default 1) instead of being an error.
    pub create_topic: bool,
    /// `'sink.partitions'`: how many partitions a topic the sink creates gets; positive, default 1.
    pub partitions: i32,
    /// How long to wait for the broker before failing (`'connect.timeout'`, default 10 s).
    pub connect_timeout_ms: u64,
}

/// `'partition:0,offset:42;partition:1,offset:300'`
fn parse_specific_offsets(v: &str) -> Option<Vec<(i32, i64)>> {
    let mut out = Vec::new();
    for part in v.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (mut p, mut o) = (None, None);
        for kv in part.split(',') {
            let (k, v) = kv.split_once(':')?;
            match k.trim() {
                "partition" => p = v.trim().parse::<i32>().ok(),
                "offset" => o = v.trim().parse::<i64>().ok(),
                _ => return None,
            }
        }
        out.push((p?, o?));
    }
    Some(out)
}

fn properties(t: &TableConnector) -> Result<Vec<(String, String)>, OptionError> {
    let props: Vec<(String, String)> =
        t.options().iter().filter_map(|(k, v)| k.strip_prefix("properties.").map(|k| (k.to_string(), v.clone()))).collect();
    if !props.iter().any(|(k, _)| k == "bootstrap.servers") {
        let mut e = OptionError::new(None, "connector 'kafka' needs option 'properties.bootstrap.servers'");
        e.hint = Some("e.g. 'properties.bootstrap.servers' = '127.0.0.1:9092'".to_string());
        return Err(e);
    }
    Ok(props)
}

fn topic(t: &TableConnector) -> Result<String, OptionError> {
    match t.get("topic") {
        Some(v) if !v.is_empty() => Ok(v.to_string()),
        _ => Err(OptionError::new(None, "connector 'kafka' needs option 'topic'")),
    }
}

fn duration_ms(t: &TableConnector, key: &str) -> Result<Option<u64>, OptionError> {
    match t.get(key) {
        None => Ok(None),
        Some(v) => vstream_repr::window::parse_duration(v).filter(|ms| *ms >= 0).map(|ms| Some(ms as u64)).ok_or_else(|| {
            let mut e = OptionError::new(Some(key), format!("option '{key}' must be a duration such as '5 s' or '500 ms', not '{v}'"));
            e.hint = Some("units: ms, s, min, h, d".to_string());
            e
        }),
    }
}

/// The value format of a Kafka table: `'format'` or `'value.format'`. A message is one record, so
/// CSV values have no header.
fn value_format(t: &TableConnector) -> Result<Format, OptionError> {
    if t.get("format").is_some() && t.get("value.format").is_some() {
        return Err(OptionError::new(Some("value.format"), "give 'format' or 'value.format', not both"));
    }
    let format = t.format()?;
    if t.get("csv.header").is_some() {
        return Err(OptionError::new(Some("csv.header"), "a Kafka message is one record: CSV values have no header"));
    }
    Ok(format)
}

fn check_key_options(t: &TableConnector) -> Result<(), OptionError> {
    if let Some(v) = t.get("value.fields-include")
        && !v.eq_ignore_ascii_case("all")
    {
        let mut e = OptionError::new(Some("value.fields-include"), format!("'value.fields-include' = '{v}' is not supported"));
        e.hint = Some("values hold every column ('ALL'); the key is written from them".to_string());
        return Err(e);
    }
    Ok(())
}

impl KafkaSource {
    pub(crate) fn from_table(t: &TableConnector) -> Result<Self, OptionError> {
        let format = value_format(t)?;
        t.check_applicable(&format, "source")?;
        check_key_options(t)?;
        let startup = match t.get("scan.startup.mode") {
            None | Some("earliest-offset") => StartupMode::Earliest,
            Some("latest-offset") => StartupMode::Latest,
            Some("group-offsets") => StartupMode::GroupOffsets,
            Some("specific-offsets") => {
                let v = t.get("scan.startup.specific-offsets").ok_or_else(|| {
                    OptionError::new(Some("scan.startup.mode"), "'specific-offsets' needs 'scan.startup.specific-offsets'")
                })?;
                StartupMode::SpecificOffsets(parse_specific_offsets(v).ok_or_else(|| {
                    let mut e = OptionError::new(Some("scan.startup.specific-offsets"), format!("cannot read offsets '{v}'"));
                    e.hint = Some("e.g. 'partition:0,offset:42;partition:1,offset:300'".to_string());
                    e
                })?)
            }
            Some(other) => {
                let mut e = OptionError::new(Some("scan.startup.mode"), format!("unknown startup mode '{other}'"));
                e.hint = Some("known modes: earliest-offset, latest-offset, group-offsets, specific-offsets".to_string());
                return Err(e);
            }
        };
        if t.get("scan.startup.specific-offsets").is_some() && !matches!(startup, StartupMode::SpecificOffsets(_)) {
            return Err(OptionError::new(
                Some("scan.startup.specific-offsets"),
                "'scan.startup.specific-offsets' needs 'scan.startup.mode' = 'specific-offsets'",
            ));
        }
        let bounded = t.choice("scan.bounded.mode", &[("unbounded", false), ("latest-offset", true)])?;
        if matches!(startup, StartupMode::GroupOffsets) && !t.options().iter().any(|(k, _)| k == "properties.group.id") {
            return Err(OptionError::new(Some("scan.startup.mode"), "'group-offsets' needs 'properties.group.id'"));
        }
        let idle_timeout_ms = match (duration_ms(t, "source.idle-timeout")?, duration_ms(t, "scan.watermark.idle-timeout")?) {
            (Some(_), Some(_)) => {
                return Err(OptionError::new(
                    Some("scan.watermark.idle-timeout"),
                    "give 'source.idle-timeout' or 'scan.watermark.idle-timeout', not both",
                ));
            }
            // 0 disables it, as in Flink.
            (a, b) => a.or(b).filter(|ms| *ms > 0),
        };
        let (on_error, rejects) = t.on_error(&format)?;
        Ok(KafkaSource {
            topic: topic(t)?,
            properties: properties(t)?,
            startup,
            bounded,
            format,
            on_error,
            rejects,
            idle_timeout_ms,
            connect_timeout_ms: duration_ms(t, "connect.timeout")?.unwrap_or(10_000),
            metadata: Vec::new(),
        })
    }

    /// The `bootstrap.servers` property (empty if none; the planner requires one), for messages.
    pub fn bootstrap(&self) -> &str {
        bootstrap(&self.properties)
    }

    /// One line for `explain`: topic, format and the options that change behaviour.
    pub fn describe(&self) -> String {
        let mut s = format!("kafka topic={} format={}", self.topic, self.format.name());
        if self.bounded {
            s.push_str(" bounded");
        }
        if self.on_error == OnError::Skip {
            s.push_str(" on-error=skip");
        }
        s
    }
}

impl KafkaSink {
    pub(crate) fn from_table(t: &TableConnector) -> Result<Self, OptionError> {
        let format = value_format(t)?;
        t.check_applicable(&format, "sink")?;
        check_key_options(t)?;
        let upsert = t.choice("sink.mode", crate::spec::SINK_MODES)?;
        if upsert && format == Format::DebeziumJson {
            return Err(OptionError::new(Some("sink.mode"), "an upsert sink writes rows, not Debezium change events"));
        }
        let key_fields: Vec<String> =
            t.get("key.fields").map(|v| v.split(';').map(|f| f.trim().to_string()).filter(|f| !f.is_empty()).collect()).unwrap_or_default();
        let key_format = t.choice("key.format", &[("json", Format::JsonLines), ("csv", Format::Csv(Default::default()))])?;
        if t.get("key.format").is_some() && key_fields.is_empty() && !upsert {
            return Err(OptionError::new(Some("key.format"), "'key.format' needs 'key.fields' (or 'sink.mode' = 'upsert')"));
        }
        let partitions = match t.get("sink.partitions") {
            None => 1,
            Some(v) => v.parse::<i32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                OptionError::new(Some("sink.partitions"), format!("option 'sink.partitions' must be a positive number, not '{v}'"))
            })?,
        };
        Ok(KafkaSink {
            topic: topic(t)?,
            properties: properties(t)?,
            format,
            upsert,
            key_fields,
            key_format,
            upsert_key: None,
            create_topic: t.flag("sink.create-topic", false)?,
            partitions,
            connect_timeout_ms: duration_ms(t, "connect.timeout")?.unwrap_or(10_000),
        })
    }

    /// Whether a changelog written to the topic carries an `op` column (see
    /// [`crate::SinkSpec::writes_op_column`]).
    pub fn writes_op_column(&self) -> bool {
        crate::spec::writes_op_column(self.upsert, &self.format)
    }

    /// The `bootstrap.servers` property (empty if none; the planner requires one), for messages.
    pub fn bootstrap(&self) -> &str {
        bootstrap(&self.properties)
    }

    /// One line for `explain`: topic, format and the options that change behaviour.
    pub fn describe(&self) -> String {
        let mut s = format!("kafka topic={} format={}", self.topic, self.format.name());
        if self.upsert {
            s.push_str(" upsert");
        }
        s
    }
}

/// The `bootstrap.servers` of a Kafka client's properties (empty if none is given).
pub fn bootstrap(properties: &[(String, String)]) -> &str {
    properties.iter().find(|(k, _)| k == "bootstrap.servers").map_or("", |(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{SinkSpec, SourceSpec};
    use std::path::Path;

    fn table(kv: &[(&str, &str)]) -> Result<TableConnector, OptionError> {
        let opts: Vec<(String, String)> = kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        TableConnector::from_options(&opts, Path::new("/base"))
    }

    const BASE: [(&str, &str); 3] = [("connector", "kafka"), ("topic", "bids"), ("properties.bootstrap.servers", "127.0.0.1:9092")];

    #[test]
    fn source_options() {
        let mut kv = BASE.to_vec();
        kv.extend([
            ("format", "json"),
            ("scan.startup.mode", "specific-offsets"),
            ("scan.startup.specific-offsets", "partition:0,offset:42;partition:1,offset:300"),
            ("scan.bounded.mode", "latest-offset"),
            ("source.idle-timeout", "5 s"),
            ("json.on-error", "skip"),
            ("properties.fetch.min.bytes", "1"),
        ]);
        let SourceSpec::Kafka(k) = table(&kv).unwrap().source().unwrap() else { panic!("not kafka") };
        assert_eq!(k.topic, "bids");
        assert_eq!(k.startup, StartupMode::SpecificOffsets(vec![(0, 42), (1, 300)]));
        assert!(k.bounded);
        assert_eq!(k.idle_timeout_ms, Some(5000));
        assert_eq!(k.on_error, OnError::Skip);
        assert!(k.properties.contains(&("fetch.min.bytes".to_string(), "1".to_string())));
        assert_eq!(k.bootstrap(), "127.0.0.1:9092");
    }

    #[test]
    fn option_errors() {
        let e = table(&[("connector", "kafka"), ("topic", "t")]).unwrap().source().unwrap_err();
        assert!(e.message.contains("properties.bootstrap.servers"), "{e:?}");
        let mut kv = BASE.to_vec();
        kv.push(("scan.startup.mode", "earliest"));
        assert_eq!(table(&kv).unwrap().source().unwrap_err().key.as_deref(), Some("scan.startup.mode"));
        let mut kv = BASE.to_vec();
        kv.push(("sink.mode", "upsert"));
        assert!(table(&kv).unwrap().source().unwrap_err().message.contains("applies only to writing"));
        let mut kv = BASE.to_vec();
        kv.push(("scan.startup.mod", "x"));
        assert_eq!(table(&kv).unwrap_err().hint.as_deref(), Some("did you mean 'scan.startup.mode'?"));
        let mut kv = BASE.to_vec();
        kv.push(("csv.header", "true"));
        assert!(table(&kv).unwrap().source().unwrap_err().message.contains("no header"));
    }

    #[test]
    fn sink_options() {
        let mut kv = BASE.to_vec();
        kv.extend([("sink.mode", "upsert"), ("key.fields", "auction; bidder"), ("sink.create-topic", "true"), ("sink.partitions", "4")]);
        let SinkSpec::Kafka(k) = table(&kv).unwrap().sink().unwrap() else { panic!("not kafka") };
        assert!(k.upsert && k.create_topic);
        assert_eq!(k.key_fields, vec!["auction", "bidder"]);
        assert_eq!(k.partitions, 4);
        assert_eq!(k.key_format, Format::JsonLines);
    }
}
