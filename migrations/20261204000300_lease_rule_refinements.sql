-- A draft of a short lease needs its § 11-1 ground from the start, and the written notice
-- only before it is signed (the notice is sent from the draft). The expiry list and the
-- lease list read by end date and by number across statuses.

ALTER TABLE leases DROP CONSTRAINT leases_short_term_basis;
ALTER TABLE leases ADD CONSTRAINT leases_short_term_basis CHECK (
  ends_on IS NULL OR ends_on >= (starts_on + interval '3 years')::date - 1
  OR short_term_ground_id IS NOT NULL);
ALTER TABLE leases ADD CONSTRAINT leases_short_term_notice CHECK (
  status = 'draft' OR ends_on IS NULL OR ends_on >= (starts_on + interval '3 years')::date - 1
  OR short_term_notice_on IS NOT NULL);

CREATE INDEX leases_ends_on_idx ON leases (municipality_id, ends_on, id) WHERE ends_on IS NOT NULL;
CREATE INDEX leases_number_idx ON leases (municipality_id, lease_no DESC, id DESC);

-- Husleieloven § 9-3: a time-limited lease runs at least three years. Decisions, the
-- allocation rules and offers name lengths of at least 36 months; a shorter lease rests
-- on a § 11-1 ground chosen and notified in the lease itself. NOT VALID: rows written
-- before this rule stay as they were; every new or changed row is checked.
ALTER TABLE decision_points ADD CONSTRAINT decision_points_lease_min
  CHECK (lease_months IS NULL OR lease_months >= 36) NOT VALID;
ALTER TABLE allocation_rule_versions ADD CONSTRAINT allocation_rule_versions_lease_min
  CHECK (default_lease_months >= 36) NOT VALID;
ALTER TABLE offers ADD CONSTRAINT offers_lease_min CHECK (lease_months >= 36) NOT VALID;
