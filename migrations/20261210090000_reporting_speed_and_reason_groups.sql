-- Reporting, part two (issue 17).
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

-- An administrator chooses the KOSTRA group of each application reason
-- (/innstillinger/soknadsgrunner); the edit is version-checked like every other.
ALTER TABLE application_reasons ADD COLUMN version integer NOT NULL DEFAULT 1;

-- KOSTRA form 13 counts short-term contracts (husleieloven § 11-1, under three years) in
-- the year they were signed. A term under three years needs a § 11-1 ground
-- (leases_short_term_basis), so the ground's presence narrows the index to them.
CREATE INDEX leases_short_term_signed_idx ON leases (municipality_id, signed_on, id)
  WHERE status <> 'draft' AND short_term_ground_id IS NOT NULL;
