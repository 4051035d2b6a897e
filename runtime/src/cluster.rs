//! Cluster mode: one script on several processes named by a hostfile, one `host:port` per line.
//!
//! vstream opens and vets the connections between processes itself and then hands the sockets
//! to timely's communication layer (`initialize_networking_from_sockets`). Timely's own setup
//! (`networking::create_sockets`) retries a missing peer forever, takes any connection on its
//! port, and indexes its table by the first 8 bytes a stranger sends, so a stray connection
//! could join the job or crash it. Here instead:
//!
//! * each process listens only on its own hostfile address, connects to the processes before it
//!   and accepts those after it (as timely does), all within `connect_timeout`; a peer that
//!   does not come up in time fails the run with its `host:port`;
//! * every connection starts with a handshake: both sides prove they hold the cluster secret
//!   (an HMAC-SHA256 over fresh nonces; the secret never crosses the wire), then compare a
//!   [`Fingerprint`] of the plan and the run's configuration. A connection without the secret
//!   is refused and the job goes on waiting; a peer with a different plan or configuration
//!   fails the run on both sides with what differs;
//! * the vetted sockets are wrapped in [`PeerStream`], which notes the first peer whose
//!   connection breaks, so a process that dies mid-run is named when timely's network threads
//!   give up (they end the workers within moments of the socket closing).
//!
//! Data between processes is not encrypted.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What can go wrong setting up a cluster run.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The hostfile cannot be read.
    #[error("cannot read the hostfile {path}: {error}")]
    HostfileRead {
        /// The hostfile, as given.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// A hostfile line that is neither blank, a `#` comment, nor `host:port`.
    #[error("hostfile {path}, line {line}: `{text}` is not host:port")]
    HostfileLine {
        /// The hostfile, as given.
        path: String,
        /// Its line number, from 1.
        line: usize,
        /// The line, trimmed.
        text: String,
    },
    /// A hostfile with only blank lines and comments.
    #[error("hostfile {path} lists no processes")]
    HostfileEmpty {
        /// The hostfile, as given.
        path: String,
    },
    /// `--processes` asks for more processes than the hostfile lists.
    #[error("--processes {wanted}: the hostfile {path} lists only {listed}")]
    TooFewHosts {
        /// The hostfile, as given.
        path: String,
        /// The `--processes` count.
        wanted: usize,
        /// The processes the hostfile lists.
        listed: usize,
    },
    /// `--process` is not an index of the cluster.
    #[error("--process {process}: the cluster has {processes} processes (0 to {})", processes - 1)]
    ProcessOutOfRange {
        /// The index asked for.
        process: usize,
        /// The processes of the cluster.
        processes: usize,
    },
    /// Cluster mode without a secret to authenticate the peers with.
    #[error("cluster mode needs a shared secret: pass --cluster-secret or set VSTREAM_CLUSTER_SECRET")]
    NoSecret,
    /// This process cannot listen on its own hostfile address.
    #[error("cannot listen on {address} (this process's hostfile line): {error}")]
    Listen {
        /// This process's `host:port`.
        address: String,
        /// Why.
        error: std::io::Error,
    },
    /// Peers with no vetted connection (either way) within `connect_timeout`.
    #[error("{}", missing_message(missing, *timeout, *refused))]
    Missing {
        /// Each missing peer, as [`ClusterConfig::describe`] names it.
        missing: Vec<String>,
        /// The timeout waited out.
        timeout: Duration,
        /// Connections refused meanwhile for a wrong secret: a likely reason the peers are missing.
        refused: usize,
    },
    /// A peer this process connected to turned it away.
    #[error("process {peer} ({address}) refused this process: {reason}")]
    Refused {
        /// The peer's index.
        peer: usize,
        /// The peer's `host:port`.
        address: String,
        /// Why, as the peer said or as its reply implies.
        reason: String,
    },
    /// A peer whose handshake reply is not MAC'd with the cluster secret.
    #[error("process {peer} ({address}) does not hold the cluster secret (its handshake reply does not prove it)")]
    Impostor {
        /// The peer's index.
        peer: usize,
        /// The peer's `host:port`.
        address: String,
    },
    /// An authenticated peer whose [`Fingerprint`] differs from this process's.
    #[error("process {peer} ({address}) does not match this process: {difference}")]
    Mismatch {
        /// The peer's index.
        peer: usize,
        /// The peer's `host:port`.
        address: String,
        /// What differs, from [`Fingerprint::difference`].
        difference: String,
    },
    /// A handshake that broke off (I/O error, timeout, not a vstream peer of this version), or an
    /// authenticated peer at an index that must not connect to this process.
    #[error("handshake with {address} failed: {reason}")]
    Handshake {
        /// The other end: a hostfile `host:port`, or the socket address a connection came from.
        address: String,
        /// Why.
        reason: String,
    },
    /// The vetted sockets cannot be set up for, or handed to, timely's network threads.
    #[error("cannot start the network threads: {0}")]
    Network(std::io::Error),
}

