//! Key groups: the unit keyed state is placed by. A key's hash picks one of a fixed number of
//! groups (Flink's key groups, RisingWave's vnodes), and each worker owns a contiguous range of
//! groups. The group of a key does not depend on the worker count, so state written by N
//! workers can be split by group and read back by M workers: each takes the groups of its range.
//!
//! The group is taken from the high bits of the hash multiplied by a large odd constant, not
//! from `hash % peers` as before: the owner's hash tables index buckets by the hash's low bits
//! (hashbrown: low bits for the bucket, top 7 for the tag), so routing by the low bits made every
//! key of a worker share them (at `-w 2`, half the buckets of every table went unused).

use std::ops::Range;

/// How many key groups a run has unless `RunConfig::key_groups` says otherwise.
pub const DEFAULT_KEY_GROUPS: u32 = 256;

/// Fibonacci hashing's multiplier (2^64 / the golden ratio, odd): its product's high bits depend
/// on every bit of the hash.
const MIX: u64 = 0x9E37_79B9_7F4A_7C15;

/// The mapping from key hashes to key groups, and from key groups to workers: `count` groups (a
/// power of two) over `peers` workers, worker `w` owning the groups of [`KeyGroups::range_of`].
/// With more workers than groups, some workers own none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyGroups {
    /// log2 of the group count.
    bits: u32,
    peers: u32,
}

impl KeyGroups {
    /// `count` groups over `peers` workers. `count` must be a power of two (`run` checks the
    /// configured count before any worker starts).
    pub fn new(count: u32, peers: usize) -> Self {
        assert!(count.is_power_of_two(), "the key group count is a power of two (checked by run)");
        KeyGroups { bits: count.trailing_zeros(), peers: u32::try_from(peers.max(1)).expect("fewer than 2^32 workers") }
    }

    /// The number of key groups.
    pub fn count(&self) -> u32 {
        1 << self.bits
    }

    /// The number of workers the groups are spread over.
    pub fn peers(&self) -> u32 {
        self.peers
    }

    /// The key group of a key hash: the top `log2(count)` bits of `hash * MIX`.
    #[inline]
    pub fn group_of(&self, hash: u64) -> u32 {
        // Two shifts, so that one group (`bits == 0`) shifts by 64 without overflowing.
        ((hash.wrapping_mul(MIX) >> (63 - self.bits)) >> 1) as u32
    }

    /// The worker that owns group `group`: `group * peers / count`, so each worker's groups are
    /// contiguous.
    #[inline]
    pub fn worker_of_group(&self, group: u32) -> u32 {
        ((group as u64 * self.peers as u64) >> self.bits) as u32
    }

    /// The worker that owns the key with hash `hash`.
    #[inline]
    pub fn worker_of(&self, hash: u64) -> u32 {
        self.worker_of_group(self.group_of(hash))
    }

    /// The groups `worker` owns: those `g` with `g * peers / count == worker`, i.e. from
    /// `ceil(worker * count / peers)` up to `ceil((worker + 1) * count / peers)`.
    pub fn range_of(&self, worker: u32) -> Range<u32> {
        let start = |w: u32| (((w as u64) << self.bits).div_ceil(self.peers as u64)) as u32;
        start(worker)..start(worker + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_every_group_once_contiguous_and_balanced() {
        for count in [1, 2, 4, 16, 256, 1024] {
            for peers in 1..=20usize {
                let kg = KeyGroups::new(count, peers);
                let ranges: Vec<Range<u32>> = (0..peers as u32).map(|w| kg.range_of(w)).collect();
                // Contiguous and in order: each range starts where the last ended, from 0 to count.
                assert_eq!(ranges[0].start, 0);
                assert_eq!(ranges[peers - 1].end, count);
                for pair in ranges.windows(2) {
                    assert_eq!(pair[0].end, pair[1].start);
                }
                // Balanced within one group.
                let sizes: Vec<u32> = ranges.iter().map(|r| r.len() as u32).collect();
                let (min, max) = (sizes.iter().min().copied().unwrap_or(0), sizes.iter().max().copied().unwrap_or(0));
                assert!(max - min <= 1, "count {count}, peers {peers}: sizes {sizes:?}");
                // The ranges agree with the per-group owner.
                for (w, r) in ranges.iter().enumerate() {
                    for g in r.clone() {
                        assert_eq!(kg.worker_of_group(g), w as u32, "count {count}, peers {peers}, group {g}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_key_has_one_group_at_any_worker_count() {
        let hasher = crate::operators::keyed::state::hasher();
        for i in 0..1000u32 {
            let hash = hasher.hash_one(i.to_le_bytes().as_slice());
            let group = KeyGroups::new(256, 1).group_of(hash);
            assert!(group < 256);
            for peers in 2..9 {
                let kg = KeyGroups::new(256, peers);
                assert_eq!(kg.group_of(hash), group);
                assert!(kg.range_of(kg.worker_of(hash)).contains(&group));
            }
        }
    }

    #[test]
    fn groups_do_not_follow_the_hash_low_bits() {
        // Keys whose hashes share their low bit still spread over both workers at -w 2: the
        // owner's hash tables (indexed by the low bits) get keys of every bucket.
        let hasher = crate::operators::keyed::state::hasher();
        let kg = KeyGroups::new(DEFAULT_KEY_GROUPS, 2);
        let mut per_worker_low_bit = [[0u32; 2]; 2];
        for i in 0..10_000u32 {
            let hash = hasher.hash_one(i.to_le_bytes().as_slice());
            per_worker_low_bit[kg.worker_of(hash) as usize][(hash & 1) as usize] += 1;
        }
        for counts in per_worker_low_bit {
            assert!(counts.iter().all(|&n| n > 2000), "{per_worker_low_bit:?}");
        }
    }

    #[test]
    fn one_group_and_one_worker() {
        let kg = KeyGroups::new(1, 1);
        assert_eq!(kg.group_of(u64::MAX), 0);
        assert_eq!(kg.worker_of(12345), 0);
        assert_eq!(kg.range_of(0), 0..1);
    }
}
