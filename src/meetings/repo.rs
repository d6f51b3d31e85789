//! SQL for meetings: the meeting (one row per municipality it covers), its items with the
//! facts needed to show them, the proposals for the agenda, and conclusions.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::model::{Conclusion, ItemKind, Participant, ValidConclusion};

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct MeetingRow {
    pub id: Uuid,
    pub covers: Vec<Uuid>,
    pub office_id: Option<Uuid>,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub place: String,
    pub participants: Json<Vec<Participant>>,
    pub minutes_notes: String,
    pub agenda_sent_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: String,
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_by_name: Option<String>,
    pub created_by: Uuid,
    pub version: i32,
    /// The municipalities of the meeting, by name, in the order of `covers`.
    pub covers_names: Vec<String>,
}

impl MeetingRow {
    pub fn is_open(&self) -> bool {
        self.approved_at.is_none() && self.cancelled_at.is_none()
    }
}

const MEETING_COLUMNS: &str = "mt.id, mt.covers, mt.office_id, mt.title, mt.starts_at, mt.place,
    mt.participants, mt.minutes_notes, mt.agenda_sent_at, mt.cancelled_at, mt.cancel_reason,
    mt.approved_at, au.display_name AS approved_by_name, mt.created_by, mt.version,
    ARRAY(SELECT m.name FROM unnest(mt.covers) WITH ORDINALITY c(id, n)
            JOIN municipalities m ON m.id = c.id ORDER BY c.n) AS covers_names";

/// The meeting as seen through any part the transaction can see.
pub async fn meeting(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<MeetingRow>> {
    sqlx::query_as(&format!(
        "SELECT {MEETING_COLUMNS} FROM meetings mt LEFT JOIN users au ON au.id = mt.approved_by
          WHERE mt.id = $1 ORDER BY mt.municipality_id LIMIT 1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The parts of a meeting visible in this transaction.
pub async fn visible_parts(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar("SELECT municipality_id FROM meetings WHERE id = $1")
        .bind(id)
        .fetch_all(conn)
        .await
}

/// Locks this municipality's part of the meeting against approval or cancellation until
/// the transaction ends (FOR SHARE: conclusions may be recorded side by side) and says
/// whether it is still open. An approval waiting on the lock then sees the new conclusion
/// change the minutes' fingerprint and refuses.
pub async fn lock_open_part(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
) -> sqlx::Result<bool> {
    let open: Option<bool> = sqlx::query_scalar(
        "SELECT approved_at IS NULL AND cancelled_at IS NULL FROM meetings
          WHERE municipality_id = $1 AND id = $2 FOR SHARE",
    )
    .bind(municipality)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(open.unwrap_or(false))
}

/// A fingerprint of the agenda and its conclusions as the user saw them: the minutes are
/// approved only as they were read.
pub fn items_stamp(items: &[ItemRow]) -> String {
    let versions: i64 = items.iter().map(|i| i64::from(i.version)).sum();
    format!("{}-{versions}", items.len())
}

/// The same meeting planned by the same person a moment ago (a second click on "Planlegg
/// møtet" lands on the first instead of planning it twice).
pub async fn just_planned(
    conn: &mut PgConnection,
    by: Uuid,
    title: &str,
    starts_at: DateTime<Utc>,
    covers: &[Uuid],
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM meetings
          WHERE municipality_id = $4[1] AND created_by = $1 AND title = $2 AND starts_at = $3
            AND covers = $4 AND created_at > now() - interval '10 minutes'
          LIMIT 1",
    )
    .bind(by)
    .bind(title)
    .bind(starts_at)
    .bind(covers)
    .fetch_optional(conn)
    .await
}

pub struct NewMeeting<'a> {
    pub id: Uuid,
    pub covers: &'a [Uuid],
    pub office_id: Option<Uuid>,
    pub title: &'a str,
    pub starts_at: DateTime<Utc>,
    pub place: &'a str,
    pub participants: &'a [Participant],
    pub created_by: Uuid,
}

pub async fn insert_meeting(conn: &mut PgConnection, m: &NewMeeting<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO meetings (municipality_id, id, covers, office_id, title, starts_at, place,
                participants, created_by)
         SELECT c, $1, $2, $3, $4, $5, $6, $7, $8 FROM unnest($2::uuid[]) c",
    )
    .bind(m.id)
    .bind(m.covers)
    .bind(m.office_id)
    .bind(m.title)
    .bind(m.starts_at)
    .bind(m.place)
    .bind(Json(m.participants))
    .bind(m.created_by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Updates the shared fields of every part at `version`; returns the rows changed (the
/// caller compares with the number of parts).
pub async fn update_meeting(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
    title: &str,
    starts_at: DateTime<Utc>,
    place: &str,
    participants: &[Participant],
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE meetings SET title = $3, starts_at = $4, place = $5, participants = $6,
                version = version + 1
          WHERE id = $1 AND version = $2 AND approved_at IS NULL AND cancelled_at IS NULL",
    )
    .bind(id)
    .bind(version)
    .bind(title)
    .bind(starts_at)
    .bind(place)
    .bind(Json(participants))
    .execute(conn)
    .await?
    .rows_affected())
}

/// Bumps the version of every part (the agenda changed); rows changed.
pub async fn bump(conn: &mut PgConnection, id: Uuid, version: i32) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE meetings SET version = version + 1
          WHERE id = $1 AND version = $2 AND approved_at IS NULL AND cancelled_at IS NULL",
    )
    .bind(id)
    .bind(version)
    .execute(conn)
    .await?
    .rows_affected())
}

