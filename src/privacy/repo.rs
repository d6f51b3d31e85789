//! SQL of data protection: everything held about one person (the access export), the
//! retention settings and the dry run of the retention schedule. Callers pass a
//! transaction scoped to the municipality; every query also names it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::auth::roles::MunicipalityRef;

#[derive(Serialize, sqlx::FromRow)]
pub struct Person {
    pub id: Uuid,
    pub national_id: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub street_address: String,
    pub postcode: String,
    pub postal_place: String,
    pub created_at: DateTime<Utc>,
    pub anonymised_on: Option<NaiveDate>,
}

#[derive(Serialize, sqlx::FromRow)]
pub struct Case {
    pub id: Uuid,
    pub case_number: String,
    pub is_applicant: bool,
    pub received_on: NaiveDate,
    pub status: String,
    pub channel: String,
    pub situation: String,
    pub situation_notes: String,
    pub wishes_notes: String,
    pub economy_notes: String,
    pub monthly_income_ore: Option<i64>,
    pub needs_wheelchair: bool,
    pub needs_ground_floor: bool,
    pub needs_home_followup: bool,
    pub care_level: String,
    pub consent_nav: bool,
    pub consent_health: bool,
    pub consent_other: String,
    pub interpreter_language: String,
    pub decided_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub status_reason: String,
    pub anonymised_on: Option<NaiveDate>,
}

#[derive(Serialize, sqlx::FromRow)]
pub struct Member {
    pub case_number: String,
    pub relation: String,
    pub is_person: bool,
}

#[derive(Serialize, sqlx::FromRow)]
pub struct Assessment {
    pub case_number: String,
    pub version_no: i32,
    pub created_at: DateTime<Utc>,
    pub housing_history: String,
    pub independence: String,
    pub independence_level: String,
    pub service_needs: String,
    pub health_social: String,
    pub conclusion: String,
}

#[derive(Serialize, sqlx::FromRow)]
pub struct JournalEvent {
    pub case_number: String,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub summary: String,
    pub detail: String,
}

#[derive(Serialize, sqlx::FromRow)]
pub struct Document {
    pub id: Uuid,
    pub case_number: String,
    pub title: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, sqlx::FromRow)]
pub struct Decision {
    pub id: Uuid,
    pub case_number: String,
    pub status: String,
    pub decided_on: Option<NaiveDate>,
    pub dispatched_on: Option<NaiveDate>,
    pub notified_on: Option<NaiveDate>,
    pub grounds_rules: String,
    pub grounds_facts: String,
    pub grounds_considerations: String,
}

#[derive(Serialize, sqlx::FromRow)]
pub struct Point {
    pub decision_id: Uuid,
    pub case_number: String,
    pub position: i32,
    pub kind: String,
    pub outcome: String,
    pub description: String,
    pub legal_basis: String,
    pub appeal_body: String,
    pub appeal_deadline: Option<NaiveDate>,
    pub conditions: String,
}

#[derive(Serialize, sqlx::FromRow)]
pub struct Appeal {
    pub id: Uuid,
    pub case_number: String,
    pub received_on: NaiveDate,
    pub appellant: String,
    pub summary: String,
    pub status: String,
    pub body_outcome: Option<String>,
    pub body_outcome_on: Option<NaiveDate>,
}

#[derive(Serialize, sqlx::FromRow)]
pub struct Offer {
    pub id: Uuid,
    pub case_number: String,
    pub offered_on: NaiveDate,
    pub answer_due: NaiveDate,
    pub status: String,
    pub answered_on: Option<NaiveDate>,
    pub decline_reason: String,
    pub rank_at_offer: i32,
    pub score_at_offer: i32,
}

#[derive(Serialize, sqlx::FromRow)]
pub struct MeetingItem {
    pub id: Uuid,
    pub case_number: String,
    pub meeting: String,
    pub starts_at: DateTime<Utc>,
    pub conclusion: Option<String>,
    pub conclusion_text: String,
}

#[derive(Serialize, sqlx::FromRow)]
pub struct Letter {
    pub id: Uuid,
    pub case_number: String,
    pub sent_on: NaiveDate,
    pub kind: String,
    pub title: String,
    pub channel: String,
    pub recipient: String,
    pub sha256: String,
}

#[derive(Serialize, sqlx::FromRow)]
pub struct Access {
    pub at: DateTime<Utc>,
    pub username: Option<String>,
    pub action: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
}

