//! Dwellings: owner types, statuses and their transitions, condition grades, and the
//! validation of property, unit, status and assessment forms. Pure rules, no I/O.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::municipalities::model::valid_postcode;
use crate::web::format::{parse_date, parse_kroner};
use crate::web::forms::{text, FormErrors};

/// Who owns a property, and so on what terms the municipality allocates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "property_owner_type", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum OwnerType {
    Municipality,
    MunicipalCompany,
    AllocationRight,
    Leased,
}

impl OwnerType {
    pub const ALL: [OwnerType; 4] = [
        OwnerType::Municipality,
        OwnerType::MunicipalCompany,
        OwnerType::AllocationRight,
        OwnerType::Leased,
    ];

    pub fn key(&self) -> &'static str {
        match self {
            OwnerType::Municipality => "municipality",
            OwnerType::MunicipalCompany => "municipal_company",
            OwnerType::AllocationRight => "allocation_right",
            OwnerType::Leased => "leased",
        }
    }

    pub fn from_key(k: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.key() == k)
    }

    pub fn label(&self) -> &'static str {
        match self {
            OwnerType::Municipality => "Kommunen",
            OwnerType::MunicipalCompany => "Kommunalt foretak (KF/AS)",
            OwnerType::AllocationRight => "Borettslag eller privat aktør med tildelingsrett",
            OwnerType::Leased => "Innleid fra privat utleier for framleie",
        }
    }

    /// Short words accepted in an imported spreadsheet.
    fn from_import(s: &str) -> Option<Self> {
        let s = s.trim().to_lowercase();
        Self::ALL
            .into_iter()
            .find(|o| o.key() == s || o.label().to_lowercase() == s)
            .or(match s.as_str() {
                "kommune" | "kommunal" | "kommunen" | "eid" => Some(OwnerType::Municipality),
                "kf" | "foretak" | "boligforetak" | "kommunalt foretak" => {
                    Some(OwnerType::MunicipalCompany)
                }
                "tildelingsrett" | "borettslag" | "privat med tildelingsrett" => {
                    Some(OwnerType::AllocationRight)
                }
                "innleid" | "framleie" | "innleie" => Some(OwnerType::Leased),
                _ => None,
            })
    }
}

/// Where a unit is in its life. Leases will drive let/notice given later; until then people
/// set it, and only along [`Status::may_become`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[sqlx(type_name = "dwelling_status", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Vacant,
    Let,
    NoticeGiven,
    Reserved,
    Maintenance,
    ToBeSold,
    Sold,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Vacant,
        Status::Let,
        Status::NoticeGiven,
        Status::Reserved,
        Status::Maintenance,
        Status::ToBeSold,
        Status::Sold,
    ];

    pub fn key(&self) -> &'static str {
        match self {
            Status::Vacant => "vacant",
            Status::Let => "let",
            Status::NoticeGiven => "notice_given",
            Status::Reserved => "reserved",
            Status::Maintenance => "maintenance",
            Status::ToBeSold => "to_be_sold",
            Status::Sold => "sold",
        }
    }

    pub fn from_key(k: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == k)
    }

    pub fn label(&self) -> &'static str {
        match self {
            Status::Vacant => "Ledig",
            Status::Let => "Utleid",
            Status::NoticeGiven => "Oppsagt",
            Status::Reserved => "Reservert",
            Status::Maintenance => "Under vedlikehold",
            Status::ToBeSold => "Skal selges",
            Status::Sold => "Solgt/avhendet",
        }
    }

    /// Designsystemet colour of the status tag.
    pub fn color(&self) -> &'static str {
        match self {
            Status::Vacant => "success",
            Status::Let => "neutral",
            Status::NoticeGiven | Status::Reserved => "warning",
            Status::Maintenance => "info",
            Status::ToBeSold | Status::Sold => "danger",
        }
    }

    fn from_import(s: &str) -> Option<Self> {
        let s = s.trim().to_lowercase();
        Self::ALL
            .into_iter()
            .find(|st| st.key() == s || st.label().to_lowercase() == s)
            .or(match s.as_str() {
                "" => Some(Status::Vacant),
                "ledig nå" => Some(Status::Vacant),
                "utleid" | "bebodd" | "i bruk" => Some(Status::Let),
                "sagt opp" | "oppsigelse" => Some(Status::NoticeGiven),
                "vedlikehold" | "oppussing" | "rehabilitering" => Some(Status::Maintenance),
                "til salg" | "selges" => Some(Status::ToBeSold),
                "solgt" | "avhendet" | "revet" | "utgått" => Some(Status::Sold),
                _ => None,
            })
    }

    /// The statuses a unit in this status may move to. Sold/removed is final; a unit is
    /// reserved only while vacant; let → notice given → vacant is the normal way out.
    pub fn may_become(&self) -> &'static [Status] {
        use Status::*;
        match self {
            Vacant => &[Let, Reserved, Maintenance, ToBeSold],
            Reserved => &[Let, Vacant],
            Let => &[NoticeGiven, Vacant, Maintenance],
            NoticeGiven => &[Vacant, Let, Maintenance, ToBeSold],
            Maintenance => &[Vacant, ToBeSold],
            ToBeSold => &[Sold, Vacant, Maintenance],
            Sold => &[],
        }
    }

    pub fn can_become(&self, to: Status) -> bool {
        self.may_become().contains(&to)
    }

    /// Statuses in which a unit can have an expected date of becoming vacant.
    pub fn expects_vacancy(&self) -> bool {
        matches!(
            self,
            Status::Let | Status::NoticeGiven | Status::Maintenance | Status::Reserved
        )
    }

    pub fn is_let(&self) -> bool {
        matches!(self, Status::Let | Status::NoticeGiven)
    }
}

