//! Norwegian public holidays and working days, for legal deadlines.
//! Fixed holidays: 1 January, 1 and 17 May, 25 and 26 December. Easter-based (lov om
//! helligdager og helligdagsfred § 2): Maundy Thursday, Good Friday, Easter Sunday,
//! Easter Monday, Ascension Day (+39), Whit Sunday (+49) and Whit Monday (+50).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Easter Sunday in the Gregorian calendar (the anonymous "Meeus/Jones/Butcher" algorithm).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a valid date")
}

/// Every public holiday of `year`, in date order.
pub fn public_holidays(year: i32) -> Vec<NaiveDate> {
    let easter = easter_sunday(year);
    let fixed = |m, d| NaiveDate::from_ymd_opt(year, m, d).expect("fixed holiday");
    let mut days = vec![
        fixed(1, 1),
        easter - Duration::days(3),
        easter - Duration::days(2),
        easter,
        easter + Duration::days(1),
        fixed(5, 1),
        fixed(5, 17),
        easter + Duration::days(39),
        easter + Duration::days(49),
        easter + Duration::days(50),
        fixed(12, 25),
        fixed(12, 26),
    ];
    days.sort();
    days.dedup();
    days
}

pub fn is_public_holiday(d: NaiveDate) -> bool {
    public_holidays(d.year()).contains(&d)
}

pub fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !is_public_holiday(d)
}

/// The day itself when it is a working day, otherwise the next working day.
pub fn next_working_day(mut d: NaiveDate) -> NaiveDate {
    while !is_working_day(d) {
        d += Duration::days(1);
    }
    d
}

/// `n` working days after `d` (post is delivered on working days).
pub fn add_working_days(mut d: NaiveDate, n: u32) -> NaiveDate {
    for _ in 0..n {
        d = next_working_day(d + Duration::days(1));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn easter_dates_match_the_almanac() {
        // Known Easter Sundays.
        let known = [
            (2019, d(2019, 4, 21)),
            (2020, d(2020, 4, 12)),
            (2021, d(2021, 4, 4)),
            (2022, d(2022, 4, 17)),
            (2023, d(2023, 4, 9)),
            (2024, d(2024, 3, 31)),
            (2025, d(2025, 4, 20)),
            (2026, d(2026, 4, 5)),
            (2027, d(2027, 3, 28)),
            (2028, d(2028, 4, 16)),
            (2029, d(2029, 4, 1)),
            (2030, d(2030, 4, 21)),
            (2038, d(2038, 4, 25)),
            (2285, d(2285, 3, 22)),
        ];
        for (year, date) in known {
            assert_eq!(easter_sunday(year), date, "{year}");
        }
    }

    #[test]
    fn holidays_of_2026() {
        let h = public_holidays(2026);
        assert_eq!(
            h,
            vec![
                d(2026, 1, 1),
                d(2026, 4, 2),
                d(2026, 4, 3),
                d(2026, 4, 5),
                d(2026, 4, 6),
                d(2026, 5, 1),
                d(2026, 5, 14),
                d(2026, 5, 17),
                d(2026, 5, 24),
                d(2026, 5, 25),
                d(2026, 12, 25),
                d(2026, 12, 26),
            ]
        );
    }

    #[test]
    fn holidays_of_2024_where_easter_is_in_march() {
        let h = public_holidays(2024);
        for day in [
            d(2024, 3, 28),
            d(2024, 3, 29),
            d(2024, 3, 31),
            d(2024, 4, 1),
            d(2024, 5, 9),
            d(2024, 5, 19),
            d(2024, 5, 20),
        ] {
            assert!(h.contains(&day), "{day}");
        }
        assert_eq!(h.len(), 12);
    }

    #[test]
    fn when_ascension_falls_on_may_17_there_are_eleven_days() {
        // 2029: Easter 1 April, Ascension 10 May; 2012 had Ascension on 17 May.
        assert_eq!(easter_sunday(2012) + Duration::days(39), d(2012, 5, 17));
        assert_eq!(public_holidays(2012).len(), 11);
    }

    #[test]
    fn working_days() {
        assert!(!is_working_day(d(2026, 11, 28))); // Saturday
        assert!(!is_working_day(d(2026, 11, 29))); // Sunday
        assert!(is_working_day(d(2026, 11, 30)));
        assert_eq!(next_working_day(d(2026, 12, 25)), d(2026, 12, 28));
        assert_eq!(next_working_day(d(2026, 4, 2)), d(2026, 4, 7)); // Easter week
        assert_eq!(next_working_day(d(2026, 5, 24)), d(2026, 5, 26)); // Whit Sunday + Monday
    }
}
