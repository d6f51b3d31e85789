-- Reporting (issue 17): the KOSTRA form 13 group each application reason counts towards,
-- the annual mapping period per municipality, and indexes the yearly figures read.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

-- KOSTRA form 13 counts new tenant households by group (refugees, mental illness,
-- substance use, both, need for an adapted dwelling, other). Applications carry reasons,
-- so each reason names the group it points to; NULL counts as "other".
ALTER TABLE application_reasons ADD COLUMN kostra_group text
  CHECK (kostra_group IN ('refugee', 'mental_health', 'substance', 'adapted'));

UPDATE application_reasons SET kostra_group = CASE lower(name)
    WHEN lower('Flyktning / bosetting') THEN 'refugee'
    WHEN lower('Psykiske helseproblemer') THEN 'mental_health'
    WHEN lower('Rusproblemer') THEN 'substance'
    WHEN lower('Fysisk funksjonsnedsettelse') THEN 'adapted'
    WHEN lower('Behov for tilrettelagt bolig (alder)') THEN 'adapted'
  END
 WHERE kostra_group IS NULL;

-- The annual mapping of applications by reason counts the same weeks every year
-- (Levanger's plan: 20 August – 20 October). Month and day, 'MM-DD'.
ALTER TABLE municipality_settings
  ADD COLUMN mapping_from text NOT NULL DEFAULT '08-20'
    CHECK (mapping_from ~ '^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'),
  ADD COLUMN mapping_to text NOT NULL DEFAULT '10-20'
    CHECK (mapping_to ~ '^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$');

-- New tenant households and short-term contracts of a year: leases by start date.
CREATE INDEX leases_starts_idx ON leases (municipality_id, starts_on, id) WHERE status <> 'draft';
-- Time from application to decision over a period.
CREATE INDEX applications_decided_idx ON applications (municipality_id, decided_on, id)
  WHERE decided_on IS NOT NULL;
