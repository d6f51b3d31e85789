-- The start page (src/dashboard/mod.rs, start_page): letterhead and number of active
-- areas for each municipality in view.
SELECT s.municipality_id, s.letterhead_name,
       (SELECT count(*) FROM areas a WHERE a.municipality_id = s.municipality_id AND a.active) AS areas
  FROM municipality_settings s
 WHERE s.municipality_id = ANY(:municipalities);
