//! SQL for decisions, decision points, decision kinds, standard paragraphs and appeals.
//! Callers pass transactions from `Ctx`; row level security is the floor under the
//! explicit municipality filters here.

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use super::model::{Outcome, Status};

/// The decision kinds of DOMAIN.md §6, seeded for every municipality.
const DEFAULT_KINDS: &[(&str, &str, &str, &str, i32, bool)] = &[
    (
        "municipal_dwelling",
        "Kommunal bolig (tildeling, avslag eller forlengelse)",
        "Kommunens tildelingsregler for kommunale boliger, jf. lov om kommunenes ansvar på det boligsosiale feltet",
        "Kommunens klagenemnd (forvaltningsloven § 28 andre ledd)",
        3,
        true,
    ),
    (
        "housing_help",
        "Individuell hjelp til å skaffe eller beholde bolig",
        "Lov om kommunenes ansvar på det boligsosiale feltet §§ 6–8",
        "Statsforvalteren",
        3,
        false,
    ),
    (
        "temporary_accommodation",
        "Midlertidig botilbud",
        "Lov om sosiale tjenester i NAV § 27",
        "Statsforvalteren",
        3,
        false,
    ),
    (
        "nav_social_services",
        "Andre sosiale tjenester fra NAV",
        "Lov om sosiale tjenester i NAV",
        "Statsforvalteren",
        3,
        false,
    ),
    (
        "health_care_at_home",
        "Helse- og omsorgstjenester i hjemmet",
        "Helse- og omsorgstjenesteloven § 3-2 og § 3-7, jf. pasient- og brukerrettighetsloven § 7-5",
        "Statsforvalteren",
        4,
        false,
    ),
];

const DEFAULT_PARAGRAPHS: &[(&str, &str, &str)] = &[
    (
        "rules",
        "Tildeling av kommunal bolig",
        "Kommunen skal etter lov om kommunenes ansvar på det boligsosiale feltet gi individuelt tilpasset hjelp til vanskeligstilte på boligmarkedet. Det er ikke rett til kommunal bolig. {kommune} kommune tildeler boliger etter kriterier vedtatt av kommunestyret, der det legges vekt på behovet for tjenester, evnen til å bo selvstendig og muligheten til å skaffe bolig på egen hånd.",
    ),
    (
        "rules",
        "Midlertidig botilbud",
        "Etter lov om sosiale tjenester i NAV § 27 skal kommunen finne midlertidig botilbud for dem som ikke klarer det selv.",
    ),
    (
        "facts",
        "Opplysninger fra søknaden",
        "Vi har lagt til grunn opplysningene i søknaden din mottatt {mottatt} (saksnummer {saksnummer}) og kartleggingen vi har gjort sammen med deg.",
    ),
    (
        "considerations",
        "Vurdering av behov",
        "Vi har vurdert hvor stort behovet ditt er sammenlignet med andre søkere, om du har mulighet til å skaffe bolig selv, og hvilken type bolig som passer for deg og husstanden din.",
    ),
];

