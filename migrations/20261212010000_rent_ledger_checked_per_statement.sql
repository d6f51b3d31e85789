-- The month's charge run and a bank import write 100 000 ledger rows in one statement
-- (issue 16: under 2 s and 3 s). Every foreign key is a trigger call per row; measured on a
-- quiet machine (auto_explain, docs/BENCHMARKS.md § Rent), the keys below took about a
-- third of the charge run and of the payment batch. What each key guarded still holds:
--
-- * rent_open_items → municipalities: open items are written only by the ledger's own
--   triggers (bosak_app may only read them), from entries whose lease names the
--   municipality. Dropped.
-- * rent_settlements → rent_entries (debit and credit): rent_open_items_settle already
--   refuses a statement unless every settlement's debit and credit is an open item of the
--   settlement's own lease — stronger than the keys, and entries are append-only, so they
--   cannot go afterwards. Dropped.
-- * rent_entries → leases, and the entry's own corrects_id and settles_first: checked once
--   per statement over the inserted rows (one anti-join each); entries are append-only, and
--   a lease that has ledger entries cannot be deleted (nothing deletes leases: no role has
--   the grant; this guards the owner).
-- The keys to users (created_by) and to rent_import_lines stay: both tables allow DELETE.
--
-- On Citus the check fires on a shard and reads the co-located shards by name
-- (bosak_shard_of, 20261211100100_functions_on_shards.sql).
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

ALTER TABLE rent_open_items DROP CONSTRAINT rent_open_items_municipality_id_fkey;
ALTER TABLE rent_settlements DROP CONSTRAINT rent_settlements_municipality_id_debit_id_fkey;
ALTER TABLE rent_settlements DROP CONSTRAINT rent_settlements_municipality_id_credit_id_fkey;
ALTER TABLE rent_entries DROP CONSTRAINT rent_entries_municipality_id_lease_id_fkey;
ALTER TABLE rent_entries DROP CONSTRAINT rent_entries_municipality_id_corrects_id_fkey;
ALTER TABLE rent_entries DROP CONSTRAINT rent_entries_municipality_id_settles_first_fkey;

CREATE FUNCTION rent_entries_check_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  m uuid;
  leases text := 'public.leases';
  entries text := 'public.rent_entries';
  orphan text;
BEGIN
  FOR m IN SELECT DISTINCT municipality_id FROM new_entries LOOP
    IF bosak_on_shard(TG_RELID) THEN
      leases := bosak_shard_of('leases', m);
      entries := bosak_shard_of('rent_entries', m);
    END IF;
    EXECUTE format(
      'SELECT ''lease '' || n.lease_id FROM new_entries n
        WHERE n.municipality_id = $1
          AND NOT EXISTS (SELECT 1 FROM %s l WHERE l.municipality_id = $1 AND l.id = n.lease_id)
       UNION ALL
       SELECT ''entry '' || x.id FROM new_entries n
        CROSS JOIN LATERAL (VALUES (n.corrects_id), (n.settles_first)) x (id)
        WHERE n.municipality_id = $1 AND x.id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM %s e WHERE e.municipality_id = $1 AND e.id = x.id)
       LIMIT 1', leases, entries)
      INTO orphan USING m;
    IF orphan IS NOT NULL THEN
      RAISE EXCEPTION 'a ledger entry names % that does not exist in its municipality', orphan
        USING ERRCODE = 'foreign_key_violation';
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;

CREATE TRIGGER rent_entries_references AFTER INSERT ON rent_entries
  REFERENCING NEW TABLE AS new_entries
  FOR EACH STATEMENT EXECUTE FUNCTION rent_entries_check_references();

-- A lease named by CPI proposals or ledger entries stays (one function for both).
DROP TRIGGER leases_proposals_restrict ON leases;
DROP FUNCTION leases_refuse_delete_if_proposed();

CREATE FUNCTION leases_refuse_delete_if_named() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  named text;
  on_shard boolean := bosak_on_shard(TG_RELID);
BEGIN
  EXECUTE format(
    'SELECT CASE WHEN EXISTS (SELECT 1 FROM %s WHERE municipality_id = $1 AND lease_id = $2)
                 THEN ''a CPI proposal''
                 WHEN EXISTS (SELECT 1 FROM %s WHERE municipality_id = $1 AND lease_id = $2)
                 THEN ''ledger entries'' END',
    CASE WHEN on_shard THEN bosak_shard_of('cpi_proposals', OLD.municipality_id)
         ELSE 'public.cpi_proposals' END,
    CASE WHEN on_shard THEN bosak_shard_of('rent_entries', OLD.municipality_id)
         ELSE 'public.rent_entries' END)
    INTO named USING OLD.municipality_id, OLD.id;
  IF named IS NOT NULL THEN
    RAISE EXCEPTION 'lease % is named by % and cannot be deleted', OLD.id, named
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN OLD;
END
$$;

CREATE TRIGGER leases_named_restrict BEFORE DELETE ON leases
  FOR EACH ROW EXECUTE FUNCTION leases_refuse_delete_if_named();
