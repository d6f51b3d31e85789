-- Allocation team meetings (tildelingsmøter): the meeting, its agenda items with the
-- team's conclusions, and minutes that lock when approved.
--
-- A meeting of a shared office covers several municipalities. It is stored as one row per
-- municipality with the same id (one "part" per tenant), so every row stays under its own
-- tenant's row level security and no table needs an exception. `covers` lists every
-- municipality of the meeting; shared fields are always written to all parts in one
-- statement by someone who holds a role in all of them, and the handler checks that the
-- number of rows changed equals the number of parts.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

CREATE TYPE meeting_item_kind AS ENUM ('application', 'dwelling', 'appeal', 'other');
CREATE TYPE meeting_conclusion AS ENUM (
  'recommend_grant', 'recommend_partial', 'recommend_refuse',
  'candidate_chosen', 'not_allocated',
  'recommend_uphold', 'recommend_reverse',
  'postponed', 'noted');

CREATE TABLE meetings (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  covers uuid[] NOT NULL,
  office_id uuid REFERENCES offices (id),
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  starts_at timestamptz NOT NULL,
  place text NOT NULL DEFAULT '' CHECK (length(place) <= 300),
  -- [{"user_id": uuid|null, "name", "organisation", "attended": bool}]: a snapshot, so the
  -- minutes keep the names as they were on the day.
  participants jsonb NOT NULL DEFAULT '[]',
  minutes_notes text NOT NULL DEFAULT '' CHECK (length(minutes_notes) <= 20000),
  agenda_sent_at timestamptz,
  cancelled_at timestamptz,
  cancel_reason text NOT NULL DEFAULT '' CHECK (length(cancel_reason) <= 2000),
  approved_at timestamptz,
  approved_by uuid REFERENCES users (id),
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (municipality_id, id),
  CHECK (municipality_id = ANY (covers)),
  CHECK (cardinality(covers) BETWEEN 1 AND 50),
  CHECK (jsonb_typeof(participants) = 'array'),
  CHECK (cancelled_at IS NULL OR length(btrim(cancel_reason)) > 0),
  CHECK (approved_at IS NULL OR approved_by IS NOT NULL)
);
CREATE INDEX meetings_starts_idx ON meetings (municipality_id, starts_at DESC, id);

CREATE TABLE meeting_items (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  meeting_id uuid NOT NULL,
  position integer NOT NULL CHECK (position >= 1),
  kind meeting_item_kind NOT NULL,
  application_id uuid,
  dwelling_id uuid,
  appeal_id uuid,
  title text NOT NULL DEFAULT '' CHECK (length(title) <= 300),
  -- Why Bosak proposed the item ("Klar for møte", "Ledig fra 01.12.2026" …).
  reason text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
  conclusion meeting_conclusion,
  conclusion_text text NOT NULL DEFAULT '' CHECK (length(conclusion_text) <= 10000),
  chosen_application_id uuid,
  -- The candidate's place in the ranking when the team chose; anything but 1 needs a
  -- justification, as for offers.
  chosen_rank integer CHECK (chosen_rank IS NULL OR chosen_rank >= 1),
  justification text NOT NULL DEFAULT '' CHECK (length(justification) <= 4000),
  concluded_at timestamptz,
  concluded_by uuid REFERENCES users (id),
  added_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, meeting_id) REFERENCES meetings (municipality_id, id),
  FOREIGN KEY (municipality_id, application_id) REFERENCES applications (municipality_id, id),
  FOREIGN KEY (municipality_id, dwelling_id) REFERENCES dwellings (municipality_id, id),
  FOREIGN KEY (municipality_id, appeal_id) REFERENCES appeals (municipality_id, id),
  FOREIGN KEY (municipality_id, chosen_application_id) REFERENCES applications (municipality_id, id),
  CHECK (
    (kind = 'application' AND application_id IS NOT NULL AND dwelling_id IS NULL AND appeal_id IS NULL)
    OR (kind = 'dwelling' AND dwelling_id IS NOT NULL AND application_id IS NULL AND appeal_id IS NULL)
    OR (kind = 'appeal' AND appeal_id IS NOT NULL AND application_id IS NULL AND dwelling_id IS NULL)
    OR (kind = 'other' AND application_id IS NULL AND dwelling_id IS NULL AND appeal_id IS NULL
        AND length(btrim(title)) > 0)
  ),
  CHECK ((conclusion IS NULL) = (concluded_at IS NULL)),
  CHECK (conclusion IS DISTINCT FROM 'candidate_chosen'
         OR (kind = 'dwelling' AND chosen_application_id IS NOT NULL AND chosen_rank IS NOT NULL)),
  CHECK (conclusion IS DISTINCT FROM 'candidate_chosen' OR chosen_rank = 1
         OR length(btrim(justification)) > 0),
  CHECK (conclusion IS DISTINCT FROM 'postponed' OR length(btrim(conclusion_text)) > 0)
);
CREATE INDEX meeting_items_meeting_idx ON meeting_items (municipality_id, meeting_id, position, id);
CREATE UNIQUE INDEX meeting_items_subject_key
  ON meeting_items (municipality_id, meeting_id, kind, coalesce(application_id, dwelling_id, appeal_id))
  WHERE kind <> 'other';
CREATE INDEX meeting_items_application_idx ON meeting_items (municipality_id, application_id)
  WHERE application_id IS NOT NULL;
CREATE INDEX meeting_items_chosen_idx ON meeting_items (municipality_id, chosen_application_id)
  WHERE chosen_application_id IS NOT NULL;
CREATE INDEX meeting_items_dwelling_idx ON meeting_items (municipality_id, dwelling_id)
  WHERE dwelling_id IS NOT NULL;
CREATE INDEX meeting_items_appeal_idx ON meeting_items (municipality_id, appeal_id)
  WHERE appeal_id IS NOT NULL;

-- Approved minutes are a record: neither the meeting nor its items change afterwards,
-- whatever the application code does. A cancelled meeting is closed the same way.
CREATE FUNCTION bosak_meeting_locked() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  locked boolean;
BEGIN
  IF TG_TABLE_NAME = 'meetings' THEN
    locked := OLD.approved_at IS NOT NULL OR OLD.cancelled_at IS NOT NULL;
  ELSE
    SELECT m.approved_at IS NOT NULL OR m.cancelled_at IS NOT NULL INTO locked
      FROM meetings m
     WHERE m.municipality_id = coalesce(NEW.municipality_id, OLD.municipality_id)
       AND m.id = coalesce(NEW.meeting_id, OLD.meeting_id);
  END IF;
  IF coalesce(locked, false) THEN
    RAISE EXCEPTION 'meeting is closed: approved minutes and cancelled meetings cannot change'
      USING ERRCODE = 'BSK01';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER meetings_locked BEFORE UPDATE OR DELETE ON meetings
  FOR EACH ROW EXECUTE FUNCTION bosak_meeting_locked();
CREATE TRIGGER meeting_items_locked BEFORE INSERT OR UPDATE OR DELETE ON meeting_items
  FOR EACH ROW EXECUTE FUNCTION bosak_meeting_locked();

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['meetings', 'meeting_items'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
      WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))$p$, t);
  END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE ON meetings TO bosak_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON meeting_items TO bosak_app;
