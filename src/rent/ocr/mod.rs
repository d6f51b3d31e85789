//! The Norwegian banks' **OCR giro** file (Nets, now Mastercard Payment Services: "OCR giro –
//! systemspesifikasjon"): the file a bank delivers listing the payments made with a KID to
//! the municipality's account. Pure: bytes in, a [`Transmission`] or an [`OcrError`] out; no
//! database, no I/O.
//!
//! The layout, fixed 80-character records (positions are 1-based and inclusive, as in the
//! specification; cross-checked against the specification's record tables and two independent
//! open-source parsers):
//!
//! | record | pos 1–8 | fields |
//! |---|---|---|
//! | start of transmission | `NY000010` | 9–16 data sender, 17–23 transmission number, 24–31 data recipient, 32–80 zeros |
//! | start of assignment | `NY090020` | 9–17 agreement id, 18–24 assignment number, 25–35 assignment account, 36–80 zeros |
//! | amount item 1 | `NY09tt30` | 9–15 transaction number, 16–21 settlement date (DDMMYY), 22–23 centre id, 24–25 day code, 26 partial settlement number, 27–31 serial number, 32 sign (`0` or `-`), 33–49 amount in øre, 50–74 KID (right-aligned, blanks before), 75–76 card issuer, 77–80 zeros |
//! | amount item 2 | `NY09tt31` | 9–15 transaction number, 16–25 form number, 26–34 archive reference, 35–41 filler, 42–47 payment order date, 48–58 debited account, 59–80 zeros |
//! | amount item 3 | `NY09tt32` | 9–15 transaction number, 16–55 free text (types 20 and 21 only), 56–80 zeros |
//! | end of assignment | `NY090088` | 9–16 transactions, 17–24 records (including the assignment's start and end), 25–41 sum in øre, 42–47 settlement date, 48–53 first and 54–59 last settlement date of the transactions, 60–80 zeros |
//! | end of transmission | `NY000089` | 9–16 transactions, 17–24 records (all, including this one), 25–41 sum in øre, 42–47 settlement date, 48–80 zeros |
//!
//! `tt` is the transaction type (10–21, [`transaction_type_name`]). Every transaction has items 1
//! and 2 with the same type and number; types 20 and 21 (online bank with a message instead of a
//! KID) may add item 3. Filler positions are not judged: files from the banks have been seen with
//! data in the 35–41 "filler" of item 2, and a filler carries nothing Bosak uses.
//!
//! What the parser checks, refusing the whole file at the first fault with its 1-based line number
//! and a Norwegian reason ([`OcrError`]): every record 80 characters, the format code `NY`, known
//! service codes and record types, the order of records (transmission start, assignments, each
//! with start, transactions and end, transmission end, nothing after), the pairing of items 1, 2
//! and 3 by type and number, numeric fields, dates, transaction types, the sign, a transaction
//! number used twice in an assignment, and every count, sum and first/last date in the end
//! records. The sum in the end records is the net sum of the signed amounts (a reversal, sign `-`,
//! counts negative). Service codes other than 09 (e.g. AvtaleGiro mandates, 21) are refused with
//! a reason: Bosak imports only OCR giro payments.
//!
//! Accepted bytes: ASCII or Windows-1252 (UTF-8 too when the bytes are valid UTF-8, with or
//! without a byte order mark); lines ended by LF or CRLF; with or without a trailing newline;
//! blank lines and a DOS end-of-file mark (0x1A) after the last record are ignored.
//!
//! The KID is kept as written (without the blanks it is padded with) and not judged here: the
//! import decides whether it names a lease (`rent::kid`).

mod write;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt;

use chrono::NaiveDate;

pub use write::{write, WriteError};

/// One OCR file: one transmission from the bank's clearing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmission {
    /// Forsendelsesnummer, 7 digits: unique per data sender.
    pub number: String,
    /// Dataavsender, 8 digits (Nets is 00008080).
    pub data_sender: String,
    /// Datamottaker, 8 digits: the municipality's customer unit.
    pub data_recipient: String,
    /// The settlement date in the end record.
    pub settled_on: NaiveDate,
    pub assignments: Vec<Assignment>,
}