fn missing_message(missing: &[String], timeout: Duration, refused: usize) -> String {
    let mut s = format!("{} did not come up within {}", missing.join(", "), crate::cluster::show_duration(timeout));
    if refused > 0 {
        s.push_str(&format!(" ({refused} connection{} refused: wrong cluster secret)", if refused == 1 { " was" } else { "s were" }));
    }
    s
}

/// `30 s`, `1.5 s`.
pub fn show_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 { format!("{s:.0} s") } else { format!("{s} s") }
}

/// The processes of a cluster, in process order.
pub fn parse_hostfile(text: &str, path: &str) -> Result<Vec<String>, ClusterError> {
    let mut addresses = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        // Blank lines and comments are not processes; every other line is one.
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ok = t.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !ok || t.contains(char::is_whitespace) {
            return Err(ClusterError::HostfileLine { path: path.to_string(), line: i + 1, text: t.to_string() });
        }
        addresses.push(t.to_string());
    }
    if addresses.is_empty() {
        return Err(ClusterError::HostfileEmpty { path: path.to_string() });
    }
    Ok(addresses)
}

/// Reads a hostfile and keeps its first `processes` lines (all by default).
pub fn read_hostfile(path: &std::path::Path, processes: Option<usize>) -> Result<Vec<String>, ClusterError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| ClusterError::HostfileRead { path: shown.clone(), error })?;
    let mut addresses = parse_hostfile(&text, &shown)?;
    if let Some(n) = processes {
        if n > addresses.len() {
            return Err(ClusterError::TooFewHosts { path: shown, wanted: n, listed: addresses.len() });
        }
        addresses.truncate(n.max(1));
    }
    Ok(addresses)
}

