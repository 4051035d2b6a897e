//! Running a planned script: prepare sources and sinks, start the workers, wait, report.

use crate::cluster::{ClusterConfig, ClusterError, Fingerprint, LinkWatch};
use crate::context::{ReadProgress, RejectsFile, SourceShare, SourceSplit, WatermarkBoard};
use crate::error::DataflowError;
use crate::metrics::Metrics;
use crate::operators::sink::SinkTarget;
use crate::operators::{ErrorSlot, SharedErrors};
use crate::paths::display_path;
use crate::render::{WorkerContext, render};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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

/// How to run a plan: workers, cluster, where stdout goes, and the settings that shape epochs,
/// key placement and sink files. [`Default`]: one worker, alone, stdout a pipe, fresh sinks.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Worker threads in this process.
    pub workers: usize,
    /// Several processes from a hostfile; `None`: this process alone.
    pub cluster: Option<ClusterConfig>,
    /// Where bare SELECTs print; only the cluster's worker 0 writes there.
    pub stdout: StdoutTarget,
    /// Bytes per source chunk (the unit of work a worker reads at once).
    pub chunk_size: u64,
    /// Print a changelog query's rows to stdout as a changelog (`op` column) instead of its
    /// current result when the input ends.
    pub stdout_changelog: bool,
    /// At most this many input rows per worker between result updates (`--set emit.interval=N`);
    /// `None`: one update per chunk of input.
    pub emit_interval: Option<usize>,
    /// A pause between a worker's chunks (hidden `--chunk-delay-ms`, for tests of faults
    /// mid-run).
    pub chunk_delay: Option<std::time::Duration>,
    /// How many key groups keyed state is placed by: a power of two, the same on every process.
    /// A key's group does not depend on the worker count, so state kept per group can be read
    /// back at another worker count; more groups than workers keep ranges balanced.
    pub key_groups: u32,
    /// Start the sinks afresh: remove the part files a sink folder holds from earlier runs and
    /// truncate the files written. A run that resumes earlier output (a restore) sets this to
    /// false: sink files are then appended to, and nothing is removed.
    pub fresh_sinks: bool,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            workers: 1,
            cluster: None,
            stdout: StdoutTarget::Pipe,
            chunk_size: vstream_connectors::DEFAULT_CHUNK_SIZE,
            stdout_changelog: false,
            emit_interval: None,
            chunk_delay: None,
            key_groups: crate::operators::keyed::DEFAULT_KEY_GROUPS,
            fresh_sinks: true,
        }
    }
}

