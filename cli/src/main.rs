//! `vstream`: runs streaming SQL scripts on timely dataflow.

use anyhow::Context;

mod launcher;

// Batches are large, short-lived buffers; mimalloc reuses them per thread instead of mapping and
// unmapping pages for each one (glibc did, and page faults showed up in profiles).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc v3's `mi_option_purge_delay` (libmimalloc-sys has no constant for it; a test below
/// checks the index by its default, 1000 ms in v3's options.c).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc v3's `mi_option_allow_thp` (default 1 on Linux); the test below checks the index by
/// its default and that of the next option, `minimal_purge_size` (0).
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// Keeps freed pages instead of returning them to the OS a while later: batches are freed and
/// allocated again constantly, and the kernel zeroing re-faulted pages took ~20% of a GROUP BY
/// run (qagg -w 1: 0.90-1.04 s -> 0.78 s, same peak RSS).
///
/// And turns transparent huge pages off for the process: mimalloc asks for them on its arenas,
/// and each worker then touched about 20 MB in 2 MB pages it never used. Peak RSS on 10M rows
/// (1 and 2 workers): q5h 28/56 -> 17/34 MB, 1BRC 36/70 -> 22/40 MB, qagg 116/134 -> 105/114 MB,
/// at the same speed. mimalloc
/// reads its environment before `main`, and its first arena exists by then, so the process-wide
/// switch (`PR_SET_THP_DISABLE`, which also covers that arena) is what does it here.
fn configure_allocator() {
    // SAFETY: mi_option_set only writes mimalloc's option table; -1 is a valid purge delay and
    // 0 a valid THP setting. prctl(PR_SET_THP_DISABLE) takes integer arguments only and changes
    // no memory of this process.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
        libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0);
        // Arguments 3 to 5 must be zero as unsigned longs. A kernel without the switch returns
        // -1: the run is then only larger, not wrong.
        #[cfg(target_os = "linux")]
        libc::prctl(libc::PR_SET_THP_DISABLE, 1 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong);
    }
}

use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use vstream_planner::PlanOptions;
use vstream_runtime::{Metrics, RunConfig, RunSummary, StdoutTarget};

#[derive(Parser)]
#[command(name = "vstream", version, about = "Streaming SQL on timely dataflow")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs a SQL script: its INSERTs write to their sinks, its bare SELECTs to stdout.
    Run(RunArgs),
    /// Runs a script on this host's processes of a hostfile (`run --hostfile --process I` each),
    /// and prints one summary for all; exits non-zero if any process failed.
    Cluster(launcher::LaunchArgs),
    /// Prints the logical plan and dataflow of a script (as `vstream-plan explain`).
    Explain {
        script: PathBuf,
        /// Graphviz output.
        #[arg(long)]
        dot: bool,
        /// Workers per process the plan would run on (default: the script's
        /// `SET 'parallelism.default'`, else 1).
        #[arg(short = 'w', long = "workers", value_parser = clap::value_parser!(u16).range(1..=1024))]
        workers: Option<u16>,
        /// The cluster it would run on: its processes are the hostfile's lines.
        #[arg(long, value_name = "FILE")]
        hostfile: Option<PathBuf>,
        /// Only the hostfile's first N processes (or N processes without a hostfile).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        processes: Option<u16>,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// The SQL script.
    script: PathBuf,
    /// Worker threads (default: the script's `SET 'parallelism.default'`, else 1).
    #[arg(short = 'w', long = "workers", value_parser = clap::value_parser!(u16).range(1..=1024))]
    workers: Option<u16>,
    /// No progress line and no summary.
    #[arg(short, long)]
    quiet: bool,
    /// Print a GROUP BY query's stdout rows as a changelog (op column +I/-U/+U/-D) as they
    /// change, instead of its result when the input ends.
    #[arg(long)]
    changelog: bool,
    /// A run setting, KEY=VALUE. `emit.interval=N`: results lag the input by at most N rows per
    /// worker (default: one update per chunk of input, a few MB). `emit.mode=changes`: window
    /// aggregates emit a changelog while a window is open (EMIT CHANGES), instead of one row per
    /// window and key when it closes (`emit.mode=final`, the default).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    settings: Vec<String>,
    /// Bytes per source chunk, the unit a worker reads at once (e.g. 524288).
    #[arg(long, default_value_t = vstream_connectors::DEFAULT_CHUNK_SIZE, hide = true)]
    chunk_size: u64,
    #[command(flatten)]
    cluster: ClusterArgs,
    /// Pause this long between a worker's chunks (tests of faults mid-run).
    #[arg(long, hide = true)]
    chunk_delay_ms: Option<u64>,
    /// Print the summary as one JSON line (`vstream-summary: {...}`), for `vstream cluster`.
    #[arg(long, hide = true)]
    summary_json: bool,
}

