//! The binder: sqlparser's AST in, a [`ScriptPlan`] out. It resolves every name against the
//! catalog the script's `CREATE TABLE`s build, types every expression, and inserts the implicit
//! casts, so later layers never look at SQL text again.

use crate::dialect::{FlinkDialect, metadata_column, table_arg, watermark};
use crate::error::{PlanError, did_you_mean};
use crate::logical::{AggregateCall, LogicalPlan, ScriptPlan, SinkPlan, WINDOW_COLUMNS, WindowEmit};
use sqlparser::ast::{
    self as ast, BinaryOperator, CastKind, CreateTableOptions, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr,
    ObjectName, SelectItem, SetExpr, Spanned, SqlOption, Statement, TableFactor, TableObject, TrimWhereField, UnaryOperator, Value,
};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Span;
use std::path::Path;
use vstream_connector_spec::{SinkSpec, SourceSpec, TableConnector};
use vstream_repr::agg::AggFunc;
use vstream_repr::decimal;
use vstream_repr::expr::{BinaryOp, Func, TrimSide, UnaryOp};
use vstream_repr::types::MAX_DECIMAL_PRECISION;
use vstream_repr::window::{amount_millis, parse_duration, unit_millis};
use vstream_repr::{Batch, DataType, Datum, EventTime, Field, ScalarExpr, Schema, WindowAssigner};

type Result<T> = std::result::Result<T, PlanError>;

/// A table the script declared.
#[derive(Clone, Debug)]
pub struct TableDef {
    pub name: String,
    /// Empty for a sink declared without columns: it takes the columns of what is written to it.
    pub schema: Schema,
    pub connector: TableConnector,
    pub span: Span,
    /// Where each option is written, so an option error points at it.
    pub option_spans: Vec<(String, Span)>,
    /// `WATERMARK FOR ...`: the table's event time, and where its late rows go.
    pub event_time: Option<EventTime>,
    /// Columns read from the record's metadata (`METADATA FROM 'timestamp'`), Kafka tables only.
    pub metadata: Vec<(usize, vstream_connector_spec::kafka::MetadataField)>,
}

impl TableDef {
    /// A scan of all the table's columns: its rows, or (`late`) the rows its watermark rejects.
    fn scan(&self, source: SourceSpec, late: bool) -> LogicalPlan {
        LogicalPlan::Scan {
            table: self.name.clone(),
            source,
            table_schema: self.schema.clone(),
            projection: (0..self.schema.len()).collect(),
            schema: self.schema.clone(),
            event_time: self.event_time.clone(),
            late,
        }
    }

    /// The source this table is when read, with its metadata columns.
    fn source(&self) -> std::result::Result<SourceSpec, vstream_connector_spec::OptionError> {
        let mut source = self.connector.source()?;
        if let SourceSpec::Kafka(k) = &mut source {
            k.metadata = self.metadata.clone();
        }
        Ok(source)
    }

    fn option_error(&self, e: vstream_connector_spec::OptionError, fallback: Span) -> PlanError {
        let span = e.key.as_ref().and_then(|k| self.option_spans.iter().find(|(n, _)| n == k)).map_or(fallback, |(_, s)| *s);
        PlanError::invalid(e.message, span).with_hint_opt(e.hint)
    }
}

/// The tables declared so far, in order.
#[derive(Default, Debug)]
pub struct Catalog {
    pub tables: Vec<TableDef>,
}

impl Catalog {
    fn get(&self, name: &str) -> Option<&TableDef> {
        self.tables.iter().find(|t| t.name.eq_ignore_ascii_case(name))
    }
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

/// Parses and binds a whole script. `base_dir` is where relative paths in options start.
pub fn bind_script(sql: &str, base_dir: &Path) -> Result<(Catalog, ScriptPlan)> {
    bind_script_with(sql, base_dir, &PlanOptions::default())
}

/// [`bind_script`] with settings from the command line.
pub fn bind_script_with(sql: &str, base_dir: &Path, options: &PlanOptions) -> Result<(Catalog, ScriptPlan)> {
    let statements =
        Parser::new(&FlinkDialect::default()).try_with_sql(sql).and_then(|mut p| p.parse_statements()).map_err(PlanError::from_parser)?;
    let mut binder =
        Binder { catalog: Catalog::default(), base_dir, plan: ScriptPlan::default(), options: options.clone(), emit_changes: false };
    for s in &statements {
        binder.statement(s)?;
    }
    if binder.plan.sinks.is_empty() {
        return Err(PlanError::invalid("the script has no query: add an INSERT INTO ... SELECT or a SELECT", Span::empty()));
    }
    Ok((binder.catalog, binder.plan))
}

struct Binder<'a> {
    catalog: Catalog,
    base_dir: &'a Path,
    plan: ScriptPlan,
    options: PlanOptions,
    /// `SET 'emit.mode' = 'changes'` seen so far in the script.
    emit_changes: bool,
}

fn object_name(name: &ObjectName) -> String {
    name.0.iter().filter_map(|p| p.as_ident()).map(|i| i.value.clone()).collect::<Vec<_>>().join(".")
}

/// The SQL type a column definition names.
fn data_type(ty: &ast::DataType, span: Span) -> Result<DataType> {
    use ast::DataType as D;
    Ok(match ty {
        D::Boolean | D::Bool => DataType::Boolean,
        D::TinyInt(_) | D::SmallInt(_) | D::Int(_) | D::Int4(_) | D::Integer(_) => DataType::Int,
        D::BigInt(_) | D::Int8(_) | D::Int64 => DataType::BigInt,
        D::Double(_) | D::DoublePrecision | D::Float64 | D::Float8 | D::Float(_) | D::Real => DataType::Double,
        D::Decimal(info) | D::Numeric(info) => {
            let (p, s) = match info {
                ast::ExactNumberInfo::None => (10, 0),
                ast::ExactNumberInfo::Precision(p) => (*p, 0),
                ast::ExactNumberInfo::PrecisionAndScale(p, s) => (*p, (*s).max(0) as u64),
            };
            if p == 0 || p > MAX_DECIMAL_PRECISION as u64 || s > p {
                return Err(PlanError::invalid(format!("invalid DECIMAL({p}, {s})"), span)
                    .with_hint("precision must be 1..=38 and scale at most the precision"));
            }
            DataType::Decimal { precision: p as u8, scale: s as u8 }
        }
        D::Varchar(_) | D::String(_) | D::Text | D::Char(_) | D::Character(_) | D::CharVarying(_) => DataType::Varchar,
        D::Timestamp(p, tz) => {
            if !matches!(tz, ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone) {
                return Err(PlanError::not_supported("TIMESTAMP WITH TIME ZONE", span));
            }
            if p.is_some_and(|p| p > 3) {
                return Err(PlanError::not_supported(format!("TIMESTAMP({})", p.unwrap_or(0)), span)
                    .with_hint("timestamps have millisecond precision: use TIMESTAMP(3)"));
            }
            DataType::Timestamp
        }
        other => return Err(PlanError::not_supported(format!("type {other}"), span)),
    })
}

fn option_value(e: &Expr) -> Result<String> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Ok(s.clone()),
            Value::Number(n, _) => Ok(n.clone()),
            Value::Boolean(b) => Ok(b.to_string()),
            other => Err(PlanError::invalid(format!("option value {other} must be a string"), e.span())),
        },
        Expr::Identifier(i) => Ok(i.value.clone()),
        other => Err(PlanError::invalid(format!("option value {other} must be a string"), other.span())),
    }
}

