-- Retention and leases: a case is not due for anonymisation while a lease of its
-- applicant runs, and a case that became a lease counts its retention period from the
-- lease's end. (Until now a housed case could be anonymised while its tenant still lived
-- in the dwelling, blanking the lease's party.)
CREATE OR REPLACE FUNCTION bosak_retention_schedule()
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
          WHERE n.municipality_id = a.municipality_id AND n.application_id = a.id),
        (SELECT max(coalesce(l.ended_on, l.notice_effective_on, l.ends_on, l.starts_on)) FROM leases l
          WHERE l.municipality_id = a.municipality_id AND l.application_id = a.id)
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
     -- A tenant's cases are kept while any lease of theirs runs (as tenant, co-tenant or
     -- household member): the lease names them.
     AND NOT EXISTS (SELECT 1 FROM leases l
                      WHERE l.municipality_id = a.municipality_id AND l.status <> 'ended'
                        AND (l.tenant_id = a.applicant_id
                             OR EXISTS (SELECT 1 FROM lease_parties lp
                                         WHERE lp.municipality_id = l.municipality_id
                                           AND lp.lease_id = l.id AND lp.person_id = a.applicant_id)))
$$;
