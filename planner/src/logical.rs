//! The bound logical plan: what a query computes, with names resolved and types known.

use vstream_connector_spec::{SinkSpec, SourceSpec};
use vstream_repr::agg::AggFunc;
use vstream_repr::window::Millis;
use vstream_repr::{DataType, EventTime, ScalarExpr, Schema, WindowAssigner, WindowEmit};

/// One aggregate of a GROUP BY, over the columns of the Aggregate's input.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateCall {
    /// COUNT, SUM, MIN, MAX or AVG.
    pub func: AggFunc,
    /// `None` for COUNT(*).
    pub arg: Option<ScalarExpr>,
    /// `func(DISTINCT arg)`: each value counts once.
    pub distinct: bool,
    /// `FILTER (WHERE ...)`: only rows where it is TRUE count.
    pub filter: Option<ScalarExpr>,
    /// The result type (DuckDB's: 128-bit sums, DOUBLE averages).
    pub ty: DataType,
}

/// The columns a window table function adds to its input's, in this order.
pub const WINDOW_COLUMNS: [&str; 3] = ["window_start", "window_end", "window_time"];

/// The column [`LogicalPlan::Expand`] numbers each row's grouping set in.
pub const GROUPING_SET_COLUMN: &str = "$grouping_set";

/// A relational operator tree. One variant per operator; each lowers to dataflow operators in
/// `dataflow::lower`.
#[derive(Clone, Debug, PartialEq)]
pub enum LogicalPlan {
    /// Reads the table's columns `projection` (indices into `table_schema`), in that order.
    /// Projection pushdown narrows `projection` so a source never decodes a column nobody reads.
    /// A table with a WATERMARK has an `event_time`; `late` scans read the rows it rejects as
    /// late instead of the others (the rows of a `'late.sink'`).
    Scan {
        /// The table's name.
        table: String,
        /// Where and how the table is read.
        source: SourceSpec,
        /// All the table's columns.
        table_schema: Schema,
        /// The columns read, indices into `table_schema`.
        projection: Vec<usize>,
        /// The columns emitted: `projection`'s, in its order.
        schema: Schema,
        /// The table's event time and watermark, if it declares one.
        event_time: Option<EventTime>,
        /// The rows the watermark rejects, instead of the others.
        late: bool,
    },
    /// Keeps the rows where `predicate` is TRUE (not FALSE, not NULL).
    Filter {
        /// The plan whose rows it filters.
        input: Box<LogicalPlan>,
        /// BOOLEAN, over the input's columns.
        predicate: ScalarExpr,
    },
    /// Computes one output column per expression.
    Project {
        /// The plan whose rows it reads.
        input: Box<LogicalPlan>,
        /// Over the input's columns, one per output column.
        exprs: Vec<ScalarExpr>,
        /// The output columns: names and types.
        schema: Schema,
    },
    /// Groups rows by `group_by` and computes `aggregates` per group: the group columns, then
    /// one column per aggregate. Its output is a changelog: a group's row is retracted and
    /// re-emitted as the group changes.
    Aggregate {
        /// The plan whose rows it groups.
        input: Box<LogicalPlan>,
        /// The key expressions, over the input's columns.
        group_by: Vec<ScalarExpr>,
        /// The aggregates computed per group.
        aggregates: Vec<AggregateCall>,
        /// The keys' columns, then the aggregates'.
        schema: Schema,
    },
    /// GROUPING SETS, ROLLUP and CUBE: each input row once per grouping set, as the input's
    /// columns, then `keys` (NULL where the set lacks the key), then [`GROUPING_SET_COLUMN`] (the
    /// set's index, BIGINT) and one BIGINT per `GROUPING(...)` call the query reads (its value in
    /// that set). The one Aggregate over it groups by the keys and the set's index, so every set
    /// is computed in one keyed state, and a NULL key of the data stays apart from a NULL a set
    /// puts in (Flink's Expand).
    Expand {
        /// The plan whose rows it repeats.
        input: Box<LogicalPlan>,
        /// The keys some set lacks, over the input's columns.
        keys: Vec<ScalarExpr>,
        /// Per grouping set: whether it has each of `keys`.
        sets: Vec<Vec<bool>>,
        /// Per grouping set: the value of each `GROUPING(...)` call in it.
        grouping: Vec<Vec<i64>>,
        /// The input's columns, the keys, the set's index, the `GROUPING(...)` values.
        schema: Schema,
    },
    /// A window table function (TUMBLE, HOP, CUMULATE, SESSION) over the event time `time_col`: the input's
    /// columns and [`WINDOW_COLUMNS`]. Only an Aggregate grouped by `window_start, window_end`
    /// reads it (the binder checks), and the two lower together into one window aggregate.
    Window {
        /// The plan whose rows it assigns to windows.
        input: Box<LogicalPlan>,
        /// TUMBLE, HOP, CUMULATE or SESSION, with its sizes.
        assigner: WindowAssigner,
        /// The event time, an index into the input's columns.
        time_col: usize,
        /// SESSION's `PARTITION BY` keys, over the input's columns (empty for the others).
        partition_by: Vec<ScalarExpr>,
        /// When the aggregate over it emits.
        emit: WindowEmit,
        /// The input's columns, then [`WINDOW_COLUMNS`].
        schema: Schema,
    },
}

