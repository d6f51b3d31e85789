//! Norwegian display formats for money and dates.

use chrono::NaiveDate;

/// 1234500 øre → "12 345,00 kr" (narrow no-break space as thousands separator).
pub fn kroner(ore: i64) -> String {
    let negative = ore < 0;
    let abs = ore.unsigned_abs();
    let whole = abs / 100;
    let cents = abs % 100;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(ch);
    }
    format!(
        "{}{grouped},{cents:02}\u{a0}kr",
        if negative { "−" } else { "" }
    )
}

/// Parses what people type for an amount in kroner ("12 345", "12345,50", "12 345,5 kr")
/// into øre. None when it is not an amount.
pub fn parse_kroner(input: &str) -> Option<i64> {
    let cleaned: String = input
        .trim()
        .trim_end_matches("kr")
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '.')
        .collect();
    if cleaned.is_empty() || cleaned.len() > 15 {
        return None;
    }
    let (whole, frac) = match cleaned.split_once(',') {
        Some((w, f)) => (w, f),
        None => (cleaned.as_str(), ""),
    };
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(frac)
}

/// A moment as people in Norway read it: "01.12.2026 kl. 14.05" (Oslo time).
pub fn datetime(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Oslo)
        .format("%d.%m.%Y kl. %H.%M")
        .to_string()
}

/// 2026-01-31 → "31.01.2026".
pub fn date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// Accepts "31.01.2026", "31.1.2026" and "2026-01-31" (what a date input sends).
pub fn parse_date(input: &str) -> Option<NaiveDate> {
    let s = input.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_kroner() {
        assert_eq!(kroner(1_234_500), "12\u{a0}345,00\u{a0}kr");
        assert_eq!(kroner(5), "0,05\u{a0}kr");
        assert_eq!(kroner(-10_000_000), "−100\u{a0}000,00\u{a0}kr");
    }

    #[test]
    fn parses_kroner() {
        assert_eq!(parse_kroner("12 345"), Some(1_234_500));
        assert_eq!(parse_kroner("12345,5"), Some(1_234_550));
        assert_eq!(parse_kroner("12.345,50 kr"), Some(1_234_550));
        assert_eq!(parse_kroner("abc"), None);
        assert_eq!(parse_kroner("1,234"), None);
        assert_eq!(parse_kroner(""), None);
        assert_eq!(parse_kroner("-5"), None);
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        assert_eq!(date(d), "31.01.2026");
        assert_eq!(parse_date("31.01.2026"), Some(d));
        assert_eq!(parse_date("2026-01-31"), Some(d));
        assert_eq!(parse_date("31.1.2026"), Some(d));
        assert_eq!(parse_date("32.01.2026"), None);
    }
}
