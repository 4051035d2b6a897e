//! vstream's SQL dialect: sqlparser's generic dialect plus the Flink SQL forms it lacks.
//!
//! Flink forms are parsed through sqlparser's dialect hooks rather than by rewriting the SQL text,
//! so every error position still points into the script as the user wrote it.

use sqlparser::ast::{Expr, Ident, ObjectName};
use sqlparser::dialect::{Dialect, GenericDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// Marks a `TABLE name [PARTITION BY ...]` argument of a window table function.
pub const TABLE_ARG_MARKER: &str = "__vstream_table_arg";

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

    /// `TABLE bid` and `TABLE bid PARTITION BY k` as arguments of the window table functions
    /// (`TUMBLE(TABLE bid, DESCRIPTOR(ts), ...)`), which sqlparser does not know. They come back as
    /// `Expr::Prefixed { prefix: TABLE_ARG_MARKER, value: Tuple[name, partition keys...] }`; see
    /// [`table_arg`].
    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
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
            if parser.parse_keywords(&[Keyword::PARTITION, Keyword::BY]) {
                items.extend(parser.parse_comma_separated(Parser::parse_expr)?);
            }
            Ok(Expr::Prefixed { prefix: Ident::with_span(start, TABLE_ARG_MARKER), value: Box::new(Expr::Tuple(items)) })
        })())
    }
}

/// The table and partition keys of a `TABLE name [PARTITION BY ...]` argument.
pub fn table_arg(expr: &Expr) -> Option<(ObjectName, &[Expr])> {
    let Expr::Prefixed { prefix, value } = expr else { return None };
    let Expr::Tuple(items) = value.as_ref() else { return None };
    if prefix.value != TABLE_ARG_MARKER {
        return None;
    }
    let Some(Expr::CompoundIdentifier(parts)) = items.first() else { return None };
    Some((ObjectName::from(parts.clone()), &items[1..]))
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
            "SELECT COUNT(*) FILTER (WHERE price > 10) FROM bid",
        ] {
            Parser::parse_sql(&FlinkDialect::default(), sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}
