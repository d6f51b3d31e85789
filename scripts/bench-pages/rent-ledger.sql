-- A lease's ledger (/leiekontrakter/{id}/husleie): the lease as the lease page reads it, the
-- KID, every entry with the running balance and what each has open (rent::repo::ledger).
SELECT l.*, p.name AS tenant_name
  FROM leases l
  JOIN people p ON p.municipality_id = l.municipality_id AND p.id = l.tenant_id
 WHERE l.municipality_id = ANY(:municipalities) AND l.id = :first;
SELECT kid FROM rent_accounts WHERE municipality_id = (:municipalities::uuid[])[1] AND lease_id = :first;
SELECT e.id, e.kind::text AS kind, e.charge_kind, e.amount, e.applies_on, e.period_from,
       e.period_to, e.kid, e.payer, e.corrects_id, e.note, u.display_name AS created_by_name,
       e.charge_run_id, e.import_line_id, e.created_at,
       (sum(e.amount) OVER (ORDER BY e.applies_on, e.created_at, e.id))::int8 AS balance,
       (abs(e.amount) - coalesce(s.used, 0))::int8 AS open
  FROM rent_entries e
  LEFT JOIN users u ON u.id = e.created_by
  LEFT JOIN LATERAL (
    SELECT sum(x.amount) AS used FROM rent_settlements x
     WHERE x.municipality_id = e.municipality_id
       AND (x.debit_id = e.id OR x.credit_id = e.id)) s ON true
 WHERE e.municipality_id = (:municipalities::uuid[])[1] AND e.lease_id = :first
 ORDER BY e.applies_on, e.created_at, e.id;
