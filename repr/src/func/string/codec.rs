//! The text codecs behind the string functions: base64, charsets, URL form encoding, IPv4
//! addresses, URL parts and JSON string quoting, each as Flink's Java code behaves.

use std::fmt;

/// Why base64 text does not decode.
#[derive(Debug, PartialEq)]
pub struct Base64Error(u8);

impl fmt::Display for Base64Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "illegal base64 character {:?}", self.0 as char)
    }
}

/// Java's basic `Base64.getDecoder()`: the standard alphabet; `=` ends the data and is not
/// required; anything else outside the alphabet is an error.
pub fn base64_decode(text: &[u8], out: &mut Vec<u8>) -> Result<(), Base64Error> {
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in text {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            other => return Err(Base64Error(other)),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(())
}

/// The charsets DECODE and ENCODE know (Java's standard ones).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Charset {
    /// UTF-8.
    Utf8,
    /// US-ASCII: bytes above 127 decode to U+FFFD; characters above 127 encode as `?`.
    Ascii,
    /// ISO-8859-1: bytes are code points 0–255; characters above 255 encode as `?`.
    Latin1,
    /// UTF-16: encodes big-endian with a byte-order mark; decodes by the mark, big-endian without one.
    Utf16,
    /// UTF-16BE, no mark.
    Utf16Be,
    /// UTF-16LE, no mark.
    Utf16Le,
}

impl Charset {
    /// The charset named `name` (any case, Java's aliases for the common spellings).
    pub fn parse(name: &str) -> Option<Charset> {
        Some(match name.to_ascii_uppercase().as_str() {
            "UTF-8" | "UTF8" => Charset::Utf8,
            "US-ASCII" | "ASCII" => Charset::Ascii,
            "ISO-8859-1" | "ISO8859_1" | "LATIN1" | "ISO-LATIN-1" => Charset::Latin1,
            "UTF-16" | "UTF16" => Charset::Utf16,
            "UTF-16BE" => Charset::Utf16Be,
            "UTF-16LE" => Charset::Utf16Le,
            _ => return None,
        })
    }

    /// Decodes `b` into UTF-8 text, malformed input as U+FFFD (as Java's `new String` does).
    pub fn decode(self, b: &[u8], out: &mut Vec<u8>) {
        let mut tmp = [0u8; 4];
        match self {
            Charset::Utf8 => out.extend_from_slice(String::from_utf8_lossy(b).as_bytes()),
            Charset::Ascii => {
                for &c in b {
                    let ch = if c < 128 { char::from(c) } else { char::REPLACEMENT_CHARACTER };
                    out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                }
            }
            Charset::Latin1 => {
                for &c in b {
                    out.extend_from_slice(char::from(c).encode_utf8(&mut tmp).as_bytes());
                }
            }
            Charset::Utf16 | Charset::Utf16Be | Charset::Utf16Le => {
                let (mut big, mut body) = (self != Charset::Utf16Le, b);
                if self == Charset::Utf16 {
                    if let Some(rest) = b.strip_prefix(&[0xFE, 0xFF]) {
                        body = rest;
                    } else if let Some(rest) = b.strip_prefix(&[0xFF, 0xFE]) {
                        (big, body) = (false, rest);
                    }
                }
                let units = body.chunks(2).map(|p| match p {
                    [x, y] if big => u16::from_be_bytes([*x, *y]),
                    [x, y] => u16::from_le_bytes([*x, *y]),
                    // A trailing odd byte is malformed input.
                    _ => 0xFFFD,
                });
                for ch in char::decode_utf16(units) {
                    out.extend_from_slice(ch.unwrap_or(char::REPLACEMENT_CHARACTER).encode_utf8(&mut tmp).as_bytes());
                }
            }
        }
    }

    /// Encodes `s`; characters the charset lacks become `?` (Java's replacement byte).
    pub fn encode(self, s: &str, out: &mut Vec<u8>) {
        match self {
            Charset::Utf8 => out.extend_from_slice(s.as_bytes()),
            Charset::Ascii => out.extend(s.chars().map(|c| if c.is_ascii() { c as u8 } else { b'?' })),
            Charset::Latin1 => out.extend(s.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))),
            Charset::Utf16 | Charset::Utf16Be => {
                if self == Charset::Utf16 {
                    out.extend_from_slice(&[0xFE, 0xFF]);
                }
                s.encode_utf16().for_each(|u| out.extend_from_slice(&u.to_be_bytes()));
            }
            Charset::Utf16Le => s.encode_utf16().for_each(|u| out.extend_from_slice(&u.to_le_bytes())),
        }
    }
}

