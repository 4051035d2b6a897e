//! Flink's script statements: statement sets, `EXPLAIN` of a statement, and the `SET` keys of
//! Flink's configuration.

use super::{Binder, Result};
use crate::error::{PlanError, did_you_mean};
use crate::logical::ScriptPlan;
use sqlparser::ast::{Spanned, Statement};
use sqlparser::tokenizer::Span;

/// Flink configuration keys that change what vstream does, handled by [`Binder::flink_setting`].
const MEANINGFUL_KEYS: &[&str] =
    &["parallelism.default", "table.exec.state.ttl", "execution.checkpointing.interval", "table.local-time-zone"];

/// Flink's documented configuration keys that mean nothing to vstream (it has no mini-batches,
/// no optimizer switches, one runtime mode, ...): `SET` of one is accepted with a notice.
const IGNORED_KEYS: &[&str] = &[
    "execution.buffer-timeout",
    "execution.checkpointing.max-concurrent-checkpoints",
    "execution.checkpointing.min-pause",
    "execution.checkpointing.mode",
    "execution.checkpointing.timeout",
    "execution.runtime-mode",
    "execution.savepoint.path",
    "pipeline.auto-watermark-interval",
    "pipeline.max-parallelism",
    "pipeline.name",
    "pipeline.object-reuse",
    "pipeline.operator-chaining",
    "sql-client.execution.max-table-result.rows",
    "sql-client.execution.result-mode",
    "sql-client.verbose",
    "state.backend.type",
    "state.checkpoints.dir",
    "state.savepoints.dir",
    "table.display.max-column-width",
    "table.dml-sync",
    "table.dynamic-table-options.enabled",
    "table.exec.async-lookup.buffer-capacity",
    "table.exec.async-lookup.timeout",
    "table.exec.disabled-operators",
    "table.exec.legacy-cast-behaviour",
    "table.exec.mini-batch.allow-latency",
    "table.exec.mini-batch.enabled",
    "table.exec.mini-batch.size",
    "table.exec.resource.default-parallelism",
    "table.exec.sink.keyed-shuffle",
    "table.exec.sink.not-null-enforcer",
    "table.exec.sink.upsert-materialize",
    "table.exec.source.cdc-events-duplicate",
    "table.exec.source.idle-timeout",
    "table.generated-code.max-length",
    "table.optimizer.agg-phase-strategy",
    "table.optimizer.distinct-agg.split.bucket-num",
    "table.optimizer.distinct-agg.split.enabled",
    "table.optimizer.join-reorder-enabled",
    "table.optimizer.multiple-input-enabled",
    "table.optimizer.reuse-source-enabled",
    "table.optimizer.reuse-sub-plan-enabled",
    "table.optimizer.source.predicate-pushdown-enabled",
    "table.sql-dialect",
];

/// vstream's own settings, handled in `Binder::set`.
pub(super) const VSTREAM_KEYS: &[&str] = &["emit.mode"];

impl Binder<'_> {
    /// `EXECUTE STATEMENT SET BEGIN ... END` or `BEGIN STATEMENT SET; ... END`: its INSERTs, bound
    /// in order. vstream runs a whole script as one job, so the set only groups them; Flink allows
    /// nothing but INSERTs in it.
    pub(super) fn statement_set(&mut self, statements: &[Statement]) -> Result<()> {
        for s in statements {
            match s {
                Statement::Insert(ins) => self.insert(ins, s.span())?,
                other => {
                    return Err(PlanError::invalid("a statement set holds only INSERT INTO statements", other.span())
                        .with_hint("declare tables and views and SET keys before the statement set"));
                }
            }
        }
        Ok(())
    }

    /// `EXPLAIN [PLAN FOR] stmt` of a query or INSERT: its plan, bound over the tables declared so
    /// far, is printed instead of being run.
    pub(super) fn explain(&mut self, statement: &Statement, span: Span) -> Result<()> {
        if !matches!(statement, Statement::Query(_) | Statement::Insert(_)) {
            return Err(PlanError::not_supported("EXPLAIN of this statement", span).with_hint("EXPLAIN a SELECT or an INSERT INTO"));
        }
        // Bound as a script of its own, so its sinks are not run.
        let outer = std::mem::take(&mut self.plan);
        let result = self.statement(statement);
        let explained = std::mem::replace(&mut self.plan, outer);
        result?;
        self.plan.explains.push(ScriptPlan { settings: self.plan.settings.clone(), ..explained });
        Ok(())
    }

    /// `SET 'key' = 'value'` of one of Flink's configuration keys: those that mean something here
    /// are stored, documented ones that do not are accepted with a notice, others refused with
    /// the closest known key as a hint.
    pub(super) fn flink_setting(&mut self, key: &str, value: &str, key_span: Span, value_span: Span) -> Result<()> {
        let lower = key.to_ascii_lowercase();
        let settings = &mut self.plan.settings;
        match lower.as_str() {
            "parallelism.default" => {
                let n: usize = value.trim().parse().ok().filter(|n| (1..=1024).contains(n)).ok_or_else(|| {
                    PlanError::invalid(
                        format!("'parallelism.default' must be a number of workers from 1 to 1024, not '{value}'"),
                        value_span,
                    )
                })?;
                settings.parallelism = Some(n);
            }
            "table.exec.state.ttl" => settings.state_ttl_ms = Some(duration_millis(key, value, value_span)?),
            "execution.checkpointing.interval" => settings.checkpoint_interval_ms = Some(duration_millis(key, value, value_span)?),
            _ if IGNORED_KEYS.contains(&lower.as_str()) => {
                settings.notices.push(format!("notice: SET '{key}' is a Flink setting that means nothing to vstream; ignored"));
            }
            _ => {
                let known = MEANINGFUL_KEYS.iter().chain(IGNORED_KEYS).chain(VSTREAM_KEYS).copied();
                return Err(PlanError::invalid(format!("unknown setting '{key}'"), key_span).with_hint_opt(
                    did_you_mean(key, known).or_else(|| {
                        Some(format!(
                            "the settings that mean something here: '{}'",
                            MEANINGFUL_KEYS.iter().chain(VSTREAM_KEYS).copied().collect::<Vec<_>>().join("', '")
                        ))
                    }),
                ));
            }
        }
        Ok(())
    }
}

/// A Flink duration (`'1 h'`, `'30 s'`, `'10min'`, `'500 ms'`, `'2 d'`; a bare number is
/// milliseconds) in milliseconds.
fn duration_millis(key: &str, value: &str, span: Span) -> Result<i64> {
    let text = value.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let factor: i64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000,
        "min" | "mins" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        _ => 0,
    };
    number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .filter(|_| factor > 0)
        .ok_or_else(|| PlanError::invalid(format!("'{key}' must be a duration such as '1 h', '30 min' or '500 ms', not '{value}'"), span))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let ms = |v: &str| duration_millis("k", v, Span::empty()).ok();
        assert_eq!(ms("1 h"), Some(3_600_000));
        assert_eq!(ms("10min"), Some(600_000));
        assert_eq!(ms("1500"), Some(1500));
        assert_eq!(ms("2 d"), Some(172_800_000));
        assert_eq!(ms("1 fortnight"), None);
        assert_eq!(ms("h"), None);
    }
}
