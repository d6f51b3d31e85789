-- Decisions (vedtak) and combined decisions (samlevedtak), their decision points, the
-- municipality's decision kinds and standard paragraphs, and appeals (klager).

ALTER TABLE municipality_settings
  ADD COLUMN notification_post_days integer NOT NULL DEFAULT 3 CHECK (notification_post_days BETWEEN 0 AND 30),
  ADD COLUMN appeals_board_name text NOT NULL DEFAULT 'Kommunens klagenemnd' CHECK (length(appeals_board_name) BETWEEN 1 AND 200);

CREATE TYPE decision_status AS ENUM ('draft', 'ready_for_approval', 'sent');
CREATE TYPE decision_outcome AS ENUM ('granted', 'partly_granted', 'refused');
CREATE TYPE appeal_status AS ENUM ('registered', 'reversed', 'forwarded', 'closed');
CREATE TYPE appeal_body_outcome AS ENUM ('upheld', 'reversed', 'sent_back');

-- What a decision point can be about; defaults per DOMAIN.md §6, editable by admins.
CREATE TABLE decision_kinds (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  code text NOT NULL CHECK (code ~ '^[a-z_]{1,40}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  legal_basis text NOT NULL CHECK (length(legal_basis) BETWEEN 1 AND 500),
  appeal_body text NOT NULL CHECK (length(appeal_body) BETWEEN 1 AND 200),
  appeal_weeks integer NOT NULL CHECK (appeal_weeks BETWEEN 1 AND 52),
  is_dwelling boolean NOT NULL DEFAULT false,
  active boolean NOT NULL DEFAULT true,
  sort_order integer NOT NULL DEFAULT 100,
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (municipality_id, id)
);
CREATE UNIQUE INDEX decision_kinds_code_key ON decision_kinds (municipality_id, code);

-- Standard paragraphs for the three mandatory parts of the grounds (fvl. § 25).
CREATE TABLE standard_paragraphs (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  part text NOT NULL CHECK (part IN ('rules', 'facts', 'considerations')),
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
  active boolean NOT NULL DEFAULT true,
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (municipality_id, id)
);
CREATE INDEX standard_paragraphs_part_idx ON standard_paragraphs (municipality_id, part, title);

CREATE TABLE decisions (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  application_id uuid NOT NULL,
  status decision_status NOT NULL DEFAULT 'draft',
  author_id uuid NOT NULL REFERENCES users (id),
  submitted_by uuid REFERENCES users (id),
  approver_id uuid REFERENCES users (id),
  grounds_rules text NOT NULL DEFAULT '' CHECK (length(grounds_rules) <= 20000),
  grounds_facts text NOT NULL DEFAULT '' CHECK (length(grounds_facts) <= 20000),
  grounds_considerations text NOT NULL DEFAULT '' CHECK (length(grounds_considerations) <= 20000),
  no_objection_expected boolean NOT NULL DEFAULT false,
  representative text NOT NULL DEFAULT '' CHECK (length(representative) <= 300),
  replaces_id uuid,
  decided_on date,
  dispatched_on date,
  channel text CHECK (channel IN ('digital', 'post', 'in_person')),
  notified_on date,
  grounds_requested_on date,
  closed_without_appeal boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, application_id) REFERENCES applications (municipality_id, id),
  FOREIGN KEY (municipality_id, replaces_id) REFERENCES decisions (municipality_id, id),
  CHECK (status <> 'sent' OR (decided_on IS NOT NULL AND dispatched_on IS NOT NULL AND channel IS NOT NULL AND notified_on IS NOT NULL))
);
CREATE INDEX decisions_application_idx ON decisions (municipality_id, application_id, created_at);
CREATE INDEX decisions_status_idx ON decisions (municipality_id, status, updated_at DESC, id);
CREATE INDEX decisions_sent_idx ON decisions (municipality_id, dispatched_on DESC, id) WHERE status = 'sent';
-- A decision is replaced at most once.
CREATE UNIQUE INDEX decisions_replaces_key ON decisions (municipality_id, replaces_id) WHERE replaces_id IS NOT NULL;

