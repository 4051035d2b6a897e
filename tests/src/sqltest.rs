//! SQL semantics as data: the `tests/sql/*.test` files and their runner.
//!
//! # The format
//!
//! A test file is a sequence of *sections*. Each section is a header line, a body, and a line
//! `----` that closes it. Outside sections, blank lines and lines starting with `#` are comments
//! (say what the file tests at its top). Inside a body every line is kept as it is.
//!
//! ```text
//! # Integer arithmetic and a filter.
//! input bids.csv
//! auction,price
//! 1,10
//! 2,3
//! ----
//! script
//! CREATE TABLE bid (auction BIGINT, price BIGINT)
//!   WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
//! SELECT auction, price * 2 AS p FROM bid WHERE price > 5;
//! ----
//! expect stdout
//! auction,p
//! 1,20
//! ----
//! ```
//!
//! Sections:
//!
//! * `input NAME [crlf] [no-final-newline]`: a file written into the run's folder before the run
//!   (`NAME` may hold `/`). Each body line ends with `\n` (`\r\n` with `crlf`), the last one not
//!   with `no-final-newline`; an empty body is an empty (0-byte) file. Any number of them.
//! * `script`: the SQL script, planned with the run's folder as its folder (so `'path' = 'bids.csv'`
//!   reads the input above). Exactly one.
//! * `expect stdout`: what the bare SELECTs print: the header line, then the rows. The first line
//!   is compared as it is; the other lines are compared as a multiset (sorted), because workers
//!   interleave rows. With several bare SELECTs, the later header lines count among the rows.
//!   A changelog (GROUP BY output: a header starting `op,`) is folded into its result first, here
//!   and in `expect file`, since how updates batch differs between runs and the result may not.
//! * `expect file PATH [no-header]`: what a file sink wrote at `PATH` (relative to the run's
//!   folder): one file (`'sink.single-file' = 'true'`), or a folder whose `part-*` files are read
//!   together. Without `no-header` the first body line is the
//!   header line that every file must start with, and the rest are rows; with `no-header` (JSON
//!   lines, `'csv.header' = 'false'`, a rejects file) every line is a row. Rows compare as a
//!   multiset. Also for files that are not sinks, such as a `'csv.rejects'` file. Paths under the
//!   run's folder in the text are written relative to it, as in `error` sections.
//! * `expect counts`: the run's counters, one per line: `in N` (rows decoded), `rejected N`,
//!   `late SINK N` for each window operator that dropped rows for lateness (named by the table
//!   its query writes, in plan order), and `out SINK N` for each sink in plan order (script
//!   order, but for the queries of a `'late.sink'`, which come last; `stdout` for a bare SELECT).
//! * `error`: the run must fail with exactly this text, as `vstream run` prints it: a plan error
//!   rendered against the script, named `test.sql` (`error: ...`, `  --> test.sql:4:34`, the
//!   line and a `^` marker), or a run error as `error: <message>`. Paths under the run's folder
//!   are written relative to it (`bids.csv:3: column ...`). Not together with `expect` sections.
//!
//! Values print as the engine's CSV writer prints them: NULL as an empty field, TIMESTAMP(3) as
//! `2025-01-01 00:00:00.123`, DECIMAL with all digits of its scale, DOUBLE in the shortest form
//! that reads back the same (`3.5`, `4`, `0.30000000000000004`), BOOLEAN as `true`/`false`.
//!
//! # Running
//!
//! Every file runs in [`CONFIGS`]: 1 and 3 workers, each with a tiny chunk size (so every input
//! is cut into many chunks, dealt round-robin to the workers, most of them starting mid-line)
//! and with the default one; and at 2 workers with one row per epoch. Every run starts from a
//! fresh folder and must give what the file expects. `VSTREAM_TEST_FILTER=substring` runs only the files whose name holds it.
//!
//! With `VSTREAM_REWRITE=1`, each file's expected sections are rewritten from the first
//! configuration's actual output (an `error` section replaces the `expect` sections if it
//! failed, and the other way round; a file with no expectation gets `expect stdout`, or
//! `expect counts` when nothing printed), and the file is then checked in every configuration.
//! Review the diff: a rewrite records what the engine does, right or wrong.

