//! `explain`: both plans as indented text, and the dataflow as a Graphviz graph.

use crate::Planned;
use crate::dataflow::{InputEdge, Movement, Operator, ROW_ID_COLUMN, SinkExchange};
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
            Operator::Source { table, spec, table_schema, projection, event_time, row_id } => {
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
                        "; event time {}: each worker's watermark = {largest} {} - {}, its times follow it; rows behind it are emitted too (the operators that wait for the watermark judge lateness)",
                        cols[et.column],
                        cols[et.column],
                        Millis(et.delay),
                    ));
                }
                if *row_id {
                    s.push_str(&format!("; adds {ROW_ID_COLUMN} (unique per row, for the late sink)"));
                }
                s.push_str("; state: none");
                s
            }
            Operator::LateRows { source, reports, .. } if reports.is_empty() => {
                format!("{} LateRows: no window operator reads source {source}, so none drops a row: empty; state: none", n.id)
            }
            Operator::LateRows { source, reports, .. } => {
                let from: Vec<String> = reports.iter().map(ToString::to_string).collect();
                format!(
                    "{} LateRows <- [{}]: the rows of source {source} that these window operators dropped, each once; exchange: by hash({ROW_ID_COLUMN}); state: the row ids reported per time until the watermark passes it",
                    n.id,
                    from.join(", ")
                )
            }
            Operator::WindowAggregate { input, assigner, key_len, aggregates, emit, late_rows } => {
                let input_names = names(&plan.nodes[*input].schema);
                let keys = &input_names[1..=*key_len];
                let aggs = aggregate_texts(aggregates, &input_names);
                let exchange = if keys.is_empty() { "exchange: all rows to one worker (no key)".to_string() } else { format!("exchange: by hash({})", keys.join(", ")) };
                let state = match assigner {
                    WindowAssigner::Session { .. } => "state: per key, its open sessions' accumulators",
                    // The windows of one period share their start; each row updates those that end after it.
                    WindowAssigner::Cumulate { .. } => {
                        "state: per open window (size/step per period, all starting at its start), per key, the aggregates' accumulators"
                    }
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
                let late = match assigner {
                    _ if emit.proc_time => "drops a row from each window the wall clock has passed".to_string(),
                    WindowAssigner::Session { .. } => "drops a row whose merged session's end".to_string(),
                    _ => "drops a row from each window whose end".to_string(),
                } + &if emit.proc_time { String::new() } else { format!(
                    "{} is at or before its frontier (the least watermark of all workers){}",
                    if emit.allowed_lateness > 0 { format!(" + {}", Millis(emit.allowed_lateness)) } else { String::new() },
                    if late_rows.is_some() { ", and reports the rows no window took to LateRows" } else { "" }
                ) };
                // Over processing time, the wall clock closes windows (and the end of the input).
                let emits = if emit.proc_time {
                    format!("{} (processing time; every open window at the end of the input)", emits.replace("the watermark", "the wall clock"))
                } else {
                    emits
                };
                format!(
                    "{} WindowAggregate <- {input}: {assigner} on {}; group [window_start, window_end, {}] aggregates [{}]; {exchange}; {state}; {emits}; {late}",
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
            Operator::Expand { input, projections } => {
                let input_names = names(&plan.nodes[*input].schema);
                let sets: Vec<String> = projections
                    .iter()
                    .map(|set| {
                        let items: Vec<String> = set
                            .iter()
                            .zip(&n.schema.fields)
                            .map(|(e, f)| {
                                let t = e.display_with(&input_names).to_string();
                                if t == f.name { t } else { format!("{}={t}", f.name) }
                            })
                            .collect();
                        format!("({})", items.join(", "))
                    })
                    .collect();
                format!("{} Expand <- {input}: each row once per grouping set: {}; state: none", n.id, sets.join(" | "))
            }
            Operator::Unnest { input, exprs, collection, ordinality, outer } => {
                let input_names = names(&plan.nodes[*input].schema);
                let kept: Vec<String> = exprs
                    .iter()
                    .zip(&n.schema.fields)
                    .map(|(e, f)| {
                        let t = e.display_with(&input_names).to_string();
                        if t == f.name { t } else { format!("{}={t}", f.name) }
                    })
                    .collect();
                let added: Vec<&str> = n.schema.fields[exprs.len()..].iter().map(|f| f.name.as_str()).collect();
                let ord = if *ordinality { " with ordinality" } else { "" };
                let left = if *outer { " (once with NULLs if it has none)" } else { "" };
                format!(
                    "{} Unnest <- {input}: each row once per element of {}{ord}{left}: keep {}, add {}; state: none",
                    n.id,
                    collection.display_with(&input_names),
                    kept.join(", "),
                    added.join(", ")
                )
            }
            Operator::KeyedAggregate { input, key_len, aggregates, retractions, empty_groups } => {
                let input_names = names(&plan.nodes[*input].schema);
                let keys = &input_names[..*key_len];
                let aggs = aggregate_texts(aggregates, &input_names);
                let exchange = if keys.is_empty() { "exchange: all rows to one worker (no key)".to_string() } else { format!("exchange: by hash({})", keys.join(", ")) };
                let (input_kind, state) = if *retractions {
                    (" takes retractions;", "per key, its row count, the aggregates' accumulators (MIN/MAX: every value with its count) and the last row emitted")
                } else {
                    ("", "per key, the aggregates' accumulators and the last row emitted")
                };
                let empty = match empty_groups.len() {
                    0 => String::new(),
                    1 => "; the empty grouping set's row also on empty input".to_string(),
                    k => format!("; the {k} empty grouping sets' rows also on empty input"),
                };
                format!(
                    "{} KeyedAggregate <- {input}: group [{}] aggregates [{}];{input_kind} {exchange}; state: {state}; emits a changelog per epoch{empty}",
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
            Operator::Limit { input, offset, fetch, ends_query } => {
                let what = crate::logical::limit_text(*offset, *fetch);
                let ends = if *ends_query { "; once reached the query is done and, when all are, the sources stop" } else { "" };
                format!("{} {what} <- {input}: exchange: gather to worker 0; state: a row count{ends}", n.id)
            }
            Operator::EventTimeSort { input, keys } => {
                let keys = crate::logical::sort_key_texts(keys, &names(&plan.nodes[*input].schema));
                format!(
                    "{} EventTimeSort <- {input}: by [{}]; exchange: gather to worker 0; state: the rows the watermark has not passed, by event time; releases them in order as it passes, drops (and counts) rows already behind it",
                    n.id,
                    keys.join(", ")
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
            Operator::SetOperation { left, right, op, all, .. } => {
                let state = if *all {
                    "per distinct row of either input, the row and its count in each input"
                } else {
                    "per distinct row of either input, the row and its count in each input (the output holds it once or not at all)"
                };
                format!(
                    "{} {} <- {left}, {right}: exchange: by hash(all columns); state: {state}; emits +I/-D as a row's output count changes, per epoch",
                    n.id,
                    op.name(*all)
                )
            }
            Operator::Union { inputs } => {
                let from: Vec<String> = inputs.iter().map(ToString::to_string).collect();
                format!("{} Union <- {}: all rows of every input (concatenate); exchange: none; state: none", n.id, from.join(", "))
            }
        })
        .map(|line| shared_view_note(plan, line))
        .collect()
}

/// `line` with, if its node emits a view's rows, which view and how many operators read it.
fn shared_view_note(plan: &crate::DataflowPlan, line: String) -> String {
    let id: Option<usize> = line.split(' ').next().and_then(|w| w.parse().ok());
    let Some((view, node)) = plan.views.iter().find(|(_, node)| Some(*node) == id) else { return line };
    let readers = plan.nodes.iter().filter(|n| n.operator.inputs().iter().any(|e| e.from == *node)).count();
    format!("{line}; rows of view {view}, computed once, read by {readers}")
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
                // LateRows reads its inputs' dropped rows, which have its own columns.
                let moved = if matches!(n.operator, Operator::LateRows { .. }) { &n.schema } else { &plan.nodes[input].schema };
                let names = names(moved);
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
                Movement::Pipeline => String::new(),
                Movement::Exchange { .. } if matches!(n.operator, Operator::LateRows { .. }) => {
                    format!(" [label=\"dropped rows, exchange by row id{across}\", style=dashed]")
                }
                Movement::Exchange { .. } => format!(" [label=\"exchange by key{across}\", style=bold]"),
                Movement::Gather => format!(" [label=\"gather{across}\", style=bold]"),
            };
            out.push_str(&format!("  n{from} -> n{}{edge};\n", n.id));
        }
    }
    out.push_str("}\n");
    relativize(&out, base_dir)
}
