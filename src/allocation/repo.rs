//! SQL for allocation: rule versions, the waiting applicants' facts (one query joined with
//! their grants), units to match, and offers.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::model::{default_rules, NewVersion, OfferStatus, Rules};
use super::ranking::{Applicant, Criterion, RoomNorm, Unit, WishPolicy};

// ---------------------------------------------------------------------------------------
// Rule versions

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct VersionRow {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub version_no: i32,
    pub effective_from: NaiveDate,
    pub reason: String,
    pub author_name: Option<String>,
    pub criteria: Json<Vec<Criterion>>,
    pub room_norms: Json<Vec<RoomNorm>>,
    pub wish_policy: Json<WishPolicy>,
    pub decline_limit: i32,
    pub offer_days: i32,
    pub lease_months: Json<BTreeMap<String, i32>>,
    pub default_lease_months: i32,
    pub created_at: DateTime<Utc>,
}

impl VersionRow {
    pub fn rules(&self) -> Rules {
        Rules {
            criteria: self.criteria.0.clone(),
            room_norms: self.room_norms.0.clone(),
            wish_policy: self.wish_policy.0,
            decline_limit: self.decline_limit,
            offer_days: self.offer_days,
            lease_months: self.lease_months.0.clone(),
            default_lease_months: self.default_lease_months,
        }
    }
}

const VERSION_COLUMNS: &str = "v.municipality_id, v.id, v.version_no, v.effective_from, v.reason,
    u.display_name AS author_name, v.criteria, v.room_norms, v.wish_policy, v.decline_limit,
    v.offer_days, v.lease_months, v.default_lease_months, v.created_at";

/// Creates the default rules (version 1) when the municipality has none. Idempotent.
pub async fn ensure_defaults(conn: &mut PgConnection, municipality: Uuid) -> sqlx::Result<()> {
    let r = default_rules();
    sqlx::query(
        "INSERT INTO allocation_rule_versions (municipality_id, id, version_no, effective_from, reason,
                author_id, criteria, room_norms, wish_policy, decline_limit, offer_days, lease_months,
                default_lease_months)
         SELECT $1, $2, 1, DATE '2000-01-01', 'Standardregler fra Bosak. Må tilpasses kriteriene kommunestyret har vedtatt.',
                NULL, $3, $4, $5, $6, $7, $8, $9
          WHERE NOT EXISTS (SELECT 1 FROM allocation_rule_versions WHERE municipality_id = $1)
         ON CONFLICT (municipality_id, version_no) DO NOTHING",
    )
    .bind(municipality)
    .bind(Uuid::now_v7())
    .bind(Json(&r.criteria))
    .bind(Json(&r.room_norms))
    .bind(Json(r.wish_policy))
    .bind(r.decline_limit)
    .bind(r.offer_days)
    .bind(Json(&r.lease_months))
    .bind(r.default_lease_months)
    .execute(conn)
    .await?;
    Ok(())
}

/// The rules in force on `day`: the latest version effective on or before it.
pub async fn in_force(
    conn: &mut PgConnection,
    municipality: Uuid,
    day: NaiveDate,
) -> sqlx::Result<Option<VersionRow>> {
    sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM allocation_rule_versions v LEFT JOIN users u ON u.id = v.author_id
          WHERE v.municipality_id = $1 AND v.effective_from <= $2
          ORDER BY v.effective_from DESC, v.version_no DESC LIMIT 1"
    ))
    .bind(municipality)
    .bind(day)
    .fetch_optional(conn)
    .await
}

/// The rules in force today, creating the defaults first if needed.
pub async fn rules_now(
    conn: &mut PgConnection,
    municipality: Uuid,
    today: NaiveDate,
) -> sqlx::Result<VersionRow> {
    if let Some(v) = in_force(&mut *conn, municipality, today).await? {
        return Ok(v);
    }
    ensure_defaults(&mut *conn, municipality).await?;
    match in_force(&mut *conn, municipality, today).await? {
        Some(v) => Ok(v),
        None => Err(sqlx::Error::RowNotFound),
    }
}

pub async fn versions(
    conn: &mut PgConnection,
    municipality: Uuid,
) -> sqlx::Result<Vec<VersionRow>> {
    sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM allocation_rule_versions v LEFT JOIN users u ON u.id = v.author_id
          WHERE v.municipality_id = $1 ORDER BY v.version_no DESC"
    ))
    .bind(municipality)
    .fetch_all(conn)
    .await
}

