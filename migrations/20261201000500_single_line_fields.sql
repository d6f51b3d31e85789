-- Single-line fields stay single-line where they are stored: a line break in a person's
-- name or address would become a heading or a list item where it is printed in a letter.
ALTER TABLE people
  ADD CONSTRAINT people_single_line CHECK (
    name !~ '[[:cntrl:]]' AND phone !~ '[[:cntrl:]]' AND email !~ '[[:cntrl:]]'
    AND street_address !~ '[[:cntrl:]]' AND postal_place !~ '[[:cntrl:]]');
ALTER TABLE municipality_settings
  ADD CONSTRAINT municipality_settings_single_line CHECK (
    letterhead_name !~ '[[:cntrl:]]' AND street_address !~ '[[:cntrl:]]'
    AND postal_place !~ '[[:cntrl:]]' AND phone !~ '[[:cntrl:]]' AND email !~ '[[:cntrl:]]');