/// Seeds the default kinds and standard paragraphs once (idempotent).
pub async fn ensure_defaults(conn: &mut PgConnection, municipality: Uuid) -> sqlx::Result<()> {
    for (i, (code, name, basis, body, weeks, dwelling)) in DEFAULT_KINDS.iter().enumerate() {
        sqlx::query(
            "INSERT INTO decision_kinds (municipality_id, id, code, name, legal_basis, appeal_body, appeal_weeks, is_dwelling, sort_order)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (municipality_id, code) DO NOTHING",
        )
        .bind(municipality)
        .bind(Uuid::now_v7())
        .bind(code)
        .bind(name)
        .bind(basis)
        .bind(body)
        .bind(weeks)
        .bind(dwelling)
        .bind((i as i32 + 1) * 10)
        .execute(&mut *conn)
        .await?;
    }
    let any: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM standard_paragraphs WHERE municipality_id = $1)",
    )
    .bind(municipality)
    .fetch_one(&mut *conn)
    .await?;
    if !any {
        for (part, title, body) in DEFAULT_PARAGRAPHS {
            sqlx::query("INSERT INTO standard_paragraphs (municipality_id, id, part, title, body) VALUES ($1, $2, $3, $4, $5)")
                .bind(municipality)
                .bind(Uuid::now_v7())
                .bind(part)
                .bind(title)
                .bind(body)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Kind {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub legal_basis: String,
    pub appeal_body: String,
    pub appeal_weeks: i32,
    pub is_dwelling: bool,
    pub active: bool,
}

pub async fn kinds(conn: &mut PgConnection, municipality: Uuid) -> sqlx::Result<Vec<Kind>> {
    sqlx::query_as(
        "SELECT id, code, name, legal_basis, appeal_body, appeal_weeks, is_dwelling, active
           FROM decision_kinds WHERE municipality_id = $1 ORDER BY sort_order, name",
    )
    .bind(municipality)
    .fetch_all(conn)
    .await
}

pub async fn add_kind(
    conn: &mut PgConnection,
    municipality: Uuid,
    k: &Kind,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "INSERT INTO decision_kinds (municipality_id, id, code, name, legal_basis, appeal_body, appeal_weeks, is_dwelling, sort_order)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1000)
         ON CONFLICT (municipality_id, code) DO NOTHING RETURNING id",
    )
    .bind(municipality)
    .bind(Uuid::now_v7())
    .bind(&k.code)
    .bind(&k.name)
    .bind(&k.legal_basis)
    .bind(&k.appeal_body)
    .bind(k.appeal_weeks)
    .bind(k.is_dwelling)
    .fetch_optional(conn)
    .await
}

pub async fn set_kind_active(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    active: bool,
) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE decision_kinds SET active = $3, version = version + 1 WHERE municipality_id = $1 AND id = $2")
        .bind(municipality)
        .bind(id)
        .bind(active)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Paragraph {
    pub id: Uuid,
    pub part: String,
    pub title: String,
    pub body: String,
    pub active: bool,
}

pub async fn paragraphs(
    conn: &mut PgConnection,
    municipality: Uuid,
) -> sqlx::Result<Vec<Paragraph>> {
    sqlx::query_as(
        "SELECT id, part, title, body, active FROM standard_paragraphs
          WHERE municipality_id = $1 ORDER BY part, title",
    )
    .bind(municipality)
    .fetch_all(conn)
    .await
}

pub async fn add_paragraph(
    conn: &mut PgConnection,
    municipality: Uuid,
    part: &str,
    title: &str,
    body: &str,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO standard_paragraphs (municipality_id, id, part, title, body) VALUES ($1, $2, $3, $4, $5)")
        .bind(municipality)
        .bind(id)
        .bind(part)
        .bind(title)
        .bind(body)
        .execute(conn)
        .await?;
    Ok(id)
}

pub async fn set_paragraph_active(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    active: bool,
) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE standard_paragraphs SET active = $3, version = version + 1 WHERE municipality_id = $1 AND id = $2")
        .bind(municipality)
        .bind(id)
        .bind(active)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Decision {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub application_id: Uuid,
    pub status: Status,
    pub author_id: Uuid,
    pub author_name: String,
    pub approver_id: Option<Uuid>,
    pub approver_name: Option<String>,
    pub submitted_by: Option<Uuid>,
    pub grounds_rules: String,
    pub grounds_facts: String,
    pub grounds_considerations: String,
    pub no_objection_expected: bool,
    pub representative: String,
    pub replaces_id: Option<Uuid>,
    pub replaced_by_id: Option<Uuid>,
    pub decided_on: Option<NaiveDate>,
    pub dispatched_on: Option<NaiveDate>,
    pub channel: Option<String>,
    pub notified_on: Option<NaiveDate>,
    pub grounds_requested_on: Option<NaiveDate>,
    pub grounds_given_on: Option<NaiveDate>,
    pub closed_without_appeal: bool,
    pub version: i32,
}

const DECISION_COLUMNS: &str = "d.municipality_id, d.id, d.application_id, d.status, d.author_id,
    au.display_name AS author_name, d.approver_id, ap.display_name AS approver_name, d.submitted_by,
    d.grounds_rules, d.grounds_facts, d.grounds_considerations, d.no_objection_expected,
    d.representative, d.replaces_id,
    (SELECT r.id FROM decisions r WHERE r.municipality_id = d.municipality_id AND r.replaces_id = d.id) AS replaced_by_id,
    d.decided_on, d.dispatched_on, d.channel, d.notified_on, d.grounds_requested_on,
    d.grounds_given_on, d.closed_without_appeal, d.version";

pub async fn decision(
    conn: &mut PgConnection,
    visible: &[Uuid],
    id: Uuid,
) -> sqlx::Result<Option<Decision>> {
    sqlx::query_as(&format!(
        "SELECT {DECISION_COLUMNS}
           FROM decisions d
           JOIN users au ON au.id = d.author_id
           LEFT JOIN users ap ON ap.id = d.approver_id
          WHERE d.municipality_id = ANY($1) AND d.id = $2"
    ))
    .bind(visible)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn decisions_of_application(
    conn: &mut PgConnection,
    municipality: Uuid,
    application: Uuid,
) -> sqlx::Result<Vec<Decision>> {
    sqlx::query_as(&format!(
        "SELECT {DECISION_COLUMNS}
           FROM decisions d
           JOIN users au ON au.id = d.author_id
           LEFT JOIN users ap ON ap.id = d.approver_id
          WHERE d.municipality_id = $1 AND d.application_id = $2
          ORDER BY d.created_at"
    ))
    .bind(municipality)
    .bind(application)
    .fetch_all(conn)
    .await
}

/// Locks sent decision `id` against a concurrent correction and returns the correction
/// that exists now (read after the lock, so a colleague's committed one is seen: two
/// corrections started at once make one).
pub async fn lock_for_correction(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query("SELECT 1 FROM decisions WHERE municipality_id = $1 AND id = $2 FOR UPDATE")
        .bind(municipality)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query_scalar("SELECT id FROM decisions WHERE municipality_id = $1 AND replaces_id = $2")
        .bind(municipality)
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn insert_decision(
    conn: &mut PgConnection,
    municipality: Uuid,
    application: Uuid,
    author: Uuid,
    replaces: Option<Uuid>,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO decisions (municipality_id, id, application_id, author_id, replaces_id) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(municipality)
    .bind(id)
    .bind(application)
    .bind(author)
    .bind(replaces)
    .execute(conn)
    .await?;
    Ok(id)
}

/// Claims the decision at `version` while it is still editable; false on a stale edit or
/// when it has been sent meanwhile.
pub async fn bump_version(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    version: i32,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE decisions SET version = version + 1, updated_at = now()
          WHERE municipality_id = $1 AND id = $2 AND version = $3 AND status <> 'sent'",
    )
    .bind(municipality)
    .bind(id)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[allow(clippy::too_many_arguments)]
pub async fn save_grounds(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    rules: &str,
    facts: &str,
    considerations: &str,
    no_objection: bool,
    representative: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE decisions SET grounds_rules = $3, grounds_facts = $4, grounds_considerations = $5,
                no_objection_expected = $6, representative = $7
          WHERE municipality_id = $1 AND id = $2",
    )
    .bind(municipality)
    .bind(id)
    .bind(rules)
    .bind(facts)
    .bind(considerations)
    .bind(no_objection)
    .bind(representative)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_status(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    status: Status,
    submitted_by: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE decisions SET status = $3, submitted_by = $4 WHERE municipality_id = $1 AND id = $2")
        .bind(municipality)
        .bind(id)
        .bind(status)
        .bind(submitted_by)
        .execute(conn)
        .await?;
    Ok(())
}

pub struct Dispatch {
    pub approver: Uuid,
    pub decided_on: NaiveDate,
    pub dispatched_on: NaiveDate,
    pub channel: &'static str,
    pub notified_on: NaiveDate,
}

pub async fn mark_sent(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    d: &Dispatch,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE decisions SET status = 'sent', approver_id = $3, decided_on = $4, dispatched_on = $5,
                channel = $6, notified_on = $7
          WHERE municipality_id = $1 AND id = $2",
    )
    .bind(municipality)
    .bind(id)
    .bind(d.approver)
    .bind(d.decided_on)
    .bind(d.dispatched_on)
    .bind(d.channel)
    .bind(d.notified_on)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a request for grounds (fvl. § 24) on a sent decision at `version`: the appeal
/// deadlines of its points that are still open on `requested_on` stop running (NULL) until
/// the grounds are given; a deadline that had passed stays passed. False on a
/// stale edit or when grounds were already requested (once per decision).
pub async fn request_grounds(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    version: i32,
    requested_on: NaiveDate,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE decisions SET grounds_requested_on = $4, version = version + 1, updated_at = now()
          WHERE municipality_id = $1 AND id = $2 AND version = $3 AND status = 'sent'
            AND grounds_requested_on IS NULL",
    )
    .bind(municipality)
    .bind(id)
    .bind(version)
    .bind(requested_on)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE decision_points SET appeal_deadline = NULL
          WHERE municipality_id = $1 AND decision_id = $2 AND appeal_deadline >= $3",
    )
    .bind(municipality)
    .bind(id)
    .bind(requested_on)
    .execute(conn)
    .await?;
    Ok(true)
}

/// Records that the requested grounds were given; the caller sets the new deadlines.
pub async fn grounds_given(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    version: i32,
    given_on: NaiveDate,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE decisions SET grounds_given_on = $4, version = version + 1, updated_at = now()
          WHERE municipality_id = $1 AND id = $2 AND version = $3 AND status = 'sent'
            AND grounds_requested_on IS NOT NULL AND grounds_given_on IS NULL",
    )
    .bind(municipality)
    .bind(id)
    .bind(version)
    .bind(given_on)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_point_deadline(
    conn: &mut PgConnection,
    municipality: Uuid,
    point: Uuid,
    deadline: NaiveDate,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE decision_points SET appeal_deadline = $3 WHERE municipality_id = $1 AND id = $2",
    )
    .bind(municipality)
    .bind(point)
    .bind(deadline)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Point {
    pub id: Uuid,
    pub position: i32,
    pub kind_id: Uuid,
    pub kind_name: String,
    pub kind_is_dwelling: bool,
    pub default_legal_basis: String,
    pub default_appeal_body: String,
    pub default_appeal_weeks: i32,
    pub outcome: Outcome,
    pub description: String,
    pub dwelling_type_ids: Vec<Uuid>,
    pub rooms: Option<i32>,
    pub lease_months: Option<i32>,
    pub needs_ground_floor_or_lift: bool,
    pub extent: String,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    pub conditions: String,
    pub legal_basis: String,
    pub appeal_body: String,
    pub appeal_weeks: i32,
    pub override_reason: String,
    pub appeal_deadline: Option<NaiveDate>,
}

pub async fn points(
    conn: &mut PgConnection,
    municipality: Uuid,
    decision: Uuid,
) -> sqlx::Result<Vec<Point>> {
    sqlx::query_as(
        "SELECT p.id, p.position, p.kind_id, k.name AS kind_name, k.is_dwelling AS kind_is_dwelling,
                k.legal_basis AS default_legal_basis, k.appeal_body AS default_appeal_body,
                k.appeal_weeks AS default_appeal_weeks, p.outcome, p.description, p.dwelling_type_ids,
                p.rooms, p.lease_months, p.needs_ground_floor_or_lift, p.extent, p.period_from,
                p.period_to, p.conditions, p.legal_basis, p.appeal_body, p.appeal_weeks,
                p.override_reason, p.appeal_deadline
           FROM decision_points p
           JOIN decision_kinds k ON k.municipality_id = p.municipality_id AND k.id = p.kind_id
          WHERE p.municipality_id = $1 AND p.decision_id = $2
          ORDER BY p.position",
    )
    .bind(municipality)
    .bind(decision)
    .fetch_all(conn)
    .await
}

/// A decision point as written by the caseworker.
#[derive(Clone, Debug, Default)]
pub struct PointInput {
    pub kind_id: Uuid,
    pub outcome: Option<Outcome>,
    pub description: String,
    pub dwelling_type_ids: Vec<Uuid>,
    pub rooms: Option<i32>,
    pub lease_months: Option<i32>,
    pub needs_ground_floor_or_lift: bool,
    pub extent: String,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    pub conditions: String,
    pub legal_basis: String,
    pub appeal_body: String,
    pub appeal_weeks: i32,
    pub override_reason: String,
}

pub async fn insert_point(
    conn: &mut PgConnection,
    municipality: Uuid,
    decision: Uuid,
    p: &PointInput,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO decision_points (municipality_id, id, decision_id, position, kind_id, outcome, description,
                dwelling_type_ids, rooms, lease_months, needs_ground_floor_or_lift, extent, period_from, period_to,
                conditions, legal_basis, appeal_body, appeal_weeks, override_reason)
         VALUES ($1, $2, $3,
                 (SELECT coalesce(max(position), 0) + 1 FROM decision_points WHERE municipality_id = $1 AND decision_id = $3),
                 $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(municipality)
    .bind(id)
    .bind(decision)
    .bind(p.kind_id)
    .bind(p.outcome.unwrap_or(Outcome::Granted))
    .bind(&p.description)
    .bind(&p.dwelling_type_ids)
    .bind(p.rooms)
    .bind(p.lease_months)
    .bind(p.needs_ground_floor_or_lift)
    .bind(&p.extent)
    .bind(p.period_from)
    .bind(p.period_to)
    .bind(&p.conditions)
    .bind(&p.legal_basis)
    .bind(&p.appeal_body)
    .bind(p.appeal_weeks)
    .bind(&p.override_reason)
    .execute(conn)
    .await?;
    Ok(id)
}

pub async fn update_point(
    conn: &mut PgConnection,
    municipality: Uuid,
    decision: Uuid,
    point: Uuid,
    p: &PointInput,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE decision_points SET kind_id = $4, outcome = $5, description = $6, dwelling_type_ids = $7, rooms = $8,
                lease_months = $9, needs_ground_floor_or_lift = $10, extent = $11, period_from = $12, period_to = $13,
                conditions = $14, legal_basis = $15, appeal_body = $16, appeal_weeks = $17, override_reason = $18
          WHERE municipality_id = $1 AND decision_id = $2 AND id = $3",
    )
    .bind(municipality)
    .bind(decision)
    .bind(point)
    .bind(p.kind_id)
    .bind(p.outcome.unwrap_or(Outcome::Granted))
    .bind(&p.description)
    .bind(&p.dwelling_type_ids)
    .bind(p.rooms)
    .bind(p.lease_months)
    .bind(p.needs_ground_floor_or_lift)
    .bind(&p.extent)
    .bind(p.period_from)
    .bind(p.period_to)
    .bind(&p.conditions)
    .bind(&p.legal_basis)
    .bind(&p.appeal_body)
    .bind(p.appeal_weeks)
    .bind(&p.override_reason)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn delete_point(
    conn: &mut PgConnection,
    municipality: Uuid,
    decision: Uuid,
    point: Uuid,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "DELETE FROM decision_points WHERE municipality_id = $1 AND decision_id = $2 AND id = $3",
    )
    .bind(municipality)
    .bind(decision)
    .bind(point)
    .execute(&mut *conn)
    .await?;
    // Keep positions 1..n.
    sqlx::query(
        "UPDATE decision_points p SET position = n.rn + 100
           FROM (SELECT id, row_number() OVER (ORDER BY position) AS rn FROM decision_points
                  WHERE municipality_id = $1 AND decision_id = $2) n
          WHERE p.municipality_id = $1 AND p.id = n.id",
    )
    .bind(municipality)
    .bind(decision)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE decision_points SET position = position - 100 WHERE municipality_id = $1 AND decision_id = $2 AND position > 100")
        .bind(municipality)
        .bind(decision)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Copies the points of `from` into `to` (a correction or a reversal starts from the old
/// decision's content).
pub async fn copy_points(
    conn: &mut PgConnection,
    municipality: Uuid,
    from: Uuid,
    to: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO decision_points (municipality_id, id, decision_id, position, kind_id, outcome, description,
                dwelling_type_ids, rooms, lease_months, needs_ground_floor_or_lift, extent, period_from, period_to,
                conditions, legal_basis, appeal_body, appeal_weeks, override_reason)
         SELECT municipality_id, gen_random_uuid(), $3, position, kind_id, outcome, description, dwelling_type_ids, rooms,
                lease_months, needs_ground_floor_or_lift, extent, period_from, period_to, conditions, legal_basis,
                appeal_body, appeal_weeks, override_reason
           FROM decision_points WHERE municipality_id = $1 AND decision_id = $2",
    )
    .bind(municipality)
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE decisions t SET grounds_rules = f.grounds_rules, grounds_facts = f.grounds_facts,
                grounds_considerations = f.grounds_considerations, representative = f.representative
           FROM decisions f
          WHERE f.municipality_id = $1 AND f.id = $2 AND t.municipality_id = $1 AND t.id = $3",
    )
    .bind(municipality)
    .bind(from)
    .bind(to)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Appeal {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub decision_id: Uuid,
    pub application_id: Uuid,
    pub case_number: String,
    pub received_on: NaiveDate,
    pub posted_on: Option<NaiveDate>,
    pub received_how: String,
    pub appellant: String,
    pub summary: String,
    pub late_reason: String,
    pub status: String,
    pub reconsidered_on: Option<NaiveDate>,
    pub reversing_decision_id: Option<Uuid>,
    pub forwarded_on: Option<NaiveDate>,
    pub forwarding_note: String,
    pub body_outcome: Option<String>,
    pub body_outcome_on: Option<NaiveDate>,
    pub body_outcome_note: String,
    pub late_decision: Option<String>,
    pub late_assessed_on: Option<NaiveDate>,
    pub late_interest: String,
    pub late_assessment: String,
    pub dismissal_dispatched_on: Option<NaiveDate>,
    pub dismissal_notified_on: Option<NaiveDate>,
    pub dismissal_deadline: Option<NaiveDate>,
    pub dismissal_letter_id: Option<Uuid>,
    pub version: i32,
    pub point_ids: Vec<Uuid>,
}

const APPEAL_COLUMNS: &str = "ap.municipality_id, ap.id, ap.decision_id, d.application_id, a.case_number,
    ap.received_on, ap.posted_on, ap.received_how, ap.appellant, ap.summary, ap.late_reason,
    ap.status::text AS status, ap.reconsidered_on, ap.reversing_decision_id, ap.forwarded_on,
    ap.forwarding_note, ap.body_outcome::text AS body_outcome, ap.body_outcome_on,
    ap.body_outcome_note, ap.late_decision, ap.late_assessed_on, ap.late_interest,
    ap.late_assessment, ap.dismissal_dispatched_on, ap.dismissal_notified_on,
    ap.dismissal_deadline, ap.dismissal_letter_id, ap.version,
    ARRAY(SELECT pp.point_id FROM appeal_points pp WHERE pp.municipality_id = ap.municipality_id AND pp.appeal_id = ap.id) AS point_ids";

pub async fn appeal(
    conn: &mut PgConnection,
    visible: &[Uuid],
    id: Uuid,
) -> sqlx::Result<Option<Appeal>> {
    sqlx::query_as(&format!(
        "SELECT {APPEAL_COLUMNS}
           FROM appeals ap
           JOIN decisions d ON d.municipality_id = ap.municipality_id AND d.id = ap.decision_id
           JOIN applications a ON a.municipality_id = d.municipality_id AND a.id = d.application_id
          WHERE ap.municipality_id = ANY($1) AND ap.id = $2"
    ))
    .bind(visible)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn appeals_of_decision(
    conn: &mut PgConnection,
    municipality: Uuid,
    decision: Uuid,
) -> sqlx::Result<Vec<Appeal>> {
    sqlx::query_as(&format!(
        "SELECT {APPEAL_COLUMNS}
           FROM appeals ap
           JOIN decisions d ON d.municipality_id = ap.municipality_id AND d.id = ap.decision_id
           JOIN applications a ON a.municipality_id = d.municipality_id AND a.id = d.application_id
          WHERE ap.municipality_id = $1 AND ap.decision_id = $2
          ORDER BY ap.received_on, ap.id"
    ))
    .bind(municipality)
    .bind(decision)
    .fetch_all(conn)
    .await
}

#[derive(Debug)]
pub struct AppealInput {
    pub received_on: NaiveDate,
    pub posted_on: Option<NaiveDate>,
    pub received_how: String,
    pub appellant: String,
    pub summary: String,
    pub late_reason: String,
    pub points: Vec<Uuid>,
}

pub async fn insert_appeal(
    conn: &mut PgConnection,
    municipality: Uuid,
    decision: Uuid,
    a: &AppealInput,
    by: Uuid,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO appeals (municipality_id, id, decision_id, received_on, posted_on, received_how, appellant, summary, late_reason, registered_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(municipality)
    .bind(id)
    .bind(decision)
    .bind(a.received_on)
    .bind(a.posted_on)
    .bind(&a.received_how)
    .bind(&a.appellant)
    .bind(&a.summary)
    .bind(&a.late_reason)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    for p in &a.points {
        sqlx::query(
            "INSERT INTO appeal_points (municipality_id, appeal_id, point_id) VALUES ($1, $2, $3)",
        )
        .bind(municipality)
        .bind(id)
        .bind(p)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// Claims the appeal at `version`; false on a stale edit.
pub async fn bump_appeal(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    version: i32,
) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE appeals SET version = version + 1 WHERE municipality_id = $1 AND id = $2 AND version = $3")
        .bind(municipality)
        .bind(id)
        .bind(version)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// § 33: the appeal is being reversed; it stays open until `new_decision` is sent.
pub async fn appeal_reversing(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    on: NaiveDate,
    new_decision: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE appeals SET status = 'reversing', reconsidered_on = $3, reversing_decision_id = $4
          WHERE municipality_id = $1 AND id = $2",
    )
    .bind(municipality)
    .bind(id)
    .bind(on)
    .bind(new_decision)
    .execute(conn)
    .await?;
    Ok(())
}

/// The new decision reversing these appeals was sent: they are closed as reversed.
/// Returns the appeals closed.
pub async fn close_reversed_appeals(
    conn: &mut PgConnection,
    municipality: Uuid,
    new_decision: Uuid,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "UPDATE appeals SET status = 'reversed', version = version + 1
          WHERE municipality_id = $1 AND reversing_decision_id = $2 AND status = 'reversing'
         RETURNING id",
    )
    .bind(municipality)
    .bind(new_decision)
    .fetch_all(conn)
    .await
}

/// The § 31 assessment of a late appeal.
pub struct LateAssessment<'a> {
    pub on: NaiveDate,
    pub by: Uuid,
    pub reason: &'a str,
    pub interest: &'a str,
    pub assessment: &'a str,
}

pub async fn appeal_taken_up(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    l: &LateAssessment<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE appeals SET late_decision = 'taken_up', late_assessed_on = $3, late_assessed_by = $4,
                late_reason = $5, late_interest = $6, late_assessment = $7
          WHERE municipality_id = $1 AND id = $2",
    )
    .bind(municipality)
    .bind(id)
    .bind(l.on)
    .bind(l.by)
    .bind(l.reason)
    .bind(l.interest)
    .bind(l.assessment)
    .execute(conn)
    .await?;
    Ok(())
}

/// The dismissal as sent: its dispatch, notification, own appeal deadline and letter.
pub struct Dismissal {
    pub dispatched_on: NaiveDate,
    pub channel: &'static str,
    pub notified_on: NaiveDate,
    pub deadline: NaiveDate,
    pub letter: Uuid,
}

pub async fn appeal_dismissed(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    l: &LateAssessment<'_>,
    dm: &Dismissal,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE appeals SET status = 'dismissed', late_decision = 'dismissed', late_assessed_on = $3,
                late_assessed_by = $4, late_reason = $5, late_interest = $6, late_assessment = $7,
                reconsidered_on = $3, dismissal_dispatched_on = $8, dismissal_channel = $9,
                dismissal_notified_on = $10, dismissal_deadline = $11, dismissal_letter_id = $12
          WHERE municipality_id = $1 AND id = $2",
    )
    .bind(municipality)
    .bind(id)
    .bind(l.on)
    .bind(l.by)
    .bind(l.reason)
    .bind(l.interest)
    .bind(l.assessment)
    .bind(dm.dispatched_on)
    .bind(dm.channel)
    .bind(dm.notified_on)
    .bind(dm.deadline)
    .bind(dm.letter)
    .execute(conn)
    .await?;
    Ok(())
}

/// One appealed point with its forwarding and its appeal body's outcome.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct AppealPoint {
    pub point_id: Uuid,
    pub position: i32,
    pub kind_name: String,
    pub appeal_body: String,
    pub forwarded_on: Option<NaiveDate>,
    pub forwarding_note: String,
    pub forwarding_letter_id: Option<Uuid>,
    pub body_outcome: Option<String>,
    pub body_outcome_on: Option<NaiveDate>,
    pub body_outcome_note: String,
}

