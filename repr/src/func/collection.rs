//! Flink's array and map functions and the value constructors (ARRAY[...], MAP[...], ROW(...))
//! and accessors (`a[i]`, `m[k]`, `r.f`).
//!
//! Nested values are [`Datum`]s (one per row in a [`crate::ColumnData::Nested`] column), so a
//! kernel builds one value per row; elements are compared as SQL values: equal by
//! [`Datum::encode_key`] (NULL equals NULL, as Flink's ARRAY_CONTAINS and ARRAY_DISTINCT treat
//! it), ordered by [`cmp_datum`].

use super::registry::rules::{arity, typed};
use super::registry::{ArgType, Category, SigError, Typed};
use super::{Arg, CallCache, ColumnBuilder, Func, FunctionDef};
use crate::column::Column;
use crate::datum::Datum;
use crate::expr::EvalError;
use crate::types::{DataType, RowField};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::HashSet;

/// The functions of this category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CollectionFunc {
    /// `CARDINALITY(array | map)`.
    Cardinality,
    /// `ELEMENT(array)`.
    Element,
    /// `ARRAY_APPEND(array, element)`.
    ArrayAppend,
    /// `ARRAY_PREPEND(array, element)`.
    ArrayPrepend,
    /// `ARRAY_CONTAINS(haystack, needle)`.
    ArrayContains,
    /// `ARRAY_DISTINCT(array)`.
    ArrayDistinct,
    /// `ARRAY_REMOVE(haystack, needle)`.
    ArrayRemove,
    /// `ARRAY_REVERSE(array)`.
    ArrayReverse,
    /// `ARRAY_MAX(array)`.
    ArrayMax,
    /// `ARRAY_MIN(array)`.
    ArrayMin,
    /// `ARRAY_POSITION(haystack, needle)`.
    ArrayPosition,
    /// `ARRAY_SLICE(array, start[, end])`.
    ArraySlice,
    /// `ARRAY_SORT(array[, ascending[, nulls_first]])`.
    ArraySort,
    /// `ARRAY_UNION(a, b)`.
    ArrayUnion,
    /// `ARRAY_EXCEPT(a, b)`.
    ArrayExcept,
    /// `ARRAY_INTERSECT(a, b)`.
    ArrayIntersect,
    /// `ARRAY_CONCAT(a, ...)`.
    ArrayConcat,
    /// `ARRAY_JOIN(array, delimiter[, null_replacement])`.
    ArrayJoin,
    /// `MAP_KEYS(map)`.
    MapKeys,
    /// `MAP_VALUES(map)`.
    MapValues,
    /// `MAP_ENTRIES(map)`.
    MapEntries,
    /// `MAP_UNION(map, ...)`.
    MapUnion,
    /// `MAP_FROM_ARRAYS(keys, values)`.
    MapFromArrays,
    /// `SPLIT(string, delimiter)`.
    Split,
    /// `ARRAY[e, ...]`: the arguments are the elements, already cast to the element type.
    ArrayCtor,
    /// `MAP[k, v, ...]`: the arguments are keys and values in turn; a later equal key wins.
    MapCtor,
    /// `ROW(e, ...)` and `(e1, e2, ...)`.
    RowCtor,
    /// `array[i]`: 1-based; an index out of range gives NULL.
    ArrayItem,
    /// `map[key]`: NULL for a missing key.
    MapItem,
    /// `row.field`: the field at this position.
    RowField(u16),
}

impl CollectionFunc {
    /// The SQL name.
    pub fn name(self) -> &'static str {
        use CollectionFunc as F;
        match self {
            F::Cardinality => "CARDINALITY",
            F::Element => "ELEMENT",
            F::ArrayAppend => "ARRAY_APPEND",
            F::ArrayPrepend => "ARRAY_PREPEND",
            F::ArrayContains => "ARRAY_CONTAINS",
            F::ArrayDistinct => "ARRAY_DISTINCT",
            F::ArrayRemove => "ARRAY_REMOVE",
            F::ArrayReverse => "ARRAY_REVERSE",
            F::ArrayMax => "ARRAY_MAX",
            F::ArrayMin => "ARRAY_MIN",
            F::ArrayPosition => "ARRAY_POSITION",
            F::ArraySlice => "ARRAY_SLICE",
            F::ArraySort => "ARRAY_SORT",
            F::ArrayUnion => "ARRAY_UNION",
            F::ArrayExcept => "ARRAY_EXCEPT",
            F::ArrayIntersect => "ARRAY_INTERSECT",
            F::ArrayConcat => "ARRAY_CONCAT",
            F::ArrayJoin => "ARRAY_JOIN",
            F::MapKeys => "MAP_KEYS",
            F::MapValues => "MAP_VALUES",
            F::MapEntries => "MAP_ENTRIES",
            F::MapUnion => "MAP_UNION",
            F::MapFromArrays => "MAP_FROM_ARRAYS",
            F::Split => "SPLIT",
            F::ArrayCtor => "ARRAY",
            F::MapCtor => "MAP",
            F::RowCtor => "ROW",
            F::ArrayItem | F::MapItem => "ITEM",
            F::RowField(_) => "FIELD",
        }
    }
}

