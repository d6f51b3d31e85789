-- Dwellings register: per-municipality lists of dwelling types and adaptations, properties
-- (buildings), units (dwellings) with status and condition, the append-only history of
-- status changes and condition assessments, and uploaded import files awaiting confirmation.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

CREATE TYPE property_owner_type AS ENUM
  ('municipality', 'municipal_company', 'allocation_right', 'leased');
CREATE TYPE dwelling_status AS ENUM
  ('vacant', 'let', 'notice_given', 'reserved', 'maintenance', 'to_be_sold', 'sold');
CREATE TYPE dwelling_condition AS ENUM ('good', 'fair', 'poor', 'very_poor');

CREATE TABLE dwelling_types (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  sort_order integer NOT NULL DEFAULT 100,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, id)
);
CREATE UNIQUE INDEX dwelling_types_name_key ON dwelling_types (municipality_id, lower(name));

CREATE TABLE dwelling_adaptations (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  sort_order integer NOT NULL DEFAULT 100,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, id)
);
CREATE UNIQUE INDEX dwelling_adaptations_name_key ON dwelling_adaptations (municipality_id, lower(name));

CREATE TABLE properties (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  street_address text NOT NULL CHECK (length(street_address) BETWEEN 1 AND 200),
  postcode text NOT NULL CHECK (postcode ~ '^[0-9]{4}$'),
  postal_place text NOT NULL CHECK (length(postal_place) BETWEEN 1 AND 100),
  area_id uuid,
  -- Cadastral number (gårdsnummer/bruksnummer), optional.
  gnr integer CHECK (gnr BETWEEN 1 AND 99999),
  bnr integer CHECK (bnr BETWEEN 1 AND 99999),
  owner_type property_owner_type NOT NULL,
  -- The housing company, cooperative or landlord (empty when the municipality owns it).
  owner_name text NOT NULL DEFAULT '' CHECK (length(owner_name) <= 200),
  -- When the allocation right or the lease from a private landlord ends.
  agreement_ends date,
  has_lift boolean NOT NULL DEFAULT false,
  notes text NOT NULL DEFAULT '' CHECK (length(notes) <= 4000),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid REFERENCES users (id),
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by uuid REFERENCES users (id),
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, area_id) REFERENCES areas (municipality_id, id)
);
CREATE UNIQUE INDEX properties_name_key ON properties (municipality_id, lower(name));
CREATE INDEX properties_address_idx ON properties (municipality_id, lower(street_address), id);

CREATE TABLE dwellings (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  property_id uuid NOT NULL,
  unit_number text NOT NULL CHECK (unit_number ~ '^[A-Z0-9][A-Z0-9-]{0,19}$'),
  dwelling_type_id uuid NOT NULL,
  rooms smallint NOT NULL CHECK (rooms BETWEEN 1 AND 10),
  area_m2 numeric(4, 1) NOT NULL CHECK (area_m2 BETWEEN 10 AND 400),
  floor smallint CHECK (floor BETWEEN -3 AND 60),
  wheelchair_accessible boolean NOT NULL DEFAULT false,
  staff_base boolean NOT NULL DEFAULT false,
  -- Monthly rent in øre.
  monthly_rent bigint CHECK (monthly_rent BETWEEN 0 AND 10000000),
  condition dwelling_condition,
  condition_assessed_on date,
  status dwelling_status NOT NULL DEFAULT 'vacant',
  status_since date NOT NULL DEFAULT current_date,
  expected_vacant_from date,
  notes text NOT NULL DEFAULT '' CHECK (length(notes) <= 4000),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid REFERENCES users (id),
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by uuid REFERENCES users (id),
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, property_id) REFERENCES properties (municipality_id, id),
  FOREIGN KEY (municipality_id, dwelling_type_id) REFERENCES dwelling_types (municipality_id, id)
);
CREATE UNIQUE INDEX dwellings_unit_key ON dwellings (municipality_id, property_id, unit_number);
CREATE INDEX dwellings_unit_number_idx ON dwellings (municipality_id, unit_number, id);
CREATE INDEX dwellings_rooms_idx ON dwellings (municipality_id, rooms, id);
CREATE INDEX dwellings_type_idx ON dwellings (municipality_id, dwelling_type_id, id);
CREATE INDEX dwellings_status_idx ON dwellings (municipality_id, status, expected_vacant_from);
CREATE INDEX dwellings_condition_idx ON dwellings (municipality_id, condition, id)
  WHERE condition IN ('poor', 'very_poor');

