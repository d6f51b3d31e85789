//! The rent ledger's set-based runs, measured (`bosak bench rent`, run by
//! `scripts/bench-rent`): the month's charge run and a bank import's payments for every
//! running lease of a municipality, through the same functions the pages and the import
//! call, each run in a transaction that is rolled back. A benchmark prints numbers; it
//! asserts only that the work was done.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use super::{commands, model, repo};

/// What `rent` measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// KIDs issued (committed: a lease keeps its KID) before the runs, and how long it took;
    /// 0 when every running lease had one.
    pub kids_issued: u64,
    pub kid_issue: Duration,
    pub runs: Vec<Timing>,
}

/// One run's timings.
#[derive(Debug, Clone)]
pub struct Timing {
    pub month: NaiveDate,
    pub charges: i64,
    pub charge_run: Duration,
    pub payments: u64,
    pub payment_batch: Duration,
}

/// `runs` times: the charge run of the first month after `today` and after every run
/// `m` has made, then one payment per charge made, paying it in full, in one batch.
/// `by` attributes the payments (a user of `m`). The leases' KIDs are issued first and
/// kept, as the first real run does once: a monthly run finds them issued.
pub async fn rent(
    pool: &PgPool,
    m: Uuid,
    by: Uuid,
    today: NaiveDate,
    runs: u32,
) -> anyhow::Result<Report> {
    let month = model::next_month(today);
    let mut tx = crate::db::scoped_tx(pool, &[m]).await?;
    let started = Instant::now();
    repo::lock_ledger(&mut tx, m).await?;
    let kids_issued =
        repo::ensure_accounts(&mut tx, m, month, model::next_month(month), None).await?;
    tx.commit().await?;
    let kid_issue = started.elapsed();
    let mut out = Vec::new();
    for _ in 0..runs {
        let mut tx = crate::db::scoped_tx(pool, &[m]).await?;
        let last: Option<NaiveDate> = sqlx::query_scalar(
            "SELECT max(month) FROM rent_charge_runs WHERE municipality_id = $1",
        )
        .bind(m)
        .fetch_one(&mut *tx)
        .await?;
        let mut month = model::next_month(today);
        if let Some(last) = last.filter(|l| *l >= month) {
            month = model::next_month(last);
        }
        let started = Instant::now();
        let done = commands::charge_run(&mut tx, m, month, Some(by))
            .await?
            .ok_or_else(|| anyhow::anyhow!("{month} was charged already"))?;
        let charge_run = started.elapsed();
        let charges: Vec<(Uuid, i64, Option<String>)> = sqlx::query_as(
            "SELECT lease_id, amount, kid FROM rent_entries
              WHERE municipality_id = $1 AND charge_month = $2 AND charge_kind = 'rent'",
        )
        .bind(m)
        .bind(month)
        .fetch_all(&mut *tx)
        .await?;
        let payments: Vec<repo::NewPayment> = charges
            .into_iter()
            .map(|(lease_id, amount, kid)| repo::NewPayment {
                id: Uuid::now_v7(),
                lease_id,
                amount,
                paid_on: month,
                payer: "tenant",
                kid,
                settles_first: None,
                import_line_id: None,
                created_by: Some(by),
                note: String::new(),
            })
            .collect();
        let started = Instant::now();
        let paid = repo::insert_payments(&mut tx, m, &payments).await?;
        let payment_batch = started.elapsed();
        tx.rollback().await?;
        out.push(Timing {
            month,
            charges: done.charges,
            charge_run,
            payments: paid,
            payment_batch,
        });
    }
    Ok(Report {
        kids_issued,
        kid_issue,
        runs: out,
    })
}
