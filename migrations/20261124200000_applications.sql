-- Applications for municipal housing: people (applicants and household members), the
-- applications with their case numbers, reasons, assessments, the case journal (one
-- append-only event table every action writes to) and documents.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

CREATE TYPE application_status AS ENUM (
  'received', 'under_assessment', 'ready_for_meeting',
  'approved', 'partly_approved', 'rejected',
  'waiting_list', 'offered', 'housed',
  'withdrawn', 'closed_without_decision'
);

CREATE TYPE application_channel AS ENUM ('paper', 'front_desk', 'digital', 'referral_nav', 'referral_health');

CREATE TYPE housing_situation AS ENUM ('without_home', 'at_risk', 'unsuitable');

CREATE TYPE household_relation AS ENUM ('spouse', 'child', 'visiting_child', 'other_adult', 'other_child');

-- One record per person and municipality, shared by the person's applications. Persons
-- without a Norwegian identity number are kept by date of birth.
CREATE TABLE people (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  national_id text CHECK (national_id ~ '^[0-9]{11}$'),
  birth_date date,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  phone text NOT NULL DEFAULT '' CHECK (length(phone) <= 40),
  email text NOT NULL DEFAULT '' CHECK (length(email) <= 254),
  street_address text NOT NULL DEFAULT '' CHECK (length(street_address) <= 200),
  postcode text NOT NULL DEFAULT '' CHECK (postcode = '' OR postcode ~ '^[0-9]{4}$'),
  postal_place text NOT NULL DEFAULT '' CHECK (length(postal_place) <= 100),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, id),
  CHECK (national_id IS NOT NULL OR birth_date IS NOT NULL)
);
CREATE UNIQUE INDEX people_national_id_key ON people (municipality_id, national_id)
  WHERE national_id IS NOT NULL;

-- The categories of the annual mapping of applications by reason, per municipality.
CREATE TABLE application_reasons (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  sort_order integer NOT NULL DEFAULT 100,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, id)
);
CREATE UNIQUE INDEX application_reasons_name_key ON application_reasons (municipality_id, lower(name));

-- Gap-free case numbers per municipality and year: the row is incremented in the same
-- transaction as the application insert, so a rollback gives the number back.
CREATE TABLE case_number_counters (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  year integer NOT NULL CHECK (year BETWEEN 2000 AND 2999),
  last_number integer NOT NULL CHECK (last_number >= 0),
  PRIMARY KEY (municipality_id, year)
);

CREATE TABLE applications (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  case_year integer NOT NULL,
  case_seq integer NOT NULL CHECK (case_seq > 0),
  case_number text NOT NULL,
  received_on date NOT NULL,
  -- Forvaltningsloven § 11a: an interim reply is due when the case is not decided one
  -- month after it was received.
  interim_due_on date GENERATED ALWAYS AS ((received_on + interval '1 month')::date) STORED,
  channel application_channel NOT NULL,
  status application_status NOT NULL DEFAULT 'received',
  applicant_id uuid NOT NULL,
  caseworker_id uuid REFERENCES users (id),
  dwelling_types text[] NOT NULL DEFAULT '{}',
  services_wanted text[] NOT NULL DEFAULT '{}',
  situation housing_situation NOT NULL,
  situation_notes text NOT NULL DEFAULT '' CHECK (length(situation_notes) <= 4000),
  needs_wheelchair boolean NOT NULL DEFAULT false,
  needs_ground_floor boolean NOT NULL DEFAULT false,
  needs_home_followup boolean NOT NULL DEFAULT false,
  care_level text NOT NULL DEFAULT 'none' CHECK (care_level IN ('none', 'some', 'extensive')),
  wished_area_ids uuid[] NOT NULL DEFAULT '{}',
  wishes_notes text NOT NULL DEFAULT '' CHECK (length(wishes_notes) <= 2000),
  monthly_income_ore bigint CHECK (monthly_income_ore >= 0),
  economy_notes text NOT NULL DEFAULT '' CHECK (length(economy_notes) <= 4000),
  consent_nav boolean NOT NULL DEFAULT false,
  consent_health boolean NOT NULL DEFAULT false,
  consent_other text NOT NULL DEFAULT '' CHECK (length(consent_other) <= 500),
  consent_given_on date,
  interpreter_needed boolean NOT NULL DEFAULT false,
  interpreter_language text NOT NULL DEFAULT '' CHECK (length(interpreter_language) <= 100),
  decided_on date,
  interim_reason text NOT NULL DEFAULT '' CHECK (length(interim_reason) <= 2000),
  interim_expected_on date,
  interim_sent_on date,
  status_reason text NOT NULL DEFAULT '' CHECK (length(status_reason) <= 2000),
  submitted_publicly boolean NOT NULL DEFAULT false,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid REFERENCES users (id),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, applicant_id) REFERENCES people (municipality_id, id)
);
CREATE UNIQUE INDEX applications_case_number_key ON applications (municipality_id, case_year, case_seq);
CREATE UNIQUE INDEX applications_case_number_text_key ON applications (municipality_id, case_number);
CREATE INDEX applications_received_idx ON applications (municipality_id, received_on DESC, id DESC);
CREATE INDEX applications_status_idx ON applications (municipality_id, status, received_on DESC, id DESC);
CREATE INDEX applications_caseworker_idx ON applications (municipality_id, caseworker_id, interim_due_on, id);
CREATE INDEX applications_applicant_idx ON applications (municipality_id, applicant_id);
CREATE INDEX applications_due_idx ON applications (municipality_id, interim_due_on, id)
  WHERE decided_on IS NULL AND interim_sent_on IS NULL
    AND status IN ('received', 'under_assessment', 'ready_for_meeting');

