//! ARRAY, MAP and ROW: their types in DDL and CAST, their constructors (`ARRAY[...]`,
//! `MAP[...]`, `ROW(...)`, `(a, b)`), and access to what they hold (`a[i]`, `m['k']`, `r.f`,
//! `t.r.f`), as Flink spells them. The parser hooks for the forms sqlparser does not know
//! (`MAP[...]`, `ROW<...>` types) are here too, called from [`crate::dialect`].

use super::Result;
use super::ddl::data_type;
use super::expr::{bind_expr, cast_to, is_null_literal};
use super::scope::{Relation, Scope};
use crate::error::PlanError;
use crate::logical::LogicalPlan;
use sqlparser::ast::{self as ast, AccessExpr, Expr, Ident, Spanned, StructBracketKind, StructField, Subscript, TableFactor};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Span, Token};
use vstream_repr::expr::Func;
use vstream_repr::func::collection::{CollectionFunc, common_type, unnest_names, unnest_types};
use vstream_repr::types::RowField;
use vstream_repr::{DataType, Datum, Field, ScalarExpr, Schema};

/// The vstream type of an `ARRAY<T>`, `T ARRAY`, `MAP<K, V>` or `ROW<name T, ...>` type.
pub(super) fn nested_data_type(ty: &ast::DataType, span: Span) -> Result<DataType> {
    use ast::ArrayElemTypeDef as A;
    Ok(match ty {
        ast::DataType::Array(
            A::AngleBracket(t) | A::SquareBracket(t, _) | A::Parenthesis(t) | A::ParenthesisNotNull(t) | A::Qualified(t, _),
        ) => DataType::array(data_type(t, span)?),
        ast::DataType::Map(k, v, _) => DataType::map(data_type(k, span)?, data_type(v, span)?),
        ast::DataType::Struct(fields, _) => {
            let mut out = Vec::with_capacity(fields.len());
            for (i, f) in fields.iter().enumerate() {
                let name = f.field_name.as_ref().map_or_else(|| format!("EXPR${i}"), |n| n.value.clone());
                if out.iter().any(|o: &RowField| o.name.eq_ignore_ascii_case(&name)) {
                    return Err(PlanError::invalid(format!("ROW type has two fields named `{name}`"), span));
                }
                out.push(RowField { name, ty: data_type(&f.field_type, span)? });
            }
            DataType::row(out)
        }
        other => return Err(PlanError::not_supported(format!("type {other}"), span)),
    })
}

/// Whether the next tokens open a nested type: `ARRAY<`, `MAP<`, `ROW<` or `ROW(`.
fn opens_nested_type(parser: &Parser) -> bool {
    let Token::Word(w) = &parser.peek_token_ref().token else { return false };
    let open = &parser.peek_nth_token_ref(1).token;
    match w.keyword {
        Keyword::ARRAY | Keyword::MAP => *open == Token::Lt,
        Keyword::ROW => matches!(open, Token::Lt | Token::LParen),
        _ => false,
    }
}

/// Flink's nested types `ARRAY<T>`, `MAP<K, V>`, `ROW<name T, ...>` and `ROW(name T, ...)`,
/// nested arbitrarily (`ARRAY<ROW<a INT>>`, whose `>>` sqlparser reads as one token). A ROW
/// comes back as a STRUCT type. `None` when the next tokens are not a nested type, which
/// sqlparser's own parser then reads.
pub fn parse_nested_type(parser: &mut Parser) -> Option<std::result::Result<ast::DataType, ParserError>> {
    if !opens_nested_type(parser) {
        return None;
    }
    Some(
        parse_type(parser).and_then(
            |(ty, extra)| {
                if extra { Err(ParserError::ParserError(format!("unmatched > after the type {ty}"))) } else { Ok(ty) }
            },
        ),
    )
}