pub async fn appeal_points(
    conn: &mut PgConnection,
    municipality: Uuid,
    appeal: Uuid,
) -> sqlx::Result<Vec<AppealPoint>> {
    sqlx::query_as(
        "SELECT pp.point_id, p.position, k.name AS kind_name, p.appeal_body, pp.forwarded_on,
                pp.forwarding_note, pp.forwarding_letter_id, pp.body_outcome::text AS body_outcome,
                pp.body_outcome_on, pp.body_outcome_note
           FROM appeal_points pp
           JOIN decision_points p ON p.municipality_id = pp.municipality_id AND p.id = pp.point_id
           JOIN decision_kinds k ON k.municipality_id = p.municipality_id AND k.id = p.kind_id
          WHERE pp.municipality_id = $1 AND pp.appeal_id = $2
          ORDER BY p.position",
    )
    .bind(municipality)
    .bind(appeal)
    .fetch_all(conn)
    .await
}

pub async fn points_forwarded(
    conn: &mut PgConnection,
    municipality: Uuid,
    appeal: Uuid,
    points: &[Uuid],
    on: NaiveDate,
    note: &str,
    letter: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE appeal_points SET forwarded_on = $4, forwarding_note = $5, forwarding_letter_id = $6
          WHERE municipality_id = $1 AND appeal_id = $2 AND point_id = ANY($3)",
    )
    .bind(municipality)
    .bind(appeal)
    .bind(points)
    .bind(on)
    .bind(note)
    .bind(letter)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn points_outcome(
    conn: &mut PgConnection,
    municipality: Uuid,
    appeal: Uuid,
    points: &[Uuid],
    outcome: &str,
    on: NaiveDate,
    note: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE appeal_points SET body_outcome = $4::appeal_body_outcome, body_outcome_on = $5,
                body_outcome_note = $6
          WHERE municipality_id = $1 AND appeal_id = $2 AND point_id = ANY($3)",
    )
    .bind(municipality)
    .bind(appeal)
    .bind(points)
    .bind(outcome)
    .bind(on)
    .bind(note)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn appeal_forwarded(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    on: NaiveDate,
    note: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE appeals SET status = 'forwarded', reconsidered_on = coalesce(reconsidered_on, $3),
                forwarded_on = coalesce(forwarded_on, $3),
                forwarding_note = CASE WHEN forwarding_note = '' THEN $4 ELSE forwarding_note END
          WHERE municipality_id = $1 AND id = $2",
    )
    .bind(municipality)
    .bind(id)
    .bind(on)
    .bind(note)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn appeal_outcome(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    outcome: &str,
    on: NaiveDate,
    note: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE appeals SET status = 'closed', body_outcome = $3::appeal_body_outcome, body_outcome_on = $4, body_outcome_note = $5
          WHERE municipality_id = $1 AND id = $2",
    )
    .bind(municipality)
    .bind(id)
    .bind(outcome)
    .bind(on)
    .bind(note)
    .execute(conn)
    .await?;
    Ok(())
}