/// Explains why a change of status is refused.
pub fn transition_error(from: Status, to: Status) -> Option<String> {
    if from == to {
        return Some(format!("Boligen har allerede status «{}».", from.label()));
    }
    if from.can_become(to) {
        return None;
    }
    if from == Status::Sold {
        return Some("Boligen er solgt eller avhendet; status kan ikke endres.".into());
    }
    let allowed: Vec<&str> = from.may_become().iter().map(Status::label).collect();
    Some(format!(
        "En bolig med status «{}» kan ikke få status «{}». Mulige nye statuser: {}.",
        from.label(),
        to.label(),
        allowed.join(", ")
    ))
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[sqlx(type_name = "dwelling_condition", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    Good,
    Fair,
    Poor,
    VeryPoor,
}

impl Condition {
    pub const ALL: [Condition; 4] = [
        Condition::Good,
        Condition::Fair,
        Condition::Poor,
        Condition::VeryPoor,
    ];

    pub fn key(&self) -> &'static str {
        match self {
            Condition::Good => "good",
            Condition::Fair => "fair",
            Condition::Poor => "poor",
            Condition::VeryPoor => "very_poor",
        }
    }

    pub fn from_key(k: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == k)
    }

    pub fn label(&self) -> &'static str {
        match self {
            Condition::Good => "God",
            Condition::Fair => "Middels",
            Condition::Poor => "Dårlig",
            Condition::VeryPoor => "Svært dårlig",
        }
    }

    pub fn color(&self) -> &'static str {
        match self {
            Condition::Good => "success",
            Condition::Fair => "neutral",
            Condition::Poor => "warning",
            Condition::VeryPoor => "danger",
        }
    }

    fn from_import(s: &str) -> Option<Option<Self>> {
        let s = s.trim().to_lowercase();
        if s.is_empty() || s == "ikke vurdert" {
            return Some(None);
        }
        Self::ALL
            .into_iter()
            .find(|c| c.key() == s || c.label().to_lowercase() == s)
            .or(match s.as_str() {
                "tg0" | "tg 0" | "meget god" | "svært god" => Some(Condition::Good),
                "tg1" | "tg 1" | "ok" | "brukbar" => Some(Condition::Fair),
                "tg2" | "tg 2" => Some(Condition::Poor),
                "tg3" | "tg 3" | "veldig dårlig" => Some(Condition::VeryPoor),
                _ => None,
            })
            .map(Some)
    }
}

/// The common dwelling types of DOMAIN.md §3, in the order they are offered; the
/// municipality can rename, add and deactivate types.
pub const DEFAULT_TYPES: &[&str] = &[
    "Ordinær kommunal utleiebolig",
    "Gjennomgangsbolig",
    "Omsorgsbolig",
    "Omsorgsbolig med heldøgns omsorg",
    "Trygdebolig/velferdsbolig",
    "Bofellesskap",
    "Bokollektiv",
    "Robust bolig",
    "Midlertidig bolig/akutthybel",
    "Hybel",
    "Treningsleilighet",
    "Avlastningsbolig",
    "Barnebolig",
    "Trygghetsbolig",
    "Institusjonsplass",
];

pub const DEFAULT_ADAPTATIONS: &[&str] = &[
    "Trinnfri adkomst",
    "Tilpasset bad",
    "Trygghetsalarm",
    "Hev/senk-kjøkken",
    "Ekstra lydisolert",
    "Egen inngang",
    "Tilgang til felles oppholdsrom",
];

/// Area in tenths of a square metre (54,5 m² = 545), exact as stored in `numeric(4,1)`.
pub type AreaTenths = i32;

pub fn format_area(a: AreaTenths) -> String {
    if a % 10 == 0 {
        format!("{} m²", a / 10)
    } else {
        format!("{},{} m²", a / 10, a % 10)
    }
}

/// "54", "54,5", "54.5", "54 m2", "54 m²" → 545.
pub fn parse_area(s: &str) -> Option<AreaTenths> {
    let s = s
        .trim()
        .trim_end_matches("m²")
        .trim_end_matches("m2")
        .trim_end_matches("kvm")
        .trim()
        .replace('.', ",");
    let (whole, frac) = s.split_once(',').unwrap_or((&s, ""));
    if whole.is_empty()
        || whole.len() > 4
        || !whole.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i32 = whole.parse().ok()?;
    let tenths = match frac.len() {
        0 => 0,
        1 => frac.parse::<i32>().ok()?,
        // 54,25 → rounded to 54,3: areas are given to the tenth.
        _ => (frac.parse::<i32>().ok()? + 5) / 10,
    };
    Some(whole * 10 + tenths)
}