/// One assignment (oppdrag): the payments to one account under one agreement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// Avtale-ID, 9 digits.
    pub agreement_id: String,
    /// Oppdragsnummer, 7 digits.
    pub number: String,
    /// Oppdragskonto, the account credited: 11 digits.
    pub account: String,
    /// The settlement date in the assignment's end record.
    pub settled_on: NaiveDate,
    pub transactions: Vec<Transaction>,
}

/// One payment: amount items 1, 2 and (types 20 and 21) 3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// Transaksjonsnummer, at most 7 digits.
    pub number: u32,
    /// Transaksjonstype 10–21 ([`transaction_type_name`]).
    pub transaction_type: u8,
    /// Oppgjørsdato: the day the money was settled to the account.
    pub settled_on: NaiveDate,
    /// Sentral-ID, day code, partial settlement number and serial number: Nets' reference to
    /// the settlement the payment was part of.
    pub centre_id: u8,
    pub day_code: u8,
    pub partial_settlement: u8,
    pub serial_number: u32,
    /// The amount in øre; negative for a reversal (sign `-`).
    pub amount_ore: i64,
    /// The KID as written, without the padding blanks; `None` when blank.
    pub kid: Option<String>,
    /// Blankettnummer, 10 digits (zeros when there was no paper form).
    pub form_number: String,
    /// Arkivreferanse, 9 digits: the bank's reference for this payment.
    pub archive_reference: String,
    /// Oppdragsdato: the day the payer ordered the payment, when given.
    pub ordered_on: Option<NaiveDate>,
    /// Debetkonto: the payer's account, when given (11 digits).
    pub payer_account: Option<String>,
    /// Fritekst (amount item 3), when given.
    pub free_text: Option<String>,
}

/// The transaction types of OCR giro, with the names Nets gives them.
pub fn transaction_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        10 => "Giro belastet konto",
        11 => "Faste oppdrag",
        12 => "Direkte remittering",
        13 => "Bedriftsterminalgiro (BTG)",
        14 => "Skrankegiro",
        15 => "AvtaleGiro",
        16 => "TeleGiro",
        17 => "Giro betalt kontant",
        18 => "Reversering med KID",
        19 => "Kjøp med KID",
        20 => "Reversering med fritekst",
        21 => "Kjøp med fritekst",
        _ => return None,
    })
}

/// Whether a transaction type may carry amount item 3 (free text).
pub fn has_free_text(t: u8) -> bool {
    matches!(t, 20 | 21)
}

/// Why a file was refused: the 1-based line and a Norwegian reason. Shown as
/// `Linje 17: …`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcrError {
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for OcrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Linje {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for OcrError {}

fn fail<T>(line: usize, reason: impl Into<String>) -> Result<T, OcrError> {
    Err(OcrError {
        line,
        reason: reason.into(),
    })
}

/// The bytes as text: UTF-8 when they are valid UTF-8 (a byte order mark dropped), otherwise
/// Windows-1252 (which every byte decodes in, and ASCII is a part of).
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    }
}

/// The SHA-256 of the file's records, the same whatever its line endings, trailing newline or
/// encoding: the import keeps it so the same file is recognised again.
pub fn content_hash(bytes: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let text = decode(bytes);
    let mut h = Sha256::new();
    for (_, line) in lines(&text) {
        h.update(line.as_bytes());
        h.update(b"\n");
    }
    h.finalize().into()
}

/// The record lines with their 1-based numbers: LF or CRLF, trailing blank lines and a final
/// end-of-file mark dropped.
fn lines(text: &str) -> Vec<(usize, &str)> {
    let text = text.trim_end_matches(['\u{1a}', '\r', '\n']);
    if text.is_empty() {
        return Vec::new();
    }
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .collect()
}

/// One record: its line number and its 80 characters.
struct Rec<'a> {
    line: usize,
    text: &'a str,
    /// Characters are bytes (the usual case): fields are sliced by byte.
    ascii: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    TransmissionStart,
    TransmissionEnd,
    AssignmentStart,
    AssignmentEnd,
    Item1,
    Item2,
    Item3,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::TransmissionStart => "startrecord for forsendelse (NY000010)",
            Kind::TransmissionEnd => "sluttrecord for forsendelse (NY000089)",
            Kind::AssignmentStart => "startrecord for oppdrag (NY090020)",
            Kind::AssignmentEnd => "sluttrecord for oppdrag (NY090088)",
            Kind::Item1 => "beløpspost 1 (recordtype 30)",
            Kind::Item2 => "beløpspost 2 (recordtype 31)",
            Kind::Item3 => "beløpspost 3 (recordtype 32)",
        }
    }
}

