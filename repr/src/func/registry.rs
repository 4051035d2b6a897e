//! The function registry: every built-in scalar function by SQL name, with its category, its
//! signatures as a user reads them, and the rule that types a call.
//!
//! The binder looks a name up here ([`lookup`]), hands the rule its arguments' types (and the
//! value of literal arguments, so a bad literal pattern is a planning error), casts each argument
//! to the type the rule asks for, and builds the call. `docs/functions.md` is generated from
//! this list and Flink's (see the planner's `catalog`), so the two cannot drift apart.

use super::Func;
use crate::datum::Datum;
use crate::types::DataType;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The sections of Flink's built-in function list (its `sql_functions.yml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// `=`, `BETWEEN`, `LIKE`, `IN`, ...
    Comparison,
    /// `AND`, `OR`, `IS TRUE`, ...
    Logical,
    /// Numbers: operators, `ROUND`, `LOG`, `RAND`, `HEX`, ...
    Arithmetic,
    /// Text: `UPPER`, `SUBSTRING`, `REGEXP_EXTRACT`, `SPLIT_INDEX`, ...
    String,
    /// Dates and times: `EXTRACT`, `DATE_FORMAT`, `TO_TIMESTAMP`, ...
    Temporal,
    /// `CASE`, `IF`, `COALESCE`, `GREATEST`, ...
    Conditional,
    /// `CAST`, `TRY_CAST`, `TYPEOF`.
    Conversion,
    /// Arrays and maps: `CARDINALITY`, `ARRAY_CONTAINS`, `MAP_KEYS`, ...
    Collection,
    /// `JSON_VALUE`, `JSON_QUERY`, `JSON_OBJECT`, `IS JSON`, ...
    Json,
    /// VARIANT functions (left out).
    Variant,
    /// `ROW(...)`, `ARRAY[...]`, `MAP[...]`.
    ValueConstruction,
    /// `OBJECT_UPDATE` (left out).
    ValueModification,
    /// `r.f`, `r.*`.
    ValueAccess,
    /// `GROUPING`, `GROUP_ID`.
    Grouping,
    /// `MD5`, `SHA256`, ...
    Hash,
    /// BITMAP functions (left out).
    Bitmap,
    /// `CURRENT_DATABASE` (left out).
    Catalog,
    /// `SUM`, `STDDEV_POP`, `LISTAGG`, ...
    Aggregate,
}

impl Category {
    /// The section's title in docs/functions.md.
    pub fn title(self) -> &'static str {
        match self {
            Category::Comparison => "Comparison",
            Category::Logical => "Logical",
            Category::Arithmetic => "Arithmetic",
            Category::String => "String",
            Category::Temporal => "Temporal",
            Category::Conditional => "Conditional",
            Category::Conversion => "Conversion",
            Category::Collection => "Collection",
            Category::Json => "JSON",
            Category::Variant => "Variant",
            Category::ValueConstruction => "Value construction",
            Category::ValueModification => "Value modification",
            Category::ValueAccess => "Value access",
            Category::Grouping => "Grouping",
            Category::Hash => "Hash",
            Category::Bitmap => "Bitmap",
            Category::Catalog => "Catalog",
            Category::Aggregate => "Aggregate",
        }
    }
}

/// An argument as the typing rule sees it.
#[derive(Clone, Copy, Debug)]
pub struct ArgType<'a> {
    /// The argument's type; `None` for a bare NULL, which takes whatever type the rule wants.
    pub ty: Option<DataType>,
    /// The argument's value when it is a literal (after constant folding).
    pub literal: Option<&'a Datum>,
}

/// What the typing rule decided for a call.
#[derive(Clone, Debug, PartialEq)]
pub struct Typed {
    /// The type each argument is cast to before the call (implicit casts only: the binder refuses
    /// a cast that loses information and reports the signatures).
    pub args: Vec<DataType>,
    /// The result type.
    pub ret: DataType,
}

/// Why a call does not fit its function: the binder points at argument `arg` (or the whole
/// call) and lists the function's signatures.
#[derive(Clone, Debug, PartialEq)]
pub struct SigError {
    /// The argument at fault, 0-based.
    pub arg: Option<usize>,
    /// What is wrong, as one sentence without the function's name.
    pub message: String,
}

impl SigError {
    /// An error about argument `arg`.
    pub fn arg(arg: usize, message: impl Into<String>) -> Self {
        SigError { arg: Some(arg), message: message.into() }
    }
    /// An error about the call as a whole (arity, a combination of types).
    pub fn call(message: impl Into<String>) -> Self {
        SigError { arg: None, message: message.into() }
    }
}

