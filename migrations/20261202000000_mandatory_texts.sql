-- Mandatory letter texts (fvl. § 27 appeal information, §§ 18–19 access to documents,
-- § 36 costs, free legal aid), editable by the municipality's admin and versioned: an edit
-- is a new version, never a change of an old one, and every sent letter records which
-- versions it printed (sent_letter_texts), so what a party was told can always be shown.
-- Versions are written by Bosak (the default wording is version 1, seeded per
-- municipality by `letters::mandatory::ensure_defaults`). Append-only.
CREATE TABLE mandatory_texts (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  key text NOT NULL CHECK (key IN ('appeal_rights', 'access_to_documents', 'costs', 'legal_aid')),
  version integer NOT NULL CHECK (version >= 1),
  body text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 5000),
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid REFERENCES users (id),
  PRIMARY KEY (municipality_id, id),
  UNIQUE (municipality_id, key, version)
);

CREATE TABLE sent_letter_texts (
  municipality_id uuid NOT NULL,
  letter_id uuid NOT NULL,
  text_id uuid NOT NULL,
  PRIMARY KEY (municipality_id, letter_id, text_id),
  FOREIGN KEY (municipality_id, letter_id) REFERENCES sent_letters (municipality_id, id),
  FOREIGN KEY (municipality_id, text_id) REFERENCES mandatory_texts (municipality_id, id)
);
CREATE INDEX sent_letter_texts_text_idx ON sent_letter_texts (municipality_id, text_id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['mandatory_texts', 'sent_letter_texts'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I
      FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change()', t || '_append_only', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I
      FOR EACH STATEMENT EXECUTE FUNCTION bosak_refuse_change()', t || '_no_truncate', t);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
      WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))$p$, t);
    EXECUTE format('GRANT SELECT, INSERT ON %I TO bosak_app', t);
  END LOOP;
END
$$;
