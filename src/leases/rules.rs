//! The husleieloven rules a lease must keep, as plain functions over dates and øre so they
//! can be tested exhaustively; the commands apply them and the database repeats the ones
//! a constraint can hold (term, deposit, overlap).

use chrono::{Datelike, Months, NaiveDate};

/// § 9-3: a time-limited lease of a dwelling runs at least three years.
pub const MIN_TERM_MONTHS: u32 = 36;

/// § 3-5: a deposit of at most six months' rent.
pub const MAX_DEPOSIT_MONTHS: i64 = 6;

/// § 9-2 third paragraph: a tenant who stays on after the end date without a written
/// demand to move within three months has an open-ended lease.
pub const OPEN_ENDED_AFTER_MONTHS: u32 = 3;

/// How long before the end date Bosak starts warning that no demand to move is written.
pub const WARN_DAYS_BEFORE_END: i64 = 90;

/// § 4-2: at most one CPI adjustment per twelve months.
pub const CPI_INTERVAL_MONTHS: u32 = 12;

/// The last day of a lease of `months` months from `start` (a three-year lease from
/// 1 January 2027 ends on 31 December 2029): the day before the same date `months` later.
/// When that date does not exist (29 February in 2031, 31 February), the term runs to the
/// end of that month, as if the anniversary were the first of the next: a three-year
/// lease from 29 February 2028 runs to 28 February 2031, not 27 February, so it is never
/// shorter than the one from the day after (1 March 2028 → 28 February 2031).
pub fn end_after(start: NaiveDate, months: u32) -> NaiveDate {
    let same_date = add_months(start, months);
    if same_date.day() == start.day() {
        same_date.pred_opt().unwrap_or(start)
    } else {
        same_date
    }
}

/// `date` plus whole months; the day is clamped to the month's last day (31 January + 1
/// month is 28 or 29 February).
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// Is a lease from `start` to `end` shorter than the three years of § 9-3, so that it
/// needs a § 11-1 basis?
pub fn is_short_term(start: NaiveDate, end: Option<NaiveDate>) -> bool {
    match end {
        None => false,
        Some(end) => end < end_after(start, MIN_TERM_MONTHS),
    }
}

/// Is `months` a lease length that needs a § 11-1 basis?
pub fn months_need_basis(months: i32) -> bool {
    months < MIN_TERM_MONTHS as i32
}

/// § 3-5: is the deposit within six months' rent?
pub fn deposit_allowed(deposit: i64, monthly_rent: i64) -> bool {
    deposit >= 0 && deposit <= MAX_DEPOSIT_MONTHS.saturating_mul(monthly_rent)
}

/// § 9-2: the day a time-limited lease becomes open-ended when the tenant stays on and no
/// written demand to move was sent.
pub fn open_ended_on(end: NaiveDate) -> NaiveDate {
    add_months(end, OPEN_ENDED_AFTER_MONTHS)
}

/// The warning about a time-limited lease with no written demand to move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenEnded {
    /// The end is near: decide and, unless renewed, write the demand to move.
    Approaching {
        ends_on: NaiveDate,
        open_ended_on: NaiveDate,
    },
    /// The end has passed: the demand must be written before `open_ended_on`.
    Urgent {
        ends_on: NaiveDate,
        open_ended_on: NaiveDate,
    },
    /// More than three months after the end and no demand: the lease is open-ended.
    Lapsed { open_ended_on: NaiveDate },
}

impl OpenEnded {
    pub fn text(&self) -> String {
        let d = crate::web::format::date;
        match self {
            OpenEnded::Approaching { ends_on, open_ended_on } => format!(
                "Leieforholdet utløper {}. Uten skriftlig fraflyttingsvarsel innen {} blir det tidsubestemt (husleieloven § 9-2).",
                d(*ends_on),
                d(*open_ended_on)
            ),
            OpenEnded::Urgent { ends_on, open_ended_on } => format!(
                "Leieforholdet utløp {}. Skriftlig fraflyttingsvarsel må sendes før {}, ellers blir det tidsubestemt (husleieloven § 9-2).",
                d(*ends_on),
                d(*open_ended_on)
            ),
            OpenEnded::Lapsed { open_ended_on } => format!(
                "Ingen skriftlig fraflyttingsvarsel ble sendt: leieforholdet regnes som tidsubestemt fra {} (husleieloven § 9-2).",
                d(*open_ended_on)
            ),
        }
    }

