//! Applications: identity numbers, the status machine, deadlines and form parsing.
//! Pure rules, no I/O. The words shown for codes (status, channel …) are the domain's
//! Norwegian vocabulary and live here so lists, letters and CSV files say the same.

use std::fmt;

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;
use uuid::Uuid;

use crate::web::format::{parse_date, parse_kroner};
use crate::web::forms::{line, text, FormErrors};

// ---------------------------------------------------------------------------------------
// Fødselsnummer and D-nummer

/// A validated Norwegian national identity number (fødselsnummer or D-nummer): 11 digits
/// whose two mod-11 check digits hold and whose first six digits are a date (day + 40 for
/// D-numbers; month + 40 for H-numbers and + 80 for Skatteetaten's synthetic test numbers).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NationalId(String);

const K1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const K2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/// The mod-11 check digit for `digits` with `weights`; None when the remainder is 1
/// (no valid check digit exists).
fn check_digit(digits: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k),
    }
}

impl NationalId {
    /// Accepts the number with or without spaces (`010190 12345`).
    pub fn parse(input: &str) -> Result<NationalId, &'static str> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if s.len() != 11 || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err("Fødselsnummer og D-nummer har 11 siffer.");
        }
        let d: Vec<u32> = s.chars().map(|c| c.to_digit(10).unwrap_or(0)).collect();
        if check_digit(&d[..9], &K1) != Some(d[9]) || check_digit(&d[..10], &K2) != Some(d[10]) {
            return Err("Nummeret er ikke gyldig. Kontroller at alle sifrene er riktige.");
        }
        let id = NationalId(s);
        if id.birth_date().is_none() {
            return Err("Nummeret er ikke gyldig: de seks første sifrene er ikke en dato.");
        }
        Ok(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn digit(&self, i: usize) -> u32 {
        self.0.as_bytes()[i] as u32 - b'0' as u32
    }

    pub fn is_d_number(&self) -> bool {
        self.digit(0) >= 4
    }

    /// The date of birth the number encodes (century from the individual number).
    pub fn birth_date(&self) -> Option<NaiveDate> {
        let mut day = self.digit(0) * 10 + self.digit(1);
        let mut month = self.digit(2) * 10 + self.digit(3);
        let yy = (self.digit(4) * 10 + self.digit(5)) as i32;
        let individual = self.digit(6) * 100 + self.digit(7) * 10 + self.digit(8);
        if day > 40 {
            day -= 40;
        }
        if month > 80 {
            month -= 80; // synthetic test numbers (Skatteetaten)
        } else if month > 40 {
            month -= 40; // H-numbers (helsevesenet) and synthetic numbers from NAV
        }
        let century = match individual {
            0..=499 => 1900,
            500..=749 if yy >= 54 => 1800,
            900..=999 if yy >= 40 => 1900,
            _ => 2000,
        };
        NaiveDate::from_ymd_opt(century + yy, month, day)
    }

    /// `DDMMYY*****`: what lists and letters show.
    pub fn masked(&self) -> String {
        format!("{}*****", &self.0[..6])
    }
}

impl fmt::Debug for NationalId {
    // Never print the whole number into logs or panic messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NationalId({})", self.masked())
    }
}

/// Masks a stored number for display; other text is shown as it is.
pub fn mask(national_id: Option<&str>) -> String {
    match national_id {
        Some(n) if n.len() == 11 => format!("{}*****", &n[..6]),
        Some(n) => n.to_owned(),
        None => String::new(),
    }
}

/// Makes the check digits for a nine-digit prefix (tests, demo data). None when the
/// prefix has no valid number.
pub fn complete_national_id(prefix9: &str) -> Option<String> {
    if prefix9.len() != 9 || !prefix9.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut d: Vec<u32> = prefix9
        .chars()
        .map(|c| c.to_digit(10).unwrap_or(0))
        .collect();
    let k1 = check_digit(&d, &K1)?;
    d.push(k1);
    let k2 = check_digit(&d, &K2)?;
    Some(format!("{prefix9}{k1}{k2}"))
}

// ---------------------------------------------------------------------------------------
// Status machine

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[sqlx(type_name = "application_status", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Received,
    UnderAssessment,
    ReadyForMeeting,
    Approved,
    PartlyApproved,
    Rejected,
    WaitingList,
    Offered,
    Housed,
    Withdrawn,
    ClosedWithoutDecision,
}

impl Status {
    pub const ALL: [Status; 11] = [
        Status::Received,
        Status::UnderAssessment,
        Status::ReadyForMeeting,
        Status::Approved,
        Status::PartlyApproved,
        Status::Rejected,
        Status::WaitingList,
        Status::Offered,
        Status::Housed,
        Status::Withdrawn,
        Status::ClosedWithoutDecision,
    ];

    /// Statuses in which the application is still being handled.
    pub const OPEN: [Status; 7] = [
        Status::Received,
        Status::UnderAssessment,
        Status::ReadyForMeeting,
        Status::Approved,
        Status::PartlyApproved,
        Status::WaitingList,
        Status::Offered,
    ];

    /// Not yet decided: the interim reply deadline (fvl. § 11a) runs.
    pub const UNDECIDED: [Status; 3] = [
        Status::Received,
        Status::UnderAssessment,
        Status::ReadyForMeeting,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::UnderAssessment => "under_assessment",
            Status::ReadyForMeeting => "ready_for_meeting",
            Status::Approved => "approved",
            Status::PartlyApproved => "partly_approved",
            Status::Rejected => "rejected",
            Status::WaitingList => "waiting_list",
            Status::Offered => "offered",
            Status::Housed => "housed",
            Status::Withdrawn => "withdrawn",
            Status::ClosedWithoutDecision => "closed_without_decision",
        }
    }

    pub fn from_key(k: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.key() == k)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Received => "Mottatt",
            Status::UnderAssessment => "Under kartlegging",
            Status::ReadyForMeeting => "Klar for tildelingsmøte",
            Status::Approved => "Innvilget",
            Status::PartlyApproved => "Delvis innvilget",
            Status::Rejected => "Avslått",
            Status::WaitingList => "På venteliste",
            Status::Offered => "Tilbud gitt",
            Status::Housed => "Bosatt (avsluttet)",
            Status::Withdrawn => "Trukket",
            Status::ClosedWithoutDecision => "Avsluttet uten vedtak",
        }
    }

    /// Designsystemet colour of the status tag.
    pub fn color(self) -> &'static str {
        match self {
            Status::Received | Status::UnderAssessment | Status::ReadyForMeeting => "info",
            Status::Approved | Status::PartlyApproved | Status::WaitingList | Status::Offered => {
                "success"
            }
            Status::Rejected => "danger",
            Status::Housed | Status::Withdrawn | Status::ClosedWithoutDecision => "neutral",
        }
    }

    pub fn is_open(self) -> bool {
        Status::OPEN.contains(&self)
    }

    pub fn is_decided(self) -> bool {
        !Status::UNDECIDED.contains(&self)
            && !matches!(self, Status::Withdrawn | Status::ClosedWithoutDecision)
    }

    /// Where a case may go from here. Withdrawal is possible from every open state;
    /// closing without a decision from every state before the decision.
    pub fn next(self) -> &'static [Status] {
        use Status::*;
        match self {
            Received => &[UnderAssessment, Withdrawn, ClosedWithoutDecision],
            UnderAssessment => &[ReadyForMeeting, Withdrawn, ClosedWithoutDecision],
            ReadyForMeeting => &[
                Approved,
                PartlyApproved,
                Rejected,
                UnderAssessment,
                Withdrawn,
                ClosedWithoutDecision,
            ],
            Approved | PartlyApproved => &[WaitingList, Withdrawn],
            WaitingList => &[Offered, Withdrawn],
            Offered => &[Housed, WaitingList, Withdrawn],
            Rejected | Housed | Withdrawn | ClosedWithoutDecision => &[],
        }
    }

    pub fn can_go_to(self, to: Status) -> bool {
        self.next().contains(&to)
    }

    /// Granted, partly granted, refused: reached only by sending a decision (fvl. § 23),
    /// never by the status form.
    pub fn is_decision_outcome(self) -> bool {
        matches!(
            self,
            Status::Approved | Status::PartlyApproved | Status::Rejected
        )
    }

    /// What the status form offers: the next statuses that are not decision outcomes.
    pub fn by_hand(self) -> Vec<Status> {
        self.next()
            .iter()
            .copied()
            .filter(|s| !s.is_decision_outcome())
            .collect()
    }

    /// Changes that must say why: ending a case, and steps back.
    pub fn needs_reason(from: Status, to: Status) -> bool {
        matches!(to, Status::Withdrawn | Status::ClosedWithoutDecision)
            || (from == Status::ReadyForMeeting && to == Status::UnderAssessment)
            || (from == Status::Offered && to == Status::WaitingList)
    }
}