/// The settings a decision needs: four-eyes, post delivery days, letterhead.
#[derive(sqlx::FromRow, Clone, Debug, Default)]
pub struct DecisionSettings {
    pub decisions_need_second_approver: bool,
    pub notification_post_days: i32,
}

pub async fn settings(
    conn: &mut PgConnection,
    municipality: Uuid,
) -> sqlx::Result<DecisionSettings> {
    Ok(sqlx::query_as(
        "SELECT decisions_need_second_approver, notification_post_days FROM municipality_settings WHERE municipality_id = $1",
    )
    .bind(municipality)
    .fetch_optional(conn)
    .await?
    .unwrap_or_default())
}

/// What allocation needs from the latest sent decision of each application on the waiting
/// list: the dwelling that was granted. Approved applicants enter the waiting list here.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct DwellingGrant {
    pub municipality_id: Uuid,
    pub application_id: Uuid,
    pub decision_id: Uuid,
    pub decided_on: NaiveDate,
    pub dwelling_type_ids: Vec<Uuid>,
    pub rooms: Option<i32>,
    pub needs_ground_floor_or_lift: bool,
}

/// Granted dwellings of the given applications' latest sent (not replaced) decisions.
pub async fn dwelling_grants(
    conn: &mut PgConnection,
    visible: &[Uuid],
    applications: &[Uuid],
) -> sqlx::Result<Vec<DwellingGrant>> {
    sqlx::query_as(
        "SELECT DISTINCT ON (d.municipality_id, d.application_id)
                d.municipality_id, d.application_id, d.id AS decision_id, d.decided_on,
                p.dwelling_type_ids, p.rooms, p.needs_ground_floor_or_lift
           FROM decisions d
           JOIN decision_points p ON p.municipality_id = d.municipality_id AND p.decision_id = d.id
           JOIN decision_kinds k ON k.municipality_id = p.municipality_id AND k.id = p.kind_id
          WHERE d.municipality_id = ANY($1) AND d.application_id = ANY($2) AND d.status = 'sent'
            AND k.is_dwelling AND p.outcome IN ('granted', 'partly_granted')
            AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.municipality_id = d.municipality_id
                             AND r.replaces_id = d.id AND r.status = 'sent')
          ORDER BY d.municipality_id, d.application_id, d.decided_on DESC, d.id DESC",
    )
    .bind(visible)
    .bind(applications)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Advance notices (fvl. § 16)

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct AdvanceNotice {
    pub id: Uuid,
    pub application_id: Uuid,
    pub intended: String,
    pub grounds: String,
    pub sent_on: NaiveDate,
    pub respond_by: NaiveDate,
    pub sent_by_name: String,
    pub letter_id: Uuid,
    pub answered_on: Option<NaiveDate>,
    pub answer_how: String,
    pub answer_summary: String,
    pub version: i32,
}

