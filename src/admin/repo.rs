//! SQL for users and memberships (global tables).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::model::MembershipScope;
use crate::auth::roles::AdminScope;
use crate::auth::Role;

#[derive(sqlx::FromRow, Clone)]
pub struct UserListRow {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub active: bool,
    pub must_change_password: bool,
    pub roles: Vec<Role>,
}

fn scope_ids(scope: &AdminScope) -> (Option<Uuid>, Option<Uuid>) {
    match scope {
        AdminScope::Municipality(m) => (Some(m.id), None),
        AdminScope::Office(o) => (None, Some(o.id)),
    }
}

pub const PAGE_SIZE: i64 = 50;

/// Users with a role in the scope, by user name, after `after` (keyset pagination).
pub async fn list_in_scope(
    conn: &mut PgConnection,
    scope: &AdminScope,
    after: Option<&str>,
) -> Result<Vec<UserListRow>, sqlx::Error> {
    let (m, o) = scope_ids(scope);
    sqlx::query_as(
        "SELECT u.id, u.username, u.display_name, u.active, u.must_change_password,
                array_agg(ms.role ORDER BY ms.role) AS roles
           FROM users u JOIN memberships ms ON ms.user_id = u.id
          WHERE (ms.municipality_id = $1 OR ms.office_id = $2)
            AND ($3::text IS NULL OR u.username > $3)
          GROUP BY u.id
          ORDER BY u.username
          LIMIT $4",
    )
    .bind(m)
    .bind(o)
    .bind(after)
    .bind(PAGE_SIZE + 1)
    .fetch_all(conn)
    .await
}

#[derive(sqlx::FromRow, Clone)]
pub struct UserDetail {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub active: bool,
    pub must_change_password: bool,
    pub version: i32,
}

pub async fn user(conn: &mut PgConnection, id: Uuid) -> Result<Option<UserDetail>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, username, display_name, email, active, must_change_password, version FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

#[derive(sqlx::FromRow, Clone)]
pub struct MembershipRow {
    pub municipality_id: Option<Uuid>,
    pub office_id: Option<Uuid>,
    pub place: String,
    pub role: Role,
}

pub async fn memberships(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Vec<MembershipRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT ms.municipality_id, ms.office_id, coalesce(mu.name, o.name) AS place, ms.role
           FROM memberships ms
           LEFT JOIN municipalities mu ON mu.id = ms.municipality_id
           LEFT JOIN offices o ON o.id = ms.office_id
          WHERE ms.user_id = $1
          ORDER BY place, ms.role",
    )
    .bind(user)
    .fetch_all(conn)
    .await
}

pub fn scopes_of(rows: &[MembershipRow]) -> Vec<MembershipScope> {
    rows.iter()
        .map(|r| MembershipScope {
            municipality_id: r.municipality_id,
            office_id: r.office_id,
        })
        .collect()
}

pub fn in_scope(rows: &[MembershipRow], scope: &AdminScope) -> bool {
    let (m, o) = scope_ids(scope);
    rows.iter()
        .any(|r| (m.is_some() && r.municipality_id == m) || (o.is_some() && r.office_id == o))
}

pub fn roles_in_scope(rows: &[MembershipRow], scope: &AdminScope) -> Vec<Role> {
    let (m, o) = scope_ids(scope);
    rows.iter()
        .filter(|r| (m.is_some() && r.municipality_id == m) || (o.is_some() && r.office_id == o))
        .map(|r| r.role)
        .collect()
}

