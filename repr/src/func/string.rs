//! Flink's text functions: case, trimming, padding, searching, regular expressions, URL and base64 codecs.
//!
//! Semantics follow Flink's runtime (`SqlFunctionUtils`, `BinaryStringDataUtil` and the
//! `*Function` classes of `flink-table-runtime`), not DuckDB's: `SUBSTRING` counts a start of 0
//! as 1 and a negative start from the end, `CONCAT` is NULL when any argument is, `LPAD`
//! truncates, `SPLIT_INDEX` is 0-based. Positions and lengths count Unicode code points.
//! Regular expressions use the `regex` crate: Java's syntax less look-around and
//! back-references (a literal pattern using them is a planning error).

use super::registry::rules::{self, arity, typed};
use super::{Arg, ArgType, CallCache, Category, ColumnBuilder, FunctionDef, SigError, Typed};
use crate::column::Column;
use crate::datum::Datum;
use crate::expr::{EvalError, Func};
use crate::types::DataType;
use memchr::memmem;
use regex::bytes::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

mod codec;
mod printf;

/// The functions of this category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StringFunc {
    /// `CHAR_LENGTH(s)`: code points.
    CharLength,
    /// `UPPER(s)`.
    Upper,
    /// `LOWER(s)`.
    Lower,
    /// `INITCAP(s)`: ASCII letters, words split at anything not `[A-Za-z0-9]`.
    InitCap,
    /// `REVERSE(s)`, by code point.
    Reverse,
    /// `REPEAT(s, n)`.
    Repeat,
    /// `LOCATE(needle, haystack[, from])` and `POSITION(needle IN haystack)`.
    Locate,
    /// `INSTR(haystack, needle)`.
    Instr,
    /// `PRINTF(format, args...)`.
    Printf,
    /// `TRIM`/`BTRIM(s[, chars])`: both ends.
    BTrim,
    /// `LTRIM(s[, chars])`.
    LTrim,
    /// `RTRIM(s[, chars])`.
    RTrim,
    /// `OVERLAY(s PLACING r FROM start [FOR len])`.
    Overlay,
    /// `SUBSTRING(s, start[, len])`.
    Substring,
    /// `LEFT(s, n)`.
    Left,
    /// `RIGHT(s, n)`.
    Right,
    /// `REPLACE(s, from, to)`.
    Replace,
    /// `STARTSWITH(s, prefix)`, text or bytes.
    StartsWith,
    /// `ENDSWITH(s, suffix)`, text or bytes.
    EndsWith,
    /// `REGEXP(s, re)`.
    Regexp,
    /// `REGEXP_REPLACE(s, re, replacement)`.
    RegexpReplace,
    /// `REGEXP_EXTRACT(s, re[, group])`.
    RegexpExtract,
    /// `REGEXP_EXTRACT_ALL(s, re[, group])`.
    RegexpExtractAll,
    /// `REGEXP_COUNT(s, re)`.
    RegexpCount,
    /// `REGEXP_INSTR(s, re)`.
    RegexpInstr,
    /// `REGEXP_SUBSTR(s, re)`.
    RegexpSubstr,
    /// `TRANSLATE(s, from, to)`.
    Translate,
    /// `CONCAT(a, b, ...)` and `a || b`: NULL if any argument is.
    Concat,
    /// `CONCAT_WS(sep, a, b, ...)`: skips NULL arguments.
    ConcatWs,
    /// `LPAD(s, len, pad)`.
    Lpad,
    /// `RPAD(s, len, pad)`.
    Rpad,
    /// `FROM_BASE64(s)`.
    FromBase64,
    /// `TO_BASE64(s)`.
    ToBase64,
    /// `ASCII(s)`.
    Ascii,
    /// `CHR(n)`.
    Chr,
    /// `DECODE(bytes, charset)`.
    Decode,
    /// `ENCODE(s, charset)`.
    Encode,
    /// `URL_DECODE(s)`.
    UrlDecode,
    /// `URL_ENCODE(s)`.
    UrlEncode,
    /// `INET_ATON(s)`.
    InetAton,
    /// `INET_NTOA(n)`.
    InetNtoa,
    /// `PARSE_URL(url, part[, key])`.
    ParseUrl,
    /// `SPLIT_INDEX(s, sep, i)`.
    SplitIndex,
    /// `STR_TO_MAP(s[, pair_sep, kv_sep])`.
    StrToMap,
    /// `JSON_QUOTE(s)`.
    JsonQuote,
    /// `JSON_UNQUOTE(s)`.
    JsonUnquote,
    /// `ELT(i, a, b, ...)`.
    Elt,
}

impl StringFunc {
    /// The SQL name.
    pub fn name(self) -> &'static str {
        use StringFunc::*;
        match self {
            CharLength => "CHAR_LENGTH",
            Upper => "UPPER",
            Lower => "LOWER",
            InitCap => "INITCAP",
            Reverse => "REVERSE",
            Repeat => "REPEAT",
            Locate => "LOCATE",
            Instr => "INSTR",
            Printf => "PRINTF",
            BTrim => "BTRIM",
            LTrim => "LTRIM",
            RTrim => "RTRIM",
            Overlay => "OVERLAY",
            Substring => "SUBSTRING",
            Left => "LEFT",
            Right => "RIGHT",
            Replace => "REPLACE",
            StartsWith => "STARTSWITH",
            EndsWith => "ENDSWITH",
            Regexp => "REGEXP",
            RegexpReplace => "REGEXP_REPLACE",
            RegexpExtract => "REGEXP_EXTRACT",
            RegexpExtractAll => "REGEXP_EXTRACT_ALL",
            RegexpCount => "REGEXP_COUNT",
            RegexpInstr => "REGEXP_INSTR",
            RegexpSubstr => "REGEXP_SUBSTR",
            Translate => "TRANSLATE",
            Concat => "CONCAT",
            ConcatWs => "CONCAT_WS",
            Lpad => "LPAD",
            Rpad => "RPAD",
            FromBase64 => "FROM_BASE64",
            ToBase64 => "TO_BASE64",
            Ascii => "ASCII",
            Chr => "CHR",
            Decode => "DECODE",
            Encode => "ENCODE",
            UrlDecode => "URL_DECODE",
            UrlEncode => "URL_ENCODE",
            InetAton => "INET_ATON",
            InetNtoa => "INET_NTOA",
            ParseUrl => "PARSE_URL",
            SplitIndex => "SPLIT_INDEX",
            StrToMap => "STR_TO_MAP",
            JsonQuote => "JSON_QUOTE",
            JsonUnquote => "JSON_UNQUOTE",
            Elt => "ELT",
        }
    }
}

/// The longest text a function builds for one row (REPEAT, LPAD, RPAD): a longer one is an error,
/// not an allocation that takes the process down.
pub const MAX_RESULT_BYTES: usize = 64 << 20;

/// The most a compiled regular expression may take (the `regex` crate's size limit).
const REGEX_SIZE_LIMIT: usize = 8 << 20;

// ---------------------------------------------------------------------------------------------
// Typing rules
// ---------------------------------------------------------------------------------------------