/// Java's `URLDecoder.decode(s, UTF-8)`: `+` is a space, `%XX` a byte; a malformed escape gives
/// `false` (Flink's URL_DECODE then returns NULL). Decoded bytes that are not UTF-8 become U+FFFD.
pub fn url_decode(b: &[u8], out: &mut Vec<u8>) -> bool {
    let mark = out.len();
    let mut raw = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => raw.push(b' '),
            b'%' => {
                let hex = |k: usize| b.get(k).and_then(|c| (*c as char).to_digit(16));
                let (Some(h), Some(l)) = (hex(i + 1), hex(i + 2)) else {
                    out.truncate(mark);
                    return false;
                };
                raw.push((h * 16 + l) as u8);
                i += 2;
            }
            c => raw.push(c),
        }
        i += 1;
    }
    out.extend_from_slice(String::from_utf8_lossy(&raw).as_bytes());
    true
}

/// Java's `URLEncoder.encode(s, UTF-8)`: letters, digits and `.-*_` stay, a space is `+`, every
/// other byte is `%XX` in upper-case hex.
pub fn url_encode(b: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &c in b {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => out.push(c),
            b' ' => out.push(b'+'),
            _ => out.extend_from_slice(&[b'%', HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]),
        }
    }
}

/// `INET_ATON` as Flink 2.3 (MySQL, C's `inet_aton`): `a.b.c.d` with parts 0–255, and the short
/// forms `a.b.c` (= a.b.0.c), `a.b` (= a.0.0.b) and `a` (a 32-bit number); decimal digits only
/// (leading zeros are not octal); anything else is `None`.
pub fn inet_aton(s: &str) -> Option<i64> {
    let mut parts = [0i64; 4];
    let mut count = 0;
    for p in s.split('.') {
        if count == 4 || p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let v = p.bytes().try_fold(0i64, |v, c| Some(v * 10 + i64::from(c - b'0')).filter(|v| *v <= 0xFFFF_FFFF))?;
        parts[count] = v;
        count += 1;
    }
    let byte = |k: usize| (parts[k] <= 255).then_some(parts[k]);
    match count {
        1 => Some(parts[0]),
        2 => Some(byte(0)? << 24 | byte(1)?),
        3 => Some(byte(0)? << 24 | byte(1)? << 16 | byte(2)?),
        4 => Some(byte(0)? << 24 | byte(1)? << 16 | byte(2)? << 8 | byte(3)?),
        _ => None,
    }
}

/// The protocols `java.net.URL` knows out of the box; any other makes PARSE_URL NULL.
const PROTOCOLS: &[&str] = &["http", "https", "ftp", "file", "jar", "mailto"];

/// `PARSE_URL(url, part[, key])` as Flink computes it with `java.net.URL`: HOST, PATH, QUERY,
/// REF, PROTOCOL, FILE, AUTHORITY, USERINFO (upper case); with a key, QUERY's value for it.
pub fn parse_url<'u>(url: &'u str, part: &str, key: Option<&str>) -> Option<&'u str> {
    let colon = url.find(':')?;
    let protocol = &url[..colon];
    if !PROTOCOLS.iter().any(|p| p.eq_ignore_ascii_case(protocol)) {
        return None;
    }
    let rest = &url[colon + 1..];
    let (rest, reference) = match rest.split_once('#') {
        Some((a, r)) => (a, Some(r)),
        None => (rest, None),
    };
    let (authority, file_part) = match rest.strip_prefix("//") {
        Some(r) => {
            let end = r.find(['/', '?']).unwrap_or(r.len());
            (Some(&r[..end]), &r[end..])
        }
        None => (None, rest),
    };
    let (path, query) = match file_part.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (file_part, None),
    };
    let userinfo = authority.and_then(|a| a.rsplit_once('@').map(|(u, _)| u));
    let host = authority.map(|a| {
        let h = a.rsplit_once('@').map_or(a, |(_, h)| h);
        if h.starts_with('[') { h.find(']').map_or(h, |e| &h[..=e]) } else { h.rsplit_once(':').map_or(h, |(h, _)| h) }
    });
    if let Some(key) = key {
        if part != "QUERY" {
            return None;
        }
        // Flink: the first `(&|^)key=([^&]*)` in the query.
        return query?.split('&').find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')));
    }
    match part {
        "HOST" => Some(host.unwrap_or("")),
        "PATH" => Some(path),
        "QUERY" => query,
        "REF" => reference,
        "PROTOCOL" => Some(protocol),
        "FILE" => Some(file_part),
        "AUTHORITY" => authority,
        "USERINFO" => userinfo,
        _ => None,
    }
}

