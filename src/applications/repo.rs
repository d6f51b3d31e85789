//! SQL for applications, people, reasons, the journal and documents. Callers pass a
//! transaction scoped to the municipalities in question; row level security is the floor
//! under the explicit `municipality_id` filters here.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use super::model::{
    format_case_number, ApplicationInput, AssessmentInput, PersonInput, Status, DEFAULT_REASONS,
};

// ---------------------------------------------------------------------------------------
// Reasons

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Reason {
    pub id: Uuid,
    pub name: String,
    pub active: bool,
    /// The KOSTRA form 13 group it points to (None: other), and the row's version.
    pub kostra_group: Option<String>,
    pub version: i32,
}

/// Seeds the default reason categories once; later calls change nothing (reasons an
/// administrator deactivated stay deactivated).
pub async fn ensure_defaults(conn: &mut PgConnection, municipality: Uuid) -> sqlx::Result<()> {
    let any: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM application_reasons WHERE municipality_id = $1)",
    )
    .bind(municipality)
    .fetch_one(&mut *conn)
    .await?;
    if any {
        return Ok(());
    }
    for (i, name) in DEFAULT_REASONS.iter().enumerate() {
        sqlx::query(
            "INSERT INTO application_reasons (municipality_id, id, name, sort_order, kostra_group)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (municipality_id, lower(name)) DO NOTHING",
        )
        .bind(municipality)
        .bind(Uuid::now_v7())
        .bind(name)
        .bind((i as i32 + 1) * 10)
        .bind(super::model::default_kostra_group(name))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn reasons(
    conn: &mut PgConnection,
    municipality: Uuid,
    only_active: bool,
) -> sqlx::Result<Vec<Reason>> {
    sqlx::query_as(
        "SELECT id, name, active, kostra_group, version FROM application_reasons
          WHERE municipality_id = $1 AND (active OR NOT $2)
          ORDER BY sort_order, lower(name)",
    )
    .bind(municipality)
    .bind(only_active)
    .fetch_all(conn)
    .await
}

/// The reasons of several municipalities in one round trip, grouped by municipality in
/// the order of `municipalities`, each as [`reasons`] orders them.
pub async fn reasons_of(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    only_active: bool,
) -> sqlx::Result<Vec<(Uuid, Reason)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        municipality_id: Uuid,
        #[sqlx(flatten)]
        reason: Reason,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT r.municipality_id, r.id, r.name, r.active, r.kostra_group, r.version
           FROM application_reasons r
           JOIN unnest($1::uuid[]) WITH ORDINALITY AS mm(id, ord) ON mm.id = r.municipality_id
          WHERE r.municipality_id = ANY($1) AND (r.active OR NOT $2)
          ORDER BY mm.ord, r.sort_order, lower(r.name)",
    )
    .bind(municipalities)
    .bind(only_active)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.municipality_id, r.reason))
        .collect())
}

/// Adds a reason or reactivates one of the same name; None when an active one exists.
pub async fn add_reason(
    conn: &mut PgConnection,
    municipality: Uuid,
    name: &str,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "INSERT INTO application_reasons (municipality_id, id, name, sort_order)
         VALUES ($1, $2, $3, (SELECT coalesce(max(sort_order), 0) + 10 FROM application_reasons WHERE municipality_id = $1))
         ON CONFLICT (municipality_id, lower(name)) DO UPDATE SET active = true
           WHERE NOT application_reasons.active
         RETURNING id",
    )
    .bind(municipality)
    .bind(Uuid::now_v7())
    .bind(name)
    .fetch_optional(conn)
    .await
}

pub async fn set_reason_active(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    active: bool,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "UPDATE application_reasons SET active = $3 WHERE municipality_id = $1 AND id = $2 RETURNING name",
    )
    .bind(municipality)
    .bind(id)
    .bind(active)
    .fetch_optional(conn)
    .await
}

