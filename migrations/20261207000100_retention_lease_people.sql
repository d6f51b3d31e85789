-- Retention reaches leases (GDPR art. 5(1)(e), 17). A lease that has ended is due when
-- its municipality's retention period has passed since its last date (the end, the
-- notice's effective date, a protest, a demand to move, its last letter); then
-- bosak_anonymise_due blanks its free text, the review notes, the letters of a tenancy
-- without a case, the agenda items naming it and its audit details, and the people it
-- names once nothing else keeps them (a case not yet anonymised, or another lease).
-- The owner-only exception to the append-only rules is unchanged: lease_reviews joins
-- the tables whose named columns the anonymising owner may blank.

ALTER TABLE leases ADD COLUMN anonymised_on date;
CREATE INDEX leases_retention_idx ON leases (municipality_id, ended_on)
  WHERE status = 'ended' AND anonymised_on IS NULL;

DROP TRIGGER lease_reviews_append_only ON lease_reviews;
CREATE TRIGGER lease_reviews_append_only BEFORE UPDATE OR DELETE ON lease_reviews
  FOR EACH ROW EXECUTE FUNCTION bosak_append_only_except_anonymisation('situation');

-- What is due, one definition for the job and for a dry run.
CREATE FUNCTION bosak_lease_retention_schedule()
RETURNS TABLE (municipality_id uuid, lease_id uuid, lease_no integer, ended_on date, due_on date)
LANGUAGE sql STABLE AS $$
  SELECT l.municipality_id, l.id, l.lease_no, e.ended_on,
         (e.ended_on + make_interval(years => s.retention_years))::date
    FROM leases l
    JOIN municipality_settings s ON s.municipality_id = l.municipality_id
    CROSS JOIN LATERAL (SELECT greatest(
        l.ended_on, l.notice_effective_on, l.protest_on, l.demand_to_move_on,
        (SELECT max(x.sent_on) FROM sent_letters x
          WHERE x.municipality_id = l.municipality_id AND x.entity_type = 'lease'
            AND x.entity_id = l.id)
      ) AS ended_on) e
   WHERE l.status = 'ended' AND l.anonymised_on IS NULL
$$;

