-- A lease written directly for a unit (not from an offer) is one draft per unit, tenant
-- and start date: a second submit of the same form lands on the draft that is there
-- (the command looks it up under a lock on the unit), and two submits at once cannot
-- leave two drafts. Drafts from an offer are already one per offer (leases_offer_key).
CREATE UNIQUE INDEX leases_direct_draft_key ON leases (municipality_id, dwelling_id, tenant_id, starts_on)
  WHERE status = 'draft' AND offer_id IS NULL;

-- Husleieloven § 9-3, counted as rules::end_after does: a term of three years runs to
-- the day before the same date three years on, or, when that date does not exist, to
-- the end of that month (a lease from 29 February 2028 runs at least to 28 February 2031,
-- not 27 February; from 1 January 2027 to 31 December 2029, as before). The day after
-- the end, three years back, is not before the start. NOT VALID: leases written before
-- stay as they are; every new or changed row is checked.
ALTER TABLE leases DROP CONSTRAINT leases_short_term_basis;
ALTER TABLE leases ADD CONSTRAINT leases_short_term_basis CHECK (
  ends_on IS NULL OR (ends_on + 1 - interval '3 years')::date >= starts_on
  OR short_term_ground_id IS NOT NULL) NOT VALID;
ALTER TABLE leases DROP CONSTRAINT leases_short_term_notice;
ALTER TABLE leases ADD CONSTRAINT leases_short_term_notice CHECK (
  status = 'draft' OR ends_on IS NULL OR (ends_on + 1 - interval '3 years')::date >= starts_on
  OR short_term_notice_on IS NOT NULL) NOT VALID;
