//! vstream's SQL dialect: sqlparser's generic dialect plus the Flink SQL forms it lacks.
//!
//! Flink forms are parsed through sqlparser's dialect hooks rather than by rewriting the SQL text,
//! so every error position still points into the script as the user wrote it.

use sqlparser::ast::helpers::stmt_create_table::CreateTableBuilder;
use sqlparser::ast::{
    CheckConstraint, ColumnDef, ColumnOption, ColumnOptionDef, CreateTableOptions, DataType, Expr, GeneratedAs, GeneratedExpressionMode,
    Ident, ObjectName, Statement, TableConstraint,
};
use sqlparser::dialect::{Dialect, GenericDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

pub mod json;

/// Marks a `TABLE name [PARTITION BY ...]` argument of a window table function.
pub const TABLE_ARG_MARKER: &str = "__vstream_table_arg";

/// The function name `x BETWEEN SYMMETRIC a AND b` is parsed into (see `FlinkDialect::parse_infix`).
pub const BETWEEN_SYMMETRIC_MARKER: &str = "__vstream_between_symmetric";

/// Names the CHECK constraint that carries a `WATERMARK FOR col AS expr` clause of CREATE TABLE.
pub const WATERMARK_MARKER: &str = "__vstream_watermark";

/// sqlparser's generic dialect with Flink's DDL on top: `WATERMARK FOR` and `METADATA` column
/// options in CREATE TABLE.
#[derive(Debug, Default)]
pub struct FlinkDialect {
    generic: GenericDialect,
}

impl Dialect for FlinkDialect {
    fn is_identifier_start(&self, ch: char) -> bool {
        self.generic.is_identifier_start(ch)
    }
    fn is_identifier_part(&self, ch: char) -> bool {
        self.generic.is_identifier_part(ch)
    }
    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        ch == '"' || ch == '`'
    }
    fn supports_filter_during_aggregation(&self) -> bool {
        true
    }
    fn supports_group_by_expr(&self) -> bool {
        true
    }
    /// `ARRAY_AGG(x IGNORE NULLS)`: Flink writes the null treatment inside the parentheses.
    fn supports_window_function_null_treatment_arg(&self) -> bool {
        true
    }

    /// Types sqlparser does not know: `TIMESTAMP[(p)] WITH LOCAL TIME ZONE` (Flink's long name of
    /// `TIMESTAMP_LTZ(p)`, returned as that custom type) and Flink's nested types, `ROW<name
    /// type, ...>` among them (see [`crate::bind::nested::parse_nested_type`]).
    fn parse_data_type(&self, parser: &mut Parser) -> Option<Result<DataType, ParserError>> {
        parse_timestamp_with_local_time_zone(parser).or_else(|| crate::bind::nested::parse_nested_type(parser))
    }

    /// `CREATE TABLE t (..., WATERMARK FOR ts AS ts - INTERVAL '0.2' SECOND) WITH (...)`, which
    /// sqlparser does not know, and computed columns (`name AS expression`, see
    /// [`computed_column`]). Only a CREATE TABLE that holds one of them is parsed here
    /// (column definitions and constraints by sqlparser's own methods); the clause comes back as
    /// a CHECK constraint named [`WATERMARK_MARKER`] over `(column, expression)`; see [`watermark`].
    ///
    /// Also Flink's script statements sqlparser does not know: a statement set
    /// (`EXECUTE STATEMENT SET BEGIN ... END` or `BEGIN STATEMENT SET; ... END`) comes back as a
    /// `BEGIN ... END` block, `Statement::StartTransaction` with its statements (see
    /// [`statement_set`]), and `EXPLAIN PLAN FOR stmt` as `EXPLAIN stmt`.
    fn parse_statement(&self, parser: &mut Parser) -> Option<Result<Statement, ParserError>> {
        let word = |n: usize, k: Keyword| matches!(&parser.peek_nth_token_ref(n).token, Token::Word(w) if w.keyword == k);
        if word(0, Keyword::EXECUTE) && word(1, Keyword::STATEMENT) && word(2, Keyword::SET) && word(3, Keyword::BEGIN) {
            return Some(parse_statement_set(parser, 4));
        }
        if word(0, Keyword::BEGIN)
            && word(1, Keyword::STATEMENT)
            && word(2, Keyword::SET)
            && parser.peek_nth_token_ref(3).token == Token::SemiColon
        {
            return Some(parse_statement_set(parser, 4));
        }
        if word(0, Keyword::EXPLAIN) && word(1, Keyword::PLAN) && word(2, Keyword::FOR) {
            for _ in 0..3 {
                parser.next_token();
            }
            return Some(parser.parse_statement().map(|statement| Statement::Explain {
                describe_alias: sqlparser::ast::DescribeAlias::Explain,
                analyze: false,
                verbose: false,
                query_plan: false,
                estimate: false,
                statement: Box::new(statement),
                format: None,
                options: None,
            }));
        }
        if !has_watermark_clause(parser) {
            return None;
        }
        Some(parse_create_table_with_watermark(parser))
    }

    /// `TABLE bid` and `TABLE bid PARTITION BY k` as arguments of the window table functions
    /// (`TUMBLE(TABLE bid, DESCRIPTOR(ts), ...)`), which sqlparser does not know. They come back as
    /// `Expr::Prefixed { prefix: TABLE_ARG_MARKER, value: Tuple[name, partition keys...] }`; see
    /// [`table_arg`].
    /// Flink's metadata columns: `ts TIMESTAMP(3) METADATA [FROM 'key'] [VIRTUAL]`, kept as a
    /// dialect-specific column option whose tokens are `METADATA`, the key (a string, absent
    /// without FROM) and `VIRTUAL` if given; [`metadata_column`] reads it back.
    fn parse_column_option(&self, parser: &mut Parser) -> Result<Option<Result<Option<ColumnOption>, ParserError>>, ParserError> {
        if !matches!(&parser.peek_token_ref().token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("METADATA"))
        {
            return Ok(None);
        }
        let mut tokens = vec![parser.next_token().token];
        if parser.parse_keyword(Keyword::FROM) {
            match parser.next_token().token {
                t @ Token::SingleQuotedString(_) => tokens.push(t),
                other => {
                    return Ok(Some(Err(ParserError::ParserError(format!(
                        "Expected: a quoted metadata key after METADATA FROM, found: {other}"
                    )))));
                }
            }
        }
        if matches!(&parser.peek_token_ref().token, Token::Word(w) if w.keyword == Keyword::VIRTUAL) {
            tokens.push(parser.next_token().token);
        }
        Ok(Some(Ok(Some(ColumnOption::DialectSpecific(tokens)))))
    }

    /// `KEY k VALUE v` (JSON_OBJECTAGG, JSON_OBJECT): KEY only marks the key. Taken as that only
    /// when an expression and VALUE follow, so a column named `key` still reads as one.
    fn supports_named_fn_args_with_expr_name(&self) -> bool {
        true
    }

    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        if let Some(call) = json::parse_json_call(parser) {
            return Some(call);
        }
        if let Some(map) = crate::bind::nested::parse_map_constructor(parser) {
            return Some(map);
        }
        if matches!(&parser.peek_token_ref().token, Token::Word(w) if w.keyword == Keyword::KEY) {
            let key = parser.maybe_parse(|p| {
                p.next_token();
                let key = p.parse_expr()?;
                if p.peek_keyword(Keyword::VALUE) { Ok(key) } else { p.expected("VALUE after KEY key", p.peek_token()) }
            });
            match key {
                Ok(Some(key)) => return Some(Ok(key)),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
        }
        let is_table = matches!(&parser.peek_token_ref().token, Token::Word(w) if w.keyword == Keyword::TABLE);
        let next_is_name = matches!(&parser.peek_nth_token(1).token, Token::Word(_));
        if !(is_table && next_is_name) {
            return None;
        }
        let start = parser.peek_token().span;
        parser.next_token();
        Some((|| {
            let name = parser.parse_object_name(false)?;
            let mut items = vec![Expr::CompoundIdentifier(name.0.iter().filter_map(|p| p.as_ident().cloned()).collect())];
            // One key, or several in parentheses (`PARTITION BY (a, b)`): a bare comma ends the
            // argument.
            if parser.parse_keywords(&[Keyword::PARTITION, Keyword::BY]) {
                match parser.parse_expr()? {
                    Expr::Tuple(keys) => items.extend(keys),
                    Expr::Nested(key) => items.push(*key),
                    key => items.push(key),
                }
            }
            Ok(Expr::Prefixed { prefix: Ident::with_span(start, TABLE_ARG_MARKER), value: Box::new(Expr::Tuple(items)) })
        })())
    }

    /// `x [NOT] BETWEEN SYMMETRIC a AND b` and `... BETWEEN ASYMMETRIC ...` (Flink's forms, which
    /// sqlparser does not know). ASYMMETRIC is plain BETWEEN; SYMMETRIC comes back as a call of
    /// [`BETWEEN_SYMMETRIC_MARKER`] on `(x, a, b)`, under a NOT when negated.
    fn parse_infix(&self, parser: &mut Parser, expr: &Expr, _precedence: u8) -> Option<Result<Expr, ParserError>> {
        let word = |n: usize, k: Keyword| matches!(&parser.peek_nth_token_ref(n).token, Token::Word(w) if w.keyword == k);
        let negated = word(0, Keyword::NOT);
        let at = usize::from(negated);
        if !word(at, Keyword::BETWEEN) || !(word(at + 1, Keyword::SYMMETRIC) || word(at + 1, Keyword::ASYMMETRIC)) {
            return None;
        }
        let symmetric = word(at + 1, Keyword::SYMMETRIC);
        for _ in 0..at + 2 {
            parser.next_token();
        }
        Some((|| {
            let between = parser.parse_between(expr.clone(), false)?;
            let Expr::Between { expr, low, high, .. } = between else { return Ok(between) };
            let plain = |negated| Expr::Between { expr: expr.clone(), negated, low: low.clone(), high: high.clone() };
            if !symmetric {
                return Ok(plain(negated));
            }
            let arg = |e: Box<Expr>| sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(*e));
            let call = Expr::Function(sqlparser::ast::Function {
                name: ObjectName::from(vec![Ident::new(BETWEEN_SYMMETRIC_MARKER)]),
                uses_odbc_syntax: false,
                parameters: sqlparser::ast::FunctionArguments::None,
                args: sqlparser::ast::FunctionArguments::List(sqlparser::ast::FunctionArgumentList {
                    duplicate_treatment: None,
                    args: vec![arg(expr), arg(low), arg(high)],
                    clauses: vec![],
                }),
                filter: None,
                null_treatment: None,
                over: None,
                within_group: vec![],
            });
            Ok(if negated {
                Expr::UnaryOp { op: sqlparser::ast::UnaryOperator::Not, expr: Box::new(Expr::Nested(Box::new(call))) }
            } else {
                call
            })
        })())
    }
}

