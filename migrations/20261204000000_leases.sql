-- Leases (husleieloven): contracts for municipal dwellings, their parties, rent history,
-- deposit, the § 11-1 basis for a term under three years, notice, end and deposit
-- settlement; the admin-editable § 11-1 grounds and house rules; reviews before expiry.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

-- Equality on uuid inside the exclusion constraint below needs the btree operator
-- classes for GiST (a trusted extension: the database owner may create it).
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- § 11-1: the grounds a municipality lets dwellings on shorter terms for; editable by
-- admins, never deleted while a lease names one (deactivate instead).
CREATE TABLE short_term_grounds (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  label text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
  -- What the written notice to the tenant says about this ground.
  notice_text text NOT NULL CHECK (length(notice_text) BETWEEN 1 AND 4000),
  active boolean NOT NULL DEFAULT true,
  sort_order integer NOT NULL DEFAULT 100,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, id)
);
CREATE UNIQUE INDEX short_term_grounds_label_key ON short_term_grounds (municipality_id, lower(label));

-- House rules as append-only versions; a lease names the version it was signed with.
CREATE TABLE house_rules_versions (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  version_no integer NOT NULL CHECK (version_no >= 1),
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 40000),
  created_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, id)
);
CREATE UNIQUE INDEX house_rules_versions_no_key ON house_rules_versions (municipality_id, version_no);
CREATE TRIGGER house_rules_versions_append_only BEFORE UPDATE OR DELETE ON house_rules_versions
  FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change();

CREATE TABLE lease_number_counters (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  next_no integer NOT NULL DEFAULT 1,
  PRIMARY KEY (municipality_id)
);

CREATE TYPE lease_status AS ENUM ('draft', 'signed', 'active', 'notice_given', 'ended');

