//! All SQL of the lease settings: KPI values, § 11-1 grounds and house rules.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::model::{GroundInput, HouseRulesInput, KpiInput};

/// The § 11-1 grounds and version 1 of the house rules, where the municipality has none
/// (the wording lives in the migration's `bosak_lease_settings_defaults`). Idempotent;
/// call it where municipalities are provisioned.
pub async fn ensure_defaults(conn: &mut PgConnection, municipality: Uuid) -> sqlx::Result<()> {
    sqlx::query("SELECT bosak_lease_settings_defaults($1)")
        .bind(municipality)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// KPI values

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct KpiRow {
    pub month: NaiveDate,
    /// Tenths of an index point.
    pub tenths: i64,
    pub source: String,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by_name: Option<String>,
    pub version: i32,
}

const KPI_COLUMNS: &str = "k.month, (k.value * 10)::int8 AS tenths, k.source, k.recorded_at,
       u.display_name AS recorded_by_name, k.version
  FROM kpi_values k LEFT JOIN users u ON u.id = k.recorded_by";

/// Every recorded value, newest month first (twelve a year: the list stays short).
pub async fn kpi_values(conn: &mut PgConnection, m: Uuid) -> sqlx::Result<Vec<KpiRow>> {
    sqlx::query_as(&format!(
        "SELECT {KPI_COLUMNS} WHERE k.municipality_id = $1 ORDER BY k.month DESC"
    ))
    .bind(m)
    .fetch_all(conn)
    .await
}

pub async fn kpi_value(
    conn: &mut PgConnection,
    m: Uuid,
    month: NaiveDate,
) -> sqlx::Result<Option<KpiRow>> {
    sqlx::query_as(&format!(
        "SELECT {KPI_COLUMNS} WHERE k.municipality_id = $1 AND k.month = $2"
    ))
    .bind(m)
    .bind(month)
    .fetch_optional(conn)
    .await
}

/// Records a month's value; false when the month has one already.
pub async fn insert_kpi(
    conn: &mut PgConnection,
    m: Uuid,
    x: &KpiInput,
    by: Uuid,
) -> sqlx::Result<bool> {
    let n = sqlx::query(
        "INSERT INTO kpi_values (municipality_id, month, value, source, recorded_by)
         VALUES ($1, $2, $3::numeric / 10, $4, $5) ON CONFLICT (municipality_id, month) DO NOTHING",
    )
    .bind(m)
    .bind(x.month)
    .bind(x.tenths)
    .bind(&x.source)
    .bind(by)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Corrects a month's value when it is still at `version`; false otherwise.
pub async fn update_kpi(
    conn: &mut PgConnection,
    m: Uuid,
    x: &KpiInput,
    version: i32,
    by: Uuid,
) -> sqlx::Result<bool> {
    let n = sqlx::query(
        "UPDATE kpi_values SET value = $3::numeric / 10, source = $4, recorded_by = $5,
                recorded_at = now(), version = version + 1
          WHERE municipality_id = $1 AND month = $2 AND version = $6",
    )
    .bind(m)
    .bind(x.month)
    .bind(x.tenths)
    .bind(&x.source)
    .bind(by)
    .bind(version)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

// ---------------------------------------------------------------------------------------
// § 11-1 grounds

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct GroundRow {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub label: String,
    pub notice_text: String,
    pub active: bool,
    pub sort_order: i32,
    pub version: i32,
}

const GROUND_COLUMNS: &str =
    "municipality_id, id, label, notice_text, active, sort_order, version FROM short_term_grounds";

/// Every ground, in the order the lease form offers them (a handful per municipality).
pub async fn grounds(conn: &mut PgConnection, m: Uuid) -> sqlx::Result<Vec<GroundRow>> {
    sqlx::query_as(&format!(
        "SELECT {GROUND_COLUMNS} WHERE municipality_id = $1 ORDER BY sort_order, lower(label), id"
    ))
    .bind(m)
    .fetch_all(conn)
    .await
}

/// The grounds a new lease may name (seeding the defaults where missing).
pub async fn active_grounds(conn: &mut PgConnection, m: Uuid) -> sqlx::Result<Vec<GroundRow>> {
    ensure_defaults(&mut *conn, m).await?;
    Ok(grounds(conn, m)
        .await?
        .into_iter()
        .filter(|g| g.active)
        .collect())
}

pub async fn ground(
    conn: &mut PgConnection,
    visible: &[Uuid],
    id: Uuid,
) -> sqlx::Result<Option<GroundRow>> {
    sqlx::query_as(&format!(
        "SELECT {GROUND_COLUMNS} WHERE municipality_id = ANY($1) AND id = $2"
    ))
    .bind(visible)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn insert_ground(
    conn: &mut PgConnection,
    m: Uuid,
    id: Uuid,
    x: &GroundInput,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO short_term_grounds (municipality_id, id, label, notice_text, active, sort_order)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(m)
    .bind(id)
    .bind(&x.label)
    .bind(&x.notice_text)
    .bind(x.active)
    .bind(x.sort_order)
    .execute(conn)
    .await?;
    Ok(())
}

/// Changes a ground still at `version`; false otherwise.
pub async fn update_ground(
    conn: &mut PgConnection,
    m: Uuid,
    id: Uuid,
    x: &GroundInput,
    version: i32,
) -> sqlx::Result<bool> {
    let n = sqlx::query(
        "UPDATE short_term_grounds SET label = $3, notice_text = $4, active = $5, sort_order = $6,
                version = version + 1, updated_at = now()
          WHERE municipality_id = $1 AND id = $2 AND version = $7",
    )
    .bind(m)
    .bind(id)
    .bind(&x.label)
    .bind(&x.notice_text)
    .bind(x.active)
    .bind(x.sort_order)
    .bind(version)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

// ---------------------------------------------------------------------------------------
// House rules

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct HouseRulesRow {
    pub id: Uuid,
    pub version_no: i32,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub created_by_name: Option<String>,
}

const RULES_COLUMNS: &str = "h.id, h.version_no, h.title, h.body, h.created_at,
       u.display_name AS created_by_name
  FROM house_rules_versions h LEFT JOIN users u ON u.id = h.created_by";

/// Every version, newest first.
pub async fn house_rules_versions(
    conn: &mut PgConnection,
    m: Uuid,
) -> sqlx::Result<Vec<HouseRulesRow>> {
    sqlx::query_as(&format!(
        "SELECT {RULES_COLUMNS} WHERE h.municipality_id = $1 ORDER BY h.version_no DESC"
    ))
    .bind(m)
    .fetch_all(conn)
    .await
}

/// The version a new lease gets: the newest (seeding version 1 where missing).
pub async fn current_house_rules(
    conn: &mut PgConnection,
    m: Uuid,
) -> sqlx::Result<Option<HouseRulesRow>> {
    ensure_defaults(&mut *conn, m).await?;
    sqlx::query_as(&format!(
        "SELECT {RULES_COLUMNS} WHERE h.municipality_id = $1 ORDER BY h.version_no DESC LIMIT 1"
    ))
    .bind(m)
    .fetch_optional(conn)
    .await
}

/// One version by id (a lease names the version it was signed with).
pub async fn house_rules(
    conn: &mut PgConnection,
    m: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<HouseRulesRow>> {
    sqlx::query_as(&format!(
        "SELECT {RULES_COLUMNS} WHERE h.municipality_id = $1 AND h.id = $2"
    ))
    .bind(m)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Appends version `version_no`; false when that number was taken meanwhile.
pub async fn insert_house_rules(
    conn: &mut PgConnection,
    m: Uuid,
    id: Uuid,
    version_no: i32,
    x: &HouseRulesInput,
    by: Uuid,
) -> sqlx::Result<bool> {
    let n = sqlx::query(
        "INSERT INTO house_rules_versions (municipality_id, id, version_no, title, body, created_by)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (municipality_id, version_no) DO NOTHING",
    )
    .bind(m)
    .bind(id)
    .bind(version_no)
    .bind(&x.title)
    .bind(&x.body)
    .bind(by)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Benchmark and demo data: a KPI value for every month from `from` to `to` that has none,
/// rising by 0,3 a month from 110,0 (the shape, not SSB's numbers).
pub async fn seed_kpi_series(
    conn: &mut PgConnection,
    m: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "INSERT INTO kpi_values (municipality_id, month, value, source)
         SELECT $1, g.month::date, 110.0 + 0.3 * (row_number() OVER (ORDER BY g.month) - 1),
                'Eksempelverdier (ikke fra SSB)'
           FROM generate_series(date_trunc('month', $2::date), date_trunc('month', $3::date), interval '1 month') AS g (month)
         ON CONFLICT (municipality_id, month) DO NOTHING",
    )
    .bind(m)
    .bind(from)
    .bind(to)
    .execute(conn)
    .await?
    .rows_affected())
}
