-- fvl. § 11a: when the date an interim reply promised passes without a decision, a new
-- interim reply is due from that date. `interim_due_on` was generated from `received_on`;
-- it becomes a plain column that starts there (received + 1 month, kept by the trigger
-- while no reply has been sent) and moves to the promised date when a new one is due.
ALTER TABLE applications ALTER COLUMN interim_due_on DROP EXPRESSION;

CREATE FUNCTION bosak_interim_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.interim_due_on := coalesce(NEW.interim_due_on, (NEW.received_on + interval '1 month')::date);
  ELSIF NEW.received_on IS DISTINCT FROM OLD.received_on
        AND OLD.interim_due_on = (OLD.received_on + interval '1 month')::date THEN
    NEW.interim_due_on := (NEW.received_on + interval '1 month')::date;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER applications_interim_due BEFORE INSERT OR UPDATE OF received_on ON applications
  FOR EACH ROW EXECUTE FUNCTION bosak_interim_due();
ALTER TABLE applications ALTER COLUMN interim_due_on SET NOT NULL;
