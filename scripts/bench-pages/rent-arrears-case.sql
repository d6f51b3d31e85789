-- A lease's arrears case (/leiekontrakter/{id}/restanse): the ledger facts the ladder needs
-- (rent::arrears::repo::ledger_state), then the open case and its steps.
WITH days AS (
           SELECT e.applies_on, sum(e.amount) AS amount FROM rent_entries e
            WHERE e.municipality_id = (:municipalities::uuid[])[1] AND e.lease_id = :first AND e.applies_on <= current_date
            GROUP BY e.applies_on),
         run AS (SELECT applies_on, sum(amount) OVER (ORDER BY applies_on) AS balance FROM days)
         SELECT coalesce((SELECT sum(amount) FROM days), 0)::int8 AS outstanding,
                (SELECT min(e.applies_on) FROM rent_entries e
                  WHERE e.municipality_id = (:municipalities::uuid[])[1] AND e.lease_id = :first AND e.amount > 0 AND e.applies_on <= current_date
                    AND e.amount > coalesce((SELECT sum(s.amount) FROM rent_settlements s
                                              WHERE s.municipality_id = (:municipalities::uuid[])[1] AND s.debit_id = e.id), 0))
                  AS oldest_unpaid_due,
                (SELECT max(applies_on) FROM run WHERE balance <= 0) AS last_clear;
SELECT id, lease_id, opened_on, nav_refused_on, responsible_user, version
  FROM rent_arrears_cases WHERE municipality_id = (:municipalities::uuid[])[1] AND lease_id = :first AND closed_on IS NULL;
SELECT s.id, s.step, s.taken_on, u.display_name AS responsible_name, s.letter_id,
       s.copy_to_tenant, s.eviction_on, s.fee_entry_id, s.note
  FROM rent_arrears_steps s JOIN users u ON u.id = s.responsible_user
 WHERE s.municipality_id = (:municipalities::uuid[])[1] AND s.lease_id = :first
 ORDER BY s.taken_on, s.created_at, s.id;