impl LogicalPlan {
    /// Per grouping set of an Expand over `input_schema` (see [`LogicalPlan::Expand`]): its output
    /// columns as expressions over the input's.
    pub fn expand_projections(
        input_schema: &Schema,
        keys: &[ScalarExpr],
        sets: &[Vec<bool>],
        grouping: &[Vec<i64>],
    ) -> Vec<Vec<ScalarExpr>> {
        let bigint = |v: i64| ScalarExpr::literal(vstream_repr::Datum::Int(v), DataType::BigInt);
        sets.iter()
            .zip(grouping)
            .enumerate()
            .map(|(index, (has, values))| {
                let mut exprs: Vec<ScalarExpr> = input_schema.fields.iter().enumerate().map(|(i, f)| ScalarExpr::column(i, f.ty)).collect();
                for (key, has) in keys.iter().zip(has) {
                    exprs.push(if *has { key.clone() } else { ScalarExpr::literal(vstream_repr::Datum::Null, key.ty()) });
                }
                exprs.push(bigint(index as i64));
                exprs.extend(values.iter().map(|v| bigint(*v)));
                exprs
            })
            .collect()
    }

    /// For an Aggregate over this plan grouped by `group_by`: the keys of its groups that exist
    /// without input, one per empty grouping set of an Expand whose keys are all the group's
    /// keys (as a global aggregate's one group): the keys NULL, then the set's index and its
    /// GROUPING values. Empty for any other plan.
    pub fn empty_grouping_set_keys(&self, group_by: &[ScalarExpr]) -> Vec<Vec<vstream_repr::Datum>> {
        let LogicalPlan::Expand { keys, sets, grouping, .. } = self else { return Vec::new() };
        // A key every set has is read from the input, not the Expand: then no set is empty.
        if group_by.len() != keys.len() + 1 + grouping.first().map_or(0, Vec::len) {
            return Vec::new();
        }
        let int = |v: i64| vstream_repr::Datum::Int(v);
        sets.iter()
            .zip(grouping)
            .enumerate()
            .filter(|(_, (has, _))| has.iter().all(|h| !h))
            .map(|(index, (_, values))| {
                let mut key = vec![vstream_repr::Datum::Null; keys.len()];
                key.push(int(index as i64));
                key.extend(values.iter().map(|v| int(*v)));
                key
            })
            .collect()
    }

    /// The plans this one reads, in order: none for a scan, one for the unary operators. Every
    /// pass that only walks the tree goes through this, so an operator with two inputs (a join,
    /// a union) needs no arm of its own there.
    pub fn inputs(&self) -> Vec<&LogicalPlan> {
        match self {
            LogicalPlan::Scan { .. } => Vec::new(),
            LogicalPlan::Filter { input, .. }
            | LogicalPlan::Project { input, .. }
            | LogicalPlan::Aggregate { input, .. }
            | LogicalPlan::Expand { input, .. }
            | LogicalPlan::Window { input, .. } => vec![input],
        }
    }

