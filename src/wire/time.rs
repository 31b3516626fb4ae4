//! Times: unsigned seconds since 1970-01-01 UTC, written as RFC 3339.

use std::fmt;

/// Seconds since 1970-01-01T00:00:00Z (the `time` type of SPEC section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub u64);

/// Why a time string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeError {
    /// Not of the form `YYYY-MM-DDTHH:MM:SS` followed by `Z` or `±HH:MM`.
    Syntax,
    /// A field is out of range (month 13, 31 February, hour 24, ...).
    OutOfRange,
    /// Before 1970-01-01T00:00:00Z.
    BeforeEpoch,
    /// Not UTC (`Z`) where UTC is required.
    NotUtc,
    /// Has fractional seconds where whole seconds are required.
    Fractional,
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeError::Syntax => "not an RFC 3339 time such as 2026-01-01T00:00:00Z",
            TimeError::OutOfRange => {
                "a date or time field is out of range, or the time is after 9999-12-31T23:59:59Z"
            }
            TimeError::BeforeEpoch => "time is before 1970-01-01T00:00:00Z",
            TimeError::NotUtc => "time must be in UTC, ending in 'Z'",
            TimeError::Fractional => "time must be whole seconds",
        })
    }
}

impl std::error::Error for TimeError {}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Seconds since the epoch for a broken-down UTC time, checking every field.
pub(crate) fn from_fields(
    y: i64,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    offset_minutes: i64,
) -> Result<Timestamp, TimeError> {
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60
    {
        return Err(TimeError::OutOfRange);
    }
    // A leap second is read as the last second of the minute.
    let s = s.min(59);
    let secs = days_from_civil(y, mo, d) * 86_400
        + i64::from(h) * 3600
        + i64::from(mi) * 60
        + i64::from(s)
        - offset_minutes * 60;
    let t = u64::try_from(secs)
        .map(Timestamp)
        .map_err(|_| TimeError::BeforeEpoch)?;
    // An offset can carry 9999-12-31T23:30:00-01:00 past the last time
    // RFC 3339 can write in UTC; such a time could never be printed back.
    if t > Timestamp::MAX {
        return Err(TimeError::OutOfRange);
    }
    Ok(t)
}

fn digits(s: &[u8]) -> Result<u32, TimeError> {
    let mut n = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return Err(TimeError::Syntax);
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Ok(n)
}

impl Timestamp {
    /// 9999-12-31T23:59:59Z, the last time RFC 3339 can write (four-digit
    /// years). Statement times beyond it are refused.
    pub const MAX: Timestamp = Timestamp(253_402_300_799);

    /// Parses an RFC 3339 date-time with any offset; fractional seconds are
    /// truncated. Used for `--at`.
    pub fn parse_rfc3339(s: &str) -> Result<Timestamp, TimeError> {
        Self::parse(s, false)
    }

    /// Parses the authoring form: RFC 3339, UTC (`Z`), whole seconds.
    pub fn parse_utc(s: &str) -> Result<Timestamp, TimeError> {
        Self::parse(s, true)
    }

    fn parse(s: &str, strict: bool) -> Result<Timestamp, TimeError> {
        let b = s.as_bytes();
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b'T' | b't')
            || b[13] != b':'
            || b[16] != b':'
        {
            return Err(TimeError::Syntax);
        }
        let y = i64::from(digits(&b[0..4])?);
        let (mo, d) = (digits(&b[5..7])?, digits(&b[8..10])?);
        let (h, mi, sec) = (
            digits(&b[11..13])?,
            digits(&b[14..16])?,
            digits(&b[17..19])?,
        );
        let mut rest = &b[19..];
        if rest.first() == Some(&b'.') {
            if strict {
                return Err(TimeError::Fractional);
            }
            let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return Err(TimeError::Syntax);
            }
            rest = &rest[1 + n..];
        }
        let offset = match rest {
            b"Z" | b"z" => 0,
            [sign @ (b'+' | b'-'), oh @ .., b':', m1, m2] if oh.len() == 2 => {
                if strict {
                    return Err(TimeError::NotUtc);
                }
                let (oh, om) = (digits(oh)?, digits(&[*m1, *m2])?);
                if oh > 23 || om > 59 {
                    return Err(TimeError::OutOfRange);
                }
                let o = i64::from(oh * 60 + om);
                if *sign == b'-' { -o } else { o }
            }
            _ => return Err(TimeError::Syntax),
        };
        from_fields(y, mo, d, h, mi, sec, offset)
    }

    /// The calendar day in UTC, `YYYY-MM-DD` (the date part of RFC 3339).
    pub fn date(self) -> String {
        let t = self.to_string();
        t.get(..10).unwrap_or(&t).to_owned()
    }

    /// The current system time.
    pub fn now() -> Timestamp {
        Timestamp(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        )
    }

    /// Adds seconds, saturating.
    pub fn plus(self, secs: u64) -> Timestamp {
        Timestamp(self.0.saturating_add(secs))
    }
}

impl fmt::Display for Timestamp {
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = i64::try_from(self.0).unwrap_or(i64::MAX);
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            (rem % 3600) / 60,
            rem % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let t = Timestamp::parse_utc("2026-03-01T00:00:00Z").unwrap();
        assert_eq!(t.0, 1_772_323_200);
        assert_eq!(t.to_string(), "2026-03-01T00:00:00Z");
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::parse_rfc3339("2026-03-01T01:00:00+01:00").unwrap(),
            t
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2026-03-01T00:00:00.999Z").unwrap(),
            t
        );
        assert_eq!(
            Timestamp::parse_utc("2026-03-01T00:00:00.5Z"),
            Err(TimeError::Fractional)
        );
        assert_eq!(
            Timestamp::parse_utc("2026-03-01T00:00:00+00:00"),
            Err(TimeError::NotUtc)
        );
        assert_eq!(
            Timestamp::parse_utc("2026-02-29T00:00:00Z"),
            Err(TimeError::OutOfRange)
        );
        assert!(Timestamp::parse_utc("2024-02-29T00:00:00Z").is_ok());
        assert_eq!(
            Timestamp::parse_utc("1969-12-31T23:59:59Z"),
            Err(TimeError::BeforeEpoch)
        );
        assert_eq!(
            Timestamp::parse_utc("2026-1-01T00:00:00Z"),
            Err(TimeError::Syntax)
        );
        assert_eq!(
            Timestamp::parse_utc("2026-01-01 00:00:00Z"),
            Err(TimeError::Syntax)
        );
    }

    #[test]
    fn max_is_the_last_rfc3339_second() {
        assert_eq!(Timestamp::MAX.to_string(), "9999-12-31T23:59:59Z");
        // Review finding: an offset carrying a time past year 9999 printed
        // as "10000-01-01"; it is out of range.
        assert_eq!(
            Timestamp::parse_rfc3339("9999-12-31T23:30:00-01:00"),
            Err(TimeError::OutOfRange)
        );
        assert_eq!(
            Timestamp::parse_rfc3339("9999-12-31T23:30:00+01:00").map(|t| t.to_string()),
            Ok("9999-12-31T22:30:00Z".to_string())
        );
        assert_eq!(
            Timestamp::parse_utc("9999-12-31T23:59:59Z"),
            Ok(Timestamp::MAX)
        );
    }

    #[test]
    fn round_trips_many_days() {
        for d in (0..200_000u64).step_by(37) {
            let t = Timestamp(d * 86_400 + 3661);
            assert_eq!(Timestamp::parse_utc(&t.to_string()).unwrap(), t);
        }
    }
}
