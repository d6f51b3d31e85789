//! All SQL of the arrears follow-up: the municipality's settings, a lease's arrears case and
//! its steps, the payment plan's instalments, the ledger facts the ladder needs, and the
//! arrears overview (one set-based statement over every lease in arrears) with its totals.

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::rent::ladder::{Instalment, Rules};

/// The municipality's arrears routine: the reminder fee, the NAV office notices go to, and
/// its own periods of the ladder (the law's periods are fixed in `ladder::Rules`).
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Settings {
    pub reminder_fee: Option<i64>,
    pub nav_office: String,
    pub reminder_after_due_days: i16,
    pub reminder_deadline_days: i16,
    pub require_nav_notice: bool,
    pub instalment_grace_days: i16,
    /// 0 when nothing is saved yet (the defaults are shown).
    pub version: i32,
}

impl Default for Settings {
    fn default() -> Self {
        let r = Rules::default();
        Settings {
            reminder_fee: None,
            nav_office: String::new(),
            reminder_after_due_days: r.reminder_after_due_days as i16,
            reminder_deadline_days: r.reminder_deadline_days as i16,
            require_nav_notice: r.require_nav_notice,
            instalment_grace_days: r.instalment_grace_days as i16,
            version: 0,
        }
    }
}

impl Settings {
    /// The ladder's rules with the municipality's own periods.
    pub fn rules(&self) -> Rules {
        Rules {
            reminder_after_due_days: self.reminder_after_due_days.max(1) as u64,
            reminder_deadline_days: self.reminder_deadline_days.max(14) as u64,
            require_nav_notice: self.require_nav_notice,
            instalment_grace_days: self.instalment_grace_days.max(0) as u64,
            ..Rules::default()
        }
    }
}

const SETTINGS_COLUMNS: &str = "reminder_fee, nav_office, reminder_after_due_days, \
     reminder_deadline_days, require_nav_notice, instalment_grace_days, version";

/// The municipality's arrears settings (the defaults, version 0, when none are saved).
pub async fn settings(conn: &mut PgConnection, m: Uuid) -> sqlx::Result<Settings> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SETTINGS_COLUMNS} FROM rent_arrears_settings WHERE municipality_id = $1"
    ))
    .bind(m)
    .fetch_optional(conn)
    .await?
    .unwrap_or_default())
}

/// The ladder's rules of each municipality in `ms` (the defaults where none are saved).
pub async fn rules_of(
    conn: &mut PgConnection,
    ms: &[Uuid],
) -> sqlx::Result<std::collections::HashMap<Uuid, Rules>> {
    let rows: Vec<(Uuid, Settings)> = sqlx::query_as::<_, SettingsOf>(&format!(
        "SELECT municipality_id, {SETTINGS_COLUMNS} FROM rent_arrears_settings
          WHERE municipality_id = ANY($1)"
    ))
    .bind(ms)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.municipality_id, r.settings))
    .collect();
    Ok(rows.into_iter().map(|(m, s)| (m, s.rules())).collect())
}

#[derive(sqlx::FromRow)]
struct SettingsOf {
    municipality_id: Uuid,
    #[sqlx(flatten)]
    settings: Settings,
}

/// Saves the settings when they are still at `version` (0: none saved yet); false when a
/// colleague saved in between.
pub async fn save_settings(
    conn: &mut PgConnection,
    m: Uuid,
    s: &Settings,
    version: i32,
) -> sqlx::Result<bool> {
    // Version 0 is the form of a municipality that has saved nothing yet: it inserts. A
    // row saved meanwhile (any version ≥ 1) makes it stale, as does any other version.
    let saved: Option<i32> = sqlx::query_scalar(
        "INSERT INTO rent_arrears_settings AS s (municipality_id, reminder_fee, nav_office,
                reminder_after_due_days, reminder_deadline_days, require_nav_notice,
                instalment_grace_days, version)
         SELECT $1, $2, $3, $4, $5, $6, $7, 1 WHERE $8 >= 0
         ON CONFLICT (municipality_id) DO UPDATE
            SET reminder_fee = EXCLUDED.reminder_fee, nav_office = EXCLUDED.nav_office,
                reminder_after_due_days = EXCLUDED.reminder_after_due_days,
                reminder_deadline_days = EXCLUDED.reminder_deadline_days,
                require_nav_notice = EXCLUDED.require_nav_notice,
                instalment_grace_days = EXCLUDED.instalment_grace_days,
                version = s.version + 1
          WHERE s.version = $8
         RETURNING version",
    )
    .bind(m)
    .bind(s.reminder_fee)
    .bind(&s.nav_office)
    .bind(s.reminder_after_due_days)
    .bind(s.reminder_deadline_days)
    .bind(s.require_nav_notice)
    .bind(s.instalment_grace_days)
    .bind(version)
    .fetch_optional(conn)
    .await?;
    Ok(saved.is_some())
}

