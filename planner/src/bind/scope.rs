//! The scope names are resolved in: the relations of a FROM clause, each with its columns at an
//! offset in the combined row, or the groups of an aggregation.

use super::Result;
use crate::error::{PlanError, closest, did_you_mean};
use sqlparser::ast;
use vstream_repr::{Field, ScalarExpr, Schema};

/// One relation of a FROM clause as a scope sees it: the names that qualify its columns, and the
/// columns, which sit at `offset..offset + schema.len()` of the scope's combined row.
#[derive(Clone, Debug)]
pub(super) struct Relation {
    /// The table read, or `None` for a subquery in FROM.
    pub(super) table: Option<String>,
    /// `FROM t AS a` (or a subquery's alias): then `a`, not `t`, qualifies the columns.
    pub(super) alias: Option<String>,
    /// The relation's columns.
    pub(super) schema: Schema,
    /// Where its first column sits in the combined row; [`Scope::new`] sets it.
    pub(super) offset: usize,
}

impl Relation {
    /// A relation read as `table` (if it is one) under `alias` (if it has one).
    pub(super) fn new(table: Option<String>, alias: Option<String>, schema: Schema) -> Relation {
        Relation { table, alias, schema, offset: 0 }
    }

    /// The name that qualifies its columns: the alias, else the table's name.
    fn qualifier(&self) -> Option<&str> {
        self.alias.as_deref().or(self.table.as_deref())
    }

    /// Whether `q.column` names a column of this relation.
    pub(super) fn matches_qualifier(&self, q: &str) -> bool {
        self.qualifier().is_some_and(|n| n.eq_ignore_ascii_case(q))
    }

    /// The name an error calls it by: the table's, else the alias.
    fn name(&self) -> &str {
        self.table.as_deref().or(self.alias.as_deref()).unwrap_or("")
    }

    /// `q.column` when the relation has a qualifier, else `column`.
    fn qualified(&self, column: &str) -> String {
        match self.qualifier() {
            Some(q) => format!("{q}.{column}"),
            None => column.to_string(),
        }
    }

    /// Its column `i` as an expression over the combined row.
    pub(super) fn column(&self, i: usize) -> ScalarExpr {
        ScalarExpr::column(self.offset + i, self.schema.fields[i].ty)
    }

    /// The unknown-column error for `name` looked up in this relation alone.
    fn unknown_column(&self, name: &ast::Ident) -> PlanError {
        PlanError::invalid(format!("unknown column `{}` in `{}`", name.value, self.name()), name.span)
            .with_hint_opt(did_you_mean(&name.value, self.schema.fields.iter().map(|f| f.name.as_str())))
    }
}

/// An aggregation's input scope and its bound GROUP BY keys (output columns `0..keys.len()`).
pub(super) struct Grouping {
    /// The scope of the rows before the aggregation.
    pub(super) input: Scope,
    /// The group keys, bound over `input`.
    pub(super) keys: Vec<ScalarExpr>,
}

/// The columns an expression can name: the relations of a FROM clause side by side in one
/// combined row, or (after GROUP BY) the groups' keys and aggregates.
pub(super) struct Scope {
    relations: Vec<Relation>,
    /// The combined row: every relation's columns, in order.
    pub(super) schema: Schema,
    /// After GROUP BY: the input's scope and the group keys.
    pub(super) grouping: Option<Box<Grouping>>,
    /// After GROUP BY: the SQL text of each key and aggregate with its output column.
    pub(super) computed: Vec<(String, usize)>,
}

impl Scope {
    /// The relations side by side, in order: each one's columns follow the previous one's.
    pub(super) fn new(relations: Vec<Relation>) -> Scope {
        let mut fields = Vec::new();
        let relations = relations
            .into_iter()
            .map(|r| {
                let offset = fields.len();
                fields.extend(r.schema.fields.iter().cloned());
                Relation { offset, ..r }
            })
            .collect();
        Scope { relations, schema: Schema::new(fields), grouping: None, computed: Vec::new() }
    }

    /// One relation: `table` (if it is one) under `alias` (if it has one).
    pub(super) fn single(table: Option<String>, alias: Option<String>, schema: Schema) -> Scope {
        Scope::new(vec![Relation::new(table, alias, schema)])
    }

    /// The scope over an aggregation's output `schema`: names resolve through `grouping` (a key
    /// or an aggregate of the input), or `computed` (the SQL text of a key or aggregate).
    pub(super) fn grouped(grouping: Grouping, schema: Schema, computed: Vec<(String, usize)>) -> Scope {
        Scope { grouping: Some(Box::new(grouping)), computed, ..Scope::single(None, None, schema) }
    }