/// A statement set after its `opening` tokens: statements, each ended by `;`, up to `END`.
fn parse_statement_set(parser: &mut Parser, opening: usize) -> Result<Statement, ParserError> {
    for _ in 0..opening {
        parser.next_token();
    }
    let mut statements = Vec::new();
    loop {
        while parser.consume_token(&Token::SemiColon) {}
        if parser.parse_keyword(Keyword::END) {
            break;
        }
        if parser.peek_token_ref().token == Token::EOF {
            return parser.expected("END to close the statement set", parser.peek_token());
        }
        statements.push(parser.parse_statement()?);
        if !parser.consume_token(&Token::SemiColon)
            && !matches!(&parser.peek_token_ref().token, Token::Word(w) if w.keyword == Keyword::END)
        {
            return parser.expected("`;` after a statement of the statement set", parser.peek_token());
        }
    }
    Ok(Statement::StartTransaction {
        modes: Vec::new(),
        begin: true,
        transaction: None,
        modifier: None,
        statements,
        exception: None,
        has_end_keyword: true,
    })
}

/// The statements of a statement set parsed by [`FlinkDialect`] (a `BEGIN ... END` block).
pub fn statement_set(s: &Statement) -> Option<&[Statement]> {
    match s {
        Statement::StartTransaction { statements, has_end_keyword: true, .. } => Some(statements),
        _ => None,
    }
}

