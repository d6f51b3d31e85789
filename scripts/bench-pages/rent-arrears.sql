-- The arrears overview (/husleie/restanser): the page's statements (rent::arrears::repo::overview
-- and repo::totals), no filters, first page; today as current_date.
SET LOCAL jit = off;
WITH open_debits AS (
    SELECT o.municipality_id, o.lease_id, o.applies_on, o.open
      FROM rent_open_items o
     WHERE o.municipality_id = ANY(:municipalities) AND o.open > 0 AND o.applies_on <= current_date), per_lease AS (
    SELECT d.municipality_id, d.lease_id,
           sum(d.open)::int8 AS total,
           coalesce(sum(d.open) FILTER (WHERE current_date - d.applies_on <= 30), 0)::int8 AS b0,
           coalesce(sum(d.open) FILTER (WHERE current_date - d.applies_on BETWEEN 31 AND 60), 0)::int8 AS b1,
           coalesce(sum(d.open) FILTER (WHERE current_date - d.applies_on BETWEEN 61 AND 90), 0)::int8 AS b2,
           coalesce(sum(d.open) FILTER (WHERE current_date - d.applies_on > 90), 0)::int8 AS b3,
           min(d.applies_on) AS oldest_due,
           sum(d.open * (current_date - d.applies_on + 1))::int8 AS risk
      FROM open_debits d WHERE d.open > 0
     GROUP BY d.municipality_id, d.lease_id),
  cases AS (
    SELECT pl.municipality_id, pl.lease_id, c.id AS case_id, c.nav_refused_on, u.id AS caseworker_id,
           u.display_name AS caseworker, st.steps, st.step_dates, st.current_step, st.plan_step, st.plan_on
      FROM per_lease pl
      JOIN rent_arrears_cases c ON c.municipality_id = pl.municipality_id AND c.lease_id = pl.lease_id
                                AND c.closed_on IS NULL
      JOIN users u ON u.id = c.responsible_user
      CROSS JOIN LATERAL (
        SELECT max(r.applies_on) AS last_clear
          FROM (SELECT x.applies_on, sum(sum(x.amount)) OVER (ORDER BY x.applies_on) AS balance
                  FROM rent_entries x
                 WHERE x.municipality_id = c.municipality_id AND x.lease_id = c.lease_id AND x.applies_on <= current_date
                 GROUP BY x.applies_on) r
         WHERE r.balance <= 0) lc
      CROSS JOIN LATERAL (
        SELECT array_agg(s.step ORDER BY s.taken_on, s.created_at) AS steps,
               array_agg(s.taken_on ORDER BY s.taken_on, s.created_at) AS step_dates,
               (array_agg(s.step ORDER BY array_position(ARRAY['reminder', 'contact', 'nav_notice', 'payment_plan',
                  'warning', 'enforcement_request', 'eviction_date', 'carried_out', 'avoided'], s.step) DESC,
                  s.taken_on DESC))[1] AS current_step,
               (array_agg(s.id) FILTER (WHERE s.step = 'payment_plan'))[1] AS plan_step,
               min(s.taken_on) FILTER (WHERE s.step = 'payment_plan') AS plan_on
          FROM rent_arrears_steps s WHERE s.municipality_id = c.municipality_id AND s.case_id = c.id) st
     WHERE lc.last_clear IS NULL OR c.opened_on > lc.last_clear),
  filtered AS (
    SELECT pl.*, c.caseworker, c.nav_refused_on, coalesce(c.steps, '{}') AS steps,
           coalesce(c.step_dates, '{}') AS step_dates, c.current_step, c.plan_step, c.plan_on
      FROM per_lease pl
      LEFT JOIN cases c ON c.municipality_id = pl.municipality_id AND c.lease_id = pl.lease_id
     WHERE (NULL::uuid IS NULL OR pl.municipality_id = NULL::uuid)
       AND (NULL::uuid IS NULL OR c.caseworker_id = NULL::uuid)
       AND (NULL::text IS NULL OR coalesce(c.current_step, 'none') = NULL::text))
         SELECT a.*, l.lease_no, p.name AS tenant_name,
                coalesce((SELECT r.monthly_rent FROM lease_rent_changes r
                           WHERE r.municipality_id = l.municipality_id AND r.lease_id = l.id AND r.effective_on <= current_date
                           ORDER BY r.effective_on DESC LIMIT 1), l.monthly_rent) AS monthly_rent,
                coalesce(pl.dues, '{}') AS plan_dues, coalesce(pl.amounts, '{}') AS plan_amounts,
                coalesce(pay.dates, '{}') AS paid_dates, coalesce(pay.amounts, '{}') AS paid_amounts
           FROM filtered a
           JOIN leases l ON l.municipality_id = a.municipality_id AND l.id = a.lease_id
           JOIN people p ON p.municipality_id = l.municipality_id AND p.id = l.tenant_id
           LEFT JOIN LATERAL (
             SELECT array_agg(i.due_on ORDER BY i.no) AS dues, array_agg(i.amount ORDER BY i.no) AS amounts
               FROM rent_plan_instalments i WHERE i.municipality_id = a.municipality_id AND i.step_id = a.plan_step) pl
             ON a.plan_step IS NOT NULL
           LEFT JOIN LATERAL (
             SELECT array_agg(x.applies_on ORDER BY x.applies_on) AS dates, array_agg(-x.amount ORDER BY x.applies_on) AS amounts
               FROM rent_entries x
              WHERE x.municipality_id = a.municipality_id AND x.lease_id = a.lease_id AND x.kind = 'payment'
                AND x.applies_on BETWEEN a.plan_on AND current_date) pay
             ON a.plan_step IS NOT NULL
          WHERE (NULL::int8 IS NULL OR (a.risk, a.lease_id) < (NULL::int8, NULL::uuid))
          ORDER BY a.risk DESC, a.lease_id DESC
          LIMIT 51;
