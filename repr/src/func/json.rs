//! Flink's JSON functions: JSON_VALUE, JSON_QUERY, JSON_EXISTS, IS JSON, JSON_OBJECT, JSON_ARRAY, JSON_STRING.
//!
//! Semantics follow Flink, which runs Calcite's `JsonFunctions` (see [`crate::jsonpath`] for the
//! path language and what strict and lax mean). The clauses of a call (`RETURNING`, `ON EMPTY`,
//! `ON ERROR`, the wrapper, `ON NULL`) are part of the [`JsonFunc`] variant; `DEFAULT` values are
//! extra arguments after the path. A literal path is compiled once per query in the call's
//! [`CallCache`]; a path from a column is compiled per row, and a bad one follows ON ERROR.

use super::registry::{ArgType, Category, SigError, Typed, rules};
use super::{Arg, CallCache, ColumnBuilder, FunctionDef};
use crate::column::{Column, write_json};
use crate::datum::Datum;
use crate::expr::{EvalError, Func};
use crate::jsonpath::{Found, Json, JsonPath, PathMode};
use crate::types::DataType;
use serde::{Deserialize, Serialize};

/// `IS JSON [VALUE | SCALAR | ARRAY | OBJECT]`: what the text must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JsonKind {
    /// Any JSON value (the default).
    Value,
    /// A string, number, boolean or null.
    Scalar,
    /// An array.
    Array,
    /// An object.
    Object,
}

/// JSON_EXISTS's `{TRUE | FALSE | UNKNOWN | ERROR} ON ERROR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExistsOnError {
    /// TRUE.
    True,
    /// FALSE (the default).
    False,
    /// NULL.
    Unknown,
    /// Fail the row.
    Error,
}

/// JSON_VALUE's `{NULL | ERROR | DEFAULT expr} ON EMPTY / ON ERROR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValueBehavior {
    /// NULL (the default).
    Null,
    /// Fail the row.
    Error,
    /// The DEFAULT expression, an extra argument of the call.
    Default,
}

/// JSON_QUERY's `{NULL | EMPTY ARRAY | EMPTY OBJECT | ERROR} ON EMPTY / ON ERROR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum QueryBehavior {
    /// NULL (the default).
    Null,
    /// `[]`.
    EmptyArray,
    /// `{}`.
    EmptyObject,
    /// Fail the row.
    Error,
}

/// JSON_QUERY's `{WITHOUT | WITH CONDITIONAL | WITH UNCONDITIONAL} [ARRAY] WRAPPER`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Wrapper {
    /// The value as found (the default).
    Without,
    /// An array as found, anything else wrapped in one.
    Conditional,
    /// Always wrapped in an array.
    Unconditional,
}

/// The functions of this category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JsonFunc {
    /// `s IS JSON [kind]`: never NULL (`NULL IS JSON` is FALSE). Args: `[s]`.
    IsJson(JsonKind),
    /// `JSON_EXISTS(doc, path [... ON ERROR])`. Args: `[doc, path]`.
    Exists(ExistsOnError),
    /// `JSON_VALUE(doc, path [RETURNING t] [... ON EMPTY] [... ON ERROR])`, typed by the call's
    /// result type. Args: `[doc, path, default on empty?, default on error?]`, the defaults
    /// present only for [`ValueBehavior::Default`].
    Value {
        /// What a path that finds nothing (or a non-scalar, in lax mode) gives.
        on_empty: ValueBehavior,
        /// What an error gives.
        on_error: ValueBehavior,
    },
    /// `JSON_QUERY(doc, path [RETURNING t] [wrapper] [... ON EMPTY] [... ON ERROR])`, STRING
    /// (JSON text) or ARRAY<STRING>. Args: `[doc, path]`.
    Query {
        /// The wrapper clause.
        wrapper: Wrapper,
        /// What a path that finds nothing (or a scalar, in lax mode) gives.
        on_empty: QueryBehavior,
        /// What an error gives.
        on_error: QueryBehavior,
    },
    /// `JSON_STRING(value)`: any value as JSON text; NULL stays NULL. Args: `[value]`.
    String,
    /// `JSON_OBJECT(k VALUE v, ...)`. Args: `[k1, v1, k2, v2, ...]`.
    Object {
        /// ABSENT ON NULL (the default is NULL ON NULL).
        absent_on_null: bool,
        /// Bit `i` set: pair `i`'s value is JSON text to embed as is (a nested JSON_OBJECT,
        /// JSON_ARRAY or JSON(...)), not a string.
        raw: u64,
    },
    /// `JSON_ARRAY(v, ...)`. Args: the values.
    Array {
        /// ABSENT ON NULL (the default here).
        absent_on_null: bool,
        /// Bit `i` set: value `i` is JSON text to embed as is.
        raw: u64,
    },
}