/// The field of the status form a refused change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusField {
    /// The status asked for.
    NewStatus,
    /// The reason given for the change.
    StatusReason,
}

impl StatusField {
    /// The form field's name.
    pub fn name(self) -> &'static str {
        match self {
            StatusField::NewStatus => "new_status",
            StatusField::StatusReason => "status_reason",
        }
    }
}

/// Why a status change by hand was refused: the form field and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRefused {
    pub field: StatusField,
    pub message: &'static str,
}

fn refused(field: StatusField, message: &'static str) -> Result<(), TransitionRefused> {
    Err(TransitionRefused { field, message })
}

/// Checks a status change asked for through the status form.
pub fn check_transition(from: Status, to: Status, reason: &str) -> Result<(), TransitionRefused> {
    if to.is_decision_outcome() {
        return refused(
            StatusField::NewStatus,
            "Innvilget, delvis innvilget og avslått blir saken bare ved at et vedtak sendes. Skriv vedtaket under «Vedtak».",
        );
    }
    if !from.can_go_to(to) {
        return refused(
            StatusField::NewStatus,
            "Saken kan ikke gå til denne statusen fra statusen den har nå.",
        );
    }
    if Status::needs_reason(from, to) && reason.trim().is_empty() {
        return refused(
            StatusField::StatusReason,
            "Skriv en begrunnelse for endringen.",
        );
    }
    if reason.chars().count() > 2000 {
        return refused(
            StatusField::StatusReason,
            "Begrunnelsen kan ha høyst 2000 tegn.",
        );
    }
    Ok(())
}

/// How the applicant said the application is withdrawn.
pub const WITHDRAWAL_CHANNELS: &[(&str, &str)] = &[
    ("letter", "Brev"),
    ("email", "E-post"),
    ("phone", "Telefon"),
    ("in_person", "Oppmøte"),
    ("digital", "Digital melding"),
];

/// A withdrawal by the applicant: who said so, when and how (recorded in the journal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub by: String,
    pub on: NaiveDate,
    pub how: &'static str,
}

impl Withdrawal {
    pub fn summary(&self) -> String {
        format!(
            "Trukket etter melding fra {} {} ({})",
            self.by,
            self.on.format("%d.%m.%Y"),
            self.how.to_lowercase()
        )
    }
}

/// Checks the withdrawal fields; errors by field.
pub fn parse_withdrawal(
    by: &str,
    on: &str,
    how: &str,
    today: NaiveDate,
) -> Result<Withdrawal, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let by = by.trim();
    if by.is_empty() {
        errors.push((
            "withdrawn_by",
            "Skriv hvem som sa at søknaden trekkes (for eksempel «Søkeren selv»).".to_string(),
        ));
    } else if by.chars().count() > 200 || by.contains(['\n', '\r']) {
        errors.push((
            "withdrawn_by",
            "Skriv navnet på én linje, høyst 200 tegn.".into(),
        ));
    }
    let on = match crate::web::format::parse_date(on) {
        _ if on.trim().is_empty() => {
            errors.push(("withdrawn_on", "Skriv datoen søkeren ga beskjed.".into()));
            None
        }
        Some(d) if d > today => {
            errors.push(("withdrawn_on", "Datoen kan ikke være frem i tid.".into()));
            None
        }
        Some(d) => Some(d),
        None => {
            errors.push(("withdrawn_on", "Skriv datoen som dd.mm.åååå.".into()));
            None
        }
    };
    let how = WITHDRAWAL_CHANNELS
        .iter()
        .find(|(k, _)| *k == how)
        .map(|(_, label)| *label);
    if how.is_none() {
        errors.push(("withdrawn_how", "Velg hvordan søkeren ga beskjed.".into()));
    }
    match (on, how) {
        (Some(on), Some(how)) if errors.is_empty() => Ok(Withdrawal {
            by: by.to_string(),
            on,
            how,
        }),
        _ => Err(errors),
    }
}

// ---------------------------------------------------------------------------------------
// Deadlines (forvaltningsloven § 11a)

/// Days before the due date from which a case shows as "due soon".
pub const DUE_SOON_DAYS: i64 = 7;

