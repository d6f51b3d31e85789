-- Bank OCR giro files imported into the rent ledger (src/rent/import), and the queue of
-- payments that named no lease.
--
-- An upload is parsed at once; a malformed file is refused whole and nothing is stored. A
-- file that parses is stored here with status 'previewed' (its bytes, so the preview and the
-- confirm read the same file without a second upload), and the confirm writes its lines and
-- its payments and sets 'imported', all in one transaction. The same file imported again
-- imports nothing: within a municipality one imported row per data sender and transmission
-- number, and one per content hash (the unique indexes also decide when two confirms race:
-- the second waits for the first and is refused).
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

CREATE TABLE rent_imports (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  status text NOT NULL DEFAULT 'previewed' CHECK (status IN ('previewed', 'imported')),
  transmission_no text NOT NULL CHECK (transmission_no ~ '^[0-9]{7}$'),
  data_sender text NOT NULL CHECK (data_sender ~ '^[0-9]{8}$'),
  data_recipient text NOT NULL CHECK (data_recipient ~ '^[0-9]{8}$'),
  settled_on date NOT NULL,
  content_hash bytea NOT NULL CHECK (length(content_hash) = 32),
  file_name text NOT NULL CHECK (length(file_name) <= 300),
  -- The file as uploaded; kept after the import as the record of what the bank sent.
  content bytea NOT NULL,
  uploaded_by uuid NOT NULL REFERENCES users (id),
  uploaded_at timestamptz NOT NULL DEFAULT now(),
  imported_by uuid REFERENCES users (id),
  imported_at timestamptz,
  -- Counts and totals of the file, written on import.
  lines integer NOT NULL DEFAULT 0 CHECK (lines >= 0),
  total bigint NOT NULL DEFAULT 0,
  matched integer NOT NULL DEFAULT 0 CHECK (matched >= 0),
  matched_total bigint NOT NULL DEFAULT 0,
  queued integer NOT NULL DEFAULT 0 CHECK (queued >= 0),
  PRIMARY KEY (municipality_id, id),
  CONSTRAINT rent_imports_imported CHECK (
    (status = 'imported') = (imported_at IS NOT NULL AND imported_by IS NOT NULL))
);
CREATE UNIQUE INDEX rent_imports_transmission_key ON rent_imports (municipality_id, data_sender, transmission_no)
  WHERE status = 'imported';
CREATE UNIQUE INDEX rent_imports_content_key ON rent_imports (municipality_id, content_hash)
  WHERE status = 'imported';

-- One transaction of an imported file. 'matched': its KID named a lease and the payment
-- is on the ledger; the queue: 'unmatched' (no lease has the KID, or no KID, or not a
-- payment — a reversal, nothing to record), 'malformed_kid' (the KID's check digit is
-- wrong), 'ambiguous'; resolved by a caseworker: 'assigned' (to a lease, the payment
-- recorded then) or 'returned' (to be paid back, with the reason).
CREATE TABLE rent_import_lines (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  import_id uuid NOT NULL,
  line_no integer NOT NULL CHECK (line_no >= 1),
  assignment_account text NOT NULL CHECK (assignment_account ~ '^[0-9]{11}$'),
  kid text CHECK (length(kid) <= 25),
  amount bigint NOT NULL,
  paid_on date NOT NULL,
  transaction_type smallint NOT NULL CHECK (transaction_type BETWEEN 10 AND 21),
  transaction_no integer NOT NULL,
  archive_reference text NOT NULL DEFAULT '',
  status text NOT NULL CHECK (status IN ('matched', 'unmatched', 'malformed_kid', 'ambiguous', 'assigned', 'returned')),
  lease_id uuid,
  resolved_by uuid REFERENCES users (id),
  resolved_at timestamptz,
  note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, import_id) REFERENCES rent_imports (municipality_id, id),
  FOREIGN KEY (municipality_id, lease_id) REFERENCES leases (municipality_id, id),
  CONSTRAINT rent_import_lines_lease CHECK ((status IN ('matched', 'assigned')) = (lease_id IS NOT NULL)),
  CONSTRAINT rent_import_lines_paid CHECK (status NOT IN ('matched', 'assigned') OR amount > 0),
  CONSTRAINT rent_import_lines_resolved CHECK (
    (status IN ('assigned', 'returned')) = (resolved_by IS NOT NULL AND resolved_at IS NOT NULL)),
  CONSTRAINT rent_import_lines_return_reason CHECK (status <> 'returned' OR length(btrim(note)) > 0)
);
CREATE UNIQUE INDEX rent_import_lines_line_key ON rent_import_lines (municipality_id, import_id, line_no);
-- The queue: unresolved lines, newest first.
CREATE INDEX rent_import_lines_queue_idx ON rent_import_lines (municipality_id, id DESC)
  WHERE status IN ('unmatched', 'malformed_kid', 'ambiguous');
CREATE INDEX rent_import_lines_lease_idx ON rent_import_lines (municipality_id, lease_id) WHERE lease_id IS NOT NULL;

-- A payment from a bank file names its line.
ALTER TABLE rent_entries ADD CONSTRAINT rent_entries_import_line_fk
  FOREIGN KEY (municipality_id, import_line_id) REFERENCES rent_import_lines (municipality_id, id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['rent_imports', 'rent_import_lines'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
      WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))$p$, t);
  END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON rent_imports TO bosak_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON rent_import_lines TO bosak_app;