    /// The schema of the rows the plan emits.
    pub fn schema(&self) -> &Schema {
        match self {
            LogicalPlan::Scan { schema, .. }
            | LogicalPlan::Project { schema, .. }
            | LogicalPlan::Aggregate { schema, .. }
            | LogicalPlan::Expand { schema, .. }
            | LogicalPlan::Window { schema, .. } => schema,
            LogicalPlan::Filter { input, .. } => input.schema(),
        }
    }

    /// Whether the plan's output is a changelog (rows may be retracted) rather than inserts only.
    pub fn is_changelog(&self) -> bool {
        match self {
            // A Debezium topic is a changelog of its table: its rows come and go.
            LogicalPlan::Scan { source, .. } => source.is_changelog(),
            LogicalPlan::Window { .. } => false,
            LogicalPlan::Aggregate { input, .. } => input.window().is_none_or(|(_, emit)| emit.is_changelog()),
            // Row by row: a changelog if what they read is one.
            LogicalPlan::Filter { .. } | LogicalPlan::Project { .. } => self.inputs().iter().any(|i| i.is_changelog()),
            LogicalPlan::Expand { input, .. } => input.is_changelog(),
        }
    }

    /// The output columns that are the GROUP BY key of the aggregate this plan ends in (through
    /// filters and projections that keep every key column as it is): each key value has at most
    /// one live row, so it can key an upsert sink. `None` if the plan does not end in a GROUP BY
    /// or a key column is not written.
    pub fn upsert_key(&self) -> Option<Vec<usize>> {
        match self {
            LogicalPlan::Aggregate { group_by, .. } => Some((0..group_by.len()).collect()),
            LogicalPlan::Filter { input, .. } => input.upsert_key(),
            LogicalPlan::Project { input, exprs, .. } => input
                .upsert_key()?
                .into_iter()
                .map(|k| exprs.iter().position(|e| matches!(e, ScalarExpr::Column { index, .. } if *index == k)))
                .collect(),
            LogicalPlan::Scan { .. } | LogicalPlan::Window { .. } => None,
            // A row per set: a key value has as many rows as sets.
            LogicalPlan::Expand { .. } => None,
        }
    }

    /// The window table function this plan reads, through filters and an Expand (grouping sets
    /// of a window aggregate): its assigner and emit mode.
    pub fn window(&self) -> Option<(WindowAssigner, WindowEmit)> {
        match self {
            LogicalPlan::Window { assigner, emit, .. } => Some((*assigner, *emit)),
            LogicalPlan::Filter { input, .. } => input.window(),
            LogicalPlan::Expand { input, .. } => input.window(),
            LogicalPlan::Scan { .. } | LogicalPlan::Project { .. } | LogicalPlan::Aggregate { .. } => None,
        }
    }

    /// The output column that is a time attribute, with the allowed lateness of its rows: a
    /// column whose rows reach an operator no later than the dataflow's frontier passes their
    /// value (less the lateness), so a window over it closes by the frontier. A table's event time
    /// (live rows), and a window aggregate's `window_time` when it groups by it as is and emits
    /// final rows once (the window aggregate emits a window's rows at a time before its end);
    /// filters, projections that keep it as it is and an Expand pass it on.
    pub fn time_attribute(&self) -> Option<(usize, i64)> {
        match self {
            LogicalPlan::Scan { event_time: Some(et), projection, late: false, .. } => {
                projection.iter().position(|c| *c == et.column).map(|c| (c, et.allowed_lateness))
            }
            LogicalPlan::Scan { .. } | LogicalPlan::Window { .. } => None,
            LogicalPlan::Filter { input, .. } | LogicalPlan::Expand { input, .. } => input.time_attribute(),
            LogicalPlan::Project { input, exprs, .. } => {
                let (t, lateness) = input.time_attribute()?;
                exprs.iter().position(|e| matches!(e, ScalarExpr::Column { index, .. } if *index == t)).map(|c| (c, lateness))
            }
            LogicalPlan::Aggregate { input, group_by, .. } => {
                let (_, emit) = input.window()?;
                if emit.is_changelog() {
                    return None;
                }
                let mut window = input.as_ref();
                while let LogicalPlan::Filter { input, .. } | LogicalPlan::Expand { input, .. } = window {
                    window = input;
                }
                let LogicalPlan::Window { schema, .. } = window else { return None };
                let window_time = schema.len() - 1;
                group_by.iter().position(|e| matches!(e, ScalarExpr::Column { index, .. } if *index == window_time)).map(|c| (c, 0))
            }
        }
    }