/// The date an interim reply is due: one month after the case was received (the last
/// day of the month when the next month is shorter, as PostgreSQL computes it).
pub fn interim_due(received: NaiveDate) -> NaiveDate {
    received
        .checked_add_months(Months::new(1))
        .unwrap_or(received)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deadline {
    /// Decided, closed, or the interim reply was sent.
    None,
    Upcoming,
    DueSoon,
    /// Due today.
    Due,
    Overdue,
}

pub fn deadline(
    status: Status,
    interim_sent: Option<NaiveDate>,
    due: NaiveDate,
    today: NaiveDate,
) -> Deadline {
    if !Status::UNDECIDED.contains(&status) || interim_sent.is_some() {
        return Deadline::None;
    }
    let days_left = (due - today).num_days();
    if days_left < 0 {
        Deadline::Overdue
    } else if days_left == 0 {
        Deadline::Due
    } else if days_left <= DUE_SOON_DAYS {
        Deadline::DueSoon
    } else {
        Deadline::Upcoming
    }
}

// ---------------------------------------------------------------------------------------
// Code lists

pub const CHANNELS: &[(&str, &str)] = &[
    ("paper", "Papirskjema"),
    ("front_desk", "Skranke"),
    ("digital", "Digitalt skjema"),
    ("referral_nav", "Henvisning fra NAV"),
    (
        "referral_health",
        "Henvisning fra helse- og omsorgstjenesten",
    ),
];

pub const SITUATIONS: &[(&str, &str)] = &[
    ("without_home", "Uten bolig"),
    ("at_risk", "I ferd med å miste boligen"),
    ("unsuitable", "Bor i uegnet bolig eller bomiljø"),
];

pub const DWELLING_TYPES: &[(&str, &str)] = &[
    ("ordinary", "Ordinær kommunal utleiebolig"),
    ("transitional", "Gjennomgangsbolig"),
    ("care", "Omsorgsbolig"),
    ("care_24h", "Omsorgsbolig med heldøgns omsorg"),
    ("welfare", "Trygdebolig / velferdsbolig"),
    ("shared", "Bofellesskap / bokollektiv"),
    ("robust", "Robust bolig"),
    ("temporary", "Midlertidig bolig"),
    ("bedsit", "Hybel"),
];

pub const SERVICES: &[(&str, &str)] = &[
    ("home_care", "Hjemmesykepleie"),
    ("practical_help", "Praktisk bistand i hjemmet"),
    ("housing_guidance", "Boveiledning / oppfølging i hjemmet"),
    (
        "substance_mental",
        "Oppfølging fra rus- og psykisk helsetjeneste",
    ),
    ("safety_alarm", "Trygghetsalarm"),
];

pub const CARE_LEVELS: &[(&str, &str)] = &[
    ("none", "Ingen pleiebehov"),
    ("some", "Noe pleie- og omsorgsbehov"),
    ("extensive", "Stort pleie- og omsorgsbehov"),
];

pub const RELATIONS: &[(&str, &str)] = &[
    ("spouse", "Ektefelle / samboer"),
    ("child", "Barn i husstanden"),
    ("visiting_child", "Besøksbarn"),
    ("other_adult", "Annen voksen"),
    ("other_child", "Annet barn"),
];

pub const CONTACT_KINDS: &[(&str, &str)] = &[
    ("phone", "Telefon"),
    ("meeting", "Møte"),
    ("letter", "Brev"),
    ("email", "E-post"),
    ("digital", "Digital melding"),
];

pub const INDEPENDENCE_LEVELS: &[(&str, &str)] = &[
    ("", "Ikke vurdert"),
    ("independent", "Kan bo selvstendig"),
    ("some_support", "Kan bo selvstendig med oppfølging"),
    (
        "extensive_support",
        "Trenger tett oppfølging eller bemannet bolig",
    ),
];

/// Needs the case list can filter by.
pub const NEEDS: &[(&str, &str)] = &[
    ("wheelchair", "Rullestoltilgjengelig"),
    ("ground_floor", "Bolig på bakkeplan"),
    ("home_followup", "Oppfølging i hjemmet"),
    ("care", "Pleie- og omsorgsbehov"),
];

pub fn label_of(list: &'static [(&'static str, &'static str)], key: &str) -> &'static str {
    list.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

fn known(list: &[(&str, &str)], key: &str) -> bool {
    list.iter().any(|(k, _)| *k == key)
}

/// The default reason categories of the annual mapping, seeded for every municipality.
pub const DEFAULT_REASONS: &[&str] = &[
    "Uten bolig / bostedsløs",
    "Utkastelse eller oppsigelse",
    "Økonomiske problemer",
    "Rusproblemer",
    "Psykiske helseproblemer",
    "Fysisk funksjonsnedsettelse",
    "Behov for tilrettelagt bolig (alder)",
    "Flyktning / bosetting",
    "Ungdom ut fra barnevernet",
    "Løslatt fra fengsel",
    "Samlivsbrudd",
    "Vold eller trusler",
    "Uegnet bolig eller bomiljø",
];

/// The KOSTRA form 13 groups a reason can point to, as an administrator chooses them
/// (`application_reasons.kostra_group`; "" is stored as NULL and counts as "other"). A
/// case with both a mental health and a substance reason counts as "both".
pub const KOSTRA_GROUPS: &[(&str, &str)] = &[
    ("", "Annet (ingen særskilt gruppe)"),
    ("refugee", "Flyktninger"),
    ("mental_health", "Psykiske lidelser"),
    ("substance", "Rusproblemer"),
    ("adapted", "Behov for tilpasset bolig"),
];

/// The label of a stored KOSTRA group.
pub fn kostra_group_label(group: Option<&str>) -> &'static str {
    let key = group.unwrap_or("");
    KOSTRA_GROUPS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .unwrap_or("Annet (ingen særskilt gruppe)")
}

/// The KOSTRA form 13 group a default reason counts towards (`application_reasons.kostra_group`,
/// read by `reporting`); other reasons count as "other".
pub fn default_kostra_group(reason: &str) -> Option<&'static str> {
    match reason {
        "Flyktning / bosetting" => Some("refugee"),
        "Psykiske helseproblemer" => Some("mental_health"),
        "Rusproblemer" => Some("substance"),
        "Fysisk funksjonsnedsettelse" | "Behov for tilrettelagt bolig (alder)" => Some("adapted"),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Forms

/// Number of household rows on the registration form (more can be added on the case page).
pub const MEMBER_ROWS: usize = 6;

/// What the user typed for one person; kept as typed to re-render the form.
#[derive(Clone, Debug, Default)]
pub struct PersonForm {
    /// The person the row was filled from, when a saved record is edited (a lease draft's
    /// parties): a corrected name stays the same person.
    pub person: String,
    pub name: String,
    pub national_id: String,
    pub birth_date: String,
    pub phone: String,
    pub email: String,
    pub street_address: String,
    pub postcode: String,
    pub postal_place: String,
    pub relation: String,
}

/// A validated person: identified by number, or by date of birth when they have none.
#[derive(Clone, Debug)]
pub struct PersonInput {
    pub name: String,
    pub national_id: Option<NationalId>,
    pub birth_date: Option<NaiveDate>,
    pub phone: String,
    pub email: String,
    pub street_address: String,
    pub postcode: String,
    pub postal_place: String,
}

#[derive(Clone, Debug)]
pub struct MemberInput {
    pub person: PersonInput,
    pub relation: String,
}

/// Which field names a person's fields have on a form: `applicant_name` or `member_name_2`.
#[derive(Clone, Copy)]
pub enum PersonSlot {
    Applicant,
    Member(usize),
}

fn member_field(field: &'static str, i: usize) -> &'static str {
    // Field names must be 'static for FormErrors; the set is small and fixed.
    const NAMES: [[&str; MEMBER_ROWS]; 5] = [
        [
            "member_name_0",
            "member_name_1",
            "member_name_2",
            "member_name_3",
            "member_name_4",
            "member_name_5",
        ],
        [
            "member_national_id_0",
            "member_national_id_1",
            "member_national_id_2",
            "member_national_id_3",
            "member_national_id_4",
            "member_national_id_5",
        ],
        [
            "member_birth_date_0",
            "member_birth_date_1",
            "member_birth_date_2",
            "member_birth_date_3",
            "member_birth_date_4",
            "member_birth_date_5",
        ],
        [
            "member_relation_0",
            "member_relation_1",
            "member_relation_2",
            "member_relation_3",
            "member_relation_4",
            "member_relation_5",
        ],
        [
            "member_phone_0",
            "member_phone_1",
            "member_phone_2",
            "member_phone_3",
            "member_phone_4",
            "member_phone_5",
        ],
    ];
    let row = match field {
        "name" => 0,
        "national_id" => 1,
        "birth_date" => 2,
        "relation" => 3,
        _ => 4,
    };
    NAMES[row][i.min(MEMBER_ROWS - 1)]
}

/// Puts a household row's form value (`member_name_2` and so on, the names
/// [`PersonSlot::Member`] gives) into `members`; false when `key` is not one of them.
pub fn member_pair(members: &mut [PersonForm], key: &str, value: String) -> bool {
    let Some((field, i)) = key
        .strip_prefix("member_")
        .and_then(|rest| rest.rsplit_once('_'))
        .and_then(|(field, idx)| Some((field, idx.parse::<usize>().ok()?)))
    else {
        return false;
    };
    let Some(m) = members.get_mut(i) else {
        return false;
    };
    match field {
        "name" => m.name = value,
        "national_id" => m.national_id = value,
        "birth_date" => m.birth_date = value,
        "relation" => m.relation = value,
        "person" => m.person = value,
        _ => return false,
    }
    true
}

impl PersonSlot {
    pub fn field(self, f: &'static str) -> &'static str {
        match self {
            PersonSlot::Applicant => match f {
                "name" => "applicant_name",
                "national_id" => "applicant_national_id",
                "birth_date" => "applicant_birth_date",
                "phone" => "applicant_phone",
                "email" => "applicant_email",
                "street_address" => "applicant_street_address",
                "postcode" => "applicant_postcode",
                _ => "applicant_postal_place",
            },
            PersonSlot::Member(i) => member_field(f, i),
        }
    }
}

impl PersonForm {
    pub fn is_blank(&self) -> bool {
        self.name.trim().is_empty()
            && self.national_id.trim().is_empty()
            && self.birth_date.trim().is_empty()
    }

    /// Validates one person. `today` bounds the date of birth.
    pub fn parse(
        &self,
        e: &mut FormErrors,
        slot: PersonSlot,
        today: NaiveDate,
    ) -> Option<PersonInput> {
        let before = e.summary().len();
        let name = line(e, slot.field("name"), &self.name, true, 200, "Navn");
        let mut national_id = None;
        let nid = self.national_id.trim();
        if !nid.is_empty() {
            match NationalId::parse(nid) {
                Ok(n) => national_id = Some(n),
                Err(msg) => e.add(slot.field("national_id"), msg),
            }
        }
        let mut birth_date = None;
        let bd = self.birth_date.trim();
        if !bd.is_empty() {
            match parse_date(bd) {
                Some(d) if d <= today && d.year_ce().1 >= 1900 => birth_date = Some(d),
                Some(_) => e.add(
                    slot.field("birth_date"),
                    "Fødselsdatoen kan ikke være i framtiden eller før 1900.",
                ),
                None => e.add(
                    slot.field("birth_date"),
                    "Skriv fødselsdatoen som dd.mm.åååå, for eksempel 17.05.1985.",
                ),
            }
        }
        if nid.is_empty() && bd.is_empty() {
            e.add(
                slot.field("national_id"),
                "Fyll ut fødselsnummer eller D-nummer, eller fødselsdato hvis personen ikke har noen av dem.",
            );
        }
        if let (Some(n), Some(b)) = (&national_id, birth_date) {
            if n.birth_date() != Some(b) {
                e.add(
                    slot.field("birth_date"),
                    "Fødselsdatoen stemmer ikke med fødselsnummeret.",
                );
            }
        }
        let birth_date = birth_date.or_else(|| national_id.as_ref().and_then(|n| n.birth_date()));
        let (phone, email, street_address, postcode, postal_place) = match slot {
            PersonSlot::Applicant => {
                let phone = line(e, slot.field("phone"), &self.phone, false, 40, "Telefon");
                let email = line(e, slot.field("email"), &self.email, false, 254, "E-post");
                if !email.is_empty() && !crate::municipalities::model::plausible_email(&email) {
                    e.add(
                        slot.field("email"),
                        "E-postadressen ser ikke riktig ut. Eksempel: navn@eksempel.no",
                    );
                }
                let street = line(
                    e,
                    slot.field("street_address"),
                    &self.street_address,
                    false,
                    200,
                    "Adresse",
                );
                let postcode = self.postcode.trim().to_string();
                if !crate::municipalities::model::valid_postcode(&postcode) {
                    e.add(slot.field("postcode"), "Postnummer må være fire siffer.");
                }
                let place = line(
                    e,
                    slot.field("postal_place"),
                    &self.postal_place,
                    false,
                    100,
                    "Poststed",
                );
                (phone, email, street, postcode, place)
            }
            PersonSlot::Member(_) => Default::default(),
        };
        if e.summary().len() > before {
            return None;
        }
        Some(PersonInput {
            name,
            national_id,
            birth_date,
            phone,
            email,
            street_address,
            postcode,
            postal_place,
        })
    }
}

/// The registration form as typed. Parsed from the raw pairs, since checkbox groups send
/// the same name several times.
#[derive(Clone, Debug, Default)]
pub struct ApplicationForm {
    pub municipality: String,
    pub received_on: String,
    pub channel: String,
    pub dwelling_types: Vec<String>,
    pub services_wanted: Vec<String>,
    pub situation: String,
    pub situation_notes: String,
    pub reasons: Vec<String>,
    pub needs_wheelchair: bool,
    pub needs_ground_floor: bool,
    pub needs_home_followup: bool,
    pub care_level: String,
    pub wished_areas: Vec<String>,
    pub wishes_notes: String,
    pub monthly_income: String,
    pub economy_notes: String,
    pub consent_nav: bool,
    pub consent_health: bool,
    pub consent_other: String,
    pub consent_given_on: String,
    pub interpreter_needed: bool,
    pub interpreter_language: String,
    pub applicant: PersonForm,
    pub members: Vec<PersonForm>,
    pub confirm_duplicate: bool,
    pub version: String,
}

#[derive(Clone, Debug)]
pub struct ApplicationInput {
    pub received_on: NaiveDate,
    pub channel: String,
    pub dwelling_types: Vec<String>,
    pub services_wanted: Vec<String>,
    pub situation: String,
    pub situation_notes: String,
    pub reason_ids: Vec<Uuid>,
    pub needs_wheelchair: bool,
    pub needs_ground_floor: bool,
    pub needs_home_followup: bool,
    pub care_level: String,
    pub wished_area_ids: Vec<Uuid>,
    pub wishes_notes: String,
    pub monthly_income_ore: Option<i64>,
    pub economy_notes: String,
    pub consent_nav: bool,
    pub consent_health: bool,
    pub consent_other: String,
    pub consent_given_on: Option<NaiveDate>,
    pub interpreter_needed: bool,
    pub interpreter_language: String,
    pub applicant: PersonInput,
    pub members: Vec<MemberInput>,
}

impl ApplicationForm {
    pub fn from_pairs(pairs: &[(String, String)]) -> ApplicationForm {
        let mut f = ApplicationForm {
            members: vec![PersonForm::default(); MEMBER_ROWS],
            ..Default::default()
        };
        for (k, v) in pairs {
            let v = v.clone();
            match k.as_str() {
                "municipality" => f.municipality = v,
                "received_on" => f.received_on = v,
                "channel" => f.channel = v,
                "dwelling_types" => f.dwelling_types.push(v),
                "services_wanted" => f.services_wanted.push(v),
                "situation" => f.situation = v,
                "situation_notes" => f.situation_notes = v,
                "reasons" => f.reasons.push(v),
                "needs_wheelchair" => f.needs_wheelchair = true,
                "needs_ground_floor" => f.needs_ground_floor = true,
                "needs_home_followup" => f.needs_home_followup = true,
                "care_level" => f.care_level = v,
                "wished_areas" => f.wished_areas.push(v),
                "wishes_notes" => f.wishes_notes = v,
                "monthly_income" => f.monthly_income = v,
                "economy_notes" => f.economy_notes = v,
                "consent_nav" => f.consent_nav = true,
                "consent_health" => f.consent_health = true,
                "consent_other" => f.consent_other = v,
                "consent_given_on" => f.consent_given_on = v,
                "interpreter_needed" => f.interpreter_needed = true,
                "interpreter_language" => f.interpreter_language = v,
                "confirm_duplicate" => f.confirm_duplicate = true,
                "version" => f.version = v,
                "applicant_name" => f.applicant.name = v,
                "applicant_national_id" => f.applicant.national_id = v,
                "applicant_birth_date" => f.applicant.birth_date = v,
                "applicant_phone" => f.applicant.phone = v,
                "applicant_email" => f.applicant.email = v,
                "applicant_street_address" => f.applicant.street_address = v,
                "applicant_postcode" => f.applicant.postcode = v,
                "applicant_postal_place" => f.applicant.postal_place = v,
                other => {
                    member_pair(&mut f.members, other, v);
                }
            }
        }
        f
    }

    pub fn has(&self, list: &str, key: &str) -> bool {
        let v = match list {
            "dwelling_types" => &self.dwelling_types,
            "services_wanted" => &self.services_wanted,
            "reasons" => &self.reasons,
            _ => &self.wished_areas,
        };
        v.iter().any(|x| x == key)
    }

    /// Validates the form. `reasons` and `areas` are the ids offered on the form (active
    /// ones of the municipality); anything else is refused.
    pub fn parse(
        &self,
        today: NaiveDate,
        reasons: &[Uuid],
        areas: &[Uuid],
        public: bool,
    ) -> Result<ApplicationInput, FormErrors> {
        let mut e = FormErrors::new();
        let received_on = if public {
            Some(today)
        } else {
            match parse_date(&self.received_on) {
                Some(d) if d <= today && d >= today - chrono::Duration::days(365 * 3) => Some(d),
                Some(_) => {
                    e.add(
                        "received_on",
                        "Mottatt-datoen kan ikke være i framtiden eller mer enn tre år tilbake.",
                    );
                    None
                }
                None => {
                    e.add(
                        "received_on",
                        "Skriv datoen søknaden kom inn som dd.mm.åååå, for eksempel 03.11.2026.",
                    );
                    None
                }
            }
        };
        let channel = if public {
            "digital".to_string()
        } else {
            if !known(CHANNELS, &self.channel) {
                e.add("channel", "Velg hvordan søknaden kom inn.");
            }
            self.channel.clone()
        };
        let mut dwelling_types = Vec::new();
        for d in &self.dwelling_types {
            if known(DWELLING_TYPES, d) && !dwelling_types.contains(d) {
                dwelling_types.push(d.clone());
            } else if !known(DWELLING_TYPES, d) {
                e.add("dwelling_types", "Ukjent boligtype.");
            }
        }
        let mut services_wanted = Vec::new();
        for s in &self.services_wanted {
            if known(SERVICES, s) && !services_wanted.contains(s) {
                services_wanted.push(s.clone());
            } else if !known(SERVICES, s) {
                e.add("services_wanted", "Ukjent tjeneste.");
            }
        }
        if dwelling_types.is_empty() && services_wanted.is_empty() {
            e.add(
                "dwelling_types",
                "Velg minst én boligtype eller tjeneste det søkes om.",
            );
        }
        if !known(SITUATIONS, &self.situation) {
            e.add("situation", "Velg hvilken situasjon søkeren er i nå.");
        }
        let situation_notes = text(
            &mut e,
            "situation_notes",
            &self.situation_notes,
            false,
            4000,
            "Beskrivelsen av situasjonen",
        );
        let reason_ids = ids_from(
            &mut e,
            "reasons",
            &self.reasons,
            reasons,
            "Ukjent søknadsgrunn.",
        );
        let wished_area_ids = ids_from(
            &mut e,
            "wished_areas",
            &self.wished_areas,
            areas,
            "Ukjent område.",
        );
        let care_level = if self.care_level.is_empty() {
            "none".to_string()
        } else {
            if !known(CARE_LEVELS, &self.care_level) {
                e.add("care_level", "Velg pleie- og omsorgsbehov fra listen.");
            }
            self.care_level.clone()
        };
        let wishes_notes = text(
            &mut e,
            "wishes_notes",
            &self.wishes_notes,
            false,
            2000,
            "Andre ønsker",
        );
        let monthly_income_ore = if self.monthly_income.trim().is_empty() {
            None
        } else {
            match parse_kroner(&self.monthly_income) {
                Some(v) if v <= 10_000_000_000 => Some(v),
                _ => {
                    e.add(
                        "monthly_income",
                        "Skriv inntekten i hele kroner, for eksempel 18 500.",
                    );
                    None
                }
            }
        };
        let economy_notes = text(
            &mut e,
            "economy_notes",
            &self.economy_notes,
            false,
            4000,
            "Økonomi",
        );
        let consent_other = text(
            &mut e,
            "consent_other",
            &self.consent_other,
            false,
            500,
            "Samtykke til andre",
        );
        let any_consent = self.consent_nav || self.consent_health || !consent_other.is_empty();
        let consent_given_on = if self.consent_given_on.trim().is_empty() {
            if any_consent && !public {
                e.add(
                    "consent_given_on",
                    "Skriv datoen samtykket ble gitt, for eksempel 03.11.2026.",
                );
            }
            if public && any_consent {
                Some(today)
            } else {
                None
            }
        } else {
            match parse_date(&self.consent_given_on) {
                Some(d) if d <= today => Some(d),
                Some(_) => {
                    e.add(
                        "consent_given_on",
                        "Datoen for samtykket kan ikke være i framtiden.",
                    );
                    None
                }
                None => {
                    e.add(
                        "consent_given_on",
                        "Skriv datoen som dd.mm.åååå, for eksempel 03.11.2026.",
                    );
                    None
                }
            }
        };
        let interpreter_language = text(
            &mut e,
            "interpreter_language",
            &self.interpreter_language,
            self.interpreter_needed,
            100,
            "Språk",
        );
        let applicant = self.applicant.parse(&mut e, PersonSlot::Applicant, today);
        let mut members = Vec::new();
        let mut seen_ids: Vec<String> = applicant
            .as_ref()
            .and_then(|a| a.national_id.as_ref().map(|n| n.as_str().to_owned()))
            .into_iter()
            .collect();
        for (i, m) in self.members.iter().enumerate() {
            if m.is_blank() {
                continue;
            }
            let slot = PersonSlot::Member(i);
            if !known(RELATIONS, &m.relation) {
                e.add(
                    slot.field("relation"),
                    "Velg hvilken relasjon personen har til søkeren.",
                );
            }
            if let Some(p) = m.parse(&mut e, slot, today) {
                if let Some(n) = &p.national_id {
                    if seen_ids.iter().any(|s| s == n.as_str()) {
                        e.add(
                            slot.field("national_id"),
                            "Samme fødselsnummer er ført opp to ganger.",
                        );
                        continue;
                    }
                    seen_ids.push(n.as_str().to_owned());
                }
                members.push(MemberInput {
                    person: p,
                    relation: m.relation.clone(),
                });
            }
        }
        // Name the household member each message is about (the summary lists them all).
        for (i, m) in self.members.iter().enumerate() {
            let who = match m.name.trim() {
                "" => format!("Husstandsmedlem {}", i + 1),
                name => format!("Husstandsmedlem {} ({name})", i + 1),
            };
            let suffix = format!("_{i}");
            e.name_row(|f| f.starts_with("member_") && f.ends_with(&suffix), &who);
        }
        match (e.is_empty(), received_on, applicant) {
            (true, Some(received_on), Some(applicant)) => Ok(ApplicationInput {
                received_on,
                channel,
                dwelling_types,
                services_wanted,
                situation: self.situation.clone(),
                situation_notes,
                reason_ids,
                needs_wheelchair: self.needs_wheelchair,
                needs_ground_floor: self.needs_ground_floor,
                needs_home_followup: self.needs_home_followup,
                care_level,
                wished_area_ids,
                wishes_notes,
                monthly_income_ore,
                economy_notes,
                consent_nav: self.consent_nav,
                consent_health: self.consent_health,
                consent_other,
                consent_given_on,
                interpreter_needed: self.interpreter_needed,
                interpreter_language,
                applicant,
                members,
            }),
            _ => Err(e),
        }
    }
}

fn ids_from(
    e: &mut FormErrors,
    field: &'static str,
    raw: &[String],
    allowed: &[Uuid],
    msg: &'static str,
) -> Vec<Uuid> {
    let mut out = Vec::new();
    for r in raw {
        match Uuid::parse_str(r) {
            Ok(id) if allowed.contains(&id) => {
                if !out.contains(&id) {
                    out.push(id)
                }
            }
            _ => e.add(field, msg),
        }
    }
    out
}

/// A household member added on the case page.
pub fn parse_member(form: &PersonForm, today: NaiveDate) -> Result<MemberInput, FormErrors> {
    let mut e = FormErrors::new();
    let slot = PersonSlot::Member(0);
    if !known(RELATIONS, &form.relation) {
        e.add(
            slot.field("relation"),
            "Velg hvilken relasjon personen har til søkeren.",
        );
    }
    let p = form.parse(&mut e, slot, today);
    match p {
        Some(person) if e.is_empty() => Ok(MemberInput {
            person,
            relation: form.relation.clone(),
        }),
        _ => Err(e),
    }
}

/// Assessment (kartlegging) as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AssessmentForm {
    #[serde(default)]
    pub housing_history: String,
    #[serde(default)]
    pub independence: String,
    #[serde(default)]
    pub independence_level: String,
    #[serde(default)]
    pub service_needs: String,
    #[serde(default)]
    pub health_social: String,
    #[serde(default)]
    pub conclusion: String,
    /// The version the user started from (0 when there was none).
    #[serde(default)]
    pub based_on: String,
}

#[derive(Clone, Debug)]
pub struct AssessmentInput {
    pub housing_history: String,
    pub independence: String,
    pub independence_level: String,
    pub service_needs: String,
    pub health_social: String,
    pub conclusion: String,
    pub based_on: i32,
}

impl AssessmentForm {
    pub fn parse(&self) -> Result<AssessmentInput, FormErrors> {
        let mut e = FormErrors::new();
        let housing_history = text(
            &mut e,
            "housing_history",
            &self.housing_history,
            false,
            8000,
            "Bohistorikk",
        );
        let independence = text(
            &mut e,
            "independence",
            &self.independence,
            false,
            8000,
            "Boevne",
        );
        if !known(INDEPENDENCE_LEVELS, &self.independence_level) {
            e.add(
                "independence_level",
                "Velg en vurdering av boevnen fra listen.",
            );
        }
        let service_needs = text(
            &mut e,
            "service_needs",
            &self.service_needs,
            false,
            8000,
            "Tjenestebehov",
        );
        let health_social = text(
            &mut e,
            "health_social",
            &self.health_social,
            false,
            8000,
            "Helse og sosial situasjon",
        );
        let conclusion = text(
            &mut e,
            "conclusion",
            &self.conclusion,
            true,
            8000,
            "Saksbehandlers konklusjon",
        );
        let based_on = self.based_on.trim().parse::<i32>().unwrap_or(-1);
        if !e.is_empty() {
            return Err(e);
        }
        Ok(AssessmentInput {
            housing_history,
            independence,
            independence_level: self.independence_level.clone(),
            service_needs,
            health_social,
            conclusion,
            based_on,
        })
    }
}

/// A note or a logged contact in the journal.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub contact_kind: String,
    #[serde(default)]
    pub contact_with: String,
    #[serde(default)]
    pub body: String,
}

#[derive(Clone, Debug)]
pub struct NoteInput {
    /// `note` or `contact`.
    pub kind: &'static str,
    pub summary: String,
    pub body: String,
}

impl NoteForm {
    pub fn parse(&self) -> Result<NoteInput, FormErrors> {
        let mut e = FormErrors::new();
        let body = text(&mut e, "body", &self.body, true, 20000, "Teksten");
        if self.kind == "contact" {
            if !known(CONTACT_KINDS, &self.contact_kind) {
                e.add("contact_kind", "Velg hvilken type kontakt det var.");
            }
            let with = text(
                &mut e,
                "contact_with",
                &self.contact_with,
                true,
                200,
                "Hvem kontakten var med",
            );
            if !e.is_empty() {
                return Err(e);
            }
            Ok(NoteInput {
                kind: "contact",
                summary: format!("{} med {with}", label_of(CONTACT_KINDS, &self.contact_kind)),
                body,
            })
        } else {
            if !e.is_empty() {
                return Err(e);
            }
            Ok(NoteInput {
                kind: "note",
                summary: "Notat".into(),
                body,
            })
        }
    }
}

/// The interim reply letter's content.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct InterimForm {
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub expected_on: String,
    #[serde(default)]
    pub version: String,
}

impl InterimForm {
    pub fn parse(&self, today: NaiveDate) -> Result<(String, Option<NaiveDate>, i32), FormErrors> {
        let mut e = FormErrors::new();
        let reason = text(
            &mut e,
            "reason",
            &self.reason,
            true,
            2000,
            "Hvorfor saken tar tid",
        );
        let expected = if self.expected_on.trim().is_empty() {
            None
        } else {
            match parse_date(&self.expected_on) {
                Some(d) if d >= today => Some(d),
                Some(_) => {
                    e.add(
                        "expected_on",
                        "Forventet dato for vedtak kan ikke være passert.",
                    );
                    None
                }
                None => {
                    e.add(
                        "expected_on",
                        "Skriv datoen som dd.mm.åååå, for eksempel 15.01.2027.",
                    );
                    None
                }
            }
        };
        let version = self.version.trim().parse().unwrap_or(0);
        if e.is_empty() {
            Ok((reason, expected, version))
        } else {
            Err(e)
        }
    }
}

pub fn parse_reason_name(raw: &str) -> Result<String, FormErrors> {
    let mut e = FormErrors::new();
    let name = text(&mut e, "reason_name", raw, true, 120, "Søknadsgrunnen");
    if e.is_empty() {
        Ok(name)
    } else {
        Err(e)
    }
}

// ---------------------------------------------------------------------------------------
// Documents

/// Largest document accepted, per file.
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The content type of an accepted document, judged by its bytes (never by its name):
/// PDF, JPEG, PNG, or DOCX (a zip holding `word/document.xml`). None for anything else.
pub fn sniff_document(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"PK\x03\x04") {
        let is_word = infer::doc::is_docx(bytes)
            || bytes
                .windows(b"word/document.xml".len())
                .any(|w| w == b"word/document.xml");
        return is_word.then_some(DOCX);
    }
    match infer::get(bytes)?.mime_type() {
        "application/pdf" => Some("application/pdf"),
        "image/jpeg" => Some("image/jpeg"),
        "image/png" => Some("image/png"),
        _ => None,
    }
}

/// A file name safe to put in a Content-Disposition header and to show.
pub fn clean_filename(raw: &str, content_type: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != ';')
        .take(120)
        .collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() {
        let ext = match content_type {
            "application/pdf" => "pdf",
            "image/jpeg" => "jpg",
            "image/png" => "png",
            _ => "docx",
        };
        format!("dokument.{ext}")
    } else {
        cleaned
    }
}