    /// The warning in a few words, for a list.
    pub fn short(&self) -> String {
        let d = crate::web::format::date;
        match self {
            OpenEnded::Approaching { open_ended_on, .. }
            | OpenEnded::Urgent { open_ended_on, .. } => {
                format!("Fraflyttingsvarsel må sendes før {}", d(*open_ended_on))
            }
            OpenEnded::Lapsed { open_ended_on } => {
                format!("Tidsubestemt fra {}", d(*open_ended_on))
            }
        }
    }

    pub fn severity(&self) -> &'static str {
        match self {
            OpenEnded::Approaching { .. } => "warning",
            OpenEnded::Urgent { .. } | OpenEnded::Lapsed { .. } => "danger",
        }
    }
}

/// The § 9-2 warning for a lease ending on `end`, or None: an open-ended lease, a lease
/// with a written demand to move, one renewed or ended, or one whose end is still far.
pub fn open_ended_warning(
    end: Option<NaiveDate>,
    demand_sent: bool,
    settled: bool,
    today: NaiveDate,
) -> Option<OpenEnded> {
    let ends_on = end?;
    if demand_sent || settled {
        return None;
    }
    let open_ended_on = open_ended_on(ends_on);
    if today >= open_ended_on {
        Some(OpenEnded::Lapsed { open_ended_on })
    } else if today > ends_on {
        Some(OpenEnded::Urgent {
            ends_on,
            open_ended_on,
        })
    } else if (ends_on - today).num_days() <= WARN_DAYS_BEFORE_END {
        Some(OpenEnded::Approaching {
            ends_on,
            open_ended_on,
        })
    } else {
        None
    }
}

/// § 9-6: notice of three months to the end of a calendar month, counted from the end of
/// the month notice is given in (given 15 January: the lease ends 30 April).
pub fn notice_effective_on(given: NaiveDate) -> NaiveDate {
    let first_of_month = given.with_day(1).unwrap_or(given);
    add_months(first_of_month, 4).pred_opt().unwrap_or(given)
}

/// § 4-2 and § 4-3 aside, may a rent set on `last_set` be adjusted by the index from
/// `effective`? At most once per twelve months.
pub fn cpi_due(last_set: NaiveDate, effective: NaiveDate) -> bool {
    effective >= add_months(last_set, CPI_INTERVAL_MONTHS)
}

/// § 4-2 rent notice: the new rent applies at the earliest one month after the notice.
pub fn earliest_effective(notice: NaiveDate) -> NaiveDate {
    add_months(notice, 1)
}

/// § 4-2: the rent adjusted by the consumer price index, from `base` (the index when the
/// rent was last set) to `now`, both in tenths of an index point as SSB publishes them
/// (one decimal). The result is rounded down to whole kroner, so it never exceeds what the
/// index allows. None when an index is not positive or the amount overflows.
pub fn cpi_adjusted(old_rent_ore: i64, base_tenths: i64, now_tenths: i64) -> Option<i64> {
    if base_tenths <= 0 || now_tenths <= 0 || old_rent_ore < 0 {
        return None;
    }
    let exact = (old_rent_ore as i128).checked_mul(now_tenths as i128)? / base_tenths as i128;
    let kroner = exact / 100;
    i64::try_from(kroner * 100).ok()
}

/// An index value typed as "132,4" or "132.4" in tenths (1324). None unless it has at
/// most one decimal and is positive.
pub fn parse_index(input: &str) -> Option<i64> {
    let s = input.trim().replace(',', ".");
    let (whole, frac) = s.split_once('.').unwrap_or((s.as_str(), ""));
    if whole.is_empty()
        || whole.len() > 5
        || frac.len() > 1
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let tenths = whole.parse::<i64>().ok()? * 10 + frac.parse::<i64>().unwrap_or(0);
    (tenths > 0).then_some(tenths)
}