impl Binder<'_> {
    fn statement(&mut self, s: &Statement) -> Result<()> {
        match s {
            Statement::CreateTable(ct) => self.create_table(ct),
            Statement::Insert(ins) => {
                let TableObject::TableName(name) = &ins.table else {
                    return Err(PlanError::not_supported("INSERT INTO a table function", s.span()));
                };
                if !ins.columns.is_empty() {
                    return Err(PlanError::not_supported("an INSERT column list", ins.columns[0].span()));
                }
                let Some(source) = &ins.source else {
                    return Err(PlanError::not_supported("INSERT without a query", s.span()));
                };
                let table = object_name(name);
                let def = self.catalog.get(&table).cloned().ok_or_else(|| self.catalog.unknown_table(&table, name.span()))?;
                let query = self.query(source)?;
                self.add_sink(&def, query.clone(), source.span())?;
                self.add_late_sinks(&query, source.span())
            }
            Statement::Query(q) => {
                let query = self.query(q)?;
                self.plan.sinks.push(SinkPlan { name: "stdout".into(), sink: SinkSpec::Stdout, query: query.clone() });
                self.add_late_sinks(&query, q.span())
            }
            Statement::Set(ast::Set::SingleAssignment { variable, values, .. }) => self.set(variable, values),
            other => {
                let text = other.to_string();
                let word: String = text.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
                Err(PlanError::not_supported(format!("the statement `{word} ...`"), other.span())
                    .with_hint("a script holds CREATE TABLE, INSERT INTO ... SELECT and SELECT statements"))
            }
        }
    }

    /// `SET 'key' = 'value'`, as Flink scripts write settings; it applies to the statements after it.
    fn set(&mut self, variable: &ObjectName, values: &[Expr]) -> Result<()> {
        let key = object_name(variable);
        let span = variable.span();
        let [value] = values else { return Err(PlanError::invalid(format!("SET '{key}' takes one value"), span)) };
        let text = option_value(value)?;
        match key.as_str() {
            "emit.mode" => {
                self.emit_changes = match text.to_ascii_lowercase().as_str() {
                    "changes" => true,
                    "final" => false,
                    _ => return Err(PlanError::invalid(format!("'emit.mode' must be 'final' or 'changes', not '{text}'"), value.span())),
                };
                Ok(())
            }
            _ => Err(PlanError::invalid(format!("unknown setting '{key}'"), span).with_hint("known settings: 'emit.mode'")),
        }
    }

    fn create_table(&mut self, ct: &ast::CreateTable) -> Result<()> {
        let name = object_name(&ct.name);
        if self.catalog.get(&name).is_some() {
            return Err(PlanError::invalid(format!("table `{name}` is declared twice"), ct.name.span()));
        }
        let options = match &ct.table_options {
            CreateTableOptions::With(o) => o.as_slice(),
            CreateTableOptions::None => &[],
            _ => return Err(PlanError::not_supported("table options other than WITH (...)", ct.name.span())),
        };
        let mut kv = Vec::new();
        let mut spans = Vec::new();
        for o in options {
            match o {
                SqlOption::KeyValue { key, value } => {
                    kv.push((object_name(key), option_value(value)?));
                    spans.push((object_name(key), o.span()));
                }
                other => return Err(PlanError::invalid(format!("option `{other}` must be 'key' = 'value'"), other.span())),
            }
        }
        let connector = TableConnector::from_options(&kv, self.base_dir).map_err(|e| {
            let span = e.key.as_ref().and_then(|k| spans.iter().find(|(n, _)| n == k)).map_or(ct.name.span(), |(_, s)| *s);
            PlanError::invalid(e.message.clone(), span).with_hint_opt(e.hint.clone())
        })?;
        let mut fields = Vec::new();
        let mut metadata = Vec::new();
        for c in &ct.columns {
            if fields.iter().any(|f: &Field| f.name.eq_ignore_ascii_case(&c.name.value)) {
                return Err(PlanError::invalid(format!("column `{}` is declared twice", c.name.value), c.name.span));
            }
            if let Some(o) = c.options.iter().find(|o| matches!(o.option, ast::ColumnOption::NotNull)) {
                // Accepting it without enforcing it would let NULLs into a column declared free of them.
                return Err(PlanError::not_supported(format!("NOT NULL on column `{}`", c.name.value), o.span())
                    .with_hint("vstream does not enforce NOT NULL yet; remove it, or filter with WHERE col IS NOT NULL"));
            }
            let ty = data_type(&c.data_type, c.span())?;
            for o in &c.options {
                let Some(key) = metadata_column(&o.option) else { continue };
                let key = key.unwrap_or(&c.name.value);
                let Some(field) = vstream_connector_spec::kafka::MetadataField::from_key(key) else {
                    return Err(PlanError::invalid(format!("unknown metadata key '{key}' of column `{}`", c.name.value), o.span())
                        .with_hint("Kafka tables have metadata 'timestamp', 'partition' and 'offset'"));
                };
                if connector.kind != vstream_connector_spec::ConnectorKind::Kafka {
                    return Err(PlanError::invalid(format!("metadata column `{}` needs 'connector' = 'kafka'", c.name.value), o.span()));
                }
                if !field.fits(ty) {
                    let want = match field {
                        vstream_connector_spec::kafka::MetadataField::Timestamp => "TIMESTAMP(3)",
                        vstream_connector_spec::kafka::MetadataField::Partition => "INT or BIGINT",
                        vstream_connector_spec::kafka::MetadataField::Offset => "BIGINT",
                    };
                    return Err(PlanError::invalid(
                        format!("metadata '{}' is {want}, but column `{}` is {ty}", field.key(), c.name.value),
                        c.span(),
                    ));
                }
                metadata.push((fields.len(), field));
            }
            fields.push(Field::new(c.name.value.clone(), ty));
        }
        let schema = Schema::new(fields);
        let mut event_time = None;
        for c in &ct.constraints {
            let Some((column, expr, at)) = watermark(c) else {
                return Err(PlanError::not_supported("table constraints", c.span())
                    .with_hint("vstream does not enforce keys or checks; remove the constraint"));
            };
            if event_time.is_some() {
                return Err(PlanError::invalid(format!("table `{name}` has more than one WATERMARK"), at));
            }
            if connector.kind == vstream_connector_spec::ConnectorKind::Kafka
                && matches!(connector.source(), Ok(SourceSpec::Kafka(k)) if k.format == vstream_connector_spec::Format::DebeziumJson)
            {
                // Its rows are retracted as well as added: event-time windows take inserts only.
                return Err(PlanError::not_supported("a WATERMARK on a 'debezium-json' (changelog) source", at));
            }
            event_time = Some(bind_watermark(&schema, column, expr)?);
        }
        let late = connector.late_rows().map_err(|e| {
            let span = e.key.as_ref().and_then(|k| spans.iter().find(|(n, _)| n == k)).map_or(ct.name.span(), |(_, s)| *s);
            PlanError::invalid(e.message.clone(), span).with_hint_opt(e.hint.clone())
        })?;
        match &mut event_time {
            Some(et) => {
                et.allowed_lateness = late.allowed_lateness;
                et.late_sink = late.sink;
            }
            None => {
                if let Some(k) = connector.late_option() {
                    let span = spans.iter().find(|(n, _)| n == k).map_or(ct.name.span(), |(_, s)| *s);
                    return Err(PlanError::invalid(format!("option '{k}' needs an event time"), span)
                        .with_hint("declare one in the column list: WATERMARK FOR ts AS ts - INTERVAL '1' SECOND"));
                }
            }
        }
        let def = TableDef { name: name.clone(), schema, connector, span: ct.name.span(), option_spans: spans, event_time, metadata };
        self.catalog.tables.push(def.clone());
        if let Some(q) = &ct.query {
            let query = self.query(q)?;
            self.add_sink(&def, query.clone(), q.span())?;
            self.add_late_sinks(&query, q.span())?;
        }
        Ok(())
    }

    /// For each table `query` reads whose late rows go to a `'late.sink'`: a query that writes
    /// them there (once per table, however many queries read it).
    fn add_late_sinks(&mut self, query: &LogicalPlan, span: Span) -> Result<()> {
        let mut tables = Vec::new();
        query.visit_scans(&mut |t| tables.push(t.to_string()));
        for table in tables {
            let Some(def) = self.catalog.get(&table).cloned() else { continue };
            let Some(et) = &def.event_time else { continue };
            let Some(sink_name) = &et.late_sink else { continue };
            let already = self.plan.sinks.iter().any(|s| {
                let mut late_of_this = false;
                s.query.visit_late_scans(&mut |t| late_of_this |= t.eq_ignore_ascii_case(&def.name));
                late_of_this
            });
            if already {
                continue;
            }
            let span_of_option = def.option_spans.iter().find(|(k, _)| k == "late.sink").map_or(def.span, |(_, s)| *s);
            let sink = self.catalog.get(sink_name).cloned().ok_or_else(|| self.catalog.unknown_table(sink_name, span_of_option))?;
            let source = def.source().map_err(|e| def.option_error(e, span))?;
            self.add_sink(&sink, def.scan(source, true), span_of_option)?;
        }
        Ok(())
    }

    /// Routes a query's rows to a table, casting them to its declared columns if it has any.
    fn add_sink(&mut self, def: &TableDef, query: LogicalPlan, span: Span) -> Result<()> {
        let sink = def.connector.sink().map_err(|e| def.option_error(e, def.span))?;
        // Two queries writing one file sink would each write the same part files, and one would
        // silently overwrite the other.
        if matches!(sink, SinkSpec::File(_)) && self.plan.sinks.iter().any(|s| s.name.eq_ignore_ascii_case(&def.name)) {
            return Err(PlanError::invalid(format!("table `{}` is already written by an earlier query", def.name), span)
                .with_hint("a file sink takes one query; write to a second table, or combine the queries"));
        }
        let query = if def.schema.is_empty() {
            query
        } else {
            let got = query.schema().clone();
            if got.len() != def.schema.len() {
                return Err(PlanError::invalid(
                    format!("`{}` has {} columns but the query produces {}", def.name, def.schema.len(), got.len()),
                    span,
                ));
            }
            let mut exprs = Vec::new();
            for (i, (want, have)) in def.schema.fields.iter().zip(&got.fields).enumerate() {
                let col = ScalarExpr::column(i, have.ty);
                if want.ty == have.ty {
                    exprs.push(col);
                } else if implicitly_castable(have.ty, want.ty) {
                    exprs.push(ScalarExpr::Cast { expr: Box::new(col), to: want.ty });
                } else {
                    return Err(PlanError::invalid(
                        format!(
                            "column `{}` of `{}` is {} but the query gives {} (`{}`)",
                            want.name, def.name, want.ty, have.ty, have.name
                        ),
                        span,
                    )
                    .with_hint(format!("CAST the value to {}", want.ty)));
                }
            }
            if exprs.iter().enumerate().all(|(i, e)| matches!(e, ScalarExpr::Column { index, .. } if *index == i))
                && def.schema.fields.iter().zip(&got.fields).all(|(a, b)| a.name == b.name)
            {
                query
            } else {
                LogicalPlan::Project { input: Box::new(query), exprs, schema: def.schema.clone() }
            }
        };
        let sink = match sink {
            SinkSpec::Kafka(k) => SinkSpec::Kafka(Box::new(kafka_sink_keys(*k, &query, &def.name, span)?)),
            other => other,
        };
        self.plan.sinks.push(SinkPlan { name: def.name.clone(), sink, query });
        Ok(())
    }

    fn query(&self, q: &ast::Query) -> Result<LogicalPlan> {
        if let Some(w) = &q.with {
            return Err(PlanError::not_supported("WITH (common table expressions)", w.span()));
        }
        if let Some(o) = &q.order_by {
            return Err(PlanError::not_supported("ORDER BY on a stream", o.span())
                .with_hint("the output is a stream in arrival order; sort the sink's result downstream"));
        }
        if let Some(l) = &q.limit_clause {
            return Err(PlanError::not_supported("LIMIT", l.span()));
        }
        let select = match q.body.as_ref() {
            SetExpr::Select(s) => s,
            SetExpr::Query(inner) => return self.query(inner),
            other => return Err(PlanError::not_supported(format!("`{}`", first_words(&other.to_string())), other.span())),
        };
        let [from] = select.from.as_slice() else {
            let span = select.from.get(1).map_or(select.span(), |t| t.span());
            return Err(if select.from.is_empty() {
                PlanError::invalid("a query needs a FROM clause naming a table", select.span())
            } else {
                PlanError::not_supported("a FROM list of several tables (joins)", span)
            });
        };
        if let Some(j) = from.joins.first() {
            return Err(PlanError::not_supported("JOIN", j.span()));
        }
        let (mut plan, scope) = self.relation(&from.relation)?;
        // Window columns exist only per group of a window aggregate; rows before it have none.
        let first_window_col = matches!(plan, LogicalPlan::Window { .. }).then(|| scope.schema.len() - WINDOW_COLUMNS.len());
        let group_exprs: &[Expr] = match &select.group_by {
            GroupByExpr::Expressions(e, modifiers) if modifiers.is_empty() => e,
            g => return Err(PlanError::not_supported("this form of GROUP BY", g.span())),
        };
        if let Some(pred) = &select.selection {
            if let Some(f) = first_aggregate(pred) {
                return Err(
                    PlanError::invalid("aggregates are not allowed in WHERE", f.name.span()).with_hint("use HAVING to filter groups")
                );
            }
            let predicate = bind_expr(pred, &scope)?;
            if !matches!(predicate.ty(), DataType::Boolean) && !is_null_literal(&predicate) {
                return Err(PlanError::invalid(format!("WHERE needs a BOOLEAN condition, not {}", predicate.ty()), pred.span()));
            }
            if let Some(first) = first_window_col {
                let mut reads_window = false;
                predicate.visit_columns(&mut |c| reads_window |= c >= first);
                if reads_window {
                    return Err(PlanError::not_supported("a WHERE condition on a window column", pred.span())
                        .with_hint("filter the window's rows with HAVING"));
                }
            }
            plan = LogicalPlan::Filter { input: Box::new(plan), predicate };
        }
        // GROUP BY, aggregates or HAVING make this an aggregation: the select list and HAVING are
        // then bound over the groups (keys, then aggregates), not over the input rows.
        let mut calls: Vec<&ast::Function> = Vec::new();
        for item in &select.projection {
            if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
                collect_aggregates(e, &mut calls);
            }
        }
        if let Some(h) = &select.having {
            collect_aggregates(h, &mut calls);
        }
        let scope = if group_exprs.is_empty() && calls.is_empty() && select.having.is_none() {
            if first_window_col.is_some() {
                return Err(PlanError::not_supported("reading a window table function without GROUP BY", select.span())
                    .with_hint("aggregate its rows: GROUP BY window_start, window_end, ..."));
            }
            scope
        } else {
            let group_exprs = resolve_ordinals(group_exprs, &select.projection)?;
            let (aggregated, agg_scope) = aggregate(plan, scope, &group_exprs, &calls)?;
            self.check_window_aggregate(&aggregated, select)?;
            plan = aggregated;
            if let Some(h) = &select.having {
                let predicate = bind_expr(h, &agg_scope)?;
                if predicate.ty() != DataType::Boolean && !is_null_literal(&predicate) {
                    return Err(PlanError::invalid(format!("HAVING needs a BOOLEAN condition, not {}", predicate.ty()), h.span()));
                }
                plan = LogicalPlan::Filter { input: Box::new(plan), predicate };
            }
            agg_scope
        };
        let mut exprs = Vec::new();
        let mut fields = Vec::new();
        for item in &select.projection {
            match item {
                SelectItem::Wildcard(_) if scope.grouping.is_some() => {
                    return Err(PlanError::invalid("SELECT * is not allowed with GROUP BY", item.span())
                        .with_hint("list the grouped columns and aggregates"));
                }
                SelectItem::Wildcard(_) => {
                    for (i, f) in scope.schema.fields.iter().enumerate() {
                        exprs.push(ScalarExpr::column(i, f.ty));
                        fields.push(f.clone());
                    }
                }
                SelectItem::QualifiedWildcard(..) if scope.grouping.is_some() => {
                    return Err(PlanError::invalid("SELECT t.* is not allowed with GROUP BY", item.span())
                        .with_hint("list the grouped columns and aggregates"));
                }
                SelectItem::QualifiedWildcard(kind, _) => {
                    let q = kind.to_string();
                    let q = q.trim_end_matches(".*").trim_end_matches('*').trim_end_matches('.');
                    if !scope.matches_qualifier(q) {
                        return Err(PlanError::invalid(format!("unknown table `{q}` in `{q}.*`"), item.span()));
                    }
                    for (i, f) in scope.schema.fields.iter().enumerate() {
                        exprs.push(ScalarExpr::column(i, f.ty));
                        fields.push(f.clone());
                    }
                }
                SelectItem::UnnamedExpr(e) => {
                    let b = bind_expr(e, &scope)?;
                    fields.push(Field::new(output_name(e), b.ty()));
                    exprs.push(b);
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    let b = bind_expr(expr, &scope)?;
                    fields.push(Field::new(alias.value.clone(), b.ty()));
                    exprs.push(b);
                }
                other => return Err(PlanError::not_supported(format!("select item `{other}`"), other.span())),
            }
        }
        let schema = Schema::new(fields);
        let project = LogicalPlan::Project { input: Box::new(plan), exprs, schema: schema.clone() };
        match &select.distinct {
            None | Some(ast::Distinct::All) => Ok(project),
            // SELECT DISTINCT is a GROUP BY of every output column, with no aggregates.
            Some(ast::Distinct::Distinct) => Ok(LogicalPlan::Aggregate {
                input: Box::new(project),
                group_by: schema.fields.iter().enumerate().map(|(i, f)| ScalarExpr::column(i, f.ty)).collect(),
                aggregates: Vec::new(),
                schema,
            }),
            Some(other) => Err(PlanError::not_supported(format!("SELECT {other}"), select.span())),
        }
    }

    fn relation(&self, rel: &TableFactor) -> Result<(LogicalPlan, Scope)> {
        match rel {
            TableFactor::Table { name, alias, args: None, .. } => self.table_scan(name, alias.as_ref().map(|a| a.name.value.clone())),
            TableFactor::TableFunction { expr, alias } => self.window_function(expr, alias.as_ref()),
            // A subquery's rows (a changelog if it aggregates) under its alias.
            TableFactor::Derived { lateral: false, subquery, alias, sample: None } => {
                let plan = self.query(subquery)?;
                let alias = alias.as_ref().map(|a| a.name.value.clone());
                let scope = Scope {
                    table: alias.clone().unwrap_or_default(),
                    alias,
                    schema: plan.schema().clone(),
                    grouping: None,
                    computed: Vec::new(),
                };
                Ok((plan, scope))
            }
            other => Err(PlanError::not_supported(format!("`{}` in FROM", first_words(&other.to_string())), other.span())),
        }
    }

    fn table_scan(&self, name: &ObjectName, alias: Option<String>) -> Result<(LogicalPlan, Scope)> {
        {
            {
                let table = object_name(name);
                let def = self.catalog.get(&table).ok_or_else(|| self.catalog.unknown_table(&table, name.span()))?;
                if def.schema.is_empty() {
                    return Err(PlanError::invalid(format!("table `{}` has no columns to read", def.name), name.span())
                        .with_hint("declare its columns in CREATE TABLE to use it as a source"));
                }
                let source = def.source().map_err(|e| def.option_error(e, name.span()))?;
                let scope = Scope { table: def.name.clone(), alias, schema: def.schema.clone(), grouping: None, computed: Vec::new() };
                Ok((def.scan(source, false), scope))
            }
        }
    }
}

