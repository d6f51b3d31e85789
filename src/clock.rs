//! The one clock of the program. Every legal date (deadlines, dispatch and receipt dates,
//! statuses that depend on the date), every list that says "overdue", the demo data and
//! the scheduled jobs take "today" (Europe/Oslo) and "now" from here, so that a test or
//! a demo can run the whole program on another date, and SQL never decides a legal date
//! with its own `current_date` (the date is passed in).
//!
//! A clock is either the system clock or the system clock shifted by whole days so that
//! "today" is a chosen date; time of day keeps running, so sessions, timeouts and
//! ordering by time behave as usual. `BOSAK_TODAY=YYYY-MM-DD` starts the server shifted
//! (development only: `Config::from_env` refuses it in production).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use chrono_tz::Europe::Oslo;

/// Cheap to clone; clones share the setting, so a test that moves the clock of a running
/// server (`set_today`) moves it for every request.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Whole days added to the system clock.
    shift_days: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock on which today (in Oslo) is `date`.
    pub fn on(date: NaiveDate) -> Clock {
        let c = Clock::default();
        c.set_today(date);
        c
    }

    /// Moves the clock so that today is `date` (tests walk a case through its deadlines).
    pub fn set_today(&self, date: NaiveDate) {
        self.shift_days
            .store((date - system_today()).num_days(), Ordering::Relaxed);
    }

    fn shift(&self) -> i64 {
        self.shift_days.load(Ordering::Relaxed)
    }

    /// The clock `BOSAK_TODAY` asks for, or the system clock when it is unset.
    pub fn from_env() -> anyhow::Result<Clock> {
        match std::env::var("BOSAK_TODAY") {
            Ok(v) if !v.trim().is_empty() => {
                let date = NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|e| {
                    anyhow::anyhow!("BOSAK_TODAY must be a date as YYYY-MM-DD, not {v:?}: {e}")
                })?;
                Ok(Clock::on(date))
            }
            _ => Ok(Clock::system()),
        }
    }

    pub fn is_shifted(&self) -> bool {
        self.shift() != 0
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + TimeDelta::days(self.shift())
    }

    /// Today's date in Norway.
    pub fn today(&self) -> NaiveDate {
        let real = system_today();
        let shift = self.shift();
        if shift >= 0 {
            real.checked_add_days(Days::new(shift as u64))
        } else {
            real.checked_sub_days(Days::new(shift.unsigned_abs()))
        }
        .unwrap_or(real)
    }
}

fn system_today() -> NaiveDate {
    Utc::now().with_timezone(&Oslo).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_on_a_date_says_that_date() {
        for d in ["2028-02-29", "2026-12-31", "2027-03-28", "1999-01-01"] {
            let date = NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
            assert_eq!(Clock::on(date).today(), date);
        }
    }

    #[test]
    fn the_system_clock_is_not_shifted() {
        let c = Clock::system();
        assert!(!c.is_shifted());
        assert!((c.now() - Utc::now()).num_seconds().abs() < 5);
    }

    #[test]
    fn clones_share_a_moved_clock() {
        let c = Clock::system();
        let server = c.clone();
        let date = NaiveDate::from_ymd_opt(2027, 3, 28).unwrap();
        c.set_today(date);
        assert_eq!(server.today(), date);
    }

    #[test]
    fn a_shifted_clock_keeps_time_running() {
        let date = NaiveDate::from_ymd_opt(2028, 2, 29).unwrap();
        let c = Clock::on(date);
        let a = c.now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(c.now() > a);
    }
}
