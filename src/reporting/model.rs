//! Reporting: the figures' names and order, the report filter, and the geometry of the
//! server-rendered SVG charts. Pure, no I/O.

use chrono::{Datelike, NaiveDate};

use crate::web::forms::FormErrors;

// ---------------------------------------------------------------------------------------
// KOSTRA form 13

/// The figures of KOSTRA form 13 in the form's order: (key, label). DOMAIN.md §6; each is
/// counted as of 31 December of the chosen year by `repo::kostra_records`.
pub const KOSTRA_FIGURES: &[(&str, &str)] = &[
    ("dwellings_total", "Kommunalt disponerte boliger i alt"),
    (
        "dwellings_owned",
        "– eid av kommunen eller kommunalt foretak",
    ),
    ("dwellings_rented_in", "– innleid fra private for framleie"),
    (
        "dwellings_allocation_right",
        "– privat eid med kommunal tildelingsrett",
    ),
    (
        "dwellings_wheelchair",
        "Boliger tilgjengelige for rullestolbrukere",
    ),
    ("dwellings_let", "Boliger utleid per 31. desember"),
    (
        "households_new",
        "Nye husstander i kommunal bolig i året (uten bytter og forlengelser)",
    ),
    ("households_refugee", "– flyktninger"),
    ("households_mental_health", "– psykiske lidelser"),
    ("households_substance", "– rusproblemer"),
    (
        "households_both",
        "– både psykiske lidelser og rusproblemer",
    ),
    ("households_adapted", "– behov for tilpasset bolig"),
    ("households_other", "– andre"),
    (
        "applications_total",
        "Søknader om kommunal bolig mottatt i året",
    ),
    ("applications_new", "– nye søknader"),
    ("applications_renewed", "– søknader om fornyet kontrakt"),
    ("refusals", "Søknader om kommunal bolig avslått i året"),
    (
        "short_term_contracts",
        "Korttidskontrakter (under 3 år, husleieloven § 11-1) inngått i året",
    ),
    (
        "temporary_accommodation",
        "Vedtak om midlertidig botilbud i året (husstander)",
    ),
    ("deposits", "Nye leieforhold med depositum på konto"),
    ("guarantees", "Nye leieforhold med depositumsgaranti"),
];

pub fn kostra_label(key: &str) -> Option<&'static str> {
    KOSTRA_FIGURES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
}

/// Per mille with one decimal as Norwegian text ("12,5 %"), or "–" when there is no base.
pub fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "–".into();
    }
    let tenths = (part * 1000 + whole / 2) / whole;
    format!("{},{} %", tenths / 10, tenths % 10)
}

// ---------------------------------------------------------------------------------------
// The period and municipality filter every report takes

/// What the user typed in the filter, kept as typed.
#[derive(serde::Deserialize, Default, Clone, Debug)]
pub struct FilterForm {
    #[serde(default)]
    pub fra: String,
    #[serde(default)]
    pub til: String,
    #[serde(default)]
    pub kommune: String,
}

/// A checked period: from ≤ to, at most ten years.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The default: 1 January this year to today.
    pub fn year_to_date(today: NaiveDate) -> Period {
        Period {
            from: NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
            to: today,
        }
    }
}

impl FilterForm {
    /// The period typed, or the default with a message next to the field that was wrong.
    pub fn period(&self, today: NaiveDate) -> (Period, FormErrors) {
        let mut errors = FormErrors::default();
        let default = Period::year_to_date(today);
        fn parse(
            s: &str,
            field: &'static str,
            errors: &mut FormErrors,
            fallback: NaiveDate,
        ) -> NaiveDate {
            if s.trim().is_empty() {
                return fallback;
            }
            match crate::web::format::parse_date(s) {
                Some(d) if d.year() >= 2000 && d.year() <= 2999 => d,
                _ => {
                    errors.add(field, "Skriv datoen som dd.mm.åååå.");
                    fallback
                }
            }
        }
        let from = parse(&self.fra, "fra", &mut errors, default.from);
        let to = parse(&self.til, "til", &mut errors, default.to);
        if from > to {
            errors.add("til", "Til-datoen kan ikke være før fra-datoen.");
            return (default, errors);
        }
        if (to - from).num_days() > 3660 {
            errors.add("fra", "Velg en periode på høyst ti år.");
            return (default, errors);
        }
        (Period { from, to }, errors)
    }
}