/// A document as uploaded: the title typed, the file's name and content, and whether it
/// was cut off for being larger than [`MAX_DOCUMENT_BYTES`].
#[derive(Debug, Default)]
pub struct Upload {
    pub title: String,
    pub filename: String,
    pub bytes: Vec<u8>,
    pub too_large: bool,
}

/// An accepted document: its title (the file name when none was typed), file name and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentInput {
    pub title: String,
    pub filename: String,
    pub content_type: &'static str,
}

/// Checks an upload: a title of at most 200 characters, a file of an accepted type and size.
pub fn parse_document(up: &Upload) -> Result<DocumentInput, FormErrors> {
    let mut errors = FormErrors::new();
    let title = text(
        &mut errors,
        "document_title",
        &up.title,
        false,
        200,
        "Tittel",
    );
    let content_type = if up.too_large {
        errors.add(
            "document_file",
            "Filen er større enn 20 MB. Del den opp eller komprimer den, og prøv igjen.",
        );
        None
    } else if up.bytes.is_empty() {
        errors.add("document_file", "Velg en fil som skal lastes opp.");
        None
    } else {
        let t = sniff_document(&up.bytes);
        if t.is_none() {
            errors.add(
                "document_file",
                "Filtypen er ikke tillatt. Last opp PDF, JPEG, PNG eller Word-dokument (DOCX).",
            );
        }
        t
    };
    match content_type.filter(|_| errors.is_empty()) {
        Some(content_type) => {
            let filename = clean_filename(&up.filename, content_type);
            Ok(DocumentInput {
                title: if title.is_empty() {
                    filename.clone()
                } else {
                    title
                },
                filename,
                content_type,
            })
        }
        None => Err(errors),
    }
}

