//! Conclusions of agenda items, in meeting mode.

use crate::allocation::candidates;
use crate::applications::repo as apps;
use crate::db::Tx;
use crate::meetings::model::{self, initials, ItemKind};
use crate::meetings::repo::{self, ItemRow, MeetingRow};
use crate::meetings::views::{self};
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::format;
use crate::web::refusal::{Outcome, Refusal};
use uuid::Uuid;

use super::{audit_parts, Done};

/// The current rank of every candidate for a unit (None: not a candidate).
async fn ranks(
    tx: &mut Tx,
    muni: Uuid,
    unit: Uuid,
    today: chrono::NaiveDate,
) -> sqlx::Result<Vec<(Uuid, i32)>> {
    let Some(u) = crate::allocation::repo::unit(tx, &[muni], unit).await? else {
        return Ok(Vec::new());
    };
    let (_, cands, _, _) = candidates::rank(tx, &u, today).await?;
    Ok(cands
        .iter()
        .enumerate()
        .map(|(i, c)| (c.applicant.application_id, i as i32 + 1))
        .collect())
}

/// Records the team's conclusion on one item (in the transaction on the item's
/// municipality): the case's timeline points at the item where the team discussed it.
pub async fn conclude(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: &MeetingRow,
    row: &ItemRow,
    form: &model::ConclusionForm,
) -> Outcome<Done> {
    let (id, item, muni) = (m.id, row.id, row.municipality_id);
    if !m.is_open() || !repo::lock_open_part(tx, muni, id).await? {
        return Err(Refusal::conflict(
            "Protokollen er godkjent eller møtet avlyst. Konklusjonen kan ikke endres.",
        ));
    }
    let ranking = match (row.kind, row.dwelling_id) {
        (ItemKind::Dwelling, Some(d)) => ranks(tx, muni, d, actor.today).await?,
        _ => Vec::new(),
    };
    let v = model::validate_conclusion(row.kind, form, |a| {
        ranking.iter().find(|(x, _)| *x == a).map(|(_, r)| *r)
    })?;
    let version: i32 = form.version.trim().parse().unwrap_or(0);
    // A second submit of the conclusion already recorded (a double click) changes nothing.
    if version != row.version
        && row.conclusion == Some(v.conclusion)
        && row.conclusion_text == v.text
        && row.justification == v.justification
        && row.chosen_application_id == v.chosen.map(|c| c.0)
    {
        return Ok(Done::Already);
    }
    if !repo::conclude(tx, muni, item, version, &v, actor.user.id).await? {
        return Err(Refusal::Stale);
    }
    let r = repo::item(tx, id, item).await?.ok_or(AppError::NotFound)?;
    let date = format::date(model::oslo_date(m.starts_at));
    let link = views::item_anchor(id, item);
    let heading = format!(
        "Tildelingsmøte {date}, punkt {}: {}",
        r.position,
        v.conclusion.label()
    );
    let mut cases: Vec<Uuid> = r.case_application_id.into_iter().collect();
    if let Some(chosen) = r.chosen_application_id {
        cases.push(chosen);
    }
    for app in cases {
        let summary = if Some(app) == r.chosen_application_id && r.kind == ItemKind::Dwelling {
            format!(
                "Tildelingsmøte {date}, punkt {}: valgt som kandidat til {}",
                r.position,
                r.unit_address.as_deref().unwrap_or("bolig")
            )
        } else {
            heading.clone()
        };
        apps::record_event(
            tx,
            muni,
            app,
            Some(actor.user.id),
            "meeting_conclusion",
            &summary,
            &v.text,
            Some(&link),
        )
        .await?;
    }
    audit_parts(
        tx,
        &actor,
        "meeting.conclusion_recorded",
        &[muni],
        id,
        serde_json::json!({
            "item": item,
            "conclusion": v.conclusion.key(),
            "chosen": v.chosen.map(|c| c.0),
            "rank": v.chosen.map(|c| c.1),
            "subject": initials(r.person_name.as_deref().unwrap_or("")),
        }),
    )
    .await?;
    Ok(Done::Changed)
}
