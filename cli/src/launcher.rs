//! `vstream cluster`: starts this host's processes of a hostfile (`vstream run --process I`
//! each), forwards their messages, waits for all and prints one merged summary.

use crate::{SUMMARY_JSON_PREFIX, SummaryRecord, late_text};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct LaunchArgs {
    /// The SQL script.
    script: PathBuf,
    /// Worker threads per process.
    #[arg(short = 'w', long = "workers", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1024))]
    workers: u16,
    /// A file of `host:port` lines, one per process. The processes whose address is on this
    /// host are started here; start the others with `vstream cluster` on their hosts.
    #[arg(long, value_name = "FILE")]
    hostfile: PathBuf,
    /// Use only the hostfile's first N lines.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    processes: Option<u16>,
    /// The secret all processes share (or VSTREAM_CLUSTER_SECRET). Without one, and when every
    /// process is on this host, a random one is made for the run.
    #[arg(long, value_name = "SECRET")]
    cluster_secret: Option<String>,
    /// How long each process waits for the others to come up.
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    connect_timeout: String,
    /// Only the merged summary, no messages of the processes.
    #[arg(short, long)]
    quiet: bool,
    /// As `vstream run --changelog`.
    #[arg(long)]
    changelog: bool,
    /// As `vstream run --set`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    settings: Vec<String>,
    #[arg(long, hide = true)]
    chunk_size: Option<u64>,
}

/// Whether an address is this host's: a loopback address, or one this host can bind.
fn is_local(address: &str) -> bool {
    let Ok(addrs) = address.to_socket_addrs() else { return false };
    addrs.into_iter().any(|a| a.ip().is_loopback() || TcpListener::bind((a.ip(), 0)).is_ok())
}

/// What one process said and how it ended.
struct Outcome {
    process: usize,
    code: Option<i32>,
    summary: Option<SummaryRecord>,
    /// Its last `error:` line.
    error: Option<String>,
}

