//! Bookkeeping shared by the stateful operators: input held per epoch until it is complete, and
//! a capability held while there is state left to emit from.

use std::collections::BTreeMap;
use timely::dataflow::operators::Capability;
use timely::progress::frontier::AntichainRef;

/// Input held per epoch until the frontier passes the epoch, then handed out in epoch order: the
/// changes an operator emits at epoch t are then those of the input up to t exactly, not of
/// later input that happened to arrive early. Memory: the epochs still open, usually one or two.
pub struct EpochStash<D> {
    epochs: BTreeMap<u64, (Capability<u64>, Vec<D>)>,
}

impl<D> Default for EpochStash<D> {
    fn default() -> Self {
        EpochStash { epochs: BTreeMap::new() }
    }
}

impl<D> EpochStash<D> {
    /// Holds `data` (emptied) until the epoch of `cap` is complete.
    pub fn push(&mut self, cap: &Capability<u64>, data: &mut Vec<D>) {
        self.epochs.entry(*cap.time()).or_insert_with(|| (cap.clone(), Vec::new())).1.append(data);
    }

    /// The earliest held epoch that `frontier` has passed: its capability and input.
    pub fn pop_complete(&mut self, frontier: AntichainRef<'_, u64>) -> Option<(Capability<u64>, Vec<D>)> {
        let (&t, _) = self.epochs.first_key_value()?;
        if frontier.less_equal(&t) {
            return None;
        }
        self.epochs.remove(&t)
    }

    /// The earliest epoch still held.
    pub fn next_epoch(&self) -> Option<u64> {
        self.epochs.keys().next().copied()
    }

    /// Whether no epoch is held.
    pub fn is_empty(&self) -> bool {
        self.epochs.is_empty()
    }
}

/// The least capability of the input seen so far, held while the operator keeps state it will
/// emit from (windows that fire when the frontier passes them), and moved up to the frontier as
/// it advances so that it holds nothing else back.
#[derive(Default)]
pub struct HeldCapability(Option<Capability<u64>>);

impl HeldCapability {
    /// Holds `cap` if it is earlier than the one held (or none is).
    pub fn hold(&mut self, cap: &Capability<u64>) {
        if self.0.as_ref().is_none_or(|held| cap.time() < held.time()) {
            self.0 = Some(cap.clone());
        }
    }

    /// The capability held, if any (to emit at its time).
    pub fn get(&self) -> Option<&Capability<u64>> {
        self.0.as_ref()
    }

    /// Releases the capability when there is no state left (`keep` false), else moves it up to
    /// the least time of `frontier`.
    pub fn settle(&mut self, keep: bool, frontier: AntichainRef<'_, u64>) {
        if !keep {
            self.0 = None;
        } else if let Some(c) = self.0.as_mut()
            && let Some(least) = frontier.iter().min()
            && c.time() < least
        {
            c.downgrade(least);
        }
    }
}