/// The shared secret; its bytes never print.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// A secret from its text; an empty one is none.
    pub fn new(text: &str) -> Option<Secret> {
        (!text.is_empty()).then(|| Secret(text.as_bytes().to_vec()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Where this process stands in a cluster.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// This process's index (its line in the hostfile).
    pub process: usize,
    /// Every process's `host:port`, in process order.
    pub addresses: Vec<String>,
    /// Authenticates the peers in the handshake; every process holds the same one.
    pub secret: Secret,
    /// How long to wait for every peer to connect.
    pub connect_timeout: Duration,
    /// Say on stderr when the peers are connected.
    pub announce: bool,
}

impl ClusterConfig {
    /// How many processes the cluster has (the hostfile lines in use).
    pub fn processes(&self) -> usize {
        self.addresses.len()
    }
    /// `process 1 (10.0.0.2:2101)`.
    pub fn describe(&self, process: usize) -> String {
        format!("process {process} ({})", self.addresses.get(process).map(String::as_str).unwrap_or("?"))
    }
}

/// What must be equal on every process for the run to be one computation: compared in the
/// handshake, field by field, so a refusal can say what differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The vstream version (the wire format of exchanged batches is its own).
    pub version: String,
    /// How many processes the cluster has.
    pub processes: usize,
    /// Workers per process (`-w`).
    pub workers: usize,
    /// The hostfile's addresses, in order.
    pub addresses: Vec<String>,
    /// SHA-256 of the dataflow plan (the script as compiled, with its resolved paths).
    pub plan: String,
    /// Run settings that change results or how input is split, as `name=value`.
    pub settings: Vec<String>,
    /// The byte length of each source file that all processes split between them, as
    /// `path=bytes`: processes that see different files would read the wrong ranges.
    pub sources: Vec<String>,
}

/// SHA-256 of a plan's serde form, in hex (plans hold no hash maps, so the form is stable).
pub fn plan_hash<T: Serialize>(plan: &T) -> String {
    // A hash of nothing would let processes with different plans agree: fail loudly instead.
    let bytes = serde_json::to_vec(plan).expect("a plan serializes to JSON (plain data; maps keyed by strings)");
    hex(&Sha256::digest(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Fingerprint {
    /// What differs between this process's fingerprint and a peer's, in words; `None` if equal.
    pub fn difference(&self, theirs: &Fingerprint, peer: usize) -> Option<String> {
        let p = format!("process {peer}");
        if self.version != theirs.version {
            return Some(format!("{p} runs vstream {}, this process {}", theirs.version, self.version));
        }
        if self.processes != theirs.processes || self.addresses != theirs.addresses {
            return Some(format!(
                "the hostfiles differ: {p} has {} processes [{}], this process {} [{}]",
                theirs.processes,
                theirs.addresses.join(", "),
                self.processes,
                self.addresses.join(", ")
            ));
        }
        if self.workers != theirs.workers {
            return Some(format!("the worker counts differ: {p} runs -w {}, this process -w {}", theirs.workers, self.workers));
        }
        if self.plan != theirs.plan {
            return Some(format!(
                "the scripts differ: {p} runs plan {}, this process plan {} (every process must run the same script, with its files at the same paths)",
                &theirs.plan[..theirs.plan.len().min(12)],
                &self.plan[..self.plan.len().min(12)]
            ));
        }
        if self.settings != theirs.settings {
            let diff = list_difference(&self.settings, &theirs.settings);
            return Some(format!("the run settings differ: {p} has {}, this process {}", diff.1, diff.0));
        }
        if self.sources != theirs.sources {
            let diff = list_difference(&self.sources, &theirs.sources);
            return Some(format!("the source files differ: {p} sees {}, this process {} (bytes)", diff.1, diff.0));
        }
        None
    }
}

/// The items of `a` not in `b` and of `b` not in `a`, joined.
fn list_difference(a: &[String], b: &[String]) -> (String, String) {
    let only = |x: &[String], y: &[String]| {
        let v: Vec<&str> = x.iter().filter(|i| !y.contains(i)).map(String::as_str).collect();
        if v.is_empty() { "nothing else".to_string() } else { v.join(", ") }
    };
    (only(a, b), only(b, a))
}

// ---------------------------------------------------------------------------------------------
// The handshake. Frames are a 4-byte big-endian length and that many bytes of JSON.

const MAGIC: &str = "vstream-cluster/1";
/// Larger frames are refused before reading them: a stranger cannot make us allocate.
const MAX_FRAME: u32 = 1 << 20;
/// How long one handshake may take once connected: a connection that sends nothing is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Serialize, Deserialize)]
struct Hello {
    magic: String,
    from: usize,
    nonce: String,
}

#[derive(Serialize, Deserialize)]
struct Challenge {
    magic: String,
    nonce: String,
}

#[derive(Serialize, Deserialize)]
struct Proof {
    mac: String,
    fingerprint: Fingerprint,
}

#[derive(Serialize, Deserialize)]
enum Reply {
    /// The connector lacks the secret (not MAC'd: the acceptor cannot know which secret it used).
    WrongSecret,
    /// The connector's index is not one this acceptor waits for.
    Unexpected { reason: String },
    /// Authenticated: the acceptor's fingerprint, and whether it accepts.
    Answer { accepted: bool, mac: String, fingerprint: Fingerprint },
}

fn write_frame<T: Serialize>(stream: &mut TcpStream, value: &T) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    let mut frame = (bytes.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&bytes);
    stream.write_all(&frame)
}

fn read_frame<T: for<'de> Deserialize<'de>>(stream: &mut TcpStream) -> std::io::Result<T> {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len);
    if len > MAX_FRAME {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "not a vstream handshake (frame too large)"));
    }
    let mut buf = vec![0u8; len as usize];
    stream.read_exact(&mut buf)?;
    serde_json::from_slice(&buf).map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not a vstream handshake"))
}

fn nonce() -> String {
    let bytes: [u8; 16] = rand::random();
    hex(&bytes)
}

