-- A lease's page (/leiekontrakter/{id}): the lease with its tenant, unit and property, the
-- rent history, the parties, the reviews and the § 11-1 ground. :first is the lease id
-- from the registry's path. The floor the schema allows, written before
-- src/leases/handlers.rs landed: align it with the page's own queries.
SELECT l.*, p.name AS tenant_name, p.national_id, p.birth_date, p.phone, p.email,
       pr.name AS property_name, pr.street_address, pr.postcode, pr.postal_place, d.unit_number,
       g.label AS ground_label
  FROM leases l
  JOIN people p ON p.municipality_id = l.municipality_id AND p.id = l.tenant_id
  JOIN dwellings d ON d.municipality_id = l.municipality_id AND d.id = l.dwelling_id
  JOIN properties pr ON pr.municipality_id = d.municipality_id AND pr.id = d.property_id
  LEFT JOIN short_term_grounds g ON g.municipality_id = l.municipality_id AND g.id = l.short_term_ground_id
 WHERE l.municipality_id = ANY(:municipalities) AND l.id = :first;
SELECT r.effective_on, r.set_on, r.monthly_rent, r.previous_rent, r.reason, r.index_month, r.note
  FROM lease_rent_changes r
 WHERE r.municipality_id = (:municipalities::uuid[])[1] AND r.lease_id = :first
 ORDER BY r.effective_on DESC;
SELECT lp.role, p.name, p.birth_date
  FROM lease_parties lp JOIN people p ON p.municipality_id = lp.municipality_id AND p.id = lp.person_id
 WHERE lp.municipality_id = (:municipalities::uuid[])[1] AND lp.lease_id = :first
 ORDER BY lp.role, p.name;
SELECT rv.reviewed_on, rv.situation, rv.outcome, u.display_name AS reviewed_by
  FROM lease_reviews rv LEFT JOIN users u ON u.id = rv.reviewed_by
 WHERE rv.municipality_id = (:municipalities::uuid[])[1] AND rv.lease_id = :first
 ORDER BY rv.reviewed_on DESC;