impl<'a> Rec<'a> {
    fn new(line: usize, text: &'a str) -> Result<Rec<'a>, OcrError> {
        let ascii = text.is_ascii();
        let len = if ascii {
            text.len()
        } else {
            text.chars().count()
        };
        if len != 80 {
            return fail(
                line,
                format!("linjen har {len} tegn; hver record i en OCR-fil skal ha nøyaktig 80 tegn"),
            );
        }
        if let Some(pos) = text.chars().position(|ch| ch.is_control()) {
            return fail(
                line,
                format!("linjen har et kontrolltegn i posisjon {}", pos + 1),
            );
        }
        Ok(Rec { line, text, ascii })
    }

    /// Positions `from..=to`, 1-based as in the specification.
    fn raw(&self, from: usize, to: usize) -> &'a str {
        if self.ascii {
            return &self.text[from - 1..to];
        }
        let byte = |i: usize| {
            self.text
                .char_indices()
                .nth(i)
                .map(|(b, _)| b)
                .unwrap_or(self.text.len())
        };
        &self.text[byte(from - 1)..byte(to)]
    }

    fn kind(&self) -> Result<Kind, OcrError> {
        if self.raw(1, 2) != "NY" {
            return fail(
                self.line,
                format!(
                    "formatkoden i posisjon 1–2 skal være «NY», ikke «{}»",
                    self.raw(1, 2)
                ),
            );
        }
        let service = self.raw(3, 4);
        let record = self.raw(7, 8);
        let kind = match (service, record) {
            ("00", "10") => Kind::TransmissionStart,
            ("00", "89") => Kind::TransmissionEnd,
            ("09", "20") => Kind::AssignmentStart,
            ("09", "88") => Kind::AssignmentEnd,
            ("09", "30") => Kind::Item1,
            ("09", "31") => Kind::Item2,
            ("09", "32") => Kind::Item3,
            ("00", _) | ("09", _) => {
                return fail(
                    self.line,
                    format!("ukjent recordtype «{record}» i posisjon 7–8"),
                )
            }
            _ => {
                return fail(
                    self.line,
                    format!(
                        "tjenestekode «{service}» i posisjon 3–4 kan ikke importeres; \
                         Bosak leser bare OCR giro (tjenestekode 09)"
                    ),
                )
            }
        };
        let expected_type = match kind {
            Kind::TransmissionStart | Kind::TransmissionEnd => Some(("00", "forsendelsestype")),
            Kind::AssignmentStart | Kind::AssignmentEnd => Some(("00", "oppdragstype")),
            _ => None,
        };
        if let Some((want, what)) = expected_type {
            if self.raw(5, 6) != want {
                return fail(
                    self.line,
                    format!(
                        "{what} i posisjon 5–6 skal være «{want}», ikke «{}»",
                        self.raw(5, 6)
                    ),
                );
            }
        }
        Ok(kind)
    }

    /// A numeric field: digits only.
    fn digits(&self, from: usize, to: usize, what: &str) -> Result<&'a str, OcrError> {
        let s = self.raw(from, to);
        if s.bytes().all(|c| c.is_ascii_digit()) {
            Ok(s)
        } else {
            fail(
                self.line,
                format!("{what} i posisjon {from}–{to} skal bare ha sifre, men er «{s}»"),
            )
        }
    }

    fn number(&self, from: usize, to: usize, what: &str) -> Result<u64, OcrError> {
        let s = self.digits(from, to, what)?;
        // At most 17 digits: always fits.
        Ok(s.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0')))
    }

    /// A date as DDMMYY, in 2000–2099.
    fn date(&self, from: usize, what: &str) -> Result<NaiveDate, OcrError> {
        match self.optional_date(from, what)? {
            Some(d) => Ok(d),
            None => fail(
                self.line,
                format!("{what} i posisjon {from}–{} mangler (000000)", from + 5),
            ),
        }
    }

    /// A date as DDMMYY, or `None` for 000000.
    fn optional_date(&self, from: usize, what: &str) -> Result<Option<NaiveDate>, OcrError> {
        let s = self.digits(from, from + 5, what)?;
        if s == "000000" {
            return Ok(None);
        }
        let n = |a: usize| s[a..a + 2].parse::<u32>().unwrap_or(0);
        match NaiveDate::from_ymd_opt(2000 + n(4) as i32, n(2), n(0)) {
            Some(d) => Ok(Some(d)),
            None => fail(
                self.line,
                format!(
                    "{what} i posisjon {from}–{} er ikke en gyldig dato (DDMMÅÅ): «{s}»",
                    from + 5
                ),
            ),
        }
    }
}

