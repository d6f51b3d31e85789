//! All SQL of the reports. Every statement names the municipalities it reads
//! (`municipality_id = ANY($1)`) on top of row level security, and reads through indexes
//! that start with municipality_id. One statement per figure group; the totals across the
//! municipalities shown come from the same statement (`GROUPING SETS`), so a median of
//! the total is the median of all cases, not a median of medians.

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

/// Open statuses, in the order a case moves through them.
pub const OPEN_STATUSES: &[&str] = &[
    "received",
    "under_assessment",
    "ready_for_meeting",
    "approved",
    "partly_approved",
    "waiting_list",
    "offered",
];

async fn no_jit(conn: &mut PgConnection) -> sqlx::Result<()> {
    // Reports are short statements over indexes; JIT compiling them costs more than it saves.
    sqlx::query("SET LOCAL jit = off").execute(conn).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The municipality's figures

/// Open applications per municipality and status (`municipality_id` NULL: all shown).
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct StatusCount {
    pub municipality_id: Option<Uuid>,
    pub status: String,
    pub n: i64,
}

pub async fn open_by_status(
    conn: &mut PgConnection,
    visible: &[Uuid],
) -> sqlx::Result<Vec<StatusCount>> {
    sqlx::query_as(
        "SELECT municipality_id, status::text AS status, count(*)::int8 AS n
           FROM applications
          WHERE municipality_id = ANY($1) AND status::text = ANY($2)
          GROUP BY GROUPING SETS ((municipality_id, status), (status))",
    )
    .bind(visible)
    .bind(OPEN_STATUSES)
    .fetch_all(conn)
    .await
}

/// Everything else on the figures page, per municipality and in total.
#[derive(sqlx::FromRow, Debug, Clone, Default)]
pub struct Figures {
    pub municipality_id: Option<Uuid>,
    /// Approved applicants waiting, and the median of their days since the decision.
    pub waiting: i64,
    pub waiting_median_days: Option<f64>,
    /// Applications decided in the period: how many, median and 90th percentile of days
    /// from receipt, and how many took longer than the § 11a month.
    pub decided: i64,
    pub decision_median_days: Option<f64>,
    pub decision_p90_days: Option<f64>,
    pub decided_after_month: i64,
    /// Units vacant now, the median and longest days since they became vacant, and units
    /// with notice given that become vacant within 90 days.
    pub vacant: i64,
    pub vacant_median_days: Option<f64>,
    pub vacant_max_days: Option<i32>,
    pub becoming_vacant: i64,
    /// Running leases ending within six months.
    pub leases_ending: i64,
    /// Arrears now (øre) and leases in arrears, from the open items.
    pub arrears_total: i64,
    pub arrears_leases: i64,
    /// Evictions carried out in the period.
    pub evictions: i64,
}

/// The figures of the municipalities in `visible`: one statement, one row per
/// municipality plus the total row (`municipality_id` NULL).
pub async fn figures(
    conn: &mut PgConnection,
    visible: &[Uuid],
    today: NaiveDate,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<Figures>> {
    no_jit(conn).await?;
    sqlx::query_as(
        "WITH w AS (
           SELECT municipality_id, count(*)::int8 AS waiting,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY $2 - coalesce(decided_on, received_on)) AS waiting_median_days
             FROM applications WHERE municipality_id = ANY($1) AND status = 'waiting_list'
            GROUP BY GROUPING SETS ((municipality_id), ())),
         dt AS (
           SELECT municipality_id, count(*)::int8 AS decided,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY decided_on - received_on) AS decision_median_days,
                  percentile_cont(0.9) WITHIN GROUP (ORDER BY decided_on - received_on) AS decision_p90_days,
                  -- Forvaltningsloven § 11a: not decided one month after it was received.
                  count(*) FILTER (WHERE decided_on > (received_on + interval '1 month')::date)::int8 AS decided_after_month
             FROM applications
            WHERE municipality_id = ANY($1) AND decided_on IS NOT NULL AND decided_on BETWEEN $3 AND $4
            GROUP BY GROUPING SETS ((municipality_id), ())),
         v AS (
           SELECT municipality_id,
                  count(*) FILTER (WHERE status = 'vacant')::int8 AS vacant,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY $2 - status_since) FILTER (WHERE status = 'vacant') AS vacant_median_days,
                  max($2 - status_since) FILTER (WHERE status = 'vacant') AS vacant_max_days,
                  count(*) FILTER (WHERE status = 'notice_given' AND expected_vacant_from <= $2 + 90)::int8 AS becoming_vacant
             FROM dwellings WHERE municipality_id = ANY($1) AND status IN ('vacant', 'notice_given')
            GROUP BY GROUPING SETS ((municipality_id), ())),
         le AS (
           SELECT municipality_id, count(*)::int8 AS leases_ending
             FROM leases
            WHERE municipality_id = ANY($1) AND status IN ('signed', 'active', 'notice_given')
              AND ends_on BETWEEN $2 AND ($2 + interval '6 months')::date
            GROUP BY GROUPING SETS ((municipality_id), ())),
         ar AS (
           SELECT municipality_id, coalesce(sum(owed), 0)::int8 AS arrears_total, count(*)::int8 AS arrears_leases
             FROM (SELECT municipality_id, lease_id, sum(open) AS owed
                     FROM rent_open_items
                    WHERE municipality_id = ANY($1) AND open > 0 AND applies_on <= $2
                    GROUP BY municipality_id, lease_id) x
            GROUP BY GROUPING SETS ((municipality_id), ())),
         ev AS (
           SELECT municipality_id, count(*)::int8 AS evictions
             FROM rent_arrears_steps
            WHERE municipality_id = ANY($1) AND step = 'carried_out' AND taken_on BETWEEN $3 AND $4
            GROUP BY GROUPING SETS ((municipality_id), ())),
         keys AS (SELECT unnest($1::uuid[]) AS municipality_id UNION ALL SELECT NULL)
         SELECT k.municipality_id,
                coalesce(w.waiting, 0) AS waiting, w.waiting_median_days,
                coalesce(dt.decided, 0) AS decided, dt.decision_median_days, dt.decision_p90_days,
                coalesce(dt.decided_after_month, 0) AS decided_after_month,
                coalesce(v.vacant, 0) AS vacant, v.vacant_median_days, v.vacant_max_days,
                coalesce(v.becoming_vacant, 0) AS becoming_vacant,
                coalesce(le.leases_ending, 0) AS leases_ending,
                coalesce(ar.arrears_total, 0) AS arrears_total, coalesce(ar.arrears_leases, 0) AS arrears_leases,
                coalesce(ev.evictions, 0) AS evictions
           FROM keys k
           LEFT JOIN w ON w.municipality_id IS NOT DISTINCT FROM k.municipality_id
           LEFT JOIN dt ON dt.municipality_id IS NOT DISTINCT FROM k.municipality_id
           LEFT JOIN v ON v.municipality_id IS NOT DISTINCT FROM k.municipality_id
           LEFT JOIN le ON le.municipality_id IS NOT DISTINCT FROM k.municipality_id
           LEFT JOIN ar ON ar.municipality_id IS NOT DISTINCT FROM k.municipality_id
           LEFT JOIN ev ON ev.municipality_id IS NOT DISTINCT FROM k.municipality_id",
    )
    .bind(visible)
    .bind(today)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await
}

