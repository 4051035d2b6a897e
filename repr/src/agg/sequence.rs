//! Aggregates of values in arrival order: FIRST_VALUE and LAST_VALUE over a changelog, LISTAGG,
//! ARRAY_AGG and JSON_ARRAYAGG. Flink orders them by arrival within the group (no ORDER BY), and
//! a retraction takes back the earliest row still held with that value, as Flink's
//! `*WithRetract` accumulators do.

use crate::datum::Datum;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// What a [`Sequence`] gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SequenceKind {
    /// FIRST_VALUE: the earliest value held.
    First,
    /// LAST_VALUE: the latest value held.
    Last,
    /// LISTAGG: the strings joined by the latest separator.
    ListAgg,
    /// ARRAY_AGG: an ARRAY of the values.
    ArrayAgg,
    /// JSON_ARRAYAGG: a JSON array of the values, each held as its JSON text.
    JsonArray,
}

/// The values of a group in arrival order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sequence {
    /// What the values give.
    pub kind: SequenceKind,
    /// The arrival number the next value gets.
    pub next: u64,
    /// The values held, by arrival number.
    pub values: BTreeMap<u64, Datum>,
    /// Over a changelog: each value (by its key encoding) with the arrival numbers of its rows
    /// still held, oldest first, so a retraction finds its row. `None` over insert-only input.
    pub index: Option<HashMap<Vec<u8>, VecDeque<u64>>>,
    /// Retractions that came before the row they take back (a value's key encoding and how
    /// many): the row, when it comes, cancels one instead of being held.
    pub owed: HashMap<Vec<u8>, i64>,
    /// LISTAGG's separator: the one given with the latest row, as Flink's LISTAGG keeps it.
    pub separator: String,
}

impl Sequence {
    /// No values; `retractions`: able to take rows back.
    pub fn new(kind: SequenceKind, retractions: bool) -> Self {
        Sequence {
            kind,
            next: 0,
            values: BTreeMap::new(),
            index: retractions.then(HashMap::new),
            owed: HashMap::new(),
            separator: ",".to_string(),
        }
    }

    /// Appends `value` (unless it pays off an earlier retraction).
    pub fn add(&mut self, value: Datum) {
        if let Some(index) = &mut self.index {
            let mut key = Vec::new();
            value.encode_key(&mut key);
            if let Some(owed) = self.owed.get_mut(&key) {
                *owed -= 1;
                if *owed == 0 {
                    self.owed.remove(&key);
                }
                return;
            }
            index.entry(key).or_default().push_back(self.next);
        }
        self.values.insert(self.next, value);
        self.next += 1;
    }

    /// Takes back the earliest row still held with `value`; with none held, the retraction is
    /// owed to the row that comes later. Without an index (insert-only input) it is refused.
    pub fn retract(&mut self, value: &Datum) -> bool {
        let Some(index) = &mut self.index else { return false };
        let mut key = Vec::new();
        value.encode_key(&mut key);
        let held = index.get_mut(&key).and_then(VecDeque::pop_front);
        match held {
            Some(seq) => {
                if index.get(&key).is_some_and(VecDeque::is_empty) {
                    index.remove(&key);
                }
                self.values.remove(&seq);
            }
            None => *self.owed.entry(key).or_insert(0) += 1,
        }
        true
    }

    /// Appends another partial state's values after this one's (local pre-aggregation and
    /// SESSION window merges, whose inputs are insert-only).
    pub fn merge(&mut self, other: &Sequence) {
        for value in other.values.values() {
            self.add(value.clone());
        }
        for (key, n) in &other.owed {
            *self.owed.entry(key.clone()).or_insert(0) += n;
        }
        if other.kind == SequenceKind::ListAgg && !other.values.is_empty() {
            self.separator.clone_from(&other.separator);
        }
    }

    /// The aggregate's value: NULL over no values, except JSON_ARRAYAGG's `[]`.
    pub fn value(&self) -> Datum {
        match self.kind {
            SequenceKind::First => self.values.values().next().cloned().unwrap_or(Datum::Null),
            SequenceKind::Last => self.values.values().next_back().cloned().unwrap_or(Datum::Null),
            SequenceKind::ListAgg if self.values.is_empty() => Datum::Null,
            SequenceKind::ListAgg => {
                let mut out = String::new();
                for (i, v) in self.values.values().enumerate() {
                    if i > 0 {
                        out.push_str(&self.separator);
                    }
                    if let Datum::Str(s) = v {
                        out.push_str(s);
                    }
                }
                Datum::Str(out)
            }
            SequenceKind::ArrayAgg if self.values.is_empty() => Datum::Null,
            SequenceKind::ArrayAgg => Datum::Array(self.values.values().cloned().collect()),
            SequenceKind::JsonArray => {
                let mut out = String::from("[");
                for (i, v) in self.values.values().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    match v {
                        Datum::Str(json) => out.push_str(json),
                        _ => out.push_str("null"),
                    }
                }
                out.push(']');
                Datum::Str(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Datum {
        Datum::Str(v.to_string())
    }

    #[test]
    fn first_and_last_follow_arrival_and_retraction() {
        let mut first = Sequence::new(SequenceKind::First, true);
        let mut last = Sequence::new(SequenceKind::Last, true);
        for v in ["a", "b", "a", "c"] {
            first.add(s(v));
            last.add(s(v));
        }
        assert_eq!((first.value(), last.value()), (s("a"), s("c")));
        // Retracting `a` takes the first `a` back: the first held is now `b`.
        first.retract(&s("a"));
        last.retract(&s("c"));
        assert_eq!((first.value(), last.value()), (s("b"), s("a")));
        first.retract(&s("b"));
        assert_eq!(first.value(), s("a"));
        first.retract(&s("a"));
        first.retract(&s("c"));
        assert_eq!(first.value(), Datum::Null);
    }

    #[test]
    fn a_retraction_before_its_row_cancels_it() {
        let mut list = Sequence::new(SequenceKind::ListAgg, true);
        list.add(s("x"));
        assert!(list.retract(&s("y")));
        list.add(s("y"));
        list.add(s("z"));
        assert_eq!(list.value(), s("x,z"));
        // Insert-only state cannot take a row back.
        assert!(!Sequence::new(SequenceKind::ListAgg, false).retract(&s("x")));
    }

    #[test]
    fn listagg_separator_and_empty() {
        let mut list = Sequence::new(SequenceKind::ListAgg, false);
        assert_eq!(list.value(), Datum::Null);
        list.separator = " | ".to_string();
        list.add(s("a"));
        list.add(s(""));
        list.add(s("b"));
        assert_eq!(list.value(), s("a |  | b"));
    }

    #[test]
    fn arrays_keep_nulls_and_json_arrays_are_text() {
        let mut array = Sequence::new(SequenceKind::ArrayAgg, true);
        assert_eq!(array.value(), Datum::Null);
        array.add(Datum::Int(1));
        array.add(Datum::Null);
        array.add(Datum::Int(1));
        array.retract(&Datum::Int(1));
        assert_eq!(array.value(), Datum::Array(vec![Datum::Null, Datum::Int(1)]));
        let mut json = Sequence::new(SequenceKind::JsonArray, false);
        assert_eq!(json.value(), s("[]"));
        json.add(s("1"));
        json.add(s("\"a\""));
        let mut other = Sequence::new(SequenceKind::JsonArray, false);
        other.add(s("null"));
        json.merge(&other);
        assert_eq!(json.value(), s("[1,\"a\",null]"));
    }
}
