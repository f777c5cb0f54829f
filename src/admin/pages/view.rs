//! Small helpers the observability pages and their JSON twins share: query-string parsing
//! (empty form fields mean "no filter"), dates, keyset-cursor links, and how money, latency and
//! time are shown. No queries and no permission checks here.

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::admin::error::AdminError;
use crate::budgets::money::MicroUsd;

/// Rows per page on every paginated view.
pub const PAGE_SIZE: usize = 50;

/// A trimmed query value, `None` when missing or blank (as an empty form field arrives).
pub fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `YYYY-MM-DD` (a UTC day) or an RFC 3339 instant. With `end`, a plain day means the end of
/// that day (so a "to" date is inclusive).
pub fn instant(
    field: &str,
    v: &Option<String>,
    end: bool,
) -> Result<Option<DateTime<Utc>>, AdminError> {
    let Some(text) = given(v) else {
        return Ok(None);
    };
    if let Ok(day) = NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        let day = if end {
            day.checked_add_days(Days::new(1)).unwrap_or(day)
        } else {
            day
        };
        return Ok(Some(day.and_time(chrono::NaiveTime::MIN).and_utc()));
    }
    DateTime::parse_from_rfc3339(&text)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|_| AdminError::Invalid(format!("{field}: expected YYYY-MM-DD, got {text:?}")))
}

/// `$1.23`, with as many decimals as the amount needs.
pub fn usd(micros: i64) -> String {
    MicroUsd::from_micros(micros).to_string()
}

/// Microseconds as milliseconds, with one decimal below 10 ms (and a no-break space, so the
/// unit never wraps away from its number).
pub fn ms(us: i64) -> String {
    let ms = us as f64 / 1000.0;
    if ms < 10.0 {
        format!("{ms:.1}\u{a0}ms")
    } else {
        format!("{ms:.0}\u{a0}ms")
    }
}

/// `1,234,567`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `2025-01-31 23:59:59` (UTC).
pub fn when(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `23:59:59` (UTC), for narrow tables (with [`day`] beneath).
pub fn clock(t: &DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

/// `31 Jan 2025` (UTC), with no-break spaces so it never wraps under a [`clock`].
pub fn day(t: &DateTime<Utc>) -> String {
    t.format("%d\u{a0}%b\u{a0}%Y").to_string()
}

/// `?k=v&…` for the non-empty pairs, URL-encoded (empty when there are none).
pub fn query_string(pairs: &[(&str, Option<&str>)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (k, v) in pairs {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            s.append_pair(k, v);
            any = true;
        }
    }
    if any {
        format!("?{}", s.finish())
    } else {
        String::new()
    }
}

/// Splits a page fetched with one row too many (to know whether more exist) into the page and
/// the two "more" answers: `(rows, more_newer, more_older)`. `ascending` pages were fetched
/// oldest first and already reversed, so their extra row is the newest one.
pub fn trim_page<T>(mut rows: Vec<T>, ascending: bool) -> (Vec<T>, bool) {
    let more = rows.len() > PAGE_SIZE;
    if more {
        if ascending {
            rows.remove(0);
        } else {
            rows.truncate(PAGE_SIZE);
        }
    }
    (rows, more)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_to_date_includes_the_whole_day() {
        let day = Some("2025-03-01".to_string());
        let from = instant("from", &day, false).unwrap().unwrap();
        let to = instant("to", &day, true).unwrap().unwrap();
        assert_eq!((to - from).num_hours(), 24);
        assert!(instant("to", &Some("yesterday".into()), true).is_err());
        assert_eq!(instant("to", &Some("  ".into()), true).unwrap(), None);
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (-1234567, "-1,234,567"),
        ];
        for (n, want) in cases {
            assert_eq!(count(n), want);
        }
    }

    #[test]
    fn query_strings_skip_empty_values_and_encode_the_rest() {
        assert_eq!(query_string(&[("a", None), ("b", Some(""))]), "");
        assert_eq!(
            query_string(&[("user", Some("a b@x.io")), ("before", Some("1.r&1"))]),
            "?user=a+b%40x.io&before=1.r%261"
        );
    }

    #[test]
    fn a_page_with_one_row_too_many_drops_the_row_beyond_the_page() {
        let rows: Vec<usize> = (0..=PAGE_SIZE).collect();
        let (page, more) = trim_page(rows.clone(), false);
        assert!(more);
        assert_eq!(page.last(), Some(&(PAGE_SIZE - 1)));
        let (page, more) = trim_page(rows, true);
        assert!(more);
        assert_eq!(page.first(), Some(&1));
        let (page, more) = trim_page(vec![1, 2], false);
        assert_eq!((page, more), (vec![1, 2], false));
    }
}
