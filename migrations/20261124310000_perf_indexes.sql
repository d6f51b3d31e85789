-- Indexes (and one maintained sort key) for the main pages of dwellings and applications,
-- found with scripts/bench (docs/BENCHMARKS.md, docs/SCALING.md § Indexes). Every index
-- starts with municipality_id, so a request reads only its municipalities' part.

-- ----- Unit list, default sort ---------------------------------------------------------
-- The list sorts by `lower(property street address) || ' ' || unit number`, which spans two
-- tables and so cannot be indexed; every page sorted all units of the municipality. The
-- value is kept on the unit, always equal to that expression (triggers below), so the list
-- walks an index and stops after one page. The list's order and cursors are unchanged.
ALTER TABLE dwellings ADD COLUMN address_sort_key text;

CREATE FUNCTION bosak_dwelling_address_sort_key() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.address_sort_key := (SELECT lower(p.street_address) FROM properties p
                            WHERE p.municipality_id = NEW.municipality_id AND p.id = NEW.property_id)
                          || ' ' || NEW.unit_number;
  RETURN NEW;
END
$$;

CREATE TRIGGER dwellings_address_sort_key
  BEFORE INSERT OR UPDATE OF property_id, unit_number, address_sort_key ON dwellings
  FOR EACH ROW EXECUTE FUNCTION bosak_dwelling_address_sort_key();

CREATE FUNCTION bosak_property_address_sort_key() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE dwellings d SET address_sort_key = lower(NEW.street_address) || ' ' || d.unit_number
   WHERE d.municipality_id = NEW.municipality_id AND d.property_id = NEW.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER properties_address_sort_key
  AFTER UPDATE OF street_address ON properties
  FOR EACH ROW WHEN (lower(OLD.street_address) IS DISTINCT FROM lower(NEW.street_address))
  EXECUTE FUNCTION bosak_property_address_sort_key();

-- Existing rows (row level security is forced, also for the owner: see every municipality).
DO $$
BEGIN
  PERFORM set_config('bosak.municipalities',
                     coalesce((SELECT array_agg(id)::text FROM municipalities), '{}'), true);
  UPDATE dwellings d SET address_sort_key = lower(p.street_address) || ' ' || d.unit_number
    FROM properties p
   WHERE p.municipality_id = d.municipality_id AND p.id = d.property_id;
END
$$;

ALTER TABLE dwellings ALTER COLUMN address_sort_key SET NOT NULL;

CREATE INDEX dwellings_address_sort_idx ON dwellings (municipality_id, address_sort_key, id);

-- ----- Vacancy overview ----------------------------------------------------------------
-- Vacant and soon vacant units, soonest first: the list's sort expression (the day the
-- unit becomes available), only over units that have such a day.
CREATE INDEX dwellings_available_idx ON dwellings (
  municipality_id,
  (CASE WHEN status = 'vacant' THEN status_since ELSE expected_vacant_from END),
  id)
  WHERE status = 'vacant' OR expected_vacant_from IS NOT NULL;

-- "Antall per type": the counts read only these columns (index-only scan, no heap, no
-- join to properties unless a filter needs it).
CREATE INDEX dwellings_type_counts_idx
  ON dwellings (municipality_id, dwelling_type_id, status, expected_vacant_from)
  INCLUDE (rooms, area_m2, wheelchair_accessible);

-- ----- Applications --------------------------------------------------------------------
-- "My cases" and the list filtered on a caseworker, newest first.
CREATE INDEX applications_caseworker_received_idx
  ON applications (municipality_id, caseworker_id, received_on DESC, id DESC);
-- The list sorted by the interim reply deadline.
CREATE INDEX applications_deadline_idx ON applications (municipality_id, interim_due_on, id);
