//! Flink's hash functions: MD5, SHA1, SHA2 and its fixed-length forms, as lower-case hex text
//! of the digest of a string's UTF-8 bytes (or of BYTES).

use super::registry::rules::{arity, integer, typed};
use super::{Arg, ArgType, CallCache, Category, ColumnBuilder, Func, FunctionDef, SigError, Typed};
use crate::column::Column;
use crate::datum::Datum;
use crate::expr::EvalError;
use crate::types::DataType;
use serde::{Deserialize, Serialize};
use sha2::Digest;

/// The functions of this category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HashFunc {
    /// `MD5(s)`: 32 hex digits.
    Md5,
    /// `SHA1(s)`: 40 hex digits.
    Sha1,
    /// `SHA224(s)`.
    Sha224,
    /// `SHA256(s)`.
    Sha256,
    /// `SHA384(s)`.
    Sha384,
    /// `SHA512(s)`.
    Sha512,
    /// `SHA2(s, bits)`: SHA-224, 256, 384 or 512 by `bits`.
    Sha2,
}

impl HashFunc {
    /// The SQL name.
    pub fn name(self) -> &'static str {
        match self {
            HashFunc::Md5 => "MD5",
            HashFunc::Sha1 => "SHA1",
            HashFunc::Sha224 => "SHA224",
            HashFunc::Sha256 => "SHA256",
            HashFunc::Sha384 => "SHA384",
            HashFunc::Sha512 => "SHA512",
            HashFunc::Sha2 => "SHA2",
        }
    }
}

/// The text or bytes argument `i`, kept in its type (a NULL as STRING).
fn text_or_bytes(args: &[ArgType<'_>], i: usize) -> Result<DataType, SigError> {
    match args[i].ty {
        None => Ok(DataType::Varchar),
        Some(t @ (DataType::Varchar | DataType::Bytes)) => Ok(t),
        Some(t) => Err(SigError::arg(i, format!("argument {} must be STRING or BYTES, not {t}", i + 1))),
    }
}

fn digest_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    typed(vec![text_or_bytes(args, 0)?], DataType::Varchar)
}

const SHA2_BITS: [i64; 4] = [224, 256, 384, 512];

fn sha2_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, 2)?;
    let bits = integer(args, 1, DataType::Int)?;
    if let Some(Datum::Int(b)) = args[1].literal
        && !SHA2_BITS.contains(b)
    {
        return Err(SigError::arg(1, format!("the hash length must be 224, 256, 384 or 512, not {b}")));
    }
    typed(vec![text_or_bytes(args, 0)?, bits], DataType::Varchar)
}

/// This category's registry entries.
pub fn definitions() -> Vec<FunctionDef> {
    let d = |name, sig, typer, f| FunctionDef::new(name, Category::Hash, sig, typer, Func::Hash(f));
    vec![
        d("MD5", "MD5(STRING | BYTES) → STRING", digest_typer, HashFunc::Md5),
        d("SHA1", "SHA1(STRING | BYTES) → STRING", digest_typer, HashFunc::Sha1),
        d("SHA224", "SHA224(STRING | BYTES) → STRING", digest_typer, HashFunc::Sha224),
        d("SHA256", "SHA256(STRING | BYTES) → STRING", digest_typer, HashFunc::Sha256),
        d("SHA384", "SHA384(STRING | BYTES) → STRING", digest_typer, HashFunc::Sha384),
        d("SHA512", "SHA512(STRING | BYTES) → STRING", digest_typer, HashFunc::Sha512),
        d("SHA2", "SHA2(STRING | BYTES, INT 224 | 256 | 384 | 512) → STRING", sha2_typer, HashFunc::Sha2),
    ]
}

/// Appends the lower-case hex digits of `digest` to `out`.
fn push_hex(digest: &[u8], out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in digest {
        out.push(DIGITS[(b >> 4) as usize]);
        out.push(DIGITS[(b & 15) as usize]);
    }
}

/// One row's digest by `bits` (0 for MD5, 160 for SHA-1), hex-appended to `out`; false for a
/// length SHA-2 does not have.
fn digest_into(bits: i64, data: &[u8], out: &mut Vec<u8>) -> bool {
    match bits {
        0 => push_hex(&md5::Md5::digest(data), out),
        160 => push_hex(&sha1::Sha1::digest(data), out),
        224 => push_hex(&sha2::Sha224::digest(data), out),
        256 => push_hex(&sha2::Sha256::digest(data), out),
        384 => push_hex(&sha2::Sha384::digest(data), out),
        512 => push_hex(&sha2::Sha512::digest(data), out),
        _ => return false,
    }
    true
}

/// Computes `f` over `n` rows of `args` as a column of type `ty`.
pub fn eval(f: HashFunc, args: &[Arg<'_>], ty: DataType, n: usize, _cache: &CallCache) -> Result<Column, EvalError> {
    let Some(input) = args.first() else {
        return Err(EvalError::InvalidArgument { func: "internal", detail: format!("{} without its argument", f.name()) });
    };
    let fixed = match f {
        HashFunc::Md5 => Some(0),
        HashFunc::Sha1 => Some(160),
        HashFunc::Sha224 => Some(224),
        HashFunc::Sha256 => Some(256),
        HashFunc::Sha384 => Some(384),
        HashFunc::Sha512 => Some(512),
        HashFunc::Sha2 => None,
    };
    let mut out = ColumnBuilder::new(ty, n);
    for i in 0..n {
        let bits = match fixed {
            Some(b) => Some(b),
            None => args.get(1).and_then(|a| a.i64(i)),
        };
        let (Some(data), Some(bits)) = (input.bytes(i), bits) else {
            out.push_null();
            continue;
        };
        let Some(buf) = out.str_buffer() else { return Err(EvalError::InvalidArgument { func: "internal", detail: "hash result".into() }) };
        if !digest_into(bits, data, buf) {
            return Err(EvalError::InvalidArgument {
                func: "SHA2",
                detail: format!("the hash length must be 224, 256, 384 or 512, not {bits}"),
            });
        }
        out.end_str_row();
    }
    Ok(out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bits: i64, s: &str) -> String {
        let mut out = Vec::new();
        assert!(digest_into(bits, s.as_bytes(), &mut out));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn known_digests() {
        // RFC 1321 and FIPS 180 test vectors.
        assert_eq!(hex(0, ""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hex(0, "abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(hex(160, "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(hex(256, "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hex(224, "abc"), "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7");
        assert!(!digest_into(100, b"x", &mut Vec::new()));
    }
}