/// Whether the tokens ahead are `CREATE TABLE name (...)` with a WATERMARK among its elements.
fn has_watermark_clause(parser: &Parser) -> bool {
    let word = |n: usize, k: Keyword| matches!(&parser.peek_nth_token_ref(n).token, Token::Word(w) if w.keyword == k);
    if !(word(0, Keyword::CREATE) && word(1, Keyword::TABLE)) {
        return false;
    }
    let mut depth = 0usize;
    let mut previous_opens_element = false;
    for n in 2.. {
        let token = &parser.peek_nth_token_ref(n).token;
        match token {
            Token::EOF | Token::SemiColon => return false,
            Token::LParen => depth += 1,
            Token::RParen if depth <= 1 => return false,
            Token::RParen => depth -= 1,
            Token::Word(w) if depth == 1 && previous_opens_element && is_watermark(w) && word(n + 1, Keyword::FOR) => return true,
            // A computed column: `name AS expression`.
            Token::Word(_) if depth == 1 && previous_opens_element && word(n + 1, Keyword::AS) => return true,
            _ => {}
        }
        previous_opens_element = depth == 1 && matches!(token, Token::LParen | Token::Comma);
    }
    false
}

/// WATERMARK is no sqlparser keyword: the clause is the unquoted word followed by FOR.
fn is_watermark(w: &sqlparser::tokenizer::Word) -> bool {
    w.quote_style.is_none() && w.value.eq_ignore_ascii_case("WATERMARK")
}

