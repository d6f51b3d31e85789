//! All SQL of the rent ledger: settings, KIDs, the monthly charge run (one set-based
//! statement over every lease of a municipality), settlement (one set-based statement
//! over any number of leases), entries, the ledger with running balance and open charges,
//! and the CSV exports.
//!
//! Every write to a municipality's ledger first takes [`lock_ledger`]: settlement reads
//! the open charges and unspent credits and writes what it matches, so two writers on the
//! same lease must not interleave; one lock per municipality (transaction-scoped) keeps it
//! simple and costs nothing measurable for hand entries (a charge run or a bank import
//! holds it for its second or two).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::kid::{self, Modulus};

/// Serialises the ledger writes of municipality `m` until the transaction ends.
pub async fn lock_ledger(conn: &mut PgConnection, m: Uuid) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('bosak.rent.' || $1::text, 0))")
        .bind(m)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Settings and KIDs

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Settings {
    pub kid_modulus: i16,
    pub charge_day: i16,
    pub next_kid_base: i64,
}

/// The municipality's settings (the defaults when it has none saved).
pub async fn settings(conn: &mut PgConnection, m: Uuid) -> sqlx::Result<Settings> {
    Ok(sqlx::query_as(
        "SELECT kid_modulus, charge_day, next_kid_base FROM rent_settings WHERE municipality_id = $1",
    )
    .bind(m)
    .fetch_optional(conn)
    .await?
    .unwrap_or(Settings {
        kid_modulus: 10,
        charge_day: 15,
        next_kid_base: 1,
    }))
}

/// Chooses the check digit scheme of KIDs issued from now on (KIDs already issued keep
/// theirs: each account records its modulus).
pub async fn set_kid_modulus(
    conn: &mut PgConnection,
    m: Uuid,
    modulus: Modulus,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO rent_settings (municipality_id, kid_modulus) VALUES ($1, $2)
         ON CONFLICT (municipality_id) DO UPDATE SET kid_modulus = EXCLUDED.kid_modulus,
                                                     version = rent_settings.version + 1",
    )
    .bind(m)
    .bind(modulus.to_db())
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives every lease of `m` that runs in `[from, to)` — or, with `lease`, that one lease —
/// a KID when it has none: the numbers come from the municipality's counter (its row is
/// locked for the transaction), bases mod 11 cannot carry skipped, all inserted in one
/// statement. Returns how many were issued.
pub async fn ensure_accounts(
    conn: &mut PgConnection,
    m: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    lease: Option<Uuid>,
) -> sqlx::Result<u64> {
    let (modulus, next): (i16, i64) = sqlx::query_as(
        "INSERT INTO rent_settings (municipality_id) VALUES ($1)
         ON CONFLICT (municipality_id) DO UPDATE SET next_kid_base = rent_settings.next_kid_base
         RETURNING kid_modulus, next_kid_base",
    )
    .bind(m)
    .fetch_one(&mut *conn)
    .await?;
    // Over a whole municipality this is an anti join of every running lease against the
    // accounts: with the statistics of a fresh load the planner nests loops, one scan of
    // the accounts per lease (minutes at 15 000 leases). A hash join is right at any size.
    if lease.is_none() {
        sqlx::query("SET LOCAL enable_nestloop = off")
            .execute(&mut *conn)
            .await?;
    }
    let missing: Vec<Uuid> = sqlx::query_scalar(
        "SELECT l.id FROM leases l
          WHERE l.municipality_id = $1 AND l.status <> 'draft'
            AND ($4::uuid IS NOT NULL AND l.id = $4
                 OR $4::uuid IS NULL AND l.occupancy && daterange($2, $3))
            AND NOT EXISTS (SELECT 1 FROM rent_accounts a
                             WHERE a.municipality_id = l.municipality_id AND a.lease_id = l.id)
          ORDER BY l.lease_no",
    )
    .bind(m)
    .bind(from)
    .bind(to)
    .bind(lease)
    .fetch_all(&mut *conn)
    .await?;
    if lease.is_none() {
        sqlx::query("SET LOCAL enable_nestloop = on")
            .execute(&mut *conn)
            .await?;
    }
    if missing.is_empty() {
        return Ok(0);
    }
    let modulus = Modulus::from_db(modulus);
    let (kids, next) = kid::issue(next.max(1) as u64, missing.len(), modulus);
    sqlx::query(
        "INSERT INTO rent_accounts (municipality_id, lease_id, kid, kid_modulus)
         SELECT $1, t.lease_id, t.kid, $4 FROM unnest($2::uuid[], $3::text[]) AS t (lease_id, kid)",
    )
    .bind(m)
    .bind(&missing)
    .bind(&kids)
    .bind(modulus.to_db())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE rent_settings SET next_kid_base = $2 WHERE municipality_id = $1")
        .bind(m)
        .bind(next as i64)
        .execute(conn)
        .await?;
    Ok(missing.len() as u64)
}

