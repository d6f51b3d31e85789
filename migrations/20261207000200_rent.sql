-- Rent: each lease's KID, the append-only ledger per lease, the settlement of charges by
-- payments and credits, and the monthly charge runs.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

-- The municipality's rent settings: which check digit its KIDs carry (mod 10 / Luhn, or
-- mod 11), the day of the month the scheduled job charges the coming month, and the next
-- KID base number (the counter; bases whose mod 11 check digit would be 10 are skipped).
CREATE TABLE rent_settings (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  kid_modulus smallint NOT NULL DEFAULT 10 CHECK (kid_modulus IN (10, 11)),
  charge_day smallint NOT NULL DEFAULT 15 CHECK (charge_day BETWEEN 1 AND 28),
  next_kid_base bigint NOT NULL DEFAULT 1 CHECK (next_kid_base >= 1),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (municipality_id)
);

-- A lease's rent account: its KID, unique in the municipality (the bank reports the KID,
-- and the KID alone must name the lease). Written once, never changed.
CREATE TABLE rent_accounts (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  lease_id uuid NOT NULL,
  kid text NOT NULL CHECK (kid ~ '^[0-9]{2,25}$'),
  kid_modulus smallint NOT NULL CHECK (kid_modulus IN (10, 11)),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, lease_id),
  FOREIGN KEY (municipality_id, lease_id) REFERENCES leases (municipality_id, id)
);
CREATE UNIQUE INDEX rent_accounts_kid_key ON rent_accounts (municipality_id, kid);
CREATE TRIGGER rent_accounts_append_only BEFORE UPDATE OR DELETE ON rent_accounts
  FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change();
CREATE TRIGGER rent_accounts_no_truncate BEFORE TRUNCATE ON rent_accounts
  FOR EACH STATEMENT EXECUTE FUNCTION bosak_refuse_change();

-- A month's charge run: one per municipality and month, so two runs of a month started
-- at once leave one (the second waits on the unique key and then finds the first).
CREATE TABLE rent_charge_runs (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  month date NOT NULL CHECK (extract(day FROM month) = 1),
  -- NULL: started by the scheduled job.
  started_by uuid REFERENCES users (id),
  started_at timestamptz NOT NULL DEFAULT now(),
  charges integer NOT NULL DEFAULT 0 CHECK (charges >= 0),
  total bigint NOT NULL DEFAULT 0 CHECK (total >= 0),
  PRIMARY KEY (municipality_id, id)
);
CREATE UNIQUE INDEX rent_charge_runs_month_key ON rent_charge_runs (municipality_id, month);

CREATE TYPE rent_entry_kind AS ENUM ('charge', 'payment', 'credit', 'fee', 'correction');

-- The ledger: append-only. The amount is signed from the tenant's side: what the tenant
-- owes is positive (charges, fees, a correction upwards), what pays or reduces it is
-- negative (payments, credits, a correction downwards). The balance of a lease is the sum
-- of its entries — never a stored number.
CREATE TABLE rent_entries (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  lease_id uuid NOT NULL,
  kind rent_entry_kind NOT NULL,
  -- Charges only: rent (from a charge run) or another charge.
  charge_kind text CHECK (charge_kind IN ('rent', 'other')),
  amount bigint NOT NULL CHECK (amount <> 0 AND amount BETWEEN -100000000000 AND 100000000000),
  -- The day the entry applies to (a charge: its due day; a payment: the day it was paid).
  applies_on date NOT NULL,
  -- A rent charge: the month it belongs to and the days of it that it covers.
  charge_month date CHECK (extract(day FROM charge_month) = 1),
  period_from date,
  period_to date,
  -- The KID a charge was issued with, or the KID a payment named.
  kid text CHECK (kid ~ '^[0-9]{2,25}$'),
  -- Payments: who paid.
  payer text CHECK (payer IN ('tenant', 'nav', 'bostotte', 'other')),
  -- Corrections: the entry corrected.
  corrects_id uuid,
  -- A payment that names a charge (by KID or by hand) settles that charge first.
  settles_first uuid,
  note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
  -- Who or what made it: a user, a charge run, or a line of an imported bank file.
  created_by uuid REFERENCES users (id),
  charge_run_id uuid,
  import_line_id uuid,
  -- A form's one-time token: a double submit records one entry.
  idempotency_key uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, lease_id) REFERENCES leases (municipality_id, id),
  FOREIGN KEY (municipality_id, charge_run_id) REFERENCES rent_charge_runs (municipality_id, id),
  FOREIGN KEY (municipality_id, corrects_id) REFERENCES rent_entries (municipality_id, id),
  FOREIGN KEY (municipality_id, settles_first) REFERENCES rent_entries (municipality_id, id),
  CONSTRAINT rent_entries_sign CHECK (
    CASE kind WHEN 'charge' THEN amount > 0 WHEN 'fee' THEN amount > 0
              WHEN 'payment' THEN amount < 0 WHEN 'credit' THEN amount < 0
              ELSE true END),
  CONSTRAINT rent_entries_charge CHECK (
    (kind = 'charge') = (charge_kind IS NOT NULL)
    AND (charge_kind IS DISTINCT FROM 'rent'
         OR (charge_month IS NOT NULL AND period_from IS NOT NULL AND period_to IS NOT NULL
             AND period_from <= period_to
             AND period_from >= charge_month
             AND period_to < (charge_month + interval '1 month')::date))),
  CONSTRAINT rent_entries_payer CHECK ((kind = 'payment') = (payer IS NOT NULL)),
  CONSTRAINT rent_entries_correction CHECK ((kind = 'correction') = (corrects_id IS NOT NULL)),
  -- Corrections and credits say why.
  CONSTRAINT rent_entries_reason CHECK (kind NOT IN ('correction', 'credit') OR length(btrim(note)) > 0),
  CONSTRAINT rent_entries_attributed CHECK (
    created_by IS NOT NULL OR charge_run_id IS NOT NULL OR import_line_id IS NOT NULL)
);
CREATE INDEX rent_entries_lease_idx ON rent_entries (municipality_id, lease_id, applies_on, id);
CREATE INDEX rent_entries_run_idx ON rent_entries (municipality_id, charge_run_id) WHERE charge_run_id IS NOT NULL;
CREATE INDEX rent_entries_month_idx ON rent_entries (municipality_id, charge_month, lease_id) WHERE charge_month IS NOT NULL;
-- A month's rent is charged once per lease, whatever runs.
CREATE UNIQUE INDEX rent_entries_rent_month_key ON rent_entries (municipality_id, lease_id, charge_month)
  WHERE charge_kind = 'rent';
