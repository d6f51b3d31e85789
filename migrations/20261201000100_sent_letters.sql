-- The letter archive: every letter Bosak sends (decisions, interim replies, offers and
-- later advance notices, forwarding letters, appeal decisions) is stored exactly as
-- sent: the rendered blocks, the plain text and the PDF bytes with their SHA-256. Pages
-- show the stored letter from then on, so a later change of the letterhead, a type's
-- name or an address changes no sent letter; a correction is a new letter. Append-only.
CREATE TABLE sent_letters (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  application_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('decision', 'interim_reply', 'offer', 'advance_notice',
                                     'forwarding', 'appeal_decision', 'dismissal')),
  -- The record the letter is about (a decision, an offer, an application, an appeal).
  entity_type text NOT NULL CHECK (length(entity_type) BETWEEN 1 AND 50),
  entity_id uuid NOT NULL,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
  recipient text NOT NULL CHECK (length(recipient) BETWEEN 1 AND 1000),
  channel text NOT NULL CHECK (length(channel) BETWEEN 1 AND 50),
  sent_on date NOT NULL,
  sent_at timestamptz NOT NULL DEFAULT now(),
  sent_by uuid REFERENCES users (id),
  blocks jsonb NOT NULL,
  body text NOT NULL,
  pdf bytea NOT NULL,
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, application_id) REFERENCES applications (municipality_id, id)
);
CREATE INDEX sent_letters_application_idx ON sent_letters (municipality_id, application_id, sent_at);
CREATE INDEX sent_letters_entity_idx ON sent_letters (municipality_id, entity_id, sent_at DESC);

CREATE TRIGGER sent_letters_append_only BEFORE UPDATE OR DELETE ON sent_letters
  FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change();
CREATE TRIGGER sent_letters_no_truncate BEFORE TRUNCATE ON sent_letters
  FOR EACH STATEMENT EXECUTE FUNCTION bosak_refuse_change();

ALTER TABLE sent_letters ENABLE ROW LEVEL SECURITY;
ALTER TABLE sent_letters FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sent_letters
  USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
  WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]));
GRANT SELECT, INSERT ON sent_letters TO bosak_app;
