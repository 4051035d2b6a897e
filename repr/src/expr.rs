//! Scalar expressions, bound and typed, and their vectorised evaluation over a [`Batch`].
//!
//! The binder resolves names and inserts every implicit cast, so a kernel here only ever sees
//! operands of one physical kind (both integers, both DOUBLE, both DECIMAL, ...) and each node
//! carries its result type. Evaluation is column-at-a-time: one loop per node per batch.

// Kernels walk several columns in step by row index; an index loop says that most plainly.
#![allow(clippy::needless_range_loop)]

use crate::batch::Batch;
use crate::column::{Column, ColumnData, StringColumn};
use crate::datum::Datum;
use crate::decimal;
use crate::func::{self, Arg, CallCache};
use crate::timestamp;
use crate::types::DataType;
use crate::types::MAX_DECIMAL_PRECISION as MAX_PRECISION_I128;
use serde::{Deserialize, Serialize};
use std::fmt;

pub use crate::decimal::POW10;

/// A runtime error of an expression: the row's value cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// An integer or DECIMAL result outside its type's range (checked, never wrapped).
    #[error("{ty} overflow in {op}")]
    Overflow {
        /// The type whose range the result left.
        ty: DataType,
        /// The operation, as SQL spells it (`+`, `negation`, `ABS`).
        op: String,
    },
    /// A value that does not convert: text that is no value of `to`, or a number out of its range.
    #[error("cannot cast {value:?} to {to}")]
    InvalidCast {
        /// The value's text; for a pair of types no cast joins, a description (`a value of type BOOLEAN`).
        value: String,
        /// The target type.
        to: DataType,
    },
    /// A function argument outside its domain (a negative SUBSTRING length, a LIKE ESCAPE that is not
    /// one character); `func` is `"internal"` for a mistyped operand, which is a binder bug.
    #[error("invalid argument to {func}: {detail}")]
    InvalidArgument {
        /// The function's SQL name.
        func: &'static str,
        /// What is wrong with the argument.
        detail: String,
    },
}

/// A one-operand operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnaryOp {
    /// Boolean NOT; NULL stays NULL.
    Not,
    /// Arithmetic negation; negating INT's or BIGINT's minimum is an overflow error.
    Neg,
    /// `IS NULL`: TRUE or FALSE, never NULL.
    IsNull,
    /// `IS NOT NULL`: TRUE or FALSE, never NULL.
    IsNotNull,
}

/// A two-operand operator. Both operands have one physical kind (the binder casts them); a NULL
/// operand gives NULL, except for AND and OR (three-valued logic).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinaryOp {
    /// `+`, range-checked for integers and DECIMAL.
    Add,
    /// `-`, range-checked for integers and DECIMAL.
    Sub,
    /// `*`, range-checked for integers and DECIMAL (a DECIMAL product is rounded to the result's scale).
    Mul,
    /// DOUBLE division (the binder casts integer and DECIMAL operands, as DuckDB does).
    Div,
    /// Remainder with the sign of the dividend; NULL when dividing by zero, as DuckDB.
    Mod,
    /// `=`.
    Eq,
    /// `<>`.
    NotEq,
    /// `<`.
    Lt,
    /// `<=`.
    LtEq,
    /// `>`.
    Gt,
    /// `>=`.
    GtEq,
    /// Three-valued AND: FALSE AND NULL is FALSE.
    And,
    /// Three-valued OR: TRUE OR NULL is TRUE.
    Or,
}

impl BinaryOp {
    /// The operator as SQL spells it (`+`, `<>`, `AND`), for display and error messages.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
        }
    }
    /// `=`, `<>`, `<`, `<=`, `>`, `>=`: the operators with a BOOLEAN result.
    pub fn is_comparison(self) -> bool {
        matches!(self, BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq)
    }
    /// `+`, `-`, `*`, `/`, `%`.
    pub fn is_arithmetic(self) -> bool {
        matches!(self, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod)
    }
}

/// Built-in scalar functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Func {
    /// Absolute value of a number; ABS of an integer type's minimum is an overflow error.
    Abs,
    /// Characters, not bytes.
    Length,
    /// The first non-NULL argument; each argument is computed only on the rows earlier ones left NULL.
    Coalesce,
    /// `s LIKE pattern [ESCAPE e]` (`%`, `_`; no escape character unless one is given): args
    /// are `[s, pattern]` or `[s, pattern, escape]`.
    Like {
        /// `NOT LIKE`.
        negated: bool,
    },
    /// `PROCTIME()`: the wall clock (UTC, ms) when the row is computed, as a TIMESTAMP_LTZ(3)
    /// (as Flink types it); one reading per batch.
    ProcTime,
    /// A text function (see [`crate::func::string`]).
    String(crate::func::string::StringFunc),
    /// A numeric function (see [`crate::func::math`]).
    Math(crate::func::math::MathFunc),
    /// A conditional function (see [`crate::func::conditional`]).
    Conditional(crate::func::conditional::ConditionalFunc),
    /// A date and time function (see [`crate::func::temporal`]).
    Temporal(crate::func::temporal::TemporalFunc),
    /// A JSON function (see [`crate::func::json`]).
    Json(crate::func::json::JsonFunc),
    /// An array, map or row function (see [`crate::func::collection`]).
    Collection(crate::func::collection::CollectionFunc),
    /// A hash function (see [`crate::func::hash`]).
    Hash(crate::func::hash::HashFunc),
}

impl Func {
    /// The function's SQL name (`LTRIM` for a leading trim, `NOT LIKE` when negated), for display.
    pub fn name(self) -> &'static str {
        match self {
            Func::Abs => "ABS",
            Func::Length => "LENGTH",
            Func::Coalesce => "COALESCE",
            Func::Like { negated: false } => "LIKE",
            Func::Like { negated: true } => "NOT LIKE",
            Func::ProcTime => "PROCTIME",
            Func::String(f) => f.name(),
            Func::Math(f) => f.name(),
            Func::Conditional(f) => f.name(),
            Func::Temporal(f) => f.name(),
            Func::Json(f) => f.name(),
            Func::Collection(f) => f.name(),
            Func::Hash(f) => f.name(),
        }
    }
}

/// A bound scalar expression over the columns of its input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ScalarExpr {
    /// The input's column `index`.
    Column {
        /// Position in the input's columns.
        index: usize,
        /// The column's type.
        ty: DataType,
    },
    /// A constant, one value for every row.
    Literal {
        /// The value ([`Datum::Null`] for a typed NULL).
        value: Datum,
        /// The literal's SQL type; a DECIMAL's scale is here, not in `value`.
        ty: DataType,
    },
    /// A [`UnaryOp`] applied to `expr`; the result type follows from the operator.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand: BOOLEAN for NOT, a number for negation, any type for IS NULL and IS NOT NULL.
        expr: Box<ScalarExpr>,
    },
    /// A [`BinaryOp`] on two operands of one physical kind.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// The left operand. Both operands are computed on every row, AND and OR included (no
        /// short-circuit), so an error on either side fails the batch.
        left: Box<ScalarExpr>,
        /// The right operand; a non-NULL literal here is not materialised into a column.
        right: Box<ScalarExpr>,
        /// The result type: BOOLEAN for comparisons, else chosen by the binder (a DECIMAL's precision and scale).
        ty: DataType,
    },
    /// `CAST(expr AS to)`; a value that does not convert is an [`EvalError::InvalidCast`].
    Cast {
        /// The value to convert; NULL stays NULL.
        expr: Box<ScalarExpr>,
        /// The target type; a cast to the operand's own type is a copy.
        to: DataType,
    },
    /// Searched CASE: the first branch whose condition is TRUE, else `otherwise`.
    Case {
        /// `(condition, result)` pairs, tried in order; a NULL condition is not TRUE.
        branches: Vec<(ScalarExpr, ScalarExpr)>,
        /// The ELSE result (a NULL literal when the query has no ELSE).
        otherwise: Box<ScalarExpr>,
        /// The result type, common to every branch.
        ty: DataType,
    },
    /// A built-in function applied to `args`.
    Call {
        /// The function. COALESCE computes its arguments lazily (in [`ScalarExpr::eval`]); the
        /// others take fully computed argument columns.
        func: Func,
        /// The arguments, in the order each [`Func`] variant gives.
        args: Vec<ScalarExpr>,
        /// The result type, as the binder derived it from the function and its arguments.
        ty: DataType,
        /// What the call builds once from its literal arguments (not serialised).
        #[serde(skip)]
        cache: CallCache,
    },
}

