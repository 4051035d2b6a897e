//! Planning errors: what went wrong, where in the script, and how to fix it.

use sqlparser::tokenizer::Span;
use std::fmt;

/// Where in the script an error points: 1-based line and column, and the end of the offending
/// token on the same line (for the `^^^` marker).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: u64,
    /// 1-based column where the offending token starts.
    pub column: u64,
    /// The column where it ends, when it ends on the same line.
    pub end_column: Option<u64>,
}

impl Position {
    /// The position of a sqlparser span; `None` for an empty (unknown) span.
    pub fn from_span(span: Span) -> Option<Position> {
        (span.start.line > 0).then(|| Position {
            line: span.start.line,
            column: span.start.column,
            end_column: (span.end.line == span.start.line && span.end.column > span.start.column).then_some(span.end.column),
        })
    }
}

/// What kind of mistake a [`PlanError`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The SQL does not parse.
    Syntax,
    /// The SQL parses but is wrong: an unknown name, a type mismatch, a bad option.
    Invalid,
    /// Valid SQL that vstream does not run yet.
    NotSupported,
    /// A bug in vstream: an invariant of the planner broke. No script should cause one.
    Internal,
}

/// An error in a script, with its position when known and a hint when one helps.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct PlanError {
    /// What kind of mistake it is.
    pub kind: ErrorKind,
    /// What is wrong, without the hint.
    pub message: String,
    /// Where in the script, when known.
    pub position: Option<Position>,
    /// How to fix it, when a hint helps.
    pub hint: Option<String>,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "; {h}")?;
        }
        if let Some(p) = &self.position {
            write!(f, " (at line {}, column {})", p.line, p.column)?;
        }
        Ok(())
    }
}

impl PlanError {
    /// SQL that parses but is wrong (`message`), at `span`.
    pub fn invalid(message: impl Into<String>, span: Span) -> Self {
        PlanError { kind: ErrorKind::Invalid, message: message.into(), position: Position::from_span(span), hint: None }
    }
    /// Valid SQL that vstream does not run yet: "`what` is not supported yet", at `span`.
    pub fn not_supported(what: impl Into<String>, span: Span) -> Self {
        PlanError {
            kind: ErrorKind::NotSupported,
            message: format!("{} is not supported yet", what.into()),
            position: Position::from_span(span),
            hint: None,
        }
    }
    /// A broken invariant of the planner (`what` went wrong), reported at `span` rather than
    /// panicking.
    pub fn internal(what: impl Into<String>, span: Span) -> Self {
        PlanError {
            kind: ErrorKind::Internal,
            message: format!("internal error: {}", what.into()),
            position: Position::from_span(span),
            hint: None,
        }
    }
    /// The error with a hint on how to fix it.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    /// The error with `hint` as its hint (none if `None`).
    pub fn with_hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// Turns a sqlparser error (`... at Line: 3, Column: 17`) into a positioned syntax error.
    pub fn from_parser(e: sqlparser::parser::ParserError) -> Self {
        let text = match e {
            sqlparser::parser::ParserError::ParserError(s) | sqlparser::parser::ParserError::TokenizerError(s) => s,
            other => other.to_string(),
        };
        let (message, position) = match text.rfind(" at Line: ") {
            Some(i) => {
                let loc = &text[i + " at Line: ".len()..];
                let mut parts = loc.split(", Column: ");
                let line = parts.next().and_then(|l| l.trim().parse().ok());
                let column = parts.next().and_then(|c| c.trim().parse().ok());
                let pos = line.zip(column).map(|(line, column)| Position { line, column, end_column: None });
                (text[..i].to_string(), pos)
            }
            None => (text, None),
        };
        PlanError { kind: ErrorKind::Syntax, message: format!("syntax error: {message}"), position, hint: None }
    }

    /// Renders the error the way a compiler does: the message, `path:line:column`, the script's
    /// line and a marker under the offending token.
    pub fn render(&self, source: &str, path: &str) -> String {
        let mut out = format!("error: {}", self.message);
        if let Some(h) = &self.hint {
            out.push_str("; ");
            out.push_str(h);
        }
        out.push('\n');
        if let Some(p) = &self.position {
            out.push_str(&format!("  --> {path}:{}:{}\n", p.line, p.column));
            if let Some(text) = source.lines().nth((p.line - 1) as usize) {
                let gutter = p.line.to_string();
                let pad = " ".repeat(gutter.len());
                let col = (p.column.max(1) - 1) as usize;
                let width = p.end_column.map_or(1, |e| (e - p.column) as usize).max(1);
                // Columns count characters; tabs are kept so the marker lines up.
                let lead: String = text.chars().take(col).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
                out.push_str(&format!("{pad} |\n{gutter} | {text}\n{pad} | {lead}{}\n", "^".repeat(width)));
            }
        } else {
            out.push_str(&format!("  --> {path}\n"));
        }
        out
    }
}

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    closest(word, candidates.iter().copied()).map(|i| format!("did you mean `{}`?", candidates[i]))
}

/// The position among `candidates` of the one closest to `word` (ignoring case), if it is close
/// enough to be a likely typo; the first of equally close ones.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<usize> {
    let w = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .enumerate()
        .map(|(i, c)| (strsim::levenshtein(&w, &c.to_ascii_lowercase()), c.len(), i))
        .filter(|(d, len, _)| *d <= 2.max(len / 3))
        .min_by_key(|(d, _, _)| *d)
        .map(|(_, _, i)| i)
}