CREATE TABLE leases (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  lease_no integer NOT NULL CHECK (lease_no >= 1),
  dwelling_id uuid NOT NULL,
  -- The case and the accepted offer it came from; NULL for tenancies from before Bosak.
  application_id uuid,
  offer_id uuid,
  tenant_id uuid NOT NULL,
  status lease_status NOT NULL DEFAULT 'draft',
  starts_on date NOT NULL,
  -- NULL: open-ended (tidsubestemt).
  ends_on date,
  -- The rent agreed at signing in øre; the rent in force is in lease_rent_changes.
  monthly_rent bigint NOT NULL CHECK (monthly_rent BETWEEN 0 AND 10000000),
  includes text[] NOT NULL DEFAULT '{}'
    CHECK (includes <@ ARRAY['electricity', 'heating', 'water', 'internet', 'tv', 'furniture', 'parking']::text[]),
  deposit_kind text NOT NULL DEFAULT 'none' CHECK (deposit_kind IN ('none', 'account', 'guarantee')),
  deposit_amount bigint NOT NULL DEFAULT 0 CHECK (deposit_amount >= 0),
  deposit_bank text NOT NULL DEFAULT '' CHECK (length(deposit_bank) <= 200),
  deposit_account text NOT NULL DEFAULT '' CHECK (deposit_account = '' OR deposit_account ~ '^[0-9]{11}$'),
  guarantor text NOT NULL DEFAULT '' CHECK (length(guarantor) <= 200),
  guarantee_reference text NOT NULL DEFAULT '' CHECK (length(guarantee_reference) <= 100),
  house_rules_id uuid,
  -- Tvangsfullbyrdelsesloven § 13-2 third paragraph (a): eviction on non-payment
  -- without a judgment.
  eviction_clause boolean NOT NULL DEFAULT true,
  -- Husleieloven § 11-1: a term under three years needs a ground and a written notice to
  -- the tenant dated before signing.
  short_term_ground_id uuid,
  short_term_notice_on date,
  short_term_letter_id uuid,
  signed_on date,
  contract_letter_id uuid,
  -- Forvaltningsloven § 16: the landlord's notice follows an advance notice with a
  -- deadline to respond.
  advance_notice_on date,
  advance_respond_by date,
  advance_notice_letter_id uuid,
  notice_by text CHECK (notice_by IN ('tenant', 'landlord')),
  notice_given_on date,
  notice_effective_on date,
  notice_reasons text NOT NULL DEFAULT '' CHECK (length(notice_reasons) <= 10000),
  notice_letter_id uuid,
  protest_on date,
  protest_text text NOT NULL DEFAULT '' CHECK (length(protest_text) <= 10000),
  -- § 9-2 third paragraph: the written demand to move that keeps a time-limited lease
  -- from becoming open-ended when the tenant stays.
  demand_to_move_on date,
  demand_letter_id uuid,
  ended_on date,
  end_reason text CHECK (end_reason IN ('own_home', 'municipal_dwelling', 'institution', 'evicted', 'died', 'other')),
  end_notes text NOT NULL DEFAULT '' CHECK (length(end_notes) <= 4000),
  move_out_checklist jsonb NOT NULL DEFAULT '{}',
  deposit_settlement text CHECK (deposit_settlement IN ('returned', 'withheld', 'partly_withheld')),
  deposit_withheld bigint NOT NULL DEFAULT 0 CHECK (deposit_withheld >= 0),
  deposit_settlement_reason text NOT NULL DEFAULT '' CHECK (length(deposit_settlement_reason) <= 4000),
  -- Import idempotence: a CSV line is the same lease when unit and start date match.
  imported boolean NOT NULL DEFAULT false,
  -- The days the unit is taken: from the start to the end that applies.
  occupancy daterange GENERATED ALWAYS AS
    (daterange(starts_on, COALESCE(ended_on, notice_effective_on, ends_on), '[]')) STORED,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid REFERENCES users (id),
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by uuid REFERENCES users (id),
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, dwelling_id) REFERENCES dwellings (municipality_id, id),
  FOREIGN KEY (municipality_id, application_id) REFERENCES applications (municipality_id, id),
  FOREIGN KEY (municipality_id, offer_id) REFERENCES offers (municipality_id, id),
  FOREIGN KEY (municipality_id, tenant_id) REFERENCES people (municipality_id, id),
  FOREIGN KEY (municipality_id, house_rules_id) REFERENCES house_rules_versions (municipality_id, id),
  FOREIGN KEY (municipality_id, short_term_ground_id) REFERENCES short_term_grounds (municipality_id, id),
  FOREIGN KEY (municipality_id, short_term_letter_id) REFERENCES sent_letters (municipality_id, id),
  FOREIGN KEY (municipality_id, contract_letter_id) REFERENCES sent_letters (municipality_id, id),
  FOREIGN KEY (municipality_id, notice_letter_id) REFERENCES sent_letters (municipality_id, id),
  FOREIGN KEY (municipality_id, demand_letter_id) REFERENCES sent_letters (municipality_id, id),
  FOREIGN KEY (municipality_id, advance_notice_letter_id) REFERENCES sent_letters (municipality_id, id),
  CONSTRAINT leases_landlord_notice_after_advance CHECK (
    notice_by IS DISTINCT FROM 'landlord'
    OR (advance_notice_on IS NOT NULL AND notice_given_on > advance_respond_by)),
  CONSTRAINT leases_end_after_start CHECK (ends_on IS NULL OR ends_on > starts_on),
  -- § 9-3 / § 11-1: under three years only with a ground and a notice before signing.
  CONSTRAINT leases_short_term_basis CHECK (
    ends_on IS NULL OR ends_on >= (starts_on + interval '3 years')::date - 1
    OR (short_term_ground_id IS NOT NULL AND short_term_notice_on IS NOT NULL)),
  CONSTRAINT leases_short_term_notice_before_signing CHECK (
    signed_on IS NULL OR short_term_notice_on IS NULL OR short_term_notice_on < signed_on),
  -- § 3-5: a deposit of at most six months' rent.
  CONSTRAINT leases_deposit_max CHECK (deposit_amount <= 6 * monthly_rent),
  CONSTRAINT leases_deposit_kind CHECK (
    (deposit_kind = 'none' AND deposit_amount = 0)
    OR (deposit_kind = 'account' AND deposit_amount > 0 AND deposit_account <> '')
    OR (deposit_kind = 'guarantee' AND deposit_amount > 0 AND guarantor <> '')),
  CONSTRAINT leases_signed_has_date CHECK (status = 'draft' OR signed_on IS NOT NULL),
  CONSTRAINT leases_notice CHECK (
    status NOT IN ('notice_given') OR (notice_by IS NOT NULL AND notice_given_on IS NOT NULL
                                       AND notice_effective_on IS NOT NULL)),
  CONSTRAINT leases_landlord_notice_reasons CHECK (
    notice_by IS DISTINCT FROM 'landlord' OR length(btrim(notice_reasons)) > 0),
  CONSTRAINT leases_ended CHECK (status <> 'ended' OR (ended_on IS NOT NULL AND end_reason IS NOT NULL)),
  CONSTRAINT leases_ended_after_start CHECK (ended_on IS NULL OR ended_on >= starts_on),
  CONSTRAINT leases_deposit_settled CHECK (deposit_withheld <= deposit_amount
    AND (deposit_settlement IS DISTINCT FROM 'returned' OR deposit_withheld = 0)),
  -- One unit, one lease at a time: signed leases never overlap, also under concurrent
  -- requests (drafts do not hold the unit).
  CONSTRAINT leases_no_overlap EXCLUDE USING gist
    (municipality_id WITH =, dwelling_id WITH =, occupancy WITH &&)
    WHERE (status <> 'draft')
);
CREATE UNIQUE INDEX leases_no_key ON leases (municipality_id, lease_no);
CREATE UNIQUE INDEX leases_offer_key ON leases (municipality_id, offer_id) WHERE offer_id IS NOT NULL;
CREATE UNIQUE INDEX leases_import_key ON leases (municipality_id, dwelling_id, starts_on) WHERE imported;
CREATE INDEX leases_status_idx ON leases (municipality_id, status, lease_no DESC);
CREATE INDEX leases_dwelling_idx ON leases (municipality_id, dwelling_id, starts_on DESC);
CREATE INDEX leases_tenant_idx ON leases (municipality_id, tenant_id);
CREATE INDEX leases_application_idx ON leases (municipality_id, application_id) WHERE application_id IS NOT NULL;
CREATE INDEX leases_ending_idx ON leases (municipality_id, ends_on, lease_no)
  WHERE status IN ('signed', 'active', 'notice_given') AND ends_on IS NOT NULL;

