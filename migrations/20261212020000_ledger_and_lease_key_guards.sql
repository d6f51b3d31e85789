-- What the row-level keys dropped in 20261212000000 and 20261212010000 also guarded, found
-- in review:
--
-- * The ledger's open items are written only by rent_open_items_add/_settle, which run as
--   the owner (SECURITY DEFINER). Anyone who may execute them could attach them to a table
--   of their own and write open items; settlements trust those items. EXECUTE is checked
--   when a trigger is created, not when it fires, so the ledger's triggers go on working.
-- * A key also refused changing the referenced row's key. Leases and CPI runs keep their id
--   and municipality (requests may UPDATE other columns of both).
-- * A settlement of an entry against itself nets to nothing and so passed the open-items
--   check (and the old keys).
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

REVOKE EXECUTE ON FUNCTION rent_open_items_add(), rent_open_items_settle() FROM PUBLIC;

CREATE FUNCTION bosak_refuse_rekey() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a row of % keeps its id and municipality', TG_TABLE_NAME
    USING ERRCODE = 'foreign_key_violation';
END
$$;

-- Only a change of the keys calls the function: the WHEN costs nothing per row otherwise.
CREATE TRIGGER leases_keys_fixed BEFORE UPDATE ON leases
  FOR EACH ROW
  WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.municipality_id IS DISTINCT FROM NEW.municipality_id)
  EXECUTE FUNCTION bosak_refuse_rekey();
CREATE TRIGGER cpi_runs_keys_fixed BEFORE UPDATE ON cpi_runs
  FOR EACH ROW
  WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.municipality_id IS DISTINCT FROM NEW.municipality_id)
  EXECUTE FUNCTION bosak_refuse_rekey();

ALTER TABLE rent_settlements ADD CONSTRAINT rent_settlements_two_entries CHECK (debit_id <> credit_id);
