//! The bank import's pure rules: what each transaction of a parsed OCR file becomes (a
//! payment on the lease its KID names, or a line in the queue, and why), the line each
//! transaction starts on, the counts the preview shows, and the queue's forms. No I/O.

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::rent::kid::{self, Modulus};
use crate::rent::ocr::{self, Transmission};
use crate::web::forms::FormErrors;

/// Where a line of an imported file stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineStatus {
    /// Its KID named a lease: the payment is on the ledger.
    Matched,
    /// No lease has the KID, or it has no KID, or it is not a payment (a reversal).
    Unmatched,
    /// The KID's check digit is wrong under both mod 10 and mod 11.
    MalformedKid,
    /// More than one lease could be meant. Not produced today: a KID is unique within a
    /// municipality, and lines are matched within the import's municipality only.
    Ambiguous,
    /// A caseworker put it on a lease: the payment was recorded then.
    Assigned,
    /// A caseworker sent it back to be paid back to the payer.
    Returned,
    /// A bank reversal a caseworker put on a lease: the payment of its amount corrected.
    Reversed,
}

impl LineStatus {
    pub const QUEUED: [LineStatus; 3] = [
        LineStatus::Unmatched,
        LineStatus::MalformedKid,
        LineStatus::Ambiguous,
    ];

    pub fn key(self) -> &'static str {
        match self {
            LineStatus::Matched => "matched",
            LineStatus::Unmatched => "unmatched",
            LineStatus::MalformedKid => "malformed_kid",
            LineStatus::Ambiguous => "ambiguous",
            LineStatus::Assigned => "assigned",
            LineStatus::Returned => "returned",
            LineStatus::Reversed => "reversed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            LineStatus::Matched,
            LineStatus::Unmatched,
            LineStatus::MalformedKid,
            LineStatus::Ambiguous,
            LineStatus::Assigned,
            LineStatus::Returned,
            LineStatus::Reversed,
        ]
        .into_iter()
        .find(|x| x.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            LineStatus::Matched => "Ført på leiekontrakt",
            LineStatus::Unmatched => "Ukjent KID",
            LineStatus::MalformedKid => "Ugyldig KID",
            LineStatus::Ambiguous => "Tvetydig",
            LineStatus::Assigned => "Tildelt av saksbehandler",
            LineStatus::Returned => "Returneres til innbetaler",
            LineStatus::Reversed => "Reversering ført på leiekontrakt",
        }
    }

    pub fn is_queued(self) -> bool {
        Self::QUEUED.contains(&self)
    }
}

/// One transaction of the file and what becomes of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedLine {
    /// The line of amount item 1 in the file (1-based).
    pub line_no: i32,
    pub assignment_account: String,
    pub kid: Option<String>,
    /// Øre, signed as in the file (a reversal is negative).
    pub amount: i64,
    pub paid_on: NaiveDate,
    pub transaction_type: i16,
    pub transaction_no: i32,
    pub archive_reference: String,
    pub status: LineStatus,
    pub lease_id: Option<Uuid>,
    /// Why a line went to the queue.
    pub note: String,
}

pub const NO_KID: &str = "Innbetalingen har ingen KID.";
pub const NOT_A_PAYMENT: &str = "Ikke en innbetaling (reversering eller beløp 0).";
pub const UNKNOWN_KID: &str = "Ingen leiekontrakt i kommunen har denne KID-en.";
pub const BAD_CHECK_DIGIT: &str = "KID-en har feil kontrollsiffer.";

/// Whether a KID could have been issued: digits only, 2–25 long, with a right check digit
/// under mod 10 or mod 11.
pub fn kid_well_formed(k: &str) -> bool {
    (2..=25).contains(&k.len())
        && k.bytes().all(|b| b.is_ascii_digit())
        && (kid::is_valid(k, Modulus::Ten) || kid::is_valid(k, Modulus::Eleven))
}

/// The line number of each transaction's amount item 1, in the order the parser returns
/// the transactions (the file has parsed, so its records are in order: the n-th record of
/// type 30 is the n-th transaction).
pub fn item_lines(bytes: &[u8]) -> Vec<i32> {
    let text = ocr::decode(bytes);
    let text = text.trim_end_matches(['\u{1a}', '\r', '\n']);
    text.split('\n')
        .enumerate()
        .filter(|(_, l)| l.starts_with("NY09") && l.get(6..8) == Some("30"))
        .map(|(i, _)| i as i32 + 1)
        .collect()
}

