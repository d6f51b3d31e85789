-- Tenant policies without a subquery (issue 19, docs/SCALING.md "Citus: verified", 2).
--
-- Every tenant policy was `municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[])`.
-- Citus refuses subqueries in policies on distributed tables ("Subqueries are not supported
-- in policies on distributed tables"), so the policies call the function directly. Same
-- meaning: the function is STABLE and reads the transaction-local setting. Same cost where
-- it matters: as an index condition on an index that starts with municipality_id (every
-- tenant index does) `= ANY(<stable expression>)` is evaluated once when the scan starts,
-- as the init plan was; docs/SCALING.md shows the plans.
--
-- Rewrites every policy named tenant_isolation (the one policy tenant tables have), keeping
-- whether it has a WITH CHECK. A policy with another expression is refused, so a table that
-- was given a different rule is looked at instead of silently changed.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

DO $$
DECLARE p record;
BEGIN
  FOR p IN
    SELECT c.relname, pg_get_expr(pol.polqual, pol.polrelid) AS qual,
           pol.polwithcheck IS NOT NULL AS has_check
      FROM pg_policy pol
      JOIN pg_class c ON c.oid = pol.polrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND pol.polname = 'tenant_isolation'
     ORDER BY c.relname
  LOOP
    IF p.qual <> '(municipality_id = ANY (( SELECT bosak_visible_municipalities() AS bosak_visible_municipalities)::uuid[]))'
       AND p.qual <> '(municipality_id = ANY (bosak_visible_municipalities()))' THEN
      RAISE EXCEPTION 'tenant_isolation on % is not the usual policy: %', p.relname, p.qual;
    END IF;
    IF p.has_check THEN
      EXECUTE format('ALTER POLICY tenant_isolation ON %I
        USING (municipality_id = ANY (bosak_visible_municipalities()))
        WITH CHECK (municipality_id = ANY (bosak_visible_municipalities()))', p.relname);
    ELSE
      EXECUTE format('ALTER POLICY tenant_isolation ON %I
        USING (municipality_id = ANY (bosak_visible_municipalities()))', p.relname);
    END IF;
  END LOOP;
END
$$;

-- On Citus, audit_events stays on the coordinator (docs/SCALING.md, "Citus: verified", 4):
-- its municipality_id is NULL for events of no tenant (logins), so it cannot be distributed
-- by it, and as a reference table every audit write would go to every node. The marker
-- `(citus: coordinator)` in the comment is what `bosak citus distribute` reads.
COMMENT ON TABLE audit_events IS 'global: append-only log of who did and read what, including events with no tenant (logins); filtered by municipality_id when read (citus: coordinator)';
-- The same for login_throttle (a write per failed login): a reference table would copy each
-- write to every node, and Citus refuses its upsert's `now()` in DO UPDATE SET on a
-- reference table. (sessions stays a reference table: Citus will not keep a table with a
-- foreign key, to users, on the coordinator.)
COMMENT ON TABLE login_throttle IS 'global: throttling is per account name and address, before any tenant is known (citus: coordinator)';
