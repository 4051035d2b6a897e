//! The dataflow plan: the operators the runtime instantiates on every worker, and the edges
//! between them. Nodes are kept in topological order and refer to their inputs by index, so the
//! runtime renders them with one pass and one `match`.

use crate::logical::{AggregateCall, LogicalPlan, ScriptPlan, SetOperator, SortKey, WINDOW_COLUMNS};
use serde::{Deserialize, Serialize};
use vstream_connector_spec::{FileSink, SinkSpec, SourceSpec};
use vstream_repr::agg::AggregateSpec;
use vstream_repr::rank::{OverFrame, RankFunc, SortOrder};
use vstream_repr::{DataType, Datum, EventTime, Field, ScalarExpr, Schema, WindowAssigner, WindowEmit};

/// A node's index in [`DataflowPlan::nodes`]; inputs always have smaller ids than their readers.
pub type NodeId = usize;

/// How rows reach a sink's workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SinkExchange {
    /// Each worker writes the rows it has (one part file per worker): no data moves.
    PerWorker,
    /// All rows move to worker 0, which writes them (stdout, a single file).
    Gather,
}

/// The event time of a source: which of its columns, and how its watermark and lateness are
/// judged (see `vstream_repr::window::WatermarkTracker`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceEventTime {
    /// Index into the source's output columns.
    pub column: usize,
    /// Milliseconds the watermark trails the largest event time read.
    pub delay: i64,
    /// Milliseconds past the watermark a row may still be (`'late.allowed-lateness'`) before it
    /// is late.
    pub allowed_lateness: i64,
}

