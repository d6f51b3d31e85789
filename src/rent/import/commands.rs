//! The bank import's changes: storing a parsed file for its preview, the all-or-nothing
//! import of a file (its lines, the payments of the lines whose KID names a lease, the
//! rest to the queue), and resolving a queued line (assigned to a lease, or returned).
//! Each checks the permission, audits, and never commits.

use std::collections::HashMap;

use uuid::Uuid;

use super::model::{self, Counts, LeaseRef, LineStatus, PlannedLine};
use super::repo::{self, ImportRow, LineRow};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db::Tx;
use crate::rent::ocr::{self, Transmission};
use crate::rent::repo::{self as ledger, NewPayment};
use crate::rent::settings::repo as settings;
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::format;
use crate::web::refusal::{on_constraint, Outcome, Refusal};

fn may_manage(actor: &Actor<'_>, m: Uuid) -> Outcome<()> {
    if actor.may(Permission::ManageRent, m) {
        Ok(())
    } else {
        Err(AppError::Forbidden.into())
    }
}

/// Refused when the same file was imported before, in any municipality.
async fn not_imported_before(
    tx: &mut sqlx::PgConnection,
    t: &Transmission,
    hash: &[u8],
) -> Outcome<()> {
    match repo::imported_before(tx, &t.data_sender, &t.number, hash).await? {
        Some((no, at)) => Err(Refusal::field(
            "file",
            model::already_imported(&no, &format::datetime(at)),
        )),
        None => Ok(()),
    }
}

/// Refused unless every account the file pays into is one of `m`'s rent accounts: KIDs
/// start at 1 in every municipality, so only the account says whose payments these are.
async fn accounts_are_ours<'a>(
    tx: &mut sqlx::PgConnection,
    m: Uuid,
    accounts: impl Iterator<Item = (&'a str, Option<i32>)>,
) -> Outcome<()> {
    let mut seen: Vec<(String, Option<i32>)> = Vec::new();
    for (a, line) in accounts {
        if !seen.iter().any(|(x, _)| x == a) {
            seen.push((a.to_owned(), line));
        }
    }
    let numbers: Vec<String> = seen.iter().map(|(a, _)| a.clone()).collect();
    let foreign = settings::foreign_accounts(tx, m, &numbers).await?;
    match seen.iter().find(|(a, _)| foreign.contains(a)) {
        Some((a, line)) => Err(Refusal::field("file", model::foreign_account(a, *line))),
        None => Ok(()),
    }
}

/// Stores an uploaded file that parsed, for its preview: nothing is imported yet. A file
/// imported before (anywhere), or paying into an account that is not `m`'s, is refused
/// (next to the file field) and not stored.
pub async fn upload(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    file_name: &str,
    content: &[u8],
    t: &Transmission,
) -> Outcome<Uuid> {
    may_manage(&actor, m)?;
    let hash = ocr::content_hash(content);
    // The accounts first: another municipality's file learns nothing of its imports.
    accounts_are_ours(
        tx,
        m,
        t.assignments.iter().map(|a| (a.account.as_str(), None)),
    )
    .await?;
    not_imported_before(tx, t, &hash).await?;
    let id = Uuid::now_v7();
    repo::insert_import(tx, m, id, t, &hash, file_name, content, actor.user.id).await?;
    audit::record(
        tx,
        &actor,
        Event::new("rent_import.uploaded")
            .municipality(m)
            .entity("rent_import", id)
            .details(serde_json::json!({
                "file_name": file_name, "bytes": content.len(), "transmission": t.number,
            })),
    )
    .await?;
    Ok(id)
}

/// The file of a stored import, parsed again (it parsed on upload), with each line
/// matched against the leases of its municipality: what the preview shows and what the
/// import writes.
pub async fn plan(tx: &mut sqlx::PgConnection, import: &ImportRow) -> Outcome<Vec<PlannedLine>> {
    let t = ocr::parse(&import.content).map_err(|e| Refusal::field("file", model::refused(&e)))?;
    let kids = model::kids(&t);
    let found = ledger::leases_by_kid(tx, &[import.municipality_id], &kids).await?;
    let leases: HashMap<String, Uuid> = found.into_iter().map(|k| (k.kid, k.lease_id)).collect();
    Ok(model::plan(
        &t,
        &model::item_lines(&import.content),
        &leases,
    ))
}

/// What an import made.
#[derive(Clone, Copy, Debug)]
pub struct Imported {
    pub counts: Counts,
    pub payments: u64,
    /// Seconds spent parsing and matching, writing the lines, and recording and settling
    /// the payments (the benchmark prints them).
    pub phases: [f64; 3],
}

