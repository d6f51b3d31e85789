//! fvl. § 24 second paragraph and § 29 second paragraph: a party who asks for the grounds of
//! a decision within the appeal deadline interrupts it; a new deadline runs from when the
//! grounds are given. Bosak records the request (the deadlines stop), then the date the
//! grounds were given (new deadlines per point, Norwegian holidays respected).

use axum::extract::Form;
use axum::response::Response;

use super::commands;
use super::forms::{field, Fields};
use super::handlers::{finish, load, Forms};
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;
use crate::web::extract::{version, Id};
use crate::web::forms::FormErrors;

fn with(f: Fields) -> impl FnOnce(FormErrors) -> Forms {
    move |e| Forms {
        grounds_request: Some((f, e)),
        ..Default::default()
    }
}

/// Records that the party asked for grounds: the appeal deadlines stop running.
pub async fn request(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let (mut tx, d) = load(&ctx, id).await?;
    let input = commands::RequestGrounds {
        version: version(field(&f, "version")),
        requested_on: field(&f, "requested_on"),
        note: field(&f, "note"),
    };
    let outcome = commands::request_grounds(&mut tx, ctx.actor(), &d, input).await;
    finish(&ctx, id, tx, outcome, "begrunnelse-krevd", with(f)).await
}

/// Records that the requested grounds were given: new deadlines run from that day.
pub async fn given(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let (mut tx, d) = load(&ctx, id).await?;
    let outcome = commands::grounds_given(
        &mut tx,
        ctx.actor(),
        &d,
        version(field(&f, "version")),
        field(&f, "given_on"),
    )
    .await;
    finish(&ctx, id, tx, outcome, "begrunnelse-gitt", with(f)).await
}
