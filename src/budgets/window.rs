//! Budget windows: which `[start, end)` interval of UTC instants a spend belongs to, for a
//! cadence (`daily | weekly | monthly`) in a named IANA timezone.
//!
//! Windows start at local midnight, on Monday at local midnight, or on the 1st at local
//! midnight; each ends where the next begins, so consecutive windows tile time with no gap and
//! no overlap, DST included (a daily window is 23 h or 25 h on transition days). Spend
//! counters, reservations and SQL do not belong here; this module only does calendar math.

use chrono::{
    DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;

pub use crate::config::schema::Cadence;

/// The window containing `at`: `[start, end)` in UTC.
///
/// `start` is the local midnight (daily), the Monday local midnight (weekly) or the local
/// midnight of the 1st (monthly) in `tz`, and `end` is the next window's start. When local
/// midnight does not exist (a zone that springs forward at 00:00) the window starts at the first
/// valid instant after it; when it occurs twice (falling back across midnight) the earliest
/// counts.
pub fn window(cadence: Cadence, tz: Tz, at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let local_date = tz.from_utc_datetime(&at.naive_utc()).date_naive();
    let mut first_day = period_start(cadence, local_date);
    let mut start = local_midnight(tz, first_day);
    let mut next_day = next_period(cadence, first_day);
    let mut end = next_day.map_or(DateTime::<Utc>::MAX_UTC, |d| local_midnight(tz, d));
    // A zone whose local date runs backwards (a fall-back across midnight by more than the
    // time since midnight) can leave `at` outside the window of its own local date; step to
    // the neighbouring window so `start <= at < end` always holds.
    for _ in 0..4 {
        if at >= end {
            let Some(day) = next_day else { break };
            first_day = day;
            start = end;
            next_day = next_period(cadence, first_day);
            end = next_day.map_or(DateTime::<Utc>::MAX_UTC, |d| local_midnight(tz, d));
        } else if at < start {
            let Some(day) = previous_period(cadence, first_day) else {
                break;
            };
            next_day = Some(first_day);
            end = start;
            first_day = day;
            start = local_midnight(tz, first_day);
        } else {
            break;
        }
    }
    (start, end)
}

/// The window for one `(cadence, tz)`, recomputed only when an instant falls outside it, so the
/// request path does no timezone math except once per window.
///
/// Meant to live next to a budget's counters, under whatever lock already guards them.
#[derive(Debug, Clone)]
pub struct WindowCache {
    cadence: Cadence,
    tz: Tz,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl WindowCache {
    /// An empty cache; the first [`WindowCache::window`] call computes.
    pub fn new(cadence: Cadence, tz: Tz) -> WindowCache {
        WindowCache {
            cadence,
            tz,
            // An empty interval: every instant is outside it.
            start: DateTime::<Utc>::MAX_UTC,
            end: DateTime::<Utc>::MIN_UTC,
        }
    }

    /// The window containing `at`, as [`window`] would return it.
    pub fn window(&mut self, at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        if at < self.start || at >= self.end {
            (self.start, self.end) = window(self.cadence, self.tz, at);
        }
        (self.start, self.end)
    }

    /// The cadence this cache was built for.
    pub fn cadence(&self) -> Cadence {
        self.cadence
    }

    /// The timezone this cache was built for.
    pub fn tz(&self) -> Tz {
        self.tz
    }
}

/// The first local day of the period containing `day`.
fn period_start(cadence: Cadence, day: NaiveDate) -> NaiveDate {
    match cadence {
        Cadence::Daily => day,
        Cadence::Weekly => {
            let back = u64::from(day.weekday().num_days_from_monday());
            day.checked_sub_days(Days::new(back)).unwrap_or(day)
        }
        Cadence::Monthly => day.with_day(1).unwrap_or(day),
    }
}

/// The first local day of the period after the one starting on `first_day`.
fn next_period(cadence: Cadence, first_day: NaiveDate) -> Option<NaiveDate> {
    match cadence {
        Cadence::Daily => first_day.checked_add_days(Days::new(1)),
        Cadence::Weekly => first_day.checked_add_days(Days::new(7)),
        Cadence::Monthly => first_day.checked_add_months(Months::new(1)),
    }
}

/// The first local day of the period before the one starting on `first_day`.
fn previous_period(cadence: Cadence, first_day: NaiveDate) -> Option<NaiveDate> {
    match cadence {
        Cadence::Daily => first_day.checked_sub_days(Days::new(1)),
        Cadence::Weekly => first_day.checked_sub_days(Days::new(7)),
        Cadence::Monthly => first_day.checked_sub_months(Months::new(1)),
    }
}

/// The earliest instant at which the local clock in `tz` reads `day` 00:00 or later.
fn local_midnight(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    match tz.from_local_datetime(&midnight).earliest() {
        Some(t) => t.with_timezone(&Utc),
        None => first_instant_at_or_after(tz, midnight),
    }
}

/// Binary search for the first instant whose local time is at or after `local` (which lies in
/// a DST gap). UTC offsets stay within ±15 h, so the transition is within that bracket of
/// `local` read as UTC; the search works in whole seconds, the resolution of tz transitions.
fn first_instant_at_or_after(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let reads = |t: i64| {
        DateTime::<Utc>::from_timestamp(t, 0)
            .map(|u| tz.from_utc_datetime(&u.naive_utc()).naive_local())
    };
    let bracket = TimeDelta::hours(15).num_seconds();
    let centre = local.and_utc().timestamp();
    // Invariant: reads(lo) < local <= reads(hi).
    let mut lo = centre.saturating_sub(bracket);
    let mut hi = centre.saturating_add(bracket);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match reads(mid) {
            Some(m) if m >= local => hi = mid,
            _ => lo = mid,
        }
    }
    DateTime::<Utc>::from_timestamp(hi, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;
