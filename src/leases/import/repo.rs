//! The SQL of the lease import: uploaded files, what the lines refer to (units, leases
//! already there, § 11-1 grounds, house rules), and the set-based writes of a confirm.

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::dwellings::model::Status;

// ----- Uploaded files --------------------------------------------------------------------

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
        "INSERT INTO lease_imports (municipality_id, id, filename, content, uploaded_by)
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
           FROM lease_imports WHERE municipality_id = ANY($1) AND id = $2",
    )
    .bind(municipalities)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Marks the import applied; false when it already was (a second confirm).
pub async fn mark_applied(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    by: Uuid,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE lease_imports SET applied_at = now(), applied_by = $3
          WHERE municipality_id = $1 AND id = $2 AND applied_at IS NULL",
    )
    .bind(municipality)
    .bind(id)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

crate::web::load::located!(ImportFile => import_file);

// ----- What the lines refer to -----------------------------------------------------------

/// The municipality's active § 11-1 grounds: (label, id).
pub async fn grounds(conn: &mut PgConnection, m: Uuid) -> sqlx::Result<Vec<(String, Uuid)>> {
    sqlx::query_as(
        "SELECT label, id FROM short_term_grounds
          WHERE municipality_id = $1 AND active ORDER BY sort_order, lower(label)",
    )
    .bind(m)
    .fetch_all(conn)
    .await
}

/// The newest house rules version, if the municipality has any.
pub async fn newest_house_rules(conn: &mut PgConnection, m: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM house_rules_versions WHERE municipality_id = $1
          ORDER BY version_no DESC LIMIT 1",
    )
    .bind(m)
    .fetch_optional(conn)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct UnitRef {
    pub id: Uuid,
    pub property_name: String,
    pub unit_number: String,
    pub status: Status,
    pub version: i32,
}

/// Units whose number (upper case) is among `numbers`.
pub async fn units_numbered(
    conn: &mut PgConnection,
    m: Uuid,
    numbers: &[String],
) -> sqlx::Result<Vec<UnitRef>> {
    sqlx::query_as(
        "SELECT d.id, p.name AS property_name, upper(d.unit_number) AS unit_number, d.status, d.version
           FROM dwellings d
           JOIN properties p ON p.municipality_id = d.municipality_id AND p.id = d.property_id
          WHERE d.municipality_id = $1 AND upper(d.unit_number) = ANY($2)",
    )
    .bind(m)
    .bind(numbers)
    .fetch_all(conn)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct LeaseOnUnit {
    pub dwelling_id: Uuid,
    pub lease_no: i32,
    pub starts_on: NaiveDate,
    /// The last day the lease holds the unit; None: open-ended.
    pub until: Option<NaiveDate>,
    pub ended: bool,
}

/// The signed leases (not drafts, which hold no unit) on these units.
pub async fn leases_on(
    conn: &mut PgConnection,
    m: Uuid,
    units: &[Uuid],
) -> sqlx::Result<Vec<LeaseOnUnit>> {
    sqlx::query_as(
        "SELECT dwelling_id, lease_no, starts_on, COALESCE(ended_on, notice_effective_on, ends_on) AS until,
                status = 'ended' AS ended
           FROM leases
          WHERE municipality_id = $1 AND dwelling_id = ANY($2) AND status <> 'draft'",
    )
    .bind(m)
    .bind(units)
    .fetch_all(conn)
    .await
}

// ----- Writes ----------------------------------------------------------------------------

/// Tenants to create or reuse, one per line, in columns.
#[derive(Default)]
pub struct NewPeople {
    pub id: Vec<Uuid>,
    pub national_id: Vec<Option<String>>,
    pub birth_date: Vec<Option<NaiveDate>>,
    pub name: Vec<String>,
    pub phone: Vec<String>,
    pub email: Vec<String>,
}

/// Creates the people not registered yet (by national id; a person without one is always
/// new); returns each line's person id and how many were created.
pub async fn upsert_people(
    conn: &mut PgConnection,
    m: Uuid,
    p: &NewPeople,
) -> sqlx::Result<(Vec<Uuid>, u64)> {
    let created = sqlx::query(
        "INSERT INTO people (municipality_id, id, national_id, birth_date, name, phone, email)
         SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::date[], $5::text[], $6::text[], $7::text[])
         ON CONFLICT (municipality_id, national_id) WHERE national_id IS NOT NULL DO NOTHING",
    )
    .bind(m)
    .bind(&p.id)
    .bind(&p.national_id)
    .bind(&p.birth_date)
    .bind(&p.name)
    .bind(&p.phone)
    .bind(&p.email)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let numbers: Vec<&str> = p.national_id.iter().flatten().map(String::as_str).collect();
    let known: std::collections::HashMap<String, Uuid> = sqlx::query_as::<_, (String, Uuid)>(
        "SELECT national_id, id FROM people WHERE municipality_id = $1 AND national_id = ANY($2)",
    )
    .bind(m)
    .bind(&numbers)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let ids =
        p.id.iter()
            .zip(&p.national_id)
            .map(|(id, n)| {
                n.as_ref()
                    .and_then(|n| known.get(n).copied())
                    .unwrap_or(*id)
            })
            .collect();
    Ok((ids, created))
}

