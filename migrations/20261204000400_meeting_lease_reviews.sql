-- Lease reviews on the allocation team's agenda: an item of kind 'other' may name the
-- lease to review before it ends; one item per lease and meeting.
ALTER TABLE meeting_items ADD COLUMN lease_id uuid;
ALTER TABLE meeting_items ADD CONSTRAINT meeting_items_lease_fkey
  FOREIGN KEY (municipality_id, lease_id) REFERENCES leases (municipality_id, id);
ALTER TABLE meeting_items ADD CONSTRAINT meeting_items_lease_kind
  CHECK (lease_id IS NULL OR kind = 'other');
CREATE UNIQUE INDEX meeting_items_lease_key ON meeting_items (municipality_id, meeting_id, lease_id)
  WHERE lease_id IS NOT NULL;