/// The records in order, each read when asked for.
struct Records<'a> {
    lines: Vec<(usize, &'a str)>,
    next: usize,
}

impl<'a> Records<'a> {
    fn last_line(&self) -> usize {
        self.lines.last().map(|(n, _)| *n).unwrap_or(1)
    }

    /// The next record and its kind; at the end of the file, a refusal naming what was
    /// expected.
    fn take(&mut self, expected: &str) -> Result<(Rec<'a>, Kind), OcrError> {
        let Some(&(line, text)) = self.lines.get(self.next) else {
            return fail(self.last_line(), format!("filen slutter før {expected}"));
        };
        self.next += 1;
        if text.trim().is_empty() {
            return fail(line, "tom linje midt i filen");
        }
        let rec = Rec::new(line, text)?;
        let kind = rec.kind()?;
        Ok((rec, kind))
    }

    fn peek_kind(&self) -> Option<Result<Kind, OcrError>> {
        let &(line, text) = self.lines.get(self.next)?;
        if text.trim().is_empty() {
            return Some(fail(line, "tom linje midt i filen"));
        }
        Some(Rec::new(line, text).and_then(|r| r.kind()))
    }
}

fn unexpected<T>(rec: &Rec<'_>, found: Kind, expected: &str) -> Result<T, OcrError> {
    fail(
        rec.line,
        format!("ventet {expected}, men fant {}", found.name()),
    )
}

/// Parses an OCR giro file. A file with any fault is refused whole: the error names the
/// first faulty line and why.
pub fn parse(bytes: &[u8]) -> Result<Transmission, OcrError> {
    let text = decode(bytes);
    let lines = lines(&text);
    if lines.is_empty() {
        return fail(1, "filen er tom");
    }
    let mut records = Records { lines, next: 0 };

    let start_name = Kind::TransmissionStart.name();
    let (start, kind) = records.take(start_name)?;
    if kind != Kind::TransmissionStart {
        return fail(
            start.line,
            format!(
                "filen skal begynne med {start_name}, men begynner med {}",
                kind.name()
            ),
        );
    }
    let data_sender = start.digits(9, 16, "Dataavsender")?.to_string();
    let number = start.digits(17, 23, "Forsendelsesnummer")?.to_string();
    let data_recipient = start.digits(24, 31, "Datamottaker")?.to_string();

    let mut assignments = Vec::new();
    let mut total_transactions: u64 = 0;
    let mut total_records: u64 = 1;
    let mut total_sum: i128 = 0;
    let expected =
        "startrecord for oppdrag (NY090020) eller sluttrecord for forsendelse (NY000089)";
    let end = loop {
        let (rec, kind) = records.take(expected)?;
        match kind {
            Kind::AssignmentStart => {
                let (assignment, n_records, sum) = parse_assignment(rec, &mut records)?;
                total_transactions += assignment.transactions.len() as u64;
                total_records += n_records;
                total_sum += sum;
                assignments.push(assignment);
            }
            Kind::TransmissionEnd => break rec,
            other => return unexpected(&rec, other, expected),
        }
    };
    total_records += 1;

    let stated = end.number(9, 16, "Antall transaksjoner")?;
    if stated != total_transactions {
        return fail(
            end.line,
            format!(
                "sluttrecord for forsendelse oppgir {stated} transaksjoner, men filen har {total_transactions}"
            ),
        );
    }
    let stated = end.number(17, 24, "Antall records")?;
    if stated != total_records {
        return fail(
            end.line,
            format!(
                "sluttrecord for forsendelse oppgir {stated} records, men filen har {total_records}"
            ),
        );
    }
    let stated = end.number(25, 41, "Sum beløp")?;
    if stated as i128 != total_sum {
        return fail(
            end.line,
            format!(
                "sluttrecord for forsendelse oppgir sum {}, men transaksjonene summerer til {}",
                ore_text(stated as i128),
                ore_text(total_sum)
            ),
        );
    }
    let settled_on = end.date(42, "Oppgjørsdato")?;

    if let Some(&(line, _)) = records.lines.get(records.next) {
        return fail(
            line,
            "linjen kommer etter sluttrecord for forsendelse (NY000089); \
             filen skal slutte der",
        );
    }

    Ok(Transmission {
        number,
        data_sender,
        data_recipient,
        settled_on,
        assignments,
    })
}