CREATE TABLE application_members (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  application_id uuid NOT NULL,
  person_id uuid NOT NULL,
  relation household_relation NOT NULL,
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, application_id, person_id),
  FOREIGN KEY (municipality_id, application_id) REFERENCES applications (municipality_id, id) ON DELETE CASCADE,
  FOREIGN KEY (municipality_id, person_id) REFERENCES people (municipality_id, id)
);
CREATE INDEX application_members_person_idx ON application_members (municipality_id, person_id);

CREATE TABLE application_reason_links (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  application_id uuid NOT NULL,
  reason_id uuid NOT NULL,
  PRIMARY KEY (municipality_id, application_id, reason_id),
  FOREIGN KEY (municipality_id, application_id) REFERENCES applications (municipality_id, id) ON DELETE CASCADE,
  FOREIGN KEY (municipality_id, reason_id) REFERENCES application_reasons (municipality_id, id)
);
CREATE INDEX application_reason_links_reason_idx ON application_reason_links (municipality_id, reason_id, application_id);

-- Assessments (kartlegging) are saved in versions; none is ever changed.
CREATE TABLE assessments (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  application_id uuid NOT NULL,
  version_no integer NOT NULL CHECK (version_no > 0),
  housing_history text NOT NULL DEFAULT '' CHECK (length(housing_history) <= 8000),
  independence text NOT NULL DEFAULT '' CHECK (length(independence) <= 8000),
  independence_level text NOT NULL DEFAULT '' CHECK (independence_level IN ('', 'independent', 'some_support', 'extensive_support')),
  service_needs text NOT NULL DEFAULT '' CHECK (length(service_needs) <= 8000),
  health_social text NOT NULL DEFAULT '' CHECK (length(health_social) <= 8000),
  conclusion text NOT NULL CHECK (length(conclusion) BETWEEN 1 AND 8000),
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid REFERENCES users (id),
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, application_id) REFERENCES applications (municipality_id, id)
);
CREATE UNIQUE INDEX assessments_version_key ON assessments (municipality_id, application_id, version_no);
CREATE TRIGGER assessments_append_only BEFORE UPDATE OR DELETE ON assessments
  FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change();
CREATE TRIGGER assessments_no_truncate BEFORE TRUNCATE ON assessments
  FOR EACH STATEMENT EXECUTE FUNCTION bosak_refuse_change();

-- The case journal: every action on an application appends one event (registration,
-- status changes, notes, contacts, documents, assessments, interim replies; later
-- decisions, offers and meetings). The timeline of the case page is this table.
CREATE TABLE application_events (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  application_id uuid NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  kind text NOT NULL CHECK (kind ~ '^[a-z_.]{1,60}$'),
  summary text NOT NULL CHECK (length(summary) BETWEEN 1 AND 500),
  detail text NOT NULL DEFAULT '' CHECK (length(detail) <= 20000),
  link text CHECK (link IS NULL OR (link LIKE '/%' AND length(link) <= 500)),
  actor_id uuid REFERENCES users (id),
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, application_id) REFERENCES applications (municipality_id, id)
);
CREATE INDEX application_events_timeline_idx ON application_events (municipality_id, application_id, at DESC, id DESC);
CREATE TRIGGER application_events_append_only BEFORE UPDATE OR DELETE ON application_events
  FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change();
CREATE TRIGGER application_events_no_truncate BEFORE TRUNCATE ON application_events
  FOR EACH STATEMENT EXECUTE FUNCTION bosak_refuse_change();

-- Documents on a case, stored in the database (type sniffed from the content).
CREATE TABLE application_documents (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  application_id uuid NOT NULL,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  filename text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
  content_type text NOT NULL CHECK (content_type IN (
    'application/pdf', 'image/jpeg', 'image/png',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document')),
  size_bytes integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 20971520),
  content bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid REFERENCES users (id),
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, application_id) REFERENCES applications (municipality_id, id)
);
CREATE INDEX application_documents_application_idx ON application_documents (municipality_id, application_id, created_at);
ALTER TABLE application_documents ALTER COLUMN content SET STORAGE EXTERNAL;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['people', 'application_reasons', 'case_number_counters', 'applications',
                           'application_members', 'application_reason_links', 'assessments',
                           'application_events', 'application_documents'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
      WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))$p$, t);
  END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON people, application_reasons, case_number_counters,
  applications, application_members, application_reason_links TO bosak_app;
GRANT SELECT, INSERT ON assessments, application_events, application_documents TO bosak_app;