/// What is owed today by the arrears trend's definition (`rent::arrears::repo::figures`,
/// which the past month ends come from): per lease the net balance of the entries that
/// apply by `today`, counted where positive; (øre, leases). Read from the open items
/// instead of the whole ledger: a settlement takes the same amount off a debit and a
/// credit of one lease, so a lease's open items sum to the net of all its entries, and
/// the entries applying after today (few: charges made ahead) are taken off through the
/// ledger's lease index. A lease with nothing open has a net of 0 over all its entries;
/// it owed something today only if a credit dated after today settled it, which is not
/// counted here. (A query on rent tables, kept here because src/rent is another's.)
pub async fn net_arrears_today(
    conn: &mut PgConnection,
    visible: &[Uuid],
    today: NaiveDate,
) -> sqlx::Result<(i64, i64)> {
    no_jit(conn).await?;
    sqlx::query_as(
        "WITH net AS (
           SELECT o.municipality_id, o.lease_id, sum(o.open) AS net
             FROM rent_open_items o
            WHERE o.municipality_id = ANY($1)
            GROUP BY o.municipality_id, o.lease_id),
         -- Materialized: each balance is read three times below, its lookup made once.
         balances AS MATERIALIZED (
           SELECT n.net - coalesce((SELECT sum(e.amount) FROM rent_entries e
                                     WHERE e.municipality_id = n.municipality_id AND e.lease_id = n.lease_id
                                       AND e.applies_on > $2), 0) AS balance
             FROM net n)
         SELECT coalesce(sum(balance) FILTER (WHERE balance > 0), 0)::int8,
                count(*) FILTER (WHERE balance > 0)::int8
           FROM balances",
    )
    .bind(visible)
    .bind(today)
    .fetch_one(conn)
    .await
}

