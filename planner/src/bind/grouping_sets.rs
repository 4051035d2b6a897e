//! `GROUP BY` with `GROUPING SETS`, `ROLLUP` or `CUBE`, and `GROUPING(...)`/`GROUPING_ID(...)`:
//! one Expand (each row once per set, the keys a set lacks NULL, the set's index a key) under one
//! Aggregate, as Flink plans them.

use super::expr::bind_expr;
use super::query::{bind_aggregate_calls, children, first_aggregate, output_name, unparenthesized};
use super::scope::{Grouping, Scope};
use super::{Result, object_name};
use crate::error::PlanError;
use crate::logical::{GROUPING_SET_COLUMN, LogicalPlan};
use sqlparser::ast::{self as ast, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, SelectItem, Spanned};
use vstream_repr::{DataType, Field, ScalarExpr, Schema};

/// CUBE of more keys than this is refused: it would repeat each row 2^n times.
const MAX_CUBE_KEYS: usize = 10;

/// A GROUP BY's grouping sets: its distinct keys, and per set which of them it has.
pub(super) struct GroupingSets {
    /// Every key of any set, in the order GROUP BY first names them.
    keys: Vec<Expr>,
    /// Per set (in order, repeats kept): whether it has each key.
    sets: Vec<Vec<bool>>,
}

/// The grouping sets of `group_exprs`, when it has GROUPING SETS, ROLLUP or CUBE, or the query
/// reads `GROUPING(...)` (then the one set of a plain GROUP BY); `None` for a plain GROUP BY.
pub(super) fn grouping_sets(group_exprs: &[Expr], select: &ast::Select) -> Result<Option<GroupingSets>> {
    let has_sets = group_exprs.iter().any(|e| matches!(e, Expr::GroupingSets(_) | Expr::Rollup(_) | Expr::Cube(_)));
    if !has_sets && grouping_calls(select).is_empty() {
        return Ok(None);
    }
    // The cross product of each item's sets: a plain key is in every set.
    let mut product: Vec<Vec<&Expr>> = vec![Vec::new()];
    for item in group_exprs {
        let item_sets: Vec<Vec<&Expr>> = match item {
            Expr::GroupingSets(sets) => sets.iter().map(|s| s.iter().collect()).collect(),
            Expr::Rollup(parts) => (0..=parts.len()).rev().map(|n| parts[..n].iter().flatten().collect()).collect(),
            Expr::Cube(parts) => {
                if parts.len() > MAX_CUBE_KEYS {
                    return Err(PlanError::not_supported(format!("CUBE of {} keys", parts.len()), item.span())
                        .with_hint(format!("CUBE repeats each row 2^n times; at most {MAX_CUBE_KEYS} keys")));
                }
                (0..1usize << parts.len())
                    .rev()
                    .map(|mask| {
                        parts.iter().enumerate().filter(|(i, _)| mask >> (parts.len() - 1 - i) & 1 == 1).flat_map(|(_, p)| p).collect()
                    })
                    .collect()
            }
            plain => vec![vec![plain]],
        };
        product = product.iter().flat_map(|prefix| item_sets.iter().map(move |s| prefix.iter().chain(s).copied().collect())).collect();
    }
    let mut keys: Vec<Expr> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    for e in product.iter().flatten() {
        let text = unparenthesized(e).to_string();
        if !texts.contains(&text) {
            texts.push(text);
            keys.push((*e).clone());
        }
    }
    let sets = product
        .iter()
        .map(|set| {
            let set_texts: Vec<String> = set.iter().map(|e| unparenthesized(e).to_string()).collect();
            texts.iter().map(|t| set_texts.contains(t)).collect()
        })
        .collect();
    Ok(Some(GroupingSets { keys, sets }))
}