    /// Calls `f` with the table of every scan of live (not late) rows.
    pub fn visit_scans(&self, f: &mut dyn FnMut(&str)) {
        self.visit_all_scans(&mut |t, late| {
            if !late {
                f(t)
            }
        });
    }

    /// Calls `f` with the table of every scan of late rows.
    pub fn visit_late_scans(&self, f: &mut dyn FnMut(&str)) {
        self.visit_all_scans(&mut |t, late| {
            if late {
                f(t)
            }
        });
    }

    fn visit_all_scans(&self, f: &mut dyn FnMut(&str, bool)) {
        if let LogicalPlan::Scan { table, late, .. } = self {
            f(table, *late);
        }
        for input in self.inputs() {
            input.visit_all_scans(f);
        }
    }

    fn names(&self) -> Vec<String> {
        self.schema().fields.iter().map(|f| f.name.clone()).collect()
    }

    /// Narrows every scan to the columns the plan reads; `needed` are the output columns used.
    /// Returns the new plan and, for each old output column, its new index if it is kept.
    pub fn prune(self, needed: &[usize]) -> (LogicalPlan, Vec<Option<usize>>) {
        match self {
            LogicalPlan::Scan { table, source, table_schema, projection, schema, event_time, late } => {
                let mut keep: Vec<usize> = needed.to_vec();
                keep.sort_unstable();
                keep.dedup();
                let mut map = vec![None; projection.len()];
                for (new, old) in keep.iter().enumerate() {
                    map[*old] = Some(new);
                }
                let projection: Vec<usize> = keep.iter().map(|i| projection[*i]).collect();
                let schema = Schema::new(keep.iter().map(|i| schema.fields[*i].clone()).collect());
                (LogicalPlan::Scan { table, source, table_schema, projection, schema, event_time, late }, map)
            }
            LogicalPlan::Filter { input, mut predicate } => {
                let mut need = needed.to_vec();
                predicate.visit_columns(&mut |c| need.push(c));
                let (input, map) = input.prune(&need);
                predicate.remap_columns(&|c| kept(&map, c));
                (LogicalPlan::Filter { input: Box::new(input), predicate }, map)
            }
            LogicalPlan::Aggregate { input, mut group_by, mut aggregates, schema } => {
                // Every output of an aggregate is kept; its input needs what the keys and
                // aggregates read.
                let mut need = Vec::new();
                for e in &group_by {
                    e.visit_columns(&mut |c| need.push(c));
                }
                for a in &aggregates {
                    a.arg.iter().chain(&a.filter).for_each(|e| e.visit_columns(&mut |c| need.push(c)));
                }
                let (input, inner) = input.prune(&need);
                let remap = |c: usize| kept(&inner, c);
                group_by.iter_mut().for_each(|e| e.remap_columns(&remap));
                for a in &mut aggregates {
                    a.arg.iter_mut().chain(a.filter.iter_mut()).for_each(|e| e.remap_columns(&remap));
                }
                let map = (0..schema.len()).map(Some).collect();
                (LogicalPlan::Aggregate { input: Box::new(input), group_by, aggregates, schema }, map)
            }
            LogicalPlan::Window { input, assigner, time_col, mut partition_by, emit, schema } => {
                // The window columns are computed, not read: the input needs the event time, the
                // partition keys, and what is needed of its own columns.
                let input_len = input.schema().len();
                let mut need: Vec<usize> = needed.iter().copied().filter(|c| *c < input_len).collect();
                need.push(time_col);
                partition_by.iter().for_each(|e| e.visit_columns(&mut |c| need.push(c)));
                let (input, inner) = input.prune(&need);
                let remap = |c: usize| kept(&inner, c);
                partition_by.iter_mut().for_each(|e| e.remap_columns(&remap));
                let time_col = remap(time_col);
                let new_len = input.schema().len();
                let mut fields: Vec<vstream_repr::Field> = input.schema().fields.clone();
                fields.extend(schema.fields[input_len..].iter().cloned());
                let mut map: Vec<Option<usize>> = inner;
                map.extend((0..WINDOW_COLUMNS.len()).map(|k| Some(new_len + k)));
                (LogicalPlan::Window { input: Box::new(input), assigner, time_col, partition_by, emit, schema: Schema::new(fields) }, map)
            }
            LogicalPlan::Expand { input, mut keys, sets, grouping, schema } => {
                // The keys, set index and GROUPING values are computed: the input needs what the
                // keys read and what is needed of its own columns, which pass through.
                let input_len = input.schema().len();
                let mut need: Vec<usize> = needed.iter().copied().filter(|c| *c < input_len).collect();
                keys.iter().for_each(|e| e.visit_columns(&mut |c| need.push(c)));
                let (input, inner) = input.prune(&need);
                keys.iter_mut().for_each(|e| e.remap_columns(&|c| kept(&inner, c)));
                let new_len = input.schema().len();
                let mut fields: Vec<vstream_repr::Field> = input.schema().fields.clone();
                fields.extend(schema.fields[input_len..].iter().cloned());
                let mut map: Vec<Option<usize>> = inner;
                map.extend((input_len..schema.len()).map(|c| Some(c - input_len + new_len)));
                (LogicalPlan::Expand { input: Box::new(input), keys, sets, grouping, schema: Schema::new(fields) }, map)
            }
            LogicalPlan::Project { input, exprs, schema } => {
                let mut keep: Vec<usize> = needed.to_vec();
                keep.sort_unstable();
                keep.dedup();
                let mut need = Vec::new();
                for i in &keep {
                    exprs[*i].visit_columns(&mut |c| need.push(c));
                }
                let (input, inner) = input.prune(&need);
                let mut map = vec![None; exprs.len()];
                let mut new_exprs = Vec::with_capacity(keep.len());
                let mut fields = Vec::with_capacity(keep.len());
                for (new, old) in keep.iter().enumerate() {
                    let mut e = exprs[*old].clone();
                    e.remap_columns(&|c| kept(&inner, c));
                    new_exprs.push(e);
                    fields.push(schema.fields[*old].clone());
                    map[*old] = Some(new);
                }
                (LogicalPlan::Project { input: Box::new(input), exprs: new_exprs, schema: Schema::new(fields) }, map)
            }
        }
    }