pub fn format_opt_date(d: Option<NaiveDate>) -> String {
    d.map(crate::web::format::date).unwrap_or_default()
}

/// Validators shared by the unit form and the spreadsheet import. Each returns the value
/// or a Norwegian message.
pub fn check_unit_number(raw: &str) -> Result<String, String> {
    let v: String = raw.trim().to_uppercase();
    if v.is_empty() {
        return Err("Bruksenhetsnummer må fylles ut, for eksempel H0101.".into());
    }
    let ok = v.len() <= 20
        && v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !ok {
        return Err(
            "Bruksenhetsnummer kan bare ha bokstaver (A–Z), tall og bindestrek, for eksempel H0101."
                .into(),
        );
    }
    Ok(v)
}

pub fn check_rooms(raw: &str) -> Result<i16, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Err("Antall rom må fylles ut.".into());
    }
    match v.parse::<i16>() {
        Ok(n) if (1..=10).contains(&n) => Ok(n),
        Ok(_) => Err("Antall rom må være mellom 1 og 10.".into()),
        Err(_) => Err("Antall rom må være et helt tall mellom 1 og 10.".into()),
    }
}

pub fn check_area(raw: &str) -> Result<AreaTenths, String> {
    if raw.trim().is_empty() {
        return Err("Areal må fylles ut.".into());
    }
    match parse_area(raw) {
        Some(a) if (100..=4000).contains(&a) => Ok(a),
        Some(_) => Err("Arealet må være mellom 10 og 400 m². Sjekk at det er oppgitt i hele kvadratmeter, ikke i dm² eller med feil komma.".into()),
        None => Err("Areal må være et tall i kvadratmeter, for eksempel 54 eller 54,5.".into()),
    }
}

pub fn check_floor(raw: &str) -> Result<Option<i16>, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let v = match v.to_lowercase().as_str() {
        "u" | "kjeller" | "sokkel" => "-1".to_string(),
        _ => v.to_string(),
    };
    match v.parse::<i16>() {
        Ok(n) if (-3..=60).contains(&n) => Ok(Some(n)),
        _ => Err(
            "Etasje må være et helt tall, for eksempel 1 for første etasje og -1 for kjeller."
                .into(),
        ),
    }
}

pub fn check_rent(raw: &str) -> Result<Option<i64>, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match parse_kroner(v) {
        Some(ore) if ore <= 10_000_000 => Ok(Some(ore)),
        Some(_) => Err("Månedsleien virker for høy. Oppgi leie per måned i kroner.".into()),
        None => {
            Err("Månedsleie må være et beløp i kroner, for eksempel 8 500 eller 8500,00.".into())
        }
    }
}

pub fn check_optional_date(raw: &str) -> Result<Option<NaiveDate>, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    parse_date(v)
        .map(Some)
        .ok_or_else(|| "Skriv datoen som dd.mm.åååå, for eksempel 31.01.2026.".into())
}

fn checked<T>(errors: &mut FormErrors, field: &'static str, r: Result<T, String>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(m) => {
            errors.add(field, m);
            None
        }
    }
}

/// A ticked checkbox sends a value (any); an unticked one sends nothing.
fn checkbox<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = <String as Deserialize>::deserialize(d)?;
    Ok(!v.is_empty())
}

/// A property of this name is already registered (`properties_name_key`).
pub const PROPERTY_NAME_TAKEN: &str = "Det finnes allerede en eiendom med dette navnet. Bruk et navn som skiller dem, for eksempel med gatenummer.";

/// The property already has a unit of this number (`dwellings_unit_key`).
pub const UNIT_NUMBER_TAKEN: &str =
    "Eiendommen har allerede en boenhet med dette bruksenhetsnummeret.";

/// An item of this name is already in the list of dwelling types or adaptations.
pub fn list_name_taken(name: &str) -> String {
    format!("«{name}» finnes allerede i listen.")
}

fn bool_field(f: &HashMap<String, String>, k: &str) -> bool {
    f.get(k).is_some_and(|v| !v.is_empty())
}

fn field(f: &HashMap<String, String>, k: &str) -> String {
    f.get(k).cloned().unwrap_or_default()
}

fn parse_uuid(raw: &str) -> Option<Uuid> {
    Uuid::parse_str(raw.trim()).ok()
}

// ----- Properties -----------------------------------------------------------------------