/// What was owed at each of `ends` (month ends, ascending) by the definition of
/// `rent::arrears::repo::figures`: per lease the net balance of the entries that apply by
/// the day, counted where positive; (municipality, day, øre, leases). One pass over the
/// ledger: each entry is summed into the first of `ends` on or after its day (all earlier
/// entries into the first), and a running sum per lease gives its balance at each end —
/// rather than summing the whole ledger again for every month end. (A query on rent
/// tables, kept here because src/rent is another's.)
pub async fn net_arrears_at(
    conn: &mut PgConnection,
    visible: &[Uuid],
    ends: &[NaiveDate],
) -> sqlx::Result<Vec<(Uuid, NaiveDate, i64, i64)>> {
    let (Some(first), Some(last)) = (ends.first(), ends.last()) else {
        return Ok(Vec::new());
    };
    no_jit(conn).await?;
    sqlx::query_as(
        "WITH ends AS (SELECT d AS month_end FROM unnest($2::date[]) d),
         sums AS (
           SELECT e.municipality_id, e.lease_id,
                  greatest($3, (date_trunc('month', e.applies_on) + interval '1 month - 1 day')::date) AS bucket,
                  sum(e.amount) AS amount
             FROM rent_entries e
            WHERE e.municipality_id = ANY($1) AND e.applies_on <= $4
            GROUP BY 1, 2, 3),
         leases_seen AS (SELECT DISTINCT municipality_id, lease_id FROM sums),
         grid AS (
           SELECT l.municipality_id, x.month_end,
                  sum(coalesce(s.amount, 0)) OVER (PARTITION BY l.municipality_id, l.lease_id ORDER BY x.month_end) AS balance
             FROM leases_seen l CROSS JOIN ends x
             LEFT JOIN sums s ON s.municipality_id = l.municipality_id AND s.lease_id = l.lease_id
                             AND s.bucket = x.month_end)
         SELECT municipality_id, month_end, coalesce(sum(balance) FILTER (WHERE balance > 0), 0)::int8,
                count(*) FILTER (WHERE balance > 0)::int8
           FROM grid GROUP BY municipality_id, month_end",
    )
    .bind(visible)
    .bind(ends)
    .bind(*first)
    .bind(*last)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// KOSTRA form 13

/// One record a KOSTRA figure counts: the figure, the record (kind: dwelling, lease,
/// application) and what identifies it to a caseworker.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct KostraRecord {
    pub figure: String,
    pub municipality_id: Uuid,
    pub kind: String,
    pub id: Uuid,
    pub reference: String,
    pub person: String,
    pub on_date: Option<NaiveDate>,
    /// How many records the figure counts in all (the same on every row).
    pub total: i64,
}

/// The KOSTRA group of a case (one per case, so the groups add up): from its reasons'
/// `kostra_group` and its wheelchair need. `(join, expression)` for a query where `m` and
/// `a` name the case's municipality and id and `wheel` its wheelchair need.
fn group_of(m: &str, a: &str, wheel: &str) -> (String, String) {
    (
        format!(
            "LEFT JOIN LATERAL (
               SELECT coalesce(bool_or(r.kostra_group = 'mental_health'), false) AS mh,
                      coalesce(bool_or(r.kostra_group = 'substance'), false) AS su,
                      coalesce(bool_or(r.kostra_group = 'refugee'), false) AS rf,
                      coalesce(bool_or(r.kostra_group = 'adapted'), false) AS ad
                 FROM application_reason_links rl
                 JOIN application_reasons r ON r.municipality_id = rl.municipality_id AND r.id = rl.reason_id
                WHERE rl.municipality_id = {m} AND rl.application_id = {a}) g ON true"
        ),
        format!(
            "CASE WHEN g.mh AND g.su THEN 'both' WHEN g.mh THEN 'mental_health' WHEN g.su THEN 'substance'
                  WHEN g.rf THEN 'refugee' WHEN g.ad OR coalesce({wheel}, false) THEN 'adapted'
                  ELSE 'other' END"
        ),
    )
}

/// The records behind every KOSTRA figure as of 31 December of the year (`$3`). The
/// counts and the lists come from this one definition, so a figure always equals the
/// length of its list.
///
/// - Dwellings: units in the register on 31 December (their status that day, from the
///   status history, is not 'sold'); each unit is a dwelling, so a room let with its own
///   lease counts as one. Ownership is the property's owner type.
/// - Let: a signed lease whose occupied days include 31 December.
/// - New tenant households: leases starting in the year whose tenant did not already live
///   in municipal housing the day before (no other signed lease of theirs, as tenant or
///   party, ran that day: a swap), and which do not renew a lease (an extension). The
///   group comes from the case's reasons (`application_reasons.kostra_group`) and its
///   wheelchair need; each household has one group, so the groups add up to the total.
/// - Short-term contracts: leases under three years (husleieloven § 11-1) entered into in
///   the year — the form counts contracts *inngått*, so by the signing date, not the start
///   (a lease signed in December to start in January is the signing year's).
const KOSTRA_SQL: &str = "
WITH held AS (
  SELECT d.municipality_id, d.id, p.owner_type, d.wheelchair_accessible
    FROM dwellings d JOIN properties p ON p.municipality_id = d.municipality_id AND p.id = d.property_id
   WHERE d.municipality_id = ANY($1)
     -- The status on 31 December. `status_since` is the day of the unit's latest change,
     -- so a unit unchanged since then still has it; only units changed later (a year's
     -- worth) look it up in the history. A unit with neither did not exist yet.
     AND coalesce(CASE WHEN d.status_since <= $3 THEN d.status END,
                  (SELECT sc.to_status FROM dwelling_status_changes sc
                    WHERE sc.municipality_id = d.municipality_id AND sc.dwelling_id = d.id AND sc.effective_on <= $3
                    ORDER BY sc.effective_on DESC, sc.changed_at DESC LIMIT 1)) <> 'sold'),