impl ScalarExpr {
    /// A reference to the input's column `index` of type `ty`.
    pub fn column(index: usize, ty: DataType) -> Self {
        ScalarExpr::Column { index, ty }
    }
    /// A constant `value` of type `ty`.
    pub fn literal(value: Datum, ty: DataType) -> Self {
        ScalarExpr::Literal { value, ty }
    }
    /// A call of `func` on `args`, of result type `ty`.
    pub fn call(func: Func, args: Vec<ScalarExpr>, ty: DataType) -> Self {
        ScalarExpr::Call { func, args, ty, cache: CallCache::default() }
    }

    /// The result type.
    pub fn ty(&self) -> DataType {
        match self {
            ScalarExpr::Column { ty, .. } | ScalarExpr::Literal { ty, .. } => *ty,
            ScalarExpr::Unary { op, expr } => match op {
                UnaryOp::Neg => expr.ty(),
                UnaryOp::Not | UnaryOp::IsNull | UnaryOp::IsNotNull => DataType::Boolean,
            },
            ScalarExpr::Binary { ty, .. } | ScalarExpr::Case { ty, .. } | ScalarExpr::Call { ty, .. } => *ty,
            ScalarExpr::Cast { to, .. } => *to,
        }
    }

    /// Calls `f` on every input column index this expression reads.
    pub fn visit_columns(&self, f: &mut impl FnMut(usize)) {
        match self {
            ScalarExpr::Column { index, .. } => f(*index),
            ScalarExpr::Literal { .. } => {}
            ScalarExpr::Unary { expr, .. } | ScalarExpr::Cast { expr, .. } => expr.visit_columns(f),
            ScalarExpr::Binary { left, right, .. } => {
                left.visit_columns(f);
                right.visit_columns(f);
            }
            ScalarExpr::Case { branches, otherwise, .. } => {
                for (c, r) in branches {
                    c.visit_columns(f);
                    r.visit_columns(f);
                }
                otherwise.visit_columns(f);
            }
            ScalarExpr::Call { args, .. } => args.iter().for_each(|a| a.visit_columns(f)),
        }
    }

    /// Rewrites every column index through `map` (used when a projection is pushed below).
    pub fn remap_columns(&mut self, map: &impl Fn(usize) -> usize) {
        match self {
            ScalarExpr::Column { index, .. } => *index = map(*index),
            ScalarExpr::Literal { .. } => {}
            ScalarExpr::Unary { expr, .. } | ScalarExpr::Cast { expr, .. } => expr.remap_columns(map),
            ScalarExpr::Binary { left, right, .. } => {
                left.remap_columns(map);
                right.remap_columns(map);
            }
            ScalarExpr::Case { branches, otherwise, .. } => {
                for (c, r) in branches {
                    c.remap_columns(map);
                    r.remap_columns(map);
                }
                otherwise.remap_columns(map);
            }
            ScalarExpr::Call { args, .. } => args.iter_mut().for_each(|a| a.remap_columns(map)),
        }
    }

    /// Replaces every column reference `#i` by `inputs[i]` (fusing a projection into what reads it).
    pub fn substitute(&self, inputs: &[ScalarExpr]) -> ScalarExpr {
        let mut e = self.clone();
        e.substitute_in_place(inputs);
        e
    }

    fn substitute_in_place(&mut self, inputs: &[ScalarExpr]) {
        match self {
            ScalarExpr::Column { index, .. } => *self = inputs[*index].clone(),
            ScalarExpr::Literal { .. } => {}
            ScalarExpr::Unary { expr, .. } | ScalarExpr::Cast { expr, .. } => expr.substitute_in_place(inputs),
            ScalarExpr::Binary { left, right, .. } => {
                left.substitute_in_place(inputs);
                right.substitute_in_place(inputs);
            }
            ScalarExpr::Case { branches, otherwise, .. } => {
                for (c, r) in branches {
                    c.substitute_in_place(inputs);
                    r.substitute_in_place(inputs);
                }
                otherwise.substitute_in_place(inputs);
            }
            ScalarExpr::Call { args, .. } => args.iter_mut().for_each(|a| a.substitute_in_place(inputs)),
        }
    }

