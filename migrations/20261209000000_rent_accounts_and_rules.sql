-- The municipality's rent bank accounts, files imported once across every municipality,
-- and the arrears routine's settings (src/rent/settings).
--
-- Every municipality's KIDs start at 1, so a KID alone does not say whose payment it is:
-- a file's assignment accounts do. A file is imported only into the municipality that
-- registered every assignment account in it, and an account belongs to one municipality.
-- The same file (sender and transmission number, or content) is imported once in all of
-- Bosak, not once per municipality: an office user serving several municipalities could
-- otherwise book one file's payments twice.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

CREATE TABLE rent_bank_accounts (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  account_no text NOT NULL CHECK (account_no ~ '^[0-9]{11}$'),
  label text NOT NULL DEFAULT '' CHECK (length(label) <= 100),
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, account_no)
);

-- Which account numbers are taken, without saying by whom: the unique key that keeps an
-- account in one municipality (a tenant table's unique keys are per municipality).
CREATE TABLE rent_bank_account_claims (
  account_no text PRIMARY KEY CHECK (account_no ~ '^[0-9]{11}$')
);
COMMENT ON TABLE rent_bank_account_claims IS
  'global: an account number belongs to one municipality; holds no personal data and not which municipality';

CREATE FUNCTION rent_bank_accounts_claim() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO rent_bank_account_claims (account_no) VALUES (NEW.account_no);
    RETURN NEW;
  END IF;
  DELETE FROM rent_bank_account_claims WHERE account_no = OLD.account_no;
  RETURN OLD;
END
$$;
CREATE TRIGGER rent_bank_accounts_claim AFTER INSERT OR DELETE ON rent_bank_accounts
  FOR EACH ROW EXECUTE FUNCTION rent_bank_accounts_claim();

-- Every imported file's two fingerprints, across all municipalities: 'tx:<sender>:<number>'
-- and 'sha256:<hex>'. Written by the trigger below when an import becomes 'imported', so
-- a second import of the file anywhere fails on the primary key, also when two confirms
-- race (the second waits for the first).
CREATE TABLE rent_import_fingerprints (
  fingerprint text PRIMARY KEY
    CHECK (fingerprint ~ '^(tx:[0-9]{8}:[0-9]{7}|sha256:[0-9a-f]{64})$'),
  transmission_no text NOT NULL CHECK (transmission_no ~ '^[0-9]{7}$'),
  imported_at timestamptz NOT NULL
);
COMMENT ON TABLE rent_import_fingerprints IS
  'global: a bank file is imported once in all of Bosak; holds no personal data and not which municipality';

CREATE FUNCTION rent_imports_fingerprint() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO rent_import_fingerprints (fingerprint, transmission_no, imported_at)
  VALUES ('tx:' || NEW.data_sender || ':' || NEW.transmission_no, NEW.transmission_no, NEW.imported_at),
         ('sha256:' || encode(NEW.content_hash, 'hex'), NEW.transmission_no, NEW.imported_at);
  RETURN NEW;
END
$$;
CREATE TRIGGER rent_imports_fingerprint AFTER INSERT OR UPDATE OF status ON rent_imports
  FOR EACH ROW WHEN (NEW.status = 'imported') EXECUTE FUNCTION rent_imports_fingerprint();

-- Files imported before this migration (the same file in two municipalities keeps its
-- first fingerprint).
INSERT INTO rent_import_fingerprints (fingerprint, transmission_no, imported_at)
SELECT f, transmission_no, imported_at FROM (
  SELECT 'tx:' || data_sender || ':' || transmission_no AS f, transmission_no, imported_at FROM rent_imports WHERE status = 'imported'
  UNION ALL
  SELECT 'sha256:' || encode(content_hash, 'hex'), transmission_no, imported_at FROM rent_imports WHERE status = 'imported'
) x ORDER BY imported_at
ON CONFLICT (fingerprint) DO NOTHING;

-- The arrears routine's own periods (the law's are fixed in src/rent/ladder.rs): days
-- after the due date before a reminder, the reminder's payment deadline (inkassoloven § 9:
-- at least 14 days), whether eviction is requested only after a notice to NAV, and the
-- grace days before a missed instalment breaks a payment plan.
ALTER TABLE rent_arrears_settings
  ADD COLUMN reminder_after_due_days smallint NOT NULL DEFAULT 1 CHECK (reminder_after_due_days BETWEEN 1 AND 90),
  ADD COLUMN reminder_deadline_days smallint NOT NULL DEFAULT 14 CHECK (reminder_deadline_days BETWEEN 14 AND 90),
  ADD COLUMN require_nav_notice boolean NOT NULL DEFAULT true,
  ADD COLUMN instalment_grace_days smallint NOT NULL DEFAULT 0 CHECK (instalment_grace_days BETWEEN 0 AND 30);

ALTER TABLE rent_bank_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE rent_bank_accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rent_bank_accounts
  USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
  WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]));

GRANT SELECT, INSERT, DELETE ON rent_bank_accounts TO bosak_app;
GRANT SELECT ON rent_bank_account_claims TO bosak_app;
GRANT SELECT ON rent_import_fingerprints TO bosak_app;