/// Flink's `JSON_QUOTE`: in double quotes, with `"`, `\`, `/`, `\b`, `\f`, `\n`, `\r`, `\t`
/// escaped and every UTF-16 unit above 127 written as `\uXXXX` (lower-case hex).
pub fn json_quote(s: &str, out: &mut Vec<u8>) {
    use std::io::Write;
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '/' => out.extend_from_slice(b"\\/"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if c.is_ascii() => out.push(c as u8),
            c => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
        }
    }
    out.push(b'"');
}

/// Flink's `JSON_UNQUOTE`: input that is not valid JSON comes back as it is; valid JSON loses
/// its first and last characters and has its escapes resolved (so `"a\nb"` gives a newline).
pub fn json_unquote(s: &str, out: &mut Vec<u8>) -> Result<(), String> {
    if serde_json::from_str::<serde_json::Value>(s).is_err() {
        out.extend_from_slice(s.as_bytes());
        return Ok(());
    }
    let chars: Vec<char> = s.chars().collect();
    let inner = chars.get(1..chars.len().saturating_sub(1)).unwrap_or(&[]);
    let mut units: Vec<u16> = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let c = inner[i];
        i += 1;
        if c != '\\' || i >= inner.len() {
            let mut buf = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
            continue;
        }
        let e = inner[i];
        i += 1;
        let unit = match e {
            '"' | '\\' | '/' => e as u16,
            'b' => 8,
            'f' => 12,
            'n' => 10,
            'r' => 13,
            't' => 9,
            'u' => {
                let hex: String = inner.get(i..i + 4).map(|h| h.iter().collect()).ok_or("truncated \\u escape")?;
                i += 4;
                u16::from_str_radix(&hex, 16).map_err(|_| format!("illegal escape \\u{hex}"))?
            }
            other => return Err(format!("illegal escape sequence: \\{other}")),
        };
        units.push(unit);
    }
    out.extend_from_slice(String::from_utf16_lossy(&units).as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip_without_padding() {
        let mut out = Vec::new();
        assert!(base64_decode(b"aGVsbG8", &mut out).is_ok());
        assert_eq!(out, b"hello");
        assert!(base64_decode(b"a$", &mut Vec::new()).is_err());
    }

    #[test]
    fn urls() {
        let u = "http://user@www.a.com:8080/p/q.html?k1=v1&k2=v2#frag";
        assert_eq!(parse_url(u, "HOST", None), Some("www.a.com"));
        assert_eq!(parse_url(u, "PATH", None), Some("/p/q.html"));
        assert_eq!(parse_url(u, "FILE", None), Some("/p/q.html?k1=v1&k2=v2"));
        assert_eq!(parse_url(u, "AUTHORITY", None), Some("user@www.a.com:8080"));
        assert_eq!(parse_url(u, "USERINFO", None), Some("user"));
        assert_eq!(parse_url(u, "REF", None), Some("frag"));
        assert_eq!(parse_url(u, "QUERY", Some("k2")), Some("v2"));
        assert_eq!(parse_url(u, "QUERY", Some("k3")), None);
        assert_eq!(parse_url("foo://x", "HOST", None), None);
    }

    #[test]
    fn charsets() {
        let mut out = Vec::new();
        Charset::Utf16.encode("é", &mut out);
        assert_eq!(out, [0xFE, 0xFF, 0x00, 0xE9]);
        let mut back = Vec::new();
        Charset::Utf16.decode(&out, &mut back);
        assert_eq!(back, "é".as_bytes());
    }
}
