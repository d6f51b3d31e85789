//! Interim reply (foreløpig svar, forvaltningsloven § 11a): the caseworker writes why the
//! case takes time and when a decision is expected, prints the letter (HTML and PDF from
//! the letters module), and records that it was sent; the letter is archived as sent.
//! When the promised date passes without a decision a new interim reply is due (the
//! scheduled job marks it; `repo::reopen_interim`), so a case can have several.

use askama::Template;
use axum::extract::Form;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use uuid::Uuid;

use super::commands::{self, case_path};
use super::handlers::{load_case, VersionForm};
use super::model::{deadline, Deadline, InterimForm};
use super::repo::{self, ApplicationDetail, Letterhead};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db;
use crate::letters::archive::{self, Kind, Summary};
use crate::letters::{self, verbatim_lines, Block};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{self, Id};
use crate::web::format;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::{Outcome, Refusal};
use crate::web::{render, render_status};

#[derive(Template)]
#[template(path = "applications/interim.html")]
pub struct InterimPage {
    pub layout: Layout,
    pub c: ApplicationDetail,
    pub form: InterimForm,
    pub errors: FormErrors,
    pub today: String,
    pub deadline: Deadline,
    /// The letter as it would be sent now (a draft), when there is a text.
    pub blocks: Vec<Block>,
    /// Interim replies already sent, as archived.
    pub sent_letters: Vec<Summary>,
    /// The promised date of the last reply has passed without a decision.
    pub new_one_due: bool,
    /// The text was just saved.
    pub saved: bool,
}

#[derive(Template)]
#[template(path = "letters/interim.txt", escape = "none")]
struct InterimLetterText {
    letterhead: String,
    address_lines: Vec<String>,
    date: String,
    case_number: String,
    author: String,
    recipient: String,
    recipient_address: Vec<String>,
    draft: bool,
    earlier: usize,
    received: String,
    reason_lines: Vec<String>,
    expected: String,
    phone: String,
}

/// The interim letter: (blocks, author, footer, recipient).
pub fn compose(
    c: &ApplicationDetail,
    head: &Letterhead,
    author: &str,
    date: NaiveDate,
    earlier: usize,
    draft: bool,
) -> AppResult<(Vec<Block>, String, String, String)> {
    let place = format!("{} {}", head.postcode, head.postal_place);
    let rplace = format!("{} {}", c.applicant_postcode, c.applicant_postal_place);
    let lines = |v: Vec<&str>| -> Vec<String> {
        v.into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let recipient_address = lines(vec![&c.applicant_street_address, &rplace]);
    let text = InterimLetterText {
        letterhead: head.letterhead_name.clone(),
        address_lines: lines(vec![&head.street_address, &place]),
        date: format::date(date),
        case_number: c.case_number.clone(),
        author: author.to_string(),
        recipient: c.applicant_name.clone(),
        recipient_address: recipient_address.clone(),
        draft,
        earlier,
        received: format::date(c.received_on),
        reason_lines: verbatim_lines(&c.interim_reason),
        expected: c.interim_expected_on.map(format::date).unwrap_or_default(),
        phone: head.phone.clone(),
    };
    let blocks = letters::parse(&text.render()?);
    let footer = format!("{} · Saksnummer {}", head.letterhead_name, c.case_number);
    let recipient = std::iter::once(c.applicant_name.clone())
        .chain(recipient_address)
        .collect::<Vec<_>>()
        .join(", ");
    Ok((blocks, head.letterhead_name.clone(), footer, recipient))
}

/// Who signs the letter: the case's caseworker, or else `user` who writes it.
pub(super) fn author(c: &ApplicationDetail, user: &str) -> String {
    c.caseworker_name.clone().unwrap_or_else(|| user.to_owned())
}

pub(super) fn interim_letters(all: Vec<Summary>) -> Vec<Summary> {
    all.into_iter()
        .filter(|l| l.kind == Kind::InterimReply.key())
        .collect()
}

impl InterimPage {
    pub fn date(&self, d: &NaiveDate) -> String {
        format::date(*d)
    }
    pub fn expected(&self) -> String {
        self.c
            .interim_expected_on
            .map(format::date)
            .unwrap_or_default()
    }
    pub fn sent(&self) -> String {
        self.c.interim_sent_on.map(format::date).unwrap_or_default()
    }
}

async fn page(
    ctx: &Ctx,
    id: Uuid,
    form: Option<InterimForm>,
    errors: FormErrors,
) -> AppResult<InterimPage> {
    let (mut tx, c) = ctx
        .load::<ApplicationDetail>(Permission::ReadCases, id)
        .await?;
    let letterhead = repo::letterhead(&mut tx, c.municipality_id).await?;
    let sent_letters =
        interim_letters(archive::of_application(&mut tx, c.municipality_id, id).await?);
    audit::record(
        &mut tx,
        ctx,
        Event::new("application.viewed")
            .municipality(c.municipality_id)
            .entity("application", id)
            .details(serde_json::json!({ "case_number": c.case_number, "page": "interim_reply" })),
    )
    .await?;
    tx.commit().await?;
    let form = form.unwrap_or_else(|| InterimForm {
        reason: c.interim_reason.clone(),
        expected_on: c.interim_expected_on.map(format::date).unwrap_or_default(),
        version: c.version.to_string(),
    });
    let today = ctx.today();
    let blocks = if c.interim_reason.is_empty() {
        Vec::new()
    } else {
        let draft = c.interim_sent_on.is_none();
        let date = c.interim_sent_on.unwrap_or(today);
        let earlier = sent_letters.len() - usize::from(!draft && !sent_letters.is_empty());
        let author = author(&c, &ctx.user.display_name);
        compose(&c, &letterhead, &author, date, earlier, draft)?.0
    };
    Ok(InterimPage {
        layout: Layout::new(ctx, "soknader"),
        deadline: deadline(c.status, c.interim_sent_on, c.interim_due_on, today),
        new_one_due: promise_passed(&c, today)
            || (c.interim_sent_on.is_none() && !sent_letters.is_empty()),
        saved: false,
        c,
        form,
        errors,
        today: format::date(today),
        blocks,
        sent_letters,
    })
}

/// The scheduled job: every undecided case whose interim reply promised a decision
/// before today gets a new reply due, noted on the case. Returns how many.
pub async fn reopen_due(pool: &sqlx::PgPool, today: NaiveDate) -> anyhow::Result<u64> {
    let municipalities = crate::municipalities::repo::all_ids(pool).await?;
    let mut tx = crate::db::scoped_tx(pool, &municipalities).await?;
    let reopened = repo::reopen_interim(&mut tx, today).await?;
    for (m, id, promised) in &reopened {
        repo::record_event(
            &mut tx,
            *m,
            *id,
            None,
            "interim_reply",
            &format!(
                "Lovet vedtaksdato {} er passert uten vedtak: nytt foreløpig svar skal sendes",
                format::date(*promised)
            ),
            "",
            Some(&format!("{}/forelopig-svar", case_path(*id))),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(reopened.len() as u64)
}

/// A sent reply whose promised decision date has passed while the case is undecided.
pub fn promise_passed(c: &ApplicationDetail, today: NaiveDate) -> bool {
    c.interim_sent_on.is_some()
        && c.interim_expected_on.is_some_and(|e| e < today)
        && super::model::Status::UNDECIDED.contains(&c.status)
}

#[derive(serde::Deserialize, Default)]
pub struct ShowQuery {
    /// Set by the redirect after saving the text: the page confirms it above the letter.
    #[serde(default)]
    lagret: String,
}

pub async fn show(
    ctx: Ctx,
    Id(id): Id,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> AppResult<Response> {
    let mut p = page(&ctx, id, None, FormErrors::new()).await?;
    p.saved = !q.lagret.is_empty();
    render(&p)
}

/// The draft letter as PDF, for printing before it is sent (a sent one is in the archive).
pub async fn draft_pdf(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let p = page(&ctx, id, None, FormErrors::new()).await?;
    if p.blocks.is_empty() {
        return Err(AppError::NotFound);
    }
    let head_title = "Foreløpig svar".to_string();
    let footer = format!("Saksnummer {}", p.c.case_number);
    let author = p.c.caseworker_name.clone().unwrap_or_default();
    let blocks = p.blocks;
    let pdf = tokio::task::spawn_blocking(move || {
        letters::pdf::render(&head_title, &author, &footer, &blocks)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))??;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"forelopig-svar-{}.pdf\"",
                    p.c.case_number.replace('/', "-")
                ),
            ),
        ],
        pdf,
    )
        .into_response())
}