    /// Evaluates the expression over every row of `batch`.
    pub fn eval(&self, batch: &Batch) -> Result<Column, EvalError> {
        match self {
            ScalarExpr::Column { index, .. } => Ok(batch.columns[*index].clone()),
            ScalarExpr::Literal { value, ty } => Ok(Column::repeat(value, *ty, batch.len)),
            ScalarExpr::Unary { op, expr } => eval_unary(*op, expr.eval(batch)?),
            ScalarExpr::Binary { op, left, right, ty } => {
                // A literal right operand (`price > 100`, `MOD(a, 123)`) is common enough to
                // skip materialising it; the kernels take either a column or a scalar.
                let l = left.eval(batch)?;
                match right.as_ref() {
                    ScalarExpr::Literal { value, ty: lit_ty } if !value.is_null() && !matches!(op, BinaryOp::And | BinaryOp::Or) => {
                        eval_binary_scalar(*op, &l, value, *lit_ty, *ty)
                    }
                    r => eval_binary(*op, &l, &r.eval(batch)?, *ty),
                }
            }
            ScalarExpr::Cast { expr, to } => cast(&expr.eval(batch)?, *to),
            ScalarExpr::Case { branches, otherwise, ty } => {
                // Each branch's result is computed only on the rows that take it, so a branch no
                // row takes cannot fail the batch (`CASE WHEN s <> 'x' THEN CAST(s AS INT) ...`).
                let mut picker = Picker::new(batch.len);
                for (cond, result) in branches {
                    if picker.undecided == 0 {
                        break;
                    }
                    let c = picker.eval_undecided(cond, batch)?;
                    let ColumnData::Bool(cv) = &c.data else { return Err(internal("CASE condition")) };
                    let take = picker.rows_where(|j| cv[j] && c.is_valid(j));
                    picker.assign(result, batch, take)?;
                }
                if picker.undecided > 0 {
                    let rest = picker.undecided_mask();
                    picker.assign(otherwise, batch, rest)?;
                }
                Ok(picker.finish(*ty))
            }
            ScalarExpr::Call { func: Func::Coalesce, args, ty, .. } => {
                // An argument is computed only on the rows all earlier ones left NULL.
                let mut picker = Picker::new(batch.len);
                for (k, a) in args.iter().enumerate() {
                    if picker.undecided == 0 {
                        break;
                    }
                    let c = picker.eval_undecided(a, batch)?;
                    let last = k + 1 == args.len();
                    let take = picker.rows_where(|j| last || c.is_valid(j));
                    picker.assign_column(c, take)?;
                }
                Ok(picker.finish(*ty))
            }
            ScalarExpr::Call { func, args, ty, cache } => {
                // Literal arguments stay one value (a pattern is not repeated per row).
                let args = args
                    .iter()
                    .map(|a| match a {
                        ScalarExpr::Literal { value, ty } => Ok(Arg::Scalar(value, *ty)),
                        a => a.eval(batch).map(Arg::Col),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let n = batch.len;
                match *func {
                    Func::String(f) => func::string::eval(f, &args, *ty, n, cache),
                    Func::Math(f) => func::math::eval(f, &args, *ty, n, cache),
                    Func::Conditional(f) => func::conditional::eval(f, &args, *ty, n, cache),
                    Func::Temporal(f) => func::temporal::eval(f, &args, *ty, n, cache),
                    Func::Json(f) => func::json::eval(f, &args, *ty, n, cache),
                    Func::Collection(f) => func::collection::eval(f, &args, *ty, n, cache),
                    Func::Hash(f) => func::hash::eval(f, &args, *ty, n, cache),
                    f => {
                        let cols: Vec<Column> = args.into_iter().map(|a| a.into_column(n)).collect();
                        eval_call(f, &cols, *ty, n)
                    }
                }
            }
        }
    }
}

/// The wall clock in ms since the epoch (UTC); 0 for a clock set before 1970.
pub fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn internal(what: &str) -> EvalError {
    EvalError::InvalidArgument { func: "internal", detail: format!("mistyped {what} (a binder bug)") }
}

/// Builds a result row by row from parts computed on subsets of a batch (CASE, COALESCE).
struct Picker {
    n: usize,
    undecided: usize,
    /// Per row: the part it comes from (`u32::MAX`: none yet) and its position in that part.
    part_of: Vec<u32>,
    pos_of: Vec<u32>,
    parts: Vec<Column>,
}

impl Picker {
    fn new(n: usize) -> Self {
        Picker { n, undecided: n, part_of: vec![u32::MAX; n], pos_of: vec![0; n], parts: Vec::new() }
    }
    fn undecided_mask(&self) -> Vec<bool> {
        self.part_of.iter().map(|p| *p == u32::MAX).collect()
    }
    /// Evaluates `e` on the undecided rows only (row `j` of the result is the `j`-th of them).
    fn eval_undecided(&self, e: &ScalarExpr, batch: &Batch) -> Result<Column, EvalError> {
        if self.undecided == self.n { e.eval(batch) } else { e.eval(&batch.filter(&self.undecided_mask())) }
    }
    /// The rows (as a mask over the batch) among the undecided whose `j`-th position satisfies `f`.
    fn rows_where(&self, f: impl Fn(usize) -> bool) -> Vec<bool> {
        let mut j = 0;
        self.part_of
            .iter()
            .map(|p| {
                if *p != u32::MAX {
                    return false;
                }
                let hit = f(j);
                j += 1;
                hit
            })
            .collect()
    }
    /// Computes `e` on the rows of `take` and makes it their value.
    fn assign(&mut self, e: &ScalarExpr, batch: &Batch, take: Vec<bool>) -> Result<(), EvalError> {
        let count = take.iter().filter(|t| **t).count();
        if count == 0 {
            return Ok(());
        }
        let col = if count == self.n { e.eval(batch)? } else { e.eval(&batch.filter(&take))? };
        self.place(col, &take);
        Ok(())
    }
    /// Makes rows of `col` (computed on the undecided rows) the value of the rows of `take`.
    fn assign_column(&mut self, col: Column, take: Vec<bool>) -> Result<(), EvalError> {
        // `col` has one row per undecided row; keep those of `take`.
        let undecided = self.undecided_mask();
        let sub: Vec<bool> = undecided.iter().zip(&take).filter(|(u, _)| **u).map(|(_, t)| *t).collect();
        let count = sub.iter().filter(|t| **t).count();
        if count == 0 {
            return Ok(());
        }
        let col = if count == sub.len() { col } else { col.filter(&sub, count) };
        self.place(col, &take);
        Ok(())
    }
    fn place(&mut self, col: Column, take: &[bool]) {
        let part = self.parts.len() as u32;
        let mut pos = 0u32;
        for (i, t) in take.iter().enumerate() {
            if *t {
                self.part_of[i] = part;
                self.pos_of[i] = pos;
                pos += 1;
                self.undecided -= 1;
            }
        }
        self.parts.push(col);
    }
    fn finish(self, ty: DataType) -> Column {
        if self.parts.is_empty() {
            return Column::repeat(&Datum::Null, ty, self.n);
        }
        gather(&self.parts, &self.part_of, &self.pos_of, ty)
    }
}

/// Row `i` of the result is row `pos[i]` of `sources[part[i]]` (NULL where `part[i]` is none).
fn gather(sources: &[Column], part: &[u32], pos: &[u32], ty: DataType) -> Column {
    let n = part.len();
    let src = |i: usize| sources.get(part[i] as usize).map(|c| (c, pos[i] as usize));
    let validity: Vec<bool> = (0..n).map(|i| src(i).is_some_and(|(c, p)| c.is_valid(p))).collect();
    macro_rules! prim {
        ($variant:ident, $default:expr) => {{
            let v = (0..n)
                .map(|i| match src(i) {
                    Some((Column { data: ColumnData::$variant(v), .. }, p)) => v[p],
                    _ => $default,
                })
                .collect();
            ColumnData::$variant(v)
        }};
    }
    let data = match ColumnData::empty(ty, 0) {
        ColumnData::Bool(_) => prim!(Bool, false),
        ColumnData::Int(_) => prim!(Int, 0),
        ColumnData::Double(_) => prim!(Double, 0.0),
        ColumnData::Decimal(_) => prim!(Decimal, 0),
        ColumnData::Timestamp(_) => prim!(Timestamp, 0),
        ColumnData::Nested(_) => {
            let v = (0..n)
                .map(|i| match src(i) {
                    Some((Column { data: ColumnData::Nested(v), .. }, p)) => v[p].clone(),
                    _ => Datum::Null,
                })
                .collect();
            ColumnData::Nested(v)
        }
        ColumnData::Str(_) => {
            let mut out = StringColumn::with_capacity(n, 0);
            for i in 0..n {
                match src(i) {
                    Some((Column { data: ColumnData::Str(s), .. }, p)) => out.push(s.get_bytes(p)),
                    _ => out.push(b""),
                }
            }
            ColumnData::Str(out)
        }
    };
    Column::new(ty, data, Some(validity))
}

fn and_validity(a: &Option<Vec<bool>>, b: &Option<Vec<bool>>) -> Option<Vec<bool>> {
    match (a, b) {
        (None, None) => None,
        (Some(v), None) | (None, Some(v)) => Some(v.clone()),
        (Some(x), Some(y)) => Some(x.iter().zip(y).map(|(a, b)| *a && *b).collect()),
    }
}

fn eval_unary(op: UnaryOp, c: Column) -> Result<Column, EvalError> {
    let n = c.len();
    Ok(match op {
        UnaryOp::IsNull => Column::new(DataType::Boolean, ColumnData::Bool((0..n).map(|i| !c.is_valid(i)).collect()), None),
        UnaryOp::IsNotNull => Column::new(DataType::Boolean, ColumnData::Bool((0..n).map(|i| c.is_valid(i)).collect()), None),
        UnaryOp::Not => match c.data {
            ColumnData::Bool(v) => Column::new(c.ty, ColumnData::Bool(v.into_iter().map(|b| !b).collect()), c.validity),
            _ => return Err(internal("NOT")),
        },
        UnaryOp::Neg => {
            let data = match c.data {
                ColumnData::Int(v) => {
                    let (lo, hi) = int_range(c.ty);
                    ColumnData::Int(
                        v.iter()
                            .map(|x| x.checked_neg().filter(|y| (lo..=hi).contains(y)).ok_or_else(|| overflow(c.ty, "negation")))
                            .collect::<Result<_, _>>()?,
                    )
                }
                ColumnData::Double(v) => ColumnData::Double(v.into_iter().map(|x| -x).collect()),
                ColumnData::Decimal(v) => ColumnData::Decimal(v.into_iter().map(|x| -x).collect()),
                _ => return Err(internal("negation")),
            };
            Column::new(c.ty, data, c.validity)
        }
    })
}

fn overflow(ty: DataType, op: &str) -> EvalError {
    EvalError::Overflow { ty, op: op.to_string() }
}

fn int_range(ty: DataType) -> (i64, i64) {
    ty.int_range()
}

/// A right operand: a whole column, or one value for every row.
enum Rhs<'a, T> {
    Col(&'a [T]),
    Scalar(T),
}

impl<T: Copy> Rhs<'_, T> {
    #[inline(always)]
    fn get(&self, i: usize) -> T {
        match self {
            Rhs::Col(v) => v[i],
            Rhs::Scalar(s) => *s,
        }
    }
}

fn cmp_kernel<T: Copy, F: Fn(T, T) -> bool>(l: &[T], r: Rhs<'_, T>, f: F) -> Vec<bool> {
    match r {
        Rhs::Scalar(s) => l.iter().map(|x| f(*x, s)).collect(),
        Rhs::Col(rv) => l.iter().zip(rv).map(|(x, y)| f(*x, *y)).collect(),
    }
}

fn compare<T: Copy + PartialOrd>(op: BinaryOp, l: &[T], r: Rhs<'_, T>) -> Vec<bool> {
    match op {
        BinaryOp::Eq => cmp_kernel(l, r, |a, b| a == b),
        BinaryOp::NotEq => cmp_kernel(l, r, |a, b| a != b),
        BinaryOp::Lt => cmp_kernel(l, r, |a, b| a < b),
        BinaryOp::LtEq => cmp_kernel(l, r, |a, b| a <= b),
        BinaryOp::Gt => cmp_kernel(l, r, |a, b| a > b),
        _ => cmp_kernel(l, r, |a, b| a >= b),
    }
}

/// DOUBLE order as SQL engines define it: NaN equals NaN and sorts above every number, and
/// `-0.0 = 0.0` (IEEE `<`/`==` say otherwise for NaN).
#[inline]
fn sql_cmp_f64(a: f64, b: f64) -> std::cmp::Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal),
    }
}

