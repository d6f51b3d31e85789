//! Lease types and the parsing of lease forms into terms the rules accept. Messages are
//! Norwegian and name the law they apply.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rules;
use crate::applications::model::{
    member_pair, NationalId, PersonForm, PersonInput, PersonSlot, MEMBER_ROWS,
};
use crate::web::format;
use crate::web::forms::{self, FormErrors};

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[sqlx(type_name = "lease_status", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Signed,
    Active,
    NoticeGiven,
    Ended,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Draft,
        Status::Signed,
        Status::Active,
        Status::NoticeGiven,
        Status::Ended,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Signed => "signed",
            Status::Active => "active",
            Status::NoticeGiven => "notice_given",
            Status::Ended => "ended",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Utkast",
            Status::Signed => "Signert",
            Status::Active => "Aktiv",
            Status::NoticeGiven => "Oppsagt",
            Status::Ended => "Avsluttet",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.key() == s)
    }

    /// Signed, active or under notice: the tenancy is running or about to.
    pub fn is_running(self) -> bool {
        matches!(self, Status::Signed | Status::Active | Status::NoticeGiven)
    }
}

/// What the rent includes.
pub const INCLUDES: [(&str, &str); 7] = [
    ("electricity", "Strøm"),
    ("heating", "Oppvarming"),
    ("water", "Vann og avløp"),
    ("internet", "Internett"),
    ("tv", "TV"),
    ("furniture", "Møblering"),
    ("parking", "Parkering"),
];

pub fn include_label(key: &str) -> &str {
    INCLUDES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .unwrap_or(key)
}

pub const DEPOSIT_KINDS: [(&str, &str); 3] = [
    ("none", "Ingen sikkerhet"),
    ("account", "Depositum på egen depositumskonto"),
    ("guarantee", "Garanti (for eksempel fra NAV)"),
];

pub const END_REASONS: [(&str, &str); 6] = [
    ("own_home", "Flyttet til egen eid eller leid bolig"),
    ("municipal_dwelling", "Flyttet til en annen kommunal bolig"),
    ("institution", "Flyttet til institusjon"),
    ("evicted", "Utkastelse"),
    ("died", "Leietaker døde"),
    ("other", "Annet"),
];

pub fn end_reason_label(key: &str) -> &str {
    END_REASONS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .unwrap_or(key)
}

pub const REVIEW_OUTCOMES: [(&str, &str); 4] = [
    ("renew", "Fornye leieforholdet (nytt vedtak)"),
    ("startlan", "Hjelp til å kjøpe egen bolig (startlån)"),
    ("move", "Flytte til en annen bolig"),
    ("end", "Avslutte leieforholdet ved utløp"),
];

pub fn review_outcome_label(key: &str) -> &str {
    REVIEW_OUTCOMES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .unwrap_or(key)
}

/// The move-out inspection (utflyttingsbefaring), one yes/no per point.
pub const CHECKLIST: [(&str, &str); 6] = [
    ("keys", "Alle nøkler er levert"),
    ("cleaned", "Boligen er rengjort"),
    ("damage", "Boligen er gjennomgått for skader"),
    ("meters", "Strømmåler er lest av"),
    ("belongings", "Boligen er tømt for eiendeler"),
    ("address", "Ny adresse er registrert"),
];

pub const SHORT_TERM_REQUIRED: &str = "Et leieforhold kortere enn tre år krever et grunnlag etter husleieloven § 11-1. Velg grunnlaget, eller sett sluttdatoen minst tre år etter start.";
pub const SHORT_TERM_NOTICE_FIRST: &str = "Leieforholdet er kortere enn tre år. Leietaker må få skriftlig orientering etter husleieloven § 11-1 før kontrakten signeres: send orienteringen først.";
pub const OVERLAP: &str = "Boligen har allerede en signert leiekontrakt i denne perioden. Én bolig kan bare ha én leiekontrakt om gangen.";
pub const DRAFT_EXISTS: &str = "Det finnes allerede et utkast til leiekontrakt for denne leietakeren i denne boligen fra samme dato.";
pub const DEPOSIT_TOO_HIGH: &str =
    "Depositumet kan være høyst seks måneders leie (husleieloven § 3-5).";

