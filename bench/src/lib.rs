//! Deterministic data generators for vstream's benchmarks and tests.
//!
//! Two workloads, mirroring the reference generators of the benchmark of record
//! (`gen_bids.py` and `gen_1brc.py`):
//!
//! * [`write_bids`]: a Nexmark-style bid stream, CSV with the header
//!   `auction,bidder,price,channel,url,date_time,extra`. Event `i` happens at
//!   2025-01-01 00:00:00.000 + `i` ms plus a jitter in `[0, 200)` ms, so the
//!   stream is about one event per millisecond and never more than 199 ms out of
//!   order (a 200 ms watermark drops nothing).
//! * [`write_1brc`]: One-Billion-Row-Challenge-style measurements, `station;temperature`
//!   with a header line, 408 stations with UTF-8 names, temperatures with one decimal
//!   in `[-99.9, 99.9]` (a `DECIMAL(4,1)`).
//!
//! The distributions are those of the Python generators, but the random streams are
//! not: the files are *not* byte-identical to the Python ones. They are deterministic
//! on their own terms: the same `(rows, seed)` always gives byte-identical output
//! (the random source is [`rand_pcg::Pcg64`] seeded with [`SeedableRng::seed_from_u64`]).
//!
//! Both writers format rows into a reusable byte buffer (hand-written integer and
//! timestamp formatting, no `fmt` machinery on the hot path) and hand it to the
//! output in large chunks, so the output needs no extra buffering.

#![warn(missing_docs)]

pub mod kafka;

use std::io::{self, Write};

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

// ---------------------------------------------------------------------------------------------
// Bids
// ---------------------------------------------------------------------------------------------

/// The header line of the bid CSV (without the trailing newline).
pub const BID_HEADER: &str = "auction,bidder,price,channel,url,date_time,extra";

/// The first auction / person id (Nexmark's `FIRST_*_ID`).
pub const FIRST_ID: u64 = 1000;
/// One new auction and one new person per this many bids.
pub const EVENTS_PER_ID: u64 = 50;
/// A bid goes to the hot (newest) auction with probability `1 - 1/HOT_AUCTION_RATIO`.
pub const HOT_AUCTION_RATIO: u64 = 2;
/// Cold bids go uniformly to the last this many auctions (plus [`ID_LEAD`]).
pub const IN_FLIGHT_AUCTIONS: u64 = 100;
/// A bid comes from the hot bidder with probability `1 - 1/HOT_BIDDER_RATIO`.
pub const HOT_BIDDER_RATIO: u64 = 4;
/// Cold bids come uniformly from the last this many people (plus [`ID_LEAD`]).
pub const ACTIVE_PEOPLE: u64 = 1000;
/// Cold ids may run this far ahead of the newest id.
pub const ID_LEAD: u64 = 10;
/// Event-time jitter: each event is late by `[0, MAX_DISORDER_MS)` ms.
pub const MAX_DISORDER_MS: u64 = 200;
/// The bid channels.
pub const CHANNELS: [&str; 5] = ["Google", "Facebook", "Baidu", "Apple", "Other"];
/// Number of distinct url suffixes (`https://nexmark.com/c/{0..URL_IDS}`).
pub const URL_IDS: u32 = 10_000;
/// Milliseconds since the Unix epoch of 2025-01-01 00:00:00.000 (UTC, no time zone).
pub const BASE_EPOCH_MS: i64 = 1_735_689_600_000;

/// How many bytes of formatted rows are collected before they are written out.
const CHUNK_BYTES: usize = 1 << 20;

/// One bid, as the generator draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bid {
    /// Auction id, from [`FIRST_ID`]: the hot (newest) auction with probability
    /// `1 - 1/HOT_AUCTION_RATIO`, else one of the last [`IN_FLIGHT_AUCTIONS`] (or up to [`ID_LEAD`] ahead).
    pub auction: u64,
    /// Person id, from `FIRST_ID + 1`: the hot bidder with probability `1 - 1/HOT_BIDDER_RATIO`,
    /// else one of the last [`ACTIVE_PEOPLE`] (or up to [`ID_LEAD`] ahead).
    pub bidder: u64,
    /// Price in cents, `>= 1`.
    pub price: u64,
    /// Index into [`CHANNELS`].
    pub channel: u8,
    /// The url is `https://nexmark.com/c/{url_id}`.
    pub url_id: u32,
    /// Event time, milliseconds since the Unix epoch.
    pub date_time_ms: i64,
    /// Printed as 8 lowercase hex digits.
    pub extra: u32,
}

