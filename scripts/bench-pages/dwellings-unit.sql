-- A unit's page (src/dwellings/handlers.rs show_unit): the unit (repo::unit), its
-- adaptations, status history and condition assessments. :first is the unit id from the
-- registry's path.
SELECT d.municipality_id, d.id, d.property_id, p.name AS property_name, p.street_address, p.postcode,
       p.postal_place, a.name AS area_name, p.has_lift, p.owner_type, d.unit_number, d.dwelling_type_id,
       t.name AS type_name, d.rooms, (d.area_m2 * 10)::int4 AS area, d.floor, d.wheelchair_accessible,
       d.staff_base, d.monthly_rent, d.condition, d.condition_assessed_on, d.status, d.status_since,
       d.expected_vacant_from, d.notes, d.version, ('')::text AS sort_key
  FROM dwellings d
  JOIN properties p ON p.municipality_id = d.municipality_id AND p.id = d.property_id
  JOIN dwelling_types t ON t.municipality_id = d.municipality_id AND t.id = d.dwelling_type_id
  LEFT JOIN areas a ON a.municipality_id = p.municipality_id AND a.id = p.area_id
 WHERE d.municipality_id = ANY(:municipalities) AND d.id = :first;
SELECT x.municipality_id, x.id, x.name, x.active
  FROM dwelling_unit_adaptations u
  JOIN dwelling_adaptations x ON x.municipality_id = u.municipality_id AND x.id = u.adaptation_id
 WHERE u.municipality_id = (:municipalities::uuid[])[1] AND u.dwelling_id = :first
 ORDER BY x.sort_order, lower(x.name);
SELECT c.changed_at, c.effective_on, c.from_status, c.to_status, c.reason, u.display_name AS changed_by
  FROM dwelling_status_changes c LEFT JOIN users u ON u.id = c.changed_by
 WHERE c.municipality_id = (:municipalities::uuid[])[1] AND c.dwelling_id = :first
 ORDER BY c.changed_at DESC, c.id DESC;
SELECT s.assessed_on, s.grade, s.findings, s.planned_action, s.cost_estimate, u.display_name AS recorded_by
  FROM dwelling_assessments s LEFT JOIN users u ON u.id = s.recorded_by
 WHERE s.municipality_id = (:municipalities::uuid[])[1] AND s.dwelling_id = :first
 ORDER BY s.assessed_on DESC, s.id DESC;