use crate::harness::{Outcome, relativize, run_script_with, temp_dir};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The name plan errors are rendered with.
pub const SCRIPT_NAME: &str = "test.sql";

/// One way to run a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Timely workers, all in this process.
    pub workers: usize,
    /// Bytes per source chunk ([`TINY_CHUNK`] or the default).
    pub chunk_size: u64,
    /// `--set emit.interval=N`: at most N rows per worker per epoch.
    pub emit_interval: Option<usize>,
}

/// A chunk shorter than almost every line: most chunks begin mid-line and own no line start.
pub const TINY_CHUNK: u64 = 13;

/// Every file runs in each of these.
pub const CONFIGS: [Config; 5] = [
    Config { workers: 1, chunk_size: TINY_CHUNK, emit_interval: None },
    Config { workers: 3, chunk_size: TINY_CHUNK, emit_interval: None },
    Config { workers: 1, chunk_size: vstream_connectors::DEFAULT_CHUNK_SIZE, emit_interval: None },
    Config { workers: 3, chunk_size: vstream_connectors::DEFAULT_CHUNK_SIZE, emit_interval: None },
    // One row per epoch, all read at once: many epochs complete together, so an operator sees
    // the frontier jump past epochs it has not applied yet.
    Config { workers: 2, chunk_size: vstream_connectors::DEFAULT_CHUNK_SIZE, emit_interval: Some(1) },
];

impl std::fmt::Display for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "-w {}, chunk {} B", self.workers, self.chunk_size)?;
        match self.emit_interval {
            Some(n) => write!(f, ", emit.interval={n}"),
            None => Ok(()),
        }
    }
}

/// What a section is, from its header line (see the module docs for each).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `input NAME [crlf] [no-final-newline]`: a file written into the run's folder before the run.
    Input {
        /// The file's path relative to the run's folder (may hold `/`).
        name: String,
        /// `crlf`: lines end with `\r\n` instead of `\n`.
        crlf: bool,
        /// False with `no-final-newline`: the last line has no line break.
        final_newline: bool,
    },
    /// `script`: the SQL script; exactly one per file.
    Script,
    /// `expect stdout`: what the bare SELECTs print.
    ExpectStdout,
    /// `expect file PATH [no-header]`: what a sink (or a rejects file) holds after the run.
    ExpectFile {
        /// The file or folder, relative to the run's folder.
        path: String,
        /// False with `no-header`: every body line is a row.
        header: bool,
    },
    /// `expect counts`: the run's counters.
    ExpectCounts,
    /// `error`: the exact text the run must fail with.
    Error,
}

impl Kind {
    fn is_expectation(&self) -> bool {
        matches!(self, Kind::ExpectStdout | Kind::ExpectFile { .. } | Kind::ExpectCounts | Kind::Error)
    }
}

/// One section: its header line, its body, where it starts.
#[derive(Clone, Debug)]
pub struct Section {
    /// The header line as written.
    pub header: String,
    /// What the header says the section is.
    pub kind: Kind,
    /// The lines between the header and the closing `----`, as written.
    pub body: Vec<String>,
    /// 1-based line of the header in the file.
    pub line: usize,
}

/// One piece of a test file, a comment line or a section; [`TestFile::render`] writes them back in order.
#[derive(Clone, Debug)]
pub enum Item {
    /// A comment or blank line between sections.
    Text(String),
    /// A section, `----` line included.
    Section(Section),
}

/// A parsed test file.
#[derive(Clone, Debug)]
pub struct TestFile {
    /// Where the file was read from (and is rewritten to).
    pub path: PathBuf,
    /// The comments and sections in file order.
    pub items: Vec<Item>,
}

