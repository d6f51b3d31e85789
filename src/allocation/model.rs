//! Allocation rules (a versioned set per municipality), their form, offers' states and the
//! labels of ranking facts. Pure rules, no I/O.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ranking::{
    default_room_norms, Criterion, Exclusion, Household, RoomNorm, Rule, WishPolicy, FLAG_FACTS,
};
use crate::web::format::parse_date;
use crate::web::forms::FormErrors;

pub type Fields = HashMap<String, String>;

pub fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map(String::as_str).unwrap_or("")
}

/// One version of the municipality's allocation rules.
#[derive(Clone, Debug, PartialEq)]
pub struct Rules {
    pub criteria: Vec<Criterion>,
    pub room_norms: Vec<RoomNorm>,
    pub wish_policy: WishPolicy,
    pub decline_limit: i32,
    pub offer_days: i32,
    /// Lease length per dwelling type id; others use `default_lease_months`.
    pub lease_months: BTreeMap<String, i32>,
    pub default_lease_months: i32,
}

impl Rules {
    pub fn lease_months_for(&self, dwelling_type: Uuid) -> i32 {
        self.lease_months
            .get(&dwelling_type.to_string())
            .copied()
            .unwrap_or(self.default_lease_months)
    }
}

/// A sensible starting point; the UI says it must reflect what the council adopted.
pub fn default_rules() -> Rules {
    let flag = |name: &str, fact: &str, points: i32| Criterion {
        name: name.into(),
        rule: Rule::Flag {
            fact: fact.into(),
            points,
        },
    };
    Rules {
        criteria: vec![
            flag("Uten bolig", "without_home", 40),
            flag("I ferd med å miste boligen", "at_risk", 30),
            flag("Uegnet bolig eller bomiljø", "unsuitable", 15),
            flag("Barn i husstanden", "has_children", 10),
            flag(
                "Dokumentert helse- eller omsorgsbehov",
                "health_or_care_need",
                15,
            ),
            flag("Flyktning bosatt etter avtale med kommunen", "refugee", 20),
            Criterion {
                name: "Barn (per barn)".into(),
                rule: Rule::PerChild {
                    points_each: 3,
                    max: 12,
                },
            },
            Criterion {
                name: "Ventetid (per måned)".into(),
                rule: Rule::PerMonthWaiting {
                    points_each: 1,
                    max: 24,
                },
            },
        ],
        room_norms: default_room_norms(),
        wish_policy: WishPolicy::Show,
        decline_limit: 2,
        offer_days: 7,
        lease_months: BTreeMap::new(),
        default_lease_months: 36,
    }
}

pub fn fact_label(fact: &str) -> &'static str {
    match fact {
        "without_home" => "Uten bolig",
        "at_risk" => "I ferd med å miste boligen",
        "unsuitable" => "Uegnet bolig eller bomiljø",
        "has_children" => "Barn i husstanden",
        "health_or_care_need" => "Dokumentert helse- eller omsorgsbehov",
        "refugee" => "Flyktning bosatt etter avtale",
        "needs_wheelchair" => "Trenger rullestoltilpasset bolig",
        "home_followup" => "Trenger oppfølging i hjemmet",
        _ => "Ukjent",
    }
}

pub fn household_label(h: Household) -> &'static str {
    match h {
        Household::Single => "Enslig",
        Household::SingleWithVisitingChildren => "Enslig med dokumentert samvær",
        Household::SingleWithOneChild => "Enslig med ett barn",
        Household::Couple => "Par uten barn",
        Household::CoupleWithOneChild => "Par med ett barn",
        Household::TwoOrMoreChildren => "Enslig eller par med to eller flere barn",
    }
}