/// The year of a `?aar=` parameter: empty is last year (KOSTRA reports the year that
/// ended); anything else must be a year from 2000 to this year.
pub fn report_year(input: &str, today: NaiveDate) -> Option<i32> {
    match input.trim() {
        "" => Some(today.year() - 1),
        y => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=today.year()).contains(y)),
    }
}

/// 'MM-DD' of the annual mapping period as a date in `year` (29 February in a year without
/// one is 28 February).
pub fn month_day(md: &str, year: i32) -> Option<NaiveDate> {
    let (m, d) = md.split_once('-')?;
    let (m, d): (u32, u32) = (m.parse().ok()?, d.parse().ok()?);
    NaiveDate::from_ymd_opt(year, m, d).or_else(|| {
        (m == 2 && d == 29)
            .then(|| NaiveDate::from_ymd_opt(year, 2, 28))
            .flatten()
    })
}

/// Parses a typed 'dd.mm' (or 'MM-DD') into the stored 'MM-DD'.
pub fn parse_month_day(input: &str) -> Option<String> {
    let s = input.trim();
    let (m, d) = if let Some((d, m)) = s.split_once('.') {
        (m.trim_end_matches('.'), d)
    } else {
        s.split_once('-')?
    };
    let (m, d): (u32, u32) = (m.parse().ok()?, d.parse().ok()?);
    // 2024 is a leap year, so 29 February is accepted.
    NaiveDate::from_ymd_opt(2024, m, d)?;
    Some(format!("{m:02}-{d:02}"))
}