/// The lease form as typed (also the edit form of a draft).
#[derive(Clone, Debug, Default)]
pub struct LeaseForm {
    pub version: String,
    /// The tenant the draft's form was filled with (see `PersonForm::person`).
    pub tenant_person: String,
    pub tenant_name: String,
    pub tenant_national_id: String,
    pub tenant_birth_date: String,
    pub tenant_phone: String,
    pub tenant_email: String,
    /// Co-tenants and household members of a lease written directly, in the rows of the
    /// applications' household form (`member_name_0` …); `relation` holds the role.
    pub members: Vec<PersonForm>,
    pub starts_on: String,
    pub ends_on: String,
    pub monthly_rent: String,
    pub includes: Vec<String>,
    pub deposit_kind: String,
    pub deposit_amount: String,
    pub deposit_bank: String,
    pub deposit_account: String,
    pub guarantor: String,
    pub guarantee_reference: String,
    pub eviction_clause: bool,
    pub short_term_ground_id: String,
}

fn field(f: &HashMap<&str, &str>, k: &str) -> String {
    f.get(k).map(|v| v.to_string()).unwrap_or_default()
}

impl LeaseForm {
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let f: HashMap<&str, &str> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut members = vec![PersonForm::default(); MEMBER_ROWS];
        for (k, v) in pairs {
            member_pair(&mut members, k, v.clone());
        }
        LeaseForm {
            members,
            version: field(&f, "version"),
            tenant_person: field(&f, "tenant_person"),
            tenant_name: field(&f, "tenant_name"),
            tenant_national_id: field(&f, "tenant_national_id"),
            tenant_birth_date: field(&f, "tenant_birth_date"),
            tenant_phone: field(&f, "tenant_phone"),
            tenant_email: field(&f, "tenant_email"),
            starts_on: field(&f, "starts_on"),
            ends_on: field(&f, "ends_on"),
            monthly_rent: field(&f, "monthly_rent"),
            includes: pairs
                .iter()
                .filter(|(k, _)| k == "includes")
                .map(|(_, v)| v.clone())
                .collect(),
            deposit_kind: field(&f, "deposit_kind"),
            deposit_amount: field(&f, "deposit_amount"),
            deposit_bank: field(&f, "deposit_bank"),
            deposit_account: field(&f, "deposit_account"),
            guarantor: field(&f, "guarantor"),
            guarantee_reference: field(&f, "guarantee_reference"),
            eviction_clause: f.contains_key("eviction_clause"),
            short_term_ground_id: field(&f, "short_term_ground_id"),
        }
    }

    pub fn version(&self) -> i32 {
        crate::web::extract::version(&self.version)
    }

    pub fn includes(&self, key: &str) -> bool {
        self.includes.iter().any(|k| k == key)
    }

    /// The terms, checked against husleieloven; `grounds` are the § 11-1 grounds the
    /// municipality offers.
    pub fn terms(&self, grounds: &[Uuid], errors: &mut FormErrors) -> Option<Terms> {
        let starts_on = date(errors, "starts_on", &self.starts_on, true, "Startdato");
        let ends_on = date(errors, "ends_on", &self.ends_on, false, "Sluttdato");
        if let (Some(s), Some(e)) = (starts_on, ends_on) {
            if e <= s {
                errors.add("ends_on", "Sluttdatoen må være etter startdatoen.");
            }
        }
        let monthly_rent = match format::parse_kroner(&self.monthly_rent) {
            Some(r) if r <= 10_000_000 => Some(r),
            Some(_) => {
                errors.add("monthly_rent", "Månedsleien kan være høyst 100 000 kr.");
                None
            }
            None => {
                errors.add(
                    "monthly_rent",
                    "Skriv månedsleien i kroner, for eksempel 8 500.",
                );
                None
            }
        };
        let includes: Vec<String> = INCLUDES
            .iter()
            .filter(|(k, _)| self.includes(k))
            .map(|(k, _)| k.to_string())
            .collect();
        let ground = match self.short_term_ground_id.trim() {
            "" => None,
            raw => match Uuid::parse_str(raw) {
                Ok(id) if grounds.contains(&id) => Some(id),
                _ => {
                    errors.add("short_term_ground_id", "Velg et grunnlag fra listen.");
                    None
                }
            },
        };
        let short = starts_on.is_some_and(|s| rules::is_short_term(s, ends_on));
        if short && ground.is_none() && ends_on > starts_on {
            errors.add("short_term_ground_id", SHORT_TERM_REQUIRED);
        }
        // A lease of three years or more gives every right: no § 11-1 terms in it.
        let ground = ground.filter(|_| short);
        let deposit = self.deposit(monthly_rent, errors);
        let eviction_clause = self.eviction_clause;
        Some(Terms {
            starts_on: starts_on?,
            ends_on,
            monthly_rent: monthly_rent?,
            includes,
            deposit: deposit?,
            eviction_clause,
            short_term_ground_id: ground,
        })
    }

    fn deposit(&self, rent: Option<i64>, errors: &mut FormErrors) -> Option<Deposit> {
        let kind = self.deposit_kind.trim();
        let amount = || match format::parse_kroner(&self.deposit_amount) {
            Some(a) if a > 0 => Some(a),
            _ => None,
        };
        match kind {
            "" | "none" => Some(Deposit::None),
            "account" | "guarantee" => {
                let Some(a) = amount() else {
                    errors.add(
                        "deposit_amount",
                        "Skriv beløpet i kroner, for eksempel 25 500.",
                    );
                    return None;
                };
                if let Some(r) = rent {
                    if !rules::deposit_allowed(a, r) {
                        errors.add(
                            "deposit_amount",
                            format!(
                                "{DEPOSIT_TOO_HIGH} Med denne leien er det høyst {}.",
                                format::kroner(rules::MAX_DEPOSIT_MONTHS * r)
                            ),
                        );
                    }
                }
                if kind == "account" {
                    let bank = forms::line(
                        errors,
                        "deposit_bank",
                        &self.deposit_bank,
                        true,
                        200,
                        "Banken",
                    );
                    let account: String = self
                        .deposit_account
                        .chars()
                        .filter(|c| c.is_ascii_digit())
                        .collect();
                    if account.len() != 11
                        || self.deposit_account.chars().any(|c| c.is_alphabetic())
                    {
                        errors.add(
                            "deposit_account",
                            "Kontonummeret har 11 siffer, for eksempel 1234 56 78901.",
                        );
                    }
                    Some(Deposit::Account {
                        amount: a,
                        bank,
                        account,
                    })
                } else {
                    let guarantor = forms::line(
                        errors,
                        "guarantor",
                        &self.guarantor,
                        true,
                        200,
                        "Garantisten",
                    );
                    let reference = forms::line(
                        errors,
                        "guarantee_reference",
                        &self.guarantee_reference,
                        false,
                        100,
                        "Referansen",
                    );
                    Some(Deposit::Guarantee {
                        amount: a,
                        guarantor,
                        reference,
                    })
                }
            }
            _ => {
                errors.add("deposit_kind", "Velg en form for sikkerhet.");
                None
            }
        }
    }

    /// The tenant, co-tenants and household members of a lease written directly (not
    /// from an offer, whose case names them). A row's messages name it ("Husstandsmedlem
    /// 2: …"); `today` bounds the dates of birth.
    pub fn parties(&self, today: NaiveDate, errors: &mut FormErrors) -> Option<Parties> {
        let tenant = person(
            errors,
            ["tenant_name", "tenant_national_id", "tenant_birth_date"],
            [
                &self.tenant_name,
                &self.tenant_national_id,
                &self.tenant_birth_date,
            ],
            true,
        );
        let phone = forms::line(
            errors,
            "tenant_phone",
            &self.tenant_phone,
            false,
            40,
            "Telefon",
        );
        let email = forms::line(
            errors,
            "tenant_email",
            &self.tenant_email,
            false,
            254,
            "E-post",
        );
        if !email.is_empty() && !email.contains('@') {
            errors.add(
                "tenant_email",
                "Skriv en e-postadresse, for eksempel navn@eksempel.no.",
            );
        }
        let mut seen: Vec<NationalId> = tenant
            .as_ref()
            .and_then(|t| t.national_id.clone())
            .into_iter()
            .collect();
        let mut members = Vec::new();
        for (i, row) in self.members.iter().enumerate() {
            if row.is_blank() {
                continue;
            }
            let slot = PersonSlot::Member(i);
            let role = PARTY_ROLES.iter().find(|(k, _)| *k == row.relation);
            let mut e = FormErrors::new();
            if role.is_none() {
                e.add(
                    slot.field("relation"),
                    "Velg om personen er medleietaker eller husstandsmedlem.",
                );
            }
            let person = row.parse(&mut e, slot, today);
            if let Some(n) = person.as_ref().and_then(|p| p.national_id.as_ref()) {
                if seen.contains(n) {
                    e.add(
                        slot.field("national_id"),
                        "Samme fødselsnummer er ført opp to ganger.",
                    );
                }
                seen.push(n.clone());
            }
            let label = role.map(|(_, l)| *l).unwrap_or("Person");
            for (f, message) in e.summary() {
                errors.add(f, format!("{label} {}: {message}", i + 1));
            }
            if let (Some(person), Some((role, _)), true) = (person, role, e.is_empty()) {
                members.push(Member {
                    person,
                    role,
                    shown: shown_person(&row.person),
                });
            }
        }
        Some(Parties {
            tenant: tenant?,
            tenant_shown: shown_person(&self.tenant_person),
            phone,
            email,
            members,
        })
    }
}