/// Case number as shown: `2026/0142`.
pub fn format_case_number(year: i32, seq: i32) -> String {
    format!("{year}/{seq:04}")
}

/// Age in whole years on `on`.
pub fn age(birth: NaiveDate, on: NaiveDate) -> i32 {
    on.years_since(birth).map(|y| y as i32).unwrap_or(0)
}

/// What a search box holds: a case number, or a name. Eleven digits are refused here so
/// identity numbers never travel in URLs; they have their own field.
#[derive(Debug, PartialEq, Eq)]
pub enum Search {
    None,
    CaseNumber { year: Option<i32>, seq: i32 },
    Name(String),
    LooksLikeNationalId,
}

pub fn parse_search(q: &str) -> Search {
    let q = q.trim();
    if q.is_empty() {
        return Search::None;
    }
    let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 11 && digits.chars().all(|c| c.is_ascii_digit()) {
        return Search::LooksLikeNationalId;
    }
    if let Some((y, n)) = q.split_once('/') {
        if let (Ok(y), Ok(n)) = (y.trim().parse::<i32>(), n.trim().parse::<i32>()) {
            if (2000..3000).contains(&y) && n > 0 {
                return Search::CaseNumber {
                    year: Some(y),
                    seq: n,
                };
            }
        }
    }
    if q.len() <= 6 && q.chars().all(|c| c.is_ascii_digit()) {
        if let Ok(n) = q.parse::<i32>() {
            if n > 0 {
                return Search::CaseNumber { year: None, seq: n };
            }
        }
    }
    Search::Name(q.chars().take(100).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn known_valid_numbers_parse() {
        // Generated with the published algorithm: ordinary, D-number, synthetic.
        let f = complete_national_id("010190123").or_else(|| complete_national_id("010190124"));
        let f = f.unwrap();
        let id = NationalId::parse(&f).unwrap();
        assert_eq!(id.birth_date(), Some(d(1990, 1, 1)));
        assert!(!id.is_d_number());
        assert_eq!(id.masked(), "010190*****");
        let dn = (100..999)
            .find_map(|i| complete_national_id(&format!("410190{i:03}")))
            .unwrap();
        let dn = NationalId::parse(&dn).unwrap();
        assert!(dn.is_d_number());
        assert_eq!(dn.birth_date().unwrap().day0(), 0);
        let synth = (100..499)
            .find_map(|i| complete_national_id(&format!("018190{i:03}")))
            .unwrap();
        assert_eq!(
            NationalId::parse(&synth).unwrap().birth_date(),
            Some(d(1990, 1, 1))
        );
    }

    #[test]
    fn bad_numbers_are_refused() {
        assert!(NationalId::parse("1234567890").is_err());
        assert!(NationalId::parse("123456789012").is_err());
        assert!(NationalId::parse("0101901234a").is_err());
        assert!(NationalId::parse("00000000000").is_err(), "no such date");
        let good = (100..999)
            .find_map(|i| complete_national_id(&format!("150585{i:03}")))
            .unwrap();
        let mut bad = good.clone().into_bytes();
        bad[10] = if bad[10] == b'9' { b'0' } else { bad[10] + 1 };
        assert!(NationalId::parse(std::str::from_utf8(&bad).unwrap()).is_err());
        // Spaces are allowed.
        let spaced = format!("{} {}", &good[..6], &good[6..]);
        assert!(NationalId::parse(&spaced).is_ok());
    }

    #[test]
    fn debug_output_is_masked() {
        let good = (100..999)
            .find_map(|i| complete_national_id(&format!("150585{i:03}")))
            .unwrap();
        let dbg = format!("{:?}", NationalId::parse(&good).unwrap());
        assert!(!dbg.contains(&good[6..]));
    }

    #[test]
    fn centuries_follow_the_individual_number() {
        let n = (500..749)
            .find_map(|i| complete_national_id(&format!("010110{i:03}")))
            .unwrap();
        assert_eq!(
            NationalId::parse(&n).unwrap().birth_date(),
            Some(d(2010, 1, 1))
        );
        let n = (0..499)
            .find_map(|i| complete_national_id(&format!("010145{i:03}")))
            .unwrap();
        assert_eq!(
            NationalId::parse(&n).unwrap().birth_date(),
            Some(d(1945, 1, 1))
        );
    }

    fn valid_id() -> impl Strategy<Value = String> {
        (
            1u32..=28,
            1u32..=12,
            0u32..=99,
            0u32..=999,
            prop_oneof![Just(0u32), Just(40), Just(80)],
            any::<bool>(),
        )
            .prop_filter_map("no check digit", |(day, month, yy, ind, moff, dnum)| {
                let day = if dnum { day + 40 } else { day };
                complete_national_id(&format!("{day:02}{:02}{yy:02}{ind:03}", month + moff))
            })
    }

    proptest! {
        #[test]
        fn every_generated_number_parses(id in valid_id()) {
            let parsed = NationalId::parse(&id);
            prop_assert!(parsed.is_ok(), "{} refused", id);
            prop_assert_eq!(parsed.unwrap().masked(), format!("{}*****", &id[..6]));
        }

        /// A single changed digit always breaks a check digit: both weight sets are
        /// non-zero mod 11 at every position, and a changed check digit no longer
        /// equals the computed one. So no single-digit typo is ever accepted.
        #[test]
        fn a_single_changed_digit_is_refused(id in valid_id(), pos in 0usize..11, delta in 1u8..10) {
            let mut b = id.clone().into_bytes();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(b).unwrap();
            prop_assert!(NationalId::parse(&changed).is_err(), "{} accepted", changed);
        }

        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,20}") {
            let _ = NationalId::parse(&s);
        }

        #[test]
        fn transitions_never_leave_a_closed_case(from in 0usize..11, to in 0usize..11) {
            let (from, to) = (Status::ALL[from], Status::ALL[to]);
            if !from.is_open() {
                prop_assert!(!from.can_go_to(to));
            }
            if from.can_go_to(to) && from.is_decided() {
                prop_assert!(to.is_decided() || to == Status::Withdrawn);
            }
        }
    }

    #[test]
    fn status_machine_follows_the_case_flow() {
        use Status::*;
        let path = [
            Received,
            UnderAssessment,
            ReadyForMeeting,
            Approved,
            WaitingList,
            Offered,
            Housed,
        ];
        for w in path.windows(2) {
            assert!(w[0].can_go_to(w[1]), "{:?} → {:?}", w[0], w[1]);
        }
        assert!(
            !Received.can_go_to(Approved),
            "no decision without assessment"
        );
        for s in Status::ALL {
            assert!(
                s.by_hand().iter().all(|t| !t.is_decision_outcome()),
                "the status form never offers a decision outcome from {s:?}"
            );
            for outcome in [Approved, PartlyApproved, Rejected] {
                assert_eq!(
                    check_transition(s, outcome, "grunn").map_err(|e| e.field),
                    Err(StatusField::NewStatus)
                );
            }
        }
        assert!(!Rejected.can_go_to(WaitingList));
        assert!(!Housed.can_go_to(Received));
        for s in Status::OPEN {
            assert!(s.can_go_to(Withdrawn), "{s:?} can be withdrawn");
        }
        for s in Status::UNDECIDED {
            assert!(s.can_go_to(ClosedWithoutDecision));
        }
        assert!(check_transition(Received, Withdrawn, " ").is_err());
        assert!(check_transition(Received, Withdrawn, "Søker flyttet").is_ok());
        assert!(check_transition(Received, UnderAssessment, "").is_ok());
        assert!(check_transition(ReadyForMeeting, UnderAssessment, "").is_err());
        assert!(check_transition(Housed, Withdrawn, "x").is_err());
        for s in Status::ALL {
            assert_eq!(Status::from_key(s.key()), Some(s));
            assert!(!s.label().is_empty());
        }
    }

    #[test]
    fn interim_reply_deadlines() {
        assert_eq!(interim_due(d(2026, 1, 31)), d(2026, 2, 28));
        assert_eq!(interim_due(d(2026, 3, 15)), d(2026, 4, 15));
        let due = d(2026, 4, 15);
        let s = Status::UnderAssessment;
        assert_eq!(deadline(s, None, due, d(2026, 4, 1)), Deadline::Upcoming);
        assert_eq!(deadline(s, None, due, d(2026, 4, 8)), Deadline::DueSoon);
        assert_eq!(deadline(s, None, due, due), Deadline::Due);
        assert_eq!(deadline(s, None, due, d(2026, 4, 16)), Deadline::Overdue);
        assert_eq!(
            deadline(s, Some(d(2026, 4, 10)), due, d(2026, 5, 1)),
            Deadline::None
        );
        assert_eq!(
            deadline(Status::Approved, None, due, d(2026, 5, 1)),
            Deadline::None
        );
    }

    #[test]
    fn search_box_understands_case_numbers_and_refuses_identity_numbers() {
        assert_eq!(
            parse_search("2026/0142"),
            Search::CaseNumber {
                year: Some(2026),
                seq: 142
            }
        );
        assert_eq!(
            parse_search("142"),
            Search::CaseNumber {
                year: None,
                seq: 142
            }
        );
        assert_eq!(parse_search("150585 12345"), Search::LooksLikeNationalId);
        assert_eq!(parse_search(" Ola "), Search::Name("Ola".into()));
        assert_eq!(parse_search(""), Search::None);
    }

    fn form() -> ApplicationForm {
        let id = complete_national_id("150585123")
            .or_else(|| complete_national_id("150585124"))
            .unwrap();
        ApplicationForm::from_pairs(&[
            ("received_on".into(), "2026-01-10".into()),
            ("channel".into(), "paper".into()),
            ("dwelling_types".into(), "ordinary".into()),
            ("dwelling_types".into(), "care".into()),
            ("situation".into(), "at_risk".into()),
            ("applicant_name".into(), " Kari Nordmann ".into()),
            ("applicant_national_id".into(), id),
            ("member_name_1".into(), "Lise".into()),
            ("member_birth_date_1".into(), "01.02.2018".into()),
            ("member_relation_1".into(), "child".into()),
        ])
    }

    #[test]
    fn registration_form_parses_and_trims() {
        let today = d(2026, 2, 1);
        let a = form().parse(today, &[], &[], false).unwrap();
        assert_eq!(a.applicant.name, "Kari Nordmann");
        assert_eq!(a.dwelling_types, vec!["ordinary", "care"]);
        assert_eq!(a.members.len(), 1);
        assert_eq!(a.members[0].person.birth_date, Some(d(2018, 2, 1)));
        assert_eq!(a.applicant.birth_date, Some(d(1985, 5, 15)));
    }

    #[test]
    fn registration_form_reports_each_field() {
        let today = d(2026, 2, 1);
        let mut f = form();
        f.applicant.national_id = "15058512345".into();
        f.channel = "fax".into();
        f.received_on = "2027-01-01".into();
        f.members[1].relation = "".into();
        f.reasons.push(Uuid::nil().to_string());
        f.applicant.name = "x".repeat(201);
        let e = f.parse(today, &[], &[], false).unwrap_err();
        for field in [
            "applicant_national_id",
            "channel",
            "received_on",
            "member_relation_1",
            "reasons",
            "applicant_name",
        ] {
            assert!(e.has(field), "{field} should have an error");
        }
        // A household member's message names the member (the summary lists them all).
        assert_eq!(
            e.get("member_relation_1"),
            Some("Husstandsmedlem 2 (Lise): Velg hvilken relasjon personen har til søkeren.")
        );
    }

    #[test]
    fn person_needs_number_or_birth_date() {
        let today = d(2026, 2, 1);
        let mut f = form();
        f.applicant.national_id.clear();
        let e = f.parse(today, &[], &[], false).unwrap_err();
        assert!(e.has("applicant_national_id"));
        f.applicant.birth_date = "12.12.1970".into();
        assert!(f.parse(today, &[], &[], false).is_ok());
    }

    #[test]
    fn public_form_takes_today_and_digital() {
        let today = d(2026, 2, 1);
        let mut f = form();
        f.received_on = "1999-01-01".into();
        f.channel = "".into();
        let a = f.parse(today, &[], &[], true).unwrap();
        assert_eq!(a.received_on, today);
        assert_eq!(a.channel, "digital");
    }

    #[test]
    fn notes_and_contacts() {
        let n = NoteForm {
            kind: "contact".into(),
            contact_kind: "phone".into(),
            contact_with: "NAV Levanger".into(),
            body: "Avklarte inntekt.".into(),
        }
        .parse()
        .unwrap();
        assert_eq!(n.summary, "Telefon med NAV Levanger");
        assert!(NoteForm::default().parse().unwrap_err().has("body"));
    }

    #[test]
    fn documents_are_judged_by_content() {
        assert_eq!(sniff_document(b"%PDF-1.7\n%..."), Some("application/pdf"));
        assert_eq!(
            sniff_document(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]),
            Some("image/png")
        );
        assert_eq!(
            sniff_document(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F']),
            Some("image/jpeg")
        );
        let mut docx = b"PK\x03\x04".to_vec();
        docx.extend_from_slice(&[0; 26]);
        docx.extend_from_slice(b"word/document.xml<w:document/>");
        assert_eq!(sniff_document(&docx), Some(DOCX));
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend_from_slice(&[0; 26]);
        zip.extend_from_slice(b"evil.exe");
        assert_eq!(sniff_document(&zip), None);
        assert_eq!(sniff_document(b"MZ\x90\x00 not a pdf"), None);
        assert_eq!(sniff_document(b"<html>pdf</html>"), None);
        assert_eq!(sniff_document(b""), None);
    }

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(
            clean_filename("C:\\x\\a\"b.pdf", "application/pdf"),
            "ab.pdf"
        );
        assert_eq!(clean_filename("../../etc/passwd", "image/png"), "passwd");
        assert_eq!(clean_filename("", "image/png"), "dokument.png");
    }

    #[test]
    fn ages() {
        assert_eq!(age(d(2018, 2, 1), d(2026, 1, 31)), 7);
        assert_eq!(age(d(2018, 2, 1), d(2026, 2, 1)), 8);
    }
}
