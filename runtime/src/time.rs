//! Timely times as vstream encodes them in its one `u64` time domain: file rounds (cut into
//! sub-epochs), or event times (epoch ms). A leaf module, so operators share the encoding
//! without depending on one another.

/// Without an event time, times are `round * EPOCHS_PER_ROUND + sub-epoch`: workers still move
/// through the file's rounds together, and a round can be cut into up to this many epochs.
pub const EPOCHS_PER_ROUND: u64 = 1 << 20;

/// The timely time of an event time (epoch ms): order-preserving, so `i64::MIN` is time 0.
pub fn time_of_event(ms: i64) -> u64 {
    (ms as u64) ^ (1 << 63)
}

/// The event time (epoch ms) of a timely time; see [`time_of_event`].
pub fn event_of_time(t: u64) -> i64 {
    (t ^ (1 << 63)) as i64
}