/// One dataflow operator. Each variant's doc says what state and data movement it costs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Operator {
    /// Decodes a file into batches of `projection`'s columns (indices into `table_schema`).
    /// The file is cut into chunks at line boundaries; chunk k is read by worker k mod N, so all
    /// workers read in parallel and move through the file together. No state, no exchange.
    ///
    /// With an `event_time`, timely times are event times: each worker's capability follows its
    /// own watermark, so the dataflow's frontier is the least watermark of all workers, and a
    /// worker that has read all its chunks holds nothing back. Rows behind the watermark are
    /// emitted like the others: only a window operator judges lateness, against its own frontier.
    Source {
        /// The table's name.
        table: String,
        /// Where and how the table is read.
        spec: SourceSpec,
        /// All the table's columns.
        table_schema: Schema,
        /// The columns decoded, indices into `table_schema`, ascending.
        projection: Vec<usize>,
        /// The event time and watermark, for a table with a WATERMARK.
        event_time: Option<SourceEventTime>,
        /// The table has a `'late.sink'`: after `projection`'s columns comes `ROW_ID_COLUMN`, a
        /// BIGINT unique to each row of the run (the reading worker's index in its high bits,
        /// the worker's count of rows read below), which names a row that window operators drop.
        row_id: bool,
    },
    /// The source rows that the window operators of `source`'s table dropped for lateness, each
    /// once however many dropped it, for a `'late.sink'`. Its inputs are the windows' dropped rows
    /// (all the source's columns, row id last), moved by the hash of the row id. State: the row
    /// ids reported at each time the frontier has not passed yet, dropped once it has.
    LateRows {
        /// The Source node whose rows these are.
        source: NodeId,
        /// The WindowAggregate nodes over `source` that report the rows they drop.
        reports: Vec<NodeId>,
        /// The row id column, last of the source's columns.
        row_id: usize,
    },
    /// Per batch: keeps rows where `predicate` is TRUE, then computes `exprs` over the input's
    /// columns. No state, no exchange.
    MapFilterProject {
        /// The node whose rows it reads.
        input: NodeId,
        /// Rows where it is not TRUE are dropped; `None` keeps every row.
        predicate: Option<ScalarExpr>,
        /// One output column each, over the input's columns.
        exprs: Vec<ScalarExpr>,
    },
    /// GROUP BY: rows move (timely `exchange`, by the hash of the key) to the worker that owns
    /// their key, the first `key_len` input columns. State: per worker, a hash map from key to
    /// its aggregates' accumulators and the row last emitted, one entry per live key. Emits,
    /// per epoch and per changed key, `-U` of the old row and `+U` of the new (`+I` when new).
    /// With `retractions` (its input is a changelog, e.g. a GROUP BY of a GROUP BY), `-U`/`-D`
    /// rows are taken back: each key also counts its rows, MIN and MAX keep every value, and a
    /// key whose rows are all retracted is deleted (`-D`) and its state freed.
    KeyedAggregate {
        /// The node whose rows it reads: the keys, then the aggregates' arguments and filters.
        input: NodeId,
        /// How many leading input columns are the key.
        key_len: usize,
        /// The aggregates, over the input's columns.
        aggregates: Vec<AggregateSpec>,
        /// The input is a changelog: its `-U`/`-D` rows are taken back.
        retractions: bool,
        /// The keys of groups that have a row even when no input reaches them, as a global
        /// aggregate does: the empty sets of GROUPING SETS, ROLLUP and CUBE (the keys NULL, then
        /// the set's index and GROUPING values). The worker owning each emits it at the end of
        /// an input that gave the group no row.
        empty_groups: Vec<Vec<Datum>>,
    },
    /// A GROUP BY of windows: input column 0 is the event time, then `key_len` keys, then the
    /// aggregates' arguments; output is `window_start, window_end, window_time`, the keys, the
    /// aggregates. Rows move (`exchange`) by the hash of their keys. State: per worker, the open
    /// windows, each a hash map from key to accumulators (SESSION: per key, its open sessions);
    /// a window's state is dropped once the frontier passes its end (plus allowed lateness).
    /// EMIT FINAL emits each window's rows once, when the frontier passes its end; EMIT CHANGES
    /// emits a changelog per epoch while it is open.
    WindowAggregate {
        /// The node whose rows it reads: the event time, the keys, the aggregates' arguments.
        input: NodeId,
        /// TUMBLE, HOP, CUMULATE or SESSION, with its sizes.
        assigner: WindowAssigner,
        /// How many input columns after the event time are the key.
        key_len: usize,
        /// The aggregates, over the input's columns.
        aggregates: Vec<AggregateSpec>,
        /// When rows are emitted and how long windows stay open.
        emit: WindowEmit,
        /// For a table with a `'late.sink'`: the input columns from this one on are the source's
        /// row (its columns, row id last), which the operator sends to the table's `LateRows`
        /// for each row it drops for lateness.
        late_rows: Option<usize>,
    },
    /// GROUPING SETS, ROLLUP, CUBE: per batch, one output batch per grouping set, each the
    /// set's `projections` over the input's columns (the keys it lacks as NULLs, its index and
    /// GROUPING values as constants); row kinds pass through. No state, no exchange: the one
    /// aggregate after it keeps the state of every set.
    Expand {
        /// The node whose rows it repeats.
        input: NodeId,
        /// Per grouping set: one output column each, over the input's columns.
        projections: Vec<Vec<ScalarExpr>>,
    },
    /// CROSS JOIN UNNEST: per input row, one row per element of `collection` (an ARRAY, or a
    /// MAP's entries): the row's `exprs`, the element's columns, its 1-based position if
    /// `ordinality`. Row kinds pass through (a retraction retracts every element row). No state,
    /// no exchange.
    Unnest {
        /// The node whose rows it expands.
        input: NodeId,
        /// The columns each output row keeps of its input row, over the input's columns.
        exprs: Vec<ScalarExpr>,
        /// The ARRAY or MAP to expand, over the input's columns.
        collection: ScalarExpr,
        /// Whether the position follows the element's columns.
        ordinality: bool,
        /// Whether a row with a NULL or empty collection is kept once, its element columns NULL.
        outer: bool,
    },
    /// Top-N: input columns are `key_len` partition keys, then one column per sort key of
    /// `order`, then the rows' own columns, which it emits (with their rank last if
    /// `rank_column`) while their rank is in `lo..=hi`. Rows move (`exchange`) by the hash of the
    /// partition key (none: all to one worker). State: per worker, per partition, its rows in
    /// sort order (ties broken by the whole row, the same way on every worker): over insert-only
    /// input only those that can still rank up to `hi` (`hi` rows for ROW_NUMBER, plus ties for
    /// RANK and DENSE_RANK), over a changelog (`retractions`) every row, since a retraction may
    /// promote any of them; and the rows last emitted. Emits, per epoch and per changed
    /// partition, `-D` for rows that left the top (or changed rank) and `+I` for those that entered.
    TopN {
        /// The node whose rows it reads: partition keys, sort keys, then the rows.
        input: NodeId,
        /// How many leading input columns are the partition key.
        key_len: usize,
        /// One per sort key, for input columns `key_len..key_len + order.len()`.
        order: Vec<SortOrder>,
        /// ROW_NUMBER, RANK or DENSE_RANK.
        func: RankFunc,
        /// The least rank emitted.
        lo: u64,
        /// The largest rank emitted: N.
        hi: u64,
        /// The rank is emitted as a last column.
        rank_column: bool,
        /// The input is a changelog: its `-U`/`-D` rows are taken back.
        retractions: bool,
    },
    /// Deduplication keeping each key's first row by event time: input columns are `key_len`
    /// keys, the event time, then the rows' own columns, which it emits. Rows move (`exchange`)
    /// by the hash of the key. State: per key, its earliest row until the frontier passes that
    /// row's time, when the row is emitted (once, insert-only); then only that the key is done.
    /// A row behind what was emitted is late: dropped and counted.
    Deduplicate {
        /// The node whose rows it reads.
        input: NodeId,
        /// How many leading input columns are the key.
        key_len: usize,
    },
    /// Window Top-N: the Top-N of each window (TUMBLE or HOP) per partition. Input column 0 is
    /// the event time, then `key_len` partition keys (besides the window), one column per sort
    /// key, then the rows' own columns; output is the rows, `window_start, window_end,
    /// window_time`, and the rank if `rank_column`. Without an `assigner` the rows are a window
    /// aggregate's: column 0 is their `window_end`, and the output is the rows and the rank. Rows move (`exchange`) by the hash of the
    /// keys. State: per open window and partition, the rows that can still rank up to `hi`;
    /// freed when the frontier passes the window's end, which is when its top rows are emitted,
    /// once (insert-only). A row for a window that has already fired is late: dropped, counted.
    WindowTopN {
        /// The node whose rows it reads.
        input: NodeId,
        /// TUMBLE or HOP, with its sizes; `None` over a window aggregate's rows.
        assigner: Option<WindowAssigner>,
        /// How many input columns after the event time are the partition key.
        key_len: usize,
        /// One per sort key, for the input columns after the keys.
        order: Vec<SortOrder>,
        /// ROW_NUMBER, RANK or DENSE_RANK.
        func: RankFunc,
        /// The least rank emitted.
        lo: u64,
        /// The largest rank emitted: N.
        hi: u64,
        /// The rank is emitted as a last column.
        rank_column: bool,
    },
    /// OVER aggregates: input columns are `key_len` partition keys, the event time, then
    /// `payload_len` columns of the rows it emits, then the aggregates' arguments. Rows move
    /// (`exchange`) by the hash of the partition key. State: per worker, the rows the watermark
    /// has not passed yet (by event time), and per partition the aggregates' accumulators and the
    /// rows in its frame (`ROWS n`: the last n; `RANGE`: those within the interval; unbounded:
    /// none). Once the frontier passes a row's time it is emitted with its aggregates (rows of a
    /// partition in time order, peers by value), insert-only. A row behind what the operator has
    /// emitted is late: dropped and counted.
    OverAggregate {
        /// The node whose rows it reads.
        input: NodeId,
        /// How many leading input columns are the partition key.
        key_len: usize,
        /// How many input columns after the keys and the event time are emitted.
        payload_len: usize,
        /// The rows each aggregate covers.
        frame: OverFrame,
        /// The aggregates, over the input's columns.
        aggregates: Vec<AggregateSpec>,
    },
    /// `LIMIT`: rows move to worker 0 (gather), which passes on the first `offset + fetch` to
    /// arrive, less the first `offset`, and drops the rest. State: one row count. With
    /// `ends_query` (every row of the query's sink passes through it), reaching the count ends
    /// the query: once every query of the run has ended, the sources stop reading.
    Limit {
        /// The node whose rows it limits.
        input: NodeId,
        /// Rows skipped first.
        offset: u64,
        /// Rows passed on after them; `None`: all.
        fetch: Option<u64>,
        /// Whether the query is done once the limit is reached.
        ends_query: bool,
    },
    /// `ORDER BY` event time: rows move to worker 0 (gather), which holds each until the
    /// frontier (the least watermark) passes its event time (key 0), then releases the rows
    /// passed in key order. A row whose event time the frontier has already passed when it
    /// arrives is late: dropped and counted. State: the rows not yet released, by event time.
    EventTimeSort {
        /// The node whose rows it sorts.
        input: NodeId,
        /// The first is the event time, ascending; the others break its ties.
        keys: Vec<SortKey>,
    },
    /// Encodes rows and writes them to a sink; a `changelog` sink writes each row's kind too.
    Sink {
        /// The node whose rows it writes.
        input: NodeId,
        /// The sink table's name (`stdout` for a bare SELECT).
        name: String,
        /// Where and how rows are written.
        spec: SinkSpec,
        /// How rows reach the workers that write them.
        exchange: SinkExchange,
        /// The input is a changelog: each row's kind (`+I`, `-U`, `+U`, `-D`) is written too.
        changelog: bool,
    },
    /// INTERSECT / EXCEPT (`all`: multisets): rows of both inputs move (`exchange`) by the hash of
    /// the whole row to the worker that owns it. State: per worker, per distinct row of either
    /// input, the row and how many times each input holds it (an entry goes when both counts are
    /// 0). Per epoch, for each changed row, emits `+I` or `-D` copies so the output holds
    /// `op.copies(all, left, right)` of it: a changelog. Changelog inputs' `-U`/`-D` rows count
    /// down.
    SetOperation {
        /// The rows kept or dropped.
        left: NodeId,
        /// The rows that decide.
        right: NodeId,
        /// INTERSECT or EXCEPT.
        op: SetOperator,
        /// Multisets (`ALL`), or each row at most once.
        all: bool,
        /// The columns of each input (and the output), all compared.
        columns: usize,
    },
    /// UNION ALL: the rows of every input, as they come (timely `concatenate`); changelog rows
    /// keep their kinds. No state, no exchange.
    Union {
        /// The nodes whose rows it concatenates, all with its schema.
        inputs: Vec<NodeId>,
    },
}