/// A reason's name, KOSTRA group and version, locked for a change.
pub async fn lock_reason(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<(String, Option<String>, i32)>> {
    sqlx::query_as(
        "SELECT name, kostra_group, version FROM application_reasons
          WHERE municipality_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(municipality)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn set_reason_kostra_group(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    group: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE application_reasons SET kostra_group = $3, version = version + 1
          WHERE municipality_id = $1 AND id = $2",
    )
    .bind(municipality)
    .bind(id)
    .bind(group)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Named {
    pub id: Uuid,
    pub name: String,
}

pub async fn areas(conn: &mut PgConnection, municipality: Uuid) -> sqlx::Result<Vec<Named>> {
    sqlx::query_as(
        "SELECT id, name FROM areas WHERE municipality_id = $1 AND active ORDER BY lower(name)",
    )
    .bind(municipality)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Case numbers

/// Takes the next case number of `year` in the caller's transaction: gap-free, because a
/// rolled-back transaction rolls the counter back too, and unique, because concurrent
/// registrations queue on the counter row.
pub async fn next_case_number(
    conn: &mut PgConnection,
    municipality: Uuid,
    year: i32,
) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "INSERT INTO case_number_counters (municipality_id, year, last_number) VALUES ($1, $2, 1)
         ON CONFLICT (municipality_id, year)
           DO UPDATE SET last_number = case_number_counters.last_number + 1
         RETURNING last_number",
    )
    .bind(municipality)
    .bind(year)
    .fetch_one(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// People

#[derive(sqlx::FromRow, Clone, Debug)]
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
}

const PERSON_COLS: &str =
    "id, national_id, birth_date, name, phone, email, street_address, postcode, postal_place";

pub async fn person_by_national_id(
    conn: &mut PgConnection,
    municipality: Uuid,
    national_id: &str,
) -> sqlx::Result<Option<Person>> {
    sqlx::query_as(&format!(
        "SELECT {PERSON_COLS} FROM people WHERE municipality_id = $1 AND national_id = $2"
    ))
    .bind(municipality)
    .bind(national_id)
    .fetch_optional(conn)
    .await
}

/// The person with this identity number (their record is reused, and for staff updated
/// with what was typed), or a new person. Persons without a number are always new.
/// `update` is false for the public form: what an anonymous visitor types never
/// overwrites a known person's record.
pub async fn upsert_person(
    conn: &mut PgConnection,
    municipality: Uuid,
    p: &PersonInput,
    update: bool,
) -> sqlx::Result<Uuid> {
    if let Some(n) = &p.national_id {
        if let Some(existing) = person_by_national_id(conn, municipality, n.as_str()).await? {
            if update {
                sqlx::query(
                    "UPDATE people SET name = $3,
                        phone = CASE WHEN $4 = '' THEN phone ELSE $4 END,
                        email = CASE WHEN $5 = '' THEN email ELSE $5 END,
                        street_address = CASE WHEN $6 = '' THEN street_address ELSE $6 END,
                        postcode = CASE WHEN $6 = '' THEN postcode ELSE $7 END,
                        postal_place = CASE WHEN $6 = '' THEN postal_place ELSE $8 END,
                        birth_date = coalesce(birth_date, $9),
                        version = version + 1, updated_at = now()
                      WHERE municipality_id = $1 AND id = $2",
                )
                .bind(municipality)
                .bind(existing.id)
                .bind(&p.name)
                .bind(&p.phone)
                .bind(&p.email)
                .bind(&p.street_address)
                .bind(&p.postcode)
                .bind(&p.postal_place)
                .bind(p.birth_date)
                .execute(&mut *conn)
                .await?;
            }
            return Ok(existing.id);
        }
    }
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO people (municipality_id, id, national_id, birth_date, name, phone, email,
                             street_address, postcode, postal_place)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (municipality_id, national_id) WHERE national_id IS NOT NULL DO NOTHING",
    )
    .bind(municipality)
    .bind(id)
    .bind(p.national_id.as_ref().map(|n| n.as_str()))
    .bind(p.birth_date)
    .bind(&p.name)
    .bind(&p.phone)
    .bind(&p.email)
    .bind(&p.street_address)
    .bind(&p.postcode)
    .bind(&p.postal_place)
    .execute(&mut *conn)
    .await?;
    if let Some(n) = &p.national_id {
        // A concurrent registration may have created the person first.
        if let Some(existing) = person_by_national_id(conn, municipality, n.as_str()).await? {
            return Ok(existing.id);
        }
    }
    Ok(id)
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct CaseRef {
    pub id: Uuid,
    pub case_number: String,
    pub status: Status,
    pub received_on: NaiveDate,
}

/// Open applications where the person (by identity number) is the applicant or a member.
pub async fn open_cases_of_national_id(
    conn: &mut PgConnection,
    municipality: Uuid,
    national_id: &str,
    except: Option<Uuid>,
) -> sqlx::Result<Vec<CaseRef>> {
    sqlx::query_as(
        // The person's applications through the applicant and member indexes (an OR in
        // the join condition made this a scan of every application of the municipality).
        "SELECT a.id, a.case_number, a.status, a.received_on
           FROM applications a
          WHERE a.municipality_id = $1 AND a.status = ANY($3) AND a.id IS DISTINCT FROM $4
            AND a.id IN (SELECT x.id FROM people p
                           JOIN applications x ON x.municipality_id = p.municipality_id
                                AND x.applicant_id = p.id
                          WHERE p.municipality_id = $1 AND p.national_id = $2
                         UNION ALL
                         SELECT m.application_id FROM people p
                           JOIN application_members m ON m.municipality_id = p.municipality_id
                                AND m.person_id = p.id
                          WHERE p.municipality_id = $1 AND p.national_id = $2)
          ORDER BY a.received_on DESC",
    )
    .bind(municipality)
    .bind(national_id)
    .bind(Status::OPEN.to_vec())
    .bind(except)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Applications

/// Registers an application with a new case number, its household and reasons, in the
/// caller's transaction. Returns (id, case number).
pub async fn insert_application(
    conn: &mut PgConnection,
    municipality: Uuid,
    a: &ApplicationInput,
    applicant_id: Uuid,
    created_by: Option<Uuid>,
    caseworker: Option<Uuid>,
    public: bool,
) -> sqlx::Result<(Uuid, String)> {
    use chrono::Datelike;
    let year = a.received_on.year();
    let seq = next_case_number(conn, municipality, year).await?;
    let case_number = format_case_number(year, seq);
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO applications (municipality_id, id, case_year, case_seq, case_number, received_on,
            channel, applicant_id, caseworker_id, dwelling_types, services_wanted, situation,
            situation_notes, needs_wheelchair, needs_ground_floor, needs_home_followup, care_level,
            wished_area_ids, wishes_notes, monthly_income_ore, economy_notes, consent_nav,
            consent_health, consent_other, consent_given_on, interpreter_needed,
            interpreter_language, submitted_publicly, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7::application_channel, $8, $9, $10, $11,
            $12::housing_situation, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24,
            $25, $26, $27, $28, $29)",
    )
    .bind(municipality)
    .bind(id)
    .bind(year)
    .bind(seq)
    .bind(&case_number)
    .bind(a.received_on)
    .bind(&a.channel)
    .bind(applicant_id)
    .bind(caseworker)
    .bind(&a.dwelling_types)
    .bind(&a.services_wanted)
    .bind(&a.situation)
    .bind(&a.situation_notes)
    .bind(a.needs_wheelchair)
    .bind(a.needs_ground_floor)
    .bind(a.needs_home_followup)
    .bind(&a.care_level)
    .bind(&a.wished_area_ids)
    .bind(&a.wishes_notes)
    .bind(a.monthly_income_ore)
    .bind(&a.economy_notes)
    .bind(a.consent_nav)
    .bind(a.consent_health)
    .bind(&a.consent_other)
    .bind(a.consent_given_on)
    .bind(a.interpreter_needed)
    .bind(&a.interpreter_language)
    .bind(public)
    .bind(created_by)
    .execute(&mut *conn)
    .await?;
    for r in &a.reason_ids {
        sqlx::query(
            "INSERT INTO application_reason_links (municipality_id, application_id, reason_id) VALUES ($1, $2, $3)",
        )
        .bind(municipality)
        .bind(id)
        .bind(r)
        .execute(&mut *conn)
        .await?;
    }
    Ok((id, case_number))
}

/// Adds a person to the household; false when they are already in it (or the applicant).
/// A renewal case for the tenant of `lease` (the review before a time-limited lease ends
/// found that they still need the dwelling): received today, under assessment, with the
/// needs of the case the lease came from when there is one. Decided like any case.
#[allow(clippy::too_many_arguments)]
pub async fn insert_renewal(
    conn: &mut PgConnection,
    municipality: Uuid,
    lease: Uuid,
    tenant: Uuid,
    original: Option<Uuid>,
    received_on: NaiveDate,
    situation_notes: &str,
    by: Uuid,
) -> sqlx::Result<(Uuid, String)> {
    use chrono::Datelike;
    let year = received_on.year();
    let seq = next_case_number(conn, municipality, year).await?;
    let case_number = format_case_number(year, seq);
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO applications (municipality_id, id, case_year, case_seq, case_number, received_on,
            channel, status, applicant_id, caseworker_id, dwelling_types, services_wanted, situation,
            situation_notes, needs_wheelchair, needs_ground_floor, needs_home_followup, care_level,
            wished_area_ids, consent_nav, consent_health, renews_lease_id, created_by)
         SELECT $1, $2, $3, $4, $5, $6, 'paper', 'under_assessment', $7, $8,
                coalesce(o.dwelling_types, '{}'), coalesce(o.services_wanted, '{}'), 'at_risk',
                $9, coalesce(o.needs_wheelchair, false), coalesce(o.needs_ground_floor, false),
                coalesce(o.needs_home_followup, false), coalesce(o.care_level, 'none'),
                coalesce(o.wished_area_ids, '{}'), false, false, $10, $8
           FROM (SELECT 1) AS one
           LEFT JOIN applications o ON o.municipality_id = $1 AND o.id = $11",
    )
    .bind(municipality)
    .bind(id)
    .bind(year)
    .bind(seq)
    .bind(&case_number)
    .bind(received_on)
    .bind(tenant)
    .bind(by)
    .bind(situation_notes)
    .bind(lease)
    .bind(original)
    .execute(&mut *conn)
    .await?;
    Ok((id, case_number))
}

pub async fn add_member(
    conn: &mut PgConnection,
    municipality: Uuid,
    application: Uuid,
    person: Uuid,
    relation: &str,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO application_members (municipality_id, application_id, person_id, relation)
         SELECT $1, $2, $3, $4::household_relation
          WHERE NOT EXISTS (SELECT 1 FROM applications WHERE municipality_id = $1 AND id = $2 AND applicant_id = $3)
         ON CONFLICT DO NOTHING",
    )
    .bind(municipality)
    .bind(application)
    .bind(person)
    .bind(relation)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn remove_member(
    conn: &mut PgConnection,
    municipality: Uuid,
    application: Uuid,
    person: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "WITH gone AS (DELETE FROM application_members
                        WHERE municipality_id = $1 AND application_id = $2 AND person_id = $3
                        RETURNING person_id)
         SELECT p.name FROM gone JOIN people p ON p.municipality_id = $1 AND p.id = gone.person_id",
    )
    .bind(municipality)
    .bind(application)
    .bind(person)
    .fetch_optional(conn)
    .await
}