/// At most this many values of JSON_OBJECT / JSON_ARRAY can be embedded raw (the bit set's width).
pub const MAX_RAW_VALUES: usize = 64;

impl JsonFunc {
    /// The SQL name.
    pub fn name(self) -> &'static str {
        match self {
            JsonFunc::IsJson(_) => "IS JSON",
            JsonFunc::Exists(_) => "JSON_EXISTS",
            JsonFunc::Value { .. } => "JSON_VALUE",
            JsonFunc::Query { .. } => "JSON_QUERY",
            JsonFunc::String => "JSON_STRING",
            JsonFunc::Object { .. } => "JSON_OBJECT",
            JsonFunc::Array { .. } => "JSON_ARRAY",
        }
    }
}

/// This category's registry entries: the plain functions. The forms with clauses (JSON_VALUE,
/// JSON_QUERY, JSON_EXISTS, JSON_OBJECT, JSON_ARRAY, IS JSON) are bound by the planner's JSON
/// binder, which builds the [`JsonFunc`] variant from the clauses.
pub fn definitions() -> Vec<FunctionDef> {
    vec![FunctionDef::new("JSON_STRING", Category::Json, "JSON_STRING(any) → STRING", type_json_string, Func::Json(JsonFunc::String))]
}

fn type_json_string(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    rules::arity(args, 1, 1)?;
    rules::typed(vec![rules::same(args, 0, DataType::Varchar)], DataType::Varchar)
}

/// An error of `f` on a row.
fn fail(f: JsonFunc, detail: impl Into<String>) -> EvalError {
    EvalError::InvalidArgument { func: f.name(), detail: detail.into() }
}

/// Where a call's paths come from: the literal's, compiled once per query, or a column's,
/// compiled per row (the last one kept, as a column often repeats its path).
enum PathSource<'a> {
    Literal(&'a Result<JsonPath, String>),
    PerRow(Option<(String, Result<JsonPath, String>)>),
}

fn path_source<'a>(path: &Arg<'_>, cache: &'a CallCache) -> PathSource<'a> {
    match path.scalar() {
        Some(Datum::Str(text)) => match cache.get_or_init(|| JsonPath::parse(text)) {
            Some(p) => PathSource::Literal(p),
            None => PathSource::PerRow(None),
        },
        _ => PathSource::PerRow(None),
    }
}

/// What evaluating a path on a row's document gave, before a function's own rules.
enum Outcome {
    /// A Java `null` in Calcite's terms: nothing found, a JSON null, or (lax) a bad document.
    Empty,
    /// The value found (for an indefinite path, the array of matches).
    Value(Json),
    /// A strict-mode miss, a bad document in strict mode, or a bad path.
    Error(String),
}

