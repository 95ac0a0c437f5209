//! Wall-clock time for the CLI (the core never reads a clock) and UTC formatting without a
//! date library.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// The latest instant shown as a date: 9999-12-31T23:59:59Z.
const MAX_SHOWN: i64 = 253_402_300_799;

/// `2026-11-22T14:05:00Z`, or `None` outside years 0000 to 9999.
pub fn utc(unix: i64) -> Option<String> {
    const MIN_SHOWN: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
    if !(MIN_SHOWN..=MAX_SHOWN).contains(&unix) {
        return None;
    }
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (secs / 3600, secs / 60 % 60, secs % 60);
    Some(format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z"))
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day): Howard Hinnant's
/// `civil_from_days`, in 400-year eras.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(utc(0).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400).unwrap(), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_700_000_000).unwrap(), "2023-11-14T22:13:20Z");
        assert_eq!(utc(1_795_356_300).unwrap(), "2026-11-22T14:05:00Z");
        assert_eq!(utc(-1).unwrap(), "1969-12-31T23:59:59Z");
        assert_eq!(utc(4_107_542_400).unwrap(), "2100-03-01T00:00:00Z");
        assert_eq!(utc(MAX_SHOWN).unwrap(), "9999-12-31T23:59:59Z");
        assert_eq!(utc(MAX_SHOWN + 1), None);
        assert_eq!(utc(i64::MIN), None);
    }
}
