//! `explain`: both plans as indented text, and the dataflow as a Graphviz graph.

use crate::Planned;
use crate::dataflow::{InputEdge, Movement, Operator, SinkExchange};
use std::path::Path;
use vstream_repr::WindowAssigner;
use vstream_repr::agg::AggregateSpec;
use vstream_repr::rank::RankFunc;
use vstream_repr::window::Millis;

fn names(schema: &vstream_repr::Schema) -> Vec<String> {
    schema.fields.iter().map(|f| f.name.clone()).collect()
}

/// The dataflow's operators, one per line, with their inputs, data movement and state.
pub fn dataflow_lines(planned: &Planned) -> Vec<String> {
    let plan = &planned.dataflow;
    plan.nodes
        .iter()
        .map(|n| match &n.operator {
            Operator::Source { table, spec, table_schema, projection, event_time } => {
                let cols: Vec<&str> = projection.iter().map(|i| table_schema.fields[*i].name.as_str()).collect();
                let (share, largest) = match spec {
                    vstream_connector_spec::SourceSpec::File(_) => ("each worker reads every Nth chunk", "its largest"),
                    vstream_connector_spec::SourceSpec::Kafka(_) => {
                        ("each worker reads partitions p with p % workers = its index", "the least over its partitions of their largest")
                    }
                };
                let mut s =
                    format!("{} Source {table}: {}; columns [{}] of {}; {share}", n.id, spec.describe(), cols.join(", "), table_schema.len());
                if let Some(et) = event_time {
                    s.push_str(&format!(
                        "; event time {}: each worker's watermark = {largest} {} - {}, its times follow it; late rows (behind it{}) leave on a second output",
                        cols[et.column],
                        cols[et.column],
                        Millis(et.delay),
                        if et.allowed_lateness > 0 { format!(" by more than {}", Millis(et.allowed_lateness)) } else { String::new() }
                    ));
                }
                s.push_str("; state: none");
                s
            }
            Operator::LateRows { source } => format!("{} LateRows <- {source}: the rows behind the watermark; state: none", n.id),
            Operator::WindowAggregate { input, assigner, key_len, aggregates, emit } => {
                let input_names = names(&plan.nodes[*input].schema);
                let keys = &input_names[1..=*key_len];
                let aggs = aggregate_texts(aggregates, &input_names);
                let exchange = if keys.is_empty() { "exchange: all rows to one worker (no key)".to_string() } else { format!("exchange: by hash({})", keys.join(", ")) };
                let state = match assigner {
                    WindowAssigner::Session { .. } => "state: per key, its open sessions' accumulators",
                    _ => "state: per open window, per key, the aggregates' accumulators",
                };
                let lateness = if emit.allowed_lateness > 0 { format!(" + {} allowed lateness", Millis(emit.allowed_lateness)) } else { String::new() };
                let emits = if emit.changes {
                    format!("emits a changelog per epoch while a window is open; drops a window when the watermark passes its end{lateness}")
                } else if emit.allowed_lateness > 0 {
                    format!("emits a window's rows when the watermark passes its end, corrections (-U/+U) for late rows until its end{lateness}")
                } else {
                    "emits a window's rows once, when the watermark passes its end, and drops it".to_string()
                };
                format!(
                    "{} WindowAggregate <- {input}: {assigner} on {}; group [window_start, window_end, {}] aggregates [{}]; {exchange}; {state}; {emits}",
                    n.id,
                    input_names[0],
                    keys.join(", "),
                    aggs.join(", ")
                )
                .replace("[window_start, window_end, ]", "[window_start, window_end]")
            }
            Operator::MapFilterProject { input, predicate, exprs } => {
                let input_names = names(&plan.nodes[*input].schema);
                let mut s = format!("{} MapFilterProject <- {input}:", n.id);
                if let Some(p) = predicate {
                    s.push_str(&format!(" filter {};", p.display_with(&input_names)));
                }
                let items: Vec<String> = exprs
                    .iter()
                    .zip(&n.schema.fields)
                    .map(|(e, f)| {
                        let t = e.display_with(&input_names).to_string();
                        if t == f.name { t } else { format!("{}={t}", f.name) }
                    })
                    .collect();
                s.push_str(&format!(" project {}; state: none", items.join(", ")));
                s
            }
            Operator::KeyedAggregate { input, key_len, aggregates, retractions } => {
                let input_names = names(&plan.nodes[*input].schema);
                let keys = &input_names[..*key_len];
                let aggs = aggregate_texts(aggregates, &input_names);
                let exchange = if keys.is_empty() { "exchange: all rows to one worker (no key)".to_string() } else { format!("exchange: by hash({})", keys.join(", ")) };
                let (input_kind, state) = if *retractions {
                    (" takes retractions;", "per key, its row count, the aggregates' accumulators (MIN/MAX: every value with its count) and the last row emitted")
                } else {
                    ("", "per key, the aggregates' accumulators and the last row emitted")
                };
                format!(
                    "{} KeyedAggregate <- {input}: group [{}] aggregates [{}];{input_kind} {exchange}; state: {state}; emits a changelog per epoch",
                    n.id,
                    keys.join(", "),
                    aggs.join(", ")
                )
            }
            Operator::TopN { input, key_len, order, func, lo, hi, rank_column, retractions } => {
                let input_names = names(&plan.nodes[*input].schema);
                let keys = &input_names[..*key_len];
                let sort: Vec<String> = order.iter().zip(&input_names[*key_len..]).map(|(o, n)| format!("{n} {o}")).collect();
                let exchange = if keys.is_empty() { "exchange: all rows to one worker (no key)".to_string() } else { format!("exchange: by hash({})", keys.join(", ")) };
                let ranks = if lo == hi { format!("rank {hi}") } else if *lo == 1 { format!("top {hi}") } else { format!("ranks {lo}..={hi}") };
                let kept = if *retractions {
                    "every row, since a retraction may promote any of them".to_string()
                } else {
                    match func {
                        RankFunc::RowNumber if *hi == 1 => "its top row".to_string(),
                        RankFunc::RowNumber => format!("the top {hi} rows"),
                        RankFunc::Rank => format!("the rows of rank up to {hi} (ties included)"),
                        RankFunc::DenseRank => format!("the rows of dense rank up to {hi}"),
                    }
                };
                format!(
                    "{} TopN <- {input}: {}() partition [{}] order [{}]; {ranks}{}; {}{exchange}; state: per partition, {kept}, and the rows last emitted; emits a changelog per epoch",
                    n.id,
                    func.name(),
                    keys.join(", "),
                    sort.join(", "),
                    if *rank_column { ", rank column kept" } else { ", rank column dropped" },
                    if *retractions { "takes retractions; " } else { "" },
                )
            }
            Operator::Deduplicate { input, key_len } => {
                let input_names = names(&plan.nodes[*input].schema);
                let keys = &input_names[..*key_len];
                let exchange = if keys.is_empty() { "exchange: all rows to one worker (no key)".to_string() } else { format!("exchange: by hash({})", keys.join(", ")) };
                format!(
                    "{} Deduplicate <- {input}: first row per key [{}] by {}; {exchange}; state: per key, its earliest row until the watermark passes its time, then that the key is done; emits each key's first row once (insert-only), drops and counts rows behind the watermark",
                    n.id,
                    keys.join(", "),
                    input_names[*key_len],
                )
            }
            Operator::WindowTopN { input, assigner, key_len, order, func, lo, hi, rank_column } => {
                let input_names = names(&plan.nodes[*input].schema);
                let keys = &input_names[1..=*key_len];
                let sort: Vec<String> = order.iter().zip(&input_names[1 + *key_len..]).map(|(o, n)| format!("{n} {o}")).collect();
                let exchange = if keys.is_empty() { "exchange: all rows to one worker (no key)".to_string() } else { format!("exchange: by hash({})", keys.join(", ")) };
                let ranks = if lo == hi { format!("rank {hi}") } else if *lo == 1 { format!("top {hi}") } else { format!("ranks {lo}..={hi}") };
                let mut partition = match assigner {
                    Some(_) => vec!["window_start".to_string(), "window_end".to_string()],
                    None => vec![input_names[0].clone()],
                };
                partition.extend(keys.iter().cloned());
                let windows = match assigner {
                    Some(a) => format!("{a} on {}", input_names[0]),
                    None => format!("the window aggregate's windows, ending at {}", input_names[0]),
                };
                format!(
                    "{} WindowTopN <- {input}: {windows}; {}() partition [{}] order [{}]; {ranks}{}; {exchange}; state: per open window and partition, the rows that can still rank up to {hi}; emits a window's top rows once, when the watermark passes its end, and drops it",
                    n.id,
                    func.name(),
                    partition.join(", "),
                    sort.join(", "),
                    if *rank_column { ", rank column kept" } else { ", rank column dropped" },
                )
            }
            Operator::OverAggregate { input, key_len, payload_len, frame, aggregates } => {
                let input_names = names(&plan.nodes[*input].schema);
                let keys = &input_names[..*key_len];
                let aggs = aggregate_texts(aggregates, &input_names);
                let exchange = if keys.is_empty() { "exchange: all rows to one worker (no key)".to_string() } else { format!("exchange: by hash({})", keys.join(", ")) };
                let frame_state = match frame {
                    vstream_repr::rank::OverFrame::Rows { preceding: Some(n) } => format!("the last {n} rows"),
                    vstream_repr::rank::OverFrame::Range { preceding: Some(ms) } => format!("the rows of the last {}", Millis(*ms)),
                    _ => "no rows".to_string(),
                };
                format!(
                    "{} OverAggregate <- {input}: partition [{}] order [{}] {frame} aggregates [{}]; emits [{}] and the aggregates; {exchange}; state: the rows the watermark has not passed, and per partition the aggregates' accumulators and {frame_state}; emits each row once the watermark passes its time (insert-only), drops and counts rows behind it",
                    n.id,
                    keys.join(", "),
                    input_names[*key_len],
                    aggs.join(", "),
                    input_names[*key_len + 1..*key_len + 1 + *payload_len].join(", "),
                )
            }
            Operator::Sink { input, name, spec, exchange, changelog } => {
                let ex = match (exchange, spec) {
                    (SinkExchange::PerWorker, vstream_connector_spec::SinkSpec::Kafka(_)) => "exchange: none (each worker produces its rows)",
                    (SinkExchange::PerWorker, _) => "exchange: none (each worker writes its own part)",
                    (SinkExchange::Gather, _) => "exchange: gather to worker 0",
                };
                let kind = match spec {
                    _ if !*changelog => "",
                    vstream_connector_spec::SinkSpec::Kafka(k) if k.upsert => " changelog (per key and epoch: its newest row, or a tombstone);",
                    vstream_connector_spec::SinkSpec::Kafka(k) if k.format == vstream_connector_spec::Format::DebeziumJson => {
                        " changelog (Debezium events);"
                    }
                    _ => " changelog (op column +I/-U/+U/-D);",
                };
                format!("{} Sink {name} <- {input}: {};{kind} {ex}", n.id, spec.describe())
            }
        })
        .collect()
}