WITH open_debits AS (
    SELECT o.municipality_id, o.lease_id, o.applies_on, o.open
      FROM rent_open_items o
     WHERE o.municipality_id = ANY(:municipalities) AND o.open > 0 AND o.applies_on <= current_date), per_lease AS (
    SELECT d.municipality_id, d.lease_id,
           sum(d.open)::int8 AS total,
           coalesce(sum(d.open) FILTER (WHERE current_date - d.applies_on <= 30), 0)::int8 AS b0,
           coalesce(sum(d.open) FILTER (WHERE current_date - d.applies_on BETWEEN 31 AND 60), 0)::int8 AS b1,
           coalesce(sum(d.open) FILTER (WHERE current_date - d.applies_on BETWEEN 61 AND 90), 0)::int8 AS b2,
           coalesce(sum(d.open) FILTER (WHERE current_date - d.applies_on > 90), 0)::int8 AS b3,
           min(d.applies_on) AS oldest_due,
           sum(d.open * (current_date - d.applies_on + 1))::int8 AS risk
      FROM open_debits d WHERE d.open > 0
     GROUP BY d.municipality_id, d.lease_id),
  cases AS (
    SELECT pl.municipality_id, pl.lease_id, c.id AS case_id, c.nav_refused_on, u.id AS caseworker_id,
           u.display_name AS caseworker, st.steps, st.step_dates, st.current_step, st.plan_step, st.plan_on
      FROM per_lease pl
      JOIN rent_arrears_cases c ON c.municipality_id = pl.municipality_id AND c.lease_id = pl.lease_id
                                AND c.closed_on IS NULL
      JOIN users u ON u.id = c.responsible_user
      CROSS JOIN LATERAL (
        SELECT max(r.applies_on) AS last_clear
          FROM (SELECT x.applies_on, sum(sum(x.amount)) OVER (ORDER BY x.applies_on) AS balance
                  FROM rent_entries x
                 WHERE x.municipality_id = c.municipality_id AND x.lease_id = c.lease_id AND x.applies_on <= current_date
                 GROUP BY x.applies_on) r
         WHERE r.balance <= 0) lc
      CROSS JOIN LATERAL (
        SELECT array_agg(s.step ORDER BY s.taken_on, s.created_at) AS steps,
               array_agg(s.taken_on ORDER BY s.taken_on, s.created_at) AS step_dates,
               (array_agg(s.step ORDER BY array_position(ARRAY['reminder', 'contact', 'nav_notice', 'payment_plan',
                  'warning', 'enforcement_request', 'eviction_date', 'carried_out', 'avoided'], s.step) DESC,
                  s.taken_on DESC))[1] AS current_step,
               (array_agg(s.id) FILTER (WHERE s.step = 'payment_plan'))[1] AS plan_step,
               min(s.taken_on) FILTER (WHERE s.step = 'payment_plan') AS plan_on
          FROM rent_arrears_steps s WHERE s.municipality_id = c.municipality_id AND s.case_id = c.id) st
     WHERE lc.last_clear IS NULL OR c.opened_on > lc.last_clear),
  filtered AS (
    SELECT pl.*, c.caseworker, c.nav_refused_on, coalesce(c.steps, '{}') AS steps,
           coalesce(c.step_dates, '{}') AS step_dates, c.current_step, c.plan_step, c.plan_on
      FROM per_lease pl
      LEFT JOIN cases c ON c.municipality_id = pl.municipality_id AND c.lease_id = pl.lease_id
     WHERE (NULL::uuid IS NULL OR pl.municipality_id = NULL::uuid)
       AND (NULL::uuid IS NULL OR c.caseworker_id = NULL::uuid)
       AND (NULL::text IS NULL OR coalesce(c.current_step, 'none') = NULL::text))
         SELECT municipality_id, count(*)::int8 AS leases, sum(total)::int8 AS total,
                coalesce(sum(b0), 0)::int8 AS b0, coalesce(sum(b1), 0)::int8 AS b1,
                coalesce(sum(b2), 0)::int8 AS b2, coalesce(sum(b3), 0)::int8 AS b3
           FROM filtered GROUP BY municipality_id ORDER BY municipality_id;