/// What the user typed into the property form (kept to re-render on errors).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PropertyForm {
    pub municipality: String,
    pub name: String,
    pub street_address: String,
    pub postcode: String,
    pub postal_place: String,
    pub area_id: String,
    pub gnr: String,
    pub bnr: String,
    pub owner_type: String,
    pub owner_name: String,
    pub agreement_ends: String,
    #[serde(deserialize_with = "checkbox")]
    pub has_lift: bool,
    pub notes: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PropertyInput {
    pub name: String,
    pub street_address: String,
    pub postcode: String,
    pub postal_place: String,
    pub area_id: Option<Uuid>,
    pub gnr: Option<i32>,
    pub bnr: Option<i32>,
    pub owner_type: OwnerType,
    pub owner_name: String,
    pub agreement_ends: Option<NaiveDate>,
    pub has_lift: bool,
    pub notes: String,
}

fn cadastral(raw: &str) -> Result<Option<i32>, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<i32>() {
        Ok(n) if (1..=99_999).contains(&n) => Ok(Some(n)),
        _ => Err("Gårds- og bruksnummer er hele tall, for eksempel 312 og 45.".into()),
    }
}

impl PropertyForm {
    pub fn version(&self) -> i32 {
        crate::web::extract::version(&self.version)
    }

    /// Validates; `area_ids` are the municipality's active areas.
    pub fn parse(&self, area_ids: &[Uuid]) -> Result<PropertyInput, FormErrors> {
        let mut e = FormErrors::new();
        let name = text(&mut e, "name", &self.name, true, 200, "Navn på eiendommen");
        let street_address = text(
            &mut e,
            "street_address",
            &self.street_address,
            true,
            200,
            "Gateadresse",
        );
        let postcode = self.postcode.trim().to_string();
        if postcode.is_empty() || !valid_postcode(&postcode) {
            e.add("postcode", "Postnummer må være fire siffer.");
        }
        let postal_place = text(
            &mut e,
            "postal_place",
            &self.postal_place,
            true,
            100,
            "Poststed",
        );
        let area_id = if self.area_id.trim().is_empty() {
            None
        } else {
            match parse_uuid(&self.area_id).filter(|id| area_ids.contains(id)) {
                Some(id) => Some(id),
                None => {
                    e.add("area_id", "Velg et område fra listen.");
                    None
                }
            }
        };
        let gnr = checked(&mut e, "gnr", cadastral(&self.gnr)).flatten();
        let bnr = checked(&mut e, "bnr", cadastral(&self.bnr)).flatten();
        if gnr.is_some() != bnr.is_some() && !e.has("gnr") && !e.has("bnr") {
            e.add(
                "gnr",
                "Oppgi både gårdsnummer og bruksnummer, eller ingen av dem.",
            );
        }
        let owner_type = OwnerType::from_key(self.owner_type.trim());
        if owner_type.is_none() {
            e.add("owner_type", "Velg hvem som eier boligene.");
        }
        let owner_name = text(
            &mut e,
            "owner_name",
            &self.owner_name,
            false,
            200,
            "Eierens navn",
        );
        let agreement_ends = checked(
            &mut e,
            "agreement_ends",
            check_optional_date(&self.agreement_ends),
        )
        .flatten();
        if owner_type == Some(OwnerType::AllocationRight)
            && agreement_ends.is_none()
            && !e.has("agreement_ends")
        {
            e.add(
                "agreement_ends",
                "Oppgi når tildelingsretten utløper (dato i avtalen).",
            );
        }
        if owner_type.is_some_and(|o| o != OwnerType::Municipality) && owner_name.is_empty() {
            e.add(
                "owner_name",
                "Oppgi navnet på foretaket, borettslaget eller utleieren.",
            );
        }
        let notes = text(&mut e, "notes", &self.notes, false, 4000, "Merknader");
        match owner_type {
            Some(owner_type) if e.is_empty() => Ok(PropertyInput {
                name,
                street_address,
                postcode,
                postal_place,
                area_id,
                gnr,
                bnr,
                owner_type,
                owner_name,
                agreement_ends,
                has_lift: self.has_lift,
                notes,
            }),
            _ => Err(e),
        }
    }
}

// ----- Units ----------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
pub struct UnitForm {
    pub property_id: String,
    pub unit_number: String,
    pub dwelling_type_id: String,
    pub rooms: String,
    pub area: String,
    pub floor: String,
    pub wheelchair_accessible: bool,
    pub staff_base: bool,
    pub adaptations: Vec<String>,
    pub monthly_rent: String,
    pub condition: String,
    pub condition_assessed_on: String,
    pub status: String,
    pub expected_vacant_from: String,
    pub notes: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnitInput {
    pub unit_number: String,
    pub dwelling_type_id: Uuid,
    pub rooms: i16,
    pub area: AreaTenths,
    pub floor: Option<i16>,
    pub wheelchair_accessible: bool,
    pub staff_base: bool,
    pub adaptations: Vec<Uuid>,
    pub monthly_rent: Option<i64>,
    pub condition: Option<Condition>,
    pub condition_assessed_on: Option<NaiveDate>,
    pub notes: String,
}

/// A new unit: its data and the status it starts in.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUnit {
    pub unit: UnitInput,
    pub status: Status,
    pub expected_vacant_from: Option<NaiveDate>,
}

