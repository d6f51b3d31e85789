//! The rent ledger's changes, one function each: the month's charge run, a payment by
//! hand, a credit, a correction. Each takes the ledger lock, checks, writes the entry and
//! its settlement in the same transaction, audits, and never commits.

use chrono::NaiveDate;
use uuid::Uuid;

use super::model::{self, AdjustInput, PaymentInput};
use super::repo::{self, NewEntry};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db::Tx;
use crate::leases::repo::LeaseRow;
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::refusal::{Outcome, Refusal};

fn may_manage(actor: &Actor<'_>, m: Uuid) -> Outcome<()> {
    if actor.may(Permission::ManageRent, m) {
        Ok(())
    } else {
        Err(AppError::Forbidden.into())
    }
}

/// A draft has no ledger yet: nothing is charged before signing, so nothing is paid or
/// adjusted either. A lease that has ended keeps its ledger (arrears are paid after moving
/// out).
fn has_ledger(lease: &LeaseRow, field: &'static str) -> Outcome<()> {
    if lease.status == crate::leases::model::Status::Draft {
        Err(Refusal::field(field, model::DRAFT_LEASE))
    } else {
        Ok(())
    }
}

/// What a charge run made.
#[derive(Debug, Clone, Copy)]
pub struct RunDone {
    pub run: Uuid,
    pub charges: i64,
    pub total: i64,
}

/// The month's charges for every lease of `m` that runs in it; `by` None for the
/// scheduled job. None when the month was run already (also by a run that committed while
/// this one waited): nothing is charged twice.
pub async fn charge_run(
    tx: &mut sqlx::PgConnection,
    m: Uuid,
    month: NaiveDate,
    by: Option<Uuid>,
) -> sqlx::Result<Option<RunDone>> {
    let month = model::month_of(month);
    repo::lock_ledger(tx, m).await?;
    let run = Uuid::now_v7();
    if !repo::insert_run(tx, m, run, month, by).await? {
        return Ok(None);
    }
    repo::ensure_accounts(tx, m, month, model::next_month(month), None).await?;
    let (charges, total) = repo::charge_month(tx, m, run, month).await?;
    // An overpayment waiting as credit pays the new charge.
    repo::settle(tx, m, None).await?;
    repo::finish_run(tx, m, run, charges, total).await?;
    Ok(Some(RunDone {
        run,
        charges,
        total,
    }))
}

/// A caseworker or admin starts the run of `month` in `m`.
pub async fn start_run(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    month: NaiveDate,
) -> Outcome<RunDone> {
    may_manage(&actor, m)?;
    let done = charge_run(tx, m, month, Some(actor.user.id))
        .await?
        .ok_or_else(|| Refusal::field("month", model::MONTH_RUN))?;
    audit::record(
        tx,
        &actor,
        Event::new("rent_run.started")
            .municipality(m)
            .entity("rent_charge_run", done.run)
            .details(serde_json::json!({
                "month": month, "charges": done.charges, "total": done.total,
            })),
    )
    .await?;
    Ok(done)
}

/// Records a payment by hand on the lease's ledger and settles it (oldest open charges
/// first; an overpayment stays as credit). A second submit of the same form (its token)
/// records nothing and is no error. Returns the payment, or None for a repeat.
pub async fn record_payment(
    tx: &mut Tx,
    actor: Actor<'_>,
    lease: &LeaseRow,
    x: PaymentInput,
) -> Outcome<Option<Uuid>> {
    let m = lease.municipality_id;
    may_manage(&actor, m)?;
    has_ledger(lease, "amount")?;
    repo::lock_ledger(tx, m).await?;
    let kid = repo::kid_of(tx, m, lease.id).await?;
    let id = Uuid::now_v7();
    let entry = NewEntry {
        id,
        lease_id: lease.id,
        kind: "payment",
        charge_kind: None,
        amount: -x.amount,
        applies_on: x.paid_on,
        kid,
        payer: Some(x.payer.key()),
        corrects_id: None,
        settles_first: None,
        note: x.note,
        created_by: Some(actor.user.id),
        import_line_id: None,
        idempotency_key: Some(x.token),
    };
    if repo::insert_entry(tx, m, &entry).await?.is_none() {
        return Ok(None);
    }
    repo::settle(tx, m, Some(&[lease.id])).await?;
    audit::record(
        tx,
        &actor,
        Event::new("rent.payment_recorded")
            .municipality(m)
            .entity("lease", lease.id)
            .details(serde_json::json!({
                "entry": id, "amount": x.amount, "paid_on": x.paid_on, "payer": x.payer.key(),
            })),
    )
    .await?;
    Ok(Some(id))
}

