//! The CPI run as typed input and its messages (husleieloven § 4-2).

use chrono::NaiveDate;

use crate::leases::rules;
use crate::leases::settings::model::{month_text, parse_month};
use crate::web::format;
use crate::web::forms::FormErrors;

/// What the start form sends.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct StartForm {
    #[serde(default)]
    pub index_month: String,
    #[serde(default)]
    pub notice_on: String,
    #[serde(default)]
    pub effective_on: String,
}

/// A run to start: the index month and the dates of the notice and of the new rent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartInput {
    pub index_month: NaiveDate,
    pub notice_on: NaiveDate,
    pub effective_on: NaiveDate,
}

/// The message for an effective date earlier than § 4-2 allows.
pub fn too_early(notice: NaiveDate) -> String {
    format!(
        "Ny leie kan tidligst gjelde fra {}, én måned etter at varselet er sendt (husleieloven § 4-2).",
        format::date(rules::earliest_effective(notice))
    )
}

pub fn no_index(month: NaiveDate) -> String {
    format!(
        "Det er ikke registrert noen KPI for {}. Registrer verdien under Innstillinger, KPI, først.",
        month_text(month)
    )
}

pub const ONE_OPEN_RUN: &str =
    "Det finnes allerede et forslag til KPI-regulering som ikke er godkjent eller forkastet. Fullfør eller forkast det først.";

impl StartForm {
    /// The form as the page first shows it: notice today, new rent from the earliest day.
    pub fn defaults(today: NaiveDate, latest_month: Option<NaiveDate>) -> Self {
        StartForm {
            index_month: latest_month
                .map(crate::leases::settings::model::month_field)
                .unwrap_or_default(),
            notice_on: format::date(today),
            effective_on: format::date(rules::earliest_effective(today)),
        }
    }

    pub fn parse(&self, today: NaiveDate) -> Result<StartInput, FormErrors> {
        let mut e = FormErrors::new();
        let index_month = parse_month(&self.index_month);
        if index_month.is_none() {
            e.add("index_month", "Velg indeksmåneden.");
        }
        let notice_on = if self.notice_on.trim().is_empty() {
            Some(today)
        } else {
            format::parse_date(&self.notice_on)
        };
        match notice_on {
            None => e.add("notice_on", "Skriv datoen som dd.mm.åååå."),
            Some(d) if d < today => e.add(
                "notice_on",
                "Varselet kan ikke dateres før i dag: brevene sendes når forslaget godkjennes.",
            ),
            Some(_) => {}
        }
        let notice = notice_on.unwrap_or(today);
        let effective_on = if self.effective_on.trim().is_empty() {
            Some(rules::earliest_effective(notice))
        } else {
            format::parse_date(&self.effective_on)
        };
        match effective_on {
            None => e.add("effective_on", "Skriv datoen som dd.mm.åååå."),
            Some(d) if d < rules::earliest_effective(notice) => {
                e.add("effective_on", too_early(notice))
            }
            Some(_) => {}
        }
        match (index_month, notice_on, effective_on) {
            (Some(index_month), Some(notice_on), Some(effective_on)) if e.is_empty() => {
                Ok(StartInput {
                    index_month,
                    notice_on,
                    effective_on,
                })
            }
            _ => Err(e),
        }
    }
}

/// A run's status as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Proposed,
    Approved,
    Discarded,
}

impl RunStatus {
    pub fn parse(s: &str) -> Self {
        match s {
            "approved" => RunStatus::Approved,
            "discarded" => RunStatus::Discarded,
            _ => RunStatus::Proposed,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Proposed => "Til godkjenning",
            RunStatus::Approved => "Godkjent",
            RunStatus::Discarded => "Forkastet",
        }
    }
}

/// The change in per cent with one decimal, "+3,4 %".
pub fn change_text(old: i64, new: i64) -> String {
    if old <= 0 {
        return String::new();
    }
    let tenths = ((new - old) as i128 * 1000 / old as i128) as i64;
    let sign = if tenths < 0 { "−" } else { "+" };
    let a = tenths.abs();
    format!("{sign}{},{} %", a / 10, a % 10)
}

/// The reason of a rent change as the rent history shows it.
pub fn reason_label(reason: &str) -> &'static str {
    match reason {
        "initial" => "Leie ved inngåelse",
        "cpi" => "KPI-regulering (husleieloven § 4-2)",
        _ => "Annen endring",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn the_new_rent_applies_at_the_earliest_a_month_after_the_notice() {
        let today = d(2027, 1, 31);
        let mut f = StartForm::defaults(today, Some(d(2026, 12, 1)));
        assert_eq!(f.effective_on, "28.02.2027");
        let ok = f.parse(today).expect("valid");
        assert_eq!(ok.index_month, d(2026, 12, 1));
        f.effective_on = "27.02.2027".into();
        let e = f.parse(today).expect_err("too early");
        assert_eq!(
            e.get("effective_on"),
            Some("Ny leie kan tidligst gjelde fra 28.02.2027, én måned etter at varselet er sendt (husleieloven § 4-2).")
        );
        f.effective_on = String::new();
        f.notice_on = "30.01.2027".into();
        assert!(f.parse(today).expect_err("past").has("notice_on"));
    }

    #[test]
    fn the_change_is_shown_in_per_cent() {
        assert_eq!(change_text(850_000, 872_500), "+2,6 %");
        assert_eq!(change_text(1_000_000, 990_000), "−1,0 %");
        assert_eq!(change_text(0, 1), "");
    }
}
