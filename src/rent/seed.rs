//! Demo data: the rent ledgers of Levanger's and Verdal's demo leases — the last four
//! months and this one charged by charge runs, and payments that leave leases in arrears of
//! different ages, most paid up, and one overpaid. Stjørdal is left without runs (the
//! tests start its runs themselves).

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{commands, model, repo};
use crate::seed::with_tenant;

/// The municipalities (id, number, name) whose demo leases get ledgers.
const WITH_LEDGERS: [&str; 2] = ["5037", "5038"];

/// Months charged before this one.
const MONTHS_BACK: u32 = 4;

/// The demo rent account of the municipality with `number`: "1503" and the number, then
/// the first sequence number that gives a valid mod 11 check digit (some give 10).
pub fn demo_account(number: &str) -> String {
    (0..10u32)
        .map(|i| format!("1503{:0>4}{i:02}", &number[..number.len().min(4)]))
        .map(|base| {
            let sum: u32 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
                .iter()
                .zip(base.bytes())
                .map(|(w, c)| w * u32::from(c.wrapping_sub(b'0') % 10))
                .sum();
            (base, (11 - sum % 11) % 11)
        })
        .find(|(_, check)| *check < 10)
        .map(|(base, check)| format!("{base}{check}"))
        .unwrap_or_else(|| "15030000000".to_owned())
}

/// Registers the demo rent account of the municipality (in the tenant transaction), so its
/// demo and scale bank files import.
pub(super) async fn register_demo_account(
    conn: &mut PgConnection,
    m: Uuid,
    number: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO rent_bank_accounts (municipality_id, account_no, label, created_by)
         SELECT $1, $2, 'Husleie (demo)', g.user_id FROM memberships g
          WHERE g.municipality_id = $1 ORDER BY g.role, g.user_id LIMIT 1
         ON CONFLICT DO NOTHING",
    )
    .bind(m)
    .bind(demo_account(number))
    .execute(conn)
    .await?;
    Ok(())
}

/// The municipality's first caseworker, who is credited with seeded payments.
pub(super) async fn caseworker(conn: &mut PgConnection, m: Uuid) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "SELECT u.id FROM users u JOIN memberships g ON g.user_id = u.id
          WHERE g.municipality_id = $1 AND g.role = 'caseworker' ORDER BY u.username LIMIT 1",
    )
    .bind(m)
    .fetch_one(conn)
    .await
}

pub async fn seed_demo(
    conn: &mut PgConnection,
    municipalities: &[(Uuid, String, String)],
    today: NaiveDate,
) -> anyhow::Result<()> {
    for (m, number, _) in municipalities {
        with_tenant(conn, *m).await?;
        register_demo_account(conn, *m, number).await?;
        if WITH_LEDGERS.contains(&number.as_str()) {
            demo_one(conn, *m, today).await?;
        }
    }
    Ok(())
}

async fn demo_one(conn: &mut PgConnection, m: Uuid, today: NaiveDate) -> anyhow::Result<()> {
    with_tenant(conn, m).await?;
    let this = model::month_of(today);
    let first = this
        .checked_sub_months(chrono::Months::new(MONTHS_BACK))
        .unwrap_or(this);
    let mut month = first;
    while month <= this {
        commands::charge_run(conn, m, month, None).await?;
        month = model::next_month(month);
    }
    let by = caseworker(conn, m).await?;
    // Each lease's rent charges, oldest first.
    let charges: Vec<(Uuid, i32, NaiveDate, i64)> = sqlx::query_as(
        "SELECT e.lease_id, l.lease_no, e.applies_on, e.amount
           FROM rent_entries e JOIN leases l ON l.municipality_id = e.municipality_id AND l.id = e.lease_id
          WHERE e.municipality_id = $1 AND e.charge_kind = 'rent'
          ORDER BY l.lease_no, e.applies_on",
    )
    .bind(m)
    .fetch_all(&mut *conn)
    .await?;
    let mut leases: Vec<(Uuid, Vec<(NaiveDate, i64)>)> = Vec::new();
    for (lease, _, on, amount) in charges {
        match leases.last_mut() {
            Some((l, v)) if *l == lease => v.push((on, amount)),
            _ => leases.push((lease, vec![(on, amount)])),
        }
    }
    let mut payments = Vec::new();
    let mut overpaid = false;
    for (i, (lease, months)) in leases.iter().enumerate() {
        // 0: pays nothing (arrears of every age); 1: all but this month; 2: all but the last
        // two, half of the older one; 3 and 4: paid up, the first of the 4s overpays.
        let (paid_months, half, extra) = match i % 5 {
            0 => (0, false, 0),
            1 => (months.len().saturating_sub(1), false, 0),
            2 => (months.len().saturating_sub(2), true, 0),
            4 if !overpaid => {
                overpaid = true;
                (months.len(), false, 150_000)
            }
            _ => (months.len(), false, 0),
        };
        let payer = if i % 3 == 0 { "nav" } else { "tenant" };
        for (k, (on, amount)) in months.iter().enumerate() {
            let amount = if k < paid_months {
                *amount + if k + 1 == paid_months { extra } else { 0 }
            } else if half && k == paid_months {
                *amount / 2
            } else {
                continue;
            };
            let paid_on = (*on + chrono::Days::new(3)).min(today);
            payments.push(repo::NewPayment {
                id: Uuid::now_v7(),
                lease_id: *lease,
                amount,
                paid_on,
                payer,
                kid: repo::kid_of(conn, m, *lease).await?,
                settles_first: None,
                import_line_id: None,
                created_by: Some(by),
                note: String::new(),
            });
        }
    }
    repo::insert_payments(conn, m, &payments).await?;
    Ok(())
}
