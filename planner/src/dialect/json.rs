//! Flink's SQL/JSON call syntax, which sqlparser's generic dialect does not parse: the clauses
//! of `JSON_VALUE`, `JSON_QUERY` and `JSON_EXISTS` (`RETURNING t`, `... ON EMPTY`, `... ON
//! ERROR`, `WITH [CONDITIONAL] ARRAY WRAPPER`) and JSON_OBJECT's `[KEY] k VALUE v`.
//!
//! The call comes back as an ordinary `Expr::Function`, clauses encoded so the binder (see
//! `bind::json`) reads them back and the call still prints readably:
//! - `RETURNING t` is sqlparser's own `JsonReturningClause`, and `{NULL | ABSENT} ON NULL` its
//!   `JsonNullClause`, both among the argument list's clauses;
//! - `behaviour ON EMPTY`, `behaviour ON ERROR` and the wrapper are extra arguments after the
//!   path, each an `Expr::Prefixed` whose prefix is [`ON_EMPTY`], [`ON_ERROR`] or [`WRAPPER`]
//!   and whose value is the behaviour: an identifier (`NULL`, `ERROR`, `EMPTY ARRAY`, `TRUE`,
//!   `WITH CONDITIONAL ARRAY`, ...) or, for `DEFAULT expr`, a prefixed `DEFAULT` over `expr`;
//! - a JSON_OBJECT member is a named argument `k VALUE v`.

use sqlparser::ast::{
    DuplicateTreatment, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgOperator, FunctionArgumentClause, FunctionArgumentList,
    FunctionArguments, Ident, JsonNullClause, JsonReturningClause, ObjectName,
};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Span, Token};

/// The prefix of an `... ON EMPTY` argument.
pub const ON_EMPTY: &str = "ON EMPTY";
/// The prefix of an `... ON ERROR` argument.
pub const ON_ERROR: &str = "ON ERROR";
/// The prefix of a wrapper argument.
pub const WRAPPER: &str = "WRAPPER";
/// The prefix of a `DEFAULT expr` behaviour.
pub const DEFAULT: &str = "DEFAULT";

/// The functions parsed here.
const CALLS: &[&str] = &["JSON_VALUE", "JSON_QUERY", "JSON_EXISTS", "JSON_OBJECT", "JSON_ARRAY"];

/// Whether token `n` ahead is the unquoted word `text` (any case).
fn word(parser: &Parser, n: usize, text: &str) -> bool {
    matches!(&parser.peek_nth_token_ref(n).token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(text))
}

/// Consumes the words `texts` if they are next.
fn words(parser: &mut Parser, texts: &[&str]) -> bool {
    if texts.iter().enumerate().all(|(n, t)| word(parser, n, t)) {
        for _ in texts {
            parser.next_token();
        }
        return true;
    }
    false
}

/// A JSON call at the parser's position, if there is one (its name and `(` are next).
pub fn parse_json_call(parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
    let name = CALLS.iter().find(|c| word(parser, 0, c))?;
    if parser.peek_nth_token_ref(1).token != Token::LParen {
        return None;
    }
    let name_token = parser.next_token();
    parser.next_token();
    let name_ident = match &name_token.token {
        Token::Word(w) => Ident::with_span(name_token.span, w.value.clone()),
        _ => Ident::with_span(name_token.span, *name),
    };
    let body = match *name {
        "JSON_OBJECT" => parse_object_args(parser),
        "JSON_ARRAY" => parse_array_args(parser),
        _ => parse_path_call_args(parser),
    };
    Some(body.map(|list| {
        Expr::Function(Function {
            name: ObjectName::from(vec![name_ident]),
            uses_odbc_syntax: false,
            parameters: FunctionArguments::None,
            args: FunctionArguments::List(list),
            within_group: vec![],
            filter: None,
            null_treatment: None,
            over: None,
        })
    }))
}

fn unnamed(e: Expr) -> FunctionArg {
    FunctionArg::Unnamed(FunctionArgExpr::Expr(e))
}

fn marker(prefix: &str, span: Span, value: Expr) -> FunctionArg {
    unnamed(Expr::Prefixed { prefix: Ident::with_span(span, prefix), value: Box::new(value) })
}

fn list(args: Vec<FunctionArg>, clauses: Vec<FunctionArgumentClause>) -> FunctionArgumentList {
    FunctionArgumentList { duplicate_treatment: None::<DuplicateTreatment>, args, clauses }
}