pub async fn advance_notices(
    conn: &mut PgConnection,
    municipality: Uuid,
    application: Uuid,
) -> sqlx::Result<Vec<AdvanceNotice>> {
    sqlx::query_as(
        "SELECT n.id, n.application_id, n.intended, n.grounds, n.sent_on, n.respond_by,
                u.display_name AS sent_by_name, n.letter_id, n.answered_on, n.answer_how,
                n.answer_summary, n.version
           FROM advance_notices n JOIN users u ON u.id = n.sent_by
          WHERE n.municipality_id = $1 AND n.application_id = $2
          ORDER BY n.sent_on DESC, n.created_at DESC",
    )
    .bind(municipality)
    .bind(application)
    .fetch_all(conn)
    .await
}

pub struct NewAdvanceNotice<'a> {
    pub id: Uuid,
    pub application_id: Uuid,
    pub intended: &'a str,
    pub grounds: &'a str,
    pub sent_on: NaiveDate,
    pub respond_by: NaiveDate,
    pub sent_by: Uuid,
    pub letter_id: Uuid,
}

pub async fn insert_advance_notice(
    conn: &mut PgConnection,
    municipality: Uuid,
    n: &NewAdvanceNotice<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO advance_notices (municipality_id, id, application_id, intended, grounds,
                sent_on, respond_by, sent_by, letter_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(municipality)
    .bind(n.id)
    .bind(n.application_id)
    .bind(n.intended)
    .bind(n.grounds)
    .bind(n.sent_on)
    .bind(n.respond_by)
    .bind(n.sent_by)
    .bind(n.letter_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the party's answer once; false on a stale version or an answered notice.
#[allow(clippy::too_many_arguments)]
pub async fn answer_advance_notice(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    version: i32,
    answered_on: NaiveDate,
    how: &str,
    summary: &str,
    by: Uuid,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE advance_notices SET answered_on = $4, answer_how = $5, answer_summary = $6,
                answered_by = $7, version = version + 1
          WHERE municipality_id = $1 AND id = $2 AND version = $3 AND answered_on IS NULL",
    )
    .bind(municipality)
    .bind(id)
    .bind(version)
    .bind(answered_on)
    .bind(how)
    .bind(summary)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn advance_notice_days(conn: &mut PgConnection, municipality: Uuid) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "SELECT advance_notice_days FROM municipality_settings WHERE municipality_id = $1",
    )
    .bind(municipality)
    .fetch_one(conn)
    .await
}

pub async fn set_advance_notice_days(
    conn: &mut PgConnection,
    municipality: Uuid,
    days: i32,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE municipality_settings SET advance_notice_days = $2 WHERE municipality_id = $1",
    )
    .bind(municipality)
    .bind(days)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Interim replies to appeals (fvl. § 11a)

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct InterimReply {
    pub id: Uuid,
    pub sent_on: NaiveDate,
    pub expected_on: Option<NaiveDate>,
    pub letter_id: Uuid,
}

pub async fn interim_replies(
    conn: &mut PgConnection,
    municipality: Uuid,
    appeal: Uuid,
) -> sqlx::Result<Vec<InterimReply>> {
    sqlx::query_as(
        "SELECT id, sent_on, expected_on, letter_id FROM appeal_interim_replies
          WHERE municipality_id = $1 AND appeal_id = $2 ORDER BY sent_on, created_at",
    )
    .bind(municipality)
    .bind(appeal)
    .fetch_all(conn)
    .await
}

/// An interim reply as sent: the promise it made and the archived letter.
pub struct NewInterimReply<'a> {
    pub appeal_id: Uuid,
    pub sent_on: NaiveDate,
    pub expected_on: Option<NaiveDate>,
    pub reason: &'a str,
    pub letter_id: Uuid,
    pub sent_by: Uuid,
}

