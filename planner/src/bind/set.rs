//! Views, common table expressions and set operations: `CREATE VIEW`, `WITH x AS (...)`, and
//! `UNION [ALL]` of queries.

use super::expr::{common_type, implicitly_castable};
use super::{Binder, Result, object_name, query::distinct};
use crate::error::{PlanError, did_you_mean};
use crate::logical::{LogicalPlan, SetOperator as LogicalSetOperator};
use sqlparser::ast::{self as ast, Ident, SetExpr, SetOperator, SetQuantifier, Spanned};
use sqlparser::tokenizer::Span;
use vstream_repr::{DataType, Field, ScalarExpr, Schema};

/// A view or common table expression: a name that reads as a table, and the plan it stands for
/// (a [`LogicalPlan::View`], so that every reader shares one computation of it).
#[derive(Clone, Debug)]
pub(super) struct ViewDef {
    /// The name as declared.
    pub(super) name: String,
    /// The `LogicalPlan::View` its readers read.
    pub(super) plan: LogicalPlan,
}

impl Binder<'_> {
    /// `CREATE [TEMPORARY] VIEW v [(columns)] AS query`: the view is bound now, over the tables
    /// and views declared before it.
    pub(super) fn create_view(&mut self, cv: &ast::CreateView) -> Result<()> {
        let name = object_name(&cv.name);
        if cv.materialized {
            return Err(PlanError::not_supported("CREATE MATERIALIZED VIEW", cv.name.span())
                .with_hint("a view is computed once and shared by every query that reads it: use CREATE VIEW"));
        }
        if let Some(kind) = self.declared_as(&name) {
            return Err(PlanError::invalid(format!("`{name}` is already declared as {kind}"), cv.name.span())
                .with_hint("give the view a name no table or view of the script has"));
        }
        let query = self.query(&cv.query)?;
        let aliases: Vec<&Ident> = cv.columns.iter().map(|c| &c.name).collect();
        let query = rename_columns(query, &aliases, &name, cv.name.span())?;
        let plan = self.view_plan(&name, query);
        self.views.push(ViewDef { name, plan });
        Ok(())
    }

    /// What `name` is declared as so far in the script (`a table`, `a view`), if anything.
    pub(super) fn declared_as(&self, name: &str) -> Option<&'static str> {
        if self.catalog.get(name).is_some() {
            Some("a table")
        } else if self.views.iter().any(|v| v.name.eq_ignore_ascii_case(name)) {
            Some("a view")
        } else {
            None
        }
    }

    /// The shared plan of view `name` computing `query`, under a name no other view or CTE of
    /// the script has (two CTEs of one name in two statements are different rows).
    fn view_plan(&self, name: &str, query: LogicalPlan) -> LogicalPlan {
        let mut used = self.view_names.borrow_mut();
        let taken = |n: &str| used.iter().any(|u: &String| u.eq_ignore_ascii_case(n));
        let mut unique = name.to_string();
        let mut k = 2;
        while taken(&unique) {
            unique = format!("{name}#{k}");
            k += 1;
        }
        used.push(unique.clone());
        LogicalPlan::View { name: unique, input: Box::new(query) }
    }

    /// The view or common table expression `name` reads, innermost WITH first, then the
    /// script's views.
    pub(super) fn view(&self, name: &str) -> Option<ViewDef> {
        let ctes = self.ctes.borrow();
        ctes.iter().rev().chain(self.views.iter().rev()).find(|v| v.name.eq_ignore_ascii_case(name)).cloned()
    }

    /// The error for a FROM item that names no table, view or CTE: the closest of those names
    /// as a hint, else how to declare a table.
    pub(super) fn unknown_relation(&self, name: &str, span: Span) -> PlanError {
        let ctes = self.ctes.borrow();
        let views = ctes.iter().chain(&self.views).map(|v| v.name.as_str());
        match did_you_mean(name, self.catalog.tables.iter().map(|t| t.name.as_str()).chain(views)) {
            Some(hint) => PlanError::invalid(format!("unknown table `{name}`"), span).with_hint(hint),
            None => self.catalog.unknown_table(name, span),
        }
    }

    /// `WITH x AS (...), y AS (...)`: binds each in order (a later one may read an earlier
    /// one) and makes them readable until [`Binder::end_with`]; returns how many there were.
    pub(super) fn begin_with(&self, with: &ast::With) -> Result<usize> {
        if with.recursive {
            return Err(PlanError::not_supported("WITH RECURSIVE", with.span()));
        }
        let mut bound = 0;
        let result = (|| {
            for cte in &with.cte_tables {
                let name = cte.alias.name.value.clone();
                let duplicate = with.cte_tables[..bound].iter().any(|c| c.alias.name.value.eq_ignore_ascii_case(&name));
                if duplicate {
                    return Err(PlanError::invalid(format!("`{name}` is declared twice in this WITH"), cte.alias.name.span)
                        .with_hint("give each common table expression its own name"));
                }
                let query = self.query(&cte.query)?;
                let aliases: Vec<&Ident> = cte.alias.columns.iter().map(|c| &c.name).collect();
                let query = rename_columns(query, &aliases, &name, cte.alias.name.span)?;
                let plan = self.view_plan(&name, query);
                self.ctes.borrow_mut().push(ViewDef { name, plan });
                bound += 1;
            }
            Ok(())
        })();
        if let Err(e) = result {
            self.end_with(bound);
            return Err(e);
        }
        Ok(bound)
    }

    /// Ends the scope of the last `count` common table expressions.
    pub(super) fn end_with(&self, count: usize) {
        let mut ctes = self.ctes.borrow_mut();
        let keep = ctes.len().saturating_sub(count);
        ctes.truncate(keep);
    }

    /// A query body: a SELECT, a parenthesized query, or a set operation of them.
    pub(super) fn set_expr(&self, body: &SetExpr) -> Result<LogicalPlan> {
        match body {
            SetExpr::Select(s) => self.select(s),
            SetExpr::Query(inner) => self.subquery(inner),
            SetExpr::SetOperation { op: SetOperator::Union, set_quantifier, .. } => {
                let all = match set_quantifier {
                    SetQuantifier::All => true,
                    SetQuantifier::Distinct | SetQuantifier::None => false,
                    other => return Err(PlanError::not_supported(format!("UNION {other}"), body.span())),
                };
                // `a UNION ALL b UNION ALL c` is one n-ary union; a UNION (distinct) inside
                // stays its own input.
                let mut operands = Vec::new();
                flatten_union(body, all, &mut operands);
                let mut inputs = Vec::with_capacity(operands.len());
                for o in &operands {
                    inputs.push((self.set_expr(o)?, o.span()));
                }
                let union = union(inputs, if all { "UNION ALL" } else { "UNION" })?;
                Ok(if all { union } else { distinct(union) })
            }
            SetExpr::SetOperation { op, set_quantifier, left, right } => {
                let op = match op {
                    SetOperator::Intersect => LogicalSetOperator::Intersect,
                    SetOperator::Except | SetOperator::Minus => LogicalSetOperator::Except,
                    SetOperator::Union => return Err(PlanError::internal("UNION reached the INTERSECT/EXCEPT arm", body.span())),
                };
                let all = match set_quantifier {
                    SetQuantifier::All => true,
                    SetQuantifier::Distinct | SetQuantifier::None => false,
                    other => return Err(PlanError::not_supported(format!("{} {other}", op.name(false)), body.span())),
                };
                let inputs = vec![(self.set_expr(left)?, left.span()), (self.set_expr(right)?, right.span())];
                let (mut inputs, schema) = coerce(inputs, op.name(all))?;
                let (Some(right), Some(left)) = (inputs.pop(), inputs.pop()) else {
                    return Err(PlanError::internal(format!("{} needs two inputs", op.name(all)), body.span()));
                };
                Ok(LogicalPlan::SetOperation { left: Box::new(left), right: Box::new(right), op, all, schema })
            }
            other => Err(PlanError::not_supported(format!("`{}`", super::first_words(&other.to_string())), other.span())),
        }
    }
}

