-- The case list (src/applications/lists.rs list -> repo::list), no filters, newest first,
-- first page, for the shared office's caseworker over all five municipalities
-- (municipality_id = ANY); then the filter options (reasons once per municipality).
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
 WHERE a.municipality_id = ANY(:municipalities)
 ORDER BY a.received_on DESC, a.id DESC LIMIT 51;
-- choices(): the caseworker and reason filters' options.
SELECT DISTINCT coalesce(ms.municipality_id, om.municipality_id) AS municipality_id,
       u.id, u.display_name
  FROM memberships ms
  JOIN users u ON u.id = ms.user_id AND u.active
  LEFT JOIN office_municipalities om ON om.office_id = ms.office_id
 WHERE ms.role = 'caseworker'
   AND coalesce(ms.municipality_id, om.municipality_id) = ANY(:municipalities)
 ORDER BY u.display_name;
SELECT id, name, active FROM application_reasons
 WHERE municipality_id = (:municipalities::uuid[])[1] AND (active OR NOT false)
 ORDER BY sort_order, lower(name);
SELECT id, name, active FROM application_reasons
 WHERE municipality_id = (:municipalities::uuid[])[2] AND (active OR NOT false)
 ORDER BY sort_order, lower(name);
SELECT id, name, active FROM application_reasons
 WHERE municipality_id = (:municipalities::uuid[])[3] AND (active OR NOT false)
 ORDER BY sort_order, lower(name);
SELECT id, name, active FROM application_reasons
 WHERE municipality_id = (:municipalities::uuid[])[4] AND (active OR NOT false)
 ORDER BY sort_order, lower(name);
SELECT id, name, active FROM application_reasons
 WHERE municipality_id = (:municipalities::uuid[])[5] AND (active OR NOT false)
 ORDER BY sort_order, lower(name);
