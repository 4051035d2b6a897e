//! Running a planned script: prepare sources and sinks, start the workers, wait, report.

use crate::metrics::Metrics;
use crate::operators::ErrorSlot;
use crate::operators::sink::SinkTarget;
use crate::render::{SourceShare, WorkerContext, render};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use vstream_connectors::{FileSink, Format, RowEncoder, SinkSpec, SourceSpec, plan_chunks};
use vstream_planner::{DataflowPlan, Operator};

/// Where bare SELECTs print.
#[derive(Clone, Debug)]
pub enum StdoutTarget {
    /// A terminal: an aligned table.
    Terminal,
    /// A pipe or file: CSV with a header line.
    Pipe,
    /// Collected in memory as CSV with a header (tests).
    Capture(Arc<Mutex<Vec<u8>>>),
}

#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Worker threads in this process.
    pub workers: usize,
    pub stdout: StdoutTarget,
    /// Bytes per source chunk (the unit of work a worker reads at once).
    pub chunk_size: u64,
    /// Print a changelog query's rows to stdout as a changelog (`op` column) instead of its
    /// current result when the input ends.
    pub stdout_changelog: bool,
    /// At most this many input rows per worker between result updates (`--set emit.interval=N`);
    /// `None`: one update per chunk of input.
    pub emit_interval: Option<usize>,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            workers: 1,
            stdout: StdoutTarget::Pipe,
            chunk_size: vstream_connectors::DEFAULT_CHUNK_SIZE,
            stdout_changelog: false,
            emit_interval: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    // The io::Error is part of the one-line message, not a `source`, so it is not printed twice.
    #[error("cannot read {}: {error}", path.display())]
    SourceMissing { path: PathBuf, error: std::io::Error },
    #[error("cannot prepare sink `{name}` at {}: {error}", path.display())]
    SinkSetup { name: String, path: PathBuf, error: std::io::Error },
    #[error("{0}")]
    Failed(String),
    #[error("cannot start the workers: {0}")]
    Start(String),
}

/// A path as the user would write it: relative to the current folder when under it.
pub fn display_path(p: &Path) -> PathBuf {
    std::env::current_dir().ok().and_then(|cwd| p.strip_prefix(&cwd).ok().map(Path::to_path_buf)).unwrap_or_else(|| p.to_path_buf())
}

/// Bytes of every source file of the plan; fails on the first one that cannot be read.
pub fn source_bytes(plan: &DataflowPlan) -> Result<u64, RunError> {
    let mut total = 0;
    for n in plan.sources() {
        if let Operator::Source { spec: SourceSpec::File(f), .. } = &n.operator {
            let meta = std::fs::metadata(&f.path).map_err(|error| RunError::SourceMissing { path: display_path(&f.path), error })?;
            if meta.is_dir() {
                return Err(RunError::SourceMissing { path: display_path(&f.path), error: std::io::Error::other("is a directory") });
            }
            total += meta.len();
        }
    }
    Ok(total)
}

/// The part files a sink folder holds from earlier runs are removed, so a run with fewer workers
/// leaves no stale parts behind.
fn prepare_sink_dir(name: &str, sink: &FileSink) -> Result<(), RunError> {
    let err = |error| RunError::SinkSetup { name: name.to_string(), path: display_path(&sink.path), error };
    if sink.single_file {
        if let Some(parent) = sink.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(err)?;
        }
        return Ok(());
    }
    std::fs::create_dir_all(&sink.path).map_err(err)?;
    for entry in std::fs::read_dir(&sink.path).map_err(err)? {
        let path = entry.map_err(err)?.path();
        if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("part-")) {
            std::fs::remove_file(&path).map_err(err)?;
        }
    }
    Ok(())
}

fn part_name(format: &Format, worker: usize) -> String {
    match format {
        Format::Csv(_) => format!("part-{worker}.csv"),
        Format::JsonLines | Format::DebeziumJson => format!("part-{worker}.json"),
    }
}

/// The schema a sink writes: a changelog's rows get an `op` column first.
fn written_schema(schema: &vstream_repr::Schema, changelog: bool) -> vstream_repr::Schema {
    if !changelog {
        return schema.clone();
    }
    let mut fields = vec![vstream_repr::Field::new("op", vstream_repr::DataType::Varchar)];
    fields.extend(schema.fields.iter().cloned());
    vstream_repr::Schema::new(fields)
}

