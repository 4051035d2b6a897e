//! DDL and writes: `CREATE TABLE` (column types, options, `WATERMARK`, metadata columns), `SET`,
//! and the sinks a query writes to (`INSERT INTO`, `CREATE TABLE ... AS`, late-row sinks).

use super::expr::{implicitly_castable, interval_millis};
use super::{Binder, Result, TableDef, object_name, option_error, option_span};
use crate::dialect::{computed_column, metadata_column, watermark};
use crate::error::{PlanError, did_you_mean};
use crate::logical::{LogicalPlan, SinkPlan};
use sqlparser::ast::{self as ast, BinaryOperator, CreateTableOptions, Expr, ObjectName, Spanned, SqlOption, TableObject, Value};
use sqlparser::tokenizer::Span;
use vstream_connector_spec::kafka::{KafkaSink, MetadataField};
use vstream_connector_spec::{ConnectorKind, SinkSpec, TableConnector};
use vstream_repr::types::MAX_DECIMAL_PRECISION;
use vstream_repr::{DataType, EventTime, Field, ScalarExpr, Schema};

/// The SQL type a column definition names.
pub(super) fn data_type(ty: &ast::DataType, span: Span) -> Result<DataType> {
    use ast::DataType as D;
    if let Some(temporal) = super::temporal::temporal_type(ty, span) {
        return temporal;
    }
    Ok(match ty {
        D::Boolean | D::Bool => DataType::Boolean,
        D::TinyInt(_) => DataType::TinyInt,
        D::SmallInt(_) | D::Int2(_) => DataType::SmallInt,
        D::Int(_) | D::Int4(_) | D::Integer(_) => DataType::Int,
        D::BigInt(_) | D::Int8(_) | D::Int64 => DataType::BigInt,
        D::Double(_) | D::DoublePrecision | D::Float64 | D::Float8 => DataType::Double,
        D::Float(_) | D::Real | D::Float4 => DataType::Float,
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
        D::Array(_) | D::Map(..) | D::Struct(..) => super::nested::nested_data_type(ty, span)?,
        other => return Err(PlanError::not_supported(format!("type {other}"), span)),
    })
}

/// An option's or setting's value: a string, number, boolean or bare word, as text.
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
    /// `SET 'key' = 'value'`, as Flink scripts write settings; it applies to the statements after it.
    pub(super) fn set(&mut self, variable: &ObjectName, values: &[Expr]) -> Result<()> {
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
            "table.local-time-zone" => super::temporal::set_session_zone(&text, value.span()),
            _ => self.flink_setting(&key, &text, span, value.span()),
        }
    }

    /// `CREATE TABLE name (columns, WATERMARK ...) WITH (options) [AS query]`: declares the table,
    /// and with `AS` writes the query to it.
    pub(super) fn create_table(&mut self, ct: &ast::CreateTable) -> Result<()> {
        let name = object_name(&ct.name);
        if self.catalog.get(&name).is_some() {
            return Err(PlanError::invalid(format!("table `{name}` is declared twice"), ct.name.span()));
        }
        if let Some(kind) = self.declared_as(&name) {
            return Err(PlanError::invalid(format!("`{name}` is already declared as {kind}"), ct.name.span()));
        }
        let (options, spans) = table_options(ct)?;
        let connector = TableConnector::from_options(&options, self.base_dir).map_err(|e| option_error(&spans, e, ct.name.span()))?;
        let (schema, metadata, computed) = columns(ct, &name, &connector)?;
        let event_time = table_event_time(ct, &name, &schema, &computed, &connector, &spans)?;
        let def =
            TableDef { name: name.clone(), schema, connector, span: ct.name.span(), option_spans: spans, event_time, metadata, computed };
        self.catalog.tables.push(def.clone());
        if let Some(q) = &ct.query {
            let query = self.query(q)?;
            self.add_sink(&def, query.clone(), q.span())?;
            self.add_late_sinks(&query, q.span())?;
        }
        Ok(())
    }

    /// `INSERT INTO table query`: the query's rows written to the table (and its late rows to
    /// their sinks).
    pub(super) fn insert(&mut self, ins: &ast::Insert, span: Span) -> Result<()> {
        let TableObject::TableName(name) = &ins.table else {
            return Err(PlanError::not_supported("INSERT INTO a table function", span));
        };
        if !ins.columns.is_empty() {
            return Err(PlanError::not_supported("an INSERT column list", ins.columns[0].span()));
        }
        let Some(source) = &ins.source else {
            return Err(PlanError::not_supported("INSERT without a query", span));
        };
        let table = object_name(name);
        let def = self.catalog.get(&table).cloned().ok_or_else(|| self.catalog.unknown_table(&table, name.span()))?;
        let query = self.query(source)?;
        self.add_sink(&def, query.clone(), source.span())?;
        self.add_late_sinks(&query, source.span())
    }

    /// For each table `query` reads whose late rows go to a `'late.sink'`: a query that writes
    /// them there (once per table, however many queries read it).
    pub(super) fn add_late_sinks(&mut self, query: &LogicalPlan, span: Span) -> Result<()> {
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
            let span_of_option = option_span(&def.option_spans, "late.sink", def.span);
            let sink = self.catalog.get(sink_name).cloned().ok_or_else(|| self.catalog.unknown_table(sink_name, span_of_option))?;
            let source = def.source().map_err(|e| def.option_error(e, span))?;
            self.add_sink(&sink, def.scan(source, true), span_of_option)?;
        }
        Ok(())
    }

    /// Routes a query's rows to a table, casting them to its declared columns if it has any.
    pub(super) fn add_sink(&mut self, def: &TableDef, query: LogicalPlan, span: Span) -> Result<()> {
        let sink = def.connector.sink().map_err(|e| def.option_error(e, def.span))?;
        if let Some((i, _)) = def.computed.first() {
            // Flink skips computed columns in an INSERT's target; refusing is clearer than
            // writing a file whose columns differ from the table's.
            return Err(PlanError::not_supported(
                format!("writing to `{}`, which has a computed column (`{}`)", def.name, def.schema.fields[*i].name),
                span,
            )
            .with_hint("computed columns are for tables that are read; declare the sink without them"));
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
        // Several queries into one table (Flink allows it): one sink fed by the UNION ALL of
        // them, so a file sink still writes one part per worker.
        let earlier = self.plan.sinks.iter().position(|s| s.name.eq_ignore_ascii_case(&def.name));
        let query = match earlier {
            Some(at) => {
                // UNION ALL is associative: an earlier union's inputs join this one's.
                let mut inputs: Vec<(LogicalPlan, Span)> = match self.plan.sinks[at].query.clone() {
                    LogicalPlan::Union { inputs, .. } => inputs.into_iter().map(|p| (p, def.span)).collect(),
                    other => vec![(other, def.span)],
                };
                inputs.push((query, span));
                super::set::union(inputs, &format!("the queries into `{}`", def.name))?
            }
            None => query,
        };
        let sink = match sink {
            SinkSpec::Kafka(k) => SinkSpec::Kafka(Box::new(kafka_sink_keys(*k, &query, &def.name, span)?)),
            other => other,
        };
        match earlier {
            Some(at) => self.plan.sinks[at] = SinkPlan { name: def.name.clone(), sink, query },
            None => self.plan.sinks.push(SinkPlan { name: def.name.clone(), sink, query }),
        }
        Ok(())
    }
}