fn parse_header(line: &str) -> Result<Kind, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["input", name, flags @ ..] => {
            let mut kind = Kind::Input { name: name.to_string(), crlf: false, final_newline: true };
            for f in flags {
                match (*f, &mut kind) {
                    ("crlf", Kind::Input { crlf, .. }) => *crlf = true,
                    ("no-final-newline", Kind::Input { final_newline, .. }) => *final_newline = false,
                    _ => return Err(format!("unknown input flag `{f}` (crlf, no-final-newline)")),
                }
            }
            Ok(kind)
        }
        ["script"] => Ok(Kind::Script),
        ["expect", "stdout"] => Ok(Kind::ExpectStdout),
        ["expect", "file", path] => Ok(Kind::ExpectFile { path: path.to_string(), header: true }),
        ["expect", "file", path, "no-header"] => Ok(Kind::ExpectFile { path: path.to_string(), header: false }),
        ["expect", "counts"] => Ok(Kind::ExpectCounts),
        ["error"] => Ok(Kind::Error),
        _ => Err(format!(
            "`{line}` is not a section header (input NAME [crlf] [no-final-newline], script, expect stdout, \
             expect file PATH [no-header], expect counts, error)"
        )),
    }
}

impl TestFile {
    /// Parses `text` (read from `path`); an error names the line and what is wrong, such as an
    /// unclosed section, a second `script` or an `error` section beside `expect` sections.
    pub fn parse(path: &Path, text: &str) -> Result<TestFile, String> {
        let mut items = Vec::new();
        let mut lines = text.lines().enumerate();
        while let Some((i, line)) = lines.next() {
            if line.trim().is_empty() || line.starts_with('#') {
                items.push(Item::Text(line.to_string()));
                continue;
            }
            let kind = parse_header(line.trim()).map_err(|e| format!("line {}: {e}", i + 1))?;
            let mut body = Vec::new();
            let mut closed = false;
            for (_, l) in lines.by_ref() {
                if l == "----" {
                    closed = true;
                    break;
                }
                body.push(l.to_string());
            }
            if !closed {
                return Err(format!("line {}: section `{line}` is not closed by a `----` line", i + 1));
            }
            items.push(Item::Section(Section { header: line.trim().to_string(), kind, body, line: i + 1 }));
        }
        let tf = TestFile { path: path.to_path_buf(), items };
        let scripts = tf.sections().filter(|s| s.kind == Kind::Script).count();
        if scripts != 1 {
            return Err(format!("needs exactly one `script` section, has {scripts}"));
        }
        let errors = tf.sections().filter(|s| s.kind == Kind::Error).count();
        let expects = tf.sections().filter(|s| s.kind.is_expectation() && s.kind != Kind::Error).count();
        if errors > 1 || (errors == 1 && expects > 0) {
            return Err("an `error` section stands alone: no other `error` or `expect` section".into());
        }
        Ok(tf)
    }

    /// The sections, in file order.
    pub fn sections(&self) -> impl Iterator<Item = &Section> {
        self.items.iter().filter_map(|i| match i {
            Item::Section(s) => Some(s),
            Item::Text(_) => None,
        })
    }

    /// The `script` section's body as one text, with a final newline.
    pub fn script(&self) -> String {
        self.sections().find(|s| s.kind == Kind::Script).map(|s| s.body.join("\n") + "\n").unwrap_or_default()
    }

    /// The file's name without its folder, for messages.
    pub fn name(&self) -> String {
        self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }

    /// The file's text (what [`TestFile::parse`] reads back).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for item in &self.items {
            match item {
                Item::Text(t) => {
                    out.push_str(t);
                    out.push('\n');
                }
                Item::Section(s) => {
                    out.push_str(&s.header);
                    out.push('\n');
                    for l in &s.body {
                        out.push_str(l);
                        out.push('\n');
                    }
                    out.push_str("----\n");
                }
            }
        }
        out
    }

    /// Writes the `input` sections into `dir`.
    fn write_inputs(&self, dir: &Path) -> std::io::Result<()> {
        for s in self.sections() {
            if let Kind::Input { name, crlf, final_newline } = &s.kind {
                let sep = if *crlf { "\r\n" } else { "\n" };
                let mut text = s.body.join(sep);
                if *final_newline && !s.body.is_empty() {
                    text.push_str(sep);
                }
                let path = dir.join(name);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(path, text)?;
            }
        }
        Ok(())
    }
}