/// Leases to insert, one per line, in columns (see `leases` for the meaning of each).
#[derive(Default)]
pub struct NewLeases {
    pub id: Vec<Uuid>,
    pub rent_change_id: Vec<Uuid>,
    pub dwelling_id: Vec<Uuid>,
    pub tenant_id: Vec<Uuid>,
    pub status: Vec<String>,
    pub starts_on: Vec<NaiveDate>,
    pub ends_on: Vec<Option<NaiveDate>>,
    pub monthly_rent: Vec<i64>,
    pub deposit_kind: Vec<String>,
    pub deposit_amount: Vec<i64>,
    pub deposit_bank: Vec<String>,
    pub deposit_account: Vec<String>,
    pub guarantor: Vec<String>,
    pub guarantee_reference: Vec<String>,
    pub ground_id: Vec<Option<Uuid>>,
    pub ground_notice_on: Vec<Option<NaiveDate>>,
    pub signed_on: Vec<NaiveDate>,
    pub notice_given_on: Vec<Option<NaiveDate>>,
    pub notice_effective_on: Vec<Option<NaiveDate>>,
    pub ended_on: Vec<Option<NaiveDate>>,
    pub end_reason: Vec<Option<String>>,
    /// § 9-2: the written demand to move (demo data; an import has none).
    pub demand_to_move_on: Vec<Option<NaiveDate>>,
}

/// Inserts the leases (imported = true) with numbers from the municipality's counter and
/// each one's initial rent; a lease whose unit and start date were imported meanwhile is
/// left out. Returns the ids of the leases inserted.
pub async fn insert_leases(
    conn: &mut PgConnection,
    m: Uuid,
    l: &NewLeases,
    house_rules: Option<Uuid>,
    by: Option<Uuid>,
) -> sqlx::Result<Vec<Uuid>> {
    let n = l.id.len() as i32;
    if n == 0 {
        return Ok(Vec::new());
    }
    let first: i32 = sqlx::query_scalar(
        "INSERT INTO lease_number_counters (municipality_id, next_no) VALUES ($1, 1 + $2)
         ON CONFLICT (municipality_id) DO UPDATE SET next_no = lease_number_counters.next_no + $2
         RETURNING next_no - $2",
    )
    .bind(m)
    .bind(n)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query_scalar(
        "WITH x AS (
           SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::lease_status[], $7::date[],
                  $8::date[], $9::int8[], $10::text[], $11::int8[], $12::text[], $13::text[], $14::text[],
                  $15::text[], $16::uuid[], $17::date[], $18::date[], $19::date[], $20::date[], $21::date[],
                  $22::text[], $26::date[]) WITH ORDINALITY
             AS x(id, rc_id, dwelling_id, tenant_id, status, starts_on, ends_on, rent, dep_kind, dep_amount,
                  bank, account, guarantor, reference, ground_id, ground_notice_on, signed_on,
                  notice_given_on, notice_effective_on, ended_on, end_reason, demand_on, n)
         ), ins AS (
           INSERT INTO leases (municipality_id, id, lease_no, dwelling_id, tenant_id, status, starts_on, ends_on,
                  monthly_rent, deposit_kind, deposit_amount, deposit_bank, deposit_account, guarantor,
                  guarantee_reference, house_rules_id, eviction_clause, short_term_ground_id,
                  short_term_notice_on, signed_on, notice_by, notice_given_on, notice_effective_on, ended_on,
                  end_reason, demand_to_move_on, imported, created_by, updated_by)
           SELECT $1, id, $23 + n::int4 - 1, dwelling_id, tenant_id, status, starts_on, ends_on, rent, dep_kind,
                  dep_amount, bank, account, guarantor, reference, $24, true, ground_id, ground_notice_on,
                  signed_on, CASE WHEN notice_given_on IS NOT NULL THEN 'tenant' END, notice_given_on,
                  notice_effective_on, ended_on, end_reason, demand_on, true, $25, $25
             FROM x ORDER BY n
           ON CONFLICT (municipality_id, dwelling_id, starts_on) WHERE imported DO NOTHING
           RETURNING id, starts_on, signed_on, monthly_rent
         ), rent AS (
           INSERT INTO lease_rent_changes (municipality_id, id, lease_id, effective_on, set_on, monthly_rent,
                  reason, note, created_by)
           SELECT $1, x.rc_id, ins.id, ins.starts_on, LEAST(ins.signed_on, ins.starts_on), ins.monthly_rent,
                  'initial', 'Importert', $25
             FROM ins JOIN x ON x.id = ins.id
         )
         SELECT id FROM ins",
    )
    .bind(m)
    .bind(&l.id)
    .bind(&l.rent_change_id)
    .bind(&l.dwelling_id)
    .bind(&l.tenant_id)
    .bind(&l.status)
    .bind(&l.starts_on)
    .bind(&l.ends_on)
    .bind(&l.monthly_rent)
    .bind(&l.deposit_kind)
    .bind(&l.deposit_amount)
    .bind(&l.deposit_bank)
    .bind(&l.deposit_account)
    .bind(&l.guarantor)
    .bind(&l.guarantee_reference)
    .bind(&l.ground_id)
    .bind(&l.ground_notice_on)
    .bind(&l.signed_on)
    .bind(&l.notice_given_on)
    .bind(&l.notice_effective_on)
    .bind(&l.ended_on)
    .bind(&l.end_reason)
    .bind(first)
    .bind(house_rules)
    .bind(by)
    .bind(&l.demand_to_move_on)
    .fetch_all(conn)
    .await
}