#[derive(Serialize)]
pub struct Export {
    pub municipality: String,
    pub generated_at: DateTime<Utc>,
    pub person: Person,
    pub cases: Vec<Case>,
    pub household: Vec<Member>,
    pub assessments: Vec<Assessment>,
    pub journal: Vec<JournalEvent>,
    pub documents: Vec<Document>,
    pub decisions: Vec<Decision>,
    pub decision_points: Vec<Point>,
    pub appeals: Vec<Appeal>,
    pub offers: Vec<Offer>,
    pub meeting_items: Vec<MeetingItem>,
    pub letters: Vec<Letter>,
    /// Who read or changed the person's records, newest first (the audit log).
    pub access_log: Vec<Access>,
}

/// Fetches one section: `sql` sees the municipality as $1 and the case ids as $2.
async fn section<T>(
    conn: &mut PgConnection,
    sql: &str,
    m: Uuid,
    cases: &[Uuid],
) -> sqlx::Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    sqlx::query_as(sql)
        .bind(m)
        .bind(cases)
        .fetch_all(conn)
        .await
}

/// Everything about `person` in municipality `m`; None when the person is not there.
/// Every query names the municipality as well as relying on row level security.
pub async fn gather(
    conn: &mut PgConnection,
    m: &MunicipalityRef,
    person: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Export>> {
    let found: Option<Person> = sqlx::query_as(
        "SELECT id, national_id, birth_date, name, phone, email, street_address, postcode,
                postal_place, created_at, anonymised_on
           FROM people WHERE municipality_id = $1 AND id = $2",
    )
    .bind(m.id)
    .bind(person)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(person) = found else {
        return Ok(None);
    };
    let cases: Vec<Case> = sqlx::query_as(
        "SELECT a.id, a.case_number, a.applicant_id = $2 AS is_applicant, a.received_on,
                a.status::text AS status, a.channel::text AS channel, a.situation::text AS situation,
                a.situation_notes, a.wishes_notes, a.economy_notes, a.monthly_income_ore,
                a.needs_wheelchair, a.needs_ground_floor, a.needs_home_followup, a.care_level,
                a.consent_nav, a.consent_health, a.consent_other, a.interpreter_language,
                a.decided_on, a.closed_on, a.status_reason, a.anonymised_on
           FROM applications a
          WHERE a.municipality_id = $1
            AND (a.applicant_id = $2
                 OR EXISTS (SELECT 1 FROM application_members am WHERE am.municipality_id = a.municipality_id
                              AND am.application_id = a.id AND am.person_id = $2))
          ORDER BY a.received_on, a.case_number",
    )
    .bind(m.id)
    .bind(person.id)
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = cases.iter().map(|c| c.id).collect();
    let household: Vec<Member> = sqlx::query_as(
        "SELECT a.case_number, am.relation::text AS relation, am.person_id = $3 AS is_person
           FROM application_members am
           JOIN applications a ON a.municipality_id = am.municipality_id AND a.id = am.application_id
          WHERE am.municipality_id = $1 AND am.application_id = ANY($2)
          ORDER BY a.case_number, am.added_at",
    )
    .bind(m.id)
    .bind(&ids)
    .bind(person.id)
    .fetch_all(&mut *conn)
    .await?;
    let c = &mut *conn;
    let assessments: Vec<Assessment> = section(
        c,
        "SELECT a.case_number, s.version_no, s.created_at, s.housing_history, s.independence,
                s.independence_level, s.service_needs, s.health_social, s.conclusion
           FROM assessments s JOIN applications a ON a.municipality_id = s.municipality_id AND a.id = s.application_id
          WHERE s.municipality_id = $1 AND s.application_id = ANY($2) ORDER BY a.case_number, s.version_no",
        m.id,
        &ids,
    )
    .await?;
    let journal: Vec<JournalEvent> = section(
        c,
        "SELECT a.case_number, e.at, e.kind, e.summary, e.detail
           FROM application_events e JOIN applications a ON a.municipality_id = e.municipality_id AND a.id = e.application_id
          WHERE e.municipality_id = $1 AND e.application_id = ANY($2) ORDER BY e.at, e.id",
        m.id,
        &ids,
    )
    .await?;
    let documents: Vec<Document> = section(
        c,
        "SELECT d.id, a.case_number, d.title, d.filename, d.content_type, d.size_bytes, d.created_at
           FROM application_documents d JOIN applications a ON a.municipality_id = d.municipality_id AND a.id = d.application_id
          WHERE d.municipality_id = $1 AND d.application_id = ANY($2) ORDER BY d.created_at, d.id",
        m.id,
        &ids,
    )
    .await?;
    let decisions: Vec<Decision> = section(
        c,
        "SELECT d.id, a.case_number, d.status::text AS status, d.decided_on, d.dispatched_on, d.notified_on,
                d.grounds_rules, d.grounds_facts, d.grounds_considerations
           FROM decisions d JOIN applications a ON a.municipality_id = d.municipality_id AND a.id = d.application_id
          WHERE d.municipality_id = $1 AND d.application_id = ANY($2) ORDER BY d.created_at, d.id",
        m.id,
        &ids,
    )
    .await?;
    let decision_points: Vec<Point> = section(
        c,
        "SELECT p.decision_id, a.case_number, p.position, k.name AS kind, p.outcome::text AS outcome,
                p.description, p.legal_basis, p.appeal_body, p.appeal_deadline, p.conditions
           FROM decision_points p
           JOIN decisions d ON d.municipality_id = p.municipality_id AND d.id = p.decision_id
           JOIN applications a ON a.municipality_id = d.municipality_id AND a.id = d.application_id
           JOIN decision_kinds k ON k.municipality_id = p.municipality_id AND k.id = p.kind_id
          WHERE p.municipality_id = $1 AND d.application_id = ANY($2) ORDER BY d.created_at, d.id, p.position",
        m.id,
        &ids,
    )
    .await?;
    let appeals: Vec<Appeal> = section(
        c,
        "SELECT ap.id, a.case_number, ap.received_on, ap.appellant, ap.summary, ap.status::text AS status,
                ap.body_outcome::text AS body_outcome, ap.body_outcome_on
           FROM appeals ap
           JOIN decisions d ON d.municipality_id = ap.municipality_id AND d.id = ap.decision_id
           JOIN applications a ON a.municipality_id = d.municipality_id AND a.id = d.application_id
          WHERE ap.municipality_id = $1 AND d.application_id = ANY($2) ORDER BY ap.received_on, ap.id",
        m.id,
        &ids,
    )
    .await?;
    let offers: Vec<Offer> = section(
        c,
        "SELECT o.id, a.case_number, o.offered_on, o.answer_due, o.status, o.answered_on, o.decline_reason,
                o.rank_at_offer, o.score_at_offer
           FROM offers o JOIN applications a ON a.municipality_id = o.municipality_id AND a.id = o.application_id
          WHERE o.municipality_id = $1 AND o.application_id = ANY($2) ORDER BY o.offered_on, o.id",
        m.id,
        &ids,
    )
    .await?;
    let meeting_items: Vec<MeetingItem> = section(
        c,
        "SELECT i.id, a.case_number, mt.title AS meeting, mt.starts_at, i.conclusion::text AS conclusion,
                i.conclusion_text
           FROM meeting_items i
           JOIN meetings mt ON mt.municipality_id = i.municipality_id AND mt.id = i.meeting_id
           LEFT JOIN appeals ap ON ap.municipality_id = i.municipality_id AND ap.id = i.appeal_id
           LEFT JOIN decisions d ON d.municipality_id = ap.municipality_id AND d.id = ap.decision_id
           JOIN applications a ON a.municipality_id = i.municipality_id
                AND a.id = coalesce(i.application_id, i.chosen_application_id, d.application_id)
          WHERE i.municipality_id = $1
            AND coalesce(i.application_id, i.chosen_application_id, d.application_id) = ANY($2)
          ORDER BY mt.starts_at, i.position",
        m.id,
        &ids,
    )
    .await?;
    let letters: Vec<Letter> = section(
        c,
        "SELECT l.id, a.case_number, l.sent_on, l.kind, l.title, l.channel, l.recipient, l.sha256
           FROM sent_letters l JOIN applications a ON a.municipality_id = l.municipality_id AND a.id = l.application_id
          WHERE l.municipality_id = $1 AND l.application_id = ANY($2) ORDER BY l.sent_at, l.id",
        m.id,
        &ids,
    )
    .await?;
    let mut records: Vec<String> = vec![person.id.to_string()];
    records.extend(ids.iter().map(Uuid::to_string));
    records.extend(decisions.iter().map(|d| d.id.to_string()));
    records.extend(appeals.iter().map(|a| a.id.to_string()));
    records.extend(offers.iter().map(|o| o.id.to_string()));
    records.extend(letters.iter().map(|l| l.id.to_string()));
    records.extend(documents.iter().map(|d| d.id.to_string()));
    records.extend(meeting_items.iter().map(|i| i.id.to_string()));
    let case_ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    let access_log: Vec<Access> = sqlx::query_as(
        "SELECT at, username, action, entity_type, entity_id
           FROM audit_events
          WHERE municipality_id = $1
            AND (entity_id = ANY($2)
                 OR (details -> 'applications') ?| $3
                 OR details ->> 'application' = ANY($3))
          ORDER BY at DESC, id DESC",
    )
    .bind(m.id)
    .bind(&records)
    .bind(&case_ids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(Export {
        municipality: m.name.clone(),
        generated_at: now,
        person,
        cases,
        household,
        assessments,
        journal,
        documents,
        decisions,
        decision_points,
        appeals,
        offers,
        meeting_items,
        letters,
        access_log,
    }))
}

/// The person with this national identity number in municipality `m`.
pub async fn person_by_national_id(
    conn: &mut PgConnection,
    m: Uuid,
    national_id: &str,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT id FROM people WHERE municipality_id = $1 AND national_id = $2")
        .bind(m)
        .bind(national_id)
        .fetch_optional(conn)
        .await
}

// ----- Retention ------------------------------------------------------------------------

/// The retention period in years and the settings' version.
pub async fn retention_years(conn: &mut PgConnection, m: Uuid) -> sqlx::Result<(i32, i32)> {
    sqlx::query_as(
        "SELECT retention_years, version FROM municipality_settings WHERE municipality_id = $1",
    )
    .bind(m)
    .fetch_one(conn)
    .await
}

/// Sets the retention period if the settings are still at `version`; the period before,
/// or None on a stale edit.
pub async fn set_retention_years(
    conn: &mut PgConnection,
    m: Uuid,
    version: i32,
    years: i32,
    by: Uuid,
) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar(
        "UPDATE municipality_settings s SET retention_years = $3, version = s.version + 1,
                updated_at = now(), updated_by = $4
           FROM (SELECT retention_years FROM municipality_settings WHERE municipality_id = $1) old
          WHERE s.municipality_id = $1 AND s.version = $2
         RETURNING old.retention_years",
    )
    .bind(m)
    .bind(version)
    .bind(years)
    .bind(by)
    .fetch_optional(conn)
    .await
}