/// Builds the Expand and the Aggregate over it for `sets` and the aggregate `calls`, and the
/// scope that binds the select list and HAVING over the groups: the keys, the set's index, the
/// `GROUPING(...)` calls, then the aggregates.
pub(super) fn aggregate_sets(
    input: LogicalPlan,
    scope: Scope,
    select: &ast::Select,
    grouping_sets: GroupingSets,
    calls: &[&ast::Function],
) -> Result<(LogicalPlan, Scope)> {
    let GroupingSets { keys, sets } = grouping_sets;
    let key_texts: Vec<String> = keys.iter().map(|k| unparenthesized(k).to_string()).collect();
    let mut bound = Vec::new();
    for k in &keys {
        if let Some(f) = first_aggregate(k) {
            return Err(PlanError::invalid("aggregates are not allowed in GROUP BY", f.name.span()));
        }
        bound.push(bind_expr(k, &scope)?);
    }
    // Keys every set has need no NULLs: the Aggregate reads them as they are. The others come
    // from the Expand, after the input's columns.
    let input_len = scope.schema.len();
    let varying: Vec<usize> = (0..keys.len()).filter(|i| !sets.iter().all(|has| has[*i])).collect();
    // GROUPING(a, b): per set, a bit per argument (the first the highest), 1 where the set lacks it.
    let mut grouping_values: Vec<Vec<i64>> = vec![Vec::new(); sets.len()];
    let mut grouping_fields = Vec::new();
    let mut grouping_texts = Vec::new();
    for f in grouping_calls(select) {
        let text = Expr::Function(f.clone()).to_string();
        if grouping_texts.contains(&text) {
            continue;
        }
        let args = grouping_args(f, &key_texts)?;
        for (values, has) in grouping_values.iter_mut().zip(&sets) {
            values.push(args.iter().fold(0, |acc, k| acc << 1 | i64::from(!has[*k])));
        }
        grouping_fields.push(Field::new(text.clone(), DataType::BigInt));
        grouping_texts.push(text);
    }
    let mut expand_fields = scope.schema.fields.clone();
    expand_fields.extend(varying.iter().map(|i| Field::new(output_name(&keys[*i]), bound[*i].ty())));
    expand_fields.push(Field::new(GROUPING_SET_COLUMN, DataType::BigInt));
    expand_fields.extend(grouping_fields.iter().cloned());
    let expand_schema = Schema::new(expand_fields);
    let expand = LogicalPlan::Expand {
        input: Box::new(input),
        keys: varying.iter().map(|i| bound[*i].clone()).collect(),
        sets: sets.iter().map(|has| varying.iter().map(|i| has[*i]).collect()).collect(),
        grouping: grouping_values,
        schema: expand_schema.clone(),
    };
    let column = |c: usize| ScalarExpr::column(c, expand_schema.fields[c].ty);
    let mut group_by = Vec::new();
    let mut fields = Vec::new();
    let mut computed = Vec::new();
    // What a name in the select list is matched against: the keys as bound over the input; the
    // set's index and GROUPING values as columns of the Expand, which no name there binds to.
    let mut scope_keys = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        group_by.push(match varying.iter().position(|v| *v == i) {
            Some(at) => column(input_len + at),
            None => bound[i].clone(),
        });
        computed.push((key_texts[i].clone(), fields.len()));
        fields.push(Field::new(output_name(k), bound[i].ty()));
        scope_keys.push(bound[i].clone());
    }
    for (j, c) in (input_len + varying.len()..expand_schema.len()).enumerate() {
        group_by.push(column(c));
        scope_keys.push(column(c));
        if j > 0 {
            computed.push((grouping_texts[j - 1].clone(), fields.len()));
        }
        fields.push(expand_schema.fields[c].clone());
    }
    // The aggregates read the input's columns, which the Expand passes on where they were.
    let aggregates = bind_aggregate_calls(calls, &scope, &mut computed, &mut fields)?;
    let schema = Schema::new(fields);
    let plan = LogicalPlan::Aggregate { input: Box::new(expand), group_by, aggregates, schema: schema.clone() };
    let agg_scope = Scope::grouped(Grouping { input: scope, keys: scope_keys }, schema, computed);
    Ok((plan, agg_scope))
}

/// The keys a `GROUPING(...)` call names, as indices into the GROUP BY's keys (`key_texts`).
fn grouping_args(f: &ast::Function, key_texts: &[String]) -> Result<Vec<usize>> {
    let name = object_name(&f.name).to_ascii_uppercase();
    let args: Vec<&Expr> = match &f.args {
        FunctionArguments::List(list) => list
            .args
            .iter()
            .map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(e),
                other => Err(PlanError::invalid(format!("{name} takes GROUP BY keys, not `{other}`"), other.span())),
            })
            .collect::<Result<_>>()?,
        _ => Vec::new(),
    };
    if args.is_empty() {
        return Err(PlanError::invalid(format!("{name} needs at least one GROUP BY key"), f.span()));
    }
    if args.len() > 62 {
        return Err(PlanError::not_supported(format!("{name} of more than 62 keys"), f.span()));
    }
    args.iter()
        .map(|a| {
            let text = unparenthesized(a).to_string();
            key_texts.iter().position(|k| *k == text).ok_or_else(|| {
                PlanError::invalid(format!("{name}: `{a}` is not a GROUP BY key"), a.span())
                    .with_hint("GROUPING tells whether a key of GROUP BY is in a row's grouping set")
            })
        })
        .collect()
}

/// Every `GROUPING(...)` and `GROUPING_ID(...)` call of the select list and HAVING.
fn grouping_calls(select: &ast::Select) -> Vec<&ast::Function> {
    fn walk<'a>(e: &'a Expr, out: &mut Vec<&'a ast::Function>) {
        if let Expr::Function(f) = e
            && matches!(object_name(&f.name).to_ascii_uppercase().as_str(), "GROUPING" | "GROUPING_ID")
        {
            out.push(f);
            return;
        }
        for c in children(e) {
            walk(c, out);
        }
    }
    let mut out = Vec::new();
    for item in &select.projection {
        if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
            walk(e, &mut out);
        }
    }
    if let Some(h) = &select.having {
        walk(h, &mut out);
    }
    out
}
