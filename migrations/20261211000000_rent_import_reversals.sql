-- A bank reversal (a line with a negative amount: the bank took a payment back) put on a
-- lease by a caseworker: 'reversed'. The payment of that amount on the lease gets a
-- correction of the same amount then, so the charges it covered are owed again. Resolved
-- like 'assigned': by a user, at a time, with its lease; only a negative line can be it.
ALTER TABLE rent_import_lines
  DROP CONSTRAINT rent_import_lines_status_check,
  ADD CONSTRAINT rent_import_lines_status_check CHECK (
    status IN ('matched', 'unmatched', 'malformed_kid', 'ambiguous', 'assigned', 'returned', 'reversed')),
  DROP CONSTRAINT rent_import_lines_lease,
  ADD CONSTRAINT rent_import_lines_lease CHECK (
    (status IN ('matched', 'assigned', 'reversed')) = (lease_id IS NOT NULL)),
  DROP CONSTRAINT rent_import_lines_resolved,
  ADD CONSTRAINT rent_import_lines_resolved CHECK (
    (status IN ('assigned', 'returned', 'reversed')) = (resolved_by IS NOT NULL AND resolved_at IS NOT NULL)),
  ADD CONSTRAINT rent_import_lines_reversal CHECK (status <> 'reversed' OR amount < 0);