impl UnitForm {
    /// From form pairs; adaptations come as repeated `adaptation` fields.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let f: HashMap<String, String> = pairs.iter().cloned().collect();
        UnitForm {
            property_id: field(&f, "property_id"),
            unit_number: field(&f, "unit_number"),
            dwelling_type_id: field(&f, "dwelling_type_id"),
            rooms: field(&f, "rooms"),
            area: field(&f, "area"),
            floor: field(&f, "floor"),
            wheelchair_accessible: bool_field(&f, "wheelchair_accessible"),
            staff_base: bool_field(&f, "staff_base"),
            adaptations: pairs
                .iter()
                .filter(|(k, _)| k == "adaptation")
                .map(|(_, v)| v.clone())
                .collect(),
            monthly_rent: field(&f, "monthly_rent"),
            condition: field(&f, "condition"),
            condition_assessed_on: field(&f, "condition_assessed_on"),
            status: field(&f, "status"),
            expected_vacant_from: field(&f, "expected_vacant_from"),
            notes: field(&f, "notes"),
            version: field(&f, "version"),
        }
    }

    pub fn version(&self) -> i32 {
        crate::web::extract::version(&self.version)
    }

    pub fn has_adaptation(&self, id: &Uuid) -> bool {
        let id = id.to_string();
        self.adaptations.contains(&id)
    }

    /// Validates the unit's data; `type_ids` and `adaptation_ids` are the municipality's
    /// active lists (an inactive type the unit already has stays allowed: pass it too).
    pub fn parse(
        &self,
        type_ids: &[Uuid],
        adaptation_ids: &[Uuid],
        today: NaiveDate,
    ) -> Result<UnitInput, FormErrors> {
        let mut e = FormErrors::new();
        let unit_number = checked(&mut e, "unit_number", check_unit_number(&self.unit_number));
        let dwelling_type_id =
            parse_uuid(&self.dwelling_type_id).filter(|id| type_ids.contains(id));
        if dwelling_type_id.is_none() {
            e.add("dwelling_type_id", "Velg boligtype.");
        }
        let rooms = checked(&mut e, "rooms", check_rooms(&self.rooms));
        let area = checked(&mut e, "area", check_area(&self.area));
        let floor = checked(&mut e, "floor", check_floor(&self.floor)).flatten();
        let mut adaptations = Vec::new();
        for a in &self.adaptations {
            match parse_uuid(a).filter(|id| adaptation_ids.contains(id)) {
                Some(id) if !adaptations.contains(&id) => adaptations.push(id),
                Some(_) => {}
                None => e.add("adaptations", "Velg tilpasninger fra listen."),
            }
        }
        let monthly_rent =
            checked(&mut e, "monthly_rent", check_rent(&self.monthly_rent)).flatten();
        let condition = if self.condition.trim().is_empty() {
            None
        } else {
            let c = Condition::from_key(self.condition.trim());
            if c.is_none() {
                e.add("condition", "Velg tilstandsgrad fra listen.");
            }
            c
        };
        let condition_assessed_on = checked(
            &mut e,
            "condition_assessed_on",
            check_optional_date(&self.condition_assessed_on),
        )
        .flatten();
        if let Some(d) = condition_assessed_on {
            if d > today {
                e.add(
                    "condition_assessed_on",
                    "Datoen for siste tilstandsvurdering kan ikke være fram i tid.",
                );
            }
            if condition.is_none() && !e.has("condition") {
                e.add(
                    "condition",
                    "Velg tilstandsgraden som ble satt ved vurderingen.",
                );
            }
        }
        let notes = text(&mut e, "notes", &self.notes, false, 4000, "Merknader");
        if !e.is_empty() {
            return Err(e);
        }
        match (unit_number, dwelling_type_id, rooms, area) {
            (Some(unit_number), Some(dwelling_type_id), Some(rooms), Some(area)) => Ok(UnitInput {
                unit_number,
                dwelling_type_id,
                rooms,
                area,
                floor,
                wheelchair_accessible: self.wheelchair_accessible,
                staff_base: self.staff_base,
                adaptations,
                monthly_rent,
                condition,
                condition_assessed_on,
                notes,
            }),
            _ => Err(e),
        }
    }

    /// A new unit: the data plus its starting status (any but sold).
    pub fn parse_new(
        &self,
        type_ids: &[Uuid],
        adaptation_ids: &[Uuid],
        today: NaiveDate,
    ) -> Result<NewUnit, FormErrors> {
        let unit = self.parse(type_ids, adaptation_ids, today);
        let mut e = unit.clone().err().unwrap_or_default();
        let status = match Status::from_key(self.status.trim()) {
            Some(Status::Sold) | None => {
                e.add(
                    "status",
                    "Velg status. En ny bolig kan ikke registreres som solgt.",
                );
                None
            }
            s => s,
        };
        let expected = checked(
            &mut e,
            "expected_vacant_from",
            check_expected_vacant(status, &self.expected_vacant_from),
        )
        .flatten();
        match (unit, status) {
            (Ok(unit), Some(status)) if e.is_empty() => Ok(NewUnit {
                unit,
                status,
                expected_vacant_from: expected,
            }),
            _ => Err(e),
        }
    }
}