impl Binder<'_> {
    /// `TUMBLE(TABLE t, DESCRIPTOR(ts), size)`, `HOP(TABLE t, DESCRIPTOR(ts), slide, size)` and
    /// `SESSION(TABLE t [PARTITION BY k], DESCRIPTOR(ts), gap)`: the table's columns and the
    /// window columns.
    fn window_function(&self, expr: &Expr, alias: Option<&ast::TableAlias>) -> Result<(LogicalPlan, Scope)> {
        let Expr::Function(f) = expr else {
            return Err(PlanError::not_supported(format!("the table function `{expr}`"), expr.span()));
        };
        let name = object_name(&f.name).to_ascii_uppercase();
        let usage = match name.as_str() {
            "TUMBLE" => "TUMBLE(TABLE t, DESCRIPTOR(ts), size)",
            "HOP" => "HOP(TABLE t, DESCRIPTOR(ts), slide, size)",
            "SESSION" => "SESSION(TABLE t [PARTITION BY k], DESCRIPTOR(ts), gap)",
            _ => {
                return Err(PlanError::invalid(format!("unknown table function {name}"), f.name.span())
                    .with_hint("the window table functions are TUMBLE, HOP and SESSION"));
            }
        };
        let FunctionArguments::List(list) = &f.args else {
            return Err(PlanError::invalid(format!("{name} needs arguments: {usage}"), expr.span()));
        };
        let mut args = Vec::new();
        for a in &list.args {
            match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => args.push(e),
                other => return Err(PlanError::not_supported(format!("the argument `{other}`"), other.span()).with_hint(usage)),
            }
        }
        let expected = if name == "HOP" { 4 } else { 3 };
        if args.len() != expected {
            return Err(PlanError::invalid(format!("{name} takes {expected} arguments, not {}", args.len()), expr.span()).with_hint(usage));
        }
        let (table, partition) = table_arg(args[0])
            .ok_or_else(|| PlanError::invalid(format!("the first argument of {name} is `TABLE name`"), args[0].span()).with_hint(usage))?;
        if let Some(p) = partition.first()
            && name != "SESSION"
        {
            return Err(PlanError::invalid("PARTITION BY applies only to SESSION windows", p.span()));
        }
        let table_alias = alias.map(|a| a.name.value.clone());
        let (input, input_scope) = self.table_scan(&table, table_alias)?;
        let def = self.catalog.get(&object_name(&table)).cloned().ok_or_else(|| internal(args[0].span()))?;
        let column = match args[1] {
            Expr::Function(d) if object_name(&d.name).eq_ignore_ascii_case("DESCRIPTOR") => match &d.args {
                FunctionArguments::List(l) => match l.args.as_slice() {
                    [FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Identifier(c)))] => Some(c),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        }
        .ok_or_else(|| {
            PlanError::invalid(format!("the second argument of {name} is DESCRIPTOR(time column)"), args[1].span()).with_hint(usage)
        })?;
        let time = input_scope.column(column)?;
        let ScalarExpr::Column { index: time_col, .. } = time else { return Err(internal(column.span)) };
        if time.ty() != DataType::Timestamp {
            return Err(PlanError::invalid(
                format!("{name} needs a TIMESTAMP(3) time column, but `{}` is {}", column.value, time.ty()),
                column.span,
            ));
        }
        let Some(event_time) = def.event_time.as_ref().filter(|et| et.column == time_col) else {
            let hint = match &def.event_time {
                Some(et) => format!("the event time of `{}` is `{}`", def.name, def.schema.fields[et.column].name),
                None => {
                    format!("declare it in CREATE TABLE {}: WATERMARK FOR {c} AS {c} - INTERVAL '1' SECOND", def.name, c = column.value)
                }
            };
            return Err(PlanError::invalid(format!("`{}` is not an event-time column of `{}`", column.value, def.name), column.span)
                .with_hint(hint));
        };
        let assigner = match name.as_str() {
            "TUMBLE" => WindowAssigner::Tumble { size: positive_interval(args[2], "TUMBLE size")? },
            "HOP" => {
                let slide = positive_interval(args[2], "HOP slide")?;
                let size = positive_interval(args[3], "HOP size")?;
                if size % slide != 0 {
                    return Err(PlanError::invalid(
                        format!("the HOP slide {} does not divide its size {}", args[2], args[3]),
                        args[2].span(),
                    )
                    .with_hint("every row must be in the same number of windows: make the size a multiple of the slide"));
                }
                WindowAssigner::Hop { slide, size }
            }
            _ => WindowAssigner::Session { gap: positive_interval(args[2], "SESSION gap")? },
        };
        let partition_by = partition.iter().map(|e| bind_expr(e, &input_scope)).collect::<Result<Vec<_>>>()?;
        let emit =
            WindowEmit { changes: self.options.emit_changes.unwrap_or(self.emit_changes), allowed_lateness: event_time.allowed_lateness };
        let mut fields = input_scope.schema.fields.clone();
        for w in WINDOW_COLUMNS {
            if let Some(f) = fields.iter().find(|f| f.name.eq_ignore_ascii_case(w)) {
                return Err(PlanError::invalid(format!("`{}` has a column `{}`, which {name} adds", def.name, f.name), args[0].span()));
            }
            fields.push(Field::new(w, DataType::Timestamp));
        }
        let schema = Schema::new(fields);
        let plan = LogicalPlan::Window { input: Box::new(input), assigner, time_col, partition_by, emit, schema: schema.clone() };
        let scope = Scope { table: input_scope.table, alias: input_scope.alias, schema, grouping: None, computed: Vec::new() };
        Ok((plan, scope))
    }

    /// Checks what a window aggregate may read and group by: both window bounds, keys that are
    /// not window columns (for SESSION, exactly its PARTITION BY keys), no window columns before
    /// the aggregation.
    fn check_window_aggregate(&self, plan: &LogicalPlan, select: &ast::Select) -> Result<()> {
        let LogicalPlan::Aggregate { input, group_by, aggregates, .. } = plan else { return Ok(()) };
        let Some((assigner, _)) = input.window() else { return Ok(()) };
        let mut window = input.as_ref();
        while let LogicalPlan::Filter { input, .. } = window {
            window = input;
        }
        let LogicalPlan::Window { schema, partition_by, .. } = window else { return Ok(()) };
        let first_window_col = schema.len() - WINDOW_COLUMNS.len();
        let is_window_col = |e: &ScalarExpr, k: usize| matches!(e, ScalarExpr::Column { index, .. } if *index == first_window_col + k);
        let group_span = match &select.group_by {
            GroupByExpr::Expressions(e, _) if !e.is_empty() => e[0].span(),
            _ => select.span(),
        };
        for (k, bound) in ["window_start", "window_end"].iter().enumerate() {
            if !group_by.iter().any(|e| is_window_col(e, k)) {
                return Err(PlanError::invalid(
                    format!("a {} window aggregate must GROUP BY window_start, window_end", assigner.name()),
                    group_span,
                )
                .with_hint(format!("add {bound} to GROUP BY")));
            }
        }
        // The GROUP BY items as written, in the order of `group_by`, to point at one.
        let group_items: &[Expr] = match &select.group_by {
            GroupByExpr::Expressions(e, _) => e,
            _ => &[],
        };
        let item_span = |i: usize| group_items.get(i).map_or(group_span, |e| e.span());
        let mut keys = Vec::new();
        for (i, e) in group_by.iter().enumerate() {
            if (0..WINDOW_COLUMNS.len()).any(|k| is_window_col(e, k)) {
                continue;
            }
            let mut reads_window = false;
            e.visit_columns(&mut |c| reads_window |= c >= first_window_col);
            if reads_window {
                return Err(PlanError::not_supported("a GROUP BY key computed from a window column", item_span(i))
                    .with_hint("group by window_start, window_end (and window_time) as they are"));
            }
            keys.push((i, e));
        }
        for a in aggregates {
            let mut reads_window = false;
            a.arg.iter().chain(&a.filter).for_each(|e| e.visit_columns(&mut |c| reads_window |= c >= first_window_col));
            if reads_window {
                return Err(PlanError::not_supported("an aggregate of a window column", select.span()));
            }
        }
        if let WindowAssigner::Session { .. } = assigner {
            let hint = "sessions are formed per PARTITION BY key: group by window_start, window_end and exactly those keys";
            if let Some((i, _)) = keys.iter().find(|(_, k)| !partition_by.contains(k)) {
                return Err(PlanError::not_supported("grouping SESSION windows by a key that is not a PARTITION BY key", item_span(*i))
                    .with_hint(hint));
            }
            if keys.len() != partition_by.len() {
                return Err(
                    PlanError::invalid("a SESSION window aggregate must GROUP BY every PARTITION BY key", group_span).with_hint(hint)
                );
            }
        }
        Ok(())
    }
}