/// An infinite, deterministic stream of bids (`Iterator<Item = Bid>`).
pub struct BidGenerator {
    rng: Pcg64,
    /// Index of the next event.
    next: u64,
}

impl BidGenerator {
    /// The stream drawn with `seed`, from event 0; equal seeds give equal streams.
    pub fn new(seed: u64) -> Self {
        Self { rng: Pcg64::seed_from_u64(seed), next: 0 }
    }

    /// Nexmark's id choice: the hot (newest, rounded down to a multiple of `hot_ratio`)
    /// id with probability `1 - 1/hot_ratio`, else uniform over the ids
    /// `[max(last - window, 0), last + ID_LEAD]`.
    fn pick_id(&mut self, last: u64, hot_ratio: u64, window: u64) -> u64 {
        if self.rng.random_range(0..hot_ratio) > 0 {
            (last / hot_ratio) * hot_ratio
        } else {
            let lo = last.saturating_sub(window);
            let span = last - lo + 1 + ID_LEAD;
            // Same recipe as the Python generator: floor(U * span), U uniform in [0, 1).
            lo + (self.rng.random::<f64>() * span as f64) as u64
        }
    }

    /// Draws the next bid.
    pub fn next_bid(&mut self) -> Bid {
        let i = self.next;
        self.next += 1;
        let last = i / EVENTS_PER_ID;
        let auction = FIRST_ID + self.pick_id(last, HOT_AUCTION_RATIO, IN_FLIGHT_AUCTIONS);
        let bidder = FIRST_ID + 1 + self.pick_id(last, HOT_BIDDER_RATIO, ACTIVE_PEOPLE);
        // Log-uniform price over [1, 100_000] cents; numpy's rint rounds half to even.
        let u: f64 = self.rng.random();
        let price = (10f64.powf(u * 5.0).round_ties_even() as u64).max(1);
        let channel = self.rng.random_range(0..CHANNELS.len() as u8);
        let url_id = self.rng.random_range(0..URL_IDS);
        let extra: u32 = self.rng.random();
        let jitter = self.rng.random_range(0..MAX_DISORDER_MS);
        let date_time_ms = BASE_EPOCH_MS + (i + jitter) as i64;
        Bid { auction, bidder, price, channel, url_id, date_time_ms, extra }
    }
}

impl Iterator for BidGenerator {
    type Item = Bid;
    fn next(&mut self) -> Option<Bid> {
        Some(self.next_bid())
    }
}

/// Appends one bid as a CSV line (with its trailing `\n`) to `buf`.
pub fn push_bid_line(buf: &mut Vec<u8>, bid: &Bid, ts: &mut TimestampFormatter) {
    push_u64(buf, bid.auction);
    buf.push(b',');
    push_u64(buf, bid.bidder);
    buf.push(b',');
    push_u64(buf, bid.price);
    buf.push(b',');
    buf.extend_from_slice(CHANNELS[bid.channel as usize].as_bytes());
    buf.extend_from_slice(b",https://nexmark.com/c/");
    push_u64(buf, u64::from(bid.url_id));
    buf.push(b',');
    ts.push(buf, bid.date_time_ms);
    buf.push(b',');
    push_hex8(buf, bid.extra);
    buf.push(b'\n');
}

