//! The lease settings as typed input: KPI values, § 11-1 grounds and house rules, with
//! their validation messages.

use chrono::{Datelike, NaiveDate};

use crate::leases::rules;
use crate::web::forms::{self, FormErrors};

const MONTHS: [&str; 12] = [
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
];

/// 2026-10-01 → "oktober 2026".
pub fn month_text(month: NaiveDate) -> String {
    format!("{} {}", MONTHS[month.month0() as usize], month.year())
}

/// 2026-10-01 → "10.2026", as the forms write a month.
pub fn month_field(month: NaiveDate) -> String {
    month.format("%m.%Y").to_string()
}

/// A month typed as "10.2026", "2026-10" (what a month input sends) or "oktober 2026":
/// its first day.
pub fn parse_month(input: &str) -> Option<NaiveDate> {
    let s = input.trim().to_lowercase();
    let (year, month) = if let Some((m, y)) = s.split_once('.') {
        (y.trim().parse::<i32>().ok()?, m.trim().parse::<u32>().ok()?)
    } else if let Some((y, m)) = s.split_once('-') {
        (y.trim().parse::<i32>().ok()?, m.trim().parse::<u32>().ok()?)
    } else {
        let (name, y) = s.split_once(' ')?;
        let m = MONTHS.iter().position(|n| *n == name.trim())? as u32 + 1;
        (y.trim().parse::<i32>().ok()?, m)
    };
    if !(1900..=2200).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, 1)
}

/// A KPI value as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiInput {
    pub month: NaiveDate,
    /// Tenths of an index point (132,4 → 1324).
    pub tenths: i64,
    pub source: String,
}

/// What the KPI form sends.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct KpiForm {
    #[serde(default)]
    pub month: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub version: String,
}

impl KpiForm {
    pub fn parse(&self) -> Result<KpiInput, FormErrors> {
        let mut e = FormErrors::new();
        let month = parse_month(&self.month);
        if month.is_none() {
            e.add("month", "Skriv måneden som MM.ÅÅÅÅ, for eksempel 10.2026.");
        }
        let tenths = rules::parse_index(&self.value).filter(|t| *t < 10_000_000);
        if tenths.is_none() {
            e.add(
                "value",
                "Skriv indeksverdien med høyst én desimal, for eksempel 132,4.",
            );
        }
        let source = forms::line(&mut e, "source", &self.source, true, 300, "Kilden");
        match (month, tenths) {
            (Some(month), Some(tenths)) if e.is_empty() => Ok(KpiInput {
                month,
                tenths,
                source,
            }),
            _ => Err(e),
        }
    }
}

/// A § 11-1 ground as edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroundInput {
    pub label: String,
    pub notice_text: String,
    pub sort_order: i32,
    pub active: bool,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct GroundForm {
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub notice_text: String,
    #[serde(default)]
    pub sort_order: String,
    /// A checkbox: present when ticked. The add form has none (a new ground is active).
    #[serde(default)]
    pub active: Option<String>,
    #[serde(default)]
    pub version: String,
}

impl GroundForm {
    pub fn parse(&self, new: bool) -> Result<GroundInput, FormErrors> {
        let mut e = FormErrors::new();
        let label = forms::line(&mut e, "label", &self.label, true, 200, "Navnet");
        let notice_text = forms::text(
            &mut e,
            "notice_text",
            &self.notice_text,
            true,
            4000,
            "Teksten i varselet",
        );
        let sort_order = match self.sort_order.trim() {
            "" => 100,
            s => match s.parse::<i32>() {
                Ok(n) if (0..=10_000).contains(&n) => n,
                _ => {
                    e.add(
                        "sort_order",
                        "Rekkefølgen er et helt tall fra 0 til 10 000.",
                    );
                    100
                }
            },
        };
        let active = new
            || self
                .active
                .as_deref()
                .is_some_and(|v| !v.is_empty() && v != "0");
        checked(
            e,
            GroundInput {
                label,
                notice_text,
                sort_order,
                active,
            },
        )
    }
}

/// A new version of the house rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseRulesInput {
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct HouseRulesForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// The version the admin started from: a newer one means a colleague saved meanwhile.
    #[serde(default)]
    pub based_on: String,
}

impl HouseRulesForm {
    pub fn parse(&self) -> Result<HouseRulesInput, FormErrors> {
        let mut e = FormErrors::new();
        let title = forms::line(&mut e, "title", &self.title, true, 200, "Tittelen");
        let body = forms::text(&mut e, "body", &self.body, true, 40_000, "Reglene");
        checked(e, HouseRulesInput { title, body })
    }
}

/// The parsed value when no field was refused.
fn checked<T>(errors: FormErrors, value: T) -> Result<T, FormErrors> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_typed_in_the_ways_people_write_them() {
        let oct = NaiveDate::from_ymd_opt(2026, 10, 1);
        assert_eq!(parse_month("10.2026"), oct);
        assert_eq!(parse_month(" 2026-10 "), oct);
        assert_eq!(parse_month("Oktober 2026"), oct);
        assert_eq!(parse_month("13.2026"), None);
        assert_eq!(parse_month("2026"), None);
        assert_eq!(month_text(oct.expect("date")), "oktober 2026");
        assert_eq!(month_field(oct.expect("date")), "10.2026");
    }

    #[test]
    fn a_kpi_value_has_one_decimal_and_a_source() {
        let f = KpiForm {
            month: "10.2026".into(),
            value: "132,4".into(),
            source: "SSB tabell 03013".into(),
            version: String::new(),
        };
        assert_eq!(f.parse().expect("valid").tenths, 1324);
        let bad = KpiForm {
            value: "132,45".into(),
            source: " ".into(),
            ..f
        };
        let e = bad.parse().expect_err("refused");
        assert!(e.has("value") && e.has("source"));
    }
}
