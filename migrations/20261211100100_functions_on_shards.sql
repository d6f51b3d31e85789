-- Triggers that write another tenant table, made to work on Citus shards (issue 19,
-- docs/SCALING.md "Citus: triggers").
--
-- On Citus a trigger on a distributed table fires on the shard that holds the row, on a
-- worker. A statement in it that names another distributed table (allocation_epochs) is
-- planned by Citus as a distributed query from inside a shard's query, which fails
-- ("executor could not find named tuplestore" for the epoch triggers' transition table).
-- The rows it writes belong to the same municipality, so they live in the co-located shard
-- of the other table on the same worker: the trigger writes that shard by its name.
-- On one PostgreSQL nothing changes: bosak_shard_of returns the table itself and the
-- triggers run the statements they ran before.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

-- Whether a trigger fired on a Citus shard (`TG_RELID`). The Citus functions are called
-- through EXECUTE, so one PostgreSQL without the extension never resolves them.
CREATE FUNCTION bosak_on_shard(fired_on oid) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
  on_shard boolean := false;
BEGIN
  IF to_regproc('pg_catalog.relation_is_a_known_shard') IS NOT NULL THEN
    EXECUTE 'SELECT pg_catalog.relation_is_a_known_shard($1)' INTO on_shard USING fired_on;
  END IF;
  RETURN coalesce(on_shard, false);
END
$$;

-- The shard of the distributed table `target` that holds `municipality`'s rows, quoted
-- for format('%s'); on a worker it is co-located with the shard the trigger fired on.
CREATE FUNCTION bosak_shard_of(target text, municipality uuid) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  shard bigint;
BEGIN
  EXECUTE 'SELECT pg_catalog.get_shard_id_for_distribution_column($1::regclass, $2)'
    INTO shard USING 'public.' || quote_ident(target), municipality;
  RETURN 'public.' || quote_ident(target || '_' || shard);
END
$$;
GRANT EXECUTE ON FUNCTION bosak_on_shard(oid), bosak_shard_of(text, uuid) TO bosak_app;

-- The allocation epochs (20261124520000_allocation_epochs.sql): set-based on one node as
-- before; on a shard, one upsert per municipality the statement touched (a shard's
-- statement touches one municipality in practice: requests are routed by municipality_id).
CREATE OR REPLACE FUNCTION bosak_bump_allocation_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  m uuid;
BEGIN
  IF NOT bosak_on_shard(TG_RELID) THEN
    INSERT INTO allocation_epochs AS e (municipality_id)
    SELECT DISTINCT municipality_id FROM changed
    ON CONFLICT (municipality_id) DO UPDATE SET epoch = e.epoch + 1;
    RETURN NULL;
  END IF;
  FOR m IN SELECT DISTINCT municipality_id FROM changed ORDER BY 1 LOOP
    EXECUTE format('INSERT INTO %s AS e (municipality_id) VALUES ($1)
                    ON CONFLICT (municipality_id) DO UPDATE SET epoch = e.epoch + 1',
                   bosak_shard_of('allocation_epochs', m))
      USING m;
  END LOOP;
  RETURN NULL;
END
$$;

-- The lease settings' defaults (20261204000200_lease_settings_defaults.sql) as PL/pgSQL,
-- the same statements: Citus cannot plan a LANGUAGE sql function's statements with its
-- parameters in them on distributed tables ("could not create distributed plan … use of
-- parameters in SQL functions").
CREATE OR REPLACE FUNCTION bosak_lease_settings_defaults(m uuid) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO short_term_grounds (municipality_id, id, label, notice_text, sort_order)
  SELECT m, gen_random_uuid(), g.label, g.notice_text, g.sort_order
    FROM (VALUES
      ('Midlertidig botilbud i påvente av varig bolig',
       'Boligen leies ut som et midlertidig botilbud mens kommunen og du arbeider for at du skal få en varig bolig. Derfor er leieavtalen tidsbestemt med kortere leietid enn tre år (husleieloven § 11-1).',
       10),
      ('Gjennomgangsbolig for vanskeligstilte (husleieloven § 11-1)',
       'Boligen er en kommunal gjennomgangsbolig for vanskeligstilte på boligmarkedet. Kommunen leier ut slike boliger for en kortere tid slik at de kan brukes av flere som trenger dem. Derfor er leieavtalen tidsbestemt med kortere leietid enn tre år (husleieloven § 11-1).',
       20),
      ('Bolig knyttet til oppfølging/tjenester',
       'Boligen er knyttet til oppfølging og tjenester fra kommunen, og leieforholdet varer så lenge du har behov for dette tilbudet. Derfor er leieavtalen tidsbestemt med kortere leietid enn tre år (husleieloven § 11-1).',
       30)
    ) AS g (label, notice_text, sort_order)
   WHERE NOT EXISTS (SELECT 1 FROM short_term_grounds s WHERE s.municipality_id = m)
  ON CONFLICT DO NOTHING;

  INSERT INTO house_rules_versions (municipality_id, id, version_no, title, body)
  SELECT m, gen_random_uuid(), 1, 'Husordensregler for kommunale boliger',
         'Leietaker skal behandle boligen med tilbørlig aktsomhet og holde den i god stand.

Det skal være ro i boligen og i fellesarealene mellom kl. 23.00 og kl. 07.00.

Fellesarealer, trapper, ganger og uteområder skal holdes ryddige. Sykler, barnevogner og andre gjenstander settes bare der det er anvist plass.

Røyking er ikke tillatt i fellesarealene.

Husdyr kan bare holdes etter skriftlig samtykke fra utleier, og dyret må ikke være til sjenanse for andre.

Avfall skal kildesorteres og legges i anviste beholdere.

Skader og feil i boligen skal meldes til utleier så snart som mulig.

Utleier kan etter varsel få adgang til boligen for tilsyn og nødvendige arbeider (husleieloven § 5-4).

Brudd på husordensreglene kan etter skriftlig advarsel gi grunnlag for oppsigelse eller heving av leieavtalen (husleieloven §§ 9-5 og 9-9).'
   WHERE NOT EXISTS (SELECT 1 FROM house_rules_versions h WHERE h.municipality_id = m)
  ON CONFLICT DO NOTHING;
END
$fn$;

-- The rent ledger's open items (20261208010000_rent_open_items.sql), kept by statement-level
-- triggers on rent_entries and rent_settlements: the same statements, run with EXECUTE on
-- the table itself (one node) or on its shard co-located with the rows that fired them
-- (Citus; every row of one statement on a shard maps to the same co-located shard).
CREATE FUNCTION bosak_open_items_target(fired_on oid, municipality uuid) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN municipality IS NOT NULL AND bosak_on_shard(fired_on)
              THEN bosak_shard_of('rent_open_items', municipality)
              ELSE 'public.rent_open_items' END
$$;

CREATE OR REPLACE FUNCTION rent_open_items_add() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  EXECUTE format(
    'INSERT INTO %s (municipality_id, entry_id, lease_id, applies_on, amount, open, settles_first)
     SELECT n.municipality_id, n.id, n.lease_id, n.applies_on, n.amount, n.amount, n.settles_first
       FROM new_entries n',
    bosak_open_items_target(TG_RELID, (SELECT municipality_id FROM new_entries LIMIT 1)));
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION rent_open_items_settle() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  wanted bigint;
  changed bigint;
BEGIN
  EXECUTE format($q$
  WITH s AS (
    SELECT municipality_id, lease_id, debit_id AS entry_id, amount FROM new_settlements
    UNION ALL
    SELECT municipality_id, lease_id, credit_id, -amount FROM new_settlements),
  t AS (SELECT municipality_id, lease_id, entry_id, sum(amount) AS amount FROM s GROUP BY 1, 2, 3),
  gone AS (
    DELETE FROM %1$s o USING t
     WHERE o.municipality_id = t.municipality_id AND o.lease_id = t.lease_id AND o.entry_id = t.entry_id
       AND o.open = t.amount
    RETURNING 1),
  upd AS (
    UPDATE %1$s o SET open = o.open - t.amount FROM t
     WHERE o.municipality_id = t.municipality_id AND o.lease_id = t.lease_id AND o.entry_id = t.entry_id
       AND o.open <> t.amount
    RETURNING 1)
  SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM gone) + (SELECT count(*) FROM upd)$q$,
    bosak_open_items_target(TG_RELID, (SELECT municipality_id FROM new_settlements LIMIT 1)))
    INTO wanted, changed;
  IF changed <> wanted THEN
    RAISE EXCEPTION 'rent settlement names an entry with nothing open (% of % found)', changed, wanted
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;
