//! HTTP: the ranked candidates for a unit, making an offer, answering it, and the letter.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, Path};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::handlers::{breakdown_text, household_text, parse_id, WORK_ROLES};
use super::model::{self, field, Fields, OfferStatus};
use super::ranking::{self, Candidate, Excluded};
use super::repo::{self, OfferRow, UnitFacts, VersionRow};
use crate::applications::model::Status as AppStatus;
use crate::applications::repo as apps;
use crate::audit::{self, Event};
use crate::db::Tx;
use crate::dwellings::model::{Status as UnitStatus, StatusChange};
use crate::letters::{self, Block};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{format, render, render_status};

pub fn offer_path(id: Uuid) -> String {
    format!("/tilbud/{id}")
}

/// Statuses in which a unit can be offered: vacant now or becoming vacant.
fn offerable(u: &UnitFacts) -> bool {
    matches!(u.status, UnitStatus::Vacant | UnitStatus::NoticeGiven)
        || (matches!(u.status, UnitStatus::Let | UnitStatus::Maintenance)
            && u.expected_vacant_from.is_some())
}

/// Loads the unit through a read transaction, then opens a transaction on its municipality.
pub(crate) async fn unit_tx(ctx: &Ctx, id: Uuid) -> AppResult<(Tx, UnitFacts)> {
    let (mut tx, munis) = ctx.read_tx(WORK_ROLES).await?;
    let visible: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let u = repo::unit(&mut tx, &visible, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let mut tx = ctx.write_tx(u.municipality_id, WORK_ROLES).await?;
    let u = repo::unit(&mut tx, &[u.municipality_id], id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((tx, u))
}

/// The rules in force, the ranked candidates, the excluded, and the facts they came from.
pub(crate) type Ranked = (
    VersionRow,
    Vec<Candidate>,
    Vec<Excluded>,
    Arc<Vec<repo::WaitingRow>>,
);

/// The ranking for a unit from fresh data (before a write: an offer, a conclusion).
pub(crate) async fn rank(
    tx: &mut Tx,
    u: &UnitFacts,
    today: chrono::NaiveDate,
) -> AppResult<Ranked> {
    let rows = Arc::new(repo::waiting(&mut *tx, &[u.municipality_id], None).await?);
    rank_among(tx, u, rows, today).await
}

/// The ranking for a unit for a page that only shows it: the waiting applicants' facts
/// may come from the cache (valid for this transaction's snapshot).
pub(crate) async fn rank_for_reading(tx: &mut Tx, ctx: &Ctx, u: &UnitFacts) -> AppResult<Ranked> {
    let rows = super::cache::waiting(&mut *tx, &ctx.state.waiting_cache, u.municipality_id).await?;
    rank_among(tx, u, rows, ctx.today()).await
}

async fn rank_among(
    tx: &mut Tx,
    u: &UnitFacts,
    rows: Arc<Vec<repo::WaitingRow>>,
    today: chrono::NaiveDate,
) -> AppResult<Ranked> {
    let rules = repo::rules_now(tx, u.municipality_id, today).await?;
    let (c, e) = ranking::rank_for_unit(
        &u.unit(),
        &rules.criteria.0,
        &rules.room_norms.0,
        rules.wish_policy.0,
        rows.iter().map(repo::WaitingRow::applicant).collect(),
        today,
    );
    Ok((rules, c, e, rows))
}

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
    let (mut tx, u) = unit_tx(ctx, id).await?;
    let (rules, cands, excl, rows) = rank_for_reading(&mut tx, ctx, &u).await?;
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

pub async fn candidates(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    render(&candidates_page(&ctx, id, Fields::new(), FormErrors::new()).await?)
}

async fn refuse(
    ctx: &Ctx,
    id: Uuid,
    f: Fields,
    status: StatusCode,
    field_name: &'static str,
    msg: &str,
) -> AppResult<Response> {
    let mut e = FormErrors::new();
    if field_name == "general" {
        e.general = Some(msg.to_string());
    } else {
        e.add(field_name, msg.to_string());
    }
    render_status(status, &candidates_page(ctx, id, f, e).await?)
}

pub async fn make_offer(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let Ok(app_id) = Uuid::parse_str(field(&f, "application_id")) else {
        return refuse(
            &ctx,
            id,
            f,
            StatusCode::UNPROCESSABLE_ENTITY,
            "general",
            "Velg søkeren som skal få tilbudet.",
        )
        .await;
    };
    let (mut tx, u) = unit_tx(&ctx, id).await?;
    let m = u.municipality_id;
    // A second submit of the same offer finds the open one and shows it.
    if let Some((oid, d, a)) = repo::open_offer(&mut tx, m, Some(u.id), Some(app_id)).await? {
        tx.rollback().await?;
        if d == u.id && a == app_id {
            return Ok(Redirect::to(&offer_path(oid)).into_response());
        }
        let msg = if d == u.id {
            "Boligen har allerede et åpent tilbud. Registrer svaret på det før du gir et nytt."
        } else {
            "Søkeren har allerede et åpent tilbud på en annen bolig."
        };
        return refuse(&ctx, id, f, StatusCode::CONFLICT, "general", msg).await;
    }
    if !offerable(&u) {
        tx.rollback().await?;
        return refuse(
            &ctx,
            id,
            f,
            StatusCode::CONFLICT,
            "general",
            "Boligen er ikke ledig eller i ferd med å bli ledig.",
        )
        .await;
    }
    let (rules, cands, _, _) = rank(&mut tx, &u, ctx.today()).await?;
    let Some((i, c)) = cands
        .iter()
        .enumerate()
        .find(|(_, c)| c.applicant.application_id == app_id)
    else {
        tx.rollback().await?;
        return refuse(
            &ctx,
            id,
            f,
            StatusCode::UNPROCESSABLE_ENTITY,
            "general",
            "Søkeren står ikke på listen over kandidater til denne boligen.",
        )
        .await;
    };
    let rank_no = i + 1;
    let justification = field(&f, "justification").trim().to_string();
    if let Some(msg) = model::justification_error(rank_no, &justification) {
        tx.rollback().await?;
        return refuse(
            &ctx,
            id,
            f,
            StatusCode::UNPROCESSABLE_ENTITY,
            "justification",
            msg,
        )
        .await;
    }
    let app = apps::application(&mut tx, &[m], app_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = ctx.today();
    let lease_months = rules.rules().lease_months_for(u.dwelling_type_id);
    let new = repo::NewOffer {
        dwelling_id: u.id,
        application_id: app_id,
        rule_version_id: rules.id,
        offered_on: today,
        answer_due: today + chrono::Duration::days(rules.offer_days as i64),
        justification: &justification,
        rank: rank_no as i32,
        score: c.total,
        breakdown: &c.breakdown,
        wish_mismatch: c.wish_mismatch,
        lease_months,
        monthly_rent: u.monthly_rent,
    };
    let Some(offer_id) = repo::insert_offer(&mut tx, m, ctx.user.id, &new).await? else {
        // Lost a race with an identical submit: show the offer that won.
        tx.rollback().await?;
        let mut tx = ctx.write_tx(m, WORK_ROLES).await?;
        let open = repo::open_offer(&mut tx, m, Some(u.id), Some(app_id)).await?;
        tx.commit().await?;
        return match open {
            Some((oid, d, a)) if d == u.id && a == app_id => {
                Ok(Redirect::to(&offer_path(oid)).into_response())
            }
            _ => {
                refuse(
                    &ctx,
                    id,
                    f,
                    StatusCode::CONFLICT,
                    "general",
                    "Boligen eller søkeren har allerede et åpent tilbud.",
                )
                .await
            }
        };
    };
    if u.status == UnitStatus::Vacant {
        let change = StatusChange {
            to: UnitStatus::Reserved,
            effective_on: today,
            expected_vacant_from: None,
            reason: format!("Tilbudt søker i sak {}", app.case_number),
        };
        if !crate::dwellings::repo::change_status(
            &mut tx,
            m,
            u.id,
            u.status,
            &change,
            u.version,
            ctx.user.id,
        )
        .await?
        {
            tx.rollback().await?;
            return refuse(
                &ctx,
                id,
                f,
                StatusCode::CONFLICT,
                "general",
                "Boligen ble endret av noen andre i mellomtiden. Prøv igjen.",
            )
            .await;
        }
    }
    if !matches!(
        app.status,
        AppStatus::WaitingList | AppStatus::Approved | AppStatus::PartlyApproved
    ) || !apps::set_status(
        &mut tx,
        m,
        app_id,
        app.version,
        AppStatus::Offered,
        "Tilbud om bolig",
        ctx.today(),
    )
    .await?
    {
        tx.rollback().await?;
        return refuse(
            &ctx,
            id,
            f,
            StatusCode::CONFLICT,
            "general",
            "Saken ble endret av noen andre i mellomtiden. Prøv igjen.",
        )
        .await;
    }
    let summary = format!("Tilbud om bolig: {}", u.address());
    let detail = format!(
        "Rangert som nr. {rank_no} med {} poeng etter tildelingsregler versjon {}. Svarfrist {}.{}",
        c.total,
        rules.version_no,
        format::date(new.answer_due),
        if justification.is_empty() {
            String::new()
        } else {
            format!(" Begrunnelse for å gå forbi høyere rangerte: {justification}")
        }
    );
    apps::record_event(
        &mut tx,
        m,
        app_id,
        Some(ctx.user.id),
        "offer",
        &summary,
        &detail,
        Some(&offer_path(offer_id)),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("offer.created")
            .municipality(m)
            .entity("offer", offer_id)
            .details(serde_json::json!({
                "dwelling": u.id, "application": app_id, "rank": rank_no, "score": c.total,
                "rules_version": rules.version_no, "justification": justification,
            })),
    )
    .await?;
    // The offer letter as sent goes to the archive with the offer.
    let made = repo::offer(&mut tx, &[m], offer_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (author, footer, blocks, recipient) = compose_letter(&mut tx, &made).await?;
    crate::letters::archive::archive(
        &mut tx,
        m,
        crate::letters::archive::Outgoing {
            kind: crate::letters::archive::Kind::Offer,
            application_id: app_id,
            entity_type: "offer",
            entity_id: offer_id,
            title: "Tilbud om kommunal bolig",
            recipient: &recipient,
            channel: "letter",
            sent_on: made.offered_on,
            sent_by: ctx.user.id,
            author: &author,
            footer: &footer,
            blocks,
            texts: Vec::new(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&offer_path(offer_id)).into_response())
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

async fn offer_tx(ctx: &Ctx, id: Uuid) -> AppResult<(Tx, OfferRow)> {
    let (mut tx, munis) = ctx.read_tx(WORK_ROLES).await?;
    let visible: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let o = repo::offer(&mut tx, &visible, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let mut tx = ctx.write_tx(o.municipality_id, WORK_ROLES).await?;
    let o = repo::offer(&mut tx, &[o.municipality_id], id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((tx, o))
}

async fn offer_page(ctx: &Ctx, id: Uuid, form: Fields, errors: FormErrors) -> AppResult<OfferPage> {
    let (mut tx, o) = offer_tx(ctx, id).await?;
    let m = o.municipality_id;
    let history = repo::offers_of_application(&mut tx, m, o.application_id).await?;
    let unit_history = repo::offers_of_dwelling(&mut tx, m, o.dwelling_id).await?;
    let rules = repo::rules_now(&mut tx, m, ctx.today()).await?;
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
        o,
        history,
        unit_history,
        declines,
        decline_limit: rules.decline_limit,
        form,
        errors,
    })
}

pub async fn show(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    render(&offer_page(&ctx, id, Fields::new(), FormErrors::new()).await?)
}

pub async fn answer(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, o) = offer_tx(&ctx, id).await?;
    let m = o.municipality_id;
    let today = ctx.today();
    if o.status() != OfferStatus::Open {
        tx.rollback().await?;
        // A repeated submit of the same answer is harmless: show the offer.
        if field(&f, "answer") == o.status().key() {
            return Ok(Redirect::to(&offer_path(id)).into_response());
        }
        let mut e = FormErrors::new();
        e.general = Some(format!(
            "Tilbudet er allerede besvart ({}).",
            o.status().label().to_lowercase()
        ));
        return render_status(StatusCode::CONFLICT, &offer_page(&ctx, id, f, e).await?);
    }
    let mut parsed = model::parse_answer(&f, today, o.offered_on);
    if let Ok(a) = &parsed {
        if a.status == OfferStatus::Expired && today <= o.answer_due {
            let mut e = FormErrors::new();
            e.add(
                "answer",
                format!(
                    "Svarfristen går ut {}; tilbudet kan ikke registreres som utløpt før det.",
                    format::date(o.answer_due)
                ),
            );
            parsed = Err(e);
        }
    }
    let a = match parsed {
        Ok(a) => a,
        Err(e) => {
            tx.rollback().await?;
            return render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &offer_page(&ctx, id, f, e).await?,
            );
        }
    };
    let version: i32 = field(&f, "version").parse().unwrap_or(o.version);
    if !repo::answer_offer(
        &mut tx,
        m,
        id,
        version,
        a.status,
        a.answered_on,
        &a.reason,
        ctx.user.id,
    )
    .await?
    {
        tx.rollback().await?;
        let mut e = FormErrors::new();
        e.general = Some(
            "Tilbudet ble endret av noen andre mens du registrerte svaret. Se over og prøv igjen."
                .into(),
        );
        return render_status(StatusCode::CONFLICT, &offer_page(&ctx, id, f, e).await?);
    }
    let app = apps::application(&mut tx, &[m], o.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let unit = repo::unit(&mut tx, &[m], o.dwelling_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (summary, detail) = match a.status {
        OfferStatus::Accepted => (
            format!("Tilbud akseptert: {}", o.unit_label),
            "Søkeren takket ja. Boligen er reservert til leiekontrakten er skrevet.".to_string(),
        ),
        OfferStatus::Declined => (
            format!("Tilbud avslått: {}", o.unit_label),
            format!("Søkeren takket nei: {}", a.reason),
        ),
        _ => (
            format!("Tilbud utløpt: {}", o.unit_label),
            format!(
                "Svarfristen {} gikk ut uten svar.",
                format::date(o.answer_due)
            ),
        ),
    };
    if matches!(a.status, OfferStatus::Declined | OfferStatus::Expired) {
        if unit.status == UnitStatus::Reserved {
            let change = StatusChange {
                to: UnitStatus::Vacant,
                effective_on: today,
                expected_vacant_from: None,
                reason: summary.clone(),
            };
            if !crate::dwellings::repo::change_status(
                &mut tx,
                m,
                unit.id,
                unit.status,
                &change,
                unit.version,
                ctx.user.id,
            )
            .await?
            {
                tx.rollback().await?;
                return Err(AppError::Conflict);
            }
        }
        if app.status == AppStatus::Offered
            && !apps::set_status(
                &mut tx,
                m,
                app.id,
                app.version,
                AppStatus::WaitingList,
                &summary,
                ctx.today(),
            )
            .await?
        {
            tx.rollback().await?;
            return Err(AppError::Conflict);
        }
    }
    apps::record_event(
        &mut tx,
        m,
        app.id,
        Some(ctx.user.id),
        "offer",
        &summary,
        &detail,
        Some(&offer_path(id)),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("offer.answered")
            .municipality(m)
            .entity("offer", id)
            .details(serde_json::json!({ "answer": a.status.key(), "reason": a.reason })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&offer_path(id)).into_response())
}

// ---------------------------------------------------------------------------------------
// The offer letter

#[derive(Template)]
#[template(path = "allocation/offer_letter.txt", escape = "none")]
pub struct OfferLetterText {
    pub letterhead: String,
    pub address_lines: Vec<String>,
    pub date: String,
    pub case_number: String,
    pub recipient: String,
    pub recipient_address: Vec<String>,
    pub unit_address: String,
    pub type_name: String,
    pub rooms: i16,
    pub floor: String,
    pub rent: String,
    pub lease_months: i32,
    pub answer_due: String,
    pub decline_limit: i32,
    pub declines: usize,
    pub phone: String,
    pub email: String,
}

#[derive(Template)]
#[template(path = "allocation/letter.html")]
pub struct OfferLetterPage {
    pub id: Uuid,
    pub title: String,
    pub blocks: Vec<Block>,
}

/// The offer letter from the data in `tx`: (author, footer, blocks, recipient).
async fn compose_letter(
    tx: &mut Tx,
    o: &repo::OfferRow,
) -> AppResult<(String, String, Vec<Block>, String)> {
    let m = o.municipality_id;
    let app = apps::application(tx, &[m], o.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let u = repo::unit(tx, &[m], o.dwelling_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let head = apps::letterhead(tx, m).await?;
    let rules = repo::version(tx, m, o.rule_version_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let history = repo::offers_of_application(tx, m, o.application_id).await?;
    let mut address_lines = Vec::new();
    if !head.street_address.is_empty() {
        address_lines.push(head.street_address.clone());
    }
    let place = format!("{} {}", head.postcode, head.postal_place)
        .trim()
        .to_string();
    if !place.is_empty() {
        address_lines.push(place);
    }
    let mut recipient_address = Vec::new();
    if !app.applicant_street_address.is_empty() {
        recipient_address.push(app.applicant_street_address.clone());
    }
    let rplace = format!("{} {}", app.applicant_postcode, app.applicant_postal_place)
        .trim()
        .to_string();
    if !rplace.is_empty() {
        recipient_address.push(rplace);
    }
    let text = OfferLetterText {
        letterhead: head.letterhead_name.clone(),
        address_lines,
        date: format::date(o.offered_on),
        case_number: app.case_number.clone(),
        recipient: app.applicant_name.clone(),
        recipient_address,
        unit_address: u.address(),
        type_name: u.type_name.clone(),
        rooms: u.rooms,
        floor: u.floor.map(|f| f.to_string()).unwrap_or_default(),
        rent: o.monthly_rent.map(format::kroner).unwrap_or_default(),
        lease_months: o.lease_months,
        answer_due: format::date(o.answer_due),
        decline_limit: rules.decline_limit,
        declines: history
            .iter()
            .filter(|h| h.status() == OfferStatus::Declined && h.id != o.id)
            .count(),
        phone: head.phone.clone(),
        email: head.email.clone(),
    };
    let blocks = letters::parse(&text.render()?);
    let footer = format!("{} · Saksnummer {}", head.letterhead_name, app.case_number);
    let recipient = std::iter::once(app.applicant_name.clone())
        .chain(text.recipient_address.iter().cloned())
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    Ok((head.letterhead_name, footer, blocks, recipient))
}

enum LetterSource {
    Archived(Uuid),
    Live(String, String, Vec<Block>),
}

async fn build_letter(ctx: &Ctx, id: Uuid) -> AppResult<LetterSource> {
    let (mut tx, o) = offer_tx(ctx, id).await?;
    let m = o.municipality_id;
    if let Some(a) = crate::letters::archive::latest_for(&mut tx, m, id).await? {
        tx.commit().await?;
        return Ok(LetterSource::Archived(a));
    }
    let (author, footer, blocks, _) = compose_letter(&mut tx, &o).await?;
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

pub async fn letter_html(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id)?;
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

pub async fn letter_pdf(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id)?;
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
