use super::*;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Tz> {
    Tz::UTC.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

/// The inventory's reference `now`: 2024-03-15 10:30:45 UTC (a Friday).
fn now() -> DateTime<Tz> {
    utc(2024, 3, 15, 10, 30, 45)
}

fn at(s: &str) -> DateTime<Tz> {
    parse_at_time(s, Tz::UTC, now()).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn at_in(s: &str, tz: Tz, now: DateTime<Tz>) -> String {
    parse_at_time(s, tz, now)
        .unwrap_or_else(|e| panic!("{s:?}: {e}"))
        .with_timezone(&Tz::UTC)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[test]
fn inventory_examples() {
    assert_eq!(at("-1d"), utc(2024, 3, 14, 10, 30, 45));
    assert_eq!(at("now-2h"), utc(2024, 3, 15, 8, 30, 45));
    assert_eq!(at("midnight+1h"), utc(2024, 3, 15, 1, 0, 0));
    assert_eq!(at("yesterday"), utc(2024, 3, 14, 0, 0, 0));
    assert_eq!(at("20240101"), utc(2024, 1, 1, 0, 0, 0));
    assert_eq!(at("1700000000").timestamp(), 1_700_000_000);
    assert_eq!(at("12:30_20240101"), utc(2024, 1, 1, 12, 30, 0));
    assert_eq!(at("jan5"), utc(2024, 1, 5, 0, 0, 0));
    assert_eq!(at("january05"), utc(2024, 1, 5, 0, 0, 0));
    assert_eq!(at("monday"), utc(2024, 3, 11, 0, 0, 0));
    assert_eq!(at("friday"), utc(2024, 3, 15, 0, 0, 0));
    assert_eq!(at("saturday"), utc(2024, 3, 9, 0, 0, 0));
    assert_eq!(at("01/31/24"), utc(2024, 1, 31, 0, 0, 0));
    assert_eq!(at("01/31/2024"), utc(2024, 1, 31, 0, 0, 0));
    assert_eq!(at("01/31/69"), utc(2069, 1, 31, 0, 0, 0));
    assert_eq!(at("01/31/70"), utc(1970, 1, 31, 0, 0, 0));
    assert_eq!(at("6pm today"), utc(2024, 3, 15, 18, 0, 0));
    assert_eq!(at("noon yesterday"), utc(2024, 3, 14, 12, 0, 0));
    assert_eq!(at("teatime tomorrow"), utc(2024, 3, 16, 16, 0, 0));
    assert_eq!(at("-1mon"), utc(2024, 2, 14, 10, 30, 45));
    assert_eq!(at("-1y"), utc(2023, 3, 16, 10, 30, 45));
    assert_eq!(at("-90s"), utc(2024, 3, 15, 10, 29, 15));
    assert_eq!(at("-5min"), utc(2024, 3, 15, 10, 25, 45));
    assert_eq!(at(""), now());
    assert_eq!(at("now"), now());
    assert_eq!(at("  NOW  "), now());
    assert_eq!(at("-1W"), utc(2024, 3, 8, 10, 30, 45));
}

#[test]
fn am_pm_quirks() {
    assert_eq!(at("12am"), utc(2024, 3, 15, 12, 0, 0));
    assert_eq!(at("12pm"), utc(2024, 3, 15, 0, 0, 0));
    assert_eq!(at("1am"), utc(2024, 3, 15, 1, 0, 0));
    assert_eq!(at("11pm"), utc(2024, 3, 15, 23, 0, 0));
    assert_eq!(at("9:15pm"), utc(2024, 3, 15, 21, 15, 0));
    assert_eq!(at("09:15am_yesterday"), utc(2024, 3, 14, 9, 15, 0));
    assert_eq!(at("12:00pm"), utc(2024, 3, 15, 0, 0, 0));
    // '-5' before a ':' is read by int() and pm wraps it modulo 24.
    assert_eq!(at("-5:00pm+1h"), utc(2024, 3, 15, 8, 0, 0));
}

#[test]
fn errors_are_messages() {
    let err = |s: &str| parse_at_time(s, Tz::UTC, now()).unwrap_err().to_string();
    // The reference's own wording for these two (its 400 bodies).
    assert_eq!(err("foo"), "Unknown day reference: foo");
    assert_eq!(err("-1m"), "Invalid offset unit 'm'");
    assert_eq!(err("2024-01-01"), "Unknown day reference: 2024");
    assert_eq!(err("-1d+2h"), "Unknown day reference: -1d"); // split at '+'
    assert_eq!(err("jan"), "Day of month required after month name");
    assert!(
        err("25:00").contains("Invalid time of day"),
        "{}",
        err("25:00")
    );
    assert!(err("02/30/2024").contains("Invalid date"));
    assert!(err("20240230").contains("Invalid date"));
    assert!(err("999999999999").contains("out of range"));
    assert!(err("-99999999999999999999999d").contains("out of range"));
    assert!(err("-d").contains("number"));
    assert_eq!(err("-5"), "Invalid offset unit ''");
}

#[test]
fn offsets() {
    assert_eq!(parse_time_offset(""), Ok(0));
    assert_eq!(parse_time_offset("1h"), Ok(3600));
    assert_eq!(parse_time_offset("-7d"), Ok(-7 * 86400));
    assert_eq!(parse_time_offset("+5min"), Ok(300));
    assert_eq!(parse_time_offset("1h30min"), Ok(5400));
    assert_eq!(parse_time_offset("-1h30min"), Ok(-5400));
    assert_eq!(parse_time_offset("2weeks"), Ok(14 * 86400));
    assert_eq!(parse_time_offset("1months"), Ok(30 * 86400));
    assert_eq!(parse_time_offset("1years"), Ok(365 * 86400));
    assert_eq!(parse_time_offset("10seconds"), Ok(10));
    assert_eq!(
        parse_time_offset("1m"),
        Err(AtTimeError::InvalidOffsetUnit("m".into()))
    );
    // Case-sensitive when called directly (parseATTime lowercases first).
    assert_eq!(
        parse_time_offset("1H"),
        Err(AtTimeError::InvalidOffsetUnit("H".into()))
    );
    assert!(matches!(
        parse_time_offset("x1h"),
        Err(AtTimeError::InvalidOffset(_))
    ));
    assert_eq!(parse_time_offset("999999999d"), Ok(999_999_999 * 86400));
    assert!(parse_time_offset("1000000000d").is_err());
    assert!(parse_time_offset("99999999999999999999999999999s").is_err());
}

#[test]
fn dst_gap_and_overlap_like_pytz() {
    let ny: Tz = "America/New_York".parse().unwrap();
    // Spring forward 2024-03-10 02:00 EST -> 03:00 EDT: 02:30 does not exist; pytz uses the
    // offset from before the jump (EST), i.e. 07:30Z = 03:30 EDT.
    let now = utc(2024, 3, 10, 16, 0, 0);
    assert_eq!(at_in("2:30am", ny, now), "2024-03-10 07:30:00");
    assert_eq!(at_in("02:30_20240310", ny, now), "2024-03-10 07:30:00");
    assert_eq!(at_in("midnight", ny, now), "2024-03-10 05:00:00");
    assert_eq!(at_in("noon", ny, now), "2024-03-10 16:00:00");
    // Fall back 2024-11-03 02:00 EDT -> 01:00 EST: 01:30 is ambiguous; standard time wins.
    let now = utc(2024, 11, 3, 16, 0, 0);
    assert_eq!(at_in("1:30am", ny, now), "2024-11-03 06:30:00");
    // Offsets are absolute: one day before noon is 25 hours of wall clock here.
    assert_eq!(at_in("noon-1d", ny, now), "2024-11-02 17:00:00");
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    assert_eq!(at_in("02:30_20241027", berlin, now), "2024-10-27 01:30:00");
    assert_eq!(at_in("02:30_20240331", berlin, now), "2024-03-31 01:30:00");
}

#[test]
fn pytz_data_window() {
    let ny: Tz = "America/New_York".parse().unwrap();
    let now = utc(2024, 3, 15, 12, 0, 0);
    // After 2037 pytz keeps the last transition's offset (EST) all year.
    assert_eq!(at_in("20400701", ny, now), "2040-07-01 05:00:00");
    // Before 1901-12-13 it uses local mean time, rounded to -4:56.
    let old = utc(1890, 7, 1, 12, 0, 0);
    assert_eq!(at_in("midnight", ny, old), "1890-07-01 04:56:00");
    // (18900701 is not a date to the reference: the year must be > 1900; and 07/01/1890 is
    // 3790 since years below 1900 get 1900 added.)
    assert_eq!(at_in("18900701", ny, now), "1970-08-07 18:11:41");
    assert_eq!(at_in("07/01/1890", ny, now), "3790-07-01 05:00:00");
    // Inside the window, chrono-tz's data.
    assert_eq!(at_in("20240701", ny, now), "2024-07-01 04:00:00");
}

#[test]
fn epoch_and_yyyymmdd() {
    assert_eq!(at("0").timestamp(), 0);
    assert_eq!(at("1_700_000_000").timestamp(), 1_700_000_000);
    // 8 digits that do not look like a date are a timestamp.
    assert_eq!(at("19000101").timestamp(), 19_000_101);
    assert_eq!(at("20241301").timestamp(), 20_241_301);
    assert!(parse_at_time("20240000", Tz::UTC, now()).is_err());
    assert!(parse_at_time("253402300799", Tz::UTC, now()).is_ok());
    assert!(parse_at_time("253402300800", Tz::UTC, now()).is_err());
    let sydney: Tz = "Australia/Sydney".parse().unwrap();
    // 9999-12-31T23:59:59Z is past year 9999 on Sydney's wall clock.
    assert!(parse_at_time("253402300799", sydney, now()).is_err());
    // Unicode decimal digits are digits to Python.
    assert_eq!(at("١٧٠٠٠٠٠٠٠٠").timestamp(), 1_700_000_000);
}

#[test]
fn parse_tz_like_pytz() {
    assert_eq!(parse_tz("UTC"), Some(Tz::UTC));
    assert_eq!(parse_tz("utc"), Some(Tz::UTC));
    assert_eq!(parse_tz("America/New_York"), Some(Tz::America__New_York));
    assert_eq!(parse_tz("america/new_york"), Some(Tz::America__New_York));
    assert_eq!(parse_tz("US/Eastern"), Some(Tz::US__Eastern));
    assert_eq!(parse_tz("Etc/GMT_plus_5"), Some(Tz::Etc__GMTPlus5));
    assert_eq!(parse_tz("Mars/Olympus"), None);
    assert_eq!(parse_tz("Éurope/Paris"), None);
    assert_eq!(parse_tz(""), None);
}

#[test]
fn extremes_do_not_panic() {
    let far = Tz::UTC.with_ymd_and_hms(200_000, 1, 1, 0, 0, 0).unwrap();
    assert!(parse_at_time("now", Tz::UTC, far).is_err());
    let early = Tz::UTC.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap();
    assert!(parse_at_time("-1s", Tz::UTC, early).is_err());
    assert!(parse_at_time("yesterday", Tz::UTC, early).is_err());
    let late = Tz::UTC.with_ymd_and_hms(9999, 12, 31, 23, 0, 0).unwrap();
    assert!(parse_at_time("tomorrow", Tz::UTC, late).is_err());
    assert!(parse_at_time("+1d", Tz::UTC, late).is_err());
    for s in [
        "99999999999999999999999999999999",
        "-9999999999999999999w",
        "jan99",
        "12/31/99999999999999999999",
        "１２:３０",
        "²",
        "jan²1",
        "İ",
        ":",
        "1:",
        "::::",
        "+",
        "-",
        "am",
        "0am",
        "99pm",
    ] {
        let _ = parse_at_time(s, Tz::UTC, now());
        let _ = parse_time_offset(s);
    }
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn zones() -> impl Strategy<Value = Tz> {
        prop::sample::select(vec![
            Tz::UTC,
            Tz::America__New_York,
            Tz::Australia__Sydney,
            Tz::Pacific__Apia,
            Tz::Asia__Kolkata,
        ])
    }

    proptest! {
        #[test]
        fn arbitrary_strings(s in any::<String>(), tz in zones(), now in -70_000_000_000i64..260_000_000_000) {
            let now = Tz::UTC.timestamp_opt(now, 0).unwrap();
            let _ = parse_at_time(&s, tz, now);
            let _ = parse_time_offset(&s);
            let _ = parse_tz(&s);
        }

        #[test]
        fn time_like_strings(
            s in "[0-9:/+\\-_ ,.amptdhswyonilrue²١İ\t]{0,24}",
            tz in zones(),
            now in -70_000_000_000i64..260_000_000_000,
        ) {
            let now = Tz::UTC.timestamp_opt(now, 0).unwrap();
            let _ = parse_at_time(&s, tz, now);
            let _ = parse_time_offset(&s);
        }
    }
}