#[derive(sqlx::FromRow)]
pub struct Due {
    pub application_id: Uuid,
    pub case_number: String,
    pub status: String,
    pub ended_on: NaiveDate,
    pub due_on: NaiveDate,
}

#[derive(sqlx::FromRow)]
pub struct DueCounts {
    pub due: i64,
    pub next_year: i64,
}

/// How many cases are due by `today`, and how many become due within the year after.
pub async fn due_counts(
    conn: &mut PgConnection,
    m: Uuid,
    today: NaiveDate,
) -> sqlx::Result<DueCounts> {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE due_on <= $2) AS due,
                count(*) FILTER (WHERE due_on > $2 AND due_on <= ($2 + interval '1 year')::date) AS next_year
           FROM bosak_retention_schedule() WHERE municipality_id = $1",
    )
    .bind(m)
    .bind(today)
    .fetch_one(conn)
    .await
}

/// How many ended leases are due by `today` (`bosak_lease_retention_schedule()`).
pub async fn leases_due_count(
    conn: &mut PgConnection,
    m: Uuid,
    today: NaiveDate,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM bosak_lease_retention_schedule()
          WHERE municipality_id = $1 AND due_on <= $2",
    )
    .bind(m)
    .bind(today)
    .fetch_one(conn)
    .await
}

/// The cases due by `today`, by due date, keyset-paginated after (due date, id).
pub async fn due(
    conn: &mut PgConnection,
    m: Uuid,
    today: NaiveDate,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<Due>> {
    let (from_day, from_id) = after.unzip();
    sqlx::query_as(
        "SELECT application_id, case_number, status::text AS status, ended_on, due_on
           FROM bosak_retention_schedule()
          WHERE municipality_id = $1 AND due_on <= $2
            AND ($3::date IS NULL OR (due_on, application_id) > ($3, $4))
          ORDER BY due_on, application_id
          LIMIT $5",
    )
    .bind(m)
    .bind(today)
    .bind(from_day)
    .bind(from_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Runs the anonymisation over the owning role's connection: every case whose retention
/// ran out by `today`; returns (municipality, application, case number) of each.
pub async fn anonymise_due(
    conn: &mut PgConnection,
    today: NaiveDate,
) -> sqlx::Result<Vec<(Uuid, Uuid, String)>> {
    sqlx::query_as(
        "SELECT municipality_id, application_id, case_number FROM bosak_anonymise_due($1)",
    )
    .bind(today)
    .fetch_all(conn)
    .await
}
