//! The binder: sqlparser's AST in, a [`ScriptPlan`] out. It resolves every name against the
//! catalog the script's `CREATE TABLE`s build, types every expression, and inserts the implicit
//! casts, so later layers never look at SQL text again.

mod aggregate_call;
mod ddl;
mod expr;
mod group_window;
mod grouping_sets;
mod json;
pub(crate) mod nested;
mod order_limit;
mod over;
mod predicates;
mod query;
mod relation;
mod scope;
mod script;
mod set;
mod temporal;
mod window;

use crate::dialect::FlinkDialect;
use crate::error::{PlanError, did_you_mean};
use crate::logical::{LogicalPlan, ScriptPlan, SinkPlan};
use sqlparser::ast::{self as ast, ObjectName, Spanned, Statement};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Span;
use std::cell::RefCell;
use std::path::Path;
use vstream_connector_spec::kafka::MetadataField;
use vstream_connector_spec::{OptionError, SinkSpec, SourceSpec, TableConnector};
use vstream_repr::{EventTime, ScalarExpr, Schema};

/// What binding returns: a [`PlanError`] on failure.
type Result<T> = std::result::Result<T, PlanError>;

/// A table the script declared.
#[derive(Clone, Debug)]
pub struct TableDef {
    /// The name it was declared with.
    pub name: String,
    /// Empty for a sink declared without columns: it takes the columns of what is written to it.
    pub schema: Schema,
    /// Its connector, from the WITH options.
    pub connector: TableConnector,
    /// Where its name is written in `CREATE TABLE`.
    pub span: Span,
    /// Where each option is written, so an option error points at it.
    pub option_spans: Vec<(String, Span)>,
    /// `WATERMARK FOR ...`: the table's event time, and where its late rows go.
    pub event_time: Option<EventTime>,
    /// Columns read from the record's metadata (`METADATA FROM 'timestamp'`), Kafka tables only.
    pub metadata: Vec<(usize, MetadataField)>,
    /// Computed columns (`c AS expr`): each one's index into `schema` and its expression over the
    /// physical columns (the others, in order: what the source decodes).
    pub computed: Vec<(usize, ScalarExpr)>,
}

impl TableDef {
    /// A scan of all the table's columns: its rows, or (`late`) the rows its watermark rejects.
    /// The source reads the physical columns; a projection over them adds the computed ones.
    fn scan(&self, source: SourceSpec, late: bool) -> LogicalPlan {
        let physical = self.physical_schema();
        let event_time = self.event_time.clone().map(|mut et| {
            // A WATERMARK is on a physical column (the binder checks).
            et.column = self.physical_index(et.column).unwrap_or(et.column);
            et
        });
        let scan = LogicalPlan::Scan {
            table: self.name.clone(),
            source,
            table_schema: physical.clone(),
            projection: (0..physical.len()).collect(),
            schema: physical,
            event_time,
            late,
        };
        if self.computed.is_empty() {
            return scan;
        }
        let exprs = (0..self.schema.len())
            .map(|i| match (self.computed.iter().find(|(c, _)| *c == i), self.physical_index(i)) {
                (Some((_, e)), _) => e.clone(),
                (None, Some(p)) => ScalarExpr::column(p, self.schema.fields[i].ty),
                (None, None) => ScalarExpr::literal(vstream_repr::Datum::Null, self.schema.fields[i].ty),
            })
            .collect();
        LogicalPlan::Project { input: Box::new(scan), exprs, schema: self.schema.clone() }
    }

    /// The columns the source decodes: all but the computed ones, in order.
    fn physical_schema(&self) -> Schema {
        let fields = self.schema.fields.iter().enumerate().filter(|(i, _)| self.physical_index(*i).is_some());
        Schema::new(fields.map(|(_, f)| f.clone()).collect())
    }

    /// Column `i`'s index among the physical columns; `None` for a computed one.
    fn physical_index(&self, i: usize) -> Option<usize> {
        let computed_before = self.computed.iter().filter(|(c, _)| *c < i).count();
        (!self.computed.iter().any(|(c, _)| *c == i)).then(|| i - computed_before)
    }

    /// The source this table is when read, with its metadata columns.
    fn source(&self) -> std::result::Result<SourceSpec, OptionError> {
        let mut source = self.connector.source()?;
        if let SourceSpec::Kafka(k) = &mut source {
            k.metadata = self.metadata.iter().filter_map(|(i, f)| Some((self.physical_index(*i)?, *f))).collect();
        }
        Ok(source)
    }

    /// An error in one of the table's options, at that option (else at `fallback`).
    fn option_error(&self, e: OptionError, fallback: Span) -> PlanError {
        option_error(&self.option_spans, e, fallback)
    }
}

/// Where option `key` is written among `spans` (option name, span), else `fallback`.
fn option_span(spans: &[(String, Span)], key: &str, fallback: Span) -> Span {
    spans.iter().find(|(n, _)| n == key).map_or(fallback, |(_, s)| *s)
}

/// An option error at the option it names, else at `fallback`.
fn option_error(spans: &[(String, Span)], e: OptionError, fallback: Span) -> PlanError {
    let span = e.key.as_deref().map_or(fallback, |k| option_span(spans, k, fallback));
    PlanError::invalid(e.message, span).with_hint_opt(e.hint)
}

/// The tables declared so far, in order.
#[derive(Default, Debug)]
pub struct Catalog {
    /// Every table, in the order declared.
    pub tables: Vec<TableDef>,
}

