//! Reading a lease spreadsheet: the columns of the template, and each line checked on its
//! own into what would be saved (the husleieloven rules of `leases::rules` included), with
//! Norwegian messages naming the line and column. Pure: the municipality's § 11-1 grounds
//! come in, nothing is read or written here. Decoding (UTF-8 with or without BOM, or
//! Windows-1252 as Excel writes it) and the separator are the dwellings import's.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

use crate::applications::model::{complete_national_id, NationalId};
use crate::leases::rules;
use crate::web::csv_import;
use crate::web::format::{date, kroner, parse_date, parse_kroner};
use crate::web::forms::acceptable_text;

pub use crate::dwellings::import::{MAX_BYTES, TOO_LARGE};

/// Most lines in one file.
pub const MAX_ROWS: usize = 20_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Col {
    Property,
    Unit,
    Tenant,
    NationalId,
    BirthDate,
    Phone,
    Email,
    Start,
    End,
    Rent,
    DepositKind,
    Deposit,
    DepositAccount,
    DepositBank,
    Guarantor,
    GuaranteeReference,
    Ground,
    GroundNotice,
    Signed,
    Status,
    NoticeGiven,
    NoticeEffective,
    Ended,
    EndReason,
}

/// The columns of the template, in order. The first name is the one the template writes;
/// the others are accepted synonyms (compared in lower case, without spaces).
pub const COLUMNS: &[(Col, &[&str])] = &[
    (Col::Property, &["Eiendom", "eiendomsnavn", "bygg"]),
    (
        Col::Unit,
        &[
            "Bruksenhetsnummer",
            "bruksenhetsnr",
            "boenhet",
            "leilighetsnummer",
            "enhet",
        ],
    ),
    (
        Col::Tenant,
        &["Leietaker", "leietakers navn", "navn", "leietaker navn"],
    ),
    (
        Col::NationalId,
        &[
            "Fødselsnummer",
            "fnr",
            "fødselsnr",
            "personnummer",
            "d-nummer",
        ],
    ),
    (Col::BirthDate, &["Fødselsdato", "født"]),
    (Col::Phone, &["Telefon", "tlf", "mobil", "telefonnummer"]),
    (Col::Email, &["E-post", "epost", "e-postadresse"]),
    (
        Col::Start,
        &["Startdato", "fra dato", "leie fra", "innflyttet", "start"],
    ),
    (
        Col::End,
        &["Sluttdato", "til dato", "leie til", "utløper", "utløpsdato"],
    ),
    (
        Col::Rent,
        &["Månedsleie", "husleie", "leie", "månedlig leie"],
    ),
    (
        Col::DepositKind,
        &["Depositumstype", "sikkerhet", "type sikkerhet"],
    ),
    (
        Col::Deposit,
        &[
            "Depositum",
            "depositumsbeløp",
            "garantibeløp",
            "sikkerhet beløp",
        ],
    ),
    (
        Col::DepositAccount,
        &["Depositumskonto", "kontonummer", "depositumskontonummer"],
    ),
    (Col::DepositBank, &["Bank"]),
    (Col::Guarantor, &["Garantist", "garantistiller"]),
    (
        Col::GuaranteeReference,
        &["Garantireferanse", "garantinummer", "referanse"],
    ),
    (
        Col::Ground,
        &["Grunnlag § 11-1", "grunnlag", "§ 11-1", "grunnlag 11-1"],
    ),
    (
        Col::GroundNotice,
        &[
            "Varsel § 11-1 dato",
            "varsel § 11-1",
            "varslet",
            "varsel dato",
            "varsel 11-1",
        ],
    ),
    (
        Col::Signed,
        &["Signert dato", "signert", "signeringsdato", "underskrevet"],
    ),
    (Col::Status, &["Status"]),
    (
        Col::NoticeGiven,
        &["Oppsagt dato", "oppsigelsesdato", "sagt opp"],
    ),
    (
        Col::NoticeEffective,
        &["Opphører dato", "oppsigelse gjelder til", "flytter ut"],
    ),
    (Col::Ended, &["Avsluttet dato", "avsluttet", "fraflyttet"]),
    (
        Col::EndReason,
        &[
            "Avslutningsårsak",
            "årsak",
            "sluttårsak",
            "grunn til avslutning",
        ],
    ),
];

const REQUIRED: &[Col] = &[Col::Unit, Col::Tenant, Col::Start, Col::Rent];

pub fn column_name(c: Col) -> &'static str {
    COLUMNS
        .iter()
        .find(|(k, _)| *k == c)
        .map(|(_, names)| names[0])
        .unwrap_or("")
}

/// A problem on one line, in one column ("" for the line as a whole).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    pub column: &'static str,
    pub message: String,
}