/// `doc, path [RETURNING t] [wrapper] [b ON EMPTY] [b ON ERROR] )`, clauses in any order.
fn parse_path_call_args(parser: &mut Parser) -> Result<FunctionArgumentList, ParserError> {
    let mut args = vec![unnamed(parser.parse_expr()?)];
    parser.expect_token(&Token::Comma)?;
    args.push(unnamed(parser.parse_expr()?));
    let mut clauses = Vec::new();
    loop {
        let span = parser.peek_token_ref().span;
        if words(parser, &["RETURNING"]) {
            clauses.push(FunctionArgumentClause::JsonReturningClause(JsonReturningClause { data_type: parser.parse_data_type()? }));
            continue;
        }
        if let Some(wrapper) = parse_wrapper(parser) {
            args.push(marker(WRAPPER, span, Expr::Identifier(Ident::with_span(span, wrapper))));
            continue;
        }
        let behaviour = if words(parser, &["DEFAULT"]) {
            let value = parser.parse_expr()?;
            Expr::Prefixed { prefix: Ident::with_span(span, DEFAULT), value: Box::new(value) }
        } else if let Some(b) = ["EMPTY ARRAY", "EMPTY OBJECT", "NULL", "ERROR", "TRUE", "FALSE", "UNKNOWN"]
            .iter()
            .find(|b| words(parser, &b.split(' ').collect::<Vec<_>>()))
        {
            Expr::Identifier(Ident::with_span(span, *b))
        } else {
            break;
        };
        let on = if words(parser, &["ON", "EMPTY"]) {
            ON_EMPTY
        } else if words(parser, &["ON", "ERROR"]) {
            ON_ERROR
        } else {
            return parser.expected("ON EMPTY or ON ERROR", parser.peek_token());
        };
        args.push(marker(on, span, behaviour));
    }
    parser.expect_token(&Token::RParen)?;
    Ok(list(args, clauses))
}

/// `WITHOUT [ARRAY] WRAPPER`, `WITH [CONDITIONAL | UNCONDITIONAL] [ARRAY] WRAPPER`, as the
/// wrapper's canonical name.
fn parse_wrapper(parser: &mut Parser) -> Option<&'static str> {
    let forms: &[(&[&str], &str)] = &[
        (&["WITHOUT", "ARRAY", "WRAPPER"], "WITHOUT ARRAY"),
        (&["WITHOUT", "WRAPPER"], "WITHOUT ARRAY"),
        (&["WITH", "CONDITIONAL", "ARRAY", "WRAPPER"], "WITH CONDITIONAL ARRAY"),
        (&["WITH", "CONDITIONAL", "WRAPPER"], "WITH CONDITIONAL ARRAY"),
        (&["WITH", "UNCONDITIONAL", "ARRAY", "WRAPPER"], "WITH UNCONDITIONAL ARRAY"),
        (&["WITH", "UNCONDITIONAL", "WRAPPER"], "WITH UNCONDITIONAL ARRAY"),
        (&["WITH", "ARRAY", "WRAPPER"], "WITH UNCONDITIONAL ARRAY"),
        (&["WITH", "WRAPPER"], "WITH UNCONDITIONAL ARRAY"),
    ];
    forms.iter().find(|(w, _)| words(parser, w)).map(|(_, name)| *name)
}

/// `NULL ON NULL` or `ABSENT ON NULL`, if next.
fn parse_null_clause(parser: &mut Parser) -> Option<FunctionArgumentClause> {
    if words(parser, &["NULL", "ON", "NULL"]) {
        Some(FunctionArgumentClause::JsonNullClause(JsonNullClause::NullOnNull))
    } else if words(parser, &["ABSENT", "ON", "NULL"]) {
        Some(FunctionArgumentClause::JsonNullClause(JsonNullClause::AbsentOnNull))
    } else {
        None
    }
}