/// Aggregates as SQL-ish text over the named input columns.
fn aggregate_texts(aggregates: &[AggregateSpec], input_names: &[String]) -> Vec<String> {
    aggregates
        .iter()
        .map(|a| {
            let mut t = a.to_string();
            for (i, n) in input_names.iter().enumerate().rev() {
                t = t.replace(&format!("#{i}"), n);
            }
            t
        })
        .collect()
}

/// Where a plan runs: how many processes (a cluster's hostfile lines), each with how many
/// workers (`-w`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parallelism {
    /// Processes of the cluster (1 without a hostfile).
    pub processes: usize,
    /// Workers per process.
    pub workers: usize,
}

impl Default for Parallelism {
    fn default() -> Self {
        Parallelism { processes: 1, workers: 1 }
    }
}

impl std::fmt::Display for Parallelism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = |n: usize, word: &str, many: &str| if n == 1 { format!("1 {word}") } else { format!("{n} {many}") };
        write!(f, "{} x {}", plural(self.processes, "process", "processes"), plural(self.workers, "worker", "workers"))?;
        if self.processes > 1 {
            write!(f, " = {} workers", self.processes * self.workers)?;
        }
        Ok(())
    }
}

/// The dataflow's edges, `from -> to: how rows move`, and whether they cross workers or
/// processes when the plan runs `on` that many.
pub fn edge_lines(planned: &Planned, on: Parallelism) -> Vec<String> {
    let plan = &planned.dataflow;
    let mut out = Vec::new();
    for (n, InputEdge { from: input, movement }) in plan.nodes.iter().flat_map(|n| n.operator.inputs().into_iter().map(move |e| (n, e))) {
        let total = on.processes * on.workers;
        let text = match movement {
            Movement::Pipeline => "pipeline: rows stay on their worker".to_string(),
            Movement::Exchange { key } => {
                let names = names(&plan.nodes[input].schema);
                let by = key.iter().map(|k| names[*k].as_str()).collect::<Vec<_>>().join(", ");
                let what =
                    if by.is_empty() { "exchange: all rows to one worker (no key)".to_string() } else { format!("exchange by hash({by})") };
                if on.processes > 1 {
                    if by.is_empty() {
                        format!("{what}: crosses processes (the rows of all other processes go over the network)")
                    } else {
                        format!("{what}: crosses processes (about {} of {} rows go over the network)", on.processes - 1, on.processes)
                    }
                } else if total > 1 {
                    format!("{what}: crosses workers, within the process")
                } else {
                    format!("{what}: stays on the one worker")
                }
            }
            Movement::Gather => {
                if on.processes > 1 {
                    "gather to worker 0: crosses processes (the rows of processes 1.. go over the network to process 0)".to_string()
                } else if total > 1 {
                    "gather to worker 0: crosses workers, within the process".to_string()
                } else {
                    "gather to worker 0: stays on the one worker".to_string()
                }
            }
        };
        out.push(format!("{input} -> {}: {text}", n.id));
    }
    out
}

