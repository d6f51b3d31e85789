//! Changes to a case, one function each. A command takes the write transaction (opened
//! by [`crate::web::load`] on the case's municipality), the actor and a typed input; it
//! checks the rules and the version, makes the change, writes the journal entry and the
//! audit event, and returns an outcome or a [`Refusal`]. It never commits: the handler
//! commits on success and drops the transaction, rolling everything back, on a refusal.

use uuid::Uuid;

use super::repo::{self, ApplicationDetail};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db::Tx;
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::refusal::{Outcome, Refusal};

/// Who a case goes to: a caseworker of its municipality, or nobody.
pub struct Assign {
    pub version: i32,
    pub to: Option<Uuid>,
}

/// Hands the case to a caseworker (or takes it from them).
pub async fn assign(
    tx: &mut Tx,
    actor: Actor<'_>,
    case: &ApplicationDetail,
    input: Assign,
) -> Outcome<()> {
    let m = case.municipality_id;
    // Taking an unassigned case (or one's own) is everybody's; handing a case that has a
    // caseworker to somebody else is the team lead's or the administrator's.
    let own_move = case.caseworker_id.is_none() && input.to == Some(actor.user.id);
    let unchanged = case.caseworker_id == input.to;
    if !own_move && !unchanged && !actor.may(Permission::LeadCases, m) {
        return Err(AppError::Forbidden.into());
    }
    let caseworkers = repo::caseworkers(tx, &[m]).await?;
    let name = match input.to {
        None => None,
        Some(to) => match caseworkers.into_iter().find(|c| c.id == to) {
            Some(c) => Some(c.display_name),
            None => {
                return Err(Refusal::field(
                    "caseworker",
                    "Velg en saksbehandler i kommunen.",
                ))
            }
        },
    };
    if !repo::set_caseworker(tx, m, case.id, input.version, input.to).await? {
        return Err(Refusal::Stale);
    }
    let summary = match name {
        Some(name) => format!("Saken er tildelt {name}"),
        None => "Saken har ikke lenger en ansvarlig saksbehandler".to_string(),
    };
    repo::record_event(
        tx,
        m,
        case.id,
        Some(actor.user.id),
        "assigned",
        &summary,
        "",
        None,
    )
    .await?;
    audit::record(
        tx,
        &actor,
        Event::new("application.assigned")
            .municipality(m)
            .entity("application", case.id)
            .details(serde_json::json!({ "from": case.caseworker_id, "to": input.to })),
    )
    .await?;
    Ok(())
}
