-- Scheduled jobs (src/jobs): one row per run, so an admin sees each job's last run,
-- result and next run, and several server processes agree on when a job is due.
CREATE TABLE job_runs (
  id uuid PRIMARY KEY,
  job text NOT NULL CHECK (length(job) BETWEEN 1 AND 100),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  ok boolean,
  result text NOT NULL DEFAULT '' CHECK (length(result) <= 4000),
  -- The legal date the job ran for (the program's clock).
  run_for date NOT NULL
);
CREATE INDEX job_runs_job_idx ON job_runs (job, started_at DESC);
COMMENT ON TABLE job_runs IS 'global: runs of the deployment''s scheduled jobs; counts only, no personal data';
GRANT SELECT, INSERT, UPDATE, DELETE ON job_runs TO bosak_app;

-- An open offer past its answer date is noted once on the case (expiring it stays a
-- person's act: the answer may have come by post).
ALTER TABLE offers ADD COLUMN overdue_noted_on date;
CREATE INDEX offers_open_due_idx ON offers (municipality_id, answer_due) WHERE status = 'open';
