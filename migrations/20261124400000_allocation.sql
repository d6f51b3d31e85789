-- Allocation: the municipality's allocation rules (criteria with points, room norms, wish
-- policy, decline limit, offer deadline, lease length per dwelling type) as append-only
-- versions with an effective date, and offers of vacant units to waiting applicants.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

-- Append-only: a change of the rules is a new version; old versions stay readable and
-- every offer names the version it was ranked by.
CREATE TABLE allocation_rule_versions (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  version_no integer NOT NULL CHECK (version_no >= 1),
  effective_from date NOT NULL,
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 4000),
  author_id uuid REFERENCES users (id),
  -- Vec<ranking::Criterion>, Vec<ranking::RoomNorm>, ranking::WishPolicy as JSON.
  criteria jsonb NOT NULL,
  room_norms jsonb NOT NULL,
  wish_policy jsonb NOT NULL,
  decline_limit integer NOT NULL CHECK (decline_limit BETWEEN 0 AND 20),
  offer_days integer NOT NULL CHECK (offer_days BETWEEN 1 AND 90),
  -- {"<dwelling type id>": months}; types not named use default_lease_months.
  lease_months jsonb NOT NULL DEFAULT '{}',
  default_lease_months integer NOT NULL DEFAULT 36 CHECK (default_lease_months BETWEEN 1 AND 240),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, id)
);
CREATE UNIQUE INDEX allocation_rule_versions_no_key ON allocation_rule_versions (municipality_id, version_no);
CREATE INDEX allocation_rule_versions_effective_idx
  ON allocation_rule_versions (municipality_id, effective_from DESC, version_no DESC);

CREATE TRIGGER allocation_rule_versions_append_only BEFORE UPDATE OR DELETE ON allocation_rule_versions
  FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change();
CREATE TRIGGER allocation_rule_versions_no_truncate BEFORE TRUNCATE ON allocation_rule_versions
  FOR EACH STATEMENT EXECUTE FUNCTION bosak_refuse_change();

CREATE TABLE offers (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  dwelling_id uuid NOT NULL,
  application_id uuid NOT NULL,
  rule_version_id uuid NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'declined', 'expired', 'withdrawn')),
  offered_on date NOT NULL,
  answer_due date NOT NULL,
  answered_on date,
  decline_reason text NOT NULL DEFAULT '' CHECK (length(decline_reason) <= 4000),
  -- Why someone other than the top candidate got the offer (required then).
  justification text NOT NULL DEFAULT '' CHECK (length(justification) <= 4000),
  rank_at_offer integer NOT NULL CHECK (rank_at_offer >= 1),
  score_at_offer integer NOT NULL,
  breakdown jsonb NOT NULL DEFAULT '[]',
  wish_mismatch boolean NOT NULL DEFAULT false,
  lease_months integer NOT NULL CHECK (lease_months BETWEEN 1 AND 240),
  monthly_rent bigint,
  created_by uuid NOT NULL REFERENCES users (id),
  answered_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, dwelling_id) REFERENCES dwellings (municipality_id, id),
  FOREIGN KEY (municipality_id, application_id) REFERENCES applications (municipality_id, id),
  FOREIGN KEY (municipality_id, rule_version_id) REFERENCES allocation_rule_versions (municipality_id, id),
  CHECK (rank_at_offer = 1 OR length(btrim(justification)) > 0),
  CHECK (status <> 'declined' OR length(btrim(decline_reason)) > 0),
  CHECK (answer_due >= offered_on)
);
-- One open offer per unit and per applicant.
CREATE UNIQUE INDEX offers_open_dwelling_key ON offers (municipality_id, dwelling_id) WHERE status = 'open';
CREATE UNIQUE INDEX offers_open_application_key ON offers (municipality_id, application_id) WHERE status = 'open';
CREATE INDEX offers_dwelling_idx ON offers (municipality_id, dwelling_id, created_at DESC);
CREATE INDEX offers_application_idx ON offers (municipality_id, application_id, created_at DESC);
CREATE INDEX offers_status_idx ON offers (municipality_id, status, answer_due);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['allocation_rule_versions', 'offers'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
      WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))$p$, t);
  END LOOP;
END
$$;

GRANT SELECT, INSERT ON allocation_rule_versions TO bosak_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON offers TO bosak_app;
