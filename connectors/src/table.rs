//! Rows as an aligned table for a terminal, psql-style:
//!
//! ```text
//!  auction | price
//! ---------+-------
//!     1007 |   371
//! (1 row)
//! ```

use vstream_repr::{Batch, Schema};

/// Renders rows of already formatted cells (`None` is NULL) under a schema's column names.
/// Numeric columns are right-aligned, others left-aligned; headers are centred.
#[derive(Clone, Debug)]
pub struct TableFormatter {
    names: Vec<String>,
    right: Vec<bool>,
}

fn width(s: &str) -> usize {
    s.chars().count()
}

impl TableFormatter {
    /// A formatter for rows of `schema`: its column names as headers, numbers right-aligned.
    pub fn new(schema: &Schema) -> Self {
        TableFormatter {
            names: schema.fields.iter().map(|f| f.name.clone()).collect(),
            right: schema.fields.iter().map(|f| f.ty.is_numeric()).collect(),
        }
    }

    /// The cells of a batch, formatted as CSV writes them (`None` for NULL).
    pub fn cells(batch: &Batch) -> Vec<Vec<Option<String>>> {
        let mut buf = Vec::new();
        (0..batch.len)
            .map(|i| {
                batch
                    .columns
                    .iter()
                    .map(|c| {
                        c.is_valid(i).then(|| {
                            buf.clear();
                            c.write_text(i, &mut buf);
                            String::from_utf8_lossy(&buf).into_owned()
                        })
                    })
                    .collect()
            })
            .collect()
    }

    /// The table: header, separator, one line per row, and a `(N rows)` footer; every line ends
    /// with `\n`.
    pub fn render(&self, rows: &[Vec<Option<String>>]) -> String {
        let cell = |c: &Option<String>| -> String { c.clone().unwrap_or_else(|| "NULL".to_string()) };
        let mut widths: Vec<usize> = self.names.iter().map(|n| width(n)).collect();
        for row in rows {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.as_deref().map_or(4, width));
            }
        }
        let mut out = String::new();
        let mut line = String::new();
        let finish = |line: &mut String, out: &mut String| {
            out.push_str(line.trim_end_matches(' '));
            out.push('\n');
            line.clear();
        };
        for (i, (name, w)) in self.names.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push('|');
            }
            let pad = w - width(name);
            line.push(' ');
            line.push_str(&" ".repeat(pad / 2));
            line.push_str(name);
            line.push_str(&" ".repeat(pad - pad / 2));
            line.push(' ');
        }
        finish(&mut line, &mut out);
        let sep: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
        out.push_str(&sep.join("+"));
        out.push('\n');
        for row in rows {
            for (i, w) in widths.iter().enumerate() {
                if i > 0 {
                    line.push('|');
                }
                let text = row.get(i).map(cell).unwrap_or_default();
                let pad = " ".repeat(w - width(&text));
                line.push(' ');
                if self.right[i] {
                    line.push_str(&pad);
                    line.push_str(&text);
                } else {
                    line.push_str(&text);
                    line.push_str(&pad);
                }
                line.push(' ');
            }
            finish(&mut line, &mut out);
        }
        out.push_str(&if rows.len() == 1 { "(1 row)\n".to_string() } else { format!("({} rows)\n", rows.len()) });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vstream_repr::{Column, ColumnData, DataType, Field, StringColumn};

    #[test]
    fn renders_aligned() {
        let schema = Schema::new(vec![Field::new("auction", DataType::BigInt), Field::new("price", DataType::BigInt)]);
        let t = TableFormatter::new(&schema);
        assert_eq!(
            t.render(&[vec![Some("1007".into()), Some("371".into())]]),
            " auction | price\n---------+-------\n    1007 |   371\n(1 row)\n"
        );
        assert_eq!(t.render(&[]), " auction | price\n---------+-------\n(0 rows)\n");
    }

    #[test]
    fn renders_batches_with_nulls() {
        let schema = Schema::new(vec![Field::new("n", DataType::Int), Field::new("channel", DataType::Varchar)]);
        let names: StringColumn = ["Apple", "Google"].iter().map(|s| s.to_string()).collect();
        let b = Batch::new(
            2,
            vec![
                Column::new(DataType::Int, ColumnData::Int(vec![12345, 0]), Some(vec![true, false])),
                Column::new(DataType::Varchar, ColumnData::Str(names), None),
            ],
        );
        let text = TableFormatter::new(&schema).render(&TableFormatter::cells(&b));
        assert_eq!(text, "   n   | channel\n-------+---------\n 12345 | Apple\n  NULL | Google\n(2 rows)\n");
    }
}