new_leases AS (
  SELECT l.municipality_id, l.id, l.starts_on, l.deposit_kind, l.application_id, l.tenant_id
    FROM leases l
   WHERE l.municipality_id = ANY($1) AND l.status <> 'draft' AND l.starts_on BETWEEN $2 AND $3),
households AS (
  SELECT nl.municipality_id, nl.id, nl.starts_on, {group} AS grp
    FROM new_leases nl
    LEFT JOIN applications a ON a.municipality_id = nl.municipality_id AND a.id = nl.application_id
    {group_join}
   WHERE a.renews_lease_id IS NULL
     -- Two anti joins, each on an index (tenant, or party), rather than one with an OR.
     AND NOT EXISTS (
       SELECT 1 FROM leases o
        WHERE o.municipality_id = nl.municipality_id AND o.tenant_id = nl.tenant_id AND o.id <> nl.id
          AND o.status <> 'draft' AND o.starts_on < nl.starts_on AND o.occupancy @> (nl.starts_on - 1))
     AND NOT EXISTS (
       SELECT 1 FROM lease_parties lp
         JOIN leases o ON o.municipality_id = lp.municipality_id AND o.id = lp.lease_id
        WHERE lp.municipality_id = nl.municipality_id AND lp.person_id = nl.tenant_id AND o.id <> nl.id
          AND o.status <> 'draft' AND o.starts_on < nl.starts_on AND o.occupancy @> (nl.starts_on - 1))),
received AS (
  SELECT a.municipality_id, a.id, a.received_on, a.renews_lease_id
    FROM applications a
   WHERE a.municipality_id = ANY($1) AND a.received_on BETWEEN $2 AND $3),
points AS (
  SELECT CASE WHEN k.is_dwelling AND dp.outcome = 'refused' THEN 'refusals'
              WHEN k.code = 'temporary_accommodation' AND dp.outcome <> 'refused' THEN 'temporary_accommodation'
         END AS fig,
         d.municipality_id, d.application_id, d.decided_on
    FROM decisions d
    JOIN decision_points dp ON dp.municipality_id = d.municipality_id AND dp.decision_id = d.id
    JOIN decision_kinds k ON k.municipality_id = dp.municipality_id AND k.id = dp.kind_id
   WHERE d.municipality_id = ANY($1) AND d.status = 'sent' AND d.decided_on BETWEEN $2 AND $3
     -- A decision replaced by a sent correction counts as the correction says.
     AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.municipality_id = d.municipality_id
                        AND r.replaces_id = d.id AND r.status = 'sent')),
decided AS (
  SELECT DISTINCT ON (pt.municipality_id, pt.application_id, pt.fig)
         pt.fig, pt.municipality_id, pt.application_id, pt.decided_on
    FROM points pt
   WHERE pt.fig IS NOT NULL
   ORDER BY pt.municipality_id, pt.application_id, pt.fig, pt.decided_on)
SELECT 'dwellings_total' AS figure, municipality_id, 'dwelling' AS kind, id, NULL::date AS on_date FROM held
UNION ALL SELECT 'dwellings_owned', municipality_id, 'dwelling', id, NULL FROM held WHERE owner_type IN ('municipality', 'municipal_company')
UNION ALL SELECT 'dwellings_rented_in', municipality_id, 'dwelling', id, NULL FROM held WHERE owner_type = 'leased'
UNION ALL SELECT 'dwellings_allocation_right', municipality_id, 'dwelling', id, NULL FROM held WHERE owner_type = 'allocation_right'
UNION ALL SELECT 'dwellings_wheelchair', municipality_id, 'dwelling', id, NULL FROM held WHERE wheelchair_accessible
UNION ALL SELECT 'dwellings_let', h.municipality_id, 'dwelling', h.id, NULL FROM held h
  WHERE EXISTS (SELECT 1 FROM leases l WHERE l.municipality_id = h.municipality_id AND l.dwelling_id = h.id
                   AND l.status <> 'draft' AND l.occupancy @> $3::date)
UNION ALL SELECT 'households_new', municipality_id, 'lease', id, starts_on FROM households
-- One branch per group and per decision figure, each named by a constant, so the list
-- of one figure computes only what that figure needs.
UNION ALL SELECT 'households_refugee', municipality_id, 'lease', id, starts_on FROM households WHERE grp = 'refugee'
UNION ALL SELECT 'households_mental_health', municipality_id, 'lease', id, starts_on FROM households WHERE grp = 'mental_health'
UNION ALL SELECT 'households_substance', municipality_id, 'lease', id, starts_on FROM households WHERE grp = 'substance'
UNION ALL SELECT 'households_both', municipality_id, 'lease', id, starts_on FROM households WHERE grp = 'both'
UNION ALL SELECT 'households_adapted', municipality_id, 'lease', id, starts_on FROM households WHERE grp = 'adapted'
UNION ALL SELECT 'households_other', municipality_id, 'lease', id, starts_on FROM households WHERE grp = 'other'
UNION ALL SELECT 'applications_total', municipality_id, 'application', id, received_on FROM received
UNION ALL SELECT 'applications_new', municipality_id, 'application', id, received_on FROM received WHERE renews_lease_id IS NULL
UNION ALL SELECT 'applications_renewed', municipality_id, 'application', id, received_on FROM received WHERE renews_lease_id IS NOT NULL
UNION ALL SELECT 'refusals', municipality_id, 'application', application_id, decided_on FROM decided WHERE fig = 'refusals'
UNION ALL SELECT 'temporary_accommodation', municipality_id, 'application', application_id, decided_on FROM decided
  WHERE fig = 'temporary_accommodation'