/// A table's options as (key, value) pairs, and where each is written as (key, span).
type Options = (Vec<(String, String)>, Vec<(String, Span)>);

/// A table's `WITH ('key' = 'value', ...)` options, and where each is written.
fn table_options(ct: &ast::CreateTable) -> Result<Options> {
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
    Ok((kv, spans))
}

/// A table's computed columns: each one's index into its columns and its expression over the
/// physical ones (those read from the source).
type Computed = Vec<(usize, ScalarExpr)>;

/// A table's columns from [`columns`]: all of them, the metadata ones, the computed ones.
type Columns = (Schema, Vec<(usize, MetadataField)>, Computed);

/// A table's columns, which of them are read from the record's metadata, and which are computed
/// (`name AS expression`, over the physical columns, computed per row after decoding).
fn columns(ct: &ast::CreateTable, table: &str, connector: &TableConnector) -> Result<Columns> {
    let mut fields = Vec::new();
    let mut metadata = Vec::new();
    // Computed columns, bound once every physical column is known: (index, the expression).
    let mut pending = Vec::new();
    for c in &ct.columns {
        if fields.iter().any(|f: &Field| f.name.eq_ignore_ascii_case(&c.name.value)) {
            return Err(PlanError::invalid(format!("column `{}` is declared twice", c.name.value), c.name.span));
        }
        if let Some(e) = computed_column(c) {
            pending.push((fields.len(), e));
            // Its type is the expression's, set below.
            fields.push(Field::new(c.name.value.clone(), DataType::Boolean));
            continue;
        }
        if let Some(o) = c.options.iter().find(|o| matches!(o.option, ast::ColumnOption::NotNull)) {
            // Accepting it without enforcing it would let NULLs into a column declared free of them.
            return Err(PlanError::not_supported(format!("NOT NULL on column `{}`", c.name.value), o.span())
                .with_hint("vstream does not enforce NOT NULL yet; remove it, or filter with WHERE col IS NOT NULL"));
        }
        let ty = data_type(&c.data_type, c.span())?;
        for o in &c.options {
            let Some(key) = metadata_column(&o.option) else { continue };
            metadata.push((fields.len(), metadata_field(c, ty, key.unwrap_or(&c.name.value), o.span(), connector)?));
        }
        fields.push(Field::new(c.name.value.clone(), ty));
    }
    let is_computed = |i: usize| pending.iter().any(|(c, _)| *c == i);
    let physical = Schema::new(fields.iter().enumerate().filter(|(i, _)| !is_computed(*i)).map(|(_, f)| f.clone()).collect());
    let scope = super::scope::Scope::single(Some(table.to_string()), None, physical.clone());
    let mut computed = Vec::new();
    for (i, e) in pending {
        let b = super::expr::bind_expr(e, &scope).map_err(|err| match physical.len() {
            0 => PlanError::invalid("a computed column needs physical columns to be computed from", e.span()),
            _ => err,
        })?;
        fields[i].ty = b.ty();
        computed.push((i, b));
    }
    Ok((Schema::new(fields), metadata, computed))
}

