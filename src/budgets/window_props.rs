//! Property tests for budget windows: for random instants in zones chosen for their tricks,
//! every window is well formed, boundaries land in the right window, and the cache agrees
//! with `window`.

use chrono::{LocalResult, Offset};
use proptest::prelude::*;

use super::*;

/// Zones chosen for their tricks: half-hour and 45-minute offsets, 30-minute DST, midnight
/// transitions both ways, negative DST, date-line jumps, and the extremes of UTC offsets.
const ZONES: &[&str] = &[
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Moscow",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "America/Santiago",
    "America/Havana",
    "America/Asuncion",
    "America/St_Johns",
    "America/Goose_Bay",
    "America/Scoresbysund",
    "Asia/Beirut",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tehran",
    "Asia/Amman",
    "Asia/Gaza",
    "Asia/Tokyo",
    "Africa/Cairo",
    "Africa/Casablanca",
    "Atlantic/Azores",
    "Australia/Lord_Howe",
    "Australia/Adelaide",
    "Pacific/Chatham",
    "Pacific/Apia",
    "Pacific/Kiritimati",
    "Pacific/Kwajalein",
    "Antarctica/Casey",
    "Antarctica/Troll",
    "Etc/GMT+12",
];

fn cadence() -> impl Strategy<Value = Cadence> {
    prop_oneof![
        Just(Cadence::Daily),
        Just(Cadence::Weekly),
        Just(Cadence::Monthly)
    ]
}

fn zone() -> impl Strategy<Value = Tz> {
    proptest::sample::select(ZONES).prop_map(tz)
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let from = utc("1970-01-01T00:00:00Z").timestamp();
    let to = utc("2100-01-01T00:00:00Z").timestamp();
    (from..to).prop_map(|s| DateTime::<Utc>::from_timestamp(s, 0).unwrap())
}

/// Every property a window must have, checked for one instant.
fn check(cadence: Cadence, tz: Tz, at: DateTime<Utc>) -> Result<(), TestCaseError> {
    let (start, end) = window(cadence, tz, at);
    prop_assert!(start <= at && at < end, "{start} <= {at} < {end}");
    prop_assert_eq!(window(cadence, tz, end).0, end, "windows tile");
    let second = TimeDelta::seconds(1);
    prop_assert_eq!(window(cadence, tz, start - second).1, start, "windows tile");

    // The start reads local midnight, or the first instant after a skipped midnight.
    let local_start = start.with_timezone(&tz).naive_local();
    let first_day = local_start.date();
    let midnight = first_day.and_time(NaiveTime::MIN);
    if local_start != midnight {
        let before = (start - second).with_timezone(&tz).naive_local();
        prop_assert!(
            matches!(tz.from_local_datetime(&midnight), LocalResult::None) && before < midnight,
            "{start} reads {local_start}, not midnight"
        );
    }
    let expected_first = match cadence {
        Cadence::Daily => true,
        Cadence::Weekly => first_day.weekday() == Weekday::Mon,
        Cadence::Monthly => first_day.day() == 1,
    };
    prop_assert!(expected_first, "{cadence:?} starts on {first_day}");
    // `at` belongs to the period of its own local date, unless the clock just ran back
    // across midnight (then it stays in the window it was already in).
    let local_at = at.with_timezone(&tz).naive_local();
    let folded = matches!(
        tz.from_local_datetime(&local_at),
        LocalResult::Ambiguous(..)
    );
    prop_assert!(
        period_start(cadence, local_at.date()) == first_day || folded,
        "{at} reads {local_at}, window starts on {first_day}"
    );

    // Lengths within the DST bounds, widened by the change of UTC offset where a zone moved
    // by more than DST's two hours (Casey's +11 → +08, Samoa's and Kwajalein's date-line jumps).
    // Offsets just before each boundary: a boundary in a gap already has the new offset.
    let offset = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&(t - second).naive_utc()).fix();
    let change = f64::from((offset(end).local_minus_utc() - offset(start).local_minus_utc()).abs());
    let slack = if change > 2.0 * 3600.0 {
        change / 3600.0
    } else {
        0.0
    };
    let (low, high) = match cadence {
        Cadence::Daily => (22.0, 26.0),
        Cadence::Weekly => (6.9 * 24.0, 7.1 * 24.0),
        Cadence::Monthly => (27.9 * 24.0, 31.1 * 24.0),
    };
    let length = hours(start, end);
    prop_assert!(
        length >= low - slack && length <= high + slack,
        "{cadence:?} window {start}..{end} is {length} h"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_instant_lies_in_a_well_formed_window(
        cadence in cadence(), tz in zone(), at in instant()
    ) {
        check(cadence, tz, at)?;
    }

    #[test]
    fn the_instants_around_each_boundary_lie_in_well_formed_windows(
        cadence in cadence(), tz in zone(), at in instant()
    ) {
        let (start, end) = window(cadence, tz, at);
        for t in [start, end, start - TimeDelta::seconds(1), end - TimeDelta::seconds(1)] {
            check(cadence, tz, t)?;
        }
    }

    #[test]
    fn the_cache_returns_what_window_returns(
        cadence in cadence(), tz in zone(), mut instants in proptest::collection::vec(instant(), 1..20)
    ) {
        // Sorted instants with a point just after each, so both the cached and the
        // recomputing paths run.
        instants.sort();
        let mut cache = WindowCache::new(cadence, tz);
        for pair in instants.windows(2) {
            for at in [pair[0], pair[0] + (pair[1] - pair[0]) / 1000, pair[1]] {
                prop_assert_eq!(cache.window(at), window(cadence, tz, at));
            }
        }
    }
}