UNION ALL SELECT 'short_term_contracts', l.municipality_id, 'lease', l.id, l.signed_on
  FROM leases l
 WHERE l.municipality_id = ANY($1) AND l.status <> 'draft' AND l.signed_on BETWEEN $2 AND $3
   -- Implied by the term (leases_short_term_basis); named so the partial index serves.
   AND l.short_term_ground_id IS NOT NULL
   AND l.ends_on IS NOT NULL AND l.ends_on < (l.starts_on + interval '3 years')::date - 1
UNION ALL SELECT 'deposits', municipality_id, 'lease', id, starts_on FROM new_leases WHERE deposit_kind = 'account'
UNION ALL SELECT 'guarantees', municipality_id, 'lease', id, starts_on FROM new_leases WHERE deposit_kind = 'guarantee'";

/// `KOSTRA_SQL` with the household grouping filled in.
fn kostra_sql() -> String {
    let (join, group) = group_of(
        "nl.municipality_id",
        "nl.application_id",
        "a.needs_wheelchair",
    );
    KOSTRA_SQL
        .replace("{group_join}", &join)
        .replace("{group}", &group)
}
fn year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
    )
}

/// The whole-year statement's settings: no JIT (as [`no_jit`]); a generic plan, because
/// planning the statement anew for each request cost 15–60 ms, more than a third of
/// running it, and its plan does not depend on the dates; and room to count its rows in
/// memory rather than in a sort spilled to disk.
async fn whole_year(conn: &mut PgConnection) -> sqlx::Result<()> {
    no_jit(conn).await?;
    sqlx::query("SET LOCAL plan_cache_mode = force_generic_plan")
        .execute(&mut *conn)
        .await?;
    sqlx::query("SET LOCAL work_mem = '32MB'")
        .execute(conn)
        .await?;
    Ok(())
}

/// The count of every KOSTRA figure per municipality: (figure, municipality, count).
pub async fn kostra_counts(
    conn: &mut PgConnection,
    visible: &[Uuid],
    year: i32,
) -> sqlx::Result<Vec<(String, Uuid, i64)>> {
    whole_year(conn).await?;
    let (first, last) = year_bounds(year);
    sqlx::query_as(&format!(
        "SELECT figure, municipality_id, count(*)::int8 FROM ({}) r GROUP BY figure, municipality_id",
        kostra_sql()
    ))
    .bind(visible)
    .bind(first)
    .bind(last)
    .fetch_all(conn)
    .await
}

/// The records one KOSTRA figure counts in one municipality, by reference: at most
/// `limit` after `after` (reference, id of the last row shown), with the figure's total.
pub async fn kostra_records(
    conn: &mut PgConnection,
    municipality: Uuid,
    year: i32,
    figure: &str,
    after: Option<(&str, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<KostraRecord>> {
    whole_year(conn).await?;
    let (first, last) = year_bounds(year);
    // What identifies each record to a caseworker is read for the records listed only.
    sqlx::query_as(&format!(
        "SELECT * FROM (
         SELECT r.figure, r.municipality_id, r.kind, r.id, n.reference, n.person, r.on_date,
                count(*) OVER ()::int8 AS total
           FROM ({}) r
           CROSS JOIN LATERAL (
             SELECT d.unit_number AS reference, '' AS person FROM dwellings d
              WHERE r.kind = 'dwelling' AND d.municipality_id = r.municipality_id AND d.id = r.id
             UNION ALL
             SELECT l.lease_no::text, p.name FROM leases l
               JOIN people p ON p.municipality_id = l.municipality_id AND p.id = l.tenant_id
              WHERE r.kind = 'lease' AND l.municipality_id = r.municipality_id AND l.id = r.id
             UNION ALL
             SELECT a.case_number, p.name FROM applications a
               JOIN people p ON p.municipality_id = a.municipality_id AND p.id = a.applicant_id
              WHERE r.kind = 'application' AND a.municipality_id = r.municipality_id AND a.id = r.id) n
          WHERE r.figure = $4) x
          WHERE $5::text IS NULL OR (x.reference, x.id) > ($5, $6)
          ORDER BY x.reference, x.id LIMIT $7",
        kostra_sql()
    ))
    .bind([municipality].as_slice())
    .bind(first)
    .bind(last)
    .bind(figure)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// What needs me today

/// One deadline of the user's: what it is, the record's page, its reference, the day.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct DueItem {
    pub kind: String,
    pub municipality_id: Uuid,
    pub href: String,
    pub reference: String,
    pub due_on: NaiveDate,
    /// How many items there are in all (the same on every row).
    pub total: i64,
}

/// Where the user may do what the items ask: `cases` (read cases), `approve` (write
/// decisions), `rent` (manage rent).
pub struct DueScope<'a> {
    pub cases: &'a [Uuid],
    pub approve: &'a [Uuid],
    pub rent: &'a [Uuid],
}

