//! HTTP: the ranked candidates for a unit, making an offer, answering it, and the letter.

use askama::Template;
use axum::extract::Form;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::candidates::{self, breakdown_text, household_text, offerable};
use super::commands::{self, offer_path, Done};
use super::model::{self, field, Fields, OfferStatus};
use super::ranking::{self, Candidate};
use super::repo::{self, OfferRow, UnitFacts};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db;
use crate::letters::Block;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::Id;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::Shown;
use crate::web::{format, render, render_status};

// ---------------------------------------------------------------------------------------
// Candidates

/// How many candidates and excluded applicants the page lists (the ranking covers all).
pub const SHOWN: usize = 100;

pub struct CandidateView {
    pub rank: usize,
    pub c: Candidate,
    pub name: String,
    pub household: String,
    pub declines: i64,
    pub review: bool,
}

impl CandidateView {
    pub fn breakdown(&self) -> String {
        breakdown_text(&self.c.breakdown)
    }
}

#[derive(Template)]
#[template(path = "allocation/candidates.html")]
pub struct CandidatesPage {
    pub layout: Layout,
    pub u: UnitFacts,
    pub rules_no: i32,
    pub wish_show: bool,
    pub candidates: Vec<CandidateView>,
    pub total_candidates: usize,
    pub excluded: Vec<(String, String, String)>,
    pub total_excluded: usize,
    pub open_offer: Option<Uuid>,
    pub offers: Vec<OfferRow>,
    pub can_offer: bool,
    /// The answer deadline an offer made today gets (`commands::make_offer`), shown on
    /// the offer form and in its confirmation.
    pub answer_due: String,
    pub form: Fields,
    pub errors: FormErrors,
}

impl CandidatesPage {
    pub fn val(&self, k: &str) -> &str {
        field(&self.form, k)
    }
    pub fn is_chosen(&self, id: &Uuid) -> bool {
        field(&self.form, "application_id") == id.to_string()
    }
    pub fn rent(&self) -> String {
        self.u
            .monthly_rent
            .map(format::kroner)
            .unwrap_or_else(|| "Ikke satt".into())
    }
    pub fn day(&self, d: &chrono::NaiveDate) -> String {
        format::date(*d)
    }
    pub fn status_label(&self, o: &OfferRow) -> &'static str {
        o.status().label()
    }
}

async fn candidates_page(
    ctx: &Ctx,
    id: Uuid,
    form: Fields,
    errors: FormErrors,
) -> AppResult<CandidatesPage> {
    let (mut tx, u) = ctx.load::<UnitFacts>(Permission::Allocate, id).await?;
    let (rules, cands, excl, rows) =
        candidates::rank_for_reading(&mut tx, &ctx.state.waiting_cache, &u, ctx.today()).await?;
    let offers = repo::offers_of_dwelling(&mut tx, u.municipality_id, u.id).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("allocation.candidates_viewed")
            .municipality(u.municipality_id)
            .entity("dwelling", u.id)
            // Who was read: every applicant listed, candidate or excluded.
            .details(serde_json::json!({
                "rules_version": rules.version_no,
                "candidates": cands.len(),
                "applications": cands.iter().map(|c| c.applicant.application_id)
                    .chain(excl.iter().map(|e| e.applicant.application_id))
                    .collect::<Vec<_>>(),
            })),
    )
    .await?;
    tx.commit().await?;
    let names: std::collections::HashMap<Uuid, &repo::WaitingRow> =
        rows.iter().map(|r| (r.id, r)).collect();
    let limit = rules.decline_limit as i64;
    let (total_candidates, total_excluded) = (cands.len(), excl.len());
    let candidates = cands
        .into_iter()
        .take(SHOWN)
        .enumerate()
        .map(|(i, c)| {
            let r = names.get(&c.applicant.application_id);
            let a = &c.applicant;
            let declines = r.map(|r| r.declines).unwrap_or(0);
            CandidateView {
                rank: i + 1,
                name: r.map(|r| r.applicant_name.clone()).unwrap_or_default(),
                household: household_text(a.household(), a.adults, a.children, a.visiting_children),
                declines,
                review: limit > 0 && declines >= limit,
                c,
            }
        })
        .collect();
    let excluded = excl
        .into_iter()
        .take(SHOWN)
        .map(|e| {
            let name = names
                .get(&e.applicant.application_id)
                .map(|r| r.applicant_name.clone())
                .unwrap_or_default();
            let why = e
                .reasons
                .iter()
                .map(model::exclusion_label)
                .collect::<Vec<_>>()
                .join("; ");
            (e.applicant.case_number.clone(), name, why)
        })
        .collect();
    let open_offer = offers
        .iter()
        .find(|o| o.status() == OfferStatus::Open)
        .map(|o| o.id);
    Ok(CandidatesPage {
        layout: Layout::new(ctx, "venteliste"),
        rules_no: rules.version_no,
        answer_due: format::date(ctx.today() + chrono::Duration::days(rules.offer_days as i64)),
        wish_show: matches!(rules.wish_policy.0, ranking::WishPolicy::Show),
        can_offer: offerable(&u) && open_offer.is_none(),
        u,
        candidates,
        total_candidates,
        excluded,
        total_excluded,
        open_offer,
        offers,
        form,
        errors,
    })
}

