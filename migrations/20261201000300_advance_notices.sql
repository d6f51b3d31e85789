-- fvl. § 16: before the municipality takes help away from a party (removes a granted
-- applicant from the waiting list, corrects a decision to the party's loss, later ends a
-- lease) the party gets an advance notice with a deadline to respond. The decision cannot
-- be sent before that deadline unless the party has answered; the answer is journaled.
ALTER TABLE municipality_settings
  ADD COLUMN advance_notice_days integer NOT NULL DEFAULT 14 CHECK (advance_notice_days BETWEEN 7 AND 90);

CREATE TABLE advance_notices (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  application_id uuid NOT NULL,
  intended text NOT NULL CHECK (length(intended) BETWEEN 1 AND 4000),
  grounds text NOT NULL CHECK (length(grounds) BETWEEN 1 AND 10000),
  sent_on date NOT NULL,
  respond_by date NOT NULL,
  sent_by uuid NOT NULL REFERENCES users (id),
  letter_id uuid NOT NULL,
  answered_on date,
  answer_how text NOT NULL DEFAULT '' CHECK (length(answer_how) <= 200),
  answer_summary text NOT NULL DEFAULT '' CHECK (length(answer_summary) <= 10000),
  answered_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, application_id) REFERENCES applications (municipality_id, id),
  FOREIGN KEY (municipality_id, letter_id) REFERENCES sent_letters (municipality_id, id),
  CHECK (respond_by > sent_on),
  CHECK (answered_on IS NULL OR answered_on >= sent_on)
);
CREATE INDEX advance_notices_application_idx ON advance_notices (municipality_id, application_id, sent_on);

ALTER TABLE advance_notices ENABLE ROW LEVEL SECURITY;
ALTER TABLE advance_notices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON advance_notices
  USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
  WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]));
GRANT SELECT, INSERT, UPDATE ON advance_notices TO bosak_app;
