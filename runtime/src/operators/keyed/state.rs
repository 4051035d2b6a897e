//! Per-key aggregate state, as GROUP BY and windows keep it on a key's owner: a [`Group`] per
//! key in a `GroupMap` keyed by the key's encoding, and the steps that change it (add a row,
//! retract one, merge a partial state, emit the change since the last emission).
//!
//! Every map here is keyed by the key encoding that `route::encode_key` writes, hashed with
//! `hasher`: an entry's key group is `KeyGroups::group_of(hasher().hash_one(key))`, so state
//! can be split by key group from its keys alone (to restore at another worker count).

use crate::error::DataflowError;
use ahash::RandomState;
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};
use vstream_repr::agg::{Accumulator, AggError, AggregateSpec};
use vstream_repr::{Batch, Column, ColumnData, Datum, RowKind, Schema};

/// One group's state: its key, its accumulators, and the aggregate values last emitted for it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Group {
    /// The key values (what the output rows carry).
    pub(crate) key: Vec<Datum>,
    /// One accumulator per aggregate.
    pub(crate) accs: Vec<Accumulator>,
    /// The aggregate values last emitted, if any (to retract when they change).
    pub(crate) emitted: Option<Vec<Datum>>,
    /// Changed since the last emission (so a key touched many times in an epoch emits once).
    pub(crate) dirty: bool,
    /// Rows added less rows retracted (kept only over a changelog: the group ends at zero).
    pub(crate) rows: i64,
}

impl Group {
    /// A group of `key` with empty accumulators for `aggs` (that take retractions with
    /// `retractions`).
    pub(crate) fn new(key: Vec<Datum>, aggs: &[AggregateSpec], retractions: bool) -> Self {
        let accs = aggs.iter().map(|a| Accumulator::with_retractions(a, retractions)).collect();
        Group { key, accs, emitted: None, dirty: false, rows: 0 }
    }

    /// A group of `key` that starts from a partial state.
    pub(crate) fn from_partial(key: Vec<Datum>, accs: &[Accumulator]) -> Self {
        Group { key, accs: accs.to_vec(), emitted: None, dirty: false, rows: 0 }
    }
}

/// The hasher that both picks a key's group (and so its worker) and indexes the state. Fixed
/// seeds: every worker (and every process, and a later run restoring state) must place a key
/// the same way.
pub(crate) fn hasher() -> RandomState {
    RandomState::with_seeds(0x5eed_0001, 0x5eed_0002, 0x5eed_0003, 0x5eed_0004)
}

/// The hash of a key encoding, as routing and the state maps take it.
pub(crate) fn key_hash(key: &[u8]) -> u64 {
    hasher().hash_one(key)
}

/// Groups by key encoding.
pub(crate) type GroupMap = HashMap<Vec<u8>, Group, RandomState>;

/// An empty [`GroupMap`] with the fixed-seed hasher.
pub(crate) fn new_group_map() -> GroupMap {
    HashMap::with_hasher(hasher())
}

/// Serde for maps keyed by key encoding (`#[serde(with = "keyed_map")]`), as a sequence of
/// (key, value) pairs. A map read back is rebuilt with [`hasher`]: hashbrown's own serde would
/// make it with `RandomState::default()`, random seeds.
pub(crate) mod keyed_map {
    use super::hasher;
    use ahash::RandomState;
    use hashbrown::HashMap;
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes the map's entries in its iteration order.
    pub(crate) fn serialize<V: Serialize, S: Serializer>(map: &HashMap<Vec<u8>, V, RandomState>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    /// Reads entries into a map with the fixed-seed hasher.
    pub(crate) fn deserialize<'de, V: DeserializeOwned, D: Deserializer<'de>>(d: D) -> Result<HashMap<Vec<u8>, V, RandomState>, D::Error> {
        let entries: Vec<(Vec<u8>, V)> = Vec::deserialize(d)?;
        let mut map = HashMap::with_capacity_and_hasher(entries.len(), hasher());
        map.extend(entries);
        Ok(map)
    }
}

/// The group of `key` in `map`, created by `init` if new (one hash lookup either way; the key
/// is copied only for a new group). `changed` gets the key the first time the group is touched
/// since its last emission.
pub(crate) fn touch_group<'m>(
    map: &'m mut GroupMap,
    key: &[u8],
    init: impl FnOnce() -> Group,
    changed: &mut Vec<Vec<u8>>,
) -> &'m mut Group {
    let group = map.entry_ref(key).or_insert_with(init);
    if !group.dirty {
        group.dirty = true;
        changed.push(key.to_vec());
    }
    group
}