-- Co-tenants (sign and answer for the rent) and household members living there.
CREATE TABLE lease_parties (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  lease_id uuid NOT NULL,
  person_id uuid NOT NULL,
  role text NOT NULL CHECK (role IN ('co_tenant', 'household')),
  PRIMARY KEY (municipality_id, lease_id, person_id),
  FOREIGN KEY (municipality_id, lease_id) REFERENCES leases (municipality_id, id) ON DELETE CASCADE,
  FOREIGN KEY (municipality_id, person_id) REFERENCES people (municipality_id, id)
);
CREATE INDEX lease_parties_person_idx ON lease_parties (municipality_id, person_id);

-- Append-only rent history: the rent at signing, each CPI adjustment (§ 4-2) and each
-- other change, from its effective date. The rent in force on a day is the latest row
-- effective on or before it.
CREATE TABLE lease_rent_changes (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  lease_id uuid NOT NULL,
  effective_on date NOT NULL,
  -- When the rent was set (§ 4-2 counts 12 months from here).
  set_on date NOT NULL,
  monthly_rent bigint NOT NULL CHECK (monthly_rent BETWEEN 0 AND 10000000),
  previous_rent bigint CHECK (previous_rent BETWEEN 0 AND 10000000),
  reason text NOT NULL CHECK (reason IN ('initial', 'cpi', 'other')),
  -- The KPI month the rent is tied to from here (the base of the next adjustment).
  index_month date,
  cpi_run_id uuid,
  notice_letter_id uuid,
  note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
  created_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, lease_id) REFERENCES leases (municipality_id, id),
  FOREIGN KEY (municipality_id, notice_letter_id) REFERENCES sent_letters (municipality_id, id),
  CHECK (effective_on >= set_on),
  CHECK (index_month IS NULL OR extract(day FROM index_month) = 1)
);
CREATE UNIQUE INDEX lease_rent_changes_day_key ON lease_rent_changes (municipality_id, lease_id, effective_on);
CREATE INDEX lease_rent_changes_lease_idx ON lease_rent_changes (municipality_id, lease_id, effective_on DESC);
CREATE TRIGGER lease_rent_changes_append_only BEFORE UPDATE OR DELETE ON lease_rent_changes
  FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change();

-- Consumer price index values (SSB table 03013), recorded by the municipality's admin.
CREATE TABLE kpi_values (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  month date NOT NULL CHECK (extract(day FROM month) = 1),
  value numeric(7, 1) NOT NULL CHECK (value > 0),
  source text NOT NULL CHECK (length(source) BETWEEN 1 AND 300),
  recorded_by uuid REFERENCES users (id),
  recorded_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (municipality_id, month)
);

-- The review before a time-limited lease ends: the tenant's situation and the outcome.
CREATE TABLE lease_reviews (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  lease_id uuid NOT NULL,
  reviewed_on date NOT NULL,
  situation text NOT NULL CHECK (length(situation) BETWEEN 1 AND 10000),
  outcome text NOT NULL CHECK (outcome IN ('renew', 'startlan', 'move', 'end')),
  -- A renewal is decided as a case of its own (an enkeltvedtak with appeal rights).
  renewal_application_id uuid,
  reviewed_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, lease_id) REFERENCES leases (municipality_id, id),
  FOREIGN KEY (municipality_id, renewal_application_id) REFERENCES applications (municipality_id, id)
);
CREATE INDEX lease_reviews_lease_idx ON lease_reviews (municipality_id, lease_id, reviewed_on DESC);
CREATE TRIGGER lease_reviews_append_only BEFORE UPDATE OR DELETE ON lease_reviews
  FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change();

