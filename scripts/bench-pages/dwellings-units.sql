-- The unit list (src/dwellings/lists.rs units -> repo::units) with the empty filter form,
-- default sort (address, ascending: d.address_sort_key, which triggers keep equal to
-- lower(p.street_address) || ' ' || d.unit_number), first page (51 rows), then the filter form's options.
-- Per municipality (LATERAL, an index walk each), merged. The app binds the filter values as parameters; here they are what an empty form sends.
SELECT x.* FROM unnest(:municipalities::uuid[]) AS mm(id)
  CROSS JOIN LATERAL (
   SELECT d.municipality_id, d.id, d.property_id, p.name AS property_name, p.street_address, p.postcode,
          p.postal_place, a.name AS area_name, p.has_lift, p.owner_type, d.unit_number, d.dwelling_type_id,
          t.name AS type_name, d.rooms, (d.area_m2 * 10)::int4 AS area, d.floor, d.wheelchair_accessible,
          d.staff_base, d.monthly_rent, d.condition, d.condition_assessed_on, d.status, d.status_since,
          d.expected_vacant_from, d.notes, d.version, (d.address_sort_key)::text AS sort_key,
          d.address_sort_key AS sort_value
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
      AND (NULL::text IS NULL OR (d.address_sort_key, d.id) > (NULL::text, NULL::uuid))
    ORDER BY d.address_sort_key ASC, d.id ASC
    LIMIT 51) x
 ORDER BY x.sort_value ASC, x.id ASC
 LIMIT 51;
-- filter_options(): dwelling types and active areas for the filter form.
SELECT municipality_id, id, name, active FROM dwelling_types
 WHERE municipality_id = ANY(:municipalities) AND (active OR false)
 ORDER BY sort_order, lower(name), id;
SELECT name FROM areas WHERE municipality_id = ANY(:municipalities) AND active ORDER BY lower(name);