fn compare_f64(op: BinaryOp, l: &[f64], r: Rhs<'_, f64>) -> Vec<bool> {
    use std::cmp::Ordering::*;
    match op {
        BinaryOp::Eq => cmp_kernel(l, r, |a, b| sql_cmp_f64(a, b) == Equal),
        BinaryOp::NotEq => cmp_kernel(l, r, |a, b| sql_cmp_f64(a, b) != Equal),
        BinaryOp::Lt => cmp_kernel(l, r, |a, b| sql_cmp_f64(a, b) == Less),
        BinaryOp::LtEq => cmp_kernel(l, r, |a, b| sql_cmp_f64(a, b) != Greater),
        BinaryOp::Gt => cmp_kernel(l, r, |a, b| sql_cmp_f64(a, b) == Greater),
        _ => cmp_kernel(l, r, |a, b| sql_cmp_f64(a, b) != Less),
    }
}

/// Integer arithmetic, checked against the result type's range; `%` by zero gives NULL.
fn int_arith(op: BinaryOp, l: &[i64], r: Rhs<'_, i64>, ty: DataType, validity: &mut Option<Vec<bool>>) -> Result<Vec<i64>, EvalError> {
    let (lo, hi) = int_range(ty);
    let n = l.len();
    let mut out = Vec::with_capacity(n);
    let name = op.symbol();
    match op {
        BinaryOp::Mod => {
            for i in 0..n {
                let d = r.get(i);
                if d == 0 {
                    validity.get_or_insert_with(|| vec![true; n])[i] = false;
                    out.push(0);
                } else {
                    // i64::MIN % -1 overflows in Rust but is 0 mathematically.
                    out.push(l[i].checked_rem(d).unwrap_or(0));
                }
            }
        }
        _ => {
            let f: fn(i64, i64) -> Option<i64> = match op {
                BinaryOp::Add => i64::checked_add,
                BinaryOp::Sub => i64::checked_sub,
                BinaryOp::Mul => i64::checked_mul,
                _ => return Err(internal("integer operator")),
            };
            let valid = validity.as_deref();
            for i in 0..n {
                match f(l[i], r.get(i)) {
                    Some(v) if v >= lo && v <= hi => out.push(v),
                    _ if valid.is_some_and(|v| !v[i]) => out.push(0),
                    _ => return Err(overflow(ty, name)),
                }
            }
        }
    }
    Ok(out)
}

fn double_arith(op: BinaryOp, l: &[f64], r: Rhs<'_, f64>, validity: &mut Option<Vec<bool>>) -> Vec<f64> {
    let n = l.len();
    match op {
        BinaryOp::Add => (0..n).map(|i| l[i] + r.get(i)).collect(),
        BinaryOp::Sub => (0..n).map(|i| l[i] - r.get(i)).collect(),
        BinaryOp::Mul => (0..n).map(|i| l[i] * r.get(i)).collect(),
        _ => {
            // Division and remainder by zero give NULL, as in DuckDB.
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                let d = r.get(i);
                if d == 0.0 {
                    validity.get_or_insert_with(|| vec![true; n])[i] = false;
                    out.push(0.0);
                } else if op == BinaryOp::Div {
                    out.push(l[i] / d);
                } else {
                    out.push(l[i] % d);
                }
            }
            out
        }
    }
}

fn decimal_scale(ty: DataType) -> u8 {
    if let DataType::Decimal { scale, .. } = ty { scale } else { 0 }
}

/// DECIMAL arithmetic. `+`, `-` and `%` first bring both sides to the result scale; `*` adds the
/// scales (the binder typed it so). The result must fit the result precision.
fn decimal_arith(
    op: BinaryOp,
    l: &[i128],
    ls: u8,
    r: Rhs<'_, i128>,
    rs: u8,
    ty: DataType,
    validity: &mut Option<Vec<bool>>,
) -> Result<Vec<i128>, EvalError> {
    let DataType::Decimal { precision, scale } = ty else { return Err(internal("decimal result")) };
    let n = l.len();
    let valid = validity.clone();
    let is_null = |i: usize| valid.as_ref().is_some_and(|v| !v[i]);
    let mut out = Vec::with_capacity(n);
    let ov = || overflow(ty, op.symbol());
    let up = |v: i128, from: u8| decimal::rescale(v, from, scale);
    for i in 0..n {
        if is_null(i) {
            out.push(0);
            continue;
        }
        let (a, b) = (l[i], r.get(i));
        let v = match op {
            BinaryOp::Add => up(a, ls).zip(up(b, rs)).and_then(|(a, b)| a.checked_add(b)),
            BinaryOp::Sub => up(a, ls).zip(up(b, rs)).and_then(|(a, b)| a.checked_sub(b)),
            BinaryOp::Mul => {
                a.checked_mul(b).map(|p| if ls + rs > scale { decimal::div_round(p, POW10[(ls + rs - scale) as usize]) } else { p })
            }
            BinaryOp::Mod => {
                let (a, b) = up(a, ls).zip(up(b, rs)).ok_or_else(ov)?;
                if b == 0 {
                    validity.get_or_insert_with(|| vec![true; n])[i] = false;
                    Some(0)
                } else {
                    Some(a % b)
                }
            }
            _ => return Err(internal("decimal operator")),
        };
        match v {
            Some(v) if decimal::fits(v, precision.min(MAX_PRECISION_I128)) => out.push(v),
            _ => return Err(ov()),
        }
    }
    Ok(out)
}

/// Brings both DECIMAL sides of a comparison to one scale.
fn decimal_common(l: &[i128], ls: u8, r: Rhs<'_, i128>, rs: u8) -> Result<(Vec<i128>, Vec<i128>), EvalError> {
    let s = ls.max(rs);
    let n = l.len();
    let err = || overflow(DataType::Decimal { precision: 38, scale: s }, "comparison");
    let lv = l.iter().map(|v| decimal::rescale(*v, ls, s).ok_or_else(err)).collect::<Result<Vec<_>, _>>()?;
    let rv = (0..n).map(|i| decimal::rescale(r.get(i), rs, s).ok_or_else(err)).collect::<Result<Vec<_>, _>>()?;
    Ok((lv, rv))
}