/// Evaluates row `i`'s path on row `i`'s document, with the path's mode (strict for a path that
/// does not parse); `None` when either is NULL.
fn evaluate(doc: &Arg<'_>, path: &Arg<'_>, source: &mut PathSource<'_>, i: usize) -> Option<(Outcome, PathMode)> {
    let text = doc.str(i)?;
    let path = match source {
        PathSource::Literal(p) => *p,
        PathSource::PerRow(last) => {
            let row_path = path.str(i)?;
            if last.as_ref().is_none_or(|(t, _)| t != row_path) {
                *last = Some((row_path.to_string(), JsonPath::parse(row_path)));
            }
            match last {
                Some((_, p)) => &*p,
                None => return None,
            }
        }
    };
    let path = match path {
        Ok(p) => p,
        Err(e) => return Some((Outcome::Error(e.clone()), PathMode::Strict)),
    };
    let parsed = match Json::parse(text) {
        Ok(d) => d,
        Err(_) if path.mode == PathMode::Lax => return Some((Outcome::Empty, path.mode)),
        Err(e) => return Some((Outcome::Error(format!("invalid JSON document: {e}")), path.mode)),
    };
    let outcome = match path.eval(parsed) {
        Err(e) => Outcome::Error(e),
        Ok(Found::Empty) => Outcome::Empty,
        Ok(Found::One(v)) => Outcome::Value(v),
        Ok(Found::Many(vs)) => Outcome::Value(Json::Array(vs)),
    };
    Some((outcome, path.mode))
}

