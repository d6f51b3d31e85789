-- The start page (src/dashboard/mod.rs, start_page): per municipality in view, the
-- letterhead, active areas, case figures, open appeals, cases ready for the meeting, the
-- next meeting and the vacancy counts, in one statement.
SELECT s.municipality_id, s.letterhead_name,
       (SELECT count(*) FROM areas a WHERE a.municipality_id = s.municipality_id AND a.active) AS areas,
       (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
          AND a.status IN ('received', 'under_assessment', 'ready_for_meeting', 'approved',
                           'partly_approved', 'waiting_list', 'offered')) AS open,
       (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
          AND a.caseworker_id = :user_id
          AND a.status IN ('received', 'under_assessment', 'ready_for_meeting', 'approved',
                           'partly_approved', 'waiting_list', 'offered')) AS mine,
       (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
          AND a.interim_due_on < current_date AND a.interim_sent_on IS NULL
          AND a.status IN ('received', 'under_assessment', 'ready_for_meeting')) AS interim_overdue,
       (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
          AND a.status = 'waiting_list') AS waiting_list,
       (SELECT count(*) FROM decisions d WHERE d.municipality_id = s.municipality_id
          AND d.status = 'ready_for_approval') AS awaiting_approval,
       (SELECT count(*) FROM appeals ap WHERE ap.municipality_id = s.municipality_id
          AND ap.status IN ('registered', 'forwarded')) AS open_appeals,
       (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
          AND a.status = 'ready_for_meeting') AS ready_for_meeting,
       (SELECT count(*) FROM offers o WHERE o.municipality_id = s.municipality_id
          AND o.status = 'open' AND o.answer_due < current_date) AS offers_overdue,
       nm.id AS next_meeting_id, nm.starts_at AS next_meeting_at,
       (SELECT count(*) FROM dwellings d WHERE d.municipality_id = s.municipality_id
          AND d.status = 'vacant') AS vacant,
       (SELECT count(*) FROM dwellings d WHERE d.municipality_id = s.municipality_id
          AND d.status = 'notice_given' AND d.expected_vacant_from <= current_date + 90) AS becoming_vacant
  FROM municipality_settings s
  LEFT JOIN LATERAL (SELECT mt.id, mt.starts_at FROM meetings mt
                      WHERE mt.municipality_id = s.municipality_id AND mt.cancelled_at IS NULL
                        AND mt.starts_at >= now() - interval '12 hours'
                      ORDER BY mt.starts_at LIMIT 1) nm ON true
 WHERE s.municipality_id = ANY(:municipalities);
