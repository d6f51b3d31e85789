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
    /// Puts `who: ` before the messages of the fields `which` picks (one row of a
    /// repeated group, such as a household member), so that the summary at the top of
    /// the form says whom each message is about.
    pub fn name_row(&mut self, which: impl Fn(&str) -> bool, who: &str) {
        for (field, message) in self.fields.iter_mut() {
            if which(field) {
                *message = format!("{who}: {message}");
            }
        }
    }

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

/// Is this option the chosen one? For the shared select and radio controls, whatever
/// string types the page holds.
pub fn same(option: impl AsRef<str>, chosen: impl AsRef<str>) -> bool {
    option.as_ref() == chosen.as_ref()
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

#[cfg(test)]
mod control_tests {
    use askama::Template;

    use super::FormErrors;

    #[derive(Template)]
    #[template(
        ext = "html",
        source = r#"{% import "partials/fields.html" as f %}
{% call f::csrf(token) %}
{% call f::textarea(errors, "grounds", "Begrunnelse", grounds, "", 4) %}
{% call f::select(errors, "kind", "Type", kind, kinds, "Velg en") %}
{% call f::radios(errors, "answer", "Svar", answer, answers, "") %}"#
    )]
    struct Controls<'a> {
        token: &'a str,
        errors: FormErrors,
        grounds: &'a str,
        kind: &'a str,
        kinds: Vec<(&'a str, &'a str)>,
        answer: String,
        answers: Vec<(String, String)>,
    }

    #[test]
    fn controls_keep_the_input_and_tie_the_message_to_the_field() {
        let mut errors = FormErrors::new();
        errors.add("grounds", "Begrunnelse må fylles ut.");
        errors.add("answer", "Velg et svar.");
        let html = Controls {
            token: "t0k",
            errors,
            grounds: "<skrevet>",
            kind: "b",
            kinds: vec![("a", "A"), ("b", "B")],
            answer: "ja".into(),
            answers: vec![("ja".into(), "Ja".into()), ("nei".into(), "Nei".into())],
        }
        .render()
        .expect("renders");
        assert!(html.contains(r#"name="csrf_token" value="t0k""#), "{html}");
        assert!(html.contains("&#60;skrevet&#62;</textarea>"), "{html}");
        assert!(
            html.contains(
                r#"name="grounds" rows="4" aria-invalid="true" aria-describedby="grounds-err""#
            ),
            "{html}"
        );
        assert!(
            html.contains(r#"id="grounds-err" data-field="validation">Begrunnelse må fylles ut."#)
        );
        assert!(
            html.contains(r#"<option value="b" selected>B</option>"#),
            "{html}"
        );
        assert!(html.contains(r#"aria-describedby="kind-desc""#), "{html}");
        assert!(html.contains(r#"value="ja" checked"#), "{html}");
        assert!(!html.contains(r#"value="nei" checked"#), "{html}");
        assert!(html.contains(r#"id="answer-err""#), "{html}");
    }
}
