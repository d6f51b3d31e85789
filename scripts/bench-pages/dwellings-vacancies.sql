-- The vacancy overview (src/dwellings/lists.rs vacancy) with the empty filter form and the
-- default horizon of 90 days: "Antall per type" (repo::counts_by_type, the variant
-- without property filters), the first page of
-- vacant and soon vacant units (repo::vacancies), then the filter form's options.
SELECT min(t.name) AS type_name, sum(c.total)::int8 AS total,
       sum(c.vacant_now)::int8 AS vacant_now, sum(c.upcoming)::int8 AS upcoming
  FROM (SELECT d.municipality_id, d.dwelling_type_id, count(*) AS total,
               count(*) FILTER (WHERE d.status = 'vacant') AS vacant_now,
               count(*) FILTER (WHERE d.status <> 'vacant' AND (d.status = 'vacant' OR (d.status IN ('let', 'notice_given', 'maintenance', 'reserved')
          AND d.expected_vacant_from IS NOT NULL AND d.expected_vacant_from <= current_date + 90))) AS upcoming
          FROM dwellings d
         WHERE d.municipality_id = ANY(:municipalities)
           AND (NULL::dwelling_status IS NULL OR d.status = NULL::dwelling_status)
           AND (NULL::int2 IS NULL OR d.rooms >= NULL::int2)
           AND (NULL::int2 IS NULL OR d.rooms <= NULL::int2)
           AND (NULL::int4 IS NULL OR d.area_m2 * 10 >= NULL::int4)
           AND (NULL::int4 IS NULL OR d.area_m2 * 10 <= NULL::int4)
           AND (NOT false OR d.wheelchair_accessible)
           AND (false OR d.status <> 'sold' OR NULL::dwelling_status = 'sold')
         GROUP BY d.municipality_id, d.dwelling_type_id) c
  JOIN dwelling_types t ON t.municipality_id = c.municipality_id AND t.id = c.dwelling_type_id
 WHERE (NULL::text IS NULL OR lower(t.name) = lower(NULL::text))
 GROUP BY lower(t.name)
 ORDER BY min(t.sort_order), lower(t.name);
SELECT x.* FROM unnest(:municipalities::uuid[]) AS mm(id)
  CROSS JOIN LATERAL (
   SELECT d.municipality_id, d.id, d.property_id, p.name AS property_name, p.street_address, p.postcode,
          p.postal_place, a.name AS area_name, p.has_lift, p.owner_type, d.unit_number, d.dwelling_type_id,
          t.name AS type_name, d.rooms, (d.area_m2 * 10)::int4 AS area, d.floor, d.wheelchair_accessible,
          d.staff_base, d.monthly_rent, d.condition, d.condition_assessed_on, d.status, d.status_since,
          d.expected_vacant_from, d.notes, d.version, (CASE WHEN d.status = 'vacant' THEN d.status_since ELSE d.expected_vacant_from END)::text AS sort_key,
          CASE WHEN d.status = 'vacant' THEN d.status_since ELSE d.expected_vacant_from END AS sort_value
     FROM dwellings d
     JOIN properties p ON p.municipality_id = d.municipality_id AND p.id = d.property_id
     JOIN dwelling_types t ON t.municipality_id = d.municipality_id AND t.id = d.dwelling_type_id
     LEFT JOIN areas a ON a.municipality_id = p.municipality_id AND a.id = p.area_id
    WHERE d.municipality_id = mm.id
      AND ('' = '' OR p.name ILIKE '%' || '' || '%' OR p.street_address ILIKE '%' || '' || '%'
           OR d.unit_number ILIKE '' || '%')
      AND (NULL::text IS NULL OR lower(t.name) = lower(NULL::text))
      AND (NULL::dwelling_status IS NULL OR d.status = NULL::dwelling_status)
      AND (NULL::int2 IS NULL OR d.rooms >= NULL::int2)
      AND (NULL::int2 IS NULL OR d.rooms <= NULL::int2)
      AND (NULL::int4 IS NULL OR d.area_m2 * 10 >= NULL::int4)
      AND (NULL::int4 IS NULL OR d.area_m2 * 10 <= NULL::int4)
      AND (NOT false OR d.wheelchair_accessible)
      AND (NULL::text IS NULL OR lower(a.name) = lower(NULL::text))
      AND (false OR d.status <> 'sold' OR NULL::dwelling_status = 'sold')
      AND (d.status = 'vacant' OR (d.status IN ('let', 'notice_given', 'maintenance', 'reserved')
             AND d.expected_vacant_from IS NOT NULL AND d.expected_vacant_from <= current_date + 90))
      AND (NULL::text IS NULL OR (CASE WHEN d.status = 'vacant' THEN d.status_since ELSE d.expected_vacant_from END, d.id) > (NULL::date, NULL::uuid))
    ORDER BY CASE WHEN d.status = 'vacant' THEN d.status_since ELSE d.expected_vacant_from END, d.id
    LIMIT 51) x
 ORDER BY x.sort_value, x.id
 LIMIT 51;
-- filter_options(): dwelling types and active areas for the filter form.
SELECT municipality_id, id, name, active FROM dwelling_types
 WHERE municipality_id = ANY(:municipalities) AND (active OR false)
 ORDER BY sort_order, lower(name), id;
SELECT name FROM areas WHERE municipality_id = ANY(:municipalities) AND active ORDER BY lower(name);
