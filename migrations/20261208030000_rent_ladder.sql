-- The arrears follow-up ladder (DOMAIN.md §6, issue 16): a case per lease in arrears, the
-- steps taken in it (append-only), the payment plan's instalments, and the municipality's
-- reminder fee setting. The pure rules are `rent::ladder`; the database holds what a
-- constraint can: one open case per lease, each step once per case (reminders and
-- contacts may repeat), a step only after the step it needs and not dated before it, a
-- notice to NAV always with a copy to the tenant, a letter for every step that sends one.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

-- The municipality's arrears settings: the reminder fee (NULL: none is charged; the command
-- caps it at `ladder::max_reminder_fee`) and the NAV office notices go to.
CREATE TABLE rent_arrears_settings (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  reminder_fee bigint CHECK (reminder_fee IS NULL OR reminder_fee > 0),
  nav_office text NOT NULL DEFAULT '' CHECK (length(nav_office) <= 200),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (municipality_id)
);

-- A lease's arrears case: the steps since the lease last had no arrears. Closed when the
-- arrears are paid in full, or when the eviction was carried out or avoided.
CREATE TABLE rent_arrears_cases (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  lease_id uuid NOT NULL,
  opened_on date NOT NULL,
  closed_on date,
  closed_reason text CHECK (closed_reason IN ('paid', 'carried_out', 'avoided')),
  -- Husleieloven § 9-11: the day the tenant refused in writing that NAV be notified.
  nav_refused_on date,
  -- The caseworker following the case (who took its latest step).
  responsible_user uuid NOT NULL REFERENCES users (id),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, lease_id) REFERENCES leases (municipality_id, id),
  CONSTRAINT rent_arrears_cases_closed CHECK ((closed_on IS NULL) = (closed_reason IS NULL)),
  CONSTRAINT rent_arrears_cases_closed_after_open CHECK (closed_on IS NULL OR closed_on >= opened_on)
);
-- One open case per lease.
CREATE UNIQUE INDEX rent_arrears_cases_open_key ON rent_arrears_cases (municipality_id, lease_id)
  WHERE closed_on IS NULL;
CREATE INDEX rent_arrears_cases_lease_idx ON rent_arrears_cases (municipality_id, lease_id, opened_on);

-- The steps taken, append-only: a correction is a note on a later step, never an edit.
CREATE TABLE rent_arrears_steps (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  id uuid NOT NULL,
  case_id uuid NOT NULL,
  lease_id uuid NOT NULL,
  step text NOT NULL CHECK (step IN ('reminder', 'contact', 'nav_notice', 'payment_plan', 'warning',
                                     'enforcement_request', 'eviction_date', 'carried_out', 'avoided')),
  taken_on date NOT NULL,
  responsible_user uuid NOT NULL REFERENCES users (id),
  -- The letter the step sent, archived as sent.
  letter_id uuid,
  -- Husleieloven § 9-11: the notice to NAV goes with a copy to the tenant.
  copy_to_tenant boolean NOT NULL DEFAULT false,
  -- The eviction date set by the enforcement officer (step eviction_date).
  eviction_on date,
  -- The reminder fee charged with a reminder (a ledger entry of kind fee).
  fee_entry_id uuid,
  note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, id),
  FOREIGN KEY (municipality_id, case_id) REFERENCES rent_arrears_cases (municipality_id, id),
  FOREIGN KEY (municipality_id, lease_id) REFERENCES leases (municipality_id, id),
  FOREIGN KEY (municipality_id, letter_id) REFERENCES sent_letters (municipality_id, id),
  FOREIGN KEY (municipality_id, fee_entry_id) REFERENCES rent_entries (municipality_id, id),
  CONSTRAINT rent_arrears_steps_nav_copy CHECK (step <> 'nav_notice' OR copy_to_tenant),
  CONSTRAINT rent_arrears_steps_eviction_on CHECK ((step = 'eviction_date') = (eviction_on IS NOT NULL)
                                                   AND (eviction_on IS NULL OR eviction_on >= taken_on)),
  CONSTRAINT rent_arrears_steps_letter CHECK (
    (step IN ('reminder', 'nav_notice', 'payment_plan', 'warning', 'enforcement_request')) = (letter_id IS NOT NULL)),
  CONSTRAINT rent_arrears_steps_fee CHECK (fee_entry_id IS NULL OR step = 'reminder')
);
-- Each step once per case, except reminders and contacts.
CREATE UNIQUE INDEX rent_arrears_steps_once_key ON rent_arrears_steps (municipality_id, case_id, step)
  WHERE step NOT IN ('reminder', 'contact');
