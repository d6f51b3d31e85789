//! SQL of the start page.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub struct Row {
    pub municipality_id: Uuid,
    pub letterhead_name: String,
    pub areas: i64,
    pub open: i64,
    pub mine: i64,
    pub interim_overdue: i64,
    pub waiting_list: i64,
    pub awaiting_approval: i64,
    pub open_appeals: i64,
    pub ready_for_meeting: i64,
    pub offers_overdue: i64,
    pub next_meeting_id: Option<Uuid>,
    pub next_meeting_at: Option<DateTime<Utc>>,
    pub vacant: i64,
    pub becoming_vacant: i64,
    pub leases_ending: i64,
    pub leases_lapsing: i64,
}

/// The figures of each municipality in `visible` for `user`. Row level security limits
/// this to the municipalities in view. One round trip; every count walks an index that
/// starts with municipality_id.
pub async fn figures(
    conn: &mut PgConnection,
    visible: &[Uuid],
    user: Uuid,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<Row>> {
    sqlx::query_as(

        "SELECT s.municipality_id, s.letterhead_name,
                (SELECT count(*) FROM areas a WHERE a.municipality_id = s.municipality_id AND a.active) AS areas,
                (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
                   AND a.status IN ('received', 'under_assessment', 'ready_for_meeting', 'approved',
                                    'partly_approved', 'waiting_list', 'offered')) AS open,
                (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
                   AND a.caseworker_id = $2
                   AND a.status IN ('received', 'under_assessment', 'ready_for_meeting', 'approved',
                                    'partly_approved', 'waiting_list', 'offered')) AS mine,
                (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
                   AND a.interim_due_on < $3 AND a.interim_sent_on IS NULL
                   AND a.status IN ('received', 'under_assessment', 'ready_for_meeting')) AS interim_overdue,
                (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
                   AND a.status = 'waiting_list') AS waiting_list,
                (SELECT count(*) FROM decisions d WHERE d.municipality_id = s.municipality_id
                   AND d.status = 'ready_for_approval') AS awaiting_approval,
                (SELECT count(*) FROM appeals ap WHERE ap.municipality_id = s.municipality_id
                   AND ap.status IN ('registered', 'reversing', 'forwarded')) AS open_appeals,
                (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
                   AND a.status = 'ready_for_meeting') AS ready_for_meeting,
                (SELECT count(*) FROM offers o WHERE o.municipality_id = s.municipality_id
                   AND o.status = 'open' AND o.answer_due < $3) AS offers_overdue,
                nm.id AS next_meeting_id, nm.starts_at AS next_meeting_at,
                (SELECT count(*) FROM dwellings d WHERE d.municipality_id = s.municipality_id
                   AND d.status = 'vacant') AS vacant,
                (SELECT count(*) FROM dwellings d WHERE d.municipality_id = s.municipality_id
                   AND d.status = 'notice_given' AND d.expected_vacant_from <= $3 + 90) AS becoming_vacant,
                (SELECT count(*) FROM leases l WHERE l.municipality_id = s.municipality_id
                   AND l.status IN ('signed', 'active', 'notice_given')
                   AND l.ends_on BETWEEN $3 AND ($3 + interval '6 months')::date) AS leases_ending,
                -- Husleieloven § 9-2: time-limited leases near or past their end with no
                -- written demand to move, no notice and no renewal under way
                -- (leases::rules::open_ended_warning).
                (SELECT count(*) FROM leases l WHERE l.municipality_id = s.municipality_id
                   AND l.status IN ('signed', 'active') AND l.demand_to_move_on IS NULL
                   AND l.ends_on <= $3 + $5
                   AND NOT EXISTS (SELECT 1 FROM lease_reviews rv JOIN applications ra
                  ON ra.municipality_id = rv.municipality_id AND ra.id = rv.renewal_application_id
                WHERE rv.municipality_id = l.municipality_id AND rv.lease_id = l.id
                  AND ra.status NOT IN ('rejected', 'withdrawn', 'closed_without_decision'))) AS leases_lapsing
           FROM municipality_settings s
           LEFT JOIN LATERAL (SELECT mt.id, mt.starts_at FROM meetings mt
                               WHERE mt.municipality_id = s.municipality_id AND mt.cancelled_at IS NULL
                                 AND mt.starts_at >= $4 - interval '12 hours'
                               ORDER BY mt.starts_at LIMIT 1) nm ON true
          WHERE s.municipality_id = ANY($1)",
    )
    .bind(visible)
    .bind(user)
    .bind(today)
    .bind(now)
    .bind(crate::leases::rules::WARN_DAYS_BEFORE_END as i32)
    .fetch_all(conn)
    .await
}