/// `WATERMARK FOR column AS column [- INTERVAL ...]`: the table's event time.
fn bind_watermark(schema: &Schema, column: &ast::Ident, expr: &Expr) -> Result<EventTime> {
    let index = schema.index_of(&column.value).ok_or_else(|| {
        PlanError::invalid(format!("unknown column `{}` in WATERMARK", column.value), column.span)
            .with_hint_opt(did_you_mean(&column.value, schema.fields.iter().map(|f| f.name.as_str())))
    })?;
    let ty = schema.fields[index].ty;
    if ty != DataType::Timestamp {
        return Err(PlanError::invalid(format!("WATERMARK needs a TIMESTAMP(3) column, but `{}` is {ty}", column.value), column.span));
    }
    let form = || {
        PlanError::not_supported(format!("the WATERMARK expression `{expr}`"), expr.span())
            .with_hint(format!("write `{c}` or `{c} - INTERVAL '0.2' SECOND`", c = column.value))
    };
    let mut e = expr;
    while let Expr::Nested(inner) = e {
        e = inner;
    }
    let (base, delay) = match e {
        Expr::Identifier(base) => (base, 0),
        Expr::BinaryOp { left, op: BinaryOperator::Minus, right } => match left.as_ref() {
            Expr::Identifier(base) => (base, interval_millis(right)?),
            _ => return Err(form()),
        },
        _ => return Err(form()),
    };
    if !base.value.eq_ignore_ascii_case(&column.value) {
        return Err(PlanError::invalid(
            format!("the WATERMARK for `{}` must be computed from `{}`", column.value, column.value),
            base.span,
        ));
    }
    if delay < 0 {
        return Err(PlanError::invalid("a WATERMARK delay cannot be negative", expr.span()));
    }
    Ok(EventTime { column: index, delay, allowed_lateness: 0, late_sink: None })
}

/// An `INTERVAL '0.2' SECOND` (or `INTERVAL '5 s'`) in milliseconds; negative amounts allowed.
fn interval_millis(e: &Expr) -> Result<i64> {
    let bad = || {
        PlanError::invalid(format!("expected an interval such as INTERVAL '10' SECOND, not `{e}`"), e.span())
            .with_hint("units: MILLISECOND, SECOND, MINUTE, HOUR, DAY")
    };
    let Expr::Interval(iv) = e else { return Err(bad()) };
    if iv.last_field.is_some() {
        return Err(PlanError::not_supported("an INTERVAL ... TO ... range", e.span()));
    }
    let text = match iv.value.as_ref() {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => s.clone(),
            Value::Number(n, _) => n.clone(),
            _ => return Err(bad()),
        },
        _ => return Err(bad()),
    };
    let (negative, amount) = match text.trim().strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, text.trim().to_string()),
    };
    let ms = match &iv.leading_field {
        Some(field) => unit_millis(&field.to_string()).and_then(|u| amount_millis(&amount, u)),
        None => parse_duration(&amount),
    };
    let ms = ms.ok_or_else(|| {
        PlanError::invalid(format!("cannot read `{e}` as a whole number of milliseconds"), e.span())
            .with_hint("units: MILLISECOND, SECOND, MINUTE, HOUR, DAY")
    })?;
    Ok(if negative { -ms } else { ms })
}

