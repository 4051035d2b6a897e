//! Kafka sources and sinks against a real Kafka-protocol broker (tansu), which `tests/run.sh`
//! installs, starts on 127.0.0.1 and names in `VSTREAM_KAFKA_BROKERS`. Without that variable
//! the tests that need a broker say so and pass, unless `VSTREAM_KAFKA_REQUIRED` is set (as
//! `tests/run.sh` sets it): CI never passes without having talked to the broker.
//!
//! The benchmark's bid file (100,000 rows from `vstream_bench::write_bids`, seed 42) goes into
//! a 4-partition topic; q2, qagg and q5t over the topic (bounded mode) must equal DuckDB's answer
//! over the file at `-w 1` and `-w 3`.

mod common;

use common::{oracle_python, run_checked, workspace_root};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const ROWS: u64 = 100_000;
const SEED: u64 = 42;

/// The broker's address, or `None` (and a note) when none was started for the tests.
fn broker() -> Option<String> {
    match std::env::var("VSTREAM_KAFKA_BROKERS") {
        Ok(b) if !b.is_empty() => Some(b),
        _ => {
            assert!(
                std::env::var_os("VSTREAM_KAFKA_REQUIRED").is_none(),
                "VSTREAM_KAFKA_REQUIRED is set but VSTREAM_KAFKA_BROKERS is not: no broker to test against"
            );
            eprintln!("no Kafka broker (VSTREAM_KAFKA_BROKERS is not set): skipped; `bash tests/run.sh` starts one");
            None
        }
    }
}

/// A topic name no earlier run on the same broker used.
fn topic(name: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{name}-{}-{nanos}", std::process::id())
}

struct Dir {
    _tmp: tempfile::TempDir,
    path: PathBuf,
}

fn dir() -> Dir {
    let tmp = tempfile::Builder::new().prefix("vstream-kafka-").tempdir().expect("temporary folder");
    let path = std::fs::canonicalize(tmp.path()).expect("canonical path");
    Dir { _tmp: tmp, path }
}

/// Runs `vstream run script args` in `dir`; (success, stderr).
fn vstream(dir: &Path, script: &str, args: &[&str]) -> (bool, String) {
    std::fs::write(dir.join("q.sql"), script).expect("write the script");
    let out =
        Command::new(env!("CARGO_BIN_EXE_vstream")).arg("run").arg("q.sql").args(args).current_dir(dir).output().expect("run vstream");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "vstream panicked:\n{stderr}");
    (out.status.success(), stderr)
}

