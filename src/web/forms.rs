//! Form helpers: collected field errors shown next to their fields.

use std::collections::BTreeMap;

#[derive(Debug, Default, Clone)]
pub struct FormErrors {
    fields: BTreeMap<&'static str, String>,
    /// An error about the form as a whole (e.g. a colleague saved first).
    pub general: Option<String>,
}

impl FormErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.fields.entry(field).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }

    pub fn has(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_none()
    }

    /// Field names with errors, in order, for the error summary at the top of the form.
    pub fn summary(&self) -> Vec<(&'static str, &str)> {
        self.fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
}

/// Trims a text field and checks its length; returns the trimmed value.
pub fn text(
    errors: &mut FormErrors,
    field: &'static str,
    value: &str,
    required: bool,
    max: usize,
    label: &str,
) -> String {
    let v = value.trim().to_string();
    if required && v.is_empty() {
        errors.add(field, format!("{label} må fylles ut."));
    } else if v.chars().count() > max {
        errors.add(field, format!("{label} kan ha høyst {max} tegn."));
    }
    v
}

/// A single-line field (a name, an address): like [`text`], and refused when it holds a
/// line break or another control character, which would otherwise become a heading or a
/// list item where the value is printed in a letter.
pub fn line(
    errors: &mut FormErrors,
    field: &'static str,
    value: &str,
    required: bool,
    max: usize,
    label: &str,
) -> String {
    let v = text(errors, field, value, required, max, label);
    if v.chars().any(char::is_control) {
        errors.add(
            field,
            format!("{label} må stå på én linje, uten linjeskift."),
        );
    }
    v
}

/// The one rule for every piece of text that comes in, whatever the path (urlencoded
/// forms and multipart text fields in [`crate::web::csrf::verify`], CSV import cells in
/// [`crate::dwellings::import`]): no NUL character. PostgreSQL text cannot hold it and no
/// person types one, so it is refused before it reaches a query.
pub fn acceptable_text(value: &str) -> bool {
    !value.contains('\0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_refused_anywhere_and_nothing_else_is() {
        assert!(acceptable_text(""));
        assert!(acceptable_text("Kari Nordmann, Sjøgata 4\t\r\n"));
        assert!(!acceptable_text("\0"));
        assert!(!acceptable_text("Kari\0Nordmann"));
    }
}