/// The operands of a chain of UNIONs of one kind (`all` or distinct), left to right.
fn flatten_union<'a>(body: &'a SetExpr, all: bool, out: &mut Vec<&'a SetExpr>) {
    match body {
        SetExpr::SetOperation { op: SetOperator::Union, set_quantifier, left, right }
            if (*set_quantifier == SetQuantifier::All) == all
                && matches!(set_quantifier, SetQuantifier::All | SetQuantifier::Distinct | SetQuantifier::None) =>
        {
            flatten_union(left, all, out);
            flatten_union(right, all, out);
        }
        other => out.push(other),
    }
}

/// The UNION ALL of `inputs` (each with where it is written): columns matched by position, each
/// brought to the common type of its column, named as the first input names them. `what` names
/// the operation in errors.
pub(super) fn union(inputs: Vec<(LogicalPlan, Span)>, what: &str) -> Result<LogicalPlan> {
    let (inputs, schema) = coerce(inputs, what)?;
    Ok(LogicalPlan::Union { inputs, schema })
}

/// The inputs of a set operation `what` (each with where it is written), each cast to the
/// common type of every column, and the operation's schema: the first input's names, those
/// types. An error where an input has a different number of columns or a column no common type.
fn coerce(inputs: Vec<(LogicalPlan, Span)>, what: &str) -> Result<(Vec<LogicalPlan>, Schema)> {
    let Some((first, _)) = inputs.first() else {
        return Err(PlanError::internal(format!("{what} without inputs"), Span::empty()));
    };
    let first_schema = first.schema().clone();
    let mut types: Vec<DataType> = first_schema.fields.iter().map(|f| f.ty).collect();
    for (plan, span) in &inputs[1..] {
        let schema = plan.schema();
        if schema.len() != types.len() {
            return Err(PlanError::invalid(
                format!("each input of {what} needs the same number of columns: the first has {}, this one {}", types.len(), schema.len()),
                *span,
            ));
        }
        for (i, (ty, f)) in types.iter_mut().zip(&schema.fields).enumerate() {
            *ty = common_type(*ty, f.ty).ok_or_else(|| {
                PlanError::invalid(
                    format!(
                        "column {} of {what} is {} in the first input (`{}`) but {} here (`{}`)",
                        i + 1,
                        first_schema.fields[i].ty,
                        first_schema.fields[i].name,
                        f.ty,
                        f.name
                    ),
                    *span,
                )
                .with_hint(format!("CAST `{}` to {}", f.name, first_schema.fields[i].ty))
            })?;
        }
    }
    let schema = Schema::new(first_schema.fields.iter().zip(&types).map(|(f, ty)| Field::new(f.name.clone(), *ty)).collect());
    let inputs = inputs
        .into_iter()
        .map(|(plan, _)| {
            let have = plan.schema().clone();
            if have.fields.iter().zip(&types).all(|(f, ty)| f.ty == *ty) {
                return plan;
            }
            let exprs = have
                .fields
                .iter()
                .zip(&types)
                .enumerate()
                .map(|(i, (f, ty))| {
                    let col = ScalarExpr::column(i, f.ty);
                    debug_assert!(implicitly_castable(f.ty, *ty) || f.ty == *ty);
                    if f.ty == *ty { col } else { ScalarExpr::Cast { expr: Box::new(col), to: *ty } }
                })
                .collect();
            let fields = have.fields.iter().zip(&types).map(|(f, ty)| Field::new(f.name.clone(), *ty)).collect();
            LogicalPlan::Project { input: Box::new(plan), exprs, schema: Schema::new(fields) }
        })
        .collect();
    Ok((inputs, schema))
}

/// `query` with its columns named `aliases` (`CREATE VIEW v (a, b)`, `WITH x (a, b) AS`), or as
/// it is when there are none.
fn rename_columns(query: LogicalPlan, aliases: &[&Ident], name: &str, span: Span) -> Result<LogicalPlan> {
    if aliases.is_empty() {
        return Ok(query);
    }
    let schema = query.schema().clone();
    if aliases.len() != schema.len() {
        return Err(PlanError::invalid(
            format!("`{name}` names {} columns but its query has {}", aliases.len(), schema.len()),
            aliases.first().map_or(span, |a| a.span),
        ));
    }
    let exprs = schema.fields.iter().enumerate().map(|(i, f)| ScalarExpr::column(i, f.ty)).collect();
    let fields = schema.fields.iter().zip(aliases).map(|(f, a)| Field::new(a.value.clone(), f.ty)).collect();
    Ok(LogicalPlan::Project { input: Box::new(query), exprs, schema: Schema::new(fields) })
}
