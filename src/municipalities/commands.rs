//! Changes to a municipality's settings and areas, one function each: they check the
//! input and the version, make the change and write the audit event, and never commit.

use uuid::Uuid;

use super::model::{parse_area_name, SettingsForm};
use super::repo;
use crate::audit::{self, Event};
use crate::db::Tx;
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::refusal::{Outcome, Refusal};

/// Saves the settings form of municipality `m` over the version it was made from.
pub async fn save_settings(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    form: &SettingsForm,
) -> Outcome<()> {
    let (settings, version) = form.parse()?;
    if !repo::update_settings(tx, m, &settings, version, actor.user.id).await? {
        return Err(Refusal::Stale);
    }
    audit::record(
        tx,
        &actor,
        Event::new("municipality.settings_updated")
            .municipality(m)
            .entity("municipality_settings", m)
            .details(serde_json::json!({
                "letterhead_name": settings.letterhead_name,
                "decisions_need_second_approver": settings.decisions_need_second_approver,
            })),
    )
    .await?;
    Ok(())
}

/// Adds an area (or brings a removed one of the same name back).
pub async fn add_area(tx: &mut Tx, actor: Actor<'_>, m: Uuid, name: &str) -> Outcome<()> {
    let name = parse_area_name(name)?;
    let Some(id) = repo::add_area(tx, m, &name).await? else {
        return Err(Refusal::field(
            "area_name",
            super::model::area_name_taken(&name),
        ));
    };
    audit::record(
        tx,
        &actor,
        Event::new("municipality.area_added")
            .municipality(m)
            .entity("area", id)
            .details(serde_json::json!({ "name": name })),
    )
    .await?;
    Ok(())
}

/// Takes an area out of use; an unknown one is a 404.
pub async fn remove_area(tx: &mut Tx, actor: Actor<'_>, m: Uuid, id: Uuid) -> Outcome<()> {
    let name = repo::remove_area(tx, m, id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(
        tx,
        &actor,
        Event::new("municipality.area_removed")
            .municipality(m)
            .entity("area", id)
            .details(serde_json::json!({ "name": name })),
    )
    .await?;
    Ok(())
}
