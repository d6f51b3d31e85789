//! The agenda: adding proposals, cases by number and other items; moving and removing items.

use crate::applications::repo as apps;
use crate::db::Tx;
use crate::meetings::model::{self, ItemKind};
use crate::meetings::repo::{self, MeetingRow};
use crate::meetings::views::{self, meeting_path};
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::format;
use crate::web::forms::FormErrors;
use crate::web::refusal::{Outcome, Refusal};
use uuid::Uuid;

use super::{audit_parts, claim, Done};

/// What the organiser adds: proposals picked (`<kind>:<id>`), a case by number, or another
/// item with a title; the municipality chosen for the last two (office meetings).
pub struct AddItems {
    pub version: i32,
    pub picks: Vec<String>,
    pub case_number: String,
    pub other_title: String,
    pub other_municipality: String,
}

/// One item to add: (municipality, kind, subject, title, reason).
type NewItem = (Uuid, ItemKind, Option<Uuid>, String, String);

/// Adds the chosen proposals, a case by number, or another item to the agenda.
pub async fn add_items(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: &MeetingRow,
    input: &AddItems,
) -> Outcome<Done> {
    if !m.is_open() {
        return Err(Refusal::conflict(
            "Møtet er avsluttet, og sakslisten kan ikke endres.",
        ));
    }
    let mut errors = FormErrors::new();
    let mut new = picked(tx, m, &input.picks).await?;
    // The municipality chosen for a typed case number or another item (office meetings).
    let chosen_muni = if m.covers.len() == 1 {
        Some(m.covers[0])
    } else {
        Uuid::parse_str(&input.other_municipality)
            .ok()
            .filter(|x| m.covers.contains(x))
    };
    let case_number = input.case_number.trim().to_string();
    if !case_number.is_empty() {
        let found: Vec<(Uuid, Uuid)> =
            repo::applications_by_case_number(tx, &m.covers, &case_number)
                .await?
                .into_iter()
                .filter(|(muni, _)| chosen_muni.is_none_or(|c| c == *muni))
                .collect();
        let on_agenda = repo::items(tx, m.id).await?;
        match found.as_slice() {
            [] => errors.add("case_number", format!("Fant ingen søknad med saksnummer {case_number} i kommunene møtet gjelder.")),
            [(muni, app)] => {
                if on_agenda.iter().any(|i| i.application_id == Some(*app)) {
                    errors.add("case_number", format!("Sak {case_number} står allerede på sakslisten."));
                } else {
                    new.push((*muni, ItemKind::Application, Some(*app), String::new(), "Lagt til for hånd".into()));
                }
            }
            _ => errors.add("other_municipality", format!("Saksnummer {case_number} finnes i flere kommuner. Velg kommunen saken gjelder.")),
        }
    }
    let title = model::one_line(&input.other_title);
    if !title.is_empty() {
        if title.chars().count() > 300 {
            errors.add("other_title", "Overskriften kan ha høyst 300 tegn.");
        } else {
            match chosen_muni {
                Some(muni) => new.push((muni, ItemKind::Other, None, title.clone(), String::new())),
                None => errors.add("other_municipality", "Velg hvilken kommune saken gjelder."),
            }
        }
    }
    if errors.is_empty() && new.is_empty() {
        errors.general = Some("Velg saker fra forslaget, skriv inn et saksnummer eller en overskrift for en annen sak.".into());
    }
    Refusal::unless_empty(errors)?;
    claim(tx, m, input.version).await?;
    let date = format::date(model::oslo_date(m.starts_at));
    let mut added = 0;
    for (muni, kind, subject, title, reason) in &new {
        let item = repo::NewItem {
            municipality_id: *muni,
            kind: *kind,
            subject: *subject,
            title,
            reason,
        };
        let Some(item_id) = repo::insert_item(tx, m.id, &item, actor.user.id).await? else {
            continue;
        };
        added += 1;
        let case = match (kind, subject) {
            (ItemKind::Application, _) => *subject,
            (ItemKind::Appeal, Some(a)) => repo::appeal_application(tx, *muni, *a).await?,
            _ => None,
        };
        if let Some(app) = case {
            apps::record_event(
                tx,
                *muni,
                app,
                Some(actor.user.id),
                "meeting_agenda",
                &format!("Satt på sakslisten til «{}» {date}", m.title),
                "",
                Some(&views::item_anchor(m.id, item_id)),
            )
            .await?;
        }
    }
    audit_parts(
        tx,
        &actor,
        "meeting.items_added",
        &m.covers,
        m.id,
        serde_json::json!({ "added": added }),
    )
    .await?;
    Ok(Done::Changed)
}

/// The proposals picked, checked against what Bosak proposes right now.
/// How far ahead of a meeting the leases ending are proposed for review.
pub const REVIEW_HORIZON_MONTHS: u32 = 6;

