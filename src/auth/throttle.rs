//! Login throttling, kept in PostgreSQL so it holds across server instances.
//! Keyed by the typed account name (whether or not it exists, so the lock reveals nothing)
//! and by client address.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Failures allowed for one account name before it is locked for a while.
pub const ACCOUNT_LIMIT: i32 = 5;
/// Failures allowed from one address (across account names) before it is locked.
pub const ADDRESS_LIMIT: i32 = 30;
/// Failures older than this are forgotten.
const WINDOW_MINUTES: i64 = 15;

pub fn account_key(username: &str) -> String {
    format!("user:{}", username.trim().to_lowercase())
}

pub fn address_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// Minutes of lock after `failures` failures with a `limit`: 1, 2, 4, … up to 60.
pub fn lock_minutes(failures: i32, limit: i32) -> Option<i64> {
    if failures < limit {
        return None;
    }
    let exp = (failures - limit).min(6) as u32;
    Some((1i64 << exp).min(60))
}

/// When the key is locked, until when.
pub async fn locked_until(
    conn: &mut PgConnection,
    keys: &[String],
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT max(locked_until) FROM login_throttle WHERE key = ANY($1) AND locked_until > now()",
    )
    .bind(keys)
    .fetch_one(conn)
    .await
}

pub async fn record_failure(
    conn: &mut PgConnection,
    key: &str,
    limit: i32,
) -> Result<(), sqlx::Error> {
    let failures: i32 = sqlx::query_scalar(
        "INSERT INTO login_throttle (key, failures, last_failure_at) VALUES ($1, 1, now())
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN login_throttle.last_failure_at < now() - make_interval(mins => $2)
                            AND (login_throttle.locked_until IS NULL OR login_throttle.locked_until < now())
                           THEN 1 ELSE login_throttle.failures + 1 END,
           last_failure_at = now()
         RETURNING failures",
    )
    .bind(key)
    .bind(WINDOW_MINUTES as i32)
    .fetch_one(&mut *conn)
    .await?;
    if let Some(minutes) = lock_minutes(failures, limit) {
        sqlx::query(
            "UPDATE login_throttle SET locked_until = now() + make_interval(mins => $2) WHERE key = $1",
        )
        .bind(key)
        .bind(minutes as i32)
        .execute(conn)
        .await?;
    }
    Ok(())
}

pub async fn clear(conn: &mut PgConnection, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_grows_and_is_capped() {
        assert_eq!(lock_minutes(4, 5), None);
        assert_eq!(lock_minutes(5, 5), Some(1));
        assert_eq!(lock_minutes(6, 5), Some(2));
        assert_eq!(lock_minutes(8, 5), Some(8));
        assert_eq!(lock_minutes(50, 5), Some(60));
    }

    #[test]
    fn keys_ignore_case_and_spaces() {
        assert_eq!(account_key(" Levanger.Admin "), "user:levanger.admin");
    }
}