/// The KID of a lease, when it has one.
pub async fn kid_of(conn: &mut PgConnection, m: Uuid, lease: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT kid FROM rent_accounts WHERE municipality_id = $1 AND lease_id = $2")
        .bind(m)
        .bind(lease)
        .fetch_optional(conn)
        .await
}

/// A lease found by its KID.
#[derive(sqlx::FromRow, Clone, Debug, PartialEq, Eq)]
pub struct KidMatch {
    pub kid: String,
    pub municipality_id: Uuid,
    pub lease_id: Uuid,
}

/// The leases the `kids` name, among the municipalities the transaction sees and
/// `visible` (one indexed lookup per KID, in one statement). KIDs that name no lease are
/// absent from the answer; a KID is unique within a municipality, so with several
/// municipalities visible one KID may name one lease in each (the caller decides).
pub async fn leases_by_kid(
    conn: &mut PgConnection,
    visible: &[Uuid],
    kids: &[String],
) -> sqlx::Result<Vec<KidMatch>> {
    sqlx::query_as(
        "SELECT a.kid, a.municipality_id, a.lease_id
           FROM rent_accounts a
          WHERE a.municipality_id = ANY($1) AND a.kid = ANY($2)",
    )
    .bind(visible)
    .bind(kids)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Settlement

/// Settles the open debits of the leases in scope with their unspent credits (see
/// `model::settle`, the same computation): laid end to end per lease — debits a credit
/// names first, then by date and id; credits by date and id — each debit and each credit
/// is an interval of øre, and a settlement row is each non-empty overlap. One statement,
/// any number of leases; `leases` None means every lease of `m`. It reads only
/// `rent_open_items` (what is open, kept by triggers), so its cost follows the open
/// items, not the size of the ledger. Returns the øre settled. Call it after every ledger
/// write, under [`lock_ledger`].
pub async fn settle(
    conn: &mut PgConnection,
    m: Uuid,
    leases: Option<&[Uuid]>,
) -> sqlx::Result<i64> {
    // The items were written in this transaction, so the statistics know nothing of them:
    // left to itself the planner may nest loops over 100 000 credits and debits. Every
    // input here is the open items of the leases in scope (found by index), so hash joins
    // are right for every size.
    sqlx::query("SET LOCAL enable_nestloop = off")
        .execute(&mut *conn)
        .await?;
    let settled: Option<i64> = sqlx::query_scalar(
        "WITH credits AS MATERIALIZED (
           SELECT o.entry_id AS id, o.lease_id, o.applies_on, -o.open AS left_, o.settles_first
             FROM rent_open_items o
            WHERE o.municipality_id = $1 AND o.open < 0
              AND ($2::uuid[] IS NULL OR o.lease_id = ANY($2))),
         c AS (
           SELECT x.*, sum(x.left_) OVER (PARTITION BY x.lease_id ORDER BY x.applies_on, x.id
                                          ROWS UNBOUNDED PRECEDING) - x.left_ AS start
             FROM credits x),
         named AS (SELECT DISTINCT settles_first AS id FROM credits WHERE settles_first IS NOT NULL),
         debits AS (
           SELECT o.entry_id AS id, o.lease_id, o.applies_on, o.open, n.id IS NOT NULL AS named
             FROM rent_open_items o
             LEFT JOIN named n ON n.id = o.entry_id
            WHERE o.municipality_id = $1 AND o.open > 0
              AND o.lease_id IN (SELECT lease_id FROM credits)),
         d AS (
           SELECT x.*, sum(x.open) OVER (PARTITION BY x.lease_id ORDER BY x.named DESC, x.applies_on, x.id
                                         ROWS UNBOUNDED PRECEDING) - x.open AS start
             FROM debits x),
         ins AS (
           INSERT INTO rent_settlements (municipality_id, debit_id, credit_id, lease_id, amount)
           SELECT $1, d.id, c.id, d.lease_id,
                  least(d.start + d.open, c.start + c.left_) - greatest(d.start, c.start)
             FROM d JOIN c ON c.lease_id = d.lease_id
                          AND c.start < d.start + d.open AND d.start < c.start + c.left_
           RETURNING amount)
         SELECT sum(amount)::int8 FROM ins",
    )
    .bind(m)
    .bind(leases)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("SET LOCAL enable_nestloop = on")
        .execute(conn)
        .await?;
    Ok(settled.unwrap_or(0))
}