// ---------------------------------------------------------------------------------------
// The ledger facts of one lease

/// What the ladder needs from a lease's ledger on `today`.
#[derive(sqlx::FromRow, Clone, Copy, Debug)]
pub struct LedgerState {
    /// The sum of the entries due by today (positive: the tenant owes).
    pub outstanding: i64,
    /// The due date of the oldest charge due by today not paid in full.
    pub oldest_unpaid_due: Option<NaiveDate>,
    /// The last day, by today, at whose end the lease owed nothing: a case opened on or
    /// before it was closed by payment in full.
    pub last_clear: Option<NaiveDate>,
}

pub async fn ledger_state(
    conn: &mut PgConnection,
    m: Uuid,
    lease: Uuid,
    today: NaiveDate,
) -> sqlx::Result<LedgerState> {
    sqlx::query_as(
        "WITH days AS (
           SELECT e.applies_on, sum(e.amount) AS amount FROM rent_entries e
            WHERE e.municipality_id = $1 AND e.lease_id = $2 AND e.applies_on <= $3
            GROUP BY e.applies_on),
         run AS (SELECT applies_on, sum(amount) OVER (ORDER BY applies_on) AS balance FROM days)
         SELECT coalesce((SELECT sum(amount) FROM days), 0)::int8 AS outstanding,
                (SELECT min(o.applies_on) FROM rent_open_items o
                  WHERE o.municipality_id = $1 AND o.lease_id = $2 AND o.open > 0 AND o.applies_on <= $3)
                  AS oldest_unpaid_due,
                (SELECT max(applies_on) FROM run WHERE balance <= 0) AS last_clear",
    )
    .bind(m)
    .bind(lease)
    .bind(today)
    .fetch_one(conn)
    .await
}