/// A type, and whether it ended in a `>>` that closes the type around it too.
fn parse_type(parser: &mut Parser) -> std::result::Result<(ast::DataType, bool), ParserError> {
    if !opens_nested_type(parser) {
        return Ok((parser.parse_data_type()?, false));
    }
    let Token::Word(w) = parser.next_token().token else { return Err(ParserError::ParserError("expected a type".into())) };
    let open = parser.next_token().token;
    match w.keyword {
        Keyword::ARRAY => {
            let (elem, inner) = parse_type(parser)?;
            let extra = close_angle(parser, inner)?;
            Ok((ast::DataType::Array(ast::ArrayElemTypeDef::AngleBracket(Box::new(elem))), extra))
        }
        Keyword::MAP => {
            let (key, inner) = parse_type(parser)?;
            if inner {
                return Err(ParserError::ParserError("expected `,` and the value type in MAP<K, V>".into()));
            }
            parser.expect_token(&Token::Comma)?;
            let (value, inner) = parse_type(parser)?;
            let extra = close_angle(parser, inner)?;
            Ok((ast::DataType::Map(Box::new(key), Box::new(value), ast::MapBracketKind::AngleBrackets), extra))
        }
        _ => {
            let angle = open == Token::Lt;
            let close = if angle { Token::Gt } else { Token::RParen };
            let kind = if angle { StructBracketKind::AngleBrackets } else { StructBracketKind::Parentheses };
            let mut fields = Vec::new();
            if parser.peek_token_ref().token == close {
                parser.next_token();
                return Ok((ast::DataType::Struct(fields, kind), false));
            }
            loop {
                let name = parser.parse_identifier()?;
                let (ty, inner) = parse_type(parser)?;
                fields.push(StructField { field_name: Some(name), field_type: ty, options: None });
                if inner {
                    // The field's type ended in `>>`: it closed this row too.
                    if !angle {
                        return Err(ParserError::ParserError("unmatched > in ROW(...)".into()));
                    }
                    return Ok((ast::DataType::Struct(fields, kind), false));
                }
                // Flink allows a quoted description after a field's type; it is only a comment.
                if let Token::SingleQuotedString(_) = parser.peek_token_ref().token {
                    parser.next_token();
                }
                if !parser.consume_token(&Token::Comma) {
                    break;
                }
            }
            let extra = if angle { close_angle(parser, false)? } else { parser.expect_token(&Token::RParen).map(|_| false)? };
            Ok((ast::DataType::Struct(fields, kind), extra))
        }
    }
}

/// Consumes the `>` that closes a type (none if the inner type's `>>` did), and says whether the
/// token was `>>`, which closes the enclosing type too.
fn close_angle(parser: &mut Parser, closed_by_inner: bool) -> std::result::Result<bool, ParserError> {
    if closed_by_inner {
        return Ok(false);
    }
    match parser.next_token().token {
        Token::Gt => Ok(false),
        Token::ShiftRight => Ok(true),
        other => Err(ParserError::ParserError(format!("Expected: >, found: {other}"))),
    }
}

/// `MAP[k1, v1, k2, v2, ...]` (Flink's map constructor), which sqlparser reads as a subscript of
/// a column named `map`: it comes back as a map literal. `None` when the next tokens are not one.
pub fn parse_map_constructor(parser: &mut Parser) -> Option<std::result::Result<Expr, ParserError>> {
    let is_map = matches!(&parser.peek_token_ref().token, Token::Word(w) if w.keyword == Keyword::MAP && w.quote_style.is_none());
    if !is_map || parser.peek_nth_token_ref(1).token != Token::LBracket {
        return None;
    }
    parser.next_token();
    parser.next_token();
    Some((|| {
        let items =
            if parser.peek_token_ref().token == Token::RBracket { vec![] } else { parser.parse_comma_separated(Parser::parse_expr)? };
        parser.expect_token(&Token::RBracket)?;
        if items.len() % 2 != 0 {
            return Err(ParserError::ParserError("MAP[...] takes keys and values in pairs: an even number of expressions".into()));
        }
        let mut it = items.into_iter();
        let mut entries = Vec::new();
        while let (Some(key), Some(value)) = (it.next(), it.next()) {
            entries.push(ast::MapEntry { key: Box::new(key), value: Box::new(value) });
        }
        Ok(Expr::Map(ast::Map { entries }))
    })())
}