CREATE TABLE dwelling_unit_adaptations (
  municipality_id uuid NOT NULL,
  dwelling_id uuid NOT NULL,
  adaptation_id uuid NOT NULL,
  PRIMARY KEY (municipality_id, dwelling_id, adaptation_id),
  FOREIGN KEY (municipality_id, dwelling_id) REFERENCES dwellings (municipality_id, id) ON DELETE CASCADE,
  FOREIGN KEY (municipality_id, adaptation_id) REFERENCES dwelling_adaptations (municipality_id, id)
);
CREATE INDEX dwelling_unit_adaptations_adaptation_idx
  ON dwelling_unit_adaptations (municipality_id, adaptation_id);

-- Append-only: every status change of a unit, who made it, when and why.
CREATE TABLE dwelling_status_changes (
  municipality_id uuid NOT NULL,
  id uuid NOT NULL,
  dwelling_id uuid NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now(),
  -- The day the change takes effect (moving day), for the moves-in-and-out review.
  effective_on date NOT NULL,
  from_status dwelling_status,
  to_status dwelling_status NOT NULL,
  reason text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
  changed_by uuid REFERENCES users (id),
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, dwelling_id) REFERENCES dwellings (municipality_id, id)
);
CREATE INDEX dwelling_status_changes_dwelling_idx
  ON dwelling_status_changes (municipality_id, dwelling_id, changed_at DESC);
CREATE INDEX dwelling_status_changes_effective_idx
  ON dwelling_status_changes (municipality_id, effective_on);

-- Append-only: condition assessments; the latest one sets the unit's grade.
CREATE TABLE dwelling_assessments (
  municipality_id uuid NOT NULL,
  id uuid NOT NULL,
  dwelling_id uuid NOT NULL,
  assessed_on date NOT NULL,
  grade dwelling_condition NOT NULL,
  findings text NOT NULL DEFAULT '' CHECK (length(findings) <= 4000),
  planned_action text NOT NULL DEFAULT '' CHECK (length(planned_action) <= 4000),
  -- Cost estimate in øre.
  cost_estimate bigint CHECK (cost_estimate >= 0),
  recorded_at timestamptz NOT NULL DEFAULT now(),
  recorded_by uuid REFERENCES users (id),
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, dwelling_id) REFERENCES dwellings (municipality_id, id)
);
CREATE INDEX dwelling_assessments_dwelling_idx
  ON dwelling_assessments (municipality_id, dwelling_id, assessed_on DESC);

-- An uploaded spreadsheet between preview and confirmation (kept for the record).
CREATE TABLE dwelling_imports (
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
CREATE INDEX dwelling_imports_uploaded_idx ON dwelling_imports (municipality_id, uploaded_at);

-- Moves in and out, one row per move. Until leases exist they come from the status
-- history: into "let" is a move in, from let/notice given to anything else a move out.
-- A unit's first registration (from_status NULL) is not a move.
-- The lease context later adds its rows here with UNION ALL (source = 'lease').
CREATE VIEW dwelling_moves WITH (security_invoker = true) AS
SELECT c.municipality_id, c.dwelling_id, c.effective_on AS moved_on, 'in'::text AS direction,
       'status'::text AS source, c.id AS source_id
  FROM dwelling_status_changes c
 WHERE c.to_status = 'let' AND c.from_status IS NOT NULL AND c.from_status <> 'let'
UNION ALL
SELECT c.municipality_id, c.dwelling_id, c.effective_on, 'out', 'status', c.id
  FROM dwelling_status_changes c
 WHERE c.from_status IN ('let', 'notice_given') AND c.to_status NOT IN ('let', 'notice_given');

CREATE TRIGGER dwelling_status_changes_append_only BEFORE UPDATE OR DELETE ON dwelling_status_changes
  FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change();
CREATE TRIGGER dwelling_status_changes_no_truncate BEFORE TRUNCATE ON dwelling_status_changes
  FOR EACH STATEMENT EXECUTE FUNCTION bosak_refuse_change();
CREATE TRIGGER dwelling_assessments_append_only BEFORE UPDATE OR DELETE ON dwelling_assessments
  FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change();
CREATE TRIGGER dwelling_assessments_no_truncate BEFORE TRUNCATE ON dwelling_assessments
  FOR EACH STATEMENT EXECUTE FUNCTION bosak_refuse_change();

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['dwelling_types', 'dwelling_adaptations', 'properties', 'dwellings',
                           'dwelling_unit_adaptations', 'dwelling_status_changes',
                           'dwelling_assessments', 'dwelling_imports'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
      WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))$p$, t);
  END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON dwelling_types, dwelling_adaptations, properties, dwellings,
  dwelling_unit_adaptations, dwelling_imports TO bosak_app;
GRANT SELECT, INSERT ON dwelling_status_changes, dwelling_assessments TO bosak_app;
GRANT SELECT ON dwelling_moves TO bosak_app;
