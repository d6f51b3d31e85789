//! The municipality's decision kinds and standard paragraphs, and the advance notices'
//! default response time: the administrator's changes.

use uuid::Uuid;

use crate::audit::{self, Event};
use crate::db::Tx;
use crate::decisions::repo::{self, Kind};
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::refusal::{Outcome, Refusal};

/// Adds a decision kind (`kind.id` is ignored); its name is unique in the municipality.
pub async fn add_kind(tx: &mut Tx, actor: Actor<'_>, m: Uuid, kind: &Kind) -> Outcome<Uuid> {
    let Some(id) = repo::add_kind(tx, m, kind).await? else {
        return Err(Refusal::field(
            "kind_name",
            "Det finnes allerede en vedtakstype med dette navnet.",
        ));
    };
    audit::record(
        tx,
        &actor,
        Event::new("decision_kind.added")
            .municipality(m)
            .entity("decision_kind", id)
            .details(serde_json::json!({ "name": kind.name })),
    )
    .await?;
    Ok(id)
}

/// Takes a decision kind into use or out of it.
pub async fn set_kind_active(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    id: Uuid,
    active: bool,
) -> Outcome<()> {
    if !repo::set_kind_active(tx, m, id, active).await? {
        return Err(AppError::NotFound.into());
    }
    audit::record(
        tx,
        &actor,
        Event::new("decision_kind.active_set")
            .municipality(m)
            .entity("decision_kind", id)
            .details(serde_json::json!({ "active": active })),
    )
    .await?;
    Ok(())
}

/// A standard paragraph for one part of the grounds, checked.
pub struct NewParagraph {
    pub part: String,
    pub title: String,
    pub body: String,
}

pub async fn add_paragraph(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    p: &NewParagraph,
) -> Outcome<Uuid> {
    let id = repo::add_paragraph(tx, m, &p.part, &p.title, &p.body).await?;
    audit::record(
        tx,
        &actor,
        Event::new("standard_paragraph.added")
            .municipality(m)
            .entity("standard_paragraph", id),
    )
    .await?;
    Ok(id)
}

/// Takes a standard paragraph into use or out of it.
pub async fn set_paragraph_active(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    id: Uuid,
    active: bool,
) -> Outcome<()> {
    if !repo::set_paragraph_active(tx, m, id, active).await? {
        return Err(AppError::NotFound.into());
    }
    audit::record(
        tx,
        &actor,
        Event::new("standard_paragraph.active_set")
            .municipality(m)
            .entity("standard_paragraph", id),
    )
    .await?;
    Ok(())
}

/// The default response time of advance notices (fvl. § 16), checked to be 7–90 days.
pub async fn set_advance_notice_days(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    days: i32,
) -> Outcome<()> {
    let before = repo::advance_notice_days(tx, m).await?;
    repo::set_advance_notice_days(tx, m, days).await?;
    audit::record(
        tx,
        &actor,
        Event::new("settings.advance_notice_days")
            .municipality(m)
            .details(serde_json::json!({ "from": before, "to": days })),
    )
    .await?;
    Ok(())
}