CREATE UNIQUE INDEX rent_entries_idempotency_key ON rent_entries (municipality_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX rent_entries_import_line_key ON rent_entries (municipality_id, import_line_id)
  WHERE import_line_id IS NOT NULL;
CREATE TRIGGER rent_entries_append_only BEFORE UPDATE OR DELETE ON rent_entries
  FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change();
CREATE TRIGGER rent_entries_no_truncate BEFORE TRUNCATE ON rent_entries
  FOR EACH STATEMENT EXECUTE FUNCTION bosak_refuse_change();

-- Settlement, append-only: `amount` øre of the debit (a charge, fee or upward
-- correction) paid by the credit (a payment, credit or downward correction). Written in
-- the same transaction as the entry that makes it (`rent::repo::settle`), matching open
-- debits and unspent credits oldest first (a debit a credit names comes first).
--
-- Why rows and not a computed allocation: the open amount of a charge is then exact and
-- cheap — the charge's amount minus the sum of its settlement rows, one index range each
-- (`rent_settlements_debit_idx` covers the amount) — and arrears age per unpaid charge is
-- read from the open charges alone, without replaying a lease's history. The rows never
-- change, so a settlement once made stays as it was made; a correction is settled as a
-- new debit or credit. An overpayment is a credit with amount left unsettled: the
-- balance shows it, and the next charge is settled from it.
CREATE TABLE rent_settlements (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  debit_id uuid NOT NULL,
  credit_id uuid NOT NULL,
  lease_id uuid NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, debit_id, credit_id),
  FOREIGN KEY (municipality_id, debit_id) REFERENCES rent_entries (municipality_id, id),
  FOREIGN KEY (municipality_id, credit_id) REFERENCES rent_entries (municipality_id, id),
  FOREIGN KEY (municipality_id, lease_id) REFERENCES leases (municipality_id, id)
);
CREATE INDEX rent_settlements_debit_idx ON rent_settlements (municipality_id, debit_id) INCLUDE (amount);
CREATE INDEX rent_settlements_credit_idx ON rent_settlements (municipality_id, credit_id) INCLUDE (amount);
CREATE INDEX rent_settlements_lease_idx ON rent_settlements (municipality_id, lease_id);
CREATE TRIGGER rent_settlements_append_only BEFORE UPDATE OR DELETE ON rent_settlements
  FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change();
CREATE TRIGGER rent_settlements_no_truncate BEFORE TRUNCATE ON rent_settlements
  FOR EACH STATEMENT EXECUTE FUNCTION bosak_refuse_change();

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['rent_settings', 'rent_accounts', 'rent_charge_runs', 'rent_entries',
                           'rent_settlements'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
      WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))$p$, t);
  END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE ON rent_settings TO bosak_app;
GRANT SELECT, INSERT ON rent_accounts TO bosak_app;
GRANT SELECT, INSERT, UPDATE ON rent_charge_runs TO bosak_app;
GRANT SELECT, INSERT ON rent_entries TO bosak_app;
GRANT SELECT, INSERT ON rent_settlements TO bosak_app;