/// Folds a changelog (a header starting with `op,`, rows starting `+I,` `-U,` `+U,` `-D,`) into
/// the result it describes: how the updates were batched differs with workers and chunk sizes,
/// the result must not. A row retracted more often than it was added is kept visibly wrong.
fn fold_changelog(lines: Vec<String>) -> Vec<String> {
    let Some(header) = lines.first().and_then(|h| h.strip_prefix("op,")).map(str::to_string) else { return lines };
    let mut counts: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    for row in &lines[1..] {
        let (op, rest) = row.split_once(',').unwrap_or((row.as_str(), ""));
        let diff = match op {
            "+I" | "+U" => 1,
            "-U" | "-D" => -1,
            _ => 0,
        };
        *counts.entry(rest.to_string()).or_insert(0) += diff;
    }
    let mut out = vec![header];
    for (row, n) in counts {
        if n < 0 {
            out.push(format!("!! retracted {} more times than added: {row}", -n));
        }
        for _ in 0..n.max(0) {
            out.push(row.clone());
        }
    }
    out
}

/// Sorts the rows of a body, keeping its first line in place when it is a header.
fn canonical(lines: Vec<String>, header: bool) -> Vec<String> {
    let mut lines = if header { fold_changelog(lines) } else { lines };
    if header && !lines.is_empty() {
        lines[1..].sort();
    } else {
        lines.sort();
    }
    lines
}

/// What one run of a file gave, with every expected file already read (the run's folder is gone
/// afterwards).
#[derive(Debug)]
pub struct Observation {
    /// How the run ended.
    pub outcome: Outcome,
    /// Per section of the file (by index among all sections): the actual body of an `expect`
    /// section, in canonical order. Problems such as a missing file are lines starting `!! `.
    pub bodies: Vec<Option<Vec<String>>>,
    /// The actual `expect stdout` and `expect counts` bodies, for a rewrite that adds sections.
    pub stdout: Vec<String>,
    /// The counters as an `expect counts` body (empty when the run failed).
    pub counts: Vec<String>,
}

fn read_text(path: &Path, label: &str, problems: &mut Vec<String>) -> Option<String> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if !text.is_empty() && !text.ends_with('\n') {
                problems.push(format!("!! {label} does not end with a newline"));
            }
            Some(text)
        }
        Err(e) => {
            problems.push(format!("!! cannot read {label}: {e}"));
            None
        }
    }
}

/// The actual body of `expect file PATH`: one file, or the `part-*` files of a folder.
fn read_sink(dir: &Path, rel: &str, header: bool) -> Vec<String> {
    let path = dir.join(rel);
    let mut problems = Vec::new();
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    if path.is_dir() {
        match std::fs::read_dir(&path) {
            Ok(entries) => {
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.starts_with("part-") {
                        files.push((format!("{}/{name}", rel.trim_end_matches('/')), e.path()));
                    }
                }
            }
            Err(e) => problems.push(format!("!! cannot list {rel}: {e}")),
        }
        files.sort();
        if files.is_empty() {
            problems.push(format!("!! {rel} holds no part files"));
        }
    } else if path.exists() {
        files.push((rel.to_string(), path));
    } else {
        return vec![format!("!! {rel} does not exist")];
    }
    let mut head: Option<String> = None;
    let mut rows = Vec::new();
    for (label, p) in &files {
        let Some(text) = read_text(p, label, &mut problems) else { continue };
        let text = relativize(&text, dir);
        let mut lines = text.lines().map(str::to_string);
        if header {
            match lines.next() {
                None => problems.push(format!("!! {label} is empty: no header line")),
                Some(h) => match &head {
                    None => head = Some(h),
                    Some(first) if *first != h => problems.push(format!("!! {label} has the header `{h}`, not `{first}`")),
                    Some(_) => {}
                },
            }
        }
        rows.extend(lines);
    }
    let start = usize::from(head.is_some());
    let mut out: Vec<String> = head.into_iter().collect();
    out.extend(rows);
    let mut out = fold_changelog(out);
    let start = start.min(out.len());
    out[start..].sort();
    out.extend(problems);
    out
}

