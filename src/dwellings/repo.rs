//! SQL for the dwellings register. Callers pass a transaction scoped to the municipalities
//! in view; row level security is the floor under the explicit `municipality_id` filters.

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use super::model::{
    AreaTenths, Assessment, Condition, NewUnit, OwnerType, PropertyInput, Status, StatusChange,
    UnitInput, DEFAULT_ADAPTATIONS, DEFAULT_TYPES,
};

pub const PAGE_SIZE: i64 = 50;

/// The two per-municipality lists administrators maintain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListKind {
    Types,
    Adaptations,
}

impl ListKind {
    pub fn table(self) -> &'static str {
        match self {
            ListKind::Types => "dwelling_types",
            ListKind::Adaptations => "dwelling_adaptations",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            ListKind::Types => "type",
            ListKind::Adaptations => "adaptation",
        }
    }
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ListItem {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub name: String,
    pub active: bool,
}

/// Creates the default dwelling types and adaptations for a municipality that has none.
/// Idempotent; call it with a connection scoped to `municipality`.
pub async fn ensure_defaults(conn: &mut PgConnection, municipality: Uuid) -> sqlx::Result<()> {
    for (kind, names) in [
        (ListKind::Types, DEFAULT_TYPES),
        (ListKind::Adaptations, DEFAULT_ADAPTATIONS),
    ] {
        let any: bool = sqlx::query_scalar(&format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE municipality_id = $1)",
            kind.table()
        ))
        .bind(municipality)
        .fetch_one(&mut *conn)
        .await?;
        if any {
            continue;
        }
        let ids: Vec<Uuid> = names.iter().map(|_| Uuid::now_v7()).collect();
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        sqlx::query(&format!(
            "INSERT INTO {} (municipality_id, id, name, sort_order)
             SELECT $1, id, name, ord * 10 FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY AS x(id, name, ord)
             ON CONFLICT DO NOTHING",
            kind.table()
        ))
        .bind(municipality)
        .bind(&ids)
        .bind(&names)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn list_items(
    conn: &mut PgConnection,
    kind: ListKind,
    municipalities: &[Uuid],
    include_inactive: bool,
) -> sqlx::Result<Vec<ListItem>> {
    sqlx::query_as(&format!(
        "SELECT municipality_id, id, name, active FROM {}
          WHERE municipality_id = ANY($1) AND (active OR $2)
          ORDER BY sort_order, lower(name), id",
        kind.table()
    ))
    .bind(municipalities)
    .bind(include_inactive)
    .fetch_all(conn)
    .await
}

/// Adds a list item, or reactivates an inactive one of the same name. None when an
/// active item already has the name.
pub async fn add_item(
    conn: &mut PgConnection,
    kind: ListKind,
    municipality: Uuid,
    name: &str,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(&format!(
        "INSERT INTO {t} (municipality_id, id, name, sort_order)
         VALUES ($1, $2, $3, (SELECT coalesce(max(sort_order), 0) + 10 FROM {t} WHERE municipality_id = $1))
         ON CONFLICT (municipality_id, lower(name)) DO UPDATE SET active = true, name = EXCLUDED.name
           WHERE NOT {t}.active
         RETURNING id",
        t = kind.table()
    ))
    .bind(municipality)
    .bind(Uuid::now_v7())
    .bind(name)
    .fetch_optional(conn)
    .await
}

/// Renames; Ok(None) when not found, Err on a duplicate name (unique violation).
pub async fn rename_item(
    conn: &mut PgConnection,
    kind: ListKind,
    municipality: Uuid,
    id: Uuid,
    name: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(&format!(
        "UPDATE {t} SET name = $3 WHERE municipality_id = $1 AND id = $2
         RETURNING (SELECT name FROM {t} WHERE municipality_id = $1 AND id = $2)",
        t = kind.table()
    ))
    .bind(municipality)
    .bind(id)
    .bind(name)
    .fetch_optional(conn)
    .await
}

pub async fn set_item_active(
    conn: &mut PgConnection,
    kind: ListKind,
    municipality: Uuid,
    id: Uuid,
    active: bool,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(&format!(
        "UPDATE {} SET active = $3 WHERE municipality_id = $1 AND id = $2 RETURNING name",
        kind.table()
    ))
    .bind(municipality)
    .bind(id)
    .bind(active)
    .fetch_optional(conn)
    .await
}

// ----- Properties -----------------------------------------------------------------------

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct PropertyRow {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub name: String,
    pub street_address: String,
    pub postcode: String,
    pub postal_place: String,
    pub area_id: Option<Uuid>,
    pub area_name: Option<String>,
    pub gnr: Option<i32>,
    pub bnr: Option<i32>,
    pub owner_type: OwnerType,
    pub owner_name: String,
    pub agreement_ends: Option<NaiveDate>,
    pub has_lift: bool,
    pub notes: String,
    pub version: i32,
    pub units: i64,
}

