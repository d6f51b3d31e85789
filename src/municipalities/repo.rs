//! SQL for municipality settings and areas. Callers pass a transaction scoped to the
//! municipality; row level security is the floor under the explicit filters here.

use sqlx::PgConnection;
use uuid::Uuid;

use super::model::Settings;

#[derive(sqlx::FromRow, Clone)]
pub struct SettingsRow {
    pub letterhead_name: String,
    pub street_address: String,
    pub postcode: String,
    pub postal_place: String,
    pub phone: String,
    pub email: String,
    pub decisions_need_second_approver: bool,
    pub version: i32,
}

#[derive(sqlx::FromRow, Clone)]
pub struct Area {
    pub id: Uuid,
    pub name: String,
}

pub async fn settings(
    conn: &mut PgConnection,
    municipality: Uuid,
) -> Result<Option<SettingsRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT letterhead_name, street_address, postcode, postal_place, phone, email,
                decisions_need_second_approver, version
           FROM municipality_settings WHERE municipality_id = $1",
    )
    .bind(municipality)
    .fetch_optional(conn)
    .await
}

/// Saves if nobody else saved since `version`; returns false on a stale edit.
pub async fn update_settings(
    conn: &mut PgConnection,
    municipality: Uuid,
    s: &Settings,
    version: i32,
    by: Uuid,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE municipality_settings SET letterhead_name = $3, street_address = $4, postcode = $5,
                postal_place = $6, phone = $7, email = $8, decisions_need_second_approver = $9,
                version = version + 1, updated_at = now(), updated_by = $10
          WHERE municipality_id = $1 AND version = $2",
    )
    .bind(municipality)
    .bind(version)
    .bind(&s.letterhead_name)
    .bind(&s.street_address)
    .bind(&s.postcode)
    .bind(&s.postal_place)
    .bind(&s.phone)
    .bind(&s.email)
    .bind(s.decisions_need_second_approver)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn areas(conn: &mut PgConnection, municipality: Uuid) -> Result<Vec<Area>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name FROM areas WHERE municipality_id = $1 AND active ORDER BY lower(name)",
    )
    .bind(municipality)
    .fetch_all(conn)
    .await
}

/// The names of the active areas of `municipalities`, by name.
pub async fn area_names(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT name FROM areas WHERE municipality_id = ANY($1) AND active ORDER BY lower(name)",
    )
    .bind(municipalities)
    .fetch_all(conn)
    .await
}

/// Adds an area, or reactivates a removed one of the same name. Returns None when an
/// active area already has the name.
pub async fn add_area(
    conn: &mut PgConnection,
    municipality: Uuid,
    name: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO areas (municipality_id, id, name) VALUES ($1, $2, $3)
         ON CONFLICT (municipality_id, lower(name)) DO UPDATE SET active = true, name = EXCLUDED.name
           WHERE NOT areas.active
         RETURNING id",
    )
    .bind(municipality)
    .bind(Uuid::now_v7())
    .bind(name)
    .fetch_optional(conn)
    .await
}

/// Areas are deactivated rather than deleted: dwellings and applications refer to them.
pub async fn remove_area(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE areas SET active = false WHERE municipality_id = $1 AND id = $2 AND active RETURNING name",
    )
    .bind(municipality)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Every municipality's id: for jobs that run across all tenants.
pub async fn all_ids(pool: &sqlx::PgPool) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar("SELECT id FROM municipalities")
        .fetch_all(pool)
        .await
}
