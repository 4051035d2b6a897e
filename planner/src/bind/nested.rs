//! ARRAY, MAP and ROW: their types in DDL and CAST, their constructors (`ARRAY[...]`,
//! `MAP[...]`, `ROW(...)`, `(a, b)`), and access to what they hold (`a[i]`, `m['k']`, `r.f`,
//! `t.r.f`), as Flink spells them. The parser hooks for the forms sqlparser does not know
//! (`MAP[...]`, `ROW<...>` types) are here too, called from [`crate::dialect`].

use super::Result;
use super::ddl::data_type;
use super::expr::{bind_expr, cast_to, is_null_literal};
use super::scope::Scope;
use crate::error::PlanError;
use sqlparser::ast::{self as ast, AccessExpr, Expr, Ident, Spanned, StructBracketKind, StructField, Subscript};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Span, Token};
use vstream_repr::expr::Func;
use vstream_repr::func::collection::{CollectionFunc, common_type};
use vstream_repr::types::RowField;
use vstream_repr::{DataType, Datum, ScalarExpr};

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

/// `ROW<name type, ...>` or `ROW(name type, ...)` (Flink's row type), which sqlparser does not
/// parse: it comes back as a STRUCT type. `None` when the next tokens are not a row type.
pub fn parse_row_type(parser: &mut Parser) -> Option<std::result::Result<ast::DataType, ParserError>> {
    let is_row = matches!(&parser.peek_token_ref().token, Token::Word(w) if w.keyword == Keyword::ROW);
    let open = parser.peek_nth_token_ref(1).token.clone();
    if !is_row || !matches!(open, Token::Lt | Token::LParen) {
        return None;
    }
    parser.next_token();
    parser.next_token();
    let close = if open == Token::Lt { Token::Gt } else { Token::RParen };
    Some((|| {
        let mut fields = Vec::new();
        if parser.peek_token_ref().token != close {
            loop {
                let name = parser.parse_identifier()?;
                let ty = parser.parse_data_type()?;
                // Flink allows a quoted description after a field's type; it is only a comment.
                if let Token::SingleQuotedString(_) = parser.peek_token_ref().token {
                    parser.next_token();
                }
                fields.push(StructField { field_name: Some(name), field_type: ty, options: None });
                if !parser.consume_token(&Token::Comma) {
                    break;
                }
            }
        }
        parser.expect_token(&close)?;
        Ok(ast::DataType::Struct(
            fields,
            if close == Token::Gt { StructBracketKind::AngleBrackets } else { StructBracketKind::Parentheses },
        ))
    })())
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
/// Flink names them (a column's own name where the value is a plain column reference).
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
