-- The lease settings every municipality starts with: the § 11-1 grounds for a shorter
-- term (husleieloven § 11-1) and version 1 of the house rules. One function holds the
-- wording, so existing municipalities (below) and new ones (leases::settings::repo::
-- ensure_defaults, where municipalities are provisioned) get the same. A municipality that
-- already has grounds or house rules gets nothing: an admin's edits and deactivations stay.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

CREATE FUNCTION bosak_lease_settings_defaults(m uuid) RETURNS void
LANGUAGE sql AS $$
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
$$;

GRANT EXECUTE ON FUNCTION bosak_lease_settings_defaults(uuid) TO bosak_app;

-- Existing municipalities (row level security is forced, also for the owner: see them all).
DO $$
DECLARE m uuid;
BEGIN
  PERFORM set_config('bosak.municipalities',
                     coalesce((SELECT array_agg(id)::text FROM municipalities), '{}'), true);
  FOR m IN SELECT id FROM municipalities LOOP
    PERFORM bosak_lease_settings_defaults(m);
  END LOOP;
END
$$;

-- The CPI notices still to be written after an approval (written in batches: see
-- leases::cpi::letters).
CREATE INDEX cpi_proposals_letter_due_idx ON cpi_proposals (municipality_id, run_id)
  WHERE rent_change_id IS NOT NULL AND letter_id IS NULL;

-- The leases a run found due but could not propose: no KPI value for the month their rent
-- was last set ("mangler indeks"). Recorded in the same pass as the proposals, so the
-- review lists what the run saw without computing it again.
CREATE TABLE cpi_missing_index (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  run_id uuid NOT NULL,
  lease_id uuid NOT NULL,
  base_month date NOT NULL,
  PRIMARY KEY (municipality_id, run_id, lease_id),
  FOREIGN KEY (municipality_id, run_id) REFERENCES cpi_runs (municipality_id, id) ON DELETE CASCADE,
  FOREIGN KEY (municipality_id, lease_id) REFERENCES leases (municipality_id, id)
);
ALTER TABLE cpi_missing_index ENABLE ROW LEVEL SECURITY;
ALTER TABLE cpi_missing_index FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON cpi_missing_index
  USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
  WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]));
GRANT SELECT, INSERT ON cpi_missing_index TO bosak_app;