/// Why a run failed: before it started (sources, sinks, settings, the cluster's setup), while it
/// ran ([`DataflowError`]), or because a peer process went away.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    // The io::Error is part of the one-line message, not a `source`, so it is not printed twice.
    /// A source file that cannot be read (or is a directory), found before the workers start.
    #[error("cannot read {}: {error}", path.display())]
    SourceMissing {
        /// The file, relative to the current folder when under it (this process's own, for a
        /// per-process path).
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A sink folder that cannot be made or cleared before the workers start.
    #[error("cannot prepare sink `{name}` at {}: {error}", path.display())]
    SinkSetup {
        /// The sink's table.
        name: String,
        /// The sink's folder or file, relative to the current folder when under it.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A source's rejects file (`'csv.rejects'`, `'json.rejects'`) that cannot be created before
    /// the workers start.
    #[error("cannot create the rejects file {}: {error}", path.display())]
    RejectsSetup {
        /// The rejects file, relative to the current folder when under it.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A failure while the dataflow ran (the first, if several).
    #[error(transparent)]
    Dataflow(#[from] DataflowError),
    /// `RunConfig::key_groups` is not a power of two.
    #[error("the key group count must be a power of two, not {0}")]
    KeyGroups(u32),
    /// Timely cannot start the worker threads (its error, as text).
    #[error("cannot start the workers: {0}")]
    Start(String),
    /// The cluster cannot be set up: connections, handshakes, network threads.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// A peer's link broke before this process's workers finished, and this process had no
    /// error of its own.
    #[error("lost {peer} mid-run: {why}; this process's output is incomplete (if that process failed, its own error says why)")]
    LostPeer {
        /// The first peer lost, as [`ClusterConfig::describe`] names it.
        peer: String,
        /// How its link broke (closed, or the I/O error).
        why: String,
    },
}

/// The text in a source or rejects path that each process replaces with its index, so each
/// reads (or writes) its own file.
pub const PROCESS_PATTERN: &str = "{process}";

fn for_process(path: &Path, process: usize) -> PathBuf {
    match path.to_str() {
        Some(s) if s.contains(PROCESS_PATTERN) => PathBuf::from(s.replace(PROCESS_PATTERN, &process.to_string())),
        _ => path.to_path_buf(),
    }
}

/// Whether a source's file is per process (its path holds `{process}`).
fn is_per_process(path: &Path) -> bool {
    path.to_str().is_some_and(|s| s.contains(PROCESS_PATTERN))
}

/// The plan as process `process` runs it: `{process}` in source and rejects paths replaced by
/// its index. (The plan hash that processes compare is taken before, so they agree.)
pub fn localize(plan: &DataflowPlan, process: usize) -> DataflowPlan {
    let mut plan = plan.clone();
    for n in &mut plan.nodes {
        if let Operator::Source { spec: SourceSpec::File(f), .. } = &mut n.operator {
            f.path = for_process(&f.path, process);
            f.rejects = f.rejects.as_deref().map(|r| for_process(r, process));
        }
    }
    plan
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

/// Which part files of a sink folder this process clears before it writes: its own workers'
/// (global indexes `first..first + workers`), and on process 0 also those of workers the run does
/// not have. Processes sharing a folder (on one host) thus never remove each other's new parts.
struct PartOwner {
    first: usize,
    workers: usize,
    total: usize,
}

impl PartOwner {
    fn owns(&self, file_name: &str) -> bool {
        let index = file_name.strip_prefix("part-").and_then(|r| r.split('.').next()).and_then(|n| n.parse::<usize>().ok());
        match index {
            Some(i) => (self.first..self.first + self.workers).contains(&i) || (self.first == 0 && i >= self.total),
            // Not a part file vstream names; process 0 clears it as a single process does.
            None => self.first == 0,
        }
    }
}

/// Makes the folder a file sink writes in (its part folder, or a single file's parent).
fn create_sink_dir(name: &str, sink: &FileSink) -> Result<(), RunError> {
    let err = |error| RunError::SinkSetup { name: name.to_string(), path: display_path(&sink.path), error };
    let dir = if sink.single_file { sink.path.parent().filter(|p| !p.as_os_str().is_empty()) } else { Some(sink.path.as_path()) };
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    Ok(())
}

/// Clears a sink folder for a fresh start: the part files it holds from earlier runs are removed
/// (those `owner` owns), so a run with fewer workers leaves no stale parts behind. A single file
/// is truncated when it is opened instead.
fn clear_sink_parts(name: &str, sink: &FileSink, owner: &PartOwner) -> Result<(), RunError> {
    if sink.single_file {
        return Ok(());
    }
    let err = |error| RunError::SinkSetup { name: name.to_string(), path: display_path(&sink.path), error };
    for entry in std::fs::read_dir(&sink.path).map_err(err)? {
        let path = entry.map_err(err)?.path();
        if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("part-") && owner.owns(n)) {
            std::fs::remove_file(&path).map_err(err)?;
        }
    }
    Ok(())
}

/// Opens a sink file: truncated when `fresh`, else appended to. Returns the file and whether it
/// is empty (a header is written only to an empty file).
fn open_sink_file(path: &Path, fresh: bool) -> std::io::Result<(File, bool)> {
    if fresh {
        return Ok((File::create(path)?, true));
    }
    let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    let empty = file.metadata()?.len() == 0;
    Ok((file, empty))
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

/// How the run's sinks start, from its `RunConfig`.
#[derive(Clone, Debug)]
struct SinkSettings {
    stdout: StdoutTarget,
    stdout_changelog: bool,
    /// See `RunConfig::fresh_sinks`.
    fresh: bool,
}

/// The target of a sink on one worker.
fn sink_target(
    name: &str,
    spec: &SinkSpec,
    schema: &vstream_repr::Schema,
    changelog: bool,
    worker: usize,
    settings: &SinkSettings,
) -> Result<SinkTarget, DataflowError> {
    let SinkSettings { stdout, stdout_changelog, fresh } = settings;
    let (stdout_changelog, fresh) = (*stdout_changelog, *fresh);
    // A changelog printed to stdout is folded into its result, unless asked for as a changelog
    // (tests capture the changelog itself).
    let folded = changelog && !stdout_changelog && matches!(spec, SinkSpec::Stdout) && !matches!(stdout, StdoutTarget::Capture(_));
    // Written rows carry an `op` column when they are a changelog, except where rows are folded
    // (folded stdout, upsert files) or the format carries the kind itself (Debezium).
    let op_column = changelog && !folded && spec.writes_op_column();
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
            let err = |error| DataflowError::SinkSetup { sink: name.to_string(), path: display_path(&path), error };
            let (file, empty) = open_sink_file(&path, fresh).map_err(err)?;
            let mut writer = BufWriter::with_capacity(1 << 20, file);
            let encoder = RowEncoder::new(&f.format, schema);
            if empty {
                let mut header = Vec::new();
                encoder.header(&mut header);
                writer.write_all(&header).map_err(err)?;
            }
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
                    buffer.lock().map_err(|_| DataflowError::internal("the capture buffer's lock is poisoned"))?.extend_from_slice(&header);
                    SinkTarget::Capture { buffer: buffer.clone(), encoder }
                }
            }
        }
    })
}