pub async fn insert_interim_reply(
    conn: &mut PgConnection,
    municipality: Uuid,
    r: &NewInterimReply<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO appeal_interim_replies (municipality_id, id, appeal_id, sent_on, expected_on, reason, letter_id, sent_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(municipality)
    .bind(Uuid::now_v7())
    .bind(r.appeal_id)
    .bind(r.sent_on)
    .bind(r.expected_on)
    .bind(r.reason)
    .bind(r.letter_id)
    .bind(r.sent_by)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Lists

/// A decision in the lists of drafts and of sent decisions.
#[derive(sqlx::FromRow)]
pub struct ListRow {
    pub id: Uuid,
    pub municipality_id: Uuid,
    pub municipality: String,
    pub case_number: String,
    pub applicant: String,
    pub status: String,
    pub author: String,
    pub points: i64,
    pub refused: i64,
    pub dispatched_on: Option<NaiveDate>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Which decisions a list shows: sent ones (newest dispatch first) or the unsent
/// (last changed first), after the keyset cursor `(sort key as text, id)`.
pub struct ListFilter {
    pub sent: bool,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub after: Option<(String, Uuid)>,
    pub limit: i64,
}

/// Decisions waiting for approval (the start page's "Vedtak til godkjenning").
pub async fn count_awaiting_approval(
    conn: &mut PgConnection,
    visible: &[Uuid],
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM decisions
          WHERE municipality_id = ANY($1) AND status = 'ready_for_approval'",
    )
    .bind(visible)
    .fetch_one(conn)
    .await
}

pub async fn list_decisions(
    conn: &mut PgConnection,
    visible: &[Uuid],
    f: &ListFilter,
) -> sqlx::Result<Vec<ListRow>> {
    // Sort key as text so one keyset cursor serves both views.
    sqlx::query_as(
        "SELECT d.id, d.municipality_id, mu.name AS municipality, a.case_number, p.name AS applicant, d.status::text AS status,
                u.display_name AS author,
                (SELECT count(*) FROM decision_points dp WHERE dp.municipality_id = d.municipality_id AND dp.decision_id = d.id) AS points,
                (SELECT count(*) FROM decision_points dp WHERE dp.municipality_id = d.municipality_id AND dp.decision_id = d.id AND dp.outcome = 'refused') AS refused,
                d.dispatched_on, d.updated_at
           FROM decisions d
           JOIN municipalities mu ON mu.id = d.municipality_id
           JOIN applications a ON a.municipality_id = d.municipality_id AND a.id = d.application_id
           JOIN people p ON p.municipality_id = a.municipality_id AND p.id = a.applicant_id
           JOIN users u ON u.id = d.author_id
          WHERE d.municipality_id = ANY($1)
            AND (CASE WHEN $2 THEN d.status = 'sent' ELSE d.status <> 'sent' END)
            AND ($3::date IS NULL OR d.dispatched_on >= $3)
            AND ($4::date IS NULL OR d.dispatched_on <= $4)
            AND ($5::text IS NULL OR (CASE WHEN $2 THEN d.dispatched_on::text ELSE d.updated_at::text END, d.id) < ($5, $6))
          ORDER BY CASE WHEN $2 THEN d.dispatched_on::text ELSE d.updated_at::text END DESC, d.id DESC
          LIMIT $7",
    )
    .bind(visible)
    .bind(f.sent)
    .bind(f.from)
    .bind(f.to)
    .bind(f.after.as_ref().map(|c| c.0.clone()))
    .bind(f.after.as_ref().map(|c| c.1))
    .bind(f.limit)
    .fetch_all(conn)
    .await
}

#[derive(sqlx::FromRow)]
pub struct AppealRow {
    pub id: Uuid,
    pub municipality: String,
    pub case_number: String,
    pub appellant: String,
    pub received_on: NaiveDate,
    pub status: String,
    pub forwarded_on: Option<NaiveDate>,
    /// fvl. § 11a: the date by which an interim reply is owed, while the appeal is with us
    /// (a month after receipt until one is sent, then the date the last one promised).
    pub interim_due_on: Option<NaiveDate>,
}

/// The open appeals (registered, being reversed, forwarded), oldest first.
pub async fn open_appeals(
    conn: &mut PgConnection,
    visible: &[Uuid],
) -> sqlx::Result<Vec<AppealRow>> {
    sqlx::query_as(
        "SELECT ap.id, mu.name AS municipality, a.case_number, ap.appellant, ap.received_on,
                ap.status::text AS status, ap.forwarded_on,
                CASE WHEN ap.status IN ('registered', 'reversing')
                       OR (ap.status = 'forwarded' AND EXISTS (
                             SELECT 1 FROM appeal_points p WHERE p.municipality_id = ap.municipality_id
                                AND p.appeal_id = ap.id AND p.forwarded_on IS NULL)) THEN
                  CASE WHEN r.sent_on IS NULL THEN (ap.received_on + interval '1 month')::date
                       ELSE r.expected_on END
                END AS interim_due_on
           FROM appeals ap
           JOIN municipalities mu ON mu.id = ap.municipality_id
           LEFT JOIN LATERAL (
             SELECT i.sent_on, i.expected_on FROM appeal_interim_replies i
              WHERE i.municipality_id = ap.municipality_id AND i.appeal_id = ap.id
              ORDER BY i.sent_on DESC, i.created_at DESC LIMIT 1) r ON true
           JOIN decisions d ON d.municipality_id = ap.municipality_id AND d.id = ap.decision_id
           JOIN applications a ON a.municipality_id = d.municipality_id AND a.id = d.application_id
          WHERE ap.municipality_id = ANY($1) AND ap.status IN ('registered', 'reversing', 'forwarded')
          ORDER BY ap.received_on, ap.id
          LIMIT 500",
    )
    .bind(visible)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Periodic work

/// Closes the fully refused decisions whose every appeal deadline passed before `today`
/// without an appeal or a correction: (municipality, decision, application) of each.
pub async fn close_expired_refusals(
    conn: &mut PgConnection,
    today: NaiveDate,
) -> sqlx::Result<Vec<(Uuid, Uuid, Uuid)>> {
    sqlx::query_as(
        "UPDATE decisions d SET closed_without_appeal = true
          WHERE d.status = 'sent' AND NOT d.closed_without_appeal
            AND NOT EXISTS (SELECT 1 FROM decision_points p WHERE p.municipality_id = d.municipality_id
                             AND p.decision_id = d.id AND (p.outcome <> 'refused' OR p.appeal_deadline IS NULL OR p.appeal_deadline >= $1))
            AND EXISTS (SELECT 1 FROM decision_points p WHERE p.municipality_id = d.municipality_id AND p.decision_id = d.id)
            AND NOT EXISTS (SELECT 1 FROM appeals a WHERE a.municipality_id = d.municipality_id AND a.decision_id = d.id)
            AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.municipality_id = d.municipality_id AND r.replaces_id = d.id)
         RETURNING d.municipality_id, d.id, d.application_id",
    )
    .bind(today)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// The loader

crate::web::load::located!(Decision => decision);

crate::web::load::located!(Appeal => appeal);