fn counts_body(summary: &vstream_runtime::RunSummary) -> Vec<String> {
    let mut out = vec![format!("in {}", summary.rows_in), format!("rejected {}", summary.rejected)];
    out.extend(summary.late.iter().filter(|(_, n)| *n > 0).map(|(name, n)| format!("late {name} {n}")));
    out.extend(summary.rows_out.iter().map(|(name, n)| format!("out {name} {n}")));
    out
}

/// Runs a file once, in a fresh folder, and reads what it produced.
pub fn observe(tf: &TestFile, config: Config) -> Observation {
    let (_guard, dir) = temp_dir();
    let sections: Vec<&Section> = tf.sections().collect();
    if let Err(e) = tf.write_inputs(&dir) {
        return Observation {
            outcome: Outcome::Crashed(format!("cannot write the inputs: {e}")),
            bodies: vec![None; sections.len()],
            stdout: vec![],
            counts: vec![],
        };
    }
    let outcome = run_script_with(&tf.script(), &dir, SCRIPT_NAME, config.workers, config.chunk_size, config.emit_interval);
    let (stdout, counts) = match &outcome {
        Outcome::Ok { stdout, summary } => (canonical(stdout.lines().map(str::to_string).collect(), true), counts_body(summary)),
        _ => (vec![], vec![]),
    };
    let bodies = sections
        .iter()
        .map(|s| match (&s.kind, &outcome) {
            (Kind::ExpectStdout, Outcome::Ok { .. }) => Some(stdout.clone()),
            (Kind::ExpectCounts, Outcome::Ok { .. }) => Some(counts.clone()),
            (Kind::ExpectFile { path, header }, Outcome::Ok { .. }) => Some(read_sink(&dir, path, *header)),
            _ => None,
        })
        .collect();
    Observation { outcome, bodies, stdout, counts }
}

fn indent(lines: &[String]) -> String {
    if lines.is_empty() {
        return "    (nothing)\n".to_string();
    }
    lines.iter().map(|l| format!("    {l}\n")).collect()
}

/// Lines of `a` not in `b`, as multisets.
fn multiset_minus(a: &[String], b: &[String]) -> Vec<String> {
    let mut rest: Vec<&String> = b.iter().collect();
    let mut out = Vec::new();
    for l in a {
        match rest.iter().position(|r| *r == l) {
            Some(i) => {
                rest.swap_remove(i);
            }
            None => out.push(l.clone()),
        }
    }
    out
}

/// Why `actual` is not `expected` (both canonical), shortened for long bodies.
fn describe_mismatch(expected: &[String], actual: &[String]) -> String {
    if expected.len() + actual.len() <= 40 {
        return format!("  expected:\n{}  actual:\n{}", indent(expected), indent(actual));
    }
    let missing = multiset_minus(expected, actual);
    let extra = multiset_minus(actual, expected);
    let cut = |v: Vec<String>| -> Vec<String> {
        let n = v.len();
        let mut v: Vec<String> = v.into_iter().take(20).collect();
        if n > 20 {
            v.push(format!("... and {} more", n - 20));
        }
        v
    };
    format!(
        "  {} lines expected, {} actual\n  missing (expected, not produced):\n{}  extra (produced, not expected):\n{}",
        expected.len(),
        actual.len(),
        indent(&cut(missing)),
        indent(&cut(extra))
    )
}