/// Opens a rejects file for the run (created, or truncated), and keeps it to flush at the end.
fn open_rejects(path: &Path, rejects_files: &mut Vec<RejectsFile>) -> Result<RejectsFile, RunError> {
    let file = File::create(path).map_err(|error| RunError::RejectsSetup { path: display_path(path), error })?;
    let w = Arc::new(Mutex::new(BufWriter::new(file)));
    rejects_files.push(w.clone());
    Ok(w)
}

/// What `prepare_sources` makes: per plan node, a source's share; the rejects files to flush at
/// the end; the shared source files' lengths, for the cluster fingerprint.
struct PreparedSources {
    shares: Vec<Option<SourceShare>>,
    rejects_files: Vec<RejectsFile>,
    shared_sources: Vec<String>,
}

/// Checks the source files and cuts them into chunks once, before any worker starts, and opens
/// the rejects files. `original` is the plan before `localize` (to tell per-process files).
fn prepare_sources(
    plan: &DataflowPlan,
    original: &DataflowPlan,
    config: &RunConfig,
    (process, processes): (usize, usize),
) -> Result<PreparedSources, RunError> {
    let workers = config.workers.max(1);
    let mut prepared = PreparedSources { shares: vec![None; plan.nodes.len()], rejects_files: Vec::new(), shared_sources: Vec::new() };
    for n in plan.sources() {
        let Operator::Source { spec, .. } = &n.operator else { continue };
        match spec {
            SourceSpec::File(f) => {
                let len = std::fs::metadata(&f.path).map_err(|error| RunError::SourceMissing { path: display_path(&f.path), error })?.len();
                let per_process = processes > 1
                    && matches!(&original.nodes[n.id].operator, Operator::Source { spec: SourceSpec::File(o), .. } if is_per_process(&o.path));
                if !per_process {
                    prepared.shared_sources.push(format!("{}={len}", f.path.display()));
                }
                let rejects = f.rejects.as_deref().map(|p| open_rejects(p, &mut prepared.rejects_files)).transpose()?;
                // A file all processes share is split across all their workers; a per-process
                // file across this process's workers.
                let split = SourceSplit { first_worker: process * workers, local_workers: workers, per_process };
                let chunks = plan_chunks(len, config.chunk_size);
                prepared.shares[n.id] = Some(SourceShare::File { chunks, rejects, progress: ReadProgress::new(workers), split });
            }
            SourceSpec::Kafka(k) => {
                let rejects = k.rejects.as_deref().map(|p| open_rejects(p, &mut prepared.rejects_files)).transpose()?;
                // Partitions go to the workers of all processes; watermarks are shared in a process.
                let watermarks = WatermarkBoard::new(workers);
                prepared.shares[n.id] = Some(SourceShare::Kafka { rejects, watermarks, first_worker: process * workers });
            }
        }
    }
    Ok(prepared)
}

/// Makes the file sinks' folders and, for a fresh start (`RunConfig::fresh_sinks`), clears the
/// part files of earlier runs that this process owns.
fn prepare_sinks(plan: &DataflowPlan, fresh: bool, owner: &PartOwner) -> Result<(), RunError> {
    for n in &plan.nodes {
        if let Operator::Sink { name, spec: SinkSpec::File(f), .. } = &n.operator {
            create_sink_dir(name, f)?;
            if fresh {
                clear_sink_parts(name, f, owner)?;
            }
        }
    }
    Ok(())
}

/// What every worker of the run shares.
struct Shared {
    plan: DataflowPlan,
    sources: Vec<Option<SourceShare>>,
    sinks: SinkSettings,
    metrics: Arc<Metrics>,
    errors: SharedErrors,
    emit_interval: Option<usize>,
    chunk_delay: Option<std::time::Duration>,
    key_groups: u32,
    /// Workers that ran their dataflow to its end (not stopped by a broken link).
    finished: AtomicUsize,
    /// A worker panicked (a bug): every worker drops its dataflow and returns, since the others
    /// would otherwise wait for the panicked one's progress forever.
    panicked: AtomicBool,
}

