//! All SQL of authentication: sessions, login throttling, users' passwords.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------
// Sessions

pub async fn insert_session(
    pool: &PgPool,
    id_hash: &[u8],
    user: Option<(Uuid, i32)>,
    csrf: &str,
    absolute: chrono::Duration,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, user_epoch, csrf_token, absolute_expiry)
         VALUES ($1, $2, $3, $4, now() + $5)",
    )
    .bind(id_hash)
    .bind(user.map(|u| u.0))
    .bind(user.map(|u| u.1))
    .bind(csrf)
    .bind(absolute)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn delete_session(pool: &PgPool, id_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn delete_expired_sessions(pool: &PgPool, idle: chrono::Duration) -> sqlx::Result<u64> {
    let r = sqlx::query(
        "DELETE FROM sessions WHERE absolute_expiry < now() OR last_seen_at < now() - $1::interval",
    )
    .bind(idle)
    .execute(pool)
    .await?;
    Ok(r.rows_affected())
}

/// Ends every session of a user (a changed password, a deactivation).
pub async fn delete_sessions_of(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_current_municipality(
    pool: &PgPool,
    id_hash: &[u8],
    municipality: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET current_municipality_id = $2 WHERE id_hash = $1")
        .bind(id_hash)
        .bind(municipality)
        .execute(pool)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
pub struct SessionRow {
    pub csrf_token: String,
    pub current_municipality_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub must_change_password: Option<bool>,
    pub user_valid: Option<bool>,
    pub stale_seen: bool,
    pub grants: sqlx::types::Json<Vec<GrantRow>>,
}

#[derive(serde::Deserialize)]
pub struct GrantRow {
    pub role: super::Role,
    pub municipality_id: Uuid,
    pub number: String,
    pub name: String,
    pub office_id: Option<Uuid>,
    pub office_name: Option<String>,
}

/// The session, its user and the user's grants (as JSON) in one round trip.
pub async fn session(
    pool: &PgPool,
    id_hash: &[u8],
    idle: chrono::Duration,
) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(
        "SELECT s.csrf_token, s.current_municipality_id, s.user_id, u.username, u.display_name,
                u.must_change_password,
                (u.active AND u.session_epoch = s.user_epoch) AS user_valid,
                s.last_seen_at < now() - interval '1 minute' AS stale_seen,
                (SELECT coalesce(json_agg(g), '[]'::json) FROM (
                   SELECT m.role, mu.id AS municipality_id, mu.number, mu.name,
                          NULL::uuid AS office_id, NULL::text AS office_name
                     FROM memberships m JOIN municipalities mu ON mu.id = m.municipality_id
                    WHERE m.user_id = s.user_id
                   UNION ALL
                   SELECT m.role, mu.id, mu.number, mu.name, o.id, o.name
                     FROM memberships m
                     JOIN offices o ON o.id = m.office_id
                     JOIN office_municipalities om ON om.office_id = m.office_id
                     JOIN municipalities mu ON mu.id = om.municipality_id
                    WHERE m.user_id = s.user_id) g) AS grants
           FROM sessions s LEFT JOIN users u ON u.id = s.user_id
          WHERE s.id_hash = $1 AND s.absolute_expiry > now()
            AND s.last_seen_at > now() - $2::interval",
    )
    .bind(id_hash)
    .bind(idle)
    .fetch_optional(pool)
    .await
}

pub async fn touch_session(pool: &PgPool, id_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1")
        .bind(id_hash)
        .execute(pool)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Login throttling

/// Serialises guesses on one key until the transaction ends.
pub async fn lock_key(conn: &mut PgConnection, key: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 3107))")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn last_failure(
    conn: &mut PgConnection,
    key: &str,
) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar("SELECT last_failure_at FROM login_throttle WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await
}

/// Gives back one counted failure, with the last-failure time it had before; a row left
/// with none is removed.
pub async fn give_back_failure(
    conn: &mut PgConnection,
    key: &str,
    limit: i32,
    before: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE login_throttle SET failures = greatest(failures - 1, 0),
                last_failure_at = coalesce($3, last_failure_at),
                locked_until = CASE WHEN failures - 1 < $2 THEN NULL ELSE locked_until END
          WHERE key = $1",
    )
    .bind(key)
    .bind(limit)
    .bind(before)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM login_throttle WHERE key = $1 AND failures = 0")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn locked_until(
    conn: &mut PgConnection,
    keys: &[String],
) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar(
        "SELECT max(locked_until) FROM login_throttle WHERE key = ANY($1) AND locked_until > now()",
    )
    .bind(keys)
    .fetch_one(conn)
    .await
}

/// Counts a failure on `key` (afresh when the last one is older than `window_minutes` and
/// no lock holds); the failures counted now.
pub async fn count_failure(
    conn: &mut PgConnection,
    key: &str,
    window_minutes: i32,
) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "INSERT INTO login_throttle (key, failures, last_failure_at) VALUES ($1, 1, now())
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN login_throttle.last_failure_at < now() - make_interval(mins => $2)
                            AND (login_throttle.locked_until IS NULL OR login_throttle.locked_until < now())
                           THEN 1 ELSE login_throttle.failures + 1 END,
           last_failure_at = now()
         RETURNING failures",
    )
    .bind(key)
    .bind(window_minutes)
    .fetch_one(conn)
    .await
}

pub async fn lock_for(conn: &mut PgConnection, key: &str, minutes: i32) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE login_throttle SET locked_until = now() + make_interval(mins => $2) WHERE key = $1",
    )
    .bind(key)
    .bind(minutes)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn clear_key(conn: &mut PgConnection, key: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Users' passwords

#[derive(sqlx::FromRow)]
pub struct LoginUser {
    pub id: Uuid,
    pub username: String,
    pub password_hash: String,
    pub active: bool,
    pub session_epoch: i32,
    pub must_change_password: bool,
}

pub async fn login_user(
    conn: &mut PgConnection,
    username: &str,
) -> sqlx::Result<Option<LoginUser>> {
    sqlx::query_as(
        "SELECT id, username, password_hash, active, session_epoch, must_change_password
           FROM users WHERE lower(username) = $1",
    )
    .bind(username)
    .fetch_optional(conn)
    .await
}

pub async fn password_hash(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(conn)
        .await
}

/// Sets a user's own new password; the new session epoch (older sessions end).
pub async fn set_own_password(
    conn: &mut PgConnection,
    user: Uuid,
    hash: &str,
) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "UPDATE users SET password_hash = $2, must_change_password = false,
                session_epoch = session_epoch + 1, version = version + 1, updated_at = now()
          WHERE id = $1 RETURNING session_epoch",
    )
    .bind(user)
    .bind(hash)
    .fetch_one(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Server keys

pub async fn app_secret(owner: &PgPool, name: &str) -> sqlx::Result<Option<Vec<u8>>> {
    sqlx::query_scalar("SELECT value FROM app_secrets WHERE name = $1")
        .bind(name)
        .fetch_optional(owner)
        .await
}