impl LineError {
    pub fn new(c: Col, message: impl Into<String>) -> Self {
        LineError {
            column: column_name(c),
            message: message.into(),
        }
    }

    /// "Kolonne «Startdato»: …", or the message alone for the line as a whole.
    pub fn text(&self) -> String {
        if self.column.is_empty() {
            self.message.clone()
        } else {
            format!("Kolonne «{}»: {}", self.column, self.message)
        }
    }
}

/// The status the file gives the tenancy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineStatus {
    Active,
    NoticeGiven,
    Ended,
}

impl LineStatus {
    pub fn label(&self) -> &'static str {
        match self {
            LineStatus::Active => "Aktiv",
            LineStatus::NoticeGiven => "Oppsagt",
            LineStatus::Ended => "Avsluttet",
        }
    }
}

/// The deposit (§ 3-5): none, cash in a separate account, or a guarantee.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deposit {
    /// 'none', 'account' or 'guarantee' (the `leases.deposit_kind` values).
    pub kind: &'static str,
    pub amount: i64,
    pub bank: String,
    pub account: String,
    pub guarantor: String,
    pub reference: String,
}

/// One data line of the file: what it would save, or why it cannot.
#[derive(Clone, Debug)]
pub struct LeaseLine {
    /// Line number in the file (the header is line 1).
    pub line: usize,
    pub property_name: String,
    /// In upper case, as the dwellings register stores unit numbers.
    pub unit_number: String,
    pub tenant_name: String,
    pub national_id: Option<NationalId>,
    pub birth_date: Option<NaiveDate>,
    pub phone: String,
    pub email: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub monthly_rent: i64,
    pub deposit: Deposit,
    pub ground_id: Option<Uuid>,
    pub ground_label: String,
    pub ground_notice_on: Option<NaiveDate>,
    pub signed_on: Option<NaiveDate>,
    pub status: LineStatus,
    pub notice_given_on: Option<NaiveDate>,
    pub notice_effective_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    /// A `leases.end_reason` value.
    pub end_reason: Option<&'static str>,
    pub errors: Vec<LineError>,
}

impl LeaseLine {
    /// The last day the unit is taken (the database's `occupancy` upper bound); None:
    /// open-ended.
    pub fn occupied_until(&self) -> Option<NaiveDate> {
        self.ended_on.or(self.notice_effective_on).or(self.ends_on)
    }

    /// The lease status to store: signed until it starts, then active, or as the file says.
    pub fn lease_status(&self, today: NaiveDate) -> &'static str {
        match self.status {
            LineStatus::NoticeGiven => "notice_given",
            LineStatus::Ended => "ended",
            LineStatus::Active if self.starts_on.is_some_and(|s| s > today) => "signed",
            LineStatus::Active => "active",
        }
    }

    pub fn masked_national_id(&self) -> String {
        self.national_id
            .as_ref()
            .map(NationalId::masked)
            .unwrap_or_default()
    }

    pub fn period(&self) -> String {
        match (self.starts_on, self.ends_on) {
            (Some(s), Some(e)) => format!("{} – {}", date(s), date(e)),
            (Some(s), None) => format!("{} – (tidsubestemt)", date(s)),
            _ => String::new(),
        }
    }

    pub fn rent_text(&self) -> String {
        kroner(self.monthly_rent)
    }

    fn error(&mut self, c: Col, message: impl Into<String>) {
        self.errors.push(LineError::new(c, message));
    }
}

#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub encoding: &'static str,
    pub delimiter: char,
    pub rows: Vec<LeaseLine>,
    /// Problems with the file as a whole (no line is imported).
    pub file_errors: Vec<String>,
}

impl Parsed {
    pub fn error_count(&self) -> usize {
        self.file_errors.len() + self.rows.iter().filter(|r| !r.errors.is_empty()).count()
    }
}

/// The municipality's active § 11-1 grounds by label.
#[derive(Debug, Default, Clone)]
pub struct Grounds(HashMap<String, (Uuid, String)>);

impl Grounds {
    pub fn new(items: impl IntoIterator<Item = (String, Uuid)>) -> Self {
        Grounds(
            items
                .into_iter()
                .map(|(label, id)| (label.trim().to_lowercase(), (id, label)))
                .collect(),
        )
    }

    fn find(&self, label: &str) -> Option<Uuid> {
        self.0.get(&label.trim().to_lowercase()).map(|(id, _)| *id)
    }

