//! Admin: the municipality's decision kinds (legal basis, appeal body, deadline) and the
//! standard paragraphs for grounds.

use askama::Template;
use axum::extract::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::commands::admin as commands;
use super::forms::{field, Fields};
use super::handlers::refused;
use super::repo::{self, Kind, Paragraph};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::Id;
use crate::web::forms::{text, FormErrors};
use crate::web::layout::Layout;
use crate::web::{render, render_status};

#[derive(Template)]
#[template(path = "decisions/admin.html")]
pub struct AdminPage {
    pub layout: Layout,
    pub m: MunicipalityRef,
    pub kinds: Vec<Kind>,
    pub paragraphs: Vec<Paragraph>,
    /// fvl. § 16: the response time an advance notice gives by default.
    pub advance_notice_days: i32,
    pub form: Fields,
    pub errors: FormErrors,
}

impl AdminPage {
    pub fn val(&self, k: &str) -> &str {
        field(&self.form, k)
    }
    /// The typed value after a refusal, else the saved one.
    pub fn days_value(&self) -> String {
        match self.form.get("advance_notice_days") {
            Some(v) => v.clone(),
            None => self.advance_notice_days.to_string(),
        }
    }
    pub fn part_label(&self, part: &str) -> &'static str {
        match part {
            "rules" => "Regler",
            "facts" => "Faktiske forhold",
            _ => "Hovedhensyn",
        }
    }
}

fn target(ctx: &Ctx) -> AppResult<MunicipalityRef> {
    let admin = ctx.visible_with_role(Permission::Administer);
    match admin.len() {
        1 => Ok(admin.into_iter().next().expect("one")),
        0 => Err(AppError::Forbidden),
        _ => Err(AppError::NotFound),
    }
}

async fn page(ctx: &Ctx, form: Fields, errors: FormErrors) -> AppResult<AdminPage> {
    let m = target(ctx)?;
    let mut tx = ctx.write_tx(m.id, Permission::Administer).await?;
    repo::ensure_defaults(&mut tx, m.id).await?;
    let kinds = repo::kinds(&mut tx, m.id).await?;
    let paragraphs = repo::paragraphs(&mut tx, m.id).await?;
    let advance_notice_days = repo::advance_notice_days(&mut tx, m.id).await?;
    tx.commit().await?;
    Ok(AdminPage {
        layout: Layout::new(ctx, "innstillinger"),
        m,
        kinds,
        paragraphs,
        advance_notice_days,
        form,
        errors,
    })
}

pub async fn show(ctx: Ctx) -> AppResult<Response> {
    render(&page(&ctx, Fields::new(), FormErrors::new()).await?)
}

pub async fn add_kind(ctx: Ctx, Form(f): Form<Fields>) -> AppResult<Response> {
    let m = target(&ctx)?;
    let mut e = FormErrors::new();
    let name = text(
        &mut e,
        "kind_name",
        field(&f, "kind_name"),
        true,
        200,
        "Navnet",
    );
    let legal_basis = text(
        &mut e,
        "kind_legal_basis",
        field(&f, "kind_legal_basis"),
        true,
        500,
        "Hjemmelen",
    );
    let appeal_body = text(
        &mut e,
        "kind_appeal_body",
        field(&f, "kind_appeal_body"),
        true,
        200,
        "Klageinstansen",
    );
    let weeks = field(&f, "kind_appeal_weeks")
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|w| (1..=52).contains(w));
    if weeks.is_none() {
        e.add(
            "kind_appeal_weeks",
            "Klagefristen må være et helt antall uker fra 1 til 52.",
        );
    }
    let code: String = name
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='z' => c,
            'æ' => 'a',
            'ø' => 'o',
            'å' => 'a',
            _ => '_',
        })
        .take(40)
        .collect();
    if !e.is_empty() {
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&ctx, f, e).await?);
    }
    let mut tx = ctx.write_tx(m.id, Permission::Administer).await?;
    let kind = Kind {
        id: Uuid::nil(),
        code,
        name,
        legal_basis,
        appeal_body,
        appeal_weeks: weeks.unwrap_or(3),
        is_dwelling: f.contains_key("kind_is_dwelling"),
        active: true,
    };
    let outcome = commands::add_kind(&mut tx, ctx.actor(), m.id, &kind).await;
    match db::commit(tx, outcome).await {
        Ok(_) => Ok(Redirect::to("/innstillinger/vedtak").into_response()),
        Err(refusal) => {
            let shown = refusal.shown()?;
            render_status(shown.status(), &page(&ctx, f, shown.errors).await?)
        }
    }
}

pub async fn toggle_kind(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let m = target(&ctx)?;
    let active = field(&f, "active") == "1";
    let mut tx = ctx.write_tx(m.id, Permission::Administer).await?;
    let outcome = commands::set_kind_active(&mut tx, ctx.actor(), m.id, id, active).await;
    db::commit(tx, outcome).await.map_err(refused)?;
    Ok(Redirect::to("/innstillinger/vedtak").into_response())
}

pub async fn add_paragraph(ctx: Ctx, Form(f): Form<Fields>) -> AppResult<Response> {
    let m = target(&ctx)?;
    let mut e = FormErrors::new();
    let part = field(&f, "part").to_owned();
    if !matches!(part.as_str(), "rules" | "facts" | "considerations") {
        e.add(
            "part",
            "Velg hvilken del av begrunnelsen teksten hører til.",
        );
    }
    let title = text(&mut e, "title", field(&f, "title"), true, 200, "Tittelen");
    let body = text(&mut e, "body", field(&f, "body"), true, 10000, "Teksten");
    if !e.is_empty() {
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&ctx, f, e).await?);
    }
    let mut tx = ctx.write_tx(m.id, Permission::Administer).await?;
    let paragraph = commands::NewParagraph { part, title, body };
    let outcome = commands::add_paragraph(&mut tx, ctx.actor(), m.id, &paragraph).await;
    db::commit(tx, outcome).await.map_err(refused)?;
    Ok(Redirect::to("/innstillinger/vedtak#standardtekster").into_response())
}

/// The default response time of advance notices (fvl. § 16), 7–90 days.
pub async fn save_periods(ctx: Ctx, Form(f): Form<Fields>) -> AppResult<Response> {
    let m = target(&ctx)?;
    let mut e = FormErrors::new();
    let days = match field(&f, "advance_notice_days").trim().parse::<i32>() {
        Ok(d) if (7..=90).contains(&d) => Some(d),
        _ => {
            e.add(
                "advance_notice_days",
                "Skriv et helt antall dager mellom 7 og 90.",
            );
            None
        }
    };
    let Some(days) = days else {
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&ctx, f, e).await?);
    };
    let mut tx = ctx.write_tx(m.id, Permission::Administer).await?;
    let outcome = commands::set_advance_notice_days(&mut tx, ctx.actor(), m.id, days).await;
    db::commit(tx, outcome).await.map_err(refused)?;
    Ok(Redirect::to("/innstillinger/vedtak?melding=frister#frister").into_response())
}

pub async fn toggle_paragraph(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let m = target(&ctx)?;
    let active = field(&f, "active") == "1";
    let mut tx = ctx.write_tx(m.id, Permission::Administer).await?;
    let outcome = commands::set_paragraph_active(&mut tx, ctx.actor(), m.id, id, active).await;
    db::commit(tx, outcome).await.map_err(refused)?;
    Ok(Redirect::to("/innstillinger/vedtak#standardtekster").into_response())
}
