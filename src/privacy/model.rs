//! Rules of data protection without I/O: the retention period's bounds.

/// Bounds of the retention period in years (also a CHECK in the database). At least two
/// years, so no setting can cut short the one-year window for late appeals (fvl. § 31).
pub const RETENTION_YEARS: std::ops::RangeInclusive<i32> = 2..=30;

/// The retention period an admin typed, or the message shown next to the field.
pub fn parse_retention_years(input: &str) -> Result<i32, &'static str> {
    match input.trim().parse::<i32>() {
        Ok(y) if RETENTION_YEARS.contains(&y) => Ok(y),
        Ok(_) => Err("Oppbevaringstiden må være mellom 2 og 30 år."),
        Err(_) => Err("Skriv et helt antall år, for eksempel 10."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_years_are_whole_years_within_bounds() {
        assert_eq!(parse_retention_years(" 10 "), Ok(10));
        assert_eq!(parse_retention_years("2"), Ok(2));
        assert_eq!(parse_retention_years("30"), Ok(30));
        assert!(parse_retention_years("1").is_err());
        assert!(parse_retention_years("31").is_err());
        assert!(parse_retention_years("").is_err());
        assert!(parse_retention_years("ti").is_err());
        assert!(parse_retention_years("10.5").is_err());
    }
}