/// "Expected vacant from" belongs only to statuses that end in a vacancy.
pub fn check_expected_vacant(
    status: Option<Status>,
    raw: &str,
) -> Result<Option<NaiveDate>, String> {
    let d = check_optional_date(raw)?;
    match (status, d) {
        (Some(s), Some(_)) if !s.expects_vacancy() => Err(format!(
            "«Forventet ledig fra» brukes bare når boligen er utleid, oppsagt, reservert eller under vedlikehold, ikke når den er «{}».",
            s.label()
        )),
        (_, d) => Ok(d),
    }
}

// ----- Status change --------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub effective_on: String,
    #[serde(default)]
    pub expected_vacant_from: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub version: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub to: Status,
    pub effective_on: NaiveDate,
    pub expected_vacant_from: Option<NaiveDate>,
    pub reason: String,
}

impl StatusForm {
    pub fn version(&self) -> i32 {
        crate::web::extract::version(&self.version)
    }

    pub fn parse(&self, current: Status, today: NaiveDate) -> Result<StatusChange, FormErrors> {
        let mut e = FormErrors::new();
        let to = Status::from_key(self.status.trim());
        match to {
            None => e.add("status", "Velg ny status."),
            Some(to) => {
                if let Some(msg) = transition_error(current, to) {
                    e.add("status", msg);
                }
            }
        }
        let effective_on = if self.effective_on.trim().is_empty() {
            Some(today)
        } else {
            checked(
                &mut e,
                "effective_on",
                check_optional_date(&self.effective_on),
            )
            .flatten()
        };
        if let Some(d) = effective_on {
            if (d - today).num_days().abs() > 366 {
                e.add(
                    "effective_on",
                    "Datoen endringen gjelder fra må være innenfor ett år fra i dag.",
                );
            }
        }
        let expected = checked(
            &mut e,
            "expected_vacant_from",
            check_expected_vacant(to, &self.expected_vacant_from),
        )
        .flatten();
        if to == Some(Status::NoticeGiven) && expected.is_none() && !e.has("expected_vacant_from") {
            e.add(
                "expected_vacant_from",
                "Oppgi når boligen blir ledig (siste dag i oppsigelsestiden + 1).",
            );
        }
        let reason = text(&mut e, "reason", &self.reason, true, 1000, "Begrunnelse");
        match (to, effective_on) {
            (Some(to), Some(effective_on)) if e.is_empty() => Ok(StatusChange {
                to,
                effective_on,
                expected_vacant_from: expected,
                reason,
            }),
            _ => Err(e),
        }
    }
}

// ----- Condition assessment -------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AssessmentForm {
    #[serde(default)]
    pub assessed_on: String,
    #[serde(default)]
    pub grade: String,
    #[serde(default)]
    pub findings: String,
    #[serde(default)]
    pub planned_action: String,
    #[serde(default)]
    pub cost_estimate: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub assessed_on: NaiveDate,
    pub grade: Condition,
    pub findings: String,
    pub planned_action: String,
    pub cost_estimate: Option<i64>,
}

impl AssessmentForm {
    pub fn parse(&self, today: NaiveDate) -> Result<Assessment, FormErrors> {
        let mut e = FormErrors::new();
        let assessed_on = match check_optional_date(&self.assessed_on) {
            Ok(Some(d)) if d > today => {
                e.add("assessed_on", "Vurderingsdatoen kan ikke være fram i tid.");
                None
            }
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                e.add("assessed_on", "Oppgi datoen boligen ble vurdert.");
                None
            }
            Err(m) => {
                e.add("assessed_on", m);
                None
            }
        };
        let grade = Condition::from_key(self.grade.trim());
        if grade.is_none() {
            e.add("grade", "Velg tilstandsgrad.");
        }
        let findings = text(&mut e, "findings", &self.findings, false, 4000, "Funn");
        let planned_action = text(
            &mut e,
            "planned_action",
            &self.planned_action,
            false,
            4000,
            "Planlagt tiltak",
        );
        let cost_estimate = if self.cost_estimate.trim().is_empty() {
            None
        } else {
            match parse_kroner(&self.cost_estimate) {
                Some(v) if v <= 100_000_000_000 => Some(v),
                _ => {
                    e.add(
                        "cost_estimate",
                        "Kostnadsoverslaget må være et beløp i kroner, for eksempel 150 000.",
                    );
                    None
                }
            }
        };
        if matches!(grade, Some(Condition::Poor | Condition::VeryPoor))
            && planned_action.is_empty()
            && !e.has("planned_action")
        {
            e.add(
                "planned_action",
                "Beskriv planlagt tiltak når tilstanden er dårlig eller svært dårlig.",
            );
        }
        match (assessed_on, grade) {
            (Some(assessed_on), Some(grade)) if e.is_empty() => Ok(Assessment {
                assessed_on,
                grade,
                findings,
                planned_action,
                cost_estimate,
            }),
            _ => Err(e),
        }
    }
}