/// The target of a sink on one worker.
fn sink_target(
    name: &str,
    spec: &SinkSpec,
    schema: &vstream_repr::Schema,
    changelog: bool,
    worker: usize,
    stdout: &StdoutTarget,
    stdout_changelog: bool,
) -> Result<SinkTarget, RunError> {
    // A changelog printed to stdout is folded into its result, unless asked for as a changelog
    // (tests capture the changelog itself).
    let folded = changelog && !stdout_changelog && matches!(spec, SinkSpec::Stdout) && !matches!(stdout, StdoutTarget::Capture(_));
    // Written rows carry an `op` column when they are a changelog, except where rows are folded
    // (folded stdout, upsert files) or the format carries the kind itself (Debezium).
    let op_column = changelog
        && match spec {
            SinkSpec::Stdout => !folded,
            SinkSpec::File(f) => !f.upsert && f.format != Format::DebeziumJson,
            SinkSpec::Blackhole => false,
            SinkSpec::Kafka(_) => false,
        };
    let plain_schema = schema;
    let schema = &written_schema(schema, op_column);
    Ok(match spec {
        // Kafka sinks are operators of their own (`operators::kafka_sink`), which make their producer.
        SinkSpec::Blackhole | SinkSpec::Kafka(_) => SinkTarget::Discard,
        SinkSpec::File(f) => {
            if f.single_file && worker != 0 {
                return Ok(SinkTarget::Discard);
            }
            let path = if f.single_file { f.path.clone() } else { f.path.join(part_name(&f.format, worker)) };
            let err = |error| RunError::SinkSetup { name: name.to_string(), path: display_path(&path), error };
            let file = File::create(&path).map_err(err)?;
            let mut writer = BufWriter::with_capacity(1 << 20, file);
            let encoder = RowEncoder::new(&f.format, schema);
            let mut header = Vec::new();
            encoder.header(&mut header);
            writer.write_all(&header).map_err(err)?;
            if f.upsert {
                SinkTarget::FileUpsert { writer, encoder, schema: plain_schema.clone(), fold: Default::default() }
            } else {
                SinkTarget::File { writer, encoder }
            }
        }
        SinkSpec::Stdout => {
            if worker != 0 {
                return Ok(SinkTarget::Discard);
            }
            let format = Format::Csv(vstream_connectors::CsvOptions { header: true, ..Default::default() });
            let encoder = RowEncoder::new(&format, schema);
            let mut header = Vec::new();
            encoder.header(&mut header);
            if folded {
                let terminal = matches!(stdout, StdoutTarget::Terminal);
                if !terminal {
                    let _ = std::io::stdout().lock().write_all(&header);
                }
                return Ok(SinkTarget::StdoutFolded { schema: schema.clone(), terminal, fold: Default::default() });
            }
            match stdout {
                StdoutTarget::Terminal => SinkTarget::StdoutTable { schema: schema.clone(), rows: Vec::new() },
                StdoutTarget::Pipe => {
                    let _ = std::io::stdout().lock().write_all(&header);
                    SinkTarget::StdoutCsv { encoder }
                }
                StdoutTarget::Capture(buffer) => {
                    buffer.lock().map_err(|_| RunError::Failed("capture lock poisoned".into()))?.extend_from_slice(&header);
                    SinkTarget::Capture { buffer: buffer.clone(), encoder }
                }
            }
        }
    })
}

/// Runs a plan to completion on `config.workers` threads. Metrics are live while it runs (for a
/// progress line) and summarised at the end.
pub fn run(plan: &DataflowPlan, config: RunConfig, metrics: Arc<Metrics>) -> Result<crate::RunSummary, RunError> {
    let start = Instant::now();
    // Sources: check the files and cut them into chunks once, before any worker starts.
    let mut rejects_files = Vec::new();
    let mut sources: Vec<Option<SourceShare>> = vec![None; plan.nodes.len()];
    for n in plan.sources() {
        if let Operator::Source { spec: SourceSpec::File(f), .. } = &n.operator {
            let len = std::fs::metadata(&f.path).map_err(|error| RunError::SourceMissing { path: display_path(&f.path), error })?.len();
            let rejects = match &f.rejects {
                Some(p) => {
                    let file =
                        File::create(p).map_err(|error| RunError::SinkSetup { name: "rejects".into(), path: display_path(p), error })?;
                    let w = Arc::new(Mutex::new(BufWriter::new(file)));
                    rejects_files.push(w.clone());
                    Some(w)
                }
                None => None,
            };
            let progress = crate::operators::source::ReadProgress::new(config.workers.max(1));
            sources[n.id] = Some(SourceShare { chunks: plan_chunks(len, config.chunk_size), rejects, progress });
        }
        if let Operator::Source { spec: SourceSpec::Kafka(k), .. } = &n.operator {
            sources[n.id] = Some(crate::operators::kafka_source::share(k, config.workers.max(1), &mut rejects_files)?);
        }
    }
    for n in &plan.nodes {
        if let Operator::Sink { name, spec: SinkSpec::File(f), .. } = &n.operator {
            prepare_sink_dir(name, f)?;
        }
    }
    let errors = Arc::new(ErrorSlot::default());
    let plan = Arc::new(plan.clone());
    let shared = Arc::new((sources, config.stdout.clone()));
    let stdout_changelog = config.stdout_changelog;
    let emit_interval = config.emit_interval;
    let (m, e) = (metrics.clone(), errors.clone());
    let guards = timely::execute(timely::Config::process(config.workers.max(1)), move |worker| {
        let index = worker.index();
        let mut sink_targets = Vec::with_capacity(plan.nodes.len());
        for n in &plan.nodes {
            sink_targets.push(match &n.operator {
                Operator::Sink { name, spec, changelog, .. } => {
                    match sink_target(name, spec, &n.schema, *changelog, index, &shared.1, stdout_changelog) {
                        Ok(t) => Some(t),
                        Err(err) => {
                            e.fail(err.to_string());
                            Some(SinkTarget::Discard)
                        }
                    }
                }
                _ => None,
            });
        }
        let ctx = WorkerContext { sources: shared.0.clone(), sink_targets, metrics: m.clone(), errors: e.clone(), emit_interval };
        worker.dataflow::<u64, _, _>(|scope| render(scope, &plan, ctx));
    })
    .map_err(RunError::Start)?;
    let results = guards.join();
    for r in results {
        if let Err(panic) = r {
            errors.fail(format!("a worker stopped unexpectedly: {panic}"));
        }
    }
    for r in &rejects_files {
        if let Err(err) = r.lock().map_err(|_| std::io::Error::other("lock poisoned")).and_then(|mut w| w.flush()) {
            errors.fail(format!("cannot write the rejects file: {err}"));
        }
    }
    if let Some(msg) = errors.take() {
        return Err(RunError::Failed(msg));
    }
    Ok(metrics.summary(start.elapsed()))
}
