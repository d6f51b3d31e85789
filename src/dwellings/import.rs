//! Spreadsheet import of properties and units: decoding (UTF-8 with or without BOM, or
//! Windows-1252 as Norwegian Excel writes it), delimiter detection, and validation of every
//! row into what would be saved, with Norwegian messages. Pure: lookups of names come in,
//! nothing is read or written here.

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::web::csv_import;
use crate::web::forms::acceptable_text;

use super::model::{
    check_expected_vacant, import_words, PropertyForm, PropertyInput, Status, UnitForm, UnitInput,
};

/// Largest file accepted, and most rows.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// An upload over [`MAX_BYTES`].
pub const TOO_LARGE: &str =
    "Filen er for stor. Største tillatte størrelse er 5 MB; del den opp i flere filer.";

/// An uploaded file worth storing: not empty, not too large, not a binary spreadsheet.
/// Returns the name to store it under, or the message for the upload form.
pub fn check_upload(name: String, bytes: &[u8]) -> Result<String, &'static str> {
    if bytes.is_empty() {
        return Err("Velg en CSV-fil å laste opp.");
    }
    if bytes.len() > MAX_BYTES {
        return Err(TOO_LARGE);
    }
    if std::str::from_utf8(bytes).is_err() && bytes.iter().take(4096).any(|b| *b == 0) {
        return Err(
            "Filen ser ikke ut som en CSV-fil. Lagre regnearket som «CSV (semikolondelt)» i Excel og prøv igjen.",
        );
    }
    Ok(if name.is_empty() {
        "boliger.csv".to_string()
    } else {
        name
    })
}
pub const MAX_ROWS: usize = 20_000;

/// The columns of the template, in order. The first name is the one written in the
/// template; the others are accepted synonyms (compared in lower case, without spaces).
pub const COLUMNS: &[(Col, &[&str])] = &[
    (
        Col::Property,
        &["Eiendom", "eiendomsnavn", "bygg", "eiendom/bygg"],
    ),
    (Col::Address, &["Adresse", "gateadresse", "veiadresse"]),
    (Col::Postcode, &["Postnummer", "postnr", "postnr."]),
    (Col::PostalPlace, &["Poststed"]),
    (Col::Area, &["Område", "bygd", "område/bygd", "omrade"]),
    (Col::Gnr, &["Gnr", "gårdsnummer"]),
    (Col::Bnr, &["Bnr", "bruksnummer"]),
    (Col::OwnerType, &["Eierform", "eiertype"]),
    (Col::OwnerName, &["Eier", "eiers navn", "utleier"]),
    (
        Col::AgreementEnds,
        &["Avtale utløper", "tildelingsrett utløper", "avtale til"],
    ),
    (Col::Lift, &["Heis"]),
    (
        Col::UnitNumber,
        &[
            "Bruksenhetsnummer",
            "bruksenhetsnr",
            "boenhet",
            "leilighetsnummer",
            "enhet",
        ],
    ),
    (Col::Type, &["Boligtype", "type"]),
    (Col::Rooms, &["Rom", "antall rom"]),
    (
        Col::AreaM2,
        &["Areal", "areal m2", "areal (m2)", "bra", "kvm"],
    ),
    (Col::Floor, &["Etasje"]),
    (
        Col::Wheelchair,
        &[
            "Rullestoltilgjengelig",
            "rullestol",
            "uu",
            "universelt utformet",
        ],
    ),
    (Col::StaffBase, &["Personalbase", "personalbase i bygget"]),
    (Col::Adaptations, &["Tilpasninger", "tilpasning"]),
    (
        Col::Rent,
        &["Månedsleie", "husleie", "leie", "månedlig leie"],
    ),
    (Col::Condition, &["Tilstand", "tilstandsgrad"]),
    (
        Col::ConditionDate,
        &["Tilstand vurdert", "vurdert dato", "sist vurdert"],
    ),
    (Col::Status, &["Status"]),
    (
        Col::ExpectedVacant,
        &["Forventet ledig fra", "ledig fra", "ledig dato"],
    ),
    (Col::Notes, &["Merknader", "merknad", "kommentar"]),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Col {
    Property,
    Address,
    Postcode,
    PostalPlace,
    Area,
    Gnr,
    Bnr,
    OwnerType,
    OwnerName,
    AgreementEnds,
    Lift,
    UnitNumber,
    Type,
    Rooms,
    AreaM2,
    Floor,
    Wheelchair,
    StaffBase,
    Adaptations,
    Rent,
    Condition,
    ConditionDate,
    Status,
    ExpectedVacant,
    Notes,
}

const REQUIRED: &[Col] = &[
    Col::Property,
    Col::Address,
    Col::Postcode,
    Col::PostalPlace,
    Col::UnitNumber,
    Col::Type,
    Col::Rooms,
    Col::AreaM2,
];

pub fn column_name(c: Col) -> &'static str {
    COLUMNS
        .iter()
        .find(|(k, _)| *k == c)
        .map(|(_, names)| names[0])
        .unwrap_or("")
}

