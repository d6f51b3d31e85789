-- Data protection (ASVS 5.0 V14, GDPR art. 5(1)(e), 15 and 17): a retention period per
-- municipality, the schedule of closed cases past it, and the one narrow path by which
-- the retention job may blank personal data in otherwise append-only records.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

-- Years a closed case is kept with its personal data. Ten by default: a case system that
-- keeps records ten years or less need not be a full Noark archive (DOMAIN.md § 6), and
-- ten years covers the absolute limitation period for claims arising from a decision
-- (foreldelsesloven § 9). At least two, so no setting can cut short the one-year window
-- for late appeals (fvl. § 31) and the complaint handling after it.
ALTER TABLE municipality_settings
  ADD COLUMN retention_years integer NOT NULL DEFAULT 10 CHECK (retention_years BETWEEN 2 AND 30);

-- The legal date a case was closed by hand (withdrawn, closed without decision, housed,
-- refused); other closings are read from the case's own dated records.
ALTER TABLE applications
  ADD COLUMN closed_on date,
  ADD COLUMN anonymised_on date;
ALTER TABLE people ADD COLUMN anonymised_on date;

-- Who read a person's cases: list reads record the case ids in details->'applications'.
CREATE INDEX audit_events_applications_idx ON audit_events USING gin ((details -> 'applications'));

-- Closed cases not yet anonymised, with the last legal date on record (ended_on) and the
-- date retention runs out (due_on). Closed means: a final status, no appeal still open,
-- no unsent decision, no grounds requested and not yet given, no open offer. Runs with
-- the caller's rights, so row level security shows each caller its own municipalities.
-- No "today" in here: the caller compares due_on with the program's clock.
CREATE FUNCTION bosak_retention_schedule()
RETURNS TABLE (municipality_id uuid, application_id uuid, case_number text,
               status application_status, ended_on date, due_on date)
LANGUAGE sql STABLE AS $$
  SELECT a.municipality_id, a.id, a.case_number, a.status, e.ended_on,
         (e.ended_on + make_interval(years => s.retention_years))::date
    FROM applications a
    JOIN municipality_settings s ON s.municipality_id = a.municipality_id
    CROSS JOIN LATERAL (SELECT greatest(
        a.received_on, a.decided_on, a.closed_on,
        (SELECT max(greatest(d.decided_on, d.dispatched_on, d.notified_on, d.grounds_given_on))
           FROM decisions d WHERE d.municipality_id = a.municipality_id AND d.application_id = a.id),
        (SELECT max(p.appeal_deadline) FROM decisions d
           JOIN decision_points p ON p.municipality_id = d.municipality_id AND p.decision_id = d.id
          WHERE d.municipality_id = a.municipality_id AND d.application_id = a.id),
        (SELECT max(greatest(ap.received_on, ap.reconsidered_on, ap.forwarded_on, ap.body_outcome_on,
                             ap.dismissal_deadline, pp.body_outcome_on))
           FROM decisions d
           JOIN appeals ap ON ap.municipality_id = d.municipality_id AND ap.decision_id = d.id
           LEFT JOIN appeal_points pp ON pp.municipality_id = ap.municipality_id AND pp.appeal_id = ap.id
          WHERE d.municipality_id = a.municipality_id AND d.application_id = a.id),
        (SELECT max(greatest(o.offered_on, o.answer_due, o.answered_on)) FROM offers o
          WHERE o.municipality_id = a.municipality_id AND o.application_id = a.id),
        (SELECT max(l.sent_on) FROM sent_letters l
          WHERE l.municipality_id = a.municipality_id AND l.application_id = a.id),
        (SELECT max(greatest(n.sent_on, n.respond_by, n.answered_on)) FROM advance_notices n
          WHERE n.municipality_id = a.municipality_id AND n.application_id = a.id)
      ) AS ended_on) e
   WHERE a.anonymised_on IS NULL
     AND a.status IN ('rejected', 'housed', 'withdrawn', 'closed_without_decision')
     AND NOT EXISTS (SELECT 1 FROM decisions d
                      WHERE d.municipality_id = a.municipality_id AND d.application_id = a.id
                        AND (d.status <> 'sent'
                             OR (d.grounds_requested_on IS NOT NULL AND d.grounds_given_on IS NULL)
                             OR EXISTS (SELECT 1 FROM appeals ap
                                         WHERE ap.municipality_id = d.municipality_id AND ap.decision_id = d.id
                                           AND ap.status IN ('registered', 'forwarded', 'reversing'))))
     AND NOT EXISTS (SELECT 1 FROM offers o
                      WHERE o.municipality_id = a.municipality_id AND o.application_id = a.id
                        AND o.status = 'open')