pub async fn candidates(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    render(&candidates_page(&ctx, id, Fields::new(), FormErrors::new()).await?)
}

/// The offer form again, with what the user typed and why it was not made.
async fn refuse_offer(ctx: &Ctx, id: Uuid, f: Fields, shown: Shown) -> AppResult<Response> {
    let status = shown.status();
    render_status(status, &candidates_page(ctx, id, f, shown.errors).await?)
}

pub async fn make_offer(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let (mut tx, u) = ctx
        .load_for_write::<UnitFacts>(Permission::Allocate, Permission::Allocate, id)
        .await?;
    let input = commands::MakeOffer {
        application: Uuid::parse_str(field(&f, "application_id")).ok(),
        justification: field(&f, "justification").to_string(),
    };
    let outcome = commands::make_offer(&mut tx, ctx.actor(), &u, input).await;
    match db::commit(tx, outcome).await {
        Ok(Done::Changed(o) | Done::Already(o)) => Ok(Redirect::to(&offer_path(o)).into_response()),
        Err(refusal) => refuse_offer(&ctx, id, f, refusal.shown()?).await,
    }
}

// ---------------------------------------------------------------------------------------
// The offer

#[derive(Template)]
#[template(path = "allocation/offer.html")]
pub struct OfferPage {
    pub layout: Layout,
    pub o: OfferRow,
    pub history: Vec<OfferRow>,
    pub unit_history: Vec<OfferRow>,
    pub declines: usize,
    pub decline_limit: i32,
    pub can_answer: bool,
    pub can_expire: bool,
    /// The lease written from the accepted offer, if any.
    pub lease: Option<Uuid>,
    /// May write the lease from the accepted offer.
    pub can_lease: bool,
    pub form: Fields,
    pub errors: FormErrors,
}

impl OfferPage {
    pub fn val(&self, k: &str) -> &str {
        field(&self.form, k)
    }
    pub fn day(&self, d: &chrono::NaiveDate) -> String {
        format::date(*d)
    }
    pub fn opt_day(&self, d: &Option<chrono::NaiveDate>) -> String {
        d.map(format::date).unwrap_or_default()
    }
    pub fn status_label(&self, o: &OfferRow) -> &'static str {
        o.status().label()
    }
    pub fn status_color(&self, o: &OfferRow) -> &'static str {
        o.status().color()
    }
    pub fn rent(&self) -> String {
        self.o
            .monthly_rent
            .map(format::kroner)
            .unwrap_or_else(|| "Ikke satt".into())
    }
    pub fn is_open(&self) -> bool {
        self.o.status() == OfferStatus::Open
    }
    pub fn review(&self) -> bool {
        self.decline_limit > 0 && self.declines as i32 >= self.decline_limit
    }
}

