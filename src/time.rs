//! Dates and instants, through jiff: parsing rejects what is not a date (`2026-02-31`), and
//! formatting is the calendar's, not arithmetic of our own. Instants are Unix seconds (`i64`)
//! everywhere else in keyrot.

use jiff::civil::{Date, DateTime};
use jiff::Timestamp;

/// Now, as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_rfc3339() -> String {
    rfc3339(now())
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a Unix time (UTC); instants outside jiff's range (years -9999 to
/// 9999) are clamped to its ends.
pub fn rfc3339(unix: i64) -> String {
    let at = Timestamp::from_second(unix).unwrap_or(if unix < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    });
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The `YYYY-MM-DD` (UTC) of a Unix time: the day `--as-of` names, as conditions and ages
/// compare it.
pub fn day(unix: i64) -> String {
    rfc3339(unix)[..10].to_string()
}

/// `YYYY-MM-DD` (UTC midnight) as seconds since the epoch; the date part of a timestamp
/// (`2026-11-29T08:00:00Z`) is read as its date. `None` for anything that is not a real date
/// (`2026-02-31`, `2026-13-01`).
pub fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    let day = match text.as_bytes().get(10) {
        Some(b'T' | b't' | b' ') => text.get(..10)?,
        Some(_) => return None,
        None => text,
    };
    let date: Date = day.parse().ok()?;
    let at = date.to_zoned(jiff::tz::TimeZone::UTC).ok()?;
    Some(at.timestamp().as_second())
}

/// An RFC 3339 instant (`2026-11-29T08:00:00Z`, `...08:00:00.123+02:00`, as CloudTrail and
/// IAM write them) as seconds since the epoch; one with no offset is taken as UTC.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(at) = text.parse::<Timestamp>() {
        return Some(at.as_second());
    }
    let civil: DateTime = text.parse().ok()?;
    let at = civil.to_zoned(jiff::tz::TimeZone::UTC).ok()?;
    Some(at.timestamp().as_second())
}

/// Now, seconds since the epoch.
pub fn now() -> i64 {
    Timestamp::now().as_second()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_known_instants() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_795_939_200), "2026-11-29T08:00:00Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::parse_date("2000-02-29"), Some(951_782_400));
        assert_eq!(
            super::parse_date("2026-11-29T08:00:00Z"),
            Some(1_795_910_400)
        );
        assert_eq!(super::parse_date("2026-13-01"), None);
    }

    #[test]
    fn dates_that_do_not_exist_are_refused() {
        assert_eq!(super::parse_date("2026-02-31"), None);
        assert_eq!(super::parse_date("2025-02-29"), None);
        assert!(super::parse_date("2024-02-29").is_some());
        assert_eq!(super::parse_date("2026-11-29junk"), None);
        assert_eq!(super::parse_rfc3339("2026-02-30T00:00:00Z"), None);
        assert_eq!(super::parse_rfc3339("N/A"), None);
    }

    #[test]
    fn instants_keep_their_offsets() {
        let utc = super::parse_rfc3339("2026-11-29T08:00:00Z").unwrap();
        assert_eq!(super::parse_rfc3339("2026-11-29T10:00:00+02:00"), Some(utc));
        assert_eq!(super::parse_rfc3339("2026-11-29T08:00:00.250Z"), Some(utc));
        assert_eq!(super::parse_rfc3339("2026-11-29T08:00:00+00:00"), Some(utc));
        assert_eq!(super::parse_rfc3339("2026-11-29T08:00:00"), Some(utc));
        assert_eq!(super::rfc3339(i64::MAX).len(), 20);
    }
}