fn text_args(args: &[ArgType<'_>], n: usize, ret: DataType) -> Result<Typed, SigError> {
    arity(args, n, n)?;
    let tys = (0..n).map(|i| rules::string(args, i)).collect::<Result<_, _>>()?;
    typed(tys, ret)
}

fn t_str_to_str(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    text_args(args, 1, DataType::Varchar)
}
fn t_str_to_int(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    text_args(args, 1, DataType::Int)
}
fn t_str2_to_int(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    text_args(args, 2, DataType::Int)
}
fn t_str3_to_str(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    text_args(args, 3, DataType::Varchar)
}
fn t_str_int_to_str(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, 2)?;
    typed(vec![rules::string(args, 0)?, rules::integer(args, 1, DataType::BigInt)?], DataType::Varchar)
}
fn t_locate(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, 3)?;
    let mut tys = vec![rules::string(args, 0)?, rules::string(args, 1)?];
    if args.len() == 3 {
        tys.push(rules::integer(args, 2, DataType::BigInt)?);
    }
    typed(tys, DataType::Int)
}
fn t_trim(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 2)?;
    let tys = (0..args.len()).map(|i| rules::string(args, i)).collect::<Result<_, _>>()?;
    typed(tys, DataType::Varchar)
}
fn t_overlay(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 3, 4)?;
    let mut tys = vec![rules::string(args, 0)?, rules::string(args, 1)?];
    for i in 2..args.len() {
        tys.push(rules::integer(args, i, DataType::BigInt)?);
    }
    typed(tys, DataType::Varchar)
}
fn t_substring(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, 3)?;
    let mut tys = vec![rules::string(args, 0)?];
    for i in 1..args.len() {
        tys.push(rules::integer(args, i, DataType::BigInt)?);
    }
    typed(tys, DataType::Varchar)
}
/// Text or bytes, both arguments the same (a NULL takes the other's type).
fn t_starts_ends(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, 2)?;
    let ty = match (args[0].ty, args[1].ty) {
        (Some(DataType::Bytes), _) | (None, Some(DataType::Bytes)) => DataType::Bytes,
        _ => DataType::Varchar,
    };
    for (i, a) in args.iter().enumerate() {
        if let Some(t) = a.ty
            && t != ty
        {
            return Err(SigError::arg(i, format!("argument {} must be {ty} like the other, not {t}", i + 1)));
        }
    }
    typed(vec![ty, ty], DataType::Boolean)
}
/// Checks a literal pattern argument compiles, so a bad one is a planning error at its position.
fn check_regex(args: &[ArgType<'_>], i: usize) -> Result<(), SigError> {
    if let Some(Datum::Str(p)) = args.get(i).and_then(|a| a.literal)
        && let Err(e) = compile(p)
    {
        return Err(SigError::arg(i, format!("invalid regular expression: {e}")));
    }
    Ok(())
}
fn t_regexp_bool(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    let t = text_args(args, 2, DataType::Boolean)?;
    check_regex(args, 1)?;
    Ok(t)
}
fn t_regexp_int(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    let t = text_args(args, 2, DataType::Int)?;
    check_regex(args, 1)?;
    Ok(t)
}
fn t_regexp_str(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    let t = text_args(args, 2, DataType::Varchar)?;
    check_regex(args, 1)?;
    Ok(t)
}
fn t_regexp_replace(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    let t = text_args(args, 3, DataType::Varchar)?;
    check_regex(args, 1)?;
    Ok(t)
}
fn t_regexp_extract(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, 3)?;
    let mut tys = vec![rules::string(args, 0)?, rules::string(args, 1)?];
    if args.len() == 3 {
        tys.push(rules::integer(args, 2, DataType::BigInt)?);
    }
    check_regex(args, 1)?;
    typed(tys, DataType::Varchar)
}
fn t_regexp_extract_all(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    let mut t = t_regexp_extract(args)?;
    t.ret = DataType::array(DataType::Varchar);
    Ok(t)
}
fn t_printf(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, usize::MAX)?;
    let mut tys = vec![rules::string(args, 0)?];
    tys.extend((1..args.len()).map(|i| rules::same(args, i, DataType::Varchar)));
    if let Some(Datum::Str(f)) = args[0].literal
        && let Err(e) = printf::parse(f)
    {
        return Err(SigError::arg(0, format!("invalid format: {e}")));
    }
    typed(tys, DataType::Varchar)
}
fn t_concat(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, usize::MAX)?;
    for (i, a) in args.iter().enumerate() {
        if let Some(t) = a.ty
            && !crate::expr::castable(t, DataType::Varchar)
        {
            return Err(SigError::arg(i, format!("argument {} cannot be written as STRING: {t}", i + 1)));
        }
    }
    typed(vec![DataType::Varchar; args.len()], DataType::Varchar)
}
fn t_concat_ws(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, usize::MAX)?;
    t_concat(args)
}
fn t_pad(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 3, 3)?;
    typed(vec![rules::string(args, 0)?, rules::integer(args, 1, DataType::BigInt)?, rules::string(args, 2)?], DataType::Varchar)
}
fn t_to_base64(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    let ty = match args[0].ty {
        Some(DataType::Bytes) => DataType::Bytes,
        _ => rules::string(args, 0)?,
    };
    typed(vec![ty], DataType::Varchar)
}
fn t_chr(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    typed(vec![rules::integer(args, 0, DataType::BigInt)?], DataType::Varchar)
}
fn check_charset(args: &[ArgType<'_>], i: usize) -> Result<(), SigError> {
    if let Some(Datum::Str(c)) = args[i].literal
        && codec::Charset::parse(c).is_none()
    {
        return Err(SigError::arg(i, format!("unsupported charset '{c}' (UTF-8, US-ASCII, ISO-8859-1, UTF-16, UTF-16BE, UTF-16LE)")));
    }
    Ok(())
}
fn t_decode(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, 2)?;
    let bin = match args[0].ty {
        None | Some(DataType::Bytes) => DataType::Bytes,
        Some(t) => return Err(SigError::arg(0, format!("argument 1 must be BYTES, not {t}"))),
    };
    check_charset(args, 1)?;
    typed(vec![bin, rules::string(args, 1)?], DataType::Varchar)
}
fn t_encode(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    let mut t = text_args(args, 2, DataType::Bytes)?;
    check_charset(args, 1)?;
    t.ret = DataType::Bytes;
    Ok(t)
}
fn t_inet_aton(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    text_args(args, 1, DataType::BigInt)
}
fn t_inet_ntoa(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    typed(vec![rules::integer(args, 0, DataType::BigInt)?], DataType::Varchar)
}
fn t_parse_url(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, 3)?;
    let tys = (0..args.len()).map(|i| rules::string(args, i)).collect::<Result<_, _>>()?;
    typed(tys, DataType::Varchar)
}
fn t_split_index(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 3, 3)?;
    typed(vec![rules::string(args, 0)?, rules::string(args, 1)?, rules::integer(args, 2, DataType::BigInt)?], DataType::Varchar)
}
fn t_str_to_map(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    if args.len() == 2 {
        return Err(SigError::call("takes 1 or 3 arguments, not 2"));
    }
    arity(args, 1, 3)?;
    let tys = (0..args.len()).map(|i| rules::string(args, i)).collect::<Result<_, _>>()?;
    check_regex(args, 1)?;
    check_regex(args, 2)?;
    typed(tys, DataType::map(DataType::Varchar, DataType::Varchar))
}
fn t_elt(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, usize::MAX)?;
    let index = rules::integer(args, 0, DataType::BigInt)?;
    let ty = args[1..].iter().find_map(|a| a.ty).unwrap_or(DataType::Varchar);
    for (i, a) in args.iter().enumerate().skip(1) {
        if let Some(t) = a.ty
            && t != ty
        {
            return Err(SigError::arg(i, format!("argument {} must be {ty} like the others, not {t}", i + 1)));
        }
    }
    let mut tys = vec![index];
    tys.extend(std::iter::repeat_n(ty, args.len() - 1));
    typed(tys, ty)
}