// ---------------------------------------------------------------------------------------
// Entries

/// A new ledger entry (signed amount: positive = the tenant owes more).
#[derive(Clone, Debug)]
pub struct NewEntry {
    pub id: Uuid,
    pub lease_id: Uuid,
    pub kind: &'static str,
    pub charge_kind: Option<&'static str>,
    pub amount: i64,
    pub applies_on: NaiveDate,
    pub kid: Option<String>,
    pub payer: Option<&'static str>,
    pub corrects_id: Option<Uuid>,
    pub settles_first: Option<Uuid>,
    pub note: String,
    pub created_by: Option<Uuid>,
    /// The line of a bank file it was recorded from (a reversal's correction).
    pub import_line_id: Option<Uuid>,
    pub idempotency_key: Option<Uuid>,
}

/// Inserts one entry; None when its idempotency key was used already (a double submit):
/// nothing is inserted then.
pub async fn insert_entry(
    conn: &mut PgConnection,
    m: Uuid,
    e: &NewEntry,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "INSERT INTO rent_entries (municipality_id, id, lease_id, kind, charge_kind, amount, applies_on,
                                   kid, payer, corrects_id, settles_first, note, created_by, idempotency_key,
                                   import_line_id)
         VALUES ($1, $2, $3, $4::rent_entry_kind, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (municipality_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING id",
    )
    .bind(m)
    .bind(e.id)
    .bind(e.lease_id)
    .bind(e.kind)
    .bind(e.charge_kind)
    .bind(e.amount)
    .bind(e.applies_on)
    .bind(&e.kid)
    .bind(e.payer)
    .bind(e.corrects_id)
    .bind(e.settles_first)
    .bind(&e.note)
    .bind(e.created_by)
    .bind(e.idempotency_key)
    .bind(e.import_line_id)
    .fetch_optional(conn)
    .await
}

/// One payment of a batch (an imported bank file): `amount` is what was paid (øre, > 0).
#[derive(Clone, Debug)]
pub struct NewPayment {
    pub id: Uuid,
    pub lease_id: Uuid,
    pub amount: i64,
    pub paid_on: NaiveDate,
    /// "tenant", "nav", "bostotte" or "other".
    pub payer: &'static str,
    pub kid: Option<String>,
    /// The charge the payment names, settled first.
    pub settles_first: Option<Uuid>,
    pub import_line_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub note: String,
}