/// How rows move along an edge, from the operator that emits them to the one that reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Movement {
    /// Each worker hands its rows to its own next operator.
    Pipeline,
    /// Rows move to the worker that owns their key: these columns of the rows (none: one worker
    /// owns all rows).
    Exchange {
        /// The key columns, indices into the emitting node's schema.
        key: Vec<usize>,
    },
    /// Rows move to worker 0.
    Gather,
}

/// One input of an operator: the node its rows come from and how they move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputEdge {
    /// The node that emits the rows.
    pub from: NodeId,
    /// How they reach this operator's workers.
    pub movement: Movement,
}

impl Operator {
    /// The operator's inputs, in order, with how rows move along each edge. Explain, the edge
    /// list and rendering walk the graph through this, so an operator with two inputs (a join)
    /// is described here once.
    pub fn inputs(&self) -> Vec<InputEdge> {
        let edge = |from: &NodeId, movement| vec![InputEdge { from: *from, movement }];
        match self {
            Operator::Source { .. } => Vec::new(),
            Operator::LateRows { reports, row_id, .. } => {
                reports.iter().map(|from| InputEdge { from: *from, movement: Movement::Exchange { key: vec![*row_id] } }).collect()
            }
            Operator::MapFilterProject { input, .. } | Operator::Expand { input, .. } | Operator::Unnest { input, .. } => {
                edge(input, Movement::Pipeline)
            }
            Operator::KeyedAggregate { input, key_len, .. }
            | Operator::TopN { input, key_len, .. }
            | Operator::OverAggregate { input, key_len, .. }
            | Operator::Deduplicate { input, key_len } => edge(input, Movement::Exchange { key: (0..*key_len).collect() }),
            // Column 0 is the event time; the keys follow it.
            Operator::WindowAggregate { input, key_len, .. } => edge(input, Movement::Exchange { key: (1..=*key_len).collect() }),
            Operator::SetOperation { left, right, columns, .. } => {
                // Rows are matched whole: both sides move by the hash of every column.
                let movement = Movement::Exchange { key: (0..*columns).collect() };
                vec![InputEdge { from: *left, movement: movement.clone() }, InputEdge { from: *right, movement }]
            }
            Operator::Union { inputs } => inputs.iter().map(|from| InputEdge { from: *from, movement: Movement::Pipeline }).collect(),
            Operator::Limit { input, .. } | Operator::EventTimeSort { input, .. } => edge(input, Movement::Gather),
            Operator::WindowTopN { input, key_len, .. } => edge(input, Movement::Exchange { key: (1..=*key_len).collect() }),
            Operator::Sink { input, exchange, .. } => edge(
                input,
                match exchange {
                    SinkExchange::PerWorker => Movement::Pipeline,
                    SinkExchange::Gather => Movement::Gather,
                },
            ),
        }
    }
}

/// A node of the dataflow: an operator and the schema of what it emits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Its index in the plan; also the runtime operator's name prefix (`"{id}:{Operator}"`).
    pub id: NodeId,
    /// What it computes.
    pub operator: Operator,
    /// The columns of the rows it emits.
    pub schema: Schema,
}

