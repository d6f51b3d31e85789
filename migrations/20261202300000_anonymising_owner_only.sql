-- Requests now log in as `bosak_request` (not the owner), so after a `RESET ROLE` the
-- current role is neither the owner nor `bosak_app`. The anonymisation exception to the
-- append-only triggers must therefore name who may use it, not who may not: only the
-- role that owns the anonymising function (the migrating owner, inside that function).
CREATE OR REPLACE FUNCTION bosak_anonymising() RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('bosak.anonymising', true), '') = 'on'
     AND current_user = (SELECT r.rolname FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
                          WHERE p.proname = 'bosak_anonymise_due' LIMIT 1)
$$;