/// The interim page again after a refused change: the messages and what was typed; after a
/// stale edit with the version the case has now, so that sending again builds on it.
async fn refused(
    ctx: &Ctx,
    id: Uuid,
    form: Option<InterimForm>,
    refusal: Refusal,
) -> AppResult<Response> {
    let shown = refusal.shown()?;
    let status = shown.status();
    let mut p = page(ctx, id, form, shown.errors).await?;
    if status == axum::http::StatusCode::CONFLICT {
        p.form.version = p.c.version.to_string();
    }
    render_status(status, &p)
}

/// Saves the letter's text (reason and expected date); the letter then shows for printing.
pub async fn save(ctx: Ctx, Id(id): Id, Form(form): Form<InterimForm>) -> AppResult<Response> {
    let (mut tx, case) = load_case(&ctx, id).await?;
    let outcome = commands::save_interim(&mut tx, ctx.actor(), &case, &form).await;
    finish(
        &ctx,
        tx,
        outcome,
        id,
        "/forelopig-svar?lagret=1#lagret",
        Some(form),
    )
    .await
}

/// Records that the printed letter was sent today.
pub async fn mark_sent(ctx: Ctx, Id(id): Id, Form(form): Form<VersionForm>) -> AppResult<Response> {
    let (mut tx, case) = load_case(&ctx, id).await?;
    let version = extract::version(&form.version);
    let outcome = commands::mark_interim_sent(&mut tx, ctx.actor(), &case, version).await;
    finish(&ctx, tx, outcome, id, "?melding=forelopig", None).await
}

/// Commits and goes to the case page plus `then`, or shows the interim page refused.
async fn finish(
    ctx: &Ctx,
    tx: crate::db::Tx,
    outcome: Outcome<()>,
    id: Uuid,
    then: &str,
    form: Option<InterimForm>,
) -> AppResult<Response> {
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(Redirect::to(&format!("{}{then}", case_path(id))).into_response()),
        Err(refusal) => refused(ctx, id, form, refusal).await,
    }
}
