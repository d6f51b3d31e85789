-- The ranked waiting list is computed from many tables. Pages that only read it (the
-- waiting list, the candidates for a unit, meeting mode) keep the waiting applicants'
-- facts in memory per municipality and reuse them while the municipality's epoch is
-- unchanged. Every statement that changes one of those tables bumps the epoch of the
-- municipalities it touched, in the same transaction, so a reader's snapshot has either
-- the old data and the old epoch or the new data and the new epoch. Writes (offers,
-- conclusions) always rank from fresh data.
--
-- The cost: writers to these tables in the same municipality queue on the epoch row from
-- the statement to their commit. The transactions are short; at the size of one
-- municipality's office that is not measurable.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

CREATE TABLE allocation_epochs (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  epoch bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (municipality_id)
);
ALTER TABLE allocation_epochs ENABLE ROW LEVEL SECURITY;
ALTER TABLE allocation_epochs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON allocation_epochs
  USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
  WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]));
GRANT SELECT, INSERT, UPDATE ON allocation_epochs TO bosak_app;

-- Statement-level, with the changed rows as the transition table `changed`.
CREATE FUNCTION bosak_bump_allocation_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO allocation_epochs AS e (municipality_id)
  SELECT DISTINCT municipality_id FROM changed
  ON CONFLICT (municipality_id) DO UPDATE SET epoch = e.epoch + 1;
  RETURN NULL;
END
$$;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['applications', 'people', 'decisions', 'decision_points',
      'decision_kinds', 'application_members', 'application_reason_links',
      'application_reasons', 'offers'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS changed
      FOR EACH STATEMENT EXECUTE FUNCTION bosak_bump_allocation_epoch()', t || '_epoch_ins', t);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS changed
      FOR EACH STATEMENT EXECUTE FUNCTION bosak_bump_allocation_epoch()', t || '_epoch_upd', t);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS changed
      FOR EACH STATEMENT EXECUTE FUNCTION bosak_bump_allocation_epoch()', t || '_epoch_del', t);
  END LOOP;
END
$$;