    fn labels(&self) -> String {
        let mut l: Vec<&str> = self.0.values().map(|(_, l)| l.as_str()).collect();
        l.sort();
        if l.is_empty() {
            "kommunen har ikke registrert noen grunnlag ennå".into()
        } else {
            l.iter()
                .map(|x| format!("«{x}»"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

/// Parses and checks the whole file, line by line.
pub fn parse(bytes: &[u8], grounds: &Grounds, today: NaiveDate) -> Parsed {
    let mut out = Parsed::default();
    if bytes.len() > MAX_BYTES {
        out.file_errors.push(TOO_LARGE.into());
        return out;
    }
    let columns = csv_import::Columns {
        known: COLUMNS,
        required: REQUIRED,
        one_of: &[(
            &[Col::NationalId, Col::BirthDate],
            "Filen må ha kolonnen «Fødselsnummer» eller «Fødselsdato» for å finne leietakeren.",
        )],
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
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        if out.rows.len() >= MAX_ROWS {
            out.file_errors.push(format!(
                "Filen har mer enn {MAX_ROWS} linjer. Del den opp i flere filer."
            ));
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                let mut row = empty_line(line);
                row.errors.push(LineError {
                    column: "",
                    message: "Linjen kan ikke leses (feil med anførselstegn?).".into(),
                });
                out.rows.push(row);
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
        let mut row = parse_line(line, &cell, grounds, today);
        // The same input rule as for forms: a cell with a NUL character is refused.
        for (i, c) in record.iter().enumerate() {
            if !acceptable_text(c) {
                let column = COLUMNS
                    .iter()
                    .find(|(k, _)| index.get(k) == Some(&i))
                    .map(|(_, names)| names[0])
                    .unwrap_or("");
                row.errors.push(LineError {
                    column,
                    message: "Cellen inneholder et tegn som ikke kan lagres (NUL-tegn). Rett cellen i regnearket og last opp filen på nytt.".into(),
                });
            }
        }
        out.rows.push(row);
    }
    if out.rows.is_empty() && out.file_errors.is_empty() {
        out.file_errors
            .push("Filen har ingen linjer med leieforhold under overskriftene.".into());
    }
    out
}

fn empty_line(line: usize) -> LeaseLine {
    LeaseLine {
        line,
        property_name: String::new(),
        unit_number: String::new(),
        tenant_name: String::new(),
        national_id: None,
        birth_date: None,
        phone: String::new(),
        email: String::new(),
        starts_on: None,
        ends_on: None,
        monthly_rent: 0,
        deposit: Deposit {
            kind: "none",
            ..Deposit::default()
        },
        ground_id: None,
        ground_label: String::new(),
        ground_notice_on: None,
        signed_on: None,
        status: LineStatus::Active,
        notice_given_on: None,
        notice_effective_on: None,
        ended_on: None,
        end_reason: None,
        errors: Vec::new(),
    }
}

const DATE_HELP: &str = "Skriv datoen som dd.mm.åååå, for eksempel 01.03.2025.";

/// An optional date cell; an error when it is not a date.
fn date_cell(row: &mut LeaseLine, c: Col, raw: &str) -> Option<NaiveDate> {
    if raw.is_empty() {
        return None;
    }
    let d = parse_date(raw).filter(|d| d.year() >= 1900 && d.year() <= 2200);
    if d.is_none() {
        row.error(c, format!("«{raw}» er ikke en dato. {DATE_HELP}"));
    }
    d
}

/// A single-line text cell of at most `max` characters.
fn line_cell(row: &mut LeaseLine, c: Col, raw: String, max: usize) -> String {
    if raw.chars().count() > max {
        row.error(c, format!("Kan ha høyst {max} tegn."));
    } else if raw.chars().any(char::is_control) {
        row.error(c, "Må stå på én linje, uten linjeskift.");
    }
    raw
}

fn amount_cell(row: &mut LeaseLine, c: Col, raw: &str) -> Option<i64> {
    if raw.is_empty() {
        return None;
    }
    match parse_kroner(raw) {
        Some(v) if v <= 10_000_000 => Some(v),
        Some(_) => {
            row.error(c, "Beløpet kan være høyst 100 000 kr.");
            None
        }
        None => {
            row.error(
                c,
                format!(
                    "«{raw}» er ikke et beløp i kroner. Skriv for eksempel 8 500 eller 8500,00."
                ),
            );
            None
        }
    }
}

/// Norwegian bank account numbers: 11 digits, the last a mod-11 check digit.
pub fn valid_account(digits: &str) -> bool {
    if digits.len() != 11 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let d: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    let weights = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = d[..10].iter().zip(weights).map(|(a, w)| a * w).sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        k => k,
    };
    check == d[10]
}

fn words(raw: &str) -> String {
    raw.trim().to_lowercase().replace(['-', '_'], " ")
}

fn status_word(raw: &str) -> Option<LineStatus> {
    match words(raw).as_str() {
        "" | "aktiv" | "løpende" | "signert" | "active" => Some(LineStatus::Active),
        "oppsagt" | "sagt opp" | "notice given" => Some(LineStatus::NoticeGiven),
        "avsluttet" | "opphørt" | "fraflyttet" | "ended" => Some(LineStatus::Ended),
        _ => None,
    }
}

fn deposit_kind_word(raw: &str) -> Option<&'static str> {
    match words(raw).as_str() {
        "ingen" | "nei" | "none" => Some("none"),
        "depositumskonto" | "konto" | "depositum" | "bankkonto" | "account" => Some("account"),
        "garanti" | "nav garanti" | "nav" | "garantist" | "kommunal garanti" | "guarantee" => {
            Some("guarantee")
        }
        _ => None,
    }
}

fn end_reason_word(raw: &str) -> Option<&'static str> {
    match words(raw).as_str() {
        "egen bolig" | "kjøpt bolig" | "eid bolig" | "startlån" | "own home" => Some("own_home"),
        "annen kommunal bolig" | "kommunal bolig" | "flyttet internt" => Some("municipal_dwelling"),
        "institusjon" | "sykehjem" | "omsorgsinstitusjon" => Some("institution"),
        "utkastelse" | "utkastet" | "fravikelse" | "kastet ut" => Some("evicted"),
        "død" | "dødsfall" | "døde" => Some("died"),
        "annet" | "annen" | "annen årsak" | "privat leie" | "flyttet" => Some("other"),
        _ => None,
    }
}

fn parse_line(
    line: usize,
    cell: &dyn Fn(Col) -> String,
    grounds: &Grounds,
    today: NaiveDate,
) -> LeaseLine {
    let mut row = empty_line(line);
    row.property_name = line_cell(&mut row, Col::Property, cell(Col::Property), 200);
    row.unit_number = cell(Col::Unit).to_uppercase();
    if row.unit_number.is_empty() {
        row.error(
            Col::Unit,
            "Må fylles ut (boligens bruksenhetsnummer i Bosak).",
        );
    }
    row.tenant_name = line_cell(&mut row, Col::Tenant, cell(Col::Tenant), 200);
    if row.tenant_name.is_empty() {
        row.error(Col::Tenant, "Leietakers navn må fylles ut.");
    }

    // The tenant: national id (mod 11) or birth date.
    let nid = cell(Col::NationalId);
    if !nid.is_empty() {
        match NationalId::parse(&nid) {
            Ok(n) => row.national_id = Some(n),
            Err(msg) => row.error(Col::NationalId, msg),
        }
    }
    let bd = cell(Col::BirthDate);
    if let Some(b) = date_cell(&mut row, Col::BirthDate, &bd) {
        if b > today {
            row.error(Col::BirthDate, "Fødselsdatoen kan ikke være fram i tid.");
        } else {
            row.birth_date = Some(b);
        }
    }
    if nid.is_empty() && bd.is_empty() {
        row.error(
            Col::NationalId,
            "Fyll ut fødselsnummer eller D-nummer, eller fødselsdato hvis leietakeren ikke har noen av dem.",
        );
    }
    if let (Some(n), Some(b)) = (&row.national_id, row.birth_date) {
        if n.birth_date() != Some(b) {
            row.error(
                Col::BirthDate,
                "Fødselsdatoen stemmer ikke med fødselsnummeret.",
            );
        }
    }
    if row.birth_date.is_none() {
        row.birth_date = row.national_id.as_ref().and_then(|n| n.birth_date());
    }
    row.phone = line_cell(&mut row, Col::Phone, cell(Col::Phone), 40);
    row.email = line_cell(&mut row, Col::Email, cell(Col::Email), 254);
    if !row.email.is_empty() && !crate::municipalities::model::plausible_email(&row.email) {
        row.error(
            Col::Email,
            "E-postadressen ser ikke riktig ut. Eksempel: navn@eksempel.no",
        );
    }

    // The term (§ 9-3) and the § 11-1 basis.
    let start_raw = cell(Col::Start);
    row.starts_on = date_cell(&mut row, Col::Start, &start_raw);
    if start_raw.is_empty() {
        row.error(Col::Start, "Startdato må fylles ut.");
    }
    row.ends_on = date_cell(&mut row, Col::End, &cell(Col::End));
    if let (Some(s), Some(e)) = (row.starts_on, row.ends_on) {
        if e <= s {
            row.error(Col::End, "Sluttdatoen må være etter startdatoen.");
        }
    }
    let signed_raw = cell(Col::Signed);
    row.signed_on = date_cell(&mut row, Col::Signed, &signed_raw).or(row.starts_on);
    if let Some(signed) = row.signed_on {
        if signed > today {
            row.error(
                Col::Signed,
                "Leiekontrakten kan ikke være signert fram i tid. Importen gjelder leieforhold som allerede er avtalt.",
            );
        }
    }
    let ground_raw = cell(Col::Ground);
    if !ground_raw.is_empty() {
        match grounds.find(&ground_raw) {
            Some(id) => row.ground_id = Some(id),
            None => row.error(
                Col::Ground,
                format!(
                    "Ukjent grunnlag «{ground_raw}». Bruk et av kommunens grunnlag: {}.",
                    grounds.labels()
                ),
            ),
        }
    }
    row.ground_label = line_cell(&mut row, Col::Ground, ground_raw, 200);
    row.ground_notice_on = date_cell(&mut row, Col::GroundNotice, &cell(Col::GroundNotice));
    if let (Some(s), Some(e)) = (row.starts_on, row.ends_on) {
        if e > s && rules::is_short_term(s, Some(e)) {
            let three_years = rules::end_after(s, rules::MIN_TERM_MONTHS);
            if row.ground_label.is_empty() {
                row.error(
                    Col::Ground,
                    format!(
                        "Leietiden er kortere enn tre år (tre år fra startdatoen er til {}). Da må grunnlaget etter husleieloven § 11-1 oppgis.",
                        date(three_years)
                    ),
                );
            }
            if row.ground_notice_on.is_none() {
                row.error(
                    Col::GroundNotice,
                    "Leietiden er kortere enn tre år. Oppgi datoen leietakeren fikk skriftlig varsel etter husleieloven § 11-1 (før signering).",
                );
            }
        }
    }
    if let (Some(notice), Some(signed)) = (row.ground_notice_on, row.signed_on) {
        if notice >= signed {
            row.error(
                Col::GroundNotice,
                format!(
                    "Varselet etter § 11-1 må være gitt før leiekontrakten ble signert ({}).",
                    date(signed)
                ),
            );
        }
    }

    // Rent and deposit (§ 3-5).
    let rent_raw = cell(Col::Rent);
    if rent_raw.is_empty() {
        row.error(Col::Rent, "Månedsleie må fylles ut.");
    }
    row.monthly_rent = amount_cell(&mut row, Col::Rent, &rent_raw).unwrap_or(0);
    parse_deposit(&mut row, cell);

    // Status: active, notice given (by the tenant) or ended.
    let status_raw = cell(Col::Status);
    row.status = match status_word(&status_raw) {
        Some(s) => s,
        None => {
            row.error(
                Col::Status,
                format!("Ukjent status «{status_raw}». Bruk aktiv, oppsagt eller avsluttet."),
            );
            LineStatus::Active
        }
    };
    let given = date_cell(&mut row, Col::NoticeGiven, &cell(Col::NoticeGiven));
    let effective = date_cell(&mut row, Col::NoticeEffective, &cell(Col::NoticeEffective));
    let ended = date_cell(&mut row, Col::Ended, &cell(Col::Ended));
    let reason_raw = cell(Col::EndReason);
    let reason = if reason_raw.is_empty() {
        None
    } else {
        let r = end_reason_word(&reason_raw);
        if r.is_none() {
            row.error(
                Col::EndReason,
                format!(
                    "Ukjent årsak «{reason_raw}». Bruk egen bolig, annen kommunal bolig, institusjon, utkastelse, død eller annet."
                ),
            );
        }
        r
    };
    let start = row.starts_on;
    match row.status {
        LineStatus::Active => {
            for (c, v) in [
                (Col::NoticeGiven, given),
                (Col::NoticeEffective, effective),
                (Col::Ended, ended),
            ] {
                if v.is_some() {
                    row.error(
                        c,
                        "Hører bare til status oppsagt eller avsluttet. Sett riktig status eller tøm cellen.",
                    );
                }
            }
        }
        LineStatus::NoticeGiven => {
            let given = history_date(
                &mut row,
                (Col::NoticeGiven, given),
                (start, today),
                [
                    "Status oppsagt: oppgi datoen leietakeren sa opp.",
                    "Oppsigelsesdatoen kan ikke være fram i tid.",
                    "Oppsigelsesdatoen kan ikke være før startdatoen.",
                ],
            );
            if let Some(g) = given {
                // § 9-6: three months from the end of the month notice was given in.
                let eff = effective.unwrap_or_else(|| rules::notice_effective_on(g));
                if eff < g {
                    row.error(
                        Col::NoticeEffective,
                        "Datoen leieforholdet opphører kan ikke være før oppsigelsesdatoen.",
                    );
                }
                row.notice_given_on = Some(g);
                row.notice_effective_on = Some(eff);
            }
        }
        LineStatus::Ended => {
            row.ended_on = history_date(
                &mut row,
                (Col::Ended, ended),
                (start, today),
                [
                    "Status avsluttet: oppgi datoen leieforholdet ble avsluttet.",
                    "Et avsluttet leieforhold kan ikke ha avsluttet dato fram i tid. Bruk status oppsagt.",
                    "Avsluttet dato kan ikke være før startdatoen.",
                ],
            );
            if reason_raw.is_empty() {
                row.error(
                    Col::EndReason,
                    "Status avsluttet: oppgi årsaken (egen bolig, annen kommunal bolig, institusjon, utkastelse, død eller annet).",
                );
            }
            row.end_reason = reason;
        }
    }
    row
}

/// A date in the tenancy's history (notice given, ended): required, not in the future and
/// not before the start; `messages` say so in that order.
fn history_date(
    row: &mut LeaseLine,
    (c, value): (Col, Option<NaiveDate>),
    (start, today): (Option<NaiveDate>, NaiveDate),
    messages: [&str; 3],
) -> Option<NaiveDate> {
    let problem = match value {
        None => Some(messages[0]),
        Some(d) if d > today => Some(messages[1]),
        Some(d) if start.is_some_and(|s| d < s) => Some(messages[2]),
        Some(_) => None,
    };
    match problem {
        Some(m) => {
            row.error(c, m);
            None
        }
        None => value,
    }
}

fn parse_deposit(row: &mut LeaseLine, cell: &dyn Fn(Col) -> String) {
    let kind_raw = cell(Col::DepositKind);
    let amount = amount_cell(row, Col::Deposit, &cell(Col::Deposit)).unwrap_or(0);
    let account: String = cell(Col::DepositAccount)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.')
        .collect();
    let bank = line_cell(row, Col::DepositBank, cell(Col::DepositBank), 200);
    let guarantor = line_cell(row, Col::Guarantor, cell(Col::Guarantor), 200);
    let reference = line_cell(
        row,
        Col::GuaranteeReference,
        cell(Col::GuaranteeReference),
        100,
    );
    let kind = if kind_raw.is_empty() {
        // Inferred from what is filled in.
        if amount == 0 {
            "none"
        } else if !account.is_empty() {
            "account"
        } else if !guarantor.is_empty() {
            "guarantee"
        } else {
            row.error(
                Col::DepositKind,
                "Oppgi om depositumet står på depositumskonto eller er en garanti.",
            );
            "none"
        }
    } else {
        deposit_kind_word(&kind_raw).unwrap_or_else(|| {
            row.error(
                Col::DepositKind,
                format!("Ukjent depositumstype «{kind_raw}». Bruk ingen, depositumskonto eller garanti."),
            );
            "none"
        })
    };
    match kind {
        "account" => {
            if amount == 0 {
                row.error(Col::Deposit, "Oppgi beløpet på depositumskontoen.");
            }
            if account.is_empty() {
                row.error(
                    Col::DepositAccount,
                    "Depositum på konto: oppgi kontonummeret (11 siffer).",
                );
            } else if !valid_account(&account) {
                row.error(
                    Col::DepositAccount,
                    "Kontonummeret er ikke gyldig. Et kontonummer har 11 siffer; kontroller sifrene.",
                );
            }
        }
        "guarantee" => {
            if amount == 0 {
                row.error(Col::Deposit, "Oppgi garantibeløpet.");
            }
            if guarantor.is_empty() {
                row.error(
                    Col::Guarantor,
                    "Garanti: oppgi hvem som stiller garantien (for eksempel NAV).",
                );
            }
        }
        _ => {
            if amount > 0 {
                row.error(
                    Col::DepositKind,
                    "Depositumstype «ingen» kan ikke ha et beløp.",
                );
            }
        }
    }
    if amount > 0 && !rules::deposit_allowed(amount, row.monthly_rent) {
        row.error(
            Col::Deposit,
            format!(
                "Depositum kan være høyst seks måneders leie (husleieloven § 3-5), her {}.",
                kroner(rules::MAX_DEPOSIT_MONTHS.saturating_mul(row.monthly_rent))
            ),
        );
    }
    row.deposit = Deposit {
        kind,
        amount,
        bank,
        account: if kind == "account" {
            account
        } else {
            String::new()
        },
        guarantor: if kind == "guarantee" {
            guarantor
        } else {
            String::new()
        },
        reference: if kind == "guarantee" {
            reference
        } else {
            String::new()
        },
    };
}

/// A synthetic national id (Skatteetaten's test numbers: month + 80) for the template.
fn example_national_id(day_month_year: &str) -> String {
    (100..999)
        .find_map(|i| complete_national_id(&format!("{day_month_year}{i:03}")))
        .unwrap_or_default()
}

/// The downloadable template: the header and three example lines (a three-year lease
/// with a deposit account, a shorter one with its § 11-1 basis and a NAV guarantee, and
/// an ended one).
pub fn template_rows(ground_example: &str) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = COLUMNS.iter().map(|(_, names)| names[0]).collect();
    let row = |cells: [&str; 24]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let nid1 = example_national_id("158575");
    let nid2 = example_national_id("039190");
    let rows = vec![
        row([
            "Moan omsorgsboliger",
            "H0101",
            "Åse Ødegård",
            &nid1,
            "",
            "900 12 345",
            "ase@eksempel.no",
            "01.03.2024",
            "28.02.2027",
            "8 500",
            "Depositumskonto",
            "25 500",
            "1503 12 34562",
            "SpareBank 1 SMN",
            "",
            "",
            "",
            "",
            "15.02.2024",
            "Aktiv",
            "",
            "",
            "",
            "",
        ]),
        row([
            "Moan omsorgsboliger",
            "H0102",
            "Bjørn Ås",
            "",
            "03.11.1990",
            "",
            "",
            "01.09.2025",
            "31.08.2027",
            "7 200",
            "Garanti",
            "21 600",
            "",
            "",
            "NAV Levanger",
            "G-2025-118",
            ground_example,
            "10.08.2025",
            "20.08.2025",
            "Aktiv",
            "",
            "",
            "",
            "",
        ]),
        row([
            "",
            "H0201",
            "Kari Ødegården",
            &nid2,
            "",
            "",
            "",
            "01.01.2020",
            "",
            "6 900",
            "Ingen",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "Avsluttet",
            "",
            "",
            "31.05.2024",
            "Egen bolig",
        ]),
    ];
    (header, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn grounds() -> (Grounds, Uuid) {
        let id = Uuid::now_v7();
        (Grounds::new([("Gjennomgangsbolig".to_string(), id)]), id)
    }

    fn template_file(delim: &str) -> String {
        let (h, rows) = template_rows("Gjennomgangsbolig");
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

    fn lines(header: &str, rows: &[&str]) -> Parsed {
        let mut s = header.to_string();
        for r in rows {
            s.push('\n');
            s.push_str(r);
        }
        parse(s.as_bytes(), &grounds().0, today())
    }

    fn messages(r: &LeaseLine) -> String {
        r.errors
            .iter()
            .map(LineError::text)
            .collect::<Vec<_>>()
            .join(" | ")
    }

    #[test]
    fn the_template_itself_reads_cleanly_in_both_encodings_and_separators() {
        let (g, gid) = grounds();
        let p = parse(template_file(";").as_bytes(), &g, today());
        assert!(p.file_errors.is_empty(), "{:?}", p.file_errors);
        assert_eq!(p.rows.len(), 3);
        for r in &p.rows {
            assert!(r.errors.is_empty(), "line {}: {}", r.line, messages(r));
        }
        let a = &p.rows[0];
        assert_eq!(a.tenant_name, "Åse Ødegård");
        assert_eq!(a.monthly_rent, 850_000);
        assert_eq!(a.deposit.kind, "account");
        assert_eq!(a.deposit.account, "15031234562");
        assert_eq!(a.lease_status(today()), "active");
        assert!(a.national_id.is_some());
        let b = &p.rows[1];
        assert_eq!(b.ground_id, Some(gid));
        assert_eq!(b.deposit.kind, "guarantee");
        assert_eq!(b.birth_date, NaiveDate::from_ymd_opt(1990, 11, 3));
        let c = &p.rows[2];
        assert_eq!(c.lease_status(today()), "ended");
        assert_eq!(c.end_reason, Some("own_home"));
        assert_eq!(c.occupied_until(), NaiveDate::from_ymd_opt(2024, 5, 31));

        let comma = template_file(",");
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&comma);
        assert!(std::str::from_utf8(&bytes).is_err(), "æøå in Windows-1252");
        let p = parse(&bytes, &g, today());
        assert_eq!((p.encoding, p.delimiter), ("Windows-1252", ','));
        assert_eq!(p.error_count(), 0, "{:?}", p.rows[0].errors);
        assert_eq!(p.rows[0].tenant_name, "Åse Ødegård");
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend(template_file(";").as_bytes());
        let p = parse(&bom, &g, today());
        assert_eq!((p.encoding, p.error_count()), ("UTF-8", 0));
    }

    const H: &str = "Bruksenhetsnummer;Leietaker;Fødselsnummer;Fødselsdato;Startdato;Sluttdato;Månedsleie;Depositumstype;Depositum;Depositumskonto;Garantist;Grunnlag § 11-1;Varsel § 11-1 dato;Signert dato;Status;Oppsagt dato;Avsluttet dato;Avslutningsårsak";

    #[test]
    fn each_rule_names_its_line_and_column() {
        let p = lines(
            H,
            &[
                // Short term without ground and notice.
                "H0101;Ola;;01.01.1980;01.01.2026;31.12.2026;8000;;;;;;;;;;;",
                // Deposit above six months.
                "H0102;Ola;;01.01.1980;01.01.2026;;8000;garanti;48001;;NAV;;;;;;;",
                // Wrong national id, unknown ground, notice after signing.
                "H0103;Ola;01019012345;;01.01.2026;31.12.2026;8000;;;;;Slott;02.01.2026;01.01.2026;;;;",
                // Ended without reason; unknown status.
                "H0104;Ola;;01.01.1980;01.01.2020;;8000;;;;;;;;avsluttet;;01.01.2024;",
                "H0105;Ola;;01.01.1980;01.01.2020;;8000;;;;;;;;kanskje;;;",
                // Deposit account with a wrong check digit.
                "H0106;Ola;;01.01.1980;01.01.2020;;8000;konto;8000;15031234560;;;;;;;;",
            ],
        );
        assert!(p.file_errors.is_empty(), "{:?}", p.file_errors);
        let m: Vec<String> = p.rows.iter().map(messages).collect();
        assert_eq!(p.rows[0].line, 2);
        assert!(
            m[0].contains("Kolonne «Grunnlag § 11-1»: Leietiden er kortere enn tre år"),
            "{}",
            m[0]
        );
        assert!(m[0].contains("Kolonne «Varsel § 11-1 dato»"), "{}", m[0]);
        assert!(
            m[1].contains("Kolonne «Depositum»: Depositum kan være høyst seks måneders leie"),
            "{}",
            m[1]
        );
        assert!(
            m[2].contains("Kolonne «Fødselsnummer»: Nummeret er ikke gyldig"),
            "{}",
            m[2]
        );
        assert!(m[2].contains("Ukjent grunnlag «Slott»"), "{}", m[2]);
        assert!(m[2].contains("før leiekontrakten ble signert"), "{}", m[2]);
        assert!(m[3].contains("Kolonne «Avslutningsårsak»"), "{}", m[3]);
        assert!(m[4].contains("Ukjent status «kanskje»"), "{}", m[4]);
        assert!(m[5].contains("Kontonummeret er ikke gyldig"), "{}", m[5]);
        assert_eq!(p.error_count(), 6);
        // Exactly six months is lawful; three years needs no basis.
        let p = lines(
            H,
            &[
                "H0102;Ola;;01.01.1980;01.01.2026;;8000;garanti;48000;;NAV;;;;;;;",
                "H0101;Ola;;01.01.1980;01.01.2026;31.12.2028;8000;;;;;;;;;;;",
            ],
        );
        assert_eq!(p.error_count(), 0, "{}", messages(&p.rows[0]));
    }

    #[test]
    fn notice_given_runs_to_the_section_9_6_date_and_future_leases_are_signed() {
        let p = lines(
            H,
            &[
                "H0101;Ola;;01.01.1980;01.01.2024;31.12.2026;8000;;;;;;;;oppsagt;15.11.2026;;",
                "H0102;Kari;;01.01.1980;01.01.2027;31.12.2029;8000;;;;;;;01.11.2026;;;;",
            ],
        );
        assert_eq!(p.error_count(), 0, "{}", messages(&p.rows[0]));
        assert_eq!(
            p.rows[0].notice_effective_on,
            NaiveDate::from_ymd_opt(2027, 2, 28)
        );
        assert_eq!(p.rows[0].lease_status(today()), "notice_given");
        assert_eq!(p.rows[1].lease_status(today()), "signed");
    }

    #[test]
    fn missing_columns_are_file_errors() {
        let p = parse(b"Bruksenhetsnummer;Farge\nA;B\n", &grounds().0, today());
        assert!(p
            .file_errors
            .iter()
            .any(|e| e.contains("Ukjent kolonne «Farge»")));
        assert!(p
            .file_errors
            .iter()
            .any(|e| e.contains("«Startdato» mangler")));
        assert!(p
            .file_errors
            .iter()
            .any(|e| e.contains("«Fødselsnummer» eller «Fødselsdato»")));
        assert_eq!(
            parse(b"", &grounds().0, today()).file_errors,
            vec!["Filen er tom.".to_string()]
        );
    }

    #[test]
    fn account_numbers_have_a_mod_11_check_digit() {
        assert!(valid_account("15031234562"));
        assert!(!valid_account("15031234560"));
        assert!(!valid_account("1503123456"));
    }
}