fn date(
    errors: &mut FormErrors,
    field: &'static str,
    raw: &str,
    required: bool,
    label: &str,
) -> Option<NaiveDate> {
    if raw.trim().is_empty() {
        if required {
            errors.add(field, format!("{label} må fylles ut."));
        }
        return None;
    }
    let d = format::parse_date(raw);
    if d.is_none() {
        errors.add(
            field,
            format!("Skriv {} som dd.mm.åååå.", label.to_lowercase()),
        );
    }
    d
}

/// A person on a lease: identified by national id, or by date of birth without one.
#[derive(Clone, Debug)]
pub struct PartyInput {
    pub name: String,
    pub national_id: Option<NationalId>,
    pub birth_date: Option<NaiveDate>,
}

fn person(
    errors: &mut FormErrors,
    fields: [&'static str; 3],
    values: [&str; 3],
    required: bool,
) -> Option<PartyInput> {
    let [name_f, nid_f, birth_f] = fields;
    let [name, nid, birth] = values;
    if !required && name.trim().is_empty() && nid.trim().is_empty() && birth.trim().is_empty() {
        return None;
    }
    let name = forms::line(errors, name_f, name, true, 200, "Navnet");
    let national_id = match nid.trim() {
        "" => None,
        raw => match NationalId::parse(raw) {
            Ok(n) => Some(n),
            Err(e) => {
                errors.add(nid_f, e);
                None
            }
        },
    };
    let birth_date = match birth.trim() {
        "" => None,
        raw => {
            let d = format::parse_date(raw);
            if d.is_none() {
                errors.add(birth_f, "Skriv fødselsdatoen som dd.mm.åååå.");
            }
            d
        }
    };
    if nid.trim().is_empty() && birth.trim().is_empty() {
        errors.add(
            nid_f,
            "Skriv fødselsnummer eller D-nummer, eller fødselsdato når personen ikke har et.",
        );
    }
    if errors.has(name_f) || errors.has(nid_f) || errors.has(birth_f) {
        return None;
    }
    Some(PartyInput {
        name,
        national_id,
        birth_date,
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deposit {
    None,
    Account {
        amount: i64,
        bank: String,
        account: String,
    },
    Guarantee {
        amount: i64,
        guarantor: String,
        reference: String,
    },
}

impl Deposit {
    pub fn kind(&self) -> &'static str {
        match self {
            Deposit::None => "none",
            Deposit::Account { .. } => "account",
            Deposit::Guarantee { .. } => "guarantee",
        }
    }

    pub fn amount(&self) -> i64 {
        match self {
            Deposit::None => 0,
            Deposit::Account { amount, .. } | Deposit::Guarantee { amount, .. } => *amount,
        }
    }
}

/// Checked lease terms.
#[derive(Clone, Debug)]
pub struct Terms {
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub monthly_rent: i64,
    pub includes: Vec<String>,
    pub deposit: Deposit,
    pub eviction_clause: bool,
    pub short_term_ground_id: Option<Uuid>,
}

impl Terms {
    pub fn is_short_term(&self) -> bool {
        rules::is_short_term(self.starts_on, self.ends_on)
    }
}

#[derive(Clone, Debug)]
pub struct Parties {
    pub tenant: PartyInput,
    /// The person the tenant fields were filled from (a saved draft's form).
    pub tenant_shown: Option<Uuid>,
    pub phone: String,
    pub email: String,
    pub members: Vec<Member>,
}

/// The roles besides the tenant's on a lease (`lease_parties.role`): co-tenants are
/// jointly liable with the tenant; household members live there and are listed.
pub const PARTY_ROLES: [(&str, &str); 2] = [
    ("co_tenant", "Medleietaker"),
    ("household", "Husstandsmedlem"),
];

/// A co-tenant or household member of a lease written directly.
#[derive(Clone, Debug)]
pub struct Member {
    pub person: PersonInput,
    /// A key of [`PARTY_ROLES`].
    pub role: &'static str,
    /// The person the row was filled from (a saved draft's form).
    pub shown: Option<Uuid>,
}

/// A hidden person id sent back by the form; anything else is no person.
fn shown_person(raw: &str) -> Option<Uuid> {
    Uuid::parse_str(raw.trim()).ok()
}

/// A date typed into an action form: required, and not after today when it records
/// something that has happened.
pub fn past_date(
    errors: &mut FormErrors,
    field: &'static str,
    raw: &str,
    label: &str,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let d = date(errors, field, raw, true, label)?;
    if d > today {
        errors.add(field, format!("{label} kan ikke være etter i dag."));
        return None;
    }
    Some(d)
}

/// A required date (the future allowed).
pub fn any_date(
    errors: &mut FormErrors,
    field: &'static str,
    raw: &str,
    label: &str,
) -> Option<NaiveDate> {
    date(errors, field, raw, true, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2028, 2, 29).expect("date")
    }

    /// A valid number born on `prefix` (ddmmyy); individual numbers from 500 are born
    /// in 2000 or later.
    fn fnr(prefix: &str, from: u32) -> String {
        (from..from + 100)
            .find_map(|i| {
                crate::applications::model::complete_national_id(&format!("{prefix}{i:03}"))
            })
            .expect("a valid number")
    }

    #[test]
    fn several_co_tenants_and_household_members_each_with_their_role() {
        let (adult, child) = (fnr("010280", 400), fnr("150312", 500));
        let f = LeaseForm::from_pairs(&pairs(&[
            ("tenant_name", "Kari Nordmann"),
            ("tenant_birth_date", "01.02.1980"),
            ("member_name_0", "Ola Nordmann"),
            ("member_national_id_0", &adult),
            ("member_relation_0", "co_tenant"),
            ("member_name_1", "Per Nordmann"),
            ("member_birth_date_1", "03.04.1979"),
            ("member_relation_1", "co_tenant"),
            ("member_name_3", "Lise Nordmann"),
            ("member_national_id_3", &child),
            ("member_relation_3", "household"),
        ]));
        let mut e = FormErrors::new();
        let p = f.parties(today(), &mut e).expect("parties");
        assert!(e.is_empty(), "{e:?}");
        let got: Vec<(&str, &str)> = p
            .members
            .iter()
            .map(|m| (m.person.name.as_str(), m.role))
            .collect();
        assert_eq!(
            got,
            [
                ("Ola Nordmann", "co_tenant"),
                ("Per Nordmann", "co_tenant"),
                ("Lise Nordmann", "household")
            ]
        );
        assert_eq!(
            p.members[2].person.birth_date,
            NaiveDate::from_ymd_opt(2012, 3, 15)
        );
    }

    #[test]
    fn a_rows_messages_name_the_row_and_the_input_is_kept() {
        let adult = fnr("010280", 400);
        let f = LeaseForm::from_pairs(&pairs(&[
            ("tenant_name", "Kari Nordmann"),
            ("tenant_national_id", &adult),
            ("member_name_0", "Ola Nordmann"),
            ("member_national_id_0", &adult),
            ("member_relation_0", "co_tenant"),
            ("member_name_1", "Lise Nordmann"),
            ("member_birth_date_1", "01.01.2030"),
            ("member_relation_1", "household"),
            ("member_birth_date_2", "03.04.1979"),
            ("member_relation_2", "household"),
            ("member_name_3", "Uten rolle"),
            ("member_birth_date_3", "03.04.1979"),
        ]));
        let mut e = FormErrors::new();
        let p = f.parties(today(), &mut e);
        assert!(p.is_some_and(|p| p.members.is_empty()));
        assert_eq!(
            e.get("member_national_id_0"),
            Some("Medleietaker 1: Samme fødselsnummer er ført opp to ganger.")
        );
        assert!(e
            .get("member_birth_date_1")
            .is_some_and(|m| m.starts_with("Husstandsmedlem 2: Fødselsdatoen kan ikke")));
        assert_eq!(
            e.get("member_name_2"),
            Some("Husstandsmedlem 3: Navn må fylles ut.")
        );
        assert_eq!(
            e.get("member_relation_3"),
            Some("Person 4: Velg om personen er medleietaker eller husstandsmedlem.")
        );
        // What was typed stays in the form to be shown again.
        assert_eq!(f.members[1].birth_date, "01.01.2030");
        assert_eq!(f.members[3].name, "Uten rolle");
        assert!(f.members[4].is_blank() && f.members.len() == MEMBER_ROWS);
    }

    fn base() -> Vec<(String, String)> {
        pairs(&[
            ("starts_on", "2027-01-01"),
            ("ends_on", "2029-12-31"),
            ("monthly_rent", "8 500"),
            ("deposit_kind", "none"),
            ("eviction_clause", "1"),
        ])
    }

    #[test]
    fn a_three_year_lease_needs_no_basis() {
        let mut e = FormErrors::new();
        let t = LeaseForm::from_pairs(&base()).terms(&[], &mut e);
        assert!(e.is_empty(), "{e:?}");
        let t = t.expect("terms");
        assert_eq!(t.monthly_rent, 850_000);
        assert!(t.eviction_clause && !t.is_short_term());
    }

    #[test]
    fn a_short_term_without_a_ground_is_refused_next_to_the_ground() {
        let mut p = base();
        p[1].1 = "2028-12-31".into();
        let mut e = FormErrors::new();
        assert!(LeaseForm::from_pairs(&p).terms(&[], &mut e).is_some());
        assert_eq!(e.get("short_term_ground_id"), Some(SHORT_TERM_REQUIRED));
        let g = Uuid::now_v7();
        p.push(("short_term_ground_id".into(), g.to_string()));
        let mut e = FormErrors::new();
        let t = LeaseForm::from_pairs(&p)
            .terms(&[g], &mut e)
            .expect("terms");
        assert!(e.is_empty() && t.is_short_term());
    }

    #[test]
    fn a_three_year_lease_carries_no_short_term_ground() {
        let g = Uuid::now_v7();
        let mut p = base();
        p.push(("short_term_ground_id".into(), g.to_string()));
        let mut e = FormErrors::new();
        let t = LeaseForm::from_pairs(&p)
            .terms(&[g], &mut e)
            .expect("terms");
        assert!(e.is_empty());
        assert_eq!(t.short_term_ground_id, None);
    }

    #[test]
    fn a_deposit_above_six_months_is_refused() {
        let mut p = base();
        p[3].1 = "account".into();
        p.extend(pairs(&[
            ("deposit_amount", "51 000,01"),
            ("deposit_bank", "Sparebanken"),
            ("deposit_account", "1234 56 78901"),
        ]));
        let mut e = FormErrors::new();
        LeaseForm::from_pairs(&p).terms(&[], &mut e);
        assert!(e.get("deposit_amount").is_some_and(|m| m.contains("§ 3-5")));
        p[5].1 = "51 000".into();
        let mut e = FormErrors::new();
        let t = LeaseForm::from_pairs(&p).terms(&[], &mut e).expect("terms");
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(t.deposit.amount(), 5_100_000);
    }

    #[test]
    fn a_tenant_needs_a_number_or_a_birth_date() {
        let mut e = FormErrors::new();
        let f = LeaseForm::from_pairs(&pairs(&[("tenant_name", "Kari Nordmann")]));
        assert!(f.parties(today(), &mut e).is_none());
        assert!(e.has("tenant_national_id"));
        let mut e = FormErrors::new();
        let f = LeaseForm::from_pairs(&pairs(&[
            ("tenant_name", "Kari Nordmann"),
            ("tenant_birth_date", "01.02.1980"),
        ]));
        let p = f.parties(today(), &mut e).expect("parties");
        assert!(e.is_empty() && p.members.is_empty());
    }
}