fn bid_table(brokers: &str, topic: &str, watermark: bool, extra: &str) -> String {
    let wm = if watermark { ",\n  WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND" } else { "" };
    format!(
        "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR{wm})
  WITH ('connector' = 'kafka', 'topic' = '{topic}', 'properties.bootstrap.servers' = '{brokers}',
        'format' = 'csv', 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset'{extra});\n"
    )
}

/// The bid file in `dir`, and a 4-partition topic holding its rows.
fn bids_topic(brokers: &str, dir: &Path) -> (PathBuf, String) {
    let bids = dir.join("bids.csv");
    let file = std::fs::File::create(&bids).expect("create bids.csv");
    vstream_bench::write_bids(ROWS, SEED, std::io::BufWriter::new(file)).expect("write bids.csv");
    let t = topic("bids");
    vstream_bench::kafka::create_topic(brokers, &t, 4).expect("create the topic");
    let input = std::io::BufReader::new(std::fs::File::open(&bids).expect("open bids.csv"));
    let n = vstream_bench::kafka::produce_lines(brokers, &t, 4, input, true).expect("produce the bids");
    assert_eq!(n, ROWS);
    (bids, t)
}

fn duckdb(python: &Path, bids: &Path, sql: &str, out: &Path) {
    let oracle = workspace_root().join("tests").join("oracle").join("oracle.py");
    run_checked(Command::new(python).arg(&oracle).arg("--csv").arg(bids).arg("--sql").arg(sql).arg("--out").arg(out), "oracle.py");
}

/// `oracle.py compare`: Ok(report) on a match.
fn compare(python: &Path, actual: &Path, expected: &Path, changelog: bool) -> Result<String, String> {
    let oracle = workspace_root().join("tests").join("oracle").join("oracle.py");
    let out = Command::new(python)
        .arg(&oracle)
        .arg("compare")
        .arg(actual)
        .arg(expected)
        .args(if changelog { &["--changelog", "op"][..] } else { &[][..] })
        .output()
        .expect("run oracle.py compare");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() { Ok(report) } else { Err(report) }
}

const QUERIES: &[(&str, &str, &str)] = &[
    ("q2", "SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0", "SELECT auction, price FROM bid WHERE auction % 123 = 0"),
    (
        "qagg",
        "SELECT auction, COUNT(*) AS bids, SUM(price) AS total, MAX(price) AS top FROM bid GROUP BY auction",
        "SELECT auction, COUNT(*) AS bids, SUM(price) AS total, MAX(price) AS top FROM bid GROUP BY auction",
    ),
    (
        "q5t",
        "SELECT window_start, window_end, auction, COUNT(*) AS bids FROM TABLE(\
         TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, auction",
        "SELECT ws AS window_start, ws + INTERVAL 10 SECOND AS window_end, auction, COUNT(*) AS bids FROM (SELECT \
         time_bucket(INTERVAL 10 SECOND, date_time) AS ws, auction FROM bid) GROUP BY ALL",
    ),
];

#[test]
fn bench_queries_over_a_topic_match_duckdb() {
    let Some(brokers) = broker() else { return };
    let python = oracle_python(&workspace_root());
    let d = dir();
    let (bids, t) = bids_topic(&brokers, &d.path);
    let mut failures = Vec::new();
    for (name, streaming, duck) in QUERIES {
        let expected = d.path.join(format!("{name}.expected.csv"));
        duckdb(&python, &bids, duck, &expected);
        for workers in ["1", "3"] {
            let sink = format!("out/{name}_w{workers}");
            let script = format!(
                "{}CREATE TABLE out WITH ('connector' = 'file', 'path' = '{sink}', 'format' = 'csv');\nINSERT INTO out {streaming};\n",
                bid_table(&brokers, &t, streaming.contains("DESCRIPTOR("), "")
            );
            let (ok, stderr) = vstream(&d.path, &script, &["-w", workers]);
            assert!(ok, "vstream {name} -w {workers} failed:\n{stderr}");
            assert!(stderr.contains(&format!("vstream: {ROWS} rows in, ")), "{name} -w {workers}: not {ROWS} rows in:\n{stderr}");
            assert!(!stderr.contains(" late"), "{name} -w {workers}: rows were late:\n{stderr}");
            match compare(&python, &d.path.join(&sink), &expected, *name == "qagg") {
                Ok(report) => eprintln!("{name} -w {workers}: {}", report.trim()),
                Err(report) => failures.push(format!("{name} -w {workers}:\n{report}")),
            }
        }
    }
    assert!(failures.is_empty(), "vstream over Kafka disagrees with DuckDB:\n{}", failures.join("\n"));
}

/// Folds an upsert topic: per key, its last value; a tombstone removes the key.
fn fold_upserts(records: &[vstream_bench::kafka::Record]) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let mut live: std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>> = std::collections::BTreeMap::new();
    for r in records {
        live.insert(r.key.clone().expect("upsert messages have keys"), r.value.clone());
    }
    live.values()
        .flatten()
        .map(|v| match serde_json::from_slice(v).expect("a JSON value") {
            serde_json::Value::Object(m) => m,
            other => panic!("not a JSON object: {other}"),
        })
        .collect()
}