-- A yearly CPI adjustment run (§ 4-2): proposals computed set-based for every lease whose
-- rent was set at least 12 months before the effective date; the admin reviews, leaves
-- out any lease, and approves; approval writes the rent changes and the notice letters.
CREATE TABLE cpi_runs (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  index_month date NOT NULL CHECK (extract(day FROM index_month) = 1),
  index_value numeric(7, 1) NOT NULL CHECK (index_value > 0),
  notice_on date NOT NULL,
  -- At least one month after the written notice.
  effective_on date NOT NULL,
  status text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'approved', 'discarded')),
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_by uuid REFERENCES users (id),
  decided_at timestamptz,
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (municipality_id, id),
  CHECK (effective_on >= (notice_on + interval '1 month')::date)
);
CREATE UNIQUE INDEX cpi_runs_open_key ON cpi_runs (municipality_id) WHERE status = 'proposed';
CREATE INDEX cpi_runs_created_idx ON cpi_runs (municipality_id, created_at DESC);

CREATE TABLE cpi_proposals (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  run_id uuid NOT NULL,
  lease_id uuid NOT NULL,
  old_rent bigint NOT NULL CHECK (old_rent >= 0),
  base_month date NOT NULL,
  base_value numeric(7, 1) NOT NULL CHECK (base_value > 0),
  new_rent bigint NOT NULL CHECK (new_rent >= 0),
  included boolean NOT NULL DEFAULT true,
  rent_change_id uuid,
  letter_id uuid,
  PRIMARY KEY (municipality_id, run_id, lease_id),
  FOREIGN KEY (municipality_id, run_id) REFERENCES cpi_runs (municipality_id, id) ON DELETE CASCADE,
  FOREIGN KEY (municipality_id, lease_id) REFERENCES leases (municipality_id, id),
  FOREIGN KEY (municipality_id, rent_change_id) REFERENCES lease_rent_changes (municipality_id, id),
  FOREIGN KEY (municipality_id, letter_id) REFERENCES sent_letters (municipality_id, id)
);
CREATE INDEX cpi_proposals_lease_idx ON cpi_proposals (municipality_id, lease_id);

ALTER TABLE lease_rent_changes ADD CONSTRAINT lease_rent_changes_run_fkey
  FOREIGN KEY (municipality_id, cpi_run_id) REFERENCES cpi_runs (municipality_id, id);

-- A renewal application names the lease it would extend.
ALTER TABLE applications ADD COLUMN renews_lease_id uuid;
ALTER TABLE applications ADD CONSTRAINT applications_renews_lease_fkey
  FOREIGN KEY (municipality_id, renews_lease_id) REFERENCES leases (municipality_id, id);

-- Lease letters (the § 11-1 notice, the contract, notices, the demand to move, CPI
-- notices) belong to a lease that may have no case.
ALTER TABLE sent_letters ALTER COLUMN application_id DROP NOT NULL;
ALTER TABLE sent_letters DROP CONSTRAINT sent_letters_kind_check;
ALTER TABLE sent_letters ADD CONSTRAINT sent_letters_kind_check CHECK (kind IN (
  'decision', 'interim_reply', 'offer', 'advance_notice', 'forwarding', 'appeal_decision',
  'dismissal', 'short_term_notice', 'lease_contract', 'lease_notice', 'demand_to_move',
  'rent_adjustment', 'lease_advance_notice'));
ALTER TABLE sent_letters ADD CONSTRAINT sent_letters_has_subject
  CHECK (application_id IS NOT NULL OR entity_type = 'lease');

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['short_term_grounds', 'house_rules_versions', 'lease_number_counters',
                           'leases', 'lease_parties', 'lease_rent_changes', 'kpi_values',
                           'lease_reviews', 'cpi_runs', 'cpi_proposals'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
      WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))$p$, t);
  END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE ON short_term_grounds TO bosak_app;
GRANT SELECT, INSERT ON house_rules_versions TO bosak_app;
GRANT SELECT, INSERT, UPDATE ON lease_number_counters TO bosak_app;
GRANT SELECT, INSERT, UPDATE ON leases TO bosak_app;
GRANT SELECT, INSERT, DELETE ON lease_parties TO bosak_app;
GRANT SELECT, INSERT ON lease_rent_changes TO bosak_app;
GRANT SELECT, INSERT, UPDATE ON kpi_values TO bosak_app;
GRANT SELECT, INSERT ON lease_reviews TO bosak_app;
GRANT SELECT, INSERT, UPDATE ON cpi_runs TO bosak_app;
GRANT SELECT, INSERT, UPDATE ON cpi_proposals TO bosak_app;