pub fn exclusion_label(e: &Exclusion) -> String {
    match e {
        Exclusion::TypeNotGranted => "Ikke innvilget denne boligtypen".into(),
        Exclusion::RoomsOutsideNorm { min, max } => {
            if min == max {
                format!("Antall rom passer ikke husstanden (norm: {min} rom)")
            } else {
                format!("Antall rom passer ikke husstanden (norm: {min}–{max} rom)")
            }
        }
        Exclusion::NotWheelchairAccessible => "Trenger rullestoltilpasset bolig".into(),
        Exclusion::NotStepFree => "Trenger bolig på bakkeplan eller med heis".into(),
    }
}

pub fn rule_text(r: &Rule) -> String {
    match r {
        Rule::Flag { fact, points } => format!("{points} poeng: {}", fact_label(fact)),
        Rule::PerChild { points_each, max } => {
            format!("{points_each} poeng per barn, høyst {max}")
        }
        Rule::PerMonthWaiting { points_each, max } => {
            format!("{points_each} poeng per måned på ventelisten, høyst {max}")
        }
    }
}

/// The kinds a criterion row can have in the form: a fact, "per_child" or "per_month".
pub fn rule_kind(r: &Rule) -> String {
    match r {
        Rule::Flag { fact, .. } => fact.clone(),
        Rule::PerChild { .. } => "per_child".into(),
        Rule::PerMonthWaiting { .. } => "per_month".into(),
    }
}

pub fn rule_points(r: &Rule) -> i32 {
    match r {
        Rule::Flag { points, .. } => *points,
        Rule::PerChild { points_each, .. } | Rule::PerMonthWaiting { points_each, .. } => {
            *points_each
        }
    }
}

pub fn rule_max(r: &Rule) -> Option<i32> {
    match r {
        Rule::Flag { .. } => None,
        Rule::PerChild { max, .. } | Rule::PerMonthWaiting { max, .. } => Some(*max),
    }
}

/// Extra empty criterion rows the form offers for new criteria.
pub const NEW_ROWS: usize = 3;

/// The form fields of a rules version (used to fill the form from the rules in force).
pub fn fields_of(r: &Rules, today: NaiveDate) -> Fields {
    let mut f = Fields::new();
    for (i, c) in r.criteria.iter().enumerate() {
        f.insert(format!("c{i}_name"), c.name.clone());
        f.insert(format!("c{i}_kind"), rule_kind(&c.rule));
        f.insert(format!("c{i}_points"), rule_points(&c.rule).to_string());
        if let Some(m) = rule_max(&c.rule) {
            f.insert(format!("c{i}_max"), m.to_string());
        }
    }
    f.insert("rows".into(), (r.criteria.len() + NEW_ROWS).to_string());
    for n in &r.room_norms {
        f.insert(
            format!("norm_{}_min", n.household.key()),
            n.min_rooms.to_string(),
        );
        f.insert(
            format!("norm_{}_max", n.household.key()),
            n.max_rooms.to_string(),
        );
    }
    match r.wish_policy {
        WishPolicy::Show => {
            f.insert("wish_policy".into(), "show".into());
        }
        WishPolicy::Penalty { points } => {
            f.insert("wish_policy".into(), "penalty".into());
            f.insert("wish_penalty".into(), points.to_string());
        }
    }
    f.insert("decline_limit".into(), r.decline_limit.to_string());
    f.insert("offer_days".into(), r.offer_days.to_string());
    f.insert(
        "default_lease_months".into(),
        r.default_lease_months.to_string(),
    );
    for (t, m) in &r.lease_months {
        f.insert(format!("lease_{t}"), m.to_string());
    }
    f.insert("effective_from".into(), crate::web::format::date(today));
    f
}

fn int(
    e: &mut FormErrors,
    name: &'static str,
    raw: &str,
    range: std::ops::RangeInclusive<i32>,
    msg: &str,
) -> i32 {
    match raw.trim().parse::<i32>() {
        Ok(v) if range.contains(&v) => v,
        _ => {
            e.add(
                name,
                format!(
                    "{msg} må være et helt tall fra {} til {}.",
                    range.start(),
                    range.end()
                ),
            );
            0
        }
    }
}

