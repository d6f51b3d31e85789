-- The ledger's open items: exactly the entries with something open — a debit (charge,
-- fee, upward correction) not yet paid in full, or a credit (payment, credit, downward
-- correction) not yet spent in full — with what is open, signed as the entry (> 0: øre
-- unpaid; < 0: øre unspent).
--
-- Why: settlement and the arrears overview need the open amounts only, and at scale a
-- municipality's ledger holds millions of entries of which a few thousand are open.
-- Computing "amount minus the sum of its settlements" for every entry made each charge run
-- and bank import scan the whole ledger (22–30 s for 100 000 leases). This table is
-- derived, not a second truth: the entries and their settlement rows stay append-only and
-- the balance stays the sum of the entries. Statement-level triggers keep it in the same
-- transaction as the rows they derive from (a new entry is open in full; a settlement
-- row reduces its debit and its credit; an item reaching 0 is removed), so it cannot
-- drift from them; the checks refuse a settlement that would pay more than is open.
-- Requests may only read it: the trigger functions are the owner's.
CREATE TABLE rent_open_items (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  entry_id uuid NOT NULL,
  lease_id uuid NOT NULL,
  -- The entry's day (a charge's due day): arrears age is counted from it.
  applies_on date NOT NULL,
  -- The entry's amount, and what of it is open (same sign, never more).
  amount bigint NOT NULL,
  open bigint NOT NULL,
  -- A credit that names a debit settles it first (the entry's `settles_first`), kept here
  -- so settlement reads nothing but this table.
  settles_first uuid,
  -- By lease first: settlement and the arrears overview read a lease's items together,
  -- and one index is cheaper to keep than two when a run adds 100 000 items.
  PRIMARY KEY (municipality_id, lease_id, entry_id),
  CONSTRAINT rent_open_items_open CHECK (
    open <> 0 AND sign(open) = sign(amount) AND abs(open) <= abs(amount))
);
-- The foreign keys to the entry and the lease are left out on purpose: the rows are made
-- by the triggers from rows that hold those keys, and a charge run inserts 100 000 at
-- once, where a referential check per row would cost a second.
CREATE INDEX rent_open_items_credit_idx ON rent_open_items (municipality_id, lease_id) WHERE open < 0;

CREATE FUNCTION rent_open_items_add() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO rent_open_items (municipality_id, entry_id, lease_id, applies_on, amount, open, settles_first)
  SELECT n.municipality_id, n.id, n.lease_id, n.applies_on, n.amount, n.amount, n.settles_first
    FROM new_entries n;
  RETURN NULL;
END
$$;

-- A settlement reduces its debit's open amount and its credit's; an item settled in full
-- leaves the table. The CHECK refuses a settlement larger than what is open, and an update
-- that finds no item means the entry was settled in full already: both abort the
-- transaction.
CREATE FUNCTION rent_open_items_settle() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  wanted bigint;
  changed bigint;
BEGIN
  WITH s AS (
    SELECT municipality_id, lease_id, debit_id AS entry_id, amount FROM new_settlements
    UNION ALL
    SELECT municipality_id, lease_id, credit_id, -amount FROM new_settlements),
  t AS (SELECT municipality_id, lease_id, entry_id, sum(amount) AS amount FROM s GROUP BY 1, 2, 3),
  gone AS (
    DELETE FROM rent_open_items o USING t
     WHERE o.municipality_id = t.municipality_id AND o.lease_id = t.lease_id AND o.entry_id = t.entry_id
       AND o.open = t.amount
    RETURNING 1),
  upd AS (
    UPDATE rent_open_items o SET open = o.open - t.amount FROM t
     WHERE o.municipality_id = t.municipality_id AND o.lease_id = t.lease_id AND o.entry_id = t.entry_id
       AND o.open <> t.amount
    RETURNING 1)
  SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM gone) + (SELECT count(*) FROM upd)
    INTO wanted, changed;
  IF changed <> wanted THEN
    RAISE EXCEPTION 'rent settlement names an entry with nothing open (% of % found)', changed, wanted
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER rent_entries_open_items AFTER INSERT ON rent_entries
  REFERENCING NEW TABLE AS new_entries
  FOR EACH STATEMENT EXECUTE FUNCTION rent_open_items_add();
CREATE TRIGGER rent_settlements_open_items AFTER INSERT ON rent_settlements
  REFERENCING NEW TABLE AS new_settlements
  FOR EACH STATEMENT EXECUTE FUNCTION rent_open_items_settle();

-- What is open today, from the rows so far.
INSERT INTO rent_open_items (municipality_id, entry_id, lease_id, applies_on, amount, open, settles_first)
SELECT e.municipality_id, e.id, e.lease_id, e.applies_on, e.amount,
       e.amount - sign(e.amount) * coalesce(
         (SELECT sum(s.amount) FROM rent_settlements s
           WHERE s.municipality_id = e.municipality_id AND (s.debit_id = e.id OR s.credit_id = e.id)), 0),
       e.settles_first
  FROM rent_entries e
 WHERE e.amount - sign(e.amount) * coalesce(
         (SELECT sum(s.amount) FROM rent_settlements s
           WHERE s.municipality_id = e.municipality_id AND (s.debit_id = e.id OR s.credit_id = e.id)), 0) <> 0;

ALTER TABLE rent_open_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE rent_open_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rent_open_items
  USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
  WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]));
GRANT SELECT ON rent_open_items TO bosak_app;

-- A leaner ledger for runs over 100 000 leases (measured: the charge run's INSERT spent more
-- time keeping indexes and checking keys than computing): the rent-month key and the month
-- index become one index (it serves both the uniqueness of a lease's rent per month and a
-- month's charges), the index by charge run goes (a run's charges are its month's), and
-- the foreign keys to municipalities that the composite keys to the lease already imply
-- go (a lease belongs to its municipality; the entry's key names both). Two more keys
-- that cost a referential check per row and guard nothing another rule does not: an
-- entry's charge run (written by the same command in the same transaction, and never
-- deleted: no role may delete runs) and a settlement's lease (the settlement trigger finds
-- the open items by that lease and refuses the row when they are not the lease's).
CREATE UNIQUE INDEX rent_entries_rent_month_key2 ON rent_entries (municipality_id, charge_month, lease_id)
  WHERE charge_kind = 'rent';
DROP INDEX rent_entries_rent_month_key;
ALTER INDEX rent_entries_rent_month_key2 RENAME TO rent_entries_rent_month_key;
DROP INDEX rent_entries_month_idx;
DROP INDEX rent_entries_run_idx;
ALTER TABLE rent_entries DROP CONSTRAINT rent_entries_municipality_id_fkey;
ALTER TABLE rent_settlements DROP CONSTRAINT rent_settlements_municipality_id_fkey;
ALTER TABLE rent_entries DROP CONSTRAINT rent_entries_municipality_id_charge_run_id_fkey;
ALTER TABLE rent_settlements DROP CONSTRAINT rent_settlements_municipality_id_lease_id_fkey;