/// This category's registry entries.
pub fn definitions() -> Vec<FunctionDef> {
    use Category::Collection as C;
    use CollectionFunc as F;
    let def = |name, sig, typer, f| FunctionDef::new(name, C, sig, typer, Func::Collection(f));
    vec![
        def("CARDINALITY", "CARDINALITY(ARRAY | MAP) → INT", type_cardinality, F::Cardinality),
        def("ELEMENT", "ELEMENT(ARRAY<T>) → T", type_element, F::Element),
        def("ARRAY_APPEND", "ARRAY_APPEND(ARRAY<T>, T) → ARRAY<T>", type_array_and_element, F::ArrayAppend),
        def("ARRAY_PREPEND", "ARRAY_PREPEND(ARRAY<T>, T) → ARRAY<T>", type_array_and_element, F::ArrayPrepend),
        def("ARRAY_CONTAINS", "ARRAY_CONTAINS(ARRAY<T>, T) → BOOLEAN", type_contains, F::ArrayContains),
        def("ARRAY_DISTINCT", "ARRAY_DISTINCT(ARRAY<T>) → ARRAY<T>", type_same_array, F::ArrayDistinct),
        def("ARRAY_REMOVE", "ARRAY_REMOVE(ARRAY<T>, T) → ARRAY<T>", type_array_and_element, F::ArrayRemove),
        def("ARRAY_REVERSE", "ARRAY_REVERSE(ARRAY<T>) → ARRAY<T>", type_same_array, F::ArrayReverse),
        def("ARRAY_MAX", "ARRAY_MAX(ARRAY<T>) → T", type_array_extreme, F::ArrayMax),
        def("ARRAY_MIN", "ARRAY_MIN(ARRAY<T>) → T", type_array_extreme, F::ArrayMin),
        def("ARRAY_POSITION", "ARRAY_POSITION(ARRAY<T>, T) → INT", type_position, F::ArrayPosition),
        def("ARRAY_SLICE", "ARRAY_SLICE(ARRAY<T>, INT [, INT]) → ARRAY<T>", type_slice, F::ArraySlice),
        def("ARRAY_SORT", "ARRAY_SORT(ARRAY<T> [, BOOLEAN [, BOOLEAN]]) → ARRAY<T>", type_sort, F::ArraySort),
        def("ARRAY_UNION", "ARRAY_UNION(ARRAY<T>, ARRAY<T>) → ARRAY<T>", type_two_arrays, F::ArrayUnion),
        def("ARRAY_EXCEPT", "ARRAY_EXCEPT(ARRAY<T>, ARRAY<T>) → ARRAY<T>", type_two_arrays, F::ArrayExcept),
        def("ARRAY_INTERSECT", "ARRAY_INTERSECT(ARRAY<T>, ARRAY<T>) → ARRAY<T>", type_two_arrays, F::ArrayIntersect),
        def("ARRAY_CONCAT", "ARRAY_CONCAT(ARRAY<T>, ...) → ARRAY<T>", type_concat, F::ArrayConcat),
        def("ARRAY_JOIN", "ARRAY_JOIN(ARRAY<STRING>, STRING [, STRING]) → STRING", type_join, F::ArrayJoin),
        def("MAP_KEYS", "MAP_KEYS(MAP<K, V>) → ARRAY<K>", type_map_keys, F::MapKeys),
        def("MAP_VALUES", "MAP_VALUES(MAP<K, V>) → ARRAY<V>", type_map_values, F::MapValues),
        def("MAP_ENTRIES", "MAP_ENTRIES(MAP<K, V>) → ARRAY<ROW<key K, value V>>", type_map_entries, F::MapEntries),
        def("MAP_UNION", "MAP_UNION(MAP<K, V>, ...) → MAP<K, V>", type_map_union, F::MapUnion),
        def("MAP_FROM_ARRAYS", "MAP_FROM_ARRAYS(ARRAY<K>, ARRAY<V>) → MAP<K, V>", type_map_from_arrays, F::MapFromArrays),
        def("SPLIT", "SPLIT(STRING, STRING) → ARRAY<STRING>", type_split, F::Split),
    ]
}

// ---- typing rules ----

