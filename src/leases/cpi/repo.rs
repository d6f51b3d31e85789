//! All SQL of the CPI adjustment (husleieloven § 4-2): runs, their proposals computed in
//! one set-based statement, approval as one set-based insert into the rent history, the
//! notices still to be written, and a lease's rent history.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::model::StartInput;

/// The new rent in SQL, exactly as `rules::cpi_adjusted`: øre × index now / index then in
/// integer arithmetic (tenths of a point; all operands non-negative, so `/` is the floor),
/// then down to whole kroner.
fn new_rent_expr(old_ore: &str, base_tenths: &str, now_tenths: &str) -> String {
    format!("({old_ore} * {now_tenths} / {base_tenths} / 100 * 100)")
}

/// The leases due an adjustment from `$2` (the effective date) in municipality `$1`: in
/// force then (signed, active or under notice that ends later), whose rent in force — the
/// latest change, effective before `$2`, with none after — was set at least twelve months
/// before `$2` (`rules::cpi_due`). The base index is the KPI of the change's index month,
/// or of the month it was set; `base_value` is NULL when that month has no value.
const DUE: &str = "
SELECT l.municipality_id, l.id AS lease_id, l.lease_no, c.monthly_rent AS old_rent,
       coalesce(c.index_month, date_trunc('month', c.set_on)::date) AS base_month,
       b.value AS base_value
  FROM leases l
  JOIN (SELECT DISTINCT ON (r.lease_id) r.municipality_id, r.lease_id, r.monthly_rent, r.set_on,
               r.index_month, r.effective_on
          FROM lease_rent_changes r
         WHERE r.municipality_id = $1
         ORDER BY r.lease_id, r.effective_on DESC) c
    ON c.municipality_id = l.municipality_id AND c.lease_id = l.id
  LEFT JOIN kpi_values b
         ON b.municipality_id = l.municipality_id
        AND b.month = coalesce(c.index_month, date_trunc('month', c.set_on)::date)
 WHERE l.municipality_id = $1
   AND l.status IN ('signed', 'active', 'notice_given')
   AND (upper_inf(l.occupancy) OR upper(l.occupancy) > $2)
   AND c.effective_on < $2
   -- § 4-2: twelve months since the rent last took effect.
   AND (c.effective_on + interval '12 months')::date <= $2";

// ---------------------------------------------------------------------------------------
// Runs

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct RunRow {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub index_month: NaiveDate,
    pub index_tenths: i64,
    pub notice_on: NaiveDate,
    pub effective_on: NaiveDate,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub created_by_name: Option<String>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by_name: Option<String>,
    pub version: i32,
}

const RUN_COLUMNS: &str =
    "r.municipality_id, r.id, r.index_month, (r.index_value * 10)::int8 AS index_tenths,
       r.notice_on, r.effective_on, r.status, r.created_at, cu.display_name AS created_by_name,
       r.decided_by, r.decided_at, du.display_name AS decided_by_name, r.version
  FROM cpi_runs r
  LEFT JOIN users cu ON cu.id = r.created_by
  LEFT JOIN users du ON du.id = r.decided_by";

pub async fn run(
    conn: &mut PgConnection,
    visible: &[Uuid],
    id: Uuid,
) -> sqlx::Result<Option<RunRow>> {
    sqlx::query_as(&format!(
        "SELECT {RUN_COLUMNS} WHERE r.municipality_id = ANY($1) AND r.id = $2"
    ))
    .bind(visible)
    .bind(id)
    .fetch_optional(conn)
    .await
}

crate::web::load::located!(RunRow => run);

