//! Validation of municipality settings.

use serde::Deserialize;

use crate::web::forms::{line, text, FormErrors};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    pub letterhead_name: String,
    #[serde(default)]
    pub street_address: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub postal_place: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub decisions_need_second_approver: Option<String>,
    #[serde(default)]
    pub version: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub letterhead_name: String,
    pub street_address: String,
    pub postcode: String,
    pub postal_place: String,
    pub phone: String,
    pub email: String,
    pub decisions_need_second_approver: bool,
}

impl SettingsForm {
    pub fn parse(&self) -> Result<(Settings, i32), FormErrors> {
        let mut e = FormErrors::new();
        let letterhead_name = line(
            &mut e,
            "letterhead_name",
            &self.letterhead_name,
            true,
            200,
            "Navn i brevhodet",
        );
        let street_address = line(
            &mut e,
            "street_address",
            &self.street_address,
            false,
            200,
            "Adresse",
        );
        let postcode = self.postcode.trim().to_string();
        if !valid_postcode(&postcode) {
            e.add("postcode", "Postnummer må være fire siffer.");
        }
        let postal_place = line(
            &mut e,
            "postal_place",
            &self.postal_place,
            false,
            100,
            "Poststed",
        );
        let phone = line(&mut e, "phone", &self.phone, false, 40, "Telefon");
        let email = line(&mut e, "email", &self.email, false, 254, "E-post");
        if !email.is_empty() && !plausible_email(&email) {
            e.add(
                "email",
                "E-postadressen ser ikke riktig ut. Eksempel: postmottak@kommune.no",
            );
        }
        let version = self.version.trim().parse::<i32>().unwrap_or(0);
        if !e.is_empty() {
            return Err(e);
        }
        Ok((
            Settings {
                letterhead_name,
                street_address,
                postcode,
                postal_place,
                phone,
                email,
                decisions_need_second_approver: self.decisions_need_second_approver.is_some(),
            },
            version,
        ))
    }
}

/// Empty, or four digits.
pub fn valid_postcode(p: &str) -> bool {
    p.is_empty() || (p.len() == 4 && p.chars().all(|c| c.is_ascii_digit()))
}

pub fn plausible_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// An active area already has the name.
pub fn area_name_taken(name: &str) -> String {
    format!("Området «{name}» finnes allerede.")
}

pub fn parse_area_name(raw: &str) -> Result<String, FormErrors> {
    let mut e = FormErrors::new();
    let name = text(&mut e, "area_name", raw, true, 100, "Områdenavn");
    if e.is_empty() {
        Ok(name)
    } else {
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> SettingsForm {
        SettingsForm {
            letterhead_name: " Levanger kommune ".into(),
            postcode: "7601".into(),
            version: "3".into(),
            ..Default::default()
        }
    }

    #[test]
    fn valid_form_is_trimmed() {
        let (s, v) = form().parse().unwrap();
        assert_eq!(s.letterhead_name, "Levanger kommune");
        assert_eq!(v, 3);
        assert!(!s.decisions_need_second_approver);
    }

    #[test]
    fn bad_fields_get_messages() {
        let mut f = form();
        f.letterhead_name = "  ".into();
        f.postcode = "76O1".into();
        f.email = "post@".into();
        let e = f.parse().unwrap_err();
        assert!(e.get("letterhead_name").unwrap().contains("må fylles ut"));
        assert!(e.has("postcode"));
        assert!(e.has("email"));
    }

    #[test]
    fn huge_input_is_refused_not_truncated() {
        let mut f = form();
        f.letterhead_name = "x".repeat(10_000);
        assert!(f.parse().unwrap_err().has("letterhead_name"));
    }
}