/// The user's cases with a deadline due or overdue, oldest first, at most `limit`. "Mine"
/// is the case's caseworker (a lease: the caseworker of its case, or who wrote it; an
/// arrears case: who follows it); a decision awaiting approval is anyone's but its
/// author's (four eyes). Each branch walks an index that starts with municipality_id.
pub async fn due_items(
    conn: &mut PgConnection,
    scope: &DueScope<'_>,
    user: Uuid,
    today: NaiveDate,
    limit: i64,
) -> sqlx::Result<Vec<DueItem>> {
    no_jit(conn).await?;
    sqlx::query_as(
        "WITH items AS (
           -- Forvaltningsloven § 11a: the interim reply is due a month after receipt.
           SELECT 'interim' AS kind, a.municipality_id, '/soknader/' || a.id AS href, a.case_number AS reference,
                  a.interim_due_on AS due_on
             FROM applications a
            WHERE a.municipality_id = ANY($1) AND a.interim_due_on <= $5 AND a.caseworker_id = $4
              AND a.decided_on IS NULL AND a.interim_sent_on IS NULL
              AND a.status IN ('received', 'under_assessment', 'ready_for_meeting')
           UNION ALL
           SELECT 'approval', d.municipality_id, '/vedtak/' || d.id, a.case_number, d.updated_at::date
             FROM decisions d JOIN applications a ON a.municipality_id = d.municipality_id AND a.id = d.application_id
            WHERE d.municipality_id = ANY($2) AND d.status = 'ready_for_approval' AND d.author_id <> $4
           UNION ALL
           -- § 16: the party's time to respond has run out; the case can go on.
           SELECT 'advance_notice', n.municipality_id, '/soknader/' || a.id, a.case_number, n.respond_by
             FROM advance_notices n JOIN applications a ON a.municipality_id = n.municipality_id AND a.id = n.application_id
            WHERE n.municipality_id = ANY($1) AND n.respond_by <= $5 AND n.answered_on IS NULL AND a.caseworker_id = $4
              AND a.status NOT IN ('rejected', 'withdrawn', 'closed_without_decision', 'housed')
              AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.municipality_id = n.municipality_id
                                 AND d.application_id = n.application_id AND d.status = 'sent' AND d.decided_on >= n.sent_on)
           UNION ALL
           -- § 29: appeal deadlines of the user's decisions ending within a week.
           (SELECT DISTINCT ON (d.municipality_id, d.id) 'appeal_deadline', d.municipality_id, '/vedtak/' || d.id, a.case_number, p.appeal_deadline
             FROM applications a
             JOIN decisions d ON d.municipality_id = a.municipality_id AND d.application_id = a.id AND d.status = 'sent'
             JOIN decision_points p ON p.municipality_id = d.municipality_id AND p.decision_id = d.id
            WHERE a.municipality_id = ANY($1) AND a.caseworker_id = $4 AND NOT d.closed_without_appeal
              AND p.appeal_deadline BETWEEN $5 AND $5 + 7
              AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.municipality_id = d.municipality_id
                                 AND r.replaces_id = d.id AND r.status = 'sent')
            ORDER BY d.municipality_id, d.id, p.appeal_deadline)
           UNION ALL
           SELECT 'offer', o.municipality_id, '/tilbud/' || o.id, a.case_number, o.answer_due
             FROM offers o JOIN applications a ON a.municipality_id = o.municipality_id AND a.id = o.application_id
            WHERE o.municipality_id = ANY($1) AND o.status = 'open' AND o.answer_due < $5 AND a.caseworker_id = $4
           UNION ALL
           -- Leases ending within six months with no review yet (renew, help to buy, move on).
           SELECT 'lease_review', l.municipality_id, '/leiekontrakter/' || l.id, 'Kontrakt ' || l.lease_no, l.ends_on
             FROM leases l LEFT JOIN applications a ON a.municipality_id = l.municipality_id AND a.id = l.application_id
            WHERE l.municipality_id = ANY($1) AND l.status IN ('signed', 'active', 'notice_given')
              AND l.ends_on BETWEEN $5 AND ($5 + interval '6 months')::date
              AND coalesce(a.caseworker_id, l.created_by) = $4
              AND NOT EXISTS (SELECT 1 FROM lease_reviews rv WHERE rv.municipality_id = l.municipality_id AND rv.lease_id = l.id)
           UNION ALL
           -- Husleieloven § 9-2: near or past its end with no written demand to move and no
           -- renewal under way (the start page's count, leases::rules::open_ended_warning).
           SELECT 'lease_lapsing', l.municipality_id, '/leiekontrakter/' || l.id, 'Kontrakt ' || l.lease_no, l.ends_on
             FROM leases l LEFT JOIN applications a ON a.municipality_id = l.municipality_id AND a.id = l.application_id
            WHERE l.municipality_id = ANY($1) AND l.status IN ('signed', 'active') AND l.demand_to_move_on IS NULL
              AND l.ends_on BETWEEN $5 - 92 AND $5 + $6
              AND coalesce(a.caseworker_id, l.created_by) = $4
              AND NOT EXISTS (SELECT 1 FROM lease_reviews rv JOIN applications ra
                                ON ra.municipality_id = rv.municipality_id AND ra.id = rv.renewal_application_id
                               WHERE rv.municipality_id = l.municipality_id AND rv.lease_id = l.id
                                 AND ra.status NOT IN ('rejected', 'withdrawn', 'closed_without_decision'))
           UNION ALL
           -- The arrears ladder: an eviction day that has come, or a § 4-18 warning whose
           -- 14 days have run with no request to the enforcement officer yet.
           SELECT CASE s.step WHEN 'eviction_date' THEN 'arrears_eviction' ELSE 'arrears_request' END,
                  c.municipality_id, '/leiekontrakter/' || c.lease_id || '/restanse', 'Kontrakt ' || l.lease_no,
                  CASE s.step WHEN 'eviction_date' THEN s.eviction_on ELSE s.taken_on + 14 END
             FROM rent_arrears_cases c
             JOIN leases l ON l.municipality_id = c.municipality_id AND l.id = c.lease_id
             CROSS JOIN LATERAL (SELECT st.step, st.taken_on, st.eviction_on FROM rent_arrears_steps st
                                  WHERE st.municipality_id = c.municipality_id AND st.case_id = c.id
                                  ORDER BY st.taken_on DESC, st.created_at DESC LIMIT 1) s
            WHERE c.municipality_id = ANY($3) AND c.closed_on IS NULL AND c.responsible_user = $4
              AND ((s.step = 'eviction_date' AND s.eviction_on <= $5) OR (s.step = 'warning' AND s.taken_on + 14 <= $5)))
         SELECT kind, municipality_id, href, reference, due_on, count(*) OVER ()::int8 AS total
           FROM items ORDER BY due_on, reference, kind LIMIT $7",
    )
    .bind(scope.cases)
    .bind(scope.approve)
    .bind(scope.rent)
    .bind(user)
    .bind(today)
    .bind(crate::leases::rules::WARN_DAYS_BEFORE_END as i32)
    .bind(limit)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Annual mapping by reason, and the need overview