/// The text `vstream-plan explain` prints, for one process with one worker. Paths under
/// `base_dir` print relative to it, so the output does not depend on where the project is
/// checked out.
pub fn explain_text(planned: &Planned, base_dir: &Path) -> String {
    explain_text_on(planned, base_dir, Parallelism::default())
}

/// [`explain_text`] for a run `on` that many processes and workers: the edges say which
/// cross workers and which cross processes.
pub fn explain_text_on(planned: &Planned, base_dir: &Path, on: Parallelism) -> String {
    let mut out = String::from("== logical plan ==\n");
    out.push_str(&planned.logical.explain());
    out.push_str(&format!("== dataflow on {on} ==\n"));
    for l in dataflow_lines(planned) {
        out.push_str(&l);
        out.push('\n');
    }
    out.push_str("== edges ==\n");
    for l in edge_lines(planned, on) {
        out.push_str(&l);
        out.push('\n');
    }
    relativize(&out, base_dir)
}

fn relativize(text: &str, base_dir: &Path) -> String {
    let prefix = format!("{}/", base_dir.display());
    if prefix == "/" || prefix == "./" { text.to_string() } else { text.replace(&prefix, "") }
}

/// The dataflow as a Graphviz digraph: one box per operator, edges labelled where rows move
/// between workers.
pub fn explain_dot(planned: &Planned, base_dir: &Path) -> String {
    explain_dot_on(planned, base_dir, Parallelism::default())
}