fn parse_create_table_with_watermark(parser: &mut Parser) -> Result<Statement, ParserError> {
    parser.expect_keyword(Keyword::CREATE)?;
    parser.expect_keyword(Keyword::TABLE)?;
    let if_not_exists = parser.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = parser.parse_object_name(false)?;
    parser.expect_token(&Token::LParen)?;
    let mut columns = Vec::new();
    let mut constraints = Vec::new();
    loop {
        let is_for = matches!(&parser.peek_nth_token_ref(1).token, Token::Word(w) if w.keyword == Keyword::FOR);
        if is_for && matches!(&parser.peek_token_ref().token, Token::Word(w) if is_watermark(w)) {
            let at = parser.next_token().span;
            parser.expect_keyword(Keyword::FOR)?;
            let column = parser.parse_identifier()?;
            parser.expect_keyword(Keyword::AS)?;
            let expr = parser.parse_expr()?;
            constraints.push(TableConstraint::Check(CheckConstraint {
                name: Some(Ident::with_span(at, WATERMARK_MARKER)),
                expr: Box::new(Expr::Tuple(vec![Expr::Identifier(column), expr])),
                no_inherit: false,
                enforced: None,
            }));
        } else if matches!(&parser.peek_nth_token_ref(1).token, Token::Word(w) if w.keyword == Keyword::AS) {
            // `name AS expression`: a computed column, kept as sqlparser keeps `name type AS
            // (expression)` without its type.
            let name = parser.parse_identifier()?;
            parser.expect_keyword(Keyword::AS)?;
            let expr = parser.parse_expr()?;
            let option = ColumnOption::Generated {
                generated_as: GeneratedAs::Always,
                sequence_options: None,
                generation_expr: Some(expr),
                generation_expr_mode: Some(GeneratedExpressionMode::Virtual),
                generated_keyword: false,
            };
            columns.push(ColumnDef { name, data_type: DataType::Unspecified, options: vec![ColumnOptionDef { name: None, option }] });
        } else if let Some(c) = parser.parse_optional_table_constraint()? {
            constraints.push(c);
        } else {
            columns.push(parser.parse_column_def()?);
        }
        if !parser.consume_token(&Token::Comma) {
            parser.expect_token(&Token::RParen)?;
            break;
        }
    }
    let options = parser.parse_options(Keyword::WITH)?;
    let table_options = if options.is_empty() { CreateTableOptions::None } else { CreateTableOptions::With(options) };
    let builder = CreateTableBuilder::new(name).if_not_exists(if_not_exists).columns(columns).constraints(constraints);
    Ok(Statement::CreateTable(builder.table_options(table_options).build()))
}

