-- The imported bank files (/husleie/innlesing): the newest 51 of the municipalities in
-- view with the lines of each still in the queue (rent::import::repo::imports).
SELECT i.municipality_id, i.id, i.status, i.transmission_no, i.settled_on, i.file_name,
       i.uploaded_at, v.display_name AS imported_by_name, i.imported_at, i.lines, i.total,
       i.matched, i.queued,
       (SELECT count(*) FROM rent_import_lines l
         WHERE l.municipality_id = i.municipality_id AND l.import_id = i.id
           AND l.status IN ('unmatched', 'malformed_kid', 'ambiguous'))::int8 AS open
  FROM rent_imports i LEFT JOIN users v ON v.id = i.imported_by
 WHERE i.municipality_id = ANY(:municipalities)
   AND (NULL::uuid IS NULL OR i.id < NULL::uuid)
 ORDER BY i.id DESC LIMIT 51;