/// Appends an event to the case's timeline. Every action on an application calls this in
/// the same transaction as the action (later contexts too: decisions, offers, meetings).
/// `link` is a local path (e.g. to a document or decision) or None; `actor` is None for
/// the applicant (public form) and for system events.
#[allow(clippy::too_many_arguments)]
pub async fn record_event(
    conn: &mut PgConnection,
    municipality: Uuid,
    application_id: Uuid,
    actor: Option<Uuid>,
    kind: &str,
    summary: &str,
    detail: &str,
    link: Option<&str>,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    let summary: String = summary.chars().take(500).collect();
    sqlx::query(
        "INSERT INTO application_events (municipality_id, id, application_id, kind, summary, detail, link, actor_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(municipality)
    .bind(id)
    .bind(application_id)
    .bind(kind)
    .bind(summary)
    .bind(detail)
    .bind(link)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(id)
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ApplicationDetail {
    pub municipality_id: Uuid,
    pub municipality_name: String,
    pub municipality_number: String,
    pub id: Uuid,
    pub case_number: String,
    pub received_on: NaiveDate,
    pub interim_due_on: NaiveDate,
    pub channel: String,
    pub status: Status,
    pub applicant_id: Uuid,
    pub caseworker_id: Option<Uuid>,
    pub caseworker_name: Option<String>,
    pub dwelling_types: Vec<String>,
    pub services_wanted: Vec<String>,
    pub situation: String,
    pub situation_notes: String,
    pub needs_wheelchair: bool,
    pub needs_ground_floor: bool,
    pub needs_home_followup: bool,
    pub care_level: String,
    pub wished_area_ids: Vec<Uuid>,
    pub wishes_notes: String,
    pub monthly_income_ore: Option<i64>,
    pub economy_notes: String,
    pub consent_nav: bool,
    pub consent_health: bool,
    pub consent_other: String,
    pub consent_given_on: Option<NaiveDate>,
    pub interpreter_needed: bool,
    pub interpreter_language: String,
    pub decided_on: Option<NaiveDate>,
    pub interim_reason: String,
    pub interim_expected_on: Option<NaiveDate>,
    pub interim_sent_on: Option<NaiveDate>,
    pub status_reason: String,
    pub submitted_publicly: bool,
    pub version: i32,
    pub applicant_name: String,
    pub applicant_national_id: Option<String>,
    pub applicant_birth_date: Option<NaiveDate>,
    pub applicant_phone: String,
    pub applicant_email: String,
    pub applicant_street_address: String,
    pub applicant_postcode: String,
    pub applicant_postal_place: String,
}

pub async fn application(
    conn: &mut PgConnection,
    visible: &[Uuid],
    id: Uuid,
) -> sqlx::Result<Option<ApplicationDetail>> {
    sqlx::query_as(
        "SELECT a.municipality_id, m.name AS municipality_name, m.number AS municipality_number,
                a.id, a.case_number, a.received_on, a.interim_due_on, a.channel::text AS channel,
                a.status, a.applicant_id, a.caseworker_id, u.display_name AS caseworker_name,
                a.dwelling_types, a.services_wanted, a.situation::text AS situation, a.situation_notes,
                a.needs_wheelchair, a.needs_ground_floor, a.needs_home_followup, a.care_level,
                a.wished_area_ids, a.wishes_notes, a.monthly_income_ore, a.economy_notes,
                a.consent_nav, a.consent_health, a.consent_other, a.consent_given_on,
                a.interpreter_needed, a.interpreter_language, a.decided_on, a.interim_reason,
                a.interim_expected_on, a.interim_sent_on, a.status_reason, a.submitted_publicly,
                a.version, p.name AS applicant_name, p.national_id AS applicant_national_id,
                p.birth_date AS applicant_birth_date, p.phone AS applicant_phone,
                p.email AS applicant_email, p.street_address AS applicant_street_address,
                p.postcode AS applicant_postcode, p.postal_place AS applicant_postal_place
           FROM applications a
           JOIN municipalities m ON m.id = a.municipality_id
           JOIN people p ON p.municipality_id = a.municipality_id AND p.id = a.applicant_id
           LEFT JOIN users u ON u.id = a.caseworker_id
          WHERE a.municipality_id = ANY($1) AND a.id = $2",
    )
    .bind(visible)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Which municipality an application belongs to (among `visible`).
pub async fn municipality_of(
    conn: &mut PgConnection,
    visible: &[Uuid],
    id: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "SELECT municipality_id FROM applications WHERE municipality_id = ANY($1) AND id = $2",
    )
    .bind(visible)
    .bind(id)
    .fetch_optional(conn)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Member {
    pub person_id: Uuid,
    pub name: String,
    pub national_id: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub relation: String,
}

pub async fn members(
    conn: &mut PgConnection,
    municipality: Uuid,
    application: Uuid,
) -> sqlx::Result<Vec<Member>> {
    sqlx::query_as(
        "SELECT p.id AS person_id, p.name, p.national_id, p.birth_date, m.relation::text AS relation
           FROM application_members m
           JOIN people p ON p.municipality_id = m.municipality_id AND p.id = m.person_id
          WHERE m.municipality_id = $1 AND m.application_id = $2
          ORDER BY m.relation, p.birth_date NULLS LAST, p.name",
    )
    .bind(municipality)
    .bind(application)
    .fetch_all(conn)
    .await
}

pub async fn reason_names(
    conn: &mut PgConnection,
    municipality: Uuid,
    application: Uuid,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT r.name FROM application_reason_links l
           JOIN application_reasons r ON r.municipality_id = l.municipality_id AND r.id = l.reason_id
          WHERE l.municipality_id = $1 AND l.application_id = $2
          ORDER BY r.sort_order, r.name",
    )
    .bind(municipality)
    .bind(application)
    .fetch_all(conn)
    .await
}

pub async fn area_names(
    conn: &mut PgConnection,
    municipality: Uuid,
    ids: &[Uuid],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT name FROM areas WHERE municipality_id = $1 AND id = ANY($2) ORDER BY lower(name)",
    )
    .bind(municipality)
    .bind(ids)
    .fetch_all(conn)
    .await
}

/// Changes status if nobody changed the application since `version`. Sets the decision
/// date when the case is decided, and the closing date (where retention starts) when the
/// status is final. False on a stale edit.
pub async fn set_status(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    version: i32,
    to: Status,
    reason: &str,
    today: NaiveDate,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE applications SET status = $4, status_reason = $5,
                decided_on = CASE WHEN $4 IN ('approved', 'partly_approved', 'rejected')
                                  THEN coalesce(decided_on, $6) ELSE decided_on END,
                closed_on = CASE WHEN $4 IN ('rejected', 'housed', 'withdrawn', 'closed_without_decision')
                                 THEN $6 END,
                version = version + 1, updated_at = now()
          WHERE municipality_id = $1 AND id = $2 AND version = $3",
    )
    .bind(municipality)
    .bind(id)
    .bind(version)
    .bind(to)
    .bind(reason)
    .bind(today)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_caseworker(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    version: i32,
    caseworker: Option<Uuid>,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE applications SET caseworker_id = $4, version = version + 1, updated_at = now()
          WHERE municipality_id = $1 AND id = $2 AND version = $3",
    )
    .bind(municipality)
    .bind(id)
    .bind(version)
    .bind(caseworker)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn save_interim(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    version: i32,
    reason: &str,
    expected: Option<NaiveDate>,
    today: NaiveDate,
) -> sqlx::Result<bool> {
    // A new reply after a sent one is possible once its promised date has passed
    // undecided; it is due from that date.
    let r = sqlx::query(
        "UPDATE applications SET interim_reason = $4, interim_expected_on = $5,
                interim_due_on = CASE WHEN interim_sent_on IS NULL THEN interim_due_on
                                      ELSE interim_expected_on END,
                interim_sent_on = NULL,
                version = version + 1, updated_at = now()
          WHERE municipality_id = $1 AND id = $2 AND version = $3
            AND (interim_sent_on IS NULL
                 OR (interim_expected_on < $6 AND decided_on IS NULL
                     AND status IN ('received', 'under_assessment', 'ready_for_meeting')))",
    )
    .bind(municipality)
    .bind(id)
    .bind(version)
    .bind(reason)
    .bind(expected)
    .bind(today)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// `UPDATE applications SET <set>, version = version + 1 … WHERE <key> AND version = $3
/// <and>`: false when the row changed since `version` (or `and` does not hold).
async fn update_versioned(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    version: i32,
    set: &str,
    and: &str,
) -> sqlx::Result<bool> {
    let r = sqlx::query(&format!(
        "UPDATE applications SET {set}version = version + 1, updated_at = now()
          WHERE municipality_id = $1 AND id = $2 AND version = $3 {and}"
    ))
    .bind(municipality)
    .bind(id)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Undecided cases whose last interim reply promised a decision before `today`: a new
/// reply is due from the promised date. Returns (municipality, application, promised).
pub async fn reopen_interim(
    conn: &mut PgConnection,
    today: NaiveDate,
) -> sqlx::Result<Vec<(Uuid, Uuid, NaiveDate)>> {
    sqlx::query_as(
        "UPDATE applications SET interim_sent_on = NULL, interim_due_on = interim_expected_on,
                version = version + 1, updated_at = now()
          WHERE interim_sent_on IS NOT NULL AND interim_expected_on < $1 AND decided_on IS NULL
            AND status IN ('received', 'under_assessment', 'ready_for_meeting')
          RETURNING municipality_id, id, interim_expected_on",
    )
    .bind(today)
    .fetch_all(conn)
    .await
}

/// Records that the interim reply was sent today (once, and only with a reason written).
pub async fn mark_interim_sent(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    version: i32,
    today: NaiveDate,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE applications SET interim_sent_on = $4, version = version + 1, updated_at = now()
          WHERE municipality_id = $1 AND id = $2 AND version = $3
            AND interim_sent_on IS NULL AND interim_reason <> ''",
    )
    .bind(municipality)
    .bind(id)
    .bind(version)
    .bind(today)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Claims the application's current version for a change to its household.
pub async fn bump_version(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    version: i32,
) -> sqlx::Result<bool> {
    update_versioned(conn, municipality, id, version, "", "").await
}

// ---------------------------------------------------------------------------------------
// Assessments

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Assessment {
    pub id: Uuid,
    pub version_no: i32,
    pub housing_history: String,
    pub independence: String,
    pub independence_level: String,
    pub service_needs: String,
    pub health_social: String,
    pub conclusion: String,
    pub created_at: DateTime<Utc>,
    pub created_by_name: Option<String>,
}

pub async fn assessments(
    conn: &mut PgConnection,
    municipality: Uuid,
    application: Uuid,
) -> sqlx::Result<Vec<Assessment>> {
    sqlx::query_as(
        "SELECT s.id, s.version_no, s.housing_history, s.independence, s.independence_level,
                s.service_needs, s.health_social, s.conclusion, s.created_at,
                u.display_name AS created_by_name
           FROM assessments s LEFT JOIN users u ON u.id = s.created_by
          WHERE s.municipality_id = $1 AND s.application_id = $2
          ORDER BY s.version_no DESC",
    )
    .bind(municipality)
    .bind(application)
    .fetch_all(conn)
    .await
}

/// Locks a case's row for the rest of the transaction, so that commands that add one
/// record per case (a decision draft) serialise; false when there is no such case.
pub async fn lock_case(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
) -> sqlx::Result<bool> {
    let locked: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM applications WHERE municipality_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(municipality)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(locked.is_some())
}

/// Saves a new version on top of `based_on`; None when someone saved a newer version in
/// the meantime (the unique index also catches two saves at the same moment).
pub async fn insert_assessment(
    conn: &mut PgConnection,
    municipality: Uuid,
    application: Uuid,
    a: &AssessmentInput,
    by: Uuid,
) -> sqlx::Result<Option<(Uuid, i32)>> {
    // Serialise concurrent saves of the same case on its row, then read the newest
    // version in a statement of its own: its snapshot is taken after the lock, so it sees
    // a save that committed while this one waited (one statement would not, and two saves
    // of the same version at once would collide on the unique key: a 500).
    if !lock_case(&mut *conn, municipality, application).await? {
        return Ok(None);
    }
    let current: i32 = sqlx::query_scalar(
        "SELECT coalesce(max(version_no), 0) FROM assessments
          WHERE municipality_id = $1 AND application_id = $2",
    )
    .bind(municipality)
    .bind(application)
    .fetch_one(&mut *conn)
    .await?;
    if current != a.based_on {
        return Ok(None);
    }
    let id = Uuid::now_v7();
    let version = current + 1;
    sqlx::query(
        "INSERT INTO assessments (municipality_id, id, application_id, version_no, housing_history,
            independence, independence_level, service_needs, health_social, conclusion, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(municipality)
    .bind(id)
    .bind(application)
    .bind(version)
    .bind(&a.housing_history)
    .bind(&a.independence)
    .bind(&a.independence_level)
    .bind(&a.service_needs)
    .bind(&a.health_social)
    .bind(&a.conclusion)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(Some((id, version)))
}

// ---------------------------------------------------------------------------------------
// Timeline and documents

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub summary: String,
    pub detail: String,
    pub link: Option<String>,
    pub actor_name: Option<String>,
}

pub async fn timeline(
    conn: &mut PgConnection,
    municipality: Uuid,
    application: Uuid,
) -> sqlx::Result<Vec<TimelineEvent>> {
    sqlx::query_as(
        "SELECT e.at, e.kind, e.summary, e.detail, e.link, u.display_name AS actor_name
           FROM application_events e LEFT JOIN users u ON u.id = e.actor_id
          WHERE e.municipality_id = $1 AND e.application_id = $2
          ORDER BY e.at DESC, e.id DESC",
    )
    .bind(municipality)
    .bind(application)
    .fetch_all(conn)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct DocumentInfo {
    pub id: Uuid,
    pub title: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i32,
    pub created_at: DateTime<Utc>,
}

pub async fn documents(
    conn: &mut PgConnection,
    municipality: Uuid,
    application: Uuid,
) -> sqlx::Result<Vec<DocumentInfo>> {
    sqlx::query_as(
        "SELECT id, title, filename, content_type, size_bytes, created_at FROM application_documents
          WHERE municipality_id = $1 AND application_id = $2 ORDER BY created_at DESC",
    )
    .bind(municipality)
    .bind(application)
    .fetch_all(conn)
    .await
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_document(
    conn: &mut PgConnection,
    municipality: Uuid,
    application: Uuid,
    title: &str,
    filename: &str,
    content_type: &str,
    content: &[u8],
    by: Option<Uuid>,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO application_documents (municipality_id, id, application_id, title, filename,
            content_type, size_bytes, content, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(municipality)
    .bind(id)
    .bind(application)
    .bind(title)
    .bind(filename)
    .bind(content_type)
    .bind(content.len() as i32)
    .bind(content)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
pub struct DocumentContent {
    pub municipality_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

pub async fn document(
    conn: &mut PgConnection,
    visible: &[Uuid],
    application: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<DocumentContent>> {
    sqlx::query_as(
        "SELECT municipality_id, filename, content_type, content FROM application_documents
          WHERE municipality_id = ANY($1) AND application_id = $2 AND id = $3",
    )
    .bind(visible)
    .bind(application)
    .bind(id)
    .fetch_optional(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Letterhead for letters

#[derive(sqlx::FromRow, Clone, Debug, Default)]
pub struct Letterhead {
    pub letterhead_name: String,
    pub street_address: String,
    pub postcode: String,
    pub postal_place: String,
    pub phone: String,
    pub email: String,
}

impl Letterhead {
    /// The sender's address under its name: street, then postcode and place.
    pub fn address_lines(&self) -> Vec<String> {
        let place = format!("{} {}", self.postcode, self.postal_place);
        [self.street_address.trim(), place.trim()]
            .into_iter()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }
}

pub async fn letterhead(conn: &mut PgConnection, municipality: Uuid) -> sqlx::Result<Letterhead> {
    Ok(sqlx::query_as(
        "SELECT letterhead_name, street_address, postcode, postal_place, phone, email
           FROM municipality_settings WHERE municipality_id = $1",
    )
    .bind(municipality)
    .fetch_optional(conn)
    .await?
    .unwrap_or_default())
}

// ---------------------------------------------------------------------------------------
// Staff who may handle cases

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Caseworker {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub display_name: String,
}

/// Active users with the caseworker role in each of `municipalities` (directly or through
/// an office).
pub async fn caseworkers(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
) -> sqlx::Result<Vec<Caseworker>> {
    sqlx::query_as(
        "SELECT DISTINCT coalesce(ms.municipality_id, om.municipality_id) AS municipality_id,
                u.id, u.display_name
           FROM memberships ms
           JOIN users u ON u.id = ms.user_id AND u.active
           LEFT JOIN office_municipalities om ON om.office_id = ms.office_id
          WHERE ms.role = 'caseworker'
            AND coalesce(ms.municipality_id, om.municipality_id) = ANY($1)
          ORDER BY u.display_name",
    )
    .bind(municipalities)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Lists

pub const PAGE_SIZE: i64 = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Newest,
    Oldest,
    Deadline,
}

impl Sort {
    pub fn from_key(k: &str) -> Sort {
        match k {
            "eldste" => Sort::Oldest,
            "frist" => Sort::Deadline,
            _ => Sort::Newest,
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            Sort::Newest => "nyeste",
            Sort::Oldest => "eldste",
            Sort::Deadline => "frist",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub municipalities: Vec<Uuid>,
    pub statuses: Vec<Status>,
    /// Some(None) = unassigned.
    pub caseworker: Option<Option<Uuid>>,
    /// Only cases whose interim reply was due before this day (today).
    pub overdue_on: Option<NaiveDate>,
    pub received_from: Option<NaiveDate>,
    pub received_to: Option<NaiveDate>,
    pub reason: Option<Uuid>,
    pub need: Option<String>,
    pub case_year: Option<i32>,
    pub case_seq: Option<i32>,
    pub name: Option<String>,
    pub national_id: Option<String>,
    pub open_only: bool,
    /// Some(true): undecided with no interim reply sent (the § 11a deadline runs);
    /// Some(false): all others.
    pub awaiting_interim: Option<bool>,
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ListRow {
    pub id: Uuid,
    pub municipality_id: Uuid,
    pub municipality_name: String,
    pub case_number: String,
    pub received_on: NaiveDate,
    pub interim_due_on: NaiveDate,
    pub interim_sent_on: Option<NaiveDate>,
    pub status: Status,
    pub applicant_name: String,
    pub applicant_national_id: Option<String>,
    pub applicant_birth_date: Option<NaiveDate>,
    pub household_size: i64,
    pub caseworker_name: Option<String>,
    pub channel: String,
}

/// How many applications `f` matches in all (the case list's "N saker", which the start
/// page's counts must equal).
pub async fn count(conn: &mut PgConnection, f: &ListFilter) -> sqlx::Result<i64> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT count(*) FROM applications a
           JOIN people p ON p.municipality_id = a.municipality_id AND p.id = a.applicant_id
          WHERE a.municipality_id = ANY(",
    );
    q.push_bind(f.municipalities.clone()).push(")");
    push_filter(&mut q, f);
    q.build_query_scalar().fetch_one(conn).await
}

/// The conditions of `f` on `a` (applications) and `p` (the applicant), shared by the
/// list and its count.
fn push_filter(q: &mut QueryBuilder<Postgres>, f: &ListFilter) {
    if !f.statuses.is_empty() {
        q.push(" AND a.status = ANY(")
            .push_bind(f.statuses.clone())
            .push(")");
    } else if f.open_only {
        q.push(" AND a.status = ANY(")
            .push_bind(Status::OPEN.to_vec())
            .push(")");
    }
    match f.caseworker {
        Some(Some(id)) => {
            q.push(" AND a.caseworker_id = ").push_bind(id);
        }
        Some(None) => {
            q.push(" AND a.caseworker_id IS NULL");
        }
        None => {}
    }
    if let Some(awaiting) = f.awaiting_interim {
        q.push(if awaiting { " AND " } else { " AND NOT " }).push(
            "(a.decided_on IS NULL AND a.interim_sent_on IS NULL
              AND a.status IN ('received', 'under_assessment', 'ready_for_meeting'))",
        );
    }
    if let Some(today) = f.overdue_on {
        q.push(
            " AND a.decided_on IS NULL AND a.interim_sent_on IS NULL
              AND a.status IN ('received', 'under_assessment', 'ready_for_meeting')
              AND a.interim_due_on < ",
        )
        .push_bind(today);
    }
    if let Some(d) = f.received_from {
        q.push(" AND a.received_on >= ").push_bind(d);
    }
    if let Some(d) = f.received_to {
        q.push(" AND a.received_on <= ").push_bind(d);
    }
    if let Some(r) = f.reason {
        q.push(
            " AND EXISTS (SELECT 1 FROM application_reason_links l
                          WHERE l.municipality_id = a.municipality_id AND l.application_id = a.id
                            AND l.reason_id = ",
        )
        .push_bind(r)
        .push(")");
    }
    match f.need.as_deref() {
        Some("wheelchair") => {
            q.push(" AND a.needs_wheelchair");
        }
        Some("ground_floor") => {
            q.push(" AND a.needs_ground_floor");
        }
        Some("home_followup") => {
            q.push(" AND a.needs_home_followup");
        }
        Some("care") => {
            q.push(" AND a.care_level <> 'none'");
        }
        _ => {}
    }
    if let Some(y) = f.case_year {
        q.push(" AND a.case_year = ").push_bind(y);
    }
    if let Some(s) = f.case_seq {
        q.push(" AND a.case_seq = ").push_bind(s);
    }
    if let Some(n) = &f.name {
        let pattern = format!(
            "%{}%",
            n.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        q.push(" AND p.name ILIKE ").push_bind(pattern);
    }
    if let Some(nid) = &f.national_id {
        // Applicant or household member with exactly this number.
        q.push(
            " AND EXISTS (SELECT 1 FROM people x WHERE x.municipality_id = a.municipality_id
                  AND x.national_id = ",
        )
        .push_bind(nid.clone())
        .push(
            " AND (x.id = a.applicant_id OR EXISTS (SELECT 1 FROM application_members xm
                  WHERE xm.municipality_id = a.municipality_id AND xm.application_id = a.id
                    AND xm.person_id = x.id)))",
        );
    }
}

/// One page of applications after `cursor` (sort date and id of the last row shown).
/// Fetches PAGE_SIZE + 1 rows so the caller knows whether there is a next page.
pub async fn list(
    conn: &mut PgConnection,
    f: &ListFilter,
    sort: Sort,
    cursor: Option<(NaiveDate, Uuid)>,
    limit: Option<i64>,
) -> sqlx::Result<Vec<ListRow>> {
    let (col, dir, cmp) = match sort {
        Sort::Newest => ("received_on", "DESC", "<"),
        Sort::Oldest => ("received_on", "ASC", ">"),
        Sort::Deadline => ("interim_due_on", "ASC", ">"),
    };
    let limit = limit.unwrap_or(PAGE_SIZE + 1);
    // The page's rows come from `x`: for one municipality (the usual case) the filtered
    // applications with an equality on municipality_id, so the planner walks the
    // (municipality_id, sort key) index in order and stops after one page. For several
    // municipalities, the same per municipality (LATERAL, each walking its part of the
    // index and stopping after `limit` rows), merged and limited again below, instead of
    // sorting every row of all of them.
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT x.id, x.municipality_id, x.municipality_name, x.case_number, x.received_on, x.interim_due_on,
                x.interim_sent_on, x.status, x.applicant_name, x.applicant_national_id,
                x.applicant_birth_date,
                1 + (SELECT count(*) FROM application_members am
                      WHERE am.municipality_id = x.municipality_id AND am.application_id = x.id) AS household_size,
                x.caseworker_name, x.channel
           FROM ",
    );
    let several = f.municipalities.len() != 1;
    if several {
        q.push("unnest(")
            .push_bind(f.municipalities.clone())
            .push("::uuid[]) AS mm(id) CROSS JOIN LATERAL ");
    }
    q.push(
        "(SELECT a.id, a.municipality_id, m.name AS municipality_name, a.case_number, a.received_on,
                a.interim_due_on, a.interim_sent_on, a.status, p.name AS applicant_name,
                p.national_id AS applicant_national_id, p.birth_date AS applicant_birth_date,
                u.display_name AS caseworker_name, a.channel::text AS channel
           FROM applications a
           JOIN municipalities m ON m.id = a.municipality_id
           JOIN people p ON p.municipality_id = a.municipality_id AND p.id = a.applicant_id
           LEFT JOIN users u ON u.id = a.caseworker_id
          WHERE a.municipality_id = ",
    );
    if several {
        q.push("mm.id");
    } else {
        q.push_bind(f.municipalities[0]);
    }
    push_filter(&mut q, f);
    if let Some((d, id)) = cursor {
        q.push(format!(" AND (a.{col}, a.id) {cmp} ("))
            .push_bind(d)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    q.push(format!(" ORDER BY a.{col} {dir}, a.id {dir} LIMIT "))
        .push_bind(limit)
        .push(") x");
    q.push(format!(" ORDER BY x.{col} {dir}, x.id {dir} LIMIT "))
        .push_bind(limit);
    q.build_query_as().fetch_all(conn).await
}

/// The sort key of a row, for the next page's cursor.
pub fn cursor_of(row: &ListRow, sort: Sort) -> (NaiveDate, Uuid) {
    match sort {
        Sort::Deadline => (row.interim_due_on, row.id),
        _ => (row.received_on, row.id),
    }
}

/// Counts for "My cases": open cases of `caseworker`, with those due and overdue.
#[derive(sqlx::FromRow, Clone, Debug, Default)]
pub struct MyCounts {
    pub open: i64,
    pub due: i64,
    pub overdue: i64,
}

pub async fn my_counts(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    caseworker: Uuid,
    soon_days: i32,
    today: NaiveDate,
) -> sqlx::Result<MyCounts> {
    sqlx::query_as(
        "SELECT count(*) AS open,
                count(*) FILTER (WHERE undecided AND interim_due_on >= $5
                                   AND interim_due_on <= $5 + $3) AS due,
                count(*) FILTER (WHERE undecided AND interim_due_on < $5) AS overdue
           FROM (SELECT interim_due_on,
                        (decided_on IS NULL AND interim_sent_on IS NULL
                         AND status IN ('received', 'under_assessment', 'ready_for_meeting')) AS undecided
                   FROM applications
                  WHERE municipality_id = ANY($1) AND caseworker_id = $2 AND status = ANY($4)) s",
    )
    .bind(municipalities)
    .bind(caseworker)
    .bind(soon_days)
    .bind(Status::OPEN.to_vec())
    .bind(today)
    .fetch_one(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Municipalities and the public form

/// A municipality as the public form names it.
#[derive(sqlx::FromRow, Clone)]
pub struct PublicMunicipality {
    pub id: Uuid,
    pub number: String,
    pub name: String,
}

/// The municipality with this number (`5037`).
pub async fn public_municipality(
    conn: &mut PgConnection,
    number: &str,
) -> sqlx::Result<Option<PublicMunicipality>> {
    sqlx::query_as("SELECT id, number, name FROM municipalities WHERE number = $1")
        .bind(number)
        .fetch_optional(conn)
        .await
}

/// Counts a submission of the public form from `address` (in the global
/// `login_throttle` table, key `soknad:<address>`); the count within the current hour.
pub async fn count_public_submission(conn: &mut PgConnection, address: &str) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "INSERT INTO login_throttle (key, failures, last_failure_at) VALUES ($1, 1, now())
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN login_throttle.last_failure_at < now() - interval '1 hour'
                           THEN 1 ELSE login_throttle.failures + 1 END,
           last_failure_at = CASE WHEN login_throttle.last_failure_at < now() - interval '1 hour'
                           THEN now() ELSE login_throttle.last_failure_at END
         RETURNING failures",
    )
    .bind(format!("soknad:{address}"))
    .fetch_one(conn)
    .await
}

crate::web::load::located!(ApplicationDetail => application);
