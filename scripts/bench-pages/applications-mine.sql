-- "My cases" (src/applications/lists.rs mine): the cases awaiting an interim reply
-- (deadline first, the first 51), the other open cases (newest first, first page) and the
-- counts (repo::my_counts). :user_id is the page's user (scripts/bench sets it).
SELECT a.id, m.name AS municipality_name, a.case_number, a.received_on, a.interim_due_on,
       a.interim_sent_on, a.status, p.name AS applicant_name,
       p.national_id AS applicant_national_id, p.birth_date AS applicant_birth_date,
       1 + (SELECT count(*) FROM application_members am
             WHERE am.municipality_id = a.municipality_id AND am.application_id = a.id) AS household_size,
       u.display_name AS caseworker_name, a.channel::text AS channel
  FROM applications a
  JOIN municipalities m ON m.id = a.municipality_id
  JOIN people p ON p.municipality_id = a.municipality_id AND p.id = a.applicant_id
  LEFT JOIN users u ON u.id = a.caseworker_id
 WHERE a.municipality_id = (:municipalities::uuid[])[1]
   AND a.status = ANY('{received,under_assessment,ready_for_meeting,approved,partly_approved,waiting_list,offered}'::application_status[])
   AND a.caseworker_id = :user_id
   AND (a.decided_on IS NULL AND a.interim_sent_on IS NULL
        AND a.status IN ('received', 'under_assessment', 'ready_for_meeting'))
 ORDER BY a.interim_due_on ASC, a.id ASC LIMIT 51;
SELECT a.id, m.name AS municipality_name, a.case_number, a.received_on, a.interim_due_on,
       a.interim_sent_on, a.status, p.name AS applicant_name,
       p.national_id AS applicant_national_id, p.birth_date AS applicant_birth_date,
       1 + (SELECT count(*) FROM application_members am
             WHERE am.municipality_id = a.municipality_id AND am.application_id = a.id) AS household_size,
       u.display_name AS caseworker_name, a.channel::text AS channel
  FROM applications a
  JOIN municipalities m ON m.id = a.municipality_id
  JOIN people p ON p.municipality_id = a.municipality_id AND p.id = a.applicant_id
  LEFT JOIN users u ON u.id = a.caseworker_id
 WHERE a.municipality_id = (:municipalities::uuid[])[1]
   AND a.status = ANY('{received,under_assessment,ready_for_meeting,approved,partly_approved,waiting_list,offered}'::application_status[])
   AND a.caseworker_id = :user_id
   AND NOT (a.decided_on IS NULL AND a.interim_sent_on IS NULL
        AND a.status IN ('received', 'under_assessment', 'ready_for_meeting'))
 ORDER BY a.received_on DESC, a.id DESC LIMIT 51;
SELECT count(*) AS open,
       count(*) FILTER (WHERE undecided AND interim_due_on >= current_date
                          AND interim_due_on <= current_date + 7) AS due,
       count(*) FILTER (WHERE undecided AND interim_due_on < current_date) AS overdue
  FROM (SELECT interim_due_on,
               (decided_on IS NULL AND interim_sent_on IS NULL
                AND status IN ('received', 'under_assessment', 'ready_for_meeting')) AS undecided
          FROM applications
         WHERE municipality_id = ANY(:municipalities) AND caseworker_id = :user_id
           AND status = ANY('{received,under_assessment,ready_for_meeting,approved,partly_approved,waiting_list,offered}'::application_status[])) s;