/// An amount in øre as kroner for a reason: "1 234,50 kr".
fn ore_text(ore: i128) -> String {
    match i64::try_from(ore) {
        Ok(o) => crate::web::format::kroner(o),
        Err(_) => format!("{ore} øre"),
    }
}

/// One assignment from its start record to its end record; returns it with its number of
/// records (start and end included) and its net sum.
fn parse_assignment(
    start: Rec<'_>,
    records: &mut Records<'_>,
) -> Result<(Assignment, u64, i128), OcrError> {
    let agreement_id = start.digits(9, 17, "Avtale-ID")?.to_string();
    let number = start.digits(18, 24, "Oppdragsnummer")?.to_string();
    let account = start.digits(25, 35, "Oppdragskonto")?.to_string();

    let mut transactions: Vec<Transaction> = Vec::new();
    // Transaction number → the line of its item 1, to refuse a number used twice.
    let mut seen: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    let mut n_records: u64 = 1;
    let mut sum: i128 = 0;
    let expected = "beløpspost 1 (recordtype 30) eller sluttrecord for oppdrag (NY090088)";
    let end = loop {
        let (rec, kind) = records.take(expected)?;
        match kind {
            Kind::Item1 => {
                let (t, n) = parse_transaction(rec, records, &mut seen)?;
                n_records += n;
                sum += t.amount_ore as i128;
                transactions.push(t);
            }
            Kind::AssignmentEnd => break rec,
            other => return unexpected(&rec, other, expected),
        }
    };
    n_records += 1;

    let stated = end.number(9, 16, "Antall transaksjoner")?;
    if stated != transactions.len() as u64 {
        return fail(
            end.line,
            format!(
                "sluttrecord for oppdrag oppgir {stated} transaksjoner, men oppdraget har {}",
                transactions.len()
            ),
        );
    }
    let stated = end.number(17, 24, "Antall records")?;
    if stated != n_records {
        return fail(
            end.line,
            format!(
                "sluttrecord for oppdrag oppgir {stated} records, men oppdraget har {n_records}"
            ),
        );
    }
    let stated = end.number(25, 41, "Sum beløp")?;
    if stated as i128 != sum {
        return fail(
            end.line,
            format!(
                "sluttrecord for oppdrag oppgir sum {}, men transaksjonene summerer til {}",
                ore_text(stated as i128),
                ore_text(sum)
            ),
        );
    }
    let settled_on = end.date(42, "Oppgjørsdato")?;
    let first = end.optional_date(48, "Første oppgjørsdato")?;
    let last = end.optional_date(54, "Siste oppgjørsdato")?;
    let min = transactions.iter().map(|t| t.settled_on).min();
    let max = transactions.iter().map(|t| t.settled_on).max();
    if let Some(min) = min {
        if first != Some(min) {
            return fail(
                end.line,
                format!(
                    "første oppgjørsdato i posisjon 48–53 er {}, men den tidligste transaksjonen er fra {}",
                    date_text(first),
                    crate::web::format::date(min)
                ),
            );
        }
    }
    if let Some(max) = max {
        if last != Some(max) {
            return fail(
                end.line,
                format!(
                    "siste oppgjørsdato i posisjon 54–59 er {}, men den seneste transaksjonen er fra {}",
                    date_text(last),
                    crate::web::format::date(max)
                ),
            );
        }
    }

    Ok((
        Assignment {
            agreement_id,
            number,
            account,
            settled_on,
            transactions,
        },
        n_records,
        sum,
    ))
}

fn date_text(d: Option<NaiveDate>) -> String {
    d.map(crate::web::format::date)
        .unwrap_or_else(|| "tom (000000)".to_string())
}