    /// The same scope with `relation` after its relations (its columns after theirs).
    pub(super) fn joined(self, relation: Relation) -> Scope {
        let mut relations = self.relations;
        relations.push(relation);
        Scope::new(relations)
    }

    /// The same scope with `fields` added to its last relation (the window columns a window table
    /// function adds to its table's).
    pub(super) fn extended(self, fields: Vec<Field>) -> Scope {
        let mut relations = self.relations;
        if let Some(last) = relations.last_mut() {
            let mut all = std::mem::take(&mut last.schema.fields);
            all.extend(fields);
            last.schema = Schema::new(all);
        }
        Scope { grouping: self.grouping, computed: self.computed, ..Scope::new(relations) }
    }

    /// The relations `q` qualifies (one, unless the FROM clause names two alike).
    pub(super) fn relations_named<'s>(&'s self, q: &'s str) -> impl Iterator<Item = &'s Relation> + 's {
        self.relations.iter().filter(move |r| r.matches_qualifier(q))
    }

    /// An unqualified column `name`: the one column of that name among all relations.
    pub(super) fn column(&self, name: &ast::Ident) -> Result<ScalarExpr> {
        let found: Vec<(&Relation, usize)> = self.relations.iter().filter_map(|r| r.schema.index_of(&name.value).map(|i| (r, i))).collect();
        match found.as_slice() {
            [(r, i)] => Ok(r.column(*i)),
            [] => Err(self.unknown_column(name)),
            several => {
                let candidates: Vec<String> =
                    several.iter().map(|(r, i)| format!("`{}`", r.qualified(&r.schema.fields[*i].name))).collect();
                Err(PlanError::invalid(format!("column reference \"{}\" is ambiguous", name.value), name.span)
                    .with_hint(format!("it could be {}; qualify it with its table", or_list(&candidates))))
            }
        }
    }

    /// A qualified column `q.name`.
    pub(super) fn qualified_column(&self, q: &ast::Ident, name: &ast::Ident) -> Result<ScalarExpr> {
        let named: Vec<&Relation> = self.relations_named(&q.value).collect();
        match named.as_slice() {
            [r] => match r.schema.index_of(&name.value) {
                Some(i) => Ok(r.column(i)),
                None => Err(r.unknown_column(name)),
            },
            [] => {
                let names = self.relations.iter().flat_map(|r| r.table.iter().chain(&r.alias)).map(String::as_str);
                Err(PlanError::invalid(format!("unknown table `{}`", q.value), q.span).with_hint_opt(did_you_mean(&q.value, names)))
            }
            _ => Err(PlanError::invalid(format!("table reference \"{}\" is ambiguous", q.value), q.span)
                .with_hint("give each relation of that name its own alias: FROM t AS a, t AS b")),
        }
    }

    /// The error for an unqualified `name` no relation has: with one relation as it always was,
    /// with several naming them, and the closest column qualified.
    fn unknown_column(&self, name: &ast::Ident) -> PlanError {
        match self.relations.as_slice() {
            [r] => r.unknown_column(name),
            relations => {
                let tables: Vec<String> = relations.iter().map(|r| format!("`{}`", r.qualifier().unwrap_or("(subquery)"))).collect();
                let columns: Vec<(&Relation, &str)> =
                    relations.iter().flat_map(|r| r.schema.fields.iter().map(move |f| (r, f.name.as_str()))).collect();
                let hint = closest(&name.value, columns.iter().map(|(_, c)| *c)).map(|i| {
                    let (r, c) = columns[i];
                    format!("did you mean `{}`?", r.qualified(c))
                });
                PlanError::invalid(format!("unknown column `{}` in {}", name.value, or_list(&tables)), name.span).with_hint_opt(hint)
            }
        }
    }
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Position;
    use sqlparser::tokenizer::{Location, Span};
    use vstream_repr::DataType;

    /// `FROM bids AS a, (SELECT ...) AS b` with `a(x, price)` and `b(x, y)`.
    fn two() -> Scope {
        let a = Schema::new(vec![Field::new("x", DataType::Int), Field::new("price", DataType::BigInt)]);
        let b = Schema::new(vec![Field::new("x", DataType::Varchar), Field::new("y", DataType::Double)]);
        Scope::new(vec![Relation::new(Some("bids".into()), Some("a".into()), a), Relation::new(None, Some("b".into()), b)])
    }

    /// `name` written at line 1, columns `at..at + len`.
    fn ident(name: &str, at: u64) -> ast::Ident {
        ast::Ident::with_span(Span::new(Location::new(1, at), Location::new(1, at + name.len() as u64)), name)
    }

    fn column(index: usize, ty: DataType) -> ScalarExpr {
        ScalarExpr::column(index, ty)
    }

    #[test]
    fn offsets_and_combined_row() {
        let s = two();
        assert_eq!(s.schema.len(), 4);
        assert_eq!(s.relations[1].offset, 2);
        assert_eq!(s.schema.fields[2].ty, DataType::Varchar);
    }

    #[test]
    fn qualified_names_pick_their_relation() {
        let s = two();
        assert_eq!(s.qualified_column(&ident("a", 8), &ident("x", 10)).unwrap(), column(0, DataType::Int));
        assert_eq!(s.qualified_column(&ident("B", 8), &ident("X", 10)).unwrap(), column(2, DataType::Varchar));
        assert_eq!(s.qualified_column(&ident("b", 8), &ident("y", 10)).unwrap(), column(3, DataType::Double));
    }

    #[test]
    fn unqualified_names_found_once() {
        let s = two();
        assert_eq!(s.column(&ident("price", 8)).unwrap(), column(1, DataType::BigInt));
        assert_eq!(s.column(&ident("Y", 8)).unwrap(), column(3, DataType::Double));
    }

    #[test]
    fn unqualified_name_in_two_relations_is_ambiguous() {
        let e = two().column(&ident("x", 8)).unwrap_err();
        assert_eq!(e.message, "column reference \"x\" is ambiguous");
        assert_eq!(e.hint.as_deref(), Some("it could be `a.x` or `b.x`; qualify it with its table"));
        assert_eq!(e.position, Some(Position { line: 1, column: 8, end_column: Some(9) }));
    }

    #[test]
    fn unknown_unqualified_column_names_the_closest_qualified() {
        let e = two().column(&ident("pricee", 8)).unwrap_err();
        assert_eq!(e.message, "unknown column `pricee` in `a` or `b`");
        assert_eq!(e.hint.as_deref(), Some("did you mean `a.price`?"));
        assert_eq!(e.position, Some(Position { line: 1, column: 8, end_column: Some(14) }));
        assert_eq!(two().column(&ident("zzzzzz", 8)).unwrap_err().hint, None);
    }

    #[test]
    fn unknown_qualifier_or_column() {
        let s = two();
        let e = s.qualified_column(&ident("c", 8), &ident("x", 10)).unwrap_err();
        assert_eq!(e.message, "unknown table `c`");
        assert_eq!(e.position.map(|p| p.column), Some(8));
        let e = s.qualified_column(&ident("bidz", 8), &ident("x", 13)).unwrap_err();
        assert_eq!(e.hint.as_deref(), Some("did you mean `bids`?"));
        let e = s.qualified_column(&ident("b", 8), &ident("price", 10)).unwrap_err();
        assert_eq!(e.message, "unknown column `price` in `b`");
        assert_eq!(e.position.map(|p| p.column), Some(10));
        let e = s.qualified_column(&ident("a", 8), &ident("prise", 10)).unwrap_err();
        assert_eq!(e.message, "unknown column `prise` in `bids`");
        assert_eq!(e.hint.as_deref(), Some("did you mean `price`?"));
    }

    #[test]
    fn one_relation_errors_as_before() {
        let s = Scope::single(Some("bid".into()), None, Schema::new(vec![Field::new("price", DataType::BigInt)]));
        let e = s.column(&ident("pricee", 8)).unwrap_err();
        assert_eq!(e.to_string(), "unknown column `pricee` in `bid`; did you mean `price`? (at line 1, column 8)");
        let e = s.qualified_column(&ident("bidd", 8), &ident("price", 13)).unwrap_err();
        assert_eq!(e.to_string(), "unknown table `bidd`; did you mean `bid`? (at line 1, column 8)");
    }

    #[test]
    fn same_qualifier_twice_is_ambiguous() {
        let t = || Schema::new(vec![Field::new("x", DataType::Int)]);
        let s = Scope::new(vec![Relation::new(Some("t".into()), None, t()), Relation::new(Some("t".into()), None, t())]);
        let e = s.qualified_column(&ident("t", 8), &ident("x", 10)).unwrap_err();
        assert_eq!(e.message, "table reference \"t\" is ambiguous");
    }

    #[test]
    fn extended_adds_to_the_last_relation() {
        let s = two().extended(vec![Field::new("window_start", DataType::TIMESTAMP)]);
        assert_eq!(s.schema.len(), 5);
        assert_eq!(s.qualified_column(&ident("b", 8), &ident("window_start", 10)).unwrap(), column(4, DataType::TIMESTAMP));
    }
}
