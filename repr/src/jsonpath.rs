//! JSON documents and the path language of Flink's JSON functions.
//!
//! Flink evaluates `JSON_VALUE`, `JSON_QUERY` and `JSON_EXISTS` paths with Calcite's
//! `JsonFunctions`, which hands the path (after an optional `strict`/`lax` mode, strict by
//! default) to Jayway JsonPath. This module follows that behaviour for the subset of the path
//! language listed on [`JsonPath::parse`]:
//!
//! - In strict mode a step that finds nothing (a missing key, an index past the end, a key asked
//!   of an array) is an error while the path so far is *definite* (no wildcard yet); after a
//!   wildcard, such steps just contribute nothing.
//! - In lax mode every such failure contributes nothing; a definite path that finds nothing is
//!   "empty".
//! - A path with a wildcard (or an index list) returns the array of what it matched, possibly
//!   empty; a definite path returns the one value it found. A JSON `null` found is "empty",
//!   as Calcite reads it into a Java `null`.
//! - Lax mode does not unwrap arrays as the SQL standard's lax mode does (Jayway does not).
//!
//! Documents are parsed with serde_json into [`Json`], which keeps object members in document
//! order (Jackson's `LinkedHashMap`, which Flink prints from) and lets a repeated key replace the
//! earlier value in its place, as Jackson does.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A parsed JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits an i64.
    Int(i64),
    /// A non-negative integer above i64's range that fits a u64.
    UInt(u64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, members in document order (a repeated key keeps its first place, last value).
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses one JSON document (surrounding whitespace allowed, nothing after it).
    pub fn parse(text: &str) -> Result<Json, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// Whether this is a scalar (not an array or object); `null` counts as a scalar, as in Calcite.
    pub fn is_scalar(&self) -> bool {
        !matches!(self, Json::Array(_) | Json::Object(_))
    }

    /// Appends the value as compact JSON text, numbers as Jackson writes them (`1.0E10`).
    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(v) => out.push_str(&v.to_string()),
            Json::UInt(v) => out.push_str(&v.to_string()),
            Json::Float(v) => write_java_double(*v, out),
            Json::Str(s) => write_string(s, out),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// The value as compact JSON text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// A scalar as Java's `String.valueOf` gives it (what `JSON_VALUE` returns): a string's
    /// own text, a number's digits, `true`/`false`; `None` for `null` and containers.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Json::Str(s) => Some(s.clone()),
            Json::Null | Json::Array(_) | Json::Object(_) => None,
            other => Some(other.to_text()),
        }
    }
}

/// Appends `s` as a quoted JSON string (Jackson escapes control characters, `"` and `\`).
pub fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `v` as Java's `Double.toString` writes it: plain digits with at least one decimal
/// (`100.0`, `0.001`) for magnitudes in [1e-3, 1e7), else `d.dddE±n` (`1.0E7`, `1.5E-5`).
pub fn write_java_double(v: f64, out: &mut String) {
    if v.is_nan() {
        return out.push_str("NaN");
    }
    if v.is_infinite() {
        return out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
    }
    if v == 0.0 {
        return out.push_str(if v.is_sign_negative() { "-0.0" } else { "0.0" });
    }
    let a = v.abs();
    if (1e-3..1e7).contains(&a) {
        let text = format!("{v}");
        out.push_str(&text);
        if !text.contains('.') {
            out.push_str(".0");
        }
        return;
    }
    // Shortest digits from Rust's `{:e}` (`1.5e-5`), rewritten in Java's spelling.
    let text = format!("{v:e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    out.push_str(mantissa);
    if !mantissa.contains('.') {
        out.push_str(".0");
    }
    out.push('E');
    out.push_str(exponent);
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(i64::try_from(v).map_or(Json::UInt(v), Json::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members: Vec<(String, Json)> = Vec::new();
        // Past a few members, a key index keeps repeated-key checks linear.
        let mut index: Option<std::collections::HashMap<String, usize>> = None;
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            let at = match &index {
                Some(ix) => ix.get(&k).copied(),
                None => members.iter().position(|(m, _)| *m == k),
            };
            match at {
                Some(i) => members[i].1 = v,
                None => {
                    if let Some(ix) = &mut index {
                        ix.insert(k.clone(), members.len());
                    }
                    members.push((k, v));
                    if index.is_none() && members.len() > 16 {
                        index = Some(members.iter().enumerate().map(|(i, (m, _))| (m.clone(), i)).collect());
                    }
                }
            }
        }
        Ok(Json::Object(members))
    }
}

/// Strict or lax: how a path treats steps that find nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathMode {
    /// A definite step that finds nothing is an error (the default).
    Strict,
    /// Steps that find nothing contribute nothing.
    Lax,
}