/// This category's registry entries.
pub fn definitions() -> Vec<FunctionDef> {
    use Category::String as C;
    use StringFunc::*;
    let d = |name, sig, typer, f| FunctionDef::new(name, C, sig, typer, Func::String(f));
    vec![
        d("CHAR_LENGTH", "CHAR_LENGTH(STRING) → INT", t_str_to_int, CharLength),
        d("CHARACTER_LENGTH", "CHARACTER_LENGTH(STRING) → INT", t_str_to_int, CharLength),
        d("UPPER", "UPPER(STRING) → STRING", t_str_to_str, Upper),
        d("LOWER", "LOWER(STRING) → STRING", t_str_to_str, Lower),
        d("INITCAP", "INITCAP(STRING) → STRING", t_str_to_str, InitCap),
        d("REVERSE", "REVERSE(STRING) → STRING", t_str_to_str, Reverse),
        d("REPEAT", "REPEAT(STRING, INT) → STRING", t_str_int_to_str, Repeat),
        d("POSITION", "POSITION(STRING IN STRING) → INT", t_locate, Locate),
        d("LOCATE", "LOCATE(STRING, STRING [, INT]) → INT", t_locate, Locate),
        d("INSTR", "INSTR(STRING, STRING) → INT", t_str2_to_int, Instr),
        d("PRINTF", "PRINTF(STRING [, ANY]*) → STRING", t_printf, Printf),
        d("TRIM", "TRIM([BOTH | LEADING | TRAILING] [STRING] FROM STRING) → STRING", t_trim, BTrim),
        d("BTRIM", "BTRIM(STRING [, STRING]) → STRING", t_trim, BTrim),
        d("LTRIM", "LTRIM(STRING [, STRING]) → STRING", t_trim, LTrim),
        d("RTRIM", "RTRIM(STRING [, STRING]) → STRING", t_trim, RTrim),
        d("OVERLAY", "OVERLAY(STRING PLACING STRING FROM INT [FOR INT]) → STRING", t_overlay, Overlay),
        d("SUBSTRING", "SUBSTRING(STRING, INT [, INT]) | SUBSTRING(STRING FROM INT [FOR INT]) → STRING", t_substring, Substring),
        d("SUBSTR", "SUBSTR(STRING, INT [, INT]) → STRING", t_substring, Substring),
        d("LEFT", "LEFT(STRING, INT) → STRING", t_str_int_to_str, Left),
        d("RIGHT", "RIGHT(STRING, INT) → STRING", t_str_int_to_str, Right),
        d("REPLACE", "REPLACE(STRING, STRING, STRING) → STRING", t_str3_to_str, Replace),
        d("STARTSWITH", "STARTSWITH(STRING, STRING) | STARTSWITH(BYTES, BYTES) → BOOLEAN", t_starts_ends, StartsWith),
        d("ENDSWITH", "ENDSWITH(STRING, STRING) | ENDSWITH(BYTES, BYTES) → BOOLEAN", t_starts_ends, EndsWith),
        d("REGEXP", "REGEXP(STRING, STRING) → BOOLEAN", t_regexp_bool, Regexp),
        d("REGEXP_REPLACE", "REGEXP_REPLACE(STRING, STRING, STRING) → STRING", t_regexp_replace, RegexpReplace),
        d("REGEXP_EXTRACT", "REGEXP_EXTRACT(STRING, STRING [, INT]) → STRING", t_regexp_extract, RegexpExtract),
        d("REGEXP_EXTRACT_ALL", "REGEXP_EXTRACT_ALL(STRING, STRING [, INT]) → ARRAY<STRING>", t_regexp_extract_all, RegexpExtractAll),
        d("REGEXP_COUNT", "REGEXP_COUNT(STRING, STRING) → INT", t_regexp_int, RegexpCount),
        d("REGEXP_INSTR", "REGEXP_INSTR(STRING, STRING) → INT", t_regexp_int, RegexpInstr),
        d("REGEXP_SUBSTR", "REGEXP_SUBSTR(STRING, STRING) → STRING", t_regexp_str, RegexpSubstr),
        d("TRANSLATE", "TRANSLATE(STRING, STRING, STRING) → STRING", t_str3_to_str, Translate),
        d("CONCAT", "CONCAT(ANY, ...) → STRING", t_concat, Concat),
        d("CONCAT_WS", "CONCAT_WS(STRING, ANY, ...) → STRING", t_concat_ws, ConcatWs),
        d("LPAD", "LPAD(STRING, INT, STRING) → STRING", t_pad, Lpad),
        d("RPAD", "RPAD(STRING, INT, STRING) → STRING", t_pad, Rpad),
        d("FROM_BASE64", "FROM_BASE64(STRING) → STRING", t_str_to_str, FromBase64),
        d("TO_BASE64", "TO_BASE64(STRING | BYTES) → STRING", t_to_base64, ToBase64),
        d("ASCII", "ASCII(STRING) → INT", t_str_to_int, Ascii),
        d("CHR", "CHR(INT) → STRING", t_chr, Chr),
        d("DECODE", "DECODE(BYTES, STRING) → STRING", t_decode, Decode),
        d("ENCODE", "ENCODE(STRING, STRING) → BYTES", t_encode, Encode),
        d("URL_DECODE", "URL_DECODE(STRING) → STRING", t_str_to_str, UrlDecode),
        d("URL_ENCODE", "URL_ENCODE(STRING) → STRING", t_str_to_str, UrlEncode),
        d("INET_ATON", "INET_ATON(STRING) → BIGINT", t_inet_aton, InetAton),
        d("INET_NTOA", "INET_NTOA(BIGINT) → STRING", t_inet_ntoa, InetNtoa),
        d("PARSE_URL", "PARSE_URL(STRING, STRING [, STRING]) → STRING", t_parse_url, ParseUrl),
        d("SPLIT_INDEX", "SPLIT_INDEX(STRING, STRING, INT) → STRING", t_split_index, SplitIndex),
        d("STR_TO_MAP", "STR_TO_MAP(STRING [, STRING, STRING]) → MAP<STRING, STRING>", t_str_to_map, StrToMap),
        d("JSON_QUOTE", "JSON_QUOTE(STRING) → STRING", t_str_to_str, JsonQuote),
        d("JSON_UNQUOTE", "JSON_UNQUOTE(STRING) → STRING", t_str_to_str, JsonUnquote),
        d("ELT", "ELT(INT, T, T, ...) → T", t_elt, Elt),
    ]
}

// ---------------------------------------------------------------------------------------------
// Kernel helpers
// ---------------------------------------------------------------------------------------------

fn internal(what: &str) -> EvalError {
    EvalError::InvalidArgument { func: "internal", detail: format!("mistyped {what} (a binder bug)") }
}

fn too_long(func: &'static str) -> EvalError {
    EvalError::InvalidArgument { func, detail: format!("the result would be longer than {} MiB", MAX_RESULT_BYTES >> 20) }
}

/// Builds a text (or bytes) column: `f` appends row `i`'s bytes to the column's buffer and
/// returns `false` for a NULL row (what it appended is dropped). No allocation per row.
fn build_text(n: usize, ty: DataType, mut f: impl FnMut(usize, &mut Vec<u8>) -> Result<bool, EvalError>) -> Result<Column, EvalError> {
    let mut b = ColumnBuilder::new(ty, n);
    for i in 0..n {
        let buf = b.str_buffer().ok_or_else(|| internal("text result"))?;
        let mark = buf.len();
        if f(i, buf)? {
            b.end_str_row();
        } else {
            buf.truncate(mark);
            b.push_null();
        }
    }
    Ok(b.finish())
}

/// Builds an integer column from `f`'s value per row (`None` for NULL).
fn build_i64(n: usize, ty: DataType, mut f: impl FnMut(usize) -> Result<Option<i64>, EvalError>) -> Result<Column, EvalError> {
    let mut b = ColumnBuilder::new(ty, n);
    for i in 0..n {
        b.push_opt_i64(f(i)?);
    }
    Ok(b.finish())
}

/// Builds a BOOLEAN column from `f`'s value per row (`None` for NULL).
fn build_bool(n: usize, mut f: impl FnMut(usize) -> Result<Option<bool>, EvalError>) -> Result<Column, EvalError> {
    let mut b = ColumnBuilder::new(DataType::Boolean, n);
    for i in 0..n {
        b.push_opt_bool(f(i)?);
    }
    Ok(b.finish())
}

/// Row `i` of a text argument (inputs are UTF-8: sources check it).
#[inline]
fn text<'a>(a: &'a Arg<'_>, i: usize) -> Option<&'a str> {
    a.str(i)
}