/// The newest runs of `visible` (about one a year each: a short list).
pub async fn runs(
    conn: &mut PgConnection,
    visible: &[Uuid],
    limit: i64,
) -> sqlx::Result<Vec<RunRow>> {
    sqlx::query_as(&format!(
        "SELECT {RUN_COLUMNS} WHERE r.municipality_id = ANY($1)
          ORDER BY r.created_at DESC, r.id DESC LIMIT $2"
    ))
    .bind(visible)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Records a run; the database allows one open run per municipality (`cpi_runs_open_key`).
pub async fn insert_run(
    conn: &mut PgConnection,
    m: Uuid,
    id: Uuid,
    x: &StartInput,
    index_tenths: i64,
    by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO cpi_runs (municipality_id, id, index_month, index_value, notice_on, effective_on, created_by)
         VALUES ($1, $2, $3, $4::numeric / 10, $5, $6, $7)",
    )
    .bind(m)
    .bind(id)
    .bind(x.index_month)
    .bind(index_tenths)
    .bind(x.notice_on)
    .bind(x.effective_on)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// The proposals of a run, and the leases due without a base index, in one statement
/// over every lease due (one pass: hash joins over the municipality's leases, their latest
/// rent changes and the KPI values; inserted in key order, which keeps the index inserts
/// and the foreign key checks local). Returns how many leases it proposes to adjust.
pub async fn propose(
    conn: &mut PgConnection,
    m: Uuid,
    run: Uuid,
    effective_on: NaiveDate,
    index_tenths: i64,
) -> sqlx::Result<u64> {
    let before = batch_settings(conn, BATCH).await?;
    let new_rent = new_rent_expr("d.old_rent", "(d.base_value * 10)::int8", "$4::int8");
    let proposed = sqlx::query(&format!(
        "WITH d AS MATERIALIZED ({DUE}),
         missing AS (
           INSERT INTO cpi_missing_index (municipality_id, run_id, lease_id, base_month)
           SELECT d.municipality_id, $3, d.lease_id, d.base_month FROM d WHERE d.base_value IS NULL)
         INSERT INTO cpi_proposals (municipality_id, run_id, lease_id, old_rent, base_month, base_value, new_rent)
         SELECT d.municipality_id, $3, d.lease_id, d.old_rent, d.base_month, d.base_value, n.new_rent
           FROM d
          CROSS JOIN LATERAL (SELECT {new_rent} AS new_rent) n
          WHERE d.base_value IS NOT NULL AND n.new_rent <> d.old_rent
          ORDER BY d.lease_id"
    ))
    .bind(m)
    .bind(effective_on)
    .bind(run)
    .bind(index_tenths)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    batch_settings(conn, [&before[0], &before[1], &before[2]]).await?;
    Ok(proposed)
}

/// Planner settings for the run's one big statement: jit, enable_nestloop, work_mem. Under
/// row level security the planner takes the municipality's leases for a handful of rows
/// and probes every one of them through nested loops; hash joins over the whole set cost
/// less. The sort by lease then fits in memory, and compiling the statement (jit) costs
/// more than it saves.
const BATCH: [&str; 3] = ["off", "off", "64MB"];

/// Sets the three settings for this transaction and returns what they were, so the rest of
/// the transaction (the scale seed goes on in it) is planned as before.
async fn batch_settings(conn: &mut PgConnection, to: [&str; 3]) -> sqlx::Result<[String; 3]> {
    let (jit, nestloop, work_mem): (String, String, String) = sqlx::query_as(
        "SELECT current_setting('jit'), current_setting('enable_nestloop'), current_setting('work_mem')",
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "SELECT set_config('jit', $1, true), set_config('enable_nestloop', $2, true),
                set_config('work_mem', $3, true)",
    )
    .bind(to[0])
    .bind(to[1])
    .bind(to[2])
    .execute(conn)
    .await?;
    Ok([jit, nestloop, work_mem])
}

/// `rules::cpi_adjusted` computed by the SQL the run uses, for each (øre, base, now): the
/// test that the two agree.
pub async fn cpi_adjusted_in_sql(
    conn: &mut PgConnection,
    cases: &[(i64, i64, i64)],
) -> sqlx::Result<Vec<i64>> {
    let rents: Vec<i64> = cases.iter().map(|c| c.0).collect();
    let bases: Vec<i64> = cases.iter().map(|c| c.1).collect();
    let nows: Vec<i64> = cases.iter().map(|c| c.2).collect();
    let expr = new_rent_expr("t.rent", "t.base", "t.now");
    sqlx::query_scalar(&format!(
        "SELECT {expr} FROM unnest($1::int8[], $2::int8[], $3::int8[]) WITH ORDINALITY AS t (rent, base, now, i)
          ORDER BY t.i"
    ))
    .bind(&rents)
    .bind(&bases)
    .bind(&nows)
    .fetch_all(conn)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct MissingRow {
    pub lease_id: Uuid,
    pub lease_no: i32,
    pub base_month: NaiveDate,
    pub tenant_name: String,
}

/// The leases the run found due whose base month has no KPI value ("mangler indeks"):
/// not proposed. At most `limit`, by lease number, and how many there are in all.
pub async fn missing_index(
    conn: &mut PgConnection,
    m: Uuid,
    run: Uuid,
    limit: i64,
) -> sqlx::Result<(Vec<MissingRow>, i64)> {
    let rows = sqlx::query_as(
        "SELECT x.lease_id, l.lease_no, x.base_month, p.name AS tenant_name
           FROM cpi_missing_index x
           JOIN leases l ON l.municipality_id = x.municipality_id AND l.id = x.lease_id
           JOIN people p ON p.municipality_id = l.municipality_id AND p.id = l.tenant_id
          WHERE x.municipality_id = $1 AND x.run_id = $2
          ORDER BY l.lease_no LIMIT $3",
    )
    .bind(m)
    .bind(run)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let total = sqlx::query_scalar(
        "SELECT count(*) FROM cpi_missing_index WHERE municipality_id = $1 AND run_id = $2",
    )
    .bind(m)
    .bind(run)
    .fetch_one(conn)
    .await?;
    Ok((rows, total))
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ProposalRow {
    pub lease_id: Uuid,
    pub lease_no: i32,
    pub tenant_name: String,
    pub unit_address: String,
    pub old_rent: i64,
    pub base_month: NaiveDate,
    pub base_tenths: i64,
    pub new_rent: i64,
    pub included: bool,
    pub rent_change_id: Option<Uuid>,
    pub letter_id: Option<Uuid>,
}

/// A page of a run's proposals by lease number, after `after` (keyset).
pub async fn proposals(
    conn: &mut PgConnection,
    m: Uuid,
    run: Uuid,
    after: i32,
    limit: i64,
) -> sqlx::Result<Vec<ProposalRow>> {
    sqlx::query_as(
        "SELECT p.lease_id, l.lease_no, pe.name AS tenant_name,
                btrim(pr.street_address || ' ' || d.unit_number) AS unit_address,
                p.old_rent, p.base_month, (p.base_value * 10)::int8 AS base_tenths, p.new_rent,
                p.included, p.rent_change_id, p.letter_id
           FROM leases l
           JOIN cpi_proposals p ON p.municipality_id = l.municipality_id AND p.lease_id = l.id
           JOIN people pe ON pe.municipality_id = l.municipality_id AND pe.id = l.tenant_id
           JOIN dwellings d ON d.municipality_id = l.municipality_id AND d.id = l.dwelling_id
           JOIN properties pr ON pr.municipality_id = d.municipality_id AND pr.id = d.property_id
          WHERE l.municipality_id = $1 AND p.run_id = $2 AND l.lease_no > $3
          ORDER BY l.lease_no LIMIT $4",
    )
    .bind(m)
    .bind(run)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug, Default)]
pub struct Totals {
    pub proposed: i64,
    pub included: i64,
    pub old_total: i64,
    pub new_total: i64,
    pub applied: i64,
    pub letters: i64,
}

/// Counts and sums over a run (the sums over the included proposals).
pub async fn totals(conn: &mut PgConnection, m: Uuid, run: Uuid) -> sqlx::Result<Totals> {
    sqlx::query_as(
        "SELECT count(*) AS proposed,
                count(*) FILTER (WHERE included) AS included,
                coalesce(sum(old_rent) FILTER (WHERE included), 0)::int8 AS old_total,
                coalesce(sum(new_rent) FILTER (WHERE included), 0)::int8 AS new_total,
                count(rent_change_id) AS applied,
                count(letter_id) AS letters
           FROM cpi_proposals WHERE municipality_id = $1 AND run_id = $2",
    )
    .bind(m)
    .bind(run)
    .fetch_one(conn)
    .await
}

/// Leaves a lease out of a run or takes it back in; false when it has no proposal.
pub async fn set_included(
    conn: &mut PgConnection,
    m: Uuid,
    run: Uuid,
    lease: Uuid,
    included: bool,
) -> sqlx::Result<bool> {
    let n = sqlx::query(
        "UPDATE cpi_proposals SET included = $4
          WHERE municipality_id = $1 AND run_id = $2 AND lease_id = $3",
    )
    .bind(m)
    .bind(run)
    .bind(lease)
    .bind(included)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Moves an open run from `version` to the next, optionally to a decided status (by
/// `by`); false when it is no longer open at that version.
pub async fn advance_run(
    conn: &mut PgConnection,
    m: Uuid,
    run: Uuid,
    version: i32,
    decided: Option<(&str, Uuid)>,
) -> sqlx::Result<bool> {
    let n = sqlx::query(
        "UPDATE cpi_runs
            SET version = version + 1,
                status = coalesce($4, status),
                decided_by = coalesce($5, decided_by),
                decided_at = CASE WHEN $4 IS NULL THEN decided_at ELSE now() END
          WHERE municipality_id = $1 AND id = $2 AND version = $3 AND status = 'proposed'",
    )
    .bind(m)
    .bind(run)
    .bind(version)
    .bind(decided.map(|d| d.0))
    .bind(decided.map(|d| d.1))
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Approval: the included proposals become rent changes, in one statement, effective from
/// the run's date, set on its notice date and tied to its index month; each proposal gets
/// its change's id. A lease whose rent changed since the run was proposed (a change on or
/// after the effective date, or another rent in force) or that is no longer in force is
/// left out. Proposals that have a change already are never applied twice.
pub async fn apply(conn: &mut PgConnection, r: &RunRow, by: Uuid) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "WITH applied AS (
           INSERT INTO lease_rent_changes (municipality_id, id, lease_id, effective_on, set_on, monthly_rent,
                                           previous_rent, reason, index_month, cpi_run_id, created_by)
           SELECT p.municipality_id, gen_random_uuid(), p.lease_id, $3, $4, p.new_rent, p.old_rent, 'cpi', $5, p.run_id, $6
             FROM cpi_proposals p
             JOIN leases l ON l.municipality_id = p.municipality_id AND l.id = p.lease_id
            WHERE p.municipality_id = $1 AND p.run_id = $2 AND p.included AND p.rent_change_id IS NULL
              AND l.status IN ('signed', 'active', 'notice_given')
              AND (upper_inf(l.occupancy) OR upper(l.occupancy) > $3)
              AND NOT EXISTS (SELECT 1 FROM lease_rent_changes x
                               WHERE x.municipality_id = p.municipality_id AND x.lease_id = p.lease_id
                                 AND x.effective_on >= $3)
              AND p.old_rent = (SELECT x.monthly_rent FROM lease_rent_changes x
                                 WHERE x.municipality_id = p.municipality_id AND x.lease_id = p.lease_id
                                 ORDER BY x.effective_on DESC LIMIT 1)
           RETURNING municipality_id, id, lease_id)
         UPDATE cpi_proposals p SET rent_change_id = a.id
           FROM applied a
          WHERE p.municipality_id = a.municipality_id AND p.run_id = $2 AND p.lease_id = a.lease_id",
    )
    .bind(r.municipality_id)
    .bind(r.id)
    .bind(r.effective_on)
    .bind(r.notice_on)
    .bind(r.index_month)
    .bind(by)
    .execute(conn)
    .await?
    .rows_affected())
}

// ---------------------------------------------------------------------------------------
// Notices

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct NoticeRow {
    pub lease_id: Uuid,
    pub lease_no: i32,
    pub application_id: Option<Uuid>,
    pub tenant_name: String,
    pub tenant_street: String,
    pub tenant_postcode: String,
    pub tenant_place: String,
    pub unit_street: String,
    pub unit_number: String,
    pub unit_postcode: String,
    pub unit_place: String,
    pub old_rent: i64,
    pub new_rent: i64,
    pub base_month: NaiveDate,
    pub base_tenths: i64,
}

/// Up to `limit` applied proposals of a run without their notice, locked for this
/// transaction (a concurrent writer skips them, so no lease gets two notices).
pub async fn notices_due(
    conn: &mut PgConnection,
    m: Uuid,
    run: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<NoticeRow>> {
    sqlx::query_as(
        "SELECT p.lease_id, l.lease_no, l.application_id, pe.name AS tenant_name,
                pe.street_address AS tenant_street, pe.postcode AS tenant_postcode,
                pe.postal_place AS tenant_place, pr.street_address AS unit_street, d.unit_number,
                pr.postcode AS unit_postcode, pr.postal_place AS unit_place,
                p.old_rent, p.new_rent, p.base_month, (p.base_value * 10)::int8 AS base_tenths
           FROM cpi_proposals p
           JOIN leases l ON l.municipality_id = p.municipality_id AND l.id = p.lease_id
           JOIN people pe ON pe.municipality_id = l.municipality_id AND pe.id = l.tenant_id
           JOIN dwellings d ON d.municipality_id = l.municipality_id AND d.id = l.dwelling_id
           JOIN properties pr ON pr.municipality_id = d.municipality_id AND pr.id = d.property_id
          WHERE p.municipality_id = $1 AND p.run_id = $2
            AND p.rent_change_id IS NOT NULL AND p.letter_id IS NULL
          ORDER BY p.lease_id LIMIT $3
            FOR UPDATE OF p SKIP LOCKED",
    )
    .bind(m)
    .bind(run)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn set_letter(
    conn: &mut PgConnection,
    m: Uuid,
    run: Uuid,
    lease: Uuid,
    letter: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE cpi_proposals SET letter_id = $4
          WHERE municipality_id = $1 AND run_id = $2 AND lease_id = $3 AND letter_id IS NULL",
    )
    .bind(m)
    .bind(run)
    .bind(lease)
    .bind(letter)
    .execute(conn)
    .await?;
    Ok(())
}

/// The approved runs of the visible municipalities with notices still to write.
pub async fn runs_with_notices_due(conn: &mut PgConnection) -> sqlx::Result<Vec<(Uuid, Uuid)>> {
    sqlx::query_as(
        "SELECT DISTINCT municipality_id, run_id FROM cpi_proposals
          WHERE rent_change_id IS NOT NULL AND letter_id IS NULL",
    )
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Rent history

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct RentChangeRow {
    pub id: Uuid,
    pub effective_on: NaiveDate,
    pub set_on: NaiveDate,
    pub monthly_rent: i64,
    pub previous_rent: Option<i64>,
    pub reason: String,
    pub index_month: Option<NaiveDate>,
    pub cpi_run_id: Option<Uuid>,
    /// The notice: on the change itself, or (CPI) on the run's proposal.
    pub letter_id: Option<Uuid>,
    pub note: String,
    pub created_by_name: Option<String>,
}

impl RentChangeRow {
    pub fn reason_label(&self) -> &'static str {
        super::model::reason_label(&self.reason)
    }
    pub fn effective(&self) -> String {
        crate::web::format::date(self.effective_on)
    }
    pub fn set(&self) -> String {
        crate::web::format::date(self.set_on)
    }
    pub fn rent(&self) -> String {
        crate::web::format::kroner(self.monthly_rent)
    }
    pub fn previous(&self) -> String {
        self.previous_rent
            .map(crate::web::format::kroner)
            .unwrap_or_default()
    }
    pub fn change(&self) -> String {
        self.previous_rent
            .map(|p| super::model::change_text(p, self.monthly_rent))
            .unwrap_or_default()
    }
    pub fn index_month_text(&self) -> String {
        self.index_month
            .map(crate::leases::settings::model::month_text)
            .unwrap_or_default()
    }
}

/// A lease's rent history, newest first.
pub async fn rent_history(
    conn: &mut PgConnection,
    m: Uuid,
    lease: Uuid,
) -> sqlx::Result<Vec<RentChangeRow>> {
    sqlx::query_as(
        "SELECT c.id, c.effective_on, c.set_on, c.monthly_rent, c.previous_rent, c.reason, c.index_month,
                c.cpi_run_id, coalesce(c.notice_letter_id, p.letter_id) AS letter_id, c.note,
                u.display_name AS created_by_name
           FROM lease_rent_changes c
           LEFT JOIN cpi_proposals p ON p.municipality_id = c.municipality_id AND p.run_id = c.cpi_run_id
                                    AND p.lease_id = c.lease_id
           LEFT JOIN users u ON u.id = c.created_by
          WHERE c.municipality_id = $1 AND c.lease_id = $2
          ORDER BY c.effective_on DESC",
    )
    .bind(m)
    .bind(lease)
    .fetch_all(conn)
    .await
}

/// The monthly rent in force on `day`: the latest change effective on or before it.
pub async fn rent_in_force(
    conn: &mut PgConnection,
    m: Uuid,
    lease: Uuid,
    day: NaiveDate,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT monthly_rent FROM lease_rent_changes
          WHERE municipality_id = $1 AND lease_id = $2 AND effective_on <= $3
          ORDER BY effective_on DESC LIMIT 1",
    )
    .bind(m)
    .bind(lease)
    .bind(day)
    .fetch_optional(conn)
    .await
}
