//! The rent settings as typed input: KID check digits and charge day, the arrears routine
//! (reminder fee, NAV office, the municipality's own periods), and the bank accounts whose
//! files are the municipality's — with their validation messages.

use chrono::NaiveDate;

use crate::rent::arrears::repo::Settings as ArrearsSettings;
use crate::rent::kid::Modulus;
use crate::rent::ladder::{self, FeeRules};
use crate::web::format;
use crate::web::forms::{self, FormErrors};

/// A Norwegian bank account number: 11 digits whose last is a mod 11 check digit (weights
/// 5, 4, 3, 2, 7, 6, 5, 4, 3, 2). Dots and spaces as people write them are allowed.
pub fn parse_account(input: &str) -> Option<String> {
    let digits: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '\u{a0}'))
        .collect();
    if digits.len() != 11 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
        .iter()
        .zip(&d)
        .map(|(w, x)| w * x)
        .sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return None,
        c => c,
    };
    (check == d[10]).then_some(digits)
}

/// 12345678903 → "1234.56.78903", as banks print it.
pub fn account_text(account: &str) -> String {
    if account.len() == 11 && account.is_ascii() {
        format!("{}.{}.{}", &account[..4], &account[4..6], &account[6..])
    } else {
        account.to_owned()
    }
}

/// The KID scheme and the charge day, as saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerInput {
    pub kid_modulus: Modulus,
    pub charge_day: i16,
}

/// What the ledger form sends.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct LedgerForm {
    #[serde(default)]
    pub kid_modulus: String,
    #[serde(default)]
    pub charge_day: String,
    #[serde(default)]
    pub ledger_version: String,
}

impl LedgerForm {
    pub fn parse(&self) -> Result<LedgerInput, FormErrors> {
        let mut e = FormErrors::new();
        let kid_modulus = match self.kid_modulus.trim() {
            "10" => Some(Modulus::Ten),
            "11" => Some(Modulus::Eleven),
            _ => {
                e.add("kid_modulus", "Velg kontrollsiffer for KID.");
                None
            }
        };
        let charge_day = self
            .charge_day
            .trim()
            .parse::<i16>()
            .ok()
            .filter(|d| (1..=28).contains(d));
        if charge_day.is_none() {
            e.add(
                "charge_day",
                "Skriv en dag i måneden fra 1 til 28 (alle måneder har den dagen).",
            );
        }
        match (kid_modulus, charge_day) {
            (Some(kid_modulus), Some(charge_day)) if e.is_empty() => Ok(LedgerInput {
                kid_modulus,
                charge_day,
            }),
            _ => Err(e),
        }
    }
}

/// What the arrears form sends.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ArrearsForm {
    #[serde(default)]
    pub reminder_fee: String,
    #[serde(default)]
    pub nav_office: String,
    #[serde(default)]
    pub reminder_after_due_days: String,
    #[serde(default)]
    pub reminder_deadline_days: String,
    /// "1" when checked; absent when not.
    #[serde(default)]
    pub require_nav_notice: Option<String>,
    #[serde(default)]
    pub instalment_grace_days: String,
    #[serde(default)]
    pub arrears_version: String,
}

fn days(
    e: &mut FormErrors,
    field: &'static str,
    input: &str,
    range: std::ops::RangeInclusive<i16>,
    message: &str,
) -> i16 {
    match input.trim().parse::<i16>() {
        Ok(d) if range.contains(&d) => d,
        _ => {
            e.add(field, message);
            *range.start()
        }
    }
}

impl ArrearsForm {
    pub fn of(s: &ArrearsSettings) -> Self {
        ArrearsForm {
            reminder_fee: s.reminder_fee.map(format::kroner).unwrap_or_default(),
            nav_office: s.nav_office.clone(),
            reminder_after_due_days: s.reminder_after_due_days.to_string(),
            reminder_deadline_days: s.reminder_deadline_days.to_string(),
            require_nav_notice: s.require_nav_notice.then(|| "1".to_owned()),
            instalment_grace_days: s.instalment_grace_days.to_string(),
            arrears_version: s.version.to_string(),
        }
    }

    pub fn requires_nav_notice(&self) -> bool {
        self.require_nav_notice.as_deref().is_some_and(|v| v != "0")
    }