/// 'MM-DD' shown as 'dd.mm.'.
pub fn show_month_day(md: &str) -> String {
    match md.split_once('-') {
        Some((m, d)) => format!("{d}.{m}."),
        None => md.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// Charts: server-rendered SVG bar charts. The numbers are always in a table as well.

pub const CHART_WIDTH: i64 = 640;
pub const CHART_HEIGHT: i64 = 240;
const PLOT_TOP: i64 = 20;
const PLOT_BOTTOM: i64 = 200;

pub struct Bar {
    pub label: String,
    pub value_text: String,
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    /// Where the label (below) and the value (above the bar) are centred.
    pub mid: i64,
    pub value_y: i64,
}

pub struct BarChart {
    /// Unique in the page: the title and desc elements' ids derive from it.
    pub id: String,
    pub title: String,
    pub desc: String,
    pub bars: Vec<Bar>,
    pub width: i64,
    pub height: i64,
    pub baseline: i64,
}

/// Bars for `items` (label, value, value as text), scaled to the largest value. Negative
/// values are drawn as zero (their number is still written).
pub fn bar_chart(id: &str, title: &str, items: &[(String, i64, String)]) -> BarChart {
    let n = items.len().max(1) as i64;
    let slot = (CHART_WIDTH - 20) / n;
    let width = (slot * 7 / 10).max(2);
    let max = items.iter().map(|(_, v, _)| *v).max().unwrap_or(0).max(1);
    let plot = PLOT_BOTTOM - PLOT_TOP;
    let bars = items
        .iter()
        .enumerate()
        .map(|(i, (label, value, text))| {
            let v = (*value).max(0);
            let height = v * plot / max;
            let x = 10 + i as i64 * slot + (slot - width) / 2;
            Bar {
                label: label.clone(),
                value_text: text.clone(),
                x,
                y: PLOT_BOTTOM - height,
                width,
                height,
                mid: x + width / 2,
                value_y: PLOT_BOTTOM - height - 4,
            }
        })
        .collect();
    let desc = items
        .iter()
        .map(|(l, _, t)| format!("{l}: {t}"))
        .collect::<Vec<_>>()
        .join("; ");
    BarChart {
        id: id.to_string(),
        title: title.to_string(),
        desc: format!("Søylediagram. {desc}."),
        bars,
        width: CHART_WIDTH,
        height: CHART_HEIGHT,
        baseline: PLOT_BOTTOM,
    }
}

/// Short Norwegian month name for chart labels.
pub fn month_short(d: NaiveDate) -> String {
    const M: [&str; 12] = [
        "jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des",
    ];
    format!("{} {}", M[d.month0() as usize], d.format("%y"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn bars_scale_to_the_largest_value_and_stay_inside_the_plot() {
        let c = bar_chart(
            "x",
            "T",
            &[
                ("a".into(), 10, "10".into()),
                ("b".into(), 5, "5".into()),
                ("c".into(), 0, "0".into()),
                ("d".into(), -3, "-3".into()),
            ],
        );
        assert_eq!(c.bars[0].height, PLOT_BOTTOM - PLOT_TOP);
        assert_eq!(c.bars[1].height, (PLOT_BOTTOM - PLOT_TOP) / 2);
        assert_eq!(c.bars[2].height, 0);
        assert_eq!(c.bars[3].height, 0);
        for b in &c.bars {
            assert!(b.x >= 0 && b.x + b.width <= CHART_WIDTH);
            assert_eq!(b.y + b.height, PLOT_BOTTOM);
        }
        assert!(c.desc.contains("a: 10; b: 5"), "{}", c.desc);
        // No items, no division by zero.
        assert!(bar_chart("y", "T", &[]).bars.is_empty());
    }

    #[test]
    fn the_period_defaults_to_the_year_so_far_and_refuses_nonsense() {
        let today = d(2028, 2, 29);
        let (p, e) = FilterForm::default().period(today);
        assert!(e.is_empty());
        assert_eq!(
            p,
            Period {
                from: d(2028, 1, 1),
                to: today
            }
        );
        let f = FilterForm {
            fra: "31.12.2027".into(),
            til: "2028-01-31".into(),
            kommune: String::new(),
        };
        assert_eq!(
            f.period(today).0,
            Period {
                from: d(2027, 12, 31),
                to: d(2028, 1, 31)
            }
        );
        let bad = FilterForm {
            fra: "i fjor".into(),
            ..Default::default()
        };
        let (p, e) = bad.period(today);
        assert!(!e.is_empty());
        assert_eq!(p.from, d(2028, 1, 1));
        let backwards = FilterForm {
            fra: "02.02.2028".into(),
            til: "01.02.2028".into(),
            kommune: String::new(),
        };
        assert!(!backwards.period(today).1.is_empty());
    }

    #[test]
    fn report_year_and_month_days() {
        let today = d(2028, 2, 29);
        assert_eq!(report_year("", today), Some(2027));
        assert_eq!(report_year("2028", today), Some(2028));
        assert_eq!(report_year("2029", today), None);
        assert_eq!(report_year("x", today), None);
        assert_eq!(month_day("08-20", 2027), Some(d(2027, 8, 20)));
        assert_eq!(month_day("02-29", 2027), Some(d(2027, 2, 28)));
        assert_eq!(month_day("02-29", 2028), Some(d(2028, 2, 29)));
        assert_eq!(parse_month_day("20.08"), Some("08-20".into()));
        assert_eq!(parse_month_day("20.08."), Some("08-20".into()));
        assert_eq!(parse_month_day("31.02"), None);
        assert_eq!(show_month_day("10-20"), "20.10.");
        assert_eq!(percent(1, 3), "33,3 %");
        assert_eq!(percent(0, 0), "–");
    }

    #[test]
    fn every_kostra_key_has_one_label() {
        for (k, l) in KOSTRA_FIGURES {
            assert_eq!(kostra_label(k), Some(*l));
        }
        let mut keys: Vec<_> = KOSTRA_FIGURES.iter().map(|(k, _)| k).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), KOSTRA_FIGURES.len());
    }
}