/// The byte offset of code point `k` of `s` (its length when `s` has `k` or fewer).
#[inline]
fn char_offset(s: &str, k: usize) -> usize {
    if s.is_ascii() {
        return k.min(s.len());
    }
    s.char_indices().nth(k).map_or(s.len(), |(b, _)| b)
}

/// Code points in UTF-8 bytes: every byte that does not continue a sequence starts one.
#[inline]
fn char_count(b: &[u8]) -> usize {
    b.iter().filter(|&&c| (c as i8) >= -0x40).count()
}

/// A pattern compiled, or why it does not compile.
type Compiled = Result<Regex, String>;

/// Compiles a pattern as the functions use it (Unicode, with a size limit), with Java's meaning
/// of the Perl classes (see [`java_classes`]).
fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(&java_classes(pattern)).size_limit(REGEX_SIZE_LIMIT).build().map_err(|e| match e {
        regex::Error::Syntax(s) => {
            let first = s.lines().find(|l| l.starts_with("error:")).unwrap_or("syntax error").trim_start_matches("error: ");
            if s.contains("look-around") || s.contains("backreferences") {
                format!("{first} (look-around and back-references are not supported)")
            } else {
                first.to_string()
            }
        }
        other => other.to_string(),
    })
}

/// Java's `\d`, `\w` and `\s` (and their negations) are ASCII classes unless the pattern asks for
/// Unicode; Rust's are Unicode. Rewrites them to the ASCII sets Java means: inside a bracket class
/// as a bare range (a negation as a nested class, which Rust allows), outside as a class. Also
/// turns Java's `\Q...\E` quoting, which Rust lacks, into escaped text.
fn java_classes(pattern: &str) -> std::borrow::Cow<'_, str> {
    if !pattern.contains('\\') {
        return pattern.into();
    }
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut depth = 0usize;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push(c);
                    break;
                };
                if e == 'Q' {
                    // `\Q...\E` quotes everything up to `\E` (or the end), as in Java.
                    let rest: String = chars.by_ref().collect();
                    let (quoted, after) = rest.split_once(r"\E").unwrap_or((&rest, ""));
                    out.push_str(&regex::escape(quoted));
                    out.push_str(&java_classes(after));
                    break;
                }
                let set = match e {
                    'd' | 'D' => "0-9",
                    'w' | 'W' => "0-9A-Za-z_",
                    's' | 'S' => r"\t\n\x0B\f\r ",
                    _ => {
                        out.push(c);
                        out.push(e);
                        continue;
                    }
                };
                if depth > 0 && e.is_ascii_lowercase() {
                    out.push_str(set);
                } else {
                    out.push_str(if e.is_ascii_uppercase() { "[^" } else { "[" });
                    out.push_str(set);
                    out.push(']');
                }
            }
            '[' => {
                depth += 1;
                out.push(c);
            }
            ']' if depth > 0 => {
                depth -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out.into()
}

/// A pattern argument's compiled regex per row: a literal is compiled once per query (through
/// the call's cache); a column's pattern is compiled again only when it changes from the row before.
struct Patterns<'a> {
    arg: &'a Arg<'a>,
    fixed: Option<&'a Result<Regex, String>>,
    last: Option<(Vec<u8>, Result<Regex, String>)>,
}