/// The element type of argument `i`, which must be an ARRAY (a NULL is an ARRAY<`null_as`>).
fn array_arg(args: &[ArgType<'_>], i: usize) -> Result<Option<DataType>, SigError> {
    match args[i].ty {
        None => Ok(None),
        Some(DataType::Array(t)) => Ok(Some(*t)),
        Some(t) => Err(SigError::arg(i, format!("argument {} must be an ARRAY, not {t}", i + 1))),
    }
}

/// The type both `a` and `b` are brought to without losing a value, if there is one: the same
/// type, or the wider of two numbers.
pub fn common_type(a: DataType, b: DataType) -> Option<DataType> {
    if a == b {
        return Some(a);
    }
    if a.is_numeric() && b.is_numeric() {
        return Some(match (a, b) {
            (DataType::Double, _) | (_, DataType::Double) => DataType::Double,
            (DataType::Float, x) | (x, DataType::Float) if x.is_integer() || x == DataType::Float => DataType::Float,
            (DataType::Float, _) | (_, DataType::Float) => DataType::Double,
            (x, y) if x.is_integer() && y.is_integer() => {
                let rank = |t| match t {
                    DataType::TinyInt => 0,
                    DataType::SmallInt => 1,
                    DataType::Int => 2,
                    _ => 3,
                };
                if rank(x) >= rank(y) { x } else { y }
            }
            (x, y) => {
                let (p1, s1) = x.as_decimal()?;
                let (p2, s2) = y.as_decimal()?;
                let s = s1.max(s2);
                let p = ((p1 - s1).max(p2 - s2) + s).min(crate::types::MAX_DECIMAL_PRECISION);
                DataType::Decimal { precision: p, scale: s }
            }
        });
    }
    match (a, b) {
        (DataType::Array(x), DataType::Array(y)) => common_type(*x, *y).map(DataType::array),
        (DataType::Map(k1, v1), DataType::Map(k2, v2)) => Some(DataType::map(common_type(*k1, *k2)?, common_type(*v1, *v2)?)),
        _ => None,
    }
}

/// `(array, element)`: the array's element type and the element's, brought to a common type.
fn array_and_element(args: &[ArgType<'_>]) -> Result<(DataType, DataType), SigError> {
    arity(args, 2, 2)?;
    let elem = array_arg(args, 0)?;
    let common = match (elem, args[1].ty) {
        (Some(e), Some(n)) => common_type(e, n).ok_or_else(|| SigError::arg(1, format!("argument 2 must be {e}, not {n}")))?,
        (Some(e), None) | (None, Some(e)) => e,
        (None, None) => DataType::Varchar,
    };
    Ok((DataType::array(common), common))
}

fn type_array_and_element(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    let (arr, elem) = array_and_element(args)?;
    typed(vec![arr, elem], arr)
}

fn type_contains(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    let (arr, elem) = array_and_element(args)?;
    typed(vec![arr, elem], DataType::Boolean)
}

fn type_position(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    let (arr, elem) = array_and_element(args)?;
    typed(vec![arr, elem], DataType::Int)
}

fn type_cardinality(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    match args[0].ty {
        None => typed(vec![DataType::array(DataType::Varchar)], DataType::Int),
        Some(t @ (DataType::Array(_) | DataType::Map(..))) => typed(vec![t], DataType::Int),
        Some(t) => Err(SigError::arg(0, format!("argument 1 must be an ARRAY or a MAP, not {t}"))),
    }
}

fn type_element(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    let elem = array_arg(args, 0)?.unwrap_or(DataType::Varchar);
    typed(vec![DataType::array(elem)], elem)
}

fn type_same_array(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    let arr = DataType::array(array_arg(args, 0)?.unwrap_or(DataType::Varchar));
    typed(vec![arr], arr)
}

/// Whether values of `t` have an order ARRAY_MAX, ARRAY_MIN and ARRAY_SORT can use.
fn orderable(t: DataType) -> bool {
    match t {
        DataType::Map(..) => false,
        DataType::Array(e) => orderable(*e),
        DataType::Row(fields) => fields.iter().all(|f| orderable(f.ty)),
        _ => true,
    }
}

fn type_array_extreme(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    let elem = array_arg(args, 0)?.unwrap_or(DataType::Varchar);
    if !orderable(elem) {
        return Err(SigError::arg(0, format!("the elements of {} have no order", DataType::array(elem))));
    }
    typed(vec![DataType::array(elem)], elem)
}

fn type_slice(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, 3)?;
    let arr = DataType::array(array_arg(args, 0)?.unwrap_or(DataType::Varchar));
    let mut tys = vec![arr];
    for i in 1..args.len() {
        tys.push(super::registry::rules::integer(args, i, DataType::Int)?);
    }
    typed(tys, arr)
}

fn type_sort(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 3)?;
    let elem = array_arg(args, 0)?.unwrap_or(DataType::Varchar);
    if !orderable(elem) {
        return Err(SigError::arg(0, format!("the elements of {} have no order", DataType::array(elem))));
    }
    let arr = DataType::array(elem);
    let mut tys = vec![arr];
    for (i, a) in args.iter().enumerate().skip(1) {
        match a.ty {
            None | Some(DataType::Boolean) => tys.push(DataType::Boolean),
            Some(t) => return Err(SigError::arg(i, format!("argument {} must be BOOLEAN, not {t}", i + 1))),
        }
    }
    typed(tys, arr)
}

/// Arrays whose element types have a common type; all are cast to ARRAY of it.
fn common_arrays(args: &[ArgType<'_>]) -> Result<DataType, SigError> {
    let mut elem: Option<DataType> = None;
    for i in 0..args.len() {
        if let Some(e) = array_arg(args, i)? {
            elem = Some(match elem {
                None => e,
                Some(prev) => common_type(prev, e).ok_or_else(|| {
                    SigError::arg(i, format!("argument {} must be {}, not {}", i + 1, DataType::array(prev), DataType::array(e)))
                })?,
            });
        }
    }
    Ok(DataType::array(elem.unwrap_or(DataType::Varchar)))
}

fn type_two_arrays(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, 2)?;
    let arr = common_arrays(args)?;
    typed(vec![arr; 2], arr)
}