async fn picked(tx: &mut Tx, m: &MeetingRow, picks: &[String]) -> sqlx::Result<Vec<NewItem>> {
    let cases = repo::ready_applications(tx, &m.covers, m.id).await?;
    let appeals = repo::open_appeals(tx, &m.covers, m.id).await?;
    let day = model::oslo_date(m.starts_at);
    let leases =
        crate::leases::repo::reviews_due(tx, &m.covers, m.id, day, REVIEW_HORIZON_MONTHS).await?;
    // Only the units picked, checked against what is available right now.
    let picked_units: Vec<Uuid> = picks
        .iter()
        .filter_map(|v| v.strip_prefix("dwelling:"))
        .filter_map(|v| Uuid::parse_str(v).ok())
        .collect();
    let mut units = Vec::new();
    for muni in &m.covers {
        units.extend(
            crate::allocation::repo::available_units_among(tx, *muni, &picked_units).await?,
        );
    }
    let mut new = Vec::new();
    for pick in picks {
        let Some((kind, sid)) = pick.split_once(':') else {
            continue;
        };
        let Ok(sid) = Uuid::parse_str(sid) else {
            continue;
        };
        if kind == "lease" {
            if let Some(l) = leases.iter().find(|l| l.id == sid) {
                new.push((
                    l.municipality_id,
                    ItemKind::Other,
                    Some(sid),
                    views::lease_review_title(l),
                    format!("Utløper {}", format::date(l.ends_on)),
                ));
            }
            continue;
        }
        match ItemKind::from_key(kind) {
            Some(ItemKind::Application) => {
                if let Some(c) = cases.iter().find(|c| c.id == sid) {
                    new.push((
                        c.municipality_id,
                        ItemKind::Application,
                        Some(sid),
                        String::new(),
                        "Klar for møte".into(),
                    ));
                }
            }
            Some(ItemKind::Dwelling) => {
                if let Some(u) = units.iter().find(|u| u.id == sid) {
                    new.push((
                        u.municipality_id,
                        ItemKind::Dwelling,
                        Some(sid),
                        String::new(),
                        views::unit_reason(u),
                    ));
                }
            }
            Some(ItemKind::Appeal) => {
                if let Some(a) = appeals.iter().find(|a| a.id == sid) {
                    new.push((
                        a.municipality_id,
                        ItemKind::Appeal,
                        Some(sid),
                        String::new(),
                        format!("Klage mottatt {}", format::date(a.received_on)),
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(new)
}

/// Moves an item one place up (`opp`) or down (`ned`).
pub async fn move_item(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: &MeetingRow,
    item: Uuid,
    direction: &str,
    version: i32,
) -> Outcome<()> {
    let mut order: Vec<Uuid> = repo::items(tx, m.id)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    let Some(at) = order.iter().position(|x| *x == item) else {
        return Err(AppError::NotFound.into());
    };
    let to = match direction {
        "opp" if at > 0 => at - 1,
        "ned" if at + 1 < order.len() => at + 1,
        _ => at,
    };
    claim(tx, m, version).await?;
    order.swap(at, to);
    repo::renumber(tx, m.id, &order).await?;
    audit_parts(
        tx,
        &actor,
        "meeting.item_moved",
        &m.covers,
        m.id,
        serde_json::json!({ "item": item, "from": at + 1, "to": to + 1 }),
    )
    .await?;
    Ok(())
}

/// Takes an item without a conclusion off the agenda.
pub async fn remove_item(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: &MeetingRow,
    item: Uuid,
    version: i32,
) -> Outcome<Done> {
    let row = repo::item(tx, m.id, item)
        .await?
        .ok_or(AppError::NotFound)?;
    if row.conclusion.is_some() {
        return Err(Refusal::conflict(format!(
            "Punkt {} har en konklusjon og kan ikke fjernes fra sakslisten.",
            row.position
        )));
    }
    claim(tx, m, version).await?;
    if repo::delete_item(tx, m.id, item).await? != 1 {
        // Concluded (or removed) by someone else meanwhile.
        return Err(Refusal::Stale);
    }
    let order: Vec<Uuid> = repo::items(tx, m.id)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    repo::renumber(tx, m.id, &order).await?;
    if let Some(app) = row.case_application_id {
        apps::record_event(
            tx,
            row.municipality_id,
            app,
            Some(actor.user.id),
            "meeting_agenda",
            &format!("Tatt av sakslisten til «{}»", m.title),
            "",
            Some(&meeting_path(m.id)),
        )
        .await?;
    }
    audit_parts(
        tx,
        &actor,
        "meeting.item_removed",
        &m.covers,
        m.id,
        serde_json::json!({ "item": item, "kind": row.kind.key() }),
    )
    .await?;
    Ok(Done::Changed)
}