/// The `WATERMARK FOR column AS expression` of a constraint made by [`FlinkDialect`], with the
/// position of the WATERMARK keyword.
pub fn watermark(c: &TableConstraint) -> Option<(&Ident, &Expr, sqlparser::tokenizer::Span)> {
    let TableConstraint::Check(CheckConstraint { name: Some(name), expr, .. }) = c else { return None };
    if name.value != WATERMARK_MARKER {
        return None;
    }
    let Expr::Tuple(items) = expr.as_ref() else { return None };
    match items.as_slice() {
        [Expr::Identifier(column), e] => Some((column, e, name.span)),
        _ => None,
    }
}

/// The expression of a computed column `name AS expression` (see `parse_create_table_with_watermark`).
pub fn computed_column(c: &ColumnDef) -> Option<&Expr> {
    if c.data_type != DataType::Unspecified {
        return None;
    }
    c.options.iter().find_map(|o| match &o.option {
        ColumnOption::Generated { generation_expr: Some(e), generated_keyword: false, .. } => Some(e),
        _ => None,
    })
}

/// The table and partition keys of a `TABLE name [PARTITION BY ...]` argument.
/// A `METADATA [FROM 'key'] [VIRTUAL]` column option (see `FlinkDialect::parse_column_option`):
/// the key, if given.
pub fn metadata_column(option: &ColumnOption) -> Option<Option<&str>> {
    let ColumnOption::DialectSpecific(tokens) = option else { return None };
    match tokens.as_slice() {
        [Token::Word(w), rest @ ..] if w.value.eq_ignore_ascii_case("METADATA") => Some(match rest.first() {
            Some(Token::SingleQuotedString(key)) => Some(key.as_str()),
            _ => None,
        }),
        _ => None,
    }
}

/// A `TABLE t` argument of a table function as sqlparser gives it (a prefixed tuple): the table's
/// name and what follows it, if `expr` is one.
pub fn table_arg(expr: &Expr) -> Option<(ObjectName, &[Expr])> {
    let Expr::Prefixed { prefix, value } = expr else { return None };
    let Expr::Tuple(items) = value.as_ref() else { return None };
    if prefix.value != TABLE_ARG_MARKER {
        return None;
    }
    let Some(Expr::CompoundIdentifier(parts)) = items.first() else { return None };
    Some((ObjectName::from(parts.clone()), &items[1..]))
}