/// Every transaction of `t`, matched by its KID against `leases` (KID → lease of the
/// import's municipality). `lines` from [`item_lines`].
pub fn plan(t: &Transmission, lines: &[i32], leases: &HashMap<String, Uuid>) -> Vec<PlannedLine> {
    let mut out = Vec::new();
    let mut lines = lines.iter().copied();
    for a in &t.assignments {
        for x in &a.transactions {
            let line_no = lines.next().unwrap_or(0);
            let (status, lease_id, note) = if x.amount_ore <= 0 {
                (LineStatus::Unmatched, None, NOT_A_PAYMENT)
            } else {
                match &x.kid {
                    None => (LineStatus::Unmatched, None, NO_KID),
                    Some(k) => match leases.get(k) {
                        Some(l) => (LineStatus::Matched, Some(*l), ""),
                        None if kid_well_formed(k) => (LineStatus::Unmatched, None, UNKNOWN_KID),
                        None => (LineStatus::MalformedKid, None, BAD_CHECK_DIGIT),
                    },
                }
            };
            out.push(PlannedLine {
                line_no,
                assignment_account: a.account.clone(),
                kid: x.kid.clone(),
                amount: x.amount_ore,
                paid_on: x.settled_on,
                transaction_type: x.transaction_type as i16,
                transaction_no: x.number as i32,
                archive_reference: x.archive_reference.clone(),
                status,
                lease_id,
                note: note.to_string(),
            });
        }
    }
    out
}

/// What the preview and the import row show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub lines: i64,
    pub total: i64,
    pub matched: i64,
    pub matched_total: i64,
    pub queued: i64,
}

pub fn counts(lines: &[PlannedLine]) -> Counts {
    let mut c = Counts::default();
    for l in lines {
        c.lines += 1;
        c.total += l.amount;
        if l.status == LineStatus::Matched {
            c.matched += 1;
            c.matched_total += l.amount;
        } else {
            c.queued += 1;
        }
    }
    c
}

