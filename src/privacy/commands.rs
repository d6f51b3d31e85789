//! Changes of data protection, one function each: the retention period, and the access
//! export (which changes nothing but is recorded: who exported whose data). They never
//! commit.

use uuid::Uuid;

use super::model::parse_retention_years;
use super::repo::{self, Export};
use crate::audit::{self, Event};
use crate::auth::roles::MunicipalityRef;
use crate::db::Tx;
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::refusal::{Outcome, Refusal};

/// Sets municipality `m`'s retention period to the years typed, over settings `version`.
pub async fn set_retention_years(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    version: i32,
    typed: &str,
) -> Outcome<()> {
    let years =
        parse_retention_years(typed).map_err(|msg| Refusal::field("retention_years", msg))?;
    let Some(before) = repo::set_retention_years(tx, m, version, years, actor.user.id).await?
    else {
        return Err(Refusal::Stale);
    };
    audit::record(
        tx,
        &actor,
        Event::new("settings.retention_years")
            .municipality(m)
            .details(serde_json::json!({ "from": before, "to": years })),
    )
    .await?;
    Ok(())
}

/// Everything held about `person` in `m`, recorded as exported in `format`; 404 when the
/// person is not there.
pub async fn export(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: &MunicipalityRef,
    person: Uuid,
    format: &str,
) -> Outcome<Export> {
    let export = repo::gather(tx, m, person, actor.now)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(
        tx,
        &actor,
        Event::new("privacy.access_export")
            .municipality(m.id)
            .entity("person", person)
            .details(serde_json::json!({
                "format": format,
                "applications": export.cases.iter().map(|c| c.id).collect::<Vec<_>>(),
            })),
    )
    .await?;
    Ok(export)
}
