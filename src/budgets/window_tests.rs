//! Tests for budget windows: concrete DST cases (the properties across many timezones are in
//! `window_props.rs`).

use chrono::{NaiveTime, Weekday};

use super::*;

fn tz(name: &str) -> Tz {
    name.parse().unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn hours(start: DateTime<Utc>, end: DateTime<Utc>) -> f64 {
    (end - start).num_seconds() as f64 / 3600.0
}

#[test]
fn a_utc_day_runs_from_midnight_to_midnight_and_the_end_is_exclusive() {
    let (start, end) = window(Cadence::Daily, Tz::UTC, utc("2024-05-17T13:45:00Z"));
    assert_eq!(start, utc("2024-05-17T00:00:00Z"));
    assert_eq!(end, utc("2024-05-18T00:00:00Z"));
    assert_eq!(window(Cadence::Daily, Tz::UTC, end).0, end);
    assert_eq!(window(Cadence::Daily, Tz::UTC, start).0, start);
}

#[test]
fn a_berlin_day_is_23_hours_when_clocks_spring_forward_and_25_when_they_fall_back() {
    let berlin = tz("Europe/Berlin");
    let (start, end) = window(Cadence::Daily, berlin, utc("2024-03-31T12:00:00Z"));
    assert_eq!(start, utc("2024-03-30T23:00:00Z"));
    assert_eq!(end, utc("2024-03-31T22:00:00Z"));
    assert_eq!(hours(start, end), 23.0);
    let (start, end) = window(Cadence::Daily, berlin, utc("2024-10-27T12:00:00Z"));
    assert_eq!(start, utc("2024-10-26T22:00:00Z"));
    assert_eq!(end, utc("2024-10-27T23:00:00Z"));
    assert_eq!(hours(start, end), 25.0);
}

#[test]
fn a_new_york_day_starts_at_local_midnight_on_both_sides_of_a_transition() {
    let ny = tz("America/New_York");
    // 01:30 UTC on 10 March is still 9 March in New York.
    let (start, end) = window(Cadence::Daily, ny, utc("2024-03-10T01:30:00Z"));
    assert_eq!(
        (start, end),
        (utc("2024-03-09T05:00:00Z"), utc("2024-03-10T05:00:00Z"))
    );
    let (start, end) = window(Cadence::Daily, ny, utc("2024-03-10T12:00:00Z"));
    assert_eq!(
        (start, end),
        (utc("2024-03-10T05:00:00Z"), utc("2024-03-11T04:00:00Z"))
    );
}

#[test]
fn a_kolkata_day_starts_at_half_past_six_in_the_evening_utc() {
    let kolkata = tz("Asia/Kolkata");
    // 20:00 UTC is already 01:30 the next day in +05:30.
    let (start, end) = window(Cadence::Daily, kolkata, utc("2024-06-15T20:00:00Z"));
    assert_eq!(
        (start, end),
        (utc("2024-06-15T18:30:00Z"), utc("2024-06-16T18:30:00Z"))
    );
}

#[test]
fn lord_howe_days_lose_and_gain_half_an_hour() {
    let lord_howe = tz("Australia/Lord_Howe");
    let (start, end) = window(Cadence::Daily, lord_howe, utc("2024-10-06T06:00:00Z"));
    assert_eq!(hours(start, end), 23.5);
    assert_eq!(start, utc("2024-10-05T13:30:00Z"));
    let (start, end) = window(Cadence::Daily, lord_howe, utc("2024-04-07T06:00:00Z"));
    assert_eq!(hours(start, end), 24.5);
    assert_eq!(start, utc("2024-04-06T13:00:00Z"));
}

#[test]
fn a_skipped_midnight_starts_the_window_at_the_first_valid_instant() {
    // Beirut, Havana and Santiago spring forward at 00:00: the day begins at 01:00 local.
    for (zone, at, start, end) in [
        (
            "Asia/Beirut",
            "2024-03-31T12:00:00Z",
            "2024-03-30T22:00:00Z",
            "2024-03-31T21:00:00Z",
        ),
        (
            "America/Havana",
            "2024-03-10T12:00:00Z",
            "2024-03-10T05:00:00Z",
            "2024-03-11T04:00:00Z",
        ),
        (
            "America/Santiago",
            "2024-09-08T12:00:00Z",
            "2024-09-08T04:00:00Z",
            "2024-09-09T03:00:00Z",
        ),
    ] {
        let got = window(Cadence::Daily, tz(zone), utc(at));
        assert_eq!(got, (utc(start), utc(end)), "{zone}");
        assert_eq!(
            got.0.with_timezone(&tz(zone)).time(),
            NaiveTime::from_hms_opt(1, 0, 0).unwrap()
        );
        // The day before ends where this one starts.
        assert_eq!(
            window(Cadence::Daily, tz(zone), got.0 - TimeDelta::seconds(1)).1,
            got.0
        );
    }
}

#[test]
fn weekly_and_monthly_windows_starting_on_a_skipped_midnight_start_at_one_in_the_morning() {
    // Casablanca sprang forward at 00:00 on Monday 1 June 2009.
    let casablanca = tz("Africa/Casablanca");
    let at = utc("2009-06-03T12:00:00Z");
    assert_eq!(
        window(Cadence::Weekly, casablanca, at).0,
        utc("2009-06-01T00:00:00Z")
    );
    assert_eq!(
        window(Cadence::Monthly, casablanca, at).0,
        utc("2009-06-01T00:00:00Z")
    );
    let cairo = tz("Africa/Cairo");
    let (start, _) = window(Cadence::Monthly, cairo, utc("2014-08-15T12:00:00Z"));
    assert_eq!(start, utc("2014-07-31T22:00:00Z"));
}

#[test]
fn an_ambiguous_midnight_takes_the_earliest_occurrence() {
    // The Azores fall back from 01:00 +00 to 00:00 -01: midnight happens twice.
    let azores = tz("Atlantic/Azores");
    let (start, end) = window(Cadence::Daily, azores, utc("2024-10-27T12:00:00Z"));
    assert_eq!(
        (start, end),
        (utc("2024-10-27T00:00:00Z"), utc("2024-10-28T01:00:00Z"))
    );
    // Both readings of 00:30 belong to the same window.
    assert_eq!(
        window(Cadence::Daily, azores, utc("2024-10-27T00:30:00Z")).0,
        start
    );
    assert_eq!(
        window(Cadence::Daily, azores, utc("2024-10-27T01:30:00Z")).0,
        start
    );
}

#[test]
fn an_hour_whose_local_date_runs_backwards_stays_in_the_window_it_follows() {
    // St. John's fell back at 00:01 ADT to 23:01 NST the previous evening (1990-10-28):
    // 03:00 UTC reads 23:31 on the 27th but comes after the 28th's first midnight.
    let st_johns = tz("America/St_Johns");
    let at = utc("1990-10-28T03:00:00Z");
    assert_eq!(at.with_timezone(&st_johns).day(), 27);
    let (start, end) = window(Cadence::Daily, st_johns, at);
    assert_eq!(start, utc("1990-10-28T02:30:00Z"));
    assert!(start <= at && at < end);
    assert_eq!(
        window(Cadence::Daily, st_johns, start - TimeDelta::seconds(1)).1,
        start
    );
}

#[test]
fn months_end_on_the_right_day_including_leap_februaries() {
    for (at, start, end) in [
        (
            "2024-02-10T00:00:00Z",
            "2024-02-01T00:00:00Z",
            "2024-03-01T00:00:00Z",
        ),
        (
            "2023-02-28T23:59:59Z",
            "2023-02-01T00:00:00Z",
            "2023-03-01T00:00:00Z",
        ),
        (
            "2000-02-29T12:00:00Z",
            "2000-02-01T00:00:00Z",
            "2000-03-01T00:00:00Z",
        ),
        (
            "2100-02-15T00:00:00Z",
            "2100-02-01T00:00:00Z",
            "2100-03-01T00:00:00Z",
        ),
        (
            "2024-12-31T23:59:59Z",
            "2024-12-01T00:00:00Z",
            "2025-01-01T00:00:00Z",
        ),
        (
            "2024-04-30T10:00:00Z",
            "2024-04-01T00:00:00Z",
            "2024-05-01T00:00:00Z",
        ),
    ] {
        assert_eq!(
            window(Cadence::Monthly, Tz::UTC, utc(at)),
            (utc(start), utc(end)),
            "{at}"
        );
    }
    // Feb 2024 has 29 days.
    let (start, end) = window(Cadence::Monthly, Tz::UTC, utc("2024-02-10T00:00:00Z"));
    assert_eq!((end - start).num_days(), 29);
}

#[test]
fn weeks_start_on_monday_across_month_and_year_boundaries() {
    let at = utc("2025-01-01T08:00:00Z"); // a Wednesday
    assert_eq!(
        window(Cadence::Weekly, Tz::UTC, at),
        (utc("2024-12-30T00:00:00Z"), utc("2025-01-06T00:00:00Z"))
    );
    let berlin = tz("Europe/Berlin");
    // The week in which Berlin falls back starts in CEST and ends in CET: 7 days and 1 hour.
    assert_eq!(
        window(Cadence::Weekly, berlin, utc("2024-10-27T12:00:00Z")),
        (utc("2024-10-20T22:00:00Z"), utc("2024-10-27T23:00:00Z"))
    );
}

#[test]
fn a_week_in_which_samoa_skipped_a_day_is_six_days_long() {
    // Apia jumped from 29 Dec 2011 (-10) straight to 31 Dec (+14).
    let apia = tz("Pacific/Apia");
    let (start, end) = window(Cadence::Weekly, apia, utc("2011-12-30T12:00:00Z"));
    assert_eq!((end - start).num_days(), 6);
    assert_eq!(start.with_timezone(&apia).weekday(), Weekday::Mon);
}

#[test]
fn the_cache_agrees_with_window_whichever_way_time_moves() {
    let berlin = tz("Europe/Berlin");
    let mut cache = WindowCache::new(Cadence::Daily, berlin);
    for at in [
        "2024-03-30T12:00:00Z",
        "2024-03-30T22:59:59Z",
        "2024-03-30T23:00:00Z",
        "2024-03-31T21:59:59Z",
        "2024-03-31T22:00:00Z",
        "2024-03-01T00:00:00Z",
    ] {
        assert_eq!(
            cache.window(utc(at)),
            window(Cadence::Daily, berlin, utc(at)),
            "{at}"
        );
    }
    assert_eq!((cache.cadence(), cache.tz()), (Cadence::Daily, berlin));
}

#[path = "window_props.rs"]
mod props;