    /// Appends this plan as an indented tree, one operator a line.
    pub fn explain_into(&self, depth: usize, out: &mut String) {
        out.push_str(&"  ".repeat(depth));
        out.push_str(&self.explain_node());
        out.push('\n');
        for input in self.inputs() {
            input.explain_into(depth + 1, out);
        }
    }

    /// This operator alone, as one line of [`LogicalPlan::explain_into`] (without its inputs).
    fn explain_node(&self) -> String {
        match self {
            LogicalPlan::Scan { table, table_schema, schema, event_time, late, .. } => {
                let cols: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
                let rows = if *late { "late rows of " } else { "" };
                let mut out = format!("Scan {rows}{table} columns=[{}] of {}", cols.join(", "), table_schema.len());
                if let Some(et) = event_time {
                    let column = &table_schema.fields[et.column].name;
                    out.push_str(&format!(" watermark={column}-{}", Millis(et.delay)));
                    if et.allowed_lateness > 0 {
                        out.push_str(&format!(" allowed-lateness={}", Millis(et.allowed_lateness)));
                    }
                    if let Some(sink) = &et.late_sink {
                        out.push_str(&format!(" late-rows->{sink}"));
                    }
                }
                out
            }
            LogicalPlan::Window { input, assigner, time_col, partition_by, emit, .. } => {
                let names = input.names();
                let mut text = format!("Window {assigner} time={}", names[*time_col]);
                if !partition_by.is_empty() {
                    let keys: Vec<String> = partition_by.iter().map(|e| e.display_with(&names).to_string()).collect();
                    text.push_str(&format!(" partition=[{}]", keys.join(", ")));
                }
                text.push_str(if emit.changes { " emit=changes" } else { " emit=final" });
                text
            }
            LogicalPlan::Filter { input, predicate } => format!("Filter {}", predicate.display_with(&input.names())),
            LogicalPlan::Expand { input, keys, sets, .. } => {
                let names = input.names();
                let keys: Vec<String> = keys.iter().map(|e| e.display_with(&names).to_string()).collect();
                let sets: Vec<String> = sets
                    .iter()
                    .map(|has| {
                        let set: Vec<&str> = keys.iter().zip(has).filter(|(_, h)| **h).map(|(k, _)| k.as_str()).collect();
                        format!("({})", set.join(", "))
                    })
                    .collect();
                format!("Expand keys=[{}] sets=[{}]", keys.join(", "), sets.join(", "))
            }
            LogicalPlan::Aggregate { input, group_by, aggregates, .. } => {
                let names = input.names();
                let keys: Vec<String> = group_by.iter().map(|e| e.display_with(&names).to_string()).collect();
                let aggs: Vec<String> = aggregates
                    .iter()
                    .map(|a| {
                        let arg = a.arg.as_ref().map_or("*".to_string(), |e| e.display_with(&names).to_string());
                        let mut t = format!("{}({}{arg})", a.func.name(), if a.distinct { "DISTINCT " } else { "" });
                        if let Some(f) = &a.filter {
                            t.push_str(&format!(" FILTER (WHERE {})", f.display_with(&names)));
                        }
                        t
                    })
                    .collect();
                format!("Aggregate group=[{}] aggregates=[{}]", keys.join(", "), aggs.join(", "))
            }
            LogicalPlan::Project { input, exprs, schema } => {
                let names = input.names();
                let items: Vec<String> = exprs
                    .iter()
                    .zip(&schema.fields)
                    .map(|(e, f)| {
                        let text = e.display_with(&names).to_string();
                        if text == f.name { text } else { format!("{}={text}", f.name) }
                    })
                    .collect();
                format!("Project {}", items.join(", "))
            }
        }
    }
}