/// A parsed "new version" form.
#[derive(Clone, Debug, PartialEq)]
pub struct NewVersion {
    pub rules: Rules,
    pub effective_from: NaiveDate,
    pub reason: String,
}

/// Parses the "new version" form. `types` are the municipality's dwelling type ids.
pub fn parse_version(
    f: &Fields,
    types: &[Uuid],
    today: NaiveDate,
) -> Result<NewVersion, FormErrors> {
    let mut e = FormErrors::new();
    let rows: usize = field(f, "rows").parse().unwrap_or(0).min(60);
    let mut criteria = Vec::new();
    // The rows (numbered from 1, as the form's labels say) refused, named in the message.
    let mut bad_rows: Vec<usize> = Vec::new();
    for i in 0..rows {
        let name = field(f, &format!("c{i}_name")).trim().to_string();
        let kind = field(f, &format!("c{i}_kind"));
        let points_raw = field(f, &format!("c{i}_points")).trim();
        let max_raw = field(f, &format!("c{i}_max")).trim();
        if name.is_empty() && points_raw.is_empty() {
            continue;
        }
        let points = points_raw
            .parse::<i32>()
            .ok()
            .filter(|p| (-1000..=1000).contains(p));
        let max = max_raw
            .parse::<i32>()
            .ok()
            .filter(|p| (0..=10000).contains(p));
        if name.is_empty() || name.chars().count() > 120 || points.is_none() {
            bad_rows.push(i + 1);
            continue;
        }
        let points = points.unwrap_or(0);
        let rule = match kind {
            "per_child" | "per_month" => {
                let Some(max) = max else {
                    bad_rows.push(i + 1);
                    continue;
                };
                if kind == "per_child" {
                    Rule::PerChild {
                        points_each: points,
                        max,
                    }
                } else {
                    Rule::PerMonthWaiting {
                        points_each: points,
                        max,
                    }
                }
            }
            fact if FLAG_FACTS.contains(&fact) => Rule::Flag {
                fact: fact.to_string(),
                points,
            },
            _ => {
                bad_rows.push(i + 1);
                continue;
            }
        };
        criteria.push(Criterion { name, rule });
    }
    if !bad_rows.is_empty() {
        let which = match bad_rows.as_slice() {
            [one] => format!("Rad {one}"),
            [first @ .., last] => format!(
                "Rad {} og {last}",
                first
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            [] => String::new(),
        };
        e.add(
            "criteria",
            format!("{which}: hvert kriterium må ha navn (høyst 120 tegn), hva det gjelder og poeng som et helt tall fra -1000 til 1000; per barn og per måned trenger også et maksimum."),
        );
    } else if criteria.is_empty() {
        e.add("criteria", "Legg inn minst ett kriterium.");
    }
    let mut room_norms = Vec::new();
    let mut bad_norm = false;
    for h in Household::ALL {
        let min = field(f, &format!("norm_{}_min", h.key()))
            .trim()
            .parse::<i32>();
        let max = field(f, &format!("norm_{}_max", h.key()))
            .trim()
            .parse::<i32>();
        match (min, max) {
            (Ok(min), Ok(max)) if (1..=10).contains(&min) && (min..=10).contains(&max) => {
                room_norms.push(RoomNorm {
                    household: h,
                    min_rooms: min,
                    max_rooms: max,
                })
            }
            _ => bad_norm = true,
        }
    }
    if bad_norm {
        e.add(
            "room_norms",
            "Romnormene må ha fra og til antall rom (1–10) for hver husstandstype, og «til» kan ikke være mindre enn «fra».",
        );
    }
    let wish_policy = match field(f, "wish_policy") {
        "penalty" => WishPolicy::Penalty {
            points: int(
                &mut e,
                "wish_penalty",
                field(f, "wish_penalty"),
                1..=1000,
                "Poengtrekket",
            ),
        },
        "show" => WishPolicy::Show,
        _ => {
            e.add("wish_policy", "Velg hvordan ønsket område skal brukes.");
            WishPolicy::Show
        }
    };
    let decline_limit = int(
        &mut e,
        "decline_limit",
        field(f, "decline_limit"),
        0..=20,
        "Antall avslag",
    );
    let offer_days = int(
        &mut e,
        "offer_days",
        field(f, "offer_days"),
        1..=90,
        "Svarfristen",
    );
    let default_lease_months = int(
        &mut e,
        "default_lease_months",
        field(f, "default_lease_months"),
        crate::leases::rules::MIN_TERM_MONTHS as i32..=240,
        "Leietiden",
    );
    let mut lease_months = BTreeMap::new();
    for t in types {
        let raw = field(f, &format!("lease_{t}")).trim();
        if raw.is_empty() {
            continue;
        }
        match raw.parse::<i32>() {
            Ok(m) if (crate::leases::rules::MIN_TERM_MONTHS as i32..=240).contains(&m) => {
                lease_months.insert(t.to_string(), m);
            }
            _ => e.add(
                "lease_months",
                "Leietiden per boligtype må være et helt antall måneder fra 36 til 240, eller tom. Tidsbestemte leieforhold er minst tre år (husleieloven § 9-3); kortere leietid avtales i den enkelte leiekontrakten med grunnlag etter § 11-1.",
            ),
        }
    }
    let effective_from = match parse_date(field(f, "effective_from")) {
        Some(d) if d >= today - chrono::Duration::days(366) => Some(d),
        Some(_) => {
            e.add(
                "effective_from",
                "Gjelder fra kan ikke være mer enn ett år tilbake.",
            );
            None
        }
        None => {
            e.add(
                "effective_from",
                "Skriv datoen reglene gjelder fra, som dd.mm.åååå.",
            );
            None
        }
    };
    let reason = field(f, "reason").trim().to_string();
    if reason.is_empty() {
        e.add(
            "reason",
            "Skriv hvorfor reglene endres (for eksempel vedtak i kommunestyret).",
        );
    } else if reason.chars().count() > 4000 {
        e.add("reason", "Begrunnelsen kan ha høyst 4000 tegn.");
    }
    match (e.is_empty(), effective_from) {
        (true, Some(effective_from)) => Ok(NewVersion {
            rules: Rules {
                criteria,
                room_norms,
                wish_policy,
                decline_limit,
                offer_days,
                lease_months,
                default_lease_months,
            },
            effective_from,
            reason,
        }),
        _ => Err(e),
    }
}

// ---------------------------------------------------------------------------------------
// Offers

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    Open,
    Accepted,
    Declined,
    Expired,
    Withdrawn,
}