/// 1324 → "132,4".
pub fn index_text(tenths: i64) -> String {
    format!("{},{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn three_years_is_the_shortest_term_without_a_basis() {
        let start = d(2027, 1, 1);
        assert_eq!(end_after(start, 36), d(2029, 12, 31));
        assert!(!is_short_term(start, Some(d(2029, 12, 31))));
        assert!(is_short_term(start, Some(d(2029, 12, 30))));
        assert!(!is_short_term(start, None));
        // A lease from 29 February runs three years to 28 February (see the month-end
        // tests below).
        assert_eq!(end_after(d(2028, 2, 29), 36), d(2031, 2, 28));
        assert!(months_need_basis(35) && !months_need_basis(36));
    }

    #[test]
    fn the_deposit_is_at_most_six_months_rent() {
        assert!(deposit_allowed(6 * 850_000, 850_000));
        assert!(!deposit_allowed(6 * 850_000 + 1, 850_000));
        assert!(deposit_allowed(0, 0));
        assert!(!deposit_allowed(1, 0));
    }

    #[test]
    fn notice_runs_three_months_from_the_end_of_the_month() {
        assert_eq!(notice_effective_on(d(2027, 1, 15)), d(2027, 4, 30));
        assert_eq!(notice_effective_on(d(2027, 1, 31)), d(2027, 4, 30));
        assert_eq!(notice_effective_on(d(2027, 11, 1)), d(2028, 2, 29));
        assert_eq!(notice_effective_on(d(2027, 12, 31)), d(2028, 3, 31));
    }

    #[test]
    fn the_open_ended_warning_starts_ahead_and_grows_urgent() {
        let end = d(2027, 6, 30);
        assert_eq!(open_ended_on(end), d(2027, 9, 30));
        assert_eq!(
            open_ended_warning(Some(end), false, false, d(2027, 3, 1)),
            None
        );
        assert!(matches!(
            open_ended_warning(Some(end), false, false, d(2027, 4, 1)),
            Some(OpenEnded::Approaching { .. })
        ));
        assert!(matches!(
            open_ended_warning(Some(end), false, false, d(2027, 7, 1)),
            Some(OpenEnded::Urgent { .. })
        ));
        assert!(matches!(
            open_ended_warning(Some(end), false, false, d(2027, 9, 30)),
            Some(OpenEnded::Lapsed { .. })
        ));
        assert_eq!(
            open_ended_warning(Some(end), true, false, d(2027, 7, 1)),
            None
        );
        assert_eq!(
            open_ended_warning(Some(end), false, true, d(2027, 7, 1)),
            None
        );
        assert_eq!(open_ended_warning(None, false, false, d(2027, 7, 1)), None);
    }

    #[test]
    fn cpi_rounds_down_to_whole_kroner() {
        // 8 500 kr at index 120,0 → 126,0: exactly 8 925 kr.
        assert_eq!(cpi_adjusted(850_000, 1200, 1260), Some(892_500));
        // 8 500 kr × 131,7 / 128,3 = 8 725,25… → 8 725 kr.
        assert_eq!(cpi_adjusted(850_000, 1283, 1317), Some(872_500));
        assert_eq!(cpi_adjusted(850_000, 0, 1317), None);
        assert_eq!(parse_index("132,4"), Some(1324));
        assert_eq!(parse_index("132"), Some(1320));
        assert_eq!(parse_index("13,24"), None);
        assert_eq!(parse_index("0"), None);
        assert_eq!(index_text(1324), "132,4");
    }

    #[test]
    fn cpi_is_due_once_per_twelve_months() {
        assert!(!cpi_due(d(2026, 3, 1), d(2027, 2, 28)));
        assert!(cpi_due(d(2026, 3, 1), d(2027, 3, 1)));
        assert_eq!(earliest_effective(d(2027, 1, 31)), d(2027, 2, 28));
    }

    // Month ends and leap days: the rules that do not depend on today's date.

    #[test]
    fn a_three_year_term_from_a_month_end_or_a_leap_day() {
        // 31 January: the date exists three years on, so the term ends the day before.
        assert_eq!(end_after(d(2027, 1, 31), 36), d(2030, 1, 30));
        assert!(!is_short_term(d(2027, 1, 31), Some(d(2030, 1, 30))));
        assert!(is_short_term(d(2027, 1, 31), Some(d(2030, 1, 29))));
        // 29 February: 2031 has no 29 February; the term runs to 28 February, and a
        // lease ending 27 February is shorter than three years and needs a § 11-1 ground.
        assert_eq!(end_after(d(2028, 2, 29), 36), d(2031, 2, 28));
        assert!(!is_short_term(d(2028, 2, 29), Some(d(2031, 2, 28))));
        assert!(is_short_term(d(2028, 2, 29), Some(d(2031, 2, 27))));
        // Never shorter than the term from the day after (1 March 2028 → 28 February 2031)
        // nor than the one from the day before (28 February 2028 → 27 February 2031).
        assert_eq!(end_after(d(2028, 3, 1), 36), d(2031, 2, 28));
        assert_eq!(end_after(d(2028, 2, 28), 36), d(2031, 2, 27));
        // 31 December: across the new year, to 30 December three years on.
        assert_eq!(end_after(d(2027, 12, 31), 36), d(2030, 12, 30));
        assert!(is_short_term(d(2027, 12, 31), Some(d(2030, 12, 29))));
        assert!(!is_short_term(d(2027, 12, 31), Some(d(2030, 12, 30))));
        // From 1 January the term ends on New Year's Eve.
        assert_eq!(end_after(d(2027, 1, 1), 36), d(2029, 12, 31));
        // And from 1 March of a year before a leap year into a leap February.
        assert_eq!(end_after(d(2025, 3, 1), 36), d(2028, 2, 29));
    }

    #[test]
    fn every_start_day_gets_a_term_no_shorter_than_a_later_start() {
        // For every start day over six years (two leap days), the term of 12, 35 or 36
        // months never ends before the term from the day before, and ends within a day
        // of the anniversary.
        let mut day = d(2026, 1, 1);
        while day < d(2032, 1, 1) {
            let next = day.succ_opt().expect("date");
            for n in [1, 12, 35, 36] {
                assert!(end_after(next, n) >= end_after(day, n), "{day} {n}");
                let anniversary = add_months(day, n);
                assert!(end_after(day, n) < anniversary || anniversary.day() < day.day());
                assert!(end_after(day, n) >= anniversary.pred_opt().expect("date"));
            }
            day = next;
        }
    }

    #[test]
    fn notice_given_on_a_months_last_day_counts_from_the_next_month() {
        // § 9-6: three whole calendar months after the month notice is given in.
        assert_eq!(notice_effective_on(d(2027, 1, 31)), d(2027, 4, 30));
        assert_eq!(notice_effective_on(d(2027, 2, 28)), d(2027, 5, 31));
        assert_eq!(notice_effective_on(d(2028, 2, 29)), d(2028, 5, 31));
        assert_eq!(notice_effective_on(d(2027, 4, 30)), d(2027, 7, 31));
        assert_eq!(notice_effective_on(d(2027, 11, 30)), d(2028, 2, 29));
        assert_eq!(notice_effective_on(d(2028, 11, 30)), d(2029, 2, 28));
        assert_eq!(notice_effective_on(d(2027, 12, 31)), d(2028, 3, 31));
        // A day later is the next month: the notice runs a month longer.
        assert_eq!(notice_effective_on(d(2027, 2, 1)), d(2027, 5, 31));
        assert_eq!(notice_effective_on(d(2028, 1, 1)), d(2028, 4, 30));
        // Always a month's last day, and at least three months after the notice.
        let mut day = d(2027, 1, 1);
        while day < d(2030, 1, 1) {
            let e = notice_effective_on(day);
            assert_eq!(e.succ_opt().expect("date").day(), 1, "{day}");
            assert!(e >= add_months(day, 3), "{day}");
            day = day.succ_opt().expect("date");
        }
    }

    #[test]
    fn cpi_is_due_exactly_twelve_months_after_a_month_end_or_leap_day() {
        // Set on 31 January: due on 31 January a year later, not a day before.
        assert!(!cpi_due(d(2027, 1, 31), d(2028, 1, 30)));
        assert!(cpi_due(d(2027, 1, 31), d(2028, 1, 31)));
        // Set on 29 February: twelve months end on the last day of February (the
        // date does not exist in 2029), the same as the CPI run's SQL
        // (`effective_on + interval '12 months'`).
        assert!(!cpi_due(d(2028, 2, 29), d(2029, 2, 27)));
        assert!(cpi_due(d(2028, 2, 29), d(2029, 2, 28)));
        // Set on 31 March: due 31 March, however short February is.
        assert!(!cpi_due(d(2027, 3, 31), d(2028, 3, 30)));
        assert!(cpi_due(d(2027, 3, 31), d(2028, 3, 31)));
        // The notice month: a notice on 31 January lets the new rent apply from the last
        // day of February at the earliest (in a leap year, 29 February).
        assert_eq!(earliest_effective(d(2028, 1, 31)), d(2028, 2, 29));
        assert_eq!(earliest_effective(d(2027, 12, 31)), d(2028, 1, 31));
    }

    #[test]
    fn the_open_ended_window_from_a_month_end() {
        // § 9-2: three months after an end on 30 November or 31 August end on the
        // month's last day (February has no 30th, November no 31st).
        assert_eq!(open_ended_on(d(2027, 11, 30)), d(2028, 2, 29));
        assert_eq!(open_ended_on(d(2028, 11, 30)), d(2029, 2, 28));
        assert_eq!(open_ended_on(d(2027, 8, 31)), d(2027, 11, 30));
        let end = d(2027, 11, 30);
        assert!(matches!(
            open_ended_warning(Some(end), false, false, d(2027, 9, 1)),
            Some(OpenEnded::Approaching { .. })
        ));
        // 90 days before the end is the first day warned; 91 days before is not.
        assert!(open_ended_warning(Some(end), false, false, d(2027, 9, 1)).is_some());
        assert_eq!(
            open_ended_warning(Some(end), false, false, d(2027, 8, 31)),
            None
        );
        assert!(matches!(
            open_ended_warning(Some(end), false, false, d(2027, 11, 30)),
            Some(OpenEnded::Approaching { .. })
        ));
        assert!(matches!(
            open_ended_warning(Some(end), false, false, d(2027, 12, 1)),
            Some(OpenEnded::Urgent { .. })
        ));
        assert!(matches!(
            open_ended_warning(Some(end), false, false, d(2028, 2, 28)),
            Some(OpenEnded::Urgent { open_ended_on, .. }) if open_ended_on == d(2028, 2, 29)
        ));
        assert!(matches!(
            open_ended_warning(Some(end), false, false, d(2028, 2, 29)),
            Some(OpenEnded::Lapsed { .. })
        ));
        let end = d(2027, 8, 31);
        assert!(matches!(
            open_ended_warning(Some(end), false, false, d(2027, 11, 29)),
            Some(OpenEnded::Urgent { .. })
        ));
        assert!(matches!(
            open_ended_warning(Some(end), false, false, d(2027, 11, 30)),
            Some(OpenEnded::Lapsed { .. })
        ));
    }

    proptest! {
        #[test]
        fn cpi_never_exceeds_the_index(rent in 0i64..10_000_000, base in 1i64..100_000, now in 1i64..100_000) {
            let new = cpi_adjusted(rent, base, now).expect("in range");
            // new ≤ rent × now / base, in exact integer arithmetic.
            prop_assert!((new as i128) * (base as i128) <= (rent as i128) * (now as i128));
            // And less than one krone below it.
            prop_assert!(((new + 100) as i128) * (base as i128) > (rent as i128) * (now as i128));
            prop_assert_eq!(new % 100, 0);
        }

        #[test]
        fn an_unchanged_index_never_raises_the_rent(rent in 0i64..10_000_000, base in 1i64..100_000) {
            let new = cpi_adjusted(rent, base, base).expect("in range");
            prop_assert!(new <= rent);
            prop_assert!(rent - new < 100);
        }

        #[test]
        fn cpi_is_never_due_twice_within_twelve_months(y in 2020i32..2040, m in 1u32..=12, day in 1u32..=28, gap in 0i64..365) {
            let set = d(y, m, day);
            let effective = set + chrono::Duration::days(gap);
            prop_assert!(!cpi_due(set, effective));
        }

        #[test]
        fn a_lease_of_at_least_36_months_needs_no_basis(y in 2020i32..2040, m in 1u32..=12, day in 1u32..=31, months in 36u32..240) {
            if let Some(start) = NaiveDate::from_ymd_opt(y, m, day) {
                prop_assert!(!is_short_term(start, Some(end_after(start, months))));
                prop_assert!(is_short_term(start, Some(end_after(start, 35))));
            }
        }
    }
}