fn eval_binary_scalar(op: BinaryOp, l: &Column, r: &Datum, r_ty: DataType, ty: DataType) -> Result<Column, EvalError> {
    let mut validity = l.validity.clone();
    let n = l.len();
    let (data, out_ty) = match (&l.data, r) {
        (ColumnData::Int(a), Datum::Int(b)) if op.is_comparison() => (ColumnData::Bool(compare(op, a, Rhs::Scalar(*b))), DataType::Boolean),
        (ColumnData::Int(a), Datum::Int(b)) => (ColumnData::Int(int_arith(op, a, Rhs::Scalar(*b), ty, &mut validity)?), ty),
        (ColumnData::Double(a), Datum::Double(b)) if op.is_comparison() => {
            (ColumnData::Bool(compare_f64(op, a, Rhs::Scalar(*b))), DataType::Boolean)
        }
        (ColumnData::Double(a), Datum::Double(b)) => (ColumnData::Double(double_arith(op, a, Rhs::Scalar(*b), &mut validity)), ty),
        (ColumnData::Timestamp(a), Datum::Timestamp(b)) if op.is_comparison() => {
            (ColumnData::Bool(compare(op, a, Rhs::Scalar(*b))), DataType::Boolean)
        }
        (ColumnData::Bool(a), Datum::Bool(b)) if op.is_comparison() => {
            (ColumnData::Bool(compare(op, a, Rhs::Scalar(*b))), DataType::Boolean)
        }
        _ => {
            let rc = Column::repeat(r, r_ty, n);
            return eval_binary(op, l, &rc, ty);
        }
    };
    Ok(Column::new(out_ty, data, validity))
}

fn eval_binary(op: BinaryOp, l: &Column, r: &Column, ty: DataType) -> Result<Column, EvalError> {
    if matches!(op, BinaryOp::And | BinaryOp::Or) {
        return Ok(kleene(op, l, r));
    }
    let mut validity = and_validity(&l.validity, &r.validity);
    let data = match (&l.data, &r.data) {
        (ColumnData::Int(a), ColumnData::Int(b)) if op.is_comparison() => ColumnData::Bool(compare(op, a, Rhs::Col(b))),
        (ColumnData::Int(a), ColumnData::Int(b)) => ColumnData::Int(int_arith(op, a, Rhs::Col(b), ty, &mut validity)?),
        (ColumnData::Double(a), ColumnData::Double(b)) if op.is_comparison() => ColumnData::Bool(compare_f64(op, a, Rhs::Col(b))),
        (ColumnData::Double(a), ColumnData::Double(b)) => ColumnData::Double(double_arith(op, a, Rhs::Col(b), &mut validity)),
        (ColumnData::Decimal(a), ColumnData::Decimal(b)) if op.is_comparison() => {
            let (x, y) = decimal_common(a, decimal_scale(l.ty), Rhs::Col(b), decimal_scale(r.ty))?;
            ColumnData::Bool(compare(op, &x, Rhs::Col(&y)))
        }
        (ColumnData::Decimal(a), ColumnData::Decimal(b)) => {
            ColumnData::Decimal(decimal_arith(op, a, decimal_scale(l.ty), Rhs::Col(b), decimal_scale(r.ty), ty, &mut validity)?)
        }
        (ColumnData::Timestamp(a), ColumnData::Timestamp(b)) if op.is_comparison() => ColumnData::Bool(compare(op, a, Rhs::Col(b))),
        (ColumnData::Bool(a), ColumnData::Bool(b)) if op.is_comparison() => ColumnData::Bool(compare(op, a, Rhs::Col(b))),
        (ColumnData::Str(a), ColumnData::Str(b)) if op.is_comparison() => {
            let v = (0..a.len())
                .map(|i| {
                    let (x, y) = (a.get_bytes(i), b.get_bytes(i));
                    match op {
                        BinaryOp::Eq => x == y,
                        BinaryOp::NotEq => x != y,
                        BinaryOp::Lt => x < y,
                        BinaryOp::LtEq => x <= y,
                        BinaryOp::Gt => x > y,
                        _ => x >= y,
                    }
                })
                .collect();
            ColumnData::Bool(v)
        }
        _ => return Err(internal(op.symbol())),
    };
    let out_ty = if op.is_comparison() { DataType::Boolean } else { ty };
    Ok(Column::new(out_ty, data, validity))
}

/// Three-valued AND / OR: FALSE AND NULL is FALSE, TRUE OR NULL is TRUE.
fn kleene(op: BinaryOp, l: &Column, r: &Column) -> Column {
    let (ColumnData::Bool(a), ColumnData::Bool(b)) = (&l.data, &r.data) else {
        return Column::repeat(&Datum::Null, DataType::Boolean, l.len());
    };
    if l.validity.is_none() && r.validity.is_none() {
        let v = if op == BinaryOp::And {
            a.iter().zip(b).map(|(x, y)| *x && *y).collect()
        } else {
            a.iter().zip(b).map(|(x, y)| *x || *y).collect()
        };
        return Column::new(DataType::Boolean, ColumnData::Bool(v), None);
    }
    let n = a.len();
    let mut vals = Vec::with_capacity(n);
    let mut valid = Vec::with_capacity(n);
    for i in 0..n {
        let x = l.is_valid(i).then_some(a[i]);
        let y = r.is_valid(i).then_some(b[i]);
        let out = if op == BinaryOp::And {
            match (x, y) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            }
        } else {
            match (x, y) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            }
        };
        vals.push(out.unwrap_or(false));
        valid.push(out.is_some());
    }
    Column::new(DataType::Boolean, ColumnData::Bool(vals), Some(valid))
}