pub async fn save_minutes(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
    notes: &str,
    participants: &[Participant],
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE meetings SET minutes_notes = $3, participants = $4, version = version + 1
          WHERE id = $1 AND version = $2 AND approved_at IS NULL AND cancelled_at IS NULL",
    )
    .bind(id)
    .bind(version)
    .bind(notes)
    .bind(Json(participants))
    .execute(conn)
    .await?
    .rows_affected())
}

pub async fn approve(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
    by: Uuid,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE meetings SET approved_at = now(), approved_by = $3, version = version + 1
          WHERE id = $1 AND version = $2 AND approved_at IS NULL AND cancelled_at IS NULL",
    )
    .bind(id)
    .bind(version)
    .bind(by)
    .execute(conn)
    .await?
    .rows_affected())
}

pub async fn cancel(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
    reason: &str,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE meetings SET cancelled_at = now(), cancel_reason = $3, version = version + 1
          WHERE id = $1 AND version = $2 AND approved_at IS NULL AND cancelled_at IS NULL",
    )
    .bind(id)
    .bind(version)
    .bind(reason)
    .execute(conn)
    .await?
    .rows_affected())
}

pub async fn mark_agenda_sent(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE meetings SET agenda_sent_at = now(), version = version + 1
          WHERE id = $1 AND version = $2 AND approved_at IS NULL AND cancelled_at IS NULL",
    )
    .bind(id)
    .bind(version)
    .execute(conn)
    .await?
    .rows_affected())
}

// ---------------------------------------------------------------------------------------
// Lists

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ListRow {
    pub id: Uuid,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub place: String,
    pub covers_names: Vec<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    /// Items the user can see.
    pub items: i64,
    pub concluded: i64,
}

pub const PAGE_SIZE: i64 = 25;

