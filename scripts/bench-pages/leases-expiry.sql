-- The expiry list (/leiekontrakter/utlop): running leases ending before the default
-- horizon of six months (and those past their end), soonest first: src/leases/repo.rs
-- ending (list_sql), no search text, no cursor. Picked per municipality by an index walk
-- on leases_ends_on_idx (LATERAL), merged, then joined. The page binds today + 6 months
-- from the program's clock; current_date stands in for it here.
WITH l AS MATERIALIZED (
  SELECT x.* FROM unnest(:municipalities::uuid[]) AS mm (id)
   CROSS JOIN LATERAL (
     SELECT e.municipality_id, e.id, e.lease_no, e.status, e.starts_on, e.ends_on, e.monthly_rent,
            e.demand_to_move_on, e.notice_effective_on, e.tenant_id, e.dwelling_id
       FROM leases e
      WHERE e.municipality_id = mm.id AND e.status = ANY('{signed,active,notice_given}'::lease_status[])
        AND e.ends_on BETWEEN date '0001-01-01' AND current_date + 183
        AND (e.ends_on, e.id) > (date '0001-01-01', '00000000-0000-0000-0000-000000000000'::uuid)
        AND ('' = ''
             OR EXISTS (SELECT 1 FROM people pe WHERE pe.municipality_id = e.municipality_id
                           AND pe.id = e.tenant_id AND pe.name ILIKE '%' || '' || '%')
             OR EXISTS (SELECT 1 FROM dwellings d WHERE d.municipality_id = e.municipality_id
                           AND d.id = e.dwelling_id AND d.unit_number = upper(''))
             OR e.lease_no::text = '')
      ORDER BY e.ends_on, e.id LIMIT 51) x
   ORDER BY x.ends_on, x.id LIMIT 51)
SELECT l.municipality_id, l.id, l.lease_no, l.status, l.starts_on, l.ends_on,
       l.monthly_rent, pe.name AS tenant_name, (p.street_address || ' ' || d.unit_number) AS unit_label,
       l.demand_to_move_on, l.notice_effective_on, r.outcome AS review_outcome, r.reviewed_on,
       r.renewal_application_id, EXISTS (SELECT 1 FROM lease_reviews rv JOIN applications ra
                 ON ra.municipality_id = rv.municipality_id AND ra.id = rv.renewal_application_id
               WHERE rv.municipality_id = l.municipality_id AND rv.lease_id = l.id
                 AND ra.status NOT IN ('rejected', 'withdrawn', 'closed_without_decision')) AS renewal_pending
  FROM l
  CROSS JOIN LATERAL (SELECT d.unit_number, d.property_id FROM dwellings d
                       WHERE d.municipality_id = l.municipality_id AND d.id = l.dwelling_id LIMIT 1) d
  CROSS JOIN LATERAL (SELECT p.street_address FROM properties p
                       WHERE p.municipality_id = l.municipality_id AND p.id = d.property_id LIMIT 1) p
  CROSS JOIN LATERAL (SELECT pe.name FROM people pe
                       WHERE pe.municipality_id = l.municipality_id AND pe.id = l.tenant_id LIMIT 1) pe
  LEFT JOIN LATERAL (SELECT x.outcome, x.reviewed_on, x.renewal_application_id FROM lease_reviews x
                      WHERE x.municipality_id = l.municipality_id AND x.lease_id = l.id
                      ORDER BY x.reviewed_on DESC, x.created_at DESC LIMIT 1) r ON true
 ORDER BY l.ends_on, l.id;