/// The metadata field `key` that column `c` (of type `ty`) reads, declared at `span`.
fn metadata_field(c: &ast::ColumnDef, ty: DataType, key: &str, span: Span, connector: &TableConnector) -> Result<MetadataField> {
    let Some(field) = MetadataField::from_key(key) else {
        return Err(PlanError::invalid(format!("unknown metadata key '{key}' of column `{}`", c.name.value), span)
            .with_hint("Kafka tables have metadata 'timestamp', 'partition' and 'offset'"));
    };
    if connector.kind != ConnectorKind::Kafka {
        return Err(PlanError::invalid(format!("metadata column `{}` needs 'connector' = 'kafka'", c.name.value), span));
    }
    if !field.fits(ty) {
        let want = match field {
            MetadataField::Timestamp => "TIMESTAMP(3)",
            MetadataField::Partition => "INT or BIGINT",
            MetadataField::Offset => "BIGINT",
        };
        return Err(PlanError::invalid(format!("metadata '{}' is {want}, but column `{}` is {ty}", field.key(), c.name.value), c.span()));
    }
    Ok(field)
}

/// The table's event time from its `WATERMARK` (at most one), with the late-row options
/// (`spans` are where the options are written).
fn table_event_time(
    ct: &ast::CreateTable,
    name: &str,
    schema: &Schema,
    computed: &Computed,
    connector: &TableConnector,
    spans: &[(String, Span)],
) -> Result<Option<EventTime>> {
    let mut event_time = None;
    for c in &ct.constraints {
        let Some((column, expr, at)) = watermark(c) else {
            return Err(PlanError::not_supported("table constraints", c.span())
                .with_hint("vstream does not enforce keys or checks; remove the constraint"));
        };
        if event_time.is_some() {
            return Err(PlanError::invalid(format!("table `{name}` has more than one WATERMARK"), at));
        }
        if connector.source().is_ok_and(|s| s.is_changelog()) {
            // Its rows are retracted as well as added: event-time windows take inserts only.
            return Err(PlanError::not_supported("a WATERMARK on a 'debezium-json' (changelog) source", at));
        }
        let et = bind_watermark(schema, column, expr)?;
        if computed.iter().any(|(c, _)| *c == et.column) {
            // The source tracks the watermark on the columns it decodes, before any is computed.
            return Err(PlanError::not_supported(format!("a WATERMARK on the computed column `{}`", column.value), column.span)
                .with_hint("declare the event time as a physical column (CAST in the file's own format if needed)"));
        }
        event_time = Some(et);
    }
    let late = connector.late_rows().map_err(|e| option_error(spans, e, ct.name.span()))?;
    match &mut event_time {
        Some(et) => {
            et.allowed_lateness = late.allowed_lateness;
            et.late_sink = late.sink;
        }
        None => {
            if let Some(k) = connector.late_option() {
                return Err(PlanError::invalid(format!("option '{k}' needs an event time"), option_span(spans, k, ct.name.span()))
                    .with_hint("declare one in the column list: WATERMARK FOR ts AS ts - INTERVAL '1' SECOND"));
            }
        }
    }
    Ok(event_time)
}

/// `WATERMARK FOR column AS column [- INTERVAL ...]`: the table's event time.
pub(super) fn bind_watermark(schema: &Schema, column: &ast::Ident, expr: &Expr) -> Result<EventTime> {
    let index = schema.index_of(&column.value).ok_or_else(|| {
        PlanError::invalid(format!("unknown column `{}` in WATERMARK", column.value), column.span)
            .with_hint_opt(did_you_mean(&column.value, schema.fields.iter().map(|f| f.name.as_str())))
    })?;
    let ty = schema.fields[index].ty;
    // TIMESTAMP_LTZ(3) holds the same UTC milliseconds, so windows and watermarks read it alike.
    if ty != DataType::TIMESTAMP && ty != DataType::TIMESTAMP_LTZ {
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

/// Checks a Kafka sink's `'key.fields'` against the written columns, and gives an upsert sink
/// without them the GROUP BY key: the message key of each row.
fn kafka_sink_keys(mut k: KafkaSink, query: &LogicalPlan, table: &str, span: Span) -> Result<KafkaSink> {
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