/// The rule that types a call from its arguments.
pub type Typer = fn(&[ArgType<'_>]) -> Result<Typed, SigError>;

/// One built-in scalar function (one entry per SQL name: aliases are entries of their own).
#[derive(Clone, Copy, Debug)]
pub struct FunctionDef {
    /// The SQL name, upper case.
    pub name: &'static str,
    /// Flink's section it belongs to.
    pub category: Category,
    /// The accepted forms as a user reads them, e.g. `REGEXP_EXTRACT(STRING, STRING [, INT]) → STRING`.
    pub signatures: &'static str,
    /// Types a call.
    pub typer: Typer,
    /// The kernel the call runs.
    pub func: Func,
    /// Whether the same arguments always give the same result, so a call on literals is
    /// computed at planning (false for RAND, UUID, NOW and the like).
    pub deterministic: bool,
}

impl FunctionDef {
    /// A deterministic function `name` of `category`, typed by `typer`.
    pub const fn new(name: &'static str, category: Category, signatures: &'static str, typer: Typer, func: Func) -> Self {
        FunctionDef { name, category, signatures, typer, func, deterministic: true }
    }
    /// The same function, computed per row even on literal arguments.
    pub const fn volatile(mut self) -> Self {
        self.deterministic = false;
        self
    }
}

/// Every registered function, category by category.
pub fn all() -> &'static [FunctionDef] {
    static ALL: OnceLock<Vec<FunctionDef>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut defs = Vec::new();
        defs.extend(super::string::definitions());
        defs.extend(super::math::definitions());
        defs.extend(super::conditional::definitions());
        defs.extend(super::temporal::definitions());
        defs.extend(super::json::definitions());
        defs.extend(super::collection::definitions());
        defs.extend(super::hash::definitions());
        defs
    })
}

/// The function registered under `name` (any case).
pub fn lookup(name: &str) -> Option<&'static FunctionDef> {
    static BY_NAME: OnceLock<HashMap<&'static str, &'static FunctionDef>> = OnceLock::new();
    BY_NAME.get_or_init(|| all().iter().map(|d| (d.name, d)).collect()).get(name.to_ascii_uppercase().as_str()).copied()
}

/// Helpers for typing rules.
pub mod rules {
    use super::{ArgType, SigError, Typed};
    use crate::types::DataType;

    /// Checks the number of arguments is in `min..=max`.
    pub fn arity(args: &[ArgType<'_>], min: usize, max: usize) -> Result<(), SigError> {
        if (min..=max).contains(&args.len()) {
            return Ok(());
        }
        let want = if min == max {
            format!("{min}")
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        Err(SigError::call(format!("takes {want} arguments, not {}", args.len())))
    }

    /// Argument `i` must be text (VARCHAR); a NULL is typed VARCHAR.
    pub fn string(args: &[ArgType<'_>], i: usize) -> Result<DataType, SigError> {
        match args[i].ty {
            None | Some(DataType::Varchar) => Ok(DataType::Varchar),
            Some(t) => Err(SigError::arg(i, format!("argument {} must be STRING, not {t}", i + 1))),
        }
    }

    /// Argument `i` must be an integer; it is widened to `to` (INT or BIGINT).
    pub fn integer(args: &[ArgType<'_>], i: usize, to: DataType) -> Result<DataType, SigError> {
        match args[i].ty {
            None => Ok(to),
            Some(t) if t.is_integer() => Ok(to),
            Some(t) => Err(SigError::arg(i, format!("argument {} must be an integer, not {t}", i + 1))),
        }
    }

    /// Argument `i` must be a number; it is converted to DOUBLE.
    pub fn double(args: &[ArgType<'_>], i: usize) -> Result<DataType, SigError> {
        match args[i].ty {
            None => Ok(DataType::Double),
            Some(t) if t.is_numeric() => Ok(DataType::Double),
            Some(t) => Err(SigError::arg(i, format!("argument {} must be numeric, not {t}", i + 1))),
        }
    }

    /// The argument's own type (a NULL as `null_as`).
    pub fn same(args: &[ArgType<'_>], i: usize, null_as: DataType) -> DataType {
        args[i].ty.unwrap_or(null_as)
    }

    /// A rule's result: arguments cast to `args`, result `ret`.
    pub fn typed(args: Vec<DataType>, ret: DataType) -> Result<Typed, SigError> {
        Ok(Typed { args, ret })
    }
}
