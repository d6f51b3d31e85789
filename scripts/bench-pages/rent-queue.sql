-- The queue of unresolved bank payments (/husleie/innbetalinger): the newest 51 lines of
-- the municipalities in view (rent::import::repo::queue).
SELECT l.municipality_id, l.id, l.import_id, i.transmission_no, l.line_no,
       l.assignment_account, l.kid, l.amount, l.paid_on, l.transaction_type, l.transaction_no,
       l.archive_reference, l.status, l.lease_id, le.lease_no, u.display_name AS resolved_by_name,
       l.resolved_at, l.note, l.version
  FROM rent_import_lines l
  JOIN rent_imports i ON i.municipality_id = l.municipality_id AND i.id = l.import_id
  LEFT JOIN leases le ON le.municipality_id = l.municipality_id AND le.id = l.lease_id
  LEFT JOIN users u ON u.id = l.resolved_by
 WHERE l.municipality_id = ANY(:municipalities)
   AND l.status IN ('unmatched', 'malformed_kid', 'ambiguous')
   AND (NULL::uuid IS NULL OR l.id < NULL::uuid)
 ORDER BY l.id DESC LIMIT 51;
