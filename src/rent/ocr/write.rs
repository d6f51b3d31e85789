//! Writes a [`Transmission`] as an OCR giro file, the counts, sums and first/last dates of the
//! end records computed from the transactions. Tests and the demo and scale seeds make their
//! bank files with it; `parse(write(x)) == x` for every transmission `write` accepts.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};

use super::{has_free_text, transaction_type_name, Transmission};

/// A transmission that cannot be written as a valid file (a field too long, a date outside
/// 2000–2099, a negative sum …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteError(pub String);

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WriteError {}

fn refuse<T>(what: impl Into<String>) -> Result<T, WriteError> {
    Err(WriteError(what.into()))
}

fn digits(value: &str, len: usize, what: &str) -> Result<String, WriteError> {
    if value.len() == len && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_string())
    } else {
        refuse(format!("{what} must be {len} digits, not {value:?}"))
    }
}

fn number(value: u64, len: usize, what: &str) -> Result<String, WriteError> {
    let s = format!("{value:0len$}");
    if s.len() == len {
        Ok(s)
    } else {
        refuse(format!("{what} {value} does not fit in {len} digits"))
    }
}

fn date(d: NaiveDate) -> Result<String, WriteError> {
    if (2000..=2099).contains(&d.year()) {
        Ok(d.format("%d%m%y").to_string())
    } else {
        refuse(format!("the date {d} is outside 2000–2099"))
    }
}

fn text(value: &str, len: usize, what: &str, align_right: bool) -> Result<String, WriteError> {
    let n = value.chars().count();
    if value.is_empty() || n > len || value != value.trim() || value.chars().any(|c| c.is_control())
    {
        return refuse(format!(
            "{what} must be 1–{len} characters without blanks around them or control characters, not {value:?}"
        ));
    }
    let pad = " ".repeat(len - n);
    Ok(if align_right {
        format!("{pad}{value}")
    } else {
        format!("{value}{pad}")
    })
}

/// The file, one record a line ended by LF, in Windows-1252.
pub fn write(t: &Transmission) -> Result<Vec<u8>, WriteError> {
    let mut out = String::with_capacity(
        160 * (4 + t
            .assignments
            .iter()
            .map(|a| 2 + a.transactions.len() * 2)
            .sum::<usize>()),
    );
    let mut line = |s: String| {
        debug_assert_eq!(s.chars().count(), 80, "{s}");
        out.push_str(&s);
        out.push('\n');
    };
    line(format!(
        "NY000010{}{}{}{}",
        digits(&t.data_sender, 8, "data sender")?,
        digits(&t.number, 7, "transmission number")?,
        digits(&t.data_recipient, 8, "data recipient")?,
        "0".repeat(49)
    ));
    let mut all_transactions: u64 = 0;
    let mut all_records: u64 = 2;
    let mut all_sum: i128 = 0;
    for a in &t.assignments {
        line(format!(
            "NY090020{}{}{}{}",
            digits(&a.agreement_id, 9, "agreement id")?,
            digits(&a.number, 7, "assignment number")?,
            digits(&a.account, 11, "assignment account")?,
            "0".repeat(45)
        ));
        let mut records: u64 = 2;
        let mut sum: i128 = 0;
        for x in &a.transactions {
            if transaction_type_name(x.transaction_type).is_none() {
                return refuse(format!("unknown transaction type {}", x.transaction_type));
            }
            let tt = x.transaction_type;
            let n = number(x.number as u64, 7, "transaction number")?;
            let sign = if x.amount_ore < 0 { '-' } else { '0' };
            let kid = match &x.kid {
                Some(k) => text(k, 25, "KID", true)?,
                None => " ".repeat(25),
            };
            line(format!(
                "NY09{tt:02}30{n}{}{}{}{}{}{sign}{}{kid}{}",
                date(x.settled_on)?,
                number(x.centre_id as u64, 2, "centre id")?,
                number(x.day_code as u64, 2, "day code")?,
                number(x.partial_settlement as u64, 1, "partial settlement number")?,
                number(x.serial_number as u64, 5, "serial number")?,
                number(x.amount_ore.unsigned_abs(), 17, "amount")?,
                "0".repeat(6)
            ));
            let account = match &x.payer_account {
                Some(acc) if acc.bytes().any(|b| b != b'0') => digits(acc, 11, "payer account")?,
                Some(acc) => {
                    return refuse(format!(
                        "a payer account of zeros ({acc}) is written as none"
                    ))
                }
                None => "0".repeat(11),
            };
            line(format!(
                "NY09{tt:02}31{n}{}{}{}{}{account}{}",
                digits(&x.form_number, 10, "form number")?,
                digits(&x.archive_reference, 9, "archive reference")?,
                "0".repeat(7),
                match x.ordered_on {
                    Some(d) => date(d)?,
                    None => "0".repeat(6),
                },
                "0".repeat(22)
            ));
            records += 2;
            if let Some(free) = &x.free_text {
                if !has_free_text(tt) {
                    return refuse(format!("transaction type {tt} has no free text"));
                }
                let mut s = format!("NY09{tt:02}32{n}");
                // Left-aligned; blanks after it are not part of the text.
                let padded = text(free, 40, "free text", false)?;
                let _ = write!(s, "{padded}{}", "0".repeat(25));
                line(s);
                records += 1;
            }
            sum += x.amount_ore as i128;
        }
        let first = a.transactions.iter().map(|x| x.settled_on).min();
        let last = a.transactions.iter().map(|x| x.settled_on).max();
        let optional = |d: Option<NaiveDate>| match d {
            Some(d) => date(d),
            None => Ok("0".repeat(6)),
        };
        line(format!(
            "NY090088{}{}{}{}{}{}{}",
            number(a.transactions.len() as u64, 8, "transactions")?,
            number(records, 8, "records")?,
            sum_field(sum)?,
            date(a.settled_on)?,
            optional(first)?,
            optional(last)?,
            "0".repeat(21)
        ));
        all_transactions += a.transactions.len() as u64;
        all_records += records;
        all_sum += sum;
    }
    line(format!(
        "NY000089{}{}{}{}{}",
        number(all_transactions, 8, "transactions")?,
        number(all_records, 8, "records")?,
        sum_field(all_sum)?,
        date(t.settled_on)?,
        "0".repeat(33)
    ));
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&out);
    if unmappable {
        return refuse("a text has characters Windows-1252 cannot hold");
    }
    Ok(bytes.into_owned())
}

fn sum_field(sum: i128) -> Result<String, WriteError> {
    match u64::try_from(sum) {
        Ok(s) => number(s, 17, "sum"),
        Err(_) => refuse(format!("the sum {sum} is negative")),
    }
}