impl Catalog {
    /// The table `name` (ignoring case).
    fn get(&self, name: &str) -> Option<&TableDef> {
        self.tables.iter().find(|t| t.name.eq_ignore_ascii_case(name))
    }
    /// The error for a table that is not declared, with the closest declared one as a hint.
    fn unknown_table(&self, name: &str, span: Span) -> PlanError {
        PlanError::invalid(format!("unknown table `{name}`"), span).with_hint_opt(
            did_you_mean(name, self.tables.iter().map(|t| t.name.as_str()))
                .or_else(|| Some("declare it first with CREATE TABLE ... WITH ('connector' = ...)".to_string())),
        )
    }
}

/// Settings that change what a script plans to, from the command line (`--set emit.mode=...`);
/// they override the script's own `SET` statements.
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    /// EMIT CHANGES (`Some(true)`) or EMIT FINAL (`Some(false)`) for window aggregates.
    pub emit_changes: Option<bool>,
}

/// Binds and evaluates an expression over no table (`UPPER('a')`), giving its text as CSV
/// writes it (`NULL` for NULL): how the function catalog's examples are checked.
pub fn evaluate_constant(sql: &str) -> Result<String> {
    use sqlparser::ast::Spanned;
    let expr = Parser::new(&FlinkDialect::default()).try_with_sql(sql).and_then(|mut p| p.parse_expr()).map_err(PlanError::from_parser)?;
    temporal::reset_session_zone();
    let bound = expr::bind_expr(&expr, &scope::Scope::new(vec![]))?;
    let col = bound.eval(&vstream_repr::Batch::new(1, vec![])).map_err(|err| PlanError::invalid(err.to_string(), expr.span()))?;
    if !col.is_valid(0) {
        return Ok("NULL".to_string());
    }
    let mut text = Vec::new();
    col.write_text(0, &mut text);
    Ok(String::from_utf8_lossy(&text).into_owned())
}

/// Parses and binds a whole script. `base_dir` is where relative paths in options start.
pub fn bind_script(sql: &str, base_dir: &Path) -> Result<(Catalog, ScriptPlan)> {
    bind_script_with(sql, base_dir, &PlanOptions::default())
}

/// [`bind_script`] with settings from the command line.
pub fn bind_script_with(sql: &str, base_dir: &Path, options: &PlanOptions) -> Result<(Catalog, ScriptPlan)> {
    let statements =
        Parser::new(&FlinkDialect::default()).try_with_sql(sql).and_then(|mut p| p.parse_statements()).map_err(PlanError::from_parser)?;
    temporal::reset_session_zone();
    let mut binder = Binder {
        catalog: Catalog::default(),
        base_dir,
        plan: ScriptPlan::default(),
        options: options.clone(),
        emit_changes: false,
        views: Vec::new(),
        ctes: RefCell::default(),
        view_names: RefCell::default(),
    };
    for s in &statements {
        binder.statement(s)?;
    }
    if binder.plan.sinks.is_empty() && binder.plan.explains.is_empty() {
        return Err(PlanError::invalid("the script has no query: add an INSERT INTO ... SELECT or a SELECT", Span::empty()));
    }
    Ok((binder.catalog, binder.plan))
}

/// Binds a script's statements in order, building the catalog and the plan as it goes.
struct Binder<'a> {
    /// The tables declared so far.
    catalog: Catalog,
    /// Where relative paths in options start.
    base_dir: &'a Path,
    /// The sinks and their queries so far.
    plan: ScriptPlan,
    /// Settings from the command line, which override `SET`.
    options: PlanOptions,
    /// `SET 'emit.mode' = 'changes'` seen so far in the script.
    emit_changes: bool,
    /// The views declared so far, in order.
    views: Vec<set::ViewDef>,
    /// The common table expressions of the WITH clauses being bound, outermost first.
    ctes: RefCell<Vec<set::ViewDef>>,
    /// Every view and CTE name given out so far (see `Binder::view_plan`).
    view_names: RefCell<Vec<String>>,
}

/// A dotted name as written: `db.table`.
fn object_name(name: &ObjectName) -> String {
    name.0.iter().filter_map(|p| p.as_ident()).map(|i| i.value.clone()).collect::<Vec<_>>().join(".")
}

impl Binder<'_> {
    /// One statement of the script: CREATE TABLE, INSERT, a query (to stdout) or SET.
    fn statement(&mut self, s: &Statement) -> Result<()> {
        match s {
            Statement::CreateTable(ct) => self.create_table(ct),
            Statement::CreateView(cv) => self.create_view(cv),
            Statement::Insert(ins) => self.insert(ins, s.span()),
            Statement::Query(q) => {
                let query = self.query(q)?;
                self.plan.sinks.push(SinkPlan { name: "stdout".into(), sink: SinkSpec::Stdout, query: query.clone() });
                self.add_late_sinks(&query, q.span())
            }
            Statement::Set(ast::Set::SingleAssignment { variable, values, .. }) => self.set(variable, values),
            Statement::Explain { statement, .. } => self.explain(statement, s.span()),
            other if let Some(set) = crate::dialect::statement_set(other) => self.statement_set(set),
            other => {
                let text = other.to_string();
                let word: String = text.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
                Err(PlanError::not_supported(format!("the statement `{word} ...`"), other.span())
                    .with_hint("a script holds CREATE TABLE, INSERT INTO ... SELECT and SELECT statements"))
            }
        }
    }
}

/// The first three words of `s`, to name a construct in an error.
fn first_words(s: &str) -> String {
    let w: Vec<&str> = s.split_whitespace().take(3).collect();
    w.join(" ")
}