/// Meetings covering any of `visible`, one row per meeting. `upcoming`: from `from`
/// onwards, soonest first; otherwise before `from`, latest first, after the cursor.
pub async fn list(
    conn: &mut PgConnection,
    visible: &[Uuid],
    from: DateTime<Utc>,
    upcoming: bool,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<ListRow>> {
    let (cmp, order, cursor) = if upcoming {
        (
            "mt.starts_at >= $2",
            "ASC",
            "(mt.starts_at, mt.id) > ($3, $4)",
        )
    } else {
        (
            "mt.starts_at < $2",
            "DESC",
            "(mt.starts_at, mt.id) < ($3, $4)",
        )
    };
    let (at, id) = match after {
        Some((a, i)) => (Some(a), Some(i)),
        None => (None, None),
    };
    sqlx::query_as(&format!(
        "SELECT mt.id, mt.title, mt.starts_at, mt.place,
                ARRAY(SELECT m.name FROM unnest(mt.covers) WITH ORDINALITY c(id, n)
                        JOIN municipalities m ON m.id = c.id ORDER BY c.n) AS covers_names,
                mt.cancelled_at, mt.approved_at,
                (SELECT count(*) FROM meeting_items i WHERE i.meeting_id = mt.id
                    AND i.municipality_id = ANY($1)) AS items,
                (SELECT count(*) FROM meeting_items i WHERE i.meeting_id = mt.id
                    AND i.municipality_id = ANY($1) AND i.conclusion IS NOT NULL) AS concluded
           FROM (SELECT DISTINCT ON (id) * FROM meetings
                  WHERE municipality_id = ANY($1) ORDER BY id, municipality_id) mt
          WHERE {cmp} AND ($3::timestamptz IS NULL OR {cursor})
          ORDER BY mt.starts_at {order}, mt.id {order}
          LIMIT $5"
    ))
    .bind(visible)
    .bind(from)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Items

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ItemRow {
    pub municipality_id: Uuid,
    pub municipality_name: String,
    pub id: Uuid,
    pub meeting_id: Uuid,
    pub position: i32,
    pub kind: ItemKind,
    pub application_id: Option<Uuid>,
    pub dwelling_id: Option<Uuid>,
    pub appeal_id: Option<Uuid>,
    /// The lease an 'other' item reviews.
    pub lease_id: Option<Uuid>,
    pub title: String,
    pub reason: String,
    pub conclusion: Option<Conclusion>,
    pub conclusion_text: String,
    pub chosen_application_id: Option<Uuid>,
    pub chosen_rank: Option<i32>,
    pub justification: String,
    pub concluded_at: Option<DateTime<Utc>>,
    pub concluded_by_name: Option<String>,
    pub version: i32,
    /// The case the item is about (the application, or the appealed decision's case).
    pub case_application_id: Option<Uuid>,
    pub case_number: Option<String>,
    pub person_name: Option<String>,
    pub national_id: Option<String>,
    pub unit_address: Option<String>,
    pub chosen_case_number: Option<String>,
    pub chosen_name: Option<String>,
    pub decision_id: Option<Uuid>,
}

const ITEM_SQL: &str = "SELECT i.municipality_id, mu.name AS municipality_name, i.id, i.meeting_id,
        i.position, i.kind, i.application_id, i.dwelling_id, i.appeal_id, i.lease_id, i.title, i.reason,
        i.conclusion, i.conclusion_text, i.chosen_application_id, i.chosen_rank, i.justification,
        i.concluded_at, cu.display_name AS concluded_by_name, i.version,
        coalesce(a.id, aa.id) AS case_application_id,
        coalesce(a.case_number, aa.case_number) AS case_number,
        coalesce(p.name, ap.appellant) AS person_name,
        coalesce(p.national_id, pa.national_id) AS national_id,
        CASE WHEN d.id IS NOT NULL THEN pr.street_address || ' ' || d.unit_number || ', '
             || pr.postcode || ' ' || pr.postal_place END AS unit_address,
        ca.case_number AS chosen_case_number, cp.name AS chosen_name,
        ap.decision_id
   FROM meeting_items i
   JOIN municipalities mu ON mu.id = i.municipality_id
   LEFT JOIN users cu ON cu.id = i.concluded_by
   LEFT JOIN applications a ON a.municipality_id = i.municipality_id AND a.id = i.application_id
   LEFT JOIN people p ON p.municipality_id = a.municipality_id AND p.id = a.applicant_id
   LEFT JOIN dwellings d ON d.municipality_id = i.municipality_id AND d.id = i.dwelling_id
   LEFT JOIN properties pr ON pr.municipality_id = d.municipality_id AND pr.id = d.property_id
   LEFT JOIN appeals ap ON ap.municipality_id = i.municipality_id AND ap.id = i.appeal_id
   LEFT JOIN decisions de ON de.municipality_id = ap.municipality_id AND de.id = ap.decision_id
   LEFT JOIN applications aa ON aa.municipality_id = de.municipality_id AND aa.id = de.application_id
   LEFT JOIN people pa ON pa.municipality_id = aa.municipality_id AND pa.id = aa.applicant_id
   LEFT JOIN applications ca ON ca.municipality_id = i.municipality_id AND ca.id = i.chosen_application_id
   LEFT JOIN people cp ON cp.municipality_id = ca.municipality_id AND cp.id = ca.applicant_id";

/// The items of the meeting the transaction can see, in agenda order.
pub async fn items(conn: &mut PgConnection, meeting: Uuid) -> sqlx::Result<Vec<ItemRow>> {
    sqlx::query_as(&format!(
        "{ITEM_SQL} WHERE i.meeting_id = $1 ORDER BY i.position, i.id"
    ))
    .bind(meeting)
    .fetch_all(conn)
    .await
}

pub async fn item(
    conn: &mut PgConnection,
    meeting: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<ItemRow>> {
    sqlx::query_as(&format!("{ITEM_SQL} WHERE i.meeting_id = $1 AND i.id = $2"))
        .bind(meeting)
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub struct NewItem<'a> {
    pub municipality_id: Uuid,
    pub kind: ItemKind,
    pub subject: Option<Uuid>,
    pub title: &'a str,
    pub reason: &'a str,
}

/// Appends an item at the end of the agenda; None when the subject is already on it.
pub async fn insert_item(
    conn: &mut PgConnection,
    meeting: Uuid,
    item: &NewItem<'_>,
    by: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    let id = Uuid::now_v7();
    // Another item may name a lease to review (its subject).
    let (app, unit, appeal, lease) = match item.kind {
        ItemKind::Application => (item.subject, None, None, None),
        ItemKind::Dwelling => (None, item.subject, None, None),
        ItemKind::Appeal => (None, None, item.subject, None),
        ItemKind::Other => (None, None, None, item.subject),
    };
    let done = sqlx::query(
        "INSERT INTO meeting_items (municipality_id, id, meeting_id, position, kind, application_id,
                dwelling_id, appeal_id, title, reason, added_by, lease_id)
         VALUES ($1, $2, $3,
                 (SELECT coalesce(max(position), 0) + 1 FROM meeting_items WHERE meeting_id = $3),
                 $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT DO NOTHING",
    )
    .bind(item.municipality_id)
    .bind(id)
    .bind(meeting)
    .bind(item.kind)
    .bind(app)
    .bind(unit)
    .bind(appeal)
    .bind(item.title)
    .bind(item.reason)
    .bind(by)
    .bind(lease)
    .execute(conn)
    .await?;
    Ok((done.rows_affected() == 1).then_some(id))
}

pub async fn delete_item(conn: &mut PgConnection, meeting: Uuid, id: Uuid) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM meeting_items WHERE meeting_id = $1 AND id = $2 AND conclusion IS NULL",
    )
    .bind(meeting)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Numbers the items 1..n in the given order (every item of the meeting).
pub async fn renumber(conn: &mut PgConnection, meeting: Uuid, order: &[Uuid]) -> sqlx::Result<()> {
    let positions: Vec<i32> = (1..=order.len() as i32).collect();
    sqlx::query(
        "UPDATE meeting_items i SET position = o.pos
           FROM unnest($2::uuid[], $3::int[]) o(id, pos)
          WHERE i.meeting_id = $1 AND i.id = o.id AND i.position <> o.pos",
    )
    .bind(meeting)
    .bind(order)
    .bind(&positions)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records (or replaces) the conclusion at `version`; false when the item changed.
pub async fn conclude(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    version: i32,
    c: &ValidConclusion,
    by: Uuid,
) -> sqlx::Result<bool> {
    let (chosen, rank) = match c.chosen {
        Some((a, r)) => (Some(a), Some(r)),
        None => (None, None),
    };
    let done = sqlx::query(
        "UPDATE meeting_items SET conclusion = $4, conclusion_text = $5, chosen_application_id = $6,
                chosen_rank = $7, justification = $8, concluded_at = now(), concluded_by = $9,
                version = version + 1
          WHERE municipality_id = $1 AND id = $2 AND version = $3",
    )
    .bind(municipality)
    .bind(id)
    .bind(version)
    .bind(c.conclusion)
    .bind(&c.text)
    .bind(chosen)
    .bind(rank)
    .bind(&c.justification)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---------------------------------------------------------------------------------------
// Proposals for the agenda

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ProposedCase {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub case_number: String,
    pub applicant_name: String,
    pub received_on: NaiveDate,
    pub ready_since: Option<DateTime<Utc>>,
    /// Another open meeting that already has the case on its agenda.
    pub elsewhere: Option<String>,
}

/// Applications marked ready for the meeting that the team has not yet concluded on since
/// they were marked, and that are not on this meeting's agenda.
pub async fn ready_applications(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    meeting: Uuid,
) -> sqlx::Result<Vec<ProposedCase>> {
    sqlx::query_as(
        "WITH ready AS (
           SELECT a.municipality_id, a.id, a.case_number, p.name AS applicant_name, a.received_on,
                  (SELECT max(e.at) FROM application_events e
                    WHERE e.municipality_id = a.municipality_id AND e.application_id = a.id
                      AND e.kind = 'status_changed') AS ready_since
             FROM applications a
             JOIN people p ON p.municipality_id = a.municipality_id AND p.id = a.applicant_id
            WHERE a.municipality_id = ANY($1) AND a.status = 'ready_for_meeting')
         SELECT r.*,
                (SELECT mt.title || ' ' || to_char(mt.starts_at AT TIME ZONE 'Europe/Oslo', 'DD.MM.YYYY')
                   FROM meeting_items i JOIN meetings mt
                        ON mt.municipality_id = i.municipality_id AND mt.id = i.meeting_id
                  WHERE i.municipality_id = r.municipality_id AND i.application_id = r.id
                    AND i.meeting_id <> $2 AND i.conclusion IS NULL
                    AND mt.approved_at IS NULL AND mt.cancelled_at IS NULL
                  ORDER BY mt.starts_at LIMIT 1) AS elsewhere
           FROM ready r
          WHERE NOT EXISTS (SELECT 1 FROM meeting_items i
                             WHERE i.municipality_id = r.municipality_id AND i.meeting_id = $2
                               AND i.application_id = r.id)
            AND NOT EXISTS (SELECT 1 FROM meeting_items i
                             WHERE i.municipality_id = r.municipality_id AND i.application_id = r.id
                               AND i.conclusion IS NOT NULL AND i.conclusion <> 'postponed'
                               AND i.concluded_at >= coalesce(r.ready_since, '-infinity'))
          ORDER BY r.received_on, r.case_number
          LIMIT 200",
    )
    .bind(municipalities)
    .bind(meeting)
    .fetch_all(conn)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ProposedAppeal {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub case_number: String,
    pub appellant: String,
    pub received_on: NaiveDate,
    pub elsewhere: Option<String>,
}

/// Appeals registered and not yet reconsidered by the first instance.
pub async fn open_appeals(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    meeting: Uuid,
) -> sqlx::Result<Vec<ProposedAppeal>> {
    sqlx::query_as(
        "SELECT ap.municipality_id, ap.id, a.case_number, ap.appellant, ap.received_on,
                (SELECT mt.title || ' ' || to_char(mt.starts_at AT TIME ZONE 'Europe/Oslo', 'DD.MM.YYYY')
                   FROM meeting_items i JOIN meetings mt
                        ON mt.municipality_id = i.municipality_id AND mt.id = i.meeting_id
                  WHERE i.municipality_id = ap.municipality_id AND i.appeal_id = ap.id
                    AND i.meeting_id <> $2 AND i.conclusion IS NULL
                    AND mt.approved_at IS NULL AND mt.cancelled_at IS NULL
                  ORDER BY mt.starts_at LIMIT 1) AS elsewhere
           FROM appeals ap
           JOIN decisions d ON d.municipality_id = ap.municipality_id AND d.id = ap.decision_id
           JOIN applications a ON a.municipality_id = d.municipality_id AND a.id = d.application_id
          WHERE ap.municipality_id = ANY($1) AND ap.status = 'registered'
            AND NOT EXISTS (SELECT 1 FROM meeting_items i
                             WHERE i.municipality_id = ap.municipality_id AND i.meeting_id = $2
                               AND i.appeal_id = ap.id)
            AND NOT EXISTS (SELECT 1 FROM meeting_items i
                             WHERE i.municipality_id = ap.municipality_id AND i.appeal_id = ap.id
                               AND i.conclusion IS NOT NULL AND i.conclusion <> 'postponed')
          ORDER BY ap.received_on, a.case_number
          LIMIT 200",
    )
    .bind(municipalities)
    .bind(meeting)
    .fetch_all(conn)
    .await
}

/// Units already on this meeting's agenda (the proposal leaves them out).
pub async fn dwellings_on(conn: &mut PgConnection, meeting: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT dwelling_id FROM meeting_items WHERE meeting_id = $1 AND dwelling_id IS NOT NULL",
    )
    .bind(meeting)
    .fetch_all(conn)
    .await
}

/// Applications with this case number among `municipalities` (adding a case by hand).
/// Case numbers are per municipality, so an office meeting may find several.
pub async fn applications_by_case_number(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    case_number: &str,
) -> sqlx::Result<Vec<(Uuid, Uuid)>> {
    sqlx::query_as(
        "SELECT municipality_id, id FROM applications
          WHERE municipality_id = ANY($1) AND case_number = $2 ORDER BY municipality_id",
    )
    .bind(municipalities)
    .bind(case_number)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// People to invite

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Invitable {
    pub id: Uuid,
    pub display_name: String,
    pub email: Option<String>,
}

/// Active users who take part in the work of any of `municipalities`: caseworkers, team
/// members and administrators, directly or through an office.
pub async fn invitable(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
) -> sqlx::Result<Vec<Invitable>> {
    sqlx::query_as(
        "SELECT DISTINCT u.id, u.display_name, u.email
           FROM memberships ms
           JOIN users u ON u.id = ms.user_id AND u.active
           LEFT JOIN office_municipalities om ON om.office_id = ms.office_id
          WHERE ms.role IN ('caseworker', 'team', 'admin')
            AND coalesce(ms.municipality_id, om.municipality_id) = ANY($1)
          ORDER BY u.display_name, u.id",
    )
    .bind(municipalities)
    .fetch_all(conn)
    .await
}

/// The office serving all of `municipalities`, if one does (an office meeting).
pub async fn office_of(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
) -> sqlx::Result<Option<Uuid>> {
    if municipalities.len() < 2 {
        return Ok(None);
    }
    sqlx::query_scalar(
        "SELECT office_id FROM office_municipalities WHERE municipality_id = ANY($1)
          GROUP BY office_id HAVING count(*) = cardinality($1) LIMIT 1",
    )
    .bind(municipalities)
    .fetch_optional(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// What the case page shows

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct CaseConclusion {
    pub meeting_id: Uuid,
    pub item_id: Uuid,
    pub meeting_title: String,
    pub starts_at: DateTime<Utc>,
    pub kind: ItemKind,
    pub conclusion: Conclusion,
    pub conclusion_text: String,
    pub justification: String,
    pub unit_address: Option<String>,
    pub approved: bool,
}

/// The team's conclusions about an application: on the application itself, on appeals
/// against its decisions, and units the team chose it for. Newest first.
pub async fn conclusions_for_application(
    conn: &mut PgConnection,
    municipality: Uuid,
    application: Uuid,
) -> sqlx::Result<Vec<CaseConclusion>> {
    sqlx::query_as(
        "SELECT mt.id AS meeting_id, i.id AS item_id, mt.title AS meeting_title, mt.starts_at,
                i.kind, i.conclusion, i.conclusion_text, i.justification,
                CASE WHEN d.id IS NOT NULL THEN pr.street_address || ' ' || d.unit_number END AS unit_address,
                mt.approved_at IS NOT NULL AS approved
           FROM meeting_items i
           JOIN meetings mt ON mt.municipality_id = i.municipality_id AND mt.id = i.meeting_id
           LEFT JOIN appeals ap ON ap.municipality_id = i.municipality_id AND ap.id = i.appeal_id
           LEFT JOIN decisions de ON de.municipality_id = ap.municipality_id AND de.id = ap.decision_id
           LEFT JOIN dwellings d ON d.municipality_id = i.municipality_id AND d.id = i.dwelling_id
           LEFT JOIN properties pr ON pr.municipality_id = d.municipality_id AND pr.id = d.property_id
          WHERE i.municipality_id = $1 AND i.conclusion IS NOT NULL AND mt.cancelled_at IS NULL
            AND (i.application_id = $2 OR de.application_id = $2 OR i.chosen_application_id = $2)
          ORDER BY i.concluded_at DESC
          LIMIT 20",
    )
    .bind(municipality)
    .bind(application)
    .fetch_all(conn)
    .await
}

/// Offers made for a unit to an applicant (the one-click offer shows its result).
pub async fn offer_for(
    conn: &mut PgConnection,
    municipality: Uuid,
    dwelling: Uuid,
    application: Uuid,
) -> sqlx::Result<Option<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT id, status FROM offers
          WHERE municipality_id = $1 AND dwelling_id = $2 AND application_id = $3
          ORDER BY created_at DESC LIMIT 1",
    )
    .bind(municipality)
    .bind(dwelling)
    .bind(application)
    .fetch_optional(conn)
    .await
}

/// The application an appeal is about (its decision's case).
pub async fn appeal_application(
    conn: &mut PgConnection,
    muni: Uuid,
    appeal: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "SELECT d.application_id FROM appeals ap
           JOIN decisions d ON d.municipality_id = ap.municipality_id AND d.id = ap.decision_id
          WHERE ap.municipality_id = $1 AND ap.id = $2",
    )
    .bind(muni)
    .bind(appeal)
    .fetch_optional(conn)
    .await
}

/// Demo data: the Levanger users who take part in the demo meeting (id, name, username).
pub async fn demo_people(conn: &mut PgConnection) -> sqlx::Result<Vec<(Uuid, String, String)>> {
    sqlx::query_as(
        "SELECT id, display_name, username FROM users
          WHERE username IN ('levanger.team', 'levanger.saksbehandler', 'levanger.admin')
          ORDER BY username",
    )
    .fetch_all(conn)
    .await
}

/// Scale data: the first caseworker of a municipality, who organises its meeting.
pub async fn first_caseworker(
    conn: &mut PgConnection,
    municipality: Uuid,
) -> sqlx::Result<Option<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT u.id, u.display_name FROM memberships ms JOIN users u ON u.id = ms.user_id
          WHERE ms.municipality_id = $1 AND ms.role = 'caseworker' ORDER BY u.username LIMIT 1",
    )
    .bind(municipality)
    .fetch_optional(conn)
    .await
}

/// A meeting spans the municipalities it covers: it is found among all of the user's
/// municipalities (the part the transaction sees), and changing it needs the right in
/// every one of them.
impl crate::web::load::Located for MeetingRow {
    const ACROSS_SWITCHER: bool = true;

    async fn find(
        conn: &mut PgConnection,
        _visible: &[Uuid],
        id: Uuid,
    ) -> sqlx::Result<Option<Self>> {
        // The transaction's scope is `visible` (row-level security).
        meeting(conn, id).await
    }

    fn owners(&self) -> Vec<Uuid> {
        self.covers.clone()
    }
}
