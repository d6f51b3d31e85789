-- The case page (src/applications/handlers.rs case_page): the application, household,
-- reasons, wished areas, assessments, timeline, documents, caseworkers, the applicant's
-- other open cases, and the "application.viewed" audit event (a write, so COMMIT waits
-- for the WAL flush as in the app). :first is the case id from the registry's path; the
-- applicant's identity number and wished areas come from the application row in the app
-- and are looked up with a subquery here.
SELECT a.municipality_id, m.name AS municipality_name, m.number AS municipality_number,
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
 WHERE a.municipality_id = ANY(:municipalities) AND a.id = :first;
SELECT p.id AS person_id, p.name, p.national_id, p.birth_date, m.relation::text AS relation
  FROM application_members m
  JOIN people p ON p.municipality_id = m.municipality_id AND p.id = m.person_id
 WHERE m.municipality_id = (:municipalities::uuid[])[1] AND m.application_id = :first
 ORDER BY m.relation, p.birth_date NULLS LAST, p.name;
SELECT r.name FROM application_reason_links l
  JOIN application_reasons r ON r.municipality_id = l.municipality_id AND r.id = l.reason_id
 WHERE l.municipality_id = (:municipalities::uuid[])[1] AND l.application_id = :first
 ORDER BY r.sort_order, r.name;
SELECT name FROM areas
 WHERE municipality_id = (:municipalities::uuid[])[1]
   AND id = ANY(coalesce((SELECT wished_area_ids FROM applications
                  WHERE municipality_id = (:municipalities::uuid[])[1] AND id = :first), '{}'))
 ORDER BY lower(name);
SELECT s.id, s.version_no, s.housing_history, s.independence, s.independence_level,
       s.service_needs, s.health_social, s.conclusion, s.created_at,
       u.display_name AS created_by_name
  FROM assessments s LEFT JOIN users u ON u.id = s.created_by
 WHERE s.municipality_id = (:municipalities::uuid[])[1] AND s.application_id = :first
 ORDER BY s.version_no DESC;
SELECT e.at, e.kind, e.summary, e.detail, e.link, u.display_name AS actor_name
  FROM application_events e LEFT JOIN users u ON u.id = e.actor_id
 WHERE e.municipality_id = (:municipalities::uuid[])[1] AND e.application_id = :first
 ORDER BY e.at DESC, e.id DESC;
SELECT id, title, filename, content_type, size_bytes, created_at FROM application_documents
 WHERE municipality_id = (:municipalities::uuid[])[1] AND application_id = :first
 ORDER BY created_at DESC;
SELECT DISTINCT coalesce(ms.municipality_id, om.municipality_id) AS municipality_id,
       u.id, u.display_name
  FROM memberships ms
  JOIN users u ON u.id = ms.user_id AND u.active
  LEFT JOIN office_municipalities om ON om.office_id = ms.office_id
 WHERE ms.role = 'caseworker'
   AND coalesce(ms.municipality_id, om.municipality_id) = ANY(:municipalities)
 ORDER BY u.display_name;
SELECT a.id, a.case_number, a.status, a.received_on
  FROM applications a
 WHERE a.municipality_id = (:municipalities::uuid[])[1]
   AND a.status = ANY('{received,under_assessment,ready_for_meeting,approved,partly_approved,waiting_list,offered}'::application_status[])
   AND a.id IS DISTINCT FROM :first
   AND a.id IN (SELECT x.id FROM people p
                  JOIN applications x ON x.municipality_id = p.municipality_id AND x.applicant_id = p.id
                 WHERE p.municipality_id = (:municipalities::uuid[])[1] AND p.national_id = (SELECT x.national_id FROM applications y
                          JOIN people x ON x.municipality_id = y.municipality_id AND x.id = y.applicant_id
                         WHERE y.municipality_id = (:municipalities::uuid[])[1] AND y.id = :first)
                UNION ALL
                SELECT m.application_id FROM people p
                  JOIN application_members m ON m.municipality_id = p.municipality_id AND m.person_id = p.id
                 WHERE p.municipality_id = (:municipalities::uuid[])[1] AND p.national_id = (SELECT x.national_id FROM applications y
                          JOIN people x ON x.municipality_id = y.municipality_id AND x.id = y.applicant_id
                         WHERE y.municipality_id = (:municipalities::uuid[])[1] AND y.id = :first))
 ORDER BY a.received_on DESC;
INSERT INTO audit_events
  (id, user_id, username, municipality_id, action, entity_type, entity_id, details, ip, request_id)
VALUES (gen_random_uuid(), :user_id, 'bench', (:municipalities::uuid[])[1], 'application.viewed',
        'application', :first, '{"case_number": "bench"}'::jsonb, '127.0.0.1', NULL);
