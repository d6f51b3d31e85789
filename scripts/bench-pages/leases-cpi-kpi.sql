-- The KPI values page (src/leases/settings/handlers.rs kpi): settings::repo::kpi_values.
SELECT k.month, (k.value * 10)::int8 AS tenths, k.source, k.recorded_at,
       u.display_name AS recorded_by_name, k.version
  FROM kpi_values k LEFT JOIN users u ON u.id = k.recorded_by
 WHERE k.municipality_id = (:municipalities::uuid[])[1] ORDER BY k.month DESC;