fn type_concat(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, usize::MAX)?;
    let arr = common_arrays(args)?;
    typed(vec![arr; args.len()], arr)
}

fn type_join(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, 3)?;
    match array_arg(args, 0)? {
        None | Some(DataType::Varchar) => {}
        Some(t) => return Err(SigError::arg(0, format!("argument 1 must be ARRAY<VARCHAR>, not ARRAY<{t}>"))),
    }
    let mut tys = vec![DataType::array(DataType::Varchar)];
    for i in 1..args.len() {
        tys.push(super::registry::rules::string(args, i)?);
    }
    typed(tys, DataType::Varchar)
}

/// Argument `i` as a MAP's key and value types.
fn map_arg(args: &[ArgType<'_>], i: usize) -> Result<(DataType, DataType), SigError> {
    match args[i].ty {
        None => Ok((DataType::Varchar, DataType::Varchar)),
        Some(DataType::Map(k, v)) => Ok((*k, *v)),
        Some(t) => Err(SigError::arg(i, format!("argument {} must be a MAP, not {t}", i + 1))),
    }
}

fn type_map_keys(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    let (k, v) = map_arg(args, 0)?;
    typed(vec![DataType::map(k, v)], DataType::array(k))
}

fn type_map_values(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    let (k, v) = map_arg(args, 0)?;
    typed(vec![DataType::map(k, v)], DataType::array(v))
}

/// The element type of MAP_ENTRIES' result (and of UNNEST over a map's rows).
pub fn entry_type(k: DataType, v: DataType) -> DataType {
    DataType::row(vec![RowField { name: "key".into(), ty: k }, RowField { name: "value".into(), ty: v }])
}

fn type_map_entries(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    let (k, v) = map_arg(args, 0)?;
    typed(vec![DataType::map(k, v)], DataType::array(entry_type(k, v)))
}

fn type_map_union(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, usize::MAX)?;
    let mut ty: Option<DataType> = None;
    for i in 0..args.len() {
        let (k, v) = map_arg(args, i)?;
        if args[i].ty.is_none() {
            continue;
        }
        let m = DataType::map(k, v);
        ty = Some(match ty {
            None => m,
            Some(prev) => common_type(prev, m).ok_or_else(|| SigError::arg(i, format!("argument {} must be {prev}, not {m}", i + 1)))?,
        });
    }
    let m = ty.unwrap_or(DataType::map(DataType::Varchar, DataType::Varchar));
    typed(vec![m; args.len()], m)
}

fn type_map_from_arrays(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, 2)?;
    let k = array_arg(args, 0)?.unwrap_or(DataType::Varchar);
    let v = array_arg(args, 1)?.unwrap_or(DataType::Varchar);
    typed(vec![DataType::array(k), DataType::array(v)], DataType::map(k, v))
}

fn type_split(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, 2)?;
    let tys = vec![super::registry::rules::string(args, 0)?, super::registry::rules::string(args, 1)?];
    typed(tys, DataType::array(DataType::Varchar))
}

/// The columns `CROSS JOIN UNNEST` adds for a collection of type `ty`: a ROW element's fields, a
/// MAP's key and value, or the element itself; empty for a type that is no ARRAY or MAP.
pub fn unnest_types(ty: DataType) -> Vec<DataType> {
    match ty {
        DataType::Array(DataType::Row(fields)) => fields.iter().map(|f| f.ty).collect(),
        DataType::Array(t) => vec![*t],
        DataType::Map(k, v) => vec![*k, *v],
        _ => Vec::new(),
    }
}

/// The default names of [`unnest_types`]' columns (Flink's: the ROW's field names, `f0` for
/// other elements... vstream names an array's element `EXPR$0` and a map's `KEY`, `VALUE`).
pub fn unnest_names(ty: DataType) -> Vec<String> {
    match ty {
        DataType::Array(DataType::Row(fields)) => fields.iter().map(|f| f.name.clone()).collect(),
        DataType::Array(_) => vec!["EXPR$0".into()],
        DataType::Map(..) => vec!["KEY".into(), "VALUE".into()],
        _ => Vec::new(),
    }
}

// ---- values ----

/// Orders two non-NULL values of type `ty` as SQL does (NaN above every number; NULLs inside
/// arrays and rows first).
pub fn cmp_datum(a: &Datum, b: &Datum, ty: DataType) -> Ordering {
    match (a, b) {
        (Datum::Null, Datum::Null) => Ordering::Equal,
        (Datum::Null, _) => Ordering::Less,
        (_, Datum::Null) => Ordering::Greater,
        (Datum::Bool(x), Datum::Bool(y)) => x.cmp(y),
        (Datum::Int(x), Datum::Int(y)) | (Datum::Timestamp(x), Datum::Timestamp(y)) => x.cmp(y),
        (Datum::Decimal(x), Datum::Decimal(y)) => x.cmp(y),
        (Datum::Double(x), Datum::Double(y)) => cmp_f64(*x, *y),
        (Datum::Str(x), Datum::Str(y)) => x.cmp(y),
        (Datum::Bytes(x), Datum::Bytes(y)) => x.cmp(y),
        (Datum::Array(x), Datum::Array(y)) => {
            let elem = if let DataType::Array(t) = ty { *t } else { ty };
            x.iter().zip(y).map(|(p, q)| cmp_datum(p, q, elem)).find(|o| o.is_ne()).unwrap_or(x.len().cmp(&y.len()))
        }
        (Datum::Row(x), Datum::Row(y)) => {
            let fields: &[RowField] = if let DataType::Row(f) = ty { f } else { &[] };
            x.iter()
                .zip(y)
                .enumerate()
                .map(|(i, (p, q))| cmp_datum(p, q, fields.get(i).map_or(ty, |f| f.ty)))
                .find(|o| o.is_ne())
                .unwrap_or(x.len().cmp(&y.len()))
        }
        _ => Ordering::Equal,
    }
}