/// Records many payments for many leases of `m` in one statement and settles them in a
/// second (oldest open charges first, a named charge first; what is left stays as
/// credit). Idempotent by import line: a line already recorded is skipped. Takes
/// [`lock_ledger`] itself. Returns how many payments were recorded. Every payment needs
/// an import line or a user (`rent_entries_attributed`).
pub async fn insert_payments(
    conn: &mut PgConnection,
    m: Uuid,
    payments: &[NewPayment],
) -> sqlx::Result<u64> {
    if payments.is_empty() {
        return Ok(0);
    }
    lock_ledger(conn, m).await?;
    // A bank file of 100 000 lines sorts its settlement in memory, not on disk.
    sqlx::query("SET LOCAL work_mem = '64MB'")
        .execute(&mut *conn)
        .await?;
    let col = |f: fn(&NewPayment) -> Option<Uuid>| payments.iter().map(f).collect::<Vec<_>>();
    let ids: Vec<Uuid> = payments.iter().map(|p| p.id).collect();
    let leases: Vec<Uuid> = payments.iter().map(|p| p.lease_id).collect();
    let amounts: Vec<i64> = payments.iter().map(|p| -p.amount).collect();
    let days: Vec<NaiveDate> = payments.iter().map(|p| p.paid_on).collect();
    let payers: Vec<&str> = payments.iter().map(|p| p.payer).collect();
    let kids: Vec<Option<String>> = payments.iter().map(|p| p.kid.clone()).collect();
    let notes: Vec<&str> = payments.iter().map(|p| p.note.as_str()).collect();
    let inserted = sqlx::query(
        "INSERT INTO rent_entries (municipality_id, id, lease_id, kind, amount, applies_on, payer, kid,
                                   settles_first, import_line_id, created_by, note)
         SELECT $1, t.id, t.lease_id, 'payment'::rent_entry_kind, t.amount, t.applies_on, t.payer, t.kid,
                t.settles_first, t.import_line_id, t.created_by, t.note
           FROM unnest($2::uuid[], $3::uuid[], $4::int8[], $5::date[], $6::text[], $7::text[],
                       $8::uuid[], $9::uuid[], $10::uuid[], $11::text[])
                AS t (id, lease_id, amount, applies_on, payer, kid, settles_first, import_line_id, created_by, note)
         ON CONFLICT (municipality_id, import_line_id) WHERE import_line_id IS NOT NULL DO NOTHING",
    )
    .bind(m)
    .bind(&ids)
    .bind(&leases)
    .bind(&amounts)
    .bind(&days)
    .bind(&payers)
    .bind(&kids)
    .bind(col(|p| p.settles_first))
    .bind(col(|p| p.import_line_id))
    .bind(col(|p| p.created_by))
    .bind(&notes)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let mut distinct = leases;
    distinct.sort();
    distinct.dedup();
    settle(conn, m, Some(&distinct)).await?;
    Ok(inserted)
}

/// An entry of the lease's ledger (the entry's own municipality and lease are checked by
/// the caller's `WHERE`).
pub async fn entry_exists(
    conn: &mut PgConnection,
    m: Uuid,
    lease: Uuid,
    id: Uuid,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM rent_entries WHERE municipality_id = $1 AND lease_id = $2 AND id = $3)",
    )
    .bind(m)
    .bind(lease)
    .bind(id)
    .fetch_one(conn)
    .await
}