/// The municipality's names for areas, dwelling types and adaptations (active ones).
#[derive(Debug, Default, Clone)]
pub struct Lookups {
    pub areas: HashMap<String, Uuid>,
    pub types: HashMap<String, Uuid>,
    pub adaptations: HashMap<String, Uuid>,
}

impl Lookups {
    pub fn new(
        areas: impl IntoIterator<Item = (String, Uuid)>,
        types: impl IntoIterator<Item = (String, Uuid)>,
        adaptations: impl IntoIterator<Item = (String, Uuid)>,
    ) -> Self {
        Lookups {
            areas: by_lower_name(areas),
            types: by_lower_name(types),
            adaptations: by_lower_name(adaptations),
        }
    }
}

fn by_lower_name(items: impl IntoIterator<Item = (String, Uuid)>) -> HashMap<String, Uuid> {
    items
        .into_iter()
        .map(|(k, v)| (k.trim().to_lowercase(), v))
        .collect()
}

/// One data row of the file: what it would save, or why it cannot.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// Line number in the file (the header is line 1).
    pub line: usize,
    pub property_name: String,
    pub unit_number: String,
    pub address: String,
    pub type_name: String,
    /// The property and unit as parsed (present even when other cells of the row have
    /// errors; nothing is saved unless the whole file is free of errors).
    pub property: Option<PropertyInput>,
    pub unit: Option<UnitInput>,
    /// None when the cell is empty: keep the current status (new units start vacant).
    pub status: Option<Status>,
    pub expected_vacant_from: Option<NaiveDate>,
    pub errors: Vec<String>,
}

