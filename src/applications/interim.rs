//! Interim reply (foreløpig svar, forvaltningsloven § 11a): the caseworker writes why the
//! case takes time and when a decision is expected, prints the letter (HTML and PDF from
//! the letters module), and records that it was sent; the letter is archived as sent.
//! When the promised date passes without a decision a new interim reply is due (the
//! scheduled job marks it; `repo::reopen_interim`), so a case can have several.

use askama::Template;
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;

use super::handlers::{case_path, case_tx, parse_id, VersionForm, CASE_ROLES};
use super::model::{deadline, Deadline, InterimForm};
use super::repo::{self, ApplicationDetail, Letterhead};
use crate::audit::{self, Event};
use crate::letters::archive::{self, Kind, Summary};
use crate::letters::{self, verbatim_lines, Block};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::format;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
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

fn author_of(ctx: &Ctx, c: &ApplicationDetail) -> String {
    c.caseworker_name
        .clone()
        .unwrap_or_else(|| ctx.user.display_name.clone())
}

fn interim_letters(all: Vec<Summary>) -> Vec<Summary> {
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
    id: &str,
    form: Option<InterimForm>,
    errors: FormErrors,
) -> AppResult<InterimPage> {
    let id = parse_id(id)?;
    let (mut tx, munis) = ctx.read_tx(CASE_ROLES).await?;
    let visible: Vec<uuid::Uuid> = munis.iter().map(|m| m.id).collect();
    let c = repo::application(&mut tx, &visible, id)
        .await?
        .ok_or(AppError::NotFound)?;
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
        compose(&c, &letterhead, &author_of(ctx, &c), date, earlier, draft)?.0
    };
    Ok(InterimPage {
        layout: Layout::new(ctx, "soknader"),
        deadline: deadline(c.status, c.interim_sent_on, c.interim_due_on, today),
        new_one_due: promise_passed(&c, today)
            || (c.interim_sent_on.is_none() && !sent_letters.is_empty()),
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
    let municipalities: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM municipalities")
        .fetch_all(pool)
        .await?;
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

pub async fn show(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    render(&page(&ctx, &id, None, FormErrors::new()).await?)
}

/// The draft letter as PDF, for printing before it is sent (a sent one is in the archive).
pub async fn draft_pdf(ctx: Ctx, Path(raw): Path<String>) -> AppResult<Response> {
    let p = page(&ctx, &raw, None, FormErrors::new()).await?;
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

/// Saves the letter's text (reason and expected date); the letter then shows for printing.
pub async fn save(
    ctx: Ctx,
    Path(raw): Path<String>,
    Form(form): Form<InterimForm>,
) -> AppResult<Response> {
    let (reason, expected, version) = match form.parse(ctx.today()) {
        Ok(v) => v,
        Err(errors) => {
            let p = page(&ctx, &raw, Some(form), errors).await?;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &p);
        }
    };
    let id = parse_id(&raw)?;
    let (mut tx, m) = case_tx(&ctx, id).await?;
    if !repo::save_interim(&mut tx, m, id, version, &reason, expected, ctx.today()).await? {
        tx.rollback().await?;
        let mut errors = FormErrors::new();
        errors.general = Some(
            "Saken ble endret av noen andre mens du skrev, eller foreløpig svar er allerede sendt. \
             Ingenting er lagret; teksten din står fortsatt i skjemaet."
                .into(),
        );
        let mut p = page(&ctx, &raw, Some(form), errors).await?;
        p.form.version = p.c.version.to_string();
        return render_status(StatusCode::CONFLICT, &p);
    }
    audit::record(
        &mut tx,
        &ctx,
        Event::new("application.interim_reply_drafted")
            .municipality(m)
            .entity("application", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}/forelopig-svar#brev", case_path(id))).into_response())
}

/// Records that the printed letter was sent today.
pub async fn mark_sent(
    ctx: Ctx,
    Path(raw): Path<String>,
    Form(form): Form<VersionForm>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let version: i32 = form.version.trim().parse().unwrap_or(0);
    let (mut tx, m) = case_tx(&ctx, id).await?;
    let today = ctx.today();
    if !repo::mark_interim_sent(&mut tx, m, id, version, today).await? {
        tx.rollback().await?;
        let mut errors = FormErrors::new();
        errors.general = Some(
            "Utsendelsen er ikke registrert: saken ble endret av noen andre, svaret er allerede registrert sendt, \
             eller brevet mangler begrunnelse. Se over brevet og prøv igjen."
                .into(),
        );
        let p = page(&ctx, &raw, None, errors).await?;
        return render_status(StatusCode::CONFLICT, &p);
    }
    // The letter as sent goes to the archive in the same transaction.
    let c = repo::application(&mut tx, &[m], id)
        .await?
        .ok_or(AppError::NotFound)?;
    let head = repo::letterhead(&mut tx, m).await?;
    let earlier = interim_letters(archive::of_application(&mut tx, m, id).await?).len();
    let author = author_of(&ctx, &c);
    let (blocks, letterhead, footer, recipient) =
        compose(&c, &head, &author, today, earlier, false)?;
    archive::archive(
        &mut tx,
        m,
        archive::Outgoing {
            kind: Kind::InterimReply,
            application_id: id,
            entity_type: "application",
            entity_id: id,
            title: "Foreløpig svar på søknaden",
            recipient: &recipient,
            channel: "letter",
            sent_on: today,
            sent_by: ctx.user.id,
            author: &letterhead,
            footer: &footer,
            blocks,
            texts: Vec::new(),
        },
    )
    .await?;
    repo::record_event(
        &mut tx,
        m,
        id,
        Some(ctx.user.id),
        "interim_reply",
        "Foreløpig svar sendt til søker",
        "",
        Some(&format!("{}/forelopig-svar", case_path(id))),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("application.interim_reply_sent")
            .municipality(m)
            .entity("application", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?melding=forelopig", case_path(id))).into_response())
}