/// Writes `rows` bids drawn with `seed` as CSV (header line first) to `out`.
///
/// Same `(rows, seed)` gives byte-identical output. `out` is written in chunks of
/// about 1 MiB, so it needs no buffering of its own.
pub fn write_bids<W: Write>(rows: u64, seed: u64, mut out: W) -> io::Result<()> {
    let mut buf = Vec::with_capacity(CHUNK_BYTES + 256);
    buf.extend_from_slice(BID_HEADER.as_bytes());
    buf.push(b'\n');
    let mut ts = TimestampFormatter::default();
    let mut bids = BidGenerator::new(seed);
    for _ in 0..rows {
        push_bid_line(&mut buf, &bids.next_bid(), &mut ts);
        if buf.len() >= CHUNK_BYTES {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    out.flush()
}

// ---------------------------------------------------------------------------------------------
// 1BRC measurements
// ---------------------------------------------------------------------------------------------

/// The header line of the 1BRC CSV (without the trailing newline).
pub const BRC_HEADER: &str = "station;temperature";
/// Number of weather stations.
pub const STATIONS: usize = 408;
/// Station names are 2 to 4 of these syllables, first letter upper-cased.
const SYLLABLES: [&str; 16] = ["ka", "lo", "mi", "ne", "ro", "sa", "tu", "vé", "zü", "ør", "an", "el", "is", "ðo", "qu", "xi"];

/// Draws [`STATIONS`] distinct station names, sorted (by code point, as Python sorts).
fn station_names(rng: &mut Pcg64) -> Vec<String> {
    let mut names = std::collections::BTreeSet::new();
    while names.len() < STATIONS {
        let parts = rng.random_range(2..5);
        let raw: String = (0..parts).map(|_| SYLLABLES[rng.random_range(0..SYLLABLES.len())]).collect();
        let mut chars = raw.chars();
        let first = chars.next().expect("a name has at least two syllables");
        names.insert(first.to_uppercase().chain(chars).collect::<String>());
    }
    // A BTreeSet of Strings iterates in byte order, which for UTF-8 is code-point order.
    names.into_iter().collect()
}

/// Standard normal deviates by the Box–Muller transform (the second deviate of each
/// pair is kept for the next call). `rand` 0.9 has no normal distribution of its own.
struct Normal {
    spare: Option<f64>,
}

impl Normal {
    fn sample(&mut self, rng: &mut Pcg64) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        // u1 in (0, 1] so that ln(u1) is finite.
        let u1 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare = Some(r * s);
        r * c
    }
}

/// Writes `rows` 1BRC-style measurements drawn with `seed` as `;`-separated CSV
/// (header line `station;temperature` first) to `out`.
///
/// Each station has its own mean, uniform in `[-10, 30)`; a temperature is that mean plus
/// a normal deviate with standard deviation 10, rounded to one decimal (half to even) and
/// clamped to `[-99.9, 99.9]`. Same `(rows, seed)` gives byte-identical output.
pub fn write_1brc<W: Write>(rows: u64, seed: u64, mut out: W) -> io::Result<()> {
    let mut rng = Pcg64::seed_from_u64(seed);
    let names = station_names(&mut rng);
    let means: Vec<f64> = (0..STATIONS).map(|_| rng.random_range(-10.0..30.0)).collect();
    let mut normal = Normal { spare: None };

    let mut buf = Vec::with_capacity(CHUNK_BYTES + 256);
    buf.extend_from_slice(BRC_HEADER.as_bytes());
    buf.push(b'\n');
    for _ in 0..rows {
        let s = rng.random_range(0..STATIONS);
        let tenths = ((means[s] + 10.0 * normal.sample(&mut rng)) * 10.0).round_ties_even();
        let t = tenths.clamp(-999.0, 999.0) as i64;
        buf.extend_from_slice(names[s].as_bytes());
        buf.push(b';');
        if t < 0 {
            buf.push(b'-');
        }
        let a = t.unsigned_abs();
        push_u64(&mut buf, a / 10);
        buf.push(b'.');
        buf.push(b'0' + (a % 10) as u8);
        buf.push(b'\n');
        if buf.len() >= CHUNK_BYTES {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    out.flush()
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers
// ---------------------------------------------------------------------------------------------

/// "00" "01" ... "99": two decimal digits per lookup.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends the decimal digits of `v` to `buf` (itoa-style, two digits at a time).
pub fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut at = tmp.len();
    while v >= 100 {
        let d = (v % 100) as usize * 2;
        v /= 100;
        at -= 2;
        tmp[at..at + 2].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
    }
    if v >= 10 {
        let d = v as usize * 2;
        at -= 2;
        tmp[at..at + 2].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
    } else {
        at -= 1;
        tmp[at] = b'0' + v as u8;
    }
    buf.extend_from_slice(&tmp[at..]);
}

/// Appends exactly two decimal digits of `v < 100`.
fn push_2(buf: &mut Vec<u8>, v: u32) {
    let d = v as usize * 2;
    buf.extend_from_slice(&DIGIT_PAIRS[d..d + 2]);
}

/// Appends `v` as 8 lowercase hex digits (`{:08x}`).
fn push_hex8(buf: &mut Vec<u8>, v: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut tmp = [0u8; 8];
    for (k, b) in tmp.iter_mut().enumerate() {
        *b = HEX[((v >> (28 - 4 * k)) & 0xf) as usize];
    }
    buf.extend_from_slice(&tmp);
}

/// Formats epoch milliseconds as `YYYY-MM-DD HH:MM:SS.mmm` (UTC, proleptic Gregorian,
/// years 0..=9999), caching the date part, which changes only once a day.
#[derive(Default)]
pub struct TimestampFormatter {
    /// The day (since the epoch) that `date` holds, if any.
    day: Option<i64>,
    /// `YYYY-MM-DD ` for `day`.
    date: [u8; 11],
}

impl TimestampFormatter {
    /// Appends `epoch_ms` as `YYYY-MM-DD HH:MM:SS.mmm`.
    pub fn push(&mut self, buf: &mut Vec<u8>, epoch_ms: i64) {
        const MS_PER_DAY: i64 = 86_400_000;
        let day = epoch_ms.div_euclid(MS_PER_DAY);
        if self.day != Some(day) {
            let (y, m, d) = civil_from_days(day);
            assert!((0..=9999).contains(&y), "year {y} out of range");
            let mut date = Vec::with_capacity(11);
            push_2(&mut date, (y / 100) as u32);
            push_2(&mut date, (y % 100) as u32);
            date.push(b'-');
            push_2(&mut date, m);
            date.push(b'-');
            push_2(&mut date, d);
            date.push(b' ');
            self.date.copy_from_slice(&date);
            self.day = Some(day);
        }
        buf.extend_from_slice(&self.date);
        let ms = epoch_ms.rem_euclid(MS_PER_DAY) as u32;
        let (secs, millis) = (ms / 1000, ms % 1000);
        push_2(buf, secs / 3600);
        buf.push(b':');
        push_2(buf, secs / 60 % 60);
        buf.push(b':');
        push_2(buf, secs % 60);
        buf.push(b'.');
        buf.push(b'0' + (millis / 100) as u8);
        push_2(buf, millis % 100);
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn bids(rows: u64, seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_bids(rows, seed, &mut out).unwrap();
        out
    }

    fn brc(rows: u64, seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_1brc(rows, seed, &mut out).unwrap();
        out
    }

    /// Parses `YYYY-MM-DD HH:MM:SS.mmm` back into epoch ms (independently of the formatter:
    /// by counting days from the base date, which the tests' data never leaves by years).
    fn parse_ts(s: &str) -> i64 {
        assert_eq!(s.len(), 23, "bad timestamp {s:?}");
        let b = s.as_bytes();
        assert_eq!((b[4], b[7], b[10], b[13], b[16], b[19]), (b'-', b'-', b' ', b':', b':', b'.'));
        let num = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
        let (y, mo, d) = (num(0..4), num(5..7), num(8..10));
        assert_eq!(y, 2025, "{s}");
        const MONTH_DAYS: [i64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        let day_of_year = MONTH_DAYS[..(mo - 1) as usize].iter().sum::<i64>() + d - 1;
        BASE_EPOCH_MS + day_of_year * 86_400_000 + num(11..13) * 3_600_000 + num(14..16) * 60_000 + num(17..19) * 1000 + num(20..23)
    }

    #[test]
    fn bids_are_deterministic() {
        assert_eq!(bids(20_000, 42), bids(20_000, 42));
        assert_ne!(bids(1000, 42), bids(1000, 43));
        // A shorter run is a prefix of a longer one.
        let long = bids(5000, 7);
        let short = bids(3000, 7);
        assert!(long.starts_with(&short));
    }

    #[test]
    fn bid_lines_have_seven_columns() {
        let out = String::from_utf8(bids(20_000, 1)).unwrap();
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some(BID_HEADER));
        let mut n = 0;
        for line in lines {
            let cols: Vec<&str> = line.split(',').collect();
            assert_eq!(cols.len(), 7, "line {line:?}");
            let auction: u64 = cols[0].parse().unwrap();
            let bidder: u64 = cols[1].parse().unwrap();
            let price: u64 = cols[2].parse().unwrap();
            assert!(auction >= FIRST_ID && bidder > FIRST_ID, "{line}");
            assert!((1..=100_000).contains(&price), "{line}");
            assert!(CHANNELS.contains(&cols[3]), "{line}");
            let url_id: u32 = cols[4].strip_prefix("https://nexmark.com/c/").unwrap().parse().unwrap();
            assert!(url_id < URL_IDS);
            assert_eq!(cols[6].len(), 8);
            assert!(cols[6].bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
            n += 1;
        }
        assert_eq!(n, 20_000);
        assert!(out.ends_with('\n'));
    }

    #[test]
    fn bid_event_time_disorder_is_bounded() {
        // 300k rows: the stream crosses a few minute boundaries (not a day's).
        let out = String::from_utf8(bids(300_000, 42)).unwrap();
        let mut max_seen = i64::MIN;
        for (i, line) in out.lines().skip(1).enumerate() {
            let t = parse_ts(line.split(',').nth(5).unwrap());
            let offset = t - BASE_EPOCH_MS - i as i64;
            assert!((0..=199).contains(&offset), "row {i}: {line}");
            max_seen = max_seen.max(t);
            assert!(max_seen - t <= 199, "row {i} is {} ms late", max_seen - t);
        }
    }

    #[test]
    fn bid_distributions_look_right() {
        let rows = 100_000u64;
        let mut g = BidGenerator::new(3);
        let (mut hot_auctions, mut max_auction) = (0, 0);
        for i in 0..rows {
            let b = g.next_bid();
            let last = i / EVENTS_PER_ID;
            if b.auction == FIRST_ID + (last / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO {
                hot_auctions += 1;
            }
            assert!(b.auction <= FIRST_ID + last + ID_LEAD);
            assert!(b.auction + IN_FLIGHT_AUCTIONS >= FIRST_ID + last);
            max_auction = max_auction.max(b.auction);
        }
        // About half of the bids go to the hot auction (a little more: cold picks may hit it).
        assert!((50_000..52_500).contains(&hot_auctions), "{hot_auctions}");
        assert!(max_auction >= FIRST_ID + rows / EVENTS_PER_ID);
    }

    #[test]
    fn timestamps_format_correctly() {
        let mut ts = TimestampFormatter::default();
        let mut buf = Vec::new();
        for (ms, want) in [
            (BASE_EPOCH_MS, "2025-01-01 00:00:00.000"),
            (BASE_EPOCH_MS + 86_399_999, "2025-01-01 23:59:59.999"),
            (BASE_EPOCH_MS + 59 * 86_400_000 + 3_723_045, "2025-03-01 01:02:03.045"),
            (0, "1970-01-01 00:00:00.000"),
            (951_782_400_000, "2000-02-29 00:00:00.000"),
            (-1, "1969-12-31 23:59:59.999"),
        ] {
            buf.clear();
            ts.push(&mut buf, ms);
            assert_eq!(std::str::from_utf8(&buf).unwrap(), want);
        }
    }

    #[test]
    fn integers_format_correctly() {
        for v in [0, 1, 9, 10, 99, 100, 101, 999, 1000, 123_456_789, u64::MAX] {
            let mut buf = Vec::new();
            push_u64(&mut buf, v);
            assert_eq!(buf, v.to_string().as_bytes());
        }
        for v in [0, 1, 0xdead_beef, u32::MAX] {
            let mut buf = Vec::new();
            push_hex8(&mut buf, v);
            assert_eq!(buf, format!("{v:08x}").as_bytes());
        }
    }

    #[test]
    fn brc_is_deterministic_and_well_formed() {
        let out = brc(50_000, 42);
        assert_eq!(out, brc(50_000, 42));
        assert_ne!(out, brc(50_000, 43));
        let out = String::from_utf8(out).unwrap();
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some(BRC_HEADER));
        let mut stations = std::collections::HashSet::new();
        let mut n = 0;
        for line in lines {
            let (station, temp) = line.split_once(';').unwrap();
            assert!(station.chars().next().unwrap().is_uppercase(), "{line}");
            let (int, frac) = temp.split_once('.').unwrap();
            assert_eq!(frac.len(), 1, "{line}");
            let tenths: i64 = format!("{int}{frac}").parse().unwrap();
            assert!((-999..=999).contains(&tenths), "{line}");
            assert!(!int.starts_with("-0") || tenths != 0, "negative zero: {line}");
            stations.insert(station.to_owned());
            n += 1;
        }
        assert_eq!(n, 50_000);
        assert_eq!(stations.len(), STATIONS);
    }
}