$$;
GRANT EXECUTE ON FUNCTION bosak_retention_schedule() TO bosak_app;

-- True only inside bosak_anonymise_due: the flag is transaction-local and set by that
-- function, and the request role is excluded by name, so a request that sets the flag
-- itself gains nothing (it also holds no UPDATE grant on the append-only tables).
CREATE FUNCTION bosak_anonymising() RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('bosak.anonymising', true), '') = 'on'
     AND current_user <> 'bosak_app'
$$;

-- An update that changes nothing but `cols`, each to a blank value: the only change the
-- exception lets through. Even the retention path cannot rewrite a record's content.
CREATE FUNCTION bosak_only_blanked(old_row jsonb, new_row jsonb, cols text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT (old_row - cols) = (new_row - cols)
     AND NOT EXISTS (
       SELECT 1 FROM unnest(cols) AS c
        WHERE (new_row -> c) IS DISTINCT FROM (old_row -> c)
          AND NOT ((new_row -> c) = ANY (ARRAY['""', '"Anonymisert"', '[]', 'null', '"\\x"']::jsonb[])))
$$;

-- Append-only, except that the retention job may blank the columns named as trigger
-- arguments. DELETE and TRUNCATE stay refused for everybody.
CREATE FUNCTION bosak_append_only_except_anonymisation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND bosak_anonymising()
     AND bosak_only_blanked(to_jsonb(OLD), to_jsonb(NEW), TG_ARGV::text[]) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER sent_letters_append_only ON sent_letters;
CREATE TRIGGER sent_letters_append_only BEFORE UPDATE OR DELETE ON sent_letters
  FOR EACH ROW EXECUTE FUNCTION bosak_append_only_except_anonymisation('recipient', 'blocks', 'body', 'pdf');
DROP TRIGGER assessments_append_only ON assessments;
CREATE TRIGGER assessments_append_only BEFORE UPDATE OR DELETE ON assessments
  FOR EACH ROW EXECUTE FUNCTION bosak_append_only_except_anonymisation(
    'housing_history', 'independence', 'service_needs', 'health_social', 'conclusion');
DROP TRIGGER application_events_append_only ON application_events;
CREATE TRIGGER application_events_append_only BEFORE UPDATE OR DELETE ON application_events
  FOR EACH ROW EXECUTE FUNCTION bosak_append_only_except_anonymisation('summary', 'detail');
DROP TRIGGER appeal_interim_replies_append_only ON appeal_interim_replies;
CREATE TRIGGER appeal_interim_replies_append_only BEFORE UPDATE OR DELETE ON appeal_interim_replies
  FOR EACH ROW EXECUTE FUNCTION bosak_append_only_except_anonymisation('reason');

-- Approved minutes stay locked, except that the retention job may blank an item's text.
CREATE OR REPLACE FUNCTION bosak_meeting_locked() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  locked boolean;
BEGIN
  IF TG_TABLE_NAME = 'meeting_items' AND TG_OP = 'UPDATE' AND bosak_anonymising()
     AND bosak_only_blanked(to_jsonb(OLD), to_jsonb(NEW),
                            ARRAY['title', 'conclusion_text', 'justification']) THEN
    RETURN NEW;
  END IF;
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

-- The birth year in a Norwegian identity number (D- and H-numbers included), for the age
-- statistics an anonymised person keeps.
CREATE FUNCTION bosak_birth_year(national_id text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN national_id IS NULL OR national_id !~ '^[0-9]{11}$' THEN NULL
    WHEN substr(national_id, 7, 3)::int < 500 THEN 1900 + substr(national_id, 5, 2)::int
    WHEN substr(national_id, 7, 3)::int < 750 AND substr(national_id, 5, 2)::int >= 54
      THEN 1800 + substr(national_id, 5, 2)::int
    WHEN substr(national_id, 5, 2)::int <= 39 THEN 2000 + substr(national_id, 5, 2)::int
    WHEN substr(national_id, 7, 3)::int >= 900 THEN 1900 + substr(national_id, 5, 2)::int
    ELSE NULL
  END
$$;

-- Anonymises every case whose retention ran out by p_today (the program's clock), in
-- every municipality, set-based, and records what it did in the audit log itself, so no
-- caller can use it unseen. What stays is the statistical skeleton: dates, statuses,
-- channels, situation and needs categories, decision outcomes and kinds, points, offers'
-- ranks, the journal's event kinds, letters' kinds, dates and SHA-256. Owned by the
-- migrating role and executable by it alone: the request role cannot call it.
CREATE FUNCTION bosak_anonymise_due(p_today date)
RETURNS TABLE (municipality_id uuid, application_id uuid, case_number text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_m uuid[];
  v_a uuid[];
  v_n text[];
BEGIN
  IF p_today IS NULL THEN
    RAISE EXCEPTION 'p_today is required';
  END IF;
  PERFORM set_config('bosak.municipalities',
                     (SELECT coalesce(array_agg(id), '{}')::text FROM municipalities), true);
  SELECT coalesce(array_agg(r.municipality_id), '{}'), coalesce(array_agg(r.application_id), '{}'),
         coalesce(array_agg(r.case_number), '{}')
    INTO v_m, v_a, v_n
    FROM bosak_retention_schedule() r
   WHERE r.due_on <= p_today;
  IF cardinality(v_a) = 0 THEN
    RETURN;
  END IF;
  PERFORM set_config('bosak.anonymising', 'on', true);

  CREATE TEMP TABLE retention_due ON COMMIT DROP AS
    SELECT * FROM unnest(v_m, v_a) AS d(m, a);

  UPDATE applications x SET situation_notes = '', wishes_notes = '', economy_notes = '',
         consent_other = '', interpreter_language = '', interim_reason = '', status_reason = '',
         monthly_income_ore = NULL, anonymised_on = p_today, version = x.version + 1, updated_at = now()
    FROM retention_due d WHERE x.municipality_id = d.m AND x.id = d.a;
  UPDATE assessments x SET housing_history = '', independence = '', service_needs = '',
         health_social = '', conclusion = 'Anonymisert'
    FROM retention_due d WHERE x.municipality_id = d.m AND x.application_id = d.a;
  UPDATE application_events x SET summary = 'Anonymisert', detail = ''
    FROM retention_due d WHERE x.municipality_id = d.m AND x.application_id = d.a;
  DELETE FROM application_documents x
   USING retention_due d WHERE x.municipality_id = d.m AND x.application_id = d.a;
  UPDATE decisions x SET grounds_rules = '', grounds_facts = '', grounds_considerations = '',
         representative = '', version = x.version + 1
    FROM retention_due d WHERE x.municipality_id = d.m AND x.application_id = d.a;
  UPDATE decision_points x SET description = 'Anonymisert', extent = '', conditions = '', override_reason = ''
    FROM decisions dd JOIN retention_due d ON dd.municipality_id = d.m AND dd.application_id = d.a
   WHERE x.municipality_id = dd.municipality_id AND x.decision_id = dd.id;
  UPDATE appeals x SET appellant = 'Anonymisert', summary = '', late_reason = '', forwarding_note = '',
         body_outcome_note = '', late_interest = '', late_assessment = CASE WHEN x.late_assessment = '' THEN '' ELSE 'Anonymisert' END,
         version = x.version + 1
    FROM decisions dd JOIN retention_due d ON dd.municipality_id = d.m AND dd.application_id = d.a
   WHERE x.municipality_id = dd.municipality_id AND x.decision_id = dd.id;
  UPDATE appeal_points x SET forwarding_note = '', body_outcome_note = ''
    FROM appeals ap JOIN decisions dd ON dd.municipality_id = ap.municipality_id AND dd.id = ap.decision_id
    JOIN retention_due d ON dd.municipality_id = d.m AND dd.application_id = d.a
   WHERE x.municipality_id = ap.municipality_id AND x.appeal_id = ap.id;
  UPDATE appeal_interim_replies x SET reason = 'Anonymisert'
    FROM appeals ap JOIN decisions dd ON dd.municipality_id = ap.municipality_id AND dd.id = ap.decision_id
    JOIN retention_due d ON dd.municipality_id = d.m AND dd.application_id = d.a
   WHERE x.municipality_id = ap.municipality_id AND x.appeal_id = ap.id;
  UPDATE offers x SET decline_reason = CASE WHEN x.decline_reason = '' THEN '' ELSE 'Anonymisert' END,
         justification = CASE WHEN x.justification = '' THEN '' ELSE 'Anonymisert' END,
         breakdown = '[]', version = x.version + 1
    FROM retention_due d WHERE x.municipality_id = d.m AND x.application_id = d.a;
  UPDATE advance_notices x SET intended = 'Anonymisert', grounds = 'Anonymisert', answer_summary = '',
         version = x.version + 1
    FROM retention_due d WHERE x.municipality_id = d.m AND x.application_id = d.a;
  UPDATE meeting_items x SET title = CASE WHEN x.title = '' THEN '' ELSE 'Anonymisert' END,
         conclusion_text = CASE WHEN x.conclusion_text = '' THEN '' ELSE 'Anonymisert' END,
         justification = CASE WHEN x.justification = '' THEN '' ELSE 'Anonymisert' END
    FROM retention_due d
   WHERE x.municipality_id = d.m
     AND (x.application_id = d.a OR x.chosen_application_id = d.a
          OR x.appeal_id IN (SELECT ap.id FROM appeals ap JOIN decisions dd
                               ON dd.municipality_id = ap.municipality_id AND dd.id = ap.decision_id
                              WHERE dd.municipality_id = d.m AND dd.application_id = d.a));
  UPDATE sent_letters x SET recipient = 'Anonymisert', blocks = '[]', body = '', pdf = ''::bytea
    FROM retention_due d WHERE x.municipality_id = d.m AND x.application_id = d.a;

  -- A person is anonymised once every case they are part of is.
  UPDATE people x SET national_id = NULL, name = 'Anonymisert', phone = '', email = '',
         street_address = '', postcode = '', postal_place = '',
         birth_date = make_date(coalesce(extract(year FROM x.birth_date)::int,
                                         bosak_birth_year(x.national_id), 1900), 1, 1),
         anonymised_on = p_today, version = x.version + 1, updated_at = now()
   WHERE x.anonymised_on IS NULL
     AND EXISTS (SELECT 1 FROM retention_due d WHERE d.m = x.municipality_id
                   AND (EXISTS (SELECT 1 FROM applications a WHERE a.municipality_id = d.m AND a.id = d.a
                                  AND a.applicant_id = x.id)
                        OR EXISTS (SELECT 1 FROM application_members am WHERE am.municipality_id = d.m
                                     AND am.application_id = d.a AND am.person_id = x.id)))
     AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.municipality_id = x.municipality_id
                       AND a.applicant_id = x.id AND a.anonymised_on IS NULL)
     AND NOT EXISTS (SELECT 1 FROM application_members am JOIN applications a
                       ON a.municipality_id = am.municipality_id AND a.id = am.application_id
                      WHERE am.municipality_id = x.municipality_id AND am.person_id = x.id
                        AND a.anonymised_on IS NULL);

  INSERT INTO audit_events (id, username, municipality_id, action, entity_type, details)
  SELECT gen_random_uuid(), 'system', d.m, 'privacy.retention_anonymised', 'municipality',
         jsonb_build_object('run_for', p_today, 'count', count(*),
                            'applications', jsonb_agg(d.a ORDER BY d.a))
    FROM retention_due d GROUP BY d.m;

  PERFORM set_config('bosak.anonymising', 'off', true);
  RETURN QUERY SELECT * FROM unnest(v_m, v_a, v_n);
END
$$;
REVOKE ALL ON FUNCTION bosak_anonymise_due(date) FROM PUBLIC;