impl OfferStatus {
    pub fn key(self) -> &'static str {
        match self {
            OfferStatus::Open => "open",
            OfferStatus::Accepted => "accepted",
            OfferStatus::Declined => "declined",
            OfferStatus::Expired => "expired",
            OfferStatus::Withdrawn => "withdrawn",
        }
    }
    pub fn from_key(k: &str) -> Option<Self> {
        [
            OfferStatus::Open,
            OfferStatus::Accepted,
            OfferStatus::Declined,
            OfferStatus::Expired,
            OfferStatus::Withdrawn,
        ]
        .into_iter()
        .find(|s| s.key() == k)
    }
    pub fn label(self) -> &'static str {
        match self {
            OfferStatus::Open => "Venter på svar",
            OfferStatus::Accepted => "Takket ja",
            OfferStatus::Declined => "Takket nei",
            OfferStatus::Expired => "Svarfristen gikk ut",
            OfferStatus::Withdrawn => "Trukket tilbake",
        }
    }
    pub fn color(self) -> &'static str {
        match self {
            OfferStatus::Open => "warning",
            OfferStatus::Accepted => "success",
            OfferStatus::Declined | OfferStatus::Expired => "danger",
            OfferStatus::Withdrawn => "neutral",
        }
    }
}

/// A parsed answer to an offer.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub status: OfferStatus,
    pub reason: String,
    pub answered_on: NaiveDate,
}