/// Checks one observation against the file; returns one message per problem.
pub fn check(tf: &TestFile, config: Config, obs: &Observation) -> Vec<String> {
    let mut problems = Vec::new();
    let name = tf.path.display();
    let sections: Vec<&Section> = tf.sections().collect();
    if let Outcome::Crashed(text) = &obs.outcome {
        problems.push(format!("{name} [{config}]: the run crashed: {text}"));
        return problems;
    }
    for (i, s) in sections.iter().enumerate() {
        if !s.kind.is_expectation() {
            continue;
        }
        let here = format!("{name}:{} `{}` [{config}]", s.line, s.header);
        match (&s.kind, &obs.outcome) {
            (Kind::Error, Outcome::Failed(text)) => {
                let actual: Vec<String> = text.lines().map(str::to_string).collect();
                let expected: Vec<String> = s.body.iter().map(|l| l.trim_end().to_string()).collect();
                let actual_trimmed: Vec<String> = actual.iter().map(|l| l.trim_end().to_string()).collect();
                if expected != actual_trimmed {
                    problems.push(format!("{here}: wrong error\n{}", describe_mismatch(&expected, &actual)));
                }
            }
            (Kind::Error, Outcome::Ok { stdout, .. }) => {
                problems.push(format!("{here}: expected an error, but the run succeeded; stdout:\n{}", indent(&lines(stdout))));
            }
            (_, Outcome::Failed(text)) => {
                problems.push(format!("{here}: the run failed:\n{}", indent(&lines(text))));
                break;
            }
            (kind, Outcome::Ok { .. }) => {
                let header = match kind {
                    Kind::ExpectStdout => true,
                    Kind::ExpectFile { header, .. } => *header,
                    _ => false,
                };
                let expected = if *kind == Kind::ExpectCounts { s.body.clone() } else { canonical(s.body.clone(), header) };
                let actual = obs.bodies[i].clone().unwrap_or_default();
                if expected != actual {
                    problems.push(format!("{here}: mismatch\n{}", describe_mismatch(&expected, &actual)));
                }
            }
            (_, Outcome::Crashed(_)) => unreachable!("handled above"),
        }
    }
    problems
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_string).collect()
}

/// The file with its expectations replaced by what `obs` observed.
pub fn rewritten(tf: &TestFile, obs: &Observation) -> TestFile {
    let mut items = Vec::new();
    let mut insert_at: Option<usize> = None;
    let mut section_index = 0;
    let failed = match &obs.outcome {
        Outcome::Failed(text) => Some(text.clone()),
        _ => None,
    };
    let mut has_expect = false;
    for item in &tf.items {
        let Item::Section(s) = item else {
            items.push(item.clone());
            continue;
        };
        let i = section_index;
        section_index += 1;
        match (&s.kind, &failed) {
            (Kind::Error, _) | (Kind::ExpectStdout | Kind::ExpectFile { .. } | Kind::ExpectCounts, Some(_)) => {
                insert_at.get_or_insert(items.len());
            }
            (Kind::ExpectStdout | Kind::ExpectFile { .. } | Kind::ExpectCounts, None) => {
                has_expect = true;
                let body = obs.bodies[i].clone().unwrap_or_default();
                items.push(Item::Section(Section { body, ..s.clone() }));
            }
            _ => items.push(item.clone()),
        }
    }
    let mut added = Vec::new();
    if let Some(text) = failed {
        added.push(Section { header: "error".into(), kind: Kind::Error, body: lines(&text), line: 0 });
    } else if !has_expect {
        if obs.stdout.is_empty() {
            added.push(Section { header: "expect counts".into(), kind: Kind::ExpectCounts, body: obs.counts.clone(), line: 0 });
        } else {
            added.push(Section { header: "expect stdout".into(), kind: Kind::ExpectStdout, body: obs.stdout.clone(), line: 0 });
        }
    }
    let at = insert_at.unwrap_or(items.len());
    for (k, s) in added.into_iter().enumerate() {
        items.insert(at + k, Item::Section(s));
    }
    TestFile { path: tf.path.clone(), items }
}

/// The `*.test` files directly in `dir`, sorted, filtered by `VSTREAM_TEST_FILTER`.
pub fn test_files(dir: &Path) -> Vec<PathBuf> {
    let filter = std::env::var("VSTREAM_TEST_FILTER").unwrap_or_default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains(&filter)))
        .collect();
    files.sort();
    files
}