/// Computes `f` over `n` rows of `args` as a column of type `ty`.
pub fn eval(f: JsonFunc, args: &[Arg<'_>], ty: DataType, n: usize, cache: &CallCache) -> Result<Column, EvalError> {
    let mut out = ColumnBuilder::new(ty, n);
    let arg = |k: usize| args.get(k).ok_or_else(|| fail(f, format!("missing argument {}", k + 1)));
    match f {
        JsonFunc::IsJson(kind) => {
            let s = arg(0)?;
            for i in 0..n {
                // Validity without building the tree; the first character tells the kind.
                let ok = s.str(i).is_some_and(|t| {
                    let fits = match (kind, t.trim_start().as_bytes().first()) {
                        (JsonKind::Value, _) => true,
                        (JsonKind::Array, Some(b'[')) | (JsonKind::Object, Some(b'{')) => true,
                        (JsonKind::Scalar, Some(c)) => !matches!(c, b'[' | b'{'),
                        _ => false,
                    };
                    fits && serde_json::from_str::<serde::de::IgnoredAny>(t).is_ok()
                });
                out.push_bool(ok);
            }
        }
        JsonFunc::Exists(on_error) => {
            let (doc, path) = (arg(0)?, arg(1)?);
            let mut source = path_source(path, cache);
            for i in 0..n {
                match evaluate(doc, path, &mut source, i).map(|(o, _)| o) {
                    None => out.push_null(),
                    Some(Outcome::Empty) => out.push_bool(false),
                    Some(Outcome::Value(_)) => out.push_bool(true),
                    Some(Outcome::Error(e)) => match on_error {
                        ExistsOnError::True => out.push_bool(true),
                        ExistsOnError::False => out.push_bool(false),
                        ExistsOnError::Unknown => out.push_null(),
                        ExistsOnError::Error => return Err(fail(f, e)),
                    },
                }
            }
        }
        JsonFunc::Value { on_empty, on_error } => {
            let (doc, path) = (arg(0)?, arg(1)?);
            let default_empty = (on_empty == ValueBehavior::Default).then(|| arg(2)).transpose()?;
            let default_error = match on_error {
                ValueBehavior::Default => Some(arg(if default_empty.is_some() { 3 } else { 2 })?),
                _ => None,
            };
            let mut source = path_source(path, cache);
            for i in 0..n {
                let (outcome, mode) = match evaluate(doc, path, &mut source, i) {
                    None => {
                        out.push_null();
                        continue;
                    }
                    Some(o) => o,
                };
                let error = match outcome {
                    Outcome::Error(e) => e,
                    Outcome::Value(v) if v.is_scalar() => match v.scalar_text().map(|t| convert(&t, ty)) {
                        Some(Ok(d)) => {
                            out.push_datum(d);
                            continue;
                        }
                        Some(Err(e)) => e,
                        None => "a null value".to_string(),
                    },
                    Outcome::Value(v) if mode == PathMode::Strict => {
                        format!("strict mode needs a scalar value, found {}", v.to_text())
                    }
                    // Lax mode: an array or object is "empty", as in Calcite.
                    Outcome::Empty | Outcome::Value(_) => {
                        match on_empty {
                            ValueBehavior::Null => out.push_null(),
                            ValueBehavior::Error => return Err(fail(f, "the path found no value (ERROR ON EMPTY)")),
                            ValueBehavior::Default => out.push_datum(default_empty.map_or(Datum::Null, |d| d.datum(i))),
                        }
                        continue;
                    }
                };
                match on_error {
                    ValueBehavior::Null => out.push_null(),
                    ValueBehavior::Error => return Err(fail(f, error)),
                    ValueBehavior::Default => out.push_datum(default_error.map_or(Datum::Null, |d| d.datum(i))),
                }
            }
        }
        JsonFunc::Query { wrapper, on_empty, on_error } => {
            let (doc, path) = (arg(0)?, arg(1)?);
            let mut source = path_source(path, cache);
            let as_array = matches!(ty, DataType::Array(_));
            for i in 0..n {
                let (outcome, mode) = match evaluate(doc, path, &mut source, i) {
                    None => {
                        out.push_null();
                        continue;
                    }
                    Some(o) => o,
                };
                let strict = mode == PathMode::Strict;
                let error = match outcome {
                    Outcome::Error(e) => e,
                    Outcome::Empty => {
                        query_behavior(f, on_empty, "the path found no value (ERROR ON EMPTY)", as_array, &mut out)?;
                        continue;
                    }
                    Outcome::Value(v) => {
                        let v = match (wrapper, v) {
                            (Wrapper::Without, v) => v,
                            (Wrapper::Conditional, v @ Json::Array(_)) => v,
                            (_, v) => Json::Array(vec![v]),
                        };
                        if v.is_scalar() && !strict {
                            query_behavior(f, on_empty, "the path found a scalar (ERROR ON EMPTY)", as_array, &mut out)?;
                            continue;
                        }
                        if v.is_scalar() {
                            format!("strict mode needs an array or object, found {}", v.to_text())
                        } else if as_array {
                            match v {
                                Json::Array(items) => {
                                    out.push_datum(Datum::Array(items.iter().map(array_element).collect()));
                                    continue;
                                }
                                other => format!("RETURNING ARRAY needs an array, found {}", other.to_text()),
                            }
                        } else {
                            out.push_str(&v.to_text());
                            continue;
                        }
                    }
                };
                query_behavior(f, on_error, &error, as_array, &mut out)?;
            }
        }
        JsonFunc::String => {
            let v = arg(0)?;
            let vt = v.ty();
            let mut text = Vec::new();
            for i in 0..n {
                if v.is_null(i) {
                    out.push_null();
                    continue;
                }
                text.clear();
                write_value(v, vt, i, false, &mut text).map_err(|e| fail(f, e))?;
                out.push_bytes(&text);
            }
        }
        JsonFunc::Object { absent_on_null, raw } => {
            if !args.len().is_multiple_of(2) {
                return Err(fail(f, "keys and values must come in pairs"));
            }
            let mut members: Vec<(String, Vec<u8>)> = Vec::new();
            let mut text = Vec::new();
            for i in 0..n {
                members.clear();
                for (pair, kv) in args.chunks_exact(2).enumerate() {
                    let Some(key) = kv[0].str(i) else { return Err(fail(f, "a key is NULL")) };
                    let value = &kv[1];
                    if value.is_null(i) && absent_on_null {
                        continue;
                    }
                    let mut bytes = Vec::new();
                    if value.is_null(i) {
                        bytes.extend_from_slice(b"null");
                    } else {
                        write_value(value, value.ty(), i, raw_bit(raw, pair), &mut bytes).map_err(|e| fail(f, e))?;
                    }
                    // A repeated key keeps its first place and takes the last value (Jackson's ObjectNode).
                    match members.iter_mut().find(|(k, _)| k == key) {
                        Some(m) => m.1 = bytes,
                        None => members.push((key.to_string(), bytes)),
                    }
                }
                text.clear();
                text.push(b'{');
                for (j, (k, v)) in members.iter().enumerate() {
                    if j > 0 {
                        text.push(b',');
                    }
                    crate::column::write_json_string(k, &mut text);
                    text.push(b':');
                    text.extend_from_slice(v);
                }
                text.push(b'}');
                out.push_bytes(&text);
            }
        }
        JsonFunc::Array { absent_on_null, raw } => {
            let mut text = Vec::new();
            for i in 0..n {
                text.clear();
                text.push(b'[');
                let mut first = true;
                for (k, value) in args.iter().enumerate() {
                    if value.is_null(i) && absent_on_null {
                        continue;
                    }
                    if !first {
                        text.push(b',');
                    }
                    first = false;
                    if value.is_null(i) {
                        text.extend_from_slice(b"null");
                    } else {
                        write_value(value, value.ty(), i, raw_bit(raw, k), &mut text).map_err(|e| fail(f, e))?;
                    }
                }
                text.push(b']');
                out.push_bytes(&text);
            }
        }
    }
    Ok(out.finish())
}

/// An element of a RETURNING ARRAY<STRING> result: a string's text, other values' JSON text.
fn array_element(x: &Json) -> Datum {
    match x {
        Json::Null => Datum::Null,
        Json::Str(t) => Datum::Str(t.clone()),
        other => Datum::Str(other.to_text()),
    }
}

fn raw_bit(raw: u64, k: usize) -> bool {
    k < MAX_RAW_VALUES && raw & (1u64 << k) != 0
}

/// Pushes what a JSON_QUERY ON EMPTY / ON ERROR behaviour gives.
fn query_behavior(f: JsonFunc, b: QueryBehavior, error: &str, as_array: bool, out: &mut ColumnBuilder) -> Result<(), EvalError> {
    match b {
        QueryBehavior::Null => out.push_null(),
        QueryBehavior::Error => return Err(fail(f, error)),
        QueryBehavior::EmptyArray if as_array => out.push_datum(Datum::Array(vec![])),
        QueryBehavior::EmptyArray => out.push_str("[]"),
        QueryBehavior::EmptyObject if as_array => return Err(fail(f, "EMPTY OBJECT cannot be an ARRAY<STRING> result")),
        QueryBehavior::EmptyObject => out.push_str("{}"),
    }
    Ok(())
}

/// A JSON_VALUE scalar's text converted to the RETURNING type; `Err` says why not.
fn convert(text: &str, ty: DataType) -> Result<Datum, String> {
    let bad = || format!("cannot convert {text:?} to {ty}");
    Ok(match ty {
        DataType::Varchar => Datum::Str(text.to_string()),
        DataType::Boolean => match text.to_ascii_lowercase().as_str() {
            "true" => Datum::Bool(true),
            "false" => Datum::Bool(false),
            _ => return Err(bad()),
        },
        DataType::Double | DataType::Float => Datum::Double(text.trim().parse::<f64>().map_err(|_| bad())?),
        t if t.is_integer() => {
            let c = Column::from_datums(DataType::Varchar, &[Datum::Str(text.trim().to_string())]);
            crate::expr::cast(&c, t).map_err(|e| e.to_string())?.datum(0)
        }
        t => {
            let c = Column::from_datums(DataType::Varchar, &[Datum::Str(text.to_string())]);
            crate::expr::cast(&c, t).map_err(|e| e.to_string())?.datum(0)
        }
    })
}

/// Appends row `i` of `v` (not NULL) as JSON: raw JSON text parsed and re-written compactly,
/// text as a JSON string, everything else as the JSON sink writes it.
fn write_value(v: &Arg<'_>, ty: DataType, i: usize, raw: bool, out: &mut Vec<u8>) -> Result<(), String> {
    match ty {
        DataType::Varchar if raw => {
            let text = v.str(i).unwrap_or("");
            let parsed = Json::parse(text).map_err(|e| format!("{text:?} is not JSON: {e}"))?;
            out.extend_from_slice(parsed.to_text().as_bytes());
        }
        DataType::Varchar => crate::column::write_json_string(v.str(i).unwrap_or(""), out),
        DataType::Boolean => out.extend_from_slice(if v.bool(i) == Some(true) { b"true" } else { b"false" }),
        _ => write_json(&v.datum(i), ty, out),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: JsonFunc, args: &[(Datum, DataType)], ty: DataType) -> Result<String, EvalError> {
        let args: Vec<Arg<'_>> = args.iter().map(|(d, t)| Arg::Scalar(d, *t)).collect();
        let c = eval(f, &args, ty, 1, &CallCache::default())?;
        let mut out = Vec::new();
        if c.is_valid(0) {
            c.write_text(0, &mut out);
        } else {
            out.extend_from_slice(b"NULL");
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn s(t: &str) -> (Datum, DataType) {
        (Datum::Str(t.into()), DataType::Varchar)
    }

    #[test]
    fn value_behaviours() {
        let v = |on_empty, on_error| JsonFunc::Value { on_empty, on_error };
        let (n, e) = (ValueBehavior::Null, ValueBehavior::Error);
        assert_eq!(run(v(n, n), &[s(r#"{"a": 1.50}"#), s("$.a")], DataType::Varchar).unwrap(), "1.5");
        assert_eq!(run(v(n, n), &[s(r#"{"a": [1]}"#), s("$.a")], DataType::Varchar).unwrap(), "NULL");
        assert!(run(v(n, e), &[s(r#"{"a": [1]}"#), s("$.a")], DataType::Varchar).unwrap_err().to_string().contains("scalar"));
        assert_eq!(run(v(e, n), &[s(r#"{"a": [1]}"#), s("$.b")], DataType::Varchar).unwrap(), "NULL");
        assert!(run(v(e, n), &[s(r#"{"a": [1]}"#), s("lax $.b")], DataType::Varchar).is_err());
        assert_eq!(run(v(n, n), &[s(r#"{"a": "12"}"#), s("$.a")], DataType::BigInt).unwrap(), "12");
        assert_eq!(run(v(n, n), &[s(r#"{"a": "x"}"#), s("$.a")], DataType::BigInt).unwrap(), "NULL");
        assert_eq!(run(v(n, n), &[(Datum::Null, DataType::Varchar), s("$.a")], DataType::Varchar).unwrap(), "NULL");
    }

    #[test]
    fn query_wrappers() {
        let q = |wrapper| JsonFunc::Query { wrapper, on_empty: QueryBehavior::Null, on_error: QueryBehavior::Null };
        let doc = s(r#"{"a": [1, {"b": 2}], "n": 3}"#);
        assert_eq!(run(q(Wrapper::Without), &[doc.clone(), s("$.a")], DataType::Varchar).unwrap(), r#"[1,{"b":2}]"#);
        assert_eq!(run(q(Wrapper::Without), &[doc.clone(), s("$.n")], DataType::Varchar).unwrap(), "NULL");
        assert_eq!(run(q(Wrapper::Conditional), &[doc.clone(), s("$.n")], DataType::Varchar).unwrap(), "[3]");
        assert_eq!(run(q(Wrapper::Conditional), &[doc.clone(), s("$.a")], DataType::Varchar).unwrap(), r#"[1,{"b":2}]"#);
        assert_eq!(run(q(Wrapper::Unconditional), &[doc.clone(), s("$.a")], DataType::Varchar).unwrap(), r#"[[1,{"b":2}]]"#);
    }

    #[test]
    fn constructors() {
        let obj = JsonFunc::Object { absent_on_null: false, raw: 0b10 };
        let got = run(obj, &[s("a"), (Datum::Int(1), DataType::Int), s("b"), s(r#"{"x": [1, 2]}"#), s("a"), s("z")], DataType::Varchar);
        assert_eq!(got.unwrap(), r#"{"a":"z","b":{"x":[1,2]}}"#);
        let arr = JsonFunc::Array { absent_on_null: true, raw: 0 };
        let got = run(arr, &[(Datum::Null, DataType::Varchar), s("q\""), (Datum::Bool(true), DataType::Boolean)], DataType::Varchar);
        assert_eq!(got.unwrap(), r#"["q\"",true]"#);
        assert!(run(obj, &[(Datum::Null, DataType::Varchar), s("v"), s("k"), s("not json")], DataType::Varchar).is_err());
    }
}
