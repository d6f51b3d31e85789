//! Parsing the decision forms into validated values with Norwegian messages per field.

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

use super::deadline::Channel;
use super::model::Outcome;
use super::repo::{AppealInput, Kind, PointInput};
use crate::web::format::parse_date;
use crate::web::forms::{text, FormErrors};

pub type Fields = HashMap<String, String>;

pub fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map(String::as_str).unwrap_or("")
}

fn optional_int(
    e: &mut FormErrors,
    name: &'static str,
    raw: &str,
    range: std::ops::RangeInclusive<i32>,
    label: &str,
) -> Option<i32> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<i32>() {
        Ok(v) if range.contains(&v) => Some(v),
        _ => {
            e.add(
                name,
                format!(
                    "{label} må være et helt tall fra {} til {}.",
                    range.start(),
                    range.end()
                ),
            );
            None
        }
    }
}

pub(crate) fn optional_date(
    e: &mut FormErrors,
    name: &'static str,
    raw: &str,
    label: &str,
) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let d = parse_date(raw);
    if d.is_none() {
        e.add(name, format!("{label}: skriv datoen som dd.mm.åååå."));
    }
    d
}

pub fn required_date(
    e: &mut FormErrors,
    name: &'static str,
    raw: &str,
    label: &str,
) -> Option<NaiveDate> {
    if raw.trim().is_empty() {
        e.add(name, format!("{label} må fylles ut."));
        return None;
    }
    optional_date(e, name, raw, label)
}

/// A decision point. Legal basis, appeal body and deadline default to the kind's when
/// left empty; changing them needs a reason (checked when the decision is sent).
pub fn parse_point(
    f: &Fields,
    kinds: &[Kind],
    dwelling_types: &[Uuid],
) -> Result<PointInput, FormErrors> {
    let mut e = FormErrors::new();
    let kind = Uuid::parse_str(field(f, "kind_id"))
        .ok()
        .and_then(|id| kinds.iter().find(|k| k.id == id && k.active));
    if kind.is_none() {
        e.add("kind_id", "Velg hva vedtakspunktet gjelder.");
    }
    let outcome = Outcome::from_key(field(f, "outcome"));
    if outcome.is_none() {
        e.add(
            "outcome",
            "Velg utfall: innvilget, delvis innvilget eller avslått.",
        );
    }
    let description = text(
        &mut e,
        "description",
        field(f, "description"),
        true,
        5000,
        "Beskrivelsen",
    );
    let dwelling_type_ids: Vec<Uuid> = dwelling_types
        .iter()
        .copied()
        .filter(|id| f.contains_key(&format!("type_{id}")))
        .collect();
    let rooms = optional_int(&mut e, "rooms", field(f, "rooms"), 1..=10, "Antall rom");
    let lease_months = optional_int(
        &mut e,
        "lease_months",
        field(f, "lease_months"),
        crate::leases::rules::MIN_TERM_MONTHS as i32..=240,
        "Leietiden i måneder",
    );
    let extent = text(&mut e, "extent", field(f, "extent"), false, 2000, "Omfang");
    let period_from = optional_date(
        &mut e,
        "period_from",
        field(f, "period_from"),
        "Periode fra",
    );
    let period_to = optional_date(&mut e, "period_to", field(f, "period_to"), "Periode til");
    if let (Some(a), Some(b)) = (period_from, period_to) {
        if b < a {
            e.add("period_to", "Perioden kan ikke slutte før den begynner.");
        }
    }
    let conditions = text(
        &mut e,
        "conditions",
        field(f, "conditions"),
        false,
        5000,
        "Vilkår",
    );
    let mut legal_basis = text(
        &mut e,
        "legal_basis",
        field(f, "legal_basis"),
        false,
        500,
        "Hjemmel",
    );
    let mut appeal_body = text(
        &mut e,
        "appeal_body",
        field(f, "appeal_body"),
        false,
        200,
        "Klageinstans",
    );
    let mut appeal_weeks = optional_int(
        &mut e,
        "appeal_weeks",
        field(f, "appeal_weeks"),
        1..=52,
        "Klagefristen i uker",
    );
    let override_reason = text(
        &mut e,
        "override_reason",
        field(f, "override_reason"),
        false,
        2000,
        "Begrunnelsen for endringen",
    );
    let Some(kind) = kind else { return Err(e) };
    if legal_basis.is_empty() {
        legal_basis = kind.legal_basis.clone();
    }
    if appeal_body.is_empty() {
        appeal_body = kind.appeal_body.clone();
    }
    if appeal_weeks.is_none() {
        appeal_weeks = Some(kind.appeal_weeks);
    }
    let changed = legal_basis != kind.legal_basis
        || appeal_body != kind.appeal_body
        || appeal_weeks != Some(kind.appeal_weeks);
    if changed && override_reason.is_empty() {
        e.add(
            "override_reason",
            "Du har endret hjemmel, klageinstans eller klagefrist fra standard. Skriv hvorfor.",
        );
    }
    let granted = matches!(
        outcome,
        Some(Outcome::Granted) | Some(Outcome::PartlyGranted)
    );
    if kind.is_dwelling && granted && dwelling_type_ids.is_empty() {
        e.add("dwelling_types", "Velg hvilke boligtyper som innvilges.");
    }
    if !e.is_empty() {
        return Err(e);
    }
    Ok(PointInput {
        kind_id: kind.id,
        outcome,
        description,
        dwelling_type_ids,
        rooms,
        lease_months,
        needs_ground_floor_or_lift: f.contains_key("needs_ground_floor_or_lift"),
        extent,
        period_from,
        period_to,
        conditions,
        legal_basis,
        appeal_body,
        appeal_weeks: appeal_weeks.unwrap_or(kind.appeal_weeks),
        override_reason,
    })
}