fn write_csv(path: &Path, columns: &[&str], rows: &[serde_json::Map<String, serde_json::Value>]) {
    let mut text = columns.join(",") + "\n";
    for r in rows {
        let cells: Vec<String> = columns.iter().map(|c| r.get(*c).map_or(String::new(), |v| v.to_string())).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    std::fs::write(path, text).expect("write the folded result");
}

#[test]
fn upsert_sink_folds_to_duckdb() {
    let Some(brokers) = broker() else { return };
    let python = oracle_python(&workspace_root());
    let d = dir();
    let (bids, t) = bids_topic(&brokers, &d.path);
    let (up, few) = (topic("qagg-upsert"), topic("few-upsert"));
    // The second query's HAVING drops groups as they grow: their rows become tombstones.
    let script = format!(
        "{}CREATE TABLE up WITH ('connector' = 'kafka', 'topic' = '{up}', 'properties.bootstrap.servers' = '{brokers}',
  'format' = 'json', 'sink.mode' = 'upsert', 'sink.create-topic' = 'true', 'sink.partitions' = '4');
CREATE TABLE few WITH ('connector' = 'kafka', 'topic' = '{few}', 'properties.bootstrap.servers' = '{brokers}',
  'format' = 'json', 'sink.mode' = 'upsert', 'sink.create-topic' = 'true');
INSERT INTO up SELECT auction, COUNT(*) AS bids, SUM(price) AS total, MAX(price) AS top FROM bid GROUP BY auction;
INSERT INTO few SELECT auction, COUNT(*) AS bids FROM bid GROUP BY auction HAVING COUNT(*) < 30;
",
        bid_table(&brokers, &t, false, "")
    );
    let (ok, stderr) = vstream(&d.path, &script, &["-w", "3"]);
    assert!(ok, "vstream failed:\n{stderr}");
    for (topic, columns, duck) in [
        (&up, &["auction", "bids", "total", "top"][..], QUERIES[1].2),
        (&few, &["auction", "bids"][..], "SELECT auction, COUNT(*) AS bids FROM bid GROUP BY auction HAVING COUNT(*) < 30"),
    ] {
        let records = vstream_bench::kafka::read_all(&brokers, topic).expect("read the upsert topic");
        assert!(
            records.iter().all(|r| r.key.as_deref().is_some_and(|k| k.starts_with(b"{\"auction\":"))),
            "keys are the GROUP BY key as JSON"
        );
        let actual = d.path.join(format!("{topic}.folded.csv"));
        write_csv(&actual, columns, &fold_upserts(&records));
        let expected = d.path.join(format!("{topic}.expected.csv"));
        duckdb(&python, &bids, duck, &expected);
        let tombstones = records.iter().filter(|r| r.value.is_none()).count();
        match compare(&python, &actual, &expected, false) {
            Ok(report) => eprintln!("{topic}: {} messages, {tombstones} tombstones: {}", records.len(), report.trim()),
            Err(report) => {
                // Tell a short read of the topic from a wrong write: read it again.
                let again = vstream_bench::kafka::read_all(&brokers, topic).map(|r| r.len());
                panic!(
                    "the folded upsert topic {topic} ({} messages; read again: {again:?}) disagrees with DuckDB:\n{report}",
                    records.len()
                )
            }
        }
    }
}

/// A topic of JSON bids, some malformed.
fn json_topic(brokers: &str, lines: &[&str], partitions: i32) -> String {
    let t = topic("json");
    vstream_bench::kafka::create_topic(brokers, &t, partitions).expect("create the topic");
    let text = lines.join("\n");
    vstream_bench::kafka::produce_lines(brokers, &t, partitions, text.as_bytes(), false).expect("produce");
    t
}

const JSON_LINES: &[&str] = &[
    r#"{"auction": 1, "price": 10}"#,
    r#"{"auction": 2, "price": 20}"#,
    r#"{"auction": 3, "price": "thirty"}"#,
    r#"{"auction": 4, "price": 40}"#,
    r#"not json at all"#,
    r#"{"auction": 6, "price": 60}"#,
];

fn json_script(brokers: &str, topic: &str, on_error: &str) -> String {
    format!(
        "CREATE TABLE bid (auction BIGINT, price BIGINT) WITH ('connector' = 'kafka', 'topic' = '{topic}',
  'properties.bootstrap.servers' = '{brokers}', 'format' = 'json', 'scan.bounded.mode' = 'latest-offset'{on_error});
CREATE TABLE out WITH ('connector' = 'file', 'path' = 'out.csv', 'format' = 'csv', 'sink.single-file' = 'true');
INSERT INTO out SELECT auction, price FROM bid;
"
    )
}

