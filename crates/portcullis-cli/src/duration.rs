//! Durations on the command line: `300`, `300s`, `5m`, `1h`, `1d` (one number, one unit).

/// Parses a duration into seconds; the `clap` value parser for `--ttl` and `--max-ttl`.
pub fn parse(text: &str) -> Result<u64, String> {
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, ""),
    };
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        _ => {
            return Err(format!(
                "{text:?} is not a duration; use e.g. 300, 300s, 5m, 1h or 1d"
            ))
        }
    };
    if digits.is_empty() {
        return Err(format!(
            "{text:?} has no number; use e.g. 300, 300s, 5m, 1h or 1d"
        ));
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("{text:?} is too long a duration"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_unit() {
        assert_eq!(parse("300"), Ok(300));
        assert_eq!(parse("300s"), Ok(300));
        assert_eq!(parse("5m"), Ok(300));
        assert_eq!(parse("1h"), Ok(3600));
        assert_eq!(parse("1d"), Ok(86_400));
        assert_eq!(parse("0"), Ok(0));
    }

    #[test]
    fn refuses_anything_else() {
        for bad in [
            "",
            "m",
            "-5m",
            "5 m",
            "1h30m",
            "5M",
            "1w",
            "1.5h",
            "+5",
            "99999999999999999999d",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
