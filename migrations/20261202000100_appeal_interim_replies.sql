-- fvl. § 11a for appeals: an appeal not answered within a month gets an interim reply
-- saying why it takes time and when it will be decided; when that date passes with the
-- appeal still open, a new reply is due. Each reply is a sent letter (archived); this is
-- the record of what was promised. Append-only.
CREATE TABLE appeal_interim_replies (
  municipality_id uuid NOT NULL,
  id uuid NOT NULL,
  appeal_id uuid NOT NULL,
  sent_on date NOT NULL,
  expected_on date CHECK (expected_on IS NULL OR expected_on >= sent_on),
  reason text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 5000),
  letter_id uuid NOT NULL,
  sent_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, appeal_id) REFERENCES appeals (municipality_id, id),
  FOREIGN KEY (municipality_id, letter_id) REFERENCES sent_letters (municipality_id, id)
);
CREATE INDEX appeal_interim_replies_appeal_idx ON appeal_interim_replies (municipality_id, appeal_id, sent_on);
CREATE INDEX appeal_interim_replies_letter_idx ON appeal_interim_replies (municipality_id, letter_id);

CREATE TRIGGER appeal_interim_replies_append_only BEFORE UPDATE OR DELETE ON appeal_interim_replies
  FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change();
CREATE TRIGGER appeal_interim_replies_no_truncate BEFORE TRUNCATE ON appeal_interim_replies
  FOR EACH STATEMENT EXECUTE FUNCTION bosak_refuse_change();
ALTER TABLE appeal_interim_replies ENABLE ROW LEVEL SECURITY;
ALTER TABLE appeal_interim_replies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON appeal_interim_replies
  USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
  WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]));
GRANT SELECT, INSERT ON appeal_interim_replies TO bosak_app;
