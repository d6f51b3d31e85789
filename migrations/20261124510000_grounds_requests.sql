-- fvl. § 24 second paragraph and § 29 second paragraph: a party who asks for grounds within
-- the appeal deadline interrupts it; a new deadline runs from when the grounds are given.
-- `grounds_requested_on` came with the decisions migration; this records when the grounds
-- were given, so the new deadline can be computed and shown.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

ALTER TABLE decisions
  ADD COLUMN grounds_given_on date,
  ADD CONSTRAINT decisions_grounds_given_after_request
    CHECK (grounds_given_on IS NULL OR (grounds_requested_on IS NOT NULL AND grounds_given_on >= grounds_requested_on)),
  ADD CONSTRAINT decisions_grounds_requested_after_notice
    CHECK (grounds_requested_on IS NULL OR notified_on IS NULL OR grounds_requested_on >= notified_on);