const IMPORTED_TWICE: &str =
    "Denne filen er allerede importert (av en annen opplasting). Ingenting er importert på nytt.";

/// The import of a previewed file, all or nothing: every line recorded, the lines whose
/// KID names a lease of the municipality recorded as payments and settled (oldest open
/// charges first), the rest in the queue. None when the import was confirmed already (a
/// second submit, also one that waited for the first): nothing happens. The same file
/// imported under another upload is refused.
pub async fn confirm(
    tx: &mut Tx,
    actor: Actor<'_>,
    import: &ImportRow,
) -> Outcome<Option<Imported>> {
    let m = import.municipality_id;
    may_manage(&actor, m)?;
    let done = import_file(tx, m, import, actor.user.id, actor.now).await?;
    if let Some(done) = done {
        audit::record(
            tx,
            &actor,
            Event::new("rent_import.imported")
                .municipality(m)
                .entity("rent_import", import.id)
                .details(serde_json::json!({
                    "transmission": import.transmission_no,
                    "lines": done.counts.lines, "total": done.counts.total,
                    "matched": done.counts.matched, "queued": done.counts.queued,
                    "payments": done.payments,
                })),
        )
        .await?;
    }
    Ok(done)
}

/// The work of [`confirm`] without the permission check and the audit (the benchmark
/// calls it as it is).
pub async fn import_file(
    tx: &mut sqlx::PgConnection,
    m: Uuid,
    import: &ImportRow,
    by: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> Outcome<Option<Imported>> {
    // Claim the row first: a second confirm waits here for the first and then finds it
    // imported; another upload of the same file fails on the unique keys.
    const KEYS: &[(&str, &str, &str)] = &[
        ("rent_imports_transmission_key", "file", IMPORTED_TWICE),
        ("rent_imports_content_key", "file", IMPORTED_TWICE),
        ("rent_import_fingerprints_pkey", "file", IMPORTED_TWICE),
    ];
    let claimed = repo::mark_imported(tx, m, import.id, by, at)
        .await
        .map_err(|e| on_constraint(e, KEYS))?;
    if !claimed {
        return Ok(None);
    }
    let clock = std::time::Instant::now();
    let lines = plan(tx, import).await?;
    // Checked again at the confirm: an account may have been removed since the preview.
    accounts_are_ours(
        tx,
        m,
        lines
            .iter()
            .map(|l| (l.assignment_account.as_str(), Some(l.line_no))),
    )
    .await?;
    let counts = model::counts(&lines);
    let planned = clock.elapsed().as_secs_f64();
    let ids = repo::insert_lines(tx, m, import.id, &lines).await?;
    let written = clock.elapsed().as_secs_f64();
    let payments: Vec<NewPayment> = lines
        .iter()
        .zip(&ids)
        .filter_map(|(l, id)| {
            let lease = l.lease_id.filter(|_| l.status == LineStatus::Matched)?;
            Some(NewPayment {
                id: Uuid::now_v7(),
                lease_id: lease,
                amount: l.amount,
                paid_on: l.paid_on,
                payer: "other",
                kid: model::ledger_kid(l.kid.as_deref()),
                // KIDs name leases today, not charges.
                settles_first: None,
                import_line_id: Some(*id),
                created_by: None,
                note: String::new(),
            })
        })
        .collect();
    let recorded = ledger::insert_payments(tx, m, &payments).await?;
    let paid = clock.elapsed().as_secs_f64();
    repo::set_counts(tx, m, import.id, counts).await?;
    Ok(Some(Imported {
        counts,
        payments: recorded,
        phases: [planned, written - planned, paid - written],
    }))
}

/// A caseworker puts a queued line on a lease (by its number or KID): the payment is
/// recorded and settled now, once (a second submit or a colleague first is stale).
pub async fn assign(
    tx: &mut Tx,
    actor: Actor<'_>,
    line: &LineRow,
    version: i32,
    lease: LeaseRef,
) -> Outcome<Uuid> {
    let m = line.municipality_id;
    may_manage(&actor, m)?;
    if !line.status().is_queued() || line.version != version {
        return Err(Refusal::Stale);
    }
    if line.amount == 0 {
        return Err(Refusal::field("lease", model::CANNOT_ASSIGN));
    }
    let (number, kid) = match &lease {
        LeaseRef::Number(n) => (Some(*n), None),
        LeaseRef::Kid(k) => (None, Some(k.as_str())),
    };
    let (lease_id, lease_no) = repo::lease_by_number_or_kid(tx, m, number, kid)
        .await?
        .ok_or_else(|| Refusal::field("lease", model::LEASE_NOT_FOUND))?;
    if line.amount < 0 {
        reverse(tx, &actor, line, version, lease_id, lease_no).await?;
        return Ok(lease_id);
    }
    if !repo::resolve(
        tx,
        m,
        line.id,
        version,
        LineStatus::Assigned,
        Some(lease_id),
        None,
        actor.user.id,
        actor.now,
    )
    .await?
    {
        return Err(Refusal::Stale);
    }
    let recorded = ledger::insert_payments(
        tx,
        m,
        &[NewPayment {
            id: Uuid::now_v7(),
            lease_id,
            amount: line.amount,
            paid_on: line.paid_on,
            payer: "other",
            kid: model::ledger_kid(line.kid.as_deref()),
            settles_first: None,
            import_line_id: Some(line.id),
            created_by: Some(actor.user.id),
            note: String::new(),
        }],
    )
    .await?;
    if recorded != 1 {
        return Err(Refusal::Stale);
    }
    audit::record(
        tx,
        &actor,
        Event::new("rent_import.line_assigned")
            .municipality(m)
            .entity("rent_import_line", line.id)
            .details(serde_json::json!({
                "lease": lease_id, "lease_no": lease_no, "amount": line.amount,
            })),
    )
    .await?;
    Ok(lease_id)
}

/// A bank reversal (a negative line) put on a lease: the payment of that amount it takes
/// back gets a correction of the same amount, so the charges that payment covered are owed
/// again. Refused next to the field when the lease has no such payment left to reverse.
async fn reverse(
    tx: &mut Tx,
    actor: &Actor<'_>,
    line: &LineRow,
    version: i32,
    lease_id: Uuid,
    lease_no: i32,
) -> Outcome<()> {
    let m = line.municipality_id;
    // Two reversals of one payment at once: the second waits and then finds it reversed.
    ledger::lock_ledger(tx, m).await?;
    let payment = ledger::payment_to_reverse(tx, m, lease_id, line.amount, line.paid_on)
        .await?
        .ok_or_else(|| Refusal::field("lease", model::NO_PAYMENT_TO_REVERSE))?;
    if !repo::resolve(
        tx,
        m,
        line.id,
        version,
        LineStatus::Reversed,
        Some(lease_id),
        None,
        actor.user.id,
        actor.now,
    )
    .await?
    {
        return Err(Refusal::Stale);
    }
    let entry = ledger::NewEntry {
        id: Uuid::now_v7(),
        lease_id,
        kind: "correction",
        charge_kind: None,
        amount: -line.amount,
        applies_on: line.paid_on,
        kid: model::ledger_kid(line.kid.as_deref()),
        payer: None,
        corrects_id: Some(payment),
        settles_first: None,
        note: format!(
            "Reversert av banken: forsendelse {}, linje {}, arkivreferanse {}.",
            line.transmission_no, line.line_no, line.archive_reference
        ),
        created_by: Some(actor.user.id),
        import_line_id: Some(line.id),
        // One reversal per line, also when the form is sent twice.
        idempotency_key: Some(line.id),
    };
    if ledger::insert_entry(tx, m, &entry).await?.is_none() {
        return Err(Refusal::Stale);
    }
    ledger::settle(tx, m, Some(&[lease_id])).await?;
    audit::record(
        tx,
        actor,
        Event::new("rent_import.line_reversed")
            .municipality(m)
            .entity("rent_import_line", line.id)
            .details(serde_json::json!({
                "lease": lease_id, "lease_no": lease_no, "amount": line.amount,
                "payment": payment, "correction": entry.id,
            })),
    )
    .await?;
    Ok(())
}

/// A caseworker marks a queued line to be paid back, with the reason.
pub async fn return_line(
    tx: &mut Tx,
    actor: Actor<'_>,
    line: &LineRow,
    version: i32,
    reason: String,
) -> Outcome<()> {
    let m = line.municipality_id;
    may_manage(&actor, m)?;
    if !line.status().is_queued() || line.version != version {
        return Err(Refusal::Stale);
    }
    if !repo::resolve(
        tx,
        m,
        line.id,
        version,
        LineStatus::Returned,
        None,
        Some(&reason),
        actor.user.id,
        actor.now,
    )
    .await?
    {
        return Err(Refusal::Stale);
    }
    audit::record(
        tx,
        &actor,
        Event::new("rent_import.line_returned")
            .municipality(m)
            .entity("rent_import_line", line.id)
            .details(serde_json::json!({ "amount": line.amount, "reason": reason })),
    )
    .await?;
    Ok(())
}
