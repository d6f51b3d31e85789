//! Changes to the lease settings, one function each: check, change, audit, never commit.

use uuid::Uuid;

use super::model::{month_text, GroundInput, HouseRulesInput, KpiInput};
use super::repo::{self, GroundRow};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db::Tx;
use crate::leases::rules::index_text;
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::refusal::{on_constraint, Outcome, Refusal};

const LABEL_TAKEN: &str = "Det finnes allerede et grunnlag med dette navnet.";
const GROUND_LABEL: &[(&str, &str, &str)] =
    &[("short_term_grounds_label_key", "label", LABEL_TAKEN)];

fn administer(actor: &Actor<'_>, m: Uuid) -> Outcome<()> {
    if actor.may(Permission::Administer, m) {
        Ok(())
    } else {
        Err(AppError::Forbidden.into())
    }
}

/// Records the KPI value of a month that has none.
pub async fn record_kpi(tx: &mut Tx, actor: Actor<'_>, m: Uuid, x: KpiInput) -> Outcome<()> {
    administer(&actor, m)?;
    if !repo::insert_kpi(tx, m, &x, actor.user.id).await? {
        return Err(Refusal::field(
            "month",
            format!(
                "KPI for {} er allerede registrert. Rett verdien i listen hvis den er feil.",
                month_text(x.month)
            ),
        ));
    }
    audit::record(
        tx,
        &actor,
        Event::new("kpi_value.recorded")
            .municipality(m)
            .entity("kpi_value", x.month)
            .details(serde_json::json!({ "value": index_text(x.tenths), "source": x.source })),
    )
    .await?;
    Ok(())
}

/// Corrects a month's value: refused as stale when it changed since the form was opened.
pub async fn correct_kpi(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    x: KpiInput,
    version: i32,
) -> Outcome<()> {
    administer(&actor, m)?;
    let before = repo::kpi_value(tx, m, x.month)
        .await?
        .ok_or(AppError::NotFound)?;
    if before.version != version || !repo::update_kpi(tx, m, &x, version, actor.user.id).await? {
        return Err(Refusal::Stale);
    }
    audit::record(
        tx,
        &actor,
        Event::new("kpi_value.corrected")
            .municipality(m)
            .entity("kpi_value", x.month)
            .details(serde_json::json!({
                "before": { "value": index_text(before.tenths), "source": before.source },
                "after": { "value": index_text(x.tenths), "source": x.source },
            })),
    )
    .await?;
    Ok(())
}

/// Adds a § 11-1 ground.
pub async fn add_ground(tx: &mut Tx, actor: Actor<'_>, m: Uuid, x: GroundInput) -> Outcome<Uuid> {
    administer(&actor, m)?;
    let id = Uuid::now_v7();
    repo::insert_ground(tx, m, id, &x)
        .await
        .map_err(|e| on_constraint(e, GROUND_LABEL))?;
    audit::record(
        tx,
        &actor,
        Event::new("short_term_ground.added")
            .municipality(m)
            .entity("short_term_ground", id)
            .details(serde_json::json!({ "label": x.label })),
    )
    .await?;
    Ok(id)
}

/// Edits a ground (also takes it out of use or back): stale when changed meanwhile.
pub async fn update_ground(
    tx: &mut Tx,
    actor: Actor<'_>,
    g: &GroundRow,
    x: GroundInput,
    version: i32,
) -> Outcome<()> {
    administer(&actor, g.municipality_id)?;
    let changed = repo::update_ground(tx, g.municipality_id, g.id, &x, version)
        .await
        .map_err(|e| on_constraint(e, GROUND_LABEL))?;
    if !changed {
        return Err(Refusal::Stale);
    }
    let action = match (g.active, x.active) {
        (true, false) => "short_term_ground.deactivated",
        (false, true) => "short_term_ground.activated",
        _ => "short_term_ground.changed",
    };
    audit::record(
        tx,
        &actor,
        Event::new(action)
            .municipality(g.municipality_id)
            .entity("short_term_ground", g.id)
            .details(serde_json::json!({
                "before": { "label": g.label, "active": g.active, "sort_order": g.sort_order },
                "after": { "label": x.label, "active": x.active, "sort_order": x.sort_order },
            })),
    )
    .await?;
    Ok(())
}

/// Appends a new version of the house rules. `based_on` is the version the admin started
/// from: another one saved meanwhile makes the edit stale.
pub async fn add_house_rules(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    x: HouseRulesInput,
    based_on: i32,
) -> Outcome<i32> {
    administer(&actor, m)?;
    let current = repo::current_house_rules(tx, m)
        .await?
        .map_or(0, |v| v.version_no);
    if current != based_on {
        return Err(Refusal::Stale);
    }
    let id = Uuid::now_v7();
    let no = current + 1;
    if !repo::insert_house_rules(tx, m, id, no, &x, actor.user.id).await? {
        return Err(Refusal::Stale);
    }
    audit::record(
        tx,
        &actor,
        Event::new("house_rules.version_added")
            .municipality(m)
            .entity("house_rules_version", id)
            .details(serde_json::json!({ "version": no, "title": x.title })),
    )
    .await?;
    Ok(no)
}