/// One step of a path.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `.key`, `."key"`, `['key']`.
    Key(String),
    /// `[n]`; a negative `n` counts from the end (`[-1]` is the last element), as in Jayway.
    Index(i64),
    /// `[n, m, ...]`: several elements (an indefinite step).
    Indexes(Vec<i64>),
    /// `.*` or `[*]`: every member of an object or element of an array (an indefinite step).
    Wildcard,
}

/// A compiled path: its mode and steps.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonPath {
    /// Strict or lax.
    pub mode: PathMode,
    /// The steps after `$`.
    pub steps: Vec<Step>,
}

/// What a path found in a document.
#[derive(Debug, PartialEq)]
pub enum Found {
    /// Nothing, or a JSON `null` (Calcite's Java `null`): the "empty" case.
    Empty,
    /// The one value a definite path found.
    One(Json),
    /// What an indefinite path matched, in document order (possibly nothing).
    Many(Vec<Json>),
}

impl JsonPath {
    /// Parses `[strict | lax] $ steps`. Steps: `.key`, `."quoted key"`, `['key']` / `["key"]`,
    /// `[n]` (negative from the end), `[n, m]`, `[*]`, `.*`. Left out (an error here): Jayway's
    /// deep scan `..`, filters `[?(...)]`, slices `[a:b]`, functions (`.length()`), and the
    /// SQL standard's `last`, arithmetic and item methods. The error names the character offset.
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let trimmed = text.trim_start();
        let (mode, rest) = match split_mode(trimmed) {
            Some((mode, rest)) => (mode, rest),
            None => (PathMode::Strict, trimmed),
        };
        let offset = text.len() - rest.len();
        let chars: Vec<char> = rest.trim_end().chars().collect();
        let err = |at: usize, what: &str| Err(format!("invalid JSON path {text:?} at character {}: {what}", offset + at + 1));
        if chars.first() != Some(&'$') {
            return err(0, "a path starts with $ (after an optional strict or lax)");
        }
        let mut steps = Vec::new();
        let mut i = 1;
        while i < chars.len() {
            match chars[i] {
                '.' => {
                    i += 1;
                    match chars.get(i) {
                        Some('*') => {
                            steps.push(Step::Wildcard);
                            i += 1;
                        }
                        Some('.') => return err(i - 1, "the deep scan `..` is not supported"),
                        Some('"') => {
                            let (key, next) = match quoted(&chars, i) {
                                Some(q) => q,
                                None => return err(i, "unterminated quoted key"),
                            };
                            steps.push(Step::Key(key));
                            i = next;
                        }
                        Some(c) if is_key_char(*c) => {
                            let start = i;
                            while i < chars.len() && is_key_char(chars[i]) {
                                i += 1;
                            }
                            if chars.get(i) == Some(&'(') {
                                return err(start, "path functions are not supported");
                            }
                            steps.push(Step::Key(chars[start..i].iter().collect()));
                        }
                        Some('[') => {} // Jayway accepts `$.['key']`: the bracket is read next.
                        _ => return err(i, "expected a key, \"quoted key\" or * after ."),
                    }
                }
                '[' => {
                    i += 1;
                    skip_spaces(&chars, &mut i);
                    match chars.get(i) {
                        Some('*') => {
                            i += 1;
                            steps.push(Step::Wildcard);
                        }
                        Some('\'' | '"') => {
                            let (key, next) = match quoted(&chars, i) {
                                Some(q) => q,
                                None => return err(i, "unterminated quoted key"),
                            };
                            i = next;
                            steps.push(Step::Key(key));
                        }
                        Some('?') => return err(i, "filters are not supported"),
                        Some(c) if c.is_ascii_digit() || *c == '-' => {
                            let mut list = Vec::new();
                            loop {
                                skip_spaces(&chars, &mut i);
                                let start = i;
                                if chars.get(i) == Some(&'-') {
                                    i += 1;
                                }
                                while chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
                                    i += 1;
                                }
                                let digits: String = chars[start..i].iter().collect();
                                let Ok(n) = digits.parse::<i64>() else { return err(start, "expected an array index") };
                                list.push(n);
                                skip_spaces(&chars, &mut i);
                                match chars.get(i) {
                                    Some(',') => i += 1,
                                    Some(':') => return err(i, "array slices are not supported"),
                                    _ => break,
                                }
                            }
                            steps.push(if list.len() == 1 { Step::Index(list[0]) } else { Step::Indexes(list) });
                        }
                        _ => return err(i, "expected an index, * or a quoted key after ["),
                    }
                    skip_spaces(&chars, &mut i);
                    if chars.get(i) != Some(&']') {
                        return err(i, "expected ]");
                    }
                    i += 1;
                }
                _ => return err(i, "expected . or ["),
            }
        }
        Ok(JsonPath { mode, steps })
    }

    /// Whether the path holds a wildcard or index list (then it returns an array of matches).
    pub fn is_definite(&self) -> bool {
        self.steps.iter().all(|s| matches!(s, Step::Key(_) | Step::Index(_)))
    }

    /// Evaluates the path on `doc`, which it takes apart (a value found is moved out, not
    /// copied); `Err` is strict mode's error for a step that found nothing.
    pub fn eval(&self, doc: Json) -> Result<Found, String> {
        let strict = self.mode == PathMode::Strict;
        let mut current = doc;
        // The definite prefix: each step must find its value (strict) or the result is empty.
        let mut rest = self.steps.as_slice();
        while let Some((step, tail)) = rest.split_first() {
            let next = match (step, current) {
                (Step::Indexes(_) | Step::Wildcard, v) => {
                    current = v;
                    break;
                }
                (Step::Key(k), Json::Object(members)) => match members.into_iter().find(|(m, _)| m == k) {
                    Some((_, v)) => Ok(v),
                    None => Err(format!("no member {k:?} in the object")),
                },
                (Step::Key(k), other) => Err(format!("expected an object with member {k:?}, found {}", kind(&other))),
                (Step::Index(n), Json::Array(mut items)) => match index(items.len(), *n) {
                    Some(i) => Ok(items.swap_remove(i)),
                    None => Err(format!("index {n} is outside the array of {} elements", items.len())),
                },
                (Step::Index(n), other) => Err(format!("expected an array for index {n}, found {}", kind(&other))),
            };
            match next {
                Ok(v) => current = v,
                Err(e) if strict => return Err(e),
                Err(_) => return Ok(Found::Empty),
            }
            rest = tail;
        }
        if rest.is_empty() {
            return Ok(if matches!(current, Json::Null) { Found::Empty } else { Found::One(current) });
        }
        // The indefinite rest: misses contribute nothing.
        let mut matches = Vec::new();
        collect(&current, rest, &mut matches);
        Ok(Found::Many(matches.into_iter().cloned().collect()))
    }
}