/// Runs one file in every configuration (rewriting it first in rewrite mode); returns the
/// problems found, empty when it passes.
pub fn run_file(path: &Path, rewrite: bool) -> Vec<String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return vec![format!("{}: cannot read: {e}", path.display())],
    };
    let mut tf = match TestFile::parse(path, &text) {
        Ok(tf) => tf,
        Err(e) => return vec![format!("{}: {e}", path.display())],
    };
    if rewrite {
        let obs = observe(&tf, CONFIGS[0]);
        if let Outcome::Crashed(t) = &obs.outcome {
            return vec![format!("{} [{}]: the run crashed, not rewritten: {t}", path.display(), CONFIGS[0])];
        }
        let new = rewritten(&tf, &obs).render();
        if new != text {
            if let Err(e) = std::fs::write(path, &new) {
                return vec![format!("{}: cannot rewrite: {e}", path.display())];
            }
            eprintln!("rewrote {}", path.display());
        }
        tf = match TestFile::parse(path, &new) {
            Ok(tf) => tf,
            Err(e) => return vec![format!("{}: the rewritten file does not parse: {e}", path.display())],
        };
    }
    if !tf.sections().any(|s| s.kind.is_expectation()) {
        return vec![format!("{}: no `expect` or `error` section (fill them with VSTREAM_REWRITE=1)", path.display())];
    }
    let mut problems = Vec::new();
    for config in CONFIGS {
        let obs = observe(&tf, config);
        problems.extend(check(&tf, config, &obs));
    }
    problems
}

/// Runs every file of `dir`; returns (files run, problems).
pub fn run_dir(dir: &Path, rewrite: bool) -> (usize, Vec<(PathBuf, Vec<String>)>) {
    let files = test_files(dir);
    let mut failed = Vec::new();
    for f in &files {
        let problems = run_file(f, rewrite);
        if !problems.is_empty() {
            failed.push((f.clone(), problems));
        }
    }
    (files.len(), failed)
}

/// A report of failures, one block per file.
pub fn report(failed: &[(PathBuf, Vec<String>)]) -> String {
    let mut out = String::new();
    for (f, problems) in failed {
        let _ = writeln!(out, "==== {} ({} problem{})", f.display(), problems.len(), if problems.len() == 1 { "" } else { "s" });
        for p in problems {
            let _ = writeln!(out, "{p}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# sample\ninput a.csv crlf\nx\n1\n----\n\nscript\nSELECT 1;\n----\nexpect stdout\nx\n2\n1\n----\n";

    #[test]
    fn parses_and_renders_back() {
        let tf = TestFile::parse(Path::new("s.test"), SAMPLE).unwrap();
        assert_eq!(tf.render(), SAMPLE);
        let kinds: Vec<Kind> = tf.sections().map(|s| s.kind.clone()).collect();
        assert_eq!(kinds[0], Kind::Input { name: "a.csv".into(), crlf: true, final_newline: true });
        assert_eq!(kinds[1], Kind::Script);
        assert_eq!(tf.script(), "SELECT 1;\n");
        assert_eq!(canonical(tf.sections().nth(2).unwrap().body.clone(), true), vec!["x", "1", "2"]);
    }

    #[test]
    fn rejects_malformed_files() {
        assert!(TestFile::parse(Path::new("x"), "script\nSELECT 1;\n").unwrap_err().contains("not closed"));
        assert!(TestFile::parse(Path::new("x"), "bogus\n----\n").unwrap_err().contains("not a section header"));
        assert!(TestFile::parse(Path::new("x"), "input a\n----\n").unwrap_err().contains("exactly one `script`"));
        let both = "script\nx\n----\nerror\ne\n----\nexpect stdout\n----\n";
        assert!(TestFile::parse(Path::new("x"), both).unwrap_err().contains("stands alone"));
    }

    #[test]
    fn writes_inputs_with_line_endings() {
        let text = "input a.csv crlf\nx\n1\n----\ninput d/b.csv no-final-newline\ny\n2\n----\ninput e.csv\n----\nscript\n-\n----\n";
        let tf = TestFile::parse(Path::new("x"), text).unwrap();
        let (_g, dir) = temp_dir();
        tf.write_inputs(&dir).unwrap();
        assert_eq!(std::fs::read(dir.join("a.csv")).unwrap(), b"x\r\n1\r\n");
        assert_eq!(std::fs::read(dir.join("d/b.csv")).unwrap(), b"y\n2");
        assert_eq!(std::fs::read(dir.join("e.csv")).unwrap(), b"");
    }
}