pub fn launch(args: LaunchArgs) -> anyhow::Result<bool> {
    let start = Instant::now();
    let addresses = vstream_runtime::cluster::read_hostfile(&args.hostfile, args.processes.map(usize::from))?;
    let n = addresses.len();
    let local: Vec<usize> = (0..n).filter(|p| is_local(&addresses[*p])).collect();
    if local.is_empty() {
        anyhow::bail!("no process of {} is on this host (none of {} is a local address)", args.hostfile.display(), addresses.join(", "));
    }
    let secret = match args.cluster_secret.clone().or_else(|| std::env::var("VSTREAM_CLUSTER_SECRET").ok()).filter(|s| !s.is_empty()) {
        Some(s) => s,
        // Every process is ours: a secret made for this run keeps strangers out all the same.
        None if local.len() == n => (0..4).map(|_| format!("{:016x}", rand::random::<u64>())).collect(),
        None => return Err(vstream_runtime::cluster::ClusterError::NoSecret.into()),
    };
    if local.len() < n && !args.quiet {
        let others: Vec<String> = (0..n).filter(|p| !local.contains(p)).map(|p| format!("{p} ({})", addresses[p])).collect();
        eprintln!("vstream cluster: starting processes {:?} here; start {} on their hosts", local, others.join(", "));
    }
    let exe = std::env::current_exe()?;
    let (tx, rx) = mpsc::channel::<(usize, String)>();
    let mut children: Vec<(usize, Child)> = Vec::new();
    for &p in &local {
        let mut cmd = Command::new(&exe);
        cmd.arg("run").arg(&args.script).arg("--hostfile").arg(&args.hostfile);
        cmd.args(["--process", &p.to_string(), "-w", &args.workers.to_string(), "--summary-json"]);
        cmd.args(["--processes", &n.to_string(), "--connect-timeout", &args.connect_timeout]);
        if args.changelog {
            cmd.arg("--changelog");
        }
        for s in &args.settings {
            cmd.args(["--set", s]);
        }
        if let Some(c) = args.chunk_size {
            cmd.args(["--chunk-size", &c.to_string()]);
        }
        // The secret goes by the environment: a command line is visible to every user of the host.
        cmd.env("VSTREAM_CLUSTER_SECRET", &secret);
        // Only process 0 prints rows (stdout gathers there); it prints straight to ours.
        cmd.stdin(Stdio::null()).stdout(Stdio::inherit()).stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| anyhow::anyhow!("cannot start process {p}: {e}"))?;
        if let Some(stderr) = child.stderr.take() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if tx.send((p, line)).is_err() {
                        break;
                    }
                }
            });
        }
        children.push((p, child));
    }
    drop(tx);
    let mut outcomes: Vec<Outcome> = local.iter().map(|&process| Outcome { process, code: None, summary: None, error: None }).collect();
    let mut running = children.len();
    // Once a process fails, the others get this long to end by themselves (they notice the
    // lost peer within moments) before they are stopped.
    let mut stop_at: Option<Instant> = None;
    while running > 0 {
        while let Ok((p, line)) = rx.try_recv() {
            let Some(o) = outcomes.iter_mut().find(|o| o.process == p) else { continue };
            if let Some(json) = line.strip_prefix(SUMMARY_JSON_PREFIX) {
                o.summary = serde_json::from_str(json).ok();
                continue;
            }
            if let Some(e) = line.strip_prefix("error: ") {
                o.error = Some(e.to_string());
            }
            if !args.quiet || line.starts_with("error") {
                let _ = writeln!(std::io::stderr(), "[process {p}] {line}");
            }
        }
        for (p, child) in children.iter_mut() {
            let Some(o) = outcomes.iter_mut().find(|o| o.process == *p) else { continue };
            if o.code.is_some() {
                continue;
            }
            if let Ok(Some(status)) = child.try_wait() {
                // A process killed by a signal has no code: count it as failed.
                o.code = Some(status.code().unwrap_or(-1));
                running -= 1;
                if status.code() != Some(0) && stop_at.is_none() {
                    stop_at = Some(Instant::now() + Duration::from_secs(5));
                }
            }
        }
        if stop_at.is_some_and(|t| Instant::now() >= t) {
            for (p, child) in children.iter_mut() {
                if outcomes.iter().any(|o| o.process == *p && o.code.is_none()) {
                    let _ = child.kill();
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // The readers end with the children; take what they still hold.
    for (p, line) in rx.iter() {
        if let Some(o) = outcomes.iter_mut().find(|o| o.process == p) {
            if let Some(json) = line.strip_prefix(SUMMARY_JSON_PREFIX) {
                o.summary = serde_json::from_str(json).ok();
            } else if let Some(e) = line.strip_prefix("error: ") {
                o.error = Some(e.to_string());
                let _ = writeln!(std::io::stderr(), "[process {p}] {line}");
            } else if !args.quiet {
                let _ = writeln!(std::io::stderr(), "[process {p}] {line}");
            }
        }
    }
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.code != Some(0)).collect();
    eprintln!("{}", merged_summary(&outcomes, n, args.workers, start.elapsed()));
    for o in &failed {
        let why = o.error.clone().unwrap_or_else(|| "stopped without an error message (killed)".into());
        eprintln!("vstream cluster: process {} ({}) failed: {why}", o.process, addresses[o.process]);
    }
    Ok(failed.is_empty())
}

/// `vstream cluster: 2 processes x 2 workers: 100000 rows in, 810 rows out (out 810), 0 rejected, 1.2 s, ...`
fn merged_summary(outcomes: &[Outcome], processes: usize, workers: u16, elapsed: Duration) -> String {
    let mut total = SummaryRecord::default();
    for s in outcomes.iter().filter_map(|o| o.summary.as_ref()) {
        total.rows_in += s.rows_in;
        total.rejected += s.rejected;
        total.null_event_time += s.null_event_time;
        for (name, n) in &s.late {
            match total.late.iter_mut().find(|(t, _)| t == name) {
                Some(slot) => slot.1 += n,
                None => total.late.push((name.clone(), *n)),
            }
        }
        total.bytes_read += s.bytes_read;
        for (name, n) in &s.rows_out {
            match total.rows_out.iter_mut().find(|(t, _)| t == name) {
                Some(slot) => slot.1 += n,
                None => total.rows_out.push((name.clone(), *n)),
            }
        }
    }
    let ok = outcomes.iter().filter(|o| o.code == Some(0)).count();
    let here = if outcomes.len() < processes { format!(" ({} here)", outcomes.len()) } else { String::new() };
    let per_sink: Vec<String> = total.rows_out.iter().map(|(n, c)| format!("{n} {c}")).collect();
    let out: u64 = total.rows_out.iter().map(|(_, c)| c).sum();
    let mut line = format!(
        "vstream cluster: {processes} process{}{here} x {workers} worker{}: {} rows in, {out} rows out ({}), {} rejected",
        if processes == 1 { "" } else { "es" },
        if workers == 1 { "" } else { "s" },
        total.rows_in,
        per_sink.join(", "),
        total.rejected
    );
    line.push_str(&late_text(&total.late));
    let secs = elapsed.as_secs_f64();
    line.push_str(&format!(", {secs:.3} s, {:.0} events/s", total.rows_in as f64 / secs.max(1e-9)));
    if ok < outcomes.len() {
        line.push_str(&format!("; {} of {} failed", outcomes.len() - ok, outcomes.len()));
    }
    line
}
