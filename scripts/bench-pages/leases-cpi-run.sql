-- A CPI run's review page (src/leases/cpi/handlers.rs show): the run, its totals, the first
-- page of proposals by lease number (keyset) and the leases the run found without a base
-- index (repo::missing_index). :first is the run id from the registry's path.
SELECT r.municipality_id, r.id, r.index_month, (r.index_value * 10)::int8 AS index_tenths,
       r.notice_on, r.effective_on, r.status, r.created_at, r.version
  FROM cpi_runs r WHERE r.municipality_id = ANY(:municipalities) AND r.id = :first;
SELECT count(*), count(*) FILTER (WHERE included),
       coalesce(sum(old_rent) FILTER (WHERE included), 0)::int8,
       coalesce(sum(new_rent) FILTER (WHERE included), 0)::int8,
       count(rent_change_id), count(letter_id)
  FROM cpi_proposals WHERE municipality_id = (:municipalities::uuid[])[1] AND run_id = :first;
SELECT p.lease_id, l.lease_no, pe.name AS tenant_name,
       btrim(pr.street_address || ' ' || d.unit_number) AS unit_address,
       p.old_rent, p.base_month, (p.base_value * 10)::int8 AS base_tenths, p.new_rent,
       p.included, p.rent_change_id, p.letter_id
  FROM leases l
  JOIN cpi_proposals p ON p.municipality_id = l.municipality_id AND p.lease_id = l.id
  JOIN people pe ON pe.municipality_id = l.municipality_id AND pe.id = l.tenant_id
  JOIN dwellings d ON d.municipality_id = l.municipality_id AND d.id = l.dwelling_id
  JOIN properties pr ON pr.municipality_id = d.municipality_id AND pr.id = d.property_id
 WHERE l.municipality_id = (:municipalities::uuid[])[1] AND p.run_id = :first AND l.lease_no > 0
 ORDER BY l.lease_no LIMIT 51;
SELECT x.lease_id, l.lease_no, x.base_month, p.name AS tenant_name
  FROM cpi_missing_index x
  JOIN leases l ON l.municipality_id = x.municipality_id AND l.id = x.lease_id
  JOIN people p ON p.municipality_id = l.municipality_id AND p.id = l.tenant_id
 WHERE x.municipality_id = (:municipalities::uuid[])[1] AND x.run_id = :first
 ORDER BY l.lease_no LIMIT 100;
SELECT count(*) FROM cpi_missing_index
 WHERE municipality_id = (:municipalities::uuid[])[1] AND run_id = :first;