/// HMAC-SHA256 of the parts under the secret, in hex.
fn mac(secret: &Secret, parts: &[&[u8]]) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let Ok(mut m) = Hmac::<Sha256>::new_from_slice(&secret.0) else { return String::new() };
    for p in parts {
        m.update(&(p.len() as u64).to_be_bytes());
        m.update(p);
    }
    hex(&m.finalize().into_bytes())
}

/// Compares two MACs in time independent of where they differ.
fn mac_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn fingerprint_bytes(f: &Fingerprint) -> Vec<u8> {
    // Plain data (strings and numbers): serializing it cannot fail, and an empty fingerprint
    // would make every mismatch look like a match.
    serde_json::to_vec(f).expect("a fingerprint is plain data")
}

/// The outcome of one connection attempt or accepted connection.
enum Event {
    Connected(usize, TcpStream),
    /// A connection without the secret, or not a vstream peer: refused, the wait goes on.
    Stray(String),
    Fatal(ClusterError),
}

/// Connects to process `peer` (before this one) until `deadline`, and runs the connector's side
/// of the handshake.
fn connect_to(peer: usize, cfg: &ClusterConfig, fp: &Fingerprint, deadline: Instant, abort: &AtomicBool) -> Option<Event> {
    let address = cfg.addresses[peer].clone();
    loop {
        if abort.load(Ordering::Acquire) {
            return None;
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        let addrs: Vec<SocketAddr> = address.to_socket_addrs().map(|a| a.collect()).unwrap_or_default();
        for a in &addrs {
            let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
            if let Ok(stream) = TcpStream::connect_timeout(a, left.min(Duration::from_secs(2))) {
                // With nothing listening on a loopback port, a connect can meet itself (TCP
                // simultaneous open, when the kernel picks that same port as the local one).
                if stream.local_addr().ok() == stream.peer_addr().ok() {
                    continue;
                }
                return Some(match connector_handshake(stream, peer, cfg, fp) {
                    Ok(stream) => Event::Connected(peer, stream),
                    Err(e) => Event::Fatal(e),
                });
            }
        }
        // Not up yet (refused or unresolvable): try again shortly, as timely would, but only
        // until the deadline.
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn connector_handshake(mut stream: TcpStream, peer: usize, cfg: &ClusterConfig, fp: &Fingerprint) -> Result<TcpStream, ClusterError> {
    let address = cfg.addresses[peer].clone();
    let io = |e: std::io::Error| ClusterError::Handshake { address: address.clone(), reason: e.to_string() };
    stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(HANDSHAKE_TIMEOUT)).map_err(io)?;
    stream.set_nodelay(true).map_err(io)?;
    let my_nonce = nonce();
    write_frame(&mut stream, &Hello { magic: MAGIC.into(), from: cfg.process, nonce: my_nonce.clone() }).map_err(io)?;
    let challenge: Challenge = read_frame(&mut stream).map_err(io)?;
    if challenge.magic != MAGIC {
        return Err(io(std::io::Error::other("not a vstream process of this version")));
    }
    let fp_bytes = fingerprint_bytes(fp);
    let from = cfg.process.to_string();
    let proof = mac(&cfg.secret, &[b"connect", challenge.nonce.as_bytes(), my_nonce.as_bytes(), from.as_bytes(), &fp_bytes]);
    write_frame(&mut stream, &Proof { mac: proof, fingerprint: fp.clone() }).map_err(io)?;
    match read_frame::<Reply>(&mut stream).map_err(io)? {
        Reply::WrongSecret => Err(ClusterError::Refused { peer, address, reason: "wrong cluster secret".into() }),
        Reply::Unexpected { reason } => Err(ClusterError::Refused { peer, address, reason }),
        Reply::Answer { accepted, mac: their_mac, fingerprint } => {
            let expected = mac(
                &cfg.secret,
                &[b"accept", my_nonce.as_bytes(), challenge.nonce.as_bytes(), &[accepted as u8], &fingerprint_bytes(&fingerprint)],
            );
            if !mac_eq(&expected, &their_mac) {
                return Err(ClusterError::Impostor { peer, address });
            }
            if let Some(difference) = fp.difference(&fingerprint, peer) {
                return Err(ClusterError::Mismatch { peer, address, difference });
            }
            if !accepted {
                return Err(ClusterError::Refused { peer, address, reason: "it does not accept this process".into() });
            }
            Ok(stream)
        }
    }
}

/// The acceptor's side of the handshake on a fresh connection from `from_addr`.
fn acceptor_handshake(mut stream: TcpStream, from_addr: SocketAddr, cfg: &ClusterConfig, fp: &Fingerprint) -> Event {
    let stray = |why: String| Event::Stray(format!("refused a connection from {from_addr}: {why}"));
    let setup = stream
        .set_read_timeout(Some(HANDSHAKE_TIMEOUT))
        .and_then(|_| stream.set_write_timeout(Some(HANDSHAKE_TIMEOUT)))
        .and_then(|_| stream.set_nodelay(true));
    if let Err(e) = setup {
        return stray(e.to_string());
    }
    let hello: Hello = match read_frame(&mut stream) {
        Ok(h) => h,
        Err(e) => return stray(e.to_string()),
    };
    if hello.magic != MAGIC {
        return stray("not a vstream process of this version".into());
    }
    let my_nonce = nonce();
    if let Err(e) = write_frame(&mut stream, &Challenge { magic: MAGIC.into(), nonce: my_nonce.clone() }) {
        return stray(e.to_string());
    }
    let proof: Proof = match read_frame(&mut stream) {
        Ok(p) => p,
        Err(e) => return stray(e.to_string()),
    };
    let from = hello.from.to_string();
    let expected = mac(
        &cfg.secret,
        &[b"connect", my_nonce.as_bytes(), hello.nonce.as_bytes(), from.as_bytes(), &fingerprint_bytes(&proof.fingerprint)],
    );
    if !mac_eq(&expected, &proof.mac) {
        let _ = write_frame(&mut stream, &Reply::WrongSecret);
        return Event::Stray(format!("refused a connection from {from_addr}: wrong cluster secret"));
    }
    // Authenticated from here on: a peer with the secret that does not fit is a misconfigured
    // cluster, which fails the run on both sides rather than waiting out the timeout.
    if hello.from <= cfg.process || hello.from >= cfg.processes() {
        let reason = format!(
            "process {} of {} does not connect to process {} (processes connect to those before them)",
            hello.from,
            cfg.processes(),
            cfg.process
        );
        let _ = write_frame(&mut stream, &Reply::Unexpected { reason: reason.clone() });
        return Event::Fatal(ClusterError::Handshake { address: from_addr.to_string(), reason });
    }
    let difference = fp.difference(&proof.fingerprint, hello.from);
    let accepted = difference.is_none();
    let reply_mac = mac(&cfg.secret, &[b"accept", hello.nonce.as_bytes(), my_nonce.as_bytes(), &[accepted as u8], &fingerprint_bytes(fp)]);
    let sent = write_frame(&mut stream, &Reply::Answer { accepted, mac: reply_mac, fingerprint: fp.clone() });
    match difference {
        Some(difference) => {
            Event::Fatal(ClusterError::Mismatch { peer: hello.from, address: cfg.addresses[hello.from].clone(), difference })
        }
        None => match sent {
            Ok(()) => Event::Connected(hello.from, stream),
            Err(e) => stray(e.to_string()),
        },
    }
}

/// Connects this process to every other one of the cluster, vetted; the result has one socket
/// per process in process order, `None` at this process's own place, as
/// `initialize_networking_from_sockets` takes them.
pub fn connect(cfg: &ClusterConfig, fp: &Fingerprint) -> Result<Vec<Option<TcpStream>>, ClusterError> {
    let n = cfg.processes();
    let me = cfg.process;
    let deadline = Instant::now() + cfg.connect_timeout;
    let own = cfg.addresses[me].clone();
    // Only this process's own hostfile address: nothing listens on other interfaces.
    let listener = TcpListener::bind(own.as_str()).map_err(|error| ClusterError::Listen { address: own.clone(), error })?;
    listener.set_nonblocking(true).map_err(|error| ClusterError::Listen { address: own.clone(), error })?;
    let abort = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel::<Event>();
    for peer in 0..me {
        let (cfg, fp, tx, abort) = (cfg.clone(), fp.clone(), tx.clone(), abort.clone());
        std::thread::spawn(move || {
            if let Some(event) = connect_to(peer, &cfg, &fp, deadline, &abort) {
                let _ = tx.send(event);
            }
        });
    }
    let mut sockets: Vec<Option<TcpStream>> = (0..n).map(|_| None).collect();
    let mut connected = 0;
    let mut refused = 0;
    let result = loop {
        if connected == n - 1 {
            break Ok(());
        }
        // Accept whatever waits, each handshake on its own thread, so a connection that says
        // nothing cannot hold up the peers behind it.
        loop {
            match listener.accept() {
                Ok((stream, from_addr)) => {
                    // Accepted sockets inherit non-blocking mode on some platforms.
                    let _ = stream.set_nonblocking(false);
                    let (cfg, fp, tx) = (cfg.clone(), fp.clone(), tx.clone());
                    std::thread::spawn(move || {
                        let _ = tx.send(acceptor_handshake(stream, from_addr, &cfg, &fp));
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                // A connection that failed before we took it is the peer's problem, not ours.
                Err(_) => break,
            }
        }
        let now = Instant::now();
        if now >= deadline {
            let missing = (0..n).filter(|p| *p != me && sockets[*p].is_none()).map(|p| cfg.describe(p)).collect();
            break Err(ClusterError::Missing { missing, timeout: cfg.connect_timeout, refused });
        }
        match rx.recv_timeout(Duration::from_millis(20).min(deadline - now)) {
            Ok(Event::Connected(peer, stream)) => {
                if sockets[peer].is_none() {
                    connected += 1;
                    sockets[peer] = Some(stream);
                }
                // A second authenticated connection from one process index is dropped: the
                // first one is the link.
            }
            Ok(Event::Stray(message)) => {
                if message.ends_with("wrong cluster secret") {
                    refused += 1;
                }
                eprintln!("vstream: {message}");
            }
            Ok(Event::Fatal(e)) => break Err(e),
            Err(_) => {}
        }
    };
    abort.store(true, Ordering::Release);
    result?;
    for s in sockets.iter().flatten() {
        // Timely's network threads block on their sockets; the handshake's timeouts go.
        let setup = s.set_read_timeout(None).and_then(|_| s.set_write_timeout(None)).and_then(|_| s.set_nodelay(true));
        setup.map_err(ClusterError::Network)?;
    }
    Ok(sockets)
}

// ---------------------------------------------------------------------------------------------
// Watching the links while the run goes on.

/// The links of a running cluster process: which peer was lost first, and a way to cut every
/// link at once (a process that fails does so, so that its peers stop too instead of finishing
/// with a part of the input).
#[derive(Debug, Default)]
pub struct LinkWatch {
    lost: Mutex<Option<(usize, String)>>,
    links: Mutex<Vec<TcpStream>>,
    /// Set once a link broke or was cut: panics of timely's network threads are expected then.
    down: AtomicBool,
}

static NETWORK_DOWN: AtomicBool = AtomicBool::new(false);

/// Whether this process's cluster links broke or were cut: a panic of timely's network layer
/// is then the expected way its threads stop, not a bug (the CLI's panic hook stays quiet).
pub fn network_down() -> bool {
    NETWORK_DOWN.load(Ordering::Acquire)
}

impl LinkWatch {
    fn note_lost(&self, peer: usize, why: String) {
        if let Ok(mut l) = self.lost.lock()
            && l.is_none()
        {
            *l = Some((peer, why));
        }
        self.down.store(true, Ordering::Release);
        NETWORK_DOWN.store(true, Ordering::Release);
    }

    /// Whether a link broke or was cut.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// The first peer whose link broke, and how.
    pub fn lost(&self) -> Option<(usize, String)> {
        self.lost.lock().ok().and_then(|l| l.clone())
    }

    /// Cuts every link, so peers see this process gone at once.
    pub fn cut(&self) {
        self.down.store(true, Ordering::Release);
        NETWORK_DOWN.store(true, Ordering::Release);
        if let Ok(links) = self.links.lock() {
            for l in links.iter() {
                let _ = l.shutdown(Shutdown::Both);
            }
        }
    }

    /// Wraps the vetted sockets for timely, keeping a handle on each to cut it.
    pub fn wrap(self: &Arc<Self>, sockets: Vec<Option<TcpStream>>) -> std::io::Result<Vec<Option<PeerStream>>> {
        let mut out = Vec::with_capacity(sockets.len());
        for (peer, s) in sockets.into_iter().enumerate() {
            out.push(match s {
                Some(tcp) => {
                    if let Ok(mut links) = self.links.lock() {
                        links.push(tcp.try_clone()?);
                    }
                    Some(PeerStream { tcp, peer, watch: self.clone() })
                }
                None => None,
            });
        }
        Ok(out)
    }
}

/// A vetted socket to one peer, as timely's network threads use it: notes the first read that
/// fails or finds the connection closed. (A clean end also reads a close, after timely's
/// shutdown message; the note is read only when the run failed.)
pub struct PeerStream {
    tcp: TcpStream,
    peer: usize,
    watch: Arc<LinkWatch>,
}

impl Read for PeerStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.tcp.read(buf) {
            Ok(0) if !buf.is_empty() => {
                self.watch.note_lost(self.peer, "it closed the connection".into());
                Ok(0)
            }
            Err(e) => {
                self.watch.note_lost(self.peer, e.to_string());
                Err(e)
            }
            ok => ok,
        }
    }
}

impl Write for PeerStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tcp.write(buf).inspect_err(|e| self.watch.note_lost(self.peer, e.to_string()))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.tcp.flush()
    }
}

impl timely::communication::allocator::zero_copy::stream::Stream for PeerStream {
    fn try_clone(&self) -> std::io::Result<Self> {
        Ok(PeerStream { tcp: self.tcp.try_clone()?, peer: self.peer, watch: self.watch.clone() })
    }
    fn set_nonblocking(&self, nonblocking: bool) -> std::io::Result<()> {
        self.tcp.set_nonblocking(nonblocking)
    }
    fn shutdown(&self, how: Shutdown) -> std::io::Result<()> {
        self.tcp.shutdown(how)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostfile_lines() {
        let a = parse_hostfile("# cluster\n127.0.0.1:2101\n\nlocalhost:2102\n", "h").expect("parses");
        assert_eq!(a, vec!["127.0.0.1:2101", "localhost:2102"]);
        let e = parse_hostfile("127.0.0.1:2101\nfoo\n", "hosts.txt").expect_err("bad line");
        assert_eq!(e.to_string(), "hostfile hosts.txt, line 2: `foo` is not host:port");
        assert!(matches!(parse_hostfile("\n# none\n", "h"), Err(ClusterError::HostfileEmpty { .. })));
        assert!(matches!(parse_hostfile("a:99999", "h"), Err(ClusterError::HostfileLine { .. })));
    }

    fn fp() -> Fingerprint {
        Fingerprint {
            version: "0.1.0".into(),
            processes: 2,
            workers: 1,
            addresses: vec!["a:1".into(), "b:2".into()],
            plan: "abcdef0123456789".into(),
            settings: vec!["chunk_size=4".into()],
            sources: vec!["bids.csv=100".into()],
        }
    }

    #[test]
    fn fingerprint_differences_say_what_differs() {
        let mine = fp();
        assert_eq!(mine.difference(&fp(), 1), None);
        let theirs = Fingerprint { workers: 2, ..fp() };
        assert_eq!(mine.difference(&theirs, 1).as_deref(), Some("the worker counts differ: process 1 runs -w 2, this process -w 1"));
        let theirs = Fingerprint { plan: "ffff".into(), ..fp() };
        assert!(
            mine.difference(&theirs, 1)
                .is_some_and(|d| d.starts_with("the scripts differ: process 1 runs plan ffff, this process plan abcdef012345"))
        );
        let theirs = Fingerprint { sources: vec!["bids.csv=90".into()], ..fp() };
        assert_eq!(
            mine.difference(&theirs, 1).as_deref(),
            Some("the source files differ: process 1 sees bids.csv=90, this process bids.csv=100 (bytes)")
        );
    }

    #[test]
    fn macs_bind_the_secret() {
        let a = Secret::new("s1").expect("secret");
        let b = Secret::new("s2").expect("secret");
        assert!(mac_eq(&mac(&a, &[b"x"]), &mac(&a, &[b"x"])));
        assert!(!mac_eq(&mac(&a, &[b"x"]), &mac(&b, &[b"x"])));
        // Parts are length-framed: moving a byte between parts changes the MAC.
        assert!(!mac_eq(&mac(&a, &[b"ab", b"c"]), &mac(&a, &[b"a", b"bc"])));
        assert_eq!(format!("{a:?}"), "Secret(..)");
    }
}