/// A credit (reduces what the tenant owes) or a correction of an entry (either way), with
/// its reason, as a new entry; settled at once. None for a repeated submit.
pub async fn record_adjustment(
    tx: &mut Tx,
    actor: Actor<'_>,
    lease: &LeaseRow,
    x: AdjustInput,
) -> Outcome<Option<Uuid>> {
    let m = lease.municipality_id;
    may_manage(&actor, m)?;
    has_ledger(lease, "adj_amount")?;
    repo::lock_ledger(tx, m).await?;
    if let Some(c) = x.corrects {
        if !repo::entry_exists(tx, m, lease.id, c).await? {
            return Err(Refusal::field("corrects", model::NO_ENTRY));
        }
    }
    let kind = if x.corrects.is_some() {
        "correction"
    } else {
        "credit"
    };
    let id = Uuid::now_v7();
    let entry = NewEntry {
        id,
        lease_id: lease.id,
        kind,
        charge_kind: None,
        amount: x.amount,
        applies_on: x.applies_on,
        kid: None,
        payer: None,
        corrects_id: x.corrects,
        // A correction downwards of a charge settles that charge first.
        settles_first: x.corrects.filter(|_| x.amount < 0),
        note: x.note,
        created_by: Some(actor.user.id),
        import_line_id: None,
        idempotency_key: Some(x.token),
    };
    if repo::insert_entry(tx, m, &entry).await?.is_none() {
        return Ok(None);
    }
    repo::settle(tx, m, Some(&[lease.id])).await?;
    audit::record(
        tx,
        &actor,
        Event::new(if kind == "credit" {
            "rent.credit_recorded"
        } else {
            "rent.correction_recorded"
        })
        .municipality(m)
        .entity("lease", lease.id)
        .details(serde_json::json!({
            "entry": id, "amount": x.amount, "corrects": x.corrects,
        })),
    )
    .await?;
    Ok(Some(id))
}

/// The scheduled job: on or after each municipality's charge day, the coming month's
/// charges, where not made yet. Returns how many charges were made.
pub async fn run_due(pool: &sqlx::PgPool, today: NaiveDate) -> anyhow::Result<i64> {
    use chrono::Datelike;
    let next = model::next_month(today);
    let all = crate::municipalities::repo::all_ids(pool).await?;
    let due = {
        let mut tx = crate::db::scoped_tx(pool, &all).await?;
        let due = repo::due_for_run(&mut tx, today.day() as i16, next).await?;
        tx.commit().await?;
        due
    };
    let mut made = 0;
    for m in due {
        let mut tx = crate::db::scoped_tx(pool, &[m]).await?;
        if let Some(done) = charge_run(&mut tx, m, next, None).await? {
            audit::record_as(
                &mut tx,
                None,
                &crate::web::ctx::RequestMeta::default(),
                Event::new("rent_run.started")
                    .municipality(m)
                    .entity("rent_charge_run", done.run)
                    .details(serde_json::json!({
                        "month": next, "charges": done.charges, "total": done.total, "by": "job",
                    })),
            )
            .await?;
            made += done.charges;
        }
        tx.commit().await?;
    }
    Ok(made)
}