/// A window size, slide or gap: an interval above zero.
fn positive_interval(e: &Expr, what: &str) -> Result<i64> {
    let ms = interval_millis(e)?;
    if ms <= 0 {
        return Err(PlanError::invalid(format!("the {what} must be a positive interval, not `{e}`"), e.span()));
    }
    Ok(ms)
}

fn first_words(s: &str) -> String {
    let w: Vec<&str> = s.split_whitespace().take(3).collect();
    w.join(" ")
}

/// The column name of an unnamed select item: the column's own name, else the expression's text.
fn output_name(e: &Expr) -> String {
    match e {
        Expr::Identifier(i) => i.value.clone(),
        Expr::CompoundIdentifier(parts) => parts.last().map_or_else(|| e.to_string(), |i| i.value.clone()),
        Expr::Nested(inner) => output_name(inner),
        other => other.to_string(),
    }
}

/// The columns an expression can name.
struct Scope {
    table: String,
    alias: Option<String>,
    schema: Schema,
    /// After GROUP BY: the input's scope and the bound group keys (output columns 0..k), and the
    /// SQL text of each key and aggregate with its output column.
    grouping: Option<Box<(Scope, Vec<ScalarExpr>)>>,
    computed: Vec<(String, usize)>,
}

impl Scope {
    fn matches_qualifier(&self, q: &str) -> bool {
        self.alias.as_deref().map_or(self.table.eq_ignore_ascii_case(q), |a| a.eq_ignore_ascii_case(q))
    }

    fn column(&self, name: &ast::Ident) -> Result<ScalarExpr> {
        match self.schema.index_of(&name.value) {
            Some(i) => Ok(ScalarExpr::column(i, self.schema.fields[i].ty)),
            None => Err(PlanError::invalid(format!("unknown column `{}` in `{}`", name.value, self.table), name.span)
                .with_hint_opt(did_you_mean(&name.value, self.schema.fields.iter().map(|f| f.name.as_str())))),
        }
    }
}

fn is_null_literal(e: &ScalarExpr) -> bool {
    matches!(e, ScalarExpr::Literal { value: Datum::Null, .. })
}

/// Casts that happen without being written: numeric widening and NULL.
fn implicitly_castable(from: DataType, to: DataType) -> bool {
    if from == to {
        return true;
    }
    match (from, to) {
        (DataType::Int, DataType::BigInt) => true,
        (a, DataType::Double) if a.is_numeric() => true,
        (a, DataType::Decimal { precision, scale }) => match a.as_decimal() {
            Some((p, s)) => s <= scale && p - s <= precision - scale,
            None => false,
        },
        _ => false,
    }
}

/// Casts `e` to `to`, folding a literal at plan time so a bad constant is reported with its
/// position instead of failing every row at run time.
fn cast_to(e: ScalarExpr, to: DataType, span: Span) -> Result<ScalarExpr> {
    if e.ty() == to {
        return Ok(e);
    }
    if is_null_literal(&e) {
        return Ok(ScalarExpr::literal(Datum::Null, to));
    }
    let cast = ScalarExpr::Cast { expr: Box::new(e), to };
    if let ScalarExpr::Cast { expr, .. } = &cast
        && matches!(expr.as_ref(), ScalarExpr::Literal { .. })
    {
        let col = cast.eval(&Batch::new(1, vec![])).map_err(|err| PlanError::invalid(err.to_string(), span))?;
        return Ok(ScalarExpr::literal(col.datum(0), to));
    }
    Ok(cast)
}

/// The type both operands of a numeric operation are brought to.
fn numeric_common(a: DataType, b: DataType) -> Option<DataType> {
    if !a.is_numeric() || !b.is_numeric() {
        return None;
    }
    Some(match (a, b) {
        (DataType::Double, _) | (_, DataType::Double) => DataType::Double,
        (DataType::Int, DataType::Int) => DataType::Int,
        (x, y) if x.is_integer() && y.is_integer() => DataType::BigInt,
        (x, y) => {
            let (p1, s1) = x.as_decimal()?;
            let (p2, s2) = y.as_decimal()?;
            let s = s1.max(s2);
            let p = ((p1 - s1).max(p2 - s2) + s).min(MAX_DECIMAL_PRECISION);
            DataType::Decimal { precision: p, scale: s }
        }
    })
}

/// The common type of CASE branches, COALESCE arguments and the like.
fn unify(exprs: &[ScalarExpr]) -> Option<DataType> {
    let mut ty: Option<DataType> = None;
    for e in exprs {
        if is_null_literal(e) {
            continue;
        }
        ty = Some(match ty {
            None => e.ty(),
            Some(t) if t == e.ty() => t,
            Some(t) => numeric_common(t, e.ty())?,
        });
    }
    Some(ty.unwrap_or(DataType::Varchar))
}

fn binary(op: BinaryOp, l: ScalarExpr, r: ScalarExpr, ty: DataType) -> ScalarExpr {
    ScalarExpr::Binary { op, left: Box::new(l), right: Box::new(r), ty }
}

/// Types `l op r` for arithmetic, following DuckDB where engines differ: `/` is DOUBLE division,
/// DECIMAL `*` adds precisions and scales, `+`/`-` keep the larger scale with one more digit.
fn arithmetic(op: BinaryOp, l: ScalarExpr, r: ScalarExpr, span: Span) -> Result<ScalarExpr> {
    let (lt, rt) = (l.ty(), r.ty());
    let (lt, rt) = match (is_null_literal(&l), is_null_literal(&r)) {
        (true, false) => (rt, rt),
        (false, true) => (lt, lt),
        _ => (lt, rt),
    };
    let Some(common) = numeric_common(lt, rt) else {
        return Err(PlanError::invalid(format!("cannot apply `{}` to {lt} and {rt}", op.symbol()), span)
            .with_hint("arithmetic needs numbers; CAST strings to a numeric type"));
    };
    if op == BinaryOp::Div {
        return Ok(binary(op, cast_to(l, DataType::Double, span)?, cast_to(r, DataType::Double, span)?, DataType::Double));
    }
    match common {
        DataType::Decimal { .. } => {
            let (p1, s1) = lt.as_decimal().unwrap_or((38, 0));
            let (p2, s2) = rt.as_decimal().unwrap_or((38, 0));
            let l = cast_to(l, DataType::Decimal { precision: p1, scale: s1 }, span)?;
            let r = cast_to(r, DataType::Decimal { precision: p2, scale: s2 }, span)?;
            let ty = match op {
                BinaryOp::Mul => {
                    let s = s1 + s2;
                    if s > MAX_DECIMAL_PRECISION {
                        return Err(PlanError::invalid(format!("DECIMAL product of scale {s} exceeds 38 digits"), span));
                    }
                    DataType::Decimal { precision: (p1 + p2).min(MAX_DECIMAL_PRECISION), scale: s }
                }
                BinaryOp::Mod => common,
                _ => {
                    let s = s1.max(s2);
                    DataType::Decimal { precision: ((p1 - s1).max(p2 - s2) + s + 1).min(MAX_DECIMAL_PRECISION), scale: s }
                }
            };
            Ok(binary(op, l, r, ty))
        }
        DataType::Double => Ok(binary(op, cast_to(l, DataType::Double, span)?, cast_to(r, DataType::Double, span)?, DataType::Double)),
        int => Ok(binary(op, retype_null(l, int), retype_null(r, int), int)),
    }
}

fn retype_null(e: ScalarExpr, ty: DataType) -> ScalarExpr {
    if is_null_literal(&e) { ScalarExpr::literal(Datum::Null, ty) } else { e }
}

/// Types a comparison, bringing both sides to one type (a string literal compared with a
/// timestamp is read as a timestamp).
fn comparison(op: BinaryOp, l: ScalarExpr, r: ScalarExpr, span: Span) -> Result<ScalarExpr> {
    let (lt, rt) = (l.ty(), r.ty());
    let is_str_lit = |e: &ScalarExpr| matches!(e, ScalarExpr::Literal { value: Datum::Str(_), .. });
    let (l, r) = if is_null_literal(&l) {
        (ScalarExpr::literal(Datum::Null, rt), r)
    } else if is_null_literal(&r) {
        (l, ScalarExpr::literal(Datum::Null, lt))
    } else if lt == rt {
        (l, r)
    } else if let Some(common) = numeric_common(lt, rt) {
        match common {
            DataType::Decimal { .. } => {
                let (p1, s1) = lt.as_decimal().unwrap_or((38, 0));
                let (p2, s2) = rt.as_decimal().unwrap_or((38, 0));
                (
                    cast_to(l, DataType::Decimal { precision: p1, scale: s1 }, span)?,
                    cast_to(r, DataType::Decimal { precision: p2, scale: s2 }, span)?,
                )
            }
            DataType::Double => (cast_to(l, DataType::Double, span)?, cast_to(r, DataType::Double, span)?),
            _ => (l, r),
        }
    } else if is_str_lit(&r) && rt == DataType::Varchar {
        (l, cast_to(r, lt, span)?)
    } else if is_str_lit(&l) && lt == DataType::Varchar {
        let l = cast_to(l, rt, span)?;
        (l, r)
    } else {
        return Err(PlanError::invalid(format!("cannot compare {lt} with {rt}"), span).with_hint("CAST one side to the other's type"));
    };
    Ok(binary(op, l, r, DataType::Boolean))
}

fn boolean(e: ScalarExpr, what: &str, span: Span) -> Result<ScalarExpr> {
    match e.ty() {
        DataType::Boolean => Ok(e),
        _ if is_null_literal(&e) => Ok(ScalarExpr::literal(Datum::Null, DataType::Boolean)),
        t => Err(PlanError::invalid(format!("{what} needs BOOLEAN operands, not {t}"), span)),
    }
}

