-- Appeals reviewed properly (forvaltningsloven §§ 31, 33, 34):
-- * a late appeal is assessed (§ 31) before anything else is done with it: taken up, or
--   dismissed by its own enkeltvedtak (avvisning) with its own letter and appeal deadline;
-- * reversing (§ 33) keeps the appeal open ('reversing') until the new decision is sent;
-- * forwarding is per appeal body: the points of a samlevedtak may go to different bodies,
--   each with its own forwarding letter and its own outcome.
-- The new enum values are only used by later transactions (PostgreSQL forbids using a value
-- added in the same transaction).
ALTER TYPE appeal_status ADD VALUE IF NOT EXISTS 'reversing';
ALTER TYPE appeal_status ADD VALUE IF NOT EXISTS 'dismissed';

ALTER TABLE appeals
  ADD COLUMN late_decision text CHECK (late_decision IN ('taken_up', 'dismissed')),
  ADD COLUMN late_assessed_on date,
  ADD COLUMN late_assessed_by uuid REFERENCES users (id),
  ADD COLUMN late_interest text NOT NULL DEFAULT '' CHECK (length(late_interest) <= 5000),
  ADD COLUMN late_assessment text NOT NULL DEFAULT '' CHECK (length(late_assessment) <= 10000),
  ADD COLUMN dismissal_dispatched_on date,
  ADD COLUMN dismissal_channel text CHECK (dismissal_channel IN ('digital', 'post', 'in_person')),
  ADD COLUMN dismissal_notified_on date,
  ADD COLUMN dismissal_deadline date,
  ADD COLUMN dismissal_letter_id uuid,
  ADD FOREIGN KEY (municipality_id, dismissal_letter_id) REFERENCES sent_letters (municipality_id, id),
  ADD CHECK (late_decision IS NULL OR late_assessed_on IS NOT NULL),
  ADD CHECK (late_decision IS DISTINCT FROM 'dismissed'
             OR (dismissal_dispatched_on IS NOT NULL AND dismissal_channel IS NOT NULL
                 AND dismissal_notified_on IS NOT NULL AND dismissal_deadline IS NOT NULL
                 AND dismissal_letter_id IS NOT NULL AND length(late_assessment) > 0));

-- Forwarding and the appeal body's outcome, per appealed point (all points with the same
-- appeal body are forwarded together, in one letter, and get one outcome).
ALTER TABLE appeal_points
  ADD COLUMN forwarded_on date,
  ADD COLUMN forwarding_note text NOT NULL DEFAULT '' CHECK (length(forwarding_note) <= 20000),
  ADD COLUMN forwarding_letter_id uuid,
  ADD COLUMN body_outcome appeal_body_outcome,
  ADD COLUMN body_outcome_on date,
  ADD COLUMN body_outcome_note text NOT NULL DEFAULT '' CHECK (length(body_outcome_note) <= 5000),
  ADD FOREIGN KEY (municipality_id, forwarding_letter_id) REFERENCES sent_letters (municipality_id, id),
  ADD CHECK (body_outcome IS NULL OR (forwarded_on IS NOT NULL AND body_outcome_on IS NOT NULL));

CREATE INDEX appeals_reversing_idx ON appeals (municipality_id, reversing_decision_id)
  WHERE reversing_decision_id IS NOT NULL;
CREATE INDEX appeals_dismissal_letter_idx ON appeals (municipality_id, dismissal_letter_id)
  WHERE dismissal_letter_id IS NOT NULL;
CREATE INDEX appeal_points_forwarding_letter_idx ON appeal_points (municipality_id, forwarding_letter_id)
  WHERE forwarding_letter_id IS NOT NULL;
