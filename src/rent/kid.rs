//! KID (kundeidentifikasjon): the reference a tenant pays with, a base number followed by
//! one check digit — mod 10 (Luhn) or mod 11, as the municipality chooses (the schemes of
//! the Norwegian banks' giro standard). Mod 11 cannot produce a check digit for a base
//! whose remainder would make it 10 ("-"); such a base is skipped, never issued.

/// The check digit scheme of a municipality's KIDs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Modulus {
    Ten,
    Eleven,
}

impl Modulus {
    pub fn from_db(n: i16) -> Self {
        if n == 11 {
            Modulus::Eleven
        } else {
            Modulus::Ten
        }
    }

    pub fn to_db(self) -> i16 {
        match self {
            Modulus::Ten => 10,
            Modulus::Eleven => 11,
        }
    }
}

/// How many digits a KID's base has at least (zero-padded): KIDs of one municipality then
/// have the same length until the counter passes 99 999 999.
pub const BASE_DIGITS: usize = 8;

fn digits(s: &str) -> Option<Vec<u32>> {
    if s.is_empty() {
        return None;
    }
    s.chars().map(|c| c.to_digit(10)).collect()
}

/// The Luhn check digit of `base` (digits only): from the right, every other digit starting
/// with the rightmost is doubled (minus 9 when over 9); the check digit brings the sum to a
/// multiple of ten.
pub fn mod10(base: &str) -> Option<u32> {
    let d = digits(base)?;
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 0 {
                let y = x * 2;
                if y > 9 {
                    y - 9
                } else {
                    y
                }
            } else {
                x
            }
        })
        .sum();
    Some((10 - sum % 10) % 10)
}

/// The mod 11 check digit of `base`: weights 2, 3, 4, 5, 6, 7, 2, 3, … from the right;
/// 11 − (sum mod 11), where 11 gives 0 and 10 gives no usable digit (None).
pub fn mod11(base: &str) -> Option<u32> {
    let d = digits(base)?;
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| x * (2 + (i as u32 % 6)))
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c),
    }
}

/// The check digit of `base` under `m`; None when the base cannot carry one.
pub fn check_digit(base: &str, m: Modulus) -> Option<u32> {
    match m {
        Modulus::Ten => mod10(base),
        Modulus::Eleven => mod11(base),
    }
}

/// The KID of base number `n` (zero-padded to [`BASE_DIGITS`]), or None when `m` cannot
/// give it a check digit (mod 11 remainder 1: skip the number).
pub fn generate(n: u64, m: Modulus) -> Option<String> {
    let base = format!("{n:0width$}", width = BASE_DIGITS);
    let c = check_digit(&base, m)?;
    Some(format!("{base}{c}"))
}

/// Is `kid` well formed under `m`: 2 to 25 digits whose last is the check digit of the rest?
pub fn is_valid(kid: &str, m: Modulus) -> bool {
    if !(2..=25).contains(&kid.len()) || !kid.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (base, check) = kid.split_at(kid.len() - 1);
    check_digit(base, m).is_some_and(|c| check.parse::<u32>().ok() == Some(c))
}

/// The next `count` KIDs from base number `from`, skipping bases `m` cannot give a check
/// digit. Returns them with the next unused base number.
pub fn issue(from: u64, count: usize, m: Modulus) -> (Vec<String>, u64) {
    let mut out = Vec::with_capacity(count);
    let mut n = from;
    while out.len() < count {
        if let Some(k) = generate(n, m) {
            out.push(k);
        }
        n += 1;
    }
    (out, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_luhn_numbers() {
        // The textbook Luhn example and a Norwegian KID example.
        assert_eq!(mod10("7992739871"), Some(3));
        assert!(is_valid("79927398713", Modulus::Ten));
        assert!(!is_valid("79927398710", Modulus::Ten));
        assert_eq!(mod10("0000000"), Some(0));
        assert_eq!(generate(1, Modulus::Ten).as_deref(), Some("000000018"));
    }

    #[test]
    fn known_mod11_numbers() {
        // 12345678: weights from the right 2..7,2,3 → 8·2+7·3+6·4+5·5+4·6+3·7+2·2+1·3 = 138;
        // 138 mod 11 = 6; 11 − 6 = 5.
        assert_eq!(mod11("12345678"), Some(5));
        assert!(is_valid("123456785", Modulus::Eleven));
        // Remainder 0 gives check digit 0.
        assert_eq!(mod11("0"), Some(0));
    }

    #[test]
    fn mod11_cannot_produce_some_bases_and_issue_skips_them() {
        // 00000005: 5·2 = 10, 10 mod 11 = 10, 11 − 10 = 1 → fine; find the bases that give 10.
        let impossible: Vec<u64> = (0..200)
            .filter(|&n| generate(n, Modulus::Eleven).is_none())
            .collect();
        assert!(!impossible.is_empty());
        for &n in &impossible {
            let base = format!("{n:08}");
            // No digit 0–9 makes the KID valid.
            for c in 0..10 {
                assert!(
                    !is_valid(&format!("{base}{c}"), Modulus::Eleven),
                    "{base}{c}"
                );
            }
        }
        let (kids, next) = issue(0, 200 - impossible.len(), Modulus::Eleven);
        assert_eq!(next, 200);
        for k in &kids {
            assert!(is_valid(k, Modulus::Eleven));
            let n: u64 = k[..BASE_DIGITS].parse().unwrap();
            assert!(!impossible.contains(&n));
        }
        // Mod 10 never skips.
        assert_eq!(issue(0, 200, Modulus::Ten).1, 200);
    }

    #[test]
    fn malformed_kids_are_invalid() {
        for k in [
            "",
            "1",
            "12a4",
            " 0000000018",
            "00000001８",
            &"1".repeat(26),
        ] {
            assert!(!is_valid(k, Modulus::Ten), "{k:?}");
            assert!(!is_valid(k, Modulus::Eleven), "{k:?}");
        }
    }

    proptest! {
        #[test]
        fn generated_kids_validate_and_one_changed_digit_is_caught(n in 0u64..10_000_000_000, pos in 0usize..9, delta in 1u32..10, eleven: bool) {
            let m = if eleven { Modulus::Eleven } else { Modulus::Ten };
            if let Some(kid) = generate(n, m) {
                prop_assert!(is_valid(&kid, m));
                let pos = pos % kid.len();
                let mut b: Vec<u8> = kid.clone().into_bytes();
                b[pos] = b'0' + ((u32::from(b[pos] - b'0') + delta) % 10) as u8;
                let changed = String::from_utf8(b).unwrap();
                // Both schemes catch every single-digit error.
                prop_assert!(!is_valid(&changed, m), "{} → {}", kid, changed);
            } else {
                prop_assert!(eleven);
            }
        }

        #[test]
        fn issued_kids_are_distinct_and_counted(from in 0u64..1_000_000, count in 0usize..300, eleven: bool) {
            let m = if eleven { Modulus::Eleven } else { Modulus::Ten };
            let (kids, next) = issue(from, count, m);
            prop_assert_eq!(kids.len(), count);
            let set: std::collections::HashSet<_> = kids.iter().collect();
            prop_assert_eq!(set.len(), count);
            prop_assert!(next >= from + count as u64);
        }
    }
}