/// Appends what `steps` match below `v` (indefinite evaluation: misses are skipped).
fn collect<'a>(v: &'a Json, steps: &[Step], out: &mut Vec<&'a Json>) {
    let Some((step, rest)) = steps.split_first() else {
        out.push(v);
        return;
    };
    match (step, v) {
        (Step::Key(k), Json::Object(members)) => {
            if let Some((_, x)) = members.iter().find(|(m, _)| m == k) {
                collect(x, rest, out);
            }
        }
        (Step::Index(n), Json::Array(items)) => {
            if let Some(i) = index(items.len(), *n) {
                collect(&items[i], rest, out);
            }
        }
        (Step::Indexes(ns), Json::Array(items)) => {
            for n in ns {
                if let Some(i) = index(items.len(), *n) {
                    collect(&items[i], rest, out);
                }
            }
        }
        (Step::Wildcard, Json::Array(items)) => items.iter().for_each(|x| collect(x, rest, out)),
        (Step::Wildcard, Json::Object(members)) => members.iter().for_each(|(_, x)| collect(x, rest, out)),
        _ => {}
    }
}

/// The position of index `n` (negative: from the end) in an array of `len`, if inside.
fn index(len: usize, n: i64) -> Option<usize> {
    let i = if n < 0 { i64::try_from(len).ok()?.checked_add(n)? } else { n };
    usize::try_from(i).ok().filter(|i| *i < len)
}