fn varchar(e: ScalarExpr, func: &str, span: Span) -> Result<ScalarExpr> {
    match e.ty() {
        DataType::Varchar => Ok(e),
        _ if is_null_literal(&e) => Ok(ScalarExpr::literal(Datum::Null, DataType::Varchar)),
        t => Err(PlanError::invalid(format!("{func} needs a VARCHAR argument, not {t}"), span).with_hint("CAST it to VARCHAR")),
    }
}

/// A numeric literal's type: INT or BIGINT if it is an integer that fits, DECIMAL(p, s) for digits
/// with a point, DOUBLE with an exponent (as DuckDB types them).
fn number_literal(text: &str, span: Span) -> Result<ScalarExpr> {
    if let Some(v) = vstream_repr::expr::parse_i64(text.as_bytes()) {
        let ty = if i32::try_from(v).is_ok() { DataType::Int } else { DataType::BigInt };
        return Ok(ScalarExpr::literal(Datum::Int(v), ty));
    }
    if text.contains(['e', 'E']) {
        return text
            .parse::<f64>()
            .map(|v| ScalarExpr::literal(Datum::Double(v), DataType::Double))
            .map_err(|_| PlanError::invalid(format!("invalid number {text}"), span));
    }
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let int_digits = int.trim_start_matches('0').len();
    let scale = frac.len();
    let precision = (int_digits + scale).max(1).max(scale);
    if precision > MAX_DECIMAL_PRECISION as usize {
        return text
            .parse::<f64>()
            .map(|v| ScalarExpr::literal(Datum::Double(v), DataType::Double))
            .map_err(|_| PlanError::invalid(format!("invalid number {text}"), span));
    }
    let m = decimal::parse(text.as_bytes(), scale as u8).ok_or_else(|| PlanError::invalid(format!("invalid number {text}"), span))?;
    Ok(ScalarExpr::literal(Datum::Decimal(m), DataType::Decimal { precision: precision as u8, scale: scale as u8 }))
}

fn bind_expr(e: &Expr, scope: &Scope) -> Result<ScalarExpr> {
    let span = e.span();
    if let Some(grouping) = &scope.grouping {
        // Over groups, a name or expression means a group key or an aggregate, matched by its
        // SQL text (`auction % 10` in SELECT is the key `auction % 10` of GROUP BY).
        let text = e.to_string();
        if let Some((_, i)) = scope.computed.iter().find(|(t, _)| *t == text) {
            return Ok(ScalarExpr::column(*i, scope.schema.fields[*i].ty));
        }
        if let Expr::Identifier(_) | Expr::CompoundIdentifier(_) = e {
            let (input_scope, keys) = grouping.as_ref();
            let bound = bind_expr(e, input_scope)?;
            return match keys.iter().position(|k| *k == bound) {
                Some(i) => Ok(ScalarExpr::column(i, scope.schema.fields[i].ty)),
                None => Err(PlanError::invalid(format!("column `{text}` must appear in GROUP BY or be used in an aggregate"), span)
                    .with_hint(format!("add `{text}` to GROUP BY, or aggregate it (e.g. MAX({text}))"))),
            };
        }
    }
    match e {
        Expr::Identifier(i) => scope.column(i),
        Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [q, c] if scope.matches_qualifier(&q.value) => scope.column(c),
            [q, _] => Err(PlanError::invalid(format!("unknown table `{}`", q.value), q.span)
                .with_hint_opt(did_you_mean(&q.value, [scope.table.as_str()].into_iter().chain(scope.alias.as_deref())))),
            _ => Err(PlanError::not_supported(format!("the name `{e}`"), span)),
        },
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => number_literal(n, span),
            Value::SingleQuotedString(s) => Ok(ScalarExpr::literal(Datum::Str(s.clone()), DataType::Varchar)),
            Value::Boolean(b) => Ok(ScalarExpr::literal(Datum::Bool(*b), DataType::Boolean)),
            Value::Null => Ok(ScalarExpr::literal(Datum::Null, DataType::Varchar)),
            other => Err(PlanError::not_supported(format!("the literal {other}"), span)),
        },
        Expr::TypedString(ts) => {
            let ty = data_type(&ts.data_type, span)?;
            let text = match &ts.value.value {
                Value::SingleQuotedString(s) => s.clone(),
                other => other.to_string(),
            };
            cast_to(ScalarExpr::literal(Datum::Str(text), DataType::Varchar), ty, span)
        }
        Expr::Nested(inner) => bind_expr(inner, scope),
        Expr::UnaryOp { op, expr } => {
            let inner = bind_expr(expr, scope)?;
            match op {
                UnaryOperator::Not => Ok(ScalarExpr::Unary { op: UnaryOp::Not, expr: Box::new(boolean(inner, "NOT", span)?) }),
                UnaryOperator::Minus => {
                    // Fold `-5` so the literal's type is right (`-2147483648` is an INT).
                    if let ScalarExpr::Literal { .. } = inner
                        && let Expr::Value(v) = expr.as_ref()
                        && let Value::Number(n, _) = &v.value
                    {
                        return number_literal(&format!("-{n}"), span);
                    }
                    if !inner.ty().is_numeric() && !is_null_literal(&inner) {
                        return Err(PlanError::invalid(format!("cannot negate {}", inner.ty()), span));
                    }
                    Ok(ScalarExpr::Unary { op: UnaryOp::Neg, expr: Box::new(inner) })
                }
                UnaryOperator::Plus => Ok(inner),
                other => Err(PlanError::not_supported(format!("the operator {other}"), span)),
            }
        }
        Expr::BinaryOp { left, op, right } => {
            let l = bind_expr(left, scope)?;
            let r = bind_expr(right, scope)?;
            let cmp = |o| comparison(o, l.clone(), r.clone(), span);
            match op {
                BinaryOperator::Plus => arithmetic(BinaryOp::Add, l, r, span),
                BinaryOperator::Minus => arithmetic(BinaryOp::Sub, l, r, span),
                BinaryOperator::Multiply => arithmetic(BinaryOp::Mul, l, r, span),
                BinaryOperator::Divide => arithmetic(BinaryOp::Div, l, r, span),
                BinaryOperator::Modulo => arithmetic(BinaryOp::Mod, l, r, span),
                BinaryOperator::Eq => cmp(BinaryOp::Eq),
                BinaryOperator::NotEq => cmp(BinaryOp::NotEq),
                BinaryOperator::Lt => cmp(BinaryOp::Lt),
                BinaryOperator::LtEq => cmp(BinaryOp::LtEq),
                BinaryOperator::Gt => cmp(BinaryOp::Gt),
                BinaryOperator::GtEq => cmp(BinaryOp::GtEq),
                BinaryOperator::And => Ok(binary(BinaryOp::And, boolean(l, "AND", span)?, boolean(r, "AND", span)?, DataType::Boolean)),
                BinaryOperator::Or => Ok(binary(BinaryOp::Or, boolean(l, "OR", span)?, boolean(r, "OR", span)?, DataType::Boolean)),
                BinaryOperator::StringConcat => {
                    // `a || b` is NULL when either side is (unlike CONCAT, which skips NULLs).
                    let (l, r) = (cast_to(l, DataType::Varchar, span)?, cast_to(r, DataType::Varchar, span)?);
                    let either_null = binary(
                        BinaryOp::Or,
                        ScalarExpr::Unary { op: UnaryOp::IsNull, expr: Box::new(l.clone()) },
                        ScalarExpr::Unary { op: UnaryOp::IsNull, expr: Box::new(r.clone()) },
                        DataType::Boolean,
                    );
                    Ok(ScalarExpr::Case {
                        branches: vec![(either_null, ScalarExpr::literal(Datum::Null, DataType::Varchar))],
                        otherwise: Box::new(ScalarExpr::Call { func: Func::Concat, args: vec![l, r], ty: DataType::Varchar }),
                        ty: DataType::Varchar,
                    })
                }
                other => Err(PlanError::not_supported(format!("the operator {other}"), span)),
            }
        }
        Expr::IsNull(inner) => Ok(ScalarExpr::Unary { op: UnaryOp::IsNull, expr: Box::new(bind_expr(inner, scope)?) }),
        Expr::IsNotNull(inner) => Ok(ScalarExpr::Unary { op: UnaryOp::IsNotNull, expr: Box::new(bind_expr(inner, scope)?) }),
        Expr::Between { expr, negated, low, high } => {
            let x = bind_expr(expr, scope)?;
            let lo = comparison(BinaryOp::GtEq, x.clone(), bind_expr(low, scope)?, span)?;
            let hi = comparison(BinaryOp::LtEq, x, bind_expr(high, scope)?, span)?;
            let both = binary(BinaryOp::And, lo, hi, DataType::Boolean);
            Ok(if *negated { ScalarExpr::Unary { op: UnaryOp::Not, expr: Box::new(both) } } else { both })
        }
        Expr::In { target: ast::InTarget::List(list), expr, negated, .. } => {
            // `x IN (a, b)` is `x = a OR x = b` under three-valued logic, which is SQL's meaning.
            let x = bind_expr(expr, scope)?;
            let mut any: Option<ScalarExpr> = None;
            for item in list {
                let eq = comparison(BinaryOp::Eq, x.clone(), bind_expr(item, scope)?, item.span())?;
                any = Some(match any {
                    None => eq,
                    Some(prev) => binary(BinaryOp::Or, prev, eq, DataType::Boolean),
                });
            }
            let any = any.ok_or_else(|| PlanError::invalid("IN needs at least one value", span))?;
            Ok(if *negated { ScalarExpr::Unary { op: UnaryOp::Not, expr: Box::new(any) } } else { any })
        }
        Expr::Like { negated, any: false, expr, pattern, escape_char } => {
            let s = varchar(bind_expr(expr, scope)?, "LIKE", span)?;
            let p = varchar(bind_expr(pattern, scope)?, "LIKE", span)?;
            let mut args = vec![s, p];
            if let Some(e) = escape_char {
                let text = e.to_string();
                let esc = text.trim_matches('\'');
                if esc.chars().count() != 1 {
                    return Err(PlanError::invalid(format!("ESCAPE takes one character, not {text}"), span));
                }
                args.push(ScalarExpr::literal(Datum::Str(esc.to_string()), DataType::Varchar));
            }
            Ok(ScalarExpr::Call { func: Func::Like { negated: *negated }, args, ty: DataType::Boolean })
        }
        Expr::Case { operand, conditions, else_result, .. } => {
            let operand = operand.as_ref().map(|o| bind_expr(o, scope)).transpose()?;
            let mut conds = Vec::new();
            let mut results = Vec::new();
            for w in conditions {
                let c = bind_expr(&w.condition, scope)?;
                let c = match &operand {
                    Some(o) => comparison(BinaryOp::Eq, o.clone(), c, w.condition.span())?,
                    None => boolean(c, "CASE WHEN", w.condition.span())?,
                };
                conds.push(c);
                results.push(bind_expr(&w.result, scope)?);
            }
            let otherwise = match else_result {
                Some(e) => bind_expr(e, scope)?,
                None => ScalarExpr::literal(Datum::Null, DataType::Varchar),
            };
            results.push(otherwise);
            let ty = unify(&results).ok_or_else(|| {
                let tys: Vec<String> = results.iter().filter(|e| !is_null_literal(e)).map(|e| e.ty().to_string()).collect();
                PlanError::invalid(format!("CASE branches have incompatible types: {}", tys.join(", ")), span)
            })?;
            let mut results = results.into_iter().map(|r| cast_to(r, ty, span)).collect::<Result<Vec<_>>>()?;
            let otherwise = results.pop().unwrap_or(ScalarExpr::literal(Datum::Null, ty));
            Ok(ScalarExpr::Case { branches: conds.into_iter().zip(results).collect(), otherwise: Box::new(otherwise), ty })
        }
        Expr::Cast { kind, expr, data_type: dt, format: None } => {
            if !matches!(kind, CastKind::Cast | CastKind::DoubleColon) {
                return Err(PlanError::not_supported(format!("{kind:?}"), span));
            }
            let inner = bind_expr(expr, scope)?;
            let to = data_type(dt, span)?;
            let from = inner.ty();
            let ok = from == to
                || is_null_literal(&inner)
                || to == DataType::Varchar
                || from == DataType::Varchar
                || (from.is_numeric() && to.is_numeric())
                || (from == DataType::Boolean && to.is_numeric())
                || (from.is_numeric() && to == DataType::Boolean);
            if !ok {
                return Err(PlanError::invalid(format!("cannot cast {from} to {to}"), span));
            }
            cast_to(inner, to, span)
        }
        Expr::Substring { expr, substring_from, substring_for, .. } => {
            let mut args = vec![varchar(bind_expr(expr, scope)?, "SUBSTRING", span)?];
            let from = match substring_from {
                Some(f) => bind_expr(f, scope)?,
                None => ScalarExpr::literal(Datum::Int(1), DataType::BigInt),
            };
            args.push(integer_arg(from, "SUBSTRING", span)?);
            if let Some(l) = substring_for {
                args.push(integer_arg(bind_expr(l, scope)?, "SUBSTRING", span)?);
            }
            Ok(ScalarExpr::Call { func: Func::Substring, args, ty: DataType::Varchar })
        }
        Expr::Trim { expr, trim_where, trim_what, trim_characters } => {
            if trim_characters.is_some() {
                return Err(PlanError::not_supported("TRIM with a character list", span));
            }
            let side = match trim_where {
                None | Some(TrimWhereField::Both) => TrimSide::Both,
                Some(TrimWhereField::Leading) => TrimSide::Leading,
                Some(TrimWhereField::Trailing) => TrimSide::Trailing,
            };
            let s = varchar(bind_expr(expr, scope)?, "TRIM", span)?;
            let chars = match trim_what {
                Some(w) => varchar(bind_expr(w, scope)?, "TRIM", span)?,
                None => ScalarExpr::literal(Datum::Str(" ".into()), DataType::Varchar),
            };
            Ok(ScalarExpr::Call { func: Func::Trim(side), args: vec![s, chars], ty: DataType::Varchar })
        }
        Expr::Function(f) => bind_function(f, scope),
        Expr::Interval(_) => Err(PlanError::not_supported("INTERVAL values", span).with_hint("intervals arrive with event-time windows")),
        other => Err(PlanError::not_supported(format!("the expression `{other}`"), span)),
    }
}