/// Orders doubles as SQL does: one zero, NaN equal to itself and above every number.
fn cmp_f64(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
    }
}

/// The key that makes two values equal when SQL says they are.
fn key_of(d: &Datum) -> Vec<u8> {
    let mut k = Vec::new();
    d.encode_key(&mut k);
    k
}

/// Row `i` of an ARRAY argument's elements; `None` when NULL.
fn elements<'a>(a: &'a Arg<'_>, i: usize) -> Option<&'a [Datum]> {
    match a.nested(i)? {
        Datum::Array(v) => Some(v),
        _ => None,
    }
}

/// Row `i` of a MAP argument's entries; `None` when NULL.
fn entries<'a>(a: &'a Arg<'_>, i: usize) -> Option<&'a [(Datum, Datum)]> {
    match a.nested(i)? {
        Datum::Map(v) => Some(v),
        _ => None,
    }
}

/// `items` with duplicates dropped (the first of each kept), and the keys seen.
fn distinct(items: impl IntoIterator<Item = Datum>, seen: &mut HashSet<Vec<u8>>) -> Vec<Datum> {
    items.into_iter().filter(|d| seen.insert(key_of(d))).collect()
}

/// The map of `entries` in order, a later equal key replacing an earlier one's value in place.
pub fn map_of(entries: impl IntoIterator<Item = (Datum, Datum)>) -> Vec<(Datum, Datum)> {
    let mut out: Vec<(Datum, Datum)> = Vec::new();
    let mut index: std::collections::HashMap<Vec<u8>, usize> = std::collections::HashMap::new();
    for (k, v) in entries {
        match index.get(&key_of(&k)) {
            Some(&at) => out[at].1 = v,
            None => {
                index.insert(key_of(&k), out.len());
                out.push((k, v));
            }
        }
    }
    out
}

/// The 0-based range `ARRAY_SLICE(array of len, start, end)` keeps (Flink's rules: 1-based
/// offsets, 0 is the start, negative offsets count from the end); empty when out of range.
fn slice_range(len: usize, start: i64, end: i64) -> std::ops::Range<usize> {
    let n = len as i64;
    let start = if start < 0 { start + n + 1 } else { start }.max(1);
    let end = if end < 0 { end + n + 1 } else { end }.min(n);
    if end < start || n == 0 {
        return 0..0;
    }
    (start - 1) as usize..end as usize
}

/// Splits `s` at every `delimiter` (empty pieces kept); an empty delimiter splits into characters.
fn split(s: &str, delimiter: &str) -> Vec<Datum> {
    if delimiter.is_empty() {
        return s.chars().map(|c| Datum::Str(c.to_string())).collect();
    }
    s.split(delimiter).map(|p| Datum::Str(p.to_string())).collect()
}

