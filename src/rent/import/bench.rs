//! `bosak bench ocr-import`: the confirm step of a bank import of many payment lines,
//! timed (issue 16: 100 000 lines in under 3 s). Charges the coming month's rent in the
//! municipality once (committed, so the payments have charges to settle), then for each
//! run stores an OCR file of `lines` payments to the municipality's KIDs as a previewed
//! import and times `commands::import_file` (parse, match, lines, payments and settlement)
//! as the table owner under the tenant's row security, each run rolled back.
//! `scripts/bench-ocr` makes the leases and calls it.

use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use super::{commands, repo};
use crate::rent::ocr::{self, Assignment, Transaction, Transmission};
use crate::seed::with_tenant;

/// An OCR file (transmission `number`, one assignment paid into `account`) of the payments
/// (KID, øre; a negative amount is a reversal), settled `on`. The benchmark's file, and the
/// tests'.
pub fn payments_file(
    account: &str,
    number: &str,
    payments: &[(Option<&str>, i64)],
    on: NaiveDate,
) -> Transmission {
    let transactions = payments
        .iter()
        .enumerate()
        .map(|(i, (k, amount))| Transaction {
            number: i as u32 + 1,
            transaction_type: if *amount < 0 { 18 } else { 10 },
            settled_on: on,
            centre_id: 1,
            day_code: 1,
            partial_settlement: 1,
            serial_number: (i % 99_999) as u32 + 1,
            amount_ore: *amount,
            kid: k.map(str::to_string),
            form_number: "0".repeat(10),
            archive_reference: format!("{:09}", i + 1),
            ordered_on: None,
            payer_account: None,
            free_text: None,
        })
        .collect();
    Transmission {
        number: number.into(),
        data_sender: "00008080".into(),
        data_recipient: "00012345".into(),
        settled_on: on,
        assignments: vec![Assignment {
            agreement_id: "000000001".into(),
            number: "0000001".into(),
            account: account.into(),
            settled_on: on,
            transactions,
        }],
    }
}

pub async fn run(
    pool: &PgPool,
    number: &str,
    lines: usize,
    runs: usize,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let (m, user): (Uuid, Uuid) = sqlx::query_as(
        "SELECT mu.id, (SELECT u.id FROM users u ORDER BY u.username LIMIT 1)
           FROM municipalities mu WHERE mu.number = $1",
    )
    .bind(number)
    .fetch_optional(pool)
    .await?
    .context("no such municipality")?;
    // The demo data has this month's run: the coming month's gives the new leases their KIDs
    // and a charge each.
    let month = crate::rent::model::next_month(today);
    {
        let mut tx = pool.begin().await?;
        with_tenant(&mut tx, m).await?;
        let started = Instant::now();
        if let Some(done) = crate::rent::commands::charge_run(&mut tx, m, month, None).await? {
            println!(
                "charge run {month}: {} charges in {:.2} s (once)",
                done.charges,
                started.elapsed().as_secs_f64()
            );
        }
        tx.commit().await?;
    }
    let kids: Vec<String> = {
        let mut tx = pool.begin().await?;
        with_tenant(&mut tx, m).await?;
        let kids = sqlx::query_scalar(
            "SELECT a.kid FROM rent_accounts a JOIN leases l ON l.municipality_id = a.municipality_id AND l.id = a.lease_id
              WHERE a.municipality_id = $1 AND l.status = 'active' ORDER BY a.kid LIMIT $2",
        )
        .bind(m)
        .bind(lines as i64)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        kids
    };
    anyhow::ensure!(
        !kids.is_empty(),
        "municipality {number} has no active lease with a KID"
    );
    let kids: Vec<String> = kids.iter().cycle().take(lines).cloned().collect();
    let payments: Vec<(Option<&str>, i64)> =
        kids.iter().map(|k| (Some(k.as_str()), 650_000)).collect();
    let account = crate::rent::seed::demo_account(number);
    let t = payments_file(&account, "0900001", &payments, today);
    let bytes = ocr::write(&t).map_err(|e| anyhow::anyhow!("{}", e.0))?;
    println!(
        "file: {lines} payments to {} leases, {:.1} MB",
        kids.len().min(lines),
        bytes.len() as f64 / 1e6
    );
    let mut best = f64::MAX;
    for r in 1..=runs {
        let mut tx = pool.begin().await?;
        with_tenant(&mut tx, m).await?;
        sqlx::query("SET LOCAL ROLE bosak_app")
            .execute(&mut *tx)
            .await?;
        let id = Uuid::now_v7();
        let hash = ocr::content_hash(&bytes);
        repo::insert_import(&mut tx, m, id, &t, &hash, "bench.txt", &bytes, user).await?;
        let import = repo::import(&mut tx, &[m], id)
            .await?
            .context("the import")?;
        // The fixture's municipality pays into the demo account (rolled back with the run).
        sqlx::query(
            "INSERT INTO rent_bank_accounts (municipality_id, account_no, created_by)
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(m)
        .bind(&account)
        .bind(user)
        .execute(&mut *tx)
        .await?;
        let started = Instant::now();
        let done = commands::import_file(&mut tx, m, &import, user, chrono::Utc::now())
            .await
            .map_err(|r| anyhow::anyhow!("refused: {r:?}"))?
            .context("not imported")?;
        let secs = started.elapsed().as_secs_f64();
        best = best.min(secs);
        println!(
            "run {r}: {} lines, {} payments, {} matched, {} queued: {secs:.2} s (parse + match {:.2} s, lines {:.2} s, payments + settlement {:.2} s)",
            done.counts.lines,
            done.payments,
            done.counts.matched,
            done.counts.queued,
            done.phases[0],
            done.phases[1],
            done.phases[2],
        );
        tx.rollback().await?;
    }
    println!("best of {runs}: {best:.2} s (target: under 3 s)");
    Ok(())
}
