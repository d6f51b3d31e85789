-- The audit log (src/admin/audit_log.rs, list) with empty filters, first page, as a
-- municipality admin (not an auditor, so events without a municipality are left out).
-- The app binds the filters as parameters; here they are the values an empty form sends.
SELECT id, at, username, municipality_id, action, entity_type, entity_id, details::text AS details, ip
  FROM audit_events
 WHERE (municipality_id = ANY(:municipalities) OR (false AND municipality_id IS NULL))
   AND ('' = '' OR action LIKE '' || '%')
   AND ('' = '' OR username = '' OR details->>'username' = '')
   AND (NULL::date IS NULL OR at >= NULL::date::timestamptz)
   AND (NULL::date IS NULL OR at < (NULL::date + 1)::timestamptz)
   AND (NULL::timestamptz IS NULL OR (at, id) < (NULL::timestamptz, NULL::uuid))
 ORDER BY at DESC, id DESC
 LIMIT 51;
