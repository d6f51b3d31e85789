//! The notice of a CPI adjustment (husleieloven § 4-2), one per lease, written after the
//! approval in batches: typesetting a letter takes tens of milliseconds, so thousands of
//! leases cannot wait in one request. The rent changes are written by the approval
//! itself; the notices follow, each in a transaction with its proposal's `letter_id`, and
//! every notice carries the run's notice date.

use std::time::{Duration, Instant};

use askama::Template;
use sqlx::PgConnection;
use uuid::Uuid;

use super::repo::{self, NoticeRow, RunRow};
use crate::applications::repo::{letterhead, Letterhead};
use crate::audit::{self, Event};
use crate::leases::rules::index_text;
use crate::leases::settings::model::month_text;
use crate::letters::archive::{self, Kind, Outgoing};
use crate::letters::{self, Block};
use crate::web::error::{AppError, AppResult};
use crate::web::format;

/// Notices per transaction.
pub const BATCH: i64 = 10;

#[derive(Template)]
#[template(path = "leases/rent_adjustment_letter.txt", escape = "none")]
pub struct RentAdjustmentText {
    pub letterhead: String,
    pub address_lines: Vec<String>,
    pub date: String,
    pub lease_no: i32,
    pub recipient: String,
    pub recipient_address: Vec<String>,
    pub unit_address: String,
    pub old_rent: String,
    pub new_rent: String,
    pub effective: String,
    pub base_month: String,
    pub base_index: String,
    pub index_month: String,
    pub index_now: String,
    pub phone: String,
    pub email: String,
}

fn lines(street: &str, postcode: &str, place: &str) -> Vec<String> {
    let place = format!("{postcode} {place}").trim().to_string();
    [street.trim().to_string(), place]
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect()
}

/// The notice's blocks and its recipient line.
pub fn compose(head: &Letterhead, run: &RunRow, n: &NoticeRow) -> AppResult<(Vec<Block>, String)> {
    let unit = format!("{} {}", n.unit_street, n.unit_number);
    let unit_place = format!("{} {}", n.unit_postcode, n.unit_place);
    let text = RentAdjustmentText {
        letterhead: head.letterhead_name.clone(),
        address_lines: lines(&head.street_address, &head.postcode, &head.postal_place),
        date: format::date(run.notice_on),
        lease_no: n.lease_no,
        recipient: n.tenant_name.clone(),
        recipient_address: lines(&n.tenant_street, &n.tenant_postcode, &n.tenant_place),
        unit_address: format!("{}, {}", unit.trim(), unit_place.trim())
            .trim_end_matches([',', ' '])
            .to_string(),
        old_rent: format::kroner(n.old_rent),
        new_rent: format::kroner(n.new_rent),
        effective: format::date(run.effective_on),
        base_month: month_text(n.base_month),
        base_index: index_text(n.base_tenths),
        index_month: month_text(run.index_month),
        index_now: index_text(run.index_tenths),
        phone: head.phone.clone(),
        email: head.email.clone(),
    };
    let blocks = letters::parse(&text.render().map_err(AppError::Template)?);
    let recipient = std::iter::once(text.recipient.clone())
        .chain(text.recipient_address.iter().cloned())
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    Ok((blocks, recipient))
}

/// Writes up to [`BATCH`] notices of an approved run in `conn`'s transaction (scoped to
/// the run's municipality); returns how many. The caller commits.
pub async fn write_batch(conn: &mut PgConnection, run: &RunRow) -> AppResult<usize> {
    let m = run.municipality_id;
    let Some(sent_by) = run.decided_by else {
        return Ok(0);
    };
    let due = repo::notices_due(&mut *conn, m, run.id, BATCH).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let head = letterhead(&mut *conn, m).await?;
    let footer = format!("{} · Regulering av husleie", head.letterhead_name);
    for n in &due {
        let (blocks, recipient) = compose(&head, run, n)?;
        let letter = archive::archive(
            &mut *conn,
            m,
            Outgoing {
                kind: Kind::RentAdjustment,
                application_id: n.application_id,
                entity_type: "lease",
                entity_id: n.lease_id,
                title: "Varsel om regulering av husleie",
                recipient: &recipient,
                channel: "letter",
                sent_on: run.notice_on,
                sent_by,
                author: &head.letterhead_name,
                footer: &footer,
                blocks,
                texts: Vec::new(),
            },
        )
        .await?;
        repo::set_letter(&mut *conn, m, run.id, n.lease_id, letter).await?;
    }
    audit::record_as(
        &mut *conn,
        None,
        &Default::default(),
        Event::new("cpi_run.notices_written")
            .municipality(m)
            .entity("cpi_run", run.id)
            .details(serde_json::json!({
                "leases": due.iter().map(|n| n.lease_id).collect::<Vec<_>>(),
            })),
    )
    .await?;
    Ok(due.len())
}

/// Writes a run's notices batch by batch, each batch committed, until none is left or
/// `budget` has passed; returns how many were written.
pub async fn write_for_run(
    pool: &sqlx::PgPool,
    m: Uuid,
    run: Uuid,
    budget: Duration,
) -> AppResult<usize> {
    let start = Instant::now();
    let mut written = 0;
    loop {
        let mut tx = crate::db::scoped_tx(pool, &[m]).await?;
        let Some(r) = repo::run(&mut tx, &[m], run).await? else {
            return Ok(written);
        };
        let n = write_batch(&mut tx, &r).await?;
        tx.commit().await?;
        written += n;
        if n == 0 || start.elapsed() >= budget {
            return Ok(written);
        }
    }
}

/// The scheduled job's work: the notices still due of every approved run, in every
/// municipality, for at most `budget`. Returns how many were written.
pub async fn write_due(pool: &sqlx::PgPool, budget: Duration) -> anyhow::Result<usize> {
    let start = Instant::now();
    let municipalities = crate::municipalities::repo::all_ids(pool).await?;
    let mut tx = crate::db::scoped_tx(pool, &municipalities).await?;
    let runs = repo::runs_with_notices_due(&mut tx).await?;
    tx.commit().await?;
    let mut written = 0;
    for (m, run) in runs {
        let left = budget.saturating_sub(start.elapsed());
        if left.is_zero() {
            break;
        }
        written += write_for_run(pool, m, run, left)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    Ok(written)
}
