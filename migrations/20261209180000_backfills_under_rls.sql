-- Two backfills of this week's migrations ran without a visible municipality, and the
-- tables they read force row level security on their owner too, so they changed nothing
-- on a database with data: the KOSTRA group of the default application reasons
-- (20261209170000_reporting.sql) and the fingerprints of bank files imported before
-- 20261209000000_rent_accounts_and_rules.sql. Run again here with every municipality
-- visible for the transaction, as 20261124310000_perf_indexes.sql does.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

DO $$
BEGIN
  PERFORM set_config('bosak.municipalities',
                     coalesce((SELECT array_agg(id)::text FROM municipalities), '{}'), true);

  UPDATE application_reasons SET kostra_group = CASE lower(name)
      WHEN lower('Flyktning / bosetting') THEN 'refugee'
      WHEN lower('Psykiske helseproblemer') THEN 'mental_health'
      WHEN lower('Rusproblemer') THEN 'substance'
      WHEN lower('Fysisk funksjonsnedsettelse') THEN 'adapted'
      WHEN lower('Behov for tilrettelagt bolig (alder)') THEN 'adapted'
    END
   WHERE kostra_group IS NULL;

  INSERT INTO rent_import_fingerprints (fingerprint, transmission_no, imported_at)
  SELECT f, transmission_no, imported_at FROM (
    SELECT 'tx:' || data_sender || ':' || transmission_no AS f, transmission_no, imported_at
      FROM rent_imports WHERE status = 'imported'
    UNION ALL
    SELECT 'sha256:' || encode(content_hash, 'hex'), transmission_no, imported_at
      FROM rent_imports WHERE status = 'imported'
  ) x ORDER BY imported_at
  ON CONFLICT (fingerprint) DO NOTHING;

  PERFORM set_config('bosak.municipalities', '', true);
END
$$;