/// One transaction from its item 1: items 2 and (optional, types 20 and 21) 3 must follow
/// with the same type and number. Returns it and its number of records.
fn parse_transaction(
    one: Rec<'_>,
    records: &mut Records<'_>,
    seen: &mut std::collections::HashMap<u32, usize>,
) -> Result<(Transaction, u64), OcrError> {
    let transaction_type = one.number(5, 6, "Transaksjonstype")? as u8;
    if transaction_type_name(transaction_type).is_none() {
        return fail(
            one.line,
            format!(
                "transaksjonstype {transaction_type:02} i posisjon 5–6 finnes ikke i OCR giro (gyldige er 10–21)"
            ),
        );
    }
    let number = one.number(9, 15, "Transaksjonsnummer")? as u32;
    if let Some(first) = seen.insert(number, one.line) {
        return fail(
            one.line,
            format!("transaksjonsnummer {number} er brukt før i samme oppdrag (linje {first})"),
        );
    }
    let settled_on = one.date(16, "Oppgjørsdato")?;
    let centre_id = one.number(22, 23, "Sentral-ID")? as u8;
    let day_code = one.number(24, 25, "Dagkode")? as u8;
    let partial_settlement = one.number(26, 26, "Delavregningsnummer")? as u8;
    let serial_number = one.number(27, 31, "Løpenummer")? as u32;
    let negative = match one.raw(32, 32).chars().next().unwrap_or(' ') {
        '0' => false,
        '-' => true,
        other => {
            return fail(
                one.line,
                format!("fortegnet i posisjon 32 skal være «0» eller «-», ikke «{other}»"),
            )
        }
    };
    let amount = one.number(33, 49, "Beløp")? as i64;
    let amount_ore = if negative { -amount } else { amount };
    let kid = one.raw(50, 74);
    let kid = kid.trim();
    let kid = (!kid.is_empty()).then(|| kid.to_string());

    let item2 = Kind::Item2.name();
    let expected = format!("{item2} for transaksjon {number}");
    let (two, kind) = records.take(&expected)?;
    if kind != Kind::Item2 {
        return unexpected(&two, kind, &expected);
    }
    same_transaction(&two, item2, transaction_type, number)?;
    let form_number = two.digits(16, 25, "Blankettnummer")?.to_string();
    let archive_reference = two.digits(26, 34, "Arkivreferanse")?.to_string();
    let ordered_on = two.optional_date(42, "Oppdragsdato")?;
    let payer_account = two.digits(48, 58, "Debetkonto")?;
    let payer_account =
        (payer_account.bytes().any(|b| b != b'0')).then(|| payer_account.to_string());
    let mut n_records = 2;

    let mut free_text = None;
    if let Some(Ok(Kind::Item3)) = records.peek_kind() {
        let (three, _) = records.take(Kind::Item3.name())?;
        if !has_free_text(transaction_type) {
            return fail(
                three.line,
                format!(
                    "beløpspost 3 (fritekst) hører bare til transaksjonstype 20 og 21, \
                     ikke {transaction_type}"
                ),
            );
        }
        same_transaction(&three, Kind::Item3.name(), transaction_type, number)?;
        let text = three.raw(16, 55);
        let text = text.trim_end();
        free_text = (!text.is_empty()).then(|| text.to_string());
        n_records += 1;
    }

    Ok((
        Transaction {
            number,
            transaction_type,
            settled_on,
            centre_id,
            day_code,
            partial_settlement,
            serial_number,
            amount_ore,
            kid,
            form_number,
            archive_reference,
            ordered_on,
            payer_account,
            free_text,
        },
        n_records,
    ))
}

/// Items 2 and 3 carry the type and number of the item 1 before them.
fn same_transaction(rec: &Rec<'_>, name: &str, t: u8, number: u32) -> Result<(), OcrError> {
    let their_type = rec.number(5, 6, "Transaksjonstype")?;
    if their_type != t as u64 {
        return fail(
            rec.line,
            format!(
                "{name} har transaksjonstype {their_type:02}, men beløpspost 1 før den har {t:02}"
            ),
        );
    }
    let their_number = rec.number(9, 15, "Transaksjonsnummer")?;
    if their_number != number as u64 {
        return fail(
            rec.line,
            format!(
                "{name} har transaksjonsnummer {their_number}, men beløpspost 1 før den har {number}"
            ),
        );
    }
    Ok(())
}
