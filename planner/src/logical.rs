//! The bound logical plan: what a query computes, with names resolved and types known.

use vstream_connector_spec::{SinkSpec, SourceSpec};
use vstream_repr::agg::AggFunc;
use vstream_repr::rank::{OverFrame, RankFunc, SortOrder};
use vstream_repr::window::Millis;
use vstream_repr::{DataType, EventTime, ScalarExpr, Schema, WindowAssigner, WindowEmit};

/// One aggregate of a GROUP BY, over the columns of the Aggregate's input.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateCall {
    /// The aggregate function (COUNT, SUM, ..., JSON_ARRAYAGG).
    pub func: AggFunc,
    /// `None` for COUNT(*); JSON_OBJECTAGG's key.
    pub arg: Option<ScalarExpr>,
    /// A second argument: LISTAGG's separator, JSON_OBJECTAGG's value.
    pub arg2: Option<ScalarExpr>,
    /// `func(DISTINCT arg)`: each value counts once.
    pub distinct: bool,
    /// `FILTER (WHERE ...)`: only rows where it is TRUE count.
    pub filter: Option<ScalarExpr>,
    /// The result type (DuckDB's: 128-bit sums, DOUBLE averages).
    pub ty: DataType,
}

impl AggregateCall {
    /// The call as SQL-ish text, its arguments named by `names` (the input's columns).
    pub fn display_with(&self, names: &[String]) -> String {
        let mut arg = self.arg.as_ref().map_or("*".to_string(), |e| e.display_with(names).to_string());
        if let Some(e) = &self.arg2 {
            arg.push_str(&format!(", {}", e.display_with(names)));
        }
        let mut t = format!("{}({}{arg}{})", self.func.name(), if self.distinct { "DISTINCT " } else { "" }, self.func.clause_text());
        if let Some(f) = &self.filter {
            t.push_str(&format!(" FILTER (WHERE {})", f.display_with(names)));
        }
        t
    }
}

/// INTERSECT or EXCEPT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SetOperator {
    /// Rows in both inputs.
    Intersect,
    /// Rows of the left input not in the right.
    Except,
}

impl SetOperator {
    /// How many copies of a row the output holds when the left input has it `left` times and
    /// the right `right` times (Flink's and SQL's multiset semantics): INTERSECT ALL min(l, r),
    /// EXCEPT ALL max(l - r, 0); INTERSECT one copy if both inputs have the row, EXCEPT one if
    /// the left has it and the right does not.
    pub fn copies(self, all: bool, left: i64, right: i64) -> i64 {
        match (self, all) {
            (SetOperator::Intersect, true) => left.min(right).max(0),
            (SetOperator::Except, true) => (left - right).max(0),
            (SetOperator::Intersect, false) => i64::from(left > 0 && right > 0),
            (SetOperator::Except, false) => i64::from(left > 0 && right <= 0),
        }
    }

    /// INTERSECT or EXCEPT, with ALL if `all`.
    pub fn name(self, all: bool) -> &'static str {
        match (self, all) {
            (SetOperator::Intersect, true) => "INTERSECT ALL",
            (SetOperator::Intersect, false) => "INTERSECT",
            (SetOperator::Except, true) => "EXCEPT ALL",
            (SetOperator::Except, false) => "EXCEPT",
        }
    }
}

/// One key of an `ORDER BY`: an output column of the sorted plan and its direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SortKey {
    /// The column, an index into the sorted plan's columns.
    pub column: usize,
    /// `DESC`.
    pub descending: bool,
    /// `NULLS FIRST` (the default for ASC is NULLS FIRST, for DESC NULLS LAST, as in Flink).
    pub nulls_first: bool,
}

/// The columns a window table function adds to its input's, in this order.
pub const WINDOW_COLUMNS: [&str; 3] = ["window_start", "window_end", "window_time"];

