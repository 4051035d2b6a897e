//! Finding every occurrence of either of two bytes (a CSV delimiter and `'\n'`), fast.
//!
//! `memchr::memchr2_iter` restarts a vector search for every match, which costs more than the
//! search itself when matches are a few bytes apart (a CSV line has a separator every ~10 bytes).
//! Here each 64-byte block becomes one bitmask of matches (SSE2 on x86_64, which every x86_64
//! CPU has; SWAR elsewhere) and the matches are read off it with `trailing_zeros`.

/// The offsets of the bytes of a slice equal to `a` or `b`, in order.
pub(crate) struct Matches2<'a> {
    bytes: &'a [u8],
    a: u8,
    b: u8,
    /// Offset of the block that `mask` describes.
    base: usize,
    /// The matches of that block not yet returned.
    mask: u64,
    /// Offset of the next block to load.
    next: usize,
}

impl<'a> Matches2<'a> {
    pub(crate) fn new(bytes: &'a [u8], a: u8, b: u8) -> Self {
        Matches2 { bytes, a, b, base: 0, mask: 0, next: 0 }
    }

    /// Loads the next block with a match; false at the end.
    #[inline]
    fn refill(&mut self) -> bool {
        while self.next + 64 <= self.bytes.len() {
            let block: &[u8; 64] = self.bytes[self.next..self.next + 64].try_into().unwrap();
            self.base = self.next;
            self.next += 64;
            self.mask = mask2(block, self.a, self.b);
            if self.mask != 0 {
                return true;
            }
        }
        if self.next < self.bytes.len() {
            // The short last block, padded with a byte that matches neither.
            let pad = (0u8..3).find(|&p| p != self.a && p != self.b).unwrap();
            let mut block = [pad; 64];
            let rest = &self.bytes[self.next..];
            block[..rest.len()].copy_from_slice(rest);
            self.base = self.next;
            self.next = self.bytes.len();
            self.mask = mask2(&block, self.a, self.b);
            return self.mask != 0;
        }
        false
    }
}

impl Iterator for Matches2<'_> {
    type Item = usize;

    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        if self.mask == 0 && !self.refill() {
            return None;
        }
        let p = self.base + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(p)
    }
}

/// Bit `i` is set where `block[i]` is `a` or `b`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn mask2(block: &[u8; 64], a: u8, b: u8) -> u64 {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8};
    // SAFETY: SSE2 is part of the x86_64 baseline, so these instructions always exist; each
    // unaligned 16-byte load reads `block[16 * k .. 16 * k + 16]`, inside the 64-byte array.
    unsafe {
        let av = _mm_set1_epi8(a as i8);
        let bv = _mm_set1_epi8(b as i8);
        let mut m = 0u64;
        for k in 0..4 {
            let x = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
            let eq = _mm_or_si128(_mm_cmpeq_epi8(x, av), _mm_cmpeq_epi8(x, bv));
            m |= (_mm_movemask_epi8(eq) as u16 as u64) << (16 * k);
        }
        m
    }
}

/// Bit `i` is set where `block[i]` is `a` or `b`.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn mask2(block: &[u8; 64], a: u8, b: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // 0x80 in each byte of `v` that is zero, exactly (no borrow between bytes).
    let zero = |v: u64| !(((v & LOW7) + LOW7) | v | LOW7);
    let (aa, bb) = (u64::from_ne_bytes([a; 8]), u64::from_ne_bytes([b; 8]));
    let mut m = 0u64;
    for w in 0..8 {
        let x = u64::from_le_bytes(block[8 * w..8 * w + 8].try_into().unwrap());
        let z = zero(x ^ aa) | zero(x ^ bb);
        // Gather the eight 0x80 bits into the low byte.
        m |= ((z >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * w);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_match() {
        let mut data = Vec::new();
        let mut x = 7u32;
        for _ in 0..1000 {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            data.push(b"a,\n\x80\xff;"[(x >> 16) as usize % 6]);
        }
        for len in [0, 1, 63, 64, 65, 200, 1000] {
            let bytes = &data[..len];
            let want: Vec<usize> = (0..len).filter(|&i| bytes[i] == b',' || bytes[i] == b'\n').collect();
            let got: Vec<usize> = Matches2::new(bytes, b',', b'\n').collect();
            assert_eq!(got, want, "len {len}");
        }
        // High bytes as the needle.
        let got: Vec<usize> = Matches2::new(&data[..130], 0xff, 0x80).collect();
        assert_eq!(got, (0..130).filter(|&i| data[i] >= 0x80).collect::<Vec<_>>());
    }
}