/// Casts a column. Failures (text that is not a number, a value out of range) are errors that
/// name the value. TIMESTAMP_LTZ converts as if the session zone were UTC here; the binder puts
/// the session zone's shift around it (see the planner's casts).
pub fn cast(c: &Column, to: DataType) -> Result<Column, EvalError> {
    if c.ty == to {
        return Ok(c.clone());
    }
    if let Some(cast) = func::collection::cast_nested(c, to) {
        return cast;
    }
    let n = c.len();
    let mut validity = c.validity.clone();
    let bad = |value: String| EvalError::InvalidCast { value, to };
    let from = c.ty;
    let data = match (&c.data, to) {
        (ColumnData::Str(s), DataType::Varchar) if from == DataType::Bytes => {
            // BYTES to STRING decodes UTF-8, as Flink does; bytes that are not UTF-8 fail.
            for i in 0..n {
                if c.is_valid(i) && std::str::from_utf8(s.get_bytes(i)).is_err() {
                    return Err(bad(format!("{:?}", s.get_bytes(i))));
                }
            }
            ColumnData::Str(s.clone())
        }
        (_, DataType::Varchar) => {
            let mut out = StringColumn::with_capacity(n, n * 8);
            let mut buf = Vec::new();
            for i in 0..n {
                buf.clear();
                c.write_text(i, &mut buf);
                out.push(&buf);
            }
            ColumnData::Str(out)
        }
        (ColumnData::Str(s), DataType::Bytes) => ColumnData::Str(s.clone()),
        (ColumnData::Int(v), t) if from.is_integer() && t.is_integer() => {
            let (lo, hi) = int_range(to);
            for (i, x) in v.iter().enumerate() {
                if c.is_valid(i) && (*x < lo || *x > hi) {
                    return Err(bad(x.to_string()));
                }
            }
            ColumnData::Int(v.clone())
        }
        (ColumnData::Int(v), DataType::Double) if from.is_integer() => ColumnData::Double(v.iter().map(|x| *x as f64).collect()),
        (ColumnData::Int(v), DataType::Float) if from.is_integer() => ColumnData::Double(v.iter().map(|x| *x as f32 as f64).collect()),
        (ColumnData::Int(v), DataType::Decimal { precision, scale }) if from.is_integer() => ColumnData::Decimal(
            v.iter()
                .enumerate()
                .map(|(i, x)| {
                    let m = (*x as i128) * POW10[scale as usize];
                    if c.is_valid(i) && !decimal::fits(m, precision) { Err(bad(x.to_string())) } else { Ok(m) }
                })
                .collect::<Result<_, _>>()?,
        ),
        (ColumnData::Int(v), DataType::Boolean) if from.is_integer() => ColumnData::Bool(v.iter().map(|x| *x != 0).collect()),
        (ColumnData::Double(v), t) if t.is_integer() => {
            let (lo, hi) = int_range(to);
            ColumnData::Int(
                v.iter()
                    .enumerate()
                    .map(|(i, x)| {
                        // Toward zero, as Flink (Java's narrowing) casts; DuckDB rounds halves to even.
                        let r = x.trunc();
                        if !c.is_valid(i) {
                            Ok(0)
                        } else if r.is_finite() && r >= lo as f64 && r <= hi as f64 {
                            Ok(r as i64)
                        } else {
                            Err(bad(x.to_string()))
                        }
                    })
                    .collect::<Result<_, _>>()?,
            )
        }
        (ColumnData::Double(v), DataType::Double) => ColumnData::Double(v.clone()),
        (ColumnData::Double(v), DataType::Float) => ColumnData::Double(v.iter().map(|x| *x as f32 as f64).collect()),
        (ColumnData::Double(v), DataType::Boolean) => ColumnData::Bool(v.iter().map(|x| *x != 0.0).collect()),
        (ColumnData::Double(v), DataType::Decimal { precision, scale }) => ColumnData::Decimal(
            v.iter()
                .enumerate()
                .map(|(i, x)| {
                    let m = (x * POW10[scale as usize] as f64).round();
                    if !c.is_valid(i) {
                        Ok(0)
                    } else if m.is_finite() && decimal::fits(m as i128, precision) {
                        Ok(m as i128)
                    } else {
                        Err(bad(x.to_string()))
                    }
                })
                .collect::<Result<_, _>>()?,
        ),
        (ColumnData::Decimal(v), _) => {
            let s = decimal_scale(c.ty);
            match to {
                DataType::Double => ColumnData::Double(v.iter().map(|x| decimal::to_f64(*x, s)).collect()),
                DataType::Float => ColumnData::Double(v.iter().map(|x| decimal::to_f64(*x, s) as f32 as f64).collect()),
                t if t.is_integer() => {
                    let (lo, hi) = int_range(to);
                    ColumnData::Int(
                        v.iter()
                            .enumerate()
                            .map(|(i, x)| {
                                // Toward zero, as Flink casts a DECIMAL to an integer.
                                let r = *x / POW10[s as usize];
                                if !c.is_valid(i) {
                                    Ok(0)
                                } else if r >= lo as i128 && r <= hi as i128 {
                                    Ok(r as i64)
                                } else {
                                    let mut t = Vec::new();
                                    decimal::format_into(*x, s, &mut t);
                                    Err(bad(String::from_utf8_lossy(&t).into_owned()))
                                }
                            })
                            .collect::<Result<_, _>>()?,
                    )
                }
                DataType::Decimal { precision, scale } => ColumnData::Decimal(
                    v.iter()
                        .enumerate()
                        .map(|(i, x)| match decimal::rescale(*x, s, scale) {
                            _ if !c.is_valid(i) => Ok(0),
                            Some(m) if decimal::fits(m, precision) => Ok(m),
                            _ => {
                                let mut t = Vec::new();
                                decimal::format_into(*x, s, &mut t);
                                Err(bad(String::from_utf8_lossy(&t).into_owned()))
                            }
                        })
                        .collect::<Result<_, _>>()?,
                ),
                DataType::Boolean => ColumnData::Bool(v.iter().map(|x| *x != 0).collect()),
                _ => return Err(bad(format!("a value of type {}", c.ty))),
            }
        }
        (ColumnData::Bool(v), t) if t.is_integer() => ColumnData::Int(v.iter().map(|b| *b as i64).collect()),
        (ColumnData::Bool(v), DataType::Double | DataType::Float) => ColumnData::Double(v.iter().map(|b| *b as i64 as f64).collect()),
        (ColumnData::Bool(v), DataType::Decimal { scale, .. }) => {
            ColumnData::Decimal(v.iter().map(|b| *b as i128 * POW10[scale as usize]).collect())
        }
        (ColumnData::Str(s), _) if from == DataType::Varchar => {
            let mut out = ColumnData::empty(to, n);
            let mut valid = validity.unwrap_or_else(|| vec![true; n]);
            for i in 0..n {
                let text = s.get_bytes(i);
                if !valid[i] {
                    push_default(&mut out);
                    continue;
                }
                if !parse_into(text, to, &mut out) {
                    return Err(bad(String::from_utf8_lossy(text).into_owned()));
                }
                valid[i] = true;
            }
            validity = Some(valid);
            out
        }
        (ColumnData::Timestamp(v), t) if t.is_timestamp() => {
            let (fp, tp) = (from.time_precision().unwrap_or(3), t.time_precision().unwrap_or(3));
            let (fu, tu) = (crate::types::timestamp_unit(fp), crate::types::timestamp_unit(tp));
            let mut out = Vec::with_capacity(n);
            for (i, x) in v.iter().enumerate() {
                let ticks = if tu >= fu { x.checked_mul(tu / fu) } else { Some(x.div_euclid(fu / tu)) };
                match ticks {
                    Some(t) => out.push(timestamp::truncate_ticks(t, tp)),
                    None if !c.is_valid(i) => out.push(0),
                    None => return Err(bad(x.to_string())),
                }
            }
            ColumnData::Timestamp(out)
        }
        (ColumnData::Timestamp(v), DataType::Date) => {
            let unit = crate::types::timestamp_unit(from.time_precision().unwrap_or(3));
            ColumnData::Int(v.iter().map(|x| x.div_euclid(unit * 86_400)).collect())
        }
        (ColumnData::Timestamp(v), DataType::Time { precision }) => {
            let unit = crate::types::timestamp_unit(from.time_precision().unwrap_or(3));
            let keep = 10i64.pow(9 - precision.min(9) as u32);
            ColumnData::Int(v.iter().map(|x| x.rem_euclid(unit * 86_400) * (1_000_000_000 / unit) / keep * keep).collect())
        }
        (ColumnData::Int(v), t) if from == DataType::Date && t.is_timestamp() => {
            let unit = crate::types::timestamp_unit(t.time_precision().unwrap_or(3));
            let mut out = Vec::with_capacity(n);
            for (i, x) in v.iter().enumerate() {
                match x.checked_mul(unit * 86_400) {
                    Some(t) => out.push(t),
                    None if !c.is_valid(i) => out.push(0),
                    None => return Err(bad(x.to_string())),
                }
            }
            ColumnData::Timestamp(out)
        }
        (ColumnData::Int(v), DataType::Time { precision }) if matches!(from, DataType::Time { .. }) => {
            let keep = 10i64.pow(9 - precision.min(9) as u32);
            ColumnData::Int(v.iter().map(|x| x / keep * keep).collect())
        }
        _ => return Err(bad(format!("a value of type {}", c.ty))),
    };
    Ok(Column::new(to, data, validity))
}