/// The column [`LogicalPlan::Expand`] numbers each row's grouping set in.
pub const GROUPING_SET_COLUMN: &str = "$grouping_set";
/// The ranks a Top-N keeps: `lo..=hi` (1-based), from the filter on its rank column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RankRange {
    /// The least rank kept (1 unless `rn > k`, `rn >= k` or `BETWEEN`).
    pub lo: u64,
    /// The largest rank kept: N.
    pub hi: u64,
}

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
    /// `CROSS JOIN UNNEST(collection)`: each input row once per element of `collection` (an
    /// ARRAY or a MAP over the input's columns): the input's `kept` columns, then the element's
    /// (a ROW element's fields, a map's key and value), then its 1-based position with
    /// `ordinality`. Pruning drops the input columns nothing reads after it (the array itself,
    /// usually), so an element row does not carry a copy of its whole array.
    /// A NULL or empty collection gives no row. Row by row, so a changelog stays one: retracting
    /// a row retracts each of its element rows. No state.
    Unnest {
        /// The plan whose rows it expands.
        input: Box<LogicalPlan>,
        /// The ARRAY or MAP to expand, over the input's columns.
        collection: ScalarExpr,
        /// The input columns each output row keeps, in order.
        kept: Vec<usize>,
        /// Whether a position column (`WITH ORDINALITY`) follows the element's columns.
        ordinality: bool,
        /// `LEFT JOIN UNNEST(...) ON TRUE`: a row whose collection is NULL or empty is kept
        /// once, with NULL element columns.
        outer: bool,
        /// The kept columns, the element's, the position.
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
    /// UNION ALL: every row of every input, inputs' columns matched by position (the binder
    /// casts each input to the common types). A changelog if any input is one.
    Union {
        /// The plans whose rows it concatenates, two or more.
        inputs: Vec<LogicalPlan>,
        /// The output columns: the first input's names, the common types.
        schema: Schema,
    },
    /// INTERSECT or EXCEPT, `ALL` (multisets) or distinct: the rows of `left` as the operator
    /// keeps them given how often each row is in `right` (see [`SetOperator::copies`]); inputs'
    /// columns matched by position, cast to common types. Its output is a changelog.
    SetOperation {
        /// The rows kept or dropped.
        left: Box<LogicalPlan>,
        /// The rows that decide.
        right: Box<LogicalPlan>,
        /// INTERSECT or EXCEPT.
        op: SetOperator,
        /// `ALL`: multisets; otherwise each row at most once.
        all: bool,
        /// The left input's names, the common types.
        schema: Schema,
    },
    /// A view or common table expression read by name: its plan is computed once however many
    /// queries read it (lowering shares the node), so pruning keeps all its columns.
    View {
        /// The view's name as declared; two `View`s of one name are the same rows.
        name: String,
        /// What the view computes.
        input: Box<LogicalPlan>,
    },
    /// `ROW_NUMBER()`/`RANK()`/`DENSE_RANK() OVER (PARTITION BY ... ORDER BY ...)`, filtered by
    /// its rank (a Top-N): per partition, the rows whose rank is in `limit`, with their rank as a
    /// last column if `rank_column`. Its output is a changelog: rows enter and leave the top as
    /// the input changes. The binder makes it with `limit: None` for the window function and
    /// sets `limit` from the enclosing query's filter; one left without is refused.
    Rank {
        /// The plan whose rows it ranks.
        input: Box<LogicalPlan>,
        /// The ranking function.
        func: RankFunc,
        /// The partition keys, over the input's columns (none: one partition of all rows).
        partition_by: Vec<ScalarExpr>,
        /// The sort keys, over the input's columns, with their orders.
        order_by: Vec<(ScalarExpr, SortOrder)>,
        /// The ranks kept; `None` until the enclosing filter is bound.
        limit: Option<RankRange>,
        /// Whether the rank is emitted as a last column (pruned when nothing reads it).
        rank_column: bool,
        /// The input's columns, then the rank (BIGINT) if `rank_column`.
        schema: Schema,
        /// Where the window function was called, for the error if no filter bounds it.
        span: sqlparser::tokenizer::Span,
    },
    /// `agg(...) OVER (PARTITION BY ... ORDER BY <event time> <frame>)`: per input row, the
    /// aggregates over the rows of its partition in its frame. Rows are emitted in event-time
    /// order once the watermark passes them (Flink's semantics); the output is insert-only.
    OverAggregate {
        /// The plan whose rows it reads (insert-only, with an event time).
        input: Box<LogicalPlan>,
        /// The partition keys, over the input's columns.
        partition_by: Vec<ScalarExpr>,
        /// The event time, an index into the input's columns.
        time_col: usize,
        /// The rows each aggregate covers.
        frame: OverFrame,
        /// The aggregates, over the input's columns.
        aggregates: Vec<AggregateCall>,
        /// The input's columns, then one per aggregate.
        schema: Schema,
    },
    /// `LIMIT fetch OFFSET offset` (`OFFSET ... FETCH FIRST ...`): the first `offset + fetch`
    /// rows to arrive, less the first `offset`, of an insert-only input. Once it has them, the
    /// query is done and its sources may stop reading.
    Limit {
        /// The plan whose rows it limits.
        input: Box<LogicalPlan>,
        /// Rows skipped first.
        offset: u64,
        /// Rows emitted after them; `None`: all (`OFFSET` alone).
        fetch: Option<u64>,
    },
    /// `ORDER BY` an event-time column ascending, then other columns: rows held until the
    /// watermark passes their event time, then released in order.
    Sort {
        /// The plan whose rows it sorts.
        input: Box<LogicalPlan>,
        /// The first is the event time, ascending.
        keys: Vec<SortKey>,
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
            | LogicalPlan::Unnest { input, .. }
            | LogicalPlan::Window { input, .. }
            | LogicalPlan::View { input, .. }
            | LogicalPlan::Rank { input, .. }
            | LogicalPlan::OverAggregate { input, .. }
            | LogicalPlan::Limit { input, .. }
            | LogicalPlan::Sort { input, .. } => vec![input],
            LogicalPlan::Union { inputs, .. } => inputs.iter().collect(),
            LogicalPlan::SetOperation { left, right, .. } => vec![left, right],
        }
    }

    /// The schema of the rows the plan emits.
    pub fn schema(&self) -> &Schema {
        match self {
            LogicalPlan::Scan { schema, .. }
            | LogicalPlan::Project { schema, .. }
            | LogicalPlan::Aggregate { schema, .. }
            | LogicalPlan::Expand { schema, .. }
            | LogicalPlan::Unnest { schema, .. }
            | LogicalPlan::Window { schema, .. }
            | LogicalPlan::Union { schema, .. }
            | LogicalPlan::Rank { schema, .. }
            | LogicalPlan::OverAggregate { schema, .. }
            | LogicalPlan::SetOperation { schema, .. } => schema,
            LogicalPlan::Filter { input, .. }
            | LogicalPlan::View { input, .. }
            | LogicalPlan::Limit { input, .. }
            | LogicalPlan::Sort { input, .. } => input.schema(),
        }
    }

    /// Whether the plan's output is a changelog (rows may be retracted) rather than inserts only.
    pub fn is_changelog(&self) -> bool {
        match self {
            // A Debezium topic is a changelog of its table: its rows come and go.
            LogicalPlan::Scan { source, .. } => source.is_changelog(),
            LogicalPlan::Window { .. } => false,
            // One row out per row in, each once its time has passed.
            LogicalPlan::OverAggregate { .. } => false,
            // A row enters the top and may later be pushed out of it; a window's top is
            // emitted once, when the window closes.
            LogicalPlan::Rank { input, .. } => {
                input.window().is_none() && !self.is_first_row_deduplication() && self.window_end_key().is_none()
            }
            // A row the left input added may go when the right input gets it (EXCEPT), or when
            // a changelog input takes it back.
            LogicalPlan::SetOperation { .. } => true,
            LogicalPlan::Aggregate { input, .. } => input.window().is_none_or(|(_, emit)| emit.is_changelog()),
            // Row by row: a changelog if what they read is one.
            LogicalPlan::Filter { .. }
            | LogicalPlan::Project { .. }
            | LogicalPlan::Union { .. }
            | LogicalPlan::View { .. }
            | LogicalPlan::Expand { .. }
            | LogicalPlan::Unnest { .. } => self.inputs().iter().any(|i| i.is_changelog()),
            // Their input is insert-only (the binder checks), so they are.
            LogicalPlan::Limit { .. } | LogicalPlan::Sort { .. } => false,
        }
    }

    /// The output columns that are the GROUP BY key of the aggregate this plan ends in (through
    /// filters and projections that keep every key column as it is): each key value has at most
    /// one live row, so it can key an upsert sink. `None` if the plan does not end in a GROUP BY
    /// or a key column is not written.
    pub fn upsert_key(&self) -> Option<Vec<usize>> {
        match self {
            LogicalPlan::Aggregate { group_by, .. } => Some((0..group_by.len()).collect()),
            LogicalPlan::Filter { input, .. } | LogicalPlan::View { input, .. } => input.upsert_key(),
            LogicalPlan::Project { input, exprs, .. } => input
                .upsert_key()?
                .into_iter()
                .map(|k| exprs.iter().position(|e| matches!(e, ScalarExpr::Column { index, .. } if *index == k)))
                .collect(),
            // Two inputs may each have a row of one key; Expand makes a row per set, so a key
            // value has as many rows as sets.
            LogicalPlan::Scan { .. }
            | LogicalPlan::Window { .. }
            | LogicalPlan::Union { .. }
            | LogicalPlan::SetOperation { .. }
            | LogicalPlan::Expand { .. }
            | LogicalPlan::Unnest { .. }
            | LogicalPlan::Rank { .. }
            | LogicalPlan::OverAggregate { .. }
            | LogicalPlan::Limit { .. }
            | LogicalPlan::Sort { .. } => None,
        }
    }

    /// The window table function this plan reads, through filters and an Expand (grouping sets
    /// of a window aggregate): its assigner and emit mode.
    pub fn window(&self) -> Option<(WindowAssigner, WindowEmit)> {
        match self {
            LogicalPlan::Window { assigner, emit, .. } => Some((*assigner, *emit)),
            LogicalPlan::Filter { input, .. } | LogicalPlan::Expand { input, .. } => input.window(),
            LogicalPlan::Scan { .. }
            | LogicalPlan::Project { .. }
            | LogicalPlan::Aggregate { .. }
            | LogicalPlan::Union { .. }
            | LogicalPlan::View { .. }
            | LogicalPlan::SetOperation { .. }
            | LogicalPlan::Rank { .. }
            | LogicalPlan::Unnest { .. }
            | LogicalPlan::OverAggregate { .. }
            | LogicalPlan::Limit { .. }
            | LogicalPlan::Sort { .. } => None,
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
            // A changelog has no time attribute (Flink's rule); a union's inputs have one each.
            LogicalPlan::Scan { .. }
            | LogicalPlan::Window { .. }
            | LogicalPlan::Union { .. }
            | LogicalPlan::SetOperation { .. }
            | LogicalPlan::Rank { .. } => None,
            // Rows pass with their columns in place (an OVER aggregate adds its after them).
            LogicalPlan::Filter { input, .. }
            | LogicalPlan::Expand { input, .. }
            | LogicalPlan::View { input, .. }
            | LogicalPlan::Limit { input, .. }
            | LogicalPlan::Sort { input, .. }
            | LogicalPlan::OverAggregate { input, .. } => input.time_attribute(),
            LogicalPlan::Unnest { input, kept, .. } => {
                let (t, lateness) = input.time_attribute()?;
                kept.iter().position(|c| *c == t).map(|c| (c, lateness))
            }
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

    /// Whether output column `col` is a processing-time attribute: `PROCTIME()` (a table's
    /// computed column, or a view's or subquery's select item), passed through filters,
    /// projections and views as it is.
    pub fn is_proc_time(&self, col: usize) -> bool {
        match self {
            LogicalPlan::Project { input, exprs, .. } => match exprs.get(col) {
                Some(ScalarExpr::Call { func: vstream_repr::Func::ProcTime, .. }) => true,
                Some(ScalarExpr::Column { index, .. }) => input.is_proc_time(*index),
                _ => false,
            },
            LogicalPlan::Filter { input, .. } | LogicalPlan::View { input, .. } => input.is_proc_time(col),
            _ => false,
        }
    }

    /// The output column that is a time attribute (see [`LogicalPlan::time_attribute`]).
    pub fn time_column(&self) -> Option<usize> {
        self.time_attribute().map(|(column, _)| column)
    }

    /// Whether this is a deduplication that keeps each key's first row by event time: ROW_NUMBER
    /// ordered by its insert-only input's time attribute ascending, filtered to rank 1. (Ordered
    /// descending, it keeps the last row: a Top-N of 1, a changelog.)
    pub fn is_first_row_deduplication(&self) -> bool {
        let LogicalPlan::Rank { input, func: RankFunc::RowNumber, order_by, limit: Some(RankRange { lo: 1, hi: 1 }), .. } = self else {
            return false;
        };
        let [(ScalarExpr::Column { index, .. }, order)] = order_by.as_slice() else { return false };
        !order.descending && input.time_column() == Some(*index) && !input.is_changelog()
    }

    /// For a Rank over a window aggregate's insert-only rows partitioned by its `window_end`
    /// (Flink's window Top-N after a window aggregation): that column of its input, so each
    /// window is ranked once, when it closes.
    pub fn window_end_key(&self) -> Option<usize> {
        let LogicalPlan::Rank { input, partition_by, .. } = self else { return None };
        let end = input.window_end_column()?;
        let keyed = partition_by.iter().any(|e| matches!(e, ScalarExpr::Column { index, .. } if *index == end));
        (keyed && !input.is_changelog()).then_some(end)
    }

    /// The output column that is the `window_end` of the window aggregate this plan ends in
    /// (through filters and projections that keep it as it is).
    fn window_end_column(&self) -> Option<usize> {
        match self {
            LogicalPlan::Aggregate { input, group_by, .. } => {
                input.window()?;
                let mut window = input.as_ref();
                while let LogicalPlan::Filter { input, .. } = window {
                    window = input;
                }
                let end = window.schema().len() - WINDOW_COLUMNS.len() + 1;
                group_by.iter().position(|e| matches!(e, ScalarExpr::Column { index, .. } if *index == end))
            }
            LogicalPlan::Filter { input, .. } => input.window_end_column(),
            LogicalPlan::Project { input, exprs, .. } => {
                let end = input.window_end_column()?;
                exprs.iter().position(|e| matches!(e, ScalarExpr::Column { index, .. } if *index == end))
            }
            _ => None,
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
                    a.arg.iter().chain(&a.arg2).chain(&a.filter).for_each(|e| e.visit_columns(&mut |c| need.push(c)));
                }
                let (input, inner) = input.prune(&need);
                let remap = |c: usize| kept(&inner, c);
                group_by.iter_mut().for_each(|e| e.remap_columns(&remap));
                for a in &mut aggregates {
                    a.arg.iter_mut().chain(a.arg2.iter_mut()).chain(a.filter.iter_mut()).for_each(|e| e.remap_columns(&remap));
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
            LogicalPlan::Unnest { input, mut collection, kept: kept_cols, ordinality, outer, schema } => {
                // The element columns are computed: the input needs the collection's columns and
                // the kept columns something reads; the others are dropped here.
                let kept_len = kept_cols.len();
                let mut keep_out: Vec<usize> = needed.iter().copied().filter(|c| *c < kept_len).collect();
                keep_out.sort_unstable();
                keep_out.dedup();
                let mut need: Vec<usize> = keep_out.iter().map(|c| kept_cols[*c]).collect();
                collection.visit_columns(&mut |c| need.push(c));
                let (input, inner) = input.prune(&need);
                collection.remap_columns(&|c| kept(&inner, c));
                let new_kept: Vec<usize> = keep_out.iter().map(|c| kept(&inner, kept_cols[*c])).collect();
                let mut fields: Vec<vstream_repr::Field> = keep_out.iter().map(|c| schema.fields[*c].clone()).collect();
                fields.extend(schema.fields[kept_len..].iter().cloned());
                let mut map: Vec<Option<usize>> = vec![None; kept_len];
                for (new, old) in keep_out.iter().enumerate() {
                    map[*old] = Some(new);
                }
                map.extend((kept_len..schema.len()).map(|c| Some(c - kept_len + keep_out.len())));
                let plan = LogicalPlan::Unnest {
                    input: Box::new(input),
                    collection,
                    kept: new_kept,
                    ordinality,
                    outer,
                    schema: Schema::new(fields),
                };
                (plan, map)
            }
            LogicalPlan::Rank { input, func, mut partition_by, mut order_by, limit, rank_column, schema, span } => {
                // The rank is computed, not read: the input needs the keys and what is needed of
                // its own columns; the rank column stays only if something reads it.
                let input_len = input.schema().len();
                let mut need: Vec<usize> = needed.iter().copied().filter(|c| *c < input_len).collect();
                partition_by.iter().chain(order_by.iter().map(|(e, _)| e)).for_each(|e| e.visit_columns(&mut |c| need.push(c)));
                let (input, inner) = input.prune(&need);
                let remap = |c: usize| kept(&inner, c);
                partition_by.iter_mut().for_each(|e| e.remap_columns(&remap));
                order_by.iter_mut().for_each(|(e, _)| e.remap_columns(&remap));
                let new_len = input.schema().len();
                let rank_column = rank_column && needed.contains(&input_len);
                let mut fields: Vec<vstream_repr::Field> = input.schema().fields.clone();
                let mut map: Vec<Option<usize>> = inner;
                if rank_column {
                    fields.push(schema.fields[input_len].clone());
                    map.push(Some(new_len));
                }
                let schema = Schema::new(fields);
                (LogicalPlan::Rank { input: Box::new(input), func, partition_by, order_by, limit, rank_column, schema, span }, map)
            }
            LogicalPlan::OverAggregate { input, mut partition_by, time_col, frame, mut aggregates, schema } => {
                // Every aggregate is kept (the frame state is per partition, not per column);
                // the input needs what is needed of its own columns, the keys, the event time
                // and the aggregates' arguments.
                let input_len = input.schema().len();
                let mut need: Vec<usize> = needed.iter().copied().filter(|c| *c < input_len).collect();
                need.push(time_col);
                partition_by.iter().for_each(|e| e.visit_columns(&mut |c| need.push(c)));
                for a in &aggregates {
                    a.arg.iter().chain(&a.arg2).chain(&a.filter).for_each(|e| e.visit_columns(&mut |c| need.push(c)));
                }
                let (input, inner) = input.prune(&need);
                let remap = |c: usize| kept(&inner, c);
                partition_by.iter_mut().for_each(|e| e.remap_columns(&remap));
                for a in &mut aggregates {
                    a.arg.iter_mut().chain(a.arg2.iter_mut()).chain(a.filter.iter_mut()).for_each(|e| e.remap_columns(&remap));
                }
                let time_col = remap(time_col);
                let new_len = input.schema().len();
                let mut fields: Vec<vstream_repr::Field> = input.schema().fields.clone();
                fields.extend(schema.fields[input_len..].iter().cloned());
                let mut map: Vec<Option<usize>> = inner;
                map.extend((0..aggregates.len()).map(|k| Some(new_len + k)));
                let schema = Schema::new(fields);
                (LogicalPlan::OverAggregate { input: Box::new(input), partition_by, time_col, frame, aggregates, schema }, map)
            }
            LogicalPlan::Limit { input, offset, fetch } => {
                let (input, map) = input.prune(needed);
                (LogicalPlan::Limit { input: Box::new(input), offset, fetch }, map)
            }
            LogicalPlan::Sort { input, mut keys } => {
                let mut need = needed.to_vec();
                need.extend(keys.iter().map(|k| k.column));
                let (input, map) = input.prune(&need);
                keys.iter_mut().for_each(|k| k.column = kept(&map, k.column));
                (LogicalPlan::Sort { input: Box::new(input), keys }, map)
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
            LogicalPlan::Union { inputs, schema } => {
                // Every input must emit the same columns in the same places: each keeps what is
                // needed, narrowed by a projection where its own pruning kept more or reordered.
                let mut keep: Vec<usize> = needed.to_vec();
                keep.sort_unstable();
                keep.dedup();
                let inputs = inputs.into_iter().map(|input| narrow(input.prune(&keep), &keep)).collect();
                let mut map = vec![None; schema.len()];
                for (new, old) in keep.iter().enumerate() {
                    map[*old] = Some(new);
                }
                let schema = Schema::new(keep.iter().map(|i| schema.fields[*i].clone()).collect());
                (LogicalPlan::Union { inputs, schema }, map)
            }
            LogicalPlan::SetOperation { left, right, op, all, schema } => {
                // Which rows match depends on every column: both inputs keep them all.
                let all_columns: Vec<usize> = (0..schema.len()).collect();
                let left = narrow(left.prune(&all_columns), &all_columns);
                let right = narrow(right.prune(&all_columns), &all_columns);
                let map = all_columns.into_iter().map(Some).collect();
                (LogicalPlan::SetOperation { left: Box::new(left), right: Box::new(right), op, all, schema }, map)
            }
            LogicalPlan::View { name, input } => {
                // Every reader of the view shares one plan of it, so it keeps all its columns.
                let all: Vec<usize> = (0..input.schema().len()).collect();
                let (input, map) = input.prune(&all);
                let input = narrow((input, map), &all);
                (LogicalPlan::View { name, input: Box::new(input) }, all.into_iter().map(Some).collect())
            }
        }
    }

    /// Appends this plan as an indented tree, one operator a line.
    pub fn explain_into(&self, depth: usize, out: &mut String) {
        self.explain_shared(depth, out, &mut Vec::new());
    }

    /// [`LogicalPlan::explain_into`], printing the plan of each view not in `shown` once (and
    /// adding it there): later readers of the view point back to it.
    fn explain_shared(&self, depth: usize, out: &mut String, shown: &mut Vec<String>) {
        out.push_str(&"  ".repeat(depth));
        if let LogicalPlan::View { name, .. } = self
            && shown.contains(name)
        {
            out.push_str(&format!("View {name} (shared: computed once, its plan is above)\n"));
            return;
        }
        out.push_str(&self.explain_node());
        out.push('\n');
        if let LogicalPlan::View { name, .. } = self {
            shown.push(name.clone());
        }
        for input in self.inputs() {
            input.explain_shared(depth + 1, out, shown);
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
                if emit.proc_time {
                    text.push_str(" (processing time)");
                }
                if !partition_by.is_empty() {
                    let keys: Vec<String> = partition_by.iter().map(|e| e.display_with(&names).to_string()).collect();
                    text.push_str(&format!(" partition=[{}]", keys.join(", ")));
                }
                text.push_str(if emit.changes { " emit=changes" } else { " emit=final" });
                text
            }
            LogicalPlan::Filter { input, predicate } => format!("Filter {}", predicate.display_with(&input.names())),
            LogicalPlan::Union { inputs, .. } => format!("Union all inputs={}", inputs.len()),
            LogicalPlan::SetOperation { op, all, .. } => op.name(*all).to_string(),
            LogicalPlan::View { name, .. } => format!("View {name} (computed once, shared by its readers)"),
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
            LogicalPlan::Unnest { input, collection, ordinality, outer, .. } => {
                let ord = if *ordinality { " with ordinality" } else { "" };
                let left = if *outer { " (left: rows without elements kept)" } else { "" };
                format!("Unnest {}{ord}{left}", collection.display_with(&input.names()))
            }
            LogicalPlan::Rank { input, func, partition_by, order_by, limit, rank_column, .. } => {
                let names = input.names();
                let keys: Vec<String> = partition_by.iter().map(|e| e.display_with(&names).to_string()).collect();
                let order: Vec<String> = order_by.iter().map(|(e, o)| format!("{} {o}", e.display_with(&names))).collect();
                let mut text = format!("Rank {}() partition=[{}] order=[{}]", func.name(), keys.join(", "), order.join(", "));
                if let Some(RankRange { lo, hi }) = limit {
                    text.push_str(&format!(" ranks={lo}..={hi}"));
                }
                text.push_str(if *rank_column { " rank-column" } else { " no-rank-column" });
                text
            }
            LogicalPlan::Limit { offset, fetch, .. } => limit_text(*offset, *fetch),
            LogicalPlan::Sort { input, keys } => format!("Sort by event time [{}]", sort_key_texts(keys, &input.names()).join(", ")),
            LogicalPlan::Aggregate { input, group_by, aggregates, .. } => {
                let names = input.names();
                let keys: Vec<String> = group_by.iter().map(|e| e.display_with(&names).to_string()).collect();
                let aggs: Vec<String> = aggregates.iter().map(|a| a.display_with(&names)).collect();
                format!("Aggregate group=[{}] aggregates=[{}]", keys.join(", "), aggs.join(", "))
            }
            LogicalPlan::OverAggregate { input, partition_by, time_col, frame, aggregates, .. } => {
                let names = input.names();
                let keys: Vec<String> = partition_by.iter().map(|e| e.display_with(&names).to_string()).collect();
                let aggs: Vec<String> = aggregates.iter().map(|a| a.display_with(&names)).collect();
                format!(
                    "OverAggregate partition=[{}] order=[{}] {frame} aggregates=[{}]",
                    keys.join(", "),
                    names[*time_col],
                    aggs.join(", ")
                )
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

/// `LIMIT n OFFSET m` as explain shows it.
pub(crate) fn limit_text(offset: u64, fetch: Option<u64>) -> String {
    match (offset, fetch) {
        (0, Some(n)) => format!("Limit {n}"),
        (m, Some(n)) => format!("Limit {n} offset {m}"),
        (m, None) => format!("Limit offset {m}"),
    }
}

/// Each sort key as `name [DESC] [NULLS FIRST|LAST]`, over the sorted plan's column names.
pub(crate) fn sort_key_texts(keys: &[SortKey], names: &[String]) -> Vec<String> {
    keys.iter()
        .map(|k| {
            let mut t = names[k.column].clone();
            if k.descending {
                t.push_str(" DESC");
            }
            if k.nulls_first == k.descending {
                t.push_str(if k.nulls_first { " NULLS FIRST" } else { " NULLS LAST" });
            }
            t
        })
        .collect()
}

/// The new index of column `c` after [`LogicalPlan::prune`] of an input, given the input's
/// column map. A plan asks its input for every column it reads, so the input keeps it: a `None`
/// here is a bug in `prune`, not something a query can cause.
fn kept(map: &[Option<usize>], c: usize) -> usize {
    map[c].expect("prune keeps every column its parent reads")
}

#[cfg(test)]
mod tests {
    use super::SetOperator::{Except, Intersect};

    #[test]
    fn set_operation_copies() {
        // (left, right) -> INTERSECT ALL, INTERSECT, EXCEPT ALL, EXCEPT
        for (l, r, expected) in
            [(3, 1, [1, 1, 2, 0]), (1, 2, [1, 1, 0, 0]), (2, 0, [0, 0, 2, 1]), (0, 4, [0, 0, 0, 0]), (0, 0, [0, 0, 0, 0])]
        {
            let got = [Intersect.copies(true, l, r), Intersect.copies(false, l, r), Except.copies(true, l, r), Except.copies(false, l, r)];
            assert_eq!(got, expected, "left {l}, right {r}");
        }
    }
}

/// A pruned plan (with its column map) emitting exactly the old columns `keep`, in order: a
/// projection over it where pruning kept other columns or moved them.
fn narrow((plan, map): (LogicalPlan, Vec<Option<usize>>), keep: &[usize]) -> LogicalPlan {
    let at: Vec<usize> = keep.iter().map(|c| kept(&map, *c)).collect();
    if at.len() == plan.schema().len() && at.iter().enumerate().all(|(i, c)| i == *c) {
        return plan;
    }
    let fields = plan.schema().fields.clone();
    let exprs = at.iter().map(|c| ScalarExpr::column(*c, fields[*c].ty)).collect();
    let schema = Schema::new(at.iter().map(|c| fields[*c].clone()).collect());
    LogicalPlan::Project { input: Box::new(plan), exprs, schema }
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
    /// The script's `SET`s of Flink configuration keys.
    pub settings: ScriptSettings,
    /// The statements of `EXPLAIN stmt`, each a script of its own: printed, not run.
    pub explains: Vec<ScriptPlan>,
}

/// What a script's `SET 'key' = 'value'` of Flink's configuration keys asks for.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ScriptSettings {
    /// `parallelism.default`: workers per process, unless `-w` is given.
    pub parallelism: Option<usize>,
    /// `table.exec.state.ttl` in milliseconds: how long idle keyed state is kept (for joins).
    pub state_ttl_ms: Option<i64>,
    /// `execution.checkpointing.interval` in milliseconds, for checkpoints.
    pub checkpoint_interval_ms: Option<i64>,
    /// One line each for settings accepted that mean nothing here, printed on stderr.
    pub notices: Vec<String>,
}

impl ScriptPlan {
    /// Every query as an indented tree under its sink, one operator a line.
    pub fn explain(&self) -> String {
        let mut out = String::new();
        let mut shown = Vec::new();
        for s in &self.sinks {
            let cols: Vec<String> = s.query.schema().fields.iter().map(|f| format!("{} {}", f.name, f.ty)).collect();
            let kind = if s.query.is_changelog() { " changelog" } else { "" };
            out.push_str(&format!("Sink {}{kind} ({})\n", s.name, cols.join(", ")));
            s.query.explain_shared(1, &mut out, &mut shown);
        }
        out
    }
}