/// The payments of a lease dated from `from` to `today` (date, øre paid > 0).
pub async fn payments_since(
    conn: &mut PgConnection,
    m: Uuid,
    lease: Uuid,
    from: NaiveDate,
    today: NaiveDate,
) -> sqlx::Result<Vec<(NaiveDate, i64)>> {
    sqlx::query_as(
        "SELECT applies_on, (-amount)::int8 FROM rent_entries
          WHERE municipality_id = $1 AND lease_id = $2 AND kind = 'payment'
            AND applies_on BETWEEN $3 AND $4
          ORDER BY applies_on, id",
    )
    .bind(m)
    .bind(lease)
    .bind(from)
    .bind(today)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Cases and steps

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct CaseRow {
    pub id: Uuid,
    pub lease_id: Uuid,
    pub opened_on: NaiveDate,
    pub nav_refused_on: Option<NaiveDate>,
    pub responsible_user: Uuid,
    pub version: i32,
}

/// The lease's open case, locked for the transaction when `lock`.
pub async fn open_case(
    conn: &mut PgConnection,
    m: Uuid,
    lease: Uuid,
    lock: bool,
) -> sqlx::Result<Option<CaseRow>> {
    let sql = format!(
        "SELECT id, lease_id, opened_on, nav_refused_on, responsible_user, version
           FROM rent_arrears_cases WHERE municipality_id = $1 AND lease_id = $2 AND closed_on IS NULL{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    sqlx::query_as(&sql)
        .bind(m)
        .bind(lease)
        .fetch_optional(conn)
        .await
}

pub async fn insert_case(
    conn: &mut PgConnection,
    m: Uuid,
    id: Uuid,
    lease: Uuid,
    opened_on: NaiveDate,
    user: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO rent_arrears_cases (municipality_id, id, lease_id, opened_on, responsible_user)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(m)
    .bind(id)
    .bind(lease)
    .bind(opened_on)
    .bind(user)
    .execute(conn)
    .await?;
    Ok(())
}

/// Closes a case ("paid", "carried_out" or "avoided").
pub async fn close_case(
    conn: &mut PgConnection,
    m: Uuid,
    case: Uuid,
    on: NaiveDate,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE rent_arrears_cases SET closed_on = greatest($3, opened_on), closed_reason = $4,
                version = version + 1
          WHERE municipality_id = $1 AND id = $2 AND closed_on IS NULL",
    )
    .bind(m)
    .bind(case)
    .bind(on)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Advances the case's version when it is still at `version`, setting its caseworker (who
/// took a step) and the day the tenant refused the notice to NAV when given. False when
/// the case changed since (a stale form) or was closed.
pub async fn update_case(
    conn: &mut PgConnection,
    m: Uuid,
    case: Uuid,
    version: i32,
    caseworker: Option<Uuid>,
    nav_refused_on: Option<NaiveDate>,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE rent_arrears_cases
            SET responsible_user = coalesce($4, responsible_user),
                nav_refused_on = coalesce($5, nav_refused_on), version = version + 1
          WHERE municipality_id = $1 AND id = $2 AND version = $3 AND closed_on IS NULL",
    )
    .bind(m)
    .bind(case)
    .bind(version)
    .bind(caseworker)
    .bind(nav_refused_on)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct StepRow {
    pub id: Uuid,
    pub step: String,
    pub taken_on: NaiveDate,
    pub responsible_name: String,
    pub letter_id: Option<Uuid>,
    pub copy_to_tenant: bool,
    pub eviction_on: Option<NaiveDate>,
    pub fee_entry_id: Option<Uuid>,
    pub note: String,
}

pub async fn steps(conn: &mut PgConnection, m: Uuid, case: Uuid) -> sqlx::Result<Vec<StepRow>> {
    sqlx::query_as(
        "SELECT s.id, s.step, s.taken_on, u.display_name AS responsible_name, s.letter_id,
                s.copy_to_tenant, s.eviction_on, s.fee_entry_id, s.note
           FROM rent_arrears_steps s JOIN users u ON u.id = s.responsible_user
          WHERE s.municipality_id = $1 AND s.case_id = $2
          ORDER BY s.taken_on, s.created_at, s.id",
    )
    .bind(m)
    .bind(case)
    .fetch_all(conn)
    .await
}

pub struct NewStep<'a> {
    pub id: Uuid,
    pub case_id: Uuid,
    pub lease_id: Uuid,
    pub step: &'static str,
    pub taken_on: NaiveDate,
    pub user: Uuid,
    pub letter_id: Option<Uuid>,
    pub copy_to_tenant: bool,
    pub eviction_on: Option<NaiveDate>,
    pub fee_entry_id: Option<Uuid>,
    pub note: &'a str,
}

pub async fn insert_step(conn: &mut PgConnection, m: Uuid, s: &NewStep<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO rent_arrears_steps (municipality_id, id, case_id, lease_id, step, taken_on,
                                         responsible_user, letter_id, copy_to_tenant, eviction_on,
                                         fee_entry_id, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(m)
    .bind(s.id)
    .bind(s.case_id)
    .bind(s.lease_id)
    .bind(s.step)
    .bind(s.taken_on)
    .bind(s.user)
    .bind(s.letter_id)
    .bind(s.copy_to_tenant)
    .bind(s.eviction_on)
    .bind(s.fee_entry_id)
    .bind(s.note)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_instalments(
    conn: &mut PgConnection,
    m: Uuid,
    step: Uuid,
    instalments: &[Instalment],
) -> sqlx::Result<()> {
    let due: Vec<NaiveDate> = instalments.iter().map(|i| i.due).collect();
    let amounts: Vec<i64> = instalments.iter().map(|i| i.amount_ore).collect();
    sqlx::query(
        "INSERT INTO rent_plan_instalments (municipality_id, step_id, no, due_on, amount)
         SELECT $1, $2, t.no::int2, t.due_on, t.amount
           FROM unnest($3::date[], $4::int8[]) WITH ORDINALITY AS t (due_on, amount, no)",
    )
    .bind(m)
    .bind(step)
    .bind(&due)
    .bind(&amounts)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn instalments(
    conn: &mut PgConnection,
    m: Uuid,
    step: Uuid,
) -> sqlx::Result<Vec<Instalment>> {
    let rows: Vec<(NaiveDate, i64)> = sqlx::query_as(
        "SELECT due_on, amount FROM rent_plan_instalments
          WHERE municipality_id = $1 AND step_id = $2 ORDER BY no",
    )
    .bind(m)
    .bind(step)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(due, amount_ore)| Instalment { due, amount_ore })
        .collect())
}

/// The lease's closed cases, newest first: (opened, closed, reason, steps taken).
pub async fn closed_cases(
    conn: &mut PgConnection,
    m: Uuid,
    lease: Uuid,
) -> sqlx::Result<Vec<(NaiveDate, NaiveDate, String, i64)>> {
    sqlx::query_as(
        "SELECT c.opened_on, c.closed_on, c.closed_reason,
                (SELECT count(*) FROM rent_arrears_steps s WHERE s.municipality_id = c.municipality_id AND s.case_id = c.id)
           FROM rent_arrears_cases c
          WHERE c.municipality_id = $1 AND c.lease_id = $2 AND c.closed_on IS NOT NULL
          ORDER BY c.opened_on DESC",
    )
    .bind(m)
    .bind(lease)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// The arrears overview

/// The filters of the overview.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub municipality: Option<Uuid>,
    pub caseworker: Option<Uuid>,
    /// A step key, or "none" for leases in arrears without a case.
    pub step: Option<String>,
}

/// One lease in arrears.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct OverviewRow {
    pub municipality_id: Uuid,
    pub lease_id: Uuid,
    pub lease_no: i32,
    pub tenant_name: String,
    pub monthly_rent: i64,
    pub total: i64,
    pub b0: i64,
    pub b1: i64,
    pub b2: i64,
    pub b3: i64,
    pub oldest_due: NaiveDate,
    /// Øre × days late, summed over the unpaid charges: the sort order.
    pub risk: i64,
    pub caseworker: Option<String>,
    pub nav_refused_on: Option<NaiveDate>,
    /// The current case's steps (key, date), in date order.
    pub steps: Vec<String>,
    pub step_dates: Vec<NaiveDate>,
    /// The current step's key (the furthest on the ladder).
    pub current_step: Option<String>,
    /// The payment plan of the current case, and the payments since it was agreed.
    pub plan_dues: Vec<NaiveDate>,
    pub plan_amounts: Vec<i64>,
    pub paid_dates: Vec<NaiveDate>,
    pub paid_amounts: Vec<i64>,
}

/// The open debits due by `$2` of the leases in `$1` (municipality_id, lease_id, applies_on,
/// open): the overview's one source of what is unpaid, `rent_open_items` (kept by triggers
/// in the ledger's transactions; only what is open).
const OPEN_DEBITS: &str = "
  open_debits AS (
    SELECT o.municipality_id, o.lease_id, o.applies_on, o.open
      FROM rent_open_items o
     WHERE o.municipality_id = ANY($1) AND o.open > 0 AND o.applies_on <= $2)";

/// The planner's estimate of the overview is far above its cost (the per-lease window and
/// arrays), which makes PostgreSQL JIT-compile it: 3 s of compiling for 0.4 s of work at
/// 5 000 leases. Off for the statement's transaction.
async fn no_jit(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("SET LOCAL jit = off").execute(conn).await?;
    Ok(())
}

/// Every lease in arrears (filtered) as one statement: the unpaid charges aged into buckets,
/// the current case (its steps, its plan with the payments since), sorted by risk; keyset
/// after (risk, lease) of the last row shown.
pub async fn overview(
    conn: &mut PgConnection,
    visible: &[Uuid],
    today: NaiveDate,
    f: &Filter,
    after: Option<(i64, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<OverviewRow>> {
    no_jit(conn).await?;
    sqlx::query_as(&format!(
        "WITH {OPEN_DEBITS}, {ARREARS}
         SELECT a.*, l.lease_no, p.name AS tenant_name,
                coalesce((SELECT r.monthly_rent FROM lease_rent_changes r
                           WHERE r.municipality_id = l.municipality_id AND r.lease_id = l.id AND r.effective_on <= $2
                           ORDER BY r.effective_on DESC LIMIT 1), l.monthly_rent) AS monthly_rent,
                coalesce(pl.dues, '{{}}') AS plan_dues, coalesce(pl.amounts, '{{}}') AS plan_amounts,
                coalesce(pay.dates, '{{}}') AS paid_dates, coalesce(pay.amounts, '{{}}') AS paid_amounts
           FROM filtered a
           JOIN leases l ON l.municipality_id = a.municipality_id AND l.id = a.lease_id
           JOIN people p ON p.municipality_id = l.municipality_id AND p.id = l.tenant_id
           LEFT JOIN LATERAL (
             SELECT array_agg(i.due_on ORDER BY i.no) AS dues, array_agg(i.amount ORDER BY i.no) AS amounts
               FROM rent_plan_instalments i WHERE i.municipality_id = a.municipality_id AND i.step_id = a.plan_step) pl
             ON a.plan_step IS NOT NULL
           LEFT JOIN LATERAL (
             SELECT array_agg(x.applies_on ORDER BY x.applies_on) AS dates, array_agg(-x.amount ORDER BY x.applies_on) AS amounts
               FROM rent_entries x
              WHERE x.municipality_id = a.municipality_id AND x.lease_id = a.lease_id AND x.kind = 'payment'
                AND x.applies_on BETWEEN a.plan_on AND $2) pay
             ON a.plan_step IS NOT NULL
          WHERE ($6::int8 IS NULL OR (a.risk, a.lease_id) < ($6, $7))
          ORDER BY a.risk DESC, a.lease_id DESC
          LIMIT $8"
    ))
    .bind(visible)
    .bind(today)
    .bind(f.municipality)
    .bind(f.caseworker)
    .bind(&f.step)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// The leases in arrears with their buckets and current case, filtered by `$3`
/// (municipality), `$4` (caseworker) and `$5` (step key or "none"): a CTE named `filtered`.
const ARREARS: &str = "
  per_lease AS (
    SELECT d.municipality_id, d.lease_id,
           sum(d.open)::int8 AS total,
           coalesce(sum(d.open) FILTER (WHERE $2 - d.applies_on <= 30), 0)::int8 AS b0,
           coalesce(sum(d.open) FILTER (WHERE $2 - d.applies_on BETWEEN 31 AND 60), 0)::int8 AS b1,
           coalesce(sum(d.open) FILTER (WHERE $2 - d.applies_on BETWEEN 61 AND 90), 0)::int8 AS b2,
           coalesce(sum(d.open) FILTER (WHERE $2 - d.applies_on > 90), 0)::int8 AS b3,
           min(d.applies_on) AS oldest_due,
           sum(d.open * ($2 - d.applies_on + 1))::int8 AS risk
      FROM open_debits d WHERE d.open > 0
     GROUP BY d.municipality_id, d.lease_id),
  cases AS (
    SELECT pl.municipality_id, pl.lease_id, c.id AS case_id, c.nav_refused_on, u.id AS caseworker_id,
           u.display_name AS caseworker, st.steps, st.step_dates, st.current_step, st.plan_step, st.plan_on
      FROM per_lease pl
      JOIN rent_arrears_cases c ON c.municipality_id = pl.municipality_id AND c.lease_id = pl.lease_id
                                AND c.closed_on IS NULL
      JOIN users u ON u.id = c.responsible_user
      CROSS JOIN LATERAL (
        SELECT max(r.applies_on) AS last_clear
          FROM (SELECT x.applies_on, sum(sum(x.amount)) OVER (ORDER BY x.applies_on) AS balance
                  FROM rent_entries x
                 WHERE x.municipality_id = c.municipality_id AND x.lease_id = c.lease_id AND x.applies_on <= $2
                 GROUP BY x.applies_on) r
         WHERE r.balance <= 0) lc
      CROSS JOIN LATERAL (
        SELECT array_agg(s.step ORDER BY s.taken_on, s.created_at) AS steps,
               array_agg(s.taken_on ORDER BY s.taken_on, s.created_at) AS step_dates,
               (array_agg(s.step ORDER BY array_position(ARRAY['reminder', 'contact', 'nav_notice', 'payment_plan',
                  'warning', 'enforcement_request', 'eviction_date', 'carried_out', 'avoided'], s.step) DESC,
                  s.taken_on DESC))[1] AS current_step,
               (array_agg(s.id) FILTER (WHERE s.step = 'payment_plan'))[1] AS plan_step,
               min(s.taken_on) FILTER (WHERE s.step = 'payment_plan') AS plan_on
          FROM rent_arrears_steps s WHERE s.municipality_id = c.municipality_id AND s.case_id = c.id) st
     WHERE lc.last_clear IS NULL OR c.opened_on > lc.last_clear),
  filtered AS (
    SELECT pl.*, c.caseworker, c.nav_refused_on, coalesce(c.steps, '{}') AS steps,
           coalesce(c.step_dates, '{}') AS step_dates, c.current_step, c.plan_step, c.plan_on
      FROM per_lease pl
      LEFT JOIN cases c ON c.municipality_id = pl.municipality_id AND c.lease_id = pl.lease_id
     WHERE ($3::uuid IS NULL OR pl.municipality_id = $3)
       AND ($4::uuid IS NULL OR c.caseworker_id = $4)
       AND ($5::text IS NULL OR coalesce(c.current_step, 'none') = $5))";

/// Totals per municipality of the filtered leases in arrears.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct TotalRow {
    pub municipality_id: Uuid,
    pub leases: i64,
    pub total: i64,
    pub b0: i64,
    pub b1: i64,
    pub b2: i64,
    pub b3: i64,
}

pub async fn totals(
    conn: &mut PgConnection,
    visible: &[Uuid],
    today: NaiveDate,
    f: &Filter,
) -> sqlx::Result<Vec<TotalRow>> {
    no_jit(conn).await?;
    sqlx::query_as(&format!(
        "WITH {OPEN_DEBITS}, {ARREARS}
         SELECT municipality_id, count(*)::int8 AS leases, sum(total)::int8 AS total,
                coalesce(sum(b0), 0)::int8 AS b0, coalesce(sum(b1), 0)::int8 AS b1,
                coalesce(sum(b2), 0)::int8 AS b2, coalesce(sum(b3), 0)::int8 AS b3
           FROM filtered GROUP BY municipality_id ORDER BY municipality_id"
    ))
    .bind(visible)
    .bind(today)
    .bind(f.municipality)
    .bind(f.caseworker)
    .bind(&f.step)
    .fetch_all(conn)
    .await
}

/// The caseworkers of the open cases in `visible` (id, name), for the filter.
pub async fn caseworkers(
    conn: &mut PgConnection,
    visible: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT DISTINCT u.id, u.display_name FROM rent_arrears_cases c JOIN users u ON u.id = c.responsible_user
          WHERE c.municipality_id = ANY($1) AND c.closed_on IS NULL ORDER BY u.display_name, u.id",
    )
    .bind(visible)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Figures per municipality and year

/// A municipality's arrears figures for a year.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct FigureRow {
    pub municipality_id: Uuid,
    /// The month ends of the year up to today, and at each what was owed (øre, the sum of
    /// the leases' positive balances of entries due by then) and by how many leases.
    pub month_ends: Vec<NaiveDate>,
    pub owed: Vec<i64>,
    pub tenants: Vec<i64>,
    pub plans: i64,
    /// Plans made in the year not broken by today (no instalment whose deadline has passed
    /// with the payments since the plan short of the instalments due by then), as
    /// `ladder::plan_state` judges with no grace days.
    pub plans_kept: i64,
    pub nav_notices: i64,
    pub warnings: i64,
    pub requests: i64,
    pub carried_out: i64,
    pub avoided: i64,
}

/// The figures of `year` for every municipality in `visible`, as one statement.
pub async fn figures(
    conn: &mut PgConnection,
    visible: &[Uuid],
    year: i32,
    today: NaiveDate,
) -> sqlx::Result<Vec<FigureRow>> {
    no_jit(conn).await?;
    sqlx::query_as(
        "WITH ends AS (
           SELECT (make_date($2, 1, 1) + make_interval(months => k + 1))::date - 1 AS month_end
             FROM generate_series(0, 11) k),
         shown AS (SELECT month_end FROM ends WHERE month_end <= $3
                   UNION SELECT $3 WHERE extract(year FROM $3) = $2 AND NOT EXISTS (SELECT 1 FROM ends WHERE month_end = $3)),
         balances AS (
           SELECT e.municipality_id, s.month_end, e.lease_id, sum(e.amount) AS balance
             FROM shown s JOIN rent_entries e ON e.applies_on <= s.month_end
            WHERE e.municipality_id = ANY($1)
            GROUP BY e.municipality_id, s.month_end, e.lease_id),
         per_month AS (
           SELECT m.id AS municipality_id, s.month_end,
                  coalesce(sum(b.balance) FILTER (WHERE b.balance > 0), 0)::int8 AS owed,
                  count(b.lease_id) FILTER (WHERE b.balance > 0)::int8 AS tenants
             FROM unnest($1::uuid[]) AS m (id) CROSS JOIN shown s
             LEFT JOIN balances b ON b.municipality_id = m.id AND b.month_end = s.month_end
            GROUP BY m.id, s.month_end),
         steps AS (
           SELECT s.municipality_id,
                  count(*) FILTER (WHERE s.step = 'payment_plan')::int8 AS plans,
                  count(*) FILTER (WHERE s.step = 'payment_plan' AND NOT EXISTS (
                    SELECT 1 FROM rent_plan_instalments i
                     WHERE i.municipality_id = s.municipality_id AND i.step_id = s.id AND i.due_on < $3
                       AND (SELECT sum(j.amount) FROM rent_plan_instalments j
                             WHERE j.municipality_id = i.municipality_id AND j.step_id = i.step_id AND j.no <= i.no)
                           > coalesce((SELECT -sum(p.amount) FROM rent_entries p
                                        WHERE p.municipality_id = s.municipality_id AND p.lease_id = s.lease_id
                                          AND p.kind = 'payment' AND p.applies_on BETWEEN s.taken_on AND i.due_on), 0)))::int8
                    AS plans_kept,
                  count(*) FILTER (WHERE s.step = 'nav_notice')::int8 AS nav_notices,
                  count(*) FILTER (WHERE s.step = 'warning')::int8 AS warnings,
                  count(*) FILTER (WHERE s.step = 'enforcement_request')::int8 AS requests,
                  count(*) FILTER (WHERE s.step = 'carried_out')::int8 AS carried_out,
                  count(*) FILTER (WHERE s.step = 'avoided')::int8 AS avoided
             FROM rent_arrears_steps s
            WHERE s.municipality_id = ANY($1) AND extract(year FROM s.taken_on) = $2
            GROUP BY s.municipality_id)
         SELECT pm.municipality_id,
                array_agg(pm.month_end ORDER BY pm.month_end) AS month_ends,
                array_agg(pm.owed ORDER BY pm.month_end) AS owed,
                array_agg(pm.tenants ORDER BY pm.month_end) AS tenants,
                coalesce(max(st.plans), 0)::int8 AS plans, coalesce(max(st.plans_kept), 0)::int8 AS plans_kept,
                coalesce(max(st.nav_notices), 0)::int8 AS nav_notices, coalesce(max(st.warnings), 0)::int8 AS warnings,
                coalesce(max(st.requests), 0)::int8 AS requests, coalesce(max(st.carried_out), 0)::int8 AS carried_out,
                coalesce(max(st.avoided), 0)::int8 AS avoided
           FROM per_month pm LEFT JOIN steps st ON st.municipality_id = pm.municipality_id
          GROUP BY pm.municipality_id ORDER BY pm.municipality_id",
    )
    .bind(visible)
    .bind(year)
    .bind(today)
    .fetch_all(conn)
    .await
}