#[derive(Debug)]
pub struct DispatchInput {
    pub dispatched_on: NaiveDate,
    pub channel: Channel,
    pub notified_on: Option<NaiveDate>,
}

pub fn parse_dispatch(f: &Fields, today: NaiveDate) -> Result<DispatchInput, FormErrors> {
    let mut e = FormErrors::new();
    let dispatched_on = required_date(
        &mut e,
        "dispatched_on",
        field(f, "dispatched_on"),
        "Utsendingsdato",
    );
    let channel = Channel::from_key(field(f, "channel"));
    if channel.is_none() {
        e.add("channel", "Velg hvordan vedtaket sendes.");
    }
    let notified_on = optional_date(
        &mut e,
        "notified_on",
        field(f, "notified_on"),
        "Dato mottatt",
    );
    if let Some(d) = dispatched_on {
        // Sending is the approval (four eyes: the approver sends), so it happens today.
        if d < today {
            e.add(
                "dispatched_on",
                format!(
                    "Utsendingsdatoen kan ikke være før vedtaket godkjennes ({}). Et vedtak som er sendt tidligere, registreres ikke på nytt her.",
                    crate::web::format::date(today)
                ),
            );
        }
        if d > today + chrono::Duration::days(14) {
            e.add(
                "dispatched_on",
                "Utsendingsdatoen kan ikke ligge mer enn 14 dager fram i tid.",
            );
        }
        if let Some(n) = notified_on {
            if n < d {
                e.add(
                    "notified_on",
                    "Vedtaket kan ikke være mottatt før det ble sendt.",
                );
            }
        }
    }
    match (dispatched_on, channel) {
        (Some(dispatched_on), Some(channel)) if e.is_empty() => Ok(DispatchInput {
            dispatched_on,
            channel,
            notified_on,
        }),
        _ => Err(e),
    }
}