async fn offer_page(ctx: &Ctx, id: Uuid, form: Fields, errors: FormErrors) -> AppResult<OfferPage> {
    let (mut tx, o) = ctx.load::<OfferRow>(Permission::Allocate, id).await?;
    let m = o.municipality_id;
    let history = repo::offers_of_application(&mut tx, m, o.application_id).await?;
    let unit_history = repo::offers_of_dwelling(&mut tx, m, o.dwelling_id).await?;
    let rules = repo::rules_now(&mut tx, m, ctx.today()).await?;
    let lease = crate::leases::repo::lease_of_offer(&mut tx, m, o.id).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("offer.viewed")
            .municipality(m)
            .entity("offer", o.id),
    )
    .await?;
    tx.commit().await?;
    let declines = history
        .iter()
        .filter(|h| h.status() == OfferStatus::Declined)
        .count();
    Ok(OfferPage {
        layout: Layout::new(ctx, "venteliste"),
        can_answer: o.status() == OfferStatus::Open,
        can_expire: o.status() == OfferStatus::Open && ctx.today() > o.answer_due,
        can_lease: o.status() == OfferStatus::Accepted
            && ctx.may(Permission::ManageLeases, m)
            && ctx.may(Permission::ReadCases, m),
        lease,
        o,
        history,
        unit_history,
        declines,
        decline_limit: rules.decline_limit,
        form,
        errors,
    })
}

pub async fn show(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    render(&offer_page(&ctx, id, Fields::new(), FormErrors::new()).await?)
}

pub async fn answer(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let (mut tx, o) = ctx
        .load_for_write::<OfferRow>(Permission::Allocate, Permission::Allocate, id)
        .await?;
    let input = commands::Answer {
        version: field(&f, "version").parse().ok(),
        fields: f,
    };
    let outcome = commands::answer(&mut tx, ctx.actor(), &o, &input).await;
    let shown = match db::commit(tx, outcome).await {
        Ok(Done::Changed(_) | Done::Already(_)) => {
            return Ok(Redirect::to(&offer_path(id)).into_response())
        }
        Err(refusal) => refusal.shown()?,
    };
    let status = shown.status();
    render_status(
        status,
        &offer_page(&ctx, id, input.fields, shown.errors).await?,
    )
}

// ---------------------------------------------------------------------------------------
// The offer letter

#[derive(Template)]
#[template(path = "allocation/letter.html")]
pub struct OfferLetterPage {
    pub id: Uuid,
    pub title: String,
    pub blocks: Vec<Block>,
}

enum LetterSource {
    Archived(Uuid),
    Live(String, String, Vec<Block>),
}

async fn build_letter(ctx: &Ctx, id: Uuid) -> AppResult<LetterSource> {
    let (mut tx, o) = ctx.load::<OfferRow>(Permission::Allocate, id).await?;
    let m = o.municipality_id;
    if let Some(a) = crate::letters::archive::latest_for(&mut tx, m, id).await? {
        tx.commit().await?;
        return Ok(LetterSource::Archived(a));
    }
    let (author, footer, blocks, _) = super::letter::compose(&mut tx, &o).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("offer.letter_viewed")
            .municipality(m)
            .entity("offer", id),
    )
    .await?;
    tx.commit().await?;
    Ok(LetterSource::Live(author, footer, blocks))
}

pub async fn letter_html(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let blocks = match build_letter(&ctx, id).await? {
        LetterSource::Archived(a) => return Ok(Redirect::to(&format!("/brev/{a}")).into_response()),
        LetterSource::Live(_, _, blocks) => blocks,
    };
    render(&OfferLetterPage {
        id,
        title: "Tilbud om kommunal bolig".into(),
        blocks,
    })
}

pub async fn letter_pdf(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (author, footer, blocks) = match build_letter(&ctx, id).await? {
        LetterSource::Archived(a) => {
            return Ok(Redirect::to(&format!("/brev/{a}.pdf")).into_response())
        }
        LetterSource::Live(author, footer, blocks) => (author, footer, blocks),
    };
    let pdf = tokio::task::spawn_blocking(move || {
        crate::letters::pdf::render("Tilbud om kommunal bolig", &author, &footer, &blocks)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))??;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"tilbud-{id}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}
