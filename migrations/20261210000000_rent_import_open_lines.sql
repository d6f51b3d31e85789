-- The import list counts each import's unresolved lines. Through the line key that read
-- every line of every import on the page (a bank file has up to 100 000); the open ones
-- are few, so a partial index on them makes the count a short range scan.
CREATE INDEX rent_import_lines_open_idx ON rent_import_lines (municipality_id, import_id)
  WHERE status IN ('unmatched', 'malformed_kid', 'ambiguous');