/// The newest payment of `amount` øre (negative, as the ledger signs payments) on the
/// lease, paid on or before `on`, that no correction has undone yet: the payment a bank
/// reversal of that amount takes back.
pub async fn payment_to_reverse(
    conn: &mut PgConnection,
    m: Uuid,
    lease: Uuid,
    amount: i64,
    on: NaiveDate,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "SELECT p.id FROM rent_entries p
          WHERE p.municipality_id = $1 AND p.lease_id = $2 AND p.kind = 'payment'
            AND p.amount = $3 AND p.applies_on <= $4
            AND NOT EXISTS (SELECT 1 FROM rent_entries c
                             WHERE c.municipality_id = $1 AND c.lease_id = $2
                               AND c.kind = 'correction' AND c.corrects_id = p.id
                               AND c.amount = -p.amount)
          ORDER BY p.applies_on DESC, p.id DESC
          LIMIT 1",
    )
    .bind(m)
    .bind(lease)
    .bind(amount)
    .bind(on)
    .fetch_optional(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// The ledger

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct EntryRow {
    pub id: Uuid,
    pub kind: String,
    pub charge_kind: Option<String>,
    pub amount: i64,
    pub applies_on: NaiveDate,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    pub kid: Option<String>,
    pub payer: Option<String>,
    pub corrects_id: Option<Uuid>,
    pub note: String,
    pub created_by_name: Option<String>,
    pub charge_run_id: Option<Uuid>,
    pub import_line_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// The sum of the entries up to and including this one.
    pub balance: i64,
    /// Debits: what is still unpaid; credits: what is still unspent.
    pub open: i64,
}

/// Every entry of a lease in ledger order (date, then when it was written), with the
/// running balance and what each has open.
pub async fn ledger(conn: &mut PgConnection, m: Uuid, lease: Uuid) -> sqlx::Result<Vec<EntryRow>> {
    sqlx::query_as(
        "SELECT e.id, e.kind::text AS kind, e.charge_kind, e.amount, e.applies_on, e.period_from,
                e.period_to, e.kid, e.payer, e.corrects_id, e.note, u.display_name AS created_by_name,
                e.charge_run_id, e.import_line_id, e.created_at,
                (sum(e.amount) OVER (ORDER BY e.applies_on, e.created_at, e.id))::int8 AS balance,
                abs(coalesce(o.open, 0))::int8 AS open
           FROM rent_entries e
           LEFT JOIN users u ON u.id = e.created_by
           LEFT JOIN rent_open_items o ON o.municipality_id = e.municipality_id AND o.lease_id = e.lease_id
                                      AND o.entry_id = e.id
          WHERE e.municipality_id = $1 AND e.lease_id = $2
          ORDER BY e.applies_on, e.created_at, e.id",
    )
    .bind(m)
    .bind(lease)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Charge runs

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct RunRow {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub month: NaiveDate,
    pub started_by_name: Option<String>,
    pub started_at: DateTime<Utc>,
    pub charges: i32,
    pub total: i64,
}

/// The newest runs of `visible`, newest month first (keyset: months before `before`).
pub async fn runs(
    conn: &mut PgConnection,
    visible: &[Uuid],
    before: Option<NaiveDate>,
    limit: i64,
) -> sqlx::Result<Vec<RunRow>> {
    sqlx::query_as(
        "SELECT r.municipality_id, r.id, r.month, u.display_name AS started_by_name, r.started_at,
                r.charges, r.total
           FROM rent_charge_runs r LEFT JOIN users u ON u.id = r.started_by
          WHERE r.municipality_id = ANY($1) AND ($2::date IS NULL OR r.month < $2)
          ORDER BY r.month DESC, r.municipality_id LIMIT $3",
    )
    .bind(visible)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Records the run of `month` in `m`; false when that month has a run already (also one
/// committed by a concurrent run while this one waited on the unique key).
pub async fn insert_run(
    conn: &mut PgConnection,
    m: Uuid,
    id: Uuid,
    month: NaiveDate,
    by: Option<Uuid>,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO rent_charge_runs (municipality_id, id, month, started_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (municipality_id, month) DO NOTHING",
    )
    .bind(m)
    .bind(id)
    .bind(month)
    .bind(by)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// The month's rent for every lease of `m` that runs in it, pro rata, as one INSERT …
/// SELECT: each lease's days in the month (its occupancy, which ends at the end that
/// applies — ended, notice or term), split at the rent changes effective in the month
/// (the rent in force on a day is the latest change effective on or before it), summed as
/// øre × days and divided once by the month's days, half up — exactly `model::month_charge`.
/// A lease charged for the month already is skipped (`rent_entries_rent_month_key`).
/// Returns (charges made, their total).
pub async fn charge_month(
    conn: &mut PgConnection,
    m: Uuid,
    run: Uuid,
    month: NaiveDate,
) -> sqlx::Result<(i64, i64)> {
    // The KIDs were issued in this transaction, so the statistics know nothing of them,
    // and a lease's days are a range overlap the planner cannot estimate: left to itself
    // it may nest loops over 100 000 leases. Hash joins are right for every size.
    for setting in [
        "SET LOCAL jit = off",
        "SET LOCAL enable_nestloop = off",
        "SET LOCAL work_mem = '64MB'",
    ] {
        sqlx::query(setting).execute(&mut *conn).await?;
    }
    let (n, total): (Option<i64>, Option<i64>) = sqlx::query_as(&format!(
        "WITH {AMOUNTS},
         ins AS (
           INSERT INTO rent_entries (municipality_id, id, lease_id, kind, charge_kind, amount, applies_on,
                                     charge_month, period_from, period_to, kid, charge_run_id)
           SELECT $1, gen_random_uuid(), a.lease_id, 'charge'::rent_entry_kind, 'rent', a.amount, a.period_from,
                  $2, a.period_from, a.period_to, a.kid, $3
             FROM amounts a WHERE a.amount > 0
            ORDER BY a.lease_id
           ON CONFLICT (municipality_id, charge_month, lease_id) WHERE charge_kind = 'rent' DO NOTHING
           RETURNING amount)
         SELECT count(*)::int8, sum(amount)::int8 FROM ins"
    ))
    .bind(m)
    .bind(month)
    .bind(run)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("SET LOCAL enable_nestloop = on")
        .execute(conn)
        .await?;
    Ok((n.unwrap_or(0), total.unwrap_or(0)))
}

/// The pro-rata amounts of month `$2` in municipality `$1` (a CTE named `amounts`).
const AMOUNTS: &str = "
  mo AS (SELECT daterange($2::date, ($2::date + interval '1 month')::date) AS r,
                (($2::date + interval '1 month')::date - $2::date)::int8 AS days),
  l AS (
    SELECT l.id, l.occupancy * mo.r AS occ, a.kid
      FROM leases l CROSS JOIN mo
      LEFT JOIN rent_accounts a ON a.municipality_id = l.municipality_id AND a.lease_id = l.id
     WHERE l.municipality_id = $1 AND l.status <> 'draft' AND l.occupancy && mo.r),
  seg AS (
    SELECT c.lease_id, c.monthly_rent,
           daterange(c.effective_on, lead(c.effective_on) OVER (PARTITION BY c.lease_id ORDER BY c.effective_on)) AS r
      FROM lease_rent_changes c CROSS JOIN mo
     WHERE c.municipality_id = $1 AND c.effective_on < upper(mo.r)),
  amounts AS (
    SELECT l.id AS lease_id, l.kid, lower(l.occ) AS period_from, upper(l.occ) - 1 AS period_to,
           floor((sum(s.monthly_rent * (upper(s.r * l.occ) - lower(s.r * l.occ))) * 2 + mo.days)
                 / (2 * mo.days))::int8 AS amount
      FROM l JOIN seg s ON s.lease_id = l.id AND s.r && l.occ
      CROSS JOIN mo
     GROUP BY l.id, l.kid, l.occ, mo.days)";

/// `model::month_charge` as the charge run computes it, for every lease of `m` in `month`
/// (lease, amount): the test that the SQL and the rule agree.
pub async fn month_amounts(
    conn: &mut PgConnection,
    m: Uuid,
    month: NaiveDate,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    sqlx::query_as(&format!(
        "WITH {AMOUNTS} SELECT lease_id, amount FROM amounts WHERE amount > 0 ORDER BY lease_id"
    ))
    .bind(m)
    .bind(month)
    .fetch_all(conn)
    .await
}

/// Writes the run's counts.
pub async fn finish_run(
    conn: &mut PgConnection,
    m: Uuid,
    run: Uuid,
    charges: i64,
    total: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE rent_charge_runs SET charges = $3, total = $4 WHERE municipality_id = $1 AND id = $2")
        .bind(m)
        .bind(run)
        .bind(charges as i32)
        .bind(total)
        .execute(conn)
        .await?;
    Ok(())
}

/// The municipalities of `candidates` whose charge day has come in `today`'s month and
/// whose run of `next` (the coming month) has not been made.
pub async fn due_for_run(
    conn: &mut PgConnection,
    today_day: i16,
    next: NaiveDate,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT mu.id FROM municipalities mu
           LEFT JOIN rent_settings s ON s.municipality_id = mu.id
          WHERE coalesce(s.charge_day, 15) <= $1
            AND NOT EXISTS (SELECT 1 FROM rent_charge_runs r WHERE r.municipality_id = mu.id AND r.month = $2)
          ORDER BY mu.id",
    )
    .bind(today_day)
    .bind(next)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// CSV exports

/// The rent charges of `month` in `m` with KID, by lease number.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ChargeCsvRow {
    pub lease_no: i32,
    pub tenant_name: String,
    pub kid: Option<String>,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    pub amount: i64,
    pub open: i64,
}

pub async fn month_charges(
    conn: &mut PgConnection,
    m: Uuid,
    month: NaiveDate,
) -> sqlx::Result<Vec<ChargeCsvRow>> {
    sqlx::query_as(
        "SELECT l.lease_no, p.name AS tenant_name, e.kid, e.period_from, e.period_to, e.amount,
                coalesce(o.open, 0)::int8 AS open
           FROM rent_entries e
           LEFT JOIN rent_open_items o ON o.municipality_id = e.municipality_id AND o.lease_id = e.lease_id
                                      AND o.entry_id = e.id
           JOIN leases l ON l.municipality_id = e.municipality_id AND l.id = e.lease_id
           JOIN people p ON p.municipality_id = l.municipality_id AND p.id = l.tenant_id
          WHERE e.municipality_id = $1 AND e.charge_month = $2 AND e.charge_kind = 'rent'
          ORDER BY l.lease_no",
    )
    .bind(m)
    .bind(month)
    .fetch_all(conn)
    .await
}