/// What a pattern argument is at a row.
enum Pat<'r> {
    /// The pattern is NULL.
    Null,
    /// It does not compile; the message says why.
    Invalid(&'r str),
    /// Compiled.
    Ok(&'r Regex),
}

impl<'a> Patterns<'a> {
    fn new(arg: &'a Arg<'a>, cache: &'a CallCache) -> Self {
        let fixed = match arg.scalar() {
            Some(Datum::Str(p)) => cache.get_or_init(|| compile(p)),
            _ => None,
        };
        Patterns { arg, fixed, last: None }
    }
    fn at(&mut self, i: usize) -> Pat<'_> {
        if let Some(r) = self.fixed {
            return match r {
                Ok(r) => Pat::Ok(r),
                Err(e) => Pat::Invalid(e),
            };
        }
        let Some(p) = text(self.arg, i) else { return Pat::Null };
        if self.last.as_ref().is_none_or(|(q, _)| q.as_slice() != p.as_bytes()) {
            self.last = Some((p.as_bytes().to_vec(), compile(p)));
        }
        match &self.last {
            Some((_, Ok(r))) => Pat::Ok(r),
            Some((_, Err(e))) => Pat::Invalid(e),
            None => Pat::Null,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------------------------

/// Computes `f` over `n` rows of `args` as a column of type `ty`.
pub fn eval(f: StringFunc, args: &[Arg<'_>], ty: DataType, n: usize, cache: &CallCache) -> Result<Column, EvalError> {
    use StringFunc::*;
    let a = |k: usize| args.get(k).ok_or_else(|| internal(f.name()));
    match f {
        CharLength => {
            let s = a(0)?;
            build_i64(n, ty, |i| Ok(s.bytes(i).map(|b| char_count(b) as i64)))
        }
        Upper | Lower => {
            let s = a(0)?;
            build_text(n, ty, |i, out| {
                let Some(b) = s.bytes(i) else { return Ok(false) };
                if b.is_ascii() {
                    out.extend(b.iter().map(|c| if f == Upper { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }));
                } else if let Ok(t) = std::str::from_utf8(b) {
                    for c in t.chars() {
                        let mut tmp = [0u8; 4];
                        if f == Upper {
                            c.to_uppercase().for_each(|u| out.extend_from_slice(u.encode_utf8(&mut tmp).as_bytes()));
                        } else {
                            c.to_lowercase().for_each(|u| out.extend_from_slice(u.encode_utf8(&mut tmp).as_bytes()));
                        }
                    }
                }
                Ok(true)
            })
        }
        InitCap => {
            let s = a(0)?;
            build_text(n, ty, |i, out| {
                let Some(b) = s.bytes(i) else { return Ok(false) };
                // Calcite's rule, which Flink runs: a word starts after any byte not in
                // [A-Za-z0-9]; its first letter goes up, the rest down; other bytes pass through.
                let mut start = true;
                for &c in b {
                    let alnum = c.is_ascii_alphanumeric();
                    out.push(match (start, alnum) {
                        (true, true) => c.to_ascii_uppercase(),
                        (false, true) => c.to_ascii_lowercase(),
                        _ => c,
                    });
                    start = !alnum;
                }
                Ok(true)
            })
        }
        Reverse => {
            let s = a(0)?;
            build_text(n, ty, |i, out| {
                let Some(t) = text(s, i) else { return Ok(false) };
                let mut tmp = [0u8; 4];
                t.chars().rev().for_each(|c| out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes()));
                Ok(true)
            })
        }
        Repeat => {
            let (s, k) = (a(0)?, a(1)?);
            build_text(n, ty, |i, out| {
                let (Some(b), Some(k)) = (s.bytes(i), k.i64(i)) else { return Ok(false) };
                if k <= 0 || b.is_empty() {
                    return Ok(true);
                }
                let total = usize::try_from(k).ok().and_then(|k| k.checked_mul(b.len())).filter(|t| *t <= MAX_RESULT_BYTES);
                if total.is_none() {
                    return Err(too_long("REPEAT"));
                }
                for _ in 0..k {
                    out.extend_from_slice(b);
                }
                Ok(true)
            })
        }
        Locate => {
            let (needle, hay) = (a(0)?, a(1)?);
            let from = args.get(2);
            build_i64(n, ty, |i| {
                let (Some(nd), Some(h)) = (text(needle, i), text(hay, i)) else { return Ok(None) };
                let from = match from {
                    Some(f) => match f.i64(i) {
                        Some(v) => v,
                        None => return Ok(None),
                    },
                    None => 1,
                };
                Ok(Some(locate(nd, h, from)))
            })
        }
        Instr => {
            let (hay, needle) = (a(0)?, a(1)?);
            build_i64(n, ty, |i| {
                let (Some(h), Some(nd)) = (text(hay, i), text(needle, i)) else { return Ok(None) };
                Ok(Some(locate(nd, h, 1)))
            })
        }
        Printf => {
            let fmt = a(0)?;
            let spec = match fmt.scalar() {
                Some(Datum::Str(f)) => Some(cache.get_or_init(|| printf::parse(f)).ok_or_else(|| internal("PRINTF cache"))?),
                _ => None,
            };
            build_text(n, ty, |i, out| {
                let Some(f) = text(fmt, i) else { return Ok(false) };
                let parsed;
                let spec = match spec {
                    Some(s) => s,
                    None => {
                        parsed = printf::parse(f);
                        &parsed
                    }
                };
                let spec = spec.as_ref().map_err(|e| EvalError::InvalidArgument { func: "PRINTF", detail: e.clone() })?;
                printf::format(spec, &args[1..], i, out).map_err(|e| EvalError::InvalidArgument { func: "PRINTF", detail: e })?;
                Ok(true)
            })
        }
        BTrim | LTrim | RTrim => {
            let s = a(0)?;
            let set = args.get(1);
            build_text(n, ty, |i, out| {
                let Some(t) = text(s, i) else { return Ok(false) };
                let chars = match set {
                    Some(c) => match text(c, i) {
                        Some(c) => c,
                        None => return Ok(false),
                    },
                    None => " ",
                };
                let is_trim = |c: char| chars.contains(c);
                let r = match f {
                    LTrim => t.trim_start_matches(is_trim),
                    RTrim => t.trim_end_matches(is_trim),
                    _ => t.trim_matches(is_trim),
                };
                out.extend_from_slice(r.as_bytes());
                Ok(true)
            })
        }
        Overlay => {
            let (s, r, start) = (a(0)?, a(1)?, a(2)?);
            let len = args.get(3);
            build_text(n, ty, |i, out| {
                let (Some(s), Some(r), Some(start)) = (text(s, i), text(r, i), start.i64(i)) else { return Ok(false) };
                let len = match len {
                    Some(l) => match l.i64(i) {
                        Some(l) => l,
                        None => return Ok(false),
                    },
                    None => r.chars().count() as i64,
                };
                // Flink's `SqlFunctionUtils.overlay`: a start outside the string leaves it as
                // is; the tail after the replaced part is kept only when it is non-empty and
                // the length is positive (so `FOR 0` drops the tail).
                let chars = s.chars().count() as i64;
                if start <= 0 || start > chars {
                    out.extend_from_slice(s.as_bytes());
                    return Ok(true);
                }
                out.extend_from_slice(&s.as_bytes()[..char_offset(s, (start - 1) as usize)]);
                out.extend_from_slice(r.as_bytes());
                if len > 0 && start.saturating_add(len) <= chars {
                    out.extend_from_slice(&s.as_bytes()[char_offset(s, (start - 1 + len) as usize)..]);
                }
                Ok(true)
            })
        }
        Substring => {
            let (s, start) = (a(0)?, a(1)?);
            let len = args.get(2);
            build_text(n, ty, |i, out| {
                let (Some(s), Some(start)) = (text(s, i), start.i64(i)) else { return Ok(false) };
                let len = match len {
                    Some(l) => match l.i64(i) {
                        Some(l) => l,
                        None => return Ok(false),
                    },
                    None => i64::from(i32::MAX),
                };
                match substring(s, start, len) {
                    Some(r) => {
                        out.extend_from_slice(r.as_bytes());
                        Ok(true)
                    }
                    None => Ok(false),
                }
            })
        }
        Left | Right => {
            let (s, k) = (a(0)?, a(1)?);
            build_text(n, ty, |i, out| {
                let (Some(s), Some(k)) = (text(s, i), k.i64(i)) else { return Ok(false) };
                if k <= 0 {
                    return Ok(true);
                }
                let k = usize::try_from(k).unwrap_or(usize::MAX);
                let r = if f == Left {
                    &s[..char_offset(s, k)]
                } else {
                    let chars = s.chars().count();
                    &s[char_offset(s, chars.saturating_sub(k))..]
                };
                out.extend_from_slice(r.as_bytes());
                Ok(true)
            })
        }
        Replace => {
            let (s, from, to) = (a(0)?, a(1)?, a(2)?);
            build_text(n, ty, |i, out| {
                let (Some(s), Some(from), Some(to)) = (text(s, i), text(from, i), text(to, i)) else { return Ok(false) };
                if from.is_empty() {
                    // Java's `String.replace("", to)` puts `to` between every two characters and at both ends.
                    let total = s.chars().count().saturating_add(1).saturating_mul(to.len()).saturating_add(s.len());
                    if total > MAX_RESULT_BYTES {
                        return Err(too_long("REPLACE"));
                    }
                    out.extend_from_slice(s.replace("", to).as_bytes());
                    return Ok(true);
                }
                let mut last = 0;
                for (at, _) in s.match_indices(from) {
                    out.extend_from_slice(&s.as_bytes()[last..at]);
                    out.extend_from_slice(to.as_bytes());
                    last = at + from.len();
                }
                out.extend_from_slice(&s.as_bytes()[last..]);
                Ok(true)
            })
        }
        StartsWith | EndsWith => {
            let (s, p) = (a(0)?, a(1)?);
            build_bool(n, |i| {
                let (Some(s), Some(p)) = (s.bytes(i), p.bytes(i)) else { return Ok(None) };
                Ok(Some(if f == StartsWith { s.starts_with(p) } else { s.ends_with(p) }))
            })
        }
        Regexp => {
            let s = a(0)?;
            let mut pats = Patterns::new(a(1)?, cache);
            let empty = matches!(a(1)?.scalar(), Some(Datum::Str(p)) if p.is_empty());
            build_bool(n, |i| {
                let Some(b) = s.bytes(i) else { return Ok(None) };
                // Flink: an empty pattern matches nothing; one that does not compile gives FALSE.
                if empty || text(a(1)?, i).is_some_and(str::is_empty) {
                    return Ok(Some(false));
                }
                Ok(match pats.at(i) {
                    Pat::Null => None,
                    Pat::Invalid(_) => Some(false),
                    Pat::Ok(r) => Some(r.is_match(b)),
                })
            })
        }
        RegexpReplace => {
            let (s, rep) = (a(0)?, a(2)?);
            let mut pats = Patterns::new(a(1)?, cache);
            build_text(n, ty, |i, out| {
                let (Some(b), Some(rep)) = (s.bytes(i), rep.bytes(i)) else { return Ok(false) };
                let Pat::Ok(r) = pats.at(i) else { return Ok(false) };
                // The replacement is literal text (Flink quotes it: `$1` is not a group).
                let mut last = 0;
                for m in r.find_iter(b) {
                    out.extend_from_slice(&b[last..m.start()]);
                    out.extend_from_slice(rep);
                    last = m.end();
                    if out.len() > MAX_RESULT_BYTES {
                        return Err(too_long("REGEXP_REPLACE"));
                    }
                }
                out.extend_from_slice(&b[last..]);
                Ok(true)
            })
        }
        RegexpExtract => regexp_extract(args, ty, n, cache),
        RegexpExtractAll => {
            let s = a(0)?;
            let group = args.get(2);
            let mut pats = Patterns::new(a(1)?, cache);
            let mut b = ColumnBuilder::new(ty, n);
            for i in 0..n {
                let Some(h) = s.bytes(i) else {
                    b.push_null();
                    continue;
                };
                let g = match group {
                    Some(g) => match g.i64(i) {
                        Some(g) => g,
                        None => {
                            b.push_null();
                            continue;
                        }
                    },
                    None => 1,
                };
                let r = match pats.at(i) {
                    Pat::Null => {
                        b.push_null();
                        continue;
                    }
                    Pat::Invalid(e) => {
                        return Err(EvalError::InvalidArgument {
                            func: "REGEXP_EXTRACT_ALL",
                            detail: format!("invalid regular expression: {e}"),
                        });
                    }
                    Pat::Ok(r) => r,
                };
                let groups = r.captures_len() as i64 - 1;
                if g < 0 || g > groups {
                    return Err(EvalError::InvalidArgument {
                        func: "REGEXP_EXTRACT_ALL",
                        detail: format!("extract group index {g} is out of range [0, {groups}]"),
                    });
                }
                let mut items = Vec::new();
                let mut locs = r.capture_locations();
                let mut at = 0;
                while at <= h.len() {
                    let Some(m) = r.captures_read_at(&mut locs, h, at) else { break };
                    items.push(match locs.get(g as usize) {
                        Some((x, y)) => Datum::Str(String::from_utf8_lossy(&h[x..y]).into_owned()),
                        None => Datum::Null,
                    });
                    // An empty match moves on by one character, as Java's `find` does.
                    at = if m.end() > m.start() { m.end() } else { next_char(h, m.end()) };
                }
                b.push_datum(Datum::Array(items));
            }
            Ok(b.finish())
        }
        RegexpCount | RegexpInstr => {
            let s = a(0)?;
            let mut pats = Patterns::new(a(1)?, cache);
            build_i64(n, ty, |i| {
                let Some(h) = s.bytes(i) else { return Ok(None) };
                let Pat::Ok(r) = pats.at(i) else { return Ok(None) };
                Ok(Some(if f == RegexpCount {
                    r.find_iter(h).count() as i64
                } else {
                    r.find(h).map_or(0, |m| char_count(&h[..m.start()]) as i64 + 1)
                }))
            })
        }
        RegexpSubstr => {
            let s = a(0)?;
            let mut pats = Patterns::new(a(1)?, cache);
            build_text(n, ty, |i, out| {
                let Some(h) = s.bytes(i) else { return Ok(false) };
                let Pat::Ok(r) = pats.at(i) else { return Ok(false) };
                match r.find(h) {
                    Some(m) => {
                        out.extend_from_slice(m.as_bytes());
                        Ok(true)
                    }
                    None => Ok(false),
                }
            })
        }
        Translate => {
            let (s, from, to) = (a(0)?, a(1)?, a(2)?);
            build_text(n, ty, |i, out| {
                let Some(s) = text(s, i) else { return Ok(false) };
                // Flink: a NULL or empty `from` (or an empty input) gives the input back; a
                // NULL `to` deletes every character of `from`; the first mapping of a character wins.
                let from = text(from, i).unwrap_or("");
                let to = text(to, i).unwrap_or("");
                if from.is_empty() {
                    out.extend_from_slice(s.as_bytes());
                    return Ok(true);
                }
                let to: Vec<char> = to.chars().collect();
                let mut tmp = [0u8; 4];
                for c in s.chars() {
                    match from.chars().position(|x| x == c) {
                        Some(k) => {
                            if let Some(t) = to.get(k) {
                                out.extend_from_slice(t.encode_utf8(&mut tmp).as_bytes());
                            }
                        }
                        None => out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes()),
                    }
                }
                Ok(true)
            })
        }
        Concat => build_text(n, ty, |i, out| {
            for x in args {
                match x.bytes(i) {
                    Some(b) => out.extend_from_slice(b),
                    None => return Ok(false),
                }
            }
            Ok(true)
        }),
        ConcatWs => {
            let sep = a(0)?;
            build_text(n, ty, |i, out| {
                let Some(sep) = sep.bytes(i) else { return Ok(false) };
                let mut first = true;
                for x in &args[1..] {
                    if let Some(b) = x.bytes(i) {
                        if !first {
                            out.extend_from_slice(sep);
                        }
                        out.extend_from_slice(b);
                        first = false;
                    }
                }
                Ok(true)
            })
        }
        Lpad | Rpad => {
            let (s, len, pad) = (a(0)?, a(1)?, a(2)?);
            build_text(n, ty, |i, out| {
                let (Some(s), Some(len), Some(pad)) = (text(s, i), len.i64(i), text(pad, i)) else { return Ok(false) };
                if len < 0 || pad.is_empty() {
                    return Ok(false);
                }
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                let chars = s.chars().count();
                let fill = len.saturating_sub(chars);
                // The padding is whole copies of `pad` and a part of one.
                let pad_chars = pad.chars().count().max(1);
                if (fill / pad_chars).saturating_mul(pad.len()).saturating_add(pad.len()).saturating_add(s.len()) > MAX_RESULT_BYTES {
                    return Err(too_long(f.name()));
                }
                let kept = &s[..char_offset(s, len)];
                if f == Rpad {
                    out.extend_from_slice(kept.as_bytes());
                }
                let mut tmp = [0u8; 4];
                pad.chars().cycle().take(fill).for_each(|c| out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes()));
                if f == Lpad {
                    out.extend_from_slice(kept.as_bytes());
                }
                Ok(true)
            })
        }
        FromBase64 => {
            let s = a(0)?;
            build_text(n, ty, |i, out| {
                let Some(b) = s.bytes(i) else { return Ok(false) };
                let mut raw = Vec::new();
                codec::base64_decode(b, &mut raw).map_err(|e| EvalError::InvalidArgument { func: "FROM_BASE64", detail: e.to_string() })?;
                out.extend_from_slice(String::from_utf8_lossy(&raw).as_bytes());
                Ok(true)
            })
        }
        ToBase64 => {
            let s = a(0)?;
            build_text(n, ty, |i, out| {
                let Some(b) = s.bytes(i) else { return Ok(false) };
                crate::column::write_base64(b, out);
                Ok(true)
            })
        }
        Ascii => {
            let s = a(0)?;
            build_i64(n, ty, |i| Ok(text(s, i).map(|t| t.chars().next().map_or(0, |c| c as i64))))
        }
        Chr => {
            let k = a(0)?;
            build_text(n, ty, |i, out| {
                let Some(k) = k.i64(i) else { return Ok(false) };
                // Flink: negative → ''; otherwise the Latin-1 character `k & 0xFF`.
                if k >= 0 {
                    let c = char::from((k & 0xFF) as u8);
                    let mut tmp = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                }
                Ok(true)
            })
        }
        Decode => {
            let (b, cs) = (a(0)?, a(1)?);
            build_text(n, ty, |i, out| {
                let (Some(b), Some(cs)) = (b.bytes(i), text(cs, i)) else { return Ok(false) };
                let cs = codec::Charset::parse(cs).ok_or_else(|| unsupported_charset("DECODE", cs))?;
                cs.decode(b, out);
                Ok(true)
            })
        }
        Encode => {
            let (s, cs) = (a(0)?, a(1)?);
            build_text(n, ty, |i, out| {
                let (Some(s), Some(cs)) = (text(s, i), text(cs, i)) else { return Ok(false) };
                let cs = codec::Charset::parse(cs).ok_or_else(|| unsupported_charset("ENCODE", cs))?;
                cs.encode(s, out);
                Ok(true)
            })
        }
        UrlDecode => {
            let s = a(0)?;
            build_text(n, ty, |i, out| {
                let Some(b) = s.bytes(i) else { return Ok(false) };
                Ok(codec::url_decode(b, out))
            })
        }
        UrlEncode => {
            let s = a(0)?;
            build_text(n, ty, |i, out| {
                let Some(b) = s.bytes(i) else { return Ok(false) };
                codec::url_encode(b, out);
                Ok(true)
            })
        }
        InetAton => {
            let s = a(0)?;
            build_i64(n, ty, |i| Ok(text(s, i).and_then(codec::inet_aton)))
        }
        InetNtoa => {
            let k = a(0)?;
            build_text(n, ty, |i, out| {
                let Some(v) = k.i64(i).filter(|v| (0..=u32::MAX as i64).contains(v)) else { return Ok(false) };
                let o = (v as u32).to_be_bytes();
                use std::io::Write;
                let _ = write!(out, "{}.{}.{}.{}", o[0], o[1], o[2], o[3]);
                Ok(true)
            })
        }
        ParseUrl => {
            let (url, part) = (a(0)?, a(1)?);
            let key = args.get(2);
            build_text(n, ty, |i, out| {
                let (Some(u), Some(p)) = (text(url, i), text(part, i)) else { return Ok(false) };
                let key = match key {
                    Some(k) => match text(k, i) {
                        Some(k) => Some(k),
                        None => return Ok(false),
                    },
                    None => None,
                };
                match codec::parse_url(u, p, key) {
                    Some(v) => {
                        out.extend_from_slice(v.as_bytes());
                        Ok(true)
                    }
                    None => Ok(false),
                }
            })
        }
        SplitIndex => split_index(args, ty, n, cache),
        StrToMap => str_to_map(args, ty, n, cache),
        JsonQuote => {
            let s = a(0)?;
            build_text(n, ty, |i, out| {
                let Some(t) = text(s, i) else { return Ok(false) };
                codec::json_quote(t, out);
                Ok(true)
            })
        }
        JsonUnquote => {
            let s = a(0)?;
            build_text(n, ty, |i, out| {
                let Some(t) = text(s, i) else { return Ok(false) };
                codec::json_unquote(t, out).map_err(|detail| EvalError::InvalidArgument { func: "JSON_UNQUOTE", detail })?;
                Ok(true)
            })
        }
        Elt => {
            let idx = a(0)?;
            let mut b = ColumnBuilder::new(ty, n);
            for i in 0..n {
                let pick = idx.i64(i).filter(|k| *k >= 1).and_then(|k| args.get(usize::try_from(k).ok()?));
                match pick {
                    Some(x) => b.push_datum(x.datum(i)),
                    None => b.push_null(),
                }
            }
            Ok(b.finish())
        }
    }
}

fn unsupported_charset(func: &'static str, cs: &str) -> EvalError {
    EvalError::InvalidArgument { func, detail: format!("unsupported charset '{cs}'") }
}

/// The byte after the character that starts at `at` (or `at + 1` at the end).
#[inline]
fn next_char(h: &[u8], at: usize) -> usize {
    let mut k = at + 1;
    while k < h.len() && (h[k] as i8) < -0x40 {
        k += 1;
    }
    k
}

/// Flink's `position(seek, s, from)`: the 1-based code-point position of `needle` in `hay` at or
/// after code point `from` (below 1 counts as 1), 0 if absent; an empty needle is at 1.
fn locate(needle: &str, hay: &str, from: i64) -> i64 {
    if needle.is_empty() {
        return 1;
    }
    let skip = usize::try_from(from.saturating_sub(1)).unwrap_or(0);
    let start = char_offset(hay, skip);
    if skip > 0 && start == hay.len() {
        return 0;
    }
    match memmem::find(&hay.as_bytes()[start..], needle.as_bytes()) {
        Some(at) => (skip + char_count(&hay.as_bytes()[start..start + at]) + 1) as i64,
        None => 0,
    }
}

/// Flink's `subString(str, start, len)`: start 0 is 1, a negative start counts from the end
/// (before the start gives ''), a negative length is NULL, past the end is ''.
fn substring(s: &str, start: i64, len: i64) -> Option<&str> {
    if len < 0 || len > i64::from(i32::MAX) || start > i64::from(i32::MAX) {
        return None;
    }
    let chars = s.chars().count() as i64;
    let from = match start {
        0 => 0,
        p if p > 0 => p - 1,
        p => chars + p,
    };
    if from < 0 || from >= chars {
        return Some("");
    }
    let to = from.saturating_add(len).min(chars);
    let lo = char_offset(s, from as usize);
    let hi = lo + char_offset(&s[lo..], (to - from) as usize);
    Some(&s[lo..hi])
}

/// `REGEXP_EXTRACT`: the benchmarked one. A literal pattern is compiled once; group 0 needs only
/// the match bounds (`find`), a group reads into capture slots allocated once per batch.
fn regexp_extract(args: &[Arg<'_>], ty: DataType, n: usize, cache: &CallCache) -> Result<Column, EvalError> {
    let (Some(s), Some(p)) = (args.first(), args.get(1)) else { return Err(internal("REGEXP_EXTRACT")) };
    let group = args.get(2);
    let mut pats = Patterns::new(p, cache);
    let mut locs = None;
    build_text(n, ty, |i, out| {
        let Some(h) = s.bytes(i) else { return Ok(false) };
        let g = match group {
            Some(g) => match g.i64(i) {
                Some(g) => g,
                None => return Ok(false),
            },
            None => 0,
        };
        // Flink: a pattern that does not compile, or a group it does not have, gives NULL.
        let Pat::Ok(r) = pats.at(i) else { return Ok(false) };
        let Ok(g) = usize::try_from(g) else { return Ok(false) };
        if g == 0 {
            return Ok(match r.find(h) {
                Some(m) => {
                    out.extend_from_slice(m.as_bytes());
                    true
                }
                None => false,
            });
        }
        if g >= r.captures_len() {
            return Ok(false);
        }
        let locs = match &mut locs {
            Some(l) => l,
            None => locs.insert(r.capture_locations()),
        };
        if locs.len() != r.captures_len() {
            *locs = r.capture_locations();
        }
        if r.captures_read(locs, h).is_none() {
            return Ok(false);
        }
        match locs.get(g) {
            Some((x, y)) => {
                out.extend_from_slice(&h[x..y]);
                Ok(true)
            }
            None => Ok(false),
        }
    })
}

/// What SPLIT_INDEX splits on.
enum Splitter {
    /// A separator found with a prebuilt substring searcher.
    Text(Box<memmem::Finder<'static>>),
    /// An empty separator: Apache Commons' `splitByWholeSeparatorPreserveAllTokens` then splits
    /// on whitespace, each whitespace character ending a token.
    Whitespace,
}

impl Splitter {
    fn new(sep: &[u8]) -> Self {
        if sep.is_empty() { Splitter::Whitespace } else { Splitter::Text(Box::new(memmem::Finder::new(sep).into_owned())) }
    }
    /// Token `index` (0-based) of `h`, or `None` past the last one.
    #[inline]
    fn token<'h>(&self, h: &'h [u8], index: usize) -> Option<&'h [u8]> {
        match self {
            Splitter::Text(f) => {
                let step = f.needle().len();
                let mut start = 0;
                for _ in 0..index {
                    start += f.find(&h[start..])? + step;
                }
                let end = f.find(&h[start..]).map_or(h.len(), |p| start + p);
                Some(&h[start..end])
            }
            Splitter::Whitespace => {
                let t = std::str::from_utf8(h).ok()?;
                t.split(char::is_whitespace).nth(index).map(str::as_bytes)
            }
        }
    }
}

/// `SPLIT_INDEX`: the benchmarked one. A literal separator's searcher is built once per query;
/// each row writes only its token's bytes.
fn split_index(args: &[Arg<'_>], ty: DataType, n: usize, cache: &CallCache) -> Result<Column, EvalError> {
    let (Some(s), Some(sep), Some(idx)) = (args.first(), args.get(1), args.get(2)) else { return Err(internal("SPLIT_INDEX")) };
    let fixed = match sep.scalar() {
        Some(Datum::Str(p)) => Some(cache.get_or_init(|| Splitter::new(p.as_bytes())).ok_or_else(|| internal("SPLIT_INDEX cache"))?),
        _ => None,
    };
    let fixed_index = idx.scalar().map(|d| match d {
        Datum::Int(v) => usize::try_from(*v).ok(),
        _ => None,
    });
    let mut last: Option<(Vec<u8>, Splitter)> = None;
    build_text(n, ty, |i, out| {
        let Some(h) = s.bytes(i) else { return Ok(false) };
        let index = match fixed_index {
            Some(k) => k,
            None => idx.i64(i).and_then(|v| usize::try_from(v).ok()),
        };
        // Flink: a NULL or negative index, an empty string, or an index past the last token → NULL.
        let Some(index) = index else { return Ok(false) };
        if h.is_empty() {
            return Ok(false);
        }
        let splitter = match fixed {
            Some(f) => f,
            None => {
                let Some(p) = sep.bytes(i) else { return Ok(false) };
                if last.as_ref().is_none_or(|(q, _)| q.as_slice() != p) {
                    last = Some((p.to_vec(), Splitter::new(p)));
                }
                match &last {
                    Some((_, sp)) => sp,
                    None => return Ok(false),
                }
            }
        };
        match splitter.token(h, index) {
            Some(t) => {
                out.extend_from_slice(t);
                Ok(true)
            }
            None => Ok(false),
        }
    })
}

/// Java's `String.split(regex)`: pieces between matches, trailing empty pieces dropped, and no
/// leading empty piece for a zero-width match at the start.
fn java_split<'h>(r: &Regex, h: &'h [u8], limit: usize) -> Vec<&'h [u8]> {
    let mut parts = Vec::new();
    let mut last = 0;
    for m in r.find_iter(h) {
        if limit > 0 && parts.len() + 1 == limit {
            break;
        }
        if m.end() == 0 {
            continue;
        }
        parts.push(&h[last..m.start()]);
        last = m.end();
    }
    parts.push(&h[last..]);
    if limit == 0 {
        while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
            parts.pop();
        }
    }
    parts
}

