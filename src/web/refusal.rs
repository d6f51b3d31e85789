//! Typed refusals: what a command returns when it will not make a change. A handler turns
//! a refusal into the same form, re-rendered with the message next to the field and
//! everything the user typed kept; nothing is saved, because the transaction the command
//! ran in is dropped (and so rolled back) instead of committed.

use axum::http::StatusCode;

use crate::web::error::AppError;
use crate::web::forms::FormErrors;

/// The one wording of a stale edit, wherever it happens.
pub const STALE: &str = "Dette ble endret av noen andre mens du arbeidet. Ingenting er lagret, \
     men det du skrev står fortsatt i skjemaet. Se over hvordan det er nå, og send inn på nytt.";

#[derive(Debug)]
pub enum Refusal {
    /// The input breaks a rule: messages by field (422).
    Invalid(FormErrors),
    /// A colleague changed the record since the form was opened (409).
    Stale,
    /// The record is taken or past the step the form is for: another offer holds the
    /// unit, the minutes are locked, the appeal has moved on (409 with the reason).
    Conflict(FormErrors),
    /// Not a matter for the form: not found, forbidden, or a fault (its own page).
    Error(AppError),
}

/// What a command returns.
pub type Outcome<T> = Result<T, Refusal>;

/// A refusal as the form shows it.
#[derive(Debug, Default)]
pub struct Shown {
    pub errors: FormErrors,
    pub status: Option<StatusCode>,
}

impl Shown {
    pub fn status(&self) -> StatusCode {
        self.status.unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
    }
}

impl Refusal {
    /// One message next to one field.
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = FormErrors::new();
        errors.add(field, message);
        Refusal::Invalid(errors)
    }

    /// A message about the form as a whole.
    pub fn general(message: impl Into<String>) -> Self {
        let mut errors = FormErrors::new();
        errors.general = Some(message.into());
        Refusal::Invalid(errors)
    }

    /// Taken or past the step, with the reason for the form as a whole (409).
    pub fn conflict(message: impl Into<String>) -> Self {
        let mut errors = FormErrors::new();
        errors.general = Some(message.into());
        Refusal::Conflict(errors)
    }

    /// Ok when there is nothing to refuse.
    pub fn unless_empty(errors: FormErrors) -> Outcome<()> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Refusal::Invalid(errors))
        }
    }

    /// The messages the form shows and its status; errors that are not about the form
    /// (404, 403, a fault) pass on to their own page.
    pub fn shown(self) -> Result<Shown, AppError> {
        match self {
            Refusal::Invalid(errors) => Ok(Shown {
                errors,
                status: Some(StatusCode::UNPROCESSABLE_ENTITY),
            }),
            Refusal::Conflict(errors) => Ok(Shown {
                errors,
                status: Some(StatusCode::CONFLICT),
            }),
            Refusal::Stale => {
                let mut errors = FormErrors::new();
                errors.general = Some(STALE.into());
                Ok(Shown {
                    errors,
                    status: Some(StatusCode::CONFLICT),
                })
            }
            Refusal::Error(e) => Err(e),
        }
    }
}

/// A refusal where there is no form to show it on: a stale edit is the 409 page, field
/// messages a 422 … as the error page of their kind.
impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Stale | Refusal::Conflict(_) => AppError::Conflict,
            Refusal::Invalid(_) => AppError::BadRequest,
            Refusal::Error(e) => e,
        }
    }
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Conflict => Refusal::Stale,
            e => Refusal::Error(e),
        }
    }
}

impl From<sqlx::Error> for Refusal {
    fn from(e: sqlx::Error) -> Self {
        Refusal::Error(AppError::Database(e))
    }
}

impl From<askama::Error> for Refusal {
    fn from(e: askama::Error) -> Self {
        Refusal::Error(AppError::Template(e))
    }
}

impl From<anyhow::Error> for Refusal {
    fn from(e: anyhow::Error) -> Self {
        Refusal::Error(AppError::Internal(e))
    }
}

impl From<FormErrors> for Refusal {
    fn from(errors: FormErrors) -> Self {
        Refusal::Invalid(errors)
    }
}

/// A database refusal of a named constraint as a message next to a field: the database
/// enforces the rule, the form explains it. Other errors pass through unchanged.
pub fn on_constraint(e: sqlx::Error, constraints: &[(&str, &'static str, &str)]) -> Refusal {
    if let sqlx::Error::Database(db) = &e {
        if let Some(name) = db.constraint() {
            if let Some((_, field, message)) = constraints.iter().find(|(c, _, _)| *c == name) {
                return Refusal::field(field, *message);
            }
        }
    }
    Refusal::from(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_edit_is_a_conflict_with_the_one_wording() {
        let shown = Refusal::Stale.shown().expect("a form matter");
        assert_eq!(shown.status(), StatusCode::CONFLICT);
        assert_eq!(shown.errors.general.as_deref(), Some(STALE));
        let shown = Refusal::from(AppError::Conflict)
            .shown()
            .expect("a form matter");
        assert_eq!(shown.status(), StatusCode::CONFLICT);
    }

    #[test]
    fn field_messages_stay_with_their_field_and_other_errors_pass_on() {
        let shown = Refusal::field("name", "Navn må fylles ut.")
            .shown()
            .expect("form");
        assert_eq!(shown.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(shown.errors.get("name"), Some("Navn må fylles ut."));
        assert!(matches!(
            Refusal::from(AppError::NotFound).shown(),
            Err(AppError::NotFound)
        ));
        assert!(Refusal::unless_empty(FormErrors::new()).is_ok());
    }
}
