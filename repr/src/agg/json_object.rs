//! JSON_OBJECTAGG(KEY k VALUE v [NULL | ABSENT ON NULL]): a JSON object of the group's key/value
//! pairs. A key given twice is an error, as in Flink; a retraction removes its key.

use super::AggError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The pairs of one group: each key with its value's JSON text and how many rows hold it
/// (1, or below 0 while a retraction precedes its row).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonObject {
    /// Key → (value as JSON text, rows holding it); entries at zero are removed. Keys are
    /// written in their sorted order, so every run writes a group's object the same way.
    pub entries: BTreeMap<String, (String, i64)>,
}

impl JsonObject {
    /// No pairs.
    pub fn new() -> Self {
        JsonObject { entries: BTreeMap::new() }
    }

    /// Adds (`diff` 1) or takes back (`diff` -1) the pair `key: json`. A second row with a key
    /// already held is [`AggError::DuplicateKey`].
    pub fn update(&mut self, key: &str, json: String, diff: i64) -> Result<(), AggError> {
        match self.entries.get_mut(key) {
            Some((_, n)) if diff > 0 && *n > 0 => {
                return Err(AggError::DuplicateKey { func: "JSON_OBJECTAGG", key: key.to_string() });
            }
            Some((value, n)) => {
                *n += diff;
                if *n == 0 {
                    self.entries.remove(key);
                } else if diff > 0 {
                    *value = json;
                }
            }
            None => {
                self.entries.insert(key.to_string(), (json, diff));
            }
        }
        Ok(())
    }

    /// Folds in another partial state's pairs.
    pub fn merge(&mut self, other: &JsonObject) -> Result<(), AggError> {
        for (key, (json, n)) in &other.entries {
            let diff = n.signum();
            for _ in 0..n.unsigned_abs() {
                self.update(key, json.clone(), diff)?;
            }
        }
        Ok(())
    }

    /// The JSON object text: `{}` with no pairs.
    pub fn value(&self) -> String {
        let mut out = Vec::from(b"{".as_slice());
        let mut first = true;
        for (key, (json, n)) in &self.entries {
            if *n <= 0 {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            crate::column::write_json_string(key, &mut out);
            out.push(b':');
            out.extend_from_slice(json.as_bytes());
        }
        out.push(b'}');
        String::from_utf8_lossy(&out).into_owned()
    }
}

impl Default for JsonObject {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_sorted_by_key_and_duplicates_refused() {
        let mut o = JsonObject::new();
        assert_eq!(o.value(), "{}");
        o.update("b", "2".into(), 1).unwrap();
        o.update("a", "\"x\"".into(), 1).unwrap();
        assert_eq!(o.value(), r#"{"a":"x","b":2}"#);
        assert!(matches!(o.update("a", "3".into(), 1), Err(AggError::DuplicateKey { .. })));
        // Retracted, the key may come again.
        o.update("a", "\"x\"".into(), -1).unwrap();
        o.update("a", "null".into(), 1).unwrap();
        assert_eq!(o.value(), r#"{"a":null,"b":2}"#);
    }

    #[test]
    fn a_retraction_before_its_row_cancels_it() {
        let mut o = JsonObject::new();
        o.update("k", "1".into(), -1).unwrap();
        assert_eq!(o.value(), "{}");
        o.update("k", "1".into(), 1).unwrap();
        assert_eq!(o.value(), "{}");
        o.update("k", "2".into(), 1).unwrap();
        assert_eq!(o.value(), r#"{"k":2}"#);
    }

    #[test]
    fn merging_finds_duplicates_across_partials() {
        let (mut a, mut b) = (JsonObject::new(), JsonObject::new());
        a.update("x", "1".into(), 1).unwrap();
        b.update("y", "2".into(), 1).unwrap();
        a.merge(&b).unwrap();
        assert_eq!(a.value(), r#"{"x":1,"y":2}"#);
        assert!(a.merge(&b).is_err());
    }
}