/// Whether aggregate `spec` takes row `row` (its FILTER column, if any, is TRUE there).
fn passes_filter(spec: &AggregateSpec, batch: &Batch, row: usize) -> bool {
    spec.filter.is_none_or(|f| {
        let c = &batch.columns[f];
        c.is_valid(row) && matches!(&c.data, ColumnData::Bool(v) if v[row])
    })
}

/// Adds row `row` of `batch` to one group's accumulators, skipping aggregates whose FILTER
/// column is not TRUE there.
pub(crate) fn add_row(accs: &mut [Accumulator], aggs: &[AggregateSpec], batch: &Batch, row: usize) -> Result<(), AggError> {
    for (acc, spec) in accs.iter_mut().zip(aggs) {
        if passes_filter(spec, batch, row) {
            acc.add_row(&batch.columns, row, spec)?;
        }
    }
    Ok(())
}

/// Takes row `row` of `batch` back from one group's accumulators (the inverse of `add_row`).
pub(crate) fn retract_row(accs: &mut [Accumulator], aggs: &[AggregateSpec], batch: &Batch, row: usize) -> Result<(), AggError> {
    for (acc, spec) in accs.iter_mut().zip(aggs) {
        if passes_filter(spec, batch, row) {
            acc.retract_row(&batch.columns, row, spec)?;
        }
    }
    Ok(())
}

/// Folds a partial state of the same aggregates into `accs`.
pub(crate) fn merge_accs(accs: &mut [Accumulator], partial: &[Accumulator], aggs: &[AggregateSpec]) -> Result<(), AggError> {
    for ((acc, p), spec) in accs.iter_mut().zip(partial).zip(aggs) {
        acc.merge(p, spec)?;
    }
    Ok(())
}

/// The change of one group since its last emission: nothing if its values are the same, else a
/// retraction of the old row (`-U`) and the new row (`+U`), or `+I` if none was emitted. Only
/// the aggregate values are kept between emissions; `row` makes the whole row from them.
pub(crate) fn emit_change(
    accs: &[Accumulator],
    emitted: &mut Option<Vec<Datum>>,
    row: impl Fn(&[Datum]) -> Vec<Datum>,
    rows: &mut Vec<Vec<Datum>>,
    kinds: &mut Vec<RowKind>,
) {
    let values: Vec<Datum> = accs.iter().map(Accumulator::value).collect();
    match emitted {
        Some(old) if *old == values => return,
        Some(old) => {
            rows.push(row(old));
            kinds.push(RowKind::UpdateBefore);
            rows.push(row(&values));
            kinds.push(RowKind::UpdateAfter);
        }
        None => {
            rows.push(row(&values));
            kinds.push(RowKind::Insert);
        }
    }
    *emitted = Some(values);
}

/// An aggregate's error for a group: `query into `out`: SUM overflows DECIMAL(38, 0) for the
/// group ('a')`. `schema` holds the key columns' fields.
pub(crate) fn group_error(label: &str, key: &[Datum], schema: &Schema, e: &AggError) -> DataflowError {
    let key: Vec<String> = key.iter().zip(&schema.fields).map(|(d, f)| datum_text(d, f.ty)).collect();
    let group = if key.is_empty() { "the global aggregate".to_string() } else { format!("the group ({})", key.join(", ")) };
    DataflowError::Compute { operator: label.to_string(), group: Some(group), message: e.to_string() }
}

/// A key value as SQL would write it, for error messages.
fn datum_text(d: &Datum, ty: vstream_repr::DataType) -> String {
    match d {
        Datum::Null => "NULL".to_string(),
        Datum::Str(s) => format!("'{s}'"),
        other => {
            let c = Column::from_datums(ty, std::slice::from_ref(other));
            let mut b = Vec::new();
            c.write_text(0, &mut b);
            String::from_utf8_lossy(&b).into_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map written and read back finds its keys: it is rebuilt with the fixed-seed hasher.
    #[test]
    fn group_maps_round_trip_through_serde() {
        #[derive(Serialize, Deserialize)]
        struct State {
            #[serde(with = "keyed_map")]
            groups: GroupMap,
        }
        let mut groups = new_group_map();
        for k in 0..100u32 {
            groups.insert(k.to_le_bytes().to_vec(), Group::new(vec![Datum::Int(k as i64)], &[], false));
        }
        let text = serde_json::to_string(&State { groups }).expect("state serializes");
        let back: State = serde_json::from_str(&text).expect("state deserializes");
        assert_eq!(back.groups.len(), 100);
        for k in 0..100u32 {
            let g = back.groups.get(&k.to_le_bytes()[..]).expect("every key is found");
            assert_eq!(g.key, vec![Datum::Int(k as i64)]);
        }
        assert_eq!(back.groups.hasher().hash_one(b"x".as_slice()), key_hash(b"x"));
    }
}