#[test]
fn malformed_messages_are_skipped_and_counted() {
    let Some(brokers) = broker() else { return };
    let d = dir();
    let t = json_topic(&brokers, JSON_LINES, 2);
    let script = json_script(&brokers, &t, ", 'json.on-error' = 'skip', 'json.rejects' = 'rejects.json'");
    let (ok, stderr) = vstream(&d.path, &script, &["-w", "2"]);
    assert!(ok, "vstream failed:\n{stderr}");
    assert!(stderr.contains("vstream: 4 rows in, 4 rows out (out 4), 2 rejected"), "{stderr}");
    let out = std::fs::read_to_string(d.path.join("out.csv")).expect("out.csv");
    let mut rows: Vec<&str> = out.lines().skip(1).collect();
    rows.sort_unstable();
    assert_eq!(rows, vec!["1,10", "2,20", "4,40", "6,60"]);
    // Line i went to partition i % 2 at offset i / 2.
    let rejects = std::fs::read_to_string(d.path.join("rejects.json")).expect("rejects.json");
    let mut rejects: Vec<serde_json::Value> = rejects.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    rejects.sort_by_key(|r| r["partition"].as_i64());
    assert_eq!(rejects.len(), 2, "{rejects:?}");
    assert_eq!((rejects[0]["partition"].as_i64(), rejects[0]["offset"].as_i64()), (Some(0), Some(1)));
    assert_eq!(rejects[0]["record"], r#"{"auction": 3, "price": "thirty"}"#);
    assert_eq!(rejects[0]["topic"], t.as_str());
    assert_eq!((rejects[1]["partition"].as_i64(), rejects[1]["offset"].as_i64()), (Some(0), Some(2)));

    // The default policy stops at the first bad message, naming its place.
    let (ok, stderr) = vstream(&d.path, &json_script(&brokers, &t, ""), &["-w", "1"]);
    assert!(!ok);
    assert!(stderr.contains(&format!("Kafka topic '{t}' partition 0 offset 1: column `price`: cannot parse")), "{stderr}");
}

#[test]
fn missing_topic_is_a_clear_error() {
    let Some(brokers) = broker() else { return };
    let d = dir();
    let (ok, stderr) = vstream(&d.path, &json_script(&brokers, "no-such-topic", ""), &[]);
    assert!(!ok);
    assert!(stderr.contains(&format!("Kafka topic 'no-such-topic' does not exist at {brokers}")), "{stderr}");
}

#[test]
fn unreachable_broker_fails_within_the_timeout() {
    // A port nobody listens on: bind one, and close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port();
    let brokers = format!("127.0.0.1:{port}");
    let d = dir();
    let script = json_script(&brokers, "bids", ", 'connect.timeout' = '2 s'");
    let start = Instant::now();
    let (ok, stderr) = vstream(&d.path, &script, &["-w", "2"]);
    let took = start.elapsed();
    assert!(!ok);
    assert!(stderr.contains(&format!("cannot reach Kafka at {brokers} within 2 s")), "{stderr}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn metadata_columns_and_keyed_rows() {
    let Some(brokers) = broker() else { return };
    let d = dir();
    let t = json_topic(&brokers, JSON_LINES, 2);
    let (keyed, changes) = (topic("keyed"), topic("changes"));
    let script = format!(
        "CREATE TABLE bid (auction BIGINT, price BIGINT, ts TIMESTAMP(3) METADATA FROM 'timestamp', p INT METADATA FROM 'partition' VIRTUAL,
  `offset` BIGINT METADATA) WITH ('connector' = 'kafka', 'topic' = '{t}', 'properties.bootstrap.servers' = '{brokers}',
  'format' = 'json', 'scan.bounded.mode' = 'latest-offset', 'json.on-error' = 'skip');
CREATE TABLE meta WITH ('connector' = 'file', 'path' = 'meta.csv', 'format' = 'csv', 'sink.single-file' = 'true');
INSERT INTO meta SELECT p, `offset`, auction, ts > TIMESTAMP '2020-01-01 00:00:00' AS recent FROM bid;
CREATE TABLE keyed WITH ('connector' = 'kafka', 'topic' = '{keyed}', 'properties.bootstrap.servers' = '{brokers}',
  'format' = 'csv', 'key.fields' = 'auction', 'key.format' = 'csv', 'sink.create-topic' = 'true');
INSERT INTO keyed SELECT auction, price FROM bid;
CREATE TABLE changes WITH ('connector' = 'kafka', 'topic' = '{changes}', 'properties.bootstrap.servers' = '{brokers}',
  'format' = 'debezium-json', 'sink.create-topic' = 'true');
INSERT INTO changes SELECT MOD(auction, 2) AS k, COUNT(*) AS n FROM bid GROUP BY MOD(auction, 2);
"
    );
    let (ok, stderr) = vstream(&d.path, &script, &["-w", "2"]);
    assert!(ok, "vstream failed:\n{stderr}");
    // Line i of JSON_LINES is at partition i % 2, offset i / 2; lines 2 and 4 are bad.
    let meta = std::fs::read_to_string(d.path.join("meta.csv")).expect("meta.csv");
    let mut rows: Vec<&str> = meta.lines().skip(1).collect();
    rows.sort_unstable();
    assert_eq!(rows, vec!["0,0,1,true", "1,0,2,true", "1,1,4,true", "1,2,6,true"]);

    let mut kv: Vec<(String, String)> = vstream_bench::kafka::read_all(&brokers, &keyed)
        .expect("read the keyed topic")
        .into_iter()
        .map(|r| {
            (
                String::from_utf8(r.key.unwrap_or_default()).unwrap_or_default(),
                String::from_utf8(r.value.unwrap_or_default()).unwrap_or_default(),
            )
        })
        .collect();
    kv.sort();
    let want: Vec<(String, String)> =
        [(1, 10), (2, 20), (4, 40), (6, 60)].iter().map(|(a, p)| (a.to_string(), format!("{a},{p}"))).collect();
    assert_eq!(kv, want);

    // The Debezium changelog folds to the result: creates add `after`, deletes remove `before`.
    let mut live: Vec<serde_json::Value> = Vec::new();
    let records = vstream_bench::kafka::read_all(&brokers, &changes).expect("read the changelog topic");
    let shown: Vec<String> = records
        .iter()
        .map(|r| format!("{}@{}: {}", r.partition, r.offset, String::from_utf8_lossy(r.value.as_deref().unwrap_or_default())))
        .collect();
    for r in records {
        let v: serde_json::Value = serde_json::from_slice(&r.value.expect("a value")).expect("JSON");
        match v["op"].as_str() {
            Some("c") => live.push(v["after"].clone()),
            Some("d") => {
                let at = live.iter().position(|x| *x == v["before"]).expect("a delete of a live row");
                live.remove(at);
            }
            other => panic!("unexpected op {other:?} in {v}"),
        }
    }
    live.sort_by_key(|v| v["k"].as_i64());
    assert_eq!(live, vec![serde_json::json!({"k": 0, "n": 3}), serde_json::json!({"k": 1, "n": 1})], "the changelog {changes}: {shown:#?}");
}

/// Reads the child's stdout until `want` lines (after the header) came or `wait` passed, then
/// stops it; the lines seen.
fn lines_within(mut child: std::process::Child, want: usize, wait: Duration) -> Vec<String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + wait;
    let mut lines = Vec::new();
    while lines.len() < want + 1 {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(l) => lines.push(l),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines.into_iter().skip(1).collect()
}

#[test]
fn an_idle_partition_does_not_hold_the_watermark_back() {
    let Some(brokers) = broker() else { return };
    let d = dir();
    // Partition 0 holds 6 s of events, partition 1 nothing; the source is unbounded.
    let t = topic("idle");
    vstream_bench::kafka::create_topic(&brokers, &t, 2).expect("create the topic");
    let lines: Vec<String> = (0..60).map(|i| format!("{i},2025-01-01 00:00:{:02}.{:03}", i / 10, (i % 10) * 100)).collect();
    vstream_bench::kafka::produce_lines(&brokers, &t, 1, lines.join("\n").as_bytes(), false).expect("produce");
    let script = |idle: &str| {
        format!(
            "CREATE TABLE ev (n BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'kafka', 'topic' = '{t}',
  'properties.bootstrap.servers' = '{brokers}', 'format' = 'csv'{idle});
SELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end;
"
        )
    };
    let spawn = |text: String, workers: &str| {
        std::fs::write(d.path.join("q.sql"), text).expect("write the script");
        Command::new(env!("CARGO_BIN_EXE_vstream"))
            .args(["run", "q.sql", "-w", workers])
            .current_dir(&d.path)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start vstream")
    };
    // With the idle timeout, the five complete windows close while the job runs: at -w 1 the
    // worker leaves its idle partition out; at -w 2 the worker of the empty partition follows the
    // other.
    for workers in ["1", "2"] {
        let rows = lines_within(spawn(script(", 'source.idle-timeout' = '300 ms'"), workers), 5, Duration::from_secs(15));
        assert_eq!(rows.len(), 5, "-w {workers}: {rows:?}");
        assert!(rows.iter().all(|r| r.ends_with(",10")), "-w {workers}: {rows:?}");
    }
    // Without it, the empty partition holds every window open.
    let rows = lines_within(spawn(script(""), "1"), 1, Duration::from_millis(1500));
    assert!(rows.is_empty(), "{rows:?}");
}