fn integer_arg(e: ScalarExpr, func: &str, span: Span) -> Result<ScalarExpr> {
    if e.ty().is_integer() {
        Ok(cast_to(e, DataType::BigInt, span)?)
    } else if is_null_literal(&e) {
        Ok(ScalarExpr::literal(Datum::Null, DataType::BigInt))
    } else {
        Err(PlanError::invalid(format!("{func} needs an integer here, not {}", e.ty()), span))
    }
}

const FUNCTIONS: &[&str] = &[
    "MOD",
    "ABS",
    "UPPER",
    "LOWER",
    "LENGTH",
    "CHAR_LENGTH",
    "CHARACTER_LENGTH",
    "SUBSTRING",
    "SUBSTR",
    "CONCAT",
    "TRIM",
    "LTRIM",
    "RTRIM",
    "COALESCE",
];
const AGGREGATES: &[&str] = &["COUNT", "SUM", "MIN", "MAX", "AVG"];

fn bind_function(f: &ast::Function, scope: &Scope) -> Result<ScalarExpr> {
    let span = f.name.span();
    let name = object_name(&f.name).to_ascii_uppercase();
    if AGGREGATES.contains(&name.as_str()) {
        // Aggregates are bound up front (see `aggregate`); one reaching here is misplaced.
        return Err(PlanError::invalid(format!("aggregate {name} cannot be used here"), span)
            .with_hint("aggregates belong in SELECT or HAVING, and cannot be nested"));
    }
    if f.over.is_some() || f.filter.is_some() {
        return Err(PlanError::not_supported(format!("{name} with OVER or FILTER"), span));
    }
    let args: Vec<&Expr> = match &f.args {
        FunctionArguments::List(list) => {
            if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
                return Err(PlanError::not_supported(format!("{name} with DISTINCT or clauses"), span));
            }
            list.args
                .iter()
                .map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(e),
                    other => Err(PlanError::not_supported(format!("the argument `{other}`"), span)),
                })
                .collect::<Result<_>>()?
        }
        FunctionArguments::None => vec![],
        FunctionArguments::Subquery(_) => return Err(PlanError::not_supported("a subquery argument", span)),
    };
    let arity = |n: std::ops::RangeInclusive<usize>| {
        if n.contains(&args.len()) {
            Ok(())
        } else {
            let want = if n.start() == n.end() { n.start().to_string() } else { format!("{} to {}", n.start(), n.end()) };
            Err(PlanError::invalid(format!("{name} takes {want} arguments, not {}", args.len()), f.span()))
        }
    };
    let bound = args.iter().map(|a| bind_expr(a, scope)).collect::<Result<Vec<_>>>()?;
    match name.as_str() {
        "MOD" => {
            arity(2..=2)?;
            let mut b = bound.into_iter();
            let (l, r) = (b.next(), b.next());
            arithmetic(BinaryOp::Mod, l.ok_or_else(|| internal(span))?, r.ok_or_else(|| internal(span))?, f.span())
        }
        "ABS" => {
            arity(1..=1)?;
            let x = bound.into_iter().next().ok_or_else(|| internal(span))?;
            if !x.ty().is_numeric() {
                return Err(PlanError::invalid(format!("ABS needs a number, not {}", x.ty()), f.span()));
            }
            let ty = x.ty();
            Ok(ScalarExpr::Call { func: Func::Abs, args: vec![x], ty })
        }
        "UPPER" | "LOWER" => {
            arity(1..=1)?;
            let x = varchar(bound.into_iter().next().ok_or_else(|| internal(span))?, &name, f.span())?;
            let func = if name == "UPPER" { Func::Upper } else { Func::Lower };
            Ok(ScalarExpr::Call { func, args: vec![x], ty: DataType::Varchar })
        }
        "LENGTH" | "CHAR_LENGTH" | "CHARACTER_LENGTH" => {
            arity(1..=1)?;
            let x = varchar(bound.into_iter().next().ok_or_else(|| internal(span))?, &name, f.span())?;
            Ok(ScalarExpr::Call { func: Func::Length, args: vec![x], ty: DataType::BigInt })
        }
        "SUBSTRING" | "SUBSTR" => {
            arity(2..=3)?;
            let mut b = bound.into_iter();
            let mut args = vec![varchar(b.next().ok_or_else(|| internal(span))?, &name, f.span())?];
            for a in b {
                args.push(integer_arg(a, &name, f.span())?);
            }
            Ok(ScalarExpr::Call { func: Func::Substring, args, ty: DataType::Varchar })
        }
        "CONCAT" => {
            arity(1..=usize::MAX)?;
            let args = bound.into_iter().map(|a| cast_to(a, DataType::Varchar, f.span())).collect::<Result<_>>()?;
            Ok(ScalarExpr::Call { func: Func::Concat, args, ty: DataType::Varchar })
        }
        "TRIM" | "LTRIM" | "RTRIM" => {
            arity(1..=2)?;
            let side = match name.as_str() {
                "LTRIM" => TrimSide::Leading,
                "RTRIM" => TrimSide::Trailing,
                _ => TrimSide::Both,
            };
            let mut b = bound.into_iter();
            let s = varchar(b.next().ok_or_else(|| internal(span))?, &name, f.span())?;
            let chars = match b.next() {
                Some(c) => varchar(c, &name, f.span())?,
                None => ScalarExpr::literal(Datum::Str(" ".into()), DataType::Varchar),
            };
            Ok(ScalarExpr::Call { func: Func::Trim(side), args: vec![s, chars], ty: DataType::Varchar })
        }
        "COALESCE" => {
            arity(1..=usize::MAX)?;
            let ty = unify(&bound).ok_or_else(|| {
                let tys: Vec<String> = bound.iter().map(|e| e.ty().to_string()).collect();
                PlanError::invalid(format!("COALESCE arguments have incompatible types: {}", tys.join(", ")), f.span())
            })?;
            let args = bound.into_iter().map(|a| cast_to(a, ty, f.span())).collect::<Result<_>>()?;
            Ok(ScalarExpr::Call { func: Func::Coalesce, args, ty })
        }
        "TUMBLE" | "HOP" | "SESSION" | "CUMULATE" => Err(PlanError::not_supported(format!("{name} outside FROM TABLE(...)"), span)),
        _ => {
            Err(PlanError::invalid(format!("unknown function `{name}`"), span)
                .with_hint_opt(did_you_mean(&name, FUNCTIONS.iter().copied())))
        }
    }
}

