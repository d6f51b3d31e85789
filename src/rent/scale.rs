//! Benchmark ledgers (`bosak seed scale`): for every lease of the scale data, the last
//! [`MONTHS`] months charged by real charge runs, and payments that settle them — except
//! that about 15 % of the running leases stop paying 1–6 months before today, so the
//! arrears overview, the ledgers and the figures have realistic arrears of every age. The
//! payments and their settlements are written set-based (one statement each per
//! municipality); a bank file of unmatched lines gives the import and queue pages theirs.

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{commands, import, model, ocr, seed};
use crate::seed::with_tenant;

/// Months charged, counting this one: four years of the leases of a factor (15 000, of
/// which about 11 000 run at a time) are about 1.4 million ledger rows — charges, payments
/// and the settlement rows between them.
pub const MONTHS: u32 = 48;

/// Lines of the bank file whose KIDs name no lease (the payment queue).
const QUEUED_LINES: usize = 200;

pub async fn seed_scale(
    conn: &mut PgConnection,
    municipalities: &[(Uuid, String)],
    today: NaiveDate,
) -> anyhow::Result<()> {
    for (m, number) in municipalities {
        one(conn, *m, number, today).await?;
    }
    Ok(())
}

async fn one(
    conn: &mut PgConnection,
    m: Uuid,
    number: &str,
    today: NaiveDate,
) -> anyhow::Result<()> {
    with_tenant(conn, m).await?;
    let by = seed::caseworker(conn, m).await?;
    seed::register_demo_account(conn, m, number).await?;
    let account = seed::demo_account(number);
    let this = model::month_of(today);
    let mut month = this
        .checked_sub_months(chrono::Months::new(MONTHS - 1))
        .unwrap_or(this);
    while month <= this {
        commands::charge_run(conn, m, month, None).await?;
        month = model::next_month(month);
    }
    // Freshly loaded rows have no statistics: left to itself the planner nests loops over
    // hundreds of thousands of charges. Hash joins, as the charge run uses.
    sqlx::query("SET LOCAL enable_nestloop = off")
        .execute(&mut *conn)
        .await?;
    // Who stops paying, and since when: a stable hash of the lease; only running leases.
    sqlx::query(
        "CREATE TEMP TABLE seed_payments ON COMMIT DROP AS
         WITH e AS (
           SELECT e.id, e.lease_id, e.amount, e.applies_on, e.kid,
                  (hashtext(e.lease_id::text) & 1023) AS h,
                  l.status
             FROM rent_entries e
             JOIN leases l ON l.municipality_id = e.municipality_id AND l.id = e.lease_id
            WHERE e.municipality_id = $1 AND e.kind = 'charge' AND e.applies_on <= $2)
         SELECT e.id AS debit_id, gen_random_uuid() AS credit_id, e.lease_id, e.amount, e.kid,
                least(e.applies_on + (e.h % 20), $2) AS paid_on,
                CASE WHEN e.h % 4 = 0 THEN 'nav' WHEN e.h % 9 = 0 THEN 'bostotte' ELSE 'tenant' END AS payer
           FROM e
          WHERE NOT (e.status IN ('active', 'notice_given') AND e.h % 100 < 15
                     AND e.applies_on > $2 - 31 * (1 + e.h % 6))",
    )
    .bind(m)
    .bind(today)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO rent_entries (municipality_id, id, lease_id, kind, amount, applies_on, payer, kid, created_by)
         SELECT $1, credit_id, lease_id, 'payment', -amount, paid_on, payer, kid, $2 FROM seed_payments",
    )
    .bind(m)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO rent_settlements (municipality_id, debit_id, credit_id, lease_id, amount)
         SELECT $1, debit_id, credit_id, lease_id, amount FROM seed_payments",
    )
    .bind(m)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DROP TABLE seed_payments")
        .execute(&mut *conn)
        .await?;
    sqlx::query("SET LOCAL enable_nestloop = on")
        .execute(&mut *conn)
        .await?;
    queued_file(conn, m, number, &account, by, today).await
}

/// A bank file of the municipality whose KIDs name no lease, imported: its lines wait in
/// the payment queue.
async fn queued_file(
    conn: &mut PgConnection,
    m: Uuid,
    number: &str,
    account: &str,
    by: Uuid,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let kids: Vec<String> = (0..QUEUED_LINES as u64)
        .filter_map(|i| super::kid::generate(900_000_000 + i, super::kid::Modulus::Ten))
        .collect();
    let payments: Vec<(Option<&str>, i64)> = kids
        .iter()
        .enumerate()
        .map(|(i, k)| (Some(k.as_str()), 100_000 + 100 * i as i64))
        .collect();
    // A bank file is imported once in all of Bosak: one transmission per municipality.
    let number = format!("8{number:0>6}");
    let t = import::bench::payments_file(account, &number, &payments, today);
    let bytes = ocr::write(&t).map_err(|e| anyhow::anyhow!("{}", e.0))?;
    let id = Uuid::now_v7();
    let hash = ocr::content_hash(&bytes);
    import::repo::insert_import(conn, m, id, &t, &hash, "OCR.skala.txt", &bytes, by).await?;
    let row = import::repo::import(conn, &[m], id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the import just stored"))?;
    import::commands::import_file(conn, m, &row, by, chrono::Utc::now())
        .await
        .map_err(|r| anyhow::anyhow!("scale import refused: {r:?}"))?;
    Ok(())
}