pub fn parse_answer(
    f: &Fields,
    today: NaiveDate,
    offered_on: NaiveDate,
) -> Result<Answer, FormErrors> {
    let mut e = FormErrors::new();
    let status = match field(f, "answer") {
        "accepted" => Some(OfferStatus::Accepted),
        "declined" => Some(OfferStatus::Declined),
        "expired" => Some(OfferStatus::Expired),
        _ => {
            e.add("answer", "Velg svaret på tilbudet.");
            None
        }
    };
    let reason = field(f, "decline_reason").trim().to_string();
    if status == Some(OfferStatus::Declined) && reason.is_empty() {
        e.add("decline_reason", "Skriv hvorfor søkeren takket nei.");
    }
    if reason.chars().count() > 4000 {
        e.add("decline_reason", "Begrunnelsen kan ha høyst 4000 tegn.");
    }
    let raw = field(f, "answered_on").trim();
    let answered_on = if raw.is_empty() {
        Some(today)
    } else {
        match parse_date(raw) {
            Some(d) if d >= offered_on && d <= today => Some(d),
            _ => {
                e.add(
                    "answered_on",
                    "Svardatoen må være en dato (dd.mm.åååå) fra tilbudsdatoen til i dag.",
                );
                None
            }
        }
    };
    match (status, answered_on) {
        (Some(status), Some(answered_on)) if e.is_empty() => Ok(Answer {
            status,
            reason: if status == OfferStatus::Declined {
                reason
            } else {
                String::new()
            },
            answered_on,
        }),
        _ => Err(e),
    }
}

/// Whether making an offer to the candidate at `rank` needs a written justification.
pub fn justification_error(rank: usize, justification: &str) -> Option<&'static str> {
    if rank > 1 && justification.trim().is_empty() {
        Some("Skriv hvorfor tilbudet ikke gis til søkeren som er rangert først.")
    } else if justification.chars().count() > 4000 {
        Some("Begrunnelsen kan ha høyst 4000 tegn.")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn default_rules_round_trip_through_the_form() {
        let today = d(2026, 11, 24);
        let r = default_rules();
        let mut f = fields_of(&r, today);
        f.insert("reason".into(), "Vedtatt i kommunestyret".into());
        let v = parse_version(&f, &[], today).unwrap();
        assert_eq!(v.rules, r);
        assert_eq!(v.effective_from, today);
    }

    #[test]
    fn the_form_requires_reason_and_valid_rows() {
        let today = d(2026, 11, 24);
        let mut f = fields_of(&default_rules(), today);
        f.insert("c0_points".into(), "mange".into());
        let e = parse_version(&f, &[], today).unwrap_err();
        assert!(e.has("reason"));
        assert!(e.has("criteria"));
        // The message names the rows it is about, numbered as the form labels them.
        assert!(e.get("criteria").is_some_and(|m| m.starts_with("Rad 1:")));
        f.insert("c2_points".into(), "x".into());
        let e = parse_version(&f, &[], today).unwrap_err();
        assert!(e
            .get("criteria")
            .is_some_and(|m| m.starts_with("Rad 1 og 3:")));
    }

    #[test]
    fn skipping_the_top_candidate_needs_a_justification() {
        assert!(justification_error(1, "").is_none());
        assert!(justification_error(2, " ").is_some());
        assert!(justification_error(2, "Akutt behov").is_none());
    }

    #[test]
    fn declining_needs_a_reason() {
        let today = d(2026, 11, 24);
        let mut f = Fields::new();
        f.insert("answer".into(), "declined".into());
        assert!(parse_answer(&f, today, today)
            .unwrap_err()
            .has("decline_reason"));
        f.insert("decline_reason".into(), "For langt fra skolen".into());
        assert_eq!(
            parse_answer(&f, today, today).unwrap().status,
            OfferStatus::Declined
        );
    }
}