    /// The settings typed; the fee is checked against the legal maximum on `today`
    /// (a tenth of the inkassosats, inkassoforskriften § 1-2).
    pub fn parse(&self, today: NaiveDate) -> Result<ArrearsSettings, FormErrors> {
        let mut e = FormErrors::new();
        let reminder_fee = if self.reminder_fee.trim().is_empty() {
            None
        } else {
            match format::parse_kroner(&self.reminder_fee) {
                Some(0) => None,
                Some(fee) => {
                    match ladder::max_reminder_fee(today, &FeeRules::default()) {
                        Ok(cap) if fee > cap => e.add(
                            "reminder_fee",
                            format!(
                                "Purregebyret kan være høyst {} (1/10 av inkassosatsen, inkassoforskriften § 1-2).",
                                format::kroner(cap)
                            ),
                        ),
                        Ok(_) => {}
                        Err(r) => e.add("reminder_fee", r.message),
                    }
                    Some(fee)
                }
                None => {
                    e.add(
                        "reminder_fee",
                        "Skriv gebyret i kroner, for eksempel 70, eller la feltet stå tomt for ingen gebyr.",
                    );
                    None
                }
            }
        };
        let nav_office = forms::line(
            &mut e,
            "nav_office",
            &self.nav_office,
            false,
            200,
            "NAV-kontoret",
        );
        let reminder_after_due_days = days(
            &mut e,
            "reminder_after_due_days",
            &self.reminder_after_due_days,
            1..=90,
            "Skriv et antall dager fra 1 til 90.",
        );
        let reminder_deadline_days = days(
            &mut e,
            "reminder_deadline_days",
            &self.reminder_deadline_days,
            14..=90,
            "Betalingsfristen i purringen må være minst 14 dager (inkassoloven § 9) og høyst 90.",
        );
        let instalment_grace_days = days(
            &mut e,
            "instalment_grace_days",
            &self.instalment_grace_days,
            0..=30,
            "Skriv et antall dager fra 0 til 30.",
        );
        if !e.is_empty() {
            return Err(e);
        }
        Ok(ArrearsSettings {
            reminder_fee,
            nav_office,
            reminder_after_due_days,
            reminder_deadline_days,
            require_nav_notice: self.requires_nav_notice(),
            instalment_grace_days,
            version: 0,
        })
    }
}

/// A bank account being registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInput {
    pub account_no: String,
    pub label: String,
}

/// What the account form sends.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    pub account_no: String,
    #[serde(default)]
    pub label: String,
}

impl AccountForm {
    pub fn parse(&self) -> Result<AccountInput, FormErrors> {
        let mut e = FormErrors::new();
        let account_no = parse_account(&self.account_no);
        if account_no.is_none() {
            e.add(
                "account_no",
                "Skriv et gyldig kontonummer med 11 siffer, for eksempel 1234.56.78903.",
            );
        }
        let label = forms::line(&mut e, "label", &self.label, false, 100, "Beskrivelsen");
        match account_no {
            Some(account_no) if e.is_empty() => Ok(AccountInput { account_no, label }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_numbers_carry_a_mod_11_check_digit() {
        // 1234.56.78903: 5·1+4·2+3·3+2·4+7·5+6·6+5·7+4·8+3·9+2·0 = 195; 195 mod 11 = 8; 11−8 = 3.
        assert_eq!(
            parse_account("1234.56.78903").as_deref(),
            Some("12345678903")
        );
        assert_eq!(
            parse_account("1234 56 78903").as_deref(),
            Some("12345678903")
        );
        assert_eq!(parse_account("12345678904"), None, "wrong check digit");
        assert_eq!(parse_account("1234567890"), None, "ten digits");
        assert_eq!(parse_account("1234x678903"), None);
        assert_eq!(account_text("12345678903"), "1234.56.78903");
    }

    #[test]
    fn an_account_whose_check_digit_would_be_ten_does_not_exist() {
        // Find a base whose remainder is 1 (check digit 10): no digit makes it valid.
        let base = (0..100_000u64)
            .map(|n| format!("{:010}", 1_000_000_000 + n))
            .find(|b| {
                let s: u32 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
                    .iter()
                    .zip(b.bytes())
                    .map(|(w, c)| w * u32::from(c - b'0'))
                    .sum();
                s % 11 == 1
            })
            .expect("some base has remainder 1");
        for d in 0..10 {
            assert_eq!(parse_account(&format!("{base}{d}")), None);
        }
    }

    #[test]
    fn the_reminder_deadline_is_at_least_fourteen_days() {
        let f = ArrearsForm {
            reminder_deadline_days: "13".into(),
            reminder_after_due_days: "1".into(),
            instalment_grace_days: "0".into(),
            ..ArrearsForm::default()
        };
        let today = NaiveDate::from_ymd_opt(2027, 3, 1).expect("date");
        let e = f.parse(today).expect_err("13 days");
        assert!(e.has("reminder_deadline_days"));
        let ok = ArrearsForm {
            reminder_deadline_days: "14".into(),
            reminder_fee: "70".into(),
            ..f
        };
        let s = ok.parse(today).expect("14 days and 70 kr");
        assert_eq!(s.reminder_fee, Some(7_000));
        let over = ArrearsForm {
            reminder_fee: "70,01".into(),
            ..ok
        };
        assert!(over
            .parse(today)
            .expect_err("above the cap")
            .has("reminder_fee"));
    }
}