/// The type a list of values is brought to (NULLs take it).
fn common_of(exprs: &[ScalarExpr], what: &str, span: Span) -> Result<DataType> {
    let mut ty: Option<DataType> = None;
    for e in exprs.iter().filter(|e| !is_null_literal(e)) {
        ty = Some(match ty {
            None => e.ty(),
            Some(t) => common_type(t, e.ty())
                .ok_or_else(|| PlanError::invalid(format!("{what} mixes {t} and {}", e.ty()), span).with_hint("CAST them to one type"))?,
        });
    }
    // Only NULLs: a typed one (`CAST(NULL AS INT)`) gives its type, a bare one VARCHAR.
    Ok(ty.unwrap_or_else(|| exprs.first().map_or(DataType::Varchar, ScalarExpr::ty)))
}

/// The call `func(args)` of type `ty`, folded to a literal when every argument is one.
fn call(func: CollectionFunc, args: Vec<ScalarExpr>, ty: DataType, span: Span) -> Result<ScalarExpr> {
    let all_literal = args.iter().all(|a| matches!(a, ScalarExpr::Literal { .. }));
    let call = ScalarExpr::call(Func::Collection(func), args, ty);
    if all_literal {
        let col = call.eval(&vstream_repr::Batch::new(1, vec![])).map_err(|err| PlanError::invalid(err.to_string(), span))?;
        return Ok(ScalarExpr::literal(col.datum(0), ty));
    }
    Ok(call)
}

/// `ARRAY[e1, ...]`: the elements brought to their common type. An empty `ARRAY[]` is refused,
/// as Flink refuses it (its element type is unknown).
pub(super) fn bind_array(elems: &[Expr], scope: &Scope, span: Span) -> Result<ScalarExpr> {
    if elems.is_empty() {
        return Err(PlanError::invalid("ARRAY[] needs at least one element", span)
            .with_hint("write CAST(NULL AS ARRAY<INT>) or an array with an element"));
    }
    let bound = elems.iter().map(|e| bind_expr(e, scope)).collect::<Result<Vec<_>>>()?;
    let elem = common_of(&bound, "ARRAY[...]", span)?;
    let args = bound.into_iter().zip(elems).map(|(b, e)| cast_to(b, elem, e.span())).collect::<Result<Vec<_>>>()?;
    call(CollectionFunc::ArrayCtor, args, DataType::array(elem), span)
}

/// `MAP[k1, v1, ...]`: keys brought to one type, values to another; a later equal key wins.
pub(super) fn bind_map(entries: &[ast::MapEntry], scope: &Scope, span: Span) -> Result<ScalarExpr> {
    if entries.is_empty() {
        return Err(PlanError::invalid("MAP[] needs at least one key and value", span));
    }
    let keys = entries.iter().map(|e| bind_expr(&e.key, scope)).collect::<Result<Vec<_>>>()?;
    let values = entries.iter().map(|e| bind_expr(&e.value, scope)).collect::<Result<Vec<_>>>()?;
    let (kt, vt) = (common_of(&keys, "MAP[...] keys", span)?, common_of(&values, "MAP[...] values", span)?);
    let mut args = Vec::with_capacity(entries.len() * 2);
    for ((k, v), e) in keys.into_iter().zip(values).zip(entries) {
        args.push(cast_to(k, kt, e.key.span())?);
        args.push(cast_to(v, vt, e.value.span())?);
    }
    call(CollectionFunc::MapCtor, args, DataType::map(kt, vt), span)
}

