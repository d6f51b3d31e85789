-- The lease list (/leiekontrakter), first page (51 rows) of the current leases, newest
-- number first. The page's 51 leases are picked first, per municipality by an index walk
-- (LATERAL) and merged, in a materialized CTE; only those are joined to tenant, unit and
-- property, by primary key. (Joined to the LATERAL subquery directly, the planner scanned
-- a municipality's people for every row: 35-50 ms at factor 10.) The floor the schema
-- allows, written before src/leases/lists.rs landed: align it with the page's own query.
WITH l AS MATERIALIZED (
  SELECT x.* FROM unnest(:municipalities::uuid[]) AS mm(id)
    CROSS JOIN LATERAL (
     SELECT e.municipality_id, e.id, e.lease_no, e.status, e.starts_on, e.ends_on, e.monthly_rent,
            e.demand_to_move_on, e.tenant_id, e.dwelling_id
       FROM leases e
      WHERE e.municipality_id = mm.id AND e.status IN ('signed', 'active', 'notice_given')
      ORDER BY e.lease_no DESC
      LIMIT 51) x
   ORDER BY x.lease_no DESC
   LIMIT 51)
SELECT l.municipality_id, l.id, l.lease_no, l.status, l.starts_on, l.ends_on, l.monthly_rent,
       l.demand_to_move_on, p.name AS tenant_name, pr.name AS property_name, d.unit_number
  FROM l
  JOIN people p ON p.municipality_id = l.municipality_id AND p.id = l.tenant_id
  JOIN dwellings d ON d.municipality_id = l.municipality_id AND d.id = l.dwelling_id
  JOIN properties pr ON pr.municipality_id = d.municipality_id AND pr.id = d.property_id
 ORDER BY l.lease_no DESC;
