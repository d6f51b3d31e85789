-- The CPI run inserts one proposal per lease due (100 000 in one statement at scale), and
-- every foreign key is one trigger call per inserted row. The single-column key to
-- municipalities adds nothing: (municipality_id, run_id) references cpi_runs, whose
-- municipality_id references municipalities, so a proposal can only name a municipality
-- that exists. The same holds for the leases a run could not propose. Dropping the two
-- keys takes a third of the foreign-key work out of a run (docs/BENCHMARKS.md § CPI run).
ALTER TABLE cpi_proposals DROP CONSTRAINT IF EXISTS cpi_proposals_municipality_id_fkey;
ALTER TABLE cpi_missing_index DROP CONSTRAINT IF EXISTS cpi_missing_index_municipality_id_fkey;
