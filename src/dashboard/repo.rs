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
                -- The case list's forfalt filter (applications::repo::list).
                (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
                   AND a.interim_due_on < $3 AND a.interim_sent_on IS NULL AND a.decided_on IS NULL
                   AND a.status IN ('received', 'under_assessment', 'ready_for_meeting')) AS interim_overdue,
                -- Whom the waiting list ranks (allocation::repo::waiting): granted a dwelling
                -- by a sent decision that no sent decision replaces, not yet housed.
                (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
                   AND a.status IN ('approved', 'partly_approved', 'waiting_list')
                   AND EXISTS (SELECT 1 FROM decisions d
                     JOIN decision_points pt ON pt.municipality_id = d.municipality_id AND pt.decision_id = d.id
                     JOIN decision_kinds k ON k.municipality_id = pt.municipality_id AND k.id = pt.kind_id
                    WHERE d.municipality_id = a.municipality_id AND d.application_id = a.id AND d.status = 'sent'
                      AND k.is_dwelling AND pt.outcome IN ('granted', 'partly_granted')
                      AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.municipality_id = d.municipality_id
                                       AND r.replaces_id = d.id AND r.status = 'sent'))) AS waiting_list,
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
                -- The vacancy list's blir ledige (dwellings::repo::in_vacancy, 90 days).
                (SELECT count(*) FROM dwellings d WHERE d.municipality_id = s.municipality_id
                   AND d.status IN ('let', 'notice_given', 'maintenance', 'reserved')
                   AND d.expected_vacant_from IS NOT NULL AND d.expected_vacant_from <= $3 + 90) AS becoming_vacant,
                -- The expiry list's default (leases::lists::expiry): running leases ending
                -- by $6 (six months ahead), those past their end date included.
                (SELECT count(*) FROM leases l WHERE l.municipality_id = s.municipality_id
                   AND l.status IN ('signed', 'active', 'notice_given')
                   AND l.ends_on <= $6) AS leases_ending,
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
    .bind(crate::leases::rules::add_months(today, 6))
    .fetch_all(conn)
    .await
}
