-- The case list (src/applications/lists.rs list -> repo::list), no filters, newest first,
-- first page, for the shared office's caseworker over all five municipalities
-- (per municipality: LATERAL over
-- unnest, each walking the index with LIMIT, merged and limited again); then the filter options (reasons of all municipalities in one query).
SELECT x.id, x.municipality_id, x.municipality_name, x.case_number, x.received_on, x.interim_due_on,
       x.interim_sent_on, x.status, x.applicant_name, x.applicant_national_id,
       x.applicant_birth_date,
       1 + (SELECT count(*) FROM application_members am
             WHERE am.municipality_id = x.municipality_id AND am.application_id = x.id) AS household_size,
       x.caseworker_name, x.channel
  FROM unnest(:municipalities::uuid[]) AS mm(id) CROSS JOIN LATERAL
  (SELECT a.id, a.municipality_id, m.name AS municipality_name, a.case_number, a.received_on,
          a.interim_due_on, a.interim_sent_on, a.status, p.name AS applicant_name,
          p.national_id AS applicant_national_id, p.birth_date AS applicant_birth_date,
          u.display_name AS caseworker_name, a.channel::text AS channel
     FROM applications a
     JOIN municipalities m ON m.id = a.municipality_id
     JOIN people p ON p.municipality_id = a.municipality_id AND p.id = a.applicant_id
     LEFT JOIN users u ON u.id = a.caseworker_id
    WHERE a.municipality_id = mm.id
    ORDER BY a.received_on DESC, a.id DESC LIMIT 51) x
 ORDER BY x.received_on DESC, x.id DESC LIMIT 51;
-- choices(): the caseworker and reason filters' options.
SELECT DISTINCT coalesce(ms.municipality_id, om.municipality_id) AS municipality_id,
       u.id, u.display_name
  FROM memberships ms
  JOIN users u ON u.id = ms.user_id AND u.active
  LEFT JOIN office_municipalities om ON om.office_id = ms.office_id
 WHERE ms.role = 'caseworker'
   AND coalesce(ms.municipality_id, om.municipality_id) = ANY(:municipalities)
 ORDER BY u.display_name;
SELECT r.municipality_id, r.id, r.name, r.active
  FROM application_reasons r
  JOIN unnest(:municipalities::uuid[]) WITH ORDINALITY AS mm(id, ord) ON mm.id = r.municipality_id
 WHERE r.municipality_id = ANY(:municipalities) AND (r.active OR NOT false)
 ORDER BY mm.ord, r.sort_order, lower(r.name);