/// A JSON value's kind, for error messages.
fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Int(_) | Json::UInt(_) | Json::Float(_) => "a number",
        Json::Str(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// `strict ` / `lax ` (any case, then whitespace) at the start of `text`, and what follows.
fn split_mode(text: &str) -> Option<(PathMode, &str)> {
    for (word, mode) in [("strict", PathMode::Strict), ("lax", PathMode::Lax)] {
        if text.len() > word.len()
            && text.is_char_boundary(word.len())
            && text[..word.len()].eq_ignore_ascii_case(word)
            && text[word.len()..].starts_with(char::is_whitespace)
        {
            return Some((mode, text[word.len()..].trim_start()));
        }
    }
    None
}

/// A key character after `.`: anything but the path's punctuation and whitespace.
fn is_key_char(c: char) -> bool {
    !matches!(c, '.' | '[' | ']' | '(' | ')' | '\'' | '"' | ',' | '*') && !c.is_whitespace()
}

fn skip_spaces(chars: &[char], i: &mut usize) {
    while chars.get(*i).is_some_and(|c| c.is_whitespace()) {
        *i += 1;
    }
}

/// The text of a quoted key starting at `chars[at]` (its quote), with `\` escaping the next
/// character, and the position after the closing quote.
fn quoted(chars: &[char], at: usize) -> Option<(String, usize)> {
    let quote = *chars.get(at)?;
    let mut key = String::new();
    let mut i = at + 1;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => {
                key.push(*chars.get(i + 1)?);
                i += 2;
            }
            c if c == quote => return Some((key, i + 1)),
            c => {
                key.push(c);
                i += 1;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(doc: &str, path: &str) -> Result<String, String> {
        let doc = Json::parse(doc)?;
        let path = JsonPath::parse(path)?;
        Ok(match path.eval(doc)? {
            Found::Empty => "EMPTY".into(),
            Found::One(v) => v.to_text(),
            Found::Many(vs) => Json::Array(vs).to_text(),
        })
    }

    #[test]
    fn definite_paths_in_both_modes() {
        let doc = r#"{"a": {"b": [10, 20, {"c": null}]}, "x.y": 1, "k": "v"}"#;
        assert_eq!(eval(doc, "$.a.b[1]").unwrap(), "20");
        assert_eq!(eval(doc, "$.a.b[-1]").unwrap(), r#"{"c":null}"#);
        assert_eq!(eval(doc, "$.a.b[2].c").unwrap(), "EMPTY");
        assert_eq!(eval(doc, r#"$."x.y""#).unwrap(), "1");
        assert_eq!(eval(doc, "$['x.y']").unwrap(), "1");
        assert_eq!(eval(doc, r#"$.["x.y"]"#).unwrap(), "1");
        assert_eq!(eval(doc, "$").unwrap(), r#"{"a":{"b":[10,20,{"c":null}]},"x.y":1,"k":"v"}"#);
        assert!(eval(doc, "$.missing").unwrap_err().contains("no member"));
        assert!(eval(doc, "strict $.a.b[3]").unwrap_err().contains("outside"));
        assert!(eval(doc, "$.k.z").unwrap_err().contains("found a string"));
        assert_eq!(eval(doc, "lax $.missing").unwrap(), "EMPTY");
        assert_eq!(eval(doc, "LAX $.a.b[7]").unwrap(), "EMPTY");
        assert_eq!(eval(doc, "lax $.k[0]").unwrap(), "EMPTY");
    }

    #[test]
    fn wildcards_collect_and_skip_misses() {
        let doc = r#"{"a": [{"c": 1}, {"d": 2}, {"c": [3]}], "o": {"p": 1, "q": "two"}}"#;
        assert_eq!(eval(doc, "$.a[*].c").unwrap(), "[1,[3]]");
        assert_eq!(eval(doc, "$.o.*").unwrap(), r#"[1,"two"]"#);
        assert_eq!(eval(doc, "$.a[0, 2, 9].c").unwrap(), "[1,[3]]");
        assert_eq!(eval(doc, "$.o[*].zz").unwrap(), "[]");
        // The definite prefix still fails in strict mode.
        assert!(eval(doc, "$.none[*]").is_err());
        assert_eq!(eval(doc, "lax $.none[*]").unwrap(), "EMPTY");
    }

    #[test]
    fn bad_paths_name_the_place() {
        for (path, what) in [
            ("a.b", "starts with $"),
            ("$.a..b", "deep scan"),
            ("$[?(@.a)]", "filters"),
            ("$[1:2]", "slices"),
            ("$.a.length()", "functions"),
            ("$[1", "expected ]"),
            ("$.'a'", "expected a key"),
            ("$x", "expected . or ["),
            ("lax", "starts with $"),
        ] {
            let e = JsonPath::parse(path).unwrap_err();
            assert!(e.contains(what), "{path}: {e}");
        }
        assert_eq!(JsonPath::parse("STRICT  $.a").unwrap().mode, PathMode::Strict);
        assert!(JsonPath::parse("lax $.a b").unwrap_err().contains("character 8"));
        assert!(JsonPath::parse("  lax $ ").is_ok());
        assert!(JsonPath::parse("$x").unwrap_err().contains("character 2"));
    }

    #[test]
    fn documents_keep_member_order_and_jackson_numbers() {
        let d = Json::parse(r#"{"b": 1.50, "a": 1e2, "b": 3, "big": 1E20, "small": 0.0001, "u": 18446744073709551615}"#).unwrap();
        assert_eq!(d.to_text(), r#"{"b":3,"a":100.0,"big":1.0E20,"small":1.0E-4,"u":18446744073709551615}"#);
        assert!(Json::parse("1 2").is_err());
        assert!(Json::parse("").is_err());
        assert_eq!(Json::parse(" \"\\u00e9\\n\" ").unwrap().to_text(), "\"é\\n\"");
        // Nesting past serde_json's limit is an error, not a stack overflow.
        assert!(Json::parse(&"[".repeat(100_000)).is_err());
    }
}