/// See [`FlinkDialect::parse_data_type`]: `None`, with the cursor where it was, for any other type.
fn parse_timestamp_with_local_time_zone(parser: &mut Parser) -> Option<Result<DataType, ParserError>> {
    let word = |n: usize, k: Keyword| matches!(&parser.peek_nth_token_ref(n).token, Token::Word(w) if w.keyword == k);
    if !word(0, Keyword::TIMESTAMP) {
        return None;
    }
    let precision = match (&parser.peek_nth_token_ref(1).token, &parser.peek_nth_token_ref(2).token, &parser.peek_nth_token_ref(3).token) {
        (Token::LParen, Token::Number(n, _), Token::RParen) => Some(n.clone()),
        _ => None,
    };
    let at = if precision.is_some() { 4 } else { 1 };
    if !(word(at, Keyword::WITH) && word(at + 1, Keyword::LOCAL) && word(at + 2, Keyword::TIME) && word(at + 3, Keyword::ZONE)) {
        return None;
    }
    for _ in 0..at + 4 {
        parser.next_token();
    }
    let modifiers = precision.map(|n| vec![sqlparser::ast::TypeModifier::Number(n, false)]).unwrap_or_default();
    Some(Ok(DataType::Custom(ObjectName::from(vec![Ident::new("TIMESTAMP_LTZ")]), modifiers)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_window_table_functions() {
        for sql in [
            "SELECT window_start, window_end, auction, COUNT(*) AS bids FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, auction",
            "SELECT * FROM TABLE(HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND))",
            "SELECT * FROM TABLE(SESSION(TABLE bid PARTITION BY bidder, DESCRIPTOR(date_time), INTERVAL '5' SECOND))",
            "SELECT * FROM TABLE(SESSION(TABLE bid PARTITION BY (bidder, auction), DESCRIPTOR(date_time), INTERVAL '5' SECOND))",
            "SELECT COUNT(*) FILTER (WHERE price > 10) FROM bid",
            "CREATE TABLE bid (a BIGINT, date_time TIMESTAMP(3), WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND) WITH ('connector' = 'file')",
            "CREATE TABLE bid (date_time TIMESTAMP(3), WATERMARK FOR date_time AS date_time, PRIMARY KEY (date_time) NOT ENFORCED)",
        ] {
            Parser::parse_sql(&FlinkDialect::default(), sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }

    #[test]
    fn partition_keys_end_at_the_comma() {
        for (sql, keys) in [
            ("SELECT * FROM TABLE(SESSION(TABLE bid PARTITION BY bidder, DESCRIPTOR(ts), INTERVAL '5' SECOND))", 1),
            ("SELECT * FROM TABLE(SESSION(TABLE bid PARTITION BY (bidder, auction), DESCRIPTOR(ts), INTERVAL '5' SECOND))", 2),
        ] {
            let text = Parser::parse_sql(&FlinkDialect::default(), sql).unwrap()[0].to_string();
            let args = text.matches("DESCRIPTOR").count();
            assert_eq!(args, 1, "{text}");
            let stmts = Parser::parse_sql(&FlinkDialect::default(), sql).unwrap();
            let sqlparser::ast::Statement::Query(q) = &stmts[0] else { panic!() };
            let sqlparser::ast::SetExpr::Select(s) = q.body.as_ref() else { panic!() };
            let sqlparser::ast::TableFactor::TableFunction { expr: Expr::Function(f), .. } = &s.from[0].relation else { panic!() };
            let sqlparser::ast::FunctionArguments::List(l) = &f.args else { panic!() };
            assert_eq!(l.args.len(), 3, "{sql}");
            let sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(first)) = &l.args[0] else { panic!() };
            assert_eq!(table_arg(first).unwrap().1.len(), keys, "{sql}");
        }
    }

    #[test]
    fn watermark_clause_comes_back_as_a_marked_constraint() {
        let sql =
            "CREATE TABLE bid (a BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '0.2' SECOND) WITH ('connector' = 'file')";
        let stmts = Parser::parse_sql(&FlinkDialect::default(), sql).unwrap();
        let Statement::CreateTable(ct) = &stmts[0] else { panic!("not a CREATE TABLE") };
        assert_eq!(ct.columns.len(), 2);
        let (col, expr, _) = watermark(&ct.constraints[0]).expect("a watermark");
        assert_eq!(col.value, "ts");
        assert_eq!(expr.to_string(), "ts - INTERVAL '0.2' SECOND");
        assert!(matches!(ct.table_options, CreateTableOptions::With(ref o) if o.len() == 1));
        // A column named watermark is not the clause.
        let plain = "CREATE TABLE t (watermark BIGINT) WITH ('connector' = 'file')";
        assert!(Parser::parse_sql(&FlinkDialect::default(), plain).is_ok());
        let bad = "CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts ts)";
        assert!(Parser::parse_sql(&FlinkDialect::default(), bad).unwrap_err().to_string().contains("Expected: AS"));
    }
}