pub async fn version(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<VersionRow>> {
    sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM allocation_rule_versions v LEFT JOIN users u ON u.id = v.author_id
          WHERE v.municipality_id = $1 AND v.id = $2"
    ))
    .bind(municipality)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Inserts the next version; None when `expected_latest` is no longer the latest number
/// (someone else saved a version meanwhile).
pub async fn insert_version(
    conn: &mut PgConnection,
    municipality: Uuid,
    author: Uuid,
    expected_latest: i32,
    v: &NewVersion,
) -> sqlx::Result<Option<(Uuid, i32)>> {
    let id = Uuid::now_v7();
    let r = &v.rules;
    let no: Option<i32> = sqlx::query_scalar(
        "INSERT INTO allocation_rule_versions (municipality_id, id, version_no, effective_from, reason,
                author_id, criteria, room_norms, wish_policy, decline_limit, offer_days, lease_months,
                default_lease_months)
         SELECT $1, $2, $3 + 1, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
          WHERE (SELECT coalesce(max(version_no), 0) FROM allocation_rule_versions WHERE municipality_id = $1) = $3
         ON CONFLICT (municipality_id, version_no) DO NOTHING
         RETURNING version_no",
    )
    .bind(municipality)
    .bind(id)
    .bind(expected_latest)
    .bind(v.effective_from)
    .bind(&v.reason)
    .bind(author)
    .bind(Json(&r.criteria))
    .bind(Json(&r.room_norms))
    .bind(Json(r.wish_policy))
    .bind(r.decline_limit)
    .bind(r.offer_days)
    .bind(Json(&r.lease_months))
    .bind(r.default_lease_months)
    .fetch_optional(conn)
    .await?;
    Ok(no.map(|n| (id, n)))
}

// ---------------------------------------------------------------------------------------
// Waiting applicants

/// The municipality's allocation epoch: changes whenever an input of the ranking does.
pub async fn epoch(conn: &mut PgConnection, municipality: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT coalesce((SELECT epoch FROM allocation_epochs WHERE municipality_id = $1), 0)",
    )
    .bind(municipality)
    .fetch_one(conn)
    .await
}

/// An applicant on the waiting list with everything the ranking and the lists need.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct WaitingRow {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub case_number: String,
    pub received_on: NaiveDate,
    pub status: crate::applications::model::Status,
    pub situation: String,
    pub needs_wheelchair: bool,
    pub needs_ground_floor: bool,
    pub needs_home_followup: bool,
    pub care_level: String,
    pub wished_area_ids: Vec<Uuid>,
    pub applicant_name: String,
    pub refugee: bool,
    pub extra_adults: i64,
    pub children: i64,
    pub visiting_children: i64,
    pub decided_on: NaiveDate,
    pub dwelling_type_ids: Vec<Uuid>,
    pub granted_rooms: Option<i32>,
    pub granted_ground_floor: bool,
    pub declines: i64,
    pub open_offer_id: Option<Uuid>,
}

impl WaitingRow {
    pub fn applicant(&self) -> Applicant {
        let mut flags = Vec::new();
        match self.situation.as_str() {
            "without_home" => flags.push("without_home".to_string()),
            "at_risk" => flags.push("at_risk".to_string()),
            "unsuitable" => flags.push("unsuitable".to_string()),
            _ => {}
        }
        if self.children > 0 {
            flags.push("has_children".into());
        }
        if self.care_level != "none" {
            flags.push("health_or_care_need".into());
        }
        if self.refugee {
            flags.push("refugee".into());
        }
        if self.needs_wheelchair {
            flags.push("needs_wheelchair".into());
        }
        if self.needs_home_followup {
            flags.push("home_followup".into());
        }
        Applicant {
            application_id: self.id,
            case_number: self.case_number.clone(),
            received_on: self.received_on,
            waiting_since: self.decided_on,
            flags,
            adults: 1 + self.extra_adults as i32,
            children: self.children as i32,
            visiting_children: self.visiting_children as i32,
            granted_types: self.dwelling_type_ids.iter().map(Uuid::to_string).collect(),
            needs_wheelchair: self.needs_wheelchair,
            needs_ground_floor: self.needs_ground_floor || self.granted_ground_floor,
            wished_areas: self.wished_area_ids.clone(),
        }
    }
}

