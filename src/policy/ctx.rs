//! Where a policy problem is: byte spans turned into line and column,
//! and the typed values every table shares (times, countries).

//! Parsing the policy file (SPEC section 6): TOML into checked values,
//! every problem an error with the file, line and column.

use super::*;
use crate::wire::country::Country;
use crate::wire::time::{self, Timestamp};
use std::path::Path;
use toml::Spanned;
use toml::value::{Datetime, Offset};

/// A policy being parsed: its path and text, for error locations.
pub(super) struct Ctx<'a> {
    path: &'a Path,
    src: &'a str,
    /// Offset of the start of every line after the first, found once: a
    /// line number per waiver must not rescan a 4 MiB file each time.
    line_starts: Vec<usize>,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(path: &'a Path, src: &'a str) -> Self {
        let line_starts = src
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        Ctx {
            path,
            src,
            line_starts,
        }
    }

    pub(super) fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.src.len());
        let before = &self.src.as_bytes()[..offset];
        // Lines that start at or before `offset`, plus the first.
        let line = self.line_starts.partition_point(|&s| s <= offset) + 1;
        let line_start = if line > 1 {
            self.line_starts.get(line - 2).copied().unwrap_or(0)
        } else {
            0
        };
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        (line, column)
    }

    pub(super) fn err(
        &self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> PolicyError {
        let (line, column) = self.line_col(span.start);
        PolicyError::At {
            path: self.path.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }

    pub(super) fn time(&self, dt: &Spanned<Datetime>) -> Result<Timestamp, PolicyError> {
        let v = dt.get_ref();
        let (Some(d), Some(t), Some(o)) = (v.date, v.time, v.offset) else {
            return Err(self.err(
                dt.span(),
                format!("'{v}' needs a date, a time and a UTC offset, e.g. 2026-01-01T00:00:00Z"),
            ));
        };
        let offset = match o {
            Offset::Z => 0,
            Offset::Custom { minutes } => i64::from(minutes),
        };
        time::from_fields(
            i64::from(d.year),
            u32::from(d.month),
            u32::from(d.day),
            u32::from(t.hour),
            u32::from(t.minute),
            u32::from(t.second.unwrap_or(0)),
            offset,
        )
        .map_err(|e| self.err(dt.span(), format!("'{v}': {e}")))
    }

    pub(super) fn country(&self, s: &Spanned<String>) -> Result<Country, PolicyError> {
        Country::new(s.get_ref()).map_err(|e| self.err(s.span(), e.to_string()))
    }
}
