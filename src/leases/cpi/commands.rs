//! The CPI run's changes, one function each: start (with its proposals), leave a lease
//! out or take it back, discard, approve. Each checks, changes, audits and never commits.

use uuid::Uuid;

use super::model::{self, RunStatus, StartInput};
use super::repo::{self, RunRow};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db::Tx;
use crate::leases::rules::index_text;
use crate::leases::settings::repo as settings;
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::refusal::{on_constraint, Outcome, Refusal};

const OPEN_RUN: &[(&str, &str, &str)] =
    &[("cpi_runs_open_key", "index_month", model::ONE_OPEN_RUN)];

fn administer(actor: &Actor<'_>, m: Uuid) -> Outcome<()> {
    if actor.may(Permission::Administer, m) {
        Ok(())
    } else {
        Err(AppError::Forbidden.into())
    }
}

/// What a start made: the run and how many leases it proposes to adjust.
pub struct Started {
    pub run: Uuid,
    pub proposed: u64,
}

/// Starts a run in `m`: the index month must have a KPI value; the proposals are computed
/// in one statement over every lease due.
pub async fn start(tx: &mut Tx, actor: Actor<'_>, m: Uuid, x: StartInput) -> Outcome<Started> {
    administer(&actor, m)?;
    let index = settings::kpi_value(tx, m, x.index_month)
        .await?
        .ok_or_else(|| Refusal::field("index_month", model::no_index(x.index_month)))?;
    let id = Uuid::now_v7();
    repo::insert_run(tx, m, id, &x, index.tenths, actor.user.id)
        .await
        .map_err(|e| on_constraint(e, OPEN_RUN))?;
    let proposed = repo::propose(tx, m, id, x.effective_on, index.tenths).await?;
    audit::record(
        tx,
        &actor,
        Event::new("cpi_run.started")
            .municipality(m)
            .entity("cpi_run", id)
            .details(serde_json::json!({
                "index_month": x.index_month,
                "index": index_text(index.tenths),
                "notice_on": x.notice_on,
                "effective_on": x.effective_on,
                "proposed": proposed,
            })),
    )
    .await?;
    Ok(Started { run: id, proposed })
}

fn open_at(r: &RunRow, version: i32) -> Outcome<()> {
    match RunStatus::parse(&r.status) {
        RunStatus::Proposed if r.version == version => Ok(()),
        _ => Err(Refusal::Stale),
    }
}

/// Leaves a lease out of the run (or takes it back in).
pub async fn set_included(
    tx: &mut Tx,
    actor: Actor<'_>,
    r: &RunRow,
    lease: Uuid,
    included: bool,
    version: i32,
) -> Outcome<()> {
    administer(&actor, r.municipality_id)?;
    open_at(r, version)?;
    if !repo::set_included(tx, r.municipality_id, r.id, lease, included).await? {
        return Err(AppError::NotFound.into());
    }
    if !repo::advance_run(tx, r.municipality_id, r.id, version, None).await? {
        return Err(Refusal::Stale);
    }
    let action = if included {
        "cpi_run.lease_included"
    } else {
        "cpi_run.lease_excluded"
    };
    audit::record(
        tx,
        &actor,
        Event::new(action)
            .municipality(r.municipality_id)
            .entity("cpi_run", r.id)
            .details(serde_json::json!({ "lease": lease })),
    )
    .await?;
    Ok(())
}

/// Discards an open run: nothing is applied, and a new run may be started.
pub async fn discard(tx: &mut Tx, actor: Actor<'_>, r: &RunRow, version: i32) -> Outcome<()> {
    administer(&actor, r.municipality_id)?;
    open_at(r, version)?;
    let decided = Some(("discarded", actor.user.id));
    if !repo::advance_run(tx, r.municipality_id, r.id, version, decided).await? {
        return Err(Refusal::Stale);
    }
    audit::record(
        tx,
        &actor,
        Event::new("cpi_run.discarded")
            .municipality(r.municipality_id)
            .entity("cpi_run", r.id),
    )
    .await?;
    Ok(())
}

/// Approves a run: every included proposal becomes a rent change from the run's
/// effective date, in one statement. The notices are written afterwards, in batches
/// (`letters`). Approving an approved run again changes nothing; returns how many rent
/// changes this call wrote.
pub async fn approve(tx: &mut Tx, actor: Actor<'_>, r: &RunRow, version: i32) -> Outcome<u64> {
    administer(&actor, r.municipality_id)?;
    match RunStatus::parse(&r.status) {
        RunStatus::Approved => return Ok(0),
        RunStatus::Discarded => return Err(Refusal::Stale),
        RunStatus::Proposed => open_at(r, version)?,
    }
    // The notices are dated the run's notice date: approving after it would give the
    // tenants less than the month § 4-2 requires.
    if actor.today > r.notice_on {
        return Err(Refusal::general(format!(
            "Varslingsdatoen {} er passert. Forkast kjøringen og start en ny, så leietakerne får minst én måneds varsel (husleieloven § 4-2).",
            crate::web::format::date(r.notice_on)
        )));
    }
    let decided = Some(("approved", actor.user.id));
    if !repo::advance_run(tx, r.municipality_id, r.id, version, decided).await? {
        return Err(Refusal::Stale);
    }
    let applied = repo::apply(tx, r, actor.user.id).await?;
    let totals = repo::totals(tx, r.municipality_id, r.id).await?;
    audit::record(
        tx,
        &actor,
        Event::new("cpi_run.approved")
            .municipality(r.municipality_id)
            .entity("cpi_run", r.id)
            .details(serde_json::json!({
                "applied": applied,
                "included": totals.included,
                "proposed": totals.proposed,
                "effective_on": r.effective_on,
            })),
    )
    .await?;
    Ok(applied)
}