/// The mapping period of each municipality: (municipality, 'MM-DD' from, 'MM-DD' to).
pub async fn mapping_periods(
    conn: &mut PgConnection,
    visible: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, String, String, i32)>> {
    sqlx::query_as(
        "SELECT municipality_id, mapping_from, mapping_to, version FROM municipality_settings
          WHERE municipality_id = ANY($1) ORDER BY municipality_id",
    )
    .bind(visible)
    .fetch_all(conn)
    .await
}

/// Changes a municipality's mapping period if `version` is still current; false when not.
pub async fn set_mapping_period(
    conn: &mut PgConnection,
    municipality: Uuid,
    from: &str,
    to: &str,
    version: i32,
    by: Uuid,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE municipality_settings SET mapping_from = $2, mapping_to = $3, version = version + 1,
                updated_at = now(), updated_by = $5
          WHERE municipality_id = $1 AND version = $4",
    )
    .bind(municipality)
    .bind(from)
    .bind(to)
    .bind(version)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub struct Windows {
    pub municipalities: Vec<Uuid>,
    pub years: Vec<i32>,
    pub from: Vec<NaiveDate>,
    pub to: Vec<NaiveDate>,
}

/// Applications received in each window (municipality, year, from, to), over all the
/// municipalities given: `kind` 'total' (each application once), 'reason' (by reason
/// name; an application with two reasons counts under both) or 'group' (the KOSTRA
/// grouping, one per application).
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct MappingCount {
    pub kind: String,
    pub year: i32,
    pub label: String,
    pub n: i64,
}