CREATE INDEX rent_arrears_steps_case_idx ON rent_arrears_steps (municipality_id, case_id, taken_on);
CREATE INDEX rent_arrears_steps_lease_idx ON rent_arrears_steps (municipality_id, lease_id, taken_on);

-- The order of the ladder: a step needs the step before it in the same open case, taken on
-- or before its own date. (The periods between them are `ladder::Rules`, configurable, so
-- the server checks those.)
CREATE FUNCTION rent_arrears_step_order() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  needs text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM rent_arrears_cases c
                  WHERE c.municipality_id = NEW.municipality_id AND c.id = NEW.case_id
                    AND c.lease_id = NEW.lease_id AND c.closed_on IS NULL AND c.opened_on <= NEW.taken_on) THEN
    RAISE EXCEPTION 'arrears step % on a closed case, another lease''s case or before the case opened', NEW.step
      USING ERRCODE = 'check_violation', CONSTRAINT = 'rent_arrears_steps_case_open';
  END IF;
  needs := CASE NEW.step
    WHEN 'contact' THEN 'reminder'
    WHEN 'nav_notice' THEN 'reminder'
    WHEN 'warning' THEN 'reminder'
    WHEN 'enforcement_request' THEN 'warning'
    WHEN 'eviction_date' THEN 'enforcement_request'
    WHEN 'carried_out' THEN 'eviction_date'
    WHEN 'avoided' THEN 'enforcement_request'
    ELSE NULL END;
  IF needs IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM rent_arrears_steps s
        WHERE s.municipality_id = NEW.municipality_id AND s.case_id = NEW.case_id
          AND s.step = needs AND s.taken_on <= NEW.taken_on) THEN
    RAISE EXCEPTION 'arrears step % needs % first', NEW.step, needs
      USING ERRCODE = 'check_violation', CONSTRAINT = 'rent_arrears_steps_order';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER rent_arrears_steps_order BEFORE INSERT ON rent_arrears_steps
  FOR EACH ROW EXECUTE FUNCTION rent_arrears_step_order();
CREATE TRIGGER rent_arrears_steps_append_only BEFORE UPDATE OR DELETE ON rent_arrears_steps
  FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change();
CREATE TRIGGER rent_arrears_steps_no_truncate BEFORE TRUNCATE ON rent_arrears_steps
  FOR EACH STATEMENT EXECUTE FUNCTION bosak_refuse_change();

-- A payment plan's instalments (the plan is the case's payment_plan step: agreed on its
-- date). Append-only; kept / broken is computed from the payments (`ladder::plan_state`).
CREATE TABLE rent_plan_instalments (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  step_id uuid NOT NULL,
  no smallint NOT NULL CHECK (no BETWEEN 1 AND 120),
  due_on date NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0 AND amount <= 100000000000),
  PRIMARY KEY (municipality_id, step_id, no),
  FOREIGN KEY (municipality_id, step_id) REFERENCES rent_arrears_steps (municipality_id, id)
);
CREATE UNIQUE INDEX rent_plan_instalments_due_key ON rent_plan_instalments (municipality_id, step_id, due_on);
CREATE TRIGGER rent_plan_instalments_append_only BEFORE UPDATE OR DELETE ON rent_plan_instalments
  FOR EACH ROW EXECUTE FUNCTION bosak_refuse_change();
CREATE TRIGGER rent_plan_instalments_no_truncate BEFORE TRUNCATE ON rent_plan_instalments
  FOR EACH STATEMENT EXECUTE FUNCTION bosak_refuse_change();

-- The ladder's letters.
ALTER TABLE sent_letters DROP CONSTRAINT sent_letters_kind_check;
ALTER TABLE sent_letters ADD CONSTRAINT sent_letters_kind_check CHECK (kind IN (
  'decision', 'interim_reply', 'offer', 'advance_notice', 'forwarding', 'appeal_decision',
  'dismissal', 'short_term_notice', 'lease_contract', 'lease_notice', 'demand_to_move',
  'rent_adjustment', 'lease_advance_notice',
  'arrears_reminder', 'arrears_nav_notice', 'arrears_payment_plan', 'arrears_warning',
  'arrears_enforcement_request'));

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['rent_arrears_settings', 'rent_arrears_cases', 'rent_arrears_steps',
                           'rent_plan_instalments'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))
      WITH CHECK (municipality_id = ANY ((SELECT bosak_visible_municipalities())::uuid[]))$p$, t);
  END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE ON rent_arrears_settings TO bosak_app;
GRANT SELECT, INSERT, UPDATE ON rent_arrears_cases TO bosak_app;
GRANT SELECT, INSERT ON rent_arrears_steps TO bosak_app;
GRANT SELECT, INSERT ON rent_plan_instalments TO bosak_app;
