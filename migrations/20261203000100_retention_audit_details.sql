-- Retention reaches the audit log: when a case is anonymised, the free text its audit
-- events carry (a status change's reason, an offer's decline reason, whatever a command
-- put in `details`) is blanked too. Who did what to which record, and when, stays: the
-- audit trail keeps its shape, only the personal content goes. The append-only trigger
-- lets the anonymising owner blank `details` and nothing else.
DROP TRIGGER audit_events_append_only ON audit_events;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION bosak_append_only_except_anonymisation('details');

-- Fired by bosak_anonymise_due's update of applications.anonymised_on, so it runs as the
-- anonymising owner inside that function and nowhere else.
CREATE FUNCTION bosak_anonymise_audit_details() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE audit_events e SET details = '"Anonymisert"'::jsonb
   WHERE e.details NOT IN ('{}'::jsonb, '"Anonymisert"'::jsonb)
     AND ((e.entity_type = 'application' AND e.entity_id = NEW.id::text)
       OR (e.entity_type = 'offer' AND e.entity_id IN (
             SELECT o.id::text FROM offers o
              WHERE o.municipality_id = NEW.municipality_id AND o.application_id = NEW.id))
       OR (e.entity_type = 'decision' AND e.entity_id IN (
             SELECT d.id::text FROM decisions d
              WHERE d.municipality_id = NEW.municipality_id AND d.application_id = NEW.id))
       OR (e.entity_type = 'appeal' AND e.entity_id IN (
             SELECT a.id::text FROM appeals a JOIN decisions d
                 ON d.municipality_id = a.municipality_id AND d.id = a.decision_id
              WHERE d.municipality_id = NEW.municipality_id AND d.application_id = NEW.id)));
  RETURN NULL;
END
$$;

CREATE TRIGGER applications_anonymise_audit_details
  AFTER UPDATE OF anonymised_on ON applications
  FOR EACH ROW WHEN (OLD.anonymised_on IS NULL AND NEW.anonymised_on IS NOT NULL)
  EXECUTE FUNCTION bosak_anonymise_audit_details();
