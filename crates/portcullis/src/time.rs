//! Times for people: ISO 8601 in UTC plus how far from now, `2026-11-30T14:40:00Z (in 4m 12s)`
//! or `(3m ago)`. The one formatter every error detail and CLI message uses (the console has
//! its JavaScript twin, `www/time.js`, checked against the same vectors). `now` is always an argument: the core
//! never reads a clock. No date library: the calendar is Howard Hinnant's `civil_from_days`.

/// The latest instant shown as a date: 9999-12-31T23:59:59Z.
const MAX_SHOWN: i64 = 253_402_300_799;
/// The earliest: 0000-01-01T00:00:00Z.
const MIN_SHOWN: i64 = -62_167_219_200;

/// `2026-11-22T14:05:00Z`, or `None` outside years 0000 to 9999.
pub fn utc(unix: i64) -> Option<String> {
    if !(MIN_SHOWN..=MAX_SHOWN).contains(&unix) {
        return None;
    }
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (secs / 3600, secs / 60 % 60, secs % 60);
    Some(format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z"))
}

/// A span in the two largest units, a zero second unit dropped: `45s`, `4m 12s`, `3m`,
/// `3h 2m`, `12d 5h`, `0s`.
pub fn span(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3_600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    let (big, small) = match (d, h, m) {
        (0, 0, 0) => return format!("{s}s"),
        (0, 0, _) => ((m, 'm'), (s, 's')),
        (0, _, _) => ((h, 'h'), (m, 'm')),
        _ => ((d, 'd'), (h, 'h')),
    };
    if small.0 == 0 {
        format!("{}{}", big.0, big.1)
    } else {
        format!("{}{} {}{}", big.0, big.1, small.0, small.1)
    }
}

/// How far `at` is from `now`: `in 4m 12s`, `3m ago`, or `now`.
pub fn relative(at: i64, now: i64) -> String {
    let distance = span(at.abs_diff(now));
    match at.cmp(&now) {
        core::cmp::Ordering::Greater => format!("in {distance}"),
        core::cmp::Ordering::Less => format!("{distance} ago"),
        core::cmp::Ordering::Equal => "now".to_owned(),
    }
}

/// `2026-11-30T14:40:00Z (in 4m 12s)`; an instant outside years 0000 to 9999 as its number.
pub fn human(at: i64, now: i64) -> String {
    match utc(at) {
        Some(date) => format!("{date} ({})", relative(at, now)),
        None => format!("{at} (out of range)"),
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day), in 400-year eras.
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

    #[test]
    fn spans_show_the_two_largest_units() {
        assert_eq!(span(0), "0s");
        assert_eq!(span(45), "45s");
        assert_eq!(span(252), "4m 12s");
        assert_eq!(span(180), "3m");
        assert_eq!(span(3 * 3600 + 2 * 60 + 9), "3h 2m");
        assert_eq!(span(12 * 86_400 + 5 * 3600 + 7), "12d 5h");
        assert_eq!(span(u64::MAX), "213503982334601d 7h");
    }

    #[test]
    fn relative_and_human_say_which_side_of_now() {
        let now = 1_700_000_000;
        assert_eq!(relative(now + 252, now), "in 4m 12s");
        assert_eq!(relative(now - 180, now), "3m ago");
        assert_eq!(relative(now, now), "now");
        assert_eq!(human(now - 100, now), "2023-11-14T22:11:40Z (1m 40s ago)");
        assert_eq!(human(i64::MAX, now), format!("{} (out of range)", i64::MAX));
        assert_eq!(relative(i64::MIN, i64::MAX), "213503982334601d 7h ago");
    }
}