/// [`explain_dot`] for a run `on` that many processes and workers: edges that cross processes
/// say so.
pub fn explain_dot_on(planned: &Planned, base_dir: &Path, on: Parallelism) -> String {
    let mut out = String::from("digraph vstream {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n");
    out.push_str(&format!("  label=\"{on}\";\n"));
    let across = if on.processes > 1 { ", crosses processes" } else { "" };
    for (n, line) in planned.dataflow.nodes.iter().zip(dataflow_lines(planned)) {
        let label = line.replace('\\', "\\\\").replace('"', "\\\"").replace("; ", "\\n");
        out.push_str(&format!("  n{} [label=\"{}\"];\n", n.id, label));
        for InputEdge { from, movement } in n.operator.inputs() {
            let edge = match movement {
                Movement::Pipeline if matches!(n.operator, Operator::LateRows { .. }) => " [label=\"late rows\"]".to_string(),
                Movement::Pipeline => String::new(),
                Movement::Exchange { .. } => format!(" [label=\"exchange by key{across}\", style=bold]"),
                Movement::Gather => format!(" [label=\"gather{across}\", style=bold]"),
            };
            out.push_str(&format!("  n{from} -> n{}{edge};\n", n.id));
        }
    }
    out.push_str("}\n");
    relativize(&out, base_dir)
}