/// One worker: make its sink targets, render the plan, and step it to its end.
fn worker_body(worker: &mut timely::worker::Worker, shared: &Shared) {
    let index = worker.index();
    let sink_targets = shared
        .plan
        .nodes
        .iter()
        .map(|n| match &n.operator {
            Operator::Sink { name, spec, changelog, .. } => match sink_target(name, spec, &n.schema, *changelog, index, &shared.sinks) {
                Ok(t) => Some(t),
                Err(err) => {
                    shared.errors.fail(err);
                    Some(SinkTarget::Discard)
                }
            },
            // Only sinks write; every other operator is listed, so a new one is decided here.
            Operator::Source { .. }
            | Operator::LateRows { .. }
            | Operator::MapFilterProject { .. }
            | Operator::Expand { .. }
            | Operator::Unnest { .. }
            | Operator::KeyedAggregate { .. }
            | Operator::WindowAggregate { .. }
            | Operator::Union { .. }
            | Operator::TopN { .. }
            | Operator::OverAggregate { .. }
            | Operator::SetOperation { .. }
            | Operator::Limit { .. }
            | Operator::EventTimeSort { .. }
            | Operator::WindowTopN { .. }
            | Operator::Deduplicate { .. } => None,
        })
        .collect();
    let ctx = WorkerContext {
        sources: shared.sources.clone(),
        sink_targets,
        metrics: shared.metrics.clone(),
        errors: shared.errors.clone(),
        emit_interval: shared.emit_interval,
        chunk_delay: shared.chunk_delay,
        key_groups: shared.key_groups,
    };
    if let Err(err) = worker.dataflow::<u64, _, _>(|scope| render(scope, &shared.plan, ctx)) {
        shared.errors.fail(err);
    }
    // Stepped here rather than by timely after this returns, so that reaching the end is
    // counted: a worker stopped by a lost peer panics out of this loop instead. An idle worker
    // wakes at least every PANIC_CHECK to see whether another one panicked.
    let stepped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        while worker.has_dataflows() && !shared.panicked.load(Ordering::Acquire) {
            worker.step_or_park(Some(PANIC_CHECK));
        }
    }));
    if let Err(panic) = stepped {
        // The others stop; this one's panic goes on to `run`, which judges it when it joins the
        // workers (a worker stopped by a lost peer panics too, and is reported as that).
        shared.panicked.store(true, Ordering::Release);
        std::panic::resume_unwind(panic);
    }
    if shared.panicked.load(Ordering::Acquire) {
        for id in worker.installed_dataflows() {
            worker.drop_dataflow(id);
        }
        return;
    }
    shared.finished.fetch_add(1, Ordering::AcqRel);
}

/// How long an idle worker parks before it looks whether another worker panicked.
const PANIC_CHECK: std::time::Duration = std::time::Duration::from_millis(100);