/// A dwelling type or adaptation name typed by an administrator.
pub fn parse_list_name(field: &'static str, raw: &str) -> Result<String, FormErrors> {
    let mut e = FormErrors::new();
    let name = text(&mut e, field, raw, true, 100, "Navnet");
    if e.is_empty() {
        Ok(name)
    } else {
        Err(e)
    }
}

pub(super) mod import_words {
    //! Words from a spreadsheet cell, for the import (crate-internal).
    use super::*;

    pub fn owner_type(s: &str) -> Option<OwnerType> {
        OwnerType::from_import(s)
    }
    pub fn status(s: &str) -> Option<Status> {
        Status::from_import(s)
    }
    pub fn condition(s: &str) -> Option<Option<Condition>> {
        Condition::from_import(s)
    }
    pub fn yes_no(s: &str) -> Option<bool> {
        match s.trim().to_lowercase().as_str() {
            "" | "nei" | "n" | "0" | "false" | "no" => Some(false),
            "ja" | "j" | "1" | "x" | "true" | "yes" => Some(true),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn sold_is_final_and_reserved_only_from_vacant() {
        assert!(Status::Sold.may_become().is_empty());
        for s in Status::ALL {
            assert!(!s.can_become(s), "{s:?} → itself");
            if s.can_become(Status::Reserved) {
                assert_eq!(s, Status::Vacant);
            }
        }
        assert!(Status::Let.can_become(Status::NoticeGiven));
        assert!(Status::NoticeGiven.can_become(Status::Vacant));
        assert!(!Status::Let.can_become(Status::Reserved));
        assert!(!Status::Vacant.can_become(Status::Sold));
        assert!(Status::ToBeSold.can_become(Status::Sold));
        let msg = transition_error(Status::Sold, Status::Vacant).unwrap();
        assert!(msg.contains("solgt"));
        let msg = transition_error(Status::Let, Status::Reserved).unwrap();
        assert!(msg.contains("Mulige nye statuser: Oppsagt"), "{msg}");
        assert!(transition_error(Status::Vacant, Status::Vacant)
            .unwrap()
            .contains("allerede"));
    }

    #[test]
    fn every_status_but_sold_can_reach_vacant_again() {
        for s in Status::ALL {
            if s == Status::Sold {
                continue;
            }
            let mut seen = vec![s];
            let mut i = 0;
            while i < seen.len() {
                for n in seen[i].may_become() {
                    if !seen.contains(n) {
                        seen.push(*n);
                    }
                }
                i += 1;
            }
            assert!(seen.contains(&Status::Vacant), "{s:?}");
        }
    }

    #[test]
    fn keys_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::from_key(s.key()), Some(s));
            assert_eq!(Status::from_import(s.label()), Some(s));
        }
        for c in Condition::ALL {
            assert_eq!(Condition::from_key(c.key()), Some(c));
        }
        for o in OwnerType::ALL {
            assert_eq!(OwnerType::from_key(o.key()), Some(o));
        }
    }

    #[test]
    fn rooms_and_area_must_be_plausible() {
        assert_eq!(check_rooms("3"), Ok(3));
        assert!(check_rooms("0").unwrap_err().contains("mellom 1 og 10"));
        assert!(check_rooms("11").unwrap_err().contains("mellom 1 og 10"));
        assert!(check_rooms("2,5").unwrap_err().contains("helt tall"));
        assert!(check_rooms("").unwrap_err().contains("må fylles ut"));
        assert_eq!(check_area("54"), Ok(540));
        assert_eq!(check_area("54,5 m²"), Ok(545));
        assert_eq!(check_area("54.5"), Ok(545));
        assert_eq!(check_area("10"), Ok(100));
        assert_eq!(check_area("400"), Ok(4000));
        assert!(check_area("9,9").unwrap_err().contains("mellom 10 og 400"));
        assert!(check_area("5400").unwrap_err().contains("mellom 10 og 400"));
        assert!(check_area("stor").unwrap_err().contains("et tall"));
        assert_eq!(format_area(545), "54,5 m²");
        assert_eq!(format_area(540), "54 m²");
    }

    #[test]
    fn rent_is_parsed_to_ore() {
        assert_eq!(check_rent("8 500"), Ok(Some(850_000)));
        assert_eq!(check_rent("8500,00"), Ok(Some(850_000)));
        assert_eq!(check_rent(""), Ok(None));
        assert!(check_rent("åtte tusen").is_err());
        assert!(check_rent("1000000").is_err());
    }

    #[test]
    fn unit_numbers_are_normalised() {
        assert_eq!(check_unit_number(" h0101 "), Ok("H0101".into()));
        assert!(check_unit_number("H 01").is_err());
        assert!(check_unit_number("").is_err());
        assert!(check_unit_number(&"H".repeat(21)).is_err());
    }

    fn unit_form(t: Uuid) -> UnitForm {
        UnitForm {
            unit_number: "h0101".into(),
            dwelling_type_id: t.to_string(),
            rooms: "2".into(),
            area: "48,5".into(),
            floor: "1".into(),
            monthly_rent: "8 500".into(),
            status: "vacant".into(),
            ..Default::default()
        }
    }

    #[test]
    fn unit_form_validates_every_field() {
        let t = Uuid::now_v7();
        let a = Uuid::now_v7();
        let today = d("2026-03-01");
        let mut f = unit_form(t);
        f.adaptations = vec![a.to_string(), a.to_string()];
        let u = f.parse_new(&[t], &[a], today).unwrap();
        assert_eq!(u.unit.unit_number, "H0101");
        assert_eq!(u.unit.area, 485);
        assert_eq!(u.unit.monthly_rent, Some(850_000));
        assert_eq!(u.unit.adaptations, vec![a]);
        assert_eq!(u.status, Status::Vacant);

        let mut f = unit_form(t);
        f.rooms = "12".into();
        f.area = "4".into();
        f.dwelling_type_id = Uuid::now_v7().to_string();
        f.adaptations = vec!["x".into()];
        f.condition_assessed_on = "2027-01-01".into();
        f.status = "sold".into();
        f.expected_vacant_from = "01.05.2026".into();
        let e = f.parse_new(&[t], &[a], today).unwrap_err();
        for k in [
            "rooms",
            "area",
            "dwelling_type_id",
            "adaptations",
            "condition_assessed_on",
            "status",
        ] {
            assert!(e.has(k), "{k}");
        }

        let mut f = unit_form(t);
        f.expected_vacant_from = "01.05.2026".into();
        let e = f.parse_new(&[t], &[a], today).unwrap_err();
        assert!(e.get("expected_vacant_from").unwrap().contains("Ledig"));
    }

    #[test]
    fn status_form_follows_the_state_machine() {
        let today = d("2026-03-01");
        let f = StatusForm {
            status: "notice_given".into(),
            reason: "Leietaker har sagt opp".into(),
            expected_vacant_from: "01.06.2026".into(),
            ..Default::default()
        };
        let c = f.parse(Status::Let, today).unwrap();
        assert_eq!(c.to, Status::NoticeGiven);
        assert_eq!(c.effective_on, today);
        assert_eq!(c.expected_vacant_from, Some(d("2026-06-01")));
        let e = f.parse(Status::Vacant, today).unwrap_err();
        assert!(e.get("status").unwrap().contains("kan ikke få status"));
        let mut f2 = f.clone();
        f2.expected_vacant_from.clear();
        f2.reason.clear();
        let e = f2.parse(Status::Let, today).unwrap_err();
        assert!(e.has("expected_vacant_from"));
        assert!(e.has("reason"));
        let f3 = StatusForm {
            status: "vacant".into(),
            reason: "Flyttet ut".into(),
            expected_vacant_from: "01.06.2026".into(),
            ..Default::default()
        };
        assert!(f3
            .parse(Status::NoticeGiven, today)
            .unwrap_err()
            .has("expected_vacant_from"));
    }

    #[test]
    fn property_form_rules() {
        let area = Uuid::now_v7();
        let mut f = PropertyForm {
            name: "Moan omsorgsboliger".into(),
            street_address: "Moanvegen 12".into(),
            postcode: "7600".into(),
            postal_place: "Levanger".into(),
            area_id: area.to_string(),
            owner_type: "allocation_right".into(),
            owner_name: "Moan borettslag".into(),
            ..Default::default()
        };
        let e = f.parse(&[area]).unwrap_err();
        assert!(e
            .get("agreement_ends")
            .unwrap()
            .contains("tildelingsretten"));
        f.agreement_ends = "31.12.2040".into();
        let p = f.parse(&[area]).unwrap();
        assert_eq!(p.area_id, Some(area));
        f.gnr = "312".into();
        assert!(f.parse(&[area]).unwrap_err().has("gnr"));
        f.bnr = "45".into();
        f.postcode = "760".into();
        assert!(f.parse(&[area]).unwrap_err().has("postcode"));
        f.postcode = "7600".into();
        f.area_id = Uuid::now_v7().to_string();
        assert!(f.parse(&[area]).unwrap_err().has("area_id"));
    }

    #[test]
    fn poor_assessment_needs_a_plan() {
        let today = d("2026-03-01");
        let f = AssessmentForm {
            assessed_on: "2026-02-20".into(),
            grade: "very_poor".into(),
            cost_estimate: "250 000".into(),
            ..Default::default()
        };
        assert!(f.parse(today).unwrap_err().has("planned_action"));
        let f = AssessmentForm {
            planned_action: "Nytt bad".into(),
            ..f
        };
        let a = f.parse(today).unwrap();
        assert_eq!(a.cost_estimate, Some(25_000_000));
        assert_eq!(a.grade, Condition::VeryPoor);
    }
}