/// The new index of column `c` after [`LogicalPlan::prune`] of an input, given the input's
/// column map. A plan asks its input for every column it reads, so the input keeps it: a `None`
/// here is a bug in `prune`, not something a query can cause.
fn kept(map: &[Option<usize>], c: usize) -> usize {
    map[c].expect("prune keeps every column its parent reads")
}

/// One query of the script and where its rows go.
#[derive(Clone, Debug, PartialEq)]
pub struct SinkPlan {
    /// The sink table's name (`stdout` for a bare SELECT).
    pub name: String,
    /// Where and how its rows are written.
    pub sink: SinkSpec,
    /// What is written.
    pub query: LogicalPlan,
}

/// Every query of a script.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ScriptPlan {
    /// In script order.
    pub sinks: Vec<SinkPlan>,
}

impl ScriptPlan {
    /// Every query as an indented tree under its sink, one operator a line.
    pub fn explain(&self) -> String {
        let mut out = String::new();
        for s in &self.sinks {
            let cols: Vec<String> = s.query.schema().fields.iter().map(|f| format!("{} {}", f.name, f.ty)).collect();
            let kind = if s.query.is_changelog() { " changelog" } else { "" };
            out.push_str(&format!("Sink {}{kind} ({})\n", s.name, cols.join(", ")));
            s.query.explain_into(1, &mut out);
        }
        out
    }
}