pub fn parse_appeal(
    f: &Fields,
    point_ids: &[Uuid],
    today: NaiveDate,
) -> Result<AppealInput, FormErrors> {
    let mut e = FormErrors::new();
    let received_on = required_date(
        &mut e,
        "received_on",
        field(f, "received_on"),
        "Dato klagen kom inn",
    );
    let posted_on = optional_date(&mut e, "posted_on", field(f, "posted_on"), "Poststemplet");
    if let Some(r) = received_on {
        if r > today {
            e.add(
                "received_on",
                "Datoen klagen kom inn kan ikke ligge fram i tid.",
            );
        }
    }
    let received_how = text(
        &mut e,
        "received_how",
        field(f, "received_how"),
        true,
        200,
        "Hvordan klagen kom inn",
    );
    let appellant = text(
        &mut e,
        "appellant",
        field(f, "appellant"),
        true,
        300,
        "Hvem som klager",
    );
    let summary = text(
        &mut e,
        "summary",
        field(f, "summary"),
        false,
        10000,
        "Hva klagen gjelder",
    );
    let late_reason = text(
        &mut e,
        "late_reason",
        field(f, "late_reason"),
        false,
        5000,
        "Grunnen til at klagen kom for sent",
    );
    let points: Vec<Uuid> = point_ids
        .iter()
        .copied()
        .filter(|id| f.contains_key(&format!("point_{id}")))
        .collect();
    if points.is_empty() {
        e.add("points", "Velg hvilke vedtakspunkter klagen gjelder.");
    }
    match received_on {
        Some(received_on) if e.is_empty() => Ok(AppealInput {
            received_on,
            posted_on,
            received_how,
            appellant,
            summary,
            late_reason,
            points,
        }),
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind() -> Kind {
        Kind {
            id: Uuid::now_v7(),
            code: "municipal_dwelling".into(),
            name: "Kommunal bolig".into(),
            legal_basis: "Tildelingsreglene".into(),
            appeal_body: "Klagenemnda".into(),
            appeal_weeks: 3,
            is_dwelling: true,
            active: true,
        }
    }

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn point_defaults_come_from_the_kind() {
        let k = kind();
        let id = k.id.to_string();
        let t = Uuid::now_v7();
        let tk = format!("type_{t}");
        let e = parse_point(
            &fields(&[
                ("kind_id", &id),
                ("outcome", "granted"),
                ("description", "Bolig"),
                ("rooms", "2"),
            ]),
            std::slice::from_ref(&k),
            &[t],
        )
        .unwrap_err();
        assert!(
            e.has("dwelling_types"),
            "a granted dwelling names its types"
        );
        let p = parse_point(
            &fields(&[
                ("kind_id", &id),
                ("outcome", "granted"),
                ("description", "Bolig"),
                ("rooms", "2"),
                (&tk, "1"),
            ]),
            &[k],
            &[t],
        )
        .unwrap();
        assert_eq!(p.dwelling_type_ids, vec![t]);
        assert_eq!(p.legal_basis, "Tildelingsreglene");
        assert_eq!(p.appeal_weeks, 3);
        assert_eq!(p.rooms, Some(2));
    }

    #[test]
    fn changed_defaults_need_a_reason_and_bad_input_gets_messages() {
        let k = kind();
        let id = k.id.to_string();
        let e = parse_point(
            &fields(&[
                ("kind_id", &id),
                ("outcome", "x"),
                ("description", ""),
                ("rooms", "0"),
                ("appeal_weeks", "4"),
                ("period_from", "32.13.2026"),
            ]),
            &[k],
            &[],
        )
        .unwrap_err();
        for f in [
            "outcome",
            "description",
            "rooms",
            "override_reason",
            "period_from",
        ] {
            assert!(e.has(f), "{f}");
        }
    }

    #[test]
    fn unknown_kind_is_refused() {
        let e = parse_point(
            &fields(&[
                ("kind_id", &Uuid::now_v7().to_string()),
                ("outcome", "granted"),
                ("description", "x"),
            ]),
            &[kind()],
            &[],
        )
        .unwrap_err();
        assert!(e.has("kind_id"));
    }

    #[test]
    fn dispatch_and_appeal_forms() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let d = parse_dispatch(
            &fields(&[("dispatched_on", "24.11.2026"), ("channel", "post")]),
            today,
        )
        .unwrap();
        assert_eq!(d.channel, Channel::Post);
        let e = parse_dispatch(
            &fields(&[
                ("dispatched_on", "24.11.2026"),
                ("channel", "post"),
                ("notified_on", "20.11.2026"),
            ]),
            today,
        )
        .unwrap_err();
        assert!(e.has("notified_on"));
        let p = Uuid::now_v7();
        let a = parse_appeal(
            &fields(&[
                ("received_on", "20.11.2026"),
                ("received_how", "Brev"),
                ("appellant", "Søker"),
                (&format!("point_{p}"), "1"),
            ]),
            &[p],
            today,
        )
        .unwrap();
        assert_eq!(a.points, vec![p]);
        let e = parse_appeal(&fields(&[("received_on", "20.12.2026")]), &[p], today).unwrap_err();
        assert!(e.has("received_on") && e.has("points") && e.has("appellant"));
    }
}
