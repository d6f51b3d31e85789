//! The municipality's list of application reasons, kept by its administrators.

use uuid::Uuid;

use super::super::model::{kostra_group_label, parse_reason_name, KOSTRA_GROUPS};
use super::super::repo;
use crate::audit::{self, Event};
use crate::db::Tx;
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::refusal::{Outcome, Refusal};

/// Adds a reason to municipality `m`'s list.
pub async fn add_reason(tx: &mut Tx, actor: Actor<'_>, m: Uuid, raw_name: &str) -> Outcome<()> {
    let name = parse_reason_name(raw_name)?;
    let Some(id) = repo::add_reason(tx, m, &name).await? else {
        return Err(Refusal::field(
            "reason_name",
            format!("Søknadsgrunnen «{name}» finnes allerede."),
        ));
    };
    audit::record(
        tx,
        &actor,
        Event::new("application.reason_added")
            .municipality(m)
            .entity("application_reason", id)
            .details(serde_json::json!({ "name": name })),
    )
    .await?;
    Ok(())
}

/// Takes a reason into use again, or out of use; 404 when `m` has no such reason.
pub async fn set_reason_active(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    id: Uuid,
    active: bool,
) -> Outcome<()> {
    let Some(name) = repo::set_reason_active(tx, m, id, active).await? else {
        return Err(AppError::NotFound.into());
    };
    audit::record(
        tx,
        &actor,
        Event::new(if active {
            "application.reason_activated"
        } else {
            "application.reason_deactivated"
        })
        .municipality(m)
        .entity("application_reason", id)
        .details(serde_json::json!({ "name": name })),
    )
    .await?;
    Ok(())
}

/// Sets the KOSTRA form 13 group a reason counts towards ("" for none). A stale
/// version is refused; asking for the group it already has changes nothing (a double
/// submit is harmless).
pub async fn set_reason_kostra_group(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    id: Uuid,
    raw_group: &str,
    version: i32,
) -> Outcome<()> {
    let Some((key, _)) = KOSTRA_GROUPS.iter().find(|(k, _)| *k == raw_group.trim()) else {
        return Err(Refusal::field(
            "kostra_group",
            "Velg en av gruppene i listen.",
        ));
    };
    let group = (!key.is_empty()).then_some(*key);
    let Some((name, current, current_version)) = repo::lock_reason(tx, m, id).await? else {
        return Err(AppError::NotFound.into());
    };
    if current.as_deref() == group {
        return Ok(());
    }
    if current_version != version {
        return Err(Refusal::Stale);
    }
    repo::set_reason_kostra_group(tx, m, id, group).await?;
    audit::record(
        tx,
        &actor,
        Event::new("application.reason_kostra_group_set")
            .municipality(m)
            .entity("application_reason", id)
            .details(serde_json::json!({
                "name": name,
                "from": current,
                "to": group,
                "from_label": kostra_group_label(current.as_deref()),
                "to_label": kostra_group_label(group),
            })),
    )
    .await?;
    Ok(())
}

/// Adds the standard list when the municipality has none yet.
pub async fn add_default_reasons(tx: &mut Tx, actor: Actor<'_>, m: Uuid) -> Outcome<()> {
    repo::ensure_defaults(tx, m).await?;
    audit::record(
        tx,
        &actor,
        Event::new("application.reasons_defaulted").municipality(m),
    )
    .await?;
    Ok(())
}