#[test]
fn metadata_errors() {
    let d = dir();
    let (ok, stderr) = vstream(
        &d.path,
        "CREATE TABLE t (a BIGINT, k VARCHAR METADATA FROM 'key') WITH ('connector' = 'kafka', 'topic' = 't',
  'properties.bootstrap.servers' = '127.0.0.1:1');\nSELECT a FROM t;\n",
        &[],
    );
    assert!(!ok);
    assert!(stderr.contains("unknown metadata key 'key' of column `k`"), "{stderr}");
    let (ok, stderr) = vstream(
        &d.path,
        "CREATE TABLE t (a BIGINT, ts TIMESTAMP(3) METADATA FROM 'timestamp') WITH ('connector' = 'file', 'path' = 'x.csv');\nSELECT a FROM t;\n",
        &[],
    );
    assert!(!ok);
    assert!(stderr.contains("metadata column `ts` needs 'connector' = 'kafka'"), "{stderr}");
}

#[test]
fn startup_modes() {
    let Some(brokers) = broker() else { return };
    let d = dir();
    // Line i at partition i % 2, offset i / 2.
    let lines: Vec<String> = (0..6).map(|i| format!(r#"{{"auction": {i}, "price": {}}}"#, i * 10)).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let t = json_topic(&brokers, &lines, 2);
    let run = |options: &str| {
        let (ok, stderr) = vstream(&d.path, &json_script(&brokers, &t, options), &["-w", "2"]);
        assert!(ok, "vstream ({options}) failed:\n{stderr}");
        let out = std::fs::read_to_string(d.path.join("out.csv")).expect("out.csv");
        let mut rows: Vec<String> = out.lines().skip(1).map(str::to_string).collect();
        rows.sort_unstable();
        rows
    };
    assert_eq!(run(", 'scan.startup.mode' = 'earliest-offset'").len(), 6);
    // Partition 0 from offset 2 (line 4), partition 1 from offset 1 (lines 3 and 5).
    assert_eq!(
        run(", 'scan.startup.mode' = 'specific-offsets', 'scan.startup.specific-offsets' = 'partition:0,offset:2;partition:1,offset:1'"),
        vec!["3,30", "4,40", "5,50"]
    );
    // From the end, a bounded job reads nothing and finishes.
    assert!(run(", 'scan.startup.mode' = 'latest-offset'").is_empty());
}

/// A changelog file sink's rows (an `op` column first) folded into the rows it leaves, sorted.
fn fold_changelog(text: &str) -> Vec<String> {
    let mut live: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    for line in text.lines().skip(1) {
        let (op, row) = line.split_once(',').expect("an op column");
        *live.entry(row.to_string()).or_default() += if op.starts_with('+') { 1 } else { -1 };
    }
    assert!(live.values().all(|n| *n >= 0), "a row retracted more often than added: {live:?}");
    live.into_iter().flat_map(|(row, n)| std::iter::repeat_n(row, n as usize)).collect()
}

#[test]
fn debezium_source_is_a_changelog() {
    let Some(brokers) = broker() else { return };
    let d = dir();
    let events = [
        r#"{"before":null,"after":{"id":1,"cat":"a","v":10},"op":"c"}"#,
        r#"{"before":null,"after":{"id":2,"cat":"a","v":20},"op":"c"}"#,
        r#"{"before":null,"after":{"id":3,"cat":"b","v":5},"op":"c"}"#,
        r#"{"before":{"id":1,"cat":"a","v":10},"after":{"id":1,"cat":"b","v":15},"op":"u"}"#,
        r#"{"before":{"id":2,"cat":"a","v":20},"after":null,"op":"d"}"#,
        r#"{"before":null,"after":{"id":4,"cat":"a","v":7},"op":"r"}"#,
    ];
    // One partition: a row's events must stay in order.
    let t = json_topic(&brokers, &events, 1);
    let script = format!(
        "CREATE TABLE t (id BIGINT, cat VARCHAR, v BIGINT) WITH ('connector' = 'kafka', 'topic' = '{t}',
  'properties.bootstrap.servers' = '{brokers}', 'format' = 'debezium-json', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE per_cat WITH ('connector' = 'file', 'path' = 'per_cat.csv', 'format' = 'csv', 'sink.single-file' = 'true');
CREATE TABLE big WITH ('connector' = 'file', 'path' = 'big.csv', 'format' = 'csv', 'sink.single-file' = 'true');
INSERT INTO per_cat SELECT cat, COUNT(*) AS n, SUM(v) AS total FROM t GROUP BY cat;
INSERT INTO big SELECT id, v FROM t WHERE v > 6;
"
    );
    let (ok, stderr) = vstream(&d.path, &script, &["-w", "2"]);
    assert!(ok, "vstream failed:\n{stderr}");
    let read = |f: &str| fold_changelog(&std::fs::read_to_string(d.path.join(f)).expect("a sink file"));
    assert_eq!(read("per_cat.csv"), vec!["a,1,7", "b,2,20"]);
    assert_eq!(read("big.csv"), vec!["1,15", "4,7"]);
    // A WATERMARK on a changelog source is refused.
    let (ok, stderr) = vstream(
        &d.path,
        &format!(
            "CREATE TABLE t (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'kafka', 'topic' = '{t}',
  'properties.bootstrap.servers' = '{brokers}', 'format' = 'debezium-json');\nSELECT id FROM t;\n"
        ),
        &[],
    );
    assert!(!ok && stderr.contains("a WATERMARK on a 'debezium-json' (changelog) source"), "{stderr}");
}

/// A cast that fails on a message's value names the message (topic, partition, offset) and the
/// column; under `'json.on-error' = 'skip'` the row is dropped, counted and rejected.
#[test]
fn a_failing_cast_names_the_message_or_is_skipped() {
    let Some(brokers) = broker() else { return };
    let d = dir();
    // Line i goes to partition i % 2 at offset i / 2: the bad code is partition 1, offset 1.
    let lines = [
        r#"{"auction": 1, "code": "10"}"#,
        r#"{"auction": 2, "code": "20"}"#,
        r#"{"auction": 3, "code": "30"}"#,
        r#"{"auction": 4, "code": "4x"}"#,
    ];
    let t = json_topic(&brokers, &lines, 2);
    let script = |on_error: &str| {
        format!(
            "CREATE TABLE bid (auction BIGINT, code VARCHAR) WITH ('connector' = 'kafka', 'topic' = '{t}',
  'properties.bootstrap.servers' = '{brokers}', 'format' = 'json', 'scan.bounded.mode' = 'latest-offset'{on_error});
CREATE TABLE out WITH ('connector' = 'file', 'path' = 'out.csv', 'format' = 'csv', 'sink.single-file' = 'true');
INSERT INTO out SELECT auction, CAST(code AS INT) AS n FROM bid;
"
        )
    };
    for workers in ["1", "2"] {
        let (ok, stderr) = vstream(&d.path, &script(""), &["-w", workers]);
        assert!(!ok, "{stderr}");
        assert!(
            stderr.contains(&format!(
                "error: Kafka topic '{t}' partition 1 offset 1: query into `out`, column `n` (CAST(code AS INT)): cannot cast \"4x\" to INT"
            )),
            "-w {workers}:\n{stderr}"
        );
        let (ok, stderr) = vstream(&d.path, &script(", 'json.on-error' = 'skip', 'json.rejects' = 'rejects.json'"), &["-w", workers]);
        assert!(ok, "-w {workers}:\n{stderr}");
        assert!(stderr.contains("vstream: 4 rows in, 3 rows out (out 3), 1 rejected"), "-w {workers}:\n{stderr}");
        let rejects = std::fs::read_to_string(d.path.join("rejects.json")).expect("rejects.json");
        let reject: serde_json::Value = serde_json::from_str(rejects.lines().next().unwrap_or("")).expect("a JSON line");
        assert_eq!(
            (reject["topic"].as_str(), reject["partition"].as_i64(), reject["offset"].as_i64()),
            (Some(t.as_str()), Some(1), Some(1))
        );
    }
}
