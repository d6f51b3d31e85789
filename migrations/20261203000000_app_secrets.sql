-- Keys the server needs across restarts and instances, made once by the database's
-- strong random source. Only the owning role reads them (at start-up); the request roles
-- have no grant, so an injected query in a request cannot read a key.
CREATE TABLE app_secrets (
  name text PRIMARY KEY,
  value bytea NOT NULL CHECK (length(value) >= 32),
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app_secrets IS 'global: server keys, read by the owner at start-up only';
REVOKE ALL ON app_secrets FROM PUBLIC;

-- The key of the pre-session CSRF tokens (anonymous forms: login, the public application
-- form), which need no session row. Two version-4 UUIDs give 244 random bits.
INSERT INTO app_secrets (name, value)
VALUES ('pre_session_csrf', uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()));
