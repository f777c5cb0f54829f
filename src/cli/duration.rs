//! Human durations on the command line: `30d`, `12h`, `90m`, `2w`.

use chrono::{DateTime, Utc};

use super::Failure;

/// The expiry an `--expires` lifetime asks for, from now (`None` without one).
pub fn expires_at(expires: Option<&str>) -> Result<Option<DateTime<Utc>>, Failure> {
    expires
        .map(|text| {
            parse_duration(text)
                .map(|d| crate::store::now() + d)
                .map_err(|e| Failure::config(anyhow::anyhow!("--expires: {e}")))
        })
        .transpose()
}

/// Parses `<positive integer><d|h|m|w>`.
pub fn parse_duration(text: &str) -> Result<chrono::Duration, String> {
    let t = text.trim();
    let mut chars = t.chars();
    let unit = chars.next_back().map(String::from).unwrap_or_default();
    let digits = chars.as_str();
    let n: i64 = digits
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{text:?} is not a duration like 30d, 12h, 90m or 2w"))?;
    let d = match unit.as_str() {
        "m" => chrono::Duration::try_minutes(n),
        "h" => chrono::Duration::try_hours(n),
        "d" => chrono::Duration::try_days(n),
        "w" => chrono::Duration::try_weeks(n),
        _ => None,
    };
    d.ok_or_else(|| format!("{text:?} is not a duration like 30d, 12h, 90m or 2w"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_their_unit_and_garbage_is_refused() {
        assert_eq!(parse_duration("30d").unwrap(), chrono::Duration::days(30));
        assert_eq!(
            parse_duration("90m").unwrap(),
            chrono::Duration::minutes(90)
        );
        for bad in ["", "d", "0d", "-1d", "10", "10y", "1.5h", "7µ", "7日", "é"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