/// Runs a plan to completion on `config.workers` threads, and with `config.cluster` on every
/// process of the cluster together. Metrics are live while it runs (for a progress line) and
/// summarised at the end; in a cluster they count this process's share.
pub fn run(plan: &DataflowPlan, config: RunConfig, metrics: Arc<Metrics>) -> Result<crate::RunSummary, RunError> {
    let start = Instant::now();
    if !config.key_groups.is_power_of_two() {
        return Err(RunError::KeyGroups(config.key_groups));
    }
    let workers = config.workers.max(1);
    let (process, processes) = config.cluster.as_ref().map(|c| (c.process, c.processes())).unwrap_or((0, 1));
    // The plan hash is of the plan as written, before each process puts in its own paths.
    let plan_hash = crate::cluster::plan_hash(plan);
    let original = plan;
    let plan = localize(plan, process);
    let PreparedSources { shares, rejects_files, shared_sources } = prepare_sources(&plan, original, &config, (process, processes))?;
    // Connect to the other processes before touching any sink: a run refused at the handshake
    // leaves the outputs of the last good run alone.
    let mut links = None;
    if let Some(cluster) = &config.cluster {
        let mut settings = vec![format!("chunk_size={}", config.chunk_size)];
        if let Some(n) = config.emit_interval {
            settings.push(format!("emit.interval={n}"));
        }
        // Processes must place keys alike.
        settings.push(format!("key_groups={}", config.key_groups));
        let fingerprint = Fingerprint {
            version: env!("CARGO_PKG_VERSION").to_string(),
            processes,
            workers,
            addresses: cluster.addresses.clone(),
            plan: plan_hash.clone(),
            settings,
            sources: shared_sources,
        };
        let connecting = Instant::now();
        let sockets = crate::cluster::connect(cluster, &fingerprint)?;
        if cluster.announce {
            eprintln!(
                "vstream: process {process} of {processes} ({}) connected to its peers in {:.1} s",
                cluster.addresses[process],
                connecting.elapsed().as_secs_f64()
            );
        }
        links = Some(sockets);
    }
    let owner = PartOwner { first: process * workers, workers, total: processes * workers };
    prepare_sinks(&plan, config.fresh_sinks, &owner)?;
    let errors: SharedErrors = Arc::new(ErrorSlot::default());
    errors.expect_queries(plan.nodes.iter().filter(|n| matches!(n.operator, Operator::Sink { .. })).count());
    let shared = Arc::new(Shared {
        plan,
        sources: shares,
        sinks: SinkSettings { stdout: config.stdout.clone(), stdout_changelog: config.stdout_changelog, fresh: config.fresh_sinks },
        metrics: metrics.clone(),
        errors: errors.clone(),
        emit_interval: config.emit_interval,
        chunk_delay: config.chunk_delay,
        key_groups: config.key_groups,
        finished: AtomicUsize::new(0),
        panicked: AtomicBool::new(false),
    });
    let body = {
        let shared = shared.clone();
        move |worker: &mut timely::worker::Worker| worker_body(worker, &shared)
    };
    let watch = Arc::new(LinkWatch::default());
    let guards = match links {
        None => timely::execute(timely::Config::process(workers), body).map_err(RunError::Start)?,
        Some(sockets) => {
            // A process that fails cuts its links, so its peers stop too rather than finish
            // with a part of the input and report success.
            let cut = watch.clone();
            errors.on_fail(Box::new(move || cut.cut()));
            let sockets = watch.wrap(sockets).map_err(ClusterError::Network)?;
            let hooks = timely::communication::Hooks::default();
            let local =
                timely::communication::allocator::ProcessBuilder::new_typed_vector(workers, hooks.refill.clone(), hooks.spill.clone());
            let (builders, comms) = timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets(
                local, sockets, process, workers, hooks,
            )
            .map_err(ClusterError::Network)?;
            let builders = builders.into_iter().map(timely::communication::AllocatorBuilder::Tcp).collect();
            timely::execute::execute_from(builders, Box::new(comms), timely::WorkerConfig::default(), body).map_err(RunError::Start)?
        }
    };
    // Joining also joins timely's network threads, which panic when a link breaks, after the
    // workers (a peer that goes away at the very end): that is judged below, not a crash here.
    let joined = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| guards.join()));
    if let Ok(results) = joined {
        for r in results {
            if let Err(panic) = r
                && !watch.is_down()
            {
                errors.fail(DataflowError::WorkerStopped { why: Some(panic) });
            }
        }
    }
    for r in &rejects_files {
        if let Err(error) = r.lock().map_err(|_| std::io::Error::other("lock poisoned")).and_then(|mut w| w.flush()) {
            errors.fail(DataflowError::RejectsIo { error });
        }
    }
    if let Some(err) = errors.take() {
        return Err(RunError::Dataflow(err));
    }
    if shared.finished.load(Ordering::Acquire) < workers {
        if let (Some(cluster), Some((peer, why))) = (&config.cluster, watch.lost()) {
            return Err(RunError::LostPeer { peer: cluster.describe(peer), why });
        }
        return Err(RunError::Dataflow(DataflowError::WorkerStopped { why: None }));
    }
    Ok(metrics.summary(start.elapsed()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sink_files_are_truncated_when_fresh_and_appended_to_otherwise() {
        let dir = std::env::temp_dir().join(format!("vstream-sink-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp folder");
        let path = dir.join("part-0.csv");
        let (mut f, empty) = open_sink_file(&path, true).expect("open fresh");
        assert!(empty);
        f.write_all(b"a\n").expect("write");
        let (mut f, empty) = open_sink_file(&path, false).expect("open to append");
        assert!(!empty, "a resumed file keeps its rows (and its header)");
        f.write_all(b"b\n").expect("write");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "a\nb\n");
        let (_, empty) = open_sink_file(&path, true).expect("open fresh again");
        assert!(empty);
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