/// Claims the user row at `version`, bumping it; false when someone changed it meanwhile.
pub async fn bump_version(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE users SET version = version + 1, updated_at = now() WHERE id = $1 AND version = $2",
    )
    .bind(id)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn replace_roles(
    conn: &mut PgConnection,
    user: Uuid,
    scope: &AdminScope,
    roles: &[Role],
    by: Uuid,
) -> Result<(), sqlx::Error> {
    let (m, o) = scope_ids(scope);
    // Only the roles this scope manages are replaced: an auditor role granted by the
    // operator stays whatever the admin ticks.
    let managed: Vec<&str> = scope.grantable_roles().iter().map(|r| r.key()).collect();
    sqlx::query(
        "DELETE FROM memberships WHERE user_id = $1 AND (municipality_id = $2 OR office_id = $3)
            AND role::text = ANY($4)",
    )
    .bind(user)
    .bind(m)
    .bind(o)
    .bind(&managed)
    .execute(&mut *conn)
    .await?;
    for role in roles {
        sqlx::query(
            "INSERT INTO memberships (id, user_id, municipality_id, office_id, role, granted_by)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Uuid::now_v7())
        .bind(user)
        .bind(m)
        .bind(o)
        .bind(role)
        .bind(by)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn set_active(
    conn: &mut PgConnection,
    id: Uuid,
    active: bool,
) -> Result<(), sqlx::Error> {
    // Deactivation ends every session of the user at once.
    sqlx::query(
        "UPDATE users SET active = $2, session_epoch = session_epoch + CASE WHEN $2 THEN 0 ELSE 1 END WHERE id = $1",
    )
    .bind(id)
    .bind(active)
    .execute(&mut *conn)
    .await?;
    if !active {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(conn)
            .await?;
    }
    Ok(())
}

pub async fn reset_password(
    conn: &mut PgConnection,
    id: Uuid,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET password_hash = $2, must_change_password = true, session_epoch = session_epoch + 1 WHERE id = $1",
    )
    .bind(id)
    .bind(hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_user(
    conn: &mut PgConnection,
    username: &str,
    display_name: &str,
    email: Option<&str>,
    hash: &str,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO users (id, username, display_name, email, password_hash, must_change_password)
         VALUES ($1, $2, $3, $4, $5, true)",
    )
    .bind(id)
    .bind(username)
    .bind(display_name)
    .bind(email)
    .bind(hash)
    .execute(conn)
    .await?;
    Ok(id)
}

// ----- The audit log --------------------------------------------------------------------

#[derive(sqlx::FromRow)]
pub struct EventRow {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub username: Option<String>,
    pub municipality_id: Option<Uuid>,
    pub action: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub details: String,
    pub ip: Option<String>,
}

/// What the audit log page asks for.
pub struct AuditQuery<'a> {
    /// Municipalities whose events the reader sees.
    pub visible: &'a [Uuid],
    /// Municipalities the reader audits (for events without a municipality).
    pub audited: &'a [Uuid],
    /// Action prefix, or empty.
    pub action: &'a str,
    /// User name, or empty.
    pub user: &'a str,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Keyset: events before (at, id).
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
    /// The reader, who sees their own events without a municipality.
    pub me: Uuid,
}

/// Events newest first. Events without a municipality (logins, password changes,
/// office-level events) are shown to the user they concern, and to auditors only when
/// they concern staff of the municipalities they audit (by user id, or by the user name
/// typed at a failed login); events of the deployment as a whole are shown to nobody here
/// (ASVS 5.0 V16, V8).
pub async fn audit_events(
    conn: &mut PgConnection,
    q: &AuditQuery<'_>,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
    "WITH staff AS (
        SELECT u.id, u.username FROM users u
         WHERE EXISTS (SELECT 1 FROM memberships ms
                        WHERE ms.user_id = u.id
                          AND (ms.municipality_id = ANY($2)
                               OR ms.office_id IN (SELECT office_id FROM office_municipalities
                                                    WHERE municipality_id = ANY($2)))))
     SELECT id, at, username, municipality_id, action, entity_type, entity_id, details::text AS details, ip
       FROM audit_events
      WHERE (municipality_id = ANY($1)
             OR (municipality_id IS NULL
                 AND (user_id = $10
                      OR user_id IN (SELECT id FROM staff)
                      OR (user_id IS NULL AND details->>'username' IN (SELECT username FROM staff)))))
        AND ($3 = '' OR action LIKE $3 || '%')
        AND ($4 = '' OR username = $4 OR details->>'username' = $4)
        AND ($5::date IS NULL OR at >= $5::date::timestamptz)
        AND ($6::date IS NULL OR at < ($6::date + 1)::timestamptz)
        AND ($7::timestamptz IS NULL OR (at, id) < ($7, $8))
      ORDER BY at DESC, id DESC
      LIMIT $9",
)
    .bind(q.visible)
    .bind(q.audited)
    .bind(q.action)
    .bind(q.user)
    .bind(q.from)
    .bind(q.to)
    .bind(q.before.map(|c| c.0))
    .bind(q.before.map(|c| c.1))
    .bind(q.limit)
    .bind(q.me)
    .fetch_all(conn)
    .await
}