/// `ROW(e1, ...)` or `(e1, e2, ...)`: a row whose fields are named `EXPR$0`, `EXPR$1`, ... as
/// Flink names them.
pub(super) fn bind_row(elems: &[&Expr], scope: &Scope, span: Span) -> Result<ScalarExpr> {
    let bound = elems.iter().map(|e| bind_expr(e, scope)).collect::<Result<Vec<_>>>()?;
    let fields = bound
        .iter()
        .enumerate()
        .map(|(i, b)| RowField { name: format!("EXPR${i}"), ty: if is_null_literal(b) { DataType::Varchar } else { b.ty() } })
        .collect();
    call(CollectionFunc::RowCtor, bound, DataType::row(fields), span)
}

/// `base[index]`: 1-based for an ARRAY (out of range → NULL), by key for a MAP (missing → NULL).
fn subscript(base: ScalarExpr, index: &Expr, scope: &Scope, span: Span) -> Result<ScalarExpr> {
    let at = bind_expr(index, scope)?;
    match base.ty() {
        DataType::Array(elem) => {
            let at = match at.ty() {
                _ if is_null_literal(&at) => ScalarExpr::literal(Datum::Null, DataType::BigInt),
                t if t.is_integer() => cast_to(at, DataType::BigInt, index.span())?,
                t => return Err(PlanError::invalid(format!("an ARRAY index must be an integer, not {t}"), index.span())),
            };
            call(CollectionFunc::ArrayItem, vec![base, at], *elem, span)
        }
        DataType::Map(k, v) => {
            let key = if is_null_literal(&at) || at.ty() == *k || common_type(at.ty(), *k) == Some(*k) {
                cast_to(at, *k, index.span())?
            } else {
                return Err(PlanError::invalid(format!("a key of {} must be {k}, not {}", base.ty(), at.ty()), index.span()));
            };
            call(CollectionFunc::MapItem, vec![base, key], *v, span)
        }
        DataType::Row(fields) => match &at {
            // Flink allows `r['f']` and `r[2]` for a row's fields too.
            ScalarExpr::Literal { value: Datum::Str(name), .. } => field(base, &Ident::with_span(index.span(), name.clone())),
            ScalarExpr::Literal { value: Datum::Int(i), .. } if *i >= 1 && (*i as usize) <= fields.len() => {
                let ty = fields[*i as usize - 1].ty;
                call(CollectionFunc::RowField((*i - 1) as u16), vec![base], ty, span)
            }
            _ => Err(PlanError::invalid("a ROW field is picked by a literal name or position", index.span())),
        },
        t => {
            Err(PlanError::invalid(format!("cannot subscript a value of type {t}"), span).with_hint("`a[i]` needs an ARRAY, `m[k]` a MAP"))
        }
    }
}

/// `base.name`: a field of a ROW (names compared case-insensitively, as columns are).
fn field(base: ScalarExpr, name: &Ident) -> Result<ScalarExpr> {
    let DataType::Row(fields) = base.ty() else {
        return Err(PlanError::invalid(format!("`.{}` needs a ROW, not {}", name.value, base.ty()), name.span));
    };
    let Some(at) = fields.iter().position(|f| f.name.eq_ignore_ascii_case(&name.value)) else {
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        return Err(PlanError::invalid(format!("{} has no field `{}`", base.ty(), name.value), name.span)
            .with_hint_opt(crate::error::did_you_mean(&name.value, names.iter().copied())));
    };
    let at16 = u16::try_from(at).map_err(|_| PlanError::not_supported("a ROW of more than 65535 fields", name.span))?;
    call(CollectionFunc::RowField(at16), vec![base], fields[at].ty, name.span)
}

