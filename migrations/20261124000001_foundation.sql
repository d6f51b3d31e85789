-- Foundation: roles, the tenancy helper, global tables (municipalities, offices, users,
-- memberships, sessions, login throttling, audit) and the first tenant tables
-- (municipality settings and areas).
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

-- The request role: no login, not superuser, not BYPASSRLS, owns nothing. The migrating
-- role (the table owner) becomes a member so the pool can SET ROLE to it per connection.
-- Roles are cluster-wide, so this must tolerate a role created by another database.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bosak_app') THEN
    CREATE ROLE bosak_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT pg_has_role(current_user, 'bosak_app', 'MEMBER') THEN
    EXECUTE format('GRANT bosak_app TO %I', current_user);
  END IF;
EXCEPTION WHEN unique_violation OR duplicate_object THEN
  -- Two databases migrating at once on the same cluster: the other one created it.
  IF NOT pg_has_role(current_user, 'bosak_app', 'MEMBER') THEN
    EXECUTE format('GRANT bosak_app TO %I', current_user);
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO bosak_app;

-- The municipalities visible to the current request, from a transaction-local setting.
-- Fails closed: unset or empty means no municipality at all.
CREATE FUNCTION bosak_visible_municipalities() RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(nullif(current_setting('bosak.municipalities', true), '')::uuid[], '{}'::uuid[])
$$;

-- Append-only tables: refuse UPDATE, DELETE and TRUNCATE for everybody, owner included.
CREATE FUNCTION bosak_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TABLE municipalities (
  id uuid PRIMARY KEY,
  number text NOT NULL UNIQUE CHECK (number ~ '^[0-9]{4}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE municipalities IS 'global: the tenants themselves';

CREATE TABLE offices (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE offices IS 'global: a shared office spans several tenants';

CREATE TABLE office_municipalities (
  office_id uuid NOT NULL REFERENCES offices (id) ON DELETE CASCADE,
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  PRIMARY KEY (office_id, municipality_id)
);
COMMENT ON TABLE office_municipalities IS 'global: which tenants an office serves';

CREATE TABLE users (
  id uuid PRIMARY KEY,
  username text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  email text CHECK (email IS NULL OR length(email) <= 254),
  password_hash text NOT NULL,
  must_change_password boolean NOT NULL DEFAULT false,
  active boolean NOT NULL DEFAULT true,
  is_demo boolean NOT NULL DEFAULT false,
  -- Bumped to end every session of the user at once (deactivation, password reset).
  session_epoch integer NOT NULL DEFAULT 1,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
COMMENT ON TABLE users IS 'global: one person may work for several tenants through an office';

CREATE TYPE user_role AS ENUM ('caseworker', 'team', 'admin', 'office_admin', 'auditor');

CREATE TABLE memberships (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  municipality_id uuid REFERENCES municipalities (id),
  office_id uuid REFERENCES offices (id),
  role user_role NOT NULL,
  granted_by uuid REFERENCES users (id),
  granted_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((municipality_id IS NULL) <> (office_id IS NULL)),
  CHECK (role <> 'office_admin' OR office_id IS NOT NULL)
);
CREATE UNIQUE INDEX memberships_scope_key
  ON memberships (user_id, coalesce(municipality_id, office_id), role);
CREATE INDEX memberships_municipality_idx ON memberships (municipality_id) WHERE municipality_id IS NOT NULL;
CREATE INDEX memberships_office_idx ON memberships (office_id) WHERE office_id IS NOT NULL;
COMMENT ON TABLE memberships IS 'global: grants a user a role in a tenant or an office';

CREATE TABLE sessions (
  -- sha256 of the cookie value: a leaked table does not hand out live sessions.
  id_hash bytea PRIMARY KEY,
  user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  user_epoch integer,
  csrf_token text NOT NULL,
  -- The municipality the user is working in, or NULL for "all my municipalities".
  current_municipality_id uuid REFERENCES municipalities (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  absolute_expiry timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expiry_idx ON sessions (absolute_expiry);
COMMENT ON TABLE sessions IS 'global: login sessions belong to users, who are global';

CREATE TABLE login_throttle (
  key text PRIMARY KEY,
  failures integer NOT NULL DEFAULT 0,
  last_failure_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz
);
COMMENT ON TABLE login_throttle IS 'global: throttling is per account name and address, before any tenant is known';

CREATE TABLE audit_events (
  id uuid PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  user_id uuid,
  username text,
  municipality_id uuid,
  action text NOT NULL,
  entity_type text,
  entity_id text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  ip text,
  request_id text
);
CREATE INDEX audit_events_at_idx ON audit_events (at DESC, id DESC);
CREATE INDEX audit_events_municipality_at_idx ON audit_events (municipality_id, at DESC, id DESC);
CREATE INDEX audit_events_entity_idx ON audit_events (entity_type, entity_id);
COMMENT ON TABLE audit_events IS 'global: append-only log of who did and read what, including events with no tenant (logins); filtered by municipality_id when read';
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION bosak_refuse_change();

-- Tenant tables -------------------------------------------------------------------------

CREATE TABLE municipality_settings (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  letterhead_name text NOT NULL CHECK (length(letterhead_name) BETWEEN 1 AND 200),
  street_address text NOT NULL DEFAULT '' CHECK (length(street_address) <= 200),
  postcode text NOT NULL DEFAULT '' CHECK (postcode = '' OR postcode ~ '^[0-9]{4}$'),
  postal_place text NOT NULL DEFAULT '' CHECK (length(postal_place) <= 100),
  phone text NOT NULL DEFAULT '' CHECK (length(phone) <= 40),
  email text NOT NULL DEFAULT '' CHECK (length(email) <= 254),
  decisions_need_second_approver boolean NOT NULL DEFAULT false,
  version integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by uuid REFERENCES users (id),
  PRIMARY KEY (municipality_id)
);

CREATE TABLE areas (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, id)
);
CREATE UNIQUE INDEX areas_name_key ON areas (municipality_id, lower(name));

-- Row level security on every tenant table: only the request's visible municipalities,
-- for reads and writes alike.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['municipality_settings', 'areas'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
      WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))$p$, t);
  END LOOP;
END
$$;

-- Privileges of the request role. Audit events may be added and read, never changed.
GRANT SELECT ON municipalities, offices, office_municipalities TO bosak_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON users, memberships, sessions, login_throttle TO bosak_app;
GRANT SELECT, INSERT ON audit_events TO bosak_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON municipality_settings, areas TO bosak_app;
GRANT EXECUTE ON FUNCTION bosak_visible_municipalities() TO bosak_app;
