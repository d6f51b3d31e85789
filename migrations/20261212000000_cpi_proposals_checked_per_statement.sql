-- The CPI run inserts one proposal per lease due in one statement (issue 15: 100 000 leases
-- in under 2 s). A foreign key is a trigger call per inserted row: on a quiet machine the
-- keys to cpi_runs and leases took 1 445 ms of the run's 3 180 ms (docs/BENCHMARKS.md
-- § CPI run), locking each of the 100 000 leases on the way. The same rule is checked here
-- once per statement over the inserted rows, as one anti-join each: every proposal names a
-- run and a lease of its own municipality. The other side of the old keys:
--  * a run's proposals go with the run (the old ON DELETE CASCADE) and the inserting
--    statement holds its run FOR KEY SHARE, so a run cannot go while proposals are written;
--  * a lease that proposals name cannot be deleted (nothing deletes leases: no role has the
--    grant, retention keeps them; this guards the owner);
--  * a proposal's keys never change (they are its primary key).
-- The keys on rent_change_id and letter_id stay: NULL at insert, they cost 170 ms.
--
-- On Citus these triggers fire on a shard and read the co-located shards by name, as the
-- triggers of 20261211100100_functions_on_shards.sql do.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

ALTER TABLE cpi_proposals DROP CONSTRAINT cpi_proposals_municipality_id_run_id_fkey;
ALTER TABLE cpi_proposals DROP CONSTRAINT cpi_proposals_municipality_id_lease_id_fkey;
-- It served only the key to leases (every query of proposals names its run).
DROP INDEX cpi_proposals_lease_idx;

CREATE FUNCTION cpi_proposals_check_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  m uuid;
  runs text := 'public.cpi_runs';
  leases text := 'public.leases';
  wanted bigint;
  found bigint;
  orphan uuid;
BEGIN
  FOR m IN SELECT DISTINCT municipality_id FROM new_proposals LOOP
    IF bosak_on_shard(TG_RELID) THEN
      runs := bosak_shard_of('cpi_runs', m);
      leases := bosak_shard_of('leases', m);
    END IF;
    EXECUTE format(
      'WITH named AS (SELECT DISTINCT run_id FROM new_proposals WHERE municipality_id = $1),
            held AS (SELECT r.id FROM %s r JOIN named n ON r.id = n.run_id
                      WHERE r.municipality_id = $1 FOR KEY SHARE OF r)
       SELECT (SELECT count(*) FROM named), (SELECT count(*) FROM held)', runs)
      INTO wanted, found USING m;
    IF found <> wanted THEN
      RAISE EXCEPTION 'a CPI proposal names a run that does not exist in its municipality'
        USING ERRCODE = 'foreign_key_violation';
    END IF;
    EXECUTE format(
      'SELECT p.lease_id FROM new_proposals p
        WHERE p.municipality_id = $1
          AND NOT EXISTS (SELECT 1 FROM %s l WHERE l.municipality_id = $1 AND l.id = p.lease_id)
        LIMIT 1', leases)
      INTO orphan USING m;
    IF orphan IS NOT NULL THEN
      RAISE EXCEPTION 'a CPI proposal names lease % that does not exist in its municipality', orphan
        USING ERRCODE = 'foreign_key_violation';
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;

CREATE TRIGGER cpi_proposals_references AFTER INSERT ON cpi_proposals
  REFERENCING NEW TABLE AS new_proposals
  FOR EACH STATEMENT EXECUTE FUNCTION cpi_proposals_check_references();

CREATE FUNCTION cpi_proposals_refuse_rekey() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a CPI proposal keeps its municipality, run and lease'
    USING ERRCODE = 'foreign_key_violation';
END
$$;

-- Only a change of the keys calls the function: the WHEN costs nothing per row otherwise.
CREATE TRIGGER cpi_proposals_keys_fixed BEFORE UPDATE ON cpi_proposals
  FOR EACH ROW
  WHEN (OLD.municipality_id IS DISTINCT FROM NEW.municipality_id
        OR OLD.run_id IS DISTINCT FROM NEW.run_id
        OR OLD.lease_id IS DISTINCT FROM NEW.lease_id)
  EXECUTE FUNCTION cpi_proposals_refuse_rekey();

-- The run's proposals go with it, as ON DELETE CASCADE did.
CREATE FUNCTION cpi_runs_delete_proposals() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DELETE FROM %s WHERE municipality_id = $1 AND run_id = $2',
                 CASE WHEN bosak_on_shard(TG_RELID)
                      THEN bosak_shard_of('cpi_proposals', OLD.municipality_id)
                      ELSE 'public.cpi_proposals' END)
    USING OLD.municipality_id, OLD.id;
  RETURN OLD;
END
$$;

CREATE TRIGGER cpi_runs_proposals_cascade BEFORE DELETE ON cpi_runs
  FOR EACH ROW EXECUTE FUNCTION cpi_runs_delete_proposals();

CREATE FUNCTION leases_refuse_delete_if_proposed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  named boolean;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE municipality_id = $1 AND lease_id = $2)',
                 CASE WHEN bosak_on_shard(TG_RELID)
                      THEN bosak_shard_of('cpi_proposals', OLD.municipality_id)
                      ELSE 'public.cpi_proposals' END)
    INTO named USING OLD.municipality_id, OLD.id;
  IF named THEN
    RAISE EXCEPTION 'lease % is named by a CPI proposal and cannot be deleted', OLD.id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN OLD;
END
$$;

CREATE TRIGGER leases_proposals_restrict BEFORE DELETE ON leases
  FOR EACH ROW EXECUTE FUNCTION leases_refuse_delete_if_proposed();