/// `a.b.c...` with more than two parts, or two that are not `table.column`: a column (qualified
/// or not) followed by ROW fields. `t.r.f` is read as table `t`'s column `r` if `t` is a
/// relation here, else as column `t`'s field `r`'s field `f`.
pub(super) fn compound_identifier(parts: &[Ident], scope: &Scope, span: Span) -> Result<ScalarExpr> {
    let (base, rest) = match parts {
        [q, c, rest @ ..] if scope.relations_named(&q.value).next().is_some() => (scope.qualified_column(q, c)?, rest),
        // `x.c` where `x` is neither a relation nor a column: the error names the unknown table.
        [q, c] if scope.column(q).is_err() => return scope.qualified_column(q, c),
        [c, rest @ ..] => (scope.column(c)?, rest),
        [] => return Err(PlanError::invalid("empty name", span)),
    };
    rest.iter().try_fold(base, field)
}

/// `r.*` (or `t.r.*`, `r.s.*`) where `r` names a ROW column: one column per field, named as the
/// field. An error naming the unknown table when `path` is no ROW.
pub(super) fn row_fields(path: &str, scope: &Scope, span: Span) -> Result<Vec<(ScalarExpr, Field)>> {
    let parts: Vec<Ident> = path.split('.').map(|p| Ident::with_span(span, p.trim_matches(['"', '`']))).collect();
    let row = match compound_identifier(&parts, scope, span) {
        Ok(e) if matches!(e.ty(), DataType::Row(_)) => e,
        Ok(e) => return Err(PlanError::invalid(format!("`{path}.*` needs a ROW, not {}", e.ty()), span)),
        Err(_) => return Err(PlanError::invalid(format!("unknown table `{path}` in `{path}.*`"), span)),
    };
    let DataType::Row(fields) = row.ty() else { return Ok(Vec::new()) };
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let at = u16::try_from(i).map_err(|_| PlanError::not_supported("a ROW of more than 65535 fields", span))?;
            Ok((call(CollectionFunc::RowField(at), vec![row.clone()], f.ty, span)?, Field::new(f.name.clone(), f.ty)))
        })
        .collect()
}

/// `root[...]`, `root.f` chains (`a[1].f['k']`).
pub(super) fn compound_access(root: &Expr, chain: &[AccessExpr], scope: &Scope, span: Span) -> Result<ScalarExpr> {
    let mut value = bind_expr(root, scope)?;
    for access in chain {
        value = match access {
            AccessExpr::Subscript(Subscript::Index { index }) => subscript(value, index, scope, span)?,
            AccessExpr::Subscript(Subscript::Slice { .. }) => {
                return Err(PlanError::not_supported("array slices `a[i:j]`", span).with_hint("use ARRAY_SLICE(a, i, j)"));
            }
            AccessExpr::Dot(Expr::Identifier(name)) => field(value, name)?,
            AccessExpr::Dot(Expr::Wildcard(_)) => {
                return Err(PlanError::not_supported("`r.*` on a ROW", span).with_hint("name the fields: r.a, r.b"));
            }
            AccessExpr::Dot(other) => return Err(PlanError::not_supported(format!("the field access `.{other}`"), other.span())),
        };
    }
    Ok(value)
}

/// Whether a FROM item is `UNNEST(...)` (sqlparser reads it as a table function named UNNEST
/// in vstream's dialect).
pub(super) fn is_unnest(factor: &TableFactor) -> bool {
    match factor {
        TableFactor::UNNEST { .. } => true,
        TableFactor::Table { name, args: Some(_), .. } => super::object_name(name).eq_ignore_ascii_case("UNNEST"),
        _ => false,
    }
}