/// Running one process of a cluster. (No `-h` for the hostfile, as timely has: it is help.)
#[derive(clap::Args, Clone)]
struct ClusterArgs {
    /// A file of `host:port` lines, one per process, in process order: run as one process of
    /// that cluster. Every process runs the same script with the same -w.
    #[arg(long, value_name = "FILE")]
    hostfile: Option<PathBuf>,
    /// This process's index in the hostfile (0 for its first line).
    #[arg(long, value_name = "I", requires = "hostfile")]
    process: Option<usize>,
    /// Use only the hostfile's first N lines.
    #[arg(long, value_name = "N", requires = "hostfile", value_parser = clap::value_parser!(u16).range(1..))]
    processes: Option<u16>,
    /// The secret every process of the cluster shares (or VSTREAM_CLUSTER_SECRET); a connection
    /// that does not prove it is refused.
    #[arg(long, value_name = "SECRET", requires = "hostfile")]
    cluster_secret: Option<String>,
    /// How long to wait for every other process to come up (e.g. 30s, 500ms, 2m).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    connect_timeout: Duration,
}

/// `30s`, `500ms`, `2m`, or bare seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    let value: f64 = number.trim().parse().map_err(|_| format!("`{text}` is not a duration (e.g. 30s, 500ms, 2m)"))?;
    if !value.is_finite() || value <= 0.0 || value * scale > 86_400.0 {
        return Err(format!("`{text}`: expected a positive duration of at most a day"));
    }
    Ok(Duration::from_secs_f64(value * scale))
}

/// The cluster this process is one of, from its options; `None` without `--hostfile`.
fn cluster_config(args: &ClusterArgs, announce: bool) -> anyhow::Result<Option<vstream_runtime::cluster::ClusterConfig>> {
    let Some(hostfile) = &args.hostfile else { return Ok(None) };
    let addresses = vstream_runtime::cluster::read_hostfile(hostfile, args.processes.map(usize::from))?;
    let process = args
        .process
        .ok_or_else(|| anyhow::anyhow!("--hostfile: say which process this is with --process I (0 to {})", addresses.len() - 1))?;
    if process >= addresses.len() {
        return Err(vstream_runtime::cluster::ClusterError::ProcessOutOfRange { process, processes: addresses.len() }.into());
    }
    let secret = args
        .cluster_secret
        .clone()
        .or_else(|| std::env::var("VSTREAM_CLUSTER_SECRET").ok())
        .and_then(|s| vstream_runtime::cluster::Secret::new(&s));
    // One process alone needs no secret: it talks to nobody.
    let secret = match secret {
        Some(s) => s,
        None if addresses.len() == 1 => {
            vstream_runtime::cluster::Secret::new("none").ok_or(vstream_runtime::cluster::ClusterError::NoSecret)?
        }
        None => return Err(vstream_runtime::cluster::ClusterError::NoSecret.into()),
    };
    Ok(Some(vstream_runtime::cluster::ClusterConfig { process, addresses, secret, connect_timeout: args.connect_timeout, announce }))
}

fn main() -> ExitCode {
    // No input should reach a panic; if a bug does, say so in one line instead of a backtrace note.
    std::panic::set_hook(Box::new(|info| {
        // When a cluster link breaks (a peer died, or this process cut its links on an
        // error), timely's network threads and the workers stop by panicking; the run reports
        // the cause itself.
        if vstream_runtime::cluster::network_down() {
            return;
        }
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("error: internal error{place}: {what} (this is a vstream bug; please report it)");
    }));
    configure_allocator();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        // The launcher has said why each failed process failed.
        Command::Cluster(args) => match launcher::launch(args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
        Command::Explain { script, dot, workers, hostfile, processes } => explain(script, dot, workers, hostfile, processes),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Plan errors are already rendered with their source line; others get one line with context.
            let text = format!("{e:#}");
            if text.starts_with("error:") {
                eprint!("{text}");
                if !text.ends_with('\n') {
                    eprintln!();
                }
            } else {
                eprintln!("error: {text}");
            }
            ExitCode::FAILURE
        }
    }
}

fn plan(script: &PathBuf, options: &PlanOptions) -> anyhow::Result<(vstream_planner::Planned, PathBuf)> {
    let sql = std::fs::read_to_string(script).with_context(|| format!("cannot read {}", script.display()))?;
    let base = vstream_planner::script_dir(script);
    let planned = vstream_planner::plan_script_with(&sql, &base, options)
        .map_err(|e| anyhow::anyhow!(e.render(&sql, &script.display().to_string())))?;
    Ok((planned, base))
}

