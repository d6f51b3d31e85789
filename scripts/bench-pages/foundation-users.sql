-- The user list (src/admin/repo.rs, list_in_scope) for a municipality admin, first page.
-- The app binds the one municipality of the admin scope; the bench user has exactly one,
-- so `= ANY(:municipalities)` selects the same rows.
SELECT u.id, u.username, u.display_name, u.active, u.must_change_password,
       array_agg(ms.role ORDER BY ms.role) AS roles
  FROM users u JOIN memberships ms ON ms.user_id = u.id
 WHERE (ms.municipality_id = ANY(:municipalities) OR ms.office_id = NULL::uuid)
   AND (NULL::text IS NULL OR u.username > NULL::text)
 GROUP BY u.id
 ORDER BY u.username
 LIMIT 51;