/// The operators of a whole script, every query's, with sources shared between queries that
/// read the same table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DataflowPlan {
    /// In topological order: a node's inputs come before it.
    pub nodes: Vec<Node>,
    /// Each view (or common table expression) the queries read, and the node that emits its
    /// rows: lowered once, read by all of them.
    pub views: Vec<(String, NodeId)>,
}

impl DataflowPlan {
    fn push(&mut self, operator: Operator, schema: Schema) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(Node { id, operator, schema });
        id
    }

    /// The source nodes, in order.
    pub fn sources(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| matches!(n.operator, Operator::Source { .. }))
    }

    /// The sinks' tables, in plan order (the order the runtime counts their rows in).
    pub fn sink_names(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter_map(|n| match &n.operator {
                Operator::Sink { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect()
    }

    /// The operators that drop rows for lateness (those that wait for the watermark: window and
    /// OVER aggregates, the event-time sort, deduplication, window Top-N), in plan order, each with the table its query writes
    /// (the first sink downstream of it; the node's id when none).
    pub fn late_operators(&self) -> Vec<(NodeId, String)> {
        self.nodes
            .iter()
            .filter(|n| {
                matches!(
                    n.operator,
                    Operator::WindowAggregate { .. }
                        | Operator::OverAggregate { .. }
                        | Operator::EventTimeSort { .. }
                        | Operator::Deduplicate { .. }
                        | Operator::WindowTopN { .. }
                )
            })
            .map(|n| (n.id, self.sink_of(n.id).unwrap_or_else(|| n.id.to_string())))
            .collect()
    }

    /// The table of the first sink downstream of node `id`.
    pub fn sink_of(&self, id: NodeId) -> Option<String> {
        let mut at = id;
        loop {
            let next = self.nodes.iter().find(|n| n.operator.inputs().iter().any(|edge| edge.from == at))?;
            if let Operator::Sink { name, .. } = &next.operator {
                return Some(name.clone());
            }
            at = next.id;
        }
    }
}

/// A plan being lowered: rows of `node`, filtered by `predicate` and projected to `exprs`, all
/// over `node`'s columns; nothing is emitted until it is sealed into a MapFilterProject.
struct Pending {
    node: NodeId,
    predicate: Option<ScalarExpr>,
    exprs: Vec<ScalarExpr>,
    schema: Schema,
}

/// The name of a source's row id column (see `Operator::Source::row_id`).
pub const ROW_ID_COLUMN: &str = "$row_id";

/// Lowers every query of the script. Queries that read the same table share one source, which
/// decodes the union of the columns they read.
pub fn lower(script: &ScriptPlan) -> DataflowPlan {
    let mut plan = DataflowPlan::default();
    // One source per table, reading every column any query reads from it (and its event time).
    let mut wanted: Vec<WantedSource> = Vec::new();
    for s in &script.sinks {
        collect_scans(&s.query, &mut wanted);
    }
    let mut sources = Vec::new();
    for WantedSource { table, spec, table_schema, mut projection, event_time } in wanted {
        if let Some(et) = &event_time {
            projection.push(et.column);
        }
        projection.sort_unstable();
        projection.dedup();
        let row_id = event_time.as_ref().is_some_and(|et| et.late_sink.is_some());
        let mut fields: Vec<Field> = projection.iter().map(|i| table_schema.fields[*i].clone()).collect();
        if row_id {
            fields.push(Field::new(ROW_ID_COLUMN, DataType::BigInt));
        }
        let schema = Schema::new(fields);
        let event_time = event_time.map(|et| SourceEventTime {
            column: projection.iter().position(|c| *c == et.column).expect("the event time column was added to the projection"),
            delay: et.delay,
            allowed_lateness: et.allowed_lateness,
        });
        let id = plan.push(
            Operator::Source { table: table.clone(), spec, table_schema, projection: projection.clone(), event_time, row_id },
            schema.clone(),
        );
        sources.push(LoweredSource { table, node: id, columns: projection, late_node: None, schema, row_id, reports: Vec::new() });
    }
    // Queries of late rows come last: their LateRows node reads every window operator over the
    // table, so those must be lowered first (sinks are counted in this order).
    let reads_late = |q: &LogicalPlan| {
        let mut late = false;
        q.visit_late_scans(&mut |_| late = true);
        late
    };
    let (late_sinks, sinks): (Vec<_>, Vec<_>) = script.sinks.iter().partition(|s| reads_late(&s.query));
    for s in sinks.into_iter().chain(late_sinks) {
        let first_node = plan.nodes.len();
        let pending = lower_query(&s.query, &mut sources, &mut plan);
        if ends_in_limit(&s.query) {
            // The query's one Limit (on its path to the sink) ends it.
            for n in &mut plan.nodes[first_node..] {
                if let Operator::Limit { ends_query, .. } = &mut n.operator {
                    *ends_query = true;
                }
            }
        }
        let input = seal(&mut plan, pending);
        let exchange = match &s.sink {
            SinkSpec::Stdout | SinkSpec::File(FileSink { single_file: true, .. }) => SinkExchange::Gather,
            // Kafka: each worker writes its rows; a key's changes all come from the worker that
            // owns the key, so they reach its partition in order.
            SinkSpec::File(_) | SinkSpec::Blackhole | SinkSpec::Kafka(_) => SinkExchange::PerWorker,
        };
        let schema = plan.nodes[input].schema.clone();
        let changelog = s.query.is_changelog();
        plan.push(Operator::Sink { input, name: s.name.clone(), spec: s.sink.clone(), exchange, changelog }, schema);
    }
    plan
}

/// Whether every row of `p` passes through a LIMIT (on a path of one-input plans): once that is
/// reached, the query has all its rows.
fn ends_in_limit(p: &LogicalPlan) -> bool {
    match p {
        LogicalPlan::Limit { .. } => true,
        _ => match p.inputs().as_slice() {
            [one] => ends_in_limit(one),
            _ => false,
        },
    }
}

/// A table some query reads, and the union of the columns read.
struct WantedSource {
    table: String,
    spec: SourceSpec,
    table_schema: Schema,
    projection: Vec<usize>,
    event_time: Option<EventTime>,
}

/// A table's source node, the table columns it emits, and its late rows' node once one is made.
struct LoweredSource {
    table: String,
    node: NodeId,
    columns: Vec<usize>,
    late_node: Option<NodeId>,
    schema: Schema,
    /// The source emits a row id (its table has a late sink).
    row_id: bool,
    /// The window operators over it that report the rows they drop.
    reports: Vec<NodeId>,
}

fn collect_scans(p: &LogicalPlan, out: &mut Vec<WantedSource>) {
    if let LogicalPlan::Scan { table, source, table_schema, projection, event_time, .. } = p {
        match out.iter_mut().find(|w| w.table == *table) {
            Some(w) => w.projection.extend(projection),
            None => out.push(WantedSource {
                table: table.clone(),
                spec: source.clone(),
                table_schema: table_schema.clone(),
                projection: projection.clone(),
                event_time: event_time.clone(),
            }),
        }
    }
    for input in p.inputs() {
        collect_scans(input, out);
    }
}

fn lower_query(p: &LogicalPlan, sources: &mut [LoweredSource], plan: &mut DataflowPlan) -> Pending {
    match p {
        LogicalPlan::Scan { table, projection, schema, late, .. } => {
            let source = sources.iter_mut().find(|s| s.table == *table).expect("every scan has a source");
            let node = if *late {
                match source.late_node {
                    Some(n) => n,
                    None => {
                        let row_id = source.schema.len() - 1;
                        let late_rows = Operator::LateRows { source: source.node, reports: source.reports.clone(), row_id };
                        let n = plan.push(late_rows, source.schema.clone());
                        source.late_node = Some(n);
                        n
                    }
                }
            } else {
                source.node
            };
            let exprs = projection
                .iter()
                .zip(&schema.fields)
                .map(|(col, f)| {
                    let at =
                        source.columns.iter().position(|c| c == col).expect("a table's source reads every column any scan of it reads");
                    ScalarExpr::column(at, f.ty)
                })
                .collect();
            Pending { node, predicate: None, exprs, schema: schema.clone() }
        }
        LogicalPlan::Window { input, schema, .. } => {
            // Only reached through the Aggregate over it (see `lower_window_aggregate`); the
            // window columns have no per-row value, so they stand for NULLs nothing reads.
            let mut pending = lower_query(input, sources, plan);
            for _ in WINDOW_COLUMNS {
                pending.exprs.push(ScalarExpr::literal(vstream_repr::Datum::Null, DataType::TIMESTAMP));
            }
            pending.schema = schema.clone();
            pending
        }
        LogicalPlan::Filter { input, predicate } => {
            let mut pending = lower_query(input, sources, plan);
            let pred = predicate.substitute(&pending.exprs);
            pending.predicate = Some(match pending.predicate.take() {
                None => pred,
                Some(prev) => ScalarExpr::Binary {
                    op: vstream_repr::BinaryOp::And,
                    left: Box::new(prev),
                    right: Box::new(pred),
                    ty: DataType::Boolean,
                },
            });
            pending
        }
        LogicalPlan::Project { input, exprs, schema } => {
            let mut pending = lower_query(input, sources, plan);
            pending.exprs = exprs.iter().map(|e| e.substitute(&pending.exprs)).collect();
            pending.schema = schema.clone();
            pending
        }
        LogicalPlan::Union { inputs, schema } => {
            let mut nodes = Vec::with_capacity(inputs.len());
            for input in inputs {
                let pending = lower_query(input, sources, plan);
                nodes.push(seal(plan, pending));
            }
            let inputs = nodes;
            identity(plan.push(Operator::Union { inputs }, schema.clone()), schema)
        }
        LogicalPlan::SetOperation { left, right, op, all, schema } => {
            let pending = lower_query(left, sources, plan);
            let left = seal(plan, pending);
            let pending = lower_query(right, sources, plan);
            let right = seal(plan, pending);
            let operator = Operator::SetOperation { left, right, op: *op, all: *all, columns: schema.len() };
            identity(plan.push(operator, schema.clone()), schema)
        }
        LogicalPlan::View { name, input } => {
            let node = match plan.views.iter().find(|(v, _)| v == name) {
                Some((_, node)) => *node,
                None => {
                    let pending = lower_query(input, sources, plan);
                    let node = seal(plan, pending);
                    plan.views.push((name.clone(), node));
                    node
                }
            };
            // Columns are named by the view's own names, whatever the node it shares calls them.
            Pending { schema: input.schema().clone(), ..identity(node, &plan.nodes[node].schema) }
        }
        LogicalPlan::Expand { input, keys, sets, grouping, schema } => {
            // The sets' projections read the input's columns as the pending plan computes them;
            // a pending filter runs first, in its own operator.
            let mut pending = lower_query(input, sources, plan);
            if pending.predicate.is_some() {
                let schema = pending.schema.clone();
                let node = seal(plan, pending);
                pending = identity(node, &schema);
            }
            let projections = LogicalPlan::expand_projections(input.schema(), keys, sets, grouping)
                .into_iter()
                .map(|set| set.iter().map(|e| e.substitute(&pending.exprs)).collect())
                .collect();
            let node = plan.push(Operator::Expand { input: pending.node, projections }, schema.clone());
            identity(node, schema)
        }
        LogicalPlan::Unnest { input, collection, kept, ordinality, outer, schema } => {
            // The kept columns and the collection read the input as the pending plan computes
            // it; a pending filter runs first, in its own operator.
            let mut pending = lower_query(input, sources, plan);
            if pending.predicate.is_some() {
                let schema = pending.schema.clone();
                let node = seal(plan, pending);
                pending = identity(node, &schema);
            }
            let collection = collection.substitute(&pending.exprs);
            let exprs = kept.iter().map(|c| pending.exprs[*c].clone()).collect();
            let op = Operator::Unnest { input: pending.node, exprs, collection, ordinality: *ordinality, outer: *outer };
            let node = plan.push(op, schema.clone());
            identity(node, schema)
        }
        LogicalPlan::Rank { input, partition_by, rank_column, schema, .. } if p.is_first_row_deduplication() => {
            // The keys, the event time, then the rows; the rank (always 1) after them if kept.
            let pending = lower_query(input, sources, plan);
            let input_names: Vec<String> = plan.nodes[pending.node].schema.fields.iter().map(|f| f.name.clone()).collect();
            let time_col = input.time_column().expect("checked by is_first_row_deduplication");
            let mut exprs = Vec::new();
            let mut fields = Vec::new();
            for e in partition_by.iter().map(|e| e.substitute(&pending.exprs)).chain([pending.exprs[time_col].clone()]) {
                fields.push(Field::new(e.display_with(&input_names).to_string(), e.ty()));
                exprs.push(e);
            }
            exprs.extend(pending.exprs.iter().cloned());
            fields.extend(pending.schema.fields.iter().cloned());
            let pre = seal(plan, Pending { node: pending.node, predicate: pending.predicate, exprs, schema: Schema::new(fields) });
            let node = plan.push(Operator::Deduplicate { input: pre, key_len: partition_by.len() }, pending.schema.clone());
            let mut exprs: Vec<ScalarExpr> = pending.schema.fields.iter().enumerate().map(|(i, f)| ScalarExpr::column(i, f.ty)).collect();
            if *rank_column {
                exprs.push(ScalarExpr::literal(vstream_repr::Datum::Int(1), DataType::BigInt));
            }
            Pending { node, predicate: None, exprs, schema: schema.clone() }
        }
        LogicalPlan::Rank { input, func, partition_by, order_by, limit, rank_column, schema, .. } if p.window_end_key().is_some() => {
            // Over a window aggregate's rows: ranked per window, emitted when it closes.
            let end = p.window_end_key().expect("matched on it");
            let pending = lower_query(input, sources, plan);
            let input_names: Vec<String> = plan.nodes[pending.node].schema.fields.iter().map(|f| f.name.clone()).collect();
            let end_expr = pending.exprs[end].clone();
            let keys: Vec<&ScalarExpr> =
                partition_by.iter().filter(|e| !matches!(e, ScalarExpr::Column { index, .. } if *index == end)).collect();
            let mut exprs = vec![end_expr.clone()];
            let mut fields = vec![Field::new(end_expr.display_with(&input_names).to_string(), DataType::TIMESTAMP)];
            for e in keys.iter().copied().chain(order_by.iter().map(|(e, _)| e)) {
                let e = e.substitute(&pending.exprs);
                fields.push(Field::new(e.display_with(&input_names).to_string(), e.ty()));
                exprs.push(e);
            }
            exprs.extend(pending.exprs.iter().cloned());
            fields.extend(pending.schema.fields.iter().cloned());
            let pre = seal(plan, Pending { node: pending.node, predicate: pending.predicate, exprs, schema: Schema::new(fields) });
            let range = limit.unwrap_or(crate::logical::RankRange { lo: 1, hi: 0 });
            let node = plan.push(
                Operator::WindowTopN {
                    input: pre,
                    assigner: None,
                    key_len: keys.len(),
                    order: order_by.iter().map(|(_, o)| *o).collect(),
                    func: *func,
                    lo: range.lo,
                    hi: range.hi,
                    rank_column: *rank_column,
                },
                schema.clone(),
            );
            identity(node, schema)
        }
        LogicalPlan::Rank { input, func, partition_by, order_by, limit, rank_column, schema, .. } if input.window().is_some() => {
            lower_window_top_n(input, *func, partition_by, order_by, *limit, *rank_column, schema, sources, plan)
        }
        LogicalPlan::Rank { input, func, partition_by, order_by, limit, rank_column, schema, .. } => {
            // One MapFilterProject in front computes the partition keys and sort keys; the rows
            // follow them as they are.
            let pending = lower_query(input, sources, plan);
            let input_names: Vec<String> = plan.nodes[pending.node].schema.fields.iter().map(|f| f.name.clone()).collect();
            let mut exprs = Vec::new();
            let mut fields = Vec::new();
            for e in partition_by.iter().chain(order_by.iter().map(|(e, _)| e)) {
                let e = e.substitute(&pending.exprs);
                fields.push(Field::new(e.display_with(&input_names).to_string(), e.ty()));
                exprs.push(e);
            }
            exprs.extend(pending.exprs.iter().cloned());
            fields.extend(pending.schema.fields.iter().cloned());
            let pre = seal(plan, Pending { node: pending.node, predicate: pending.predicate, exprs, schema: Schema::new(fields) });
            let range = limit.unwrap_or(crate::logical::RankRange { lo: 1, hi: 0 });
            let node = plan.push(
                Operator::TopN {
                    input: pre,
                    key_len: partition_by.len(),
                    order: order_by.iter().map(|(_, o)| *o).collect(),
                    func: *func,
                    lo: range.lo,
                    hi: range.hi,
                    rank_column: *rank_column,
                    retractions: input.is_changelog(),
                },
                schema.clone(),
            );
            identity(node, schema)
        }
        LogicalPlan::OverAggregate { input, partition_by, time_col, frame, aggregates, schema } => {
            // One MapFilterProject in front computes the keys, the event time, the rows' own
            // columns and the aggregates' arguments.
            let pending = lower_query(input, sources, plan);
            let input_names: Vec<String> = plan.nodes[pending.node].schema.fields.iter().map(|f| f.name.clone()).collect();
            let mut exprs = Vec::new();
            let mut fields = Vec::new();
            let keys = partition_by.iter().map(|e| e.substitute(&pending.exprs));
            for e in keys.chain([pending.exprs[*time_col].clone()]) {
                fields.push(Field::new(e.display_with(&input_names).to_string(), e.ty()));
                exprs.push(e);
            }
            exprs.extend(pending.exprs.iter().cloned());
            fields.extend(pending.schema.fields.iter().cloned());
            let specs = aggregate_columns(aggregates, &pending, plan, &mut exprs, &mut fields);
            let pre = seal(plan, Pending { node: pending.node, predicate: pending.predicate, exprs, schema: Schema::new(fields) });
            let node = plan.push(
                Operator::OverAggregate {
                    input: pre,
                    key_len: partition_by.len(),
                    payload_len: pending.schema.len(),
                    frame: *frame,
                    aggregates: specs,
                },
                schema.clone(),
            );
            identity(node, schema)
        }
        LogicalPlan::Limit { input, offset, fetch } => {
            let pending = lower_query(input, sources, plan);
            let schema = pending.schema.clone();
            let input = seal(plan, pending);
            let node = plan.push(Operator::Limit { input, offset: *offset, fetch: *fetch, ends_query: false }, schema.clone());
            identity(node, &schema)
        }
        LogicalPlan::Sort { input, keys } => {
            let pending = lower_query(input, sources, plan);
            let schema = pending.schema.clone();
            let input = seal(plan, pending);
            let node = plan.push(Operator::EventTimeSort { input, keys: keys.clone() }, schema.clone());
            identity(node, &schema)
        }
        LogicalPlan::Aggregate { input, group_by, aggregates, schema } if input.window().is_some() => {
            lower_window_aggregate(input, group_by, aggregates, schema, sources, plan)
        }
        LogicalPlan::Aggregate { input, group_by, aggregates, schema } => {
            // The keyed operator reads plain columns: first the keys, then each aggregate's
            // argument and filter, all computed by one MapFilterProject in front of it.
            let pending = lower_query(input, sources, plan);
            let mut exprs: Vec<ScalarExpr> = group_by.iter().map(|e| e.substitute(&pending.exprs)).collect();
            let mut fields: Vec<Field> = schema.fields[..group_by.len()].to_vec();
            let specs = aggregate_columns(aggregates, &pending, plan, &mut exprs, &mut fields);
            let pre = seal(plan, Pending { node: pending.node, predicate: pending.predicate, exprs, schema: Schema::new(fields) });
            let retractions = input.is_changelog();
            let empty_groups = input.empty_grouping_set_keys(group_by);
            let node = plan.push(
                Operator::KeyedAggregate { input: pre, key_len: group_by.len(), aggregates: specs, retractions, empty_groups },
                schema.clone(),
            );
            identity(node, schema)
        }
    }
}

/// Adds a column per distinct argument or filter of `aggregates` (over `pending`'s input) to
/// `exprs`, named by its text, and returns the aggregates over those columns.
fn aggregate_columns(
    aggregates: &[AggregateCall],
    pending: &Pending,
    plan: &DataflowPlan,
    exprs: &mut Vec<ScalarExpr>,
    fields: &mut Vec<Field>,
) -> Vec<AggregateSpec> {
    // The expressions are over the pending node's columns: name them by those.
    let input_names: Vec<String> = plan.nodes[pending.node].schema.fields.iter().map(|f| f.name.clone()).collect();
    let mut specs = Vec::new();
    for a in aggregates {
        let mut column = |e: &ScalarExpr| {
            let e = e.substitute(&pending.exprs);
            match exprs.iter().position(|x| *x == e) {
                Some(i) => i,
                None => {
                    fields.push(Field::new(e.display_with(&input_names).to_string(), e.ty()));
                    exprs.push(e);
                    exprs.len() - 1
                }
            }
        };
        let arg = a.arg.as_ref().map(&mut column);
        let arg2 = a.arg2.as_ref().map(&mut column);
        let filter = a.filter.as_ref().map(&mut column);
        specs.push(AggregateSpec {
            func: a.func,
            arg,
            arg2,
            distinct: a.distinct,
            filter,
            arg_type: a.arg.as_ref().map(ScalarExpr::ty),
            ty: a.ty,
        });
    }
    specs
}

/// An Aggregate over a window table function (through filters): one WindowAggregate, fed by a
/// MapFilterProject that computes the event time, the keys and the aggregates' arguments.
fn lower_window_aggregate(
    input: &LogicalPlan,
    group_by: &[ScalarExpr],
    aggregates: &[AggregateCall],
    schema: &Schema,
    sources: &mut [LoweredSource],
    plan: &mut DataflowPlan,
) -> Pending {
    let pending = lower_query(input, sources, plan);
    let mut window = input;
    while let LogicalPlan::Filter { input, .. } | LogicalPlan::Expand { input, .. } = window {
        window = input;
    }
    let LogicalPlan::Window { assigner, time_col, emit, schema: window_schema, .. } = window else {
        unreachable!("the caller checked that the aggregate reads a window")
    };
    // An Expand between them adds its columns after the window's.
    let first_window_col = window_schema.len() - WINDOW_COLUMNS.len();
    let window_col = |e: &ScalarExpr| match e {
        ScalarExpr::Column { index, .. } if (first_window_col..window_schema.len()).contains(index) => Some(*index - first_window_col),
        _ => None,
    };
    let time = pending.exprs[*time_col].clone();
    let mut exprs = vec![time];
    let mut fields = vec![window_schema.fields[*time_col].clone()];
    // Where each output column of the Aggregate comes from in the WindowAggregate's output.
    let mut out_cols = Vec::new();
    for (e, f) in group_by.iter().zip(&schema.fields) {
        match window_col(e) {
            Some(k) => out_cols.push(k),
            None => {
                out_cols.push(WINDOW_COLUMNS.len() + exprs.len() - 1);
                exprs.push(e.substitute(&pending.exprs));
                fields.push(f.clone());
            }
        }
    }
    let key_len = exprs.len() - 1;
    let specs = aggregate_columns(aggregates, &pending, plan, &mut exprs, &mut fields);
    // Over a table with a late sink, the source's whole row (with its id) follows, for the rows
    // the operator drops.
    let reporting = sources.iter().position(|s| s.node == pending.node && s.row_id);
    let late_rows = reporting.map(|_| {
        let first = exprs.len();
        for (i, f) in plan.nodes[pending.node].schema.fields.iter().enumerate() {
            exprs.push(ScalarExpr::column(i, f.ty));
            fields.push(f.clone());
        }
        first
    });
    let pre = seal(plan, Pending { node: pending.node, predicate: pending.predicate, exprs, schema: Schema::new(fields.clone()) });
    let mut out_fields: Vec<Field> = WINDOW_COLUMNS.iter().map(|w| Field::new(*w, DataType::TIMESTAMP)).collect();
    out_fields.extend(fields[1..=key_len].iter().cloned());
    out_fields.extend(schema.fields[group_by.len()..].iter().cloned());
    let out_schema = Schema::new(out_fields);
    let window = Operator::WindowAggregate { input: pre, assigner: *assigner, key_len, aggregates: specs, emit: *emit, late_rows };
    let node = plan.push(window, out_schema.clone());
    if let Some(s) = reporting {
        sources[s].reports.push(node);
    }
    for a in 0..aggregates.len() {
        out_cols.push(WINDOW_COLUMNS.len() + key_len + a);
    }
    let exprs = out_cols.iter().map(|c| ScalarExpr::column(*c, out_schema.fields[*c].ty)).collect();
    Pending { node, predicate: None, exprs, schema: schema.clone() }
}

/// A Rank over a window table function (through filters): one WindowTopN, fed by a
/// MapFilterProject that computes the event time, the partition keys other than the window's
/// bounds, the sort keys and the rows' own columns (the window's columns are the operator's).
#[allow(clippy::too_many_arguments)]
fn lower_window_top_n(
    input: &LogicalPlan,
    func: RankFunc,
    partition_by: &[ScalarExpr],
    order_by: &[(ScalarExpr, SortOrder)],
    limit: Option<crate::logical::RankRange>,
    rank_column: bool,
    schema: &Schema,
    sources: &mut [LoweredSource],
    plan: &mut DataflowPlan,
) -> Pending {
    let pending = lower_query(input, sources, plan);
    let mut window = input;
    while let LogicalPlan::Filter { input, .. } = window {
        window = input;
    }
    let LogicalPlan::Window { assigner, time_col, schema: window_schema, .. } = window else {
        unreachable!("the caller checked that the rank reads a window")
    };
    let first_window_col = window_schema.len() - WINDOW_COLUMNS.len();
    let input_names: Vec<String> = plan.nodes[pending.node].schema.fields.iter().map(|f| f.name.clone()).collect();
    // The binder checked that the partition has both window bounds and that no other key reads a
    // window column.
    let keys: Vec<&ScalarExpr> =
        partition_by.iter().filter(|e| !matches!(e, ScalarExpr::Column { index, .. } if *index >= first_window_col)).collect();
    let mut exprs = vec![pending.exprs[*time_col].clone()];
    let mut fields = vec![window_schema.fields[*time_col].clone()];
    for e in keys.iter().copied().chain(order_by.iter().map(|(e, _)| e)) {
        let e = e.substitute(&pending.exprs);
        fields.push(Field::new(e.display_with(&input_names).to_string(), e.ty()));
        exprs.push(e);
    }
    exprs.extend(pending.exprs[..first_window_col].iter().cloned());
    fields.extend(pending.schema.fields[..first_window_col].iter().cloned());
    let pre = seal(plan, Pending { node: pending.node, predicate: pending.predicate, exprs, schema: Schema::new(fields) });
    let range = limit.unwrap_or(crate::logical::RankRange { lo: 1, hi: 0 });
    let node = plan.push(
        Operator::WindowTopN {
            input: pre,
            assigner: Some(*assigner),
            key_len: keys.len(),
            order: order_by.iter().map(|(_, o)| *o).collect(),
            func,
            lo: range.lo,
            hi: range.hi,
            rank_column,
        },
        schema.clone(),
    );
    identity(node, schema)
}

/// All of `node`'s rows and columns (`schema`), nothing pending.
fn identity(node: NodeId, schema: &Schema) -> Pending {
    Pending {
        node,
        predicate: None,
        exprs: schema.fields.iter().enumerate().map(|(i, f)| ScalarExpr::column(i, f.ty)).collect(),
        schema: schema.clone(),
    }
}

/// Emits a MapFilterProject for `p`, unless it would pass its input through unchanged.
fn seal(plan: &mut DataflowPlan, p: Pending) -> NodeId {
    // An Expand is read only by the plan it was lowered for: it computes the projection itself,
    // per set, instead of passing every column on to a MapFilterProject.
    let node = &mut plan.nodes[p.node];
    if p.predicate.is_none()
        && let Operator::Expand { projections, .. } = &mut node.operator
    {
        for set in projections.iter_mut() {
            *set = p.exprs.iter().map(|e| e.substitute(set)).collect();
        }
        node.schema = p.schema;
        return p.node;
    }
    let input_len = plan.nodes[p.node].schema.len();
    let identity = p.predicate.is_none()
        && p.exprs.len() == input_len
        && p.exprs.iter().enumerate().all(|(i, e)| matches!(e, ScalarExpr::Column { index, .. } if *index == i))
        && plan.nodes[p.node].schema.fields.iter().zip(&p.schema.fields).all(|(a, b)| a.name == b.name);
    if identity {
        return p.node;
    }
    plan.push(Operator::MapFilterProject { input: p.node, predicate: p.predicate, exprs: p.exprs }, p.schema)
}