fn explain(script: PathBuf, dot: bool, workers: Option<u16>, hostfile: Option<PathBuf>, processes: Option<u16>) -> anyhow::Result<()> {
    let (planned, base) = plan(&script, &PlanOptions::default())?;
    let workers = resolve_workers(workers, &planned)?;
    let processes = match &hostfile {
        Some(h) => vstream_runtime::cluster::read_hostfile(h, processes.map(usize::from))?.len(),
        None => processes.map(usize::from).unwrap_or(1),
    };
    let on = vstream_planner::explain::Parallelism { processes, workers: workers.into() };
    let text = if dot {
        vstream_planner::explain::explain_dot_on(&planned, &base, on)
    } else {
        vstream_planner::explain::explain_text_on(&planned, &base, on)
    };
    print!("{text}");
    Ok(())
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let mut settings = Settings::default();
    for setting in &args.settings {
        apply_setting(&mut settings, setting)?;
    }
    let (planned, base) = plan(&args.script, &settings.plan)?;
    for notice in &planned.logical.settings.notices {
        eprintln!("{notice}");
    }
    let workers = resolve_workers(args.workers, &planned)?;
    let cluster = cluster_config(&args.cluster, !args.quiet)?;
    // EXPLAIN statements print their plans (on the run's processes and workers) instead of running.
    let on = vstream_planner::explain::Parallelism { processes: cluster.as_ref().map_or(1, |c| c.processes()), workers: workers.into() };
    for explained in &planned.explains {
        print!("{}", vstream_planner::explain::explain_text_on(explained, &base, on));
    }
    if planned.logical.sinks.is_empty() {
        return Ok(());
    }
    let process = cluster.as_ref().map(|c| c.process).unwrap_or(0);
    let bytes_total = vstream_runtime::run::source_bytes(&vstream_runtime::run::localize(&planned.dataflow, process))?;
    let late_operators = planned.dataflow.late_operators().into_iter().map(|(_, name)| name).collect();
    let metrics = Arc::new(Metrics::new(bytes_total, planned.dataflow.sink_names(), late_operators));
    let stdout = if std::io::stdout().is_terminal() { StdoutTarget::Terminal } else { StdoutTarget::Pipe };
    let where_ = cluster.as_ref().map(|c| (c.process, c.processes()));
    let config = RunConfig {
        workers: workers as usize,
        cluster,
        chunk_delay: args.chunk_delay_ms.map(Duration::from_millis),
        key_groups: vstream_runtime::DEFAULT_KEY_GROUPS,
        fresh_sinks: true,
        stdout,
        chunk_size: args.chunk_size.max(1),
        stdout_changelog: args.changelog,
        emit_interval: settings.emit_interval,
    };

    let done = Arc::new(AtomicBool::new(false));
    let progress = (!args.quiet && std::io::stderr().is_terminal()).then(|| spawn_progress(metrics.clone(), done.clone()));
    let result = vstream_runtime::run(&planned.dataflow, config, metrics.clone());
    done.store(true, Ordering::Release);
    if let Some(p) = progress {
        p.thread().unpark();
        let _ = p.join();
    }
    let mut summary = result?;
    summary.elapsed = start.elapsed();
    if args.summary_json {
        eprintln!("{SUMMARY_JSON_PREFIX}{}", summary_json(&summary));
    } else if !args.quiet {
        eprintln!("{}", summary_line(&summary, workers, where_));
    }
    Ok(())
}

/// Workers per process: `-w` if given, else the script's `SET 'parallelism.default'`, else 1.
fn resolve_workers(flag: Option<u16>, planned: &vstream_planner::Planned) -> anyhow::Result<u16> {
    Ok(match (flag, planned.logical.settings.parallelism) {
        (Some(w), _) => w,
        (None, Some(p)) => u16::try_from(p).context("'parallelism.default' is too large")?,
        (None, None) => 1,
    })
}

/// What `--set` changes: how the script is planned, and how it runs.
#[derive(Default)]
struct Settings {
    plan: PlanOptions,
    emit_interval: Option<usize>,
}

