-- Uploaded lease spreadsheets (tenancies from before Bosak): stored on upload, previewed
-- line by line, applied all or nothing on confirm (src/leases/import). Like
-- dwelling_imports; applied_at makes a second confirm of the same upload a no-op.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

CREATE TABLE lease_imports (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  filename text NOT NULL CHECK (length(filename) <= 300),
  content bytea NOT NULL,
  uploaded_by uuid REFERENCES users (id),
  uploaded_at timestamptz NOT NULL DEFAULT now(),
  applied_at timestamptz,
  applied_by uuid REFERENCES users (id),
  PRIMARY KEY (municipality_id, id)
);
CREATE INDEX lease_imports_uploaded_idx ON lease_imports (municipality_id, uploaded_at);

ALTER TABLE lease_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE lease_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON lease_imports
  USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
  WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]));

GRANT SELECT, INSERT, UPDATE ON lease_imports TO bosak_app;