/// Whether `CAST(from AS to)` exists (Flink's cast table, as far as vstream has the types).
pub fn castable(from: DataType, to: DataType) -> bool {
    use DataType as T;
    if from == to || to == T::Varchar || from == T::Varchar && to.layout() != crate::types::Layout::Nested {
        return true;
    }
    match (from, to) {
        (a, b) if (a.is_numeric() || a == T::Boolean) && (b.is_numeric() || b == T::Boolean) => true,
        (T::Bytes, T::Bytes) => true,
        (a, b) if a.is_timestamp() && (b.is_timestamp() || matches!(b, T::Date | T::Time { .. })) => true,
        (T::Date, b) if b.is_timestamp() => true,
        (T::Time { .. }, T::Time { .. }) => true,
        (a, b) if func::collection::nested_castable(a, b) => true,
        _ => false,
    }
}

fn push_default(out: &mut ColumnData) {
    out.push_datum(&Datum::Null)
}

/// Parses text as a value of `ty` and appends it; false if the text is not such a value.
/// Sources and CAST share this, so a file and `CAST('…' AS …)` accept the same spellings.
pub fn parse_into(text: &[u8], ty: DataType, out: &mut ColumnData) -> bool {
    let trimmed = text.trim_ascii();
    let push_int = |out: &mut ColumnData, x: Option<i64>| match (out, x) {
        (ColumnData::Int(v), Some(x)) => {
            v.push(x);
            true
        }
        _ => false,
    };
    match ty {
        t if t.is_integer() => {
            let (lo, hi) = t.int_range();
            push_int(out, parse_i64(trimmed).filter(|x| (lo..=hi).contains(x)))
        }
        DataType::Date => push_int(out, timestamp::parse_date(trimmed)),
        DataType::Time { precision } => {
            let keep = 10i64.pow(9 - precision.min(9) as u32);
            push_int(out, timestamp::parse_time(trimmed).map(|t| t / keep * keep))
        }
        _ => match (out, ty) {
            (ColumnData::Double(v), _) => match std::str::from_utf8(trimmed).ok().and_then(parse_f64) {
                Some(x) => {
                    v.push(if ty == DataType::Float { x as f32 as f64 } else { x });
                    true
                }
                None => false,
            },
            (ColumnData::Decimal(v), DataType::Decimal { precision, scale }) => match decimal::parse(trimmed, scale) {
                Some(m) if decimal::fits(m, precision) => {
                    v.push(m);
                    true
                }
                _ => false,
            },
            (ColumnData::Timestamp(v), _) => match timestamp::parse_ticks(trimmed, ty.time_precision().unwrap_or(3)) {
                Some(t) => {
                    v.push(t);
                    true
                }
                None => false,
            },
            (ColumnData::Bool(v), _) => {
                let b = match trimmed.to_ascii_lowercase().as_slice() {
                    b"true" | b"t" | b"1" | b"yes" | b"y" => true,
                    b"false" | b"f" | b"0" | b"no" | b"n" => false,
                    _ => return false,
                };
                v.push(b);
                true
            }
            (ColumnData::Str(v), DataType::Bytes) => {
                v.push(text);
                true
            }
            (ColumnData::Str(v), _) => {
                if std::str::from_utf8(text).is_err() {
                    return false;
                }
                v.push(text);
                true
            }
            _ => false,
        },
    }
}

fn parse_f64(s: &str) -> Option<f64> {
    match s.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        _ if s.is_empty() || s.bytes().any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') => None,
        _ => s.parse().ok(),
    }
}

/// Parses a decimal integer (optional sign), rejecting anything else, without allocating.
#[inline]
pub fn parse_i64(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(d as u64)?;
    }
    if neg { if v <= i64::MAX as u64 + 1 { Some((v as i64).wrapping_neg()) } else { None } } else { i64::try_from(v).ok() }
}

fn eval_call(func: Func, args: &[Column], ty: DataType, n: usize) -> Result<Column, EvalError> {
    match func {
        Func::Abs => {
            let c = &args[0];
            let data = match &c.data {
                ColumnData::Int(v) => {
                    let (lo, hi) = int_range(c.ty);
                    ColumnData::Int(
                        v.iter()
                            .map(|x| x.checked_abs().filter(|y| (lo..=hi).contains(y)).ok_or_else(|| overflow(c.ty, "ABS")))
                            .collect::<Result<_, _>>()?,
                    )
                }
                ColumnData::Double(v) => ColumnData::Double(v.iter().map(|x| x.abs()).collect()),
                ColumnData::Decimal(v) => ColumnData::Decimal(v.iter().map(|x| x.abs()).collect()),
                _ => return Err(internal("ABS")),
            };
            Ok(Column::new(c.ty, data, c.validity.clone()))
        }
        Func::Length => {
            let c = &args[0];
            let ColumnData::Str(s) = &c.data else { return Err(internal("LENGTH")) };
            let v = s.iter().map(|b| String::from_utf8_lossy(b).chars().count() as i64).collect();
            Ok(Column::new(ty, ColumnData::Int(v), c.validity.clone()))
        }
        // The categories' functions run in their modules (`ScalarExpr::eval` dispatches them).
        Func::String(_)
        | Func::Math(_)
        | Func::Conditional(_)
        | Func::Temporal(_)
        | Func::Json(_)
        | Func::Collection(_)
        | Func::Hash(_) => Err(internal("a category function outside its module")),
        Func::ProcTime => Ok(Column::new(DataType::TIMESTAMP_LTZ, ColumnData::Timestamp(vec![wall_clock_ms(); n]), None)),
        // COALESCE evaluates its arguments lazily, in `ScalarExpr::eval`, and never reaches here.
        Func::Coalesce => Err(internal("COALESCE outside ScalarExpr::eval")),
        Func::Like { negated } => {
            let (ColumnData::Str(s), ColumnData::Str(p)) = (&args[0].data, &args[1].data) else { return Err(internal("LIKE")) };
            let validity = and_validity(&args[0].validity, &args[1].validity);
            let escape = match args.get(2).map(|c| (&c.data, c.len())) {
                Some((ColumnData::Str(e), len)) if len > 0 => {
                    let e = e.get(0);
                    let mut chars = e.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => Some(c),
                        _ => {
                            return Err(EvalError::InvalidArgument {
                                func: "LIKE",
                                detail: format!("ESCAPE must be one character, not {e:?}"),
                            });
                        }
                    }
                }
                _ => None,
            };
            let mut cache: Option<(Vec<u8>, LikePattern)> = None;
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                let pat = p.get_bytes(i);
                if cache.as_ref().is_none_or(|(k, _)| k.as_slice() != pat) {
                    cache = Some((pat.to_vec(), LikePattern::new(&String::from_utf8_lossy(pat), escape)));
                }
                let m = cache.as_ref().is_some_and(|(_, lp)| lp.matches(&s.get(i)));
                out.push(m != negated);
            }
            Ok(Column::new(DataType::Boolean, ColumnData::Bool(out), validity))
        }
    }
}

/// A compiled LIKE pattern: `%` any run of characters, `_` one character, and the ESCAPE
/// character, if one is given, makes the next character literal (there is none by default).
#[derive(Debug, Clone)]
pub struct LikePattern {
    tokens: Vec<LikeToken>,
}

#[derive(Debug, Clone, PartialEq)]
enum LikeToken {
    Any,
    One,
    Lit(char),
}