/// Computes `f` over `n` rows of `args` as a column of type `ty`.
pub fn eval(f: CollectionFunc, args: &[Arg<'_>], ty: DataType, n: usize, _cache: &CallCache) -> Result<Column, EvalError> {
    use CollectionFunc as F;
    let mut out = ColumnBuilder::new(ty, n);
    let elem_ty = |a: &Arg<'_>| if let DataType::Array(t) = a.ty() { *t } else { DataType::Varchar };
    match f {
        F::Cardinality => {
            for i in 0..n {
                out.push_opt_i64(match args[0].nested(i) {
                    Some(Datum::Array(v)) => Some(v.len() as i64),
                    Some(Datum::Map(v)) => Some(v.len() as i64),
                    _ => None,
                });
            }
        }
        F::Element => {
            for i in 0..n {
                match elements(&args[0], i) {
                    None | Some([]) => out.push_null(),
                    Some([one]) => out.push_datum(one.clone()),
                    Some(more) => {
                        return Err(EvalError::InvalidArgument {
                            func: "ELEMENT",
                            detail: format!("the array has {} elements, not one", more.len()),
                        });
                    }
                }
            }
        }
        F::ArrayAppend | F::ArrayPrepend => {
            for i in 0..n {
                let Some(v) = elements(&args[0], i) else {
                    out.push_null();
                    continue;
                };
                let e = args[1].datum(i);
                let mut items = Vec::with_capacity(v.len() + 1);
                if f == F::ArrayPrepend {
                    items.push(e.clone());
                }
                items.extend_from_slice(v);
                if f == F::ArrayAppend {
                    items.push(e);
                }
                out.push_datum(Datum::Array(items));
            }
        }
        F::ArrayContains | F::ArrayPosition | F::ArrayRemove => {
            for i in 0..n {
                let Some(v) = elements(&args[0], i) else {
                    out.push_null();
                    continue;
                };
                let needle = args[1].datum(i);
                let key = key_of(&needle);
                let mut k = Vec::new();
                let mut same = |d: &Datum| {
                    k.clear();
                    d.encode_key(&mut k);
                    k == key
                };
                match f {
                    F::ArrayContains => out.push_bool(v.iter().any(&mut same)),
                    F::ArrayPosition => out.push_i64(v.iter().position(&mut same).map_or(0, |p| p as i64 + 1)),
                    _ => out.push_datum(Datum::Array(v.iter().filter(|d| !same(d)).cloned().collect())),
                }
            }
        }
        F::ArrayDistinct => {
            for i in 0..n {
                match elements(&args[0], i) {
                    None => out.push_null(),
                    Some(v) => out.push_datum(Datum::Array(distinct(v.iter().cloned(), &mut HashSet::new()))),
                }
            }
        }
        F::ArrayReverse => {
            for i in 0..n {
                match elements(&args[0], i) {
                    None => out.push_null(),
                    Some(v) => out.push_datum(Datum::Array(v.iter().rev().cloned().collect())),
                }
            }
        }
        F::ArrayMax | F::ArrayMin => {
            let t = elem_ty(&args[0]);
            for i in 0..n {
                let best = elements(&args[0], i).and_then(|v| {
                    let non_null = v.iter().filter(|d| !d.is_null());
                    if f == F::ArrayMax { non_null.max_by(|a, b| cmp_datum(a, b, t)) } else { non_null.min_by(|a, b| cmp_datum(a, b, t)) }
                });
                match best {
                    Some(d) => out.push_datum(d.clone()),
                    None => out.push_null(),
                }
            }
        }
        F::ArraySlice => {
            for i in 0..n {
                let (Some(v), Some(start)) = (elements(&args[0], i), args[1].i64(i)) else {
                    out.push_null();
                    continue;
                };
                let end = match args.get(2) {
                    Some(a) => match a.i64(i) {
                        Some(e) => e,
                        None => {
                            out.push_null();
                            continue;
                        }
                    },
                    None => v.len() as i64,
                };
                out.push_datum(Datum::Array(v[slice_range(v.len(), start, end)].to_vec()));
            }
        }
        F::ArraySort => {
            let t = elem_ty(&args[0]);
            for i in 0..n {
                let Some(v) = elements(&args[0], i) else {
                    out.push_null();
                    continue;
                };
                let asc = match args.get(1) {
                    None => Some(true),
                    Some(a) => a.bool(i),
                };
                let Some(asc) = asc else {
                    out.push_null();
                    continue;
                };
                // Without a third argument NULLs go first ascending and last descending.
                let nulls_first = match args.get(2) {
                    None => Some(asc),
                    Some(a) => a.bool(i),
                };
                let Some(nulls_first) = nulls_first else {
                    out.push_null();
                    continue;
                };
                let mut items = v.to_vec();
                items.sort_by(|a, b| match (a.is_null(), b.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => {
                        if nulls_first {
                            Ordering::Less
                        } else {
                            Ordering::Greater
                        }
                    }
                    (false, true) => {
                        if nulls_first {
                            Ordering::Greater
                        } else {
                            Ordering::Less
                        }
                    }
                    _ => {
                        let o = cmp_datum(a, b, t);
                        if asc { o } else { o.reverse() }
                    }
                });
                out.push_datum(Datum::Array(items));
            }
        }
        F::ArrayUnion | F::ArrayExcept | F::ArrayIntersect => {
            for i in 0..n {
                let (Some(a), Some(b)) = (elements(&args[0], i), elements(&args[1], i)) else {
                    out.push_null();
                    continue;
                };
                let mut seen = HashSet::new();
                let items = match f {
                    F::ArrayUnion => distinct(a.iter().chain(b).cloned(), &mut seen),
                    _ => {
                        let in_b: HashSet<Vec<u8>> = b.iter().map(key_of).collect();
                        let keep_if_in_b = f == F::ArrayIntersect;
                        a.iter().filter(|d| in_b.contains(&key_of(d)) == keep_if_in_b && seen.insert(key_of(d))).cloned().collect()
                    }
                };
                out.push_datum(Datum::Array(items));
            }
        }
        F::ArrayConcat => {
            for i in 0..n {
                let mut items = Vec::new();
                let mut any_null = false;
                for a in args {
                    match elements(a, i) {
                        Some(v) => items.extend_from_slice(v),
                        None => any_null = true,
                    }
                }
                if any_null { out.push_null() } else { out.push_datum(Datum::Array(items)) }
            }
        }
        F::ArrayJoin => {
            for i in 0..n {
                let (Some(v), Some(delimiter)) = (elements(&args[0], i), args[1].str(i)) else {
                    out.push_null();
                    continue;
                };
                let replacement = match args.get(2) {
                    None => None,
                    Some(a) => match a.str(i) {
                        Some(r) => Some(r),
                        None => {
                            out.push_null();
                            continue;
                        }
                    },
                };
                let mut text = String::new();
                let mut first = true;
                for d in v {
                    let piece = match d {
                        Datum::Str(s) => s.as_str(),
                        _ => match replacement {
                            Some(r) => r,
                            None => continue,
                        },
                    };
                    if !first {
                        text.push_str(delimiter);
                    }
                    first = false;
                    text.push_str(piece);
                }
                out.push_str(&text);
            }
        }
        F::MapKeys | F::MapValues | F::MapEntries => {
            for i in 0..n {
                let Some(m) = entries(&args[0], i) else {
                    out.push_null();
                    continue;
                };
                let items = match f {
                    F::MapKeys => m.iter().map(|(k, _)| k.clone()).collect(),
                    F::MapValues => m.iter().map(|(_, v)| v.clone()).collect(),
                    _ => m.iter().map(|(k, v)| Datum::Row(vec![k.clone(), v.clone()])).collect(),
                };
                out.push_datum(Datum::Array(items));
            }
        }
        F::MapUnion => {
            for i in 0..n {
                let maps: Option<Vec<&[(Datum, Datum)]>> = args.iter().map(|a| entries(a, i)).collect();
                match maps {
                    Some(maps) => out.push_datum(Datum::Map(map_of(maps.into_iter().flatten().cloned()))),
                    None => out.push_null(),
                }
            }
        }
        F::MapFromArrays => {
            for i in 0..n {
                let (Some(keys), Some(values)) = (elements(&args[0], i), elements(&args[1], i)) else {
                    out.push_null();
                    continue;
                };
                if keys.len() != values.len() {
                    return Err(EvalError::InvalidArgument {
                        func: "MAP_FROM_ARRAYS",
                        detail: format!("{} keys and {} values: the arrays must have the same length", keys.len(), values.len()),
                    });
                }
                out.push_datum(Datum::Map(map_of(keys.iter().cloned().zip(values.iter().cloned()))));
            }
        }
        F::Split => {
            for i in 0..n {
                match (args[0].str(i), args[1].str(i)) {
                    (Some(s), Some(d)) => out.push_datum(Datum::Array(split(s, d))),
                    _ => out.push_null(),
                }
            }
        }
        F::ArrayCtor => {
            for i in 0..n {
                out.push_datum(Datum::Array(args.iter().map(|a| a.datum(i)).collect()));
            }
        }
        F::MapCtor => {
            for i in 0..n {
                let pairs = args.chunks_exact(2).map(|kv| (kv[0].datum(i), kv[1].datum(i)));
                out.push_datum(Datum::Map(map_of(pairs)));
            }
        }
        F::RowCtor => {
            for i in 0..n {
                out.push_datum(Datum::Row(args.iter().map(|a| a.datum(i)).collect()));
            }
        }
        F::ArrayItem => {
            for i in 0..n {
                let item = match (elements(&args[0], i), args[1].i64(i)) {
                    (Some(v), Some(at)) => usize::try_from(at).ok().and_then(|at| at.checked_sub(1)).and_then(|at| v.get(at)),
                    _ => None,
                };
                match item {
                    Some(d) => out.push_datum(d.clone()),
                    None => out.push_null(),
                }
            }
        }
        F::MapItem => {
            for i in 0..n {
                let value = match entries(&args[0], i) {
                    Some(m) if !args[1].is_null(i) => {
                        let key = key_of(&args[1].datum(i));
                        m.iter().find(|(k, _)| key_of(k) == key).map(|(_, v)| v)
                    }
                    _ => None,
                };
                match value {
                    Some(d) => out.push_datum(d.clone()),
                    None => out.push_null(),
                }
            }
        }
        F::RowField(at) => {
            for i in 0..n {
                match args[0].nested(i) {
                    Some(Datum::Row(values)) => match values.get(at as usize) {
                        Some(d) => out.push_datum(d.clone()),
                        None => out.push_null(),
                    },
                    _ => out.push_null(),
                }
            }
        }
    }
    Ok(out.finish())
}

/// How `a[i]`, `m[k]`, `r.f` and the constructors read in a plan (`items[1].sku`,
/// `ARRAY[a, b]`); `None` for other calls. `show` gives an argument's text.
pub fn display_access<'e>(func: Func, args: &'e [crate::ScalarExpr], show: impl Fn(&'e crate::ScalarExpr) -> String) -> Option<String> {
    let Func::Collection(f) = func else { return None };
    let list = |sep: &str| args.iter().map(&show).collect::<Vec<_>>().join(sep);
    Some(match (f, args) {
        (CollectionFunc::ArrayItem | CollectionFunc::MapItem, [base, at]) => format!("{}[{}]", show(base), show(at)),
        (CollectionFunc::RowField(i), [base]) => match base.ty() {
            DataType::Row(fields) => format!("{}.{}", show(base), fields.get(i as usize).map_or("?", |f| f.name.as_str())),
            _ => return None,
        },
        (CollectionFunc::ArrayCtor, _) => format!("ARRAY[{}]", list(", ")),
        (CollectionFunc::MapCtor, _) => format!("MAP[{}]", list(", ")),
        (CollectionFunc::RowCtor, _) => format!("ROW({})", list(", ")),
        _ => return None,
    })
}

/// Casts a column of arrays, maps or rows to another nested type element by element (each
/// element as `CAST` converts it); `None` when the two types' shapes differ.
pub fn cast_nested(c: &Column, to: DataType) -> Option<Result<Column, EvalError>> {
    if !nested_castable(c.ty, to) {
        return None;
    }
    let mut out = ColumnBuilder::new(to, c.len());
    for i in 0..c.len() {
        match cast_datum(c.datum(i), c.ty, to) {
            Ok(d) => out.push_datum(d),
            Err(e) => return Some(Err(e)),
        }
    }
    Some(Ok(out.finish()))
}

/// Whether [`cast_nested`] converts `from` to `to`.
pub fn nested_castable(from: DataType, to: DataType) -> bool {
    match (from, to) {
        (DataType::Array(a), DataType::Array(b)) => crate::expr::castable(*a, *b),
        (DataType::Map(k1, v1), DataType::Map(k2, v2)) => crate::expr::castable(*k1, *k2) && crate::expr::castable(*v1, *v2),
        (DataType::Row(f1), DataType::Row(f2)) => {
            f1.len() == f2.len() && f1.iter().zip(f2.iter()).all(|(a, b)| crate::expr::castable(a.ty, b.ty))
        }
        _ => false,
    }
}

/// One value cast from `from` to `to`.
fn cast_datum(d: Datum, from: DataType, to: DataType) -> Result<Datum, EvalError> {
    if from == to || d.is_null() {
        return Ok(d);
    }
    Ok(match (d, from, to) {
        (Datum::Array(items), DataType::Array(a), DataType::Array(b)) => {
            Datum::Array(items.into_iter().map(|x| cast_datum(x, *a, *b)).collect::<Result<_, _>>()?)
        }
        (Datum::Map(entries), DataType::Map(k1, v1), DataType::Map(k2, v2)) => Datum::Map(
            entries.into_iter().map(|(k, v)| Ok((cast_datum(k, *k1, *k2)?, cast_datum(v, *v1, *v2)?))).collect::<Result<_, EvalError>>()?,
        ),
        (Datum::Row(values), DataType::Row(f1), DataType::Row(f2)) => Datum::Row(
            values.into_iter().zip(f1.iter().zip(f2.iter())).map(|(x, (a, b))| cast_datum(x, a.ty, b.ty)).collect::<Result<_, _>>()?,
        ),
        (d, from, to) => crate::expr::cast(&Column::from_datums(from, std::slice::from_ref(&d)), to)?.datum(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(v: &[i64]) -> Datum {
        Datum::Array(v.iter().map(|x| Datum::Int(*x)).collect())
    }

    #[test]
    fn slice_follows_flink_offsets() {
        assert_eq!(slice_range(5, 2, 4), 1..4);
        assert_eq!(slice_range(5, 0, 2), 0..2);
        assert_eq!(slice_range(5, -2, -1), 3..5);
        assert_eq!(slice_range(5, 4, 2), 0..0);
        assert_eq!(slice_range(5, 7, 9), 0..0);
        assert_eq!(slice_range(5, -9, 1), 0..1);
        assert_eq!(slice_range(0, 1, 1), 0..0);
        assert_eq!(slice_range(3, i64::MIN + 1, i64::MAX), 0..3);
    }

    #[test]
    fn item_out_of_range_is_null_and_never_panics() {
        let arr = ints(&[10, 20]);
        let t = DataType::array(DataType::Int);
        for (at, want) in
            [(1, Datum::Int(10)), (2, Datum::Int(20)), (0, Datum::Null), (3, Datum::Null), (-1, Datum::Null), (i64::MIN, Datum::Null)]
        {
            let idx = Datum::Int(at);
            let args = [Arg::Scalar(&arr, t), Arg::Scalar(&idx, DataType::Int)];
            let c = eval(CollectionFunc::ArrayItem, &args, DataType::Int, 1, &CallCache::default()).unwrap();
            assert_eq!(c.datum(0), want, "index {at}");
        }
    }

    #[test]
    fn map_keeps_the_later_value_of_a_key() {
        let m = map_of([(Datum::Int(1), Datum::Int(10)), (Datum::Int(2), Datum::Int(20)), (Datum::Int(1), Datum::Int(30))]);
        assert_eq!(m, vec![(Datum::Int(1), Datum::Int(30)), (Datum::Int(2), Datum::Int(20))]);
    }

    #[test]
    fn doubles_order_with_nan_on_top() {
        let t = DataType::Double;
        assert_eq!(cmp_datum(&Datum::Double(f64::NAN), &Datum::Double(1e300), t), Ordering::Greater);
        assert_eq!(cmp_datum(&Datum::Double(-0.0), &Datum::Double(0.0), t), Ordering::Equal);
        assert_eq!(cmp_datum(&Datum::Double(-1.0), &Datum::Double(0.5), t), Ordering::Less);
    }
}