/// Applicants on the waiting list: approved with a sent dwelling grant and no open offer
/// (or, with `application`, that one application whatever
/// its status) in one query: facts, household, the latest sent grant, declines, open offer.
pub async fn waiting(
    conn: &mut PgConnection,
    visible: &[Uuid],
    application: Option<Uuid>,
) -> sqlx::Result<Vec<WaitingRow>> {
    // One index probe per waiting applicant for its grant, household and offers (LATERAL),
    // rather than whole-municipality aggregates joined afterwards: the planner cannot
    // estimate the joins of such aggregates under row level security and falls into
    // nested loops over them.
    // Two shapes, so that the waiting list walks the status index.
    let which = if application.is_some() {
        "a.id = $2"
    } else {
        "$2::uuid IS NULL AND a.status IN ('approved', 'partly_approved', 'waiting_list')"
    };
    sqlx::query_as(&format!(
        "WITH waiting AS MATERIALIZED (
                -- Fenced: the planner then walks the status index instead of every application.
                SELECT * FROM applications a WHERE a.municipality_id = ANY($1) AND {which})
         SELECT a.municipality_id, a.id, a.case_number, a.received_on, a.status,
                a.situation::text AS situation, a.needs_wheelchair, a.needs_ground_floor,
                a.needs_home_followup, a.care_level, a.wished_area_ids, p.name AS applicant_name,
                -- The refugee reasons are looked up once (an InitPlan), then one probe per applicant.
                EXISTS (SELECT 1 FROM application_reason_links l
                         WHERE l.municipality_id = a.municipality_id AND l.application_id = a.id
                           AND l.reason_id = ANY ((SELECT coalesce(array_agg(r.id), '{{}}') FROM application_reasons r
                                                   WHERE r.municipality_id = ANY($1) AND r.name ILIKE 'flyktning%')::uuid[])) AS refugee,
                hh.extra_adults, hh.children, hh.visiting_children,
                g.decided_on, g.dwelling_type_ids, g.rooms AS granted_rooms,
                g.needs_ground_floor_or_lift AS granted_ground_floor,
                oc.declines, oc.open_offer_id
           FROM waiting a
           JOIN people p ON p.municipality_id = a.municipality_id AND p.id = a.applicant_id
           -- The dwelling grant of the latest sent decision that has not been replaced.
           JOIN LATERAL (
                SELECT d.decided_on, pt.dwelling_type_ids, pt.rooms, pt.needs_ground_floor_or_lift
                  FROM decisions d
                  JOIN decision_points pt ON pt.municipality_id = d.municipality_id AND pt.decision_id = d.id
                  JOIN decision_kinds k ON k.municipality_id = pt.municipality_id AND k.id = pt.kind_id
                 WHERE d.municipality_id = a.municipality_id AND d.application_id = a.id AND d.status = 'sent'
                   AND k.is_dwelling AND pt.outcome IN ('granted', 'partly_granted')
                   AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.municipality_id = d.municipality_id
                                    AND r.replaces_id = d.id AND r.status = 'sent')
                 ORDER BY d.decided_on DESC, d.id DESC, pt.position
                 LIMIT 1) g ON true
           CROSS JOIN LATERAL (
                SELECT count(*) FILTER (WHERE m.relation IN ('spouse', 'other_adult')) AS extra_adults,
                       count(*) FILTER (WHERE m.relation IN ('child', 'other_child')) AS children,
                       count(*) FILTER (WHERE m.relation = 'visiting_child') AS visiting_children
                  FROM application_members m
                 WHERE m.municipality_id = a.municipality_id AND m.application_id = a.id) hh
           CROSS JOIN LATERAL (
                SELECT count(*) FILTER (WHERE o.status = 'declined') AS declines,
                       (array_agg(o.id) FILTER (WHERE o.status = 'open'))[1] AS open_offer_id
                  FROM offers o
                 WHERE o.municipality_id = a.municipality_id AND o.application_id = a.id) oc
"
    ))
    .bind(visible)
    .bind(application)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Units

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct UnitFacts {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub unit_number: String,
    pub property_name: String,
    pub street_address: String,
    pub postcode: String,
    pub postal_place: String,
    pub area_id: Option<Uuid>,
    pub area_name: Option<String>,
    pub dwelling_type_id: Uuid,
    pub type_name: String,
    pub rooms: i16,
    pub floor: Option<i16>,
    pub has_lift: bool,
    pub wheelchair_accessible: bool,
    pub monthly_rent: Option<i64>,
    pub status: crate::dwellings::model::Status,
    pub expected_vacant_from: Option<NaiveDate>,
    pub version: i32,
}