impl LikePattern {
    /// Compiles `pattern`; `escape` makes the character after it literal (none: no escape character).
    pub fn new(pattern: &str, escape: Option<char>) -> Self {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                c if Some(c) == escape => LikeToken::Lit(chars.next().unwrap_or(c)),
                '%' => LikeToken::Any,
                '_' => LikeToken::One,
                c => LikeToken::Lit(c),
            });
        }
        LikePattern { tokens }
    }

    /// Greedy matching with one backtrack point per `%` (linear in practice, no recursion).
    pub fn matches(&self, text: &str) -> bool {
        let s: Vec<char> = text.chars().collect();
        let (mut si, mut pi) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while si < s.len() {
            match self.tokens.get(pi) {
                Some(LikeToken::Any) => {
                    star = Some((pi, si));
                    pi += 1;
                }
                Some(LikeToken::One) => {
                    si += 1;
                    pi += 1;
                }
                Some(LikeToken::Lit(c)) if *c == s[si] => {
                    si += 1;
                    pi += 1;
                }
                _ => match star {
                    Some((sp, ss)) => {
                        pi = sp + 1;
                        si = ss + 1;
                        star = Some((sp, ss + 1));
                    }
                    None => return false,
                },
            }
        }
        self.tokens[pi..].iter().all(|t| *t == LikeToken::Any)
    }
}

impl ScalarExpr {
    /// SQL-like text naming the input's columns (for `explain`); `#i` where no name is known.
    pub fn display_with<'a>(&'a self, names: &'a [String]) -> ExprDisplay<'a> {
        ExprDisplay { expr: self, names }
    }
}

impl fmt::Display for ScalarExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        ExprDisplay { expr: self, names: &[] }.fmt(f)
    }
}

/// See [`ScalarExpr::display_with`].
pub struct ExprDisplay<'a> {
    expr: &'a ScalarExpr,
    names: &'a [String],
}

impl<'a> fmt::Display for ExprDisplay<'a> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self.names;
        let d = move |e: &'a ScalarExpr| ExprDisplay { expr: e, names };
        match self.expr {
            ScalarExpr::Column { index, .. } => match self.names.get(*index) {
                Some(n) => f.write_str(n),
                None => write!(f, "#{index}"),
            },
            ScalarExpr::Literal { value, ty } => {
                let mut buf = Vec::new();
                let c = Column::repeat(value, *ty, 1);
                c.write_text(0, &mut buf);
                match value {
                    Datum::Null => f.write_str("NULL"),
                    Datum::Str(_) => write!(f, "'{}'", String::from_utf8_lossy(&buf).replace('\'', "''")),
                    Datum::Timestamp(_) => write!(f, "TIMESTAMP '{}'", String::from_utf8_lossy(&buf)),
                    _ => f.write_str(&String::from_utf8_lossy(&buf)),
                }
            }
            ScalarExpr::Unary { op, expr } => match op {
                UnaryOp::Not => write!(f, "NOT {}", d(expr)),
                UnaryOp::Neg => write!(f, "-{}", d(expr)),
                UnaryOp::IsNull => write!(f, "{} IS NULL", d(expr)),
                UnaryOp::IsNotNull => write!(f, "{} IS NOT NULL", d(expr)),
            },
            ScalarExpr::Binary { op, left, right, .. } => write!(f, "({} {} {})", d(left), op.symbol(), d(right)),
            ScalarExpr::Cast { expr, to } => write!(f, "CAST({} AS {to})", d(expr)),
            ScalarExpr::Case { branches, otherwise, .. } => {
                f.write_str("CASE")?;
                for (c, r) in branches {
                    write!(f, " WHEN {} THEN {}", d(c), d(r))?;
                }
                write!(f, " ELSE {} END", d(otherwise))
            }
            ScalarExpr::Call { func, args, .. } => {
                if let Func::Like { .. } | Func::Conditional(crate::func::conditional::ConditionalFunc::SimilarTo { .. }) = func {
                    return write!(f, "({} {} {})", d(&args[0]), func.name(), d(&args[1]));
                }
                if let (Func::Conditional(crate::func::conditional::ConditionalFunc::TryCast), [arg]) = (func, args.as_slice()) {
                    return write!(f, "TRY_CAST({} AS {})", d(arg), self.expr.ty());
                }
                if let Some(text) = func::collection::display_access(*func, args, |a| d(a).to_string()) {
                    return f.write_str(&text);
                }
                write!(f, "{}(", func.name())?;
                // EXTRACT, FLOOR, TIMESTAMPADD... carry their unit in the function, not in an argument.
                if let Func::Temporal(t) = func
                    && let Some(unit) = t.unit()
                {
                    write!(f, "{}, ", unit.name())?;
                }
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", d(a))?;
                }
                f.write_str(")")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int_col(v: Vec<Option<i64>>) -> Column {
        let validity = Some(v.iter().map(|x| x.is_some()).collect());
        Column::new(DataType::BigInt, ColumnData::Int(v.iter().map(|x| x.unwrap_or(0)).collect()), validity)
    }

    #[test]
    fn like_patterns() {
        assert!(LikePattern::new("a%c", None).matches("abbbc"));
        assert!(LikePattern::new("%b%", None).matches("abc"));
        assert!(!LikePattern::new("a_c", None).matches("abbc"));
        assert!(LikePattern::new("a!%", Some('!')).matches("a%"));
        assert!(!LikePattern::new("a!%", Some('!')).matches("ab"));
        assert!(LikePattern::new("a\\%", None).matches("a\\xyz"));
        assert!(LikePattern::new("%", None).matches(""));
        assert!(!LikePattern::new("_", None).matches(""));
    }

    #[test]
    fn decimal_times_bigint_is_exact() {
        // 0.908 * 12345 = 11209.260 exactly: DECIMAL(3,3) * DECIMAL(19,0) -> DECIMAL(22,3).
        let batch = Batch::new(1, vec![int_col(vec![Some(12345)])]);
        let e = ScalarExpr::Binary {
            op: BinaryOp::Mul,
            left: Box::new(ScalarExpr::literal(Datum::Decimal(908), DataType::Decimal { precision: 3, scale: 3 })),
            right: Box::new(ScalarExpr::Cast {
                expr: Box::new(ScalarExpr::column(0, DataType::BigInt)),
                to: DataType::Decimal { precision: 19, scale: 0 },
            }),
            ty: DataType::Decimal { precision: 22, scale: 3 },
        };
        let c = e.eval(&batch).unwrap();
        let mut out = Vec::new();
        c.write_text(0, &mut out);
        assert_eq!(out, b"11209.260");
    }

    #[test]
    fn mod_by_zero_is_null_and_overflow_is_error() {
        let batch = Batch::new(2, vec![int_col(vec![Some(7), None]), int_col(vec![Some(0), Some(2)])]);
        let m = ScalarExpr::Binary {
            op: BinaryOp::Mod,
            left: Box::new(ScalarExpr::column(0, DataType::BigInt)),
            right: Box::new(ScalarExpr::column(1, DataType::BigInt)),
            ty: DataType::BigInt,
        };
        let c = m.eval(&batch).unwrap();
        assert_eq!(c.datum(0), Datum::Null);
        assert_eq!(c.datum(1), Datum::Null);
        let big = Batch::new(1, vec![int_col(vec![Some(i64::MAX)])]);
        let add = ScalarExpr::Binary {
            op: BinaryOp::Add,
            left: Box::new(ScalarExpr::column(0, DataType::BigInt)),
            right: Box::new(ScalarExpr::literal(Datum::Int(1), DataType::BigInt)),
            ty: DataType::BigInt,
        };
        assert!(matches!(add.eval(&big), Err(EvalError::Overflow { .. })));
    }

    #[test]
    fn kleene_logic() {
        let t = Column::new(DataType::Boolean, ColumnData::Bool(vec![true, false, false]), Some(vec![true, true, false]));
        let null = Column::repeat(&Datum::Null, DataType::Boolean, 3);
        let and = kleene(BinaryOp::And, &t, &null);
        assert_eq!((and.datum(0), and.datum(1), and.datum(2)), (Datum::Null, Datum::Bool(false), Datum::Null));
        let or = kleene(BinaryOp::Or, &t, &null);
        assert_eq!((or.datum(0), or.datum(1)), (Datum::Bool(true), Datum::Null));
    }

    #[test]
    fn parse_ints() {
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"12x"), None);
        assert_eq!(parse_i64(b""), None);
    }
}