/// `STR_TO_MAP(text[, pair_sep, kv_sep])`: Flink splits with `String.split` on both regexes; a
/// pair without the key-value separator maps its whole text to NULL; a repeated key keeps its
/// first position with the last value.
fn str_to_map(args: &[Arg<'_>], ty: DataType, n: usize, cache: &CallCache) -> Result<Column, EvalError> {
    let Some(s) = args.first() else { return Err(internal("STR_TO_MAP")) };
    let defaults: Option<&(Compiled, Compiled)> = match (args.get(1), args.get(2)) {
        (None, None) => cache.get_or_init(|| (compile(","), compile("="))),
        _ => None,
    };
    let mut pair_pats = args.get(1).map(|a| Patterns::new(a, cache));
    // The cache holds one value per call: the second pattern, when a column or literal, is
    // compiled per change of its value.
    let mut kv_last: Option<(Vec<u8>, Result<Regex, String>)> = None;
    let mut b = ColumnBuilder::new(ty, n);
    for i in 0..n {
        let Some(h) = s.bytes(i) else {
            b.push_null();
            continue;
        };
        let (pair, kv): (&Regex, &Regex) = match defaults {
            Some((Ok(p), Ok(k))) => (p, k),
            Some(_) => return Err(internal("STR_TO_MAP defaults")),
            None => {
                let (Some(pp), Some(kva)) = (pair_pats.as_mut(), args.get(2)) else { return Err(internal("STR_TO_MAP")) };
                let Some(kvp) = text(kva, i) else {
                    b.push_null();
                    continue;
                };
                if kv_last.as_ref().is_none_or(|(q, _)| q.as_slice() != kvp.as_bytes()) {
                    kv_last = Some((kvp.as_bytes().to_vec(), compile(kvp)));
                }
                let kv = match &kv_last {
                    Some((_, Ok(r))) => r,
                    Some((_, Err(e))) => {
                        return Err(EvalError::InvalidArgument { func: "STR_TO_MAP", detail: format!("invalid regular expression: {e}") });
                    }
                    None => return Err(internal("STR_TO_MAP")),
                };
                match pp.at(i) {
                    Pat::Null => {
                        b.push_null();
                        continue;
                    }
                    Pat::Invalid(e) => {
                        return Err(EvalError::InvalidArgument { func: "STR_TO_MAP", detail: format!("invalid regular expression: {e}") });
                    }
                    Pat::Ok(p) => (p, kv),
                }
            }
        };
        let mut entries: Vec<(Datum, Datum)> = Vec::new();
        if !h.is_empty() {
            for piece in java_split(pair, h, 0) {
                let kvs = java_split(kv, piece, 2);
                let (k, v) = match kvs.as_slice() {
                    [k, v] => (lossy(k), Datum::Str(lossy(v))),
                    _ => (lossy(piece), Datum::Null),
                };
                match entries.iter_mut().find(|(x, _)| matches!(x, Datum::Str(x) if *x == k)) {
                    Some(e) => e.1 = v,
                    None => entries.push((Datum::Str(k), v)),
                }
            }
        }
        b.push_datum(Datum::Map(entries));
    }
    Ok(b.finish())
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substring_follows_flink() {
        assert_eq!(substring("Hello", 0, 2), Some("He"));
        assert_eq!(substring("Hello", -3, 2), Some("ll"));
        assert_eq!(substring("Hello", -10, 2), Some(""));
        assert_eq!(substring("Hello", 2, -1), None);
        assert_eq!(substring("Hello", 9, 2), Some(""));
        assert_eq!(substring("héllo", 2, 2), Some("él"));
    }

    #[test]
    fn locate_counts_code_points() {
        assert_eq!(locate("l", "héllo", 1), 3);
        assert_eq!(locate("l", "héllo", 4), 4);
        assert_eq!(locate("l", "héllo", 6), 0);
        assert_eq!(locate("", "abc", 9), 1);
        assert_eq!(locate("x", "", 1), 0);
        assert_eq!(locate("a", "abc", -5), 1);
    }

    #[test]
    fn split_index_tokens() {
        let s = Splitter::new(b",");
        assert_eq!(s.token(b"a,,b", 1), Some(&b""[..]));
        assert_eq!(s.token(b"a,,b", 2), Some(&b"b"[..]));
        assert_eq!(s.token(b"a,,b", 3), None);
        assert_eq!(s.token(b"a,", 1), Some(&b""[..]));
        let w = Splitter::new(b"::");
        assert_eq!(w.token(b"a::b:::c", 2), Some(&b":c"[..]));
        assert_eq!(Splitter::new(b"").token(b"a b", 1), Some(&b"b"[..]));
    }

    #[test]
    fn java_split_drops_trailing_empties() {
        let r = compile(",").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(java_split(&r, b"a,b,,", 0), vec![&b"a"[..], b"b"]);
        assert_eq!(java_split(&r, b",a", 0), vec![&b""[..], b"a"]);
        let eq = compile("=").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(java_split(&eq, b"k=v=w", 2), vec![&b"k"[..], b"v=w"]);
        assert_eq!(java_split(&eq, b"k=", 2), vec![&b"k"[..], b""]);
    }

    #[test]
    fn perl_classes_are_ascii_as_in_java() {
        assert_eq!(java_classes(r"\d+"), "[0-9]+");
        assert_eq!(java_classes(r"[\w-]"), "[0-9A-Za-z_-]");
        assert_eq!(java_classes(r"[a\D]"), "[a[^0-9]]");
        assert_eq!(java_classes(r"\\d\."), r"\\d\.");
        let digits = compile(r"^\d+$").unwrap_or_else(|e| panic!("{e}"));
        assert!(digits.is_match(b"123"));
        assert!(!digits.is_match("\u{663}".as_bytes()));
        let word = compile(r"[\w.]+").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(word.find("ab.c é".as_bytes()).map(|m| m.as_bytes()), Some(&b"ab.c"[..]));
        assert!(compile(r"\s\S\W").is_ok());
        assert_eq!(java_classes(r"a\Q.*\E\d"), r"a\.\*[0-9]");
        assert_eq!(java_classes(r"\Q[x"), r"\[x");
    }

    #[test]
    fn bad_patterns_say_why() {
        let e = compile("(?=a)").err().unwrap_or_default();
        assert!(e.contains("look-around"), "{e}");
        assert!(compile("(").is_err());
    }
}