/// `[[KEY] k VALUE v [, ...]] [{NULL | ABSENT} ON NULL] )`.
fn parse_object_args(parser: &mut Parser) -> Result<FunctionArgumentList, ParserError> {
    let mut args = Vec::new();
    let mut clauses = Vec::new();
    loop {
        if let Some(c) = parse_null_clause(parser) {
            clauses.push(c);
            break;
        }
        if parser.peek_token_ref().token == Token::RParen {
            break;
        }
        // KEY is optional; `key VALUE v` is a member keyed by a column named key.
        if word(parser, 0, "KEY") && !word(parser, 1, "VALUE") {
            parser.next_token();
        }
        let key = parser.parse_expr()?;
        if !words(parser, &["VALUE"]) {
            return parser.expected("VALUE after a JSON_OBJECT key", parser.peek_token());
        }
        let value = parser.parse_expr()?;
        args.push(FunctionArg::ExprNamed { name: key, arg: FunctionArgExpr::Expr(value), operator: FunctionArgOperator::Value });
        if !parser.consume_token(&Token::Comma) {
            if let Some(c) = parse_null_clause(parser) {
                clauses.push(c);
            }
            break;
        }
    }
    parser.expect_token(&Token::RParen)?;
    Ok(list(args, clauses))
}

/// `[v [, ...]] [{NULL | ABSENT} ON NULL] )`.
fn parse_array_args(parser: &mut Parser) -> Result<FunctionArgumentList, ParserError> {
    let mut args = Vec::new();
    let mut clauses = Vec::new();
    loop {
        if let Some(c) = parse_null_clause(parser) {
            clauses.push(c);
            break;
        }
        if parser.peek_token_ref().token == Token::RParen {
            break;
        }
        args.push(unnamed(parser.parse_expr()?));
        if !parser.consume_token(&Token::Comma) {
            if let Some(c) = parse_null_clause(parser) {
                clauses.push(c);
            }
            break;
        }
    }
    parser.expect_token(&Token::RParen)?;
    Ok(list(args, clauses))
}

#[cfg(test)]
mod tests {
    use crate::dialect::FlinkDialect;
    use sqlparser::parser::Parser;

    fn expr(sql: &str) -> String {
        let stmts = Parser::parse_sql(&FlinkDialect::default(), &format!("SELECT {sql}")).unwrap_or_else(|e| panic!("{sql}: {e}"));
        stmts[0].to_string()
    }

    #[test]
    fn parses_flinks_json_calls() {
        for (sql, printed) in [
            ("JSON_VALUE(doc, '$.a')", "JSON_VALUE(doc, '$.a')"),
            (
                "json_value(doc, 'lax $.a' RETURNING INT DEFAULT -1 ON EMPTY ERROR ON ERROR)",
                "json_value(doc, 'lax $.a', ON EMPTY DEFAULT -1, ON ERROR ERROR RETURNING INT)",
            ),
            (
                "JSON_QUERY(doc, '$.a' WITH CONDITIONAL WRAPPER EMPTY ARRAY ON EMPTY)",
                "JSON_QUERY(doc, '$.a', WRAPPER WITH CONDITIONAL ARRAY, ON EMPTY EMPTY ARRAY)",
            ),
            ("JSON_QUERY(doc, '$.a' RETURNING ARRAY<STRING>)", "JSON_QUERY(doc, '$.a' RETURNING ARRAY<STRING>)"),
            ("JSON_EXISTS(doc, '$.a' UNKNOWN ON ERROR)", "JSON_EXISTS(doc, '$.a', ON ERROR UNKNOWN)"),
            (
                "JSON_OBJECT(KEY 'a' VALUE 1, 'b' VALUE JSON_ARRAY(1, NULL NULL ON NULL) ABSENT ON NULL)",
                "JSON_OBJECT('a' VALUE 1, 'b' VALUE JSON_ARRAY(1, NULL NULL ON NULL) ABSENT ON NULL)",
            ),
            ("JSON_OBJECT(key VALUE 1)", "JSON_OBJECT(key VALUE 1)"),
            ("JSON_OBJECT()", "JSON_OBJECT()"),
            ("JSON_ARRAY(NULL ON NULL)", "JSON_ARRAY(NULL ON NULL)"),
            ("JSON_ARRAY(NULL)", "JSON_ARRAY(NULL)"),
        ] {
            assert_eq!(expr(sql), format!("SELECT {printed}"), "{sql}");
        }
    }

    #[test]
    fn bad_clauses_are_parse_errors() {
        for sql in ["JSON_VALUE(doc)", "JSON_VALUE(doc, '$' NULL)", "JSON_OBJECT('a' 1)", "JSON_QUERY(doc, '$' WITH ARRAY)"] {
            assert!(Parser::parse_sql(&FlinkDialect::default(), &format!("SELECT {sql}")).is_err(), "{sql}");
        }
    }
}
