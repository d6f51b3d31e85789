-- The charge runs page (/husleie/terminer): the newest runs of the municipalities in view.
SELECT r.municipality_id, r.id, r.month, u.display_name AS started_by_name, r.started_at, r.charges, r.total
  FROM rent_charge_runs r LEFT JOIN users u ON u.id = r.started_by
 WHERE r.municipality_id = ANY(:municipalities) AND (NULL::date IS NULL OR r.month < NULL::date)
 ORDER BY r.month DESC, r.municipality_id LIMIT 60;
