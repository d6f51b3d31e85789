-- The tables Bosak keeps on the coordinator when it runs on Citus (issue 19,
-- docs/SCALING.md "Citus: the decisions"). `bosak citus distribute` reads the marker
-- `(citus: coordinator)` in a table's comment.
--
-- Never edit an applied migration: add a new one (see migrations/README.md).

-- On Citus, audit_events stays on the coordinator (docs/SCALING.md, "Citus: verified", 4):
-- its municipality_id is NULL for events of no tenant (logins), so it cannot be distributed
-- by it, and as a reference table every audit write would go to every node. The marker
-- `(citus: coordinator)` in the comment is what `bosak citus distribute` reads.
COMMENT ON TABLE audit_events IS 'global: append-only log of who did and read what, including events with no tenant (logins); filtered by municipality_id when read (citus: coordinator)';
-- The same for login_throttle (a write per failed login): a reference table would copy each
-- write to every node, and Citus refuses its upsert's `now()` in DO UPDATE SET on a
-- reference table. (sessions stays a reference table: Citus will not keep a table with a
-- foreign key, to users, on the coordinator.)
COMMENT ON TABLE login_throttle IS 'global: throttling is per account name and address, before any tenant is known (citus: coordinator)';