impl UnitFacts {
    pub fn unit(&self) -> Unit {
        Unit {
            dwelling_type: self.dwelling_type_id.to_string(),
            rooms: self.rooms as i32,
            wheelchair_accessible: self.wheelchair_accessible,
            // Floor 1 is the ground floor ("1 for første etasje").
            step_free: self.has_lift || self.floor.is_some_and(|f| f <= 1),
            area_id: self.area_id,
        }
    }
    pub fn address(&self) -> String {
        format!(
            "{} {}, {} {}",
            self.street_address, self.unit_number, self.postcode, self.postal_place
        )
    }
}

const UNIT_SQL: &str = "SELECT d.municipality_id, d.id, d.unit_number, p.name AS property_name,
        p.street_address, p.postcode, p.postal_place, p.area_id, ar.name AS area_name,
        d.dwelling_type_id, t.name AS type_name, d.rooms, d.floor, p.has_lift,
        d.wheelchair_accessible, d.monthly_rent, d.status, d.expected_vacant_from, d.version
   FROM dwellings d
   JOIN properties p ON p.municipality_id = d.municipality_id AND p.id = d.property_id
   JOIN dwelling_types t ON t.municipality_id = d.municipality_id AND t.id = d.dwelling_type_id
   LEFT JOIN areas ar ON ar.municipality_id = p.municipality_id AND ar.id = p.area_id";

pub async fn unit(
    conn: &mut PgConnection,
    visible: &[Uuid],
    id: Uuid,
) -> sqlx::Result<Option<UnitFacts>> {
    sqlx::query_as(&format!(
        "{UNIT_SQL} WHERE d.municipality_id = ANY($1) AND d.id = $2"
    ))
    .bind(visible)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Vacant or becoming vacant (let with notice, or with an expected date), with no open offer.
const AVAILABLE: &str = "(d.status IN ('vacant', 'notice_given') OR (d.status IN ('let', 'maintenance') AND d.expected_vacant_from IS NOT NULL))
            AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.municipality_id = d.municipality_id
                             AND o.dwelling_id = d.id AND o.status = 'open')";

/// Vacant now first, then by the date they become vacant.
const AVAILABLE_ORDER: &str =
    "d.status, d.expected_vacant_from NULLS FIRST, p.street_address, d.unit_number, d.id";

/// Units that are available to offer (see `AVAILABLE`).
pub async fn available_units(
    conn: &mut PgConnection,
    municipality: Uuid,
) -> sqlx::Result<Vec<UnitFacts>> {
    sqlx::query_as(&format!(
        "{UNIT_SQL} WHERE d.municipality_id = $1 AND {AVAILABLE} ORDER BY {AVAILABLE_ORDER}"
    ))
    .bind(municipality)
    .fetch_all(conn)
    .await
}

/// The first `limit` available units except `exclude` (e.g. those already on a meeting's
/// agenda), and how many there are in all.
pub async fn available_units_page(
    conn: &mut PgConnection,
    municipality: Uuid,
    exclude: &[Uuid],
    limit: i64,
) -> sqlx::Result<(Vec<UnitFacts>, i64)> {
    let units = sqlx::query_as(&format!(
        "{UNIT_SQL} WHERE d.municipality_id = $1 AND {AVAILABLE} AND NOT (d.id = ANY($2))
          ORDER BY {AVAILABLE_ORDER} LIMIT $3"
    ))
    .bind(municipality)
    .bind(exclude)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM dwellings d WHERE d.municipality_id = $1 AND {AVAILABLE} AND NOT (d.id = ANY($2))"
    ))
    .bind(municipality)
    .bind(exclude)
    .fetch_one(conn)
    .await?;
    Ok((units, total))
}