CREATE OR REPLACE FUNCTION bosak_anonymise_due(p_today date)
RETURNS TABLE (municipality_id uuid, application_id uuid, case_number text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_m uuid[];
  v_a uuid[];
  v_n text[];
  v_lm uuid[];
  v_l uuid[];
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
  SELECT coalesce(array_agg(r.municipality_id), '{}'), coalesce(array_agg(r.lease_id), '{}')
    INTO v_lm, v_l
    FROM bosak_lease_retention_schedule() r
   WHERE r.due_on <= p_today;
  IF cardinality(v_a) = 0 AND cardinality(v_l) = 0 THEN
    RETURN;
  END IF;
  PERFORM set_config('bosak.anonymising', 'on', true);

  CREATE TEMP TABLE retention_due ON COMMIT DROP AS
    SELECT * FROM unnest(v_m, v_a) AS d(m, a);
  CREATE TEMP TABLE retention_due_leases ON COMMIT DROP AS
    SELECT * FROM unnest(v_lm, v_l) AS d(m, l);

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

  -- Ended leases past their period: the free text, the deposit account and guarantor,
  -- the review notes, the letters of a tenancy without a case (a case's letters go with
  -- the case), the agenda items naming the lease (a review item's title names the
  -- tenant) and the lease's audit details. Dates, status, rent, amounts, the end reason
  -- and the letters' hashes stay.
  UPDATE leases x SET deposit_bank = '',
         deposit_account = CASE WHEN x.deposit_account = '' THEN '' ELSE '00000000000' END,
         guarantor = CASE WHEN x.guarantor = '' THEN '' ELSE 'Anonymisert' END,
         guarantee_reference = '',
         notice_reasons = CASE WHEN x.notice_reasons = '' THEN '' ELSE 'Anonymisert' END,
         protest_text = CASE WHEN x.protest_text = '' THEN '' ELSE 'Anonymisert' END,
         end_notes = CASE WHEN x.end_notes = '' THEN '' ELSE 'Anonymisert' END,
         deposit_settlement_reason = CASE WHEN x.deposit_settlement_reason = '' THEN '' ELSE 'Anonymisert' END,
         anonymised_on = p_today, version = x.version + 1, updated_at = now()
    FROM retention_due_leases d WHERE x.municipality_id = d.m AND x.id = d.l;
  UPDATE lease_reviews x SET situation = 'Anonymisert'
    FROM retention_due_leases d WHERE x.municipality_id = d.m AND x.lease_id = d.l;
  UPDATE sent_letters x SET recipient = 'Anonymisert', blocks = '[]', body = '', pdf = ''::bytea
    FROM retention_due_leases d
   WHERE x.municipality_id = d.m AND x.application_id IS NULL
     AND x.entity_type = 'lease' AND x.entity_id = d.l;
  UPDATE meeting_items x SET title = CASE WHEN x.title = '' THEN '' ELSE 'Anonymisert' END,
         conclusion_text = CASE WHEN x.conclusion_text = '' THEN '' ELSE 'Anonymisert' END,
         justification = CASE WHEN x.justification = '' THEN '' ELSE 'Anonymisert' END
    FROM retention_due_leases d WHERE x.municipality_id = d.m AND x.lease_id = d.l;
  UPDATE audit_events e SET details = '"Anonymisert"'::jsonb
    FROM retention_due_leases d
   WHERE e.municipality_id = d.m AND e.entity_type = 'lease' AND e.entity_id = d.l::text
     AND e.details NOT IN ('{}'::jsonb, '"Anonymisert"'::jsonb);

  -- A person is anonymised once every case they are part of is, and every lease that
  -- names them (as tenant, co-tenant or household member): people on a lease alone go
  -- with the lease, and nobody a running lease names goes with an old case.
  UPDATE people x SET national_id = NULL, name = 'Anonymisert', phone = '', email = '',
         street_address = '', postcode = '', postal_place = '',
         birth_date = make_date(coalesce(extract(year FROM x.birth_date)::int,
                                         bosak_birth_year(x.national_id), 1900), 1, 1),
         anonymised_on = p_today, version = x.version + 1, updated_at = now()
   WHERE x.anonymised_on IS NULL
     AND (EXISTS (SELECT 1 FROM retention_due d WHERE d.m = x.municipality_id
                   AND (EXISTS (SELECT 1 FROM applications a WHERE a.municipality_id = d.m AND a.id = d.a
                                  AND a.applicant_id = x.id)
                        OR EXISTS (SELECT 1 FROM application_members am WHERE am.municipality_id = d.m
                                     AND am.application_id = d.a AND am.person_id = x.id)))
          OR EXISTS (SELECT 1 FROM retention_due_leases d WHERE d.m = x.municipality_id
                   AND (EXISTS (SELECT 1 FROM leases l WHERE l.municipality_id = d.m AND l.id = d.l
                                  AND l.tenant_id = x.id)
                        OR EXISTS (SELECT 1 FROM lease_parties lp WHERE lp.municipality_id = d.m
                                     AND lp.lease_id = d.l AND lp.person_id = x.id))))
     AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.municipality_id = x.municipality_id
                       AND a.applicant_id = x.id AND a.anonymised_on IS NULL)
     AND NOT EXISTS (SELECT 1 FROM application_members am JOIN applications a
                       ON a.municipality_id = am.municipality_id AND a.id = am.application_id
                      WHERE am.municipality_id = x.municipality_id AND am.person_id = x.id
                        AND a.anonymised_on IS NULL)
     AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.municipality_id = x.municipality_id
                       AND l.tenant_id = x.id AND l.anonymised_on IS NULL)
     AND NOT EXISTS (SELECT 1 FROM lease_parties lp JOIN leases l
                       ON l.municipality_id = lp.municipality_id AND l.id = lp.lease_id
                      WHERE lp.municipality_id = x.municipality_id AND lp.person_id = x.id
                        AND l.anonymised_on IS NULL);

  INSERT INTO audit_events (id, username, municipality_id, action, entity_type, details)
  SELECT gen_random_uuid(), 'system', mm.m, 'privacy.retention_anonymised', 'municipality',
         jsonb_build_object('run_for', p_today, 'count', coalesce(c.n, 0),
                            'applications', coalesce(c.ids, '[]'::jsonb))
         || CASE WHEN ls.ids IS NULL THEN '{}'::jsonb
                 ELSE jsonb_build_object('leases', ls.ids) END
    FROM (SELECT d.m FROM retention_due d UNION SELECT d.m FROM retention_due_leases d) mm
    LEFT JOIN (SELECT d.m, count(*) AS n, jsonb_agg(d.a ORDER BY d.a) AS ids
                 FROM retention_due d GROUP BY d.m) c ON c.m = mm.m
    LEFT JOIN (SELECT d.m, jsonb_agg(d.l ORDER BY d.l) AS ids
                 FROM retention_due_leases d GROUP BY d.m) ls ON ls.m = mm.m;

  PERFORM set_config('bosak.anonymising', 'off', true);
  RETURN QUERY SELECT * FROM unnest(v_m, v_a, v_n);
END
$$;

REVOKE ALL ON FUNCTION bosak_anonymise_due(date) FROM PUBLIC;