impl ImportRow {
    /// The key re-imports update by: (property name in lower case, unit number).
    pub fn key(&self) -> (String, String) {
        (self.property_name.to_lowercase(), self.unit_number.clone())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub encoding: &'static str,
    pub delimiter: char,
    pub rows: Vec<ImportRow>,
    /// Problems with the file as a whole (no rows are imported).
    pub file_errors: Vec<String>,
}

impl Parsed {
    pub fn error_count(&self) -> usize {
        self.file_errors.len() + self.rows.iter().filter(|r| !r.errors.is_empty()).count()
    }
}

/// Parses and validates the whole file.
pub fn parse(bytes: &[u8], lookups: &Lookups, today: NaiveDate) -> Parsed {
    let mut out = Parsed::default();
    if bytes.len() > MAX_BYTES {
        out.file_errors.push(format!(
            "Filen er for stor ({} kB). Største tillatte størrelse er {} MB; del den opp i flere filer.",
            bytes.len() / 1024,
            MAX_BYTES / 1024 / 1024
        ));
        return out;
    }
    let columns = csv_import::Columns {
        known: COLUMNS,
        required: REQUIRED,
        one_of: &[],
        name: column_name,
    };
    let sheet = match csv_import::open(bytes, &columns) {
        Ok(sheet) => sheet,
        Err(e) => {
            out.encoding = e.encoding;
            out.delimiter = e.delimiter;
            out.file_errors = e.errors;
            return out;
        }
    };
    out.encoding = sheet.encoding;
    out.delimiter = sheet.delimiter;
    let index = sheet.index;
    let mut reader = sheet.reader;
    // Read already: the header line names a column in messages.
    let headers = reader.headers().cloned().unwrap_or_default();
    let mut seen_units: HashMap<(String, String), usize> = HashMap::new();
    let mut seen_properties: HashMap<String, (usize, PropertyInput)> = HashMap::new();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        if out.rows.len() >= MAX_ROWS {
            out.file_errors.push(format!(
                "Filen har mer enn {MAX_ROWS} rader. Del den opp i flere filer."
            ));
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                out.rows.push(ImportRow {
                    line,
                    property_name: String::new(),
                    unit_number: String::new(),
                    address: String::new(),
                    type_name: String::new(),
                    property: None,
                    unit: None,
                    status: None,
                    expected_vacant_from: None,
                    errors: vec!["Linjen kan ikke leses (feil med anførselstegn?).".into()],
                });
                continue;
            }
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |c: Col| -> String {
            index
                .get(&c)
                .and_then(|i| record.get(*i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let mut row = parse_row(line, &cell, lookups, today);
        // The same input rule as for forms: a cell with a NUL character is refused.
        if let Some(i) = record.iter().position(|c| !acceptable_text(c)) {
            let column = headers.get(i).map(str::trim).unwrap_or("");
            row.errors.push(format!(
                "Kolonnen «{column}» inneholder et tegn som ikke kan lagres (NUL-tegn). Rett cellen i regnearket og last opp filen på nytt."
            ));
        }
        if let Some(p) = &row.property {
            let key = p.name.to_lowercase();
            match seen_properties.get(&key) {
                Some((first, earlier)) if earlier != p => row.errors.push(format!(
                    "Eiendommen «{}» har andre eiendomsopplysninger (adresse, område, eier, heis …) enn på linje {first}. Alle linjer for samme eiendom må ha like opplysninger.",
                    p.name
                )),
                Some(_) => {}
                None => {
                    seen_properties.insert(key, (line, p.clone()));
                }
            }
        }
        if !row.unit_number.is_empty() && !row.property_name.is_empty() {
            if let Some(first) = seen_units.get(&row.key()) {
                row.errors.push(format!(
                    "Boenhet {} i «{}» står også på linje {first}.",
                    row.unit_number, row.property_name
                ));
            } else {
                seen_units.insert(row.key(), line);
            }
        }
        out.rows.push(row);
    }
    if out.rows.is_empty() && out.file_errors.is_empty() {
        out.file_errors
            .push("Filen har ingen rader med boliger under overskriftene.".into());
    }
    out
}

fn parse_row(
    line: usize,
    cell: &dyn Fn(Col) -> String,
    lookups: &Lookups,
    today: NaiveDate,
) -> ImportRow {
    let mut errors: Vec<String> = Vec::new();
    let mut lookup = |what: &str, map: &HashMap<String, Uuid>, raw: &str| -> String {
        if raw.is_empty() {
            return String::new();
        }
        match map.get(&raw.to_lowercase()) {
            Some(id) => id.to_string(),
            None => {
                errors.push(format!(
                    "Ukjent {what} «{raw}». Bruk et navn fra kommunens liste, eller legg det til under innstillingene først."
                ));
                String::new()
            }
        }
    };
    let area_id = lookup("område", &lookups.areas, &cell(Col::Area));
    let type_raw = cell(Col::Type);
    let type_id = lookup("boligtype", &lookups.types, &type_raw);
    let mut adaptation_ids = Vec::new();
    for a in cell(Col::Adaptations)
        .split([',', '|', '+'])
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        let id = lookup("tilpasning", &lookups.adaptations, a);
        if !id.is_empty() {
            adaptation_ids.push(id);
        }
    }
    let owner_raw = cell(Col::OwnerType);
    let owner_type = if owner_raw.is_empty() {
        "municipality".to_string()
    } else {
        match import_words::owner_type(&owner_raw) {
            Some(o) => o.key().to_string(),
            None => {
                errors.push(format!(
                    "Ukjent eierform «{owner_raw}». Bruk kommune, KF, tildelingsrett eller innleid."
                ));
                String::new()
            }
        }
    };
    let yes_no = |errors: &mut Vec<String>, c: Col| -> bool {
        let raw = cell(c);
        import_words::yes_no(&raw).unwrap_or_else(|| {
            errors.push(format!(
                "«{}» må være Ja eller Nei, ikke «{raw}».",
                column_name(c)
            ));
            false
        })
    };
    let has_lift = yes_no(&mut errors, Col::Lift);
    let wheelchair = yes_no(&mut errors, Col::Wheelchair);
    let staff_base = yes_no(&mut errors, Col::StaffBase);
    let condition_raw = cell(Col::Condition);
    let condition = match import_words::condition(&condition_raw) {
        Some(c) => c.map(|c| c.key().to_string()).unwrap_or_default(),
        None => {
            errors.push(format!(
                "Ukjent tilstand «{condition_raw}». Bruk God, Middels, Dårlig eller Svært dårlig."
            ));
            String::new()
        }
    };
    let status_raw = cell(Col::Status);
    let status = if status_raw.is_empty() {
        None
    } else {
        match import_words::status(&status_raw) {
            Some(s) => Some(s),
            None => {
                errors.push(format!(
                    "Ukjent status «{status_raw}». Bruk Ledig, Utleid, Oppsagt, Reservert, Under vedlikehold, Skal selges eller Solgt/avhendet."
                ));
                None
            }
        }
    };
    let expected_raw = cell(Col::ExpectedVacant);
    let expected_vacant_from =
        match check_expected_vacant(status.or(Some(Status::Let)), &expected_raw) {
            Ok(d) => d,
            Err(m) => {
                errors.push(format!("{}: {m}", column_name(Col::ExpectedVacant)));
                None
            }
        };
    let property_form = PropertyForm {
        municipality: String::new(),
        name: cell(Col::Property),
        street_address: cell(Col::Address),
        postcode: cell(Col::Postcode),
        postal_place: cell(Col::PostalPlace),
        area_id: area_id.clone(),
        gnr: cell(Col::Gnr),
        bnr: cell(Col::Bnr),
        owner_type,
        owner_name: cell(Col::OwnerName),
        agreement_ends: cell(Col::AgreementEnds),
        has_lift,
        notes: String::new(),
        version: String::new(),
    };
    let area_ids: Vec<Uuid> = Uuid::parse_str(&area_id).into_iter().collect();
    let property = match property_form.parse(&area_ids) {
        Ok(p) => Some(p),
        Err(e) => {
            for (_, m) in e.summary() {
                if !errors.iter().any(|x| x.contains("eierform")) || !m.contains("hvem som eier") {
                    errors.push(m.to_string());
                }
            }
            None
        }
    };
    let unit_form = UnitForm {
        property_id: String::new(),
        unit_number: cell(Col::UnitNumber),
        dwelling_type_id: type_id.clone(),
        rooms: cell(Col::Rooms),
        area: cell(Col::AreaM2),
        floor: cell(Col::Floor),
        wheelchair_accessible: wheelchair,
        staff_base,
        adaptations: adaptation_ids.clone(),
        monthly_rent: cell(Col::Rent),
        condition,
        condition_assessed_on: cell(Col::ConditionDate),
        status: String::new(),
        expected_vacant_from: String::new(),
        notes: cell(Col::Notes),
        version: String::new(),
    };
    let type_ids: Vec<Uuid> = Uuid::parse_str(&type_id).into_iter().collect();
    let adaptation_uuids: Vec<Uuid> = adaptation_ids
        .iter()
        .filter_map(|a| Uuid::parse_str(a).ok())
        .collect();
    let unit = match unit_form.parse(&type_ids, &adaptation_uuids, today) {
        Ok(u) => Some(u),
        Err(e) => {
            for (field, m) in e.summary() {
                // An unknown type name is already explained above.
                if field == "dwelling_type_id" && !type_raw.is_empty() {
                    continue;
                }
                errors.push(m.to_string());
            }
            None
        }
    };
    ImportRow {
        line,
        property_name: cell(Col::Property),
        unit_number: cell(Col::UnitNumber).to_uppercase(),
        address: cell(Col::Address),
        type_name: type_raw,
        property,
        unit,
        status,
        expected_vacant_from,
        errors,
    }
}

/// The downloadable template: the header and two example rows.
pub fn template_rows() -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = COLUMNS.iter().map(|(_, names)| names[0]).collect();
    let rows = vec![
        vec![
            "Moan omsorgsboliger",
            "Moanvegen 12",
            "7604",
            "Levanger",
            "Levanger sentrum",
            "312",
            "45",
            "Kommunen",
            "",
            "",
            "Ja",
            "H0101",
            "Omsorgsbolig",
            "2",
            "54,5",
            "1",
            "Ja",
            "Ja",
            "Trinnfri adkomst, Tilpasset bad",
            "8 500",
            "God",
            "15.01.2026",
            "Ledig",
            "",
            "Nær bussholdeplass",
        ],
        vec![
            "Moan omsorgsboliger",
            "Moanvegen 12",
            "7604",
            "Levanger",
            "Levanger sentrum",
            "312",
            "45",
            "Kommunen",
            "",
            "",
            "Ja",
            "H0201",
            "Omsorgsbolig",
            "2",
            "52",
            "2",
            "Ja",
            "Nei",
            "",
            "8 200",
            "Middels",
            "15.01.2026",
            "Oppsagt",
            "01.06.2026",
            "",
        ],
    ]
    .into_iter()
    .map(|r| r.into_iter().map(String::from).collect())
    .collect();
    (header, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookups() -> (Lookups, Uuid, Uuid, Uuid) {
        let area = Uuid::now_v7();
        let t = Uuid::now_v7();
        let a = Uuid::now_v7();
        (
            Lookups::new(
                [("Levanger sentrum".to_string(), area)],
                [("Omsorgsbolig".to_string(), t)],
                [
                    ("Trinnfri adkomst".to_string(), a),
                    ("Tilpasset bad".to_string(), Uuid::now_v7()),
                ],
            ),
            area,
            t,
            a,
        )
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
    }

    fn template_file(delim: &str) -> String {
        let (h, rows) = template_rows();
        let mut s = h.join(delim);
        for r in rows {
            s.push('\n');
            let cells: Vec<String> = r
                .iter()
                .map(|c| {
                    if c.contains(delim) {
                        format!("\"{c}\"")
                    } else {
                        c.clone()
                    }
                })
                .collect();
            s.push_str(&cells.join(delim));
        }
        s
    }

    #[test]
    fn the_template_itself_imports_cleanly() {
        let (l, area, t, a) = lookups();
        let p = parse(template_file(";").as_bytes(), &l, today());
        assert!(p.file_errors.is_empty(), "{:?}", p.file_errors);
        assert_eq!(p.rows.len(), 2);
        for r in &p.rows {
            assert!(r.errors.is_empty(), "line {}: {:?}", r.line, r.errors);
        }
        let r = &p.rows[0];
        assert_eq!(r.property.as_ref().unwrap().area_id, Some(area));
        let u = r.unit.as_ref().unwrap();
        assert_eq!(u.dwelling_type_id, t);
        assert_eq!(u.area, 545);
        assert_eq!(u.monthly_rent, Some(850_000));
        assert_eq!(u.adaptations.len(), 2);
        assert!(u.adaptations.contains(&a));
        assert_eq!(r.status, Some(Status::Vacant));
        assert_eq!(p.rows[1].status, Some(Status::NoticeGiven));
        assert!(p.rows[1].expected_vacant_from.is_some());
        assert_eq!(p.delimiter, ';');
    }

    #[test]
    fn comma_separated_windows_1252_with_bom_free_text() {
        let (l, ..) = lookups();
        let text = template_file(",");
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
        assert!(std::str::from_utf8(&bytes).is_err(), "has æøå in 1252");
        let p = parse(&bytes, &l, today());
        assert_eq!(p.encoding, "Windows-1252");
        assert_eq!(p.delimiter, ',');
        assert!(p.file_errors.is_empty(), "{:?}", p.file_errors);
        assert_eq!(p.error_count(), 0, "{:?}", p.rows[0].errors);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend(template_file(";").as_bytes());
        let p = parse(&bom, &l, today());
        assert_eq!(p.encoding, "UTF-8");
        assert_eq!(p.error_count(), 0);
    }

    #[test]
    fn every_bad_row_gets_its_messages() {
        let (l, ..) = lookups();
        let text =
            "Eiendom;Adresse;Postnummer;Poststed;Bruksenhetsnummer;Boligtype;Rom;Areal;Status\n\
                    Moan;Moanvegen 1;7604;Levanger;H0101;Omsorgsbolig;12;5;Ledig\n\
                    Moan;Moanvegen 1;7604;Levanger;H0101;Slott;2;50;Kanskje\n\
                    Moan;Moanvegen 2;7604;Levanger;H0102;Omsorgsbolig;2;50;\n";
        let p = parse(text.as_bytes(), &l, today());
        assert!(p.file_errors.is_empty());
        let r = &p.rows[0];
        assert_eq!(r.line, 2);
        assert!(r.errors.iter().any(|e| e.contains("mellom 1 og 10")));
        assert!(r.errors.iter().any(|e| e.contains("mellom 10 og 400")));
        let r = &p.rows[1];
        assert!(r
            .errors
            .iter()
            .any(|e| e.contains("Ukjent boligtype «Slott»")));
        assert!(r.errors.iter().any(|e| e.contains("Ukjent status")));
        assert!(r.errors.iter().any(|e| e.contains("også på linje 2")));
        let r = &p.rows[2];
        assert!(r
            .errors
            .iter()
            .any(|e| e.contains("andre eiendomsopplysninger")));
        assert_eq!(p.error_count(), 3);
    }

    #[test]
    fn a_nul_character_in_any_cell_is_a_row_error() {
        let (l, ..) = lookups();
        let clean = template_file(";");
        assert_eq!(parse(clean.as_bytes(), &l, today()).error_count(), 0);
        // In a column that is otherwise free text, and in one that is parsed.
        for (from, to) in [
            ("Nær bussholdeplass", "Nær\u{0}buss"),
            ("8 500", "8\u{0}500"),
        ] {
            let p = parse(clean.replacen(from, to, 1).as_bytes(), &l, today());
            assert_eq!(p.error_count(), 1, "{to:?}");
            assert!(
                p.rows[0].errors.iter().any(|e| e.contains("NUL-tegn")),
                "{:?}",
                p.rows[0].errors
            );
        }
    }

    #[test]
    fn missing_and_unknown_columns_are_file_errors() {
        let (l, ..) = lookups();
        let p = parse(b"Eiendom;Farge\nA;B\n", &l, today());
        assert!(p
            .file_errors
            .iter()
            .any(|e| e.contains("Ukjent kolonne «Farge»")));
        assert!(p
            .file_errors
            .iter()
            .any(|e| e.contains("«Adresse» mangler")));
        assert!(p.rows.is_empty());
        let p = parse(b"", &l, today());
        assert_eq!(p.file_errors, vec!["Filen er tom.".to_string()]);
    }
}