/// `plan CROSS JOIN UNNEST(collection) [WITH ORDINALITY] [AS t(c1, ...)]` (also `, UNNEST(...)`,
/// `JOIN UNNEST(...) ON TRUE`, and `LEFT JOIN UNNEST(...) ON TRUE`, which keeps a row without
/// elements once with NULLs): each row of `plan` once per element of the ARRAY or MAP
/// `collection` (over `scope`), with the element's columns after the row's. A ROW element's
/// fields are columns of their own, a map's entries a key and a value column.
pub(super) fn join_unnest(
    plan: LogicalPlan,
    scope: Scope,
    factor: &TableFactor,
    operator: Option<&ast::JoinOperator>,
    span: Span,
) -> Result<(LogicalPlan, Scope)> {
    use ast::{JoinConstraint, JoinOperator};
    let on_true = |c: &JoinConstraint| matches!(c, JoinConstraint::On(Expr::Value(v)) if v.value == ast::Value::Boolean(true));
    let outer = match operator {
        None | Some(JoinOperator::CrossJoin(JoinConstraint::None)) => false,
        Some(JoinOperator::Join(c) | JoinOperator::Inner(c)) if on_true(c) => false,
        Some(JoinOperator::Left(c) | JoinOperator::LeftOuter(c)) if on_true(c) => true,
        Some(_) => {
            return Err(PlanError::not_supported("this JOIN with UNNEST", span)
                .with_hint("write CROSS JOIN UNNEST(array) AS t(x), or LEFT JOIN UNNEST(array) AS t(x) ON TRUE"));
        }
    };
    let (alias, exprs, ordinality): (Option<&ast::TableAlias>, Vec<&Expr>, bool) = match factor {
        TableFactor::UNNEST { alias, array_exprs, with_offset: false, with_ordinality, .. } => {
            (alias.as_ref(), array_exprs.iter().collect(), *with_ordinality)
        }
        TableFactor::Table { name, args: Some(args), alias, with_ordinality, .. }
            if super::object_name(name).eq_ignore_ascii_case("UNNEST") =>
        {
            let exprs = args
                .args
                .iter()
                .map(|a| match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e),
                    other => Err(PlanError::not_supported(format!("the UNNEST argument `{other}`"), span)),
                })
                .collect::<Result<Vec<_>>>()?;
            (alias.as_ref(), exprs, *with_ordinality)
        }
        other => {
            return Err(PlanError::not_supported(format!("`{}` in a join", super::first_words(&other.to_string())), other.span())
                .with_hint("vstream joins a table only with UNNEST: CROSS JOIN UNNEST(array) AS t(x)"));
        }
    };
    let [expr] = exprs.as_slice() else {
        return Err(PlanError::not_supported("UNNEST of several collections at once", span).with_hint("UNNEST one ARRAY or MAP per join"));
    };
    let collection = bind_expr(expr, &scope)?;
    let ty = collection.ty();
    if !matches!(ty, DataType::Array(_) | DataType::Map(..)) {
        return Err(PlanError::invalid(format!("UNNEST needs an ARRAY or a MAP, not {ty}"), expr.span()));
    }
    let mut types = unnest_types(ty);
    let mut names = unnest_names(ty);
    if ordinality {
        types.push(DataType::Int);
        names.push("ORDINALITY".into());
    }
    if let Some(a) = alias
        && !a.columns.is_empty()
    {
        if a.columns.len() != types.len() {
            return Err(PlanError::invalid(
                format!("UNNEST of {ty} gives {} columns, but `{}` names {}", types.len(), a.name.value, a.columns.len()),
                a.name.span,
            ));
        }
        names = a.columns.iter().map(|c| c.name.value.clone()).collect();
    }
    let added: Vec<Field> = names.into_iter().zip(types).map(|(n, t)| Field::new(n, t)).collect();
    let mut fields = plan.schema().fields.clone();
    let kept = (0..fields.len()).collect();
    fields.extend(added.iter().cloned());
    let unnest = LogicalPlan::Unnest { input: Box::new(plan), collection, kept, ordinality, outer, schema: Schema::new(fields) };
    let relation = Relation::new(None, alias.map(|a| a.name.value.clone()), Schema::new(added));
    Ok((unnest, scope.joined(relation)))
}
