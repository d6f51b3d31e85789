-- The CPI runs page (src/leases/cpi/handlers.rs runs): the newest runs (repo::runs) and the
-- KPI months of the start form (settings::repo::kpi_values).
SELECT r.municipality_id, r.id, r.index_month, (r.index_value * 10)::int8 AS index_tenths,
       r.notice_on, r.effective_on, r.status, r.created_at, cu.display_name AS created_by_name,
       r.decided_by, r.decided_at, du.display_name AS decided_by_name, r.version
  FROM cpi_runs r
  LEFT JOIN users cu ON cu.id = r.created_by
  LEFT JOIN users du ON du.id = r.decided_by
 WHERE r.municipality_id = ANY(:municipalities)
 ORDER BY r.created_at DESC, r.id DESC LIMIT 50;
SELECT k.month, (k.value * 10)::int8 AS tenths, k.source, k.recorded_at,
       u.display_name AS recorded_by_name, k.version
  FROM kpi_values k LEFT JOIN users u ON u.id = k.recorded_by
 WHERE k.municipality_id = (:municipalities::uuid[])[1] ORDER BY k.month DESC;
