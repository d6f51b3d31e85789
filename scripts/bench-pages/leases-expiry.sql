-- The expiry list (/leiekontrakter/utlop): leases ending within the default horizon of six
-- months, soonest first, with each one's latest review and whether a written demand to
-- move is sent (the § 9-2 warning). The page's 51 leases are picked first, per
-- municipality by an index walk on leases_ending_idx (LATERAL) and merged, in a
-- materialized CTE; only those are joined to tenant, unit, property and review, by key.
-- (Joining before the LIMIT hashed all people and units; joined to the LATERAL subquery
-- directly, the planner scanned a municipality's people for every row: 35-50 ms at factor
-- 10.) The page binds today from the program's clock; current_date stands in for it here.
-- The floor the schema allows, written before src/leases/lists.rs landed: align it with
-- the page's own query.
WITH l AS MATERIALIZED (
  SELECT x.* FROM unnest(:municipalities::uuid[]) AS mm(id)
    CROSS JOIN LATERAL (
     SELECT e.municipality_id, e.id, e.lease_no, e.status, e.starts_on, e.ends_on, e.demand_to_move_on,
            e.monthly_rent, e.tenant_id, e.dwelling_id
       FROM leases e
      WHERE e.municipality_id = mm.id AND e.status IN ('signed', 'active', 'notice_given')
        AND e.ends_on IS NOT NULL AND e.ends_on <= current_date + 183
      ORDER BY e.ends_on, e.lease_no
      LIMIT 51) x
   ORDER BY x.ends_on, x.lease_no
   LIMIT 51)
SELECT l.municipality_id, l.id, l.lease_no, l.status, l.starts_on, l.ends_on, l.demand_to_move_on,
       l.monthly_rent, p.name AS tenant_name, pr.name AS property_name, d.unit_number,
       r.outcome AS review_outcome, r.reviewed_on
  FROM l
  JOIN people p ON p.municipality_id = l.municipality_id AND p.id = l.tenant_id
  JOIN dwellings d ON d.municipality_id = l.municipality_id AND d.id = l.dwelling_id
  JOIN properties pr ON pr.municipality_id = d.municipality_id AND pr.id = d.property_id
  LEFT JOIN LATERAL (
    SELECT rv.outcome, rv.reviewed_on FROM lease_reviews rv
     WHERE rv.municipality_id = l.municipality_id AND rv.lease_id = l.id
     ORDER BY rv.reviewed_on DESC LIMIT 1) r ON true
 ORDER BY l.ends_on, l.lease_no;