/// Those of `ids` that are available to offer.
pub async fn available_units_among(
    conn: &mut PgConnection,
    municipality: Uuid,
    ids: &[Uuid],
) -> sqlx::Result<Vec<UnitFacts>> {
    sqlx::query_as(&format!(
        "{UNIT_SQL} WHERE d.municipality_id = $1 AND d.id = ANY($2) AND {AVAILABLE} ORDER BY {AVAILABLE_ORDER}"
    ))
    .bind(municipality)
    .bind(ids)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Offers

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct OfferRow {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub dwelling_id: Uuid,
    pub application_id: Uuid,
    pub rule_version_id: Uuid,
    pub rule_version_no: i32,
    pub status: String,
    pub offered_on: NaiveDate,
    pub answer_due: NaiveDate,
    pub answered_on: Option<NaiveDate>,
    pub decline_reason: String,
    pub justification: String,
    pub rank_at_offer: i32,
    pub score_at_offer: i32,
    pub breakdown: Json<Vec<(String, i32)>>,
    pub wish_mismatch: bool,
    pub lease_months: i32,
    pub monthly_rent: Option<i64>,
    pub created_by_name: String,
    pub case_number: String,
    pub applicant_name: String,
    pub unit_label: String,
    pub version: i32,
}

impl OfferRow {
    pub fn status(&self) -> OfferStatus {
        OfferStatus::from_key(&self.status).unwrap_or(OfferStatus::Open)
    }
}

const OFFER_SQL: &str = "SELECT o.municipality_id, o.id, o.dwelling_id, o.application_id, o.rule_version_id,
        v.version_no AS rule_version_no, o.status, o.offered_on, o.answer_due, o.answered_on,
        o.decline_reason, o.justification, o.rank_at_offer, o.score_at_offer, o.breakdown,
        o.wish_mismatch, o.lease_months, o.monthly_rent, u.display_name AS created_by_name,
        a.case_number, pe.name AS applicant_name,
        (p.street_address || ' ' || d.unit_number) AS unit_label, o.version
   FROM offers o
   JOIN allocation_rule_versions v ON v.municipality_id = o.municipality_id AND v.id = o.rule_version_id
   JOIN users u ON u.id = o.created_by
   JOIN applications a ON a.municipality_id = o.municipality_id AND a.id = o.application_id
   JOIN people pe ON pe.municipality_id = a.municipality_id AND pe.id = a.applicant_id
   JOIN dwellings d ON d.municipality_id = o.municipality_id AND d.id = o.dwelling_id
   JOIN properties p ON p.municipality_id = d.municipality_id AND p.id = d.property_id";

pub async fn offer(
    conn: &mut PgConnection,
    visible: &[Uuid],
    id: Uuid,
) -> sqlx::Result<Option<OfferRow>> {
    sqlx::query_as(&format!(
        "{OFFER_SQL} WHERE o.municipality_id = ANY($1) AND o.id = $2"
    ))
    .bind(visible)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn offers_of_dwelling(
    conn: &mut PgConnection,
    municipality: Uuid,
    dwelling: Uuid,
) -> sqlx::Result<Vec<OfferRow>> {
    sqlx::query_as(&format!(
        "{OFFER_SQL} WHERE o.municipality_id = $1 AND o.dwelling_id = $2 ORDER BY o.created_at DESC"
    ))
    .bind(municipality)
    .bind(dwelling)
    .fetch_all(conn)
    .await
}

pub async fn offers_of_application(
    conn: &mut PgConnection,
    municipality: Uuid,
    application: Uuid,
) -> sqlx::Result<Vec<OfferRow>> {
    sqlx::query_as(&format!(
        "{OFFER_SQL} WHERE o.municipality_id = $1 AND o.application_id = $2 ORDER BY o.created_at DESC"
    ))
    .bind(municipality)
    .bind(application)
    .fetch_all(conn)
    .await
}

/// The open offer of a unit or of an applicant, if any.
pub async fn open_offer(
    conn: &mut PgConnection,
    municipality: Uuid,
    dwelling: Option<Uuid>,
    application: Option<Uuid>,
) -> sqlx::Result<Option<(Uuid, Uuid, Uuid)>> {
    sqlx::query_as(
        "SELECT id, dwelling_id, application_id FROM offers
          WHERE municipality_id = $1 AND status = 'open' AND (dwelling_id = $2 OR application_id = $3)
          ORDER BY created_at LIMIT 1",
    )
    .bind(municipality)
    .bind(dwelling)
    .bind(application)
    .fetch_optional(conn)
    .await
}

pub struct NewOffer<'a> {
    pub dwelling_id: Uuid,
    pub application_id: Uuid,
    pub rule_version_id: Uuid,
    pub offered_on: NaiveDate,
    pub answer_due: NaiveDate,
    pub justification: &'a str,
    pub rank: i32,
    pub score: i32,
    pub breakdown: &'a [(String, i32)],
    pub wish_mismatch: bool,
    pub lease_months: i32,
    pub monthly_rent: Option<i64>,
}

/// Inserts an open offer; None when the unit or the applicant already holds one (the
/// partial unique indexes decide, so two concurrent submits cannot both win).
pub async fn insert_offer(
    conn: &mut PgConnection,
    municipality: Uuid,
    by: Uuid,
    o: &NewOffer<'_>,
) -> sqlx::Result<Option<Uuid>> {
    let id = Uuid::now_v7();
    sqlx::query_scalar(
        "INSERT INTO offers (municipality_id, id, dwelling_id, application_id, rule_version_id, offered_on,
                answer_due, justification, rank_at_offer, score_at_offer, breakdown, wish_mismatch,
                lease_months, monthly_rent, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(municipality)
    .bind(id)
    .bind(o.dwelling_id)
    .bind(o.application_id)
    .bind(o.rule_version_id)
    .bind(o.offered_on)
    .bind(o.answer_due)
    .bind(o.justification.trim())
    .bind(o.rank)
    .bind(o.score)
    .bind(Json(o.breakdown))
    .bind(o.wish_mismatch)
    .bind(o.lease_months)
    .bind(o.monthly_rent)
    .bind(by)
    .fetch_optional(conn)
    .await
}

/// Records the answer of an open offer; false when it is no longer open at `version`.
#[allow(clippy::too_many_arguments)]
pub async fn answer_offer(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    version: i32,
    status: OfferStatus,
    answered_on: NaiveDate,
    reason: &str,
    by: Uuid,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE offers SET status = $4, answered_on = $5, decline_reason = $6, answered_by = $7,
                version = version + 1, updated_at = now()
          WHERE municipality_id = $1 AND id = $2 AND version = $3 AND status = 'open'",
    )
    .bind(municipality)
    .bind(id)
    .bind(version)
    .bind(status.key())
    .bind(answered_on)
    .bind(reason)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Open offers of `visible` municipalities past their answer date, oldest due first:
/// the first `limit` and how many there are.
pub async fn overdue_offers(
    conn: &mut PgConnection,
    visible: &[Uuid],
    today: NaiveDate,
    limit: i64,
) -> sqlx::Result<(Vec<OfferRow>, i64)> {
    let rows = sqlx::query_as(&format!(
        "{OFFER_SQL} WHERE o.municipality_id = ANY($1) AND o.status = 'open' AND o.answer_due < $2
          ORDER BY o.answer_due, o.id LIMIT $3"
    ))
    .bind(visible)
    .bind(today)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let total = count_overdue_offers(conn, visible, today).await?;
    Ok((rows, total))
}

pub async fn count_overdue_offers(
    conn: &mut PgConnection,
    visible: &[Uuid],
    today: NaiveDate,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM offers WHERE municipality_id = ANY($1) AND status = 'open' AND answer_due < $2",
    )
    .bind(visible)
    .bind(today)
    .fetch_one(conn)
    .await
}

/// Marks open offers past their answer date as noted (once each), returning
/// (municipality, offer, application, answer due) of those marked now.
pub async fn mark_overdue_noted(
    conn: &mut PgConnection,
    today: NaiveDate,
) -> sqlx::Result<Vec<(Uuid, Uuid, Uuid, NaiveDate)>> {
    sqlx::query_as(
        "UPDATE offers SET overdue_noted_on = $1
          WHERE status = 'open' AND answer_due < $1 AND overdue_noted_on IS NULL
          RETURNING municipality_id, id, application_id, answer_due",
    )
    .bind(today)
    .fetch_all(conn)
    .await
}

crate::web::load::located!(UnitFacts => unit);

crate::web::load::located!(OfferRow => offer);