const PROPERTY_COLUMNS: &str = "p.municipality_id, p.id, p.name, p.street_address, p.postcode, p.postal_place,
    p.area_id, a.name AS area_name, p.gnr, p.bnr, p.owner_type, p.owner_name, p.agreement_ends,
    p.has_lift, p.notes, p.version,
    (SELECT count(*) FROM dwellings d WHERE d.municipality_id = p.municipality_id AND d.property_id = p.id) AS units";

pub async fn property(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    id: Uuid,
) -> sqlx::Result<Option<PropertyRow>> {
    sqlx::query_as(&format!(
        "SELECT {PROPERTY_COLUMNS}
           FROM properties p LEFT JOIN areas a ON a.municipality_id = p.municipality_id AND a.id = p.area_id
          WHERE p.municipality_id = ANY($1) AND p.id = $2"
    ))
    .bind(municipalities)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Properties by name, keyset-paginated after (lower(name), id).
pub async fn properties(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    search: &str,
    after: Option<(&str, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<PropertyRow>> {
    sqlx::query_as(&format!(
        "SELECT {PROPERTY_COLUMNS}
           FROM properties p LEFT JOIN areas a ON a.municipality_id = p.municipality_id AND a.id = p.area_id
          WHERE p.municipality_id = ANY($1)
            AND ($2 = '' OR p.name ILIKE '%' || $2 || '%' OR p.street_address ILIKE '%' || $2 || '%')
            AND ($3::text IS NULL OR (lower(p.name), p.id) > ($3, $4))
          ORDER BY lower(p.name), p.id
          LIMIT $5"
    ))
    .bind(municipalities)
    .bind(like_escape(search))
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub fn like_escape(s: &str) -> String {
    s.trim()
        .chars()
        .take(100)
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

pub async fn insert_property(
    conn: &mut PgConnection,
    municipality: Uuid,
    p: &PropertyInput,
    by: Uuid,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO properties (municipality_id, id, name, street_address, postcode, postal_place, area_id,
                gnr, bnr, owner_type, owner_name, agreement_ends, has_lift, notes, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
    )
    .bind(municipality)
    .bind(id)
    .bind(&p.name)
    .bind(&p.street_address)
    .bind(&p.postcode)
    .bind(&p.postal_place)
    .bind(p.area_id)
    .bind(p.gnr)
    .bind(p.bnr)
    .bind(p.owner_type)
    .bind(&p.owner_name)
    .bind(p.agreement_ends)
    .bind(p.has_lift)
    .bind(&p.notes)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(id)
}

/// Saves if nobody else saved since `version`; false on a stale edit.
pub async fn update_property(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    p: &PropertyInput,
    version: i32,
    by: Uuid,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE properties SET name = $4, street_address = $5, postcode = $6, postal_place = $7, area_id = $8,
                gnr = $9, bnr = $10, owner_type = $11, owner_name = $12, agreement_ends = $13, has_lift = $14,
                notes = $15, version = version + 1, updated_at = now(), updated_by = $16
          WHERE municipality_id = $1 AND id = $2 AND version = $3",
    )
    .bind(municipality)
    .bind(id)
    .bind(version)
    .bind(&p.name)
    .bind(&p.street_address)
    .bind(&p.postcode)
    .bind(&p.postal_place)
    .bind(p.area_id)
    .bind(p.gnr)
    .bind(p.bnr)
    .bind(p.owner_type)
    .bind(&p.owner_name)
    .bind(p.agreement_ends)
    .bind(p.has_lift)
    .bind(&p.notes)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

// ----- Units ----------------------------------------------------------------------------

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct UnitRow {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub property_id: Uuid,
    pub property_name: String,
    pub street_address: String,
    pub postcode: String,
    pub postal_place: String,
    pub area_name: Option<String>,
    pub has_lift: bool,
    pub owner_type: OwnerType,
    pub unit_number: String,
    pub dwelling_type_id: Uuid,
    pub type_name: String,
    pub rooms: i16,
    pub area: AreaTenths,
    pub floor: Option<i16>,
    pub wheelchair_accessible: bool,
    pub staff_base: bool,
    pub monthly_rent: Option<i64>,
    pub condition: Option<Condition>,
    pub condition_assessed_on: Option<NaiveDate>,
    pub status: Status,
    pub status_since: NaiveDate,
    pub expected_vacant_from: Option<NaiveDate>,
    pub notes: String,
    pub version: i32,
    /// The sort value of this row in its list, for the next page's cursor.
    pub sort_key: String,
}

const UNIT_FROM: &str = "FROM dwellings d
    JOIN properties p ON p.municipality_id = d.municipality_id AND p.id = d.property_id
    JOIN dwelling_types t ON t.municipality_id = d.municipality_id AND t.id = d.dwelling_type_id
    LEFT JOIN areas a ON a.municipality_id = p.municipality_id AND a.id = p.area_id";

fn unit_columns(sort_expr: &str) -> String {
    format!(
        "d.municipality_id, d.id, d.property_id, p.name AS property_name, p.street_address, p.postcode,
         p.postal_place, a.name AS area_name, p.has_lift, p.owner_type, d.unit_number, d.dwelling_type_id,
         t.name AS type_name, d.rooms, (d.area_m2 * 10)::int4 AS area, d.floor, d.wheelchair_accessible,
         d.staff_base, d.monthly_rent, d.condition, d.condition_assessed_on, d.status, d.status_since,
         d.expected_vacant_from, d.notes, d.version, ({sort_expr})::text AS sort_key"
    )
}

pub async fn unit(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    id: Uuid,
) -> sqlx::Result<Option<UnitRow>> {
    sqlx::query_as(&format!(
        "SELECT {} {UNIT_FROM} WHERE d.municipality_id = ANY($1) AND d.id = $2",
        unit_columns("''")
    ))
    .bind(municipalities)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn units_of_property(
    conn: &mut PgConnection,
    municipality: Uuid,
    property: Uuid,
) -> sqlx::Result<Vec<UnitRow>> {
    sqlx::query_as(&format!(
        "SELECT {} {UNIT_FROM} WHERE d.municipality_id = $1 AND d.property_id = $2 ORDER BY d.unit_number, d.id",
        unit_columns("d.unit_number")
    ))
    .bind(municipality)
    .bind(property)
    .fetch_all(conn)
    .await
}

pub async fn unit_adaptations(
    conn: &mut PgConnection,
    municipality: Uuid,
    dwelling: Uuid,
) -> sqlx::Result<Vec<ListItem>> {
    sqlx::query_as(
        "SELECT x.municipality_id, x.id, x.name, x.active
           FROM dwelling_unit_adaptations u
           JOIN dwelling_adaptations x ON x.municipality_id = u.municipality_id AND x.id = u.adaptation_id
          WHERE u.municipality_id = $1 AND u.dwelling_id = $2
          ORDER BY x.sort_order, lower(x.name)",
    )
    .bind(municipality)
    .bind(dwelling)
    .fetch_all(conn)
    .await
}

async fn set_adaptations(
    conn: &mut PgConnection,
    municipality: Uuid,
    dwelling: Uuid,
    adaptations: &[Uuid],
) -> sqlx::Result<()> {
    sqlx::query(
        "DELETE FROM dwelling_unit_adaptations WHERE municipality_id = $1 AND dwelling_id = $2
           AND NOT (adaptation_id = ANY($3))",
    )
    .bind(municipality)
    .bind(dwelling)
    .bind(adaptations)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO dwelling_unit_adaptations (municipality_id, dwelling_id, adaptation_id)
         SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT DO NOTHING",
    )
    .bind(municipality)
    .bind(dwelling)
    .bind(adaptations)
    .execute(conn)
    .await?;
    Ok(())
}

/// Creates a unit with its first status recorded in the history. Err with a unique
/// violation of `dwellings_unit_key` when the property already has the unit number.
pub async fn insert_unit(
    conn: &mut PgConnection,
    municipality: Uuid,
    property: Uuid,
    u: &NewUnit,
    effective_on: NaiveDate,
    reason: &str,
    by: Uuid,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    let x = &u.unit;
    sqlx::query(
        "INSERT INTO dwellings (municipality_id, id, property_id, unit_number, dwelling_type_id, rooms, area_m2,
                floor, wheelchair_accessible, staff_base, monthly_rent, condition, condition_assessed_on,
                status, status_since, expected_vacant_from, notes, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7::numeric / 10, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)",
    )
    .bind(municipality)
    .bind(id)
    .bind(property)
    .bind(&x.unit_number)
    .bind(x.dwelling_type_id)
    .bind(x.rooms)
    .bind(x.area)
    .bind(x.floor)
    .bind(x.wheelchair_accessible)
    .bind(x.staff_base)
    .bind(x.monthly_rent)
    .bind(x.condition)
    .bind(x.condition_assessed_on)
    .bind(u.status)
    .bind(effective_on)
    .bind(u.expected_vacant_from)
    .bind(&x.notes)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    set_adaptations(conn, municipality, id, &x.adaptations).await?;
    record_status(
        conn,
        municipality,
        id,
        None,
        u.status,
        effective_on,
        reason,
        by,
    )
    .await?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn record_status(
    conn: &mut PgConnection,
    municipality: Uuid,
    dwelling: Uuid,
    from: Option<Status>,
    to: Status,
    effective_on: NaiveDate,
    reason: &str,
    by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO dwelling_status_changes (municipality_id, id, dwelling_id, effective_on, from_status,
                to_status, reason, changed_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(municipality)
    .bind(Uuid::now_v7())
    .bind(dwelling)
    .bind(effective_on)
    .bind(from)
    .bind(to)
    .bind(reason)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves the unit's data if nobody else saved since `version`; false on a stale edit.
/// Err with a unique violation when another unit in the property has the number.
pub async fn update_unit(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    x: &UnitInput,
    version: i32,
    by: Uuid,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE dwellings SET unit_number = $4, dwelling_type_id = $5, rooms = $6, area_m2 = $7::numeric / 10,
                floor = $8, wheelchair_accessible = $9, staff_base = $10, monthly_rent = $11, condition = $12,
                condition_assessed_on = $13, notes = $14, version = version + 1, updated_at = now(),
                updated_by = $15
          WHERE municipality_id = $1 AND id = $2 AND version = $3",
    )
    .bind(municipality)
    .bind(id)
    .bind(version)
    .bind(&x.unit_number)
    .bind(x.dwelling_type_id)
    .bind(x.rooms)
    .bind(x.area)
    .bind(x.floor)
    .bind(x.wheelchair_accessible)
    .bind(x.staff_base)
    .bind(x.monthly_rent)
    .bind(x.condition)
    .bind(x.condition_assessed_on)
    .bind(&x.notes)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    set_adaptations(conn, municipality, id, &x.adaptations).await?;
    Ok(true)
}

/// Changes the status (checked against the state machine by the caller) and records it;
/// false on a stale edit.
pub async fn change_status(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    from: Status,
    c: &StatusChange,
    version: i32,
    by: Uuid,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE dwellings SET status = $5, status_since = $6, expected_vacant_from = $7,
                version = version + 1, updated_at = now(), updated_by = $8
          WHERE municipality_id = $1 AND id = $2 AND version = $3 AND status = $4",
    )
    .bind(municipality)
    .bind(id)
    .bind(version)
    .bind(from)
    .bind(c.to)
    .bind(c.effective_on)
    .bind(c.expected_vacant_from)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    record_status(
        conn,
        municipality,
        id,
        Some(from),
        c.to,
        c.effective_on,
        &c.reason,
        by,
    )
    .await?;
    Ok(true)
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct StatusChangeRow {
    pub changed_at: chrono::DateTime<chrono::Utc>,
    pub effective_on: NaiveDate,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub reason: String,
    pub changed_by: Option<String>,
}

pub async fn status_history(
    conn: &mut PgConnection,
    municipality: Uuid,
    dwelling: Uuid,
) -> sqlx::Result<Vec<StatusChangeRow>> {
    sqlx::query_as(
        "SELECT c.changed_at, c.effective_on, c.from_status, c.to_status, c.reason, u.display_name AS changed_by
           FROM dwelling_status_changes c LEFT JOIN users u ON u.id = c.changed_by
          WHERE c.municipality_id = $1 AND c.dwelling_id = $2
          ORDER BY c.changed_at DESC, c.id DESC",
    )
    .bind(municipality)
    .bind(dwelling)
    .fetch_all(conn)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct AssessmentRow {
    pub assessed_on: NaiveDate,
    pub grade: Condition,
    pub findings: String,
    pub planned_action: String,
    pub cost_estimate: Option<i64>,
    pub recorded_by: Option<String>,
}

pub async fn assessments(
    conn: &mut PgConnection,
    municipality: Uuid,
    dwelling: Uuid,
) -> sqlx::Result<Vec<AssessmentRow>> {
    sqlx::query_as(
        "SELECT s.assessed_on, s.grade, s.findings, s.planned_action, s.cost_estimate, u.display_name AS recorded_by
           FROM dwelling_assessments s LEFT JOIN users u ON u.id = s.recorded_by
          WHERE s.municipality_id = $1 AND s.dwelling_id = $2
          ORDER BY s.assessed_on DESC, s.id DESC",
    )
    .bind(municipality)
    .bind(dwelling)
    .fetch_all(conn)
    .await
}

/// Records an assessment; the unit's grade follows the newest assessment. Returns the id.
pub async fn add_assessment(
    conn: &mut PgConnection,
    municipality: Uuid,
    dwelling: Uuid,
    a: &Assessment,
    by: Uuid,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO dwelling_assessments (municipality_id, id, dwelling_id, assessed_on, grade, findings,
                planned_action, cost_estimate, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(municipality)
    .bind(id)
    .bind(dwelling)
    .bind(a.assessed_on)
    .bind(a.grade)
    .bind(&a.findings)
    .bind(&a.planned_action)
    .bind(a.cost_estimate)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE dwellings SET condition = $3, condition_assessed_on = $4, version = version + 1,
                updated_at = now(), updated_by = $5
          WHERE municipality_id = $1 AND id = $2
            AND (condition_assessed_on IS NULL OR condition_assessed_on <= $4)",
    )
    .bind(municipality)
    .bind(dwelling)
    .bind(a.grade)
    .bind(a.assessed_on)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(id)
}

// ----- Lists ----------------------------------------------------------------------------

/// A validated list filter (see `lists::Filter` for what the user typed).
#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    pub search: String,
    pub type_name: Option<String>,
    pub status: Option<Status>,
    pub rooms_min: Option<i16>,
    pub rooms_max: Option<i16>,
    pub area_min: Option<AreaTenths>,
    pub area_max: Option<AreaTenths>,
    pub wheelchair: bool,
    pub area_name: Option<String>,
    pub include_sold: bool,
}

/// How the unit list is sorted: the SQL expression, and the type its cursor casts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Address,
    Unit,
    Type,
    Rooms,
    Area,
    Rent,
    Status,
}

impl Sort {
    pub const ALL: [Sort; 7] = [
        Sort::Address,
        Sort::Unit,
        Sort::Type,
        Sort::Rooms,
        Sort::Area,
        Sort::Rent,
        Sort::Status,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Sort::Address => "adresse",
            Sort::Unit => "boenhet",
            Sort::Type => "type",
            Sort::Rooms => "rom",
            Sort::Area => "areal",
            Sort::Rent => "leie",
            Sort::Status => "status",
        }
    }

    pub fn from_key(k: &str) -> Sort {
        Sort::ALL
            .into_iter()
            .find(|s| s.key() == k)
            .unwrap_or(Sort::Address)
    }

    fn sql(self) -> (&'static str, &'static str) {
        match self {
            // Always equal to lower(p.street_address) || ' ' || d.unit_number (kept by
            // triggers, migration 20261124310000), so the list walks an index.
            Sort::Address => ("d.address_sort_key", "text"),
            Sort::Unit => ("d.unit_number", "text"),
            Sort::Type => ("lower(t.name)", "text"),
            Sort::Rooms => ("d.rooms", "smallint"),
            Sort::Area => ("d.area_m2", "numeric"),
            Sort::Rent => ("coalesce(d.monthly_rent, -1)", "bigint"),
            Sort::Status => ("d.status", "dwelling_status"),
        }
    }
}

/// The list filter as SQL over `$2`–`$11` (bound by [`bind_filter`]), with only the
/// conditions that are set. Prepared statements are cached per connection, and after a
/// few runs PostgreSQL may switch to a generic plan that cannot drop `($n IS NULL OR …)`
/// arms; such a plan sorted every unit instead of walking the sort index. Leaving unset
/// conditions out of the text keeps each filter combination's plan as good as its custom
/// plan. The rows selected are exactly those of the full condition list.
fn filter_sql(f: &UnitFilter) -> String {
    let mut s = String::new();
    if !like_escape(&f.search).is_empty() {
        s.push_str(
            " AND (p.name ILIKE '%' || $2 || '%' OR p.street_address ILIKE '%' || $2 || '%'
                   OR d.unit_number ILIKE $2 || '%')",
        );
    }
    if f.type_name.is_some() {
        s.push_str(" AND lower(t.name) = lower($3)");
    }
    if f.status.is_some() {
        s.push_str(" AND d.status = $4");
    }
    if f.rooms_min.is_some() {
        s.push_str(" AND d.rooms >= $5");
    }
    if f.rooms_max.is_some() {
        s.push_str(" AND d.rooms <= $6");
    }
    if f.area_min.is_some() {
        s.push_str(" AND d.area_m2 * 10 >= $7");
    }
    if f.area_max.is_some() {
        s.push_str(" AND d.area_m2 * 10 <= $8");
    }
    if f.wheelchair {
        s.push_str(" AND d.wheelchair_accessible");
    }
    if f.area_name.is_some() {
        s.push_str(" AND lower(a.name) = lower($10)");
    }
    if !f.include_sold && f.status != Some(Status::Sold) {
        s.push_str(" AND d.status <> 'sold'");
    }
    s
}

type PgQueryAs<'q, O> = sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>;

fn bind_filter<'q, O>(
    q: PgQueryAs<'q, O>,
    municipalities: &'q [Uuid],
    f: &'q UnitFilter,
) -> PgQueryAs<'q, O> {
    q.bind(municipalities)
        .bind(like_escape(&f.search))
        .bind(f.type_name.as_deref())
        .bind(f.status)
        .bind(f.rooms_min)
        .bind(f.rooms_max)
        .bind(f.area_min)
        .bind(f.area_max)
        .bind(f.wheelchair)
        .bind(f.area_name.as_deref())
        .bind(f.include_sold)
}

/// Wraps a list query that selects one municipality's page (`d.municipality_id = mm.id`,
/// ORDER BY, LIMIT) so it runs once per municipality in `$1` and the pages are merged. An
/// equality on municipality_id lets the planner walk a (municipality_id, sort key, id)
/// index in order and stop after one page; `municipality_id = ANY($1)` would read and sort
/// every row of every municipality (before PostgreSQL 17, an index scan with `= ANY`
/// returns no order).
fn per_municipality(inner: &str, order: &str, limit: &str) -> String {
    format!(
        "SELECT x.* FROM unnest($1::uuid[]) AS mm(id)
           CROSS JOIN LATERAL ({inner}) x
          ORDER BY {order}
          LIMIT {limit}"
    )
}

/// The unit list: filtered, sorted, keyset-paginated after (sort value, id).
pub async fn units(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    f: &UnitFilter,
    sort: Sort,
    descending: bool,
    after: Option<(&str, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<UnitRow>> {
    let (expr, cast) = sort.sql();
    let (cmp, dir) = if descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let sql = per_municipality(
        &format!(
            "SELECT {cols}, {expr} AS sort_value {UNIT_FROM}
              WHERE d.municipality_id = mm.id {filter} {after}
              ORDER BY {expr} {dir}, d.id {dir}
              LIMIT $14",
            cols = unit_columns(expr),
            filter = filter_sql(f),
            after = if after.is_some() {
                format!("AND ({expr}, d.id) {cmp} ($12::{cast}, $13)")
            } else {
                String::new()
            },
        ),
        &format!("x.sort_value {dir}, x.id {dir}"),
        "$14",
    );
    bind_filter(sqlx::query_as(&sql), municipalities, f)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .bind(limit)
        .fetch_all(conn)
        .await
}

/// The day a unit becomes available: since when it has been vacant, or when it is
/// expected to be. (Leases will add their end dates here.)
const AVAILABLE_ON: &str =
    "CASE WHEN d.status = 'vacant' THEN d.status_since ELSE d.expected_vacant_from END";
fn in_vacancy(horizon_param: &str) -> String {
    format!(
        "(d.status = 'vacant' OR (d.status IN ('let', 'notice_given', 'maintenance', 'reserved')
          AND d.expected_vacant_from IS NOT NULL AND d.expected_vacant_from <= {horizon_param}))"
    )
}

/// Vacant units and those becoming vacant by `horizon`, soonest first.
pub async fn vacancies(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    f: &UnitFilter,
    horizon: NaiveDate,
    after: Option<(&str, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<UnitRow>> {
    let sql = per_municipality(
        &format!(
            "SELECT {cols}, {AVAILABLE_ON} AS sort_value {UNIT_FROM}
              WHERE d.municipality_id = mm.id {filter} AND {vacancy} {after}
              ORDER BY {AVAILABLE_ON}, d.id
              LIMIT $14",
            cols = unit_columns(AVAILABLE_ON),
            filter = filter_sql(f),
            vacancy = in_vacancy("$15"),
            after = if after.is_some() {
                format!("AND ({AVAILABLE_ON}, d.id) > ($12::date, $13)")
            } else {
                String::new()
            },
        ),
        "x.sort_value, x.id",
        "$14",
    );
    bind_filter(sqlx::query_as(&sql), municipalities, f)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .bind(limit)
        .bind(horizon)
        .fetch_all(conn)
        .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct TypeCount {
    pub type_name: String,
    pub total: i64,
    pub vacant_now: i64,
    pub upcoming: i64,
}

/// Units per dwelling type ("Antall"), vacant now and becoming vacant, in one query.
pub async fn counts_by_type(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    f: &UnitFilter,
    horizon: NaiveDate,
) -> sqlx::Result<Vec<TypeCount>> {
    if !f.search.trim().is_empty() || f.area_name.is_some() {
        // Filters on the property or its area: count over the joined rows.
        let sql = format!(
            "SELECT min(t.name) AS type_name, count(*) AS total,
                    count(*) FILTER (WHERE d.status = 'vacant') AS vacant_now,
                    count(*) FILTER (WHERE d.status <> 'vacant' AND {vacancy}) AS upcoming
               {UNIT_FROM}
              WHERE d.municipality_id = ANY($1) {filter}
              GROUP BY lower(t.name)
              ORDER BY min(t.sort_order), lower(t.name)",
            vacancy = in_vacancy("$12"),
            filter = filter_sql(f),
        );
        return bind_filter(sqlx::query_as(&sql), municipalities, f)
            .bind(horizon)
            .fetch_all(conn)
            .await;
    }
    // Otherwise the same counts from the units alone (every unit has its property, so the
    // join changes no count): an index-only scan of dwellings_type_counts_idx, grouped by
    // type id, then by type name across municipalities.
    let sql = format!(
        "SELECT min(t.name) AS type_name, sum(c.total)::int8 AS total,
                sum(c.vacant_now)::int8 AS vacant_now, sum(c.upcoming)::int8 AS upcoming
           FROM (SELECT d.municipality_id, d.dwelling_type_id, count(*) AS total,
                        count(*) FILTER (WHERE d.status = 'vacant') AS vacant_now,
                        count(*) FILTER (WHERE d.status <> 'vacant' AND {vacancy}) AS upcoming
                   FROM dwellings d
                  WHERE d.municipality_id = ANY($1)
                    AND ($3::dwelling_status IS NULL OR d.status = $3)
                    AND ($4::int2 IS NULL OR d.rooms >= $4)
                    AND ($5::int2 IS NULL OR d.rooms <= $5)
                    AND ($6::int4 IS NULL OR d.area_m2 * 10 >= $6)
                    AND ($7::int4 IS NULL OR d.area_m2 * 10 <= $7)
                    AND (NOT $8 OR d.wheelchair_accessible)
                    AND ($9 OR d.status <> 'sold' OR $3 = 'sold')
                  GROUP BY d.municipality_id, d.dwelling_type_id) c
           JOIN dwelling_types t ON t.municipality_id = c.municipality_id AND t.id = c.dwelling_type_id
          WHERE ($2::text IS NULL OR lower(t.name) = lower($2))
          GROUP BY lower(t.name)
          ORDER BY min(t.sort_order), lower(t.name)",
        vacancy = in_vacancy("$10")
    );
    sqlx::query_as(&sql)
        .bind(municipalities)
        .bind(f.type_name.as_deref())
        .bind(f.status)
        .bind(f.rooms_min)
        .bind(f.rooms_max)
        .bind(f.area_min)
        .bind(f.area_max)
        .bind(f.wheelchair)
        .bind(f.include_sold)
        .bind(horizon)
        .fetch_all(conn)
        .await
}

/// Units in poor or very poor condition, worst first.
pub async fn poor_condition(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    after: Option<(&str, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<UnitRow>> {
    let key = "(CASE d.condition WHEN 'very_poor' THEN '0' ELSE '1' END) || d.unit_number";
    sqlx::query_as(&format!(
        "SELECT {cols} {UNIT_FROM}
          WHERE d.municipality_id = ANY($1) AND d.condition IN ('poor', 'very_poor') AND d.status <> 'sold'
            AND ($2::text IS NULL OR ({key}, d.id) > ($2, $3))
          ORDER BY {key}, d.id
          LIMIT $4",
        cols = unit_columns(key)
    ))
    .bind(municipalities)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(conn)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct MoveRow {
    pub municipality_id: Uuid,
    pub dwelling_id: Uuid,
    pub moved_on: NaiveDate,
    pub direction: String,
    pub source_id: Uuid,
    pub unit_number: String,
    pub property_name: String,
    pub street_address: String,
    pub type_name: String,
    pub rooms: i16,
}

/// Moves in and out in [from, to], by date; keyset after (moved_on, source_id).
pub async fn moves(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    from: NaiveDate,
    to: NaiveDate,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<MoveRow>> {
    sqlx::query_as(
        "SELECT m.municipality_id, m.dwelling_id, m.moved_on, m.direction, m.source_id, d.unit_number,
                p.name AS property_name, p.street_address, t.name AS type_name, d.rooms
           FROM dwelling_moves m
           JOIN dwellings d ON d.municipality_id = m.municipality_id AND d.id = m.dwelling_id
           JOIN properties p ON p.municipality_id = d.municipality_id AND p.id = d.property_id
           JOIN dwelling_types t ON t.municipality_id = d.municipality_id AND t.id = d.dwelling_type_id
          WHERE m.municipality_id = ANY($1) AND m.moved_on BETWEEN $2 AND $3
            AND ($4::date IS NULL OR (m.moved_on, m.source_id) > ($4, $5))
          ORDER BY m.moved_on, m.source_id
          LIMIT $6",
    )
    .bind(municipalities)
    .bind(from)
    .bind(to)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(conn)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct MoveCount {
    pub type_name: String,
    pub moves_in: i64,
    pub moves_out: i64,
}

pub async fn move_counts(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<MoveCount>> {
    sqlx::query_as(
        "SELECT min(t.name) AS type_name,
                count(*) FILTER (WHERE m.direction = 'in') AS moves_in,
                count(*) FILTER (WHERE m.direction = 'out') AS moves_out
           FROM dwelling_moves m
           JOIN dwellings d ON d.municipality_id = m.municipality_id AND d.id = m.dwelling_id
           JOIN dwelling_types t ON t.municipality_id = d.municipality_id AND t.id = d.dwelling_type_id
          WHERE m.municipality_id = ANY($1) AND m.moved_on BETWEEN $2 AND $3
          GROUP BY lower(t.name)
          ORDER BY min(t.sort_order), lower(t.name)",
    )
    .bind(municipalities)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await
}

// ----- Import ---------------------------------------------------------------------------

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ImportFile {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub filename: String,
    pub content: Vec<u8>,
    pub uploaded_at: chrono::DateTime<chrono::Utc>,
    pub applied_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub async fn insert_import(
    conn: &mut PgConnection,
    municipality: Uuid,
    filename: &str,
    content: &[u8],
    by: Uuid,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO dwelling_imports (municipality_id, id, filename, content, uploaded_by)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(municipality)
    .bind(id)
    .bind(filename)
    .bind(content)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(id)
}

pub async fn import_file(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    id: Uuid,
) -> sqlx::Result<Option<ImportFile>> {
    sqlx::query_as(
        "SELECT municipality_id, id, filename, content, uploaded_at, applied_at
           FROM dwelling_imports WHERE municipality_id = ANY($1) AND id = $2",
    )
    .bind(municipalities)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Marks the import applied; false when it already was (a second confirm).
pub async fn mark_import_applied(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    by: Uuid,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE dwelling_imports SET applied_at = now(), applied_by = $3
          WHERE municipality_id = $1 AND id = $2 AND applied_at IS NULL",
    )
    .bind(municipality)
    .bind(id)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ExistingUnit {
    pub property_key: String,
    pub unit_number: String,
    pub id: Uuid,
    pub status: Status,
}

/// Units of the municipality whose property names are among `property_keys` (lower case).
pub async fn existing_units(
    conn: &mut PgConnection,
    municipality: Uuid,
    property_keys: &[String],
) -> sqlx::Result<Vec<ExistingUnit>> {
    sqlx::query_as(
        "SELECT lower(p.name) AS property_key, d.unit_number, d.id, d.status
           FROM properties p
           JOIN dwellings d ON d.municipality_id = p.municipality_id AND d.property_id = p.id
          WHERE p.municipality_id = $1 AND lower(p.name) = ANY($2)",
    )
    .bind(municipality)
    .bind(property_keys)
    .fetch_all(conn)
    .await
}

/// Creates or updates (by name) a property from an import; returns its id and whether it
/// was created.
pub async fn upsert_property(
    conn: &mut PgConnection,
    municipality: Uuid,
    p: &PropertyInput,
    by: Uuid,
) -> sqlx::Result<(Uuid, bool)> {
    let existing: Option<Uuid> = sqlx::query_scalar(
        "UPDATE properties SET street_address = $3, postcode = $4, postal_place = $5, area_id = $6, gnr = $7,
                bnr = $8, owner_type = $9, owner_name = $10, agreement_ends = $11, has_lift = $12,
                version = version + 1, updated_at = now(), updated_by = $13
          WHERE municipality_id = $1 AND lower(name) = lower($2)
            AND (street_address, postcode, postal_place, area_id, gnr, bnr, owner_type, owner_name,
                 agreement_ends, has_lift)
                IS DISTINCT FROM ($3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         RETURNING id",
    )
    .bind(municipality)
    .bind(&p.name)
    .bind(&p.street_address)
    .bind(&p.postcode)
    .bind(&p.postal_place)
    .bind(p.area_id)
    .bind(p.gnr)
    .bind(p.bnr)
    .bind(p.owner_type)
    .bind(&p.owner_name)
    .bind(p.agreement_ends)
    .bind(p.has_lift)
    .bind(by)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = existing {
        return Ok((id, false));
    }
    let unchanged: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM properties WHERE municipality_id = $1 AND lower(name) = lower($2)",
    )
    .bind(municipality)
    .bind(&p.name)
    .fetch_optional(&mut *conn)
    .await?;
    match unchanged {
        Some(id) => Ok((id, false)),
        None => Ok((insert_property(conn, municipality, p, by).await?, true)),
    }
}

/// Updates a unit from an import. Empty condition cells keep the recorded condition. A
/// status (already checked against the state machine) is recorded in the history.
/// Returns whether anything changed.
#[allow(clippy::too_many_arguments)]
pub async fn import_update_unit(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    x: &UnitInput,
    status: Option<(Status, Status, Option<NaiveDate>)>,
    today: NaiveDate,
    reason: &str,
    by: Uuid,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE dwellings SET dwelling_type_id = $3, rooms = $4, area_m2 = $5::numeric / 10, floor = $6,
                wheelchair_accessible = $7, staff_base = $8, monthly_rent = $9,
                condition = coalesce($10, condition), condition_assessed_on = coalesce($11, condition_assessed_on),
                notes = $12, version = version + 1, updated_at = now(), updated_by = $13
          WHERE municipality_id = $1 AND id = $2
            AND (dwelling_type_id, rooms, (area_m2 * 10)::int4, floor, wheelchair_accessible, staff_base,
                 monthly_rent, condition, condition_assessed_on, notes)
                IS DISTINCT FROM ($3, $4, $5, $6, $7, $8, $9, coalesce($10, condition),
                 coalesce($11, condition_assessed_on), $12)",
    )
    .bind(municipality)
    .bind(id)
    .bind(x.dwelling_type_id)
    .bind(x.rooms)
    .bind(x.area)
    .bind(x.floor)
    .bind(x.wheelchair_accessible)
    .bind(x.staff_base)
    .bind(x.monthly_rent)
    .bind(x.condition)
    .bind(x.condition_assessed_on)
    .bind(&x.notes)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    let mut changed = r.rows_affected() == 1;
    let before: Vec<Uuid> = sqlx::query_scalar(
        "SELECT adaptation_id FROM dwelling_unit_adaptations WHERE municipality_id = $1 AND dwelling_id = $2",
    )
    .bind(municipality)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut a = before.clone();
    let mut b = x.adaptations.clone();
    a.sort();
    b.sort();
    if a != b {
        set_adaptations(conn, municipality, id, &x.adaptations).await?;
        changed = true;
    }
    if let Some((from, to, expected)) = status {
        sqlx::query(
            "UPDATE dwellings SET status = $3, status_since = $4, expected_vacant_from = $5,
                    version = version + 1, updated_at = now(), updated_by = $6
              WHERE municipality_id = $1 AND id = $2",
        )
        .bind(municipality)
        .bind(id)
        .bind(to)
        .bind(today)
        .bind(expected)
        .bind(by)
        .execute(&mut *conn)
        .await?;
        record_status(conn, municipality, id, Some(from), to, today, reason, by).await?;
        changed = true;
    }
    Ok(changed)
}

crate::web::load::located!(PropertyRow => property);

crate::web::load::located!(UnitRow => unit);

crate::web::load::located!(ImportFile => import_file);
