//! SQL of the rent settings: the ledger settings with their version, and the
//! municipality's rent bank accounts.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::model::LedgerInput;

/// The ledger settings and their version (0 when none are saved: the defaults).
pub async fn ledger_version(conn: &mut PgConnection, m: Uuid) -> sqlx::Result<i32> {
    Ok(
        sqlx::query_scalar("SELECT version FROM rent_settings WHERE municipality_id = $1")
            .bind(m)
            .fetch_optional(conn)
            .await?
            .unwrap_or(0),
    )
}

/// Saves the KID scheme and the charge day when still at `version` (0: none saved yet);
/// false when a colleague, or the first charge run, saved in between.
pub async fn save_ledger(
    conn: &mut PgConnection,
    m: Uuid,
    x: LedgerInput,
    version: i32,
) -> sqlx::Result<bool> {
    let inserted: Option<i32> = sqlx::query_scalar(
        "INSERT INTO rent_settings (municipality_id, kid_modulus, charge_day)
         SELECT $1, $2, $3 WHERE $4 = 0
         ON CONFLICT (municipality_id) DO NOTHING
         RETURNING version",
    )
    .bind(m)
    .bind(x.kid_modulus.to_db())
    .bind(x.charge_day)
    .bind(version)
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_some() {
        return Ok(true);
    }
    let updated = sqlx::query(
        "UPDATE rent_settings SET kid_modulus = $2, charge_day = $3, version = version + 1
          WHERE municipality_id = $1 AND version = $4 AND $4 > 0",
    )
    .bind(m)
    .bind(x.kid_modulus.to_db())
    .bind(x.charge_day)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct AccountRow {
    pub account_no: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub created_by_name: Option<String>,
}

/// The municipality's rent accounts, in number order.
pub async fn accounts(conn: &mut PgConnection, m: Uuid) -> sqlx::Result<Vec<AccountRow>> {
    sqlx::query_as(
        "SELECT a.account_no, a.label, a.created_at, u.display_name AS created_by_name
           FROM rent_bank_accounts a LEFT JOIN users u ON u.id = a.created_by
          WHERE a.municipality_id = $1 ORDER BY a.account_no",
    )
    .bind(m)
    .fetch_all(conn)
    .await
}

/// Which of `accounts` are not the municipality's.
pub async fn foreign_accounts(
    conn: &mut PgConnection,
    m: Uuid,
    accounts: &[String],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT a FROM unnest($2::text[]) AS a
          WHERE NOT EXISTS (SELECT 1 FROM rent_bank_accounts b
                             WHERE b.municipality_id = $1 AND b.account_no = a)
          ORDER BY a",
    )
    .bind(m)
    .bind(accounts)
    .fetch_all(conn)
    .await
}

/// Registers an account; fails on `rent_bank_account_claims_pkey` when another
/// municipality has it, on the primary key when this one has.
pub async fn insert_account(
    conn: &mut PgConnection,
    m: Uuid,
    account_no: &str,
    label: &str,
    by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO rent_bank_accounts (municipality_id, account_no, label, created_by)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(m)
    .bind(account_no)
    .bind(label)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes an account; false when the municipality has no such account.
pub async fn delete_account(
    conn: &mut PgConnection,
    m: Uuid,
    account_no: &str,
) -> sqlx::Result<bool> {
    Ok(
        sqlx::query(
            "DELETE FROM rent_bank_accounts WHERE municipality_id = $1 AND account_no = $2",
        )
        .bind(m)
        .bind(account_no)
        .execute(conn)
        .await?
        .rows_affected()
            == 1,
    )
}
