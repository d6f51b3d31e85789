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
