//! Appeal deadlines (forvaltningsloven §§ 29–31) and notification dates.

use chrono::{Duration, Months, NaiveDate};

use super::calendar::{add_working_days, next_working_day};

/// How a decision letter was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// Digital mailbox (Digipost / e-Boks via Altinn): notified the same day.
    Digital,
    /// Ordinary post: notified after the municipality's configured number of days.
    Post,
    /// Handed over in person: notified the same day.
    InPerson,
}

impl Channel {
    pub fn key(&self) -> &'static str {
        match self {
            Channel::Digital => "digital",
            Channel::Post => "post",
            Channel::InPerson => "in_person",
        }
    }

    pub fn from_key(k: &str) -> Option<Channel> {
        [Channel::Digital, Channel::Post, Channel::InPerson]
            .into_iter()
            .find(|c| c.key() == k)
    }
}

/// The day the decision is taken to have reached the party when the actual day is not
/// known: digital and in-person the dispatch day, post after `post_days` working days
/// (post is not delivered on Sundays and holidays, so a deadline never starts on one).
pub fn default_notification_date(
    dispatch: NaiveDate,
    channel: Channel,
    post_days: u32,
) -> NaiveDate {
    match channel {
        Channel::Digital | Channel::InPerson => dispatch,
        Channel::Post => add_working_days(dispatch, post_days),
    }
}

/// § 29: the deadline runs from the notification (or, § 24, from when requested grounds
/// were received); a deadline ending on a Saturday, Sunday or public holiday moves to the
/// next working day.
pub fn appeal_deadline(
    notified: NaiveDate,
    grounds_received: Option<NaiveDate>,
    weeks: u32,
) -> NaiveDate {
    let start = match grounds_received {
        Some(g) if g > notified => g,
        _ => notified,
    };
    next_working_day(start + Duration::weeks(i64::from(weeks)))
}

/// fvl. § 24 second paragraph: a request for grounds interrupts the appeal deadline only
/// when made after the party was notified and within the deadline. The message says why not.
pub fn grounds_request_error(
    notified: NaiveDate,
    deadline: NaiveDate,
    requested: NaiveDate,
    today: NaiveDate,
) -> Option<String> {
    use crate::web::format::date;
    if requested > today {
        Some("Datoen kan ikke være fram i tid.".into())
    } else if requested < notified {
        Some(format!(
            "Parten regnes å ha mottatt vedtaket {}. Kravet kan ikke være fremsatt før det.",
            date(notified)
        ))
    } else if requested > deadline {
        Some(format!(
            "Klagefristen gikk ut {}. Et krav om begrunnelse etter fristen avbryter den ikke; \
             registrer det som en henvendelse i journalen.",
            date(deadline)
        ))
    } else {
        None
    }
}