CREATE TABLE decision_points (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  decision_id uuid NOT NULL,
  position integer NOT NULL CHECK (position BETWEEN 1 AND 50),
  kind_id uuid NOT NULL,
  outcome decision_outcome NOT NULL,
  description text NOT NULL CHECK (length(description) BETWEEN 1 AND 5000),
  -- Dwelling types granted (ids of the municipality's dwelling_types; no FK on arrays).
  dwelling_type_ids uuid[] NOT NULL DEFAULT '{}',
  rooms integer CHECK (rooms BETWEEN 1 AND 10),
  lease_months integer CHECK (lease_months BETWEEN 1 AND 240),
  needs_ground_floor_or_lift boolean NOT NULL DEFAULT false,
  extent text NOT NULL DEFAULT '' CHECK (length(extent) <= 2000),
  period_from date,
  period_to date,
  conditions text NOT NULL DEFAULT '' CHECK (length(conditions) <= 5000),
  legal_basis text NOT NULL CHECK (length(legal_basis) BETWEEN 1 AND 500),
  appeal_body text NOT NULL CHECK (length(appeal_body) BETWEEN 1 AND 200),
  appeal_weeks integer NOT NULL CHECK (appeal_weeks BETWEEN 1 AND 52),
  override_reason text NOT NULL DEFAULT '' CHECK (length(override_reason) <= 2000),
  appeal_deadline date,
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, decision_id) REFERENCES decisions (municipality_id, id) ON DELETE CASCADE,
  FOREIGN KEY (municipality_id, kind_id) REFERENCES decision_kinds (municipality_id, id),
  CHECK (period_to IS NULL OR period_from IS NULL OR period_to >= period_from)
);
CREATE UNIQUE INDEX decision_points_position_key ON decision_points (municipality_id, decision_id, position);

CREATE TABLE appeals (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  decision_id uuid NOT NULL,
  received_on date NOT NULL,
  posted_on date,
  received_how text NOT NULL CHECK (length(received_how) BETWEEN 1 AND 200),
  appellant text NOT NULL CHECK (length(appellant) BETWEEN 1 AND 300),
  summary text NOT NULL DEFAULT '' CHECK (length(summary) <= 10000),
  late_reason text NOT NULL DEFAULT '' CHECK (length(late_reason) <= 5000),
  status appeal_status NOT NULL DEFAULT 'registered',
  reconsidered_on date,
  reversing_decision_id uuid,
  forwarded_on date,
  forwarding_note text NOT NULL DEFAULT '' CHECK (length(forwarding_note) <= 20000),
  body_outcome appeal_body_outcome,
  body_outcome_on date,
  body_outcome_note text NOT NULL DEFAULT '' CHECK (length(body_outcome_note) <= 5000),
  registered_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, decision_id) REFERENCES decisions (municipality_id, id),
  FOREIGN KEY (municipality_id, reversing_decision_id) REFERENCES decisions (municipality_id, id)
);
CREATE INDEX appeals_decision_idx ON appeals (municipality_id, decision_id);
CREATE INDEX appeals_open_idx ON appeals (municipality_id, status, received_on, id);

CREATE TABLE appeal_points (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  appeal_id uuid NOT NULL,
  point_id uuid NOT NULL,
  PRIMARY KEY (municipality_id, appeal_id, point_id),
  FOREIGN KEY (municipality_id, appeal_id) REFERENCES appeals (municipality_id, id) ON DELETE CASCADE,
  FOREIGN KEY (municipality_id, point_id) REFERENCES decision_points (municipality_id, id)
);
CREATE INDEX appeal_points_point_idx ON appeal_points (municipality_id, point_id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['decision_kinds', 'standard_paragraphs', 'decisions', 'decision_points', 'appeals', 'appeal_points'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
      WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))$p$, t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO bosak_app', t);
  END LOOP;
END
$$;