pub async fn mapping(conn: &mut PgConnection, w: &Windows) -> sqlx::Result<Vec<MappingCount>> {
    no_jit(conn).await?;
    let (join, group) = group_of("a.municipality_id", "a.id", "a.needs_wheelchair");
    sqlx::query_as(&format!(
        "WITH win AS (SELECT * FROM unnest($1::uuid[], $2::int4[], $3::date[], $4::date[]) AS w (municipality_id, year, from_on, to_on)),
              apps AS (SELECT w.year, a.municipality_id, a.id, {group} AS grp
                         FROM win w
                         JOIN applications a ON a.municipality_id = w.municipality_id AND a.received_on BETWEEN w.from_on AND w.to_on
                         {join})
         SELECT 'reason' AS kind, year, r.name AS label, count(*)::int8 AS n
           FROM apps x
           JOIN application_reason_links rl ON rl.municipality_id = x.municipality_id AND rl.application_id = x.id
           JOIN application_reasons r ON r.municipality_id = rl.municipality_id AND r.id = rl.reason_id
          GROUP BY year, r.name
         UNION ALL SELECT 'group', year, grp, count(*)::int8 FROM apps GROUP BY year, grp
         UNION ALL SELECT 'total', year, '', count(*)::int8 FROM apps GROUP BY year"
    ))
    .bind(&w.municipalities)
    .bind(&w.years)
    .bind(&w.from)
    .bind(&w.to)
    .fetch_all(conn)
    .await
}

/// Applicants waiting per dwelling kind they asked for (an applicant asking for two kinds
/// counts under both; '' is none named), and the row '*' with every waiting applicant
/// once: (kind, waiting, needing wheelchair access, needing ground floor or lift).
pub async fn need_waiting(
    conn: &mut PgConnection,
    visible: &[Uuid],
) -> sqlx::Result<Vec<(String, i64, i64, i64)>> {
    sqlx::query_as(
        "SELECT coalesce(k.kind, '') AS kind, count(*)::int8, 0::int8, 0::int8
           FROM applications a
           LEFT JOIN LATERAL unnest(a.dwelling_types) AS k (kind) ON true
          WHERE a.municipality_id = ANY($1) AND a.status = 'waiting_list'
          GROUP BY 1
         UNION ALL
         SELECT '*', count(*)::int8, count(*) FILTER (WHERE a.needs_wheelchair)::int8,
                count(*) FILTER (WHERE a.needs_ground_floor)::int8
           FROM applications a
          WHERE a.municipality_id = ANY($1) AND a.status = 'waiting_list'",
    )
    .bind(visible)
    .fetch_all(conn)
    .await
}

/// Units per dwelling type name: (type, units, wheelchair accessible, on the ground floor
/// or with a lift, vacant now, notice given, signed leases ending within 12 months).
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct UnitSupply {
    pub type_name: String,
    pub units: i64,
    pub wheelchair: i64,
    pub step_free: i64,
    pub vacant: i64,
    pub notice_given: i64,
    pub ending: i64,
}

pub async fn need_supply(
    conn: &mut PgConnection,
    visible: &[Uuid],
    today: NaiveDate,
) -> sqlx::Result<Vec<UnitSupply>> {
    no_jit(conn).await?;
    // Units are counted per type in one pass; the leases ending are found through their
    // end date (leases_ending_idx) and joined to their units, rather than probed once per
    // unit (1 s at 12 000 units).
    sqlx::query_as(
        "WITH units AS (
           SELECT d.municipality_id, d.dwelling_type_id, count(*)::int8 AS units,
                  count(*) FILTER (WHERE d.wheelchair_accessible)::int8 AS wheelchair,
                  count(*) FILTER (WHERE coalesce(d.floor, 0) <= 1 OR p.has_lift)::int8 AS step_free,
                  count(*) FILTER (WHERE d.status = 'vacant')::int8 AS vacant,
                  count(*) FILTER (WHERE d.status = 'notice_given')::int8 AS notice_given
             FROM dwellings d
             JOIN properties p ON p.municipality_id = d.municipality_id AND p.id = d.property_id
            WHERE d.municipality_id = ANY($1) AND d.status NOT IN ('sold', 'to_be_sold')
            GROUP BY d.municipality_id, d.dwelling_type_id),
         ending AS (
           SELECT d.municipality_id, d.dwelling_type_id, count(DISTINCT d.id)::int8 AS ending
             FROM leases l JOIN dwellings d ON d.municipality_id = l.municipality_id AND d.id = l.dwelling_id
            WHERE l.municipality_id = ANY($1) AND l.status IN ('signed', 'active')
              AND l.ends_on BETWEEN $2 AND ($2 + interval '12 months')::date
              AND d.status NOT IN ('sold', 'to_be_sold')
            GROUP BY d.municipality_id, d.dwelling_type_id)
         SELECT t.name AS type_name, sum(u.units)::int8 AS units, sum(u.wheelchair)::int8 AS wheelchair,
                sum(u.step_free)::int8 AS step_free, sum(u.vacant)::int8 AS vacant,
                sum(u.notice_given)::int8 AS notice_given, coalesce(sum(e.ending), 0)::int8 AS ending
           FROM units u
           JOIN dwelling_types t ON t.municipality_id = u.municipality_id AND t.id = u.dwelling_type_id
           LEFT JOIN ending e ON e.municipality_id = u.municipality_id AND e.dwelling_type_id = u.dwelling_type_id
          GROUP BY t.name ORDER BY t.name",
    )
    .bind(visible)
    .bind(today)
    .fetch_all(conn)
    .await
}