/// When the requested grounds were given: not before the request, not in the future.
pub fn grounds_given_error(
    requested: NaiveDate,
    given: NaiveDate,
    today: NaiveDate,
) -> Option<String> {
    if given > today {
        Some("Datoen kan ikke være fram i tid.".into())
    } else if given < requested {
        Some(format!(
            "Parten kan ikke ha mottatt begrunnelsen før kravet kom ({}).",
            crate::web::format::date(requested)
        ))
    } else {
        None
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeliness {
    InTime,
    /// Late, but may still be considered for special reasons (§ 31 first paragraph).
    Late {
        days: i64,
    },
    /// More than a year after the decision: can never be considered (§ 31 third paragraph).
    BeyondOneYear,
}

/// § 30: an appeal is in time when it was received, or posted, by the deadline.
pub fn assess_appeal(
    decided: NaiveDate,
    deadline: NaiveDate,
    received: NaiveDate,
    posted: Option<NaiveDate>,
) -> Timeliness {
    let effective = match posted {
        Some(p) if p < received => p,
        _ => received,
    };
    if effective <= deadline {
        return Timeliness::InTime;
    }
    let one_year = decided
        .checked_add_months(Months::new(12))
        .unwrap_or(decided);
    if effective > one_year {
        Timeliness::BeyondOneYear
    } else {
        Timeliness::Late {
            days: (effective - deadline).num_days(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decisions::calendar::is_working_day;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn three_weeks_on_a_working_day() {
        // Notified Monday 2 November 2026 → Monday 23 November.
        assert_eq!(appeal_deadline(d(2026, 11, 2), None, 3), d(2026, 11, 23));
    }

    #[test]
    fn four_weeks_for_health_and_care_services() {
        assert_eq!(appeal_deadline(d(2026, 11, 2), None, 4), d(2026, 11, 30));
    }

    #[test]
    fn weekend_moves_to_monday() {
        // Notified Saturday 7 November → deadline Saturday 28 → Monday 30.
        assert_eq!(appeal_deadline(d(2026, 11, 7), None, 3), d(2026, 11, 30));
    }

    #[test]
    fn christmas_and_easter_move_the_deadline() {
        // 4 Dec 2026 + 3 weeks = Friday 25 Dec → Saturday, Sunday → Monday 28 Dec.
        assert_eq!(appeal_deadline(d(2026, 12, 4), None, 3), d(2026, 12, 28));
        // 12 March 2026 + 3 weeks = Thursday 2 April (Maundy Thursday) → Tuesday 7 April.
        assert_eq!(appeal_deadline(d(2026, 3, 12), None, 3), d(2026, 4, 7));
        // 2025: 26 April + 3 weeks = Saturday 17 May → Monday 19 May.
        assert_eq!(appeal_deadline(d(2025, 4, 26), None, 3), d(2025, 5, 19));
        // 2027: Ascension Day 6 May; 15 April + 3 weeks = 6 May → Friday 7 May.
        assert_eq!(appeal_deadline(d(2027, 4, 15), None, 3), d(2027, 5, 7));
        // 2028: Whit Monday 5 June; 15 May + 3 weeks = 5 June → 6 June.
        assert_eq!(appeal_deadline(d(2028, 5, 15), None, 3), d(2028, 6, 6));
        // New Year's Day 2027 is a Friday: 11 Dec 2026 + 3 weeks = 1 Jan 2027 → Monday 4 Jan.
        assert_eq!(appeal_deadline(d(2026, 12, 11), None, 3), d(2027, 1, 4));
    }

    #[test]
    fn notification_date_vs_dispatch_date() {
        let dispatch = d(2026, 11, 24);
        assert_eq!(
            default_notification_date(dispatch, Channel::Digital, 3),
            dispatch
        );
        let by_post = default_notification_date(dispatch, Channel::Post, 3);
        assert_eq!(by_post, d(2026, 11, 27));
        // Friday 18 Dec 2026 + 3 working days: Mon 21, Tue 22, Wed 23.
        assert_eq!(
            default_notification_date(d(2026, 12, 18), Channel::Post, 3),
            d(2026, 12, 23)
        );
        // Wed 23 Dec + 3: the 24th (a working day), then past Christmas to Mon 28, Tue 29.
        assert_eq!(
            default_notification_date(d(2026, 12, 23), Channel::Post, 3),
            d(2026, 12, 29)
        );
        // Easter 2027: Thu 25, Fri 26 and Mon 29 March are holidays; Wed 24 + 2 working
        // days is Tue 30, Wed 31.
        assert_eq!(
            default_notification_date(d(2027, 3, 24), Channel::Post, 2),
            d(2027, 3, 31)
        );
        // The deadline runs from notification, not from dispatch.
        assert_eq!(appeal_deadline(by_post, None, 3), d(2026, 12, 18));
        assert_ne!(
            appeal_deadline(by_post, None, 3),
            appeal_deadline(dispatch, None, 3)
        );
    }

    #[test]
    fn requested_grounds_restart_the_deadline() {
        assert_eq!(
            appeal_deadline(d(2026, 11, 2), Some(d(2026, 11, 16)), 3),
            d(2026, 12, 7)
        );
    }

    #[test]
    fn grounds_must_be_requested_after_notice_and_within_the_deadline() {
        let (notified, deadline, today) = (d(2026, 11, 2), d(2026, 11, 23), d(2026, 11, 24));
        assert_eq!(
            grounds_request_error(notified, deadline, d(2026, 11, 2), today),
            None
        );
        assert_eq!(
            grounds_request_error(notified, deadline, d(2026, 11, 23), today),
            None
        );
        assert!(
            grounds_request_error(notified, deadline, d(2026, 11, 24), today)
                .unwrap()
                .contains("23.11.2026")
        );
        assert!(grounds_request_error(notified, deadline, d(2026, 11, 1), today).is_some());
        assert!(grounds_request_error(notified, deadline, d(2026, 11, 25), today).is_some());
        assert_eq!(
            grounds_given_error(d(2026, 11, 10), d(2026, 11, 10), today),
            None
        );
        assert!(grounds_given_error(d(2026, 11, 10), d(2026, 11, 9), today).is_some());
        assert!(grounds_given_error(d(2026, 11, 10), d(2026, 11, 25), today).is_some());
    }

    #[test]
    fn appeal_timeliness() {
        let decided = d(2026, 1, 5);
        let deadline = d(2026, 1, 26);
        assert_eq!(
            assess_appeal(decided, deadline, d(2026, 1, 26), None),
            Timeliness::InTime
        );
        // Posted on the last day, arrived two days later: in time (§ 30).
        assert_eq!(
            assess_appeal(decided, deadline, d(2026, 1, 28), Some(d(2026, 1, 26))),
            Timeliness::InTime
        );
        assert_eq!(
            assess_appeal(decided, deadline, d(2026, 2, 2), None),
            Timeliness::Late { days: 7 }
        );
        assert_eq!(
            assess_appeal(decided, deadline, d(2027, 1, 6), None),
            Timeliness::BeyondOneYear
        );
    }

    proptest! {
        #[test]
        fn deadline_is_a_working_day_at_least_the_nominal_length_away(
            days in 0i64..(365 * 30), weeks in prop::sample::select(vec![3u32, 4u32])
        ) {
            let notified = d(2010, 1, 1) + Duration::days(days);
            let deadline = appeal_deadline(notified, None, weeks);
            let nominal = notified + Duration::weeks(i64::from(weeks));
            prop_assert!(is_working_day(deadline));
            prop_assert!(deadline >= nominal);
            // Norwegian holidays cluster at most five non-working days in a row (Easter).
            prop_assert!((deadline - nominal).num_days() <= 5);
            // Every day between the nominal day and the deadline was a non-working day.
            let mut day = nominal;
            while day < deadline {
                prop_assert!(!is_working_day(day));
                day += Duration::days(1);
            }
        }
    }
}