/// Applies one `--set KEY=VALUE`; an unknown key or a bad value is an error, never ignored.
fn apply_setting(config: &mut Settings, setting: &str) -> anyhow::Result<()> {
    let (key, value) = setting.split_once('=').ok_or_else(|| anyhow::anyhow!("--set {setting}: expected KEY=VALUE"))?;
    match key.trim() {
        "emit.interval" => {
            let v = value.trim();
            let rows = v.strip_suffix("rows").unwrap_or(v).trim();
            let n: usize = rows
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| anyhow::anyhow!("--set emit.interval={value}: expected a positive number of rows (e.g. 10000)"))?;
            config.emit_interval = Some(n);
            Ok(())
        }
        "emit.mode" => {
            config.plan.emit_changes = Some(match value.trim().to_ascii_lowercase().as_str() {
                "changes" => true,
                "final" => false,
                _ => anyhow::bail!("--set emit.mode={value}: expected 'final' or 'changes'"),
            });
            Ok(())
        }
        other => anyhow::bail!("--set {other}: unknown setting (known: emit.interval, emit.mode)"),
    }
}

/// How `vstream run --summary-json` starts its summary line on stderr.
const SUMMARY_JSON_PREFIX: &str = "vstream-summary: ";

/// One process's summary as `vstream cluster` reads it from that process's stderr.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
struct SummaryRecord {
    rows_in: u64,
    rows_out: Vec<(String, u64)>,
    rejected: u64,
    null_event_time: u64,
    /// Rows dropped for lateness, per window operator (by the table its query writes).
    late: Vec<(String, u64)>,
    bytes_read: u64,
    elapsed_s: f64,
}

fn summary_json(s: &RunSummary) -> String {
    let record = SummaryRecord {
        rows_in: s.rows_in,
        rows_out: s.rows_out.clone(),
        rejected: s.rejected,
        null_event_time: s.null_event_time,
        late: s.late.clone(),
        bytes_read: s.bytes_read,
        elapsed_s: s.elapsed.as_secs_f64(),
    };
    serde_json::to_string(&record).unwrap_or_default()
}

/// `vstream: 10000 rows in, 81 rows out (stdout 81), 0 rejected, 0.012 s, 833333 events/s, -w 2`;
/// in a cluster `vstream: process 1 of 2: ...`, counting that process's share.
fn summary_line(s: &RunSummary, workers: u16, cluster: Option<(usize, usize)>) -> String {
    let per_sink: Vec<String> = s.rows_out.iter().map(|(n, c)| format!("{n} {c}")).collect();
    let who = cluster.map(|(p, n)| format!("process {p} of {n}: ")).unwrap_or_default();
    let mut line = format!("vstream: {who}{} rows in, {} rows out ({})", s.rows_in, s.total_out(), per_sink.join(", "));
    line.push_str(&format!(", {} rejected", s.rejected));
    if s.null_event_time > 0 {
        line.push_str(&format!(" ({} with a NULL event time)", s.null_event_time));
    }
    line.push_str(&late_text(&s.late));
    line.push_str(&format!(
        ", {:.3} s, {:.0} events/s, {workers} worker{}",
        s.elapsed.as_secs_f64(),
        s.events_per_sec(),
        if workers == 1 { "" } else { "s" }
    ));
    line
}

/// `, 3 late (query into `a` 2, query into `b` 1)`: the rows each window operator dropped for
/// lateness, named as errors name a query; empty when none did.
fn late_text(late: &[(String, u64)]) -> String {
    let total: u64 = late.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return String::new();
    }
    let per: Vec<String> = late.iter().filter(|(_, n)| *n > 0).map(|(name, n)| format!("query into `{name}` {n}")).collect();
    format!(", {total} late ({})", per.join(", "))
}

/// A live progress line on stderr (only when it is a terminal): bytes read of the total, rows/s.
fn spawn_progress(metrics: Arc<Metrics>, done: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let bar = indicatif::ProgressBar::new(metrics.bytes_total.max(1));
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let start = Instant::now();
        // Appear only on runs long enough to need it.
        while !done.load(Ordering::Acquire) {
            // Parked rather than asleep, so the end of a short run does not wait for a tick.
            std::thread::park_timeout(Duration::from_millis(100));
            if done.load(Ordering::Acquire) {
                break;
            }
            if start.elapsed() < Duration::from_millis(500) {
                continue;
            }
            let rows = Metrics::get(&metrics.rows_in);
            bar.set_position(Metrics::get(&metrics.bytes_read));
            bar.set_message(format!("{rows} rows, {:.0} rows/s", rows as f64 / start.elapsed().as_secs_f64()));
        }
        bar.finish_and_clear();
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn purge_delay_option_index() {
        // SAFETY: reads mimalloc's option table.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) }, 1000, "not mimalloc's purge_delay option");
        // SAFETY: as above.
        let (thp, next) = unsafe { (libmimalloc_sys::mi_option_get(super::MI_OPTION_ALLOW_THP), libmimalloc_sys::mi_option_get(44)) };
        assert_eq!((thp, next), (1, 0), "not mimalloc's allow_thp option (1) followed by minimal_purge_size (0)");
    }
}