fn internal(span: Span) -> PlanError {
    PlanError::invalid("internal error: missing argument", span)
}

fn aggregate_func(name: &str) -> Option<AggFunc> {
    Some(match name {
        "COUNT" => AggFunc::Count,
        "SUM" => AggFunc::Sum,
        "MIN" => AggFunc::Min,
        "MAX" => AggFunc::Max,
        "AVG" => AggFunc::Avg,
        _ => return None,
    })
}

fn is_aggregate(f: &ast::Function) -> bool {
    aggregate_func(&object_name(&f.name).to_ascii_uppercase()).is_some()
}

/// The direct sub-expressions of `e` that may hold an aggregate call.
fn children(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::BinaryOp { left, right, .. } => vec![left, right],
        Expr::UnaryOp { expr, .. }
        | Expr::Nested(expr)
        | Expr::IsNull(expr)
        | Expr::IsNotNull(expr)
        | Expr::Cast { expr, .. }
        | Expr::Trim { expr, .. } => {
            vec![expr]
        }
        Expr::Between { expr, low, high, .. } => vec![expr, low, high],
        Expr::Like { expr, pattern, .. } => vec![expr, pattern],
        Expr::In { expr, target: ast::InTarget::List(list), .. } => std::iter::once(expr.as_ref()).chain(list).collect(),
        Expr::Substring { expr, substring_from, substring_for, .. } => {
            std::iter::once(expr.as_ref()).chain(substring_from.as_deref()).chain(substring_for.as_deref()).collect()
        }
        Expr::Case { operand, conditions, else_result, .. } => operand
            .as_deref()
            .into_iter()
            .chain(conditions.iter().flat_map(|w| [&w.condition, &w.result]))
            .chain(else_result.as_deref())
            .collect(),
        Expr::Function(f) => match &f.args {
            FunctionArguments::List(list) => list
                .args
                .iter()
                .filter_map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                    _ => None,
                })
                .collect(),
            _ => vec![],
        },
        _ => vec![],
    }
}

/// Every aggregate call in `e`, not looking inside one (a nested aggregate is refused later).
fn collect_aggregates<'a>(e: &'a Expr, out: &mut Vec<&'a ast::Function>) {
    if let Expr::Function(f) = e
        && is_aggregate(f)
    {
        out.push(f);
        return;
    }
    for c in children(e) {
        collect_aggregates(c, out);
    }
}

fn first_aggregate(e: &Expr) -> Option<&ast::Function> {
    let mut found = Vec::new();
    collect_aggregates(e, &mut found);
    found.into_iter().next()
}

/// Builds the Aggregate for `group_exprs` and the aggregate `calls`, and the scope that binds the
/// select list and HAVING over its output.
fn aggregate(input: LogicalPlan, scope: Scope, group_exprs: &[Expr], calls: &[&ast::Function]) -> Result<(LogicalPlan, Scope)> {
    let mut group_by = Vec::new();
    // A key's text without outer parentheses, so `GROUP BY (a % 3)` matches `a % 3` in SELECT.
    fn unparenthesized(mut e: &Expr) -> &Expr {
        while let Expr::Nested(inner) = e {
            e = inner;
        }
        e
    }
    let mut fields = Vec::new();
    let mut computed = Vec::new();
    for g in group_exprs {
        if let Some(f) = first_aggregate(g) {
            return Err(PlanError::invalid("aggregates are not allowed in GROUP BY", f.name.span()));
        }
        let b = bind_expr(g, &scope)?;
        computed.push((unparenthesized(g).to_string(), group_by.len()));
        fields.push(Field::new(output_name(g), b.ty()));
        group_by.push(b);
    }
    let mut aggregates = Vec::new();
    for f in calls {
        let text = Expr::Function((*f).clone()).to_string();
        if computed.iter().any(|(t, _)| *t == text) {
            continue;
        }
        let call = bind_aggregate(f, &scope)?;
        computed.push((text.clone(), fields.len()));
        fields.push(Field::new(text, call.ty));
        aggregates.push(call);
    }
    let schema = Schema::new(fields);
    let plan = LogicalPlan::Aggregate { input: Box::new(input), group_by: group_by.clone(), aggregates, schema: schema.clone() };
    let agg_scope =
        Scope { table: scope.table.clone(), alias: scope.alias.clone(), schema, grouping: Some(Box::new((scope, group_by))), computed };
    Ok((plan, agg_scope))
}

fn bind_aggregate(f: &ast::Function, scope: &Scope) -> Result<AggregateCall> {
    let span = f.name.span();
    let name = object_name(&f.name).to_ascii_uppercase();
    let func = aggregate_func(&name).ok_or_else(|| internal(span))?;
    if f.over.is_some() {
        return Err(PlanError::not_supported(format!("{name} OVER (...) (window functions)"), span));
    }
    let FunctionArguments::List(list) = &f.args else {
        return Err(PlanError::invalid(format!("{name} needs an argument"), call_span(f)));
    };
    if !list.clauses.is_empty() {
        return Err(PlanError::not_supported(format!("{name} with ORDER BY or other clauses"), f.span()));
    }
    let distinct = matches!(list.duplicate_treatment, Some(ast::DuplicateTreatment::Distinct));
    let arg = match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Wildcard)] if func == AggFunc::Count && !distinct => None,
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(e))] => {
            if let Some(inner) = first_aggregate(e) {
                return Err(PlanError::invalid("aggregates cannot be nested", inner.name.span()));
            }
            Some(bind_expr(e, scope)?)
        }
        _ => return Err(PlanError::invalid(format!("{name} takes one argument"), call_span(f))),
    };
    let arg_ty = arg.as_ref().map(ScalarExpr::ty);
    let ty = func.result_type(arg_ty).ok_or_else(|| {
        PlanError::invalid(
            format!("{name} needs a numeric argument, not {}", arg_ty.map_or("*".to_string(), |t| t.to_string())),
            call_span(f),
        )
    })?;
    let filter = match &f.filter {
        Some(cond) => Some(boolean(bind_expr(cond, scope)?, "FILTER (WHERE ...)", cond.span())?),
        None => None,
    };
    Ok(AggregateCall { func, arg, distinct, filter, ty })
}

/// A function call's span, closing parenthesis included (sqlparser's ends before it).
fn call_span(f: &ast::Function) -> Span {
    let mut span = f.span();
    if matches!(f.args, FunctionArguments::List(_)) && span.end.line == span.start.line {
        span.end.column += 1;
    }
    span
}

/// `GROUP BY 2` means the second select item, as in DuckDB and Postgres.
fn resolve_ordinals(group_exprs: &[Expr], projection: &[SelectItem]) -> Result<Vec<Expr>> {
    group_exprs
        .iter()
        .map(|g| {
            let Expr::Value(v) = g else { return Ok(g.clone()) };
            let Value::Number(n, _) = &v.value else { return Ok(g.clone()) };
            let item = n.parse::<usize>().ok().filter(|i| *i >= 1).and_then(|i| projection.get(i - 1));
            match item {
                Some(SelectItem::UnnamedExpr(e)) | Some(SelectItem::ExprWithAlias { expr: e, .. }) => {
                    if let Some(f) = first_aggregate(e) {
                        return Err(PlanError::invalid(format!("GROUP BY {n} refers to an aggregate"), f.name.span()));
                    }
                    Ok(e.clone())
                }
                _ => Err(PlanError::invalid(format!("GROUP BY {n}: there is no select item {n}"), g.span())
                    .with_hint(format!("the select list has {} items", projection.len()))),
            }
        })
        .collect()
}

/// Checks a Kafka sink's `'key.fields'` against the written columns, and gives an upsert sink
/// without them the GROUP BY key: the message key of each row.
fn kafka_sink_keys(
    mut k: vstream_connector_spec::kafka::KafkaSink,
    query: &LogicalPlan,
    table: &str,
    span: Span,
) -> Result<vstream_connector_spec::kafka::KafkaSink> {
    let schema = query.schema();
    for f in &k.key_fields {
        if !schema.fields.iter().any(|c| c.name.eq_ignore_ascii_case(f)) {
            let names: Vec<&str> = schema.fields.iter().map(|c| c.name.as_str()).collect();
            return Err(PlanError::invalid(format!("'key.fields' of `{table}` names `{f}`, which the query does not write"), span)
                .with_hint(format!("written columns: {}", names.join(", "))));
        }
    }
    if k.upsert && k.key_fields.is_empty() {
        match query.upsert_key() {
            Some(key) => k.upsert_key = Some(key),
            None => {
                return Err(PlanError::invalid(
                    format!("upsert sink `{table}` needs a key: the query's GROUP BY columns among the written ones, or 'key.fields'"),
                    span,
                )
                .with_hint("write every GROUP BY column, or name the key with 'key.fields' = 'a;b'"));
            }
        }
    }
    Ok(k)
}