/// The KIDs a file names, once each, that could name a lease (the lookup's input).
pub fn kids(t: &Transmission) -> Vec<String> {
    let mut kids: Vec<String> = t
        .assignments
        .iter()
        .flat_map(|a| a.transactions.iter())
        .filter_map(|x| x.kid.clone())
        .filter(|k| (2..=25).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    kids.sort_unstable();
    kids.dedup();
    kids
}

/// A KID as the ledger may store it (digits, 2–25), else None.
pub fn ledger_kid(k: Option<&str>) -> Option<String> {
    k.filter(|k| (2..=25).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
}

// ---------------------------------------------------------------------------------------
// Upload checks

/// The largest file taken: 100 000 payments are about 16 MB.
pub const MAX_BYTES: usize = 40 * 1024 * 1024;
pub const TOO_LARGE: &str = "Filen er for stor (over 40 MB).";
pub const NO_FILE: &str = "Velg OCR-filen fra banken.";
pub const CHOOSE_MUNICIPALITY: &str = "Velg hvilken kommune innbetalingene hører til.";
pub const NO_TRANSACTIONS: &str = "Filen inneholder ingen innbetalinger.";

/// The refusal of a file that does not parse: where and why.
pub fn refused(e: &ocr::OcrError) -> String {
    format!(
        "Filen kan ikke leses inn, og ingenting er lagret. Linje {}: {}",
        e.line, e.reason
    )
}

pub fn already_imported(transmission: &str, on: &str) -> String {
    format!(
        "Denne filen (forsendelse {transmission}) ble importert {on}. Ingenting er importert på nytt."
    )
}

/// The file pays into an account the municipality has not registered: it is another
/// municipality's file, or the account is missing in the settings.
pub fn foreign_account(account: &str, line: Option<i32>) -> String {
    let at = line.map(|l| format!("Linje {l}: ")).unwrap_or_default();
    format!(
        "{at}oppdragskontoen {} er ikke registrert som husleiekonto for denne kommunen, så filen er ikke lest inn. Velg riktig kommune, eller registrer kontoen under Innstillinger → Husleie og restanser.",
        crate::rent::settings::model::account_text(account)
    )
}

// ---------------------------------------------------------------------------------------
// Resolving a queue line

#[derive(serde::Deserialize, Default, Clone, Debug)]
pub struct AssignForm {
    #[serde(default)]
    pub lease: String,
    #[serde(default)]
    pub version: String,
}

#[derive(serde::Deserialize, Default, Clone, Debug)]
pub struct ReturnForm {
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub version: String,
}

/// Which lease a caseworker named: its lease number or its KID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseRef {
    Number(i32),
    Kid(String),
}

pub const LEASE_REQUIRED: &str = "Skriv leiekontraktens nummer eller KID.";
pub const LEASE_FORMAT: &str = "Skriv leiekontraktnummeret (bare sifre) eller KID-en.";
pub const LEASE_NOT_FOUND: &str =
    "Fant ingen leiekontrakt i kommunen med dette nummeret eller denne KID-en.";
pub const REASON_REQUIRED: &str = "Skriv hvorfor innbetalingen skal returneres.";
pub const REASON_TOO_LONG: &str = "Begrunnelsen kan være høyst 2000 tegn.";
pub const CANNOT_ASSIGN: &str =
    "Linjen har beløp 0 og kan ikke føres på en leiekontrakt. Returner linjen med en begrunnelse.";
pub const NO_PAYMENT_TO_REVERSE: &str =
    "Leiekontrakten har ingen innbetaling på dette beløpet, på eller før oppgjørsdatoen, som ikke allerede er reversert. Sjekk leiekontrakten, eller returner linjen med en begrunnelse.";

impl AssignForm {
    /// A KID Bosak issues has 9 digits or more, written with its leading zeros; a lease
    /// number is shorter and starts with no zero. So a number of 9 digits or more, or one
    /// that starts with 0, is a KID, and a shorter one a lease number: a typed KID is never
    /// taken for another tenant's lease number.
    pub fn parse(&self) -> Result<LeaseRef, FormErrors> {
        let mut e = FormErrors::new();
        let s: String = self.lease.chars().filter(|c| !c.is_whitespace()).collect();
        if s.is_empty() {
            e.add("lease", LEASE_REQUIRED);
            return Err(e);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 25 {
            e.add("lease", LEASE_FORMAT);
            return Err(e);
        }
        match s.parse::<i32>() {
            Ok(n) if s.len() < 9 && !s.starts_with('0') => Ok(LeaseRef::Number(n)),
            _ => Ok(LeaseRef::Kid(s)),
        }
    }
}

impl ReturnForm {
    pub fn parse(&self) -> Result<String, FormErrors> {
        let mut e = FormErrors::new();
        let r = self.reason.trim();
        if r.is_empty() {
            e.add("reason", REASON_REQUIRED);
        } else if r.chars().count() > 2000 {
            e.add("reason", REASON_TOO_LONG);
        }
        if e.is_empty() {
            Ok(r.to_string())
        } else {
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rent::ocr::{Assignment, Transaction};

    fn tx(n: u32, amount: i64, kid: Option<&str>) -> Transaction {
        Transaction {
            number: n,
            transaction_type: if amount < 0 { 18 } else { 10 },
            settled_on: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            centre_id: 1,
            day_code: 3,
            partial_settlement: 1,
            serial_number: n,
            amount_ore: amount,
            kid: kid.map(str::to_string),
            form_number: "0".repeat(10),
            archive_reference: "000000001".into(),
            ordered_on: None,
            payer_account: None,
            free_text: None,
        }
    }

    fn file(txs: Vec<Transaction>) -> (Transmission, Vec<u8>) {
        let t = Transmission {
            number: "0000001".into(),
            data_sender: "00008080".into(),
            data_recipient: "00012345".into(),
            settled_on: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            assignments: vec![Assignment {
                agreement_id: "000000001".into(),
                number: "0000001".into(),
                account: "12345678903".into(),
                settled_on: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
                transactions: txs,
            }],
        };
        let bytes = ocr::write(&t).unwrap();
        (ocr::parse(&bytes).unwrap(), bytes)
    }

    #[test]
    fn each_transaction_is_matched_queued_or_malformed_with_its_line() {
        let good = kid::generate(17, Modulus::Ten).unwrap();
        let unknown = kid::generate(18, Modulus::Ten).unwrap();
        let mut bad = good.clone();
        let last = bad.pop().unwrap();
        bad.push(if last == '0' { '1' } else { '0' });
        let lease = Uuid::now_v7();
        let (t, bytes) = file(vec![
            tx(1, 650_000, Some(&good)),
            tx(2, 100, Some(&unknown)),
            tx(3, 200, Some(&bad)),
            tx(4, 300, None),
            tx(5, -650_000, Some(&good)),
        ]);
        let lines = item_lines(&bytes);
        assert_eq!(lines, vec![3, 5, 7, 9, 11]);
        let leases = HashMap::from([(good.clone(), lease)]);
        let p = plan(&t, &lines, &leases);
        let got: Vec<(i32, LineStatus, Option<Uuid>)> = p
            .iter()
            .map(|l| (l.line_no, l.status, l.lease_id))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, LineStatus::Matched, Some(lease)),
                (5, LineStatus::Unmatched, None),
                (7, LineStatus::MalformedKid, None),
                (9, LineStatus::Unmatched, None),
                (11, LineStatus::Unmatched, None),
            ]
        );
        assert_eq!(p[4].note, NOT_A_PAYMENT);
        let c = counts(&p);
        assert_eq!(
            c,
            Counts {
                lines: 5,
                total: 650_000 + 100 + 200 + 300 - 650_000,
                matched: 1,
                matched_total: 650_000,
                queued: 4,
            }
        );
        assert_eq!(kids(&t).len(), 3);
    }

    #[test]
    fn a_lease_is_named_by_number_or_kid() {
        let f = |s: &str| {
            AssignForm {
                lease: s.into(),
                version: "1".into(),
            }
            .parse()
        };
        assert_eq!(f(" 12 ").ok(), Some(LeaseRef::Number(12)));
        // Bosak's own KIDs are 9 digits with leading zeros: never a lease number.
        assert_eq!(f("000000018").ok(), Some(LeaseRef::Kid("000000018".into())));
        assert_eq!(f("018").ok(), Some(LeaseRef::Kid("018".into())));
        assert_eq!(
            f("1234567890").ok(),
            Some(LeaseRef::Kid("1234567890".into()))
        );
        assert!(f("").unwrap_err().has("lease"));
        assert!(f("12a").unwrap_err().has("lease"));
        assert!(ReturnForm::default().parse().unwrap_err().has("reason"));
    }
}
